/*
 * file_ports.c - the two file listeners: 6971 (HTTPS, every file needs a
 * valid bearer token; device configs only to their own device) and 6970
 * (HTTP, public files, trust lists and legacy configs; an OAuth device's
 * config is refused with a pointer to 6971).  NAME.sgn is the signed form
 * of NAME under NAME's policy; trust lists are the gate's bytes of the
 * current config generation.  A request goes classify → authenticate
 * → facts → decide (the gate, gate/gate.h) → respond, and each reason maps
 * to its answer exactly as DESIGN.md's table says.
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
               struct httpsd_req *r)
{
	struct store *st = gate_store(l->h->gate);
	struct ca_list cl = { json_array() };
	char err[STORE_ERR_MAX], *text;
	json_t *doc;
	enum MHD_Result ret;
	const char *h[] = { MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache", NULL };

	if (cl.arr == NULL || st == NULL ||
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
		return httpsd_reply_not_modified(c, r, h);
	}
	ret = httpsd_queue(c, r, 200, e->resp, e->len);
	return ret;
}

/* The 6971 answers for a policy reason other than ALLOW / NOT_FOUND. */
static enum MHD_Result
deny_6971(struct httpsd_listener *l, struct MHD_Connection *c,
          struct httpsd_req *r, const struct gate_verdict *v)
{
	enum policy_reason why = v->reason;
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
		/* RFC 6750 §3.1, saying what is true: a token without the
		 * config scope is told the scope it needs; a token that has it
		 * but is bound to another device (or user) gets no scope
		 * (another scope would not help), only a description.  Same
		 * answer whether or not the other device exists. */
		if (v->tok == TOK_OK && !tok_scope_has(&v->claims, SCOPE_CONFIG))
			httpsd_bearer_challenge(ch, sizeof(ch), realm, "insufficient_scope",
			                        NULL, SCOPE_CONFIG);
		else
			httpsd_bearer_challenge(ch, sizeof(ch), realm, "insufficient_scope",
			                        "the token is bound to another device", NULL);
		return httpsd_reply(c, r, 403, "text/plain", "forbidden\n", 10, h);
	}
}

/* ---- one request, step by step ------------------------------------------- */

/* What a request to 6971 / 6970 is, as classify() and authenticate() find
 * it, and what facts() opened for it. */
struct file_req {
	struct httpsd_listener *l;
	struct MHD_Connection *c;
	struct httpsd_req *r;
	int gated;                      /* 6971 */
	char path[HTTPSD_PATH_MAX];
	struct cfg_file cf;
	int is_ca;                      /* caconfig.json, generated */
	int fd;                         /* a file of the root, once looked up */
	int sign;                       /* NAME.sgn absent: fd is NAME, sign it */
	const struct gate_blob *blob;   /* a trust list, once looked up */
	struct gate_request rq;
};

/* Method, path and file name.  MHD_YES/NO when answered (a bad request),
 * -1 to go on. */
static int
classify(struct file_req *fr, const char *method)
{
	struct httpsd_req *r = fr->r;
	const char *query;
	size_t qlen;
	long plen;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		const char *allow[] = { MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL };
		if (fr->gated && r->body != NULL &&
		    httpsd_query_has(r->body, r->body_len, "access_token"))
			return bad_request(fr->l, fr->c, r, "access_token in a form body");
		return httpsd_reply(fr->c, r, 405, "text/plain", "method not allowed\n",
		                    19, allow);
	}
	plen = httpsd_path_decode(r->raw_uri, strlen(r->raw_uri), fr->path,
	                          sizeof(fr->path), &query, &qlen);
	/* RFC 6750 §2.3 is not offered: a token in a URI ends up in logs. */
	if (fr->gated && httpsd_query_has(query, qlen, "access_token"))
		return bad_request(fr->l, fr->c, r, "access_token in the query string");
	if (plen <= 0)
		return plen == 0 ? not_found(fr->c, r, fr->gated)
		                 : bad_request(fr->l, fr->c, r, "bad path");
	if (cfg_file_classify(fr->path, (size_t)plen, &fr->cf) == CFG_FILE_INVALID)
		return bad_request(fr->l, fr->c, r, "bad file name");
	return -1;
}

