/*
 * vendor.c - the vendor settings of each model family: which settings an
 * administrator may set, what element each becomes, and the checks on
 * device and profile overrides.
 *
 * Facts behind the schemas (element names and value codes), from published
 * configs: a config the call-control system generated for a 7821 (webAccess
 * and sshAccess in <commonConfig>, pcPort/garp/voiceVlanAccess in
 * <vendorConfig>), and public 88xx and 79xx/99xx templates (every setting in
 * <vendorConfig>).  In those files webAccess, sshAccess, pcPort, garp and
 * voiceVlanAccess take 0 for enabled and 1 for disabled (the 7821 file
 * carries 1 for web and SSH access where the documented default is
 * Disabled); settingsAccess takes 1 enabled, 0 disabled, 2 restricted;
 * videoCapability, wifi and bluetooth 1 enabled, 0 disabled.  The safe
 * defaults are oprov's: web and SSH access off, settings access on, PC port
 * on (a profile may turn it off for its devices).  Settings without a
 * default are written only when a device or its profile sets them.
 *
 * Soft clients (CSF, BOT, TCT, TAB).  Sources, facts only:
 *  - the call-control system's Feature Configuration Guide, "SIP OAuth
 *    Mode" chapter (releases 12.5(1)SU3 and 15): OAuth on the SIP line for
 *    Jabber devices from 12.5 on, and the four soft-client device types
 *    (CSF, BOT, TCT, TAB) among the security profile types that can carry
 *    OAuth;
 *  - the vendor's TAC document 215572, "Cisco Jabber and SIP OAuth mode":
 *    Jabber's softphone proves itself with OAuth tokens instead of a client
 *    certificate on the secure SIP port; digest authentication and TFTP
 *    encrypted config are not supported with it;
 *  - the Jabber for Windows 9.0 installation and configuration guide
 *    (client configuration chapter): a global jabber-config.xml on the TFTP
 *    server, and group configuration files for subsets of users, which
 *    take priority over the global file and are fetched from TFTP after
 *    the first sign-in;
 *  - the vendor's developer samples for its provisioning API
 *    (CiscoDevNet/axl-python-zeep-samples, axl_add_Phone_vendorConfig.py):
 *    a CSF device's Product Specific settings are vendorConfig elements,
 *    videoCapability at the top, others inside a section element, such as
 *    <desktopClient> holding extendAndConnectCapability (Extend and
 *    Connect: the client controlling a desk phone or other device);
 *  - public administrators' scripts (Python, on GitHub): one reads a Jabber
 *    device's config from TFTP-over-HTTP (6970), takes the text of
 *    <ciscoSupportField>, splits it at '=' and fetches the file named after
 *    it from 6970 ("configurationFile=NAME" names the group file); another
 *    creates Jabber devices through the vendor's provisioning API with a
 *    vendorConfig of videoCapability (0 no video, 1 video),
 *    analyticsCollection and ciscoSupportField, in that order.
 * Inferences, stated as such: that the device config's <vendorConfig>
 * carries the same elements as the provisioning API's vendorConfig (the
 * phone schemas above rest on the same correspondence); that BOT, TCT and
 * TAB read them as CSF does (the mobile clients presumably skip the
 * desktopClient section); that analyticsCollection and
 * extendAndConnectCapability take 1 enabled, 0 disabled like
 * videoCapability; where desktopClient sits among the others (last here).
 * Because those codes are inferred, no soft-client setting has a default:
 * an element with a guessed code is never written unless an administrator
 * asks for it, and the client keeps its own default.  The file-name rule
 * for config-file (a name of [A-Za-z0-9._-] ending in ".xml") is oprov's.
 * Desktop share and mobility (dial via office, mobile identity) are not
 * here: the public material found names no device-config element for them
 * (Jabber takes such policies from jabber-config.xml, which the group file
 * above can carry).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "configgen/cfg_int.h"
#include "configgen/configgen.h"

static const char *const onoff[] = { "on", "off", NULL };
static const char *const on0[] = { "0", "1" };        /* 0 enabled, 1 disabled */
static const char *const on1[] = { "1", "0" };        /* 1 enabled, 0 disabled */
static const char *const speaker[] = { "false", "true" };  /* disableSpeaker */
static const char *const settings_words[] = { "on", "off", "restricted", NULL };
static const char *const settings_xml[] = { "1", "0", "2" };

