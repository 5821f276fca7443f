/*
 * sipd_int.h - private to oprov-sipd: the TLS layer (sip/tls.c, the only
 * OpenSSL user in sip/), the event loops (sip/server.c) and the state the
 * loops share (sip/state.c).  Limits are documented in oprov-sipd(8).
 *
 * What sipd may touch: the gate (gate/gate.h) for every decision and for
 * what the store decides (keys, revocations, devices, the cluster mode,
 * Expressway-C names, node hosts); no loop opens the store.  main()'s
 * thread alone writes through the gate's store handle: the bindings'
 * write-behind, and the TLS pair at start-up and SIGHUP.
 */
#ifndef OPROV_SIPD_INT_H
#define OPROV_SIPD_INT_H

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/common.h"
#include "gate/gate.h"
#include "sip/sip_int.h"
#include "store/store.h"
#include "trust/trust.h"

/* ---- limits and defaults ---------------------------------------------------- */
#define SIPD_CONN_MAX_DEFAULT      20000  /* connections, all loops together */
#define SIPD_CONN_PER_ADDR_DEFAULT 256    /* from one peer address */
#define SIPD_IDLE_TIMEOUT_DEFAULT  300    /* s without a byte from the peer */
#define SIPD_HANDSHAKE_TIMEOUT     10     /* s to finish the TLS handshake */
#define SIPD_MESSAGE_TIMEOUT       5      /* s from a message's first byte to
                                           * its last */
#define SIPD_WAKE_MS               200    /* longest epoll wait of a loop */
#define SIPD_TRIM_MIN              256    /* connections gone before the heap
                                           * is handed back (sipd.c) */
#define SIPD_WBUF_MAX              (64 * 1024) /* unsent bytes per connection */
#define SIPD_RBUF_MAX              SIP_MSG_MAX /* unread bytes per connection */
#define SIPD_TLS_SESSION_CACHE     20480
#define SIPD_LOOPS_MAX             64
#define SIPD_FD_RESERVE            32     /* descriptors besides connections and
                                           * each loop's three */
#define SIPD_FLUSH_BATCH           1024   /* binding changes per transaction */
#define SIPD_DOMAIN_OPTS_MAX       32     /* --domain given on the command line */
#define SIPD_LOCAL_ADDRS_MAX       256    /* this host's interface addresses */
#define SIPD_LOCAL_ADDRS_REFRESH   60     /* s between re-reading them */
#define SIPD_NOTIFY_MAX            4096   /* Apply Config NOTIFYs in flight */
#define SIPD_NOTIFY_TIMEOUT        10     /* s to wait for the device's answer */

/* ---- TLS (tls.c) -------------------------------------------------------------- */
typedef struct sip_tls_ctx sip_tls_ctx;
typedef struct sip_tls sip_tls;

enum { SIP_TLS_OK = 0, SIP_TLS_AGAIN = -1, SIP_TLS_CLOSED = -2,
       SIP_TLS_ERROR = -3 };

/* cert_pem: leaf then chain; key_pem: the private key (the caller wipes it
 * afterwards).  mtls: require a client certificate verified against
 * `trust` (its X509_STORE is shared by reference); trust_pem: the same CAs
 * as PEM, named in the CertificateRequest. */
/* The TLS policy and session-ticket lifetime (seconds, 0: no resumption)
 * of every context made afterwards; without a call, common/'s defaults.
 * Call before the first context.  0 / -1. */
int sip_tls_configure(const struct tls_policy *p, unsigned lifetime,
                      char *err, size_t errlen);
sip_tls_ctx *sip_tls_ctx_new(const char *cert_pem, const char *key_pem,
                             int mtls, certstore *trust, const char *trust_pem,
                             char *err, size_t errlen);
void sip_tls_ctx_free(sip_tls_ctx *c);
/* Notes the certificates of a PEM (a chain) the store holds under another
 * purpose than tomcat-trust, so a client certificate chaining to it
 * is logged as such (mutual-TLS contexts only).  At most
 * SIP_TLS_OTHER_CA_MAX; 0 / -1. */
#define SIP_TLS_OTHER_CA_MAX 64
int sip_tls_ctx_note_ca(sip_tls_ctx *c, const char *pem, const char *purpose);
sip_tls *sip_tls_new(sip_tls_ctx *c, int fd);
void sip_tls_free(sip_tls *t);
/* SIP_TLS_OK when done, else one of the negative codes above. */
int sip_tls_handshake(sip_tls *t, char *err, size_t errlen);
/* Bytes moved (> 0) or a negative code. */
long sip_tls_read(sip_tls *t, void *buf, size_t len, char *err, size_t errlen);
long sip_tls_write(sip_tls *t, const void *buf, size_t len, char *err,
                   size_t errlen);
