/*
 * common.h - the whole contract of common/: logging, bounded number parsing,
 * log-safe strings, file names beneath a root, per-key limits, statistics,
 * a keyed hash, listener addresses, the TLS policy of every TLS port and
 * the one start-up sequence of the daemons.  Nothing here knows about
 * tokens, devices or protocols, nor links a TLS library.
 */
#ifndef OPROV_COMMON_H
#define OPROV_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <syslog.h>

#define OPROV_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- logging ------------------------------------------------------------
 * One line per call.  In the foreground lines go to stderr with a time stamp,
 * otherwise to syslog under `ident`.  Safe to call from several threads: each
 * line is formatted into a local buffer and written with one write(2). */
void log_open(const char *ident, int foreground);
void log_set_level(int max_priority);            /* LOG_DEBUG .. LOG_ERR */
void log_msg(int priority, const char *fmt, ...) OPROV_PRINTF(2, 3);
#define LOG_LINE_MAX 1024
/* A bound on the lines one kind of event a client can cause (a refusal, a bad
 * message) may write: at most `per_sec` a second; the rest are counted and
 * said in one line when a later second begins.  One per call site, shared by
 * threads (static storage, zero-initialised). */
#define LOG_RATE_DEFAULT 100           /* lines a second per kind of event */
struct log_rate {
	int64_t sec;
	unsigned n, dropped;
	const char *what;               /* the kind, for the summary line */
};
/* 1: log this line; 0: over the bound this second (counted). */
int log_rate_ok(struct log_rate *r, unsigned per_sec);

/* ---- numbers from untrusted or user text --------------------------------
 * Decimal only, optional leading '-', no spaces, no trailing garbage, no
 * overflow; the result must lie in [min, max].  `s` need not be terminated.
 * Return 0 on success, -1 otherwise (and *out is untouched). */
int num_parse(const char *s, size_t len, long long min, long long max,
              long long *out);
/* Same for a NUL-terminated string (command-line flags, config values). */
int num_parse_str(const char *s, long long min, long long max, long long *out);
/* A daemon's numeric flag: num_parse_str, or one line on stderr
 * `PROG: --NAME: "V" is not a number in MIN-MAX` and -1. */
int num_opt(const char *prog, const char *name, const char *v, long long min,
            long long max, long long *out);

/* ---- strings that reach a log or an error message ------------------------
 * Copies at most srclen bytes of `src` into `dst` (size dstsz, always
 * terminated), replacing control characters, '\\', '"' and non-ASCII bytes with
 * \xNN so a peer cannot forge log lines or inject CR/LF.  Output longer than
 * dstsz is cut and ends in "...".  Returns dst. */
char *str_sanitize(char *dst, size_t dstsz, const void *src, size_t srclen);

/* Overwrites memory in a way the compiler cannot drop. */
void mem_wipe(void *p, size_t len);

/* ---- hashing for in-memory tables ----------------------------------------
 * SipHash-1-3 under a key drawn at random once per process, so a peer cannot
 * pick names or addresses that collide into one bucket.  The value changes
 * from run to run: never store it or compare it across processes. */
uint64_t hash_mem(const void *p, size_t n);
uint64_t hash_string(const char *s);

/* ---- file names and the file root ----------------------------------------------
 * One check of a requested name and one way to open it beneath a root, for
 * every daemon that serves files. */
#define PATH_NAME_MAX 255
/* 0 when name (len bytes, relative) is acceptable: 1..PATH_NAME_MAX bytes of
 * printable ASCII, no '\\', no empty, "." or ".." component. */
int path_check(const char *name, size_t len);
/* Opens name beneath rootfd (an O_PATH or O_RDONLY directory) read-only and
 * non-blocking, with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) or,
 * where the kernel lacks it, path_open_walk.  The fd of a regular file, or
 * -1 with errno: EINVAL (path_check refused the name), ENOENT/ENOTDIR (no
 * such file), EXDEV (leaves the root), ELOOP (a link refused), EISDIR (not a
 * regular file), or a resource error (EMFILE, ENFILE, ENOMEM...). */
int path_open_beneath(int rootfd, const char *name, size_t len);
/* The fallback: one component at a time with O_NOFOLLOW, so no link at all
 * is followed.  path is NUL-terminated and already checked. */
int path_open_walk(int rootfd, const char *path);
/* A reason for the log line of a failed open (static). */
const char *path_open_error(int e);
/* 1 when errno e means "out of resources", never "no" to the client. */
int path_error_is_resource(int e);

/* ---- per-key limits ----------------------------------------------------------
 * One limiter for every "how many at once" and "how many per window" bound
 * a peer can push against: connections or transfers per address, failed
 * activation codes per address or per device.  Keys are byte strings of at
 * most LIMIT_KEY_MAX bytes compared exactly; limiter_addr_key() makes the
 * key of a peer address (IPv4 and v4-mapped IPv6 alike).  Thread-safe. */
