/*
 * cmd_node.c - `oprovctl node add|set|list|show|delete`: the cluster's
 * nodes and the ports phones are told to use (SIP OAuth ports per node,
 * each in 1024-49151, distinct on one node).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

static json_t *
node_json(const struct cfg_node *n)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i}", "name", n->name,
	                 "host", n->host, "description", n->description,
	                 "phone_port", n->phone_port, "sip_port", n->sip_port,
	                 "secured_sip_port", n->secured_sip_port,
	                 "sip_oauth_port", n->sip_oauth_port,
	                 "sip_mra_oauth_port", n->sip_mra_oauth_port);
}

static void
node_print_row(const struct cfg_node *n)
{
	printf("%-20s %-28s %5u %5u %5u %5u %5u\n", n->name, n->host, n->sip_oauth_port,
	       n->sip_mra_oauth_port, n->sip_port, n->secured_sip_port, n->phone_port);
}

static void
node_print_head(void)
{
	printf("%-20s %-28s %5s %5s %5s %5s %5s\n", "NAME", "HOST", "OAUTH", "MRA",
	       "SIP", "SIPS", "PHONE");
}

/* The ports node add and node set take, in the order of node_opts.port. */
#define NODE_PORTS 5
static const char *const port_flags[NODE_PORTS] = {
	"--sip-oauth-port", "--sip-mra-oauth-port", "--sip-port", "--secured-sip-port",
	"--phone-port",
};

/* node add and node set: the options as given, NULL where not. */
struct node_opts {
	const char *name, *host, *desc;
	const char *port[NODE_PORTS];
};

/* The options and NAME.  CLI_OK or CLI_USAGE (printed). */
static int
node_args(const struct cli_cmd *self, int argc, char **argv, struct node_opts *o)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "description", required_argument, NULL, 'D' },
		{ "sip-oauth-port", required_argument, NULL, 'o' },
		{ "sip-mra-oauth-port", required_argument, NULL, 'm' },
		{ "sip-port", required_argument, NULL, 's' },
		{ "secured-sip-port", required_argument, NULL, 'S' },
		{ "phone-port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': o->host = optarg; break;
		case 'D': o->desc = optarg; break;
		case 'o': o->port[0] = optarg; break;
		case 'm': o->port[1] = optarg; break;
		case 's': o->port[2] = optarg; break;
		case 'S': o->port[3] = optarg; break;
		case 'p': o->port[4] = optarg; break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	o->name = argv[optind];
	return CLI_OK;
}

/* The options onto n: a new node (create) whose host defaults to its name,
 * or the stored one.  CLI_OK or CLI_FAIL (printed as "node SUB: ..."). */
static int
node_apply(struct cfg_node *n, const struct node_opts *o, int create, const char *sub)
{
	uint16_t *dst[NODE_PORTS] = { &n->sip_oauth_port, &n->sip_mra_oauth_port, &n->sip_port,
	                              &n->secured_sip_port, &n->phone_port };
	char err[CLI_ERR_MAX];

	if (create) {
		char nm[CFG_NAME_MAX], hs[CFG_HOST_MAX];

		if (cli_copy(nm, sizeof(nm), o->name, "node name", err, sizeof(err)) < 0 ||
		    cli_copy(hs, sizeof(hs), o->host != NULL ? o->host : o->name, "--host", err,
		             sizeof(err)) < 0)
			return cli_fail("node %s: %s", sub, err);
		cfg_node_init(n, nm, hs);
	} else if (o->host != NULL &&
	           cli_copy(n->host, sizeof(n->host), o->host, "--host", err, sizeof(err)) < 0)
		return cli_fail("node %s: %s", sub, err);
	if (o->desc != NULL &&
	    cli_copy(n->description, sizeof(n->description), o->desc, "--description", err,
	             sizeof(err)) < 0)
		return cli_fail("node %s: %s", sub, err);
	for (int i = 0; i < NODE_PORTS; i++)
		if (o->port[i] != NULL && cfg_port_parse(o->port[i], dst[i], err, sizeof(err)) < 0)
			return cli_fail("node %s: %s: %s", sub, port_flags[i], err);
	return CLI_OK;
}

/* add (create = 1) or set: every option is checked before anything is
 * written, and the node as a whole by cfg_node_validate. */
