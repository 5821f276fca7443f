/* Fuzz harness: stream framing, the message parser, the header-value
 * scanners and the registrar (with a stand-in authenticator) must never read
 * outside the input, whatever the bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Allows any token of more than 8 bytes, challenges the rest: both the
 * 200 path (bindings, response listing) and the refusals get exercised. */
static void
fuzz_auth(void *arg, const struct sip_auth_query *q, struct sip_auth_answer *a)
{
	(void)arg;
	a->why = "fuzz";
	a->reason = !q->token_present ? POLICY_NO_TOKEN :
	            q->token_len > 8 ? POLICY_ALLOW : POLICY_INVALID_TOKEN;
	if (!q->device[0])
		memcpy(a->device, "SEP000000000001", 16);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so ASan catches any read past the end. */
	char *buf = malloc(size ? size : 1);
	size_t off = 0;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	/* First pass: the whole input as one message. */
	{
		struct sip_msg m;
		struct sip_contact ct[SIP_CONTACTS_MAX];
		struct sip_str s, uri;
		char aor[SIP_AOR_MAX];
		if (sip_msg_parse(buf, buf + size, &m, NULL) == SIP_PARSE_OK) {
			(void)sip_contacts_parse(&m, ct, SIP_CONTACTS_MAX, NULL);
			(void)sip_bearer_token(&m, &s);
			(void)sip_require_unknown(&m, &s);
			if (m.to && sip_nameaddr_uri(m.to->value, &uri) == 0)
				(void)sip_aor(uri, aor, sizeof(aor));
			(void)sip_uri_host(m.ruri, &s);
		}
	}
	/* Second pass: as a stream, every framed message answered by a
	 * registrar that lives across inputs (its table keeps growing). */
	static sip_registrar *reg;
	static char out[SIP_RESP_MAX];
	static uint64_t conn;
	if (reg == NULL) {
		struct sip_reg_config c;
		sip_reg_config_init(&c);
		reg = sip_reg_new(&c, fuzz_auth, NULL);
		if (reg == NULL) {
			free(buf);
			return 0;
		}
	}
	conn++;
	while (off < size) {
		size_t mo, ml, used;
		enum sip_frame_result fr = sip_frame(buf + off, size - off, &mo,
		                                     &ml, &used);
		if (fr == SIP_FRAME_MESSAGE) {
			struct sip_conn_info ci = { .conn_id = conn,
			                            .mtls = (int)(conn & 1),
			                            .peer = PEER_TRUSTED,
			                            .peer_addr = "fuzz" };
			size_t outlen;
			int status;
			(void)sip_reg_handle(reg, &ci, buf + off + mo,
			                     buf + off + mo + ml, (int64_t)conn,
			                     out, &outlen, &status);
		} else if (fr != SIP_FRAME_PING && fr != SIP_FRAME_SKIP) {
			break;
		}
		off += used;
	}
	if (conn % 3 == 0)
		(void)sip_reg_conn_closed(reg, conn - 1);
	/* A sweep walks every bucket: now and then, as the daemon's once a
	 * second, not on every input. */
	if (conn % 64 == 0)
		(void)sip_reg_expire(reg, (int64_t)conn - 200);
	{
		struct sip_binding_change ch[16];
		while (sip_reg_take_changes(reg, (int64_t)conn, ch, 16) > 0)
			;
	}
	free(buf);
	return 0;
}
