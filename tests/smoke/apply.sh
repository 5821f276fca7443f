#!/bin/sh
# Smoke test of Apply Config / reset (issue 14): a scripted phone
# (script_phone.py) registers on 5090 with its token and keeps its TLS
# connection; `oprovctl device set` moves the registered device to another
# OAuth profile (its token keeps working on 6971 and the config's
# versionStamp changes); `oprovctl device apply` makes oprov-sipd send the
# phone a NOTIFY (Event: check-sync) over that connection, the phone answers
# 200 and oprovctl reports "answered"; the phone re-fetches its config on
# 6971 and sees the new versionStamp; `device reset` sends the
# service-control form; with apply-on-change on a device set sends it by
# itself; a device without a registration is reported "not
# registered", and so is the phone once it hung up; through 5091 (a client
# certificate of a listed Expressway-C) the NOTIFY carries the REGISTER's
# Path as its Route; the firmware the
# REGISTER reported is shown; a model's default load reaches the config;
# vendor settings layer; dial plans are served (6970 and TFTP); a soft
# client (CSF) has its
# own token-gated config, with its own vendor settings (a phone-only one
# refused).
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=$top_builddir/cli/oprovctl
SIPD=$top_builddir/sip/oprov-sipd
HTTPSD=$top_builddir/httpsd/oprov-httpsd
PHONE=$top_srcdir/tests/smoke/script_phone.py

for t in python3 curl openssl; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-apply.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do
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
	for f in sipd.log httpsd.log phone.err; do
		echo "--- $f" >&2
		tail -n 15 "$tmp/$f" >&2 2>/dev/null
	done
	exit 1
}
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
# until CMD succeeds, every 0.2 s, at most 15 s
wait_for() {
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt 75 ] || return 1
		sleep 0.2
	done
}

set -- $(python3 "$top_srcdir/tests/freeport.py" 4)
TP=$1 CP=$2 HP=$3 MP=$4
D=$tmp/d
MAC=001122334455
DEV=SEP$MAC
ctl() { "$CTL" -d "$D" "$@"; }
# tests/cluster/smoke_pg.sh runs this script on PostgreSQL: the store is
# the one DATADIR/oprov.conf names.
if [ -n "${OPROV_TEST_STORE_URI:-}" ]; then
	mkdir -p "$D" && printf 'store = %s\n' "$OPROV_TEST_STORE_URI" >"$D/oprov.conf" &&
		chmod 600 "$D/oprov.conf" || fail "oprov.conf"
fi

ctl init --hostname localhost >"$tmp/init.out" 2>&1 || { cat "$tmp/init.out"; fail "init"; }
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode enable"
ctl profile add Other-OAuth --mode encrypted --transport tls --oauth >/dev/null ||
	fail "profile add"
ctl device add $DEV --model 8845 --profile Standard-OAuth --line 1001:Alice >/dev/null ||
	fail "device add"
ctl device add SEP00AABBCCDDEE --model 8845 --profile Standard-OAuth --line 1002 \
	>/dev/null || fail "device add (second)"
T=$(ctl token mint --device $DEV 2>/dev/null) || fail "token mint"
T2=$(ctl token mint --device SEP00AABBCCDDEE 2>/dev/null) || fail "token mint (second)"

# An Expressway-C for 5091: a CA in tomcat-trust, its client certificate.
openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -subj "/CN=apply ca" \
	-days 30 -out "$tmp/ca.crt" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || fail "ca"
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/expc.key" -subj "/CN=expc.example.com" \
	-out "$tmp/expc.csr" 2>/dev/null || fail "csr"
printf 'subjectAltName=DNS:expc.example.com\nextendedKeyUsage=clientAuth\n' >"$tmp/expc.ext"
openssl x509 -req -in "$tmp/expc.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
	-days 30 -extfile "$tmp/expc.ext" -out "$tmp/expc.crt" 2>/dev/null || fail "cert"
ctl cert upload --purpose tomcat-trust "$tmp/ca.crt" >/dev/null || fail "cert upload"
ctl expressway add expc.example.com --x509-name expc.example.com >/dev/null ||
	fail "expressway add"

"$SIPD" -d "$D" -f --loops 2 --tls-listen "127.0.0.1:$TP" --mtls-listen "127.0.0.1:$MP" \
	>"$tmp/sipd.log" 2>&1 &
pids="$pids $!"
"$HTTPSD" -d "$D" -f --metrics-listen off --config-listen "127.0.0.1:$CP" --http-listen "127.0.0.1:$HP" \
	--oauth-listen off >"$tmp/httpsd.log" 2>&1 &