static int
node_put(struct cli *c, const struct cli_cmd *self, int argc, char **argv, int create)
{
	struct node_opts o;
	char err[CLI_ERR_MAX];
	struct cfg_node n;
	struct store *s;
	int rc, r;

	if ((rc = node_args(self, argc, argv, &o)) != CLI_OK)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	r = store_node_get(s, o.name, &n, err, sizeof(err));
	if ((rc = cli_add_or_set("node", create, o.name, r, err)) == CLI_OK &&
	    (rc = node_apply(&n, &o, create, argv[0])) == CLI_OK) {
		if (cfg_node_validate(&n, err, sizeof(err)) < 0 ||
		    store_node_put(s, &n, err, sizeof(err)) != 0)
			rc = cli_fail("node %s: %s", argv[0], err);
		else
			printf("node %s: %s, SIP OAuth port %u, MRA OAuth port %u\n", n.name, n.host,
			       n.sip_oauth_port, n.sip_mra_oauth_port);
	}
	store_close(s);
	return rc;
}

static int
node_add(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return node_put(c, self, argc, argv, 1);
}

static int
node_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return node_put(c, self, argc, argv, 0);
}

struct node_list {
	json_t *arr;
};

static int
node_list_one(void *ctx, const struct cfg_node *n)
{
	struct node_list *l = ctx;

	if (l->arr != NULL)
		return json_array_append_new(l->arr, node_json(n)) < 0 ? -1 : 0;
	node_print_row(n);
	return 0;
}

static int
node_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct node_list l = { NULL };
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (c->json)
		l.arr = json_array();
	else
		node_print_head();
	rc = store_node_list(s, node_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		json_decref(l.arr);
		return cli_fail("node list: %s", err);
	}
	return l.arr != NULL ? cli_json_print(l.arr) : CLI_OK;
}

static int
node_show(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	struct cfg_node n;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_node_get(s, argv[optind], &n, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("node show: %s", err);
	if (c->json)
		return cli_json_print(node_json(&n));
	printf("name:               %s\nhost:               %s\ndescription:        %s\n"
	       "sip-oauth-port:     %u\nsip-mra-oauth-port: %u\nsip-port:           %u\n"
	       "secured-sip-port:   %u\nphone-port:         %u\n", n.name, n.host,
	       n.description, n.sip_oauth_port, n.sip_mra_oauth_port, n.sip_port,
	       n.secured_sip_port, n.phone_port);
	return CLI_OK;
}

static int
node_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_store_by_name(c, self, argc, argv, "NAME", store_node_delete,
	                         "node delete", "node ", " deleted");
}

/* `node publisher [NAME] [--force]`: shows the publisher and this node's
 * role, or records NAME as the publisher (on the current publisher only,
 * unless --force: the publisher's machine is gone). */
static int
node_publisher(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	char err[CLI_ERR_MAX], pub[STORE_NAME_MAX] = "", me[STORE_NAME_MAX];
	struct store *s;
	int ch, force = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'f')
			return cli_bad_option(self, argv);
		force = 1;
	}
	if (argc - optind > 1)
		return cli_usage(self, "node publisher: at most one NAME");
	if (store_node_name(c->store, me, sizeof(me), err, sizeof(err)) != 0)
		return cli_fail("node publisher: %s", err);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_publisher_get(s, pub, sizeof(pub), err, sizeof(err));
	if (rc < 0) {
		store_close(s);
		return cli_fail("node publisher: %s", err);
	}
	if (optind == argc) {
		store_close(s);
		if (c->json)
			return cli_json_print(json_pack("{s:s?, s:s, s:s}", "publisher",
			                                rc == 0 ? pub : NULL, "this_node",
			                                me, "role", rc != 0 ? "none" :
			                                strcmp(me, pub) == 0 ? "publisher" :
			                                "subscriber"));
		printf("publisher: %s\nthis node: %s (%s)\n", rc == 0 ? pub : "(none)",
		       me, rc != 0 ? "no roles recorded" :
		       strcmp(me, pub) == 0 ? "publisher" : "subscriber");
		return CLI_OK;
	}
	if (!force && cli_on_publisher(c, s, "node publisher") != CLI_OK) {
		store_close(s);
		return CLI_FAIL;
	}
	rc = store_publisher_set(s, argv[optind], err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("node publisher: %s", err);
	printf("publisher: %s\n", argv[optind]);
	log_msg(LOG_NOTICE, "publisher is now node %s", argv[optind]);
	return CLI_OK;
}

int
cmd_node(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", node_add },
		{ "set", node_set },
		{ "list", node_list },
		{ "show", node_show },
		{ "delete", node_delete },
		{ "publisher", node_publisher },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
