/*
 * decide.c - the one call every front door makes: gather the facts a
 * request needs from the current snapshot, in the order that lets an
 * anonymous caller learn nothing, and ask policy_decide().
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "gate/gate_int.h"

static enum tok_verdict
authenticate(const struct gate_snap_int *s, const struct gate_request *rq,
             struct tok_claims *claims)
{
	switch (rq->token_state) {
	case GATE_TOKEN_PRESENT:
		return gate_validate_in(s, rq->token, rq->token_len, claims);
	case GATE_TOKEN_TOO_LARGE:
		return TOK_TOO_LARGE;
	case GATE_TOKEN_UNREADABLE:
	case GATE_TOKEN_NONE:
	default:
		return TOK_MALFORMED;
	}
}

/* The device a request is decided for: the one it names, or on SIP
 * without one (Contact "*", a query) the token's device, else the hint. */
static const char *
target_name(const struct gate_request *rq, enum tok_verdict v,
            const struct tok_claims *claims)
{
	if (rq->device == NULL || rq->device[0] != '\0')
		return rq->device;
	if (v == TOK_OK && claims->dev[0] != '\0')
		return claims->dev;
	return rq->device_hint ? rq->device_hint : "";
}

/* Fills in.target from the snapshot and the caller's file lookup. */
static void
gather(const struct gate_snap_int *s, const struct gate_request *rq,
       const char *name, struct policy_input *in, struct gate_verdict *out)
{
	const struct gate_dev_entry *e;

	if (name == NULL) {                     /* a public file, a trust list */
		in->target.trust_list = rq->trust_list;
		in->target.exists = rq->file_lookup ? rq->file_lookup(rq->file_arg) : 0;
		return;
	}
	/* A name longer than any device's is no device (and not logged). */
	if (strlen(name) < sizeof(out->device))
		memcpy(out->device, name, strlen(name) + 1);
	in->target.device_specific = 1;
	in->target.name = name;
	if ((e = gate_devices_find(&s->conf->devices, name)) == NULL)
		return;
	/* From here on the canonical spelling (the snapshot outlives the
	 * call). */
	in->target.name = e->d.name;
	memcpy(out->device, e->d.name, strlen(e->d.name) + 1);
	out->device_exists = 1;
	out->device_oauth = e->d.oauth;
	snprintf(out->owner, sizeof(out->owner), "%s", e->d.owner);
	in->target.oauth_enabled = e->d.oauth;
	in->target.owner = out->owner[0] ? out->owner : NULL;
	/* Over 6970 and TFTP every file of an OAuth device is refused for the
	 * channel, whether or not that file exists (fail closed, and nothing
	 * learnt about it); elsewhere the file itself must exist. */
	if (e->d.oauth && (rq->channel == CH_HTTP_PUBLIC || rq->channel == CH_TFTP))
		in->target.exists = 1;
	else
		in->target.exists = !rq->file_absent &&
		                    (rq->file_lookup == NULL || rq->file_lookup(rq->file_arg));
	in->sip_aor_is_line = rq->aor_user != NULL &&
	                      gate_device_has_line(&e->d, rq->aor_user,
	                                           rq->aor_user_len);
}

/* 1 when the store has moved past snapshot s (one generation read through
 * this thread's handle; an unreadable store counts as moved). */
static int
snapshot_stale(struct gate *g, const struct gate_snap_int *s)
{
	struct store *st = gate_store(g);
	struct store_generation gen;

	if (st == NULL || store_generation(st, &gen, NULL, 0) != 0)
		return 1;
	return gen.config != s->conf->gen || gen.revocation != s->revs->gen;
}

static void decide_in(struct gate *g, const struct gate_snap_int *s,
                      const struct gate_request *rq, struct gate_verdict *out);

void
gate_decide(struct gate *g, const struct gate_request *rq,
            struct gate_verdict *out)
{
	const struct gate_snap_int *s = (const struct gate_snap_int *)gate_snap(g);

	/* A device's file on 6970 or TFTP is the one answer that must not lag
	 * behind the store: a device just moved onto an OAuth profile is
	 * refused in the clear from the moment the change committed, not at
	 * the next sync.  So those requests confirm the snapshot against the
	 * store's generation first (one PRAGMA read while nothing changed),
	 * and decide on a fresh one when it moved. */
	if (rq->device != NULL &&
	    (rq->channel == CH_HTTP_PUBLIC || rq->channel == CH_TFTP) &&
	    snapshot_stale(g, s)) {
		gate_snap_release(&s->pub);
		(void)gate_refresh(g);
		s = (const struct gate_snap_int *)gate_snap(g);
	}
	decide_in(g, s, rq, out);
	gate_snap_release(&s->pub);
}

static void
decide_in(struct gate *g, const struct gate_snap_int *s,
          const struct gate_request *rq, struct gate_verdict *out)
{
	struct policy_input in;
	struct policy_result pr;
	int token_first;

	memset(out, 0, sizeof(*out));
	memset(&in, 0, sizeof(in));
	out->config_gen = s->conf->gen;
	in.channel = rq->channel;
	in.peer = rq->peer;
	in.cluster_sip_oauth = s->conf->cluster.sip_oauth_mode;
	in.token_present = rq->token_state != GATE_TOKEN_NONE;
	out->tok = in.token_present ? authenticate(s, rq, &out->claims)
	                            : TOK_MALFORMED;
	in.verdict = out->tok;
	if (in.token_present && out->tok == TOK_OK)
		in.claims = &out->claims;
	/* 6971: without a valid token nothing else is looked at, so an
	 * anonymous request costs the same whatever it names. */
	token_first = rq->channel == CH_HTTPS_CONFIG && in.claims == NULL;
	if (!token_first)
		gather(s, rq, target_name(rq, out->tok, &out->claims), &in, out);
	else if (rq->device != NULL && strlen(rq->device) < sizeof(out->device))
		memcpy(out->device, rq->device, strlen(rq->device) + 1);
	pr = policy_decide(&in);
	out->reason = pr.reason;
	out->why = pr.why;
	if (in.claims == NULL)
		memset(&out->claims, 0, sizeof(out->claims)); /* never log what failed */
	if ((unsigned)pr.reason < GATE_REASONS)
		atomic_fetch_add(&g->verdicts[pr.reason], 1);
}

void
gate_verdict_counts(struct gate *g, uint64_t out[GATE_REASONS])
{
	for (int i = 0; i < GATE_REASONS; i++)
		out[i] = atomic_load(&g->verdicts[i]);
}
