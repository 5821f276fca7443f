/*
 * sip.h - the SIP message layer of sip/: the bounded message parser, the
 * header-value scanners (Contact, name-addr, AOR, Request-URI host, bearer
 * credentials, Require) and stream framing (RFC 3261 §18.3).  The registrar
 * core with its binding table (sip/sip_int.h) and the TLS transport, event
 * loops and daemon plumbing of oprov-sipd (sip/sipd_int.h) are private to
 * the folder.
 *
 * Parsing never copies the message and never relies on a NUL: every input is
 * (pointer, end), every result a counted string (struct sip_str) pointing into
 * the caller's buffer, valid as long as that buffer is.
 */
#ifndef OPROV_SIP_H
#define OPROV_SIP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- limits (each a named ceiling; sipd(8) documents them) --------------
 * SIP_MSG_MAX: a whole message (start line, headers, body).  A REGISTER with
 * an 8 KiB token is under 10 KiB; over the cap the framer answers 513
 * (RFC 3261 §21.5.14) and closes.
 * SIP_HEADERS_MAX: header fields per message (a folded field counts once).
 * SIP_LINE_MAX: one header field including its continuation lines.
 * SIP_CONTACTS_MAX: Contact values in one REGISTER (all Contact fields);
 * a phone sends one, a soft client two at most.  More → 400.
 * SIP_BODY_MAX: a REGISTER or OPTIONS has no business carrying a large body. */
#define SIP_MSG_MAX        32768
#define SIP_HEADERS_MAX    64
#define SIP_LINE_MAX       16384
#define SIP_CONTACTS_MAX   16
#define SIP_BODY_MAX       4096

/* A counted string inside the caller's buffer; p may be NULL when len is 0. */
struct sip_str {
	const char *p;
	size_t len;
};

/* Known header fields (long and compact forms map to one id). */
enum sip_hdr_id {
	SIP_H_OTHER = 0,
	SIP_H_VIA, SIP_H_FROM, SIP_H_TO, SIP_H_CALL_ID, SIP_H_CSEQ,
	SIP_H_CONTACT, SIP_H_EXPIRES, SIP_H_MIN_EXPIRES, SIP_H_REQUIRE,
	SIP_H_PROXY_REQUIRE, SIP_H_AUTHORIZATION, SIP_H_PROXY_AUTHORIZATION,
	SIP_H_CONTENT_LENGTH, SIP_H_CONTENT_TYPE, SIP_H_MAX_FORWARDS,
	SIP_H_SUPPORTED, SIP_H_COUNT
};

struct sip_hdr {
	enum sip_hdr_id id;
	struct sip_str name;     /* as sent */
	struct sip_str value;    /* trimmed; may contain CRLF+WS folds, which every
	                          * value scanner below treats as white space */
};

enum sip_method {
	SIP_M_OTHER = 0, SIP_M_REGISTER, SIP_M_OPTIONS, SIP_M_INVITE, SIP_M_ACK,
	SIP_M_BYE, SIP_M_CANCEL
};

struct sip_msg {
	int is_request;
	/* request line */
	enum sip_method method;
	struct sip_str method_name, ruri;
	/* status line */
	int status;
	struct sip_str reason;

	size_t nhdr;
	struct sip_hdr hdr[SIP_HEADERS_MAX];

	/* the singletons the registrar needs, checked for presence and syntax */
	const struct sip_hdr *from, *to, *call_id, *cseq_hdr;
	uint32_t cseq;                   /* CSeq number (RFC 3261: < 2^31) */
	struct sip_str cseq_method;
	size_t nvia;
	long long expires;               /* Expires header, -1 when absent */
	size_t content_length;
	struct sip_str body;
	size_t msg_len;                  /* bytes of the whole message */
};

enum sip_parse_result {
	SIP_PARSE_OK = 0,
	SIP_PARSE_BAD,           /* syntax or a required header missing: 400 */
	SIP_PARSE_TOO_BIG,       /* a size or count cap exceeded: 513 and close */
	SIP_PARSE_BAD_VERSION    /* not SIP/2.0: 505 */
};

