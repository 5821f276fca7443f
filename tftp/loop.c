/*
 * loop.c - the engine: one epoll loop per core, each with its own
 * SO_REUSEPORT listening socket, its transfers (each on a fresh ephemeral
 * socket), a min-heap of retransmission deadlines and a cache of sources.
 * Loops share nothing but the admission limiter and the stop/reload flags.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "tftp/tftp_int.h"

#define LOOP_BATCH      64      /* DATA packets per sendmmsg */
#define LOOP_EVENTS     256
#define LOOP_TICK_MS    250     /* longest sleep: stop and reload flags are polled */
#define LOOP_RECV_BURST 64      /* requests read per wake-up before serving others */
#define LOOP_SNDBUF_MAX (4 * 1024 * 1024)
/* Read-ahead of a transfer of a file too large to be held in memory: one
 * pread per 64 KiB rather than one per block. */
#define LOOP_READAHEAD  (64 * 1024)

enum ev_kind { EV_LISTEN = 1, EV_XFER };

struct loop;

struct xfer {
	int kind;                     /* EV_XFER: first, shares layout with struct ev */
	struct loop *l;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct tftp_xfer x;
	struct tftp_neg neg;
	int netascii;
	struct tftp_src *src;
	struct tftp_ascii abase;      /* netascii state at block acked + 1 */
	uint64_t deadline;
	size_t hidx;
	uint64_t started;
	uint64_t rexmit_seen;
	char name[96];
	char peername[INET6_ADDRSTRLEN];
	struct xfer *prev, *next;
	struct xfer *pnext;           /* chain of the by-peer table */
	int acked_any;                /* the peer has acknowledged something */
	int dead;                     /* ended; freed after the current batch */
	uint8_t *ra;                  /* read-ahead of a file source (lazily allocated) */
	uint64_t ra_off;
	size_t ra_len;
};

/* Transfers by peer address and port, to recognise a retransmitted RRQ.
 * SO_REUSEPORT hashes a given source to the same socket, so a per-loop
 * table sees every duplicate. */
#define LOOP_PEER_BUCKETS 4096

struct loop {
	int kind;                     /* EV_LISTEN */
	struct tftp_server *s;
	unsigned idx;
	pthread_t th;
	int started;
	int epfd, lfd;
	struct xfer **heap;
	size_t hn, hcap;
	struct xfer *xfers;
	/* Ended transfers wait here until the epoll batch is done: an event
	 * for one may still be queued behind the event that ended it (a new
	 * RRQ from the same client port ends the old transfer). */
	struct xfer *graveyard;
	struct xfer *bypeer[LOOP_PEER_BUCKETS];
	struct tftp_cache cache;
	struct tftp_resolver *res;
	uint8_t *buf;                 /* LOOP_BATCH blocks of the largest size */
	uint8_t *abuf;                /* netascii source bytes of one block */
	uint8_t hdr[LOOP_BATCH][4];
	struct mmsghdr msgs[LOOP_BATCH];
	struct iovec iov[LOOP_BATCH][2];
	unsigned reload_seen;
	uint64_t last_ratelog;
	uint64_t last_sweep;
	struct tftp_stats st;         /* written by this loop only, read by anyone */
};

struct tftp_server {
	struct tftp_config cfg;
	char *files, *listen, *datadir, *file_server;
	struct listen_addr la;
	int family;
	int port;
	unsigned n;
	struct loop *loops;
	struct tftp_limiter *lim;
	int stop;                     /* atomic */
	unsigned reload_gen;          /* atomic */
	int running;
};

#define STAT(l, f, n) __atomic_fetch_add(&(l)->st.f, (uint64_t)(n), __ATOMIC_RELAXED)

void
tftp_config_default(struct tftp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = "69";
	cfg->max_transfers = 10000;
	cfg->max_per_client = 128;
	cfg->rate = 200;
	cfg->burst = 400;
	cfg->retries = 5;
	cfg->retries_first = 2;
	cfg->rexmit_ms = 1000;
	cfg->rexmit_max_ms = 8000;
	cfg->cache_file_max = 1024 * 1024;
	cfg->cache_bytes = 64 * 1024 * 1024;
	tftp_limits_default(&cfg->limits);
}

/* ---- timer heap ---------------------------------------------------------- */
static void
heap_swap(struct loop *l, size_t a, size_t b)
{
	struct xfer *t = l->heap[a];
	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->hidx = a;
	l->heap[b]->hidx = b;
}

