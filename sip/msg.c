/*
 * msg.c - the bounded SIP message parser (RFC 3261 §7, §20, §25).
 *
 * One pass over [p, end): the start line, then header fields, each possibly
 * folded over continuation lines (RFC 3261 §7.3.1).  Nothing is copied; the
 * header table points into the caller's buffer.  Only CRLF ends a line: a
 * bare CR or LF inside the header block is a syntax error, so a message can
 * never be split differently by us and by whatever relayed it.
 */
#include "config.h"

#include <string.h>

#include "common/common.h"
#include "sip/sip.h"
#include "sip/sip_int.h"

int
sip_str_ieq(struct sip_str s, const char *c)
{
	size_t n = strlen(c);

	if (s.len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (sip_lower((unsigned char)s.p[i]) != sip_lower((unsigned char)c[i]))
			return 0;
	return 1;
}

int
sip_str_copy(char *dst, size_t dstsz, struct sip_str s)
{
	if (s.len >= dstsz)
		return -1;
	if (s.len > 0)
		memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

/* RFC 3261 §25.1 token characters. */
int
sip_is_token(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("-.!%*_+`'~", c) != NULL;
}

struct hdr_name {
	const char *name;
	const char *compact;
	enum sip_hdr_id id;
};

static const struct hdr_name hdr_names[] = {
	{ "via", "v", SIP_H_VIA },
	{ "from", "f", SIP_H_FROM },
	{ "to", "t", SIP_H_TO },
	{ "call-id", "i", SIP_H_CALL_ID },
	{ "cseq", NULL, SIP_H_CSEQ },
	{ "contact", "m", SIP_H_CONTACT },
	{ "expires", NULL, SIP_H_EXPIRES },
	{ "min-expires", NULL, SIP_H_MIN_EXPIRES },
	{ "require", NULL, SIP_H_REQUIRE },
	{ "proxy-require", NULL, SIP_H_PROXY_REQUIRE },
	{ "authorization", NULL, SIP_H_AUTHORIZATION },
	{ "proxy-authorization", NULL, SIP_H_PROXY_AUTHORIZATION },
	{ "content-length", "l", SIP_H_CONTENT_LENGTH },
	{ "content-type", "c", SIP_H_CONTENT_TYPE },
	{ "max-forwards", NULL, SIP_H_MAX_FORWARDS },
	{ "supported", "k", SIP_H_SUPPORTED },
};

enum sip_hdr_id
sip_hdr_lookup(struct sip_str name)
{
	/* Called for every header of every message: compare only the names
	 * of the same length, first letter first. */
	int c0;

	if (name.len == 0)
		return SIP_H_OTHER;
	c0 = sip_lower((unsigned char)name.p[0]);
	for (size_t i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++) {
		const struct hdr_name *h = &hdr_names[i];
		if (h->name[0] == c0 && strlen(h->name) == name.len &&
		    sip_str_ieq(name, h->name))
			return h->id;
		if (name.len == 1 && h->compact != NULL && h->compact[0] == c0)
			return h->id;
	}
	return SIP_H_OTHER;
}

static enum sip_method
method_id(struct sip_str m)
{
	/* Methods are case-sensitive (RFC 3261 §7.1). */
	static const struct { const char *s; enum sip_method id; } t[] = {
		{ "REGISTER", SIP_M_REGISTER }, { "OPTIONS", SIP_M_OPTIONS },
		{ "INVITE", SIP_M_INVITE }, { "ACK", SIP_M_ACK },
		{ "BYE", SIP_M_BYE }, { "CANCEL", SIP_M_CANCEL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (m.len == strlen(t[i].s) && memcmp(m.p, t[i].s, m.len) == 0)
			return t[i].id;
	return SIP_M_OTHER;
}

/* Finds the CRLF that ends the line starting at p; NULL when a bare CR or LF
 * comes first or nothing ends it before end. */
static const char *
line_end(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '\r')
			return (p + 1 < end && p[1] == '\n') ? p : NULL;
		if (*p == '\n')
			return NULL;
	}
	return NULL;
}

static int
parse_version(struct sip_str v)
{
	return sip_str_ieq(v, "SIP/2.0");
}

static enum sip_parse_result
parse_start_line(const char *p, const char *le, struct sip_msg *m,
                 const char **why)
{
	const char *sp1, *sp2;

	sp1 = memchr(p, ' ', (size_t)(le - p));
	if (sp1 == NULL || sp1 == p) {
		*why = "start line without method";
		return SIP_PARSE_BAD;
	}
	if ((size_t)(le - p) >= 8 && memcmp(p, "SIP/", 4) == 0) {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
		long long code;
		m->is_request = 0;
		if (!parse_version((struct sip_str){ p, (size_t)(sp1 - p) }))
			return (*why = "unsupported SIP version"), SIP_PARSE_BAD_VERSION;
		if (le - sp1 < 5 || sp1[4] != ' ' ||
		    num_parse(sp1 + 1, 3, 100, 699, &code) != 0)
			return (*why = "bad status code"), SIP_PARSE_BAD;
		m->status = (int)code;
		m->reason = (struct sip_str){ sp1 + 5, (size_t)(le - sp1 - 5) };
		return SIP_PARSE_OK;
	}
	m->is_request = 1;
	for (const char *q = p; q < sp1; q++)
		if (!sip_is_token((unsigned char)*q))
			return (*why = "bad method"), SIP_PARSE_BAD;
	m->method_name = (struct sip_str){ p, (size_t)(sp1 - p) };
	m->method = method_id(m->method_name);
	/* Exactly one SP on each side of the Request-URI and none inside it
	 * (RFC 4475 lwsstart, lwsruri, trws, escruri are all refused). */
	sp2 = NULL;
	for (const char *q = le; q > sp1 + 1; q--)
		if (q[-1] == ' ') {
			sp2 = q - 1;
			break;
		}
	if (sp2 == NULL || sp2 == sp1 + 1)
		return (*why = "bad request line"), SIP_PARSE_BAD;
	for (const char *q = sp1 + 1; q < sp2; q++) {
		unsigned char c = (unsigned char)*q;
		if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"')
			return (*why = "bad Request-URI"), SIP_PARSE_BAD;
	}
	m->ruri = (struct sip_str){ sp1 + 1, (size_t)(sp2 - sp1 - 1) };
	{
		/* The URI needs a scheme: "sip:", "sips:", "tel:", ... */
		const char *c = memchr(m->ruri.p, ':', m->ruri.len);
		if (c == NULL || c == m->ruri.p)
			return (*why = "Request-URI without scheme"), SIP_PARSE_BAD;
	}
	if (!parse_version((struct sip_str){ sp2 + 1, (size_t)(le - sp2 - 1) })) {
		/* A well-formed other version gets 505, garbage 400. */
		if (le - sp2 - 1 > 4 && memcmp(sp2 + 1, "SIP/", 4) == 0)
			return (*why = "unsupported SIP version"), SIP_PARSE_BAD_VERSION;
		return (*why = "bad SIP version"), SIP_PARSE_BAD;
	}
	return SIP_PARSE_OK;
}

static void
trim(const char **a, const char **b)
{
	while (*a < *b && sip_is_lws((unsigned char)**a))
		(*a)++;
	while (*b > *a && sip_is_lws((unsigned char)(*b)[-1]))
		(*b)--;
}

/* CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); the number is below 2^31
 * (§8.1.1.5). */
static int
parse_cseq(struct sip_str v, struct sip_msg *m)
{
	const char *p = v.p, *end = v.p + v.len, *d;
	long long n;

	for (d = p; d < end && *d >= '0' && *d <= '9'; d++)
		;
	if (d == p || d == end || !sip_is_lws((unsigned char)*d))
		return -1;
	if (num_parse(p, (size_t)(d - p), 0, 2147483647LL, &n) != 0)
		return -1;
	while (d < end && sip_is_lws((unsigned char)*d))
		d++;
	if (d == end)
		return -1;
	for (const char *q = d; q < end; q++)
		if (!sip_is_token((unsigned char)*q))
			return -1;
	m->cseq = (uint32_t)n;
	m->cseq_method = (struct sip_str){ d, (size_t)(end - d) };
	return 0;
}

static int
parse_callid(struct sip_str v)
{
	/* callid = word [ "@" word ]: printable, no white space. */
	if (v.len == 0)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c <= ' ' || c >= 0x7f)
			return -1;
	}
	return 0;
}

