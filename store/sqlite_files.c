/*
 * sqlite_files.c - what device configs name beyond the device itself, in
 * SQLite: per-model default firmware loads, dial plans (with their rules),
 * softkey templates (one row per call state) and feature policies (one row
 * per feature set away from its default).  Every change bumps the config
 * generation in its transaction; a record a device uses cannot be deleted.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

/* "name" of a record: present and within CFG_RECNAME_MAX. */
static int
name_ok(const char *name, const char *what, char *err, size_t errlen)
{
	return store_check_str(name, CFG_RECNAME_MAX, 1, what, err, errlen);
}

/* Runs the one-text-parameter statement sql (no rows). */
static int
exec1(struct sq *q, const char *sql, const char *arg, const char *what, char *err,
      size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, arg);
	return sq_step_done(q, sql, st, what, err, errlen);
}

/* Steps a keyed SELECT: 0 and the statement positioned on its row (release
 * with sq_done), STORE_NOTFOUND, or -1. */
static int
get_row(struct sq *q, const char *sql, const char *name, sqlite3_stmt **out,
        const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = st;
		return 0;
	}
	sq_done(q, sql, st);
	if (rc == SQLITE_DONE)
		return store_notfound(err, errlen, "%s %s does not exist", what, name);
	return sq_err(q, err, errlen, what);
}

/* ---- per-model loads -------------------------------------------------------- */

