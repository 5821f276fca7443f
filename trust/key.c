/*
 * key.c - keys (trust_key): algorithm and key-type names, loading from PEM
 * and JWK (RFC 7517, 7518 §6, 8037 §2), generation, HMAC secrets, binding
 * each key to one algorithm, signing and verifying with it, RFC 7638
 * thumbprints, public JWK and PEM export, and TLS server keys.  The key
 * material itself is a struct cpk (ossl_key.c; signatures in ossl_jws.c
 * and ossl_tlssig.c): this file speaks bytes and JSON only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "trust/trust_int.h"

static const char *const alg_names[JWS_ALG_COUNT] = {
	[JWS_RS256] = "RS256", [JWS_RS384] = "RS384", [JWS_RS512] = "RS512",
	[JWS_PS256] = "PS256", [JWS_ES256] = "ES256", [JWS_ES384] = "ES384",
	[JWS_EDDSA] = "EdDSA", [JWS_HS256] = "HS256",
};

const char *
jws_alg_name(enum jws_alg a)
{
	if (a <= JWS_ALG_INVALID || a >= JWS_ALG_COUNT)
		return "?";
	return alg_names[a];
}

enum jws_alg
jws_alg_parse(const char *s, size_t len)
{
	for (int a = JWS_ALG_INVALID + 1; a < JWS_ALG_COUNT; a++)
		if (strlen(alg_names[a]) == len && memcmp(alg_names[a], s, len) == 0)
			return (enum jws_alg)a;
	return JWS_ALG_INVALID;
}

static const char *const type_names[] = {
	[KEY_RSA2048] = "rsa2048", [KEY_EC256] = "ec256", [KEY_ED25519] = "ed25519",
};

int
key_type_parse(const char *s, enum key_type *out)
{
	for (int t = KEY_RSA2048; t <= KEY_ED25519; t++)
		if (strcmp(s, type_names[t]) == 0) {
			*out = (enum key_type)t;
			return 0;
		}
	return -1;
}

const char *
key_type_name(enum key_type t)
{
	return t >= KEY_RSA2048 && t <= KEY_ED25519 ? type_names[t] : "?";
}

static enum jws_alg
default_alg(enum cpk_kty kty)
{
	switch (kty) {
	case CPK_RSA: return JWS_RS256;
	case CPK_EC_P256: return JWS_ES256;
	case CPK_EC_P384: return JWS_ES384;
	case CPK_ED25519: return JWS_EDDSA;
	default: return JWS_ALG_INVALID;
	}
}

/* Takes ownership of pk in every case. */
static trust_key *
key_wrap(struct cpk *pk, enum jws_alg alg, const char *kid, size_t kidlen,
         char *err, size_t errlen)
{
	trust_key *k;

	if (alg == JWS_ALG_INVALID)
		alg = default_alg(cpk_kty(pk));
	if (alg == JWS_HS256) {
		trust_err(err, errlen, "HS256 needs a shared secret, not a public key");
		cpk_free(pk);
		return NULL;
	}
	if (cpk_bind(pk, alg, err, errlen) < 0) {
		cpk_free(pk);
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		cpk_free(pk);
		trust_err(err, errlen, "out of memory");
		return NULL;
	}
	k->refs = 1;
	k->alg = alg;
	k->pk = pk;
	if (kid != NULL) {
		if (kidlen == 0 || trust_strlcpy_n(k->kid, sizeof(k->kid), kid, kidlen) < 0) {
			trust_err(err, errlen, "kid empty or longer than %d bytes",
			          TOK_KID_MAX - 1);
			key_unref(k);
			return NULL;
		}
		k->kidlen = kidlen;
	} else {
		if (key_thumbprint(k, k->kid) < 0) {
			trust_err(err, errlen, "cannot compute thumbprint");
			key_unref(k);
			return NULL;
		}
		k->kidlen = strlen(k->kid);
	}
	return k;
}

