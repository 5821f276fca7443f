/*
 * sip_loadgen.c - REGISTER load over TLS for bench/sip-register: the same
 * client drives oprov-sipd and Kamailio so the ratio compares servers, not
 * clients.  One thread, epoll, non-blocking OpenSSL.
 *
 *   sip_loadgen refresh HOST PORT CONNS SECONDS [TOKENS]
 *     opens CONNS persistent TLS connections, then each sends REGISTER,
 *     waits for the answer, sends the next (one outstanding per connection)
 *     for SECONDS; prints answers per second.
 *   sip_loadgen connect HOST PORT PARALLEL SECONDS [TOKENS]
 *     keeps PARALLEL sessions going: TCP connect, full TLS handshake (no
 *     resumption), one REGISTER, its answer, close; prints sessions per
 *     second.
 * TOKENS: a file of "MAC DN TOKEN" lines; connection i uses line i mod n,
 * registers sip:DN@… and sends `Authorization: Bearer TOKEN`.  Without it no credentials are sent
 * (Kamailio runs without authentication).  Output: one "key value" line per
 * figure; any answer other than 200 is counted as an error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define LG_MAX_CONNS 20000
#define LG_BUF 16384
#define LG_SETUP_BURST 32

struct lconn {
	int fd;
	SSL *ssl;
	int idx;                 /* device index */
	int state;               /* 0 connecting/handshake, 1 waiting answer */
	unsigned cseq;
	char rbuf[LG_BUF];
	size_t rlen;
	char *out;
	size_t outlen, outoff;
};

static char (*macs)[13];
static char **dns;
static char **tokens;
static int ntokens;
static struct sockaddr_in dst;
static SSL_CTX *ctx;
static int ep;
static int mode_connect;
static unsigned long long ok_count, err_count, hs_count;
static double t_begin, t_end;
static int measuring;

/* Whole decimal argument in [min, max], or exit. */
static long
arg_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "sip_loadgen: %s: not a number in %ld..%ld\n", s,
		        min, max);
		exit(2);
	}
	return v;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
load_tokens(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[16384];
	int cap = 0;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp = strchr(line, ' '), *sp2, *nl;
		if (sp == NULL || sp - line != 12 || (sp2 = strchr(sp + 1, ' ')) == NULL)
			continue;
		*sp2 = '\0';
		nl = strchr(sp2 + 1, '\n');
		if (nl)
			*nl = '\0';
		if (ntokens == cap) {
			cap = cap ? cap * 2 : 1024;
			tokens = realloc(tokens, (size_t)cap * sizeof(*tokens));
			dns = realloc(dns, (size_t)cap * sizeof(*dns));
			macs = realloc(macs, (size_t)cap * sizeof(*macs));
		}
		memcpy(macs[ntokens], line, 12);
		macs[ntokens][12] = '\0';
		dns[ntokens] = strdup(sp + 1);
		tokens[ntokens] = strdup(sp2 + 1);
		ntokens++;
	}
	fclose(f);
}

static void
make_register(struct lconn *c)
{
	char mac[13], dnbuf[16];
	const char *tok = NULL, *dn = dnbuf;
	int k, cap = LG_BUF;

	if (ntokens > 0) {
		memcpy(mac, macs[c->idx % ntokens], 13);
		tok = tokens[c->idx % ntokens];
		dn = dns[c->idx % ntokens];
	} else {
		snprintf(mac, sizeof(mac), "0000%08x", (unsigned)c->idx);
		snprintf(dnbuf, sizeof(dnbuf), "%u", 100000u + (unsigned)c->idx);
	}
	if (c->out == NULL)
		c->out = malloc((size_t)cap);
	c->cseq++;
	k = snprintf(c->out, (size_t)cap,
	    "REGISTER sip:bench.example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK%x.%u;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:%s@bench.example.com>;tag=t%x\r\n"
	    "To: <sip:%s@bench.example.com>\r\n"
	    "Call-ID: lg-%s-%d\r\n"
	    "CSeq: %u REGISTER\r\n"
	    "Contact: <sip:%s@127.0.0.1:5061;transport=tls>;"
	    "+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-%s>\";"
	    "+u.sip!devicename.ccm.cisco.com=\"SEP%s\"\r\n"
	    "Expires: 3600\r\n"
	    "%s%s%s"
	    "User-Agent: oprov-bench\r\n"
	    "Content-Length: 0\r\n\r\n",
	    (unsigned)c->idx, c->cseq, dn, (unsigned)c->idx, dn, mac,
	    mode_connect ? (int)hs_count : 0, c->cseq, dn, mac, mac,
	    tok ? "Authorization: Bearer " : "", tok ? tok : "", tok ? "\r\n" : "");
	c->outlen = (size_t)k;
	c->outoff = 0;
}

static int
start_conn(struct lconn *c)
{
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		return -1;
	}
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_connect_state(c->ssl);
	c->state = 0;
	c->rlen = 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void
stop_conn(struct lconn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
}

