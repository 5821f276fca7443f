/*
 * pg_cluster.c - what several nodes on one store need, in PostgreSQL: the
 * change wait (LISTEN/NOTIFY), the publisher, heartbeats, shared counters
 * and the housekeeping claim.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "store/pg_int.h"

/* Drains pending notifications: 1 when there was one. */
static int
drain(struct pg *c)
{
	PGnotify *n;
	int got = 0;

	while ((n = PQnotifies(c->conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	if (got)
		c->gen_valid = 0;
	return got;
}

int
pg_wait_change(struct store *s, int wake_fd, unsigned timeout_ms, char *err,
               size_t errlen)
{
	struct pg *c = PG(s);
	struct pollfd pfd[2];
	int rc;

	if (!c->listening) {
		/* (Re)connected: listen, and have the caller read the
		 * generation now, since changes may have been missed. */
		if (pg_do(c, "listening for changes", err, errlen, NULL,
		          "LISTEN " STORE_NOTIFY_CHANNEL, NULL) < 0)
			return -1;
		c->listening = 1;
		c->gen_valid = 0;
		return 1;
	}
	if (!PQconsumeInput(c->conn)) {
		c->down = 1;
		c->listening = 0;
		return store_fail(err, errlen, "database connection lost: %s",
		                  PQerrorMessage(c->conn));
	}
	if (drain(c))
		return 1;
	pfd[0].fd = PQsocket(c->conn);
	pfd[0].events = POLLIN;
	pfd[1].fd = wake_fd;
	pfd[1].events = POLLIN;
	rc = poll(pfd, wake_fd >= 0 ? 2 : 1, (int)timeout_ms);
	if (rc < 0 && errno != EINTR)
		return store_fail(err, errlen, "poll: %s", strerror(errno));
	if (rc > 0 && (pfd[0].revents & (POLLIN | POLLERR | POLLHUP))) {
		if (!PQconsumeInput(c->conn) || PQstatus(c->conn) != CONNECTION_OK) {
			c->down = 1;
			c->listening = 0;
			return store_fail(err, errlen, "database connection lost");
		}
		return drain(c);
	}
	return 0;
}

int
pg_publisher_get(struct store *s, char *node, size_t nodelen, char *err,
                 size_t errlen)
{
	PGresult *res = pg_run(PG(s), "reading the publisher", err, errlen,
	                       "SELECT publisher FROM cluster WHERE id = 1", NULL);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		pg_col_copy(res, 0, 0, node, nodelen);
	else if (nodelen > 0)
		node[0] = '\0';
	PQclear(res);
	if (nodelen == 0 || node[0] == '\0')
		return store_notfound(err, errlen, "no publisher is recorded");
	return 0;
}

int
pg_publisher_set(struct store *s, const char *node, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	uint64_t n = 0;

	if (store_check_str(node, STORE_NAME_MAX, 1, "node name", err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "setting the publisher", err, errlen, &n,
	          "UPDATE cluster SET publisher = $1 WHERE id = 1"
	          " AND EXISTS (SELECT 1 FROM node WHERE name = $1)", "t",
	          node) < 0)
		goto fail;
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "node %s does not exist", node);
	}
	if (pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_heartbeat_put(struct store *s, const struct store_heartbeat *h, char *err,
                 size_t errlen)
{
	/* One statement, no write lock: a heartbeat races with nothing. */
	if (store_check_heartbeat(h, err, errlen) < 0)
		return -1;
	if (PG(s)->readonly)
		return store_fail(err, errlen, "the store was opened read-only");
	return pg_do(PG(s), "writing a heartbeat", err, errlen, NULL,
	             "INSERT INTO heartbeat (node, program, pid, serves, started,"
	             " seen) VALUES ($1, $2, $3, $4, $5, $6)"
	             " ON CONFLICT (node, program) DO UPDATE SET"
	             " pid = excluded.pid, serves = excluded.serves,"
	             " started = excluded.started, seen = excluded.seen",
	             "ttitii", h->node, h->program, h->pid, h->serves, h->started,
	             h->seen);
}

static int
heartbeat_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
              char *err, size_t errlen)
{
	struct store_heartbeat h;

	(void)c;
	(void)err;
	(void)errlen;
	memset(&h, 0, sizeof(h));
	pg_col_copy(res, r, 0, h.node, sizeof(h.node));
	pg_col_copy(res, r, 1, h.program, sizeof(h.program));
	h.pid = pg_col_int(res, r, 2);
	pg_col_copy(res, r, 3, h.serves, sizeof(h.serves));
	h.started = pg_col_int(res, r, 4);
	h.seen = pg_col_int(res, r, 5);
	return ((store_heartbeat_cb)cb)(ctx, &h);
}

int
pg_heartbeat_list(struct store *s, store_heartbeat_cb cb, void *ctx,
                  char *err, size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing heartbeats", err, errlen,
	                         "SELECT node, program, pid, serves, started, seen"
	                         " FROM heartbeat ORDER BY node, program", NULL),
	               heartbeat_row, (void *)cb, ctx, err, errlen);
}