/* The bearer token of a 6971 request, as the gate will read it.  MHD_YES/NO
 * when answered (400), -1 to go on. */
static int
authenticate(struct file_req *fr)
{
	const char *auth, *tok = NULL;
	size_t toklen = 0;
	unsigned nauth;

	if (!fr->gated)
		return -1;                      /* 6970 never looks at tokens */
	auth = httpsd_authorization(fr->c, &nauth);
	if (nauth > 1)
		return bad_request(fr->l, fr->c, fr->r, "two Authorization headers");
	switch (httpsd_bearer_parse(auth, auth ? strlen(auth) : 0,
	                            HTTPSD_TOKEN_MAX, &tok, &toklen)) {
	case HTTPSD_AUTH_BEARER:
		fr->rq.token_state = GATE_TOKEN_PRESENT;
		fr->rq.token = tok;
		fr->rq.token_len = toklen;
		return -1;
	case HTTPSD_AUTH_TOO_LARGE:
		fr->rq.token_state = GATE_TOKEN_TOO_LARGE;
		return -1;
	case HTTPSD_AUTH_MALFORMED:
		return bad_request(fr->l, fr->c, fr->r, "malformed Bearer credentials");
	case HTTPSD_AUTH_NONE:
	case HTTPSD_AUTH_OTHER_SCHEME:
	default:
		return -1;
	}
}

/* The gate calls this only once the token (on 6971) has passed: a file of
 * the root is opened then, never for an anonymous caller. */
static int
file_lookup(void *arg)
{
	struct file_req *fr = arg;

	size_t len = strlen(fr->path);

	if (fr->is_ca)
		return 1;
	switch (fr->cf.kind) {
	case CFG_FILE_DEFAULT_CONFIG:
	case CFG_FILE_DEFAULT_CONFIG_SIGNED:
		return 1;                       /* always rendered */
	case CFG_FILE_TRUSTLIST:
	case CFG_FILE_DEVICE_TRUSTLIST:
		fr->blob = gate_trustlist(fr->l->h->gate, fr->cf.trustlist);
		return fr->blob != NULL;
	case CFG_FILE_PUBLIC_SIGNED:
		/* NAME.sgn as the root holds it (e.g. signed by its maker), else
		 * NAME, signed when served. */
		if ((fr->fd = path_open_beneath(fr->l->h->root_fd, fr->path, len)) >= 0 ||
		    (errno != ENOENT && errno != ENOTDIR))
			return fr->fd >= 0;
		fr->fd = path_open_beneath(fr->l->h->root_fd, fr->path, len - 4);
		fr->sign = fr->fd >= 0;
		return fr->fd >= 0;
	default:
		fr->fd = path_open_beneath(fr->l->h->root_fd, fr->path, len);
		return fr->fd >= 0;
	}
}

/* ---- named files: dial plans, softkey templates, feature policies --------
 * Public like XMLDefault.cnf.xml (phones fetch them on 6970 and TFTP too),
 * rendered from the store; whether one exists comes from the gate's
 * snapshot, so an unknown name costs no store read. */

static int
named_kind(enum cfg_file_kind k)
{
	return k == CFG_FILE_DIALPLAN || k == CFG_FILE_SOFTKEYS ||
	       k == CFG_FILE_FEATURE_POLICY;
}

static int
named_lookup(void *arg)
{
	struct file_req *fr = arg;
	const struct gate_snap *s = gate_snap(fr->l->h->gate);
	int found = gate_named_file_exists(s, &fr->cf);

	gate_snap_release(s);
	return found;
}

