/*
 * registrar.c - the registrar (RFC 3261 §10.3, §11; RFC 5626 §6; RFC 8898):
 * its life cycle and counters, the answer to each framed message (OPTIONS,
 * 405, a request too broken to process), and the REGISTER logic, gated by
 * bearer tokens through the authenticator callback.  The binding table is
 * bindings.c; every response is worded in reply.c.
 *
 * A REGISTER goes through these steps, the first refusal answering it:
 * Request-URI domain (400 / 404) → Require (420) → Contacts and the one
 * device they name (400) → AOR from To (400) → credentials and the
 * authenticator's verdict for the device (401 / 407 / 403 / 404) → expiry of
 * each Contact (400 / 423) and Call-ID → under the lock, Call-ID/CSeq
 * ordering and room (400 / 403 / 503), the update, and the 200 listing every
 * current binding of the AOR.  Every check comes before any change.
 *
 * One table serves every event loop, so a 200 lists an AOR's bindings
 * whichever loop holds the connections (a shared line's devices, a phone
 * that reconnected).  The mutex covers the table only: token validation
 * (the auth callback) runs outside it, and the check-and-apply of one
 * REGISTER runs inside it, so two REGISTERs for the same AOR cannot
 * interleave.  Counters are relaxed atomics.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "configgen/configgen.h"
#include "sip/registrar_int.h"

struct sip_registrar {
	struct sip_reg_config cfg;
	sip_auth_fn auth;
	void *auth_arg;
	sip_domain_fn domain_ok;
	pthread_mutex_t lock;           /* the binding table */
	struct sip_bindings *tab;
	struct sip_totag tag;
	struct sip_reg_stats st;        /* atomic members; the table keeps
	                                 * bindings_added and bindings_removed */
};

#define ST_INC(r, field) \
	((void)__atomic_fetch_add(&(r)->st.field, 1, __ATOMIC_RELAXED))

/* ---- the registrar ------------------------------------------------------------ */

void
sip_reg_config_init(struct sip_reg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->style = SIP_CHALLENGE_CISCO;
	snprintf(c->realm, sizeof(c->realm), "%s", "ccmsipline");
	snprintf(c->host, sizeof(c->host), "%s", "oprov");
	c->expires_default = 3600;
	c->expires_min = 60;
	c->expires_max = 120;
	c->max_per_device = SIP_BINDINGS_PER_DEVICE;
	c->max_bindings = SIP_BINDINGS_MAX;
}

sip_registrar *
sip_reg_new(const struct sip_reg_config *cfg, sip_auth_fn auth, void *auth_arg)
{
	sip_registrar *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->cfg = *cfg;
	r->auth = auth;
	r->auth_arg = auth_arg;
	if ((r->tab = sip_bindings_new()) == NULL)
		goto fail;
	if (pthread_mutex_init(&r->lock, NULL) != 0)
		goto fail;
	sip_totag_init(&r->tag);
	return r;
fail:
	sip_bindings_free(r->tab);
	free(r);
	return NULL;
}

