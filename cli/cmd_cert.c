/*
 * cmd_cert.c - `oprovctl cert upload|list|delete|rotate`: certificates by
 * purpose.  tomcat is the web certificate (key + chain, one only);
 * tomcat-trust holds the CAs 5091 peers (Expressway-C) must chain to;
 * phone-edge-trust the CA roots phones use to check the web certificate, at
 * most 16; sast, sast-next and ccm-tftp are the trust-list roles (RSA key +
 * certificate each, docs/formats.md).  Also cli_cert_add, the one way
 * oprovctl writes a certificate, and the role pairs init makes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"
#include "trust/trust.h"

static const char *const purposes[] = {
	STORE_PURPOSE_TOMCAT, STORE_PURPOSE_TOMCAT_TRUST, STORE_PURPOSE_PHONE_EDGE_TRUST,
	STORE_PURPOSE_SAST, STORE_PURPOSE_SAST_NEXT, STORE_PURPOSE_CCM_TFTP,
	NULL,
};

/* ---- trust-list role pairs --------------------------------------------------- */

int
cli_role_make(const char *purpose, const char *cn, struct cli_role *r, char *err,
              size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->purpose = purpose;
	if (x509_make_ca(KEY_RSA2048, cn, CLI_ROLE_DAYS, &r->pem, &r->key_pem, err,
	                 errlen) < 0 ||
	    cert_info_pem(r->pem, strlen(r->pem), &r->info, err, errlen) < 0)
		return -1;
	return 0;
}

int
cli_role_store(struct store *s, const struct cli_role *r, char *err, size_t errlen)
{
	return cli_cert_add(s, r->purpose, r->pem, r->key_pem, &r->info, NULL, err, errlen);
}

void
cli_role_free(struct cli_role *r)
{
	free(r->pem);
	trust_free_secret(r->key_pem);
	r->pem = r->key_pem = NULL;
}

/* Does the private key belong to the certificate?  Compares the RFC 7638
 * thumbprints of both public keys. */
static int
key_matches(const char *cert_pem, const char *key_pem, size_t key_len, char *err,
            size_t errlen)
{
	trust_key *kc = NULL, *kk = NULL;
	char tc[44], tk[44];
	int rc = -1;

	if ((kk = key_from_pem(key_pem, key_len, JWS_ALG_INVALID, NULL, err, errlen)) == NULL)
		goto out;
	if (!key_is_private(kk)) {
		snprintf(err, errlen, "--key: not a private key");
		goto out;
	}
	if ((kc = key_from_pem(cert_pem, strlen(cert_pem), JWS_ALG_INVALID, NULL, err,
	                       errlen)) == NULL)
		goto out;
	if (key_thumbprint(kc, tc) < 0 || key_thumbprint(kk, tk) < 0 || strcmp(tc, tk) != 0) {
		snprintf(err, errlen, "--key does not belong to the certificate");
		goto out;
	}
	rc = 0;
out:
	key_unref(kc);
	key_unref(kk);
	return rc;
}

int
cli_cert_add(struct store *s, const char *purpose, const char *pem, const char *key_pem,
             const struct cert_info *ci, int64_t *id, char *err, size_t errlen)
{
	struct store_cert sc;

	memset(&sc, 0, sizeof(sc));
	snprintf(sc.purpose, sizeof(sc.purpose), "%s", purpose);
	if (cli_copy(sc.subject, sizeof(sc.subject), ci->subject, "subject", err, errlen) < 0)
		return -1;
	snprintf(sc.sha256, sizeof(sc.sha256), "%s", ci->sha256_hex);
	sc.not_after = ci->not_after;
	sc.pem = pem;
	sc.key_pem = key_pem;
	return store_cert_add(s, &sc, id, err, errlen) == 0 ? 0 : -1;
}

/* `cert upload`: what was given, then what was read from it. */
struct upload {
	const char *purpose, *file, *keyfile;
	char *pem, *key;               /* FILE and --key FILE (a secret) */
	size_t len, key_len;
	char **certs;                  /* FILE split into its certificates */
	int n;                         /* how many; <= 0 until split */
	struct cert_info *info;        /* one per certificate */
	int64_t *ids;                  /* their ids, once added */
};

