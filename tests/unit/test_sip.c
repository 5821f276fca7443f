/*
 * test_sip.c - the SIP parser, stream framing and registrar core.
 * RFC 4475 cases come from tests/data/sip (rfc4475.list + NAME.sip).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sip/sip.h"
#include "sip/sip_int.h"

#ifndef SIP_TEST_DATA
#define SIP_TEST_DATA "tests/data/sip"
#endif

static char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", SIP_TEST_DATA, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ---- a fake authenticator --------------------------------------------------
 * "tok-SEPxxxxxxxxxxxx" is a valid token bound to that device; "expired" is
 * invalid; "mode-off" stands for cluster mode off. */
static void
fake_auth(void *arg, const struct sip_auth_query *q, struct sip_auth_answer *a)
{
	(void)arg;
	a->why = "test";
	snprintf(a->jti, sizeof(a->jti), "%s", "jti-1");
	if (q->mtls && q->peer != PEER_TRUSTED) {
		a->reason = POLICY_PEER_NOT_TRUSTED;
		return;
	}
	if (!q->token_present) {
		a->reason = POLICY_NO_TOKEN;
		return;
	}
	if (q->token_unreadable) {
		a->reason = POLICY_INVALID_TOKEN;
		return;
	}
	if (q->token_len == 8 && memcmp(q->token, "mode-off", 8) == 0) {
		a->reason = POLICY_PORT_MISMATCH;
		return;
	}
	if (q->token_len != 19 || memcmp(q->token, "tok-", 4) != 0) {
		a->reason = POLICY_INVALID_TOKEN;
		return;
	}
	if (q->device[0] == '\0') {
		/* As the daemon: no Contact names a device, the token does. */
		memcpy(a->device, q->token + 4, 15);
		a->device[15] = '\0';
		a->reason = POLICY_ALLOW;
		return;
	}
	if (strlen(q->device) != 15 || memcmp(q->token + 4, q->device, 15) != 0) {
		a->reason = POLICY_WRONG_DEVICE;
		return;
	}
	a->reason = POLICY_ALLOW;
}

static sip_registrar *
new_reg(void)
{
	struct sip_reg_config c;
	sip_registrar *r;

	sip_reg_config_init(&c);
	snprintf(c.host, sizeof(c.host), "%s", "node1.example.com");
	snprintf(c.authz_server, sizeof(c.authz_server), "%s",
	         "https://node1.example.com:8443/");
	r = sip_reg_new(&c, fake_auth, NULL);
	cr_assert_not_null(r);
	return r;
}

static int
handle(sip_registrar *r, const char *msg, size_t len, uint64_t conn,
       int64_t now, char *out)
{
	struct sip_conn_info ci = { .conn_id = conn, .peer = PEER_NONE,
	                            .peer_addr = "192.0.2.1" };
	size_t outlen;
	int status;

	sip_reg_handle(r, &ci, msg, msg + len, now, out, &outlen, &status);
	out[outlen] = '\0';
	return status;
}

/* ---- RFC 4475 ------------------------------------------------------------- */

