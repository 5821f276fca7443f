/*
 * sqlite_trust.c - what the daemons trust, in SQLite: certificates by
 * purpose, Expressway-C entries and the token signing keys.  Every change
 * bumps the config generation: daemons reload keys and certificates then.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

/* ---- certificates ------------------------------------------------------------ */

#define CERT_COLS "id, purpose, subject, not_after, sha256, pem"

static int
cert_from_row(sqlite3_stmt *st, struct store_cert *c, int with_key)
{
	int oom = 0;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	sq_col_copy(st, 1, c->purpose, sizeof(c->purpose));
	sq_col_copy(st, 2, c->subject, sizeof(c->subject));
	c->not_after = sqlite3_column_int64(st, 3);
	sq_col_copy(st, 4, c->sha256, sizeof(c->sha256));
	c->pem = sq_col_dup(st, 5, &oom);
	if (with_key)
		c->key_pem = sq_col_dup(st, 6, &oom);
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

/* Inside the transaction: refuses a certificate already held for the same
 * purpose, and one more phone-edge-trust certificate than allowed. */
static int
cert_room(struct sq *q, const struct store_cert *c, char *err, size_t errlen)
{
	static const char count_sql[] =
		"SELECT count(*) FROM cert WHERE purpose = ?1";
	static const char dup_sql[] =
		"SELECT id FROM cert WHERE purpose = ?1 AND sha256 = ?2";
	sqlite3_stmt *st;
	int64_t n;
	int rc;

	if ((st = sq_stmt(q, dup_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, c->purpose);
	sq_bind_text(st, 2, c->sha256);
	rc = sqlite3_step(st);
	n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sq_done(q, dup_sql, st);
	if (rc == SQLITE_ROW)
		return store_fail(err, errlen, "this certificate is already in %s "
		                  "(id %lld)", c->purpose, (long long)n);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "checking certificates");
	if (strcmp(c->purpose, STORE_PURPOSE_PHONE_EDGE_TRUST) != 0)
		return 0;
	/* Counted under the write lock, so two concurrent uploads cannot
	 * both take the 16th place. */
	if (sq_count1(q, count_sql, c->purpose, &n, err, errlen) < 0)
		return -1;
	if (n >= STORE_PHONE_EDGE_TRUST_MAX)
		return store_fail(err, errlen, "phone-edge-trust holds at most %d "
		                  "certificates; delete one first",
		                  STORE_PHONE_EDGE_TRUST_MAX);
	return 0;
}

/* Inside the transaction: drops every certificate of a purpose. */
static int
cert_drop(struct sq *q, const char *purpose, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM cert WHERE purpose = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, purpose);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	return rc == SQLITE_DONE ? 0 : sq_err(q, err, errlen, "replacing a certificate");
}

/* Inside the transaction: writes the certificate (one of a keyed purpose
 * replaces that purpose's previous one) and returns its id in *id. */
static int
cert_insert(struct sq *q, const struct store_cert *c, int keyed, int64_t *id,
            char *err, size_t errlen)
{
	static const char ins_sql[] =
		"INSERT INTO cert (purpose, subject, not_after, sha256, pem,"
		" key_pem) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st;
	int rc;

	if (keyed && cert_drop(q, c->purpose, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, ins_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, c->purpose);
	sq_bind_text(st, 2, c->subject);
	sqlite3_bind_int64(st, 3, c->not_after);
	sq_bind_text(st, 4, c->sha256);
	sq_bind_text(st, 5, c->pem);
	if (keyed)
		sq_bind_text(st, 6, c->key_pem);
	else
		sqlite3_bind_null(st, 6);
	rc = sqlite3_step(st);
	sq_done(q, ins_sql, st);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "writing a certificate");
	*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int
sq_cert_add(struct store *s, const struct store_cert *c, int64_t *id_out,
            char *err, size_t errlen)
{
	struct sq *q = SQ(s);
	int keyed = store_purpose_keyed(c->purpose);
	int64_t id = 0;

	if (cert_check(c, keyed, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if (cert_room(q, c, err, errlen) < 0 ||
	    cert_insert(q, c, keyed, &id, err, errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0 ||
	    sq_commit(q, err, errlen) < 0)
		goto fail;
	if (id_out != NULL)
		*id_out = id;
	return 0;
fail:
	sq_rollback(q);
	return -1;
}

static int
cert_get1(struct sq *q, const char *sql, int64_t id, struct store_cert *out,
          const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	if (id != 0)
		sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (cert_from_row(st, out, 1) < 0)
			ret = store_fail(err, errlen, "out of memory");
	} else if (rc == SQLITE_DONE) {
		ret = store_notfound(err, errlen, "%s", what);
	} else {
		ret = sq_err(q, err, errlen, "reading a certificate");
	}
	sq_done(q, sql, st);
	return ret;
}

int
sq_cert_get(struct store *s, int64_t id, struct store_cert *out, char *err,
            size_t errlen)
{
	static const char sql[] =
		"SELECT " CERT_COLS ", key_pem FROM cert WHERE id = ?1";

	if (id <= 0)
		return store_notfound(err, errlen, "no certificate with id %lld",
		                      (long long)id);
	return cert_get1(SQ(s), sql, id, out, "no certificate with that id",
	                 err, errlen);
}

int
sq_cert_tomcat(struct store *s, struct store_cert *out, char *err,
               size_t errlen)
{
	return sq_cert_keyed(s, STORE_PURPOSE_TOMCAT, out, err, errlen);
}

int
sq_cert_keyed(struct store *s, const char *purpose, struct store_cert *out,
              char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " CERT_COLS ", key_pem FROM cert WHERE purpose = ?1"
		" ORDER BY id DESC LIMIT 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!store_purpose_keyed(purpose))
		return store_fail(err, errlen, "%s is not a keyed purpose", purpose);
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, purpose);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (cert_from_row(st, out, 1) < 0)
			ret = store_fail(err, errlen, "out of memory");
	} else if (rc == SQLITE_DONE) {
		ret = store_notfound(err, errlen, "no %s certificate in the store", purpose);
	} else {
		ret = sq_err(q, err, errlen, "reading a certificate");
	}
	sq_done(q, sql, st);
	return ret;
}

int
sq_cert_promote(struct store *s, const char *from, const char *to,
                const struct store_cert *c, int64_t *id_out, char *err,
                size_t errlen)
{
	static const char up_sql[] = "UPDATE cert SET purpose = ?2 WHERE purpose = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t id = 0;
	int rc;

	if (!store_purpose_keyed(from) || !store_purpose_keyed(to) ||
	    strcmp(c->purpose, from) != 0)
		return store_fail(err, errlen, "promote: keyed purposes, new pair under %s",
		                  from);
	if (cert_check(c, 1, err, errlen) < 0 || sq_begin(q, err, errlen) < 0)
		return -1;
	if (cert_drop(q, to, err, errlen) < 0 || (st = sq_stmt(q, up_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, from);
	sq_bind_text(st, 2, to);
	rc = sqlite3_step(st);
	sq_done(q, up_sql, st);
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, "promoting a certificate");
		goto fail;
	}
	if (sqlite3_changes(q->db) == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "no %s certificate to promote", from);
	}
	if (cert_insert(q, c, 1, &id, err, errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0 || sq_commit(q, err, errlen) < 0)
		goto fail;
	if (id_out != NULL)
		*id_out = id;
	return 0;
fail:
	sq_rollback(q);
	return -1;
}

int
sq_cert_delete(struct store *s, int64_t id, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM cert WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, "deleting a certificate");
		goto fail;
	}
	if (sqlite3_changes(q->db) == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "no certificate with id %lld",
		                      (long long)id);
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_cert_list(struct store *s, const char *purpose, store_cert_cb cb,
             void *ctx, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " CERT_COLS " FROM cert WHERE ?1 IS NULL OR purpose = ?1"
		" ORDER BY purpose, id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_cert c;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	sq_bind_text_or_null(st, 1, purpose);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cert_from_row(st, &c, 0) < 0) {
			ret = store_fail(err, errlen, "out of memory");
			break;
		}
		ret = cb(ctx, &c);
		store_cert_free(&c);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing certificates");
	sq_done(q, sql, st);
	return ret;
}

