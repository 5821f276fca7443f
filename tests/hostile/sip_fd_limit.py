#!/usr/bin/env python3
"""Issue 11 item 9 (sipd): at the descriptor limit.  oprov-sipd runs with
RLIMIT_NOFILE 64: it lowers --max-conn to what fits (logged at start), so
of 150 clients from 3 addresses that connect and stay silent, those over
the cap are closed at once instead of accept() failing with EMFILE.  The
daemon must not spin (its CPU time over 3 s is printed and must stay far
below what busy event loops burn), must log a shortage at most once, and
must serve again as soon as descriptors are free."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

NOFILE = 64
CLIENTS = 150


def main():
    H.raise_nofile()
    with H.Env("sipfd") as env:
        tok = env.sip_device("SEP0000000000A1", "1001")
        dm = env.sipd("--handshake-timeout", "60", limits=(NOFILE, NOFILE))
        held = []
        for i in range(CLIENTS):
            s = socket.socket()
            s.bind((H.addr(i % 3), 0))
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", dm.tp))
            except OSError:
                s.close()
                continue
            held.append(s)
        time.sleep(1)
        c0 = H.cpu_s(dm.pid)
        time.sleep(3)
        used = H.cpu_s(dm.pid) - c0
        fit = [ln for ln in dm.log_text().splitlines() if "descriptors: limit" in ln]
        env.check(fit, "the connection cap fitted to the limit: %s" %
                  (fit[0].split("] ", 1)[-1] if fit else "no line"))
        st = env.stats("oprov-sipd")
        env.ok("%d silent connections against a limit of %d descriptors: %s refused "
               "over the cap, %s accept pauses" % (len(held), NOFILE,
                                                    st.get("refused_connection_cap"),
                                                    st.get("accept_pauses")))
        env.check(used < 1.0, "CPU at the limit: %.2f s over 3 s (2 event loops)" % used)
        log = dm.log_text()
        episodes = log.count("sip: accept: ")
        env.check(episodes <= 1, "a shortage logged at most once: %d line(s)" % episodes)
        for s in held:
            s.close()
        code, t0 = 0, time.time()
        while time.time() < t0 + 10 and code != 200:
            try:
                c = H.Sip(dm.tp, timeout=5)
                code = c.ask(c.register("1001", tok))
                c.close()
            except (OSError, ConnectionError):
                time.sleep(0.2)
        env.check(code == 200, "served again %.1f s after the descriptors were freed: %d" %
                  (time.time() - t0, code))
        if episodes:
            env.check("accepting connections again" in dm.log_text(),
                      "the recovery is logged")
        env.check(dm.alive(), "oprov-sipd still running")


if __name__ == "__main__":
    main()