Test(rfc4475, every_listed_message)
{
	size_t listlen, seen = 0;
	char *list = slurp("rfc4475.list", &listlen);
	char *save = NULL, *line;

	list[listlen] = '\0';
	for (line = strtok_r(list, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name, *verdict, *st, *save2 = NULL, file[80];
		long long status;
		int got;
		size_t len;
		char *msg, *copy;
		struct sip_msg m;
		struct sip_contact ct[SIP_CONTACTS_MAX];
		enum sip_parse_result pr;
		int parsed;
		sip_registrar *r;
		char *out;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		name = strtok_r(line, " \t", &save2);
		verdict = strtok_r(NULL, " \t", &save2);
		st = strtok_r(NULL, " \t", &save2);
		cr_assert(name && verdict && st);
		cr_assert_eq(num_parse_str(st, 0, 999, &status), 0);
		snprintf(file, sizeof(file), "%s.sip", name);
		msg = slurp(file, &len);
		/* exact-size copy: reads past the end would be caught by ASan */
		copy = malloc(len);
		memcpy(copy, msg, len);
		pr = sip_msg_parse(copy, copy + len, &m, NULL);
		parsed = pr == SIP_PARSE_OK;
		if (parsed && m.is_request && m.method == SIP_M_REGISTER)
			parsed = sip_contacts_parse(&m, ct, SIP_CONTACTS_MAX, NULL) >= 0;
		cr_expect_eq(parsed, strcmp(verdict, "parse") == 0,
		             "%s: expected %s", name, verdict);
		r = new_reg();
		out = malloc(SIP_RESP_MAX + 1);
		got = handle(r, copy, len, 1, 1000000, out);
		cr_expect_eq(got, status, "%s: status %d, expected %lld", name, got,
		             status);
		if (got != 0)
			cr_expect(strncmp(out, "SIP/2.0 ", 8) == 0, "%s: %s", name, out);
		sip_reg_free(r);
		free(out);
		free(copy);
		free(msg);
		seen++;
	}
	cr_assert_geq(seen, 30);
	free(list);
}

Test(rfc4475, wsinv_folded_values)
{
	size_t len;
	char *msg = slurp("wsinv.sip", &len);
	struct sip_msg m;
	struct sip_str uri, tag;

	cr_assert_eq(sip_msg_parse(msg, msg + len, &m, NULL), SIP_PARSE_OK);
	cr_assert_eq(m.cseq, 9);
	cr_assert_eq(m.nvia, 2);            /* fields: Via, and v: holding two values */
	cr_assert_eq(m.content_length, 150);
	cr_assert_eq(sip_nameaddr_uri(m.to->value, &uri), 0);
	cr_assert(uri.len == 33 && memcmp(uri.p, "sip:vivekg@chair-dnrc.example.com", 33) == 0);
	cr_assert_eq(sip_hdr_param(m.to->value, "tag", &tag), 1);
	cr_assert(tag.len == 11 && memcmp(tag.p, "1918181833n", 11) == 0);
	cr_assert_eq(sip_hdr_param(m.from->value, "tag", &tag), 1);
	cr_assert(tag.len == 7 && memcmp(tag.p, "98asjd8", 7) == 0);
	free(msg);
}

Test(rfc4475, dblreq_is_two_messages_on_a_stream)
{
	size_t len, off = 0, mo, ml, used;
	char *msg = slurp("dblreq.sip", &len);
	struct sip_msg m;

	cr_assert_eq(sip_frame(msg, len, &mo, &ml, &used), SIP_FRAME_MESSAGE);
	cr_assert_eq(sip_msg_parse(msg + mo, msg + mo + ml, &m, NULL), SIP_PARSE_OK);
	cr_assert_eq(m.method, SIP_M_REGISTER);
	off += used;
	cr_assert_eq(sip_frame(msg + off, len - off, &mo, &ml, &used),
	             SIP_FRAME_MESSAGE);
	cr_assert_eq(sip_msg_parse(msg + off + mo, msg + off + mo + ml, &m, NULL),
	             SIP_PARSE_OK);
	cr_assert_eq(m.method, SIP_M_INVITE);
	cr_assert_eq(off + used, len);
	free(msg);
}

/* ---- framing ----------------------------------------------------------------- */

static const char reg_fmt[] =
	"REGISTER sip:node1.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 192.0.2.10:51234;branch=z9hG4bK%u\r\n"
	"From: <sip:1001@node1.example.com>;tag=abc\r\n"
	"To: <sip:1001@node1.example.com>\r\n"
	"Call-ID: %s\r\n"
	"CSeq: %u REGISTER\r\n"
	"Max-Forwards: 70\r\n"
	"Contact: <sip:1001@192.0.2.10:51234;transport=tls>;"
	"+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-%s>\";"
	"+u.sip!devicename.ccm.cisco.com=\"%s\"%s\r\n"
	"%s"
	"Content-Length: 0\r\n\r\n";

static size_t
make_register(char *buf, size_t sz, const char *callid, unsigned cseq,
              const char *mac, const char *dev, const char *cparams,
              const char *extra)
{
	int k = snprintf(buf, sz, reg_fmt, cseq, callid, cseq, mac, dev, cparams,
	                 extra);
	cr_assert(k > 0 && (size_t)k < sz);
	return (size_t)k;
}

Test(frame, byte_at_a_time)
{
	char msg[2048];
	size_t len = make_register(msg, sizeof(msg), "c1", 1, "001122334455",
	                           "SEP001122334455", "", "");
	size_t mo, ml, used;

	for (size_t i = 1; i < len; i++)
		cr_assert_eq(sip_frame(msg, i, &mo, &ml, &used),
		             SIP_FRAME_NEED_MORE, "complete at %zu of %zu", i, len);
	cr_assert_eq(sip_frame(msg, len, &mo, &ml, &used), SIP_FRAME_MESSAGE);
	cr_assert_eq(ml, len);
	cr_assert_eq(used, len);
}

Test(frame, pipelined_with_keepalives)
{
	char buf[8192];
	size_t off = 0, mo, ml, used;
	int msgs = 0, pings = 0, skips = 0;

	memcpy(buf, "\r\n", 2);
	off = 2;
	off += make_register(buf + off, sizeof(buf) - off, "c1", 1, "001122334455",
	                     "SEP001122334455", "", "");
	memcpy(buf + off, "\r\n\r\n", 4);
	off += 4;
	off += make_register(buf + off, sizeof(buf) - off, "c1", 2, "001122334455",
	                     "SEP001122334455", "", "");
	off += make_register(buf + off, sizeof(buf) - off, "c1", 3, "001122334455",
	                     "SEP001122334455", "", "");
	for (size_t p = 0; p < off; p += used) {
		enum sip_frame_result fr = sip_frame(buf + p, off - p, &mo, &ml, &used);
		if (fr == SIP_FRAME_MESSAGE)
			msgs++;
		else if (fr == SIP_FRAME_PING)
			pings++;
		else if (fr == SIP_FRAME_SKIP)
			skips++;
		else
			cr_assert_fail("unexpected %d at %zu", fr, p);
	}
	cr_assert_eq(msgs, 3);
	cr_assert_eq(pings, 1);
	cr_assert_eq(skips, 1);
}

Test(frame, keepalive_alone)
{
	size_t mo, ml, used;

	cr_assert_eq(sip_frame("\r", 1, &mo, &ml, &used), SIP_FRAME_NEED_MORE);
	cr_assert_eq(sip_frame("\r\n", 2, &mo, &ml, &used), SIP_FRAME_NEED_MORE);
	cr_assert_eq(sip_frame("\r\n\r", 3, &mo, &ml, &used), SIP_FRAME_NEED_MORE);
	cr_assert_eq(sip_frame("\r\n\r\n", 4, &mo, &ml, &used), SIP_FRAME_PING);
	cr_assert_eq(used, 4);
	cr_assert_eq(sip_frame("\r\nR", 3, &mo, &ml, &used), SIP_FRAME_SKIP);
	cr_assert_eq(used, 2);
	cr_assert_eq(sip_frame("\n", 1, &mo, &ml, &used), SIP_FRAME_ERROR);
}

Test(frame, content_length_mandatory)
{
	const char *m = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS x\r\n\r\n";
	const char *two = "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\nContent-Length: 0\r\n\r\n";
	const char *bad = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n";
	const char *body = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 4\r\n\r\nab";
	size_t mo, ml, used;

	cr_assert_eq(sip_frame(m, strlen(m), &mo, &ml, &used), SIP_FRAME_ERROR);
	cr_assert_eq(sip_frame(two, strlen(two), &mo, &ml, &used), SIP_FRAME_ERROR);
	cr_assert_eq(sip_frame(bad, strlen(bad), &mo, &ml, &used), SIP_FRAME_ERROR);
	cr_assert_eq(sip_frame(body, strlen(body), &mo, &ml, &used),
	             SIP_FRAME_NEED_MORE);
}

Test(frame, headers_of_64k_refused)
{
	size_t n = 64 * 1024 + 200, off, mo, ml, used;
	char *buf = malloc(n);
	struct sip_msg m;

	off = (size_t)snprintf(buf, n, "REGISTER sip:a@b SIP/2.0\r\n");
	while (off + 40 < 64 * 1024 + 100) {
		memcpy(buf + off, "X-Filler: 0123456789012345678901234\r\n", 37);
		off += 37;
	}
	memcpy(buf + off, "Content-Length: 0\r\n\r\n", 21);
	off += 21;
	/* without the end in sight, and with it */
	cr_assert_eq(sip_frame(buf, SIP_MSG_MAX, &mo, &ml, &used), SIP_FRAME_TOO_BIG);
	cr_assert_eq(sip_frame(buf, off, &mo, &ml, &used), SIP_FRAME_TOO_BIG);
	cr_assert_eq(sip_msg_parse(buf, buf + off, &m, NULL), SIP_PARSE_TOO_BIG);
	{
		char out[256];
		size_t k = sip_reg_frame_error(513, out, sizeof(out));
		cr_assert(k > 0 && strncmp(out, "SIP/2.0 513 ", 12) == 0);
	}
	free(buf);
}

/* ---- parser details ------------------------------------------------------------ */

Test(parse, thousand_contacts_refused)
{
	size_t n = 80 * 1000 + 1024, off, mo, ml, used;
	char *buf = malloc(n);
	struct sip_msg m;
	struct sip_contact ct[SIP_CONTACTS_MAX];
	const char *why;
	sip_registrar *r = new_reg();
	char out[SIP_RESP_MAX + 1];

	/* 1,000 Contacts in one comma-separated field (fits SIP_MSG_MAX
	 * only when short), then the same as 1,000 fields. */
	off = (size_t)snprintf(buf, n, "REGISTER sip:h SIP/2.0\r\nVia: SIP/2.0/TLS h\r\n"
	                       "From: <sip:a@h>;tag=1\r\nTo: <sip:a@h>\r\n"
	                       "Call-ID: x\r\nCSeq: 1 REGISTER\r\nContact: ");
	for (int i = 0; i < 1000; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s<sip:%d@h>",
		                        i ? "," : "", i);
	off += (size_t)snprintf(buf + off, n - off, "\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(sip_frame(buf, off, &mo, &ml, &used), SIP_FRAME_MESSAGE);
	cr_assert_eq(sip_msg_parse(buf, buf + off, &m, NULL), SIP_PARSE_OK);
	cr_assert_eq(sip_contacts_parse(&m, ct, SIP_CONTACTS_MAX, &why), -1);
	cr_assert_str_eq(why, "too many Contacts");
	cr_assert_eq(handle(r, buf, off, 1, 1000, out), 400);

	off = (size_t)snprintf(buf, n, "REGISTER sip:h SIP/2.0\r\nVia: SIP/2.0/TLS h\r\n"
	                       "From: <sip:a@h>;tag=1\r\nTo: <sip:a@h>\r\n"
	                       "Call-ID: x\r\nCSeq: 1 REGISTER\r\n");
	for (int i = 0; i < 1000; i++)
		off += (size_t)snprintf(buf + off, n - off, "m: <sip:%d@h>\r\n", i);
	off += (size_t)snprintf(buf + off, n - off, "l: 0\r\n\r\n");
	cr_assert_eq(sip_msg_parse(buf, buf + off, &m, NULL), SIP_PARSE_TOO_BIG);
	cr_assert_eq(sip_frame(buf, off, &mo, &ml, &used), SIP_FRAME_MESSAGE);
	cr_assert_eq(handle(r, buf, off, 1, 1000, out), 513);
	sip_reg_free(r);
	free(buf);
}

Test(parse, header_count_cap)
{
	char buf[16384];
	size_t off;
	struct sip_msg m;

	off = (size_t)snprintf(buf, sizeof(buf), "OPTIONS sip:h SIP/2.0\r\n");
	for (int i = 0; i < SIP_HEADERS_MAX + 1; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "X: %d\r\n", i);
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "\r\n");
	cr_assert_eq(sip_msg_parse(buf, buf + off, &m, NULL), SIP_PARSE_TOO_BIG);
}

Test(parse, no_nul_assumption)
{
	/* A NUL inside a header value is just a byte; the parse must not stop. */
	static const char msg[] = "OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/TLS h\r\n"
		"From: <sip:a@h>;tag=1\r\nTo: <sip:a@h>\r\nX: a\0b\r\n"
		"Call-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	struct sip_msg m;

	cr_assert_eq(sip_msg_parse(msg, msg + sizeof(msg) - 1, &m, NULL),
	             SIP_PARSE_OK);
	cr_assert_not_null(m.cseq_hdr);
	cr_assert_eq(m.method, SIP_M_OPTIONS);
}

Test(parse, bare_lf_refused)
{
	static const char msg[] = "OPTIONS sip:h SIP/2.0\nVia: x\n\n";
	struct sip_msg m;

	cr_assert_eq(sip_msg_parse(msg, msg + sizeof(msg) - 1, &m, NULL),
	             SIP_PARSE_BAD);
}

static enum sip_cred_result
creds(const char *hdrs, char *tok, size_t toksz)
{
	char buf[4096];
	struct sip_msg m;
	struct sip_str t;
	enum sip_cred_result r;
	int k = snprintf(buf, sizeof(buf), "REGISTER sip:h SIP/2.0\r\n"
	                 "Via: SIP/2.0/TLS h\r\nFrom: <sip:a@h>;tag=1\r\n"
	                 "To: <sip:a@h>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\n%s"
	                 "Content-Length: 0\r\n\r\n", hdrs);

	cr_assert_eq(sip_msg_parse(buf, buf + k, &m, NULL), SIP_PARSE_OK);
	r = sip_bearer_token(&m, &t);
	tok[0] = '\0';
	if (r == SIP_CRED_FOUND)
		snprintf(tok, toksz, "%.*s", (int)t.len, t.p);
	return r;
}

Test(parse, bearer_credentials)
{
	char tok[256];

	cr_assert_eq(creds("Authorization: Bearer eyJ.a-b_c.d~e\r\n", tok,
	                   sizeof(tok)), SIP_CRED_FOUND);
	cr_assert_str_eq(tok, "eyJ.a-b_c.d~e");
	cr_assert_eq(creds("Proxy-Authorization: Bearer token=\"eyJ.x.y\"\r\n", tok,
	                   sizeof(tok)), SIP_CRED_FOUND);
	cr_assert_str_eq(tok, "eyJ.x.y");
	cr_assert_eq(creds("Proxy-Authorization: bearer realm=\"r\", token=\"a.b.c\"\r\n",
	                   tok, sizeof(tok)), SIP_CRED_FOUND);
	cr_assert_str_eq(tok, "a.b.c");
	cr_assert_eq(creds("Authorization: Bearer abc==\r\n", tok, sizeof(tok)),
	             SIP_CRED_FOUND);
	cr_assert_str_eq(tok, "abc==");
	/* folded */
	cr_assert_eq(creds("Authorization: Bearer\r\n  a.b.c\r\n", tok, sizeof(tok)),
	             SIP_CRED_FOUND);
	cr_assert_str_eq(tok, "a.b.c");
	cr_assert_eq(creds("Authorization: Digest username=\"u\"\r\n", tok,
	                   sizeof(tok)), SIP_CRED_NONE);
	cr_assert_eq(creds("", tok, sizeof(tok)), SIP_CRED_NONE);
	cr_assert_eq(creds("Authorization: Bearer\r\n", tok, sizeof(tok)),
	             SIP_CRED_BAD);
	cr_assert_eq(creds("Authorization: Bearer token=\"\"\r\n", tok, sizeof(tok)),
	             SIP_CRED_BAD);
	cr_assert_eq(creds("Authorization: Bearer a b\r\n", tok, sizeof(tok)),
	             SIP_CRED_BAD);
}

Test(parse, duplicated_authorization)
{
	char tok[256];

	cr_assert_eq(creds("Authorization: Bearer a.b.c\r\n"
	                   "Authorization: Bearer a.b.d\r\n", tok, sizeof(tok)),
	             SIP_CRED_CONFLICT);
	cr_assert_eq(creds("Authorization: Bearer a.b.c\r\n"
	                   "Proxy-Authorization: Bearer token=\"x.y.z\"\r\n", tok,
	                   sizeof(tok)), SIP_CRED_CONFLICT);
	/* the same token in both forms is one credential */
	cr_assert_eq(creds("Authorization: Bearer a.b.c\r\n"
	                   "Proxy-Authorization: Bearer token=\"a.b.c\"\r\n", tok,
	                   sizeof(tok)), SIP_CRED_FOUND);
}

Test(parse, contact_parameters)
{
	char buf[2048];
	size_t len = make_register(buf, sizeof(buf), "c1", 1, "00aabbccddee",
	                           "SEP00AABBCCDDEE", ";reg-id=1;expires=300", "");
	struct sip_msg m;
	struct sip_contact ct[4];
	char dev[SIP_DEVNAME_MAX];

	cr_assert_eq(sip_msg_parse(buf, buf + len, &m, NULL), SIP_PARSE_OK);
	cr_assert_eq(sip_contacts_parse(&m, ct, 4, NULL), 1);
	cr_assert_eq(ct[0].expires, 300);
	cr_assert_eq(ct[0].reg_id, 1);
	cr_assert_eq(ct[0].instance.len, 45);
	cr_assert_eq(sip_device_from_instance(ct[0].instance, dev), 0);
	cr_assert_str_eq(dev, "SEP00AABBCCDDEE");
	cr_assert_eq(sip_device_from_name(ct[0].devicename, dev), 0);
	cr_assert_str_eq(dev, "SEP00AABBCCDDEE");
	/* Soft clients are devices too (configgen's name rule). */
	cr_assert_eq(sip_device_from_name((struct sip_str){ "CSFjohn", 7 }, dev), 0);
	cr_assert_str_eq(dev, "CSFJOHN");
	cr_assert_eq(sip_device_from_name((struct sip_str){ "CSF", 3 }, dev), -1);
	cr_assert_eq(sip_device_from_name((struct sip_str){ "XYZJOHN", 7 }, dev), -1);
}

Test(parse, aor_canonical)
{
	char aor[64];

	cr_assert_eq(sip_aor((struct sip_str){ "SIP:Bob@Example.COM;transport=tls", 33 },
	                     aor, sizeof(aor)), 0);
	cr_assert_str_eq(aor, "sip:Bob@example.com");
	cr_assert_eq(sip_aor((struct sip_str){ "tel:+1234", 9 }, aor, sizeof(aor)), -1);
	cr_assert_eq(sip_aor((struct sip_str){ "sip:a@averyveryverylonghost", 27 },
	                     aor, 10), -1);
}

/* ---- registrar ------------------------------------------------------------------- */

#define MAC "001122334455"
#define DEV "SEP001122334455"

Test(registrar, challenge_then_register_both_forms)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "", "");
	cr_assert_eq(handle(r, msg, len, 7, 1000, out), 407);
	cr_assert(strstr(out, "\r\nProxy-Authenticate: Bearer realm=\"ccmsipline\"\r\n"));
	/* the sent-by is not the source (192.0.2.1): received= (RFC 3261 §18.2.1) */
	cr_assert(strstr(out, "\r\nVia: SIP/2.0/TLS 192.0.2.10:51234;branch=z9hG4bK1;"
	                      "received=192.0.2.1\r\n"));
	cr_assert(strstr(out, "\r\nTo: <sip:1001@node1.example.com>;tag="));
	cr_assert(strstr(out, "\r\nCSeq: 1 REGISTER\r\n"));
	cr_assert(strstr(out, "\r\nCall-ID: c1\r\n"));

	len = make_register(msg, sizeof(msg), "c1", 2, MAC, DEV, "",
	                    "Proxy-Authorization: Bearer token=\"tok-" DEV "\"\r\n");
	cr_assert_eq(handle(r, msg, len, 7, 1000, out), 200, "%s", out);
	cr_assert(strstr(out, "\r\nExpires: 120\r\n"), "%s", out);
	cr_assert(strstr(out, "\r\nContact: <sip:1001@192.0.2.10:51234;transport=tls>"
	                 ";expires=120;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-"
	                 MAC ">\"\r\n"), "%s", out);
	cr_assert(strstr(out, "\r\nDate: "));
	cr_assert_eq(sip_reg_count(r), 1);

	len = make_register(msg, sizeof(msg), "c1", 3, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 7, 1010, out), 200);
	cr_assert_eq(sip_reg_count(r), 1);
	sip_reg_free(r);
}

