/*
 * sqlite_token.c - token state in SQLite: activation codes, OAuth clients,
 * refresh-token families with rotation, revocations and current SIP
 * bindings.  None of these touch the config generation; revocations bump
 * the revocation generation.
 */
#include "config.h"

#include <string.h>

#include "store/sqlite_int.h"

static int
device_key(const char *device, char key[CFG_DEVNAME_MAX], char *err,
           size_t errlen)
{
	if (store_check_str(device, CFG_DEVNAME_MAX, 1, "device name", err,
	                    errlen) < 0)
		return -1;
	store_upper(key, CFG_DEVNAME_MAX, device);
	return 0;
}

/* ---- activation codes ----------------------------------------------------------- */

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

	if (device_key(device, key, err, errlen) < 0 ||
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

int
sq_code_consume(struct store *s, const char *device, const char *code_hash,
                int64_t now, char *device_out, size_t device_outlen,
                char *err, size_t errlen)
{
	/* The whole single-use rule is this one statement, run under the
	 * write lock: of two concurrent consumers the second finds
	 * used_at already set and changes nothing. */
	static const char sql[] =
		"UPDATE activation_code SET used_at = ?3"
		" WHERE code_hash = ?1 AND (?2 IS NULL OR device = ?2)"
		" AND used_at = 0 AND expires > ?3 RETURNING device";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX], found[CFG_DEVNAME_MAX] = "";
	sqlite3_stmt *st;
	int rc, rc2;

	if (store_check_str(code_hash, STORE_HASH_MAX, 1, "activation code hash",
	                    err, errlen) < 0)
		return -1;
	if (device != NULL && device[0] != '\0') {
		if (store_upper(key, sizeof(key), device) < 0)
			return store_notfound(err, errlen, "no usable activation "
			                      "code");
	} else {
		key[0] = '\0';
	}
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, code_hash);
	sq_bind_text_or_null(st, 2, key);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sq_col_copy(st, 0, found, sizeof(found));
		rc2 = sqlite3_step(st);
	} else {
		rc2 = rc;
	}
	sq_done(q, sql, st);
	if (rc2 != SQLITE_DONE) {
		sq_err(q, err, errlen, "consuming an activation code");
		goto fail;
	}
	if (rc != SQLITE_ROW) {
		sq_rollback(q);
		return store_notfound(err, errlen, "no usable activation code "
		                      "(unknown, used, expired or for another "
		                      "device)");
	}
	if (sq_commit(q, err, errlen) < 0)
		return -1;
	if (device_out != NULL && device_outlen > 0)
		store_copy(device_out, device_outlen, found);
	return 0;
fail:
	sq_rollback(q);
	return -1;
}

