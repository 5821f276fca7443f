/*
 * Fuzz harness: the flat-JSON fast reader (trust/jsonscan.c) against
 * jansson.  Whenever the fast reader accepts a text, jansson with
 * JSON_REJECT_DUPLICATES must accept it too and see the same members with
 * the same values; otherwise the two readers could give a token different
 * verdicts.  (The reverse is fine: the fast reader declines a lot.)
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust/trust_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same(const struct jv *f, const json_t *j)
{
	struct jv x;

	jv_from_json(j, &x);
	if (f->k != x.k)
		abort();
	switch (f->k) {
	case JV_STRING:
		if (f->n != x.n || memcmp(f->s, x.s, f->n) != 0)
			abort();
		break;
	case JV_INT:
		if (f->i != x.i)
			abort();
		break;
	case JV_ARRAY: {
		/* Every string element is found through the fast walk. */
		size_t i;
		const json_t *e;
		json_array_foreach(j, i, e)
			if (json_is_string(e) &&
			    !jscan_array_has(f, json_string_value(e), json_string_length(e)))
				abort();
		if (jscan_array_has(f, "\x01", 1))
			abort();
		break;
	}
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	struct jscan js;
	json_t *j;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	if (jscan_object(s, size, &js) == 0) {
		j = json_loadb(s, size, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(j) || json_object_size(j) != js.n)
			abort();
		for (size_t i = 0; i < js.n; i++) {
			char key[256];
			if (js.m[i].klen >= sizeof(key))
				continue;
			memcpy(key, js.m[i].key, js.m[i].klen);
			key[js.m[i].klen] = '\0';
			same(&js.m[i].v, json_object_get(j, key));
		}
		json_decref(j);
	}
	free(s);
	return 0;
}
