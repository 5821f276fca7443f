/*
 * server.c - oprov-sipd's event loops: one thread per core, each with its
 * own SO_REUSEPORT listening sockets, epoll set, connections and store
 * handle; the registrar's binding table is one for all loops (d->reg).
 * No thread or process per client.
 *
 * A connection is: TLS handshake (deadline --handshake-timeout) → on 5091
 * the peer name check → read, frame, answer each message.  Reads land in
 * the loop's scratch buffer and are answered from there; only the part of
 * a message still incomplete is kept in a buffer of the connection's own,
 * grown as needed up to SIPD_RBUF_MAX, freed once the message is whole —
 * which must happen within --message-timeout of its first byte.  Answers
 * the socket does not take at once wait in a write buffer (capped at
 * SIPD_WBUF_MAX, freed once drained).  So an idle registered phone holds
 * no buffer of ours, and OpenSSL releases its own (SSL_MODE_RELEASE_BUFFERS).
 *
 * Once a second each loop opens or closes its listeners when the cluster
 * SIP OAuth mode flips and closes connections past a deadline.  When the
 * Expressway-C entries change, each loop re-checks its 5091 peers within
 * its next wake-up (SIPD_WAKE_MS): one no longer listed is closed, one
 * listed again is trusted again.  When accept() runs out of descriptors
 * or memory, the loop stops accepting for a second (logged once per
 * episode) instead of spinning.  Expiring bindings and
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
	unsigned port;                   /* the peer's source port */
	uint8_t akey[16];                /* the peer address's limiter key */
	struct sockaddr_storage local;   /* for the Request-URI domain check */
	time_t last, hs_deadline;
	unsigned notifies;               /* NOTIFYs sent on it (actions.c) */
	time_t msg_start;                /* first byte of the incomplete message
	                                  * in rbuf; 0 when there is none */
	char *rbuf;                      /* NULL while rlen == 0 */
	size_t rlen, rcap;
	char *wbuf;                      /* NULL while wlen == 0 */
	size_t wlen, wcap;
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
	char *scratch;                   /* SIPD_RBUF_MAX: where reads land */
	time_t accept_paused;            /* accept() failed for want of fds or
	                                  * memory: listeners out of epoll
	                                  * until the next tick; 0 = no */
	int accept_episode;              /* logged this shortage already */
	unsigned peers_gen;              /* d->peers_gen last applied */
	unsigned nseen;                  /* d->nseq last looked at */
};

