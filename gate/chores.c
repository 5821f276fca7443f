/*
 * chores.c - what the gate's sync thread does beside following the store:
 * noticing (and saying once) that the store is out of reach and back, this
 * daemon's heartbeat, and the cluster's housekeeping (expired rows are
 * purged by one process of one node per STORE_HOUSEKEEP_INTERVAL, whoever
 * claims it first: store_housekeep).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate/gate_int.h"

int
gate_degraded(struct gate *g)
{
	return atomic_load(&g->degraded);
}

void
gate_set_degraded(struct gate *g, int down, const char *why)
{
	if (atomic_exchange(&g->degraded, down) == down)
		return;
	if (down)
		log_msg(LOG_ERR, "store: out of reach (%s); degraded: serving from "
		        "memory, refusing writes", why ? why : "?");
	else
		log_msg(LOG_NOTICE, "store: reachable again; back in sync");
}

int
gate_identify(struct gate *g, const char *node, const char *serves, char *err,
              size_t errlen)
{
	if (node != NULL)
		snprintf(g->node, sizeof(g->node), "%s", node);
	else if (store_node_name(g->datadir, g->node, sizeof(g->node), err,
	                         errlen) < 0)
		return -1;
	snprintf(g->serves, sizeof(g->serves), "%s", serves ? serves : "");
	return 0;
}

static void
heartbeat(struct gate *g, struct store *st, int64_t now)
{
	struct store_heartbeat h;
	char err[STORE_ERR_MAX];

	memset(&h, 0, sizeof(h));
	snprintf(h.node, sizeof(h.node), "%s", g->node);
	snprintf(h.program, sizeof(h.program), "%s", g->o.program);
	snprintf(h.serves, sizeof(h.serves), "%s", g->serves);
	h.pid = (int64_t)getpid();
	h.started = g->started;
	h.seen = now;
	if (store_heartbeat_put(st, &h, err, sizeof(err)) != 0 &&
	    !store_unavailable(st))
		log_msg(LOG_WARNING, "store: heartbeat: %s", err);
}

void
gate_chores(struct gate *g, struct store *st)
{
	int64_t now = (int64_t)time(NULL);
	char err[STORE_ERR_MAX];
	uint64_t removed = 0;
	int ran = 0;

	if ((g->o.store_flags & STORE_READONLY) || gate_degraded(g))
		return;
	if (g->started == 0)
		g->started = now;
	if (g->o.program != NULL && g->node[0] != '\0' && now >= g->next_beat) {
		heartbeat(g, st, now);
		g->next_beat = now + GATE_HEARTBEAT_S;
	}
	if (now < g->next_housekeep)
		return;
	g->next_housekeep = now + STORE_HOUSEKEEP_INTERVAL / 4 + 1;
	if (store_housekeep(st, g->node, now, STORE_HOUSEKEEP_INTERVAL, &ran,
	                    &removed, err, sizeof(err)) != 0) {
		if (!store_unavailable(st))
			log_msg(LOG_WARNING, "store: housekeeping: %s", err);
	} else if (ran && removed > 0) {
		log_msg(LOG_INFO, "store: housekeeping purged %llu expired rows",
		        (unsigned long long)removed);
	}
}