Test(registrar, rfc8898_style_and_invalid_token)
{
	struct sip_reg_config c;
	sip_registrar *r;
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	sip_reg_config_init(&c);
	c.style = SIP_CHALLENGE_RFC8898;
	snprintf(c.authz_server, sizeof(c.authz_server), "%s", "https://as.example/");
	r = sip_reg_new(&c, fake_auth, NULL);
	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "", "");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 401);
	cr_assert(strstr(out, "\r\nWWW-Authenticate: Bearer realm=\"ccmsipline\", "
	                 "authz_server=\"https://as.example/\"\r\n"), "%s", out);
	len = make_register(msg, sizeof(msg), "c1", 2, MAC, DEV, "",
	                    "Authorization: Bearer expired\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 401);
	cr_assert(strstr(out, ", error=\"invalid_token\"\r\n"), "%s", out);
	sip_reg_free(r);

	r = new_reg();
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 407);
	cr_assert(strstr(out, "\r\nProxy-Authenticate: Bearer realm=\"ccmsipline\", "
	                 "error=\"invalid_token\"\r\n"), "%s", out);
	sip_reg_free(r);
}

Test(registrar, wrong_device_and_port_mismatch)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 403);
	cr_assert_null(strstr(out, "Warning"));
	cr_assert_null(strstr(out, "Retry-After"));
	len = make_register(msg, sizeof(msg), "c1", 2, MAC, DEV, "",
	                    "Authorization: Bearer mode-off\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 403);
	cr_assert(strstr(out, "\r\nWarning: 399 node1.example.com \"SIP OAuth "
	                 "Registration port Mismatch\"\r\n"), "%s", out);
	cr_assert_not_null(strstr(out, "\r\nRetry-After: 35\r\n"), "%s", out);
	cr_assert_eq(sip_reg_count(r), 0);
	sip_reg_free(r);
}

