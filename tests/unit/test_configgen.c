/* Unit tests for configgen/: the validation rules (each refusal and its
 * message), rendering against golden files (one per model family, and the
 * named files), escaping of hostile admin text, versionStamp behaviour, the
 * file-name mapping, the time-zone table (every entry against the system's
 * tzdata), vendor settings, and the firmware a REGISTER reports. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "configgen/configgen.h"

#define ERRLEN 256

/* ---- fixtures ----------------------------------------------------------------- */
struct world {
	struct cfg_params params;
	struct cfg_cluster cluster;
	struct cfg_node nodes[2];
	struct cfg_pool pool;
	struct cfg_profile oauth_profile, legacy_profile;
	struct cfg_device oauth_dev, legacy_dev;
	struct cfg_load loads[3];
};

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	cfg_params_init(&w->params);
	w->cluster.sip_oauth_mode = 1;

	cfg_node_init(&w->nodes[0], "cucm-a", "cucm-a.example.com");
	snprintf(w->nodes[0].description, sizeof(w->nodes[0].description), "%s", "Primary node");
	cfg_node_init(&w->nodes[1], "cucm-b", "192.0.2.12");
	w->nodes[1].sip_oauth_port = 5190;
	w->nodes[1].sip_mra_oauth_port = 5191;

	cfg_pool_init(&w->pool, "HQ");
	snprintf(w->pool.time_zone, sizeof(w->pool.time_zone), "%s", "Europe/Berlin");
	snprintf(w->pool.date_template, sizeof(w->pool.date_template), "%s", "D.M.Y");
	w->pool.ntp_count = 2;
	snprintf(w->pool.ntp[0], sizeof(w->pool.ntp[0]), "%s", "ntp1.example.com");
	snprintf(w->pool.ntp[1], sizeof(w->pool.ntp[1]), "%s", "192.0.2.123");
	w->pool.node_count = 2;
	snprintf(w->pool.nodes[0], sizeof(w->pool.nodes[0]), "%s", "cucm-a");
	snprintf(w->pool.nodes[1], sizeof(w->pool.nodes[1]), "%s", "cucm-b");

	cfg_profile_init(&w->oauth_profile, "Secure-OAuth");
	w->oauth_profile.mode = CFG_MODE_ENCRYPTED;
	w->oauth_profile.transport = CFG_TRANSPORT_TLS;
	w->oauth_profile.oauth = 1;

	cfg_profile_init(&w->legacy_profile, "Standard-NonSecure");

	cfg_device_init(&w->oauth_dev, "sep00aabbccddee");
	snprintf(w->oauth_dev.model, sizeof(w->oauth_dev.model), "%s", "8845");
	snprintf(w->oauth_dev.profile, sizeof(w->oauth_dev.profile), "%s", "Secure-OAuth");
	snprintf(w->oauth_dev.owner, sizeof(w->oauth_dev.owner), "%s", "alice");
	snprintf(w->oauth_dev.pool, sizeof(w->oauth_dev.pool), "%s", "HQ");
	snprintf(w->oauth_dev.description, sizeof(w->oauth_dev.description), "%s", "Alice's desk phone");
	snprintf(w->oauth_dev.load, sizeof(w->oauth_dev.load), "%s", "sip8845_65.14-2-1-0101-30");
	w->oauth_dev.require_activation_code = 1;
	w->oauth_dev.allow_activation_code_mra = 1;
	snprintf(w->oauth_dev.mra_domain, sizeof(w->oauth_dev.mra_domain), "%s", "mra.example.com");
	w->oauth_dev.line_count = 2;
	cfg_line_init(&w->oauth_dev.lines[0], 1, "+4930123451001");
	snprintf(w->oauth_dev.lines[0].label, sizeof(w->oauth_dev.lines[0].label), "%s", "Alice");
	snprintf(w->oauth_dev.lines[0].display_name, sizeof(w->oauth_dev.lines[0].display_name), "%s", "Alice Example");
	cfg_line_init(&w->oauth_dev.lines[1], 2, "1002");
	snprintf(w->oauth_dev.lines[1].label, sizeof(w->oauth_dev.lines[1].label), "%s", "Sales queue");
	snprintf(w->oauth_dev.lines[1].display_name, sizeof(w->oauth_dev.lines[1].display_name), "%s", "Sales");
	w->oauth_dev.lines[1].max_calls = 2;
	w->oauth_dev.lines[1].busy_trigger = 1;

	cfg_device_init(&w->legacy_dev, "SEP0011223344AA");
	snprintf(w->legacy_dev.model, sizeof(w->legacy_dev.model), "%s", "7942");
	snprintf(w->legacy_dev.profile, sizeof(w->legacy_dev.profile), "%s", "Standard-NonSecure");
	snprintf(w->legacy_dev.owner, sizeof(w->legacy_dev.owner), "%s", "bob");
	snprintf(w->legacy_dev.load, sizeof(w->legacy_dev.load), "%s", "SIP42.9-4-2SR4-3S");
	w->legacy_dev.line_count = 1;
	cfg_line_init(&w->legacy_dev.lines[0], 1, "2001");
	snprintf(w->legacy_dev.lines[0].label, sizeof(w->legacy_dev.lines[0].label), "%s", "Bob");
	snprintf(w->legacy_dev.lines[0].display_name, sizeof(w->legacy_dev.lines[0].display_name), "%s", "Bob Example");

	snprintf(w->loads[0].model, sizeof(w->loads[0].model), "%s", "8851");
	snprintf(w->loads[0].load, sizeof(w->loads[0].load), "%s", "sip88xx.14-2-1-0101-30");
	snprintf(w->loads[1].model, sizeof(w->loads[1].model), "%s", "7942");
	snprintf(w->loads[1].load, sizeof(w->loads[1].load), "%s", "SIP42.9-4-2SR4-3S");
	snprintf(w->loads[2].model, sizeof(w->loads[2].model), "%s", "8845");
	snprintf(w->loads[2].load, sizeof(w->loads[2].load), "%s", "sip8845_65.14-2-1-0101-30");
}

static struct cfg_render_ctx
ctx_for(struct world *w, const struct cfg_device *d, const struct cfg_profile *p,
        const struct cfg_pool *pool)
{
	struct cfg_render_ctx c = {
		.device = d, .profile = p, .pool = pool,
		.nodes = w->nodes, .node_count = pool ? pool->node_count : 1,
		.params = &w->params, .cluster = &w->cluster,
		.file_server = "tftp.example.com",
		.loads = w->loads, .load_count = 3,
	};
	return c;
}

static char *
render(const struct cfg_render_ctx *c, char version[CFG_VERSION_MAX])
{
	struct cfg_output out;
	char err[ERRLEN] = "";
	char *copy;

	cr_assert_eq(cfg_render_device(c, &out, err, sizeof(err)), 0, "render: %s", err);
	cr_assert_eq(strlen(out.data), out.len);
	if (version != NULL)
		memcpy(version, out.version, CFG_VERSION_MAX);
	copy = strdup(out.data);
	cfg_output_free(&out);
	return copy;
}

/* Expects a refusal whose message contains `want`. */
#define REFUSED(call, want) do { \
	char err_[ERRLEN] = ""; \
	int rc_ = (call); \
	cr_assert_eq(rc_, -1, "accepted, wanted refusal \"%s\"", want); \
	cr_assert(strstr(err_, want) != NULL, "message \"%s\" lacks \"%s\"", err_, want); \
} while (0)
#define E err_, sizeof(err_)

#define ACCEPTED(call) do { \
	char err_[ERRLEN] = ""; \
	cr_assert_eq((call), 0, "refused: %s", err_); \
} while (0)

/* ---- enterprise parameters --------------------------------------------------------- */
Test(params, defaults_match_table)
{
	struct cfg_params p;
	size_t n;
	const struct cfg_param_info *t = cfg_param_table(&n);
	char buf[CFG_URL_MAX];

	cfg_params_init(&p);
	cr_assert_geq(n, 4);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(cfg_param_get(&p, t[i].name, buf, sizeof(buf)), 0, "%s", t[i].name);
		cr_assert_str_eq(buf, t[i].def, "%s", t[i].name);
		cr_assert_eq(cfg_param_find(t[i].name), &t[i]);
	}
	cr_assert_eq(p.refresh_login_flow, 0);
	cr_assert_eq(p.access_token_minutes, 60);
	cr_assert_eq(p.refresh_token_days, 60);
	cr_assert_eq(p.activation_code_hours, 168);
	ACCEPTED(cfg_params_validate(&p, E));
}

Test(params, ranges_refused_and_nothing_changed)
{
	struct cfg_params p, before;

	cfg_params_init(&p);
	before = p;
	REFUSED(cfg_param_set(&p, "oauth-access-token-minutes", "0", E),
	        "oauth-access-token-minutes: 0 out of range 1–1440");
	REFUSED(cfg_param_set(&p, "oauth-access-token-minutes", "1441", E),
	        "1441 out of range 1–1440");
	REFUSED(cfg_param_set(&p, "oauth-refresh-token-days", "366", E),
	        "oauth-refresh-token-days: 366 out of range 1–365");
	REFUSED(cfg_param_set(&p, "oauth-refresh-token-days", "0", E), "out of range 1–365");
	REFUSED(cfg_param_set(&p, "activation-code-hours", "8761", E),
	        "activation-code-hours: 8761 out of range 1–8760");
	REFUSED(cfg_param_set(&p, "oauth-access-token-minutes", "60m", E), "is not a number");
	REFUSED(cfg_param_set(&p, "oauth-access-token-minutes", "", E), "is not a number");
	REFUSED(cfg_param_set(&p, "oauth-refresh-login-flow", "maybe", E), "is not on or off");
	REFUSED(cfg_param_set(&p, "no-such-param", "1", E), "unknown parameter");
	REFUSED(cfg_param_set(&p, "time-zone", "Europe/Ber lin", E),
	        "time-zone: character ' ' not allowed");
	REFUSED(cfg_param_set(&p, "cluster-id", "", E), "cluster-id: must not be empty");
	REFUSED(cfg_param_set(&p, "services-url", "http://x/\"><a", E), "not allowed");
	{
		char longurl[CFG_URL_MAX + 10];
		memset(longurl, 'a', sizeof(longurl) - 1);
		longurl[sizeof(longurl) - 1] = '\0';
		REFUSED(cfg_param_set(&p, "services-url", longurl, E), "longer than 255 bytes");
	}
	cr_assert_eq(memcmp(&p, &before, sizeof(p)), 0, "a refused set changed the params");
}

Test(params, set_get_round_trip)
{
	struct cfg_params p, q;
	size_t n;
	const struct cfg_param_info *t = cfg_param_table(&n);
	char buf[CFG_URL_MAX];

	cfg_params_init(&p);
	ACCEPTED(cfg_param_set(&p, "oauth-refresh-login-flow", "Enabled", E));
	cr_assert_eq(p.refresh_login_flow, 1);
	ACCEPTED(cfg_param_set(&p, "oauth-access-token-minutes", "1440", E));
	ACCEPTED(cfg_param_set(&p, "oauth-refresh-token-days", "1", E));
	ACCEPTED(cfg_param_set(&p, "activation-code-hours", "24", E));
	ACCEPTED(cfg_param_set(&p, "services-url", "http://{host}:6970/services.xml", E));
	cr_assert_eq(p.access_token_minutes, 1440);
	cr_assert_eq(p.refresh_token_days, 1);
	cr_assert_eq(p.activation_code_hours, 24);

	/* What get prints, set accepts, giving the same struct. */
	cfg_params_init(&q);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(cfg_param_get(&p, t[i].name, buf, sizeof(buf)), 0);
		ACCEPTED(cfg_param_set(&q, t[i].name, buf, E));
	}
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0);
	cr_assert_eq(cfg_param_get(&p, "no-such-param", buf, sizeof(buf)), -1);
	cr_assert_eq(cfg_param_get(&p, "services-url", buf, 4), -1, "truncation not reported");
}

