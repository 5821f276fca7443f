/*
 * sqlite_action.c - Apply Config / reset / restart requests in SQLite: the
 * newest request per device, the pending ones a node's bindings can carry,
 * and the state oprov-sipd writes back.  No config generation is bumped:
 * a request changes no config.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

static int
action_ok(const char *action, char *err, size_t errlen)
{
	if (strcmp(action, "apply") == 0 || strcmp(action, "reset") == 0 ||
	    strcmp(action, "restart") == 0)
		return 0;
	snprintf(err, errlen, "action must be apply, reset or restart");
	return -1;
}

int
sq_action_request(struct store *s, const char *device, const char *action, int64_t now,
                  int64_t *seq, char *err, size_t errlen)
{
	static const char sql[] =
		"INSERT INTO device_action (device, action, seq, state, code, node,"
		" requested, updated) VALUES (?1, ?2, 1, 'pending', 0, '', ?3, ?3)"
		" ON CONFLICT (device) DO UPDATE SET action = excluded.action,"
		" seq = device_action.seq + 1, state = 'pending', code = 0, node = '',"
		" requested = excluded.requested, updated = excluded.updated";
	static const char get[] = "SELECT seq FROM device_action WHERE device = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t n = 0;

	if (store_check_str(device, STORE_DEVICE_NAME_MAX, 1, "device", err, errlen) < 0 ||
	    action_ok(action, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if (sq_count1(q, "SELECT count(*) FROM device WHERE name = ?1", device, &n, err,
	              errlen) < 0)
		goto fail;
	if (n == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "device %s does not exist", device);
	}
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, device);
	sq_bind_text(st, 2, action);
	sqlite3_bind_int64(st, 3, now);
	if (sq_step_done(q, sql, st, "recording a device action", err, errlen) < 0)
		goto fail;
	if ((st = sq_stmt(q, get, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, device);
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sq_done(q, get, st);
	if (seq != NULL)
		*seq = n;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

/* The columns both SELECTs start with, into a. */
static void
action_row(sqlite3_stmt *st, struct store_action *a)
{
	memset(a, 0, sizeof(*a));
	sq_col_copy(st, 0, a->device, sizeof(a->device));
	sq_col_copy(st, 1, a->action, sizeof(a->action));
	a->seq = sqlite3_column_int64(st, 2);
	sq_col_copy(st, 3, a->state, sizeof(a->state));
	a->code = sqlite3_column_int64(st, 4);
	sq_col_copy(st, 5, a->node, sizeof(a->node));
	a->requested = sqlite3_column_int64(st, 6);
	a->updated = sqlite3_column_int64(st, 7);
}

int
sq_action_get(struct store *s, const char *device, struct store_action *out, char *err,
              size_t errlen)
{
	static const char sql[] =
		"SELECT device, action, seq, state, code, node, requested, updated"
		" FROM device_action WHERE device = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, device);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		action_row(st, out);
	sq_done(q, sql, st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return store_notfound(err, errlen, "no action was requested for %s", device);
	return sq_err(q, err, errlen, "reading a device action");
}

int
sq_action_pending(struct store *s, const char *node, store_action_cb cb, void *ctx,
                  char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT a.device, a.action, a.seq, a.state, a.code, a.node, a.requested,"
		" a.updated, b.conn_id, b.aor, b.contact, b.path FROM device_action a"
		" JOIN sip_binding b ON b.device = a.device"
		" WHERE a.state = 'pending' AND b.node = ?1 ORDER BY a.device";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_action a;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, node);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		action_row(st, &a);
		a.conn_id = (uint64_t)sqlite3_column_int64(st, 8);
		sq_col_copy(st, 9, a.aor, sizeof(a.aor));
		sq_col_copy(st, 10, a.contact, sizeof(a.contact));
		sq_col_copy(st, 11, a.path, sizeof(a.path));
		if ((ret = cb(ctx, &a)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing pending device actions");
	sq_done(q, sql, st);
	return ret;
}

int
sq_action_update(struct store *s, const struct store_action *a, char *err,
                 size_t errlen)
{
	static const char sql[] =
		"UPDATE device_action SET state = ?3, code = ?4, node = ?5, updated = ?6"
		" WHERE device = ?1 AND seq = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_str(a->state, STORE_ACTION_STATE_MAX, 1, "state", err, errlen) < 0 ||
	    store_check_str(a->node, STORE_NAME_MAX, 0, "node", err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, a->device);
	sqlite3_bind_int64(st, 2, a->seq);
	sq_bind_text(st, 3, a->state);
	sqlite3_bind_int64(st, 4, a->code);
	sq_bind_text(st, 5, a->node);
	sqlite3_bind_int64(st, 6, a->updated);
	if (sq_step_done(q, sql, st, "updating a device action", err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}
