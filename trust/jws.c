/*
 * jws.c - the JWS compact serialization (RFC 7515 §7.1): splitting and strict
 * decoding (standards.md "Access tokens" steps 1-4), the signature check
 * with a looked-up key (steps 6-7), signing for our issuer, single-key
 * verification for published vectors, and unverified inspection.  The
 * signature arithmetic is key.c's key_sign / key_verify (ossl_jws.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trust/trust_int.h"

void
jws_parsed_free(struct jws_parsed *jp)
{
	json_decref(jp->hjson);
	jp->hjson = NULL;
	if (jp->payload != jp->pbuf)
		free(jp->payload);
	jp->payload = NULL;
}

static void
jv_copy(const struct jv *v, struct jv *out)
{
	if (v == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = *v;
}

/* Step 2: the header as an object with duplicate names refused (RFC 7515
 * §5.2 step 4); the fast reader first, jansson for everything else. */
static int
header_members(struct jws_parsed *jp, int *crit)
{
	struct jscan js;

	if (jscan_object(jp->hbuf, jp->hlen, &js) == 0) {
		jv_copy(jscan_get(&js, "alg"), &jp->h_alg);
		jv_copy(jscan_get(&js, "kid"), &jp->h_kid);
		jv_copy(jscan_get(&js, "typ"), &jp->h_typ);
		*crit = jscan_get(&js, "crit") != NULL;
		return 0;
	}
	jp->hjson = json_loadb(jp->hbuf, jp->hlen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(jp->hjson))
		return -1;
	jv_from_json(json_object_get(jp->hjson, "alg"), &jp->h_alg);
	jv_from_json(json_object_get(jp->hjson, "kid"), &jp->h_kid);
	jv_from_json(json_object_get(jp->hjson, "typ"), &jp->h_typ);
	*crit = json_object_get(jp->hjson, "crit") != NULL;
	return 0;
}

enum tok_verdict
jws_parse(const char *tok, size_t len, size_t max, unsigned algs,
          struct jws_parsed *jp)
{
	const char *d1, *d2;
	size_t hl, pl, sl;
	int crit;

