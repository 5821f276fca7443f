#!/bin/sh
# Interop test of 5091 behind a real edge (issue 12, "What it must show",
# Kamailio): Kamailio from Debian's kamailio + kamailio-tls-modules plays the
# Expressway-C.  Phones (tests/interop/sip_phone.py) send REGISTER to it over
# TCP; it adds a Path (path module, add_path) and relays the REGISTER over
# mutual TLS to oprov-sipd's 5091 port, presenting a client certificate whose
# SAN dNSName is the name recorded with `oprovctl expressway add`, issued by
# a CA uploaded as tomcat-trust; it verifies sipd's certificate in turn.
#
# Cases:
#   edge-no-token       REGISTER without a token: 407 with a Bearer
#                       Proxy-Authenticate, relayed back through Kamailio
#   edge-token          a valid token: 200 reaching the phone with the Path
#                       Kamailio added, and `oprovctl registrations` lists it
#   edge-other-device   another device's token: 403
#   edge-delete-cuts    `oprovctl expressway delete`: Kamailio's TLS
#                       connection to sipd is gone (Kamailio's own list of
#                       connections, kamcmd core.tcp_list) within 1 s of
#                       the entry leaving the store, the time printed;
#                       the binding made over it is dropped and the next
#                       relayed REGISTER gets 403
#   edge-add-again      `oprovctl expressway add` again: the edge registers
#                       again, same sipd process
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=${OPROVCTL:-$top_builddir/cli/oprovctl}
SIPD=$top_builddir/sip/oprov-sipd
PHONE=$top_srcdir/tests/interop/sip_phone.py
EDGE=expc.example.com   # the Expressway-C entry and its certificate's SAN
DEV=SEP001122334455     # line 1001, registered through the edge
OTHER=SEP0011223344AA   # line 1002: its token must not register 1001
CUT_MS=1000             # the bound on closing the edge's connection

for t in kamailio kamcmd openssl python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed (scripts/deps.sh)"; exit 77; }
done
[ -x "$CTL" ] || { echo "SKIP: $CTL not built"; exit 77; }
MODDIR=""
for m in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules /usr/lib64/kamailio/modules; do
	[ -f "$m/tls.so" ] && MODDIR=$m && break
done
[ -n "$MODDIR" ] || { echo "SKIP: Kamailio's tls module not installed (kamailio-tls-modules)"; exit 77; }

