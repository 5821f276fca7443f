/* Unit tests for trust/: keys (item 3), key store (item 4), JWS verify/sign
 * with the published vectors and openssl-made tokens (item 2). */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/test_trust.h"

/* ---- item 2: published vectors ---- */

static void
every_byte_altered_fails(const trust_key *k, const char *tok)
{
	size_t len = strlen(tok);
	char *m = strdup(tok);
	static const char subst[] = "AB_-.=";

	for (size_t i = 0; i < len; i++) {
		for (size_t s = 0; s < 2; s++) {
			char c = subst[s] == tok[i] ? subst[s + 2] : subst[s];
			m[i] = c;
			cr_assert_neq(jws_verify_compact(k, m, len, NULL, NULL), TOK_OK,
			              "altered byte %zu ('%c'->'%c') still verifies", i, tok[i], c);
		}
		m[i] = tok[i];
	}
	/* Sanity: the unaltered copy verifies. */
	cr_assert_eq(jws_verify_compact(k, m, len, NULL, NULL), TOK_OK);
	free(m);
}

static void
vector(const char *jwk, const char *jws, enum jws_alg alg, const char *payload_has)
{
	trust_key *k = t_key_file(jwk, JWS_ALG_INVALID, NULL);
	size_t len, plen = 0;
	char *tok = t_data(jws, &len), *payload = NULL;

	cr_assert_eq(key_alg(k), alg);
	cr_assert_eq(jws_verify_compact(k, tok, len, &payload, &plen), TOK_OK, "%s", jws);
	cr_assert_not_null(strstr(payload, payload_has));
	cr_assert_eq(strlen(payload), plen);
	free(payload);
	every_byte_altered_fails(k, tok);
	free(tok);
	key_unref(k);
}

Test(vectors, rfc7515_a2_rs256) { vector("rfc7515-a2.jwk", "rfc7515-a2.jws", JWS_RS256, "\"iss\":\"joe\""); }
Test(vectors, rfc7515_a3_es256) { vector("rfc7515-a3.jwk", "rfc7515-a3.jws", JWS_ES256, "http://example.com/is_root"); }
Test(vectors, rfc8037_a4_eddsa) { vector("rfc8037-a.jwk", "rfc8037-a4.jws", JWS_EDDSA, "Example of Ed25519 signing"); }

Test(vectors, rfc8037_a3_thumbprint)
{
	trust_key *k = t_key_file("rfc8037-a.jwk", JWS_ALG_INVALID, NULL);
	char tp[44], *want = t_data("rfc8037-a3.thumbprint", NULL);

	cr_assert_eq(key_thumbprint(k, tp), 0);
	cr_assert_str_eq(tp, want);
	cr_assert_str_eq(key_kid(k), want, "kid defaults to the thumbprint");
	free(want);
	key_unref(k);
}

Test(vectors, key_bound_to_other_alg_refuses_vector)
{
	/* The A.2 RSA key bound to PS256 must not accept an RS256 token. */
	trust_key *k = t_key_file("rfc7515-a2.jwk", JWS_PS256, NULL);
	size_t len;
	char *tok = t_data("rfc7515-a2.jws", &len);

	cr_assert_eq(jws_verify_compact(k, tok, len, NULL, NULL), TOK_ALG_NOT_ALLOWED);
	free(tok);
	key_unref(k);
}

/* ---- item 2: tokens made by the openssl command line ---- */

static const struct { const char *pub, *jwt, *kid; enum jws_alg alg; } ossl[] = {
	{ "ossl-rs256.pub.pem", "ossl-rs256.jwt", "ossl-rs256", JWS_RS256 },
	{ "ossl-rs256.pub.pem", "ossl-rs384.jwt", "ossl-rs384", JWS_RS384 },
	{ "ossl-rs256.pub.pem", "ossl-rs512.jwt", "ossl-rs512", JWS_RS512 },
	{ "ossl-rs256.pub.pem", "ossl-ps256.jwt", "ossl-ps256", JWS_PS256 },
	{ "ossl-es256.pub.pem", "ossl-es256.jwt", "ossl-es256", JWS_ES256 },
	{ "ossl-es384.pub.pem", "ossl-es384.jwt", "ossl-es384", JWS_ES384 },
	{ "ossl-eddsa.pub.pem", "ossl-eddsa.jwt", "ossl-eddsa", JWS_EDDSA },
};