Test(params, validate_catches_bad_struct)
{
	struct cfg_params p;

	cfg_params_init(&p);
	p.access_token_minutes = 0;
	REFUSED(cfg_params_validate(&p, E), "oauth-access-token-minutes: 0 out of range");
	cfg_params_init(&p);
	p.refresh_login_flow = 2;
	REFUSED(cfg_params_validate(&p, E), "oauth-refresh-login-flow: 2 is not on or off");
	cfg_params_init(&p);
	memset(p.cluster_id, 'x', sizeof(p.cluster_id)); /* no terminator */
	REFUSED(cfg_params_validate(&p, E), "cluster-id: longer than 63 bytes");
}

/* ---- nodes ------------------------------------------------------------------------ */
Test(node, defaults_valid)
{
	struct cfg_node n;

	cfg_node_init(&n, "cucm-a", "cucm-a.example.com");
	cr_assert_eq(n.sip_port, 5060);
	cr_assert_eq(n.secured_sip_port, 5061);
	cr_assert_eq(n.sip_oauth_port, 5090);
	cr_assert_eq(n.sip_mra_oauth_port, 5091);
	ACCEPTED(cfg_node_validate(&n, E));
}

Test(node, port_rules)
{
	struct cfg_node n;
	uint16_t port = 7;

	cfg_node_init(&n, "cucm-a", "cucm-a.example.com");
	n.sip_oauth_port = 1023;
	REFUSED(cfg_node_validate(&n, E), "sip-oauth-port 1023 out of range 1024–49151");
	n.sip_oauth_port = 49152;
	REFUSED(cfg_node_validate(&n, E), "sip-oauth-port 49152 out of range 1024–49151");
	n.sip_oauth_port = 5060;
	REFUSED(cfg_node_validate(&n, E), "sip-oauth-port 5060 is already the sip-port of node cucm-a");
	n.sip_oauth_port = 5090;
	n.sip_mra_oauth_port = 5090;
	REFUSED(cfg_node_validate(&n, E), "sip-mra-oauth-port 5090 is already the sip-oauth-port");
	n.sip_mra_oauth_port = 1024;
	ACCEPTED(cfg_node_validate(&n, E));
	n.sip_mra_oauth_port = 49151;
	ACCEPTED(cfg_node_validate(&n, E));

	REFUSED(cfg_port_parse("1023", &port, E), "port 1023 out of range 1024–49151");
	REFUSED(cfg_port_parse("49152", &port, E), "port 49152 out of range 1024–49151");
	REFUSED(cfg_port_parse("70000", &port, E), "port 70000 out of range");
	REFUSED(cfg_port_parse("50a", &port, E), "port \"50a\" is not a number");
	cr_assert_eq(port, 7, "refused parse wrote the port");
	ACCEPTED(cfg_port_parse("5090", &port, E));
	cr_assert_eq(port, 5090);
}

Test(node, name_and_host)
{
	struct cfg_node n;

	cfg_node_init(&n, "", "cucm-a.example.com");
	REFUSED(cfg_node_validate(&n, E), "node name: must not be empty");
	cfg_node_init(&n, "a", "bad host");
	REFUSED(cfg_node_validate(&n, E), "node host: character ' ' not allowed");
	cfg_node_init(&n, "a", "-x.example.com");
	REFUSED(cfg_node_validate(&n, E), "is not a host name or IP address");
	cfg_node_init(&n, "a", "2001:db8::5");
	ACCEPTED(cfg_node_validate(&n, E));
}

/* ---- pools -------------------------------------------------------------------------- */
Test(pool, rules)
{
	struct world w;

	world_init(&w);
	ACCEPTED(cfg_pool_validate(&w.pool, E));
	w.pool.ntp_count = CFG_NTP_MAX + 1;
	REFUSED(cfg_pool_validate(&w.pool, E), "5 NTP servers, at most 4");
	world_init(&w);
	w.pool.node_count = CFG_GROUP_MAX + 1;
	REFUSED(cfg_pool_validate(&w.pool, E), "4 nodes in the node group, at most 3");
	world_init(&w);
	snprintf(w.pool.nodes[1], sizeof(w.pool.nodes[1]), "%s", "cucm-a");
	REFUSED(cfg_pool_validate(&w.pool, E), "node cucm-a appears twice in the node group");
	world_init(&w);
	snprintf(w.pool.time_zone, sizeof(w.pool.time_zone), "%s", "Europe/Berlin;rm");
	REFUSED(cfg_pool_validate(&w.pool, E), "pool time zone: character ';' not allowed");
	world_init(&w);
	snprintf(w.pool.ntp[1], sizeof(w.pool.ntp[1]), "%s", "ntp server");
	REFUSED(cfg_pool_validate(&w.pool, E), "pool NTP server 2");
	world_init(&w);
	snprintf(w.pool.date_template, sizeof(w.pool.date_template), "%s", "D/M/Z");
	REFUSED(cfg_pool_validate(&w.pool, E), "pool date template: character 'Z' not allowed");
}

/* ---- security profiles ---------------------------------------------------------------- */
Test(profile, oauth_rules)
{
	struct cfg_profile p;

	cfg_profile_init(&p, "P");
	p.mode = CFG_MODE_ENCRYPTED;
	p.transport = CFG_TRANSPORT_TLS;
	p.oauth = 1;
	ACCEPTED(cfg_profile_validate(&p, E));

	p.mode = CFG_MODE_AUTHENTICATED;
	REFUSED(cfg_profile_validate(&p, E),
	        "OAuth requires mode encrypted (profile mode is authenticated)");
	p.mode = CFG_MODE_NON_SECURE;
	REFUSED(cfg_profile_validate(&p, E),
	        "OAuth requires mode encrypted (profile mode is non-secure)");
	p.mode = CFG_MODE_ENCRYPTED;
	p.transport = CFG_TRANSPORT_TCP;
	REFUSED(cfg_profile_validate(&p, E),
	        "OAuth requires transport tls (profile transport is tcp)");
	p.transport = CFG_TRANSPORT_TLS;
	p.digest = 1;
	REFUSED(cfg_profile_validate(&p, E), "OAuth cannot be combined with digest authentication");
	p.digest = 0;
	p.tftp_encrypted_config = 1;
	REFUSED(cfg_profile_validate(&p, E), "OAuth cannot be combined with TFTP encrypted config");
	p.oauth = 0;
	ACCEPTED(cfg_profile_validate(&p, E));
}

Test(profile, mode_transport_rules)
{
	struct cfg_profile p;
	enum cfg_transport all[] = { CFG_TRANSPORT_TCP, CFG_TRANSPORT_UDP, CFG_TRANSPORT_TCP_UDP };

	cfg_profile_init(&p, "P");
	for (size_t i = 0; i < 3; i++) {
		p.mode = CFG_MODE_NON_SECURE;
		p.transport = all[i];
		ACCEPTED(cfg_profile_validate(&p, E));
		p.mode = CFG_MODE_AUTHENTICATED;
		REFUSED(cfg_profile_validate(&p, E), "mode authenticated requires transport tls");
		p.mode = CFG_MODE_ENCRYPTED;
		REFUSED(cfg_profile_validate(&p, E), "mode encrypted requires transport tls");
	}
	p.mode = CFG_MODE_NON_SECURE;
	p.transport = CFG_TRANSPORT_TLS;
	REFUSED(cfg_profile_validate(&p, E),
	        "transport tls requires mode authenticated or encrypted (profile mode is non-secure)");
	p.mode = 9;
	REFUSED(cfg_profile_validate(&p, E), "unknown security mode 9");
	cfg_profile_init(&p, " P");
	REFUSED(cfg_profile_validate(&p, E), "profile name: must not start or end with a space");
}

Test(profile, parse_names)
{
	enum cfg_sec_mode m;
	enum cfg_transport t;

	cr_assert_eq(cfg_sec_mode_parse("Encrypted", &m), 0);
	cr_assert_eq(m, CFG_MODE_ENCRYPTED);
	cr_assert_eq(cfg_sec_mode_parse("non-secure", &m), 0);
	cr_assert_eq(m, CFG_MODE_NON_SECURE);
	cr_assert_eq(cfg_sec_mode_parse("secure", &m), -1);
	cr_assert_eq(cfg_transport_parse("TCP+UDP", &t), 0);
	cr_assert_eq(t, CFG_TRANSPORT_TCP_UDP);
	cr_assert_eq(cfg_transport_parse("tls", &t), 0);
	cr_assert_eq(t, CFG_TRANSPORT_TLS);
	cr_assert_eq(cfg_transport_parse("sctp", &t), -1);
	cr_assert_str_eq(cfg_transport_name(CFG_TRANSPORT_TCP_UDP), "tcp+udp");
	cr_assert_str_eq(cfg_sec_mode_name(CFG_MODE_AUTHENTICATED), "authenticated");
}

/* ---- models and devices ----------------------------------------------------------------- */
Test(model, table)
{
	const char *oauth[] = { "7811", "7821", "7841", "7861", "7832", "8811", "8841", "8845",
	                        "8851", "8851NR", "8861", "8865", "8865NR", "8832", "8832NR",
	                        "CSF", "TCT", "BOT", "TAB" };
	const char *legacy[] = { "7942", "7962", "7965", "8945", "8961", "9971", "6941" };

	for (size_t i = 0; i < sizeof(oauth) / sizeof(oauth[0]); i++) {
		const struct cfg_model *m = cfg_model_find(oauth[i]);
		cr_assert_not_null(m, "%s", oauth[i]);
		cr_assert(m->flags & CFG_MODEL_OAUTH, "%s", oauth[i]);
	}
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		const struct cfg_model *m = cfg_model_find(legacy[i]);
		cr_assert_not_null(m, "%s", legacy[i]);
		cr_assert_eq(m->flags & CFG_MODEL_OAUTH, 0, "%s", legacy[i]);
	}
	cr_assert(cfg_model_find("csf")->flags & CFG_MODEL_SOFT);
	cr_assert_str_eq(cfg_model_find("8851nr")->name, "8851NR");
	cr_assert_null(cfg_model_find("7940x"));
	cr_assert_null(cfg_model_find(""));
}

Test(device, name_parse)
{
	char out[CFG_DEVNAME_MAX];
	const char *bad[] = { "SEP00AABBCCDDE", "SEP00AABBCCDDEEF", "SEP00AABBCCDDEG",
	                      "SEQ00AABBCCDDEE", "", "SEP00AABBCC DDE",
	                      "SEP-0AABBCCDDEE", "CSF", "CSFALICE12345678", "CSFA B",
	                      "CSFA/B", "ABCALICE", "BOTa@b", "TAB\x80x", "tctq+1" };

	cr_assert_eq(cfg_device_name_parse("sep00aabbccddee", 15, out), 0);
	cr_assert_str_eq(out, "SEP00AABBCCDDEE");
	cr_assert_eq(cfg_device_name_parse("Sep00AaBbCcDdEe", 15, out), 0);
	cr_assert_str_eq(out, "SEP00AABBCCDDEE");
	/* Exactly len bytes: a longer buffer's tail is not looked at. */
	cr_assert_eq(cfg_device_name_parse("SEP0123456789ABxyz", 15, out), 0);
	cr_assert_str_eq(out, "SEP0123456789AB");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(cfg_device_name_parse(bad[i], strlen(bad[i]), out), -1, "%s", bad[i]);
	cr_assert_eq(cfg_device_name_parse("SEP00AABBCC\0DEE", 15, out), -1);
	/* Soft clients: CSF/BOT/TCT/TAB + 1..12 of A-Z 0-9 . _ -, upper-cased. */
	cr_assert_eq(cfg_device_name_parse("CSFrado", 7, out), 0);
	cr_assert_str_eq(out, "CSFRADO");
	cr_assert_eq(cfg_device_name_parse("botj.smith_2-x", 14, out), 0);
	cr_assert_str_eq(out, "BOTJ.SMITH_2-X");
	cr_assert_eq(cfg_device_name_parse("TCTABCDEFGHIJKL", 15, out), 0);
	cr_assert_str_eq(out, "TCTABCDEFGHIJKL");
	cr_assert_eq(cfg_device_name_parse("TabA", 4, out), 0);
	cr_assert_str_eq(out, "TABA");
	cr_assert(cfg_device_name_is_soft("CSFRADO"));
	cr_assert(!cfg_device_name_is_soft("SEP00AABBCCDDEE"));
	cr_assert_eq(cfg_device_name_parse("CSF\0ADO", 7, out), -1);
}

