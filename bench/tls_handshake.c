/*
 * tls_handshake.c - new-connection load for bench/tls-handshake: the same
 * client against oprov-httpsd and nginx, so the ratio compares servers.
 *
 *   tls_handshake full|resumed HOST PORT THREADS SECONDS PATH [HEADER]
 *
 * Each thread loops for SECONDS: TCP connect, TLS 1.3 handshake (X25519
 * key share, as OpenSSL-based clients send), one GET of PATH with
 * "Connection: close" (and HEADER, e.g. "Authorization: Bearer ..."),
 * read the whole answer, close.  "resumed" offers the session ticket of
 * the thread's previous connection (a fresh full handshake whenever the
 * server declines).  Prints "connections_per_s N", "resumed N", "errors N".
 * An answer whose status is not 200 counts as an error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define HS_THREADS_MAX 256
#define HS_REQ_MAX 16384

static struct sockaddr_in addr;
static SSL_CTX *ctx;
static int resume;
static double deadline;
static char request[HS_REQ_MAX];
static size_t request_len;

/* The newest session ticket this thread received (new_session). */
static __thread SSL_SESSION *latest;

struct worker {
	pthread_t t;
	unsigned long done, resumed, errors;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One connection; 0 on a 200 answer read to the end.  *sess: the session
 * to offer (consumed) and the one to offer next. */
static int
one(SSL_SESSION **sess, int *was_resumed)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one_ = 1, rc = -1;
	SSL *s = NULL;
	char buf[16384];
	size_t got = 0, n;
	int first = 1;

	*was_resumed = 0;
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto out;
	s = SSL_new(ctx);
	if (s == NULL || SSL_set_fd(s, fd) != 1)
		goto out;
	SSL_set_tlsext_host_name(s, "localhost");
	if (*sess != NULL)
		SSL_set_session(s, *sess);
	if (SSL_connect(s) != 1 ||
	    SSL_write_ex(s, request, request_len, &n) != 1)
		goto out;
	for (;;) {
		if (SSL_read_ex(s, buf, sizeof(buf), &n) != 1)
			break;
		if (first && (n < 12 || memcmp(buf + 9, "200", 3) != 0))
			goto out;
		first = 0;
		got += n;
	}
	if (got == 0)
		goto out;
	*was_resumed = SSL_session_reused(s);
	if (resume && latest != NULL) {
		/* The ticket arrived with (or before) the answer. */
		SSL_SESSION_free(*sess);
		*sess = latest;
		latest = NULL;
	}
	rc = 0;
out:
	ERR_clear_error();
	if (s != NULL) {
		/* Marks the session shut down (nothing is sent): OpenSSL makes
		 * the session of a connection freed otherwise unresumable. */
		SSL_set_quiet_shutdown(s, 1);
		if (rc == 0)
			SSL_shutdown(s);
		SSL_free(s);
	}
	close(fd);
	return rc;
}

/* SSL_CTX_sess_set_new_cb: keeps the reference OpenSSL hands over. */
static int
new_session(SSL *s, SSL_SESSION *sess)
{
	(void)s;
	SSL_SESSION_free(latest);
	latest = sess;
	return 1;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	SSL_SESSION *sess = NULL;
	int r;

	while (now_s() < deadline) {
		if (one(&sess, &r) == 0) {
			w->done++;
			w->resumed += (unsigned long)r;
		} else {
			w->errors++;
		}
	}
	SSL_SESSION_free(sess);
	SSL_SESSION_free(latest);
	return NULL;
}

int
main(int argc, char **argv)
{
	static struct worker w[HS_THREADS_MAX];
	int threads, secs;
	unsigned long done = 0, resumed = 0, errors = 0;
	double t0;

	if (argc < 7 || (strcmp(argv[1], "full") && strcmp(argv[1], "resumed"))) {
		fprintf(stderr, "usage: tls_handshake full|resumed HOST PORT THREADS "
		        "SECONDS PATH [HEADER]\n");
		return 2;
	}
	resume = strcmp(argv[1], "resumed") == 0;
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(argv[3]));
	threads = atoi(argv[4]);
	secs = atoi(argv[5]);
	if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1 || threads < 1 ||
	    threads > HS_THREADS_MAX || secs < 1) {
		fprintf(stderr, "tls_handshake: bad address, threads or seconds\n");
		return 2;
	}
	snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
	         "%s%sConnection: close\r\n\r\n", argv[6],
	         argc > 7 ? argv[7] : "", argc > 7 ? "\r\n" : "");
	request_len = strlen(request);
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return 1;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set1_groups_list(ctx, "X25519:P-256");
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	                               SSL_SESS_CACHE_NO_INTERNAL_STORE);
	/* A server closing without close_notify must not spoil the ticket. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (resume)
		SSL_CTX_sess_set_new_cb(ctx, new_session);
	t0 = now_s();
	deadline = t0 + secs;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&w[i].t, NULL, run, &w[i]) != 0)
			return 1;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].t, NULL);
		done += w[i].done;
		resumed += w[i].resumed;
		errors += w[i].errors;
	}
	printf("connections_per_s %.0f\nresumed %lu\nerrors %lu\n",
	       (double)done / (now_s() - t0), resumed, errors);
	SSL_CTX_free(ctx);
	return 0;
}
