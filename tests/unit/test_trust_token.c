/* Unit tests for trust/: access-token validation (item 5), the attack table
 * of issue 2, the verified-token cache (item 6), minting and inspection. */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_trust.h"

#define HDR_RS "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\"}"
#define HDR_ES "{\"alg\":\"ES256\",\"kid\":\"es1\",\"typ\":\"at+jwt\"}"

static trust_key *rs, *es;   /* private signing keys, in the store as rs1/es1 */
static keystore *st;
static tok_validator *v;

static void
setup(void)
{
	char err[200];
	keyset *ks = keyset_new();

	rs = t_key_file("test-rs256.key.pem", JWS_RS256, "rs1");
	es = key_generate(KEY_EC256, err, sizeof(err));
	cr_assert_not_null(es);
	/* Re-bind the generated EC key under a fixed kid. */
	char *pem = key_private_pem(es);
	key_unref(es);
	es = key_from_pem(pem, strlen(pem), JWS_ES256, "es1", err, sizeof(err));
	trust_free_secret(pem);
	keyset_add(ks, rs, NULL, 0);
	keyset_add(ks, es, NULL, 0);
	st = keystore_new();
	keystore_set(st, T_ISS, ks, NULL, 0);
	t_clock_now = T_NOW;
	t_revoked_jti = NULL;
	t_revoked_calls = 0;
	v = t_validator(st, 0, 0);
}

static void
teardown(void)
{
	tok_validator_free(v);
	keystore_free(st);
	key_unref(rs);
	key_unref(es);
}

static enum tok_verdict
check(const char *tok)
{
	struct tok_claims c;
	return tok_validate(v, tok, strlen(tok), &c);
}

/* Signs header + claims (claims with one member changed) with k. */
static enum tok_verdict
signed_case(const trust_key *k, const char *hdr, const char *member, const char *value)
{
	char *cl = t_claims(member, value), *tok = t_sign(k, hdr, cl);
	enum tok_verdict r = check(tok);
	free(cl);
	free(tok);
	return r;
}

#define EXPECT(expr, want) do { enum tok_verdict got_ = (expr); \
	cr_assert_eq(got_, want, "%s: got %s, want %s", #expr, \
	             tok_verdict_name(got_), tok_verdict_name(want)); } while (0)

TestSuite(token, .init = setup, .fini = teardown);

Test(token, valid_rs256_and_es256_with_claims)
{
	struct tok_claims c;
	char *cl = t_claims(NULL, NULL), *tok = t_sign(rs, HDR_RS, cl);

	cr_assert_eq(tok_validate(v, tok, strlen(tok), &c), TOK_OK);
	cr_assert_str_eq(c.iss, T_ISS);
	cr_assert_str_eq(c.sub, "alice");
	cr_assert_str_eq(c.dev, "SEP001122334455");
	cr_assert_str_eq(c.client_id, "phone-app");
	cr_assert_str_eq(c.scope, "config sip-register");
	cr_assert_str_eq(c.jti, "jti-1");
	cr_assert_str_eq(c.kid, "rs1");
	cr_assert_eq(c.exp, T_NOW + 3600);
	cr_assert_eq(c.iat, T_NOW - 10);
	cr_assert_eq(c.nbf, T_NOW - 10);
	free(tok);
	free(cl);
	EXPECT(signed_case(es, HDR_ES, NULL, NULL), TOK_OK);
}

/* ---- the attack table ---- */

Test(token, alg_none_any_case)
{
	static const char *const algs[] = { "none", "None", "NONE", "nOnE" };
	char hdr[128], *cl = t_claims(NULL, NULL);
	char *hb, *pb, tok[4096];

	pb = b64url_encode_alloc(cl, strlen(cl));
	for (size_t i = 0; i < 4; i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"rs1\",\"typ\":\"at+jwt\"}", algs[i]);
		hb = b64url_encode_alloc(hdr, strlen(hdr));
		snprintf(tok, sizeof(tok), "%s.%s.", hb, pb);
		EXPECT(check(tok), TOK_ALG_NOT_ALLOWED);
		/* ... and with a signature stuck on from a real token. */
		snprintf(tok, sizeof(tok), "%s.%s.AAAA", hb, pb);
		EXPECT(check(tok), TOK_ALG_NOT_ALLOWED);
		free(hb);
	}
	/* Even a validator that "allows everything" has no way to say none. */
	cr_assert_eq(jws_alg_parse("none", 4), JWS_ALG_INVALID);
	free(pb);
	free(cl);
}

