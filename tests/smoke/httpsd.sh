#!/bin/sh
# Smoke test of oprov-httpsd with curl as the client, against a daemon this
# script starts on free ports: onboarding -> config -> refresh -> reuse
# detection -> revoke; every row of the 6971 / 6970 decision table;
# traversal attempts; ETag / 304; Range; metadata and JWKS (the JWKS verifies
# the issued tokens); store changes picked up without a reload; the
# activation-code rate limit; a slow client cut off while others are served.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=${OPROVCTL:-$top_builddir/cli/oprovctl}
HTTPSD=$top_builddir/httpsd/oprov-httpsd

for t in curl python3 openssl; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
if [ ! -x "$CTL" ]; then
	# Only in a tree without cli/ (the httpsd branch before the merge).
	echo "SKIP: $CTL not built"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-httpsd.XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
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
# The daemon reads the store's generations at most every 50 ms.
settle() { sleep 0.2; }
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

set -- $(python3 "$top_srcdir/tests/freeport.py" 4)
CP=$1 HP=$2 OP=$3 MP=$4
export OPROV_DATADIR="$tmp/d"
D=$OPROV_DATADIR
ctl() { "$CTL" -d "$D" "$@"; }

ctl init --hostname localhost --issuer "https://localhost:$OP" >"$tmp/init.out" 2>&1 ||
	{ cat "$tmp/init.out"; fail "oprovctl init"; }
ctl param set oauth-refresh-login-flow on >/dev/null || fail "param set"
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode enable"
ctl device add SEP001122334455 --model 8845 --profile Standard-OAuth \
	--line 1001:Alice >/dev/null || fail "device add (OAuth)"
ctl device add SEP00AABBCCDDEE --model 8845 --profile Standard-OAuth \
	--line 1002 >/dev/null || fail "device add (second OAuth)"
ctl device add SEP112233445566 --model 7841 --profile Standard-Non-Secure \
	--line 1003 >/dev/null || fail "device add (legacy)"
code=$(ctl activation-code issue SEP001122334455 2>/dev/null) || fail "activation-code issue"
secret=$(ctl client add admin 2>/dev/null) || fail "client add"

# Public files, a large one for Range, and things that must never be served.
F=$D/files
mkdir -p "$F/English_United_States" "$tmp/outside"
echo "secret outside the root" >"$tmp/outside/secret.txt"
printf '<ringlist/>\n' >"$F/RingList.xml"
# Trust lists are generated from the store: a file of that name in the
# root is never what is served.
printf 'stale hand-made list\n' >"$F/ITLSEP112233445566.tlv"
ctl trust export ITLFile.tlv >"$tmp/itl.expected" || fail "trust export"
printf '<tones/>\n' >"$F/English_United_States/g3-tones.xml"
python3 -c 'import sys; sys.stdout.write("".join(chr(48 + i % 10) for i in range(100000)))' >"$F/sip88xx.loads"
ln -s "$tmp/outside/secret.txt" "$F/link-out.txt"
ln -s "$tmp/outside" "$F/dir-out"
ln -s RingList.xml "$F/link-in.xml"

"$HTTPSD" -d "$D" -f --config-listen "127.0.0.1:$CP" --http-listen "127.0.0.1:$HP" \
	--oauth-listen "127.0.0.1:$OP" --metrics-listen "127.0.0.1:$MP" --timeout 3 --threads 2 --code-attempts 4 \
	--code-window 60 2>"$tmp/log" &
pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$HP/healthz"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "daemon did not come up"
	kill -0 "$pid" 2>/dev/null || fail "daemon exited"
	sleep 0.1
done
ok "daemon up on $CP/$HP/$OP"
[ -s "$D/run/oprov-httpsd.pid" ] || fail "no pid file"

