/*
 * params.c - enterprise parameters: one table drives `param list|get|set`,
 * the defaults and the range checks, so a new parameter is one line here and
 * one field in struct cfg_params.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "configgen/cfg_int.h"
#include "configgen/configgen.h"

/* Characters allowed in the text parameters that end up in a URL, a locale
 * folder name or a time-zone name: phones fetch files named after locales, so
 * only file-name-safe ASCII there. */
#define SET_ID     "_-."
#define SET_TZ     "/_+-"
#define SET_LOCALE "_-."
#define SET_URL    ":/?#[]@!$&'()*+,;=%-._~{}"
#define SET_DATE   "/.- "

#define FSIZE(f)   sizeof(((struct cfg_params *)0)->f)

/* One list, expanded twice: into the public info table and into where each
 * value lives.  X(type, name, field, min, max, default, charset, description);
 * for TEXT, min/max bound the length. */
#define PARAM_LIST(X) \
	X(CFG_PARAM_BOOL, "oauth-refresh-login-flow", refresh_login_flow, 0, 1, "off", NULL, \
	  "OAuth with Refresh Login Flow: issue refresh tokens to devices") \
	X(CFG_PARAM_INT, "oauth-access-token-minutes", access_token_minutes, 1, 1440, "60", \
	  NULL, "OAuth Access Token Expiry Timer, minutes") \
	X(CFG_PARAM_INT, "oauth-refresh-token-days", refresh_token_days, 1, 365, "60", NULL, \
	  "OAuth Refresh Token Expiry Timer, days") \
	X(CFG_PARAM_INT, "activation-code-hours", activation_code_hours, 1, 8760, "168", NULL, \
	  "lifetime of a new activation code, hours") \
	X(CFG_PARAM_TEXT, "cluster-id", cluster_id, 1, FSIZE(cluster_id) - 1, \
	  "StandAloneCluster", SET_ID, "cluster identifier") \
	X(CFG_PARAM_TEXT, "time-zone", time_zone, 1, FSIZE(time_zone) - 1, "Etc/UTC", SET_TZ, \
	  "Olson time zone of device pools that set none") \
	X(CFG_PARAM_TEXT, "date-template", date_template, 1, FSIZE(date_template) - 1, \
	  "M/D/YA", SET_DATE, "date format of device pools that set none") \
	X(CFG_PARAM_TEXT, "user-locale", user_locale, 1, FSIZE(user_locale) - 1, \
	  "English_United_States", SET_LOCALE, "userLocale name written into configs") \
	X(CFG_PARAM_TEXT, "lang-code", lang_code, 1, FSIZE(lang_code) - 1, "en_US", SET_LOCALE, \
	  "userLocale langCode written into configs") \
	X(CFG_PARAM_TEXT, "network-locale", network_locale, 1, FSIZE(network_locale) - 1, \
	  "United_States", SET_LOCALE, "networkLocale written into configs") \
	X(CFG_PARAM_TEXT, "services-url", services_url, 0, FSIZE(services_url) - 1, "", SET_URL, \
	  "servicesURL; {host} is replaced by the file server's name") \
	X(CFG_PARAM_TEXT, "directory-url", directory_url, 0, FSIZE(directory_url) - 1, "", \
	  SET_URL, "directoryURL; {host} is replaced by the file server's name") \
	X(CFG_PARAM_TEXT, "authentication-url", authentication_url, 0, \
	  FSIZE(authentication_url) - 1, "", SET_URL, \
	  "authenticationURL; {host} is replaced by the file server's name") \
	X(CFG_PARAM_TEXT, "secure-services-url", secure_services_url, 0, \
	  FSIZE(secure_services_url) - 1, "", SET_URL, \
	  "secureServicesURL (HTTPS); {host} as above") \
	X(CFG_PARAM_TEXT, "secure-directory-url", secure_directory_url, 0, \
	  FSIZE(secure_directory_url) - 1, "", SET_URL, \
	  "secureDirectoryURL (HTTPS); {host} as above") \
	X(CFG_PARAM_TEXT, "secure-authentication-url", secure_authentication_url, 0, \
	  FSIZE(secure_authentication_url) - 1, "", SET_URL, \
	  "secureAuthenticationURL (HTTPS); {host} as above") \
	X(CFG_PARAM_BOOL, "apply-on-change", apply_on_change, 0, 1, "off", NULL, \
	  "oprovctl device set / profile set request Apply Config for the registered " \
	  "devices they change")

#define P_INFO(t, n, f, lo, hi, d, set, desc) { n, t, lo, hi, d, desc },
static const struct cfg_param_info infos[] = { PARAM_LIST(P_INFO) };

struct param_loc {
	size_t off;                     /* offsetof the field in struct cfg_params */
	size_t size;                    /* sizeof the field */
	const char *charset;            /* TEXT: NULL = any admin text */
};
#define P_LOC(t, n, f, lo, hi, d, set, desc) { offsetof(struct cfg_params, f), FSIZE(f), set },
static const struct param_loc locs[] = { PARAM_LIST(P_LOC) };

#define NPARAMS (sizeof(infos) / sizeof(infos[0]))

const struct cfg_param_info *
cfg_param_table(size_t *count)
{
	if (count != NULL)
		*count = NPARAMS;
	return infos;
}

