/*
 * config.c - the file listeners: 6971 (HTTPS, every file needs a valid
 * bearer token; device configs only to their own device) and 6970 (HTTP,
 * public files and legacy configs; an OAuth device's config is refused with
 * a pointer to 6971).  Both ask policy_decide() and map its reason exactly as
 * DESIGN.md's table says.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "httpsd/httpsd_int.h"

#define CACONFIG_NAME "caconfig.json"

static enum MHD_Result
bad_request(struct httpsd_listener *l, struct MHD_Connection *c,
            struct httpsd_req *r, const char *why)
{
	char ch[256];
	const char *h[] = { MHD_HTTP_HEADER_WWW_AUTHENTICATE, ch, NULL };

	httpsd_log_denial(l, c, "BAD_REQUEST", NULL, NULL, why);
	if (l->kind == LST_CONFIG &&
	    httpsd_bearer_challenge(ch, sizeof(ch), l->h->o.realm,
	                            "invalid_request", NULL, NULL) > 0)
		return httpsd_reply(c, r, 400, "text/plain", "bad request\n", 12, h);
	return httpsd_reply(c, r, 400, "text/plain", "bad request\n", 12, NULL);
}

static enum MHD_Result
not_found(struct MHD_Connection *c, struct httpsd_req *r, int gated)
{
	const char *h[] = { MHD_HTTP_HEADER_CACHE_CONTROL, "no-store", NULL };

	return httpsd_reply(c, r, 404, "text/plain", "not found\n", 10,
	                    gated ? h : NULL);
}

/* caconfig.json: the Phone Edge Trust roots, so phones and administrators
 * can fetch what signs the 6971 / 5090 certificates. */
struct ca_list {
	json_t *arr;
};

static int
ca_one(void *ctx, const struct store_cert *sc)
{
	struct ca_list *cl = ctx;
	struct cert_info ci;
	char err[256];
	json_t *o;

	if (sc->pem == NULL ||
	    cert_info_pem(sc->pem, strlen(sc->pem), &ci, err, sizeof(err)) < 0)
		return 0;
	o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
	              "subject", ci.subject, "issuer", ci.issuer,
	              "not_before", (json_int_t)ci.not_before,
	              "not_after", (json_int_t)ci.not_after,
	              "sha256", ci.sha256_hex, "sha256_fingerprint", ci.sha256_colon,
	              "pem", sc->pem);
	if (o != NULL)
		json_array_append_new(cl->arr, o);
	return 0;
}

static enum MHD_Result
serve_caconfig(struct httpsd_listener *l, struct MHD_Connection *c,
               struct httpsd_req *r, struct store *st)
{
	struct ca_list cl = { json_array() };
	char err[STORE_ERR_MAX], *text;
	json_t *doc;
	enum MHD_Result ret;
	const char *h[] = { MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache", NULL };

	if (cl.arr == NULL ||
	    store_cert_list(st, STORE_PURPOSE_PHONE_EDGE_TRUST, ca_one, &cl, err,
	                    sizeof(err)) < 0) {
		json_decref(cl.arr);
		return httpsd_reply(c, r, 500, "text/plain", "error\n", 6, NULL);
	}
	doc = json_pack("{s:s, s:o}", "purpose", STORE_PURPOSE_PHONE_EDGE_TRUST,
	                "certificates", cl.arr);
	text = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	(void)l;
	ret = httpsd_reply(c, r, 200, "application/json", text, strlen(text), h);
	free(text);
	return ret;
}

static enum MHD_Result
serve_config(struct MHD_Connection *c, struct httpsd_req *r,
             struct cfg_cache_entry *e)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                              MHD_HTTP_HEADER_IF_NONE_MATCH);
	enum MHD_Result ret;

	if (inm != NULL && httpsd_etag_match(inm, strlen(inm), e->etag)) {
		const char *h[] = { MHD_HTTP_HEADER_ETAG, e->etag,
		                    MHD_HTTP_HEADER_CACHE_CONTROL, "no-store", NULL };
		return httpsd_reply(c, r, 304, NULL, "", 0, h);
	}
	ret = httpsd_queue(c, r, 200, e->resp, e->len);
	return ret;
}

/* The 6971 answers for a policy reason other than ALLOW / NOT_FOUND. */
static enum MHD_Result
deny_6971(struct httpsd_listener *l, struct MHD_Connection *c,
          struct httpsd_req *r, enum policy_reason why)
{
	char ch[256];
	const char *h[] = { MHD_HTTP_HEADER_WWW_AUTHENTICATE, ch,
	                    MHD_HTTP_HEADER_CACHE_CONTROL, "no-store", NULL };
	const char *realm = l->h->o.realm;

