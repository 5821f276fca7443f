/*
 * named.c - which named files (dial plans, softkey templates, feature
 * policies: configgen's CFG_FILE_DIALPLAN and kin) the store holds, loaded
 * once per config generation, so a request for one is answered from memory
 * (exists or not) before anything is rendered.  Their names, canonical file
 * names like "dialplan-office.xml", are kept sorted for a binary search.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/gate_int.h"

struct named_load {
	struct gate_named *t;
	size_t cap;
	int failed;
};

static int
named_push(struct named_load *l, enum cfg_file_kind kind, const char *rec)
{
	char file[CFG_NAMED_FILE_MAX];

	if (cfg_named_file(kind, rec, file, sizeof(file)) < 0)
		return 0;                       /* not a name any request can carry */
	if (l->t->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		const char **nv = realloc(l->t->v, nc * sizeof(*nv));
		if (nv == NULL)
			goto nomem;
		l->t->v = nv;
		l->cap = nc;
	}
	if ((l->t->v[l->t->n] = gate_arena_strdup(&l->t->arena, file)) == NULL)
		goto nomem;
	l->t->n++;
	return 0;
nomem:
	l->failed = 1;
	return 1;
}

static int
dialplan_one(void *arg, const struct cfg_dialplan *p)
{
	return named_push(arg, CFG_FILE_DIALPLAN, p->name);
}

static int
softkeys_one(void *arg, const struct cfg_softkeys *k)
{
	return named_push(arg, CFG_FILE_SOFTKEYS, k->name);
}

static int
fpolicy_one(void *arg, const struct cfg_fpolicy *f)
{
	return named_push(arg, CFG_FILE_FEATURE_POLICY, f->name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
gate_named_load(struct gate_named *t, struct store *st, char *err, size_t errlen)
{
	struct named_load l = { t, 0, 0 };

	memset(t, 0, sizeof(*t));
	if (store_dialplan_list(st, dialplan_one, &l, err, errlen) != 0 || l.failed ||
	    store_softkeys_list(st, softkeys_one, &l, err, errlen) != 0 || l.failed ||
	    store_fpolicy_list(st, fpolicy_one, &l, err, errlen) != 0 || l.failed) {
		if (l.failed)
			snprintf(err, errlen, "named files: out of memory");
		gate_named_free(t);
		return -1;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), cmp_str);
	return 0;
}

void
gate_named_free(struct gate_named *t)
{
	free(t->v);
	gate_arena_free(&t->arena);
	memset(t, 0, sizeof(*t));
}

int
gate_named_file_exists(const struct gate_snap *s, const struct cfg_file *f)
{
	const struct gate_snap_int *si = (const struct gate_snap_int *)s;
	const struct gate_named *t = &si->conf->named;
	char file[CFG_NAMED_FILE_MAX];
	const char *key = file;

	if (t->n == 0 || cfg_named_file(f->kind, f->record, file, sizeof(file)) < 0)
		return 0;
	return bsearch(&key, t->v, t->n, sizeof(*t->v), cmp_str) != NULL;
}