/* A standard-base64 PEM body decoded with our own strict decoder. */
static size_t
pem_body_der(const char *pem, uint8_t *out, size_t outsz)
{
	char b[4096];
	size_t n = 0, dl;
	const char *p = strchr(pem, '\n') + 1, *end = strstr(pem, "-----END");

	for (; p < end; p++) {
		if (*p == '\n' || *p == '=')
			continue;
		b[n++] = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	}
	cr_assert_eq(b64url_decode(b, n, out, outsz, &dl), 0);
	return dl;
}

Test(token, hs256_with_rsa_public_key_as_secret)
{
	char *pub = key_public_pem(rs), *cl = t_claims(NULL, NULL);
	uint8_t der[1024];
	size_t derlen = pem_body_der(pub, der, sizeof(der));
	const char *hdr = "{\"alg\":\"HS256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\"}";
	char err[200];

	/* The forger HMACs with the public key, as PEM text and as DER. */
	trust_key *f1 = key_hmac_new(pub, strlen(pub), "rs1", err, sizeof(err));
	trust_key *f2 = key_hmac_new(der, derlen, "rs1", err, sizeof(err));
	cr_assert_not_null(f1);
	cr_assert_not_null(f2);
	char *t1 = t_sign(f1, hdr, cl), *t2 = t_sign(f2, hdr, cl);

	EXPECT(check(t1), TOK_ALG_NOT_ALLOWED);
	EXPECT(check(t2), TOK_ALG_NOT_ALLOWED);
	/* Allowing HS256 does not help: rs1 is bound to RS256. */
	tok_validator *v2 = t_validator(st, JWS_ALGS_DEFAULT | JWS_ALG_BIT(JWS_HS256), 0);
	struct tok_claims c;
	EXPECT(tok_validate(v2, t1, strlen(t1), &c), TOK_ALG_NOT_ALLOWED);
	EXPECT(tok_validate(v2, t2, strlen(t2), &c), TOK_ALG_NOT_ALLOWED);
	tok_validator_free(v2);
	free(t1);
	free(t2);
	key_unref(f1);
	key_unref(f2);
	free(pub);
	free(cl);
}

Test(token, hs256_only_with_configured_secret)
{
	static const char secret[] = "an explicitly configured 32+ byte shared secret";
	trust_key *h = key_hmac_new(secret, sizeof(secret) - 1, "h1", NULL, 0);
	keystore *s2 = keystore_new();
	keyset *ks = keyset_new();
	keyset_add(ks, h, NULL, 0);
	keystore_set(s2, T_ISS, ks, NULL, 0);
	char *cl = t_claims(NULL, NULL);
	char *tok = t_sign(h, "{\"alg\":\"HS256\",\"kid\":\"h1\",\"typ\":\"at+jwt\"}", cl);
	struct tok_claims c;

	tok_validator *def = t_validator(s2, 0, 0);
	EXPECT(tok_validate(def, tok, strlen(tok), &c), TOK_ALG_NOT_ALLOWED);
	tok_validator *hs = t_validator(s2, JWS_ALG_BIT(JWS_HS256), 0);
	EXPECT(tok_validate(hs, tok, strlen(tok), &c), TOK_OK);
	tok[strlen(tok) - 2] ^= 1;
	EXPECT(tok_validate(hs, tok, strlen(tok), &c), TOK_BAD_SIGNATURE);
	tok_validator_free(def);
	tok_validator_free(hs);
	keystore_free(s2);
	key_unref(h);
	free(tok);
	free(cl);
}

Test(token, kid_unknown_missing_or_hostile)
{
	static const char *const kids[] = {
		"\"nope\"", "\"../../../../etc/passwd\"", "\"rs1' OR '1'='1\"",
		"\"/dev/null\"", "\"rs1;DROP TABLE keys\"", "7", "null",
		"[\"rs1\"]",
	};
	char hdr[256];

	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":%s,\"typ\":\"at+jwt\"}", kids[i]);
		EXPECT(signed_case(rs, hdr, NULL, NULL), TOK_UNKNOWN_KEY);
	}
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"typ\":\"at+jwt\"}", NULL, NULL), TOK_UNKNOWN_KEY);
	/* jansson refuses NUL inside names: the header is malformed. */
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\\u0000\",\"typ\":\"at+jwt\"}",
	                   NULL, NULL), TOK_MALFORMED);
	/* A kid of the other key with this key's alg: binding refuses. */
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"es1\",\"typ\":\"at+jwt\"}", NULL, NULL),
	       TOK_ALG_NOT_ALLOWED);
}