int
sip_digits(struct sip_str v, long long max, long long *out)
{
	if (v.len == 0 || v.len > 19)
		return -1;
	for (size_t i = 0; i < v.len; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
	return num_parse(v.p, v.len, 0, max, out);
}

/* The singletons only the parser looks at; struct sip_msg keeps the others. */
struct parse_once {
	const struct sip_hdr *cl, *exp, *mf;  /* Content-Length, Expires,
	                                       * Max-Forwards */
};

/* Counts Via and files each singleton header, refusing a second copy. */
static enum sip_parse_result
note_header(struct sip_msg *m, struct parse_once *once,
            const struct sip_hdr *h, const char **why)
{
	const struct sip_hdr **slot;
	const char *dup;

	switch (h->id) {
	case SIP_H_VIA:
		m->nvia++;
		return SIP_PARSE_OK;
	case SIP_H_FROM:
		slot = &m->from, dup = "several From";
		break;
	case SIP_H_TO:
		slot = &m->to, dup = "several To";
		break;
	case SIP_H_CALL_ID:
		slot = &m->call_id, dup = "several Call-ID";
		break;
	case SIP_H_CSEQ:
		slot = &m->cseq_hdr, dup = "several CSeq";
		break;
	case SIP_H_CONTENT_LENGTH:
		slot = &once->cl, dup = "several Content-Length";
		break;
	case SIP_H_EXPIRES:
		slot = &once->exp, dup = "several Expires";
		break;
	case SIP_H_MAX_FORWARDS:
		slot = &once->mf, dup = "several Max-Forwards";
		break;
	default:
		return SIP_PARSE_OK;
	}
	if (*slot != NULL)
		return (*why = dup), SIP_PARSE_BAD;
	*slot = h;
	return SIP_PARSE_OK;
}

/* The CRLF ending the header field that starts at p: the first one not
 * followed by SP/HT (RFC 3261 §7.3.1 folding).  NULL as line_end(). */
static const char *
field_end(const char *p, const char *end)
{
	const char *le;

	while ((le = line_end(p, end)) != NULL &&
	       le + 2 < end && sip_is_wsp((unsigned char)le[2]))
		p = le + 2;
	return le;
}

/* One header field [p, le), continuation lines included, into m->hdr. */
static enum sip_parse_result
parse_field(const char *p, const char *le, struct sip_msg *m,
            struct parse_once *once, const char **why)
{
	const char *colon, *name_end, *vstart, *vend;
	struct sip_hdr *h;

	if ((size_t)(le - p) > SIP_LINE_MAX)
		return (*why = "header field too long"), SIP_PARSE_TOO_BIG;
	if (m->nhdr == SIP_HEADERS_MAX)
		return (*why = "too many header fields"), SIP_PARSE_TOO_BIG;
	colon = memchr(p, ':', (size_t)(le - p));
	if (colon == NULL)
		return (*why = "header field without colon"), SIP_PARSE_BAD;
	name_end = colon;
	while (name_end > p && sip_is_wsp((unsigned char)name_end[-1]))
		name_end--;
	if (name_end == p)
		return (*why = "empty header name"), SIP_PARSE_BAD;
	for (const char *c = p; c < name_end; c++)
		if (!sip_is_token((unsigned char)*c))
			return (*why = "bad header name"), SIP_PARSE_BAD;
	vstart = colon + 1;
	vend = le;
	trim(&vstart, &vend);

	h = &m->hdr[m->nhdr++];
	h->name = (struct sip_str){ p, (size_t)(name_end - p) };
	h->value = (struct sip_str){ vstart, (size_t)(vend - vstart) };
	h->id = sip_hdr_lookup(h->name);
	return note_header(m, once, h, why);
}

/* Header fields from p up to the empty line; *body gets the byte after it. */
static enum sip_parse_result
parse_headers(const char *p, const char *end, struct sip_msg *m,
              struct parse_once *once, const char **body, const char **why)
{
	const char *le;
	enum sip_parse_result r;

	for (;;) {
		if (p >= end)
			return (*why = "headers not terminated"), SIP_PARSE_BAD;
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			break;
		if (sip_is_wsp((unsigned char)*p))
			return (*why = "continuation without a field"), SIP_PARSE_BAD;
		le = field_end(p, end);
		if (le == NULL)
			return (*why = "bad line ending"), SIP_PARSE_BAD;
		r = parse_field(p, le, m, once, why);
		if (r != SIP_PARSE_OK)
			return r;
		p = le + 2;
	}
	*body = p + 2;
	return SIP_PARSE_OK;
}

/* The body is [body, end): Content-Length, when sent, must say exactly that. */
static enum sip_parse_result
parse_body(const char *body, const char *end, const struct sip_hdr *cl,
           struct sip_msg *m, const char **why)
{
	long long n;

	if (cl != NULL) {
		if (sip_digits(cl->value, SIP_MSG_MAX, &n) != 0)
			return (*why = "bad Content-Length"), SIP_PARSE_BAD;
		m->content_length = (size_t)n;
	} else {
		m->content_length = (size_t)(end - body);
	}
	if ((size_t)(end - body) != m->content_length)
		return (*why = "Content-Length does not match the body"), SIP_PARSE_BAD;
	m->body = (struct sip_str){ body, m->content_length };
	return SIP_PARSE_OK;
}

/* A request's mandatory headers (RFC 3261 §8.1.1) and their syntax, the CSeq
 * method equal to the request's, Expires and Max-Forwards in range. */
static enum sip_parse_result
check_request(struct sip_msg *m, const struct parse_once *once,
              const char **why)
{
	struct sip_str uri;
	long long n;

	if (m->from == NULL || m->to == NULL || m->call_id == NULL ||
	    m->cseq_hdr == NULL || m->nvia == 0)
		return (*why = "missing Via, From, To, Call-ID or CSeq"), SIP_PARSE_BAD;
	if (sip_nameaddr_uri(m->from->value, &uri) != 0)
		return (*why = "bad From"), SIP_PARSE_BAD;
	if (sip_nameaddr_uri(m->to->value, &uri) != 0)
		return (*why = "bad To"), SIP_PARSE_BAD;
	if (parse_callid(m->call_id->value) != 0)
		return (*why = "bad Call-ID"), SIP_PARSE_BAD;
	if (parse_cseq(m->cseq_hdr->value, m) != 0)
		return (*why = "bad CSeq"), SIP_PARSE_BAD;
	if (m->cseq_method.len != m->method_name.len ||
	    memcmp(m->cseq_method.p, m->method_name.p, m->method_name.len) != 0)
		return (*why = "CSeq method differs from the request"), SIP_PARSE_BAD;
	if (once->exp != NULL) {
		/* delta-seconds is below 2^32 (RFC 3261 §20.19, RFC 4475 scalar02). */
		if (sip_digits(once->exp->value, 4294967295LL, &n) != 0)
			return (*why = "bad Expires"), SIP_PARSE_BAD;
		m->expires = n;
	}
	if (once->mf != NULL && sip_digits(once->mf->value, 255, &n) != 0)
		return (*why = "bad Max-Forwards"), SIP_PARSE_BAD;
	return SIP_PARSE_OK;
}

enum sip_parse_result
sip_msg_parse(const char *p, const char *end, struct sip_msg *m,
              const char **why)
{
	struct parse_once once = { NULL, NULL, NULL };
	const char *dummy, *le, *body = NULL;
	enum sip_parse_result r;

	if (why == NULL)
		why = &dummy;
	*why = "";
	memset(m, 0, sizeof(*m));
	m->expires = -1;
	if (p == NULL || end < p)
		return (*why = "no message"), SIP_PARSE_BAD;
	if ((size_t)(end - p) > SIP_MSG_MAX)
		return (*why = "message too large"), SIP_PARSE_TOO_BIG;
	le = line_end(p, end);
	if (le == NULL || le == p)
		return (*why = "no start line"), SIP_PARSE_BAD;
	r = parse_start_line(p, le, m, why);
	if (r == SIP_PARSE_OK)
		r = parse_headers(le + 2, end, m, &once, &body, why);
	if (r == SIP_PARSE_OK)
		r = parse_body(body, end, once.cl, m, why);
	if (r != SIP_PARSE_OK)
		return r;
	m->msg_len = (size_t)(end - p);
	return m->is_request ? check_request(m, &once, why) : SIP_PARSE_OK;
}
