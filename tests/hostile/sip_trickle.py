#!/usr/bin/env python3
"""Issue 11 item 3: no connection outlives the deadlines.  768 TLS
connections from 3 addresses (the per-address cap, 256, each) start a
REGISTER and trickle it one byte a second; 300 more TCP connections from
another address never begin their TLS handshake.  With --message-timeout 3
and --handshake-timeout 3 every one of them is closed by oprov-sipd within
the deadline (plus the once-a-second sweep), connections beyond the
per-address cap are refused while still in handshake, and a valid phone
registers meanwhile."""
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

PER_ADDR = 256
DEADLINE = 3


def closed(s):
    """Whether the peer closed s (EOF, reset, or a failed write)."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if r:
            return s.recv(4096) == b""
        s.send(b"x")
        return False
    except (OSError, ValueError):
        return True


def main():
    H.raise_nofile()
    with H.Env("siptrickle") as env:
        tok = env.sip_device("SEP0000000000A1", "1001")
        dm = env.sipd("--message-timeout", str(DEADLINE), "--handshake-timeout", str(DEADLINE))
        trickle = []
        for k in range(3):
            for _ in range(PER_ADDR):
                c = H.Sip(dm.tp, H.addr(k), timeout=10)
                c.send(b"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1")
                trickle.append(c.s)
        t_msg = time.time()          # the last first byte was sent by now
        silent, refused = [], 0
        for _ in range(300):
            s = socket.socket()
            s.bind((H.addr(3), 0))
            s.connect(("127.0.0.1", dm.tp))
            silent.append(s)
        t_hs = time.time()
        env.ok("%d trickling TLS connections from 3 addresses, %d silent TCP "
               "connections from a fourth" % (len(trickle), len(silent)))
        # The per-address cap counts connections still in handshake.
        time.sleep(0.5)
        refused = sum(1 for s in silent if closed(s))
        env.check(refused >= 300 - PER_ADDR,
                  "connections over the per-address cap (%d) closed while in "
                  "handshake: %d of %d" % (PER_ADDR, refused, len(silent)))
        c = H.Sip(dm.tp, H.addr(9))
        code = c.ask(c.register("1001", tok))
        c.close()
        env.check(code == 200, "a valid phone registered meanwhile: %d" % code)
        open_t, open_s = list(trickle), list(silent)
        last_t = last_s = None
        end = time.time() + 4 * DEADLINE + 10
        while (open_t or open_s) and time.time() < end:
            time.sleep(0.5)
            open_t = [s for s in open_t if not closed(s)]
            open_s = [s for s in open_s if not closed(s)]
            if not open_t and last_t is None:
                last_t = time.time() - t_msg
            if not open_s and last_s is None:
                last_s = time.time() - t_hs
        env.check(not open_t, "trickling connections all closed %.1f s after their first "
                  "byte (--message-timeout %d); %d still open" %
                  (last_t or -1, DEADLINE, len(open_t)))
        env.check(not open_s, "silent connections all closed %.1f s after connecting "
                  "(--handshake-timeout %d); %d still open" %
                  (last_s or -1, DEADLINE, len(open_s)))
        time.sleep(1.5)             # the stats file is written once a second
        st = env.stats("oprov-sipd")
        env.ok("message_timeouts %s, connections open now %s" %
               (st.get("message_timeouts"), st.get("connections_open")))
        for s in trickle + silent:
            s.close()
        env.check(dm.alive(), "oprov-sipd still running")


if __name__ == "__main__":
    main()
