/*
 * oauth.c - the authorization server on 8443: the token endpoint
 * (activation-code grant, refresh_token grant with rotation and reuse
 * detection), revocation (RFC 7009), introspection (RFC 7662), metadata
 * (RFC 8414) and the JWKS (RFC 7517).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "httpsd/httpsd_int.h"

#define GRANT_ACTIVATION_CODE "urn:oprov:params:oauth:grant-type:activation-code"
#define GRANT_REFRESH         "refresh_token"
#define DEFAULT_CLIENT_ID     "oprov-device"   /* phones are public clients */
#define ACTIVATION_CODE_DIGITS 16
#define FAMILY_ID_BYTES       16
#define REFRESH_TOKEN_BYTES   32               /* 256 bits (RFC 9700 §4.14) */
#define DEFAULT_SCOPE         SCOPE_CONFIG " " SCOPE_SIP_REGISTER
#define SCOPE_REVOKE          "revoke"         /* clients: may call /oauth/revoke */
#define SCOPE_INTROSPECT      "introspect"     /* ... /oauth/introspect */

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* The enterprise parameters of the current snapshot. */
static void
params_get(struct httpsd *h, struct cfg_params *out)
{
	const struct gate_snap *snap = gate_snap(h->gate);

	*out = snap->params;
	gate_snap_release(snap);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- a store that cannot take the write now --------------------------------- */

/* Retry-After of a 503 when the database is out of reach or busy: the
 * PostgreSQL backend retries its connection every STORE_RECONNECT_MS. */
#define STORE_RETRY_AFTER_S "5"

/* Until when (mono_ms) the POST endpoints answer 503 without trying the
 * store: set for HTTPSD_STORE_BACKOFF_MS by a write that found the store
 * out of reach or locked, so a held lock costs one HTTPSD_LOCK_WAIT_MS per
 * back-off period and server thread, not one per request. */
static _Atomic uint64_t store_busy_until;

static enum MHD_Result
store_busy_reply(struct MHD_Connection *c, struct httpsd_req *r)
{
	const char *hd[] = { MHD_HTTP_HEADER_RETRY_AFTER, STORE_RETRY_AFTER_S, NULL };

	return httpsd_reply_oauth_error(c, r, 503, "temporarily_unavailable",
	                                "the store is out of reach or busy; retry later",
	                                hd);
}

/* A failed store call: 503 + Retry-After when the database is out of reach
 * or locked (store_unavailable), else 500.  Logged once either way. */
static enum MHD_Result
store_failed(struct MHD_Connection *c, struct httpsd_req *r, struct store *st,
             const char *what, const char *err)
{
	log_msg(LOG_ERR, "store: %s: %s", what, err);
	if (st == NULL || store_unavailable(st)) {
		atomic_store(&store_busy_until, mono_ms() + HTTPSD_STORE_BACKOFF_MS);
		return store_busy_reply(c, r);
	}
	return httpsd_reply_oauth_error(c, r, 500, "server_error", NULL, NULL);
}

/* A client not identified: the store out of reach is 503 (store_failed),
 * anything else the client's fault (httpsd_reply_client_error). */
static enum MHD_Result
client_refused(struct httpsd_listener *l, struct MHD_Connection *c,
               struct httpsd_req *r, struct store *st,
               enum httpsd_client_result cr)
{
	if (cr == HTTPSD_CLIENT_STORE)
		return store_failed(c, r, st, "client", "the client could not be read");
	return httpsd_reply_client_error(l, c, r, cr);
}

/* ---- failed activation codes: per address and device, device, in all ---- */

/* The keys of a code attempt: (address, device) exactly, the device, and
 * one global key.  A name that is no device name counts as the device "",
 * so inventing names gains nothing.  Each is counted twice: in this process
 * (common/'s limiter, exact) and in the store (a counter of the same window
 * shared by every node of the store, so failures on one node count on all;
 * a store out of reach leaves the process's counts). */
enum { CODE_ALL, CODE_DEV, CODE_PAIR, CODE_KEYS };

struct code_keys {
	uint8_t pair[16 + CFG_DEVNAME_MAX];
	char dev[CFG_DEVNAME_MAX];
	int have_addr;
	char counter[CODE_KEYS][STORE_COUNTER_NAME_MAX];
};

static void
code_keys(struct MHD_Connection *c, const char *devname, struct code_keys *k)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char a[64];

	memset(k, 0, sizeof(*k));
	if (cfg_device_name_parse(devname, strlen(devname), k->dev) < 0)
		memset(k->dev, 0, sizeof(k->dev));
	k->have_addr = ci != NULL && ci->client_addr != NULL &&
	               sockaddr_ntop(ci->client_addr, a, sizeof(a)) != NULL;
	if (k->have_addr) {
		limiter_addr_key(ci->client_addr, k->pair);
		snprintf(k->counter[CODE_PAIR], sizeof(k->counter[0]),
		         "activation-code:%s:%s", a, k->dev);
	}
	memcpy(k->pair + 16, k->dev, sizeof(k->dev));
	snprintf(k->counter[CODE_DEV], sizeof(k->counter[0]),
	         "activation-code-device:%s", k->dev);
	snprintf(k->counter[CODE_ALL], sizeof(k->counter[0]), "activation-code-all");
}

