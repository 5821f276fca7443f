/*
 * registrar_int.h - private to the registrar's three files: the binding
 * table (bindings.c) and the responses (reply.c) that the REGISTER logic
 * (registrar.c) drives.  Nothing else includes it; the registrar's contract
 * with the daemon and the tests is sip_int.h.
 */
#ifndef OPROV_SIP_REGISTRAR_INT_H
#define OPROV_SIP_REGISTRAR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

/* ---- the binding table (bindings.c) ---------------------------------------
 * Bindings hashed by AOR, each also listed under the connection of its
 * latest REGISTER, and the write-behind change log.  No locking inside:
 * every call but sip_bindings_counters() runs under the registrar's lock. */
struct sip_bindings;

/* A binding's key (RFC 5626 §6): AOR + instance + reg-id, the instance
 * being the Contact URI when the Contact has no +sip.instance.  `device`
 * is not part of the key: it is the owner a new binding gets (the
 * registrar refuses a REGISTER that names another device's binding). */
struct sip_binding_key {
	const char *aor;
	const char *instance;
	int64_t reg_id;
	const char *device;
};

/* What a REGISTER sets on a binding besides its key. */
struct sip_binding_set {
	struct sip_str contact;         /* the Contact URI, < SIP_CONTACT_MAX */
	const char *call_id;
	const char *jti, *sub;          /* the authorising token */
	int64_t iat;
	const char *firmware;           /* the load the REGISTER reports, or "" */
	const char *path;               /* its Path header values, or "" */
	uint32_t cseq;
	uint64_t conn_id;
	int64_t now;
	uint32_t granted;               /* seconds, > 0 */
};

struct sip_bindings *sip_bindings_new(void);
void sip_bindings_free(struct sip_bindings *t);
size_t sip_bindings_count(const struct sip_bindings *t);
/* Bindings added and removed since start; safe without the lock. */
void sip_bindings_counters(const struct sip_bindings *t, uint64_t *added,
                           uint64_t *removed);

const struct sip_binding *sip_bindings_find(struct sip_bindings *t,
                                            const struct sip_binding_key *k);
/* Inserts the binding or refreshes it in place, and queues it for the store
 * unless the store's copy is still good (same connection and Contact, at
 * least half of `granted` left).  0 / -1 when out of memory. */
int sip_bindings_put(struct sip_bindings *t, const struct sip_binding_key *k,
                     const struct sip_binding_set *s);
/* Removes the binding if there is one. */
void sip_bindings_del(struct sip_bindings *t, const struct sip_binding_key *k);
/* Removes one binding found by a lookup or a walk. */
void sip_bindings_remove(struct sip_bindings *t, const struct sip_binding *b);
/* Removes every binding of aor that belongs to device. */
void sip_bindings_del_device(struct sip_bindings *t, const char *aor,
                             const char *device);

/* Per-AOR views: how many bindings; the one device they all belong to ("" if
 * none or several); each binding in turn (prev NULL for the first). */
size_t sip_bindings_aor_count(struct sip_bindings *t, const char *aor);
void sip_bindings_aor_device(struct sip_bindings *t, const char *aor,
                             char out[SIP_DEVNAME_MAX]);
const struct sip_binding *sip_bindings_aor_next(struct sip_bindings *t,
                                                const char *aor,
                                                const struct sip_binding *prev);
/* Per-device views: how many bindings; each in turn. */
size_t sip_bindings_device_count(struct sip_bindings *t, const char *device);
const struct sip_binding *sip_bindings_device_next(struct sip_bindings *t,
                                                   const char *device,
                                                   const struct sip_binding *prev);

/* Removals that are not a REGISTER's; each returns how many went. */
size_t sip_bindings_conn_closed(struct sip_bindings *t, uint64_t conn_id);
size_t sip_bindings_expire(struct sip_bindings *t, int64_t now);
size_t sip_bindings_sweep(struct sip_bindings *t, sip_keep_fn keep, void *arg);
/* The change log: deletes first, then puts (see sip_reg_take_changes). */
size_t sip_bindings_take_changes(struct sip_bindings *t,
                                 struct sip_binding_change *out, size_t max);

/* ---- responses (reply.c) -------------------------------------------------- */

/* The To tag we add to a request that had none (RFC 3261 §8.2.6.2): a
 * random prefix per registrar and a counter. */
struct sip_totag {
	char prefix[17];
	uint64_t seq;                   /* atomic */
};
void sip_totag_init(struct sip_totag *t);

enum sip_reply_warning {
	SIP_WARN_NONE = 0,
	SIP_WARN_PORT_MISMATCH,         /* "SIP OAuth Registration port Mismatch" */
	SIP_WARN_TLS_AUTH               /* "TLS authentication failure" */
};
enum sip_reply_challenge {
	SIP_CHAL_NONE = 0,
	SIP_CHAL_PLAIN,                 /* no token */
	SIP_CHAL_INVALID_TOKEN          /* with error="invalid_token" */
};

/* A response other than a REGISTER's 200: the code and what it carries. */
struct sip_reply {
	int code;
	enum sip_reply_warning warning; /* Warning: 399 */
	enum sip_reply_challenge challenge; /* 401/407 and their header */
	struct sip_str unsupported;     /* Unsupported: (420) */
	unsigned min_expires;           /* Min-Expires: (423) */
	int allow;                      /* Allow: (also always on 405) */
};

/* The response to a verdict of the authenticator other than ALLOW (the SIP
 * column of DESIGN.md's table). */
void sip_reply_for_verdict(const struct sip_reg_config *cfg,
                           enum policy_reason reason, struct sip_reply *rp);
/* Writes the response to the request m into out (SIP_RESP_MAX bytes); with
 * ci (the connection it came on), the top Via gets received / rport.
 * Returns its length, 0 when it did not fit. */
size_t sip_reply_write(struct sip_totag *tag, const struct sip_reg_config *cfg,
                       const struct sip_conn_info *ci, const struct sip_msg *m,
                       const struct sip_reply *rp, char *out);
/* The 200 to a REGISTER: every current binding of aor (under the lock),
 * the request's Path when it had one (path, "" or NULL: none) and, when
 * expires >= 0, an Expires header.  With ci, the top Via gets received /
 * rport.  Same return as sip_reply_write. */
size_t sip_reply_bindings(struct sip_totag *tag, const struct sip_conn_info *ci,
                          const struct sip_msg *m, struct sip_bindings *t,
                          const char *aor, const char *path, long long expires,
                          int64_t now, char *out);

#endif
