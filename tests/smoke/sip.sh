#!/bin/sh
# Smoke test of oprov-sipd with SIPp (Debian sip-tester) as the client, over
# TCP into stunnel, which speaks TLS / mutual TLS to a daemon this script
# starts on free ports.  Tokens reach SIPp through -inf CSV files.  Covers:
# no token -> 407 (401 in rfc8898 style); both credential forms -> 200; the
# token of another device, or an AOR not among the device's lines -> 403;
# expired and revoked tokens -> challenge with invalid_token; profile
# without OAuth and mode off -> 403 port mismatch; 5091 without a client
# certificate, with an untrusted one, with a
# trusted but unlisted one and with the listed Expressway-C certificate;
# un-REGISTER; `oprovctl registrations` before and after; a line shared by
# devices whose connections sit on different event loops; the Request-URI
# domain check; the per-address connection cap, the idle timeout,
# keepalives and SIGHUP.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=${OPROVCTL:-$top_builddir/cli/oprovctl}
SIPD=$top_builddir/sip/oprov-sipd
DATA=$top_srcdir/tests/data/sip

for t in sipp stunnel openssl python3 sqlite3; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
if [ ! -x "$CTL" ]; then
	# Only in a tree without cli/ (the sip branch before the merge).
	echo "SKIP: $CTL not built"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-sip.XXXXXX")
