/*
 * cmd_token.c - `oprovctl token mint|verify|inspect|revoke|list`.
 *
 * verify runs the same validation the daemons run (trust's tok_validate:
 * the order and rules of standards.md "Access tokens"), against the store's
 * issuer, audience, keys and revocations, or against a JWKS file without any
 * store.  inspect decodes without checking anything and says so.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/render_device.h"
#include "store/store.h"
#include "trust/trust.h"

/* Who minted a token by hand, in its client_id claim. */
#define MINT_CLIENT_ID "oprovctl"
#define MINT_SCOPE     SCOPE_CONFIG " " SCOPE_SIP_REGISTER

/* The token argument, or stdin for "-", without surrounding white space.
 * A token larger than the validator's ceiling is read whole up to
 * TOK_MAX_SIZE_CEILING + 1 bytes so the verdict can say too_large. */
static int
token_arg(const char *arg, char **tok, size_t *len, char *err, size_t errlen)
{
	char *b;
	size_t n, start = 0;

	if (strcmp(arg, "-") == 0) {
		if (cli_read_file("-", TOK_MAX_SIZE_CEILING + 1, &b, &n, err, errlen) < 0)
			return -1;
	} else {
		n = strlen(arg);
		if ((b = malloc(n + 1)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(b, arg, n + 1);
	}
	while (n > 0 && isspace((unsigned char)b[n - 1]))
		b[--n] = '\0';
	while (start < n && isspace((unsigned char)b[start]))
		start++;
	memmove(b, b + start, n - start + 1);
	*tok = b;
	*len = n - start;
	return 0;
}

static int
token_mint(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "minutes", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = NULL, *minutes_text = NULL;
	char err[CLI_ERR_MAX], iss[CFG_URL_MAX], aud[CFG_URL_MAX], tb[40];
	struct cfg_params p;
	struct cfg_device d;
	long long minutes;
	int64_t now = time(NULL);
	trust_key *k = NULL;
	json_t *claims = NULL;
	char *tok = NULL;
	struct store *s;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': device = optarg; break;
		case 'm': minutes_text = optarg; break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if (device == NULL)
		return cli_usage(self, "token mint: --device NAME is required");
	if (minutes_text != NULL &&
	    cli_int("--minutes", minutes_text, 1, 1440, &minutes, err, sizeof(err)) < 0)
		return cli_fail("token mint: %s (oauth-access-token-minutes range)", err);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	if (store_device_get(s, device, &d, err, sizeof(err)) != 0 ||
	    cli_issuer(s, iss, sizeof(iss), err, sizeof(err)) < 0 ||
	    cli_audience(s, aud, sizeof(aud), err, sizeof(err)) < 0 ||
	    render_params_load(s, &p, err, sizeof(err)) < 0) {
		cli_fail("token mint: %s", err);
		goto out;
	}
	if (minutes_text == NULL)
		minutes = p.access_token_minutes;
	if ((k = store_signing_key(s, err, sizeof(err))) == NULL) {
		cli_fail("token mint: %s", err);
		goto out;
	}
	/* The key must outlive the token: its exp is recorded first. */
	if (store_key_note_exp(s, key_kid(k), now + minutes * 60, err, sizeof(err)) != 0) {
		cli_fail("token mint: %s", err);
		goto out;
	}
	if ((claims = tok_mint_claims(iss, d.name, aud, d.name, MINT_CLIENT_ID, MINT_SCOPE,
	                              now, minutes * 60)) == NULL ||
	    (tok = tok_mint(k, claims, err, sizeof(err))) == NULL) {
		cli_fail("token mint: %s", claims == NULL ? "cannot build claims" : err);
		goto out;
	}
	printf("%s\n", tok);
	{
		json_t *jti = json_object_get(claims, "jti");

		log_msg(LOG_NOTICE, "access token minted by hand for %s: jti %s, kid %s, %lld min",
		        d.name, json_is_string(jti) ? json_string_value(jti) : "?", key_kid(k), minutes);
		fprintf(stderr, "oprovctl: minted for %s (jti %s), expires %s; logged\n", d.name,
		        json_is_string(jti) ? json_string_value(jti) : "?",
		        cli_time(now + minutes * 60, tb, sizeof(tb)));
	}
	rc = CLI_OK;
out:
	if (tok != NULL)
		trust_free_secret(tok);
	json_decref(claims);
	key_unref(k);
	store_close(s);
	return rc;
}

static int
revoked_cb(void *arg, const struct tok_claims *cl)
{
	char err[STORE_ERR_MAX];
	int r = store_token_revoked(arg, cl->jti, cl->dev, cl->sub, NULL, cl->iat, err,
	                            sizeof(err));

	/* A revocation list that cannot be read revokes (fail closed). */
	return r != 0;
}

/* `token verify`: the options, then what the token is checked against. */
struct verify {
	const char *jwks, *issuer, *audience;     /* NULL when not given */
	long long skew;                           /* -1: the validator's default */
	char iss[CFG_URL_MAX], aud[CFG_URL_MAX];  /* the store's, when not given */
	struct store *s;                          /* NULL: --jwks without a store */
	keystore *ks;
	tok_validator *val;
};

static void
verify_free(struct verify *v)
{
	tok_validator_free(v->val);
	if (v->ks != NULL)
		keystore_free(v->ks);
	if (v->s != NULL)
		store_close(v->s);
}

/* The options and TOKEN.  CLI_OK or CLI_USAGE (printed). */
static int
verify_args(const struct cli_cmd *self, int argc, char **argv, struct verify *v)
{
	static const struct option opts[] = {
		{ "jwks", required_argument, NULL, 'j' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "audience", required_argument, NULL, 'a' },
		{ "skew", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	char err[CLI_ERR_MAX];
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': v->jwks = optarg; break;
		case 'i': v->issuer = optarg; break;
		case 'a': v->audience = optarg; break;
		case 's':
			if (cli_int("--skew", optarg, 0, TOK_SKEW_MAX, &v->skew, err, sizeof(err)) < 0)
				return cli_usage(self, "token verify: %s", err);
			break;
		default: return cli_bad_option(self, argv);
		}
	}
	return cli_positional(self, argc, argv, 1, "TOKEN");
}

/* The issuer and audience: as given, else the store's.  Without a store,
 * --jwks, --issuer and --audience are all needed.  Opens the store when
 * there is one.  CLI_OK, CLI_FAIL or CLI_USAGE (printed). */
static int
verify_against(struct cli *c, const struct cli_cmd *self, struct verify *v)
{
	char err[CLI_ERR_MAX];

	/* A store elsewhere (a URI, one oprov.conf names) is there to open. */
	if (!cli_store_local(c) || cli_store_exists(c)) {
		if ((v->s = cli_store_open(c)) == NULL)
			return CLI_FAIL;
		if ((v->issuer == NULL && cli_issuer(v->s, v->iss, sizeof(v->iss), err,
		                                     sizeof(err)) < 0) ||
		    (v->audience == NULL && cli_audience(v->s, v->aud, sizeof(v->aud), err,
		                                         sizeof(err)) < 0))
			return cli_fail("token verify: %s", err);
		if (v->issuer == NULL)
			v->issuer = v->iss;
		if (v->audience == NULL)
			v->audience = v->aud;
	} else if (v->jwks == NULL) {
		return cli_usage(self, "token verify: no store in %s: give --jwks FILE, --issuer "
		                 "and --audience", c->datadir);
	}
	if (v->issuer == NULL || v->audience == NULL)
		return cli_usage(self, "token verify: without a store, --issuer and --audience "
		                 "are required");
	return CLI_OK;
}

/* The keys (--jwks, else the store's) and a validator over them that asks
 * the store's revocations, when there is a store.  CLI_OK or CLI_FAIL
 * (printed). */
static int
verify_validator(struct verify *v)
{
	char err[CLI_ERR_MAX];
	struct tok_config cfg;

	if ((v->ks = keystore_new()) == NULL)
		return cli_fail("out of memory");
	if (v->jwks != NULL) {
		if (keystore_load_jwks_file(v->ks, v->issuer, v->jwks, JWS_ALG_INVALID, err,
		                            sizeof(err)) < 0)
			return cli_fail("token verify: %s: %s", v->jwks, err);
	} else {
		keyset *set = store_verify_keyset(v->s, err, sizeof(err));

		if (set == NULL || keystore_set(v->ks, v->issuer, set, err, sizeof(err)) < 0)
			return cli_fail("token verify: signing keys: %s", err);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.issuer = v->issuer;
	cfg.audience = v->audience;
	cfg.skew = (int)v->skew;
	cfg.cache_entries = SIZE_MAX;
	if (v->s != NULL) {
		cfg.revoked = revoked_cb;
		cfg.revoked_arg = v->s;
	}
	if ((v->val = tok_validator_new(&cfg, v->ks, err, sizeof(err))) == NULL)
		return cli_fail("token verify: %s", err);
	return CLI_OK;
}

/* Validates the token argument: a valid token's claims as JSON (CLI_OK),
 * else "invalid_token: REASON" (CLI_FAIL). */
static int
verify_token(const struct verify *v, const char *arg)
{
	char err[CLI_ERR_MAX], *tok;
	json_t *h = NULL, *claims = NULL;
	struct tok_claims cl;
	enum tok_verdict verdict;
	size_t len;
	int rc;

	if (token_arg(arg, &tok, &len, err, sizeof(err)) < 0)
		return cli_fail("token verify: %s", err);
	verdict = tok_validate(v->val, tok, len, &cl);
	if (verdict != TOK_OK) {
		printf("invalid_token: %s\n", tok_verdict_name(verdict));
		rc = CLI_FAIL;
	} else if (tok_inspect(tok, len, &h, &claims, err, sizeof(err)) < 0 ||
	           claims == NULL) {
		json_decref(claims);
		rc = cli_fail("token verify: %s", err);
	} else {
		/* Valid: the payload is now trusted, print it whole. */
		rc = cli_json_print(claims);
	}
	json_decref(h);
	trust_free_secret(tok);
	return rc;
}

static int
token_verify(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct verify v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.skew = -1;
	if ((rc = verify_args(self, argc, argv, &v)) == CLI_OK &&
	    (rc = verify_against(c, self, &v)) == CLI_OK &&
	    (rc = verify_validator(&v)) == CLI_OK)
		rc = verify_token(&v, argv[optind]);
	verify_free(&v);
	return rc;
}

static void
print_times(const json_t *claims)
{
	static const char *const names[] = { "iat", "nbf", "exp", NULL };
	char tb[40];

	for (size_t i = 0; names[i] != NULL; i++) {
		json_t *v = json_object_get(claims, names[i]);

		if (json_is_integer(v))
			printf("  %s = %s\n", names[i], cli_time(json_integer_value(v), tb, sizeof(tb)));
	}
}

static int
token_inspect(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX], *tok = NULL;
	json_t *h = NULL, *claims = NULL;
	size_t len;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "TOKEN")) != 0)
		return rc;
	if (token_arg(argv[optind], &tok, &len, err, sizeof(err)) < 0)
		return cli_fail("token inspect: %s", err);
	rc = tok_inspect(tok, len, &h, &claims, err, sizeof(err));
	trust_free_secret(tok);
	if (rc < 0)
		return cli_fail("token inspect: %s", err);
	if (c->json)
		return cli_json_print(json_pack("{s:b, s:s, s:o, s:o}", "verified", 0, "warning",
		    "UNVERIFIED: nothing about this token was checked", "header", h,
		    "claims", claims != NULL ? claims : json_null()));
	printf("UNVERIFIED: decoded only; signature, issuer, audience and times were NOT "
	       "checked\n");
	printf("header (unverified):\n");
	json_dumpf(h, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("\nclaims (unverified):\n");
	if (claims != NULL) {
		json_dumpf(claims, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
		print_times(claims);
	} else
		printf("(payload is not JSON)\n");
	json_decref(h);
	json_decref(claims);
	return CLI_OK;
}

static int
token_revoke(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "family", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char err[CLI_ERR_MAX], dev[CFG_DEVNAME_MAX];
	const char *value = NULL;
	int64_t now = time(NULL);
	struct store *s;
	int ch, rc, kind = 0, n = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': case 'u': case 'f': case 'a':
			kind = ch;
			value = optarg;
			n++;
			break;
		default:
			return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if (n != 1)
		return cli_usage(self, "token revoke: give exactly one of --device, --user, "
		                 "--family, --all");
	if (kind == 'd') {
		if (cfg_device_name_parse(value, strlen(value), dev) < 0)
			return cli_fail("token revoke: device name \"%s\" is not SEP followed by 12 "
			                "hex digits", value);
		value = dev;
	}
	if (value != NULL && (value[0] == '\0' || strlen(value) >= STORE_JTI_MAX))
		return cli_fail("token revoke: value must be 1 to %d bytes", STORE_JTI_MAX - 1);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	switch (kind) {
	case 'd': rc = store_revoke_device(s, value, now, err, sizeof(err)); break;
	case 'u': rc = store_revoke_user(s, value, now, err, sizeof(err)); break;
	case 'f': rc = store_revoke_family(s, value, now, err, sizeof(err)); break;
	default: rc = store_revoke_all(s, now, err, sizeof(err)); break;
	}
	store_close(s);
	if (rc != 0)
		return cli_fail("token revoke: %s", err);
	if (kind == 'a')
		printf("every token issued until now is revoked\n");
	else
		printf("tokens of %s %s issued until now are revoked\n",
		       kind == 'd' ? "device" : kind == 'u' ? "user" : "family", value);
	log_msg(LOG_NOTICE, "tokens revoked: %s %s",
	        kind == 'd' ? "device" : kind == 'u' ? "user" : kind == 'f' ? "family" : "all",
	        value != NULL ? value : "");
	return CLI_OK;
}

struct tok_list {
	json_t *fams, *revs;
	int json;
	int64_t now;
};

static int
family_one(void *ctx, const struct store_family *f)
{
	struct tok_list *l = ctx;
	char t1[40];
	const char *state = f->revoked ? "revoked" : f->expires <= l->now ? "expired" : "live";

	if (l->json)
		return json_array_append_new(l->fams, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, "
		    "s:I, s:I, s:s}", "id", f->id, "device", f->device, "owner", f->owner,
		    "client_id", f->client_id, "scope", f->scope, "created", (json_int_t)f->created,
		    "expires", (json_int_t)f->expires, "revoked", (json_int_t)f->revoked,
		    "state", state)) < 0 ? -1 : 0;
	printf("  %-24s %-16s %-12s %-12s %-8s expires %s\n", f->id, f->device[0] ? f->device : "-",
	       f->owner[0] ? f->owner : "-", f->client_id, state,
	       cli_time(f->expires, t1, sizeof(t1)));
	return 0;
}

