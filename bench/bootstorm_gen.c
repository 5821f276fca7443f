/*
 * bootstorm_gen.c - the load generator of bench/boot-storm: N simulated
 * phones, each from its own loopback address (127.A.B.C), each doing what a
 * phone does at boot, in order:
 *   1. tftp:   TFTP read (octet, lock-step, 512-byte blocks) of
 *              ITLSEP<MAC>.tlv, compared with an expected file when given;
 *   2. token:  POST /oauth/token over TLS (activation-code grant, or refresh
 *              grant with -r), the access token taken from the JSON answer;
 *   3. config: GET /SEP<MAC>.cnf.xml over TLS with Authorization: Bearer;
 *   4. sip:    TLS connection, REGISTER with Authorization: Bearer, 200
 *              awaited; the connection is then KEPT open until the end.
 * PARALLEL phones boot at a time (a new one starts when one registers or
 * fails).  One thread, epoll, non-blocking sockets and OpenSSL; every TCP
 * step is a new connection with a full handshake (no resumption), as after
 * a power cut.  A step that does not finish within the step timeout fails.
 *
 * usage: bootstorm_gen -f PHONES [-t PORT] [-o PORT] [-c PORT] [-s PORT]
 *        [-P PARALLEL] [-T SECONDS] [-r] [-e ITLFILE] [-w OUTFILE] [-l LABEL]
 *   PHONES: lines "MAC DN SECRET" (SECRET: activation code, or refresh
 *   token with -r); a port of 0 skips that step.  -w writes "MAC DN
 *   REFRESH_TOKEN" lines of the tokens received.  Progress on stderr; the
 *   summary on stdout as "key value" lines; then "ready" and the
 *   connections stay open until stdin reaches EOF, after which the
 *   registered connections still open are counted ("still_open K") and
 *   the program exits.  Not part of make check: a measurement tool.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define BS_MAX_PHONES 1000000     /* addresses 127.16.0.1 .. */
#define BS_MAX_PARALLEL 20000
#define BS_MAX_REPLY (256 * 1024) /* largest answer read (config file) */
#define BS_TFTP_REXMIT 1.0        /* seconds before the first TFTP resend */
#define BS_TFTP_REXMIT_MAX 4.0    /* doubling up to this */
#define BS_TFTP_TRIES 8           /* resends of one packet: 1+2+4+4+4+4+4+4 s */
#define BS_RETRIES 3              /* 503 + Retry-After honoured this often per step */
#define BS_RETRY_AFTER_MAX 30     /* seconds: a longer Retry-After is cut to this */
#define BS_REASON 160
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { S_TFTP, S_TOKEN, S_CONFIG, S_SIP, S_NSTEPS, S_DONE = S_NSTEPS, S_FAILED };
static const char *step_name[S_NSTEPS] = { "tftp", "token", "config", "sip" };

struct phone {
	char mac[13];
	char *dn, *secret, *token, *refresh;
	int idx, step, fd, connected;
	SSL *ssl;
	double t_boot, t_step, resend_at, rexmit, retry_at;
	unsigned retries;          /* 503s honoured in this step */
	char *buf;                 /* answer bytes (TFTP: the file) */
	size_t len;
	char out[4096 + 2048];     /* request bytes (TFTP: the last packet) */
	size_t outlen, outoff;
	unsigned block, tries;
	struct sockaddr_in tid;    /* TFTP server's transfer address */
};

struct step_stats {
	double *lat;
	size_t n, fails, retried;
	char reason[BS_REASON];
};

static struct phone *phones;
static int nphones, parallel = 100, refresh_mode;
static int port[S_NSTEPS];
static double step_timeout = 60;
static struct step_stats stats[S_NSTEPS];
static double *boot_lat;
static size_t nboot;
static SSL_CTX *ctx;
static int ep, inflight, next_phone, nfailed;
static char *itl;
static size_t itl_len;
static const char *label = "";
static FILE *wout;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
arg_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "bootstorm_gen: %s: not a number in %ld..%ld\n", s, min, max);
		exit(2);
	}
	return v;
}

