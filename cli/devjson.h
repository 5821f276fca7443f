/*
 * devjson.h - private to cli/: the JSON form of a device (what `device
 * export` writes and `device import` reads) and the --line DN[:LABEL]
 * syntax.  Pure functions over configgen records, unit-tested in
 * tests/unit/test_cli.c.
 *
 * A device object:
 *   {"name":"SEP00AABBCCDDEE", "model":"8845", "profile":"P",
 *    "owner":"", "pool":"", "description":"", "load":"",
 *    "require_activation_code":false, "allow_activation_code_via_mra":false,
 *    "mra_domain":"",
 *    "lines":[{"button":1, "dn":"1001", "label":"", "display_name":"",
 *              "auto_answer":false, "call_waiting":true, "max_calls":4,
 *              "busy_trigger":2}]}
 * Only "name", "model" and "profile" are required (and "dn" in a line;
 * "button" defaults to the line's position).  Unknown members, wrong JSON
 * types and strings over a field's limit are refused, never ignored or cut.
 */
#ifndef OPROV_CLI_DEVJSON_H
#define OPROV_CLI_DEVJSON_H

#include <jansson.h>
#include <stddef.h>

#include "configgen/configgen.h"

/* New reference, or NULL when out of memory. */
json_t *devjson_from_device(const struct cfg_device *d);
/* Fills *d from one device object.  The name is canonicalised (any case is
 * accepted), the model spelled as configgen's table spells it.  The
 * configgen rules are not applied here (cfg_device_validate does that).
 * 0 / -1 with the member at fault in err. */
int devjson_to_device(const json_t *obj, struct cfg_device *d, char *err,
                      size_t errlen);
/* Reads a JSON array one element at a time, so a file of 100,000 devices
 * is never one document in memory.  text[0..len) holds the array; *pos
 * starts at 0 and `index` counts the elements already returned.  Returns 1
 * with a new reference in *out, 0 after the closing ']' (only white space
 * may follow), -1 with the byte offset in err.  Duplicate member names are
 * refused, as everywhere we read JSON. */
int devjson_array_next(const char *text, size_t len, size_t *pos, size_t index,
                       json_t **out, char *err, size_t errlen);

/* "DN" or "DN:LABEL" for line `button` (defaults for everything else).
 * 0 / -1. */
int devjson_line_spec(const char *spec, unsigned button, struct cfg_line *l,
                      char *err, size_t errlen);

#endif
