#!/usr/bin/env python3
"""Issue 11 item 5: memory comes back after a burst.  1,500 TLS connections
from 6 addresses each send most of a large REGISTER (a 15 KB header field,
the message never completed) and then go away.  oprov-sipd's RSS at idle,
at the peak and a few seconds after the burst are printed; after the burst
it must be within 2x of the idle figure.  (Under AddressSanitizer freed
memory sits in its quarantine, so there the figures are printed but the 2x
bound is not judged.)"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

ADDRS, PER_ADDR = 6, 250


def main():
    H.raise_nofile()
    with H.Env("sipmem") as env:
        tok = env.sip_device("SEP0000000000A1", "1001")
        dm = env.sipd()
        c = H.Sip(dm.tp)
        code = c.ask(c.register("1001", tok))
        env.check(code == 200, "a phone registered before the burst: %d" % code)
        time.sleep(1)
        idle = H.rss_mb(dm.pid)
        conns = []
        big = (b"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1\r\n"
               b"X-Filler: " + b"f" * 15000)
        peak = idle
        for k in range(ADDRS):
            for _ in range(PER_ADDR):
                s = H.Sip(dm.tp, H.addr(k), timeout=20)
                s.send(big)
                conns.append(s)
            peak = max(peak, H.rss_mb(dm.pid))
        time.sleep(0.5)
        peak = max(peak, H.rss_mb(dm.pid))
        for s in conns:
            s.close()
        after = None
        for _ in range(20):          # the loops notice the closes, then trim
            time.sleep(0.5)
            after = H.rss_mb(dm.pid)
            if after <= 2 * idle:
                break
        env.ok("oprov-sipd RSS: idle %.1f MB, peak %.1f MB with %d connections, "
               "%.1f MB after the burst" % (idle, peak, len(conns), after))
        if H.sanitized():
            env.ok("2x bound not judged under AddressSanitizer (quarantine)")
        else:
            env.check(after <= 2 * idle, "RSS after the burst within 2x of idle "
                      "(%.1f <= %.1f MB)" % (after, 2 * idle))
        code = c.ask(c.register("1001", tok))
        env.check(code == 200, "the phone refreshes after the burst: %d" % code)
        c.close()


if __name__ == "__main__":
    main()
