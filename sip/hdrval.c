/*
 * hdrval.c - scanners for the header values the registrar reads: name-addr /
 * addr-spec with parameters (From, To, Contact; RFC 3261 §20.10, §25.1),
 * bearer credentials (RFC 8898 §2 and the vendor's `Bearer token="…"` form)
 * and Require option tags.
 *
 * Values may still contain CRLF+WS folds (msg.c keeps them in place), so
 * every scanner here treats CR and LF as white space, like SP and HT.
 */
#include "config.h"

#include <string.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

static const char *
skip_lws(const char *p, const char *end)
{
	while (p < end && sip_is_lws((unsigned char)*p))
		p++;
	return p;
}

/* p at '"': the quoted-string's inside (escapes left in place) and the
 * position after the closing quote.  -1 when unterminated. */
static int
quoted(const char *p, const char *end, struct sip_str *inner, const char **next)
{
	const char *q = p + 1;

	for (; q < end; q++) {
		if (*q == '\\') {
			if (++q == end)
				return -1;
			continue;
		}
		if (*q == '"') {
			*inner = (struct sip_str){ p + 1, (size_t)(q - p - 1) };
			*next = q + 1;
			return 0;
		}
	}
	return -1;
}

static int
uri_char_ok(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '<' && c != '>' && c != '"';
}

/* name-addr / addr-spec at p; *next after it. */
static int
nameaddr(const char *p, const char *end, struct sip_str *uri, const char **next)
{
	const char *q;

	p = skip_lws(p, end);
	if (p == end)
		return -1;
	if (*p == '"') {
		struct sip_str dn;
		if (quoted(p, end, &dn, &q) != 0)
			return -1;
		p = skip_lws(q, end);
		if (p == end || *p != '<')
			return -1;
	} else {
		for (q = p; q < end && (sip_is_token((unsigned char)*q) ||
		                        sip_is_lws((unsigned char)*q)); q++)
			;
		if (q < end && *q == '<')
			p = q;
	}
	if (*p == '<') {
		const char *gt = memchr(p, '>', (size_t)(end - p));
		if (gt == NULL || gt == p + 1)
			return -1;
		for (q = p + 1; q < gt; q++)
			if (!uri_char_ok((unsigned char)*q))
				return -1;
		*uri = (struct sip_str){ p + 1, (size_t)(gt - p - 1) };
		*next = gt + 1;
	} else {
		/* addr-spec: no ';', ',' or '?' inside (RFC 3261 §20, last
		 * paragraph of the introduction); ';' and ',' end it. */
		for (q = p; q < end && *q != ';' && *q != ',' &&
		            !sip_is_lws((unsigned char)*q); q++) {
			if (*q == '?' || !uri_char_ok((unsigned char)*q))
				return -1;
		}
		if (q == p)
			return -1;
		*uri = (struct sip_str){ p, (size_t)(q - p) };
		*next = q;
	}
	if (memchr(uri->p, ':', uri->len) == NULL)
		return -1;
	return 0;
}

/* One ";name[=value]" at p (after LWS).  Returns 1 with name/value filled, 0
 * when p is not at ';' (end of the parameters), -1 on syntax error.  A quoted
 * value is returned without its quotes; *was_quoted says so. */
static int
param(const char **pp, const char *end, struct sip_str *name,
      struct sip_str *value, int *was_quoted)
{
	const char *p = skip_lws(*pp, end), *q;

	*was_quoted = 0;
	if (p == end || *p != ';')
		return 0;
	p = skip_lws(p + 1, end);
	for (q = p; q < end && sip_is_token((unsigned char)*q); q++)
		;
	if (q == p)
		return -1;
	*name = (struct sip_str){ p, (size_t)(q - p) };
	*value = (struct sip_str){ q, 0 };
	p = skip_lws(q, end);
	if (p < end && *p == '=') {
		p = skip_lws(p + 1, end);
		if (p < end && *p == '"') {
			if (quoted(p, end, value, &q) != 0)
				return -1;
			*was_quoted = 1;
		} else {
			for (q = p; q < end && *q != ';' && *q != ',' &&
			            !sip_is_lws((unsigned char)*q) && *q != '"'; q++)
				;
			if (q == p)
				return -1;
			*value = (struct sip_str){ p, (size_t)(q - p) };
		}
		p = q;
	} else {
		p = q;
	}
	*pp = p;
	return 1;
}

int
sip_nameaddr_uri(struct sip_str value, struct sip_str *uri)
{
	const char *end = value.p + value.len, *p;
	struct sip_str n, v;
	int r, qd;

	if (value.len == 0 || nameaddr(value.p, end, uri, &p) != 0)
		return -1;
	while ((r = param(&p, end, &n, &v, &qd)) == 1)
		;
	if (r < 0)
		return -1;
	return skip_lws(p, end) == end ? 0 : -1;
}

