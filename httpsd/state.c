/*
 * state.c - what oprov-httpsd keeps besides the gate: the rendered-config
 * cache (one config generation at a time, shared by every thread) and the
 * TLS pair loaded from the store.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpsd/httpsd_int.h"

#define CACHE_ENTRIES_MAX 65536           /* rendered configs kept */

static void
entry_free(struct cfg_cache_entry *e)
{
	if (e->resp != NULL)
		MHD_destroy_response(e->resp);
	free(e->body);
	free(e);
}

void
httpsd_cfg_release(struct cfg_cache_entry *e)
{
	if (e != NULL && atomic_fetch_sub(&e->refs, 1) == 1)
		entry_free(e);
}

/* Under cache_lock held exclusively. */
static void
cache_flush(struct httpsd *h)
{
	for (size_t i = 0; i < HTTPSD_CONFIG_CACHE; i++) {
		struct cfg_cache_entry *e = h->cache[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			httpsd_cfg_release(e);
		}
		h->cache[i] = NULL;
	}
	h->cache_count = 0;
}

/* The body of a cache entry: the rendered file, or for a key ending in
 * ".sgn" the file signed under the name the phone asked for. */
static int
cfg_body(struct httpsd *h, struct cfg_cache_entry *e, const char *device, int sgn,
         char *err, size_t errlen)
{
	struct cfg_output out;
	char name[CFG_FILENAME_MAX + 1];
	uint8_t *sbody;
	int rc = 0;

	/* The same rendering `oprovctl device config` and oprov-tftpd make. */
	if (gate_render(h->gate, device, NULL, &out, &e->gen, err, errlen) != 0)
		return -1;
	if (sgn) {
		snprintf(name, sizeof(name), "%s%s", device,
		         strcmp(device, CFG_DEFAULT_FILE) == 0 ? ".sgn" : ".cnf.xml.sgn");
		if (gate_sign(h->gate, name, out.data, out.len, &sbody, &e->len, err,
		              errlen) == 0)
			e->body = (char *)sbody;
		else
			rc = -1;
	} else {
		e->len = out.len;
		if ((e->body = malloc(out.len ? out.len : 1)) != NULL)
			memcpy(e->body, out.data, out.len);
		else
			rc = -1;
	}
	cfg_output_free(&out);
	return rc;
}

