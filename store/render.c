/*
 * render.c - store_render_load: the records one config rendering needs,
 * read through the backend's operations inside one snapshot; and the named
 * files (dial plans, softkey templates, feature policies) rendered the same
 * way.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static int
collect_load(void *arg, const struct cfg_load *l)
{
	struct store_render *r = arg;

	if (r->load_count >= STORE_LOADS_MAX)
		return 1;                       /* more models than any table has */
	r->loads[r->load_count++] = *l;
	return 0;
}

/* The per-model loads (inside the caller's snapshot). */
static int
loads_load(struct store *s, struct store_render *out, char *err, size_t errlen)
{
	int rc = s->ops->model_load_list(s, collect_load, out, err, errlen);

	return rc < 0 ? -1 : 0;
}

int
store_render_load(struct store *s, const char *device,
                  struct store_render *out, char *err, size_t errlen)
{
	int opened, rc;

	memset(out, 0, sizeof(*out));
	if (s->ops->snapshot_begin(s, &opened, err, errlen) < 0)
		return -1;
	if ((rc = s->ops->generation(s, &out->gen, err, errlen)) != 0)
		goto out;
	if ((rc = s->ops->device_get(s, device, &out->device, err, errlen)) != 0)
		goto out;
	rc = s->ops->profile_get(s, out->device.profile, &out->profile, err,
	                         errlen);
	if (rc != 0) {
		/* the schema's foreign key makes this a broken invariant */
		rc = store_fail(err, errlen, "device %s: security profile %s "
		                "missing", out->device.name, out->device.profile);
		goto out;
	}
	/* configgen's rule: a device without a pool is in "Default".  Only a
	 * named pool is guarded by a foreign key; "Default" may be absent, and
	 * then the file is rendered with the parameters' defaults and no node. */
	{
		const char *pool = out->device.pool[0] ? out->device.pool
		                                       : STORE_DEFAULT_POOL;
		rc = s->ops->pool_get(s, pool, &out->pool, err, errlen);
		if (rc < 0)
			goto out;
		if (rc == STORE_NOTFOUND && out->device.pool[0] != '\0') {
			rc = store_fail(err, errlen, "device %s: device pool %s "
			                "missing", out->device.name, out->device.pool);
			goto out;
		}
		out->has_pool = rc == 0;
	}
	if (out->has_pool) {
		for (size_t i = 0; i < out->pool.node_count; i++) {
			rc = s->ops->node_get(s, out->pool.nodes[i],
			                      &out->nodes[out->node_count], err,
			                      errlen);
			if (rc < 0)
				goto out;
			if (rc == 0)
				out->node_count++;
		}
	}
	if ((rc = store_params_load(s, &out->params, err, errlen)) != 0 ||
	    (rc = s->ops->line_shared(s, out->device.name, &out->shared_lines, err,
	                              errlen)) != 0 ||
	    (rc = loads_load(s, out, err, errlen)) != 0)
		goto out;
	rc = s->ops->cluster_get(s, &out->cluster, err, errlen);
out:
	s->ops->snapshot_end(s, opened);
	return rc;
}

static int
collect_node(void *arg, const struct cfg_node *n)
{
	struct store_render *r = arg;

	if (r->node_count >= CFG_GROUP_MAX)
		return 1;                       /* enough: stop the listing */
	r->nodes[r->node_count++] = *n;
	return 0;
}

int
store_render_default_load(struct store *s, struct store_render *out,
                          char *err, size_t errlen)
{
	int opened, rc;

	memset(out, 0, sizeof(*out));
	if (s->ops->snapshot_begin(s, &opened, err, errlen) < 0)
		return -1;
	if ((rc = s->ops->generation(s, &out->gen, err, errlen)) != 0)
		goto out;
	rc = s->ops->pool_get(s, STORE_DEFAULT_POOL, &out->pool, err, errlen);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		out->has_pool = 1;
		for (size_t i = 0; i < out->pool.node_count; i++) {
			rc = s->ops->node_get(s, out->pool.nodes[i],
			                      &out->nodes[out->node_count], err,
			                      errlen);
			if (rc < 0)
				goto out;
			if (rc == 0)
				out->node_count++;
		}
	} else if (s->ops->node_list(s, collect_node, out, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	if ((rc = store_params_load(s, &out->params, err, errlen)) != 0 ||
	    (rc = loads_load(s, out, err, errlen)) != 0)
		goto out;
	rc = s->ops->cluster_get(s, &out->cluster, err, errlen);
out:
	s->ops->snapshot_end(s, opened);
	return rc;
}

void
store_render_ctx(const struct store_render *r, struct cfg_render_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	if (r->device.name[0] != '\0') {       /* not for XMLDefault */
		ctx->device = &r->device;
		ctx->profile = &r->profile;
	}
	ctx->pool = r->has_pool ? &r->pool : NULL;
	ctx->nodes = r->nodes;
	ctx->node_count = r->node_count;
	ctx->params = &r->params;
	ctx->cluster = &r->cluster;
	/* {host} in the rendered URLs: the first node of the device's node
	 * group, the server a phone of that pool talks to first.  A daemon
	 * configured with an explicit file-server name overrides it. */
	ctx->file_server = r->node_count > 0 ? r->nodes[0].host : NULL;
	ctx->loads = r->loads;
	ctx->load_count = r->load_count;
	ctx->shared_lines = r->shared_lines;
}

/* One of the three records, as big as the largest. */
union named_rec {
	struct cfg_dialplan dialplan;
	struct cfg_softkeys softkeys;
	struct cfg_fpolicy fpolicy;
};

static int
named_get(struct store *s, enum cfg_file_kind kind, const char *name,
          union named_rec *r, char *err, size_t errlen)
{
	switch (kind) {
	case CFG_FILE_DIALPLAN:
		return s->ops->dialplan_get(s, name, &r->dialplan, err, errlen);
	case CFG_FILE_SOFTKEYS:
		return s->ops->softkeys_get(s, name, &r->softkeys, err, errlen);
	case CFG_FILE_FEATURE_POLICY:
		return s->ops->fpolicy_get(s, name, &r->fpolicy, err, errlen);
	default:
		return store_fail(err, errlen, "not a named file");
	}
}

int
store_render_named(struct store *s, enum cfg_file_kind kind, const char *name,
                   struct cfg_output *out, uint64_t *gen, char *err, size_t errlen)
{
	union named_rec *r = malloc(sizeof(*r));   /* about 7 KiB: not for a thread's stack */
	struct store_generation g;
	int opened, rc;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return store_fail(err, errlen, "out of memory");
	if (s->ops->snapshot_begin(s, &opened, err, errlen) < 0) {
		free(r);
		return -1;
	}
	if ((rc = s->ops->generation(s, &g, err, errlen)) == 0)
		rc = named_get(s, kind, name, r, err, errlen);
	s->ops->snapshot_end(s, opened);
	if (rc == 0) {
		*gen = g.config;
		rc = kind == CFG_FILE_DIALPLAN ? cfg_render_dialplan(&r->dialplan, out, err, errlen)
		   : kind == CFG_FILE_SOFTKEYS ? cfg_render_softkeys(&r->softkeys, out, err, errlen)
		   : cfg_render_fpolicy(&r->fpolicy, out, err, errlen);
	}
	free(r);
	return rc;
}
