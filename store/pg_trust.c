/*
 * pg_trust.c - what the daemons trust and what onboarding consumes, in
 * PostgreSQL: certificates by purpose, Expressway-C entries, signing keys
 * (each change bumps the config generation), activation codes and OAuth
 * clients.  Rules and words are those of sqlite_trust.c, sqlite_code.c and
 * sqlite_client.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

/* ---- certificates ------------------------------------------------------------ */

#define CERT_COLS "id, purpose, subject, not_after, sha256, pem"

static int
cert_from_row(const PGresult *res, int r, struct store_cert *c, int with_key)
{
	int oom = 0;

	memset(c, 0, sizeof(*c));
	c->id = pg_col_int(res, r, 0);
	pg_col_copy(res, r, 1, c->purpose, sizeof(c->purpose));
	pg_col_copy(res, r, 2, c->subject, sizeof(c->subject));
	c->not_after = pg_col_int(res, r, 3);
	pg_col_copy(res, r, 4, c->sha256, sizeof(c->sha256));
	c->pem = pg_col_dup(res, r, 5, &oom);
	if (with_key)
		c->key_pem = pg_col_dup(res, r, 6, &oom);
	if (oom) {
		store_cert_free(c);
		return -1;
	}
	return 0;
}

static int
cert_check(const struct store_cert *c, int keyed, char *err, size_t errlen)
{
	char what[STORE_PURPOSE_MAX + 24];

	if (store_check_str(c->purpose, sizeof(c->purpose), 1, "certificate purpose",
	                    err, errlen) < 0 ||
	    store_check_str(c->subject, sizeof(c->subject), 0,
	                    "certificate subject", err, errlen) < 0 ||
	    store_check_str(c->sha256, sizeof(c->sha256), 1,
	                    "certificate fingerprint", err, errlen) < 0 ||
	    store_check_str(c->pem, STORE_PEM_MAX, 1, "certificate PEM", err,
	                    errlen) < 0)
		return -1;
	snprintf(what, sizeof(what), "%s private key PEM", c->purpose);
	if (keyed && store_check_str(c->key_pem, STORE_PEM_MAX, 1, what, err, errlen) < 0)
		return -1;
	if (!keyed && c->key_pem != NULL)
		return store_fail(err, errlen, "only a tomcat, sast, sast-next or "
		                  "ccm-tftp certificate comes with a private key");
	return 0;
}

/* Inside the transaction (under the writer lock): a duplicate, or one
 * phone-edge-trust certificate too many, is refused. */
static int
cert_room(struct pg *c, const struct store_cert *ce, char *err, size_t errlen)
{
	PGresult *res = pg_run(c, "checking certificates", err, errlen,
	                       "SELECT (SELECT min(id) FROM cert WHERE purpose = $1"
	                       " AND sha256 = $2), (SELECT count(*) FROM cert"
	                       " WHERE purpose = $1)", "tt", ce->purpose,
	                       ce->sha256);
	int64_t dup, n;
	int isdup;

	if (res == NULL)
		return -1;
	isdup = !PQgetisnull(res, 0, 0);
	dup = pg_col_int(res, 0, 0);
	n = pg_col_int(res, 0, 1);
	PQclear(res);
	if (isdup)
		return store_fail(err, errlen, "this certificate is already in %s "
		                  "(id %lld)", ce->purpose, (long long)dup);
	if (strcmp(ce->purpose, STORE_PURPOSE_PHONE_EDGE_TRUST) == 0 &&
	    n >= STORE_PHONE_EDGE_TRUST_MAX)
		return store_fail(err, errlen, "phone-edge-trust holds at most %d "
		                  "certificates; delete one first",
		                  STORE_PHONE_EDGE_TRUST_MAX);
	return 0;
}

/* Inside the transaction: writes the certificate (one of a keyed purpose
 * replaces that purpose's previous one) and returns its id in *id. */
