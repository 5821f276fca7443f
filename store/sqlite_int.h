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

/* ---- operations, by file -------------------------------------------------- */
/* sqlite.c */
int sq_generation(struct store *s, struct store_generation *out, char *err, size_t errlen);
int sq_cluster_get(struct store *s, struct cfg_cluster *out, char *err, size_t errlen);
int sq_cluster_set(struct store *s, const struct cfg_cluster *c, char *err, size_t errlen);
int sq_param_get(struct store *s, const char *name, char *value, size_t valuelen,
                 char *err, size_t errlen);
int sq_param_set(struct store *s, const char *name, const char *value, char *err,
                 size_t errlen);
int sq_param_unset(struct store *s, const char *name, char *err, size_t errlen);
int sq_param_list(struct store *s, store_param_cb cb, void *ctx, char *err,
                  size_t errlen);
int sq_param_apply(struct store *s, const struct store_param_change *ch, size_t n,
                   char *err, size_t errlen);
int sq_purge(struct store *s, int64_t now, uint64_t *removed, char *err, size_t errlen);
int sq_counts(struct store *s, int64_t now, struct store_counts *out, char *err,
              size_t errlen);

/* sqlite_model.c: nodes, pools, profiles, devices */
int sq_node_put(struct store *s, const struct cfg_node *n, char *err, size_t errlen);
int sq_node_get(struct store *s, const char *name, struct cfg_node *out, char *err,
                size_t errlen);
int sq_node_delete(struct store *s, const char *name, char *err, size_t errlen);
int sq_node_list(struct store *s, store_node_cb cb, void *ctx, char *err, size_t errlen);
int sq_pool_put(struct store *s, const struct cfg_pool *p, char *err, size_t errlen);
int sq_pool_get(struct store *s, const char *name, struct cfg_pool *out, char *err,
                size_t errlen);
int sq_pool_delete(struct store *s, const char *name, char *err, size_t errlen);
int sq_pool_list(struct store *s, store_pool_cb cb, void *ctx, char *err, size_t errlen);
int sq_profile_put(struct store *s, const struct cfg_profile *p, char *err,
                   size_t errlen);
int sq_profile_get(struct store *s, const char *name, struct cfg_profile *out,
                   char *err, size_t errlen);
int sq_profile_delete(struct store *s, const char *name, char *err, size_t errlen);
int sq_profile_list(struct store *s, store_profile_cb cb, void *ctx, char *err,
                    size_t errlen);
int sq_device_put(struct store *s, const struct cfg_device *d, unsigned flags,
                  char *err, size_t errlen);
int sq_device_get(struct store *s, const char *name, struct cfg_device *out,
                  char *err, size_t errlen);
int sq_device_delete(struct store *s, const char *name, int64_t now, char *err,
                     size_t errlen);
int sq_device_list(struct store *s, const char *after, size_t limit,
                   store_device_cb cb, void *ctx, char *err, size_t errlen);
int sq_device_import(struct store *s, store_device_next_fn next, void *ctx,
                     unsigned flags, size_t *count, char *err, size_t errlen);

/* sqlite_trust.c: certificates, Expressway-C entries, signing keys */
int sq_cert_add(struct store *s, const struct store_cert *c, int64_t *id_out,
                char *err, size_t errlen);
int sq_cert_get(struct store *s, int64_t id, struct store_cert *out, char *err,
                size_t errlen);
int sq_cert_tomcat(struct store *s, struct store_cert *out, char *err, size_t errlen);
int sq_cert_delete(struct store *s, int64_t id, char *err, size_t errlen);
int sq_cert_list(struct store *s, const char *purpose, store_cert_cb cb, void *ctx,
                 char *err, size_t errlen);
int sq_expressway_put(struct store *s, const struct store_expressway *e, char *err,
                      size_t errlen);
int sq_expressway_get(struct store *s, const char *host, struct store_expressway *out,
                      char *err, size_t errlen);
int sq_expressway_delete(struct store *s, const char *host, char *err, size_t errlen);
int sq_expressway_list(struct store *s, store_expressway_cb cb, void *ctx, char *err,
                       size_t errlen);
