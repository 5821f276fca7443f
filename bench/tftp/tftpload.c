/*
 * tftpload.c - a TFTP read client for tests and benchmarks: many transfers
 * at once on one epoll loop, with blksize / windowsize / tsize options,
 * byte-for-byte verification, and a "stray packet" probe that checks a
 * server answers a foreign source with ERROR 5 and carries on.  The same
 * program drives every server in bench/tftp, so the comparison is fair.
 *
 *   tftpload -p PORT -f FILE [-H HOST] [-n TOTAL] [-c CONCURRENT]
 *            [-b BLKSIZE] [-w WINDOWSIZE] [-t] [-a] [-o OUT] [-e EXPECTED]
 *            [-T TIMEOUT_MS] [-r RETRIES] [-s] [-R] [-q]
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "tftp/tftp.h"

struct opts {
	const char *host, *file, *out, *expect;
	int port;
	long total, conc;
	unsigned blksize, windowsize;
	int tsize, netascii, stray, quiet, rerequest;
	unsigned timeout_ms, retries;
};

struct xfer {
	int fd;
	struct sockaddr_storage tid;
	socklen_t tidlen;
	int have_tid;
	uint64_t next;            /* next expected block index */
	unsigned blksize, windowsize, inwin;
	uint64_t bytes;
	uint8_t last_pkt[TFTP_REQUEST_MAX];
	size_t last_len;
	int last_to_listen;       /* the last packet was the RRQ */
	uint64_t deadline;
	unsigned tries;
	int stray_done, stray_answered;
	uint8_t rrq[TFTP_REQUEST_MAX];
	size_t rrqlen;
	int fdstray;
	int ok, failed;
	long long oack_tsize;     /* -1: not in the OACK */
	FILE *out;
	struct xfer *next_free;
};

static struct sockaddr_storage server;
static socklen_t serverlen;
static uint8_t *expect_buf;
static size_t expect_len;
static long mismatches, completed, failed, stray_errors, strays_sent;
static uint64_t total_bytes;
static unsigned granted_blksize = 0xffffffffu, granted_windowsize = 0xffffffffu;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr,
"usage: tftpload -p PORT -f FILE [-H HOST] [-n TOTAL] [-c CONCURRENT] [-b BLKSIZE]\n"
"                [-w WINDOWSIZE] [-t] [-a] [-o OUT] [-e EXPECTED] [-T TIMEOUT_MS]\n"
"                [-r RETRIES] [-s] [-R] [-q]\n"
"  -t tsize option, -a netascii, -s send a stray packet from another port\n"
"  during each transfer and require ERROR 5 for it, -R ask again from the\n"
"  same port right before the final ACK and require a new transfer, -q quiet.\n");
	exit(2);
}

static void
send_pkt(struct xfer *x, const uint8_t *p, size_t n, int to_listen)
{
	const struct sockaddr *to = to_listen ? (const struct sockaddr *)&server
	                                      : (const struct sockaddr *)&x->tid;
	socklen_t tl = to_listen ? serverlen : x->tidlen;

	memcpy(x->last_pkt, p, n);
	x->last_len = n;
	x->last_to_listen = to_listen;
	(void)sendto(x->fd, p, n, 0, to, tl);
}

static void
send_ack(struct xfer *x, uint16_t block)
{
	uint8_t p[4];

	tftp_build_ack(p, sizeof(p), block);
	send_pkt(x, p, 4, 0);
}