Test(registrar, mtls_unlisted_peer)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len, outlen;
	int status;
	struct sip_conn_info ci = { .conn_id = 3, .mtls = 1,
	                            .peer = PEER_UNTRUSTED,
	                            .peer_addr = "192.0.2.9" };

	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	sip_reg_handle(r, &ci, msg, msg + len, 1000, out, &outlen, &status);
	out[outlen] = '\0';
	cr_assert_eq(status, 403);
	cr_assert(strstr(out, "\"TLS authentication failure\""), "%s", out);
	ci.peer = PEER_TRUSTED;
	sip_reg_handle(r, &ci, msg, msg + len, 1000, out, &outlen, &status);
	cr_assert_eq(status, 200);
	sip_reg_free(r);
}

Test(registrar, expiry_rules)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, ";expires=30",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 423);
	cr_assert(strstr(out, "\r\nMin-Expires: 60\r\n"));
	len = make_register(msg, sizeof(msg), "c1", 2, MAC, DEV, "",
	                    "Expires: 90\r\nAuthorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	cr_assert(strstr(out, ";expires=90"), "%s", out);
	cr_assert(strstr(out, "\r\nExpires: 90\r\n"));
	/* older CSeq on the same Call-ID is refused, nothing changes */
	len = make_register(msg, sizeof(msg), "c1", 2, MAC, DEV, ";expires=0",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 400);
	cr_assert_eq(sip_reg_count(r), 1);
	/* expiry */
	cr_assert_eq(sip_reg_expire(r, 1089), 0);
	cr_assert_eq(sip_reg_expire(r, 1090), 1);
	cr_assert_eq(sip_reg_count(r), 0);
	sip_reg_free(r);
}

static const char star_fmt[] =
	"REGISTER sip:node1.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 192.0.2.10:51234;branch=z9hG4bKs\r\n"
	"From: <sip:1001@node1.example.com>;tag=abc\r\n"
	"To: <sip:1001@node1.example.com>\r\n"
	"Call-ID: c1\r\nCSeq: %u REGISTER\r\n"
	"Contact: *\r\n%s"
	"Authorization: Bearer tok-" DEV "\r\n"
	"Content-Length: 0\r\n\r\n";

Test(registrar, unregister_star)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	cr_assert_eq(sip_reg_count(r), 1);
	len = (size_t)snprintf(msg, sizeof(msg), star_fmt, 5u, "");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 400);   /* no Expires: 0 */
	len = (size_t)snprintf(msg, sizeof(msg), star_fmt, 6u, "Expires: 0\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200, "%s", out);
	cr_assert_null(strstr(out, "Contact:"));
	cr_assert_eq(sip_reg_count(r), 0);
	sip_reg_free(r);
}

Test(registrar, methods_and_require)
{
	sip_registrar *r = new_reg();
	char out[SIP_RESP_MAX + 1];
	static const char opt[] = "OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/TLS h\r\n"
		"From: <sip:a@h>;tag=1\r\nTo: <sip:a@h>\r\nCall-ID: x\r\n"
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	static const char bye[] = "BYE sip:h SIP/2.0\r\nVia: SIP/2.0/TLS h\r\n"
		"From: <sip:a@h>;tag=1\r\nTo: <sip:a@h>\r\nCall-ID: x\r\n"
		"CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
	char msg[4096];
	size_t len;

	cr_assert_eq(handle(r, opt, sizeof(opt) - 1, 1, 1000, out), 200);
	cr_assert(strstr(out, "\r\nAllow: REGISTER, OPTIONS, ACK\r\n"));
	cr_assert_eq(handle(r, bye, sizeof(bye) - 1, 1, 1000, out), 405);
	cr_assert(strstr(out, "\r\nAllow: "));
	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "",
	                    "Require: foo, outbound\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 420);
	cr_assert(strstr(out, "\r\nUnsupported: foo\r\n"), "%s", out);
	len = make_register(msg, sizeof(msg), "c1", 2, MAC, DEV, ";reg-id=1",
	                    "Require: outbound\r\nAuthorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	cr_assert(strstr(out, "\r\nRequire: outbound\r\n"));
	sip_reg_free(r);
}

Test(registrar, connection_close_and_write_behind)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	struct sip_binding_change ch[8];
	size_t len;

	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 42, 1000, out), 200);
	cr_assert_eq(sip_reg_take_changes(r, 1000, ch, 8), 1);
	cr_assert_eq(ch[0].del, 0);
	cr_assert_str_eq(ch[0].b.device, DEV);
	cr_assert_str_eq(ch[0].b.aor, "sip:1001@node1.example.com");
	cr_assert_eq(ch[0].b.expires_at, 1120);
	/* a refresh soon after costs no store write */
	len = make_register(msg, sizeof(msg), "c1", 2, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 42, 1010, out), 200);
	cr_assert_eq(sip_reg_take_changes(r, 1010, ch, 8), 0);
	/* late in the interval it does */
	len = make_register(msg, sizeof(msg), "c1", 3, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 42, 1070, out), 200);
	cr_assert_eq(sip_reg_take_changes(r, 1070, ch, 8), 1);
	cr_assert_eq(sip_reg_conn_closed(r, 41), 0);
	cr_assert_eq(sip_reg_conn_closed(r, 42), 1);
	cr_assert_eq(sip_reg_take_changes(r, 1071, ch, 8), 1);
	cr_assert_eq(ch[0].del, 1);
	sip_reg_free(r);
}

Test(registrar, unregistered_binding_never_stored_is_not_deleted)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	struct sip_binding_change ch[8];
	size_t len;

	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 42, 1000, out), 200);
	cr_assert_eq(sip_reg_conn_closed(r, 42), 1);
	cr_assert_eq(sip_reg_take_changes(r, 1000, ch, 8), 0);
	sip_reg_free(r);
}

Test(registrar, close_drops_only_that_connections_bindings)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	len = make_register(msg, sizeof(msg), "a", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	len = make_register(msg, sizeof(msg), "b", 1, "00aabbccddee",
	                    "SEP00AABBCCDDEE", ";reg-id=1",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 2, 1000, out), 200);
	len = make_register(msg, sizeof(msg), "b", 2, "00aabbccddee",
	                    "SEP00AABBCCDDEE", ";reg-id=2",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 2, 1000, out), 200);
	cr_assert_eq(sip_reg_count(r), 3);
	/* the binding moves with its latest REGISTER's connection */
	len = make_register(msg, sizeof(msg), "a", 2, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 3, 1000, out), 200);
	cr_assert_eq(sip_reg_conn_closed(r, 1), 0);
	cr_assert_eq(sip_reg_conn_closed(r, 2), 2);
	cr_assert_eq(sip_reg_count(r), 1);
	cr_assert_eq(sip_reg_conn_closed(r, 2), 0);
	cr_assert_eq(sip_reg_conn_closed(r, 3), 1);
	cr_assert_eq(sip_reg_count(r), 0);
	sip_reg_free(r);
}

