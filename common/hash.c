/*
 * hash.c - the one hash for oprov's in-memory tables: SipHash-1-3
 * (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012) keyed
 * with 128 random bits drawn once per process.  The tables it serves are
 * keyed by what peers send (addresses, device names, AORs): with a secret
 * key a peer cannot choose inputs that fall into one bucket, which a plain
 * FNV-1a let it do.  Never use it for anything stored or compared across
 * processes: the value changes with every run.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"

static uint64_t hash_k0, hash_k1;
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void
hash_key_init(void)
{
	uint64_t k[2];

	if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k)) {
		/* No entropy yet (early boot, seccomp): a weaker but still
		 * per-process key beats a fixed one. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		k[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
		k[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&ts;
	}
	hash_k0 = k[0];
	hash_k1 = k[1];
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t
load64_le(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t
hash_mem(const void *data, size_t n)
{
	const unsigned char *p = data, *end = p + (n & ~(size_t)7);
	uint64_t v0, v1, v2, v3, m, b = (uint64_t)n << 56;

	pthread_once(&hash_once, hash_key_init);
	v0 = hash_k0 ^ 0x736f6d6570736575ULL;
	v1 = hash_k1 ^ 0x646f72616e646f6dULL;
	v2 = hash_k0 ^ 0x6c7967656e657261ULL;
	v3 = hash_k1 ^ 0x7465646279746573ULL;
	for (; p != end; p += 8) {
		m = load64_le(p);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < (n & 7); i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
hash_string(const char *s)
{
	return hash_mem(s, strlen(s));
}