int
sip_hdr_param(struct sip_str value, const char *name, struct sip_str *out)
{
	const char *end = value.p + value.len, *p;
	struct sip_str uri, n, v;
	int r, qd, found = 0;

	if (value.len == 0 || nameaddr(value.p, end, &uri, &p) != 0)
		return -1;
	while ((r = param(&p, end, &n, &v, &qd)) == 1) {
		if (!found && sip_str_ieq(n, name)) {
			*out = v;
			found = 1;
		}
	}
	if (r < 0)
		return -1;
	return found;
}

/* "<urn:uuid:…>" or urn:uuid:… without the angle brackets. */
static struct sip_str
strip_angles(struct sip_str v)
{
	if (v.len >= 2 && v.p[0] == '<' && v.p[v.len - 1] == '>')
		return (struct sip_str){ v.p + 1, v.len - 2 };
	return v;
}

int
sip_contacts_parse(const struct sip_msg *m, struct sip_contact *out,
                   size_t max, const char **why)
{
	const char *dummy;
	size_t n = 0;

	if (why == NULL)
		why = &dummy;
	*why = "";
	for (size_t i = 0; i < m->nhdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		const char *p = h->value.p, *end = h->value.p + h->value.len;

		if (h->id != SIP_H_CONTACT)
			continue;
		if (h->value.len == 1 && h->value.p[0] == '*') {
			if (n == max)
				return (*why = "too many Contacts"), -1;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].star = 1;
			out[n].expires = -1;
			out[n].whole = h->value;
			n++;
			continue;
		}
		for (;;) {
			struct sip_contact *c;
			struct sip_str pn, pv;
			const char *start;
			int r, qd;
			long long num;

			if (n == max)
				return (*why = "too many Contacts"), -1;
			c = &out[n];
			memset(c, 0, sizeof(*c));
			c->expires = -1;
			start = skip_lws(p, end);
			if (nameaddr(start, end, &c->uri, &p) != 0)
				return (*why = "bad Contact"), -1;
			while ((r = param(&p, end, &pn, &pv, &qd)) == 1) {
				if (sip_str_ieq(pn, "expires")) {
					/* Over 2^32-1 is a syntax error, not
					 * "forever" (RFC 4475 scalar02). */
					if (sip_digits(pv, 4294967295LL, &num) != 0)
						return (*why = "bad Contact expires"), -1;
					c->expires = num;
				} else if (sip_str_ieq(pn, "reg-id")) {
					if (sip_digits(pv, 2147483647LL, &num) != 0 ||
					    num == 0)
						return (*why = "bad reg-id"), -1;
					c->reg_id = num;
				} else if (sip_str_ieq(pn, "+sip.instance")) {
					c->instance = strip_angles(pv);
				} else if (sip_str_ieq(pn,
				               "+u.sip!devicename.ccm.cisco.com")) {
					c->devicename = pv;
				}
			}
			if (r < 0)
				return (*why = "bad Contact parameter"), -1;
			c->whole = (struct sip_str){ start, (size_t)(p - start) };
			n++;
			p = skip_lws(p, end);
			if (p == end)
				break;
			if (*p != ',')
				return (*why = "bad Contact list"), -1;
			p++;
		}
	}
	/* "*" must stand alone (RFC 3261 §10.3 step 6). */
	for (size_t i = 0; i < n; i++)
		if (out[i].star && n != 1)
			return (*why = "Contact * with other Contacts"), -1;
	return (int)n;
}

int
sip_uri_host(struct sip_str uri, struct sip_str *host)
{
	const char *p = uri.p, *end = uri.p + uri.len, *colon, *stop, *h, *e;

	colon = memchr(p, ':', uri.len);
	if (colon == NULL ||
	    (!sip_str_ieq((struct sip_str){ p, (size_t)(colon - p) }, "sip") &&
	     !sip_str_ieq((struct sip_str){ p, (size_t)(colon - p) }, "sips")))
		return -1;
	for (stop = colon + 1; stop < end && *stop != ';' && *stop != '?'; stop++)
		;
	h = colon + 1;
	for (const char *q = colon + 1; q < stop; q++)
		if (*q == '@')
			h = q + 1;
	if (h < stop && *h == '[') {
		/* IPv6reference (RFC 3261 §25.1): the brackets are not the host. */
		e = memchr(h, ']', (size_t)(stop - h));
		if (e == NULL || e == h + 1 ||
		    (e + 1 < stop && e[1] != ':'))
			return -1;
		*host = (struct sip_str){ h + 1, (size_t)(e - h - 1) };
		return 0;
	}
	for (e = h; e < stop && *e != ':'; e++)
		if (*e == '[' || *e == ']')
			return -1;
	if (e == h)
		return -1;
	*host = (struct sip_str){ h, (size_t)(e - h) };
	return 0;
}

