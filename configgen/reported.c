/*
 * reported.c - the firmware load a registering device reports, read from
 * its REGISTER (untrusted input, length-bounded, never NUL-terminated).
 *
 * Soft clients and phones put their load into the Reason header of a
 * REGISTER, as a "cisco-alarm" text: 'SIP;cause=200;text="cisco-alarm:111
 * Name=CSFrado ActiveLoad=Jabber_for_Windows-12.8.0.51973
 * InactiveLoad=... Last=..."' (a published Jabber log shows this form).
 * Without one, the product token of User-Agent ("Cisco-CP8845/14.2.1") is
 * the best there is.
 */
#include "config.h"

#include <string.h>

#include "configgen/configgen.h"

#define ACTIVE "ActiveLoad="

/* Characters a load name is made of; anything else ends it. */
static int
load_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '/' || c == '(' || c == ')';
}

/* Copies the run of load characters at s[0..len) into out; its length. */
static size_t
take(const char *s, size_t len, char out[CFG_LOAD_MAX])
{
	size_t n = 0;

	while (n < len && n < CFG_LOAD_MAX - 1 && load_char((unsigned char)s[n])) {
		out[n] = s[n];
		n++;
	}
	out[n] = '\0';
	return n;
}

int
cfg_reported_load(const char *reason, size_t reason_len, const char *ua,
                  size_t ua_len, char out[CFG_LOAD_MAX])
{
	const size_t al = sizeof(ACTIVE) - 1;

	out[0] = '\0';
	for (size_t i = 0; reason != NULL && i + al <= reason_len; i++) {
		/* A whole item: "InactiveLoad=" must not count. */
		if (memcmp(reason + i, ACTIVE, al) != 0 ||
		    (i > 0 && reason[i - 1] != ' ' && reason[i - 1] != '"'))
			continue;
		if (take(reason + i + al, reason_len - i - al, out) > 0)
			return 0;
	}
	if (ua != NULL && take(ua, ua_len, out) > 0)
		return 0;
	out[0] = '\0';
	return -1;
}
