#!/bin/sh
# oprovctl end to end, as an administrator sets up SIP OAuth (cisco.md "Admin
# workflow"): init -> Phone Edge Trust (the 17th certificate refused) ->
# refresh login flow -> node OAuth ports (1023 and 49152 refused) ->
# Expressway-C -> OAuth profile (OAuth with TCP refused) -> device with two
# lines -> SIP OAuth mode -> the device's config carries sipOAuthMode 1 and
# the node's ports -> activation code -> token minted, verified, revoked and
# refused.  Also: a refused command writes nothing, init never overwrites,
# verify against an exported JWKS without a store, inspect says UNVERIFIED,
# reload signals live pid files, status shows daemon statistics.
set -eu
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
OPROVCTL="$top_builddir/cli/oprovctl"
for tool in openssl xmllint; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool not found: install it (scripts/deps.sh)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
sleeper=""
cleanup() {
	[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
OPROV_DATADIR="$tmp/data"
export OPROV_DATADIR
HOST=pbx.example.test
ISS="https://$HOST:8443"
DEV=SEP00AABBCCDDEE

step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; [ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" >&2; exit 1; }
ctl() { "$OPROVCTL" "$@"; }
# ok CMD...: must succeed; its stdout is left in $tmp/out.
ok() {
	"$OPROVCTL" "$@" >"$tmp/out" 2>"$tmp/err" || fail "refused: oprovctl $*"
}
# refused RULE CMD...: must exit 1 and say RULE on stderr.
refused() {
	rule=$1
	shift
	set +e
	"$OPROVCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" -eq 1 ] || fail "exit $rc (want 1) from: oprovctl $*"
	grep -q -- "$rule" "$tmp/err" || fail "oprovctl $* did not say \"$rule\""
	echo "   refused as expected: $(head -n 1 "$tmp/err")"
}
# usage CMD...: must exit 2 (usage error).
usage() {
	set +e
	"$OPROVCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" -eq 2 ] || fail "exit $rc (want 2) from: oprovctl $*"
}
xpath() { xmllint --xpath "$1" "$tmp/config.xml"; }
# A self-signed CA certificate made by openssl, not by us.
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$1" -days 30 -keyout "$tmp/$1.key" -out "$tmp/$1.pem" 2>/dev/null
}
snapshot() {
	"$OPROVCTL" device export >"$tmp/$1.export" 2>"$tmp/err" || fail "device export"
	"$OPROVCTL" --json status | grep -v '"generation"\|"config":\|"revocation":' \
		>"$tmp/$1.status" 2>"$tmp/err" || fail "status"
	"$OPROVCTL" cert list >"$tmp/$1.certs" 2>"$tmp/err" || fail "cert list"
}
same_as() {
	snapshot after
	for k in export status certs; do
		cmp -s "$tmp/$1.$k" "$tmp/after.$k" || fail "a refused command changed the store ($k)"
	done
}

step "usage errors exit 2"
usage
usage frobnicate
usage device
usage device frobnicate
usage device add "$DEV" --no-such-flag
usage token revoke --device "$DEV" --all
usage token verify
ok --help
grep -q "activation-code" "$tmp/out" || fail "--help does not list activation-code"
ok device --help
grep -q "config NAME" "$tmp/out" || fail "device --help"
refused "no store in" status

step "init"
ok init --hostname "$HOST"
grep -q "issuer: *$ISS" "$tmp/out" || fail "init: issuer not $ISS"
[ "$(stat -c %a "$OPROV_DATADIR")" = 700 ] || fail "DATADIR is not 0700"
[ -d "$OPROV_DATADIR/files" ] && [ -d "$OPROV_DATADIR/run" ] || fail "files/ or run/ missing"
ok cert list --purpose tomcat
grep -q "CN=$HOST" "$tmp/out" || fail "no tomcat certificate for $HOST"
ok param get oauth-issuer
[ "$(cat "$tmp/out")" = "$ISS" ] || fail "oauth-issuer"
db_sum=$(md5sum <"$OPROV_DATADIR/oprov.db")
refused "https://" -d "$tmp/other" init --hostname "$HOST" --issuer "http://$HOST"
refused "hostname" -d "$tmp/other" init --hostname "bad host"
[ ! -e "$tmp/other" ] || fail "a refused init left $tmp/other behind"
refused "refusing to overwrite" init --hostname other.example.test
[ "$(md5sum <"$OPROV_DATADIR/oprov.db")" = "$db_sum" ] || fail "init touched the existing store"

