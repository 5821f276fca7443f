/*
 * args.c - small pure helpers of oprovctl's argument handling and output
 * (declared in cli.h, unit-tested in tests/unit/test_cli.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

int
cli_copy(char *dst, size_t dstsz, const char *src, const char *field,
         char *err, size_t errlen)
{
	size_t n = strlen(src);

	if (n >= dstsz) {
		if (err != NULL)
			snprintf(err, errlen, "%s: longer than %zu bytes", field, dstsz - 1);
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
cli_int(const char *flag, const char *text, long long min, long long max,
        long long *out, char *err, size_t errlen)
{
	char shown[64];

	if (num_parse_str(text, min, max, out) == 0)
		return 0;
	if (err != NULL)
		snprintf(err, errlen, "%s: \"%s\" is not a number in %lld-%lld", flag,
		         str_sanitize(shown, sizeof(shown), text, strlen(text)), min, max);
	return -1;
}

int
cli_word(const char *s, const char *const *words)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	return -1;
}

const char *
cli_time(int64_t t, char *buf, size_t buflen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, buflen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, buflen, "-");
	return buf;
}