int sip_tls_wants_write(const sip_tls *t);
int sip_tls_resumed(const sip_tls *t);
/* Decrypted or undecrypted bytes already inside OpenSSL: read again before
 * waiting for the socket. */
int sip_tls_pending(const sip_tls *t);
/* After the handshake on 5091: TRUSTED when the verified peer certificate
 * matches one of the names (trust/'s rules), else UNTRUSTED. */
enum policy_peer sip_tls_peer(sip_tls *t, const char *const *names, size_t n);

/* ---- options ---------------------------------------------------------------------- */
struct sipd_opts {
	const char *datadir;
	int foreground;
	const char *user;
	const char *node;
	const char *tls_listen;          /* NULL: the node's sip_oauth_port */
	const char *mtls_listen;         /* NULL: the node's sip_mra_oauth_port */
	int loops;                       /* 0: one per online CPU */
	struct sip_reg_config reg;       /* challenge style, expiries, host */
	int tls_style, mtls_style;       /* per-listener challenge style; -1: reg's */
	unsigned conn_max, conn_per_addr, idle_timeout;
	unsigned handshake_timeout, message_timeout;
	const struct tls_policy *tls_policy;  /* --tls-policy */
	unsigned ticket_lifetime;        /* --tls-ticket-lifetime; 0: off */
	int share_port;                  /* --share-port */
	int verbose;
	const char *domain[SIPD_DOMAIN_OPTS_MAX]; /* --domain, "*" = any */
	size_t ndomain;
};

/* ---- shared state (state.c) ------------------------------------------------------- */
struct sipd_stats {
	struct sip_reg_stats reg;
	uint64_t conns_open, conns_total, handshake_failures, resumed;
	uint64_t refused_conn_cap, refused_addr_cap, framing_errors, pings;
	uint64_t message_timeouts, accept_pauses;
	uint64_t bindings;
};

struct sipd {
	struct sipd_opts o;
	/* o.reg with each listener's challenge style; read-only once serving */
	struct sip_reg_config reg_tls, reg_mtls;
	char stats_path[4200];

	/* Settings, keys, revocations, devices, Expressway-C names and the
	 * nodes' hosts: everything the store decides, read through the gate's
	 * snapshots. */
	struct gate *gate;
	int sip_oauth_mode;              /* last seen by main(), for the stats */

	pthread_rwlock_t lock;           /* what follows, until `stop` */
	char hostname[256];              /* gethostname(), "" if unknown */
	struct sockaddr_storage local_addr[SIPD_LOCAL_ADDRS_MAX];
	size_t nlocal_addr;
	time_t local_addr_at;            /* main()'s thread only */
	sip_tls_ctx *tls_ctx, *mtls_ctx; /* replaced on SIGHUP */
	certstore *trust;

	volatile sig_atomic_t stop, reload;
	atomic_uint_fast64_t conn_seq;
	atomic_uint conns;               /* open connections, all loops */
	atomic_uint peers_gen;           /* bumped when the Expressway-C entries
	                                  * may have changed (sipd_gate_changed) */
	atomic_uint_fast64_t swept;      /* bindings dropped by the sweep */
	atomic_uint accept_short;        /* loops whose accept() lacks fds or
	                                  * memory: the episode is logged when
	                                  * the first starts, and its end when
	                                  * the last recovers */
	struct limiter *per_addr;        /* connections per peer address */

	/* One binding table for all loops; main() expires it and writes its
	 * changes to the store (sipd_bindings_flush). */
	sip_registrar *reg;
	uint64_t store_writes, store_errors; /* main()'s thread only */
	struct sip_binding_change *chg;  /* SIPD_FLUSH_BATCH each, main()'s */
	struct store_binding_change *chg_out;
	struct sipd_loop *loop[SIPD_LOOPS_MAX];
	int nloops;
	struct listen_addr tls_la, mtls_la;

	/* Apply Config / reset / restart (actions.c): main() adds what the
	 * store asks for, the loop holding the connection sends it, the loop
	 * reading the answer marks it, main() writes the outcome back. */
	pthread_mutex_t nlock;
	struct sipd_notify *notifies;    /* under nlock */
	size_t nnotifies;
	atomic_uint nseq;                /* bumped when a NOTIFY waits to be sent */
};