Test(device, valid_fixtures)
{
	struct world w;

	world_init(&w);
	cr_assert_str_eq(w.oauth_dev.name, "SEP00AABBCCDDEE");
	ACCEPTED(cfg_device_validate(&w.oauth_dev, &w.oauth_profile, E));
	ACCEPTED(cfg_device_validate(&w.legacy_dev, &w.legacy_profile, E));
	ACCEPTED(cfg_device_validate(&w.oauth_dev, NULL, E));
	cr_assert(cfg_device_needs_token(&w.oauth_profile));
	cr_assert_not(cfg_device_needs_token(&w.legacy_profile));
	cr_assert(cfg_device_needs_token(NULL), "unknown profile must fail closed");
}

Test(device, rules)
{
	struct world w;

	world_init(&w);
	REFUSED(cfg_device_validate(&w.legacy_dev, &w.oauth_profile, E),
	        "device uses profile Standard-NonSecure, not Secure-OAuth");
	snprintf(w.legacy_dev.profile, sizeof(w.legacy_dev.profile), "%s", "Secure-OAuth");
	REFUSED(cfg_device_validate(&w.legacy_dev, &w.oauth_profile, E),
	        "model 7942 cannot use a profile with OAuth");

	world_init(&w);
	w.legacy_dev.require_activation_code = 1;
	w.legacy_dev.allow_activation_code_mra = 1;
	snprintf(w.legacy_dev.mra_domain, sizeof(w.legacy_dev.mra_domain), "%s", "mra.example.com");
	REFUSED(cfg_device_validate(&w.legacy_dev, &w.legacy_profile, E),
	        "activation code via MRA requires a profile with OAuth (profile Standard-NonSecure has none)");
	w.legacy_dev.allow_activation_code_mra = 0;
	ACCEPTED(cfg_device_validate(&w.legacy_dev, &w.legacy_profile, E));

	world_init(&w);
	snprintf(w.oauth_dev.name, sizeof(w.oauth_dev.name), "%s", "SEP00aabbccddee");
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E),
	        "device name \"SEP00aabbccddee\" is not SEP followed by 12 upper-case hex digits");
	world_init(&w);
	snprintf(w.oauth_dev.model, sizeof(w.oauth_dev.model), "%s", "7940x");
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E), "model 7940x is not a known model");
	snprintf(w.oauth_dev.model, sizeof(w.oauth_dev.model), "%s", "csf");
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E), "model csf must be written CSF");
	world_init(&w);
	w.oauth_dev.profile[0] = '\0';
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E), "device profile: must not be empty");
	world_init(&w);
	w.oauth_dev.mra_domain[0] = '\0';
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E),
	        "activation code via MRA requires an MRA service domain");
	world_init(&w);
	w.oauth_dev.require_activation_code = 0;
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E),
	        "activation code via MRA requires require-activation-code");
	world_init(&w);
	snprintf(w.oauth_dev.mra_domain, sizeof(w.oauth_dev.mra_domain), "%s", "mra example");
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E), "MRA service domain");
	world_init(&w);
	snprintf(w.oauth_dev.description, sizeof(w.oauth_dev.description), "%s", "tab\there");
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E),
	        "device description: contains a control or non-character U+0009");
	world_init(&w);
	snprintf(w.oauth_dev.load, sizeof(w.oauth_dev.load), "%s", "../../etc/passwd");
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E), "device load: character '/' not allowed");
	world_init(&w);
	w.oauth_dev.line_count = CFG_LINES_MAX + 1;
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E), "17 lines, at most 16");
	world_init(&w);
	w.oauth_dev.lines[1].button = 1;
	REFUSED(cfg_device_validate(&w.oauth_dev, NULL, E), "line button 1 used twice");
}

Test(device, line_rules)
{
	struct cfg_line l;

	cfg_line_init(&l, 1, "1001");
	ACCEPTED(cfg_line_validate(&l, E));
	l.button = 0;
	REFUSED(cfg_line_validate(&l, E), "line button 0 out of range 1–16");
	l.button = 17;
	REFUSED(cfg_line_validate(&l, E), "line button 17 out of range 1–16");
	cfg_line_init(&l, 1, "");
	REFUSED(cfg_line_validate(&l, E), "line 1 number: must not be empty");
	cfg_line_init(&l, 2, "10a1");
	REFUSED(cfg_line_validate(&l, E), "line 2 number: character 'a' not allowed");
	cfg_line_init(&l, 1, "10+1");
	REFUSED(cfg_line_validate(&l, E), "'+' is allowed only as the first character");
	cfg_line_init(&l, 1, "*#+1");
	REFUSED(cfg_line_validate(&l, E), "'+' is allowed only as the first character");
	cfg_line_init(&l, 1, "+*97#");
	ACCEPTED(cfg_line_validate(&l, E));
	snprintf(l.label, sizeof(l.label), "%s", "bad\xc3(utf8");
	REFUSED(cfg_line_validate(&l, E), "line 1 label: not valid UTF-8 (byte 3)");
	snprintf(l.label, sizeof(l.label), "%s", "overlong \xc0\xaf");
	REFUSED(cfg_line_validate(&l, E), "not valid UTF-8");
	snprintf(l.label, sizeof(l.label), "%s", "surrogate \xed\xa0\x80");
	REFUSED(cfg_line_validate(&l, E), "not valid UTF-8");
	snprintf(l.label, sizeof(l.label), "%s", "nonchar \xef\xbf\xbe");
	REFUSED(cfg_line_validate(&l, E), "U+FFFE");
	snprintf(l.label, sizeof(l.label), "%s", "C1 \xc2\x85");
	REFUSED(cfg_line_validate(&l, E), "U+0085");
	snprintf(l.label, sizeof(l.label), "%s", "<&\"'> Zoë 日本 🎉");
	ACCEPTED(cfg_line_validate(&l, E));
	snprintf(l.display_name, sizeof(l.display_name), "%s", "new\nline");
	REFUSED(cfg_line_validate(&l, E), "line 1 display name: contains a control");
	cfg_line_init(&l, 1, "1001");
	l.max_calls = 0;
	REFUSED(cfg_line_validate(&l, E), "line 1: max calls 0 out of range 1–16");
	l.max_calls = 2;
	l.busy_trigger = 3;
	REFUSED(cfg_line_validate(&l, E), "line 1: busy trigger 3 out of range 1–2 (max calls)");
	cfg_line_init(&l, 1, "1001");
	memset(l.label, 'x', sizeof(l.label)); /* no terminator */
	REFUSED(cfg_line_validate(&l, E), "line 1 label: longer than 127 bytes");
}

/* ---- rendering: golden files ---------------------------------------------------------------- */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Byte-for-byte comparison with tests/data/configgen/NAME.  With
 * OPROV_UPDATE_GOLDEN=1 in the environment the file is (re)written instead,
 * for a reviewed update after an intended change. */
static void
golden(const char *name, const char *data)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	size_t len = 0;
	char *want;

	snprintf(path, sizeof(path), "%s/tests/data/configgen/%s", top ? top : ".", name);
	if (getenv("OPROV_UPDATE_GOLDEN") != NULL) {
		FILE *f = fopen(path, "wb");
		cr_assert_not_null(f, "cannot write %s", path);
		fputs(data, f);
		fclose(f);
		return;
	}
	want = read_file(path, &len);
	cr_assert_not_null(want, "cannot read %s", path);
	cr_assert_eq(len, strlen(data), "%s: length %zu, rendered %zu", name, len, strlen(data));
	cr_assert_str_eq(data, want, "%s differs from the rendering", name);
	free(want);
}

