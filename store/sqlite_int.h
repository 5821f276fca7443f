/*
 * sqlite_int.h - private to the SQLite backend (sqlite*.c): the connection
 * struct, the statement cache, transactions and the operations each file
 * implements.
 */
#ifndef OPROV_STORE_SQLITE_INT_H
#define OPROV_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store/store_int.h"

/* Prepared statements are cached per connection, keyed by the address of
 * their SQL text (every statement is a string literal at its call site), in
 * an open-addressing table.  More distinct statements than slots is a bug
 * caught by the tests, not a run-time condition. */
#define SQ_STMT_SLOTS 256

struct sq_slot {
	const char *sql;
	sqlite3_stmt *st;
};

struct sq {
	struct store base;              /* first: struct store * <-> struct sq * */
	sqlite3 *db;
	int readonly;
	struct sq_slot slots[SQ_STMT_SLOTS];
	/* store_generation() cache: valid while PRAGMA data_version (which
	 * moves only on other connections' commits) is unchanged and this
	 * connection has not committed since. */
	int gen_valid;
	int64_t data_version;
	struct store_generation gen;
	unsigned lock_wait_ms;          /* how long a statement waits for a lock */
	uint64_t busy_since;            /* writer_wait: when this wait began */
};

#define SQ(s) ((struct sq *)(s))

/* Returns a ready statement for `sql` (a string literal), prepared once per
 * connection.  When the cached one is in use (a list callback reading
 * through the same store) a private one is prepared; sq_done releases
 * either.  NULL with err filled on failure. */
sqlite3_stmt *sq_stmt(struct sq *q, const char *sql, char *err, size_t errlen);
void sq_done(struct sq *q, const char *sql, sqlite3_stmt *st);

/* "what: <sqlite message>", returns -1. */
int sq_err(struct sq *q, char *err, size_t errlen, const char *what);
/* Steps a bound statement that returns no rows, releases it. 0 / -1. */
int sq_step_done(struct sq *q, const char *sql, sqlite3_stmt *st,
                 const char *what, char *err, size_t errlen);
/* One-shot statement without results. 0 / -1. */
int sq_exec(struct sq *q, const char *sql, char *err, size_t errlen);

/* Write transactions are BEGIN IMMEDIATE: the write lock is taken (waiting
 * up to the busy timeout) before anything is read, so a read-then-write
 * sequence (compare-and-swap, limit checks) cannot be overtaken by another
 * connection. */
int sq_begin(struct sq *q, char *err, size_t errlen);
int sq_commit(struct sq *q, char *err, size_t errlen);
void sq_rollback(struct sq *q);

/* Read snapshot around several statements (a record and its child rows),
 * so a writer committing in between cannot give a torn record.  Nests
 * inside an open transaction as a no-op; *opened tells sq_read_end whether
 * to close it. */
int sq_read_begin(struct sq *q, int *opened, char *err, size_t errlen);
void sq_read_end(struct sq *q, int opened);

enum sq_gen { SQ_GEN_CONFIG = 1, SQ_GEN_REVOCATION = 2 };
/* Inside a transaction: bumps the named counters. */
int sq_bump(struct sq *q, unsigned which, char *err, size_t errlen);

/* Binding and column helpers.  Text is bound SQLITE_STATIC: the caller's
 * buffer outlives the statement step. */
int sq_bind_text(sqlite3_stmt *st, int i, const char *s);
/* NULL or "" bound as NULL. */
int sq_bind_text_or_null(sqlite3_stmt *st, int i, const char *s);
/* Copies column i into dst (always terminated, cut if longer). */
void sq_col_copy(sqlite3_stmt *st, int i, char *dst, size_t dstsz);
/* Column i as a malloc'd string (NULL for SQL NULL or no memory: *oom set). */
char *sq_col_dup(sqlite3_stmt *st, int i, int *oom);

/* Single-value helpers: run `sql` with one text parameter, 0 / -1. */
int sq_count1(struct sq *q, const char *sql, const char *arg, int64_t *out,
              char *err, size_t errlen);

/* ---- operations ----------------------------------------------------------
 * sq_NAME for every operation of STORE_OPS (store_int.h), by file:
 *   sqlite.c          generation, purge, counts
 *   sqlite_params.c   cluster mode, enterprise parameters
 *   sqlite_model.c    nodes, device pools, security profiles, devices
 *   sqlite_files.c    per-model loads, dial plans, softkey templates,
 *                     feature policies
 *   sqlite_trust.c    certificates, Expressway-C entries, signing keys
 *   sqlite_code.c     activation codes
 *   sqlite_client.c   OAuth clients
 *   sqlite_refresh.c  refresh-token families and rotation
 *   sqlite_revoke.c   revocations
 *   sqlite_binding.c  SIP bindings
 *   sqlite_action.c   Apply Config / reset / restart requests */
/* sqlite_refresh.c: family f and its first token, in the caller's
 * transaction (store_family_create and store_code_use). */
int sq_family_insert(struct sq *q, const struct store_family *f,
                     const char *token_hash, char *err, size_t errlen);
#define SQ_OP_DECLARE(name, ret, params, args) ret sq_##name STORE_OP_PARAMS params;
STORE_OPS(SQ_OP_DECLARE)
#undef SQ_OP_DECLARE

/* Inside a transaction (sqlite_revoke.c): records a revocation row and
 * revokes the matching live families; used by refresh rotation and device
 * deletion too. */
int sq_revoke_in_tx(struct sq *q, enum store_revocation_kind kind,
                    const char *value, int64_t issued_before,
                    int64_t purge_after, int64_t now, char *err, size_t errlen);

/* Inside the module (sqlite_model.c): deletes `name` with del_sql unless
 * use_sql finds a device that uses it ("KIND NAME is in use by device D");
 * one transaction, config generation bumped. */
int sq_delete_unused(struct sq *q, const char *use_sql, const char *del_sql,
                     const char *kind, const char *name, char *err, size_t errlen);

/* sqlite_schema.c */
int sq_migrate(struct sq *q, char *err, size_t errlen);
int sq_user_version(struct sq *q, int *out, char *err, size_t errlen);

#endif
