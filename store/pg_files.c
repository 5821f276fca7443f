/*
 * pg_files.c - what device configs name beyond the device itself, in
 * PostgreSQL: per-model default firmware loads, dial plans (with their
 * rules), softkey templates (one row per call state) and feature policies
 * (one row per feature set away from its default).  Rules and words are
 * those of sqlite_files.c: every change bumps the config generation in its
 * transaction; a record a device uses cannot be deleted.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store/pg_int.h"

/* ---- per-model loads -------------------------------------------------------- */

int
pg_model_load_set(struct store *s, const char *model, const char *load,
                  char *err, size_t errlen)
{
	struct pg *c = PG(s);

	if (store_check_str(model, CFG_MODEL_MAX, 1, "model", err, errlen) < 0 ||
	    store_check_str(load, CFG_LOAD_MAX, 1, "load", err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "writing a model load", err, errlen, NULL,
	          "INSERT INTO model_load (model, load) VALUES ($1, $2)"
	          " ON CONFLICT (model) DO UPDATE SET load = excluded.load", "tt",
	          model, load) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_model_load_unset(struct store *s, const char *model, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	uint64_t n = 0;

	if (store_check_str(model, CFG_MODEL_MAX, 1, "model", err, errlen) < 0 ||
	    pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "deleting a model load", err, errlen, &n,
	          "DELETE FROM model_load WHERE model = $1", "t", model) < 0)
		goto fail;
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "model %s has no default load", model);
	}
	if (pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

static int
model_load_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
               char *err, size_t errlen)
{
	struct cfg_load l;

	(void)c;
	(void)err;
	(void)errlen;
	memset(&l, 0, sizeof(l));
	pg_col_copy(res, r, 0, l.model, sizeof(l.model));
	pg_col_copy(res, r, 1, l.load, sizeof(l.load));
	return ((store_model_load_cb)cb)(ctx, &l);
}

int
pg_model_load_list(struct store *s, store_model_load_cb cb, void *ctx,
                   char *err, size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing model loads", err, errlen,
	                         "SELECT model, load FROM model_load ORDER BY model",
	                         NULL),
	               model_load_row, (void *)cb, ctx, err, errlen);
}

/* ---- records with child rows ---------------------------------------------------
 * A dial plan, softkey template or feature policy is a (name, description)
 * row in its table and child rows keyed by the name.  kind says which. */

struct rec_kind {
	const char *table;              /* header table */
	const char *what;               /* "dial plan" */
	const char *child_sql;          /* its child rows, $1 = name */
	const char *use_sql;            /* a device using it, $1 = name */
	void (*init)(void *rec);
	char *(*name)(void *rec);
	char *(*desc)(void *rec, size_t *sz);
	/* fills rec from the child rows in res */
	int (*children)(const PGresult *res, void *rec, char *err, size_t errlen);
	int (*emit)(void *cb, void *ctx, const void *rec);
};

/* Inside a transaction: the header row written, its children cleared. */
static int
header_put(struct pg *c, const struct rec_kind *k, const char *child_table,
           const char *child_col, const char *name, const char *desc,
           char *err, size_t errlen)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "INSERT INTO %s (name, description) VALUES"
	         " ($1, $2) ON CONFLICT (name) DO UPDATE SET"
	         " description = excluded.description", k->table);
	if (pg_do(c, "writing a record", err, errlen, NULL, sql, "tt", name,
	          desc) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s = $1", child_table,
	         child_col);
	return pg_do(c, "writing a record", err, errlen, NULL, sql, "t", name);
}

/* Closes a put: bump and commit, or roll back. */
static int
put_end(struct pg *c, int rc, char *err, size_t errlen)
{
	if (rc == 0 && pg_bump(c, PG_GEN_CONFIG, err, errlen) == 0)
		return pg_commit(c, err, errlen);
	pg_rollback(c);
	return -1;
}

/* Inside a snapshot: the children of rec (its name set). */
static int
rec_children(struct pg *c, const struct rec_kind *k, void *rec, char *err,
             size_t errlen)
{
	PGresult *res = pg_run(c, k->what, err, errlen, k->child_sql, "t",
	                       k->name(rec));
	int ret;

	if (res == NULL)
		return -1;
	ret = k->children(res, rec, err, errlen);
	PQclear(res);
	return ret;
}

