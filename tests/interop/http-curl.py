"""http-curl.py - 6970, 6971 and the metrics listener as curl sees them
(issue 12 items 11-14): If-Range with stale and current validators,
Last-Modified / If-Modified-Since, 304 without Content-Length, a request
without Host or with both Content-Length and Transfer-Encoding, /metrics
only on its own listener, and the 403 for another device's token.  Every
request goes through curl; two framing cases are also sent byte for byte
(curl normalises some of what a hostile client would send).
"""
import email.utils
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oprovtest import Cluster, Report, check, curl, raw_http  # noqa: E402

DEV = "SEP001122334455"
DEV2 = "SEP00AABBCCDDEE"
GRANT = "urn:oprov:params:oauth:grant-type:activation-code"
MTIME = 1700000000                      # Tue, 14 Nov 2023 22:13:20 GMT
MTIME_TEXT = "Tue, 14 Nov 2023 22:13:20 GMT"

c = Cluster("curl").init()
c.device(DEV, line="1001")
c.device(DEV2, line="1002")
files = os.path.join(c.datadir, "files")
os.makedirs(files, exist_ok=True)
FW = os.path.join(files, "sip88xx.loads")


def write_fw(content, mtime):
    with open(FW, "wb") as f:
        f.write(content)
    os.utime(FW, (mtime, mtime))


V1 = bytes((48 + i % 10) for i in range(100000))
V2 = bytes((65 + i % 26) for i in range(100000))
write_fw(V1, MTIME)
c.start_httpsd()
PUB = "http://127.0.0.1:%d" % c.hp
CFG = c.url(c.cp, "")
TLS = ["--cacert", c.ca_pem, "--resolve", "localhost:%d:127.0.0.1" % c.cp,
       "--resolve", "localhost:%d:127.0.0.1" % c.op]
rep = Report(c)


def onboard(dev, scope=None):
    args = TLS + [c.url(c.op, "/oauth/token"), "-d", "grant_type=" + GRANT,
                  "-d", "activation_code=" + c.code(dev), "-d", "device=" + dev]
    if scope:
        args += ["-d", "scope=" + scope]
    st, _, body = curl(*args)
    check(st == 200, "onboarding", st, body)
    return json.loads(body)["access_token"]


# ---- item 11: If-Range ------------------------------------------------------
def etag_of(url):
    st, h, _ = curl("-I", url)
    check(st == 200 and "etag" in h, "ETag", st, h)
    return h["etag"]


def if_range_current_etag():
    tag = etag_of(PUB + "/sip88xx.loads")
    st, h, body = curl("-r", "1000-1999", "-H", "If-Range: " + tag,
                       PUB + "/sip88xx.loads")
    check(st == 206, "status", st)
    check(body == V1[1000:2000], "range bytes")
    check(h.get("content-range") == "bytes 1000-1999/100000", "Content-Range", h)


rep.case("item 11: If-Range with the current ETag resumes (206)",
         if_range_current_etag)


def if_range_stale_etag_whole_file():
    tag = etag_of(PUB + "/sip88xx.loads")
    write_fw(V2, MTIME + 3600)          # a new firmware under the same name
    try:
        st, h, body = curl("-r", "50000-", "-H", "If-Range: " + tag,
                           PUB + "/sip88xx.loads")
        check(st == 200, "stale If-Range status", st)
        check(body == V2, "whole new file, not a splice")
        check("content-range" not in h, "no Content-Range", h)
    finally:
        write_fw(V1, MTIME)


rep.case("item 11: If-Range with a stale ETag gets 200 and the whole new file",
         if_range_stale_etag_whole_file)


