/*
 * sqlite_binding.c - current SIP registrations in SQLite, as oprov-sipd
 * writes them (in batches) and `oprovctl registrations` lists them.  They do
 * not touch either generation.
 */
#include "config.h"

#include <string.h>

#include "store/sqlite_int.h"

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

static int
binding_write(struct sq *q, const struct store_binding_change *c, char *err,
              size_t errlen)
{
	static const char put_sql[] =
		"INSERT INTO sip_binding (aor, instance, reg_id, contact, device,"
		" node, expires, conn_id, firmware, path) VALUES (?1, ?2, ?3, ?4, ?5,"
		" ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT (aor, instance, reg_id) DO UPDATE SET"
		" contact = excluded.contact, device = excluded.device,"
		" node = excluded.node, expires = excluded.expires,"
		" conn_id = excluded.conn_id, firmware = excluded.firmware,"
		" path = excluded.path";
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
		sq_bind_text(st, 9, b->firmware);
		sq_bind_text(st, 10, b->path);
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
		" conn_id, firmware, path FROM sip_binding ORDER BY aor, instance, reg_id";
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
		sq_col_copy(st, 8, b.firmware, sizeof(b.firmware));
		sq_col_copy(st, 9, b.path, sizeof(b.path));
		if ((ret = cb(ctx, &b)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing SIP bindings");
	sq_done(q, sql, st);
	return ret;
}
