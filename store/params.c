/*
 * params.c - enterprise parameters as configgen's struct, on top of the
 * backend's name/value rows (so every backend gets it for free).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct load_ctx {
	struct cfg_params *p;
	char *err;
	size_t errlen;
};

static int
load_one(void *ctx, const char *name, const char *value)
{
	struct load_ctx *l = ctx;
	char why[STORE_ERR_MAX];

	if (cfg_param_find(name) == NULL)
		return 0;               /* a newer oprov's parameter */
	if (cfg_param_set(l->p, name, value, why, sizeof(why)) < 0) {
		store_fail(l->err, l->errlen, "stored parameter refused: %s", why);
		return -1;
	}
	return 0;
}

int
store_params_load(struct store *s, struct cfg_params *out, char *err,
                  size_t errlen)
{
	struct cfg_params p;
	struct load_ctx l = { &p, err, errlen };

	cfg_params_init(&p);
	if (s->ops->param_list(s, load_one, &l, err, errlen) != 0)
		return -1;
	*out = p;
	return 0;
}

int
store_params_save(struct store *s, const struct cfg_params *p, char *err,
                  size_t errlen)
{
	const struct cfg_param_info *t;
	struct store_param_change *ch;
	char (*text)[STORE_PARAM_VALUE_MAX];
	size_t n;
	int ret = -1;

	if (cfg_params_validate(p, err, errlen) < 0)
		return -1;
	t = cfg_param_table(&n);
	ch = calloc(n, sizeof(*ch));
	text = calloc(n, sizeof(*text));
	if (ch == NULL || text == NULL) {
		store_fail(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (cfg_param_get(p, t[i].name, text[i], sizeof(text[i])) < 0) {
			store_fail(err, errlen, "parameter %s: no text form",
			           t[i].name);
			goto out;
		}
		ch[i].name = t[i].name;
		ch[i].value = text[i];
	}
	ret = s->ops->param_apply(s, ch, n, err, errlen);
out:
	free(ch);
	free(text);
	return ret;
}
