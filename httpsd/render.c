/*
 * render.c - gathers a device's records from the store and renders its
 * SEP<MAC>.cnf.xml with configgen.  oprovctl's `device config` needs the
 * same glue (cli/render_device.c in the cli branch); until one shared copy
 * exists the daemon keeps its own, with the same rules: a device without a
 * pool belongs to "Default", the pool's node group in priority order, the
 * enterprise parameters overlaid on their defaults, the cluster mode, and
 * the first node's host for "{host}" in URLs.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "httpsd/httpsd_int.h"

#define DEFAULT_POOL "Default"

struct params_ctx {
	struct cfg_params *p;
	char err[STORE_ERR_MAX];
};

static int
param_one(void *ctx, const char *name, const char *value)
{
	struct params_ctx *pc = ctx;

	/* Settings of other modules (oauth-issuer …) share the table. */
	if (cfg_param_find(name) == NULL)
		return 0;
	return cfg_param_set(pc->p, name, value, pc->err, sizeof(pc->err)) < 0 ? -1 : 0;
}

int
httpsd_params_load(struct store *st, struct cfg_params *out, char *err,
                   size_t errlen)
{
	struct params_ctx pc;

	memset(&pc, 0, sizeof(pc));
	pc.p = out;
	cfg_params_init(out);
	if (store_param_list(st, param_one, &pc, err, errlen) != 0) {
		if (pc.err[0] != '\0')
			snprintf(err, errlen, "stored parameter refused: %s", pc.err);
		return -1;
	}
	return 0;
}

int
httpsd_render_device(struct store *st, const struct cfg_device *dev,
                     const struct cfg_profile *prof, struct cfg_output *out,
                     char *err, size_t errlen)
{
	struct cfg_pool pool;
	struct cfg_node nodes[CFG_GROUP_MAX];
	struct cfg_params params;
	struct cfg_cluster cluster;
	struct cfg_render_ctx ctx;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	r = store_pool_get(st, dev->pool[0] ? dev->pool : DEFAULT_POOL, &pool,
	                   err, errlen);
	if (r < 0 || (r == STORE_NOTFOUND && dev->pool[0] != '\0'))
		return -1;
	if (r == 0) {
		size_t n = pool.node_count < CFG_GROUP_MAX ? pool.node_count
		                                           : CFG_GROUP_MAX;
		for (size_t i = 0; i < n; i++)
			if (store_node_get(st, pool.nodes[i], &nodes[i], err, errlen) != 0)
				return -1;
		ctx.pool = &pool;
		ctx.nodes = nodes;
		ctx.node_count = n;
	}
	if (httpsd_params_load(st, &params, err, errlen) < 0 ||
	    store_cluster_get(st, &cluster, err, errlen) != 0)
		return -1;
	ctx.device = dev;
	ctx.profile = prof;
	ctx.params = &params;
	ctx.cluster = &cluster;
	ctx.file_server = ctx.node_count > 0 ? nodes[0].host : NULL;
	return cfg_render_device(&ctx, out, err, errlen) < 0 ? -1 : 0;
}
