/*
 * bindings.c - the registrar's binding table (RFC 3261 §10.3, keyed as
 * RFC 5626 §6): lookup, insert-or-refresh and removal by key, the per-AOR
 * views a REGISTER needs, the per-connection index that drops a closed
 * connection's bindings, expiry, and the change log that the daemon writes
 * behind to the store.
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

/* The bindings of one connection (ids are ours, not the peer's). */
struct conn_head {
	uint64_t conn_id;
	struct sip_binding *first;
	struct conn_head *next;
};

struct sip_bindings {
	struct sip_binding *bucket[BUCKETS];
	struct conn_head *cbucket[CONN_BUCKETS];
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

void
sip_bindings_free(struct sip_bindings *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct sip_binding *b = t->bucket[i], *n;
		for (; b != NULL; b = n) {
			n = b->next;
			free(b);
		}
	}
	for (size_t i = 0; i < CONN_BUCKETS; i++) {
		struct conn_head *h = t->cbucket[i], *n;
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

/* The link that points at the binding with key k, or the chain's final
 * NULL link when there is none. */
static struct sip_binding **
slot_of(struct sip_bindings *t, const struct sip_binding_key *k)
{
	struct sip_binding **pp = bucket_of(t, k->aor);

	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->reg_id == k->reg_id && strcmp((*pp)->aor, k->aor) == 0 &&
		    strcmp((*pp)->instance, k->instance) == 0)
			break;
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

/* Unlinks *pp (the binding) from its chain and every list, logs its delete
 * for the store when the store holds it, and frees it. */
static void
remove_at(struct sip_bindings *t, struct sip_binding **pp)
{
	struct sip_binding *b = *pp;

	*pp = b->next;
	unlink_dirty(t, b);
	conn_unlink(t, b);
	if (b->stored_expires != 0 &&
	    grow((void **)&t->dels, &t->dels_cap, t->ndels + 1,
	         sizeof(*t->dels)) == 0) {
		struct sip_binding_change *c = &t->dels[t->ndels++];
		c->del = 1;
		c->b = *b;
		c->b.next = NULL;
	}
	free(b);
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
insert(struct sip_bindings *t, const struct sip_binding_key *k)
{
	struct sip_binding *b = calloc(1, sizeof(*b)), **head;

	if (b == NULL)
		return NULL;
	snprintf(b->aor, sizeof(b->aor), "%s", k->aor);
	snprintf(b->instance, sizeof(b->instance), "%s", k->instance);
	b->reg_id = k->reg_id;
	head = bucket_of(t, k->aor);
	b->next = *head;
	*head = b;
	t->count++;
	__atomic_fetch_add(&t->added, 1, __ATOMIC_RELAXED);
	mark_dirty(t, b);
	return b;
}

int
sip_bindings_put(struct sip_bindings *t, const struct sip_binding_key *k,
                 const struct sip_binding_set *s)
{
	struct sip_binding *b = *slot_of(t, k);

	if (b == NULL && (b = insert(t, k)) == NULL)
		return -1;
	if (b->conn_id != s->conn_id ||
	    b->contact[0] == '\0' ||
	    strlen(b->contact) != s->contact.len ||
	    memcmp(b->contact, s->contact.p, s->contact.len) != 0 ||
	    b->stored_expires - s->now < (int64_t)s->granted / 2 ||
	    strcmp(b->firmware, s->firmware ? s->firmware : "") != 0 ||
	    strcmp(b->path, s->path ? s->path : "") != 0)
		mark_dirty(t, b);
	snprintf(b->path, sizeof(b->path), "%s", s->path ? s->path : "");
	snprintf(b->firmware, sizeof(b->firmware), "%s", s->firmware ? s->firmware : "");
	(void)sip_str_copy(b->contact, sizeof(b->contact), s->contact);
	snprintf(b->device, sizeof(b->device), "%s", s->device);
	snprintf(b->call_id, sizeof(b->call_id), "%s", s->call_id);
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

/* ---- by connection and by time -------------------------------------------- */

size_t
sip_bindings_conn_closed(struct sip_bindings *t, uint64_t conn_id)
{
	struct conn_head *h = *conn_slot(t, conn_id);
	size_t n = 0;

	/* Each removal may free the head when its list empties. */
	while (h != NULL && h->first != NULL) {
		struct sip_binding *b = h->first, **pp = bucket_of(t, b->aor);
		int last = b->cnext == NULL;

		while (*pp != NULL && *pp != b)
			pp = &(*pp)->next;
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
		out[n].b = *b;
		out[n].b.next = NULL;
		n++;
	}
	return n;
}