int
sq_model_load_set(struct store *s, const char *model, const char *load, char *err,
                  size_t errlen)
{
	static const char sql[] =
		"INSERT INTO model_load (model, load) VALUES (?1, ?2)"
		" ON CONFLICT (model) DO UPDATE SET load = excluded.load";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_str(model, CFG_MODEL_MAX, 1, "model", err, errlen) < 0 ||
	    store_check_str(load, CFG_LOAD_MAX, 1, "load", err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, model);
	sq_bind_text(st, 2, load);
	if (sq_step_done(q, sql, st, "writing a model load", err, errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_model_load_unset(struct store *s, const char *model, char *err, size_t errlen)
{
	struct sq *q = SQ(s);

	if (store_check_str(model, CFG_MODEL_MAX, 1, "model", err, errlen) < 0 ||
	    sq_begin(q, err, errlen) < 0)
		return -1;
	if (exec1(q, "DELETE FROM model_load WHERE model = ?1", model,
	          "deleting a model load", err, errlen) < 0)
		goto fail;
	if (sqlite3_changes(q->db) == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "model %s has no default load", model);
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_model_load_list(struct store *s, store_model_load_cb cb, void *ctx, char *err,
                   size_t errlen)
{
	static const char sql[] = "SELECT model, load FROM model_load ORDER BY model";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct cfg_load l;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&l, 0, sizeof(l));
		sq_col_copy(st, 0, l.model, sizeof(l.model));
		sq_col_copy(st, 1, l.load, sizeof(l.load));
		if ((ret = cb(ctx, &l)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing model loads");
	sq_done(q, sql, st);
	return ret;
}

/* ---- records with child rows: put = header row, children cleared, rewritten -- */

/* INSERT ... ON CONFLICT for a (name, description) header row. */
static int
header_put(struct sq *q, const char *sql, const char *clear_sql, const char *name,
           const char *description, char *err, size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	sq_bind_text(st, 2, description);
	if (sq_step_done(q, sql, st, "writing a record", err, errlen) < 0)
		return -1;
	return exec1(q, clear_sql, name, "writing a record", err, errlen);
}

/* Closes a put: bump and commit, or roll back. */
static int
put_end(struct sq *q, int rc, char *err, size_t errlen)
{
	if (rc == 0 && sq_bump(q, SQ_GEN_CONFIG, err, errlen) == 0)
		return sq_commit(q, err, errlen);
	sq_rollback(q);
	return -1;
}

/* ---- dial plans ---------------------------------------------------------------- */

int
sq_dialplan_put(struct store *s, const struct cfg_dialplan *p, char *err, size_t errlen)
{
	static const char hdr[] =
		"INSERT INTO dialplan (name, description) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE SET description = excluded.description";
	static const char clr[] = "DELETE FROM dialplan_rule WHERE dialplan = ?1";
	static const char ins[] =
		"INSERT INTO dialplan_rule (dialplan, idx, pattern, timeout, rewrite)"
		" VALUES (?1, ?2, ?3, ?4, ?5)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (name_ok(p->name, "dial plan name", err, errlen) < 0 ||
	    store_check_str(p->description, sizeof(p->description), 0,
	                    "dial plan description", err, errlen) < 0)
		return -1;
	if (p->count > CFG_DIALRULES_MAX)
		return store_fail(err, errlen, "dial plan %s: more than %d rules", p->name,
		                  CFG_DIALRULES_MAX);
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	rc = header_put(q, hdr, clr, p->name, p->description, err, errlen);
	for (size_t i = 0; rc == 0 && i < p->count; i++) {
		const struct cfg_dialrule *r = &p->rules[i];
		if (store_check_str(r->match, sizeof(r->match), 0, "dial rule", err,
		                    errlen) < 0 ||
		    store_check_str(r->rewrite, sizeof(r->rewrite), 0, "dial rule rewrite",
		                    err, errlen) < 0 ||
		    (st = sq_stmt(q, ins, err, errlen)) == NULL) {
			rc = -1;
			break;
		}
		sq_bind_text(st, 1, p->name);
		sqlite3_bind_int(st, 2, (int)i);
		sq_bind_text(st, 3, r->match);
		sqlite3_bind_int(st, 4, (int)r->timeout);
		sq_bind_text(st, 5, r->rewrite);
		rc = sq_step_done(q, ins, st, "writing a dial rule", err, errlen);
	}
	return put_end(q, rc, err, errlen);
}

static int
dialplan_rules(struct sq *q, struct cfg_dialplan *p, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT pattern, timeout, rewrite FROM dialplan_rule WHERE dialplan = ?1"
		" ORDER BY idx";
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, p->name);
	p->count = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && p->count < CFG_DIALRULES_MAX) {
		struct cfg_dialrule *r = &p->rules[p->count++];
		sq_col_copy(st, 0, r->match, sizeof(r->match));
		r->timeout = (unsigned)sqlite3_column_int(st, 1);
		sq_col_copy(st, 2, r->rewrite, sizeof(r->rewrite));
	}
	sq_done(q, sql, st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sq_err(q, err, errlen, "reading dial rules");
}

/* One header row into *p (name, description) with its children. */
typedef int (*children_fn)(struct sq *q, void *rec, char *err, size_t errlen);

static int
rec_from_row(struct sq *q, sqlite3_stmt *st, char *name, char *desc, size_t descsz,
             children_fn fn, void *rec, char *err, size_t errlen)
{
	sq_col_copy(st, 0, name, CFG_RECNAME_MAX);
	sq_col_copy(st, 1, desc, descsz);
	return fn(q, rec, err, errlen);
}

static int
dialplan_children(struct sq *q, void *rec, char *err, size_t errlen)
{
	return dialplan_rules(q, rec, err, errlen);
}

/* A keyed get of a header row and its children inside one snapshot. */
static int
rec_get(struct sq *q, const char *sql, const char *name, const char *what,
        char *rname, char *desc, size_t descsz, children_fn fn, void *rec,
        char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int opened, rc;

	if (name_ok(name, what, err, errlen) < 0 ||
	    sq_read_begin(q, &opened, err, errlen) < 0)
		return -1;
	rc = get_row(q, sql, name, &st, what, err, errlen);
	if (rc == 0) {
		sq_col_copy(st, 0, rname, CFG_RECNAME_MAX);
		sq_col_copy(st, 1, desc, descsz);
		sq_done(q, sql, st);
		rc = fn(q, rec, err, errlen);
	}
	sq_read_end(q, opened);
	return rc;
}

int
sq_dialplan_get(struct store *s, const char *name, struct cfg_dialplan *out,
                char *err, size_t errlen)
{
	cfg_dialplan_init(out, "");
	return rec_get(SQ(s), "SELECT name, description FROM dialplan WHERE name = ?1",
	               name, "dial plan", out->name, out->description,
	               sizeof(out->description), dialplan_children, out, err, errlen);
}

int
sq_dialplan_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return sq_delete_unused(SQ(s), "SELECT name FROM device WHERE dialplan = ?1 LIMIT 1",
	                        "DELETE FROM dialplan WHERE name = ?1", "dial plan", name,
	                        err, errlen);
}

/* Lists header rows with their children in one snapshot; rec is filled by
 * init (name "") then rec_from_row for each row before cb. */
struct rec_list {
	const char *sql;
	void *rec;
	char *name, *desc;
	size_t descsz;
	void (*init)(void *rec);
	children_fn children;
	int (*emit)(void *arg);         /* calls the caller's typed callback */
	void *arg;
	const char *what;
};

static int
rec_list(struct sq *q, const struct rec_list *l, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int opened, rc, ret = 0;

	if (sq_read_begin(q, &opened, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, l->sql, err, errlen)) == NULL) {
		sq_read_end(q, opened);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l->init(l->rec);
		if ((ret = rec_from_row(q, st, l->name, l->desc, l->descsz, l->children,
		                        l->rec, err, errlen)) != 0 ||
		    (ret = l->emit(l->arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, l->what);
	sq_done(q, l->sql, st);
	sq_read_end(q, opened);
	return ret;
}

static void
dialplan_init_any(void *rec)
{
	cfg_dialplan_init(rec, "");
}

struct dialplan_emit {
	store_dialplan_cb cb;
	void *ctx;
	const struct cfg_dialplan *rec;
};

static int
dialplan_emit(void *arg)
{
	struct dialplan_emit *e = arg;

	return e->cb(e->ctx, e->rec);
}

int
sq_dialplan_list(struct store *s, store_dialplan_cb cb, void *ctx, char *err,
                 size_t errlen)
{
	struct cfg_dialplan p;
	struct dialplan_emit e = { cb, ctx, &p };
	struct rec_list l = {
		"SELECT name, description FROM dialplan ORDER BY name", &p, p.name,
		p.description, sizeof(p.description), dialplan_init_any, dialplan_children,
		dialplan_emit, &e, "listing dial plans",
	};

	return rec_list(SQ(s), &l, err, errlen);
}

/* ---- softkey templates ----------------------------------------------------------- */

int
sq_softkeys_put(struct store *s, const struct cfg_softkeys *k, char *err, size_t errlen)
{
	static const char hdr[] =
		"INSERT INTO softkeys (name, description) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE SET description = excluded.description";
	static const char clr[] = "DELETE FROM softkeys_set WHERE softkeys = ?1";
	static const char ins[] =
		"INSERT INTO softkeys_set (softkeys, state, keys) VALUES (?1, ?2, ?3)";
	size_t nkeys, nstates;
	const struct cfg_softkey_def *defs = cfg_softkey_table(&nkeys);
	const struct cfg_softkey_state *states = cfg_softkey_states(&nstates);
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (name_ok(k->name, "softkey template name", err, errlen) < 0 ||
	    store_check_str(k->description, sizeof(k->description), 0,
	                    "softkey template description", err, errlen) < 0 ||
	    sq_begin(q, err, errlen) < 0)
		return -1;
	rc = header_put(q, hdr, clr, k->name, k->description, err, errlen);
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
		if ((st = sq_stmt(q, ins, err, errlen)) == NULL) {
			rc = -1;
			break;
		}
		sq_bind_text(st, 1, k->name);
		sq_bind_text(st, 2, states[i].key);
		sq_bind_text(st, 3, keys);
		rc = sq_step_done(q, ins, st, "writing a softkey set", err, errlen);
	}
	return put_end(q, rc, err, errlen);
}

static int
softkeys_children(struct sq *q, void *rec, char *err, size_t errlen)
{
	static const char sql[] = "SELECT state, keys FROM softkeys_set WHERE softkeys = ?1";
	struct cfg_softkeys *k = rec;
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	char state[64], keys[CFG_SK_KEYS_MAX * 12], spec[sizeof(state) + sizeof(keys) + 2];
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, k->name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_col_copy(st, 0, state, sizeof(state));
		sq_col_copy(st, 1, keys, sizeof(keys));
		snprintf(spec, sizeof(spec), "%s=%s", state, keys);
		/* A row a newer oprov wrote with a state or key this one does not
		 * know is an error naming it, not silently dropped. */
		if ((ret = cfg_softkeys_set(k, spec, err, errlen)) != 0)
			break;
	}
	sq_done(q, sql, st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "reading softkey sets");
	return ret;
}

int
sq_softkeys_get(struct store *s, const char *name, struct cfg_softkeys *out,
                char *err, size_t errlen)
{
	cfg_softkeys_init(out, "");
	return rec_get(SQ(s), "SELECT name, description FROM softkeys WHERE name = ?1",
	               name, "softkey template", out->name, out->description,
	               sizeof(out->description), softkeys_children, out, err, errlen);
}

int
sq_softkeys_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return sq_delete_unused(SQ(s), "SELECT name FROM device WHERE softkeys = ?1 LIMIT 1",
	                        "DELETE FROM softkeys WHERE name = ?1", "softkey template",
	                        name, err, errlen);
}

static void
softkeys_init_any(void *rec)
{
	cfg_softkeys_init(rec, "");
}

struct softkeys_emit {
	store_softkeys_cb cb;
	void *ctx;
	const struct cfg_softkeys *rec;
};

static int
softkeys_emit(void *arg)
{
	struct softkeys_emit *e = arg;

	return e->cb(e->ctx, e->rec);
}

int
sq_softkeys_list(struct store *s, store_softkeys_cb cb, void *ctx, char *err,
                 size_t errlen)
{
	struct cfg_softkeys k;
	struct softkeys_emit e = { cb, ctx, &k };
	struct rec_list l = {
		"SELECT name, description FROM softkeys ORDER BY name", &k, k.name,
		k.description, sizeof(k.description), softkeys_init_any, softkeys_children,
		softkeys_emit, &e, "listing softkey templates",
	};

	return rec_list(SQ(s), &l, err, errlen);
}

/* ---- feature policies -------------------------------------------------------------- */

int
sq_fpolicy_put(struct store *s, const struct cfg_fpolicy *f, char *err, size_t errlen)
{
	static const char hdr[] =
		"INSERT INTO feature_policy (name, description) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE SET description = excluded.description";
	static const char clr[] = "DELETE FROM feature_policy_item WHERE policy = ?1";
	static const char ins[] =
		"INSERT INTO feature_policy_item (policy, feature, enabled) VALUES (?1, ?2, ?3)";
	const struct cfg_feature_def *defs = cfg_feature_table(NULL);
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (name_ok(f->name, "feature policy name", err, errlen) < 0 ||
	    store_check_str(f->description, sizeof(f->description), 0,
	                    "feature policy description", err, errlen) < 0 ||
	    sq_begin(q, err, errlen) < 0)
		return -1;
	rc = header_put(q, hdr, clr, f->name, f->description, err, errlen);
	for (size_t i = 0; rc == 0 && i < CFG_FEATURES; i++) {
		if (f->enabled[i] < 0)
			continue;
		if ((st = sq_stmt(q, ins, err, errlen)) == NULL) {
			rc = -1;
			break;
		}
		sq_bind_text(st, 1, f->name);
		sqlite3_bind_int(st, 2, (int)defs[i].id);
		sqlite3_bind_int(st, 3, f->enabled[i] != 0);
		rc = sq_step_done(q, ins, st, "writing a feature", err, errlen);
	}
	return put_end(q, rc, err, errlen);
}

static int
fpolicy_children(struct sq *q, void *rec, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT feature, enabled FROM feature_policy_item WHERE policy = ?1";
	struct cfg_fpolicy *f = rec;
	const struct cfg_feature_def *defs = cfg_feature_table(NULL);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, f->name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int id = sqlite3_column_int(st, 0);
		for (size_t i = 0; i < CFG_FEATURES; i++)
			if ((int)defs[i].id == id)
				f->enabled[i] = (signed char)(sqlite3_column_int(st, 1) != 0);
	}
	sq_done(q, sql, st);
	return rc == SQLITE_DONE ? 0 : sq_err(q, err, errlen, "reading features");
}

