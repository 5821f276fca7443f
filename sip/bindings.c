/*
 * bindings.c - the registrar's binding table (RFC 3261 §10.3, keyed as
 * RFC 5626 §6 plus the owning device): lookup, insert-or-refresh and
 * removal by key, the per-AOR and per-device views a REGISTER needs, the
 * per-connection index that drops a closed connection's bindings, expiry,
 * the sweep that drops bindings whose authority is gone, and the change log
 * that the daemon writes behind to the store.
 *
 * A binding is a small fixed struct with its key strings in the same
 * allocation and its values (Contact, Call-ID, token id and subject) in a
 * second one of their exact size, replaced when a refresh changes them.
 *
 * Bindings hash by AOR under the per-process key of hash_string(), so a peer
 * cannot pick AORs that pile into one chain.  The registrar's lock covers
 * every call (registrar_int.h); only the two counters are read without it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sip/registrar_int.h"

#define BUCKETS 65536u          /* power of two; chains stay short */
#define CONN_BUCKETS 4096u      /* 2^12: conn_slot() keeps 12 bits */
#define DEV_BUCKETS 16384u      /* power of two */

/* The bindings of one connection (ids are ours, not the peer's). */
struct conn_head {
	uint64_t conn_id;
	struct sip_binding *first;
	struct conn_head *next;
};

/* The bindings of one device. */
struct dev_head {
	char device[SIP_DEVNAME_MAX];
	size_t count;
	struct sip_binding *first;
	struct dev_head *next;
};

struct sip_bindings {
	struct sip_binding *bucket[BUCKETS];
	struct conn_head *cbucket[CONN_BUCKETS];
	struct dev_head *dbucket[DEV_BUCKETS];
	size_t count;
	struct sip_binding **dirty;     /* write-behind puts; b->dirty is the
	                                 * index + 1 of its entry */
	size_t ndirty, dirty_cap;
	struct sip_binding_change *dels;/* write-behind deletes */
	size_t ndels, dels_cap;
	uint64_t added, removed;        /* atomic: the stats read them unlocked */
};

struct sip_bindings *
sip_bindings_new(void)
{
	return calloc(1, sizeof(struct sip_bindings));
}

static void
binding_free(struct sip_binding *b)
{
	free(b->vals);
	free(b);
}

void
sip_bindings_free(struct sip_bindings *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct sip_binding *b = t->bucket[i], *n;
		for (; b != NULL; b = n) {
			n = b->next;
			binding_free(b);
		}
	}
	for (size_t i = 0; i < CONN_BUCKETS; i++) {
		struct conn_head *h = t->cbucket[i], *n;
		for (; h != NULL; h = n) {
			n = h->next;
			free(h);
		}
	}
	for (size_t i = 0; i < DEV_BUCKETS; i++) {
		struct dev_head *h = t->dbucket[i], *n;
		for (; h != NULL; h = n) {
			n = h->next;
			free(h);
		}
	}
	free(t->dirty);
	free(t->dels);
	free(t);
}

size_t
sip_bindings_count(const struct sip_bindings *t)
{
	return t->count;
}

void
sip_bindings_counters(const struct sip_bindings *t, uint64_t *added,
                      uint64_t *removed)
{
	*added = __atomic_load_n(&t->added, __ATOMIC_RELAXED);
	*removed = __atomic_load_n(&t->removed, __ATOMIC_RELAXED);
}

/* ---- chains and lists ------------------------------------------------------ */

static struct sip_binding **
bucket_of(struct sip_bindings *t, const char *aor)
{
	return &t->bucket[hash_string(aor) & (BUCKETS - 1)];
}

static int
key_eq(const struct sip_binding *b, const struct sip_binding_key *k)
{
	return b->reg_id == k->reg_id && strcmp(b->aor, k->aor) == 0 &&
	       strcmp(b->instance, k->instance) == 0;
}

/* The link that points at the binding with key k, or the chain's final
 * NULL link when there is none. */
static struct sip_binding **
slot_of(struct sip_bindings *t, const struct sip_binding_key *k)
{
	struct sip_binding **pp = bucket_of(t, k->aor);

	while (*pp != NULL && !key_eq(*pp, k))
		pp = &(*pp)->next;
	return pp;
}

