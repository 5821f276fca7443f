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
	struct store_conf conf;

	if (datadir == NULL || datadir[0] == '\0') {
		store_fail(err, errlen, "no data directory given");
		return NULL;
	}
	if ((flags & STORE_READONLY) && (flags & STORE_CREATE)) {
		store_fail(err, errlen, "a store cannot be created read-only");
		return NULL;
	}
	if (store_is_uri(datadir))
		return store_pg_open(datadir, flags, err, errlen);
	if (strncmp(datadir, "sqlite:", 7) == 0)
		return store_sqlite_open(datadir + 7, flags, err, errlen);
	if (store_conf_load(datadir, &conf, err, errlen) < 0)
		return NULL;
	if (store_is_uri(conf.store))
		return store_pg_open(conf.store, flags, err, errlen);
	if (strncmp(conf.store, "sqlite:", 7) == 0)
		return store_sqlite_open(conf.store + 7, flags, err, errlen);
	return store_sqlite_open(datadir, flags, err, errlen);
}

const char *
store_backend(struct store *s)
{
	return s->ops->name;
}

int
store_unavailable(struct store *s)
{
	return s != NULL && s->ops->unavailable != NULL && s->ops->unavailable(s);
}

int
store_set_lock_wait(struct store *s, unsigned ms)
{
	if (s == NULL || ms == 0 || ms > STORE_BUSY_TIMEOUT_MS ||
	    s->ops->set_lock_wait == NULL)
		return -1;
	return s->ops->set_lock_wait(s, ms);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

int
store_purpose_keyed(const char *purpose)
{
	static const char *const keyed[] = {
		STORE_PURPOSE_TOMCAT, STORE_PURPOSE_SAST, STORE_PURPOSE_SAST_NEXT,
		STORE_PURPOSE_CCM_TFTP, NULL,
	};

	for (size_t i = 0; purpose != NULL && keyed[i] != NULL; i++)
		if (strcmp(purpose, keyed[i]) == 0)
			return 1;
	return 0;
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

/* Vendor settings: terminated, within the count, keys not repeated. */
static int
store_check_vendor(const struct cfg_vendor *v, char *err, size_t errlen)
{
	if (v->count > CFG_VENDOR_MAX)
		return store_fail(err, errlen, "more than %d vendor settings", CFG_VENDOR_MAX);
	for (size_t i = 0; i < v->count; i++) {
		CHECK(v->kv[i].key, sizeof(v->kv[i].key), 1, "vendor setting name");
		CHECK(v->kv[i].value, sizeof(v->kv[i].value), 1, "vendor setting value");
		for (size_t j = 0; j < i; j++)
			if (strcmp(v->kv[i].key, v->kv[j].key) == 0)
				return store_fail(err, errlen, "vendor setting %s given twice",
				                  v->kv[i].key);
	}
	return 0;
}

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
	CHECK(d->dialplan, sizeof(d->dialplan), 0, "device dial plan");
	CHECK(d->softkeys, sizeof(d->softkeys), 0, "device softkey template");
	CHECK(d->feature_policy, sizeof(d->feature_policy), 0, "device feature policy");
	CHECK(d->kem_type, sizeof(d->kem_type), 0, "device key expansion module type");
	if (store_check_vendor(&d->vendor, err, errlen) < 0)
		return -1;
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
	return store_check_vendor(&p->vendor, err, errlen);
}

int
store_check_heartbeat(const struct store_heartbeat *h, char *err, size_t errlen)
{
	CHECK(h->node, sizeof(h->node), 1, "heartbeat node");
	CHECK(h->program, sizeof(h->program), 1, "heartbeat program");
	CHECK(h->serves, sizeof(h->serves), 0, "heartbeat serves");
	return 0;
}

int
store_check_counter(const char *name, int64_t window, int64_t add, char *err,
                    size_t errlen)
{
	CHECK(name, STORE_COUNTER_NAME_MAX, 1, "counter name");
	if (window <= 0 || add < 0)
		return store_fail(err, errlen, "counter %s: window must be "
		                  "positive and the increment not negative", name);
	return 0;
}

/* ---- forwarding to the backend ------------------------------------------- */

/* store_NAME(s, ..., err, errlen) for every operation of STORE_OPS: the
 * declarations, with their documentation, are in store.h. */
#define STORE_FORWARD(name, ret, params, args) \
	ret store_##name STORE_OP_PARAMS params \
	{ \
		return s->ops->name STORE_OP_ARGS args; \
	}
STORE_OPS(STORE_FORWARD)
#undef STORE_FORWARD

int
store_code_consume(struct store *s, const char *device, const char *code_hash,
                   int64_t now, char *device_out, size_t device_outlen,
                   char *err, size_t errlen)
{
	return store_code_use(s, device, code_hash, now, NULL, NULL, device_out,
	                      device_outlen, err, errlen);
}

int
store_code_redeem(struct store *s, const char *device, const char *code_hash,
                  int64_t now, const struct store_family *f,
                  const char *token_hash, char *err, size_t errlen)
{
	return store_code_use(s, device, code_hash, now, f, token_hash, NULL, 0,
	                      err, errlen);
}
