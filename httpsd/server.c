/*
 * server.c - the three libmicrohttpd daemons (6971, 6970, 8443): their
 * options, the per-request state, dispatch to the handlers, and the reply
 * helpers every handler uses.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "httpsd/httpsd_int.h"

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct conn_watch *
watch_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* MHD hands the raw request-target here before unescaping it; keeping it
 * lets the handlers decode strictly themselves (an encoded NUL or "..",
 * MHD would otherwise turn into plain bytes or cut the string at). */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct httpsd_req *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)c;
	if (r == NULL)
		return NULL;
	r->raw_uri = strdup(uri);
	if (r->raw_uri == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/* libmicrohttpd 0.9.75 hands a response's headers and its body to GnuTLS
 * in two calls, so over TLS every response costs two records and two
 * writes (and the client two reads).  A small response is corked instead:
 * GnuTLS collects both (gnutls_record_cork) and on_completed, which
 * libmicrohttpd calls once it has handed over the last byte and before it
 * reads the next request or closes, sends them as one.  Only when nothing
 * is waiting in the socket's send queue (SIOCOUTQ), so the write finds
 * room; a client that stopped reading keeps the uncorked path. */
static void
cork(struct MHD_Connection *c, struct httpsd_req *r, uint64_t len)
{
	const union MHD_ConnectionInfo *si, *fi;
	int queued = -1;

	if (len == 0 || len > HTTPSD_CORK_MAX || r->corked != NULL)
		return;
	si = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (si == NULL || si->tls_session == NULL)
		return;                         /* plain HTTP */
	fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (fi == NULL || ioctl(fi->connect_fd, SIOCOUTQ, &queued) < 0 || queued != 0)
		return;
	gnutls_record_cork((gnutls_session_t)si->tls_session);
	r->corked = si->tls_session;
	r->corked_fd = fi->connect_fd;
}

/* libmicrohttpd corks the TCP socket while it hands over a response and
 * uncorks it once done, which is before on_completed sends the GnuTLS
 * record collected above: that record would then wait in the kernel for
 * TCP_CORK's 200 ms ceiling.  Clearing the cork pushes it out now. */
static void
push(int fd)
{
	int zero = 0;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
}

/* The socket is non-blocking: GNUTLS_E_AGAIN leaves the rest in GnuTLS,
 * and uncorking again sends exactly that rest. */
static void
uncork(struct httpsd_req *r)
{
	gnutls_session_t s = r->corked;
	struct timespec ts;
	int64_t end;

	r->corked = NULL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + HTTPSD_UNCORK_WAIT_MS;
	for (;;) {
		struct pollfd p = { r->corked_fd, POLLOUT, 0 };
		int rc = gnutls_record_uncork(s, 0);
		int64_t now;

		if (rc >= 0) {
			push(r->corked_fd);
			return;
		}
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= end ||
		    (poll(&p, 1, (int)(end - now)) < 0 && errno != EINTR))
			break;
	}
	/* Never sent whole: nothing more may follow it on this connection;
	 * libmicrohttpd sees the socket fail and closes it. */
	(void)shutdown(r->corked_fd, SHUT_RDWR);
}

enum MHD_Result
httpsd_queue(struct MHD_Connection *c, struct httpsd_req *r, unsigned status,
             struct MHD_Response *resp, uint64_t len)
{
	enum MHD_Result ret;

	r->status = (int)status;
	ret = MHD_queue_response(c, status, resp);
	if (ret == MHD_YES)
		cork(c, r, len);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct httpsd_listener *l = cls;
	struct httpsd_req *r = *con_cls;
	unsigned st;

