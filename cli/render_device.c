/*
 * render_device.c - one device's config from the store (render_device.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/render_device.h"
#include "store/store.h"

int
render_params_load(struct store *s, struct cfg_params *out, char *err,
                   size_t errlen)
{
	return store_params_load(s, out, err, errlen) == 0 ? 0 : -1;
}

int
render_device_config(struct store *s, const char *device,
                     const char *file_server, struct cfg_output *out,
                     char *err, size_t errlen)
{
	struct cfg_render_ctx ctx;
	struct store_render *r;
	int rc;

	/* About 12 KiB (store.h): not for the stack. */
	if ((r = malloc(sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = store_render_load(s, device, r, err, errlen)) != 0)
		goto out;
	store_render_ctx(r, &ctx);
	if (file_server != NULL)
		ctx.file_server = file_server;
	rc = cfg_render_device(&ctx, out, err, errlen) < 0 ? -1 : 0;
out:
	free(r);
	return rc;
}