#define VC CFG_VS_VENDOR
#define CC CFG_VS_COMMON
#define PLAIN NULL, NULL, NULL          /* a word-valued setting, not nested */
#define K_SPEAKER(s) { "speaker", "disableSpeaker", s, onoff, speaker, NULL, \
	"speakerphone (off: disableSpeaker)", PLAIN }
#define K_PC(s) { "pc-port", "pcPort", s, onoff, on0, "on", "the PC Ethernet port", PLAIN }
#define K_GARP(s) { "garp", "garp", s, onoff, on0, NULL, "gratuitous ARP", PLAIN }
#define K_VLAN(s) { "voice-vlan-access", "voiceVlanAccess", s, onoff, on0, NULL, \
	"PC port access to the voice VLAN", PLAIN }
#define K_SETTINGS(s) { "settings-access", "settingsAccess", s, settings_words, \
	settings_xml, "on", "the Settings menu (on, off, restricted)", PLAIN }
#define K_VIDEO(s) { "video", "videoCapability", s, onoff, on1, NULL, "video calls", PLAIN }
#define K_WEB(s) { "web-access", "webAccess", s, onoff, on0, "off", \
	"the phone's web server", PLAIN }
#define K_SSH(s) { "ssh-access", "sshAccess", s, onoff, on0, "off", \
	"the phone's SSH server", PLAIN }

/* Each in the order its family's published configs write the elements. */
static const struct cfg_vendor_key fam78[] = {
	K_SPEAKER(VC), K_PC(VC), K_GARP(VC), K_VLAN(VC), K_SETTINGS(VC),
	K_WEB(CC), K_SSH(CC),
};
static const struct cfg_vendor_key fam88[] = {
	K_SPEAKER(VC), K_PC(VC), K_GARP(VC), K_VLAN(VC), K_VIDEO(VC),
	{ "wifi", "wifi", VC, onoff, on1, NULL, "Wi-Fi (8861, 8865)", PLAIN },
	{ "bluetooth", "bluetooth", VC, onoff, on1, NULL, "Bluetooth", PLAIN },
	K_SETTINGS(VC), K_WEB(VC), K_SSH(VC),
};
static const struct cfg_vendor_key fam99[] = {
	K_SPEAKER(VC), K_PC(VC), K_SETTINGS(VC), K_GARP(VC), K_VLAN(VC),
	K_VIDEO(VC), K_WEB(VC), K_SSH(VC),
};

#define JABBER_FILE_PREFIX "configurationFile="

/* config-file: a file name the client fetches from the file server, so
 * only [A-Za-z0-9._-], not starting with '.', ending in ".xml". */
static int
check_config_file(const char *value, char *err, size_t errlen)
{
	size_t n = cfg_field_len(value, CFG_VVAL_MAX);
	char shown[64];

	if (cfg_charset_check("config-file", value, CFG_VVAL_MAX, 0, 1, "._-", err,
	                      errlen) < 0)
		return -1;
	if (value[0] == '.' || n < 5 || strcasecmp(value + n - 4, ".xml") != 0) {
		str_sanitize(shown, sizeof(shown), value, n);
		return cfg_fail(err, errlen, "config-file: \"%s\" is not NAME.xml", shown);
	}
	return 0;
}

/* Soft clients; no defaults (see the header comment). */
static const struct cfg_vendor_key famsoft[] = {
	K_VIDEO(VC),
	{ "analytics", "analyticsCollection", VC, onoff, on1, NULL,
	  "usage analytics collection (code inferred)", PLAIN },
	{ "config-file", "ciscoSupportField", VC, NULL, NULL, NULL,
	  "the group jabber-config file the client fetches", check_config_file,
	  JABBER_FILE_PREFIX, NULL },
	{ "extend-and-connect", "extendAndConnectCapability", VC, onoff, on1, NULL,
	  "desk-phone control: Extend and Connect (code inferred)", NULL, NULL,
	  "desktopClient" },
};

#define N(a) (sizeof(a) / sizeof(a[0]))

const char *
cfg_family_name(enum cfg_family f)
{
	switch (f) {
	case CFG_FAMILY_ANY:   return "any";
	case CFG_FAMILY_78XX:  return "78xx";
	case CFG_FAMILY_88XX:  return "88xx";
	case CFG_FAMILY_99XX:  return "99xx";
	case CFG_FAMILY_SOFT:  return "soft client";
	case CFG_FAMILY_OTHER: return "other";
	}
	return "unknown";
}

