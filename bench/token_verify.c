/*
 * token_verify - validations per second of oprov access tokens on one core,
 * for RS256, ES256 and EdDSA, with the verified-token cache off (every
 * call checks the signature) and on (every call after the first is a hit).
 * Run by bench/token-verify, which prints it next to `openssl speed`.
 *
 *   token_verify [SECONDS]      default 3 seconds per measurement
 * Output, one line per measurement:  ALG MODE VALIDATIONS_PER_SECOND
 *
 * Time is the process's CPU time, as `openssl speed` counts by default (it
 * divides by user CPU time unless given -elapsed): on a shared machine wall
 * time would charge us for other processes' work and make the comparison
 * meaningless.  User plus system time is counted, so we are, if anything,
 * charged a little more than openssl is.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trust/trust.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
not_revoked(void *arg, const struct tok_claims *c)
{
	(void)arg;
	/* Shaped like a real check: one comparison on the jti. */
	return c->jti[0] == '\0';
}

static double
measure(tok_validator *v, const char *tok, double seconds)
{
	size_t len = strlen(tok);
	struct tok_claims c;
	unsigned long n = 0;
	double t0 = now_s(), t;

	/* Check the clock every 64 calls so reading it is not what we time. */
	do {
		for (int i = 0; i < 64; i++)
			if (tok_validate(v, tok, len, &c) != TOK_OK) {
				fprintf(stderr, "token_verify: validation failed\n");
				exit(1);
			}
		n += 64;
		t = now_s() - t0;
	} while (t < seconds);
	return (double)n / t;
}

int
main(int argc, char **argv)
{
	static const struct { enum key_type t; const char *name; } types[] = {
		{ KEY_RSA2048, "RS256" }, { KEY_EC256, "ES256" }, { KEY_ED25519, "EdDSA" },
	};
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0;
	char err[200];

	if (seconds <= 0 || seconds > 600) {
		fprintf(stderr, "usage: token_verify [SECONDS]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		trust_key *k = key_generate(types[i].t, err, sizeof(err));
		keystore *st = keystore_new();
		keyset *ks = keyset_new();
		int64_t t = (int64_t)time(NULL);
		json_t *claims = tok_mint_claims("https://cucm.example.com:8443", "alice",
		                                 "oprov", "SEP001122334455", "cisco-jabber",
		                                 "config sip-register", t, 3600);
		char *tok = k ? tok_mint(k, claims, err, sizeof(err)) : NULL;
		struct tok_config cfg = {
			.issuer = "https://cucm.example.com:8443", .audience = "oprov",
			.skew = -1, .revoked = not_revoked,
		};

		if (tok == NULL || keyset_add(ks, k, err, sizeof(err)) < 0 ||
		    keystore_set(st, cfg.issuer, ks, err, sizeof(err)) < 0) {
			fprintf(stderr, "token_verify: setup: %s\n", err);
			return 1;
		}
		cfg.cache_entries = SIZE_MAX;
		tok_validator *uncached = tok_validator_new(&cfg, st, err, sizeof(err));
		cfg.cache_entries = 0;
		tok_validator *cached = tok_validator_new(&cfg, st, err, sizeof(err));
		if (uncached == NULL || cached == NULL) {
			fprintf(stderr, "token_verify: %s\n", err);
			return 1;
		}
		printf("%s uncached %.0f\n", types[i].name, measure(uncached, tok, seconds));
		printf("%s cached %.0f\n", types[i].name, measure(cached, tok, seconds));
		fflush(stdout);
		tok_validator_free(uncached);
		tok_validator_free(cached);
		keystore_free(st);
		json_decref(claims);
		free(tok);
		key_unref(k);
	}
	return 0;
}
