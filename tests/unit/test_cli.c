/*
 * test_cli.c - the pure helpers of cli/: a device's JSON form (export and
 * import) and the --line DN[:LABEL] syntax.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/devjson.h"

static json_t *
parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);

	cr_assert_not_null(j, "test JSON: %s", je.text);
	return j;
}

static int
to_device(const char *text, struct cfg_device *d, char *err, size_t errlen)
{
	json_t *j = parse(text);
	int rc = devjson_to_device(j, d, err, errlen);

	json_decref(j);
	return rc;
}

Test(devjson, round_trip_keeps_every_field)
{
	struct cfg_device d, back;
	char err[256];
	json_t *j;

	cfg_device_init(&d, "SEP00AABBCCDDEE");
	snprintf(d.model, sizeof(d.model), "8845");
	snprintf(d.profile, sizeof(d.profile), "Phone-OAuth");
	snprintf(d.owner, sizeof(d.owner), "alice");
	snprintf(d.pool, sizeof(d.pool), "Branch");
	snprintf(d.description, sizeof(d.description), "<lobby> & \"front\" \xc3\xa9");
	snprintf(d.load, sizeof(d.load), "sip88xx.14-2-1-0101-30");
	d.require_activation_code = 1;
	d.allow_activation_code_mra = 1;
	snprintf(d.mra_domain, sizeof(d.mra_domain), "mra.example.test");
	d.line_count = 2;
	cfg_line_init(&d.lines[0], 1, "1001");
	snprintf(d.lines[0].label, sizeof(d.lines[0].label), "Alice");
	cfg_line_init(&d.lines[1], 2, "+1002");
	d.lines[1].auto_answer = 1;
	d.lines[1].call_waiting = 0;
	d.lines[1].max_calls = 6;
	d.lines[1].busy_trigger = 3;
	snprintf(d.lines[1].display_name, sizeof(d.lines[1].display_name), "Bob");

	j = devjson_from_device(&d);
	cr_assert_not_null(j);
	cr_assert_eq(devjson_to_device(j, &back, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
	cr_assert_str_eq(back.name, d.name);
	cr_assert_str_eq(back.model, d.model);
	cr_assert_str_eq(back.profile, d.profile);
	cr_assert_str_eq(back.owner, d.owner);
	cr_assert_str_eq(back.pool, d.pool);
	cr_assert_str_eq(back.description, d.description);
	cr_assert_str_eq(back.load, d.load);
	cr_assert_str_eq(back.mra_domain, d.mra_domain);
	cr_assert_eq(back.require_activation_code, 1);
	cr_assert_eq(back.allow_activation_code_mra, 1);
	cr_assert_eq(back.line_count, 2);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(back.lines[i].button, d.lines[i].button);
		cr_assert_str_eq(back.lines[i].dn, d.lines[i].dn);
		cr_assert_str_eq(back.lines[i].label, d.lines[i].label);
		cr_assert_str_eq(back.lines[i].display_name, d.lines[i].display_name);
		cr_assert_eq(back.lines[i].auto_answer, d.lines[i].auto_answer);
		cr_assert_eq(back.lines[i].call_waiting, d.lines[i].call_waiting);
		cr_assert_eq(back.lines[i].max_calls, d.lines[i].max_calls);
		cr_assert_eq(back.lines[i].busy_trigger, d.lines[i].busy_trigger);
	}
}

Test(devjson, minimal_device_gets_defaults_and_canonical_names)
{
	struct cfg_device d;
	char err[256];

	cr_assert_eq(to_device("{\"name\":\"sep00aabbccddee\",\"model\":\"csf\","
	                       "\"profile\":\"P\",\"lines\":[{\"dn\":\"1001\"},{\"dn\":\"1002\"}]}",
	                       &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(d.name, "SEP00AABBCCDDEE");
	cr_assert_str_eq(d.model, "CSF");
	cr_assert_str_eq(d.owner, "");
	cr_assert_eq(d.line_count, 2);
	cr_assert_eq(d.lines[0].button, 1);
	cr_assert_eq(d.lines[1].button, 2, "button defaults to the line's position");
	cr_assert_eq(d.lines[1].call_waiting, 1);
	cr_assert_eq(d.lines[1].max_calls, 4);
}

struct refusal {
	const char *json;
	const char *says;     /* the message must contain this */
};

