/*
 * store.c - the public entry points: choose the backend, forward every call
 * through its operations table, and the checks all backends share.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct store *
store_open(const char *datadir, unsigned flags, char *err, size_t errlen)
{
	if (datadir == NULL || datadir[0] == '\0') {
		store_fail(err, errlen, "no data directory given");
		return NULL;
	}
	if ((flags & STORE_READONLY) && (flags & STORE_CREATE)) {
		store_fail(err, errlen, "a store cannot be created read-only");
		return NULL;
	}
	return store_sqlite_open(datadir, flags, err, errlen);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

int
store_schema_version(void)
{
	return store_sqlite_schema_version();
}

void
store_cert_free(struct store_cert *c)
{
	if (c == NULL)
		return;
	if (c->key_pem != NULL) {
		mem_wipe((void *)c->key_pem, strlen(c->key_pem));
		free((void *)c->key_pem);
	}
	free((void *)c->pem);
	c->pem = NULL;
	c->key_pem = NULL;
}

void
store_key_free(struct store_key *k)
{
	if (k == NULL)
		return;
	if (k->private_pem != NULL) {
		mem_wipe((void *)k->private_pem, strlen(k->private_pem));
		free((void *)k->private_pem);
	}
	free((void *)k->public_jwk);
	k->private_pem = NULL;
	k->public_jwk = NULL;
}

struct import_array {
	const struct cfg_device *devs;
	size_t n, i;
};

static int
import_array_next(void *ctx, const struct cfg_device **dev)
{
	struct import_array *a = ctx;

	if (a->i == a->n)
		return 0;
	*dev = &a->devs[a->i++];
	return 1;
}

int
store_device_import_array(struct store *s, const struct cfg_device *devs,
                          size_t n, unsigned flags, char *err, size_t errlen)
{
	struct import_array a = { devs, n, 0 };

	return s->ops->device_import(s, import_array_next, &a, flags, NULL, err,
	                             errlen);
}

/* ---- shared helpers ------------------------------------------------------ */

static void OPROV_PRINTF(3, 0)
vfmt(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err != NULL && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
}