static xmlDocPtr
parse(const char *data)
{
	xmlDocPtr doc = xmlReadMemory(data, (int)strlen(data), "config.xml", "UTF-8",
	                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	cr_assert_not_null(doc, "rendering is not well-formed XML");
	return doc;
}

/* Text of the node at `xpath`, or NULL when absent.  Caller frees. */
static char *
xp(xmlDocPtr doc, const char *xpath)
{
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xpath, c);
	char *r = NULL;

	if (o != NULL && o->nodesetval != NULL && o->nodesetval->nodeNr > 0) {
		xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
		r = strdup((const char *)s);
		xmlFree(s);
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(c);
	return r;
}

static void
assert_xp(xmlDocPtr doc, const char *xpath, const char *want)
{
	char *got = xp(doc, xpath);
	cr_assert_not_null(got, "%s missing", xpath);
	cr_assert_str_eq(got, want, "%s", xpath);
	free(got);
}

Test(render, oauth_device_golden)
{
	struct world w;
	struct cfg_render_ctx c;
	char ver[CFG_VERSION_MAX];
	char *xml;
	xmlDocPtr doc;

	world_init(&w);
	c = ctx_for(&w, &w.oauth_dev, &w.oauth_profile, &w.pool);
	xml = render(&c, ver);
	golden("SEP00AABBCCDDEE.cnf.xml", xml);
	doc = parse(xml);
	assert_xp(doc, "/device/sipOAuthMode", "1");
	assert_xp(doc, "/device/deviceSecurityMode", "3");
	assert_xp(doc, "/device/transportLayerProtocol", "3");
	assert_xp(doc, "/device/userId", "alice");
	assert_xp(doc, "/device/ownerId", "alice");
	assert_xp(doc, "/device/versionStamp", ver);
	assert_xp(doc, "//member[@priority='0']/callManager/ports/sipOAuthPort", "5090");
	assert_xp(doc, "//member[@priority='1']/callManager/ports/sipMRAOAuthPort", "5191");
	assert_xp(doc, "//member[@priority='1']/callManager/processNodeName", "192.0.2.12");
	assert_xp(doc, "//sipLines/line[@button='1']/name", "+4930123451001");
	assert_xp(doc, "//sipLines/line[@button='2']/featureLabel", "Sales queue");
	assert_xp(doc, "//sipLines/line[@button='1']/port", "5090");
	assert_xp(doc, "//sipLines/line[@button='1']/authName", "");
	assert_xp(doc, "//sipLines/line[@button='2']/authName", "");
	assert_xp(doc, "//sipLines/line[@button='2']/authPassword", "");
	assert_xp(doc, "//dateTimeSetting/olsonTimeZone", "Europe/Berlin");
	assert_xp(doc, "//ntps/ntp[2]/name", "192.0.2.123");
	cr_assert_eq(strlen(ver), 16);
	xmlFreeDoc(doc);
	free(xml);
}

Test(render, legacy_device_golden)
{
	struct world w;
	struct cfg_render_ctx c;
	char *xml;
	xmlDocPtr doc;

	world_init(&w);
	/* No pool: "Default" with the parameter time zone, one node. */
	c = ctx_for(&w, &w.legacy_dev, &w.legacy_profile, NULL);
	xml = render(&c, NULL);
	golden("SEP0011223344AA.cnf.xml", xml);
	doc = parse(xml);
	assert_xp(doc, "/device/sipOAuthMode", "0");
	assert_xp(doc, "/device/deviceSecurityMode", "1");
	assert_xp(doc, "/device/transportLayerProtocol", "1");
	assert_xp(doc, "/device/devicePool/name", "Default");
	assert_xp(doc, "//dateTimeSetting/olsonTimeZone", "Etc/UTC");
	assert_xp(doc, "//sipLines/line[@button='1']/authName", "2001");
	assert_xp(doc, "//sipLines/line[@button='1']/port", "5060");
	assert_xp(doc, "/device/loadInformation", "SIP42.9-4-2SR4-3S");
	cr_assert_null(xp(doc, "//member[@priority='1']"), "only one node was given");
	xmlFreeDoc(doc);
	free(xml);
}

Test(render, xmldefault_golden)
{
	struct world w;
	struct cfg_render_ctx c;
	struct cfg_output out;
	char err[ERRLEN] = "";
	xmlDocPtr doc;

	world_init(&w);
	snprintf(w.params.services_url, sizeof(w.params.services_url), "%s", "http://{host}:6970/services.xml");
	snprintf(w.params.authentication_url, sizeof(w.params.authentication_url), "%s", "http://{host}:8080/auth");
	c = ctx_for(&w, NULL, NULL, &w.pool);
	cr_assert_eq(cfg_render_default(&c, &out, err, sizeof(err)), 0, "%s", err);
	golden("XMLDefault.cnf.xml", out.data);
	doc = parse(out.data);
	assert_xp(doc, "/Default/loadInformation434[@model='Cisco 7942']", "SIP42.9-4-2SR4-3S");
	assert_xp(doc, "/Default/loadInformation684[@model='Cisco 8851']", "sip88xx.14-2-1-0101-30");
	assert_xp(doc, "/Default/servicesURL", "http://tftp.example.com:6970/services.xml");
	assert_xp(doc, "/Default/directoryURL", "");
	assert_xp(doc, "//member[@priority='0']/callManager/processNodeName", "cucm-a.example.com");
	xmlFreeDoc(doc);
	cfg_output_free(&out);

	/* Without a file server a {host} URL is left empty, not "http:///". */
	c.file_server = NULL;
	cr_assert_eq(cfg_render_default(&c, &out, err, sizeof(err)), 0, "%s", err);
	doc = parse(out.data);
	assert_xp(doc, "/Default/servicesURL", "");
	xmlFreeDoc(doc);
	cfg_output_free(&out);
}

Test(render, oauth_mode_needs_cluster_and_profile)
{
	struct world w;
	struct cfg_render_ctx c;
	char *xml;
	xmlDocPtr doc;

	world_init(&w);
	w.cluster.sip_oauth_mode = 0;
	c = ctx_for(&w, &w.oauth_dev, &w.oauth_profile, &w.pool);
	xml = render(&c, NULL);
	doc = parse(xml);
	assert_xp(doc, "/device/sipOAuthMode", "0");
	/* Still an OAuth profile: no digest user, secure port for TLS. */
	assert_xp(doc, "//sipLines/line[@button='1']/authName", "");
	assert_xp(doc, "//sipLines/line[@button='1']/port", "5061");
	xmlFreeDoc(doc);
	free(xml);

	c.cluster = NULL;
	xml = render(&c, NULL);
	doc = parse(xml);
	assert_xp(doc, "/device/sipOAuthMode", "0");
	xmlFreeDoc(doc);
	free(xml);

	world_init(&w);
	c = ctx_for(&w, &w.legacy_dev, &w.legacy_profile, &w.pool);
	xml = render(&c, NULL);
	doc = parse(xml);
	assert_xp(doc, "/device/sipOAuthMode", "0");
	xmlFreeDoc(doc);
	free(xml);
}

Test(render, refuses_missing_inputs)
{
	struct world w;
	struct cfg_render_ctx c;
	struct cfg_output out;

	world_init(&w);
	c = ctx_for(&w, &w.oauth_dev, NULL, &w.pool);
	REFUSED(cfg_render_device(&c, &out, E), "device, profile and parameters are required");
	cr_assert_null(out.data);
	c.params = NULL;
	REFUSED(cfg_render_default(&c, &out, E), "parameters are required");
}

/* ---- rendering: hostile text ------------------------------------------------------------------ */
Test(render, hostile_text_escaped)
{
	const char *label = "<&\"'> Zoë 日本 🎉 </featureLabel><x>";
	const char *disp = "a&amp;b ]]> \"q\" 'a' <!-- -->";
	struct world w;
	struct cfg_render_ctx c;
	char *xml;
	xmlDocPtr doc;

	world_init(&w);
	snprintf(w.oauth_dev.lines[0].label, sizeof(w.oauth_dev.lines[0].label), "%s", label);
	snprintf(w.oauth_dev.lines[0].display_name, sizeof(w.oauth_dev.lines[0].display_name), "%s", disp);
	snprintf(w.oauth_dev.owner, sizeof(w.oauth_dev.owner), "%s", "o'brien&<co>");
	snprintf(w.pool.name, sizeof(w.pool.name), "%s", "Pool <\"&'>");
	snprintf(w.nodes[0].description, sizeof(w.nodes[0].description), "%s", "Ünïcödé & <b>");
	c = ctx_for(&w, &w.oauth_dev, &w.oauth_profile, &w.pool);
	xml = render(&c, NULL);
	cr_assert_null(strstr(xml, "<x>"), "markup from a label leaked into the file");
	doc = parse(xml);
	assert_xp(doc, "//sipLines/line[@button='1']/featureLabel", label);
	assert_xp(doc, "//sipLines/line[@button='1']/displayName", disp);
	assert_xp(doc, "/device/userId", "o'brien&<co>");
	assert_xp(doc, "/device/devicePool/name", "Pool <\"&'>");
	assert_xp(doc, "//member[@priority='0']/callManager/description", "Ünïcödé & <b>");
	xmlFreeDoc(doc);
	free(xml);
}

Test(render, invalid_bytes_dropped)
{
	struct world w;
	struct cfg_render_ctx c;
	char *xml;
	xmlDocPtr doc;

	/* Records that slipped past validation (or a corrupted store) still
	 * give a well-formed file: invalid UTF-8 and non-XML characters are
	 * dropped, valid neighbours kept. */
	world_init(&w);
	snprintf(w.oauth_dev.lines[0].label, sizeof(w.oauth_dev.lines[0].label), "%s", "a\x01" "b\x1b[31m\xff\xfe" "c\xc3" "d\xed\xa0\x80" "e\xef\xbf\xbf" "f\r\n\tg é");
	memset(w.oauth_dev.lines[1].display_name, 'z', sizeof(w.oauth_dev.lines[1].display_name));
	snprintf(w.oauth_dev.owner, sizeof(w.oauth_dev.owner), "%s", "\x7f" "bob\xc2\x80");
	c = ctx_for(&w, &w.oauth_dev, &w.oauth_profile, &w.pool);
	xml = render(&c, NULL);
	doc = parse(xml);
	assert_xp(doc, "//sipLines/line[@button='1']/featureLabel", "ab[31mcdefg é");
	assert_xp(doc, "/device/userId", "bob");
	{
		/* An unterminated field is cut at its array, never read past. */
		char *dn = xp(doc, "//sipLines/line[@button='2']/displayName");
		cr_assert_eq(strlen(dn), CFG_TEXT_MAX);
		free(dn);
	}
	xmlFreeDoc(doc);
	free(xml);
}

/* ---- versionStamp ------------------------------------------------------------------------------- */
Test(version, changes_with_config_only)
{
	struct world w;
	struct cfg_render_ctx c, other;
	char v1[CFG_VERSION_MAX], v2[CFG_VERSION_MAX], v3[CFG_VERSION_MAX];
	char *a, *b;

	world_init(&w);
	c = ctx_for(&w, &w.oauth_dev, &w.oauth_profile, &w.pool);
	a = render(&c, v1);
	b = render(&c, v2);
	cr_assert_str_eq(v1, v2, "re-render of an unchanged device changed the stamp");
	cr_assert_str_eq(a, b, "rendering is not deterministic");
	free(b);

	/* Another device changes: this one's stamp does not. */
	snprintf(w.legacy_dev.lines[0].label, sizeof(w.legacy_dev.lines[0].label), "%s", "Bob (new)");
	other = ctx_for(&w, &w.legacy_dev, &w.legacy_profile, NULL);
	free(render(&other, NULL));
	b = render(&c, v2);
	cr_assert_str_eq(v1, v2);
	free(b);

	/* A field that does not reach the file changes nothing either. */
	snprintf(w.oauth_dev.description, sizeof(w.oauth_dev.description), "%s", "moved to room 4");
	b = render(&c, v2);
	cr_assert_str_eq(v1, v2);
	cr_assert_str_eq(a, b);
	free(b);

	/* A line label changes: new stamp, and only the label and stamp differ. */
	snprintf(w.oauth_dev.lines[1].label, sizeof(w.oauth_dev.lines[1].label), "%s", "Sales queue 2");
	b = render(&c, v2);
	cr_assert_str_neq(v1, v2, "label change kept the stamp");
	cr_assert(strstr(b, v2) != NULL);
	free(b);

	/* Back to the old label: back to the old stamp (content-derived). */
	snprintf(w.oauth_dev.lines[1].label, sizeof(w.oauth_dev.lines[1].label), "%s", "Sales queue");
	b = render(&c, v3);
	cr_assert_str_eq(v1, v3);
	free(b);

	/* Cluster mode, node ports, parameters: all change the file. */
	w.cluster.sip_oauth_mode = 0;
	b = render(&c, v2);
	cr_assert_str_neq(v1, v2);
	free(b);
	w.cluster.sip_oauth_mode = 1;
	w.nodes[1].sip_oauth_port = 5290;
	b = render(&c, v2);
	cr_assert_str_neq(v1, v2);
	free(b);
	w.nodes[1].sip_oauth_port = 5190;
	snprintf(w.params.network_locale, sizeof(w.params.network_locale), "%s", "Germany");
	b = render(&c, v2);
	cr_assert_str_neq(v1, v2);
	free(b);
	free(a);
}

/* ---- file names ---------------------------------------------------------------------------------- */
struct fn_case {
	const char *name;
	size_t len;                     /* 0: strlen(name) */
	enum cfg_file_kind kind;
	const char *device;
};

Test(filename, mapping)
{
	static const struct fn_case cases[] = {
		{ "SEP00AABBCCDDEE.cnf.xml", 0, CFG_FILE_DEVICE_CONFIG, "SEP00AABBCCDDEE" },
		{ "SEP00AABBCCDDEE.cnf.xml.sgn", 0, CFG_FILE_DEVICE_CONFIG_SIGNED, "SEP00AABBCCDDEE" },
		{ "SEP00AABBCCDDEE.cnf.xml.enc.sgn", 0, CFG_FILE_DEVICE_CONFIG_ENC, "SEP00AABBCCDDEE" },
		{ "CTLSEP00AABBCCDDEE.tlv", 0, CFG_FILE_DEVICE_TRUSTLIST, "SEP00AABBCCDDEE" },
		{ "ITLSEP00AABBCCDDEE.tlv", 0, CFG_FILE_DEVICE_TRUSTLIST, "SEP00AABBCCDDEE" },
		{ "XMLDefault.cnf.xml", 0, CFG_FILE_DEFAULT_CONFIG, "" },
		/* Case-insensitive: every spelling is the same device's file. */
		{ "sep00aabbccddee.cnf.xml", 0, CFG_FILE_DEVICE_CONFIG, "SEP00AABBCCDDEE" },
		{ "SEP00aAbBcCdDeE.CNF.XML.SGN", 0, CFG_FILE_DEVICE_CONFIG_SIGNED, "SEP00AABBCCDDEE" },
		{ "itlsep00aabbccddee.TLV", 0, CFG_FILE_DEVICE_TRUSTLIST, "SEP00AABBCCDDEE" },
		{ "xmldefault.cnf.xml", 0, CFG_FILE_DEFAULT_CONFIG, "" },
		/* A directory prefix does not hide a device file. */
		{ "configs/SEP00AABBCCDDEE.cnf.xml", 0, CFG_FILE_DEVICE_CONFIG, "SEP00AABBCCDDEE" },
		/* Public files. */
		/* Trust lists and signed names (issue 13). */
		{ "ITLFile.tlv", 0, CFG_FILE_TRUSTLIST, "" },
		{ "ctlfile.TLV", 0, CFG_FILE_TRUSTLIST, "" },
		{ "XMLDefault.cnf.xml.sgn", 0, CFG_FILE_DEFAULT_CONFIG_SIGNED, "" },
		{ "sip88xx.14-2-1-0101-30.loads.sgn", 0, CFG_FILE_PUBLIC_SIGNED, "" },
		{ "CTLSEP00AABBCCDDEE.tlv.sgn", 0, CFG_FILE_PUBLIC_SIGNED, "" },
		{ ".sgn", 0, CFG_FILE_PUBLIC, "" },
		{ "sip88xx.14-2-1-0101-30.loads", 0, CFG_FILE_PUBLIC, "" },
		{ "English_United_States/mk-sccp.jar", 0, CFG_FILE_PUBLIC, "" },
		{ "dialplan.xml", 0, CFG_FILE_PUBLIC, "" },
		{ "SEP00AABBCCDDE.cnf.xml", 0, CFG_FILE_PUBLIC, "" },      /* 11 hex */
		{ "SEP00AABBCCDDEEF.cnf.xml", 0, CFG_FILE_PUBLIC, "" },    /* 13 hex */
		{ "SEP00AABBCCDDEG.cnf.xml", 0, CFG_FILE_PUBLIC, "" },     /* not hex */
		{ "SEP00AABBCCDDEE.cnf.xml.bak", 0, CFG_FILE_PUBLIC, "" },
		{ "SEP00AABBCCDDEE.cnf", 0, CFG_FILE_PUBLIC, "" },
		{ "XSEP00AABBCCDDEE.cnf.xml", 0, CFG_FILE_PUBLIC, "" },
		{ ".cnf.xml", 0, CFG_FILE_PUBLIC, "" },
		/* Refused by every daemon. */
		{ "", 0, CFG_FILE_INVALID, "" },
		{ "../SEP00AABBCCDDEE.cnf.xml", 0, CFG_FILE_INVALID, "" },
		{ "a/../SEP00AABBCCDDEE.cnf.xml", 0, CFG_FILE_INVALID, "" },
		{ "./SEP00AABBCCDDEE.cnf.xml", 0, CFG_FILE_INVALID, "" },
		{ "..", 0, CFG_FILE_INVALID, "" },
		{ "/SEP00AABBCCDDEE.cnf.xml", 0, CFG_FILE_INVALID, "" },
		{ "dir/", 0, CFG_FILE_INVALID, "" },
		{ "a//b", 0, CFG_FILE_INVALID, "" },
		{ "..\\SEP00AABBCCDDEE.cnf.xml", 0, CFG_FILE_INVALID, "" },
		{ "SEP00AABBCCDDEE.cnf.xml\r\n", 0, CFG_FILE_INVALID, "" },
		{ "caf\xc3\xa9.txt", 0, CFG_FILE_INVALID, "" },
		{ "SEP00AABBCCDDEE.cnf.xml\0.txt", 28, CFG_FILE_INVALID, "" },
		{ "SEP00AABBCCDDEE.cnf.xml\0", 24, CFG_FILE_INVALID, "" },
		/* Exactly len bytes are looked at: a prefix of a longer buffer. */
		{ "SEP00AABBCCDDEE.cnf.xml.sgn", 23, CFG_FILE_DEVICE_CONFIG, "SEP00AABBCCDDEE" },
		{ "SEP00AABBCCDDEE.cnf.xml", 22, CFG_FILE_PUBLIC, "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fn_case *t = &cases[i];
		size_t len = t->len ? t->len : strlen(t->name);
		struct cfg_file f;
		/* Exact-size heap copy: a read past len would be caught by ASan. */
		char *copy = malloc(len ? len : 1);
		memcpy(copy, t->name, len);
		cr_assert_eq(cfg_file_classify(copy, len, &f), t->kind, "case %zu \"%s\": %s",
		             i, t->name, cfg_file_kind_name(f.kind));
		cr_assert_eq(f.kind, t->kind);
		cr_assert_str_eq(f.device, t->device, "case %zu \"%s\"", i, t->name);
		free(copy);
	}
}

Test(filename, length_limit)
{
	char name[CFG_FILENAME_MAX + 2];
	struct cfg_file f;

	memset(name, 'a', sizeof(name));
	memcpy(name + CFG_FILENAME_MAX - 23, "SEP00AABBCCDDEE.cnf.xml", 23);
	name[CFG_FILENAME_MAX - 24] = '/';
	cr_assert_eq(cfg_file_classify(name, CFG_FILENAME_MAX, &f), CFG_FILE_DEVICE_CONFIG);
	cr_assert_eq(cfg_file_classify(name, CFG_FILENAME_MAX + 1, &f), CFG_FILE_INVALID);
	cr_assert_eq(cfg_file_classify(name, 100000, &f), CFG_FILE_INVALID);
	cr_assert_str_eq(f.device, "");
	cr_assert_eq(cfg_file_classify(NULL, 0, &f), CFG_FILE_INVALID);
}

Test(filename, kind_names)
{
	cr_assert_str_eq(cfg_file_kind_name(CFG_FILE_DEVICE_CONFIG_SIGNED), "device-config-signed");
	cr_assert_str_eq(cfg_file_kind_name(CFG_FILE_INVALID), "invalid");
	cr_assert_str_eq(cfg_file_kind_name(CFG_FILE_PUBLIC), "public");
}

Test(filename, trust_list_names)
{
	struct cfg_file f;

	cr_assert_eq(cfg_file_classify("ITLSEP00AABBCCDDEE.tlv", 22, &f), CFG_FILE_DEVICE_TRUSTLIST);
	cr_assert_str_eq(f.trustlist, CFG_ITL_FILE);
	cr_assert_eq(cfg_file_classify("ctlsep00aabbccddee.tlv", 22, &f), CFG_FILE_DEVICE_TRUSTLIST);
	cr_assert_str_eq(f.trustlist, CFG_CTL_FILE);
	cr_assert_eq(cfg_file_classify("CTLFile.tlv", 11, &f), CFG_FILE_TRUSTLIST);
	cr_assert_str_eq(f.trustlist, CFG_CTL_FILE);
	cr_assert_eq(cfg_file_classify("SEP00AABBCCDDEE.cnf.xml", 23, &f), CFG_FILE_DEVICE_CONFIG);
	cr_assert_null(f.trustlist);
}

/* ---- time zones ----------------------------------------------------------------------
 * Every entry against the system's tzdata (through the C library, not our
 * own code): the Olson id exists, its standard offset and whether it keeps
 * daylight saving time in 2025 are what the table says, the vendor name says
 * "Standard/Daylight" exactly for zones with DST, and one vendor name never
 * stands for two standard offsets. */

/* Offset east of UTC, seconds, of zone tz at the UTC time t. */
static long
offset_at(const char *tz, int month)
{
	struct tm tm = { .tm_year = 2025 - 1900, .tm_mon = month, .tm_mday = 15, .tm_hour = 12 };
	time_t t;
	struct tm local;

	setenv("TZ", tz, 1);
	tzset();
	t = timegm(&tm);
	cr_assert_not_null(localtime_r(&t, &local));
	return local.tm_gmtoff;
}

Test(tz, every_entry_matches_tzdata)
{
	size_t n;
	const struct cfg_tz *t = cfg_tz_table(&n);
	char path[256];
	struct stat st;

	cr_assert_gt(n, 400, "the table covers the CLDR-mapped zones");
	for (size_t i = 0; i < n; i++) {
		long jan, jul, std;
		int dst;

		if (i > 0)
			cr_assert_lt(strcmp(t[i - 1].olson, t[i].olson), 0, "not sorted at %s",
			             t[i].olson);
		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", t[i].olson);
		cr_assert_eq(stat(path, &st), 0, "%s: not in the system's tzdata (install tzdata)",
		             t[i].olson);
		jan = offset_at(t[i].olson, 0);
		jul = offset_at(t[i].olson, 6);
		std = jan < jul ? jan : jul;
		dst = jan != jul;
		cr_assert_eq(std, t[i].std_offset_min * 60L, "%s: standard offset %ld s, table %d min",
		             t[i].olson, std, t[i].std_offset_min);
		cr_assert_eq(dst, t[i].dst, "%s: DST %d, table %d", t[i].olson, dst, t[i].dst);
		if (dst)
			cr_assert_not_null(strstr(t[i].vendor, "Standard/Daylight Time"), "%s: %s",
			                   t[i].olson, t[i].vendor);
		else
			cr_assert(strstr(t[i].vendor, "Standard Time") != NULL &&
			          strstr(t[i].vendor, "Daylight") == NULL, "%s: %s", t[i].olson,
			          t[i].vendor);
		cr_assert_eq(cfg_tz_find(t[i].olson), &t[i], "%s: lookup", t[i].olson);
		for (size_t j = 0; j < i; j++)
			if (strcmp(t[j].vendor, t[i].vendor) == 0)
				cr_assert_eq(t[j].std_offset_min, t[i].std_offset_min,
				             "%s and %s: one name, two offsets", t[j].olson, t[i].olson);
	}
	unsetenv("TZ");
	tzset();
}

Test(tz, names_from_published_configs)
{
	/* Pairs seen in configs the call-control system generated. */
	cr_assert_str_eq(cfg_tz_find("America/Chicago")->vendor, "Central Standard/Daylight Time");
	/* CLDR's Windows zones, written the vendor's way. */
	cr_assert_str_eq(cfg_tz_find("Europe/Paris")->vendor, "Romance Standard/Daylight Time");
	cr_assert_str_eq(cfg_tz_find("Europe/Berlin")->vendor, "W. Europe Standard/Daylight Time");
	cr_assert_str_eq(cfg_tz_find("Europe/Budapest")->vendor,
	                 "Central Europe Standard/Daylight Time");
	cr_assert_str_eq(cfg_tz_find("America/New_York")->vendor, "Eastern Standard/Daylight Time");
	cr_assert_str_eq(cfg_tz_find("Asia/Kolkata")->vendor, "India Standard Time");
	cr_assert_str_eq(cfg_tz_find("Asia/Calcutta")->vendor, "India Standard Time");
	cr_assert_str_eq(cfg_tz_find("Etc/UTC")->vendor, "Greenwich Standard Time");
	cr_assert_null(cfg_tz_find("europe/paris"), "Olson ids are case-sensitive");
	cr_assert_null(cfg_tz_find("Etc/GMT+11"), "CLDR's UTC-11 has no vendor name");
	cr_assert_null(cfg_tz_find(NULL));
}

Test(tz, refusal_names_the_nearest)
{
	char err[ERRLEN] = "", huge[300];

	cr_assert_eq(cfg_tz_check("Europe/Paris", err, sizeof(err)), 0);
	cr_assert_eq(cfg_tz_check("Europe/Pariss", err, sizeof(err)), -1);
	cr_assert(strstr(err, "time zone \"Europe/Pariss\" has no vendor time-zone name; "
	                      "nearest: Europe/Paris,") != NULL, "%s", err);
	cr_assert_eq(cfg_tz_check("europe/paris", err, sizeof(err)), -1);
	cr_assert(strstr(err, "nearest: Europe/Paris,") != NULL, "%s", err);
	cr_assert_eq(cfg_tz_check("Mars/Olympus_Mons", err, sizeof(err)), -1);
	cr_assert(strstr(err, "nearest: ") != NULL && strchr(strstr(err, "nearest: "), ',') != NULL,
	          "%s", err);
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	cr_assert_eq(cfg_tz_check(huge, err, sizeof(err)), -1);
	cr_assert(strstr(err, "longer than") != NULL, "%s", err);
	cr_assert_eq(cfg_tz_check("", err, sizeof(err)), -1);
}

Test(pool, time_zone_must_have_a_vendor_name)
{
	struct world w;

	world_init(&w);
	snprintf(w.pool.time_zone, sizeof(w.pool.time_zone), "%s", "America/Chihuahua");
	REFUSED(cfg_pool_validate(&w.pool, E), "has no vendor time-zone name; nearest:");
	snprintf(w.pool.time_zone, sizeof(w.pool.time_zone), "%s", "Europe/Kyiv");
	ACCEPTED(cfg_pool_validate(&w.pool, E));
	w.pool.time_zone[0] = '\0';             /* the parameter's applies */
	ACCEPTED(cfg_pool_validate(&w.pool, E));
}

/* ---- vendor settings --------------------------------------------------------------------- */
Test(vendor, schemas_and_overrides)
{
	struct cfg_vendor v = { 0 };
	char key[CFG_VKEY_MAX], val[CFG_VVAL_MAX];
	const struct cfg_vendor_key *k;

	k = cfg_vendor_key_find(CFG_FAMILY_78XX, "web-access");
	cr_assert_not_null(k);
	cr_assert_eq(k->section, CFG_VS_COMMON, "78xx: web access in commonConfig");
	cr_assert_eq(cfg_vendor_key_find(CFG_FAMILY_88XX, "web-access")->section, CFG_VS_VENDOR);
	cr_assert_null(cfg_vendor_key_find(CFG_FAMILY_78XX, "wifi"));
	cr_assert_not_null(cfg_vendor_key_find(CFG_FAMILY_ANY, "wifi"));
	cr_assert_null(cfg_vendor_key_find(CFG_FAMILY_SOFT, "web-access"));

	ACCEPTED(cfg_vendor_spec("web-access=on", key, val, E));
	cr_assert_str_eq(key, "web-access");
	cr_assert_str_eq(val, "on");
	REFUSED(cfg_vendor_spec("web-access", key, val, E), "is not KEY=VALUE");
	REFUSED(cfg_vendor_spec("=on", key, val, E), "is not KEY=VALUE");

	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_88XX, "web-access", "ON", E));
	cr_assert_str_eq(cfg_vendor_get(&v, "web-access"), "on", "stored as the schema spells it");
	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_88XX, "settings-access", "restricted", E));
	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_88XX, "web-access", "off", E));
	cr_assert_eq(v.count, 2, "replaced, not added");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_88XX, "web-access", "maybe", E),
	        "web-access: \"maybe\" is not one of: on, off");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_78XX, "wifi", "on", E),
	        "\"wifi\" is not a vendor setting of 78xx models");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "web-access", "on", E),
	        "\"web-access\" is not a vendor setting of soft client models "
	        "(theirs: video, analytics, config-file, extend-and-connect)");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_OTHER, "web-access", "on", E),
	        "other models have no vendor settings");
	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_88XX, "web-access", "default", E));
	cr_assert_null(cfg_vendor_get(&v, "web-access"));
	cr_assert_eq(v.count, 1);
	ACCEPTED(cfg_vendor_validate(&v, CFG_FAMILY_88XX, E));
	ACCEPTED(cfg_vendor_validate(&v, CFG_FAMILY_ANY, E));
	snprintf(v.kv[0].value, sizeof(v.kv[0].value), "%s", "ON");
	REFUSED(cfg_vendor_validate(&v, CFG_FAMILY_88XX, E), "is not one of its values");
	snprintf(v.kv[0].value, sizeof(v.kv[0].value), "%s", "on");
	v.kv[1] = v.kv[0];
	v.count = 2;
	REFUSED(cfg_vendor_validate(&v, CFG_FAMILY_88XX, E), "given twice");
	v.count = CFG_VENDOR_MAX + 1;
	REFUSED(cfg_vendor_validate(&v, CFG_FAMILY_88XX, E), "at most 24");
}