# call EXPECTED-STATUS curl-args...: body in $tmp/body, headers in $tmp/hdr.
call() {
	want=$1
	shift
	got=$(curl -s -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' \
		--resolve "localhost:$CP:127.0.0.1" --resolve "localhost:$OP:127.0.0.1" \
		--cacert "$tmp/ca.pem" "$@")
	[ "$got" = "$want" ] || fail "curl $* -> $got, want $want: $(head -c 300 "$tmp/body")"
}
hdr() { grep -i "^$1:" "$tmp/hdr" | head -n 1 | cut -d: -f2- | sed 's/^ //; s/\r$//'; }
json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ''))" "$tmp/body" "$1"; }
CFG=https://localhost:$CP
AS=https://localhost:$OP
PUB=http://127.0.0.1:$HP

# ---- 6970: caconfig.json gives the roots; TLS then verifies ------------------
touch "$tmp/ca.pem"
call 200 "$PUB/caconfig.json"
python3 - "$tmp/body" "$tmp/ca.pem" <<'EOF' || fail "caconfig.json"
import json, sys, hashlib, base64
doc = json.load(open(sys.argv[1]))
certs = doc["certificates"]
assert len(certs) >= 1, doc
pem = certs[0]["pem"]
der = base64.b64decode("".join(l for l in pem.splitlines() if "-----" not in l))
assert hashlib.sha256(der).hexdigest() == certs[0]["sha256"], "fingerprint"
open(sys.argv[2], "w").write("".join(c["pem"] for c in certs))
EOF
ok "caconfig.json lists phone-edge-trust with matching SHA-256"

# ---- 8443: metadata and JWKS -------------------------------------------------
call 200 "$AS/.well-known/oauth-authorization-server"
python3 -m json.tool "$tmp/body" >/dev/null || fail "metadata is not JSON"
[ "$(json issuer)" = "https://localhost:$OP" ] || fail "issuer $(json issuer)"
[ "$(json token_endpoint)" = "https://localhost:$OP/oauth/token" ] || fail "token_endpoint"
ok "RFC 8414 metadata over verified TLS"
call 200 "$AS/oauth/jwks.json"
python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["keys"]; assert k and all("d" not in x for x in k)' \
	"$tmp/body" || fail "JWKS"
cp "$tmp/body" "$tmp/jwks.json"
ok "JWKS parses, public members only"
curl -s --cacert "$tmp/ca.pem" --resolve "localhost:$OP:127.0.0.1" --tlsv1.1 --tls-max 1.1 \
	-o /dev/null "$AS/healthz" && fail "TLS 1.1 accepted"
ok "TLS below 1.2 refused"

# ---- 6971 without a token ------------------------------------------------------
call 401 "$CFG/SEP001122334455.cnf.xml"
case "$(hdr WWW-Authenticate)" in
'Bearer realm="oprov"') ;;
*) fail "challenge without token: $(hdr WWW-Authenticate)" ;;
esac
ok "6971 NO_TOKEN -> 401 Bearer realm, no error"
call 401 "$CFG/SEP999999999999.cnf.xml"
call 401 "$CFG/no-such-file.xml"
ok "6971 anonymous gets 401, never 404"
call 401 -H "Authorization: Basic YTpi" "$CFG/SEP001122334455.cnf.xml"
ok "6971 other scheme -> 401"
grep -q 'deny reason=NO_TOKEN listener=https-config peer=127.0.0.1 device=SEP001122334455' "$tmp/log" ||
	fail "no structured denial line"
ok "denial logged with reason, listener, peer, device"

# ---- onboarding ------------------------------------------------------------------
call 400 -d "grant_type=urn:oprov:params:oauth:grant-type:activation-code" \
	-d "activation_code=0000000000000000" -d "device=SEP001122334455" "$AS/oauth/token"