int
store_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfmt(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
store_notfound(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfmt(err, errlen, fmt, ap);
	va_end(ap);
	return STORE_NOTFOUND;
}

int
store_check_str(const char *s, size_t max, int nonempty, const char *field,
                char *err, size_t errlen)
{
	if (s == NULL)
		return store_fail(err, errlen, "%s: missing", field);
	if (strnlen(s, max) == max)
		return store_fail(err, errlen, "%s: longer than %zu bytes", field,
		                  max - 1);
	if (nonempty && s[0] == '\0')
		return store_fail(err, errlen, "%s: empty", field);
	return 0;
}

static int
copy_case(char *dst, size_t dstsz, const char *src, int upper)
{
	size_t i;

	for (i = 0; src[i] != '\0'; i++) {
		char c = src[i];

		if (i + 1 >= dstsz) {
			if (dstsz > 0)
				dst[dstsz - 1] = '\0';
			return -1;
		}
		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		dst[i] = c;
	}
	if (dstsz == 0)
		return -1;
	dst[i] = '\0';
	return 0;
}

int
store_upper(char *dst, size_t dstsz, const char *src)
{
	return copy_case(dst, dstsz, src, 1);
}

int
store_lower(char *dst, size_t dstsz, const char *src)
{
	return copy_case(dst, dstsz, src, 0);
}

int
store_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	if (dstsz == 0)
		return -1;
	n = strlen(src);
	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
store_device_key(const char *device, char key[CFG_DEVNAME_MAX], char *err,
                 size_t errlen)
{
	if (store_check_str(device, CFG_DEVNAME_MAX, 1, "device name", err,
	                    errlen) < 0)
		return -1;
	store_upper(key, CFG_DEVNAME_MAX, device);
	return 0;
}

#define CHECK(f, max, ne, name) \
	do { \
		if (store_check_str((f), (max), (ne), (name), err, errlen) < 0) \
			return -1; \
	} while (0)

int
store_check_device(const struct cfg_device *d, char *err, size_t errlen)
{
	char pfx[64];

	CHECK(d->name, sizeof(d->name), 1, "device name");
	snprintf(pfx, sizeof(pfx), "device %s", d->name);
	CHECK(d->model, sizeof(d->model), 1, "device model");
	CHECK(d->profile, sizeof(d->profile), 1, "device security profile");
	CHECK(d->owner, sizeof(d->owner), 0, "device owner");
	CHECK(d->pool, sizeof(d->pool), 0, "device pool");
	CHECK(d->description, sizeof(d->description), 0, "device description");
	CHECK(d->load, sizeof(d->load), 0, "device load");
	CHECK(d->mra_domain, sizeof(d->mra_domain), 0, "device MRA domain");
	if (d->line_count > CFG_LINES_MAX)
		return store_fail(err, errlen, "%s: more than %d lines", pfx,
		                  CFG_LINES_MAX);
	for (size_t i = 0; i < d->line_count; i++) {
		const struct cfg_line *l = &d->lines[i];

		CHECK(l->dn, sizeof(l->dn), 1, "line directory number");
		CHECK(l->label, sizeof(l->label), 0, "line label");
		CHECK(l->display_name, sizeof(l->display_name), 0,
		      "line display name");
		for (size_t j = 0; j < i; j++)
			if (d->lines[j].button == l->button)
				return store_fail(err, errlen,
				                  "%s: line button %u used twice",
				                  pfx, l->button);
	}
	return 0;
}

int
store_check_node(const struct cfg_node *n, char *err, size_t errlen)
{
	CHECK(n->name, sizeof(n->name), 1, "node name");
	CHECK(n->host, sizeof(n->host), 0, "node host");
	CHECK(n->description, sizeof(n->description), 0, "node description");
	return 0;
}

int
store_check_pool(const struct cfg_pool *p, char *err, size_t errlen)
{
	CHECK(p->name, sizeof(p->name), 1, "device pool name");
	CHECK(p->time_zone, sizeof(p->time_zone), 0, "device pool time zone");
	CHECK(p->date_template, sizeof(p->date_template), 0,
	      "device pool date template");
	if (p->ntp_count > CFG_NTP_MAX)
		return store_fail(err, errlen, "device pool %s: more than %d NTP servers",
		                  p->name, CFG_NTP_MAX);
	if (p->node_count > CFG_GROUP_MAX)
		return store_fail(err, errlen, "device pool %s: more than %d nodes",
		                  p->name, CFG_GROUP_MAX);
	for (size_t i = 0; i < p->ntp_count; i++)
		CHECK(p->ntp[i], sizeof(p->ntp[i]), 1, "device pool NTP server");
	for (size_t i = 0; i < p->node_count; i++) {
		CHECK(p->nodes[i], sizeof(p->nodes[i]), 1, "device pool node");
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->nodes[i], p->nodes[j]) == 0)
				return store_fail(err, errlen,
				                  "device pool %s: node %s listed twice",
				                  p->name, p->nodes[i]);
	}
	return 0;
}

int
store_check_profile(const struct cfg_profile *p, char *err, size_t errlen)
{
	CHECK(p->name, sizeof(p->name), 1, "security profile name");
	CHECK(p->description, sizeof(p->description), 0,
	      "security profile description");
	return 0;
}

/* ---- forwarding to the backend ------------------------------------------- */

int
store_generation(struct store *s, struct store_generation *out, char *err,
                 size_t errlen)
{
	return s->ops->generation(s, out, err, errlen);
}

int
store_cluster_get(struct store *s, struct cfg_cluster *out, char *err,
                  size_t errlen)
{
	return s->ops->cluster_get(s, out, err, errlen);
}

int
store_cluster_set(struct store *s, const struct cfg_cluster *c, char *err,
                  size_t errlen)
{
	return s->ops->cluster_set(s, c, err, errlen);
}