/* The soft clients' schema (CSF, BOT, TCT, TAB): its keys in order, none
 * with a default, the phone-only keys refused with a message naming the
 * family's own, and the free-valued config-file checked as a file name. */
Test(vendor, soft_client_schema)
{
	static const char *const want[][2] = {
		{ "video", "videoCapability" },
		{ "analytics", "analyticsCollection" },
		{ "config-file", "ciscoSupportField" },
		{ "extend-and-connect", "extendAndConnectCapability" },
	};
	static const enum cfg_family phones[] = { CFG_FAMILY_78XX, CFG_FAMILY_88XX,
	                                          CFG_FAMILY_99XX };
	struct cfg_vendor v = { 0 };
	const struct cfg_vendor_key *k;
	char long_name[CFG_VVAL_MAX + 8];
	size_t n;

	k = cfg_vendor_schema(CFG_FAMILY_SOFT, &n);
	cr_assert_eq(n, 4);
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(k[i].key, want[i][0]);
		cr_assert_str_eq(k[i].element, want[i][1]);
		cr_assert_eq(k[i].section, CFG_VS_VENDOR);
		cr_assert_null(k[i].def, "%s: no default (codes partly inferred)", k[i].key);
	}
	/* every phone setting the soft clients lack is refused for them */
	for (size_t f = 0; f < sizeof(phones) / sizeof(phones[0]); f++) {
		size_t m;
		const struct cfg_vendor_key *pk = cfg_vendor_schema(phones[f], &m);
		for (size_t i = 0; i < m; i++) {
			if (strcmp(pk[i].key, "video") == 0)
				continue;
			cr_assert_null(cfg_vendor_key_find(CFG_FAMILY_SOFT, pk[i].key), "%s",
			               pk[i].key);
			REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, pk[i].key, "on", E),
			        "is not a vendor setting of soft client models (theirs: video, "
			        "analytics, config-file, extend-and-connect)");
		}
	}
	cr_assert_eq(v.count, 0);
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_88XX, "config-file", "a.xml", E),
	        "\"config-file\" is not a vendor setting of 88xx models");

	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "video", "OFF", E));
	cr_assert_str_eq(cfg_vendor_get(&v, "video"), "off");
	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "analytics", "off", E));
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "analytics", "maybe", E),
	        "analytics: \"maybe\" is not one of: on, off");
	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", "Jabber-Sales_2.XML", E));
	cr_assert_str_eq(cfg_vendor_get(&v, "config-file"), "Jabber-Sales_2.XML",
	                 "a file name is kept as given");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", "../etc/x.xml", E),
	        "config-file: character '/' not allowed");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", "a b.xml", E),
	        "config-file: character ' ' not allowed");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", "x.xml\"<", E),
	        "config-file: character '\\x22' not allowed");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", "sales", E),
	        "config-file: \"sales\" is not NAME.xml");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", ".xml", E), "is not NAME.xml");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", ".hidden.xml", E),
	        "is not NAME.xml");
	memset(long_name, 'a', sizeof(long_name));
	memcpy(long_name + sizeof(long_name) - 5, ".xml", 5);
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", long_name, E),
	        "config-file: longer than 31 bytes");
	cr_assert_str_eq(cfg_vendor_get(&v, "config-file"), "Jabber-Sales_2.XML",
	                 "a refused value leaves the old one");
	ACCEPTED(cfg_vendor_validate(&v, CFG_FAMILY_SOFT, E));
	ACCEPTED(cfg_vendor_validate(&v, CFG_FAMILY_ANY, E));
	REFUSED(cfg_vendor_validate(&v, CFG_FAMILY_99XX, E), "\"analytics\" is not a vendor setting");
	/* a stored value that slipped past set() is caught */
	snprintf(v.kv[2].value, sizeof(v.kv[2].value), "%s", "a/b.xml");
	REFUSED(cfg_vendor_validate(&v, CFG_FAMILY_SOFT, E), "config-file: character '/'");
	snprintf(v.kv[2].value, sizeof(v.kv[2].value), "%s", "a.xml");
	snprintf(v.kv[0].value, sizeof(v.kv[0].value), "%s", "OFF");
	REFUSED(cfg_vendor_validate(&v, CFG_FAMILY_SOFT, E), "video: \"OFF\" is not one of its values");
	snprintf(v.kv[0].value, sizeof(v.kv[0].value), "%s", "off");
	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_SOFT, "config-file", "default", E));
	cr_assert_null(cfg_vendor_get(&v, "config-file"), "default removes the override");
	cr_assert_eq(v.count, 2);
	/* profiles take any family's settings, the soft clients' too */
	memset(&v, 0, sizeof(v));
	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_ANY, "config-file", "jabber-all.xml", E));
	ACCEPTED(cfg_vendor_set(&v, CFG_FAMILY_ANY, "analytics", "on", E));
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_ANY, "config-file", "all", E), "is not NAME.xml");
	REFUSED(cfg_vendor_set(&v, CFG_FAMILY_ANY, "teleport", "on", E),
	        "\"teleport\" is not a vendor setting");
}

