/*
 * httpsd_int.h - private to httpsd/: the daemon's shared state, the three
 * listeners (and the metrics one) and what the handler files (file_ports.c, files.c, oauth.c,
 * metrics.c) share.
 *
 * What httpsd may touch: the gate (gate/gate.h) for every decision, every
 * setting, key, revocation and device fact, and for its per-thread store
 * handles; through those handles only rendering (gate_render) and the
 * writes of the token, revoke and introspect endpoints (oauth.c) and the
 * TLS pair and caconfig.json (state.c, file_ports.c).  Nothing on a
 * request's path reads the store to decide.
 */
#ifndef OPROV_HTTPSD_INT_H
#define OPROV_HTTPSD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "common/common.h"
#include "configgen/configgen.h"
#include "gate/gate.h"
#include "httpsd/httpsd.h"
#include "store/store.h"
#include "trust/trust.h"

/* ---- defaults of the tunables (documented in docs/oprov-httpsd.8) ------- */
#define HTTPSD_CONFIG_PORT       6971
#define HTTPSD_HTTP_PORT         6970
#define HTTPSD_OAUTH_PORT        8443
/* /metrics on a listener of its own, loopback only unless told otherwise
 * (--metrics-listen): the counters say who is onboarding and failing. */
#define HTTPSD_METRICS_LISTEN    "127.0.0.1:9970"
#define HTTPSD_METRICS_PORT      9970
#define HTTPSD_CONN_LIMIT        4096   /* per listener, split over threads */
#define HTTPSD_PER_IP_LIMIT      64     /* connections from one address */
#define HTTPSD_TIMEOUT           15     /* s for a whole request (headers and body), and idleness */
#define HTTPSD_BUSY_TIMEOUT      3      /* ... while a listener is busy (below) */
#define HTTPSD_BUSY_PERCENT      75     /* busy: this share of --max-connections open */
#define HTTPSD_MIN_RATE          128    /* bytes/s a request body must keep up ... */
#define HTTPSD_RATE_GRACE_MS     4000   /* ... after this long into the body */
#define HTTPSD_RATE_GRACE_BUSY_MS 1000  /* ... on a busy listener */
#define HTTPSD_SWEEP_MS          250    /* how often those are checked */
#define HTTPSD_FD_RESERVE        64     /* descriptors kept for files, store, logs */
#define HTTPSD_FD_PER_CONN       2      /* a connection and the file it may send */
#define HTTPSD_ACCEPT_BACKOFF_MS 100    /* a thread with no connection, at EMFILE */
#define HTTPSD_DRAIN             60     /* s a reload lets old connections finish */
/* Room for the request line and headers with an 8 KiB token plus about
 * 4 KiB of other headers (measured: libmicrohttpd 0.9.75 reads the request
 * into this pool).  No larger: libmicrohttpd clears the whole pool for
 * every request, so its size is paid per request (48 KiB cost a third of
 * the keep-alive throughput). */
#define HTTPSD_CONN_MEMORY       (20 * 1024)
#define HTTPSD_TLS_CHAIN_MAX     8      /* certificates in the tomcat chain */
#define HTTPSD_REALM             "oprov"
#define HTTPSD_CODE_FAILS        10     /* failed activation codes per window,
                                           from one address for one device */
#define HTTPSD_CODE_DEVICE_FAILS 30     /* ... for one device from all addresses */
#define HTTPSD_CODE_GLOBAL_FAILS 1000   /* ... in all */
#define HTTPSD_CODE_WINDOW       300    /* seconds */
/* A key's recorded last exp runs this far ahead of the tokens it signed, so
 * the store is written once per this many seconds, not once per token; a
 * rotation waits at most this much longer for the key's tokens to end. */
#define HTTPSD_KEY_NOTE_AHEAD    300    /* seconds */
#define HTTPSD_CODE_ADDRS        65536  /* (address, device) pairs tracked for it */
/* How long a request's store write waits for a lock someone else holds
 * (e.g. an administrator's open SQLite transaction) before it answers 503
 * + Retry-After: a held lock never holds a server thread longer. */