/* The limit of key i. */
static unsigned
code_limit(const struct httpsd *h, int i)
{
	return i == CODE_ALL ? h->o.code_global_fails
	       : i == CODE_DEV ? h->o.code_device_fails : h->o.code_fails;
}

/* Adds `add` (0: only reads) to the store counters of k; with add 0,
 * returns the first key whose count is at its limit, else -1. */
static int
code_counted(struct httpsd *h, struct store *st, const struct code_keys *k,
             int64_t add)
{
	char err[STORE_ERR_MAX];
	int64_t hits;

	for (int i = 0; i < CODE_KEYS; i++) {
		if (k->counter[i][0] == '\0')
			continue;
		if (store_counter_hit(st, k->counter[i], now_s(), h->o.code_window,
		                      add, &hits, err, sizeof(err)) != 0) {
			if (add > 0)
				log_msg(LOG_WARNING, "store: activation-code counter: %s", err);
			continue;
		}
		if (add == 0 && hits >= (int64_t)code_limit(h, i))
			return i;
	}
	return -1;
}

/* Which code limit this attempt is over, or NULL: failures from this
 * address for this device, for this device from every address, or in all.
 * Locking out one (address, device) pair leaves the other devices behind
 * the same address (a NAT) free to onboard. */
static const char *
code_limited(struct httpsd *h, struct store *st, const struct code_keys *k)
{
	static const char *const what[CODE_KEYS] = {
		"all devices", "this device", "this device from this address",
	};
	uint64_t now = mono_ms();
	int i;

	if (limiter_exhausted(h->code_all_fails, "", 1, now))
		return what[CODE_ALL];
	if (limiter_exhausted(h->code_dev_fails, k->dev, sizeof(k->dev), now))
		return what[CODE_DEV];
	if (k->have_addr &&
	    limiter_exhausted(h->code_fails, k->pair, sizeof(k->pair), now))
		return what[CODE_PAIR];
	i = code_counted(h, st, k, 0);
	return i < 0 ? NULL : what[i];
}

static void
code_failed(struct httpsd *h, struct store *st, const struct code_keys *k)
{
	uint64_t now = mono_ms();

	(void)limiter_spend(h->code_all_fails, "", 1, now);
	(void)limiter_spend(h->code_dev_fails, k->dev, sizeof(k->dev), now);
	if (k->have_addr)
		(void)limiter_spend(h->code_fails, k->pair, sizeof(k->pair), now);
	(void)code_counted(h, st, k, 1);
}

/* ---- helpers ---------------------------------------------------------------- */

static int
is_form(struct MHD_Connection *c)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *f = "application/x-www-form-urlencoded";

	return ct != NULL && strncasecmp(ct, f, strlen(f)) == 0 &&
	       (ct[strlen(f)] == '\0' || ct[strlen(f)] == ';' || ct[strlen(f)] == ' ');
}

/* A key published ahead of its use signs from its activation time on:
 * the first token endpoint to see that time come makes the switch in the
 * store, and the gate reloads the signing key. */
static void
key_activate_due(struct httpsd *h, struct store *st, int64_t now)
{
	char err[STORE_ERR_MAX];
	int rc = store_key_activate(st, now, err, sizeof(err));

	if (rc < 0)
		log_msg(LOG_ERR, "store: signing key activation: %s", err);
	else if (rc > 0) {
		log_msg(LOG_NOTICE, "the signing key published ahead signs from now on");
		(void)gate_refresh(h->gate);
	}
}

/* Records under kid that a token expiring at exp is signed with it: in the
 * store, HTTPSD_KEY_NOTE_AHEAD beyond exp, and only when exp passes what
 * this process recorded last, so issuing costs a store write once per
 * HTTPSD_KEY_NOTE_AHEAD seconds instead of once per token.  0 / -1. */
static int
key_note(struct httpsd *h, struct store *st, const char *kid, int64_t exp,
         char *err, size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&h->note_lock);
	if (strcmp(h->note_kid, kid) != 0 || exp > h->note_exp) {
		int64_t ahead = exp + HTTPSD_KEY_NOTE_AHEAD;
		rc = store_key_note_exp(st, kid, ahead, err, errlen);
		if (rc == 0) {
			snprintf(h->note_kid, sizeof(h->note_kid), "%s", kid);
			h->note_exp = ahead;
		}
	}
	pthread_mutex_unlock(&h->note_lock);
	return rc;
}

/* Mints the access token.  family may be "" (no refresh token).  The
 * token's exp is recorded under its key first, so no rotation retires the
 * key while the token is valid. */
