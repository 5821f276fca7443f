/*
 * token.c - access-token validation (RFC 9068 §4, RFC 8725, RFC 7519 §7.2)
 * in exactly the order of standards.md "Access tokens", with the
 * verified-token cache (cache.c) in front of it, and minting our own at+jwt
 * tokens.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "trust/trust_int.h"

#define MAX_ISSUERS (1 + KEYSTORE_MAX_ISSUERS)

struct tok_validator {
	char *issuers[MAX_ISSUERS];
	size_t nissuers;
	char *audience;
	int64_t skew;
	int64_t max_lifetime;
	size_t max_size;
	unsigned algs;
	tok_clock_fn clock;
	void *clock_arg;
	tok_revoked_fn revoked;
	void *revoked_arg;
	keystore *keys;
	struct tcache *cache;           /* NULL: caching off */
};

static const char *const verdict_names[TOK_VERDICT_COUNT] = {
	[TOK_OK] = "ok",
	[TOK_MALFORMED] = "malformed",
	[TOK_TOO_LARGE] = "too_large",
	[TOK_CRIT_UNSUPPORTED] = "crit_unsupported",
	[TOK_ALG_NOT_ALLOWED] = "alg_not_allowed",
	[TOK_UNKNOWN_KEY] = "unknown_key",
	[TOK_BAD_SIGNATURE] = "bad_signature",
	[TOK_WRONG_TYPE] = "wrong_type",
	[TOK_WRONG_ISSUER] = "wrong_issuer",
	[TOK_WRONG_AUDIENCE] = "wrong_audience",
	[TOK_EXPIRED] = "expired",
	[TOK_NOT_YET_VALID] = "not_yet_valid",
	[TOK_LIFETIME_TOO_LONG] = "lifetime_too_long",
	[TOK_MISSING_CLAIM] = "missing_claim",
	[TOK_INVALID_CLAIM] = "invalid_claim",
	[TOK_REVOKED] = "revoked",
};

const char *
tok_verdict_name(enum tok_verdict v)
{
	return (unsigned)v < TOK_VERDICT_COUNT ? verdict_names[v] : "?";
}

