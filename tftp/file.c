/* file.c - files opened beneath the root (common/'s path_open_beneath,
 * its answer mapped to TFTP's), and the per-loop cache that lets concurrent
 * transfers of the same content share one source. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "tftp/tftp_int.h"

uint64_t
tftp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
tftp_open_beneath(int rootfd, const char *name, size_t len, int *code,
                  char *err, size_t errlen)
{
	int fd = path_open_beneath(rootfd, name, len);

	if (fd >= 0)
		return fd;
	/* Running out of descriptors or memory is no refusal of the file:
	 * error 0 says so (a phone retries), never "access violation". */
	*code = path_error_is_resource(errno) ? TFTP_EUNDEF :
	        errno == ENOENT || errno == ENOTDIR ? TFTP_ENOTFOUND : TFTP_EACCESS;
	snprintf(err, errlen, "%s", path_open_error(errno));
	return -1;
}

/* ---- cache ------------------------------------------------------------- */
void
tftp_cache_init(struct tftp_cache *c, size_t file_max, size_t bytes_max)
{
	memset(c, 0, sizeof(*c));
	c->file_max = file_max;
	c->bytes_max = bytes_max;
}

static size_t
hash_file(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;
	return (size_t)(h >> 20) % TFTP_CACHE_BUCKETS;
}

static size_t
hash_key(const char *key, uint64_t gen)
{
	uint64_t h = 1469598103934665603ull ^ gen;
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return (size_t)(h % TFTP_CACHE_BUCKETS);
}

static size_t
bucket_of(const struct tftp_src *s)
{
	return s->key ? hash_key(s->key, s->gen) : hash_file(s->dev, s->ino);
}

static void
lru_unlink(struct tftp_cache *c, struct tftp_src *s)
{
	if (!s->in_lru)
		return;
	if (s->lprev) s->lprev->lnext = s->lnext; else c->lru_head = s->lnext;
	if (s->lnext) s->lnext->lprev = s->lprev; else c->lru_tail = s->lprev;
	s->lprev = s->lnext = NULL;
	s->in_lru = 0;
	c->idle--;
}

static void
hash_unlink(struct tftp_cache *c, struct tftp_src *s)
{
	struct tftp_src **pp = &c->bucket[bucket_of(s)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			s->hnext = NULL;
			return;
		}
}

static void
src_destroy(struct tftp_cache *c, struct tftp_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->mem) {
		c->bytes -= s->size;
		free(s->mem);
	}
	free(s->key);
	free(s);
}

static void
evict(struct tftp_cache *c)
{
	while (c->lru_tail && (c->idle > TFTP_CACHE_ENTRIES || c->bytes > c->bytes_max)) {
		struct tftp_src *s = c->lru_tail;
		lru_unlink(c, s);
		hash_unlink(c, s);
		src_destroy(c, s);
	}
}

void
tftp_src_unref(struct tftp_cache *c, struct tftp_src *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	if (s->stale) {
		src_destroy(c, s);
		return;
	}
	s->lnext = c->lru_head;
	s->lprev = NULL;
	if (c->lru_head) c->lru_head->lprev = s; else c->lru_tail = s;
	c->lru_head = s;
	s->in_lru = 1;
	c->idle++;
	evict(c);
}

static void
take(struct tftp_cache *c, struct tftp_src *s)
{
	lru_unlink(c, s);
	s->refs++;
}

static void
drop(struct tftp_cache *c, struct tftp_src *s)
{
	hash_unlink(c, s);
	if (s->refs == 0) {
		lru_unlink(c, s);
		src_destroy(c, s);
	} else {
		s->stale = 1;
	}
}

static int
read_all(int fd, uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = pread(fd, buf + off, len - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

struct tftp_src *
tftp_cache_file(struct tftp_cache *c, int fd, char *err, size_t errlen)
{
	struct stat st;
	struct tftp_src *s, *next;
	int64_t mt;
	size_t b;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	b = hash_file(st.st_dev, st.st_ino);
	for (s = c->bucket[b]; s; s = next) {
		next = s->hnext;
		if (s->key || s->dev != st.st_dev || s->ino != st.st_ino)
			continue;
		if (s->mtime_ns == mt && s->size == (uint64_t)st.st_size) {
			close(fd);
			take(c, s);
			return s;
		}
		drop(c, s);               /* the file changed since it was cached */
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	s->fd = fd;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->mtime_ns = mt;
	s->size = (uint64_t)st.st_size;
	if (s->size <= c->file_max && (s->mem = malloc(s->size ? s->size : 1)) != NULL) {
		if (read_all(fd, s->mem, s->size) < 0) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			free(s->mem);
			close(fd);
			free(s);
			return NULL;
		}
		close(fd);
		s->fd = -1;
		c->bytes += s->size;
	}
	s->refs = 1;
	s->hnext = c->bucket[b];
	c->bucket[b] = s;
	return s;
}

struct tftp_src *
tftp_cache_rendered_get(struct tftp_cache *c, const char *key, uint64_t gen)
{
	struct tftp_src *s, *next;

	for (s = c->bucket[hash_key(key, gen)]; s; s = next) {
		next = s->hnext;
		if (s->key && s->gen == gen && strcmp(s->key, key) == 0) {
			take(c, s);
			return s;
		}
	}
	return NULL;
}

struct tftp_src *
tftp_cache_rendered_put(struct tftp_cache *c, const char *key, uint64_t gen,
                        uint8_t *data, size_t len)
{
	struct tftp_src *s = calloc(1, sizeof(*s));
	size_t b;

	if (s == NULL || (s->key = strdup(key)) == NULL) {
		free(s);
		free(data);
		return NULL;
	}
	s->fd = -1;
	s->mem = data;
	s->size = len;
	s->gen = gen;
	s->refs = 1;
	c->bytes += len;
	b = hash_key(key, gen);
	s->hnext = c->bucket[b];
	c->bucket[b] = s;
	return s;
}

void
tftp_cache_flush(struct tftp_cache *c)
{
	for (size_t b = 0; b < TFTP_CACHE_BUCKETS; b++)
		while (c->bucket[b])
			drop(c, c->bucket[b]);
}

void
tftp_cache_drop_rendered(struct tftp_cache *c)
{
	for (size_t b = 0; b < TFTP_CACHE_BUCKETS; b++) {
		struct tftp_src *s = c->bucket[b], *next;
		for (; s; s = next) {
			next = s->hnext;
			if (s->key)
				drop(c, s);
		}
	}
}

void
tftp_cache_free(struct tftp_cache *c)
{
	tftp_cache_flush(c);
}

const uint8_t *
tftp_src_read(const struct tftp_src *s, uint64_t off, size_t len, uint8_t *buf, size_t *got)
{
	size_t have = 0;

	if (off >= s->size) {
		*got = 0;
		return buf;
	}
	if (len > s->size - off)
		len = (size_t)(s->size - off);
	if (s->mem) {
		*got = len;
		return s->mem + off;
	}
	while (have < len) {
		ssize_t n = pread(s->fd, buf + have, len - have, (off_t)(off + have));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		if (n == 0)
			break;            /* truncated under us: the peer gets a short file */
		have += (size_t)n;
	}
	*got = have;
	return buf;
}
