#!/usr/bin/env python3
"""A phone's boot walk against oprov, as a script client (tests/smoke/bootwalk.sh).

The .tlv/.sgn reader here is written from the published layout (docs/formats.md:
the certutils tools `tlvfile`/`sgnfile` and the usecallmanager.nz "Device
Security" page), independently of oprov's C reader, and checks signatures with
the `cryptography` module.  Each step prints "ok - ..." or raises.

  oauth:  TFTP CTLSEP<MAC>.tlv and ITLSEP<MAC>.tlv -> signatures, the ITL names
          the 6971 certificate -> activation code on 8443 (pinned to the ITL)
          -> SEP<MAC>.cnf.xml.sgn over 6971 (TLS pinned to the ITL's TFTP
          record, file signed by the ITL's CCM+TFTP record) -> REGISTER on 5090.
  legacy: the same lists over TFTP and 6970, SEP<MAC>.cnf.xml.sgn, a public
          file's NAME.sgn and XMLDefault.cnf.xml.sgn over both, all verified.
"""
import argparse
import hashlib
import http.client
import json
import socket
import ssl
import struct
import sys
import urllib.parse
import uuid

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

ROLE_SAST, ROLE_CCM, ROLE_CCM_TFTP, ROLE_TFTP, ROLE_APP_SERVER = 0, 1, 2, 3, 7


def ok(msg):
    print("ok - " + msg, flush=True)


class Fail(Exception):
    pass


