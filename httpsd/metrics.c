/*
 * metrics.c - oprov-httpsd's counters through common/'s statistics
 * writer: requests by listener and status, verdicts by reason, renders,
 * token cache hits and misses, active connections, OAuth counters.  Served
 * as GET /metrics (Prometheus text format) and written by main() to
 * DATADIR/run/oprov-httpsd.stats.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpsd/httpsd_int.h"

void
httpsd_stats(struct httpsd *h, struct stats *out)
{
	struct tok_cache_stats cs;
	uint64_t verdicts[GATE_REASONS];

	for (int k = 0; k < LST_COUNT; k++) {
		if (h->lst[k].name == NULL)
			continue;
		for (unsigned st = 100; st < 600; st++) {
			uint64_t v = atomic_load(&h->m.status[k][st]);
			if (v > 0)
				stats_labeled(out, "requests_total",
				              "Requests answered, by listener and status.",
				              0, v, "listener=\"%s\",status=\"%u\"",
				              h->lst[k].name, st);
		}
	}
	gate_verdict_counts(h->gate, verdicts);
	for (int i = 0; i < GATE_REASONS; i++)
		stats_labeled(out, "verdicts_total", "Policy decisions, by reason.", 0,
		              verdicts[i], "reason=\"%s\"",
		              policy_reason_name((enum policy_reason)i));
	stats_counter(out, "config_lookups_total", "Rendered configs asked for "
	              "(only ever after an ALLOW).", atomic_load(&h->m.config_lookups));
	stats_counter(out, "renders_total", "Configs rendered from the store "
	              "(the others came from the cache).", atomic_load(&h->m.renders));
	for (int k = 0; k < LST_COUNT; k++)
		if (h->lst[k].name != NULL)
			stats_labeled(out, "connections", "Open connections, by listener.",
			              1, (uint64_t)atomic_load(&h->m.active[k]),
			              "listener=\"%s\"", h->lst[k].name);
	gate_cache_stats(h->gate, &cs);
	stats_counter(out, "token_cache_hits_total", "Verified-token cache hits.",
	              cs.hits);
	stats_counter(out, "token_cache_misses_total", "Verified-token cache misses.",
	              cs.misses);
	stats_gauge(out, "token_cache_entries", "Tokens in the cache.", cs.entries);
	stats_counter(out, "tokens_issued_total", "Access tokens issued.",
	              atomic_load(&h->m.tokens_issued));
	stats_counter(out, "refresh_reuse_total",
	              "Rotated refresh tokens presented again.",
	              atomic_load(&h->m.refresh_reuse));
	stats_counter(out, "activation_code_failures_total", "Failed activation codes.",
	              atomic_load(&h->m.code_failures));
	stats_counter(out, "activation_code_throttled_total",
	              "Refused by the rate limit.", atomic_load(&h->m.code_throttled));
}

enum MHD_Result
httpsd_handle_metrics(struct httpsd_listener *l, struct MHD_Connection *c,
                      struct httpsd_req *r)
{
	struct stats s;
	enum MHD_Result ret;
	size_t len = 0;
	char *text;

	stats_init(&s);
	httpsd_stats(l->h, &s);
	text = stats_text(&s, "oprov_httpsd_", &len);
	stats_free(&s);
	if (text == NULL)
		return httpsd_reply(c, r, 500, "text/plain", "error\n", 6, NULL);
	ret = httpsd_reply(c, r, 200, "text/plain; version=0.0.4", text, len, NULL);
	free(text);
	return ret;
}
