/*
 * sqlite_model.c - the device model in SQLite: nodes, device pools, phone
 * security profiles, devices and their lines.  Every change bumps the config
 * generation in the same transaction.
 *
 * Referential rules are checked with explicit queries before writing, so a
 * refusal names the rule ("security profile X does not exist") instead of
 * SQLite's anonymous "FOREIGN KEY constraint failed"; the foreign keys in
 * the schema remain as the backstop.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

/* Generic "delete by name" for one table with a pre-check hook. */
static int
delete_named(struct sq *q, const char *sql, const char *name,
             const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	if (sq_step_done(q, sql, st, what, err, errlen) < 0)
		return -1;
	return sqlite3_changes(q->db) > 0 ? 0 : STORE_NOTFOUND;
}

/* ---- nodes ------------------------------------------------------------------- */

static void
node_from_row(sqlite3_stmt *st, struct cfg_node *n)
{
	memset(n, 0, sizeof(*n));
	sq_col_copy(st, 0, n->name, sizeof(n->name));
	sq_col_copy(st, 1, n->host, sizeof(n->host));
	sq_col_copy(st, 2, n->description, sizeof(n->description));
	n->phone_port = (uint16_t)sqlite3_column_int(st, 3);
	n->sip_port = (uint16_t)sqlite3_column_int(st, 4);
	n->secured_sip_port = (uint16_t)sqlite3_column_int(st, 5);
	n->sip_oauth_port = (uint16_t)sqlite3_column_int(st, 6);
	n->sip_mra_oauth_port = (uint16_t)sqlite3_column_int(st, 7);
}

#define NODE_COLS "name, host, description, phone_port, sip_port," \
	" secured_sip_port, sip_oauth_port, sip_mra_oauth_port"

