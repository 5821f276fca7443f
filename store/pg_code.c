/*
 * pg_code.c - activation codes and OAuth clients in PostgreSQL: codes are
 * issued per device (a new one replaces the unused one) and consumed by
 * one statement under the writer lock; clients are name, secret hash and
 * scope.  Rules and words are those of sqlite_code.c and sqlite_client.c.
 */
#include "config.h"

#include <string.h>

#include "store/pg_int.h"

int
pg_code_issue(struct store *s, const char *device, const char *code_hash,
              int64_t created, int64_t expires, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char key[CFG_DEVNAME_MAX];
	PGresult *res;
	int found;

	if (store_device_key(device, key, err, errlen) < 0 ||
	    store_check_str(code_hash, STORE_HASH_MAX, 1, "activation code hash",
	                    err, errlen) < 0)
		return -1;
	if (expires <= created)
		return store_fail(err, errlen, "activation code for %s: expiry "
		                  "before creation", key);
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if ((res = pg_run(c, "issuing an activation code", err, errlen,
	                  "SELECT 1 FROM device WHERE name = $1", "t",
	                  key)) == NULL)
		goto fail;
	found = PQntuples(res) > 0;
	PQclear(res);
	if (!found) {
		store_fail(err, errlen, "device %s does not exist", key);
		goto fail;
	}
	if (pg_do(c, "replacing an activation code", err, errlen, NULL,
	          "DELETE FROM activation_code WHERE device = $1 AND used_at = 0",
	          "t", key) < 0)
		goto fail;
	if (pg_do(c, "issuing an activation code", err, errlen, NULL,
	          "INSERT INTO activation_code (device, code_hash, created,"
	          " expires) VALUES ($1, $2, $3, $4)", "ttii", key, code_hash,
	          created, expires) < 0) {
		if (pg_state_is(c, PG_UNIQUE_VIOLATION))
			store_fail(err, errlen, "activation code hash already in use; "
			           "issue a new code");
		goto fail;
	}
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

/* The single-use rule (see sqlite_code.c), in the caller's transaction:
 * marks the code used and copies its device to found.  0, STORE_NOTFOUND
 * or -1. */
static int
consume(struct pg *c, const char *key, const char *code_hash, int64_t now,
        char found[CFG_DEVNAME_MAX], char *err, size_t errlen)
{
	PGresult *res;
	int n;

	res = pg_run(c, "consuming an activation code", err, errlen,
	             "UPDATE activation_code SET used_at = $3"
	             " WHERE code_hash = $1 AND ($2::text IS NULL OR device = $2)"
	             " AND used_at = 0 AND expires > $3 RETURNING device", "tni",
	             code_hash, key, now);
	if (res == NULL)
		return -1;
	if ((n = PQntuples(res)) > 0)
		pg_col_copy(res, 0, 0, found, CFG_DEVNAME_MAX);
	PQclear(res);
	if (n == 0)
		return store_notfound(err, errlen, "no usable activation code "
		                      "(unknown, used, expired or for another "
		                      "device)");
	return 0;
}

/* store_code_consume and store_code_redeem: the code (and family f, when
 * not NULL) in one transaction; the code's device copied to device_out. */
int
pg_code_use(struct store *s, const char *device, const char *code_hash,
            int64_t now, const struct store_family *f, const char *token_hash,
            char *device_out, size_t device_outlen, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char key[CFG_DEVNAME_MAX] = "", found[CFG_DEVNAME_MAX] = "";
	int rc;

	if (store_check_str(code_hash, STORE_HASH_MAX, 1, "activation code hash",
	                    err, errlen) < 0)
		return -1;
	if (device != NULL && device[0] != '\0' &&
	    store_upper(key, sizeof(key), device) < 0)
		return store_notfound(err, errlen, "no usable activation code");
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	rc = consume(c, key, code_hash, now, found, err, errlen);
	if (rc == 0 && f != NULL)
		rc = pg_family_insert(c, f, token_hash, err, errlen);
	if (rc != 0) {
		pg_rollback(c);
		return rc;
	}
	if (pg_commit(c, err, errlen) < 0)
		return -1;
	if (device_out != NULL && device_outlen > 0)
		store_copy(device_out, device_outlen, found);
	return 0;
}

int
pg_code_revoke(struct store *s, const char *device, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char key[CFG_DEVNAME_MAX];
	uint64_t n = 0;

	if (store_device_key(device, key, err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "revoking activation codes", err, errlen, &n,
	          "DELETE FROM activation_code WHERE device = $1", "t", key) < 0) {
		pg_rollback(c);
		return -1;
	}
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "device %s has no activation "
		                      "code", key);
	}
	return pg_commit(c, err, errlen);
}

