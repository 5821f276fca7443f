/*
 * server.c - oprov-sipd's event loops: one thread per core, each with its
 * own SO_REUSEPORT listening sockets, epoll set, connections and store
 * handle; the registrar's binding table is one for all loops (d->reg).
 * No thread or process per client.
 *
 * A connection is: TLS handshake (deadline SIPD_HANDSHAKE_TIMEOUT) → on
 * 5091 the peer name check → read into a capped buffer, frame, answer each
 * message into a capped write buffer.  Once a second each loop syncs with
 * the store generation, opens or closes its listeners when the cluster SIP
 * OAuth mode flips and closes idle connections.  Expiring bindings and
 * writing them behind to the store is main()'s (sipd_bindings_flush), so
 * no loop ever waits for the disk.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sip/sipd_int.h"

enum conn_state { C_HANDSHAKE, C_OPEN };

struct conn {
	int fd;
	int mtls;
	enum conn_state state;
	int closing;                     /* close once the write buffer drained */
	uint32_t events;                 /* what epoll watches now */
	enum policy_peer peer;
	sip_tls *tls;
	uint64_t id;
	char addr[64];
	uint8_t akey[16];                /* the peer address's limiter key */
	struct sockaddr_storage local;   /* for the Request-URI domain check */
	time_t last, hs_deadline;
	char *rbuf;
	size_t rlen;
	char *wbuf;
	size_t wlen;
	struct conn *prev, *next;
};

struct sipd_loop {
	struct sipd *d;
	int idx;
	int ep;
	int lfd[2];                      /* 0: 5090, 1: 5091; -1 when closed */
	sip_registrar *reg;              /* d->reg, not owned */
	struct conn *conns;
	size_t nconns;
	time_t tick;
	struct sipd_stats own;           /* this loop's transport counters */
	pthread_mutex_t stats_lock;
	struct sipd_stats snap;          /* copied under stats_lock each tick */
	char *resp;
};

#define TAG_LISTEN 1u

struct sipd *
sipd_loop_daemon(struct sipd_loop *l)
{
	return l->d;
}

/* ---- listeners -------------------------------------------------------------- */

static void
listener_close(struct sipd_loop *l, int i)
{
	if (l->lfd[i] < 0)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, l->lfd[i], NULL);
	close(l->lfd[i]);
	l->lfd[i] = -1;
}

static int
listener_open(struct sipd_loop *l, int i)
{
	const struct listen_addr *la = i ? &l->d->mtls_la : &l->d->tls_la;
	struct epoll_event ev;
	char err[256];
	int fd;

	if (l->lfd[i] >= 0 || la->off)
		return 0;
	fd = listen_socket(la, SOCK_STREAM, 1, 1024, err, sizeof(err));
	if (fd < 0) {
		log_msg(LOG_ERR, "listen %s: %s", la->text, err);
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_LISTEN + (uint64_t)i;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		return -1;
	}
	l->lfd[i] = fd;
	if (l->idx == 0)
		log_msg(LOG_NOTICE, "listening on %s (%s)", la->text,
		        i ? "mutual TLS" : "TLS");
	return 0;
}

void
sipd_loop_listen(struct sipd_loop *l)
{
	const struct gate_snap *snap = gate_snap(l->d->gate);
	int on = snap->cluster.sip_oauth_mode;

	gate_snap_release(snap);
	for (int i = 0; i < 2; i++) {
		if (on)
			(void)listener_open(l, i);
		else if (l->lfd[i] >= 0) {
			listener_close(l, i);
			if (l->idx == 0)
				log_msg(LOG_NOTICE, "stopped listening on %s: cluster "
				        "SIP OAuth mode is off",
				        i ? l->d->mtls_la.text : l->d->tls_la.text);
		}
	}
}

/* ---- connections -------------------------------------------------------------- */

