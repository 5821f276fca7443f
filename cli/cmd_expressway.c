/*
 * cmd_expressway.c - `oprovctl expressway add|list|delete`: the Expressway-C
 * entries whose certificates oprov-sipd accepts on 5091 (the certificate
 * must chain to tomcat-trust and match one of the entry's X.509 names).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

static int
host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n >= STORE_HOST_MAX || h[0] == '-' || h[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == ':'))
			return 0;
	}
	return 1;
}

/* An X.509 name as recorded: a DNS name, a URI or a subject; printable
 * ASCII, no control bytes. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= STORE_X509_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
exp_add(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "x509-name", required_argument, NULL, 'x' },
		{ "description", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_expressway e;
	char err[CLI_ERR_MAX];
	const char *desc = NULL;
	struct store *s;
	int ch, rc;

	memset(&e, 0, sizeof(e));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'x':
			if (e.n_names == STORE_X509_NAMES_MAX)
				return cli_fail("expressway add: at most %d --x509-name",
				                STORE_X509_NAMES_MAX);
			if (!name_ok(optarg))
				return cli_fail("expressway add: --x509-name \"%s\": 1 to %d printable "
				                "ASCII characters", optarg, STORE_X509_NAME_MAX - 1);
			snprintf(e.names[e.n_names++], STORE_X509_NAME_MAX, "%s", optarg);
			break;
		case 'D':
			desc = optarg;
			break;
		default:
			return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "HOST")) != 0)
		return rc;
	if (!host_ok(argv[optind]))
		return cli_fail("expressway add: HOST \"%s\": a host name or address (letters, "
		                "digits, '-', '.', ':')", argv[optind]);
	if (e.n_names == 0)
		return cli_usage(self, "expressway add: at least one --x509-name (the subject or "
		                 "a subject alternative name of its certificate)");
	snprintf(e.host, sizeof(e.host), "%s", argv[optind]);
	if (desc != NULL &&
	    cli_copy(e.description, sizeof(e.description), desc, "--description", err,
	             sizeof(err)) < 0)
		return cli_fail("expressway add: %s", err);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_expressway_put(s, &e, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("expressway add: %s", err);
	printf("expressway %s: %zu name(s); run `oprovctl reload`\n", e.host, e.n_names);
	return CLI_OK;
}

struct exp_list {
	json_t *arr;
};

static int
exp_list_one(void *ctx, const struct store_expressway *e)
{
	struct exp_list *l = ctx;

	if (l->arr != NULL) {
		json_t *names = json_array();

		for (size_t i = 0; i < e->n_names && i < STORE_X509_NAMES_MAX; i++)
			json_array_append_new(names, json_string(e->names[i]));
		return json_array_append_new(l->arr, json_pack("{s:s, s:s, s:o}", "host",
		    e->host, "description", e->description, "x509_names", names)) < 0 ? -1 : 0;
	}
	printf("%-30s", e->host);
	for (size_t i = 0; i < e->n_names && i < STORE_X509_NAMES_MAX; i++)
		printf(" %s", e->names[i]);
	if (e->description[0] != '\0')
		printf("  (%s)", e->description);
	printf("\n");
	return 0;
}

static int
exp_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct exp_list l = { NULL };
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (c->json)
		l.arr = json_array();
	rc = store_expressway_list(s, exp_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		json_decref(l.arr);
		return cli_fail("expressway list: %s", err);
	}
	return l.arr != NULL ? cli_json_print(l.arr) : CLI_OK;
}

static int
exp_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_store_by_name(c, self, argc, argv, "HOST", store_expressway_delete,
	                         "expressway delete", "expressway ", " deleted");
}

int
cmd_expressway(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", exp_add },
		{ "list", exp_list },
		{ "delete", exp_delete },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
