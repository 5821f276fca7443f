/* Fuzz harness: the strict base64url decoder.  Strictness means exactly one
 * accepted encoding per byte string, so whatever decodes must re-encode to
 * the very same text. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1), *back;
	uint8_t *out = malloc(b64url_decoded_max(size) + 1);
	size_t n;

	if (s == NULL || out == NULL)
		goto out;
	memcpy(s, data, size);
	if (b64url_decode(s, size, out, b64url_decoded_max(size), &n) == 0) {
		back = b64url_encode_alloc(out, n);
		if (back == NULL || strlen(back) != size || memcmp(back, s, size) != 0)
			abort();
		free(back);
	}
out:
	free(s);
	free(out);
	return 0;
}