static char *
mint_access(struct httpsd *h, struct store *st, const char *sub,
            const char *dev, const char *client_id, const char *scope,
            const char *family, int64_t now, int64_t lifetime, char *err,
            size_t errlen)
{
	const struct gate_snap *snap;
	json_t *cl = NULL;
	char *tok = NULL;

	key_activate_due(h, st, now);
	snap = gate_snap(h->gate);
	if (snap->signing == NULL) {
		snprintf(err, errlen, "no signing key");
		goto out;
	}
	cl = tok_mint_claims(snap->issuer, sub, snap->audience, dev, client_id,
	                     scope, now, lifetime);
	if (cl == NULL) {
		snprintf(err, errlen, "cannot build claims");
		goto out;
	}
	if (family[0] != '\0') {
		/* The family rides in the jti ("FAMILY.RANDOM") so every
		 * validator's revocation check, which sees only the standard
		 * claims, can stop the family's access tokens; `fam` says the
		 * same for readers. */
		char *rnd = trust_random_b64url(16), jti[STORE_JTI_MAX];
		if (rnd == NULL) {
			snprintf(err, errlen, "no randomness");
			goto out;
		}
		snprintf(jti, sizeof(jti), "%s%c%s", family, STORE_JTI_FAMILY_SEP, rnd);
		free(rnd);
		json_object_set_new(cl, "jti", json_string(jti));
		json_object_set_new(cl, "fam", json_string(family));
	}
	if (key_note(h, st, key_kid(snap->signing), now + lifetime, err, errlen) != 0)
		goto out;
	tok = tok_mint(snap->signing, cl, err, errlen);
out:
	json_decref(cl);
	gate_snap_release(snap);
	return tok;
}

static enum MHD_Result
token_reply(struct httpsd *h, struct MHD_Connection *c, struct httpsd_req *r,
            const char *access, int64_t lifetime, const char *scope,
            const char *refresh)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "access_token", access,
	                      "token_type", "Bearer", "expires_in",
	                      (json_int_t)lifetime, "scope", scope);
	char *text;
	enum MHD_Result ret;

	if (o == NULL)
		return MHD_NO;
	if (refresh != NULL)
		json_object_set_new(o, "refresh_token", json_string(refresh));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return MHD_NO;
	atomic_fetch_add(&h->m.tokens_issued, 1);
	ret = httpsd_reply_json(c, r, 200, text, NULL);
	mem_wipe(text, strlen(text));
	free(text);
	return ret;
}

/* A new refresh family for `device` (not yet stored) in *f, its first
 * token's hash in hash; returns that token, NULL when out of memory. */
static char *
family_prepare(struct store_family *f, char hash[65], const char *device,
               const char *owner, const char *client_id, const char *scope,
               int64_t now, const struct cfg_params *p)
{
	char *id = trust_random_b64url(FAMILY_ID_BYTES);
	char *rt = trust_random_b64url(REFRESH_TOKEN_BYTES);

	if (id == NULL || rt == NULL) {
		free(id);
		trust_free_secret(rt);
		return NULL;
	}
	memset(f, 0, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->device, sizeof(f->device), "%s", device);
	snprintf(f->owner, sizeof(f->owner), "%s", owner);
	snprintf(f->client_id, sizeof(f->client_id), "%s", client_id);
	snprintf(f->scope, sizeof(f->scope), "%s", scope);
	f->created = now;
	f->expires = now + (int64_t)p->refresh_token_days * 86400;
	trust_secret_hash(SECRET_REFRESH_TOKEN, rt, strlen(rt), hash);
	free(id);
	return rt;
}

/* An onboarding: the device's code, and with the refresh login flow a new
 * refresh family, in one store transaction (store_code_redeem), so a
 * failure leaves the code for the phone's retry.  0 with *refresh set
 * (NULL without the flow) and fam filled; STORE_NOTFOUND for any wrong
 * code or name (one answer, so nothing tells them apart); -1 on a store
 * error (said in err). */
static int
onboard(struct store *st, const struct cfg_params *params, const char *devname,
        const char *code, const char *client_id, const char *scope, int64_t now,
        char dev[CFG_DEVNAME_MAX], char fam[STORE_ID_MAX], char **refresh,
        char *err, size_t errlen)
{
	struct store_family f;
	struct cfg_device d;
	char code_hash[65], rt_hash[65];
	int rc;

	*refresh = NULL;
	if (cfg_device_name_parse(devname, strlen(devname), dev) < 0 ||
	    strlen(code) != ACTIVATION_CODE_DIGITS ||
	    strspn(code, "0123456789") != ACTIVATION_CODE_DIGITS)
		return STORE_NOTFOUND;
	if ((rc = store_device_get(st, dev, &d, err, errlen)) != 0)
		return rc;              /* an unknown device: a wrong code */
	trust_secret_hash(SECRET_ACTIVATION_CODE, code, strlen(code), code_hash);
	if (params->refresh_login_flow) {
		*refresh = family_prepare(&f, rt_hash, dev, d.owner, client_id, scope,
		                          now, params);
		if (*refresh == NULL) {
			snprintf(err, errlen, "refresh family: out of memory");
			return -1;
		}
	}
	rc = store_code_redeem(st, dev, code_hash, now, *refresh ? &f : NULL,
	                       rt_hash, err, errlen);
	if (rc != 0) {
		trust_free_secret(*refresh);
		*refresh = NULL;
		return rc;
	}
	if (*refresh != NULL)
		snprintf(fam, STORE_ID_MAX, "%s", f.id);
	return 0;
}

