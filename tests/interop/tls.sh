#!/bin/sh
# Interop test of the TLS policy and session resumption on every TLS port
# (issue 12 items 7 and 8), with clients nobody here wrote: sslscan (its XML
# report judged by sslscan_check.py) and openssl s_client.  oprov-httpsd
# serves 6971 and 8443 (GnuTLS), oprov-sipd 5090 and 5091 (OpenSSL), each
# on a free port, with an RSA tomcat certificate (the only kind with which
# static-RSA suites could be offered at all).
#
# Cases, each on every port:
#   tls-policy-scan      protocols, suites and groups as the "intermediate"
#                        policy says: no suite without forward secrecy, no CBC
#                        over TLS 1.2, no CCM, nothing below TLS 1.2
#   tls-server-order     a client preferring ChaCha20 still gets the server's
#                        first suite (TLS 1.2 and TLS 1.3)
#   tls-resumption       a ticket from one connection resumes the next one,
#                        TLS 1.2 and TLS 1.3, lifetime hint = the setting
#   tls-ticket-rotation  a ticket issued later is sealed under another key
#                        (OpenSSL side: after one lifetime; GnuTLS derives a
#                        new key every three lifetimes), and a ticket older
#                        than its lifetime no longer resumes
#   tls-chain            the web certificate is a leaf of at most 398 days,
#                        sent without the self-signed root (also when the
#                        stored chain has it)
#   tls-policy-modern    --tls-policy modern refuses TLS 1.2
# and tls-check-fails: the checker flags a server that is off the policy
# (httpsd with the GnuTLS NORMAL priorities), so a pass means something.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=${OPROVCTL:-$top_builddir/cli/oprovctl}
HTTPSD=$top_builddir/httpsd/oprov-httpsd
SIPD=$top_builddir/sip/oprov-sipd
CHECK=$top_srcdir/tests/interop/sslscan_check.py
LIFE=60                 # --tls-ticket-lifetime under test (the minimum)

