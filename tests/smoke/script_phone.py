#!/usr/bin/env python3
"""A scripted SIP OAuth phone for tests/smoke/apply.sh: registers over TLS
with a bearer token, keeps the connection, answers the NOTIFYs oprov-sipd
sends (Apply Config / restart / reset) with 200 OK and records each one.

usage: script_phone.py HOST PORT MAC LINE TOKEN OUTDIR NOTIFIES
With PHONE_CERT and PHONE_KEY in the environment it presents that client
certificate (an Expressway-C on 5091) and, with PHONE_PATH, sends that Path
header, as an Expressway-C forwarding the phone's REGISTER does.
Prints "registered" once the 200 OK arrives; writes OUTDIR/notify-N.txt for
each NOTIFY received; exits 0 after answering NOTIFIES of them (or 1 on a
timeout or an unexpected message).  The server certificate is not checked
(the smoke test's own self-signed web certificate)."""
import os
import socket
import ssl
import sys
import time

TIMEOUT = 60


def read_message(sock, buf):
    """One SIP message (headers + Content-Length body) from sock."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        rest += chunk
    return head.decode("utf-8", "replace"), rest[:length], rest[length:]


def headers(head):
    out = []
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out.append((name.strip(), value.strip()))
    return out


def main():
    host, port, mac, line, token, outdir, want = sys.argv[1:8]
    want = int(want)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if os.environ.get("PHONE_CERT"):
        ctx.load_cert_chain(os.environ["PHONE_CERT"], os.environ["PHONE_KEY"])
    path = os.environ.get("PHONE_PATH")
    raw = socket.create_connection((host, int(port)), 10)
    sock = ctx.wrap_socket(raw)
    sock.settimeout(TIMEOUT)
    lport = sock.getsockname()[1]
    reg = (
        f"REGISTER sip:{host} SIP/2.0\r\n"
        f"Via: SIP/2.0/TLS 127.0.0.1:{lport};branch=z9hG4bKscript{int(time.time())}\r\n"
        f"From: <sip:{line}@{host}>;tag=scriptphone\r\n"
        f"To: <sip:{line}@{host}>\r\n"
        f"Call-ID: scriptphone-{mac}@127.0.0.1\r\n"
        "CSeq: 1 REGISTER\r\n"
        "Max-Forwards: 70\r\n"
        f"Contact: <sip:{line}@127.0.0.1:{lport};transport=tls>;"
        f"+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-{mac.lower()}>\";"
        f"+u.sip!devicename.ccm.cisco.com=\"SEP{mac.upper()}\";"
        "+u.sip!model.ccm.cisco.com=\"36670\"\r\n"
        f"Proxy-Authorization: Bearer token=\"{token}\"\r\n"
        "User-Agent: Cisco-CP8845/14.2.1\r\n"
        + (f"Path: {path}\r\n" if path else "") +
        "Expires: 120\r\n"
        "Content-Length: 0\r\n\r\n")
    sock.sendall(reg.encode())
    buf = b""
    head, _, buf = read_message(sock, buf)
    if not head.startswith("SIP/2.0 200"):
        print("REGISTER answered: " + head.split("\r\n")[0], file=sys.stderr)
        return 1
    print("registered", flush=True)
    got = 0
    while got < want:
        head, body, buf = read_message(sock, buf)
        first = head.split("\r\n")[0]
        if not first.startswith("NOTIFY "):
            print("unexpected: " + first, file=sys.stderr)
            return 1
        got += 1
        with open(f"{outdir}/notify-{got}.txt", "w") as f:
            f.write(head + "\r\n\r\n" + body.decode("utf-8", "replace"))
        keep = ("via", "from", "to", "call-id", "cseq")
        resp = "SIP/2.0 200 OK\r\n"
        for name, value in headers(head):
            if name.lower() == "to":
                resp += f"{name}: {value};tag=scriptphone\r\n"
            elif name.lower() in keep:
                resp += f"{name}: {value}\r\n"
        resp += "Content-Length: 0\r\n\r\n"
        sock.sendall(resp.encode())
    # Keep the connection a moment so the answer is read before the close.
    time.sleep(2)
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
