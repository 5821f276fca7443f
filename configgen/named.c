/*
 * named.c - the records behind the files a device config names: dial plans
 * (<dialTemplate>), softkey templates (<softKeyFile>) and feature policies
 * (<featurePolicyFile>), their rules, and the one spelling of their file
 * names.
 *
 * Facts behind the tables: the dial-template pattern language (digits, '#',
 * '.' one character, '*' any number, "\\*" a literal star, ',' a secondary
 * dial tone; rewrite with '.' and %0-%5), the softkey ids with their
 * tag/event/help numbers and call-state names, and the feature ids and
 * names of a feature policy, as published for 79xx/88xx phones by an open
 * provisioning project's documented templates.  The feature defaults (all
 * on except Barge and Mobility) are those templates' too.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "configgen/cfg_int.h"
#include "configgen/configgen.h"

#define N(a) (sizeof(a) / sizeof(a[0]))

static void
copy_name(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

int
cfg_recname_check(const char *field, const char *name, char *err, size_t errlen)
{
	return cfg_charset_check(field, name, CFG_RECNAME_MAX, 0, 0,
	                         "abcdefghijklmnopqrstuvwxyz0123456789_-", err, errlen);
}

/* ---- file names ------------------------------------------------------------ */

static const char *
file_prefix(enum cfg_file_kind kind)
{
	switch (kind) {
	case CFG_FILE_DIALPLAN:       return "dialplan-";
	case CFG_FILE_SOFTKEYS:       return "softkeys-";
	case CFG_FILE_FEATURE_POLICY: return "featurepolicy-";
	default:                      return NULL;
	}
}