static keystore *
ossl_store(void)
{
	keystore *st = keystore_new();
	keyset *ks = keyset_new();

	for (size_t i = 0; i < sizeof(ossl) / sizeof(ossl[0]); i++) {
		trust_key *k = t_key_file(ossl[i].pub, ossl[i].alg, ossl[i].kid);
		cr_assert_eq(keyset_add(ks, k, NULL, 0), 0);
		key_unref(k);
	}
	cr_assert_eq(keystore_set(st, T_ISS, ks, NULL, 0), 0);
	return st;
}

Test(openssl_tokens, all_algorithms_validate)
{
	keystore *st = ossl_store();
	tok_validator *v = t_validator(st, 0, 0);
	struct tok_claims c;

	t_clock_now = 1700000100;
	for (size_t i = 0; i < sizeof(ossl) / sizeof(ossl[0]); i++) {
		size_t len;
		char *tok = t_data(ossl[i].jwt, &len);
		cr_assert_eq(tok_validate(v, tok, len, &c), TOK_OK, "%s: %s", ossl[i].jwt,
		             tok_verdict_name(tok_validate(v, tok, len, &c)));
		cr_assert_str_eq(c.sub, "SEP001122334455");
		cr_assert_str_eq(c.client_id, "ossl-client");
		cr_assert_str_eq(c.kid, ossl[i].kid);
		cr_assert_eq(c.alg, ossl[i].alg);
		cr_assert_eq(c.exp, 1700003600);
		cr_assert(tok_scope_has(&c, SCOPE_SIP_REGISTER));
		cr_assert(!tok_scope_has(&c, "sip"));
		free(tok);
	}
	tok_validator_free(v);
	keystore_free(st);
}

Test(openssl_tokens, es256_der_signature_refused)
{
	keystore *st = ossl_store();
	tok_validator *v = t_validator(st, 0, 0);
	struct tok_claims c;
	size_t len;
	char *tok = t_data("ossl-es256-der.jwt", &len);

	cr_assert_eq(tok_validate(v, tok, len, &c), TOK_BAD_SIGNATURE);
	free(tok);
	tok_validator_free(v);
	keystore_free(st);
}

/* ---- item 3: keys ---- */

Test(keys, strength_and_binding)
{
	size_t len;
	char err[200], *pem = t_data("rsa1024.pub.pem", &len);

	cr_assert_null(key_from_pem(pem, len, JWS_RS256, "x", err, sizeof(err)));
	cr_assert_not_null(strstr(err, "2048"), "%s", err);
	free(pem);

	pem = t_data("secp256k1.pub.pem", &len);
	cr_assert_null(key_from_pem(pem, len, JWS_ES256, "x", err, sizeof(err)));
	free(pem);

	pem = t_data("test-es384.key.pem", &len);
	cr_assert_null(key_from_pem(pem, len, JWS_ES256, "x", err, sizeof(err)),
	               "P-384 key bound to ES256");
	trust_key *k = key_from_pem(pem, len, JWS_ALG_INVALID, NULL, err, sizeof(err));
	cr_assert_not_null(k, "%s", err);
	cr_assert_eq(key_alg(k), JWS_ES384);
	cr_assert(key_is_private(k));
	key_unref(k);
	free(pem);

	pem = t_data("ossl-es256.pub.pem", &len);
	cr_assert_null(key_from_pem(pem, len, JWS_ES384, "x", err, sizeof(err)));
	cr_assert_null(key_from_pem(pem, len, JWS_RS256, "x", err, sizeof(err)));
	cr_assert_null(key_from_pem(pem, len, JWS_HS256, "x", err, sizeof(err)));
	free(pem);

	pem = t_data("test-rs256.key.pem", &len);
	cr_assert_null(key_from_pem(pem, len, JWS_ES256, "x", err, sizeof(err)));
	cr_assert_null(key_from_pem(pem, len, JWS_EDDSA, "x", err, sizeof(err)));
	k = key_from_pem(pem, len, JWS_ALG_INVALID, "rs", err, sizeof(err));
	cr_assert_eq(key_alg(k), JWS_RS256);
	cr_assert_eq(key_bits(k), 2048);
	key_unref(k);
	free(pem);

	cr_assert_null(key_from_pem("junk", 4, JWS_ALG_INVALID, NULL, err, sizeof(err)));
	cr_assert_null(key_hmac_new("short", 5, "h", err, sizeof(err)));
	cr_assert_null(key_hmac_new("0123456789abcdef0123456789abcdef", 32, NULL, err, sizeof(err)));
}

