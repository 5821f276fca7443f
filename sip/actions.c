/*
 * actions.c - oprov-sipd's side of `oprovctl device apply|reset|restart`:
 * requests come from the store (main()'s thread reads them once a tick for
 * the bindings this node holds), the event loop that owns the device's
 * connection writes the NOTIFY (notify.c) into it, the loop that reads the
 * device's final response marks it answered, and main() writes each
 * outcome back: "sent", "answered" with the status code, "not registered"
 * when no loop holds the connection any more, "failed" when the NOTIFY
 * could not be written.  No loop touches the store; the list is short and
 * guarded by one mutex.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sipd_int.h"

static const char *
state_word(enum sipd_nstate s)
{
	switch (s) {
	case SIPD_N_NEW:      return "queued";
	case SIPD_N_SENT:     return "sent";
	case SIPD_N_ANSWERED: return "answered";
	case SIPD_N_NOTREG:   return "not registered";
	case SIPD_N_FAILED:   return "failed";
	}
	return "failed";
}

static int
final_state(enum sipd_nstate s)
{
	return s == SIPD_N_ANSWERED || s == SIPD_N_NOTREG || s == SIPD_N_FAILED;
}

/* Writes n's state when it changed since the last write. */
static void
write_back(struct sipd *d, struct store *st, struct sipd_notify *n, time_t now)
{
	struct store_action a = n->a;
	char err[STORE_ERR_MAX];

	if (n->state == n->written)
		return;
	snprintf(a.state, sizeof(a.state), "%s", state_word(n->state));
	snprintf(a.node, sizeof(a.node), "%s", d->o.node);
	a.updated = now;
	if (store_action_update(st, &a, err, sizeof(err)) != 0)
		log_msg(LOG_ERR, "store: action %s for %s: %s", a.action, a.device, err);
	else
		n->written = n->state;
}

#define SETTLE_BATCH 32                  /* "sent" writes per tick */

/* Outcomes back to the store; finished or timed-out entries dropped.  Only
 * this thread frees entries, so what is copied out under the lock is
 * written without it. */
static void
settle(struct sipd *d, struct store *st, time_t now)
{
	struct sipd_notify *done = NULL, **pp, *n, sent[SETTLE_BATCH];
	size_t nsent = 0;

	pthread_mutex_lock(&d->nlock);
	for (pp = &d->notifies; (n = *pp) != NULL;) {
		int timed_out = n->state == SIPD_N_SENT &&
		                now - n->sent_at >= SIPD_NOTIFY_TIMEOUT;
		if (final_state(n->state) || timed_out) {
			*pp = n->next;
			n->next = done;
			done = n;
			d->nnotifies--;
			continue;
		}
		if (n->state == SIPD_N_SENT && n->written != SIPD_N_SENT &&
		    nsent < SETTLE_BATCH) {
			n->written = SIPD_N_SENT;
			sent[nsent] = *n;
			sent[nsent++].written = SIPD_N_NEW;
		}
		pp = &n->next;
	}
	pthread_mutex_unlock(&d->nlock);
	for (size_t i = 0; i < nsent; i++)
		write_back(d, st, &sent[i], now);
	while ((n = done) != NULL) {
		done = n->next;
		if (n->state == SIPD_N_SENT)
			log_msg(LOG_NOTICE, "%s %s: no answer within %d s", n->a.action,
			        n->a.device, SIPD_NOTIFY_TIMEOUT);
		write_back(d, st, n, now);
		free(n);
	}
}

/* Pending requests as the store lists them, one per binding; collected
 * first, written ("queued") after the listing is done. */
struct take {
	struct sipd *d;
	struct sipd_notify *list;
	size_t count;
};

static int
take_one(void *ctx, const struct store_action *a)
{
	struct take *t = ctx;
	struct sipd_notify *n;

	if (t->d->nnotifies + t->count >= SIPD_NOTIFY_MAX)
		return 1;                       /* the rest next tick */
	for (n = t->list; n != NULL; n = n->next)
		if (n->a.seq == a->seq && strcmp(n->a.device, a->device) == 0)
			return 0;               /* one NOTIFY per device */
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return 1;
	n->a = *a;
	n->state = SIPD_N_NEW;
	n->written = SIPD_N_FAILED;         /* differs: "queued" gets written */
	n->next = t->list;
	t->list = n;
	t->count++;
	return 0;
}

