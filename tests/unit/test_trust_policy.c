/* Unit tests for trust/: policy_decide(), one row per case of the table in
 * DESIGN.md "The one decision" (item 8). */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/test_trust.h"

enum tokkind { NONE, OK_DEV, OK_OTHER_DEV, OK_OWNER, OK_OTHER_USER, OK_DEVICE_SUB,
               OK_NO_SCOPE, OK_SIP_ONLY, OK_CONFIG_ONLY, BAD };

struct row {
	const char *name;
	enum policy_channel ch;
	int device_specific, exists, oauth;
	enum tokkind tok;
	enum policy_peer peer;
	int cluster;
	enum policy_reason want;
};

#define DEV "SEP001122334455"
#define OWNER "alice"

static const struct row rows[] = {
	/* HTTPS 6971 */
	{ "6971 device config, token bound by dev", CH_HTTPS_CONFIG, 1, 1, 1, OK_DEV, PEER_NONE, 1, POLICY_ALLOW },
	{ "6971 device config, user token of owner", CH_HTTPS_CONFIG, 1, 1, 1, OK_OWNER, PEER_NONE, 1, POLICY_ALLOW },
	{ "6971 device config, device token (sub)", CH_HTTPS_CONFIG, 1, 1, 1, OK_DEVICE_SUB, PEER_NONE, 0, POLICY_ALLOW },
	{ "6971 legacy device config with its token", CH_HTTPS_CONFIG, 1, 1, 0, OK_DEV, PEER_NONE, 0, POLICY_ALLOW },
	{ "6971 public file with a valid token", CH_HTTPS_CONFIG, 0, 1, 0, OK_OTHER_DEV, PEER_NONE, 1, POLICY_ALLOW },
	{ "6971 no token", CH_HTTPS_CONFIG, 1, 1, 1, NONE, PEER_NONE, 1, POLICY_NO_TOKEN },
	{ "6971 no token, device unknown: no 404", CH_HTTPS_CONFIG, 1, 0, 0, NONE, PEER_NONE, 1, POLICY_NO_TOKEN },
	{ "6971 no token, public file", CH_HTTPS_CONFIG, 0, 1, 0, NONE, PEER_NONE, 1, POLICY_NO_TOKEN },
	{ "6971 invalid token", CH_HTTPS_CONFIG, 1, 1, 1, BAD, PEER_NONE, 1, POLICY_INVALID_TOKEN },
	{ "6971 invalid token, device unknown", CH_HTTPS_CONFIG, 1, 0, 0, BAD, PEER_NONE, 1, POLICY_INVALID_TOKEN },
	{ "6971 token of another device", CH_HTTPS_CONFIG, 1, 1, 1, OK_OTHER_DEV, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "6971 token of another user", CH_HTTPS_CONFIG, 1, 1, 1, OK_OTHER_USER, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "6971 token without config scope", CH_HTTPS_CONFIG, 1, 1, 1, OK_SIP_ONLY, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "6971 token without any scope", CH_HTTPS_CONFIG, 1, 1, 1, OK_NO_SCOPE, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "6971 valid token, device unknown", CH_HTTPS_CONFIG, 1, 0, 0, OK_DEV, PEER_NONE, 1, POLICY_NOT_FOUND },
	{ "6971 other device's token, device unknown: no 404", CH_HTTPS_CONFIG, 1, 0, 0, OK_OTHER_DEV, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "6971 user token, device unknown: no 404", CH_HTTPS_CONFIG, 1, 0, 0, OK_OWNER, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "6971 own token without config scope, device unknown", CH_HTTPS_CONFIG, 1, 0, 0, OK_SIP_ONLY, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "6971 valid token, public file missing", CH_HTTPS_CONFIG, 0, 0, 0, OK_DEV, PEER_NONE, 1, POLICY_NOT_FOUND },
	/* 6970 and TFTP */
	{ "6970 public file", CH_HTTP_PUBLIC, 0, 1, 0, NONE, PEER_NONE, 1, POLICY_ALLOW },
	{ "tftp public file", CH_TFTP, 0, 1, 0, NONE, PEER_NONE, 0, POLICY_ALLOW },
	{ "6970 legacy device config", CH_HTTP_PUBLIC, 1, 1, 0, NONE, PEER_NONE, 1, POLICY_ALLOW },
	{ "tftp legacy device config", CH_TFTP, 1, 1, 0, NONE, PEER_NONE, 0, POLICY_ALLOW },
	{ "6970 OAuth device config", CH_HTTP_PUBLIC, 1, 1, 1, NONE, PEER_NONE, 1, POLICY_NEEDS_SECURE_CHANNEL },
	{ "tftp OAuth device config", CH_TFTP, 1, 1, 1, NONE, PEER_NONE, 1, POLICY_NEEDS_SECURE_CHANNEL },
	{ "tftp OAuth device, cluster mode off: fail closed", CH_TFTP, 1, 1, 1, NONE, PEER_NONE, 0, POLICY_NEEDS_SECURE_CHANNEL },
	{ "tftp OAuth device, a token does not open TFTP", CH_TFTP, 1, 1, 1, OK_DEV, PEER_NONE, 1, POLICY_NEEDS_SECURE_CHANNEL },
	{ "6970 missing file", CH_HTTP_PUBLIC, 0, 0, 0, NONE, PEER_NONE, 1, POLICY_NOT_FOUND },
	{ "tftp unknown device", CH_TFTP, 1, 0, 0, NONE, PEER_NONE, 1, POLICY_NOT_FOUND },
	/* SIP 5090 */
	{ "5090 register, bound token", CH_SIP_TLS, 1, 1, 1, OK_DEV, PEER_NONE, 1, POLICY_ALLOW },
	{ "5090 register, owner token", CH_SIP_TLS, 1, 1, 1, OK_OWNER, PEER_NONE, 1, POLICY_ALLOW },
	{ "5090 no token", CH_SIP_TLS, 1, 1, 1, NONE, PEER_NONE, 1, POLICY_NO_TOKEN },
	{ "5090 invalid token", CH_SIP_TLS, 1, 1, 1, BAD, PEER_NONE, 1, POLICY_INVALID_TOKEN },
	{ "5090 token of another device", CH_SIP_TLS, 1, 1, 1, OK_OTHER_DEV, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "5090 token without sip-register", CH_SIP_TLS, 1, 1, 1, OK_CONFIG_ONLY, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "5090 cluster SIP OAuth mode off", CH_SIP_TLS, 1, 1, 1, OK_DEV, PEER_NONE, 0, POLICY_PORT_MISMATCH },
	{ "5090 profile without OAuth", CH_SIP_TLS, 1, 1, 0, OK_DEV, PEER_NONE, 1, POLICY_PORT_MISMATCH },
	{ "5090 valid token, unknown device", CH_SIP_TLS, 1, 0, 0, OK_DEV, PEER_NONE, 1, POLICY_NOT_FOUND },
	{ "5090 other device's token, unknown device: no 404", CH_SIP_TLS, 1, 0, 0, OK_OTHER_DEV, PEER_NONE, 1, POLICY_WRONG_DEVICE },
	{ "5090 no token, unknown device: no 404", CH_SIP_TLS, 1, 0, 0, NONE, PEER_NONE, 1, POLICY_NO_TOKEN },
	/* SIP 5091 */
	{ "5091 trusted Expressway-C, bound token", CH_SIP_MTLS, 1, 1, 1, OK_DEV, PEER_TRUSTED, 1, POLICY_ALLOW },
	{ "5091 peer not trusted", CH_SIP_MTLS, 1, 1, 1, OK_DEV, PEER_UNTRUSTED, 1, POLICY_PEER_NOT_TRUSTED },
	{ "5091 no client certificate", CH_SIP_MTLS, 1, 1, 1, OK_DEV, PEER_NONE, 1, POLICY_PEER_NOT_TRUSTED },
	{ "5091 untrusted peer, mode off", CH_SIP_MTLS, 1, 1, 1, OK_DEV, PEER_UNTRUSTED, 0, POLICY_PEER_NOT_TRUSTED },
	{ "5091 cluster mode off", CH_SIP_MTLS, 1, 1, 1, OK_DEV, PEER_TRUSTED, 0, POLICY_PORT_MISMATCH },
	{ "5091 no token", CH_SIP_MTLS, 1, 1, 1, NONE, PEER_TRUSTED, 1, POLICY_NO_TOKEN },
	{ "5091 invalid token", CH_SIP_MTLS, 1, 1, 1, BAD, PEER_TRUSTED, 1, POLICY_INVALID_TOKEN },
	{ "5091 token of another user", CH_SIP_MTLS, 1, 1, 1, OK_OTHER_USER, PEER_TRUSTED, 1, POLICY_WRONG_DEVICE },
	{ "5091 profile without OAuth", CH_SIP_MTLS, 1, 1, 0, OK_DEV, PEER_TRUSTED, 1, POLICY_PORT_MISMATCH },
	{ "5091 unknown device", CH_SIP_MTLS, 1, 0, 0, OK_DEV, PEER_TRUSTED, 1, POLICY_NOT_FOUND },
};