#define HTTPSD_LOCK_WAIT_MS      500
/* After such a 503, the token, revoke and introspect endpoints answer 503
 * at once for this long before trying the store again. */
#define HTTPSD_STORE_BACKOFF_MS  500
#define HTTPSD_CONFIG_CACHE      4096   /* rendered configs kept (buckets) */
#define HTTPSD_FILE_MAX_HEADER   512    /* our own response header texts */
/* Responses whose body is at most this long leave in one TLS record and one
 * write (headers and body together); half a TLS record (RFC 8446 §5.1), so
 * with the headers it fits a record and an idle socket's send buffer. */
#define HTTPSD_CORK_MAX          8192
/* How long a corked response may wait for room in the socket's send buffer
 * (only when the client stops reading) before the connection is cut. */
#define HTTPSD_UNCORK_WAIT_MS    1000

enum httpsd_listener_kind { LST_CONFIG = 0, LST_HTTP, LST_OAUTH, LST_METRICS,
                            LST_COUNT };

struct httpsd_opts {
	const char *datadir;
	const char *user;
	const char *files;                  /* file root; default DATADIR/files */
	const char *listen[LST_COUNT];      /* specs; NULL = default port */
	const char *priorities;             /* NULL: from the TLS policy */
	const struct tls_policy *policy;    /* --tls-policy */
	unsigned ticket_lifetime;           /* --tls-ticket-lifetime; 0: off */
	const char *realm;
	int foreground;
	int use_poll;                       /* poll(2) instead of epoll */
	int tls_wait_finished;              /* no GNUTLS_ENABLE_EARLY_START */
	unsigned threads;                   /* 0: one per core */
	unsigned conn_limit;
	unsigned per_ip_limit;
	unsigned timeout;
	unsigned busy_timeout;              /* --busy-timeout */
	unsigned min_rate;                  /* --min-rate, bytes/s; 0: none */
	int share_port;                     /* --share-port: SO_REUSEPORT */
	unsigned drain;                     /* --drain-timeout */
	size_t conn_memory;
	unsigned code_fails;
	unsigned code_window;
	unsigned code_device_fails;         /* --code-device-attempts */
	unsigned code_global_fails;         /* --code-global-attempts */
};

struct httpsd;

struct httpsd_listener {
	struct httpsd *h;
	enum httpsd_listener_kind kind;
	struct listen_addr addr;
	int fd;                             /* bound socket (kept across reload) */
	int port;                           /* bound port */
	struct MHD_Daemon *mhd;
	struct MHD_Daemon *retired;         /* before a reload, draining */
	time_t retired_until;               /* then stopped, drained or not */
	const char *name;                   /* "https-6971", for logs and metrics */
};

/* Status classes counted per listener. */
enum { MET_2XX, MET_3XX, MET_4XX, MET_5XX, MET_CLASSES };

struct httpsd_metrics {
	atomic_uint_fast64_t requests[LST_COUNT][MET_CLASSES];
	atomic_uint_fast64_t status[LST_COUNT][600];
	atomic_int_fast64_t active[LST_COUNT];
	atomic_uint_fast64_t tokens_issued, refresh_reuse, code_failures,
	                     code_throttled;
	atomic_uint_fast64_t config_lookups; /* rendered configs asked for (after an ALLOW) */
	atomic_uint_fast64_t renders;       /* ... of which rendered from the store */
	atomic_uint_fast64_t slow_cut;      /* connections cut at their deadline */
	atomic_uint_fast64_t accept_fail;   /* accept() out of descriptors/memory */
};

/* A rendered config (a device's, or XMLDefault.cnf.xml), shared by every
 * thread while its config generation is current; the MHD response is built
 * once and queued many times. */
