/*
 * cmd_keys.c - `oprovctl keys rotate|list|jwks`: the signing keys of our
 * issuer.  A rotation publishes the new key at once but lets it sign only
 * --publish-ahead minutes later (default 10), so validators that cache the
 * JWKS know it before they meet a token signed with it; the previous key
 * keeps verifying, and a rotation that would retire a key before the last
 * token it signed (its recorded last_exp, plus the validators' skew) has
 * expired is refused without --force.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/render_device.h"
#include "store/store.h"
#include "trust/trust.h"

int
cli_key_make(int key_type, int64_t now, struct store_key *out, char *err,
             size_t errlen)
{
	trust_key *k;
	json_t *jwk = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((k = key_generate((enum key_type)key_type, err, errlen)) == NULL)
		return -1;
	if (cli_copy(out->kid, sizeof(out->kid), key_kid(k), "kid", err, errlen) < 0 ||
	    cli_copy(out->alg, sizeof(out->alg), jws_alg_name(key_alg(k)), "alg",
	             err, errlen) < 0)
		goto out;
	if ((jwk = key_to_jwk(k)) == NULL ||
	    (out->public_jwk = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS)) == NULL ||
	    (out->private_pem = key_private_pem(k)) == NULL) {
		snprintf(err, errlen, "cannot export the new %s key", key_type_name(key_type));
		goto out;
	}
	out->created = now;
	out->state = STORE_KEY_CURRENT;
	rc = 0;
out:
	json_decref(jwk);
	key_unref(k);
	if (rc < 0)
		store_key_free(out);
	return rc;
}

static int
key_type_of_alg(const char *alg)
{
	if (strcmp(alg, "ES256") == 0)
		return KEY_EC256;
	if (strcmp(alg, "EdDSA") == 0)
		return KEY_ED25519;
	return KEY_RSA2048;
}

#define KEYS_PUBLISH_AHEAD_MIN 10        /* minutes a new key is published unused */
#define KEYS_PUBLISH_AHEAD_MAX 1440

struct prev_key {
	int found;
	char kid[STORE_NAME_MAX];
	int64_t last_exp;
};

static int
prev_one(void *ctx, const struct store_key *k)
{
	struct prev_key *p = ctx;

	if (k->state == STORE_KEY_PREVIOUS) {
		p->found = 1;
		snprintf(p->kid, sizeof(p->kid), "%s", k->kid);
		p->last_exp = k->last_exp;
	}
	return 0;
}

/* A rotation retires the previous key.  Safe once the last token it signed
 * (its recorded last_exp; the previous key also signs while the current one
 * waits for its activation) has expired for every validator, i.e. past the
 * largest clock skew they allow.  0 when safe, else -1 with the reason. */
static int
rotation_safe(struct store *s, int64_t now, char *err, size_t errlen)
{
	struct prev_key p = { 0, "", 0 };
	int64_t until;
	char tb[40];

	if (store_key_list(s, prev_one, &p, err, errlen) != 0)
		return -1;
	until = p.last_exp + TOK_SKEW_MAX;
	if (!p.found || p.last_exp == 0 || now >= until)
		return 0;
	snprintf(err, errlen, "the previous key %s signed tokens valid until %s; "
	         "rotating now would retire it: wait, or give --force", p.kid,
	         cli_time(until, tb, sizeof(tb)));
	return -1;
}