step "Phone Edge Trust: 16 at most"
# init put our CA there; 15 more fill it.
i=1
while [ $i -le 15 ]; do
	mkca "edge$i"
	ok cert upload --purpose phone-edge-trust "$tmp/edge$i.pem"
	i=$((i + 1))
done
mkca edge16
mkca edge17
cat "$tmp/edge16.pem" "$tmp/edge17.pem" >"$tmp/two.pem"
snapshot before
refused "at most 16" cert upload --purpose phone-edge-trust "$tmp/edge16.pem"
refused "at most 16" cert upload --purpose phone-edge-trust "$tmp/two.pem"
same_as before
n=$("$OPROVCTL" cert list --purpose phone-edge-trust | grep -c phone-edge-trust)
[ "$n" -eq 16 ] || fail "phone-edge-trust holds $n, want 16"
ok cert delete "$("$OPROVCTL" cert list --purpose phone-edge-trust | awk '/CN=edge15/ {print $1}')"
ok cert upload --purpose tomcat-trust "$tmp/edge16.pem"
refused "already holds" cert upload --purpose tomcat-trust "$tmp/edge16.pem"
cat "$tmp/edge17.key" "$tmp/edge17.pem" >"$tmp/keyed.pem"
refused "holds a private key" cert upload --purpose tomcat-trust "$tmp/keyed.pem"
refused "does not belong" cert upload --purpose tomcat "$tmp/edge16.pem" --key "$tmp/edge17.key"
usage cert upload --purpose tomcat "$tmp/edge16.pem"
mkca web2
ok cert upload --purpose tomcat "$tmp/web2.pem" --key "$tmp/web2.key"
ok cert list --purpose tomcat
grep -q "CN=web2" "$tmp/out" && ! grep -q "CN=$HOST" "$tmp/out" || fail "tomcat not replaced"

step "OAuth with Refresh Login Flow"
ok param set oauth-refresh-login-flow on
ok param get oauth-refresh-login-flow
[ "$(cat "$tmp/out")" = on ] || fail "refresh login flow not on"
refused "1–1440" param set oauth-access-token-minutes 1441
refused "unknown parameter" param set no-such-parameter 1

step "node SIP OAuth ports"
refused "out of range" node set "$HOST" --sip-oauth-port 1023
refused "out of range" node set "$HOST" --sip-mra-oauth-port 49152
refused "" node set "$HOST" --sip-oauth-port 5092 --sip-mra-oauth-port 5092
ok node set "$HOST" --sip-oauth-port 5190 --sip-mra-oauth-port 5191
ok --json node show "$HOST"
grep -q '"sip_oauth_port": 5190' "$tmp/out" || fail "node port not saved"

step "Expressway-C"
ok expressway add expc.example.test --x509-name expc.example.test \
	--x509-name "CN=expc.example.test" --description "Expressway-C, DMZ"
ok expressway list
grep -q "expc.example.test" "$tmp/out" || fail "expressway not listed"
usage expressway add expc2.example.test

step "phone security profile"
refused "OAuth" profile add OAuth-TCP --mode encrypted --transport tcp --oauth
refused "OAuth" profile add OAuth-Digest --mode encrypted --transport tls --oauth --digest
ok profile add Phone-OAuth --mode encrypted --transport tls --oauth --description "SIP OAuth phones"
ok --json profile show Phone-OAuth
grep -q '"oauth": true' "$tmp/out" || fail "profile without OAuth"

step "device with two lines"
ok device add sep00aabbccddee --model 8845 --profile Phone-OAuth --owner alice \
	--line "1001:Alice <front> & \"co\"" --line 1002:Shared --require-activation-code
ok device show "$DEV"
grep -q "line 2 *1002" "$tmp/out" || fail "second line missing"
snapshot before
refused "unknown model" device add SEP001122334455 --model 1234 --profile Phone-OAuth
refused "exist" device add SEP001122334455 --model 8845 --profile No-Such-Profile
refused "OAuth" device add SEP001122334455 --model 7975 --profile Phone-OAuth
refused "" device add "$DEV" --model 8845 --profile Phone-OAuth
refused "SEP followed by 12" device add SEP0011 --model 8845 --profile Phone-OAuth
cat >"$tmp/bad.json" <<EOF
[{"name":"SEP001122334401","model":"8845","profile":"Phone-OAuth"},
 {"name":"SEP001122334402","model":"8845","profile":"Phone-OAuth","lines":[{"dn":"12a"}]}]