int
store_param_get(struct store *s, const char *name, char *value, size_t valuelen,
                char *err, size_t errlen)
{
	return s->ops->param_get(s, name, value, valuelen, err, errlen);
}

int
store_param_set(struct store *s, const char *name, const char *value, char *err,
                size_t errlen)
{
	return s->ops->param_set(s, name, value, err, errlen);
}

int
store_param_unset(struct store *s, const char *name, char *err, size_t errlen)
{
	return s->ops->param_unset(s, name, err, errlen);
}

int
store_param_list(struct store *s, store_param_cb cb, void *ctx, char *err,
                 size_t errlen)
{
	return s->ops->param_list(s, cb, ctx, err, errlen);
}

int
store_param_apply(struct store *s, const struct store_param_change *ch, size_t n,
                  char *err, size_t errlen)
{
	return s->ops->param_apply(s, ch, n, err, errlen);
}

int
store_node_put(struct store *s, const struct cfg_node *n, char *err,
               size_t errlen)
{
	return s->ops->node_put(s, n, err, errlen);
}

int
store_node_get(struct store *s, const char *name, struct cfg_node *out,
               char *err, size_t errlen)
{
	return s->ops->node_get(s, name, out, err, errlen);
}

int
store_node_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return s->ops->node_delete(s, name, err, errlen);
}

int
store_node_list(struct store *s, store_node_cb cb, void *ctx, char *err,
                size_t errlen)
{
	return s->ops->node_list(s, cb, ctx, err, errlen);
}

int
store_pool_put(struct store *s, const struct cfg_pool *p, char *err,
               size_t errlen)
{
	return s->ops->pool_put(s, p, err, errlen);
}

int
store_pool_get(struct store *s, const char *name, struct cfg_pool *out,
               char *err, size_t errlen)
{
	return s->ops->pool_get(s, name, out, err, errlen);
}

int
store_pool_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return s->ops->pool_delete(s, name, err, errlen);
}

int
store_pool_list(struct store *s, store_pool_cb cb, void *ctx, char *err,
                size_t errlen)
{
	return s->ops->pool_list(s, cb, ctx, err, errlen);
}

int
store_profile_put(struct store *s, const struct cfg_profile *p, char *err,
                  size_t errlen)
{
	return s->ops->profile_put(s, p, err, errlen);
}

int
store_profile_get(struct store *s, const char *name, struct cfg_profile *out,
                  char *err, size_t errlen)
{
	return s->ops->profile_get(s, name, out, err, errlen);
}

int
store_profile_delete(struct store *s, const char *name, char *err,
                     size_t errlen)
{
	return s->ops->profile_delete(s, name, err, errlen);
}

int
store_profile_list(struct store *s, store_profile_cb cb, void *ctx, char *err,
                   size_t errlen)
{
	return s->ops->profile_list(s, cb, ctx, err, errlen);
}

int
store_device_put(struct store *s, const struct cfg_device *d, unsigned flags,
                 char *err, size_t errlen)
{
	return s->ops->device_put(s, d, flags, err, errlen);
}

int
store_device_get(struct store *s, const char *name, struct cfg_device *out,
                 char *err, size_t errlen)
{
	return s->ops->device_get(s, name, out, err, errlen);
}

int
store_device_delete(struct store *s, const char *name, int64_t now, char *err,
                    size_t errlen)
{
	return s->ops->device_delete(s, name, now, err, errlen);
}

int
store_device_list(struct store *s, const char *after, size_t limit,
                  store_device_cb cb, void *ctx, char *err, size_t errlen)
{
	return s->ops->device_list(s, after, limit, cb, ctx, err, errlen);
}

int
store_device_import(struct store *s, store_device_next_fn next, void *ctx,
                    unsigned flags, size_t *count, char *err, size_t errlen)
{
	return s->ops->device_import(s, next, ctx, flags, count, err, errlen);
}

