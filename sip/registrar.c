/*
 * registrar.c - REGISTER and OPTIONS handling (RFC 3261 §10.3, §11; RFC 5626
 * §6; RFC 8898) gated by bearer tokens, and the in-memory binding table with
 * its write-behind list.
 *
 * Processing order follows RFC 3261 §10.3: Require (420) → credentials →
 * authorization for the device (policy_decide through the callback) → AOR
 * from To → Contacts and their expiry (400 / 423) → Call-ID/CSeq ordering →
 * all-or-nothing update → 200 listing every current binding of the AOR.
 *
 * One table serves every event loop, so a 200 lists an AOR's bindings
 * whichever loop holds the connections (a shared line's devices, a phone
 * that reconnected).  The mutex covers the table and the write-behind lists
 * only: token validation (the auth callback) runs outside it, and the
 * check-and-apply of one REGISTER runs inside it, so two REGISTERs for the
 * same AOR cannot interleave.  Counters are relaxed atomics.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/common.h"
#include "sip/sip.h"
#include "sip/sip_int.h"

#define BUCKETS 65536u          /* power of two; chains stay short */
#define CONN_BUCKETS 4096u      /* connection id -> its bindings */

struct conn_head {
	uint64_t conn_id;
	struct sip_binding *first;
	struct conn_head *next;
};

struct sip_registrar {
	struct sip_reg_config cfg;
	sip_auth_fn auth;
	void *auth_arg;
	sip_domain_fn domain_ok;
	pthread_mutex_t lock;           /* everything below but tag, tag_seq, st */
	struct sip_binding *bucket[BUCKETS];
	struct conn_head *cbucket[CONN_BUCKETS];
	size_t count;
	struct sip_binding **dirty;     /* write-behind puts */
	size_t ndirty, dirty_cap;
	struct sip_binding_change *dels;/* write-behind deletes */
	size_t ndels, dels_cap;
	char tag[17];                   /* To tag we add */
	uint64_t tag_seq;               /* atomic */
	struct sip_reg_stats st;        /* atomic members */
};

#define ST_INC(r, field) \
	((void)__atomic_fetch_add(&(r)->st.field, 1, __ATOMIC_RELAXED))

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
}

sip_registrar *
sip_reg_new(const struct sip_reg_config *cfg, sip_auth_fn auth, void *auth_arg)
{
	sip_registrar *r = calloc(1, sizeof(*r));
	uint8_t rnd[8];

	if (r == NULL)
		return NULL;
	r->cfg = *cfg;
	r->auth = auth;
	r->auth_arg = auth_arg;
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(r->tag + 2 * i, 3, "%02x", rnd[i]);
	return r;
}

void
sip_reg_free(sip_registrar *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct sip_binding *b = r->bucket[i], *n;
		for (; b != NULL; b = n) {
			n = b->next;
			free(b);
		}
	}
	for (size_t i = 0; i < CONN_BUCKETS; i++) {
		struct conn_head *h = r->cbucket[i], *n;
		for (; h != NULL; h = n) {
			n = h->next;
			free(h);
		}
	}
	free(r->dirty);
	free(r->dels);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void
sip_reg_set_config(sip_registrar *r, const struct sip_reg_config *cfg)
{
	r->cfg = *cfg;
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
}

