/*
 * tftp_fixture.c - store set-up for the TFTP smoke test, standing in for
 * oprovctl: a legacy device, an OAuth device, a node and the "Default" pool.
 *
 *   tftp_fixture DATADIR init          create the store with the records
 *   tftp_fixture DATADIR config NAME   print NAME's rendered config (store +
 *                                      configgen, as `oprovctl device config`)
 *   tftp_fixture DATADIR oauth NAME    move device NAME to the OAuth profile
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configgen/configgen.h"
#include "store/store.h"

#define LEGACY "SEP001122334455"
#define OAUTH  "SEP00AABBCCDDEE"

static int
fail(const char *what, const char *err)
{
	fprintf(stderr, "tftp_fixture: %s: %s\n", what, err);
	return 1;
}

static int
init(const char *datadir)
{
	char err[STORE_ERR_MAX];
	struct store *s = store_open(datadir, STORE_CREATE | STORE_EXCL, err, sizeof(err));
	struct cfg_profile legacy, oauth;
	struct cfg_node node;
	struct cfg_pool pool;
	struct cfg_device dev;

	if (s == NULL)
		return fail("open", err);
	cfg_profile_init(&legacy, "legacy");
	cfg_profile_init(&oauth, "oauth");
	oauth.mode = CFG_MODE_ENCRYPTED;
	oauth.transport = CFG_TRANSPORT_TLS;
	oauth.oauth = 1;
	if (cfg_profile_validate(&legacy, err, sizeof(err)) < 0 ||
	    cfg_profile_validate(&oauth, err, sizeof(err)) < 0)
		return fail("profile", err);
	cfg_node_init(&node, "node1", "cucm1.example.com");
	cfg_pool_init(&pool, "Default");
	pool.node_count = 1;
	snprintf(pool.nodes[0], sizeof(pool.nodes[0]), "node1");
	if (store_profile_put(s, &legacy, err, sizeof(err)) != 0 ||
	    store_profile_put(s, &oauth, err, sizeof(err)) != 0 ||
	    store_node_put(s, &node, err, sizeof(err)) != 0 ||
	    store_pool_put(s, &pool, err, sizeof(err)) != 0)
		return fail("put", err);
	cfg_device_init(&dev, LEGACY);
	snprintf(dev.model, sizeof(dev.model), "8845");
	snprintf(dev.profile, sizeof(dev.profile), "legacy");
	snprintf(dev.pool, sizeof(dev.pool), "Default");
	snprintf(dev.owner, sizeof(dev.owner), "alice");
	dev.line_count = 1;
	cfg_line_init(&dev.lines[0], 1, "1001");
	snprintf(dev.lines[0].label, sizeof(dev.lines[0].label), "Alice <&> \"1001\"");
	if (cfg_device_validate(&dev, &legacy, err, sizeof(err)) < 0 ||
	    store_device_put(s, &dev, STORE_PUT_NEW, err, sizeof(err)) != 0)
		return fail("legacy device", err);
	cfg_device_init(&dev, OAUTH);
	snprintf(dev.model, sizeof(dev.model), "8845");
	snprintf(dev.profile, sizeof(dev.profile), "oauth");
	snprintf(dev.owner, sizeof(dev.owner), "bob");
	dev.line_count = 1;
	cfg_line_init(&dev.lines[0], 1, "1002");
	if (cfg_device_validate(&dev, &oauth, err, sizeof(err)) < 0 ||
	    store_device_put(s, &dev, STORE_PUT_NEW, err, sizeof(err)) != 0)
		return fail("oauth device", err);
	store_close(s);
	return 0;
}

static int
config(const char *datadir, const char *name)
{
	char err[STORE_ERR_MAX], canon[CFG_DEVNAME_MAX];
	struct store *s = store_open(datadir, STORE_READONLY, err, sizeof(err));
	struct store_render *r = malloc(sizeof(*r));
	struct cfg_render_ctx ctx;
	struct cfg_output o;

	if (s == NULL || r == NULL)
		return fail("open", s ? "out of memory" : err);
	if (cfg_device_name_parse(name, strlen(name), canon) < 0)
		return fail(name, "not a device name");
	if (store_render_load(s, canon, r, err, sizeof(err)) != 0)
		return fail(name, err);
	store_render_ctx(r, &ctx);
	if (cfg_render_device(&ctx, &o, err, sizeof(err)) < 0)
		return fail("render", err);
	fwrite(o.data, 1, o.len, stdout);
	cfg_output_free(&o);
	free(r);
	store_close(s);
	return 0;
}

static int
to_oauth(const char *datadir, const char *name)
{
	char err[STORE_ERR_MAX];
	struct store *s = store_open(datadir, 0, err, sizeof(err));
	struct cfg_device dev;

	if (s == NULL)
		return fail("open", err);
	if (store_device_get(s, name, &dev, err, sizeof(err)) != 0)
		return fail(name, err);
	snprintf(dev.profile, sizeof(dev.profile), "oauth");
	if (store_device_put(s, &dev, STORE_PUT_REPLACE, err, sizeof(err)) != 0)
		return fail(name, err);
	store_close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "init") == 0)
		return init(argv[1]);
	if (argc == 4 && strcmp(argv[2], "config") == 0)
		return config(argv[1], argv[3]);
	if (argc == 4 && strcmp(argv[2], "oauth") == 0)
		return to_oauth(argv[1], argv[3]);
	fprintf(stderr, "usage: tftp_fixture DATADIR init | config NAME | oauth NAME\n");
	return 2;
}
