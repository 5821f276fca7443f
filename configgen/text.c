/*
 * text.c - what an administrator may type into a record, and the last-line
 * cleaning the renderer applies so a config is well-formed XML whatever the
 * store hands it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "configgen/cfg_int.h"

int
cfg_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

size_t
cfg_field_len(const char *s, size_t size)
{
	return s == NULL ? 0 : strnlen(s, size);
}

size_t
cfg_utf8_next(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c, min;
	size_t n;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;               /* continuation byte, C0/C1 lead, F5..FF */
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int
cfg_char_ok(unsigned cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 0;
	/* Non-characters: U+FFFE/U+FFFF are not XML characters at all, and the
	 * rest of the non-character set has no business in a phone label. */
	if ((cp & 0xfffe) == 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef))
		return 0;
	return 1;
}

int
cfg_text_check(const char *field, const char *s, size_t size, int allow_empty,
               char *err, size_t errlen)
{
	size_t len = cfg_field_len(s, size), i = 0, n;
	unsigned cp;

	if (len >= size)
		return cfg_fail(err, errlen, "%s: longer than %zu bytes", field, size - 1);
	if (len == 0 && !allow_empty)
		return cfg_fail(err, errlen, "%s: must not be empty", field);
	while (i < len) {
		n = cfg_utf8_next((const unsigned char *)s + i, len - i, &cp);
		if (n == 0)
			return cfg_fail(err, errlen, "%s: not valid UTF-8 (byte %zu)", field, i);
		if (!cfg_char_ok(cp))
			return cfg_fail(err, errlen,
			                "%s: contains a control or non-character U+%04X",
			                field, cp);
		i += n;
	}
	return 0;
}

int
cfg_name_check(const char *field, const char *s, size_t size,
               char *err, size_t errlen)
{
	size_t len;

	if (cfg_text_check(field, s, size, 0, err, errlen) < 0)
		return -1;
	len = strlen(s);
	if (s[0] == ' ' || s[len - 1] == ' ')
		return cfg_fail(err, errlen, "%s: must not start or end with a space", field);
	return 0;
}

int
cfg_charset_check(const char *field, const char *s, size_t size, int allow_empty,
                  int alnum, const char *set, char *err, size_t errlen)
{
	size_t len = cfg_field_len(s, size);

	if (len >= size)
		return cfg_fail(err, errlen, "%s: longer than %zu bytes", field, size - 1);
	if (len == 0 && !allow_empty)
		return cfg_fail(err, errlen, "%s: must not be empty", field);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int ok = (alnum && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		                    (c >= '0' && c <= '9'))) ||
		         (c >= 0x20 && c < 0x7f && strchr(set, c) != NULL);
		if (!ok) {
			char shown[16];
			str_sanitize(shown, sizeof(shown), s + i, 1);
			return cfg_fail(err, errlen, "%s: character '%s' not allowed", field, shown);
		}
	}
	return 0;
}

int
cfg_host_check(const char *field, const char *s, size_t size, int allow_empty,
               char *err, size_t errlen)
{
	size_t len = cfg_field_len(s, size);

	if (len == 0 && allow_empty)
		return 0;
	if (cfg_charset_check(field, s, size, 0, 1, ".-:", err, errlen) < 0)
		return -1;
	if (len > 253)
		return cfg_fail(err, errlen, "%s: longer than 253 bytes", field);
	if (s[0] == '.' || s[0] == '-' || s[len - 1] == '.' || s[len - 1] == '-')
		return cfg_fail(err, errlen,
		                "%s: \"%s\" is not a host name or IP address", field, s);
	return 0;
}

size_t
cfg_text_clean(char *dst, size_t dstsz, const char *src, size_t len)
{
	size_t i = 0, o = 0, n;
	unsigned cp;

	if (dstsz == 0)
		return 0;
	while (i < len) {
		n = cfg_utf8_next((const unsigned char *)src + i, len - i, &cp);
		if (n == 0) {
			i++;            /* drop one bad byte, resynchronise */
			continue;
		}
		if (cfg_char_ok(cp)) {
			if (o + n >= dstsz)
				break;
			memcpy(dst + o, src + i, n);
			o += n;
		}
		i += n;
	}
	dst[o] = '\0';
	return o;
}
