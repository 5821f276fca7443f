#!/bin/sh
# Smoke test of oprov-httpsd's TLS with real clients, for each tomcat key
# type `oprovctl init --key-type` makes (RSA 2048, ECDSA P-256, Ed25519):
# curl over TLS 1.2 and TLS 1.3, and openssl s_client forcing each signature
# scheme the key can make (the signatures come from trust/ through GnuTLS's
# external-key callbacks), verifying the chain against the CA that
# caconfig.json publishes.  A scheme the key cannot make must fail.  Also:
# pipelined requests on one connection (corked responses), and a client
# whose TLS 1.3 Finished does not verify, with early start on and off.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=${OPROVCTL:-$top_builddir/cli/oprovctl}
HTTPSD=$top_builddir/httpsd/oprov-httpsd

for t in curl python3 openssl; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
[ -x "$CTL" ] || { echo "SKIP: $CTL not built"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-httpsd-tls.XXXXXX")
pid=""
stop() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=""
	fi
}
cleanup() {
	stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fail() {
	echo "FAIL: $*" >&2
	echo "--- last daemon log lines" >&2
	tail -n 30 "$tmp/log" >&2 2>/dev/null
	exit 1
}
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

# s_client VERSION SIGALG: 0 when the handshake with that signature scheme
# completes and the chain verifies.
s_client() {
	echo | openssl s_client -connect "127.0.0.1:$CP" -servername localhost \
		"-$1" -sigalgs "$2" -CAfile "$tmp/ca.pem" -verify_return_error \
		>"$tmp/s_client.out" 2>&1 || return 1
	grep -q "Verify return code: 0 (ok)" "$tmp/s_client.out"
}

for kt in rsa2048 ec256 ed25519; do
	set -- $(python3 "$top_srcdir/tests/freeport.py" 2)
	CP=$1 HP=$2
	D=$tmp/$kt
	"$CTL" -d "$D" init --hostname localhost --key-type "$kt" --web-key-type "$kt" >"$tmp/init.out" 2>&1 ||
		{ cat "$tmp/init.out"; fail "oprovctl init --key-type $kt"; }
	# Both handshake endings: TLS 1.3 returning once the server's flight
	# is out (the default), and waiting for the client's Finished.
	early=on
	[ "$kt" = ed25519 ] && early=off
	"$HTTPSD" -d "$D" -f --config-listen "127.0.0.1:$CP" --http-listen "127.0.0.1:$HP" \
		--oauth-listen off --metrics-listen off --threads 2 --tls-early-start $early 2>"$tmp/log" &
	pid=$!
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$HP/healthz"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$kt: daemon did not come up"
		kill -0 "$pid" 2>/dev/null || fail "$kt: daemon exited"
		sleep 0.1
	done
	curl -sf -o "$tmp/caconfig.json" "http://127.0.0.1:$HP/caconfig.json" ||
		fail "$kt: caconfig.json"
	python3 -c '
import json, sys
open(sys.argv[2], "w").write("".join(c["pem"] for c in json.load(open(sys.argv[1]))["certificates"]))
' "$tmp/caconfig.json" "$tmp/ca.pem" || fail "$kt: CA from caconfig.json"

	for v in 1.2 1.3; do
		got=$(curl -s -o /dev/null -w '%{http_code}' --tlsv$v --tls-max $v \
			--cacert "$tmp/ca.pem" --resolve "localhost:$CP:127.0.0.1" \
			"https://localhost:$CP/healthz")
		[ "$got" = 200 ] || fail "$kt: curl over TLS $v -> $got"
	done
	ok "$kt: curl over TLS 1.2 and TLS 1.3, chain verified (early start $early)"

	# Pipelined requests on one connection, a HEAD among them: each small
	# response is corked and must leave whole and in order before the
	# next request is read; the last one asks to close.
	python3 - "$CP" <<'PY' || fail "$kt: pipelined requests over TLS"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
get = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
head = b"HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
last = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
s.sendall(get * 10 + head + get * 9 + last)
s.settimeout(10)
data = b""
while True:
    try:
        d = s.recv(65536)
    except (ssl.SSLEOFError, ConnectionResetError):
        break
    if not d:
        break
    data += d
heads = data.count(b"HTTP/1.1 200 ")
bodies = data.count(b"\r\n\r\nok\n")
if heads != 21 or bodies != 20 or not data.endswith(b"\r\n\r\nok\n"):
    sys.exit("%d responses, %d bodies, %d bytes" % (heads, bodies, len(data)))
PY
	ok "$kt: 21 pipelined requests over TLS answered whole and in order"

	# A TLS 1.3 client whose Finished does not verify: with early start
	# the handshake has already returned to libmicrohttpd, so the bad
	# record reaches its first read; it must end in one alert and a close,
	# with no data and without waiting for a timeout.
	python3 - "$CP" <<'PY' || fail "$kt: bad Finished (early start $early)"
import os, socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
c = ctx.wrap_bio(inc, out, server_hostname="localhost")
try:
    c.do_handshake()
except ssl.SSLWantReadError:
    pass
s = socket.create_connection(("127.0.0.1", port), 5)
s.sendall(out.read())
s.settimeout(1)
flight = b""
while True:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    if not d:
        break
    flight += d
if not flight.startswith(b"\x16\x03\x03"):
    sys.exit("no ServerHello: %r" % flight[:16])
# Where the client's Finished belongs: a record no handshake key opens.
s.sendall(b"\x17\x03\x03\x00\x40" + os.urandom(64))
s.settimeout(5)
rest = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        rest += d
except socket.timeout:
    sys.exit("connection still open 5 s after a bad Finished")
except ConnectionResetError:
    pass
recs, i = [], 0
while i + 5 <= len(rest):
    n = int.from_bytes(rest[i + 3:i + 5], "big")
    recs.append((rest[i], n))
    i += 5 + n
# An alert is 2 bytes (+ type and 16-byte tag when encrypted); an HTTP
# response would be far longer.
if any(n > 32 for _, n in recs):
    sys.exit("data after a bad Finished: %s" % recs)
PY
	ok "$kt: a bad client Finished gets an alert and a close (early start $early)"

	case $kt in
	rsa2048)
		# RFC 8446 §4.4.3: PKCS#1 v1.5 never signs a TLS 1.3 handshake.
		good="tls1_2:rsa_pkcs1_sha256 tls1_2:rsa_pkcs1_sha384 tls1_2:rsa_pkcs1_sha512
		      tls1_2:rsa_pss_rsae_sha256 tls1_3:rsa_pss_rsae_sha256
		      tls1_3:rsa_pss_rsae_sha384 tls1_3:rsa_pss_rsae_sha512"
		bad="tls1_3:rsa_pkcs1_sha256 tls1_3:ecdsa_secp256r1_sha256 tls1_3:ed25519" ;;
	ec256)
		good="tls1_2:ecdsa_secp256r1_sha256 tls1_2:ecdsa_secp384r1_sha384
		      tls1_3:ecdsa_secp256r1_sha256"
		bad="tls1_3:ecdsa_secp384r1_sha384 tls1_3:rsa_pss_rsae_sha256 tls1_3:ed25519" ;;
	ed25519)
		good="tls1_2:ed25519 tls1_3:ed25519"
		bad="tls1_3:ecdsa_secp256r1_sha256 tls1_3:rsa_pss_rsae_sha256" ;;
	esac
	for g in $good; do
		s_client "${g%%:*}" "${g#*:}" ||
			fail "$kt: s_client -${g%%:*} -sigalgs ${g#*:}: $(tail -n 5 "$tmp/s_client.out")"
	done
	ok "$kt: s_client handshakes with $(echo $good | tr '\n' ' ')"
	for b in $bad; do
		s_client "${b%%:*}" "${b#*:}" &&
			fail "$kt: s_client -${b%%:*} -sigalgs ${b#*:} succeeded with a $kt key"
	done
	ok "$kt: no handshake with a scheme the key cannot make ($(echo $bad))"
	kill -0 "$pid" 2>/dev/null || fail "$kt: daemon died"
	kill "$pid"
	wait "$pid"
	rc=$?
	pid=""
	# Non-zero also when a sanitizer build finds a leak at exit.
	[ $rc -eq 0 ] || fail "$kt: exit status $rc"
done
echo "1..$n"
