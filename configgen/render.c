/*
 * render.c - SEP<MAC>.cnf.xml and XMLDefault.cnf.xml with libxml2's
 * xmlTextWriter, into one memory buffer per file.
 *
 * Element order follows the configs the call-control system generates
 * (cisco.md, "SEP<MAC>.cnf.xml — the elements that matter", and a published
 * config it generated for a 7821); the elements a family does not use are
 * left out, never reordered.  tests/data/configgen/schema/ holds that order
 * as RELAX NG, and tests/smoke/configgen-xmllint.sh checks the golden files
 * against it.  Everything typed by an
 * administrator goes through text(): invalid UTF-8 and characters XML cannot
 * carry are dropped there, and libxml2 escapes the rest, so the output is
 * well-formed whatever the store holds.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configgen/cfg_xml.h"

/* A URL parameter with every "{host}" replaced by the file server's name.
 * Without a file server such a URL is left out (empty element) rather than
 * pointing phones at "http:///...". */
static void
url(struct wr *w, const char *name, const char *tmpl, size_t size, const char *host)
{
	char out[RENDER_URL_MAX];
	size_t len = cfg_field_len(tmpl, size), o = 0;
	size_t hlen = host ? strlen(host) : 0;

	for (size_t i = 0; i < len; ) {
		if (len - i >= 6 && memcmp(tmpl + i, "{host}", 6) == 0) {
			if (hlen == 0 || o + hlen >= sizeof(out)) {
				o = 0;
				break;
			}
			memcpy(out + o, host, hlen);
			o += hlen;
			i += 6;
			continue;
		}
		if (o + 1 >= sizeof(out)) {
			o = 0;
			break;
		}
		out[o++] = tmpl[i++];
	}
	out[o] = '\0';
	text(w, name, out, sizeof(out));
}

static void
urls(struct wr *w, const struct cfg_render_ctx *ctx)
{
	const struct cfg_params *p = ctx->params;

	url(w, "authenticationURL", p->authentication_url, sizeof(p->authentication_url),
	    ctx->file_server);
	url(w, "directoryURL", p->directory_url, sizeof(p->directory_url), ctx->file_server);
	url(w, "servicesURL", p->services_url, sizeof(p->services_url), ctx->file_server);
}

/* The HTTPS variants, after the plain ones as the generated configs have
 * them (device configs only). */
static void
secure_urls(struct wr *w, const struct cfg_render_ctx *ctx)
{
	const struct cfg_params *p = ctx->params;

	url(w, "secureAuthenticationURL", p->secure_authentication_url,
	    sizeof(p->secure_authentication_url), ctx->file_server);
	url(w, "secureDirectoryURL", p->secure_directory_url,
	    sizeof(p->secure_directory_url), ctx->file_server);
	url(w, "secureServicesURL", p->secure_services_url,
	    sizeof(p->secure_services_url), ctx->file_server);
}

/* callManagerGroup: the pool's node group, highest priority first. */
static void
node_group(struct wr *w, const struct cfg_render_ctx *ctx, const char *group_name)
{
	size_t n = ctx->nodes == NULL ? 0 : ctx->node_count;

	if (n > CFG_GROUP_MAX)
		n = CFG_GROUP_MAX;
	start(w, "callManagerGroup");
	if (group_name != NULL) {
		text(w, "name", group_name, CFG_NAME_MAX);
		lit(w, "tftpDefault", "true");
	}
	start(w, "members");
	for (size_t i = 0; i < n; i++) {
		const struct cfg_node *nd = &ctx->nodes[i];
		start(w, "member");
		attr_uint(w, "priority", (unsigned)i);
		start(w, "callManager");
		text(w, "name", nd->name, sizeof(nd->name));
		text(w, "description", nd->description, sizeof(nd->description));
		start(w, "ports");
		num(w, "ethernetPhonePort", nd->phone_port);
		num(w, "sipPort", nd->sip_port);
		num(w, "securedSipPort", nd->secured_sip_port);
		num(w, "sipOAuthPort", nd->sip_oauth_port);
		num(w, "sipMRAOAuthPort", nd->sip_mra_oauth_port);
		end(w);
		text(w, "processNodeName", nd->host, sizeof(nd->host));
		end(w);
		end(w);
	}
	end(w);
	end(w);
}