/* The reply to an onboarded device: the access token and the refresh token
 * of its new family (refresh, consumed here; NULL without the flow), with
 * the parameters the onboarding used. */
static enum MHD_Result
device_tokens(struct httpsd_listener *l, struct MHD_Connection *c,
              struct httpsd_req *r, struct store *st, const struct cfg_params *params,
              const char *dev, const char *client_id, const char *scope, int64_t now,
              const char *fam, char *refresh)
{
	struct httpsd *h = l->h;
	char err[STORE_ERR_MAX], peer[64], cid[STORE_NAME_MAX * 4];
	char *access;
	int64_t lifetime;
	enum MHD_Result ret;

	lifetime = (int64_t)params->access_token_minutes * 60;
	/* A device token: sub and dev name the device (DESIGN.md "Tokens"). */
	access = mint_access(h, st, dev, dev, client_id, scope, fam, now, lifetime,
	                     err, sizeof(err));
	if (access == NULL) {
		log_msg(LOG_ERR, "mint: %s", err);
		trust_free_secret(refresh);
		return httpsd_reply_oauth_error(c, r, 500, "server_error", NULL, NULL);
	}
	/* client_id: a registered client (a phone: the public one). */
	str_sanitize(cid, sizeof(cid), client_id, strlen(client_id));
	log_msg(LOG_INFO, "onboarded device=%s peer=%s client_id=%s refresh=%s",
	        dev, httpsd_peer(c, peer, sizeof(peer)), cid, refresh ? "yes" : "no");
	ret = token_reply(h, c, r, access, lifetime, scope, refresh);
	trust_free_secret(access);
	trust_free_secret(refresh);
	return ret;
}

/* The scope of a device grant: the words asked for (or every device scope)
 * that the client may use.  0, or -1 when that leaves nothing or asks for
 * more (invalid_scope). */
static int
grant_scope(const char *asked, const struct store_client *cl, char *out,
            size_t outsz)
{
	if (asked == NULL || asked[0] == '\0')
		asked = DEFAULT_SCOPE;
	else if (!httpsd_scope_subset(asked, DEFAULT_SCOPE) ||
	         !httpsd_scope_subset(asked, cl->scope))
		return -1;
	if (httpsd_scope_intersect(asked, cl->scope, out, outsz) < 0)
		return -1;
	return out[0] != '\0' ? 0 : -1;
}

static enum MHD_Result
grant_activation_code(struct httpsd_listener *l, struct MHD_Connection *c,
                      struct httpsd_req *r, struct store *st,
                      const struct httpsd_form *f)
{
	struct httpsd *h = l->h;
	const char *code = httpsd_form_get(f, "activation_code");
	const char *devname = httpsd_form_get(f, "device");
	char dev[CFG_DEVNAME_MAX], scope[STORE_SCOPE_MAX], err[STORE_ERR_MAX];
	char fam[STORE_ID_MAX] = "", *refresh = NULL;
	struct cfg_params params;
	struct httpsd_client cl;
	enum httpsd_client_result cr;
	int64_t now = now_s();
	struct code_keys keys;
	const char *over;
	int rc;

	if (code == NULL || devname == NULL)
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                "activation_code and device are required",
		                                NULL);
	/* A phone without client_id is the registered public client
	 * DEFAULT_CLIENT_ID; any other client must be registered too. */
	cr = httpsd_client_identify(c, st, f, DEFAULT_CLIENT_ID, &cl);
	if (cr != HTTPSD_CLIENT_OK)
		return client_refused(l, c, r, st, cr);
	/* RFC 6749 §5.2: a client none of whose scope is a device's (e.g. a
	 * revoke/introspect client) may not use the device grant at all. */
	if (httpsd_scope_intersect(DEFAULT_SCOPE, cl.cl.scope, scope, sizeof(scope)) < 0 ||
	    scope[0] == '\0') {
		httpsd_log_denial(l, c, "UNAUTHORIZED_CLIENT", devname, NULL,
		                  "client may not use the activation-code grant");
		return httpsd_reply_oauth_error(c, r, 400, "unauthorized_client", NULL,
		                                NULL);
	}
	if (grant_scope(httpsd_form_get(f, "scope"), &cl.cl, scope, sizeof(scope)) < 0)
		return httpsd_reply_oauth_error(c, r, 400, "invalid_scope", NULL, NULL);
	code_keys(c, devname, &keys);
	if ((over = code_limited(h, st, &keys)) != NULL) {
		char ra[16], why[96];
		const char *hd[] = { MHD_HTTP_HEADER_RETRY_AFTER, ra, NULL };
		snprintf(ra, sizeof(ra), "%u", h->o.code_window);
		atomic_fetch_add(&h->m.code_throttled, 1);
		snprintf(why, sizeof(why), "too many failed activation codes for %s", over);
		httpsd_log_denial(l, c, "RATE_LIMITED", devname, NULL, why);
		return httpsd_reply_oauth_error(c, r, 429, "invalid_grant",
		                                "too many failed attempts; retry later",
		                                hd);
	}
	params_get(h, &params);         /* one snapshot for the whole grant */
	rc = onboard(st, &params, devname, code, cl.cl.name, scope, now, dev, fam,
	             &refresh, err, sizeof(err));
	if (rc < 0)
		return store_failed(c, r, st, "activation code", err);
	if (rc != 0) {
		code_failed(h, st, &keys);
		atomic_fetch_add(&h->m.code_failures, 1);
		httpsd_log_denial(l, c, "INVALID_GRANT", devname, NULL,
		                  "activation code unknown, used, expired or of another device");
		return httpsd_reply_oauth_error(c, r, 400, "invalid_grant", NULL, NULL);
	}
	return device_tokens(l, c, r, st, &params, dev, cl.cl.name, scope, now, fam,
	                     refresh);
}

