/*
 * render.c - SEP<MAC>.cnf.xml and XMLDefault.cnf.xml with libxml2's
 * xmlTextWriter, into one memory buffer per file.
 *
 * Element order follows the configs phones are known to read (cisco.md,
 * "SEP<MAC>.cnf.xml — the elements that matter").  Everything typed by an
 * administrator goes through text(): invalid UTF-8 and characters XML cannot
 * carry are dropped there, and libxml2 escapes the rest, so the output is
 * well-formed whatever the store holds.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "configgen/cfg_int.h"
#include "configgen/configgen.h"

/* First size of the output buffer: a two-line config is about 4 KiB, so most
 * renders never grow it. */
#define RENDER_BUF_INITIAL 8192
/* Longest text after "{host}" substitution in a URL. */
#define RENDER_URL_MAX     1024

/* The versionStamp is written with this placeholder, the whole file is
 * hashed, then the placeholder is overwritten with the hash.  Admin text can
 * never forge the marker: '<' is always escaped. */
#define STAMP_LEN          16
#define STAMP_PLACEHOLDER  "0000000000000000"
#define STAMP_MARK         "<versionStamp>" STAMP_PLACEHOLDER "</versionStamp>"

/* A writer whose first failure sticks, so the render functions read as the
 * file they produce and check once at the end. */
struct wr {
	xmlTextWriterPtr w;
	int failed;
};

static void
chk(struct wr *w, int rc)
{
	if (rc < 0)
		w->failed = 1;
}

static void
start(struct wr *w, const char *name)
{
	if (!w->failed)
		chk(w, xmlTextWriterStartElement(w->w, BAD_CAST name));
}

static void
end(struct wr *w)
{
	if (!w->failed)
		chk(w, xmlTextWriterEndElement(w->w));
}

static void
attr_uint(struct wr *w, const char *name, unsigned v)
{
	if (!w->failed)
		chk(w, xmlTextWriterWriteFormatAttribute(w->w, BAD_CAST name, "%u", v));
}

/* <name>text</name>; text is a record field of at most `size` bytes that may
 * lack its terminator. */
static void
text(struct wr *w, const char *name, const char *s, size_t size)
{
	char clean[RENDER_URL_MAX];

	if (w->failed)
		return;
	cfg_text_clean(clean, sizeof(clean), s ? s : "", cfg_field_len(s, size));
	chk(w, xmlTextWriterWriteElement(w->w, BAD_CAST name, BAD_CAST clean));
}

/* <name>value</name> for text oprov itself chose (constants, numbers): it
 * needs no escaping, and writing it raw spares libxml2 an escaped copy. */
static void
lit(struct wr *w, const char *name, const char *value)
{
	start(w, name);
	if (!w->failed && value[0] != '\0')
		chk(w, xmlTextWriterWriteRaw(w->w, BAD_CAST value));
	if (!w->failed)
		chk(w, xmlTextWriterFullEndElement(w->w));
}

static void
num(struct wr *w, const char *name, long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", v);
	lit(w, name, buf);
}

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
	/* One Olson name for both: timeZone traditionally carries a Windows-style
	 * name, but phones that know olsonTimeZone use it first (inference from
	 * published configs); an unknown timeZone text is ignored by them. */
	text(w, "timeZone", tz, CFG_TZ_MAX);
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

static void
sip_line(struct wr *w, const struct cfg_line *l, unsigned index, unsigned port,
         int oauth)
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
	text(w, "contact", l->dn, sizeof(l->dn));
	/* OAuth devices prove themselves with tokens: no digest credentials, ever.
	 * Legacy devices get their number as digest user and no password (oprov
	 * stores none; legacy registration is the call-control system's job). */
	text(w, "authName", oauth ? "" : l->dn, sizeof(l->dn));
	lit(w, "authPassword", "");
	start(w, "autoAnswer");
	num(w, "autoAnswerEnabled", l->auto_answer ? 1 : 0);
	end(w);
	num(w, "callWaiting", l->call_waiting ? 1 : 0);
	lit(w, "sharedLine", "false");
	num(w, "messageWaitingLampPolicy", 1);
	lit(w, "messagesNumber", "");
	num(w, "maxNumCalls", (long)l->max_calls);
	num(w, "busyTrigger", (long)l->busy_trigger);
	end(w);
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
		sip_line(w, &d->lines[i], (unsigned)i + 1, port, pr->oauth);
	end(w);
	num(w, "voipControlPort", CFG_DEFAULT_SIP_PORT);
	lit(w, "dialTemplate", "dialplan.xml");
	lit(w, "softKeyFile", "");
	end(w);
}

/* 64-bit FNV-1a: a change detector over text the administrator controls, not
 * a security boundary, so a fast non-cryptographic hash is enough. */
