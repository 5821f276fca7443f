#!/bin/sh
# Regenerates the tokens signed by the openssl command line (not by our
# signer), so the tests prove we verify what an independent implementation
# produced.  Run from anywhere:  sh tests/data/trust/gen-openssl.sh
# Writes, next to this script:
#   ossl-{rs256,es256,eddsa}.pub.pem   public keys (the private keys are
#                                      made in a temporary directory and
#                                      thrown away)
#   ossl-{rs256,es256,eddsa}.jwt       at+jwt tokens, iat 1700000000,
#                                      exp 1700003600, kid ossl-<alg>
#   ossl-es256-der.jwt                 the ES256 token with the DER form of
#                                      the signature (must be refused)
#   ossl-{rs384,rs512,ps256,es384}.jwt the other verification algorithms
#                                      (RSA ones with the rs256 key)
#   ossl-es384.pub.pem
#   test-rs256.key.pem test-es384.key.pem
#                                      test-only private keys the unit
#                                      tests sign attack tokens with
#   rsa1024.pub.pem secp256k1.pub.pem  keys that must be refused
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

claims='{"aud":"oprov-test","client_id":"ossl-client","exp":1700003600,"iat":1700000000,"iss":"https://oprov.test","jti":"ossl-JTI","nbf":1700000000,"scope":"config sip-register","sub":"SEP001122334455"}'

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rs.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ec.pem"
openssl genpkey -algorithm ED25519 -out "$tmp/ed.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/ec384.pem"
openssl pkey -in "$tmp/ec384.pem" -pubout -out "$here/ossl-es384.pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$here/test-rs256.key.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$here/test-es384.key.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl pkey -pubout -out "$here/rsa1024.pub.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 | openssl pkey -pubout -out "$here/secp256k1.pub.pem"
openssl pkey -in "$tmp/rs.pem" -pubout -out "$here/ossl-rs256.pub.pem"
openssl pkey -in "$tmp/ec.pem" -pubout -out "$here/ossl-es256.pub.pem"
openssl pkey -in "$tmp/ed.pem" -pubout -out "$here/ossl-eddsa.pub.pem"

signing_input() { # ALG KID
	h=$(printf '{"alg":"%s","kid":"%s","typ":"at+jwt"}' "$1" "$2" | b64url)
	p=$(printf '%s' "$claims" | b64url)
	printf '%s.%s' "$h" "$p"
}

# RS256: RSASSA-PKCS1-v1_5 over SHA-256.
si=$(signing_input RS256 ossl-rs256)
printf '%s' "$si" > "$tmp/si"
sig=$(openssl dgst -sha256 -sign "$tmp/rs.pem" "$tmp/si" | b64url)
printf '%s.%s' "$si" "$sig" > "$here/ossl-rs256.jwt"

# RS384, RS512, PS256 (RFC 7518 §3.5: MGF1 with the same hash, salt length
# = hash length).
for a in 384 512; do
	si=$(signing_input RS$a ossl-rs$a)
	printf '%s' "$si" > "$tmp/si"
	sig=$(openssl dgst -sha$a -sign "$tmp/rs.pem" "$tmp/si" | b64url)
	printf '%s.%s' "$si" "$sig" > "$here/ossl-rs$a.jwt"
done
si=$(signing_input PS256 ossl-ps256)
printf '%s' "$si" > "$tmp/si"
sig=$(openssl dgst -sha256 -sign "$tmp/rs.pem" -sigopt rsa_padding_mode:pss \
	-sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha256 "$tmp/si" | b64url)
printf '%s.%s' "$si" "$sig" > "$here/ossl-ps256.jwt"

# ES256: openssl emits DER ECDSA-Sig-Value; JWS wants R||S, 32 bytes each.
si=$(signing_input ES256 ossl-es256)
printf '%s' "$si" > "$tmp/si"
openssl dgst -sha256 -sign "$tmp/ec.pem" -out "$tmp/der" "$tmp/si"
openssl asn1parse -inform DER -in "$tmp/der" |
	awk -F: '/INTEGER/ { v = $NF; while (length(v) < 64) v = "0" v;
	                     if (length(v) > 64) v = substr(v, length(v) - 63); printf "%s", v }' |
	xxd -r -p > "$tmp/raw"
test "$(wc -c < "$tmp/raw")" -eq 64
printf '%s.%s' "$si" "$(b64url < "$tmp/raw")" > "$here/ossl-es256.jwt"
printf '%s.%s' "$si" "$(b64url < "$tmp/der")" > "$here/ossl-es256-der.jwt"

# ES384: R||S, 48 bytes each.
si=$(signing_input ES384 ossl-es384)
printf '%s' "$si" > "$tmp/si"
openssl dgst -sha384 -sign "$tmp/ec384.pem" -out "$tmp/der" "$tmp/si"
openssl asn1parse -inform DER -in "$tmp/der" |
	awk -F: '/INTEGER/ { v = $NF; while (length(v) < 96) v = "0" v;
	                     if (length(v) > 96) v = substr(v, length(v) - 95); printf "%s", v }' |
	xxd -r -p > "$tmp/raw"
test "$(wc -c < "$tmp/raw")" -eq 96
printf '%s.%s' "$si" "$(b64url < "$tmp/raw")" > "$here/ossl-es384.jwt"

# EdDSA: Ed25519 signs the message itself (pkeyutl -rawin).
si=$(signing_input EdDSA ossl-eddsa)
printf '%s' "$si" > "$tmp/si"
sig=$(openssl pkeyutl -sign -inkey "$tmp/ed.pem" -rawin -in "$tmp/si" | b64url)
printf '%s.%s' "$si" "$sig" > "$here/ossl-eddsa.jwt"
echo "regenerated openssl tokens in $here"