int
sq_fpolicy_get(struct store *s, const char *name, struct cfg_fpolicy *out,
               char *err, size_t errlen)
{
	cfg_fpolicy_init(out, "");
	return rec_get(SQ(s), "SELECT name, description FROM feature_policy WHERE name = ?1",
	               name, "feature policy", out->name, out->description,
	               sizeof(out->description), fpolicy_children, out, err, errlen);
}

int
sq_fpolicy_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return sq_delete_unused(SQ(s),
	                        "SELECT name FROM device WHERE feature_policy = ?1 LIMIT 1",
	                        "DELETE FROM feature_policy WHERE name = ?1", "feature policy",
	                        name, err, errlen);
}

static void
fpolicy_init_any(void *rec)
{
	cfg_fpolicy_init(rec, "");
}

struct fpolicy_emit {
	store_fpolicy_cb cb;
	void *ctx;
	const struct cfg_fpolicy *rec;
};

static int
fpolicy_emit(void *arg)
{
	struct fpolicy_emit *e = arg;

	return e->cb(e->ctx, e->rec);
}

int
sq_fpolicy_list(struct store *s, store_fpolicy_cb cb, void *ctx, char *err,
                size_t errlen)
{
	struct cfg_fpolicy f;
	struct fpolicy_emit e = { cb, ctx, &f };
	struct rec_list l = {
		"SELECT name, description FROM feature_policy ORDER BY name", &f, f.name,
		f.description, sizeof(f.description), fpolicy_init_any, fpolicy_children,
		fpolicy_emit, &e, "listing feature policies",
	};

	return rec_list(SQ(s), &l, err, errlen);
}
