/*
 * snapshot.c - building the two parts of a snapshot from the store: what
 * the config generation decides (settings, keys, devices, Expressway-C
 * names, node hosts) and the revocation list of the revocation generation.
 * Each part is built whole in the sync thread, then shared read-only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/gate_int.h"

/* ---- names: Expressway-C X.509 names and node hosts ---------------------- */

struct name_list {
	struct gate_arena *a;
	const char **v;
	size_t n;
	int failed;
};

static int
name_push(struct name_list *l, const char *s)
{
	if (l->n == GATE_NAMES_MAX)
		return 0;                        /* the cap: the rest is ignored */
	if ((l->v[l->n] = gate_arena_strdup(l->a, s)) == NULL) {
		l->failed = 1;
		return 1;
	}
	l->n++;
	return 0;
}

static int
xname_one(void *arg, const struct store_expressway *e)
{
	for (size_t i = 0; i < e->n_names; i++)
		if (name_push(arg, e->names[i]) != 0)
			return 1;
	return 0;
}

static int
node_one(void *arg, const struct cfg_node *n)
{
	return n->host[0] ? name_push(arg, n->host) : 0;
}

static int
names_load(struct gate_conf *c, struct store *st, char *err, size_t errlen)
{
	struct name_list x = { &c->names, NULL, 0, 0 }, h = x;

	x.v = gate_arena_alloc(&c->names, GATE_NAMES_MAX * sizeof(*x.v));
	h.v = gate_arena_alloc(&c->names, GATE_NAMES_MAX * sizeof(*h.v));
	if (x.v == NULL || h.v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (store_expressway_list(st, xname_one, &x, err, errlen) != 0 ||
	    store_node_list(st, node_one, &h, err, errlen) != 0)
		return -1;
	if (x.failed || h.failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->xnames = x.v;
	c->nxnames = x.n;
	c->node_hosts = h.v;
	c->nnode_hosts = h.n;
	return 0;
}

/* ---- keys and the validator ------------------------------------------------ */

static struct gate_validator *
validator_new(const struct store_token_config *tc, keystore *keys, char *err,
              size_t errlen)
{
	struct gate_validator *gv = calloc(1, sizeof(*gv));
	struct tok_config cfg;

	if (gv == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.issuer = tc->issuer;
	cfg.audience = tc->audience;
	cfg.skew = -1;
	/* Revocation is checked by gate_validate against the snapshot's
	 * set, so the validator needs no callback into daemon state. */
	gv->v = tok_validator_new(&cfg, keys, err, errlen);
	if (gv->v == NULL) {
		free(gv);
		return NULL;
	}
	atomic_init(&gv->refs, 1);
	snprintf(gv->issuer, sizeof(gv->issuer), "%s", tc->issuer);
	snprintf(gv->audience, sizeof(gv->audience), "%s", tc->audience);
	return gv;
}

static void
validator_unref(struct gate_validator *gv)
{
	if (gv != NULL && atomic_fetch_sub(&gv->refs, 1) == 1) {
		tok_validator_free(gv->v);
		free(gv);
	}
}

/* Publishes the verification keys (the keystore swaps them atomically)
 * and keeps their JWKS text. */
static int
keys_load(struct gate *g, struct gate_conf *c, struct store *st, char *err,
          size_t errlen)
{
	keyset *ks = store_verify_keyset(st, err, errlen);
	json_t *j;

	if (ks == NULL)
		return -1;
	j = keyset_to_jwks(ks);
	c->jwks = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (c->jwks == NULL) {
		keyset_free(ks);
		snprintf(err, errlen, "JWKS: out of memory");
		return -1;
	}
	/* Takes ks, also on failure.  Tokens of a rotated-out key fail from
	 * the moment this returns. */
	if (keystore_set(g->keys, c->tc.issuer, ks, err, errlen) < 0)
		return -1;
	if (g->o.signing_key) {
		char serr[STORE_ERR_MAX];
		/* Without it configs are still served to valid tokens; only
		 * the token endpoint cannot issue new ones. */
		if ((c->signing = store_signing_key(st, serr, sizeof(serr))) == NULL)
			log_msg(LOG_ERR, "store: %s; the token endpoint cannot "
			        "issue tokens", serr);
	}
	return 0;
}

struct gate_conf *
gate_conf_load(struct gate *g, struct store *st, uint64_t gen,
               const struct gate_conf *prev, char *err, size_t errlen)
{
	struct gate_conf *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&c->refs, 1);
	c->gen = gen;
	if (store_token_config(st, &c->tc, err, errlen) != 0 ||
	    store_params_load(st, &c->params, err, errlen) != 0 ||
	    store_cluster_get(st, &c->cluster, err, errlen) != 0 ||
	    keys_load(g, c, st, err, errlen) != 0 ||
	    names_load(c, st, err, errlen) != 0 ||
	    gate_devices_load(&c->devices, st, err, errlen) != 0 ||
	    gate_named_load(&c->named, st, err, errlen) != 0)
		goto fail;
	if (g->o.trust_files)
		c->trust = gate_trust_load(st, gen);
	if (prev != NULL && prev->validator != NULL &&
	    strcmp(prev->validator->issuer, c->tc.issuer) == 0 &&
	    strcmp(prev->validator->audience, c->tc.audience) == 0) {
		c->validator = prev->validator;
		atomic_fetch_add(&c->validator->refs, 1);
	} else if ((c->validator = validator_new(&c->tc, g->keys, err,
	                                         errlen)) == NULL) {
		goto fail;
	}
	return c;
fail:
	gate_conf_unref(c);
	return NULL;
}

void
gate_conf_unref(struct gate_conf *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	free(c->jwks);
	key_unref(c->signing);
	validator_unref(c->validator);
	gate_arena_free(&c->names);
	gate_devices_free(&c->devices);
	gate_trust_free(c->trust);
	gate_named_free(&c->named);
	free(c);
}

struct gate_revs *
gate_revs_load(struct store *st, uint64_t gen, char *err, size_t errlen)
{
	struct gate_revs *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&r->refs, 1);
	r->gen = gen;
	if (store_revset_load(st, &r->rev, err, errlen) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

void
gate_revs_unref(struct gate_revs *r)
{
	if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	store_revset_free(&r->rev);
	free(r);
}

struct gate_snap_int *
gate_snap_make(struct gate_conf *c, struct gate_revs *r)
{
	struct gate_snap_int *s = calloc(1, sizeof(*s));
	struct gate_snap *p;

	if (s == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&r->refs, 1);
	s->conf = c;
	s->revs = r;
	p = &s->pub;
	p->gen.config = c->gen;
	p->gen.revocation = r->gen;
	snprintf(p->issuer, sizeof(p->issuer), "%s", c->tc.issuer);
	snprintf(p->audience, sizeof(p->audience), "%s", c->tc.audience);
	p->params = c->params;
	p->cluster = c->cluster;
	p->jwks = c->jwks;
	p->signing = c->signing;
	p->xnames = c->xnames;
	p->nxnames = c->nxnames;
	p->node_hosts = c->node_hosts;
	p->nnode_hosts = c->nnode_hosts;
	p->ndevices = c->devices.n;
	return s;
}