static int
start(struct xfer *x, const struct opts *o, int ep)
{
	struct tftp_options opt;
	uint8_t p[TFTP_REQUEST_MAX];
	struct epoll_event ev;
	size_t n;

	memset(x, 0, sizeof(*x));
	x->fd = socket(server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	x->fdstray = -1;
	if (x->fd < 0)
		return -1;
	memset(&opt, 0, sizeof(opt));
	if (o->blksize) {
		opt.mask |= TFTP_OPT_BLKSIZE;
		opt.blksize = o->blksize;
	}
	if (o->windowsize) {
		opt.mask |= TFTP_OPT_WINDOWSIZE;
		opt.windowsize = o->windowsize;
	}
	if (o->tsize)
		opt.mask |= TFTP_OPT_TSIZE;
	x->blksize = 512;
	x->windowsize = 1;
	x->oack_tsize = -1;
	x->next = 1;
	n = tftp_build_request(p, sizeof(p), TFTP_RRQ, o->file, o->netascii, &opt);
	if (n == 0)
		return -1;
	if (o->out) {
		x->out = fopen(o->out, "wb");
		if (x->out == NULL) {
			perror(o->out);
			exit(1);
		}
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = x;
	epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
	memcpy(x->rrq, p, n);
	x->rrqlen = n;
	send_pkt(x, p, n, 1);
	x->deadline = now_ms() + o->timeout_ms;
	return 0;
}

static void
finish(struct xfer *x, int ok, const char *why, const struct opts *o)
{
	if (ok && o->stray && !x->stray_answered) {
		ok = 0;
		why = "stray packet not answered with ERROR 5";
	}
	/* RFC 2349: the answer is the file size; netascii leaves it out. */
	if (ok && o->tsize && o->netascii && x->oack_tsize != -1) {
		ok = 0;
		why = "tsize answered for a netascii transfer";
	}
	if (ok && o->tsize && !o->netascii && expect_buf && x->oack_tsize != (long long)expect_len) {
		ok = 0;
		why = "tsize missing or not the file size";
	}
	if (ok && expect_buf && x->bytes != expect_len) {
		ok = 0;
		why = "length differs from the expected file";
		mismatches++;
	}
	if (ok) {
		completed++;
		total_bytes += x->bytes;
		if (x->blksize < granted_blksize)
			granted_blksize = x->blksize;
		if (x->windowsize < granted_windowsize)
			granted_windowsize = x->windowsize;
	} else {
		failed++;
		if (!o->quiet)
			fprintf(stderr, "tftpload: transfer failed: %s\n", why);
	}
	x->ok = ok;
	x->failed = !ok;
	close(x->fd);
	if (x->fdstray >= 0)
		close(x->fdstray);
	x->fd = -1;
	if (x->out)
		fclose(x->out);
}

static int
same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	{
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
}

static void
stray(struct xfer *x)
{
	uint8_t p[4];

	x->fdstray = socket(server.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (x->fdstray < 0)
		return;
	tftp_build_ack(p, sizeof(p), 1);
	(void)sendto(x->fdstray, p, 4, 0, (struct sockaddr *)&x->tid, x->tidlen);
	strays_sent++;
	x->stray_done = 1;
}

static void
check_stray(struct xfer *x)
{
	uint8_t b[600];
	struct timeval tv = { 1, 0 };
	ssize_t n;

	/* The answer to the stray must come back to the stray socket. */
	setsockopt(x->fdstray, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(x->fdstray, b, sizeof(b), 0);
	if (n >= 4 && b[1] == TFTP_ERROR && b[3] == TFTP_EBADID) {
		x->stray_answered = 1;
		stray_errors++;
	}
}

/* -R: the client asks again from the same port right behind its final
 * ACK (the request first, so the server sees it first): a new transfer
 * must start, from a new TID.  Answers it with ERROR 0 to end it. */
static int
rerequest(struct xfer *x, uint16_t last)
{
	uint8_t b[TFTP_PACKET_MAX + 16], ack[4], e[32];
	struct timeval tv = { 2, 0 };

	(void)sendto(x->fd, x->rrq, x->rrqlen, 0, (struct sockaddr *)&server, serverlen);
	tftp_build_ack(ack, sizeof(ack), last);
	(void)sendto(x->fd, ack, 4, 0, (struct sockaddr *)&x->tid, x->tidlen);
	setsockopt(x->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fcntl(x->fd, F_SETFL, 0);
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(x->fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return -1;
		if (same(&from, &x->tid) || n < 4)
			continue;
		if (b[1] == TFTP_DATA || b[1] == TFTP_OACK) {
			size_t en = tftp_build_error(e, sizeof(e), TFTP_EUNDEF, "enough");
			(void)sendto(x->fd, e, en, 0, (struct sockaddr *)&from, fl);
			return 0;
		}
		return -1;
	}
}

/* The server's OACK: the options it granted, then ACK 0. */
static void
on_oack(struct xfer *x, const struct tftp_packet *pk, const struct opts *o)
{
	const uint8_t *p = pk->data;
	const char *nm, *v;
	size_t nl, vl;
	long long val;

	if (x->next != 1 || x->bytes)
		return;
	while (tftp_option_next(&p, pk->data + pk->datalen, &nm, &nl, &v, &vl) > 0) {
		if (num_parse(v, vl, 0, 1LL << 40, &val) < 0)
			continue;
		if (nl == 7 && !strncasecmp(nm, "blksize", 7))
			x->blksize = (unsigned)val;
		else if (nl == 10 && !strncasecmp(nm, "windowsize", 10))
			x->windowsize = (unsigned)val;
		else if (nl == 5 && !strncasecmp(nm, "tsize", 5))
			x->oack_tsize = val;
	}
	send_ack(x, 0);
	x->tries = 0;
	x->deadline = now_ms() + o->timeout_ms;
}

/* The block expected next; 1 when the transfer is over (finished). */
static int
on_block(struct xfer *x, const struct tftp_packet *pk, const struct opts *o)
{
	if (pk->datalen > x->blksize) {
		finish(x, 0, "block larger than blksize", o);
		return 1;
	}
	if (expect_buf && (x->bytes + pk->datalen > expect_len ||
	    memcmp(expect_buf + x->bytes, pk->data, pk->datalen) != 0)) {
		mismatches++;
		finish(x, 0, "bytes differ from the expected file", o);
		return 1;
	}
	if (x->out && pk->datalen &&
	    fwrite(pk->data, 1, pk->datalen, x->out) != pk->datalen) {
		finish(x, 0, "write error", o);
		return 1;
	}
	x->bytes += pk->datalen;
	x->next++;
	x->inwin++;
	x->tries = 0;
	x->deadline = now_ms() + o->timeout_ms;
	if (o->stray && !x->stray_done && x->next == 2)
		stray(x);
	if (pk->datalen < x->blksize) {
		if (o->rerequest) {
			finish(x, rerequest(x, pk->block) == 0,
			       "no new transfer for a re-request", o);
			return 1;
		}
		send_ack(x, pk->block);
		if (x->stray_done)
			check_stray(x);
		finish(x, 1, NULL, o);
		return 1;
	}
	if (x->inwin >= x->windowsize) {
		send_ack(x, pk->block);
		x->inwin = 0;
	}
	return 0;
}

static void
on_packet(struct xfer *x, const struct opts *o)
{
	uint8_t b[TFTP_PACKET_MAX + 16];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		struct tftp_packet pk;
		ssize_t n = recvfrom(x->fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		if (!x->have_tid) {
			memcpy(&x->tid, &from, fl);
			x->tidlen = fl;
			x->have_tid = 1;
		} else if (!same(&from, &x->tid)) {
			continue;
		}
		if (tftp_packet_parse(b, (size_t)n, &pk) < 0)
			continue;
		if (pk.opcode == TFTP_ERROR) {
			char m[128];
			str_sanitize(m, sizeof(m), pk.msg, pk.msglen);
			if (!o->quiet)
				fprintf(stderr, "tftpload: server error %u: %s\n", pk.errcode, m);
			finish(x, 0, "error from server", o);
			return;
		}
		if (pk.opcode == TFTP_OACK) {
			on_oack(x, &pk, o);
			continue;
		}
		if (pk.opcode != TFTP_DATA)
			continue;
		if (pk.block != (uint16_t)x->next) {
			/* Out of order or duplicate: acknowledge what we have
			 * (RFC 7440 §4), which also answers a resent block. */
			send_ack(x, (uint16_t)(x->next - 1));
			x->inwin = 0;
			continue;
		}
		if (on_block(x, &pk, o))
			return;
	}
}

static int
resolve(const char *host, int port)
{
	struct addrinfo hints, *ai;
	char ps[16];

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(host, ps, &hints, &ai) != 0)
		return -1;
	memcpy(&server, ai->ai_addr, ai->ai_addrlen);
	serverlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void
load_expect(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		exit(1);
	}
	expect_len = (size_t)st.st_size;
	expect_buf = malloc(expect_len ? expect_len : 1);
	if (expect_buf == NULL || read(fd, expect_buf, expect_len) != (ssize_t)expect_len) {
		perror(path);
		exit(1);
	}
	close(fd);
}

static long
num(const char *s, long min, long max)
{
	long long v;

	if (num_parse_str(s, min, max, &v) < 0)
		usage();
	return (long)v;
}

/* The flags; usage() ends the program on a bad one.  A flat switch. */
static void
parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "H:p:f:n:c:b:w:tao:e:T:r:sqR")) != -1) {
		switch (c) {
		case 'H': o->host = optarg; break;
		case 'p': o->port = (int)num(optarg, 1, 65535); break;
		case 'f': o->file = optarg; break;
		case 'n': o->total = num(optarg, 1, 10000000); break;
		case 'c': o->conc = num(optarg, 1, 100000); break;
		case 'b': o->blksize = (unsigned)num(optarg, 8, 65464); break;
		case 'w': o->windowsize = (unsigned)num(optarg, 1, 65535); break;
		case 't': o->tsize = 1; break;
		case 'a': o->netascii = 1; break;
		case 'o': o->out = optarg; break;
		case 'e': o->expect = optarg; break;
		case 'T': o->timeout_ms = (unsigned)num(optarg, 1, 100000); break;
		case 'r': o->retries = (unsigned)num(optarg, 0, 1000); break;
		case 's': o->stray = 1; break;
		case 'q': o->quiet = 1; break;
		case 'R': o->rerequest = 1; break;
		default: usage();
		}
	}
	if (o->port == 0 || o->file == NULL || (o->out && o->total != 1))
		usage();
}