static void
jwk_roundtrip(trust_key *k, const char *kty)
{
	json_t *j = key_to_jwk(k);
	char tp1[44], tp2[44], err[200] = "";

	cr_assert_not_null(j);
	cr_assert_str_eq(json_string_value(json_object_get(j, "kty")), kty);
	cr_assert_str_eq(json_string_value(json_object_get(j, "use")), "sig");
	cr_assert_str_eq(json_string_value(json_object_get(j, "alg")), jws_alg_name(key_alg(k)));
	cr_assert_str_eq(json_string_value(json_object_get(j, "kid")), key_kid(k));
	cr_assert_null(json_object_get(j, "d"), "private member exported");
	trust_key *k2 = key_from_jwk(j, JWS_ALG_INVALID, err, sizeof(err));
	cr_assert_not_null(k2, "%s", err);
	cr_assert_eq(key_thumbprint(k, tp1), 0);
	cr_assert_eq(key_thumbprint(k2, tp2), 0);
	cr_assert_str_eq(tp1, tp2);
	cr_assert_str_eq(key_kid(k), tp1, "generated kid is the RFC 7638 thumbprint");
	cr_assert(!key_is_private(k2));
	/* A token signed by k verifies with the imported public JWK. */
	char *tok = jws_sign(k, "at+jwt", "{}", 2, err, sizeof(err));
	cr_assert_not_null(tok, "%s", err);
	cr_assert_eq(jws_verify_compact(k2, tok, strlen(tok), NULL, NULL), TOK_OK);
	free(tok);
	key_unref(k2);
	json_decref(j);
}

Test(keys, generate_sign_export_import)
{
	char err[200] = "";
	static const struct { enum key_type t; const char *kty; enum jws_alg alg; } g[] = {
		{ KEY_RSA2048, "RSA", JWS_RS256 }, { KEY_EC256, "EC", JWS_ES256 },
		{ KEY_ED25519, "OKP", JWS_EDDSA },
	};

	for (size_t i = 0; i < 3; i++) {
		trust_key *k = key_generate(g[i].t, err, sizeof(err));
		cr_assert_not_null(k, "%s", err);
		cr_assert_eq(key_alg(k), g[i].alg);
		jwk_roundtrip(k, g[i].kty);
		/* Private PEM reloads to the same key; public PEM too. */
		char *priv = key_private_pem(k), *pub = key_public_pem(k);
		cr_assert_not_null(strstr(priv, "PRIVATE KEY"));
		trust_key *k2 = key_from_pem(priv, strlen(priv), JWS_ALG_INVALID, NULL, err, sizeof(err));
		trust_key *k3 = key_from_pem(pub, strlen(pub), JWS_ALG_INVALID, NULL, err, sizeof(err));
		cr_assert_str_eq(key_kid(k2), key_kid(k));
		cr_assert_str_eq(key_kid(k3), key_kid(k));
		cr_assert(!key_is_private(k3));
		cr_assert_null(key_private_pem(k3));
		trust_free_secret(priv);
		free(pub);
		key_unref(k2);
		key_unref(k3);
		key_unref(k);
		cr_assert_eq(key_type_parse(key_type_name(g[i].t), &(enum key_type){0}), 0);
	}
	char *pem = key_generate_pem(KEY_EC256, err, sizeof(err));
	cr_assert_not_null(strstr(pem, "BEGIN PRIVATE KEY"));
	trust_free_secret(pem);
}

