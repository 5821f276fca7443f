/* netascii.c - LF -> CR LF and CR -> CR NUL, streamed block by block so a
 * window can be regenerated from any block boundary (RFC 1350 mode
 * "netascii", with the NVT rules of RFC 764). */
#include "config.h"

#include "tftp/tftp.h"

void
tftp_ascii_init(struct tftp_ascii *st)
{
	st->src = 0;
	st->pending = -1;
}

size_t
tftp_ascii_fill(struct tftp_ascii *st, const uint8_t *src, size_t srclen,
                uint8_t *out, size_t outcap)
{
	size_t o = 0, i = 0;

	if (outcap == 0)
		return 0;
	if (st->pending >= 0) {
		out[o++] = (uint8_t)st->pending;
		st->pending = -1;
	}
	while (o < outcap && i < srclen) {
		uint8_t c = src[i++];

		if (c == '\n' || c == '\r') {
			out[o++] = '\r';
			/* The pair's second byte goes to the next block when
			 * this one is full. */
			if (o < outcap)
				out[o++] = c == '\n' ? '\n' : '\0';
			else
				st->pending = c == '\n' ? '\n' : '\0';
		} else {
			out[o++] = c;
		}
	}
	st->src += i;
	return o;
}