static void
conn_watch(struct sipd_loop *l, struct conn *c)
{
	struct epoll_event ev;
	uint32_t want = EPOLLIN | EPOLLRDHUP;

	if (c->wlen > 0 || (c->tls && sip_tls_wants_write(c->tls)))
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	sip_tls_free(c->tls);
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

static void
conn_close(struct sipd_loop *l, struct conn *c, const char *why)
{
	size_t dropped;

	if (why != NULL && l->d->o.verbose)
		log_msg(LOG_INFO, "close conn=%llu peer=%s: %s",
		        (unsigned long long)c->id, c->addr, why);
	epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
	sip_tls_free(c->tls);           /* its close_notify, before the fd goes */
	c->tls = NULL;
	close(c->fd);
	/* A binding lives no longer than the connection that made it: the
	 * phone re-registers on its next connection (RFC 5626 §4.4.1). */
	dropped = sip_reg_conn_closed(l->reg, c->id);
	(void)dropped;
	sipd_addr_release(l->d, c->akey);
	atomic_fetch_sub(&l->d->conns, 1);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->nconns--;
	l->own.conns_open = l->nconns;
	conn_free(c);
}

/* Queues bytes for the peer; -1 when the write buffer cap is hit (a peer
 * that does not read its responses is dropped). */
static int
conn_queue(struct conn *c, const char *p, size_t n)
{
	if (n > SIPD_WBUF_MAX - c->wlen)
		return -1;
	memcpy(c->wbuf + c->wlen, p, n);
	c->wlen += n;
	return 0;
}

static int
conn_flush(struct sipd_loop *l, struct conn *c)
{
	char err[128];
	size_t off = 0;

	(void)l;
	while (off < c->wlen) {
		long k = sip_tls_write(c->tls, c->wbuf + off, c->wlen - off, err,
		                       sizeof(err));
		if (k > 0) {
			off += (size_t)k;
			continue;
		}
		if (k == SIP_TLS_AGAIN)
			break;
		return -1;
	}
	if (off > 0) {
		memmove(c->wbuf, c->wbuf + off, c->wlen - off);
		c->wlen -= off;
	}
	return 0;
}

/* Frames and answers everything complete in the read buffer. */
static int
conn_process(struct sipd_loop *l, struct conn *c, time_t now)
{
	size_t off = 0;
	struct sip_conn_info ci = {
		.conn_id = c->id, .mtls = c->mtls, .peer = c->peer,
		.peer_addr = c->addr,
		.cfg = c->mtls ? &l->d->reg_mtls : &l->d->reg_tls,
		.auth_arg = l,
		.local = c->local.ss_family ? (const void *)&c->local : NULL,
	};

	while (off < c->rlen && !c->closing) {
		size_t mo, ml, used, outlen = 0;
		int status = 0;
		enum sip_frame_result fr = sip_frame(c->rbuf + off, c->rlen - off,
		                                     &mo, &ml, &used);
		enum sip_reg_outcome oc;

		if (fr == SIP_FRAME_NEED_MORE)
			break;
		switch (fr) {
		case SIP_FRAME_MESSAGE:
			oc = sip_reg_handle(l->reg, &ci, c->rbuf + off + mo,
			                    c->rbuf + off + mo + ml, now, l->resp,
			                    &outlen, &status);
			if (oc != SIP_REG_NOTHING && outlen > 0 &&
			    conn_queue(c, l->resp, outlen) != 0)
				return -1;
			if (oc == SIP_REG_REPLY_CLOSE)
				c->closing = 1;
			break;
		case SIP_FRAME_PING:
			l->own.pings++;
			if (conn_queue(c, "\r\n", 2) != 0)
				return -1;
			break;
		case SIP_FRAME_SKIP:
			break;
		case SIP_FRAME_ERROR:
		case SIP_FRAME_TOO_BIG:
		default:
			l->own.framing_errors++;
			outlen = sip_reg_frame_error(fr == SIP_FRAME_TOO_BIG ? 513 : 400,
			                             l->resp, SIP_RESP_MAX);
			(void)conn_queue(c, l->resp, outlen);
			c->closing = 1;
			used = c->rlen - off;
			break;
		}
		off += used;
	}
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return 0;
}

static void
conn_handshake_done(struct sipd_loop *l, struct conn *c)
{
	c->state = C_OPEN;
	if (sip_tls_resumed(c->tls))
		l->own.resumed++;
	if (c->mtls) {
		const struct gate_snap *snap = gate_snap(l->d->gate);
		c->peer = sip_tls_peer(c->tls, snap->xnames, snap->nxnames);
		gate_snap_release(snap);
		if (c->peer != PEER_TRUSTED)
			log_msg(LOG_NOTICE, "sip 5091 peer=%s conn=%llu: certificate "
			        "chain trusted but not a listed Expressway-C",
			        c->addr, (unsigned long long)c->id);
	}
}

static void
conn_event(struct sipd_loop *l, struct conn *c, uint32_t ev, time_t now)
{
	char err[256];

	c->last = now;
	if (c->state == C_HANDSHAKE) {
		int r = sip_tls_handshake(c->tls, err, sizeof(err));
		if (r == SIP_TLS_AGAIN) {
			conn_watch(l, c);
			return;
		}
		if (r != SIP_TLS_OK) {
			l->own.handshake_failures++;
			log_msg(LOG_NOTICE, "sip %s peer=%s: TLS handshake refused: %s",
			        c->mtls ? "5091" : "5090", c->addr,
			        r == SIP_TLS_CLOSED ? "closed by peer" : err);
			conn_close(l, c, NULL);
			return;
		}
		conn_handshake_done(l, c);
	}
	if ((ev & EPOLLOUT) && c->wlen > 0 && conn_flush(l, c) != 0) {
		conn_close(l, c, "write failed");
		return;
	}
	for (;;) {
		long k;

		if (c->closing)
			break;
		if (c->rlen == SIPD_RBUF_MAX) {
			/* The framer answers 513 before this can happen. */
			conn_close(l, c, "read buffer full");
			return;
		}
		k = sip_tls_read(c->tls, c->rbuf + c->rlen, SIPD_RBUF_MAX - c->rlen,
		                 err, sizeof(err));
		if (k > 0) {
			c->rlen += (size_t)k;
			if (conn_process(l, c, now) != 0) {
				conn_close(l, c, "write buffer full");
				return;
			}
			/* Level-triggered epoll wakes us for what is still in
			 * the socket; only OpenSSL's own buffer needs another
			 * read now.  Saves the EAGAIN read per request. */
			if (!sip_tls_pending(c->tls))
				break;
			continue;
		}
		if (k == SIP_TLS_AGAIN)
			break;
		/* closed or broken: answer nothing more */
		conn_close(l, c, k == SIP_TLS_CLOSED ? "closed by peer" : err);
		return;
	}
	if (c->wlen > 0 && conn_flush(l, c) != 0) {
		conn_close(l, c, "write failed");
		return;
	}
	if (c->closing && c->wlen == 0) {
		conn_close(l, c, "protocol error");
		return;
	}
	conn_watch(l, c);
}

/* Admission of an accepted socket: the caps in total and per address.
 * 0 when it may stay (the address slot is then taken). */
static int
accept_admit(struct sipd_loop *l, const char *addr, const uint8_t akey[16])
{
	struct sipd *d = l->d;

	if (atomic_load(&d->conns) >= d->o.conn_max) {
		l->own.refused_conn_cap++;
		return -1;
	}
	if (sipd_addr_take(d, akey) != 0) {
		l->own.refused_addr_cap++;
		log_msg(LOG_NOTICE, "sip peer=%s: over %u connections from "
		        "one address", addr, d->o.conn_per_addr);
		return -1;
	}
	return 0;
}

/* A connection for an admitted socket, its TLS session on the listener's
 * current context.  NULL when out of memory. */
static struct conn *
conn_new(struct sipd_loop *l, int i, int fd, time_t now)
{
	struct sipd *d = l->d;
	struct conn *c = calloc(1, sizeof(*c));
	socklen_t ll = sizeof(struct sockaddr_storage);
	sip_tls_ctx *ctx;
	int one = 1;

	if (c == NULL || (c->rbuf = malloc(SIPD_RBUF_MAX)) == NULL ||
	    (c->wbuf = malloc(SIPD_WBUF_MAX)) == NULL)
		goto fail;
	pthread_rwlock_rdlock(&d->lock);
	ctx = i ? d->mtls_ctx : d->tls_ctx;
	if (ctx != NULL)
		c->tls = sip_tls_new(ctx, fd);
	pthread_rwlock_unlock(&d->lock);
	if (c->tls == NULL)
		goto fail;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(fd, (struct sockaddr *)&c->local, &ll) != 0)
		c->local.ss_family = 0;
	c->fd = fd;
	c->mtls = i;
	c->state = C_HANDSHAKE;
	c->id = atomic_fetch_add(&d->conn_seq, 1) + 1;
	c->last = now;
	c->hs_deadline = now + SIPD_HANDSHAKE_TIMEOUT;
	c->peer = PEER_NONE;
	return c;
fail:
	conn_free(c);
	return NULL;
}