static void
device_pool(struct wr *w, const struct cfg_render_ctx *ctx)
{
	const struct cfg_pool *pool = ctx->pool;
	const struct cfg_params *p = ctx->params;
	const char *name = pool ? pool->name : "Default";
	const char *tz = p->time_zone, *tmpl = p->date_template;
	const struct cfg_tz *zone;
	size_t ntp = 0;

	if (pool != NULL) {
		if (pool->time_zone[0] != '\0')
			tz = pool->time_zone;
		if (pool->date_template[0] != '\0')
			tmpl = pool->date_template;
		ntp = pool->ntp_count > CFG_NTP_MAX ? CFG_NTP_MAX : pool->ntp_count;
	}
	start(w, "devicePool");
	text(w, "name", name, CFG_NAME_MAX);
	start(w, "dateTimeSetting");
	text(w, "name", name, CFG_NAME_MAX);
	text(w, "dateTemplate", tmpl, CFG_DATE_TMPL_MAX);
	/* timeZone carries the vendor's name for the zone, olsonTimeZone the
	 * Olson id (phones that know it use it first: inference from
	 * published configs).  A zone the table lacks (stored before pools
	 * were checked against it) keeps its Olson id in both. */
	zone = cfg_tz_find(tz);
	text(w, "timeZone", zone ? zone->vendor : tz, CFG_TZ_MAX);
	text(w, "olsonTimeZone", tz, CFG_TZ_MAX);
	start(w, "ntps");
	for (size_t i = 0; i < ntp; i++) {
		start(w, "ntp");
		text(w, "name", pool->ntp[i], sizeof(pool->ntp[i]));
		lit(w, "ntpMode", "Unicast");
		end(w);
	}
	end(w);
	end(w);
	node_group(w, ctx, name);
	end(w);
}

/* The contact a line registers with: its number, or for a line shared with
 * other devices its number and this device's name, so each device sharing
 * the line holds a binding of its own. */
static void
line_contact(struct wr *w, const struct cfg_line *l, const char *device, int shared)
{
	char contact[CFG_DN_MAX + CFG_DEVNAME_MAX + 1];
	size_t n = cfg_field_len(l->dn, sizeof(l->dn));

	if (!shared) {
		text(w, "contact", l->dn, sizeof(l->dn));
		return;
	}
	snprintf(contact, sizeof(contact), "%.*s-%.*s", (int)n, l->dn,
	         (int)cfg_field_len(device, CFG_DEVNAME_MAX), device);
	text(w, "contact", contact, sizeof(contact));
}

static void
sip_line(struct wr *w, const struct cfg_line *l, unsigned index, unsigned port,
         int oauth, const char *device, int shared)
{
	start(w, "line");
	attr_uint(w, "button", l->button);
	attr_uint(w, "lineIndex", index);
	num(w, "featureID", 9);
	text(w, "featureLabel", l->label, sizeof(l->label));
	lit(w, "proxy", "USECALLMANAGER");
	num(w, "port", (long)port);
	text(w, "name", l->dn, sizeof(l->dn));
	text(w, "displayName", l->display_name, sizeof(l->display_name));
	start(w, "autoAnswer");
	num(w, "autoAnswerEnabled", l->auto_answer ? 1 : 0);
	end(w);
	num(w, "callWaiting", l->call_waiting ? 1 : 0);
	/* OAuth devices prove themselves with tokens: no digest credentials, ever.
	 * Legacy devices get their number as digest user and no password (oprov
	 * stores none; legacy registration is the call-control system's job). */
	text(w, "authName", oauth ? "" : l->dn, sizeof(l->dn));
	lit(w, "authPassword", "");
	lit(w, "sharedLine", shared ? "true" : "false");
	num(w, "messageWaitingLampPolicy", 1);
	lit(w, "messagesNumber", "");
	line_contact(w, l, device, shared);
	num(w, "maxNumCalls", (long)l->max_calls);
	num(w, "busyTrigger", (long)l->busy_trigger);
	end(w);
}

/* <NAME>file</NAME> for a named record, empty without one. */
static void
named_file(struct wr *w, const char *element, enum cfg_file_kind kind,
           const char *rec, size_t size)
{
	char file[CFG_NAMED_FILE_MAX], name[CFG_RECNAME_MAX];
	size_t n = cfg_field_len(rec, size);

	if (n >= sizeof(name))
		n = 0;
	memcpy(name, rec, n);
	name[n] = '\0';
	if (n == 0 || cfg_named_file(kind, name, file, sizeof(file)) < 0)
		file[0] = '\0';
	lit(w, element, file);
}

