/*
 * b64url.c - base64url without padding (RFC 7515 §2, RFC 4648 §5), strict:
 * one byte string has exactly one accepted encoding, so two tokens that
 * differ in any byte never verify as the same signed data (RFC 8725 §3.9).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>

#include "trust/trust_int.h"

static const char enc[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63, or 0xff for every byte outside the URL-safe alphabet (which
 * includes '=', '+', '/', whitespace and NUL). */
static const uint8_t dec[256] = {
#define X 0xff
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,62,X,X, 52,53,54,55,56,57,58,59,60,61,X,X,X,X,X,X,
	X,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14, 15,16,17,18,19,20,21,22,23,24,25,X,X,X,X,63,
	X,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40, 41,42,43,44,45,46,47,48,49,50,51,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
#undef X
};

size_t
b64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t
b64url_decoded_max(size_t len)
{
	return len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
}

long
b64url_encode(const void *in, size_t n, char *out, size_t outsz)
{
	const uint8_t *p = in;
	size_t need = b64url_encoded_len(n), o = 0, i = 0;

	if (outsz < need + 1 || need > (size_t)LONG_MAX)
		return -1;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = enc[v >> 18];
		out[o++] = enc[(v >> 12) & 63];
		out[o++] = enc[(v >> 6) & 63];
		out[o++] = enc[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		out[o++] = enc[v >> 18];
		out[o++] = enc[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = enc[v >> 18];
		out[o++] = enc[(v >> 12) & 63];
		out[o++] = enc[(v >> 6) & 63];
	}
	out[o] = '\0';
	return (long)o;
}

char *
b64url_encode_alloc(const void *in, size_t n)
{
	size_t sz = b64url_encoded_len(n) + 1;
	char *s = malloc(sz);

	if (s != NULL)
		(void)b64url_encode(in, n, s, sz);
	return s;
}

int
b64url_decode(const char *in, size_t len, uint8_t *out, size_t outsz,
              size_t *outlen)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t o = 0, i = 0, rem = len % 4;

	/* A single leftover character carries 6 bits: no whole byte. */
	if (rem == 1 || outsz < b64url_decoded_max(len))
		return -1;
	for (; i + 4 <= len; i += 4) {
		uint8_t a = dec[p[i]], b = dec[p[i + 1]], c = dec[p[i + 2]],
		        d = dec[p[i + 3]];
		if ((a | b | c | d) & 0xc0)
			return -1;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 |
		             (uint32_t)c << 6 | d;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (rem == 2) {
		uint8_t a = dec[p[i]], b = dec[p[i + 1]];
		/* The 4 low bits of the second character are padding and
		 * must be zero (RFC 4648 §3.5, canonical encoding). */
		if ((a | b) & 0xc0 || (b & 0x0f) != 0)
			return -1;
		out[o++] = (uint8_t)(a << 2 | b >> 4);
	} else if (rem == 3) {
		uint8_t a = dec[p[i]], b = dec[p[i + 1]], c = dec[p[i + 2]];
		if ((a | b | c) & 0xc0 || (c & 0x03) != 0)
			return -1;
		out[o++] = (uint8_t)(a << 2 | b >> 4);
		out[o++] = (uint8_t)(b << 4 | c >> 2);
	}
	*outlen = o;
	return 0;
}