static void
heap_up(struct loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->deadline > l->heap[i]->deadline) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t m = i, c1 = 2 * i + 1, c2 = 2 * i + 2;
		if (c1 < l->hn && l->heap[c1]->deadline < l->heap[m]->deadline)
			m = c1;
		if (c2 < l->hn && l->heap[c2]->deadline < l->heap[m]->deadline)
			m = c2;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

static int
heap_add(struct loop *l, struct xfer *t)
{
	if (l->hn == l->hcap) {
		size_t nc = l->hcap ? l->hcap * 2 : 256;
		struct xfer **nh = realloc(l->heap, nc * sizeof(*nh));
		if (nh == NULL)
			return -1;
		l->heap = nh;
		l->hcap = nc;
	}
	t->hidx = l->hn;
	l->heap[l->hn++] = t;
	heap_up(l, t->hidx);
	return 0;
}

static void
heap_del(struct loop *l, struct xfer *t)
{
	size_t i = t->hidx;

	if (i >= l->hn || l->heap[i] != t)
		return;
	l->hn--;
	if (i != l->hn) {
		l->heap[i] = l->heap[l->hn];
		l->heap[i]->hidx = i;
		heap_down(l, i);
		heap_up(l, i);
	}
	t->hidx = (size_t)-1;
}

static void
arm(struct loop *l, struct xfer *t)
{
	t->deadline = tftp_now_ms() + t->x.rto_ms;
	heap_down(l, t->hidx);
	heap_up(l, t->hidx);
}

/* ---- packets out --------------------------------------------------------- */
struct local_dst {
	int have4, have6;
	struct in_pktinfo pi4;
	struct in6_pktinfo pi6;
};

/* Answers on the listening socket from the address the request was sent
 * to, so a multi-homed host replies from the address the client knows. */
static void
reply_listen(struct loop *l, const struct sockaddr *peer, socklen_t peerlen,
             const struct local_dst *ld, int code, const char *msg)
{
	uint8_t pkt[4 + TFTP_ERRMSG_MAX + 1];
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct iovec iov;
	struct msghdr mh;
	size_t n = tftp_build_error(pkt, sizeof(pkt), (uint16_t)code, msg);

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = pkt;
	iov.iov_len = n;
	mh.msg_name = (void *)peer;
	mh.msg_namelen = peerlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (ld->have6) {
		struct cmsghdr *cm;
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
		memcpy(CMSG_DATA(cm), &ld->pi6, sizeof(ld->pi6));
	} else if (ld->have4) {
		struct cmsghdr *cm;
		struct in_pktinfo pi = ld->pi4;
		pi.ipi_spec_dst = pi.ipi_addr;
		pi.ipi_ifindex = 0;
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(l->lfd, &mh, 0) < 0 && mh.msg_control != NULL) {
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		(void)sendmsg(l->lfd, &mh, 0);
	}
	STAT(l, errors_sent, 1);
}

static void
send_error(struct loop *l, int fd, const struct sockaddr *to, socklen_t tolen, int code,
           const char *msg)
{
	uint8_t pkt[4 + TFTP_ERRMSG_MAX + 1];
	size_t n = tftp_build_error(pkt, sizeof(pkt), (uint16_t)code, msg);

	(void)sendto(fd, pkt, n, 0, to, tolen);
	STAT(l, errors_sent, 1);
}

static void
send_oack(struct loop *l, struct xfer *t)
{
	uint8_t pkt[128];
	size_t n = tftp_build_oack(pkt, sizeof(pkt), &t->neg.oack);

	(void)sendto(t->fd, pkt, n, 0, (struct sockaddr *)&t->peer, t->peerlen);
}

/* One netascii block from state st into out; returns its length or -1. */
static long
ascii_block(struct loop *l, struct xfer *t, struct tftp_ascii *st, uint8_t *out)
{
	size_t got;
	const uint8_t *p = tftp_src_read(t->src, st->src, t->x.blksize, l->abuf, &got);

	if (p == NULL)
		return -1;
	return (long)tftp_ascii_fill(st, p, got, out, t->x.blksize);
}

static void
ascii_advance(struct loop *l, struct xfer *t, uint64_t blocks)
{
	while (blocks-- > 0)
		if (ascii_block(l, t, &t->abase, l->buf) < 0)
			return;
}

