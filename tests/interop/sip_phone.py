#!/usr/bin/env python3
"""sip_phone.py - the phone side of tests/interop/kamailio.sh: one REGISTER
over plain TCP to an edge proxy (Kamailio), the final answer printed.

    sip_phone.py PORT USER TOKEN|- [TIMEOUT]

PORT is the edge's TCP port on 127.0.0.1, USER the line (sip:USER@127.0.0.1),
TOKEN goes in `Proxy-Authorization: Bearer token="..."` ("-": no token).
Provisional answers are skipped; the final one is printed as its status line
followed by its header lines, one per line (folded lines joined).  Exit 0
when a final answer came, 1 when the connection closed or TIMEOUT (seconds,
default 5) passed first.  Standard library only."""
import os
import socket
import sys
import time

HEAD_MAX = 65536        # bytes of answer head we wait for before giving up


def request(lport, user, token):
    n = os.getpid()
    m = ("REGISTER sip:127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 127.0.0.1:%d;rport;branch=z9hG4bKph%d.%d\r\n"
         "From: <sip:%s@127.0.0.1>;tag=ph%d\r\n"
         "To: <sip:%s@127.0.0.1>\r\n"
         "Call-ID: ph-%d-%d@127.0.0.1\r\n"
         "CSeq: 1 REGISTER\r\n"
         "Max-Forwards: 70\r\n"
         "Contact: <sip:%s@127.0.0.1:%d;transport=tcp>\r\n"
         % (lport, n, time.monotonic_ns(), user, n, user, n, lport, user, lport))
    if token:
        m += 'Proxy-Authorization: Bearer token="%s"\r\n' % token
    m += "Expires: 300\r\nUser-Agent: oprov-interop-phone\r\nContent-Length: 0\r\n\r\n"
    return m.encode()


def final_answer(s, deadline):
    """The head of the first non-1xx answer, or None."""
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or len(buf) > HEAD_MAX:
                return None
            s.settimeout(left)
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                return None
            if not chunk:
                return None
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("utf-8", "replace").split("\r\n")
        out = []
        for ln in lines:
            if ln[:1] in (" ", "\t") and out:
                out[-1] += " " + ln.strip()
            else:
                out.append(ln)
        parts = out[0].split()
        if len(parts) >= 2 and parts[1].isdigit() and not parts[1].startswith("1"):
            return out
        # a 1xx: Content-Length is 0 on these, go on with the rest


def main():
    if len(sys.argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    port, user, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    timeout = float(sys.argv[4]) if len(sys.argv) == 5 else 5.0
    deadline = time.monotonic() + timeout
    s = socket.create_connection(("127.0.0.1", port), timeout)
    try:
        s.sendall(request(s.getsockname()[1], user, None if token == "-" else token))
        head = final_answer(s, deadline)
    finally:
        s.close()
    if head is None:
        print("no final answer")
        return 1
    print("\n".join(head))
    return 0


if __name__ == "__main__":
    sys.exit(main())
