/*
 * sip_int.h - private to sip/: character classes and small helpers shared by
 * the scanners, and the registrar core with its binding table as the daemon
 * (sipd_int.h, which holds the transport) drives it.  Unit tests and the fuzz
 * harness include it; nothing outside sip/ and tests/ may.
 */
#ifndef OPROV_SIP_INT_H
#define OPROV_SIP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sip/sip.h"
#include "trust/trust.h"

static inline int sip_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static inline int sip_is_wsp(int c) { return c == ' ' || c == '\t'; }
static inline int sip_is_lws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
int sip_is_token(int c);
enum sip_hdr_id sip_hdr_lookup(struct sip_str name);
/* 1*DIGIT in [0, max]. 0 / -1. */
int sip_digits(struct sip_str v, long long max, long long *out);
/* Copies s into dst (size dstsz) and terminates it; -1 when it does not
 * fit. */
int sip_str_copy(char *dst, size_t dstsz, struct sip_str s);

/* ---- registrar -------------------------------------------------------------
 * Limits: SIP_BINDINGS_PER_AOR bindings for one address-of-record (a phone
 * line is shared by a few devices at most); max_per_device bindings of one
 * device (sip_reg_config, SIP_BINDINGS_PER_DEVICE by default: over it the
 * device's oldest binding is replaced, never another device's); max_bindings
 * in the table all event loops share (SIP_BINDINGS_MAX by default; a
 * REGISTER that would go over is answered 503 with Retry-After).  A binding
 * takes SIP_BINDING_BYTES plus the lengths of its strings (AOR, instance,
 * Contact, Call-ID, token id and subject), so the table stays under about
 * max_bindings × (SIP_BINDING_BYTES + 600) bytes. */
#define SIP_BINDINGS_PER_AOR   8
#define SIP_BINDINGS_PER_DEVICE 4
#define SIP_BINDINGS_MAX       200000
#define SIP_BINDING_BYTES      256          /* struct sip_binding and its lists */
#define SIP_RESP_MAX           (8 * 1024)   /* one response we write */
#define SIP_AOR_MAX            256
#define SIP_INSTANCE_MAX       128
#define SIP_CONTACT_MAX        1024
#define SIP_CALLID_MAX         256
#define SIP_DEVNAME_MAX        16
#define SIP_SUB_MAX            TOK_SUB_MAX  /* token subject kept per binding */
#define SIP_FIRMWARE_MAX       64           /* the load a REGISTER reports (as
                                              configgen's CFG_LOAD_MAX) */
/* Retry-After (s) on a 503 (table full), and on the 403 port mismatch as
 * the vendor's registrar sends it (cisco.md), so a phone refused while the
 * mode is off comes back soon after it is turned on. */
#define SIP_RETRY_AFTER_FULL      30
#define SIP_RETRY_AFTER_MISMATCH  35

enum sip_challenge_style {
	SIP_CHALLENGE_CISCO = 0,        /* 407 Proxy-Authenticate realm=ccmsipline */
	SIP_CHALLENGE_RFC8898           /* 401 WWW-Authenticate … authz_server */
};

struct sip_reg_config {
	enum sip_challenge_style style;
	char realm[128];                /* default "ccmsipline" */
	char authz_server[256];         /* RFC 8898 authz_server URL */
	char host[256];                 /* our name in Warning headers */
	unsigned expires_default;       /* no expiry asked: 3600 (RFC 3261) */
	unsigned expires_min;           /* below → 423 with Min-Expires: 60 */
	unsigned expires_max;           /* granted at most: 120 (vendor) */
	unsigned max_per_device;        /* bindings of one device: 4 */
	unsigned max_bindings;          /* in the whole table: 200000 */
};
void sip_reg_config_init(struct sip_reg_config *c);

/* What the authenticator is asked: the registrar gathered the facts, the
 * daemon's callback validates the token, looks the device up and runs
 * policy_decide() (unit tests plug in their own). */