static void
upload_free(struct upload *up)
{
	for (int i = 0; i < up->n; i++)
		free(up->certs[i]);
	free(up->certs);
	free(up->info);
	free(up->ids);
	free(up->pem);
	trust_free_secret(up->key);
}

/* The options and FILE.  CLI_OK or CLI_USAGE (printed). */
static int
upload_args(const struct cli_cmd *self, int argc, char **argv, struct upload *up)
{
	static const struct option opts[] = {
		{ "purpose", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': up->purpose = optarg; break;
		case 'k': up->keyfile = optarg; break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "FILE")) != 0)
		return rc;
	up->file = argv[optind];
	if (up->purpose == NULL || cli_word(up->purpose, purposes) < 0)
		return cli_usage(self, "cert upload: --purpose must be tomcat, tomcat-trust, "
		                 "phone-edge-trust, sast, sast-next or ccm-tftp");
	if (store_purpose_keyed(up->purpose) != (up->keyfile != NULL))
		return cli_usage(self, "cert upload: --key goes with --purpose tomcat, sast, "
		                 "sast-next or ccm-tftp, and only with them");
	return CLI_OK;
}

/* Reads FILE (and the key) and checks it without the store: no private key
 * in it, every certificate readable and there once, the key the first
 * certificate's.  CLI_OK or CLI_FAIL (printed). */
static int
upload_read(struct upload *up)
{
	char err[CLI_ERR_MAX];

	if (cli_read_file(up->file, CERT_PEM_MAX, &up->pem, &up->len, err, sizeof(err)) < 0 ||
	    (up->keyfile != NULL && cli_read_file(up->keyfile, CLI_FILE_MAX, &up->key,
	                                          &up->key_len, err, sizeof(err)) < 0))
		return cli_fail("cert upload: %s", err);
	/* The certificate text is not kept as a secret (cert list, exports): a
	 * key pasted into the same file must not end up beside it. */
	if (memmem(up->pem, up->len, "PRIVATE KEY-----", 16) != NULL)
		return cli_fail("cert upload: %s holds a private key; give the key with --key FILE "
		                "(tomcat only)", up->file);
	if ((up->n = cert_pem_split(up->pem, up->len, &up->certs, err, sizeof(err))) <= 0)
		return cli_fail("cert upload: %s: %s", up->file, up->n == 0 ? "no certificate" : err);
	if ((up->info = calloc((size_t)up->n, sizeof(*up->info))) == NULL ||
	    (up->ids = calloc((size_t)up->n, sizeof(*up->ids))) == NULL)
		return cli_fail("out of memory");
	for (int i = 0; i < up->n; i++) {
		if (cert_info_pem(up->certs[i], strlen(up->certs[i]), &up->info[i], err,
		                  sizeof(err)) < 0)
			return cli_fail("cert upload: %s: certificate %d: %s", up->file, i + 1, err);
		for (int j = 0; j < i; j++)
			if (strcmp(up->info[i].sha256_hex, up->info[j].sha256_hex) == 0)
				return cli_fail("cert upload: %s: certificate %d repeats certificate %d",
				                up->file, i + 1, j + 1);
	}
	if (up->key != NULL && key_matches(up->certs[0], up->key, up->key_len, err,
	                                   sizeof(err)) < 0)
		return cli_fail("cert upload: %s", err);
	return CLI_OK;
}

/* A keyed purpose: the whole file (certificate and chain) with its key,
 * replacing the current pair; the trust-list roles sign with RSA.  CLI_OK
 * or CLI_FAIL (printed). */
