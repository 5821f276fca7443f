/* negotiate.c - RFC 2347 option negotiation: what the OACK answers. */
#include "config.h"

#include <string.h>

#include "tftp/tftp.h"

void
tftp_limits_default(struct tftp_limits *lim)
{
	lim->blksize_max = TFTP_BLKSIZE_MAX;
	/* A larger window lets one spoofed request (answered by one OACK, then
	 * a whole window once ACK 0 arrives) cost more; 64 already fills a
	 * gigabit LAN at blksize 1428. */
	lim->windowsize_max = 64;
	lim->timeout_min = TFTP_TIMEOUT_MIN;
	lim->timeout_max = TFTP_TIMEOUT_MAX;
	lim->tsize = 1;
}

void
tftp_negotiate(const struct tftp_request *req, const struct tftp_limits *lim,
               int64_t size, struct tftp_neg *neg)
{
	const struct tftp_options *o = &req->opt;

	memset(neg, 0, sizeof(*neg));
	neg->blksize = TFTP_BLKSIZE_DEFAULT;
	neg->windowsize = 1;
	if (o->mask & TFTP_OPT_BLKSIZE) {
		uint32_t b = o->blksize;
		if (b > lim->blksize_max)
			b = lim->blksize_max;
		if (b < TFTP_BLKSIZE_MIN)
			b = TFTP_BLKSIZE_MIN;
		neg->blksize = b;
		neg->oack.blksize = b;
		neg->oack.mask |= TFTP_OPT_BLKSIZE;
	}
	if (o->mask & TFTP_OPT_WINDOWSIZE) {
		uint32_t w = o->windowsize;
		if (w > lim->windowsize_max)
			w = lim->windowsize_max;
		if (w < TFTP_WINDOW_MIN)
			w = TFTP_WINDOW_MIN;
		neg->windowsize = w;
		neg->oack.windowsize = w;
		neg->oack.mask |= TFTP_OPT_WINDOWSIZE;
	}
	/* RFC 2349: the server either echoes the timeout or leaves it out. */
	if ((o->mask & TFTP_OPT_TIMEOUT) && o->timeout >= lim->timeout_min &&
	    o->timeout <= lim->timeout_max) {
		neg->timeout = o->timeout;
		neg->oack.timeout = o->timeout;
		neg->oack.mask |= TFTP_OPT_TIMEOUT;
	}
	if ((o->mask & TFTP_OPT_TSIZE) && lim->tsize && size >= 0) {
		neg->oack.tsize = (uint64_t)size;
		neg->oack.mask |= TFTP_OPT_TSIZE;
	}
}
