/*
 * metrics.c - GET /metrics in the Prometheus text exposition format:
 * requests by listener and status, verdicts by reason, token cache hits and
 * misses, active connections, OAuth counters.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpsd/httpsd_int.h"

#define METRICS_MAX 65536

struct buf {
	char *p;
	size_t n, cap;
};

static void OPROV_PRINTF(2, 3)
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->n >= b->cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n += (size_t)k < b->cap - b->n ? (size_t)k : b->cap - b->n;
}

enum MHD_Result
httpsd_handle_metrics(struct httpsd_listener *l, struct MHD_Connection *c,
                      struct httpsd_req *r)
{
	struct httpsd *h = l->h;
	struct tok_cache_stats cs;
	struct buf b = { malloc(METRICS_MAX), 0, METRICS_MAX };
	enum MHD_Result ret;

	if (b.p == NULL)
		return MHD_NO;
	put(&b, "# HELP oprov_httpsd_requests_total Requests answered, by listener and status.\n"
	        "# TYPE oprov_httpsd_requests_total counter\n");
	for (int k = 0; k < LST_COUNT; k++) {
		if (h->lst[k].name == NULL)
			continue;
		for (unsigned st = 100; st < 600; st++) {
			uint64_t v = atomic_load(&h->m.status[k][st]);
			if (v > 0)
				put(&b, "oprov_httpsd_requests_total{listener=\"%s\",status=\"%u\"} %"
				    PRIu64 "\n", h->lst[k].name, st, v);
		}
	}
	put(&b, "# HELP oprov_httpsd_verdicts_total Policy decisions, by reason.\n"
	        "# TYPE oprov_httpsd_verdicts_total counter\n");
	for (int i = 0; i < MET_REASONS; i++)
		put(&b, "oprov_httpsd_verdicts_total{reason=\"%s\"} %" PRIu64 "\n",
		    policy_reason_name((enum policy_reason)i),
		    (uint64_t)atomic_load(&h->m.verdicts[i]));
	put(&b, "# HELP oprov_httpsd_connections Open connections, by listener.\n"
	        "# TYPE oprov_httpsd_connections gauge\n");
	for (int k = 0; k < LST_COUNT; k++)
		if (h->lst[k].name != NULL)
			put(&b, "oprov_httpsd_connections{listener=\"%s\"} %" PRId64 "\n",
			    h->lst[k].name, (int64_t)atomic_load(&h->m.active[k]));
	memset(&cs, 0, sizeof(cs));
	pthread_rwlock_rdlock(&h->lock);
	if (h->validator != NULL)
		tok_cache_stats(h->validator, &cs);
	pthread_rwlock_unlock(&h->lock);
	put(&b, "# HELP oprov_httpsd_token_cache_hits_total Verified-token cache hits.\n"
	        "# TYPE oprov_httpsd_token_cache_hits_total counter\n"
	        "oprov_httpsd_token_cache_hits_total %" PRIu64 "\n"
	        "# HELP oprov_httpsd_token_cache_misses_total Verified-token cache misses.\n"
	        "# TYPE oprov_httpsd_token_cache_misses_total counter\n"
	        "oprov_httpsd_token_cache_misses_total %" PRIu64 "\n"
	        "# HELP oprov_httpsd_token_cache_entries Tokens in the cache.\n"
	        "# TYPE oprov_httpsd_token_cache_entries gauge\n"
	        "oprov_httpsd_token_cache_entries %" PRIu64 "\n",
	    cs.hits, cs.misses, cs.entries);
	put(&b, "# HELP oprov_httpsd_tokens_issued_total Access tokens issued.\n"
	        "# TYPE oprov_httpsd_tokens_issued_total counter\n"
	        "oprov_httpsd_tokens_issued_total %" PRIu64 "\n"
	        "# HELP oprov_httpsd_refresh_reuse_total Rotated refresh tokens presented again.\n"
	        "# TYPE oprov_httpsd_refresh_reuse_total counter\n"
	        "oprov_httpsd_refresh_reuse_total %" PRIu64 "\n"
	        "# HELP oprov_httpsd_activation_code_failures_total Failed activation codes.\n"
	        "# TYPE oprov_httpsd_activation_code_failures_total counter\n"
	        "oprov_httpsd_activation_code_failures_total %" PRIu64 "\n"
	        "# HELP oprov_httpsd_activation_code_throttled_total Refused by the rate limit.\n"
	        "# TYPE oprov_httpsd_activation_code_throttled_total counter\n"
	        "oprov_httpsd_activation_code_throttled_total %" PRIu64 "\n",
	    (uint64_t)atomic_load(&h->m.tokens_issued),
	    (uint64_t)atomic_load(&h->m.refresh_reuse),
	    (uint64_t)atomic_load(&h->m.code_failures),
	    (uint64_t)atomic_load(&h->m.code_throttled));
	ret = httpsd_reply(c, r, 200, "text/plain; version=0.0.4", b.p, b.n, NULL);
	free(b.p);
	return ret;
}
