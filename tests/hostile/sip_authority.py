#!/usr/bin/env python3
"""Issue 11 item 4: a binding does not outlive its authority.  Three
phones hold live bindings: one's tokens are revoked, one's device is
deleted, and the third registered through an Expressway-C on 5091 whose
entry is then removed.  Each binding must be gone within about a second
(the daemons follow the store once a second; the figure is printed), the
edge's connection closed, and after the entry is added again the edge
registers on a new connection without a restart."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

A, B, C = "SEP0000000000A1", "SEP0000000000B2", "SEP0000000000C3"
EDGE = "expc.example.com"
LIMIT = 2.0     # seconds: the promise is one, plus the store copy's flush


def openssl(*args):
    r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (args[0], r.stderr))


def edge_cert(env):
    """A CA in tomcat-trust and an Expressway-C client certificate from it."""
    t = env.tmp
    ca, key = os.path.join(t, "ca.crt"), os.path.join(t, "ca.key")
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", key, "-subj", "/CN=hostile CA", "-days", "2", "-out", ca,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ek, csr, ec = (os.path.join(t, n) for n in ("e.key", "e.csr", "e.crt"))
    ext = os.path.join(t, "e.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s\nextendedKeyUsage=clientAuth\n" % EDGE)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ek, "-subj", "/CN=%s" % EDGE, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", key, "-CAcreateserial",
            "-days", "2", "-extfile", ext, "-out", ec)
    env.ctl("cert", "upload", "--purpose", "tomcat-trust", ca)
    env.ctl("expressway", "add", EDGE, "--x509-name", EDGE)
    return ec, ek


def gone_after(env, dev, t0):
    """Seconds from t0 until dev has no binding in the store's copy."""
    while time.time() < t0 + 10:
        if env.registrations().get(dev, 0) == 0:
            return time.time() - t0
        time.sleep(0.05)
    return None


def conn_closed_after(sip, t0):
    sip.s.settimeout(0.1)
    while time.time() < t0 + 10:
        try:
            if sip.s.recv(4096) == b"":
                return time.time() - t0
        except TimeoutError:
            continue
        except OSError:
            return time.time() - t0
    return None


def registered(env, dev):
    for _ in range(40):
        if env.registrations().get(dev, 0) == 1:
            return True
        time.sleep(0.1)
    return False


def main():
    with H.Env("sipauth") as env:
        ta, tb, tc = (env.sip_device(d, l) for d, l in ((A, "1001"), (B, "2002"), (C, "3003")))
        cert = edge_cert(env)
        dm = env.sipd()
        a, b = H.Sip(dm.tp), H.Sip(dm.tp)
        e = H.Sip(dm.mp, cert=cert)
        for sip, line, tok, dev in ((a, "1001", ta, A), (b, "2002", tb, B), (e, "3003", tc, C)):
            code = sip.ask(sip.register(line, tok, devname=dev,
                                        path="<sip:%s;lr>" % EDGE if sip is e else None))
            env.check(code == 200 and registered(env, dev), "%s registered: %d" % (dev, code))

        t0 = time.time()
        env.ctl("token", "revoke", "--device", A)
        dt = gone_after(env, A, t0)
        env.check(dt is not None and dt <= LIMIT,
                  "tokens revoked: the binding was gone after %.2f s" % (dt or -1))
        code = a.ask(a.register("1001", ta, devname=A))
        env.check(code in (401, 407), "the revoked token's next REGISTER: %d" % code)

        t0 = time.time()
        env.ctl("device", "delete", B)
        dt = gone_after(env, B, t0)
        env.check(dt is not None and dt <= LIMIT,
                  "device deleted: its binding was gone after %.2f s" % (dt or -1))

        t0 = time.time()
        env.ctl("expressway", "delete", EDGE)
        dt = gone_after(env, C, t0)
        dc = conn_closed_after(e, t0)
        env.check(dt is not None and dt <= LIMIT,
                  "Expressway-C entry removed: the binding made through it was gone "
                  "after %.2f s" % (dt or -1))
        env.check(dc is not None and dc <= LIMIT,
                  "... and the edge's connection closed after %.2f s" % (dc or -1))
        env.ctl("expressway", "add", EDGE, "--x509-name", EDGE)
        code = 0
        for _ in range(30):      # the re-added entry reaches sipd within a second
            e2 = H.Sip(dm.mp, cert=cert)
            try:
                code = e2.ask(e2.register("3003", tc, devname=C, path="<sip:%s;lr>" % EDGE))
            except (OSError, ConnectionError):
                code = 0
            e2.close()
            if code == 200:
                break
            time.sleep(0.2)
        env.check(code == 200, "entry added again: the edge registers on a new connection "
                  "(no restart): %d" % code)
        for s in (a, b, e):
            s.close()
        env.check(dm.alive(), "oprov-sipd still running")


if __name__ == "__main__":
    main()