trust_key *
key_from_pem(const char *pem, size_t len, enum jws_alg alg, const char *kid,
             char *err, size_t errlen)
{
	struct cpk *pk = cpk_from_pem(pem, len, err, errlen);

	if (pk == NULL)
		return NULL;
	return key_wrap(pk, alg, kid, kid ? strlen(kid) : 0, err, errlen);
}

trust_key *
key_generate(enum key_type t, char *err, size_t errlen)
{
	struct cpk *pk = cpk_generate(t, err, errlen);

	return pk ? key_wrap(pk, JWS_ALG_INVALID, NULL, 0, err, errlen) : NULL;
}

char *
key_generate_pem(enum key_type t, char *err, size_t errlen)
{
	struct cpk *pk = cpk_generate(t, err, errlen);
	char *s;

	if (pk == NULL)
		return NULL;
	s = cpk_private_pem(pk);
	cpk_free(pk);
	if (s == NULL)
		trust_err(err, errlen, "cannot encode private key");
	return s;
}

trust_key *
key_hmac_new(const void *secret, size_t len, const char *kid, char *err,
             size_t errlen)
{
	trust_key *k;

	/* RFC 7518 §3.2: a key at least as long as the hash output. */
	if (len < 32 || len > 1024) {
		trust_err(err, errlen, "HS256 secret must be 32..1024 bytes");
		return NULL;
	}
	if (kid == NULL || kid[0] == '\0' || strlen(kid) >= TOK_KID_MAX) {
		trust_err(err, errlen, "HS256 key needs a kid");
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->secret = malloc(len)) == NULL) {
		free(k);
		trust_err(err, errlen, "out of memory");
		return NULL;
	}
	k->refs = 1;
	k->alg = JWS_HS256;
	memcpy(k->secret, secret, len);
	k->secretlen = len;
	k->kidlen = strlen(kid);
	memcpy(k->kid, kid, k->kidlen + 1);
	return k;
}

trust_key *
key_ref(trust_key *k)
{
	__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	return k;
}

void
key_unref(trust_key *k)
{
	if (k == NULL || __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	cpk_free(k->pk);
	if (k->secret != NULL) {
		trust_wipe(k->secret, k->secretlen);
		free(k->secret);
	}
	free(k);
}

const char *key_kid(const trust_key *k) { return k->kid; }
enum jws_alg key_alg(const trust_key *k) { return k->alg; }
int key_is_private(const trust_key *k) { return k->pk ? cpk_is_private(k->pk) : 1; }
int key_bits(const trust_key *k) { return k->pk ? cpk_bits(k->pk) : (int)k->secretlen * 8; }

int
key_verify(trust_key *k, const void *msg, size_t msglen, const uint8_t *sig,
           size_t siglen)
{
	uint8_t mac[32];

	if (k->alg == JWS_HS256) {
		if (siglen != 32 ||
		    trust_hmac_sha256(k->secret, k->secretlen, msg, msglen, mac) < 0)
			return siglen != 32 ? 0 : -1;
		/* RFC 8725 §3.1 / standards.md step 7: constant time. */
		return trust_memcmp_ct(mac, sig, 32) == 0 ? 1 : 0;
	}
	return cpk_verify(k->pk, msg, msglen, sig, siglen);
}

int
key_sign(const trust_key *k, const void *msg, size_t msglen, uint8_t *sig,
         size_t sigcap, size_t *siglen, char *err, size_t errlen)
{
	if (k->alg == JWS_HS256) {
		if (sigcap < 32 ||
		    trust_hmac_sha256(k->secret, k->secretlen, msg, msglen, sig) < 0) {
			trust_err(err, errlen, "HMAC failed");
			return -1;
		}
		*siglen = 32;
		return 0;
	}
	return cpk_sign(k->pk, msg, msglen, sig, sigcap, siglen, err, errlen);
}

/* ---- JWK ---- */

static const char *const private_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k",
};