/* Checks a refresh request against its grant before anything changes
 * (RFC 6749 §6): the presented client must be the grant's, and the scope
 * may only narrow.  A refused request leaves the refresh token valid, so the
 * phone's retry is not taken for reuse.  MHD_YES/NO when answered, -1 to
 * go on (and *scope is what to grant). */
static int
refresh_check(struct httpsd_listener *l, struct MHD_Connection *c,
              struct httpsd_req *r, struct store *st,
              const struct httpsd_form *f, const struct store_family *fam,
              const char **scope)
{
	struct httpsd_client cl;
	enum httpsd_client_result cr;

	/* No client named: the grant's own client, which must be public. */
	cr = httpsd_client_identify(c, st, f, fam->client_id, &cl);
	if (cr != HTTPSD_CLIENT_OK)
		return client_refused(l, c, r, st, cr);
	if (strcmp(cl.cl.name, fam->client_id) != 0) {
		httpsd_log_denial(l, c, "INVALID_GRANT", fam->device, NULL,
		                  "refresh token of another client");
		return httpsd_reply_oauth_error(c, r, 400, "invalid_grant", NULL, NULL);
	}
	if (*scope == NULL || (*scope)[0] == '\0') {
		*scope = fam->scope;
	} else if (!httpsd_scope_subset(*scope, fam->scope)) {
		httpsd_log_denial(l, c, "INVALID_SCOPE", fam->device, NULL,
		                  "refresh asked for more than the grant's scope");
		return httpsd_reply_oauth_error(c, r, 400, "invalid_scope",
		                                "wider than the grant's scope", NULL);
	}
	return -1;
}

/* The answers of a rotation that did not succeed.  MHD_YES/NO. */
static enum MHD_Result
refresh_refused(struct httpsd_listener *l, struct MHD_Connection *c,
                struct httpsd_req *r, struct store *st, int rc,
                const struct store_family *fam, const char *err)
{
	struct httpsd *h = l->h;
	char peer[64];

	if (rc < 0)
		return store_failed(c, r, st, "refresh rotate", err);
	if (rc == STORE_ROTATE_REUSED) {
		/* RFC 9700 §4.14.2: a rotated token came back, so one of its
		 * holders is not the device; the store revoked the family. */
		atomic_fetch_add(&h->m.refresh_reuse, 1);
		httpsd_peer(c, peer, sizeof(peer));
		log_msg(LOG_WARNING, "refresh token reuse: family=%s device=%s peer=%s: "
		        "family revoked", fam->id, fam->device[0] ? fam->device : "-", peer);
		httpsd_log_denial(l, c, "REFRESH_REUSE", fam->device, NULL, fam->id);
		(void)gate_refresh(h->gate);    /* the family's revocation */
		return httpsd_reply_oauth_error(c, r, 400, "invalid_grant", NULL, NULL);
	}
	httpsd_log_denial(l, c, "INVALID_GRANT", NULL, NULL,
	                  "refresh token unknown, expired or revoked");
	return httpsd_reply_oauth_error(c, r, 400, "invalid_grant", NULL, NULL);
}

