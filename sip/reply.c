/*
 * reply.c - the registrar's responses: the status line and the headers
 * copied from the request with our To tag (RFC 3261 §8.2.6.2), the bearer
 * challenge in either style (the vendor's 407 Proxy-Authenticate or RFC 8898's
 * 401 WWW-Authenticate), Warning, Unsupported, Min-Expires, Allow and
 * Retry-After, the 200 that lists an AOR's bindings (RFC 3261 §10.3 step 8),
 * and the bare answer to a message too broken to copy anything from.
 *
 * Every response is written into the caller's SIP_RESP_MAX buffer through a
 * capped writer: one that does not fit is not sent half-written.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "common/common.h"
#include "sip/registrar_int.h"

/* ---- the capped writer ------------------------------------------------------ */

struct wbuf {
	char *p;
	size_t len, cap;
	int overflow;
};

static void
w_mem(struct wbuf *w, const void *s, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
w_str(struct wbuf *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

static void OPROV_PRINTF(2, 3)
w_fmt(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	k = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	w->len += (size_t)k;
}

static void
w_hdr(struct wbuf *w, const char *name, struct sip_str v)
{
	w_str(w, name);
	w_str(w, ": ");
	w_mem(w, v.p, v.len);
	w_str(w, "\r\n");
}

/* ---- pieces every response has ------------------------------------------------ */

void
sip_totag_init(struct sip_totag *t)
{
	uint8_t rnd[8];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(t->prefix + 2 * i, 3, "%02x", rnd[i]);
	t->seq = 0;
}

static const char *
reason_phrase(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 420: return "Bad Extension";
	case 423: return "Interval Too Brief";
	case 500: return "Server Internal Error";
	case 503: return "Service Unavailable";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	default: return "Error";
	}
}

/* Whether host (the sent-by host of a Via, brackets of an IPv6 reference
 * included) names the address addr, as sockaddr_ntop wrote it. */
static int
via_host_is(struct sip_str host, const char *addr)
{
	if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']') {
		host.p++;
		host.len -= 2;
	}
	return strlen(addr) == host.len && strncasecmp(host.p, addr, host.len) == 0;
}

/* One via-param [p, e) of the top Via: copied, except that an empty rport
 * gets the source port (RFC 3581 §4) and a received the client sent is
 * dropped (ours follows).  Sets *rport when the param is rport. */
static void
w_via_param(struct wbuf *w, const char *p, const char *e,
            const struct sip_conn_info *ci, int *rport)
{
	const char *n = p, *ne;

	while (n < e && (*n == ' ' || *n == '\t'))
		n++;
	for (ne = n; ne < e && *ne != '=' && *ne != ' ' && *ne != '\t'; ne++)
		;
	if (ne - n == 8 && strncasecmp(n, "received", 8) == 0)
		return;
	if (ne - n == 5 && strncasecmp(n, "rport", 5) == 0) {
		*rport = 1;
		if (ne == e || *ne != '=') {
			w_fmt(w, ";rport=%u", ci->peer_port);
			return;
		}
	}
	w_str(w, ";");
	w_mem(w, p, (size_t)(e - p));
}

/* The top Via, with received= when its sent-by host is not the address the
 * request came from or it asked for rport (RFC 3261 §18.2.1, RFC 3581 §4).
 * The first via-parm of the first Via header is the top one; the rest of
 * that header is copied as it came. */
static void
w_top_via(struct wbuf *w, struct sip_str v, const struct sip_conn_info *ci)
{
	const char *p = v.p, *end = v.p + v.len, *cut = p, *params, *hs, *he;
	int rport = 0;
	struct sip_str host;

	while (cut < end && *cut != ',')
		cut++;
	for (params = p; params < cut && *params != ';'; params++)
		;
	he = params;
	while (he > p && (he[-1] == ' ' || he[-1] == '\t'))
		he--;
	for (hs = he; hs > p && hs[-1] != ' ' && hs[-1] != '\t'; hs--)
		;
	host.p = hs;
	host.len = (size_t)(he - hs);
	if (host.len > 0 && host.p[0] == '[') {
		const char *rb = memchr(host.p, ']', host.len);
		host.len = rb ? (size_t)(rb - host.p) + 1 : host.len;
	} else {
		const char *colon = memchr(host.p, ':', host.len);
		host.len = colon ? (size_t)(colon - host.p) : host.len;
	}
	w_str(w, "Via: ");
	w_mem(w, p, (size_t)(he - p));
	while (params < cut) {
		const char *e = params + 1;
		while (e < cut && *e != ';')
			e++;
		w_via_param(w, params + 1, e, ci, &rport);
		params = e;
	}
	if (rport || !via_host_is(host, ci->peer_addr))
		w_fmt(w, ";received=%s", ci->peer_addr);
	w_mem(w, cut, (size_t)(end - cut));
	w_str(w, "\r\n");
}

