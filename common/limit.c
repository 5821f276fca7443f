/*
 * limit.c - the one per-key limiter every daemon uses: how many of
 * something a key (a peer address, a device name) holds at once, in total
 * and per key, and a token bucket of events per key.  Keys are compared
 * exactly (never a hash slot shared by two keys); the table is sharded so
 * event loops on several cores rarely wait for each other, and it is
 * bounded: an idle key (nothing held, bucket full again) is forgotten, and
 * when max_keys are tracked a new key is refused (LIMIT_FULL), never let
 * through.
 */
#include "config.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define SHARDS 16
#define BUCKETS_PER_SHARD 1024

struct entry {
	struct entry *next;
	uint64_t hash;
	unsigned held;
	uint64_t tokens;              /* millionths of an event */
	uint64_t stamp_ms;            /* last refill */
	size_t keylen;
	unsigned char key[LIMIT_KEY_MAX];
};

struct shard {
	pthread_mutex_t mu;
	struct entry *bucket[BUCKETS_PER_SHARD];
	size_t entries;
};

struct limiter {
	struct limiter_config c;
	uint64_t cap;                 /* burst in millionths */
	atomic_uint held;             /* all keys together */
	struct shard shard[SHARDS];
};

struct limiter *
limiter_new(const struct limiter_config *c)
{
	struct limiter *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->c = *c;
	if (l->c.max_keys == 0)
		l->c.max_keys = LIMIT_KEYS_DEFAULT;
	l->cap = (uint64_t)l->c.burst * 1000000u;
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_init(&l->shard[i].mu, NULL);
	return l;
}

void
limiter_free(struct limiter *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < SHARDS; i++) {
		for (size_t b = 0; b < BUCKETS_PER_SHARD; b++) {
			struct entry *e = l->shard[i].bucket[b], *n;
			for (; e != NULL; e = n) {
				n = e->next;
				free(e);
			}
		}
		pthread_mutex_destroy(&l->shard[i].mu);
	}
	free(l);
}

void
limiter_addr_key(const struct sockaddr *sa, uint8_t key[16])
{
	/* IPv4 and v4-mapped IPv6 peers share one key: a dual-stack socket
	 * must not give an attacker two budgets. */
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
}

/* The entry of key with its shard locked (the caller unlocks *out), or NULL
 * (still locked) when absent and not created or the table is full. */
static struct entry *
lookup(struct limiter *l, const void *key, size_t len, int create,
       struct shard **out, int *full)
{
	uint64_t h = hash_mem(key, len);
	struct shard *sh = &l->shard[h % SHARDS];
	struct entry **pp, *e;

	*out = sh;
	*full = 0;
	pthread_mutex_lock(&sh->mu);
	pp = &sh->bucket[(h / SHARDS) % BUCKETS_PER_SHARD];
	for (e = *pp; e != NULL; e = e->next)
		if (e->hash == h && e->keylen == len && memcmp(e->key, key, len) == 0)
			return e;
	if (!create)
		return NULL;
	if (sh->entries >= (l->c.max_keys + SHARDS - 1) / SHARDS ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		*full = 1;
		return NULL;
	}
	e->hash = h;
	e->keylen = len;
	memcpy(e->key, key, len);
	e->tokens = l->cap;
	e->next = *pp;
	*pp = e;
	sh->entries++;
	return e;
}

static void
refill(const struct limiter *l, struct entry *e, uint64_t now_ms)
{
	if (l->c.window_ms == 0 || e->stamp_ms == 0 || now_ms <= e->stamp_ms) {
		if (e->stamp_ms == 0 || now_ms > e->stamp_ms)
			e->stamp_ms = now_ms;
		return;
	}
	/* burst events per window: cap / window millionths per ms. */
	uint64_t dt = now_ms - e->stamp_ms;
	uint64_t add = dt >= l->c.window_ms ? l->cap : l->cap / l->c.window_ms * dt;
	e->tokens = e->tokens + add > l->cap ? l->cap : e->tokens + add;
	e->stamp_ms = now_ms;
}