for t in sslscan openssl python3 curl; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed (scripts/deps.sh)"; exit 77; }
done
[ -x "$CTL" ] || { echo "SKIP: $CTL not built"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-tls.XXXXXX")
hpid="" spid=""
stop() { # pid variable name
	eval "p=\$$1"
	if [ -n "$p" ]; then
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		eval "$1="
	fi
}
cleanup() {
	stop hpid
	stop spid
	[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fail() {
	echo "FAIL: $*" >&2
	for l in httpsd sipd; do
		echo "--- last $l log lines" >&2
		tail -n 15 "$tmp/$l.log" >&2 2>/dev/null
	done
	exit 1
}
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

set -- $(python3 "$top_srcdir/tests/freeport.py" 5)
CP=$1 HP=$2 OP=$3 TP=$4 MP=$5
D=$tmp/d
ctl() { "$CTL" -d "$D" "$@"; }

ctl init --hostname localhost --key-type rsa2048 --web-key-type rsa2048 >"$tmp/init.out" 2>&1 ||
	{ cat "$tmp/init.out"; fail "oprovctl init"; }
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode enable"
# 5091 asks for a client certificate: an Expressway-C one from a CA in
# tomcat-trust, handed to sslscan and s_client there.
openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" \
	-subj "/CN=oprov interop ca" -days 30 -out "$tmp/ca.crt" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || fail "CA"
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/expc.key" \
	-subj "/CN=expc.example.com" -out "$tmp/expc.csr" 2>/dev/null || fail "csr"
printf 'subjectAltName=DNS:expc.example.com\nextendedKeyUsage=clientAuth\n' >"$tmp/expc.ext"
openssl x509 -req -in "$tmp/expc.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
	-CAcreateserial -days 30 -extfile "$tmp/expc.ext" -out "$tmp/expc.crt" \
	2>/dev/null || fail "client certificate"
ctl cert upload --purpose tomcat-trust "$tmp/ca.crt" >/dev/null || fail "cert upload"
ctl expressway add expc.example.com --x509-name expc.example.com >/dev/null ||
	fail "expressway add"

start_httpsd() { # extra flags
	"$HTTPSD" -d "$D" -f --metrics-listen off --threads 2 --config-listen "127.0.0.1:$CP" \
		--http-listen "127.0.0.1:$HP" --oauth-listen "127.0.0.1:$OP" \
		"$@" 2>>"$tmp/httpsd.log" &
	hpid=$!
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$HP/healthz"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "oprov-httpsd did not come up"
		kill -0 "$hpid" 2>/dev/null || fail "oprov-httpsd exited"
		sleep 0.1
	done
}
start_sipd() { # extra flags
	"$SIPD" -d "$D" -f --loops 2 --tls-listen "127.0.0.1:$TP" \
		--mtls-listen "127.0.0.1:$MP" "$@" 2>>"$tmp/sipd.log" &
	spid=$!
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $MP), 1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "oprov-sipd did not come up"
		kill -0 "$spid" 2>/dev/null || fail "oprov-sipd exited"
		sleep 0.1
	done
}
# The client certificate where the port wants one.
client_cert() { # port
	[ "$1" = "$MP" ] && echo "-cert $tmp/expc.crt -key $tmp/expc.key"
}
scan() { # port policy
	cc=""
	[ "$1" = "$MP" ] && cc="--certs=$tmp/expc.crt --pk=$tmp/expc.key"
	# shellcheck disable=SC2086
	sslscan --no-colour --no-heartbleed --no-compression $cc \
		--xml="$tmp/scan-$1.xml" "127.0.0.1:$1" >"$tmp/scan-$1.txt" 2>&1
	python3 "$CHECK" "$tmp/scan-$1.xml" "$2" rsa >"$tmp/check-$1.txt" 2>&1
}
# s_client VERSION PORT ARGS...: one connection, output in $tmp/s.out.
# WAIT (seconds, default 0) keeps it open before its end of input.
s_client() {
	v=$1 p=$2
	shift 2
	# shellcheck disable=SC2046
	{ sleep "${WAIT:-0}"; echo; } | openssl s_client -connect "127.0.0.1:$p" \
		-servername localhost "-$v" $(client_cert "$p") "$@" >"$tmp/s.out" 2>&1
}
# A session with a ticket into FILE: a TLS 1.3 ticket comes after the
# handshake, and a client that leaves at once may miss it, so a slow run
# (sanitizers, a loaded machine) asks again with more patience.
get_ticket() { # version port file
	for w in 0 1 3; do
		WAIT=$w s_client "$1" "$2" -sess_out "$3" || return 1
		grep -q "lifetime hint" "$tmp/s.out" && return 0
	done
	return 0                # the caller names what is missing
}
ticket_name() { # session file: the first 16 bytes of the ticket (its key name)
	openssl sess_id -in "$1" -noout -text 2>/dev/null |
		awk '/TLS session ticket:/ { t = 1; next } t && /^ *0000 -/ {
			line = $0; sub(/^ *0000 - /, "", line); gsub(/[-]/, " ", line)
			split(line, b, " "); s = ""
			for (i = 1; i <= 16; i++) s = s b[i]
			print s; exit }'
}
resumes() { # version port session-file: 0 when the session is resumed
	s_client "$1" "$2" -sess_in "$3" && grep -q "^Reused," "$tmp/s.out"
}

PORTS="$CP $OP $TP $MP"
name_of() {
	case $1 in
	"$CP") echo 6971 ;; "$OP") echo 8443 ;; "$TP") echo 5090 ;; *) echo 5091 ;;
	esac
}

# ---- tls-check-fails: the checker sees a server off the policy ------------
start_httpsd --tls-priorities NORMAL
scan "$CP" intermediate && fail "tls-check-fails: NORMAL priorities passed the check"
grep -q "not AEAD (CBC)\|tls 1.0 enabled" "$tmp/check-$CP.txt" ||
	fail "tls-check-fails: no violation named: $(cat "$tmp/check-$CP.txt")"