	(void)toe;
	if (r == NULL)
		return;
	if (r->corked != NULL)
		uncork(r);
	{
		struct conn_watch *w = watch_of(c);
		if (w != NULL) {    /* the next request gets a fresh deadline */
			atomic_store(&w->start_ms, mono_ms());
			atomic_store(&w->body_bytes, 0);
			atomic_store(&w->phase, WATCH_HEAD);
		}
	}
	st = (unsigned)r->status;
	if (st >= 200 && st < 600) {
		atomic_fetch_add(&l->h->m.requests[l->kind][st / 100 - 2], 1);
		atomic_fetch_add(&l->h->m.status[l->kind][st], 1);
	}
	free(r->raw_uri);
	if (r->body != NULL)
		mem_wipe(r->body, r->body_len); /* codes and refresh tokens */
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
	struct httpsd_listener *l = cls;
	struct httpsd *h = l->h;
	struct conn_watch *w;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		atomic_fetch_add(&h->m.active[l->kind], 1);
		if (atomic_exchange(&h->accept_episode, 0) != 0)
			log_msg(LOG_NOTICE, "%s: accepting connections again", l->name);
		w = calloc(1, sizeof(*w));
		if (w == NULL || ci == NULL) {
			free(w);
			return;
		}
		w->fd = ci->connect_fd;
		w->kind = l->kind;
		atomic_init(&w->phase, WATCH_HEAD);
		atomic_init(&w->start_ms, mono_ms());
		atomic_init(&w->body_ms, 0);
		atomic_init(&w->body_bytes, 0);
		pthread_mutex_lock(&h->conn_lock);
		w->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = w;
		h->conns = w;
		pthread_mutex_unlock(&h->conn_lock);
		*socket_context = w;
		return;
	}
	atomic_fetch_sub(&h->m.active[l->kind], 1);
	w = *socket_context;
	if (w == NULL)
		return;
	/* libmicrohttpd reports the close before it closes the socket, so
	 * the sweeper never sees a reused descriptor. */
	pthread_mutex_lock(&h->conn_lock);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		h->conns = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&h->conn_lock);
	free(w);
	*socket_context = NULL;
}

/* Whether w's request is past its deadline (the whole request within
 * `limit` ms of its start) or its body below the minimum rate: after
 * `grace` ms, at least min_rate bytes for every second beyond. */
static int
overdue(const struct httpsd *h, struct conn_watch *w, int64_t now, int64_t limit,
        int64_t grace)
{
	int phase = atomic_load(&w->phase);
	int64_t t;

	if (phase == WATCH_REPLY)
		return 0;
	if (now - atomic_load(&w->start_ms) > limit)
		return 1;
	if (phase != WATCH_BODY || h->o.min_rate == 0)
		return 0;
	t = now - atomic_load(&w->body_ms) - grace;
	return t > 0 && atomic_load(&w->body_bytes) * 1000u <
	                (uint64_t)t * h->o.min_rate;
}

void
httpsd_sweep(struct httpsd *h)
{
	int64_t now = mono_ms(), limit[LST_COUNT];
	unsigned cut = 0, busy = 0;

	/* A listener near its connection limit gives requests less time
	 * and bodies a shorter grace, so slow clients cannot keep every
	 * slot (nor the queue of connections waiting for one). */
	for (int k = 0; k < LST_COUNT; k++) {
		int64_t open = atomic_load(&h->m.active[k]);
		int b = open > 0 && (uint64_t)open * 100u >=
		        (uint64_t)h->o.conn_limit * HTTPSD_BUSY_PERCENT;
		unsigned s = b && h->o.busy_timeout < h->o.timeout ?
		             h->o.busy_timeout : h->o.timeout;
		limit[k] = (int64_t)s * 1000;
		busy |= (unsigned)b << k;
	}
	pthread_mutex_lock(&h->conn_lock);
	for (struct conn_watch *w = h->conns; w != NULL; w = w->next) {
		if (overdue(h, w, now, limit[w->kind], busy & (1u << w->kind) ?
		            HTTPSD_RATE_GRACE_BUSY_MS : HTTPSD_RATE_GRACE_MS)) {
			/* libmicrohttpd sees the read fail and closes it. */
			(void)shutdown(w->fd, SHUT_RDWR);
			atomic_store(&w->phase, WATCH_REPLY);
			cut++;
		}
	}
	pthread_mutex_unlock(&h->conn_lock);
	atomic_fetch_add(&h->m.slow_cut, cut);
	/* One line a second at most (the main loop sweeps more often). */
	h->sweep_cut += cut;
	h->sweep_busy |= busy;
	if (h->sweep_cut > 0 && now - h->sweep_logged >= 1000) {
		log_msg(LOG_NOTICE, "cut off %u connection(s) whose request did not "
		        "arrive within %u s (%u s on a busy listener) or at %u bytes/s%s",
		        h->sweep_cut, h->o.timeout, h->o.busy_timeout, h->o.min_rate,
		        h->sweep_busy ? " (busy)" : "");
		h->sweep_cut = 0;
		h->sweep_busy = 0;
		h->sweep_logged = now;
	}
}

/* The request-target's path alone, identity: handlers decode it. */
static size_t
on_unescape(void *cls, struct MHD_Connection *c, char *uri)
{
	(void)cls;
	(void)c;
	return strlen(uri);
}

