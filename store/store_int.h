/*
 * store_int.h - private to store/: the table of operations a backend
 * implements, and helpers the backends share.  Callers only see store.h.
 *
 * A backend allocates its own connection struct with `struct store` as its
 * first member and points `ops` at its table; store.c forwards each public
 * call through it.  Input checks that do not depend on the backend (string
 * limits, canonical names) live in store.c so every backend refuses the same
 * things with the same words.
 */
#ifndef OPROV_STORE_INT_H
#define OPROV_STORE_INT_H

#include <stdarg.h>

#include "common/common.h"
#include "store/store.h"

/*
 * The operations of a backend, one X(name, return type, parameters,
 * arguments) each.  Every operation also takes the store first and an error
 * buffer last: `(const char *name)` stands for
 * `(struct store *s, const char *name, char *err, size_t errlen)`, the
 * arguments list the same names in the same order.  From this one list come
 * the members of struct store_ops, the forwarders store.c defines for the
 * public store_NAME() of store.h, and a backend's declarations and table
 * (sqlite_int.h, sqlite.c).  A new operation is a line here, its public
 * declaration in store.h and each backend's function.
 */
#define STORE_OPS(X) \
	/* generation, cluster mode, enterprise parameters */ \
	X(generation, int, (struct store_generation *out), (out)) \
	X(cluster_get, int, (struct cfg_cluster *out), (out)) \
	X(cluster_set, int, (const struct cfg_cluster *c), (c)) \
	X(param_get, int, (const char *name, char *value, size_t valuelen), \
	  (name, value, valuelen)) \
	X(param_set, int, (const char *name, const char *value), (name, value)) \
	X(param_unset, int, (const char *name), (name)) \
	X(param_list, int, (store_param_cb cb, void *ctx), (cb, ctx)) \
	X(param_apply, int, (const struct store_param_change *ch, size_t n), (ch, n)) \
	/* nodes, device pools, security profiles, devices */ \
	X(node_put, int, (const struct cfg_node *n), (n)) \
	X(node_get, int, (const char *name, struct cfg_node *out), (name, out)) \
	X(node_delete, int, (const char *name), (name)) \
	X(node_list, int, (store_node_cb cb, void *ctx), (cb, ctx)) \
	X(pool_put, int, (const struct cfg_pool *p), (p)) \
	X(pool_get, int, (const char *name, struct cfg_pool *out), (name, out)) \
	X(pool_delete, int, (const char *name), (name)) \
	X(pool_list, int, (store_pool_cb cb, void *ctx), (cb, ctx)) \
	X(profile_put, int, (const struct cfg_profile *p), (p)) \
	X(profile_get, int, (const char *name, struct cfg_profile *out), (name, out)) \
	X(profile_delete, int, (const char *name), (name)) \
	X(profile_list, int, (store_profile_cb cb, void *ctx), (cb, ctx)) \
	X(device_put, int, (const struct cfg_device *d, unsigned flags), (d, flags)) \
	X(device_get, int, (const char *name, struct cfg_device *out), (name, out)) \
	X(device_delete, int, (const char *name, int64_t now), (name, now)) \
	X(device_list, int, (const char *after, size_t limit, store_device_cb cb, \
	                     void *ctx), \
	  (after, limit, cb, ctx)) \
	X(device_import, int, (store_device_next_fn next, void *ctx, unsigned flags, \
	                       size_t *count), \
	  (next, ctx, flags, count)) \
	X(device_edit, int, (const char *name, store_device_edit_fn fn, void *ctx), \
	  (name, fn, ctx)) \
	X(line_shared, int, (const char *device, uint32_t *mask), (device, mask)) \
	/* per-model loads, dial plans, softkey templates, feature policies */ \
	X(model_load_set, int, (const char *model, const char *load), (model, load)) \
	X(model_load_unset, int, (const char *model), (model)) \
	X(model_load_list, int, (store_model_load_cb cb, void *ctx), (cb, ctx)) \
	X(dialplan_put, int, (const struct cfg_dialplan *p), (p)) \
	X(dialplan_get, int, (const char *name, struct cfg_dialplan *out), (name, out)) \
	X(dialplan_delete, int, (const char *name), (name)) \
	X(dialplan_list, int, (store_dialplan_cb cb, void *ctx), (cb, ctx)) \
	X(softkeys_put, int, (const struct cfg_softkeys *k), (k)) \
	X(softkeys_get, int, (const char *name, struct cfg_softkeys *out), (name, out)) \
	X(softkeys_delete, int, (const char *name), (name)) \
	X(softkeys_list, int, (store_softkeys_cb cb, void *ctx), (cb, ctx)) \
	X(fpolicy_put, int, (const struct cfg_fpolicy *f), (f)) \
	X(fpolicy_get, int, (const char *name, struct cfg_fpolicy *out), (name, out)) \
	X(fpolicy_delete, int, (const char *name), (name)) \
	X(fpolicy_list, int, (store_fpolicy_cb cb, void *ctx), (cb, ctx)) \
	/* Apply Config / reset / restart requests for oprov-sipd */ \
	X(action_request, int, (const char *device, const char *action, int64_t now, \
	                        int64_t *seq), (device, action, now, seq)) \
	X(action_get, int, (const char *device, struct store_action *out), (device, out)) \
	X(action_pending, int, (const char *node, store_action_cb cb, void *ctx), \
	  (node, cb, ctx)) \
	X(action_update, int, (const struct store_action *a), (a)) \
	/* certificates, Expressway-C entries, signing keys */ \
	X(cert_add, int, (const struct store_cert *c, int64_t *id_out), (c, id_out)) \
	X(cert_get, int, (int64_t id, struct store_cert *out), (id, out)) \
	X(cert_tomcat, int, (struct store_cert *out), (out)) \
	X(cert_delete, int, (int64_t id), (id)) \
	X(cert_keyed, int, (const char *purpose, struct store_cert *out), (purpose, out)) \
	X(cert_promote, int, (const char *from, const char *to, const struct store_cert *c, \
	                      int64_t *id_out), \
	  (from, to, c, id_out)) \
	X(cert_list, int, (const char *purpose, store_cert_cb cb, void *ctx), \
	  (purpose, cb, ctx)) \
	X(expressway_put, int, (const struct store_expressway *e), (e)) \
	X(expressway_get, int, (const char *host, struct store_expressway *out), \
	  (host, out)) \
	X(expressway_delete, int, (const char *host), (host)) \
	X(expressway_list, int, (store_expressway_cb cb, void *ctx), (cb, ctx)) \
	X(key_rotate, int, (const struct store_key *k), (k)) \
	X(key_current, int, (struct store_key *out), (out)) \
	X(key_list, int, (store_key_cb cb, void *ctx), (cb, ctx)) \
	X(key_list_verify, int, (store_key_cb cb, void *ctx), (cb, ctx)) \
	X(key_note_exp, int, (const char *kid, int64_t exp), (kid, exp)) \
	X(key_activate, int, (int64_t now), (now)) \
	/* activation codes, OAuth clients */ \
	X(code_issue, int, (const char *device, const char *code_hash, int64_t created, \
	                    int64_t expires), \
	  (device, code_hash, created, expires)) \
	/* store_code_consume and store_code_redeem (store.c) */ \
	X(code_use, int, (const char *device, const char *code_hash, int64_t now, \
	                  const struct store_family *f, const char *token_hash, \
	                  char *device_out, size_t device_outlen), \
	  (device, code_hash, now, f, token_hash, device_out, device_outlen)) \
	X(code_revoke, int, (const char *device), (device)) \
	X(code_list, int, (store_code_cb cb, void *ctx), (cb, ctx)) \
	X(client_add, int, (const struct store_client *c), (c)) \
	X(client_get, int, (const char *name, struct store_client *out), (name, out)) \
	X(client_delete, int, (const char *name), (name)) \
	X(client_list, int, (store_client_cb cb, void *ctx), (cb, ctx)) \
	/* refresh-token families and rotation */ \
	X(family_create, int, (const struct store_family *f, const char *token_hash), \
	  (f, token_hash)) \
	X(family_get, int, (const char *id, struct store_family *out), (id, out)) \
	X(family_list, int, (store_family_cb cb, void *ctx), (cb, ctx)) \
	X(refresh_rotate, int, (const char *old_hash, const char *new_hash, int64_t now, \
	                        struct store_family *fam_out), \
	  (old_hash, new_hash, now, fam_out)) \
	X(refresh_find, int, (const char *token_hash, struct store_family *out, \
	                      int *is_current), \
	  (token_hash, out, is_current)) \
	/* revocations */ \
	X(revoke_jti, int, (const char *jti, int64_t exp, int64_t now), (jti, exp, now)) \
	X(revoke_family, int, (const char *family, int64_t now), (family, now)) \
	X(revoke_device, int, (const char *device, int64_t now), (device, now)) \
	X(revoke_user, int, (const char *user, int64_t now), (user, now)) \
	X(revoke_all, int, (int64_t now), (now)) \
	X(token_revoked, int, (const char *jti, const char *dev, const char *sub, \
	                       const char *family, int64_t iat), \
	  (jti, dev, sub, family, iat)) \
	X(revocation_list, int, (store_revocation_cb cb, void *ctx), (cb, ctx)) \
	/* SIP bindings */ \
	X(binding_put, int, (const struct store_binding *b), (b)) \
	X(binding_delete, int, (const char *aor, const char *instance, int64_t reg_id), \
	  (aor, instance, reg_id)) \
	X(binding_apply, int, (const struct store_binding_change *changes, size_t n), \
	  (changes, n)) \
	X(binding_drop_node, int, (const char *node, uint64_t conn_id), (node, conn_id)) \
	X(binding_purge, int, (int64_t now, uint64_t *removed), (now, removed)) \
	X(binding_list, int, (store_binding_cb cb, void *ctx), (cb, ctx)) \
	/* housekeeping */ \
	X(purge, int, (int64_t now, uint64_t *removed), (now, removed)) \
	X(counts, int, (int64_t now, struct store_counts *out), (now, out)) \
	/* several nodes on one store */ \
	X(wait_change, int, (int wake_fd, unsigned timeout_ms), (wake_fd, timeout_ms)) \
	X(publisher_get, int, (char *node, size_t nodelen), (node, nodelen)) \
	X(publisher_set, int, (const char *node), (node)) \
	X(heartbeat_put, int, (const struct store_heartbeat *h), (h)) \
	X(heartbeat_list, int, (store_heartbeat_cb cb, void *ctx), (cb, ctx)) \
	X(counter_hit, int, (const char *name, int64_t now, int64_t window, \
	                     int64_t add, int64_t *hits), \
	  (name, now, window, add, hits)) \
	X(housekeep, int, (const char *node, int64_t now, int64_t interval, \
	                   int *ran, uint64_t *removed), \
	  (node, now, interval, ran, removed))

