/*
 * policy.c - the one decision of DESIGN.md: every front door (6971, 6970,
 * TFTP, 5090, 5091) gathers the facts and asks here, so the rules live in
 * one table-tested place.
 *
 * Order matters and is chosen so an anonymous caller learns nothing:
 *  - 6971: token first (no token / invalid token), and only then whether
 *    the file or device exists (404 only after a valid token, and for a
 *    device's file only to a token bound to that device), then scope and
 *    device binding.
 *  - 6970 and TFTP never look at tokens: a device's config is served only
 *    when the device's profile has OAuth off; an OAuth device's config is
 *    NEEDS_SECURE_CHANNEL whatever the cluster mode says (fail closed).
 *  - Trust lists are public on 6970 and TFTP for every device, OAuth or
 *    not (this replaces the earlier rule that served only legacy devices'
 *    lists there): a list holds public certificates only, it is the same
 *    list whatever MAC it is named after, and a phone must have it before
 *    it can check 6971's certificate or onboard for a token, so gating it
 *    behind the token would leave an OAuth phone with no way in.  Nothing
 *    about a device is looked up for it, so it reveals nothing either.
 *  - 5091: the peer must be a trusted, listed Expressway-C before anything.
 *    Then on both SIP ports: cluster SIP OAuth mode off → PORT_MISMATCH;
 *    token; device exists; profile without OAuth → PORT_MISMATCH; scope and
 *    binding; the REGISTER's address-of-record is one of the device's lines.
 */
#include "config.h"

#include <string.h>

#include "trust/trust_int.h"

static const char *const reason_names[] = {
	[POLICY_ALLOW] = "ALLOW",
	[POLICY_NO_TOKEN] = "NO_TOKEN",
	[POLICY_INVALID_TOKEN] = "INVALID_TOKEN",
	[POLICY_WRONG_DEVICE] = "WRONG_DEVICE",
	[POLICY_NEEDS_SECURE_CHANNEL] = "NEEDS_SECURE_CHANNEL",
	[POLICY_PORT_MISMATCH] = "PORT_MISMATCH",
	[POLICY_PEER_NOT_TRUSTED] = "PEER_NOT_TRUSTED",
	[POLICY_NOT_FOUND] = "NOT_FOUND",
};

const char *
policy_reason_name(enum policy_reason r)
{
	return (unsigned)r < TRUST_ARRAY_LEN(reason_names) ? reason_names[r] : "?";
}

const char *
policy_channel_name(enum policy_channel c)
{
	switch (c) {
	case CH_HTTPS_CONFIG: return "https-6971";
	case CH_HTTP_PUBLIC: return "http-6970";
	case CH_TFTP: return "tftp";
	case CH_SIP_TLS: return "sip-5090";
	case CH_SIP_MTLS: return "sip-5091";
	}
	return "?";
}

static struct policy_result
res(enum policy_reason r, const char *why)
{
	struct policy_result p = { r, why };
	return p;
}

/* The token names this device: a `dev` claim must equal it; without `dev`,
 * `sub` must be the device itself (device token) or its owner (user token,
 * RFC 9068 §2.2: sub is the resource owner). */
static int
bound_to(const struct tok_claims *c, const struct policy_target *t)
{
	if (t->name == NULL || t->name[0] == '\0')
		return 0;
	if (c->dev[0] != '\0')
		return strcmp(c->dev, t->name) == 0;
	if (strcmp(c->sub, t->name) == 0)
		return 1;
	return t->owner != NULL && t->owner[0] != '\0' && strcmp(c->sub, t->owner) == 0;
}

/* A device-specific target that does not exist.  Only a token that would
 * be bound to that very name (and carries the scope) learns it is missing;
 * any other valid token gets the same WRONG_DEVICE it would get if the
 * device existed, so tokens cannot be used to enumerate devices (issue 4). */
static struct policy_result
missing_device(const struct policy_input *in, const char *scope)
{
	struct policy_target self = in->target;

	self.owner = NULL;                      /* an unknown device has none */
	if (tok_scope_has(in->claims, scope) && bound_to(in->claims, &self))
		return res(POLICY_NOT_FOUND, "no such device");
	return res(POLICY_WRONG_DEVICE, "token bound to another device or owner");
}

/* Shared by 6971 and SIP once the token is valid. */
static struct policy_result
device_check(const struct policy_input *in, const char *scope)
{
	if (!tok_scope_has(in->claims, scope))
		return res(POLICY_WRONG_DEVICE, "token lacks the needed scope");
	if (!bound_to(in->claims, &in->target))
		return res(POLICY_WRONG_DEVICE, "token bound to another device or owner");
	return res(POLICY_ALLOW, "allowed");
}

static struct policy_result
token_check(const struct policy_input *in)
{
	if (!in->token_present)
		return res(POLICY_NO_TOKEN, "no bearer token");
	if (in->verdict != TOK_OK || in->claims == NULL)
		return res(POLICY_INVALID_TOKEN, "token not valid");
	return res(POLICY_ALLOW, "token valid");
}

struct policy_result
policy_decide(const struct policy_input *in)
{
	const struct policy_target *t = &in->target;
	struct policy_result r;

	switch (in->channel) {
	case CH_HTTPS_CONFIG:
		if ((r = token_check(in)).reason != POLICY_ALLOW)
			return r;
		if (t->trust_list)
			return t->exists ? res(POLICY_ALLOW, "trust list with valid token")
			                 : res(POLICY_NOT_FOUND, "trust list not served");
		if (t->device_specific && !t->exists)
			return missing_device(in, SCOPE_CONFIG);
		if (!t->exists)
			return res(POLICY_NOT_FOUND, "no such file");
		if (!t->device_specific)
			return res(POLICY_ALLOW, "public file with valid token");
		return device_check(in, SCOPE_CONFIG);

	case CH_HTTP_PUBLIC:
	case CH_TFTP:
		if (t->trust_list)
			return t->exists ? res(POLICY_ALLOW, "trust list: public for every device")
			                 : res(POLICY_NOT_FOUND, "trust list not served");
		if (!t->exists)
			return res(POLICY_NOT_FOUND, "no such file or device");
		if (!t->device_specific)
			return res(POLICY_ALLOW, "public file");
		if (t->oauth_enabled)
			return res(POLICY_NEEDS_SECURE_CHANNEL,
			           "OAuth device config only over HTTPS port 6971");
		return res(POLICY_ALLOW, "legacy device config");

	case CH_SIP_MTLS:
		if (in->peer != PEER_TRUSTED)
			return res(POLICY_PEER_NOT_TRUSTED,
			           "5091 peer is not a trusted Expressway-C");
		/* fall through */
	case CH_SIP_TLS:
		if (!in->cluster_sip_oauth)
			return res(POLICY_PORT_MISMATCH, "cluster SIP OAuth mode is off");
		if ((r = token_check(in)).reason != POLICY_ALLOW)
			return r;
		if (!t->device_specific)
			return res(POLICY_NOT_FOUND, "no such device");
		if (!t->exists)
			return missing_device(in, SCOPE_SIP_REGISTER);
		if (!t->oauth_enabled)
			return res(POLICY_PORT_MISMATCH,
			           "device security profile without OAuth");
		if ((r = device_check(in, SCOPE_SIP_REGISTER)).reason != POLICY_ALLOW)
			return r;
		if (!in->sip_aor_is_line)
			return res(POLICY_WRONG_DEVICE,
			           "address-of-record is not a line of the device");
		return r;
	}
	return res(POLICY_NOT_FOUND, "unknown channel");
}
