/*
 * gate.c - the gate's life: opening the store and loading the first
 * snapshot, the sync thread that follows the store's generations,
 * publishing snapshots, per-thread store handles, token validation and
 * rendering through the store.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate/gate_int.h"

/* ---- publishing snapshots ------------------------------------------------- */

const struct gate_snap *
gate_snap(struct gate *g)
{
	struct gate_snap_int *s;

	pthread_spin_lock(&g->cur_lock);
	s = g->cur;
	atomic_fetch_add(&s->refs, 1);
	pthread_spin_unlock(&g->cur_lock);
	return &s->pub;
}

void
gate_snap_release(const struct gate_snap *p)
{
	struct gate_snap_int *s = (struct gate_snap_int *)(uintptr_t)p;

	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	gate_conf_unref(s->conf);
	gate_revs_unref(s->revs);
	free(s);
}

/* Takes the caller's reference to s. */
static void
publish(struct gate *g, struct gate_snap_int *s)
{
	struct gate_snap_int *old;

	pthread_spin_lock(&g->cur_lock);
	old = g->cur;
	g->cur = s;
	pthread_spin_unlock(&g->cur_lock);
	if (old != NULL)
		gate_snap_release(&old->pub);
}

/* ---- following the store ---------------------------------------------------- */

int
gate_sync_locked(struct gate *g, struct store *st, int *config_moved,
                 int *revocation_moved)
{
	struct store_generation gen;
	struct gate_snap_int *cur = g->cur, *s;
	struct gate_conf *c;
	struct gate_revs *r;
	char err[STORE_ERR_MAX];

	*config_moved = *revocation_moved = 0;
	if (store_generation(st, &gen, err, sizeof(err)) != 0) {
		if (store_unavailable(st))
			gate_set_degraded(g, 1, err);
		else
			log_msg(LOG_ERR, "store: generation: %s", err);
		return -1;
	}
	gate_set_degraded(g, 0, NULL);
	/* cur only changes under sync_lock, which the caller holds. */
	*config_moved = cur == NULL || gen.config != cur->conf->gen;
	*revocation_moved = cur == NULL || gen.revocation != cur->revs->gen;
	if (!*config_moved && !*revocation_moved)
		return 0;
	c = cur ? cur->conf : NULL;
	r = cur ? cur->revs : NULL;
	if (*config_moved &&
	    (c = gate_conf_load(g, st, gen.config, c, err, sizeof(err))) == NULL)
		goto fail;
	if (*revocation_moved &&
	    (r = gate_revs_load(st, gen.revocation, err, sizeof(err))) == NULL) {
		if (*config_moved)
			gate_conf_unref(c);
		goto fail;
	}
	s = gate_snap_make(c, r);
	/* gate_snap_make took its own references to new parts. */
	if (*config_moved)
		gate_conf_unref(c);
	if (*revocation_moved)
		gate_revs_unref(r);
	if (s == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (cur != NULL && *config_moved &&
	    c->cluster.sip_oauth_mode != cur->conf->cluster.sip_oauth_mode)
		log_msg(LOG_NOTICE, "cluster SIP OAuth mode is %s",
		        c->cluster.sip_oauth_mode ? "on" : "off");
	publish(g, s);
	return 0;
fail:
	/* The previous snapshot stays; the next round tries again. */
	log_msg(LOG_ERR, "store: reload: %s", err);
	*config_moved = *revocation_moved = 0;
	return -1;
}

static void
notify(struct gate *g, int cm, int rm)
{
	if ((cm || rm) && g->on_change != NULL)
		g->on_change(g->on_change_arg, cm, rm);
}

int
gate_refresh(struct gate *g)
{
	struct store *st = gate_store(g);
	int cm, rm, rc;

	if (st == NULL)
		return -1;
	pthread_mutex_lock(&g->sync_lock);
	rc = gate_sync_locked(g, st, &cm, &rm);
	pthread_mutex_unlock(&g->sync_lock);
	notify(g, cm, rm);
	return rc;
}

void
gate_on_change(struct gate *g, gate_change_fn fn, void *arg)
{
	pthread_mutex_lock(&g->sync_lock);
	g->on_change = fn;
	g->on_change_arg = arg;
	pthread_mutex_unlock(&g->sync_lock);
}

/* Until the store announces a change (PostgreSQL) or sync_ms pass; a store
 * that cannot wait (unreachable, or none open) is slept for instead.
 * Called and returns with wake_lock held. */
static void
sync_wait(struct gate *g)
{
	struct store *st;
	struct timespec ts;
	char err[STORE_ERR_MAX];

	pthread_mutex_unlock(&g->wake_lock);
	st = gate_store(g);
	if (st != NULL && store_wait_change(st, g->wake_fd[0], g->o.sync_ms, err,
	                                    sizeof(err)) >= 0) {
		pthread_mutex_lock(&g->wake_lock);
		return;
	}
	if (st != NULL)
		gate_set_degraded(g, 1, err);
	pthread_mutex_lock(&g->wake_lock);
	if (g->stop)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(g->o.sync_ms % 1000) * 1000000L;
	ts.tv_sec += (time_t)(g->o.sync_ms / 1000) + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&g->wake, &g->wake_lock, &ts);
}