/* q->aor_user is borrowed for the call only: copy it. */
static void
aor_auth(void *arg, const struct sip_auth_query *q, struct sip_auth_answer *a)
{
	char *seen = arg;

	snprintf(seen, 32, "%.*s", (int)q->aor_user.len, q->aor_user.p);
	a->reason = POLICY_ALLOW;
	a->why = "test";
}

Test(registrar, aor_user_reaches_the_authenticator)
{
	struct sip_reg_config c;
	char seen[32] = "";
	sip_registrar *r;
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	sip_reg_config_init(&c);
	r = sip_reg_new(&c, aor_auth, seen);
	len = make_register(msg, sizeof(msg), "a", 1, MAC, DEV, "",
	                    "Authorization: Bearer x\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	cr_assert_str_eq(seen, "1001");
	sip_reg_free(r);
}

Test(parse, uri_host)
{
	static const struct {
		const char *uri, *host;
	} ok[] = {
		{ "sip:node1.example.com", "node1.example.com" },
		{ "SIPS:1001@Node1.Example.com:5061;transport=tls", "Node1.Example.com" },
		{ "sip:user:secret@192.0.2.1:5090", "192.0.2.1" },
		{ "sip:[2001:db8::1]:5090;lr", "2001:db8::1" },
		{ "sip:a@[::1]", "::1" },
		{ "sip:h?subject=x", "h" },
	};
	static const char *const bad[] = {
		"tel:+1234", "sip:", "sip:@", "sip:a@", "sip:[::1", "sip:[]",
		"sip:[::1]x", "sip::5060", "http://h/", "sip:h]", "sip",
	};
	struct sip_str h;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(sip_uri_host((struct sip_str){ ok[i].uri,
		             strlen(ok[i].uri) }, &h), 0, "%s", ok[i].uri);
		cr_assert_eq(h.len, strlen(ok[i].host), "%s", ok[i].uri);
		cr_assert_eq(memcmp(h.p, ok[i].host, h.len), 0, "%s", ok[i].uri);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(sip_uri_host((struct sip_str){ bad[i], strlen(bad[i]) },
		             &h), -1, "%s", bad[i]);
}

static int
only_node1(void *arg, const struct sip_conn_info *ci, struct sip_str host)
{
	(void)arg;
	(void)ci;
	return host.len == 17 && memcmp(host.p, "node1.example.com", 17) == 0;
}

Test(registrar, request_uri_domain_not_served_is_404)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	sip_reg_set_domain_check(r, only_node1);
	len = make_register(msg, sizeof(msg), "a", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	/* Same request to another domain: refused before the token is
	 * looked at, so even a valid token gets 404. */
	memcpy(msg + 13, "x", 1);               /* sip:xode1.example.com */
	cr_assert_eq(strncmp(msg, "REGISTER sip:xode1", 18), 0);
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 404, "%s", out);
	cr_assert_eq(sip_reg_count(r), 1);
	/* A Request-URI that is no sip URI at all. */
	len = (size_t)snprintf(msg, sizeof(msg), "%s",
	        "REGISTER tel:+12345 SIP/2.0\r\n"
	        "Via: SIP/2.0/TLS 192.0.2.10;branch=z9hG4bKt\r\n"
	        "From: <sip:1001@node1.example.com>;tag=a\r\n"
	        "To: <sip:1001@node1.example.com>\r\nCall-ID: t\r\n"
	        "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 400, "%s", out);
	sip_reg_free(r);
}

Test(registrar, star_leaves_other_devices_on_a_shared_line)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	len = make_register(msg, sizeof(msg), "a", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	len = make_register(msg, sizeof(msg), "b", 1, "00aabbccddee",
	                    "SEP00AABBCCDDEE", "",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 2, 1000, out), 200);
	/* the 200 lists both devices' bindings of the line */
	cr_assert_not_null(strstr(out, "-001122334455"), "%s", out);
	cr_assert_not_null(strstr(out, "-00aabbccddee"), "%s", out);
	/* "*" from the first device (its token names it) removes its own */
	len = (size_t)snprintf(msg, sizeof(msg), star_fmt, 2u, "Expires: 0\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200, "%s", out);
	cr_assert_eq(sip_reg_count(r), 1);
	cr_assert_null(strstr(out, "-001122334455"), "%s", out);
	cr_assert_not_null(strstr(out, "-00aabbccddee"), "%s", out);
	sip_reg_free(r);
}

/* ---- what one device may hold (issue 11 #1, #2, #4) ------------------------ */

/* A REGISTER of device SEP001122334455 for AOR sip:USER@HOST with one
 * Contact of its own (no +sip.instance: the URI is the key). */
static size_t
make_dev_register(char *buf, size_t sz, unsigned user, const char *host,
                  unsigned port)
{
	int k = snprintf(buf, sz,
	        "REGISTER sip:node1.example.com SIP/2.0\r\n"
	        "Via: SIP/2.0/TLS 192.0.2.10;branch=z9hG4bK%u\r\n"
	        "From: <sip:%u@%s>;tag=a\r\nTo: <sip:%u@%s>\r\n"
	        "Call-ID: c%u\r\nCSeq: 1 REGISTER\r\n"
	        "Contact: <sip:%u@192.0.2.10:%u;transport=tls>;"
	        "+u.sip!devicename.ccm.cisco.com=\"" DEV "\"\r\n"
	        "Authorization: Bearer tok-" DEV "\r\n"
	        "Content-Length: 0\r\n\r\n",
	        port, user, host, user, host, port, user, port);
	cr_assert(k > 0 && (size_t)k < sz);
	return (size_t)k;
}

Test(registrar, one_device_holds_at_most_its_cap)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1], port[32];
	size_t len;

	/* another device's binding, which must survive */
	len = make_register(msg, sizeof(msg), "o", 1, "00aabbccddee",
	                    "SEP00AABBCCDDEE", "",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 2, 1000, out), 200, "%s", out);
	/* 50 REGISTERs of one device, each a new AOR and Contact */
	for (unsigned i = 0; i < 50; i++) {
		len = make_dev_register(msg, sizeof(msg), 2000 + i,
		                        "node1.example.com", 10000 + i);
		cr_assert_eq(handle(r, msg, len, 1, 1000 + i, out), 200, "%s", out);
		cr_assert_leq(sip_reg_count(r), 1 + SIP_BINDINGS_PER_DEVICE);
	}
	cr_assert_eq(sip_reg_count(r), 1 + SIP_BINDINGS_PER_DEVICE);
	/* the ones left are the device's newest: re-registering the oldest
	 * kept (#46) is a refresh, not a replacement of #47..#49 */
	len = make_dev_register(msg, sizeof(msg), 2046, "node1.example.com",
	                        10046);
	memcpy(strstr(msg, "CSeq: 1"), "CSeq: 2", 7);
	cr_assert_eq(handle(r, msg, len, 1, 2000, out), 200, "%s", out);
	cr_assert_eq(sip_reg_count(r), 1 + SIP_BINDINGS_PER_DEVICE);
	/* the other device is still registered */
	len = make_register(msg, sizeof(msg), "o", 2, "00aabbccddee",
	                    "SEP00AABBCCDDEE", ";expires=0",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 2, 2000, out), 200, "%s", out);
	cr_assert_eq(sip_reg_count(r), SIP_BINDINGS_PER_DEVICE);
	/* more new Contacts in one REGISTER than the cap: refused whole */
	len = make_dev_register(msg, sizeof(msg), 3000, "node1.example.com", 1);
	{
		char *ct = strstr(msg, "Contact: ");
		char *eol = strstr(ct, "\r\n");
		char extra[2048] = "";
		for (unsigned i = 0; i < SIP_BINDINGS_PER_DEVICE; i++) {
			snprintf(port, sizeof(port), ":%u;", 20000 + i);
			strcat(extra, "Contact: <sip:3000@192.0.2.10");
			strcat(extra, port);
			strcat(extra, "transport=tls>;+u.sip!devicename.ccm.cisco.com=\""
			       DEV "\"\r\n");
		}
		memmove(eol + 2 + strlen(extra), eol + 2, strlen(eol + 2) + 1);
		memcpy(eol + 2, extra, strlen(extra));
		len = strlen(msg);
	}
	cr_assert_eq(handle(r, msg, len, 1, 3000, out), 403, "%s", out);
	cr_assert_eq(sip_reg_count(r), SIP_BINDINGS_PER_DEVICE);
	sip_reg_free(r);
}

