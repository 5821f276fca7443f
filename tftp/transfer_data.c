/*
 * transfer_data.c - the I/O of a running transfer: windows of DATA out
 * (one sendmmsg per LOOP_BATCH blocks, octet read-ahead, netascii
 * conversion), OACK and ERROR out, ACK and ERROR in from the peer, and the
 * actions the state machine of xfer.c asks for.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tftp/loop_int.h"

/* Read-ahead of a transfer of a file too large to be held in memory: one
 * pread per 64 KiB rather than one per block (within cfg.transfer_memory,
 * after the client's first ACK). */
#define LOOP_READAHEAD  (64 * 1024)

/* Datagrams read from one transfer's socket per wake-up. */
#define LOOP_XFER_BURST 32

/* ---- packets out ---------------------------------------------------------- */
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
send_oack(struct transfer *t)
{
	uint8_t pkt[128];
	size_t n = tftp_build_oack(pkt, sizeof(pkt), &t->neg.oack);

	(void)sendto(t->fd, pkt, n, 0, (struct sockaddr *)&t->peer, t->peerlen);
}

/* One netascii block from state st into out; returns its length or -1. */
static long
ascii_block(struct loop *l, struct transfer *t, struct tftp_ascii *st, uint8_t *out)
{
	size_t got;
	const uint8_t *p = tftp_src_read(t->src, st->src, t->x.blksize, l->abuf, &got);

	if (p == NULL)
		return -1;
	return (long)tftp_ascii_fill(st, p, got, out, t->x.blksize);
}

static void
ascii_advance(struct loop *l, struct transfer *t, uint64_t blocks)
{
	while (blocks-- > 0)
		if (ascii_block(l, t, &t->abase, l->buf) < 0)
			return;
}

/* A read-ahead buffer for t, within the server's transfer memory and only
 * once the peer has acknowledged something: requests nobody answers cost
 * no buffer.  0 when t goes without one (each window read from the file). */
static int
readahead_alloc(struct loop *l, struct transfer *t)
{
	size_t *held = &l->s->ra_bytes;

	if (!t->acked_any)
		return 0;
	if (__atomic_add_fetch(held, LOOP_READAHEAD, __ATOMIC_RELAXED) >
	        l->s->cfg.transfer_memory ||
	    (t->ra = malloc(LOOP_READAHEAD)) == NULL) {
		__atomic_sub_fetch(held, LOOP_READAHEAD, __ATOMIC_RELAXED);
		return 0;
	}
	return 1;
}

void
tftp_readahead_free(struct loop *l, struct transfer *t)
{
	if (t->ra == NULL)
		return;
	free(t->ra);
	t->ra = NULL;
	__atomic_sub_fetch(&l->s->ra_bytes, LOOP_READAHEAD, __ATOMIC_RELAXED);
}

/* Octet bytes [off, off + len) of the source: from memory, from the
 * transfer's read-ahead buffer, or (a window larger than the buffer) read
 * into the loop's buffer.  *got is short only at the end of the source. */
