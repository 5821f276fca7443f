/*
 * jsonscan.c - an allocation-free reader for the flat JSON objects that JWS
 * headers and access-token claims almost always are.
 *
 * It accepts only a strict subset of JSON: one top-level object whose keys
 * are plain strings and whose values are plain strings, integers of up to 18
 * digits, true/false/null, or one-level arrays of those.  "Plain" means
 * printable ASCII without escapes.  Anything outside the subset - escapes,
 * non-ASCII bytes, fractions, exponents, nesting, duplicate names, more than
 * JSCAN_MAX_MEMBERS members, and every syntax error - makes it answer "not
 * mine", and the caller hands the same bytes to jansson with
 * JSON_REJECT_DUPLICATES.  So the verdict on any input is jansson's; the
 * subset only decides how fast we get there.  fuzz_jsonscan checks that the
 * two readers agree on every input they both accept.  jv_from_json() gives
 * the callers the same view (struct jv) of a value jansson parsed.
 */
#include "config.h"

#include <string.h>

#include "trust/trust_int.h"

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A plain string starting at '"': sets [*s, *s + *n) and returns the byte
 * after the closing quote, or NULL when it is not plain. */
static const char *
plain_string(const char *p, const char *end, const char **s, size_t *n)
{
	const char *q;

	if (p >= end || *p != '"')
		return NULL;
	for (q = p + 1; q < end; q++) {
		unsigned char c = (unsigned char)*q;
		if (c == '"') {
			*s = p + 1;
			*n = (size_t)(q - p - 1);
			return q + 1;
		}
		if (c < 0x20 || c >= 0x80 || c == '\\')
			return NULL;
	}
	return NULL;
}

/* -?(0|[1-9][0-9]{0,17}) not followed by '.', 'e', 'E' or another digit. */
static const char *
plain_int(const char *p, const char *end, int64_t *out)
{
	int neg = 0, digits = 0;
	int64_t v = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0') {
		p++;
		digits = 1;
	} else {
		while (p < end && *p >= '0' && *p <= '9') {
			if (++digits > 18)
				return NULL;
			v = v * 10 + (*p++ - '0');
		}
	}
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')))
		return NULL;
	*out = neg ? -v : v;
	return p;
}

static const char *
literal(const char *p, const char *end)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (int i = 0; i < 3; i++) {
		size_t l = strlen(lits[i]);
		if ((size_t)(end - p) >= l && memcmp(p, lits[i], l) == 0)
			return p + l;
	}
	return NULL;
}

/* A scalar of the subset into *v. */
static const char *
scalar(const char *p, const char *end, struct jv *v)
{
	const char *q;

	if (p >= end)
		return NULL;
	if (*p == '"') {
		v->k = JV_STRING;
		return plain_string(p, end, &v->s, &v->n);
	}
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		v->k = JV_INT;
		return plain_int(p, end, &v->i);
	}
	if ((q = literal(p, end)) != NULL) {
		v->k = JV_OTHER;
		return q;
	}
	return NULL;
}

static const char *
value(const char *p, const char *end, struct jv *v)
{
	struct jv e;

	memset(v, 0, sizeof(*v));
	if (p >= end || *p != '[')
		return scalar(p, end, v);
	/* One-level array; its raw text is kept for jscan_array_has(). */
	v->k = JV_ARRAY;
	v->s = p;
	p = ws(p + 1, end);
	if (p < end && *p == ']') {
		v->n = (size_t)(p + 1 - v->s);
		return p + 1;
	}
	for (;;) {
		if ((p = scalar(p, end, &e)) == NULL)
			return NULL;
		p = ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == ']') {
			v->n = (size_t)(p + 1 - v->s);
			return p + 1;
		}
		if (*p != ',')
			return NULL;
		p = ws(p + 1, end);
	}
}

int
jscan_object(const char *text, size_t len, struct jscan *out)
{
	const char *p = text, *end = text + len;

	out->n = 0;
	p = ws(p, end);
	if (p >= end || *p != '{')
		return -1;
	p = ws(p + 1, end);
	if (p < end && *p == '}')
		return ws(p + 1, end) == end ? 0 : -1;
	for (;;) {
		struct jscan_member *m;
		if (out->n >= JSCAN_MAX_MEMBERS)
			return -1;
		m = &out->m[out->n];
		if ((p = plain_string(p, end, &m->key, &m->klen)) == NULL)
			return -1;
		/* Plain keys compare byte for byte, so a duplicate is exactly
		 * an equal byte string (escaped spellings never get here). */
		for (size_t i = 0; i < out->n; i++)
			if (out->m[i].klen == m->klen && memcmp(out->m[i].key, m->key, m->klen) == 0)
				return -1;
		p = ws(p, end);
		if (p >= end || *p != ':')
			return -1;
		p = ws(p + 1, end);
		if ((p = value(p, end, &m->v)) == NULL)
			return -1;
		out->n++;
		p = ws(p, end);
		if (p >= end)
			return -1;
		if (*p == '}')
			return ws(p + 1, end) == end ? 0 : -1;
		if (*p != ',')
			return -1;
		p = ws(p + 1, end);
	}
}

const struct jv *
jscan_get(const struct jscan *js, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < js->n; i++)
		if (js->m[i].klen == kl && memcmp(js->m[i].key, key, kl) == 0)
			return &js->m[i].v;
	return NULL;
}

int
jscan_array_has(const struct jv *arr, const char *want, size_t wlen)
{
	const char *p = arr->s + 1, *end = arr->s + arr->n - 1;
	struct jv e;

	/* The array was validated by value(): walk it again. */
	for (p = ws(p, end); p < end; ) {
		p = scalar(p, end, &e);
		if (p == NULL)
			return 0;
		if (e.k == JV_STRING && e.n == wlen && memcmp(e.s, want, wlen) == 0)
			return 1;
		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	return 0;
}

void
jv_from_json(const json_t *j, struct jv *out)
{
	memset(out, 0, sizeof(*out));
	out->j = j;
	if (j == NULL) {
		out->k = JV_ABSENT;
	} else if (json_is_string(j)) {
		out->k = JV_STRING;
		out->s = json_string_value(j);
		out->n = json_string_length(j);
	} else if (json_is_integer(j)) {
		out->k = JV_INT;
		out->i = (int64_t)json_integer_value(j);
	} else if (json_is_real(j)) {
		out->k = JV_REAL;
		out->d = json_real_value(j);
	} else if (json_is_array(j)) {
		out->k = JV_ARRAY;
	} else {
		out->k = JV_OTHER;
	}
}