static enum MHD_Result
grant_refresh(struct httpsd_listener *l, struct MHD_Connection *c,
              struct httpsd_req *r, struct store *st,
              const struct httpsd_form *f)
{
	struct httpsd *h = l->h;
	const char *old = httpsd_form_get(f, "refresh_token");
	const char *scope = httpsd_form_get(f, "scope");
	char old_hash[65], new_hash[65], err[STORE_ERR_MAX] = "";
	char *fresh = NULL, *access = NULL;
	struct cfg_params params;
	struct store_family fam, cur_fam;
	int64_t now = now_s(), lifetime;
	enum MHD_Result ret;
	int rc, cur = 0;

	params_get(h, &params);
	if (!params.refresh_login_flow)
		return httpsd_reply_oauth_error(c, r, 400, "unsupported_grant_type",
		                                "the refresh login flow is disabled",
		                                NULL);
	if (old == NULL || old[0] == '\0')
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                "refresh_token is required", NULL);
	trust_secret_hash(SECRET_REFRESH_TOKEN, old, strlen(old), old_hash);
	/* Validate first (the token's current grant), rotate only then. */
	if (store_refresh_find(st, old_hash, &cur_fam, &cur, err, sizeof(err)) == 0 &&
	    cur && cur_fam.revoked == 0 && cur_fam.expires > now &&
	    (rc = refresh_check(l, c, r, st, f, &cur_fam, &scope)) >= 0)
		return (enum MHD_Result)rc;
	if ((fresh = trust_random_b64url(REFRESH_TOKEN_BYTES)) == NULL)
		return httpsd_reply_oauth_error(c, r, 500, "server_error", NULL, NULL);
	trust_secret_hash(SECRET_REFRESH_TOKEN, fresh, strlen(fresh), new_hash);
	memset(&fam, 0, sizeof(fam));
	rc = store_refresh_rotate(st, old_hash, new_hash, now, &fam, err, sizeof(err));
	if (rc != STORE_ROTATE_OK) {
		ret = refresh_refused(l, c, r, st, rc, &fam, err);
		goto out;
	}
	if (scope == NULL || scope[0] == '\0' || !httpsd_scope_subset(scope, fam.scope))
		scope = fam.scope;      /* checked above; a concurrent change narrows */
	lifetime = (int64_t)params.access_token_minutes * 60;
	access = mint_access(h, st, fam.device[0] ? fam.device : fam.owner,
	                     fam.device[0] ? fam.device : NULL, fam.client_id,
	                     scope, fam.id, now, lifetime, err, sizeof(err));
	if (access == NULL) {
		log_msg(LOG_ERR, "mint: %s", err);
		ret = httpsd_reply_oauth_error(c, r, 500, "server_error", NULL, NULL);
		goto out;
	}
	ret = token_reply(h, c, r, access, lifetime, scope, fresh);
out:
	trust_free_secret(access);
	trust_free_secret(fresh);
	return ret;
}

static enum MHD_Result
handle_token(struct httpsd_listener *l, struct MHD_Connection *c,
             struct httpsd_req *r, struct store *st, const struct httpsd_form *f)
{
	const char *gt = httpsd_form_get(f, "grant_type");

	if (gt == NULL)
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                "grant_type is required", NULL);
	if (strcmp(gt, GRANT_ACTIVATION_CODE) == 0)
		return grant_activation_code(l, c, r, st, f);
	if (strcmp(gt, GRANT_REFRESH) == 0)
		return grant_refresh(l, c, r, st, f);
	return httpsd_reply_oauth_error(c, r, 400, "unsupported_grant_type", NULL, NULL);
}

/* The caller of revoke / introspect: a confidential client that
 * authenticated and whose scope has `word` (RFC 7009 §2.1, RFC 7662 §2.1).
 * MHD_YES/NO when refused, -1 to go on (client filled). */
static int
caller_allowed(struct httpsd_listener *l, struct MHD_Connection *c,
               struct httpsd_req *r, struct store *st,
               const struct httpsd_form *f, const char *word, char *client,
               size_t clientsz)
{
	struct httpsd_client cl;
	enum httpsd_client_result cr = httpsd_client_identify(c, st, f, NULL, &cl);

	if (cr == HTTPSD_CLIENT_OK && !cl.authenticated)
		cr = HTTPSD_CLIENT_BAD;         /* a public client cannot call it */
	if (cr == HTTPSD_CLIENT_NONE)
		cr = HTTPSD_CLIENT_BAD;
	if (cr != HTTPSD_CLIENT_OK)
		return client_refused(l, c, r, st, cr);
	if (!httpsd_scope_has(cl.cl.scope, word, strlen(word))) {
		/* Authenticated, but not for this endpoint: 403, so the
		 * caller can tell a missing right from wrong credentials. */
		char why[STORE_NAME_MAX + 64];
		snprintf(why, sizeof(why), "client %s has no \"%s\" scope", cl.cl.name,
		         word);
		httpsd_log_denial(l, c, "UNAUTHORIZED_CLIENT", NULL, NULL, why);
		return httpsd_reply_oauth_error(c, r, 403, "unauthorized_client", why,
		                                NULL);
	}
	snprintf(client, clientsz, "%s", cl.cl.name);
	return -1;
}

static int
looks_like_jwt(const char *t)
{
	const char *d1 = strchr(t, '.');
	return d1 != NULL && strchr(d1 + 1, '.') != NULL;
}

static enum MHD_Result
handle_revoke(struct httpsd_listener *l, struct MHD_Connection *c,
              struct httpsd_req *r, struct store *st, const struct httpsd_form *f)
{
	struct httpsd *h = l->h;
	const char *tok = httpsd_form_get(f, "token");
	char client[STORE_NAME_MAX], err[STORE_ERR_MAX], hash[65];
	int64_t now = now_s();
	int rc;