static void
make_claims(enum tokkind k, struct tok_claims *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sub, sizeof(c->sub), "%s", "bob");
	snprintf(c->scope, sizeof(c->scope), "%s", SCOPE_CONFIG " " SCOPE_SIP_REGISTER);
	switch (k) {
	case OK_DEV: snprintf(c->dev, sizeof(c->dev), "%s", DEV); break;
	case OK_OTHER_DEV: snprintf(c->dev, sizeof(c->dev), "%s", "SEP00AABBCCDDEE"); snprintf(c->sub, sizeof(c->sub), "%s", OWNER); break;
	case OK_OWNER: snprintf(c->sub, sizeof(c->sub), "%s", OWNER); break;
	case OK_OTHER_USER: break;
	case OK_DEVICE_SUB: snprintf(c->sub, sizeof(c->sub), "%s", DEV); break;
	case OK_NO_SCOPE: snprintf(c->dev, sizeof(c->dev), "%s", DEV); c->scope[0] = '\0'; break;
	case OK_SIP_ONLY: snprintf(c->dev, sizeof(c->dev), "%s", DEV); snprintf(c->scope, sizeof(c->scope), "%s", SCOPE_SIP_REGISTER); break;
	case OK_CONFIG_ONLY: snprintf(c->dev, sizeof(c->dev), "%s", DEV); snprintf(c->scope, sizeof(c->scope), "%s", SCOPE_CONFIG); break;
	default: break;
	}
}

