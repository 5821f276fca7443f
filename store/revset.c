/*
 * revset.c - the in-memory copy of the store's revocation list that every
 * daemon consults: sorted by (kind, value) once per revocation generation,
 * then looked up by binary search on every token use, so a request costs
 * O(log n) and no store read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static int
rev_cmp(const void *a, const void *b)
{
	const struct store_revocation *x = a, *y = b;

	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->value, y->value);
}

static void
upcase(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - ('a' - 'A'));
}

static void
revset_build(struct store_revset *rs, struct store_revocation *r, size_t n)
{
	size_t o = 0;

	/* Device names are compared in canonical upper case. */
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == STORE_REVOKE_DEVICE)
			upcase(r[i].value);
	if (n > 0)
		qsort(r, n, sizeof(*r), rev_cmp);
	/* One entry per (kind, value), keeping the latest cut-off. */
	for (size_t i = 0; i < n; i++) {
		if (o > 0 && rev_cmp(&r[o - 1], &r[i]) == 0) {
			if (r[i].issued_before > r[o - 1].issued_before)
				r[o - 1].issued_before = r[i].issued_before;
			continue;
		}
		r[o++] = r[i];
	}
	rs->r = r;
	rs->n = o;
}

struct rev_load {
	struct store_revocation *r;
	size_t n, cap;
	int failed;
};

static int
rev_one(void *ctx, const struct store_revocation *r)
{
	struct rev_load *rl = ctx;

	if (rl->n == rl->cap) {
		size_t nc = rl->cap ? rl->cap * 2 : 64;
		struct store_revocation *nr = realloc(rl->r, nc * sizeof(*nr));
		if (nr == NULL) {
			rl->failed = 1;
			return 1;                /* stops the listing */
		}
		rl->r = nr;
		rl->cap = nc;
	}
	rl->r[rl->n++] = *r;
	return 0;
}

int
store_revset_load(struct store *s, struct store_revset *rs, char *err,
                  size_t errlen)
{
	struct rev_load rl = { NULL, 0, 0, 0 };
	int rc = store_revocation_list(s, rev_one, &rl, err, errlen);

	if (rc != 0 || rl.failed) {
		if (rl.failed)
			snprintf(err, errlen, "revocation list: out of memory");
		free(rl.r);
		return -1;
	}
	store_revset_free(rs);
	revset_build(rs, rl.r, rl.n);
	return 0;
}

void
store_revset_free(struct store_revset *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->n = 0;
}

static int
hit(const struct store_revset *rs, enum store_revocation_kind kind,
    const char *value, int64_t iat)
{
	struct store_revocation key;
	const struct store_revocation *f;
	size_t len;

	if (rs->n == 0 || value == NULL ||
	    (value[0] == '\0' && kind != STORE_REVOKE_ALL))
		return 0;
	len = strlen(value);
	if (len >= sizeof(key.value))
		return 0;
	key.kind = kind;
	memcpy(key.value, value, len + 1);
	f = bsearch(&key, rs->r, rs->n, sizeof(*rs->r), rev_cmp);
	return f != NULL && iat <= f->issued_before;
}

void
store_jti_family(const char *jti, char *out, size_t outsz)
{
	const char *dot = strchr(jti, STORE_JTI_FAMILY_SEP);
	size_t n = dot ? (size_t)(dot - jti) : 0;

	if (n >= outsz)
		n = 0;
	memcpy(out, jti, n);
	out[n] = '\0';
}

int
store_revset_revoked(const struct store_revset *rs, const char *jti,
                      const char *dev, const char *sub, int64_t iat)
{
	char fam[STORE_JTI_MAX], d[STORE_DEVICE_NAME_MAX];
	size_t dl = dev ? strlen(dev) : 0;

	store_jti_family(jti ? jti : "", fam, sizeof(fam));
	if (dl >= sizeof(d))
		dl = 0;          /* longer than any device name: matches none */
	memcpy(d, dev ? dev : "", dl);
	d[dl] = '\0';
	upcase(d);
	return hit(rs, STORE_REVOKE_JTI, jti, iat) ||
	       hit(rs, STORE_REVOKE_FAMILY, fam, iat) ||
	       hit(rs, STORE_REVOKE_DEVICE, d, iat) ||
	       hit(rs, STORE_REVOKE_USER, sub, iat) ||
	       hit(rs, STORE_REVOKE_ALL, "", iat);
}
