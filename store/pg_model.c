/*
 * pg_model.c - cluster-wide settings and the device model in PostgreSQL:
 * the SIP OAuth mode, enterprise parameters, nodes, device pools, phone
 * security profiles, devices and their lines.  Every change bumps the
 * config generation in the same transaction.  Refusals are the words of
 * sqlite_params.c and sqlite_model.c: a rule is checked by a query before
 * writing, the foreign keys are the backstop.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store/pg_int.h"

/* Runs one write statement in its own transaction and bumps the config
 * generation.  *changed (may be NULL) gets the rows touched; with
 * notfound set, no row touched is STORE_NOTFOUND (err from notfound). */
static int
write1(struct pg *c, const char *what, const char *notfound, char *err,
       size_t errlen, const char *sql, const char *fmt, const char *a,
       const char *b)
{
	uint64_t n = 0;

	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, what, err, errlen, &n, sql, fmt, a, b) < 0)
		goto fail;
	if (notfound != NULL && n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "%s", notfound);
	}
	if (pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

/* 1 when `sql` (one text parameter) returns a row, 0 when not, -1. */
static int
exists1(struct pg *c, const char *sql, const char *arg, char *first,
        size_t firstlen, char *err, size_t errlen)
{
	PGresult *res = pg_run(c, "looking up", err, errlen, sql, "t", arg);
	int found;

	if (res == NULL)
		return -1;
	found = PQntuples(res) > 0;
	if (found && first != NULL)
		pg_col_copy(res, 0, 0, first, firstlen);
	PQclear(res);
	return found;
}

/* ---- cluster mode ---------------------------------------------------------- */

int
pg_cluster_get(struct store *s, struct cfg_cluster *out, char *err,
               size_t errlen)
{
	PGresult *res = pg_run(PG(s), "reading the cluster mode", err, errlen,
	                       "SELECT sip_oauth_mode, mixed_mode FROM cluster"
	                       " WHERE id = 1",
	                       NULL);

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		out->sip_oauth_mode = pg_col_int(res, 0, 0) != 0;
		out->mixed_mode = pg_col_int(res, 0, 1) != 0;
	}
	PQclear(res);
	return 0;
}

int
pg_cluster_set(struct store *s, const struct cfg_cluster *cl, char *err,
               size_t errlen)
{
	return write1(PG(s), "setting the cluster mode", NULL, err, errlen,
	              "UPDATE cluster SET sip_oauth_mode = $1, mixed_mode = $2"
	              " WHERE id = 1", "tt", cl->sip_oauth_mode ? "1" : "0",
	              cl->mixed_mode ? "1" : "0");
}

/* ---- enterprise parameters ------------------------------------------------------ */

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
pg_param_get(struct store *s, const char *name, char *value, size_t valuelen,
             char *err, size_t errlen)
{
	PGresult *res;
	int ret = 0;

	if (param_check(name, NULL, err, errlen) < 0)
		return -1;
	res = pg_run(PG(s), "reading a parameter", err, errlen,
	             "SELECT value FROM param WHERE name = $1", "t", name);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		ret = store_notfound(err, errlen, "parameter %s is not set", name);
	else if (store_copy(value, valuelen, PQgetvalue(res, 0, 0)) < 0)
		ret = store_fail(err, errlen, "parameter %s: value longer than the "
		                 "buffer", name);
	PQclear(res);
	return ret;
}

static const char param_set_sql[] =
	"INSERT INTO param (name, value) VALUES ($1, $2)"
	" ON CONFLICT (name) DO UPDATE SET value = excluded.value";
static const char param_del_sql[] = "DELETE FROM param WHERE name = $1";