ok "tls-check-fails: GnuTLS NORMAL is flagged ($(grep -c violation "$tmp/check-$CP.txt") violations)"
stop hpid

start_httpsd --tls-ticket-lifetime $LIFE
start_sipd --tls-ticket-lifetime $LIFE

# ---- tls-policy-scan ----------------------------------------------------
for p in $PORTS; do
	scan "$p" intermediate || {
		cat "$tmp/check-$p.txt" "$tmp/scan-$p.txt" >&2
		fail "tls-policy-scan $(name_of "$p")"
	}
	ok "tls-policy-scan $(name_of "$p"): $(cat "$tmp/check-$p.txt")"
done

# ---- tls-server-order ----------------------------------------------------
for p in $PORTS; do
	s_client tls1_2 "$p" -cipher ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256 ||
		fail "tls-server-order $(name_of "$p"): TLS 1.2 handshake: $(tail -n 3 "$tmp/s.out")"
	grep -q "Cipher is ECDHE-RSA-AES128-GCM-SHA256" "$tmp/s.out" ||
		fail "tls-server-order $(name_of "$p"): TLS 1.2 $(grep 'Cipher is' "$tmp/s.out")"
	s_client tls1_3 "$p" -ciphersuites TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256 ||
		fail "tls-server-order $(name_of "$p"): TLS 1.3 handshake"
	grep -q "Cipher is TLS_AES_128_GCM_SHA256" "$tmp/s.out" ||
		fail "tls-server-order $(name_of "$p"): TLS 1.3 $(grep 'Cipher is' "$tmp/s.out")"
	ok "tls-server-order $(name_of "$p"): AES-128-GCM chosen over the client's ChaCha20"
done

# ---- tls-chain (issue 12 item 9) -------------------------------------------
# The web certificate init made: a leaf of at most 398 days, sent without
# the self-signed root; also when the stored chain carries the root.
chain_check() { # what
	for p in $PORTS; do
		s_client tls1_3 "$p" -showcerts || fail "tls-chain $(name_of "$p"): handshake"
		nc=$(grep -c "BEGIN CERTIFICATE" "$tmp/s.out")
		[ "$nc" -eq 1 ] || fail "tls-chain $(name_of "$p") $1: $nc certificates sent"
	done
	ok "tls-chain $1: 6971, 8443, 5090, 5091 send the leaf alone"
}
s_client tls1_3 "$CP" -showcerts || fail "tls-chain: handshake"
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$tmp/s.out" >"$tmp/leaf.pem"
days=$(( ($(date -d "$(openssl x509 -in "$tmp/leaf.pem" -noout -enddate | cut -d= -f2)" +%s) -
          $(date -d "$(openssl x509 -in "$tmp/leaf.pem" -noout -startdate | cut -d= -f2)" +%s)) / 86400 ))
[ "$days" -le 398 ] || fail "tls-chain: the web certificate is valid $days days"
ok "tls-chain: the web certificate init made is valid $days days (at most 398)"
chain_check "(init's store)"
# The stored chain with the root appended, as an administrator might upload it.
sqlite3 "$D/oprov.db" "UPDATE cert SET pem = pem || (SELECT pem FROM cert
	WHERE purpose = 'tomcat-trust' LIMIT 1) WHERE purpose = 'tomcat'" ||
	fail "tls-chain: appending the root"
kill -HUP "$hpid" "$spid"
i=0
until grep -q "reload: certificates and listeners" "$tmp/httpsd.log" &&
	grep -q "reload: TLS certificates reloaded" "$tmp/sipd.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "tls-chain: the daemons did not reload"
	sleep 0.1
done
! grep -q "keeping the" "$tmp/httpsd.log" "$tmp/sipd.log" || fail "tls-chain: a reload failed"
sleep 0.5
chain_check "(root in the stored chain)"

