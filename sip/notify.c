/*
 * notify.c - the NOTIFY oprov-sipd sends a registered device for Apply
 * Config, restart and reset, and the recognition of the device's answer.
 * The NOTIFY is out of dialog (no subscription: phones act on check-sync
 * and service-control without one), sent over the device's own TLS
 * connection to the Contact it registered, so it needs no DNS or new
 * connection (RFC 5626 §5.3: requests toward a flow-bound UA reuse the
 * flow).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sip/sip_int.h"

int
sip_notify_kind_parse(const char *word, enum sip_notify_kind *out)
{
	if (strcmp(word, "apply") == 0)
		*out = SIP_NOTIFY_APPLY;
	else if (strcmp(word, "restart") == 0)
		*out = SIP_NOTIFY_RESTART;
	else if (strcmp(word, "reset") == 0)
		*out = SIP_NOTIFY_RESET;
	else
		return -1;
	return 0;
}

/* Text a header line may carry as it is: printable, no space, no angle
 * brackets (the URIs go inside <>), bounded. */
static int
header_safe(const char *s, size_t max)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++, n++)
		if (n >= max || (unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    *s == '<' || *s == '>')
			return 0;
	return 1;
}

/* A header value copied as it is (the Path vector): no control bytes, so
 * no CR/LF can end the header early; bounded. */
static int
value_safe(const char *s, size_t max)
{
	size_t n = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++, n++)
		if (n >= max || (unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

size_t
sip_notify_write(const struct sip_notify *n, char *out, size_t size)
{
	/* The service-control body of a reset, fields as the vendor's phones
	 * read them; the version stamps are left empty (the phone fetches its
	 * config after the reset anyway). */
	static const char reset_body[] =
		"action=reset\r\n"
		"RegisterCallId={}\r\n"
		"ConfigVersionStamp={}\r\n"
		"DialplanVersionStamp={}\r\n"
		"SoftkeyVersionStamp={}\r\n"
		"FeatureControlVersionStamp={}\r\n"
		"CUCMResult={config_applied}\r\n"
		"FirmwareLoadId={}\r\n"
		"LoadServer={}\r\n"
		"LogServer={}\r\n"
		"PPID={}\r\n";
	const char *event, *body, *ctype;
	int k;

	if (!header_safe(n->ruri, SIP_CONTACT_MAX) || !header_safe(n->aor, SIP_AOR_MAX) ||
	    !header_safe(n->host, 256) || !header_safe(n->id, SIP_NOTIFY_ID_MAX - 1) ||
	    (n->route != NULL && !value_safe(n->route, SIP_CONTACT_MAX)))
		return 0;
	switch (n->kind) {
	case SIP_NOTIFY_RESET:
		event = "service-control", body = reset_body, ctype = "text/plain";
		break;
	case SIP_NOTIFY_RESTART:
		event = "check-sync;reboot=true", body = "", ctype = NULL;
		break;
	case SIP_NOTIFY_APPLY:
	default:
		event = "check-sync;reboot=false", body = "", ctype = NULL;
		break;
	}
	k = snprintf(out, size,
	             "NOTIFY %s SIP/2.0\r\n"
	             "Via: SIP/2.0/TLS %s;branch=z9hG4bK%s\r\n"
	             "%s%s%s"
	             "Max-Forwards: 70\r\n"
	             "From: <sip:%s>;tag=%s\r\n"
	             "To: <%s>\r\n"
	             "Call-ID: %s@%s\r\n"
	             "CSeq: 101 NOTIFY\r\n"
	             "Event: %s\r\n"
	             "Subscription-State: terminated\r\n"
	             "%s%s%s"
	             "Content-Length: %zu\r\n\r\n%s",
	             n->ruri, n->host, n->id,
	             n->route ? "Route: " : "", n->route ? n->route : "",
	             n->route ? "\r\n" : "",
	             n->host, n->id, n->aor, n->id, n->host, event,
	             ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
	             strlen(body), body);
	if (k < 0 || (size_t)k >= size)
		return 0;
	return (size_t)k;
}

/* The parser checks CSeq only in requests: "1*DIGIT LWS NOTIFY" here
 * (method names are case-sensitive, RFC 3261 §7.1). */
static int
cseq_is_notify(struct sip_str v)
{
	size_t i = 0;

	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
		i++;
	if (i == 0 || i > 10 || i == v.len || !sip_is_lws(v.p[i]))
		return 0;
	while (i < v.len && sip_is_lws(v.p[i]))
		i++;
	return v.len - i == 6 && memcmp(v.p + i, "NOTIFY", 6) == 0;
}

int
sip_notify_answer(const char *p, const char *end, int *code,
                  char call_id[SIP_CALLID_MAX])
{
	struct sip_msg m;
	struct sip_str v;

	if (sip_msg_parse(p, end, &m, NULL) != SIP_PARSE_OK)
		return -1;
	if (m.is_request || m.status < 200 || m.call_id == NULL || m.cseq_hdr == NULL ||
	    !cseq_is_notify(m.cseq_hdr->value))
		return 0;
	/* The parser checks Call-ID syntax only in requests: here at least
	 * visible characters (RFC 3261 §25.1 word), so no NUL or space can cut
	 * or pad the copy compared with ours. */
	v = m.call_id->value;
	if (v.len == 0 || v.len >= SIP_CALLID_MAX)
		return 0;
	for (size_t i = 0; i < v.len; i++)
		if ((unsigned char)v.p[i] <= ' ' || (unsigned char)v.p[i] >= 0x7f)
			return 0;
	memcpy(call_id, v.p, v.len);
	call_id[v.len] = '\0';
	*code = m.status;
	return 1;
}