	switch (why) {
	case POLICY_NO_TOKEN:
		httpsd_bearer_challenge(ch, sizeof(ch), realm, NULL, NULL, NULL);
		return httpsd_reply(c, r, 401, "text/plain", "token required\n", 15, h);
	case POLICY_INVALID_TOKEN:
		httpsd_bearer_challenge(ch, sizeof(ch), realm, "invalid_token",
		                        NULL, NULL);
		return httpsd_reply(c, r, 401, "text/plain", "invalid token\n", 14, h);
	case POLICY_WRONG_DEVICE:
	default:
		/* Same answer whether or not the other device exists. */
		httpsd_bearer_challenge(ch, sizeof(ch), realm, "insufficient_scope",
		                        NULL, SCOPE_CONFIG);
		return httpsd_reply(c, r, 403, "text/plain", "forbidden\n", 10, h);
	}
}

enum MHD_Result
httpsd_handle_files(struct httpsd_listener *l, struct MHD_Connection *c,
                    struct httpsd_req *r, const char *method)
{
	struct httpsd *h = l->h;
	char path[HTTPSD_PATH_MAX];
	const char *query, *auth, *tok = NULL;
	size_t qlen, toklen = 0;
	unsigned nauth;
	long plen;
	struct cfg_file cf;
	struct store *st;
	struct policy_input in;
	struct policy_result pr;
	struct tok_claims claims;
	struct cfg_cache_entry *e = NULL;
	int gated = l->kind == LST_CONFIG, fd = -1, is_ca = 0;
	enum MHD_Result ret;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		const char *allow[] = { MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL };
		if (gated && r->body != NULL &&
		    httpsd_query_has(r->body, r->body_len, "access_token"))
			return bad_request(l, c, r, "access_token in a form body");
		return httpsd_reply(c, r, 405, "text/plain", "method not allowed\n",
		                    19, allow);
	}
	plen = httpsd_path_decode(r->raw_uri, strlen(r->raw_uri), path, sizeof(path),
	                          &query, &qlen);
	if (gated && httpsd_query_has(query, qlen, "access_token"))
		return bad_request(l, c, r, "access_token in the query string");
	if (plen <= 0)
		return plen == 0 ? not_found(c, r, gated)
		                 : bad_request(l, c, r, "bad path");
	if (cfg_file_classify(path, (size_t)plen, &cf) == CFG_FILE_INVALID)
		return bad_request(l, c, r, "bad file name");

	st = httpsd_store(h);
	if (st == NULL || httpsd_sync(h, st, 0) < 0)
		return httpsd_reply(c, r, 503, "text/plain", "unavailable\n", 12, NULL);

	memset(&in, 0, sizeof(in));
	memset(&claims, 0, sizeof(claims));
	in.channel = gated ? CH_HTTPS_CONFIG : CH_HTTP_PUBLIC;
	in.claims = &claims;
	in.verdict = TOK_MALFORMED;

	switch (cf.kind) {
	case CFG_FILE_DEVICE_CONFIG:
	case CFG_FILE_DEVICE_CONFIG_SIGNED:
	case CFG_FILE_DEVICE_CONFIG_ENC:
		e = httpsd_cfg_get(h, st, cf.device);
		if (e == NULL)
			return httpsd_reply(c, r, 500, "text/plain", "error\n", 6, NULL);
		in.target.device_specific = 1;
		/* An encrypted config is never produced: as if absent. */
		in.target.exists = e->exists && cf.kind != CFG_FILE_DEVICE_CONFIG_ENC;
		in.target.oauth_enabled = e->oauth;
		in.target.name = cf.device;
		in.target.owner = e->owner[0] ? e->owner : NULL;
		break;
	case CFG_FILE_DEFAULT_CONFIG:
		/* What phones without a device file fall back to: public,
		 * rendered from the store like oprov-tftpd does. */
		if ((e = httpsd_cfg_get(h, st, CFG_DEFAULT_FILE)) == NULL)
			return httpsd_reply(c, r, 500, "text/plain", "error\n", 6, NULL);
		in.target.device_specific = 0;
		in.target.exists = e->exists;
		break;
	case CFG_FILE_DEVICE_TRUSTLIST:
		/* A device's CTL/ITL file lies in the root, but it is one of
		 * the device's files: the same decision as its config, as
		 * oprov-tftpd makes (an OAuth device gets it on 6971 only). */
		if ((e = httpsd_cfg_get(h, st, cf.device)) == NULL)
			return httpsd_reply(c, r, 500, "text/plain", "error\n", 6, NULL);
		fd = httpsd_file_open(h, path);
		in.target.device_specific = 1;
		in.target.exists = e->exists && fd >= 0;
		in.target.oauth_enabled = e->oauth;
		in.target.name = cf.device;
		in.target.owner = e->owner[0] ? e->owner : NULL;
		break;
	case CFG_FILE_PUBLIC:
	default:
		in.target.device_specific = 0;
		is_ca = strcmp(path, CACONFIG_NAME) == 0;
		if (!is_ca)
			fd = httpsd_file_open(h, path);
		in.target.exists = is_ca || fd >= 0;
		break;
	}

	pthread_rwlock_rdlock(&h->lock);
	in.cluster_sip_oauth = h->cluster.sip_oauth_mode;
	if (gated) {
		auth = httpsd_authorization(c, &nauth);
		if (nauth > 1) {
			pthread_rwlock_unlock(&h->lock);
			ret = bad_request(l, c, r, "two Authorization headers");
			goto out;
		}
		switch (httpsd_bearer_parse(auth, auth ? strlen(auth) : 0,
		                            HTTPSD_TOKEN_MAX, &tok, &toklen)) {
		case HTTPSD_AUTH_BEARER:
			in.token_present = 1;
			in.verdict = h->validator
			    ? tok_validate(h->validator, tok, toklen, &claims)
			    : TOK_UNKNOWN_KEY;
			break;
		case HTTPSD_AUTH_TOO_LARGE:
			in.token_present = 1;
			in.verdict = TOK_TOO_LARGE;
			break;
		case HTTPSD_AUTH_MALFORMED:
			pthread_rwlock_unlock(&h->lock);
			ret = bad_request(l, c, r, "malformed Bearer credentials");
			goto out;
		case HTTPSD_AUTH_NONE:
		case HTTPSD_AUTH_OTHER_SCHEME:
		default:
			break;
		}
	}
	pthread_rwlock_unlock(&h->lock);
	if (in.token_present && in.verdict != TOK_OK)
		claims.jti[0] = '\0';            /* never log what failed to verify */
	pr = policy_decide(&in);
	if ((unsigned)pr.reason < MET_REASONS)
		atomic_fetch_add(&h->m.verdicts[pr.reason], 1);
	if (pr.reason != POLICY_ALLOW) {
		char detail[160];
		snprintf(detail, sizeof(detail), "%s%s%s%s%.80s", pr.why ? pr.why : "",
		         in.token_present && in.verdict != TOK_OK ? "; token " : "",
		         in.token_present && in.verdict != TOK_OK
		             ? tok_verdict_name(in.verdict) : "",
		         in.target.device_specific ? "" : "; file ",
		         in.target.device_specific ? "" : path);
		httpsd_log_denial(l, c, policy_reason_name(pr.reason),
		                  in.target.device_specific ? cf.device : NULL,
		                  claims.jti, detail);
	}

	switch (pr.reason) {
	case POLICY_ALLOW:
		if (e != NULL && fd < 0)         /* rendered from the store */
			ret = serve_config(c, r, e);
		else if (is_ca)
			ret = serve_caconfig(l, c, r, st);
		else {                           /* a file of the root */
			ret = httpsd_file_serve(l, c, r, fd, path, gated);
			fd = -1;
		}
		break;
	case POLICY_NOT_FOUND:
		ret = not_found(c, r, gated);
		break;
	case POLICY_NEEDS_SECURE_CHANNEL: {
		char body[160];
		int n;
		n = snprintf(body, sizeof(body), "%s is only served over HTTPS on "
		             "port %d with a bearer token\n",
		             in.target.device_specific ? cf.device : "this file",
		             h->lst[LST_CONFIG].port > 0 ? h->lst[LST_CONFIG].port
		                                         : HTTPSD_CONFIG_PORT);
		ret = httpsd_reply(c, r, 403, "text/plain", body, (size_t)n, NULL);
		break;
	}
	default:
		if (gated)
			ret = deny_6971(l, c, r, pr.reason);
		else
			ret = httpsd_reply(c, r, 403, "text/plain", "forbidden\n", 10, NULL);
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	httpsd_cfg_release(e);
	return ret;
}
