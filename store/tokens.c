/*
 * tokens.c - what every program that issues or checks our access tokens
 * reads from the store, in one place: the issuer and audience, the
 * verification key set (current + previous signing keys) and the key that
 * signs now.  oprovctl, oprov-httpsd and oprov-sipd all use it, so they
 * can never disagree about which tokens are ours.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

static int
setting(struct store *s, const char *name, char *buf, size_t sz, char *err,
        size_t errlen)
{
	int r = store_param_get(s, name, buf, sz, err, errlen);

	if (r == STORE_NOTFOUND) {
		buf[0] = '\0';
		return 0;
	}
	return r == 0 ? 0 : -1;
}

int
store_token_config(struct store *s, struct store_token_config *out,
                   char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (setting(s, STORE_PARAM_ISSUER, out->issuer, sizeof(out->issuer),
	            err, errlen) < 0 ||
	    setting(s, STORE_PARAM_AUDIENCE, out->audience,
	            sizeof(out->audience), err, errlen) < 0)
		return -1;
	if (out->issuer[0] == '\0')
		return store_fail(err, errlen, "%s is not set (the store was not "
		                  "made by `oprovctl init`)", STORE_PARAM_ISSUER);
	/* RFC 9068 §3: the audience names the resource servers; ours are the
	 * cluster's own config and SIP ports, so the issuer URL serves. */
	if (out->audience[0] == '\0')
		memcpy(out->audience, out->issuer, sizeof(out->audience));
	return 0;
}

struct ks_load {
	keyset *ks;
	char *err;
	size_t errlen;
	int failed;
};

static int
ks_one(void *ctx, const struct store_key *sk)
{
	struct ks_load *l = ctx;
	json_error_t je;
	json_t *jwk;
	trust_key *k;
	int rc;

	if ((jwk = json_loads(sk->public_jwk ? sk->public_jwk : "", 0, &je)) == NULL) {
		store_fail(l->err, l->errlen, "signing key %s: stored JWK "
		           "unreadable: %s", sk->kid, je.text);
		l->failed = 1;
		return 1;
	}
	k = key_from_jwk(jwk, jws_alg_parse(sk->alg, strlen(sk->alg)), l->err,
	                 l->errlen);
	json_decref(jwk);
	rc = k != NULL ? keyset_add(l->ks, k, l->err, l->errlen) : -1;
	key_unref(k);
	if (rc < 0) {
		l->failed = 1;
		return 1;
	}
	return 0;
}

keyset *
store_verify_keyset(struct store *s, char *err, size_t errlen)
{
	struct ks_load l = { NULL, err, errlen, 0 };

	if ((l.ks = keyset_new()) == NULL) {
		store_fail(err, errlen, "out of memory");
		return NULL;
	}
	if (store_key_list_verify(s, ks_one, &l, err, errlen) != 0 || l.failed) {
		keyset_free(l.ks);
		return NULL;
	}
	return l.ks;
}

/* Copies the previous key (state 1) out of the verify list. */
static int
prev_one(void *ctx, const struct store_key *sk)
{
	struct store_key *out = ctx;

	if (sk->state != STORE_KEY_PREVIOUS || sk->private_pem == NULL)
		return 0;
	*out = *sk;
	out->private_pem = strdup(sk->private_pem);
	out->public_jwk = NULL;
	return out->private_pem == NULL ? -1 : 1;
}

trust_key *
store_signing_key(struct store *s, char *err, size_t errlen)
{
	struct store_key sk, prev;
	trust_key *k = NULL;
	int rc;

	memset(&sk, 0, sizeof(sk));
	memset(&prev, 0, sizeof(prev));
	if ((rc = store_key_current(s, &sk, err, errlen)) != 0) {
		if (rc == STORE_NOTFOUND)
			store_fail(err, errlen, "no signing key (run `oprovctl init`)");
		return NULL;
	}
	/* Published ahead: the previous key signs until the current one's
	 * activation time (validators have fetched the new JWKS by then). */
	if (sk.activates > (int64_t)time(NULL) &&
	    store_key_list_verify(s, prev_one, &prev, err, errlen) >= 0 &&
	    prev.private_pem != NULL) {
		store_key_free(&sk);
		sk = prev;
	}
	if (sk.private_pem == NULL)
		store_fail(err, errlen, "signing key %s: no private key", sk.kid);
	else
		k = key_from_pem(sk.private_pem, strlen(sk.private_pem),
		                 jws_alg_parse(sk.alg, strlen(sk.alg)), sk.kid,
		                 err, errlen);
	store_key_free(&sk);                    /* wipes the PEM text */
	return k;
}