# ---- TFTP (RFC 1350 octet mode, 512-byte blocks) ----------------------------------
def tftp_get(port, name, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(struct.pack("!H", 1) + name.encode() + b"\0octet\0", ("127.0.0.1", port))
    out, want = bytearray(), 1
    try:
        while True:
            pkt, peer = s.recvfrom(4 + 65464)
            op = struct.unpack("!H", pkt[:2])[0]
            if op == 5:
                code = struct.unpack("!H", pkt[2:4])[0]
                raise Fail("TFTP %s: error %d %s" % (name, code, pkt[4:-1].decode(errors="replace")))
            block = struct.unpack("!H", pkt[2:4])[0]
            if op != 3:
                raise Fail("TFTP %s: opcode %d" % (name, op))
            if block == want:
                out += pkt[4:]
                want = (want + 1) & 0xFFFF
            s.sendto(struct.pack("!HH", 4, block), peer)
            if block == (want - 1) & 0xFFFF and len(pkt) - 4 < 512:
                return bytes(out)
    finally:
        s.close()


# ---- the published .tlv / .sgn layout ------------------------------------------------
def cstr(v):
    if not v or v[-1] != 0:
        raise Fail("string field without its NUL")
    return v[:-1].decode()


def parse_header(d):
    """Header fields: tag (1), length (2, big-endian), value; padding tag 13 has
    no length; tags 3, 7, 9 are containers whose fields follow."""
    if d[0] != 1 or struct.unpack("!H", d[1:3])[0] != 2 or d[5] != 2:
        raise Fail("no VERSION / LENGTH")
    h = {"header_len": struct.unpack("!H", d[8:10])[0]}
    i, end = 10, h["header_len"]
    while i < end:
        tag = d[i]
        i += 1
        if tag == 13:
            continue
        ln = struct.unpack("!H", d[i:i + 2])[0]
        i += 2
        if tag in (3, 7, 9):
            continue
        v = d[i:i + ln]
        if tag == 28:
            h["signer_version"] = (v[0], v[1])
        elif tag == 4:
            h["signer"] = cstr(v)
        elif tag == 5:
            h["serial"] = v
        elif tag == 6:
            h["issuer"] = cstr(v)
        elif tag == 8:
            h["hash"] = v[0]
        elif tag == 12:
            h["sig_off"], h["sig"] = i - 3, v
        elif tag == 14:
            h["filename"] = cstr(v)
        elif tag == 15:
            h["timestamp"] = struct.unpack("!I", v)[0]
        elif tag not in (10, 11):
            raise Fail("unknown header tag %d" % tag)
        i += ln
    return h


def parse_tlv(d):
    h = parse_header(d)
    recs, i = [], h["header_len"]
    while i < len(d):
        if d[i] != 1:
            raise Fail("record without RECORD_LENGTH")
        rlen = struct.unpack("!H", d[i + 3:i + 5])[0]
        end, j, r = i + rlen, i + 5, {}
        while j < end:
            tag, ln = d[j], struct.unpack("!H", d[j + 1:j + 3])[0]
            v = d[j + 3:j + 3 + ln]
            if tag == 4:
                r["role"] = struct.unpack("!H", v)[0]
            elif tag == 6:
                r["serial"] = v
            elif tag == 9:
                r["cert"] = v
            elif tag == 3:
                r["subject"] = cstr(v)
            j += 3 + ln
        recs.append(r)
        i = end
    return h, recs


def verify_sig(cert_der, d, h, kind):
    """RSA PKCS#1 v1.5 over the file with the SIGNATURE field cut out."""
    codes = {"tlv": {1: hashes.SHA1(), 2: hashes.SHA256(), 3: hashes.SHA512()},
             "sgn": {1: hashes.SHA1(), 2: hashes.SHA256(), 4: hashes.SHA512()}}[kind]
    signed = d[:h["sig_off"]] + d[h["sig_off"] + 3 + len(h["sig"]):]
    key = x509.load_der_x509_certificate(cert_der).public_key()
    try:
        key.verify(h["sig"], signed, padding.PKCS1v15(), codes[h["hash"]])
    except InvalidSignature:
        raise Fail("signature does not verify")


def record_for(recs, serial, roles):
    for r in recs:
        if r.get("role") in roles and r.get("serial") == serial and "cert" in r:
            return r
    raise Fail("no record with roles %s for serial %s" % (roles, serial.hex()))


def check_list(d, name, trusted_recs=None):
    """A list: its signer is a SAST record of the list the phone holds (or its
    own, on first install); returns (header, records)."""
    h, recs = parse_tlv(d)
    signer = record_for(trusted_recs if trusted_recs is not None else recs,
                        h["serial"], (ROLE_SAST,))
    verify_sig(signer["cert"], d, h, "tlv")
    if h.get("filename") != name:
        raise Fail("header names %r, want %r" % (h.get("filename"), name))
    return h, recs


def check_sgn(d, recs, name):
    """A signed file: its signer is a CCM+TFTP or TFTP record of the ITL."""
    h = parse_header(d)
    signer = record_for(recs, h["serial"], (ROLE_CCM_TFTP, ROLE_TFTP))
    verify_sig(signer["cert"], d, h, "sgn")
    if h.get("filename") != name:
        raise Fail("signed file names %r, want %r" % (h.get("filename"), name))
    # one flipped byte anywhere must break it
    for pos in (0, h["sig_off"] + 10, h["header_len"] + 1, len(d) - 1):
        bad = bytearray(d)
        bad[pos] ^= 0x01
        try:
            verify_sig(signer["cert"], bytes(bad), parse_header(bytes(bad)), "sgn")
        except (Fail, IndexError, KeyError, struct.error, ValueError):
            continue
        raise Fail("a changed byte at %d still verifies" % pos)
    return d[h["header_len"]:]


def check_edge(recs, web_der):
    """Phone Edge Trust reaches phones as APP-SERVER records: at most 16, and
    one of them must be the CA that issued the web certificate."""
    edge = [x509.load_der_x509_certificate(r["cert"]) for r in recs
            if r.get("role") == ROLE_APP_SERVER and "cert" in r]
    if not edge or len(edge) > 16:
        raise Fail("the ITL has %d APP-SERVER records, want 1-16" % len(edge))
    web = x509.load_der_x509_certificate(web_der)
    for ca in edge:
        if ca.subject != web.issuer:
            continue
        try:
            web.verify_directly_issued_by(ca)
            return
        except (InvalidSignature, ValueError, TypeError):
            continue
    raise Fail("no APP-SERVER record issued the web certificate")


# ---- TLS pinned to the ITL's TFTP record ------------------------------------------------
def pinned(port, recs, what, role=ROLE_TFTP):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE      # trust comes from the ITL, not a CA
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
    der = s.getpeercert(binary_form=True)
    want = [r["cert"] for r in recs if r.get("role") == role]
    if not want or hashlib.sha256(der).digest() not in [hashlib.sha256(c).digest() for c in want]:
        s.close()
        raise Fail("%s certificate is not the ITL's record of role %d" % (what, role))
    return s


def https(port, recs, method, path, body=None, headers=None, what="6971"):
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10)
    conn.sock = pinned(port, recs, what)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def register(port, recs, mac, line, token):
    s = pinned(port, recs, "5090", ROLE_CCM)
    host = "127.0.0.1"
    lport = s.getsockname()[1]
    msg = ("REGISTER sip:%s SIP/2.0\r\n"
           "Via: SIP/2.0/TLS %s:%d;branch=z9hG4bK%s\r\n"
           "From: <sip:%s@%s>;tag=bw1\r\nTo: <sip:%s@%s>\r\n"
           "Call-ID: %s\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
           "Contact: <sip:%s@%s:%d;transport=tls>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-%s>\";"
           "+u.sip!devicename.ccm.cisco.com=\"SEP%s\"\r\n"
           "Proxy-Authorization: Bearer token=\"%s\"\r\n"
           "Expires: 120\r\nContent-Length: 0\r\n\r\n") % (
        host, host, lport, uuid.uuid4().hex, line, host, line, host, uuid.uuid4().hex,
        line, host, lport, mac.lower(), mac.upper(), token)
    s.sendall(msg.encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        chunk = s.recv(4096)
        if not chunk:
            break
        resp += chunk
    s.close()
    first = resp.split(b"\r\n", 1)[0].decode(errors="replace")
    if not first.startswith("SIP/2.0 200"):
        raise Fail("REGISTER answered %r" % first)
    return first


# ---- the walks -----------------------------------------------------------------------
def walk_oauth(a):
    mac = a.mac.upper()
    ctl = tftp_get(a.tftp, "CTLSEP%s.tlv" % mac)
    _, ctl_recs = check_list(ctl, "CTLFile.tlv")
    ok("TFTP CTLSEP%s.tlv: signed by its SAST record (first install)" % mac)
    itl = tftp_get(a.tftp, "ITLSEP%s.tlv" % mac)
    h, recs = check_list(itl, "ITLFile.tlv", trusted_recs=ctl_recs)
    if h.get("signer_version") != (1, 1):
        raise Fail("ITL signer version %r: phones fetch configs over 6971 only with 1.1" %
                   (h.get("signer_version"),))
    web = [r for r in recs if r.get("role") == ROLE_TFTP]
    if not web or not isinstance(x509.load_der_x509_certificate(web[0]["cert"]).public_key(),
                                 ec.EllipticCurvePublicKey):
        raise Fail("the ITL has no EC TFTP record")
    ok("TFTP ITLSEP%s.tlv: signer is a SAST of the CTL, signature valid, signer version 1.1, EC TFTP record" % mac)
    check_edge(recs, web[0]["cert"])
    ok("the ITL carries the Phone Edge Trust CA as APP-SERVER, and it signed the 6971 certificate")
    pinned(a.https, recs, "6971").close()
    ok("6971 presents the certificate the ITL names (TFTP record, SHA-256 pinned)")
    st, _ = https(a.https, recs, "GET", "/SEP%s.cnf.xml.sgn" % mac)
    if st != 401:
        raise Fail("6971 without a token answered %d" % st)
    ok("6971 without a token -> 401")
    body = urllib.parse.urlencode({"grant_type": "urn:oprov:params:oauth:grant-type:activation-code",
                                   "activation_code": a.code, "device": "SEP" + mac})
    st, data = https(a.oauth, recs, "POST", "/oauth/token", body,
                     {"Content-Type": "application/x-www-form-urlencoded"}, "8443")
    if st != 200:
        raise Fail("token endpoint %d: %s" % (st, data[:200]))
    token = json.loads(data)["access_token"]
    ok("8443 onboarding with the activation code (TLS pinned to the ITL) -> access token")
    st, data = https(a.https, recs, "GET", "/SEP%s.cnf.xml.sgn" % mac, None,
                     {"Authorization": "Bearer " + token})
    if st != 200:
        raise Fail("6971 config %d" % st)
    xml = check_sgn(data, recs, "SEP%s.cnf.xml.sgn" % mac)
    if b"<sipOAuthMode>1</sipOAuthMode>" not in xml:
        raise Fail("config without sipOAuthMode 1")
    ok("6971 SEP%s.cnf.xml.sgn: TLS pinned, signed by the ITL's CCM+TFTP record, one changed byte fails" % mac)
    ok(register(a.sip, recs, mac, a.line, token) + " to REGISTER on 5090 (TLS pinned to the ITL's CCM record)")


def walk_legacy(a):
    mac = a.mac.upper()
    itl = tftp_get(a.tftp, "ITLSEP%s.tlv" % mac)
    st, itl2 = http_get(a.http, "/ITLSEP%s.tlv" % mac)
    if st != 200 or itl2 != itl:
        raise Fail("6970 ITLSEP differs from TFTP's (%d)" % st)
    _, recs = check_list(itl, "ITLFile.tlv")
    ok("legacy: ITLSEP%s.tlv over TFTP and 6970, identical, signature valid" % mac)
    for name in ("SEP%s.cnf.xml.sgn" % mac, "XMLDefault.cnf.xml.sgn", a.public + ".sgn"):
        d1 = tftp_get(a.tftp, name)
        st, d2 = http_get(a.http, "/" + name)
        if st != 200:
            raise Fail("6970 %s: %d" % (name, st))
        c1, c2 = check_sgn(d1, recs, name), check_sgn(d2, recs, name)
        if c1 != c2:
            raise Fail("%s: TFTP and 6970 contents differ" % name)
        if name.startswith("SEP") and b"<deviceSecurityMode>1</deviceSecurityMode>" not in c1:
            raise Fail("legacy config is not the non-secure one")
        if name == a.public + ".sgn" and c1 != open(a.public_path, "rb").read():
            raise Fail("signed public file content differs from the file")
        ok("legacy: %s over TFTP and 6970, signed by the ITL's CCM+TFTP record" % name)
    try:
        tftp_get(a.tftp, "SEP%s.cnf.xml.sgn" % a.oauth_mac.upper())
    except Fail as e:
        if "error 2" not in str(e):
            raise
        ok("an OAuth device's signed config is still refused over TFTP (error 2)")
    else:
        raise Fail("an OAuth device's config was served over TFTP")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("walk", choices=("oauth", "legacy"))
    p.add_argument("--tftp", type=int, required=True)
    p.add_argument("--http", type=int)
    p.add_argument("--https", type=int)
    p.add_argument("--oauth", type=int)
    p.add_argument("--sip", type=int)
    p.add_argument("--mac", required=True)
    p.add_argument("--oauth-mac")
    p.add_argument("--code")
    p.add_argument("--line")
    p.add_argument("--public")
    p.add_argument("--public-path")
    a = p.parse_args()
    try:
        (walk_oauth if a.walk == "oauth" else walk_legacy)(a)
    except (Fail, OSError, KeyError, ValueError, struct.error) as e:
        print("FAIL: %s walk: %s" % (a.walk, e), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