[ "$(json error)" = invalid_grant ] || fail "bad code: $(json error)"
ok "wrong activation code -> invalid_grant"
call 400 -d "grant_type=password&username=a&password=b" "$AS/oauth/token"
[ "$(json error)" = unsupported_grant_type ] || fail "password grant"
call 400 -d "grant_type=refresh_token&grant_type=refresh_token" "$AS/oauth/token"
[ "$(json error)" = invalid_request ] || fail "repeated parameter"
call 400 -H "Content-Type: application/json" -d '{}' "$AS/oauth/token"
[ "$(json error)" = invalid_request ] || fail "json body"
ok "password grant, repeated parameter, non-form body refused"

call 200 -d "grant_type=urn:oprov:params:oauth:grant-type:activation-code" \
	-d "activation_code=$code" -d "device=sep001122334455" "$AS/oauth/token"
[ "$(hdr Cache-Control)" = no-store ] || fail "token response Cache-Control"
[ "$(hdr Pragma)" = no-cache ] || fail "token response Pragma"
[ "$(json token_type)" = Bearer ] || fail "token_type"
AT=$(json access_token)
RT=$(json refresh_token)
[ -n "$AT" ] && [ -n "$RT" ] || fail "no tokens: $(cat "$tmp/body")"
case "$(json scope)" in *config*sip-register*) ;; *) fail "scope $(json scope)" ;; esac
ok "onboarded with the activation code (access + refresh, no-store)"
call 400 -d "grant_type=urn:oprov:params:oauth:grant-type:activation-code" \
	-d "activation_code=$code" -d "device=SEP001122334455" "$AS/oauth/token"
ok "activation code is single use"

ctl token verify --jwks "$tmp/jwks.json" --issuer "https://localhost:$OP" \
	--audience "https://localhost:$OP" "$AT" >"$tmp/verify.out" 2>&1 ||
	{ cat "$tmp/verify.out"; fail "token verify --jwks"; }
grep -q SEP001122334455 "$tmp/verify.out" || fail "verified claims lack the device"
ok "the published JWKS verifies the issued token"

