/*
 * state.c - what every request shares: one store handle per MHD thread, the
 * settings, keys and revocations read from the store (reloaded when its
 * generation moves), and the rendered-config cache.
 *
 * The store's two generations are read on every request (one PRAGMA when
 * nothing changed); everything derived from the store is rebuilt only when
 * they move, under h->lock taken exclusively.  Requests hold h->lock shared
 * while they use the validator, the revocation set and the settings.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "httpsd/httpsd_int.h"

#define CACHE_ENTRIES_MAX 65536           /* rendered configs + misses kept */

static void
store_destroy(void *p)
{
	store_close(p);
}

struct store *
httpsd_store(struct httpsd *h)
{
	struct store *st = pthread_getspecific(h->store_key);
	char err[STORE_ERR_MAX];

	if (st != NULL)
		return st;
	st = store_open(h->o.datadir, 0, err, sizeof(err));
	if (st == NULL) {
		log_msg(LOG_ERR, "store: %s", err);
		return NULL;
	}
	pthread_setspecific(h->store_key, st);
	return st;
}

/* ---- revocations ------------------------------------------------------- */

static int
rev_reload(struct httpsd *h, struct store *st)
{
	char err[STORE_ERR_MAX];

	if (store_revset_load(st, &h->rev, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "store: revocations: %s", err);
		return -1;
	}
	return 0;
}

/* Called from inside tok_validate, which requests run with h->lock held
 * shared, so the set cannot change underneath. */
int
httpsd_revoked(void *arg, const struct tok_claims *c)
{
	struct httpsd *h = arg;

	return store_revset_revoked(&h->rev, c->jti, c->dev, c->sub, c->iat);
}

/* ---- rendered configs -------------------------------------------------- */

static uint32_t
name_hash(const char *s)
{
	uint32_t x = 2166136261u;

	for (; *s; s++)
		x = (x ^ (uint8_t)*s) * 16777619u;
	return x;
}

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

static size_t cache_count;               /* under h->lock exclusive */

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
	cache_count = 0;
}