/* The facts of one table row; c receives the row's claims. */
static struct policy_input
input_of(const struct row *r, struct tok_claims *c, int aor_is_line)
{
	make_claims(r->tok, c);
	return (struct policy_input){
		.channel = r->ch,
		.target = { .device_specific = r->device_specific, .exists = r->exists,
		            .oauth_enabled = r->oauth, .name = DEV, .owner = OWNER },
		.token_present = r->tok != NONE,
		.verdict = r->tok == BAD ? TOK_EXPIRED : r->tok == NONE ? TOK_MALFORMED : TOK_OK,
		.claims = r->tok == NONE || r->tok == BAD ? NULL : c,
		.peer = r->peer,
		.cluster_sip_oauth = r->cluster,
		.sip_aor_is_line = aor_is_line,
	};
}

Test(policy, design_table)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct tok_claims c;
		struct policy_input in = input_of(r, &c, 1);
		struct policy_result res = policy_decide(&in);
		cr_expect_eq(res.reason, r->want, "%s: got %s, want %s", r->name,
		             policy_reason_name(res.reason), policy_reason_name(r->want));
		cr_expect_not_null(res.why);
	}
}

/* The same SIP rows with an address-of-record that is not a line of the
 * device: only what would have been allowed changes, to WRONG_DEVICE (the
 * challenge, port mismatch and peer checks keep their order). */
Test(policy, sip_aor_must_be_a_line_of_the_device)
{
	size_t sip = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct tok_claims c;
		enum policy_reason want;

		if (r->ch != CH_SIP_TLS && r->ch != CH_SIP_MTLS)
			continue;
		sip++;
		struct policy_input in = input_of(r, &c, 0);
		want = r->want == POLICY_ALLOW ? POLICY_WRONG_DEVICE : r->want;
		struct policy_result res = policy_decide(&in);
		cr_expect_eq(res.reason, want, "%s, AOR not a line: got %s, want %s",
		             r->name, policy_reason_name(res.reason),
		             policy_reason_name(want));
	}
	cr_assert_geq(sip, 15);
}

Test(policy, every_reason_reachable_and_named)
{
	int seen[8] = { 0 };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		seen[rows[i].want] = 1;
	for (int r = POLICY_ALLOW; r <= POLICY_NOT_FOUND; r++) {
		cr_assert(seen[r], "no table row for %s", policy_reason_name((enum policy_reason)r));
		cr_assert_str_neq(policy_reason_name((enum policy_reason)r), "?");
	}
	cr_assert_str_eq(policy_channel_name(CH_HTTPS_CONFIG), "https-6971");
	cr_assert_str_eq(policy_channel_name(CH_SIP_MTLS), "sip-5091");
}