static void *
sync_main(void *arg)
{
	struct gate *g = arg;
	struct store *st;

	pthread_mutex_lock(&g->wake_lock);
	while (!g->stop) {
		int cm, rm;

		sync_wait(g);
		if (g->stop)
			break;
		pthread_mutex_unlock(&g->wake_lock);
		/* Opened (and retried) here, as the user the daemon runs as. */
		if ((st = gate_store(g)) != NULL) {
			pthread_mutex_lock(&g->sync_lock);
			(void)gate_sync_locked(g, st, &cm, &rm);
			pthread_mutex_unlock(&g->sync_lock);
			notify(g, cm, rm);
			gate_chores(g, st);
		}
		pthread_mutex_lock(&g->wake_lock);
	}
	pthread_mutex_unlock(&g->wake_lock);
	return NULL;
}

/* ---- store handles ------------------------------------------------------------ */

static void
store_destroy(void *p)
{
	store_close(p);
}

struct store *
gate_store(struct gate *g)
{
	struct store *st;
	char err[STORE_ERR_MAX];

	if (!g->running && g->boot_st != NULL)
		return g->boot_st;              /* before gate_start: one thread */
	if ((st = pthread_getspecific(g->store_key)) != NULL)
		return st;
	if ((st = store_open(g->datadir, g->o.store_flags, err, sizeof(err))) == NULL) {
		/* Said once while the store stays out of reach. */
		gate_set_degraded(g, 1, err);
		return NULL;
	}
	if (g->o.lock_wait_ms != 0)
		(void)store_set_lock_wait(st, g->o.lock_wait_ms);
	pthread_setspecific(g->store_key, st);
	return st;
}

/* ---- life ------------------------------------------------------------------------ */

