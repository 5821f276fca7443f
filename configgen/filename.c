/*
 * filename.c - what a requested file name means.  Every daemon (HTTP 6970,
 * HTTPS 6971, TFTP) asks this one function, so a device's config cannot be
 * reached through a spelling one daemon recognises and another does not.
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

/* Does s[0..len) start with "SEP" + 12 hex followed by exactly `suffix`? */
static int
match_device(const char *s, size_t len, const char *suffix, char dev[CFG_DEVNAME_MAX])
{
	const size_t n = CFG_DEVNAME_MAX - 1;

	if (len < n || !eq_ci(s + n, len - n, suffix))
		return 0;
	return cfg_device_name_parse(s, n, dev) == 0;
}

enum cfg_file_kind
cfg_file_classify(const char *name, size_t len, struct cfg_file *out)
{
	const char *base;
	size_t blen;

	out->device[0] = '\0';
	out->trustlist = NULL;
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
	}
	return "unknown";
}
