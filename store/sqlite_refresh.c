/*
 * sqlite_refresh.c - refresh-token families in SQLite: a family is one grant
 * (device, owner, client, scope, expiry); each refresh token is stored as a
 * hash, and rotation swaps the current one for a new one.  A rotated token
 * presented again revokes its family (RFC 9700 §4.14.2).
 */
#include "config.h"

#include <string.h>

#include "store/sqlite_int.h"

/* ---- families ------------------------------------------------------------- */

#define FAMILY_COLS "f.id, f.device, f.owner, f.client_id, f.scope," \
	" f.created, f.expires, f.revoked"

static void
family_from_row(sqlite3_stmt *st, int col, struct store_family *f)
{
	memset(f, 0, sizeof(*f));
	sq_col_copy(st, col + 0, f->id, sizeof(f->id));
	sq_col_copy(st, col + 1, f->device, sizeof(f->device));
	sq_col_copy(st, col + 2, f->owner, sizeof(f->owner));
	sq_col_copy(st, col + 3, f->client_id, sizeof(f->client_id));
	sq_col_copy(st, col + 4, f->scope, sizeof(f->scope));
	f->created = sqlite3_column_int64(st, col + 5);
	f->expires = sqlite3_column_int64(st, col + 6);
	f->revoked = sqlite3_column_int64(st, col + 7);
}

/* Records `hash` as the current token of `family`.  0 / -1. */
static int
token_insert(struct sq *q, const char *hash, const char *family,
             int64_t created, char *err, size_t errlen)
{
	static const char token_ins_sql[] =
		"INSERT INTO refresh_token (hash, family, state, created)"
		" VALUES (?1, ?2, 0, ?3)";
	sqlite3_stmt *st = sq_stmt(q, token_ins_sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, hash);
	sq_bind_text(st, 2, family);
	sqlite3_bind_int64(st, 3, created);
	rc = sqlite3_step(st);
	sq_done(q, token_ins_sql, st);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return store_fail(err, errlen, "refresh token hash already "
		                  "recorded; generate a new token");
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "recording a refresh token");
	return 0;
}

/* Checks family f and inserts it with token_hash as its current token, in
 * the caller's transaction.  0 / -1. */
int
sq_family_insert(struct sq *q, const struct store_family *f,
                 const char *token_hash, char *err, size_t errlen)
{
	static const char sql[] =
		"INSERT INTO refresh_family (id, device, owner, client_id, scope,"
		" created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	char key[CFG_DEVNAME_MAX] = "";
	sqlite3_stmt *st;
	int rc;

	if (store_check_str(f->id, sizeof(f->id), 1, "family id", err, errlen) < 0 ||
	    store_check_str(f->device, sizeof(f->device), 0, "family device", err,
	                    errlen) < 0 ||
	    store_check_str(f->owner, sizeof(f->owner), 0, "family owner", err,
	                    errlen) < 0 ||
	    store_check_str(f->client_id, sizeof(f->client_id), 0,
	                    "family client_id", err, errlen) < 0 ||
	    store_check_str(f->scope, sizeof(f->scope), 0, "family scope", err,
	                    errlen) < 0 ||
	    store_check_str(token_hash, STORE_HASH_MAX, 1, "refresh token hash",
	                    err, errlen) < 0)
		return -1;
	if (f->expires <= f->created)
		return store_fail(err, errlen, "refresh family %s: expiry before "
		                  "creation", f->id);
	store_upper(key, sizeof(key), f->device);
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, f->id);
	sq_bind_text(st, 2, key);
	sq_bind_text(st, 3, f->owner);
	sq_bind_text(st, 4, f->client_id);
	sq_bind_text(st, 5, f->scope);
	sqlite3_bind_int64(st, 6, f->created);
	sqlite3_bind_int64(st, 7, f->expires);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return store_fail(err, errlen, "refresh family %s already exists", f->id);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "creating a refresh family");
	return token_insert(q, token_hash, f->id, f->created, err, errlen);
}

int
sq_family_create(struct store *s, const struct store_family *f,
                 const char *token_hash, char *err, size_t errlen)
{
	struct sq *q = SQ(s);

	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if (sq_family_insert(q, f, token_hash, err, errlen) < 0) {
		sq_rollback(q);
		return -1;
	}
	return sq_commit(q, err, errlen);
}