# ---- 6971 with the token ----------------------------------------------------------
BEARER="Authorization: Bearer $AT"
call 200 -H "$BEARER" "$CFG/SEP001122334455.cnf.xml"
cp "$tmp/body" "$tmp/config.xml"
case "$(hdr Content-Type)" in "text/xml; charset=utf-8") ;; *) fail "content type" ;; esac
[ "$(hdr Cache-Control)" = no-store ] || fail "config Cache-Control"
grep -q '<device' "$tmp/config.xml" || fail "not a device config"
grep -q '<sipOAuthMode>1</sipOAuthMode>' "$tmp/config.xml" || fail "sipOAuthMode not 1"
ETAG=$(hdr ETag)
[ -n "$ETAG" ] || fail "no ETag"
ok "6971 ALLOW -> 200 config (text/xml, no-store, ETag)"
cmp -s "$tmp/config.xml" "$tmp/body" || fail "config differs"
call 200 -H "$BEARER" "$CFG/SEP001122334455.cnf.xml.sgn"
cp "$tmp/body" "$tmp/config.sgn"
"$CTL" -d "$D" trust verify "$tmp/config.sgn" >"$tmp/verify.out" || fail ".sgn does not verify: $(cat "$tmp/verify.out")"
grep -q 'file name: *SEP001122334455.cnf.xml.sgn' "$tmp/verify.out" || fail ".sgn header file name"
tail -c "$(wc -c <"$tmp/config.xml")" "$tmp/config.sgn" | cmp -s - "$tmp/config.xml" || fail ".sgn does not end with the config"
ok ".cnf.xml.sgn answered with the config signed by ccm-tftp"
call 200 -H "authorization: bearer $AT" "$CFG/sep001122334455.CNF.XML"
ok "scheme and file name case-insensitive"
call 304 -H "$BEARER" -H "If-None-Match: $ETAG" "$CFG/SEP001122334455.cnf.xml"
call 200 -H "$BEARER" -H 'If-None-Match: "other"' "$CFG/SEP001122334455.cnf.xml"
ok "If-None-Match -> 304"
call 200 -I -H "$BEARER" "$CFG/SEP001122334455.cnf.xml"
# curl -I writes the headers where the body would go: no XML may follow.
if grep -q '<device' "$tmp/body"; then fail "HEAD has a body"; fi
ok "HEAD"
call 403 -H "$BEARER" "$CFG/SEP00AABBCCDDEE.cnf.xml"
case "$(hdr WWW-Authenticate)" in *'error="insufficient_scope"'*) ;; *) fail "403 challenge" ;; esac
h1=$(hdr WWW-Authenticate)
call 403 -H "$BEARER" "$CFG/SEP999999999999.cnf.xml"
[ "$(hdr WWW-Authenticate)" = "$h1" ] || fail "unknown device answered differently"
ok "6971 WRONG_DEVICE -> 403 insufficient_scope, same for an unknown device"
call 404 -H "$BEARER" "$CFG/no-such-file.xml"
ok "6971 NOT_FOUND -> 404 only to a valid token"
call 200 -H "$BEARER" "$CFG/ITLSEP001122334455.tlv"
cmp -s "$tmp/body" "$tmp/itl.expected" || fail "trust list body on 6971"
call 401 "$CFG/ITLSEP001122334455.tlv"
call 200 -H "$BEARER" "$CFG/ITLSEP112233445566.tlv"
call 404 -H "$BEARER" "$CFG/CTLSEP001122334455.tlv"
ok "6971 trust lists like any public file: token first, CTL only in mixed mode"
call 401 -H "Authorization: Bearer a.b.c" "$CFG/SEP001122334455.cnf.xml"
case "$(hdr WWW-Authenticate)" in *'error="invalid_token"'*) ;; *) fail "invalid_token challenge" ;; esac
BAD=$(python3 -c 'import sys; t=sys.argv[1]; print(t[:-4] + ("AAAA" if t[-4:] != "AAAA" else "BBBB"))' "$AT")
call 401 -H "Authorization: Bearer $BAD" "$CFG/SEP001122334455.cnf.xml"
BIG=$(python3 -c 'print("a" * 8192)')
call 401 -H "Authorization: Bearer $BIG" -H "X-Pad: $(python3 -c 'print("p" * 2000)')" \
	"$CFG/SEP001122334455.cnf.xml"
call 401 -H "Authorization: Bearer ${BIG}a" "$CFG/SEP001122334455.cnf.xml"
ok "6971 INVALID_TOKEN (malformed, bad signature, 8 KiB, too large) -> 401 invalid_token"
call 400 "$CFG/SEP001122334455.cnf.xml?access_token=$AT"
call 400 -H "$BEARER" -H "Authorization: Bearer $AT" "$CFG/SEP001122334455.cnf.xml"
call 400 -H "Authorization: Bearer" "$CFG/SEP001122334455.cnf.xml"
call 400 -H "Authorization: Bearer a b" "$CFG/SEP001122334455.cnf.xml"
call 400 -X POST -d "access_token=$AT" "$CFG/SEP001122334455.cnf.xml"
ok "token in query / form, two Authorization headers, bad syntax -> 400"
if grep -qF "$AT" "$tmp/log"; then fail "a token reached the log"; fi
ok "no token in the log"

# Public files over 6971: any valid token; Range.
call 200 -H "$BEARER" "$CFG/English_United_States/g3-tones.xml"
call 206 -H "$BEARER" -H "Range: bytes=10-19" "$CFG/sip88xx.loads"
[ "$(cat "$tmp/body")" = 0123456789 ] || fail "range body $(cat "$tmp/body")"
[ "$(hdr Content-Range)" = "bytes 10-19/100000" ] || fail "Content-Range $(hdr Content-Range)"
call 206 -H "$BEARER" -H "Range: bytes=-5" "$CFG/sip88xx.loads"
[ "$(cat "$tmp/body")" = 56789 ] || fail "suffix range"
call 416 -H "$BEARER" -H "Range: bytes=100000-" "$CFG/sip88xx.loads"
[ "$(hdr Content-Range)" = "bytes */100000" ] || fail "416 Content-Range"
call 200 -H "$BEARER" -H "Range: bytes=0-1,5-6" "$CFG/sip88xx.loads"
ok "Range: 206, suffix, 416, several ranges ignored"

