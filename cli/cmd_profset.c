/*
 * cmd_profset.c - `oprovctl profile set NAME [--vendor KEY=VALUE]...
 * [--description D]`: the vendor settings a profile gives its devices
 * (any family's setting names; a device's own setting wins) and its
 * description.  The security settings of a profile that devices use are
 * not changed here: move devices with `device set --profile` instead.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

int
cli_profile_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vendor", required_argument, NULL, 'v' },
		{ "description", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *vendor[CFG_VENDOR_MAX], *desc = NULL;
	char err[CLI_ERR_MAX], key[CFG_VKEY_MAX], val[CFG_VVAL_MAX];
	struct cfg_profile p;
	size_t nv = 0;
	struct store *s;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'D')
			desc = optarg;
		else if (ch == 'v' && nv < CFG_VENDOR_MAX)
			vendor[nv++] = optarg;
		else if (ch == 'v')
			return cli_fail("profile set: at most %d --vendor", CFG_VENDOR_MAX);
		else
			return cli_bad_option(self, argv);
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_profile_get(s, argv[optind], &p, err, sizeof(err));
	for (size_t i = 0; rc == 0 && i < nv; i++)
		if (cfg_vendor_spec(vendor[i], key, val, err, sizeof(err)) < 0 ||
		    cfg_vendor_set(&p.vendor, CFG_FAMILY_ANY, key, val, err, sizeof(err)) < 0)
			rc = -1;
	if (rc == 0 && desc != NULL)
		rc = cli_copy(p.description, sizeof(p.description), desc, "--description", err,
		              sizeof(err));
	if (rc == 0 && cfg_profile_validate(&p, err, sizeof(err)) < 0)
		rc = -1;
	if (rc == 0)
		rc = store_profile_put(s, &p, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("profile set: %s", err);
	printf("profile %s updated\n", p.name);
	return cli_apply_on_change(c, NULL, p.name);
}
