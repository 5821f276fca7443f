/*
 * model.c - the device model's records and their rules: nodes and ports,
 * device pools, phone security profiles, phone models, devices and lines.
 * Each refusal names the rule, in words an administrator can act on.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "configgen/cfg_int.h"
#include "configgen/configgen.h"

/* Copies a NUL-terminated string into a fixed array, truncating. */
static void
copy_field(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* ---- models ------------------------------------------------------------------
 * OAuth-capable: the phone models and soft-client types named in cisco.md
 * ("Profiles that can carry OAuth").  The others are common models that
 * exist in deployments and must stay on non-OAuth profiles.  type_id values
 * are the device type numbers seen in published XMLDefault.cnf.xml files
 * (loadInformationNNN) and device-type tables; where no public file
 * confirmed one it is 0 and XMLDefault carries no load element for that
 * model.  kem_max: key expansion modules the administration guides give
 * (8851 two, 8861 and 8865 three). */
#define O CFG_MODEL_OAUTH
#define S (CFG_MODEL_OAUTH | CFG_MODEL_SOFT)
#define F78 CFG_FAMILY_78XX
#define F88 CFG_FAMILY_88XX
#define F99 CFG_FAMILY_99XX
#define FSC CFG_FAMILY_SOFT
#define FOT CFG_FAMILY_OTHER
/* A flat table. */
static const struct cfg_model models[] = {
	{ "7811",   "Cisco 7811",   O, 36213, F78, 0 },
	{ "7821",   "Cisco 7821",   O, 621,   F78, 0 },
	{ "7832",   "Cisco 7832",   O, 36247, F78, 0 },
	{ "7841",   "Cisco 7841",   O, 622,   F78, 0 },
	{ "7861",   "Cisco 7861",   O, 623,   F78, 0 },
	{ "8811",   "Cisco 8811",   O, 36217, F88, 0 },
	{ "8832",   "Cisco 8832",   O, 36258, F88, 0 },
	{ "8832NR", "Cisco 8832NR", O, 0,     F88, 0 },
	{ "8841",   "Cisco 8841",   O, 683,   F88, 0 },
	{ "8845",   "Cisco 8845",   O, 36224, F88, 0 },
	{ "8851",   "Cisco 8851",   O, 684,   F88, 2 },
	{ "8851NR", "Cisco 8851NR", O, 0,     F88, 2 },
	{ "8861",   "Cisco 8861",   O, 685,   F88, 3 },
	{ "8865",   "Cisco 8865",   O, 36225, F88, 3 },
	{ "8865NR", "Cisco 8865NR", O, 0,     F88, 3 },
	{ "CSF",    "Cisco Unified Client Services Framework", S, 0, FSC, 0 },
	{ "TCT",    "Cisco Dual Mode for iPhone",  S, 0, FSC, 0 },
	{ "BOT",    "Cisco Dual Mode for Android", S, 0, FSC, 0 },
	{ "TAB",    "Cisco Jabber for Tablet",     S, 0, FSC, 0 },
	{ "6921",   "Cisco 6921",   0, 0,   FOT, 0 },
	{ "6941",   "Cisco 6941",   0, 0,   FOT, 0 },
	{ "6961",   "Cisco 6961",   0, 0,   FOT, 0 },
	{ "7942",   "Cisco 7942",   0, 434, FOT, 0 },
	{ "7945",   "Cisco 7945",   0, 435, FOT, 0 },
	{ "7962",   "Cisco 7962",   0, 404, FOT, 0 },
	{ "7965",   "Cisco 7965",   0, 436, FOT, 0 },
	{ "7975",   "Cisco 7975",   0, 437, FOT, 0 },
	{ "8941",   "Cisco 8941",   0, 0,   F99, 0 },
	{ "8945",   "Cisco 8945",   0, 0,   F99, 0 },
	{ "8961",   "Cisco 8961",   0, 540, F99, 0 },
	{ "9841",   "Cisco 9841",   0, 0,   F99, 0 },
	{ "9851",   "Cisco 9851",   0, 0,   F99, 0 },
	{ "9861",   "Cisco 9861",   0, 0,   F99, 0 },
	{ "9871",   "Cisco 9871",   0, 0,   F99, 0 },
	{ "9951",   "Cisco 9951",   0, 537, F99, 0 },
	{ "9971",   "Cisco 9971",   0, 493, F99, 0 },
};
#undef O
#undef S
#undef F78
#undef F88
#undef F99
#undef FSC
#undef FOT

/* Key expansion modules: the three the 8800 administration guide names. */
static const struct cfg_kem_type kems[] = {
	{ "8800", "Cisco IP Phone 8800 Key Expansion Module",
	  "8851 8851NR 8861 8865 8865NR" },
	{ "8851-8861", "Cisco IP Phone 8851/8861 Key Expansion Module", "8851 8851NR 8861" },
	{ "8865", "Cisco IP Phone 8865 Key Expansion Module", "8865 8865NR" },
};

const struct cfg_kem_type *
cfg_kem_table(size_t *count)
{
	if (count != NULL)
		*count = sizeof(kems) / sizeof(kems[0]);
	return kems;
}

const struct cfg_kem_type *
cfg_kem_find(const char *key)
{
	for (size_t i = 0; key != NULL && i < sizeof(kems) / sizeof(kems[0]); i++)
		if (strcmp(kems[i].key, key) == 0)
			return &kems[i];
	return NULL;
}

/* 1 when model name m is one of the space-separated words of list. */
static int
in_list(const char *list, const char *m)
{
	size_t ml = strlen(m);

	for (const char *p = list; *p != '\0'; ) {
		size_t wl = strcspn(p, " ");
		if (wl == ml && strncmp(p, m, ml) == 0)
			return 1;
		p += wl;
		p += *p == ' ';
	}
	return 0;
}

const struct cfg_model *
cfg_model_table(size_t *count)
{
	if (count != NULL)
		*count = sizeof(models) / sizeof(models[0]);
	return models;
}

const struct cfg_model *
cfg_model_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (strcasecmp(models[i].name, name) == 0)
			return &models[i];
	return NULL;
}

