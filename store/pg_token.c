/*
 * pg_token.c - token state in PostgreSQL: refresh-token families and
 * rotation with reuse detection (RFC 9700 §4.14.2), revocations (each one
 * bumps the revocation generation and notifies every node), and the SIP
 * bindings oprov-sipd writes.  Rules and words are those of
 * sqlite_refresh.c, sqlite_revoke.c and sqlite_binding.c.
 */
#include "config.h"

#include <string.h>

#include "store/pg_int.h"

/* ---- families ------------------------------------------------------------------- */

#define FAMILY_COLS "f.id, f.device, f.owner, f.client_id, f.scope," \
	" f.created, f.expires, f.revoked"

static void
family_from_row(const PGresult *res, int r, int col, struct store_family *f)
{
	memset(f, 0, sizeof(*f));
	pg_col_copy(res, r, col + 0, f->id, sizeof(f->id));
	pg_col_copy(res, r, col + 1, f->device, sizeof(f->device));
	pg_col_copy(res, r, col + 2, f->owner, sizeof(f->owner));
	pg_col_copy(res, r, col + 3, f->client_id, sizeof(f->client_id));
	pg_col_copy(res, r, col + 4, f->scope, sizeof(f->scope));
	f->created = pg_col_int(res, r, col + 5);
	f->expires = pg_col_int(res, r, col + 6);
	f->revoked = pg_col_int(res, r, col + 7);
}

static int
token_insert(struct pg *c, const char *hash, const char *family,
             int64_t created, char *err, size_t errlen)
{
	if (pg_do(c, "recording a refresh token", err, errlen, NULL,
	          "INSERT INTO refresh_token (hash, family, state, created)"
	          " VALUES ($1, $2, 0, $3)", "tti", hash, family, created) == 0)
		return 0;
	if (pg_state_is(c, PG_UNIQUE_VIOLATION))
		store_fail(err, errlen, "refresh token hash already recorded; "
		           "generate a new token");
	return -1;
}

static int
family_check(const struct store_family *f, const char *token_hash, char *err,
             size_t errlen)
{
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
	return 0;
}

/* Checks family f and inserts it with token_hash as its current token, in
 * the caller's transaction.  0 / -1. */
int
pg_family_insert(struct pg *c, const struct store_family *f,
                 const char *token_hash, char *err, size_t errlen)
{
	char key[CFG_DEVNAME_MAX] = "";

	if (family_check(f, token_hash, err, errlen) < 0)
		return -1;
	store_upper(key, sizeof(key), f->device);
	if (pg_do(c, "creating a refresh family", err, errlen, NULL,
	          "INSERT INTO refresh_family (id, device, owner, client_id,"
	          " scope, created, expires) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	          "tttttii", f->id, key, f->owner, f->client_id, f->scope,
	          f->created, f->expires) < 0) {
		if (pg_state_is(c, PG_UNIQUE_VIOLATION))
			store_fail(err, errlen, "refresh family %s already exists",
			           f->id);
		return -1;
	}
	return token_insert(c, token_hash, f->id, f->created, err, errlen);
}

int
pg_family_create(struct store *s, const struct store_family *f,
                 const char *token_hash, char *err, size_t errlen)
{
	struct pg *c = PG(s);

	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_family_insert(c, f, token_hash, err, errlen) < 0) {
		pg_rollback(c);
		return -1;
	}
	return pg_commit(c, err, errlen);
}

int
pg_family_get(struct store *s, const char *id, struct store_family *out,
              char *err, size_t errlen)
{
	PGresult *res;
	int ret = 0;

	if (store_check_str(id, STORE_ID_MAX, 1, "family id", err, errlen) < 0)
		return -1;
	res = pg_run(PG(s), "reading a refresh family", err, errlen,
	             "SELECT " FAMILY_COLS " FROM refresh_family f WHERE f.id = $1",
	             "t", id);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		family_from_row(res, 0, 0, out);
	else
		ret = store_notfound(err, errlen, "refresh family %s does not exist",
		                     id);
	PQclear(res);
	return ret;
}

static int
family_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
           char *err, size_t errlen)
{
	struct store_family f;

	(void)c;
	(void)err;
	(void)errlen;
	family_from_row(res, r, 0, &f);
	return ((store_family_cb)cb)(ctx, &f);
}

