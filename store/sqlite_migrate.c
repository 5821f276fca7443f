/*
 * sqlite_migrate.c - applying schema.c's migrations to a SQLite database:
 * the version lives in PRAGMA user_version.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/sqlite_int.h"

int
sq_user_version(struct sq *q, int *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return sq_err(q, err, errlen, "reading the schema version");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sq_err(q, err, errlen, "reading the schema version");
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int
sq_migrate(struct sq *q, char *err, size_t errlen)
{
	const int N = store_schema_version();
	char sql[64];
	int v;

	/* Current already (the usual open): no write lock taken, so a daemon
	 * opening a thread's handle never waits on someone else's lock. */
	if (sq_user_version(q, &v, err, errlen) < 0)
		return -1;
	if (v == N)
		return 0;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	/* Read again under the write lock: another process may have migrated
	 * between our first look and now. */
	if (sq_user_version(q, &v, err, errlen) < 0)
		goto fail;
	if (v > N) {
		store_fail(err, errlen,
		           "database schema version %d is newer than this oprov "
		           "(%d); upgrade oprov", v, N);
		goto fail;
	}
	if (v == N) {
		sq_rollback(q);
		return 0;
	}
	for (int i = v; i < N; i++) {
		char what[64], *m = store_migration_sql(i, 0);
		int rc;

		if (m == NULL) {
			store_fail(err, errlen, "out of memory");
			goto fail;
		}
		snprintf(what, sizeof(what), "schema migration %d", i + 1);
		rc = sqlite3_exec(q->db, m, NULL, NULL, NULL);
		free(m);
		if (rc != SQLITE_OK) {
			sq_err(q, err, errlen, what);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", N);
	if (sq_exec(q, sql, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}