static void
phone_addr(int i, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl((127u << 24) | ((16u + (unsigned)i / 62500) << 16) |
	                            (((unsigned)i / 250 % 250) << 8) | ((unsigned)i % 250 + 1));
}

static void
load_phones(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int cap = 0;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char mac[13], dn[64], sec[4096];
		if (sscanf(line, "%12s %63s %4095s", mac, dn, sec) != 3)
			continue;
		if (nphones == BS_MAX_PHONES)
			break;
		if (nphones == cap) {
			cap = cap ? cap * 2 : 1024;
			phones = realloc(phones, (size_t)cap * sizeof(*phones));
			if (phones == NULL)
				exit(3);
		}
		memset(&phones[nphones], 0, sizeof(*phones));
		memcpy(phones[nphones].mac, mac, 13);
		phones[nphones].dn = strdup(dn);
		phones[nphones].secret = strdup(sec);
		phones[nphones].idx = nphones;
		phones[nphones].fd = -1;
		nphones++;
	}
	fclose(f);
}

static void
load_itl(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0;
	int ch;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while ((ch = getc(f)) != EOF) {
		if (itl_len == cap && (itl = realloc(itl, cap = cap * 2 + 4096)) == NULL)
			exit(3);
		itl[itl_len++] = (char)ch;
	}
	fclose(f);
}

static void
close_conn(struct phone *p)
{
	if (p->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
		p->fd = -1;
	}
	SSL_free(p->ssl);
	p->ssl = NULL;
	free(p->buf);
	p->buf = NULL;
	p->len = 0;
}

static void start_step(struct phone *p);

static void
finish_phone(struct phone *p)
{
	inflight--;
	if (p->step == S_DONE) {
		boot_lat[nboot++] = now_s() - p->t_boot;
		/* The connection stays; the TLS state is not needed any more
		 * (no close_notify: SSL_free without SSL_shutdown). */
		epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
		SSL_free(p->ssl);
		p->ssl = NULL;
		free(p->buf);
		p->buf = NULL;
	}
	free(p->token);
	p->token = NULL;
}