static const uint8_t *
octet_bytes(struct loop *l, struct transfer *t, uint64_t off, size_t len, size_t *got)
{
	uint64_t end = off + len, have;

	if (t->src->mem != NULL || len > LOOP_READAHEAD ||
	    (t->ra == NULL && !readahead_alloc(l, t)))
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

/* Puts block idx (len bytes at data) in slot n of the loop's sendmmsg batch. */
static void
queue_block(struct loop *l, struct transfer *t, unsigned n, uint64_t idx,
            const uint8_t *data, size_t len)
{
	tftp_build_data_header(l->hdr[n], 4, tftp_block_wire(idx));
	l->iov[n][0].iov_base = l->hdr[n];
	l->iov[n][0].iov_len = 4;
	l->iov[n][1].iov_base = (void *)data;
	l->iov[n][1].iov_len = len;
	memset(&l->msgs[n], 0, sizeof(l->msgs[n]));
	l->msgs[n].msg_hdr.msg_name = &t->peer;
	l->msgs[n].msg_hdr.msg_namelen = t->peerlen;
	l->msgs[n].msg_hdr.msg_iov = l->iov[n];
	l->msgs[n].msg_hdr.msg_iovlen = 2;
}

/* Sends blocks first .. first+count-1, stopping after a short block.
 * Returns -1 on a read error. */
static int
send_window(struct loop *l, struct transfer *t, uint64_t first, uint32_t count)
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
			queue_block(l, t, n, idx + n, data, len);
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

/* ---- the state machine's actions ------------------------------------------ */
int
tftp_transfer_act(struct loop *l, struct transfer *t, struct tftp_action a)
{
	if (t->x.retransmits != t->rexmit_seen) {
		STAT(l, retransmits, t->x.retransmits - t->rexmit_seen);
		t->rexmit_seen = t->x.retransmits;
	}
	switch (a.kind) {
	case TFTP_ACT_NONE:
		return 0;
	case TFTP_ACT_SEND_OACK:
		send_oack(t);
		tftp_timer_arm(l, t);
		return 0;
	case TFTP_ACT_SEND:
		if (send_window(l, t, a.first, a.count) < 0) {
			log_msg(LOG_ERR, "reading \"%s\" for %s failed", t->name, t->peername);
			send_error(l, t->fd, (struct sockaddr *)&t->peer, t->peerlen,
			           TFTP_EUNDEF, "Read error");
			tftp_transfer_end(l, t, 0);
			return 1;
		}
		tftp_timer_arm(l, t);
		return 0;
	case TFTP_ACT_DONE:
		tftp_transfer_end(l, t, 1);
		return 1;
	case TFTP_ACT_FAIL:
		STAT(l, timeouts, 1);
		log_msg(LOG_INFO, "transfer of \"%s\" to %s timed out", t->name, t->peername);
		tftp_transfer_end(l, t, 0);
		return 1;
	}
	return 0;
}

/* ---- packets in ----------------------------------------------------------- */
/* An ACK (4 bytes at buf) from the peer.  Returns 1 when reading should
 * stop for this wake-up. */
static int
on_ack(struct loop *l, struct transfer *t, const uint8_t *buf)
{
	uint64_t before = t->x.acked;
	struct tftp_action a;

	t->acked_any = 1;
	a = tftp_xfer_ack(&t->x, (uint16_t)((buf[2] << 8) | buf[3]));
	if (t->netascii && t->x.acked > before && a.kind == TFTP_ACT_SEND)
		ascii_advance(l, t, t->x.acked - before);
	/* After a send, wait for the next wake-up rather than spend a
	 * recvfrom on the EAGAIN that usually follows (epoll is
	 * level-triggered: nothing is lost). */
	return tftp_transfer_act(l, t, a) || a.kind != TFTP_ACT_NONE;
}

/* An ERROR from the peer (n bytes at buf, pkt parsed when well-formed). */
static void
on_peer_error(struct loop *l, struct transfer *t, const uint8_t *buf, size_t n,
              const struct tftp_packet *pkt)
{
	char m[96];

	STAT(l, peer_errors, 1);
	/* An ERROR ends the transfer, even a malformed one; it is never
	 * answered (RFC 1350 §7). */
	str_sanitize(m, sizeof(m), pkt->msg ? pkt->msg : "", pkt->msg ? pkt->msglen : 0);
	log_msg(LOG_INFO, "%s aborted \"%s\": error %u \"%s\"", t->peername, t->name,
	        n >= 4 ? (unsigned)((buf[2] << 8) | buf[3]) : 0u, m);
	tftp_transfer_end(l, t, 0);
}

void
tftp_transfer_input(struct loop *l, struct transfer *t)
{
	uint8_t buf[TFTP_REQUEST_MAX + 64];

	if (t->dead)
		return;

	for (int k = 0; k < LOOP_XFER_BURST; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		struct tftp_packet pkt;
		ssize_t n = recvfrom(t->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		if (!tftp_same_peer(&from, &t->peer)) {
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
			if (on_ack(l, t, buf))
				return;
		} else if (buf[0] == 0 && buf[1] == TFTP_ERROR) {
			on_peer_error(l, t, buf, (size_t)n, &pkt);
			return;
		} else {
			send_error(l, t->fd, (struct sockaddr *)&t->peer, t->peerlen, TFTP_EBADOP,
			           tftp_error_text(TFTP_EBADOP));
			tftp_transfer_end(l, t, 0);
			return;
		}
	}
}
