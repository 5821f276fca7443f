#!/usr/bin/env python3
"""Issue 11 item 6: slow request bodies.  On each of 6970, 6971 and 8443,
attackers from 6 addresses keep up to 64 connections each open (more than
the listener's --max-connections), each sending its request headers with a
large Content-Length and then one body byte every 10 s, and reconnect as
soon as one is cut.  Meanwhile a new client asks every listener for
/healthz once a second: every one of those must be answered, and the case
prints how many slow connections were held and the worst time a new client
waited."""
import os
import selectors
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

ADDRS = 6
PER_ADDR = 64
MAX_CONN = 128
THREADS = 3                  # attacker threads per port, ADDRS / THREADS addresses each
ATTACK_S = 30
BYTE_EVERY_S = 10

HEAD = (b"POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100000\r\n\r\n")


class Attack(threading.Thread):
    """Keeps ADDRS x PER_ADDR slow-body connections to one port."""

    def __init__(self, port, tls, addrs=range(ADDRS)):
        super().__init__(daemon=True)
        self.port, self.tls, self.addrs = port, tls, list(addrs)
        self.socks = {}          # socket -> (address index, last byte time)
        self.stop = False
        self.peak = 0
        self.opened = 0

    def fill(self):
        count = [0] * ADDRS
        for a, _ in self.socks.values():
            count[a] += 1
        for a in self.addrs:
            for _ in range(PER_ADDR - count[a]):
                if self.stop:
                    return
                try:
                    s = H.connect(self.port, H.addr(a), self.tls, timeout=2)
                    s.sendall(HEAD)
                    s.setblocking(False)
                except OSError:
                    break        # at the limit or refused: try again later
                self.socks[s] = (a, time.time())
                self.sel.register(s, selectors.EVENT_READ)
                self.opened += 1

    def drop(self, s):
        if self.socks.pop(s, None) is not None:
            self.sel.unregister(s)
        try:
            s.close()
        except OSError:
            pass

    def run(self):
        self.sel = selectors.DefaultSelector()
        while not self.stop:
            self.fill()
            # A connection the server cut becomes readable (EOF / reset).
            ready = self.sel.select(0.5) if self.socks else time.sleep(0.5) or []
            for key, _ in ready:
                s = key.fileobj
                try:
                    if not s.recv(4096):
                        self.drop(s)
                except (OSError, ValueError):
                    self.drop(s)
            now = time.time()
            for s, (a, t) in list(self.socks.items()):
                if now - t >= BYTE_EVERY_S:
                    try:
                        s.send(b"a")
                        self.socks[s] = (a, now)
                    except (OSError, ValueError):
                        self.drop(s)
        for s in list(self.socks):
            self.drop(s)


def lone_slow_body(env):
    """One slow body on an idle listener: the minimum rate (128 bytes/s
    after 4 s) cuts it long before the 15 s whole-request deadline."""
    s = H.connect(env.op, H.addr(7), tls=True)
    s.sendall(HEAD + b"a")
    t0 = time.time()
    s.settimeout(30)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    took = time.time() - t0
    s.close()
    env.check(took < 10, "a lone slow body (1 byte, then nothing) on an idle "
              "listener was cut after %.1f s (minimum rate; deadline 15 s)" % took)


def main():
    H.raise_nofile()
    with H.Env("slowbody") as env:
        env.httpsd("--threads", "2", "--max-connections", str(MAX_CONN),
                   "--per-ip-connections", str(PER_ADDR))
        env.ok("oprov-httpsd up, --max-connections %d per listener" % MAX_CONN)
        lone_slow_body(env)
        ports = [(env.hp, False, "6970"), (env.cp, True, "6971"), (env.op, True, "8443")]
        attacks = [[Attack(p, tls, range(i, ADDRS, THREADS)) for i in range(THREADS)]
                   for p, tls, _ in ports]
        for a in sum(attacks, []):
            a.start()
        waits = {name: [] for _, _, name in ports}
        held = {name: 0 for _, _, name in ports}
        failed = []
        end = time.time() + ATTACK_S
        while time.time() < end:
            for port, tls, name in ports:
                t0 = time.time()
                st, _ = H.http(port, "GET", "/healthz", tls=tls, timeout=20)
                waits[name].append(time.time() - t0)
                if st != 200:
                    failed.append("%s: status %d after %.1f s" % (name, st, time.time() - t0))
            st = env.stats("oprov-httpsd")
            for lname, name in (("http-public", "6970"), ("https-config", "6971"),
                                ("https-oauth", "8443")):
                held[name] = max(held[name], st.get('connections{listener="%s"}' % lname, 0))
            time.sleep(1)
        cut = env.stats("oprov-httpsd").get("slow_requests_cut_total", 0)
        for a in sum(attacks, []):
            a.stop = True
        for a in sum(attacks, []):
            a.join(30)
        for (port, tls, name), a in zip(ports, attacks):
            print("# %s: %d connections open at once (peak, the daemon's count), "
                  "%d slow-body connections opened in %d s; new clients served "
                  "%d of %d, worst wait %.2f s, median %.2f s" % (name, held[name],
                                     sum(t.opened for t in a), ATTACK_S,
                                     len(waits[name]) - sum(1 for f in failed if f.startswith(name)),
                                     len(waits[name]), max(waits[name]),
                                     H.percentile(waits[name], 50)))
        env.check(all(v >= MAX_CONN * 3 // 4 for v in held.values()),
                  "the attack held at least 75%% of every listener's %d slots "
                  "(peaks %s)" % (MAX_CONN, ", ".join(str(v) for v in held.values())))
        env.check(not failed, "every new client was served during the attack%s"
                  % ("" if not failed else ": " + "; ".join(failed[:5])))
        worst = max(max(w) for w in waits.values())
        env.check(worst < 15, "%d slow-body connections held, a new client was "
                  "served in at most %.2f s" % (sum(held.values()), worst))
        log = env.daemons[0].log_text()
        env.check(cut > 0 and "cut off" in log, "the daemon cut %d slow connections "
                  "and logged it" % cut)


if __name__ == "__main__":
    main()