#define LIMIT_KEY_MAX 64
#define LIMIT_KEYS_DEFAULT 65536
struct limiter_config {
	unsigned max_total;     /* held by all keys together; 0: no cap */
	unsigned max_per_key;   /* held by one key; 0: no cap */
	unsigned burst;         /* events a key may spend at once; 0: no rate */
	unsigned window_ms;     /* a spent burst comes back over this time */
	size_t max_keys;        /* keys tracked; 0: LIMIT_KEYS_DEFAULT */
};
enum limit_result {
	LIMIT_OK = 0,
	LIMIT_RATE,             /* the key's bucket is empty */
	LIMIT_KEY,              /* the key holds max_per_key */
	LIMIT_TOTAL,            /* max_total is held */
	LIMIT_FULL,             /* max_keys are tracked: a new key is refused */
};
struct limiter;
struct limiter *limiter_new(const struct limiter_config *c);
void limiter_free(struct limiter *l);             /* NULL ok */
void limiter_addr_key(const struct sockaddr *sa, uint8_t key[16]);
/* Spends one event of the key's bucket. */
enum limit_result limiter_spend(struct limiter *l, const void *key,
                                size_t len, uint64_t now_ms);
/* 1 when the key's bucket is empty now (nothing spent). */
int limiter_exhausted(struct limiter *l, const void *key, size_t len,
                      uint64_t now_ms);
/* Holds one more for the key; limiter_release gives it back. */
enum limit_result limiter_take(struct limiter *l, const void *key, size_t len);
void limiter_release(struct limiter *l, const void *key, size_t len);
/* Forgets keys that hold nothing and whose bucket is full again. */
void limiter_sweep(struct limiter *l, uint64_t now_ms);
size_t limiter_keys(struct limiter *l);           /* keys tracked now */

/* ---- statistics ------------------------------------------------------------------
 * The one writer of counters: "name value" lines (labelled values as
 * `name{label="v"} value`) in DATADIR/run/PROG.stats, and the same list in
 * the Prometheus text format for /metrics.  Values of one family are added
 * one after the other. */
#define STATS_LABELS_MAX 96
#define STATS_TEXT_MAX (256 * 1024)
struct stat_item;
struct stats {
	struct stat_item *item;
	size_t n, cap;
	int failed;
};
void stats_init(struct stats *s);
void stats_free(struct stats *s);
/* name and help are borrowed until the stats are freed (string literals). */
void stats_counter(struct stats *s, const char *name, const char *help,
                   uint64_t v);
void stats_gauge(struct stats *s, const char *name, const char *help,
                 uint64_t v);
void stats_labeled(struct stats *s, const char *name, const char *help,
                   int gauge, uint64_t v, const char *fmt, ...)
	OPROV_PRINTF(6, 7);
/* The text (malloc'd, NUL-terminated, *len bytes): prefix NULL gives the plain lines, else Prometheus text with every name
 * prefixed ("oprov_httpsd_").  NULL when out of memory. */
char *stats_text(const struct stats *s, const char *prefix, size_t *len);
/* The plain lines to path, atomically (temporary file + rename).  0 / -1. */
int stats_write_file(const struct stats *s, const char *path, char *err,
                     size_t errlen);

/* ---- listener addresses ---------------------------------------------------
 * Spec forms: "PORT", "ADDR:PORT", "[V6ADDR]:PORT", "ADDR" (default port) and
 * "off".  Without an address the listener is dual-stack ("::" with
 * IPV6_V6ONLY off), falling back to 0.0.0.0 where IPv6 is unavailable. */
struct listen_addr {
	int off;                        /* "off": listener disabled */
	int any;                        /* no address given */
	struct sockaddr_storage ss;
	socklen_t len;
	char text[80];                  /* "[::]:6971", for logs */
};
int listen_parse(const char *spec, uint16_t default_port,
                 struct listen_addr *out, char *err, size_t errlen);
/* Creates, binds and (for SOCK_STREAM) listens.  reuseport sets SO_REUSEPORT
 * so one socket per event loop can share the port.  Returns the fd or -1. */
int listen_socket(const struct listen_addr *la, int socktype, int reuseport,
                  int backlog, char *err, size_t errlen);
/* Binds a socket of that type to the address without SO_REUSEPORT and
 * closes it again: fails (err names the address) when anything holds the
 * port.  0 / -1. */
int listen_probe(const struct listen_addr *la, int socktype, char *err,
                 size_t errlen);
/* A daemon's port check before it binds: without share_port (its
 * --share-port flag) the port must be free (listen_probe), so a second
 * instance refuses to start instead of silently taking part of the clients
 * through SO_REUSEPORT; with it, sharing is allowed and logged.  0 / -1. */
int listen_claim(const struct listen_addr *la, int socktype, int share_port,
                 char *err, size_t errlen);