pids="$pids $!"
wait_for curl -s -o /dev/null "http://127.0.0.1:$HP/healthz" || fail "httpsd not up"
listening() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $TP), 1)" 2>/dev/null; }
wait_for listening || fail "sipd not listening"
ok "daemons up"

# The config over 6971 with the device's token; prints its versionStamp.
stamp() {
	code=$(curl -sk -o "$tmp/cfg.xml" -w '%{http_code}' -H "Authorization: Bearer $T" \
		"https://127.0.0.1:$CP/$DEV.cnf.xml") || return 1
	[ "$code" = 200 ] || { echo "6971 answered $code" >&2; return 1; }
	sed -n 's:.*<versionStamp>\(.*\)</versionStamp>.*:\1:p' "$tmp/cfg.xml"
}
# The daemons follow the store within a sync interval: poll for a change.
stamp_until() { # grep pattern the served config must contain
	for _i in $(seq 50); do
		stamp >/dev/null || return 1
		grep -q "$1" "$tmp/cfg.xml" && return 0
		sleep 0.1
	done
	return 1
}
V1=$(stamp) && [ -n "$V1" ] || fail "config before the change"
ok "config fetched with the token, versionStamp $V1"

python3 "$PHONE" 127.0.0.1 "$TP" $MAC 1001 "$T" "$tmp" 3 >"$tmp/phone.out" \
	2>"$tmp/phone.err" &
phone=$!
pids="$pids $phone"
wait_for grep -q registered "$tmp/phone.out" || fail "the script phone did not register"
bound() { ctl registrations | grep -q "^$DEV "; }
wait_for bound || fail "registration not in the store"
ok "script phone registered on 5090 and keeps its connection"
ctl registrations | grep "^$DEV " | grep -q " Cisco-CP8845/14.2.1$" ||
	fail "registrations does not show the reported firmware: $(ctl registrations)"
ctl device show $DEV | grep -q "^running: *Cisco-CP8845/14.2.1$" ||
	fail "device show does not show the reported firmware"
ok "registrations and device show carry the firmware the REGISTER reported"

# ---- device set: another profile, the same tokens --------------------------
out=$(ctl device set $DEV --profile Other-OAuth --line 1001:Moved 2>&1) ||
	fail "device set: $out"
echo "$out" | grep -q "profile Standard-OAuth -> Other-OAuth" || fail "device set said: $out"
ctl device show $DEV | grep -q "^profile: *Other-OAuth" || fail "profile not changed"
ok "device set moved the registered device to Other-OAuth"
ctl token verify "$T" >/dev/null 2>&1 || fail "token no longer valid after device set"
ctl device set $DEV --profile No-Such >/dev/null 2>&1 && fail "device set accepted an unknown profile"
ok "device set refuses unknown profiles"

# ---- apply ------------------------------------------------------------------
out=$(ctl device apply $DEV --wait 20 2>&1) || fail "device apply: $out"
[ "$out" = "$DEV: apply answered (200)" ] || fail "device apply said: $out"
ok "device apply: answered (200)"
[ -s "$tmp/notify-1.txt" ] || fail "the phone got no NOTIFY"
head -n 1 "$tmp/notify-1.txt" | grep -q "^NOTIFY sip:1001@127.0.0.1:[0-9]*;transport=tls SIP/2.0" ||
	fail "NOTIFY request line: $(head -n 1 "$tmp/notify-1.txt")"
grep -q "^Event: check-sync;reboot=false" "$tmp/notify-1.txt" || fail "apply: no check-sync event"
grep -q "^To: <sip:1001@" "$tmp/notify-1.txt" || fail "NOTIFY To is not the AOR"
ok "the phone received NOTIFY Event: check-sync over its registration's connection"
stamp_until "<featureLabel>Moved</featureLabel>" || fail "config after the change (token lost?)"
V2=$(stamp) && [ -n "$V2" ] || fail "config after the change (token lost?)"
[ "$V2" != "$V1" ] || fail "versionStamp unchanged after device set ($V1)"
grep -q "<featureLabel>Moved</featureLabel>" "$tmp/cfg.xml" || fail "new line label not in config"
ok "re-fetched config on 6971 with the same token: new versionStamp $V2"

# ---- reset: the service-control form --------------------------------------
out=$(ctl --json device reset $DEV --wait 20 2>&1) || fail "device reset: $out"
echo "$out" | grep -q '"result": "answered"' || fail "device reset said: $out"
grep -q "^Event: service-control" "$tmp/notify-2.txt" || fail "reset: no service-control event"
grep -q "^action=reset" "$tmp/notify-2.txt" || fail "reset: no action=reset body"
grep -q "^Content-Type: text/plain" "$tmp/notify-2.txt" || fail "reset: body type"
ok "device reset: service-control NOTIFY answered"