/* ---- devices: soft clients, modules, named files ----------------------------------------- */
Test(device, soft_clients_and_modules)
{
	struct world w;
	struct cfg_device d;

	world_init(&w);
	cfg_device_init(&d, "CSFalice");
	cr_assert_str_eq(d.name, "CSFALICE");
	snprintf(d.model, sizeof(d.model), "%s", "CSF");
	snprintf(d.profile, sizeof(d.profile), "%s", "Secure-OAuth");
	ACCEPTED(cfg_device_validate(&d, &w.oauth_profile, E));
	snprintf(d.model, sizeof(d.model), "%s", "BOT");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E),
	        "a BOT soft client's name starts with BOT");
	snprintf(d.model, sizeof(d.model), "%s", "8845");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "model 8845 is a phone");
	d = w.oauth_dev;
	snprintf(d.model, sizeof(d.model), "%s", "CSF");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "name starts with CSF");

	d = w.oauth_dev;                                /* an 8845: no modules */
	d.kem_count = 1;
	snprintf(d.kem_type, sizeof(d.kem_type), "%s", "8800");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "model 8845 takes 0 key expansion");
	snprintf(d.model, sizeof(d.model), "%s", "8851");
	ACCEPTED(cfg_device_validate(&d, &w.oauth_profile, E));
	d.kem_count = 3;
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "model 8851 takes 2");
	d.kem_count = 1;
	snprintf(d.kem_type, sizeof(d.kem_type), "%s", "8865");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "does not fit model 8851");
	snprintf(d.kem_type, sizeof(d.kem_type), "%s", "bogus");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "unknown key expansion module type");
	d.kem_count = 0;
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "type without a module");

	d = w.oauth_dev;
	snprintf(d.dialplan, sizeof(d.dialplan), "%s", "Office");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "device dial plan: character 'O'");
	snprintf(d.dialplan, sizeof(d.dialplan), "%s", "office-1");
	snprintf(d.softkeys, sizeof(d.softkeys), "%s", "../x");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "device softkey template");
	d.softkeys[0] = '\0';
	ACCEPTED(cfg_device_validate(&d, &w.oauth_profile, E));
	ACCEPTED(cfg_vendor_set(&d.vendor, CFG_FAMILY_88XX, "wifi", "off", E));
	ACCEPTED(cfg_device_validate(&d, &w.oauth_profile, E));
	snprintf(d.model, sizeof(d.model), "%s", "7841");  /* 78xx has no wifi */
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E), "\"wifi\" is not a vendor setting");
}

Test(profile, vendor_settings_of_any_family)
{
	struct world w;

	world_init(&w);
	ACCEPTED(cfg_vendor_set(&w.oauth_profile.vendor, CFG_FAMILY_ANY, "pc-port", "off", E));
	ACCEPTED(cfg_vendor_set(&w.oauth_profile.vendor, CFG_FAMILY_ANY, "wifi", "off", E));
	ACCEPTED(cfg_profile_validate(&w.oauth_profile, E));
	snprintf(w.oauth_profile.vendor.kv[0].key, CFG_VKEY_MAX, "%s", "no-such");
	REFUSED(cfg_profile_validate(&w.oauth_profile, E), "is not a vendor setting");
}