#define HTTPSD_CFG_KEY_MAX (CFG_NAMED_FILE_MAX + 4)
struct cfg_cache_entry {
	struct cfg_cache_entry *next;
	atomic_int refs;                    /* the cache's + each user's */
	/* A device name, CFG_DEFAULT_FILE or a named file's name (a dial
	 * plan's, ...), ".sgn" appended for the signed form. */
	char device[HTTPSD_CFG_KEY_MAX];
	uint64_t gen;                       /* config generation rendered */
	char etag[48];
	char *body;
	size_t len;
	struct MHD_Response *resp;          /* 200 with the gated headers */
};

/* One open connection, for the whole-request deadline: libmicrohttpd's
 * timeout is an idle timeout, so a client sending one byte a second would
 * never hit it.  The main loop shuts down connections whose request (TLS
 * handshake, headers and body) has not fully arrived within --timeout
 * (--busy-timeout while the listener is busy), or whose body arrives
 * slower than --min-rate. */
enum { WATCH_HEAD, WATCH_BODY, WATCH_REPLY };
struct conn_watch {
	struct conn_watch *prev, *next;
	int fd;
	int kind;                           /* the listener's */
	atomic_int phase;                   /* WATCH_*; REPLY: no deadline */
	atomic_int_fast64_t start_ms;       /* monotonic ms the request began */
	atomic_int_fast64_t body_ms;        /* ... its body began */
	atomic_uint_fast64_t body_bytes;    /* body bytes so far */
};

struct httpsd {
	struct httpsd_opts o;
	char files_path[4096];
	int root_fd;                        /* O_PATH|O_DIRECTORY of the file root */
	struct httpsd_listener lst[LST_COUNT];

	/* The store's tomcat pair as the TLS listeners serve it. */
	struct httpsd_tls *tls;
	struct httpsd_tls *tls_retired;     /* what retired listeners served */

	/* Settings, keys, revocations and device facts: everything the store
	 * decides, read through the gate's snapshots; its per-thread store
	 * handles serve rendering and the token endpoint's writes. */
	struct gate *gate;

	/* Rendered configs of one config generation (state.c). */
	pthread_rwlock_t cache_lock;
	uint64_t cache_gen;
	size_t cache_count;
	struct cfg_cache_entry *cache[HTTPSD_CONFIG_CACHE];

	pthread_mutex_t conn_lock;
	struct conn_watch *conns;           /* under conn_lock */

	struct limiter *code_fails;         /* failed activation codes per address
	                                       and device, per device, in all */
	struct limiter *code_dev_fails, *code_all_fails;
	atomic_int accept_episode;          /* accept() failing now: logged once */
	/* The latest exp recorded under the signing key (oauth.c): a token
	 * whose exp is not past it needs no store write. */
	pthread_mutex_t note_lock;
	char note_kid[STORE_NAME_MAX];
	int64_t note_exp;
	unsigned sweep_cut, sweep_busy;     /* main loop only: cut since the last */
	int64_t sweep_logged;               /* ... log line, at this ms */

	struct httpsd_metrics m;
};

/* Per-request state, made by the URI log callback (raw URI kept). */
struct httpsd_req {
	char *raw_uri;
	char *body;                         /* POST body, up to HTTPSD_FORM_MAX */
	size_t body_len;
	int body_too_large;
	int seen;                           /* the headers-only first call is over */
	int status;                         /* for metrics */
	void *corked;                       /* gnutls_session_t to uncork */
	int corked_fd;
};

/* ---- state.c: rendered configs and the TLS pair ------------------------- */
int httpsd_state_init(struct httpsd *h, char *err, size_t errlen);
void httpsd_state_free(struct httpsd *h);
/* Loads the tomcat pair from the store into a new TLS pair and makes it
 * current (start-up and SIGHUP).  0 / -1. */
int httpsd_tls_load(struct httpsd *h, char *err, size_t errlen);
/* The rendered config of `device` (or CFG_DEFAULT_FILE) at config
 * generation `gen`: a new reference to the cache entry (found or rendered
 * now), or NULL on failure (logged).  Release with httpsd_cfg_release. */
