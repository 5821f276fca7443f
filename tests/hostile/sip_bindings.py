#!/usr/bin/env python3
"""Issue 11 item 1: one device must not fill the binding table.  A single
onboarded device sends tens of thousands of REGISTERs from ten addresses at
once, each with a new Contact or a To host we do not serve; afterwards it
holds at most --max-bindings-per-device bindings (its oldest replaced), the
foreign To hosts got 404, and another device still registers; sipd's log stays within its rate bound."""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

CONNS = 10            # one per source address
BATCH = 100           # REGISTERs in flight per connection


def flood(port, src, token, n, tally, lock, k, keep):
    """Bindings live as long as their connection: it stays open (keep)."""
    c = H.Sip(port, src, timeout=60)
    keep.append(c)
    got = {}
    try:
        for base in range(0, n, BATCH):
            reqs = []
            for i in range(base, min(n, base + BATCH)):
                if i % 2:
                    reqs.append(c.register("1001", token, to_host="x%d-%d.example" % (k, i)))
                else:
                    reqs.append(c.register("1001", token, contact="sip:1001@10.%d.%d.%d:5061;transport=tls"
                                           % (k, i // 250 % 250, i % 250)))
            c.send(b"".join(reqs))
            for _ in reqs:
                code = c.read()[0].split()[1]
                got[code] = got.get(code, 0) + 1
    finally:
        with lock:
            for code, v in got.items():
                tally[code] = tally.get(code, 0) + v


def main():
    H.raise_nofile()
    attempts = 10000 if H.sanitized() else 50000
    with H.Env("sipbind") as env:
        ta = env.sip_device("SEP0000000000A1", "1001")
        tb = env.sip_device("SEP0000000000B2", "2002")
        dm = env.sipd()
        idle = H.rss_mb(dm.pid)
        tally, lock, threads, keep = {}, threading.Lock(), [], []
        t0 = H.time.time()
        for k in range(CONNS):
            t = threading.Thread(target=flood, args=(dm.tp, H.addr(k), ta, attempts // CONNS,
                                                     tally, lock, k, keep))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        secs = H.time.time() - t0
        done = sum(tally.values())
        # Log lines are bounded too: each kind of flood line (refusal,
        # binding replaced) at most 100 a second, the rest counted.
        lines = len(dm.log_text().splitlines())
        bound = int((secs + 2) * (2 * 100 + 2)) + 20
        env.check(lines <= bound, "sipd wrote %d log lines for %d REGISTERs in %.1f s "
                  "(bound %d)" % (lines, attempts, secs, bound))
        env.check(done == attempts, "%d REGISTERs answered of %d sent (%s)" %
                  (done, attempts, ", ".join("%s x%d" % kv for kv in sorted(tally.items()))))
        env.check(tally.get("404", 0) == attempts // 2,
                  "every foreign To host answered 404 (%d)" % tally.get("404", 0))
        c = H.Sip(dm.tp)
        keep.append(c)
        code = c.ask(c.register("2002", tb))
        env.check(code == 200, "another device still registers: %d" % code)
        held = 0
        for _ in range(50):
            regs = env.registrations()
            held = regs.get("SEP0000000000A1", 0)
            if held <= 4 and regs.get("SEP0000000000B2") == 1:
                break
            H.time.sleep(0.2)
        st = env.stats("oprov-sipd")
        env.check(held == 4, "bindings of one device: %d of %d attempted "
                  "(table: %s bindings)" % (held, attempts, st.get("bindings", "?")))
        env.ok("oprov-sipd RSS %.1f MB idle, %.1f MB after the flood" % (idle, H.rss_mb(dm.pid)))
        env.check(dm.alive(), "oprov-sipd still running")
        for c in keep:
            c.close()


if __name__ == "__main__":
    main()
