/*
 * pg.c - the PostgreSQL backend: connecting (and reconnecting, at most once
 * per STORE_RECONNECT_MS, failing fast in between), running statements,
 * transactions, the generation counters, schema migrations, housekeeping
 * and the operations table.
 *
 * Connection settings and why:
 *  - connect_timeout PG_CONNECT_TIMEOUT and TCP keepalives (unless the URI
 *    sets them): an unreachable database is noticed in seconds, so daemons
 *    answer 503 instead of hanging.
 *  - statement_timeout and lock_timeout STORE_BUSY_TIMEOUT_MS: a writer
 *    waits for another at most as long as SQLite's busy timeout.
 *  - default_transaction_read_only for STORE_READONLY.
 * The schema version lives in the table oprov_schema (one row).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/pg_int.h"

uint64_t
pg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- connecting -------------------------------------------------------------- */

/* The URI without its password, for messages. */
static void
uri_shown(const char *uri, char *out, size_t outlen)
{
	const char *s = strstr(uri, "://"), *at, *colon;

	if (s == NULL || (at = strchr(s + 3, '@')) == NULL ||
	    (colon = memchr(s + 3, ':', (size_t)(at - s - 3))) == NULL) {
		str_sanitize(out, outlen, uri, strlen(uri));
		return;
	}
	snprintf(out, outlen, "%.*s:***%s", (int)(colon - uri), uri, at);
}

