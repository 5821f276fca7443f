/*
 * sqlite_cluster.c - what several nodes on one store need, in SQLite (one
 * machine; the same operations keep every program's code the same): the
 * change wait (a plain sleep: daemons poll the generation), the publisher,
 * heartbeats, shared counters and the housekeeping claim.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "store/sqlite_int.h"

int
sq_wait_change(struct store *s, int wake_fd, unsigned timeout_ms, char *err,
               size_t errlen)
{
	struct pollfd pfd = { wake_fd, POLLIN, 0 };

	(void)s;
	/* PRAGMA data_version makes each generation read cheap; nothing
	 * announces a commit of another process, so the wait is the poll
	 * interval. */
	if (poll(&pfd, wake_fd >= 0 ? 1 : 0, (int)timeout_ms) < 0 &&
	    errno != EINTR)
		return store_fail(err, errlen, "poll: %s", strerror(errno));
	return 0;
}

int
sq_publisher_get(struct store *s, char *node, size_t nodelen, char *err,
                 size_t errlen)
{
	static const char sql[] = "SELECT publisher FROM cluster WHERE id = 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_col_copy(st, 0, node, nodelen);
	sq_done(q, sql, st);
	if (rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading the publisher");
	if (node[0] == '\0')
		return store_notfound(err, errlen, "no publisher is recorded");
	return 0;
}

int
sq_publisher_set(struct store *s, const char *node, char *err, size_t errlen)
{
	static const char exists_sql[] = "SELECT 1 FROM node WHERE name = ?1";
	static const char sql[] = "UPDATE cluster SET publisher = ?1 WHERE id = 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (store_check_str(node, STORE_NAME_MAX, 1, "node name", err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, exists_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, node);
	rc = sqlite3_step(st);
	sq_done(q, exists_sql, st);
	if (rc == SQLITE_DONE) {
		sq_rollback(q);
		return store_notfound(err, errlen, "node %s does not exist", node);
	}
	if (rc != SQLITE_ROW) {
		sq_err(q, err, errlen, "looking up a node");
		goto fail;
	}
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, node);
	if (sq_step_done(q, sql, st, "setting the publisher", err, errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_heartbeat_put(struct store *s, const struct store_heartbeat *h, char *err,
                 size_t errlen)
{
	static const char sql[] =
		"INSERT INTO heartbeat (node, program, pid, serves, started, seen)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (node, program)"
		" DO UPDATE SET pid = excluded.pid, serves = excluded.serves,"
		" started = excluded.started, seen = excluded.seen";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_heartbeat(h, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, h->node);
	sq_bind_text(st, 2, h->program);
	sqlite3_bind_int64(st, 3, h->pid);
	sq_bind_text(st, 4, h->serves);
	sqlite3_bind_int64(st, 5, h->started);
	sqlite3_bind_int64(st, 6, h->seen);
	if (sq_step_done(q, sql, st, "writing a heartbeat", err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_heartbeat_list(struct store *s, store_heartbeat_cb cb, void *ctx,
                  char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT node, program, pid, serves, started, seen FROM heartbeat"
		" ORDER BY node, program";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct store_heartbeat h;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		sq_col_copy(st, 0, h.node, sizeof(h.node));
		sq_col_copy(st, 1, h.program, sizeof(h.program));
		h.pid = sqlite3_column_int64(st, 2);
		sq_col_copy(st, 3, h.serves, sizeof(h.serves));
		h.started = sqlite3_column_int64(st, 4);
		h.seen = sqlite3_column_int64(st, 5);
		if ((ret = cb(ctx, &h)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing heartbeats");
	sq_done(q, sql, st);
	return ret;
}

int
sq_counter_hit(struct store *s, const char *name, int64_t now, int64_t window,
               int64_t add, int64_t *hits, char *err, size_t errlen)
{
	static const char hit_sql[] =
		"INSERT INTO rate_counter (name, window_start, hits, expires)"
		" VALUES (?1, ?2, ?4, ?2 + ?3) ON CONFLICT (name) DO UPDATE SET"
		" hits = CASE WHEN rate_counter.window_start + ?3 <= ?2 THEN ?4"
		"  ELSE rate_counter.hits + ?4 END,"
		" window_start = CASE WHEN rate_counter.window_start + ?3 <= ?2"
		"  THEN ?2 ELSE rate_counter.window_start END,"
		" expires = CASE WHEN rate_counter.window_start + ?3 <= ?2"
		"  THEN ?2 + ?3 ELSE rate_counter.expires END"
		" RETURNING hits";
	static const char read_sql[] =
		"SELECT CASE WHEN window_start + ?3 <= ?2 THEN 0 ELSE hits END"
		" FROM rate_counter WHERE name = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (store_check_counter(name, window, add, err, errlen) < 0)
		return -1;
	if (add > 0) {
		if (sq_begin(q, err, errlen) < 0)
			return -1;
		if ((st = sq_stmt(q, hit_sql, err, errlen)) == NULL)
			goto fail;
	} else if ((st = sq_stmt(q, read_sql, err, errlen)) == NULL) {
		return -1;
	}
	sq_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, window);
	if (add > 0)
		sqlite3_bind_int64(st, 4, add);
	*hits = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*hits = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	sq_done(q, add > 0 ? hit_sql : read_sql, st);
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, "counting");
		goto fail;
	}
	return add > 0 ? sq_commit(q, err, errlen) : 0;
fail:
	sq_rollback(q);
	return -1;
}

int
sq_housekeep(struct store *s, const char *node, int64_t now, int64_t interval,
             int *ran, uint64_t *removed, char *err, size_t errlen)
{
	static const char claim_sql[] =
		"UPDATE housekeeping SET last_purge = ?1, node = ?2"
		" WHERE id = 1 AND last_purge + ?3 <= ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (ran != NULL)
		*ran = 0;
	if (removed != NULL)
		*removed = 0;
	if (store_check_str(node, STORE_NAME_MAX, 0, "node name", err, errlen) < 0)
		return -1;
	/* Claim and purge are two transactions here: SQLite's write lock
	 * already makes the claim exclusive, and a purge that fails after a
	 * claim just waits for the next interval. */
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, claim_sql, err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	sq_bind_text(st, 2, node);
	sqlite3_bind_int64(st, 3, interval);
	if (sq_step_done(q, claim_sql, st, "claiming housekeeping", err,
	                 errlen) < 0)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		sq_rollback(q);
		return 0;
	}
	if (sq_commit(q, err, errlen) < 0)
		return -1;
	if (ran != NULL)
		*ran = 1;
	return sq_purge(s, now, removed, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}