Test(token, alg_outside_allowlist)
{
	tok_validator *only_es = t_validator(st, JWS_ALG_BIT(JWS_ES256), 0);
	char *cl = t_claims(NULL, NULL), *tok = t_sign(rs, HDR_RS, cl);
	struct tok_claims c;

	EXPECT(tok_validate(only_es, tok, strlen(tok), &c), TOK_ALG_NOT_ALLOWED);
	EXPECT(signed_case(rs, "{\"alg\":\"RS1\",\"kid\":\"rs1\",\"typ\":\"at+jwt\"}", NULL, NULL),
	       TOK_ALG_NOT_ALLOWED);
	EXPECT(signed_case(rs, "{\"alg\":\"rs256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\"}", NULL, NULL),
	       TOK_ALG_NOT_ALLOWED);
	tok_validator_free(only_es);
	free(tok);
	free(cl);
}

Test(token, truncated_and_stripped_signature)
{
	char *cl = t_claims(NULL, NULL), *tok = t_sign(rs, HDR_RS, cl);
	char *sig = strrchr(tok, '.') + 1;

	/* Cut to a whole number of base64 quads so decoding succeeds and the
	 * signature is simply short (RSA 256 -> 255 bytes). */
	sig[(strlen(sig) - 1) / 4 * 4] = '\0';
	EXPECT(check(tok), TOK_BAD_SIGNATURE);
	sig[0] = '\0';
	EXPECT(check(tok), TOK_BAD_SIGNATURE);
	free(tok);
	tok = t_sign(es, HDR_ES, cl);
	sig = strrchr(tok, '.') + 1;
	sig[(strlen(sig) - 1) / 4 * 4] = '\0';   /* 64 -> 63 bytes */
	EXPECT(check(tok), TOK_BAD_SIGNATURE);
	free(tok);
	free(cl);
}

static char *
splice(const char *tok, int seg, const char *insert, int at_end)
{
	/* Inserts text at the start or end of segment seg (0..2). */
	const char *p = tok;
	for (int i = 0; i < seg; i++)
		p = strchr(p, '.') + 1;
	if (at_end) {
		const char *e = strchr(p, '.');
		p = e ? e : p + strlen(p);
	}
	size_t off = (size_t)(p - tok);
	char *out = malloc(strlen(tok) + strlen(insert) + 1);
	snprintf(out, strlen(tok) + strlen(insert) + 1, "%.*s%s%s", (int)off, tok, insert,
	         tok + off);
	return out;
}

Test(token, padded_and_noncanonical_base64url)
{
	/* Header of a length that leaves trailing bits (len % 3 != 0). */
	const char *hdr = "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\" }";
	char *cl = t_claims(NULL, NULL), *tok = t_sign(rs, hdr, cl);
	static const char *const ins[] = { "=", "==", " ", "\n", "+", "/" };

	cr_assert_neq(strlen(hdr) % 3, 0);
	EXPECT(check(tok), TOK_OK);
	for (int seg = 0; seg < 3; seg++)
		for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
			char *m = splice(tok, seg, ins[i], 1);
			EXPECT(check(m), TOK_MALFORMED);
			free(m);
		}
	/* Non-zero trailing bits in the last header character. */
	char *m = strdup(tok);
	char *last = strchr(m, '.') - 1;
	const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t val = (size_t)(strchr(alpha, *last) - alpha);
	*last = alpha[val | 1];
	cr_assert_neq(*last, *(strchr(tok, '.') - 1));
	EXPECT(check(m), TOK_MALFORMED);
	free(m);
	/* Segment counts. */
	m = splice(tok, 2, ".", 1);
	EXPECT(check(m), TOK_MALFORMED);
	free(m);
	*strrchr(tok, '.') = '\0';
	EXPECT(check(tok), TOK_MALFORMED);
	EXPECT(check(""), TOK_MALFORMED);
	EXPECT(check(".."), TOK_MALFORMED);
	free(tok);
	free(cl);
}

Test(token, duplicate_json_members)
{
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\"}",
	                   NULL, NULL), TOK_MALFORMED);
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"kid\":\"es1\",\"typ\":\"at+jwt\"}",
	                   NULL, NULL), TOK_MALFORMED);
	char *cl = t_claims(NULL, NULL);
	/* Append a second "sub" to the claims object. */
	cl[strlen(cl) - 1] = '\0';
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s,\"sub\":\"bob\"}", cl);
	char *tok = t_sign(rs, HDR_RS, buf);
	EXPECT(check(tok), TOK_MALFORMED);
	free(tok);
	/* Duplicates spelled with escapes (the fast reader declines these and
	 * jansson must catch them). */
	snprintf(buf, sizeof(buf), "%s,\"s\\u0075b\":\"bob\"}", cl);
	tok = t_sign(rs, HDR_RS, buf);
	EXPECT(check(tok), TOK_MALFORMED);
	free(tok);
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\",\"\\u0061lg\":\"none\"}",
	                   NULL, NULL), TOK_MALFORMED);
	/* Escapes that are not duplicates are fine (jansson path). */
	snprintf(buf, sizeof(buf), "%s,\"note\":\"caf\\u00e9\"}", cl);
	tok = t_sign(rs, HDR_RS, buf);
	EXPECT(check(tok), TOK_OK);
	free(tok);
	free(cl);
}