int
pg_family_list(struct store *s, store_family_cb cb, void *ctx, char *err,
               size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing refresh families", err, errlen,
	                         "SELECT " FAMILY_COLS " FROM refresh_family f"
	                         " ORDER BY f.created, f.id", NULL),
	               family_row, (void *)cb, ctx, err, errlen);
}

/* ---- rotation ---------------------------------------------------------------------- */

/* 1 found (f, *current filled), 0 unknown, -1 error. */
static int
token_lookup(struct pg *c, const char *hash, struct store_family *f,
             int *current, char *err, size_t errlen)
{
	PGresult *res = pg_run(c, "looking up a refresh token", err, errlen,
	                       "SELECT t.state, " FAMILY_COLS
	                       " FROM refresh_token t JOIN refresh_family f"
	                       " ON f.id = t.family WHERE t.hash = $1", "t", hash);
	int found;

	if (res == NULL)
		return -1;
	if ((found = PQntuples(res) == 1)) {
		*current = pg_col_int(res, 0, 0) == 0;
		family_from_row(res, 0, 1, f);
	}
	PQclear(res);
	return found;
}

int
pg_refresh_find(struct store *s, const char *token_hash,
                struct store_family *out, int *is_current, char *err,
                size_t errlen)
{
	int rc, current;

	if (store_check_str(token_hash, STORE_HASH_MAX, 1, "refresh token hash",
	                    err, errlen) < 0)
		return -1;
	rc = token_lookup(PG(s), token_hash, out, &current, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return store_notfound(err, errlen, "unknown refresh token");
	if (is_current != NULL)
		*is_current = current;
	return 0;
}

int
pg_refresh_rotate(struct store *s, const char *old_hash, const char *new_hash,
                  int64_t now, struct store_family *fam_out, char *err,
                  size_t errlen)
{
	struct pg *c = PG(s);
	struct store_family f;
	uint64_t n = 0;
	int rc, current;

	if (store_check_str(old_hash, STORE_HASH_MAX, 1, "refresh token hash",
	                    err, errlen) < 0 ||
	    store_check_str(new_hash, STORE_HASH_MAX, 1, "refresh token hash",
	                    err, errlen) < 0)
		return -1;
	/* Under the writer lock: of two nodes presenting the same token at
	 * once, exactly one sees it current. */
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if ((rc = token_lookup(c, old_hash, &f, &current, err, errlen)) < 0)
		goto fail;
	if (rc == 0 || f.revoked != 0 || f.expires <= now) {
		pg_rollback(c);
		return STORE_ROTATE_INVALID;
	}
	if (!current) {
		if (pg_revoke_in_tx(c, STORE_REVOKE_FAMILY, f.id, INT64_MAX,
		                    f.expires + STORE_ACCESS_MAX_LIFETIME, now, err,
		                    errlen) < 0 ||
		    pg_bump(c, PG_GEN_REVOCATION, err, errlen) < 0 ||
		    pg_commit(c, err, errlen) < 0)
			goto fail;
		f.revoked = now;
		if (fam_out != NULL)
			*fam_out = f;
		return STORE_ROTATE_REUSED;
	}
	if (pg_do(c, "rotating a refresh token", err, errlen, &n,
	          "UPDATE refresh_token SET state = 1 WHERE hash = $1"
	          " AND state = 0", "t", old_hash) < 0)
		goto fail;
	if (n != 1) {
		store_fail(err, errlen, "refresh rotation lost a race it cannot "
		           "lose under the write lock");
		goto fail;
	}
	/* The newest STORE_FAMILY_ROTATED_KEEP rotated tokens stay (store.h). */
	if (token_insert(c, new_hash, f.id, now, err, errlen) < 0 ||
	    pg_do(c, "trimming rotated refresh tokens", err, errlen, NULL,
	          "DELETE FROM refresh_token WHERE family = $1 AND state = 1"
	          " AND hash NOT IN (SELECT hash FROM refresh_token"
	          "  WHERE family = $1 AND state = 1 ORDER BY created DESC, hash"
	          "  LIMIT " STORE_FAMILY_ROTATED_KEEP_STR ")", "t", f.id) < 0 ||
	    pg_commit(c, err, errlen) < 0)
		goto fail;
	if (fam_out != NULL)
		*fam_out = f;
	return STORE_ROTATE_OK;
fail:
	pg_rollback(c);
	return -1;
}

/* ---- revocations --------------------------------------------------------------------- */

static const char *
family_sql(enum store_revocation_kind kind)
{
	switch (kind) {
	case STORE_REVOKE_FAMILY:
		return "UPDATE refresh_family SET revoked = $2 WHERE id = $1"
		       " AND revoked = 0";
	case STORE_REVOKE_DEVICE:
		return "UPDATE refresh_family SET revoked = $2 WHERE device = $1"
		       " AND revoked = 0";
	case STORE_REVOKE_USER:
		return "UPDATE refresh_family SET revoked = $2 WHERE owner = $1"
		       " AND revoked = 0";
	case STORE_REVOKE_ALL:
		return "UPDATE refresh_family SET revoked = $2 WHERE revoked = 0"
		       " AND $1 = ''";
	case STORE_REVOKE_JTI:
		break;
	}
	return NULL;
}

#define REV_UPSERT " ON CONFLICT (kind, value) DO UPDATE SET" \
	" issued_before = GREATEST(revocation.issued_before," \
	" excluded.issued_before)," \
	" purge_after = GREATEST(revocation.purge_after, excluded.purge_after)"

int
pg_revoke_in_tx(struct pg *c, enum store_revocation_kind kind,
                const char *value, int64_t issued_before, int64_t purge_after,
                int64_t now, char *err, size_t errlen)
{
	const char *fam = family_sql(kind);

	if (pg_do(c, "recording a revocation", err, errlen, NULL,
	          "INSERT INTO revocation (kind, value, issued_before,"
	          " purge_after, created) VALUES ($1, $2, $3, $4, $5)" REV_UPSERT,
	          "itiii", (int64_t)kind, value, issued_before, purge_after,
	          now) < 0)
		return -1;
	if (fam != NULL && pg_do(c, "revoking refresh families", err, errlen,
	                         NULL, fam, "ti", value, now) < 0)
		return -1;
	if (kind != STORE_REVOKE_USER)
		return 0;
	/* Device tokens carry the device in sub: a user's devices go too. */
	if (pg_do(c, "revoking the user's devices", err, errlen, NULL,
	          "INSERT INTO revocation (kind, value, issued_before,"
	          " purge_after, created) SELECT 1, name, $2, $3, $4 FROM device"
	          " WHERE owner = $1" REV_UPSERT, "tiii", value, issued_before,
	          purge_after, now) < 0)
		return -1;
	return pg_do(c, "revoking refresh families", err, errlen, NULL,
	             "UPDATE refresh_family SET revoked = $2 WHERE revoked = 0"
	             " AND device IN (SELECT name FROM device WHERE owner = $1)",
	             "ti", value, now);
}

static int
revoke_tx(struct pg *c, enum store_revocation_kind kind, const char *value,
          int64_t issued_before, int64_t purge_after, int64_t now, char *err,
          size_t errlen)
{
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_revoke_in_tx(c, kind, value, issued_before, purge_after, now, err,
	                    errlen) < 0 ||
	    pg_bump(c, PG_GEN_REVOCATION, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_revoke_jti(struct store *s, const char *jti, int64_t exp, int64_t now,
              char *err, size_t errlen)
{
	if (store_check_str(jti, STORE_JTI_MAX, 1, "jti", err, errlen) < 0)
		return -1;
	return revoke_tx(PG(s), STORE_REVOKE_JTI, jti, INT64_MAX, exp, now, err,
	                 errlen);
}

int
pg_revoke_family(struct store *s, const char *family, int64_t now, char *err,
                 size_t errlen)
{
	struct store_family f;
	int64_t purge = now + STORE_ACCESS_MAX_LIFETIME;
	int rc;

	if (store_check_str(family, STORE_ID_MAX, 1, "family id", err, errlen) < 0)
		return -1;
	rc = pg_family_get(s, family, &f, NULL, 0);
	if (rc < 0)
		return store_fail(err, errlen, "reading refresh family %s", family);
	if (rc == 0 && f.expires + STORE_ACCESS_MAX_LIFETIME > purge)
		purge = f.expires + STORE_ACCESS_MAX_LIFETIME;
	return revoke_tx(PG(s), STORE_REVOKE_FAMILY, family, INT64_MAX, purge, now,
	                 err, errlen);
}

int
pg_revoke_device(struct store *s, const char *device, int64_t now, char *err,
                 size_t errlen)
{
	char key[CFG_DEVNAME_MAX];

	if (store_device_key(device, key, err, errlen) < 0)
		return -1;
	return revoke_tx(PG(s), STORE_REVOKE_DEVICE, key, now,
	                 now + STORE_ACCESS_MAX_LIFETIME, now, err, errlen);
}

int
pg_revoke_user(struct store *s, const char *user, int64_t now, char *err,
               size_t errlen)
{
	if (store_check_str(user, STORE_JTI_MAX, 1, "user", err, errlen) < 0)
		return -1;
	return revoke_tx(PG(s), STORE_REVOKE_USER, user, now,
	                 now + STORE_ACCESS_MAX_LIFETIME, now, err, errlen);
}

int
pg_revoke_all(struct store *s, int64_t now, char *err, size_t errlen)
{
	return revoke_tx(PG(s), STORE_REVOKE_ALL, "", now,
	                 now + STORE_ACCESS_MAX_LIFETIME, now, err, errlen);
}

int
pg_token_revoked(struct store *s, const char *jti, const char *dev,
                 const char *sub, const char *family, int64_t iat, char *err,
                 size_t errlen)
{
	char key[CFG_DEVNAME_MAX] = "";
	PGresult *res;
	int found;

	if (dev != NULL && store_upper(key, sizeof(key), dev) < 0)
		key[0] = '\0';          /* too long to be a device: no match */
	res = pg_run(PG(s), "checking revocation", err, errlen,
	             "SELECT 1 FROM revocation WHERE"
	             " (kind = 0 AND value = $1)"
	             " OR (kind = 1 AND value = $2 AND issued_before >= $5)"
	             " OR (kind = 2 AND value = $3 AND issued_before >= $5)"
	             " OR (kind = 3 AND value = $4)"
	             " OR (kind = 4 AND value = '' AND issued_before >= $5)"
	             " LIMIT 1", "nnnni", jti, key, sub, family, iat);
	if (res == NULL)
		return -1;
	found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

static int
revocation_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
               char *err, size_t errlen)
{
	struct store_revocation rv;

	(void)c;
	(void)err;
	(void)errlen;
	memset(&rv, 0, sizeof(rv));
	rv.kind = (enum store_revocation_kind)pg_col_int(res, r, 0);
	pg_col_copy(res, r, 1, rv.value, sizeof(rv.value));
	rv.issued_before = pg_col_int(res, r, 2);
	rv.purge_after = pg_col_int(res, r, 3);
	rv.created = pg_col_int(res, r, 4);
	return ((store_revocation_cb)cb)(ctx, &rv);
}

int
pg_revocation_list(struct store *s, store_revocation_cb cb, void *ctx,
                   char *err, size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing revocations", err, errlen,
	                         "SELECT kind, value, issued_before, purge_after,"
	                         " created FROM revocation ORDER BY kind, value",
	                         NULL),
	               revocation_row, (void *)cb, ctx, err, errlen);
}

/* ---- SIP bindings ------------------------------------------------------------------- */

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
	                    errlen) < 0 ||
	    store_check_str(b->firmware, sizeof(b->firmware), 0, "binding firmware",
	                    err, errlen) < 0 ||
	    store_check_str(b->path, sizeof(b->path), 0, "binding path", err, errlen) < 0)
		return -1;
	return 0;
}

