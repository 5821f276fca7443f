/*
 * parse.c - bounded parsers for what an HTTP peer sends: Authorization,
 * forms, Range, If-None-Match, paths; and the Bearer challenge builder.
 * Every function reads exactly `len` bytes and never past them.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "httpsd/httpsd.h"

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void
trim(const char **p, const char **end)
{
	while (*p < *end && is_ows(**p))
		(*p)++;
	while (*end > *p && is_ows((*end)[-1]))
		(*end)--;
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive prefix test of an auth-scheme followed by SP or end. */
static int
scheme_is(const char *p, const char *end, const char *scheme)
{
	size_t n = strlen(scheme);

	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)p[i]) != lower((unsigned char)scheme[i]))
			return 0;
	return (size_t)(end - p) == n || p[n] == ' ' || p[n] == '\t';
}

/* b64token characters (RFC 6750 §2.1), as a table: this runs over every
 * byte of every token on every request. */
static const uint8_t b64token_chars[256] = {
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['+'] = 1, ['/'] = 1,
};

static int
is_b64token_char(unsigned char c)
{
	return b64token_chars[c];
}

enum httpsd_auth
httpsd_bearer_parse(const char *v, size_t len, size_t max, const char **tok,
                    size_t *toklen)
{
	const char *p = v, *end = v + len, *t;

	if (v == NULL)
		return HTTPSD_AUTH_NONE;
	trim(&p, &end);
	if (!scheme_is(p, end, "Bearer"))
		return p == end ? HTTPSD_AUTH_MALFORMED : HTTPSD_AUTH_OTHER_SCHEME;
	p += 6;
	if (p == end || !is_ows(*p))
		return HTTPSD_AUTH_MALFORMED;
	while (p < end && is_ows(*p))
		p++;
	t = p;
	while (p < end && is_b64token_char((unsigned char)*p))
		p++;
	if (p == t)
		return HTTPSD_AUTH_MALFORMED;
	while (p < end && *p == '=')
		p++;
	if (p != end)
		return HTTPSD_AUTH_MALFORMED;
	if ((size_t)(end - t) > max)
		return HTTPSD_AUTH_TOO_LARGE;
	*tok = t;
	*toklen = (size_t)(end - t);
	return HTTPSD_AUTH_BEARER;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Form-url-decodes [p, end) into out (size outsz, NUL-terminated).  Refuses
 * bad escapes, %00 and control bytes.  Returns the length or -1. */
static long
form_decode(const char *p, const char *end, char *out, size_t outsz)
{
	size_t o = 0;

	while (p < end) {
		unsigned char c = (unsigned char)*p++;
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h, l;
			if (end - p < 2)
				return -1;
			h = hexval((unsigned char)p[0]);
			l = hexval((unsigned char)p[1]);
			if (h < 0 || l < 0)
				return -1;
			c = (unsigned char)(h * 16 + l);
			p += 2;
			if (c == 0)
				return -1;
		} else if (c < 0x20 || c == 0x7f) {
			return -1;
		}
		if (c < 0x20 && c != '\t')
			return -1;
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	if (o >= outsz)
		return -1;
	out[o] = '\0';
	return (long)o;
}

enum httpsd_form_result
httpsd_form_parse(const char *body, size_t len, struct httpsd_form *out)
{
	const char *p = body, *end = body + len;
	size_t used = 0;

	out->n = 0;
	if (len > HTTPSD_FORM_MAX)
		return HTTPSD_FORM_TOO_LARGE;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ne = eq ? eq : pe;
		long nl, vl;
		char *name, *value;

		if (pe == p) {          /* "a=1&&b=2": tolerate empty pairs */
			p = pe + 1;
			continue;
		}
		if (out->n == HTTPSD_FORM_FIELDS)
			return HTTPSD_FORM_TOO_LARGE;
		name = out->buf + used;
		nl = form_decode(p, ne, name, sizeof(out->buf) - used);
		if (nl <= 0)
			return HTTPSD_FORM_MALFORMED;
		used += (size_t)nl + 1;
		value = out->buf + used;
		vl = form_decode(eq ? eq + 1 : pe, pe, value,
		                 sizeof(out->buf) - used);
		if (vl < 0)
			return HTTPSD_FORM_MALFORMED;
		used += (size_t)vl + 1;
		for (size_t i = 0; i < out->n; i++)
			if (strcmp(out->f[i].name, name) == 0)
				return HTTPSD_FORM_DUPLICATE;
		out->f[out->n].name = name;
		out->f[out->n].value = value;
		out->f[out->n].vlen = (size_t)vl;
		out->n++;
		p = amp ? amp + 1 : end;
	}
	return HTTPSD_FORM_OK;
}

