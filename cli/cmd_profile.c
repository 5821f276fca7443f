/*
 * cmd_profile.c - `oprovctl profile add|list|show|delete`: phone security
 * profiles.  The rules (transport TLS exactly when authenticated or
 * encrypted; OAuth only with encrypted + TLS + no digest + no TFTP
 * encrypted config) are configgen's, and so are the refusal messages.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

static json_t *
profile_json(const struct cfg_profile *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "name", p->name,
	                 "description", p->description, "mode", cfg_sec_mode_name(p->mode),
	                 "transport", cfg_transport_name(p->transport), "oauth", p->oauth,
	                 "digest", p->digest, "tftp_encrypted_config",
	                 p->tftp_encrypted_config);
}

static void
profile_print(const struct cfg_profile *p)
{
	printf("%-24s %-13s %-7s oauth=%s digest=%s tftp-encrypted-config=%s\n", p->name,
	       cfg_sec_mode_name(p->mode), cfg_transport_name(p->transport),
	       p->oauth ? "on" : "off", p->digest ? "on" : "off",
	       p->tftp_encrypted_config ? "on" : "off");
}

static int
profile_add(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "transport", required_argument, NULL, 't' },
		{ "oauth", no_argument, NULL, 'o' },
		{ "digest", no_argument, NULL, 'g' },
		{ "tftp-encrypted-config", no_argument, NULL, 'e' },
		{ "description", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode = NULL, *transport = NULL, *desc = NULL;
	char err[CLI_ERR_MAX], name[CFG_NAME_MAX];
	struct cfg_profile p, old;
	int oauth = 0, digest = 0, tftp_enc = 0, ch, rc, r;
	struct store *s;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': mode = optarg; break;
		case 't': transport = optarg; break;
		case 'o': oauth = 1; break;
		case 'g': digest = 1; break;
		case 'e': tftp_enc = 1; break;
		case 'D': desc = optarg; break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if (mode == NULL || transport == NULL)
		return cli_usage(self, "profile add: --mode and --transport are required");
	if (cli_copy(name, sizeof(name), argv[optind], "profile name", err, sizeof(err)) < 0)
		return cli_fail("profile add: %s", err);
	cfg_profile_init(&p, name);
	if (cfg_sec_mode_parse(mode, &p.mode) < 0)
		return cli_usage(self, "profile add: --mode \"%s\" is not non-secure, "
		                 "authenticated or encrypted", mode);
	if (cfg_transport_parse(transport, &p.transport) < 0)
		return cli_usage(self, "profile add: --transport \"%s\" is not tcp, udp, tcp+udp "
		                 "or tls", transport);
	p.oauth = oauth;
	p.digest = digest;
	p.tftp_encrypted_config = tftp_enc;
	if (desc != NULL &&
	    cli_copy(p.description, sizeof(p.description), desc, "--description", err,
	             sizeof(err)) < 0)
		return cli_fail("profile add: %s", err);
	if (cfg_profile_validate(&p, err, sizeof(err)) < 0)
		return cli_fail("profile add: %s", err);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	if ((r = store_profile_get(s, p.name, &old, err, sizeof(err))) < 0)
		cli_fail("profile add: %s", err);
	else if (r == 0)
		cli_fail("profile add: profile %s exists", p.name);
	else if (store_profile_put(s, &p, err, sizeof(err)) != 0)
		cli_fail("profile add: %s", err);
	else {
		printf("profile %s: %s, %s, OAuth %s\n", p.name, cfg_sec_mode_name(p.mode),
		       cfg_transport_name(p.transport), p.oauth ? "on" : "off");
		rc = CLI_OK;
	}
	store_close(s);
	return rc;
}

struct profile_list {
	json_t *arr;
};

static int
profile_list_one(void *ctx, const struct cfg_profile *p)
{
	struct profile_list *l = ctx;

	if (l->arr != NULL)
		return json_array_append_new(l->arr, profile_json(p)) < 0 ? -1 : 0;
	profile_print(p);
	return 0;
}

static int
profile_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct profile_list l = { NULL };
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (c->json)
		l.arr = json_array();
	rc = store_profile_list(s, profile_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		json_decref(l.arr);
		return cli_fail("profile list: %s", err);
	}
	return l.arr != NULL ? cli_json_print(l.arr) : CLI_OK;
}

static int
profile_show(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	struct cfg_profile p;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_profile_get(s, argv[optind], &p, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("profile show: %s", err);
	if (c->json)
		return cli_json_print(profile_json(&p));
	profile_print(&p);
	if (p.description[0] != '\0')
		printf("  %s\n", p.description);
	return CLI_OK;
}

static int
profile_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_store_by_name(c, self, argc, argv, "NAME", store_profile_delete,
	                         "profile delete", "profile ", " deleted");
}

int
cmd_profile(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", profile_add },
		{ "set", cli_profile_set },
		{ "list", profile_list },
		{ "show", profile_show },
		{ "delete", profile_delete },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