static void
sip_profile(struct wr *w, const struct cfg_render_ctx *ctx, int sip_oauth)
{
	const struct cfg_device *d = ctx->device;
	const struct cfg_profile *pr = ctx->profile;
	const struct cfg_node *first = ctx->nodes && ctx->node_count ? &ctx->nodes[0] : NULL;
	size_t nlines = d->line_count > CFG_LINES_MAX ? CFG_LINES_MAX : d->line_count;
	unsigned port;

	/* The port each line registers to on its primary node. */
	if (sip_oauth)
		port = first ? first->sip_oauth_port : CFG_DEFAULT_SIP_OAUTH_PORT;
	else if (pr->transport == CFG_TRANSPORT_TLS)
		port = first ? first->secured_sip_port : CFG_DEFAULT_SECURED_SIP_PORT;
	else
		port = first ? first->sip_port : CFG_DEFAULT_SIP_PORT;

	start(w, "sipProfile");
	start(w, "sipProxies");
	lit(w, "registerWithProxy", "true");
	end(w);
	start(w, "sipStack");
	num(w, "timerRegisterExpires", 3600);
	end(w);
	num(w, "startMediaPort", 16384);
	num(w, "stopMediaPort", 32766);
	start(w, "sipLines");
	for (size_t i = 0; i < nlines; i++)
		sip_line(w, &d->lines[i], (unsigned)i + 1, port, pr->oauth, d->name,
		         (ctx->shared_lines >> i) & 1);
	end(w);
	num(w, "voipControlPort", CFG_DEFAULT_SIP_PORT);
	named_file(w, "dialTemplate", CFG_FILE_DIALPLAN, d->dialplan, sizeof(d->dialplan));
	named_file(w, "softKeyFile", CFG_FILE_SOFTKEYS, d->softkeys, sizeof(d->softkeys));
	end(w);
}

/* The effective word of vendor setting k: the device's, else its profile's,
 * else the schema default (NULL: not written). */
static const char *
vendor_word(const struct cfg_vendor_key *k, const struct cfg_device *d,
            const struct cfg_profile *pr)
{
	const char *v = cfg_vendor_get(&d->vendor, k->key);

	if (v == NULL)
		v = cfg_vendor_get(&pr->vendor, k->key);
	return v != NULL ? v : k->def;
}

/* A free-valued setting (no words) whose check accepts the stored value:
 * its prefix and the value. */
static void
vendor_free(struct wr *w, const struct cfg_vendor_key *k, const char *v)
{
	char out[RENDER_VENDOR_MAX];

	snprintf(out, sizeof(out), "%s%.*s", k->prefix ? k->prefix : "",
	         (int)cfg_field_len(v, CFG_VVAL_MAX), v);
	text(w, k->element, out, sizeof(out));
}

/* The element text of setting k for word v, or NULL when v is none of its
 * words (a stored value that slipped past validation). */
static const char *
vendor_xml(const struct cfg_vendor_key *k, const char *v)
{
	for (int j = 0; k->words[j] != NULL; j++)
		if (strcmp(k->words[j], v) == 0)
			return k->xml[j];
	return NULL;
}

/* One of the two sections, with the family's settings that belong to it;
 * a group element is opened before the first of its settings written and
 * closed after the last one (the schema keeps a group's settings
 * adjacent). */
static void
vendor_section(struct wr *w, const char *element, enum cfg_vsection sec,
               const struct cfg_vendor_key *k, size_t n,
               const struct cfg_device *d, const struct cfg_profile *pr)
{
	const char *group = NULL;               /* the group element open */

	start(w, element);
	for (size_t i = 0; i < n; i++) {
		const char *v = k[i].section == sec ? vendor_word(&k[i], d, pr) : NULL;
		const char *x = v != NULL && k[i].words != NULL ? vendor_xml(&k[i], v) : NULL;
		int writes = x != NULL || (v != NULL && k[i].words == NULL &&
		                           k[i].check != NULL && k[i].check(v, NULL, 0) == 0);

		if (!writes)
			continue;
		if (group != NULL && (k[i].group == NULL || strcmp(group, k[i].group) != 0)) {
			end(w);
			group = NULL;
		}
		if (k[i].group != NULL && group == NULL)
			start(w, group = k[i].group);
		if (x != NULL)
			lit(w, k[i].element, x);
		else
			vendor_free(w, &k[i], v);
	}
	if (group != NULL)
		end(w);
	if (!w->failed)
		chk(w, xmlTextWriterFullEndElement(w->w));
}

/* <vendorConfig>, and <commonConfig> for a family that has settings there. */
static void
vendor_config(struct wr *w, const struct cfg_render_ctx *ctx, enum cfg_family fam)
{
	size_t n;
	const struct cfg_vendor_key *k = cfg_vendor_schema(fam, &n);
	int common = 0;

	vendor_section(w, "vendorConfig", CFG_VS_VENDOR, k, n, ctx->device, ctx->profile);
	for (size_t i = 0; i < n; i++)
		common |= k[i].section == CFG_VS_COMMON;
	if (common)
		vendor_section(w, "commonConfig", CFG_VS_COMMON, k, n, ctx->device, ctx->profile);
}