/* accept() failing for want of descriptors or memory (libmicrohttpd logs
 * it and, with connections open, stops accepting until one closes): one
 * warning per episode, which ends at the next accepted connection.  A
 * thread with no connection of its own would retry at once (libmicrohttpd
 * "busy waits"); it sleeps HTTPSD_ACCEPT_BACKOFF_MS instead, which delays
 * nothing since it has nothing else to serve. */
static void
accept_starved(struct httpsd_listener *l, const char *line)
{
	struct httpsd *h = l->h;

	atomic_fetch_add(&h->m.accept_fail, 1);
	if (atomic_exchange(&h->accept_episode, 1) == 0)
		log_msg(LOG_WARNING, "%s: accept() is failing (out of descriptors "
		        "or memory); backing off until connections close", l->name);
	if (strstr(line, "FIRST connection") != NULL) {
		struct timespec ts = { 0, HTTPSD_ACCEPT_BACKOFF_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static void OPROV_PRINTF(2, 0)
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct httpsd_listener *l = cls;
	char line[LOG_LINE_MAX];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (l != NULL && strncmp(line, "Hit process or system resource limit", 36) == 0)
		accept_starved(l, line);
	log_msg(LOG_DEBUG, "libmicrohttpd: %s", line);
}

void
httpsd_fit_fds(struct httpsd *h)
{
	unsigned nl = 0, threads = h->o.threads, conn;
	uint64_t fixed, cur, max;

	for (int k = 0; k < LST_COUNT; k++)
		nl += h->lst[k].fd >= 0;
	if (nl == 0 || (cur = daemon_fd_limit_raise(&max)) == 0)
		return;
	if (threads == 0) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		threads = nc > 0 ? (unsigned)nc : 1;
	}
	/* Each thread of each listener: an epoll set and a wake-up channel. */
	fixed = HTTPSD_FD_RESERVE + (uint64_t)nl * threads * 2;
	conn = cur == UINT64_MAX ? h->o.conn_limit :
	       cur <= fixed ? threads :
	       (unsigned)((cur - fixed) / ((uint64_t)nl * HTTPSD_FD_PER_CONN));
	if (conn < threads)
		conn = threads;
	if (conn < h->o.conn_limit) {
		log_msg(LOG_WARNING, "descriptors: limit %llu (hard %llu) fits %u "
		        "connections per listener, not %u: using %u",
		        (unsigned long long)cur, (unsigned long long)max,
		        conn, h->o.conn_limit, conn);
		h->o.conn_limit = conn;
	} else {
		log_msg(LOG_INFO, "descriptors: limit %llu (hard %llu), %u connections "
		        "per listener", (unsigned long long)cur,
		        (unsigned long long)max, h->o.conn_limit);
	}
}

struct auth_count {
	unsigned n;
	const char *first;
};

static enum MHD_Result
count_auth(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
	struct auth_count *a = cls;

	(void)kind;
	if (key != NULL && strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0) {
		if (a->n == 0)
			a->first = value;
		a->n++;
	}
	return MHD_YES;
}

/* MHD keeps every header line as its own entry (it never merges them), so
 * two Authorization lines are seen as two here. */
const char *
httpsd_authorization(struct MHD_Connection *c, unsigned *count)
{
	struct auth_count a = { 0, NULL };

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_auth, &a);
	*count = a.n;
	return a.first;
}

const char *
httpsd_peer(struct MHD_Connection *c, char *buf, size_t sz)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (ci == NULL || ci->client_addr == NULL) {
		snprintf(buf, sz, "?");
		return buf;
	}
	return sockaddr_ntop(ci->client_addr, buf, sz);
}

void
httpsd_log_denial(struct httpsd_listener *l, struct MHD_Connection *c,
                  const char *reason, const char *device, const char *jti,
                  const char *detail)
{
	static struct log_rate rate = { .what = "deny" };
	char peer[64], dev[64], j[TOK_JTI_MAX + 16], d[160];

	/* A client can cause one per request: bounded like every such line. */
	if (!log_rate_ok(&rate, LOG_RATE_DEFAULT))
		return;
	httpsd_peer(c, peer, sizeof(peer));
	str_sanitize(dev, sizeof(dev), device ? device : "-",
	             device ? strlen(device) : 1);
	str_sanitize(j, sizeof(j), jti && *jti ? jti : "-",
	             jti && *jti ? strlen(jti) : 1);
	str_sanitize(d, sizeof(d), detail ? detail : "", detail ? strlen(detail) : 0);
	log_msg(LOG_NOTICE, "deny reason=%s listener=%s peer=%s device=%s jti=%s%s%s",
	        reason, l->name, peer, dev, j, d[0] ? " detail=" : "", d);
}