/* Octet bytes [off, off + len) of the source: from memory, from the
 * transfer's read-ahead buffer, or (a window larger than the buffer) read
 * into the loop's buffer.  *got is short only at the end of the source. */
static const uint8_t *
octet_bytes(struct loop *l, struct xfer *t, uint64_t off, size_t len, size_t *got)
{
	uint64_t end = off + len, have;

	if (t->src->mem != NULL || len > LOOP_READAHEAD ||
	    (t->ra == NULL && (t->ra = malloc(LOOP_READAHEAD)) == NULL))
		return tftp_src_read(t->src, off, len, l->buf, got);
	if (end > t->src->size)
		end = t->src->size;
	if (off < t->ra_off || end > t->ra_off + t->ra_len) {
		if (tftp_src_read(t->src, off, LOOP_READAHEAD, t->ra, &t->ra_len) == NULL)
			return NULL;
		t->ra_off = off;
	}
	have = t->ra_off + t->ra_len;
	*got = end < have ? (end > off ? (size_t)(end - off) : 0) : (size_t)(have - off);
	return t->ra + (off - t->ra_off);
}

/* Sends blocks first .. first+count-1, stopping after a short block.
 * Returns -1 on a read error. */
static int
send_window(struct loop *l, struct xfer *t, uint64_t first, uint32_t count)
{
	uint32_t bs = t->x.blksize;
	struct tftp_ascii st = t->abase;
	uint64_t idx = first;

	while (count > 0) {
		unsigned batch = count < LOOP_BATCH ? count : LOOP_BATCH;
		const uint8_t *base = NULL;
		size_t got = 0, lens[LOOP_BATCH];
		unsigned n = 0;
		int last = 0, sent;

		if (!t->netascii) {
			base = octet_bytes(l, t, (idx - 1) * bs, (size_t)batch * bs, &got);
			if (base == NULL)
				return -1;
		}
		while (n < batch && !last) {
			const uint8_t *data;
			size_t len;

			if (t->netascii) {
				long r = ascii_block(l, t, &st, l->buf + (size_t)n * bs);
				if (r < 0)
					return -1;
				data = l->buf + (size_t)n * bs;
				len = (size_t)r;
			} else {
				size_t off = (size_t)n * bs;
				data = base + (off < got ? off : got);
				len = off < got ? (got - off < bs ? got - off : bs) : 0;
			}
			tftp_build_data_header(l->hdr[n], 4, tftp_block_wire(idx + n));
			l->iov[n][0].iov_base = l->hdr[n];
			l->iov[n][0].iov_len = 4;
			l->iov[n][1].iov_base = (void *)data;
			l->iov[n][1].iov_len = len;
			memset(&l->msgs[n], 0, sizeof(l->msgs[n]));
			l->msgs[n].msg_hdr.msg_name = &t->peer;
			l->msgs[n].msg_hdr.msg_namelen = t->peerlen;
			l->msgs[n].msg_hdr.msg_iov = l->iov[n];
			l->msgs[n].msg_hdr.msg_iovlen = 2;
			lens[n] = len;
			last = len < bs;
			n++;
		}
		sent = sendmmsg(t->fd, l->msgs, n, 0);
		if (sent < 0)
			sent = 0;     /* buffer full or unreachable: the timer resends */
		for (int j = 0; j < sent; j++) {
			tftp_xfer_sent(&t->x, idx + (unsigned)j, lens[j]);
			STAT(l, bytes_sent, lens[j]);
		}
		STAT(l, blocks_sent, sent);
		if ((unsigned)sent < n || last)
			break;
		idx += n;
		count -= n;
	}
	return 0;
}

/* ---- transfer life ------------------------------------------------------- */
/* The bucket of a peer (address and port) in the by-peer table, keyed
 * with the per-process SipHash key: a client cannot choose source ports
 * that pile its transfers into one chain. */
static size_t
peer_hash(const struct sockaddr_storage *ss)
{
	uint8_t key[16 + 2];
	size_t n;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		memcpy(key, &s4->sin_addr, 4);
		memcpy(key + 4, &s4->sin_port, 2);
		n = 4 + 2;
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		memcpy(key, &s6->sin6_addr, 16);
		memcpy(key + 16, &s6->sin6_port, 2);
		n = 16 + 2;
	}
	return (size_t)(hash_mem(key, n) % LOOP_PEER_BUCKETS);
}

static int same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

