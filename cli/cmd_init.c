/*
 * cmd_init.c - `oprovctl init`: a new DATADIR with everything a first
 * device needs.  Keys and certificates are made in memory first; only when
 * all of it exists is the store created, and if any write fails the new
 * store and directories are removed again, so a failed init leaves nothing.
 * Besides the token signing key, CA and web certificate (EC P-256 unless
 * --web-key-type says otherwise), init makes the roles trust lists name:
 * sast, sast-next and ccm-tftp.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/render_device.h"
#include "store/store.h"
#include "trust/trust.h"

/* Validity of what init makes: the CA ten years, the web certificate 397
 * days (under the 398 that browsers and most TLS clients accept for a
 * leaf). */
#define INIT_CA_DAYS     3650
#define INIT_SERVER_DAYS 397

#define INIT_PROFILE_PLAIN "Standard-Non-Secure"
#define INIT_PROFILE_OAUTH "Standard-OAuth"

struct init_plan {
	struct store_key key;
	char *ca_pem, *ca_key_pem, *srv_pem, *srv_key_pem, *chain_pem;
	struct cert_info ca_info, srv_info;
	struct cli_role roles[3];        /* sast, sast-next, ccm-tftp */
	struct cfg_node node;
	struct cfg_pool pool;
	struct cfg_profile plain, oauth;
	char issuer[CFG_URL_MAX];
};

static void
plan_free(struct init_plan *p)
{
	store_key_free(&p->key);
	free(p->ca_pem);
	trust_free_secret(p->ca_key_pem);
	free(p->srv_pem);
	trust_free_secret(p->srv_key_pem);
	free(p->chain_pem);
	for (size_t i = 0; i < 3; i++)
		cli_role_free(&p->roles[i]);
}

static int
host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n >= CFG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == ':'))
			return 0;
	}
	return h[0] != '-' && h[0] != '.';
}

/* The trust-list roles (docs/formats.md): the signer of ITLFile.tlv, the
 * next signer (already listed), and the node's CCM+TFTP certificate that
 * signs NAME.sgn files.  RSA, as the formats require. */