/* The link that points at b in its AOR chain (b must be in the table). */
static struct sip_binding **
link_of(struct sip_bindings *t, const struct sip_binding *b)
{
	struct sip_binding **pp = bucket_of(t, b->aor);

	while (*pp != NULL && *pp != b)
		pp = &(*pp)->next;
	return pp;
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
mark_dirty(struct sip_bindings *t, struct sip_binding *b)
{
	if (b->dirty)
		return;
	if (grow((void **)&t->dirty, &t->dirty_cap, t->ndirty + 1,
	         sizeof(*t->dirty)) != 0)
		return;                 /* the store catches up at next refresh */
	t->dirty[t->ndirty++] = b;
	b->dirty = (int)t->ndirty;
}

static void
unlink_dirty(struct sip_bindings *t, struct sip_binding *b)
{
	size_t i;

	if (!b->dirty)
		return;
	i = (size_t)b->dirty - 1;
	t->dirty[i] = t->dirty[--t->ndirty];
	if (i < t->ndirty)
		t->dirty[i]->dirty = (int)i + 1;
	b->dirty = 0;
}

/* The link that points at connection id's head, or the final NULL link.
 * Fibonacci hashing: the top 12 bits of id times 2^64 / phi. */
static struct conn_head **
conn_slot(struct sip_bindings *t, uint64_t id)
{
	struct conn_head **hp = &t->cbucket[(id * 0x9e3779b97f4a7c15ull) >> 52];

	while (*hp != NULL && (*hp)->conn_id != id)
		hp = &(*hp)->next;
	return hp;
}

static void
conn_unlink(struct sip_bindings *t, struct sip_binding *b)
{
	struct conn_head **hp, *h;

	if (b->cprev == NULL)
		return;
	*b->cprev = b->cnext;
	if (b->cnext != NULL)
		b->cnext->cprev = b->cprev;
	b->cnext = NULL;
	b->cprev = NULL;
	hp = conn_slot(t, b->conn_id);
	h = *hp;
	if (h != NULL && h->first == NULL) {
		*hp = h->next;
		free(h);
	}
}

/* Files b under connection `id` (the binding follows its latest REGISTER's
 * connection).  -1 only when out of memory (the binding then just expires). */
static int
conn_link(struct sip_bindings *t, struct sip_binding *b, uint64_t id)
{
	struct conn_head **hp, *h;

	if (b->cprev != NULL && b->conn_id == id)
		return 0;
	conn_unlink(t, b);
	b->conn_id = id;
	hp = conn_slot(t, id);
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

static struct dev_head **
dev_slot(struct sip_bindings *t, const char *device)
{
	struct dev_head **hp = &t->dbucket[hash_string(device) & (DEV_BUCKETS - 1)];

	while (*hp != NULL && strcmp((*hp)->device, device) != 0)
		hp = &(*hp)->next;
	return hp;
}

static void
dev_unlink(struct sip_bindings *t, struct sip_binding *b)
{
	struct dev_head **hp, *h;

	if (b->dprev == NULL)
		return;
	*b->dprev = b->dnext;
	if (b->dnext != NULL)
		b->dnext->dprev = b->dprev;
	b->dnext = NULL;
	b->dprev = NULL;
	hp = dev_slot(t, b->device);
	if ((h = *hp) != NULL && --h->count == 0) {
		*hp = h->next;
		free(h);
	}
}

static int
dev_link(struct sip_bindings *t, struct sip_binding *b)
{
	struct dev_head **hp = dev_slot(t, b->device), *h;

	if ((h = *hp) == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL)
			return -1;
		memcpy(h->device, b->device, sizeof(h->device));
		*hp = h;
	}
	b->dnext = h->first;
	if (h->first != NULL)
		h->first->dprev = &b->dnext;
	h->first = b;
	b->dprev = &h->first;
	h->count++;
	return 0;
}

static void
rec_of(const struct sip_binding *b, struct sip_binding_rec *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->aor, sizeof(r->aor), "%s", b->aor);
	snprintf(r->instance, sizeof(r->instance), "%s", b->instance);
	r->reg_id = b->reg_id;
	snprintf(r->contact, sizeof(r->contact), "%s", b->contact ? b->contact : "");
	memcpy(r->device, b->device, sizeof(r->device));
	snprintf(r->firmware, sizeof(r->firmware), "%s", b->firmware ? b->firmware : "");
	snprintf(r->path, sizeof(r->path), "%s", b->path ? b->path : "");
	r->expires_at = b->expires_at;
	r->conn_id = b->conn_id;
}

/* Unlinks *pp (the binding) from its chain and every list, logs its delete
 * for the store when the store holds it, and frees it. */