static struct xfer *
peer_find(struct loop *l, const struct sockaddr_storage *ss)
{
	struct xfer *t;

	for (t = l->bypeer[peer_hash(ss)]; t; t = t->pnext)
		if (same_peer(&t->peer, ss))
			return t;
	return NULL;
}

static void
peer_unlink(struct loop *l, struct xfer *t)
{
	struct xfer **pp = &l->bypeer[peer_hash(&t->peer)];

	for (; *pp; pp = &(*pp)->pnext)
		if (*pp == t) {
			*pp = t->pnext;
			return;
		}
}

static void
xfer_end(struct loop *l, struct xfer *t, int ok)
{
	uint64_t ms = tftp_now_ms() - t->started;

	if (ok) {
		STAT(l, transfers_completed, 1);
		log_msg(LOG_DEBUG, "sent \"%s\" to %s: %llu bytes in %llu ms", t->name,
		        t->peername, (unsigned long long)(t->src ? t->src->size : 0),
		        (unsigned long long)ms);
	} else {
		STAT(l, transfers_failed, 1);
	}
	heap_del(l, t);
	peer_unlink(l, t);
	close(t->fd);
	t->fd = -1;
	t->dead = 1;
	if (t->prev) t->prev->next = t->next; else l->xfers = t->next;
	if (t->next) t->next->prev = t->prev;
	tftp_limiter_release(l->s->lim, (struct sockaddr *)&t->peer);
	tftp_src_unref(&l->cache, t->src);
	t->src = NULL;
	STAT(l, transfers_active, (uint64_t)-1);
	t->next = l->graveyard;
	l->graveyard = t;
}

static void
bury(struct loop *l)
{
	while (l->graveyard) {
		struct xfer *t = l->graveyard;
		l->graveyard = t->next;
		free(t->ra);
		free(t);
	}
}

/* Runs an action; returns 1 when the transfer is gone. */
static int
act(struct loop *l, struct xfer *t, struct tftp_action a)
{
	if (t->x.retransmits != t->rexmit_seen) {
		STAT(l, retransmits, t->x.retransmits - t->rexmit_seen);
		t->rexmit_seen = t->x.retransmits;
	}
	switch (a.kind) {
	case TFTP_ACT_NONE:
		return 0;
	case TFTP_ACT_SEND_OACK:
		send_oack(l, t);
		arm(l, t);
		return 0;
	case TFTP_ACT_SEND:
		if (send_window(l, t, a.first, a.count) < 0) {
			log_msg(LOG_ERR, "reading \"%s\" for %s failed", t->name, t->peername);
			send_error(l, t->fd, (struct sockaddr *)&t->peer, t->peerlen,
			           TFTP_EUNDEF, "Read error");
			xfer_end(l, t, 0);
			return 1;
		}
		arm(l, t);
		return 0;
	case TFTP_ACT_DONE:
		xfer_end(l, t, 1);
		return 1;
	case TFTP_ACT_FAIL:
		STAT(l, timeouts, 1);
		log_msg(LOG_INFO, "transfer of \"%s\" to %s timed out", t->name, t->peername);
		xfer_end(l, t, 0);
		return 1;
	}
	return 0;
}

static int
same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return 0;
}