Test(devjson, refusals_name_the_member)
{
	static const struct refusal cases[] = {
		{ "[]", "not a JSON object" },
		{ "{\"model\":\"8845\",\"profile\":\"P\"}", "missing \"name\"" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"profile\":\"P\"}", "missing \"model\"" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\"}", "missing \"profile\"" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\",\"profile\":\"P\",\"colour\":\"red\"}",
		  "unknown member \"colour\"" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\",\"profile\":7}",
		  "\"profile\" must be a string" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\",\"profile\":\"P\","
		  "\"require_activation_code\":1}", "must be true or false" },
		{ "{\"name\":\"SEP00AABBCCDD\",\"model\":\"8845\",\"profile\":\"P\"}",
		  "is not SEP followed by 12 hex digits" },
		{ "{\"name\":\"SEP00AABBCCDDEG\",\"model\":\"8845\",\"profile\":\"P\"}",
		  "is not SEP followed by 12 hex digits" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"9999\",\"profile\":\"P\"}",
		  "unknown model" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\",\"profile\":\"P\",\"lines\":{}}",
		  "\"lines\" must be an array" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\",\"profile\":\"P\","
		  "\"lines\":[{\"label\":\"x\"}]}", "line 1: missing \"dn\"" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\",\"profile\":\"P\","
		  "\"lines\":[{\"dn\":\"1\",\"max_calls\":-1}]}", "\"max_calls\" must be an integer" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\",\"profile\":\"P\","
		  "\"lines\":[{\"dn\":\"1\",\"button\":17}]}", "\"button\" must be an integer" },
		{ "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\",\"profile\":\"P\","
		  "\"lines\":[{\"dn\":\"1\",\"ring\":true}]}", "unknown member \"ring\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg_device d;
		char err[256] = "";

		cr_assert_eq(to_device(cases[i].json, &d, err, sizeof(err)), -1, "accepted %s",
		             cases[i].json);
		cr_assert_not_null(strstr(err, cases[i].says), "%s: said \"%s\", not \"%s\"",
		                   cases[i].json, err, cases[i].says);
	}
}

Test(devjson, long_strings_are_refused_not_cut)
{
	char text[1024], owner[CFG_NAME_MAX + 1], err[256];
	struct cfg_device d;

	memset(owner, 'a', sizeof(owner) - 1);
	owner[sizeof(owner) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\","
	         "\"profile\":\"P\",\"owner\":\"%s\"}", owner);
	cr_assert_eq(to_device(text, &d, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "\"owner\" longer than"), "%s", err);
	/* One byte shorter fits exactly. */
	owner[sizeof(owner) - 2] = '\0';
	snprintf(text, sizeof(text), "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\","
	         "\"profile\":\"P\",\"owner\":\"%s\"}", owner);
	cr_assert_eq(to_device(text, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(d.owner, owner);
}

Test(devjson, embedded_nul_is_refused)
{
	static const char text[] = "{\"name\":\"SEP00AABBCCDDEE\",\"model\":\"8845\","
	                           "\"profile\":\"P\",\"owner\":\"a\\u0000b\"}";
	struct cfg_device d;
	json_error_t je;
	char err[256];
	json_t *j;

	/* A reader that allows NUL in strings must not let it cut a field. */
	j = json_loads(text, JSON_ALLOW_NUL, &je);
	cr_assert_not_null(j, "%s", je.text);
	cr_assert_eq(devjson_to_device(j, &d, err, sizeof(err)), -1);
	json_decref(j);
	cr_assert_not_null(strstr(err, "NUL"), "%s", err);
}

Test(devjson, too_many_lines)
{
	char text[4096], err[256];
	struct cfg_device d;
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "{\"name\":\"SEP00AABBCCDDEE\",\"model\":"
	                     "\"8845\",\"profile\":\"P\",\"lines\":[");
	for (int i = 0; i <= CFG_LINES_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s{\"dn\":\"%d\"}",
		                      i ? "," : "", 1000 + i);
	snprintf(text + n, sizeof(text) - n, "]}");
	cr_assert_eq(to_device(text, &d, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "more than 16 lines"), "%s", err);
}

Test(line_spec, forms)
{
	struct cfg_line l;
	char err[256];

	cr_assert_eq(devjson_line_spec("1001", 1, &l, err, sizeof(err)), 0);
	cr_assert_str_eq(l.dn, "1001");
	cr_assert_str_eq(l.label, "");
	cr_assert_eq(l.button, 1);
	cr_assert_eq(devjson_line_spec("1002:Front desk", 2, &l, err, sizeof(err)), 0);
	cr_assert_str_eq(l.dn, "1002");
	cr_assert_str_eq(l.label, "Front desk");
	cr_assert_eq(l.button, 2);
	cr_assert_eq(devjson_line_spec("1003:a:b", 3, &l, err, sizeof(err)), 0);
	cr_assert_str_eq(l.label, "a:b", "only the first colon separates");
	cr_assert_eq(devjson_line_spec("1004:", 4, &l, err, sizeof(err)), 0);
	cr_assert_str_eq(l.label, "");
}

Test(line_spec, refusals)
{
	char err[256], dn[64], label[CFG_TEXT_MAX + 8];
	struct cfg_line l;

	cr_assert_eq(devjson_line_spec("", 1, &l, err, sizeof(err)), -1);
	cr_assert_eq(devjson_line_spec(":Alice", 1, &l, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "directory number missing"), "%s", err);
	memset(dn, '1', sizeof(dn) - 1);
	dn[sizeof(dn) - 1] = '\0';
	cr_assert_eq(devjson_line_spec(dn, 1, &l, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "longer than"), "%s", err);
	label[0] = '1';
	label[1] = ':';
	memset(label + 2, 'x', sizeof(label) - 3);
	label[sizeof(label) - 1] = '\0';
	cr_assert_eq(devjson_line_spec(label, 1, &l, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "label longer than"), "%s", err);
}

Test(args, copy_refuses_instead_of_cutting)
{
	char buf[5] = "old", err[128];

	cr_assert_eq(cli_copy(buf, sizeof(buf), "abcd", "--x", err, sizeof(err)), 0);
	cr_assert_str_eq(buf, "abcd");
	cr_assert_eq(cli_copy(buf, sizeof(buf), "abcde", "--x", err, sizeof(err)), -1);
	cr_assert_str_eq(buf, "abcd", "a refused copy leaves the field alone");
	cr_assert_str_eq(err, "--x: longer than 4 bytes");
}

Test(args, int_range_and_syntax)
{
	long long v = 7;
	char err[128];

	cr_assert_eq(cli_int("--hours", "1", 1, 8760, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(cli_int("--hours", "8760", 1, 8760, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 8760);
	static const char *const bad[] = { "0", "8761", "", " 5", "5 ", "+5", "0x10", "1e3",
	                                   "99999999999999999999", "5h", NULL };
	for (size_t i = 0; bad[i] != NULL; i++) {
		v = 7;
		cr_assert_eq(cli_int("--hours", bad[i], 1, 8760, &v, err, sizeof(err)), -1,
		             "accepted \"%s\"", bad[i]);
		cr_assert_eq(v, 7, "\"%s\" changed the value", bad[i]);
		cr_assert_not_null(strstr(err, "--hours"), "%s", err);
		cr_assert_not_null(strstr(err, "1-8760"), "%s", err);
	}
}

Test(args, int_message_is_log_safe)
{
	char err[256];
	long long v;

	cr_assert_eq(cli_int("--minutes", "1\n2", 1, 1440, &v, err, sizeof(err)), -1);
	cr_assert_null(strchr(err, '\n'), "a newline reached the message: %s", err);
}

Test(args, word)
{
	static const char *const words[] = { "enable", "disable", "status", NULL };

	cr_assert_eq(cli_word("enable", words), 0);
	cr_assert_eq(cli_word("status", words), 2);
	cr_assert_eq(cli_word("Enable", words), -1);
	cr_assert_eq(cli_word("", words), -1);
}

Test(args, time_format)
{
	char buf[40];

	cr_assert_str_eq(cli_time(0, buf, sizeof(buf)), "-");
	cr_assert_str_eq(cli_time(1795771377, buf, sizeof(buf)), "2026-11-27 09:22:57 UTC");
}

/* Reads every element; returns the count, or -1 with err. */
static int
walk(const char *text, char *err, size_t errlen, json_t **last)
{
	size_t pos = 0, n = 0;
	json_t *v;
	int r;

	while ((r = devjson_array_next(text, strlen(text), &pos, n, &v, err, errlen)) == 1) {
		n++;
		if (last != NULL) {
			json_decref(*last);
			*last = v;
		} else
			json_decref(v);
	}
	return r < 0 ? -1 : (int)n;
}

Test(array_next, reads_each_element_in_order)
{
	json_t *last = NULL;
	char err[128];

	cr_assert_eq(walk("[]", err, sizeof(err), NULL), 0);
	cr_assert_eq(walk(" \n[ ] \n", err, sizeof(err), NULL), 0);
	cr_assert_eq(walk("[{\"a\":1}]", err, sizeof(err), NULL), 1);
	cr_assert_eq(walk("[\n  {\"a\":1},\n  {\"a\":2} ,{\"a\":[3,{\"b\":\"]\"}]}\n]\n", err,
	                  sizeof(err), &last), 3, "%s", err);
	cr_assert(json_is_array(json_object_get(last, "a")));
	json_decref(last);
}

Test(array_next, refusals)
{
	static const struct refusal cases[] = {
		{ "", "expected '['" },
		{ "{\"devices\":[]}", "expected '['" },
		{ "[{\"a\":1}", "not closed" },
		{ "[{\"a\":1} {\"a\":2}]", "expected ',' or ']' after device 1" },
		{ "[{\"a\":1},]", "device 2" },
		{ "[{\"a\":1,\"a\":2}]", "device 1" },
		{ "[{\"a\":1}] x", "after the closing ']'" },
		{ "[{\"a\":1}][]", "after the closing ']'" },
		{ "[{\"a\":", "device 1" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[128] = "";

		cr_assert_eq(walk(cases[i].json, err, sizeof(err), NULL), -1, "accepted %s",
		             cases[i].json);
		cr_assert_not_null(strstr(err, cases[i].says), "%s: said \"%s\", not \"%s\"",
		                   cases[i].json, err, cases[i].says);
	}
}

Test(devjson, issue14_members_round_trip)
{
	struct cfg_device d, back;
	char err[256];
	json_t *j;

	cfg_device_init(&d, "SEP00AABBCCDD88");
	snprintf(d.model, sizeof(d.model), "8865");
	snprintf(d.profile, sizeof(d.profile), "P");
	snprintf(d.dialplan, sizeof(d.dialplan), "emea");
	snprintf(d.softkeys, sizeof(d.softkeys), "std");
	snprintf(d.feature_policy, sizeof(d.feature_policy), "lobby");
	d.kem_count = 2;
	snprintf(d.kem_type, sizeof(d.kem_type), "8865");
	cr_assert_eq(cfg_vendor_set(&d.vendor, CFG_FAMILY_88XX, "wifi", "off", err,
	                            sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg_vendor_set(&d.vendor, CFG_FAMILY_88XX, "web-access", "on", err,
	                            sizeof(err)), 0, "%s", err);
	j = devjson_from_device(&d);
	cr_assert_not_null(j);
	cr_assert_eq(devjson_to_device(j, &back, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
	cr_assert_str_eq(back.dialplan, "emea");
	cr_assert_str_eq(back.softkeys, "std");
	cr_assert_str_eq(back.feature_policy, "lobby");
	cr_assert_eq(back.kem_count, 2);
	cr_assert_str_eq(back.kem_type, "8865");
	cr_assert_eq(back.vendor.count, 2);
	cr_assert_str_eq(cfg_vendor_get(&back.vendor, "wifi"), "off");
	cr_assert_str_eq(cfg_vendor_get(&back.vendor, "web-access"), "on");
	/* a setting the model's family lacks, a bad value, a non-object */
	cr_assert_eq(to_device("{\"name\":\"SEP00AABBCCDD78\",\"model\":\"7841\",\"profile\":\"P\","
	                       "\"vendor\":{\"wifi\":\"on\"}}", &back, err, sizeof(err)), -1);
	cr_assert(strstr(err, "vendor:") != NULL, "%s", err);
	cr_assert_eq(to_device("{\"name\":\"SEP00AABBCCDD88\",\"model\":\"8865\",\"profile\":\"P\","
	                       "\"vendor\":{\"wifi\":1}}", &back, err, sizeof(err)), -1);
	cr_assert_eq(to_device("{\"name\":\"SEP00AABBCCDD88\",\"model\":\"8865\",\"profile\":\"P\","
	                       "\"vendor\":[]}", &back, err, sizeof(err)), -1);
	cr_assert(strstr(err, "must be an object") != NULL, "%s", err);
	cr_assert_eq(to_device("{\"name\":\"SEP00AABBCCDD88\",\"model\":\"8865\",\"profile\":\"P\","
	                       "\"kem_count\":4}", &back, err, sizeof(err)), -1);
}

/* A soft client's vendor settings in JSON: checked against the soft
 * clients' schema, kept through export and import. */
Test(devjson, soft_client_vendor)
{
	struct cfg_device back;
	char err[256];
	json_t *j;

	cr_assert_eq(to_device("{\"name\":\"CSFalice\",\"model\":\"CSF\",\"profile\":\"P\","
	                       "\"vendor\":{\"video\":\"off\",\"config-file\":\"jabber-sales.xml\"}}",
	                       &back, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(back.name, "CSFALICE");
	cr_assert_str_eq(cfg_vendor_get(&back.vendor, "video"), "off");
	cr_assert_str_eq(cfg_vendor_get(&back.vendor, "config-file"), "jabber-sales.xml");
	j = devjson_from_device(&back);
	cr_assert_not_null(j);
	cr_assert_eq(devjson_to_device(j, &back, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
	cr_assert_eq(back.vendor.count, 2);
	cr_assert_str_eq(cfg_vendor_get(&back.vendor, "config-file"), "jabber-sales.xml");
	cr_assert_eq(to_device("{\"name\":\"CSFALICE\",\"model\":\"CSF\",\"profile\":\"P\","
	                       "\"vendor\":{\"web-access\":\"on\"}}", &back, err, sizeof(err)), -1);
	cr_assert(strstr(err, "\"web-access\" is not a vendor setting of soft client models")
	          != NULL, "%s", err);
	cr_assert_eq(to_device("{\"name\":\"TABX\",\"model\":\"TAB\",\"profile\":\"P\","
	                       "\"vendor\":{\"config-file\":\"../x.xml\"}}", &back, err,
	                       sizeof(err)), -1);
	cr_assert(strstr(err, "config-file: character '/' not allowed") != NULL, "%s", err);
}
