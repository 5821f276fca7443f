/*
 * loop.c - the event loop of oprov-tftpd and the server object of tftp.h:
 * per core, a thread waiting in epoll on its listening socket and its
 * transfers' sockets, with a min-heap of retransmission deadlines; the
 * listening sockets (SO_REUSEPORT, one port for all loops), start, reload,
 * counters and shutdown.  loop_int.h maps the rest of the engine.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tftp/loop_int.h"

#define LOOP_EVENTS     256
#define LOOP_TICK_MS    250     /* longest sleep: stop and reload flags are polled */

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
	cfg->transfer_memory = TFTP_TRANSFER_MEMORY;
	tftp_limits_default(&cfg->limits);
}

/* ---- retransmission timers: a min-heap of deadlines ----------------------- */
static void
heap_swap(struct loop *l, size_t a, size_t b)
{
	struct transfer *t = l->heap[a];
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

int
tftp_timer_add(struct loop *l, struct transfer *t)
{
	if (l->hn == l->hcap) {
		size_t nc = l->hcap ? l->hcap * 2 : 256;
		struct transfer **nh = realloc(l->heap, nc * sizeof(*nh));
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

void
tftp_timer_del(struct loop *l, struct transfer *t)
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

void
tftp_timer_arm(struct loop *l, struct transfer *t)
{
	t->deadline = tftp_now_ms() + t->x.rto_ms;
	heap_down(l, t->hidx);
	heap_up(l, t->hidx);
}

/* ---- the loop ------------------------------------------------------------- */
static void
on_timers(struct loop *l)
{
	uint64_t now = tftp_now_ms();

	while (l->hn > 0 && l->heap[0]->deadline <= now) {
		struct transfer *t = l->heap[0];
		tftp_transfer_act(l, t, tftp_xfer_timeout(&t->x));
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
				tftp_listen_input(l);
			else
				tftp_transfer_input(l, evs[i].data.ptr);
		}
		on_timers(l);
		tftp_transfers_bury(l);
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
	while (l->transfers)
		tftp_transfer_end(l, l->transfers, 0);
	tftp_transfers_bury(l);
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

/* Keeps copies of the configuration's strings (the caller's may go). */
static int
server_config(struct tftp_server *s, const struct tftp_config *cfg, char *err, size_t errlen)
{
	s->cfg = *cfg;
	s->files = strdup(cfg->files ? cfg->files : ".");
	s->listen = strdup(cfg->listen ? cfg->listen : "69");
	s->file_server = cfg->file_server ? strdup(cfg->file_server) : NULL;
	if (s->files == NULL || s->listen == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->cfg.files = s->files;
	s->cfg.listen = s->listen;
	s->cfg.file_server = s->file_server;
	if (listen_parse(s->listen, 69, &s->la, err, errlen) < 0)
		return -1;
	if (s->la.off) {
		snprintf(err, errlen, "--listen off leaves nothing to serve");
		return -1;
	}
	/* The loops share the port with SO_REUSEPORT, which would also let a
	 * second server (another store!) take part of the clients silently:
	 * the port must be free before they bind it, unless --share-port. */
	return listen_claim(&s->la, SOCK_DGRAM, cfg->share_port, err, errlen);
}

/* The loop's listening socket on la.  The first loop's port (the one asked
 * for, or the kernel's choice for port 0) goes into la for the others. */
static int
loop_listen(struct loop *l, struct listen_addr *la, char *err, size_t errlen)
{
	struct tftp_server *s = l->s;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if ((l->lfd = listen_socket(la, SOCK_DGRAM, 1, 0, err, errlen)) < 0)
		return -1;
	if (getsockname(l->lfd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		return -1;
	}
	s->family = ss.ss_family;
	if (l->idx == 0) {
		s->port = listen_bound_port(l->lfd);
		if (la->ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&la->ss)->sin6_port = htons((uint16_t)s->port);
		else
			((struct sockaddr_in *)&la->ss)->sin_port = htons((uint16_t)s->port);
	}
	enable_pktinfo(l->lfd, s->family);
	return 0;
}

/* Loop i: its cache, listening socket, epoll set, buffers and resolver. */
static int
loop_open(struct tftp_server *s, unsigned i, struct listen_addr *la, char *err,
          size_t errlen)
{
	struct loop *l = &s->loops[i];
	struct epoll_event ev;

	l->kind = EV_LISTEN;
	l->s = s;
	l->idx = i;
	tftp_cache_init(&l->cache, s->cfg.cache_file_max, s->cfg.cache_bytes);
	if (loop_listen(l, la, err, errlen) < 0)
		return -1;
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = l;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->lfd, &ev) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		return -1;
	}
	l->buf = malloc((size_t)LOOP_BATCH * TFTP_BLKSIZE_MAX);
	l->abuf = malloc(TFTP_BLKSIZE_MAX);
	if (l->buf == NULL || l->abuf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->res = tftp_resolver_new(s->files, s->cfg.gate, s->file_server, err, errlen);
	return l->res != NULL ? 0 : -1;
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
	if (server_config(s, cfg, err, errlen) < 0)
		goto fail;
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
	for (unsigned i = 0; i < s->n; i++)
		if (loop_open(s, i, &la, err, errlen) < 0)
			goto fail;
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
	free(s->file_server);
	free(s);
}
