/*
 * Fuzz harness: access-token validation.  The first input byte picks what
 * the rest is:
 *   0  a compact token for tok_validate() (twice: the second run goes
 *      through the cache) and tok_inspect();
 *   1  a claims payload, signed here with the harness's HS256 key and then
 *      validated, so the claim checks see arbitrary JSON behind a good MAC;
 *   2  a protected header, signed likewise with fixed good claims.
 * Any crash, leak or sanitizer report is a finding; verdicts are not.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The HS256 seeds in tests/fuzz/corpus/token are MACed with this secret
 * (kid h1), so the fuzzer starts from tokens that pass the signature check. */
static const char secret[] = "oprov-fuzz-shared-secret-0123456789";
static tok_validator *v;
static trust_key *hk;

static int64_t
fixed_clock(void *arg)
{
	(void)arg;
	return 1700000100;
}

static int
revoked(void *arg, const struct tok_claims *c)
{
	(void)arg;
	return strcmp(c->jti, "revoked") == 0;
}

static void
init(void)
{
	keystore *st = keystore_new();
	keyset *ks = keyset_new();
	trust_key *ek = key_generate(KEY_EC256, NULL, 0);
	struct tok_config cfg = {
		.issuer = "https://oprov.test", .audience = "oprov-test", .skew = -1,
		.algs = JWS_ALGS_DEFAULT | JWS_ALG_BIT(JWS_HS256), .cache_entries = 64,
		.clock = fixed_clock, .revoked = revoked,
	};

	hk = key_hmac_new(secret, sizeof(secret) - 1, "h1", NULL, 0);
	if (st == NULL || ks == NULL || ek == NULL || hk == NULL ||
	    keyset_add(ks, hk, NULL, 0) < 0 || keyset_add(ks, ek, NULL, 0) < 0 ||
	    keystore_set(st, "https://oprov.test", ks, NULL, 0) < 0 ||
	    (v = tok_validator_new(&cfg, st, NULL, 0)) == NULL)
		abort();
	key_unref(ek);
}

static void
validate(const char *tok, size_t len)
{
	struct tok_claims c;
	enum tok_verdict r1 = tok_validate(v, tok, len, &c);
	enum tok_verdict r2 = tok_validate(v, tok, len, &c);

	/* The cache must never turn a refusal into acceptance. */
	if (r1 != TOK_OK && r2 == TOK_OK)
		abort();
	if (r1 == TOK_OK && (c.iss[0] == '\0' || c.jti[0] == '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"kid\":\"h1\",\"typ\":\"at+jwt\"}";
	static const char claims[] = "{\"iss\":\"https://oprov.test\",\"sub\":\"alice\","
		"\"aud\":\"oprov-test\",\"client_id\":\"c\",\"iat\":1700000000,"
		"\"exp\":1700003600,\"jti\":\"j\"}";
	char *s, *tok = NULL;
	json_t *h, *c;

	if (v == NULL)
		init();
	if (size < 1)
		return 0;
	/* An exact-size, unterminated copy so ASan sees any over-read. */
	size--;
	s = malloc(size ? size : 1);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size);
	switch (data[0] % 3) {
	case 0:
		validate(s, size);
		if (tok_inspect(s, size, &h, &c, NULL, 0) == 0) {
			json_decref(h);
			json_decref(c);
		}
		break;
	case 1:
		tok = jws_sign_header(hk, hdr, s, size, NULL, 0);
		break;
	case 2: {
		char *hs = malloc(size + 1);
		if (hs != NULL) {
			memcpy(hs, s, size);
			hs[size] = '\0';
			tok = jws_sign_header(hk, hs, claims, sizeof(claims) - 1, NULL, 0);
			free(hs);
		}
		break;
	}
	}
	if (tok != NULL) {
		validate(tok, strlen(tok));
		free(tok);
	}
	free(s);
	return 0;
}
