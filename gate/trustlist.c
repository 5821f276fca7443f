/*
 * trustlist.c - the gate's trust lists and signed files: ITLFile.tlv and
 * (in mixed mode) CTLFile.tlv built once per config generation by the sync
 * thread, the ccm-tftp signer of that generation for NAME.sgn, and a small
 * cache of signed files of the root (firmware, locales), so a file is
 * signed once, not once per request.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gate/gate_int.h"

struct blob {
	struct gate_blob pub;            /* first: a gate_blob * is a blob * */
	atomic_int refs;
	uint8_t *bytes;
};

struct gate_trust {
	uint64_t gen;
	struct store_trust t;
	struct blob *itl, *ctl;
	uint32_t sign_time;              /* header timestamp of NAME.sgn */
};

/* Takes ownership of p. */
static struct blob *
blob_new(uint8_t *p, size_t n, uint64_t gen)
{
	struct blob *b = calloc(1, sizeof(*b));
	char hex[65];

	if (b == NULL) {
		free(p);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->bytes = p;
	b->pub.data = p;
	b->pub.len = n;
	b->pub.gen = gen;
	trust_sha256_hex(p, n, hex);
	snprintf(b->pub.etag, sizeof(b->pub.etag), "\"%.32s\"", hex);
	return b;
}

static struct blob *
blob_ref(struct blob *b)
{
	if (b != NULL)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

void
gate_blob_release(const struct gate_blob *pb)
{
	struct blob *b = (struct blob *)pb;

	if (b == NULL || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	free(b->bytes);
	free(b);
}

static struct blob *
list_build(struct gate_trust *gt, const char *name)
{
	char err[STORE_ERR_MAX];
	uint8_t *p;
	size_t n;

	if (store_trust_build(&gt->t, name, &p, &n, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "trust list %s: %s", name, err);
		return NULL;
	}
	return blob_new(p, n, gt->gen);
}

struct gate_trust *
gate_trust_load(struct store *st, uint64_t gen)
{
	struct gate_trust *gt = calloc(1, sizeof(*gt));
	char err[STORE_ERR_MAX];
	int r;

	if (gt == NULL)
		return NULL;
	gt->gen = gen;
	gt->sign_time = (uint32_t)time(NULL);
	if ((r = store_trust_load(st, &gt->t, err, sizeof(err))) != 0) {
		log_msg(r == STORE_NOTFOUND ? LOG_WARNING : LOG_ERR,
		        "trust lists and signed files not served: %s", err);
		gate_trust_free(gt);
		return NULL;
	}
	gt->itl = list_build(gt, CFG_ITL_FILE);
	if (gt->t.mixed_mode)
		gt->ctl = list_build(gt, CFG_CTL_FILE);
	return gt;
}

void
gate_trust_free(struct gate_trust *gt)
{
	if (gt == NULL)
		return;
	gate_blob_release(gt->itl ? &gt->itl->pub : NULL);
	gate_blob_release(gt->ctl ? &gt->ctl->pub : NULL);
	store_trust_free(&gt->t);
	free(gt);
}

const struct gate_blob *
gate_trustlist(struct gate *g, const char *name)
{
	const struct gate_snap_int *s = (const struct gate_snap_int *)gate_snap(g);
	const struct gate_trust *gt = s->conf->trust;
	struct blob *b = NULL;

	if (gt != NULL && name != NULL)
		b = blob_ref(strcmp(name, CFG_CTL_FILE) == 0 ? gt->ctl
		             : strcmp(name, CFG_ITL_FILE) == 0 ? gt->itl : NULL);
	gate_snap_release(&s->pub);
	return b ? &b->pub : NULL;
}

int
gate_sign(struct gate *g, const char *sgn_name, const void *p, size_t n,
          uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	const struct gate_snap_int *s = (const struct gate_snap_int *)gate_snap(g);
	const struct gate_trust *gt = s->conf->trust;
	int r;

	if (gt == NULL) {
		snprintf(err, errlen, "no signer in the store");
		r = STORE_NOTFOUND;
	} else
		r = store_trust_sign(&gt->t, sgn_name, gt->sign_time, p, n, out, outlen,
		                     err, errlen);
	gate_snap_release(&s->pub);
	return r;
}

/* ---- signed files of the root ------------------------------------------------ */

struct sgn_entry {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
	uint64_t gen;
	char name[CFG_FILENAME_MAX + 8];
	struct blob *b;
};

struct gate_sgn_cache {
	struct sgn_entry e[GATE_SGN_CACHE];
	size_t next;                     /* round-robin slot to replace */
	size_t bytes;
};

void
gate_sgn_cache_free(struct gate_sgn_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < GATE_SGN_CACHE; i++)
		gate_blob_release(c->e[i].b ? &c->e[i].b->pub : NULL);
	free(c);
}

static int
entry_is(const struct sgn_entry *e, const struct stat *st, uint64_t gen,
         const char *name)
{
	return e->b != NULL && e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size &&
	       e->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec &&
	       e->gen == gen && strcmp(e->name, name) == 0;
}

/* The whole file into memory (it is at most GATE_SGN_FILE_MAX). */
static uint8_t *
read_all(int fd, size_t n, char *err, size_t errlen)
{
	uint8_t *p = malloc(n ? n : 1);
	size_t got = 0;

	while (p != NULL && got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)got);

		if (r <= 0) {
			snprintf(err, errlen, "reading the file: %s",
			         r < 0 ? strerror(errno) : "shorter than its size");
			free(p);
			return NULL;
		}
		got += (size_t)r;
	}
	if (p == NULL)
		snprintf(err, errlen, "out of memory");
	return p;
}

