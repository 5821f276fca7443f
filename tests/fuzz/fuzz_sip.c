/* Fuzz harness: stream framing, the message parser and the header-value
 * scanners must never read outside the input, whatever the bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		}
	}
	/* Second pass: as a stream, every framed message parsed. */
	while (off < size) {
		size_t mo, ml, used;
		enum sip_frame_result fr = sip_frame(buf + off, size - off, &mo,
		                                     &ml, &used);
		if (fr == SIP_FRAME_MESSAGE) {
			struct sip_msg m;
			struct sip_contact ct[SIP_CONTACTS_MAX];
			if (sip_msg_parse(buf + off + mo, buf + off + mo + ml, &m,
			                  NULL) == SIP_PARSE_OK)
				(void)sip_contacts_parse(&m, ct, SIP_CONTACTS_MAX,
				                         NULL);
		} else if (fr != SIP_FRAME_PING && fr != SIP_FRAME_SKIP) {
			break;
		}
		off += used;
	}
	free(buf);
	return 0;
}