def if_range_dates():
    st, _, body = curl("-r", "0-9", "-H", "If-Range: " + MTIME_TEXT,
                       PUB + "/sip88xx.loads")
    check(st == 206 and body == V1[:10], "current date", st)
    st, _, body = curl("-r", "0-9", "-H", "If-Range: Mon, 13 Nov 2023 22:13:20 GMT",
                       PUB + "/sip88xx.loads")
    check(st == 200 and body == V1, "stale date", st)
    tag = etag_of(PUB + "/sip88xx.loads")
    st, _, body = curl("-r", "0-9", "-H", "If-Range: W/" + tag,
                       PUB + "/sip88xx.loads")
    check(st == 200 and body == V1, "weak tag never validates a range", st)


rep.case("item 11: If-Range with dates (current: 206, stale: 200) and a weak "
         "tag (200)", if_range_dates)


# ---- item 12: Last-Modified, If-Modified-Since, Host, framing, 304 -------------
def last_modified():
    st, h, _ = curl("-I", PUB + "/sip88xx.loads")
    check(st == 200, "status", st)
    check(h.get("last-modified") == MTIME_TEXT, "Last-Modified", h)
    check(email.utils.parsedate_to_datetime(h["last-modified"]).timestamp() == MTIME,
          "parses back to the mtime")


rep.case("item 12: Last-Modified on files (IMF-fixdate of the mtime)", last_modified)


def if_modified_since():
    st, h, body = curl("-H", "If-Modified-Since: " + MTIME_TEXT, PUB + "/sip88xx.loads")
    check(st == 304 and body == b"", "not modified", st)
    check("content-length" not in h, "304 without Content-Length", h)
    check(h.get("last-modified") == MTIME_TEXT and "etag" in h, "validators", h)
    st, _, body = curl("-H", "If-Modified-Since: Sunday, 12-Nov-23 00:00:00 GMT",
                       PUB + "/sip88xx.loads")
    check(st == 200 and body == V1, "modified since (RFC 850 date)", st)
    st, _, _ = curl("-H", "If-Modified-Since: Wed Nov 15 00:00:00 2023",
                    PUB + "/sip88xx.loads")
    check(st == 304, "asctime date", st)
    st, _, body = curl("-H", "If-Modified-Since: yesterday", PUB + "/sip88xx.loads")
    check(st == 200 and body == V1, "an unparsable date is ignored", st)
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    st, _, _ = curl("-H", "If-None-Match: \"other\"", "-H",
                    "If-Modified-Since: " + MTIME_TEXT, PUB + "/sip88xx.loads")
    check(st == 200, "If-None-Match evaluated first", st)


rep.case("item 12: If-Modified-Since gives 304 without Content-Length; "
         "If-None-Match takes precedence", if_modified_since)


def config_304_no_length():
    tok = onboard(DEV)
    st, h, _ = curl(*TLS, "-H", "Authorization: Bearer " + tok,
                    CFG + "/%s.cnf.xml" % DEV)
    check(st == 200 and "etag" in h, "config", st)
    st, h2, body = curl(*TLS, "-H", "Authorization: Bearer " + tok, "-H",
                        "If-None-Match: " + h["etag"], CFG + "/%s.cnf.xml" % DEV)
    check(st == 304 and body == b"", "304", st)
    check("content-length" not in h2, "no Content-Length on the 304", h2)


rep.case("item 12: a 6971 config's 304 carries no Content-Length",
         config_304_no_length)


def no_host():
    st, _, _ = curl("-H", "Host:", PUB + "/sip88xx.loads")     # curl drops Host
    check(st == 400, "HTTP/1.1 without Host", st)
    st, _, _ = curl("--http1.0", "-H", "Host:", PUB + "/sip88xx.loads")
    check(st == 200, "HTTP/1.0 needs no Host", st)
    out, closed = raw_http(c.hp, b"GET /sip88xx.loads HTTP/1.1\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400 "), "raw request", out[:60])
    st, _, _ = curl(*TLS, "-H", "Host:", CFG + "/%s.cnf.xml" % DEV)
    check(st == 400, "6971 without Host", st)


rep.case("item 12: HTTP/1.1 without Host gets 400 (6970, 6971)", no_host)


