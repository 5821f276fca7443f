#!/bin/sh
# The start-up the man pages document, end to end: `oprovctl init` as root,
# then each daemon started as root with --user, in the background (the
# production form).  Each must hand the root-owned store over, drop to the
# user, daemonize with a locked pid file, and serve: a file over 6970 and a
# config over 6971 (oprov-httpsd), a file over TFTP (oprov-tftpd), one
# REGISTER over TLS (oprov-sipd).  Also: a second instance on the same data
# directory, an unknown user, a taken port and a data directory the user
# cannot reach each stop the start with one "start-up: STEP: ..." line and
# exit 1.  Needs root and useradd: skipped with the reason otherwise.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=$top_builddir/cli/oprovctl
HTTPSD=$top_builddir/httpsd/oprov-httpsd
SIPD=$top_builddir/sip/oprov-sipd
TFTPD=$top_builddir/tftp/oprov-tftpd

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: --user needs root (running as uid $(id -u))"
	exit 77
fi
for t in useradd userdel curl tftp python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
U=oprovsmk$$
if ! useradd --system --no-create-home --shell /usr/sbin/nologin "$U" 2>"${TMPDIR:-/tmp}/useradd.$$"; then
	echo "SKIP: cannot create a user here: $(cat "${TMPDIR:-/tmp}/useradd.$$")"
	rm -f "${TMPDIR:-/tmp}/useradd.$$"
	exit 77
