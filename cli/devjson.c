/*
 * devjson.c - a device as JSON and back, and the --line syntax (devjson.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/devjson.h"
#include "common/common.h"

static json_t *devjson_add_files(json_t *o, const struct cfg_device *d);

json_t *
devjson_from_device(const struct cfg_device *d)
{
	json_t *o, *lines;

	if ((lines = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < d->line_count && i < CFG_LINES_MAX; i++) {
		const struct cfg_line *l = &d->lines[i];

		if (json_array_append_new(lines, json_pack("{s:I, s:s, s:s, s:s, s:b, s:b, s:I, s:I}",
		    "button", (json_int_t)l->button, "dn", l->dn, "label", l->label,
		    "display_name", l->display_name, "auto_answer", l->auto_answer,
		    "call_waiting", l->call_waiting, "max_calls", (json_int_t)l->max_calls,
		    "busy_trigger", (json_int_t)l->busy_trigger)) < 0) {
			json_decref(lines);
			return NULL;
		}
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:o}",
	              "name", d->name, "model", d->model, "profile", d->profile,
	              "owner", d->owner, "pool", d->pool, "description", d->description,
	              "load", d->load, "require_activation_code", d->require_activation_code,
	              "allow_activation_code_via_mra", d->allow_activation_code_mra,
	              "mra_domain", d->mra_domain, "lines", lines);
	return o != NULL ? devjson_add_files(o, d) : NULL;
}

/* The members issue 14 added (files named, key expansion modules, vendor
 * settings) into o; NULL (o released) when out of memory. */
static json_t *
devjson_add_files(json_t *o, const struct cfg_device *d)
{
	json_t *v = json_object();

	for (size_t i = 0; v != NULL && i < d->vendor.count && i < CFG_VENDOR_MAX; i++)
		if (json_object_set_new(v, d->vendor.kv[i].key,
		                        json_string(d->vendor.kv[i].value)) < 0) {
			json_decref(v);
			v = NULL;
		}
	if (v == NULL ||
	    json_object_set_new(o, "dialplan", json_string(d->dialplan)) < 0 ||
	    json_object_set_new(o, "softkeys", json_string(d->softkeys)) < 0 ||
	    json_object_set_new(o, "feature_policy", json_string(d->feature_policy)) < 0 ||
	    json_object_set_new(o, "kem_count", json_integer(d->kem_count)) < 0 ||
	    json_object_set_new(o, "kem_type", json_string(d->kem_type)) < 0 ||
	    json_object_set_new(o, "vendor", v) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* "vendor": {"KEY": "VALUE", ...} checked against the model's family. */
static int
vendor_from_json(const json_t *v, struct cfg_device *d, char *err, size_t errlen)
{
	const struct cfg_model *m = cfg_model_find(d->model);
	char e[256];
	const char *key;
	json_t *val;

	if (v == NULL)
		return 0;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "%s: \"vendor\" must be an object", d->name);
		return -1;
	}
	json_object_foreach((json_t *)v, key, val) {
		if (!json_is_string(val) ||
		    cfg_vendor_set(&d->vendor, m ? m->family : CFG_FAMILY_OTHER, key,
		                   json_string_value(val), e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s: vendor: %s", d->name,
			         json_is_string(val) ? e : "values are strings");
			return -1;
		}
	}
	return 0;
}

/* A member's value into a fixed field. */
struct member {
	const char *name;
	int kind;               /* 's' string, 'b' boolean, 'u' unsigned,
	                           'x' known but read by the caller */
	void *field;
	size_t size;            /* string field size / unsigned maximum */
	int required;
};

