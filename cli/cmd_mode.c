/*
 * cmd_mode.c - `oprovctl sipoauth-mode enable|disable|status`: the
 * cluster-wide SIP OAuth mode (the vendor's "utils sipOAuth-mode" CLI).  It
 * decides whether 5090/5091 accept registrations and whether configs carry
 * sipOAuthMode 1; token-gating of configs follows the profile regardless.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

int
cmd_mode(struct cli *c, int argc, char **argv)
{
	static const char *const words[] = { "enable", "disable", "status", NULL };
	const struct cli_cmd *self = cli_cmd_find("sipoauth-mode");
	char err[CLI_ERR_MAX];
	struct cfg_cluster cl;
	struct store *s;
	int w, rc = CLI_FAIL;

	if (argc != 2)
		return cli_usage(self, "sipoauth-mode: give enable, disable or status");
	if ((w = cli_word(argv[1], words)) < 0)
		return cli_usage(self, "sipoauth-mode: \"%s\" is not enable, disable or status",
		                 argv[1]);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (store_cluster_get(s, &cl, err, sizeof(err)) != 0) {
		cli_fail("sipoauth-mode: %s", err);
		goto out;
	}
	if (w == 2) {
		if (c->json)
			rc = cli_json_print(json_pack("{s:b}", "sip_oauth_mode", cl.sip_oauth_mode));
		else {
			printf("SIP OAuth mode: %s\n", cl.sip_oauth_mode ? "enabled" : "disabled");
			rc = CLI_OK;
		}
		goto out;
	}
	if (cl.sip_oauth_mode == (w == 0)) {
		printf("SIP OAuth mode already %s\n", w == 0 ? "enabled" : "disabled");
		rc = CLI_OK;
		goto out;
	}
	cl.sip_oauth_mode = w == 0;
	if (cli_on_publisher(c, s, "sipoauth-mode") != CLI_OK)
		goto out;
	if (store_cluster_set(s, &cl, err, sizeof(err)) != 0) {
		cli_fail("sipoauth-mode: %s", err);
		goto out;
	}
	/* oprov-sipd follows the store's generation: no reload needed. */
	printf("SIP OAuth mode %s; running oprov-sipd daemons of every node %s "
	       "their OAuth ports within a second\n", w == 0 ? "enabled" : "disabled",
	       w == 0 ? "open" : "close");
	log_msg(LOG_NOTICE, "cluster SIP OAuth mode %s", w == 0 ? "enabled" : "disabled");
	rc = CLI_OK;
out:
	store_close(s);
	return rc;
}
