"""hostile.py - what the tests/hostile/ cases share: a data directory made
by `oprovctl init` in a temporary directory, the daemons started on free
ports in the foreground (their logs kept), many client source addresses
(127.x.y.z, all of which are loopback on Linux), RSS and CPU time of a
daemon from /proc, small TLS / HTTP / TFTP client helpers, and the case's
verdict.  A case prints "ok - ..." lines with its measured bound and exits
0, or "FAIL: ..." with the last daemon log lines and exits 1; 77 skips.
"""
import os
import resource
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import freeport  # noqa: E402  (tests/freeport.py)

TOP_BUILDDIR = os.environ.get("top_builddir") or os.getcwd()
CTL = os.environ.get("OPROVCTL") or os.path.join(TOP_BUILDDIR, "cli", "oprovctl")
HTTPSD = os.path.join(TOP_BUILDDIR, "httpsd", "oprov-httpsd")
TFTPD = os.path.join(TOP_BUILDDIR, "tftp", "oprov-tftpd")
SIPD = os.path.join(TOP_BUILDDIR, "sip", "oprov-sipd")

GRANT_CODE = "urn:oprov:params:oauth:grant-type:activation-code"


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def raise_nofile():
    """Many client sockets: the soft descriptor limit up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def addr(i):
    """The i-th client source address: 127.1.x.y (i from 0)."""
    return "127.1.%d.%d" % (i // 250, i % 250 + 1)


def free_port(kind=socket.SOCK_STREAM):
    """A port free for TCP and UDP (tests/freeport.py); kind is kept for
    the callers that name it."""
    del kind
    return freeport.port()


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def cpu_s(pid):
    """User + system CPU seconds of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sanitized():
    """Whether the daemons carry ASan (their memory figures are larger)."""
    try:
        with open(HTTPSD, "rb") as f:
            data = f.read()
        return b"__asan_init" in data or b"AddressSanitizer" in data
    except OSError:
        return False


