/* Fuzz harness: sip_notify_answer, which oprov-sipd runs on every response
 * a device sends on a connection it sent a NOTIFY to.  It must never read
 * past the message, and when it accepts one the status is a final code and
 * the Call-ID fits its buffer. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1), cid[SIP_CALLID_MAX];
	int code = 0, r;

	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	r = sip_notify_answer(p, p + size, &code, cid);
	if (r == 1 && (code < 200 || code > 699 || strlen(cid) == 0 ||
	               strlen(cid) >= SIP_CALLID_MAX))
		abort();
	free(p);
	return 0;
}
