/* Shared helpers of the trust/ unit tests (test_trust*.c, one program). */
#ifndef OPROV_TEST_TRUST_H
#define OPROV_TEST_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "trust/trust.h"

#define T_ISS "https://oprov.test"
#define T_AUD "oprov-test"
#define T_NOW 1700000100LL

/* Whole file under tests/data/trust (NUL-terminated, malloc'd); aborts the
 * test when missing. */
char *t_data(const char *name, size_t *len);
/* Key from a data file: PEM, or JWK when the name ends in .jwk. */
trust_key *t_key_file(const char *name, enum jws_alg alg, const char *kid);

/* The injected clock and the revocation list used by t_validator(). */
extern int64_t t_clock_now;
int64_t t_clock(void *arg);
extern const char *t_revoked_jti;
extern int t_revoked_calls;
int t_revoked(void *arg, const struct tok_claims *c);

/* A validator over `ks` with issuer T_ISS, audience T_AUD, the test clock
 * and revocation callback; algs 0 = default; cache 0 = default. */
tok_validator *t_validator(keystore *ks, unsigned algs, size_t cache);

/* Signs header/claims JSON text verbatim with k (any bound alg). */
char *t_sign(const trust_key *k, const char *header, const char *claims);
/* Standard claims JSON with one member replaced or removed: `member` NULL
 * keeps all; value NULL removes it; otherwise value is raw JSON text. */
char *t_claims(const char *member, const char *value);

#endif