struct sip_auth_query {
	const char *device;             /* canonical "SEP…" or "" (none found) */
	const char *hint_device;        /* no Contact names one ("*", a query):
	                                 * the device of the AOR's bindings when
	                                 * they all belong to one, else "" */
	struct sip_str aor_user;        /* user part of the To URI (borrowed
	                                 * for the duration of the call) */
	const char *token;              /* NOT terminated; never log it */
	size_t token_len;
	int token_present;
	int token_unreadable;           /* a Bearer credential we cannot parse */
	int mtls;                       /* the 5091 listener */
	enum policy_peer peer;
};
struct sip_auth_answer {
	enum policy_reason reason;
	const char *why;                /* static text for the log */
	char jti[TOK_JTI_MAX];          /* token id for the log, may be "" */
	char sub[SIP_SUB_MAX];          /* ALLOW: the token's subject */
	int64_t iat;                    /* ALLOW: when it was issued */
	char device[SIP_DEVNAME_MAX];   /* the device decided for when the
	                                 * query named none ("" = q->device) */
};
typedef void (*sip_auth_fn)(void *arg, const struct sip_auth_query *q,
                            struct sip_auth_answer *a);

/* One binding (RFC 3261 §10.3, keyed as RFC 5626 §6: AOR + instance +
 * reg-id; without an instance the Contact URI stands in for it).  It
 * belongs to the device whose token created it: no other device
 * refreshes, replaces or removes it.  The
 * strings live in allocations of their exact size. */
struct sip_binding {
	const char *aor, *instance;     /* the key, with reg_id and device */
	int64_t reg_id;
	char device[SIP_DEVNAME_MAX];
	const char *contact;            /* the Contact URI */
	const char *call_id;
	const char *jti, *sub;          /* the token that authorised it */
	int64_t iat;
	const char *firmware;           /* reported load, "" when unknown */
	const char *path;               /* RFC 3327 Path values, "" without */
	uint32_t cseq;
	int64_t created, expires_at;
	int64_t stored_expires;         /* what the store holds, 0 = nothing */
	uint64_t conn_id;
	int dirty;                      /* on the write-behind list */
	char *vals;                     /* contact, call_id, jti, sub */
	struct sip_binding *next;       /* same AOR bucket chain */
	struct sip_binding *cnext, **cprev; /* same connection */
	struct sip_binding *dnext, **dprev; /* same device */
};

/* A binding as the write-behind hands it to the daemon (a copy). */
struct sip_binding_rec {
	char aor[SIP_AOR_MAX];
	char instance[SIP_INSTANCE_MAX];
	int64_t reg_id;
	char contact[SIP_CONTACT_MAX];
	char device[SIP_DEVNAME_MAX];
	char firmware[SIP_FIRMWARE_MAX];
	char path[SIP_CONTACT_MAX];
	int64_t expires_at;
	uint64_t conn_id;
};
struct sip_binding_change {
	int del;
	struct sip_binding_rec b;
};

typedef struct sip_registrar sip_registrar;

sip_registrar *sip_reg_new(const struct sip_reg_config *cfg, sip_auth_fn auth,
                           void *auth_arg);
void sip_reg_free(sip_registrar *r);

struct sip_conn_info {
	uint64_t conn_id;
	int mtls;
	enum policy_peer peer;
	const char *peer_addr;          /* the source address (logs, received=) */
	unsigned peer_port;             /* the source port (rport=); 0: unknown */
	const struct sip_reg_config *cfg; /* the listener's; NULL: registrar's */
	void *auth_arg;                 /* for the callbacks; NULL: registrar's */
	const void *local;              /* our address of the connection, for
	                                 * the domain check (struct sockaddr) */
};

/* RFC 3261 §10.3 step 1: 1 when the Request-URI's host (brackets of an
 * IPv6 reference removed) names a domain this registrar serves.  Without
 * a check set, every domain is served. */
typedef int (*sip_domain_fn)(void *arg, const struct sip_conn_info *ci,
                             struct sip_str host);
void sip_reg_set_domain_check(sip_registrar *r, sip_domain_fn fn);

enum sip_reg_outcome {
	SIP_REG_REPLY = 0,              /* send out[0..*outlen) */
	SIP_REG_REPLY_CLOSE,            /* send, then close the connection */
	SIP_REG_NOTHING                 /* a response or ACK: no answer */
};
/* Handles one framed message [p, end): parses it and writes the response.
 * out must hold SIP_RESP_MAX bytes; *status gets the response code (0 for
 * none). */