void
sipd_actions_poll(struct sipd *d, struct store *st, time_t now)
{
	struct take t = { d, NULL, 0 };
	struct sipd_notify *n;
	char err[STORE_ERR_MAX];

	settle(d, st, now);
	if (store_action_pending(st, d->o.node, take_one, &t, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "store: pending device actions: %s", err);
	if (t.list == NULL)
		return;
	for (n = t.list; n != NULL; n = n->next)
		write_back(d, st, n, now);
	pthread_mutex_lock(&d->nlock);
	while ((n = t.list) != NULL) {
		t.list = n->next;
		n->next = d->notifies;
		d->notifies = n;
		d->nnotifies++;
	}
	pthread_mutex_unlock(&d->nlock);
	atomic_fetch_add(&d->nseq, 1);
}

/* The NOTIFY of n into buf; 0 when it cannot be written. */
static size_t
compose(struct sipd *d, struct sipd_notify *n, char *buf, size_t size)
{
	struct sip_notify sn = { 0 };
	char id[SIP_NOTIFY_ID_MAX];
	const char *host = d->o.reg.host[0] ? d->o.reg.host : "oprov.invalid";

	if (sip_notify_kind_parse(n->a.action, &sn.kind) < 0)
		return 0;
	snprintf(id, sizeof(id), "oprov%llx-%llx-%llx", (unsigned long long)n->a.seq,
	         (unsigned long long)n->a.conn_id, (unsigned long long)n->a.requested);
	sn.ruri = n->a.contact;
	sn.aor = n->a.aor;
	sn.route = n->a.path[0] ? n->a.path : NULL;
	sn.host = host;
	sn.id = id;
	if (strlen(id) + 1 + strlen(host) >= sizeof(n->call_id))
		return 0;                       /* the answer could not carry it */
	memcpy(n->call_id, id, strlen(id));
	n->call_id[strlen(id)] = '@';
	memcpy(n->call_id + strlen(id) + 1, host, strlen(host) + 1);
	return sip_notify_write(&sn, buf, size);
}

void
sipd_actions_send(struct sipd *d, int idx, sipd_conn_find_fn find,
                  sipd_conn_send_fn send, void *ctx, time_t now)
{
	uint64_t bit = (uint64_t)1 << idx;
	uint64_t all = d->nloops >= 64 ? ~(uint64_t)0
	                               : ((uint64_t)1 << d->nloops) - 1;
	char buf[SIP_RESP_MAX];
	struct sipd_notify *n;

	pthread_mutex_lock(&d->nlock);
	for (n = d->notifies; n != NULL; n = n->next) {
		size_t len;

		if (n->state != SIPD_N_NEW || (n->looked & bit))
			continue;
		n->looked |= bit;
		if (!find(ctx, n->a.conn_id)) {
			if ((n->looked & all) == all)
				n->state = SIPD_N_NOTREG;
			continue;
		}
		len = compose(d, n, buf, sizeof(buf));
		if (len == 0 || send(ctx, n->a.conn_id, buf, len) != 0) {
			log_msg(LOG_NOTICE, "%s %s: NOTIFY could not be sent", n->a.action,
			        n->a.device);
			n->state = SIPD_N_FAILED;
			continue;
		}
		n->state = SIPD_N_SENT;
		n->sent_at = now;
		log_msg(LOG_INFO, "%s %s: NOTIFY sent (conn=%llu)", n->a.action, n->a.device,
		        (unsigned long long)n->a.conn_id);
	}
	pthread_mutex_unlock(&d->nlock);
}

void
sipd_actions_answer(struct sipd *d, uint64_t conn_id, const char *call_id, int code)
{
	struct sipd_notify *n;

	pthread_mutex_lock(&d->nlock);
	for (n = d->notifies; n != NULL; n = n->next)
		if (n->a.conn_id == conn_id && n->state == SIPD_N_SENT &&
		    strcmp(n->call_id, call_id) == 0) {
			n->state = SIPD_N_ANSWERED;
			n->a.code = code;
			log_msg(LOG_INFO, "%s %s: answered %d", n->a.action, n->a.device, code);
			break;
		}
	pthread_mutex_unlock(&d->nlock);
}

void
sipd_actions_free(struct sipd *d)
{
	while (d->notifies != NULL) {
		struct sipd_notify *n = d->notifies;

		d->notifies = n->next;
		free(n);
	}
	d->nnotifies = 0;
}