/*
 * Parses one complete message [p, end) (the framer found its end).  Requests
 * must carry Via, From, To, Call-ID and CSeq, a CSeq method equal to the
 * request method, at most one of each singleton, a valid Content-Length when
 * present and a body of exactly that length.  On failure `why` (may be NULL)
 * points at a static reason for the log.
 */
enum sip_parse_result sip_msg_parse(const char *p, const char *end,
                                    struct sip_msg *m, const char **why);

/* Case-insensitive comparison of a counted string with a C string. */
int sip_str_ieq(struct sip_str s, const char *c);

/* ---- Contact -------------------------------------------------------------- */
struct sip_contact {
	int star;                        /* Contact: * */
	struct sip_str uri;              /* inside <>, or the bare URI */
	struct sip_str whole;            /* the contact-param as sent */
	long long expires;               /* ;expires=, -1 when absent */
	struct sip_str instance;         /* +sip.instance value without quotes/<> */
	long long reg_id;                /* ;reg-id=, 0 when absent */
	struct sip_str devicename;       /* +u.sip!devicename.ccm.cisco.com */
};
/* Collects every Contact value of every Contact field (comma-separated lists
 * included) into out[0..max).  Returns the count, or -1 on a syntax error or
 * more than max values (*why says which). */
int sip_contacts_parse(const struct sip_msg *m, struct sip_contact *out,
                       size_t max, const char **why);

/* ---- name-addr helpers ------------------------------------------------------ */
/* The URI of a From/To/Contact value (inside <> or up to ';'). 0 / -1. */
int sip_nameaddr_uri(struct sip_str value, struct sip_str *uri);
/* The value of header parameter `name` (e.g. "tag") after the URI.  Returns 1
 * when found (value may be empty), 0 when absent, -1 on syntax error. */
int sip_hdr_param(struct sip_str value, const char *name, struct sip_str *out);
/* The address-of-record of a To/From URI: "sip:user@host" with URI
 * parameters and headers dropped and the scheme/host lower-cased into out
 * (size outsz).  0 / -1. */
int sip_aor(struct sip_str uri, char *out, size_t outsz);
/* The host of a sip/sips URI: the part after the userinfo, without port,
 * parameters or (for an IPv6 reference) brackets.  Borrowed from uri.
 * 0 / -1. */
int sip_uri_host(struct sip_str uri, struct sip_str *host);

/* ---- credentials ------------------------------------------------------------ */
enum sip_cred_result {
	SIP_CRED_NONE = 0,       /* no Bearer credential */
	SIP_CRED_FOUND,
	SIP_CRED_CONFLICT,       /* several Bearer credentials that differ: 400 */
	SIP_CRED_BAD             /* a Bearer credential we cannot read: invalid */
};
/* Finds the bearer token in `Authorization: Bearer <token>` (RFC 8898) or
 * `Proxy-Authorization: Bearer token="<token>"` (soft clients).  Credentials
 * of other schemes (Digest) are ignored.  The same token repeated is fine. */
enum sip_cred_result sip_bearer_token(const struct sip_msg *m,
                                      struct sip_str *token);

/* Option tags of Require we do not understand: every tag but "outbound"
 * (RFC 5626, which keys our bindings).  Returns 1 and the first such tag,
 * else 0. */
int sip_require_unknown(const struct sip_msg *m, struct sip_str *tag);

/* ---- stream framing (RFC 3261 §18.3, RFC 5626 §3.5.1) --------------------- */
enum sip_frame_result {
	SIP_FRAME_NEED_MORE = 0, /* nothing complete yet */
	SIP_FRAME_MESSAGE,       /* a message [off, off+len) */
	SIP_FRAME_PING,          /* CRLFCRLF keepalive consumed: answer CRLF */
	SIP_FRAME_SKIP,          /* stray CRLF(s) consumed */
	SIP_FRAME_ERROR,         /* no or bad Content-Length: 400 and close */
	SIP_FRAME_TOO_BIG        /* over SIP_MSG_MAX: 513 and close */
};
/* Looks at buf[0..len) (a connection's unread bytes).  *consumed gets the
 * number of bytes the result accounts for (the whole message for MESSAGE,
 * the CRLFs for PING/SKIP); for MESSAGE the message starts at *msg_off. */
enum sip_frame_result sip_frame(const char *buf, size_t len, size_t *msg_off,
                                size_t *msg_len, size_t *consumed);

#endif