const char *
httpsd_form_get(const struct httpsd_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, name) == 0)
			return f->f[i].value;
	return NULL;
}

int
httpsd_query_has(const char *q, size_t len, const char *name)
{
	const char *p = q, *end = q + len;
	char dec[256];

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ne = eq ? eq : pe;
		long n = form_decode(p, ne, dec, sizeof(dec));
		/* An undecodable name may still be meant as access_token by a
		 * lenient client: compare the raw bytes too. */
		if ((n >= 0 && strcmp(dec, name) == 0) ||
		    ((size_t)(ne - p) == strlen(name) &&
		     memcmp(p, name, strlen(name)) == 0))
			return 1;
		p = amp ? amp + 1 : end;
	}
	return 0;
}

/* Digits only, no sign, at most 19 of them (fits uint64_t). */
static int
parse_u64(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (p == end || end - p > 19)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

enum httpsd_range
httpsd_range_parse(const char *v, size_t len, uint64_t size, uint64_t *start,
                   uint64_t *count)
{
	const char *p = v, *end = v + len, *dash;
	uint64_t a, b;

	if (v == NULL)
		return HTTPSD_RANGE_NONE;
	trim(&p, &end);
	if (end - p < 6 || strncmp(p, "bytes=", 6) != 0)
		return HTTPSD_RANGE_NONE;
	p += 6;
	trim(&p, &end);
	if (memchr(p, ',', (size_t)(end - p)) != NULL)
		return HTTPSD_RANGE_NONE;      /* several ranges: send it all */
	dash = memchr(p, '-', (size_t)(end - p));
	if (dash == NULL)
		return HTTPSD_RANGE_NONE;
	if (dash == p) {                       /* suffix: last N bytes */
		if (parse_u64(dash + 1, end, &b) < 0)
			return HTTPSD_RANGE_NONE;
		if (b == 0 || size == 0)
			return HTTPSD_RANGE_UNSATISFIABLE;
		if (b > size)
			b = size;
		*start = size - b;
		*count = b;
		return HTTPSD_RANGE_OK;
	}
	if (parse_u64(p, dash, &a) < 0)
		return HTTPSD_RANGE_NONE;
	if (dash + 1 == end) {
		b = UINT64_MAX;
	} else {
		if (parse_u64(dash + 1, end, &b) < 0 || b < a)
			return HTTPSD_RANGE_NONE;
	}
	if (a >= size)
		return HTTPSD_RANGE_UNSATISFIABLE;
	if (b >= size)
		b = size - 1;
	*start = a;
	*count = b - a + 1;
	return HTTPSD_RANGE_OK;
}

int
httpsd_etag_match(const char *v, size_t len, const char *etag)
{
	const char *p = v, *end = v + len;
	size_t elen = strlen(etag);

	if (v == NULL)
		return 0;
	while (p < end) {
		const char *t, *q;

		while (p < end && (is_ows(*p) || *p == ','))
			p++;
		if (p == end)
			break;
		if (*p == '*')
			return 1;
		if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
			p += 2;
		if (p == end || *p != '"')
			return 0;
		t = p;
		q = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (q == NULL)
			return 0;
		if ((size_t)(q + 1 - t) == elen && memcmp(t, etag, elen) == 0)
			return 1;
		p = q + 1;
	}
	return 0;
}

long
httpsd_path_decode(const char *raw, size_t len, char *out, size_t outsz,
                   const char **query, size_t *qlen)
{
	const char *p = raw, *end = raw + len, *q;
	size_t o = 0;

	q = memchr(raw, '?', len);
	if (q != NULL) {
		*query = q + 1;
		*qlen = (size_t)(end - q - 1);
		end = q;
	} else {
		*query = end;
		*qlen = 0;
	}
	if (p == end || *p != '/')
		return -1;
	p++;
	while (p < end) {
		unsigned char c = (unsigned char)*p++;
		if (c == '%') {
			int h, l;
			if (end - p < 2)
				return -1;
			h = hexval((unsigned char)p[0]);
			l = hexval((unsigned char)p[1]);
			if (h < 0 || l < 0)
				return -1;
			c = (unsigned char)(h * 16 + l);
			p += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return -1;
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (o == 0)
		return 0;                       /* "/" itself */
	/* common/'s one name check, on the decoded text, so %2e%2e is "..". */
	if (path_check(out, o) != 0)
		return -1;
	return (long)o;
}

static int
append(char *buf, size_t sz, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n >= sz)
		return -1;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = '\0';
	return 0;
}

static int
append_param(char *buf, size_t sz, size_t *o, const char *name,
             const char *value)
{
	if (value == NULL)
		return 0;
	if (strpbrk(value, "\"\\\r\n") != NULL)
		return -1;
	if (append(buf, sz, o, ", ") < 0 || append(buf, sz, o, name) < 0 ||
	    append(buf, sz, o, "=\"") < 0 || append(buf, sz, o, value) < 0 ||
	    append(buf, sz, o, "\"") < 0)
		return -1;
	return 0;
}

long
httpsd_bearer_challenge(char *buf, size_t sz, const char *realm,
                        const char *error, const char *desc,
                        const char *scope)
{
	size_t o = 0;

	if (sz == 0 || realm == NULL || strpbrk(realm, "\"\\\r\n") != NULL)
		return -1;
	buf[0] = '\0';
	if (append(buf, sz, &o, "Bearer realm=\"") < 0 ||
	    append(buf, sz, &o, realm) < 0 || append(buf, sz, &o, "\"") < 0 ||
	    append_param(buf, sz, &o, "error", error) < 0 ||
	    append_param(buf, sz, &o, "error_description", desc) < 0 ||
	    append_param(buf, sz, &o, "scope", scope) < 0)
		return -1;
	return (long)o;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with padding (RFC 4648 §4), as HTTP Basic uses it. */
static long
b64_decode(const char *p, const char *end, char *out, size_t outsz)
{
	size_t n = (size_t)(end - p), o = 0;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v;
		if (p[i] == '=') {
			if (i < n - 2)
				return -1;
			pad++;
			continue;
		}
		if (pad)
			return -1;
		v = b64val((unsigned char)p[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return (long)o;
}

int
httpsd_basic_parse(const char *v, size_t len, char *id, size_t idsz,
                   char *secret, size_t secretsz)
{
	const char *p = v, *end = v + len, *colon;
	char creds[HTTPSD_CREDS_MAX];
	long n;

	if (v == NULL)
		return -1;
	trim(&p, &end);
	if (!scheme_is(p, end, "Basic"))
		return -1;
	p += 5;
	while (p < end && is_ows(*p))
		p++;
	n = b64_decode(p, end, creds, sizeof(creds));
	if (n <= 0 || memchr(creds, '\0', (size_t)n) != NULL)
		goto fail;
	colon = memchr(creds, ':', (size_t)n);
	if (colon == NULL)
		goto fail;
	if (form_decode(creds, colon, id, idsz) <= 0 ||
	    form_decode(colon + 1, creds + n, secret, secretsz) < 0)
		goto fail;
	mem_wipe(creds, sizeof(creds));
	return 0;
fail:
	mem_wipe(creds, sizeof(creds));
	return -1;
}

/* ---- scope words (RFC 6749 §3.3) ---------------------------------------- */

/* 1 when the word (n bytes) is one of `have`'s space-separated words. */
int
httpsd_scope_has(const char *have, const char *word, size_t n)
{
	for (const char *q = have; *q;) {
		const char *qe;
		size_t m;

		while (*q == ' ')
			q++;
		qe = strchr(q, ' ');
		m = qe ? (size_t)(qe - q) : strlen(q);
		if (m == n && m > 0 && memcmp(word, q, n) == 0)
			return 1;
		q += m;
	}
	return 0;
}

/* Every scope word of `want` is in `have`. */
int
httpsd_scope_subset(const char *want, const char *have)
{
	const char *p = want;

	while (*p) {
		const char *e;
		size_t n;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, ' ');
		n = e ? (size_t)(e - p) : strlen(p);
		if (!httpsd_scope_has(have, p, n))
			return 0;
		p += n;
	}
	return 1;
}

/* The words of `want` that are in `have`, in want's order, into out
 * (space-separated; "" when none).  -1 when out is too small. */
int
httpsd_scope_intersect(const char *want, const char *have, char *out,
                      size_t outsz)
{
	size_t o = 0;

	out[0] = '\0';
	for (const char *p = want; *p;) {
		const char *e;
		size_t n;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, ' ');
		n = e ? (size_t)(e - p) : strlen(p);
		if (httpsd_scope_has(have, p, n)) {
			if (o + n + 2 > outsz)
				return -1;
			if (o > 0)
				out[o++] = ' ';
			memcpy(out + o, p, n);
			o += n;
			out[o] = '\0';
		}
		p += n;
	}
	return 0;
}


/* ---- HTTP dates ------------------------------------------------------------ */

static const char *const wkday[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const wkday_long[7] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };
static const char *const month[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil, a published algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at *p (advanced); -1 when not digits. */
static int
date_num(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/* Matches literal text s at *p (advanced).  0 / -1. */
static int
date_lit(const char **p, const char *end, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return -1;
	*p += n;
	return 0;
}

/* One of names[count] (exact case) at *p; its index or -1. */
static int
date_name(const char **p, const char *end, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (date_lit(p, end, names[i]) == 0)
			return i;
	return -1;
}

/* "HH:MM:SS" into seconds of the day, or -1. */
static int
date_clock(const char **p, const char *end)
{
	int h = date_num(p, end, 2), m, s;

	if (h < 0 || date_lit(p, end, ":") < 0 || (m = date_num(p, end, 2)) < 0 ||
	    date_lit(p, end, ":") < 0 || (s = date_num(p, end, 2)) < 0)
		return -1;
	if (h > 23 || m > 59 || s > 60)
		return -1;
	return h * 3600 + m * 60 + (s == 60 ? 59 : s);
}

static int
date_make(int64_t y, int mon, int d, int secs, int64_t *out)
{
	static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
	                                         30, 31, 30, 31 };

	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (mon < 0 || d < 1 || d > mdays[mon] || secs < 0 || y < 1970 || y > 9999 ||
	    (mon == 1 && d == 29 && !leap))
		return -1;
	*out = days_from_civil(y, (unsigned)mon + 1, (unsigned)d) * 86400 + secs;
	return 0;
}

int
httpsd_http_date_parse(const char *v, size_t len, int64_t *out)
{
	const char *p = v, *end = v + len;
	int d, mon, y, secs;

	if (v == NULL)
		return -1;
	while (end > p && is_ows(end[-1]))
		end--;
	while (p < end && is_ows(*p))
		p++;
	if (date_name(&p, end, wkday_long, 7) >= 0) {
		/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit year:
		 * RFC 9110 §5.6.7 reads it as the nearest year not more than
		 * 50 years ahead; all our files are after 1970). */
		if (date_lit(&p, end, ", ") < 0 || (d = date_num(&p, end, 2)) < 0 ||
		    date_lit(&p, end, "-") < 0 || (mon = date_name(&p, end, month, 12)) < 0 ||
		    date_lit(&p, end, "-") < 0 || (y = date_num(&p, end, 2)) < 0 ||
		    date_lit(&p, end, " ") < 0 || (secs = date_clock(&p, end)) < 0 ||
		    date_lit(&p, end, " GMT") < 0 || p != end)
			return -1;
		return date_make(y < 70 ? 2000 + y : 1900 + y, mon, d, secs, out);
	}
	if (date_name(&p, end, wkday, 7) < 0)
		return -1;
	if (date_lit(&p, end, ", ") == 0) {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		if ((d = date_num(&p, end, 2)) < 0 || date_lit(&p, end, " ") < 0 ||
		    (mon = date_name(&p, end, month, 12)) < 0 || date_lit(&p, end, " ") < 0 ||
		    (y = date_num(&p, end, 4)) < 0 || date_lit(&p, end, " ") < 0 ||
		    (secs = date_clock(&p, end)) < 0 || date_lit(&p, end, " GMT") < 0 ||
		    p != end)
			return -1;
		return date_make(y, mon, d, secs, out);
	}
	/* asctime: Sun Nov  6 08:49:37 1994 */
	if (date_lit(&p, end, " ") < 0 || (mon = date_name(&p, end, month, 12)) < 0 ||
	    date_lit(&p, end, " ") < 0)
		return -1;
	if (p < end && *p == ' ') {
		p++;
		d = date_num(&p, end, 1);
	} else {
		d = date_num(&p, end, 2);
	}
	if (d < 0 || date_lit(&p, end, " ") < 0 || (secs = date_clock(&p, end)) < 0 ||
	    date_lit(&p, end, " ") < 0 || (y = date_num(&p, end, 4)) < 0 || p != end)
		return -1;
	return date_make(y, mon, d, secs, out);
}

void
httpsd_http_date_format(int64_t t, char buf[HTTPSD_DATE_MAX])
{
	int64_t days, secs, z, era, y;
	unsigned doe, yoe, doy, mp, d, m;

	if (t < 0)
		t = 0;
	if (t > INT64_C(253402300799))  /* 9999-12-31 23:59:59 */
		t = INT64_C(253402300799);
	days = t / 86400;
	secs = t % 86400;
	/* civil_from_days, the inverse of days_from_civil above */
	z = days + 719468;
	era = z / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = (int64_t)yoe + era * 400 + (m <= 2);
	/* 1970-01-01 was a Thursday */
	snprintf(buf, HTTPSD_DATE_MAX, "%s, %02u %s %04d %02d:%02d:%02d GMT",
	         wkday[(days + 4) % 7], d % 100u, month[(m - 1) % 12], (int)(y % 10000),
	         (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

int
httpsd_if_range_ok(const char *v, size_t len, const char *etag, int64_t mtime,
                   int mtime_strong)
{
	const char *p = v, *end = v + len;
	size_t elen = strlen(etag);
	int64_t t;

	if (v == NULL)
		return 0;
	while (p < end && is_ows(*p))
		p++;
	while (end > p && is_ows(end[-1]))
		end--;
	if (p < end && *p == '"')       /* an entity-tag: strong comparison */
		return (size_t)(end - p) == elen && memcmp(p, etag, elen) == 0;
	if (p < end && *p == 'W')       /* a weak tag never validates a range */
		return 0;
	return mtime_strong && httpsd_http_date_parse(p, (size_t)(end - p), &t) == 0 &&
	       t == mtime;
}

/* ---- request framing -------------------------------------------------------- */

const char *
httpsd_framing_check(const char *version, unsigned nhost, unsigned ncontent_length,
                     unsigned ntransfer_encoding)
{
	int v11 = version != NULL && strcmp(version, "HTTP/1.1") == 0;

	if (ntransfer_encoding > 0 && ncontent_length > 0)
		return "both Content-Length and Transfer-Encoding";
	if (ncontent_length > 1)
		return "more than one Content-Length";
	if (v11 && nhost != 1)
		return nhost == 0 ? "HTTP/1.1 request without Host" : "more than one Host";
	if (nhost > 1)
		return "more than one Host";
	return NULL;
}