/* Into the loop's epoll set and connection list.  0 / -1. */
static int
conn_attach(struct sipd_loop *l, struct conn *c)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		return -1;
	c->events = ev.events;
	atomic_fetch_add(&l->d->conns, 1);
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->nconns++;
	l->own.conns_open = l->nconns;
	l->own.conns_total++;
	return 0;
}

static void
do_accept(struct sipd_loop *l, int i, time_t now)
{
	for (int n = 0; n < 64; n++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct conn *c;
		char addr[64];
		uint8_t akey[16];
		int fd = accept4(l->lfd[i], (struct sockaddr *)&ss, &sl,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		sockaddr_ntop((struct sockaddr *)&ss, addr, sizeof(addr));
		limiter_addr_key((struct sockaddr *)&ss, akey);
		if (accept_admit(l, addr, akey) != 0) {
			close(fd);
			continue;
		}
		c = conn_new(l, i, fd, now);
		if (c != NULL) {
			snprintf(c->addr, sizeof(c->addr), "%s", addr);
			memcpy(c->akey, akey, sizeof(c->akey));
		}
		if (c == NULL || conn_attach(l, c) != 0) {
			conn_free(c);
			sipd_addr_release(l->d, akey);
			close(fd);
		}
	}
}

/* ---- once a second ------------------------------------------------------------------- */

static void
tick(struct sipd_loop *l, time_t now)
{
	struct conn *c, *n;

	sipd_loop_listen(l);
	for (c = l->conns; c != NULL; c = n) {
		n = c->next;
		if (c->state == C_HANDSHAKE && now >= c->hs_deadline) {
			l->own.handshake_failures++;
			log_msg(LOG_NOTICE, "sip peer=%s: TLS handshake timeout", c->addr);
			conn_close(l, c, NULL);
		} else if (now - c->last >= (time_t)l->d->o.idle_timeout) {
			conn_close(l, c, "idle");
		}
	}
	pthread_mutex_lock(&l->stats_lock);
	l->snap = l->own;
	pthread_mutex_unlock(&l->stats_lock);
}

void
sipd_loop_stats(struct sipd_loop *l, struct sipd_stats *out)
{
	const uint64_t *a;
	uint64_t *o;

	pthread_mutex_lock(&l->stats_lock);
	/* Both structs are made of uint64_t only: add them member-wise. */
	a = (const uint64_t *)&l->snap;
	o = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] += a[i];
	pthread_mutex_unlock(&l->stats_lock);
}