# ---- apply-on-change: a change sends Apply Config by itself -------------------
ctl param set apply-on-change yes >/dev/null || fail "param set apply-on-change"
out=$(ctl device set $DEV --description "moved desk" 2>&1) || fail "device set: $out"
echo "$out" | grep -q "Apply Config requested for 1 registered device" ||
	fail "apply-on-change did not request: $out"
have3() { [ -s "$tmp/notify-3.txt" ]; }
wait_for have3 || fail "no NOTIFY after a change with apply-on-change on"
grep -q "^Event: check-sync;reboot=false" "$tmp/notify-3.txt" || fail "apply-on-change event"
ctl param set apply-on-change off >/dev/null || fail "param set apply-on-change off"
ok "apply-on-change on: device set made sipd send check-sync"

# ---- over the edge: the NOTIFY follows the REGISTER's Path on 5091 -----------
PHONE_CERT=$tmp/expc.crt PHONE_KEY=$tmp/expc.key \
PHONE_PATH="<sip:expc.example.com:5061;transport=tls;lr>" \
	python3 "$PHONE" 127.0.0.1 "$MP" 00AABBCCDDEE 1002 "$T2" "$tmp/edge" 1 \
	>"$tmp/edge.out" 2>"$tmp/edge.err" &
edge=$!
pids="$pids $edge"
mkdir -p "$tmp/edge"
wait_for grep -q registered "$tmp/edge.out" ||
	fail "the phone behind the Expressway-C did not register: $(cat "$tmp/edge.err")"
bound2() { ctl registrations | grep -q "^SEP00AABBCCDDEE "; }
wait_for bound2 || fail "edge registration not in the store"
out=$(ctl device apply SEP00AABBCCDDEE --wait 20 2>&1) || fail "device apply (edge): $out"
[ "$out" = "SEP00AABBCCDDEE: apply answered (200)" ] || fail "device apply (edge) said: $out"
grep -q "^Route: <sip:expc.example.com:5061;transport=tls;lr>" "$tmp/edge/notify-1.txt" ||
	fail "edge NOTIFY without the Path as Route: $(cat "$tmp/edge/notify-1.txt")"
wait "$edge" || fail "the edge phone failed: $(cat "$tmp/edge.err")"
ok "5091: the NOTIFY went back over the Expressway-C's connection with its Path as Route"
gone2() { ! ctl registrations | grep -q "^SEP00AABBCCDDEE "; }
wait_for gone2 || fail "edge binding still listed after hang-up"

# ---- devices without a registration -----------------------------------------
out=$(ctl device apply SEP00AABBCCDDEE --wait 2 2>&1) && fail "apply to an unregistered device exited 0"
[ "$out" = "SEP00AABBCCDDEE: apply not registered" ] || fail "unregistered: $out"
ok "a device without a registration: not registered"
wait "$phone" || fail "the script phone failed: $(cat "$tmp/phone.err")"
gone() { ! ctl registrations | grep -q "^$DEV "; }
wait_for gone || fail "binding still listed after the phone hung up"
out=$(ctl device apply $DEV --wait 2 2>&1) && fail "apply after hang-up exited 0"
[ "$out" = "$DEV: apply not registered" ] || fail "after hang-up: $out"
out=$(ctl device apply --profile Other-OAuth --wait 2 2>&1)
[ "$out" = "$DEV: apply not registered" ] || fail "--profile selected: $out"
ctl device apply >/dev/null 2>&1; [ $? -eq 2 ] || fail "apply without devices is not a usage error"
ok "after the phone hung up: not registered; --profile selects; no target is a usage error"
# ---- a per-model default load reaches the config of a device without one ----
ctl model set 8845 --load sip8845_65.14-3-1-0001-100 >/dev/null || fail "model set"
stamp_until "<loadInformation>sip8845_65.14-3-1-0001-100</loadInformation>" ||
	fail "model load not in the device config"
V3=$(stamp) || fail "config after model set"
[ "$V3" != "$V2" ] || fail "versionStamp unchanged after model set"
ctl device set $DEV --load sip8845_65.own >/dev/null || fail "device set --load"
stamp_until "<loadInformation>sip8845_65.own</loadInformation>" ||
	fail "a device's own load does not win over the model's"
ok "model set --load feeds loadInformation; a device's own load wins"

# ---- profile vendor settings, under a device's own --------------------------
ctl profile set Other-OAuth --vendor pc-port=off --vendor web-access=on >/dev/null ||
	fail "profile set --vendor"