static void
want(struct lconn *c, int w)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (w ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int
send_out(struct lconn *c)
{
	while (c->outoff < c->outlen) {
		size_t n = 0;
		if (SSL_write_ex(c->ssl, c->out + c->outoff, c->outlen - c->outoff, &n) != 1) {
			int e = SSL_get_error(c->ssl, 0);
			if (e == SSL_ERROR_WANT_WRITE) {
				want(c, 1);
				return 0;
			}
			if (e == SSL_ERROR_WANT_READ)
				return 0;
			return -1;
		}
		c->outoff += n;
	}
	want(c, 0);
	return 0;
}

/* One complete answer in rbuf?  Returns its status or 0. */
static int
answer(struct lconn *c)
{
	char *e;
	size_t used;
	int status;

	for (;;) {
		/* drop keepalive CRLFs */
		while (c->rlen >= 2 && c->rbuf[0] == '\r' && c->rbuf[1] == '\n') {
			memmove(c->rbuf, c->rbuf + 2, c->rlen - 2);
			c->rlen -= 2;
		}
		if (c->rlen < 12)
			return 0;
		e = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
		if (e == NULL)
			return 0;
		used = (size_t)(e - c->rbuf) + 4;     /* no bodies in answers */
		status = 0;
		for (int i = 8; i < 11; i++)
			status = status * 10 + (c->rbuf[i] >= '0' && c->rbuf[i] <= '9' ?
			                        c->rbuf[i] - '0' : 0);
		memmove(c->rbuf, c->rbuf + used, c->rlen - used);
		c->rlen -= used;
		if (status >= 200)
			return status;
	}
}

static void
on_event(struct lconn *c, struct lconn *all)
{
	(void)all;
	if (c->state == 0) {
		int r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ) {
				want(c, 0);
				return;
			}
			if (e == SSL_ERROR_WANT_WRITE) {
				want(c, 1);
				return;
			}
			err_count++;
			stop_conn(c);
			if (mode_connect)
				start_conn(c);
			return;
		}
		hs_count++;
		c->state = 1;
		make_register(c);
		if (send_out(c) != 0)
			goto broken;
		return;
	}
	if (c->outoff < c->outlen && send_out(c) != 0)
		goto broken;
	for (;;) {
		size_t n = 0;
		int st;

		if (SSL_read_ex(c->ssl, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, &n) != 1) {
			int e = SSL_get_error(c->ssl, 0);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return;
			goto broken;
		}
		c->rlen += n;
		while ((st = answer(c)) != 0) {
			if (measuring) {
				if (st == 200)
					ok_count++;
				else
					err_count++;
			}
			if (mode_connect) {
				stop_conn(c);
				c->idx += 7919;          /* another device next time */
				start_conn(c);
				return;
			}
			make_register(c);
			if (send_out(c) != 0)
				goto broken;
		}
	}
broken:
	err_count++;
	stop_conn(c);
	start_conn(c);
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[512];
	struct lconn *conns;
	int n, secs;
	double t0;

	if (argc < 6) {
		fprintf(stderr, "usage: sip_loadgen refresh|connect HOST PORT CONNS "
		        "SECONDS [TOKENS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);        /* a server closing on us is counted */
	mode_connect = strcmp(argv[1], "connect") == 0;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)arg_num(argv[3], 1, 65535));
	inet_pton(AF_INET, argv[2], &dst.sin_addr);
	n = (int)arg_num(argv[4], 1, LG_MAX_CONNS);
	secs = (int)arg_num(argv[5], 1, 3600);
	if (argc > 6)
		load_tokens(argv[6]);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	ep = epoll_create1(0);
	conns = calloc((size_t)n, sizeof(*conns));
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		conns[i].idx = i;
		conns[i].fd = -1;
	}
	if (mode_connect) {
		for (int i = 0; i < n; i++)
			if (start_conn(&conns[i]) != 0) {
				fprintf(stderr, "connect failed at %d\n", i);
				return 1;
			}
	} else {
		/* Set up the persistent connections at most LG_SETUP_BURST
		 * handshakes at a time, like phones that do not all boot in
		 * the same millisecond; all connected and registered once
		 * before measuring. */
		int started = 0;
		while (hs_count < (unsigned long long)n && now_s() - t0 < 120) {
			int k;
			while (started < n &&
			       (unsigned long long)started < hs_count + LG_SETUP_BURST) {
				if (start_conn(&conns[started]) != 0) {
					fprintf(stderr, "connect failed at %d\n", started);
					return 1;
				}
				started++;
			}
			k = epoll_wait(ep, evs, 512, 100);
			for (int i = 0; i < k; i++)
				on_event(evs[i].data.ptr, conns);
		}
		printf("setup_seconds %.2f\nsetup_errors %llu\n", now_s() - t0,
		       err_count);
	}
	measuring = 1;
	ok_count = err_count = 0;
	t_begin = now_s();
	t_end = t_begin + secs;
	while (now_s() < t_end) {
		int k = epoll_wait(ep, evs, 512, 50);
		for (int i = 0; i < k; i++)
			on_event(evs[i].data.ptr, conns);
	}
	printf("mode %s\nconnections %d\nseconds %.2f\nok %llu\nerrors %llu\n"
	       "per_second %.0f\n", argv[1], n, now_s() - t_begin, ok_count,
	       err_count, ok_count / (now_s() - t_begin));
	return 0;
}