static int
rec_get(struct pg *c, const struct rec_kind *k, const char *name, void *rec,
        char *err, size_t errlen)
{
	char sql[128];
	PGresult *res;
	size_t dsz;
	int opened, ret = 0;

	k->init(rec);
	if (store_check_str(name, CFG_RECNAME_MAX, 1, k->what, err, errlen) < 0 ||
	    pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "SELECT name, description FROM %s WHERE name = $1",
	         k->table);
	if ((res = pg_run(c, k->what, err, errlen, sql, "t", name)) == NULL)
		ret = -1;
	else if (PQntuples(res) == 0)
		ret = store_notfound(err, errlen, "%s %s does not exist", k->what, name);
	else {
		char *desc = k->desc(rec, &dsz);        /* sets dsz first */

		pg_col_copy(res, 0, 0, k->name(rec), CFG_RECNAME_MAX);
		pg_col_copy(res, 0, 1, desc, dsz);
	}
	PQclear(res);
	if (ret == 0)
		ret = rec_children(c, k, rec, err, errlen);
	pg_read_end(c, opened);
	return ret;
}

static int
rec_delete(struct pg *c, const struct rec_kind *k, const char *name, char *err,
           size_t errlen)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE name = $1", k->table);
	return pg_delete_unused(c, k->use_sql, sql, k->what, name, err, errlen);
}

/* What a listing row needs: the kind, the caller's record buffer. */
struct rec_list {
	const struct rec_kind *k;
	void *rec;
};

static int
rec_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
        char *err, size_t errlen)
{
	struct rec_list *l = (struct rec_list *)((void **)ctx)[0];
	size_t dsz;
	char *desc;

	l->k->init(l->rec);
	desc = l->k->desc(l->rec, &dsz);        /* sets dsz first */
	pg_col_copy(res, r, 0, l->k->name(l->rec), CFG_RECNAME_MAX);
	pg_col_copy(res, r, 1, desc, dsz);
	if (rec_children(c, l->k, l->rec, err, errlen) != 0)
		return -1;
	return l->k->emit(cb, ((void **)ctx)[1], l->rec);
}

static int
rec_list(struct pg *c, const struct rec_kind *k, void *rec, void *cb, void *ctx,
         char *err, size_t errlen)
{
	struct rec_list l = { k, rec };
	void *pass[2] = { &l, ctx };
	char sql[96];
	int opened, ret;

	if (pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "SELECT name, description FROM %s ORDER BY name",
	         k->table);
	ret = pg_each(c, pg_run(c, k->what, err, errlen, sql, NULL), rec_row, cb,
	              pass, err, errlen);
	pg_read_end(c, opened);
	return ret;
}

/* ---- dial plans ---------------------------------------------------------------- */

static void dp_init(void *rec) { cfg_dialplan_init(rec, ""); }
static char *dp_name(void *rec) { return ((struct cfg_dialplan *)rec)->name; }

static char *
dp_desc(void *rec, size_t *sz)
{
	*sz = sizeof(((struct cfg_dialplan *)rec)->description);
	return ((struct cfg_dialplan *)rec)->description;
}

static int
dp_children(const PGresult *res, void *rec, char *err, size_t errlen)
{
	struct cfg_dialplan *p = rec;

	(void)err;
	(void)errlen;
	p->count = 0;
	for (int r = 0; r < PQntuples(res) && p->count < CFG_DIALRULES_MAX; r++) {
		struct cfg_dialrule *d = &p->rules[p->count++];

		pg_col_copy(res, r, 0, d->match, sizeof(d->match));
		d->timeout = (unsigned)pg_col_int(res, r, 1);
		pg_col_copy(res, r, 2, d->rewrite, sizeof(d->rewrite));
	}
	return 0;
}

static int
dp_emit(void *cb, void *ctx, const void *rec)
{
	return ((store_dialplan_cb)cb)(ctx, rec);
}

static const struct rec_kind dialplan_kind = {
	"dialplan", "dial plan",
	"SELECT pattern, timeout, rewrite FROM dialplan_rule WHERE dialplan = $1"
	" ORDER BY idx",
	"SELECT name FROM device WHERE dialplan = $1 LIMIT 1",
	dp_init, dp_name, dp_desc, dp_children, dp_emit,
};