static int
take_members(const json_t *obj, const struct member *m, size_t n,
             const char *where, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	char shown[64];

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "%s: not a JSON object", where);
		return -1;
	}
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; i < n; i++)
			if (strcmp(m[i].name, key) == 0)
				break;
		if (i == n) {
			snprintf(err, errlen, "%s: unknown member \"%s\"", where,
			         str_sanitize(shown, sizeof(shown), key, strlen(key)));
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (m[i].kind == 'x')
			continue;
		v = json_object_get(obj, m[i].name);
		if (v == NULL) {
			if (m[i].required) {
				snprintf(err, errlen, "%s: missing \"%s\"", where, m[i].name);
				return -1;
			}
			continue;
		}
		switch (m[i].kind) {
		case 's': {
			size_t len;

			if (!json_is_string(v)) {
				snprintf(err, errlen, "%s: \"%s\" must be a string", where, m[i].name);
				return -1;
			}
			len = json_string_length(v);
			if (len >= m[i].size || memchr(json_string_value(v), '\0', len) != NULL) {
				snprintf(err, errlen, "%s: \"%s\" longer than %zu bytes or holds NUL",
				         where, m[i].name, m[i].size - 1);
				return -1;
			}
			memcpy(m[i].field, json_string_value(v), len + 1);
			break;
		}
		case 'b':
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "%s: \"%s\" must be true or false", where,
				         m[i].name);
				return -1;
			}
			*(int *)m[i].field = json_is_true(v);
			break;
		default:
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    (unsigned long long)json_integer_value(v) > m[i].size) {
				snprintf(err, errlen, "%s: \"%s\" must be an integer 0-%zu", where,
				         m[i].name, m[i].size);
				return -1;
			}
			*(unsigned *)m[i].field = (unsigned)json_integer_value(v);
			break;
		}
	}
	return 0;
}

/* "lines": [...] into d's lines (none when absent). */
static int
lines_from_json(const json_t *lines, struct cfg_device *d, char *err, size_t errlen)
{
	size_t idx;
	json_t *l;

	if (lines == NULL)
		return 0;
	if (!json_is_array(lines)) {
		snprintf(err, errlen, "%s: \"lines\" must be an array", d->name);
		return -1;
	}
	if (json_array_size(lines) > CFG_LINES_MAX) {
		snprintf(err, errlen, "%s: more than %d lines", d->name, CFG_LINES_MAX);
		return -1;
	}
	json_array_foreach((json_t *)lines, idx, l) {
		struct cfg_line *ln = &d->lines[idx];
		struct member lm[] = {
			{ "button", 'u', &ln->button, CFG_LINES_MAX, 0 },
			{ "dn", 's', ln->dn, sizeof(ln->dn), 1 },
			{ "label", 's', ln->label, sizeof(ln->label), 0 },
			{ "display_name", 's', ln->display_name, sizeof(ln->display_name), 0 },
			{ "auto_answer", 'b', &ln->auto_answer, 0, 0 },
			{ "call_waiting", 'b', &ln->call_waiting, 0, 0 },
			{ "max_calls", 'u', &ln->max_calls, CFG_LINE_CALLS_MAX, 0 },
			{ "busy_trigger", 'u', &ln->busy_trigger, CFG_LINE_CALLS_MAX, 0 },
		};
		char lwhere[128];

		cfg_line_init(ln, (unsigned)idx + 1, "");
		snprintf(lwhere, sizeof(lwhere), "%s line %zu", d->name, idx + 1);
		if (take_members(l, lm, sizeof(lm) / sizeof(lm[0]), lwhere, err, errlen) < 0)
			return -1;
	}
	d->line_count = json_array_size(lines);
	return 0;
}

