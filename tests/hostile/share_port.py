#!/usr/bin/env python3
"""Issue 11 item 12: a second daemon on a port in use refuses to start
(a second oprov-tftpd on the same UDP port, a second oprov-httpsd or
oprov-sipd on the same TCP ports, a UDP port held by another program), unless --share-port
asks for sharing; and scripts/demo-run.sh checks its TFTP port over UDP."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402


def refused(env, dm, what):
    try:
        rc = dm.proc.wait(20)
    except Exception:
        env.fail("%s: still running" % what)
    line = [ln for ln in dm.log_text().splitlines() if "start-up: bind" in ln]
    env.check(rc != 0 and line, "%s refused to start (exit %d): %s" %
              (what, rc, line[0].split("] ", 1)[-1] if line else "no start-up line"))


def main():
    with H.Env("shareport") as env:
        env.file("a.txt", b"first\n")
        first = env.tftpd()
        port = first.port
        d2 = env.other_store()
        second = env.tftpd(port=port, wait=False, d=d2)
        refused(env, second, "a second oprov-tftpd on UDP port %d" % port)
        env.check(H.tftp_get(port, "a.txt") == b"first\n",
                  "the first tftpd still serves every client")
        first.stop()

        # Another program holding the UDP port (no SO_REUSEPORT) also stops it.
        hold = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        hold.bind(("127.0.0.1", 0))
        other = env.tftpd(port=hold.getsockname()[1], wait=False)
        refused(env, other, "oprov-tftpd on a UDP port another program holds")
        hold.close()

        # With --share-port on both, two tftpds share one port.
        a = env.tftpd("--share-port")
        b = env.tftpd("--share-port", port=a.port, d=d2)
        env.check(a.alive() and b.alive() and "--share-port" in b.log_text(),
                  "with --share-port two tftpds share UDP port %d (logged)" % a.port)
        a.stop()
        b.stop()

        h1 = env.httpsd()
        h2 = env.httpsd(wait=False, d=d2)
        refused(env, h2, "a second oprov-httpsd on the same ports")
        env.check(H.http(env.hp, "GET", "/healthz")[0] == 200,
                  "the first httpsd still answers")
        h1.stop()
        s1 = env.httpsd("--share-port")
        s2 = env.httpsd("--share-port", d=d2)
        time.sleep(0.5)
        env.check(s1.alive() and s2.alive(),
                  "with --share-port two httpsd share the three ports")
        s1.stop()
        s2.stop()

        p1 = env.sipd()
        p2 = env.sipd(wait=False, ports=(p1.tp, p1.mp), d=d2)
        refused(env, p2, "a second oprov-sipd on the same ports")
        env.check(p1.alive(), "the first sipd still runs")
        p1.stop()
        q1 = env.sipd("--share-port")
        q2 = env.sipd("--share-port", wait=False, ports=(q1.tp, q1.mp), d=d2)
        time.sleep(1)
        env.check(q1.alive() and q2.alive() and "--share-port" in q2.log_text(),
                  "with --share-port two sipd share the SIP ports (logged)")

        demo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                            "scripts", "demo-run.sh")
        with open(demo) as f:
            text = f.read()
        env.check("free_port 16969 udp" in text and "SOCK_DGRAM" in text,
                  "demo-run.sh checks its TFTP port over UDP")


if __name__ == "__main__":
    main()