size_t
sip_reg_count(sip_registrar *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->count;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* ---- device names --------------------------------------------------------- */

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

int
sip_device_from_name(struct sip_str name, char out[SIP_DEVNAME_MAX])
{
	if (name.len != 15 || sip_lower(name.p[0]) != 's' ||
	    sip_lower(name.p[1]) != 'e' || sip_lower(name.p[2]) != 'p')
		return -1;
	for (int i = 3; i < 15; i++)
		if (hexval((unsigned char)name.p[i]) < 0)
			return -1;
	devname_from_hex(name.p + 3, out);
	return 0;
}

int
sip_device_from_instance(struct sip_str inst, char out[SIP_DEVNAME_MAX])
{
	/* urn:uuid:8-4-4-4-12; the vendor puts the MAC in the last group. */
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

/* ---- the table ------------------------------------------------------------ */

/* Keyed by the per-process SipHash of common/, so a peer cannot pick AORs
 * that pile into one chain. */
static struct sip_binding **
bucket_of(sip_registrar *r, const char *aor)
{
	return &r->bucket[hash_string(aor) & (BUCKETS - 1)];
}

static struct sip_binding *
find(sip_registrar *r, const char *aor, const char *instance, int64_t reg_id)
{
	for (struct sip_binding *b = *bucket_of(r, aor); b; b = b->next)
		if (b->reg_id == reg_id && strcmp(b->aor, aor) == 0 &&
		    strcmp(b->instance, instance) == 0)
			return b;
	return NULL;
}

static size_t
aor_count(sip_registrar *r, const char *aor)
{
	size_t n = 0;

	for (struct sip_binding *b = *bucket_of(r, aor); b; b = b->next)
		if (strcmp(b->aor, aor) == 0)
			n++;
	return n;
}

static int
grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t nc;
	void *n;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 64;
	while (nc < need)
		nc *= 2;
	n = realloc(*arr, nc * elem);
	if (n == NULL)
		return -1;
	*arr = n;
	*cap = nc;
	return 0;
}

static void
mark_dirty(sip_registrar *r, struct sip_binding *b)
{
	if (b->dirty)
		return;
	if (grow((void **)&r->dirty, &r->dirty_cap, r->ndirty + 1,
	         sizeof(*r->dirty)) != 0)
		return;                 /* the store catches up at next refresh */
	r->dirty[r->ndirty++] = b;
	b->dirty = (int)r->ndirty;
}

static void
unlink_dirty(sip_registrar *r, struct sip_binding *b)
{
	size_t i;

	if (!b->dirty)
		return;
	i = (size_t)b->dirty - 1;
	r->dirty[i] = r->dirty[--r->ndirty];
	if (i < r->ndirty)
		r->dirty[i]->dirty = (int)i + 1;
	b->dirty = 0;
}

static struct conn_head **
conn_slot(sip_registrar *r, uint64_t id)
{
	struct conn_head **hp = &r->cbucket[(id * 0x9e3779b97f4a7c15ull) >> 52];

	while (*hp != NULL && (*hp)->conn_id != id)
		hp = &(*hp)->next;
	return hp;
}

static void
conn_unlink(sip_registrar *r, struct sip_binding *b)
{
	if (b->cprev == NULL)
		return;
	*b->cprev = b->cnext;
	if (b->cnext != NULL)
		b->cnext->cprev = b->cprev;
	b->cnext = NULL;
	b->cprev = NULL;
	{
		struct conn_head **hp = conn_slot(r, b->conn_id), *h = *hp;
		if (h != NULL && h->first == NULL) {
			*hp = h->next;
			free(h);
		}
	}
}

/* Files b under connection `id` (the binding follows its latest REGISTER's
 * connection).  -1 only when out of memory (the binding then just expires). */
static int
conn_link(sip_registrar *r, struct sip_binding *b, uint64_t id)
{
	struct conn_head **hp, *h;

	if (b->cprev != NULL && b->conn_id == id)
		return 0;
	conn_unlink(r, b);
	b->conn_id = id;
	hp = conn_slot(r, id);
	if ((h = *hp) == NULL) {
		h = calloc(1, sizeof(*h));
		if (h == NULL)
			return -1;
		h->conn_id = id;
		*hp = h;
	}
	b->cnext = h->first;
	if (h->first != NULL)
		h->first->cprev = &b->cnext;
	h->first = b;
	b->cprev = &h->first;
	return 0;
}

/* Unlinks *pp (the binding) from its chain and frees it. */
static void
remove_at(sip_registrar *r, struct sip_binding **pp)
{
	struct sip_binding *b = *pp;

	*pp = b->next;
	unlink_dirty(r, b);
	conn_unlink(r, b);
	if (b->stored_expires != 0 &&
	    grow((void **)&r->dels, &r->dels_cap, r->ndels + 1,
	         sizeof(*r->dels)) == 0) {
		struct sip_binding_change *c = &r->dels[r->ndels++];
		c->del = 1;
		c->b = *b;
		c->b.next = NULL;
	}
	free(b);
	r->count--;
	ST_INC(r, bindings_removed);
}

static size_t
sweep(sip_registrar *r, int (*match)(const struct sip_binding *, const void *),
      const void *arg)
{
	size_t n = 0;

	if (r->count == 0)
		return 0;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct sip_binding **pp = &r->bucket[i];
		while (*pp != NULL) {
			if (match(*pp, arg)) {
				remove_at(r, pp);
				n++;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return n;
}

static int
match_expired(const struct sip_binding *b, const void *arg)
{
	return b->expires_at <= *(const int64_t *)arg;
}

size_t
sip_reg_conn_closed(sip_registrar *r, uint64_t conn_id)
{
	struct conn_head *h;
	size_t n = 0;

	pthread_mutex_lock(&r->lock);
	h = *conn_slot(r, conn_id);
	/* Each removal may free the head when its list empties. */
	while (h != NULL && h->first != NULL) {
		struct sip_binding *b = h->first, **pp = bucket_of(r, b->aor);
		int last = b->cnext == NULL;

		while (*pp != NULL && *pp != b)
			pp = &(*pp)->next;
		if (*pp == NULL)
			break;                  /* broken invariant: leave it */
		remove_at(r, pp);
		n++;
		if (last)
			break;
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t
sip_reg_expire(sip_registrar *r, int64_t now)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = sweep(r, match_expired, &now);
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t
sip_reg_take_changes(sip_registrar *r, int64_t now,
                     struct sip_binding_change *out, size_t max)
{
	size_t n = 0;

	(void)now;
	pthread_mutex_lock(&r->lock);
	while (n < max && r->ndels > 0)
		out[n++] = r->dels[--r->ndels];
	while (n < max && r->ndirty > 0) {
		struct sip_binding *b = r->dirty[--r->ndirty];
		b->dirty = 0;
		b->stored_expires = b->expires_at;
		out[n].del = 0;
		out[n].b = *b;
		out[n].b.next = NULL;
		n++;
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* ---- responses --------------------------------------------------------------- */

struct wbuf {
	char *p;
	size_t len, cap;
	int overflow;
};

static void
w_mem(struct wbuf *w, const void *s, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
w_str(struct wbuf *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

static void OPROV_PRINTF(2, 3)
w_fmt(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	k = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	w->len += (size_t)k;
}

static void
w_hdr(struct wbuf *w, const char *name, struct sip_str v)
{
	w_str(w, name);
	w_str(w, ": ");
	w_mem(w, v.p, v.len);
	w_str(w, "\r\n");
}

static const char *
reason_phrase(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 420: return "Bad Extension";
	case 423: return "Interval Too Brief";
	case 500: return "Server Internal Error";
	case 503: return "Service Unavailable";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	default: return "Error";
	}
}

/* Status line and the copied headers (RFC 3261 §8.2.6.2): every Via in
 * order, From, To (with our tag when it had none), Call-ID, CSeq. */
static void
w_start(sip_registrar *r, struct wbuf *w, const struct sip_msg *m, int code)
{
	struct sip_str tag;

	w_fmt(w, "SIP/2.0 %d %s\r\n", code, reason_phrase(code));
	for (size_t i = 0; i < m->nhdr; i++)
		if (m->hdr[i].id == SIP_H_VIA)
			w_hdr(w, "Via", m->hdr[i].value);
	w_hdr(w, "From", m->from->value);
	w_str(w, "To: ");
	w_mem(w, m->to->value.p, m->to->value.len);
	if (sip_hdr_param(m->to->value, "tag", &tag) == 0)
		w_fmt(w, ";tag=%s%llx", r->tag, (unsigned long long)
		      __atomic_add_fetch(&r->tag_seq, 1, __ATOMIC_RELAXED));
	w_str(w, "\r\n");
	w_hdr(w, "Call-ID", m->call_id->value);
	w_hdr(w, "CSeq", m->cseq_hdr->value);
}

static void
w_finish(struct wbuf *w)
{
	w_str(w, "Content-Length: 0\r\n\r\n");
}

static void
w_date(struct wbuf *w, int64_t now)
{
	/* Formatted once a second per thread, not once per response. */
	static __thread int64_t at = -1;
	static __thread char buf[64];
	struct tm tm;
	time_t t = (time_t)now;

	if (now != at) {
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
			return;
		at = now;
	}
	w_fmt(w, "Date: %s\r\n", buf);
}

/* ---- request handling --------------------------------------------------------- */

#define WARN_PORT_MISMATCH "SIP OAuth Registration port Mismatch"

struct reply {
	int code;
	const char *warning;            /* Warning 399 text or NULL */
	int challenge;                  /* 1 plain, 2 with invalid_token */
	struct sip_str unsupported;
	unsigned min_expires;
	int allow;
};

static void
log_refusal(const struct sip_conn_info *ci, const char *what,
            const char *device, const char *jti)
{
	char dev[64];

	str_sanitize(dev, sizeof(dev), device, strlen(device));
	log_msg(LOG_NOTICE, "sip refuse reason=%s channel=%s peer=%s device=%s "
	        "jti=%s conn=%llu", what, ci->mtls ? "sip-5091" : "sip-5090",
	        ci->peer_addr ? ci->peer_addr : "-", dev[0] ? dev : "-",
	        jti && jti[0] ? jti : "-", (unsigned long long)ci->conn_id);
}

static size_t
write_reply(sip_registrar *r, const struct sip_reg_config *cfg,
            const struct sip_msg *m, const struct reply *rp, char *out)
{
	struct wbuf w = { out, 0, SIP_RESP_MAX, 0 };

	w_start(r, &w, m, rp->code);
	if (rp->challenge) {
		const char *err = rp->challenge == 2 ? ", error=\"invalid_token\"" : "";
		if (cfg->style == SIP_CHALLENGE_RFC8898)
			w_fmt(&w, "WWW-Authenticate: Bearer realm=\"%s\", "
			      "authz_server=\"%s\"%s\r\n", cfg->realm,
			      cfg->authz_server, err);
		else
			w_fmt(&w, "Proxy-Authenticate: Bearer realm=\"%s\"%s\r\n",
			      cfg->realm, err);
	}
	if (rp->warning != NULL)
		w_fmt(&w, "Warning: 399 %s \"%s\"\r\n", cfg->host, rp->warning);
	if (rp->unsupported.len)
		w_hdr(&w, "Unsupported", rp->unsupported);
	if (rp->min_expires)
		w_fmt(&w, "Min-Expires: %u\r\n", rp->min_expires);
	if (rp->allow || rp->code == 405)
		w_str(&w, "Allow: REGISTER, OPTIONS, ACK\r\n");
	if (rp->code == 503)
		w_fmt(&w, "Retry-After: %d\r\n", SIP_RETRY_AFTER_FULL);
	else if (rp->code == 403 && rp->warning != NULL &&
	         strcmp(rp->warning, WARN_PORT_MISMATCH) == 0)
		w_fmt(&w, "Retry-After: %d\r\n", SIP_RETRY_AFTER_MISMATCH);
	w_finish(&w);
	return w.overflow ? 0 : w.len;
}

/* Copies a counted string into a fixed field; -1 when it does not fit. */
static int
copy_field(char *dst, size_t dstsz, struct sip_str s)
{
	if (s.len >= dstsz)
		return -1;
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

static void
count_verdict(sip_registrar *r, int code, const char *warning, int challenge)
{
	if (code == 200)
		ST_INC(r, ok);
	else if (challenge == 2)
		ST_INC(r, invalid_token);
	else if (challenge)
		ST_INC(r, challenges);
	else if (code == 403 && warning && strcmp(warning, WARN_PORT_MISMATCH) == 0)
		ST_INC(r, port_mismatch);
	else if (code == 403 && warning)
		ST_INC(r, tls_auth_failure);
	else if (code == 403)
		ST_INC(r, forbidden);
	else if (code == 400)
		ST_INC(r, bad_request);
	else
		ST_INC(r, other_errors);
}

/* The device of the AOR's bindings when they all belong to one ("" when
 * there are none or several).  Under the lock. */
static void
aor_device(sip_registrar *r, const char *aor, char out[SIP_DEVNAME_MAX])
{
	out[0] = '\0';
	for (struct sip_binding *b = *bucket_of(r, aor); b; b = b->next) {
		if (strcmp(b->aor, aor) != 0 || !b->device[0])
			continue;
		if (out[0] && strcmp(out, b->device) != 0) {
			out[0] = '\0';
			return;
		}
		memcpy(out, b->device, SIP_DEVNAME_MAX);
	}
}

static int
contact_key(const struct sip_contact *c, char inst[SIP_INSTANCE_MAX])
{
	return copy_field(inst, SIP_INSTANCE_MAX,
	                  c->instance.len ? c->instance : c->uri);
}

/* Steps after authorization, under the lock: ordering, limits, the update
 * and the 200.  Returns 200 (response written to out) or the error code,
 * with *why set for the log when the refusal deserves a line. */
static int
apply_locked(sip_registrar *r, const struct sip_conn_info *ci,
             const struct sip_msg *m, const struct sip_contact *ct, int n,
             int star, const uint32_t *granted, const char *aor,
             const char *device, const char *call_id, int64_t now,
             char *out, size_t *outlen, const char **why)
{
	char inst[SIP_INSTANCE_MAX];
	size_t have = 0, add = 0;

	/* Ordering (RFC 3261 §10.3 step 7): the same Call-ID needs a higher
	 * CSeq; checked for every Contact before anything changes. */
	for (int i = 0; i < n; i++) {
		struct sip_binding *b;
		if (ct[i].star || contact_key(&ct[i], inst) != 0)
			continue;
		b = find(r, aor, inst, ct[i].reg_id);
		if (b != NULL && strcmp(b->call_id, call_id) == 0 &&
		    m->cseq <= b->cseq)
			return (*why = "CSeq not higher than the binding's"), 400;
	}
	have = aor_count(r, aor);
	for (int i = 0; i < n; i++) {
		if (ct[i].star || granted[i] == 0)
			continue;
		if (contact_key(&ct[i], inst) == 0 &&
		    find(r, aor, inst, ct[i].reg_id) == NULL)
			add++;
	}
	if (have + add > SIP_BINDINGS_PER_AOR)
		return (*why = "too many bindings for the AOR"), 403;
	if (r->count + add > SIP_BINDINGS_MAX)
		return (*why = "binding table full"), 503;

	/* Apply.  "*" removes the requesting device's bindings of the AOR: a
	 * token speaks for one device, and on a shared line one device must
	 * not unregister another. */
	if (star) {
		struct sip_binding **pp = bucket_of(r, aor);
		while (*pp != NULL) {
			if (strcmp((*pp)->aor, aor) == 0 &&
			    strcmp((*pp)->device, device) == 0)
				remove_at(r, pp);
			else
				pp = &(*pp)->next;
		}
	}
	for (int i = 0; i < n; i++) {
		struct sip_binding *b, **pp;
		if (ct[i].star || contact_key(&ct[i], inst) != 0)
			continue;
		for (pp = bucket_of(r, aor); *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->reg_id == ct[i].reg_id &&
			    strcmp((*pp)->aor, aor) == 0 &&
			    strcmp((*pp)->instance, inst) == 0)
				break;
		b = *pp;
		if (granted[i] == 0) {
			if (b != NULL)
				remove_at(r, pp);
			continue;
		}
		if (b == NULL) {
			b = calloc(1, sizeof(*b));
			if (b == NULL)
				return (*why = "out of memory"), 503;
			snprintf(b->aor, sizeof(b->aor), "%s", aor);
			memcpy(b->instance, inst, sizeof(inst));
			b->reg_id = ct[i].reg_id;
			b->next = *bucket_of(r, aor);
			*bucket_of(r, aor) = b;
			r->count++;
			ST_INC(r, bindings_added);
			mark_dirty(r, b);
		}
		if (b->conn_id != ci->conn_id ||
		    b->contact[0] == '\0' ||
		    strlen(b->contact) != ct[i].uri.len ||
		    memcmp(b->contact, ct[i].uri.p, ct[i].uri.len) != 0 ||
		    b->stored_expires - now < (int64_t)granted[i] / 2)
			mark_dirty(r, b);
		(void)copy_field(b->contact, sizeof(b->contact), ct[i].uri);
		snprintf(b->device, sizeof(b->device), "%s", device);
		snprintf(b->call_id, sizeof(b->call_id), "%s", call_id);
		b->cseq = m->cseq;
		b->expires_at = now + granted[i];
		(void)conn_link(r, b, ci->conn_id);
	}

	/* 200 with every current binding of the AOR. */
	{
		struct wbuf w = { out, 0, SIP_RESP_MAX, 0 };
		int outbound = 0;
		uint32_t hdr_exp = 0;

		w_start(r, &w, m, 200);
		for (struct sip_binding *b = *bucket_of(r, aor); b; b = b->next) {
			if (strcmp(b->aor, aor) != 0)
				continue;
			w_fmt(&w, "Contact: <%s>;expires=%lld", b->contact,
			      (long long)(b->expires_at > now ? b->expires_at - now : 0));
			if (b->instance[0] && strcmp(b->instance, b->contact) != 0)
				w_fmt(&w, ";+sip.instance=\"<%s>\"", b->instance);
			if (b->reg_id) {
				w_fmt(&w, ";reg-id=%lld", (long long)b->reg_id);
				outbound = 1;
			}
			w_str(&w, "\r\n");
		}
		for (int i = 0; i < n; i++)
			if (!ct[i].star && granted[i] > hdr_exp)
				hdr_exp = granted[i];
		if (n > 0 && !star)
			w_fmt(&w, "Expires: %u\r\n", hdr_exp);
		if (outbound)
			w_str(&w, "Require: outbound\r\n");
		w_date(&w, now);
		w_finish(&w);
		if (w.overflow)
			return (*why = "response too large"), 500;
		*outlen = w.len;
	}
	return 200;
}

static enum sip_reg_outcome
handle_register(sip_registrar *r, const struct sip_conn_info *ci,
                const struct sip_reg_config *cfg, const struct sip_msg *m,
                int64_t now, char *out, size_t *outlen, int *status)
{
	struct sip_contact ct[SIP_CONTACTS_MAX];
	struct sip_auth_query q;
	struct sip_auth_answer a;
	struct reply rp = { 0 };
	struct sip_str uri, host, tok = { NULL, 0 };
	char aor[SIP_AOR_MAX], device[SIP_DEVNAME_MAX] = "";
	char hint[SIP_DEVNAME_MAX] = "";
	char call_id[SIP_CALLID_MAX];
	uint32_t granted[SIP_CONTACTS_MAX];
	void *arg = ci->auth_arg ? ci->auth_arg : r->auth_arg;
	const char *why = NULL;
	int n, star = 0, code;
	enum sip_cred_result cr;

	memset(&a, 0, sizeof(a));
	ST_INC(r, registers);
	/* RFC 3261 §10.3 step 1: a domain we do not serve.  We are no proxy,
	 * so there is nowhere to forward it. */
	if (sip_uri_host(m->ruri, &host) != 0) {
		rp.code = 400;
		why = "Request-URI is not a sip/sips URI";
		goto reply;
	}
	if (r->domain_ok != NULL && !r->domain_ok(arg, ci, host)) {
		rp.code = 404;
		why = "Request-URI domain not served here";
		goto reply;
	}
	if (sip_require_unknown(m, &rp.unsupported)) {
		rp.code = 420;
		goto reply;
	}
	n = sip_contacts_parse(m, ct, SIP_CONTACTS_MAX, &why);
	if (n < 0) {
		rp.code = 400;
		goto reply;
	}
	/* The device named by the Contacts: +u.sip!devicename when it is a
	 * device name, else the MAC in the +sip.instance UUID.  Two Contacts
	 * naming different devices cannot both be authorized by one token. */
	for (int i = 0; i < n; i++) {
		char d[SIP_DEVNAME_MAX];
		if (ct[i].star) {
			star = 1;
			continue;
		}
		if (sip_device_from_name(ct[i].devicename, d) != 0 &&
		    sip_device_from_instance(ct[i].instance, d) != 0)
			continue;
		if (device[0] && strcmp(device, d) != 0) {
			rp.code = 400;
			why = "Contacts name two devices";
			goto reply;
		}
		memcpy(device, d, sizeof(d));
	}
	if (sip_nameaddr_uri(m->to->value, &uri) != 0 ||
	    sip_aor(uri, aor, sizeof(aor)) != 0) {
		rp.code = 400;
		why = "To is not a sip/sips AOR";
		goto reply;
	}
	if (!device[0]) {
		pthread_mutex_lock(&r->lock);
		aor_device(r, aor, hint);
		pthread_mutex_unlock(&r->lock);
	}

	cr = sip_bearer_token(m, &tok);
	if (cr == SIP_CRED_CONFLICT) {
		rp.code = 400;
		why = "conflicting bearer credentials";
		goto reply;
	}
	memset(&q, 0, sizeof(q));
	q.device = device;
	q.hint_device = hint;
	{
		/* "sip:USER@host": the user part, for the line check. */
		const char *c = strchr(aor, ':'), *at = strchr(aor, '@');
		if (c != NULL && at != NULL && at > c)
			q.aor_user = (struct sip_str){ c + 1, (size_t)(at - c - 1) };
	}
	q.token = tok.p;
	q.token_len = tok.len;
	q.token_present = cr != SIP_CRED_NONE;
	q.token_unreadable = cr == SIP_CRED_BAD;
	q.mtls = ci->mtls;
	q.peer = ci->peer;
	r->auth(arg, &q, &a);
	if (!device[0])
		memcpy(device, a.device[0] ? a.device : hint, sizeof(device));
	device[SIP_DEVNAME_MAX - 1] = '\0';
	why = a.why ? a.why : "refused";
	switch (a.reason) {
	case POLICY_ALLOW:
		why = NULL;
		break;
	case POLICY_NO_TOKEN:
		rp.code = cfg->style == SIP_CHALLENGE_RFC8898 ? 401 : 407;
		rp.challenge = 1;
		goto reply;
	case POLICY_INVALID_TOKEN:
		rp.code = cfg->style == SIP_CHALLENGE_RFC8898 ? 401 : 407;
		rp.challenge = 2;
		goto reply;
	case POLICY_PORT_MISMATCH:
		rp.code = 403;
		rp.warning = WARN_PORT_MISMATCH;
		goto reply;
	case POLICY_PEER_NOT_TRUSTED:
		rp.code = 403;
		rp.warning = "TLS authentication failure";
		goto reply;
	case POLICY_NOT_FOUND:
		rp.code = 404;
		goto reply;
	default:
		rp.code = 403;
		goto reply;
	}
	if (!device[0]) {
		/* Allowed without knowing the device (an owner-bound token and a
		 * request naming none): nothing to scope the update to. */
		rp.code = 400;
		why = "no device named by the Contacts or the token";
		goto reply;
	}

	/* Expiry of each Contact: its own parameter, else Expires, else the
	 * default; shortened to the maximum; a non-zero request below the
	 * minimum is refused with 423 (RFC 3261 §10.3 step 7). */
	if (star && m->expires != 0) {
		rp.code = 400;
		why = "Contact * without Expires: 0";
		goto reply;
	}
	for (int i = 0; i < n; i++) {
		long long e = ct[i].expires >= 0 ? ct[i].expires :
		              m->expires >= 0 ? m->expires : cfg->expires_default;
		if (ct[i].star)
			continue;
		if (e > 0 && e < (long long)cfg->expires_min) {
			rp.code = 423;
			rp.min_expires = cfg->expires_min;
			goto reply;
		}
		granted[i] = (uint32_t)(e > (long long)cfg->expires_max ?
		                        cfg->expires_max : e);
		if (ct[i].instance.len >= SIP_INSTANCE_MAX ||
		    ct[i].uri.len >= SIP_CONTACT_MAX) {
			rp.code = 400;
			why = "Contact too long";
			goto reply;
		}
	}
	if (copy_field(call_id, sizeof(call_id), m->call_id->value) != 0) {
		rp.code = 400;
		why = "Call-ID too long";
		goto reply;
	}

	pthread_mutex_lock(&r->lock);
	code = apply_locked(r, ci, m, ct, n, star, granted, aor, device, call_id,
	                    now, out, outlen, &why);
	pthread_mutex_unlock(&r->lock);
	if (code == 200) {
		*status = 200;
		ST_INC(r, ok);
		return SIP_REG_REPLY;
	}
	rp.code = code;

reply:
	if (why != NULL)
		log_refusal(ci, why, device, a.jti);
	count_verdict(r, rp.code, rp.warning, rp.challenge);
	*outlen = write_reply(r, cfg, m, &rp, out);
	*status = rp.code;
	return SIP_REG_REPLY;
}

enum sip_reg_outcome
sip_reg_handle(sip_registrar *r, const struct sip_conn_info *ci, const char *p,
               const char *end, int64_t now, char *out, size_t *outlen,
               int *status)
{
	const struct sip_reg_config *cfg = ci->cfg ? ci->cfg : &r->cfg;
	struct sip_msg msg, *m = &msg;
	struct reply rp = { 0 };
	enum sip_parse_result pr;
	enum sip_reg_outcome oc = SIP_REG_REPLY;
	const char *why;

	*outlen = 0;
	*status = 0;
	ST_INC(r, requests);
	pr = sip_msg_parse(p, end, m, &why);
	if (pr != SIP_PARSE_OK) {
		char sane[96];
		str_sanitize(sane, sizeof(sane), why, strlen(why));
		log_msg(LOG_INFO, "sip bad message from %s: %s",
		        ci->peer_addr ? ci->peer_addr : "-", sane);
		ST_INC(r, bad_request);
		if (m->is_request && m->from && m->to && m->call_id &&
		    m->cseq_hdr && m->nvia && pr != SIP_PARSE_TOO_BIG) {
			/* enough to answer properly */
			rp.code = pr == SIP_PARSE_BAD_VERSION ? 505 : 400;
			*outlen = write_reply(r, cfg, m, &rp, out);
			*status = rp.code;
		} else if (!m->is_request && m->status) {
			oc = SIP_REG_NOTHING;
		} else {
			*status = pr == SIP_PARSE_TOO_BIG ? 513 :
			          pr == SIP_PARSE_BAD_VERSION ? 505 : 400;
			*outlen = sip_reg_frame_error(*status, out, SIP_RESP_MAX);
			oc = SIP_REG_REPLY_CLOSE;
		}
		goto out;
	}
	if (!m->is_request || m->method == SIP_M_ACK) {
		oc = SIP_REG_NOTHING;   /* nothing answers a response or an ACK */
		goto out;
	}
	switch (m->method) {
	case SIP_M_REGISTER:
		oc = handle_register(r, ci, cfg, m, now, out, outlen, status);
		goto out;
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
	count_verdict(r, rp.code, NULL, 0);
	*outlen = write_reply(r, cfg, m, &rp, out);
	*status = rp.code;
out:
	return oc;
}

size_t
sip_reg_frame_error(int code, char *out, size_t outsz)
{
	int k = snprintf(out, outsz, "SIP/2.0 %d %s\r\nContent-Length: 0\r\n\r\n",
	                 code, reason_phrase(code));
	return (k < 0 || (size_t)k >= outsz) ? 0 : (size_t)k;
}
