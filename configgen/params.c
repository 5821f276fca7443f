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

struct param_def {
	struct cfg_param_info info;
	size_t off;                     /* offsetof the field in struct cfg_params */
	size_t size;                    /* TEXT: array size */
	const char *charset;            /* TEXT: NULL = any admin text */
};

#define P_INT(n, f, lo, hi, d, desc) \
	{ { n, CFG_PARAM_INT, lo, hi, #d, desc }, offsetof(struct cfg_params, f), 0, NULL }
#define P_BOOL(n, f, d, desc) \
	{ { n, CFG_PARAM_BOOL, 0, 1, d, desc }, offsetof(struct cfg_params, f), 0, NULL }
#define P_TEXT(n, f, lo, d, set, desc) \
	{ { n, CFG_PARAM_TEXT, lo, sizeof(((struct cfg_params *)0)->f) - 1, d, desc }, \
	  offsetof(struct cfg_params, f), sizeof(((struct cfg_params *)0)->f), set }

/* Characters allowed in the text parameters that end up in a URL, a locale
 * folder name or a time-zone name: phones fetch files named after locales, so
 * only file-name-safe ASCII there. */
#define SET_TZ     "/_+-"
#define SET_LOCALE "_-."
#define SET_URL    ":/?#[]@!$&'()*+,;=%-._~{}"
#define SET_DATE   "/.- "

static const struct param_def params[] = {
	P_BOOL("oauth-refresh-login-flow", refresh_login_flow, "off",
	       "OAuth with Refresh Login Flow: issue refresh tokens to devices"),
	P_INT("oauth-access-token-minutes", access_token_minutes, 1, 1440, 60,
	      "OAuth Access Token Expiry Timer, minutes"),
	P_INT("oauth-refresh-token-days", refresh_token_days, 1, 365, 60,
	      "OAuth Refresh Token Expiry Timer, days"),
	P_INT("activation-code-hours", activation_code_hours, 1, 8760, 168,
	      "lifetime of a new activation code, hours"),
	P_TEXT("cluster-id", cluster_id, 1, "StandAloneCluster", "_-.",
	       "cluster identifier"),
	P_TEXT("time-zone", time_zone, 1, "Etc/UTC", SET_TZ,
	       "Olson time zone of device pools that set none"),
	P_TEXT("date-template", date_template, 1, "M/D/YA", SET_DATE,
	       "date format of device pools that set none"),
	P_TEXT("user-locale", user_locale, 1, "English_United_States", SET_LOCALE,
	       "userLocale name written into configs"),
	P_TEXT("lang-code", lang_code, 1, "en_US", SET_LOCALE,
	       "userLocale langCode written into configs"),
	P_TEXT("network-locale", network_locale, 1, "United_States", SET_LOCALE,
	       "networkLocale written into configs"),
	P_TEXT("services-url", services_url, 0, "", SET_URL,
	       "servicesURL; {host} is replaced by the file server's name"),
	P_TEXT("directory-url", directory_url, 0, "", SET_URL,
	       "directoryURL; {host} is replaced by the file server's name"),
	P_TEXT("authentication-url", authentication_url, 0, "", SET_URL,
	       "authenticationURL; {host} is replaced by the file server's name"),
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

/* The public table is a copy of the infos, in the same order. */
static struct cfg_param_info infos[NPARAMS];
static int infos_ready;

const struct cfg_param_info *
cfg_param_table(size_t *count)
{
	/* Filled on first use; the contents are constant, so a race between two
	 * threads writes the same bytes. */
	if (!infos_ready) {
		for (size_t i = 0; i < NPARAMS; i++)
			infos[i] = params[i].info;
		infos_ready = 1;
	}
	if (count != NULL)
		*count = NPARAMS;
	return infos;
}

static const struct param_def *
find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < NPARAMS; i++)
		if (strcmp(params[i].info.name, name) == 0)
			return &params[i];
	return NULL;
}

const struct cfg_param_info *
cfg_param_find(const char *name)
{
	const struct param_def *d = find(name);
	size_t n;

	if (d == NULL)
		return NULL;
	return &cfg_param_table(&n)[d - params];
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

/* Checks `value` for `d` and, when out is not NULL, stores it there. */
static int
apply(const struct param_def *d, struct cfg_params *out, const char *value,
      char *err, size_t errlen)
{
	const char *name = d->info.name;
	char shown[64];
	long long v;
	int b;

	switch (d->info.type) {
	case CFG_PARAM_BOOL:
		if (bool_parse(value, &b) < 0) {
			str_sanitize(shown, sizeof(shown), value, strlen(value));
			return cfg_fail(err, errlen, "%s: \"%s\" is not on or off", name, shown);
		}
		if (out != NULL)
			*(int *)((char *)out + d->off) = b;
		return 0;
	case CFG_PARAM_INT:
		if (num_parse_str(value, -(1LL << 62), 1LL << 62, &v) < 0) {
			str_sanitize(shown, sizeof(shown), value, strlen(value));
			return cfg_fail(err, errlen, "%s: \"%s\" is not a number", name, shown);
		}
		if (v < d->info.min || v > d->info.max)
			return cfg_fail(err, errlen, "%s: %lld out of range %lld–%lld",
			                name, v, d->info.min, d->info.max);
		if (out != NULL)
			*(int *)((char *)out + d->off) = (int)v;
		return 0;
	case CFG_PARAM_TEXT: {
		size_t len = strlen(value);
		if ((long long)len < d->info.min)
			return cfg_fail(err, errlen, "%s: must not be empty", name);
		if (len >= d->size)
			return cfg_fail(err, errlen, "%s: longer than %zu bytes", name, d->size - 1);
		if (d->charset != NULL &&
		    cfg_charset_check(name, value, d->size, 1, 1, d->charset, err, errlen) < 0)
			return -1;
		if (d->charset == NULL &&
		    cfg_text_check(name, value, d->size, 1, err, errlen) < 0)
			return -1;
		if (out != NULL)
			memcpy((char *)out + d->off, value, len + 1);
		return 0;
	}
	}
	return cfg_fail(err, errlen, "%s: unknown parameter type", name);
}

void
cfg_params_init(struct cfg_params *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < NPARAMS; i++)
		(void)apply(&params[i], p, params[i].info.def, NULL, 0);
}

int
cfg_param_set(struct cfg_params *p, const char *name, const char *value,
              char *err, size_t errlen)
{
	const struct param_def *d = find(name);
	char shown[64];

	if (d == NULL) {
		str_sanitize(shown, sizeof(shown), name ? name : "", name ? strlen(name) : 0);
		return cfg_fail(err, errlen, "unknown parameter \"%s\"", shown);
	}
	if (value == NULL)
		return cfg_fail(err, errlen, "%s: missing value", d->info.name);
	return apply(d, p, value, err, errlen);
}

int
cfg_param_get(const struct cfg_params *p, const char *name, char *buf, size_t buflen)
{
	const struct param_def *d = find(name);
	const char *base = (const char *)p;
	int n;

	if (d == NULL || buflen == 0)
		return -1;
	switch (d->info.type) {
	case CFG_PARAM_BOOL:
		n = snprintf(buf, buflen, "%s", *(const int *)(base + d->off) ? "on" : "off");
		break;
	case CFG_PARAM_INT:
		n = snprintf(buf, buflen, "%d", *(const int *)(base + d->off));
		break;
	default:
		n = snprintf(buf, buflen, "%.*s", (int)cfg_field_len(base + d->off, d->size),
		             base + d->off);
		break;
	}
	return n < 0 || (size_t)n >= buflen ? -1 : 0;
}

int
cfg_params_validate(const struct cfg_params *p, char *err, size_t errlen)
{
	const char *base = (const char *)p;
	char text[CFG_URL_MAX + 1];

	for (size_t i = 0; i < NPARAMS; i++) {
		const struct param_def *d = &params[i];
		if (d->info.type == CFG_PARAM_TEXT &&
		    cfg_field_len(base + d->off, d->size) >= d->size)
			return cfg_fail(err, errlen, "%s: longer than %zu bytes",
			                d->info.name, d->size - 1);
		if (d->info.type == CFG_PARAM_BOOL) {
			int b = *(const int *)(base + d->off);
			if (b != 0 && b != 1)
				return cfg_fail(err, errlen, "%s: %d is not on or off",
				                d->info.name, b);
			continue;
		}
		if (cfg_param_get(p, d->info.name, text, sizeof(text)) < 0)
			return cfg_fail(err, errlen, "%s: cannot be read", d->info.name);
		if (apply(d, NULL, text, err, errlen) < 0)
			return -1;
	}
	return 0;
}