Test(keys, jwk_refusals)
{
	static const char *const bad[] = {
		"[]",
		"{\"e\":\"AQAB\"}",
		"{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"use\":\"enc\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"alg\":\"RS256\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"alg\":\"ES384\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}",  /* not canonical */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}",  /* not on curve */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",  /* short x */
		"{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}",
		"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\"}",
		"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"n\":\"ofgW\",\"e\":\"AQAB\"}",
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"kid\":7}",
	};
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		cr_assert_not_null(j, "test JSON %zu", i);
		trust_key *k = key_from_jwk(j, JWS_ALG_INVALID, err, sizeof(err));
		cr_assert_null(k, "accepted JWK %zu: %s", i, bad[i]);
		json_decref(j);
	}
}

/* ---- item 4: key sets and the key store ---- */

Test(keystore, lookup_by_issuer_and_kid)
{
	keystore *st = keystore_new();
	keyset *a = keyset_new(), *b = keyset_new();
	trust_key *k1 = t_key_file("ossl-es256.pub.pem", JWS_ES256, "k1");
	trust_key *k2 = t_key_file("ossl-eddsa.pub.pem", JWS_EDDSA, "k2");
	char err[200];

	cr_assert_eq(keyset_add(a, k1, err, sizeof(err)), 0);
	cr_assert_eq(keyset_add(a, k1, err, sizeof(err)), -1, "duplicate kid");
	cr_assert_eq(keyset_add(b, k2, err, sizeof(err)), 0);
	cr_assert_eq(keystore_set(st, "https://a", a, err, sizeof(err)), 0);
	cr_assert_eq(keystore_set(st, "https://b", b, err, sizeof(err)), 0);
	trust_key *g = keystore_get(st, "https://a", "k1", 2);
	cr_assert_eq(g, k1);
	key_unref(g);
	cr_assert_null(keystore_get(st, "https://a", "k2", 2));
	cr_assert_null(keystore_get(st, "https://b", "k1", 2));
	cr_assert_null(keystore_get(st, "https://c", "k1", 2));
	cr_assert_null(keystore_get(st, "https://a", "k1\0", 3));
	cr_assert_null(keystore_get(st, "https://a", "k", 1));
	uint64_t gen = keystore_generation(st);
	/* Rotation: the old key stays usable by whoever holds it. */
	g = keystore_get(st, "https://a", "k1", 2);
	keyset *a2 = keyset_new();
	cr_assert_eq(keyset_add(a2, k2, err, sizeof(err)), 0);
	cr_assert_eq(keystore_set(st, "https://a", a2, err, sizeof(err)), 0);
	cr_assert_gt(keystore_generation(st), gen);
	cr_assert_null(keystore_get(st, "https://a", "k1", 2));
	cr_assert_eq(key_alg(g), JWS_ES256);
	key_unref(g);
	cr_assert_eq(keystore_set(st, "https://a", NULL, err, sizeof(err)), 0);
	cr_assert_null(keystore_get(st, "https://a", "k2", 2));
	g = keystore_get(st, "https://b", "k2", 2);
	cr_assert_not_null(g);
	key_unref(g);
	key_unref(k1);
	key_unref(k2);
	keystore_free(st);
}

