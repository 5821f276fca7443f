/*
 * pg_action.c - Apply Config / reset / restart requests in PostgreSQL: the
 * newest request per device, the pending ones a node's bindings can carry,
 * and the state oprov-sipd writes back.  Rules and words are those of
 * sqlite_action.c; no config generation is bumped (a request changes no
 * config).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store/pg_int.h"

static int
action_ok(const char *action, char *err, size_t errlen)
{
	if (strcmp(action, "apply") == 0 || strcmp(action, "reset") == 0 ||
	    strcmp(action, "restart") == 0)
		return 0;
	return store_fail(err, errlen, "action must be apply, reset or restart");
}

int
pg_action_request(struct store *s, const char *device, const char *action,
                  int64_t now, int64_t *seq, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	PGresult *res;
	int64_t n;

	if (store_check_str(device, STORE_DEVICE_NAME_MAX, 1, "device", err, errlen) < 0 ||
	    action_ok(action, err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if ((res = pg_run(c, "recording a device action", err, errlen,
	                  "SELECT 1 FROM device WHERE name = $1", "t", device)) == NULL)
		goto fail;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "device %s does not exist", device);
	}
	res = pg_run(c, "recording a device action", err, errlen,
	             "INSERT INTO device_action (device, action, seq, state, code,"
	             " node, requested, updated) VALUES ($1, $2, 1, 'pending', 0,"
	             " '', $3, $3) ON CONFLICT (device) DO UPDATE SET"
	             " action = excluded.action, seq = device_action.seq + 1,"
	             " state = 'pending', code = 0, node = '',"
	             " requested = excluded.requested, updated = excluded.updated"
	             " RETURNING seq", "tti", device, action, now);
	if (res == NULL)
		goto fail;
	n = pg_col_int(res, 0, 0);
	PQclear(res);
	if (pg_commit(c, err, errlen) < 0)
		return -1;
	if (seq != NULL)
		*seq = n;
	return 0;
fail:
	pg_rollback(c);
	return -1;
}

#define ACTION_COLS "a.device, a.action, a.seq, a.state, a.code, a.node," \
	" a.requested, a.updated"

/* The columns both SELECTs start with, into a. */
static void
action_from_row(const PGresult *res, int r, struct store_action *a)
{
	memset(a, 0, sizeof(*a));
	pg_col_copy(res, r, 0, a->device, sizeof(a->device));
	pg_col_copy(res, r, 1, a->action, sizeof(a->action));
	a->seq = pg_col_int(res, r, 2);
	pg_col_copy(res, r, 3, a->state, sizeof(a->state));
	a->code = pg_col_int(res, r, 4);
	pg_col_copy(res, r, 5, a->node, sizeof(a->node));
	a->requested = pg_col_int(res, r, 6);
	a->updated = pg_col_int(res, r, 7);
}

int
pg_action_get(struct store *s, const char *device, struct store_action *out,
              char *err, size_t errlen)
{
	PGresult *res = pg_run(PG(s), "reading a device action", err, errlen,
	                       "SELECT " ACTION_COLS " FROM device_action a"
	                       " WHERE a.device = $1", "t", device);
	int ret = 0;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		ret = store_notfound(err, errlen, "no action was requested for %s", device);
	else
		action_from_row(res, 0, out);
	PQclear(res);
	return ret;
}

static int
pending_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
            char *err, size_t errlen)
{
	struct store_action a;

	(void)c;
	(void)err;
	(void)errlen;
	action_from_row(res, r, &a);
	a.conn_id = (uint64_t)pg_col_int(res, r, 8);
	pg_col_copy(res, r, 9, a.aor, sizeof(a.aor));
	pg_col_copy(res, r, 10, a.contact, sizeof(a.contact));
	pg_col_copy(res, r, 11, a.path, sizeof(a.path));
	return ((store_action_cb)cb)(ctx, &a);
}

int
pg_action_pending(struct store *s, const char *node, store_action_cb cb,
                  void *ctx, char *err, size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing pending device actions", err, errlen,
	                         "SELECT " ACTION_COLS ", b.conn_id, b.aor,"
	                         " b.contact, b.path FROM device_action a"
	                         " JOIN sip_binding b ON b.device = a.device"
	                         " WHERE a.state = 'pending' AND b.node = $1"
	                         " ORDER BY a.device", "t", node),
	               pending_row, (void *)cb, ctx, err, errlen);
}

int
pg_action_update(struct store *s, const struct store_action *a, char *err,
                 size_t errlen)
{
	struct pg *c = PG(s);

	if (store_check_str(a->state, STORE_ACTION_STATE_MAX, 1, "state", err, errlen) < 0 ||
	    store_check_str(a->node, STORE_NAME_MAX, 0, "node", err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "updating a device action", err, errlen, NULL,
	          "UPDATE device_action SET state = $3, code = $4, node = $5,"
	          " updated = $6 WHERE device = $1 AND seq = $2", "tititi",
	          a->device, a->seq, a->state, a->code, a->node, a->updated) < 0) {
		pg_rollback(c);
		return -1;
	}
	return pg_commit(c, err, errlen);
}