struct gate *
gate_open(const struct gate_options *o, char *err, size_t errlen)
{
	struct gate *g = calloc(1, sizeof(*g));
	int cm, rm;

	if (g == NULL || (g->datadir = strdup(o->datadir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(g);
		return NULL;
	}
	g->o = *o;
	g->o.datadir = g->datadir;
	g->wake_fd[0] = g->wake_fd[1] = -1;
	if (pipe2(g->wake_fd, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(g->datadir);
		free(g);
		return NULL;
	}
	if (g->o.sync_ms == 0)
		g->o.sync_ms = GATE_SYNC_MS_DEFAULT;
	pthread_spin_init(&g->cur_lock, PTHREAD_PROCESS_PRIVATE);
	pthread_mutex_init(&g->sync_lock, NULL);
	pthread_mutex_init(&g->wake_lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	pthread_mutex_init(&g->sgn_lock, NULL);
	if (pthread_key_create(&g->store_key, store_destroy) != 0 ||
	    (g->keys = keystore_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	g->have_key = 1;
	g->boot_st = store_open(g->datadir, g->o.store_flags, err, errlen);
	if (g->boot_st == NULL)
		goto fail;
	if (gate_sync_locked(g, g->boot_st, &cm, &rm) != 0) {
		snprintf(err, errlen, "cannot load settings, keys and devices "
		         "from the store in %s (see the line above)", g->datadir);
		goto fail;
	}
	return g;
fail:
	gate_close(g);
	return NULL;
}

int
gate_start(struct gate *g, char *err, size_t errlen)
{
	store_close(g->boot_st);
	g->boot_st = NULL;
	g->running = 1;
	if (pthread_create(&g->thread, NULL, sync_main, g) != 0) {
		g->running = 0;
		snprintf(err, errlen, "cannot start the store sync thread");
		return -1;
	}
	return 0;
}

void
gate_close(struct gate *g)
{
	struct store *st;

	if (g == NULL)
		return;
	if (g->running) {
		pthread_mutex_lock(&g->wake_lock);
		g->stop = 1;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->wake_lock);
		(void)!write(g->wake_fd[1], "x", 1);
		pthread_join(g->thread, NULL);
		g->running = 0;
	}
	if (g->have_key && (st = pthread_getspecific(g->store_key)) != NULL) {
		pthread_setspecific(g->store_key, NULL);
		store_close(st);
	}
	store_close(g->boot_st);
	if (g->cur != NULL)
		gate_snap_release(&g->cur->pub);
	keystore_free(g->keys);
	if (g->have_key)
		pthread_key_delete(g->store_key);
	gate_sgn_cache_free(g->sgn);
	pthread_mutex_destroy(&g->sgn_lock);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->wake_lock);
	pthread_mutex_destroy(&g->sync_lock);
	pthread_spin_destroy(&g->cur_lock);
	for (int i = 0; i < 2; i++)
		if (g->wake_fd[i] >= 0)
			close(g->wake_fd[i]);
	free(g->datadir);
	free(g);
}

/* ---- tokens -------------------------------------------------------------------- */

/* Validates against s's keys and revocations. */
enum tok_verdict
gate_validate_in(const struct gate_snap_int *s, const char *token, size_t len,
                 struct tok_claims *out)
{
	enum tok_verdict v = tok_validate(s->conf->validator->v, token, len, out);

	if (v == TOK_OK && store_revset_revoked(&s->revs->rev, out->jti, out->dev,
	                                        out->sub, out->iat))
		v = TOK_REVOKED;
	return v;
}

int
gate_token_revoked(const struct gate_snap *p, const char *jti,
                   const char *dev, const char *sub, int64_t iat)
{
	const struct gate_snap_int *s = (const struct gate_snap_int *)p;

	return store_revset_revoked(&s->revs->rev, jti, dev, sub, iat);
}

enum tok_verdict
gate_validate(struct gate *g, const char *token, size_t len,
              struct tok_claims *out)
{
	const struct gate_snap *p = gate_snap(g);
	enum tok_verdict v;

	v = gate_validate_in((const struct gate_snap_int *)p, token, len, out);
	gate_snap_release(p);
	return v;
}

void
gate_cache_stats(struct gate *g, struct tok_cache_stats *out)
{
	const struct gate_snap *p = gate_snap(g);

	tok_cache_stats(((const struct gate_snap_int *)p)->conf->validator->v, out);
	gate_snap_release(p);
}

/* ---- rendering ------------------------------------------------------------------ */

int
gate_render(struct gate *g, const char *device, const char *file_server,
            struct cfg_output *out, uint64_t *gen, char *err, size_t errlen)
{
	struct store *st = gate_store(g);
	struct store_render *rb;
	struct cfg_render_ctx ctx;
	struct cfg_file cf;
	int rc, dflt = strcmp(device, CFG_DEFAULT_FILE) == 0;

	memset(out, 0, sizeof(*out));
	if (st == NULL) {
		snprintf(err, errlen, "the store cannot be opened");
		return -1;
	}
	/* A dial plan, softkey template or feature policy (never a device
	 * name: those classify as no file at all). */
	switch (cfg_file_classify(device, strlen(device), &cf)) {
	case CFG_FILE_DIALPLAN:
	case CFG_FILE_SOFTKEYS:
	case CFG_FILE_FEATURE_POLICY:
		return store_render_named(st, cf.kind, cf.record, out, gen, err, errlen);
	default:
		break;
	}
	if ((rb = malloc(sizeof(*rb))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* One consistent store snapshot: what `oprovctl device config`
	 * renders from. */
	rc = dflt ? store_render_default_load(st, rb, err, errlen)
	          : store_render_load(st, device, rb, err, errlen);
	if (rc == 0) {
		store_render_ctx(rb, &ctx);
		if (file_server != NULL)
			ctx.file_server = file_server;
		*gen = rb->gen.config;
		rc = dflt ? cfg_render_default(&ctx, out, err, errlen)
		          : cfg_render_device(&ctx, out, err, errlen);
	}
	free(rb);
	return rc;
}
