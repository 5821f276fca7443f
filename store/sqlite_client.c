/*
 * sqlite_client.c - registered OAuth clients in SQLite (name, secret hash,
 * scope); a public client has an empty secret hash.
 */
#include "config.h"

#include <string.h>

#include "store/sqlite_int.h"

int
sq_client_add(struct store *s, const struct store_client *c, char *err,
              size_t errlen)
{
	static const char sql[] =
		"INSERT INTO oauth_client (name, secret_hash, scope, created)"
		" VALUES (?1, ?2, ?3, ?4)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (store_check_str(c->name, sizeof(c->name), 1, "client name", err,
	                    errlen) < 0 ||
	    store_check_str(c->secret_hash, sizeof(c->secret_hash), 0,
	                    "client secret hash", err, errlen) < 0 ||
	    store_check_str(c->scope, sizeof(c->scope), 0, "client scope", err,
	                    errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, c->name);
	sq_bind_text(st, 2, c->secret_hash);
	sq_bind_text(st, 3, c->scope);
	sqlite3_bind_int64(st, 4, c->created);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		store_fail(err, errlen, "client %s already exists", c->name);
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, "adding a client");
		goto fail;
	}
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_client_get(struct store *s, const char *name, struct store_client *out,
              char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT name, secret_hash, scope, created FROM oauth_client"
		" WHERE name = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (store_check_str(name, STORE_NAME_MAX, 1, "client name", err,
	                    errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		sq_col_copy(st, 0, out->name, sizeof(out->name));
		sq_col_copy(st, 1, out->secret_hash, sizeof(out->secret_hash));
		sq_col_copy(st, 2, out->scope, sizeof(out->scope));
		out->created = sqlite3_column_int64(st, 3);
	} else if (rc == SQLITE_DONE) {
		ret = store_notfound(err, errlen, "client %s does not exist", name);
	} else {
		ret = sq_err(q, err, errlen, "reading a client");
	}
	sq_done(q, sql, st);
	return ret;
}

int
sq_client_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM oauth_client WHERE name = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_str(name, STORE_NAME_MAX, 1, "client name", err,
	                    errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, name);
	if (sq_step_done(q, sql, st, "deleting a client", err, errlen) < 0)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "client %s does not exist", name);
	}
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_client_list(struct store *s, store_client_cb cb, void *ctx, char *err,
               size_t errlen)
{
	static const char sql[] =
		"SELECT name, secret_hash, scope, created FROM oauth_client"
		" ORDER BY name";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_client c;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));
		sq_col_copy(st, 0, c.name, sizeof(c.name));
		sq_col_copy(st, 1, c.secret_hash, sizeof(c.secret_hash));
		sq_col_copy(st, 2, c.scope, sizeof(c.scope));
		c.created = sqlite3_column_int64(st, 3);
		if ((ret = cb(ctx, &c)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing clients");
	sq_done(q, sql, st);
	return ret;
}
