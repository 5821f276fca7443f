"""store_purge_client.py - issue 11 item 14: purging runs on its own.  Expired
rows (a used activation code past its expiry, a refresh family past its
expiry with its tokens, a revocation past purge_after, an expired rate
counter) are put into a store made by `oprovctl init`; oprov-httpsd is
started and nobody calls anything: its sync thread claims the cluster's
housekeeping (store_housekeep, one process of one node per interval) and
the rows go.  Prints how long it took and which node claimed it.
"""
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import freeport  # noqa: E402  (tests/freeport.py)

BUILD = os.environ.get("top_builddir") or os.getcwd()
CTL = os.path.join(BUILD, "cli", "oprovctl")
HTTPSD = os.path.join(BUILD, "httpsd", "oprov-httpsd")
BOUND_S = 15.0

tmp = tempfile.mkdtemp(prefix="oprov-store-purge.")
D = os.path.join(tmp, "d")
proc = None


def finish(rc, msg):
    print(msg, flush=True)
    if rc == 1:
        try:
            print(open(os.path.join(tmp, "httpsd.log"), errors="replace").read()[-3000:])
        except OSError:
            pass
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait(20)
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(rc)


def ctl(*args):
    r = subprocess.run([CTL, "-d", D] + list(args), capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        finish(1, "FAIL: oprovctl %s: %s" % (" ".join(args), r.stderr.strip()))


def free_port():
    return freeport.port()   # tests/freeport.py


def counts(db):
    return {t: db.execute(q).fetchone()[0] for t, q in (
        ("activation_code", "SELECT count(*) FROM activation_code WHERE expires < 1000"),
        ("refresh_family", "SELECT count(*) FROM refresh_family WHERE id = 'old'"),
        ("refresh_token", "SELECT count(*) FROM refresh_token WHERE family = 'old'"),
        ("revocation", "SELECT count(*) FROM revocation WHERE purge_after < 1000"),
        ("rate_counter", "SELECT count(*) FROM rate_counter WHERE expires < 1000"))}


for p in (CTL, HTTPSD):
    if not os.access(p, os.X_OK):
        finish(77, "SKIP: %s not built" % p)
ctl("init", "--hostname", "localhost", "--key-type", "ec256")
ctl("device", "add", "SEP0000000000E7", "--model", "8845", "--profile",
    "Standard-OAuth", "--line", "3000")
db = sqlite3.connect(os.path.join(D, "oprov.db"), timeout=30)
with db:
    db.execute("INSERT INTO activation_code (device, code_hash, created, expires,"
               " used_at) VALUES ('SEP0000000000E7', 'x', 100, 200, 150)")
    db.execute("INSERT INTO refresh_family (id, device, owner, client_id, scope,"
               " created, expires) VALUES ('old', 'SEP0000000000E7', '',"
               " 'oprov-device', 'openid', 100, 200)")
    for i in range(20):
        db.execute("INSERT INTO refresh_token (hash, family, state, created)"
                   " VALUES (?, 'old', ?, 100)", ("h%d" % i, 1 if i else 0))
    db.execute("INSERT INTO revocation (kind, value, issued_before, purge_after,"
               " created) VALUES (0, 'oldjti', 9223372036854775807, 300, 100)")
    db.execute("INSERT INTO rate_counter (name, window_start, hits, expires)"
               " VALUES ('activation-code:192.0.2.1', 100, 3, 400)")
before = counts(db)
if any(v == 0 for v in before.values()):
    finish(1, "FAIL: the expired rows were not written: %s" % before)
cp, hp, op = free_port(), free_port(), free_port()
log = open(os.path.join(tmp, "httpsd.log"), "w")
t0 = time.monotonic()
proc = subprocess.Popen([HTTPSD, "-d", D, "-f", "--config-listen",
                         "127.0.0.1:%d" % cp, "--http-listen", "127.0.0.1:%d" % hp,
                         "--oauth-listen", "127.0.0.1:%d" % op,
                         "--metrics-listen", "off"],
                        stdout=log, stderr=log)
while True:
    now = counts(db)
    if not any(now.values()):
        break
    if proc.poll() is not None:
        finish(1, "FAIL: oprov-httpsd exited")
    if time.monotonic() - t0 > BOUND_S:
        finish(1, "FAIL: expired rows still there after %.0f s: %s" % (BOUND_S, now))
    time.sleep(0.1)
took = time.monotonic() - t0
node, last = db.execute("SELECT node, last_purge FROM housekeeping WHERE id = 1").fetchone()
if not node or last < time.time() - 60:
    finish(1, "FAIL: housekeeping row says node %r at %s" % (node, last))
if counts(db) != {k: 0 for k in before} or \
        db.execute("SELECT count(*) FROM device").fetchone()[0] != 1:
    finish(1, "FAIL: the purge took more than the expired rows")
db.close()
finish(0, "ok - expired rows (%s) purged by oprov-httpsd on its own %.1f s after "
       "start, claimed by node %s" % (", ".join("%s %d" % kv for kv in before.items()),
                                      took, node))