	if ((rc = caller_allowed(l, c, r, st, f, SCOPE_REVOKE, client,
	                         sizeof(client))) >= 0)
		return (enum MHD_Result)rc;
	if (tok == NULL || tok[0] == '\0')
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                "token is required", NULL);
	/* RFC 7009 §2.2: 200 whether or not the token was valid. */
	if (looks_like_jwt(tok)) {
		struct tok_claims cl;
		enum tok_verdict v;
		v = gate_validate(h->gate, tok, strlen(tok), &cl);
		if (v == TOK_OK) {
			/* RFC 7009 §2.2.1: a revocation not recorded is a 503,
			 * never a 200 the client would trust. */
			if (store_revoke_jti(st, cl.jti, cl.exp, now, err, sizeof(err)) != 0)
				return store_failed(c, r, st, "revoke", err);
			log_msg(LOG_NOTICE, "revoked access token jti=%s device=%s by client=%s",
			        cl.jti, cl.dev[0] ? cl.dev : "-", client);
			(void)gate_refresh(h->gate);
		}
	} else {
		struct store_family fam;

		trust_secret_hash(SECRET_REFRESH_TOKEN, tok, strlen(tok), hash);
		rc = store_refresh_find(st, hash, &fam, NULL, err, sizeof(err));
		if (rc < 0)
			return store_failed(c, r, st, "revoke", err);
		if (rc == 0) {
			/* Revoking the grant also stops its access tokens. */
			if (store_revoke_family(st, fam.id, now, err, sizeof(err)) != 0)
				return store_failed(c, r, st, "revoke family", err);
			log_msg(LOG_NOTICE, "revoked refresh family=%s device=%s by client=%s",
			        fam.id, fam.device[0] ? fam.device : "-", client);
			(void)gate_refresh(h->gate);
		}
	}
	return httpsd_reply_json(c, r, 200, "{}", NULL);
}

static enum MHD_Result
handle_introspect(struct httpsd_listener *l, struct MHD_Connection *c,
                  struct httpsd_req *r, struct store *st,
                  const struct httpsd_form *f)
{
	struct httpsd *h = l->h;
	const char *tok = httpsd_form_get(f, "token");
	char client[STORE_NAME_MAX], err[STORE_ERR_MAX], hash[65];
	json_t *o = NULL;
	char *text;
	enum MHD_Result ret;
	int64_t now = now_s();
	int rc;

	if ((rc = caller_allowed(l, c, r, st, f, SCOPE_INTROSPECT, client,
	                         sizeof(client))) >= 0)
		return (enum MHD_Result)rc;
	if (tok == NULL || tok[0] == '\0')
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                "token is required", NULL);
	if (looks_like_jwt(tok)) {
		struct tok_claims cl;
		enum tok_verdict v;
		const struct gate_snap *snap = gate_snap(h->gate);
		v = gate_validate(h->gate, tok, strlen(tok), &cl);
		/* The validators' clock skew is theirs: our own clock says
		 * whether the token is active now (inactive at exp). */
		if (v == TOK_OK && now < cl.exp && cl.nbf <= now)
			o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
			              "active", 1, "token_type", "access_token",
			              "scope", cl.scope, "client_id", cl.client_id,
			              "sub", cl.sub, "exp", (json_int_t)cl.exp,
			              "iat", (json_int_t)cl.iat, "iss", cl.iss,
			              "aud", snap->audience, "jti", cl.jti);
		gate_snap_release(snap);
		if (o != NULL && cl.dev[0] != '\0')
			json_object_set_new(o, "dev", json_string(cl.dev));
	} else {
		struct store_family fam;
		int cur = 0;
		trust_secret_hash(SECRET_REFRESH_TOKEN, tok, strlen(tok), hash);
		if (store_refresh_find(st, hash, &fam, &cur, err, sizeof(err)) == 0 &&
		    cur && fam.revoked == 0 && fam.expires > now)
			o = json_pack("{s:b, s:s, s:s, s:s, s:I, s:I}", "active", 1,
			              "token_type", "refresh_token", "scope", fam.scope,
			              "client_id", fam.client_id, "exp",
			              (json_int_t)fam.expires, "iat", (json_int_t)fam.created);
	}
	/* RFC 7662 §2.2: anything not active is just {"active":false}. */
	if (o == NULL)
		return httpsd_reply_json(c, r, 200, "{\"active\":false}", NULL);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return MHD_NO;
	ret = httpsd_reply_json(c, r, 200, text, NULL);
	free(text);
	return ret;
}

