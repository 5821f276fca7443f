/*
 * test_gate.c - the gate against a real store in a temporary directory:
 * the first snapshot, device facts by name (any case), the one decision on
 * every channel, revocations and device moves seen after gate_refresh and
 * by the sync thread, snapshots that outlive a reload, and the 6970/TFTP
 * freshness check.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate/gate.h"

static char dir[64];
static char err[STORE_ERR_MAX];
static struct store *S;                 /* the administrator's handle */
static struct gate *G;
static trust_key *K;                    /* the signing key */

static void
install_key(void)
{
	json_t *jwk;
	struct store_key sk;

	K = key_generate(KEY_EC256, err, sizeof(err));
	cr_assert_not_null(K, "%s", err);
	jwk = key_to_jwk(K);
	memset(&sk, 0, sizeof(sk));
	snprintf(sk.kid, sizeof(sk.kid), "%s", key_kid(K));
	snprintf(sk.alg, sizeof(sk.alg), "%s", jws_alg_name(key_alg(K)));
	sk.private_pem = key_private_pem(K);
	sk.public_jwk = json_dumps(jwk, JSON_COMPACT);
	sk.created = 1;
	cr_assert_eq(store_key_rotate(S, &sk, err, sizeof(err)), 0, "%s", err);
	trust_free_secret((char *)sk.private_pem);
	free((char *)sk.public_jwk);
	json_decref(jwk);
}

static void
add_profile(const char *name, int oauth)
{
	struct cfg_profile p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.mode = oauth ? CFG_MODE_ENCRYPTED : CFG_MODE_NON_SECURE;
	p.transport = oauth ? CFG_TRANSPORT_TLS : CFG_TRANSPORT_TCP;
	p.oauth = oauth;
	cr_assert_eq(store_profile_put(S, &p, err, sizeof(err)), 0, "%s", err);
}

static void
put_device(const char *name, const char *profile, const char *owner,
           const char *dn)
{
	struct cfg_device d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.model, sizeof(d.model), "8845");
	snprintf(d.profile, sizeof(d.profile), "%s", profile);
	snprintf(d.owner, sizeof(d.owner), "%s", owner);
	d.line_count = 1;
	d.lines[0].button = 1;
	snprintf(d.lines[0].dn, sizeof(d.lines[0].dn), "%s", dn);
	d.lines[0].max_calls = 4;
	d.lines[0].busy_trigger = 2;
	d.lines[0].call_waiting = 1;
	cr_assert_eq(store_device_put(S, &d, STORE_PUT_REPLACE, err, sizeof(err)),
	             0, "%s", err);
}