stamp_until "<pcPort>1</pcPort>" || fail "profile's pc-port=off not rendered"
grep -q "<webAccess>0</webAccess>" "$tmp/cfg.xml" || fail "profile's web-access=on not rendered"
ctl device set $DEV --vendor web-access=off >/dev/null || fail "device set --vendor"
stamp_until "<webAccess>1</webAccess>" || fail "the device's setting does not win"
ctl profile set Other-OAuth --vendor pc-port=maybe >/dev/null 2>&1 && fail "bad value accepted"
ctl device set $DEV --vendor teleport=on >/dev/null 2>&1 && fail "unknown setting accepted"
ok "vendor settings: profile over default, device over profile, bad ones refused"

# ---- named files are served; a soft client has its own config ----------------
ctl dialplan add emea --rule '0........:2' >/dev/null || fail "dialplan add"
ctl device set $DEV --dialplan emea >/dev/null || fail "device set --dialplan"
stamp_until "<dialTemplate>dialplan-emea.xml</dialTemplate>" || fail "dialTemplate"
code=$(curl -s -o "$tmp/dp.xml" -w '%{http_code}' "http://127.0.0.1:$HP/dialplan-emea.xml")
[ "$code" = 200 ] && grep -q '<TEMPLATE match="0........" timeout="2"/>' "$tmp/dp.xml" ||
	fail "6970 dialplan-emea.xml: $code $(head -c 200 "$tmp/dp.xml")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/dialplan-none.xml")
[ "$code" = 404 ] || fail "6970 unknown dial plan: $code"
ok "dialplan-emea.xml served on 6970, an unknown one 404"
if command -v tftp >/dev/null 2>&1; then
	"$top_builddir/tftp/oprov-tftpd" -d "$D" -f --listen 127.0.0.1:0 >"$tmp/tftpd.log" 2>&1 &
	pids="$pids $!"
	tport() { sed -n 's/.*on UDP port \([0-9]*\).*/\1/p' "$tmp/tftpd.log" | head -n 1; }
	has_tport() { [ -n "$(tport)" ]; }
	wait_for has_tport || fail "oprov-tftpd did not start: $(cat "$tmp/tftpd.log")"
	(cd "$tmp" && tftp 127.0.0.1 "$(tport)" -m binary -c get dialplan-emea.xml tftp-dp.xml) ||
		fail "tftp get dialplan-emea.xml"
	cmp -s "$tmp/tftp-dp.xml" "$tmp/dp.xml" || fail "TFTP and 6970 serve different dial plans"
	ok "dialplan-emea.xml served on TFTP, the same bytes"
else
	echo "# tftp-hpa client missing: TFTP serving of named files not checked here"
fi
ctl device add CSFALICE --model CSF --profile Standard-OAuth --line 1005 >/dev/null ||
	fail "device add CSFALICE"
TC=$(ctl token mint --device CSFALICE 2>/dev/null) || fail "token mint CSFALICE"
code=$(curl -sk -o "$tmp/csf.xml" -w '%{http_code}' -H "Authorization: Bearer $TC" \
	"https://127.0.0.1:$CP/CSFALICE.cnf.xml")
[ "$code" = 200 ] && grep -q "<sipOAuthMode>1</sipOAuthMode>" "$tmp/csf.xml" ||
	fail "6971 CSFALICE.cnf.xml: $code"
code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" \
	"https://127.0.0.1:$CP/CSFALICE.cnf.xml")
[ "$code" = 403 ] || fail "another device's token for CSFALICE.cnf.xml: $code"
ctl device add CSFBOB --model 8845 --profile Standard-OAuth >/dev/null 2>&1 &&
	fail "a CSF name accepted for a phone model"
ok "soft client CSFALICE: its own token-gated config; a CSF name needs the CSF model"

# ---- soft-client vendor settings; the config only for its own token ---------
out=$(ctl device set CSFALICE --vendor web-access=on 2>&1) &&
	fail "a phone-only setting accepted for CSFALICE"
echo "$out" | grep -q '"web-access" is not a vendor setting of soft client models (theirs: video, analytics, config-file, extend-and-connect)' ||
	fail "phone-only setting refusal: $out"
out=$(ctl device set CSFALICE --vendor config-file=../x.xml 2>&1) && fail "a path as config-file"
echo "$out" | grep -q "config-file: character '/' not allowed" || fail "config-file refusal: $out"
ctl profile set Standard-OAuth --vendor config-file=jabber-all.xml --vendor analytics=off \
	>/dev/null || fail "profile set: soft-client settings"
