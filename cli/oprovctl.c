/*
 * oprovctl.c - the administrator's tool: global options, the dispatch table
 * of command groups, usage texts and the helpers every group shares.
 *
 * Every command checks everything it was given before it writes anything,
 * so a refused command leaves the store as it was (a multi-row change is
 * one store transaction).  Exit codes: 0 done, 1 refused or failed, 2 usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

static const struct cli_cmd commands[] = {
	{ "init", cmd_init, "create the store, signing key, CA and web certificate",
	  "usage: oprovctl init [--issuer URL] [--hostname H] [--key-type rsa2048|ec256|ed25519]\n"
	  "                 [--web-key-type ec256|rsa2048|ed25519]\n"
	  "  Creates DATADIR (0700) with files/ and run/, the store, a signing key,\n"
	  "  a self-signed CA and a web (tomcat) certificate for H, a node named H,\n"
	  "  the device pool \"Default\" and the profiles \"Standard-Non-Secure\" and\n"
	  "  \"Standard-OAuth\", and the trust-list roles sast, sast-next and ccm-tftp\n"
	  "  (RSA 2048).  --key-type: the token signing key and the CA (default\n"
	  "  rsa2048); --web-key-type: the web certificate (default ec256, which\n"
	  "  phones require on 6971).  Issuer default: https://H:8443.  H defaults\n"
	  "  to this machine's host name.  Refuses to overwrite an existing store.\n" },
	{ "status", cmd_status, "mode, parameters, nodes, counts, keys, certificates",
	  "usage: oprovctl [--json] status\n"
	  "  Store backend, publisher, cluster SIP OAuth mode, parameters, nodes, each\n"
	  "  daemon's last heartbeat on every node and what it serves, record counts,\n"
	  "  signing key ids, certificate expiry dates and this node's daemons'\n"
	  "  DATADIR/run/*.stats files.\n" },
	{ "store", cmd_store, "move a SQLite store into PostgreSQL",
	  "usage: oprovctl store migrate --from sqlite:DIR --to postgresql://... [--keep-source]\n"
	  "  Copies every row of DIR/oprov.db (a running install: its writers wait\n"
	  "  during the copy) into the PostgreSQL store (created when absent; it must\n"
	  "  hold no data), checks the row counts of every table, then makes the\n"
	  "  SQLite store refuse writes (unless --keep-source) and writes\n"
	  "  `store = URI` into DIR/oprov.conf.  Restart the daemons of DIR\n"
	  "  afterwards: until then they serve from memory and answer writes with\n"
	  "  503.  Nothing is written when any step before the switch fails.\n" },
	{ "sipoauth-mode", cmd_mode, "cluster-wide SIP OAuth mode",
	  "usage: oprovctl sipoauth-mode enable|disable|status\n"
	  "  Running daemons pick the change up by themselves; `oprovctl reload`\n"
	  "  re-binds the SIP OAuth ports.\n" },
	{ "param", cmd_param, "enterprise parameters",
	  "usage: oprovctl [--json] param list\n"
	  "       oprovctl param get NAME\n"
	  "       oprovctl param set NAME VALUE\n"
	  "       oprovctl param unset NAME\n"
	  "  Besides configgen's enterprise parameters: oauth-issuer (the `iss` of our\n"
	  "  tokens) and oauth-audience (their `aud`, default: the issuer).\n" },
	{ "node", cmd_node, "cluster nodes and their ports",
	  "usage: oprovctl node add NAME [--host H] [--description D] [--sip-oauth-port P]\n"
	  "                 [--sip-mra-oauth-port P] [--sip-port P] [--secured-sip-port P]\n"
	  "                 [--phone-port P]\n"
	  "       oprovctl node set NAME [same options]\n"
	  "       oprovctl [--json] node list\n"
	  "       oprovctl [--json] node show NAME\n"
	  "       oprovctl node delete NAME\n"
	  "       oprovctl [--json] node publisher [NAME [--force]]\n"
	  "  Ports: 1024-49151, distinct on one node.  --host defaults to NAME.\n"
	  "  publisher: shows the publisher and this node's role, or records NAME\n"
	  "  as the publisher (only on the publisher, unless --force).  Once one is\n"
	  "  recorded, sipoauth-mode and param changes are refused elsewhere.  This\n"
	  "  node: `node` of DATADIR/oprov.conf, else the host name.\n" },
	{ "pool", cmd_pool, "device pools (time zone, NTP, node group)",
	  "usage: oprovctl pool add NAME [--timezone TZ] [--ntp HOST]... [--node NODE]...\n"
	  "       oprovctl pool set NAME [same options; given lists replace]\n"
	  "       oprovctl [--json] pool list\n"
	  "       oprovctl [--json] pool show NAME\n"
	  "       oprovctl pool delete NAME\n"
	  "  At most 4 NTP servers and 3 nodes (highest priority first).\n" },
	{ "cert", cmd_cert, "certificates by purpose",
	  "usage: oprovctl cert upload --purpose P FILE [--key FILE]\n"
	  "       oprovctl [--json] cert list [--purpose P]\n"
	  "       oprovctl cert delete ID\n"
	  "       oprovctl cert rotate sast|ccm-tftp\n"
	  "  P: tomcat, tomcat-trust, phone-edge-trust, sast, sast-next, ccm-tftp.\n"
	  "  tomcat, sast, sast-next and ccm-tftp need --key (the matching private\n"
	  "  key; RSA for the last three) and replace the current pair; each\n"
	  "  certificate of a trust bundle becomes one entry; phone-edge-trust holds\n"
	  "  at most 16.  rotate sast: sast-next becomes the trust-list signer and a\n"
	  "  new sast-next is made, so phones holding the current list accept the\n"
	  "  next; rotate ccm-tftp: a new signer of NAME.sgn files.\n" },
	{ "cluster", cmd_cluster, "cluster-wide modes: mixed mode (CTL files)",
	  "usage: oprovctl [--json] cluster mixed-mode enable|disable|status\n"
	  "  Mixed mode serves CTLFile.tlv and CTLSEP<MAC>.tlv (off by default).\n" },
	{ "trust", cmd_trust, "trust lists phones get; check .tlv and .sgn files",
	  "usage: oprovctl [--json] trust show [DEVICE]\n"
	  "       oprovctl trust verify [--cert PEM] [--trust LIST.tlv] FILE\n"
	  "       oprovctl trust export ITLFile.tlv|CTLFile.tlv\n"
	  "  show prints the roles, certificates, SHA-256 hashes and version of\n"
	  "  ITLFile.tlv (and what DEVICE fetches).  verify prints the fields of a\n"
	  "  .tlv or .sgn file and checks its signature: a list against its own\n"
	  "  SAST record, or with --trust against the list a phone already holds;\n"
	  "  a signed file against --cert, the record of --trust that signed it, or\n"
	  "  the store's ccm-tftp certificate.  Exit 0 when valid, 1 when not.\n"
	  "  export writes the list as the daemons serve it to stdout.\n" },
	{ "expressway", cmd_expressway, "Expressway-C entries allowed on 5091",
	  "usage: oprovctl expressway add HOST --x509-name NAME... [--description D]\n"
	  "       oprovctl [--json] expressway list\n"
	  "       oprovctl expressway delete HOST\n" },
	{ "profile", cmd_profile, "phone security profiles",
	  "usage: oprovctl profile add NAME --mode non-secure|authenticated|encrypted\n"
	  "                 --transport tcp|udp|tcp+udp|tls [--oauth] [--digest]\n"
	  "                 [--tftp-encrypted-config] [--description D]\n"
	  "       oprovctl [--json] profile list\n"
	  "       oprovctl [--json] profile show NAME\n"
	  "       oprovctl profile set NAME [--vendor KEY=VALUE]... [--description D]\n"
	  "       oprovctl profile delete NAME\n"
	  "  OAuth only with encrypted + tls, without digest or TFTP encrypted config.\n" },
	{ "device", cmd_device, "devices, lines, import/export, rendered configs",
	  "usage: oprovctl device add NAME --model M --profile P [--owner USER] [--pool POOL]\n"
	  "                 [--line DN[:LABEL]]... [--description D] [--load LOAD]\n"
	  "                 [--require-activation-code]\n"
	  "                 [--allow-activation-code-via-mra --mra-domain D]\n"
	  "       oprovctl [--json] device list\n"
	  "       oprovctl [--json] device show NAME\n"
	  "       oprovctl device delete NAME\n"
	  "       oprovctl device import [--replace] FILE.json\n"
	  "       oprovctl device export\n"
	  "       oprovctl device config NAME\n"
	  "       oprovctl device set NAME [--profile P] [--pool P] [--owner U]\n"
	  "                 [--line DN[:LABEL]]... [--no-lines] [--description D]\n"
	  "                 [--load LOAD] [--vendor KEY=VALUE]... [--dialplan NAME]\n"
	  "                 [--softkeys NAME] [--feature-policy NAME] [--kem N[:TYPE]]\n"
	  "       oprovctl [--json] device apply|reset|restart NAME... | --pool P |\n"
	  "                 --profile P | --all [--wait SECONDS]\n"
	  "  NAME is SEP + 12 hex digits (any case), or a soft client's CSF, BOT,\n"
	  "  TCT or TAB name.  set changes a device in place: its tokens stay valid.\n"
	  "  apply/restart/reset send the registered device a NOTIFY through\n"
	  "  oprov-sipd and report answered, sent, not registered or not delivered\n"
	  "  (exit 1 unless every device answered 2xx).  export writes the JSON that\n"
	  "  import reads (\"-\" reads stdin).  config prints SEP<MAC>.cnf.xml exactly\n"
	  "  as the daemons serve it.\n" },
	{ "model", cmd_model, "phone models and their default firmware loads",
	  "usage: oprovctl [--json] model list\n"
	  "       oprovctl model set MODEL --load LOAD\n"
	  "       oprovctl model unset MODEL\n"
	  "  A model's load feeds XMLDefault.cnf.xml and the loadInformation of\n"
	  "  every device of the model without a load of its own.\n" },
	{ "dialplan", cmd_named, "dial plans devices name in <dialTemplate>",
	  "usage: oprovctl dialplan add|set NAME [--description D] [--rule MATCH[:TIMEOUT[:REWRITE]]]...\n"
	  "       oprovctl dialplan list\n"
	  "       oprovctl dialplan show NAME\n"
	  "       oprovctl dialplan delete NAME\n"
	  "  NAME: 1-32 of a-z 0-9 _ -.  MATCH: digits # * . and \\* (a literal *),\n"
	  "  TIMEOUT 0-60 s (default 3), REWRITE digits # * . %0-%5 %%.  set --rule\n"
	  "  replaces every rule.  Served as dialplan-NAME.xml; show prints it.\n" },
	{ "softkeys", cmd_named, "softkey templates devices name in <softKeyFile>",
	  "usage: oprovctl softkeys add|set NAME [--description D] [--state STATE=KEY,KEY...]...\n"
	  "       oprovctl softkeys list\n"
	  "       oprovctl softkeys show NAME\n"
	  "       oprovctl softkeys delete NAME\n"
	  "  STATE: on-hook, connected, on-hold, ring-in, off-hook, ... (see\n"
	  "  oprovctl(8)); KEY: Redial, NewCall, Hold, EndCall, ...; \"STATE=\" clears\n"
	  "  a state.  Served as softkeys-NAME.xml; show prints it.\n" },
	{ "feature-policy", cmd_named, "feature policies devices name in <featurePolicyFile>",
	  "usage: oprovctl feature-policy add|set NAME [--description D] [--enable F]... [--disable F]...\n"
	  "       oprovctl feature-policy list\n"
	  "       oprovctl feature-policy show NAME\n"
	  "       oprovctl feature-policy delete NAME\n"
	  "  F: forward-all, park, barge, ... (see oprovctl(8)).  Served as\n"
	  "  featurepolicy-NAME.xml; show prints it.\n" },
	{ "activation-code", cmd_code, "onboarding activation codes",
	  "usage: oprovctl activation-code issue NAME [--hours H]\n"
	  "       oprovctl [--json] activation-code list\n"
	  "       oprovctl activation-code revoke NAME\n"
	  "  issue prints the 16-digit code once; only its hash is kept.  --hours\n"
	  "  defaults to the activation-code-hours parameter (1-8760).\n" },
	{ "token", cmd_token, "access tokens: mint, verify, inspect, revoke, list",
	  "usage: oprovctl token mint --device NAME [--minutes N]\n"
	  "       oprovctl [--json] token verify [--jwks FILE] [--issuer URL] [--audience AUD]\n"
	  "                 [--skew S] TOKEN\n"
	  "       oprovctl [--json] token inspect TOKEN\n"
	  "       oprovctl token revoke --device NAME | --user U | --family ID | --all\n"
	  "       oprovctl [--json] token list\n"
	  "  TOKEN \"-\" reads the token from stdin.  verify prints the claims and exits 0\n"
	  "  when valid, else prints `invalid_token: REASON` and exits 1; it defaults to\n"
	  "  the store's issuer, audience and keys, and with --jwks (plus --issuer and\n"
	  "  --audience) needs no store.  inspect decodes without verifying anything.\n" },
	{ "keys", cmd_keys, "signing keys",
	  "usage: oprovctl keys rotate [--key-type rsa2048|ec256|ed25519]\n"
	  "                            [--publish-ahead MINUTES] [--force]\n"
	  "       oprovctl [--json] keys list\n"
	  "       oprovctl keys jwks\n"
	  "  rotate makes a new current key, published in the JWKS at once but\n"
	  "  signing only --publish-ahead minutes later (default 10; 0: at once);\n"
	  "  until then the previous key signs.  The previous key still verifies\n"
	  "  until the next rotation, which is refused while a token it signed may\n"
	  "  be valid (its last exp plus 60 s of skew; --force: now, e.g. after a\n"
	  "  key compromise).  list shows when each key signs from and until when\n"
	  "  its tokens live.  jwks prints the public keys that verify (RFC 7517).\n" },
	{ "client", cmd_client, "OAuth clients (confidential: revocation, introspection; public)",
	  "usage: oprovctl client add NAME [--public] [--scope S]\n"
	  "       oprovctl [--json] client list\n"
	  "       oprovctl client delete NAME\n"
	  "  add prints a confidential client's secret once; only its hash is kept.\n"
	  "  --scope defaults to \"revoke introspect\" (the endpoints it may call).\n"
	  "  --public: no secret (phones); --scope then defaults to\n"
	  "  \"config sip-register\" and bounds the tokens it gets.  The public\n"
	  "  client oprov-device is registered with the store.\n" },
	{ "registrations", cmd_registrations, "current SIP bindings",
	  "usage: oprovctl [--json] registrations\n" },
	{ "reload", cmd_reload, "signal running daemons to reload (SIGHUP)",
	  "usage: oprovctl reload\n"
	  "  Sends SIGHUP to each daemon whose pid file in DATADIR/run names a live\n"
	  "  process (oprov-httpsd.pid, oprov-sipd.pid, oprov-tftpd.pid).\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage_tool(FILE *f)
{
	fprintf(f,
	        "usage: oprovctl [-d DATADIR] [--json] COMMAND [ARGS...]\n"
	        "       oprovctl COMMAND --help | oprovctl help [COMMAND]\n"
	        "\n"
	        "  -d DATADIR  state directory (default $" CLI_DATADIR_ENV
	        ", else " CLI_DATADIR_DEFAULT "); its\n"
	        "              oprov.conf may name a PostgreSQL store\n"
	        "  -d URI      a postgresql:// store (DATADIR: the default above)\n"
	        "  --json      JSON output for list, show and status commands\n"
	        "\n"
	        "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nexit status: 0 done, 1 refused or failed (nothing written), 2 usage error\n");
}

const struct cli_cmd *
cli_cmd_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("oprovctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAIL;
}

int
cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("oprovctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd != NULL)
		fputs(cmd->usage, stderr);
	else
		usage_tool(stderr);
	return CLI_USAGE;
}

int
cli_help(const struct cli_cmd *cmd)
{
	fputs(cmd->usage, stdout);
	return CLI_OK;
}

int
cli_dispatch(struct cli *c, const struct cli_sub *subs, int argc, char **argv)
{
	const struct cli_cmd *self = cli_cmd_find(argv[0]);

	if (argc < 2)
		return cli_usage(self, "%s: which subcommand?", argv[0]);
	for (size_t i = 0; subs[i].name != NULL; i++) {
		if (strcmp(subs[i].name, argv[1]) == 0) {
			cli_getopt_reset();
			return subs[i].fn(c, self, argc - 1, argv + 1);
		}
	}
	return cli_usage(self, "%s: unknown subcommand \"%s\"", argv[0], argv[1]);
}

int
cli_positional(const struct cli_cmd *self, int argc, char **argv, int want,
               const char *what)
{
	int have;

	/* A subcommand without options never ran getopt. */
	if (optind == 0)
		optind = 1;
	have = argc - optind;
	if (have == want)
		return 0;
	if (have < want)
		return cli_usage(self, "%s: missing %s", argv[0], what);
	return cli_usage(self, "%s: unexpected argument \"%s\"", argv[0],
	                 argv[optind + want]);
}