static uint64_t
fnv1a64(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Moves the writer's buffer into *out.  Takes ownership of buf. */
static int
finish(xmlBufferPtr buf, struct cfg_output *out, char *err, size_t errlen)
{
	size_t len = (size_t)xmlBufferLength(buf);
	xmlChar *data = xmlBufferDetach(buf);

	xmlBufferFree(buf);
	if (data == NULL)
		return cfg_fail(err, errlen, "out of memory");
	out->data = (char *)data;
	out->len = len;
	return 0;
}

static int
begin(xmlBufferPtr *bufp, struct wr *w)
{
	*bufp = xmlBufferCreateSize(RENDER_BUF_INITIAL);
	/* Explicit, not the process-wide default: finish() hands the content
	 * to the caller with xmlBufferDetach, which needs content to be the
	 * start of the allocation (not true for XML_BUFFER_ALLOC_IO). */
	if (*bufp != NULL)
		xmlBufferSetAllocationScheme(*bufp, XML_BUFFER_ALLOC_DOUBLEIT);
	w->failed = 0;
	w->w = *bufp ? xmlNewTextWriterMemory(*bufp, 0) : NULL;
	if (w->w == NULL)
		return -1;
	chk(w, xmlTextWriterSetIndent(w->w, 1));
	chk(w, xmlTextWriterSetIndentString(w->w, BAD_CAST "  "));
	chk(w, xmlTextWriterStartDocument(w->w, "1.0", "UTF-8", NULL));
	return w->failed ? -1 : 0;
}

/* Frees what a failed render holds. */
static void
discard(xmlBufferPtr buf, struct wr *w)
{
	if (w->w != NULL)
		xmlFreeTextWriter(w->w);
	w->w = NULL;
	if (buf != NULL)
		xmlBufferFree(buf);
}

/* Ends the document and frees the writer (which flushes into buf). */
static int
close_writer(struct wr *w)
{
	if (!w->failed)
		chk(w, xmlTextWriterEndDocument(w->w));
	xmlFreeTextWriter(w->w);
	w->w = NULL;
	return w->failed ? -1 : 0;
}

int
cfg_render_device(const struct cfg_render_ctx *ctx, struct cfg_output *out,
                  char *err, size_t errlen)
{
	static const char hex[] = "0123456789ABCDEF";
	const struct cfg_device *d;
	const struct cfg_profile *pr;
	xmlBufferPtr buf = NULL;
	struct wr w = { NULL, 0 };
	const char *owner;
	char *mark;
	uint64_t h;
	int sip_oauth;

	memset(out, 0, sizeof(*out));
	if (ctx == NULL || ctx->device == NULL || ctx->profile == NULL || ctx->params == NULL)
		return cfg_fail(err, errlen, "render: device, profile and parameters are required");
	d = ctx->device;
	pr = ctx->profile;
	owner = d->owner;
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
	start(&w, "commonProfile");
	lit(&w, "phonePassword", "");
	end(&w);
	text(&w, "loadInformation", d->load, sizeof(d->load));
	lit(&w, "vendorConfig", "");
	lit(&w, "versionStamp", STAMP_PLACEHOLDER);
	start(&w, "userLocale");
	text(&w, "name", ctx->params->user_locale, sizeof(ctx->params->user_locale));
	text(&w, "langCode", ctx->params->lang_code, sizeof(ctx->params->lang_code));
	end(&w);
	text(&w, "networkLocale", ctx->params->network_locale,
	     sizeof(ctx->params->network_locale));
	urls(&w, ctx);
	num(&w, "deviceSecurityMode", (long)pr->mode);
	num(&w, "transportLayerProtocol", (long)pr->transport);
	num(&w, "capfAuthMode", 0);
	lit(&w, "certHash", "");
	lit(&w, "encrConfig", "false");
	num(&w, "TLSResumptionTimer", 3600);
	text(&w, "userId", owner, sizeof(d->owner));
	text(&w, "ownerId", owner, sizeof(d->owner));
	num(&w, "sipOAuthMode", sip_oauth ? 1 : 0);
	end(&w);
	if (close_writer(&w) < 0)
		goto fail;

	mark = strstr((char *)xmlBufferContent(buf), STAMP_MARK);
	if (mark == NULL)
		goto fail;
	h = fnv1a64(xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
	mark += strlen("<versionStamp>");
	for (int i = 0; i < STAMP_LEN; i++)
		out->version[i] = hex[(h >> (60 - 4 * i)) & 0xf];
	out->version[STAMP_LEN] = '\0';
	memcpy(mark, out->version, STAMP_LEN);
	return finish(buf, out, err, errlen);
fail:
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
