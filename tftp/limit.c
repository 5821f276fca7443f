/* limit.c - oprov-tftpd's admission, on common/'s limiter: concurrent
 * transfer caps (in total and per client address) and a token-bucket
 * request rate per address, so a spoofed source cannot turn the server into
 * a traffic reflector. */
#include "config.h"

#include <stdlib.h>

#include "common/common.h"
#include "tftp/tftp_int.h"

struct tftp_limiter {
	struct limiter *caps;         /* transfers held */
	struct limiter *rate;         /* requests per second; NULL: no limit */
};

struct tftp_limiter *
tftp_limiter_new(unsigned max_total, unsigned max_per_client, unsigned rate, unsigned burst)
{
	struct tftp_limiter *l = calloc(1, sizeof(*l));
	struct limiter_config cc = { .max_total = max_total,
	                             .max_per_key = max_per_client };
	struct limiter_config rc = { .burst = burst ? burst : 1 };

	if (l == NULL)
		return NULL;
	/* `rate` a second with a bucket of `burst`: the bucket refills over
	 * burst / rate seconds. */
	rc.window_ms = rate ? (unsigned)((uint64_t)rc.burst * 1000u / rate) : 0;
	if (rate && rc.window_ms == 0)
		rc.window_ms = 1;
	if ((l->caps = limiter_new(&cc)) == NULL ||
	    (rate && (l->rate = limiter_new(&rc)) == NULL)) {
		tftp_limiter_free(l);
		return NULL;
	}
	return l;
}

void
tftp_limiter_free(struct tftp_limiter *l)
{
	if (l == NULL)
		return;
	limiter_free(l->caps);
	limiter_free(l->rate);
	free(l);
}

int
tftp_limiter_rate(struct tftp_limiter *l, const struct sockaddr *sa, uint64_t now_ms)
{
	uint8_t k[16];

	if (l->rate == NULL)
		return 0;
	limiter_addr_key(sa, k);
	return limiter_spend(l->rate, k, sizeof(k), now_ms) == LIMIT_OK ? 0 : -1;
}

enum tftp_admit
tftp_limiter_admit(struct tftp_limiter *l, const struct sockaddr *sa)
{
	uint8_t k[16];

	limiter_addr_key(sa, k);
	switch (limiter_take(l->caps, k, sizeof(k))) {
	case LIMIT_OK: return TFTP_ADMIT_OK;
	case LIMIT_TOTAL: return TFTP_ADMIT_TOTAL;
	case LIMIT_KEY: return TFTP_ADMIT_CLIENT;
	default: return TFTP_ADMIT_RATE;      /* too many addresses tracked */
	}
}

void
tftp_limiter_release(struct tftp_limiter *l, const struct sockaddr *sa)
{
	uint8_t k[16];

	limiter_addr_key(sa, k);
	limiter_release(l->caps, k, sizeof(k));
}

void
tftp_limiter_sweep(struct tftp_limiter *l, uint64_t now_ms)
{
	limiter_sweep(l->caps, now_ms);
	if (l->rate != NULL)
		limiter_sweep(l->rate, now_ms);
}