/* What the gate needs to know about the target. */
static void
facts(struct file_req *fr)
{
	struct gate_request *rq = &fr->rq;

	rq->channel = fr->gated ? CH_HTTPS_CONFIG : CH_HTTP_PUBLIC;
	rq->file_arg = fr;
	switch (fr->cf.kind) {
	case CFG_FILE_DEVICE_CONFIG:
	case CFG_FILE_DEVICE_CONFIG_SIGNED:
	case CFG_FILE_DEVICE_CONFIG_ENC:
		rq->device = fr->cf.device;
		/* An encrypted config is never produced: as if absent. */
		rq->file_absent = fr->cf.kind == CFG_FILE_DEVICE_CONFIG_ENC;
		break;
	case CFG_FILE_TRUSTLIST:
	case CFG_FILE_DEVICE_TRUSTLIST:
		/* The cluster's list whatever MAC names it: public for every
		 * device (trust/policy.c says why); no device is looked up. */
		rq->trust_list = 1;
		rq->file_lookup = file_lookup;
		break;
	case CFG_FILE_DEFAULT_CONFIG:
	case CFG_FILE_DEFAULT_CONFIG_SIGNED:
		/* What phones without a device file fall back to: public,
		 * rendered from the store like oprov-tftpd does. */
		rq->file_lookup = file_lookup;
		break;
	case CFG_FILE_DIALPLAN:
	case CFG_FILE_SOFTKEYS:
	case CFG_FILE_FEATURE_POLICY:
		rq->file_lookup = named_lookup;
		break;
	case CFG_FILE_PUBLIC:
	default:
		fr->is_ca = strcmp(fr->path, CACONFIG_NAME) == 0;
		rq->file_lookup = file_lookup;
		break;
	}
}

static void
log_verdict(struct file_req *fr, const struct gate_verdict *v)
{
	char detail[160];
	int dev = fr->rq.device != NULL;

	snprintf(detail, sizeof(detail), "%s%s%s%s%.80s", v->why ? v->why : "",
	         fr->rq.token_state != GATE_TOKEN_NONE && v->tok != TOK_OK ? "; token " : "",
	         fr->rq.token_state != GATE_TOKEN_NONE && v->tok != TOK_OK
	             ? tok_verdict_name(v->tok) : "",
	         dev ? "" : "; file ", dev ? "" : fr->path);
	httpsd_log_denial(fr->l, fr->c, policy_reason_name(v->reason),
	                  dev ? fr->cf.device : NULL, v->claims.jti, detail);
}

