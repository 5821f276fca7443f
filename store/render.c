/*
 * render.c - store_render_load: the records one config rendering needs,
 * read through the backend's operations inside one snapshot.
 */
#include "config.h"

#include <string.h>

#include "store/store_int.h"

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
	if ((rc = store_params_load(s, &out->params, err, errlen)) != 0)
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
	if ((rc = store_params_load(s, &out->params, err, errlen)) != 0)
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
}