int
sq_code_revoke(struct store *s, const char *device, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM activation_code WHERE device = ?1";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX];
	sqlite3_stmt *st;

	if (device_key(device, key, err, errlen) < 0)
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

/* ---- OAuth clients --------------------------------------------------------------- */

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
	    store_check_str(c->secret_hash, sizeof(c->secret_hash), 1,
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

/* ---- refresh-token families ------------------------------------------------------ */

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

static const char token_ins_sql[] =
	"INSERT INTO refresh_token (hash, family, state, created)"
	" VALUES (?1, ?2, 0, ?3)";

static int
token_insert(struct sq *q, const char *hash, const char *family,
             int64_t created, char *err, size_t errlen)
{
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

int
sq_family_create(struct store *s, const struct store_family *f,
                 const char *token_hash, char *err, size_t errlen)
{
	static const char sql[] =
		"INSERT INTO refresh_family (id, device, owner, client_id, scope,"
		" created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	struct sq *q = SQ(s);
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
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, f->id);
	sq_bind_text(st, 2, key);
	sq_bind_text(st, 3, f->owner);
	sq_bind_text(st, 4, f->client_id);
	sq_bind_text(st, 5, f->scope);
	sqlite3_bind_int64(st, 6, f->created);
	sqlite3_bind_int64(st, 7, f->expires);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		store_fail(err, errlen, "refresh family %s already exists", f->id);
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, "creating a refresh family");
		goto fail;
	}
	if (token_insert(q, token_hash, f->id, f->created, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
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

int
sq_refresh_find(struct store *s, const char *token_hash,
                struct store_family *out, int *is_current, char *err,
                size_t errlen)
{
	static const char sql[] =
		"SELECT t.state, " FAMILY_COLS " FROM refresh_token t"
		" JOIN refresh_family f ON f.id = t.family WHERE t.hash = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (store_check_str(token_hash, STORE_HASH_MAX, 1, "refresh token hash",
	                    err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, token_hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (is_current != NULL)
			*is_current = sqlite3_column_int(st, 0) == 0;
		family_from_row(st, 1, out);
	} else if (rc == SQLITE_DONE) {
		ret = store_notfound(err, errlen, "unknown refresh token");
	} else {
		ret = sq_err(q, err, errlen, "looking up a refresh token");
	}
	sq_done(q, sql, st);
	return ret;
}

int
sq_refresh_rotate(struct store *s, const char *old_hash, const char *new_hash,
                  int64_t now, struct store_family *fam_out, char *err,
                  size_t errlen)
{
	static const char find_sql[] =
		"SELECT t.state, " FAMILY_COLS " FROM refresh_token t"
		" JOIN refresh_family f ON f.id = t.family WHERE t.hash = ?1";
	static const char swap_sql[] =
		"UPDATE refresh_token SET state = 1 WHERE hash = ?1 AND state = 0";
	struct sq *q = SQ(s);
	struct store_family f;
	sqlite3_stmt *st;
	int rc, state;

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
	if ((st = sq_stmt(q, find_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, old_hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		state = sqlite3_column_int(st, 0);
		family_from_row(st, 1, &f);
	}
	sq_done(q, find_sql, st);
	if (rc == SQLITE_DONE) {
		sq_rollback(q);
		return STORE_ROTATE_INVALID;
	}
	if (rc != SQLITE_ROW) {
		sq_err(q, err, errlen, "looking up a refresh token");
		goto fail;
	}
	if (f.revoked != 0 || f.expires <= now) {
		sq_rollback(q);
		return STORE_ROTATE_INVALID;
	}
	if (state != 0) {
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
	if ((st = sq_stmt(q, swap_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, old_hash);
	if (sq_step_done(q, swap_sql, st, "rotating a refresh token", err,
	              errlen) < 0)
		goto fail;
	if (sqlite3_changes(q->db) != 1) {
		store_fail(err, errlen, "refresh rotation lost a race it cannot "
		           "lose under the write lock");
		goto fail;
	}
	if (token_insert(q, new_hash, f.id, now, err, errlen) < 0 ||
	    sq_commit(q, err, errlen) < 0)
		goto fail;
	if (fam_out != NULL)
		*fam_out = f;
	return STORE_ROTATE_OK;
fail:
	sq_rollback(q);
	return -1;
}

/* ---- revocations --------------------------------------------------------------------- */

int
sq_revoke_in_tx(struct sq *q, enum store_revocation_kind kind,
                const char *value, int64_t issued_before, int64_t purge_after,
                int64_t now, char *err, size_t errlen)
{
	static const char rev_sql[] =
		"INSERT INTO revocation (kind, value, issued_before, purge_after,"
		" created) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (kind, value) DO UPDATE SET"
		" issued_before = max(issued_before, excluded.issued_before),"
		" purge_after = max(purge_after, excluded.purge_after)";
	static const char fam_id_sql[] =
		"UPDATE refresh_family SET revoked = ?2 WHERE id = ?1 AND revoked = 0";
	static const char fam_dev_sql[] =
		"UPDATE refresh_family SET revoked = ?2"
		" WHERE device = ?1 AND revoked = 0";
	static const char fam_user_sql[] =
		"UPDATE refresh_family SET revoked = ?2"
		" WHERE owner = ?1 AND revoked = 0";
	static const char fam_all_sql[] =
		"UPDATE refresh_family SET revoked = ?2"
		" WHERE revoked = 0 AND ?1 = ''";
	/* Device tokens carry the device name in sub, not the owner: revoking
	 * a user also revokes, as of now, every device the user owns. */
	static const char owned_sql[] =
		"INSERT INTO revocation (kind, value, issued_before, purge_after,"
		" created) SELECT 1, name, ?2, ?3, ?4 FROM device WHERE owner = ?1"
		" ON CONFLICT (kind, value) DO UPDATE SET"
		" issued_before = max(issued_before, excluded.issued_before),"
		" purge_after = max(purge_after, excluded.purge_after)";
	static const char owned_fam_sql[] =
		"UPDATE refresh_family SET revoked = ?2 WHERE revoked = 0 AND device"
		" IN (SELECT name FROM device WHERE owner = ?1)";
	const char *fam_sql = NULL;
	sqlite3_stmt *st;

	if ((st = sq_stmt(q, rev_sql, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)kind);
	sq_bind_text(st, 2, value);
	sqlite3_bind_int64(st, 3, issued_before);
	sqlite3_bind_int64(st, 4, purge_after);
	sqlite3_bind_int64(st, 5, now);
	if (sq_step_done(q, rev_sql, st, "recording a revocation", err, errlen) < 0)
		return -1;
	switch (kind) {
	case STORE_REVOKE_FAMILY: fam_sql = fam_id_sql; break;
	case STORE_REVOKE_DEVICE: fam_sql = fam_dev_sql; break;
	case STORE_REVOKE_USER: fam_sql = fam_user_sql; break;
	case STORE_REVOKE_ALL: fam_sql = fam_all_sql; break;
	case STORE_REVOKE_JTI: break;
	}
	if (fam_sql == NULL)
		return 0;
	if ((st = sq_stmt(q, fam_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, value);
	sqlite3_bind_int64(st, 2, now);
	if (sq_step_done(q, fam_sql, st, "revoking refresh families", err,
	                 errlen) < 0)
		return -1;
	if (kind != STORE_REVOKE_USER)
		return 0;
	if ((st = sq_stmt(q, owned_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, value);
	sqlite3_bind_int64(st, 2, issued_before);
	sqlite3_bind_int64(st, 3, purge_after);
	sqlite3_bind_int64(st, 4, now);
	if (sq_step_done(q, owned_sql, st, "revoking the user's devices", err,
	                 errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, owned_fam_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, value);
	sqlite3_bind_int64(st, 2, now);
	return sq_step_done(q, owned_fam_sql, st, "revoking refresh families",
	                    err, errlen);
}

static int
revoke_tx(struct sq *q, enum store_revocation_kind kind, const char *value,
       int64_t issued_before, int64_t purge_after, int64_t now, char *err,
       size_t errlen)
{
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if (sq_revoke_in_tx(q, kind, value, issued_before, purge_after, now, err,
	                    errlen) < 0 ||
	    sq_bump(q, SQ_GEN_REVOCATION, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_revoke_jti(struct store *s, const char *jti, int64_t exp, int64_t now,
              char *err, size_t errlen)
{
	if (store_check_str(jti, STORE_JTI_MAX, 1, "jti", err, errlen) < 0)
		return -1;
	return revoke_tx(SQ(s), STORE_REVOKE_JTI, jti, INT64_MAX, exp, now, err,
	              errlen);
}

int
sq_revoke_family(struct store *s, const char *family, int64_t now, char *err,
                 size_t errlen)
{
	struct store_family f;
	int64_t purge = now + STORE_ACCESS_MAX_LIFETIME;
	int rc;

	if (store_check_str(family, STORE_ID_MAX, 1, "family id", err, errlen) < 0)
		return -1;
	/* Unknown families are still recorded: access tokens may carry the
	 * id of a family already purged. */
	rc = sq_family_get(s, family, &f, NULL, 0);
	if (rc < 0)
		return store_fail(err, errlen, "reading refresh family %s", family);
	if (rc == 0 && f.expires + STORE_ACCESS_MAX_LIFETIME > purge)
		purge = f.expires + STORE_ACCESS_MAX_LIFETIME;
	return revoke_tx(SQ(s), STORE_REVOKE_FAMILY, family, INT64_MAX, purge, now,
	              err, errlen);
}

int
sq_revoke_device(struct store *s, const char *device, int64_t now, char *err,
                 size_t errlen)
{
	char key[CFG_DEVNAME_MAX];

	if (device_key(device, key, err, errlen) < 0)
		return -1;
	return revoke_tx(SQ(s), STORE_REVOKE_DEVICE, key, now,
	              now + STORE_ACCESS_MAX_LIFETIME, now, err, errlen);
}

int
sq_revoke_user(struct store *s, const char *user, int64_t now, char *err,
               size_t errlen)
{
	if (store_check_str(user, STORE_JTI_MAX, 1, "user", err, errlen) < 0)
		return -1;
	return revoke_tx(SQ(s), STORE_REVOKE_USER, user, now,
	              now + STORE_ACCESS_MAX_LIFETIME, now, err, errlen);
}

int
sq_revoke_all(struct store *s, int64_t now, char *err, size_t errlen)
{
	return revoke_tx(SQ(s), STORE_REVOKE_ALL, "", now,
	              now + STORE_ACCESS_MAX_LIFETIME, now, err, errlen);
}

int
sq_token_revoked(struct store *s, const char *jti, const char *dev,
                 const char *sub, const char *family, int64_t iat, char *err,
                 size_t errlen)
{
	/* Five primary-key probes joined by OR (SQLite answers an OR of
	 * indexed terms with one index lookup per term). */
	static const char sql[] =
		"SELECT 1 FROM revocation WHERE"
		" (kind = 0 AND value = ?1)"
		" OR (kind = 1 AND value = ?2 AND issued_before >= ?5)"
		" OR (kind = 2 AND value = ?3 AND issued_before >= ?5)"
		" OR (kind = 3 AND value = ?4)"
		" OR (kind = 4 AND value = '' AND issued_before >= ?5)"
		" LIMIT 1";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX] = "";
	sqlite3_stmt *st;
	int rc;

	if (dev != NULL && store_upper(key, sizeof(key), dev) < 0)
		key[0] = '\0';          /* too long to be a device: no match */
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text_or_null(st, 1, jti);
	sq_bind_text_or_null(st, 2, key);
	sq_bind_text_or_null(st, 3, sub);
	sq_bind_text_or_null(st, 4, family);
	sqlite3_bind_int64(st, 5, iat);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sq_err(q, err, errlen, "checking revocation");
}

int
sq_revocation_list(struct store *s, store_revocation_cb cb, void *ctx,
                   char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT kind, value, issued_before, purge_after, created"
		" FROM revocation ORDER BY kind, value";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_revocation r;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.kind = (enum store_revocation_kind)sqlite3_column_int(st, 0);
		sq_col_copy(st, 1, r.value, sizeof(r.value));
		r.issued_before = sqlite3_column_int64(st, 2);
		r.purge_after = sqlite3_column_int64(st, 3);
		r.created = sqlite3_column_int64(st, 4);
		if ((ret = cb(ctx, &r)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing revocations");
	sq_done(q, sql, st);
	return ret;
}

/* ---- SIP bindings ------------------------------------------------------------------ */

static int
binding_check(const struct store_binding *b, int key_only, char *err,
              size_t errlen)
{
	if (store_check_str(b->aor, sizeof(b->aor), 1, "binding AOR", err,
	                    errlen) < 0 ||
	    store_check_str(b->instance, sizeof(b->instance), 0,
	                    "binding instance", err, errlen) < 0)
		return -1;
	if (key_only)
		return 0;
	if (store_check_str(b->contact, sizeof(b->contact), 1, "binding contact",
	                    err, errlen) < 0 ||
	    store_check_str(b->device, sizeof(b->device), 0, "binding device",
	                    err, errlen) < 0 ||
	    store_check_str(b->node, sizeof(b->node), 0, "binding node", err,
	                    errlen) < 0)
		return -1;
	return 0;
}

static int
binding_write(struct sq *q, const struct store_binding_change *c, char *err,
              size_t errlen)
{
	static const char put_sql[] =
		"INSERT INTO sip_binding (aor, instance, reg_id, contact, device,"
		" node, expires, conn_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT (aor, instance, reg_id) DO UPDATE SET"
		" contact = excluded.contact, device = excluded.device,"
		" node = excluded.node, expires = excluded.expires,"
		" conn_id = excluded.conn_id";
	static const char del_sql[] =
		"DELETE FROM sip_binding WHERE aor = ?1 AND instance = ?2"
		" AND reg_id = ?3";
	const struct store_binding *b = &c->b;
	const char *sql = c->del ? del_sql : put_sql;
	char key[CFG_DEVNAME_MAX];
	sqlite3_stmt *st;

	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, b->aor);
	sq_bind_text(st, 2, b->instance);
	sqlite3_bind_int64(st, 3, b->reg_id);
	if (!c->del) {
		store_upper(key, sizeof(key), b->device);
		sq_bind_text(st, 4, b->contact);
		sq_bind_text(st, 5, key);
		sq_bind_text(st, 6, b->node);
		sqlite3_bind_int64(st, 7, b->expires);
		sqlite3_bind_int64(st, 8, (int64_t)b->conn_id);
	}
	return sq_step_done(q, sql, st, "writing a SIP binding", err, errlen);
}

int
sq_binding_apply(struct store *s, const struct store_binding_change *changes,
                 size_t n, char *err, size_t errlen)
{
	struct sq *q = SQ(s);

	for (size_t i = 0; i < n; i++)
		if (binding_check(&changes[i].b, changes[i].del, err, errlen) < 0)
			return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (binding_write(q, &changes[i], err, errlen) < 0)
			goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_binding_put(struct store *s, const struct store_binding *b, char *err,
               size_t errlen)
{
	struct store_binding_change c;

	c.del = 0;
	c.b = *b;
	return sq_binding_apply(s, &c, 1, err, errlen);
}

int
sq_binding_delete(struct store *s, const char *aor, const char *instance,
                  int64_t reg_id, char *err, size_t errlen)
{
	static const char sql[] =
		"DELETE FROM sip_binding WHERE aor = ?1 AND instance = ?2"
		" AND reg_id = ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_str(aor, STORE_AOR_MAX, 1, "binding AOR", err, errlen) < 0 ||
	    store_check_str(instance, STORE_INSTANCE_MAX, 0, "binding instance",
	                    err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, aor);
	sq_bind_text(st, 2, instance);
	sqlite3_bind_int64(st, 3, reg_id);
	if (sq_step_done(q, sql, st, "deleting a SIP binding", err, errlen) < 0)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "no such SIP binding");
	}
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_binding_drop_node(struct store *s, const char *node, uint64_t conn_id,
                     char *err, size_t errlen)
{
	static const char sql[] =
		"DELETE FROM sip_binding WHERE node = ?1"
		" AND (?2 = 0 OR conn_id = ?2)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_str(node, STORE_NAME_MAX, 0, "node", err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, node);
	sqlite3_bind_int64(st, 2, (int64_t)conn_id);
	if (sq_step_done(q, sql, st, "dropping SIP bindings", err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_binding_purge(struct store *s, int64_t now, uint64_t *removed, char *err,
                 size_t errlen)
{
	static const char sql[] = "DELETE FROM sip_binding WHERE expires <= ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	uint64_t n;

	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	if (sq_step_done(q, sql, st, "purging SIP bindings", err, errlen) < 0)
		goto fail;
	n = (uint64_t)sqlite3_changes(q->db);
	if (sq_commit(q, err, errlen) < 0)
		return -1;
	if (removed != NULL)
		*removed = n;
	return 0;
fail:
	sq_rollback(q);
	return -1;
}

int
sq_binding_list(struct store *s, store_binding_cb cb, void *ctx, char *err,
                size_t errlen)
{
	static const char sql[] =
		"SELECT aor, instance, reg_id, contact, device, node, expires,"
		" conn_id FROM sip_binding ORDER BY aor, instance, reg_id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_binding b;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&b, 0, sizeof(b));
		sq_col_copy(st, 0, b.aor, sizeof(b.aor));
		sq_col_copy(st, 1, b.instance, sizeof(b.instance));
		b.reg_id = sqlite3_column_int64(st, 2);
		sq_col_copy(st, 3, b.contact, sizeof(b.contact));
		sq_col_copy(st, 4, b.device, sizeof(b.device));
		sq_col_copy(st, 5, b.node, sizeof(b.node));
		b.expires = sqlite3_column_int64(st, 6);
		b.conn_id = (uint64_t)sqlite3_column_int64(st, 7);
		if ((ret = cb(ctx, &b)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing SIP bindings");
	sq_done(q, sql, st);
	return ret;
}
