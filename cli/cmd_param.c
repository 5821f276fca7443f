/*
 * cmd_param.c - `oprovctl param list|get|set|unset`: enterprise parameters
 * (configgen's table, validated there) plus oprovctl's own two settings,
 * oauth-issuer and oauth-audience.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/render_device.h"
#include "store/store.h"

static int
is_setting(const char *name)
{
	return strcmp(name, STORE_PARAM_ISSUER) == 0 || strcmp(name, STORE_PARAM_AUDIENCE) == 0;
}

/* The issuer is compared byte for byte with `iss` (RFC 9068 §4): refuse
 * what can only be a typing error. */
static int
setting_check(const char *name, const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);

	if (n == 0 || n >= CFG_URL_MAX) {
		snprintf(err, errlen, "%s: 1 to %d bytes", name, CFG_URL_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)value[i] <= ' ' || (unsigned char)value[i] >= 0x7f) {
			snprintf(err, errlen, "%s: no spaces, control or non-ASCII bytes", name);
			return -1;
		}
	}
	if (strcmp(name, STORE_PARAM_ISSUER) == 0 && strncmp(value, "https://", 8) != 0) {
		snprintf(err, errlen, "%s: must be an https:// URL (RFC 8414 §2)", name);
		return -1;
	}
	return 0;
}

static int
param_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	const struct cfg_param_info *t;
	char err[CLI_ERR_MAX], val[STORE_PARAM_VALUE_MAX], iss[CFG_URL_MAX], aud[CFG_URL_MAX];
	struct cfg_params p;
	struct store *s;
	json_t *arr = NULL;
	size_t n;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (render_params_load(s, &p, err, sizeof(err)) < 0 ||
	    cli_issuer(s, iss, sizeof(iss), err, sizeof(err)) < 0 ||
	    cli_audience(s, aud, sizeof(aud), err, sizeof(err)) < 0) {
		store_close(s);
		return cli_fail("param list: %s", err);
	}
	store_close(s);
	t = cfg_param_table(&n);
	if (c->json)
		arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (cfg_param_get(&p, t[i].name, val, sizeof(val)) < 0)
			snprintf(val, sizeof(val), "?");
		if (arr != NULL)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name", t[i].name,
			                      "value", val, "default", t[i].def,
			                      "description", t[i].description));
		else
			printf("%-28s %-24s (default %s) %s\n", t[i].name, val, t[i].def,
			       t[i].description);
	}
	if (arr != NULL) {
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name",
		                      STORE_PARAM_ISSUER, "value", iss, "default", "https://HOST:8443",
		                      "description", "issuer of our access tokens"));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name",
		                      STORE_PARAM_AUDIENCE, "value", aud, "default", "the issuer",
		                      "description", "audience of our access tokens"));
		return cli_json_print(arr);
	}
	printf("%-28s %-24s %s\n", STORE_PARAM_ISSUER, iss, "issuer of our access tokens");
	printf("%-28s %-24s %s\n", STORE_PARAM_AUDIENCE, aud, "audience of our access tokens");
	return CLI_OK;
}

static int
param_get(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX], val[STORE_PARAM_VALUE_MAX];
	const char *name;
	struct cfg_params p;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	name = argv[optind];
	if (!is_setting(name) && cfg_param_find(name) == NULL)
		return cli_fail("param get: unknown parameter \"%s\" (see `oprovctl param list`)",
		                name);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (strcmp(name, STORE_PARAM_ISSUER) == 0)
		rc = cli_issuer(s, val, sizeof(val), err, sizeof(err));
	else if (strcmp(name, STORE_PARAM_AUDIENCE) == 0)
		rc = cli_audience(s, val, sizeof(val), err, sizeof(err));
	else if ((rc = render_params_load(s, &p, err, sizeof(err))) == 0 &&
	         cfg_param_get(&p, name, val, sizeof(val)) < 0) {
		snprintf(err, sizeof(err), "%s: cannot be read", name);
		rc = -1;
	}
	store_close(s);
	if (rc < 0)
		return cli_fail("param get: %s", err);
	printf("%s\n", val);
	return CLI_OK;
}

static int
param_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX], val[STORE_PARAM_VALUE_MAX];
	const char *name, *value;
	struct cfg_params p;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 2, "NAME VALUE")) != 0)
		return rc;
	name = argv[optind];
	value = argv[optind + 1];
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	if (is_setting(name)) {
		if (setting_check(name, value, err, sizeof(err)) < 0) {
			cli_fail("param set: %s", err);
			goto out;
		}
		snprintf(val, sizeof(val), "%s", value);
	} else if (render_params_load(s, &p, err, sizeof(err)) < 0 ||
	           cfg_param_set(&p, name, value, err, sizeof(err)) < 0 ||
	           /* the pools' fallback zone needs a vendor name as theirs do
	            * (checked here, not on load: older stores keep working) */
	           (strcmp(name, "time-zone") == 0 &&
	            cfg_tz_check(value, err, sizeof(err)) < 0) ||
	           cfg_param_get(&p, name, val, sizeof(val)) < 0) {
		cli_fail("param set: %s", err);
		goto out;
	}
	if (cli_on_publisher(c, s, "param set") != CLI_OK)
		goto out;
	if (store_param_set(s, name, val, err, sizeof(err)) != 0) {
		cli_fail("param set: %s", err);
		goto out;
	}
	printf("%s = %s\n", name, val);
	rc = CLI_OK;
out:
	store_close(s);
	return rc;
}

static int
param_unset(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	const char *name;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	name = argv[optind];
	if (strcmp(name, STORE_PARAM_ISSUER) == 0)
		return cli_fail("param unset: %s has no default; set it instead", name);
	if (!is_setting(name) && cfg_param_find(name) == NULL)
		return cli_fail("param unset: unknown parameter \"%s\"", name);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (cli_on_publisher(c, s, "param unset") != CLI_OK) {
		store_close(s);
		return CLI_FAIL;
	}
	rc = store_param_unset(s, name, err, sizeof(err));
	store_close(s);
	if (rc < 0)
		return cli_fail("param unset: %s", err);
	printf("%s back to its default\n", name);
	return CLI_OK;
}

int
cmd_param(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", param_list },
		{ "get", param_get },
		{ "set", param_set },
		{ "unset", param_unset },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
