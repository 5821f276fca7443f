/*
 * cache.c - verified-token cache: SHA-256 of the token → its claims, kept
 * until the token expires, bounded by LRU.  It sits on every request's hot
 * path, so it is split into shards, each with its own mutex, hash table and
 * LRU list; the shard is picked by the first byte of the (uniform) digest.
 * Claims are stored packed (only the bytes they use), so a full default cache
 * of 65536 entries stays around 30 MiB for typical tokens.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "trust/trust_int.h"

#define SHARDS 16
#define NSTR 7

struct entry {
	uint8_t key[32];
	uint64_t gen;
	int64_t exp, iat, nbf;
	enum jws_alg alg;
	uint16_t len[NSTR];
	struct entry *hnext;            /* hash chain */
	struct entry *prev, *next;      /* LRU, most recent at head */
	char blob[];                    /* the NSTR strings, unterminated */
};

struct shard {
	pthread_mutex_t mu;
	struct entry **table;
	size_t mask;
	struct entry *head, *tail;
	size_t n, cap;
	uint64_t hits, misses, inserts, evictions;
	char pad[64];                   /* keep shards on separate lines */
};

struct tcache {
	struct shard sh[SHARDS];
};

/* Field order of the packed strings. */
#define FIELDS(c) { (c)->iss, (c)->sub, (c)->dev, (c)->client_id, (c)->scope, \
	            (c)->jti, (c)->kid }

struct tcache *
tcache_new(size_t capacity)
{
	struct tcache *c = calloc(1, sizeof(*c));
	size_t per = (capacity + SHARDS - 1) / SHARDS, buckets = 16;

	if (c == NULL)
		return NULL;
	if (per == 0)
		per = 1;
	while (buckets < per)
		buckets <<= 1;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->sh[i];
		pthread_mutex_init(&s->mu, NULL);
		s->cap = per;
		s->mask = buckets - 1;
		if ((s->table = calloc(buckets, sizeof(*s->table))) == NULL) {
			tcache_free(c);
			return NULL;
		}
	}
	return c;
}

static void
shard_clear(struct shard *s)
{
	struct entry *e = s->head, *nx;

	for (; e != NULL; e = nx) {
		nx = e->next;
		free(e);
	}
	s->head = s->tail = NULL;
	s->n = 0;
	if (s->table != NULL)
		memset(s->table, 0, (s->mask + 1) * sizeof(*s->table));
}

void
tcache_free(struct tcache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < SHARDS; i++) {
		shard_clear(&c->sh[i]);
		free(c->sh[i].table);
		pthread_mutex_destroy(&c->sh[i].mu);
	}
	free(c);
}

static size_t
bucket_of(const struct shard *s, const uint8_t key[32])
{
	uint64_t h;

	/* Bytes 8..15: byte 0 already chose the shard. */
	memcpy(&h, key + 8, sizeof(h));
	return (size_t)h & s->mask;
}

static void
lru_unlink(struct shard *s, struct entry *e)
{
	if (e->prev) e->prev->next = e->next; else s->head = e->next;
	if (e->next) e->next->prev = e->prev; else s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push_head(struct shard *s, struct entry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head) s->head->prev = e; else s->tail = e;
	s->head = e;
}

static void
remove_entry(struct shard *s, struct entry *e)
{
	struct entry **pp = &s->table[bucket_of(s, e->key)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->n--;
	free(e);
}

static void
unpack(const struct entry *e, struct tok_claims *out)
{
	char *f[NSTR] = FIELDS(out);
	const char *p = e->blob;

	for (int i = 0; i < NSTR; i++) {
		memcpy(f[i], p, e->len[i]);
		f[i][e->len[i]] = '\0';
		p += e->len[i];
	}
	out->exp = e->exp;
	out->iat = e->iat;
	out->nbf = e->nbf;
	out->alg = e->alg;
}

int
tcache_get(struct tcache *c, const uint8_t key[32], uint64_t gen, int64_t floor,
           struct tok_claims *out)
{
	struct shard *s = &c->sh[key[0] % SHARDS];
	struct entry *e;
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	for (e = s->table[bucket_of(s, key)]; e != NULL; e = e->hnext)
		if (memcmp(e->key, key, 32) == 0)
			break;
	if (e == NULL || e->gen != gen) {
		/* A stale generation means the issuer's keys changed: verify
		 * again rather than trust a possibly rotated-out key. */
		if (e != NULL)
			remove_entry(s, e);
		s->misses++;
	} else if (e->exp <= floor) {
		remove_entry(s, e);
		s->misses++;
		rc = -1;
	} else {
		unpack(e, out);
		if (s->head != e) {
			lru_unlink(s, e);
			lru_push_head(s, e);
		}
		s->hits++;
		rc = 1;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void
tcache_put(struct tcache *c, const uint8_t key[32], uint64_t gen,
           const struct tok_claims *cl)
{
	struct shard *s = &c->sh[key[0] % SHARDS];
	const char *f[NSTR] = FIELDS(cl);
	size_t len[NSTR], total = 0;
	struct entry *e, **pp;
	char *p;

	for (int i = 0; i < NSTR; i++)
		total += len[i] = strlen(f[i]);
	if ((e = malloc(sizeof(*e) + total)) == NULL)
		return;
	memcpy(e->key, key, 32);
	e->gen = gen;
	e->exp = cl->exp;
	e->iat = cl->iat;
	e->nbf = cl->nbf;
	e->alg = cl->alg;
	p = e->blob;
	for (int i = 0; i < NSTR; i++) {
		e->len[i] = (uint16_t)len[i];
		memcpy(p, f[i], len[i]);
		p += len[i];
	}
	pthread_mutex_lock(&s->mu);
	pp = &s->table[bucket_of(s, key)];
	for (struct entry *o = *pp; o != NULL; o = o->hnext)
		if (memcmp(o->key, key, 32) == 0) {
			/* Two threads verified the same token at once. */
			remove_entry(s, o);
			break;
		}
	while (s->n >= s->cap && s->tail != NULL) {
		remove_entry(s, s->tail);
		s->evictions++;
	}
	pp = &s->table[bucket_of(s, key)];
	e->hnext = *pp;
	*pp = e;
	lru_push_head(s, e);
	s->n++;
	s->inserts++;
	pthread_mutex_unlock(&s->mu);
}

void
tcache_stats(struct tcache *c, struct tok_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->sh[i];
		pthread_mutex_lock(&s->mu);
		out->hits += s->hits;
		out->misses += s->misses;
		out->inserts += s->inserts;
		out->evictions += s->evictions;
		out->entries += s->n;
		out->capacity += s->cap;
		pthread_mutex_unlock(&s->mu);
	}
}

void
tcache_flush(struct tcache *c)
{
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_lock(&c->sh[i].mu);
		shard_clear(&c->sh[i]);
		pthread_mutex_unlock(&c->sh[i].mu);
	}
}
