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

/* pool add and pool set: the options as given. */
struct pool_opts {
	const char *name, *tz, *tmpl;          /* NULL when not given */
	const char *ntp[CFG_NTP_MAX], *nodes[CFG_GROUP_MAX];
	size_t n_ntp, n_nodes;
};

/* The options and NAME.  CLI_OK, CLI_FAIL (too many --ntp or --node) or
 * CLI_USAGE (printed). */
static int
pool_args(const struct cli_cmd *self, int argc, char **argv, struct pool_opts *o)
{
	static const struct option opts[] = {
		{ "timezone", required_argument, NULL, 'z' },
		{ "date-template", required_argument, NULL, 'T' },
		{ "ntp", required_argument, NULL, 'n' },
		{ "node", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'z': o->tz = optarg; break;
		case 'T': o->tmpl = optarg; break;
		case 'n':
			if (o->n_ntp == CFG_NTP_MAX)
				return cli_fail("pool %s: at most %d --ntp servers", argv[0], CFG_NTP_MAX);
			o->ntp[o->n_ntp++] = optarg;
			break;
		case 'N':
			if (o->n_nodes == CFG_GROUP_MAX)
				return cli_fail("pool %s: at most %d --node (a node group has at most "
				                "three members)", argv[0], CFG_GROUP_MAX);
			o->nodes[o->n_nodes++] = optarg;
			break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	o->name = argv[optind];
	return CLI_OK;
}

/* A list given on the command line: its n strings into the rows (size
 * bytes each) of dst, *count set to n.  0 / -1. */
static int
list_set(char *dst, size_t size, size_t *count, const char *const *src, size_t n,
         const char *flag, char *err, size_t errlen)
{
	*count = n;
	for (size_t i = 0; i < n; i++)
		if (cli_copy(dst + i * size, size, src[i], flag, err, errlen) < 0)
			return -1;
	return 0;
}

/* The options onto p: a new pool (create), or the stored one, whose NTP and
 * node lists a given list replaces.  CLI_OK or CLI_FAIL (printed as "pool
 * SUB: ..."). */
static int
pool_apply(struct cfg_pool *p, const struct pool_opts *o, int create, const char *sub)
{
	char err[CLI_ERR_MAX];

	if (create) {
		char nm[CFG_NAME_MAX];

		if (cli_copy(nm, sizeof(nm), o->name, "pool name", err, sizeof(err)) < 0)
			return cli_fail("pool %s: %s", sub, err);
		cfg_pool_init(p, nm);
	}
	if ((o->tz != NULL && cli_copy(p->time_zone, sizeof(p->time_zone), o->tz, "--timezone",
	                               err, sizeof(err)) < 0) ||
	    (o->tmpl != NULL && cli_copy(p->date_template, sizeof(p->date_template), o->tmpl,
	                                 "--date-template", err, sizeof(err)) < 0))
		return cli_fail("pool %s: %s", sub, err);
	if (((o->n_ntp > 0 || create) &&
	     list_set((char *)p->ntp, sizeof(p->ntp[0]), &p->ntp_count, o->ntp, o->n_ntp,
	              "--ntp", err, sizeof(err)) < 0) ||
	    ((o->n_nodes > 0 || create) &&
	     list_set((char *)p->nodes, sizeof(p->nodes[0]), &p->node_count, o->nodes,
	              o->n_nodes, "--node", err, sizeof(err)) < 0))
		return cli_fail("pool %s: %s", sub, err);
	return CLI_OK;
}

/* add (create = 1) or set: every option is checked before anything is
 * written, and the pool as a whole by cfg_pool_validate. */
static int
pool_put(struct cli *c, const struct cli_cmd *self, int argc, char **argv, int create)
{
	struct pool_opts o;
	char err[CLI_ERR_MAX];
	struct cfg_pool p;
	struct store *s;
	int rc, r;

	if ((rc = pool_args(self, argc, argv, &o)) != CLI_OK)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	r = store_pool_get(s, o.name, &p, err, sizeof(err));
	if ((rc = cli_add_or_set("pool", create, o.name, r, err)) == CLI_OK &&
	    (rc = pool_apply(&p, &o, create, argv[0])) == CLI_OK) {
		if (cfg_pool_validate(&p, err, sizeof(err)) < 0 ||
		    store_pool_put(s, &p, err, sizeof(err)) != 0)
			rc = cli_fail("pool %s: %s", argv[0], err);
		else
			printf("pool %s saved\n", p.name);
	}
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