static int
cert_insert(struct pg *c, const struct store_cert *ce, int keyed, int64_t *id,
            char *err, size_t errlen)
{
	PGresult *res;

	if (keyed && pg_do(c, "replacing a certificate", err, errlen, NULL,
	                   "DELETE FROM cert WHERE purpose = $1", "t",
	                   ce->purpose) < 0)
		return -1;
	res = pg_run(c, "writing a certificate", err, errlen,
	             "INSERT INTO cert (purpose, subject, not_after, sha256, pem,"
	             " key_pem) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	             "ttittt", ce->purpose, ce->subject, ce->not_after, ce->sha256,
	             ce->pem, keyed ? ce->key_pem : NULL);
	if (res == NULL)
		return -1;
	*id = pg_col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

int
pg_cert_add(struct store *s, const struct store_cert *ce, int64_t *id_out,
            char *err, size_t errlen)
{
	struct pg *c = PG(s);
	int keyed = store_purpose_keyed(ce->purpose);
	int64_t id = 0;

	if (cert_check(ce, keyed, err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (cert_room(c, ce, err, errlen) < 0 ||
	    cert_insert(c, ce, keyed, &id, err, errlen) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0 ||
	    pg_commit(c, err, errlen) < 0)
		goto fail;
	if (id_out != NULL)
		*id_out = id;
	return 0;
fail:
	pg_rollback(c);
	return -1;
}

int
pg_cert_promote(struct store *s, const char *from, const char *to,
                const struct store_cert *ce, int64_t *id_out, char *err,
                size_t errlen)
{
	struct pg *c = PG(s);
	uint64_t n = 0;
	int64_t id = 0;

	if (!store_purpose_keyed(from) || !store_purpose_keyed(to) ||
	    strcmp(ce->purpose, from) != 0)
		return store_fail(err, errlen, "promote: keyed purposes, new pair under %s",
		                  from);
	if (cert_check(ce, 1, err, errlen) < 0 || pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "promoting a certificate", err, errlen, NULL,
	          "DELETE FROM cert WHERE purpose = $1", "t", to) < 0 ||
	    pg_do(c, "promoting a certificate", err, errlen, &n,
	          "UPDATE cert SET purpose = $2 WHERE purpose = $1", "tt", from,
	          to) < 0)
		goto fail;
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "no %s certificate to promote", from);
	}
	if (cert_insert(c, ce, 1, &id, err, errlen) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0 || pg_commit(c, err, errlen) < 0)
		goto fail;
	if (id_out != NULL)
		*id_out = id;
	return 0;
fail:
	pg_rollback(c);
	return -1;
}

static int
cert_get1(struct pg *c, PGresult *res, struct store_cert *out,
          const char *what, char *err, size_t errlen)
{
	int ret = 0;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		ret = store_notfound(err, errlen, "%s", what);
	else if (cert_from_row(res, 0, out, 1) < 0)
		ret = store_fail(err, errlen, "out of memory");
	PQclear(res);
	(void)c;
	return ret;
}

int
pg_cert_get(struct store *s, int64_t id, struct store_cert *out, char *err,
            size_t errlen)
{
	struct pg *c = PG(s);

	if (id <= 0)
		return store_notfound(err, errlen, "no certificate with id %lld",
		                      (long long)id);
	return cert_get1(c, pg_run(c, "reading a certificate", err, errlen,
	                           "SELECT " CERT_COLS ", key_pem FROM cert"
	                           " WHERE id = $1", "i", id),
	                 out, "no certificate with that id", err, errlen);
}

int
pg_cert_tomcat(struct store *s, struct store_cert *out, char *err,
               size_t errlen)
{
	return pg_cert_keyed(s, STORE_PURPOSE_TOMCAT, out, err, errlen);
}

int
pg_cert_keyed(struct store *s, const char *purpose, struct store_cert *out,
              char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char nf[STORE_PURPOSE_MAX + 40];

	if (!store_purpose_keyed(purpose))
		return store_fail(err, errlen, "%s is not a keyed purpose", purpose);
	snprintf(nf, sizeof(nf), "no %s certificate in the store", purpose);
	return cert_get1(c, pg_run(c, "reading a certificate", err, errlen,
	                           "SELECT " CERT_COLS ", key_pem FROM cert"
	                           " WHERE purpose = $1 ORDER BY id DESC"
	                           " LIMIT 1", "t", purpose),
	                 out, nf, err, errlen);
}

/* One write in its own transaction with a config bump; no row touched is
 * STORE_NOTFOUND with `nf`. */