/* Status line and the copied headers (RFC 3261 §8.2.6.2): every Via in
 * order (the top one with received/rport when the connection is known),
 * From, To (with our tag when it had none), Call-ID, CSeq. */
static void
w_start(struct wbuf *w, struct sip_totag *tag, const struct sip_conn_info *ci,
        const struct sip_msg *m, int code)
{
	struct sip_str t;
	int top = 1;

	w_fmt(w, "SIP/2.0 %d %s\r\n", code, reason_phrase(code));
	for (size_t i = 0; i < m->nhdr; i++) {
		if (m->hdr[i].id != SIP_H_VIA)
			continue;
		if (top && ci != NULL && ci->peer_addr != NULL && ci->peer_addr[0])
			w_top_via(w, m->hdr[i].value, ci);
		else
			w_hdr(w, "Via", m->hdr[i].value);
		top = 0;
	}
	w_hdr(w, "From", m->from->value);
	w_str(w, "To: ");
	w_mem(w, m->to->value.p, m->to->value.len);
	if (sip_hdr_param(m->to->value, "tag", &t) == 0)
		w_fmt(w, ";tag=%s%llx", tag->prefix, (unsigned long long)
		      __atomic_add_fetch(&tag->seq, 1, __ATOMIC_RELAXED));
	w_str(w, "\r\n");
	w_hdr(w, "Call-ID", m->call_id->value);
	w_hdr(w, "CSeq", m->cseq_hdr->value);
}

static void
w_finish(struct wbuf *w)
{
	w_str(w, "Content-Length: 0\r\n\r\n");
}

static void
w_date(struct wbuf *w, int64_t now)
{
	/* Formatted once a second per thread, not once per response. */
	static __thread int64_t at = -1;
	static __thread char buf[64];
	struct tm tm;
	time_t t = (time_t)now;

	if (now != at) {
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
			return;
		at = now;
	}
	w_fmt(w, "Date: %s\r\n", buf);
}

/* ---- refusals, OPTIONS, 405 ---------------------------------------------------- */

void
sip_reply_for_verdict(const struct sip_reg_config *cfg,
                      enum policy_reason reason, struct sip_reply *rp)
{
	switch (reason) {
	case POLICY_NO_TOKEN:
	case POLICY_INVALID_TOKEN:
		rp->code = cfg->style == SIP_CHALLENGE_RFC8898 ? 401 : 407;
		rp->challenge = reason == POLICY_NO_TOKEN ? SIP_CHAL_PLAIN :
		                SIP_CHAL_INVALID_TOKEN;
		break;
	case POLICY_PORT_MISMATCH:
		rp->code = 403;
		rp->warning = SIP_WARN_PORT_MISMATCH;
		break;
	case POLICY_PEER_NOT_TRUSTED:
		rp->code = 403;
		rp->warning = SIP_WARN_TLS_AUTH;
		break;
	case POLICY_NOT_FOUND:
		rp->code = 404;
		break;
	default:
		rp->code = 403;
		break;
	}
}

static void
w_challenge(struct wbuf *w, const struct sip_reg_config *cfg,
            enum sip_reply_challenge ch)
{
	const char *err = ch == SIP_CHAL_INVALID_TOKEN ?
	                  ", error=\"invalid_token\"" : "";