# ---- traversal, on both file ports ----------------------------------------------------
for url in "$CFG" "$PUB"; do
	for p in /../../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /..%2f..%2fetc/passwd \
		//etc/passwd /English_United_States/../../etc/passwd /link-out.txt \
		/dir-out/secret.txt /RingList.xml%00.png /a%5c..%5cb /%2fetc/passwd; do
		got=$(curl -s --path-as-is -o "$tmp/body" -w '%{http_code}' \
			--resolve "localhost:$CP:127.0.0.1" --cacert "$tmp/ca.pem" \
			-H "$BEARER" "$url$p")
		case "$got" in 400 | 404) ;; *) fail "$url$p -> $got" ;; esac
		if grep -q 'root:\|secret outside' "$tmp/body"; then fail "$url$p leaked"; fi
	done
done
call 200 "$PUB/link-in.xml"
ok "traversal (.., %2e%2e, absolute, symlinks out, NUL, backslash) -> 400/404"

# ---- 6970 ---------------------------------------------------------------------------
call 200 "$PUB/RingList.xml"
E2=$(hdr ETag)
call 304 -H "If-None-Match: $E2" "$PUB/RingList.xml"
ok "6970 public file, ETag 304"
call 403 "$PUB/SEP001122334455.cnf.xml"
grep -q "$CP" "$tmp/body" || fail "403 body does not name port $CP: $(cat "$tmp/body")"
grep -q 'deny reason=NEEDS_SECURE_CHANNEL listener=http-public' "$tmp/log" || fail "6970 log line"
ok "6970 OAuth device config -> 403 naming port $CP, logged"
call 200 "$PUB/SEP112233445566.cnf.xml"
grep -q '<device' "$tmp/body" || fail "legacy config"
ok "6970 legacy device config served"
call 404 "$PUB/SEP999999999999.cnf.xml"
call 404 "$PUB/nothing.xml"
ok "6970 NOT_FOUND -> 404"
for tl in ITLFile.tlv ITLSEP001122334455.tlv ITLSEP112233445566.tlv ITLSEP999999999999.tlv itlsep001122334455.TLV; do
	call 200 "$PUB/$tl"
	cmp -s "$tmp/body" "$tmp/itl.expected" || fail "6970 $tl is not the generated list"
done
call 404 "$PUB/CTLSEP001122334455.tlv"
call 404 "$PUB/CTLFile.tlv"
ok "6970 trust lists: the generated ITL for every device (OAuth, legacy, unknown); no CTL without mixed mode"
ctl cluster mixed-mode enable >/dev/null || fail "mixed-mode enable"
settle
call 200 "$PUB/CTLSEP001122334455.tlv"
cp "$tmp/body" "$tmp/ctl.tlv"
"$CTL" -d "$D" trust verify "$tmp/ctl.tlv" | grep -q 'file name: *CTLFile.tlv' || fail "CTL does not verify"
ctl cluster mixed-mode disable >/dev/null || fail "mixed-mode disable"
settle
call 404 "$PUB/CTLFile.tlv"
ok "6970 CTL served in mixed mode only, signed, file name CTLFile.tlv"
call 200 "$PUB/SEP112233445566.cnf.xml.sgn"
cp "$tmp/body" "$tmp/legacy.sgn"
"$CTL" -d "$D" trust verify "$tmp/legacy.sgn" >/dev/null || fail "legacy .sgn does not verify"
call 403 "$PUB/SEP001122334455.cnf.xml.sgn"
call 200 "$PUB/sip88xx.loads.sgn"
cp "$tmp/body" "$tmp/loads.sgn"
"$CTL" -d "$D" trust verify "$tmp/loads.sgn" >/dev/null || fail "signed public file does not verify"
tail -c 100000 "$tmp/loads.sgn" | cmp -s - "$F/sip88xx.loads" || fail "signed public file content"
call 404 "$PUB/nothing.xml.sgn"
ok "6970 NAME.sgn: legacy config and public files signed, an OAuth config still refused"
call 200 "$PUB/XMLDefault.cnf.xml"
xmllint --noout "$tmp/body" || fail "XMLDefault.cnf.xml not well formed"
grep -q '<Default>' "$tmp/body" || fail "XMLDefault.cnf.xml has no <Default> root"
grep -q '<processNodeName>localhost</processNodeName>' "$tmp/body" ||
	fail "XMLDefault.cnf.xml does not name the init node"
