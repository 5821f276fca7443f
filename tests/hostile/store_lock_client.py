"""store_lock_client.py - issue 11 item 7: a held SQLite write lock must
not freeze oprov-httpsd.  While this script holds a write transaction on
DATADIR/oprov.db (BEGIN IMMEDIATE, as an administrator's sqlite3 session
could), what needs no write (8443 /healthz, JWKS, metadata; a device's
config on 6971; a public file on 6970) keeps answering at once, and what
needs one (onboarding, a refresh) answers 503 with Retry-After within
HTTPSD_LOCK_WAIT_MS and a margin, never holding a server thread for
seconds; eight such writes at once do not slow /healthz.  Once the lock is
released, the activation code that met the lock still works (nothing was
consumed).  Prints each bound.  Exits 0, 1 (FAIL) or 77 (skipped).
"""
import http.client
import json
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import freeport  # noqa: E402  (tests/freeport.py)

BUILD = os.environ.get("top_builddir") or os.getcwd()
CTL = os.path.join(BUILD, "cli", "oprovctl")
HTTPSD = os.path.join(BUILD, "httpsd", "oprov-httpsd")
GRANT = "urn:oprov:params:oauth:grant-type:activation-code"
# Bounds: a read while the lock is held; a refused write (500 ms of lock
# wait in httpsd, the rest is TLS on a loaded machine).
READ_BOUND_S = 1.0
WRITE_BOUND_S = 2.0
# httpsd's HTTPSD_STORE_BACKOFF_MS: 503 at once for this long after one.
BACKOFF_S = 0.5

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE

tmp = tempfile.mkdtemp(prefix="oprov-store-lock.")
D = os.path.join(tmp, "d")
daemon = None
n_ok = 0


def ok(msg):
    global n_ok
    n_ok += 1
    print("ok %d - %s" % (n_ok, msg), flush=True)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    try:
        print("--- httpsd log:\n" + "".join(open(os.path.join(tmp, "httpsd.log"),
                                                errors="replace").readlines()[-25:]))
    except OSError:
        pass
    finish(1)


def finish(rc):
    if daemon is not None and daemon.poll() is None:
        daemon.terminate()
        try:
            daemon.wait(20)
        except subprocess.TimeoutExpired:
            daemon.kill()
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(rc)