/* Index of parameter `name`, or -1. */
static int
find(const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < NPARAMS; i++)
		if (strcmp(infos[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct cfg_param_info *
cfg_param_find(const char *name)
{
	int i = find(name);

	return i < 0 ? NULL : &infos[i];
}

static int
bool_parse(const char *v, int *out)
{
	static const char *const yes[] = { "on", "true", "1", "yes", "enabled", "enable" };
	static const char *const no[] = { "off", "false", "0", "no", "disabled", "disable" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) { *out = 1; return 0; }
		if (strcasecmp(v, no[i]) == 0) { *out = 0; return 0; }
	}
	return -1;
}

/* Checks `value` for parameter i and, when out is not NULL, stores it. */
static int
apply(size_t i, struct cfg_params *out, const char *value, char *err, size_t errlen)
{
	const struct cfg_param_info *in = &infos[i];
	const struct param_loc *lo = &locs[i];
	char shown[64];
	long long v;
	int b;

	switch (in->type) {
	case CFG_PARAM_BOOL:
		if (bool_parse(value, &b) < 0) {
			str_sanitize(shown, sizeof(shown), value, strlen(value));
			return cfg_fail(err, errlen, "%s: \"%s\" is not on or off", in->name, shown);
		}
		if (out != NULL)
			*(int *)((char *)out + lo->off) = b;
		return 0;
	case CFG_PARAM_INT:
		if (num_parse_str(value, -(1LL << 62), 1LL << 62, &v) < 0) {
			str_sanitize(shown, sizeof(shown), value, strlen(value));
			return cfg_fail(err, errlen, "%s: \"%s\" is not a number", in->name, shown);
		}
		if (v < in->min || v > in->max)
			return cfg_fail(err, errlen, "%s: %lld out of range %lld–%lld",
			                in->name, v, in->min, in->max);
		if (out != NULL)
			*(int *)((char *)out + lo->off) = (int)v;
		return 0;
	case CFG_PARAM_TEXT: {
		size_t len = strlen(value);
		if ((long long)len < in->min)
			return cfg_fail(err, errlen, "%s: must not be empty", in->name);
		if (len >= lo->size)
			return cfg_fail(err, errlen, "%s: longer than %zu bytes", in->name,
			                lo->size - 1);
		if (lo->charset != NULL &&
		    cfg_charset_check(in->name, value, lo->size, 1, 1, lo->charset, err, errlen) < 0)
			return -1;
		if (lo->charset == NULL &&
		    cfg_text_check(in->name, value, lo->size, 1, err, errlen) < 0)
			return -1;
		if (out != NULL)
			memcpy((char *)out + lo->off, value, len + 1);
		return 0;
	}
	}
	return cfg_fail(err, errlen, "%s: unknown parameter type", in->name);
}

void
cfg_params_init(struct cfg_params *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < NPARAMS; i++)
		(void)apply(i, p, infos[i].def, NULL, 0);
}

int
cfg_param_set(struct cfg_params *p, const char *name, const char *value,
              char *err, size_t errlen)
{
	int i = find(name);
	char shown[64];

	if (i < 0) {
		str_sanitize(shown, sizeof(shown), name ? name : "", name ? strlen(name) : 0);
		return cfg_fail(err, errlen, "unknown parameter \"%s\"", shown);
	}
	if (value == NULL)
		return cfg_fail(err, errlen, "%s: missing value", infos[i].name);
	return apply((size_t)i, p, value, err, errlen);
}

int
cfg_param_get(const struct cfg_params *p, const char *name, char *buf, size_t buflen)
{
	int i = find(name);
	const char *field;
	int n;

	if (i < 0 || buflen == 0)
		return -1;
	field = (const char *)p + locs[i].off;
	switch (infos[i].type) {
	case CFG_PARAM_BOOL:
		n = snprintf(buf, buflen, "%s", *(const int *)field ? "on" : "off");
		break;
	case CFG_PARAM_INT:
		n = snprintf(buf, buflen, "%d", *(const int *)field);
		break;
	default:
		n = snprintf(buf, buflen, "%.*s", (int)cfg_field_len(field, locs[i].size), field);
		break;
	}
	return n < 0 || (size_t)n >= buflen ? -1 : 0;
}

int
cfg_params_validate(const struct cfg_params *p, char *err, size_t errlen)
{
	char text[CFG_URL_MAX + 1];

	for (size_t i = 0; i < NPARAMS; i++) {
		const char *field = (const char *)p + locs[i].off;
		const char *name = infos[i].name;
		if (infos[i].type == CFG_PARAM_TEXT &&
		    cfg_field_len(field, locs[i].size) >= locs[i].size)
			return cfg_fail(err, errlen, "%s: longer than %zu bytes", name,
			                locs[i].size - 1);
		if (infos[i].type == CFG_PARAM_BOOL) {
			int b = *(const int *)field;
			if (b != 0 && b != 1)
				return cfg_fail(err, errlen, "%s: %d is not on or off", name, b);
			continue;
		}
		if (cfg_param_get(p, name, text, sizeof(text)) < 0)
			return cfg_fail(err, errlen, "%s: cannot be read", name);
		if (apply(i, NULL, text, err, errlen) < 0)
			return -1;
	}
	return 0;
}