ok "6970 XMLDefault.cnf.xml rendered from the store"

# ---- refresh, rotation, reuse detection ---------------------------------------------------
call 200 -d "grant_type=refresh_token" --data-urlencode "refresh_token=$RT" "$AS/oauth/token"
AT2=$(json access_token)
RT2=$(json refresh_token)
[ -n "$AT2" ] && [ "$RT2" != "$RT" ] || fail "refresh did not rotate"
call 200 -H "Authorization: Bearer $AT2" "$CFG/SEP001122334455.cnf.xml"
ok "refresh_token grant rotates and the new token works"
call 400 -d "grant_type=refresh_token" --data-urlencode "refresh_token=$RT" "$AS/oauth/token"
[ "$(json error)" = invalid_grant ] || fail "reuse error"
grep -q 'refresh token reuse' "$tmp/log" || fail "reuse not logged"
call 400 -d "grant_type=refresh_token" --data-urlencode "refresh_token=$RT2" "$AS/oauth/token"
call 401 -H "Authorization: Bearer $AT2" "$CFG/SEP001122334455.cnf.xml"
ok "reuse of a rotated token revokes the family (refresh and access tokens), logged"

# ---- revoke and introspect (client_secret_basic) ----------------------------------------------
code2=$(ctl activation-code issue SEP001122334455 2>/dev/null)
call 200 -d "grant_type=urn:oprov:params:oauth:grant-type:activation-code" \
	-d "activation_code=$code2" -d "device=SEP001122334455" "$AS/oauth/token"
AT3=$(json access_token)
RT3=$(json refresh_token)
call 401 --data-urlencode "token=$AT3" "$AS/oauth/introspect"
case "$(hdr WWW-Authenticate)" in Basic*) ;; *) fail "introspect challenge" ;; esac
[ "$(json error)" = invalid_client ] || fail "invalid_client"
call 401 -u "admin:wrong" --data-urlencode "token=$AT3" "$AS/oauth/introspect"
call 401 -u "admin:$secret" --data-urlencode "token=$AT3" "$AS/oauth/revoke" -H "Authorization: Basic eDp5"
ok "introspect / revoke without valid client credentials -> 401 invalid_client"
call 200 -u "admin:$secret" --data-urlencode "token=$AT3" "$AS/oauth/introspect"
[ "$(json active)" = True ] || fail "introspect active: $(cat "$tmp/body")"
[ "$(json dev)" = SEP001122334455 ] || fail "introspect dev"
call 200 -u "admin:$secret" --data-urlencode "token=$RT3" "$AS/oauth/introspect"
[ "$(json active)" = True ] || fail "refresh introspect"
ok "introspection of live access and refresh tokens"
call 200 -u "admin:$secret" --data-urlencode "token=$RT3" "$AS/oauth/revoke"
call 401 -H "Authorization: Bearer $AT3" "$CFG/SEP001122334455.cnf.xml"
call 200 -u "admin:$secret" --data-urlencode "token=$AT3" "$AS/oauth/introspect"
[ "$(cat "$tmp/body")" = '{"active":false}' ] || fail "inactive: $(cat "$tmp/body")"
call 200 -u "admin:$secret" --data-urlencode "token=not-a-token" "$AS/oauth/revoke"
ok "revoking the refresh token stops its access tokens; unknown token still 200"