/* ---- nodes -------------------------------------------------------------------- */
void
cfg_node_init(struct cfg_node *n, const char *name, const char *host)
{
	memset(n, 0, sizeof(*n));
	copy_field(n->name, sizeof(n->name), name);
	copy_field(n->host, sizeof(n->host), host);
	n->phone_port = CFG_DEFAULT_PHONE_PORT;
	n->sip_port = CFG_DEFAULT_SIP_PORT;
	n->secured_sip_port = CFG_DEFAULT_SECURED_SIP_PORT;
	n->sip_oauth_port = CFG_DEFAULT_SIP_OAUTH_PORT;
	n->sip_mra_oauth_port = CFG_DEFAULT_SIP_MRA_OAUTH_PORT;
}

int
cfg_port_parse(const char *text, uint16_t *out, char *err, size_t errlen)
{
	char shown[32];
	long long v;

	if (text == NULL || num_parse_str(text, -(1LL << 62), 1LL << 62, &v) < 0) {
		str_sanitize(shown, sizeof(shown), text ? text : "", text ? strlen(text) : 0);
		return cfg_fail(err, errlen, "port \"%s\" is not a number", shown);
	}
	if (v < CFG_PORT_MIN || v > CFG_PORT_MAX)
		return cfg_fail(err, errlen, "port %lld out of range %d–%d",
		                v, CFG_PORT_MIN, CFG_PORT_MAX);
	*out = (uint16_t)v;
	return 0;
}

