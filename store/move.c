/*
 * move.c - `oprovctl store migrate`: a SQLite store into PostgreSQL, every
 * row of every table, with row counts checked on both sides, and the
 * SQLite store frozen behind it (store.h "moving a store").  The one place
 * that knows both backends' internals.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"
#include "store/sqlite_int.h"

/* Every table with rows to copy, parents before children.  The one-row
 * tables (generation, cluster, housekeeping) exist on both sides from
 * migration 1 and are updated instead. */
static const char *const tables[] = {
	"param", "node", "pool", "pool_ntp", "pool_node", "profile",
	"profile_vendor", "device", "device_vendor", "line", "device_action",
	"model_load", "dialplan", "dialplan_rule", "softkeys", "softkeys_set",
	"feature_policy", "feature_policy_item", "cert", "expressway",
	"expressway_name", "signing_key", "activation_code", "oauth_client",
	"refresh_family", "refresh_token", "revocation", "sip_binding",
	"rate_counter", "heartbeat",
};
/* The row migration 2 puts into every new store (the public client phones
 * name); the source has its own copy, so the target's is dropped first. */
#define PUBLIC_CLIENT_SQL "oauth_client WHERE name = 'oprov-device'" \
	" AND secret_hash = ''"
#define NTABLES (sizeof(tables) / sizeof(tables[0]))
/* Identity columns: their sequences continue after the copied ids. */
static const char *const with_ids[] = { "cert", "signing_key", "activation_code" };
#define MOVED_MSG "this store was moved to PostgreSQL (oprovctl store migrate);" \
	" restart with the new store"