int
devjson_to_device(const json_t *obj, struct cfg_device *d, char *err,
                  size_t errlen)
{
	char name[64] = "", model[CFG_MODEL_MAX] = "", where[96];
	const struct cfg_model *cm;
	json_t *lines, *jn;
	struct member m[] = {
		{ "name", 's', name, sizeof(name), 1 },
		{ "model", 's', model, sizeof(model), 1 },
		{ "profile", 's', d->profile, sizeof(d->profile), 1 },
		{ "owner", 's', d->owner, sizeof(d->owner), 0 },
		{ "pool", 's', d->pool, sizeof(d->pool), 0 },
		{ "description", 's', d->description, sizeof(d->description), 0 },
		{ "load", 's', d->load, sizeof(d->load), 0 },
		{ "require_activation_code", 'b', &d->require_activation_code, 0, 0 },
		{ "allow_activation_code_via_mra", 'b', &d->allow_activation_code_mra, 0, 0 },
		{ "mra_domain", 's', d->mra_domain, sizeof(d->mra_domain), 0 },
		{ "lines", 'x', NULL, 0, 0 },
		{ "dialplan", 's', d->dialplan, sizeof(d->dialplan), 0 },
		{ "softkeys", 's', d->softkeys, sizeof(d->softkeys), 0 },
		{ "feature_policy", 's', d->feature_policy, sizeof(d->feature_policy), 0 },
		{ "kem_count", 'u', &d->kem_count, CFG_KEM_MAX, 0 },
		{ "kem_type", 's', d->kem_type, sizeof(d->kem_type), 0 },
		{ "vendor", 'x', NULL, 0, 0 },
	};
	char shown[64];

	cfg_device_init(d, NULL);
	/* Name first, so every later message can say which device it is. */
	jn = json_is_object(obj) ? json_object_get(obj, "name") : NULL;
	if (jn != NULL && json_is_string(jn))
		str_sanitize(where, sizeof(where), json_string_value(jn),
		             json_string_length(jn));
	else
		snprintf(where, sizeof(where), "device");
	if (take_members(obj, m, sizeof(m) / sizeof(m[0]), where, err, errlen) < 0)
		return -1;
	lines = json_object_get(obj, "lines");
	if (cfg_device_name_parse(name, strlen(name), d->name) < 0) {
		snprintf(err, errlen, "%s: device name \"%s\" is not SEP followed by 12 hex digits, or CSF/BOT/TCT/TAB and 1-12 of A-Z 0-9 . _ -",
		         where, str_sanitize(shown, sizeof(shown), name, strlen(name)));
		return -1;
	}
	if ((cm = cfg_model_find(model)) == NULL) {
		snprintf(err, errlen, "%s: unknown model \"%s\"", d->name,
		         str_sanitize(shown, sizeof(shown), model, strlen(model)));
		return -1;
	}
	snprintf(d->model, sizeof(d->model), "%s", cm->name);
	if (vendor_from_json(json_object_get(obj, "vendor"), d, err, errlen) < 0)
		return -1;
	return lines_from_json(lines, d, err, errlen);
}

int
devjson_line_spec(const char *spec, unsigned button, struct cfg_line *l,
                  char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t dnlen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	char shown[64];

	cfg_line_init(l, button, "");
	if (dnlen == 0) {
		snprintf(err, errlen, "--line \"%s\": directory number missing",
		         str_sanitize(shown, sizeof(shown), spec, strlen(spec)));
		return -1;
	}
	if (dnlen >= sizeof(l->dn)) {
		snprintf(err, errlen, "--line: directory number longer than %zu bytes",
		         sizeof(l->dn) - 1);
		return -1;
	}
	memcpy(l->dn, spec, dnlen);
	l->dn[dnlen] = '\0';
	if (colon != NULL) {
		if (strlen(colon + 1) >= sizeof(l->label)) {
			snprintf(err, errlen, "--line %s: label longer than %zu bytes", l->dn,
			         sizeof(l->label) - 1);
			return -1;
		}
		snprintf(l->label, sizeof(l->label), "%s", colon + 1);
	}
	return 0;
}

static size_t
skip_ws(const char *t, size_t len, size_t p)
{
	while (p < len && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r'))
		p++;
	return p;
}

int
devjson_array_next(const char *text, size_t len, size_t *pos, size_t index,
                   json_t **out, char *err, size_t errlen)
{
	size_t p = skip_ws(text, len, *pos);
	json_error_t je;
	json_t *v;

	if (index == 0 && *pos == 0) {
		/* First call: the opening bracket. */
		if (p >= len || text[p] != '[') {
			snprintf(err, errlen, "byte %zu: expected '[' (an array of devices)", p);
			return -1;
		}
		p = skip_ws(text, len, p + 1);
		if (p < len && text[p] == ']')
			goto end;
	} else if (p >= len) {
		snprintf(err, errlen, "byte %zu: the array is not closed", p);
		return -1;
	} else if (text[p] == ']') {
		goto end;
	} else {
		if (p >= len || text[p] != ',') {
			snprintf(err, errlen, "byte %zu: expected ',' or ']' after device %zu", p, index);
			return -1;
		}
		p = skip_ws(text, len, p + 1);
	}
	if (p >= len) {
		snprintf(err, errlen, "byte %zu: the array is not closed", p);
		return -1;
	}
	v = json_loadb(text + p, len - p, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &je);
	if (v == NULL) {
		snprintf(err, errlen, "device %zu (byte %zu): %s", index + 1,
		         p + (je.position > 0 ? (size_t)je.position : 0), je.text);
		return -1;
	}
	*pos = p + (size_t)je.position;
	*out = v;
	return 1;
end:
	p = skip_ws(text, len, p + 1);
	if (p != len) {
		snprintf(err, errlen, "byte %zu: data after the closing ']'", p);
		return -1;
	}
	*pos = p;
	return 0;
}
