/* xfer.c - the sending side of one transfer as pure functions over events
 * (start, ACK, timeout); the engine does the I/O the returned action names. */
#include "config.h"

#include <string.h>

#include "tftp/tftp.h"

void
tftp_xfer_init(struct tftp_xfer *x, const struct tftp_neg *neg, uint64_t nblocks,
               uint32_t rto_ms, uint32_t rto_max_ms, unsigned retries_max)
{
	memset(x, 0, sizeof(*x));
	x->blksize = neg->blksize;
	x->windowsize = neg->windowsize ? neg->windowsize : 1;
	x->last = nblocks;
	x->oack = neg->oack.mask != 0;
	/* RFC 2349: a negotiated timeout is the interval both sides use. */
	if (neg->timeout)
		rto_ms = neg->timeout * 1000u;
	if (rto_ms == 0)
		rto_ms = 1;
	if (rto_max_ms < rto_ms)
		rto_max_ms = rto_ms;
	x->rto_ms = x->rto_base_ms = rto_ms;
	x->rto_max_ms = rto_max_ms;
	x->retries_max = retries_max;
	x->retries_first = retries_max;
}

static struct tftp_action
window(struct tftp_xfer *x, int retransmit)
{
	struct tftp_action a = { TFTP_ACT_SEND, x->acked + 1, x->windowsize, retransmit };

	if (x->last && a.first + a.count - 1 > x->last)
		a.count = (uint32_t)(x->last - a.first + 1);
	return a;
}

struct tftp_action
tftp_xfer_start(struct tftp_xfer *x)
{
	struct tftp_action a = { TFTP_ACT_SEND_OACK, 0, 0, 0 };

	if (x->oack)
		return a;
	return window(x, 0);
}

struct tftp_action
tftp_xfer_ack(struct tftp_xfer *x, uint16_t block)
{
	struct tftp_action none = { TFTP_ACT_NONE, 0, 0, 0 };
	uint64_t i, dist;

	if (x->oack) {
		/* RFC 2347: the client acknowledges the OACK with ACK 0. */
		if (block != 0)
			return none;
		x->oack = 0;
		x->confirmed = 1;
		x->retries = 0;
		x->rto_ms = x->rto_base_ms;
		return window(x, 0);
	}
	/* The one index in (acked, sent] with these low 16 bits, if any. */
	dist = (uint16_t)(block - tftp_block_wire(x->acked));
	i = x->acked + dist;
	if (dist == 0 || i > x->sent)
		return none;              /* duplicate or stale: never resend here */
	x->acked = i;
	x->confirmed = 1;
	x->retries = 0;
	x->rto_ms = x->rto_base_ms;
	if (x->last && i >= x->last) {
		struct tftp_action done = { TFTP_ACT_DONE, 0, 0, 0 };
		return done;
	}
	/* Blocks after i that were already sent are being sent again: the
	 * peer acknowledged only part of the window. */
	if (i < x->sent) {
		struct tftp_action a = window(x, 1);
		uint64_t again = x->sent - i;
		x->retransmits += again < a.count ? again : a.count;
		return a;
	}
	return window(x, 0);
}

struct tftp_action
tftp_xfer_timeout(struct tftp_xfer *x)
{
	struct tftp_action fail = { TFTP_ACT_FAIL, 0, 0, 0 };
	struct tftp_action a;

	if (x->retries >= (x->confirmed ? x->retries_max : x->retries_first))
		return fail;
	x->retries++;
	x->rto_ms = x->rto_ms > x->rto_max_ms / 2 ? x->rto_max_ms : x->rto_ms * 2;
	if (x->oack) {
		a.kind = TFTP_ACT_SEND_OACK;
		a.first = 0;
		a.count = 0;
		a.retransmit = 1;
		x->retransmits++;
		return a;
	}
	a = window(x, 1);
	x->retransmits += a.count;
	return a;
}

void
tftp_xfer_sent(struct tftp_xfer *x, uint64_t index, size_t len)
{
	if (index > x->sent)
		x->sent = index;
	if (len < x->blksize && (x->last == 0 || index < x->last))
		x->last = index;
}