# Kamailio's control socket lives in here: its path must fit in sun_path.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-kam.XXXXXX")
if [ ${#tmp} -gt 80 ]; then
	rmdir "$tmp"
	tmp=$(mktemp -d /tmp/oprov-kam.XXXXXX)
fi
spid="" kpid=""
stop() { # pid variable name
	eval "p=\$$1"
	if [ -n "$p" ]; then
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		eval "$1="
	fi
}
cleanup() {
	stop kpid
	stop spid
	if [ -n "${KEEP_TMP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fail() {
	echo "FAIL: $*" >&2
	for l in sipd kamailio tcp_list; do
		echo "--- last $l log lines" >&2
		tail -n 15 "$tmp/$l.log" >&2 2>/dev/null
	done
	exit 1
}
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# shellcheck disable=SC2046
set -- $(python3 "$top_srcdir/tests/freeport.py" 4)
TP=$1 MP=$2 KP=$3 KT=$4
D=$tmp/d
ctl() { "$CTL" -d "$D" "$@"; }

# ---- the store, the devices, the certificates --------------------------------
ctl init --hostname localhost >"$tmp/init.out" 2>&1 || { cat "$tmp/init.out"; fail "oprovctl init"; }
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode enable"
ctl device add $DEV --model 8845 --profile Standard-OAuth --line 1001 >/dev/null ||
	fail "device add $DEV"
ctl device add $OTHER --model 8845 --profile Standard-OAuth --line 1002 >/dev/null ||
	fail "device add $OTHER"
tok=$(ctl token mint --device $DEV 2>>"$tmp/mint.log") || fail "token mint $DEV"
other_tok=$(ctl token mint --device $OTHER 2>>"$tmp/mint.log") || fail "token mint $OTHER"

# One test CA issues the edge's client certificate (uploaded as tomcat-trust,
# as an Expressway-C's CA is) and sipd's server certificate (uploaded as
# tomcat, so that Kamailio can verify the registrar it talks to).
ec() { # name subject extfile
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$tmp/$1.key" -subj "$2" -out "$tmp/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
			-CAcreateserial -days 30 -extfile "$3" -out "$tmp/$1.crt" 2>/dev/null
}
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tmp/ca.key" -subj "/CN=oprov kamailio interop ca" -days 30 -out "$tmp/ca.crt" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || fail "CA"
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=clientAuth,serverAuth\n' $EDGE >"$tmp/edge.ext"
ec edge "/CN=$EDGE" "$tmp/edge.ext" || fail "edge certificate"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tmp/sipd.ext"
ec sipd "/CN=localhost" "$tmp/sipd.ext" || fail "sipd certificate"
ctl cert upload --purpose tomcat "$tmp/sipd.crt" --key "$tmp/sipd.key" >/dev/null ||
	fail "cert upload tomcat"
ctl cert upload --purpose tomcat-trust "$tmp/ca.crt" >/dev/null || fail "cert upload tomcat-trust"
ctl expressway add $EDGE --x509-name $EDGE >/dev/null || fail "expressway add"

# ---- oprov-sipd ------------------------------------------------------------------
"$SIPD" -d "$D" -f --tls-listen "127.0.0.1:$TP" --mtls-listen "127.0.0.1:$MP" \
	2>>"$tmp/sipd.log" &
spid=$!
i=0
until grep -q "listening on 127.0.0.1:$MP (mutual TLS)" "$tmp/sipd.log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "oprov-sipd did not come up"
	kill -0 "$spid" 2>/dev/null || fail "oprov-sipd exited"
	sleep 0.1
done

# ---- Kamailio as the Expressway-C ----------------------------------------------
mkdir -p "$tmp/run"
cat >"$tmp/tls.cfg" <<EOF
# Kamailio's side of the TLS: its own listener (needed to send over TLS) and
# the connection to sipd's 5091 port with the edge's client certificate.
[server:default]
method = TLSv1.2+
certificate = $tmp/edge.crt
private_key = $tmp/edge.key
verify_certificate = no
require_certificate = no

[client:default]
method = TLSv1.2+
certificate = $tmp/edge.crt
private_key = $tmp/edge.key
ca_list = $tmp/ca.crt
verify_certificate = yes
require_certificate = yes
server_name = localhost
EOF
cat >"$tmp/kamailio.cfg" <<EOF
#!KAMAILIO
# An Expressway-C edge for tests/interop/kamailio.sh: REGISTERs from phones
# on TCP get a Path and go to oprov-sipd's mutual-TLS port.
debug=2
log_stderror=yes
children=1
tcp_children=2
auto_aliases=no
tcp_connection_lifetime=3600
enable_tls=yes
listen=tcp:127.0.0.1:$KP
listen=tls:127.0.0.1:$KT
mpath="$MODDIR"

loadmodule "tls.so"
loadmodule "ctl.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "xlog.so"
loadmodule "path.so"

modparam("tls", "config", "$tmp/tls.cfg")
modparam("ctl", "binrpc", "unix:$tmp/run/ctl")
modparam("tls", "connection_timeout", 3600)
modparam("tm", "fr_timer", 4000)

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (method != "REGISTER") {
		sl_send_reply("405", "Only REGISTER here");
		exit;
	}
	if (!add_path()) {
		sl_send_reply("500", "Path not added");
		exit;
	}
	xlog("L_INFO", "edge: REGISTER from \$si:\$sp for \$tu to sipd\n");
	if (!t_relay_to("tls:127.0.0.1:$MP")) {
		sl_reply_error();
	}
	exit;
}

onreply_route {
	xlog("L_INFO", "edge: \$rs \$rr from \$si:\$sp\n");
}
EOF
kamailio -c -f "$tmp/kamailio.cfg" -Y "$tmp/run" >"$tmp/kamailio-c.log" 2>&1 ||
	{ cat "$tmp/kamailio-c.log" >&2; fail "kamailio -c rejects the configuration"; }
kamailio -DD -E -f "$tmp/kamailio.cfg" -Y "$tmp/run" -P "$tmp/run/kamailio.pid" \
	-m 32 -M 8 -w "$tmp/run" >>"$tmp/kamailio.log" 2>&1 &
kpid=$!
kam() { kamcmd -s "unix:$tmp/run/ctl" "$@" 2>>"$tmp/kamcmd.log"; }
i=0
until kam core.version >/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "Kamailio did not come up"
	kill -0 "$kpid" 2>/dev/null || fail "Kamailio exited"
	sleep 0.1
done

# register USER TOKEN|-: the phone's final answer in $tmp/answer, its code echoed.
register() {
	python3 "$PHONE" "$KP" "$1" "$2" >"$tmp/answer" 2>&1
	awk 'NR == 1 { print $2 }' "$tmp/answer"
}
hdr() { # header name: its values in $tmp/answer
	grep -i "^$1:" "$tmp/answer" | sed 's/^[^:]*: *//'
}
# Kamailio's TLS connections to sipd's 5091 port (its own view; it names the
# peer's address src or dst depending on who connected).  "none" when
# Kamailio does not answer, which no comparison below takes for a number.
edge_conns() {
	if kam core.tcp_list >"$tmp/tcp_list"; then
		grep -c -E "(src|dst)_port: $MP\$" "$tmp/tcp_list"
	else
		echo none
	fi
}

# ---- edge-no-token ----------------------------------------------------------------
code=$(register 1001 -)
[ "$code" = 407 ] || fail "edge-no-token: $code: $(cat "$tmp/answer")"
pa=$(hdr Proxy-Authenticate)
case $pa in
Bearer*) ;;
*) fail "edge-no-token: Proxy-Authenticate is '$pa'" ;;
esac
[ "$(edge_conns)" -ge 1 ] || fail "edge-no-token: Kamailio lists no connection to 127.0.0.1:$MP"
# sipd's own refusal, on its 5091 channel: not an answer Kamailio made up.
grep -q "reason=no bearer token channel=sip-5091" "$tmp/sipd.log" ||
	fail "edge-no-token: sipd logged no 5091 refusal"
