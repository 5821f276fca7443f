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
#include "tftp/tftp_int.h"

struct tftp_resolver {
	char *files;
	int rootfd;
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
tftp_resolver_new(const char *files, const char *datadir, char *err, size_t errlen)
{
	struct tftp_resolver *r = calloc(1, sizeof(*r));

	(void)datadir;
	if (r == NULL || (r->files = strdup(files)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((r->rootfd = open_root(files, err, errlen)) < 0)
		goto fail;
	return r;
fail:
	if (r)
		free(r->files);
	free(r);
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

void
tftp_resolve(struct tftp_resolver *r, struct tftp_cache *c, const char *name,
             size_t len, struct tftp_res *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	(void)c;
	serve_public(r, name, len, out);
}
