/*
 * str.c - the string helpers every file of trust/ shares (trust_int.h): the
 * error-buffer writer, bounded copy of a counted string, lowercase hex.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trust/trust_int.h"

void
trust_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
trust_strlcpy_n(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz || memchr(src, '\0', n) != NULL)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

void
trust_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}