static const char binding_del_sql[] =
	"DELETE FROM sip_binding WHERE aor = $1 AND instance = $2"
	" AND reg_id = $3";

static int
binding_write(struct pg *c, const struct store_binding_change *ch, char *err,
              size_t errlen)
{
	const struct store_binding *b = &ch->b;
	char key[CFG_DEVNAME_MAX];

	if (ch->del)
		return pg_do(c, "writing a SIP binding", err, errlen, NULL,
		             binding_del_sql, "tti", b->aor, b->instance, b->reg_id);
	store_upper(key, sizeof(key), b->device);
	return pg_do(c, "writing a SIP binding", err, errlen, NULL,
	             "INSERT INTO sip_binding (aor, instance, reg_id, contact,"
	             " device, node, expires, conn_id, firmware, path) VALUES ($1,"
	             " $2, $3, $4, $5, $6, $7, $8, $9, $10)"
	             " ON CONFLICT (aor, instance, reg_id) DO UPDATE"
	             " SET contact = excluded.contact, device = excluded.device,"
	             " node = excluded.node, expires = excluded.expires,"
	             " conn_id = excluded.conn_id, firmware = excluded.firmware,"
	             " path = excluded.path", "ttitttiitt", b->aor,
	             b->instance, b->reg_id, b->contact, key, b->node, b->expires,
	             (int64_t)b->conn_id, b->firmware, b->path);
}

