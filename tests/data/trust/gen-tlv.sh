#!/bin/sh
# Regenerates the trust-list and signed-file vectors of test_trustlist.c.
# The expected files are assembled here field by field from the layout the
# published tlvfile/sgnfile tools build (docs/formats.md, "Sources"), and
# signed by the openssl command line, not by our writer; the unit test
# checks that our writer produces the same bytes and our reader accepts
# them.  Run from anywhere:  sh tests/data/trust/gen-tlv.sh
# Writes, next to this script:
#   tlv-sast.pem tlv-sast.key.pem     RSA 2048 signer (serial 0x4242)
#   tlv-sast2.pem tlv-sast2.key.pem   the next signer (serial 0x4343)
#   tlv-web.pem                       an EC P-256 web certificate
#   sgn-hello.sgn                     "hello\n" signed, file name hello.txt
#   itl-one.tlv                       a list with one SAST record
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mk() {  # name serial cn
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$here/$1.key.pem" \
		-out "$here/$1.pem" -days 7300 -set_serial "$2" \
		-subj "/CN=$3/O=oprov test" 2>/dev/null
}
mk tlv-sast 0x4242 "oprov test SAST"
mk tlv-sast2 0x4343 "oprov test SAST 2"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tmp/web.key" -out "$here/tlv-web.pem" -days 7300 -set_serial 7 \
	-subj "/CN=web.oprov.test" 2>/dev/null

# hex helpers: u8 / u16 big-endian / a NUL-terminated string
u8() { printf '%02x' "$1"; }
u16() { printf '%04x' "$1"; }
str() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; printf '00'; }
len_str() { echo $(( ${#1} + 1 )); }
unhex() { xxd -r -p; }

name="CN=oprov test SAST;O=oprov test"     # subject = issuer (self-signed)
nl=$(len_str "$name")
ts=1600000000                               # 0x5F5E1000
sigsz=256

# header before the signature (HEADER_* tags 1, 2, [28,] 3-6, 7-8, 9-11);
# the length field is filled in below
pre() {  # $1: "tlv" or "sgn"; $2: header length
	u8 1; u16 2; u8 1; u8 2
	u8 2; u16 2; u16 "$2"
	if [ "$1" = tlv ]; then u8 28; u16 2; u8 1; u8 1; fi
	u8 3; u16 $(( 3 + nl + 3 + 2 + 3 + nl ))
	u8 4; u16 "$nl"; str "$name"
	u8 5; u16 2; printf '4242'
	u8 6; u16 "$nl"; str "$name"
	u8 7; u16 15; u8 8; u16 1
	if [ "$1" = tlv ]; then u8 3; else u8 2; fi
	u8 9; u16 8; u8 10; u16 1; u8 0; u8 11; u16 1; u8 2
}
post() {  # $1: file name in the header
	u8 14; u16 $(( ${#1} + 1 )); str "$1"
	u8 15; u16 4; printf '%08x' "$ts"
}
# header length = everything + the 3+256 signature field, padded (tag 13,
# one byte each) to a multiple of 4
build() {  # kind filename -> hex of the unsigned header
	a=$(pre "$1" 0)$(post "$2")
	n=$(( ${#a} / 2 + 3 + sigsz ))
	pad=$(( (4 - n % 4) % 4 ))
	h=$(pre "$1" $(( n + pad )))
	p=""; i=0; while [ $i -lt $pad ]; do p="${p}0d"; i=$((i+1)); done
	printf '%s|%s%s' "$h" "$(post "$2")" "$p"
}

# .sgn: header + "hello\n", SHA-256
hb=$(build sgn hello.txt)
body=$(printf 'hello\n' | od -An -tx1 | tr -d ' \n')
printf '%s%s%s' "${hb%%|*}" "${hb#*|}" "$body" | unhex > "$tmp/tbs"
openssl dgst -sha256 -sign "$here/tlv-sast.key.pem" -out "$tmp/sig" "$tmp/tbs"
{ printf '%s' "${hb%%|*}"; u8 12; u16 $sigsz; od -An -tx1 "$tmp/sig" | tr -d ' \n'
  printf '%s%s' "${hb#*|}" "$body"; } | unhex > "$here/sgn-hello.sgn"

# .tlv: header (signer version 1.1) + one SAST record, SHA-512
openssl x509 -in "$here/tlv-sast.pem" -outform DER -out "$tmp/c.der"
openssl x509 -in "$here/tlv-sast.pem" -noout -pubkey |
	openssl rsa -pubin -RSAPublicKey_out -outform DER -out "$tmp/pk.der" 2>/dev/null
tail -c $sigsz "$tmp/c.der" > "$tmp/csig"   # the certificate's signature ends its DER
hx() { od -An -tx1 "$1" | tr -d ' \n'; }
sz() { wc -c < "$1" | tr -d ' '; }
rec_body=$(u8 3; u16 "$nl"; str "$name"; u8 4; u16 2; u16 0; u8 5; u16 "$nl"; str "$name"
	u8 6; u16 2; printf '4242'; u8 7; u16 "$(sz "$tmp/pk.der")"; hx "$tmp/pk.der"
	u8 8; u16 "$(sz "$tmp/csig")"; hx "$tmp/csig"; u8 9; u16 "$(sz "$tmp/c.der")"; hx "$tmp/c.der")
rec=$(u8 1; u16 2; u16 $(( ${#rec_body} / 2 + 5 )); printf '%s' "$rec_body")
hb=$(build tlv ITLFile.tlv)
printf '%s%s%s' "${hb%%|*}" "${hb#*|}" "$rec" | unhex > "$tmp/tbs"
openssl dgst -sha512 -sign "$here/tlv-sast.key.pem" -out "$tmp/sig" "$tmp/tbs"
{ printf '%s' "${hb%%|*}"; u8 12; u16 $sigsz; hx "$tmp/sig"
  printf '%s%s' "${hb#*|}" "$rec"; } | unhex > "$here/itl-one.tlv"
echo "wrote vectors to $here"