static int
code_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
         char *err, size_t errlen)
{
	struct store_code co;

	(void)c;
	(void)err;
	(void)errlen;
	memset(&co, 0, sizeof(co));
	pg_col_copy(res, r, 0, co.device, sizeof(co.device));
	pg_col_copy(res, r, 1, co.code_hash, sizeof(co.code_hash));
	co.created = pg_col_int(res, r, 2);
	co.expires = pg_col_int(res, r, 3);
	co.used_at = pg_col_int(res, r, 4);
	return ((store_code_cb)cb)(ctx, &co);
}

int
pg_code_list(struct store *s, store_code_cb cb, void *ctx, char *err,
             size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing activation codes", err, errlen,
	                         "SELECT device, code_hash, created, expires,"
	                         " used_at FROM activation_code"
	                         " ORDER BY device, id", NULL),
	               code_row, (void *)cb, ctx, err, errlen);
}

/* ---- OAuth clients --------------------------------------------------------------- */

int
pg_client_add(struct store *s, const struct store_client *cl, char *err,
              size_t errlen)
{
	struct pg *c = PG(s);

	if (store_check_str(cl->name, sizeof(cl->name), 1, "client name", err,
	                    errlen) < 0 ||
	    store_check_str(cl->secret_hash, sizeof(cl->secret_hash), 0,
	                    "client secret hash", err, errlen) < 0 ||
	    store_check_str(cl->scope, sizeof(cl->scope), 0, "client scope", err,
	                    errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "adding a client", err, errlen, NULL,
	          "INSERT INTO oauth_client (name, secret_hash, scope, created)"
	          " VALUES ($1, $2, $3, $4)", "ttti", cl->name, cl->secret_hash,
	          cl->scope, cl->created) < 0) {
		if (pg_state_is(c, PG_UNIQUE_VIOLATION))
			store_fail(err, errlen, "client %s already exists", cl->name);
		pg_rollback(c);
		return -1;
	}
	return pg_commit(c, err, errlen);
}

static void
client_from_row(const PGresult *res, int r, struct store_client *cl)
{
	memset(cl, 0, sizeof(*cl));
	pg_col_copy(res, r, 0, cl->name, sizeof(cl->name));
	pg_col_copy(res, r, 1, cl->secret_hash, sizeof(cl->secret_hash));
	pg_col_copy(res, r, 2, cl->scope, sizeof(cl->scope));
	cl->created = pg_col_int(res, r, 3);
}

int
pg_client_get(struct store *s, const char *name, struct store_client *out,
              char *err, size_t errlen)
{
	PGresult *res;
	int ret = 0;

	if (store_check_str(name, STORE_NAME_MAX, 1, "client name", err,
	                    errlen) < 0)
		return -1;
	res = pg_run(PG(s), "reading a client", err, errlen,
	             "SELECT name, secret_hash, scope, created FROM oauth_client"
	             " WHERE name = $1", "t", name);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		client_from_row(res, 0, out);
	else
		ret = store_notfound(err, errlen, "client %s does not exist", name);
	PQclear(res);
	return ret;
}

int
pg_client_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	uint64_t n = 0;

	if (store_check_str(name, STORE_NAME_MAX, 1, "client name", err,
	                    errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "deleting a client", err, errlen, &n,
	          "DELETE FROM oauth_client WHERE name = $1", "t", name) < 0) {
		pg_rollback(c);
		return -1;
	}
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "client %s does not exist", name);
	}
	return pg_commit(c, err, errlen);
}

static int
client_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
           char *err, size_t errlen)
{
	struct store_client cl;

	(void)c;
	(void)err;
	(void)errlen;
	client_from_row(res, r, &cl);
	return ((store_client_cb)cb)(ctx, &cl);
}

int
pg_client_list(struct store *s, store_client_cb cb, void *ctx, char *err,
               size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing clients", err, errlen,
	                         "SELECT name, secret_hash, scope, created"
	                         " FROM oauth_client ORDER BY name", NULL),
	               client_row, (void *)cb, ctx, err, errlen);
}
