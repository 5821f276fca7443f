"""oprovtest.py - what every tests/interop/ case shares: a scratch data
directory made with `oprovctl init` (as tests/smoke/ does), oprov-httpsd
started on free loopback ports, the CA that verifies its certificate, and a
tiny TAP-style reporter.  Each case is named after the issue item it checks
("item 3: ...") so a failure says which promise broke.

Only the standard library here: the third-party clients (authlib, PyJWT,
jwcrypto, curl) are what the cases themselves drive.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import freeport  # noqa: E402  (tests/freeport.py)

SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.environ.get("top_builddir") or os.getcwd()
OPROVCTL = os.environ.get("OPROVCTL") or os.path.join(BUILDDIR, "cli", "oprovctl")
HTTPSD = os.path.join(BUILDDIR, "httpsd", "oprov-httpsd")


def free_ports(n):
    """n distinct free ports on 127.0.0.1 (tests/freeport.py: below the
    ephemeral range, never handed to two tests at once)."""
    return freeport.ports(n)


def wait_for(what, cond, timeout=10.0, step=0.05):
    """Polls cond() until it is true; raises naming `what` after timeout."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(step)


class Cluster:
    """A store in a scratch directory and the daemons started on it."""

    def __init__(self, name):
        self.tmp = tempfile.mkdtemp(prefix="oprov-interop-%s." % name)
        self.datadir = os.path.join(self.tmp, "d")
        self.procs = []
        self.logs = []
        self.ca_pem = os.path.join(self.tmp, "ca.pem")

    # ---- oprovctl -------------------------------------------------------
    def ctl(self, *args, check=True, stdin=None):
        p = subprocess.run([OPROVCTL, "-d", self.datadir] + list(args),
                           input=stdin, capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError("oprovctl %s: exit %d: %s" %
                                 (" ".join(args), p.returncode, p.stderr.strip()))
        return p

    def init(self, *extra):
        """oprovctl init with the OAuth port's issuer, the refresh login
        flow on and SIP OAuth mode enabled, as a cluster would be set up."""
        self.cp, self.hp, self.op, self.mp = free_ports(4)
        self.issuer = "https://localhost:%d" % self.op
        self.ctl("init", "--hostname", "localhost", "--issuer", self.issuer, *extra)
        self.ctl("param", "set", "oauth-refresh-login-flow", "on")
        self.ctl("sipoauth-mode", "enable")
        return self

    def device(self, name, profile="Standard-OAuth", line="1001"):
        self.ctl("device", "add", name, "--model", "8845", "--profile", profile,
                 "--line", line)

    def code(self, device):
        return self.ctl("activation-code", "issue", device).stdout.strip()

    def client(self, name, *args):
        return self.ctl("client", "add", name, *args).stdout.strip()

    # ---- oprov-httpsd --------------------------------------------------
    def start_httpsd(self, *extra):
        log = open(os.path.join(self.tmp, "httpsd.log"), "w")
        self.logs.append(log.name)
        p = subprocess.Popen(
            [HTTPSD, "-d", self.datadir, "-f",
             "--config-listen", "127.0.0.1:%d" % self.cp,
             "--http-listen", "127.0.0.1:%d" % self.hp,
             "--oauth-listen", "127.0.0.1:%d" % self.op,
             "--metrics-listen", "127.0.0.1:%d" % self.mp,
             "--threads", "2"] + list(extra),
            stdout=subprocess.DEVNULL, stderr=log)
        self.procs.append(p)

        def up():
            if p.poll() is not None:
                raise AssertionError("oprov-httpsd exited: " + self.log_tail())
            try:
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/healthz" % self.hp, timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for("oprov-httpsd on its ports", up)
        self._fetch_ca()
        return p

    def _fetch_ca(self):
        """caconfig.json on 6970 gives the roots that verify 6971 / 8443."""
        with urllib.request.urlopen("http://127.0.0.1:%d/caconfig.json" % self.hp) as r:
            doc = json.load(r)
        with open(self.ca_pem, "w") as f:
            f.write("".join(c["pem"] for c in doc["certificates"]))

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.ca_pem)

    def url(self, port, path):
        """An https URL on localhost (the certificate's name)."""
        return "https://localhost:%d%s" % (port, path)

    def log_tail(self, n=30):
        out = []
        for name in self.logs:
            try:
                with open(name) as f:
                    out.extend(f.read().splitlines()[-n:])
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []

    def close(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Report:
    """Named cases, TAP-ish output, exit status 1 when any failed."""

    def __init__(self, cluster=None):
        self.n = 0
        self.failed = 0
        self.cluster = cluster

    def case(self, name, fn, *args):
        self.n += 1
        try:
            fn(*args)
        except Exception:                       # report every failure
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            traceback.print_exc(file=sys.stdout)
            if self.cluster is not None:
                print("--- daemon log\n" + self.cluster.log_tail())
            return
        print("ok %d - %s" % (self.n, name))

    def finish(self):
        print("1..%d" % self.n)
        if self.cluster is not None:
            self.cluster.close()
        sys.exit(1 if self.failed or self.n == 0 else 0)


def curl(*args):
    """Runs curl; returns (status, headers dict (lower-case names, last
    value), body bytes).  --resolve maps localhost to 127.0.0.1."""
    with tempfile.NamedTemporaryFile() as hdr, tempfile.NamedTemporaryFile() as body:
        p = subprocess.run(["curl", "-sS", "-o", body.name, "-D", hdr.name,
                            "-w", "%{http_code}"] + list(args),
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError("curl %s: exit %d: %s" %
                                 (" ".join(args), p.returncode, p.stderr.strip()))
        headers = {}
        raw = open(hdr.name, "rb").read().decode("latin-1")
        for line in raw.splitlines():
            if ":" in line and not line.startswith("HTTP/"):
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
            elif line.startswith("HTTP/"):
                headers = {"_raw": []}
            if "_raw" in headers:
                headers["_raw"].append(line)
        return int(p.stdout), headers, open(body.name, "rb").read()


def raw_http(port, data, timeout=5.0):
    """Sends raw bytes to 127.0.0.1:port over plain TCP; returns what the
    server sent until it closed (or the timeout) and whether it closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    closed = False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out, closed


def check(cond, what, *detail):
    if not cond:
        raise AssertionError(what + (": " + " ".join(str(d) for d in detail)
                                     if detail else ""))
