/*
 * cmd_model.c - `oprovctl model list|set|unset`: the phone models oprov
 * knows, and their default firmware loads, which feed XMLDefault.cnf.xml's
 * loadInformationNNN and the loadInformation of every device of the model
 * that sets no load of its own.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

struct loads {
	struct cfg_load l[STORE_LOADS_MAX];
	size_t n;
};

static int
load_one(void *ctx, const struct cfg_load *l)
{
	struct loads *ls = ctx;

	if (ls->n < STORE_LOADS_MAX)
		ls->l[ls->n++] = *l;
	return 0;
}

static const char *
load_of(const struct loads *ls, const char *model)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->l[i].model, model) == 0)
			return ls->l[i].load;
	return "";
}

static int
model_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct loads ls = { .n = 0 };
	const struct cfg_model *m;
	char err[CLI_ERR_MAX];
	struct store *s;
	json_t *arr;
	size_t n;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_model_load_list(s, load_one, &ls, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("model list: %s", err);
	m = cfg_model_table(&n);
	arr = c->json ? json_array() : NULL;
	if (arr == NULL)
		printf("%-8s %-12s %-5s %s\n", "MODEL", "FAMILY", "OAUTH", "LOAD");
	for (size_t i = 0; i < n; i++) {
		const char *load = load_of(&ls, m[i].name);

		if (arr != NULL)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:s}", "model",
			                      m[i].name, "family", cfg_family_name(m[i].family),
			                      "oauth", (m[i].flags & CFG_MODEL_OAUTH) != 0,
			                      "load", load));
		else
			printf("%-8s %-12s %-5s %s\n", m[i].name, cfg_family_name(m[i].family),
			       (m[i].flags & CFG_MODEL_OAUTH) ? "yes" : "no", load[0] ? load : "-");
	}
	return arr != NULL ? cli_json_print(arr) : CLI_OK;
}

static int
model_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "load", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cfg_model *m;
	const char *load = NULL;
	char err[CLI_ERR_MAX];
	struct store *s;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'L')
			load = optarg;
		else
			return cli_bad_option(self, argv);
	}
	if ((rc = cli_positional(self, argc, argv, 1, "MODEL")) != 0)
		return rc;
	if (load == NULL)
		return cli_usage(self, "model set: --load is required");
	if ((m = cfg_model_find(argv[optind])) == NULL)
		return cli_fail("model set: unknown model \"%s\" (oprovctl model list)",
		                argv[optind]);
	if (cfg_load_check(load, err, sizeof(err)) < 0)
		return cli_fail("model set: %s", err);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_model_load_set(s, m->name, load, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("model set: %s", err);
	printf("model %s: default load %s\n", m->name, load);
	return CLI_OK;
}

static int
model_unset_one(struct store *s, const char *name, char *err, size_t errlen)
{
	const struct cfg_model *m = cfg_model_find(name);

	if (m == NULL) {
		snprintf(err, errlen, "unknown model \"%s\"", name);
		return -1;
	}
	return store_model_load_unset(s, m->name, err, errlen);
}

static int
model_unset(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_store_by_name(c, self, argc, argv, "MODEL", model_unset_one, "model unset",
	                         "model ", ": no default load");
}

int
cmd_model(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", model_list },
		{ "set", model_set },
		{ "unset", model_unset },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
