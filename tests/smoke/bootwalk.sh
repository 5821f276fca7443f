#!/bin/sh
# The boot order a phone follows, walked by a script client
# (tests/smoke/bootwalk_phone.py, which reads .tlv/.sgn from the published layout
# with its own code and checks signatures with python3-cryptography) against
# oprov-tftpd, oprov-httpsd and oprov-sipd started here on free ports:
#   OAuth phone:  TFTP CTLSEP/ITLSEP<MAC>.tlv -> signatures, the ITL names the
#                 6971 certificate -> activation code on 8443 ->
#                 SEP<MAC>.cnf.xml.sgn over 6971 (TLS pinned to the ITL, file
#                 signed by the ITL's CCM+TFTP record) -> REGISTER on 5090.
#   legacy phone: ITLSEP, SEP<MAC>.cnf.xml.sgn, XMLDefault.cnf.xml.sgn and a
#                 public file's NAME.sgn over TFTP and 6970 alike.
# Then the trust-list signer is rotated: the new list must verify with the
# list the phone already holds, and the one before the rotation must not be
# enough after a second rotation.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=$top_builddir/cli/oprovctl
HTTPSD=$top_builddir/httpsd/oprov-httpsd
SIPD=$top_builddir/sip/oprov-sipd
TFTPD=$top_builddir/tftp/oprov-tftpd
WALK=$top_srcdir/tests/smoke/bootwalk_phone.py

for t in python3 curl; do
	command -v "$t" >/dev/null 2>&1 || { echo "$t not installed (scripts/deps.sh)" >&2; exit 1; }
done
python3 -c 'import cryptography' 2>/dev/null ||
	{ echo "python3-cryptography not installed (scripts/deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-bootwalk.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
	echo "FAIL: $*" >&2
	for l in "$tmp"/*.log; do echo "--- $l" >&2; tail -n 15 "$l" >&2; done
	exit 1
}

set -- $(python3 "$top_srcdir/tests/freeport.py" 4)
CP=$1 HP=$2 OP=$3 SP=$4
D=$tmp/d
ctl() { "$CTL" -d "$D" "$@"; }
# tests/cluster/smoke_pg.sh runs this script on PostgreSQL: the store is
# the one DATADIR/oprov.conf names.
if [ -n "${OPROV_TEST_STORE_URI:-}" ]; then
	mkdir -p "$D" && printf 'store = %s\n' "$OPROV_TEST_STORE_URI" >"$D/oprov.conf" &&
		chmod 600 "$D/oprov.conf" || fail "oprov.conf"
fi
ctl init --hostname localhost --issuer "https://localhost:$OP" >"$tmp/init.log" 2>&1 || fail "init"
ctl sipoauth-mode enable >/dev/null || fail "sipoauth-mode"
ctl cluster mixed-mode enable >/dev/null || fail "mixed-mode"
ctl device add SEP001122334455 --model 8845 --profile Standard-OAuth --line 1001 >/dev/null ||
	fail "device add (OAuth)"
ctl device add SEP112233445566 --model 7841 --profile Standard-Non-Secure --line 1003 >/dev/null ||
	fail "device add (legacy)"
code=$(ctl activation-code issue SEP001122334455 2>/dev/null) || fail "activation code"
python3 -c 'import sys; sys.stdout.write("load " * 5000)' >"$D/files/sip78xx.14-2-1-0001-1.loads"

"$TFTPD" -d "$D" -f --listen 127.0.0.1:0 >"$tmp/tftpd.log" 2>&1 &
pids="$pids $!"
"$HTTPSD" -d "$D" -f --metrics-listen off --config-listen "127.0.0.1:$CP" --http-listen "127.0.0.1:$HP" \
	--oauth-listen "127.0.0.1:$OP" --threads 2 >"$tmp/httpsd.log" 2>&1 &
pids="$pids $!"
"$SIPD" -d "$D" -f --loops 1 --tls-listen "127.0.0.1:$SP" --mtls-listen off \
	>"$tmp/sipd.log" 2>&1 &
pids="$pids $!"

# Wait for each listener (a condition, not a fixed sleep).
TP=""
i=0
while :; do
	[ -z "$TP" ] && TP=$(sed -n 's/.*on UDP port \([0-9]*\).*/\1/p' "$tmp/tftpd.log" | head -n 1)
	if [ -n "$TP" ] && curl -s -o /dev/null "http://127.0.0.1:$HP/healthz" &&
	   python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $SP), 1)" 2>/dev/null; then
		break
	fi
	i=$((i + 1))
	[ $i -lt 150 ] || fail "daemons did not come up"
	sleep 0.1
done
echo "# tftp $TP, 6971 $CP, 6970 $HP, 8443 $OP, 5090 $SP"

python3 "$WALK" oauth --tftp "$TP" --https "$CP" --oauth "$OP" --sip "$SP" \
	--mac 001122334455 --code "$code" --line 1001 || fail "OAuth phone boot walk"
