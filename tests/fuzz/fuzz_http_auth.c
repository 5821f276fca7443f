/* Fuzz harness: the parsers of peer-sent HTTP text (Authorization Bearer and
 * Basic, forms, query strings, Range, If-None-Match, If-Range, HTTP dates,
 * paths) must never read
 * past the input nor crash.  The first byte selects nothing: every parser sees
 * every input, each from an exact-size copy so ASan catches over-reads. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpsd/httpsd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct httpsd_form form;
	char *s = malloc(size ? size : 1);
	char id[128], secret[128], path[HTTPSD_PATH_MAX];
	const char *tok, *q;
	size_t tl, ql;
	uint64_t a, n;
	int64_t t;
	char date[HTTPSD_DATE_MAX];

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	(void)httpsd_bearer_parse(s, size, HTTPSD_TOKEN_MAX, &tok, &tl);
	(void)httpsd_basic_parse(s, size, id, sizeof(id), secret, sizeof(secret));
	if (httpsd_form_parse(s, size, &form) == HTTPSD_FORM_OK)
		(void)httpsd_form_get(&form, "grant_type");
	(void)httpsd_query_has(s, size, "access_token");
	if (httpsd_range_parse(s, size, 1000, &a, &n) == HTTPSD_RANGE_OK &&
	    (a >= 1000 || n == 0 || a + n > 1000))
		abort();
	(void)httpsd_etag_match(s, size, "\"0123456789abcdef\"");
	(void)httpsd_path_decode(s, size, path, sizeof(path), &q, &ql);
	(void)httpsd_if_range_ok(s, size, "\"0123456789abcdef\"", 1700000000, 1);
	/* A parsed date formats and parses back to itself. */
	if (httpsd_http_date_parse(s, size, &t) == 0) {
		int64_t back;
		httpsd_http_date_format(t, date);
		if (httpsd_http_date_parse(date, strlen(date), &back) < 0 || back != t)
			abort();
	}
	free(s);
	return 0;
}