const struct cfg_vendor_key *
cfg_vendor_schema(enum cfg_family f, size_t *count)
{
	const struct cfg_vendor_key *k = NULL;
	size_t n = 0;

	switch (f) {
	case CFG_FAMILY_78XX: k = fam78; n = N(fam78); break;
	case CFG_FAMILY_88XX: k = fam88; n = N(fam88); break;
	case CFG_FAMILY_99XX: k = fam99; n = N(fam99); break;
	case CFG_FAMILY_SOFT: k = famsoft; n = N(famsoft); break;
	default: break;
	}
	if (count != NULL)
		*count = n;
	return k;
}

const struct cfg_vendor_key *
cfg_vendor_key_find(enum cfg_family f, const char *key)
{
	static const enum cfg_family all[] = { CFG_FAMILY_78XX, CFG_FAMILY_88XX,
	                                       CFG_FAMILY_99XX, CFG_FAMILY_SOFT };

	if (key == NULL)
		return NULL;
	for (size_t a = 0; a < N(all); a++) {
		size_t n;
		const struct cfg_vendor_key *k;

		if (f != CFG_FAMILY_ANY && f != all[a])
			continue;
		k = cfg_vendor_schema(all[a], &n);
		for (size_t i = 0; i < n; i++)
			if (strcmp(k[i].key, key) == 0)
				return &k[i];
	}
	return NULL;
}

/* Index of value among k's words (any case), or -1 (also for a key
 * without words). */
static int
word_index(const struct cfg_vendor_key *k, const char *value)
{
	for (int i = 0; k->words != NULL && k->words[i] != NULL; i++)
		if (strcasecmp(k->words[i], value) == 0)
			return i;
	return -1;
}

/* Appends ", item" (or "item" at the start) to buf, which holds *o bytes. */
static void
append(char *buf, size_t size, size_t *o, const char *item)
{
	int n;

	if (*o >= size)
		return;
	n = snprintf(buf + *o, size - *o, "%s%s", *o ? ", " : "", item);
	if (n > 0)
		*o += (size_t)n;
}

/* "on, off, restricted" */
static const char *
words_list(const struct cfg_vendor_key *k, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; k->words[i] != NULL; i++)
		append(buf, size, &o, k->words[i]);
	return buf;
}

/* The setting names of family f: "video, analytics, config-file". */
static const char *
keys_list(enum cfg_family f, char *buf, size_t size)
{
	size_t n, o = 0;
	const struct cfg_vendor_key *k = cfg_vendor_schema(f, &n);

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		append(buf, size, &o, k[i].key);
	return buf;
}

int
cfg_vendor_spec(const char *spec, char key[CFG_VKEY_MAX], char value[CFG_VVAL_MAX],
                char *err, size_t errlen)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	char shown[64];

	if (eq == NULL || eq == spec) {
		str_sanitize(shown, sizeof(shown), spec ? spec : "", spec ? strlen(spec) : 0);
		return cfg_fail(err, errlen, "vendor setting \"%s\" is not KEY=VALUE", shown);
	}
	if ((size_t)(eq - spec) >= CFG_VKEY_MAX || strlen(eq + 1) >= CFG_VVAL_MAX)
		return cfg_fail(err, errlen, "vendor setting: key or value too long");
	memcpy(key, spec, (size_t)(eq - spec));
	key[eq - spec] = '\0';
	memcpy(value, eq + 1, strlen(eq + 1) + 1);
	return 0;
}

/* The schema entry for key in family f, or -1 with the refusal in err. */
static int
known(enum cfg_family f, const char *key, const struct cfg_vendor_key **out,
      char *err, size_t errlen)
{
	char shown[64], list[160];

	str_sanitize(shown, sizeof(shown), key, strnlen(key, CFG_VKEY_MAX));
	if (f == CFG_FAMILY_OTHER)
		return cfg_fail(err, errlen, "%s models have no vendor settings (\"%s\")",
		                cfg_family_name(f), shown);
	if ((*out = cfg_vendor_key_find(f, key)) != NULL)
		return 0;
	if (f == CFG_FAMILY_ANY)
		return cfg_fail(err, errlen, "\"%s\" is not a vendor setting", shown);
	return cfg_fail(err, errlen, "\"%s\" is not a vendor setting of %s models "
	                "(theirs: %s)", shown, cfg_family_name(f),
	                keys_list(f, list, sizeof(list)));
}