/* Keeps b (one reference of the cache's own) in the next slot. */
static void
cache_put(struct gate *g, const struct stat *st, const char *name, struct blob *b)
{
	struct gate_sgn_cache *c = g->sgn;
	struct sgn_entry *e;

	if (c == NULL && (c = g->sgn = calloc(1, sizeof(*c))) == NULL)
		return;
	if (b->pub.len > GATE_SGN_CACHE_BYTES)
		return;
	e = &c->e[c->next];
	c->next = (c->next + 1) % GATE_SGN_CACHE;
	while (e->b != NULL || c->bytes + b->pub.len > GATE_SGN_CACHE_BYTES) {
		if (e->b != NULL) {
			c->bytes -= e->b->pub.len;
			gate_blob_release(&e->b->pub);
			e->b = NULL;
			continue;
		}
		e = &c->e[c->next];               /* over the byte limit: drop more */
		c->next = (c->next + 1) % GATE_SGN_CACHE;
	}
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	e->gen = b->pub.gen;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->b = blob_ref(b);
	c->bytes += b->pub.len;
}

static struct blob *
cache_find(struct gate *g, const struct stat *st, uint64_t gen, const char *name)
{
	for (size_t i = 0; g->sgn != NULL && i < GATE_SGN_CACHE; i++)
		if (entry_is(&g->sgn->e[i], st, gen, name))
			return blob_ref(g->sgn->e[i].b);
	return NULL;
}

const struct gate_blob *
gate_sign_file(struct gate *g, int fd, const char *sgn_name, char *err, size_t errlen)
{
	const struct gate_snap *s = gate_snap(g);
	uint64_t gen = s->gen.config;
	struct stat st;
	struct blob *b;
	uint8_t *data, *out = NULL;
	size_t outlen;
	int r;

	gate_snap_release(s);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		return NULL;
	}
	if ((uint64_t)st.st_size > GATE_SGN_FILE_MAX) {
		snprintf(err, errlen, "file over %u bytes is not signed on demand",
		         (unsigned)GATE_SGN_FILE_MAX);
		return NULL;
	}
	pthread_mutex_lock(&g->sgn_lock);
	b = cache_find(g, &st, gen, sgn_name);
	pthread_mutex_unlock(&g->sgn_lock);
	if (b != NULL)
		return &b->pub;
	if ((data = read_all(fd, (size_t)st.st_size, err, errlen)) == NULL)
		return NULL;
	r = gate_sign(g, sgn_name, data, (size_t)st.st_size, &out, &outlen, err, errlen);
	free(data);
	if (r != 0 || (b = blob_new(out, outlen, gen)) == NULL)
		return NULL;
	pthread_mutex_lock(&g->sgn_lock);
	cache_put(g, &st, sgn_name, b);
	pthread_mutex_unlock(&g->sgn_lock);
	return &b->pub;
}