static void
remove_at(struct sip_bindings *t, struct sip_binding **pp)
{
	struct sip_binding *b = *pp;

	*pp = b->next;
	unlink_dirty(t, b);
	conn_unlink(t, b);
	dev_unlink(t, b);
	if (b->stored_expires != 0 &&
	    grow((void **)&t->dels, &t->dels_cap, t->ndels + 1,
	         sizeof(*t->dels)) == 0) {
		struct sip_binding_change *c = &t->dels[t->ndels++];
		c->del = 1;
		rec_of(b, &c->b);
	}
	binding_free(b);
	t->count--;
	__atomic_fetch_add(&t->removed, 1, __ATOMIC_RELAXED);
}

/* ---- by key -------------------------------------------------------------------- */

const struct sip_binding *
sip_bindings_find(struct sip_bindings *t, const struct sip_binding_key *k)
{
	return *slot_of(t, k);
}

static struct sip_binding *
insert(struct sip_bindings *t, const struct sip_binding_key *k, int64_t now)
{
	size_t la = strlen(k->aor) + 1, li = strlen(k->instance) + 1;
	struct sip_binding *b = calloc(1, sizeof(*b) + la + li), **head;
	char *keys;

	if (b == NULL)
		return NULL;
	keys = (char *)(b + 1);
	memcpy(keys, k->aor, la);
	memcpy(keys + la, k->instance, li);
	b->aor = keys;
	b->instance = keys + la;
	b->reg_id = k->reg_id;
	snprintf(b->device, sizeof(b->device), "%s", k->device);
	b->created = now;
	if (dev_link(t, b) != 0) {
		free(b);
		return NULL;
	}
	head = bucket_of(t, k->aor);
	b->next = *head;
	*head = b;
	t->count++;
	__atomic_fetch_add(&t->added, 1, __ATOMIC_RELAXED);
	mark_dirty(t, b);
	return b;
}

/* The strings a binding keeps besides its key, in the order of its block. */
#define BINDING_VALS 6

static void
vals_of(const struct sip_binding_set *s, const char *v[BINDING_VALS])
{
	v[0] = NULL;                    /* the Contact: counted, s->contact */
	v[1] = s->call_id;
	v[2] = s->jti;
	v[3] = s->sub;
	v[4] = s->firmware != NULL ? s->firmware : "";
	v[5] = s->path != NULL ? s->path : "";
}

static int
vals_same(const struct sip_binding *b, const struct sip_binding_set *s)
{
	const char *v[BINDING_VALS];

	vals_of(s, v);
	return b->vals != NULL && strlen(b->contact) == s->contact.len &&
	       memcmp(b->contact, s->contact.p, s->contact.len) == 0 &&
	       strcmp(b->call_id, v[1]) == 0 && strcmp(b->jti, v[2]) == 0 &&
	       strcmp(b->sub, v[3]) == 0 && strcmp(b->firmware, v[4]) == 0 &&
	       strcmp(b->path, v[5]) == 0;
}

/* Contact, Call-ID, token id and subject, reported load and Path in one
 * block of their size (the caller has found them changed). */
static int
vals_set(struct sip_binding *b, const struct sip_binding_set *s)
{
	const char *v[BINDING_VALS], **dst[BINDING_VALS] = {
		&b->contact, &b->call_id, &b->jti, &b->sub, &b->firmware, &b->path
	};
	size_t len[BINDING_VALS], total = 0;
	char *blk, *p;

	vals_of(s, v);
	for (int i = 0; i < BINDING_VALS; i++)
		total += len[i] = (i == 0 ? s->contact.len : strlen(v[i])) + 1;
	if ((blk = malloc(total)) == NULL)
		return -1;
	p = blk;
	for (int i = 0; i < BINDING_VALS; i++) {
		memcpy(p, i == 0 ? s->contact.p : v[i], len[i] - 1);
		p[len[i] - 1] = '\0';
		*dst[i] = p;
		p += len[i];
	}
	free(b->vals);
	b->vals = blk;
	return 0;
}

int
sip_bindings_put(struct sip_bindings *t, const struct sip_binding_key *k,
                 const struct sip_binding_set *s)
{
	struct sip_binding **pp = slot_of(t, k), *b = *pp;
	int fresh = b == NULL, same;

	if (fresh && (b = insert(t, k, s->now)) == NULL)
		return -1;
	same = vals_same(b, s);         /* a refresh usually changes nothing */
	if (b->conn_id != s->conn_id || !same ||
	    b->stored_expires - s->now < (int64_t)s->granted / 2)
		mark_dirty(t, b);
	if (!same && vals_set(b, s) != 0) {
		if (fresh)
			remove_at(t, link_of(t, b));
		return -1;
	}
	b->iat = s->iat;
	b->cseq = s->cseq;
	b->expires_at = s->now + s->granted;
	(void)conn_link(t, b, s->conn_id);
	return 0;
}