static const char *
rev_kind(enum store_revocation_kind k)
{
	switch (k) {
	case STORE_REVOKE_JTI: return "jti";
	case STORE_REVOKE_DEVICE: return "device";
	case STORE_REVOKE_USER: return "user";
	case STORE_REVOKE_FAMILY: return "family";
	default: return "all";
	}
}

static int
revocation_one(void *ctx, const struct store_revocation *r)
{
	struct tok_list *l = ctx;
	char t1[40], t2[40];

	if (l->json)
		return json_array_append_new(l->revs, json_pack("{s:s, s:s, s:I, s:I, s:I}",
		    "kind", rev_kind(r->kind), "value", r->value, "issued_before",
		    (json_int_t)r->issued_before, "created", (json_int_t)r->created,
		    "purge_after", (json_int_t)r->purge_after)) < 0 ? -1 : 0;
	printf("  %-7s %-30s revoked %s, kept until %s\n", rev_kind(r->kind),
	       r->value[0] ? r->value : "-", cli_time(r->created, t1, sizeof(t1)),
	       cli_time(r->purge_after, t2, sizeof(t2)));
	return 0;
}

static int
token_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct tok_list l = { NULL, NULL, c->json, time(NULL) };
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (c->json) {
		l.fams = json_array();
		l.revs = json_array();
	} else
		printf("refresh-token families:\n");
	rc = store_family_list(s, family_one, &l, err, sizeof(err));
	if (rc == 0) {
		if (!c->json)
			printf("revocations:\n");
		rc = store_revocation_list(s, revocation_one, &l, err, sizeof(err));
	}
	store_close(s);
	if (rc != 0) {
		json_decref(l.fams);
		json_decref(l.revs);
		return cli_fail("token list: %s", err);
	}
	if (c->json)
		return cli_json_print(json_pack("{s:o, s:o}", "families", l.fams, "revocations",
		                                l.revs));
	return CLI_OK;
}

int
cmd_token(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "mint", token_mint },
		{ "verify", token_verify },
		{ "inspect", token_inspect },
		{ "revoke", token_revoke },
		{ "list", token_list },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
