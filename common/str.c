/* str.c - log-safe copies of peer-controlled bytes, and secret hygiene. */
#include "config.h"

#include <string.h>

#include "common/common.h"

char *
str_sanitize(char *dst, size_t dstsz, const void *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t o = 0;

	if (dstsz == 0)
		return dst;
	for (size_t i = 0; i < srclen; i++) {
		unsigned char c = s[i];
		int plain = c >= 0x20 && c < 0x7f && c != '\\' && c != '"';
		size_t need = plain ? 1 : 4;

		if (o + need + 1 > dstsz) {
			/* Mark the cut so a reader knows the name was longer. */
			size_t keep = dstsz > 4 ? dstsz - 4 : 0;
			if (o > keep)
				o = keep;
			if (dstsz > 4)
				memcpy(dst + o, "...", 3), o += 3;
			break;
		}
		if (plain) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}

void
mem_wipe(void *p, size_t len)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, len);
#else
	volatile unsigned char *v = p;
	while (len--)
		*v++ = 0;
#endif
}