ctl device set CSFALICE --vendor video=off --vendor config-file=jabber-sales.xml \
	--vendor extend-and-connect=on >/dev/null || fail "device set CSFALICE --vendor ..."
ctl device show CSFALICE | grep -q "^vendor: *config-file=jabber-sales.xml$" ||
	fail "device show: $(ctl device show CSFALICE)"
csf_has() { # grep pattern CSFALICE.cnf.xml, fetched with its token, must contain
	code=$(curl -sk -o "$tmp/csf.xml" -w '%{http_code}' -H "Authorization: Bearer $TC" \
		"https://127.0.0.1:$CP/CSFALICE.cnf.xml") && [ "$code" = 200 ] &&
		grep -q "$1" "$tmp/csf.xml"
}
wait_for csf_has "<ciscoSupportField>configurationFile=jabber-sales.xml</ciscoSupportField>" ||
	fail "the device's config-file not in CSFALICE.cnf.xml: $(grep -A4 '<vendorConfig' "$tmp/csf.xml")"
grep -q "<videoCapability>0</videoCapability>" "$tmp/csf.xml" || fail "video=off not rendered"
tr -d ' \n' <"$tmp/csf.xml" | grep -q \
	"<desktopClient><extendAndConnectCapability>1</extendAndConnectCapability></desktopClient>" ||
	fail "extend-and-connect=on not rendered in <desktopClient>"
grep -q "<analyticsCollection>0</analyticsCollection>" "$tmp/csf.xml" ||
	fail "the profile's analytics=off not rendered"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout --nonet --schema "$top_srcdir/tests/data/configgen/device.xsd" \
		"$tmp/csf.xml" 2>"$tmp/xmllint.err" ||
		fail "served CSFALICE.cnf.xml: $(cat "$tmp/xmllint.err")"
else
	echo "# xmllint missing: the served CSFALICE.cnf.xml not checked against device.xsd"
fi
code=$(curl -sk -o "$tmp/sep2.xml" -w '%{http_code}' -H "Authorization: Bearer $T2" \
	"https://127.0.0.1:$CP/SEP00AABBCCDDEE.cnf.xml")
[ "$code" = 200 ] && grep -q "<versionStamp>" "$tmp/sep2.xml" || fail "6971 SEP00AABBCCDDEE: $code"
grep -q "ciscoSupportField\|analyticsCollection" "$tmp/sep2.xml" &&
	fail "a phone on the same profile got soft-client settings"
# the group file it names is a public file, served from DATADIR/files
mkdir -p "$D/files" && printf '<config version="1.0"><Client/></config>\n' \
	>"$D/files/jabber-sales.xml" || fail "files/jabber-sales.xml"
code=$(curl -s -o "$tmp/group.xml" -w '%{http_code}' "http://127.0.0.1:$HP/jabber-sales.xml")
[ "$code" = 200 ] && cmp -s "$tmp/group.xml" "$D/files/jabber-sales.xml" ||
	fail "6970 jabber-sales.xml: $code"
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$CP/CSFALICE.cnf.xml")
[ "$code" = 401 ] || fail "CSFALICE.cnf.xml without a token on 6971: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/CSFALICE.cnf.xml")
[ "$code" != 200 ] || fail "CSFALICE.cnf.xml served on 6970"
for bad in SEP0011223344 SEP00112233445G SEP00-11-22-33-44-55; do
	ctl device add $bad --model 8845 --profile Standard-OAuth >/dev/null 2>&1 &&
		fail "device add $bad: a SEP name that is not a MAC accepted"
done
ok "soft client: phone-only settings refused, its own settings rendered (device over profile), the group file served, config only with its token, SEP names still MACs"

# ---- time zones: the vendor's name in <timeZone>, unmapped ones refused ------
out=$(ctl pool add Mars --timezone America/Chihuahua 2>&1) && fail "unmapped pool zone accepted"
echo "$out" | grep -q "has no vendor time-zone name; nearest: " || fail "pool refusal: $out"
out=$(ctl param set time-zone America/Chihuahua 2>&1) && fail "unmapped parameter zone accepted"
echo "$out" | grep -q "has no vendor time-zone name; nearest: " || fail "param refusal: $out"
ctl pool set Default --timezone Europe/Paris >/dev/null || fail "pool set --timezone"
stamp_until "<timeZone>Romance Standard/Daylight Time</timeZone>" ||
	fail "timeZone not the vendor name"
grep -q "<olsonTimeZone>Europe/Paris</olsonTimeZone>" "$tmp/cfg.xml" || fail "olsonTimeZone"
ok "time zones: vendor name rendered, unmapped zones refused naming the nearest"
echo "1..$n"