Test(token, header_and_claims_must_be_objects)
{
	char *tok = t_sign(rs, "[\"RS256\"]", "{}");
	EXPECT(check(tok), TOK_MALFORMED);
	free(tok);
	tok = t_sign(rs, HDR_RS, "[1,2]");
	EXPECT(check(tok), TOK_MALFORMED);
	free(tok);
	tok = t_sign(rs, HDR_RS, "{\"sub\":");
	EXPECT(check(tok), TOK_MALFORMED);
	free(tok);
}

Test(token, crit_present)
{
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\",\"crit\":[\"exp\"],\"exp\":1}",
	                   NULL, NULL), TOK_CRIT_UNSUPPORTED);
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\",\"crit\":[]}",
	                   NULL, NULL), TOK_CRIT_UNSUPPORTED);
}

Test(token, embedded_jwk_jku_x5u_ignored)
{
	char err[200], hdr[1024];
	trust_key *att = key_generate(KEY_EC256, err, sizeof(err));
	json_t *jwk = key_to_jwk(att);
	char *js = json_dumps(jwk, JSON_COMPACT);

	/* The attacker signs with its own key and ships it in the header. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"jwk\":%s,\"typ\":\"at+jwt\"}", js);
	EXPECT(signed_case(att, hdr, NULL, NULL), TOK_UNKNOWN_KEY);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\",\"jwk\":%s,\"typ\":\"at+jwt\"}",
	         key_kid(att), js);
	EXPECT(signed_case(att, hdr, NULL, NULL), TOK_UNKNOWN_KEY);
	/* ... or names our kid: the signature does not match es1. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"es1\",\"jwk\":%s,\"typ\":\"at+jwt\"}", js);
	EXPECT(signed_case(att, hdr, NULL, NULL), TOK_BAD_SIGNATURE);
	EXPECT(signed_case(att, "{\"alg\":\"ES256\",\"jku\":\"https://evil.example/jwks\",\"typ\":\"at+jwt\"}",
	                   NULL, NULL), TOK_UNKNOWN_KEY);
	EXPECT(signed_case(att, "{\"alg\":\"ES256\",\"kid\":\"es1\",\"x5u\":\"https://evil.example/c.pem\",\"typ\":\"at+jwt\"}",
	                   NULL, NULL), TOK_BAD_SIGNATURE);
	/* Our own key with such members is still fine: they are just unused. */
	EXPECT(signed_case(es, "{\"alg\":\"ES256\",\"kid\":\"es1\",\"jku\":\"https://evil.example/\",\"typ\":\"at+jwt\"}",
	                   NULL, NULL), TOK_OK);
	free(js);
	json_decref(jwk);
	key_unref(att);
}

Test(token, typ)
{
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"JWT\"}", NULL, NULL), TOK_WRONG_TYPE);
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\"}", NULL, NULL), TOK_WRONG_TYPE);
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":7}", NULL, NULL), TOK_WRONG_TYPE);
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"at+jwtx\"}", NULL, NULL), TOK_WRONG_TYPE);
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"application/at+jwt\"}", NULL, NULL), TOK_OK);
	EXPECT(signed_case(rs, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"AT+JWT\"}", NULL, NULL), TOK_OK);
}

Test(token, iss_and_aud)
{
	EXPECT(signed_case(rs, HDR_RS, "iss", "\"https://evil.test\""), TOK_WRONG_ISSUER);
	EXPECT(signed_case(rs, HDR_RS, "iss", "\"https://oprov.test/\""), TOK_WRONG_ISSUER);
	EXPECT(signed_case(rs, HDR_RS, "aud", NULL), TOK_MISSING_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "aud", "\"someone-else\""), TOK_WRONG_AUDIENCE);
	EXPECT(signed_case(rs, HDR_RS, "aud", "[\"a\",\"b\"]"), TOK_WRONG_AUDIENCE);
	EXPECT(signed_case(rs, HDR_RS, "aud", "[]"), TOK_WRONG_AUDIENCE);
	EXPECT(signed_case(rs, HDR_RS, "aud", "7"), TOK_WRONG_AUDIENCE);
	EXPECT(signed_case(rs, HDR_RS, "aud", "[\"a\",\"" T_AUD "\"]"), TOK_OK);
}