int
pg_dialplan_put(struct store *s, const struct cfg_dialplan *p, char *err,
                size_t errlen)
{
	struct pg *c = PG(s);
	int rc;

	if (store_check_str(p->name, CFG_RECNAME_MAX, 1, "dial plan name", err,
	                    errlen) < 0 ||
	    store_check_str(p->description, sizeof(p->description), 0,
	                    "dial plan description", err, errlen) < 0)
		return -1;
	if (p->count > CFG_DIALRULES_MAX)
		return store_fail(err, errlen, "dial plan %s: more than %d rules", p->name,
		                  CFG_DIALRULES_MAX);
	for (size_t i = 0; i < p->count; i++)
		if (store_check_str(p->rules[i].match, sizeof(p->rules[i].match), 0,
		                    "dial rule", err, errlen) < 0 ||
		    store_check_str(p->rules[i].rewrite, sizeof(p->rules[i].rewrite), 0,
		                    "dial rule rewrite", err, errlen) < 0)
			return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	rc = header_put(c, &dialplan_kind, "dialplan_rule", "dialplan", p->name,
	                p->description, err, errlen);
	for (size_t i = 0; rc == 0 && i < p->count; i++)
		rc = pg_do(c, "writing a dial rule", err, errlen, NULL,
		           "INSERT INTO dialplan_rule (dialplan, idx, pattern, timeout,"
		           " rewrite) VALUES ($1, $2, $3, $4, $5)", "titit", p->name,
		           (int64_t)i, p->rules[i].match, (int64_t)p->rules[i].timeout,
		           p->rules[i].rewrite);
	return put_end(c, rc, err, errlen);
}

int
pg_dialplan_get(struct store *s, const char *name, struct cfg_dialplan *out,
                char *err, size_t errlen)
{
	return rec_get(PG(s), &dialplan_kind, name, out, err, errlen);
}

int
pg_dialplan_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return rec_delete(PG(s), &dialplan_kind, name, err, errlen);
}

int
pg_dialplan_list(struct store *s, store_dialplan_cb cb, void *ctx, char *err,
                 size_t errlen)
{
	struct cfg_dialplan p;

	return rec_list(PG(s), &dialplan_kind, &p, (void *)cb, ctx, err, errlen);
}

/* ---- softkey templates ----------------------------------------------------------- */

static void sk_init(void *rec) { cfg_softkeys_init(rec, ""); }
static char *sk_name(void *rec) { return ((struct cfg_softkeys *)rec)->name; }

static char *
sk_desc(void *rec, size_t *sz)
{
	*sz = sizeof(((struct cfg_softkeys *)rec)->description);
	return ((struct cfg_softkeys *)rec)->description;
}