/* A value as cfg_vendor_set stores it: a word spelt as the schema spells
 * it, or a free value its check() passes. */
static int
stored_ok(const struct cfg_vendor_key *k, const char *value, char *err, size_t errlen)
{
	char shown[64];
	int w;

	if (k->words == NULL && k->check != NULL)
		return k->check(value, err, errlen);
	w = word_index(k, value);
	if (w >= 0 && strcmp(k->words[w], value) == 0)
		return 0;
	str_sanitize(shown, sizeof(shown), value, strnlen(value, CFG_VVAL_MAX));
	return cfg_fail(err, errlen, "%s: \"%s\" is not one of its values", k->key, shown);
}

/* value is one k accepts: one of its words (any case), or a free value its
 * check() passes.  The stored form in *stored. */
static int
accepted(const struct cfg_vendor_key *k, const char *value, const char **stored,
         char *err, size_t errlen)
{
	char shown[64], list[64];
	int w;

	if (k->words == NULL) {
		if (stored_ok(k, value, err, errlen) < 0)
			return -1;
		*stored = value;
		return 0;
	}
	if ((w = word_index(k, value)) < 0) {
		str_sanitize(shown, sizeof(shown), value, strnlen(value, CFG_VVAL_MAX));
		return cfg_fail(err, errlen, "%s: \"%s\" is not one of: %s", k->key, shown,
		                words_list(k, list, sizeof(list)));
	}
	*stored = k->words[w];
	return 0;
}

int
cfg_vendor_set(struct cfg_vendor *v, enum cfg_family f, const char *key,
               const char *value, char *err, size_t errlen)
{
	const struct cfg_vendor_key *k;
	const char *stored = NULL;
	size_t i;

	if (key == NULL || value == NULL)
		return cfg_fail(err, errlen, "vendor setting missing");
	if (known(f, key, &k, err, errlen) < 0)
		return -1;
	for (i = 0; i < v->count && strcmp(v->kv[i].key, k->key) != 0; i++)
		;
	if (value[0] == '\0' || strcasecmp(value, "default") == 0) {
		if (i < v->count) {
			memmove(&v->kv[i], &v->kv[i + 1], (v->count - i - 1) * sizeof(v->kv[0]));
			v->count--;
		}
		return 0;
	}
	if (accepted(k, value, &stored, err, errlen) < 0)
		return -1;
	if (i == v->count) {
		if (v->count == CFG_VENDOR_MAX)
			return cfg_fail(err, errlen, "at most %d vendor settings", CFG_VENDOR_MAX);
		v->count++;
		snprintf(v->kv[i].key, sizeof(v->kv[i].key), "%s", k->key);
	}
	snprintf(v->kv[i].value, sizeof(v->kv[i].value), "%s", stored);
	return 0;
}

const char *
cfg_vendor_get(const struct cfg_vendor *v, const char *key)
{
	size_t n = v->count > CFG_VENDOR_MAX ? CFG_VENDOR_MAX : v->count;

	for (size_t i = 0; i < n; i++)
		if (strncmp(v->kv[i].key, key, sizeof(v->kv[i].key)) == 0)
			return v->kv[i].value;
	return NULL;
}

int
cfg_vendor_validate(const struct cfg_vendor *v, enum cfg_family f,
                    char *err, size_t errlen)
{
	const struct cfg_vendor_key *k;

	if (v->count > CFG_VENDOR_MAX)
		return cfg_fail(err, errlen, "%zu vendor settings, at most %d", v->count,
		                CFG_VENDOR_MAX);
	for (size_t i = 0; i < v->count; i++) {
		const struct cfg_vendor_kv *kv = &v->kv[i];
		if (cfg_field_len(kv->key, sizeof(kv->key)) >= sizeof(kv->key) ||
		    cfg_field_len(kv->value, sizeof(kv->value)) >= sizeof(kv->value))
			return cfg_fail(err, errlen, "vendor setting %zu: not terminated", i + 1);
		if (known(f, kv->key, &k, err, errlen) < 0)
			return -1;
		if (stored_ok(k, kv->value, err, errlen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(v->kv[j].key, kv->key) == 0)
				return cfg_fail(err, errlen, "vendor setting %s given twice", kv->key);
	}
	return 0;
}