Test(token, external_issuer_key_belongs_to_it)
{
	char err[200];
	trust_key *idp = key_generate(KEY_ED25519, err, sizeof(err));
	keyset *ks = keyset_new();
	keyset_add(ks, idp, NULL, 0);
	keystore_set(st, "https://idp.test", ks, NULL, 0);
	const char *more[] = { "https://idp.test" };
	struct tok_config cfg = { .issuer = T_ISS, .audience = T_AUD, .skew = -1,
	                          .clock = t_clock, .more_issuers = more, .n_more_issuers = 1 };
	tok_validator *mv = tok_validator_new(&cfg, st, err, sizeof(err));
	struct tok_claims c;
	char hdr[256];

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}", key_kid(idp));
	char *cl = t_claims("iss", "\"https://idp.test\""), *tok = t_sign(idp, hdr, cl);
	EXPECT(tok_validate(mv, tok, strlen(tok), &c), TOK_OK);
	cr_assert_str_eq(c.iss, "https://idp.test");
	EXPECT(check(tok), TOK_UNKNOWN_KEY);   /* single-issuer validator */
	free(tok);
	free(cl);
	/* The IdP's key cannot mint tokens claiming to be us. */
	cl = t_claims(NULL, NULL);
	tok = t_sign(idp, hdr, cl);
	EXPECT(tok_validate(mv, tok, strlen(tok), &c), TOK_WRONG_ISSUER);
	free(tok);
	free(cl);
	tok_validator_free(mv);
	key_unref(idp);
}

Test(token, exp_nbf_iat_and_exact_skew)
{
	char val[64];
	/* exp: valid while now < exp + skew. */
	EXPECT(signed_case(rs, HDR_RS, "exp", NULL), TOK_MISSING_CLAIM);
	snprintf(val, sizeof(val), "%lld", T_NOW - 60);
	EXPECT(signed_case(rs, HDR_RS, "exp", val), TOK_EXPIRED);
	snprintf(val, sizeof(val), "%lld", T_NOW - 59);
	EXPECT(signed_case(rs, HDR_RS, "exp", val), TOK_OK);
	snprintf(val, sizeof(val), "%lld", T_NOW - 100000);
	EXPECT(signed_case(rs, HDR_RS, "exp", val), TOK_EXPIRED);
	/* nbf and iat may be up to skew ahead, not one second more. */
	snprintf(val, sizeof(val), "%lld", T_NOW + 60);
	EXPECT(signed_case(rs, HDR_RS, "nbf", val), TOK_OK);
	EXPECT(signed_case(rs, HDR_RS, "iat", val), TOK_OK);
	snprintf(val, sizeof(val), "%lld", T_NOW + 61);
	EXPECT(signed_case(rs, HDR_RS, "nbf", val), TOK_NOT_YET_VALID);
	EXPECT(signed_case(rs, HDR_RS, "iat", val), TOK_NOT_YET_VALID);
	EXPECT(signed_case(rs, HDR_RS, "nbf", NULL), TOK_OK);
	EXPECT(signed_case(rs, HDR_RS, "iat", NULL), TOK_MISSING_CLAIM);
}

Test(token, skew_configurable_and_capped)
{
	struct tok_config cfg = { .issuer = T_ISS, .audience = T_AUD, .skew = 0, .clock = t_clock };
	tok_validator *z = tok_validator_new(&cfg, st, NULL, 0);
	char val[64], *cl, *tok;
	struct tok_claims c;

	snprintf(val, sizeof(val), "%lld", T_NOW + 1);
	cl = t_claims("nbf", val);
	tok = t_sign(rs, HDR_RS, cl);
	EXPECT(tok_validate(z, tok, strlen(tok), &c), TOK_NOT_YET_VALID);
	EXPECT(check(tok), TOK_OK);
	cfg.skew = 61;
	cr_assert_null(tok_validator_new(&cfg, st, NULL, 0), "skew over 60 accepted");
	tok_validator_free(z);
	free(tok);
	free(cl);
}

Test(token, lifetime_over_maximum)
{
	char val[64];
	/* Default maximum 86400 s between iat and exp. */
	snprintf(val, sizeof(val), "%lld", T_NOW - 10 + 86400);
	EXPECT(signed_case(rs, HDR_RS, "exp", val), TOK_OK);
	snprintf(val, sizeof(val), "%lld", T_NOW - 10 + 86401);
	EXPECT(signed_case(rs, HDR_RS, "exp", val), TOK_LIFETIME_TOO_LONG);
	struct tok_config cfg = { .issuer = T_ISS, .audience = T_AUD, .skew = -1,
	                          .max_lifetime = 3600, .clock = t_clock };
	tok_validator *s = tok_validator_new(&cfg, st, NULL, 0);
	char *cl = t_claims(NULL, NULL), *tok = t_sign(rs, HDR_RS, cl);
	struct tok_claims c;
	EXPECT(tok_validate(s, tok, strlen(tok), &c), TOK_LIFETIME_TOO_LONG);  /* 3610 s */
	tok_validator_free(s);
	free(tok);
	free(cl);
}