static int
write_or_notfound(struct pg *c, const char *what, const char *sql,
                  const char *fmt, const void *arg, int64_t num, int bump,
                  char *err, size_t errlen, const char *nf)
{
	uint64_t n = 0;
	int rc;

	if (pg_begin(c, err, errlen) < 0)
		return -1;
	rc = fmt[0] == 'i' ? pg_do(c, what, err, errlen, &n, sql, fmt, num)
	                   : pg_do(c, what, err, errlen, &n, sql, fmt,
	                           (const char *)arg);
	if (rc < 0)
		goto fail;
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "%s", nf);
	}
	if (bump && pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_cert_delete(struct store *s, int64_t id, char *err, size_t errlen)
{
	char nf[64];

	snprintf(nf, sizeof(nf), "no certificate with id %lld", (long long)id);
	return write_or_notfound(PG(s), "deleting a certificate",
	                         "DELETE FROM cert WHERE id = $1", "i", NULL, id, 1,
	                         err, errlen, nf);
}

static int
cert_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
         char *err, size_t errlen)
{
	struct store_cert ce;
	int ret;

	(void)c;
	if (cert_from_row(res, r, &ce, 0) < 0)
		return store_fail(err, errlen, "out of memory");
	ret = ((store_cert_cb)cb)(ctx, &ce);
	store_cert_free(&ce);
	return ret;
}

int
pg_cert_list(struct store *s, const char *purpose, store_cert_cb cb,
             void *ctx, char *err, size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing certificates", err, errlen,
	                         "SELECT " CERT_COLS " FROM cert WHERE"
	                         " $1::text IS NULL OR purpose = $1"
	                         " ORDER BY purpose, id", "n", purpose),
	               cert_row, (void *)cb, ctx, err, errlen);
}

/* ---- Expressway-C entries ------------------------------------------------------- */

static int
host_key(const char *host, char key[STORE_HOST_MAX], char *err, size_t errlen)
{
	if (store_check_str(host, STORE_HOST_MAX, 1, "Expressway-C host", err,
	                    errlen) < 0)
		return -1;
	store_lower(key, STORE_HOST_MAX, host);
	return 0;
}

static int
expressway_check(const struct store_expressway *e, const char *key, char *err,
                 size_t errlen)
{
	if (store_check_str(e->description, sizeof(e->description), 0,
	                    "Expressway-C description", err, errlen) < 0)
		return -1;
	if (e->n_names == 0)
		return store_fail(err, errlen, "Expressway-C %s: at least one X.509 "
		                  "name is needed", key);
	if (e->n_names > STORE_X509_NAMES_MAX)
		return store_fail(err, errlen, "Expressway-C %s: at most %d X.509 "
		                  "names", key, STORE_X509_NAMES_MAX);
	for (size_t i = 0; i < e->n_names; i++)
		if (store_check_str(e->names[i], STORE_X509_NAME_MAX, 1,
		                    "Expressway-C X.509 name", err, errlen) < 0)
			return -1;
	return 0;
}