	jp->hjson = NULL;
	jp->payload = NULL;
	/* 1. size, shape, strict base64url. */
	if (len > max)
		return TOK_TOO_LARGE;
	if ((d1 = memchr(tok, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL)
		return TOK_MALFORMED;
	hl = (size_t)(d1 - tok);
	pl = (size_t)(d2 - d1 - 1);
	sl = len - (size_t)(d2 + 1 - tok);
	if (hl == 0 || pl == 0)
		return TOK_MALFORMED;
	if (b64url_decoded_max(hl) > sizeof(jp->hbuf))
		return TOK_TOO_LARGE;
	if (b64url_decoded_max(sl) > sizeof(jp->sig))
		return TOK_MALFORMED;
	if (b64url_decode(tok, hl, (uint8_t *)jp->hbuf, sizeof(jp->hbuf), &jp->hlen) < 0)
		return TOK_MALFORMED;
	if (b64url_decoded_max(pl) < sizeof(jp->pbuf)) {
		jp->payload = jp->pbuf;
	} else if ((jp->payload = malloc(b64url_decoded_max(pl) + 1)) == NULL) {
		return TOK_TOO_LARGE;
	}
	if (b64url_decode(d1 + 1, pl, jp->payload, b64url_decoded_max(pl) + 1,
	                  &jp->plen) < 0 ||
	    b64url_decode(d2 + 1, sl, jp->sig, sizeof(jp->sig), &jp->siglen) < 0)
		goto malformed;
	jp->payload[jp->plen] = '\0';
	jp->signing_input = tok;
	jp->silen = (size_t)(d2 - tok);

	/* 2. */
	if (header_members(jp, &crit) < 0)
		goto malformed;

	/* 3. We implement no extension, so any crit is unsupported (RFC 7515
	 * §4.1.11).  jku, x5u, x5c and jwk are simply never read. */
	if (crit) {
		jws_parsed_free(jp);
		return TOK_CRIT_UNSUPPORTED;
	}

	/* 4. alg: a known name in the allowlist; "none" in any spelling is
	 * refused outright (RFC 8725 §3.1). */
	if (jp->h_alg.k != JV_STRING)
		goto malformed;
	jp->alg = jws_alg_parse(jp->h_alg.s, jp->h_alg.n);
	if ((jp->h_alg.n == 4 && strncasecmp(jp->h_alg.s, "none", 4) == 0) ||
	    jp->alg == JWS_ALG_INVALID || !(algs & JWS_ALG_BIT(jp->alg))) {
		jws_parsed_free(jp);
		return TOK_ALG_NOT_ALLOWED;
	}
	return TOK_OK;
malformed:
	jws_parsed_free(jp);
	return TOK_MALFORMED;
}

enum tok_verdict
jws_check_signature(trust_key *k, struct jws_parsed *jp)
{
	/* 5/6. The key is bound to one algorithm: an RS256 key can never
	 * check an HS256 (or PS256) token (RFC 8725 §3.1). */
	if (key_alg(k) != jp->alg)
		return TOK_ALG_NOT_ALLOWED;
	/* 7. */
	switch (key_verify(k, jp->signing_input, jp->silen, jp->sig, jp->siglen)) {
	case 1:
		return TOK_OK;
	default:
		return TOK_BAD_SIGNATURE;
	}
}

enum tok_verdict
jws_verify_compact(const trust_key *k, const char *token, size_t len,
                   char **payload, size_t *plen)
{
	struct jws_parsed *jp = malloc(sizeof(*jp));
	enum tok_verdict v;

	if (payload != NULL)
		*payload = NULL;
	if (jp == NULL)
		return TOK_MALFORMED;
	v = jws_parse(token, len, TOK_MAX_SIZE_CEILING, JWS_ALG_BIT(key_alg(k)), jp);
	if (v != TOK_OK)
		goto out;
	/* The key is not modified; verification only borrows pooled
	 * contexts, which are internally locked. */
	v = jws_check_signature((trust_key *)k, jp);
	if (v == TOK_OK && payload != NULL) {
		if ((*payload = malloc(jp->plen + 1)) == NULL) {
			v = TOK_MALFORMED;
		} else {
			memcpy(*payload, jp->payload, jp->plen + 1);
			if (plen != NULL)
				*plen = jp->plen;
		}
	}
	jws_parsed_free(jp);
out:
	free(jp);
	return v;
}

char *
jws_sign_header(const trust_key *k, const char *header_json, const void *payload,
                size_t plen, char *err, size_t errlen)
{
	size_t hl = strlen(header_json);
	size_t eh = b64url_encoded_len(hl), ep = b64url_encoded_len(plen);
	size_t es = b64url_encoded_len(JWS_SIG_MAX), total = eh + ep + es + 3;
	uint8_t sig[JWS_SIG_MAX];
	size_t siglen;
	char *out;

	if ((out = malloc(total)) == NULL) {
		trust_err(err, errlen, "out of memory");
		return NULL;
	}
	b64url_encode(header_json, hl, out, total);
	out[eh] = '.';
	b64url_encode(payload, plen, out + eh + 1, total - eh - 1);
	if (key_sign(k, out, eh + 1 + ep, sig, sizeof(sig), &siglen, err, errlen) < 0) {
		free(out);
		return NULL;
	}
	out[eh + 1 + ep] = '.';
	b64url_encode(sig, siglen, out + eh + ep + 2, total - eh - ep - 2);
	return out;
}

char *
jws_sign(const trust_key *k, const char *typ, const void *payload, size_t plen,
         char *err, size_t errlen)
{
	json_t *h = json_object();
	char *hs = NULL, *out = NULL;

	if (!key_is_private(k)) {
		trust_err(err, errlen, "signing needs a private key");
		goto out;
	}
	if (key_alg(k) != JWS_RS256 && key_alg(k) != JWS_ES256 &&
	    key_alg(k) != JWS_EDDSA && key_alg(k) != JWS_HS256) {
		trust_err(err, errlen, "%s is not a signing algorithm of ours",
		          jws_alg_name(key_alg(k)));
		goto out;
	}
	if (h == NULL ||
	    json_object_set_new(h, "alg", json_string(jws_alg_name(key_alg(k)))) < 0 ||
	    (typ != NULL && json_object_set_new(h, "typ", json_string(typ)) < 0) ||
	    json_object_set_new(h, "kid", json_string(key_kid(k))) < 0 ||
	    (hs = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		trust_err(err, errlen, "out of memory");
		goto out;
	}
	out = jws_sign_header(k, hs, payload, plen, err, errlen);
out:
	free(hs);
	json_decref(h);
	return out;
}

int
tok_inspect(const char *token, size_t len, json_t **header, json_t **claims,
            char *err, size_t errlen)
{
	const char *d1, *d2;
	uint8_t *buf = NULL;
	size_t n;
	int rc = -1;

	*header = NULL;
	*claims = NULL;
	if (len > TOK_MAX_SIZE_CEILING) {
		trust_err(err, errlen, "token larger than %d bytes", TOK_MAX_SIZE_CEILING);
		return -1;
	}
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) == NULL) {
		trust_err(err, errlen, "not a compact JWS (needs three segments)");
		return -1;
	}
	if ((buf = malloc(len + 1)) == NULL) {
		trust_err(err, errlen, "out of memory");
		return -1;
	}
	if (b64url_decode(token, (size_t)(d1 - token), buf, len, &n) < 0) {
		trust_err(err, errlen, "header is not strict base64url");
		goto out;
	}
	*header = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*header)) {
		json_decref(*header);
		*header = NULL;
		trust_err(err, errlen, "header is not a JSON object (or repeats a name)");
		goto out;
	}
	if (b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf, len, &n) < 0) {
		trust_err(err, errlen, "payload is not strict base64url");
		json_decref(*header);
		*header = NULL;
		goto out;
	}
	*claims = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	rc = 0;
out:
	free(buf);
	return rc;
}
