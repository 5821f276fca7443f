/*
 * sqlite_revoke.c - revocations in SQLite: by token id, refresh family,
 * device, user or all tokens issued before a time; the check every token
 * use makes; the list daemons load.  Every revocation bumps the revocation
 * generation and revokes the refresh families it covers.
 */
#include "config.h"

#include <string.h>

#include "store/sqlite_int.h"

/* The statement that marks revoked the refresh families a revocation of
 * this kind covers (?1 the value, ?2 now), or NULL for none. */
static const char *
family_sql(enum store_revocation_kind kind)
{
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

	switch (kind) {
	case STORE_REVOKE_FAMILY: return fam_id_sql;
	case STORE_REVOKE_DEVICE: return fam_dev_sql;
	case STORE_REVOKE_USER: return fam_user_sql;
	case STORE_REVOKE_ALL: return fam_all_sql;
	case STORE_REVOKE_JTI: break;
	}
	return NULL;
}

/* Device tokens carry the device name in sub, not the owner: revoking a
 * user also revokes, as of now, every device the user owns and their
 * refresh families. */
static int
revoke_owned_devices(struct sq *q, const char *user, int64_t issued_before,
                     int64_t purge_after, int64_t now, char *err, size_t errlen)
{
	static const char owned_sql[] =
		"INSERT INTO revocation (kind, value, issued_before, purge_after,"
		" created) SELECT 1, name, ?2, ?3, ?4 FROM device WHERE owner = ?1"
		" ON CONFLICT (kind, value) DO UPDATE SET"
		" issued_before = max(issued_before, excluded.issued_before),"
		" purge_after = max(purge_after, excluded.purge_after)";
	static const char owned_fam_sql[] =
		"UPDATE refresh_family SET revoked = ?2 WHERE revoked = 0 AND device"
		" IN (SELECT name FROM device WHERE owner = ?1)";
	sqlite3_stmt *st;

	if ((st = sq_stmt(q, owned_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, user);
	sqlite3_bind_int64(st, 2, issued_before);
	sqlite3_bind_int64(st, 3, purge_after);
	sqlite3_bind_int64(st, 4, now);
	if (sq_step_done(q, owned_sql, st, "revoking the user's devices", err,
	                 errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, owned_fam_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, user);
	sqlite3_bind_int64(st, 2, now);
	return sq_step_done(q, owned_fam_sql, st, "revoking refresh families",
	                    err, errlen);
}

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
	const char *fam_sql = family_sql(kind);
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
	return revoke_owned_devices(q, value, issued_before, purge_after, now, err,
	                            errlen);
}

/* One revocation in its own transaction. */
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

	if (store_device_key(device, key, err, errlen) < 0)
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