def cl_and_te():
    st, h, _ = curl("-X", "POST", "-H", "Transfer-Encoding: chunked", "-H",
                    "Content-Length: 5", "--data-binary", "hello",
                    PUB + "/sip88xx.loads")
    check(st == 400, "curl CL+TE", st)
    check(h.get("connection", "").lower() == "close", "Connection: close", h)
    # A smuggled second request behind the first must never be answered.
    out, closed = raw_http(c.hp, b"POST /sip88xx.loads HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"0\r\n\r\nGET /sip88xx.loads HTTP/1.1\r\nHost: x\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400 "), "raw CL+TE", out[:60])
    check(out.count(b"HTTP/1.1 ") == 1, "one answer only", out)
    check(closed, "connection closed")


rep.case("item 12: Content-Length with Transfer-Encoding gets 400 and the "
         "connection closes", cl_and_te)


# ---- item 13: /metrics ----------------------------------------------------------
def metrics_own_listener():
    st, _, _ = curl(*TLS, c.url(c.op, "/metrics"))
    check(st == 404, "8443 /metrics", st)
    st, _, _ = curl(*TLS, CFG + "/metrics")
    check(st in (401, 404), "6971 /metrics", st)
    st, h, body = curl("http://127.0.0.1:%d/metrics" % c.mp)
    check(st == 200, "metrics listener", st)
    check(h.get("content-type", "").startswith("text/plain"), "type", h)
    check(re.search(rb'^oprov_httpsd_requests_total\{listener="https-oauth"',
                    body, re.M), "counters", body[:200])
    st, _, _ = curl("http://127.0.0.1:%d/oauth/token" % c.mp)
    check(st == 404, "only /metrics there", st)
    st, _, _ = curl("-X", "POST", "http://127.0.0.1:%d/metrics" % c.mp)
    check(st == 405, "POST /metrics", st)
    helptext = subprocess.run([os.path.join(os.environ.get("top_builddir", "."),
                                            "httpsd", "oprov-httpsd"), "--help"],
                              capture_output=True, text=True).stdout
    check("--metrics-listen" in helptext and "127.0.0.1:9970" in helptext,
          "--help names the loopback default")


rep.case("item 13: /metrics only on --metrics-listen (404 on 8443), loopback "
         "by default", metrics_own_listener)


# ---- item 14: 403 for another device's token -----------------------------------
def bearer_params(h):
    v = h.get("www-authenticate", "")
    check(v.startswith("Bearer "), "Bearer challenge", v)
    return dict(re.findall(r'(\w+)="([^"]*)"', v))


def other_device_403():
    tok = onboard(DEV)
    st, h, _ = curl(*TLS, "-H", "Authorization: Bearer " + tok,
                    CFG + "/%s.cnf.xml" % DEV2)
    check(st == 403, "status", st)
    p = bearer_params(h)
    check(p.get("error") == "insufficient_scope", "error", p)
    check("scope" not in p, "no misleading scope", p)
    check("another device" in p.get("error_description", ""), "description", p)
    st, h2, _ = curl(*TLS, "-H", "Authorization: Bearer " + tok,
                     CFG + "/SEP0000000000AA.cnf.xml")
    check(st == 403 and bearer_params(h2) == p, "same answer for a missing device")


rep.case("item 14: a token for another device: 403 without a scope",
         other_device_403)


def lacking_scope_403():
    tok = onboard(DEV, scope="sip-register")
    st, h, _ = curl(*TLS, "-H", "Authorization: Bearer " + tok,
                    CFG + "/%s.cnf.xml" % DEV)
    check(st == 403, "status", st)
    p = bearer_params(h)
    check(p.get("error") == "insufficient_scope" and p.get("scope") == "config",
          "the scope it lacks", p)


rep.case("item 14: a token without the config scope: 403 naming scope=\"config\"",
         lacking_scope_403)

rep.finish()