static void
on_xfer(struct loop *l, struct xfer *t)
{
	uint8_t buf[TFTP_REQUEST_MAX + 64];

	if (t->dead)
		return;

	for (int k = 0; k < 32; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		struct tftp_packet pkt;
		ssize_t n = recvfrom(t->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		if (!same_peer(&from, &t->peer)) {
			/* RFC 1350 §4: another TID gets ERROR 5, and the
			 * transfer goes on undisturbed. */
			STAT(l, wrong_tid, 1);
			if (tftp_limiter_rate(l->s->lim, (struct sockaddr *)&from, tftp_now_ms()) == 0)
				send_error(l, t->fd, (struct sockaddr *)&from, fl, TFTP_EBADID,
				           tftp_error_text(TFTP_EBADID));
			continue;
		}
		if (n < 4 && !(n >= 2 && buf[1] == TFTP_ERROR))
			continue;
		if (tftp_packet_parse(buf, (size_t)n, &pkt) < 0 && !(n >= 2 && buf[1] == TFTP_ERROR))
			continue;
		if (buf[0] == 0 && buf[1] == TFTP_ACK) {
			uint64_t before = t->x.acked;
			t->acked_any = 1;
			struct tftp_action a = tftp_xfer_ack(&t->x, (uint16_t)((buf[2] << 8) | buf[3]));
			if (t->netascii && t->x.acked > before && a.kind == TFTP_ACT_SEND)
				ascii_advance(l, t, t->x.acked - before);
			/* After a send, wait for the next wake-up rather than
			 * spend a recvfrom on the EAGAIN that usually follows
			 * (epoll is level-triggered: nothing is lost). */
			if (act(l, t, a) || a.kind != TFTP_ACT_NONE)
				return;
		} else if (buf[0] == 0 && buf[1] == TFTP_ERROR) {
			char m[96];
			STAT(l, peer_errors, 1);
			/* An ERROR ends the transfer, even a malformed one; it
			 * is never answered (RFC 1350 §7). */
			str_sanitize(m, sizeof(m), pkt.msg ? pkt.msg : "", pkt.msg ? pkt.msglen : 0);
			log_msg(LOG_INFO, "%s aborted \"%s\": error %u \"%s\"", t->peername, t->name,
			        n >= 4 ? (unsigned)((buf[2] << 8) | buf[3]) : 0u, m);
			xfer_end(l, t, 0);
			return;
		} else {
			send_error(l, t->fd, (struct sockaddr *)&t->peer, t->peerlen, TFTP_EBADOP,
			           tftp_error_text(TFTP_EBADOP));
			xfer_end(l, t, 0);
			return;
		}
	}
}

static int
xfer_socket(struct loop *l, const struct sockaddr *peer, const struct local_dst *ld)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(l->s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (l->s->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		if (ld->have4)
			s4->sin_addr = ld->pi4.ipi_addr;
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		if (ld->have6) {
			s6->sin6_addr = ld->pi6.ipi6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				s6->sin6_scope_id = (uint32_t)ld->pi6.ipi6_ifindex;
		} else if (ld->have4) {
			/* An IPv4 client of the dual-stack socket: answer from the
			 * v4-mapped form of the address it wrote to. */
			s6->sin6_addr.s6_addr[10] = 0xff;
			s6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&s6->sin6_addr.s6_addr[12], &ld->pi4.ipi_addr, 4);
		}
		len = sizeof(*s6);
	}
	(void)peer;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
on_request(struct loop *l, const uint8_t *buf, size_t n, struct sockaddr_storage *peer,
           socklen_t peerlen, const struct local_dst *ld)
{
	struct tftp_server *s = l->s;
	struct sockaddr *pa = (struct sockaddr *)peer;
	struct tftp_request req;
	struct tftp_res res;
	struct xfer *t = NULL;
	char err[96], pname[INET6_ADDRSTRLEN], fname[96];
	struct epoll_event ev;
	int code;
	uint64_t now = tftp_now_ms();
	struct tftp_action a;
	enum tftp_admit adm;

	STAT(l, requests, 1);
	if (tftp_limiter_rate(s->lim, pa, now) < 0) {
		STAT(l, refused_rate, 1);
		if (now - l->last_ratelog >= 1000) {
			l->last_ratelog = now;
			log_msg(LOG_NOTICE, "request rate of %s over the limit: dropping",
			        sockaddr_ntop(pa, pname, sizeof(pname)));
		}
		return;
	}
	/* DATA, ACK, ERROR and OACK have no business on the listening port
	 * (tftp-hpa's client, for one, acknowledges an ERROR there): dropped
	 * without an answer, which also keeps us from being a reflector. */
	if (n < 2 || (buf[0] == 0 && buf[1] >= TFTP_DATA && buf[1] <= TFTP_OACK))
		return;
	sockaddr_ntop(pa, pname, sizeof(pname));
	if (tftp_request_parse(buf, n, &req, &code, err, sizeof(err)) < 0) {
		if (code == TFTP_EOPTNEG)
			STAT(l, refused_options, 1);
		else
			STAT(l, refused_malformed, 1);
		log_msg(LOG_NOTICE, "refused request from %s: %s", pname, err);
		reply_listen(l, pa, peerlen, ld, code, code == TFTP_EOPTNEG ?
		             tftp_error_text(code) : err);
		return;
	}
	str_sanitize(fname, sizeof(fname), req.filename, req.filename_len);
	if ((t = peer_find(l, peer)) != NULL) {
		/* The client resent its RRQ before our first answer reached
		 * it: the running transfer's timer answers that.  Past the
		 * first ACK it is a new request from a reused port. */
		if (!t->acked_any)
			return;
		xfer_end(l, t, 0);
		t = NULL;
	}
	if (req.opcode == TFTP_WRQ) {
		STAT(l, refused_write, 1);
		log_msg(LOG_NOTICE, "refused write of \"%s\" from %s: read-only server", fname, pname);
		reply_listen(l, pa, peerlen, ld, TFTP_EACCESS, "Access violation: read-only server");
		return;
	}
	if ((adm = tftp_limiter_admit(s->lim, pa)) != TFTP_ADMIT_OK) {
		if (adm == TFTP_ADMIT_TOTAL)
			STAT(l, refused_total_cap, 1);
		else if (adm == TFTP_ADMIT_CLIENT)
			STAT(l, refused_client_cap, 1);
		else
			STAT(l, refused_rate, 1);
		log_msg(LOG_NOTICE, "refused \"%s\" to %s: %s", fname, pname,
		        adm == TFTP_ADMIT_TOTAL ? "too many transfers" :
		        adm == TFTP_ADMIT_CLIENT ? "too many transfers for this address" :
		        "too many client addresses tracked");
		reply_listen(l, pa, peerlen, ld, TFTP_EUNDEF, "Too many transfers, retry later");
		return;
	}
	tftp_resolve(l->res, &l->cache, req.filename, req.filename_len, &res);
	if (res.kind == TFTP_RES_REFUSE) {
		if (res.oauth)
			STAT(l, refused_oauth, 1);
		else if (res.code == TFTP_ENOTFOUND)
			STAT(l, refused_not_found, 1);
		else
			STAT(l, refused_access, 1);
		log_msg(LOG_NOTICE, "refused \"%s\" to %s: error %d, %s", fname, pname, res.code,
		        res.why);
		reply_listen(l, pa, peerlen, ld, res.code, res.msg);
		tftp_limiter_release(s->lim, pa);
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto fail;
	t->kind = EV_XFER;
	t->l = l;
	t->fd = -1;
	t->hidx = (size_t)-1;
	if (res.kind == TFTP_RES_FILE) {
		t->src = tftp_cache_file(&l->cache, res.fd, err, sizeof(err));
		if (t->src == NULL) {
			log_msg(LOG_ERR, "opening \"%s\" for %s: %s", fname, pname, err);
			goto fail;
		}
	} else {
		t->src = res.src;
	}
	memcpy(&t->peer, peer, peerlen);
	t->peerlen = peerlen;
	t->netascii = req.netascii;
	snprintf(t->name, sizeof(t->name), "%s", fname);
	snprintf(t->peername, sizeof(t->peername), "%s", pname);
	tftp_ascii_init(&t->abase);
	tftp_negotiate(&req, &s->cfg.limits, t->netascii ? -1 : (int64_t)t->src->size, &t->neg);
	tftp_xfer_init(&t->x, &t->neg,
	               t->netascii ? 0 : t->src->size / t->neg.blksize + 1,
	               s->cfg.rexmit_ms, s->cfg.rexmit_max_ms, s->cfg.retries);
	if (s->cfg.retries_first < t->x.retries_max)
		t->x.retries_first = s->cfg.retries_first;
	if ((t->fd = xfer_socket(l, pa, ld)) < 0) {
		log_msg(LOG_ERR, "transfer socket for %s: %s", pname, strerror(errno));
		goto fail;
	}
	if ((uint64_t)t->neg.windowsize * t->neg.blksize > 128 * 1024) {
		uint64_t want = (uint64_t)t->neg.windowsize * (t->neg.blksize + 64) * 2;
		int sz = want > LOOP_SNDBUF_MAX ? LOOP_SNDBUF_MAX : (int)want;
		setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = t;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, t->fd, &ev) < 0 || heap_add(l, t) < 0)
		goto fail;
	t->started = now;
	t->next = l->xfers;
	if (l->xfers)
		l->xfers->prev = t;
	l->xfers = t;
	{
		size_t h = peer_hash(&t->peer);
		t->pnext = l->bypeer[h];
		l->bypeer[h] = t;
	}
	STAT(l, transfers_started, 1);
	STAT(l, transfers_active, 1);
	log_msg(LOG_DEBUG, "RRQ \"%s\" from %s, %s, blksize %u, windowsize %u", fname, pname,
	        t->netascii ? "netascii" : "octet", t->neg.blksize, t->neg.windowsize);
	a = tftp_xfer_start(&t->x);
	act(l, t, a);
	return;
fail:
	if (t) {
		if (t->fd >= 0)
			close(t->fd);
		tftp_src_unref(&l->cache, t->src);
		free(t->ra);
		free(t);
	} else if (res.kind == TFTP_RES_BYTES) {
		tftp_src_unref(&l->cache, res.src);
	} else if (res.fd >= 0) {
		close(res.fd);
	}
	tftp_limiter_release(s->lim, pa);
	reply_listen(l, pa, peerlen, ld, TFTP_EUNDEF, "Server error");
}

static void
on_listen(struct loop *l)
{
	uint8_t buf[TFTP_REQUEST_MAX + 64];

	for (int k = 0; k < LOOP_RECV_BURST; k++) {
		struct sockaddr_storage peer;
		char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh;
		struct local_dst ld;
		struct cmsghdr *cm;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &peer;
		mh.msg_namelen = sizeof(peer);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if ((n = recvmsg(l->lfd, &mh, 0)) < 0)
			return;
		memset(&ld, 0, sizeof(ld));
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				memcpy(&ld.pi4, CMSG_DATA(cm), sizeof(ld.pi4));
				ld.have4 = 1;
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				memcpy(&ld.pi6, CMSG_DATA(cm), sizeof(ld.pi6));
				ld.have6 = !IN6_IS_ADDR_V4MAPPED(&ld.pi6.ipi6_addr);
				if (!ld.have6) {
					ld.have4 = 1;
					memcpy(&ld.pi4.ipi_addr, &ld.pi6.ipi6_addr.s6_addr[12], 4);
				}
			}
		}
		if (mh.msg_flags & MSG_TRUNC)
			n = TFTP_REQUEST_MAX + 1;    /* refused as too long */
		on_request(l, buf, (size_t)n, &peer, mh.msg_namelen, &ld);
	}
}