# ---- tls-resumption --------------------------------------------------------
t0=$(date +%s)
for p in $PORTS; do
	for v in tls1_2 tls1_3; do
		get_ticket "$v" "$p" "$tmp/sess-$p-$v" ||
			fail "tls-resumption $(name_of "$p") $v: first handshake"
		grep -q "^New," "$tmp/s.out" || fail "tls-resumption $(name_of "$p") $v: not new"
		grep -q "lifetime hint: $LIFE (seconds)" "$tmp/s.out" ||
			fail "tls-resumption $(name_of "$p") $v: $(grep -m1 'lifetime hint' "$tmp/s.out" || echo 'no ticket')"
		resumes "$v" "$p" "$tmp/sess-$p-$v" ||
			fail "tls-resumption $(name_of "$p") $v: $(grep -m1 'Cipher is' "$tmp/s.out")"
	done
	ok "tls-resumption $(name_of "$p"): TLS 1.2 and TLS 1.3 tickets resume, lifetime hint $LIFE s"
done
t1=$(date +%s)          # the last of those sessions began by now

# ---- tls-ticket-rotation ----------------------------------------------------
# sipd's keys seal for one lifetime; GnuTLS's derived keys change every
# three lifetimes (its STEK_ROTATION_PERIOD_PRODUCT).  So within three
# lifetimes of the first tickets a fresh ticket must carry another key
# name on every port.  The first tickets have by then outlived their
# lifetime and must not resume.
for p in $PORTS; do
	first=$(ticket_name "$tmp/sess-$p-tls1_3")
	[ -n "$first" ] || fail "tls-ticket-rotation $(name_of "$p"): no ticket key name"
	eval "first_$p=$first"
done
pending=$PORTS
while [ -n "$pending" ] && [ $(($(date +%s) - t0)) -le $((3 * LIFE + 10)) ]; do
	sleep 5
	left=""
	for p in $pending; do
		get_ticket tls1_3 "$p" "$tmp/late-$p" || fail "tls-ticket-rotation: handshake"
		eval "first=\$first_$p"
		late=$(ticket_name "$tmp/late-$p")
		# s_client may close before a TLS 1.3 ticket arrives: no
		# ticket is no verdict, the next round asks again.
		if [ -n "$late" ] && [ "$late" != "$first" ]; then
			ok "tls-ticket-rotation $(name_of "$p"): new ticket key after $(($(date +%s) - t0)) s"
		else
			left="$left $p"
		fi
	done
	pending=$left
done
[ -z "$pending" ] || fail "tls-ticket-rotation: still the first key on$(for p in $pending; do printf ' %s' "$(name_of "$p")"; done)"
# Each session must have outlived its lifetime, the last one included.
while [ $(($(date +%s) - t1)) -le $((LIFE + 2)) ]; do sleep 1; done
for p in $PORTS; do
	for v in tls1_2 tls1_3; do
		resumes "$v" "$p" "$tmp/sess-$p-$v" &&
			fail "tls-ticket-rotation $(name_of "$p") $v: resumed after its lifetime"
	done
done
ok "tls-ticket-rotation: no port resumes a session older than its lifetime"

# ---- tls-policy-modern --------------------------------------------------------
stop hpid
stop spid
start_httpsd --tls-policy modern
start_sipd --tls-policy modern
for p in $PORTS; do
	s_client tls1_2 "$p" && fail "tls-policy-modern $(name_of "$p"): TLS 1.2 accepted"
	s_client tls1_3 "$p" || fail "tls-policy-modern $(name_of "$p"): TLS 1.3 refused"
done
ok "tls-policy-modern: TLS 1.2 refused, TLS 1.3 accepted on 6971, 8443, 5090, 5091"

for v in hpid spid; do
	eval "p=\$$v"
	kill -0 "$p" 2>/dev/null || fail "a daemon died"
	kill "$p"
	wait "$p"
	rc=$?
	eval "$v="
	# Non-zero also when a sanitizer build finds a leak at exit.
	[ $rc -eq 0 ] || fail "exit status $rc"
done
echo "1..$n"