def ctl(*args):
    r = subprocess.run([CTL, "-d", D] + list(args), capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        fail("oprovctl %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout.strip()


def free_port():
    return freeport.port()   # tests/freeport.py


def req(port, method, path, form=None, token=None, tls=True, timeout=30):
    """(status, headers, body, seconds)."""
    t0 = time.monotonic()
    c = (http.client.HTTPSConnection("127.0.0.1", port, context=CTX,
                                     timeout=timeout) if tls else
         http.client.HTTPConnection("127.0.0.1", port, timeout=timeout))
    hd = {"Connection": "close"}
    body = None
    if form is not None:
        body = "&".join("%s=%s" % kv for kv in form.items())
        hd["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        hd["Authorization"] = "Bearer " + token
    try:
        c.request(method, path, body=body, headers=hd)
        r = c.getresponse()
        data = r.read()
        return (r.status, {k.lower(): v for k, v in r.getheaders()}, data,
                time.monotonic() - t0)
    finally:
        c.close()


def main():
    global daemon
    for p in (CTL, HTTPSD):
        if not os.access(p, os.X_OK):
            print("SKIP: %s not built" % p)
            finish(77)
    cp, hp, op = free_port(), free_port(), free_port()
    ctl("init", "--hostname", "localhost", "--issuer", "https://localhost:%d" % op)
    ctl("param", "set", "oauth-refresh-login-flow", "on")
    ctl("sipoauth-mode", "enable")
    codes = {}
    for i in range(3):
        dev = "SEP0000000000%02X" % (0xA0 + i)
        ctl("device", "add", dev, "--model", "8845", "--profile",
            "Standard-OAuth", "--line", str(2000 + i))
        codes[dev] = ctl("activation-code", "issue", dev)
    with open(os.path.join(D, "files", "public.txt"), "w") as f:
        f.write("public\n")
    log = open(os.path.join(tmp, "httpsd.log"), "w")
    daemon = subprocess.Popen(
        [HTTPSD, "-d", D, "-f", "--config-listen", "127.0.0.1:%d" % cp,
         "--http-listen", "127.0.0.1:%d" % hp, "--oauth-listen",
         "127.0.0.1:%d" % op, "--metrics-listen", "off", "--threads", "2"], stdout=log, stderr=log)
    end = time.time() + 60
    while True:
        try:
            if req(op, "GET", "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if daemon.poll() is not None or time.time() > end:
            fail("oprov-httpsd did not come up")
        time.sleep(0.1)

    devs = sorted(codes)
    s, h, b, _ = req(op, "POST", "/oauth/token", form={
        "grant_type": GRANT, "activation_code": codes[devs[0]],
        "device": devs[0]})
    if s != 200:
        fail("onboarding before the lock: %d %s" % (s, b[:200]))
    tok = json.loads(b)
    refresh = tok.get("refresh_token")
    if not refresh:
        fail("no refresh token with the refresh login flow on")

    # ---- the lock --------------------------------------------------------
    db = sqlite3.connect(os.path.join(D, "oprov.db"), timeout=30,
                         isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE param SET value = value WHERE 0")
    t_lock = time.monotonic()

    reads = [("8443 /healthz", op, "/healthz", None, True),
             ("8443 JWKS", op, "/oauth/jwks.json", None, True),
             ("8443 metadata", op, "/.well-known/oauth-authorization-server",
              None, True),
             ("6971 config", cp, "/%s.cnf.xml" % devs[0], tok["access_token"],
              True),
             ("6970 public file", hp, "/public.txt", None, False)]
    worst = {}
    for name, port, path, token, tls in reads:
        s, h, b, dt = req(port, "GET", path, token=token, tls=tls)
        if s != 200:
            fail("%s during a held write lock: %d" % (name, s))
        worst[name] = dt
    slow = {k: v for k, v in worst.items() if v > READ_BOUND_S}
    if slow:
        fail("reads slower than %.1f s during the lock: %s" % (READ_BOUND_S, slow))
    ok("during a held write lock: " +
       ", ".join("%s %.3f s" % kv for kv in worst.items()))

    s, h, b, dt = req(op, "POST", "/oauth/token", form={
        "grant_type": GRANT, "activation_code": codes[devs[1]],
        "device": devs[1]})
    if s != 503 or "retry-after" not in h or dt > WRITE_BOUND_S:
        fail("onboarding during the lock: %d (Retry-After %s) in %.2f s, want "
             "503 + Retry-After within %.1f s" % (s, h.get("retry-after"), dt,
                                                 WRITE_BOUND_S))
    ok("token request during the lock answered 503 Retry-After: %s in %.2f s"
       % (h["retry-after"], dt))
    s, h, b, dt = req(op, "POST", "/oauth/token", form={
        "grant_type": "refresh_token", "refresh_token": refresh})
    if s != 503 or "retry-after" not in h or dt > WRITE_BOUND_S:
        fail("refresh during the lock: %d in %.2f s" % (s, dt))
    ok("refresh during the lock answered 503 Retry-After: %s in %.2f s"
       % (h["retry-after"], dt))

    # Eight writes at once (the attack froze 8443 with two) beside /healthz,
    # once the back-off of the first 503 (HTTPSD_STORE_BACKOFF_MS) is over.
    time.sleep(BACKOFF_S + 0.2)
    res = []

    def writer():
        try:
            r = req(op, "POST", "/oauth/token", form={
                "grant_type": GRANT, "activation_code": codes[devs[2]],
                "device": devs[2]})
            res.append((r[0], r[3]))
        except OSError as e:
            res.append((str(e), 99.0))
    ts = [threading.Thread(target=writer) for _ in range(8)]
    for t in ts:
        t.start()
    hz = []
    for _ in range(5):
        s, h, b, dt = req(op, "GET", "/healthz")
        hz.append((s, dt))
    for t in ts:
        t.join()
    if any(x[0] != 503 for x in res) or max(x[1] for x in res) > 2 * WRITE_BOUND_S:
        fail("eight token requests during the lock: %s" % res)
    if any(x[0] != 200 for x in hz) or max(x[1] for x in hz) > READ_BOUND_S:
        fail("/healthz beside eight blocked writes: %s" % hz)
    ok("8 token requests at once: all 503 within %.2f s; /healthz beside them "
       "within %.3f s" % (max(x[1] for x in res), max(x[1] for x in hz)))
    held = time.monotonic() - t_lock
    db.execute("ROLLBACK")
    db.close()

    # ---- released ------------------------------------------------------------
    # Within the back-off the answer is still 503; then the code works.
    t_rel = time.monotonic()
    while True:
        s, h, b, dt = req(op, "POST", "/oauth/token", form={
            "grant_type": GRANT, "activation_code": codes[devs[1]],
            "device": devs[1]})
        if s != 503 or time.monotonic() - t_rel > BACKOFF_S + WRITE_BOUND_S:
            break
        time.sleep(0.05)
    if s != 200:
        fail("onboarding after the lock (held %.1f s): %d %s" % (held, s, b[:200]))
    back = time.monotonic() - t_rel
    s, h, b, dt = req(op, "POST", "/oauth/token", form={
        "grant_type": "refresh_token", "refresh_token": refresh})
    if s != 200:
        fail("refresh after the lock: %d %s" % (s, b[:200]))
    ok("lock released after %.1f s: onboarding back %.2f s later; the code "
       "and the refresh token that met it work (nothing was consumed)"
       % (held, back))
    if daemon.poll() is not None:
        fail("oprov-httpsd exited")
    finish(0)


main()
