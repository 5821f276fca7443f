/*
 * transfer.c - a transfer's life in its loop: creation from an admitted
 * request (negotiation, its own socket), the by-peer table that recognises
 * a retransmitted RRQ, the end of a transfer and the deferred free.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tftp/loop_int.h"

/* A transfer socket's send buffer is raised for large windows, up to this. */
#define LOOP_SNDBUF_MAX (4 * 1024 * 1024)

/* ---- the by-peer table ---------------------------------------------------- */
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

int
tftp_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
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

struct transfer *
tftp_transfer_find(struct loop *l, const struct sockaddr_storage *peer)
{
	struct transfer *t;

	for (t = l->bypeer[peer_hash(peer)]; t; t = t->pnext)
		if (tftp_same_peer(&t->peer, peer))
			return t;
	return NULL;
}

static void
peer_link(struct loop *l, struct transfer *t)
{
	size_t h = peer_hash(&t->peer);

	t->pnext = l->bypeer[h];
	l->bypeer[h] = t;
}

static void
peer_unlink(struct loop *l, struct transfer *t)
{
	struct transfer **pp = &l->bypeer[peer_hash(&t->peer)];

	for (; *pp; pp = &(*pp)->pnext)
		if (*pp == t) {
			*pp = t->pnext;
			return;
		}
}

/* ---- creation ------------------------------------------------------------- */
/* A socket bound to the address the request was sent to (port chosen by the
 * kernel: the transfer's TID), so a multi-homed host answers from the
 * address the client knows. */
static int
transfer_socket(struct loop *l, const struct local_dst *ld)
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
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Options, block count and retransmission policy of a new transfer. */
static void
transfer_negotiate(const struct tftp_config *cfg, struct transfer *t,
                   const struct tftp_request *req)
{
	tftp_ascii_init(&t->abase);
	tftp_negotiate(req, &cfg->limits, t->netascii ? -1 : (int64_t)t->src->size, &t->neg);
	tftp_xfer_init(&t->x, &t->neg,
	               t->netascii ? 0 : t->src->size / t->neg.blksize + 1,
	               cfg->rexmit_ms, cfg->rexmit_max_ms, cfg->retries);
	if (cfg->retries_first < t->x.retries_max)
		t->x.retries_first = cfg->retries_first;
}

/* The transfer's own socket, sized for its window and watched by epoll. */
static int
transfer_open(struct loop *l, struct transfer *t, const struct origin *o)
{
	struct epoll_event ev;

	if ((t->fd = transfer_socket(l, &o->ld)) < 0) {
		log_msg(LOG_ERR, "transfer socket for %s: %s", o->name, strerror(errno));
		return -1;
	}
	if ((uint64_t)t->neg.windowsize * t->neg.blksize > 128 * 1024) {
		uint64_t want = (uint64_t)t->neg.windowsize * (t->neg.blksize + 64) * 2;
		int sz = want > LOOP_SNDBUF_MAX ? LOOP_SNDBUF_MAX : (int)want;
		setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = t;
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, t->fd, &ev);
}

/* What a resolved request holds when no transfer takes it over. */
static void
res_release(struct loop *l, struct tftp_res *res)
{
	if (res->kind == TFTP_RES_BYTES)
		tftp_src_unref(&l->cache, res->src);
	else if (res->fd >= 0)
		close(res->fd);
}

struct transfer *
tftp_transfer_new(struct loop *l, const struct origin *o, const struct tftp_request *req,
                  struct tftp_res *res, const char *fname, uint64_t now)
{
	struct transfer *t = calloc(1, sizeof(*t));
	char err[96];

	if (t == NULL) {
		res_release(l, res);
		return NULL;
	}
	t->kind = EV_TRANSFER;
	t->l = l;
	t->fd = -1;
	t->hidx = (size_t)-1;
	if (res->kind == TFTP_RES_FILE) {
		/* tftp_cache_file owns the fd from here, also on failure */
		t->src = tftp_cache_file(&l->cache, res->fd, err, sizeof(err));
		if (t->src == NULL) {
			log_msg(LOG_ERR, "opening \"%s\" for %s: %s", fname, o->name, err);
			goto fail;
		}
	} else {
		t->src = res->src;
	}
	memcpy(&t->peer, &o->peer, o->peerlen);
	t->peerlen = o->peerlen;
	t->netascii = req->netascii;
	snprintf(t->name, sizeof(t->name), "%s", fname);
	snprintf(t->peername, sizeof(t->peername), "%s", o->name);
	transfer_negotiate(&l->s->cfg, t, req);
	if (transfer_open(l, t, o) < 0 || tftp_timer_add(l, t) < 0)
		goto fail;
	t->started = now;
	t->next = l->transfers;
	if (l->transfers)
		l->transfers->prev = t;
	l->transfers = t;
	peer_link(l, t);
	STAT(l, transfers_started, 1);
	STAT(l, transfers_active, 1);
	log_msg(LOG_DEBUG, "RRQ \"%s\" from %s, %s, blksize %u, windowsize %u", fname, o->name,
	        t->netascii ? "netascii" : "octet", t->neg.blksize, t->neg.windowsize);
	return t;
fail:
	if (t->fd >= 0)
		close(t->fd);
	tftp_src_unref(&l->cache, t->src);
	free(t);
	return NULL;
}

/* ---- end ------------------------------------------------------------------ */
void
tftp_transfer_end(struct loop *l, struct transfer *t, int ok)
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
	tftp_timer_del(l, t);
	peer_unlink(l, t);
	close(t->fd);
	t->fd = -1;
	t->dead = 1;
	if (t->prev) t->prev->next = t->next; else l->transfers = t->next;
	if (t->next) t->next->prev = t->prev;
	tftp_limiter_release(l->s->lim, (struct sockaddr *)&t->peer);
	tftp_src_unref(&l->cache, t->src);
	t->src = NULL;
	STAT(l, transfers_active, (uint64_t)-1);
	t->next = l->graveyard;
	l->graveyard = t;
}

void
tftp_transfers_bury(struct loop *l)
{
	while (l->graveyard) {
		struct transfer *t = l->graveyard;
		l->graveyard = t->next;
		tftp_readahead_free(l, t);
		free(t);
	}
}