/* Key expansion modules, numbered from 1; nothing without one. */
static void
add_on_modules(struct wr *w, const struct cfg_device *d)
{
	const struct cfg_kem_type *t;
	unsigned n = d->kem_count > CFG_KEM_MAX ? CFG_KEM_MAX : d->kem_count;
	char type[CFG_KEMTYPE_MAX];

	cfg_text_clean(type, sizeof(type), d->kem_type,
	               cfg_field_len(d->kem_type, sizeof(d->kem_type)));
	if (n == 0 || (t = cfg_kem_find(type)) == NULL)
		return;
	start(w, "addOnModules");
	for (unsigned i = 1; i <= n; i++) {
		start(w, "addOnModule");
		attr_uint(w, "idx", i);
		lit(w, "deviceType", t->product);
		end(w);
	}
	end(w);
}

/* The phone's built-in applications, as generated configs list them (type 2
 * is the voicemail application). */
static void
phone_services(struct wr *w)
{
	static const struct { unsigned type; const char *name, *url; } svc[] = {
		{ 1, "Missed Calls", "Application:Cisco/MissedCalls" },
		{ 2, "Voicemail", "Application:Cisco/Voicemail" },
		{ 1, "Received Calls", "Application:Cisco/ReceivedCalls" },
		{ 1, "Placed Calls", "Application:Cisco/PlacedCalls" },
		{ 1, "Personal Directory", "Application:Cisco/PersonalDirectory" },
		{ 1, "Corporate Directory", "Application:Cisco/CorporateDirectory" },
	};

	start(w, "phoneServices");
	if (!w->failed)
		chk(w, xmlTextWriterWriteAttribute(w->w, BAD_CAST "useHTTPS", BAD_CAST "true"));
	num(w, "provisioning", 0);
	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++) {
		start(w, "phoneService");
		attr_uint(w, "type", svc[i].type);
		attr_uint(w, "category", 0);
		lit(w, "name", svc[i].name);
		lit(w, "url", svc[i].url);
		lit(w, "vendor", "");
		lit(w, "version", "");
		end(w);
	}
	end(w);
}

const char *
cfg_device_load(const struct cfg_render_ctx *ctx)
{
	const struct cfg_device *d = ctx->device;

	if (d == NULL)
		return "";
	if (cfg_field_len(d->load, sizeof(d->load)) > 0)
		return d->load;
	for (size_t i = 0; ctx->loads != NULL && i < ctx->load_count; i++)
		if (strncmp(ctx->loads[i].model, d->model, sizeof(d->model)) == 0)
			return ctx->loads[i].load;
	return "";
}

/* From commonProfile to the versionStamp placeholder: firmware, modules,
 * vendor settings. */
static void
device_middle(struct wr *w, const struct cfg_render_ctx *ctx, enum cfg_family fam)
{
	const struct cfg_device *d = ctx->device;

	named_file(w, "featurePolicyFile", CFG_FILE_FEATURE_POLICY, d->feature_policy,
	           sizeof(d->feature_policy));
	start(w, "commonProfile");
	lit(w, "phonePassword", "");
	end(w);
	text(w, "loadInformation", cfg_device_load(ctx), CFG_LOAD_MAX);
	add_on_modules(w, d);
	vendor_config(w, ctx, fam);
	lit(w, "versionStamp", STAMP_PLACEHOLDER);
}

/* From userLocale to the end. */
static void
device_tail(struct wr *w, const struct cfg_render_ctx *ctx, enum cfg_family fam,
            int sip_oauth)
{
	const struct cfg_device *d = ctx->device;
	const struct cfg_profile *pr = ctx->profile;

	start(w, "userLocale");
	text(w, "name", ctx->params->user_locale, sizeof(ctx->params->user_locale));
	text(w, "langCode", ctx->params->lang_code, sizeof(ctx->params->lang_code));
	end(w);
	text(w, "networkLocale", ctx->params->network_locale,
	     sizeof(ctx->params->network_locale));
	num(w, "deviceSecurityMode", (long)pr->mode);
	urls(w, ctx);
	secure_urls(w, ctx);
	num(w, "transportLayerProtocol", (long)pr->transport);
	num(w, "capfAuthMode", 0);
	lit(w, "certHash", "");
	lit(w, "encrConfig", "false");
	num(w, "TLSResumptionTimer", 3600);
	text(w, "userId", d->owner, sizeof(d->owner));
	text(w, "ownerId", d->owner, sizeof(d->owner));
	if (fam != CFG_FAMILY_SOFT)
		phone_services(w);
	num(w, "sipOAuthMode", sip_oauth ? 1 : 0);
}