/* Loads the tomcat pair and tomcat-trust into new TLS contexts and swaps
 * them in (start-up and SIGHUP).  0 / -1. */
int sipd_tls_load(struct sipd *d, struct store *st, char *err, size_t errlen);
/* The authenticator plugged into the registrar (arg: the loop that asks):
 * the gate's decision.  Without a device named by the Contacts it decides
 * for the token's device, else for q->hint_device. */
void sipd_auth(void *arg, const struct sip_auth_query *q,
               struct sip_auth_answer *a);
/* RFC 3261 §10.3 step 1 (arg: the loop): the Request-URI host is served
 * when it is a node's host, a --domain, this host's name or one of its
 * addresses, or localhost on a loopback connection; anything a listed
 * Expressway-C forwards on 5091 is. */
int sipd_domain_ok(void *arg, const struct sip_conn_info *ci,
                   struct sip_str host);
/* Re-reads this host's name and interface addresses for sipd_domain_ok()
 * when they are older than SIPD_LOCAL_ADDRS_REFRESH (or force). */
void sipd_local_refresh(struct sipd *d, time_t now, int force);
/* Expires bindings and writes the changes since the last call to the store,
 * SIPD_FLUSH_BATCH per transaction, in the order they happened.  One
 * thread (main's) only. */
void sipd_bindings_flush(struct sipd *d, struct store *st, time_t now);
/* The gate's change hook (its sync thread, arg: the daemon): bindings
 * whose authority is gone (token revoked, device deleted or off OAuth)
 * are dropped at once, and the loops re-check their 5091 peers. */
void sipd_gate_changed(void *arg, int config_moved, int revocation_moved);
/* Per-address connection accounting by limiter_addr_key(); 0 when under
 * the cap. */
int sipd_addr_take(struct sipd *d, const uint8_t key[16]);
void sipd_addr_release(struct sipd *d, const uint8_t key[16]);

/* ---- Apply Config, reset, restart (actions.c) ------------------------------------ */
enum sipd_nstate { SIPD_N_NEW, SIPD_N_SENT, SIPD_N_ANSWERED, SIPD_N_NOTREG,
                   SIPD_N_FAILED };
struct sipd_notify {
	struct store_action a;           /* the request and its binding */
	enum sipd_nstate state, written; /* written: last state in the store */
	uint64_t looked;                 /* loops that searched for the connection */
	char call_id[SIP_CALLID_MAX];
	time_t sent_at;
	struct sipd_notify *next;
};
/* main()'s tick: writes outcomes back to the store, forgets finished
 * NOTIFYs, takes new requests for this node's bindings. */
void sipd_actions_poll(struct sipd *d, struct store *st, time_t now);
/* A loop (index idx of nloops) sends what waits for its connections:
 * find(ctx, conn_id) returns 1 when the loop holds the connection, and
 * send(ctx, conn_id, text, len) queues the NOTIFY on it (0 / -1). */
typedef int (*sipd_conn_find_fn)(void *ctx, uint64_t conn_id);
typedef int (*sipd_conn_send_fn)(void *ctx, uint64_t conn_id, const char *p,
                                 size_t n);
void sipd_actions_send(struct sipd *d, int idx, sipd_conn_find_fn find,
                       sipd_conn_send_fn send, void *ctx, time_t now);
/* At exit, after the loops stopped: forgets what is still in flight. */
void sipd_actions_free(struct sipd *d);
/* A final response to a NOTIFY arrived on conn_id. */
void sipd_actions_answer(struct sipd *d, uint64_t conn_id, const char *call_id,
                         int code);

/* ---- event loops (server.c) --------------------------------------------------------- */
struct sipd_loop;
struct sipd_loop *sipd_loop_new(struct sipd *d, int index, char *err,
                                size_t errlen);
void sipd_loop_free(struct sipd_loop *l);
void *sipd_loop_run(void *arg);              /* thread body */
/* Opens the loop's listeners while the cluster SIP OAuth mode is on, closes
 * them while it is off (start-up and every tick). */
void sipd_loop_listen(struct sipd_loop *l);
/* Adds the loop's counters into *out (under the loop's stats lock). */
void sipd_loop_stats(struct sipd_loop *l, struct sipd_stats *out);
struct sipd *sipd_loop_daemon(struct sipd_loop *l);

#endif
