/* serve.c - what a requested file name means for oprov-tftpd: a public file
 * beneath the root, bytes rendered for a device, a trust list, a signed
 * file (NAME.sgn), or a refusal with its TFTP error and the reason for the
 * log.  Devices are decided by the gate (gate/gate.h) from memory; only
 * rendering a config the loop's cache does not hold goes to the store, and
 * trust lists are the gate's bytes of the current config generation. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "configgen/configgen.h"
#include "gate/gate.h"
#include "tftp/tftp_int.h"

struct tftp_resolver {
	char *files;
	int rootfd;
	char *file_server;
	struct gate *gate;            /* borrowed; NULL: device files refused */
};

static int
open_root(const char *files, char *err, size_t errlen)
{
	int fd = open(files, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		snprintf(err, errlen, "file root %s: %s", files, strerror(errno));
	return fd;
}

struct tftp_resolver *
tftp_resolver_new(const char *files, struct gate *gate, const char *file_server,
                  char *err, size_t errlen)
{
	struct tftp_resolver *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->files = strdup(files)) == NULL ||
	    (file_server && (r->file_server = strdup(file_server)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->gate = gate;
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
	free(r->files);
	free(r->file_server);
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
	return 0;
}

static void
refuse(struct tftp_res *out, int code, const char *msg, const char *why)
{
	out->kind = TFTP_RES_REFUSE;
	out->code = code;
	out->msg = msg ? msg : code == TFTP_EUNDEF ? "Server busy, retry later" :
	           tftp_error_text(code);
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

/* Bytes the gate holds (a trust list, a signed file), through the loop's
 * cache under key. */
static void
serve_blob(struct tftp_cache *c, const char *key, const struct gate_blob *b,
           struct tftp_res *out)
{
	uint8_t *copy;

	if ((out->src = tftp_cache_rendered_get(c, key, b->gen)) == NULL) {
		copy = malloc(b->len ? b->len : 1);
		if (copy != NULL)
			memcpy(copy, b->data, b->len);
		out->src = copy ? tftp_cache_rendered_put(c, key, b->gen, copy, b->len) : NULL;
	}
	if (out->src == NULL) {
		refuse(out, TFTP_EUNDEF, "Server error", "out of memory");
		return;
	}
	out->kind = TFTP_RES_BYTES;
}

/* The rendered config, signed when sgn is set: the name in the .sgn header
 * is the one the phone asked for. */
static uint8_t *
rendered_bytes(struct tftp_resolver *r, const struct cfg_output *o, const char *key,
               int sgn, size_t *len, char *err, size_t errlen)
{
	char name[CFG_FILENAME_MAX + 1];
	uint8_t *copy;

	if (sgn) {
		snprintf(name, sizeof(name), "%s%s", key, strcmp(key, CFG_DEFAULT_FILE) == 0
		         ? ".sgn" : ".cnf.xml.sgn");
		return gate_sign(r->gate, name, o->data, o->len, &copy, len, err, errlen) == 0
		       ? copy : NULL;
	}
	*len = o->len;
	if ((copy = malloc(o->len ? o->len : 1)) != NULL)
		memcpy(copy, o->data, o->len);
	else
		snprintf(err, errlen, "out of memory");
	return copy;
}

/* The rendered bytes of a device's config or of XMLDefault.cnf.xml (signed
 * for NAME.sgn), from the loop's cache when it holds them for the current
 * config generation. */
static void
serve_rendered(struct tftp_resolver *r, struct tftp_cache *c, const char *key,
               uint64_t gen, int sgn, struct tftp_res *out)
{
	struct cfg_output o;
	char err[STORE_ERR_MAX], ckey[CFG_FILENAME_MAX + 1];
	uint64_t rgen;
	uint8_t *copy;
	size_t len;
	int rc;

	snprintf(ckey, sizeof(ckey), "%s%s", key, sgn ? ".sgn" : "");
	if ((out->src = tftp_cache_rendered_get(c, ckey, gen)) != NULL) {
		out->kind = TFTP_RES_BYTES;
		return;
	}
	rc = gate_render(r->gate, key, r->file_server, &o, &rgen, err, sizeof(err));
	if (rc != 0) {
		if (rc == STORE_NOTFOUND) {
			refuse(out, TFTP_ENOTFOUND, NULL, "no such device");
			return;
		}
		log_msg(LOG_ERR, "rendering %s: %s", key, err);
		refuse(out, TFTP_EUNDEF, "Server error", "rendering failed");
		return;
	}
	/* libxml2 owns o.data: the cache keeps a copy (or signature) of its own. */
	copy = rendered_bytes(r, &o, key, sgn, &len, err, sizeof(err));
	cfg_output_free(&o);
	if (copy == NULL) {
		log_msg(LOG_ERR, "signing %s: %s", key, err);
		refuse(out, TFTP_EUNDEF, "Server error", "signing failed");
		return;
	}
	out->src = tftp_cache_rendered_put(c, ckey, rgen, copy, len);
	if (out->src == NULL) {
		refuse(out, TFTP_EUNDEF, "Server error", "out of memory");
		return;
	}
	out->kind = TFTP_RES_BYTES;
}

struct tl_arg {
	struct gate *gate;
	const char *list;               /* CFG_ITL_FILE, CFG_CTL_FILE */
	const struct gate_blob *blob;
};

/* A trust list exists when the gate serves it (CTL: mixed mode). */
static int
trustlist_lookup(void *arg)
{
	struct tl_arg *a = arg;

	a->blob = gate_trustlist(a->gate, a->list);
	return a->blob != NULL;
}

/* ITLFile.tlv, CTLFile.tlv and every device's ITLSEP/CTLSEP<MAC>.tlv: the
 * cluster's list, public for every device (trust/policy.c says why). */
static void
serve_trustlist(struct tftp_resolver *r, struct tftp_cache *c, const struct cfg_file *f,
                struct tftp_res *out)
{
	struct tl_arg a = { r->gate, f->trustlist, NULL };
	struct gate_request rq;
	struct gate_verdict v;

	memset(&rq, 0, sizeof(rq));
	rq.channel = CH_TFTP;
	rq.trust_list = 1;
	rq.file_lookup = trustlist_lookup;
	rq.file_arg = &a;
	gate_decide(r->gate, &rq, &v);
	if (v.reason != POLICY_ALLOW)
		refuse(out, v.reason == POLICY_NOT_FOUND ? TFTP_ENOTFOUND : TFTP_EACCESS, NULL,
		       v.why);
	else
		serve_blob(c, f->trustlist, a.blob, out);
	gate_blob_release(a.blob);
}

/* NAME.sgn: the file of that name when the root holds one (signed by its
 * maker, e.g. firmware), else NAME signed by the ccm-tftp key. */
static void
serve_public_signed(struct tftp_resolver *r, struct tftp_cache *c, const char *name,
                    size_t len, struct tftp_res *out)
{
	char sgn_name[CFG_FILENAME_MAX + 1], why[128], key[CFG_FILENAME_MAX + 64];
	const struct gate_blob *b;
	int code, fd;

	serve_public(r, name, len, out);
	if (out->kind == TFTP_RES_FILE || out->code != TFTP_ENOTFOUND || r->gate == NULL)
		return;
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if ((fd = tftp_open_beneath(r->rootfd, name, len - 4, &code, why, sizeof(why))) < 0) {
		refuse(out, code, NULL, why);
		return;
	}
	snprintf(sgn_name, sizeof(sgn_name), "%.*s", (int)len, name);
	b = gate_sign_file(r->gate, fd, sgn_name, why, sizeof(why));
	close(fd);
	if (b == NULL) {
		refuse(out, TFTP_ENOTFOUND, NULL, why);
		return;
	}
	/* The content's hash in the key: a rewritten file is a new entry. */
	snprintf(key, sizeof(key), "sgn:%s:%s", b->etag, sgn_name);
	serve_blob(c, key, b, out);
	gate_blob_release(b);
}

static void
serve_device(struct tftp_resolver *r, struct tftp_cache *c, const struct cfg_file *f,
             struct tftp_res *out)
{
	struct gate_request rq;
	struct gate_verdict v;
	char why[160];

	/* DESIGN.md "The one decision": over TFTP a device whose profile has
	 * OAuth is NEEDS_SECURE_CHANNEL, whatever the cluster mode says, for
	 * every one of its file names. */
	memset(&rq, 0, sizeof(rq));
	rq.channel = CH_TFTP;
	rq.device = f->device;
	rq.file_absent = f->kind == CFG_FILE_DEVICE_CONFIG_ENC;
	gate_decide(r->gate, &rq, &v);
	if (out->kind == TFTP_RES_REFUSE && out->code == TFTP_EUNDEF)
		return;   /* the trust list did not open for want of resources */
	if (v.reason != POLICY_ALLOW) {
		snprintf(why, sizeof(why), "reason=%s channel=%s device=%s: %s",
		         policy_reason_name(v.reason), policy_channel_name(CH_TFTP),
		         v.device, f->kind == CFG_FILE_DEVICE_CONFIG_ENC && v.device_exists ?
		         "encrypted configs are not served" : v.why);
		refuse(out, v.reason == POLICY_NOT_FOUND ? TFTP_ENOTFOUND : TFTP_EACCESS,
		       NULL, why);
		out->oauth = v.reason == POLICY_NEEDS_SECURE_CHANNEL;
		return;
	}
	serve_rendered(r, c, v.device, v.config_gen, f->kind == CFG_FILE_DEVICE_CONFIG_SIGNED,
	               out);
}

/* A dial plan, softkey template or feature policy: public like
 * XMLDefault.cnf.xml, rendered; whether it exists comes from the gate's
 * snapshot (no store read for an unknown name). */
static void
serve_named(struct tftp_resolver *r, struct tftp_cache *c, const struct cfg_file *f,
            struct tftp_res *out)
{
	const struct gate_snap *s = gate_snap(r->gate);
	uint64_t gen = s->gen.config;
	int found = gate_named_file_exists(s, f);
	char key[CFG_NAMED_FILE_MAX];

	gate_snap_release(s);
	if (!found || cfg_named_file(f->kind, f->record, key, sizeof(key)) < 0) {
		refuse(out, TFTP_ENOTFOUND, NULL, "no such file");
		return;
	}
	serve_rendered(r, c, key, gen, 0, out);
}

void
tftp_resolve(struct tftp_resolver *r, struct tftp_cache *c, const char *name,
             size_t len, struct tftp_res *out)
{
	struct cfg_file f;

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
	case CFG_FILE_PUBLIC_SIGNED:
		if (r->gate == NULL) {
			serve_public(r, name, len, out);
			return;
		}
		break;
	case CFG_FILE_INVALID:
		refuse(out, TFTP_EACCESS, NULL, path_open_error(EINVAL));
		return;
	default:
		break;
	}
	if (r->gate == NULL) {
		refuse(out, TFTP_EACCESS, NULL, "device file refused: no store");
		return;
	}
	switch (f.kind) {
	case CFG_FILE_DEFAULT_CONFIG:
	case CFG_FILE_DEFAULT_CONFIG_SIGNED: {
		const struct gate_snap *s = gate_snap(r->gate);
		uint64_t gen = s->gen.config;

		gate_snap_release(s);
		serve_rendered(r, c, CFG_DEFAULT_FILE, gen,
		               f.kind == CFG_FILE_DEFAULT_CONFIG_SIGNED, out);
		return;
	}
	case CFG_FILE_TRUSTLIST:
	case CFG_FILE_DEVICE_TRUSTLIST:
		serve_trustlist(r, c, &f, out);
		return;
	case CFG_FILE_PUBLIC_SIGNED:
		serve_public_signed(r, c, name, len, out);
		return;
	case CFG_FILE_DIALPLAN:
	case CFG_FILE_SOFTKEYS:
	case CFG_FILE_FEATURE_POLICY:
		serve_named(r, c, &f, out);
		return;
	default:
		serve_device(r, c, &f, out);
		return;
	}
}