static void
on_timers(struct loop *l)
{
	uint64_t now = tftp_now_ms();

	while (l->hn > 0 && l->heap[0]->deadline <= now) {
		struct xfer *t = l->heap[0];
		act(l, t, tftp_xfer_timeout(&t->x));
	}
}

static void *
loop_main(void *arg)
{
	struct loop *l = arg;
	struct tftp_server *s = l->s;
	struct epoll_event evs[LOOP_EVENTS];

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		int timeout = LOOP_TICK_MS, n;
		unsigned rg = __atomic_load_n(&s->reload_gen, __ATOMIC_RELAXED);

		if (rg != l->reload_seen) {
			char err[256];
			l->reload_seen = rg;
			tftp_cache_flush(&l->cache);
			if (tftp_resolver_reopen(l->res, err, sizeof(err)) < 0)
				log_msg(LOG_ERR, "reload: %s (keeping the old root)", err);
		}
		if (l->hn > 0) {
			uint64_t now = tftp_now_ms();
			uint64_t d = l->heap[0]->deadline;
			timeout = d <= now ? 0 : d - now < LOOP_TICK_MS ? (int)(d - now) : LOOP_TICK_MS;
		}
		n = epoll_wait(l->epfd, evs, LOOP_EVENTS, timeout);
		for (int i = 0; i < n; i++) {
			int kind = *(int *)evs[i].data.ptr;
			if (kind == EV_LISTEN)
				on_listen(l);
			else
				on_xfer(l, evs[i].data.ptr);
		}
		on_timers(l);
		bury(l);
		if (l->idx == 0 && tftp_now_ms() - l->last_sweep >= 5000) {
			l->last_sweep = tftp_now_ms();
			tftp_limiter_sweep(s->lim, l->last_sweep);
		}
	}
	return NULL;
}