/* ---- named files: dial plans, softkeys, feature policies --------------------------------- */
Test(named, dial_rules)
{
	struct cfg_dialrule r;

	ACCEPTED(cfg_dialrule_parse("9.......", &r, E));
	cr_assert_str_eq(r.match, "9.......");
	cr_assert_eq(r.timeout, 3, "default timeout");
	ACCEPTED(cfg_dialrule_parse("0........:2:%0", &r, E));
	cr_assert_eq(r.timeout, 2);
	cr_assert_str_eq(r.rewrite, "%0");
	ACCEPTED(cfg_dialrule_parse(":0:300", &r, E));          /* hotline */
	ACCEPTED(cfg_dialrule_parse("\\*7.:1", &r, E));
	ACCEPTED(cfg_dialrule_parse("9,.*:3", &r, E));
	REFUSED(cfg_dialrule_parse(":0", &r, E), "an empty match (a hotline) needs a rewrite");
	REFUSED(cfg_dialrule_parse("9x.", &r, E), "dial rule match: character 'x'");
	REFUSED(cfg_dialrule_parse("9\\1", &r, E), "'\\' must be followed by '*'");
	REFUSED(cfg_dialrule_parse("9.:61", &r, E), "is not a number in 0–60");
	REFUSED(cfg_dialrule_parse("9.:-1", &r, E), "is not a number");
	REFUSED(cfg_dialrule_parse("9.:abc", &r, E), "is not a number");
	REFUSED(cfg_dialrule_parse("9.:2:%9", &r, E), "'%' must be followed by 0-5");
	REFUSED(cfg_dialrule_parse("9.:2:1<2", &r, E), "rewrite: character '<'");
	REFUSED(cfg_dialrule_parse("123456789012345678901234567890123456789012345678", &r, E),
	        "longer than 47");
}

Test(named, softkeys_and_policies)
{
	struct cfg_softkeys k;
	struct cfg_fpolicy f;

	cfg_softkeys_init(&k, "office");
	ACCEPTED(cfg_softkeys_set(&k, "on-hook=Redial,newcall,DND", E));
	cr_assert_eq(k.keys[0][0], 2, "Redial is the table's second key");
	cr_assert_eq(k.keys[0][2], 18, "DND");
	cr_assert_eq(k.keys[0][3], 0);
	ACCEPTED(cfg_softkeys_set(&k, "digits-after-first=<<,EndCall", E));
	ACCEPTED(cfg_softkeys_validate(&k, E));
	REFUSED(cfg_softkeys_set(&k, "idle=Redial", E), "unknown call state \"idle\"");
	REFUSED(cfg_softkeys_set(&k, "on-hook=Redial,Teleport", E), "unknown softkey \"Teleport\"");
	REFUSED(cfg_softkeys_set(&k, "on-hook=Redial,", E), "empty key after ','");
	REFUSED(cfg_softkeys_set(&k, "on-hook", E), "is not STATE=KEY");
	REFUSED(cfg_softkeys_set(&k, "on-hook=Redial,Redial,Redial,Redial,Redial,Redial,Redial,"
	                         "Redial,Redial,Redial,Redial,Redial,Redial,Redial,Redial,Redial,"
	                         "Redial", E), "at most 16 keys");
	ACCEPTED(cfg_softkeys_set(&k, "on-hook=", E));
	cr_assert_eq(k.keys[0][0], 0, "cleared");
	k.keys[1][0] = 0;
	k.keys[1][1] = 3;
	REFUSED(cfg_softkeys_validate(&k, E), "bad key list");

	cfg_fpolicy_init(&f, "office");
	ACCEPTED(cfg_fpolicy_set(&f, "Barge", 1, E));
	ACCEPTED(cfg_fpolicy_set(&f, "park", 0, E));
	cr_assert_eq(f.enabled[7], 1);
	cr_assert_eq(f.enabled[1], 0);
	cr_assert_eq(f.enabled[0], -1, "others at their default");
	REFUSED(cfg_fpolicy_set(&f, "teleport", 1, E), "unknown feature \"teleport\"");
	ACCEPTED(cfg_fpolicy_validate(&f, E));
	f.enabled[3] = 7;
	REFUSED(cfg_fpolicy_validate(&f, E), "is on, off or default");
	cfg_fpolicy_init(&f, "Bad Name");
	REFUSED(cfg_fpolicy_validate(&f, E), "feature policy name");
}