static struct cfg_cache_entry *
cfg_render(struct httpsd *h, const char *key)
{
	struct cfg_cache_entry *e = calloc(1, sizeof(*e));
	char err[STORE_ERR_MAX] = "out of memory", hex[65], device[HTTPSD_CFG_KEY_MAX];
	size_t kl = strlen(key);
	int sgn = kl > 4 && strcmp(key + kl - 4, ".sgn") == 0;

	if (e == NULL)
		goto fail;
	atomic_fetch_add(&h->m.renders, 1);
	atomic_init(&e->refs, 1);
	snprintf(e->device, sizeof(e->device), "%s", key);
	snprintf(device, sizeof(device), "%.*s", (int)(sgn ? kl - 4 : kl), key);
	if (cfg_body(h, e, device, sgn, err, sizeof(err)) < 0)
		goto fail;
	trust_sha256_hex(e->body, e->len, hex);
	snprintf(e->etag, sizeof(e->etag), "\"%.32s\"", hex);
	/* Built once; libmicrohttpd reference-counts it per queued reply. */
	e->resp = MHD_create_response_from_buffer(e->len, e->body,
	                                          MHD_RESPMEM_PERSISTENT);
	if (e->resp == NULL)
		goto fail;
	MHD_add_response_header(e->resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        sgn ? "application/octet-stream" : "text/xml; charset=utf-8");
	MHD_add_response_header(e->resp, MHD_HTTP_HEADER_ETAG, e->etag);
	MHD_add_response_header(e->resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(e->resp, "X-Content-Type-Options", "nosniff");
	return e;
fail:
	log_msg(LOG_ERR, "render %s: %s", key, err);
	if (e != NULL)
		entry_free(e);
	return NULL;
}

static struct cfg_cache_entry *
cache_find(struct httpsd *h, size_t b, const char *device)
{
	struct cfg_cache_entry *e;

	for (e = h->cache[b]; e != NULL; e = e->next)
		if (strcmp(e->device, device) == 0)
			return e;
	return NULL;
}

struct cfg_cache_entry *
httpsd_cfg_get(struct httpsd *h, const char *device, uint64_t gen)
{
	size_t b = hash_string(device) % HTTPSD_CONFIG_CACHE;
	struct cfg_cache_entry *e = NULL, *ne;

	atomic_fetch_add(&h->m.config_lookups, 1);
	pthread_rwlock_rdlock(&h->cache_lock);
	if (h->cache_gen == gen && (e = cache_find(h, b, device)) != NULL)
		atomic_fetch_add(&e->refs, 1);
	pthread_rwlock_unlock(&h->cache_lock);
	if (e != NULL)
		return e;

	if ((ne = cfg_render(h, device)) == NULL)
		return NULL;
	pthread_rwlock_wrlock(&h->cache_lock);
	/* A newer generation replaces the whole cache; an older rendering
	 * (the store moved on meanwhile) is served once and not kept. */
	if (ne->gen > h->cache_gen) {
		cache_flush(h);
		h->cache_gen = ne->gen;
	}
	if (ne->gen == h->cache_gen && h->cache_count < CACHE_ENTRIES_MAX &&
	    cache_find(h, b, device) == NULL) {
		atomic_fetch_add(&ne->refs, 1);  /* the cache's reference */
		ne->next = h->cache[b];
		h->cache[b] = ne;
		h->cache_count++;
	}
	pthread_rwlock_unlock(&h->cache_lock);
	return ne;
}

/* ---- the TLS pair ---------------------------------------------------------------- */

int
httpsd_tls_load(struct httpsd *h, char *err, size_t errlen)
{
	struct store *st = gate_store(h->gate);
	struct store_cert c;
	struct httpsd_tls *t;
	int r;

	if (st == NULL) {
		snprintf(err, errlen, "cannot open the store in %s", h->o.datadir);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	r = store_cert_tomcat(st, &c, err, errlen);
	if (r == STORE_NOTFOUND) {
		snprintf(err, errlen, "the store has no tomcat certificate (run `oprovctl init`)");
		return -1;
	}
	if (r != 0)
		return -1;
	if (c.pem == NULL || c.key_pem == NULL) {
		store_cert_free(&c);
		snprintf(err, errlen, "the tomcat certificate has no key");
		return -1;
	}
	/* The key lives on only inside OpenSSL; store_cert_free wipes the
	 * PEM text. */
	t = httpsd_tls_new(c.pem, c.key_pem, err, errlen);
	store_cert_free(&c);
	if (t == NULL)
		return -1;
	/* At a reload the previous pair stays until the listeners that served
	 * it have drained (main.c's drain_all). */
	httpsd_tls_free(h->tls_retired);
	h->tls_retired = h->tls;
	h->tls = t;
	httpsd_tls_use(t);
	return 0;
}

int
httpsd_state_init(struct httpsd *h, char *err, size_t errlen)
{
	struct limiter_config lc;

	pthread_rwlock_init(&h->cache_lock, NULL);
	pthread_mutex_init(&h->conn_lock, NULL);
	pthread_mutex_init(&h->note_lock, NULL);
	/* Failed activation codes: code_fails per (address, device), given
	 * back over code_window; code_device_fails per device; and
	 * code_global_fails in all. */
	memset(&lc, 0, sizeof(lc));
	lc.burst = h->o.code_fails;
	lc.window_ms = h->o.code_window * 1000u;
	lc.max_keys = HTTPSD_CODE_ADDRS;
	h->code_fails = limiter_new(&lc);
	lc.burst = h->o.code_device_fails;
	h->code_dev_fails = limiter_new(&lc);
	lc.burst = h->o.code_global_fails;
	lc.max_keys = 1;
	h->code_all_fails = limiter_new(&lc);
	if (h->code_fails == NULL || h->code_dev_fails == NULL ||
	    h->code_all_fails == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
httpsd_state_free(struct httpsd *h)
{
	pthread_rwlock_wrlock(&h->cache_lock);
	cache_flush(h);
	pthread_rwlock_unlock(&h->cache_lock);
	limiter_free(h->code_fails);
	limiter_free(h->code_dev_fails);
	limiter_free(h->code_all_fails);
	httpsd_tls_free(h->tls);
	h->tls = NULL;
	httpsd_tls_free(h->tls_retired);
	h->tls_retired = NULL;
}
