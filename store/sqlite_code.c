/*
 * sqlite_code.c - activation codes in SQLite: issued per device (a new code
 * replaces the unused one), consumed once under the write lock, revoked,
 * listed.  Only hashes of the codes are stored.
 */
#include "config.h"

#include <string.h>

#include "store/sqlite_int.h"

int
sq_code_issue(struct store *s, const char *device, const char *code_hash,
              int64_t created, int64_t expires, char *err, size_t errlen)
{
	static const char dev_sql[] = "SELECT 1 FROM device WHERE name = ?1";
	static const char drop_sql[] =
		"DELETE FROM activation_code WHERE device = ?1 AND used_at = 0";
	static const char ins_sql[] =
		"INSERT INTO activation_code (device, code_hash, created, expires)"
		" VALUES (?1, ?2, ?3, ?4)";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX];
	sqlite3_stmt *st;
	int rc;

	if (store_device_key(device, key, err, errlen) < 0 ||
	    store_check_str(code_hash, STORE_HASH_MAX, 1, "activation code hash",
	                    err, errlen) < 0)
		return -1;
	if (expires <= created)
		return store_fail(err, errlen, "activation code for %s: expiry "
		                  "before creation", key);
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, dev_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	sq_done(q, dev_sql, st);
	if (rc == SQLITE_DONE) {
		store_fail(err, errlen, "device %s does not exist", key);
		goto fail;
	}
	if (rc != SQLITE_ROW)
		goto dberr;
	if ((st = sq_stmt(q, drop_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, key);
	if (sq_step_done(q, drop_sql, st, "replacing an activation code", err,
	              errlen) < 0)
		goto fail;
	if ((st = sq_stmt(q, ins_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, key);
	sq_bind_text(st, 2, code_hash);
	sqlite3_bind_int64(st, 3, created);
	sqlite3_bind_int64(st, 4, expires);
	rc = sqlite3_step(st);
	sq_done(q, ins_sql, st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		store_fail(err, errlen, "activation code hash already in use; "
		           "issue a new code");
		goto fail;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	return sq_commit(q, err, errlen);
dberr:
	sq_err(q, err, errlen, "issuing an activation code");
fail:
	sq_rollback(q);
	return -1;
}

/* The single-use rule, in the caller's transaction: marks the code used
 * and copies its device to found.  0, STORE_NOTFOUND or -1. */
static int
consume(struct sq *q, const char *key, const char *code_hash, int64_t now,
        char found[CFG_DEVNAME_MAX], char *err, size_t errlen)
{
	/* The whole single-use rule is this one statement, run under the
	 * write lock: of two concurrent consumers the second finds
	 * used_at already set and changes nothing. */
	static const char sql[] =
		"UPDATE activation_code SET used_at = ?3"
		" WHERE code_hash = ?1 AND (?2 IS NULL OR device = ?2)"
		" AND used_at = 0 AND expires > ?3 RETURNING device";
	sqlite3_stmt *st;
	int rc, rc2;

	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, code_hash);
	sq_bind_text_or_null(st, 2, key);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sq_col_copy(st, 0, found, CFG_DEVNAME_MAX);
		rc2 = sqlite3_step(st);
	} else {
		rc2 = rc;
	}
	sq_done(q, sql, st);
	if (rc2 != SQLITE_DONE)
		return sq_err(q, err, errlen, "consuming an activation code");
	if (rc != SQLITE_ROW)
		return store_notfound(err, errlen, "no usable activation code "
		                      "(unknown, used, expired or for another "
		                      "device)");
	return 0;
}

/* store_code_consume and store_code_redeem: the code (and family f, when
 * not NULL) in one transaction; the code's device copied to device_out. */
int
sq_code_use(struct store *s, const char *device, const char *code_hash,
            int64_t now, const struct store_family *f, const char *token_hash,
            char *device_out, size_t device_outlen, char *err, size_t errlen)
{
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX] = "", found[CFG_DEVNAME_MAX] = "";
	int rc;

	if (store_check_str(code_hash, STORE_HASH_MAX, 1, "activation code hash",
	                    err, errlen) < 0)
		return -1;
	if (device != NULL && device[0] != '\0' &&
	    store_upper(key, sizeof(key), device) < 0)
		return store_notfound(err, errlen, "no usable activation code");
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	rc = consume(q, key, code_hash, now, found, err, errlen);
	if (rc == 0 && f != NULL)
		rc = sq_family_insert(q, f, token_hash, err, errlen);
	if (rc != 0) {
		sq_rollback(q);
		return rc;
	}
	if (sq_commit(q, err, errlen) < 0)
		return -1;
	if (device_out != NULL && device_outlen > 0)
		store_copy(device_out, device_outlen, found);
	return 0;
}

int
sq_code_revoke(struct store *s, const char *device, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM activation_code WHERE device = ?1";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX];
	sqlite3_stmt *st;

	if (store_device_key(device, key, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, key);
	if (sq_step_done(q, sql, st, "revoking activation codes", err, errlen) < 0)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "device %s has no activation "
		                      "code", key);
	}
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_code_list(struct store *s, store_code_cb cb, void *ctx, char *err,
             size_t errlen)
{
	static const char sql[] =
		"SELECT device, code_hash, created, expires, used_at"
		" FROM activation_code ORDER BY device, id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_code c;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));
		sq_col_copy(st, 0, c.device, sizeof(c.device));
		sq_col_copy(st, 1, c.code_hash, sizeof(c.code_hash));
		c.created = sqlite3_column_int64(st, 2);
		c.expires = sqlite3_column_int64(st, 3);
		c.used_at = sqlite3_column_int64(st, 4);
		if ((ret = cb(ctx, &c)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing activation codes");
	sq_done(q, sql, st);
	return ret;
}