Test(keystore, jwks_import_export)
{
	char err[200] = "";
	keyset *ks = keyset_new();
	trust_key *g[3] = {
		key_generate(KEY_RSA2048, err, sizeof(err)),
		key_generate(KEY_EC256, err, sizeof(err)),
		key_generate(KEY_ED25519, err, sizeof(err)),
	};
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(keyset_add(ks, g[i], err, sizeof(err)), 0);
		key_unref(g[i]);
	}
	json_t *doc = keyset_to_jwks(ks);
	char *text = json_dumps(doc, 0);
	cr_assert_null(strstr(text, "\"d\""));
	keyset *back = keyset_from_jwks_text(text, strlen(text), JWS_ALG_INVALID, err, sizeof(err));
	cr_assert_not_null(back, "%s", err);
	cr_assert_eq(keyset_count(back), 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert_str_eq(key_kid(keyset_get(back, i)), key_kid(keyset_get(ks, i)));

	/* Through a file, into the store. */
	char path[] = "/tmp/oprov-jwks-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	keystore *st = keystore_new();
	cr_assert_eq(keystore_load_jwks_file(st, "https://idp", path, JWS_ALG_INVALID,
	                                     err, sizeof(err)), 0, "%s", err);
	trust_key *k = keystore_get(st, "https://idp", key_kid(keyset_get(ks, 1)),
	                            strlen(key_kid(keyset_get(ks, 1))));
	cr_assert_not_null(k);
	cr_assert_eq(key_alg(k), JWS_ES256);
	key_unref(k);
	unlink(path);
	cr_assert_eq(keystore_load_jwks_file(st, "https://idp", path, JWS_ALG_INVALID,
	                                     err, sizeof(err)), -1);

	/* One bad member spoils the whole set; so do duplicates. */
	static const char *const bad[] = {
		"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
		 "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
		"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
		 "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}",
		"{\"keys\":{}}", "{}", "{\"keys\":[],\"keys\":[]}", "not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_null(keyset_from_jwks_text(bad[i], strlen(bad[i]), JWS_ALG_INVALID,
		                                     err, sizeof(err)), "accepted %s", bad[i]);
	free(text);
	json_decref(doc);
	keyset_free(ks);
	keyset_free(back);
	keystore_free(st);
}

/* Rotation while other threads validate: the token's key is in both the
 * old and the new set, so every validation must succeed. */
struct rot_ctx {
	tok_validator *v;
	const char *tok;
	int failures;
};

static void *
rot_worker(void *arg)
{
	struct rot_ctx *c = arg;
	struct tok_claims cl;

	for (int i = 0; i < 3000; i++)
		if (tok_validate(c->v, c->tok, strlen(c->tok), &cl) != TOK_OK)
			__atomic_add_fetch(&c->failures, 1, __ATOMIC_RELAXED);
	return NULL;
}

Test(keystore, rotation_under_load)
{
	char err[200];
	trust_key *k = key_generate(KEY_EC256, err, sizeof(err));
	trust_key *other = key_generate(KEY_ED25519, err, sizeof(err));
	keystore *st = keystore_new();
	keyset *ks = keyset_new();
	keyset_add(ks, k, NULL, 0);
	keystore_set(st, T_ISS, ks, NULL, 0);
	char *claims = t_claims(NULL, NULL);
	json_t *cj = json_loads(claims, 0, NULL);
	char *tok = tok_mint(k, cj, err, sizeof(err));
	struct rot_ctx c = { .v = t_validator(st, 0, 0), .tok = tok };
	pthread_t th[3];

	t_clock_now = T_NOW;
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, rot_worker, &c);
	for (int r = 0; r < 300; r++) {
		keyset *n = keyset_new();
		if (r % 2)
			keyset_add(n, other, NULL, 0);
		keyset_add(n, k, NULL, 0);
		cr_assert_eq(keystore_set(st, T_ISS, n, err, sizeof(err)), 0);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(c.failures, 0);
	tok_validator_free(c.v);
	keystore_free(st);
	key_unref(k);
	key_unref(other);
	free(tok);
	free(claims);
	json_decref(cj);
}
