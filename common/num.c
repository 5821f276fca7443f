/* num.c - the one range-checked way to turn text into a number. */
#include "config.h"

#include <stdio.h>

#include <limits.h>
#include <string.h>

#include "common/common.h"

int
num_parse(const char *s, size_t len, long long min, long long max,
          long long *out)
{
	unsigned long long acc = 0, limit;
	size_t i = 0;
	int neg = 0;

	if (s == NULL || len == 0)
		return -1;
	if (s[0] == '-') {
		neg = 1;
		i = 1;
		if (len == 1)
			return -1;
	}
	/* Magnitude limit for the sign we have: |LLONG_MIN| = LLONG_MAX + 1. */
	limit = neg ? (unsigned long long)LLONG_MAX + 1ULL
	            : (unsigned long long)LLONG_MAX;
	for (; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (acc > (limit - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	long long v;
	if (neg)
		v = acc == limit ? (-LLONG_MAX - 1) : -(long long)acc;
	else
		v = (long long)acc;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
num_parse_str(const char *s, long long min, long long max, long long *out)
{
	if (s == NULL)
		return -1;
	return num_parse(s, strlen(s), min, max, out);
}

int
num_opt(const char *prog, const char *name, const char *v, long long min,
        long long max, long long *out)
{
	if (num_parse_str(v, min, max, out) == 0)
		return 0;
	fprintf(stderr, "%s: --%s: \"%s\" is not a number in %lld-%lld\n", prog,
	        name, v, min, max);
	return -1;
}