#define TAG_LISTEN 1u
#define SIPD_BUF_STEP 4096           /* connection buffers grow by doubling
                                      * from this */

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
	if (!l->accept_paused && epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
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

/* Makes room for `need` bytes in a connection buffer of at most `max`,
 * doubling from SIPD_BUF_STEP.  0 / -1 (over max or out of memory). */
static int
buf_reserve(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t nc = *cap ? *cap : SIPD_BUF_STEP;
	char *nb;

	if (need <= *cap)
		return 0;
	if (need > max)
		return -1;
	while (nc < need)
		nc *= 2;
	if (nc > max)
		nc = max;
	if ((nb = realloc(*buf, nc)) == NULL)
		return -1;
	*buf = nb;
	*cap = nc;
	return 0;
}

static void
buf_release(char **buf, size_t *cap)
{
	free(*buf);
	*buf = NULL;
	*cap = 0;
}

/* Queues bytes for the peer; -1 when the write buffer cap is hit (a peer
 * that does not read its responses is dropped). */
static int
conn_queue(struct conn *c, const char *p, size_t n)
{
	if (n > SIPD_WBUF_MAX - c->wlen ||
	    buf_reserve(&c->wbuf, &c->wcap, c->wlen + n, SIPD_WBUF_MAX) != 0)
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
	if (c->wlen == 0)
		buf_release(&c->wbuf, &c->wcap);
	return 0;
}

/* A device's final response to one of our NOTIFYs (actions.c): 1 when
 * consumed. */
static int
notify_answer(struct sipd_loop *l, struct conn *c, const char *p, size_t n)
{
	char call_id[SIP_CALLID_MAX];
	int code;

	if (n < 8 || memcmp(p, "SIP/2.0 ", 8) != 0 ||
	    sip_notify_answer(p, p + n, &code, call_id) != 1)
		return 0;
	sipd_actions_answer(l->d, c->id, call_id, code);
	return 1;
}

/* ---- Apply Config NOTIFYs (actions.c asks, the loop owning the
 * connection writes) -------------------------------------------------------- */

static struct conn *
conn_by_id(struct sipd_loop *l, uint64_t id)
{
	/* A scan of this loop's connections: admin actions are rare, and the
	 * hot path keeps no index it would have to maintain. */
	for (struct conn *c = l->conns; c != NULL; c = c->next)
		if (c->id == id && c->state == C_OPEN && !c->closing)
			return c;
	return NULL;
}

static int
notify_find(void *ctx, uint64_t id)
{
	return conn_by_id(ctx, id) != NULL;
}

static int
notify_send(void *ctx, uint64_t id, const char *p, size_t n)
{
	struct sipd_loop *l = ctx;
	struct conn *c = conn_by_id(l, id);

	if (c == NULL || conn_queue(c, p, n) != 0)
		return -1;
	c->notifies++;
	if (conn_flush(l, c) != 0) {
		conn_close(l, c, "write failed");
		return -1;
	}
	conn_watch(l, c);
	return 0;
}

/* Frames and answers everything complete in buf[0, len); *used gets how
 * much was consumed (the rest is an incomplete message).  -1 when the
 * write buffer is full. */
static int
conn_process(struct sipd_loop *l, struct conn *c, const char *buf, size_t len,
             time_t now, size_t *used_out)
{
	size_t off = 0;
	struct sip_conn_info ci = {
		.conn_id = c->id, .mtls = c->mtls, .peer = c->peer,
		.peer_addr = c->addr, .peer_port = c->port,
		.cfg = c->mtls ? &l->d->reg_mtls : &l->d->reg_tls,
		.auth_arg = l,
		.local = c->local.ss_family ? (const void *)&c->local : NULL,
	};

	*used_out = 0;
	while (off < len && !c->closing) {
		size_t mo, ml, used, outlen = 0;
		int status = 0;
		enum sip_frame_result fr = sip_frame(buf + off, len - off,
		                                     &mo, &ml, &used);
		enum sip_reg_outcome oc;

		if (fr == SIP_FRAME_NEED_MORE)
			break;
		switch (fr) {
		case SIP_FRAME_MESSAGE:
			if (c->notifies > 0 && notify_answer(l, c, buf + off + mo, ml))
				break;
			oc = sip_reg_handle(l->reg, &ci, buf + off + mo,
			                    buf + off + mo + ml, now, l->resp,
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
			used = len - off;
			break;
		}
		off += used;
		*used_out = off;
	}
	return 0;
}

/* Answers what arrived: from the scratch buffer when nothing was pending
 * (the usual case: a whole message in one read), else from the
 * connection's own.  Keeps what is left of an incomplete message, and
 * when it started.  0 / -1 (write buffer full, or no memory for the rest). */
static int
conn_input(struct sipd_loop *l, struct conn *c, size_t k, time_t now)
{
	size_t used;

	if (c->rbuf == NULL) {
		if (conn_process(l, c, l->scratch, k, now, &used) != 0)
			return -1;
		if (used == k || c->closing)
			return 0;
		if (buf_reserve(&c->rbuf, &c->rcap, k - used, SIPD_RBUF_MAX) != 0)
			return -1;
		memcpy(c->rbuf, l->scratch + used, k - used);
		c->rlen = k - used;
		c->msg_start = now;
		return 0;
	}
	c->rlen += k;
	if (conn_process(l, c, c->rbuf, c->rlen, now, &used) != 0)
		return -1;
	if (used == 0)
		return 0;
	memmove(c->rbuf, c->rbuf + used, c->rlen - used);
	c->rlen -= used;
	if (c->rlen == 0) {
		buf_release(&c->rbuf, &c->rcap);
		c->msg_start = 0;
	} else {
		c->msg_start = now;     /* the next message's deadline */
	}
	return 0;
}

/* Where the next read lands and how much it may take: the scratch buffer,
 * or after the pending bytes of an incomplete message. */
static char *
conn_read_room(struct sipd_loop *l, struct conn *c, size_t *room)
{
	if (c->rbuf == NULL) {
		*room = SIPD_RBUF_MAX;
		return l->scratch;
	}
	if (c->rcap - c->rlen < SIPD_BUF_STEP / 2 && c->rcap < SIPD_RBUF_MAX)
		(void)buf_reserve(&c->rbuf, &c->rcap, c->rcap + 1, SIPD_RBUF_MAX);
	*room = c->rcap - c->rlen;
	return c->rbuf + c->rlen;
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
		size_t room;
		char *dst;
		long k;

		if (c->closing)
			break;
		dst = conn_read_room(l, c, &room);
		if (room == 0) {
			/* The framer answers 513 before this can happen. */
			conn_close(l, c, "read buffer full");
			return;
		}
		k = sip_tls_read(c->tls, dst, room, err, sizeof(err));
		if (k > 0) {
			if (conn_input(l, c, (size_t)k, now) != 0) {
				conn_close(l, c, "write buffer full or no memory");
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

	if (c == NULL)
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
	c->hs_deadline = now + (time_t)d->o.handshake_timeout;
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

/* accept() found no descriptor or memory: a pending connection would wake
 * the loop again at once, so the listeners leave the epoll set until the
 * next tick (accept_resume).  Said once per episode of the daemon. */
static void
accept_pause(struct sipd_loop *l, time_t now)
{
	for (int i = 0; i < 2; i++)
		if (l->lfd[i] >= 0)
			epoll_ctl(l->ep, EPOLL_CTL_DEL, l->lfd[i], NULL);
	l->accept_paused = now;
	l->own.accept_pauses++;
	if (!l->accept_episode) {
		l->accept_episode = 1;
		if (atomic_fetch_add(&l->d->accept_short, 1) == 0)
			log_msg(LOG_WARNING, "sip: accept: %s; not accepting for a "
			        "second at a time until it passes (%zu connections "
			        "open in this loop)", strerror(errno), l->nconns);
	}
}

static void
accept_resume(struct sipd_loop *l)
{
	struct epoll_event ev;

	l->accept_paused = 0;
	for (int i = 0; i < 2; i++) {
		if (l->lfd[i] < 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = TAG_LISTEN + (uint64_t)i;
		(void)epoll_ctl(l->ep, EPOLL_CTL_ADD, l->lfd[i], &ev);
	}
}

static void
accept_episode_end(struct sipd_loop *l)
{
	if (!l->accept_episode)
		return;
	l->accept_episode = 0;
	if (atomic_fetch_sub(&l->d->accept_short, 1) == 1)
		log_msg(LOG_NOTICE, "sip: accepting connections again");
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

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				accept_pause(l, now);
			else if (errno == EAGAIN || errno == EWOULDBLOCK)
				accept_episode_end(l);  /* nothing pending: no shortage seen */
			return;
		}
		accept_episode_end(l);
		sockaddr_ntop((struct sockaddr *)&ss, addr, sizeof(addr));
		limiter_addr_key((struct sockaddr *)&ss, akey);
		if (accept_admit(l, addr, akey) != 0) {
			close(fd);
			continue;
		}
		c = conn_new(l, i, fd, now);
		if (c != NULL) {
			snprintf(c->addr, sizeof(c->addr), "%s", addr);
			c->port = (unsigned)sockaddr_port((struct sockaddr *)&ss);
			memcpy(c->akey, akey, sizeof(c->akey));
		}
		if (c == NULL || conn_attach(l, c) != 0) {
			conn_free(c);
			sipd_addr_release(l->d, akey);
			close(fd);
		}
	}
}

/* ---- the Expressway-C entries changed ------------------------------------------- */

/* Each 5091 connection's peer against the current entries: one no longer
 * listed is closed (its bindings go with it), one listed again is trusted
 * again without a reconnect. */
static void
peers_recheck(struct sipd_loop *l)
{
	const struct gate_snap *snap = gate_snap(l->d->gate);
	struct conn *c, *n;

	for (c = l->conns; c != NULL; c = n) {
		enum policy_peer p;

		n = c->next;
		if (!c->mtls || c->state != C_OPEN)
			continue;
		p = sip_tls_peer(c->tls, snap->xnames, snap->nxnames);
		if (c->peer == PEER_TRUSTED && p != PEER_TRUSTED) {
			log_msg(LOG_NOTICE, "sip 5091 peer=%s conn=%llu: no longer a "
			        "listed Expressway-C; closed", c->addr,
			        (unsigned long long)c->id);
			conn_close(l, c, NULL);
			continue;
		}
		c->peer = p;
	}
	gate_snap_release(snap);
}

/* ---- once a second ------------------------------------------------------------------- */

static void
tick(struct sipd_loop *l, time_t now)
{
	struct conn *c, *n;

	if (l->accept_paused && now > l->accept_paused) {
		accept_resume(l);
		/* Ask at once: a shortage that has passed ends its episode
		 * even when no connection is pending on this loop. */
		for (int i = 0; i < 2 && !l->accept_paused; i++)
			if (l->lfd[i] >= 0)
				do_accept(l, i, now);
	}
	sipd_loop_listen(l);
	for (c = l->conns; c != NULL; c = n) {
		n = c->next;
		if (c->state == C_HANDSHAKE && now >= c->hs_deadline) {
			l->own.handshake_failures++;
			log_msg(LOG_NOTICE, "sip peer=%s: TLS handshake timeout", c->addr);
			conn_close(l, c, NULL);
		} else if (c->msg_start != 0 &&
		           now - c->msg_start >= (time_t)l->d->o.message_timeout) {
			l->own.message_timeouts++;
			log_msg(LOG_NOTICE, "sip peer=%s conn=%llu: message incomplete "
			        "%u s after its first byte (%zu bytes); closed",
			        c->addr, (unsigned long long)c->id,
			        l->d->o.message_timeout, c->rlen);
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
		int n = epoll_wait(l->ep, evs, 256, SIPD_WAKE_MS);
		time_t now = time(NULL);
		unsigned pg = atomic_load(&l->d->peers_gen);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == TAG_LISTEN || evs[i].data.u64 == TAG_LISTEN + 1) {
				int li = (int)(evs[i].data.u64 - TAG_LISTEN);
				if (l->lfd[li] >= 0)
					do_accept(l, li, now);
				continue;
			}
			conn_event(l, evs[i].data.ptr, evs[i].events, now);
		}
		if (pg != l->peers_gen) {
			l->peers_gen = pg;
			peers_recheck(l);
		}
		if (atomic_load(&l->d->nseq) != l->nseen) {
			l->nseen = atomic_load(&l->d->nseq);
			sipd_actions_send(l->d, l->idx, notify_find, notify_send, l, now);
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
	l->scratch = malloc(SIPD_RBUF_MAX);
	l->peers_gen = atomic_load(&d->peers_gen);
	if (l->ep < 0 || l->reg == NULL || l->resp == NULL || l->scratch == NULL) {
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
	free(l->scratch);
	pthread_mutex_destroy(&l->stats_lock);
	free(l);
}
