/* limit.c - per-address admission shared by every loop: concurrent transfer
 * caps (in total and per client address) and a token-bucket request rate,
 * so a spoofed source cannot turn the server into a traffic reflector. */
#include "config.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp_int.h"

/* Addresses tracked at once; an address is forgotten once it has no
 * transfer and a full bucket, so only recent or busy peers take a slot.
 * When the table is full new addresses are refused (counted as rate). */
#define LIMIT_BUCKETS 4096
#define LIMIT_ENTRIES 65536
#define LIMIT_SHARDS  16

struct peer {
	uint8_t addr[16];
	unsigned active;
	uint64_t tokens_milli;        /* thousandths of a request */
	uint64_t stamp_ms;
	struct peer *next;
};

struct shard {
	pthread_mutex_t mu;
	struct peer *bucket[LIMIT_BUCKETS / LIMIT_SHARDS];
	unsigned entries;
};

struct tftp_limiter {
	unsigned max_total, max_per_client, rate, burst;
	unsigned active;              /* atomic */
	struct shard shard[LIMIT_SHARDS];
};

struct tftp_limiter *
tftp_limiter_new(unsigned max_total, unsigned max_per_client, unsigned rate, unsigned burst)
{
	struct tftp_limiter *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->max_total = max_total;
	l->max_per_client = max_per_client;
	l->rate = rate;
	l->burst = burst ? burst : 1;
	for (int i = 0; i < LIMIT_SHARDS; i++)
		pthread_mutex_init(&l->shard[i].mu, NULL);
	return l;
}

void
tftp_limiter_free(struct tftp_limiter *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < LIMIT_SHARDS; i++) {
		for (size_t b = 0; b < LIMIT_BUCKETS / LIMIT_SHARDS; b++) {
			struct peer *p = l->shard[i].bucket[b], *n;
			for (; p; p = n) {
				n = p->next;
				free(p);
			}
		}
		pthread_mutex_destroy(&l->shard[i].mu);
	}
	free(l);
}

/* IPv4 and v4-mapped IPv6 peers share one key: a dual-stack socket must not
 * give an attacker two budgets. */
static void
key_of(const struct sockaddr *sa, uint8_t key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static uint32_t
hash16(const uint8_t k[16])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

/* Returns the peer entry (created when absent and create is set) with its
 * shard locked; NULL with the shard locked when absent or the table full. */
static struct peer *
lookup(struct tftp_limiter *l, const struct sockaddr *sa, int create, struct shard **out)
{
	uint8_t k[16];
	uint32_t h;
	struct shard *sh;
	struct peer **pp, *p;

	key_of(sa, k);
	h = hash16(k);
	sh = &l->shard[h % LIMIT_SHARDS];
	*out = sh;
	pthread_mutex_lock(&sh->mu);
	pp = &sh->bucket[(h / LIMIT_SHARDS) % (LIMIT_BUCKETS / LIMIT_SHARDS)];
	for (p = *pp; p; p = p->next)
		if (memcmp(p->addr, k, 16) == 0)
			return p;
	if (!create || sh->entries >= LIMIT_ENTRIES / LIMIT_SHARDS)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	memcpy(p->addr, k, 16);
	p->tokens_milli = (uint64_t)l->burst * 1000;
	p->next = *pp;
	*pp = p;
	sh->entries++;
	return p;
}

static void
forget_idle(struct tftp_limiter *l, struct shard *sh, struct peer *p, uint64_t now_ms)
{
	struct peer **pp;
	uint8_t k[16];
	uint32_t h;

	if (p->active || (l->rate && p->tokens_milli < (uint64_t)l->burst * 1000))
		return;
	(void)now_ms;
	memcpy(k, p->addr, 16);
	h = hash16(k);
	pp = &sh->bucket[(h / LIMIT_SHARDS) % (LIMIT_BUCKETS / LIMIT_SHARDS)];
	for (; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			free(p);
			sh->entries--;
			return;
		}
}

int
tftp_limiter_rate(struct tftp_limiter *l, const struct sockaddr *sa, uint64_t now_ms)
{
	struct shard *sh;
	struct peer *p;
	int rc = -1;

	if (l->rate == 0)
		return 0;
	p = lookup(l, sa, 1, &sh);
	if (p != NULL) {
		uint64_t cap = (uint64_t)l->burst * 1000;
		if (p->stamp_ms && now_ms > p->stamp_ms) {
			uint64_t add = (now_ms - p->stamp_ms) * l->rate;
			p->tokens_milli = p->tokens_milli + add > cap ? cap : p->tokens_milli + add;
		}
		p->stamp_ms = now_ms;
		if (p->tokens_milli >= 1000) {
			p->tokens_milli -= 1000;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&sh->mu);
	return rc;
}

enum tftp_admit
tftp_limiter_admit(struct tftp_limiter *l, const struct sockaddr *sa)
{
	struct shard *sh;
	struct peer *p;
	enum tftp_admit rc = TFTP_ADMIT_OK;

	if (__atomic_add_fetch(&l->active, 1, __ATOMIC_RELAXED) > l->max_total) {
		__atomic_sub_fetch(&l->active, 1, __ATOMIC_RELAXED);
		return TFTP_ADMIT_TOTAL;
	}
	p = lookup(l, sa, 1, &sh);
	if (p == NULL)
		rc = TFTP_ADMIT_RATE;
	else if (p->active >= l->max_per_client)
		rc = TFTP_ADMIT_CLIENT;
	else
		p->active++;
	pthread_mutex_unlock(&sh->mu);
	if (rc != TFTP_ADMIT_OK)
		__atomic_sub_fetch(&l->active, 1, __ATOMIC_RELAXED);
	return rc;
}

void
tftp_limiter_release(struct tftp_limiter *l, const struct sockaddr *sa)
{
	struct shard *sh;
	struct peer *p = lookup(l, sa, 0, &sh);

	if (p != NULL && p->active > 0) {
		p->active--;
		forget_idle(l, sh, p, 0);
	}
	pthread_mutex_unlock(&sh->mu);
	__atomic_sub_fetch(&l->active, 1, __ATOMIC_RELAXED);
}

void
tftp_limiter_sweep(struct tftp_limiter *l, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)l->burst * 1000;

	for (int i = 0; i < LIMIT_SHARDS; i++) {
		struct shard *sh = &l->shard[i];

		pthread_mutex_lock(&sh->mu);
		for (size_t b = 0; b < LIMIT_BUCKETS / LIMIT_SHARDS; b++) {
			struct peer **pp = &sh->bucket[b], *p;
			while ((p = *pp) != NULL) {
				uint64_t t = p->tokens_milli;
				if (now_ms > p->stamp_ms)
					t += (now_ms - p->stamp_ms) * l->rate;
				if (p->active == 0 && (l->rate == 0 || t >= cap)) {
					*pp = p->next;
					free(p);
					sh->entries--;
				} else {
					pp = &p->next;
				}
			}
		}
		pthread_mutex_unlock(&sh->mu);
	}
}