EOF
refused "device 2" device import "$tmp/bad.json"
refused "unknown member" device import /dev/stdin <<EOF
[{"name":"SEP001122334401","model":"8845","profile":"Phone-OAuth","colour":"red"}]
EOF
same_as before

step "SIP OAuth mode"
ok sipoauth-mode status
grep -q disabled "$tmp/out" || fail "mode not off after init"
ok device config "$DEV"
cp "$tmp/out" "$tmp/config.xml"
[ "$(xpath 'string(/device/sipOAuthMode)')" = 0 ] || fail "sipOAuthMode not 0 with the mode off"
v_off=$(xpath 'string(/device/versionStamp)')
ok sipoauth-mode enable
ok sipoauth-mode status
grep -q enabled "$tmp/out" || fail "mode not on"

step "device config"
ok device config sep00aabbccddee
cp "$tmp/out" "$tmp/config.xml"
xmllint --noout --nonet "$tmp/config.xml"
[ "$(xpath 'string(/device/sipOAuthMode)')" = 1 ] || fail "sipOAuthMode not 1"
[ "$(xpath 'string(//callManager/ports/sipOAuthPort)')" = 5190 ] || fail "sipOAuthPort not 5190"
[ "$(xpath 'string(//callManager/ports/sipMRAOAuthPort)')" = 5191 ] || fail "sipMRAOAuthPort not 5191"
[ "$(xpath 'count(//sipLines/line)')" = 2 ] || fail "not two lines"
[ "$(xpath 'string(//sipLines/line[@button="1"]/featureLabel)')" = 'Alice <front> & "co"' ] ||
	fail "line label not escaped and read back"
[ "$(xpath 'string(//sipLines/line[1]/authPassword)')" = "" ] || fail "authPassword filled for OAuth"
[ "$(xpath 'string(/device/versionStamp)')" != "$v_off" ] || fail "versionStamp did not change"
[ "$(xpath 'string(/device/deviceSecurityMode)')" = 3 ] || fail "deviceSecurityMode"
ok device config "$DEV"
cmp -s "$tmp/out" "$tmp/config.xml" || fail "two renderings of one config differ"
refused "SEP000000000000" device config SEP000000000000

step "activation code"
ok activation-code issue "$DEV" --hours 48
code=$(cat "$tmp/out")
echo "$code" | grep -Eq '^[0-9]{16}$' || fail "activation code is not 16 digits: $code"
if grep -a -q "$code" "$OPROV_DATADIR"/oprov.db*; then fail "activation code stored in clear"; fi
ok activation-code list
grep -q "$DEV *unused" "$tmp/out" || fail "activation code not listed as unused"
refused "not a number" activation-code issue "$DEV" --hours 0

step "OAuth client"
ok client add revoker --scope "revoke introspect"
secret=$(cat "$tmp/out")
[ "${#secret}" -eq 43 ] || fail "client secret is not 256 bits of base64url"
if grep -a -q -- "$secret" "$OPROV_DATADIR"/oprov.db*; then fail "client secret stored in clear"; fi
refused "exist" client add revoker

step "token minted and verified"
ok token mint --device sep00aabbccddee --minutes 10
tok=$(cat "$tmp/out")
ok token verify "$tok"
grep -q "\"dev\": \"$DEV\"" "$tmp/out" || fail "verified claims lack dev"
grep -q '"scope": "config sip-register"' "$tmp/out" || fail "scope"
grep -q '"client_id": "oprovctl"' "$tmp/out" || fail "client_id"
echo "$tok" | "$OPROVCTL" token verify - >"$tmp/out" 2>"$tmp/err" || fail "verify from stdin"
ok token inspect "$tok"
head -n 1 "$tmp/out" | grep -q "^UNVERIFIED" || fail "inspect not labelled UNVERIFIED"
grep -q '"typ": "at+jwt"' "$tmp/out" || fail "inspect: typ"
# Verify with an exported JWKS and no store at all.
ok keys jwks
cp "$tmp/out" "$tmp/jwks.json"
"$OPROVCTL" -d "$tmp/no-store" token verify --jwks "$tmp/jwks.json" --issuer "$ISS" \
	--audience "$ISS" "$tok" >"$tmp/out" 2>"$tmp/err" || fail "verify --jwks without a store"