int
cli_bad_option(const struct cli_cmd *self, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	/* For "-x" and "--long" alike, argv[optind - 1] is the word at fault
	 * (or the option whose value is missing at the end of the line). */
	if (self != NULL && strcmp(self->name, argv[0]) != 0)
		return cli_usage(self, "%s %s: unknown option, or option without its value: %s",
		                 self->name, argv[0], arg);
	return cli_usage(self, "%s: unknown option, or option without its value: %s",
	                 argv[0], arg);
}

void
cli_getopt_reset(void)
{
	/* glibc: 0 re-initialises getopt's internal state completely.  Errors
	 * are reported by cli_bad_option, in our words. */
	optind = 0;
	opterr = 0;
}

int
cli_read_file(const char *path, size_t max, char **buf, size_t *len,
              char *err, size_t errlen)
{
	int fd = -1, rc = -1;
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (cap - n < 4096) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= n) {
				snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
				goto out;
			}
			if ((nb = realloc(b, ncap + 1)) == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			b = nb;
			cap = ncap;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (b == NULL && (b = malloc(1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	free(b);
	return rc;
}

int
cli_path(const struct cli *c, const char *name, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "%s/%s", c->datadir, name);

	return n < 0 || (size_t)n >= buflen ? -1 : 0;
}

int
cli_store_local(const struct cli *c)
{
	struct store_conf conf;

	if (store_is_uri(c->store) || strncmp(c->store, "sqlite:", 7) == 0)
		return !store_is_uri(c->store);
	return store_conf_load(c->datadir, &conf, NULL, 0) == 0 &&
	       conf.store[0] == '\0';
}

int
cli_store_exists(const struct cli *c)
{
	char path[CLI_PATH_MAX];
	struct stat st;

	return cli_store_local(c) &&
	       cli_path(c, STORE_DB_NAME, path, sizeof(path)) == 0 &&
	       stat(path, &st) == 0;
}

struct store *
cli_store_open(const struct cli *c)
{
	char err[STORE_ERR_MAX];
	struct store *s;

	if (cli_store_local(c) && !cli_store_exists(c)) {
		cli_fail("no store in %s (run `oprovctl init`, or give -d DATADIR)", c->datadir);
		return NULL;
	}
	if ((s = store_open(c->store, 0, err, sizeof(err))) == NULL)
		cli_fail("%s", err);
	return s;
}

int
cli_on_publisher(const struct cli *c, struct store *s, const char *what)
{
	char pub[STORE_NAME_MAX], me[STORE_NAME_MAX], err[STORE_ERR_MAX];
	int rc = store_publisher_get(s, pub, sizeof(pub), err, sizeof(err));

	if (rc == STORE_NOTFOUND)
		return CLI_OK;                  /* no roles recorded: one node */
	if (rc != 0)
		return cli_fail("%s: %s", what, err);
	if (store_node_name(c->store, me, sizeof(me), err, sizeof(err)) != 0)
		return cli_fail("%s: %s", what, err);
	if (strcmp(me, pub) == 0)
		return CLI_OK;
	return cli_fail("%s: refused on subscriber %s: cluster-wide settings are "
	                "changed on the publisher, %s (run this command there)",
	                what, me, pub);
}

int
cli_store_by_name(struct cli *c, const struct cli_cmd *self, int argc,
                  char **argv, const char *arg, cli_store_name_fn fn,
                  const char *what, const char *done_pre, const char *done_post)
{
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, arg)) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = fn(s, argv[optind], err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("%s: %s", what, err);
	printf("%s%s%s\n", done_pre, argv[optind], done_post);
	return CLI_OK;
}

int
cli_add_or_set(const char *group, int create, const char *name, int r, const char *err)
{
	if (r < 0)
		return cli_fail("%s %s: %s", group, create ? "add" : "set", err);
	if (create && r == 0)
		return cli_fail("%s add: %s %s exists (use `oprovctl %s set`)", group, group, name,
		                group);
	if (!create && r == STORE_NOTFOUND)
		return cli_fail("%s set: no %s %s", group, group, name);
	return CLI_OK;
}

/* Both on top of store_token_config, which owns the rule that the audience
 * defaults to the issuer. */
int
cli_issuer(struct store *s, char *buf, size_t buflen, char *err, size_t errlen)
{
	struct store_token_config tc;

	if (store_token_config(s, &tc, err, errlen) < 0)
		return -1;
	snprintf(buf, buflen, "%s", tc.issuer);
	return 0;
}

int
cli_audience(struct store *s, char *buf, size_t buflen, char *err, size_t errlen)
{
	struct store_token_config tc;

	if (store_token_config(s, &tc, err, errlen) < 0)
		return -1;
	snprintf(buf, buflen, "%s", tc.audience);
	return 0;
}

int
cli_json_print(json_t *v)
{
	int rc;

	if (v == NULL)
		return cli_fail("out of memory");
	rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (rc < 0)
		return cli_fail("cannot write JSON output");
	fputc('\n', stdout);
	return CLI_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "datadir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	const struct cli_cmd *cmd;
	const char *env = getenv(CLI_DATADIR_ENV);
	int ch, rc, first;

	c.store = env != NULL && env[0] != '\0' ? env : CLI_DATADIR_DEFAULT;
	/* '+': stop at the command name, so its options stay its own. */
	while ((ch = getopt_long(argc, argv, "+d:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (optarg[0] == '\0')
				return cli_usage(NULL, "-d needs a directory or a "
				                 "postgresql:// URI");
			c.store = optarg;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'h':
			usage_tool(stdout);
			return CLI_OK;
		default:
			usage_tool(stderr);
			return CLI_USAGE;
		}
	}
	c.datadir = store_datadir(c.store);
	if (optind >= argc)
		return cli_usage(NULL, "no command given");
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 >= argc) {
			usage_tool(stdout);
			return CLI_OK;
		}
		if ((cmd = cli_cmd_find(argv[optind + 1])) == NULL)
			return cli_usage(NULL, "unknown command \"%s\"", argv[optind + 1]);
		return cli_help(cmd);
	}
	if ((cmd = cli_cmd_find(argv[optind])) == NULL)
		return cli_usage(NULL, "unknown command \"%s\"", argv[optind]);
	/* --help anywhere after the command answers with its usage; --json is
	 * accepted after the command too ("oprovctl device list --json"). */
	{
		int j = optind + 1, rest = 0;

		for (int i = optind + 1; i < argc; i++) {
			if (rest || strcmp(argv[i], "--") == 0)
				rest = 1;
			else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
				return cli_help(cmd);
			else if (strcmp(argv[i], "--json") == 0) {
				c.json = 1;
				continue;
			}
			argv[j++] = argv[i];
		}
		argc = j;
		argv[argc] = NULL;
	}
	log_open("oprovctl", 0);
	first = optind;
	cli_getopt_reset();
	rc = cmd->fn(&c, argc - first, argv + first);
	if (fflush(stdout) != 0 && rc == CLI_OK)
		rc = cli_fail("cannot write output");
	return rc;
}
