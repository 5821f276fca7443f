/* Fuzz harness: the range-checked number parser must never read past len. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so ASan catches any read past the end. */
	char *s = malloc(size ? size : 1);
	char out[64];
	long long v;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	(void)num_parse(s, size, LLONG_MIN, LLONG_MAX, &v);
	str_sanitize(out, sizeof(out), s, size);
	free(s);
	return 0;
}