struct cfg_cache_entry *httpsd_cfg_get(struct httpsd *h, const char *device,
                                       uint64_t gen);
void httpsd_cfg_release(struct cfg_cache_entry *e);

/* ---- tls.c: the tomcat pair for GnuTLS, signing through trust/ ----------- */
struct httpsd_tls;
/* Chain (PEM, leaf first) and private key (PEM; the caller wipes it).  The
 * key signs through OpenSSL (key_tls_from_pem).  NULL on error. */
struct httpsd_tls *httpsd_tls_new(const char *cert_pem, const char *key_pem,
                                  char *err, size_t errlen);
void httpsd_tls_free(struct httpsd_tls *t);
/* Makes t the pair every TLS listener started from now on serves. */
void httpsd_tls_use(struct httpsd_tls *t);
/* The gnutls_certificate_retrieve_function2 for
 * MHD_OPTION_HTTPS_CERT_CALLBACK. */
void *httpsd_tls_callback(void);
/* Start-up's TLS settings, before the listeners start; call once.
 *  - TLS 1.3 server sessions return from the handshake once the server's
 *    flight is out (GNUTLS_ENABLE_EARLY_START) unless o->tls_wait_finished;
 *  - the TLS policy (o->policy) as GnuTLS's priority string into
 *    o->priorities, unless --tls-priorities gave one;
 *  - session tickets on every TLS listener, valid o->ticket_lifetime
 *    seconds (0: none), sealed under keys GnuTLS derives from a master key
 *    drawn here and replaces every three lifetimes.
 * 0 / -1. */
int httpsd_tls_setup(struct httpsd_opts *o, char *err, size_t errlen);

/* ---- server.c ------------------------------------------------------------- */
/* Starts libmicrohttpd on l->fd with the daemon's limits.  0 / -1. */
int httpsd_listener_start(struct httpsd_listener *l, char *err, size_t errlen);
/* Raises RLIMIT_NOFILE to its hard limit and lowers --max-connections so
 * every listener's connections fit (HTTPSD_FD_PER_CONN each, plus
 * HTTPSD_FD_RESERVE); logs what it chose.  Before the listeners start. */
void httpsd_fit_fds(struct httpsd *h);
/* Cuts off connections past their whole-request deadline or below the
 * minimum body rate (main loop, every HTTPSD_SWEEP_MS). */
void httpsd_sweep(struct httpsd *h);
/* Stops it (and a retired one); keep_socket leaves l->fd open. */
void httpsd_listener_stop(struct httpsd_listener *l, int keep_socket);
/* Reload: stops accepting on l->fd but lets the open connections finish
 * (until `until`); a new httpsd_listener_start takes the socket over. */
void httpsd_listener_retire(struct httpsd_listener *l, time_t until);
/* Stops the retired daemon once it has no connection left or its time is
 * up.  Returns 1 while it still drains. */
int httpsd_listener_drain(struct httpsd_listener *l, time_t now);

/* ---- server.c: responses shared by the handlers ---------------------------- */
/* Queues resp (body of len bytes) as the answer to r; over TLS a small one
 * leaves in one record and one write (see server.c).  MHD_YES/NO. */
enum MHD_Result httpsd_queue(struct MHD_Connection *c, struct httpsd_req *r,
                             unsigned status, struct MHD_Response *resp,
                             uint64_t len);
/* Queues a response with a small body; adds common headers.  MHD_YES/NO. */
enum MHD_Result httpsd_reply(struct MHD_Connection *c, struct httpsd_req *r,
                             unsigned status, const char *ctype,
                             const char *body, size_t len,
                             const char *const *headers);
/* JSON reply with Cache-Control: no-store, Pragma: no-cache (RFC 6749 §5.1). */
enum MHD_Result httpsd_reply_json(struct MHD_Connection *c,
                                  struct httpsd_req *r, unsigned status,
                                  const char *json, const char *const *headers);
