/*
 * devices.c - every device's facts as the policy needs them (exists, OAuth,
 * owner, lines), loaded from the store once per config generation into a
 * hash table, so a request finds a device without a store read and at a
 * cost that does not grow with the number of devices.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/gate_int.h"

/* ---- the arena ------------------------------------------------------------- */

#define CHUNK_MIN (64 * 1024)

struct gate_chunk {
	struct gate_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *
gate_arena_alloc(struct gate_arena *a, size_t n)
{
	struct gate_chunk *c = a->head;
	size_t al = sizeof(max_align_t);

	n = (n + al - 1) / al * al;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	c->used += n;
	return (char *)c->data + c->used - n;
}

char *
gate_arena_strdup(struct gate_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = gate_arena_alloc(a, n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void
gate_arena_free(struct gate_arena *a)
{
	struct gate_chunk *c, *n;

	for (c = a->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---- loading ------------------------------------------------------------------ */

/* Profiles by name with their OAuth flag, for the device pass. */
struct profile_oauth {
	char name[CFG_NAME_MAX];
	int oauth;
};
struct load_ctx {
	struct gate_devices *t;
	struct profile_oauth *prof;
	size_t nprof, capprof;
	struct gate_dev_entry *list;     /* loaded entries, before hashing */
	int failed;
};

static int
profile_one(void *arg, const struct cfg_profile *p)
{
	struct load_ctx *lc = arg;

	if (lc->nprof == lc->capprof) {
		size_t nc = lc->capprof ? lc->capprof * 2 : 16;
		struct profile_oauth *np = realloc(lc->prof, nc * sizeof(*np));
		if (np == NULL) {
			lc->failed = 1;
			return 1;
		}
		lc->prof = np;
		lc->capprof = nc;
	}
	snprintf(lc->prof[lc->nprof].name, CFG_NAME_MAX, "%s", p->name);
	lc->prof[lc->nprof++].oauth = cfg_device_needs_token(p);
	return 0;
}

static int
profile_oauth(const struct load_ctx *lc, const char *name)
{
	for (size_t i = 0; i < lc->nprof; i++)
		if (strcmp(lc->prof[i].name, name) == 0)
			return lc->prof[i].oauth;
	return cfg_device_needs_token(NULL);     /* unknown profile: gated */
}

static int
device_one(void *arg, const struct cfg_device *d)
{
	struct load_ctx *lc = arg;
	struct gate_arena *a = &lc->t->arena;
	struct gate_dev_entry *e = gate_arena_alloc(a, sizeof(*e));
	const char **dn = NULL;

	if (e == NULL)
		goto nomem;
	memset(e, 0, sizeof(*e));
	if (d->line_count > 0 &&
	    (dn = gate_arena_alloc(a, d->line_count * sizeof(*dn))) == NULL)
		goto nomem;
	for (size_t i = 0; i < d->line_count; i++)
		if ((dn[i] = gate_arena_strdup(a, d->lines[i].dn)) == NULL)
			goto nomem;
	e->d.name = gate_arena_strdup(a, d->name);
	e->d.owner = gate_arena_strdup(a, d->owner);
	if (e->d.name == NULL || e->d.owner == NULL)
		goto nomem;
	e->d.oauth = profile_oauth(lc, d->profile);
	e->d.nlines = d->line_count;
	e->d.dn = dn;
	e->hash = hash_string(e->d.name);
	e->next = lc->list;
	lc->list = e;
	lc->t->n++;
	return 0;
nomem:
	lc->failed = 1;
	return 1;
}

/* Powers of two from 1024, about one bucket per device. */
static size_t
buckets_for(size_t n)
{
	size_t b = 1024;

	while (b < n && b < ((size_t)1 << 30))
		b <<= 1;
	return b;
}

int
gate_devices_load(struct gate_devices *t, struct store *st, char *err,
                  size_t errlen)
{
	struct load_ctx lc;
	struct gate_dev_entry *e, *next;

	memset(t, 0, sizeof(*t));
	memset(&lc, 0, sizeof(lc));
	lc.t = t;
	if (store_profile_list(st, profile_one, &lc, err, errlen) != 0 ||
	    lc.failed ||
	    store_device_list(st, NULL, 0, device_one, &lc, err, errlen) != 0 ||
	    lc.failed)
		goto fail;
	t->nbuckets = buckets_for(t->n);
	t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
	if (t->bucket == NULL)
		goto fail;
	for (e = lc.list; e != NULL; e = next) {
		size_t b = e->hash & (t->nbuckets - 1);
		next = e->next;
		e->next = t->bucket[b];
		t->bucket[b] = e;
	}
	free(lc.prof);
	return 0;
fail:
	if (lc.failed)
		snprintf(err, errlen, "device facts: out of memory");
	free(lc.prof);
	gate_devices_free(t);
	return -1;
}

void
gate_devices_free(struct gate_devices *t)
{
	free(t->bucket);
	gate_arena_free(&t->arena);
	memset(t, 0, sizeof(*t));
}

const struct gate_dev_entry *
gate_devices_find(const struct gate_devices *t, const char *name)
{
	char up[CFG_DEVNAME_MAX];
	size_t n = name ? strlen(name) : 0;
	const struct gate_dev_entry *e;
	uint64_t h;

	/* Names are kept in canonical upper case; a longer name than any
	 * device's cannot be one. */
	if (n == 0 || n >= sizeof(up) || t->nbuckets == 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	up[n] = '\0';
	h = hash_string(up);
	for (e = t->bucket[h & (t->nbuckets - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->d.name, up) == 0)
			return e;
	return NULL;
}

int
gate_device_find(const struct gate_snap *s, const char *name,
                 struct gate_device *out)
{
	const struct gate_snap_int *si = (const struct gate_snap_int *)s;
	const struct gate_dev_entry *e = gate_devices_find(&si->conf->devices, name);

	if (e == NULL)
		return 0;
	*out = e->d;
	return 1;
}

int
gate_device_has_line(const struct gate_device *d, const char *dn, size_t len)
{
	for (size_t i = 0; i < d->nlines; i++)
		if (strlen(d->dn[i]) == len && memcmp(d->dn[i], dn, len) == 0)
			return 1;
	return 0;
}