ok "edge-no-token: $(head -n 1 "$tmp/answer") through Kamailio, Proxy-Authenticate: $pa"

# ---- edge-token -------------------------------------------------------------------
code=$(register 1001 "$tok")
[ "$code" = 200 ] || fail "edge-token: $code: $(cat "$tmp/answer")"
path=$(hdr Path)
case $path in
*"127.0.0.1:$KT"*) ;;
*) fail "edge-token: the 200 has Path '$path', not Kamailio's <sip:127.0.0.1:$KT;...>" ;;
esac
i=0
until ctl registrations 2>/dev/null | grep -q "^$DEV"; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "edge-token: oprovctl registrations does not list $DEV"
	sleep 0.1
done
ok "edge-token: $(head -n 1 "$tmp/answer") through Kamailio with Path: $path; oprovctl registrations lists $DEV"

# ---- edge-other-device ---------------------------------------------------------------
code=$(register 1001 "$other_tok")
[ "$code" = 403 ] || fail "edge-other-device: $code: $(cat "$tmp/answer")"
grep -q "device=$OTHER .*channel=sip-5091\|channel=sip-5091 .*device=$OTHER" "$tmp/sipd.log" ||
	fail "edge-other-device: sipd logged no 5091 refusal of $OTHER"
ok "edge-other-device: $OTHER's token for line 1001: $(head -n 1 "$tmp/answer")"

# ---- edge-delete-cuts --------------------------------------------------------------
[ "$(edge_conns)" -ge 1 ] || fail "edge-delete-cuts: no edge connection before the delete"
t0=$(now_ms)
ctl expressway delete $EDGE >/dev/null || fail "expressway delete"
t1=$(now_ms)
while [ "$(edge_conns)" != 0 ]; do
	[ $(($(now_ms) - t0)) -lt $((CUT_MS * 5)) ] || break
	sleep 0.02
done
t2=$(now_ms)
kill -0 "$kpid" 2>/dev/null || fail "edge-delete-cuts: Kamailio died"
[ "$(edge_conns)" = 0 ] ||
	fail "edge-delete-cuts: Kamailio still connected to 5091 (or silent) $((t2 - t0)) ms after the delete"
grep -q "no longer a listed Expressway-C; closed" "$tmp/sipd.log" ||
	fail "edge-delete-cuts: sipd did not log the close"
# The bound runs from the moment the entry is gone from the store (oprovctl
# has returned): oprovctl's own start-up, slow under sanitizers on a loaded
# machine, is not sipd's reaction time.  Both times are printed.
[ $((t2 - t1)) -lt $CUT_MS ] ||
	fail "edge-delete-cuts: the connection lasted $((t2 - t1)) ms after the delete (bound $CUT_MS ms)"
# The binding made over that connection went with it.
i=0
while ctl registrations 2>/dev/null | grep -q "^$DEV"; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "edge-delete-cuts: $DEV still registered after its edge was cut"
	sleep 0.1
done
code=$(register 1001 "$tok")
[ "$code" = 403 ] || fail "edge-delete-cuts: a REGISTER relayed after the delete got $code: $(cat "$tmp/answer")"
ok "edge-delete-cuts: Kamailio's connection to 5091 gone $((t2 - t1)) ms after \`expressway delete\` returned ($((t2 - t0)) ms after it began); binding dropped; next REGISTER: $(head -n 1 "$tmp/answer")"

# ---- edge-add-again -----------------------------------------------------------------
ctl expressway add $EDGE --x509-name $EDGE >/dev/null || fail "expressway add again"
t0=$(now_ms)
code=""
while [ $(($(now_ms) - t0)) -lt 5000 ]; do
	code=$(register 1001 "$tok")
	[ "$code" = 200 ] && break
	sleep 0.1
done
[ "$code" = 200 ] || fail "edge-add-again: $code: $(cat "$tmp/answer")"
kill -0 "$spid" 2>/dev/null || fail "edge-add-again: oprov-sipd died"
ok "edge-add-again: 200 through Kamailio $(($(now_ms) - t0)) ms after \`expressway add\`, same sipd (pid $spid)"

stop kpid
kill -0 "$spid" 2>/dev/null || fail "oprov-sipd died"
kill "$spid"
wait "$spid"
rc=$?
spid=""
# Non-zero also when a sanitizer build finds a leak at exit.
[ $rc -eq 0 ] || fail "oprov-sipd exit status $rc"
echo "1..$n"
