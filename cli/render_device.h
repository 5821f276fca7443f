/*
 * render_device.h - "render one device's SEP<MAC>.cnf.xml from the store",
 * the way the daemons do it: store_render_load() (one consistent snapshot
 * of the device, its profile, pool, node group, parameters and cluster
 * mode, all primary-key lookups) then cfg_render_device().  The only
 * choice made here is the file server name for "{host}" in URLs; it is kept
 * apart from the rest of cli/ so that choice can move next to
 * store_render_load() and be shared by every daemon.
 */
#ifndef OPROV_RENDER_DEVICE_H
#define OPROV_RENDER_DEVICE_H

#include <stddef.h>

#include "configgen/configgen.h"

struct store;

/* The pool a device without one belongs to. */
#define RENDER_DEFAULT_POOL "Default"

/* Enterprise parameters, defaults overlaid with the store's values
 * (store_params_load).  0 / -1. */
int render_params_load(struct store *s, struct cfg_params *out, char *err,
                       size_t errlen);

/* Renders SEP<MAC>.cnf.xml for `device` (any case).  file_server: host
 * name for "{host}" in URLs; NULL means the host of the first node of the
 * device's node group.  Returns 0, STORE_NOTFOUND (1) when the device does
 * not exist, -1 on any other failure; release *out with cfg_output_free. */
int render_device_config(struct store *s, const char *device,
                         const char *file_server, struct cfg_output *out,
                         char *err, size_t errlen);

#endif