void
sip_reg_free(sip_registrar *r)
{
	if (r == NULL)
		return;
	sip_bindings_free(r->tab);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void
sip_reg_set_domain_check(sip_registrar *r, sip_domain_fn fn)
{
	r->domain_ok = fn;
}

void
sip_reg_stats(const sip_registrar *r, struct sip_reg_stats *out)
{
	/* The struct is made of uint64_t only: load it member-wise. */
	const uint64_t *a = (const uint64_t *)&r->st;
	uint64_t *o = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = __atomic_load_n(&a[i], __ATOMIC_RELAXED);
	sip_bindings_counters(r->tab, &out->bindings_added,
	                      &out->bindings_removed);
}

/* ---- the table, locked -------------------------------------------------------- */

size_t
sip_reg_count(sip_registrar *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = sip_bindings_count(r->tab);
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t
sip_reg_conn_closed(sip_registrar *r, uint64_t conn_id)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = sip_bindings_conn_closed(r->tab, conn_id);
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t
sip_reg_expire(sip_registrar *r, int64_t now)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = sip_bindings_expire(r->tab, now);
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t
sip_reg_sweep(sip_registrar *r, sip_keep_fn keep, void *arg)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = sip_bindings_sweep(r->tab, keep, arg);
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t
sip_reg_take_changes(sip_registrar *r, int64_t now,
                     struct sip_binding_change *out, size_t max)
{
	size_t n;

	(void)now;      /* which refreshes to write was decided as they came */
	pthread_mutex_lock(&r->lock);
	n = sip_bindings_take_changes(r->tab, out, max);
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* ---- device names ---------------------------------------------------------
 * The device a Contact names: the vendor's +u.sip!devicename, or the MAC in
 * the last group of its +sip.instance UUID. */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = sip_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
devname_from_hex(const char *hex12, char out[SIP_DEVNAME_MAX])
{
	memcpy(out, "SEP", 3);
	for (int i = 0; i < 12; i++) {
		int c = (unsigned char)hex12[i];
		out[3 + i] = (char)((c >= 'a' && c <= 'f') ? c - 32 : c);
	}
	out[15] = '\0';
}

/* configgen's one rule for device names: SEP + MAC (phones) or a soft
 * client's CSF/BOT/TCT/TAB name (Jabber sends "CSFrado"). */
_Static_assert(SIP_DEVNAME_MAX == CFG_DEVNAME_MAX, "device names as configgen's");
_Static_assert(SIP_FIRMWARE_MAX == CFG_LOAD_MAX, "loads as configgen's");

int
sip_device_from_name(struct sip_str name, char out[SIP_DEVNAME_MAX])
{
	return cfg_device_name_parse(name.p, name.len, out);
}

int
sip_device_from_instance(struct sip_str inst, char out[SIP_DEVNAME_MAX])
{
	/* urn:uuid:8-4-4-4-12 */
	static const char pre[] = "urn:uuid:";
	const char *u;

	if (inst.len != sizeof(pre) - 1 + 36 ||
	    !sip_str_ieq((struct sip_str){ inst.p, sizeof(pre) - 1 }, pre))
		return -1;
	u = inst.p + sizeof(pre) - 1;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return -1;
		} else if (hexval((unsigned char)u[i]) < 0) {
			return -1;
		}
	}
	devname_from_hex(u + 24, out);
	return 0;
}

/* ---- REGISTER --------------------------------------------------------------- */

/* One REGISTER as the steps below read it; each step fills in what the
 * next ones need. */
struct reg_request {
	const struct sip_msg *m;
	const struct sip_conn_info *ci;
	const struct sip_reg_config *cfg; /* the listener's, else the registrar's */
	void *auth_arg;                 /* the listener's, else the registrar's */
	int64_t now;
	struct sip_contact ct[SIP_CONTACTS_MAX];
	int n;                          /* Contacts in ct */
	int star;                       /* "Contact: *" (then the only one) */
	uint32_t granted[SIP_CONTACTS_MAX]; /* seconds for ct[i]; 0 removes */
	char aor[SIP_AOR_MAX];          /* from To */
	char device[SIP_DEVNAME_MAX];   /* named by the Contacts, else the one
	                                 * the authenticator decided for */
	char hint[SIP_DEVNAME_MAX];     /* see sip_auth_query.hint_device */
	char call_id[SIP_CALLID_MAX];
	char jti[TOK_JTI_MAX];          /* the authorising token's id */
	char sub[SIP_SUB_MAX];          /* … its subject and issue time */
	int64_t iat;
	/* the device's oldest bindings this REGISTER replaces (over its cap) */
	const struct sip_binding *victim[SIP_CONTACTS_MAX];
	int nvictims;
	char firmware[SIP_FIRMWARE_MAX]; /* cfg_reported_load, "" if none */
	char path[SIP_CONTACT_MAX];     /* Path values joined by ", " */
	const char *why;                /* the refusal's reason for the log;
	                                 * NULL: the refusal needs no line */
};

/* Notes a refusal: the code answers, `why` goes to the log.  Returns -1,
 * which every step returns when it refuses. */
static int
refuse(struct reg_request *rq, struct sip_reply *rp, int code, const char *why)
{
	rp->code = code;
	rq->why = why;
	return -1;
}

/* "its oldest replaced" lines: a device flooding its own bindings writes at
 * most LOG_RATE_DEFAULT of them a second. */
static struct log_rate replaced_rate = { .what = "sip binding replaced" };

static void
log_refusal(const struct reg_request *rq)
{
	const struct sip_conn_info *ci = rq->ci;
	char dev[64];

	static struct log_rate rate = { .what = "sip refuse" };

	if (!log_rate_ok(&rate, LOG_RATE_DEFAULT))
		return;
	str_sanitize(dev, sizeof(dev), rq->device, strlen(rq->device));
	log_msg(LOG_NOTICE, "sip refuse reason=%s channel=%s peer=%s device=%s "
	        "jti=%s conn=%llu", rq->why, ci->mtls ? "sip-5091" : "sip-5090",
	        ci->peer_addr ? ci->peer_addr : "-", dev[0] ? dev : "-",
	        rq->jti[0] ? rq->jti : "-", (unsigned long long)ci->conn_id);
}

/* RFC 3261 §10.3 step 1: a domain we do not serve.  We are no proxy, so
 * there is nowhere to forward it. */
static int
reg_check_domain(sip_registrar *r, struct reg_request *rq, struct sip_reply *rp)
{
	struct sip_str host;

	if (sip_uri_host(rq->m->ruri, &host) != 0)
		return refuse(rq, rp, 400, "Request-URI is not a sip/sips URI");
	if (r->domain_ok != NULL && !r->domain_ok(rq->auth_arg, rq->ci, host))
		return refuse(rq, rp, 404, "Request-URI domain not served here");
	return 0;
}

/* RFC 3261 §10.3 step 2: an extension we do not implement is a 420 that
 * names it in Unsupported. */
static int
reg_check_require(struct reg_request *rq, struct sip_reply *rp)
{
	if (sip_require_unknown(rq->m, &rp->unsupported))
		return refuse(rq, rp, 420, NULL);
	return 0;
}

/* The Contacts, and the device they name: +u.sip!devicename when it is a
 * device name, else the MAC in the +sip.instance UUID.  Two Contacts
 * naming different devices cannot both be authorized by one token. */
static int
reg_read_contacts(struct reg_request *rq, struct sip_reply *rp)
{
	const char *why;

	rq->n = sip_contacts_parse(rq->m, rq->ct, SIP_CONTACTS_MAX, &why);
	if (rq->n < 0)
		return refuse(rq, rp, 400, why);
	for (int i = 0; i < rq->n; i++) {
		const struct sip_contact *c = &rq->ct[i];
		char d[SIP_DEVNAME_MAX];

		if (c->star) {
			rq->star = 1;
			continue;
		}
		if (sip_device_from_name(c->devicename, d) != 0 &&
		    sip_device_from_instance(c->instance, d) != 0)
			continue;
		if (rq->device[0] && strcmp(rq->device, d) != 0)
			return refuse(rq, rp, 400, "Contacts name two devices");
		memcpy(rq->device, d, sizeof(d));
	}
	return 0;
}

/* The address-of-record from To; when no Contact names a device ("*", a
 * query), the one device of the AOR's bindings as the authenticator's hint. */
static int
reg_read_aor(sip_registrar *r, struct reg_request *rq, struct sip_reply *rp)
{
	struct sip_str uri;

	struct sip_str host;

	if (sip_nameaddr_uri(rq->m->to->value, &uri) != 0 ||
	    sip_aor(uri, rq->aor, sizeof(rq->aor)) != 0 ||
	    sip_uri_host(uri, &host) != 0)
		return refuse(rq, rp, 400, "To is not a sip/sips AOR");
	/* The AOR's domain is checked like the Request-URI's: an AOR of a
	 * domain we do not serve is not ours to bind (RFC 3261 §10.3 step 3). */
	if (r->domain_ok != NULL && !r->domain_ok(rq->auth_arg, rq->ci, host))
		return refuse(rq, rp, 404, "To domain not served here");
	if (!rq->device[0]) {
		pthread_mutex_lock(&r->lock);
		sip_bindings_aor_device(r->tab, rq->aor, rq->hint);
		pthread_mutex_unlock(&r->lock);
	}
	return 0;
}

/* "sip:USER@host": the user part, for the authenticator's line check. */
static struct sip_str
aor_user(const char *aor)
{
	const char *c = strchr(aor, ':'), *at = strchr(aor, '@');

	if (c != NULL && at != NULL && at > c)
		return (struct sip_str){ c + 1, (size_t)(at - c - 1) };
	return (struct sip_str){ NULL, 0 };
}

/* The bearer credential and the authenticator's verdict for the device
 * (the daemon's callback runs policy_decide()).  When the Contacts named no
 * device, the one decided for (or the hint) becomes the request's. */
static int
reg_authorize(sip_registrar *r, struct reg_request *rq, struct sip_reply *rp)
{
	struct sip_auth_query q;
	struct sip_auth_answer a;
	struct sip_str tok = { NULL, 0 };
	enum sip_cred_result cr = sip_bearer_token(rq->m, &tok);

	if (cr == SIP_CRED_CONFLICT)
		return refuse(rq, rp, 400, "conflicting bearer credentials");
	memset(&q, 0, sizeof(q));
	q.device = rq->device;
	q.hint_device = rq->hint;
	q.aor_user = aor_user(rq->aor);
	q.token = tok.p;
	q.token_len = tok.len;
	q.token_present = cr != SIP_CRED_NONE;
	q.token_unreadable = cr == SIP_CRED_BAD;
	q.mtls = rq->ci->mtls;
	q.peer = rq->ci->peer;
	memset(&a, 0, sizeof(a));
	r->auth(rq->auth_arg, &q, &a);
	memcpy(rq->jti, a.jti, sizeof(rq->jti));
	memcpy(rq->sub, a.sub, sizeof(rq->sub));
	rq->sub[sizeof(rq->sub) - 1] = '\0';
	rq->iat = a.iat;
	if (!rq->device[0])
		memcpy(rq->device, a.device[0] ? a.device : rq->hint,
		       sizeof(rq->device));
	rq->device[SIP_DEVNAME_MAX - 1] = '\0';
	if (a.reason != POLICY_ALLOW) {
		sip_reply_for_verdict(rq->cfg, a.reason, rp);
		rq->why = a.why ? a.why : "refused";
		return -1;
	}
	/* Allowed without knowing the device (an owner-bound token and a
	 * request naming none): nothing to scope the update to. */
	if (!rq->device[0])
		return refuse(rq, rp, 400,
		              "no device named by the Contacts or the token");
	return 0;
}

/* Expiry of each Contact: its own parameter, else Expires, else the
 * default; shortened to the maximum; a non-zero request below the minimum
 * is refused with 423 (RFC 3261 §10.3 step 7).  A Contact too long for a
 * binding is refused here too, before anything changes. */
static int
reg_grant_expiry(struct reg_request *rq, struct sip_reply *rp)
{
	const struct sip_reg_config *cfg = rq->cfg;
	long long hdr = rq->m->expires;

	if (rq->star && hdr != 0)
		return refuse(rq, rp, 400, "Contact * without Expires: 0");
	for (int i = 0; i < rq->n; i++) {
		const struct sip_contact *c = &rq->ct[i];
		long long e = c->expires >= 0 ? c->expires :
		              hdr >= 0 ? hdr : cfg->expires_default;

		if (c->star)
			continue;
		if (e > 0 && e < (long long)cfg->expires_min) {
			rp->min_expires = cfg->expires_min;
			return refuse(rq, rp, 423, NULL);
		}
		rq->granted[i] = (uint32_t)(e > (long long)cfg->expires_max ?
		                            cfg->expires_max : e);
		if (c->instance.len >= SIP_INSTANCE_MAX ||
		    c->uri.len >= SIP_CONTACT_MAX)
			return refuse(rq, rp, 400, "Contact too long");
	}
	return 0;
}

/* The load the device reports (for `oprovctl registrations`): configgen
 * reads it from the Reason header's ActiveLoad= item, else from the
 * User-Agent's product token.  Never refuses: most clients send neither. */
static void
reg_read_firmware(struct reg_request *rq)
{
	struct sip_str reason = { NULL, 0 }, ua = { NULL, 0 };

	for (size_t i = 0; i < rq->m->nhdr; i++) {
		const struct sip_hdr *h = &rq->m->hdr[i];

		if (reason.p == NULL && sip_str_ieq(h->name, "Reason"))
			reason = h->value;
		else if (ua.p == NULL && sip_str_ieq(h->name, "User-Agent"))
			ua = h->value;
	}
	(void)cfg_reported_load(reason.p, reason.len, ua.p, ua.len, rq->firmware);
}

/* RFC 3327 §5.3: the registrar keeps the Path vector with the binding and
 * routes requests to the contact through it (a NOTIFY for Apply Config to a
 * device registered through an Expressway-C).  Values are joined with ", "
 * in the order received; a vector longer than SIP_CONTACT_MAX - 1 is
 * refused 400. */
static int
reg_read_path(struct reg_request *rq, struct sip_reply *rp)
{
	size_t len = 0;

	rq->path[0] = '\0';
	for (size_t i = 0; i < rq->m->nhdr; i++) {
		const struct sip_hdr *h = &rq->m->hdr[i];

		if (!sip_str_ieq(h->name, "Path") || h->value.len == 0)
			continue;
		for (size_t j = 0; j < h->value.len; j++)
			if ((unsigned char)h->value.p[j] < 0x20 || h->value.p[j] == 0x7f)
				return refuse(rq, rp, 400, "bad Path");
		if (len + 2 + h->value.len >= sizeof(rq->path))
			return refuse(rq, rp, 400, "Path too long");
		if (len > 0) {
			memcpy(rq->path + len, ", ", 2);
			len += 2;
		}
		memcpy(rq->path + len, h->value.p, h->value.len);
		len += h->value.len;
		rq->path[len] = '\0';
	}
	return 0;
}

static int
reg_read_call_id(struct reg_request *rq, struct sip_reply *rp)
{
	if (sip_str_copy(rq->call_id, sizeof(rq->call_id),
	                 rq->m->call_id->value) != 0)
		return refuse(rq, rp, 400, "Call-ID too long");
	return 0;
}

/* The binding key of Contact i: AOR, +sip.instance (else the Contact URI)
 * and reg-id.  -1 for "*" and for an instance too long for a key: such a
 * Contact is left alone. */
static int
contact_key(const struct reg_request *rq, int i, char inst[SIP_INSTANCE_MAX],
            struct sip_binding_key *k)
{
	const struct sip_contact *c = &rq->ct[i];

	if (c->star || sip_str_copy(inst, SIP_INSTANCE_MAX,
	                            c->instance.len ? c->instance : c->uri) != 0)
		return -1;
	k->aor = rq->aor;
	k->instance = inst;
	k->reg_id = c->reg_id;
	k->device = rq->device;
	return 0;
}

/* 1 when binding b has the key of one of the request's Contacts (it is
 * refreshed or removed by this REGISTER, so it is no eviction victim). */
static int
named_by_request(const struct reg_request *rq, const struct sip_binding *b)
{
	struct sip_binding_key k;
	char inst[SIP_INSTANCE_MAX];

	for (int i = 0; i < rq->n; i++)
		if (contact_key(rq, i, inst, &k) == 0 && b->reg_id == k.reg_id &&
		    strcmp(b->instance, k.instance) == 0 &&
		    strcmp(b->aor, k.aor) == 0)
			return 1;
	return 0;
}

/* Over the device's cap, its oldest bindings that this REGISTER does not
 * name make room: they go first, never another device's.  Fills
 * rq->victim; returns how many of them hold the request's AOR. */
static size_t
pick_victims(sip_registrar *r, struct reg_request *rq, size_t add)
{
	size_t cur = sip_bindings_device_count(r->tab, rq->device);
	size_t cap = rq->cfg->max_per_device, in_aor = 0;

	while (cur + add > cap + (size_t)rq->nvictims &&
	       rq->nvictims < SIP_CONTACTS_MAX) {
		const struct sip_binding *b = NULL, *old = NULL;
		int taken;

		while ((b = sip_bindings_device_next(r->tab, rq->device, b))) {
			taken = named_by_request(rq, b);
			for (int v = 0; v < rq->nvictims && !taken; v++)
				taken = rq->victim[v] == b;
			if (!taken && (old == NULL || b->created < old->created))
				old = b;
		}
		if (old == NULL)
			break;
		rq->victim[rq->nvictims++] = old;
		in_aor += strcmp(old->aor, rq->aor) == 0;
	}
	return in_aor;
}

/* Under the lock, before anything changes: the same Call-ID needs a higher
 * CSeq (RFC 3261 §10.3 step 7); the device may add at most its cap in one
 * REGISTER, its oldest bindings making room for the new ones; the AOR and
 * the table need room for what remains. */
static int
reg_check_locked(sip_registrar *r, struct reg_request *rq, struct sip_reply *rp)
{
	struct sip_binding_key k;
	char inst[SIP_INSTANCE_MAX];
	size_t add = 0, in_aor;

	for (int i = 0; i < rq->n; i++) {
		const struct sip_binding *b;

		if (contact_key(rq, i, inst, &k) != 0)
			continue;
		b = sip_bindings_find(r->tab, &k);
		/* A binding belongs to the device whose token made it: no
		 * other device refreshes, replaces or removes it (a shared
		 * line's devices each keep their own). */
		if (b != NULL && strcmp(b->device, rq->device) != 0)
			return refuse(rq, rp, 403,
			              "Contact names another device's binding");
		if (b != NULL && strcmp(b->call_id, rq->call_id) == 0 &&
		    rq->m->cseq <= b->cseq)
			return refuse(rq, rp, 400, "CSeq not higher than the binding's");
		if (b == NULL && rq->granted[i] != 0)
			add++;
	}
	if (add > rq->cfg->max_per_device)
		return refuse(rq, rp, 403, "more Contacts than a device may bind");
	in_aor = pick_victims(r, rq, add);
	if (sip_bindings_aor_count(r->tab, rq->aor) + add - in_aor >
	    SIP_BINDINGS_PER_AOR)
		return refuse(rq, rp, 403, "too many bindings for the AOR");
	if (sip_bindings_count(r->tab) + add - (size_t)rq->nvictims >
	    r->cfg.max_bindings)
		return refuse(rq, rp, 503, "binding table full");
	return 0;
}

/* Under the lock, the update.  "*" removes the requesting device's bindings
 * of the AOR: a token speaks for one device, and on a shared line one
 * device must not unregister another.  Each other Contact is removed
 * (expiry 0), added or refreshed. */
static int
reg_update_locked(sip_registrar *r, struct reg_request *rq,
                  struct sip_reply *rp)
{
	struct sip_binding_set s = {
		.call_id = rq->call_id, .jti = rq->jti, .sub = rq->sub,
		.iat = rq->iat, .firmware = rq->firmware, .path = rq->path,
		.cseq = rq->m->cseq, .conn_id = rq->ci->conn_id, .now = rq->now,
	};
	struct sip_binding_key k;
	char inst[SIP_INSTANCE_MAX];

	for (int v = 0; v < rq->nvictims; v++) {
		char sane[64];
		str_sanitize(sane, sizeof(sane), rq->victim[v]->instance,
		             strlen(rq->victim[v]->instance));
		if (log_rate_ok(&replaced_rate, LOG_RATE_DEFAULT))
			log_msg(LOG_INFO, "sip device=%s over %u bindings: its oldest "
			        "(%s) replaced", rq->device, rq->cfg->max_per_device, sane);
		sip_bindings_remove(r->tab, rq->victim[v]);
	}
	if (rq->star)
		sip_bindings_del_device(r->tab, rq->aor, rq->device);
	for (int i = 0; i < rq->n; i++) {
		if (contact_key(rq, i, inst, &k) != 0)
			continue;
		if (rq->granted[i] == 0) {
			sip_bindings_del(r->tab, &k);
			continue;
		}
		s.contact = rq->ct[i].uri;
		s.granted = rq->granted[i];
		if (sip_bindings_put(r->tab, &k, &s) != 0)
			return refuse(rq, rp, 503, "out of memory");
	}
	return 0;
}

/* Under the lock, the 200: every current binding of the AOR, and Expires
 * with the longest interval granted (none for "*" or a query). */
static int
reg_reply_ok_locked(sip_registrar *r, struct reg_request *rq,
                    struct sip_reply *rp, char *out, size_t *outlen)
{
	long long expires = -1;

	if (rq->n > 0 && !rq->star) {
		expires = 0;
		for (int i = 0; i < rq->n; i++)
			if (rq->granted[i] > expires)
				expires = rq->granted[i];
	}
	*outlen = sip_reply_bindings(&r->tag, rq->ci, rq->m, r->tab, rq->aor,
	                             rq->path, expires, rq->now, out);
	if (*outlen == 0)
		return refuse(rq, rp, 500, "response too large");
	return 0;
}

/* One counter per answer, for the stats file. */
static void
count_verdict(sip_registrar *r, const struct sip_reply *rp)
{
	if (rp->code == 200)
		ST_INC(r, ok);
	else if (rp->challenge == SIP_CHAL_INVALID_TOKEN)
		ST_INC(r, invalid_token);
	else if (rp->challenge != SIP_CHAL_NONE)
		ST_INC(r, challenges);
	else if (rp->code == 403 && rp->warning == SIP_WARN_PORT_MISMATCH)
		ST_INC(r, port_mismatch);
	else if (rp->code == 403 && rp->warning != SIP_WARN_NONE)
		ST_INC(r, tls_auth_failure);
	else if (rp->code == 403)
		ST_INC(r, forbidden);
	else if (rp->code == 400)
		ST_INC(r, bad_request);
	else
		ST_INC(r, other_errors);
}

/* Runs the steps in order and writes the answer; returns its code. */
static int
handle_register(sip_registrar *r, struct reg_request *rq, char *out,
                size_t *outlen)
{
	struct sip_reply rp = { 0 };
	int failed;

	ST_INC(r, registers);
	if (reg_check_domain(r, rq, &rp) != 0 ||
	    reg_check_require(rq, &rp) != 0 ||
	    reg_read_contacts(rq, &rp) != 0 ||
	    reg_read_aor(r, rq, &rp) != 0 ||
	    reg_authorize(r, rq, &rp) != 0 ||
	    reg_grant_expiry(rq, &rp) != 0 ||
	    reg_read_call_id(rq, &rp) != 0 ||
	    reg_read_path(rq, &rp) != 0)
		goto refused;
	reg_read_firmware(rq);
	pthread_mutex_lock(&r->lock);
	failed = reg_check_locked(r, rq, &rp) != 0 ||
	         reg_update_locked(r, rq, &rp) != 0 ||
	         reg_reply_ok_locked(r, rq, &rp, out, outlen) != 0;
	pthread_mutex_unlock(&r->lock);
	if (!failed) {
		ST_INC(r, ok);
		return 200;
	}
refused:
	if (rq->why != NULL)
		log_refusal(rq);
	count_verdict(r, &rp);
	*outlen = sip_reply_write(&r->tag, rq->cfg, rq->ci, rq->m, &rp, out);
	return rp.code;
}

/* ---- one message ---------------------------------------------------------------- */

enum sip_reg_outcome
sip_reg_handle(sip_registrar *r, const struct sip_conn_info *ci, const char *p,
               const char *end, int64_t now, char *out, size_t *outlen,
               int *status)
{
	const struct sip_reg_config *cfg = ci->cfg ? ci->cfg : &r->cfg;
	struct sip_msg msg, *m = &msg;
	struct sip_reply rp = { 0 };
	enum sip_parse_result pr;
	const char *why;

	*outlen = 0;
	*status = 0;
	ST_INC(r, requests);
	pr = sip_msg_parse(p, end, m, &why);
	if (pr != SIP_PARSE_OK) {
		char sane[96];
		static struct log_rate bad_rate = { .what = "sip bad message" };

		str_sanitize(sane, sizeof(sane), why, strlen(why));
		if (log_rate_ok(&bad_rate, LOG_RATE_DEFAULT))
			log_msg(LOG_INFO, "sip bad message from %s: %s",
			        ci->peer_addr ? ci->peer_addr : "-", sane);
		ST_INC(r, bad_request);
		if (m->is_request && m->from && m->to && m->call_id &&
		    m->cseq_hdr && m->nvia && pr != SIP_PARSE_TOO_BIG) {
			/* enough to answer properly */
			rp.code = pr == SIP_PARSE_BAD_VERSION ? 505 : 400;
			*outlen = sip_reply_write(&r->tag, cfg, ci, m, &rp, out);
			*status = rp.code;
			return SIP_REG_REPLY;
		}
		if (!m->is_request && m->status)
			return SIP_REG_NOTHING;
		*status = pr == SIP_PARSE_TOO_BIG ? 513 :
		          pr == SIP_PARSE_BAD_VERSION ? 505 : 400;
		*outlen = sip_reg_frame_error(*status, out, SIP_RESP_MAX);
		return SIP_REG_REPLY_CLOSE;
	}
	if (!m->is_request || m->method == SIP_M_ACK)
		return SIP_REG_NOTHING; /* nothing answers a response or an ACK */
	switch (m->method) {
	case SIP_M_REGISTER: {
		struct reg_request rq = {
			.m = m, .ci = ci, .cfg = cfg, .now = now,
			.auth_arg = ci->auth_arg ? ci->auth_arg : r->auth_arg,
		};
		*status = handle_register(r, &rq, out, outlen);
		return SIP_REG_REPLY;
	}
	case SIP_M_OPTIONS:
		ST_INC(r, options);
		if (sip_require_unknown(m, &rp.unsupported))
			rp.code = 420;
		else
			rp.code = 200, rp.allow = 1;
		break;
	default:
		rp.code = 405;
		break;
	}
	count_verdict(r, &rp);
	*outlen = sip_reply_write(&r->tag, cfg, ci, m, &rp, out);
	*status = rp.code;
	return SIP_REG_REPLY;
}