code3=$(ctl activation-code issue SEP001122334455 2>/dev/null)
call 200 -d "grant_type=urn:oprov:params:oauth:grant-type:activation-code" \
	-d "activation_code=$code3" -d "device=SEP001122334455" "$AS/oauth/token"
AT4=$(json access_token)
call 200 -H "Authorization: Bearer $AT4" "$CFG/SEP001122334455.cnf.xml"
call 200 -u "admin:$secret" --data-urlencode "token=$AT4" "$AS/oauth/revoke"
call 401 -H "Authorization: Bearer $AT4" "$CFG/SEP001122334455.cnf.xml"
ok "revoking an access token (RFC 7009) stops it on the next request"

# ---- store changes without SIGHUP -----------------------------------------------------------------
ctl param set oauth-refresh-login-flow off >/dev/null || fail "param set off"
settle
call 400 -d "grant_type=refresh_token" -d "refresh_token=whatever" "$AS/oauth/token"
[ "$(json error)" = unsupported_grant_type ] || fail "refresh while off: $(json error)"
code4=$(ctl activation-code issue SEP001122334455 2>/dev/null)
call 200 -d "grant_type=urn:oprov:params:oauth:grant-type:activation-code" \
	-d "activation_code=$code4" -d "device=SEP001122334455" "$AS/oauth/token"
[ -z "$(json refresh_token)" ] || fail "refresh token issued with the flow off"
AT5=$(json access_token)
ok "refresh login flow off: refresh grant refused, no refresh token (no reload)"
ctl device delete SEP00AABBCCDDEE >/dev/null || fail "device delete"
settle
call 403 -H "Authorization: Bearer $AT5" "$CFG/SEP00AABBCCDDEE.cnf.xml"
call 200 -H "Authorization: Bearer $AT5" "$CFG/SEP001122334455.cnf.xml"
call 200 -u "admin:$secret" --data-urlencode "token=$AT5" "$AS/oauth/introspect"
ok "config served after a store change"
ctl token revoke --device SEP001122334455 >/dev/null || fail "token revoke --device"
settle
call 401 -H "Authorization: Bearer $AT5" "$CFG/SEP001122334455.cnf.xml"
ok "oprovctl token revoke --device takes effect without a reload"

# ---- metrics, health ---------------------------------------------------------------------------------
call 404 "$AS/metrics"
call 200 "http://127.0.0.1:$MP/metrics"
grep -q 'oprov_httpsd_requests_total{listener="https-config",status="200"}' "$tmp/body" ||
	fail "metrics requests"
grep -q 'oprov_httpsd_verdicts_total{reason="NO_TOKEN"}' "$tmp/body" || fail "metrics verdicts"
grep -q 'oprov_httpsd_token_cache_hits_total' "$tmp/body" || fail "metrics cache"
ok "/metrics on its own listener only, not on 8443"

# ---- rate limit on failed activation codes ------------------------------------------------------------
i=0
while :; do
	got=$(curl -s -o "$tmp/body" -w '%{http_code}' --cacert "$tmp/ca.pem" \
		--resolve "localhost:$OP:127.0.0.1" \
		-d "grant_type=urn:oprov:params:oauth:grant-type:activation-code" \
		-d "activation_code=1111111111111111" -d "device=SEP001122334455" "$AS/oauth/token")
	[ "$got" = 429 ] && break
	[ "$got" = 400 ] || fail "code attempt -> $got"
	i=$((i + 1))
	[ $i -le 4 ] || fail "no rate limit after $i failures"
