/* Fuzz harness: JWKS / JWK import (attacker-supplied key documents from an
 * external identity provider's file) and re-export of what loaded. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	keyset *ks;
	json_t *j;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	ks = keyset_from_jwks_text(s, size, JWS_ALG_INVALID, NULL, 0);
	if (ks != NULL) {
		json_t *out = keyset_to_jwks(ks);
		/* What we export must load again, to the same kids. */
		char *text = json_dumps(out, 0);
		keyset *back = text ? keyset_from_jwks_text(text, strlen(text),
		                                            JWS_ALG_INVALID, NULL, 0) : NULL;
		if (back == NULL || keyset_count(back) != keyset_count(ks))
			abort();
		for (size_t i = 0; i < keyset_count(ks); i++)
			if (strcmp(key_kid(keyset_get(ks, i)), key_kid(keyset_get(back, i))) != 0)
				abort();
		keyset_free(back);
		free(text);
		json_decref(out);
		keyset_free(ks);
	}
	j = json_loadb(s, size, 0, NULL);
	if (j != NULL) {
		trust_key *k = key_from_jwk(j, JWS_ALG_INVALID, NULL, 0);
		key_unref(k);
		json_decref(j);
	}
	free(s);
	return 0;
}