static int
upload_tomcat(struct store *s, struct upload *up)
{
	char err[CLI_ERR_MAX], tb[40];
	trust_key *k;

	if (strcmp(up->purpose, STORE_PURPOSE_TOMCAT) != 0) {
		k = key_tls_from_pem(up->key, up->key_len, err, sizeof(err));
		if (k == NULL || key_family(k) != KEY_FAMILY_RSA) {
			key_unref(k);
			return cli_fail("cert upload: %s needs an RSA key (trust lists and .sgn "
			                "files carry RSA signatures)", up->purpose);
		}
		key_unref(k);
	}

	if (cli_cert_add(s, up->purpose, up->pem, up->key, &up->info[0], &up->ids[0], err,
	                 sizeof(err)) < 0)
		return cli_fail("cert upload: %s", err);
	printf("%lld %s %s (expires %s)%s\n", (long long)up->ids[0], up->purpose,
	       up->info[0].subject, cli_time(up->info[0].not_after, tb, sizeof(tb)),
	       strcmp(up->purpose, STORE_PURPOSE_TOMCAT) == 0 ? "; run `oprovctl reload`" : "");
	return CLI_OK;
}

/* The certificates already under the purpose: how many, and whether one of
 * the new ones is among them. */
struct existing {
	size_t count;
	const struct cert_info *info;  /* the new certificates */
	size_t n;
	int dup;                       /* index of a new one already present, or -1 */
};

static int
existing_one(void *ctx, const struct store_cert *sc)
{
	struct existing *e = ctx;

	e->count++;
	for (size_t i = 0; i < e->n; i++)
		if (strcasecmp(sc->sha256, e->info[i].sha256_hex) == 0)
			e->dup = (int)i;
	return 0;
}

/* A trust bundle, one entry per certificate, all or nothing: the limit and
 * duplicates are checked before the first write, and what was added is
 * taken back if a later write fails.  CLI_OK or CLI_FAIL (printed). */
static int
upload_bundle(struct store *s, struct upload *up)
{
	struct existing ex = { 0, up->info, (size_t)up->n, -1 };
	char err[CLI_ERR_MAX];
	int added;

	if (store_cert_list(s, up->purpose, existing_one, &ex, err, sizeof(err)) != 0)
		return cli_fail("cert upload: %s", err);
	if (ex.dup >= 0)
		return cli_fail("cert upload: %s already holds %s (SHA-256 %s)", up->purpose,
		                up->info[ex.dup].subject, up->info[ex.dup].sha256_colon);
	if (strcmp(up->purpose, STORE_PURPOSE_PHONE_EDGE_TRUST) == 0 &&
	    ex.count + (size_t)up->n > STORE_PHONE_EDGE_TRUST_MAX)
		return cli_fail("cert upload: phone-edge-trust holds at most %d certificates (it "
		                "has %zu, %s adds %d)", STORE_PHONE_EDGE_TRUST_MAX, ex.count,
		                up->file, up->n);
	for (added = 0; added < up->n; added++)
		if (cli_cert_add(s, up->purpose, up->certs[added], NULL, &up->info[added],
		                 &up->ids[added], err, sizeof(err)) < 0)
			break;
	if (added < up->n) {
		char e2[CLI_ERR_MAX];

		for (int i = 0; i < added; i++)
			store_cert_delete(s, up->ids[i], e2, sizeof(e2));
		return cli_fail("cert upload: %s", err);
	}
	for (int i = 0; i < up->n; i++)
		printf("%lld %s %s\n", (long long)up->ids[i], up->purpose, up->info[i].subject);
	return CLI_OK;
}

static int
cert_upload(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct upload up;
	struct store *s;
	int rc;

	memset(&up, 0, sizeof(up));
	if ((rc = upload_args(self, argc, argv, &up)) != CLI_OK)
		return rc;
	if ((rc = upload_read(&up)) == CLI_OK) {
		if ((s = cli_store_open(c)) != NULL) {
			rc = store_purpose_keyed(up.purpose) ? upload_tomcat(s, &up)
			     : upload_bundle(s, &up);
			store_close(s);
		} else
			rc = CLI_FAIL;
	}
	upload_free(&up);
	return rc;
}

struct cert_list {
	json_t *arr;
};

static int
cert_list_one(void *ctx, const struct store_cert *sc)
{
	struct cert_list *l = ctx;
	char tb[40];

	if (l->arr != NULL)
		return json_array_append_new(l->arr, json_pack("{s:I, s:s, s:s, s:I, s:s}",
		    "id", (json_int_t)sc->id, "purpose", sc->purpose, "subject", sc->subject,
		    "not_after", (json_int_t)sc->not_after, "sha256", sc->sha256)) < 0 ? -1 : 0;
	printf("%-4lld %-17s %-23s %s\n", (long long)sc->id, sc->purpose,
	       cli_time(sc->not_after, tb, sizeof(tb)), sc->subject);
	return 0;
}

