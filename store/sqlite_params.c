/*
 * sqlite_params.c - cluster-wide settings in SQLite: the SIP OAuth mode and
 * the enterprise parameters as name/value rows (params.c maps them to
 * configgen's struct).  Every change bumps the config generation.
 */
#include "config.h"

#include <string.h>

#include "store/sqlite_int.h"

/* ---- cluster mode ------------------------------------------------------------ */

int
sq_cluster_get(struct store *s, struct cfg_cluster *out, char *err,
               size_t errlen)
{
	static const char sql[] = "SELECT sip_oauth_mode, mixed_mode FROM cluster WHERE id = 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->sip_oauth_mode = sqlite3_column_int(st, 0) != 0;
		out->mixed_mode = sqlite3_column_int(st, 1) != 0;
	}
	sq_done(q, sql, st);
	if (rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading the cluster mode");
	return 0;
}

int
sq_cluster_set(struct store *s, const struct cfg_cluster *c, char *err,
               size_t errlen)
{
	static const char sql[] =
		"UPDATE cluster SET sip_oauth_mode = ?1, mixed_mode = ?2 WHERE id = 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (sq_begin(q, err, errlen) < 0)
		return -1;
	st = sq_stmt(q, sql, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int(st, 1, c->sip_oauth_mode != 0);
	sqlite3_bind_int(st, 2, c->mixed_mode != 0);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, "setting the cluster mode");
		goto fail;
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

/* ---- enterprise parameters ----------------------------------------------- */

static int
param_check(const char *name, const char *value, char *err, size_t errlen)
{
	if (store_check_str(name, STORE_NAME_MAX, 1, "parameter name", err,
	                    errlen) < 0)
		return -1;
	if (value != NULL &&
	    store_check_str(value, STORE_PARAM_VALUE_MAX, 0, "parameter value",
	                    err, errlen) < 0)
		return -1;
	return 0;
}

int
sq_param_get(struct store *s, const char *name, char *value, size_t valuelen,
             char *err, size_t errlen)
{
	static const char sql[] = "SELECT value FROM param WHERE name = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (param_check(name, NULL, err, errlen) < 0)
		return -1;
	st = sq_stmt(q, sql, err, errlen);
	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		if (store_copy(value, valuelen, t ? (const char *)t : "") < 0)
			ret = store_fail(err, errlen, "parameter %s: value longer "
			                 "than the buffer", name);
	} else if (rc == SQLITE_DONE) {
		ret = store_notfound(err, errlen, "parameter %s is not set", name);
	} else {
		ret = sq_err(q, err, errlen, "reading a parameter");
	}
	sq_done(q, sql, st);
	return ret;
}

static int
param_write(struct sq *q, const char *name, const char *value, int *changed,
            char *err, size_t errlen)
{
	static const char set_sql[] =
		"INSERT INTO param (name, value) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE SET value = excluded.value";
	static const char del_sql[] = "DELETE FROM param WHERE name = ?1";
	const char *sql = value != NULL ? set_sql : del_sql;
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	if (value != NULL)
		sq_bind_text(st, 2, value);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "writing a parameter");
	*changed = sqlite3_changes(q->db);
	return 0;
}

int
sq_param_apply(struct store *s, const struct store_param_change *ch, size_t n,
               char *err, size_t errlen)
{
	struct sq *q = SQ(s);
	int changed;

	for (size_t i = 0; i < n; i++)
		if (param_check(ch[i].name, ch[i].value, err, errlen) < 0)
			return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (param_write(q, ch[i].name, ch[i].value, &changed, err,
		                errlen) < 0)
			goto fail;
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_param_set(struct store *s, const char *name, const char *value, char *err,
             size_t errlen)
{
	struct store_param_change ch = { name, value };

	if (value == NULL)
		return store_fail(err, errlen, "parameter %s: no value", name);
	return sq_param_apply(s, &ch, 1, err, errlen);
}

int
sq_param_unset(struct store *s, const char *name, char *err, size_t errlen)
{
	struct sq *q = SQ(s);
	int changed = 0;

	if (param_check(name, NULL, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if (param_write(q, name, NULL, &changed, err, errlen) < 0)
		goto fail;
	if (changed == 0) {
		sq_rollback(q);
		return store_notfound(err, errlen, "parameter %s is not set", name);
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_param_list(struct store *s, store_param_cb cb, void *ctx, char *err,
              size_t errlen)
{
	static const char sql[] = "SELECT name, value FROM param ORDER BY name";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = cb(ctx, (const char *)sqlite3_column_text(st, 0),
		         (const char *)sqlite3_column_text(st, 1));
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing parameters");
	sq_done(q, sql, st);
	return ret;
}