[ ! -e "$tmp/no-store" ] || fail "verify --jwks created a DATADIR"
"$OPROVCTL" -d "$tmp/no-store" token inspect "$tok" >"$tmp/out" 2>"$tmp/err" || fail "inspect without a store"
set +e
"$OPROVCTL" -d "$tmp/no-store" token verify --jwks "$tmp/jwks.json" --issuer "https://evil.example.test" \
	--audience "$ISS" "$tok" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -qx "invalid_token: wrong_issuer\|invalid_token: unknown_key" "$tmp/out" ||
	fail "wrong issuer accepted ($rc: $(cat "$tmp/out"))"
bad=$(echo "$tok" | sed 's/\.[^.]*$/.AAAA/')
set +e
"$OPROVCTL" token verify "$bad" >"$tmp/out" 2>"$tmp/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ] && grep -q "^invalid_token: " "$tmp/out" ||
	fail "bad signature: exit $rc, $(cat "$tmp/out")"
# A rotation keeps the old key verifying; a second one would retire it while
# its tokens live, so it needs --force.
ok keys rotate
ok token verify "$tok"
refused "signed tokens valid until" keys rotate
ok keys list
[ "$(grep -c 'current\|previous' "$tmp/out")" -eq 2 ] || fail "keys list after a refused rotation"
ok keys rotate --force --key-type ed25519
grep -q EdDSA "$tmp/out" || fail "rotate --key-type"
set +e
"$OPROVCTL" token verify "$tok" >"$tmp/out" 2>"$tmp/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -qx "invalid_token: unknown_key" "$tmp/out" || fail "retired key still verifies"
ok token mint --device "$DEV" --minutes 10
tok=$(cat "$tmp/out")

step "token revoked, then refused"
ok token revoke --device "$DEV"
set +e
"$OPROVCTL" token verify "$tok" >"$tmp/out" 2>"$tmp/err"; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "revoked token still verifies"
grep -qx "invalid_token: revoked" "$tmp/out" || fail "revoked token: $(cat "$tmp/out")"
ok token list
grep -q "device *$DEV" "$tmp/out" || fail "revocation not listed"

step "export and import round trip"
ok device export
cp "$tmp/out" "$tmp/all.json"
ok device import --replace "$tmp/all.json"
ok device export
cmp -s "$tmp/out" "$tmp/all.json" || fail "export -> import -> export differs"
cat >"$tmp/more.json" <<EOF
{"devices":[{"name":"sep0000000000a1","model":"8845","profile":"Phone-OAuth","owner":"bob",
  "lines":[{"dn":"2001","label":"Bob"}]},
 {"name":"SEP0000000000A2","model":"7975","profile":"Standard-Non-Secure"}]}
EOF
ok device import "$tmp/more.json"
grep -q "2 device" "$tmp/out" || fail "import count"
ok --json device list
[ "$(grep -c '"name":"SEP' "$tmp/out")" -eq 3 ] || fail "device list --json"
ok device config SEP0000000000A2
cp "$tmp/out" "$tmp/config.xml"
[ "$(xpath 'string(/device/sipOAuthMode)')" = 0 ] || fail "legacy device got sipOAuthMode 1"
ok device delete SEP0000000000A2
refused "" device show SEP0000000000A2

step "the other records: pools, profiles, nodes, expressways, clients, codes"
ok node add pbx2.example.test --host 192.0.2.10 --sip-oauth-port 5290 --sip-mra-oauth-port 5291
ok pool add Branch --timezone Europe/Paris --ntp ntp1.example.test --ntp ntp2.example.test \
	--node pbx2.example.test --node "$HOST"
refused "at most 4" pool add Too-Many-NTP --ntp a --ntp b --ntp c --ntp d --ntp e
refused "" pool add Ghost --node no-such-node
ok --json pool show Branch
grep -q '"timezone": "Europe/Paris"' "$tmp/out" || fail "pool timezone"
ok device add SEP0000000000B1 --model 8841 --profile Phone-OAuth --pool Branch --line 3001
ok device config SEP0000000000B1
cp "$tmp/out" "$tmp/config.xml"
[ "$(xpath 'string(//member[1]/callManager/name)')" = pbx2.example.test ] || fail "node group order"
[ "$(xpath 'string(//member[1]/callManager/ports/sipOAuthPort)')" = 5290 ] || fail "second node's port"
[ "$(xpath 'string(//dateTimeSetting/timeZone)')" = "Romance Standard/Daylight Time" ] ||
	fail "pool time zone: not the vendor's name for Europe/Paris"
[ "$(xpath 'string(//dateTimeSetting/olsonTimeZone)')" = Europe/Paris ] || fail "pool Olson time zone"
refused "" node delete pbx2.example.test
refused "" pool delete Branch
refused "" profile delete Phone-OAuth
ok device delete SEP0000000000B1
ok pool delete Branch
ok node delete pbx2.example.test
ok expressway delete expc.example.test
ok expressway list
[ ! -s "$tmp/out" ] || fail "expressway not deleted"
ok profile add Spare --mode authenticated --transport tls
ok profile delete Spare
ok client delete revoker
ok --json client list
# Only the public client the store registers for phones is left.
python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); assert [(c["name"], c["type"]) for c in l] == [("oprov-device", "public")], l' \
	"$tmp/out" || fail "client not deleted"