int sq_key_rotate(struct store *s, const struct store_key *k, char *err, size_t errlen);
int sq_key_current(struct store *s, struct store_key *out, char *err, size_t errlen);
int sq_key_list(struct store *s, store_key_cb cb, void *ctx, char *err, size_t errlen);
int sq_key_list_verify(struct store *s, store_key_cb cb, void *ctx, char *err,
                       size_t errlen);

/* sqlite_code.c */
int sq_code_issue(struct store *s, const char *device, const char *code_hash,
                  int64_t created, int64_t expires, char *err, size_t errlen);
int sq_code_consume(struct store *s, const char *device, const char *code_hash,
                    int64_t now, char *device_out, size_t device_outlen, char *err,
                    size_t errlen);
int sq_code_revoke(struct store *s, const char *device, char *err, size_t errlen);
int sq_code_list(struct store *s, store_code_cb cb, void *ctx, char *err, size_t errlen);
/* sqlite_client.c */
int sq_client_add(struct store *s, const struct store_client *c, char *err,
                  size_t errlen);
int sq_client_get(struct store *s, const char *name, struct store_client *out,
                  char *err, size_t errlen);
int sq_client_delete(struct store *s, const char *name, char *err, size_t errlen);
int sq_client_list(struct store *s, store_client_cb cb, void *ctx, char *err,
                   size_t errlen);
/* sqlite_refresh.c */
int sq_family_create(struct store *s, const struct store_family *f,
                     const char *token_hash, char *err, size_t errlen);
int sq_family_get(struct store *s, const char *id, struct store_family *out,
                  char *err, size_t errlen);
int sq_family_list(struct store *s, store_family_cb cb, void *ctx, char *err,
                   size_t errlen);
int sq_refresh_rotate(struct store *s, const char *old_hash, const char *new_hash,
                      int64_t now, struct store_family *fam_out, char *err,
                      size_t errlen);
int sq_refresh_find(struct store *s, const char *token_hash, struct store_family *out,
                    int *is_current, char *err, size_t errlen);
/* sqlite_revoke.c */
int sq_revoke_jti(struct store *s, const char *jti, int64_t exp, int64_t now,
                  char *err, size_t errlen);
int sq_revoke_family(struct store *s, const char *family, int64_t now, char *err,
                     size_t errlen);
int sq_revoke_device(struct store *s, const char *device, int64_t now, char *err,
                     size_t errlen);
int sq_revoke_user(struct store *s, const char *user, int64_t now, char *err,
                   size_t errlen);
int sq_revoke_all(struct store *s, int64_t now, char *err, size_t errlen);
int sq_token_revoked(struct store *s, const char *jti, const char *dev,
                     const char *sub, const char *family, int64_t iat, char *err,
                     size_t errlen);
int sq_revocation_list(struct store *s, store_revocation_cb cb, void *ctx, char *err,
                       size_t errlen);
/* sqlite_binding.c */
int sq_binding_put(struct store *s, const struct store_binding *b, char *err,
                   size_t errlen);
int sq_binding_delete(struct store *s, const char *aor, const char *instance,
                      int64_t reg_id, char *err, size_t errlen);
int sq_binding_apply(struct store *s, const struct store_binding_change *changes,
                     size_t n, char *err, size_t errlen);
int sq_binding_drop_node(struct store *s, const char *node, uint64_t conn_id,
                         char *err, size_t errlen);
int sq_binding_purge(struct store *s, int64_t now, uint64_t *removed, char *err,
                     size_t errlen);
int sq_binding_list(struct store *s, store_binding_cb cb, void *ctx, char *err,
                    size_t errlen);

/* Inside a transaction (sqlite_revoke.c): records a revocation row and
 * revokes the matching live families; used by refresh rotation and device
 * deletion too. */
int sq_revoke_in_tx(struct sq *q, enum store_revocation_kind kind,
                    const char *value, int64_t issued_before,
                    int64_t purge_after, int64_t now, char *err, size_t errlen);

/* sqlite_schema.c */
int sq_migrate(struct sq *q, char *err, size_t errlen);
int sq_user_version(struct sq *q, int *out, char *err, size_t errlen);

#endif