	if (cfg->style == SIP_CHALLENGE_RFC8898)
		w_fmt(w, "WWW-Authenticate: Bearer realm=\"%s\", "
		      "authz_server=\"%s\"%s\r\n", cfg->realm, cfg->authz_server,
		      err);
	else
		w_fmt(w, "Proxy-Authenticate: Bearer realm=\"%s\"%s\r\n",
		      cfg->realm, err);
}

/* The vendor registrar's texts, word for word (reference/cisco.md). */
static const char *const warning_text[] = {
	[SIP_WARN_NONE] = "",
	[SIP_WARN_PORT_MISMATCH] = "SIP OAuth Registration port Mismatch",
	[SIP_WARN_TLS_AUTH] = "TLS authentication failure",
};

size_t
sip_reply_write(struct sip_totag *tag, const struct sip_reg_config *cfg,
                const struct sip_conn_info *ci, const struct sip_msg *m,
                const struct sip_reply *rp, char *out)
{
	struct wbuf w = { out, 0, SIP_RESP_MAX, 0 };

	w_start(&w, tag, ci, m, rp->code);
	if (rp->challenge != SIP_CHAL_NONE)
		w_challenge(&w, cfg, rp->challenge);
	if (rp->warning != SIP_WARN_NONE)
		w_fmt(&w, "Warning: 399 %s \"%s\"\r\n", cfg->host,
		      warning_text[rp->warning]);
	if (rp->unsupported.len)
		w_hdr(&w, "Unsupported", rp->unsupported);
	if (rp->min_expires)
		w_fmt(&w, "Min-Expires: %u\r\n", rp->min_expires);
	if (rp->allow || rp->code == 405)
		w_str(&w, "Allow: REGISTER, OPTIONS, ACK\r\n");
	if (rp->code == 503)
		w_fmt(&w, "Retry-After: %d\r\n", SIP_RETRY_AFTER_FULL);
	else if (rp->code == 403 && rp->warning == SIP_WARN_PORT_MISMATCH)
		w_fmt(&w, "Retry-After: %d\r\n", SIP_RETRY_AFTER_MISMATCH);
	w_finish(&w);
	return w.overflow ? 0 : w.len;
}

/* ---- the 200 to a REGISTER ----------------------------------------------------- */

size_t
sip_reply_bindings(struct sip_totag *tag, const struct sip_conn_info *ci,
                   const struct sip_msg *m, struct sip_bindings *t,
                   const char *aor, const char *path, long long expires,
                   int64_t now, char *out)
{
	struct wbuf w = { out, 0, SIP_RESP_MAX, 0 };
	int outbound = 0;

	w_start(&w, tag, ci, m, 200);
	/* RFC 3327 §5.3: the Path the registrar stored, echoed in the 200. */
	if (path != NULL && path[0])
		w_fmt(&w, "Path: %s\r\n", path);
	for (const struct sip_binding *b = sip_bindings_aor_next(t, aor, NULL);
	     b != NULL; b = sip_bindings_aor_next(t, aor, b)) {
		w_fmt(&w, "Contact: <%s>;expires=%lld", b->contact,
		      (long long)(b->expires_at > now ? b->expires_at - now : 0));
		if (b->instance[0] && strcmp(b->instance, b->contact) != 0)
			w_fmt(&w, ";+sip.instance=\"<%s>\"", b->instance);
		if (b->reg_id) {
			w_fmt(&w, ";reg-id=%lld", (long long)b->reg_id);
			outbound = 1;
		}
		w_str(&w, "\r\n");
	}
	if (expires >= 0)
		w_fmt(&w, "Expires: %lld\r\n", expires);
	/* RFC 5626 §6: a registrar that kept a reg-id says it supports
	 * outbound. */
	if (outbound)
		w_str(&w, "Require: outbound\r\n");
	w_date(&w, now);
	w_finish(&w);
	return w.overflow ? 0 : w.len;
}

/* ---- framing failures -------------------------------------------------------- */

size_t
sip_reg_frame_error(int code, char *out, size_t outsz)
{
	int k = snprintf(out, outsz, "SIP/2.0 %d %s\r\nContent-Length: 0\r\n\r\n",
	                 code, reason_phrase(code));
	return (k < 0 || (size_t)k >= outsz) ? 0 : (size_t)k;
}