Test(token, fractional_and_huge_numericdates)
{
	struct tok_claims c;
	char val[64], *cl, *tok;

	/* Fractions are allowed (RFC 7519 §2) and rounded towards "less valid". */
	snprintf(val, sizeof(val), "%lld.75", T_NOW + 100);
	cl = t_claims("exp", val);
	tok = t_sign(rs, HDR_RS, cl);
	cr_assert_eq(tok_validate(v, tok, strlen(tok), &c), TOK_OK);
	cr_assert_eq(c.exp, T_NOW + 100);
	free(tok);
	free(cl);
	snprintf(val, sizeof(val), "%lld.5", T_NOW - 60);
	EXPECT(signed_case(rs, HDR_RS, "exp", val), TOK_EXPIRED);
	snprintf(val, sizeof(val), "%lld.25", T_NOW + 60);
	EXPECT(signed_case(rs, HDR_RS, "iat", val), TOK_NOT_YET_VALID);
	EXPECT(signed_case(rs, HDR_RS, "nbf", val), TOK_NOT_YET_VALID);
	snprintf(val, sizeof(val), "%lld.0", T_NOW + 60);
	EXPECT(signed_case(rs, HDR_RS, "nbf", val), TOK_OK);
	/* Huge, negative, exponent and non-numeric values never wrap. */
	EXPECT(signed_case(rs, HDR_RS, "exp", "1e300"), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "exp", "253402300800"), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "exp", "9223372036854775807"), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "exp", "99999999999999999999999"), TOK_MALFORMED);
	EXPECT(signed_case(rs, HDR_RS, "exp", "-1"), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "iat", "-9223372036854775808"), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "nbf", "1e308"), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "exp", "\"1700003600\""), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "exp", "true"), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "iat", "0"), TOK_LIFETIME_TOO_LONG);
}

Test(token, required_and_typed_claims)
{
	static const char *const req[] = { "iss", "exp", "aud", "sub", "client_id", "iat", "jti" };
	char big[400];

	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		EXPECT(signed_case(rs, HDR_RS, req[i], NULL), TOK_MISSING_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "scope", NULL), TOK_OK);
	EXPECT(signed_case(rs, HDR_RS, "dev", NULL), TOK_OK);
	EXPECT(signed_case(rs, HDR_RS, "sub", "7"), TOK_INVALID_CLAIM);
	/* Found by fuzz_token: empty required strings. */
	EXPECT(signed_case(rs, HDR_RS, "jti", "\"\""), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "sub", "\"\""), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "client_id", "\"\""), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "scope", "[\"config\"]"), TOK_INVALID_CLAIM);
	EXPECT(signed_case(rs, HDR_RS, "dev", "\"SEP\\u0000\""), TOK_MALFORMED);
	memset(big, 'a', sizeof(big));
	big[0] = '"';
	big[300] = '"';
	big[301] = '\0';
	EXPECT(signed_case(rs, HDR_RS, "sub", big), TOK_INVALID_CLAIM);
}

Test(token, size_limits)
{
	size_t n = 100 * 1024;
	char *big = malloc(n + 1);
	struct tok_claims c;

	memset(big, 'A', n);
	big[n] = '\0';
	memcpy(big, "eyJh.", 5);
	EXPECT(tok_validate(v, big, n, &c), TOK_TOO_LARGE);
	struct tok_config cfg = { .issuer = T_ISS, .audience = T_AUD, .skew = -1,
	                          .max_size = 1 << 30, .clock = t_clock };
	tok_validator *wide = tok_validator_new(&cfg, st, NULL, 0);
	EXPECT(tok_validate(wide, big, n, &c), TOK_TOO_LARGE);
	tok_validator_free(wide);
	/* A real signed token with a 9000-byte claim is over the 8 KiB cap. */
	char *pad = malloc(9100);
	memset(pad, 'x', 9000);
	pad[0] = '"';
	pad[8999] = '"';
	pad[9000] = '\0';
	EXPECT(signed_case(rs, HDR_RS, "extra", pad), TOK_TOO_LARGE);
	free(pad);
	/* A header over its own cap. */
	char *hdr = malloc(2048);
	snprintf(hdr, 2048, "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"at+jwt\",\"x\":\"%01200d\"}", 0);
	EXPECT(signed_case(rs, hdr, NULL, NULL), TOK_TOO_LARGE);
	free(hdr);
	free(big);
}