static int
idle(const struct limiter *l, const struct entry *e)
{
	return e->held == 0 && (l->c.burst == 0 || e->tokens >= l->cap);
}

static void
unlink_entry(struct shard *sh, struct entry *e)
{
	struct entry **pp = &sh->bucket[(e->hash / SHARDS) % BUCKETS_PER_SHARD];

	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			free(e);
			sh->entries--;
			return;
		}
}

enum limit_result
limiter_spend(struct limiter *l, const void *key, size_t len, uint64_t now_ms)
{
	struct shard *sh;
	struct entry *e;
	enum limit_result rc = LIMIT_RATE;
	int full;

	if (l->c.burst == 0 || len > LIMIT_KEY_MAX)
		return l->c.burst == 0 ? LIMIT_OK : LIMIT_FULL;
	e = lookup(l, key, len, 1, &sh, &full);
	if (e != NULL) {
		refill(l, e, now_ms);
		if (e->tokens >= 1000000u) {
			e->tokens -= 1000000u;
			rc = LIMIT_OK;
		}
	} else if (full) {
		rc = LIMIT_FULL;
	}
	pthread_mutex_unlock(&sh->mu);
	return rc;
}

int
limiter_exhausted(struct limiter *l, const void *key, size_t len,
                  uint64_t now_ms)
{
	struct shard *sh;
	struct entry *e;
	int full, out = 0;

	if (l->c.burst == 0 || len > LIMIT_KEY_MAX)
		return 0;
	e = lookup(l, key, len, 0, &sh, &full);
	if (e != NULL) {
		refill(l, e, now_ms);
		out = e->tokens < 1000000u;
	}
	pthread_mutex_unlock(&sh->mu);
	return out;
}

enum limit_result
limiter_take(struct limiter *l, const void *key, size_t len)
{
	struct shard *sh;
	struct entry *e;
	enum limit_result rc = LIMIT_OK;
	int full;

	if (len > LIMIT_KEY_MAX)
		return LIMIT_FULL;
	if (l->c.max_total &&
	    atomic_fetch_add(&l->held, 1) + 1 > l->c.max_total) {
		atomic_fetch_sub(&l->held, 1);
		return LIMIT_TOTAL;
	}
	e = lookup(l, key, len, 1, &sh, &full);
	if (e == NULL)
		rc = LIMIT_FULL;
	else if (l->c.max_per_key && e->held >= l->c.max_per_key)
		rc = LIMIT_KEY;
	else
		e->held++;
	pthread_mutex_unlock(&sh->mu);
	if (rc != LIMIT_OK && l->c.max_total)
		atomic_fetch_sub(&l->held, 1);
	return rc;
}

void
limiter_release(struct limiter *l, const void *key, size_t len)
{
	struct shard *sh;
	struct entry *e;
	int full;

	if (len > LIMIT_KEY_MAX)
		return;
	e = lookup(l, key, len, 0, &sh, &full);
	if (e != NULL && e->held > 0) {
		e->held--;
		if (l->c.max_total)
			atomic_fetch_sub(&l->held, 1);
		if (idle(l, e))
			unlink_entry(sh, e);
	}
	pthread_mutex_unlock(&sh->mu);
}

void
limiter_sweep(struct limiter *l, uint64_t now_ms)
{
	for (int i = 0; i < SHARDS; i++) {
		struct shard *sh = &l->shard[i];

		pthread_mutex_lock(&sh->mu);
		for (size_t b = 0; b < BUCKETS_PER_SHARD; b++) {
			struct entry **pp = &sh->bucket[b], *e;
			while ((e = *pp) != NULL) {
				refill(l, e, now_ms);
				if (idle(l, e)) {
					*pp = e->next;
					free(e);
					sh->entries--;
				} else {
					pp = &e->next;
				}
			}
		}
		pthread_mutex_unlock(&sh->mu);
	}
}

size_t
limiter_keys(struct limiter *l)
{
	size_t n = 0;

	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_lock(&l->shard[i].mu);
		n += l->shard[i].entries;
		pthread_mutex_unlock(&l->shard[i].mu);
	}
	return n;
}
