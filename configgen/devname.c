/*
 * devname.c - device names: a phone's "SEP" + its MAC in hex, or a soft
 * client's prefix (CSF desktop, BOT Android, TCT iPhone, TAB tablet) and a
 * name of the administrator's choosing.  The call-control system caps device
 * names at 15 characters and allows letters, digits, '.', '_' and '-' in
 * them; oprov keeps every name in upper case so that any spelling a phone or
 * an administrator uses finds the same record.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "configgen/configgen.h"

#define SEP_HEX 12                      /* a MAC in hex */

static const char *const soft_prefixes[] = { "CSF", "BOT", "TCT", "TAB", NULL };

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static char
upper(char c)
{
	return (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
}

static int
soft_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Index of the soft-client prefix s starts with (any case), or -1. */
static int
soft_prefix(const char *s, size_t len)
{
	for (int i = 0; soft_prefixes[i] != NULL; i++)
		if (len >= 3 && strncasecmp(s, soft_prefixes[i], 3) == 0)
			return i;
	return -1;
}

int
cfg_device_name_parse(const char *s, size_t len, char out[CFG_DEVNAME_MAX])
{
	static const char hex[] = "0123456789ABCDEF";

	if (s == NULL || len < 4 || len > CFG_DEVNAME_MAX - 1)
		return -1;
	if (strncasecmp(s, "SEP", 3) == 0) {
		if (len != 3 + SEP_HEX)
			return -1;
		for (size_t i = 3; i < len; i++)
			if (hexval((unsigned char)s[i]) < 0)
				return -1;
		memcpy(out, "SEP", 3);
		for (size_t i = 3; i < len; i++)
			out[i] = hex[hexval((unsigned char)s[i])];
		out[len] = '\0';
		return 0;
	}
	if (soft_prefix(s, len) < 0)
		return -1;
	for (size_t i = 3; i < len; i++)
		if (!soft_char((unsigned char)s[i]))
			return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = upper(s[i]);
	out[len] = '\0';
	return 0;
}

int
cfg_device_name_is_soft(const char *name)
{
	return name != NULL && soft_prefix(name, strlen(name)) >= 0;
}
