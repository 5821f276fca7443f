/*
 * pg_int.h - private to the PostgreSQL backend (pg*.c): the connection
 * struct, running a statement with its parameters in one call,
 * transactions, reconnecting, and the operations each file implements.
 *
 * Concurrency is SQLite's, on purpose, so both backends answer alike:
 * every write transaction first takes one transaction-scoped advisory lock
 * (PG_WRITE_LOCK), so writers run one at a time across every node as
 * SQLite's BEGIN IMMEDIATE makes them run one at a time on one machine, and
 * the read-then-write steps of compare-and-swap operations (refresh
 * rotation, activation codes, the 16 phone-edge-trust places) cannot be
 * overtaken.  Writes are READ COMMITTED, so statements after the lock see
 * everything committed before it.  Multi-statement reads run in a
 * REPEATABLE READ READ ONLY transaction: one snapshot, like SQLite's.
 */
#ifndef OPROV_STORE_PG_INT_H
#define OPROV_STORE_PG_INT_H

#include <libpq-fe.h>

#include "store/store_int.h"

#define PG_WRITE_LOCK 0x6f70726f76      /* "oprov": the one writer lock */
#define PG_MIGRATE_LOCK 0x6f70726f77    /* schema migrations */
#define PG_CONNECT_TIMEOUT "3"          /* seconds, unless the URI says */
#define PG_PARAMS_MAX 16
/* A LISTENing connection trusts its cached generation this long without
 * a notification; then it reads the table again (the bounded fallback
 * poll, should a notification ever be lost). */
#define PG_GEN_RECHECK_MS 1000

struct pg {
	struct store base;              /* first: struct store * <-> struct pg * */
	PGconn *conn;
	char *uri;
	int readonly;
	int in_tx;                      /* a write transaction is open */
	int in_snap;                    /* a read snapshot is open */
	int listing;                    /* list callbacks are running */
	int listening;                  /* LISTEN done on this connection */
	int down;                       /* the last failure was the connection */
	uint64_t retry_ms;              /* no reconnect before (monotonic) */
	unsigned lock_wait_ms;          /* store_set_lock_wait */
	char sqlstate[6];               /* of the last failed statement */
	int gen_valid;
	uint64_t gen_ms;                /* when gen was read */
	struct store_generation gen;
};

#define PG(s) ((struct pg *)(s))

uint64_t pg_now_ms(void);

/* Runs one statement.  fmt has one letter per parameter, taken from the
 * variable arguments in order: 't' text (const char *; NULL is SQL NULL),
 * 'n' text where NULL and "" are SQL NULL, 'i' int64_t.  The result
 * (PQclear it), or NULL with "what: <server message>" in err and the
 * SQLSTATE in c->sqlstate. */
PGresult *pg_run(struct pg *c, const char *what, char *err, size_t errlen,
                 const char *sql, const char *fmt, ...);
/* pg_run for a statement whose result is not needed.  0 / -1; *changed
 * (may be NULL) gets the number of rows it touched. */
int pg_do(struct pg *c, const char *what, char *err, size_t errlen,
          uint64_t *changed, const char *sql, const char *fmt, ...);
/* "23505" and friends: was the last failure this SQLSTATE? */
int pg_state_is(const struct pg *c, const char *state);
#define PG_UNIQUE_VIOLATION "23505"

/* Column helpers (row r, column i). */
void pg_col_copy(const PGresult *res, int r, int i, char *dst, size_t dstsz);
int64_t pg_col_int(const PGresult *res, int r, int i);
/* malloc'd copy, NULL for SQL NULL (or no memory: *oom set). */
char *pg_col_dup(const PGresult *res, int r, int i, int *oom);

/* Write transaction (takes PG_WRITE_LOCK).  Refused on a read-only store
 * and inside list callbacks. */
int pg_begin(struct pg *c, char *err, size_t errlen);
int pg_commit(struct pg *c, char *err, size_t errlen);
void pg_rollback(struct pg *c);
/* Read snapshot; a no-op inside a transaction. */
int pg_read_begin(struct pg *c, int *opened, char *err, size_t errlen);
void pg_read_end(struct pg *c, int opened);

enum pg_gen { PG_GEN_CONFIG = 1, PG_GEN_REVOCATION = 2 };
/* Inside a transaction: bumps the named counters and notifies
 * STORE_NOTIFY_CHANNEL (delivered at commit). */
int pg_bump(struct pg *c, unsigned which, char *err, size_t errlen);

/* Calls cb for each row of res with c->listing raised, so a callback that
 * writes is refused.  row_fn turns row r into the record and calls cb. */
typedef int (*pg_row_fn)(struct pg *c, const PGresult *res, int r, void *cb,
                         void *ctx, char *err, size_t errlen);
int pg_each(struct pg *c, PGresult *res, pg_row_fn fn, void *cb, void *ctx,
            char *err, size_t errlen);

/* ---- operations ----------------------------------------------------------
 * pg_NAME for every operation of STORE_OPS (store_int.h), by file:
 *   pg.c          generation, purge, counts
 *   pg_cluster.c  change wait, publisher, heartbeats, counters, housekeeping
 *   pg_model.c    cluster mode, parameters, nodes, pools, profiles, devices
 *   pg_trust.c    certificates, Expressway-C entries, signing keys,
 *                 activation codes, OAuth clients
 *   pg_token.c    refresh families and rotation, revocations, bindings */
/* pg_token.c: family f and its first token, in the caller's transaction
 * (store_family_create and store_code_use). */
int pg_family_insert(struct pg *c, const struct store_family *f,
                     const char *token_hash, char *err, size_t errlen);
#define PG_OP_DECLARE(name, ret, params, args) ret pg_##name STORE_OP_PARAMS params;
STORE_OPS(PG_OP_DECLARE)
#undef PG_OP_DECLARE

/* pg_token.c: inside a transaction, records a revocation row and revokes
 * the matching live families (as sq_revoke_in_tx). */
int pg_revoke_in_tx(struct pg *c, enum store_revocation_kind kind,
                    const char *value, int64_t issued_before,
                    int64_t purge_after, int64_t now, char *err, size_t errlen);

/* pg_model.c: deletes `name` with del_sql unless use_sql finds a device
 * that uses it ("KIND NAME is in use by device D"); one transaction, config
 * generation bumped. */
int pg_delete_unused(struct pg *c, const char *use_sql, const char *del_sql,
                     const char *kind, const char *name, char *err,
                     size_t errlen);
/* pg_model.c: inside a transaction, the vendor settings of one owner
 * written whole into table (owner column owner_col); fresh: none yet. */
int pg_vendor_write(struct pg *c, const char *table, const char *owner_col,
                    const char *owner, const struct cfg_vendor *v, int fresh,
                    char *err, size_t errlen);
/* Rows r0.. of res (owner, name, value) while the owner is `owner`, into v;
 * the first row past them. */
int pg_vendor_take(const PGresult *res, int r0, const char *owner,
                   struct cfg_vendor *v);

#endif