pids=""
sipd_pid=""
cleanup() {
	for p in $pids $sipd_pid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fail() {
	echo "FAIL: $*" >&2
	echo "--- last daemon log lines" >&2
	tail -n 20 "$tmp/sipd.log" >&2 2>/dev/null
	exit 1
}
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

set -- $(python3 "$top_srcdir/tests/freeport.py" 10)
TP=$1 MP=$2 S1=$3 S2=$4 S3=$5 S4=$6 S5=$7 LP=$8 TP2=$9
D=$tmp/d
ctl() { "$CTL" -d "$D" "$@"; }

ctl init --hostname node1.example.com >"$tmp/init.out" 2>&1 ||
	{ cat "$tmp/init.out"; fail "oprovctl init"; }
ctl device add SEP001122334455 --model 8845 --profile Standard-OAuth \
	--line 1001 >/dev/null || fail "device add"
ctl device add SEP00AABBCCDDEE --model 8845 --profile Standard-OAuth \
	--line 1002 >/dev/null || fail "device add (second)"
ctl device add SEP112233445566 --model 7841 --profile Standard-Non-Secure \
	--line 1003 >/dev/null || fail "device add (no OAuth)"
T1=$(ctl token mint --device SEP001122334455 2>/dev/null) || fail "token mint"
T2=$(ctl token mint --device SEP00AABBCCDDEE 2>/dev/null) || fail "token mint (second)"
T3=$(ctl token mint --device SEP112233445566 2>/dev/null) || fail "token mint (no OAuth)"
# A line shared by four devices (the daemon runs two event loops, so their
# connections land on either).
TS=""
for m in 0000000000A1 0000000000A2 0000000000A3 0000000000A4; do
	ctl device add "SEP$m" --model 8845 --profile Standard-OAuth --line 2000 \
		>/dev/null || fail "device add SEP$m (shared line)"
	t=$(ctl token mint --device "SEP$m" 2>/dev/null) || fail "token mint SEP$m"
	TS="$TS $t"
done

# An expired token, signed with the store's current key: built with openssl
# from the key row (the same claims oprovctl mints, with exp in the past).
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
sqlite3 "$D/oprov.db" "SELECT private_pem FROM signing_key WHERE state = 0" >"$tmp/sk.pem" ||
	fail "reading the signing key"
KID=$(sqlite3 "$D/oprov.db" "SELECT kid FROM signing_key WHERE state = 0")
ISS=https://node1.example.com:8443
now=$(date +%s)
h=$(printf '{"alg":"RS256","typ":"at+jwt","kid":"%s"}' "$KID" | b64url)
p=$(printf '{"aud":"%s","client_id":"oprovctl","dev":"SEP001122334455","exp":%d,"iat":%d,"iss":"%s","jti":"expired-1","nbf":%d,"scope":"config sip-register","sub":"SEP001122334455"}' \
	"$ISS" $((now - 600)) $((now - 4200)) "$ISS" $((now - 4200)) | b64url)
s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$tmp/sk.pem" -binary | b64url)
TEXP=$h.$p.$s
rm -f "$tmp/sk.pem"

# Certificates for 5091: a CA in tomcat-trust, the listed Expressway-C, a
# trusted but unlisted client, and the same name from a CA nobody trusts.
mkcert() { # name cn ca
	openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" -subj "/CN=$2" \
		-out "$tmp/$1.csr" 2>/dev/null || fail "csr $1"
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=clientAuth\n' "$2" >"$tmp/$1.ext"
	openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$3.crt" -CAkey "$tmp/$3.key" \
		-CAcreateserial -days 30 -extfile "$tmp/$1.ext" -out "$tmp/$1.crt" \
		2>/dev/null || fail "cert $1"
}
for ca in ca rogue; do
	openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$tmp/$ca.key" \
		-subj "/CN=oprov smoke $ca" -days 30 -out "$tmp/$ca.crt" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || fail "ca $ca"
done
mkcert expc expc.example.com ca
mkcert other other.example.com ca
mkcert fake expc.example.com rogue
ctl cert upload --purpose tomcat-trust "$tmp/ca.crt" >/dev/null || fail "cert upload"
ctl expressway add expc.example.com --x509-name expc.example.com \
	--description smoke >/dev/null || fail "expressway add"

# stunnel clients: SIPp speaks TCP to them, they speak TLS to oprov-sipd.
tunnel() { # name accept-port connect-port [cert]
	{
		echo "foreground = yes"
		echo "pid ="
		echo "debug = 4"
		echo "[$1]"
		echo "client = yes"
		echo "accept = 127.0.0.1:$2"
		echo "connect = 127.0.0.1:$3"
		if [ $# -ge 4 ]; then
			echo "cert = $tmp/$4.crt"
			echo "key = $tmp/$4.key"
		fi
	} >"$tmp/$1.conf"
	stunnel "$tmp/$1.conf" >"$tmp/$1.log" 2>&1 &
	pids="$pids $!"
}
tunnel tls "$S1" "$TP"
tunnel mtls-listed "$S2" "$MP" expc
tunnel mtls-unlisted "$S3" "$MP" other
tunnel tls2 "$S4" "$TP2"

start_sipd() { # extra flags
	"$SIPD" -d "$D" -f --loops 2 --tls-listen "127.0.0.1:$TP" \
		--mtls-listen "127.0.0.1:$MP" "$@" >>"$tmp/sipd.log" 2>&1 &
	sipd_pid=$!
}
wait_port() { # port: until something listens (or 10 s)
	i=0
	while ! python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || return 1
		sleep 0.2
	done
}
wait_closed() { # port: until nothing listens (or 10 s)
	i=0
	while python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || return 1
		sleep 0.2
	done
}

csv() { # mac credential-line line-number
	printf 'SEQUENTIAL\n%s;%s;%s;\n' "$1" "$2" "$3" >"$tmp/in.csv"
}
free_tcp_port() {
	python3 "$top_srcdir/tests/freeport.py" 1
}
sipp_run() { # scenario port [tag]
	# SIPp's own socket port is chosen free just before it runs; another
	# program can still take it in between, so a bind failure (and only
	# that) is retried on a new port.
	for _try in 1 2 3 4 5; do
		rm -f "$tmp/sipp-err.log"
		(cd "$tmp" && sipp -sf "$DATA/$1" -inf "$tmp/in.csv" -t t1 -p "$LP" \
			-m 1 -timeout 15 -timeout_error -nostdin -trace_err \
			-error_file "$tmp/sipp-err.log" "127.0.0.1:$2" >"$tmp/sipp.out" 2>&1) &&
			return 0
		grep -q "Unable to bind main socket" "$tmp/sipp.out" "$tmp/sipp-err.log" 2>/dev/null ||
			return 1
		LP=$(free_tcp_port)
	done
	return 1
}
expect_sipp() { # description scenario port
	sipp_run "$2" "$3" || {
		cat "$tmp/sipp-err.log" "$tmp"/*_errors.log 2>/dev/null | tail -n 30 >&2
		fail "$1"
	}
	ok "$1"
}

# ---- mode off: nothing listens; REGISTERs on a forced listener get 403 ---
start_sipd
sleep 1.5
if python3 -c "import socket; socket.create_connection(('127.0.0.1', $TP), 1)" 2>/dev/null; then
	fail "5090 listens while the cluster SIP OAuth mode is off"
fi
ok "no listener while SIP OAuth mode is off"
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode enable"
wait_port "$TP" || fail "listener not opened after the mode was enabled"
ok "listeners opened when the mode flipped on (no restart)"

# ---- 5090 ------------------------------------------------------------------
csv 001122334455 "X-No-Credentials: 1" 1001
expect_sipp "no token -> 407 Proxy-Authenticate Bearer realm=ccmsipline" sipp-reg-407.xml "$S1"
csv 001122334455 "Authorization: Bearer $T1" 1001
expect_sipp "Authorization: Bearer <token> -> 200, Expires 120" sipp-reg-200.xml "$S1"
csv 001122334455 "Proxy-Authorization: Bearer token=\"$T1\"" 1001
expect_sipp "Proxy-Authorization: Bearer token=\"...\" -> 200" sipp-reg-200.xml "$S1"
csv 001122334455 "Authorization: Bearer $T2" 1001
expect_sipp "token of another device -> 403" sipp-reg-403.xml "$S1"
csv 001122334455 "Authorization: Bearer $T1" 1002
expect_sipp "valid token, AOR not a line of the device -> 403" sipp-reg-403.xml "$S1"
csv 001122334455 "Authorization: Bearer $TEXP" 1001
expect_sipp "expired token -> 407 error=invalid_token" sipp-reg-invalid.xml "$S1"
csv 112233445566 "Authorization: Bearer $T3" 1003
expect_sipp "profile without OAuth -> 403 SIP OAuth Registration port Mismatch" \
	sipp-reg-403-mismatch.xml "$S1"

# ---- registrations before and after an un-REGISTER -------------------------
ctl registrations >"$tmp/reg0.out" 2>&1 || fail "oprovctl registrations"
grep -q SEP001122334455 "$tmp/reg0.out" && fail "a binding outlived its connection"
csv 001122334455 "Authorization: Bearer $T1" 1001
sipp_run sipp-unreg.xml "$S1" &
unreg=$!
sleep 2.5
ctl registrations >"$tmp/reg1.out" 2>&1 || fail "oprovctl registrations"
grep -q 'SEP001122334455' "$tmp/reg1.out" ||
	{ cat "$tmp/reg1.out"; fail "registration not listed while held"; }
ok "oprovctl registrations lists the binding"
wait $unreg || { cat "$tmp/sipp-err.log" 2>/dev/null; fail "un-REGISTER"; }
ok "un-REGISTER with Contact: * and Expires: 0 -> 200"
sleep 1.5
ctl registrations >"$tmp/reg2.out" 2>&1 || fail "oprovctl registrations"
grep -q 'SEP001122334455' "$tmp/reg2.out" &&
	{ cat "$tmp/reg2.out"; fail "binding still listed after un-REGISTER"; }
ok "oprovctl registrations no longer lists it"

# ---- 5091 ------------------------------------------------------------------
csv 001122334455 "Authorization: Bearer $T1" 1001
expect_sipp "5091 with the listed Expressway-C certificate -> 200" sipp-reg-200.xml "$S2"
expect_sipp "5091 trusted but unlisted certificate -> 403 TLS authentication failure" \
	sipp-reg-403-tls.xml "$S3"
# Through a listed Expressway-C the Request-URI names the MRA service
# domain, which no node is called: served; on 5090 the same is a 404.
python3 - "$MP" "$TP" "$T1" "$tmp/expc.crt" "$tmp/expc.key" <<'EOF' ||
import socket, ssl, sys
mp, tp, tok, crt, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def ask(port, cert):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(crt, key)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 5))
    s.sendall(("REGISTER sip:mra.example.org SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKmra\r\n"
               "From: <sip:1001@node1.example.com>;tag=1\r\nTo: <sip:1001@node1.example.com>\r\n"
               "Call-ID: mra-%d\r\nCSeq: 1 REGISTER\r\n"
               "Contact: <sip:1001@127.0.0.1:9;transport=tls>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-001122334455>\"\r\n"
               "Authorization: Bearer %s\r\nContent-Length: 0\r\n\r\n" % (port, tok)).encode())
    s.settimeout(5)
    d = b""
    while b"\r\n\r\n" not in d:
        c = s.recv(4096)
        if not c:
            break
        d += c
    s.close()
    return d.split(b"\r\n")[0].decode(errors="replace")
a, b = ask(mp, True), ask(tp, False)
if not a.startswith("SIP/2.0 200 ") or not b.startswith("SIP/2.0 404 "):
    sys.exit("MRA domain: 5091 %r, 5090 %r" % (a, b))
EOF
	fail "MRA service domain in the Request-URI"
ok "5091 via the listed Expressway-C serves its MRA domain; 5090 answers it 404"
reg='REGISTER sip:node1.example.com SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKx\r\nFrom: <sip:1001@node1.example.com>;tag=1\r\nTo: <sip:1001@node1.example.com>\r\nCall-ID: nocert\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:9;transport=tls>\r\nContent-Length: 0\r\n\r\n'
no_sip_answer() { # description [s_client args]
	d=$1
	shift
	printf "$reg" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$MP" \
		"$@" >"$tmp/s_client.out" 2>&1
	grep -q '^SIP/2.0' "$tmp/s_client.out" && fail "$d: got a SIP answer"
	ok "$d"
}
before=$(grep -c 'TLS handshake refused' "$tmp/sipd.log")
no_sip_answer "5091 without a client certificate: handshake refused"
no_sip_answer "5091 with an untrusted certificate: handshake refused" \
	-cert "$tmp/fake.crt" -key "$tmp/fake.key"
after=$(grep -c 'TLS handshake refused' "$tmp/sipd.log")
[ $((after - before)) -ge 2 ] || fail "refused handshakes not logged"
ok "refused handshakes logged with their reason"

# ---- one binding table for all event loops; Request-URI domain -------------
python3 - "$TP" $TS <<'EOF' || fail "shared line across event loops / domain check"
import socket, ssl, sys
port, toks = int(sys.argv[1]), sys.argv[2:]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def conn():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 5))
def register(s, mac, tok, ruri="node1.example.com", contact=True, n=1):
    msg = ("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bK%s%d\r\n"
           "From: <sip:2000@node1.example.com>;tag=1\r\nTo: <sip:2000@node1.example.com>\r\n"
           "Call-ID: shared-%s\r\nCSeq: %d REGISTER\r\n" % (ruri, mac, n, mac, n))
    if contact:
        msg += ("Contact: <sip:2000@127.0.0.1:9;transport=tls>;"
                "+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-%s>\"\r\n" % mac)
    msg += "Authorization: Bearer %s\r\nContent-Length: 0\r\n\r\n" % tok
    s.sendall(msg.encode())
    s.settimeout(5)
    d = b""
    while b"\r\n\r\n" not in d:
        c = s.recv(4096)
        if not c:
            break
        d += c
    return d.decode(errors="replace")
macs = ["0000000000a1", "0000000000a2", "0000000000a3", "0000000000a4"]
held = []
for mac, tok in zip(macs, toks):
    s = conn()
    held.append(s)
    r = register(s, mac, tok)
    if not r.startswith("SIP/2.0 200 "):
        sys.exit("shared line, %s: %s" % (mac, r.splitlines()[0] if r else "no answer"))
# Whichever loop answers, the 200 lists every device's binding of the line.
for i in range(3):
    s = conn()
    r = register(s, macs[0], toks[0], contact=False, n=10 + i)
    s.close()
    got = sorted(m for m in macs if m in r.lower())
    if not r.startswith("SIP/2.0 200 ") or got != macs:
        sys.exit("query %d lists %s, not all four devices:\n%s" % (i, got, r))
print("# the 200 lists the bindings of all four connections")
# RFC 3261 10.3 step 1: a domain nobody here serves -> 404, even with a valid
# token; the node's host in any case with a trailing dot, the address the
# client connected to, localhost over loopback and this host's name are
# served.
s = held[0]
for n, ruri in ((18, "elsewhere.example.net"), (19, "192.0.2.1"),
                (20, "[2001:db8::1]:5090")):
    r = register(s, macs[0], toks[0], ruri=ruri, n=n)
    if not r.startswith("SIP/2.0 404 "):
        sys.exit("foreign Request-URI domain %s: %s" % (ruri, r.splitlines()[0]))
for n, ruri in ((21, "NODE1.Example.COM."), (22, "127.0.0.1:5090"),
                (23, "localhost"), (24, socket.gethostname())):
    r = register(s, macs[0], toks[0], ruri=ruri, n=n)
    if not r.startswith("SIP/2.0 200 "):
        sys.exit("Request-URI %s: %s" % (ruri, r.splitlines()[0]))
print("# Request-URI domain: 404 for a foreign one, 200 for ours")
EOF
ok "one binding table for both event loops; Request-URI domain checked"
grep -q 'reason=Request-URI domain not served here' "$tmp/sipd.log" ||
	fail "foreign domain refusal not logged"

# ---- revoked token -------------------------------------------------------------
ctl token revoke --device SEP001122334455 >/dev/null 2>&1 || fail "token revoke"
sleep 1.5
csv 001122334455 "Authorization: Bearer $T1" 1001
expect_sipp "revoked token -> 407 error=invalid_token" sipp-reg-invalid.xml "$S1"

# ---- mode off with a connection open: 403 port mismatch; listener closed --
ctl sipoauth-mode disable >/dev/null || fail "sipoauth-mode disable"
wait_closed "$TP" || fail "listener still open after the mode was disabled"
ok "listeners closed when the mode flipped off"
kill "$sipd_pid"; wait "$sipd_pid" 2>/dev/null; sipd_pid=""

# ---- rfc8898 style, mode off on an explicit listener -------------------------
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode enable"
"$SIPD" -d "$D" -f --loops 1 --tls-listen "127.0.0.1:$TP2" --mtls-listen off \
	--tls-challenge rfc8898 --domain sip.example.org >>"$tmp/sipd.log" 2>&1 &
sipd_pid=$!
wait_port "$TP2" || fail "rfc8898 daemon did not listen"
csv 001122334455 "X-No-Credentials: 1" 1001
expect_sipp "no token, rfc8898 style -> 401 WWW-Authenticate with authz_server" \
	sipp-reg-401.xml "$S4"
python3 - "$TP2" <<'EOF' || fail "--domain"
import socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def first_line(domain):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 5))
    s.sendall(("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKd\r\n"
               "From: <sip:1001@%s>;tag=1\r\nTo: <sip:1001@%s>\r\nCall-ID: dom\r\n"
               "CSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:9;transport=tls>\r\n"
               "Content-Length: 0\r\n\r\n" % (domain, domain, domain)).encode())
    s.settimeout(5)
    d = b""
    while b"\r\n\r\n" not in d:
        c = s.recv(4096)
        if not c:
            break
        d += c
    s.close()
    return d.split(b"\r\n")[0].decode(errors="replace")
a, b = first_line("SIP.example.org"), first_line("other.example.org")
if not a.startswith("SIP/2.0 401 ") or not b.startswith("SIP/2.0 404 "):
    sys.exit("--domain sip.example.org: %r; other.example.org: %r" % (a, b))
EOF
ok "--domain adds a served Request-URI domain (others still 404)"
# A connection opened while the mode is on, used after it went off.
rm -f "$tmp/held.up"
python3 - "$TP2" "$T2" "$tmp/held.up" <<'EOF' &
import socket, ssl, sys, time
port, tok = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
open(sys.argv[3], "w").close()          # connected: the mode may go off now
time.sleep(4)
msg = ("REGISTER sip:node1.example.com SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKm\r\n"
       "From: <sip:1002@node1.example.com>;tag=1\r\nTo: <sip:1002@node1.example.com>\r\n"
       "Call-ID: off\r\nCSeq: 1 REGISTER\r\n"
       "Contact: <sip:1002@127.0.0.1:9;transport=tls>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-00aabbccddee>\"\r\n"
       "Authorization: Bearer %s\r\nContent-Length: 0\r\n\r\n" % tok)
s.sendall(msg.encode())
s.settimeout(5)
d = b""
while b"\r\n\r\n" not in d:
    c = s.recv(4096)
    if not c:
        break
    d += c
sys.exit(0 if d.startswith(b"SIP/2.0 403 ") and b'"SIP OAuth Registration port Mismatch"' in d else 1)
EOF
held=$!
i=0
while [ ! -e "$tmp/held.up" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ctl sipoauth-mode disable >/dev/null || fail "sipoauth-mode disable"
wait $held || fail "mode off: REGISTER on an open connection not refused with port Mismatch"
ok "mode off -> 403 SIP OAuth Registration port Mismatch"

# ---- connection caps, idle timeout, SIGHUP --------------------------------
kill "$sipd_pid"; wait "$sipd_pid" 2>/dev/null; sipd_pid=""
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode enable"
"$SIPD" -d "$D" -f --loops 1 --tls-listen "127.0.0.1:$TP2" --mtls-listen off \
	--max-conn-per-addr 2 --idle-timeout 5 >>"$tmp/sipd.log" 2>&1 &
sipd_pid=$!
wait_port "$TP2" || fail "capped daemon did not listen"
sleep 1        # wait_port's own probe connection is gone
python3 - "$TP2" <<'EOF' || fail "per-address cap or idle timeout"
import socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def tls():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 5))
a, b = tls(), tls()
try:
    c = tls()
    c.settimeout(3)
    if c.recv(1) != b"":
        sys.exit("third connection from one address not closed")
except (ssl.SSLError, OSError):
    pass
# the two admitted ones still answer
a.sendall(b"\r\n\r\n")
a.settimeout(3)
if a.recv(2) != b"\r\n":
    sys.exit("keepalive not answered")
time.sleep(7)
b.settimeout(3)
try:
    if b.recv(1) != b"":
        sys.exit("idle connection not closed")
except (ssl.SSLError, OSError):
    pass
EOF
ok "per-address cap and idle timeout; keepalive answered"
grep -q 'over 2 connections from one address' "$tmp/sipd.log" || fail "cap not logged"
kill -HUP "$sipd_pid"
sleep 2
grep -q 'TLS certificates reloaded' "$tmp/sipd.log" || fail "SIGHUP reload not logged"
ok "SIGHUP reloads the certificates"

grep -q "$T1" "$tmp/sipd.log" && fail "a token reached the log"
ok "no token in the daemon log"
[ -s "$D/run/oprov-sipd.stats" ] && grep -q '^connections_total [1-9]' "$D/run/oprov-sipd.stats" ||
	fail "stats file"
ok "stats file written"
kill "$sipd_pid"
wait "$sipd_pid"
st=$?
sipd_pid=""
[ $st -eq 0 ] || fail "oprov-sipd exited with $st on SIGTERM"
# Under --enable-sanitizers the daemon reports into its log.
grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$tmp/sipd.log" >&2 &&
	fail "sanitizer report from oprov-sipd"
ok "daemon stopped cleanly"
exit 0