void
sip_bindings_del(struct sip_bindings *t, const struct sip_binding_key *k)
{
	struct sip_binding **pp = slot_of(t, k);

	if (*pp != NULL)
		remove_at(t, pp);
}

void
sip_bindings_remove(struct sip_bindings *t, const struct sip_binding *b)
{
	struct sip_binding **pp = link_of(t, b);

	if (*pp != NULL)
		remove_at(t, pp);
}

/* ---- by AOR -------------------------------------------------------------------- */

void
sip_bindings_del_device(struct sip_bindings *t, const char *aor,
                        const char *device)
{
	struct sip_binding **pp = bucket_of(t, aor);

	while (*pp != NULL) {
		if (strcmp((*pp)->aor, aor) == 0 &&
		    strcmp((*pp)->device, device) == 0)
			remove_at(t, pp);
		else
			pp = &(*pp)->next;
	}
}

const struct sip_binding *
sip_bindings_aor_next(struct sip_bindings *t, const char *aor,
                      const struct sip_binding *prev)
{
	const struct sip_binding *b = prev ? prev->next : *bucket_of(t, aor);

	while (b != NULL && strcmp(b->aor, aor) != 0)
		b = b->next;
	return b;
}

size_t
sip_bindings_aor_count(struct sip_bindings *t, const char *aor)
{
	size_t n = 0;

	for (const struct sip_binding *b = sip_bindings_aor_next(t, aor, NULL);
	     b != NULL; b = sip_bindings_aor_next(t, aor, b))
		n++;
	return n;
}

void
sip_bindings_aor_device(struct sip_bindings *t, const char *aor,
                        char out[SIP_DEVNAME_MAX])
{
	out[0] = '\0';
	for (const struct sip_binding *b = sip_bindings_aor_next(t, aor, NULL);
	     b != NULL; b = sip_bindings_aor_next(t, aor, b)) {
		if (!b->device[0])
			continue;
		if (out[0] && strcmp(out, b->device) != 0) {
			out[0] = '\0';
			return;
		}
		memcpy(out, b->device, SIP_DEVNAME_MAX);
	}
}

/* ---- by device ------------------------------------------------------------------ */

size_t
sip_bindings_device_count(struct sip_bindings *t, const char *device)
{
	const struct dev_head *h = *dev_slot(t, device);

	return h != NULL ? h->count : 0;
}

const struct sip_binding *
sip_bindings_device_next(struct sip_bindings *t, const char *device,
                         const struct sip_binding *prev)
{
	const struct dev_head *h;

	if (prev != NULL)
		return prev->dnext;
	h = *dev_slot(t, device);
	return h != NULL ? h->first : NULL;
}

/* ---- by connection, by time, by authority ---------------------------------- */

size_t
sip_bindings_conn_closed(struct sip_bindings *t, uint64_t conn_id)
{
	struct conn_head *h = *conn_slot(t, conn_id);
	size_t n = 0;

	/* Each removal may free the head when its list empties. */
	while (h != NULL && h->first != NULL) {
		struct sip_binding *b = h->first, **pp = link_of(t, b);
		int last = b->cnext == NULL;

		if (*pp == NULL)
			break;                  /* broken invariant: leave it */
		remove_at(t, pp);
		n++;
		if (last)
			break;
	}
	return n;
}

size_t
sip_bindings_expire(struct sip_bindings *t, int64_t now)
{
	size_t n = 0;

	if (t->count == 0)
		return 0;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct sip_binding **pp = &t->bucket[i];
		while (*pp != NULL) {
			if ((*pp)->expires_at <= now) {
				remove_at(t, pp);
				n++;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return n;
}

size_t
sip_bindings_sweep(struct sip_bindings *t, sip_keep_fn keep, void *arg)
{
	size_t n = 0;

	if (t->count == 0)
		return 0;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct sip_binding **pp = &t->bucket[i];
		while (*pp != NULL) {
			if (!keep(arg, *pp)) {
				remove_at(t, pp);
				n++;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return n;
}

/* ---- the change log ----------------------------------------------------------- */

size_t
sip_bindings_take_changes(struct sip_bindings *t,
                          struct sip_binding_change *out, size_t max)
{
	size_t n = 0;

	while (n < max && t->ndels > 0)
		out[n++] = t->dels[--t->ndels];
	while (n < max && t->ndirty > 0) {
		struct sip_binding *b = t->dirty[--t->ndirty];
		b->dirty = 0;
		b->stored_expires = b->expires_at;
		out[n].del = 0;
		rec_of(b, &out[n].b);
		n++;
	}
	return n;
}