int
pg_expressway_put(struct store *s, const struct store_expressway *e,
                  char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char key[STORE_HOST_MAX];
	const char *what = "writing an Expressway-C entry";

	if (host_key(e->host, key, err, errlen) < 0 ||
	    expressway_check(e, key, err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, what, err, errlen, NULL,
	          "INSERT INTO expressway (host, description) VALUES ($1, $2)"
	          " ON CONFLICT (host) DO UPDATE SET"
	          " description = excluded.description", "tt", key,
	          e->description) < 0 ||
	    pg_do(c, what, err, errlen, NULL,
	          "DELETE FROM expressway_name WHERE host = $1", "t", key) < 0)
		goto fail;
	for (size_t i = 0; i < e->n_names; i++)
		if (pg_do(c, what, err, errlen, NULL,
		          "INSERT INTO expressway_name (host, idx, name)"
		          " VALUES ($1, $2, $3)", "tit", key, (int64_t)i,
		          e->names[i]) < 0)
			goto fail;
	if (pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

static int
expressway_names(struct pg *c, struct store_expressway *e, char *err,
                 size_t errlen)
{
	PGresult *res = pg_run(c, "reading X.509 names", err, errlen,
	                       "SELECT name FROM expressway_name WHERE host = $1"
	                       " ORDER BY idx", "t", e->host);

	if (res == NULL)
		return -1;
	e->n_names = 0;
	for (int r = 0; r < PQntuples(res) && e->n_names < STORE_X509_NAMES_MAX; r++)
		pg_col_copy(res, r, 0, e->names[e->n_names++], STORE_X509_NAME_MAX);
	PQclear(res);
	return 0;
}

int
pg_expressway_get(struct store *s, const char *host,
                  struct store_expressway *out, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char key[STORE_HOST_MAX];
	PGresult *res;
	int opened, ret;

	if (host_key(host, key, err, errlen) < 0)
		return -1;
	if (pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	res = pg_run(c, "reading an Expressway-C entry", err, errlen,
	             "SELECT host, description FROM expressway WHERE host = $1",
	             "t", key);
	if (res == NULL) {
		ret = -1;
	} else if (PQntuples(res) == 0) {
		ret = store_notfound(err, errlen, "Expressway-C %s is not listed", key);
	} else {
		memset(out, 0, sizeof(*out));
		pg_col_copy(res, 0, 0, out->host, sizeof(out->host));
		pg_col_copy(res, 0, 1, out->description, sizeof(out->description));
		ret = expressway_names(c, out, err, errlen);
	}
	PQclear(res);
	pg_read_end(c, opened);
	return ret;
}

int
pg_expressway_delete(struct store *s, const char *host, char *err,
                     size_t errlen)
{
	char key[STORE_HOST_MAX], nf[STORE_HOST_MAX + 32];

	if (host_key(host, key, err, errlen) < 0)
		return -1;
	snprintf(nf, sizeof(nf), "Expressway-C %s is not listed", key);
	return write_or_notfound(PG(s), "deleting an Expressway-C entry",
	                         "DELETE FROM expressway WHERE host = $1", "t", key,
	                         0, 1, err, errlen, nf);
}

static int
expressway_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
               char *err, size_t errlen)
{
	struct store_expressway *e = malloc(sizeof(*e));   /* ~4 KiB */
	int ret;

	if (e == NULL)
		return store_fail(err, errlen, "out of memory");
	memset(e, 0, sizeof(*e));
	pg_col_copy(res, r, 0, e->host, sizeof(e->host));
	pg_col_copy(res, r, 1, e->description, sizeof(e->description));
	ret = expressway_names(c, e, err, errlen);
	if (ret == 0)
		ret = ((store_expressway_cb)cb)(ctx, e);
	free(e);
	return ret;
}

int
pg_expressway_list(struct store *s, store_expressway_cb cb, void *ctx,
                   char *err, size_t errlen)
{
	struct pg *c = PG(s);
	int opened, ret;

	if (pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	ret = pg_each(c, pg_run(c, "listing Expressway-C entries", err, errlen,
	                        "SELECT host, description FROM expressway"
	                        " ORDER BY host", NULL),
	              expressway_row, (void *)cb, ctx, err, errlen);
	pg_read_end(c, opened);
	return ret;
}

/* ---- signing keys ------------------------------------------------------------------ */

#define KEY_COLS "kid, alg, private_pem, public_jwk, created, state, activates," \
                 " last_exp"

static int
key_from_row(const PGresult *res, int r, struct store_key *k)
{
	int oom = 0;

	memset(k, 0, sizeof(*k));
	pg_col_copy(res, r, 0, k->kid, sizeof(k->kid));
	pg_col_copy(res, r, 1, k->alg, sizeof(k->alg));
	k->private_pem = pg_col_dup(res, r, 2, &oom);
	k->public_jwk = pg_col_dup(res, r, 3, &oom);
	k->created = pg_col_int(res, r, 4);
	k->state = (enum store_key_state)pg_col_int(res, r, 5);
	k->activates = pg_col_int(res, r, 6);
	k->last_exp = pg_col_int(res, r, 7);
	if (oom) {
		store_key_free(k);
		return -1;
	}
	return 0;
}

int
pg_key_rotate(struct store *s, const struct store_key *k, char *err,
              size_t errlen)
{
	struct pg *c = PG(s);
	const char *what = "rotating the signing key";
	PGresult *res;
	int dup;

	if (store_check_str(k->kid, sizeof(k->kid), 1, "key id", err, errlen) < 0 ||
	    store_check_str(k->alg, sizeof(k->alg), 1, "key algorithm", err,
	                    errlen) < 0 ||
	    store_check_str(k->private_pem, STORE_PEM_MAX, 1, "private key PEM",
	                    err, errlen) < 0 ||
	    store_check_str(k->public_jwk, STORE_JWK_MAX, 1, "public JWK", err,
	                    errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if ((res = pg_run(c, what, err, errlen, "SELECT 1 FROM signing_key"
	                  " WHERE kid = $1", "t", k->kid)) == NULL)
		goto fail;
	dup = PQntuples(res) > 0;
	PQclear(res);
	if (dup) {
		store_fail(err, errlen, "key id %s is already used; a kid is never "
		           "reused", k->kid);
		goto fail;
	}
	/* Order matters for the one-current / one-previous unique indexes. */
	if (pg_do(c, what, err, errlen, NULL, "UPDATE signing_key SET state = 2,"
	          " private_pem = NULL WHERE state = 1", NULL) < 0 ||
	    pg_do(c, what, err, errlen, NULL, "UPDATE signing_key SET state = 1"
	          " WHERE state = 0", NULL) < 0 ||
	    pg_do(c, what, err, errlen, NULL, "INSERT INTO signing_key (kid, alg,"
	          " private_pem, public_jwk, created, state, activates) VALUES ($1,"
	          " $2, $3, $4, $5, 0, $6)", "ttttii", k->kid, k->alg,
	          k->private_pem, k->public_jwk, k->created, k->activates) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_key_current(struct store *s, struct store_key *out, char *err,
               size_t errlen)
{
	PGresult *res = pg_run(PG(s), "reading the signing key", err, errlen,
	                       "SELECT " KEY_COLS " FROM signing_key"
	                       " WHERE state = 0", NULL);
	int ret = 0;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		ret = store_notfound(err, errlen, "no signing key; run `oprovctl "
		                     "init` or `oprovctl keys rotate`");
	else if (key_from_row(res, 0, out) < 0)
		ret = store_fail(err, errlen, "out of memory");
	PQclear(res);
	return ret;
}

static int
key_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
        char *err, size_t errlen)
{
	struct store_key k;
	int ret;

	(void)c;
	if (key_from_row(res, r, &k) < 0)
		return store_fail(err, errlen, "out of memory");
	ret = ((store_key_cb)cb)(ctx, &k);
	store_key_free(&k);
	return ret;
}

int
pg_key_list(struct store *s, store_key_cb cb, void *ctx, char *err,
            size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing signing keys", err, errlen,
	                         "SELECT " KEY_COLS " FROM signing_key"
	                         " ORDER BY id DESC", NULL),
	               key_row, (void *)cb, ctx, err, errlen);
}

int
pg_key_list_verify(struct store *s, store_key_cb cb, void *ctx, char *err,
                   size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing signing keys", err, errlen,
	                         "SELECT " KEY_COLS " FROM signing_key"
	                         " WHERE state IN (0, 1) ORDER BY state", NULL),
	               key_row, (void *)cb, ctx, err, errlen);
}

int
pg_key_note_exp(struct store *s, const char *kid, int64_t exp, char *err,
                size_t errlen)
{
	/* No generation bump: nothing a daemon holds changes.  One statement,
	 * so no writer lock: "last_exp < $2" keeps the largest. */
	if (store_check_str(kid, STORE_NAME_MAX, 1, "key id", err, errlen) < 0)
		return -1;
	return pg_do(PG(s), "recording a key's last exp", err, errlen, NULL,
	             "UPDATE signing_key SET last_exp = $2 WHERE kid = $1"
	             " AND last_exp < $2", "ti", kid, exp);
}

int
pg_key_activate(struct store *s, int64_t now, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	uint64_t n = 0;

	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "activating the signing key", err, errlen, &n,
	          "UPDATE signing_key SET activates = 0"
	          " WHERE state = 0 AND activates > 0 AND activates <= $1", "i",
	          now) < 0)
		goto fail;
	if (n == 0) {
		pg_rollback(c);
		return 0;
	}
	if (pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen) < 0 ? -1 : 1;
fail:
	pg_rollback(c);
	return -1;
}