int
sip_aor(struct sip_str uri, char *out, size_t outsz)
{
	const char *p = uri.p, *end = uri.p + uri.len, *colon, *stop, *at;
	size_t k = 0;

	colon = memchr(p, ':', uri.len);
	if (colon == NULL)
		return -1;
	if (!sip_str_ieq((struct sip_str){ p, (size_t)(colon - p) }, "sip") &&
	    !sip_str_ieq((struct sip_str){ p, (size_t)(colon - p) }, "sips"))
		return -1;
	for (stop = colon + 1; stop < end && *stop != ';' && *stop != '?'; stop++)
		;
	at = NULL;
	for (const char *q = colon + 1; q < stop; q++)
		if (*q == '@')
			at = q;
	if (stop == colon + 1 || (at != NULL && at + 1 == stop))
		return -1;
	if ((size_t)(stop - p) + 1 > outsz)
		return -1;
	for (const char *q = p; q < stop; q++) {
		unsigned char c = (unsigned char)*q;
		/* Scheme and host are case-insensitive, the user part is not. */
		if (q < colon || at == NULL || q > at)
			c = (unsigned char)sip_lower(c);
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return 0;
}

static int
token68_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~' || c == '+' || c == '/';
}

/* Credentials after "Bearer": token68, or auth-params with `token`.
 * Returns SIP_CRED_FOUND, or SIP_CRED_BAD. */
static enum sip_cred_result
bearer_value(const char *p, const char *end, struct sip_str *tok)
{
	const char *q;

	p = skip_lws(p, end);
	for (q = p; q < end && token68_char((unsigned char)*q); q++)
		;
	if (q == p)
		return SIP_CRED_BAD;
	{
		const char *r = q;
		while (r < end && *r == '=')
			r++;
		if (skip_lws(r, end) == end) {
			/* RFC 8898: Authorization: Bearer <token68> */
			*tok = (struct sip_str){ p, (size_t)(r - p) };
			return SIP_CRED_FOUND;
		}
	}
	/* auth-param list: name = (token / quoted-string), comma-separated */
	for (;;) {
		struct sip_str name, val;
		const char *n0 = skip_lws(p, end);

		for (q = n0; q < end && sip_is_token((unsigned char)*q); q++)
			;
		if (q == n0)
			return SIP_CRED_BAD;
		name = (struct sip_str){ n0, (size_t)(q - n0) };
		p = skip_lws(q, end);
		if (p == end || *p != '=')
			return SIP_CRED_BAD;
		p = skip_lws(p + 1, end);
		if (p < end && *p == '"') {
			if (quoted(p, end, &val, &q) != 0)
				return SIP_CRED_BAD;
			if (memchr(val.p, '\\', val.len) != NULL)
				return SIP_CRED_BAD;
		} else {
			for (q = p; q < end && *q != ',' &&
			            !sip_is_lws((unsigned char)*q); q++)
				;
			val = (struct sip_str){ p, (size_t)(q - p) };
		}
		if (sip_str_ieq(name, "token")) {
			if (val.len == 0)
				return SIP_CRED_BAD;
			*tok = val;
			return SIP_CRED_FOUND;
		}
		p = skip_lws(q, end);
		if (p == end)
			return SIP_CRED_BAD;
		if (*p != ',')
			return SIP_CRED_BAD;
		p++;
	}
}

enum sip_cred_result
sip_bearer_token(const struct sip_msg *m, struct sip_str *token)
{
	int found = 0;

	for (size_t i = 0; i < m->nhdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		const char *p = h->value.p, *end = p + h->value.len, *q;
		struct sip_str t;
		enum sip_cred_result r;

		if (h->id != SIP_H_AUTHORIZATION &&
		    h->id != SIP_H_PROXY_AUTHORIZATION)
			continue;
		for (q = p; q < end && sip_is_token((unsigned char)*q); q++)
			;
		if (!sip_str_ieq((struct sip_str){ p, (size_t)(q - p) }, "Bearer"))
			continue;       /* Digest and others: not ours */
		if (q == end || !sip_is_lws((unsigned char)*q))
			return SIP_CRED_BAD;
		r = bearer_value(q, end, &t);
		if (r != SIP_CRED_FOUND)
			return r;
		if (found) {
			/* Two different tokens: which one would we check?
			 * Refuse rather than pick (standards.md: duplicated
			 * Authorization). */
			if (t.len != token->len || memcmp(t.p, token->p, t.len) != 0)
				return SIP_CRED_CONFLICT;
			continue;
		}
		*token = t;
		found = 1;
	}
	return found ? SIP_CRED_FOUND : SIP_CRED_NONE;
}

int
sip_require_unknown(const struct sip_msg *m, struct sip_str *tag)
{
	for (size_t i = 0; i < m->nhdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		const char *p = h->value.p, *end = p + h->value.len, *q;

		if (h->id != SIP_H_REQUIRE)
			continue;
		while (p < end) {
			p = skip_lws(p, end);
			for (q = p; q < end && *q != ',' &&
			            !sip_is_lws((unsigned char)*q); q++)
				;
			if (q > p) {
				struct sip_str t = { p, (size_t)(q - p) };
				/* RFC 5626 keys our bindings; everything
				 * else is an extension we do not implement. */
				if (!sip_str_ieq(t, "outbound")) {
					*tag = t;
					return 1;
				}
			}
			q = skip_lws(q, end);
			p = (q < end && *q == ',') ? q + 1 : q;
			if (q < end && *q != ',')
				p = q + 1;
		}
	}
	return 0;
}