static const char *const security_headers[] = {
	"X-Content-Type-Options", "nosniff",
	NULL
};

enum MHD_Result
httpsd_reply(struct MHD_Connection *c, struct httpsd_req *r, unsigned status,
             const char *ctype, const char *body, size_t len,
             const char *const *headers)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body,
	                                       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (ctype != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	for (size_t i = 0; security_headers[i] != NULL; i += 2)
		MHD_add_response_header(resp, security_headers[i], security_headers[i + 1]);
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	ret = httpsd_queue(c, r, status, resp, len);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
httpsd_reply_json(struct MHD_Connection *c, struct httpsd_req *r,
                  unsigned status, const char *json, const char *const *headers)
{
	const char *h[16];
	size_t n = 0;

	h[n++] = MHD_HTTP_HEADER_CACHE_CONTROL;
	h[n++] = "no-store";
	h[n++] = MHD_HTTP_HEADER_PRAGMA;
	h[n++] = "no-cache";
	for (size_t i = 0; headers != NULL && headers[i] != NULL && n < 14; i++)
		h[n++] = headers[i];
	h[n] = NULL;
	return httpsd_reply(c, r, status, "application/json", json, strlen(json), h);
}

enum MHD_Result
httpsd_reply_oauth_error(struct MHD_Connection *c, struct httpsd_req *r,
                         unsigned status, const char *error, const char *desc,
                         const char *const *headers)
{
	json_t *o = json_object();
	char *text;
	enum MHD_Result ret;

	if (o == NULL)
		return MHD_NO;
	json_object_set_new(o, "error", json_string(error));
	if (desc != NULL)
		json_object_set_new(o, "error_description", json_string(desc));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return MHD_NO;
	ret = httpsd_reply_json(c, r, status, text, headers);
	free(text);
	return ret;
}

struct framing_count {
	unsigned host, clen, te;
};

static enum MHD_Result
count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
	struct framing_count *f = cls;

	(void)kind;
	(void)value;
	if (key == NULL)
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		f->host++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f->clen++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->te++;
	return MHD_YES;
}

/* RFC 9112 §3.2 and §6.3 (parse.c's httpsd_framing_check): a request
 * whose framing is ambiguous gets 400 and the connection is closed, before
 * its body is read.  MHD_YES/NO when answered, -1 when fine. */
