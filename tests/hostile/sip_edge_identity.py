#!/usr/bin/env python3
"""Issue 12 item 10: who may speak on 5091.  An Expressway-C entry
"expc.example.com" is recorded; client certificates from a tomcat-trust CA
try to pass for it: one whose SAN names another host but whose CN is the
entry (RFC 6125: the SAN decides, the CN is not looked at), one with a
wildcard SAN "*.example.com" (matches only an entry that is that wildcard),
and the real one (SAN = the entry).  Then a certificate from a CA that was
uploaded under another purpose (phone-edge-trust) must be refused with a
log line naming that purpose, not "self-signed certificate in certificate
chain"."""
import os
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

EDGE = "expc.example.com"


def openssl(*args):
    r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (args[0], r.stderr))


def ca(env, name):
    c, k = os.path.join(env.tmp, name + ".crt"), os.path.join(env.tmp, name + ".key")
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", k, "-subj", "/CN=hostile %s" % name, "-days", "2", "-out", c,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return c, k


def leaf(env, name, issuer, cn, sans):
    t = env.tmp
    k, csr, c, ext = (os.path.join(t, name + s) for s in (".key", ".csr", ".crt", ".ext"))
    with open(ext, "w") as f:
        if sans:
            f.write("subjectAltName=%s\n" % ",".join("DNS:" + s for s in sans))
        f.write("extendedKeyUsage=clientAuth\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", k, "-subj", "/CN=%s" % cn, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", issuer[0], "-CAkey", issuer[1],
            "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", c)
    return c, k


def try_register(port, cert, tok):
    try:
        s = H.Sip(port, cert=cert)
    except (OSError, ssl.SSLError) as e:
        return "handshake refused (%s)" % e.__class__.__name__
    try:
        code = s.ask(s.register("1001", tok, path="<sip:%s;lr>" % EDGE))
        return code
    except (OSError, ConnectionError, ssl.SSLError) as e:
        return "closed (%s)" % e.__class__.__name__
    finally:
        s.close()


def main():
    with H.Env("sipedge") as env:
        tok = env.sip_device("SEP0000000000A1", "1001")
        good_ca, wrong_ca = ca(env, "ca"), ca(env, "wrongca")
        env.ctl("cert", "upload", "--purpose", "tomcat-trust", good_ca[0])
        env.ctl("cert", "upload", "--purpose", "phone-edge-trust", wrong_ca[0])
        env.ctl("expressway", "add", EDGE, "--x509-name", EDGE)
        certs = {
            "real": leaf(env, "real", good_ca, EDGE, [EDGE]),
            "cn-only-match": leaf(env, "cnmatch", good_ca, EDGE, ["other.example.com"]),
            "wildcard": leaf(env, "wild", good_ca, "wild", ["*.example.com"]),
            "no-san": leaf(env, "nosan", good_ca, EDGE, []),
            "wrong-purpose-ca": leaf(env, "wrongp", wrong_ca, EDGE, [EDGE]),
        }
        dm = env.sipd()
        r = try_register(dm.mp, certs["real"], tok)
        env.check(r == 200, "SAN dNSName = the entry: %s" % r)
        r = try_register(dm.mp, certs["no-san"], tok)
        env.check(r == 200, "no SAN, CN = the entry (the CN counts only then): %s" % r)
        r = try_register(dm.mp, certs["cn-only-match"], tok)
        env.check(r == 403, "CN = the entry but the SAN names another host: %s "
                  "(the SAN decides)" % r)
        r = try_register(dm.mp, certs["wildcard"], tok)
        env.check(r == 403, "SAN *.example.com against the entry %s: %s" % (EDGE, r))
        env.ctl("expressway", "add", "wild.example.com", "--x509-name", "*.example.com")
        ok = None
        for _ in range(30):     # sipd follows the entries within a second
            ok = try_register(dm.mp, certs["wildcard"], tok)
            if ok == 200:
                break
            time.sleep(0.2)
        env.check(ok == 200, "... accepted once an entry's name is *.example.com itself: %s" % ok)
        r = try_register(dm.mp, certs["wrong-purpose-ca"], tok)
        env.check(r != 200, "a certificate from a CA uploaded as phone-edge-trust: %s" % r)
        line = ""
        for _ in range(20):
            line = next((ln for ln in dm.log_text().splitlines()
                         if "phone-edge-trust, not tomcat-trust" in ln), "")
            if line:
                break
            time.sleep(0.1)
        env.check(line, "the log names the purpose: %s" % line.split("] ", 1)[-1])
        env.check(dm.alive(), "oprov-sipd still running")


if __name__ == "__main__":
    main()