int
sq_node_put(struct store *s, const struct cfg_node *n, char *err,
            size_t errlen)
{
	static const char sql[] =
		"INSERT INTO node (" NODE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		" ?7, ?8) ON CONFLICT (name) DO UPDATE SET host = excluded.host,"
		" description = excluded.description,"
		" phone_port = excluded.phone_port, sip_port = excluded.sip_port,"
		" secured_sip_port = excluded.secured_sip_port,"
		" sip_oauth_port = excluded.sip_oauth_port,"
		" sip_mra_oauth_port = excluded.sip_mra_oauth_port";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_node(n, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	st = sq_stmt(q, sql, err, errlen);
	if (st == NULL)
		goto fail;
	sq_bind_text(st, 1, n->name);
	sq_bind_text(st, 2, n->host);
	sq_bind_text(st, 3, n->description);
	sqlite3_bind_int(st, 4, n->phone_port);
	sqlite3_bind_int(st, 5, n->sip_port);
	sqlite3_bind_int(st, 6, n->secured_sip_port);
	sqlite3_bind_int(st, 7, n->sip_oauth_port);
	sqlite3_bind_int(st, 8, n->sip_mra_oauth_port);
	if (sq_step_done(q, sql, st, "writing a node", err, errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_node_get(struct store *s, const char *name, struct cfg_node *out,
            char *err, size_t errlen)
{
	static const char sql[] = "SELECT " NODE_COLS " FROM node WHERE name = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (store_check_str(name, CFG_NAME_MAX, 1, "node name", err, errlen) < 0)
		return -1;
	st = sq_stmt(q, sql, err, errlen);
	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		node_from_row(st, out);
	else if (rc == SQLITE_DONE)
		ret = store_notfound(err, errlen, "node %s does not exist", name);
	else
		ret = sq_err(q, err, errlen, "reading a node");
	sq_done(q, sql, st);
	return ret;
}

int
sq_node_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	static const char use_sql[] =
		"SELECT pool FROM pool_node WHERE node = ?1 LIMIT 1";
	static const char del_sql[] = "DELETE FROM node WHERE name = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (store_check_str(name, CFG_NAME_MAX, 1, "node name", err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	st = sq_stmt(q, use_sql, err, errlen);
	if (st == NULL)
		goto fail;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		char pool[CFG_NAME_MAX];

		sq_col_copy(st, 0, pool, sizeof(pool));
		sq_done(q, use_sql, st);
		store_fail(err, errlen, "node %s is in the node group of device "
		           "pool %s; remove it from the pool first", name, pool);
		goto fail;
	}
	sq_done(q, use_sql, st);
	if (rc != SQLITE_DONE) {
		sq_err(q, err, errlen, "checking node use");
		goto fail;
	}
	rc = delete_named(q, del_sql, name, "deleting a node", err, errlen);
	if (rc < 0)
		goto fail;
	if (rc == STORE_NOTFOUND) {
		sq_rollback(q);
		return store_notfound(err, errlen, "node %s does not exist", name);
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_node_list(struct store *s, store_node_cb cb, void *ctx, char *err,
             size_t errlen)
{
	static const char sql[] = "SELECT " NODE_COLS " FROM node ORDER BY name";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct cfg_node n;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		node_from_row(st, &n);
		if ((ret = cb(ctx, &n)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing nodes");
	sq_done(q, sql, st);
	return ret;
}

/* ---- device pools ------------------------------------------------------------ */

static int
exists1(struct sq *q, const char *sql, const char *name, int *found, char *err,
        size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "looking up");
	*found = rc == SQLITE_ROW;
	return 0;
}

static const char node_exists_sql[] = "SELECT 1 FROM node WHERE name = ?1";
static const char pool_exists_sql[] = "SELECT 1 FROM pool WHERE name = ?1";
static const char profile_exists_sql[] = "SELECT 1 FROM profile WHERE name = ?1";

int
sq_pool_put(struct store *s, const struct cfg_pool *p, char *err,
            size_t errlen)
{
	static const char pool_sql[] =
		"INSERT INTO pool (name, time_zone, date_template) VALUES (?1, ?2,"
		" ?3) ON CONFLICT (name) DO UPDATE SET time_zone ="
		" excluded.time_zone, date_template = excluded.date_template";
	static const char clear_ntp_sql[] = "DELETE FROM pool_ntp WHERE pool = ?1";
	static const char clear_node_sql[] =
		"DELETE FROM pool_node WHERE pool = ?1";
	static const char ntp_sql[] =
		"INSERT INTO pool_ntp (pool, idx, host) VALUES (?1, ?2, ?3)";
	static const char node_sql[] =
		"INSERT INTO pool_node (pool, idx, node) VALUES (?1, ?2, ?3)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_pool(p, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < p->node_count; i++) {
		int found;

		if (exists1(q, node_exists_sql, p->nodes[i], &found, err,
		            errlen) < 0)
			goto fail;
		if (!found) {
			store_fail(err, errlen, "device pool %s: node %s does not "
			           "exist", p->name, p->nodes[i]);
			goto fail;
		}
	}
	if ((st = sq_stmt(q, pool_sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, p->name);
	sq_bind_text(st, 2, p->time_zone);
	sq_bind_text(st, 3, p->date_template);
	if (sq_step_done(q, pool_sql, st, "writing a device pool", err, errlen) < 0)
		goto fail;
	if (delete_named(q, clear_ntp_sql, p->name, "writing a device pool", err,
	                 errlen) < 0 ||
	    delete_named(q, clear_node_sql, p->name, "writing a device pool", err,
	                 errlen) < 0)
		goto fail;
	for (size_t i = 0; i < p->ntp_count; i++) {
		if ((st = sq_stmt(q, ntp_sql, err, errlen)) == NULL)
			goto fail;
		sq_bind_text(st, 1, p->name);
		sqlite3_bind_int(st, 2, (int)i);
		sq_bind_text(st, 3, p->ntp[i]);
		if (sq_step_done(q, ntp_sql, st, "writing NTP servers", err,
		              errlen) < 0)
			goto fail;
	}
	for (size_t i = 0; i < p->node_count; i++) {
		if ((st = sq_stmt(q, node_sql, err, errlen)) == NULL)
			goto fail;
		sq_bind_text(st, 1, p->name);
		sqlite3_bind_int(st, 2, (int)i);
		sq_bind_text(st, 3, p->nodes[i]);
		if (sq_step_done(q, node_sql, st, "writing the node group", err,
		              errlen) < 0)
			goto fail;
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

/* Fills the NTP servers and node group of *p (name set). */
static int
pool_children(struct sq *q, struct cfg_pool *p, char *err, size_t errlen)
{
	static const char ntp_sql[] =
		"SELECT host FROM pool_ntp WHERE pool = ?1 ORDER BY idx";
	static const char node_sql[] =
		"SELECT node FROM pool_node WHERE pool = ?1 ORDER BY idx";
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_stmt(q, ntp_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, p->name);
	p->ntp_count = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && p->ntp_count < CFG_NTP_MAX)
		sq_col_copy(st, 0, p->ntp[p->ntp_count++], CFG_HOST_MAX);
	sq_done(q, ntp_sql, st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading NTP servers");
	if ((st = sq_stmt(q, node_sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, p->name);
	p->node_count = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       p->node_count < CFG_GROUP_MAX)
		sq_col_copy(st, 0, p->nodes[p->node_count++], CFG_NAME_MAX);
	sq_done(q, node_sql, st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading the node group");
	return 0;
}

static int
pool_get_snap(struct store *s, const char *name, struct cfg_pool *out,
            char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT name, time_zone, date_template FROM pool WHERE name = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc;

	if (store_check_str(name, CFG_NAME_MAX, 1, "device pool name", err,
	                    errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		sq_col_copy(st, 0, out->name, sizeof(out->name));
		sq_col_copy(st, 1, out->time_zone, sizeof(out->time_zone));
		sq_col_copy(st, 2, out->date_template, sizeof(out->date_template));
	}
	sq_done(q, sql, st);
	if (rc == SQLITE_DONE)
		return store_notfound(err, errlen, "device pool %s does not exist",
		                      name);
	if (rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading a device pool");
	return pool_children(q, out, err, errlen);
}

/* One read snapshot: the record and its child rows agree. */
int
sq_pool_get(struct store *s, const char *name, struct cfg_pool *out,
            char *err, size_t errlen)
{
	int opened, ret;

	if (sq_read_begin(SQ(s), &opened, err, errlen) < 0)
		return -1;
	ret = pool_get_snap(s, name, out, err, errlen);
	sq_read_end(SQ(s), opened);
	return ret;
}

static const char device_using_pool_sql[] =
	"SELECT name FROM device WHERE pool = ?1 LIMIT 1";
static const char device_using_profile_sql[] =
	"SELECT name FROM device WHERE profile = ?1 LIMIT 1";

/* Refuses when a device still uses `name` (pool or profile). */
static int
in_use(struct sq *q, const char *sql, const char *kind, const char *name,
       char *err, size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	char dev[CFG_DEVNAME_MAX];
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_col_copy(st, 0, dev, sizeof(dev));
	sq_done(q, sql, st);
	if (rc == SQLITE_ROW)
		return store_fail(err, errlen, "%s %s is in use by device %s (and "
		                  "maybe others); a %s in use cannot be deleted",
		                  kind, name, dev, kind);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "checking use");
	return 0;
}

int
sq_delete_unused(struct sq *q, const char *use_sql, const char *del_sql,
                 const char *kind, const char *name, char *err, size_t errlen)
{
	int rc;

	if (store_check_str(name, CFG_NAME_MAX, 1, kind, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if (in_use(q, use_sql, kind, name, err, errlen) < 0)
		goto fail;
	rc = delete_named(q, del_sql, name, kind, err, errlen);
	if (rc < 0)
		goto fail;
	if (rc == STORE_NOTFOUND) {
		sq_rollback(q);
		return store_notfound(err, errlen, "%s %s does not exist", kind,
		                      name);
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_pool_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM pool WHERE name = ?1";

	return sq_delete_unused(SQ(s), device_using_pool_sql, sql, "device pool",
	                     name, err, errlen);
}

static int
pool_list_snap(struct store *s, store_pool_cb cb, void *ctx, char *err,
             size_t errlen)
{
	static const char sql[] =
		"SELECT name, time_zone, date_template FROM pool ORDER BY name";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct cfg_pool p;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		sq_col_copy(st, 0, p.name, sizeof(p.name));
		sq_col_copy(st, 1, p.time_zone, sizeof(p.time_zone));
		sq_col_copy(st, 2, p.date_template, sizeof(p.date_template));
		if ((ret = pool_children(q, &p, err, errlen)) != 0)
			break;
		if ((ret = cb(ctx, &p)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing device pools");
	sq_done(q, sql, st);
	return ret;
}

/* One read snapshot: the record and its child rows agree. */
int
sq_pool_list(struct store *s, store_pool_cb cb, void *ctx, char *err,
             size_t errlen)
{
	int opened, ret;

	if (sq_read_begin(SQ(s), &opened, err, errlen) < 0)
		return -1;
	ret = pool_list_snap(s, cb, ctx, err, errlen);
	sq_read_end(SQ(s), opened);
	return ret;
}

/* ---- vendor settings of profiles and devices -------------------------------
 * Rows (owner, name, value) in profile_vendor / device_vendor; written
 * whole with their record, read back in name order. */

static int
vendor_write(struct sq *q, const char *del_sql, const char *ins_sql,
             const char *owner, const struct cfg_vendor *v, int fresh, char *err,
             size_t errlen)
{
	sqlite3_stmt *st;

	if (!fresh && delete_named(q, del_sql, owner, "writing vendor settings", err,
	                           errlen) < 0)
		return -1;
	for (size_t i = 0; i < v->count && i < CFG_VENDOR_MAX; i++) {
		if ((st = sq_stmt(q, ins_sql, err, errlen)) == NULL)
			return -1;
		sq_bind_text(st, 1, owner);
		sq_bind_text(st, 2, v->kv[i].key);
		sq_bind_text(st, 3, v->kv[i].value);
		if (sq_step_done(q, ins_sql, st, "writing a vendor setting", err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
vendor_read(struct sq *q, const char *sql, const char *owner, struct cfg_vendor *v,
            char *err, size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, owner);
	v->count = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && v->count < CFG_VENDOR_MAX) {
		struct cfg_vendor_kv *kv = &v->kv[v->count++];
		sq_col_copy(st, 0, kv->key, sizeof(kv->key));
		sq_col_copy(st, 1, kv->value, sizeof(kv->value));
	}
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading vendor settings");
	return 0;
}

static const char profile_vendor_sql[] =
	"SELECT name, value FROM profile_vendor WHERE profile = ?1 ORDER BY name";
static const char device_vendor_sql[] =
	"SELECT name, value FROM device_vendor WHERE device = ?1 ORDER BY name";

/* ---- phone security profiles ----------------------------------------------- */

#define PROFILE_COLS "name, description, mode, transport, oauth, digest," \
	" tftp_encrypted_config"

static void
profile_from_row(sqlite3_stmt *st, struct cfg_profile *p)
{
	memset(p, 0, sizeof(*p));
	sq_col_copy(st, 0, p->name, sizeof(p->name));
	sq_col_copy(st, 1, p->description, sizeof(p->description));
	p->mode = (enum cfg_sec_mode)sqlite3_column_int(st, 2);
	p->transport = (enum cfg_transport)sqlite3_column_int(st, 3);
	p->oauth = sqlite3_column_int(st, 4);
	p->digest = sqlite3_column_int(st, 5);
	p->tftp_encrypted_config = sqlite3_column_int(st, 6);
}

int
sq_profile_put(struct store *s, const struct cfg_profile *p, char *err,
               size_t errlen)
{
	static const char sql[] =
		"INSERT INTO profile (" PROFILE_COLS ") VALUES (?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7) ON CONFLICT (name) DO UPDATE SET"
		" description = excluded.description, mode = excluded.mode,"
		" transport = excluded.transport, oauth = excluded.oauth,"
		" digest = excluded.digest,"
		" tftp_encrypted_config = excluded.tftp_encrypted_config";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (store_check_profile(p, err, errlen) < 0)
		return -1;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		goto fail;
	sq_bind_text(st, 1, p->name);
	sq_bind_text(st, 2, p->description);
	sqlite3_bind_int(st, 3, (int)p->mode);
	sqlite3_bind_int(st, 4, (int)p->transport);
	sqlite3_bind_int(st, 5, p->oauth != 0);
	sqlite3_bind_int(st, 6, p->digest != 0);
	sqlite3_bind_int(st, 7, p->tftp_encrypted_config != 0);
	if (sq_step_done(q, sql, st, "writing a security profile", err, errlen) < 0 ||
	    vendor_write(q, "DELETE FROM profile_vendor WHERE profile = ?1",
	                 "INSERT INTO profile_vendor (profile, name, value) VALUES"
	                 " (?1, ?2, ?3)", p->name, &p->vendor, 0, err, errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

static int
profile_get_snap(struct store *s, const char *name, struct cfg_profile *out,
                 char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " PROFILE_COLS " FROM profile WHERE name = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (store_check_str(name, CFG_NAME_MAX, 1, "security profile name", err,
	                    errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		profile_from_row(st, out);
	else if (rc == SQLITE_DONE)
		ret = store_notfound(err, errlen, "security profile %s does not "
		                     "exist", name);
	else
		ret = sq_err(q, err, errlen, "reading a security profile");
	sq_done(q, sql, st);
	if (ret == 0)
		ret = vendor_read(q, profile_vendor_sql, out->name, &out->vendor, err, errlen);
	return ret;
}

int
sq_profile_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM profile WHERE name = ?1";

	return sq_delete_unused(SQ(s), device_using_profile_sql, sql,
	                     "security profile", name, err, errlen);
}

static int
profile_list_snap(struct store *s, store_profile_cb cb, void *ctx, char *err,
                  size_t errlen)
{
	static const char sql[] =
		"SELECT " PROFILE_COLS " FROM profile ORDER BY name";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	struct cfg_profile p;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		profile_from_row(st, &p);
		if ((ret = vendor_read(q, profile_vendor_sql, p.name, &p.vendor, err,
		                       errlen)) != 0)
			break;
		if ((ret = cb(ctx, &p)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing security profiles");
	sq_done(q, sql, st);
	return ret;
}

/* One read snapshot: the record and its vendor rows agree. */
int
sq_profile_get(struct store *s, const char *name, struct cfg_profile *out,
               char *err, size_t errlen)
{
	int opened, ret;

	if (sq_read_begin(SQ(s), &opened, err, errlen) < 0)
		return -1;
	ret = profile_get_snap(s, name, out, err, errlen);
	sq_read_end(SQ(s), opened);
	return ret;
}

int
sq_profile_list(struct store *s, store_profile_cb cb, void *ctx, char *err,
                size_t errlen)
{
	int opened, ret;

	if (sq_read_begin(SQ(s), &opened, err, errlen) < 0)
		return -1;
	ret = profile_list_snap(s, cb, ctx, err, errlen);
	sq_read_end(SQ(s), opened);
	return ret;
}

/* ---- devices --------------------------------------------------------------------- */

#define DEVICE_COLS "name, model, profile, owner, pool, description, load," \
	" require_activation_code, allow_activation_code_mra, mra_domain," \
	" dialplan, softkeys, feature_policy, kem_count, kem_type"
#define LINE_COLS "button, dn, label, display_name, auto_answer," \
	" call_waiting, max_calls, busy_trigger"

static void
device_from_row(sqlite3_stmt *st, struct cfg_device *d)
{
	memset(d, 0, sizeof(*d));
	sq_col_copy(st, 0, d->name, sizeof(d->name));
	sq_col_copy(st, 1, d->model, sizeof(d->model));
	sq_col_copy(st, 2, d->profile, sizeof(d->profile));
	sq_col_copy(st, 3, d->owner, sizeof(d->owner));
	sq_col_copy(st, 4, d->pool, sizeof(d->pool));
	sq_col_copy(st, 5, d->description, sizeof(d->description));
	sq_col_copy(st, 6, d->load, sizeof(d->load));
	d->require_activation_code = sqlite3_column_int(st, 7);
	d->allow_activation_code_mra = sqlite3_column_int(st, 8);
	sq_col_copy(st, 9, d->mra_domain, sizeof(d->mra_domain));
	sq_col_copy(st, 10, d->dialplan, sizeof(d->dialplan));
	sq_col_copy(st, 11, d->softkeys, sizeof(d->softkeys));
	sq_col_copy(st, 12, d->feature_policy, sizeof(d->feature_policy));
	d->kem_count = (unsigned)sqlite3_column_int(st, 13);
	sq_col_copy(st, 14, d->kem_type, sizeof(d->kem_type));
}

/* The device's lines and vendor settings. */
static int
device_children(struct sq *q, struct cfg_device *d, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " LINE_COLS " FROM line WHERE device = ?1 ORDER BY button";
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sq_bind_text(st, 1, d->name);
	d->line_count = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       d->line_count < CFG_LINES_MAX) {
		struct cfg_line *l = &d->lines[d->line_count++];

		l->button = (unsigned)sqlite3_column_int(st, 0);
		sq_col_copy(st, 1, l->dn, sizeof(l->dn));
		sq_col_copy(st, 2, l->label, sizeof(l->label));
		sq_col_copy(st, 3, l->display_name, sizeof(l->display_name));
		l->auto_answer = sqlite3_column_int(st, 4);
		l->call_waiting = sqlite3_column_int(st, 5);
		l->max_calls = (unsigned)sqlite3_column_int(st, 6);
		l->busy_trigger = (unsigned)sqlite3_column_int(st, 7);
	}
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading lines");
	return vendor_read(q, device_vendor_sql, d->name, &d->vendor, err, errlen);
}

/* The named files a device refers to exist. */
static int
device_check_files(struct sq *q, const struct cfg_device *in, const char *name,
                   char *err, size_t errlen)
{
	static const struct { const char *sql, *what; size_t off; } refs[] = {
		{ "SELECT 1 FROM dialplan WHERE name = ?1", "dial plan",
		  offsetof(struct cfg_device, dialplan) },
		{ "SELECT 1 FROM softkeys WHERE name = ?1", "softkey template",
		  offsetof(struct cfg_device, softkeys) },
		{ "SELECT 1 FROM feature_policy WHERE name = ?1", "feature policy",
		  offsetof(struct cfg_device, feature_policy) },
	};
	int found;

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		const char *rec = (const char *)in + refs[i].off;
		if (rec[0] == '\0')
			continue;
		if (exists1(q, refs[i].sql, rec, &found, err, errlen) < 0)
			return -1;
		if (!found)
			return store_fail(err, errlen, "device %s: %s %s does not exist",
			                  name, refs[i].what, rec);
	}
	return 0;
}

/* The rules a device row must follow before it is written: its security
 * profile, device pool and named files exist, and a new device does not. */
static int
device_check_refs(struct sq *q, const struct cfg_device *in, const char *name,
                  unsigned flags, char *err, size_t errlen)
{
	static const char exists_sql[] = "SELECT 1 FROM device WHERE name = ?1";
	int found;

	if (exists1(q, profile_exists_sql, in->profile, &found, err, errlen) < 0)
		return -1;
	if (!found)
		return store_fail(err, errlen, "device %s: security profile %s "
		                  "does not exist", name, in->profile);
	if (in->pool[0] != '\0') {
		if (exists1(q, pool_exists_sql, in->pool, &found, err, errlen) < 0)
			return -1;
		if (!found)
			return store_fail(err, errlen, "device %s: device pool %s "
			                  "does not exist", name, in->pool);
	}
	if (device_check_files(q, in, name, err, errlen) < 0)
		return -1;
	if (flags & STORE_PUT_NEW) {
		if (exists1(q, exists_sql, name, &found, err, errlen) < 0)
			return -1;
		if (found)
			return store_fail(err, errlen, "device %s already exists",
			                  name);
	}
	return 0;
}

/* The device row under its canonical name (inserted, or replaced unless
 * STORE_PUT_NEW). */
static int
device_row_write(struct sq *q, const struct cfg_device *in, const char *name,
                 unsigned flags, char *err, size_t errlen)
{
	static const char ins_sql[] =
		"INSERT INTO device (" DEVICE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5,"
		" ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
	static const char upsert_sql[] =
		"INSERT INTO device (" DEVICE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5,"
		" ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
		" ON CONFLICT (name) DO UPDATE SET"
		" model = excluded.model, profile = excluded.profile,"
		" owner = excluded.owner, pool = excluded.pool,"
		" description = excluded.description, load = excluded.load,"
		" require_activation_code = excluded.require_activation_code,"
		" allow_activation_code_mra = excluded.allow_activation_code_mra,"
		" mra_domain = excluded.mra_domain, dialplan = excluded.dialplan,"
		" softkeys = excluded.softkeys,"
		" feature_policy = excluded.feature_policy,"
		" kem_count = excluded.kem_count, kem_type = excluded.kem_type";
	const char *sql = (flags & STORE_PUT_NEW) ? ins_sql : upsert_sql;
	sqlite3_stmt *st;

	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, name);
	sq_bind_text(st, 2, in->model);
	sq_bind_text(st, 3, in->profile);
	sq_bind_text(st, 4, in->owner);
	sq_bind_text_or_null(st, 5, in->pool);
	sq_bind_text(st, 6, in->description);
	sq_bind_text(st, 7, in->load);
	sqlite3_bind_int(st, 8, in->require_activation_code != 0);
	sqlite3_bind_int(st, 9, in->allow_activation_code_mra != 0);
	sq_bind_text(st, 10, in->mra_domain);
	sq_bind_text(st, 11, in->dialplan);
	sq_bind_text(st, 12, in->softkeys);
	sq_bind_text(st, 13, in->feature_policy);
	sqlite3_bind_int(st, 14, (int)in->kem_count);
	sq_bind_text(st, 15, in->kem_type);
	return sq_step_done(q, sql, st, "writing a device", err, errlen);
}

/* The device's lines, replacing those it had. */
static int
device_lines_write(struct sq *q, const struct cfg_device *in, const char *name,
                   unsigned flags, char *err, size_t errlen)
{
	static const char clear_sql[] = "DELETE FROM line WHERE device = ?1";
	static const char line_sql[] =
		"INSERT INTO line (device, " LINE_COLS ") VALUES (?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7, ?8, ?9)";
	sqlite3_stmt *st;

	/* A new device has no lines to clear; skipping the DELETE keeps the
	 * bulk import at one statement per row. */
	if (!(flags & STORE_PUT_NEW) &&
	    delete_named(q, clear_sql, name, "writing lines", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < in->line_count; i++) {
		const struct cfg_line *l = &in->lines[i];

		if ((st = sq_stmt(q, line_sql, err, errlen)) == NULL)
			return -1;
		sq_bind_text(st, 1, name);
		sqlite3_bind_int(st, 2, (int)l->button);
		sq_bind_text(st, 3, l->dn);
		sq_bind_text(st, 4, l->label);
		sq_bind_text(st, 5, l->display_name);
		sqlite3_bind_int(st, 6, l->auto_answer != 0);
		sqlite3_bind_int(st, 7, l->call_waiting != 0);
		sqlite3_bind_int(st, 8, (int)l->max_calls);
		sqlite3_bind_int(st, 9, (int)l->busy_trigger);
		if (sq_step_done(q, line_sql, st, "writing a line", err, errlen) < 0)
			return -1;
	}
	return vendor_write(q, "DELETE FROM device_vendor WHERE device = ?1",
	                    "INSERT INTO device_vendor (device, name, value) VALUES"
	                    " (?1, ?2, ?3)", name, &in->vendor, (flags & STORE_PUT_NEW) != 0,
	                    err, errlen);
}

/* Writes one device and its lines inside the caller's transaction. */
static int
device_write(struct sq *q, const struct cfg_device *in, unsigned flags,
             char *err, size_t errlen)
{
	char name[CFG_DEVNAME_MAX];

	if (store_check_device(in, err, errlen) < 0)
		return -1;
	store_upper(name, sizeof(name), in->name);
	if (device_check_refs(q, in, name, flags, err, errlen) < 0 ||
	    device_row_write(q, in, name, flags, err, errlen) < 0 ||
	    device_lines_write(q, in, name, flags, err, errlen) < 0)
		return -1;
	return 0;
}

int
sq_device_put(struct store *s, const struct cfg_device *d, unsigned flags,
              char *err, size_t errlen)
{
	struct sq *q = SQ(s);

	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if (device_write(q, d, flags, err, errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

int
sq_device_import(struct store *s, store_device_next_fn next, void *ctx,
                 unsigned flags, size_t *count, char *err, size_t errlen)
{
	struct sq *q = SQ(s);
	const struct cfg_device *d;
	size_t n = 0;
	int rc;

	if (count != NULL)
		*count = 0;
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	while ((rc = next(ctx, &d)) == 1) {
		if (device_write(q, d, flags, err, errlen) < 0)
			goto fail;
		n++;
	}
	if (rc < 0) {
		store_fail(err, errlen, "import aborted after %zu devices; nothing "
		           "written", n);
		goto fail;
	}
	if (sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0 ||
	    sq_commit(q, err, errlen) < 0)
		goto fail;
	if (count != NULL)
		*count = n;
	return 0;
fail:
	sq_rollback(q);
	return -1;
}

int
sq_device_get(struct store *s, const char *name, struct cfg_device *out,
              char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " DEVICE_COLS " FROM device WHERE name = ?1";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX];
	sqlite3_stmt *st;
	int rc, ret, opened;

	if (name == NULL || store_upper(key, sizeof(key), name) < 0 ||
	    key[0] == '\0')
		return store_notfound(err, errlen, "no such device");
	if (sq_read_begin(q, &opened, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL) {
		sq_read_end(q, opened);
		return -1;
	}
	sq_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		device_from_row(st, out);
	sq_done(q, sql, st);
	if (rc == SQLITE_DONE)
		ret = store_notfound(err, errlen, "device %s does not exist", key);
	else if (rc != SQLITE_ROW)
		ret = sq_err(q, err, errlen, "reading a device");
	else
		ret = device_children(q, out, err, errlen);
	sq_read_end(q, opened);
	return ret;
}

int
sq_device_delete(struct store *s, const char *name, int64_t now, char *err,
                 size_t errlen)
{
	static const char del_sql[] = "DELETE FROM device WHERE name = ?1";
	static const char fam_sql[] = "DELETE FROM refresh_family WHERE device = ?1";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX];
	int rc;

	if (name == NULL || store_upper(key, sizeof(key), name) < 0 ||
	    key[0] == '\0')
		return store_notfound(err, errlen, "no such device");
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	rc = delete_named(q, del_sql, key, "deleting a device", err, errlen);
	if (rc < 0)
		goto fail;
	if (rc == STORE_NOTFOUND) {
		sq_rollback(q);
		return store_notfound(err, errlen, "device %s does not exist", key);
	}
	/* Its tokens must die with it: a device re-created later under the
	 * same name starts clean (tokens issued after `now` are fine). */
	if (delete_named(q, fam_sql, key, "deleting refresh tokens", err,
	                 errlen) < 0 ||
	    sq_revoke_in_tx(q, STORE_REVOKE_DEVICE, key, now,
	                    now + STORE_ACCESS_MAX_LIFETIME, now, err,
	                    errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG | SQ_GEN_REVOCATION, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}

static int
device_list_snap(struct store *s, const char *after, size_t limit,
               store_device_cb cb, void *ctx, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " DEVICE_COLS " FROM device WHERE name > ?1"
		" ORDER BY name LIMIT ?2";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX] = "";
	struct cfg_device d;
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (after != NULL && store_upper(key, sizeof(key), after) < 0)
		return store_fail(err, errlen, "device name too long");
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, limit == 0 ? -1 : (int64_t)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		device_from_row(st, &d);
		if ((ret = device_children(q, &d, err, errlen)) != 0)
			break;
		if ((ret = cb(ctx, &d)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(q, err, errlen, "listing devices");
	sq_done(q, sql, st);
	return ret;
}

/* One read snapshot: the record and its child rows agree. */
int
sq_device_list(struct store *s, const char *after, size_t limit,
               store_device_cb cb, void *ctx, char *err, size_t errlen)
{
	int opened, ret;

	if (sq_read_begin(SQ(s), &opened, err, errlen) < 0)
		return -1;
	ret = device_list_snap(s, after, limit, cb, ctx, err, errlen);
	sq_read_end(SQ(s), opened);
	return ret;
}

int
sq_device_edit(struct store *s, const char *name, store_device_edit_fn fn,
               void *ctx, char *err, size_t errlen)
{
	struct sq *q = SQ(s);
	struct cfg_device d;
	char key[CFG_DEVNAME_MAX];
	int rc;

	if (name == NULL || store_upper(key, sizeof(key), name) < 0 || key[0] == '\0')
		return store_notfound(err, errlen, "no such device");
	/* BEGIN IMMEDIATE: nobody changes the device between our read and our
	 * write, so the edit cannot lose a concurrent one. */
	if (sq_begin(q, err, errlen) < 0)
		return -1;
	if ((rc = sq_device_get(s, key, &d, err, errlen)) != 0)
		goto out;
	if ((rc = fn(ctx, &d, err, errlen)) != 0)
		goto out;
	if (strcmp(d.name, key) != 0) {
		rc = store_fail(err, errlen, "device %s: an edit cannot rename it", key);
		goto out;
	}
	if (device_write(q, &d, STORE_PUT_REPLACE, err, errlen) < 0 ||
	    sq_bump(q, SQ_GEN_CONFIG, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	return sq_commit(q, err, errlen);
out:
	sq_rollback(q);
	return rc;
}

int
sq_line_shared(struct store *s, const char *device, uint32_t *mask, char *err,
               size_t errlen)
{
	static const char sql[] =
		"SELECT l.button FROM line l WHERE l.device = ?1 AND EXISTS"
		" (SELECT 1 FROM line o WHERE o.dn = l.dn AND o.device <> l.device)";
	struct sq *q = SQ(s);
	char key[CFG_DEVNAME_MAX];
	sqlite3_stmt *st;
	int rc;

	*mask = 0;
	if (store_device_key(device, key, err, errlen) < 0)
		return -1;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	sq_bind_text(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int b = sqlite3_column_int(st, 0);
		if (b >= 1 && b <= 32)
			*mask |= (uint32_t)1 << (b - 1);
	}
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "reading shared lines");
	return 0;
}