static int
session_setup(struct pg *c, char *err, size_t errlen)
{
	char sql[160];
	PGresult *res;

	snprintf(sql, sizeof(sql), "SET statement_timeout = %u;"
	         " SET lock_timeout = %u; SET default_transaction_read_only = %s",
	         STORE_BUSY_TIMEOUT_MS, c->lock_wait_ms,
	         c->readonly ? "on" : "off");
	res = PQexec(c->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		store_fail(err, errlen, "setting up the session: %s",
		           PQerrorMessage(c->conn));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Server notices (e.g. "relation already exists, skipping") are not ours
 * to print on a daemon's stderr. */
static void
notice_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Opens c->conn (or re-opens it).  Failures mark the store down. */
static int
pg_connect(struct pg *c, char *err, size_t errlen)
{
	static const char *const kw[] = {
		"connect_timeout", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "application_name", "dbname", NULL };
	const char *val[] = { PG_CONNECT_TIMEOUT, "5", "2", "3", "oprov",
	                      c->uri, NULL };
	char shown[256];
	const char *msg;

	if (c->conn != NULL)
		PQfinish(c->conn);
	c->listening = c->gen_valid = c->in_tx = c->in_snap = 0;
	/* The URI comes last: what it sets wins over these defaults. */
	c->conn = PQconnectdbParams(kw, val, 1);
	if (c->conn != NULL)
		PQsetNoticeProcessor(c->conn, notice_quiet, NULL);
	if (c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK &&
	    session_setup(c, err, errlen) == 0) {
		c->down = 0;
		return 0;
	}
	c->down = 1;
	c->retry_ms = pg_now_ms() + STORE_RECONNECT_MS;
	uri_shown(c->uri, shown, sizeof(shown));
	msg = c->conn ? PQerrorMessage(c->conn) : "out of memory";
	store_fail(err, errlen, "database %s unreachable: %.*s", shown,
	           (int)strcspn(msg, "\n"), msg);
	return -1;
}

/* Before each statement outside a transaction: a lost connection is
 * re-opened, but not more often than STORE_RECONNECT_MS. */
static int
pg_ready(struct pg *c, char *err, size_t errlen)
{
	if (c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK)
		return 0;
	if (c->in_tx || c->in_snap) {
		c->down = 1;
		return store_fail(err, errlen, "database connection lost");
	}
	if (pg_now_ms() < c->retry_ms) {
		c->down = 1;
		return store_fail(err, errlen, "database unreachable (next try "
		                  "within %d ms)", STORE_RECONNECT_MS);
	}
	return pg_connect(c, err, errlen);
}

/* ---- statements ------------------------------------------------------------------ */

static PGresult *
run_va(struct pg *c, const char *what, char *err, size_t errlen,
       const char *sql, const char *fmt, va_list ap)
{
	const char *v[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][24];
	int n = 0;
	PGresult *res;
	ExecStatusType rs;

	c->sqlstate[0] = '\0';
	for (; fmt != NULL && *fmt != '\0' && n < PG_PARAMS_MAX; fmt++, n++) {
		const char *t;

		switch (*fmt) {
		case 'i':
			snprintf(num[n], sizeof(num[n]), "%" PRId64,
			         va_arg(ap, int64_t));
			v[n] = num[n];
			break;
		case 'n':
			t = va_arg(ap, const char *);
			v[n] = t != NULL && t[0] != '\0' ? t : NULL;
			break;
		default:
			v[n] = va_arg(ap, const char *);
			break;
		}
	}
	if (pg_ready(c, err, errlen) < 0)
		return NULL;
	res = PQexecParams(c->conn, sql, n, NULL, v, NULL, NULL, 0);
	rs = PQresultStatus(res);
	if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
		c->down = 0;
		return res;
	}
	{
		const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		const char *msg = PQerrorMessage(c->conn);

		snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
		/* Connection gone, or a lock or statement timeout: busy. */
		c->down = PQstatus(c->conn) != CONNECTION_OK ||
		          strncmp(c->sqlstate, "08", 2) == 0 ||
		          strcmp(c->sqlstate, "55P03") == 0 ||
		          strcmp(c->sqlstate, "57014") == 0 ||
		          strncmp(c->sqlstate, "57P", 3) == 0;
		if (c->down)
			c->retry_ms = 0;        /* reconnect on the next call */
		store_fail(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"),
		           msg);
	}
	PQclear(res);
	return NULL;
}

PGresult *
pg_run(struct pg *c, const char *what, char *err, size_t errlen,
       const char *sql, const char *fmt, ...)
{
	va_list ap;
	PGresult *res;

	va_start(ap, fmt);
	res = run_va(c, what, err, errlen, sql, fmt, ap);
	va_end(ap);
	return res;
}

int
pg_do(struct pg *c, const char *what, char *err, size_t errlen,
      uint64_t *changed, const char *sql, const char *fmt, ...)
{
	va_list ap;
	PGresult *res;

	va_start(ap, fmt);
	res = run_va(c, what, err, errlen, sql, fmt, ap);
	va_end(ap);
	if (res == NULL)
		return -1;
	if (changed != NULL)
		*changed = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

int
pg_state_is(const struct pg *c, const char *state)
{
	return strcmp(c->sqlstate, state) == 0;
}

void
pg_col_copy(const PGresult *res, int r, int i, char *dst, size_t dstsz)
{
	if (dstsz > 0)
		store_copy(dst, dstsz, PQgetvalue(res, r, i));
}

int64_t
pg_col_int(const PGresult *res, int r, int i)
{
	return strtoll(PQgetvalue(res, r, i), NULL, 10);
}

char *
pg_col_dup(const PGresult *res, int r, int i, int *oom)
{
	char *d;

	if (PQgetisnull(res, r, i))
		return NULL;
	if ((d = strdup(PQgetvalue(res, r, i))) == NULL)
		*oom = 1;
	return d;
}

int
pg_each(struct pg *c, PGresult *res, pg_row_fn fn, void *cb, void *ctx,
        char *err, size_t errlen)
{
	int ret = 0, n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	c->listing++;
	for (int r = 0; r < n && ret == 0; r++)
		ret = fn(c, res, r, cb, ctx, err, errlen);
	c->listing--;
	PQclear(res);
	return ret;
}

/* ---- transactions --------------------------------------------------------------- */

static int
simple(struct pg *c, const char *sql, const char *what, char *err,
       size_t errlen)
{
	return pg_do(c, what, err, errlen, NULL, sql, NULL);
}

int
pg_begin(struct pg *c, char *err, size_t errlen)
{
	if (c->readonly)
		return store_fail(err, errlen, "the store was opened read-only");
	if (c->listing)
		return store_fail(err, errlen, "no writes while a list is being "
		                  "read (inside a list callback)");
	if (c->in_snap)
		return store_fail(err, errlen, "no writes inside a read snapshot");
	if (simple(c, "BEGIN", "starting a transaction", err, errlen) < 0)
		return -1;
	c->in_tx = 1;
	if (pg_do(c, "waiting for the write lock", err, errlen, NULL,
	          "SELECT pg_advisory_xact_lock($1)", "i",
	          (int64_t)PG_WRITE_LOCK) < 0) {
		pg_rollback(c);
		return -1;
	}
	return 0;
}

int
pg_commit(struct pg *c, char *err, size_t errlen)
{
	int rc = simple(c, "COMMIT", "committing", err, errlen);

	c->in_tx = 0;
	c->gen_valid = 0;
	if (rc < 0)
		pg_rollback(c);
	return rc;
}

void
pg_rollback(struct pg *c)
{
	c->in_tx = 0;
	if (c->conn != NULL && PQtransactionStatus(c->conn) != PQTRANS_IDLE &&
	    PQtransactionStatus(c->conn) != PQTRANS_UNKNOWN)
		PQclear(PQexec(c->conn, "ROLLBACK"));
}

int
pg_read_begin(struct pg *c, int *opened, char *err, size_t errlen)
{
	*opened = 0;
	if (c->in_tx || c->in_snap)
		return 0;
	if (simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	           "starting a read", err, errlen) < 0)
		return -1;
	c->in_snap = 1;
	*opened = 1;
	return 0;
}

void
pg_read_end(struct pg *c, int opened)
{
	if (!opened)
		return;
	c->in_snap = 0;
	if (c->conn != NULL && PQtransactionStatus(c->conn) != PQTRANS_IDLE &&
	    PQtransactionStatus(c->conn) != PQTRANS_UNKNOWN)
		PQclear(PQexec(c->conn, "COMMIT"));
}

int
pg_bump(struct pg *c, unsigned which, char *err, size_t errlen)
{
	return pg_do(c, "generation", err, errlen, NULL,
	             "WITH u AS (UPDATE generation SET config = config + $1,"
	             " revocation = revocation + $2 WHERE id = 1 RETURNING 1)"
	             " SELECT pg_notify('" STORE_NOTIFY_CHANNEL "', '') FROM u",
	             "ii", (int64_t)((which & PG_GEN_CONFIG) ? 1 : 0),
	             (int64_t)((which & PG_GEN_REVOCATION) ? 1 : 0));
}

/* ---- generation ------------------------------------------------------------------ */

int
pg_generation(struct store *s, struct store_generation *out, char *err,
              size_t errlen)
{
	struct pg *c = PG(s);
	PGresult *res;
	PGnotify *n;

	/* A LISTENing connection (the gate's sync thread) learns of every
	 * commit elsewhere from a notification: until one comes, and for at
	 * most PG_GEN_RECHECK_MS, the counters it read are current. */
	if (c->listening && c->conn != NULL && PQconsumeInput(c->conn)) {
		while ((n = PQnotifies(c->conn)) != NULL) {
			c->gen_valid = 0;
			PQfreemem(n);
		}
		if (c->gen_valid && pg_now_ms() < c->gen_ms + PG_GEN_RECHECK_MS) {
			*out = c->gen;
			return 0;
		}
	}
	res = pg_run(c, "reading the generation", err, errlen,
	             "SELECT config, revocation FROM generation WHERE id = 1",
	             NULL);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return store_fail(err, errlen, "reading the generation: no row");
	}
	c->gen.config = (uint64_t)pg_col_int(res, 0, 0);
	c->gen.revocation = (uint64_t)pg_col_int(res, 0, 1);
	PQclear(res);
	c->gen_valid = 1;
	c->gen_ms = pg_now_ms();
	*out = c->gen;
	return 0;
}

