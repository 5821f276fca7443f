/*
 * cmd_client.c - `oprovctl client add|list|delete`: the OAuth clients of
 * 8443.  A confidential client (the default) gets a secret (256 random
 * bits, base64url) shown once; the store keeps only
 * trust_secret_hash(SECRET_CLIENT_SECRET, secret).  Its scope says which of
 * revoke / introspect it may call.  A public client (--public: phones and
 * other clients that cannot keep a secret) has no secret; its scope bounds
 * the tokens it gets.  `oprov-device`, the public client of phones that send
 * no client_id, is registered with the store.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"
#include "trust/trust.h"

#define CLIENT_SECRET_BYTES 32
#define CLIENT_SCOPE_DEFAULT "revoke introspect"
#define CLIENT_PUBLIC_SCOPE_DEFAULT "config sip-register"

/* client_id appears in tokens, logs and HTTP Basic credentials (RFC 6749
 * §2.3.1 form-encodes it): keep it to unreserved characters. */
static int
client_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= STORE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
		      ch == '~'))
			return 0;
	}
	return 1;
}

/* RFC 6749 §3.3: scope tokens are %x21 / %x23-5B / %x5D-7E, separated by
 * single spaces. */
static int
scope_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= STORE_SCOPE_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == ' ' && s[i + 1] == ' ')
			return 0;
		if (ch != ' ' && (ch < 0x21 || ch == 0x22 || ch == 0x5c || ch > 0x7e))
			return 0;
	}
	return 1;
}

static int
client_add(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "public", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scope = NULL;
	struct store_client sc;
	char err[CLI_ERR_MAX], *secret = NULL;
	struct store *s;
	int ch, rc, public = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's')
			scope = optarg;
		else if (ch == 'p')
			public = 1;
		else
			return cli_bad_option(self, argv);
	}
	if (scope == NULL)
		scope = public ? CLIENT_PUBLIC_SCOPE_DEFAULT : CLIENT_SCOPE_DEFAULT;
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if (!client_name_ok(argv[optind]))
		return cli_fail("client add: client name \"%s\": 1 to %d of A-Z a-z 0-9 - . _ ~",
		                argv[optind], STORE_NAME_MAX - 1);
	if (!scope_ok(scope))
		return cli_fail("client add: --scope: space-separated scope tokens (RFC 6749 §3.3)");
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.name, sizeof(sc.name), "%s", argv[optind]);
	snprintf(sc.scope, sizeof(sc.scope), "%s", scope);
	sc.created = time(NULL);
	if (!public) {
		if ((secret = trust_random_b64url(CLIENT_SECRET_BYTES)) == NULL)
			return cli_fail("client add: no random numbers");
		trust_secret_hash(SECRET_CLIENT_SECRET, secret, strlen(secret),
		                  sc.secret_hash);
	}
	if ((s = cli_store_open(c)) == NULL) {
		trust_free_secret(secret);
		return CLI_FAIL;
	}
	rc = store_client_add(s, &sc, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		trust_free_secret(secret);
		return cli_fail("client add: %s", err);
	}
	if (public)
		fprintf(stderr, "oprovctl: public client %s, scope \"%s\" (no secret)\n",
		        sc.name, sc.scope);
	else {
		printf("%s\n", secret);
		fprintf(stderr, "oprovctl: client %s, scope \"%s\": the secret above is "
		        "not shown again\n", sc.name, sc.scope);
	}
	log_msg(LOG_NOTICE, "OAuth %s client %s added, scope \"%s\"",
	        public ? "public" : "confidential", sc.name, sc.scope);
	trust_free_secret(secret);
	return CLI_OK;
}

struct client_list {
	json_t *arr;
};

static const char *
client_type(const struct store_client *sc)
{
	return sc->secret_hash[0] == '\0' ? "public" : "confidential";
}

static int
client_list_one(void *ctx, const struct store_client *sc)
{
	struct client_list *l = ctx;
	char tb[40];

	if (l->arr != NULL)
		return json_array_append_new(l->arr, json_pack("{s:s, s:s, s:s, s:I}",
		    "name", sc->name, "type", client_type(sc), "scope", sc->scope,
		    "created", (json_int_t)sc->created)) < 0 ? -1 : 0;
	printf("%-24s %-12s %-23s %s\n", sc->name, client_type(sc),
	       cli_time(sc->created, tb, sizeof(tb)), sc->scope);
	return 0;
}

static int
client_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct client_list l = { NULL };
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
		printf("%-24s %-12s %-23s %s\n", "NAME", "TYPE", "CREATED", "SCOPE");
	rc = store_client_list(s, client_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		json_decref(l.arr);
		return cli_fail("client list: %s", err);
	}
	return l.arr != NULL ? cli_json_print(l.arr) : CLI_OK;
}

static int
client_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_store_by_name(c, self, argc, argv, "NAME", store_client_delete,
	                         "client delete", "client ", " deleted");
}

int
cmd_client(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", client_add },
		{ "list", client_list },
		{ "delete", client_delete },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