static struct cfg_cache_entry *
cfg_render(struct httpsd *h, struct store *st, const char *device)
{
	struct cfg_cache_entry *e = calloc(1, sizeof(*e));
	struct store_render *sr = malloc(sizeof(*sr));
	struct cfg_render_ctx ctx;
	struct cfg_output out;
	char err[STORE_ERR_MAX] = "out of memory", hex[65];
	int r;

	(void)h;
	if (e == NULL || sr == NULL)
		goto fail;
	atomic_init(&e->refs, 1);
	snprintf(e->device, sizeof(e->device), "%s", device);
	memset(&out, 0, sizeof(out));
	if (strcmp(device, CFG_DEFAULT_FILE) == 0) {
		/* XMLDefault.cnf.xml: the same rendering oprov-tftpd serves. */
		if (store_render_default_load(st, sr, err, sizeof(err)) != 0)
			goto fail;
		store_render_ctx(sr, &ctx);
		if (cfg_render_default(&ctx, &out, err, sizeof(err)) < 0)
			goto fail;
	} else {
		/* The same snapshot `oprovctl device config` renders from. */
		r = store_render_load(st, device, sr, err, sizeof(err));
		if (r == STORE_NOTFOUND) {
			free(sr);
			return e;                /* exists = 0 */
		}
		if (r != 0)
			goto fail;
		store_render_ctx(sr, &ctx);
		if (cfg_render_device(&ctx, &out, err, sizeof(err)) < 0)
			goto fail;
	}
	e->exists = 1;
	e->oauth = cfg_device_needs_token(&sr->profile);
	snprintf(e->owner, sizeof(e->owner), "%s", sr->device.owner);
	free(sr);
	sr = NULL;
	e->body = out.data;                  /* ownership moves to the entry */
	e->len = out.len;
	trust_sha256_hex(e->body, e->len, hex);
	snprintf(e->etag, sizeof(e->etag), "\"%.32s\"", hex);
	/* Built once; libmicrohttpd reference-counts it per queued reply. */
	e->resp = MHD_create_response_from_buffer(e->len, e->body,
	                                          MHD_RESPMEM_PERSISTENT);
	if (e->resp == NULL)
		goto fail;
	MHD_add_response_header(e->resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "text/xml; charset=utf-8");
	MHD_add_response_header(e->resp, MHD_HTTP_HEADER_ETAG, e->etag);
	MHD_add_response_header(e->resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(e->resp, "X-Content-Type-Options", "nosniff");
	return e;
fail:
	log_msg(LOG_ERR, "render %s: %s", device, err);
	free(sr);
	if (e != NULL)
		entry_free(e);
	return NULL;
}

struct cfg_cache_entry *
httpsd_cfg_get(struct httpsd *h, struct store *st, const char *device)
{
	uint32_t b = name_hash(device) % HTTPSD_CONFIG_CACHE;
	struct cfg_cache_entry *e, *ne;
	uint64_t gen;

	pthread_rwlock_rdlock(&h->lock);
	for (e = h->cache[b]; e != NULL; e = e->next)
		if (strcmp(e->device, device) == 0) {
			atomic_fetch_add(&e->refs, 1);
			break;
		}
	gen = h->config_gen;
	pthread_rwlock_unlock(&h->lock);
	if (e != NULL)
		return e;

	ne = cfg_render(h, st, device);
	if (ne == NULL)
		return NULL;
	pthread_rwlock_wrlock(&h->lock);
	if (h->config_gen == gen && cache_count < CACHE_ENTRIES_MAX) {
		for (e = h->cache[b]; e != NULL; e = e->next)
			if (strcmp(e->device, device) == 0)
				break;
		if (e == NULL) {
			atomic_fetch_add(&ne->refs, 1);  /* the cache's reference */
			ne->next = h->cache[b];
			h->cache[b] = ne;
			cache_count++;
		}
	}
	pthread_rwlock_unlock(&h->lock);
	return ne;
}

/* ---- settings and keys --------------------------------------------------- */

static int
validator_make(struct httpsd *h)
{
	struct tok_config tc;
	tok_validator *v;
	char err[256];

	memset(&tc, 0, sizeof(tc));
	tc.issuer = h->issuer;
	tc.audience = h->audience;
	tc.skew = -1;
	tc.revoked = httpsd_revoked;
	tc.revoked_arg = h;
	v = tok_validator_new(&tc, h->keys, err, sizeof(err));
	if (v == NULL) {
		log_msg(LOG_ERR, "token validator: %s", err);
		return -1;
	}
	tok_validator_free(h->validator);
	h->validator = v;
	return 0;
}

/* Everything derived from the config generation.  h->lock exclusive. */
static int
config_reload(struct httpsd *h, struct store *st)
{
	char err[STORE_ERR_MAX];
	struct store_token_config tc;
	keyset *ks = NULL;
	trust_key *signing = NULL;
	int issuer_changed;

	if (store_token_config(st, &tc, err, sizeof(err)) < 0 ||
	    store_params_load(st, &h->params, err, sizeof(err)) < 0 ||
	    store_cluster_get(st, &h->cluster, err, sizeof(err)) != 0 ||
	    (ks = store_verify_keyset(st, err, sizeof(err))) == NULL) {
		log_msg(LOG_ERR, "store: %s", err);
		goto fail;
	}
	/* Without a signing key configs are still served to valid tokens;
	 * only the token endpoint cannot issue new ones. */
	if ((signing = store_signing_key(st, err, sizeof(err))) == NULL)
		log_msg(LOG_ERR, "store: %s; the token endpoint cannot issue tokens", err);
	{
		json_t *j = keyset_to_jwks(ks);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (text == NULL)
			goto fail;
		free(h->jwks_text);
		h->jwks_text = text;
	}
	issuer_changed = strcmp(tc.issuer, h->issuer) != 0 ||
	                 strcmp(tc.audience, h->audience) != 0;
	snprintf(h->issuer, sizeof(h->issuer), "%s", tc.issuer);
	snprintf(h->audience, sizeof(h->audience), "%s", tc.audience);
	/* Takes ks.  Tokens of a rotated-out key fail from now on. */
	if (keystore_set(h->keys, h->issuer, ks, err, sizeof(err)) < 0) {
		ks = NULL;
		log_msg(LOG_ERR, "key store: %s", err);
		goto fail;
	}
	ks = NULL;
	key_unref(h->signing);
	h->signing = signing;
	signing = NULL;
	if ((issuer_changed || h->validator == NULL) && validator_make(h) < 0)
		return -1;
	cache_flush(h);
	return 0;
fail:
	keyset_free(ks);
	key_unref(signing);
	return -1;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
httpsd_sync(struct httpsd *h, struct store *st, int force)
{
	struct store_generation g;
	char err[STORE_ERR_MAX];
	int rc = 0;

	if (!force && atomic_load(&h->have_gen)) {
		int_fast64_t now = mono_ms(), next = atomic_load(&h->next_sync_ms);
		/* One thread reads per interval; the others go on with what
		 * is in memory. */
		if (now < next || !atomic_compare_exchange_strong(&h->next_sync_ms,
		                                                   &next,
		                                                   now + HTTPSD_SYNC_MS))
			return 0;
	}
	if (store_generation(st, &g, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "store: generation: %s", err);
		return -1;
	}
	pthread_rwlock_rdlock(&h->lock);
	if (h->have_gen && g.config == h->config_gen &&
	    g.revocation == h->revocation_gen) {
		pthread_rwlock_unlock(&h->lock);
		return 0;
	}
	pthread_rwlock_unlock(&h->lock);

	pthread_rwlock_wrlock(&h->lock);
	if (!h->have_gen || g.config != h->config_gen) {
		if (config_reload(h, st) < 0)
			rc = -1;
		else
			h->config_gen = g.config;
	}
	if (rc == 0 && (!h->have_gen || g.revocation != h->revocation_gen)) {
		if (rev_reload(h, st) < 0)
			rc = -1;
		else
			h->revocation_gen = g.revocation;
	}
	if (rc == 0)
		atomic_store(&h->have_gen, 1);
	pthread_rwlock_unlock(&h->lock);
	return rc;
}

void
httpsd_settings(struct httpsd *h, char *issuer, size_t isz,
                struct cfg_params *params, struct cfg_cluster *cluster)
{
	pthread_rwlock_rdlock(&h->lock);
	if (issuer != NULL)
		snprintf(issuer, isz, "%s", h->issuer);
	if (params != NULL)
		*params = h->params;
	if (cluster != NULL)
		*cluster = h->cluster;
	pthread_rwlock_unlock(&h->lock);
}

char *
httpsd_jwks(struct httpsd *h)
{
	char *t = NULL;

	pthread_rwlock_rdlock(&h->lock);
	if (h->jwks_text != NULL)
		t = strdup(h->jwks_text);
	pthread_rwlock_unlock(&h->lock);
	return t;
}

trust_key *
httpsd_signing_key(struct httpsd *h)
{
	trust_key *k = NULL;

	pthread_rwlock_rdlock(&h->lock);
	if (h->signing != NULL)
		k = key_ref(h->signing);
	pthread_rwlock_unlock(&h->lock);
	return k;
}

int
httpsd_tls_load(struct httpsd *h, char *err, size_t errlen)
{
	struct store *st = httpsd_store(h);
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
	 * it have drained (httpsd_tls_retire_done). */
	httpsd_tls_free(h->tls_retired);
	h->tls_retired = h->tls;
	h->tls = t;
	httpsd_tls_use(t);
	return 0;
}

int
httpsd_state_init(struct httpsd *h, char *err, size_t errlen)
{
	pthread_rwlock_init(&h->lock, NULL);
	pthread_mutex_init(&h->rate_lock, NULL);
	pthread_mutex_init(&h->conn_lock, NULL);
	if (pthread_key_create(&h->store_key, store_destroy) != 0) {
		snprintf(err, errlen, "pthread_key_create failed");
		return -1;
	}
	h->keys = keystore_new();
	if (h->keys == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
httpsd_state_free(struct httpsd *h)
{
	struct store *st = pthread_getspecific(h->store_key);

	cache_flush(h);
	tok_validator_free(h->validator);
	keystore_free(h->keys);
	key_unref(h->signing);
	store_revset_free(&h->rev);
	free(h->jwks_text);
	httpsd_tls_free(h->tls);
	h->tls = NULL;
	httpsd_tls_free(h->tls_retired);
	h->tls_retired = NULL;
	if (st != NULL) {
		pthread_setspecific(h->store_key, NULL);
		store_close(st);
	}
}
