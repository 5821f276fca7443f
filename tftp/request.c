/*
 * request.c - requests on the listening port: reading them with the local
 * address they were sent to, the checks in order (request rate, packet
 * form, retransmitted RRQ, write, admission, name resolution), the refusal
 * of each with its ERROR packet and log line, and the start of a transfer.
 */
#include "config.h"

#include <string.h>

#include "tftp/loop_int.h"

#define LOOP_RECV_BURST 64      /* requests read per wake-up before serving others */

/* Answers on the listening socket from the address the request was sent
 * to, so a multi-homed host replies from the address the client knows. */
static void
reply_listen(struct loop *l, const struct origin *o, int code, const char *msg)
{
	uint8_t pkt[4 + TFTP_ERRMSG_MAX + 1];
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	const struct local_dst *ld = &o->ld;
	struct iovec iov;
	struct msghdr mh;
	size_t n = tftp_build_error(pkt, sizeof(pkt), (uint16_t)code, msg);

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = pkt;
	iov.iov_len = n;
	mh.msg_name = (void *)&o->peer;
	mh.msg_namelen = o->peerlen;
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

/* ---- the checks, in order -------------------------------------------------- */
/* Spends one token of the address's request budget; over it, the request
 * is dropped unanswered (a spoofed source must not make us a reflector),
 * logged at most once a second per loop.  0 / -1. */
static int
request_rate(struct loop *l, struct origin *o, uint64_t now)
{
	const struct sockaddr *pa = (const struct sockaddr *)&o->peer;

	if (tftp_limiter_rate(l->s->lim, pa, now) == 0)
		return 0;
	STAT(l, refused_rate, 1);
	if (now - l->last_ratelog >= 1000) {
		l->last_ratelog = now;
		log_msg(LOG_NOTICE, "request rate of %s over the limit: dropping",
		        sockaddr_ntop(pa, o->name, sizeof(o->name)));
	}
	return -1;
}

/* Parses an RRQ or WRQ; refuses a malformed one or one whose options
 * cannot be negotiated.  0 / -1. */
/* Refusal lines a client can cause, each kind bounded (common/log.c). */
static struct log_rate malformed_rate = { .what = "tftp malformed request" };
static struct log_rate admit_rate = { .what = "tftp refused (caps)" };
static struct log_rate refuse_rate = { .what = "tftp refused" };

static int
request_parse(struct loop *l, const struct origin *o, const uint8_t *buf, size_t n,
              struct tftp_request *req)
{
	char err[96];
	int code;

	if (tftp_request_parse(buf, n, req, &code, err, sizeof(err)) == 0)
		return 0;
	if (code == TFTP_EOPTNEG)
		STAT(l, refused_options, 1);
	else
		STAT(l, refused_malformed, 1);
	if (log_rate_ok(&malformed_rate, LOG_RATE_DEFAULT))
		log_msg(LOG_NOTICE, "refused request from %s: %s", o->name, err);
	reply_listen(l, o, code, code == TFTP_EOPTNEG ? tftp_error_text(code) : err);
	return -1;
}

/* Takes a transfer slot for the peer's address, or refuses.  0 / -1. */
static int
request_admit(struct loop *l, const struct origin *o, const char *fname)
{
	enum tftp_admit adm = tftp_limiter_admit(l->s->lim, (const struct sockaddr *)&o->peer);

	if (adm == TFTP_ADMIT_OK)
		return 0;
	if (adm == TFTP_ADMIT_TOTAL)
		STAT(l, refused_total_cap, 1);
	else if (adm == TFTP_ADMIT_CLIENT)
		STAT(l, refused_client_cap, 1);
	else
		STAT(l, refused_rate, 1);
	if (log_rate_ok(&admit_rate, LOG_RATE_DEFAULT))
		log_msg(LOG_NOTICE, "refused \"%s\" to %s: %s", fname, o->name,
		        adm == TFTP_ADMIT_TOTAL ? "too many transfers" :
		        adm == TFTP_ADMIT_CLIENT ? "too many transfers for this address" :
		        "too many client addresses tracked");
	reply_listen(l, o, TFTP_EUNDEF, "Too many transfers, retry later");
	return -1;
}

/* Resolves the requested name into res, or refuses (giving back the slot
 * request_admit took).  0 / -1. */
static int
request_resolve(struct loop *l, const struct origin *o, const struct tftp_request *req,
                const char *fname, struct tftp_res *res)
{
	tftp_resolve(l->res, &l->cache, req->filename, req->filename_len, res);
	if (res->kind != TFTP_RES_REFUSE)
		return 0;
	if (res->oauth)
		STAT(l, refused_oauth, 1);
	else if (res->code == TFTP_ENOTFOUND)
		STAT(l, refused_not_found, 1);
	else
		STAT(l, refused_access, 1);
	if (log_rate_ok(&refuse_rate, LOG_RATE_DEFAULT))
		log_msg(LOG_NOTICE, "refused \"%s\" to %s: error %d, %s", fname, o->name,
		        res->code, res->why);
	reply_listen(l, o, res->code, res->msg);
	tftp_limiter_release(l->s->lim, (const struct sockaddr *)&o->peer);
	return -1;
}

static void
on_request(struct loop *l, const uint8_t *buf, size_t n, struct origin *o)
{
	const struct sockaddr *pa = (const struct sockaddr *)&o->peer;
	struct tftp_request req;
	struct tftp_res res;
	struct transfer *t;
	char fname[96];
	uint64_t now = tftp_now_ms();

	STAT(l, requests, 1);
	if (request_rate(l, o, now) < 0)
		return;
	/* DATA, ACK, ERROR and OACK have no business on the listening port
	 * (tftp-hpa's client, for one, acknowledges an ERROR there): dropped
	 * without an answer, which also keeps us from being a reflector. */
	if (n < 2 || (buf[0] == 0 && buf[1] >= TFTP_DATA && buf[1] <= TFTP_OACK))
		return;
	sockaddr_ntop(pa, o->name, sizeof(o->name));
	if (request_parse(l, o, buf, n, &req) < 0)
		return;
	str_sanitize(fname, sizeof(fname), req.filename, req.filename_len);
	if ((t = tftp_transfer_find(l, &o->peer)) != NULL) {
		/* The client resent its RRQ before our first answer reached
		 * it: the running transfer's timer answers that.  Past the
		 * first ACK it is a new request from a reused port. */
		if (!t->acked_any)
			return;
		tftp_transfer_end(l, t, 0);
	}
	if (req.opcode == TFTP_WRQ) {
		STAT(l, refused_write, 1);
		log_msg(LOG_NOTICE, "refused write of \"%s\" from %s: read-only server", fname,
		        o->name);
		reply_listen(l, o, TFTP_EACCESS, "Access violation: read-only server");
		return;
	}
	if (request_admit(l, o, fname) < 0 || request_resolve(l, o, &req, fname, &res) < 0)
		return;
	if ((t = tftp_transfer_new(l, o, &req, &res, fname, now)) == NULL) {
		tftp_limiter_release(l->s->lim, pa);
		reply_listen(l, o, TFTP_EUNDEF, "Server error");
		return;
	}
	tftp_transfer_act(l, t, tftp_xfer_start(&t->x));
}

/* ---- reading the listening socket ----------------------------------------- */
/* The local address of a received datagram, from its IP_PKTINFO or
 * IPV6_PKTINFO (a v4-mapped IPv6 one counts as IPv4). */
static void
local_dst_parse(struct msghdr *mh, struct local_dst *ld)
{
	struct cmsghdr *cm;

	memset(ld, 0, sizeof(*ld));
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			memcpy(&ld->pi4, CMSG_DATA(cm), sizeof(ld->pi4));
			ld->have4 = 1;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&ld->pi6, CMSG_DATA(cm), sizeof(ld->pi6));
			ld->have6 = !IN6_IS_ADDR_V4MAPPED(&ld->pi6.ipi6_addr);
			if (!ld->have6) {
				ld->have4 = 1;
				memcpy(&ld->pi4.ipi_addr, &ld->pi6.ipi6_addr.s6_addr[12], 4);
			}
		}
	}
}

void
tftp_listen_input(struct loop *l)
{
	uint8_t buf[TFTP_REQUEST_MAX + 64];

	for (int k = 0; k < LOOP_RECV_BURST; k++) {
		struct origin o;
		char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &o.peer;
		mh.msg_namelen = sizeof(o.peer);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if ((n = recvmsg(l->lfd, &mh, 0)) < 0)
			return;
		o.peerlen = mh.msg_namelen;
		o.name[0] = '\0';
		local_dst_parse(&mh, &o.ld);
		if (mh.msg_flags & MSG_TRUNC)
			n = TFTP_REQUEST_MAX + 1;    /* refused as too long */
		on_request(l, buf, (size_t)n, &o);
	}
}