/* Bytes the gate holds (a trust list, a signed file of the root). */
static enum MHD_Result
serve_blob(struct file_req *fr, const struct gate_blob *b)
{
	const char *inm = MHD_lookup_connection_value(fr->c, MHD_HEADER_KIND,
	                                              MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *h[] = { MHD_HTTP_HEADER_ETAG, b->etag, NULL };

	if (inm != NULL && httpsd_etag_match(inm, strlen(inm), b->etag))
		return httpsd_reply(fr->c, fr->r, 304, NULL, "", 0, h);
	return httpsd_reply(fr->c, fr->r, 200, "application/octet-stream",
	                    (const char *)b->data, b->len, h);
}

/* NAME.sgn made from NAME: signed once by the gate, then from its cache. */
static enum MHD_Result
serve_signed_file(struct file_req *fr)
{
	const struct gate_blob *b;
	char err[160];
	enum MHD_Result ret;

	b = gate_sign_file(fr->l->h->gate, fr->fd, fr->path, err, sizeof(err));
	if (b == NULL) {
		log_msg(LOG_WARNING, "%.200s: not signed: %s", fr->path, err);
		return not_found(fr->c, fr->r, fr->gated);
	}
	ret = serve_blob(fr, b);
	gate_blob_release(b);
	return ret;
}

/* The cache key of a rendered config: the device (or XMLDefault.cnf.xml),
 * with ".sgn" for the signed form, or a named file's name (a dial plan's,
 * ...).  -1 when the name does not fit. */
static int
config_key(const struct file_req *fr, const struct gate_verdict *v, char *key,
           size_t keysz)
{
	int dflt = fr->cf.kind == CFG_FILE_DEFAULT_CONFIG ||
	           fr->cf.kind == CFG_FILE_DEFAULT_CONFIG_SIGNED;
	int sgn = fr->cf.kind == CFG_FILE_DEFAULT_CONFIG_SIGNED ||
	          fr->cf.kind == CFG_FILE_DEVICE_CONFIG_SIGNED;

	if (named_kind(fr->cf.kind))
		return cfg_named_file(fr->cf.kind, fr->cf.record, key, keysz);
	snprintf(key, keysz, "%s%s", dflt ? CFG_DEFAULT_FILE : v->device, sgn ? ".sgn" : "");
	return 0;
}

/* Serves what was allowed: a rendered config, caconfig.json, a trust list
 * or a file of the root. */
static enum MHD_Result
respond_allowed(struct file_req *fr, const struct gate_verdict *v)
{
	struct httpsd *h = fr->l->h;
	struct cfg_cache_entry *e;
	enum MHD_Result ret;
	char key[HTTPSD_CFG_KEY_MAX];
	int fd;

	if (fr->is_ca)
		return serve_caconfig(fr->l, fr->c, fr->r);
	if (fr->blob != NULL)
		return serve_blob(fr, fr->blob);
	if (fr->sign)
		return serve_signed_file(fr);
	if (fr->cf.kind == CFG_FILE_PUBLIC || fr->cf.kind == CFG_FILE_PUBLIC_SIGNED) {
		fd = fr->fd;
		fr->fd = -1;                    /* the server takes it */
		return httpsd_file_serve(fr->l, fr->c, fr->r, fd, fr->path, fr->gated);
	}
	if (config_key(fr, v, key, sizeof(key)) < 0)
		return httpsd_reply(fr->c, fr->r, 500, "text/plain", "error\n", 6, NULL);
	e = httpsd_cfg_get(h, key, v->config_gen);
	if (e == NULL && gate_degraded(h->gate)) {
		/* Not rendered before the store went out of reach. */
		const char *hd[] = { MHD_HTTP_HEADER_RETRY_AFTER, "5", NULL };

		return httpsd_reply(fr->c, fr->r, 503, "text/plain",
		                    "store out of reach; retry later\n", 32, hd);
	}
	if (e == NULL)
		return httpsd_reply(fr->c, fr->r, 500, "text/plain", "error\n", 6, NULL);
	ret = serve_config(fr->c, fr->r, e);
	httpsd_cfg_release(e);
	return ret;
}

static enum MHD_Result
respond(struct file_req *fr, const struct gate_verdict *v)
{
	struct httpsd *h = fr->l->h;
	char body[160];
	int n;

	switch (v->reason) {
	case POLICY_ALLOW:
		return respond_allowed(fr, v);
	case POLICY_NOT_FOUND:
		return not_found(fr->c, fr->r, fr->gated);
	case POLICY_NEEDS_SECURE_CHANNEL:
		n = snprintf(body, sizeof(body), "%s is only served over HTTPS on "
		             "port %d with a bearer token\n",
		             fr->rq.device != NULL ? fr->cf.device : "this file",
		             h->lst[LST_CONFIG].port > 0 ? h->lst[LST_CONFIG].port
		                                         : HTTPSD_CONFIG_PORT);
		return httpsd_reply(fr->c, fr->r, 403, "text/plain", body, (size_t)n, NULL);
	default:
		if (fr->gated)
			return deny_6971(fr->l, fr->c, fr->r, v);
		return httpsd_reply(fr->c, fr->r, 403, "text/plain", "forbidden\n", 10, NULL);
	}
}

/* classify → authenticate → facts → decide (the gate) → respond. */
enum MHD_Result
httpsd_handle_files(struct httpsd_listener *l, struct MHD_Connection *c,
                    struct httpsd_req *r, const char *method)
{
	struct file_req *fr = calloc(1, sizeof(*fr));
	struct gate_verdict v;
	enum MHD_Result ret;
	int done;

	if (fr == NULL)
		return MHD_NO;
	fr->l = l;
	fr->c = c;
	fr->r = r;
	fr->gated = l->kind == LST_CONFIG;
	fr->fd = -1;
	if ((done = classify(fr, method)) >= 0 || (done = authenticate(fr)) >= 0) {
		ret = (enum MHD_Result)done;
		goto out;
	}
	facts(fr);
	gate_decide(l->h->gate, &fr->rq, &v);
	if (v.reason != POLICY_ALLOW)
		log_verdict(fr, &v);
	ret = respond(fr, &v);
out:
	if (fr->fd >= 0)
		close(fr->fd);
	gate_blob_release(fr->blob);
	free(fr);
	return ret;
}