int
pg_param_apply(struct store *s, const struct store_param_change *ch, size_t n,
               char *err, size_t errlen)
{
	struct pg *c = PG(s);

	for (size_t i = 0; i < n; i++)
		if (param_check(ch[i].name, ch[i].value, err, errlen) < 0)
			return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (pg_do(c, "writing a parameter", err, errlen, NULL,
		          ch[i].value ? param_set_sql : param_del_sql,
		          ch[i].value ? "tt" : "t", ch[i].name, ch[i].value) < 0)
			goto fail;
	if (pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_param_set(struct store *s, const char *name, const char *value, char *err,
             size_t errlen)
{
	struct store_param_change ch = { name, value };

	if (value == NULL)
		return store_fail(err, errlen, "parameter %s: no value", name);
	return pg_param_apply(s, &ch, 1, err, errlen);
}

int
pg_param_unset(struct store *s, const char *name, char *err, size_t errlen)
{
	char nf[STORE_NAME_MAX + 32];

	if (param_check(name, NULL, err, errlen) < 0)
		return -1;
	snprintf(nf, sizeof(nf), "parameter %s is not set", name);
	return write1(PG(s), "writing a parameter", nf, err, errlen,
	              param_del_sql, "t", name, NULL);
}

static int
param_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
          char *err, size_t errlen)
{
	(void)c;
	(void)err;
	(void)errlen;
	return ((store_param_cb)cb)(ctx, PQgetvalue(res, r, 0),
	                            PQgetvalue(res, r, 1));
}

int
pg_param_list(struct store *s, store_param_cb cb, void *ctx, char *err,
              size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing parameters", err, errlen,
	                         "SELECT name, value FROM param ORDER BY name",
	                         NULL),
	               param_row, (void *)cb, ctx, err, errlen);
}

/* ---- nodes ------------------------------------------------------------------------ */

#define NODE_COLS "name, host, description, phone_port, sip_port," \
	" secured_sip_port, sip_oauth_port, sip_mra_oauth_port"

static void
node_from_row(const PGresult *res, int r, struct cfg_node *n)
{
	memset(n, 0, sizeof(*n));
	pg_col_copy(res, r, 0, n->name, sizeof(n->name));
	pg_col_copy(res, r, 1, n->host, sizeof(n->host));
	pg_col_copy(res, r, 2, n->description, sizeof(n->description));
	n->phone_port = (uint16_t)pg_col_int(res, r, 3);
	n->sip_port = (uint16_t)pg_col_int(res, r, 4);
	n->secured_sip_port = (uint16_t)pg_col_int(res, r, 5);
	n->sip_oauth_port = (uint16_t)pg_col_int(res, r, 6);
	n->sip_mra_oauth_port = (uint16_t)pg_col_int(res, r, 7);
}

int
pg_node_put(struct store *s, const struct cfg_node *n, char *err,
            size_t errlen)
{
	struct pg *c = PG(s);

	if (store_check_node(n, err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "writing a node", err, errlen, NULL,
	          "INSERT INTO node (" NODE_COLS ") VALUES ($1, $2, $3, $4, $5,"
	          " $6, $7, $8) ON CONFLICT (name) DO UPDATE SET"
	          " host = excluded.host, description = excluded.description,"
	          " phone_port = excluded.phone_port,"
	          " sip_port = excluded.sip_port,"
	          " secured_sip_port = excluded.secured_sip_port,"
	          " sip_oauth_port = excluded.sip_oauth_port,"
	          " sip_mra_oauth_port = excluded.sip_mra_oauth_port",
	          "tttiiiii", n->name, n->host, n->description,
	          (int64_t)n->phone_port, (int64_t)n->sip_port,
	          (int64_t)n->secured_sip_port, (int64_t)n->sip_oauth_port,
	          (int64_t)n->sip_mra_oauth_port) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_node_get(struct store *s, const char *name, struct cfg_node *out,
            char *err, size_t errlen)
{
	PGresult *res;
	int ret = 0;

	if (store_check_str(name, CFG_NAME_MAX, 1, "node name", err, errlen) < 0)
		return -1;
	res = pg_run(PG(s), "reading a node", err, errlen,
	             "SELECT " NODE_COLS " FROM node WHERE name = $1", "t", name);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		node_from_row(res, 0, out);
	else
		ret = store_notfound(err, errlen, "node %s does not exist", name);
	PQclear(res);
	return ret;
}

int
pg_node_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char pool[CFG_NAME_MAX], nf[CFG_NAME_MAX + 32];
	int rc;

	if (store_check_str(name, CFG_NAME_MAX, 1, "node name", err, errlen) < 0)
		return -1;
	rc = exists1(c, "SELECT pool FROM pool_node WHERE node = $1 LIMIT 1", name,
	             pool, sizeof(pool), err, errlen);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return store_fail(err, errlen, "node %s is in the node group of "
		                  "device pool %s; remove it from the pool first",
		                  name, pool);
	snprintf(nf, sizeof(nf), "node %s does not exist", name);
	/* The pool check is repeated under the write lock by the foreign key
	 * (pool_node.node REFERENCES node). */
	return write1(c, "deleting a node", nf, err, errlen,
	              "DELETE FROM node WHERE name = $1", "t", name, NULL);
}

static int
node_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
         char *err, size_t errlen)
{
	struct cfg_node n;

	(void)c;
	(void)err;
	(void)errlen;
	node_from_row(res, r, &n);
	return ((store_node_cb)cb)(ctx, &n);
}