Test(token, revoked_jti_every_use)
{
	char *cl = t_claims(NULL, NULL), *tok = t_sign(rs, HDR_RS, cl);

	EXPECT(check(tok), TOK_OK);
	t_revoked_jti = "jti-1";
	EXPECT(check(tok), TOK_REVOKED);   /* cached, still consulted */
	tok_cache_flush(v);
	EXPECT(check(tok), TOK_REVOKED);   /* uncached */
	cr_assert_eq(t_revoked_calls, 3);
	t_revoked_jti = "other";
	EXPECT(check(tok), TOK_OK);
	free(tok);
	free(cl);
}

/* ---- item 6: cache ---- */

Test(token, cache_hit_returns_same_claims)
{
	char *cl = t_claims(NULL, NULL), *tok = t_sign(es, HDR_ES, cl);
	struct tok_claims a, b;
	struct tok_cache_stats s;

	cr_assert_eq(tok_validate(v, tok, strlen(tok), &a), TOK_OK);
	cr_assert_eq(tok_validate(v, tok, strlen(tok), &b), TOK_OK);
	tok_cache_stats(v, &s);
	cr_assert_eq(s.hits, 1);
	cr_assert_eq(s.inserts, 1);
	cr_assert_eq(s.entries, 1);
	cr_assert_str_eq(a.sub, b.sub);
	cr_assert_str_eq(a.dev, b.dev);
	cr_assert_str_eq(a.scope, b.scope);
	cr_assert_str_eq(a.jti, b.jti);
	cr_assert_str_eq(a.kid, b.kid);
	cr_assert_str_eq(a.iss, b.iss);
	cr_assert_str_eq(a.client_id, b.client_id);
	cr_assert_eq(a.exp, b.exp);
	cr_assert_eq(a.iat, b.iat);
	cr_assert_eq(a.alg, b.alg);
	/* A different token with one byte changed is a miss and fails. */
	tok[strlen(tok) - 5] ^= 1;
	cr_assert_neq(tok_validate(v, tok, strlen(tok), &b), TOK_OK);
	free(tok);
	free(cl);
}

Test(token, cache_entry_dies_at_exp)
{
	char val[64], *cl, *tok;
	struct tok_cache_stats s;

	snprintf(val, sizeof(val), "%lld", T_NOW + 100);
	cl = t_claims("exp", val);
	tok = t_sign(rs, HDR_RS, cl);
	EXPECT(check(tok), TOK_OK);
	t_clock_now = T_NOW + 100 + 59;
	EXPECT(check(tok), TOK_OK);          /* within skew, from cache */
	t_clock_now = T_NOW + 100 + 60;
	EXPECT(check(tok), TOK_EXPIRED);     /* from cache, removed */
	tok_cache_stats(v, &s);
	cr_assert_eq(s.entries, 0);
	EXPECT(check(tok), TOK_EXPIRED);     /* uncached path agrees */
	free(tok);
	free(cl);
}

Test(token, cache_is_bounded)
{
	tok_validator *small = t_validator(st, 0, 32);
	struct tok_cache_stats s;
	struct tok_claims c;
	char jti[32];

	for (int i = 0; i < 200; i++) {
		snprintf(jti, sizeof(jti), "\"j%d\"", i);
		char *cl = t_claims("jti", jti), *tok = t_sign(es, HDR_ES, cl);
		cr_assert_eq(tok_validate(small, tok, strlen(tok), &c), TOK_OK);
		free(tok);
		free(cl);
	}
	tok_cache_stats(small, &s);
	cr_assert_leq(s.entries, s.capacity);
	cr_assert_leq(s.capacity, 32 + 16);
	cr_assert_gt(s.evictions, 0);
	cr_assert_eq(s.inserts, 200);
	tok_validator_free(small);
}

Test(token, cache_rechecks_after_key_rotation)
{
	char *cl = t_claims(NULL, NULL), *tok = t_sign(es, HDR_ES, cl);
	keyset *only_rs = keyset_new();

	EXPECT(check(tok), TOK_OK);
	keyset_add(only_rs, rs, NULL, 0);
	keystore_set(st, T_ISS, only_rs, NULL, 0);
	EXPECT(check(tok), TOK_UNKNOWN_KEY);
	free(tok);
	free(cl);
}

Test(token, cache_disabled)
{
	tok_validator *nc = t_validator(st, 0, SIZE_MAX);
	char *cl = t_claims(NULL, NULL), *tok = t_sign(es, HDR_ES, cl);
	struct tok_claims c;
	struct tok_cache_stats s;

	EXPECT(tok_validate(nc, tok, strlen(tok), &c), TOK_OK);
	EXPECT(tok_validate(nc, tok, strlen(tok), &c), TOK_OK);
	tok_cache_stats(nc, &s);
	cr_assert_eq(s.hits, 0);
	tok_validator_free(nc);
	free(tok);
	free(cl);
}

struct par { const char *toks[8]; int bad; };