int
store_cert_add(struct store *s, const struct store_cert *c, int64_t *id_out,
               char *err, size_t errlen)
{
	return s->ops->cert_add(s, c, id_out, err, errlen);
}

int
store_cert_get(struct store *s, int64_t id, struct store_cert *out, char *err,
               size_t errlen)
{
	return s->ops->cert_get(s, id, out, err, errlen);
}

int
store_cert_tomcat(struct store *s, struct store_cert *out, char *err,
                  size_t errlen)
{
	return s->ops->cert_tomcat(s, out, err, errlen);
}

int
store_cert_delete(struct store *s, int64_t id, char *err, size_t errlen)
{
	return s->ops->cert_delete(s, id, err, errlen);
}

int
store_cert_list(struct store *s, const char *purpose, store_cert_cb cb,
                void *ctx, char *err, size_t errlen)
{
	return s->ops->cert_list(s, purpose, cb, ctx, err, errlen);
}

int
store_expressway_put(struct store *s, const struct store_expressway *e,
                     char *err, size_t errlen)
{
	return s->ops->expressway_put(s, e, err, errlen);
}

int
store_expressway_get(struct store *s, const char *host,
                     struct store_expressway *out, char *err, size_t errlen)
{
	return s->ops->expressway_get(s, host, out, err, errlen);
}

int
store_expressway_delete(struct store *s, const char *host, char *err,
                        size_t errlen)
{
	return s->ops->expressway_delete(s, host, err, errlen);
}

int
store_expressway_list(struct store *s, store_expressway_cb cb, void *ctx,
                      char *err, size_t errlen)
{
	return s->ops->expressway_list(s, cb, ctx, err, errlen);
}

int
store_key_rotate(struct store *s, const struct store_key *k, char *err,
                 size_t errlen)
{
	return s->ops->key_rotate(s, k, err, errlen);
}

int
store_key_current(struct store *s, struct store_key *out, char *err,
                  size_t errlen)
{
	return s->ops->key_current(s, out, err, errlen);
}

int
store_key_list(struct store *s, store_key_cb cb, void *ctx, char *err,
               size_t errlen)
{
	return s->ops->key_list(s, cb, ctx, err, errlen);
}

int
store_key_list_verify(struct store *s, store_key_cb cb, void *ctx, char *err,
                      size_t errlen)
{
	return s->ops->key_list_verify(s, cb, ctx, err, errlen);
}

int
store_code_issue(struct store *s, const char *device, const char *code_hash,
                 int64_t created, int64_t expires, char *err, size_t errlen)
{
	return s->ops->code_issue(s, device, code_hash, created, expires, err,
	                errlen);
}

int
store_code_consume(struct store *s, const char *device, const char *code_hash,
                   int64_t now, char *device_out, size_t device_outlen,
                   char *err, size_t errlen)
{
	return s->ops->code_consume(s, device, code_hash, now, device_out,
	                device_outlen, err, errlen);
}

int
store_code_revoke(struct store *s, const char *device, char *err, size_t errlen)
{
	return s->ops->code_revoke(s, device, err, errlen);
}

int
store_code_list(struct store *s, store_code_cb cb, void *ctx, char *err,
                size_t errlen)
{
	return s->ops->code_list(s, cb, ctx, err, errlen);
}

int
store_client_add(struct store *s, const struct store_client *c, char *err,
                 size_t errlen)
{
	return s->ops->client_add(s, c, err, errlen);
}

int
store_client_get(struct store *s, const char *name, struct store_client *out,
                 char *err, size_t errlen)
{
	return s->ops->client_get(s, name, out, err, errlen);
}

int
store_client_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return s->ops->client_delete(s, name, err, errlen);
}

int
store_client_list(struct store *s, store_client_cb cb, void *ctx, char *err,
                  size_t errlen)
{
	return s->ops->client_list(s, cb, ctx, err, errlen);
}