static int
framing_refused(struct httpsd_listener *l, struct MHD_Connection *c,
                struct httpsd_req *r, const char *version)
{
	struct framing_count f = { 0, 0, 0 };
	const char *why, *h[] = { MHD_HTTP_HEADER_CONNECTION, "close", NULL };

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
	if ((why = httpsd_framing_check(version, f.host, f.clen, f.te)) == NULL)
		return -1;
	httpsd_log_denial(l, c, "BAD_REQUEST", NULL, NULL, why);
	return httpsd_reply(c, r, 400, "text/plain", "bad request\n", 12, h);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_size, void **con_cls)
{
	struct httpsd_listener *l = cls;
	struct httpsd_req *r = *con_cls;

	(void)url;
	if (r == NULL)
		return MHD_NO;
	if (!r->seen) {
		int refused = framing_refused(l, c, r, version);
		if (refused >= 0) {
			r->seen = 1;
			return (enum MHD_Result)refused;
		}
	}
	if (*upload_size > 0) {
		/* Only 8443's POST bodies are kept; a body elsewhere is read
		 * and dropped (bounded by the whole-request deadline). */
		struct conn_watch *w = watch_of(c);
		if (w != NULL)
			atomic_fetch_add(&w->body_bytes, *upload_size);
		if (l->kind == LST_OAUTH || l->kind == LST_CONFIG) {
			if (r->body_len + *upload_size > HTTPSD_FORM_MAX) {
				r->body_too_large = 1;
			} else {
				char *nb = realloc(r->body, r->body_len + *upload_size + 1);
				if (nb == NULL)
					return MHD_NO;
				memcpy(nb + r->body_len, upload_data, *upload_size);
				r->body = nb;
				r->body_len += *upload_size;
				r->body[r->body_len] = '\0';
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (!r->seen) {
		/* First call: the headers are in; the body (if any) follows,
		 * within the same deadline and at the minimum rate. */
		struct conn_watch *w = watch_of(c);
		if (w != NULL) {
			atomic_store(&w->body_ms, mono_ms());
			atomic_store(&w->phase, WATCH_BODY);
		}
		r->seen = 1;
		return MHD_YES;
	}
	{
		/* The whole request is in: answering has no deadline of
		 * ours (libmicrohttpd's idle timeout still applies). */
		struct conn_watch *w = watch_of(c);
		if (w != NULL)
			atomic_store(&w->phase, WATCH_REPLY);
	}
	if (strcmp(r->raw_uri, "/healthz") == 0 &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
		/* Still 200 when degraded: tokens validate and known configs
		 * are served from memory; the body says what is missing. */
		static const char deg[] = "degraded: store out of reach; serving "
		                          "from memory, refusing writes\n";

		if (gate_degraded(l->h->gate))
			return httpsd_reply(c, r, 200, "text/plain", deg,
			                    sizeof(deg) - 1, NULL);
		return httpsd_reply(c, r, 200, "text/plain", "ok\n", 3, NULL);
	}
	switch (l->kind) {
	case LST_METRICS:
		return httpsd_handle_metrics(l, c, r, method);
	case LST_OAUTH:
		return httpsd_handle_oauth(l, c, r, method);
	case LST_CONFIG:
	case LST_HTTP:
	default:
		return httpsd_handle_files(l, c, r, method);
	}
}

int
httpsd_listener_start(struct httpsd_listener *l, char *err, size_t errlen)
{
	struct httpsd *h = l->h;
	unsigned flags = (h->o.use_poll ? MHD_USE_POLL_INTERNAL_THREAD
	                                : MHD_USE_EPOLL_INTERNAL_THREAD) |
	                 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem ops[24];
	size_t n = 0;
	unsigned threads = h->o.threads;

	if (threads == 0) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		threads = nc > 0 ? (unsigned)nc : 1;
	}
	if (l->kind != LST_HTTP && l->kind != LST_METRICS) {
		if (h->tls == NULL) {
			snprintf(err, errlen, "%s: no TLS certificate (the store's tomcat pair)",
			         l->name);
			return -1;
		}
		flags |= MHD_USE_TLS;
		/* Chain and external key through the callback (tls.c):
		 * the signatures are made by OpenSSL. */
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
		                                    httpsd_tls_callback() };
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
		                                    (void *)h->o.priorities };
	}
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, l->fd, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, threads, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	                                    h->o.conn_limit, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	                                    h->o.per_ip_limit, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	                                    h->o.timeout, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	                                    (intptr_t)h->o.conn_memory, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
	                                    (intptr_t)on_uri, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	                                    (intptr_t)on_completed, l };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	                                    (intptr_t)on_connection, l };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_UNESCAPE_CALLBACK,
	                                    (intptr_t)on_unescape, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	                                    (intptr_t)on_mhd_log, l };
	/* We reply to every bad request ourselves; pedantic client checks
	 * only add interop failures (MHD 0.9.75 default is 0). */
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
	                          MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (l->mhd == NULL) {
		snprintf(err, errlen, "%s: libmicrohttpd refused to start (TLS "
		         "material or priority string \"%s\"?)", l->name,
		         h->o.priorities);
		return -1;
	}
	return 0;
}

void
httpsd_listener_retire(struct httpsd_listener *l, time_t until)
{
	if (l->mhd == NULL)
		return;
	if (l->retired != NULL)
		MHD_stop_daemon(l->retired);    /* a reload while one drains */
	/* MHD stops polling the listening socket and leaves it open. */
	(void)MHD_quiesce_daemon(l->mhd);
	l->retired = l->mhd;
	l->retired_until = until;
	l->mhd = NULL;
}

int
httpsd_listener_drain(struct httpsd_listener *l, time_t now)
{
	const union MHD_DaemonInfo *i;

	if (l->retired == NULL)
		return 0;
	i = MHD_get_daemon_info(l->retired, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	if (i != NULL && i->num_connections > 0 && now < l->retired_until)
		return 1;
	if (i != NULL && i->num_connections > 0)
		log_msg(LOG_NOTICE, "%s: closing %u connection(s) still open at "
		        "the drain timeout after a reload", l->name,
		        i->num_connections);
	MHD_stop_daemon(l->retired);
	l->retired = NULL;
	return 0;
}

void
httpsd_listener_stop(struct httpsd_listener *l, int keep_socket)
{
	if (l->retired != NULL) {
		MHD_stop_daemon(l->retired);
		l->retired = NULL;
	}
	if (l->mhd == NULL)
		return;
	if (keep_socket)
		(void)MHD_quiesce_daemon(l->mhd);   /* MHD then leaves the fd open */
	MHD_stop_daemon(l->mhd);
	l->mhd = NULL;
	if (!keep_socket)
		l->fd = -1;                 /* MHD closed it */
}
