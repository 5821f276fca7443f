#!/usr/bin/env python3
"""Issue 11 item 9 (httpsd): at the descriptor limit.  oprov-httpsd runs with
a hard RLIMIT_NOFILE of 256 and asks for 4096 connections per listener: it
must log the limit it chose.  Clients from 8 addresses then open far more
connections than fit on all three listeners and hold them idle: the daemon
must not spin (its CPU time over 5 s is printed), and once they close a new
client is served at once."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

NOFILE = 256
ADDRS = 8
PER_ADDR = 60
HOLD_S = 5


def main():
    H.raise_nofile()
    with H.Env("fdlimit") as env:
        dm = env.httpsd("--threads", "2", "--max-connections", "4096",
                        "--per-ip-connections", str(PER_ADDR),
                        limits=(NOFILE, NOFILE))
        log = dm.log_text()
        chosen = [ln for ln in log.splitlines() if "descriptors: limit" in ln]
        env.check(chosen and "using" in chosen[0],
                  "start-up logs the connections that fit: %s" %
                  (chosen[0].split("descriptors: ", 1)[1] if chosen else "nothing"))
        socks = []
        for port in (env.hp, env.cp, env.op):
            for a in range(ADDRS):
                for _ in range(PER_ADDR):
                    s = socket.socket()
                    s.setblocking(False)
                    s.bind((H.addr(a), 0))
                    try:
                        s.connect(("127.0.0.1", port))
                    except BlockingIOError:
                        pass
                    except OSError:
                        s.close()
                        continue
                    socks.append(s)
        time.sleep(1)
        c0 = H.cpu_s(dm.pid)
        time.sleep(HOLD_S)
        used = H.cpu_s(dm.pid) - c0
        st = env.stats("oprov-httpsd")
        held = sum(v for k, v in st.items() if k.startswith("connections{"))
        print("# %d client connections attempted, %d open in the daemon; its CPU "
              "time over %d s at the limit: %.2f s" % (len(socks), held, HOLD_S, used))
        env.check(dm.alive(), "the daemon is still running")
        env.check(used < 0.5 * HOLD_S, "no spinning at the limit: %.2f s of CPU in "
                  "%d s" % (used, HOLD_S))
        warns = log.count("accept() is failing")
        for s in socks:
            s.close()
        t0 = time.time()
        ok = 0
        for port, tls in ((env.hp, False), (env.cp, True), (env.op, True)):
            end = time.time() + 20
            while time.time() < end:
                if H.http(port, "GET", "/healthz", tls=tls, timeout=5)[0] == 200:
                    ok += 1
                    break
                time.sleep(0.2)
        took = time.time() - t0
        env.check(ok == 3, "after the clients left, new clients on all three "
                  "listeners were served in %.2f s" % took)
        log = dm.log_text()
        warns = log.count("accept() is failing")
        again = log.count("accepting connections again")
        env.check(warns == 0, "within the fitted limit accept() never failed")
        emfile_phase(env, dm)


def open_conns(port, n):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.bind((H.addr(i % ADDRS), 0))
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(s)
    return socks


def emfile_phase(env, dm):
    """The limit lowered under the running daemon (prlimit) to a few
    descriptors above those open: accept() now fails with EMFILE."""
    import resource
    nfd = len(os.listdir("/proc/%d/fd" % dm.pid))
    try:
        resource.prlimit(dm.pid, resource.RLIMIT_NOFILE, (nfd + 4, NOFILE))
    except (OSError, AttributeError) as e:
        env.fail("prlimit on the daemon: %s" % e)
    socks = open_conns(env.hp, 40)
    time.sleep(1)
    c0 = H.cpu_s(dm.pid)
    time.sleep(HOLD_S)
    used = H.cpu_s(dm.pid) - c0
    resource.prlimit(dm.pid, resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
    time.sleep(1.5)     # the stats file is written again
    fails = env.stats("oprov-httpsd").get("accept_failures_total", 0)
    print("# descriptors capped at %d under the running daemon, 40 clients: %d "
          "failed accept()s, CPU time over %d s: %.2f s" % (nfd + 4, fails, HOLD_S, used))
    env.check(fails > 0, "accept() did fail with EMFILE (%d times)" % fails)
    env.check(used < 0.5 * HOLD_S, "no spinning at EMFILE: %.2f s of CPU in %d s"
              % (used, HOLD_S))
    for s in socks:
        s.close()
    t0 = time.time()
    end = t0 + 20
    st = 0
    while time.time() < end and st != 200:
        st = H.http(env.hp, "GET", "/healthz", timeout=5)[0]
        if st != 200:
            time.sleep(0.2)
    env.check(st == 200, "descriptors back: a new client served after %.2f s"
              % (time.time() - t0))
    time.sleep(1.5)
    log = dm.log_text()
    warns = log.count("accept() is failing")
    again = log.count("accepting connections again")
    env.check(1 <= warns <= 2 and again >= 1,
              "logged once per episode: %d warning(s) for %d failed accept()s, "
              "%d recovery line(s)" % (warns, fails, again))


if __name__ == "__main__":
    main()