static int
cert_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "purpose", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct cert_list l = { NULL };
	const char *purpose = NULL;
	char err[CLI_ERR_MAX];
	struct store *s;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			purpose = optarg;
		else
			return cli_bad_option(self, argv);
	}
	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if (purpose != NULL && cli_word(purpose, purposes) < 0)
		return cli_usage(self, "cert list: unknown purpose \"%s\"", purpose);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (c->json)
		l.arr = json_array();
	else
		printf("%-4s %-17s %-23s %s\n", "ID", "PURPOSE", "EXPIRES", "SUBJECT");
	rc = store_cert_list(s, purpose, cert_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		json_decref(l.arr);
		return cli_fail("cert list: %s", err);
	}
	return l.arr != NULL ? cli_json_print(l.arr) : CLI_OK;
}

static int
cert_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	long long id;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "ID")) != 0)
		return rc;
	if (cli_int("ID", argv[optind], 1, INT64_MAX, &id, err, sizeof(err)) < 0)
		return cli_usage(self, "cert delete: %s", err);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_cert_delete(s, id, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("cert delete: %s", err);
	printf("certificate %lld deleted\n", id);
	return CLI_OK;
}

/* `cert rotate sast`: sast-next becomes the signer and a new sast-next is
 * made, in one transaction, so the next list is signed by a key every
 * phone holding the current list already trusts.  `cert rotate ccm-tftp`:
 * a new .sgn signer (the new list names it before any file it signs is
 * fetched). */
static int
cert_rotate(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const roles[] = { STORE_PURPOSE_SAST, STORE_PURPOSE_CCM_TFTP, NULL };
	char err[CLI_ERR_MAX], cn[96], tb[40];
	struct cli_role r;
	struct store_cert sc;
	struct store *s;
	int w, rc;

	if ((rc = cli_positional(self, argc, argv, 1, "sast|ccm-tftp")) != 0)
		return rc;
	if ((w = cli_word(argv[optind], roles)) < 0)
		return cli_usage(self, "cert rotate: \"%s\" is not sast or ccm-tftp", argv[optind]);
	snprintf(cn, sizeof(cn), "oprov %s %s", w == 0 ? "SAST" : "CCM+TFTP",
	         cli_time(time(NULL), tb, sizeof(tb)));
	if (cli_role_make(w == 0 ? STORE_PURPOSE_SAST_NEXT : STORE_PURPOSE_CCM_TFTP, cn, &r,
	                  err, sizeof(err)) < 0)
		return cli_fail("cert rotate: %s", err);
	if ((s = cli_store_open(c)) == NULL) {
		cli_role_free(&r);
		return CLI_FAIL;
	}
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.purpose, sizeof(sc.purpose), "%s", r.purpose);
	snprintf(sc.subject, sizeof(sc.subject), "%s", r.info.subject);
	snprintf(sc.sha256, sizeof(sc.sha256), "%s", r.info.sha256_hex);
	sc.not_after = r.info.not_after;
	sc.pem = r.pem;
	sc.key_pem = r.key_pem;
	rc = w == 0 ? store_cert_promote(s, STORE_PURPOSE_SAST_NEXT, STORE_PURPOSE_SAST, &sc,
	                                 NULL, err, sizeof(err))
	            : store_cert_add(s, &sc, NULL, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		cli_role_free(&r);
		return cli_fail("cert rotate: %s", err);
	}
	if (w == 0)
		printf("sast-next is now sast (the trust-list signer); new sast-next %s\n",
		       r.info.subject);
	else
		printf("new ccm-tftp %s\n", r.info.subject);
	log_msg(LOG_NOTICE, "certificate %s rotated", roles[w]);
	cli_role_free(&r);
	return CLI_OK;
}

int
cmd_cert(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "upload", cert_upload },
		{ "list", cert_list },
		{ "delete", cert_delete },
		{ "rotate", cert_rotate },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