static void *
par_worker(void *arg)
{
	struct par *p = arg;
	struct tok_claims c;

	for (int i = 0; i < 20000; i++)
		if (tok_validate(v, p->toks[i % 8], strlen(p->toks[i % 8]), &c) != TOK_OK ||
		    strcmp(c.sub, "alice") != 0)
			__atomic_add_fetch(&p->bad, 1, __ATOMIC_RELAXED);
	return NULL;
}

Test(token, cache_is_thread_safe)
{
	struct par p = { .bad = 0 };
	pthread_t th[4];
	char jti[16];

	for (int i = 0; i < 8; i++) {
		snprintf(jti, sizeof(jti), "\"p%d\"", i);
		char *cl = t_claims("jti", jti);
		p.toks[i] = t_sign(es, HDR_ES, cl);
		free(cl);
	}
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, par_worker, &p);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(p.bad, 0);
	for (int i = 0; i < 8; i++)
		free((char *)p.toks[i]);
}

/* ---- minting and inspection ---- */

Test(token, mint_validates_for_each_signing_alg)
{
	char err[200];
	enum key_type types[] = { KEY_RSA2048, KEY_EC256, KEY_ED25519 };

	for (int i = 0; i < 3; i++) {
		trust_key *k = key_generate(types[i], err, sizeof(err));
		keyset *ks = keyset_new();
		keyset_add(ks, k, NULL, 0);
		keyset_add(ks, rs, NULL, 0);
		keystore_set(st, T_ISS, ks, NULL, 0);
		json_t *c = tok_mint_claims(T_ISS, "alice", T_AUD, "SEP0A0B0C0D0E0F", "app",
		                            SCOPE_CONFIG, T_NOW, 3600);
		char *tok = tok_mint(k, c, err, sizeof(err));
		cr_assert_not_null(tok, "%s", err);
		struct tok_claims cl;
		EXPECT(tok_validate(v, tok, strlen(tok), &cl), TOK_OK);
		cr_assert_str_eq(cl.dev, "SEP0A0B0C0D0E0F");
		cr_assert_str_eq(cl.scope, SCOPE_CONFIG);
		cr_assert_eq(strlen(cl.jti), 22);
		cr_assert_eq(cl.exp - cl.iat, 3600);
		json_t *h, *p;
		cr_assert_eq(tok_inspect(tok, strlen(tok), &h, &p, err, sizeof(err)), 0);
		cr_assert_str_eq(json_string_value(json_object_get(h, "typ")), "at+jwt");
		cr_assert_str_eq(json_string_value(json_object_get(h, "kid")), key_kid(k));
		cr_assert_str_eq(json_string_value(json_object_get(p, "sub")), "alice");
		json_decref(h);
		json_decref(p);
		free(tok);
		json_decref(c);
		key_unref(k);
	}
	/* A public key cannot sign; PS256 is not one of our signing algs. */
	char *pub = key_public_pem(rs);
	trust_key *pk = key_from_pem(pub, strlen(pub), JWS_RS256, "p", NULL, 0);
	cr_assert_null(jws_sign(pk, "at+jwt", "{}", 2, err, sizeof(err)));
	key_unref(pk);
	free(pub);
}

Test(token, inspect_is_unverified_and_bounded)
{
	json_t *h, *c;
	char err[200];
	const char *forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.";

	cr_assert_eq(tok_inspect(forged, strlen(forged), &h, &c, err, sizeof(err)), 0);
	cr_assert_str_eq(json_string_value(json_object_get(h, "alg")), "none");
	cr_assert_str_eq(json_string_value(json_object_get(c, "sub")), "mallory");
	json_decref(h);
	json_decref(c);
	cr_assert_eq(tok_inspect("abc", 3, &h, &c, err, sizeof(err)), -1);
	cr_assert_eq(tok_inspect("e30=.e30.", 9, &h, &c, err, sizeof(err)), -1);
	cr_assert_eq(tok_inspect("W10.e30.", 8, &h, &c, err, sizeof(err)), -1);
	/* Payload that is not JSON: header still shown, claims NULL. */
	cr_assert_eq(tok_inspect("e30.YWJj.", 9, &h, &c, err, sizeof(err)), 0);
	cr_assert_null(c);
	json_decref(h);
}

Test(token, verdict_names_distinct)
{
	for (int a = 0; a < TOK_VERDICT_COUNT; a++) {
		cr_assert_str_neq(tok_verdict_name((enum tok_verdict)a), "?");
		for (int b = a + 1; b < TOK_VERDICT_COUNT; b++)
			cr_assert_str_neq(tok_verdict_name((enum tok_verdict)a),
			                  tok_verdict_name((enum tok_verdict)b));
	}
	cr_assert_str_eq(tok_verdict_name(TOK_BAD_SIGNATURE), "bad_signature");
}
