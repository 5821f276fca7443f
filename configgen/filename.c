/*
 * filename.c - what a requested file name means.  Every daemon (HTTP 6970,
 * HTTPS 6971, TFTP) asks this one function, so a device's config cannot be
 * reached through a spelling one daemon recognises and another does not.
 * Device files are NAME.cnf.xml[.sgn|.enc.sgn] for every device name (a
 * phone's SEP<MAC>, a soft client's CSF/BOT/TCT/TAB name: Jabber fetches
 * <its device name>.cnf.xml); CTL/ITL + device name + .tlv are the
 * device trust lists.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "configgen/configgen.h"

/* Case-insensitive comparison of a counted, untrusted string with a literal. */
static int
eq_ci(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* Is s[0..len) a device name followed by exactly `suffix`?  Device names
 * have different lengths (SEP + MAC, soft clients' names), so the suffix is
 * matched from the end and the rest must parse as a device name. */
static int
match_device(const char *s, size_t len, const char *suffix, char dev[CFG_DEVNAME_MAX])
{
	size_t sl = strlen(suffix);

	if (len <= sl || !eq_ci(s + len - sl, sl, suffix))
		return 0;
	return cfg_device_name_parse(s, len - sl, dev) == 0;
}

/* Is s[0..len) PREFIX + record name + ".xml" for one of the named kinds? */
static enum cfg_file_kind
match_named(const char *s, size_t len, char rec[CFG_RECNAME_MAX])
{
	static const enum cfg_file_kind kinds[] = {
		CFG_FILE_DIALPLAN, CFG_FILE_SOFTKEYS, CFG_FILE_FEATURE_POLICY
	};
	char probe[CFG_NAMED_FILE_MAX];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		/* The file name of a one-letter record tells the prefix length. */
		if (cfg_named_file(kinds[k], "a", probe, sizeof(probe)) < 0)
			continue;
		size_t pl = strlen(probe) - strlen("a.xml"), nl;
		if (len <= pl + 4 || strncasecmp(s, probe, pl) != 0 ||
		    !eq_ci(s + len - 4, 4, ".xml"))
			continue;
		nl = len - pl - 4;
		if (nl >= CFG_RECNAME_MAX)
			return CFG_FILE_PUBLIC;
		for (size_t i = 0; i < nl; i++) {
			char c = s[pl + i];
			rec[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		rec[nl] = '\0';
		if (cfg_recname_check("name", rec, NULL, 0) < 0) {
			rec[0] = '\0';
			return CFG_FILE_PUBLIC;
		}
		return kinds[k];
	}
	return CFG_FILE_PUBLIC;
}

enum cfg_file_kind
cfg_file_classify(const char *name, size_t len, struct cfg_file *out)
{
	const char *base;
	size_t blen;

	out->device[0] = '\0';
	out->trustlist = NULL;
	out->record[0] = '\0';
	/* Path syntax every daemon refuses, whatever the file: common/'s one
	 * check (no control or non-ASCII byte, '\\', empty, "." or ".."
	 * component). */
	if (name == NULL || len > CFG_FILENAME_MAX || path_check(name, len) != 0)
		return out->kind = CFG_FILE_INVALID;
	base = name;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/')
			base = name + i + 1;
	blen = len - (size_t)(base - name);

	if (eq_ci(base, blen, "XMLDefault.cnf.xml"))
		return out->kind = CFG_FILE_DEFAULT_CONFIG;
	if (match_device(base, blen, ".cnf.xml", out->device))
		return out->kind = CFG_FILE_DEVICE_CONFIG;
	if (match_device(base, blen, ".cnf.xml.sgn", out->device))
		return out->kind = CFG_FILE_DEVICE_CONFIG_SIGNED;
	if (match_device(base, blen, ".cnf.xml.enc.sgn", out->device))
		return out->kind = CFG_FILE_DEVICE_CONFIG_ENC;
	if (blen > 3 && (strncasecmp(base, "CTL", 3) == 0 || strncasecmp(base, "ITL", 3) == 0) &&
	    match_device(base + 3, blen - 3, ".tlv", out->device)) {
		out->trustlist = toupper((unsigned char)base[0]) == 'C' ? CFG_CTL_FILE : CFG_ITL_FILE;
		return out->kind = CFG_FILE_DEVICE_TRUSTLIST;
	}
	out->device[0] = '\0';
	if (eq_ci(base, blen, CFG_ITL_FILE) || eq_ci(base, blen, CFG_CTL_FILE)) {
		out->trustlist = toupper((unsigned char)base[0]) == 'C' ? CFG_CTL_FILE : CFG_ITL_FILE;
		return out->kind = CFG_FILE_TRUSTLIST;
	}
	/* dialplan-NAME.xml, softkeys-NAME.xml, featurepolicy-NAME.xml */
	if ((out->kind = match_named(base, blen, out->record)) != CFG_FILE_PUBLIC)
		return out->kind;
	if (eq_ci(base, blen, CFG_DEFAULT_FILE ".sgn"))
		return out->kind = CFG_FILE_DEFAULT_CONFIG_SIGNED;
	/* NAME.sgn: the signed form of a public file (firmware, locales). */
	if (blen > 4 && eq_ci(base + blen - 4, 4, ".sgn"))
		return out->kind = CFG_FILE_PUBLIC_SIGNED;
	return out->kind = CFG_FILE_PUBLIC;
}

const char *
cfg_file_kind_name(enum cfg_file_kind k)
{
	switch (k) {
	case CFG_FILE_INVALID:              return "invalid";
	case CFG_FILE_PUBLIC:               return "public";
	case CFG_FILE_DEVICE_CONFIG:        return "device-config";
	case CFG_FILE_DEVICE_CONFIG_SIGNED: return "device-config-signed";
	case CFG_FILE_DEVICE_CONFIG_ENC:    return "device-config-enc";
	case CFG_FILE_DEVICE_TRUSTLIST:     return "device-trustlist";
	case CFG_FILE_DEFAULT_CONFIG:       return "default-config";
	case CFG_FILE_TRUSTLIST:            return "trustlist";
	case CFG_FILE_DEFAULT_CONFIG_SIGNED: return "default-config-signed";
	case CFG_FILE_PUBLIC_SIGNED:        return "public-signed";
	case CFG_FILE_DIALPLAN:             return "dialplan";
	case CFG_FILE_SOFTKEYS:             return "softkeys";
	case CFG_FILE_FEATURE_POLICY:       return "feature-policy";
	}
	return "unknown";
}