int
store_family_create(struct store *s, const struct store_family *f,
                    const char *token_hash, char *err, size_t errlen)
{
	return s->ops->family_create(s, f, token_hash, err, errlen);
}

int
store_family_get(struct store *s, const char *id, struct store_family *out,
                 char *err, size_t errlen)
{
	return s->ops->family_get(s, id, out, err, errlen);
}

int
store_family_list(struct store *s, store_family_cb cb, void *ctx, char *err,
                  size_t errlen)
{
	return s->ops->family_list(s, cb, ctx, err, errlen);
}

int
store_refresh_rotate(struct store *s, const char *old_hash, const char *new_hash,
                     int64_t now, struct store_family *fam_out, char *err,
                     size_t errlen)
{
	return s->ops->refresh_rotate(s, old_hash, new_hash, now, fam_out, err,
	                errlen);
}

int
store_refresh_find(struct store *s, const char *token_hash,
                   struct store_family *out, int *is_current, char *err,
                   size_t errlen)
{
	return s->ops->refresh_find(s, token_hash, out, is_current, err,
	                errlen);
}

int
store_revoke_jti(struct store *s, const char *jti, int64_t exp, int64_t now,
                 char *err, size_t errlen)
{
	return s->ops->revoke_jti(s, jti, exp, now, err, errlen);
}

int
store_revoke_family(struct store *s, const char *family, int64_t now, char *err,
                    size_t errlen)
{
	return s->ops->revoke_family(s, family, now, err, errlen);
}

int
store_revoke_device(struct store *s, const char *device, int64_t now, char *err,
                    size_t errlen)
{
	return s->ops->revoke_device(s, device, now, err, errlen);
}

int
store_revoke_user(struct store *s, const char *user, int64_t now, char *err,
                  size_t errlen)
{
	return s->ops->revoke_user(s, user, now, err, errlen);
}

int
store_revoke_all(struct store *s, int64_t now, char *err, size_t errlen)
{
	return s->ops->revoke_all(s, now, err, errlen);
}

int
store_token_revoked(struct store *s, const char *jti, const char *dev,
                    const char *sub, const char *family, int64_t iat, char *err,
                    size_t errlen)
{
	return s->ops->token_revoked(s, jti, dev, sub, family, iat, err,
	                errlen);
}

int
store_revocation_list(struct store *s, store_revocation_cb cb, void *ctx,
                      char *err, size_t errlen)
{
	return s->ops->revocation_list(s, cb, ctx, err, errlen);
}

int
store_binding_put(struct store *s, const struct store_binding *b, char *err,
                  size_t errlen)
{
	return s->ops->binding_put(s, b, err, errlen);
}

int
store_binding_delete(struct store *s, const char *aor, const char *instance,
                     int64_t reg_id, char *err, size_t errlen)
{
	return s->ops->binding_delete(s, aor, instance, reg_id, err, errlen);
}

int
store_binding_apply(struct store *s, const struct store_binding_change *changes,
                    size_t n, char *err, size_t errlen)
{
	return s->ops->binding_apply(s, changes, n, err, errlen);
}

int
store_binding_drop_node(struct store *s, const char *node, uint64_t conn_id,
                        char *err, size_t errlen)
{
	return s->ops->binding_drop_node(s, node, conn_id, err, errlen);
}

int
store_binding_purge(struct store *s, int64_t now, uint64_t *removed,
                    char *err, size_t errlen)
{
	return s->ops->binding_purge(s, now, removed, err, errlen);
}

int
store_binding_list(struct store *s, store_binding_cb cb, void *ctx, char *err,
                   size_t errlen)
{
	return s->ops->binding_list(s, cb, ctx, err, errlen);
}

int
store_purge(struct store *s, int64_t now, uint64_t *removed, char *err,
            size_t errlen)
{
	return s->ops->purge(s, now, removed, err, errlen);
}

int
store_counts(struct store *s, int64_t now, struct store_counts *out, char *err,
             size_t errlen)
{
	return s->ops->counts(s, now, out, err, errlen);
}