Test(filename, named_files_and_soft_clients)
{
	static const struct { const char *name; enum cfg_file_kind kind; const char *rec, *dev; }
	cases[] = {
		{ "dialplan-office.xml", CFG_FILE_DIALPLAN, "office", "" },
		{ "DialPlan-Office.XML", CFG_FILE_DIALPLAN, "office", "" },
		{ "softkeys-a_b-1.xml", CFG_FILE_SOFTKEYS, "a_b-1", "" },
		{ "featurepolicy-x.xml", CFG_FILE_FEATURE_POLICY, "x", "" },
		{ "dir/featurepolicy-x.xml", CFG_FILE_FEATURE_POLICY, "x", "" },
		{ "dialplan-.xml", CFG_FILE_PUBLIC, "", "" },
		{ "dialplan-a.b.xml", CFG_FILE_PUBLIC, "", "" },
		{ "dialplan-123456789012345678901234567890123.xml", CFG_FILE_PUBLIC, "", "" },
		{ "dialplan-office.xml.sgn", CFG_FILE_PUBLIC_SIGNED, "", "" },
		{ "CSFrado.cnf.xml", CFG_FILE_DEVICE_CONFIG, "", "CSFRADO" },
		{ "BOTJSMITH.cnf.xml.sgn", CFG_FILE_DEVICE_CONFIG_SIGNED, "", "BOTJSMITH" },
		{ "tctj.smith.cnf.xml", CFG_FILE_DEVICE_CONFIG, "", "TCTJ.SMITH" },
		{ "TABX.cnf.xml.enc.sgn", CFG_FILE_DEVICE_CONFIG_ENC, "", "TABX" },
		{ "CSF.cnf.xml", CFG_FILE_PUBLIC, "", "" },
		{ "CSFTOOLONGNAME12.cnf.xml", CFG_FILE_PUBLIC, "", "" },
		{ "jabber-config.xml", CFG_FILE_PUBLIC, "", "" },
	};
	char buf[CFG_NAMED_FILE_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg_file f;
		size_t len = strlen(cases[i].name);
		char *copy = malloc(len);
		memcpy(copy, cases[i].name, len);
		cr_assert_eq(cfg_file_classify(copy, len, &f), cases[i].kind, "%s: %s",
		             cases[i].name, cfg_file_kind_name(f.kind));
		cr_assert_str_eq(f.record, cases[i].rec, "%s", cases[i].name);
		cr_assert_str_eq(f.device, cases[i].dev, "%s", cases[i].name);
		free(copy);
	}
	cr_assert_eq(cfg_named_file(CFG_FILE_SOFTKEYS, "office", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "softkeys-office.xml");
	cr_assert_eq(cfg_named_file(CFG_FILE_SOFTKEYS, "Office", buf, sizeof(buf)), -1);
	cr_assert_eq(cfg_named_file(CFG_FILE_DEVICE_CONFIG, "office", buf, sizeof(buf)), -1);
	cr_assert_eq(cfg_named_file(CFG_FILE_DIALPLAN, "office", buf, 10), -1);
	cr_assert_str_eq(cfg_file_kind_name(CFG_FILE_FEATURE_POLICY), "feature-policy");
}

/* ---- what a registering device reports ------------------------------------------------- */
Test(reported, load_from_reason_or_user_agent)
{
	/* The Reason of a published Jabber REGISTER. */
	static const char jabber[] = "SIP;cause=200;text=\"cisco-alarm:111 Name=CSFrado "
		"ActiveLoad=Jabber_for_Windows-12.8.0.51973 InactiveLoad=Jabber_for_Windows-12.8.0.51973 "
		"Last=Application-Requested-Destroy\"";
	static const char inactive_only[] = "SIP;text=\"InactiveLoad=old ActiveLoad=\"";
	char out[CFG_LOAD_MAX];
	char big[600];

	cr_assert_eq(cfg_reported_load(jabber, strlen(jabber), "Cisco-CSF", 9, out), 0);
	cr_assert_str_eq(out, "Jabber_for_Windows-12.8.0.51973");
	cr_assert_eq(cfg_reported_load(NULL, 0, "Cisco-CP8845/14.2.1 extra", 25, out), 0);
	cr_assert_str_eq(out, "Cisco-CP8845/14.2.1");
	cr_assert_eq(cfg_reported_load(inactive_only, strlen(inactive_only), NULL, 0, out), -1,
	             "InactiveLoad is not the active one, and an empty value is none");
	cr_assert_str_eq(out, "");
	cr_assert_eq(cfg_reported_load("ActiveLoad=x<y", 14, NULL, 0, out), 0);
	cr_assert_str_eq(out, "x", "stops at a character loads are not made of");
	/* Exactly len bytes: the value is cut at the buffer's end. */
	cr_assert_eq(cfg_reported_load("ActiveLoad=abcdef", 14, NULL, 0, out), 0);
	cr_assert_str_eq(out, "abc");
	memset(big, 'a', sizeof(big));
	memcpy(big, "ActiveLoad=", 11);
	cr_assert_eq(cfg_reported_load(big, sizeof(big), NULL, 0, out), 0);
	cr_assert_eq(strlen(out), CFG_LOAD_MAX - 1, "bounded by CFG_LOAD_MAX");
	cr_assert_eq(cfg_reported_load(NULL, 0, NULL, 0, out), -1);
	cr_assert_eq(cfg_reported_load("", 0, " ", 1, out), -1);
}

/* ---- golden files per model family -------------------------------------------------------
 * One device of each family with overrides of its own and of its profile;
 * tests/smoke/configgen-xmllint.sh validates every golden file against
 * tests/data/configgen/device.xsd (the element order of the reference
 * configs) with xmllint. */
static void
family_dev(struct world *w, struct cfg_device *d, const char *name, const char *model)
{
	*d = w->oauth_dev;
	cfg_device_name_parse(name, strlen(name), d->name);
	snprintf(d->model, sizeof(d->model), "%s", model);
	d->load[0] = '\0';                      /* the model's default, if any */
	d->allow_activation_code_mra = 0;
	d->mra_domain[0] = '\0';
}

static char *
family_golden(struct world *w, const struct cfg_device *d, const struct cfg_profile *p,
              uint32_t shared, const char *file)
{
	struct cfg_render_ctx c = ctx_for(w, d, p, &w->pool);
	char err[ERRLEN] = "";
	char *xml;

	cr_assert_eq(cfg_device_validate(d, p, err, sizeof(err)), 0, "%s: %s", file, err);
	c.shared_lines = shared;
	xml = render(&c, NULL);
	golden(file, xml);
	return xml;
}

Test(render, family_78xx_golden)
{
	struct world w;
	struct cfg_device d;
	char err[ERRLEN] = "";
	xmlDocPtr doc;
	char *xml;

	world_init(&w);
	family_dev(&w, &d, "SEP0011223344A7", "7841");
	cr_assert_eq(cfg_vendor_set(&d.vendor, CFG_FAMILY_78XX, "web-access", "on", err,
	                            sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg_vendor_set(&w.oauth_profile.vendor, CFG_FAMILY_ANY, "pc-port", "off",
	                            err, sizeof(err)), 0, "%s", err);
	xml = family_golden(&w, &d, &w.oauth_profile, 0, "SEP0011223344A7.cnf.xml");
	doc = parse(xml);
	/* 78xx: web and SSH access in <commonConfig>, the rest in <vendorConfig>;
	 * device over profile over the safe default. */
	assert_xp(doc, "/device/commonConfig/webAccess", "0");
	assert_xp(doc, "/device/commonConfig/sshAccess", "1");
	assert_xp(doc, "/device/vendorConfig/pcPort", "1");
	assert_xp(doc, "/device/vendorConfig/settingsAccess", "1");
	cr_assert_null(xp(doc, "/device/vendorConfig/webAccess"));
	assert_xp(doc, "/device/loadInformation", "");
	xmlFreeDoc(doc);
	free(xml);
}

Test(render, family_88xx_golden)
{
	struct world w;
	struct cfg_device d;
	char err[ERRLEN] = "";
	xmlDocPtr doc;
	char *xml;

	world_init(&w);
	family_dev(&w, &d, "SEP001122334488", "8865");
	d.kem_count = 2;
	snprintf(d.kem_type, sizeof(d.kem_type), "%s", "8865");
	snprintf(d.dialplan, sizeof(d.dialplan), "%s", "emea");
	snprintf(d.softkeys, sizeof(d.softkeys), "%s", "standard");
	snprintf(d.feature_policy, sizeof(d.feature_policy), "%s", "no-video");
	cr_assert_eq(cfg_vendor_set(&d.vendor, CFG_FAMILY_88XX, "wifi", "off", err,
	                            sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg_vendor_set(&d.vendor, CFG_FAMILY_88XX, "ssh-access", "on", err,
	                            sizeof(err)), 0, "%s", err);
	/* line 2's number is on another device too */
	xml = family_golden(&w, &d, &w.oauth_profile, 2u, "SEP001122334488.cnf.xml");
	doc = parse(xml);
	assert_xp(doc, "/device/vendorConfig/webAccess", "1");
	assert_xp(doc, "/device/vendorConfig/sshAccess", "0");
	assert_xp(doc, "/device/vendorConfig/wifi", "0");
	assert_xp(doc, "//sipLines/line[@button='1']/sharedLine", "false");
	assert_xp(doc, "//sipLines/line[@button='2']/sharedLine", "true");
	assert_xp(doc, "/device/sipProfile/dialTemplate", "dialplan-emea.xml");
	assert_xp(doc, "/device/sipProfile/softKeyFile", "softkeys-standard.xml");
	assert_xp(doc, "/device/featurePolicyFile", "featurepolicy-no-video.xml");
	assert_xp(doc, "/device/addOnModules/addOnModule[@idx='2']/deviceType",
	          "Cisco IP Phone 8865 Key Expansion Module");
	cr_assert_null(xp(doc, "/device/addOnModules/addOnModule[@idx='3']"));
	/* the model's default load (world loads: 8845 only), none for 8865 */
	assert_xp(doc, "/device/loadInformation", "");
	xmlFreeDoc(doc);
	free(xml);
}

Test(render, family_99xx_golden)
{
	struct world w;
	struct cfg_device d;
	char err[ERRLEN] = "";
	xmlDocPtr doc;
	char *xml;

	world_init(&w);
	family_dev(&w, &d, "SEP001122334499", "9971");
	snprintf(d.profile, sizeof(d.profile), "%s", w.legacy_profile.name);
	d.require_activation_code = 0;
	cr_assert_eq(cfg_vendor_set(&d.vendor, CFG_FAMILY_99XX, "video", "on", err,
	                            sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg_vendor_set(&d.vendor, CFG_FAMILY_99XX, "settings-access",
	                            "restricted", err, sizeof(err)), 0, "%s", err);
	xml = family_golden(&w, &d, &w.legacy_profile, 0, "SEP001122334499.cnf.xml");
	doc = parse(xml);
	assert_xp(doc, "/device/vendorConfig/videoCapability", "1");
	assert_xp(doc, "/device/vendorConfig/settingsAccess", "2");
	assert_xp(doc, "/device/sipOAuthMode", "0");
	xmlFreeDoc(doc);
	free(xml);
}

/* Soft clients: one golden file per device type.  The profile gives every
 * soft client a group config file and analytics off; CSFALICE overrides
 * the file and turns video off; BOTALICE keeps the profile's; TCTALICE is
 * on a profile without settings (nothing written: no defaults); TABALICE
 * turns video and analytics on.  A phone on the same profile gets none of
 * the soft-client elements. */
static void
soft_profile(struct world *w)
{
	char err[ERRLEN] = "";

	cr_assert_eq(cfg_vendor_set(&w->oauth_profile.vendor, CFG_FAMILY_ANY, "config-file",
	                            "jabber-all.xml", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg_vendor_set(&w->oauth_profile.vendor, CFG_FAMILY_ANY, "analytics",
	                            "off", err, sizeof(err)), 0, "%s", err);
}

static xmlDocPtr
soft_golden(struct world *w, const char *name, const char *model, const char *const *set,
            const struct cfg_profile *p, char **xml)
{
	struct cfg_device d;
	char file[64], err[ERRLEN] = "";

	family_dev(w, &d, name, model);
	d.require_activation_code = 0;
	for (size_t i = 0; set != NULL && set[i] != NULL; i += 2)
		cr_assert_eq(cfg_vendor_set(&d.vendor, CFG_FAMILY_SOFT, set[i], set[i + 1], err,
		                            sizeof(err)), 0, "%s", err);
	snprintf(file, sizeof(file), "%s.cnf.xml", d.name);
	*xml = family_golden(w, &d, p, 0, file);
	return parse(*xml);
}

Test(render, family_soft_client_golden)
{
	static const char *const set[] = { "video", "off", "config-file", "jabber-sales.xml",
	                                   "extend-and-connect", "off", NULL };
	struct world w;
	xmlDocPtr doc;
	char *xml;
	const char *v, *a, *c;

	world_init(&w);
	soft_profile(&w);
	doc = soft_golden(&w, "CSFALICE", "CSF", set, &w.oauth_profile, &xml);
	assert_xp(doc, "/device/sipOAuthMode", "1");
	assert_xp(doc, "//member[@priority='0']/callManager/ports/sipOAuthPort", "5090");
	assert_xp(doc, "//member[@priority='0']/callManager/ports/sipMRAOAuthPort", "5091");
	assert_xp(doc, "//sipLines/line[@button='1']/port", "5090");
	assert_xp(doc, "//sipLines/line[@button='1']/authName", "");
	/* device over profile, profile over (no) default */
	assert_xp(doc, "/device/vendorConfig/videoCapability", "0");
	assert_xp(doc, "/device/vendorConfig/analyticsCollection", "0");
	assert_xp(doc, "/device/vendorConfig/ciscoSupportField",
	          "configurationFile=jabber-sales.xml");
	cr_assert_null(xp(doc, "/device/commonConfig"));
	cr_assert_null(xp(doc, "/device/phoneServices"), "no phone applications for Jabber");
	cr_assert_null(xp(doc, "/device/vendorConfig/webAccess"));
	/* Extend and Connect inside its section element */
	assert_xp(doc, "/device/vendorConfig/desktopClient/extendAndConnectCapability", "0");
	cr_assert_null(xp(doc, "/device/vendorConfig/extendAndConnectCapability"));
	/* the order the provisioning-API vendorConfig has them in, the section
	 * last */
	v = strstr(xml, "<videoCapability>");
	a = strstr(xml, "<analyticsCollection>");
	c = strstr(xml, "<ciscoSupportField>");
	cr_assert(v != NULL && a != NULL && c != NULL && v < a && a < c);
	cr_assert_not_null(strstr(xml, "</ciscoSupportField>\n    <desktopClient>\n      "
	                          "<extendAndConnectCapability>0</extendAndConnectCapability>\n"
	                          "    </desktopClient>\n  </vendorConfig>"));
	xmlFreeDoc(doc);
	free(xml);
}

Test(render, family_soft_bot_tct_tab_golden)
{
	static const char *const tab[] = { "video", "on", "analytics", "on", NULL };
	struct world w;
	xmlDocPtr doc;
	char *xml;

	world_init(&w);
	soft_profile(&w);
	doc = soft_golden(&w, "BOTALICE", "BOT", NULL, &w.oauth_profile, &xml);
	assert_xp(doc, "/device/vendorConfig/ciscoSupportField",
	          "configurationFile=jabber-all.xml");
	assert_xp(doc, "/device/vendorConfig/analyticsCollection", "0");
	cr_assert_null(xp(doc, "/device/vendorConfig/videoCapability"), "no default");
	cr_assert_null(xp(doc, "/device/vendorConfig/desktopClient"),
	               "no section element without a setting in it");
	xmlFreeDoc(doc);
	free(xml);

	world_init(&w);                         /* a profile without settings */
	doc = soft_golden(&w, "TCTALICE", "TCT", NULL, &w.oauth_profile, &xml);
	assert_xp(doc, "/device/vendorConfig", "");
	cr_assert_not_null(strstr(xml, "<vendorConfig></vendorConfig>"));
	assert_xp(doc, "/device/sipOAuthMode", "1");
	xmlFreeDoc(doc);
	free(xml);

	world_init(&w);
	soft_profile(&w);
	doc = soft_golden(&w, "TABALICE", "TAB", tab, &w.oauth_profile, &xml);
	assert_xp(doc, "/device/vendorConfig/videoCapability", "1");
	assert_xp(doc, "/device/vendorConfig/analyticsCollection", "1");
	assert_xp(doc, "/device/vendorConfig/ciscoSupportField",
	          "configurationFile=jabber-all.xml");
	xmlFreeDoc(doc);
	free(xml);
}

Test(render, soft_client_settings_stay_off_phones)
{
	struct world w;
	struct cfg_device d;
	struct cfg_render_ctx c;
	xmlDocPtr doc;
	char *xml;

	world_init(&w);
	soft_profile(&w);
	d = w.oauth_dev;                                /* an 8845 on the same profile */
	c = ctx_for(&w, &d, &w.oauth_profile, &w.pool);
	xml = render(&c, NULL);
	cr_assert_null(strstr(xml, "ciscoSupportField"));
	cr_assert_null(strstr(xml, "analyticsCollection"));
	free(xml);
	/* a stored file name that slipped past the checks is not written */
	family_dev(&w, &d, "CSFALICE", "CSF");
	d.vendor.count = 1;
	snprintf(d.vendor.kv[0].key, CFG_VKEY_MAX, "%s", "config-file");
	snprintf(d.vendor.kv[0].value, CFG_VVAL_MAX, "%s", "a<b>.xml");
	c = ctx_for(&w, &d, &w.oauth_profile, &w.pool);
	xml = render(&c, NULL);
	doc = parse(xml);
	cr_assert_null(xp(doc, "/device/vendorConfig/ciscoSupportField"),
	               "the bad device value is dropped, not escaped");
	cr_assert_null(strstr(xml, "a&lt;b"));
	xmlFreeDoc(doc);
	free(xml);
	/* and a phone-only setting on a soft client is refused by validation */
	snprintf(d.vendor.kv[0].key, CFG_VKEY_MAX, "%s", "web-access");
	snprintf(d.vendor.kv[0].value, CFG_VVAL_MAX, "%s", "on");
	REFUSED(cfg_device_validate(&d, &w.oauth_profile, E),
	        "\"web-access\" is not a vendor setting of soft client models");
}

Test(render, named_files_golden)
{
	struct cfg_dialplan p;
	struct cfg_softkeys k;
	struct cfg_fpolicy f;
	struct cfg_output out;
	char err[ERRLEN] = "";

	cfg_dialplan_init(&p, "emea");
	snprintf(p.description, sizeof(p.description), "%s", "EMEA <offices>");
	ACCEPTED(cfg_dialrule_parse("0........:2", &p.rules[0], E));
	ACCEPTED(cfg_dialrule_parse("\\*7.:1", &p.rules[1], E));
	ACCEPTED(cfg_dialrule_parse("1...:0", &p.rules[2], E));
	p.count = 3;
	ACCEPTED(cfg_dialplan_validate(&p, E));
	cr_assert_eq(cfg_render_dialplan(&p, &out, err, sizeof(err)), 0, "%s", err);
	golden("dialplan-emea.xml", out.data);
	cfg_output_free(&out);

	cfg_softkeys_init(&k, "standard");
	ACCEPTED(cfg_softkeys_set(&k, "on-hook=Redial,NewCall,DND", E));
	ACCEPTED(cfg_softkeys_set(&k, "connected=Hold,EndCall,Transfer", E));
	cr_assert_eq(cfg_render_softkeys(&k, &out, err, sizeof(err)), 0, "%s", err);
	golden("softkeys-standard.xml", out.data);
	cfg_output_free(&out);

	cfg_fpolicy_init(&f, "no-video");
	ACCEPTED(cfg_fpolicy_set(&f, "park", 0, E));
	cr_assert_eq(cfg_render_fpolicy(&f, &out, err, sizeof(err)), 0, "%s", err);
	golden("featurepolicy-no-video.xml", out.data);
	cfg_output_free(&out);
}