/* ---- server -------------------------------------------------------------- */
static void
enable_pktinfo(int fd, int family)
{
	int one = 1, rcv = 4 * 1024 * 1024;

	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	/* A boot storm arrives as a burst of requests: give it room. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

static void
loop_close(struct loop *l)
{
	while (l->xfers)
		xfer_end(l, l->xfers, 0);
	bury(l);
	tftp_cache_free(&l->cache);
	tftp_resolver_free(l->res);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->lfd >= 0)
		close(l->lfd);
	free(l->heap);
	free(l->buf);
	free(l->abuf);
}

struct tftp_server *
tftp_server_new(const struct tftp_config *cfg, char *err, size_t errlen)
{
	struct tftp_server *s = calloc(1, sizeof(*s));
	struct listen_addr la;
	long ncpu;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->files = strdup(cfg->files ? cfg->files : ".");
	s->listen = strdup(cfg->listen ? cfg->listen : "69");
	s->datadir = cfg->datadir ? strdup(cfg->datadir) : NULL;
	s->file_server = cfg->file_server ? strdup(cfg->file_server) : NULL;
	if (s->files == NULL || s->listen == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->cfg.files = s->files;
	s->cfg.listen = s->listen;
	s->cfg.datadir = s->datadir;
	s->cfg.file_server = s->file_server;
	if (listen_parse(s->listen, 69, &s->la, err, errlen) < 0)
		goto fail;
	if (s->la.off) {
		snprintf(err, errlen, "--listen off leaves nothing to serve");
		goto fail;
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	s->n = cfg->threads ? cfg->threads : ncpu > 0 ? (unsigned)ncpu : 1;
	if (s->n > 256)
		s->n = 256;
	s->lim = tftp_limiter_new(cfg->max_transfers, cfg->max_per_client, cfg->rate, cfg->burst);
	s->loops = calloc(s->n, sizeof(*s->loops));
	if (s->lim == NULL || s->loops == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < s->n; i++)
		s->loops[i].lfd = s->loops[i].epfd = -1;
	la = s->la;
	for (unsigned i = 0; i < s->n; i++) {
		struct loop *l = &s->loops[i];
		struct epoll_event ev;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		l->kind = EV_LISTEN;
		l->s = s;
		l->idx = i;
		tftp_cache_init(&l->cache, cfg->cache_file_max, cfg->cache_bytes);
		if ((l->lfd = listen_socket(&la, SOCK_DGRAM, 1, 0, err, errlen)) < 0)
			goto fail;
		if (getsockname(l->lfd, (struct sockaddr *)&ss, &sl) < 0) {
			snprintf(err, errlen, "getsockname: %s", strerror(errno));
			goto fail;
		}
		s->family = ss.ss_family;
		if (i == 0) {
			/* Port 0: every later loop binds the port the first got. */
			s->port = listen_bound_port(l->lfd);
			if (la.ss.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&la.ss)->sin6_port = htons((uint16_t)s->port);
			else
				((struct sockaddr_in *)&la.ss)->sin_port = htons((uint16_t)s->port);
		}
		enable_pktinfo(l->lfd, s->family);
		if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			goto fail;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = l;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->lfd, &ev) < 0) {
			snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
			goto fail;
		}
		l->buf = malloc((size_t)LOOP_BATCH * TFTP_BLKSIZE_MAX);
		l->abuf = malloc(TFTP_BLKSIZE_MAX);
		if (l->buf == NULL || l->abuf == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if ((l->res = tftp_resolver_new(s->files, s->datadir, s->file_server, err, errlen)) == NULL)
			goto fail;
	}
	return s;
