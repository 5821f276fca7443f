/*
 * common.h - the whole contract of common/: logging, bounded number parsing,
 * log-safe strings, listener addresses and daemon plumbing shared by every
 * oprov program.  Nothing here knows about tokens, devices or protocols.
 */
#ifndef OPROV_COMMON_H
#define OPROV_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/socket.h>
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

/* ---- numbers from untrusted or user text --------------------------------
 * Decimal only, optional leading '-', no spaces, no trailing garbage, no
 * overflow; the result must lie in [min, max].  `s` need not be terminated.
 * Return 0 on success, -1 otherwise (and *out is untouched). */
int num_parse(const char *s, size_t len, long long min, long long max,
              long long *out);
/* Same for a NUL-terminated string (command-line flags, config values). */
int num_parse_str(const char *s, long long min, long long max, long long *out);

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
/* The local port a socket is bound to (after binding port 0), or -1. */
int listen_bound_port(int fd);
/* Formats a peer address as "1.2.3.4" / "2001:db8::1" (no port). */
const char *sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t buflen);

/* ---- daemon plumbing ------------------------------------------------------ */
/* Writes "PID\n" to path (0644, created or truncated).  0 / -1. */
int daemon_pidfile_write(const char *path, char *err, size_t errlen);
void daemon_pidfile_remove(const char *path);
/* setgroups/setgid/setuid to `user` and checks that root cannot be regained.
 * A NULL or empty user, or not running as root, is a no-op.  0 / -1. */
int daemon_drop_privileges(const char *user, char *err, size_t errlen);
/* Forks into the background, new session, stdio to /dev/null.  0 / -1. */
int daemon_detach(char *err, size_t errlen);
/* Installs SIGHUP (reload), SIGTERM/SIGINT (stop) handlers that set the given
 * flags; SIGPIPE is ignored. */
void daemon_signals(volatile sig_atomic_t *reload, volatile sig_atomic_t *stop);

#endif
