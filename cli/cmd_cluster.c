/*
 * cmd_cluster.c - `oprovctl cluster mixed-mode enable|disable|status`: whether
 * the cluster serves CTLFile.tlv (and every CTLSEP<MAC>.tlv), the vendor's
 * "mixed mode".  Off by default: a phone then finds no CTL file and goes on
 * with its ITL, as the boot order tolerates.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

static int
mixed_mode(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const words[] = { "enable", "disable", "status", NULL };
	char err[CLI_ERR_MAX];
	struct cfg_cluster cl;
	struct store *s;
	int w, rc;

	if ((rc = cli_positional(self, argc, argv, 1, "enable|disable|status")) != 0)
		return rc;
	if ((w = cli_word(argv[optind], words)) < 0)
		return cli_usage(self, "cluster mixed-mode: \"%s\" is not enable, disable or "
		                 "status", argv[optind]);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	if (store_cluster_get(s, &cl, err, sizeof(err)) != 0) {
		cli_fail("cluster mixed-mode: %s", err);
	} else if (w == 2) {
		if (c->json)
			rc = cli_json_print(json_pack("{s:b}", "mixed_mode", cl.mixed_mode));
		else {
			printf("mixed mode: %s\n", cl.mixed_mode ? "enabled" : "disabled");
			rc = CLI_OK;
		}
	} else if (cl.mixed_mode == (w == 0)) {
		printf("mixed mode already %s\n", w == 0 ? "enabled" : "disabled");
		rc = CLI_OK;
	} else {
		cl.mixed_mode = w == 0;
		if (store_cluster_set(s, &cl, err, sizeof(err)) != 0) {
			cli_fail("cluster mixed-mode: %s", err);
		} else {
			/* The daemons follow the store's generation. */
			printf("mixed mode %s; CTLFile.tlv is %s served\n",
			       w == 0 ? "enabled" : "disabled", w == 0 ? "now" : "no longer");
			log_msg(LOG_NOTICE, "mixed mode %s", w == 0 ? "enabled" : "disabled");
			rc = CLI_OK;
		}
	}
	store_close(s);
	return rc;
}

int
cmd_cluster(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "mixed-mode", mixed_mode },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