int
cfg_named_file(enum cfg_file_kind kind, const char *name, char *buf, size_t size)
{
	const char *pre = file_prefix(kind);
	int n;

	if (pre == NULL || cfg_recname_check("name", name, NULL, 0) < 0)
		return -1;
	n = snprintf(buf, size, "%s%s.xml", pre, name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- dial plans -------------------------------------------------------------- */

#define DIAL_TIMEOUT_DEFAULT 3

void
cfg_dialplan_init(struct cfg_dialplan *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	copy_name(p->name, sizeof(p->name), name);
}

int
cfg_dialrule_validate(const struct cfg_dialrule *r, char *err, size_t errlen)
{
	size_t ml = cfg_field_len(r->match, sizeof(r->match));
	size_t rl = cfg_field_len(r->rewrite, sizeof(r->rewrite));

	if (cfg_charset_check("dial rule match", r->match, sizeof(r->match), 1, 0,
	                      "0123456789#.*\\,", err, errlen) < 0 ||
	    cfg_charset_check("dial rule rewrite", r->rewrite, sizeof(r->rewrite), 1, 0,
	                      "0123456789#*.%", err, errlen) < 0)
		return -1;
	/* '\' only escapes a star: "\*" is a literal '*'. */
	for (size_t i = 0; i < ml; i++)
		if (r->match[i] == '\\' && (i + 1 == ml || r->match[++i] != '*'))
			return cfg_fail(err, errlen, "dial rule match %s: '\\' must be followed by '*'",
			                r->match);
	for (size_t i = 0; i < rl; i++)
		if (r->rewrite[i] == '%' &&
		    (i + 1 == rl || strchr("012345%.", r->rewrite[++i]) == NULL))
			return cfg_fail(err, errlen, "dial rule rewrite %s: '%%' must be followed "
			                "by 0-5, %% or .", r->rewrite);
	if (ml == 0 && rl == 0)
		return cfg_fail(err, errlen, "dial rule: an empty match (a hotline) needs a rewrite");
	if (r->timeout > CFG_DIAL_TIMEOUT_MAX)
		return cfg_fail(err, errlen, "dial rule %s: timeout %u out of range 0–%d",
		                r->match, r->timeout, CFG_DIAL_TIMEOUT_MAX);
	return 0;
}

int
cfg_dialrule_parse(const char *spec, struct cfg_dialrule *out, char *err, size_t errlen)
{
	const char *c1 = spec ? strchr(spec, ':') : NULL;
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	size_t ml = c1 ? (size_t)(c1 - spec) : (spec ? strlen(spec) : 0);
	char num[16];
	long long t = DIAL_TIMEOUT_DEFAULT;

	memset(out, 0, sizeof(*out));
	if (spec == NULL || ml >= sizeof(out->match))
		return cfg_fail(err, errlen, "dial rule: match longer than %d bytes",
		                CFG_PATTERN_MAX - 1);
	memcpy(out->match, spec, ml);
	if (c1 != NULL) {
		size_t tl = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
		if (tl >= sizeof(num))
			return cfg_fail(err, errlen, "dial rule %s: timeout is not a number", out->match);
		memcpy(num, c1 + 1, tl);
		num[tl] = '\0';
		if (num_parse_str(num, 0, CFG_DIAL_TIMEOUT_MAX, &t) < 0)
			return cfg_fail(err, errlen, "dial rule %s: timeout \"%s\" is not a number "
			                "in 0–%d", out->match, num, CFG_DIAL_TIMEOUT_MAX);
	}
	if (c2 != NULL) {
		if (strlen(c2 + 1) >= sizeof(out->rewrite))
			return cfg_fail(err, errlen, "dial rule %s: rewrite longer than %d bytes",
			                out->match, CFG_PATTERN_MAX - 1);
		memcpy(out->rewrite, c2 + 1, strlen(c2 + 1) + 1);
	}
	out->timeout = (unsigned)t;
	return cfg_dialrule_validate(out, err, errlen);
}

int
cfg_dialplan_validate(const struct cfg_dialplan *p, char *err, size_t errlen)
{
	if (cfg_recname_check("dial plan name", p->name, err, errlen) < 0 ||
	    cfg_text_check("dial plan description", p->description, sizeof(p->description),
	                   1, err, errlen) < 0)
		return -1;
	if (p->count > CFG_DIALRULES_MAX)
		return cfg_fail(err, errlen, "dial plan %s: %zu rules, at most %d", p->name,
		                p->count, CFG_DIALRULES_MAX);
	for (size_t i = 0; i < p->count; i++)
		if (cfg_dialrule_validate(&p->rules[i], err, errlen) < 0)
			return -1;
	return 0;
}

/* ---- softkey templates ----------------------------------------------------------- */

static const struct cfg_softkey_def softkeys[] = {
	{ "Undefined", 0, 0, 0 },     { "Redial", 1, 1, 301 },
	{ "NewCall", 2, 2, 302 },     { "Hold", 3, 3, 303 },
	{ "Transfer", 4, 4, 304 },    { "CFwdAll", 5, 5, 305 },
	{ "<<", 8, 8, 308 },          { "EndCall", 9, 9, 309 },
	{ "Resume", 10, 10, 310 },    { "Answer", 11, 11, 311 },
	{ "Confrn", 13, 13, 313 },    { "Park", 14, 14, 314 },
	{ "Join", 15, 15, 315 },      { "MeetMe", 16, 16, 316 },
	{ "PickUp", 17, 17, 317 },    { "GPickUp", 18, 18, 318 },
	{ "RmLstC", 57, 19, 319 },    { "DND", 63, 69, 369 },
	{ "CallBack", 65, 20, 320 },  { "QRT", 75, 22, 322 },
	{ "MCID", 76, 27, 327 },      { "Select", 78, 29, 329 },
	{ "ConfList", 79, 30, 330 },  { "iDivert", 80, 31, 331 },
	{ "OPickUp", 91, 34, 334 },   { "HLog", 92, 35, 335 },
	{ "AbbrDial", 7740, 71, 371 },{ "Record", 7747, 74, 374 },
};

static const struct cfg_softkey_state states[CFG_SK_STATES] = {
	{ "on-hook", "On Hook" },
	{ "off-hook", "Off Hook" },
	{ "off-hook-with-feature", "Off Hook With Feature" },
	{ "digits-after-first", "Digits After First" },
	{ "ring-out", "Ring Out" },
	{ "ring-in", "Ring In" },
	{ "connected", "Connected" },
	{ "connected-no-feature", "Connected No Feature" },
	{ "connected-transfer", "Connected Transfer" },
	{ "connected-conference", "Connected Conference" },
	{ "on-hold", "On Hold" },
	{ "remote-in-use", "Remote In Use" },
	{ "on-hook-with-feature", "On Hook With Feature" },
};

const struct cfg_softkey_def *
cfg_softkey_table(size_t *count)
{
	if (count != NULL)
		*count = N(softkeys);
	return softkeys;
}

const struct cfg_softkey_state *
cfg_softkey_states(size_t *count)
{
	if (count != NULL)
		*count = N(states);
	return states;
}

void
cfg_softkeys_init(struct cfg_softkeys *k, const char *name)
{
	memset(k, 0, sizeof(*k));
	copy_name(k->name, sizeof(k->name), name);
}

/* Index of the softkey named s[0..len) (any case), or -1. */
static int
softkey_find(const char *s, size_t len)
{
	for (size_t i = 0; i < N(softkeys); i++)
		if (strlen(softkeys[i].id) == len && strncasecmp(softkeys[i].id, s, len) == 0)
			return (int)i;
	return -1;
}

int
cfg_softkeys_set(struct cfg_softkeys *k, const char *spec, char *err, size_t errlen)
{
	const char *eq = spec ? strchr(spec, '=') : NULL, *p;
	unsigned char keys[CFG_SK_KEYS_MAX] = { 0 };
	size_t st, n = 0;
	char shown[64];

	if (eq == NULL)
		return cfg_fail(err, errlen, "softkeys: \"%s\" is not STATE=KEY,KEY,...",
		                str_sanitize(shown, sizeof(shown), spec ? spec : "",
		                             spec ? strlen(spec) : 0));
	for (st = 0; st < N(states); st++)
		if (strlen(states[st].key) == (size_t)(eq - spec) &&
		    strncasecmp(states[st].key, spec, (size_t)(eq - spec)) == 0)
			break;
	if (st == N(states))
		return cfg_fail(err, errlen, "softkeys: unknown call state \"%s\" (on-hook, "
		                "off-hook, connected, ring-in, ...)",
		                str_sanitize(shown, sizeof(shown), spec, (size_t)(eq - spec)));
	for (p = eq + 1; *p != '\0'; ) {
		size_t len = strcspn(p, ",");
		int idx = softkey_find(p, len);
		if (idx < 0)
			return cfg_fail(err, errlen, "softkeys: unknown softkey \"%s\"",
			                str_sanitize(shown, sizeof(shown), p, len));
		if (n == CFG_SK_KEYS_MAX)
			return cfg_fail(err, errlen, "softkeys %s: at most %d keys", states[st].key,
			                CFG_SK_KEYS_MAX);
		keys[n++] = (unsigned char)(idx + 1);
		p += len;
		if (*p == ',' && *++p == '\0')
			return cfg_fail(err, errlen, "softkeys %s: empty key after ','", states[st].key);
	}
	memcpy(k->keys[st], keys, sizeof(keys));
	return 0;
}

int
cfg_softkeys_validate(const struct cfg_softkeys *k, char *err, size_t errlen)
{
	if (cfg_recname_check("softkey template name", k->name, err, errlen) < 0 ||
	    cfg_text_check("softkey template description", k->description,
	                   sizeof(k->description), 1, err, errlen) < 0)
		return -1;
	for (size_t s = 0; s < CFG_SK_STATES; s++) {
		int ended = 0;
		for (size_t i = 0; i < CFG_SK_KEYS_MAX; i++) {
			unsigned v = k->keys[s][i];
			if (v == 0)
				ended = 1;
			else if (ended || v > N(softkeys))
				return cfg_fail(err, errlen, "softkeys %s: bad key list", states[s].key);
		}
	}
	return 0;
}

/* ---- feature policies ---------------------------------------------------------------- */

static const struct cfg_feature_def features[CFG_FEATURES] = {
	{ 1, "Forward All", "forward-all", 1 },
	{ 2, "Park", "park", 1 },
	{ 3, "Divert (Alerting)", "divert-alerting", 1 },
	{ 4, "Conference Details", "conference-details", 1 },
	{ 5, "Speed Dial", "speed-dial", 1 },
	{ 6, "Call Back", "call-back", 1 },
	{ 7, "Redial", "redial", 1 },
	{ 8, "Barge", "barge", 0 },
	{ 9, "Divert (Connected)", "divert-connected", 1 },
	{ 10, "Call PickUp", "call-pickup", 1 },
	{ 11, "Other Call PickUp", "other-call-pickup", 1 },
	{ 12, "Group Call PickUp", "group-call-pickup", 1 },
	{ 13, "Mobility", "mobility", 0 },
	{ 14, "Meet Me", "meet-me", 1 },
	{ 15, "Quality Reporting Tool", "quality-reporting-tool", 1 },
	{ 16, "Malicious Caller ID", "malicious-caller-id", 1 },
};

const struct cfg_feature_def *
cfg_feature_table(size_t *count)
{
	if (count != NULL)
		*count = N(features);
	return features;
}

void
cfg_fpolicy_init(struct cfg_fpolicy *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	copy_name(f->name, sizeof(f->name), name);
	memset(f->enabled, -1, sizeof(f->enabled));
}

int
cfg_fpolicy_set(struct cfg_fpolicy *f, const char *key, int on, char *err, size_t errlen)
{
	char shown[64];

	for (size_t i = 0; key != NULL && i < N(features); i++)
		if (strcasecmp(features[i].key, key) == 0) {
			f->enabled[i] = (signed char)(on < 0 ? -1 : on != 0);
			return 0;
		}
	return cfg_fail(err, errlen, "feature policy: unknown feature \"%s\" (forward-all, "
	                "park, barge, ...)", str_sanitize(shown, sizeof(shown), key ? key : "",
	                                                  key ? strlen(key) : 0));
}

int
cfg_fpolicy_validate(const struct cfg_fpolicy *f, char *err, size_t errlen)
{
	if (cfg_recname_check("feature policy name", f->name, err, errlen) < 0 ||
	    cfg_text_check("feature policy description", f->description,
	                   sizeof(f->description), 1, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < CFG_FEATURES; i++)
		if (f->enabled[i] < -1 || f->enabled[i] > 1)
			return cfg_fail(err, errlen, "feature policy %s: feature %s is on, off or "
			                "default", f->name, features[i].key);
	return 0;
}