fail:
	tftp_server_free(s);
	return NULL;
}

int
tftp_server_port(const struct tftp_server *s)
{
	return s->port;
}

int
tftp_server_start(struct tftp_server *s, char *err, size_t errlen)
{
	for (unsigned i = 0; i < s->n; i++) {
		int e = pthread_create(&s->loops[i].th, NULL, loop_main, &s->loops[i]);
		if (e != 0) {
			snprintf(err, errlen, "pthread_create: %s", strerror(e));
			return -1;
		}
		s->loops[i].started = 1;
	}
	s->running = 1;
	return 0;
}

int
tftp_server_reload(struct tftp_server *s, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	__atomic_add_fetch(&s->reload_gen, 1, __ATOMIC_RELAXED);
	return 0;
}

void
tftp_server_stats(struct tftp_server *s, struct tftp_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < s->n; i++) {
#define ADD(f) out->f += __atomic_load_n(&s->loops[i].st.f, __ATOMIC_RELAXED);
		TFTP_STATS(ADD)
#undef ADD
	}
}

void
tftp_server_free(struct tftp_server *s)
{
	if (s == NULL)
		return;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	if (s->loops) {
		for (unsigned i = 0; i < s->n; i++)
			if (s->loops[i].started)
				pthread_join(s->loops[i].th, NULL);
		for (unsigned i = 0; i < s->n; i++)
			loop_close(&s->loops[i]);
	}
	free(s->loops);
	tftp_limiter_free(s->lim);
	free(s->files);
	free(s->listen);
	free(s->datadir);
	free(s->file_server);
	free(s);
}
