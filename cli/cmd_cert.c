/*
 * cmd_cert.c - `oprovctl cert upload|list|delete`: certificates by purpose.
 * tomcat is the web certificate (key + chain, one only); tomcat-trust holds
 * the CAs 5091 peers (Expressway-C) must chain to; phone-edge-trust the CA
 * roots phones use to check the web certificate, at most 16.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "trust/trust.h"

static const char *const purposes[] = {
	STORE_PURPOSE_TOMCAT, STORE_PURPOSE_TOMCAT_TRUST, STORE_PURPOSE_PHONE_EDGE_TRUST,
	NULL,
};

struct existing {
	size_t count;
	char (*fp)[65];        /* fingerprints of the new certificates */
	size_t nfp;
	int dup;               /* index of a new certificate already present, or -1 */
};

static int
existing_one(void *ctx, const struct store_cert *sc)
{
	struct existing *e = ctx;

	e->count++;
	for (size_t i = 0; i < e->nfp; i++)
		if (strcasecmp(sc->sha256, e->fp[i]) == 0)
			e->dup = (int)i;
	return 0;
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

static int
cert_upload(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "purpose", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *purpose = NULL, *keyfile = NULL, *file;
	char err[CLI_ERR_MAX], **certs = NULL, *pem = NULL, *key = NULL;
	size_t len = 0, key_len = 0;
	struct cert_info *info = NULL;
	struct existing ex = { 0, NULL, 0, -1 };
	int64_t *ids = NULL;
	struct store *s = NULL;
	int ch, rc, n = 0, added = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': purpose = optarg; break;
		case 'k': keyfile = optarg; break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "FILE")) != 0)
		return rc;
	file = argv[optind];
	if (purpose == NULL || cli_word(purpose, purposes) < 0)
		return cli_usage(self, "cert upload: --purpose must be tomcat, tomcat-trust or "
		                 "phone-edge-trust");
	if ((strcmp(purpose, STORE_PURPOSE_TOMCAT) == 0) != (keyfile != NULL))
		return cli_usage(self, "cert upload: --key goes with --purpose tomcat, and only "
		                 "with it");
	rc = CLI_FAIL;
	if (cli_read_file(file, CERT_PEM_MAX, &pem, &len, err, sizeof(err)) < 0 ||
	    (keyfile != NULL &&
	     cli_read_file(keyfile, CLI_FILE_MAX, &key, &key_len, err, sizeof(err)) < 0)) {
		cli_fail("cert upload: %s", err);
		goto out;
	}
	/* The certificate text is not kept as a secret (cert list, exports): a
	 * key pasted into the same file must not end up beside it. */
	if (memmem(pem, len, "PRIVATE KEY-----", 16) != NULL) {
		cli_fail("cert upload: %s holds a private key; give the key with --key FILE "
		         "(tomcat only)", file);
		goto out;
	}
	if ((n = cert_pem_split(pem, len, &certs, err, sizeof(err))) <= 0) {
		cli_fail("cert upload: %s: %s", file, n == 0 ? "no certificate" : err);
		goto out;
	}
	if ((info = calloc((size_t)n, sizeof(*info))) == NULL ||
	    (ex.fp = calloc((size_t)n, sizeof(*ex.fp))) == NULL ||
	    (ids = calloc((size_t)n, sizeof(*ids))) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (cert_info_pem(certs[i], strlen(certs[i]), &info[i], err, sizeof(err)) < 0) {
			cli_fail("cert upload: %s: certificate %d: %s", file, i + 1, err);
			goto out;
		}
		memcpy(ex.fp[i], info[i].sha256_hex, sizeof(ex.fp[i]));
		for (int j = 0; j < i; j++)
			if (strcmp(ex.fp[i], ex.fp[j]) == 0) {
				cli_fail("cert upload: %s: certificate %d repeats certificate %d",
				         file, i + 1, j + 1);
				goto out;
			}
	}
	if (key != NULL && key_matches(certs[0], key, key_len, err, sizeof(err)) < 0) {
		cli_fail("cert upload: %s", err);
		goto out;
	}
	if ((s = cli_store_open(c)) == NULL)
		goto out;
	if (strcmp(purpose, STORE_PURPOSE_TOMCAT) == 0) {
		struct store_cert sc;

		memset(&sc, 0, sizeof(sc));
		snprintf(sc.purpose, sizeof(sc.purpose), "%s", purpose);
		if (cli_copy(sc.subject, sizeof(sc.subject), info[0].subject, "subject", err,
		             sizeof(err)) < 0) {
			cli_fail("cert upload: %s", err);
			goto out;
		}
		snprintf(sc.sha256, sizeof(sc.sha256), "%s", info[0].sha256_hex);
		sc.not_after = info[0].not_after;
		sc.pem = pem;
		sc.key_pem = key;
		if (store_cert_add(s, &sc, &ids[0], err, sizeof(err)) != 0) {
			cli_fail("cert upload: %s", err);
			goto out;
		}
		{
			char tb[40];

			printf("%lld tomcat %s (expires %s); run `oprovctl reload`\n",
			       (long long)ids[0], info[0].subject,
			       cli_time(info[0].not_after, tb, sizeof(tb)));
		}
		rc = CLI_OK;
		goto out;
	}
	/* A bundle is all or nothing: check the limit and duplicates before the
	 * first write, and take back what was added if a later write fails. */
	ex.nfp = (size_t)n;
	if (store_cert_list(s, purpose, existing_one, &ex, err, sizeof(err)) != 0) {
		cli_fail("cert upload: %s", err);
		goto out;
	}
	if (ex.dup >= 0) {
		cli_fail("cert upload: %s already holds %s (SHA-256 %s)", purpose,
		         info[ex.dup].subject, info[ex.dup].sha256_colon);
		goto out;
	}
	if (strcmp(purpose, STORE_PURPOSE_PHONE_EDGE_TRUST) == 0 &&
	    ex.count + (size_t)n > STORE_PHONE_EDGE_TRUST_MAX) {
		cli_fail("cert upload: phone-edge-trust holds at most %d certificates (it has %zu, "
		         "%s adds %d)", STORE_PHONE_EDGE_TRUST_MAX, ex.count, file, n);
		goto out;
	}
	for (added = 0; added < n; added++) {
		struct store_cert sc;

		memset(&sc, 0, sizeof(sc));
		snprintf(sc.purpose, sizeof(sc.purpose), "%s", purpose);
		if (cli_copy(sc.subject, sizeof(sc.subject), info[added].subject, "subject", err,
		             sizeof(err)) < 0)
			break;
		snprintf(sc.sha256, sizeof(sc.sha256), "%s", info[added].sha256_hex);
		sc.not_after = info[added].not_after;
		sc.pem = certs[added];
		if (store_cert_add(s, &sc, &ids[added], err, sizeof(err)) != 0)
			break;
	}
	if (added < n) {
		char e2[CLI_ERR_MAX];

		for (int i = 0; i < added; i++)
			store_cert_delete(s, ids[i], e2, sizeof(e2));
		cli_fail("cert upload: %s", err);
		goto out;
	}
	for (int i = 0; i < n; i++)
		printf("%lld %s %s\n", (long long)ids[i], purpose, info[i].subject);
	rc = CLI_OK;
out:
	if (s != NULL)
		store_close(s);
	for (int i = 0; i < n; i++)
		free(certs[i]);
	free(certs);
	free(info);
	free(ex.fp);
	free(ids);
	free(pem);
	trust_free_secret(key);
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

int
cmd_cert(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "upload", cert_upload },
		{ "list", cert_list },
		{ "delete", cert_delete },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