int
pg_node_list(struct store *s, store_node_cb cb, void *ctx, char *err,
             size_t errlen)
{
	struct pg *c = PG(s);

	return pg_each(c, pg_run(c, "listing nodes", err, errlen,
	                         "SELECT " NODE_COLS " FROM node ORDER BY name",
	                         NULL),
	               node_row, (void *)cb, ctx, err, errlen);
}

/* ---- device pools ---------------------------------------------------------------- */

int
pg_pool_put(struct store *s, const struct cfg_pool *p, char *err,
            size_t errlen)
{
	struct pg *c = PG(s);

	if (store_check_pool(p, err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < p->node_count; i++) {
		int rc = exists1(c, "SELECT 1 FROM node WHERE name = $1",
		                 p->nodes[i], NULL, 0, err, errlen);

		if (rc < 0)
			goto fail;
		if (rc == 0) {
			store_fail(err, errlen, "device pool %s: node %s does not "
			           "exist", p->name, p->nodes[i]);
			goto fail;
		}
	}
	if (pg_do(c, "writing a device pool", err, errlen, NULL,
	          "INSERT INTO pool (name, time_zone, date_template)"
	          " VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET"
	          " time_zone = excluded.time_zone,"
	          " date_template = excluded.date_template", "ttt", p->name,
	          p->time_zone, p->date_template) < 0 ||
	    pg_do(c, "writing a device pool", err, errlen, NULL,
	          "DELETE FROM pool_ntp WHERE pool = $1", "t", p->name) < 0 ||
	    pg_do(c, "writing a device pool", err, errlen, NULL,
	          "DELETE FROM pool_node WHERE pool = $1", "t", p->name) < 0)
		goto fail;
	for (size_t i = 0; i < p->ntp_count; i++)
		if (pg_do(c, "writing NTP servers", err, errlen, NULL,
		          "INSERT INTO pool_ntp (pool, idx, host) VALUES ($1, $2, $3)",
		          "tit", p->name, (int64_t)i, p->ntp[i]) < 0)
			goto fail;
	for (size_t i = 0; i < p->node_count; i++)
		if (pg_do(c, "writing the node group", err, errlen, NULL,
		          "INSERT INTO pool_node (pool, idx, node) VALUES ($1, $2, $3)",
		          "tit", p->name, (int64_t)i, p->nodes[i]) < 0)
			goto fail;
	if (pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

/* Fills the NTP servers and node group of *p (name set). */
static int
pool_children(struct pg *c, struct cfg_pool *p, char *err, size_t errlen)
{
	PGresult *res;

	res = pg_run(c, "reading NTP servers", err, errlen,
	             "SELECT host FROM pool_ntp WHERE pool = $1 ORDER BY idx", "t",
	             p->name);
	if (res == NULL)
		return -1;
	p->ntp_count = 0;
	for (int r = 0; r < PQntuples(res) && p->ntp_count < CFG_NTP_MAX; r++)
		pg_col_copy(res, r, 0, p->ntp[p->ntp_count++], CFG_HOST_MAX);
	PQclear(res);
	res = pg_run(c, "reading the node group", err, errlen,
	             "SELECT node FROM pool_node WHERE pool = $1 ORDER BY idx", "t",
	             p->name);
	if (res == NULL)
		return -1;
	p->node_count = 0;
	for (int r = 0; r < PQntuples(res) && p->node_count < CFG_GROUP_MAX; r++)
		pg_col_copy(res, r, 0, p->nodes[p->node_count++], CFG_NAME_MAX);
	PQclear(res);
	return 0;
}

static void
pool_from_row(const PGresult *res, int r, struct cfg_pool *p)
{
	memset(p, 0, sizeof(*p));
	pg_col_copy(res, r, 0, p->name, sizeof(p->name));
	pg_col_copy(res, r, 1, p->time_zone, sizeof(p->time_zone));
	pg_col_copy(res, r, 2, p->date_template, sizeof(p->date_template));
}

int
pg_pool_get(struct store *s, const char *name, struct cfg_pool *out,
            char *err, size_t errlen)
{
	struct pg *c = PG(s);
	PGresult *res;
	int opened, ret = 0;

	if (store_check_str(name, CFG_NAME_MAX, 1, "device pool name", err,
	                    errlen) < 0)
		return -1;
	if (pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	res = pg_run(c, "reading a device pool", err, errlen,
	             "SELECT name, time_zone, date_template FROM pool"
	             " WHERE name = $1", "t", name);
	if (res == NULL)
		ret = -1;
	else if (PQntuples(res) == 0)
		ret = store_notfound(err, errlen, "device pool %s does not exist",
		                     name);
	else {
		pool_from_row(res, 0, out);
		ret = pool_children(c, out, err, errlen);
	}
	PQclear(res);
	pg_read_end(c, opened);
	return ret;
}

/* Deletes `name` unless a device uses it (use_sql finds one). */
int
pg_delete_unused(struct pg *c, const char *use_sql, const char *del_sql,
              const char *kind, const char *name, char *err, size_t errlen)
{
	char dev[CFG_DEVNAME_MAX], nf[CFG_NAME_MAX + 64];
	int rc;

	if (store_check_str(name, CFG_NAME_MAX, 1, kind, err, errlen) < 0)
		return -1;
	rc = exists1(c, use_sql, name, dev, sizeof(dev), err, errlen);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return store_fail(err, errlen, "%s %s is in use by device %s (and "
		                  "maybe others); a %s in use cannot be deleted",
		                  kind, name, dev, kind);
	snprintf(nf, sizeof(nf), "%s %s does not exist", kind, name);
	return write1(c, kind, nf, err, errlen, del_sql, "t", name, NULL);
}

int
pg_pool_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return pg_delete_unused(PG(s), "SELECT name FROM device WHERE pool = $1 LIMIT 1",
	                     "DELETE FROM pool WHERE name = $1", "device pool",
	                     name, err, errlen);
}

static int
pool_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
         char *err, size_t errlen)
{
	struct cfg_pool p;

	pool_from_row(res, r, &p);
	if (pool_children(c, &p, err, errlen) < 0)
		return -1;
	return ((store_pool_cb)cb)(ctx, &p);
}

int
pg_pool_list(struct store *s, store_pool_cb cb, void *ctx, char *err,
             size_t errlen)
{
	struct pg *c = PG(s);
	int opened, ret;

	if (pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	ret = pg_each(c, pg_run(c, "listing device pools", err, errlen,
	                        "SELECT name, time_zone, date_template FROM pool"
	                        " ORDER BY name", NULL),
	              pool_row, (void *)cb, ctx, err, errlen);
	pg_read_end(c, opened);
	return ret;
}

/* ---- vendor settings of profiles and devices ---------------------------------------
 * Rows (owner, name, value) in profile_vendor / device_vendor, written whole
 * with their record and read back in name order (as sqlite_model.c). */

int
pg_vendor_write(struct pg *c, const char *table, const char *owner_col,
                const char *owner, const struct cfg_vendor *v, int fresh,
                char *err, size_t errlen)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s = $1", table, owner_col);
	if (!fresh && pg_do(c, "writing vendor settings", err, errlen, NULL, sql,
	                    "t", owner) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "INSERT INTO %s (%s, name, value) VALUES ($1,"
	         " $2, $3)", table, owner_col);
	for (size_t i = 0; i < v->count && i < CFG_VENDOR_MAX; i++)
		if (pg_do(c, "writing a vendor setting", err, errlen, NULL, sql, "ttt",
		          owner, v->kv[i].key, v->kv[i].value) < 0)
			return -1;
	return 0;
}

/* Rows r0.. of res whose column 0 is `owner` (columns 1, 2: name, value)
 * into v; returns the first row past them. */
int
pg_vendor_take(const PGresult *res, int r0, const char *owner,
               struct cfg_vendor *v)
{
	int n = PQntuples(res), r = r0;

	v->count = 0;
	for (; r < n && strcmp(PQgetvalue(res, r, 0), owner) == 0; r++) {
		if (v->count >= CFG_VENDOR_MAX)
			continue;
		pg_col_copy(res, r, 1, v->kv[v->count].key, sizeof(v->kv[0].key));
		pg_col_copy(res, r, 2, v->kv[v->count].value, sizeof(v->kv[0].value));
		v->count++;
	}
	return r;
}

/* The vendor settings of one owner. */
static int
vendor_read(struct pg *c, const char *sql, const char *owner,
            struct cfg_vendor *v, char *err, size_t errlen)
{
	PGresult *res = pg_run(c, "reading vendor settings", err, errlen, sql, "t",
	                       owner);

	if (res == NULL)
		return -1;
	(void)pg_vendor_take(res, 0, owner, v);
	PQclear(res);
	return 0;
}

#define PROFILE_VENDOR_SQL "SELECT profile, name, value FROM profile_vendor" \
	" WHERE profile = $1 ORDER BY name"

/* ---- phone security profiles ----------------------------------------------------- */

#define PROFILE_COLS "name, description, mode, transport, oauth, digest," \
	" tftp_encrypted_config"

static void
profile_from_row(const PGresult *res, int r, struct cfg_profile *p)
{
	memset(p, 0, sizeof(*p));
	pg_col_copy(res, r, 0, p->name, sizeof(p->name));
	pg_col_copy(res, r, 1, p->description, sizeof(p->description));
	p->mode = (enum cfg_sec_mode)pg_col_int(res, r, 2);
	p->transport = (enum cfg_transport)pg_col_int(res, r, 3);
	p->oauth = (int)pg_col_int(res, r, 4);
	p->digest = (int)pg_col_int(res, r, 5);
	p->tftp_encrypted_config = (int)pg_col_int(res, r, 6);
}

int
pg_profile_put(struct store *s, const struct cfg_profile *p, char *err,
               size_t errlen)
{
	struct pg *c = PG(s);

	if (store_check_profile(p, err, errlen) < 0)
		return -1;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "writing a security profile", err, errlen, NULL,
	          "INSERT INTO profile (" PROFILE_COLS ") VALUES ($1, $2, $3, $4,"
	          " $5, $6, $7) ON CONFLICT (name) DO UPDATE SET"
	          " description = excluded.description, mode = excluded.mode,"
	          " transport = excluded.transport, oauth = excluded.oauth,"
	          " digest = excluded.digest,"
	          " tftp_encrypted_config = excluded.tftp_encrypted_config",
	          "ttiiiii", p->name, p->description, (int64_t)p->mode,
	          (int64_t)p->transport, (int64_t)(p->oauth != 0),
	          (int64_t)(p->digest != 0),
	          (int64_t)(p->tftp_encrypted_config != 0)) < 0 ||
	    pg_vendor_write(c, "profile_vendor", "profile", p->name, &p->vendor, 0,
	                    err, errlen) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_profile_get(struct store *s, const char *name, struct cfg_profile *out,
               char *err, size_t errlen)
{
	struct pg *c = PG(s);
	PGresult *res;
	int opened, ret = 0;

	if (store_check_str(name, CFG_NAME_MAX, 1, "security profile name", err,
	                    errlen) < 0)
		return -1;
	if (pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	res = pg_run(c, "reading a security profile", err, errlen,
	             "SELECT " PROFILE_COLS " FROM profile WHERE name = $1", "t",
	             name);
	if (res == NULL)
		ret = -1;
	else if (PQntuples(res) == 1)
		profile_from_row(res, 0, out);
	else
		ret = store_notfound(err, errlen, "security profile %s does not "
		                     "exist", name);
	PQclear(res);
	if (ret == 0)
		ret = vendor_read(c, PROFILE_VENDOR_SQL, out->name, &out->vendor, err,
		                  errlen);
	pg_read_end(c, opened);
	return ret;
}

int
pg_profile_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	return pg_delete_unused(PG(s),
	                     "SELECT name FROM device WHERE profile = $1 LIMIT 1",
	                     "DELETE FROM profile WHERE name = $1",
	                     "security profile", name, err, errlen);
}

static int
profile_row(struct pg *c, const PGresult *res, int r, void *cb, void *ctx,
            char *err, size_t errlen)
{
	struct cfg_profile p;

	profile_from_row(res, r, &p);
	if (vendor_read(c, PROFILE_VENDOR_SQL, p.name, &p.vendor, err, errlen) < 0)
		return -1;
	return ((store_profile_cb)cb)(ctx, &p);
}

int
pg_profile_list(struct store *s, store_profile_cb cb, void *ctx, char *err,
                size_t errlen)
{
	struct pg *c = PG(s);
	int opened, ret;

	if (pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	ret = pg_each(c, pg_run(c, "listing security profiles", err, errlen,
	                        "SELECT " PROFILE_COLS " FROM profile"
	                        " ORDER BY name", NULL),
	              profile_row, (void *)cb, ctx, err, errlen);
	pg_read_end(c, opened);
	return ret;
}