/* The full parameter and argument lists of an operation (see STORE_OPS). */
#define STORE_OP_PARAMS(...) (struct store *s, __VA_ARGS__, char *err, size_t errlen)
#define STORE_OP_ARGS(...) (s, __VA_ARGS__, err, errlen)

struct store_ops {
	const char *name;
	void (*close)(struct store *s);
	/* A read snapshot spanning several calls (no-op when one is open);
	 * *opened tells snapshot_end whether to close it. */
	int (*snapshot_begin)(struct store *s, int *opened, char *err,
	                      size_t errlen);
	void (*snapshot_end)(struct store *s, int opened);
	/* 1 when the last failure was the database being out of reach (or
	 * busy past the timeout), not a refusal: see store_unavailable(). */
	int (*unavailable)(struct store *s);
	/* How long a write waits for another writer's lock (store.h
	 * store_set_lock_wait). */
	int (*set_lock_wait)(struct store *s, unsigned ms);
#define STORE_OP_MEMBER(name, ret, params, args) ret (*name) STORE_OP_PARAMS params;
	STORE_OPS(STORE_OP_MEMBER)
#undef STORE_OP_MEMBER
};

struct store {
	const struct store_ops *ops;
};

/* The SQLite backend (sqlite.c): DIR/oprov.db. */
struct store *store_sqlite_open(const char *datadir, unsigned flags,
                                char *err, size_t errlen);