python3 "$WALK" legacy --tftp "$TP" --http "$HP" --mac 112233445566 --oauth-mac 001122334455 \
	--public sip78xx.14-2-1-0001-1.loads --public-path "$D/files/sip78xx.14-2-1-0001-1.loads" ||
	fail "legacy phone boot walk"

# `trust show DEVICE` describes the list that is served: its version is the
# served bytes' SHA-256 prefix, every role appears, and the device's names.
curl -s -o "$tmp/itl.tlv" "http://127.0.0.1:$HP/ITLSEP001122334455.tlv" || fail "ITLSEP over 6970"
ctl trust show SEP001122334455 >"$tmp/show.out" 2>&1 || fail "trust show: $(tail -1 "$tmp/show.out")"
want=$(sha256sum "$tmp/itl.tlv" | cut -c1-16)
grep -q "^version: *$want " "$tmp/show.out" || fail "trust show version is not the served list's ($want)"
for role in SAST CCM+TFTP TFTP CCM APP-SERVER; do
	grep -q "^$role " "$tmp/show.out" || fail "trust show lacks a $role record"
done
grep -q "^CTLFile.tlv: *served" "$tmp/show.out" || fail "trust show: CTLFile.tlv not served in mixed mode"
grep -q "device SEP001122334455: fetches ITLSEP001122334455.tlv" "$tmp/show.out" ||
	fail "trust show does not name the device's list"
echo "ok - trust show SEP001122334455 names the served list's version, its roles and the device's file"

# Rotation: the phone holds the list fetched before; the served list after
# `cert rotate sast` must verify with it (oprovctl's check and the client's).
curl -s -o "$tmp/itl0.tlv" "http://127.0.0.1:$HP/ITLFile.tlv" || fail "ITL before rotation"
ctl cert rotate sast >/dev/null || fail "cert rotate sast"
i=0
until curl -s -o "$tmp/itl1.tlv" "http://127.0.0.1:$HP/ITLFile.tlv" && ! cmp -s "$tmp/itl0.tlv" "$tmp/itl1.tlv"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the served list did not change after the rotation"
	sleep 0.05
done
ctl trust verify --trust "$tmp/itl0.tlv" "$tmp/itl1.tlv" >"$tmp/v.out" 2>&1 ||
	fail "rotated list does not verify with the previous one: $(tail -1 "$tmp/v.out")"
echo "ok - after cert rotate sast the served ITL verifies with the list the phone held"
ctl cert rotate sast >/dev/null || fail "second rotation"
i=0
until curl -s -o "$tmp/itl2.tlv" "http://127.0.0.1:$HP/ITLFile.tlv" && ! cmp -s "$tmp/itl1.tlv" "$tmp/itl2.tlv"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the served list did not change after the second rotation"
	sleep 0.05
done
ctl trust verify --trust "$tmp/itl1.tlv" "$tmp/itl2.tlv" >/dev/null 2>&1 ||
	fail "second rotation: does not verify with the list before it"
if ctl trust verify --trust "$tmp/itl0.tlv" "$tmp/itl2.tlv" >/dev/null 2>&1; then
	fail "a list two rotations on verified with the oldest list"
fi
echo "ok - a second rotation chains on; a list two rotations old is not enough"

# ccm-tftp rotation: the list (still signed by the same SAST) names the new
# file signer, and files are signed with it from then on.
SGN=SEP112233445566.cnf.xml.sgn
curl -s -o "$tmp/sgn0" "http://127.0.0.1:$HP/$SGN" || fail "$SGN before the ccm-tftp rotation"
ctl trust verify --trust "$tmp/itl2.tlv" "$tmp/sgn0" >/dev/null 2>&1 || fail "$SGN does not verify with the ITL"
ctl cert rotate ccm-tftp >/dev/null || fail "cert rotate ccm-tftp"
i=0
until curl -s -o "$tmp/itl3.tlv" "http://127.0.0.1:$HP/ITLFile.tlv" && ! cmp -s "$tmp/itl2.tlv" "$tmp/itl3.tlv" &&
      curl -s -o "$tmp/sgn1" "http://127.0.0.1:$HP/$SGN" && ! cmp -s "$tmp/sgn0" "$tmp/sgn1"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the list or $SGN did not change after cert rotate ccm-tftp"
	sleep 0.05
done
ctl trust verify --trust "$tmp/itl2.tlv" "$tmp/itl3.tlv" >/dev/null 2>&1 ||
	fail "the list after the ccm-tftp rotation does not verify with the one before"
ctl trust verify --trust "$tmp/itl3.tlv" "$tmp/sgn1" >/dev/null 2>&1 ||
	fail "$SGN after the ccm-tftp rotation does not verify with the new list"
if ctl trust verify --trust "$tmp/itl2.tlv" "$tmp/sgn1" >/dev/null 2>&1; then
	fail "$SGN signed by the new ccm-tftp key verified with the list that does not name it"
fi
echo "ok - cert rotate ccm-tftp: the next list (same SAST) names the new signer, $SGN is signed with it"
echo "all boot-walk checks passed"