static void
setup(void)
{
	struct gate_options o;
	struct cfg_cluster cl = { .sip_oauth_mode = 1 };

	snprintf(dir, sizeof(dir), "/tmp/oprov-gate-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	S = store_open(dir, STORE_CREATE, err, sizeof(err));
	cr_assert_not_null(S, "%s", err);
	cr_assert_eq(store_param_set(S, STORE_PARAM_ISSUER, "https://pbx.example:8443",
	                             err, sizeof(err)), 0, "%s", err);
	install_key();
	add_profile("OAuth", 1);
	add_profile("Plain", 0);
	put_device("SEP001122334455", "OAuth", "alice", "1001");
	put_device("SEP112233445566", "Plain", "", "1003");
	cr_assert_eq(store_cluster_set(S, &cl, err, sizeof(err)), 0, "%s", err);
	memset(&o, 0, sizeof(o));
	o.datadir = dir;
	G = gate_open(&o, err, sizeof(err));
	cr_assert_not_null(G, "%s", err);
}

static void
teardown(void)
{
	char cmd[128];

	gate_close(G);
	store_close(S);
	key_unref(K);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(gate, .init = setup, .fini = teardown);

static char *
mint(const char *dev, const char *scope, int64_t iat)
{
	json_t *c = tok_mint_claims("https://pbx.example:8443", dev,
	                            "https://pbx.example:8443", dev, "oprovctl",
	                            scope, iat, 3600);
	char *t = tok_mint(K, c, err, sizeof(err));

	json_decref(c);
	cr_assert_not_null(t, "%s", err);
	return t;
}

static enum policy_reason
decide(enum policy_channel ch, const char *device, const char *tok,
       struct gate_verdict *v)
{
	struct gate_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.channel = ch;
	rq.device = device;
	if (tok != NULL) {
		rq.token_state = GATE_TOKEN_PRESENT;
		rq.token = tok;
		rq.token_len = strlen(tok);
	}
	rq.aor_user = "1001";
	rq.aor_user_len = 4;
	gate_decide(G, &rq, v);
	return v->reason;
}

Test(gate, first_snapshot_and_device_facts)
{
	const struct gate_snap *s = gate_snap(G);
	struct gate_device d;

	cr_assert_str_eq(s->issuer, "https://pbx.example:8443");
	cr_assert_eq(s->cluster.sip_oauth_mode, 1);
	cr_assert_eq(s->ndevices, 2);
	cr_assert_not_null(strstr(s->jwks, key_kid(K)), "the JWKS names the key");
	cr_assert_eq(gate_device_find(s, "sep001122334455", &d), 1, "any case");
	cr_assert_str_eq(d.name, "SEP001122334455");
	cr_assert_str_eq(d.owner, "alice");
	cr_assert_eq(d.oauth, 1);
	cr_assert(gate_device_has_line(&d, "1001", 4));
	cr_assert(!gate_device_has_line(&d, "100", 3));
	cr_assert_eq(gate_device_find(s, "SEP112233445566", &d), 1);
	cr_assert_eq(d.oauth, 0);
	cr_assert_eq(gate_device_find(s, "SEP000000000000", &d), 0);
	cr_assert_eq(gate_device_find(s, "SEP001122334455AAAAAAAAAAAAAAAAAAA", &d), 0);
	gate_snap_release(s);
}

Test(gate, one_decision_on_every_channel)
{
	struct gate_verdict v;
	int64_t now = (int64_t)time(NULL);
	char *mine = mint("SEP001122334455", "config sip-register", now);
	char *other = mint("SEP112233445566", "config sip-register", now);
	char *forged = strdup(mine);

	forged[strlen(forged) - 2] ^= 1;
	/* 6971: the token first, then the device. */
	cr_assert_eq(decide(CH_HTTPS_CONFIG, "SEP001122334455", NULL, &v), POLICY_NO_TOKEN);
	cr_assert_eq(decide(CH_HTTPS_CONFIG, "SEP001122334455", forged, &v),
	             POLICY_INVALID_TOKEN);
	cr_assert_str_eq(v.claims.jti, "", "nothing of a token that failed");
	cr_assert_eq(decide(CH_HTTPS_CONFIG, "SEP001122334455", mine, &v), POLICY_ALLOW);
	cr_assert_str_eq(v.device, "SEP001122334455");
	cr_assert_str_eq(v.owner, "alice");
	cr_assert_eq(decide(CH_HTTPS_CONFIG, "SEP001122334455", other, &v),
	             POLICY_WRONG_DEVICE);
	cr_assert_eq(decide(CH_HTTPS_CONFIG, "SEP999999999999", other, &v),
	             POLICY_WRONG_DEVICE, "no enumeration with another device's token");
	/* 6970 / TFTP: an OAuth device needs the secure channel. */
	cr_assert_eq(decide(CH_HTTP_PUBLIC, "SEP001122334455", NULL, &v),
	             POLICY_NEEDS_SECURE_CHANNEL);
	cr_assert_eq(decide(CH_TFTP, "SEP112233445566", NULL, &v), POLICY_ALLOW);
	cr_assert_eq(decide(CH_TFTP, "SEP999999999999", NULL, &v), POLICY_NOT_FOUND);
	/* SIP: the line must be the device's; a plain profile mismatches. */
	cr_assert_eq(decide(CH_SIP_TLS, "SEP001122334455", mine, &v), POLICY_ALLOW);
	cr_assert_eq(decide(CH_SIP_TLS, "SEP112233445566", other, &v),
	             POLICY_PORT_MISMATCH);
	cr_assert_eq(decide(CH_SIP_MTLS, "SEP001122334455", mine, &v),
	             POLICY_PEER_NOT_TRUSTED);
	/* SIP without a named device decides for the token's. */
	cr_assert_eq(decide(CH_SIP_TLS, "", mine, &v), POLICY_ALLOW);
	cr_assert_str_eq(v.device, "SEP001122334455");
	free(mine);
	free(other);
	free(forged);
}

Test(gate, revocation_seen_after_refresh_and_old_snapshots_live_on)
{
	struct gate_verdict v;
	int64_t now = (int64_t)time(NULL);
	char *tok = mint("SEP001122334455", "config", now - 10);
	const struct gate_snap *before = gate_snap(G);
	struct gate_device d;
	uint64_t counts[GATE_REASONS];

	cr_assert_eq(decide(CH_HTTPS_CONFIG, "SEP001122334455", tok, &v), POLICY_ALLOW);
	cr_assert_eq(store_revoke_device(S, "SEP001122334455", now, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(gate_refresh(G), 0);
	cr_assert_eq(decide(CH_HTTPS_CONFIG, "SEP001122334455", tok, &v),
	             POLICY_INVALID_TOKEN);
	cr_assert_eq(v.tok, TOK_REVOKED);
	/* The snapshot taken before is still whole. */
	cr_assert_eq(gate_device_find(before, "SEP001122334455", &d), 1);
	cr_assert_str_eq(d.owner, "alice");
	gate_snap_release(before);
	gate_verdict_counts(G, counts);
	cr_assert_eq(counts[POLICY_ALLOW], 1);
	cr_assert_eq(counts[POLICY_INVALID_TOKEN], 1);
	free(tok);
}

Test(gate, the_sync_thread_follows_the_store)
{
	struct gate_verdict v;
	const struct gate_snap *s;
	int i;

	cr_assert_eq(gate_start(G, err, sizeof(err)), 0, "%s", err);
	put_device("SEP0000000000A1", "Plain", "", "2000");
	for (i = 0; i < 200; i++) {           /* up to 2 s; one poll is 50 ms */
		struct gate_device d;
		s = gate_snap(G);
		int found = gate_device_find(s, "SEP0000000000A1", &d);
		gate_snap_release(s);
		if (found)
			break;
		usleep(10000);
	}
	cr_assert_lt(i, 200, "the new device never reached the snapshot");
	cr_assert_eq(decide(CH_TFTP, "SEP0000000000A1", NULL, &v), POLICY_ALLOW);
}

/* 6970/TFTP confirm the snapshot before answering a device's file: a
 * device moved onto an OAuth profile is refused at once, with no refresh
 * and no sync thread. */
Test(gate, public_channels_never_lag_behind_a_move_to_oauth)
{
	struct gate_verdict v;

	cr_assert_eq(decide(CH_TFTP, "SEP112233445566", NULL, &v), POLICY_ALLOW);
	put_device("SEP112233445566", "OAuth", "", "1003");
	cr_assert_eq(decide(CH_TFTP, "SEP112233445566", NULL, &v),
	             POLICY_NEEDS_SECURE_CHANNEL);
	cr_assert_eq(decide(CH_HTTP_PUBLIC, "SEP112233445566", NULL, &v),
	             POLICY_NEEDS_SECURE_CHANNEL);
}

Test(gate, renders_the_same_as_the_store_says)
{
	struct cfg_output out;
	uint64_t gen = 0;

	cr_assert_eq(gate_render(G, "SEP112233445566", NULL, &out, &gen, err,
	                         sizeof(err)), 0, "%s", err);
	cr_assert_not_null(strstr(out.data, "<device"));
	cr_assert_gt(gen, 0);
	cfg_output_free(&out);
	cr_assert_eq(gate_render(G, "SEP999999999999", NULL, &out, &gen, err,
	                         sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(gate_render(G, CFG_DEFAULT_FILE, "tftp.example", &out, &gen,
	                         err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(strstr(out.data, "<Default>"));
	cfg_output_free(&out);
}
