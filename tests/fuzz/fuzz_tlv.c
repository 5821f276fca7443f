/* Fuzz harness: the .tlv and .sgn readers (trust lists and signed files an
 * administrator brings to `oprovctl trust verify`, or a phone-side client
 * reads), with a self-signature check whenever a list parses. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tlv_list list;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sgn_file s;

	if (tlv_parse(data, size, &list, NULL, 0) == 0) {
		/* every pointer stays inside the input */
		for (size_t i = 0; i < list.nrec; i++)
			if (list.rec[i].cert != NULL &&
			    (list.rec[i].cert < data ||
			     list.rec[i].cert + list.rec[i].cert_len > data + size))
				abort();
		(void)tlv_verify_self(&list, data, size, NULL, 0);
	}
	if (sgn_parse(data, size, &s, NULL, 0) == 0) {
		if (s.content + s.content_len != data + size || s.h.header_len > size)
			abort();
		if (s.h.filename != NULL && strlen(s.h.filename) >= s.h.header_len)
			abort();
	}
	return 0;
}
