/*
 * frame.c - finding message boundaries in a TLS/TCP byte stream.
 *
 * RFC 3261 §18.3: on a stream, Content-Length is mandatory and says where the
 * body ends; CRLFs before a start line are ignored.  RFC 5626 §3.5.1: a
 * double CRLF between messages is a keepalive "ping" to be answered with a
 * single CRLF "pong".  A message whose header block does not end within
 * SIP_MSG_MAX bytes, or whose Content-Length is missing, repeated or not a
 * number, leaves the stream unsynchronised: the caller answers and closes.
 */
#include "config.h"

#include <string.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

/* The end of the header block ("\r\n\r\n"), as an offset past it, or 0. */
static size_t
headers_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++) {
		const char *c = memchr(buf + i, '\r', len - i - 3);
		if (c == NULL)
			return 0;
		i = (size_t)(c - buf);
		if (c[1] == '\n' && c[2] == '\r' && c[3] == '\n')
			return i + 4;
	}
	return 0;
}

/* Content-Length (or "l") of the header block [p, end): the value of the one
 * field; -1 when missing, repeated or malformed. */
static long long
content_length(const char *p, const char *end)
{
	long long found = -1;
	const char *line = p;

	while (line < end) {
		const char *le = line, *colon, *ne;

		/* field end: CRLF not followed by SP/HT */
		for (;;) {
			const char *c = memchr(le, '\r', (size_t)(end - le));
			if (c == NULL || c + 1 >= end) {
				le = end;
				break;
			}
			if (c + 2 < end && sip_is_wsp((unsigned char)c[2])) {
				le = c + 2;
				continue;
			}
			le = c;
			break;
		}
		colon = memchr(line, ':', (size_t)(le - line));
		if (colon != NULL) {
			ne = colon;
			while (ne > line && sip_is_wsp((unsigned char)ne[-1]))
				ne--;
			if (sip_hdr_lookup((struct sip_str){ line,
			        (size_t)(ne - line) }) == SIP_H_CONTENT_LENGTH) {
				const char *v = colon + 1, *ve = le;
				long long n;

				while (v < ve && sip_is_lws((unsigned char)*v))
					v++;
				while (ve > v && sip_is_lws((unsigned char)ve[-1]))
					ve--;
				if (found >= 0)
					return -1;
				if (sip_digits((struct sip_str){ v, (size_t)(ve - v) },
				               SIP_MSG_MAX, &n) != 0)
					return -1;
				found = n;
			}
		}
		line = le + 2;
	}
	return found;
}

enum sip_frame_result
sip_frame(const char *buf, size_t len, size_t *msg_off, size_t *msg_len,
          size_t *consumed)
{
	size_t he;
	long long cl;

	*msg_off = *msg_len = *consumed = 0;
	if (len == 0)
		return SIP_FRAME_NEED_MORE;
	if (buf[0] == '\r' || buf[0] == '\n') {
		if (len >= 4 && memcmp(buf, "\r\n\r\n", 4) == 0) {
			*consumed = 4;
			return SIP_FRAME_PING;
		}
		if (len >= 2 && buf[0] == '\r' && buf[1] == '\n') {
			/* A lone CRLF: the start of a ping, or a pong /
			 * padding before the next start line.  Decide when
			 * the next byte is known. */
			if (len == 2 || (len == 3 && buf[2] == '\r'))
				return SIP_FRAME_NEED_MORE;
			*consumed = 2;
			return SIP_FRAME_SKIP;
		}
		if (len == 1 && buf[0] == '\r')
			return SIP_FRAME_NEED_MORE;
		return SIP_FRAME_ERROR;
	}
	he = headers_end(buf, len);
	if (he == 0)
		return len >= SIP_MSG_MAX ? SIP_FRAME_TOO_BIG : SIP_FRAME_NEED_MORE;
	if (he > SIP_MSG_MAX)
		return SIP_FRAME_TOO_BIG;
	cl = content_length(buf, buf + he - 2);
	if (cl < 0)
		return SIP_FRAME_ERROR;
	if (he + (size_t)cl > SIP_MSG_MAX)
		return SIP_FRAME_TOO_BIG;
	if (len < he + (size_t)cl)
		return SIP_FRAME_NEED_MORE;
	*msg_off = 0;
	*msg_len = he + (size_t)cl;
	*consumed = *msg_len;
	return SIP_FRAME_MESSAGE;
}