/* {"error":…,"error_description":…} */
enum MHD_Result httpsd_reply_oauth_error(struct MHD_Connection *c,
                                         struct httpsd_req *r, unsigned status,
                                         const char *error, const char *desc,
                                         const char *const *headers);
/* Peer address text of the connection. */
const char *httpsd_peer(struct MHD_Connection *c, char *buf, size_t sz);
/* One structured denial line: reason, listener, peer, device, jti. */
void httpsd_log_denial(struct httpsd_listener *l, struct MHD_Connection *c,
                       const char *reason, const char *device,
                       const char *jti, const char *detail);
/* Counts Authorization headers and returns the first (or NULL). */
const char *httpsd_authorization(struct MHD_Connection *c, unsigned *count);

/* ---- files.c ------------------------------------------------------------------ */
/* Serves an open public file with ETag / If-None-Match / Range. Takes the fd. */
enum MHD_Result httpsd_file_serve(struct httpsd_listener *l,
                                  struct MHD_Connection *c,
                                  struct httpsd_req *r, int fd,
                                  const char *name, int gated);
/* 304 Not Modified with these headers and no Content-Length. */
enum MHD_Result httpsd_reply_not_modified(struct MHD_Connection *c,
                                          struct httpsd_req *r,
                                          const char *const *headers);
/* Content-Type by extension. */
const char *httpsd_mime(const char *name);

/* ---- file_ports.c: 6971 and 6970 ------------------------------------------------ */
enum MHD_Result httpsd_handle_files(struct httpsd_listener *l,
                                    struct MHD_Connection *c,
                                    struct httpsd_req *r, const char *method);

/* ---- oauth.c: 8443 ---------------------------------------------------------------- */
enum MHD_Result httpsd_handle_oauth(struct httpsd_listener *l,
                                    struct MHD_Connection *c,
                                    struct httpsd_req *r, const char *method);

/* ---- oauth_client.c: who calls 8443 ------------------------------------------------ */
struct httpsd_client {
	struct store_client cl;             /* the registered client */
	int authenticated;                  /* its secret was presented and right */
};
enum httpsd_client_result {
	HTTPSD_CLIENT_OK = 0,               /* *out: a registered client */
	HTTPSD_CLIENT_NONE,                 /* nothing presented, no fallback */
	HTTPSD_CLIENT_BAD,                  /* 401 invalid_client */
	HTTPSD_CLIENT_TWO_METHODS,          /* 400 invalid_request */
	HTTPSD_CLIENT_STORE,                /* the store could not be read: 503
	                                       when out of reach, else 500 */
};
/* The client of a request: Basic credentials (client_secret_basic),
 * client_id + client_secret in the form (client_secret_post), or a public
 * client's client_id (fallback_id when none is given; may be NULL).  Wrong
 * or unregistered credentials are BAD, as is a confidential client that
 * did not authenticate. */
enum httpsd_client_result httpsd_client_identify(struct MHD_Connection *c,
                                                 struct store *st,
                                                 const struct httpsd_form *f,
                                                 const char *fallback_id,
                                                 struct httpsd_client *out);
/* The answer to BAD, NONE or TWO_METHODS: 401 invalid_client with
 * WWW-Authenticate: Basic, or 400 invalid_request.  (STORE is answered by
 * oauth.c's store_failed.) */
enum MHD_Result httpsd_reply_client_error(struct httpsd_listener *l,
                                          struct MHD_Connection *c,
                                          struct httpsd_req *r,
                                          enum httpsd_client_result why);

/* ---- metrics.c ------------------------------------------------------------------ */
/* The metrics listener: GET/HEAD /metrics, else 404 / 405. */
enum MHD_Result httpsd_handle_metrics(struct httpsd_listener *l,
                                      struct MHD_Connection *c,
                                      struct httpsd_req *r, const char *method);
/* Every counter, for /metrics and DATADIR/run/oprov-httpsd.stats. */
void httpsd_stats(struct httpsd *h, struct stats *out);

#endif