Test(registrar, the_cap_is_a_setting)
{
	struct sip_reg_config c;
	sip_registrar *r;
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	sip_reg_config_init(&c);
	cr_assert_eq(c.max_per_device, SIP_BINDINGS_PER_DEVICE);
	c.max_per_device = 1;
	c.max_bindings = 3;
	r = sip_reg_new(&c, fake_auth, NULL);
	for (unsigned i = 0; i < 5; i++) {
		len = make_dev_register(msg, sizeof(msg), 2000 + i,
		                        "node1.example.com", 10000 + i);
		cr_assert_eq(handle(r, msg, len, 1, 1000 + i, out), 200, "%s", out);
		cr_assert_eq(sip_reg_count(r), 1);
	}
	/* the table's own bound: two more devices fill it, a third gets 503 */
	for (unsigned i = 0; i < 3; i++) {
		char mac[13], dev[16], auth[64];
		snprintf(mac, sizeof(mac), "00aabbccdd%02x", i);
		snprintf(dev, sizeof(dev), "SEP00AABBCCDD%02X", i);
		snprintf(auth, sizeof(auth), "Authorization: Bearer tok-%s\r\n", dev);
		len = make_register(msg, sizeof(msg), dev, 1, mac, dev, "", auth);
		cr_assert_eq(handle(r, msg, len, 2, 1000, out), i < 2 ? 200 : 503,
		             "%u: %s", i, out);
	}
	cr_assert_not_null(strstr(out, "Retry-After:"), "%s", out);
	cr_assert_eq(sip_reg_count(r), 3);
	sip_reg_free(r);
}

Test(registrar, to_domain_checked_like_the_request_uri)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	sip_reg_set_domain_check(r, only_node1);
	len = make_dev_register(msg, sizeof(msg), 2000, "node1.example.com", 1);
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200, "%s", out);
	len = make_dev_register(msg, sizeof(msg), 2001, "elsewhere.example", 2);
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 404, "%s", out);
	len = make_dev_register(msg, sizeof(msg), 2002, "[2001:db8::1]", 3);
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 404, "%s", out);
	cr_assert_eq(sip_reg_count(r), 1);
	sip_reg_free(r);
}

Test(registrar, another_devices_binding_cannot_be_touched)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	/* A registers on the shared line 1001 with its own instance */
	len = make_register(msg, sizeof(msg), "a", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	/* B, with its own token and devicename, sends A's +sip.instance:
	 * a refresh (new Contact), then a removal — both refused */
	len = make_register(msg, sizeof(msg), "b", 1, MAC, "SEP00AABBCCDDEE", "",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 2, 1001, out), 403, "%s", out);
	len = make_register(msg, sizeof(msg), "a", 2, MAC, "SEP00AABBCCDDEE",
	                    ";expires=0",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 2, 1001, out), 403, "%s", out);
	cr_assert_eq(sip_reg_count(r), 1);
	/* A's binding still on A's connection: closing B's changes nothing */
	cr_assert_eq(sip_reg_conn_closed(r, 2), 0);
	cr_assert_eq(sip_reg_conn_closed(r, 1), 1);
	sip_reg_free(r);
}

static int
keep_only_dev(void *arg, const struct sip_binding *b)
{
	cr_assert_str_eq(b->jti, "jti-1");
	return strcmp(b->device, (const char *)arg) == 0;
}

Test(registrar, sweep_drops_bindings_without_authority)
{
	sip_registrar *r = new_reg();
	struct sip_binding_change chg[8];
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len, n;
	int dels = 0;

	len = make_register(msg, sizeof(msg), "a", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 1, 1000, out), 200);
	len = make_register(msg, sizeof(msg), "b", 1, "00aabbccddee",
	                    "SEP00AABBCCDDEE", "",
	                    "Authorization: Bearer tok-SEP00AABBCCDDEE\r\n");
	cr_assert_eq(handle(r, msg, len, 2, 1000, out), 200);
	(void)sip_reg_take_changes(r, 1000, chg, 8);
	cr_assert_eq(sip_reg_sweep(r, keep_only_dev, (void *)DEV), 1);
	cr_assert_eq(sip_reg_count(r), 1);
	n = sip_reg_take_changes(r, 1000, chg, 8);
	for (size_t i = 0; i < n; i++)
		dels += chg[i].del &&
		        strcmp(chg[i].b.device, "SEP00AABBCCDDEE") == 0;
	cr_assert_eq(dels, 1);
	sip_reg_free(r);
}

/* ---- one table, several event loops ------------------------------------------ */

static void
allow_auth(void *arg, const struct sip_auth_query *q, struct sip_auth_answer *a)
{
	(void)arg;
	a->reason = POLICY_ALLOW;
	a->why = "test";
	if (!q->device[0])
		memcpy(a->device, DEV, sizeof(DEV));
}

#define LOOP_AORS 2000u

struct loop_arg {
	sip_registrar *r;
	unsigned idx;
	int fails;
};

static void *
loop_thread(void *p)
{
	struct loop_arg *la = p;
	struct sip_conn_info ci = { .conn_id = 100 + la->idx, .peer = PEER_NONE,
	                            .peer_addr = "192.0.2.1" };
	char msg[1024], *out = malloc(SIP_RESP_MAX);

	for (unsigned i = 0; i <= LOOP_AORS && out != NULL; i++) {
		size_t outlen;
		int status, k;
		/* LOOP_AORS lines of this loop's own, then the shared line 9999
		 * with this loop's instance. */
		unsigned user = i < LOOP_AORS ? la->idx * 100000u + i : 9999u;

		k = snprintf(msg, sizeof(msg),
		        "REGISTER sip:node1.example.com SIP/2.0\r\n"
		        "Via: SIP/2.0/TLS 192.0.2.10;branch=z9hG4bK%u\r\n"
		        "From: <sip:%u@node1.example.com>;tag=a\r\n"
		        "To: <sip:%u@node1.example.com>\r\nCall-ID: l%u\r\n"
		        "CSeq: 1 REGISTER\r\n"
		        "Contact: <sip:%u@192.0.2.10>;+sip.instance="
		        "\"<urn:uuid:00000000-0000-0000-0000-0000000000%02x>\"\r\n"
		        "Authorization: Bearer x\r\nContent-Length: 0\r\n\r\n",
		        i, user, user, la->idx, user, la->idx);
		sip_reg_handle(la->r, &ci, msg, msg + k, 1000, out, &outlen, &status);
		if (status != 200)
			la->fails++;
	}
	free(out);
	if (out == NULL)
		la->fails++;
	return NULL;
}

static void *
close_thread(void *p)
{
	struct loop_arg *la = p;

	if (sip_reg_conn_closed(la->r, 100 + la->idx) != LOOP_AORS + 1)
		la->fails++;
	return NULL;
}

Test(registrar, one_table_for_concurrent_loops)
{
	struct sip_reg_config c;
	struct loop_arg la[2];
	pthread_t t[2];
	char msg[1024], out[SIP_RESP_MAX + 1];
	size_t len;
	sip_registrar *r;

	sip_reg_config_init(&c);
	c.max_per_device = LOOP_AORS + 1;
	r = sip_reg_new(&c, allow_auth, NULL);
	cr_assert_not_null(r);
	for (unsigned i = 0; i < 2; i++) {
		la[i] = (struct loop_arg){ r, i + 1, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, loop_thread, &la[i]), 0);
	}
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(pthread_join(t[i], NULL), 0);
		cr_assert_eq(la[i].fails, 0);
	}
	cr_assert_eq(sip_reg_count(r), 2 * LOOP_AORS + 2);
	/* A query of the shared line from a third connection sees the
	 * bindings both loops made. */
	len = (size_t)snprintf(msg, sizeof(msg), "%s",
	        "REGISTER sip:node1.example.com SIP/2.0\r\n"
	        "Via: SIP/2.0/TLS 192.0.2.10;branch=z9hG4bKq\r\n"
	        "From: <sip:9999@node1.example.com>;tag=a\r\n"
	        "To: <sip:9999@node1.example.com>\r\nCall-ID: q\r\n"
	        "CSeq: 1 REGISTER\r\nAuthorization: Bearer x\r\n"
	        "Content-Length: 0\r\n\r\n");
	cr_assert_eq(handle(r, msg, len, 7, 1000, out), 200, "%s", out);
	cr_assert_not_null(strstr(out, "-000000000001>"), "%s", out);
	cr_assert_not_null(strstr(out, "-000000000002>"), "%s", out);
	for (unsigned i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, close_thread, &la[i]), 0);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(pthread_join(t[i], NULL), 0);
		cr_assert_eq(la[i].fails, 0);
	}
	cr_assert_eq(sip_reg_count(r), 0);
	sip_reg_free(r);
}