int
sq_family_get(struct store *s, const char *id, struct store_family *out,
              char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " FAMILY_COLS " FROM refresh_family f WHERE f.id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (store_check_str(id, STORE_ID_MAX, 1, "family id", err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		family_from_row(st, 0, out);
	else if (rc == SQLITE_DONE)
		ret = store_notfound(err, errlen, "refresh family %s does not exist",
		                     id);
	else
		ret = sq_err(q, err, errlen, "reading a refresh family");
	sq_done(q, sql, st);
	return ret;
}

int
sq_family_list(struct store *s, store_family_cb cb, void *ctx, char *err,
               size_t errlen)
{
	static const char sql[] =
		"SELECT " FAMILY_COLS " FROM refresh_family f"
		" ORDER BY f.created, f.id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_family f;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		family_from_row(st, 0, &f);
		if ((ret = cb(ctx, &f)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing refresh families");
	sq_done(q, sql, st);
	return ret;
}

/* ---- rotation ------------------------------------------------------------- */

/* The family of a refresh token and whether the token is the family's
 * current one (not yet rotated).  1 found, 0 unknown, -1 error. */
static int
token_lookup(struct sq *q, const char *hash, struct store_family *f,
             int *current, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT t.state, " FAMILY_COLS " FROM refresh_token t"
		" JOIN refresh_family f ON f.id = t.family WHERE t.hash = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*current = sqlite3_column_int(st, 0) == 0;
		family_from_row(st, 1, f);
	}
	sq_done(q, sql, st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sq_err(q, err, errlen, "looking up a refresh token");
}

/* Marks the current token `hash` rotated.  0 / -1. */
static int
token_retire(struct sq *q, const char *hash, char *err, size_t errlen)
{
	static const char sql[] =
		"UPDATE refresh_token SET state = 1 WHERE hash = ?1 AND state = 0";
	sqlite3_stmt *st;

	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, hash);
	if (sq_step_done(q, sql, st, "rotating a refresh token", err, errlen) < 0)
		return -1;
	if (sqlite3_changes(q->db) != 1)
		return store_fail(err, errlen, "refresh rotation lost a race it "
		                  "cannot lose under the write lock");
	return 0;
}

/* Keeps the newest STORE_FAMILY_ROTATED_KEEP rotated tokens of a family
 * (store.h).  0 / -1. */
static int
rotated_trim(struct sq *q, const char *family, char *err, size_t errlen)
{
	static const char sql[] =
		"DELETE FROM refresh_token WHERE family = ?1 AND state = 1"
		" AND hash NOT IN (SELECT hash FROM refresh_token"
		"  WHERE family = ?1 AND state = 1 ORDER BY created DESC, hash"
		"  LIMIT " STORE_FAMILY_ROTATED_KEEP_STR ")";
	sqlite3_stmt *st;

	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, family);
	return sq_step_done(q, sql, st, "trimming rotated refresh tokens", err,
	                    errlen);
}

int
sq_refresh_find(struct store *s, const char *token_hash,
                struct store_family *out, int *is_current, char *err,
                size_t errlen)
{
	int rc, current;

	if (store_check_str(token_hash, STORE_HASH_MAX, 1, "refresh token hash",
	                    err, errlen) < 0)
		return -1;
	rc = token_lookup(SQ(s), token_hash, out, &current, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return store_notfound(err, errlen, "unknown refresh token");
	if (is_current != NULL)
		*is_current = current;
	return 0;
}

int
sq_refresh_rotate(struct store *s, const char *old_hash, const char *new_hash,
                  int64_t now, struct store_family *fam_out, char *err,
                  size_t errlen)
{
	struct sq *q = SQ(s);
	struct store_family f;
	int rc, current;

	if (store_check_str(old_hash, STORE_HASH_MAX, 1, "refresh token hash",
	                    err, errlen) < 0 ||
	    store_check_str(new_hash, STORE_HASH_MAX, 1, "refresh token hash",
	                    err, errlen) < 0)
		return -1;
	/* BEGIN IMMEDIATE: the read below and the swap happen under one
	 * write lock, so of two clients presenting the same token exactly
	 * one sees it current. */
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((rc = token_lookup(q, old_hash, &f, &current, err, errlen)) < 0)
		goto fail;
	if (rc == 0 || f.revoked != 0 || f.expires <= now) {
		sq_rollback(q);
		return STORE_ROTATE_INVALID;
	}
	if (!current) {
		/* RFC 9700 §4.14.2: a rotated token came back, so either the
		 * client or an attacker holds a stolen copy; end the grant. */
		if (sq_revoke_in_tx(q, STORE_REVOKE_FAMILY, f.id, INT64_MAX,
		                    f.expires + STORE_ACCESS_MAX_LIFETIME, now, err,
		                    errlen) < 0 ||
		    sq_bump(q, SQ_GEN_REVOCATION, err, errlen) < 0 ||
		    sq_commit(q, err, errlen) < 0)
			goto fail;
		f.revoked = now;
		if (fam_out != NULL)
			*fam_out = f;
		return STORE_ROTATE_REUSED;
	}
	if (token_retire(q, old_hash, err, errlen) < 0 ||
	    token_insert(q, new_hash, f.id, now, err, errlen) < 0 ||
	    rotated_trim(q, f.id, err, errlen) < 0 ||
	    sq_commit(q, err, errlen) < 0)
		goto fail;
	if (fam_out != NULL)
		*fam_out = f;
	return STORE_ROTATE_OK;
fail:
	sq_rollback(q);
	return -1;
}