static int
roles_make(struct init_plan *p, const char *host, char *err, size_t errlen)
{
	static const char *const what[3] = { "SAST", "SAST next", "CCM+TFTP" };
	static const char *const purpose[3] = {
		STORE_PURPOSE_SAST, STORE_PURPOSE_SAST_NEXT, STORE_PURPOSE_CCM_TFTP,
	};
	char cn[CFG_NAME_MAX + 32];

	for (size_t i = 0; i < 3; i++) {
		snprintf(cn, sizeof(cn), "oprov %s %s", what[i], host);
		if (cli_role_make(purpose[i], cn, &p->roles[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
plan_make(struct init_plan *p, const char *host, const char *issuer,
          enum key_type kt, enum key_type web_kt, char *err, size_t errlen)
{
	char cn[CFG_NAME_MAX + 16];
	int64_t now = time(NULL);
	size_t n;

	if (issuer != NULL) {
		if (cli_copy(p->issuer, sizeof(p->issuer), issuer, "--issuer", err, errlen) < 0)
			return -1;
		if (strncmp(issuer, "https://", 8) != 0 || issuer[8] == '\0') {
			snprintf(err, errlen, "--issuer: must be an https:// URL (RFC 8414 §2)");
			return -1;
		}
	} else if (strchr(host, ':') != NULL)
		snprintf(p->issuer, sizeof(p->issuer), "https://[%s]:8443", host);
	else
		snprintf(p->issuer, sizeof(p->issuer), "https://%s:8443", host);

	cfg_node_init(&p->node, host, host);
	if (cfg_node_validate(&p->node, err, errlen) < 0)
		return -1;
	cfg_pool_init(&p->pool, RENDER_DEFAULT_POOL);
	p->pool.node_count = 1;
	snprintf(p->pool.nodes[0], sizeof(p->pool.nodes[0]), "%s", host);
	if (cfg_pool_validate(&p->pool, err, errlen) < 0)
		return -1;
	cfg_profile_init(&p->plain, INIT_PROFILE_PLAIN);
	snprintf(p->plain.description, sizeof(p->plain.description),
	         "non-secure, TCP (legacy devices, served over TFTP and 6970)");
	cfg_profile_init(&p->oauth, INIT_PROFILE_OAUTH);
	snprintf(p->oauth.description, sizeof(p->oauth.description),
	         "encrypted, TLS, OAuth (config over 6971, SIP on 5090/5091)");
	p->oauth.mode = CFG_MODE_ENCRYPTED;
	p->oauth.transport = CFG_TRANSPORT_TLS;
	p->oauth.oauth = 1;
	if (cfg_profile_validate(&p->plain, err, errlen) < 0 ||
	    cfg_profile_validate(&p->oauth, err, errlen) < 0)
		return -1;

	if (cli_key_make(kt, now, &p->key, err, errlen) < 0)
		return -1;
	snprintf(cn, sizeof(cn), "oprov CA %s", host);
	if (x509_make_ca(kt, cn, INIT_CA_DAYS, &p->ca_pem, &p->ca_key_pem, err, errlen) < 0 ||
	    x509_make_server(p->ca_pem, p->ca_key_pem, web_kt, host, INIT_SERVER_DAYS,
	                     &p->srv_pem, &p->srv_key_pem, err, errlen) < 0 ||
	    cert_info_pem(p->ca_pem, strlen(p->ca_pem), &p->ca_info, err, errlen) < 0 ||
	    cert_info_pem(p->srv_pem, strlen(p->srv_pem), &p->srv_info, err, errlen) < 0 ||
	    roles_make(p, host, err, errlen) < 0)
		return -1;
	/* The web certificate alone: its issuer is the self-signed root that
	 * clients hold (Phone Edge Trust, tomcat-trust), which a server does
	 * not send (RFC 8446 §4.4.2). */
	n = strlen(p->srv_pem) + 1;
	if ((p->chain_pem = malloc(n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(p->chain_pem, n, "%s", p->srv_pem);
	return 0;
}

static int
plan_write(struct store *s, const struct init_plan *p, char *err, size_t errlen)
{
	struct store_param_change ch[] = {
		{ STORE_PARAM_ISSUER, p->issuer },
	};

	if (store_key_rotate(s, &p->key, err, errlen) != 0 ||
	    cli_cert_add(s, STORE_PURPOSE_TOMCAT, p->chain_pem, p->srv_key_pem, &p->srv_info,
	                 NULL, err, errlen) < 0 ||
	    cli_cert_add(s, STORE_PURPOSE_TOMCAT_TRUST, p->ca_pem, NULL, &p->ca_info, NULL,
	                 err, errlen) < 0 ||
	    cli_cert_add(s, STORE_PURPOSE_PHONE_EDGE_TRUST, p->ca_pem, NULL, &p->ca_info, NULL,
	                 err, errlen) < 0 ||
	    store_node_put(s, &p->node, err, errlen) != 0 ||
	    store_pool_put(s, &p->pool, err, errlen) != 0 ||
	    store_profile_put(s, &p->plain, err, errlen) != 0 ||
	    store_profile_put(s, &p->oauth, err, errlen) != 0 ||
	    store_param_apply(s, ch, sizeof(ch) / sizeof(ch[0]), err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (cli_role_store(s, &p->roles[i], err, errlen) < 0)
			return -1;
	return 0;
}

/* Removes what a failed init created (best effort, only what it made). */
static void
undo(const struct cli *c, int made_datadir)
{
	static const char *const files[] = {
		STORE_DB_NAME, STORE_DB_NAME "-wal", STORE_DB_NAME "-shm",
		STORE_DB_NAME "-journal", NULL,
	};
	char path[CLI_PATH_MAX];

	for (size_t i = 0; files[i] != NULL; i++)
		if (cli_path(c, files[i], path, sizeof(path)) == 0)
			unlink(path);
	if (cli_path(c, CLI_FILES_DIR, path, sizeof(path)) == 0)
		rmdir(path);
	if (cli_path(c, CLI_RUN_DIR, path, sizeof(path)) == 0)
		rmdir(path);
	if (made_datadir)
		rmdir(c->datadir);
}

static int
subdir(const struct cli *c, const char *name, char *err, size_t errlen)
{
	char path[CLI_PATH_MAX];

	if (cli_path(c, name, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "%s: path too long", c->datadir);
		return -1;
	}
	/* files/ holds public files and run/ pid files: readable by all. */
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* init: the options as given. */
struct init_opts {
	const char *issuer, *host;
	enum key_type kt, web_kt;
	char hostbuf[256];       /* this machine's name, when no --hostname */
};

/* The options; the host name defaults to this machine's.  CLI_OK, CLI_FAIL
 * or CLI_USAGE (printed). */
static int
init_args(const struct cli_cmd *self, int argc, char **argv, struct init_opts *o)
{
	static const struct option opts[] = {
		{ "issuer", required_argument, NULL, 'i' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "key-type", required_argument, NULL, 't' },
		{ "web-key-type", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			o->issuer = optarg;
			break;
		case 'H':
			o->host = optarg;
			break;
		case 't':
			if (key_type_parse(optarg, &o->kt) < 0)
				return cli_usage(self, "--key-type: \"%s\" is not rsa2048, ec256 or ed25519",
				                 optarg);
			break;
		case 'w':
			/* Phones check 6971 against an EC certificate in the ITL
			 * (docs/formats.md); RSA stays possible for other clients. */
			if (key_type_parse(optarg, &o->web_kt) < 0)
				return cli_usage(self, "--web-key-type: \"%s\" is not ec256, rsa2048 "
				                 "or ed25519", optarg);
			break;
		default:
			return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if (o->host == NULL) {
		if (gethostname(o->hostbuf, sizeof(o->hostbuf)) < 0)
			return cli_fail("init: cannot read the host name; give --hostname");
		o->hostbuf[sizeof(o->hostbuf) - 1] = '\0';
		o->host = o->hostbuf;
	}
	if (!host_ok(o->host))
		return cli_fail("init: --hostname \"%s\": a host name or address of at most %d "
		                "letters, digits, '-', '.' or ':'", o->host, CFG_NAME_MAX - 1);
	return CLI_OK;
}

/* DATADIR (when missing), the store, files/ and run/, then the plan written
 * in; a failure removes what this made.  CLI_OK or CLI_FAIL (printed). */
static int
init_create(const struct cli *c, const struct init_plan *plan)
{
	char err[CLI_ERR_MAX];
	struct store *s;
	struct stat st;
	int made_datadir = 0;

	if (stat(c->datadir, &st) < 0) {
		if (mkdir(c->datadir, 0700) < 0)
			return cli_fail("init: %s: %s", c->datadir, strerror(errno));
		made_datadir = 1;
	}
	if ((s = store_open(c->datadir, STORE_CREATE | STORE_EXCL, err, sizeof(err))) == NULL) {
		cli_fail("init: %s", err);
		if (made_datadir)
			rmdir(c->datadir);
		return CLI_FAIL;
	}
	if (subdir(c, CLI_FILES_DIR, err, sizeof(err)) < 0 ||
	    subdir(c, CLI_RUN_DIR, err, sizeof(err)) < 0 ||
	    plan_write(s, plan, err, sizeof(err)) < 0) {
		store_close(s);
		undo(c, made_datadir);
		return cli_fail("init: %s", err);
	}
	store_close(s);
	return CLI_OK;
}

static void
plan_print(const struct cli *c, const struct init_plan *plan)
{
	char tb[40];

	printf("store:        %s/%s\n", c->datadir, STORE_DB_NAME);
	printf("issuer:       %s\n", plan->issuer);
	printf("signing key:  %s (%s)\n", plan->key.kid, plan->key.alg);
	printf("CA:           %s, SHA-256 %s, expires %s\n", plan->ca_info.subject,
	       plan->ca_info.sha256_colon, cli_time(plan->ca_info.not_after, tb, sizeof(tb)));
	printf("web cert:     %s, expires %s\n", plan->srv_info.subject,
	       cli_time(plan->srv_info.not_after, tb, sizeof(tb)));
	for (size_t i = 0; i < 3; i++)
		printf("%-13s %s, SHA-256 %s\n", plan->roles[i].purpose, plan->roles[i].info.subject,
		       plan->roles[i].info.sha256_colon);
	printf("node:         %s; pool: %s; profiles: %s, %s\n", plan->node.name,
	       RENDER_DEFAULT_POOL, INIT_PROFILE_PLAIN, INIT_PROFILE_OAUTH);
	log_msg(LOG_NOTICE, "initialised %s: issuer %s, signing key %s", c->datadir,
	        plan->issuer, plan->key.kid);
}

int
cmd_init(struct cli *c, int argc, char **argv)
{
	struct init_opts o = { .issuer = NULL, .host = NULL, .kt = KEY_RSA2048,
	                       .web_kt = KEY_EC256 };
	char err[CLI_ERR_MAX];
	struct init_plan plan;
	int rc;

	if ((rc = init_args(cli_cmd_find("init"), argc, argv, &o)) != CLI_OK)
		return rc;
	if (cli_store_exists(c))
		return cli_fail("init: %s/%s exists; refusing to overwrite a store", c->datadir,
		                STORE_DB_NAME);
	memset(&plan, 0, sizeof(plan));
	if (plan_make(&plan, o.host, o.issuer, o.kt, o.web_kt, err, sizeof(err)) < 0)
		rc = cli_fail("init: %s", err);
	else if ((rc = init_create(c, &plan)) == CLI_OK)
		plan_print(c, &plan);
	plan_free(&plan);
	return rc;
}