static void fail(struct phone *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fail(struct phone *p, const char *fmt, ...)
{
	struct step_stats *s = &stats[p->step];
	va_list ap;

	if (s->fails++ == 0) {
		int k = snprintf(s->reason, sizeof(s->reason), "%s (SEP%s): ", label, p->mac);
		if (k < 0 || (size_t)k >= sizeof(s->reason))
			k = 0;
		va_start(ap, fmt);
		vsnprintf(s->reason + k, sizeof(s->reason) - (size_t)k, fmt, ap);
		va_end(ap);
		for (char *c = s->reason; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';            /* one line in the summary */
	}
	close_conn(p);
	p->step = S_FAILED;
	nfailed++;
	finish_phone(p);
}

/* The current step finished: its latency counted, the next one started. */
static void
step_ok(struct phone *p)
{
	struct step_stats *s = &stats[p->step];

	s->lat[s->n++] = now_s() - p->t_step;
	if (p->step == S_SIP) {
		p->step = S_DONE;
		finish_phone(p);
		return;
	}
	close_conn(p);
	p->step++;
	start_step(p);
}

static int
watch(struct phone *p, uint32_t events, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = p;
	return epoll_ctl(ep, op, p->fd, &ev);
}

static int
open_socket(struct phone *p, int type)
{
	struct sockaddr_in src;
	int one = 1;

	phone_addr(p->idx, &src);
	if ((p->fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (type == SOCK_STREAM) {
		setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(p->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	}
	return bind(p->fd, (struct sockaddr *)&src, sizeof(src));
}

static void
tftp_send(struct phone *p)
{
	struct sockaddr_in dst;

	if (p->block == 0 && p->tid.sin_port == 0) {
		memset(&dst, 0, sizeof(dst));
		dst.sin_family = AF_INET;
		dst.sin_port = htons((uint16_t)port[S_TFTP]);
		dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		dst = p->tid;
	}
	sendto(p->fd, p->out, p->outlen, 0, (struct sockaddr *)&dst, sizeof(dst));
	p->resend_at = now_s() + p->rexmit;
}

static void
start_tftp(struct phone *p)
{
	if (open_socket(p, SOCK_DGRAM) < 0) {
		fail(p, "socket: %s", strerror(errno));
		return;
	}
	p->outlen = (size_t)snprintf(p->out, sizeof(p->out), "%c%cITLSEP%s.tlv%coctet%c",
	                             0, 1, p->mac, 0, 0);
	p->block = 0;
	p->tries = 0;
	p->rexmit = BS_TFTP_REXMIT;
	memset(&p->tid, 0, sizeof(p->tid));
	if (watch(p, EPOLLIN, EPOLL_CTL_ADD) < 0) {
		fail(p, "epoll: %s", strerror(errno));
		return;
	}
	tftp_send(p);
}

static void
start_tcp(struct phone *p)
{
	struct sockaddr_in dst;

	if (open_socket(p, SOCK_STREAM) < 0) {
		fail(p, "socket/bind: %s", strerror(errno));
		return;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port[p->step]);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(p->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
		fail(p, "connect: %s", strerror(errno));
		return;
	}
	if ((p->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(p->ssl, p->fd) != 1) {
		fail(p, "SSL_new failed");
		return;
	}
	SSL_set_tlsext_host_name(p->ssl, "localhost");
	SSL_set_connect_state(p->ssl);
	p->connected = 0;
	p->outlen = p->outoff = 0;
	if (watch(p, EPOLLIN | EPOLLOUT, EPOLL_CTL_ADD) < 0)
		fail(p, "epoll: %s", strerror(errno));
}

static void
start_step(struct phone *p)
{
	while (p->step < S_NSTEPS && port[p->step] == 0)
		p->step++;                     /* a skipped step */
	if (p->step == S_NSTEPS) {
		p->step = S_DONE;
		finish_phone(p);
		return;
	}
	p->t_step = now_s();
	p->retries = 0;
	p->retry_at = 0;
	if (p->step == S_TFTP)
		start_tftp(p);
	else
		start_tcp(p);
}

static void
start_phone(struct phone *p)
{
	inflight++;
	p->t_boot = now_s();
	p->step = S_TFTP;
	start_step(p);
}

/* ---- TFTP ---------------------------------------------------------------- */
static void
tftp_packet(struct phone *p, const unsigned char *pkt, size_t n, struct sockaddr_in *from)
{
	unsigned blk;

	if (n >= 4 && pkt[1] == 5) {
		fail(p, "TFTP error %u: %.*s", (pkt[2] << 8) | pkt[3], (int)(n - 4), pkt + 4);
		return;
	}
	if (n < 4 || pkt[0] != 0 || pkt[1] != 3)
		return;                        /* not DATA: ignored */
	blk = (unsigned)(pkt[2] << 8) | pkt[3];
	if (p->block == 0 && p->tid.sin_port == 0)
		p->tid = *from;
	if (from->sin_port != p->tid.sin_port)
		return;                        /* another transfer's packet */
	if (blk == ((p->block + 1) & 0xffff)) {
		if (p->len + (n - 4) > BS_MAX_REPLY) {
			fail(p, "trust list larger than %d bytes", BS_MAX_REPLY);
			return;
		}
		if ((p->buf = realloc(p->buf, p->len + (n - 4) + 1)) == NULL)
			exit(3);
		memcpy(p->buf + p->len, pkt + 4, n - 4);
		p->len += n - 4;
		p->block++;
		p->tries = 0;
		p->rexmit = BS_TFTP_REXMIT;
	} else if (blk != (p->block & 0xffff)) {
		return;                        /* neither next nor a duplicate */
	}
	p->out[0] = 0;
	p->out[1] = 4;
	p->out[2] = (char)(blk >> 8);
	p->out[3] = (char)blk;
	p->outlen = 4;
	tftp_send(p);
	if (n - 4 < 512 && blk == (p->block & 0xffff)) {
		if (itl != NULL && (p->len != itl_len || memcmp(p->buf, itl, itl_len) != 0))
			fail(p, "trust list differs (%zu bytes, expected %zu)", p->len, itl_len);
		else
			step_ok(p);
	}
}

static void
tftp_read(struct phone *p)
{
	unsigned char pkt[2048];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	while (p->step == S_TFTP) {
		fl = sizeof(from);
		n = recvfrom(p->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fail(p, "recvfrom: %s", strerror(errno));
			return;
		}
		tftp_packet(p, pkt, (size_t)n, &from);
	}
}

/* ---- requests and answers over TLS --------------------------------------- */
static int
url_encode(char *dst, size_t cap, const char *s)
{
	size_t k = 0;

	for (; *s; s++) {
		if (k + 4 > cap)
			return -1;
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s))
			dst[k++] = *s;
		else
			k += (size_t)snprintf(dst + k, cap - k, "%%%02X", (unsigned char)*s);
	}
	dst[k] = '\0';
	return 0;
}

static int
make_request(struct phone *p)
{
	char body[4096], enc[3 * 2048 + 1];
	int k;

	if (p->step == S_TOKEN) {
		if (url_encode(enc, sizeof(enc), p->secret) < 0)
			return -1;
		if (refresh_mode)
			k = snprintf(body, sizeof(body), "grant_type=refresh_token&client_id="
			             "oprov-device&refresh_token=%s", enc);
		else
			k = snprintf(body, sizeof(body), "grant_type=urn%%3Aoprov%%3Aparams%%3A"
			             "oauth%%3Agrant-type%%3Aactivation-code&device=SEP%s&"
			             "activation_code=%s", p->mac, enc);
		k = snprintf(p->out, sizeof(p->out), "POST /oauth/token HTTP/1.1\r\n"
		             "Host: localhost\r\nConnection: close\r\nContent-Type: "
		             "application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		             k, body);
	} else if (p->step == S_CONFIG) {
		k = snprintf(p->out, sizeof(p->out), "GET /SEP%s.cnf.xml HTTP/1.1\r\n"
		             "Host: localhost\r\nConnection: close\r\n%s%s%s\r\n", p->mac,
		             p->token ? "Authorization: Bearer " : "", p->token ? p->token : "",
		             p->token ? "\r\n" : "");
	} else {
		struct sockaddr_in me;
		socklen_t ml = sizeof(me);
		getsockname(p->fd, (struct sockaddr *)&me, &ml);
		k = snprintf(p->out, sizeof(p->out),
		    "REGISTER sip:localhost SIP/2.0\r\n"
		    "Via: SIP/2.0/TLS %s:%u;branch=z9hG4bKbs%s\r\n"
		    "Max-Forwards: 70\r\n"
		    "From: <sip:%s@localhost>;tag=bs%s\r\n"
		    "To: <sip:%s@localhost>\r\n"
		    "Call-ID: bs-%s@boot\r\nCSeq: 1 REGISTER\r\n"
		    "Contact: <sip:%s@%s:%u;transport=tls>;+sip.instance=\"<urn:uuid:"
		    "00000000-0000-0000-0000-%s>\";+u.sip!devicename.ccm.cisco.com=\"SEP%s\"\r\n"
		    "Expires: 3600\r\n%s%s%sUser-Agent: oprov-boot-storm\r\n"
		    "Content-Length: 0\r\n\r\n",
		    inet_ntoa(me.sin_addr), ntohs(me.sin_port), p->mac, p->dn, p->mac, p->dn,
		    p->mac, p->dn, inet_ntoa(me.sin_addr), ntohs(me.sin_port), p->mac, p->mac,
		    p->token ? "Authorization: Bearer " : "", p->token ? p->token : "",
		    p->token ? "\r\n" : "");
	}
	if (k < 0 || (size_t)k >= sizeof(p->out))
		return -1;
	p->outlen = (size_t)k;
	p->outoff = 0;
	return 0;
}

/* A JSON string member's value (no escapes expected in tokens), or NULL. */
static char *
json_str(const char *body, const char *name)
{
	char key[64];
	const char *s, *e;

	snprintf(key, sizeof(key), "\"%s\"", name);
	if ((s = strstr(body, key)) == NULL)
		return NULL;
	s += strlen(key);
	while (*s == ' ' || *s == ':')
		s++;
	if (*s++ != '"' || (e = strchr(s, '"')) == NULL)
		return NULL;
	return strndup(s, (size_t)(e - s));
}

/* The three-digit status code at s (the answer holds at least 12 bytes),
 * or 0 when those are not three digits. */
static int
status_code(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* 1 when buf holds a whole answer (status in *status, body at *body), 0
 * when more is needed; eof: the peer closed (an HTTP answer without a
 * Content-Length ends there). */
static int
whole_answer(struct phone *p, int eof, int *status, char **body)
{
	char *e, *cl;
	size_t hl, want;

	if ((e = memmem(p->buf, p->len, "\r\n\r\n", 4)) == NULL || p->len < 12)
		return 0;
	hl = (size_t)(e - p->buf) + 4;
	*status = status_code(p->buf + (p->step == S_SIP ? 8 : 9)); /* "SIP/2.0 ", "HTTP/1.1 " */
	*body = p->buf + hl;
	if (p->step == S_SIP && *status >= 100 && *status < 200) { /* provisional: dropped */
		memmove(p->buf, p->buf + hl, p->len - hl);
		p->len -= hl;
		return whole_answer(p, eof, status, body);
	}
	*e = '\0';
	cl = strcasestr(p->buf, "\r\ncontent-length:");
	*e = '\r';
	if (cl == NULL)
		return eof || p->step == S_SIP;
	want = hl + strtoul(cl + 17, NULL, 10);
	return p->len >= want;
}

/* A 503 with Retry-After (a phone waits and asks again): 1 when the
 * request is to be repeated later. */
static int
retry_later(struct phone *p, int status)
{
	char *ra;
	long secs;

	if (status != 503 || p->retries >= BS_RETRIES ||
	    (ra = strcasestr(p->buf, "\r\nretry-after:")) == NULL)
		return 0;
	secs = strtol(ra + 14, NULL, 10);
	secs = secs < 1 ? 1 : secs > BS_RETRY_AFTER_MAX ? BS_RETRY_AFTER_MAX : secs;
	p->retries++;
	stats[p->step].retried++;
	close_conn(p);
	p->retry_at = now_s() + (double)secs;
	return 1;
}

static void
answer_done(struct phone *p, int status, char *body)
{
	if (status != 200) {
		if (retry_later(p, status))
			return;
		fail(p, "%s answer %d%s%.80s", p->step == S_SIP ? "SIP" : "HTTP", status,
		     *body ? ": " : "", body);
		return;
	}
	if (p->step == S_TOKEN) {
		if ((p->token = json_str(body, "access_token")) == NULL) {
			fail(p, "no access_token in the answer");
			return;
		}
		if (wout != NULL && (p->refresh = json_str(body, "refresh_token")) != NULL)
			fprintf(wout, "%s %s %s\n", p->mac, p->dn, p->refresh);
		free(p->refresh);
		p->refresh = NULL;
	} else if (p->step == S_CONFIG && strstr(body, "<device") == NULL) {
		fail(p, "the config has no <device> element");
		return;
	}
	step_ok(p);
}

static int
tls_write(struct phone *p)
{
	while (p->outoff < p->outlen) {
		size_t n = 0;
		if (SSL_write_ex(p->ssl, p->out + p->outoff, p->outlen - p->outoff, &n) != 1) {
			int e = SSL_get_error(p->ssl, 0);
			if (e == SSL_ERROR_WANT_WRITE)
				return watch(p, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD), 0;
			if (e == SSL_ERROR_WANT_READ)
				return 0;
			fail(p, "TLS write failed");
			return -1;
		}
		p->outoff += n;
	}
	watch(p, EPOLLIN, EPOLL_CTL_MOD);
	return 0;
}

static int
tls_handshake(struct phone *p)
{
	int r = SSL_do_handshake(p->ssl), e;

	if (r == 1) {
		p->connected = 1;
		if (make_request(p) < 0) {
			fail(p, "request too long");
			return -1;
		}
		return tls_write(p);
	}
	e = SSL_get_error(p->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		watch(p, EPOLLIN | (e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : 0), EPOLL_CTL_MOD);
		return 1;
	}
	fail(p, "TLS handshake failed (%s)",
	     ERR_reason_error_string(ERR_peek_last_error()) ?
	     ERR_reason_error_string(ERR_peek_last_error()) : strerror(errno));
	ERR_clear_error();
	return -1;
}

static void
tls_event(struct phone *p)
{
	char tmp[16384], *body;
	int status, eof = 0;
	int step = p->step;

	if (!p->connected && tls_handshake(p) != 0)
		return;
	if (p->outoff < p->outlen && tls_write(p) < 0)
		return;
	while (!eof) {
		size_t n = 0;
		if (SSL_read_ex(p->ssl, tmp, sizeof(tmp), &n) != 1) {
			int e = SSL_get_error(p->ssl, 0);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				break;
			ERR_clear_error();
			eof = 1;
			n = 0;
		}
		if (p->len + n > BS_MAX_REPLY) {
			fail(p, "answer larger than %d bytes", BS_MAX_REPLY);
			return;
		}
		if ((p->buf = realloc(p->buf, p->len + n + 1)) == NULL)
			exit(3);
		memcpy(p->buf + p->len, tmp, n);
		p->len += n;
		p->buf[p->len] = '\0';
	}
	if (p->buf != NULL && whole_answer(p, eof, &status, &body))
		answer_done(p, status, body);
	else if (eof && p->step == step)
		fail(p, "connection closed before the whole answer");
}

/* ---- the run ------------------------------------------------------------- */
static void
check_timers(double now)
{
	for (int i = 0; i < next_phone; i++) {
		struct phone *p = &phones[i];
		if (p->step >= S_DONE)
			continue;
		if (now - p->t_step > step_timeout) {
			fail(p, "no answer within %.0f s", step_timeout);
		} else if (p->retry_at != 0 && p->fd < 0) {
			if (now >= p->retry_at) {
				p->retry_at = 0;
				start_tcp(p);
			}
		} else if (p->step == S_TFTP && now >= p->resend_at) {
			if (++p->tries > BS_TFTP_TRIES)
				fail(p, "TFTP: no answer after %d retransmissions", BS_TFTP_TRIES);
			else {
				p->rexmit = p->rexmit * 2 > BS_TFTP_REXMIT_MAX ? BS_TFTP_REXMIT_MAX :
				            p->rexmit * 2;
				tftp_send(p);
			}
		}
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double q)
{
	size_t i = (size_t)(n * q / 100.0);

	return n == 0 ? 0 : v[i < n ? i : n - 1] * 1000.0;
}

static int
registered(void)
{
	int k = 0;

	for (int i = 0; i < nphones; i++)
		if (phones[i].step == S_DONE)
			k++;
	return k;
}

static void
report(double secs)
{
	int reg = registered();

	printf("phones %d\nregistered %d\nfailed %d\nseconds %.3f\nper_second %.1f\n",
	       nphones, reg, nfailed, secs, secs > 0 ? reg / secs : 0);
	for (int s = 0; s < S_NSTEPS; s++) {
		struct step_stats *st = &stats[s];
		if (port[s] == 0) {
			printf("step %s skipped\n", step_name[s]);
			continue;
		}
		qsort(st->lat, st->n, sizeof(double), cmp_double);
		printf("step %s ok %zu p50 %.1f p99 %.1f max %.1f failed %zu retried %zu%s%s\n",
		       step_name[s], st->n, pct(st->lat, st->n, 50), pct(st->lat, st->n, 99),
		       pct(st->lat, st->n, 100), st->fails, st->retried,
		       st->fails ? " first " : "", st->reason);
	}
	qsort(boot_lat, nboot, sizeof(double), cmp_double);
	printf("step boot ok %zu p50 %.1f p99 %.1f max %.1f\n", nboot, pct(boot_lat, nboot, 50),
	       pct(boot_lat, nboot, 99), pct(boot_lat, nboot, 100));
	fflush(stdout);
}

static void
dispatch(struct phone *p)
{
	if (p->step == S_TFTP)
		tftp_read(p);
	else if (p->step < S_DONE)
		tls_event(p);
}

static double
run(void)
{
	struct epoll_event evs[512];
	double t0 = now_s(), last_tick = t0, last_prog = t0;
	int tty = isatty(2);          /* a terminal: one line redrawn; else every 10 s */

	while (next_phone < nphones || inflight > 0) {
		double now;
		int k;
		while (inflight < parallel && next_phone < nphones)
			start_phone(&phones[next_phone++]);
		k = epoll_wait(ep, evs, 512, 50);
		for (int i = 0; i < k; i++)
			dispatch(evs[i].data.ptr);
		now = now_s();
		if (now - last_tick >= 0.1) {
			check_timers(now);
			last_tick = now;
		}
		if (now - last_prog >= (tty ? 1.0 : 10.0)) {
			fprintf(stderr, "%s  %s: %zu/%d registered, %d booting, %d failed, %.0f s  %s",
			        tty ? "\r" : "", label, nboot, nphones, inflight, nfailed, now - t0,
			        tty ? "" : "\n");
			last_prog = now;
		}
	}
	fprintf(stderr, "%s  %s: %zu/%d registered, %d failed, %.1f s%20s\n", tty ? "\r" : "",
	        label, nboot, nphones, nfailed, now_s() - t0, "");
	return now_s() - t0;
}

/* After stdin's EOF: the kept connections the server has not closed. */
static int
still_open(void)
{
	int k = 0;

	for (int i = 0; i < nphones; i++) {
		struct pollfd pf = { phones[i].fd, POLLIN | POLLRDHUP, 0 };
		char c;
		if (phones[i].step != S_DONE || phones[i].fd < 0)
			continue;
		if (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR)) &&
		    recv(phones[i].fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
			continue;
		k++;
	}
	return k;
}

static void
setup(void)
{
	struct rlimit rl;

	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		exit(3);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);  /* a measurement */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		exit(3);
	for (int s = 0; s < S_NSTEPS; s++)
		if ((stats[s].lat = calloc((size_t)nphones + 1, sizeof(double))) == NULL)
			exit(3);
	if ((boot_lat = calloc((size_t)nphones + 1, sizeof(double))) == NULL)
		exit(3);
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	char line[64];
	int ch;

	while ((ch = getopt(argc, argv, "f:t:o:c:s:P:T:re:w:l:")) != -1) {
		switch (ch) {
		case 'f': file = optarg; break;
		case 't': port[S_TFTP] = (int)arg_num(optarg, 0, 65535); break;
		case 'o': port[S_TOKEN] = (int)arg_num(optarg, 0, 65535); break;
		case 'c': port[S_CONFIG] = (int)arg_num(optarg, 0, 65535); break;
		case 's': port[S_SIP] = (int)arg_num(optarg, 0, 65535); break;
		case 'P': parallel = (int)arg_num(optarg, 1, BS_MAX_PARALLEL); break;
		case 'T': step_timeout = (double)arg_num(optarg, 1, 3600); break;
		case 'r': refresh_mode = 1; break;
		case 'e': load_itl(optarg); break;
		case 'w':
			if ((wout = fopen(optarg, "w")) == NULL) {
				perror(optarg);
				return 2;
			}
			break;
		case 'l': label = optarg; break;
		default:
			fprintf(stderr, "usage: bootstorm_gen -f PHONES [-t PORT] [-o PORT] "
			        "[-c PORT] [-s PORT] [-P PARALLEL] [-T SECONDS] [-r] [-e ITL] "
			        "[-w OUT] [-l LABEL]\n");
			return 2;
		}
	}
	if (file == NULL) {
		fprintf(stderr, "bootstorm_gen: -f PHONES is required\n");
		return 2;
	}
	load_phones(file);
	setup();
	report(run());
	if (wout != NULL)
		fclose(wout);
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL)
		;
	printf("still_open %d of %d\n", still_open(), registered());
	return 0;
}