/* ---- NOTIFY for Apply Config / restart / reset (notify.c) ---------------- */

Test(notify, apply_restart_reset_forms)
{
	char buf[SIP_RESP_MAX];
	struct sip_notify n = {
		.kind = SIP_NOTIFY_APPLY, .ruri = "sip:1001@192.0.2.7:50512;transport=tls",
		.aor = "sip:1001@node1.example.com", .host = "node1.example.com",
		.id = "oprov1-2-3",
	};
	struct sip_msg m;
	enum sip_notify_kind k;
	size_t len;

	cr_assert_eq(sip_notify_kind_parse("apply", &k), 0);
	cr_assert_eq(k, SIP_NOTIFY_APPLY);
	cr_assert_eq(sip_notify_kind_parse("restart", &k), 0);
	cr_assert_eq(k, SIP_NOTIFY_RESTART);
	cr_assert_eq(sip_notify_kind_parse("reset", &k), 0);
	cr_assert_eq(k, SIP_NOTIFY_RESET);
	cr_assert_eq(sip_notify_kind_parse("Apply", &k), -1);

	len = sip_notify_write(&n, buf, sizeof(buf));
	cr_assert_gt(len, 0);
	buf[len] = '\0';
	/* our own parser takes it as a well-formed request */
	cr_assert_eq(sip_msg_parse(buf, buf + len, &m, NULL), SIP_PARSE_OK, "%s", buf);
	cr_assert(m.is_request);
	cr_assert(strncmp(buf, "NOTIFY sip:1001@192.0.2.7:50512;transport=tls SIP/2.0\r\n",
	                  55) == 0, "%s", buf);
	cr_assert_not_null(strstr(buf, "\r\nEvent: check-sync;reboot=false\r\n"));
	cr_assert_not_null(strstr(buf, "\r\nTo: <sip:1001@node1.example.com>\r\n"));
	cr_assert_not_null(strstr(buf, "\r\nCall-ID: oprov1-2-3@node1.example.com\r\n"));
	cr_assert_not_null(strstr(buf, "\r\nCSeq: 101 NOTIFY\r\n"));
	cr_assert_not_null(strstr(buf, "\r\nContent-Length: 0\r\n\r\n"));
	cr_assert_null(strstr(buf, "Route:"));

	n.kind = SIP_NOTIFY_RESTART;
	len = sip_notify_write(&n, buf, sizeof(buf));
	buf[len] = '\0';
	cr_assert_not_null(strstr(buf, "\r\nEvent: check-sync;reboot=true\r\n"));

	n.kind = SIP_NOTIFY_RESET;
	n.route = "<sip:expc.example.com:5061;transport=tls;lr>";
	len = sip_notify_write(&n, buf, sizeof(buf));
	cr_assert_gt(len, 0);
	buf[len] = '\0';
	cr_assert_eq(sip_msg_parse(buf, buf + len, &m, NULL), SIP_PARSE_OK, "%s", buf);
	cr_assert_not_null(strstr(buf, "\r\nEvent: service-control\r\n"));
	cr_assert_not_null(strstr(buf, "\r\nContent-Type: text/plain\r\n"));
	cr_assert_not_null(strstr(buf, "\r\nRoute: <sip:expc.example.com:5061;transport=tls;lr>\r\n"));
	cr_assert_eq(m.body.len, m.content_length);
	cr_assert(m.body.len > 12 && memcmp(m.body.p, "action=reset\r\n", 14) == 0);
}

Test(notify, refuses_what_a_header_cannot_carry)
{
	char buf[SIP_RESP_MAX], big[SIP_CONTACT_MAX + 8];
	struct sip_notify n = {
		.kind = SIP_NOTIFY_APPLY, .ruri = "sip:1001@192.0.2.7", .aor = "sip:1001@h",
		.host = "h", .id = "x",
	};

	n.ruri = "sip:1001@192.0.2.7\r\nX-Evil: 1";
	cr_assert_eq(sip_notify_write(&n, buf, sizeof(buf)), 0);
	n.ruri = "sip:1001@192.0.2.7>";
	cr_assert_eq(sip_notify_write(&n, buf, sizeof(buf)), 0);
	n.ruri = "";
	cr_assert_eq(sip_notify_write(&n, buf, sizeof(buf)), 0);
	n.ruri = "sip:1001@192.0.2.7";
	n.aor = "sip:a b@h";
	cr_assert_eq(sip_notify_write(&n, buf, sizeof(buf)), 0);
	n.aor = "sip:1001@h";
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n.ruri = big;
	cr_assert_eq(sip_notify_write(&n, buf, sizeof(buf)), 0, "over SIP_CONTACT_MAX");
	n.ruri = "sip:1001@192.0.2.7";
	n.route = "<sip:e;lr>\r\nX-Evil: 1";
	cr_assert_eq(sip_notify_write(&n, buf, sizeof(buf)), 0, "CR LF in the route");
	n.route = NULL;
	cr_assert_eq(sip_notify_write(&n, buf, 40), 0, "does not fit");
	cr_assert_gt(sip_notify_write(&n, buf, sizeof(buf)), 0);
}

static int
answer(const char *text, int *code, char cid[SIP_CALLID_MAX])
{
	return sip_notify_answer(text, text + strlen(text), code, cid);
}