static int
keys_rotate(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key-type", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "publish-ahead", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	long long ahead = KEYS_PUBLISH_AHEAD_MIN;
	char err[CLI_ERR_MAX];
	const char *type_text = NULL;
	struct store_key cur, nk;
	enum key_type t = KEY_RSA2048;
	int64_t now = time(NULL);
	struct store *s;
	int ch, rc = CLI_FAIL, force = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 't')
			type_text = optarg;
		else if (ch == 'f')
			force = 1;
		else if (ch == 'p') {
			if (cli_int("--publish-ahead", optarg, 0, KEYS_PUBLISH_AHEAD_MAX,
			            &ahead, err, sizeof(err)) < 0)
				return cli_usage(self, "%s", err);
		} else
			return cli_bad_option(self, argv);
	}
	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if (type_text != NULL && key_type_parse(type_text, &t) < 0)
		return cli_usage(self, "--key-type: \"%s\" is not rsa2048, ec256 or ed25519",
		                 type_text);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	{
		int r = store_key_current(s, &cur, err, sizeof(err));

		if (r < 0) {
			cli_fail("keys rotate: %s", err);
			goto out;
		}
		if (r == 0) {
			if (type_text == NULL)
				t = (enum key_type)key_type_of_alg(cur.alg);
			r = force ? 0 : rotation_safe(s, now, err, sizeof(err));
			store_key_free(&cur);
			if (r < 0) {
				cli_fail("keys rotate: %s", err);
				goto out;
			}
		}
	}
	if (cli_key_make(t, now, &nk, err, sizeof(err)) < 0) {
		cli_fail("keys rotate: %s", err);
		goto out;
	}
	nk.activates = ahead > 0 ? now + ahead * 60 : 0;
	if (store_key_rotate(s, &nk, err, sizeof(err)) != 0)
		cli_fail("keys rotate: %s", err);
	else {
		char tb[40];
		printf("new signing key %s (%s), published now, signs from %s; the previous "
		       "key still verifies\n", nk.kid, nk.alg,
		       ahead > 0 ? cli_time(nk.activates, tb, sizeof(tb)) : "now");
		log_msg(LOG_NOTICE, "signing key rotated%s: new kid %s (%s)",
		        force ? " (forced)" : "", nk.kid, nk.alg);
		rc = CLI_OK;
	}
	store_key_free(&nk);
out:
	store_close(s);
	return rc;
}

struct key_list {
	struct cli *c;
	json_t *arr;
};

static const char *
key_state_name(enum store_key_state st)
{
	switch (st) {
	case STORE_KEY_CURRENT:
		return "current";
	case STORE_KEY_PREVIOUS:
		return "previous";
	default:
		return "retired";
	}
}

static int
key_list_one(void *ctx, const struct store_key *k)
{
	struct key_list *l = ctx;
	char tb[40];

	if (l->c->json)
		return json_array_append_new(l->arr, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}",
		    "kid", k->kid, "alg", k->alg, "state", key_state_name(k->state),
		    "created", (json_int_t)k->created, "activates",
		    (json_int_t)k->activates, "last_exp", (json_int_t)k->last_exp)) < 0 ? -1 : 0;
	printf("%-44s %-6s %-9s %-20s ", k->kid, k->alg, key_state_name(k->state),
	       cli_time(k->created, tb, sizeof(tb)));
	printf("%-20s ", k->activates ? cli_time(k->activates, tb, sizeof(tb)) : "-");
	printf("%s\n", k->last_exp ? cli_time(k->last_exp, tb, sizeof(tb)) : "-");
	return 0;
}

static int
keys_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct key_list l = { c, NULL };
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
		printf("%-44s %-6s %-9s %-20s %-20s %s\n", "KID", "ALG", "STATE", "CREATED",
		       "SIGNS-FROM", "TOKENS-UNTIL");
	if (store_key_list(s, key_list_one, &l, err, sizeof(err)) != 0) {
		json_decref(l.arr);
		store_close(s);
		return cli_fail("keys list: %s", err);
	}
	store_close(s);
	return c->json ? cli_json_print(l.arr) : CLI_OK;
}

static int
keys_jwks(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	struct store *s;
	keyset *ks;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	ks = store_verify_keyset(s, err, sizeof(err));
	store_close(s);
	if (ks == NULL)
		return cli_fail("keys jwks: %s", err);
	rc = cli_json_print(keyset_to_jwks(ks));
	keyset_free(ks);
	return rc;
}

int
cmd_keys(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "rotate", keys_rotate },
		{ "list", keys_list },
		{ "jwks", keys_jwks },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