/* ---- Expressway-C entries ------------------------------------------------ */

/* Host names compare case-insensitively (DNS); kept lower-case. */
static int
host_key(const char *host, char key[STORE_HOST_MAX], char *err, size_t errlen)
{
	if (store_check_str(host, STORE_HOST_MAX, 1, "Expressway-C host", err,
	                    errlen) < 0)
		return -1;
	store_lower(key, STORE_HOST_MAX, host);
	return 0;
}

int
sq_expressway_put(struct store *s, const struct store_expressway *e,
                  char *err, size_t errlen)
{
	static const char sql[] =
		"INSERT INTO expressway (host, description) VALUES (?1, ?2)"
		" ON CONFLICT (host) DO UPDATE SET description ="
		" excluded.description";
	static const char clear_sql[] =
		"DELETE FROM expressway_name WHERE host = ?1";
	static const char name_sql[] =
		"INSERT INTO expressway_name (host, idx, name) VALUES (?1, ?2, ?3)";
	struct sq *q = SQ(s);
	char key[STORE_HOST_MAX];
	sqlite3_stmt *st;
	int rc;

	if (host_key(e->host, key, err, errlen) < 0 ||
	    store_check_str(e->description, sizeof(e->description), 0,
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
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, key);
	sq_bind_text(st, 2, e->description);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE)
		goto dberr;
	if ((st = sq_stmt(q, clear_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	sq_done(q, clear_sql, st);
	if (rc != SQLITE_DONE)
		goto dberr;
	for (size_t i = 0; i < e->n_names; i++) {
		if ((st = sq_stmt(q, name_sql, err, errlen)) == NULL)
			goto fail;
		sq_bind_text(st, 1, key);
		sqlite3_bind_int(st, 2, (int)i);
		sq_bind_text(st, 3, e->names[i]);
		rc = sqlite3_step(st);
		sq_done(q, name_sql, st);
		if (rc != SQLITE_DONE)
			goto dberr;
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
dberr:
	sq_err(q, err, errlen, "writing an Expressway-C entry");
fail:
	sq_rollback(q);
	return -1;
}

static int
expressway_names(struct sq *q, struct store_expressway *e, char *err,
                 size_t errlen)
{
	static const char sql[] =
		"SELECT name FROM expressway_name WHERE host = ?1 ORDER BY idx";
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, e->host);
	e->n_names = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       e->n_names < STORE_X509_NAMES_MAX)
		sq_col_copy(st, 0, e->names[e->n_names++], STORE_X509_NAME_MAX);
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading X.509 names");
	return 0;
}

static int
expressway_get_snap(struct store *s, const char *host,
                  struct store_expressway *out, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT host, description FROM expressway WHERE host = ?1";
	struct sq *q = SQ(s);
	char key[STORE_HOST_MAX];
	sqlite3_stmt *st;
	int rc;

	if (host_key(host, key, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		sq_col_copy(st, 0, out->host, sizeof(out->host));
		sq_col_copy(st, 1, out->description, sizeof(out->description));
	}
	sq_done(q, sql, st);
	if (rc == SQLITE_DONE)
		return store_notfound(err, errlen, "Expressway-C %s is not listed",
		                      key);
	if (rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading an Expressway-C entry");
	return expressway_names(q, out, err, errlen);
}

/* One read snapshot: the record and its child rows agree. */
int
sq_expressway_get(struct store *s, const char *host,
                  struct store_expressway *out, char *err, size_t errlen)
{
	int opened, ret;

	if (sq_read_begin(SQ(s), &opened, err, errlen) < 0)
		return -1;
	ret = expressway_get_snap(s, host, out, err, errlen);
	sq_read_end(SQ(s), opened);
	return ret;
}

int
sq_expressway_delete(struct store *s, const char *host, char *err,
                     size_t errlen)
{
	static const char sql[] = "DELETE FROM expressway WHERE host = ?1";
	struct sq *q = SQ(s);
	char key[STORE_HOST_MAX];
	sqlite3_stmt *st;
	int rc;

	if (host_key(host, key, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, "deleting an Expressway-C entry");
		goto fail;
	}
	if (sqlite3_changes(q->db) == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "Expressway-C %s is not listed",
		                      key);
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

static int
expressway_list_snap(struct store *s, store_expressway_cb cb, void *ctx,
                   char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT host, description FROM expressway ORDER BY host";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_expressway *e;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	e = malloc(sizeof(*e));         /* ~4 KiB: not on the stack */
	if (e == NULL) {
		sq_done(q, sql, st);
		return store_fail(err, errlen, "out of memory");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(e, 0, sizeof(*e));
		sq_col_copy(st, 0, e->host, sizeof(e->host));
		sq_col_copy(st, 1, e->description, sizeof(e->description));
		if ((ret = expressway_names(q, e, err, errlen)) != 0)
			break;
		if ((ret = cb(ctx, e)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing Expressway-C entries");
	sq_done(q, sql, st);
	free(e);
	return ret;
}

/* One read snapshot: the record and its child rows agree. */
int
sq_expressway_list(struct store *s, store_expressway_cb cb, void *ctx,
                   char *err, size_t errlen)
{
	int opened, ret;

	if (sq_read_begin(SQ(s), &opened, err, errlen) < 0)
		return -1;
	ret = expressway_list_snap(s, cb, ctx, err, errlen);
	sq_read_end(SQ(s), opened);
	return ret;
}

/* ---- signing keys -------------------------------------------------------------- */

#define KEY_COLS "kid, alg, private_pem, public_jwk, created, state, activates," \
                 " last_exp"

static int
key_from_row(sqlite3_stmt *st, struct store_key *k)
{
	int oom = 0;

	memset(k, 0, sizeof(*k));
	sq_col_copy(st, 0, k->kid, sizeof(k->kid));
	sq_col_copy(st, 1, k->alg, sizeof(k->alg));
	k->private_pem = sq_col_dup(st, 2, &oom);
	k->public_jwk = sq_col_dup(st, 3, &oom);
	k->created = sqlite3_column_int64(st, 4);
	k->state = (enum store_key_state)sqlite3_column_int(st, 5);
	k->activates = sqlite3_column_int64(st, 6);
	k->last_exp = sqlite3_column_int64(st, 7);
	if (oom) {
		store_key_free(k);
		return -1;
	}
	return 0;
}

int
sq_key_rotate(struct store *s, const struct store_key *k, char *err,
              size_t errlen)
{
	/* Order matters for the one-current / one-previous unique indexes:
	 * free the "previous" place before filling it. */
	static const char retire_sql[] =
		"UPDATE signing_key SET state = 2, private_pem = NULL"
		" WHERE state = 1";
	static const char demote_sql[] =
		"UPDATE signing_key SET state = 1 WHERE state = 0";
	static const char ins_sql[] =
		"INSERT INTO signing_key (kid, alg, private_pem, public_jwk,"
		" created, state, activates) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)";
	static const char dup_sql[] = "SELECT 1 FROM signing_key WHERE kid = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (store_check_str(k->kid, sizeof(k->kid), 1, "key id", err, errlen) < 0 ||
	    store_check_str(k->alg, sizeof(k->alg), 1, "key algorithm", err,
	                    errlen) < 0 ||
	    store_check_str(k->private_pem, STORE_PEM_MAX, 1, "private key PEM",
	                    err, errlen) < 0 ||
	    store_check_str(k->public_jwk, STORE_JWK_MAX, 1, "public JWK", err,
	                    errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, dup_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, k->kid);
	rc = sqlite3_step(st);
	sq_done(q, dup_sql, st);
	if (rc == SQLITE_ROW) {
		store_fail(err, errlen, "key id %s is already used; a kid is never "
		           "reused", k->kid);
		goto fail;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	if (sq_exec(q, retire_sql, err, errlen) < 0 ||
	    sq_exec(q, demote_sql, err, errlen) < 0)
		goto fail;
	if ((st = sq_stmt(q, ins_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, k->kid);
	sq_bind_text(st, 2, k->alg);
	sq_bind_text(st, 3, k->private_pem);
	sq_bind_text(st, 4, k->public_jwk);
	sqlite3_bind_int64(st, 5, k->created);
	sqlite3_bind_int64(st, 6, k->activates);
	rc = sqlite3_step(st);
	sq_done(q, ins_sql, st);
	if (rc != SQLITE_DONE)
		goto dberr;
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
dberr:
	sq_err(q, err, errlen, "rotating the signing key");
fail:
	sq_rollback(q);
	return -1;
}

int
sq_key_current(struct store *s, struct store_key *out, char *err,
               size_t errlen)
{
	static const char sql[] =
		"SELECT " KEY_COLS " FROM signing_key WHERE state = 0";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (key_from_row(st, out) < 0)
			ret = store_fail(err, errlen, "out of memory");
	} else if (rc == SQLITE_DONE) {
		ret = store_notfound(err, errlen, "no signing key; run `oprovctl "
		                     "init` or `oprovctl keys rotate`");
	} else {
		ret = sq_err(q, err, errlen, "reading the signing key");
	}
	sq_done(q, sql, st);
	return ret;
}

static int
key_list(struct sq *q, const char *sql, store_key_cb cb, void *ctx, char *err,
         size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_key k;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (key_from_row(st, &k) < 0) {
			ret = store_fail(err, errlen, "out of memory");
			break;
		}
		ret = cb(ctx, &k);
		store_key_free(&k);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing signing keys");
	sq_done(q, sql, st);
	return ret;
}

int
sq_key_list(struct store *s, store_key_cb cb, void *ctx, char *err,
            size_t errlen)
{
	static const char sql[] =
		"SELECT " KEY_COLS " FROM signing_key ORDER BY id DESC";

	return key_list(SQ(s), sql, cb, ctx, err, errlen);
}

int
sq_key_list_verify(struct store *s, store_key_cb cb, void *ctx, char *err,
                   size_t errlen)
{
	static const char sql[] =
		"SELECT " KEY_COLS " FROM signing_key WHERE state IN (0, 1)"
		" ORDER BY state";

	return key_list(SQ(s), sql, cb, ctx, err, errlen);
}

int
sq_key_note_exp(struct store *s, const char *kid, int64_t exp, char *err,
                size_t errlen)
{
	/* No generation bump: nothing a daemon holds changes. */
	static const char sql[] =
		"UPDATE signing_key SET last_exp = ?2 WHERE kid = ?1 AND last_exp < ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_str(kid, STORE_NAME_MAX, 1, "key id", err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, kid);
	sqlite3_bind_int64(st, 2, exp);
	return sq_step_done(q, sql, st, "recording a key's last exp", err, errlen);
}

int
sq_key_activate(struct store *s, int64_t now, char *err, size_t errlen)
{
	static const char sql[] =
		"UPDATE signing_key SET activates = 0"
		" WHERE state = 0 AND activates > 0 AND activates <= ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int changed;

	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	if (sq_step_done(q, sql, st, "activating the signing key", err, errlen) < 0)
		goto fail;
	changed = sqlite3_changes(q->db) > 0;
	if (!changed) {
		sq_rollback(q);
		return 0;
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen) < 0 ? -1 : 1;
fail:
	sq_rollback(q);
	return -1;
}