int
pg_binding_apply(struct store *s, const struct store_binding_change *changes,
                 size_t n, char *err, size_t errlen)
{
	struct pg *c = PG(s);

	for (size_t i = 0; i < n; i++)
		if (binding_check(&changes[i].b, changes[i].del, err, errlen) < 0)
			return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (binding_write(c, &changes[i], err, errlen) < 0)
			goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_binding_put(struct store *s, const struct store_binding *b, char *err,
               size_t errlen)
{
	struct store_binding_change ch;

	ch.del = 0;
	ch.b = *b;
	return pg_binding_apply(s, &ch, 1, err, errlen);
}

int
pg_binding_delete(struct store *s, const char *aor, const char *instance,
                  int64_t reg_id, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	uint64_t n = 0;

	if (store_check_str(aor, STORE_AOR_MAX, 1, "binding AOR", err, errlen) < 0 ||
	    store_check_str(instance, STORE_INSTANCE_MAX, 0, "binding instance",
	                    err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "deleting a SIP binding", err, errlen, &n, binding_del_sql,
	          "tti", aor, instance, reg_id) < 0) {
		pg_rollback(c);
		return -1;
	}
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "no such SIP binding");
	}
	return pg_commit(c, err, errlen);
}

int
pg_binding_drop_node(struct store *s, const char *node, uint64_t conn_id,
                     char *err, size_t errlen)
{
	struct pg *c = PG(s);

	if (store_check_str(node, STORE_NAME_MAX, 0, "node", err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "dropping SIP bindings", err, errlen, NULL,
	          "DELETE FROM sip_binding WHERE node = $1"
	          " AND ($2 = 0 OR conn_id = $2)", "ti", node,
	          (int64_t)conn_id) < 0) {
		pg_rollback(c);
		return -1;
	}
	return pg_commit(c, err, errlen);
}