/* ---- housekeeping ------------------------------------------------------------------- */

int
pg_purge(struct store *s, int64_t now, uint64_t *removed, char *err,
         size_t errlen)
{
	static const char *const sqls[] = {
		"DELETE FROM rate_counter WHERE expires <= $1",
		"DELETE FROM sip_binding WHERE expires <= $1",
		"DELETE FROM activation_code WHERE expires <= $1",
		"DELETE FROM refresh_family WHERE expires <= $1",
		"DELETE FROM revocation WHERE purge_after <= $1",
	};
	const size_t nsql = sizeof(sqls) / sizeof(sqls[0]);
	struct pg *c = PG(s);
	uint64_t total = 0, n = 0;

	if (pg_begin(c, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < nsql; i++) {
		if (pg_do(c, "purging", err, errlen, &n, sqls[i], "i", now) < 0)
			goto fail;
		total += n;
	}
	/* n: the revocations dropped (the last statement); see sq_purge. */
	if (n > 0 && pg_bump(c, PG_GEN_REVOCATION, err, errlen) < 0)
		goto fail;
	if (pg_commit(c, err, errlen) < 0)
		return -1;
	if (removed != NULL)
		*removed = total;
	return 0;
fail:
	pg_rollback(c);
	return -1;
}

int
pg_counts(struct store *s, int64_t now, struct store_counts *out, char *err,
          size_t errlen)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM device),"
		" (SELECT count(*) FROM line),"
		" (SELECT count(*) FROM profile),"
		" (SELECT count(*) FROM pool),"
		" (SELECT count(*) FROM node),"
		" (SELECT count(*) FROM cert),"
		" (SELECT count(*) FROM expressway),"
		" (SELECT count(*) FROM signing_key),"
		" (SELECT count(*) FROM oauth_client),"
		" (SELECT count(*) FROM activation_code"
		"   WHERE used_at = 0 AND expires > $1),"
		" (SELECT count(*) FROM refresh_family"
		"   WHERE revoked = 0 AND expires > $1),"
		" (SELECT count(*) FROM revocation),"
		" (SELECT count(*) FROM sip_binding WHERE expires > $1)";
	uint64_t *f[] = { &out->devices, &out->lines, &out->profiles,
	                  &out->pools, &out->nodes, &out->certs,
	                  &out->expressways, &out->keys, &out->clients,
	                  &out->codes_active, &out->families_active,
	                  &out->revocations, &out->bindings };
	PGresult *res = pg_run(PG(s), "counting", err, errlen, sql, "i", now);

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		*f[i] = (uint64_t)pg_col_int(res, 0, (int)i);
	PQclear(res);
	return 0;
}