/* The PostgreSQL backend (pg.c): a libpq connection URI. */
struct store *store_pg_open(const char *uri, unsigned flags, char *err,
                            size_t errlen);

/* ---- the schema (schema.c) ------------------------------------------------ */
/* Migration i (0-based: it takes version i to i + 1) as SQL for SQLite
 * (postgres 0) or PostgreSQL (1), malloc'd; NULL when out of range or out
 * of memory. */
char *store_migration_sql(int i, int postgres);


/* ---- shared helpers (store.c) --------------------------------------------- */
/* Formats into err (when not NULL) and returns -1. */
int store_fail(char *err, size_t errlen, const char *fmt, ...) OPROV_PRINTF(3, 4);
/* As store_fail but returns STORE_NOTFOUND. */
int store_notfound(char *err, size_t errlen, const char *fmt, ...) OPROV_PRINTF(3, 4);
/* 0 when `s` is non-NULL, NUL-terminated within `max` bytes and (if
 * nonempty) not empty; else -1 with "FIELD: ..." in err. */
int store_check_str(const char *s, size_t max, int nonempty,
                    const char *field, char *err, size_t errlen);
/* Copies src upper-cased (ASCII) into dst; -1 when it does not fit. */
int store_upper(char *dst, size_t dstsz, const char *src);
/* Copies src lower-cased (ASCII) into dst; -1 when it does not fit. */
int store_lower(char *dst, size_t dstsz, const char *src);
/* Copies src into dst (always terminated); -1 when it was cut. */
int store_copy(char *dst, size_t dstsz, const char *src);

/* A device name as the key every backend stores: checked (present,
 * non-empty, within CFG_DEVNAME_MAX) and upper-cased into key. */
int store_device_key(const char *device, char key[CFG_DEVNAME_MAX], char *err,
                     size_t errlen);

/* Record checks shared by backends: every text field terminated within its
 * array, key fields non-empty, line buttons distinct. */
int store_check_device(const struct cfg_device *d, char *err, size_t errlen);
int store_check_node(const struct cfg_node *n, char *err, size_t errlen);
int store_check_pool(const struct cfg_pool *p, char *err, size_t errlen);
int store_check_profile(const struct cfg_profile *p, char *err, size_t errlen);
int store_check_heartbeat(const struct store_heartbeat *h, char *err,
                          size_t errlen);
/* A counter name within STORE_COUNTER_NAME_MAX, window > 0, add >= 0. */
int store_check_counter(const char *name, int64_t window, int64_t add,
                        char *err, size_t errlen);

#endif