int
pg_binding_purge(struct store *s, int64_t now, uint64_t *removed, char *err,
                 size_t errlen)
{
	struct pg *c = PG(s);
	uint64_t n = 0;

	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "purging SIP bindings", err, errlen, &n,
	          "DELETE FROM sip_binding WHERE expires <= $1", "i", now) < 0) {
		pg_rollback(c);
		return -1;
	}
	if (pg_commit(c, err, errlen) < 0)
		return -1;
	if (removed != NULL)
		*removed = n;
	return 0;
}

static int
binding_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
            char *err, size_t errlen)
{
	struct store_binding b;

	(void)c;
	(void)err;
	(void)errlen;
	memset(&b, 0, sizeof(b));
	pg_col_copy(res, r, 0, b.aor, sizeof(b.aor));
	pg_col_copy(res, r, 1, b.instance, sizeof(b.instance));
	b.reg_id = pg_col_int(res, r, 2);
	pg_col_copy(res, r, 3, b.contact, sizeof(b.contact));
	pg_col_copy(res, r, 4, b.device, sizeof(b.device));
	pg_col_copy(res, r, 5, b.node, sizeof(b.node));
	b.expires = pg_col_int(res, r, 6);
	b.conn_id = (uint64_t)pg_col_int(res, r, 7);
	pg_col_copy(res, r, 8, b.firmware, sizeof(b.firmware));
	pg_col_copy(res, r, 9, b.path, sizeof(b.path));
	return ((store_binding_cb)cb)(ctx, &b);
}

int
pg_binding_list(struct store *s, store_binding_cb cb, void *ctx, char *err,
                size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing SIP bindings", err, errlen,
	                         "SELECT aor, instance, reg_id, contact, device,"
	                         " node, expires, conn_id, firmware, path"
	                         " FROM sip_binding ORDER BY aor, instance, reg_id",
	                         NULL),
	               binding_row, (void *)cb, ctx, err, errlen);
}