/* ---- schema ------------------------------------------------------------------------- */

/* The version in oprov_schema, or -1 when there is no oprov schema here. */
static int
schema_version(struct pg *c, int *v, char *err, size_t errlen)
{
	PGresult *res = pg_run(c, "reading the schema version", err, errlen,
	                       "SELECT to_regclass('oprov_schema') IS NOT NULL",
	                       NULL);

	if (res == NULL)
		return -1;
	*v = -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		res = pg_run(c, "reading the schema version", err, errlen,
		             "SELECT version FROM oprov_schema WHERE id = 1", NULL);
		if (res == NULL)
			return -1;
		*v = PQntuples(res) == 1 ? (int)pg_col_int(res, 0, 0) : 0;
	}
	PQclear(res);
	return 0;
}

/* All pending migrations in one transaction, under the migration lock
 * (two programs upgrading at once: the second finds the work done). */
static int
pg_migrate(struct pg *c, char *err, size_t errlen)
{
	const int N = store_schema_version();
	int v;

	if (simple(c, "BEGIN", "starting a migration", err, errlen) < 0)
		return -1;
	c->in_tx = 1;
	if (pg_do(c, "schema migration lock", err, errlen, NULL,
	          "SELECT pg_advisory_xact_lock($1)", "i",
	          (int64_t)PG_MIGRATE_LOCK) < 0 ||
	    simple(c, "CREATE TABLE IF NOT EXISTS oprov_schema ("
	           " id BIGINT PRIMARY KEY CHECK (id = 1),"
	           " version BIGINT NOT NULL)", "creating oprov_schema", err,
	           errlen) < 0 ||
	    simple(c, "INSERT INTO oprov_schema VALUES (1, 0) ON CONFLICT DO"
	           " NOTHING", "creating oprov_schema", err, errlen) < 0 ||
	    schema_version(c, &v, err, errlen) < 0)
		goto fail;
	if (v > N) {
		store_fail(err, errlen, "database schema version %d is newer than "
		           "this oprov (%d); upgrade oprov", v, N);
		goto fail;
	}
	for (int i = v; i < N; i++) {
		char what[64], *m = store_migration_sql(i, 1);
		PGresult *res;
		int ok;

		if (m == NULL) {
			store_fail(err, errlen, "out of memory");
			goto fail;
		}
		/* PQexec: a migration is several statements. */
		res = PQexec(c->conn, m);
		free(m);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		     PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
		if (!ok) {
			const char *msg = PQerrorMessage(c->conn);

			snprintf(what, sizeof(what), "schema migration %d", i + 1);
			store_fail(err, errlen, "%s: %.*s", what,
			           (int)strcspn(msg, "\n"), msg);
			goto fail;
		}
	}
	if (v < N && pg_do(c, "recording the schema version", err, errlen, NULL,
	                   "UPDATE oprov_schema SET version = $1", "i",
	                   (int64_t)N) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

/* What STORE_CREATE, STORE_EXCL and STORE_READONLY ask of the version
 * found (-1: no schema), before anything is changed. */
static int
schema_check(struct pg *c, unsigned flags, char *err, size_t errlen)
{
	const int N = store_schema_version();
	char shown[256];
	int v;

	if (schema_version(c, &v, err, errlen) < 0)
		return -1;
	uri_shown(c->uri, shown, sizeof(shown));
	if (v < 0 && !(flags & STORE_CREATE))
		return store_fail(err, errlen, "no store in the database %s; "
		                  "create it with `oprovctl init`", shown);
	if (v >= 0 && (flags & STORE_EXCL))
		return store_fail(err, errlen, "a store already exists in the "
		                  "database %s; not overwriting it", shown);
	if (v > N)
		return store_fail(err, errlen, "database schema version %d is newer "
		                  "than this oprov (%d); upgrade oprov", v, N);
	if (c->readonly && v < N)
		return store_fail(err, errlen, "database schema version %d is older "
		                  "than this oprov (%d); open it read-write once to "
		                  "upgrade it", v, N);
	return 0;
}

/* ---- open / close -------------------------------------------------------------------- */

static void
pg_close(struct store *s)
{
	struct pg *c = PG(s);

	if (c->conn != NULL)
		PQfinish(c->conn);
	if (c->uri != NULL) {
		mem_wipe(c->uri, strlen(c->uri));
		free(c->uri);
	}
	free(c);
}

static int
pg_snapshot_begin(struct store *s, int *opened, char *err, size_t errlen)
{
	return pg_read_begin(PG(s), opened, err, errlen);
}

static void
pg_snapshot_end(struct store *s, int opened)
{
	pg_read_end(PG(s), opened);
}

static int
pg_unavailable(struct store *s)
{
	return PG(s)->down;
}

/* Kept for the next session too (session_setup). */
static int
pg_set_lock_wait(struct store *s, unsigned ms)
{
	struct pg *c = PG(s);
	char sql[64];
	PGresult *res;
	int ok;

	c->lock_wait_ms = ms;
	if (c->conn == NULL || PQstatus(c->conn) != CONNECTION_OK)
		return 0;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %u", ms);
	res = PQexec(c->conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 0 : -1;
}

static const struct store_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.snapshot_begin = pg_snapshot_begin,
	.snapshot_end = pg_snapshot_end,
	.unavailable = pg_unavailable,
	.set_lock_wait = pg_set_lock_wait,
#define PG_OP_ENTRY(name, ret, params, args) .name = pg_##name,
	STORE_OPS(PG_OP_ENTRY)
#undef PG_OP_ENTRY
};

struct store *
store_pg_open(const char *uri, unsigned flags, char *err, size_t errlen)
{
	struct pg *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->uri = strdup(uri)) == NULL) {
		free(c);
		store_fail(err, errlen, "out of memory");
		return NULL;
	}
	c->base.ops = &pg_ops;
	c->readonly = (flags & STORE_READONLY) != 0;
	c->lock_wait_ms = STORE_BUSY_TIMEOUT_MS;
	if (pg_connect(c, err, errlen) < 0 ||
	    schema_check(c, flags, err, errlen) < 0 ||
	    (!c->readonly && pg_migrate(c, err, errlen) < 0)) {
		pg_close(&c->base);
		return NULL;
	}
	return &c->base;
}
