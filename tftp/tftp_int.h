/*
 * tftp_int.h - private to tftp/: the shared byte sources and their per-loop
 * cache, safe opening beneath the file root, per-address admission, and the
 * resolver that turns a requested name into something to send.  The
 * engine's own structures (loops, transfers) are in loop_int.h.
 *
 * What tftpd may touch: the gate (gate/gate.h, given in tftp_config) for
 * every decision about a device's file and for rendering configs the loop's
 * cache does not hold (gate_render, read-only store handles); nothing
 * else of the store.
 */
#ifndef OPROV_TFTP_INT_H
#define OPROV_TFTP_INT_H

#include <pthread.h>
#include <sys/types.h>

#include "tftp/tftp.h"

/* ---- byte sources -------------------------------------------------------- */
struct tftp_src {
	unsigned refs;
	int fd;                       /* -1 when the bytes are in mem */
	uint8_t *mem;                 /* owned */
	uint64_t size;
	/* identity of a file (dev, ino, size, mtime): a replaced or rewritten
	 * file is a different source, never a stale one */
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	char *key;                    /* rendered sources: "name\0" + generation */
	uint64_t gen;
	int stale;                    /* dropped from the cache, freed at refs 0 */
	struct tftp_src *hnext;       /* hash chain */
	struct tftp_src *lprev, *lnext; /* LRU of idle entries (refs == 0) */
	int in_lru;
};

#define TFTP_CACHE_BUCKETS 1024
#define TFTP_CACHE_ENTRIES 4096   /* idle entries kept at most, per loop */

struct tftp_cache {
	struct tftp_src *bucket[TFTP_CACHE_BUCKETS];
	struct tftp_src *lru_head, *lru_tail;  /* head = most recently idle */
	size_t idle, bytes;
	size_t file_max, bytes_max;
};

void tftp_cache_init(struct tftp_cache *c, size_t file_max, size_t bytes_max);
/* Drops every idle entry and marks busy ones stale. */
void tftp_cache_flush(struct tftp_cache *c);
/* The same for rendered entries only (the store generation moved). */
void tftp_cache_drop_rendered(struct tftp_cache *c);
void tftp_cache_free(struct tftp_cache *c);
/* Takes ownership of fd (an open regular file): returns the shared source
 * for that content (closing fd when one is cached), or NULL on a read
 * error.  The result holds one reference. */
struct tftp_src *tftp_cache_file(struct tftp_cache *c, int fd, char *err, size_t errlen);
/* A rendered source for key/gen, or NULL; holds one reference. */
struct tftp_src *tftp_cache_rendered_get(struct tftp_cache *c, const char *key, uint64_t gen);
/* Takes ownership of data (malloc'd). */
struct tftp_src *tftp_cache_rendered_put(struct tftp_cache *c, const char *key, uint64_t gen,
                                         uint8_t *data, size_t len);
void tftp_src_unref(struct tftp_cache *c, struct tftp_src *s);
/* Copies or points: returns a pointer to len bytes at off (into buf when
 * the source is a file), or NULL on a read error.  *got may be short at the
 * end of the source. */
const uint8_t *tftp_src_read(const struct tftp_src *s, uint64_t off, size_t len,
                             uint8_t *buf, size_t *got);

/* ---- opening beneath the root --------------------------------------------- */
/* common/'s path_open_beneath with the answer mapped to TFTP: the fd of a
 * regular file, or -1 with *code TFTP_ENOTFOUND, TFTP_EACCESS, or
 * TFTP_EUNDEF when the server ran out of a resource (never reported as a
 * refusal), and a reason in err. */
int tftp_open_beneath(int rootfd, const char *name, size_t len, int *code,
                      char *err, size_t errlen);

/* ---- admission: caps and rate per client address ----------------------- */
struct tftp_limiter;
enum tftp_admit { TFTP_ADMIT_OK, TFTP_ADMIT_RATE, TFTP_ADMIT_CLIENT, TFTP_ADMIT_TOTAL };
struct tftp_limiter *tftp_limiter_new(unsigned max_total, unsigned max_per_client,
                                      unsigned rate, unsigned burst);
void tftp_limiter_free(struct tftp_limiter *l);
/* Spends one token of the address's request budget: 0 allowed, -1 over. */
int tftp_limiter_rate(struct tftp_limiter *l, const struct sockaddr *sa, uint64_t now_ms);
/* Takes a transfer slot for the address. */
enum tftp_admit tftp_limiter_admit(struct tftp_limiter *l, const struct sockaddr *sa);
void tftp_limiter_release(struct tftp_limiter *l, const struct sockaddr *sa);
/* Forgets idle addresses whose bucket has refilled; called periodically. */
void tftp_limiter_sweep(struct tftp_limiter *l, uint64_t now_ms);

/* ---- resolving a requested name --------------------------------------------- */
enum tftp_res_kind { TFTP_RES_FILE, TFTP_RES_BYTES, TFTP_RES_REFUSE };
struct tftp_res {
	enum tftp_res_kind kind;
	int fd;                       /* FILE: open regular file (ownership passes) */
	struct tftp_src *src;         /* BYTES: a referenced rendered source */
	int code;                     /* REFUSE: TFTP error code */
	const char *msg;              /* REFUSE: text for the ERROR packet */
	char why[160];                /* REFUSE: reason for the log line */
	int oauth;                    /* REFUSE: an OAuth device's file */
};
struct tftp_resolver;
struct gate;
/* gate NULL: no store, device files are refused.  file_server is the host
 * name configgen puts for "{host}" in URLs (may be NULL). */
struct tftp_resolver *tftp_resolver_new(const char *files, struct gate *gate,
                                        const char *file_server, char *err, size_t errlen);
void tftp_resolver_free(struct tftp_resolver *r);
/* Reopens the file root (after SIGHUP).  0 / -1 (the old root stays). */
int tftp_resolver_reopen(struct tftp_resolver *r, char *err, size_t errlen);
void tftp_resolve(struct tftp_resolver *r, struct tftp_cache *c, const char *name,
                  size_t len, struct tftp_res *out);

uint64_t tftp_now_ms(void);

#endif