int
cfg_render_device(const struct cfg_render_ctx *ctx, struct cfg_output *out,
                  char *err, size_t errlen)
{
	const struct cfg_device *d;
	const struct cfg_profile *pr;
	const struct cfg_model *m;
	xmlBufferPtr buf = NULL;
	struct wr w = { NULL, 0 };
	enum cfg_family fam;
	int sip_oauth, buf_done = 0;

	memset(out, 0, sizeof(*out));
	if (ctx == NULL || ctx->device == NULL || ctx->profile == NULL || ctx->params == NULL)
		return cfg_fail(err, errlen, "render: device, profile and parameters are required");
	d = ctx->device;
	pr = ctx->profile;
	m = cfg_model_find(d->model);
	fam = m != NULL ? m->family : CFG_FAMILY_OTHER;
	/* sipOAuthMode only when both the cluster and the device's profile say
	 * so; the token gate on the config itself does not depend on this. */
	sip_oauth = ctx->cluster != NULL && ctx->cluster->sip_oauth_mode && pr->oauth;

	if (begin(&buf, &w) < 0)
		goto fail;
	start(&w, "device");
	lit(&w, "fullConfig", "true");
	lit(&w, "deviceProtocol", "SIP");
	lit(&w, "sshUserId", "");
	lit(&w, "sshPassword", "");
	num(&w, "ipAddressMode", 0);
	device_pool(&w, ctx);
	sip_profile(&w, ctx, sip_oauth);
	device_middle(&w, ctx, fam);
	device_tail(&w, ctx, fam, sip_oauth);
	end(&w);
	if (close_writer(&w) < 0)
		goto fail;
	buf_done = 1;                   /* stamp_finish owns buf from here */
	if (stamp_finish(buf, out, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	if (!buf_done)
		discard(buf, &w);
	return cfg_fail(err, errlen, "render of %.*s failed (out of memory?)",
	                (int)cfg_field_len(d->name, sizeof(d->name)), d->name);
}

int
cfg_render_default(const struct cfg_render_ctx *ctx, struct cfg_output *out,
                   char *err, size_t errlen)
{
	xmlBufferPtr buf = NULL;
	struct wr w = { NULL, 0 };
	size_t nmodels;
	const struct cfg_model *models = cfg_model_table(&nmodels);

	memset(out, 0, sizeof(*out));
	if (ctx == NULL || ctx->params == NULL)
		return cfg_fail(err, errlen, "render: parameters are required");
	if (begin(&buf, &w) < 0)
		goto fail;
	start(&w, "Default");
	node_group(&w, ctx, NULL);
	/* Model-table order, not input order, so the file depends only on the
	 * set of loads. */
	for (size_t m = 0; m < nmodels && ctx->loads != NULL; m++) {
		if (models[m].type_id == 0)
			continue;
		for (size_t i = 0; i < ctx->load_count; i++) {
			const struct cfg_load *ld = &ctx->loads[i];
			char el[32];
			if (strncmp(ld->model, models[m].name, sizeof(ld->model)) != 0)
				continue;
			snprintf(el, sizeof(el), "loadInformation%u", models[m].type_id);
			start(&w, el);
			if (!w.failed)
				chk(&w, xmlTextWriterWriteAttribute(w.w, BAD_CAST "model",
				                                    BAD_CAST models[m].product));
			if (!w.failed) {
				char clean[CFG_LOAD_MAX];
				cfg_text_clean(clean, sizeof(clean), ld->load,
				               cfg_field_len(ld->load, sizeof(ld->load)));
				chk(&w, xmlTextWriterWriteString(w.w, BAD_CAST clean));
			}
			end(&w);
			break;
		}
	}
	urls(&w, ctx);
	end(&w);
	if (close_writer(&w) < 0)
		goto fail;
	return finish(buf, out, err, errlen);
fail:
	discard(buf, &w);
	return cfg_fail(err, errlen, "render of XMLDefault.cnf.xml failed (out of memory?)");
}

void
cfg_output_free(struct cfg_output *out)
{
	if (out == NULL)
		return;
	if (out->data != NULL)
		xmlFree(out->data);
	out->data = NULL;
	out->len = 0;
	out->version[0] = '\0';
}