static int64_t
real_clock(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

tok_validator *
tok_validator_new(const struct tok_config *cfg, keystore *keys, char *err,
                  size_t errlen)
{
	tok_validator *v;

	if (cfg->issuer == NULL || cfg->issuer[0] == '\0' ||
	    cfg->audience == NULL || cfg->audience[0] == '\0' || keys == NULL) {
		trust_err(err, errlen, "validator needs an issuer, an audience and keys");
		return NULL;
	}
	if (cfg->n_more_issuers >= MAX_ISSUERS) {
		trust_err(err, errlen, "too many issuers");
		return NULL;
	}
	if (cfg->skew > TOK_SKEW_MAX) {
		trust_err(err, errlen, "clock skew over %d s", TOK_SKEW_MAX);
		return NULL;
	}
	if (cfg->max_lifetime < 0 ||
	    (cfg->algs & ~((JWS_ALG_BIT(JWS_ALG_COUNT) - 1) & ~1u)) != 0) {
		trust_err(err, errlen, "bad lifetime or algorithm set");
		return NULL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		goto nomem;
	v->skew = cfg->skew < 0 ? TOK_SKEW_DEFAULT : cfg->skew;
	v->max_lifetime = cfg->max_lifetime ? cfg->max_lifetime : TOK_LIFETIME_DEFAULT;
	v->max_size = cfg->max_size ? cfg->max_size : TOK_MAX_SIZE_DEFAULT;
	if (v->max_size > TOK_MAX_SIZE_CEILING)
		v->max_size = TOK_MAX_SIZE_CEILING;
	v->algs = cfg->algs ? cfg->algs : JWS_ALGS_DEFAULT;
	v->clock = cfg->clock ? cfg->clock : real_clock;
	v->clock_arg = cfg->clock_arg;
	v->revoked = cfg->revoked;
	v->revoked_arg = cfg->revoked_arg;
	v->keys = keys;
	if ((v->audience = strdup(cfg->audience)) == NULL ||
	    (v->issuers[0] = strdup(cfg->issuer)) == NULL)
		goto nomem;
	v->nissuers = 1;
	for (size_t i = 0; i < cfg->n_more_issuers; i++) {
		if (cfg->more_issuers[i] == NULL ||
		    (v->issuers[v->nissuers] = strdup(cfg->more_issuers[i])) == NULL)
			goto nomem;
		v->nissuers++;
	}
	if (cfg->cache_entries != SIZE_MAX &&
	    (v->cache = tcache_new(cfg->cache_entries ? cfg->cache_entries
	                                              : TOK_CACHE_DEFAULT)) == NULL)
		goto nomem;
	return v;
nomem:
	tok_validator_free(v);
	trust_err(err, errlen, "out of memory");
	return NULL;
}

void
tok_validator_free(tok_validator *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nissuers; i++)
		free(v->issuers[i]);
	free(v->audience);
	tcache_free(v->cache);
	free(v);
}

int
tok_scope_has(const struct tok_claims *c, const char *want)
{
	size_t wl = strlen(want);
	const char *p = c->scope;

	if (wl == 0)
		return 0;
	/* RFC 6749 §3.3: space-delimited, case-sensitive tokens. */
	while (*p != '\0') {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == wl && memcmp(p, want, wl) == 0)
			return 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

/* A string claim into a fixed buffer: 0 ok, -1 absent, -2 not a string or
 * too long. */
static int
claim_str(const struct jv *v, char *dst, size_t dstsz)
{
	dst[0] = '\0';
	if (v->k == JV_ABSENT)
		return -1;
	if (v->k != JV_STRING || trust_strlcpy_n(dst, dstsz, v->s, v->n) < 0)
		return -2;
	return 0;
}

/* RFC 7519 §2 NumericDate: integer or fractional seconds.  Must be finite
 * and within [0, year 9999] so no later arithmetic can overflow.  up rounds
 * a fraction towards the later second (nbf, iat), otherwise towards the
 * earlier one (exp): rounding never widens validity.  0 ok, -1 absent, -2
 * invalid. */
static int
claim_date(const struct jv *v, int up, int64_t *out)
{
	double d;

	if (v->k == JV_ABSENT)
		return -1;
	if (v->k == JV_INT) {
		if (v->i < 0 || v->i > TOK_NUMERICDATE_MAX)
			return -2;
		*out = v->i;
		return 0;
	}
	if (v->k != JV_REAL)
		return -2;
	d = v->d;
	if (!isfinite(d) || d < 0 || d > (double)TOK_NUMERICDATE_MAX)
		return -2;
	*out = (int64_t)(up ? ceil(d) : floor(d));
	return 0;
}

static int
typ_ok(const struct jv *t)
{
	const char *s = t->s;
	size_t l = t->n;

	if (t->k != JV_STRING)
		return 0;
	/* RFC 9068 §4: "at+jwt"; RFC 7515 §4.1.9 allows the full media type,
	 * and media types compare case-insensitively. */
	if (l == 18 && strncasecmp(s, "application/", 12) == 0) {
		s += 12;
		l -= 12;
	}
	return l == 6 && strncasecmp(s, "at+jwt", 6) == 0;
}

static int
aud_ok(const struct jv *aud, const char *ours)
{
	size_t ol = strlen(ours), i;
	const json_t *a;

	if (aud->k == JV_STRING)
		return aud->n == ol && memcmp(aud->s, ours, ol) == 0;
	if (aud->k != JV_ARRAY)
		return 0;
	if (aud->j == NULL)
		return jscan_array_has(aud, ours, ol);
	json_array_foreach(aud->j, i, a)
		if (json_is_string(a) && json_string_length(a) == ol &&
		    memcmp(json_string_value(a), ours, ol) == 0)
			return 1;
	return 0;
}

/* The claims the validator reads, in checklist order. */
enum { C_ISS, C_EXP, C_AUD, C_SUB, C_CLIENT_ID, C_IAT, C_JTI, C_REQUIRED,
       C_DEV = C_REQUIRED, C_SCOPE, C_NBF, C_COUNT };
static const char *const claim_names[C_COUNT] = {
	"iss", "exp", "aud", "sub", "client_id", "iat", "jti", "dev", "scope", "nbf",
};

/* Steps 8-9 on the verified payload. */
static enum tok_verdict
check_claims(tok_validator *v, const struct jws_parsed *jp, const char *issuer,
             int64_t now, struct tok_claims *out)
{
	struct jscan js;
	struct jv cv[C_COUNT];
	json_t *c = NULL;
	enum tok_verdict r = TOK_INVALID_CLAIM;
	int rc;

	/* 8. */
	if (!typ_ok(&jp->h_typ))
		return TOK_WRONG_TYPE;
	/* 9.  The flat-object reader handles nearly every token without an
	 * allocation; jansson (duplicates refused) decides the rest. */
	if (jscan_object((const char *)jp->payload, jp->plen, &js) == 0) {
		for (int i = 0; i < C_COUNT; i++) {
			const struct jv *x = jscan_get(&js, claim_names[i]);
			if (x != NULL)
				cv[i] = *x;
			else
				memset(&cv[i], 0, sizeof(cv[i]));
		}
	} else {
		c = json_loadb((const char *)jp->payload, jp->plen, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(c)) {
			json_decref(c);
			return TOK_MALFORMED;
		}
		for (int i = 0; i < C_COUNT; i++)
			jv_from_json(json_object_get(c, claim_names[i]), &cv[i]);
	}
	for (int i = 0; i < C_REQUIRED; i++)
		if (cv[i].k == JV_ABSENT) {
			r = TOK_MISSING_CLAIM;
			goto out;
		}
	if (claim_str(&cv[C_ISS], out->iss, sizeof(out->iss)) < 0 ||
	    claim_str(&cv[C_SUB], out->sub, sizeof(out->sub)) < 0 ||
	    claim_str(&cv[C_CLIENT_ID], out->client_id, sizeof(out->client_id)) < 0 ||
	    claim_str(&cv[C_JTI], out->jti, sizeof(out->jti)) < 0 ||
	    claim_str(&cv[C_DEV], out->dev, sizeof(out->dev)) == -2 ||
	    claim_str(&cv[C_SCOPE], out->scope, sizeof(out->scope)) == -2 ||
	    claim_date(&cv[C_EXP], 0, &out->exp) < 0 ||
	    claim_date(&cv[C_IAT], 1, &out->iat) < 0 ||
	    (rc = claim_date(&cv[C_NBF], 1, &out->nbf)) == -2)
		goto out;
	if (rc == -1)
		out->nbf = 0;
	/* An empty jti could never be revoked, an empty sub or client_id
	 * never bound: required means present and non-empty. */
	if (out->sub[0] == '\0' || out->client_id[0] == '\0' || out->jti[0] == '\0')
		goto out;
	if (strcmp(out->iss, issuer) != 0) {
		r = TOK_WRONG_ISSUER;
	} else if (!aud_ok(&cv[C_AUD], v->audience)) {
		r = TOK_WRONG_AUDIENCE;
	} else if (out->exp <= now - v->skew) {
		/* RFC 7519 §4.1.4: now must be before exp (plus leeway). */
		r = TOK_EXPIRED;
	} else if (out->nbf > now + v->skew || out->iat > now + v->skew) {
		r = TOK_NOT_YET_VALID;
	} else if (out->exp - out->iat > v->max_lifetime) {
		r = TOK_LIFETIME_TOO_LONG;
	} else {
		r = TOK_OK;
	}
out:
	json_decref(c);
	return r;
}

/* Finds the key under each accepted issuer in order (5).  *issuer is the
 * owner of the returned key. */
static trust_key *
find_key(tok_validator *v, const struct jws_parsed *jp, const char **issuer)
{
	if (jp->h_kid.k != JV_STRING)
		return NULL;
	for (size_t i = 0; i < v->nissuers; i++) {
		trust_key *k = keystore_get(v->keys, v->issuers[i], jp->h_kid.s, jp->h_kid.n);
		if (k != NULL) {
			*issuer = v->issuers[i];
			return k;
		}
	}
	return NULL;
}

enum tok_verdict
tok_validate(tok_validator *v, const char *token, size_t len,
             struct tok_claims *out)
{
	/* ~7 KiB on the stack: keeps the hot path free of allocations. */
	struct jws_parsed jp;
	uint8_t digest[32];
	uint64_t gen;
	int64_t now;
	const char *issuer = NULL;
	trust_key *k;
	enum tok_verdict r;

	if (len > v->max_size)
		return TOK_TOO_LARGE;
	now = v->clock(v->clock_arg);
	gen = keystore_generation(v->keys);
	if (v->cache != NULL) {
		trust_sha256(token, len, digest);
		switch (tcache_get(v->cache, digest, gen, now - v->skew, out)) {
		case 1:
			goto revocation;
		case -1:
			return TOK_EXPIRED;
		default:
			break;
		}
	}
	memset(out, 0, sizeof(*out));
	/* 1-4. */
	if ((r = jws_parse(token, len, v->max_size, v->algs, &jp)) != TOK_OK)
		return r;
	/* 5-7. */
	if ((k = find_key(v, &jp, &issuer)) == NULL) {
		r = TOK_UNKNOWN_KEY;
	} else {
		r = jws_check_signature(k, &jp);
		key_unref(k);
	}
	/* 8-9. */
	if (r == TOK_OK)
		r = check_claims(v, &jp, issuer, now, out);
	if (r == TOK_OK) {
		out->alg = jp.alg;
		/* The kid fits: keys refuse longer kids at load. */
		(void)trust_strlcpy_n(out->kid, sizeof(out->kid), jp.h_kid.s, jp.h_kid.n);
	}
	jws_parsed_free(&jp);
	if (r != TOK_OK)
		return r;
	if (v->cache != NULL)
		tcache_put(v->cache, digest, gen, out);
revocation:
	if (v->revoked != NULL && v->revoked(v->revoked_arg, out))
		return TOK_REVOKED;
	return TOK_OK;
}

void
tok_cache_stats(tok_validator *v, struct tok_cache_stats *out)
{
	if (v->cache != NULL)
		tcache_stats(v->cache, out);
	else
		memset(out, 0, sizeof(*out));
}

void
tok_cache_flush(tok_validator *v)
{
	if (v->cache != NULL)
		tcache_flush(v->cache);
}

char *
tok_mint(const trust_key *k, const json_t *claims, char *err, size_t errlen)
{
	char *payload, *out;

	if (!json_is_object(claims)) {
		trust_err(err, errlen, "claims must be a JSON object");
		return NULL;
	}
	payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	if (payload == NULL) {
		trust_err(err, errlen, "cannot serialize claims");
		return NULL;
	}
	out = jws_sign(k, "at+jwt", payload, strlen(payload), err, errlen);
	free(payload);
	return out;
}

json_t *
tok_mint_claims(const char *iss, const char *sub, const char *aud,
                const char *dev, const char *client_id, const char *scope,
                int64_t now, int64_t lifetime)
{
	uint8_t rnd[16];
	char jti[32];
	json_t *c = json_object();

	if (c == NULL || trust_random(rnd, sizeof(rnd)) < 0 ||
	    b64url_encode(rnd, sizeof(rnd), jti, sizeof(jti)) < 0)
		goto fail;
	if (json_object_set_new(c, "iss", json_string(iss)) < 0 ||
	    json_object_set_new(c, "sub", json_string(sub)) < 0 ||
	    json_object_set_new(c, "aud", json_string(aud)) < 0 ||
	    json_object_set_new(c, "iat", json_integer(now)) < 0 ||
	    json_object_set_new(c, "nbf", json_integer(now)) < 0 ||
	    json_object_set_new(c, "exp", json_integer(now + lifetime)) < 0 ||
	    json_object_set_new(c, "jti", json_string(jti)) < 0 ||
	    (dev && json_object_set_new(c, "dev", json_string(dev)) < 0) ||
	    (client_id && json_object_set_new(c, "client_id", json_string(client_id)) < 0) ||
	    (scope && json_object_set_new(c, "scope", json_string(scope)) < 0))
		goto fail;
	return c;
fail:
	json_decref(c);
	return NULL;
}