/* Decodes a required base64url string member into a fresh buffer. */
static uint8_t *
jwk_bytes(const json_t *jwk, const char *name, size_t *len, char *err,
          size_t errlen)
{
	const json_t *v = json_object_get(jwk, name);
	const char *s;
	size_t sl;
	uint8_t *out;

	if (!json_is_string(v)) {
		trust_err(err, errlen, "JWK member \"%s\" missing or not a string", name);
		return NULL;
	}
	s = json_string_value(v);
	sl = json_string_length(v);
	if (sl > 2048 || (out = malloc(b64url_decoded_max(sl) + 1)) == NULL) {
		trust_err(err, errlen, "JWK member \"%s\" too long", name);
		return NULL;
	}
	if (b64url_decode(s, sl, out, b64url_decoded_max(sl) + 1, len) < 0) {
		trust_err(err, errlen, "JWK member \"%s\" is not base64url", name);
		free(out);
		return NULL;
	}
	return out;
}

static const char *
jwk_str(const json_t *jwk, const char *name)
{
	const json_t *v = json_object_get(jwk, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The members around the key material: "kty" (returned), "use", "alg"
 * (into *alg when present) and "kid" (into *kid, *kidlen when present).
 * Refuses a JWK with private members.  NULL on error. */
static const char *
jwk_meta(const json_t *jwk, enum jws_alg *alg, const char **kid,
         size_t *kidlen, char *err, size_t errlen)
{
	const char *kty, *use, *algs;
	const json_t *jkid;

	if (!json_is_object(jwk)) {
		trust_err(err, errlen, "JWK is not an object");
		return NULL;
	}
	for (size_t i = 0; i < TRUST_ARRAY_LEN(private_members); i++)
		if (json_object_get(jwk, private_members[i]) != NULL) {
			trust_err(err, errlen, "JWK holds private member \"%s\"",
			          private_members[i]);
			return NULL;
		}
	kty = jwk_str(jwk, "kty");
	use = jwk_str(jwk, "use");
	algs = jwk_str(jwk, "alg");
	jkid = json_object_get(jwk, "kid");
	if (kty == NULL) {
		trust_err(err, errlen, "JWK without kty");
		return NULL;
	}
	if (json_object_get(jwk, "use") != NULL && (use == NULL || strcmp(use, "sig") != 0)) {
		trust_err(err, errlen, "JWK use is not \"sig\"");
		return NULL;
	}
	if (json_object_get(jwk, "alg") != NULL) {
		if (algs == NULL ||
		    (*alg = jws_alg_parse(algs, strlen(algs))) == JWS_ALG_INVALID) {
			trust_err(err, errlen, "JWK alg unsupported");
			return NULL;
		}
	}
	if (jkid != NULL) {
		if (!json_is_string(jkid)) {
			trust_err(err, errlen, "JWK kid is not a string");
			return NULL;
		}
		*kid = json_string_value(jkid);
		*kidlen = json_string_length(jkid);
	}
	return kty;
}

/* RSA: "n" and "e" (RFC 7518 §6.3.1). */
static struct cpk *
jwk_rsa(const json_t *jwk, char *err, size_t errlen)
{
	uint8_t *n = NULL, *e = NULL;
	size_t nl = 0, el = 0;
	struct cpk *pk = NULL;

	if ((n = jwk_bytes(jwk, "n", &nl, err, errlen)) != NULL &&
	    (e = jwk_bytes(jwk, "e", &el, err, errlen)) != NULL)
		pk = cpk_from_rsa(n, nl, e, el, err, errlen);
	free(n);
	free(e);
	return pk;
}

/* EC: "crv" P-256 or P-384, "x" and "y" (RFC 7518 §6.2.1). */
static struct cpk *
jwk_ec(const json_t *jwk, char *err, size_t errlen)
{
	const char *crv = jwk_str(jwk, "crv");
	uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	struct cpk *pk = NULL;
	enum cpk_kty curve;

	if (crv != NULL && strcmp(crv, "P-256") == 0) {
		curve = CPK_EC_P256;
	} else if (crv != NULL && strcmp(crv, "P-384") == 0) {
		curve = CPK_EC_P384;
	} else {
		trust_err(err, errlen, "EC curve unsupported");
		return NULL;
	}
	if ((x = jwk_bytes(jwk, "x", &xl, err, errlen)) != NULL &&
	    (y = jwk_bytes(jwk, "y", &yl, err, errlen)) != NULL)
		pk = cpk_from_ec(curve, x, xl, y, yl, err, errlen);
	free(x);
	free(y);
	return pk;
}

/* OKP: "crv" Ed25519 and "x" (RFC 8037 §2). */
static struct cpk *
jwk_okp(const json_t *jwk, char *err, size_t errlen)
{
	const char *crv = jwk_str(jwk, "crv");
	uint8_t *x;
	size_t xl = 0;
	struct cpk *pk;

	if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
		trust_err(err, errlen, "OKP curve unsupported");
		return NULL;
	}
	if ((x = jwk_bytes(jwk, "x", &xl, err, errlen)) == NULL)
		return NULL;
	pk = cpk_from_ed25519(x, xl, err, errlen);
	free(x);
	return pk;
}

trust_key *
key_from_jwk(const json_t *jwk, enum jws_alg dflt, char *err, size_t errlen)
{
	const char *kty, *kid = NULL;
	size_t kidlen = 0;
	enum jws_alg alg = dflt;
	struct cpk *pk;

	if ((kty = jwk_meta(jwk, &alg, &kid, &kidlen, err, errlen)) == NULL)
		return NULL;
	if (strcmp(kty, "RSA") == 0) {
		pk = jwk_rsa(jwk, err, errlen);
	} else if (strcmp(kty, "EC") == 0) {
		pk = jwk_ec(jwk, err, errlen);
	} else if (strcmp(kty, "OKP") == 0) {
		pk = jwk_okp(jwk, err, errlen);
	} else {
		/* "oct" (HS256) keys are never taken from a JWKS: a shared
		 * secret is configured explicitly (key_hmac_new). */
		trust_err(err, errlen, "JWK kty \"%s\" unsupported", kty);
		return NULL;
	}
	if (pk == NULL)
		return NULL;
	return key_wrap(pk, alg, kid, kidlen, err, errlen);
}

/* The RFC 7638 §3.2 canonical member sets, lexicographic, no whitespace. */
static char *
canonical_jwk(const trust_key *k)
{
	char *out = NULL, *a = NULL, *b = NULL;
	uint8_t *n = NULL, *e = NULL, x[66], y[66];
	size_t nl, el, cl, sz;

	if (k->pk == NULL)
		return NULL;
	switch (cpk_kty(k->pk)) {
	case CPK_RSA:
		if (cpk_export_rsa(k->pk, &n, &nl, &e, &el) < 0)
			return NULL;
		a = b64url_encode_alloc(e, el);
		b = b64url_encode_alloc(n, nl);
		free(n);
		free(e);
		if (a && b && (out = malloc(sz = strlen(a) + strlen(b) + 64)) != NULL)
			snprintf(out, sz, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a, b);
		break;
	case CPK_EC_P256:
	case CPK_EC_P384:
		if (cpk_export_ec(k->pk, x, y, &cl) < 0)
			return NULL;
		a = b64url_encode_alloc(x, cl);
		b = b64url_encode_alloc(y, cl);
		if (a && b && (out = malloc(sz = strlen(a) + strlen(b) + 64)) != NULL)
			snprintf(out, sz, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
			         cl == 32 ? "P-256" : "P-384", a, b);
		break;
	case CPK_ED25519:
		if (cpk_export_ed25519(k->pk, x) < 0)
			return NULL;
		a = b64url_encode_alloc(x, 32);
		if (a && (out = malloc(sz = strlen(a) + 64)) != NULL)
			snprintf(out, sz, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", a);
		break;
	default:
		break;
	}
	free(a);
	free(b);
	return out;
}

int
key_thumbprint(const trust_key *k, char out[44])
{
	char *c = canonical_jwk(k);
	uint8_t d[32];

	if (c == NULL)
		return -1;
	trust_sha256(c, strlen(c), d);
	free(c);
	return b64url_encode(d, 32, out, 44) == 43 ? 0 : -1;
}

json_t *
key_to_jwk(const trust_key *k)
{
	char *c = canonical_jwk(k);
	json_t *j;

	if (c == NULL)
		return NULL;
	j = json_loads(c, 0, NULL);
	free(c);
	if (j == NULL)
		return NULL;
	if (json_object_set_new(j, "kid", json_stringn(k->kid, k->kidlen)) < 0 ||
	    json_object_set_new(j, "alg", json_string(jws_alg_name(k->alg))) < 0 ||
	    json_object_set_new(j, "use", json_string("sig")) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

char *
key_public_pem(const trust_key *k)
{
	return k->pk ? cpk_public_pem(k->pk) : NULL;
}

char *
key_private_pem(const trust_key *k)
{
	return k->pk ? cpk_private_pem(k->pk) : NULL;
}

/* ---- TLS server keys ---- */

trust_key *
key_tls_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	struct cpk *pk = cpk_from_pem(pem, len, err, errlen);
	trust_key *k;

	if (pk == NULL)
		return NULL;
	if (!cpk_is_private(pk)) {
		trust_err(err, errlen, "a TLS key must be a private key");
		cpk_free(pk);
		return NULL;
	}
	/* The same floor as for tokens (RFC 8725 §3.5; NIST SP 800-131A). */
	if (cpk_kty(pk) == CPK_RSA && cpk_bits(pk) < 2048) {
		trust_err(err, errlen, "RSA key of %d bits refused (minimum 2048)",
		          cpk_bits(pk));
		cpk_free(pk);
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		trust_err(err, errlen, "out of memory");
		cpk_free(pk);
		return NULL;
	}
	/* alg stays JWS_ALG_INVALID and the cpk unbound: cpk_sign and
	 * cpk_verify refuse an unbound key, so no token path can use it. */
	k->refs = 1;
	k->pk = pk;
	if (key_thumbprint(k, k->kid) == 0)
		k->kidlen = strlen(k->kid);
	return k;
}

enum key_family
key_family(const trust_key *k)
{
	if (k->pk == NULL)
		return KEY_FAMILY_NONE;
	switch (cpk_kty(k->pk)) {
	case CPK_RSA: return KEY_FAMILY_RSA;
	case CPK_EC_P256: case CPK_EC_P384: return KEY_FAMILY_EC;
	case CPK_ED25519: return KEY_FAMILY_ED25519;
	default: return KEY_FAMILY_NONE;
	}
}

int
key_sig_supported(const trust_key *k, enum trust_sig_scheme s)
{
	return k->pk != NULL && k->alg == JWS_ALG_INVALID &&
	       cpk_sig_supported(k->pk, s);
}

static int
tls_sign(const trust_key *k, enum trust_sig_scheme s, int prehashed,
         const void *in, size_t len, uint8_t *sig, size_t sigcap,
         size_t *siglen, char *err, size_t errlen)
{
	/* Only TLS keys: a token-signing key stays bound to its one JWS
	 * algorithm (RFC 8725 §3.1) and never signs anything else. */
	if (k->pk == NULL || k->alg != JWS_ALG_INVALID) {
		trust_err(err, errlen, "not a TLS key");
		return -1;
	}
	return cpk_sign_scheme(k->pk, s, prehashed, in, len, sig, sigcap, siglen,
	                       err, errlen);
}

int
key_sign_raw(const trust_key *k, enum trust_sig_scheme s, const void *data,
             size_t len, uint8_t *sig, size_t sigcap, size_t *siglen,
             char *err, size_t errlen)
{
	if (s == SIG_RSA_PKCS1_RAW) {
		trust_err(err, errlen, "a raw DigestInfo goes through key_sign_digest");
		return -1;
	}
	return tls_sign(k, s, 0, data, len, sig, sigcap, siglen, err, errlen);
}

int
key_sign_digest(const trust_key *k, enum trust_sig_scheme s,
                const void *digest, size_t len, uint8_t *sig, size_t sigcap,
                size_t *siglen, char *err, size_t errlen)
{
	return tls_sign(k, s, 1, digest, len, sig, sigcap, siglen, err, errlen);
}
