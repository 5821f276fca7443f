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

struct store_ops {
	const char *name;
	void (*close)(struct store *s);
	/* A read snapshot spanning several calls (no-op when one is open);
	 * *opened tells snapshot_end whether to close it. */
	int (*snapshot_begin)(struct store *s, int *opened, char *err,
	                      size_t errlen);
	void (*snapshot_end)(struct store *s, int opened);
	int (*generation)(struct store *s, struct store_generation *out,
	                char *err, size_t errlen);
	int (*cluster_get)(struct store *s, struct cfg_cluster *out, char *err,
	                size_t errlen);
	int (*cluster_set)(struct store *s, const struct cfg_cluster *c,
	                char *err, size_t errlen);
	int (*param_get)(struct store *s, const char *name, char *value,
	                size_t valuelen, char *err, size_t errlen);
	int (*param_set)(struct store *s, const char *name, const char *value,
	                char *err, size_t errlen);
	int (*param_unset)(struct store *s, const char *name, char *err,
	                size_t errlen);
	int (*param_list)(struct store *s, store_param_cb cb, void *ctx,
	                char *err, size_t errlen);
	int (*param_apply)(struct store *s, const struct store_param_change *ch,
	                size_t n, char *err, size_t errlen);
	int (*node_put)(struct store *s, const struct cfg_node *n, char *err,
	                size_t errlen);
	int (*node_get)(struct store *s, const char *name, struct cfg_node *out,
	                char *err, size_t errlen);
	int (*node_delete)(struct store *s, const char *name, char *err,
	                size_t errlen);
	int (*node_list)(struct store *s, store_node_cb cb, void *ctx, char *err,
	                size_t errlen);
	int (*pool_put)(struct store *s, const struct cfg_pool *p, char *err,
	                size_t errlen);
	int (*pool_get)(struct store *s, const char *name, struct cfg_pool *out,
	                char *err, size_t errlen);
	int (*pool_delete)(struct store *s, const char *name, char *err,
	                size_t errlen);
	int (*pool_list)(struct store *s, store_pool_cb cb, void *ctx, char *err,
	                size_t errlen);
	int (*profile_put)(struct store *s, const struct cfg_profile *p,
	                char *err, size_t errlen);
	int (*profile_get)(struct store *s, const char *name,
	                struct cfg_profile *out, char *err, size_t errlen);
	int (*profile_delete)(struct store *s, const char *name, char *err,
	                size_t errlen);
	int (*profile_list)(struct store *s, store_profile_cb cb, void *ctx,
	                char *err, size_t errlen);
	int (*device_put)(struct store *s, const struct cfg_device *d,
	                unsigned flags, char *err, size_t errlen);
	int (*device_get)(struct store *s, const char *name,
	                struct cfg_device *out, char *err, size_t errlen);
	int (*device_delete)(struct store *s, const char *name, int64_t now,
	                char *err, size_t errlen);
	int (*device_list)(struct store *s, const char *after, size_t limit,
	                store_device_cb cb, void *ctx, char *err,
	                size_t errlen);
	int (*device_import)(struct store *s, store_device_next_fn next,
	                void *ctx, unsigned flags, size_t *count, char *err,
	                size_t errlen);
	int (*cert_add)(struct store *s, const struct store_cert *c,
	                int64_t *id_out, char *err, size_t errlen);
	int (*cert_get)(struct store *s, int64_t id, struct store_cert *out,
	                char *err, size_t errlen);
	int (*cert_tomcat)(struct store *s, struct store_cert *out, char *err,
	                size_t errlen);
	int (*cert_delete)(struct store *s, int64_t id, char *err,
	                size_t errlen);
	int (*cert_list)(struct store *s, const char *purpose, store_cert_cb cb,
	                void *ctx, char *err, size_t errlen);
	int (*expressway_put)(struct store *s, const struct store_expressway *e,
	                char *err, size_t errlen);
	int (*expressway_get)(struct store *s, const char *host,
	                struct store_expressway *out, char *err, size_t errlen);
	int (*expressway_delete)(struct store *s, const char *host, char *err,
	                size_t errlen);
	int (*expressway_list)(struct store *s, store_expressway_cb cb,
	                void *ctx, char *err, size_t errlen);
	int (*key_rotate)(struct store *s, const struct store_key *k, char *err,
	                size_t errlen);
	int (*key_current)(struct store *s, struct store_key *out, char *err,
	                size_t errlen);
	int (*key_list)(struct store *s, store_key_cb cb, void *ctx, char *err,
	                size_t errlen);
	int (*key_list_verify)(struct store *s, store_key_cb cb, void *ctx,
	                char *err, size_t errlen);
	int (*code_issue)(struct store *s, const char *device,
	                const char *code_hash, int64_t created, int64_t expires,
	                char *err, size_t errlen);
	int (*code_consume)(struct store *s, const char *device,
	                const char *code_hash, int64_t now, char *device_out,
	                size_t device_outlen, char *err, size_t errlen);
	int (*code_revoke)(struct store *s, const char *device, char *err,
	                size_t errlen);
	int (*code_list)(struct store *s, store_code_cb cb, void *ctx, char *err,
	                size_t errlen);
	int (*client_add)(struct store *s, const struct store_client *c,
	                char *err, size_t errlen);
	int (*client_get)(struct store *s, const char *name,
	                struct store_client *out, char *err, size_t errlen);
	int (*client_delete)(struct store *s, const char *name, char *err,
	                size_t errlen);
	int (*client_list)(struct store *s, store_client_cb cb, void *ctx,
	                char *err, size_t errlen);
	int (*family_create)(struct store *s, const struct store_family *f,
	                const char *token_hash, char *err, size_t errlen);
	int (*family_get)(struct store *s, const char *id,
	                struct store_family *out, char *err, size_t errlen);
	int (*family_list)(struct store *s, store_family_cb cb, void *ctx,
	                char *err, size_t errlen);
	int (*refresh_rotate)(struct store *s, const char *old_hash,
	                const char *new_hash, int64_t now,
	                struct store_family *fam_out, char *err, size_t errlen);
	int (*refresh_find)(struct store *s, const char *token_hash,
	                struct store_family *out, int *is_current, char *err,
	                size_t errlen);
	int (*revoke_jti)(struct store *s, const char *jti, int64_t exp,
	                int64_t now, char *err, size_t errlen);
	int (*revoke_family)(struct store *s, const char *family, int64_t now,
	                char *err, size_t errlen);
	int (*revoke_device)(struct store *s, const char *device, int64_t now,
	                char *err, size_t errlen);
	int (*revoke_user)(struct store *s, const char *user, int64_t now,
	                char *err, size_t errlen);
	int (*revoke_all)(struct store *s, int64_t now, char *err,
	                size_t errlen);
	int (*token_revoked)(struct store *s, const char *jti, const char *dev,
	                const char *sub, const char *family, int64_t iat,
	                char *err, size_t errlen);
	int (*revocation_list)(struct store *s, store_revocation_cb cb,
	                void *ctx, char *err, size_t errlen);
	int (*binding_put)(struct store *s, const struct store_binding *b,
	                char *err, size_t errlen);
	int (*binding_delete)(struct store *s, const char *aor,
	                const char *instance, int64_t reg_id, char *err,
	                size_t errlen);
	int (*binding_apply)(struct store *s,
	                const struct store_binding_change *changes, size_t n,
	                char *err, size_t errlen);
	int (*binding_drop_node)(struct store *s, const char *node,
	                uint64_t conn_id, char *err, size_t errlen);
	int (*binding_purge)(struct store *s, int64_t now, uint64_t *removed,
	                     char *err, size_t errlen);
	int (*binding_list)(struct store *s, store_binding_cb cb, void *ctx,
	                char *err, size_t errlen);
	int (*purge)(struct store *s, int64_t now, uint64_t *removed, char *err,
	                size_t errlen);
	int (*counts)(struct store *s, int64_t now, struct store_counts *out,
	                char *err, size_t errlen);
};

struct store {
	const struct store_ops *ops;
};

/* The SQLite backend (sqlite.c). */
struct store *store_sqlite_open(const char *datadir, unsigned flags,
                                char *err, size_t errlen);
int store_sqlite_schema_version(void);

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

#endif
