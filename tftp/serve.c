/* serve.c - what a requested file name means: a public file beneath the
 * root, bytes rendered for a device, or a refusal with its TFTP error and
 * the reason for the log. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "configgen/configgen.h"
#include "store/store.h"
#include "trust/trust.h"
#include "tftp/tftp_int.h"

/* A store that cannot be opened is retried this often; until then device
 * files are refused (fail closed: without the store nobody can tell a
 * legacy device from an OAuth one). */
#define STORE_RETRY_MS 5000

/* XMLDefault.cnf.xml's inputs: the "Default" pool's node group, else the
 * first nodes by name. */

struct tftp_resolver {
	char *files;
	int rootfd;
	char *datadir;
	char *file_server;
	struct store *store;          /* opened lazily, in the loop's thread */
	uint64_t store_next_try;
	uint64_t gen;                 /* config generation the rendered cache is for */
	struct store_render *rb;
};

static int
open_root(const char *files, char *err, size_t errlen)
{
	int fd = open(files, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		snprintf(err, errlen, "file root %s: %s", files, strerror(errno));
	return fd;
}

struct tftp_resolver *
tftp_resolver_new(const char *files, const char *datadir, const char *file_server,
                  char *err, size_t errlen)
{
	struct tftp_resolver *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->files = strdup(files)) == NULL ||
	    (datadir && (r->datadir = strdup(datadir)) == NULL) ||
	    (file_server && (r->file_server = strdup(file_server)) == NULL) ||
	    (r->rb = malloc(sizeof(*r->rb))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->rootfd = -1;
	if ((r->rootfd = open_root(files, err, errlen)) < 0)
		goto fail;
	return r;
fail:
	tftp_resolver_free(r);
	return NULL;
}

void
tftp_resolver_free(struct tftp_resolver *r)
{
	if (r == NULL)
		return;
	if (r->rootfd >= 0)
		close(r->rootfd);
	if (r->store)
		store_close(r->store);
	free(r->files);
	free(r->datadir);
	free(r->file_server);
	free(r->rb);
	free(r);
}

int
tftp_resolver_reopen(struct tftp_resolver *r, char *err, size_t errlen)
{
	int fd = open_root(r->files, err, errlen);

	if (fd < 0)
		return -1;
	close(r->rootfd);
	r->rootfd = fd;
	/* The store is reopened on next use, e.g. after a restore. */
	if (r->store) {
		store_close(r->store);
		r->store = NULL;
	}
	r->store_next_try = 0;
	return 0;
}

static void
refuse(struct tftp_res *out, int code, const char *msg, const char *why)
{
	out->kind = TFTP_RES_REFUSE;
	out->code = code;
	out->msg = msg ? msg : tftp_error_text(code);
	snprintf(out->why, sizeof(out->why), "%s", why);
}

static void
serve_public(struct tftp_resolver *r, const char *name, size_t len, struct tftp_res *out)
{
	char why[128];
	int code;

	out->fd = tftp_open_beneath(r->rootfd, name, len, &code, why, sizeof(why));
	if (out->fd < 0) {
		refuse(out, code, NULL, why);
		return;
	}
	out->kind = TFTP_RES_FILE;
}

/* The store, opened on first use after the privilege drop (the database
 * belongs to the daemon's user), with the rendered cache kept in step with
 * its config generation.  NULL when unavailable. */
static struct store *
store_ready(struct tftp_resolver *r, struct tftp_cache *c)
{
	struct store_generation g;
	char err[STORE_ERR_MAX];
	uint64_t now = tftp_now_ms();

	if (r->store == NULL) {
		if (r->datadir == NULL || now < r->store_next_try)
			return NULL;
		r->store = store_open(r->datadir, STORE_READONLY, err, sizeof(err));
		if (r->store == NULL) {
			r->store_next_try = now + STORE_RETRY_MS;
			log_msg(LOG_ERR, "store: %s (device files refused until it opens)", err);
			return NULL;
		}
	}
	if (store_generation(r->store, &g, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "store: %s", err);
		return NULL;
	}
	if (g.config != r->gen) {
		tftp_cache_drop_rendered(c);
		r->gen = g.config;
	}
	return r->store;
}

static void
serve_bytes(struct tftp_resolver *r, struct tftp_cache *c, const char *key,
            const struct cfg_output *o, struct tftp_res *out)
{
	uint8_t *copy = malloc(o->len ? o->len : 1);

	if (copy == NULL) {
		refuse(out, TFTP_EUNDEF, "Server error", "out of memory");
		return;
	}
	memcpy(copy, o->data, o->len);
	out->src = tftp_cache_rendered_put(c, key, r->gen, copy, o->len);
	if (out->src == NULL) {
		refuse(out, TFTP_EUNDEF, "Server error", "out of memory");
		return;
	}
	out->kind = TFTP_RES_BYTES;
}

static void
serve_default(struct tftp_resolver *r, struct tftp_cache *c, struct store *st,
              struct tftp_res *out)
{
	struct store_render *rb = r->rb;
	struct cfg_render_ctx ctx;
	struct cfg_output o;
	char err[STORE_ERR_MAX];

	if ((out->src = tftp_cache_rendered_get(c, CFG_DEFAULT_FILE, r->gen)) != NULL) {
		out->kind = TFTP_RES_BYTES;
		return;
	}
	if (store_render_default_load(st, rb, err, sizeof(err)) != 0)
		goto fail;
	store_render_ctx(rb, &ctx);
	if (r->file_server != NULL)
		ctx.file_server = r->file_server;
	if (cfg_render_default(&ctx, &o, err, sizeof(err)) < 0)
		goto fail;
	serve_bytes(r, c, CFG_DEFAULT_FILE, &o, out);
	cfg_output_free(&o);
	return;
fail:
	log_msg(LOG_ERR, "%s: %s", CFG_DEFAULT_FILE, err);
	refuse(out, TFTP_EUNDEF, "Server error", "rendering " CFG_DEFAULT_FILE " failed");
}

static void
serve_device(struct tftp_resolver *r, struct tftp_cache *c, struct store *st,
             const struct cfg_file *f, const char *name, size_t len, struct tftp_res *out)
{
	struct store_render *rb = r->rb;
	struct cfg_render_ctx ctx;
	struct cfg_output o;
	struct policy_input pin;
	struct policy_result verdict;
	char err[STORE_ERR_MAX], why[160];
	int rc;

	/* Only legacy devices' configs are cached, so a hit at the current
	 * generation is a device that was legacy at that generation. */
	if ((f->kind == CFG_FILE_DEVICE_CONFIG || f->kind == CFG_FILE_DEVICE_CONFIG_SIGNED) &&
	    (out->src = tftp_cache_rendered_get(c, f->device, r->gen)) != NULL) {
		out->kind = TFTP_RES_BYTES;
		return;
	}
	rc = store_render_load(st, f->device, rb, err, sizeof(err));
	if (rc == STORE_NOTFOUND) {
		snprintf(why, sizeof(why), "reason=NOT_FOUND channel=%s device=%s: no such device",
		         policy_channel_name(CH_TFTP), f->device);
		refuse(out, TFTP_ENOTFOUND, NULL, why);
		return;
	}
	if (rc != 0) {
		log_msg(LOG_ERR, "store: %s", err);
		refuse(out, TFTP_EUNDEF, "Server error", "store lookup failed");
		return;
	}
	/* DESIGN.md "The one decision": over TFTP a device whose profile has
	 * OAuth is NEEDS_SECURE_CHANNEL, whatever the cluster mode says, for
	 * every one of its file names. */
	memset(&pin, 0, sizeof(pin));
	pin.channel = CH_TFTP;
	pin.target.device_specific = 1;
	pin.target.exists = 1;
	pin.target.oauth_enabled = cfg_device_needs_token(&rb->profile);
	pin.target.name = rb->device.name;
	pin.target.owner = rb->device.owner[0] ? rb->device.owner : NULL;
	pin.cluster_sip_oauth = rb->cluster.sip_oauth_mode;
	verdict = policy_decide(&pin);
	if (verdict.reason != POLICY_ALLOW) {
		int code = verdict.reason == POLICY_NOT_FOUND ? TFTP_ENOTFOUND : TFTP_EACCESS;
		snprintf(why, sizeof(why), "reason=%s channel=%s device=%s: %s",
		         policy_reason_name(verdict.reason), policy_channel_name(CH_TFTP),
		         rb->device.name, verdict.why);
		refuse(out, code, NULL, why);
		out->oauth = verdict.reason == POLICY_NEEDS_SECURE_CHANNEL;
		return;
	}
	switch (f->kind) {
	case CFG_FILE_DEVICE_CONFIG:
	case CFG_FILE_DEVICE_CONFIG_SIGNED:
		store_render_ctx(rb, &ctx);
		if (r->file_server != NULL)
			ctx.file_server = r->file_server;
		if (cfg_render_device(&ctx, &o, err, sizeof(err)) < 0) {
			log_msg(LOG_ERR, "rendering %s: %s", f->device, err);
			refuse(out, TFTP_EUNDEF, "Server error", "rendering failed");
			return;
		}
		serve_bytes(r, c, f->device, &o, out);
		cfg_output_free(&o);
		return;
	case CFG_FILE_DEVICE_TRUSTLIST:
		/* A legacy device's trust list is a file the administrator
		 * placed in the root, if any. */
		serve_public(r, name, len, out);
		return;
	default:
		snprintf(why, sizeof(why), "reason=NOT_FOUND channel=%s device=%s: encrypted "
		         "configs are not served", policy_channel_name(CH_TFTP), rb->device.name);
		refuse(out, TFTP_ENOTFOUND, NULL, why);
		return;
	}
}

void
tftp_resolve(struct tftp_resolver *r, struct tftp_cache *c, const char *name,
             size_t len, struct tftp_res *out)
{
	struct cfg_file f;
	struct store *st;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	/* Some clients send "/name"; the name is always relative to the root
	 * (configgen.h: the caller strips at most one leading slash). */
	if (len > 0 && name[0] == '/') {
		name++;
		len--;
	}
	switch (cfg_file_classify(name, len, &f)) {
	case CFG_FILE_PUBLIC:
		serve_public(r, name, len, out);
		return;
	case CFG_FILE_INVALID:
		refuse(out, TFTP_EACCESS, NULL, "name refused (dot component, backslash, "
		       "control or non-ASCII byte, empty component)");
		return;
	default:
		break;
	}
	if ((st = store_ready(r, c)) == NULL) {
		refuse(out, TFTP_EACCESS, NULL, "device file refused: the store is unavailable");
		return;
	}
	if (f.kind == CFG_FILE_DEFAULT_CONFIG)
		serve_default(r, c, st, out);
	else
		serve_device(r, c, st, &f, name, len, out);
}