Test(policy, owner_binding_needs_an_owner)
{
	struct tok_claims c;
	make_claims(OK_OTHER_USER, &c);
	c.sub[0] = '\0';     /* empty sub must not match an empty owner */
	struct policy_input in = {
		.channel = CH_HTTPS_CONFIG,
		.target = { .device_specific = 1, .exists = 1, .oauth_enabled = 1, .name = DEV, .owner = "" },
		.token_present = 1, .verdict = TOK_OK, .claims = &c, .cluster_sip_oauth = 1,
	};
	cr_assert_eq(policy_decide(&in).reason, POLICY_WRONG_DEVICE);
	in.target.owner = NULL;
	cr_assert_eq(policy_decide(&in).reason, POLICY_WRONG_DEVICE);
	/* A verdict of OK without claims is treated as invalid, not allowed. */
	in.claims = NULL;
	cr_assert_eq(policy_decide(&in).reason, POLICY_INVALID_TOKEN);
}

/* Trust lists (ITLFile.tlv, ITLSEP<MAC>.tlv, CTL files): public on 6970 and
 * TFTP for every device, OAuth or not, cluster mode on or off; on 6971 a
 * public file like any other (token first).  Replaces the earlier rule
 * that served only legacy devices' lists on 6970/TFTP. */
Test(policy, trust_lists_are_public_for_every_device)
{
	static const struct {
		const char *name;
		enum policy_channel ch;
		int device_specific, exists, oauth;
		enum tokkind tok;
		int cluster;
		enum policy_reason want;
	} tl[] = {
		{ "tftp ITLFile.tlv", CH_TFTP, 0, 1, 0, NONE, 1, POLICY_ALLOW },
		{ "6970 ITLFile.tlv", CH_HTTP_PUBLIC, 0, 1, 0, NONE, 0, POLICY_ALLOW },
		{ "tftp ITLSEP of an OAuth device", CH_TFTP, 1, 1, 1, NONE, 1, POLICY_ALLOW },
		{ "6970 ITLSEP of an OAuth device", CH_HTTP_PUBLIC, 1, 1, 1, NONE, 1, POLICY_ALLOW },
		{ "tftp CTLSEP of an OAuth device, mode off", CH_TFTP, 1, 1, 1, NONE, 0, POLICY_ALLOW },
		{ "6970 ITLSEP of a legacy device", CH_HTTP_PUBLIC, 1, 1, 0, NONE, 1, POLICY_ALLOW },
		{ "tftp CTLFile.tlv without mixed mode", CH_TFTP, 0, 0, 0, NONE, 1, POLICY_NOT_FOUND },
		{ "6970 a token changes nothing", CH_HTTP_PUBLIC, 1, 1, 1, OK_OTHER_DEV, 1, POLICY_ALLOW },
		{ "6971 ITLFile.tlv without a token", CH_HTTPS_CONFIG, 0, 1, 0, NONE, 1, POLICY_NO_TOKEN },
		{ "6971 ITLFile.tlv, invalid token", CH_HTTPS_CONFIG, 0, 1, 0, BAD, 1, POLICY_INVALID_TOKEN },
		{ "6971 ITLSEP, another device's token", CH_HTTPS_CONFIG, 1, 1, 1, OK_OTHER_DEV, 1, POLICY_ALLOW },
		{ "6971 CTLFile.tlv not served", CH_HTTPS_CONFIG, 0, 0, 0, OK_DEV, 1, POLICY_NOT_FOUND },
	};

	for (size_t i = 0; i < sizeof(tl) / sizeof(tl[0]); i++) {
		struct row r = { tl[i].name, tl[i].ch, tl[i].device_specific, tl[i].exists,
		                 tl[i].oauth, tl[i].tok, PEER_NONE, tl[i].cluster, tl[i].want };
		struct tok_claims c;
		struct policy_input in = input_of(&r, &c, 0);
		struct policy_result res;

		in.target.trust_list = 1;
		res = policy_decide(&in);
		cr_expect_eq(res.reason, tl[i].want, "%s: got %s, want %s", tl[i].name,
		             policy_reason_name(res.reason), policy_reason_name(tl[i].want));
	}
}