static enum MHD_Result
handle_metadata(struct httpsd *h, struct MHD_Connection *c, struct httpsd_req *r)
{
	char iss[STORE_PARAM_VALUE_MAX], u[4][STORE_PARAM_VALUE_MAX + 32], *text;
	json_t *o;
	enum MHD_Result ret;
	const char *paths[4] = { "/oauth/token", "/oauth/jwks.json",
	                         "/oauth/revoke", "/oauth/introspect" };
	const char *hd[] = { MHD_HTTP_HEADER_CACHE_CONTROL, "max-age=300", NULL };
	size_t il;

	{
		const struct gate_snap *snap = gate_snap(h->gate);
		snprintf(iss, sizeof(iss), "%s", snap->issuer);
		gate_snap_release(snap);
	}
	il = strlen(iss);
	while (il > 0 && iss[il - 1] == '/')
		iss[--il] = '\0';
	for (int i = 0; i < 4; i++)
		snprintf(u[i], sizeof(u[i]), "%s%s", iss, paths[i]);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s,s], s:[s,s,s], s:[s,s], s:[s,s],"
	              " s:[s], s:[s,s]}",
	              "issuer", iss, "token_endpoint", u[0], "jwks_uri", u[1],
	              "revocation_endpoint", u[2], "introspection_endpoint", u[3],
	              "grant_types_supported", GRANT_ACTIVATION_CODE, GRANT_REFRESH,
	              /* phones are public clients at the token endpoint */
	              "token_endpoint_auth_methods_supported", "none",
	              "client_secret_basic", "client_secret_post",
	              "revocation_endpoint_auth_methods_supported", "client_secret_basic",
	              "client_secret_post",
	              "introspection_endpoint_auth_methods_supported",
	              "client_secret_basic", "client_secret_post",
	              /* RFC 8414 §2 requires the member; there is no
	               * authorization endpoint, so it returns nothing: "none"
	               * (OAuth 2.0 Multiple Response Type Encoding Practices
	               * §5, the registered value for that). */
	              "response_types_supported", "none",
	              "scopes_supported", SCOPE_CONFIG, SCOPE_SIP_REGISTER);
	if (o == NULL)
		return MHD_NO;
	text = json_dumps(o, JSON_INDENT(1));
	json_decref(o);
	if (text == NULL)
		return MHD_NO;
	ret = httpsd_reply(c, r, 200, "application/json", text, strlen(text), hd);
	free(text);
	return ret;
}

static enum MHD_Result
handle_jwks(struct httpsd *h, struct MHD_Connection *c, struct httpsd_req *r)
{
	const struct gate_snap *snap = gate_snap(h->gate);
	const char *hd[] = { MHD_HTTP_HEADER_CACHE_CONTROL, "max-age=300", NULL };
	enum MHD_Result ret;

	ret = httpsd_reply(c, r, 200, "application/jwk-set+json", snap->jwks,
	                   strlen(snap->jwks), hd);
	gate_snap_release(snap);
	return ret;
}

/* The three POST endpoints: a form body, read and written through this
 * thread's store handle.  which: 0 token, 1 revoke, 2 introspect. */
static enum MHD_Result
handle_form(struct httpsd_listener *l, struct MHD_Connection *c,
            struct httpsd_req *r, int which)
{
	struct store *st;
	struct httpsd_form *f;
	enum MHD_Result ret;

	if (!is_form(c) || r->body_too_large)
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                r->body_too_large ? "body too large"
		                                : "expected application/x-www-form-urlencoded",
		                                NULL);
	if (mono_ms() < atomic_load(&store_busy_until))
		return store_busy_reply(c, r);
	if ((st = gate_store(l->h->gate)) == NULL)
		return store_failed(c, r, NULL, "opening", "out of reach");
	if ((f = malloc(sizeof(*f))) == NULL)
		return MHD_NO;
	switch (httpsd_form_parse(r->body ? r->body : "", r->body_len, f)) {
	case HTTPSD_FORM_OK:
		break;
	case HTTPSD_FORM_DUPLICATE:
		free(f);
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                "a parameter is repeated", NULL);
	default:
		free(f);
		return httpsd_reply_oauth_error(c, r, 400, "invalid_request",
		                                "malformed form body", NULL);
	}
	ret = which == 0 ? handle_token(l, c, r, st, f) :
	      which == 1 ? handle_revoke(l, c, r, st, f) :
	                   handle_introspect(l, c, r, st, f);
	mem_wipe(f, sizeof(*f));       /* codes, refresh tokens, secrets */
	free(f);
	return ret;
}

static enum MHD_Result
not_allowed(struct MHD_Connection *c, struct httpsd_req *r, const char *allow)
{
	const char *hd[] = { MHD_HTTP_HEADER_ALLOW, allow, NULL };

	return httpsd_reply(c, r, 405, "text/plain", "method not allowed\n", 19, hd);
}

enum MHD_Result
httpsd_handle_oauth(struct httpsd_listener *l, struct MHD_Connection *c,
                    struct httpsd_req *r, const char *method)
{
	static const char *const posts[] = { "/oauth/token", "/oauth/revoke",
	                                     "/oauth/introspect", NULL };
	const char *uri = r->raw_uri;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int which = -1;

	if (strcmp(uri, "/.well-known/oauth-authorization-server") == 0)
		return get ? handle_metadata(l->h, c, r) : not_allowed(c, r, "GET, HEAD");
	if (strcmp(uri, "/oauth/jwks.json") == 0)
		return get ? handle_jwks(l->h, c, r) : not_allowed(c, r, "GET, HEAD");
	for (int i = 0; posts[i] != NULL; i++) {
		/* A query string on these endpoints carries nothing we read. */
		size_t n = strlen(posts[i]);
		if (strncmp(uri, posts[i], n) == 0 && (uri[n] == '\0' || uri[n] == '?'))
			which = i;
	}
	if (which < 0)
		return httpsd_reply(c, r, 404, "text/plain", "not found\n", 10, NULL);
	if (strcmp(method, "POST") != 0)
		return not_allowed(c, r, "POST");
	return handle_form(l, c, r, which);
}