enum sip_reg_outcome sip_reg_handle(sip_registrar *r,
                                    const struct sip_conn_info *ci,
                                    const char *p, const char *end,
                                    int64_t now, char *out, size_t *outlen,
                                    int *status);
/* A bare response (status line and Content-Length: 0) for a message too
 * broken to copy headers from: a framing failure (400 / 513), or a request
 * that fails to parse before its Via, From, To, Call-ID and CSeq are known.
 * Always followed by a close. */
size_t sip_reg_frame_error(int code, char *out, size_t outsz);

/* Drops the bindings of a closed connection / past their expiry. */
size_t sip_reg_conn_closed(sip_registrar *r, uint64_t conn_id);
size_t sip_reg_expire(sip_registrar *r, int64_t now);
/* Drops every binding for which keep() answers 0 (the authority behind it
 * is gone: token revoked, device deleted or moved off OAuth).  keep runs
 * under the registrar's lock: it must not call the registrar. */
typedef int (*sip_keep_fn)(void *arg, const struct sip_binding *b);
size_t sip_reg_sweep(sip_registrar *r, sip_keep_fn keep, void *arg);
size_t sip_reg_count(sip_registrar *r);
/* Takes the pending write-behind changes (at most max, deletes first) into
 * out; returns the count.  A refresh is only queued when the connection or
 * Contact changed or the stored expiry is within half the granted interval,
 * so a steady refresh costs no write.  `now` is not used. */
size_t sip_reg_take_changes(sip_registrar *r, int64_t now,
                            struct sip_binding_change *out, size_t max);

/* Counters of the registrar (one for all event loops), read without its
 * lock. */
struct sip_reg_stats {
	uint64_t requests, registers, options, ok, challenges, invalid_token;
	uint64_t forbidden, port_mismatch, tls_auth_failure, bad_request;
	uint64_t other_errors, bindings_added, bindings_removed;
};
void sip_reg_stats(const sip_registrar *r, struct sip_reg_stats *out);

/* "urn:uuid:00000000-0000-0000-0000-001122334455" → "SEP001122334455";
 * "SEP…"/"sep…" device names canonicalised.  0 / -1. */
int sip_device_from_instance(struct sip_str instance, char out[SIP_DEVNAME_MAX]);
int sip_device_from_name(struct sip_str name, char out[SIP_DEVNAME_MAX]);


/* ---- NOTIFY to a registered device (notify.c) --------------------------------
 * Apply Config, restart and reset reach a phone as an out-of-dialog NOTIFY
 * over the connection it registered on: "Event: check-sync;reboot=false"
 * (apply: re-read the config), "check-sync;reboot=true" (restart), and
 * "Event: service-control" with a text/plain "action=reset" body (reset),
 * the forms public material on the vendor's phones describes. */
enum sip_notify_kind { SIP_NOTIFY_APPLY, SIP_NOTIFY_RESTART, SIP_NOTIFY_RESET };
#define SIP_NOTIFY_ID_MAX 64             /* Call-ID, tag and branch we make */
struct sip_notify {
	enum sip_notify_kind kind;
	const char *ruri;                /* the binding's Contact URI */
	const char *aor;                 /* the binding's address-of-record */
	const char *host;                /* our host name (From, Via, Call-ID) */
	const char *id;                  /* unique: Call-ID, tag and branch */
	const char *route;               /* Route header value: the binding's
	                                    Path vector as received (RFC 3327),
	                                    or NULL */
};
/* "apply", "restart", "reset" → kind.  0 / -1. */
int sip_notify_kind_parse(const char *word, enum sip_notify_kind *out);
/* Writes the NOTIFY into out (size bytes).  Refuses URIs, hosts or ids
 * with characters a header cannot carry (CR, LF, NUL, space, <, >).
 * Bytes written, or 0 when refused or too long. */
size_t sip_notify_write(const struct sip_notify *n, char *out, size_t size);
/* For a framed message [p, end) on a connection that was sent NOTIFYs:
 * 1 when it is a final response to a NOTIFY (*code its status, call_id the
 * Call-ID, terminated), 0 when it is something else (a request, a
 * provisional response, another method), -1 when it does not parse. */
int sip_notify_answer(const char *p, const char *end, int *code,
                      char call_id[SIP_CALLID_MAX]);

#endif