class Daemon:
    def __init__(self, proc, log, name):
        self.proc = proc
        self.log = log
        self.name = name

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Env:
    """A data directory from `oprovctl init` and the daemons on it."""

    def __init__(self, name):
        for p in (CTL, HTTPSD, TFTPD):
            if not os.access(p, os.X_OK):
                skip("%s not built" % p)
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="oprov-hostile-%s." % name)
        self.d = os.path.join(self.tmp, "d")
        self.daemons = []
        self.n = 0
        self.cp, self.hp, self.op = free_port(), free_port(), free_port()
        self.ctl("init", "--hostname", "localhost", "--issuer",
                 "https://localhost:%d" % self.op)
        os.makedirs(os.path.join(self.d, "files"), exist_ok=True)

    # ---- verdict ----
    def ok(self, what):
        self.n += 1
        print("ok %d - %s" % (self.n, what), flush=True)

    def fail(self, what):
        print("FAIL: " + what, flush=True)
        for dm in self.daemons:
            print("--- last lines of %s" % dm.log)
            print("\n".join(dm.log_text().splitlines()[-25:]))
        self.close()
        sys.exit(1)

    def check(self, cond, what):
        if cond:
            self.ok(what)
        else:
            self.fail(what)

    def close(self):
        bad = []
        for dm in self.daemons:
            dm.stop()
            text = dm.log_text()
            for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                         "runtime error:"):
                if mark in text:
                    bad.append("%s: %s" % (dm.log, text[text.index(mark):][:2000]))
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.daemons = []
        if bad:
            # A sanitizer report from a daemon fails the case.
            print("FAIL: sanitizer report\n" + "\n".join(bad), flush=True)
            sys.exit(1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- the store ----
    def ctl(self, *args):
        r = subprocess.run([CTL, "-d", self.d] + list(args), capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            self.fail("oprovctl %s: %s" % (" ".join(args), r.stderr.strip()))
        return r.stdout.strip()

    def oauth_device(self, name, line):
        """An OAuth device and its activation code."""
        if not getattr(self, "_oauth", False):
            self.ctl("sipoauth-mode", "enable")
            self._oauth = True
        self.ctl("device", "add", name, "--model", "8845", "--profile",
                 "Standard-OAuth", "--line", line)
        return self.ctl("activation-code", "issue", name)

    def stats(self, prog):
        """The daemon's counters file (DATADIR/run/PROG.stats) as a dict of
        "name{labels}" -> value; {} before it is written."""
        out = {}
        try:
            with open(os.path.join(self.d, "run", prog + ".stats")) as f:
                for line in f:
                    k, _, v = line.strip().rpartition(" ")
                    if k and not k.startswith("#"):
                        out[k] = int(v)
        except (OSError, ValueError):
            pass
        return out

    def file(self, name, data):
        with open(os.path.join(self.d, "files", name), "wb") as f:
            f.write(data)

    # ---- daemons ----
    def spawn(self, name, argv, limits=None):
        log = os.path.join(self.tmp, "%s.%d.log" % (name, len(self.daemons)))
        pre = None
        if limits is not None:
            def pre():
                resource.setrlimit(resource.RLIMIT_NOFILE, limits)
        with open(log, "w") as lf:
            proc = subprocess.Popen(argv, stdout=lf, stderr=subprocess.STDOUT,
                                    preexec_fn=pre)
        dm = Daemon(proc, log, name)
        self.daemons.append(dm)
        return dm

    def other_store(self):
        """A second data directory (another store) for a second instance."""
        d = os.path.join(self.tmp, "d%d" % len(self.daemons))
        r = subprocess.run([CTL, "-d", d, "init", "--hostname", "localhost",
                            "--issuer", "https://localhost:%d" % self.op],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            self.fail("oprovctl init (second store): " + r.stderr.strip())
        return d

    def httpsd(self, *extra, limits=None, wait=True, ports=None, d=None):
        cp, hp, op = ports or (self.cp, self.hp, self.op)
        dm = self.spawn("httpsd", [HTTPSD, "-d", d or self.d, "-f",
                                   "--config-listen", "127.0.0.1:%d" % cp,
                                   "--http-listen", "127.0.0.1:%d" % hp,
                                   "--oauth-listen", "127.0.0.1:%d" % op,
                                   "--metrics-listen", "off"] +
                        list(extra), limits)
        if wait:
            end = time.time() + 30
            while time.time() < end:
                if not dm.alive():
                    self.fail("oprov-httpsd exited: %s" % dm.log_text()[-400:])
                if http_get("127.0.0.1", hp, "/healthz", timeout=2)[0] == 200:
                    return dm
                time.sleep(0.1)
            self.fail("oprov-httpsd did not come up")
        return dm

    def sipd(self, *extra, limits=None, wait=True, ports=None, d=None):
        """oprov-sipd with TLS (dm.tp) and mutual-TLS (dm.mp) listeners on
        free ports (or ports); the cluster's SIP OAuth mode of this Env's
        store is turned on first."""
        if not getattr(self, "_oauth", False):
            self.ctl("sipoauth-mode", "enable")
            self._oauth = True
        tp, mp = ports or (free_port(), free_port())
        dm = self.spawn("sipd", [SIPD, "-d", d or self.d, "-f", "--loops", "2",
                                 "--tls-listen", "127.0.0.1:%d" % tp,
                                 "--mtls-listen", "127.0.0.1:%d" % mp] +
                        list(extra), limits)
        dm.tp, dm.mp = tp, mp
        if not wait:
            return dm
        end = time.time() + 30
        while time.time() < end:
            if not dm.alive():
                self.fail("oprov-sipd exited: %s" % dm.log_text()[-400:])
            if "listening on 127.0.0.1:%d (TLS)" % tp in dm.log_text():
                return dm
            time.sleep(0.1)
        self.fail("oprov-sipd did not come up")

    def sip_device(self, name, line, profile="Standard-OAuth"):
        """A device with one line and an access token for it."""
        self.ctl("device", "add", name, "--model", "8845", "--profile", profile,
                 "--line", line)
        return self.ctl("token", "mint", "--device", name)

    def registrations(self):
        """{device: number of its bindings} as `oprovctl registrations` lists
        them (the store's copy, written behind within a second)."""
        out = {}
        for ln in self.ctl("registrations").splitlines():
            f = ln.split()
            if f and f[0][:3] in ("SEP", "CSF", "BOT", "TCT", "TAB"):
                out[f[0]] = out.get(f[0], 0) + 1
        return out

    def tftpd(self, *extra, limits=None, port=0, wait=True, d=None):
        dm = self.spawn("tftpd", [TFTPD, "-d", d or self.d, "-f", "--listen",
                                  "127.0.0.1:%d" % port] + list(extra), limits)
        if not wait:
            return dm
        end = time.time() + 30
        while time.time() < end:
            if not dm.alive():
                self.fail("oprov-tftpd exited: %s" % dm.log_text()[-400:])
            for line in dm.log_text().splitlines():
                if "on UDP port " in line:
                    dm.port = int(line.split("on UDP port ")[1].split()[0])
                    return dm
            time.sleep(0.1)
        self.fail("oprov-tftpd did not come up")


# ---- clients ------------------------------------------------------------
def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE      # the attack does not care
    return ctx


_CTX = None


def connect(port, src="127.0.0.1", tls=False, timeout=10):
    global _CTX
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    if tls:
        if _CTX is None:
            _CTX = tls_context()
        s = _CTX.wrap_socket(s, server_hostname="localhost")
    return s


def read_response(s):
    """(status, body) of one HTTP/1.1 response with Content-Length."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body


def http(port, method, path, body=b"", src="127.0.0.1", tls=False, timeout=10,
         headers=()):
    """One request on a new connection: (status, body); status 0 when the
    connection failed or timed out."""
    try:
        s = connect(port, src, tls, timeout)
        try:
            h = "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" % (method, path)
            for k, v in headers:
                h += "%s: %s\r\n" % (k, v)
            if body or method == "POST":
                h += "Content-Length: %d\r\n" % len(body)
            s.sendall(h.encode() + b"\r\n" + body)
            return read_response(s)
        finally:
            s.close()
    except (OSError, ConnectionError, ValueError, IndexError):
        return 0, b""


def http_get(host, port, path, tls=False, timeout=10):
    return http(port, "GET", path, tls=tls, timeout=timeout)


def redeem(port, device, code, src="127.0.0.1"):
    from urllib.parse import urlencode
    body = urlencode({"grant_type": GRANT_CODE, "device": device,
                      "activation_code": code}).encode()
    return http(port, "POST", "/oauth/token", body, src=src, tls=True,
                headers=(("Content-Type", "application/x-www-form-urlencoded"),))


def tftp_rrq(name, blksize=None):
    p = b"\x00\x01" + name.encode() + b"\x00octet\x00"
    if blksize:
        p += b"blksize\x00%d\x00" % blksize
    return p


def tftp_error(pkt):
    """(code, message) of an ERROR packet, or None."""
    if len(pkt) >= 4 and pkt[1] == 5:
        return struct.unpack("!H", pkt[2:4])[0], pkt[4:].split(b"\0")[0].decode("latin-1")
    return None


def tftp_get(port, name, src="127.0.0.1", timeout=5):
    """Fetches a file in octet mode, lock-step: the bytes, or raises."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(timeout)
    try:
        s.sendto(tftp_rrq(name), ("127.0.0.1", port))
        data, want = b"", 1
        while True:
            pkt, peer = s.recvfrom(70000)
            err = tftp_error(pkt)
            if err:
                raise RuntimeError("TFTP error %d: %s" % err)
            blk = struct.unpack("!H", pkt[2:4])[0]
            if pkt[1] == 3 and blk == want & 0xffff:
                data += pkt[4:]
                s.sendto(b"\x00\x04" + pkt[2:4], peer)
                want += 1
                if len(pkt) - 4 < 512:
                    return data
    finally:
        s.close()


# ---- SIP ----------------------------------------------------------------
class Sip:
    """A SIP-over-TLS client connection: builds REGISTERs, reads answers."""

    def __init__(self, port, src="127.0.0.1", timeout=10, cert=None):
        ctx = tls_context()
        if cert:
            ctx.load_cert_chain(*cert)
        s = socket.socket()
        s.settimeout(timeout)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        self.s = ctx.wrap_socket(s, server_hostname="localhost")
        self.lport = self.s.getsockname()[1]
        self.buf = b""
        self.n = 0

    def register(self, user, token, contact=None, instance=None, devname=None,
                 expires=120, to_host="127.0.0.1", call_id=None, path=None):
        """The bytes of one REGISTER for sip:USER@127.0.0.1."""
        self.n += 1
        contact = contact or "sip:%s@127.0.0.1:%d;transport=tls" % (user, self.lport)
        c = "*" if contact == "*" else "<%s>" % contact
        if instance:
            c += ';+sip.instance="<urn:uuid:%s>"' % instance
        if devname:
            c += ';+u.sip!devicename.ccm.cisco.com="%s"' % devname
        m = ("REGISTER sip:127.0.0.1 SIP/2.0\r\n"
             "Via: SIP/2.0/TLS 127.0.0.1:%d;branch=z9hG4bKh%d\r\n"
             "From: <sip:%s@127.0.0.1>;tag=h%d\r\n"
             "To: <sip:%s@%s>\r\n"
             "Call-ID: %s\r\n"
             "CSeq: %d REGISTER\r\n"
             "Max-Forwards: 70\r\n"
             "Contact: %s\r\n" % (self.lport, self.n, user, self.n, user, to_host,
                                   call_id or "h-%d@127.0.0.1" % self.lport,
                                   self.n, c))
        if token:
            m += 'Proxy-Authorization: Bearer token="%s"\r\n' % token
        if path:
            m += "Path: %s\r\n" % path
        m += "Expires: %d\r\nContent-Length: 0\r\n\r\n" % expires
        return m.encode()

    def send(self, data):
        self.s.sendall(data)

    def read(self):
        """The status line and head of the next message."""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed by oprov-sipd")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head = head.decode("utf-8", "replace")
        for ln in head.split("\r\n")[1:]:
            k, _, v = ln.partition(":")
            if k.strip().lower() in ("content-length", "l") and int(v) > 0:
                while len(self.buf) < int(v):
                    self.buf += self.s.recv(65536)
                self.buf = self.buf[int(v):]
        return head.split("\r\n")[0], head

    def ask(self, data):
        """Sends one request, returns the status code of its answer."""
        self.send(data)
        return int(self.read()[0].split()[1])

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def percentile(xs, p):
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100.0))]