Test(notify, answers)
{
	char cid[SIP_CALLID_MAX];
	int code = 0;

	cr_assert_eq(answer("SIP/2.0 200 OK\r\n"
	                    "Via: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
	                    "From: <sip:h>;tag=a\r\nTo: <sip:1001@h>;tag=b\r\n"
	                    "Call-ID: oprov1-2-3@h\r\nCSeq: 101 NOTIFY\r\n"
	                    "Content-Length: 0\r\n\r\n", &code, cid), 1);
	cr_assert_eq(code, 200);
	cr_assert_str_eq(cid, "oprov1-2-3@h");
	cr_assert_eq(answer("SIP/2.0 481 Subscription does not exist\r\n"
	                    "Via: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
	                    "From: <sip:h>;tag=a\r\nTo: <sip:1001@h>;tag=b\r\n"
	                    "Call-ID: c@h\r\nCSeq:  7\t NOTIFY\r\n"
	                    "Content-Length: 0\r\n\r\n", &code, cid), 1);
	cr_assert_eq(code, 481);
	/* provisional, another method, a request, lower-case method: not ours */
	cr_assert_eq(answer("SIP/2.0 100 Trying\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
	                    "From: <sip:h>;tag=a\r\nTo: <sip:1001@h>\r\n"
	                    "Call-ID: c@h\r\nCSeq: 101 NOTIFY\r\nContent-Length: 0\r\n\r\n",
	                    &code, cid), 0);
	cr_assert_eq(answer("SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
	                    "From: <sip:h>;tag=a\r\nTo: <sip:1001@h>\r\n"
	                    "Call-ID: c@h\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
	                    &code, cid), 0);
	cr_assert_eq(answer("SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
	                    "From: <sip:h>;tag=a\r\nTo: <sip:1001@h>\r\n"
	                    "Call-ID: c@h\r\nCSeq: 1 notify\r\nContent-Length: 0\r\n\r\n",
	                    &code, cid), 0);
	cr_assert_eq(answer("SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
	                    "From: <sip:h>;tag=a\r\nTo: <sip:1001@h>\r\n"
	                    "Call-ID: c@h\r\nCSeq: NOTIFY\r\nContent-Length: 0\r\n\r\n",
	                    &code, cid), 0);
	cr_assert_eq(answer("OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
	                    "From: <sip:h>;tag=a\r\nTo: <sip:1001@h>\r\nCall-ID: c@h\r\n"
	                    "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", &code, cid), 0);
	/* a Call-ID with a NUL or a space is not one of ours (found by fuzzing) */
	{
		static const char nul[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
			"From: <sip:h>;tag=a\r\nTo: <sip:1001@h>\r\nCall-ID: \0\0c@h\r\n"
			"CSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n";

		cr_assert_eq(sip_notify_answer(nul, nul + sizeof(nul) - 1, &code, cid), 0);
	}
	cr_assert_eq(answer("SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKx\r\n"
	                    "From: <sip:h>;tag=a\r\nTo: <sip:1001@h>\r\n"
	                    "Call-ID: c d@h\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n",
	                    &code, cid), 0);
	/* broken */
	cr_assert_eq(answer("SIP/2.0 2000 OK\r\n\r\n", &code, cid), -1);
	cr_assert_eq(answer("SIP/2.0 200 OK\r\nCSeq: 1 NOTIFY\r\nContent-Length: 5\r\n\r\n",
	                    &code, cid), -1);
}

Test(registrar, firmware_and_path_kept_with_the_binding)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1], big[SIP_CONTACT_MAX + 16];
	struct sip_binding_change ch[8];
	size_t len;

	len = make_register(msg, sizeof(msg), "c1", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n"
	                    "User-Agent: Cisco-CP8845/14.2.1\r\n"
	                    "Path: <sip:expc.example.com:5061;transport=tls;lr>\r\n"
	                    "Path: <sip:expe.example.com;lr>\r\n");
	cr_assert_eq(handle(r, msg, len, 42, 1000, out), 200, "%s", out);
	cr_assert_eq(sip_reg_take_changes(r, 1000, ch, 8), 1);
	cr_assert_str_eq(ch[0].b.firmware, "Cisco-CP8845/14.2.1");
	cr_assert_str_eq(ch[0].b.path, "<sip:expc.example.com:5061;transport=tls;lr>, "
	                               "<sip:expe.example.com;lr>");
	/* a changed firmware is written even early in the interval */
	len = make_register(msg, sizeof(msg), "c1", 2, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n"
	                    "Reason: cisco-alarm:25 Name=" DEV " ActiveLoad=sip8845_65.14-3-1 "
	                    "Last=initialized\r\n"
	                    "Path: <sip:expc.example.com:5061;transport=tls;lr>\r\n"
	                    "Path: <sip:expe.example.com;lr>\r\n");
	cr_assert_eq(handle(r, msg, len, 42, 1010, out), 200);
	cr_assert_eq(sip_reg_take_changes(r, 1010, ch, 8), 1);
	cr_assert_str_eq(ch[0].b.firmware, "sip8845_65.14-3-1");
	/* a Path vector over the bound is refused */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char extra[2 * SIP_CONTACT_MAX];

		snprintf(extra, sizeof(extra), "Authorization: Bearer tok-" DEV "\r\n"
		         "Path: <sip:%s>\r\n", big);
		len = make_register(msg, sizeof(msg), "c1", 3, MAC, DEV, "", extra);
		cr_assert_eq(handle(r, msg, len, 42, 1020, out), 400);
	}
	sip_reg_free(r);
}

/* ---- issue 12 items 15 and 16: received / rport, Path echoed ----------------- */

static int
handle_from(sip_registrar *r, const char *msg, const char *addr, unsigned port,
            char *out)
{
	struct sip_conn_info ci = { .conn_id = 7, .peer = PEER_NONE,
	                            .peer_addr = addr, .peer_port = port };
	size_t outlen;
	int status;

	sip_reg_handle(r, &ci, msg, msg + strlen(msg), 1000, out, &outlen, &status);
	out[outlen] = '\0';
	return status;
}

static void
options_via(const char *vias, const char *addr, unsigned port, char *out)
{
	sip_registrar *r = new_reg();
	char msg[2048];

	snprintf(msg, sizeof(msg),
	         "OPTIONS sip:node1.example.com SIP/2.0\r\n"
	         "%s"
	         "From: <sip:1001@node1.example.com>;tag=abc\r\n"
	         "To: <sip:1001@node1.example.com>\r\n"
	         "Call-ID: via-1\r\n"
	         "CSeq: 1 OPTIONS\r\n"
	         "Max-Forwards: 70\r\n"
	         "Content-Length: 0\r\n\r\n", vias);
	cr_assert_eq(handle_from(r, msg, addr, port, out), 200, "%s", out);
	sip_reg_free(r);
}

Test(via, received_when_sent_by_is_not_the_source)
{
	char out[SIP_RESP_MAX + 1];

	/* RFC 3261 §18.2.1: a host name, or another address, gets received= */
	options_via("Via: SIP/2.0/TLS phone.example.com:5061;branch=z9hG4bKa1\r\n",
	            "192.0.2.1", 40000, out);
	cr_assert_not_null(strstr(out, "\r\nVia: SIP/2.0/TLS phone.example.com:5061;"
	                          "branch=z9hG4bKa1;received=192.0.2.1\r\n"), "%s", out);
	options_via("Via: SIP/2.0/TLS 198.51.100.7;branch=z9hG4bKa2\r\n",
	            "192.0.2.1", 40000, out);
	cr_assert_not_null(strstr(out, ";branch=z9hG4bKa2;received=192.0.2.1\r\n"), "%s", out);
	/* the same address: nothing added */
	options_via("Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKa3\r\n",
	            "192.0.2.1", 40000, out);
	cr_assert_not_null(strstr(out, "\r\nVia: SIP/2.0/TLS 192.0.2.1:5061;"
	                          "branch=z9hG4bKa3\r\n"), "%s", out);
	/* IPv6 reference against the address without brackets */
	options_via("Via: SIP/2.0/TLS [2001:DB8::1]:5061;branch=z9hG4bKa4\r\n",
	            "2001:db8::1", 40000, out);
	cr_assert_not_null(strstr(out, ";branch=z9hG4bKa4\r\n"), "%s", out);
	cr_assert_null(strstr(out, "received="), "%s", out);
}

Test(via, rport_filled_and_received_added)
{
	char out[SIP_RESP_MAX + 1];

	/* RFC 3581 §4: rport asked → the source port, and received always */
	options_via("Via: SIP/2.0/TLS 192.0.2.1:5061;rport;branch=z9hG4bKb1\r\n",
	            "192.0.2.1", 40123, out);
	cr_assert_not_null(strstr(out, "\r\nVia: SIP/2.0/TLS 192.0.2.1:5061;rport=40123;"
	                          "branch=z9hG4bKb1;received=192.0.2.1\r\n"), "%s", out);
	/* a received the client made up is replaced; other Vias untouched */
	options_via("Via: SIP/2.0/TLS edge.example.com;branch=z9hG4bKb2;received=10.9.9.9;rport, "
	            "SIP/2.0/TLS 10.0.0.5:5061;branch=z9hG4bKb3;rport\r\n"
	            "Via: SIP/2.0/TLS 10.0.0.6;branch=z9hG4bKb4\r\n",
	            "192.0.2.1", 5061, out);
	cr_assert_not_null(strstr(out, "\r\nVia: SIP/2.0/TLS edge.example.com;branch=z9hG4bKb2;"
	                          "rport=5061;received=192.0.2.1, SIP/2.0/TLS 10.0.0.5:5061;"
	                          "branch=z9hG4bKb3;rport\r\n"
	                          "Via: SIP/2.0/TLS 10.0.0.6;branch=z9hG4bKb4\r\n"), "%s", out);
	cr_assert_null(strstr(out, "10.9.9.9"), "%s", out);
}

Test(registrar, path_echoed_in_the_200)
{
	sip_registrar *r = new_reg();
	char msg[4096], out[SIP_RESP_MAX + 1];
	size_t len;

	len = make_register(msg, sizeof(msg), "p1", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n"
	                    "Path: <sip:expc.example.com:5061;transport=tls;lr>\r\n"
	                    "Path: <sip:expe.example.com;lr>\r\n");
	cr_assert_eq(handle(r, msg, len, 42, 1000, out), 200, "%s", out);
	cr_assert_not_null(strstr(out, "\r\nPath: <sip:expc.example.com:5061;transport=tls;lr>, "
	                          "<sip:expe.example.com;lr>\r\n"), "%s", out);
	/* without Path, none in the 200 */
	len = make_register(msg, sizeof(msg), "p2", 1, MAC, DEV, "",
	                    "Authorization: Bearer tok-" DEV "\r\n");
	cr_assert_eq(handle(r, msg, len, 43, 1000, out), 200, "%s", out);
	cr_assert_null(strstr(out, "Path:"), "%s", out);
	sip_reg_free(r);
}
