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

/* add (create = 1) or set: every option is checked before anything is
 * written, and the node as a whole by cfg_node_validate. */
static int
node_put(struct cli *c, const struct cli_cmd *self, int argc, char **argv, int create)
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
	const char *host = NULL, *desc = NULL, *name;
	const char *port_text[5] = { NULL, NULL, NULL, NULL, NULL };
	char err[CLI_ERR_MAX];
	struct cfg_node n;
	struct store *s;
	int ch, rc, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': host = optarg; break;
		case 'D': desc = optarg; break;
		case 'o': port_text[0] = optarg; break;
		case 'm': port_text[1] = optarg; break;
		case 's': port_text[2] = optarg; break;
		case 'S': port_text[3] = optarg; break;
		case 'p': port_text[4] = optarg; break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	name = argv[optind];
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	r = store_node_get(s, name, &n, err, sizeof(err));
	if (r < 0) {
		cli_fail("node %s: %s", argv[0], err);
		goto out;
	}
	if (create && r == 0) {
		cli_fail("node add: node %s exists (use `oprovctl node set`)", name);
		goto out;
	}
	if (!create && r == STORE_NOTFOUND) {
		cli_fail("node set: no node %s", name);
		goto out;
	}
	if (create) {
		char nm[CFG_NAME_MAX], hs[CFG_HOST_MAX];

		if (cli_copy(nm, sizeof(nm), name, "node name", err, sizeof(err)) < 0 ||
		    cli_copy(hs, sizeof(hs), host != NULL ? host : name, "--host", err,
		             sizeof(err)) < 0) {
			cli_fail("node add: %s", err);
			goto out;
		}
		cfg_node_init(&n, nm, hs);
	} else if (host != NULL &&
	           cli_copy(n.host, sizeof(n.host), host, "--host", err, sizeof(err)) < 0) {
		cli_fail("node set: %s", err);
		goto out;
	}
	if (desc != NULL &&
	    cli_copy(n.description, sizeof(n.description), desc, "--description", err,
	             sizeof(err)) < 0) {
		cli_fail("node %s: %s", argv[0], err);
		goto out;
	}
	{
		uint16_t *dst[5] = { &n.sip_oauth_port, &n.sip_mra_oauth_port, &n.sip_port,
		                     &n.secured_sip_port, &n.phone_port };
		static const char *const flag[5] = { "--sip-oauth-port", "--sip-mra-oauth-port",
		                                     "--sip-port", "--secured-sip-port",
		                                     "--phone-port" };

		for (int i = 0; i < 5; i++) {
			if (port_text[i] == NULL)
				continue;
			if (cfg_port_parse(port_text[i], dst[i], err, sizeof(err)) < 0) {
				cli_fail("node %s: %s: %s", argv[0], flag[i], err);
				goto out;
			}
		}
	}
	if (cfg_node_validate(&n, err, sizeof(err)) < 0 ||
	    store_node_put(s, &n, err, sizeof(err)) != 0) {
		cli_fail("node %s: %s", argv[0], err);
		goto out;
	}
	printf("node %s: %s, SIP OAuth port %u, MRA OAuth port %u\n", n.name, n.host,
	       n.sip_oauth_port, n.sip_mra_oauth_port);
	rc = CLI_OK;
out:
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
	struct cli *c;
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
	struct node_list l = { c, NULL };
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

int
cmd_node(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", node_add },
		{ "set", node_set },
		{ "list", node_list },
		{ "show", node_show },
		{ "delete", node_delete },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
