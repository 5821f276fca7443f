/* Fuzz harness: the parsers of configgen that take administrator or device
 * text for issue 14's records - a REGISTER's Reason / User-Agent (counted,
 * network input: cfg_reported_load), dial rules, softkey state specs,
 * vendor settings KEY=VALUE against every family's schema, time-zone ids
 * and load names.  Input: first byte picks the parser, the rest is the
 * text (NUL-terminated copies for the CLI parsers, an exact-size copy for
 * the counted one).  Besides not crashing, what they accept must hold
 * together: a reported load is within its charset and bound, an accepted
 * dial rule validates, an accepted softkey set validates. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "configgen/configgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
reported(const char *p, size_t n)
{
	char out[CFG_LOAD_MAX];
	size_t half = n / 2;

	if (cfg_reported_load(p, half, p + half, n - half, out) == 0) {
		size_t len = strlen(out);
		if (len == 0 || len >= CFG_LOAD_MAX)
			abort();
		for (size_t i = 0; i < len; i++)
			if (strchr("._/()-", out[i]) == NULL &&
			    !((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= 'A' && out[i] <= 'Z') ||
			      (out[i] >= '0' && out[i] <= '9')))
				abort();
	} else if (out[0] != '\0') {
		abort();
	}
}

static void
text_parsers(int which, const char *s)
{
	char err[256], key[CFG_VKEY_MAX], val[CFG_VVAL_MAX];
	struct cfg_dialrule r;
	struct cfg_softkeys k;
	struct cfg_vendor v = { 0 };

	switch (which) {
	case 0:
		if (cfg_dialrule_parse(s, &r, err, sizeof(err)) == 0 &&
		    cfg_dialrule_validate(&r, err, sizeof(err)) != 0)
			abort();
		break;
	case 1:
		cfg_softkeys_init(&k, "fuzz");
		if (cfg_softkeys_set(&k, s, err, sizeof(err)) == 0 &&
		    cfg_softkeys_validate(&k, err, sizeof(err)) != 0)
			abort();
		break;
	case 2:
		if (cfg_vendor_spec(s, key, val, err, sizeof(err)) == 0)
			for (int f = CFG_FAMILY_ANY; f <= CFG_FAMILY_OTHER; f++)
				if (cfg_vendor_set(&v, (enum cfg_family)f, key, val, err,
				                   sizeof(err)) == 0 &&
				    cfg_vendor_validate(&v, (enum cfg_family)f, err,
				                        sizeof(err)) != 0)
					abort();
		break;
	case 3:
		(void)cfg_tz_check(s, err, sizeof(err));
		break;
	default:
		(void)cfg_load_check(s, err, sizeof(err));
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size == 0)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	if (data[0] % 6 == 5) {
		/* exact size: ASan sees any read past the counted text */
		char *e = malloc(size - 1 ? size - 1 : 1);
		if (e != NULL) {
			memcpy(e, data + 1, size - 1);
			reported(e, size - 1);
			free(e);
		}
	} else {
		s[size - 1] = '\0';
		text_parsers(data[0] % 6, s);
	}
	free(s);
	return 0;
}