int
pg_counter_hit(struct store *s, const char *name, int64_t now, int64_t window,
               int64_t add, int64_t *hits, char *err, size_t errlen)
{
	/* One statement: the row lock of the upsert serialises nodes, so no
	 * hit is lost (no need for the writer lock). */
	static const char hit_sql[] =
		"INSERT INTO rate_counter (name, window_start, hits, expires)"
		" VALUES ($1, $2::bigint, $4::bigint, $2::bigint + $3::bigint)"
		" ON CONFLICT (name) DO UPDATE SET"
		" hits = CASE WHEN rate_counter.window_start + $3::bigint <= $2::bigint"
		"  THEN $4::bigint ELSE rate_counter.hits + $4::bigint END,"
		" window_start = CASE WHEN rate_counter.window_start + $3::bigint"
		"  <= $2::bigint THEN $2::bigint ELSE rate_counter.window_start END,"
		" expires = CASE WHEN rate_counter.window_start + $3::bigint"
		"  <= $2::bigint THEN $2::bigint + $3::bigint"
		"  ELSE rate_counter.expires END"
		" RETURNING hits";
	static const char read_sql[] =
		"SELECT CASE WHEN window_start + $3::bigint <= $2::bigint THEN 0"
		" ELSE hits END FROM rate_counter WHERE name = $1";
	struct pg *c = PG(s);
	PGresult *res;

	if (store_check_counter(name, window, add, err, errlen) < 0)
		return -1;
	if (add > 0 && c->readonly)
		return store_fail(err, errlen, "the store was opened read-only");
	res = add > 0 ? pg_run(c, "counting", err, errlen, hit_sql, "tiii", name,
	                       now, window, add)
	              : pg_run(c, "counting", err, errlen, read_sql, "tii", name,
	                       now, window);
	if (res == NULL)
		return -1;
	*hits = PQntuples(res) == 1 ? pg_col_int(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

int
pg_housekeep(struct store *s, const char *node, int64_t now, int64_t interval,
             int *ran, uint64_t *removed, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	uint64_t n = 0;

	if (ran != NULL)
		*ran = 0;
	if (removed != NULL)
		*removed = 0;
	if (store_check_str(node, STORE_NAME_MAX, 0, "node name", err, errlen) < 0)
		return -1;
	/* The claim is one UPDATE: of nodes racing for it, the row lock lets
	 * one through and the others re-check the WHERE against its new
	 * last_purge and change nothing. */
	if (pg_do(c, "claiming housekeeping", err, errlen, &n,
	          "UPDATE housekeeping SET last_purge = $1, node = $2"
	          " WHERE id = 1 AND last_purge + $3 <= $1", "iti", now, node,
	          interval) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (ran != NULL)
		*ran = 1;
	return pg_purge(s, now, removed, err, errlen);
}