/* The local port a socket is bound to (after binding port 0), or -1. */
int listen_bound_port(int fd);
/* Formats a peer address as "1.2.3.4" / "2001:db8::1" (no port). */
const char *sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t buflen);
/* The port of an AF_INET/AF_INET6 address, or 0. */
int sockaddr_port(const struct sockaddr *sa);

/* ---- the TLS policy ----------------------------------------------------------
 * One policy for every TLS port (6971, 8443 in GnuTLS; 5090, 5091 in
 * OpenSSL), spelled for each library by tls_policy.c.  "intermediate" (the
 * default): TLS 1.2 with ECDHE and AEAD suites only, and TLS 1.3; "modern":
 * TLS 1.3 alone.  Both: no CBC, no CCM, no static RSA, the server's order,
 * groups X25519, P-256, P-384.  Session tickets on every port, their keys
 * rotated, valid for the ticket lifetime (seconds; RFC 8446 §4.6.1 caps it
 * at 7 days). */
#define TLS_POLICY_DEFAULT          "intermediate"
#define TLS_TICKET_LIFETIME_DEFAULT 3600     /* phones' TLSResumptionTimer */
#define TLS_TICKET_LIFETIME_MIN     60
#define TLS_TICKET_LIFETIME_MAX     604800
#define TLS_POLICY_TEXT_MAX         512
struct tls_policy {
	const char *name;
	int tls12;                      /* TLS 1.2 besides TLS 1.3 */
};
struct tls_policy_ossl {
	int min_tls12;                  /* else TLS 1.3 is the floor */
	char ciphers[TLS_POLICY_TEXT_MAX];  /* SSL_CTX_set_cipher_list */
	char suites[TLS_POLICY_TEXT_MAX];   /* SSL_CTX_set_ciphersuites */
	char groups[TLS_POLICY_TEXT_MAX];   /* SSL_CTX_set1_groups_list */
};
/* NULL for a name that is no policy. */
const struct tls_policy *tls_policy_find(const char *name);
const char *tls_policy_names(void);           /* "intermediate, modern" */
/* The GnuTLS priority string into buf.  0 / -1 (too small). */
int tls_policy_gnutls(const struct tls_policy *p, char *buf, size_t len);
/* OpenSSL's three lists.  0 / -1. */
int tls_policy_openssl(const struct tls_policy *p, struct tls_policy_ossl *o);

/* ---- the start-up sequence ------------------------------------------------
 * Every daemon starts the same way (OpenBSD tftpd's main() is the model):
 *   flags (the caller) → log (stderr until daemonized) → user → data
 *   directory → store → bind → pid file → drop privileges → daemonize
 *   → (the caller's loop).
 * "data directory": when started as root with a user, DATADIR, the store
 * files, DATADIR/run and DATADIR/files that root owns become that user's
 * (how `oprovctl init` run as root leaves them; any other owner is left
 * alone); then the user must be able to use them and to enter the file
 * root.  "pid file": DATADIR/run/PROG.pid, locked for
 * the daemon's life (a second instance on the same data directory refuses
 * to start) and rewritten after the fork.  A failed step logs one line
 * "start-up: STEP: reason" and daemon_start returns -1: exit 1.
 * Nothing after the drop needs root. */
struct daemon_start {
	const char *prog;               /* log ident, pid file name */
	const char *datadir;
	const char *user;               /* NULL or "": stay who we are */
	int foreground;                 /* else daemonize, then syslog */
	const char *const *store_files; /* names in DATADIR (NULL-terminated) */
	const char *file_root;          /* checked enterable; may be NULL */
	int file_root_in_datadir;       /* DATADIR/files: handed over too */
	/* The daemon's own steps: 0, or -1 with a one-line reason. */
	int (*open_store)(void *arg, char *err, size_t errlen);
	int (*bind)(void *arg, char *err, size_t errlen);
	void *arg;
	/* filled in by daemon_start */
	char rundir[4096];              /* DATADIR/run */
	char pidfile[4200];
	int pidfd, pid_owned, drop;
	uid_t uid;                      /* the user the daemon runs as */
	gid_t gid;
};
int daemon_start(struct daemon_start *ds);
/* Removes and unlocks the pid file (at exit).  Safe to call twice. */
void daemon_finish(struct daemon_start *ds);
/* Raises the soft RLIMIT_NOFILE to the hard limit (a daemon's connections
 * each hold a descriptor).  Returns the soft limit now in force (UINT64_MAX:
 * unlimited, 0: unknown); *hard gets the hard limit. */
uint64_t daemon_fd_limit_raise(uint64_t *hard);
/* Installs SIGHUP (reload), SIGTERM/SIGINT (stop) handlers that set the given
 * flags; SIGPIPE is ignored. */
void daemon_signals(volatile sig_atomic_t *reload, volatile sig_atomic_t *stop);

#endif