done
code5=$(ctl activation-code issue SEP001122334455 2>/dev/null)
call 429 -d "grant_type=urn:oprov:params:oauth:grant-type:activation-code" \
	-d "activation_code=$code5" -d "device=SEP001122334455" "$AS/oauth/token"
ok "failed activation codes rate-limited per address (429), even a right code waits"

# ---- slow client ------------------------------------------------------------------------------------------
python3 - "$HP" <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
req = b"GET /RingList.xml HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60 + b"\r\n\r\n"
start = time.time()
for b in req:
    try:
        s.send(bytes([b]))
        s.settimeout(1.0)
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
    except OSError:
        break
else:
    print("slow client was never cut off"); sys.exit(1)
took = time.time() - start
sys.exit(0 if took < 15 else 1)
EOF
slow=$!
sleep 1
i=0
while [ $i -lt 5 ]; do
	call 200 "$PUB/RingList.xml"
	i=$((i + 1))
	sleep 0.5
done
wait $slow || fail "slow client not cut off by the timeout"
ok "a client sending one header byte per second is cut off; others served meanwhile"

# ---- reload and stop ------------------------------------------------------------------------------------------
leaf_cn() {
	openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -subject 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=reloaded.test \
	-addext subjectAltName=DNS:localhost -keyout "$tmp/new.key" -out "$tmp/new.pem" \
	>/dev/null 2>&1 || fail "openssl req"
ctl cert upload --purpose tomcat "$tmp/new.pem" --key "$tmp/new.key" >/dev/null 2>&1 ||
	fail "cert upload"
case "$(leaf_cn "$CP")" in *reloaded.test*) fail "certificate changed before SIGHUP" ;; esac
# Downloads in flight across the SIGHUP, on HTTP and HTTPS, must finish.
head -c 6000000 /dev/urandom >"$F/big.bin"
TL=$(ctl token mint --device SEP112233445566 2>/dev/null) || fail "token mint"
curl -s --limit-rate 2M -o "$tmp/big-http.out" "$PUB/big.bin" &
dl1=$!
curl -s --limit-rate 2M -o "$tmp/big-https.out" --cacert "$tmp/ca.pem" \
	--resolve "localhost:$CP:127.0.0.1" -H "Authorization: Bearer $TL" \
	"$CFG/big.bin" &
dl2=$!
sleep 1
kill -HUP "$pid"
sleep 1
kill -0 "$pid" || fail "daemon died on SIGHUP"
case "$(leaf_cn "$CP")" in *reloaded.test*) ;; *) fail "6971 certificate not reloaded: $(leaf_cn "$CP")" ;; esac
case "$(leaf_cn "$OP")" in *reloaded.test*) ;; *) fail "8443 certificate not reloaded" ;; esac
cp "$tmp/new.pem" "$tmp/ca.pem"
call 200 "$AS/healthz"
call 200 "$PUB/RingList.xml"
ok "SIGHUP reloads the certificate and restarts the listeners on their sockets"
wait $dl1 || fail "HTTP download cut by the reload"
wait $dl2 || fail "HTTPS download cut by the reload"
cmp -s "$F/big.bin" "$tmp/big-http.out" || fail "HTTP download across the reload differs"
cmp -s "$F/big.bin" "$tmp/big-https.out" || fail "HTTPS download across the reload differs"
grep -q 'at the drain timeout' "$tmp/log" && fail "connections cut at the drain timeout"
ok "downloads in flight at the SIGHUP finish intact (old listeners drain)"
kill "$pid"
wait "$pid"
rc=$?
pid=""
[ $rc -eq 0 ] || fail "exit status $rc"
[ ! -e "$D/run/oprov-httpsd.pid" ] || fail "pid file left behind"
ok "clean stop"
echo "all $n checks passed"