static int
sk_children(const PGresult *res, void *rec, char *err, size_t errlen)
{
	char state[64], keys[CFG_SK_KEYS_MAX * 12], spec[sizeof(state) + sizeof(keys) + 2];

	for (int r = 0; r < PQntuples(res); r++) {
		pg_col_copy(res, r, 0, state, sizeof(state));
		pg_col_copy(res, r, 1, keys, sizeof(keys));
		snprintf(spec, sizeof(spec), "%s=%s", state, keys);
		/* A row a newer oprov wrote with a state or key this one does not
		 * know is an error naming it, not silently dropped. */
		if (cfg_softkeys_set(rec, spec, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
sk_emit(void *cb, void *ctx, const void *rec)
{
	return ((store_softkeys_cb)cb)(ctx, rec);
}

static const struct rec_kind softkeys_kind = {
	"softkeys", "softkey template",
	"SELECT state, keys FROM softkeys_set WHERE softkeys = $1 ORDER BY state",
	"SELECT name FROM device WHERE softkeys = $1 LIMIT 1",
	sk_init, sk_name, sk_desc, sk_children, sk_emit,
};

int
pg_softkeys_put(struct store *s, const struct cfg_softkeys *k, char *err,
                size_t errlen)
{
	size_t nkeys, nstates;
	const struct cfg_softkey_def *defs = cfg_softkey_table(&nkeys);
	const struct cfg_softkey_state *states = cfg_softkey_states(&nstates);
	struct pg *c = PG(s);
	int rc;

	if (store_check_str(k->name, CFG_RECNAME_MAX, 1, "softkey template name",
	                    err, errlen) < 0 ||
	    store_check_str(k->description, sizeof(k->description), 0,
	                    "softkey template description", err, errlen) < 0 ||
	    pg_begin(c, err, errlen) < 0)
		return -1;
	rc = header_put(c, &softkeys_kind, "softkeys_set", "softkeys", k->name,
	                k->description, err, errlen);
	for (size_t i = 0; rc == 0 && i < nstates && i < CFG_SK_STATES; i++) {
		/* The keys as keyIDs, "Redial,NewCall": what cfg_softkeys_set reads. */
		char keys[CFG_SK_KEYS_MAX * 12] = "";
		size_t o = 0;

		if (k->keys[i][0] == 0)
			continue;
		for (size_t j = 0; j < CFG_SK_KEYS_MAX && k->keys[i][j] != 0; j++)
			if (k->keys[i][j] <= nkeys)
				o += (size_t)snprintf(keys + o, sizeof(keys) - o, "%s%s",
				                      j ? "," : "", defs[k->keys[i][j] - 1].id);
		rc = pg_do(c, "writing a softkey set", err, errlen, NULL,
		           "INSERT INTO softkeys_set (softkeys, state, keys) VALUES"
		           " ($1, $2, $3)", "ttt", k->name, states[i].key, keys);
	}
	return put_end(c, rc, err, errlen);
}

int
pg_softkeys_get(struct store *s, const char *name, struct cfg_softkeys *out,
                char *err, size_t errlen)
{
	return rec_get(PG(s), &softkeys_kind, name, out, err, errlen);
}

int
pg_softkeys_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return rec_delete(PG(s), &softkeys_kind, name, err, errlen);
}

int
pg_softkeys_list(struct store *s, store_softkeys_cb cb, void *ctx, char *err,
                 size_t errlen)
{
	struct cfg_softkeys k;

	return rec_list(PG(s), &softkeys_kind, &k, (void *)cb, ctx, err, errlen);
}

/* ---- feature policies -------------------------------------------------------------- */

static void fp_init(void *rec) { cfg_fpolicy_init(rec, ""); }
static char *fp_name(void *rec) { return ((struct cfg_fpolicy *)rec)->name; }

static char *
fp_desc(void *rec, size_t *sz)
{
	*sz = sizeof(((struct cfg_fpolicy *)rec)->description);
	return ((struct cfg_fpolicy *)rec)->description;
}

static int
fp_children(const PGresult *res, void *rec, char *err, size_t errlen)
{
	const struct cfg_feature_def *defs = cfg_feature_table(NULL);
	struct cfg_fpolicy *f = rec;

	(void)err;
	(void)errlen;
	for (int r = 0; r < PQntuples(res); r++) {
		int64_t id = pg_col_int(res, r, 0);

		for (size_t i = 0; i < CFG_FEATURES; i++)
			if ((int64_t)defs[i].id == id)
				f->enabled[i] = (signed char)(pg_col_int(res, r, 1) != 0);
	}
	return 0;
}

static int
fp_emit(void *cb, void *ctx, const void *rec)
{
	return ((store_fpolicy_cb)cb)(ctx, rec);
}

static const struct rec_kind fpolicy_kind = {
	"feature_policy", "feature policy",
	"SELECT feature, enabled FROM feature_policy_item WHERE policy = $1",
	"SELECT name FROM device WHERE feature_policy = $1 LIMIT 1",
	fp_init, fp_name, fp_desc, fp_children, fp_emit,
};

int
pg_fpolicy_put(struct store *s, const struct cfg_fpolicy *f, char *err,
               size_t errlen)
{
	const struct cfg_feature_def *defs = cfg_feature_table(NULL);
	struct pg *c = PG(s);
	int rc;

	if (store_check_str(f->name, CFG_RECNAME_MAX, 1, "feature policy name", err,
	                    errlen) < 0 ||
	    store_check_str(f->description, sizeof(f->description), 0,
	                    "feature policy description", err, errlen) < 0 ||
	    pg_begin(c, err, errlen) < 0)
		return -1;
	rc = header_put(c, &fpolicy_kind, "feature_policy_item", "policy", f->name,
	                f->description, err, errlen);
	for (size_t i = 0; rc == 0 && i < CFG_FEATURES; i++) {
		if (f->enabled[i] < 0)
			continue;
		rc = pg_do(c, "writing a feature", err, errlen, NULL,
		           "INSERT INTO feature_policy_item (policy, feature, enabled)"
		           " VALUES ($1, $2, $3)", "tii", f->name, (int64_t)defs[i].id,
		           (int64_t)(f->enabled[i] != 0));
	}
	return put_end(c, rc, err, errlen);
}

int
pg_fpolicy_get(struct store *s, const char *name, struct cfg_fpolicy *out,
               char *err, size_t errlen)
{
	return rec_get(PG(s), &fpolicy_kind, name, out, err, errlen);
}

int
pg_fpolicy_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return rec_delete(PG(s), &fpolicy_kind, name, err, errlen);
}

int
pg_fpolicy_list(struct store *s, store_fpolicy_cb cb, void *ctx, char *err,
                size_t errlen)
{
	struct cfg_fpolicy f;

	return rec_list(PG(s), &fpolicy_kind, &f, (void *)cb, ctx, err, errlen);
}