ok activation-code revoke "$DEV"
ok --json activation-code list
[ "$(cat "$tmp/out")" = "[]" ] || fail "activation code not revoked"
ok --json registrations
[ "$(cat "$tmp/out")" = "[]" ] || fail "registrations"
ok param unset oauth-refresh-login-flow
ok param get oauth-refresh-login-flow
[ "$(cat "$tmp/out")" = off ] || fail "param unset"
refused "no default" param unset oauth-issuer

step "status and reload"
printf 'requests_total 42\ncache_hits 40\n' >"$OPROV_DATADIR/run/oprov-httpsd.stats"
ok status
grep -q "SIP OAuth mode: enabled" "$tmp/out" || fail "status: mode"
grep -q "requests_total *42" "$tmp/out" || fail "status: daemon statistics"
grep -q "tomcat .*expires" "$tmp/out" || fail "status: certificate expiry"
ok --json status
grep -q '"requests_total": "42"' "$tmp/out" || fail "status --json: statistics"
# A stand-in daemon: `sleep` under the daemon's name (reload checks the
# process name so a reused pid is never signalled).
cp "$(command -v sleep)" "$tmp/oprov-sipd"
"$tmp/oprov-sipd" 60 &
sleeper=$!
echo "$sleeper" >"$OPROV_DATADIR/run/oprov-sipd.pid"
# A pid file naming a live process that is not the daemon: this shell.
echo "$$" >"$OPROV_DATADIR/run/oprov-tftpd.pid"
ok reload
grep -q "oprov-sipd: signalled (pid $sleeper)" "$tmp/out" || fail "reload: sipd not signalled"
grep -q "oprov-tftpd: not running" "$tmp/out" || fail "reload: stale pid file"
grep -q "oprov-httpsd: not running" "$tmp/out" || fail "reload: missing pid file"
set +e
wait "$sleeper"
rc=$?
set -e
sleeper=""
[ "$rc" -eq 129 ] || fail "the process did not get SIGHUP (exit $rc)"

step "trust verify: a list and a signed file made elsewhere (tests/data/trust, signed by openssl)"
V="${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/trust"
ok trust verify "$V/itl-one.tlv"
grep -q "^verdict: *valid" "$tmp/out" || fail "itl-one.tlv not valid"
grep -q "^record 1: *SAST (0) CN=oprov test SAST;O=oprov test" "$tmp/out" || fail "itl-one.tlv: SAST record not printed"
grep -q "^serial: *4242" "$tmp/out" || fail "itl-one.tlv: signer serial not printed"
ok trust verify --cert "$V/tlv-sast.pem" "$V/sgn-hello.sgn"
grep -q "^file name: *hello.txt" "$tmp/out" || fail "sgn-hello.sgn: file name not printed"
ok trust verify --trust "$V/itl-one.tlv" "$V/sgn-hello.sgn"
cp "$V/sgn-hello.sgn" "$tmp/bad.sgn"
printf 'X' | dd of="$tmp/bad.sgn" bs=1 seek=390 conv=notrunc 2>/dev/null
set +e
"$OPROVCTL" trust verify --cert "$V/tlv-sast.pem" "$tmp/bad.sgn" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "INVALID" "$tmp/out" || fail "a changed content byte still verified (exit $rc)"
head -c 40 "$V/itl-one.tlv" >"$tmp/short.tlv"
set +e
"$OPROVCTL" trust verify "$tmp/short.tlv" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "INVALID: header length 392 outside the file (40 bytes)" "$tmp/out" ||
	fail "a truncated list: exit $rc, no clear answer"

echo "oprovctl smoke test passed"
