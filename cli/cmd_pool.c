/*
 * cmd_pool.c - `oprovctl pool add|set|list|show|delete`: device pools (time
 * zone, NTP servers, the node group phones register with).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

static json_t *
pool_json(const struct cfg_pool *p)
{
	json_t *ntp = json_array(), *nodes = json_array();

	for (size_t i = 0; i < p->ntp_count && i < CFG_NTP_MAX; i++)
		json_array_append_new(ntp, json_string(p->ntp[i]));
	for (size_t i = 0; i < p->node_count && i < CFG_GROUP_MAX; i++)
		json_array_append_new(nodes, json_string(p->nodes[i]));
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", p->name, "timezone",
	                 p->time_zone, "date_template", p->date_template, "ntp", ntp,
	                 "nodes", nodes);
}

static void
pool_print(const struct cfg_pool *p)
{
	printf("%-20s %-20s ntp:", p->name, p->time_zone[0] ? p->time_zone : "(parameter)");
	for (size_t i = 0; i < p->ntp_count && i < CFG_NTP_MAX; i++)
		printf(" %s", p->ntp[i]);
	printf("  nodes:");
	for (size_t i = 0; i < p->node_count && i < CFG_GROUP_MAX; i++)
		printf(" %s", p->nodes[i]);
	printf("\n");
}

static int
pool_put(struct cli *c, const struct cli_cmd *self, int argc, char **argv, int create)
{
	static const struct option opts[] = {
		{ "timezone", required_argument, NULL, 'z' },
		{ "date-template", required_argument, NULL, 'T' },
		{ "ntp", required_argument, NULL, 'n' },
		{ "node", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tz = NULL, *tmpl = NULL, *ntp[CFG_NTP_MAX], *nodes[CFG_GROUP_MAX];
	size_t n_ntp = 0, n_nodes = 0;
	char err[CLI_ERR_MAX];
	struct cfg_pool p;
	struct store *s;
	int ch, rc, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'z': tz = optarg; break;
		case 'T': tmpl = optarg; break;
		case 'n':
			if (n_ntp == CFG_NTP_MAX)
				return cli_fail("pool %s: at most %d --ntp servers", argv[0], CFG_NTP_MAX);
			ntp[n_ntp++] = optarg;
			break;
		case 'N':
			if (n_nodes == CFG_GROUP_MAX)
				return cli_fail("pool %s: at most %d --node (a node group has at most "
				                "three members)", argv[0], CFG_GROUP_MAX);
			nodes[n_nodes++] = optarg;
			break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	r = store_pool_get(s, argv[optind], &p, err, sizeof(err));
	if (r < 0) {
		cli_fail("pool %s: %s", argv[0], err);
		goto out;
	}
	if (create && r == 0) {
		cli_fail("pool add: pool %s exists (use `oprovctl pool set`)", argv[optind]);
		goto out;
	}
	if (!create && r == STORE_NOTFOUND) {
		cli_fail("pool set: no pool %s", argv[optind]);
		goto out;
	}
	if (create) {
		char nm[CFG_NAME_MAX];

		if (cli_copy(nm, sizeof(nm), argv[optind], "pool name", err, sizeof(err)) < 0) {
			cli_fail("pool add: %s", err);
			goto out;
		}
		cfg_pool_init(&p, nm);
	}
	if ((tz != NULL && cli_copy(p.time_zone, sizeof(p.time_zone), tz, "--timezone",
	                            err, sizeof(err)) < 0) ||
	    (tmpl != NULL && cli_copy(p.date_template, sizeof(p.date_template), tmpl,
	                              "--date-template", err, sizeof(err)) < 0)) {
		cli_fail("pool %s: %s", argv[0], err);
		goto out;
	}
	if (n_ntp > 0 || create) {
		p.ntp_count = n_ntp;
		for (size_t i = 0; i < n_ntp; i++)
			if (cli_copy(p.ntp[i], sizeof(p.ntp[i]), ntp[i], "--ntp", err,
			             sizeof(err)) < 0) {
				cli_fail("pool %s: %s", argv[0], err);
				goto out;
			}
	}
	if (n_nodes > 0 || create) {
		p.node_count = n_nodes;
		for (size_t i = 0; i < n_nodes; i++)
			if (cli_copy(p.nodes[i], sizeof(p.nodes[i]), nodes[i], "--node", err,
			             sizeof(err)) < 0) {
				cli_fail("pool %s: %s", argv[0], err);
				goto out;
			}
	}
	if (cfg_pool_validate(&p, err, sizeof(err)) < 0 ||
	    store_pool_put(s, &p, err, sizeof(err)) != 0) {
		cli_fail("pool %s: %s", argv[0], err);
		goto out;
	}
	printf("pool %s saved\n", p.name);
	rc = CLI_OK;
out:
	store_close(s);
	return rc;
}

static int
pool_add(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return pool_put(c, self, argc, argv, 1);
}

static int
pool_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return pool_put(c, self, argc, argv, 0);
}

struct pool_list {
	json_t *arr;
};

static int
pool_list_one(void *ctx, const struct cfg_pool *p)
{
	struct pool_list *l = ctx;

	if (l->arr != NULL)
		return json_array_append_new(l->arr, pool_json(p)) < 0 ? -1 : 0;
	pool_print(p);
	return 0;
}

static int
pool_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct pool_list l = { NULL };
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (c->json)
		l.arr = json_array();
	rc = store_pool_list(s, pool_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		json_decref(l.arr);
		return cli_fail("pool list: %s", err);
	}
	return l.arr != NULL ? cli_json_print(l.arr) : CLI_OK;
}

static int
pool_show(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	struct cfg_pool p;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_pool_get(s, argv[optind], &p, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("pool show: %s", err);
	if (c->json)
		return cli_json_print(pool_json(&p));
	pool_print(&p);
	return CLI_OK;
}

static int
pool_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_store_by_name(c, self, argc, argv, "NAME", store_pool_delete,
	                         "pool delete", "pool ", " deleted");
}

int
cmd_pool(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", pool_add },
		{ "set", pool_set },
		{ "list", pool_list },
		{ "show", pool_show },
		{ "delete", pool_delete },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