int
cfg_node_validate(const struct cfg_node *n, char *err, size_t errlen)
{
	const struct { const char *name; uint16_t port; } ports[] = {
		{ "phone-port", n->phone_port },
		{ "sip-port", n->sip_port },
		{ "secured-sip-port", n->secured_sip_port },
		{ "sip-oauth-port", n->sip_oauth_port },
		{ "sip-mra-oauth-port", n->sip_mra_oauth_port },
	};
	const size_t np = sizeof(ports) / sizeof(ports[0]);

	if (cfg_name_check("node name", n->name, sizeof(n->name), err, errlen) < 0 ||
	    cfg_host_check("node host", n->host, sizeof(n->host), 0, err, errlen) < 0 ||
	    cfg_text_check("node description", n->description, sizeof(n->description), 1,
	                   err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < np; i++) {
		if (ports[i].port < CFG_PORT_MIN || ports[i].port > CFG_PORT_MAX)
			return cfg_fail(err, errlen, "%s %u out of range %d–%d", ports[i].name,
			                ports[i].port, CFG_PORT_MIN, CFG_PORT_MAX);
		for (size_t j = 0; j < i; j++)
			if (ports[i].port == ports[j].port)
				return cfg_fail(err, errlen,
				                "%s %u is already the %s of node %s",
				                ports[i].name, ports[i].port, ports[j].name, n->name);
	}
	return 0;
}

/* ---- device pools ---------------------------------------------------------------- */
void
cfg_pool_init(struct cfg_pool *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	copy_field(p->name, sizeof(p->name), name);
}

int
cfg_pool_validate(const struct cfg_pool *p, char *err, size_t errlen)
{
	char field[48];

	if (cfg_name_check("pool name", p->name, sizeof(p->name), err, errlen) < 0 ||
	    cfg_charset_check("pool time zone", p->time_zone, sizeof(p->time_zone), 1, 1,
	                      "/_+-", err, errlen) < 0 ||
	    cfg_charset_check("pool date template", p->date_template,
	                      sizeof(p->date_template), 1, 0, "MDYA/.- ", err, errlen) < 0)
		return -1;
	/* A zone phones could not be told about is refused here, naming the
	 * ones that come closest. */
	if (p->time_zone[0] != '\0' && cfg_tz_check(p->time_zone, err, errlen) < 0)
		return -1;
	if (p->ntp_count > CFG_NTP_MAX)
		return cfg_fail(err, errlen, "pool %s: %zu NTP servers, at most %d",
		                p->name, p->ntp_count, CFG_NTP_MAX);
	if (p->node_count > CFG_GROUP_MAX)
		return cfg_fail(err, errlen, "pool %s: %zu nodes in the node group, at most %d",
		                p->name, p->node_count, CFG_GROUP_MAX);
	for (size_t i = 0; i < p->ntp_count; i++) {
		snprintf(field, sizeof(field), "pool NTP server %zu", i + 1);
		if (cfg_host_check(field, p->ntp[i], sizeof(p->ntp[i]), 0, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < p->node_count; i++) {
		snprintf(field, sizeof(field), "pool node %zu", i + 1);
		if (cfg_name_check(field, p->nodes[i], sizeof(p->nodes[i]), err, errlen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->nodes[i], p->nodes[j]) == 0)
				return cfg_fail(err, errlen,
				                "pool %s: node %s appears twice in the node group",
				                p->name, p->nodes[i]);
	}
	return 0;
}

/* ---- security profiles --------------------------------------------------------- */
void
cfg_profile_init(struct cfg_profile *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	copy_field(p->name, sizeof(p->name), name);
	p->mode = CFG_MODE_NON_SECURE;
	p->transport = CFG_TRANSPORT_TCP;
}

const char *
cfg_sec_mode_name(enum cfg_sec_mode m)
{
	switch (m) {
	case CFG_MODE_NON_SECURE:    return "non-secure";
	case CFG_MODE_AUTHENTICATED: return "authenticated";
	case CFG_MODE_ENCRYPTED:     return "encrypted";
	}
	return "unknown";
}

const char *
cfg_transport_name(enum cfg_transport t)
{
	switch (t) {
	case CFG_TRANSPORT_TCP:     return "tcp";
	case CFG_TRANSPORT_UDP:     return "udp";
	case CFG_TRANSPORT_TLS:     return "tls";
	case CFG_TRANSPORT_TCP_UDP: return "tcp+udp";
	}
	return "unknown";
}

int
cfg_sec_mode_parse(const char *text, enum cfg_sec_mode *out)
{
	for (int m = CFG_MODE_NON_SECURE; m <= CFG_MODE_ENCRYPTED; m++)
		if (text != NULL && strcasecmp(text, cfg_sec_mode_name(m)) == 0) {
			*out = m;
			return 0;
		}
	return -1;
}

int
cfg_transport_parse(const char *text, enum cfg_transport *out)
{
	for (int t = CFG_TRANSPORT_TCP; t <= CFG_TRANSPORT_TCP_UDP; t++)
		if (text != NULL && strcasecmp(text, cfg_transport_name(t)) == 0) {
			*out = t;
			return 0;
		}
	return -1;
}

int
cfg_profile_validate(const struct cfg_profile *p, char *err, size_t errlen)
{
	const char *mode = cfg_sec_mode_name(p->mode);
	const char *tr = cfg_transport_name(p->transport);

	if (cfg_name_check("profile name", p->name, sizeof(p->name), err, errlen) < 0 ||
	    cfg_text_check("profile description", p->description, sizeof(p->description),
	                   1, err, errlen) < 0 ||
	    cfg_vendor_validate(&p->vendor, CFG_FAMILY_ANY, err, errlen) < 0)
		return -1;
	if (p->mode < CFG_MODE_NON_SECURE || p->mode > CFG_MODE_ENCRYPTED)
		return cfg_fail(err, errlen, "profile %s: unknown security mode %d",
		                p->name, (int)p->mode);
	if (p->transport < CFG_TRANSPORT_TCP || p->transport > CFG_TRANSPORT_TCP_UDP)
		return cfg_fail(err, errlen, "profile %s: unknown transport %d",
		                p->name, (int)p->transport);
	/* The OAuth rules first: when an admin asks for OAuth, the refusal
	 * should name the OAuth rule, not the generic mode/transport one. */
	if (p->oauth) {
		if (p->mode != CFG_MODE_ENCRYPTED)
			return cfg_fail(err, errlen,
			                "OAuth requires mode encrypted (profile mode is %s)", mode);
		if (p->transport != CFG_TRANSPORT_TLS)
			return cfg_fail(err, errlen,
			                "OAuth requires transport tls (profile transport is %s)", tr);
		if (p->digest)
			return cfg_fail(err, errlen,
			                "OAuth cannot be combined with digest authentication");
		if (p->tftp_encrypted_config)
			return cfg_fail(err, errlen,
			                "OAuth cannot be combined with TFTP encrypted config");
	}
	if (p->mode == CFG_MODE_NON_SECURE && p->transport == CFG_TRANSPORT_TLS)
		return cfg_fail(err, errlen,
		                "transport tls requires mode authenticated or encrypted "
		                "(profile mode is non-secure)");
	if (p->mode != CFG_MODE_NON_SECURE && p->transport != CFG_TRANSPORT_TLS)
		return cfg_fail(err, errlen,
		                "mode %s requires transport tls (profile transport is %s)",
		                mode, tr);
	return 0;
}

/* ---- devices ---------------------------------------------------------------------- */
void
cfg_device_init(struct cfg_device *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	if (name == NULL || cfg_device_name_parse(name, strlen(name), d->name) < 0)
		d->name[0] = '\0';
}

void
cfg_line_init(struct cfg_line *l, unsigned button, const char *dn)
{
	memset(l, 0, sizeof(*l));
	l->button = button;
	copy_field(l->dn, sizeof(l->dn), dn);
	l->call_waiting = 1;
	l->max_calls = 4;
	l->busy_trigger = 2;
}

int
cfg_line_validate(const struct cfg_line *l, char *err, size_t errlen)
{
	size_t len = cfg_field_len(l->dn, sizeof(l->dn));
	char field[32];

	if (l->button < 1 || l->button > CFG_LINES_MAX)
		return cfg_fail(err, errlen, "line button %u out of range 1–%d",
		                l->button, CFG_LINES_MAX);
	snprintf(field, sizeof(field), "line %u number", l->button);
	if (cfg_charset_check(field, l->dn, sizeof(l->dn), 0, 0, "0123456789*#+",
	                      err, errlen) < 0)
		return -1;
	/* E.164 numbers start with '+'; anywhere else it is a typo. */
	if (memchr(l->dn + 1, '+', len - 1) != NULL)
		return cfg_fail(err, errlen,
		                "line %u number %s: '+' is allowed only as the first character",
		                l->button, l->dn);
	snprintf(field, sizeof(field), "line %u label", l->button);
	if (cfg_text_check(field, l->label, sizeof(l->label), 1, err, errlen) < 0)
		return -1;
	snprintf(field, sizeof(field), "line %u display name", l->button);
	if (cfg_text_check(field, l->display_name, sizeof(l->display_name), 1,
	                   err, errlen) < 0)
		return -1;
	if ((l->auto_answer != 0 && l->auto_answer != 1) ||
	    (l->call_waiting != 0 && l->call_waiting != 1))
		return cfg_fail(err, errlen, "line %u: auto answer and call waiting are on or off",
		                l->button);
	if (l->max_calls < 1 || l->max_calls > CFG_LINE_CALLS_MAX)
		return cfg_fail(err, errlen, "line %u: max calls %u out of range 1–%d",
		                l->button, l->max_calls, CFG_LINE_CALLS_MAX);
	if (l->busy_trigger < 1 || l->busy_trigger > l->max_calls)
		return cfg_fail(err, errlen, "line %u: busy trigger %u out of range 1–%u (max calls)",
		                l->button, l->busy_trigger, l->max_calls);
	return 0;
}

/* A phone is named after its MAC (SEP); a soft client after its type. */
static int
device_kind_check(const struct cfg_device *d, const struct cfg_model *m, char *err,
                  size_t errlen)
{
	int soft = cfg_device_name_is_soft(d->name);

	if ((m->flags & CFG_MODEL_SOFT) && (!soft || strncmp(d->name, m->name, 3) != 0))
		return cfg_fail(err, errlen, "device %s: a %s soft client's name starts with %s",
		                d->name, m->name, m->name);
	if (!(m->flags & CFG_MODEL_SOFT) && soft)
		return cfg_fail(err, errlen, "device %s: model %s is a phone, named SEP + its MAC",
		                d->name, m->name);
	return 0;
}

/* The named files, key expansion modules and vendor settings. */
static int
device_files_check(const struct cfg_device *d, const struct cfg_model *m, char *err,
                   size_t errlen)
{
	const struct cfg_kem_type *k;

	if ((d->dialplan[0] && cfg_recname_check("device dial plan", d->dialplan, err,
	                                         errlen) < 0) ||
	    (d->softkeys[0] && cfg_recname_check("device softkey template", d->softkeys,
	                                         err, errlen) < 0) ||
	    (d->feature_policy[0] && cfg_recname_check("device feature policy",
	                                               d->feature_policy, err, errlen) < 0))
		return -1;
	if (d->kem_count > m->kem_max)
		return cfg_fail(err, errlen, "model %s takes %u key expansion modules, not %u",
		                m->name, m->kem_max, d->kem_count);
	if (d->kem_count == 0 && d->kem_type[0] != '\0')
		return cfg_fail(err, errlen, "key expansion module type without a module");
	if (d->kem_count > 0) {
		if (cfg_field_len(d->kem_type, sizeof(d->kem_type)) >= sizeof(d->kem_type) ||
		    (k = cfg_kem_find(d->kem_type)) == NULL)
			return cfg_fail(err, errlen, "unknown key expansion module type (8800, "
			                "8851-8861, 8865)");
		if (!in_list(k->models, m->name))
			return cfg_fail(err, errlen, "%s does not fit model %s", k->product, m->name);
	}
	return cfg_vendor_validate(&d->vendor, m->family, err, errlen);
}

int
cfg_device_validate(const struct cfg_device *d, const struct cfg_profile *profile,
                    char *err, size_t errlen)
{
	const struct cfg_model *m;
	char canon[CFG_DEVNAME_MAX];
	size_t len = cfg_field_len(d->name, sizeof(d->name));

	if (cfg_device_name_parse(d->name, len, canon) < 0 || strcmp(canon, d->name) != 0) {
		char shown[64];
		str_sanitize(shown, sizeof(shown), d->name, len);
		return cfg_fail(err, errlen,
		                "device name \"%s\" is not SEP followed by 12 upper-case hex "
		                "digits, nor a soft client's upper-case CSF, BOT, TCT or TAB name",
		                shown);
	}
	if (cfg_charset_check("device model", d->model, sizeof(d->model), 0, 1, "",
	                      err, errlen) < 0)
		return -1;
	if ((m = cfg_model_find(d->model)) == NULL)
		return cfg_fail(err, errlen, "model %s is not a known model", d->model);
	/* Stored as the table spells it, so lookups and exports agree. */
	if (strcmp(m->name, d->model) != 0)
		return cfg_fail(err, errlen, "model %s must be written %s", d->model, m->name);
	if (device_kind_check(d, m, err, errlen) < 0 ||
	    device_files_check(d, m, err, errlen) < 0)
		return -1;
	if (cfg_name_check("device profile", d->profile, sizeof(d->profile), err, errlen) < 0 ||
	    cfg_text_check("device owner", d->owner, sizeof(d->owner), 1, err, errlen) < 0 ||
	    (d->pool[0] != '\0' &&
	     cfg_name_check("device pool", d->pool, sizeof(d->pool), err, errlen) < 0) ||
	    cfg_text_check("device description", d->description, sizeof(d->description), 1,
	                   err, errlen) < 0 ||
	    cfg_charset_check("device load", d->load, sizeof(d->load), 1, 1, "._-",
	                      err, errlen) < 0 ||
	    cfg_host_check("MRA service domain", d->mra_domain, sizeof(d->mra_domain), 1,
	                   err, errlen) < 0)
		return -1;
	if (d->owner[0] == ' ' || (d->owner[0] != '\0' && d->owner[strlen(d->owner) - 1] == ' '))
		return cfg_fail(err, errlen, "device owner: must not start or end with a space");
	if ((d->require_activation_code != 0 && d->require_activation_code != 1) ||
	    (d->allow_activation_code_mra != 0 && d->allow_activation_code_mra != 1))
		return cfg_fail(err, errlen, "activation code settings are on or off");
	if (d->allow_activation_code_mra && !d->require_activation_code)
		return cfg_fail(err, errlen,
		                "activation code via MRA requires require-activation-code");
	if (d->allow_activation_code_mra && d->mra_domain[0] == '\0')
		return cfg_fail(err, errlen,
		                "activation code via MRA requires an MRA service domain");
	if (d->line_count > CFG_LINES_MAX)
		return cfg_fail(err, errlen, "%zu lines, at most %d", d->line_count, CFG_LINES_MAX);
	for (size_t i = 0; i < d->line_count; i++) {
		if (cfg_line_validate(&d->lines[i], err, errlen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (d->lines[i].button == d->lines[j].button)
				return cfg_fail(err, errlen, "line button %u used twice",
				                d->lines[i].button);
	}
	if (profile != NULL) {
		size_t plen = cfg_field_len(profile->name, sizeof(profile->name));
		if (plen >= sizeof(profile->name) || strcmp(profile->name, d->profile) != 0)
			return cfg_fail(err, errlen, "device uses profile %s, not %.*s",
			                d->profile, (int)plen, profile->name);
		if (profile->oauth && !(m->flags & CFG_MODEL_OAUTH))
			return cfg_fail(err, errlen,
			                "model %s cannot use a profile with OAuth (profile %s)",
			                m->name, profile->name);
		/* cisco.md, admin workflow step 8: onboarding over MRA needs an
		 * OAuth profile; the device then proves itself with tokens only. */
		if (d->allow_activation_code_mra && !profile->oauth)
			return cfg_fail(err, errlen,
			                "activation code via MRA requires a profile with OAuth "
			                "(profile %s has none)", profile->name);
	}
	return 0;
}

int
cfg_device_needs_token(const struct cfg_profile *profile)
{
	/* No profile known means no way to prove the device is not gated. */
	return profile == NULL || profile->oauth != 0;
}

int
cfg_load_check(const char *load, char *err, size_t errlen)
{
	return cfg_charset_check("load", load, CFG_LOAD_MAX, 0, 1, "._-", err, errlen);
}