static int
pg_fail(struct pg *c, PGresult *res, const char *what, char *err, size_t errlen)
{
	const char *m = PQerrorMessage(c->conn);

	PQclear(res);
	return store_fail(err, errlen, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
}

static int
pg_count(struct pg *c, const char *table, int64_t *n, char *err, size_t errlen)
{
	char sql[160];
	PGresult *res;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if ((res = pg_run(c, "counting rows", err, errlen, sql, NULL)) == NULL)
		return -1;
	*n = pg_col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* INSERT INTO table (the columns of st) VALUES ($1..), prepared as "mv". */
static int
prepare_insert(struct pg *c, const char *table, sqlite3_stmt *st, char *err,
               size_t errlen)
{
	char sql[1024];
	int n = sqlite3_column_count(st), len;
	PGresult *res;

	len = snprintf(sql, sizeof(sql), "INSERT INTO %s (", table);
	for (int i = 0; i < n && len < (int)sizeof(sql); i++)
		len += snprintf(sql + len, sizeof(sql) - (size_t)len, "%s%s",
		                i ? ", " : "", sqlite3_column_name(st, i));
	for (int i = 0; i < n && len < (int)sizeof(sql); i++)
		len += snprintf(sql + len, sizeof(sql) - (size_t)len, "%s$%d",
		                i ? ", " : ") VALUES (", i + 1);
	if (len + 2 >= (int)sizeof(sql))
		return store_fail(err, errlen, "%s: too many columns", table);
	strcat(sql, ")");
	PQclear(PQexec(c->conn, "DEALLOCATE ALL"));
	res = PQprepare(c->conn, "mv", sql, n, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return pg_fail(c, res, table, err, errlen);
	PQclear(res);
	return 0;
}

/* Every row of one table, as text (NULL stays NULL). */
static int
copy_table(struct sq *q, struct pg *c, const char *table, uint64_t *rows,
           char *err, size_t errlen)
{
	const char *v[64];
	char sql[160];
	sqlite3_stmt *st = NULL;
	int rc, n, ret = -1;

	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_err(q, err, errlen, table);
	if ((n = sqlite3_column_count(st)) > 64) {
		store_fail(err, errlen, "%s: too many columns", table);
		goto out;
	}
	if (prepare_insert(c, table, st, err, errlen) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		PGresult *res;

		for (int i = 0; i < n; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		res = PQexecPrepared(c->conn, "mv", n, v, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(c, res, table, err, errlen);
			goto out;
		}
		PQclear(res);
		(*rows)++;
	}
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, table);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* The one-row tables: generations (moved one past the source's, so every
 * daemon on PostgreSQL reloads), the cluster's mode and publisher. */
static int
copy_singletons(struct sq *q, struct pg *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t cg = 0, rg = 0, mode = 0, mixed = 0;
	char pub[STORE_NAME_MAX] = "";

	if (sqlite3_prepare_v2(q->db, "SELECT g.config, g.revocation,"
	                       " c.sip_oauth_mode, c.publisher, c.mixed_mode"
	                       " FROM generation g, cluster c", -1, &st,
	                       NULL) != SQLITE_OK)
		return sq_err(q, err, errlen, "reading the generation");
	if (sqlite3_step(st) == SQLITE_ROW) {
		cg = sqlite3_column_int64(st, 0);
		rg = sqlite3_column_int64(st, 1);
		mode = sqlite3_column_int64(st, 2);
		sq_col_copy(st, 3, pub, sizeof(pub));
		mixed = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return pg_do(c, "writing the generation", err, errlen, NULL,
	             "UPDATE generation SET config = GREATEST(config, $1) + 1,"
	             " revocation = GREATEST(revocation, $2) + 1", "ii", cg, rg) < 0 ||
	       pg_do(c, "writing the cluster mode", err, errlen, NULL,
	             "UPDATE cluster SET sip_oauth_mode = $1, publisher = $2,"
	             " mixed_mode = $3", "iti", mode, pub, mixed) < 0 ||
	       pg_do(c, "notifying", err, errlen, NULL,
	             "SELECT pg_notify('" STORE_NOTIFY_CHANNEL "', '')", NULL) < 0
	       ? -1 : 0;
}

/* Row counts equal on both sides, table by table; the report's figures. */
static int
verify(struct sq *q, struct pg *c, struct store_move_report *rep, char *err,
       size_t errlen)
{
	for (size_t i = 0; i < NTABLES; i++) {
		char sql[96];
		int64_t a = -1, b = -1;

		sqlite3_stmt *st = NULL;

		/* Not sq_count1: its statement cache is keyed by the SQL's
		 * address, and sql[] is reused for every table. */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
			return sq_err(q, err, errlen, tables[i]);
		if (sqlite3_step(st) == SQLITE_ROW)
			a = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (pg_count(c, tables[i], &b, err, errlen) < 0)
			return -1;
		if (a != b)
			return store_fail(err, errlen, "%s: %lld rows in SQLite, %lld "
			                  "copied", tables[i], (long long)a, (long long)b);
		if (strcmp(tables[i], "device") == 0)
			rep->devices = (uint64_t)b;
		else if (strcmp(tables[i], "signing_key") == 0)
			rep->keys = (uint64_t)b;
		else if (strcmp(tables[i], "refresh_family") == 0)
			rep->families = (uint64_t)b;
		else if (strcmp(tables[i], "revocation") == 0)
			rep->revocations = (uint64_t)b;
	}
	return 0;
}

/* Inside the SQLite transaction: every write to a data table (and to the
 * generation) fails from now on with MOVED_MSG. */
static int
freeze(struct sq *q, char *err, size_t errlen)
{
	static const char *const ops[] = { "INSERT", "UPDATE", "DELETE" };
	char sql[512];

	for (size_t i = 0; i <= NTABLES; i++) {
		const char *t = i < NTABLES ? tables[i] : "generation";

		for (size_t k = 0; k < 3; k++) {
			snprintf(sql, sizeof(sql), "CREATE TRIGGER IF NOT EXISTS"
			         " oprov_moved_%s_%s BEFORE %s ON %s BEGIN"
			         " SELECT RAISE(ABORT, '" MOVED_MSG "'); END",
			         t, ops[k], ops[k], t);
			if (sq_exec(q, sql, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

static int
pg_empty(struct pg *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < NTABLES; i++) {
		int64_t n, pub = 0;

		if (strcmp(tables[i], "heartbeat") == 0)
			continue;               /* daemons may already beat */
		if (pg_count(c, tables[i], &n, err, errlen) < 0)
			return -1;
		if (strcmp(tables[i], "oauth_client") == 0 &&
		    pg_count(c, PUBLIC_CLIENT_SQL, &pub, err, errlen) < 0)
			return -1;
		if (n - pub > 0)
			return store_fail(err, errlen, "the PostgreSQL store already "
			                  "holds data (table %s: %lld rows); move into "
			                  "an empty one", tables[i], (long long)n);
	}
	return 0;
}

static int
copy_all(struct sq *q, struct pg *c, struct store_move_report *rep, char *err,
         size_t errlen)
{
	if (pg_do(c, "emptying heartbeats", err, errlen, NULL,
	          "DELETE FROM heartbeat", NULL) < 0 ||
	    pg_do(c, "dropping the new store's public client", err, errlen, NULL,
	          "DELETE FROM " PUBLIC_CLIENT_SQL, NULL) < 0)
		return -1;
	for (size_t i = 0; i < NTABLES; i++) {
		if (copy_table(q, c, tables[i], &rep->rows, err, errlen) < 0)
			return -1;
		rep->tables++;
	}
	for (size_t i = 0; i < sizeof(with_ids) / sizeof(with_ids[0]); i++) {
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence("
		         "'%s', 'id'), GREATEST((SELECT max(id) FROM %s), 1))",
		         with_ids[i], with_ids[i]);
		if (pg_do(c, "continuing ids", err, errlen, NULL, sql, NULL) < 0)
			return -1;
	}
	return copy_singletons(q, c, err, errlen) < 0 ? -1 :
	       verify(q, c, rep, err, errlen);
}

int
store_move(const char *sqlite_dir, const char *uri, unsigned flags,
           struct store_move_report *rep, char *err, size_t errlen)
{
	struct store *src = NULL, *dst = NULL;
	struct sq *q;
	struct pg *c;
	int ret = -1;

	memset(rep, 0, sizeof(*rep));
	if (!store_is_uri(uri))
		return store_fail(err, errlen, "--to: not a postgresql:// URI");
	if ((src = store_sqlite_open(sqlite_dir, 0, err, errlen)) == NULL ||
	    (dst = store_pg_open(uri, STORE_CREATE, err, errlen)) == NULL)
		goto out;
	q = SQ(src);
	c = PG(dst);
	if (pg_empty(c, err, errlen) < 0 || sq_begin(q, err, errlen) < 0)
		goto out;
	if (pg_begin(c, err, errlen) < 0) {
		sq_rollback(q);
		goto out;
	}
	if (copy_all(q, c, rep, err, errlen) < 0 ||
	    pg_commit(c, err, errlen) < 0) {
		pg_rollback(c);
		sq_rollback(q);
		goto out;
	}
	/* PostgreSQL holds everything now; freeze the source in the same
	 * SQLite transaction that kept its writers out during the copy. */
	if (!(flags & STORE_MOVE_KEEP_SOURCE) && freeze(q, err, errlen) < 0) {
		sq_rollback(q);
		goto out;
	}
	ret = sq_commit(q, err, errlen);
out:
	store_close(src);
	store_close(dst);
	return ret;
}
