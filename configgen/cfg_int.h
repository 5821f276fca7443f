/*
 * cfg_int.h - private to configgen/: error formatting and the text rules
 * shared by the record validators and the renderer.
 */
#ifndef OPROV_CFG_INT_H
#define OPROV_CFG_INT_H

#include <stddef.h>

#include "common/common.h"

/* Formats into err (if not NULL) and returns -1, so a refusal is one line:
 * `return cfg_fail(err, errlen, "...", ...);` */
int cfg_fail(char *err, size_t errlen, const char *fmt, ...) OPROV_PRINTF(3, 4);

/* Length of a record field that should be terminated inside its array; a
 * field filled to the brim (no NUL) counts as its full size, so callers can
 * refuse it instead of reading past the array. */
size_t cfg_field_len(const char *s, size_t size);

/* Decodes one UTF-8 scalar value at s[0..len).  Returns the sequence length
 * and stores the code point, or 0 for an invalid, overlong, surrogate or
 * truncated sequence. */
size_t cfg_utf8_next(const unsigned char *s, size_t len, unsigned *cp);

/* A character an admin-typed text may carry into a config: an XML 1.0
 * character that is not a C0/C1 control, DEL or a non-character. */
int cfg_char_ok(unsigned cp);

/* Admin text (descriptions, labels, names): valid UTF-8 of allowed
 * characters, shorter than `size`, non-empty unless allow_empty.  The field
 * name starts the message ("label: contains a control character"). */
int cfg_text_check(const char *field, const char *s, size_t size, int allow_empty,
                   char *err, size_t errlen);
/* A record name (node, pool, profile, user id): text as above, non-empty,
 * without leading or trailing spaces. */
int cfg_name_check(const char *field, const char *s, size_t size,
                   char *err, size_t errlen);
/* DNS name or IPv4/IPv6 literal: [A-Za-z0-9.-:], 1..253 bytes, no leading
 * or trailing '.' or '-'. */
int cfg_host_check(const char *field, const char *s, size_t size, int allow_empty,
                   char *err, size_t errlen);
/* Printable ASCII from `set` only (and letters/digits when alnum). */
int cfg_charset_check(const char *field, const char *s, size_t size, int allow_empty,
                      int alnum, const char *set, char *err, size_t errlen);

/* Copies src[0..len) to dst (size dstsz, always terminated), keeping only
 * whole UTF-8 sequences of allowed characters: what the renderer writes when
 * a record slipped past validation.  Returns the output length. */
size_t cfg_text_clean(char *dst, size_t dstsz, const char *src, size_t len);

#endif