fi
rm -f "${TMPDIR:-/tmp}/useradd.$$"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-startup.XXXXXX")
chmod 0711 "$tmp"               # the daemon user must reach the data directory
D=$tmp/d
cleanup() {
	for f in "$D"/run/*.pid "$tmp"/other/run/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.5
	pkill -u "$U" 2>/dev/null
	userdel "$U" 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fail() {
	echo "FAIL: $*" >&2
	for l in "$tmp"/*.log; do echo "--- $l" >&2; tail -n 15 "$l" >&2; done
	exit 1
}
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

set -- $(python3 "$top_srcdir/tests/freeport.py" 6)
CP=$1 HP=$2 OP=$3 TP=$4 MP=$5 XP=$6
UP=$(python3 "$top_srcdir/tests/freeport.py" 1)

ctl() { "$CTL" -d "$D" "$@"; }
ctl init --hostname localhost >"$tmp/init.log" 2>&1 || fail "oprovctl init as root"
[ "$(stat -c %U "$D/oprov.db")" = root ] || fail "the store should start out root's"
ctl device add SEP001122334455 --model 8845 --profile Standard-OAuth \
	--line 1001 >/dev/null || fail "device add"
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode enable"
echo "public file" >"$D/files/pub.txt"
TOKEN=$(ctl token mint --device SEP001122334455 2>/dev/null) || fail "token mint"

# ---- the three daemons, as root with --user, in the background ---------
"$HTTPSD" -d "$D" --user "$U" --config-listen "127.0.0.1:$CP" \
	--http-listen "127.0.0.1:$HP" --oauth-listen "127.0.0.1:$OP" --metrics-listen off \
	>"$tmp/httpsd.log" 2>&1 || fail "oprov-httpsd did not start"
"$TFTPD" -d "$D" --user "$U" -l "127.0.0.1:$UP" >"$tmp/tftpd.log" 2>&1 ||
	fail "oprov-tftpd did not start"
"$SIPD" -d "$D" --user "$U" --tls-listen "127.0.0.1:$TP" \
	--mtls-listen "127.0.0.1:$MP" >"$tmp/sipd.log" 2>&1 ||
	fail "oprov-sipd did not start"
ok "oprovctl init as root, then each daemon as root with --user $U"

for d in oprov-httpsd oprov-tftpd oprov-sipd; do
	f=$D/run/$d.pid
	i=0
	# Generous: a loaded machine (parallel tests, CI) can be slow to start.
	while [ ! -s "$f" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$f" ] || fail "$d: no pid file"
	pid=$(cat "$f")
	[ "$(ps -o user= -p "$pid" | tr -d ' ')" = "$U" ] ||
		fail "$d (pid $pid) does not run as $U: $(ps -o user=,cmd= -p "$pid")"
	[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" != "$$" ] || fail "$d did not detach"
done
ok "each runs as $U, detached, its pid in DATADIR/run/NAME.pid"
for f in "$D" "$D/oprov.db" "$D/run"; do
	[ "$(stat -c %U "$f")" = "$U" ] || fail "$f not handed over to $U"
done
grep -q "start-up: $D/oprov.db now belongs to $U" "$tmp/httpsd.log" ||
	fail "the hand-over is not logged"
ok "the root-owned store was handed to $U, and that was logged"

i=0
until curl -sf "http://127.0.0.1:$HP/pub.txt" -o "$tmp/pub.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "6970: no answer"; sleep 0.1
done
cmp -s "$tmp/pub.out" "$D/files/pub.txt" || fail "6970: wrong bytes"
code=$(curl -sk -o "$tmp/cfg.xml" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	"https://127.0.0.1:$CP/SEP001122334455.cnf.xml")
[ "$code" = 200 ] && grep -q '<sipOAuthMode>1</sipOAuthMode>' "$tmp/cfg.xml" ||
	fail "6971: config with the token: $code"
ok "oprov-httpsd as $U: a public file over 6970, the config over 6971"

(cd "$tmp" && tftp 127.0.0.1 "$UP" -m binary -c get pub.txt tftp.out) &&
	cmp -s "$tmp/tftp.out" "$D/files/pub.txt" || fail "tftp get pub.txt"
ok "oprov-tftpd as $U: a file over TFTP"

python3 - "$TP" "$TOKEN" <<'EOF' || fail "REGISTER through oprov-sipd as $U"
import socket, ssl, sys, time
port, tok = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for i in range(150):         # the listener opens once the mode is seen
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 2))
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("5090: no listener")
s.sendall(("REGISTER sip:localhost SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKu\r\n"
           "From: <sip:1001@localhost>;tag=1\r\nTo: <sip:1001@localhost>\r\n"
           "Call-ID: startup\r\nCSeq: 1 REGISTER\r\n"
           "Contact: <sip:1001@127.0.0.1:9;transport=tls>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-001122334455>\"\r\n"
           "Authorization: Bearer %s\r\nContent-Length: 0\r\n\r\n" % tok).encode())
s.settimeout(5)
d = b""
while b"\r\n\r\n" not in d:
    c = s.recv(4096)
    if not c:
        break
    d += c
sys.exit(0 if d.startswith(b"SIP/2.0 200 ") else "answer: %r" % d[:200])
EOF
ok "oprov-sipd as $U: one REGISTER -> 200"

# ---- failures: one line naming the step, exit 1 --------------------------
expect_fail() { # description step-pattern command...
	desc=$1 pat=$2
	shift 2
	"$@" >"$tmp/fail.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "$desc: exit $rc, not 1"
	grep -q "start-up: $pat" "$tmp/fail.out" ||
		fail "$desc: no \"start-up: $pat\" line: $(cat "$tmp/fail.out")"
	ok "$desc -> exit 1, \"$(grep -o "start-up: $pat.*" "$tmp/fail.out" | head -c 110)\""
}
set -- $(python3 "$top_srcdir/tests/freeport.py" 3)
expect_fail "a second oprov-httpsd on the same data directory" \
	"pid file: .*already running" \
	"$HTTPSD" -d "$D" -f --user "$U" --config-listen "127.0.0.1:$1" \
	--http-listen "127.0.0.1:$2" --oauth-listen "127.0.0.1:$3" --metrics-listen off
expect_fail "a second oprov-tftpd on the same UDP port" "bind: " \
	"$TFTPD" -d "$D" -f --user "$U" -l "127.0.0.1:$UP"
expect_fail "a second oprov-sipd on the same TLS port" "bind: .*$TP" \
	"$SIPD" -d "$D" -f --user "$U" --tls-listen "127.0.0.1:$TP" --mtls-listen off
expect_fail "an unknown user" "user: unknown user" \
	"$TFTPD" -d "$D" -f --user "no-such-user-$$" -l 127.0.0.1:0
mkdir -m 0700 "$tmp/private"
"$CTL" -d "$tmp/private/d" init --hostname localhost >/dev/null 2>&1 ||
	fail "oprovctl init (private)"
expect_fail "a data directory the user cannot reach" \
	"data directory: .*private: user $U cannot enter it" \
	"$TFTPD" -d "$tmp/private/d" -f --user "$U" -l 127.0.0.1:0

# ---- stop: pid files removed -----------------------------------------------
for d in oprov-httpsd oprov-tftpd oprov-sipd; do
	kill "$(cat "$D/run/$d.pid")" || fail "kill $d"
done
# The pid files still there.  Not `ls DIR/*.pid`: when one of the files the
# glob named is removed before ls reads it, ls fails although the others
# are still there, and the wait ended early (this test's own race, seen
# once in CI and 1 run in 5 here while the daemons stopped in 0.2 s).
pids_left() {
	left=""
	for f in "$D"/run/*.pid; do
		[ -e "$f" ] && left="$left $f"
	done
	[ -n "$left" ]
}
i=0
# A loaded machine (ASan, parallel tests) can take seconds to stop a daemon.
while pids_left && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
pids_left && fail "pid files left 30 s after SIGTERM:$left"
ok "SIGTERM: all three stopped and removed their pid files"