/* Retransmits for every transfer past its deadline; the number given up. */
static long
retransmit(struct xfer *xs, const struct opts *o)
{
	uint64_t now = now_ms();
	long gone = 0;

	for (long i = 0; i < o->conc; i++) {
		struct xfer *x = &xs[i];
		if (x->fd < 0 || now < x->deadline)
			continue;
		if (++x->tries > o->retries) {
			finish(x, 0, "timed out", o);
			gone++;
			continue;
		}
		(void)sendto(x->fd, x->last_pkt, x->last_len, 0,
		             x->last_to_listen ? (struct sockaddr *)&server : (struct sockaddr *)&x->tid,
		             x->last_to_listen ? serverlen : x->tidlen);
		x->inwin = 0;
		x->deadline = now + o->timeout_ms;
	}
	return gone;
}

/* Keeps o->conc transfers going until o->total are done.  0 / -1. */
static int
run(struct xfer *xs, const struct opts *o, int ep)
{
	long started = 0, active = 0;

	while (started < o->total || active > 0) {
		struct epoll_event evs[256];
		int n;

		for (long i = 0; i < o->conc && started < o->total; i++)
			if (xs[i].fd < 0) {
				if (start(&xs[i], o, ep) < 0) {
					perror("tftpload: socket");
					return -1;
				}
				started++;
				active++;
			}
		n = epoll_wait(ep, evs, 256, 20);
		for (int i = 0; i < n; i++) {
			struct xfer *x = evs[i].data.ptr;
			if (x->fd < 0)
				continue;
			on_packet(x, o);
			if (x->fd < 0)
				active--;
		}
		active -= retransmit(xs, o);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { "127.0.0.1", NULL, NULL, NULL, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1000, 5 };
	struct xfer *xs;
	int ep;
	double t0, dt;

	parse_args(argc, argv, &o);
	if (resolve(o.host, o.port) < 0) {
		fprintf(stderr, "tftpload: cannot resolve %s\n", o.host);
		return 1;
	}
	if (o.expect)
		load_expect(o.expect);
	if (o.conc > o.total)
		o.conc = o.total;
	xs = calloc((size_t)o.conc, sizeof(*xs));
	ep = epoll_create1(0);
	if (xs == NULL || ep < 0)
		return 1;
	for (long i = 0; i < o.conc; i++)
		xs[i].fd = -1;
	t0 = now_s();
	if (run(xs, &o, ep) < 0)
		return 1;
	dt = now_s() - t0;
	printf("transfers %ld ok %ld failed %ld bytes %llu seconds %.3f transfers_per_s %.1f MB_per_s %.2f",
	       o.total, completed, failed, (unsigned long long)total_bytes, dt,
	       dt > 0 ? completed / dt : 0.0, dt > 0 ? total_bytes / dt / 1e6 : 0.0);
	if (completed)
		printf(" blksize %u windowsize %u", granted_blksize, granted_windowsize);
	if (o.stray)
		printf(" strays %ld error5 %ld", strays_sent, stray_errors);
	printf("\n");
	free(xs);
	free(expect_buf);
	close(ep);
	return failed || mismatches ? 1 : 0;
}