void *
sipd_loop_run(void *arg)
{
	struct sipd_loop *l = arg;
	struct epoll_event evs[256];

	while (!l->d->stop) {
		int n = epoll_wait(l->ep, evs, 256, 200);
		time_t now = time(NULL);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == TAG_LISTEN || evs[i].data.u64 == TAG_LISTEN + 1) {
				int li = (int)(evs[i].data.u64 - TAG_LISTEN);
				if (l->lfd[li] >= 0)
					do_accept(l, li, now);
				continue;
			}
			conn_event(l, evs[i].data.ptr, evs[i].events, now);
		}
		if (now != l->tick) {
			l->tick = now;
			tick(l, now);
		}
	}
	/* The bindings these connections held go with them; main() drops the
	 * node's rows from the store once every loop has stopped. */
	while (l->conns != NULL)
		conn_close(l, l->conns, NULL);
	for (int i = 0; i < 2; i++)
		listener_close(l, i);
	return NULL;
}

struct sipd_loop *
sipd_loop_new(struct sipd *d, int index, char *err, size_t errlen)
{
	struct sipd_loop *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		snprintf(err, errlen, "no memory");
		return NULL;
	}
	l->d = d;
	l->idx = index;
	l->lfd[0] = l->lfd[1] = -1;
	pthread_mutex_init(&l->stats_lock, NULL);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->reg = d->reg;
	l->resp = malloc(SIP_RESP_MAX);
	if (l->ep < 0 || l->reg == NULL || l->resp == NULL) {
		snprintf(err, errlen, "event loop %d: setup failed", index);
		sipd_loop_free(l);
		return NULL;
	}
	return l;
}

void
sipd_loop_free(struct sipd_loop *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < 2; i++)
		if (l->lfd[i] >= 0)
			close(l->lfd[i]);
	if (l->ep >= 0)
		close(l->ep);
	free(l->resp);
	pthread_mutex_destroy(&l->stats_lock);
	free(l);
}
