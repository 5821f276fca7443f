/* Unit tests for store/: schema, every record, transactions, generations,
 * token state.  Each test gets its own temporary data directory.
 *
 * Both backends run the whole suite: with OPROV_TEST_PG set to a
 * PostgreSQL URI (tests/unit/test_store_pg.sh starts a private server),
 * each test's data directory holds an oprov.conf naming a schema of its
 * own in that database, so every store_open(dir, ...) below reaches
 * PostgreSQL.  The few tests about SQLite's files check the same property
 * through the database on PostgreSQL, or say why it does not apply. */
#include "config.h"

#include <dirent.h>
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h"     /* store_migration_sql */

static char dir[64];
static char err[STORE_ERR_MAX];
static struct store *S;

static char schema[64];           /* PostgreSQL: this test's schema */

/* PostgreSQL: one statement on a connection of our own (in the test's
 * schema when `in_schema`); the first column of the first row, if any,
 * into out.  Returns the number of rows, -1 on error. */
static int
pg_sql(int in_schema, const char *sql, char *out, size_t outlen)
{
	const char *uri = getenv("OPROV_TEST_PG");
	PGconn *c = PQconnectdb(uri);
	PGresult *res;
	char set[128];
	int n = -1;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	if (in_schema) {
		snprintf(set, sizeof(set), "SET search_path = %s", schema);
		PQclear(PQexec(c, set));
	}
	res = PQexec(c, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK) {
		n = PQntuples(res);
		if (out != NULL && n > 0)
			snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	PQfinish(c);
	return n;
}

static int
on_pg(void)
{
	return getenv("OPROV_TEST_PG") != NULL;
}

static void
setup(void)
{
	char sql[128], conf[600], path[128];
	const char *uri = getenv("OPROV_TEST_PG");
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/oprov-test-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	if (uri == NULL)
		return;
	snprintf(schema, sizeof(schema), "t_%ld_%ld", (long)getpid(),
	         (long)random());
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	cr_assert_eq(pg_sql(0, sql, NULL, 0), 0);
	snprintf(conf, sizeof(conf), "# this test's schema\nstore = %s%s"
	         "options=-csearch_path%%3D%s\n", uri,
	         strchr(uri, '?') ? "&" : "?", schema);
	snprintf(path, sizeof(path), "%s/oprov.conf", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(conf, f);
	fclose(f);
}

static void
teardown(void)
{
	DIR *d;
	struct dirent *e;
	char p[512];

	if (S != NULL) {
		store_close(S);
		S = NULL;
	}
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
	if (on_pg()) {
		char sql[128];

		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema);
		pg_sql(0, sql, NULL, 0);
	}
}

TestSuite(store, .init = setup, .fini = teardown);

static struct store *
open_new(void)
{
	struct store *s = store_open(dir, STORE_CREATE, err, sizeof(err));

	cr_assert_not_null(s, "store_open: %s", err);
	return s;
}

static void
gen(struct store *s, struct store_generation *g)
{
	cr_assert_eq(store_generation(s, g, err, sizeof(err)), 0, "%s", err);
}

static void
add_profile(struct store *s, const char *name, int oauth)
{
	struct cfg_profile p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.description, sizeof(p.description), "profile %s", name);
	p.mode = oauth ? CFG_MODE_ENCRYPTED : CFG_MODE_NON_SECURE;
	p.transport = oauth ? CFG_TRANSPORT_TLS : CFG_TRANSPORT_TCP;
	p.oauth = oauth;
	cr_assert_eq(store_profile_put(s, &p, err, sizeof(err)), 0, "%s", err);
}

static void
make_device(struct cfg_device *d, const char *name, const char *profile,
            size_t lines)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->model, sizeof(d->model), "8845");
	snprintf(d->profile, sizeof(d->profile), "%s", profile);
	snprintf(d->owner, sizeof(d->owner), "jdoe");
	snprintf(d->description, sizeof(d->description), "desk <&\"'> é");
	snprintf(d->load, sizeof(d->load), "sip88xx.14-2-1-0101-30");
	d->require_activation_code = 1;
	d->line_count = lines;
	for (size_t i = 0; i < lines; i++) {
		struct cfg_line *l = &d->lines[i];

		l->button = (unsigned)(i + 1);
		snprintf(l->dn, sizeof(l->dn), "10%zu", i);
		snprintf(l->label, sizeof(l->label), "Line %zu", i + 1);
		snprintf(l->display_name, sizeof(l->display_name), "J. Doe %zu", i);
		l->call_waiting = 1;
		l->max_calls = 4;
		l->busy_trigger = 2;
	}
}

static void
add_device(struct store *s, const char *name, const char *profile)
{
	struct cfg_device d;

	make_device(&d, name, profile, 1);
	cr_assert_eq(store_device_put(s, &d, STORE_PUT_REPLACE, err, sizeof(err)),
	             0, "%s", err);
}

/* ---- opening and schema --------------------------------------------------- */

/* The schema version the database records: PRAGMA user_version, or the
 * row of oprov_schema on PostgreSQL. */
static int
db_user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char pv[32] = "-1";
	int v = -1;

	if (on_pg()) {
		pg_sql(1, "SELECT version FROM oprov_schema", pv, sizeof(pv));
		return atoi(pv);
	}
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
	             SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

Test(store, migrates_from_empty)
{
	struct store_generation g;
	struct store_counts c;
	char path[128];

	S = open_new();
	snprintf(path, sizeof(path), "%s/oprov.db", dir);
	cr_assert_gt(store_schema_version(), 0);
	cr_assert_eq(db_user_version(path), store_schema_version());
	gen(S, &g);
	cr_assert_eq(g.config, 1);
	cr_assert_eq(g.revocation, 1);
	cr_assert_eq(store_counts(S, 0, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.devices + c.profiles + c.nodes + c.certs + c.keys, 0);
	store_close(S);
	/* reopening an up-to-date store changes nothing */
	S = store_open(dir, 0, err, sizeof(err));
	cr_assert_not_null(S, "%s", err);
	gen(S, &g);
	cr_assert_eq(g.config, 1);
}

Test(store, missing_store_needs_create)
{
	struct store *s = store_open(dir, 0, err, sizeof(err));

	cr_assert_null(s);
	cr_assert_not_null(strstr(err, "oprovctl init"), "%s", err);
}

Test(store, excl_refuses_existing)
{
	S = open_new();
	cr_assert_null(store_open(dir, STORE_CREATE | STORE_EXCL, err,
	                          sizeof(err)));
	cr_assert_not_null(strstr(err, "already exists"), "%s", err);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

Test(store, newer_schema_refused_and_untouched)
{
	char path[128], sql[64], want[160];
	unsigned char *before, *after;
	size_t blen, alen;
	sqlite3 *db;
	int newer = store_schema_version() + 3;

	S = open_new();
	add_profile(S, "P", 0);
	store_close(S);
	S = NULL;
	if (on_pg()) {
		/* the database is left as it was: version and rows */
		char n[16] = "";

		snprintf(sql, sizeof(sql), "UPDATE oprov_schema SET version = %d",
		         newer);
		cr_assert_eq(pg_sql(1, sql, NULL, 0), 0);
		cr_assert_null(store_open(dir, 0, err, sizeof(err)));
		snprintf(want, sizeof(want), "database schema version %d is newer "
		         "than this oprov (%d); upgrade oprov", newer,
		         store_schema_version());
		cr_assert_str_eq(err, want);
		cr_assert_null(store_open(dir, STORE_CREATE, err, sizeof(err)));
		cr_assert_eq(db_user_version(NULL), newer);
		pg_sql(1, "SELECT count(*) FROM profile", n, sizeof(n));
		cr_assert_str_eq(n, "1");
		return;
	}
	snprintf(path, sizeof(path), "%s/oprov.db", dir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", newer);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	/* leave a plain rollback-journal file: every byte is in oprov.db */
	cr_assert_eq(sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL,
	                          NULL), SQLITE_OK);
	sqlite3_close(db);
	before = slurp(path, &blen);

	cr_assert_null(store_open(dir, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "database schema version %d is newer than "
	         "this oprov (%d); upgrade oprov", newer, store_schema_version());
	cr_assert_str_eq(err, want);
	cr_assert_null(store_open(dir, STORE_CREATE, err, sizeof(err)));

	after = slurp(path, &alen);
	cr_assert_eq(alen, blen);
	cr_assert_eq(memcmp(before, after, blen), 0, "database bytes changed");
	cr_assert_eq(db_user_version(path), newer);
	free(before);
	free(after);
}

static mode_t
file_mode(const char *name)
{
	char p[160];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	cr_assert_eq(stat(p, &sb), 0, "%s missing", name);
	return sb.st_mode & 07777;
}

Test(store, files_are_0600)
{
	mode_t old;
	struct cfg_cluster c = { .sip_oauth_mode = 1 };

	if (on_pg())
		cr_skip_test("PostgreSQL keeps no oprov file; access is the "
		             "database's roles (docs/cluster.md)");
	old = umask(0);                 /* the most permissive umask */

	S = open_new();
	umask(old);
	cr_assert_eq(store_cluster_set(S, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(file_mode("oprov.db"), 0600);
	cr_assert_eq(file_mode("oprov.db-wal"), 0600);
	cr_assert_eq(file_mode("oprov.db-shm"), 0600);
}

Test(store, readonly_refuses_writes)
{
	struct cfg_cluster c = { .sip_oauth_mode = 1 };
	struct store *ro;

	S = open_new();
	ro = store_open(dir, STORE_READONLY, err, sizeof(err));
	cr_assert_not_null(ro, "%s", err);
	cr_assert_eq(store_cluster_set(ro, &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "read-only"), "%s", err);
	cr_assert_eq(store_cluster_get(ro, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.sip_oauth_mode, 0);
	store_close(ro);
}

/* ---- model records --------------------------------------------------------- */

Test(store, cluster_and_params_round_trip)
{
	struct cfg_cluster c;
	char v[STORE_PARAM_VALUE_MAX];
	struct store_param_change ch[] = {
		{ "oauth-access-token-minutes", "30" },
		{ "oauth-refresh-login-flow", "on" },
	};

	S = open_new();
	cr_assert_eq(store_cluster_get(S, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.sip_oauth_mode, 0);
	c.sip_oauth_mode = 1;
	cr_assert_eq(store_cluster_set(S, &c, err, sizeof(err)), 0);
	memset(&c, 0, sizeof(c));
	cr_assert_eq(store_cluster_get(S, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.sip_oauth_mode, 1);

	cr_assert_eq(store_param_get(S, "oauth-access-token-minutes", v, sizeof(v),
	                             err, sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_param_apply(S, ch, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_param_get(S, "oauth-access-token-minutes", v, sizeof(v),
	                             err, sizeof(err)), 0);
	cr_assert_str_eq(v, "30");
	cr_assert_eq(store_param_set(S, "oauth-access-token-minutes", "45", err,
	                             sizeof(err)), 0);
	cr_assert_eq(store_param_get(S, "oauth-access-token-minutes", v, sizeof(v),
	                             err, sizeof(err)), 0);
	cr_assert_str_eq(v, "45");
	cr_assert_eq(store_param_unset(S, "oauth-refresh-login-flow", err,
	                               sizeof(err)), 0);
	cr_assert_eq(store_param_unset(S, "oauth-refresh-login-flow", err,
	                               sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_param_get(S, "oauth-refresh-login-flow", v, sizeof(v),
	                             err, sizeof(err)), STORE_NOTFOUND);
	/* too small a buffer is an error, not a cut value */
	cr_assert_eq(store_param_get(S, "oauth-access-token-minutes", v, 2, err,
	                             sizeof(err)), -1);
}

static int
count_param(void *ctx, const char *name, const char *value)
{
	(*(int *)ctx)++;
	return 0;
}

Test(store, param_list)
{
	int n = 0;

	S = open_new();
	cr_assert_eq(store_param_set(S, "a", "1", err, sizeof(err)), 0);
	cr_assert_eq(store_param_set(S, "b", "2", err, sizeof(err)), 0);
	cr_assert_eq(store_param_list(S, count_param, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 2);
}

Test(store, node_round_trip_and_delete_rules)
{
	struct cfg_node n, m;
	struct cfg_pool p;

	S = open_new();
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "cucm1");
	snprintf(n.host, sizeof(n.host), "cucm1.example.com");
	snprintf(n.description, sizeof(n.description), "first");
	n.phone_port = 2000;
	n.sip_port = 5060;
	n.secured_sip_port = 5061;
	n.sip_oauth_port = 5090;
	n.sip_mra_oauth_port = 5091;
	cr_assert_eq(store_node_put(S, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_node_get(S, "cucm1", &m, err, sizeof(err)), 0);
	cr_assert_eq(memcmp(&n, &m, sizeof(n)), 0);
	n.sip_oauth_port = 6090;
	cr_assert_eq(store_node_put(S, &n, err, sizeof(err)), 0);
	cr_assert_eq(store_node_get(S, "cucm1", &m, err, sizeof(err)), 0);
	cr_assert_eq(m.sip_oauth_port, 6090);
	cr_assert_eq(store_node_get(S, "nope", &m, err, sizeof(err)),
	             STORE_NOTFOUND);

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "HQ");
	p.node_count = 1;
	snprintf(p.nodes[0], sizeof(p.nodes[0]), "cucm1");
	cr_assert_eq(store_pool_put(S, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_node_delete(S, "cucm1", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "node group of device pool HQ"), "%s", err);
	cr_assert_eq(store_pool_delete(S, "HQ", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_node_delete(S, "cucm1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_node_delete(S, "cucm1", err, sizeof(err)),
	             STORE_NOTFOUND);
}

Test(store, pool_round_trip)
{
	struct cfg_node n;
	struct cfg_pool p, q;

	S = open_new();
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "a");
	cr_assert_eq(store_node_put(S, &n, err, sizeof(err)), 0);
	snprintf(n.name, sizeof(n.name), "b");
	cr_assert_eq(store_node_put(S, &n, err, sizeof(err)), 0);

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "Branch");
	snprintf(p.time_zone, sizeof(p.time_zone), "Europe/Zurich");
	snprintf(p.date_template, sizeof(p.date_template), "D.M.Y");
	p.ntp_count = 2;
	snprintf(p.ntp[0], sizeof(p.ntp[0]), "ntp1.example.com");
	snprintf(p.ntp[1], sizeof(p.ntp[1]), "10.0.0.1");
	p.node_count = 2;
	snprintf(p.nodes[0], sizeof(p.nodes[0]), "b");
	snprintf(p.nodes[1], sizeof(p.nodes[1]), "a");
	cr_assert_eq(store_pool_put(S, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_pool_get(S, "Branch", &q, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0, "pool differs");

	/* a node group naming an unknown node is refused, old pool kept */
	snprintf(p.nodes[1], sizeof(p.nodes[1]), "zzz");
	cr_assert_eq(store_pool_put(S, &p, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "node zzz does not exist"), "%s", err);
	cr_assert_eq(store_pool_get(S, "Branch", &q, err, sizeof(err)), 0);
	cr_assert_str_eq(q.nodes[1], "a");
}

Test(store, profile_round_trip)
{
	struct cfg_profile p, q;

	S = open_new();
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "OAuth-8845");
	snprintf(p.description, sizeof(p.description), "enc + oauth");
	p.mode = CFG_MODE_ENCRYPTED;
	p.transport = CFG_TRANSPORT_TLS;
	p.oauth = 1;
	cr_assert_eq(store_profile_put(S, &p, err, sizeof(err)), 0);
	cr_assert_eq(store_profile_get(S, "OAuth-8845", &q, err, sizeof(err)), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0);
	cr_assert_eq(store_profile_get(S, "oauth-8845", &q, err, sizeof(err)),
	             STORE_NOTFOUND);
}

Test(store, device_round_trip_case_insensitive)
{
	struct cfg_device d, e;

	S = open_new();
	add_profile(S, "P", 1);
	make_device(&d, "SEP001122AABBCC", "P", 3);
	cr_assert_eq(store_device_put(S, &d, STORE_PUT_NEW, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(store_device_get(S, "sep001122aabbcc", &e, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(memcmp(&d, &e, sizeof(d)), 0, "device differs");
	cr_assert_eq(store_device_put(S, &d, STORE_PUT_NEW, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "already exists"), "%s", err);

	/* replacing drops the old lines */
	make_device(&d, "Sep001122aabbcc", "P", 1);
	snprintf(d.lines[0].dn, sizeof(d.lines[0].dn), "2000");
	cr_assert_eq(store_device_put(S, &d, STORE_PUT_REPLACE, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(store_device_get(S, "SEP001122AABBCC", &e, err, sizeof(err)),
	             0);
	cr_assert_str_eq(e.name, "SEP001122AABBCC");
	cr_assert_eq(e.line_count, 1);
	cr_assert_str_eq(e.lines[0].dn, "2000");
	cr_assert_eq(store_device_get(S, "SEP000000000000", &e, err, sizeof(err)),
	             STORE_NOTFOUND);
}

Test(store, device_needs_profile_and_pool)
{
	struct cfg_device d, e;

	S = open_new();
	add_profile(S, "P", 0);
	make_device(&d, "SEP00000000000A", "Missing", 1);
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "device SEP00000000000A: security profile Missing "
	                 "does not exist");
	make_device(&d, "SEP00000000000A", "P", 1);
	snprintf(d.pool, sizeof(d.pool), "NoPool");
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "device pool NoPool does not exist"), "%s",
	                   err);
	make_device(&d, "SEP00000000000A", "P", 2);
	d.lines[1].button = d.lines[0].button;
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "used twice"), "%s", err);
	cr_assert_eq(store_device_get(S, "SEP00000000000A", &e, err, sizeof(err)),
	             STORE_NOTFOUND);
}

Test(store, profile_and_pool_in_use_cannot_be_deleted)
{
	struct cfg_pool p;
	struct cfg_device d;

	S = open_new();
	add_profile(S, "P", 0);
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "Pool1");
	cr_assert_eq(store_pool_put(S, &p, err, sizeof(err)), 0);
	make_device(&d, "SEP0000000000AA", "P", 0);
	snprintf(d.pool, sizeof(d.pool), "Pool1");
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_profile_delete(S, "P", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "security profile P is in use by device "
	                 "SEP0000000000AA (and maybe others); a security profile "
	                 "in use cannot be deleted");
	cr_assert_eq(store_pool_delete(S, "Pool1", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "in use by device SEP0000000000AA"));
	cr_assert_eq(store_device_delete(S, "sep0000000000aa", 100, err,
	                                 sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_pool_delete(S, "Pool1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_profile_delete(S, "P", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_profile_delete(S, "P", err, sizeof(err)),
	             STORE_NOTFOUND);
}

Test(store, over_long_text_is_refused_not_cut)
{
	struct cfg_device d;
	struct store_client c;

	S = open_new();
	add_profile(S, "P", 0);
	make_device(&d, "SEP00000000000B", "P", 1);
	memset(d.description, 'x', sizeof(d.description));   /* no NUL */
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "longer than"), "%s", err);
	memset(&c, 0, sizeof(c));
	memset(c.name, 'n', sizeof(c.name));
	cr_assert_eq(store_client_add(S, &c, err, sizeof(err)), -1);
}

struct collect {
	char names[64][CFG_DEVNAME_MAX];
	int n;
	struct store *s;
	int lookups_ok;
};

static int
collect_device(void *ctx, const struct cfg_device *d)
{
	struct collect *c = ctx;
	struct cfg_device again;

	snprintf(c->names[c->n++], CFG_DEVNAME_MAX, "%s", d->name);
	/* reading through the same store inside a callback works */
	if (c->s != NULL &&
	    store_device_get(c->s, d->name, &again, NULL, 0) == 0 &&
	    again.line_count == d->line_count)
		c->lookups_ok++;
	return 0;
}

Test(store, device_list_pages_in_order)
{
	struct collect c;
	char name[CFG_DEVNAME_MAX];
	const char *after = NULL;

	S = open_new();
	add_profile(S, "P", 0);
	for (int i = 24; i >= 0; i--) {
		snprintf(name, sizeof(name), "SEP0000000000%02d", i);
		add_device(S, name, "P");
	}
	memset(&c, 0, sizeof(c));
	c.s = S;
	for (int page = 0; page < 4; page++) {
		int before = c.n;

		cr_assert_eq(store_device_list(S, after, 10, collect_device, &c, err,
		                               sizeof(err)), 0, "%s", err);
		if (c.n == before)
			break;
		after = c.names[c.n - 1];
	}
	cr_assert_eq(c.n, 25);
	cr_assert_eq(c.lookups_ok, 25);
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "SEP0000000000%02d", i);
		cr_assert_str_eq(c.names[i], name);
	}
}

/* ---- bulk import -------------------------------------------------------------- */

Test(store, import_is_all_or_nothing)
{
	struct cfg_device devs[3];
	struct store_generation g0, g1;
	struct store_counts c;
	struct cfg_device e;

	S = open_new();
	add_profile(S, "P", 0);
	make_device(&devs[0], "SEP000000000001", "P", 2);
	make_device(&devs[1], "SEP000000000002", "P", 1);
	make_device(&devs[2], "SEP000000000003", "Missing", 1);
	gen(S, &g0);
	cr_assert_eq(store_device_import_array(S, devs, 3, 0, err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "device SEP000000000003: security profile Missing "
	                 "does not exist");
	cr_assert_eq(store_device_get(S, "SEP000000000001", &e, err, sizeof(err)),
	             STORE_NOTFOUND);
	cr_assert_eq(store_counts(S, 0, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.devices, 0);
	cr_assert_eq(c.lines, 0);
	gen(S, &g1);
	cr_assert_eq(g1.config, g0.config, "failed import moved the generation");

	snprintf(devs[2].profile, sizeof(devs[2].profile), "P");
	cr_assert_eq(store_device_import_array(S, devs, 3, STORE_PUT_NEW, err,
	                                       sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_counts(S, 0, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.devices, 3);
	cr_assert_eq(c.lines, 4);
	gen(S, &g1);
	cr_assert_eq(g1.config, g0.config + 1, "one import, one bump");
	/* importing the same names again as new is refused as a whole */
	cr_assert_eq(store_device_import_array(S, devs, 3, STORE_PUT_NEW, err,
	                                       sizeof(err)), -1);
}

struct gen_ctx {
	struct cfg_device d;
	int i, n, abort_at;
};

static int
gen_next(void *ctx, const struct cfg_device **dev)
{
	struct gen_ctx *g = ctx;

	if (g->i == g->abort_at)
		return -1;
	if (g->i == g->n)
		return 0;
	make_device(&g->d, "SEP000000000000", "P", 2);
	snprintf(g->d.name, sizeof(g->d.name), "SEP%012X", g->i);
	g->i++;
	*dev = &g->d;
	return 1;
}

Test(store, import_from_callback)
{
	struct gen_ctx g = { .n = 500, .abort_at = -1 };
	struct cfg_device e;
	size_t count = 0;

	S = open_new();
	add_profile(S, "P", 0);
	cr_assert_eq(store_device_import(S, gen_next, &g, STORE_PUT_NEW, &count,
	                                 err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(count, 500);
	cr_assert_eq(store_device_get(S, "sep0000000001f3", &e, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(e.line_count, 2);

	/* the producer aborting leaves nothing of its batch */
	memset(&g, 0, sizeof(g));
	g.i = 1000;
	g.n = 2000;
	g.abort_at = 1500;
	cr_assert_eq(store_device_import(S, gen_next, &g, 0, &count, err,
	                                 sizeof(err)), -1);
	cr_assert_eq(store_device_get(S, "SEP0000000003E8", &e, err, sizeof(err)),
	             STORE_NOTFOUND);
}

/* ---- certificates --------------------------------------------------------------- */

static int
add_cert(struct store *s, const char *purpose, int i, int64_t *id)
{
	struct store_cert c;
	char pem[64];

	memset(&c, 0, sizeof(c));
	snprintf(c.purpose, sizeof(c.purpose), "%s", purpose);
	snprintf(c.subject, sizeof(c.subject), "CN=Root %d", i);
	snprintf(c.sha256, sizeof(c.sha256), "%064d", i);
	snprintf(pem, sizeof(pem), "-----BEGIN CERTIFICATE-----\n%d\n", i);
	c.pem = pem;
	c.not_after = 2000000000 + i;
	return store_cert_add(s, &c, id, err, sizeof(err));
}

Test(store, phone_edge_trust_holds_16)
{
	struct store_generation g0, g1;
	struct store_counts c;
	int64_t id;

	S = open_new();
	for (int i = 0; i < 16; i++)
		cr_assert_eq(add_cert(S, "phone-edge-trust", i, &id), 0, "%s", err);
	gen(S, &g0);
	cr_assert_eq(add_cert(S, "phone-edge-trust", 16, &id), -1);
	cr_assert_str_eq(err, "phone-edge-trust holds at most 16 certificates; "
	                 "delete one first");
	gen(S, &g1);
	cr_assert_eq(g1.config, g0.config);
	cr_assert_eq(store_counts(S, 0, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.certs, 16);
	/* other purposes are not limited; duplicates are refused */
	cr_assert_eq(add_cert(S, "tomcat-trust", 16, &id), 0, "%s", err);
	cr_assert_eq(add_cert(S, "tomcat-trust", 16, &id), -1);
	cr_assert_not_null(strstr(err, "already in tomcat-trust"), "%s", err);
	cr_assert_eq(add_cert(S, "my-purpose", 1, &id), 0, "%s", err);
}

Test(store, cert_round_trip_and_tomcat_replace)
{
	struct store_cert c, out;
	int64_t id1, id2;

	S = open_new();
	memset(&c, 0, sizeof(c));
	snprintf(c.purpose, sizeof(c.purpose), "tomcat");
	snprintf(c.subject, sizeof(c.subject), "CN=oprov.example.com");
	snprintf(c.sha256, sizeof(c.sha256), "aa");
	c.pem = "CERT1";
	c.not_after = 1900000000;
	cr_assert_eq(store_cert_add(S, &c, &id1, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "tomcat private key"), "%s", err);
	c.key_pem = "KEY1";
	cr_assert_eq(store_cert_add(S, &c, &id1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_cert_get(S, id1, &out, err, sizeof(err)), 0);
	cr_assert_str_eq(out.purpose, "tomcat");
	cr_assert_str_eq(out.subject, "CN=oprov.example.com");
	cr_assert_str_eq(out.sha256, "aa");
	cr_assert_str_eq(out.pem, "CERT1");
	cr_assert_str_eq(out.key_pem, "KEY1");
	cr_assert_eq(out.not_after, 1900000000);
	store_cert_free(&out);

	snprintf(c.sha256, sizeof(c.sha256), "bb");
	c.pem = "CERT2";
	c.key_pem = "KEY2";
	cr_assert_eq(store_cert_add(S, &c, &id2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_cert_get(S, id1, &out, err, sizeof(err)),
	             STORE_NOTFOUND);
	cr_assert_eq(store_cert_tomcat(S, &out, err, sizeof(err)), 0);
	cr_assert_eq(out.id, id2);
	cr_assert_str_eq(out.key_pem, "KEY2");
	store_cert_free(&out);

	/* a trust certificate must not carry a key */
	snprintf(c.purpose, sizeof(c.purpose), "tomcat-trust");
	cr_assert_eq(store_cert_add(S, &c, NULL, err, sizeof(err)), -1);
	cr_assert_eq(store_cert_delete(S, id2, err, sizeof(err)), 0);
	cr_assert_eq(store_cert_delete(S, id2, err, sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_cert_tomcat(S, &out, err, sizeof(err)), STORE_NOTFOUND);
}

static int
count_cert(void *ctx, const struct store_cert *c)
{
	if (c->key_pem == NULL && c->pem != NULL)
		(*(int *)ctx)++;
	return 0;
}

Test(store, cert_list_by_purpose)
{
	int n = 0;

	S = open_new();
	cr_assert_eq(add_cert(S, "phone-edge-trust", 1, NULL), 0);
	cr_assert_eq(add_cert(S, "phone-edge-trust", 2, NULL), 0);
	cr_assert_eq(add_cert(S, "tomcat-trust", 3, NULL), 0);
	cr_assert_eq(store_cert_list(S, "phone-edge-trust", count_cert, &n, err,
	                             sizeof(err)), 0);
	cr_assert_eq(n, 2);
	n = 0;
	cr_assert_eq(store_cert_list(S, NULL, count_cert, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 3);
}

/* ---- Expressway-C ------------------------------------------------------------------ */

Test(store, expressway_round_trip)
{
	struct store_expressway *e = calloc(1, sizeof(*e));
	struct store_expressway *o = calloc(1, sizeof(*o));

	S = open_new();
	snprintf(e->host, sizeof(e->host), "EXPC1.Example.COM");
	snprintf(e->description, sizeof(e->description), "edge");
	cr_assert_eq(store_expressway_put(S, e, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "at least one X.509 name"), "%s", err);
	e->n_names = 2;
	snprintf(e->names[0], sizeof(e->names[0]), "expc1.example.com");
	snprintf(e->names[1], sizeof(e->names[1]), "CN=expc1,O=Example");
	cr_assert_eq(store_expressway_put(S, e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_expressway_get(S, "expc1.example.com", o, err,
	                                  sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(o->host, "expc1.example.com");
	cr_assert_str_eq(o->description, "edge");
	cr_assert_eq(o->n_names, 2);
	cr_assert_str_eq(o->names[1], "CN=expc1,O=Example");
	e->n_names = 1;
	cr_assert_eq(store_expressway_put(S, e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_expressway_get(S, "EXPC1.example.com", o, err,
	                                  sizeof(err)), 0);
	cr_assert_eq(o->n_names, 1);
	cr_assert_eq(store_expressway_delete(S, "expc1.example.com", err,
	                                     sizeof(err)), 0);
	cr_assert_eq(store_expressway_get(S, "expc1.example.com", o, err,
	                                  sizeof(err)), STORE_NOTFOUND);
	free(e);
	free(o);
}

/* ---- signing keys -------------------------------------------------------------------- */

static void
rotate(struct store *s, const char *kid, int64_t t)
{
	struct store_key k;
	char priv[64], jwk[96];

	memset(&k, 0, sizeof(k));
	snprintf(k.kid, sizeof(k.kid), "%s", kid);
	snprintf(k.alg, sizeof(k.alg), "RS256");
	snprintf(priv, sizeof(priv), "PRIVATE %s", kid);
	snprintf(jwk, sizeof(jwk), "{\"kty\":\"RSA\",\"kid\":\"%s\"}", kid);
	k.private_pem = priv;
	k.public_jwk = jwk;
	k.created = t;
	cr_assert_eq(store_key_rotate(s, &k, err, sizeof(err)), 0, "%s", err);
}

struct keyseen {
	char kids[8][STORE_NAME_MAX];
	int state[8];
	int has_private[8];
	int n;
};

static int
see_key(void *ctx, const struct store_key *k)
{
	struct keyseen *ks = ctx;

	snprintf(ks->kids[ks->n], STORE_NAME_MAX, "%s", k->kid);
	ks->state[ks->n] = (int)k->state;
	ks->has_private[ks->n] = k->private_pem != NULL;
	ks->n++;
	return 0;
}

Test(store, key_rotation)
{
	struct store_key cur;
	struct keyseen ks;

	S = open_new();
	cr_assert_eq(store_key_current(S, &cur, err, sizeof(err)), STORE_NOTFOUND);
	rotate(S, "k1", 10);
	cr_assert_eq(store_key_current(S, &cur, err, sizeof(err)), 0);
	cr_assert_str_eq(cur.kid, "k1");
	cr_assert_str_eq(cur.private_pem, "PRIVATE k1");
	cr_assert_str_eq(cur.public_jwk, "{\"kty\":\"RSA\",\"kid\":\"k1\"}");
	cr_assert_eq(cur.created, 10);
	store_key_free(&cur);
	rotate(S, "k2", 20);
	rotate(S, "k3", 30);

	memset(&ks, 0, sizeof(ks));
	cr_assert_eq(store_key_list(S, see_key, &ks, err, sizeof(err)), 0);
	cr_assert_eq(ks.n, 3);
	cr_assert_str_eq(ks.kids[0], "k3");
	cr_assert_eq(ks.state[0], STORE_KEY_CURRENT);
	cr_assert_eq(ks.state[1], STORE_KEY_PREVIOUS);
	cr_assert_eq(ks.state[2], STORE_KEY_RETIRED);
	cr_assert_eq(ks.has_private[2], 0, "retired key kept its private key");

	memset(&ks, 0, sizeof(ks));
	cr_assert_eq(store_key_list_verify(S, see_key, &ks, err, sizeof(err)), 0);
	cr_assert_eq(ks.n, 2);
	cr_assert_str_eq(ks.kids[0], "k3");
	cr_assert_str_eq(ks.kids[1], "k2");

	/* reusing a kid is refused and changes nothing */
	{
		struct store_key k = { .kid = "k2", .alg = "RS256",
		                       .private_pem = "x", .public_jwk = "{}" };

		cr_assert_eq(store_key_rotate(S, &k, err, sizeof(err)), -1);
		cr_assert_eq(store_key_current(S, &cur, err, sizeof(err)), 0);
		cr_assert_str_eq(cur.kid, "k3");
		store_key_free(&cur);
	}
}

/* ---- generation counters ------------------------------------------------------------- */

Test(store, generation_moves_on_admin_changes_only)
{
	struct store_generation g0, g1, g2;
	struct store_family f;
	struct store_client cl;
	struct store_binding b;
	struct cfg_cluster c = { .sip_oauth_mode = 1 };
	struct store *other;

	S = open_new();
	other = store_open(dir, 0, err, sizeof(err));
	cr_assert_not_null(other, "%s", err);
	gen(S, &g0);
	add_profile(S, "P", 1);
	gen(S, &g1);
	cr_assert_gt(g1.config, g0.config);
	cr_assert_eq(g1.revocation, g0.revocation);
	/* another connection sees it (PRAGMA data_version path) */
	gen(other, &g2);
	cr_assert_eq(g2.config, g1.config);
	cr_assert_eq(store_cluster_set(other, &c, err, sizeof(err)), 0);
	gen(S, &g2);
	cr_assert_gt(g2.config, g1.config, "change by another connection missed");
	add_device(S, "SEP0000000000C1", "P");
	rotate(S, "k1", 1);
	cr_assert_eq(add_cert(S, "tomcat-trust", 1, NULL), 0);
	gen(S, &g0);
	cr_assert_eq(g0.config, g2.config + 3);

	/* token-only operations move neither counter */
	cr_assert_eq(store_code_issue(S, "SEP0000000000C1", "h1", 100, 200, err,
	                              sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_code_consume(S, "SEP0000000000C1", "h1", 150, NULL, 0,
	                                err, sizeof(err)), 0, "%s", err);
	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "fam1");
	snprintf(f.device, sizeof(f.device), "SEP0000000000C1");
	f.created = 100;
	f.expires = 1000;
	cr_assert_eq(store_family_create(S, &f, "r1", err, sizeof(err)), 0);
	cr_assert_eq(store_refresh_rotate(S, "r1", "r2", 150, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_OK);
	memset(&cl, 0, sizeof(cl));
	snprintf(cl.name, sizeof(cl.name), "admin");
	snprintf(cl.secret_hash, sizeof(cl.secret_hash), "hash");
	cr_assert_eq(store_client_add(S, &cl, err, sizeof(err)), 0);
	memset(&b, 0, sizeof(b));
	snprintf(b.aor, sizeof(b.aor), "sip:1000@example.com");
	snprintf(b.contact, sizeof(b.contact), "<sip:1000@10.0.0.5;transport=tls>");
	b.expires = 500;
	cr_assert_eq(store_binding_put(S, &b, err, sizeof(err)), 0, "%s", err);
	gen(S, &g1);
	cr_assert_eq(g1.config, g0.config);
	cr_assert_eq(g1.revocation, g0.revocation);

	/* a revocation moves only the revocation counter */
	cr_assert_eq(store_revoke_jti(S, "jti-1", 5000, 150, err, sizeof(err)), 0);
	gen(other, &g2);
	cr_assert_eq(g2.config, g1.config);
	cr_assert_eq(g2.revocation, g1.revocation + 1);
	store_close(other);
}

/* ---- activation codes ------------------------------------------------------------------ */

Test(store, activation_code_single_use_and_expiry)
{
	char dev[CFG_DEVNAME_MAX];

	S = open_new();
	add_profile(S, "P", 1);
	add_device(S, "SEP0000000000D1", "P");
	add_device(S, "SEP0000000000D2", "P");
	cr_assert_eq(store_code_issue(S, "SEP0000000000FF", "h", 0, 10, err,
	                              sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "does not exist"), "%s", err);

	cr_assert_eq(store_code_issue(S, "sep0000000000d1", "hashA", 100, 200, err,
	                              sizeof(err)), 0, "%s", err);
	/* wrong device, expired, unknown */
	cr_assert_eq(store_code_consume(S, "SEP0000000000D2", "hashA", 150, NULL,
	                                0, err, sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_code_consume(S, "SEP0000000000D1", "hashA", 200, NULL,
	                                0, err, sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_code_consume(S, "SEP0000000000D1", "hashB", 150, NULL,
	                                0, err, sizeof(err)), STORE_NOTFOUND);
	/* by hash alone, once */
	cr_assert_eq(store_code_consume(S, NULL, "hashA", 199, dev, sizeof(dev),
	                                err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(dev, "SEP0000000000D1");
	cr_assert_eq(store_code_consume(S, "SEP0000000000D1", "hashA", 199, NULL,
	                                0, err, sizeof(err)), STORE_NOTFOUND);

	/* a new code replaces the unused one */
	cr_assert_eq(store_code_issue(S, "SEP0000000000D2", "c1", 100, 300, err,
	                              sizeof(err)), 0);
	cr_assert_eq(store_code_issue(S, "SEP0000000000D2", "c2", 110, 300, err,
	                              sizeof(err)), 0);
	cr_assert_eq(store_code_consume(S, "SEP0000000000D2", "c1", 150, NULL, 0,
	                                err, sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_code_revoke(S, "SEP0000000000D2", err, sizeof(err)), 0);
	cr_assert_eq(store_code_consume(S, "SEP0000000000D2", "c2", 150, NULL, 0,
	                                err, sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_code_revoke(S, "SEP0000000000D2", err, sizeof(err)),
	             STORE_NOTFOUND);
}

/* Several processes race for one code; exactly one may win. */
Test(store, activation_code_concurrent_consumers)
{
	enum { RACERS = 6 };
	pid_t pids[RACERS];
	int winners = 0, errors = 0;

	S = open_new();
	add_profile(S, "P", 1);
	add_device(S, "SEP0000000000E1", "P");
	cr_assert_eq(store_code_issue(S, "SEP0000000000E1", "race", 1, 1000, err,
	                              sizeof(err)), 0);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			char e[STORE_ERR_MAX];
			struct store *s = store_open(dir, 0, e, sizeof(e));
			int rc;

			if (s == NULL)
				_exit(2);
			rc = store_code_consume(s, "SEP0000000000E1", "race", 10,
			                        NULL, 0, e, sizeof(e));
			store_close(s);
			_exit(rc == 0 ? 0 : rc == STORE_NOTFOUND ? 1 : 2);
		}
	}
	for (int i = 0; i < RACERS; i++) {
		int st;

		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			winners++;
		else if (WEXITSTATUS(st) == 2)
			errors++;
	}
	cr_assert_eq(errors, 0);
	cr_assert_eq(winners, 1);
}

/* ---- refresh tokens -------------------------------------------------------------------- */

/* store_code_redeem: the code and the new family in one transaction.  A
 * family that cannot be created (here: its id is taken) leaves the code
 * unused; a wrong code creates no family. */
Test(store, activation_code_redeem_is_atomic)
{
	struct store_family f, got;
	int cur = -1;

	S = open_new();
	add_profile(S, "P", 1);
	add_device(S, "SEP0000000000C7", "P");
	cr_assert_eq(store_code_issue(S, "SEP0000000000C7", "k1", 100, 1000, err,
	                              sizeof(err)), 0, "%s", err);
	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "FX");
	snprintf(f.device, sizeof(f.device), "SEP0000000000C7");
	snprintf(f.client_id, sizeof(f.client_id), "phone");
	snprintf(f.scope, sizeof(f.scope), "config sip");
	f.created = 150;
	f.expires = 5000;
	cr_assert_eq(store_family_create(S, &f, "other", err, sizeof(err)), 0, "%s", err);

	/* the family id is taken: nothing happens, the code stays usable */
	cr_assert_eq(store_code_redeem(S, "SEP0000000000C7", "k1", 150, &f, "rt1",
	                               err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "already exists"), "%s", err);
	cr_assert_eq(store_refresh_find(S, "rt1", &got, &cur, err, sizeof(err)),
	             STORE_NOTFOUND);
	/* a wrong code: no family */
	snprintf(f.id, sizeof(f.id), "FY");
	cr_assert_eq(store_code_redeem(S, "SEP0000000000C7", "nope", 150, &f, "rt2",
	                               err, sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_family_get(S, "FY", &got, err, sizeof(err)), STORE_NOTFOUND);
	/* the right code: both, once */
	cr_assert_eq(store_code_redeem(S, "sep0000000000c7", "k1", 150, &f, "rt2",
	                               err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_refresh_find(S, "rt2", &got, &cur, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_str_eq(got.id, "FY");
	cr_assert_eq(cur, 1);
	snprintf(f.id, sizeof(f.id), "FZ");
	cr_assert_eq(store_code_redeem(S, "SEP0000000000C7", "k1", 151, &f, "rt3",
	                               err, sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_family_get(S, "FZ", &got, err, sizeof(err)), STORE_NOTFOUND);
	/* without a family it is store_code_consume */
	cr_assert_eq(store_code_issue(S, "SEP0000000000C7", "k2", 100, 1000, err,
	                              sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_code_redeem(S, "SEP0000000000C7", "k2", 150, NULL, NULL,
	                               err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_code_consume(S, "SEP0000000000C7", "k2", 150, NULL, 0,
	                                err, sizeof(err)), STORE_NOTFOUND);
}

static void
make_family(struct store *s, const char *id, const char *device,
            const char *owner, const char *token, int64_t created,
            int64_t expires)
{
	struct store_family f;

	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "%s", id);
	snprintf(f.device, sizeof(f.device), "%s", device);
	snprintf(f.owner, sizeof(f.owner), "%s", owner);
	snprintf(f.client_id, sizeof(f.client_id), "phone");
	snprintf(f.scope, sizeof(f.scope), "config sip");
	f.created = created;
	f.expires = expires;
	cr_assert_eq(store_family_create(s, &f, token, err, sizeof(err)), 0, "%s",
	             err);
}

Test(store, refresh_rotation_and_reuse)
{
	struct store_family f;
	int cur = -1;

	S = open_new();
	make_family(S, "F1", "sep0000000000f1", "jdoe", "t1", 100, 10000);
	cr_assert_eq(store_family_get(S, "F1", &f, err, sizeof(err)), 0);
	cr_assert_str_eq(f.device, "SEP0000000000F1");
	cr_assert_str_eq(f.scope, "config sip");
	cr_assert_eq(f.revoked, 0);

	cr_assert_eq(store_refresh_rotate(S, "t1", "t2", 200, &f, err,
	                                  sizeof(err)), STORE_ROTATE_OK);
	cr_assert_str_eq(f.id, "F1");
	cr_assert_eq(store_refresh_rotate(S, "t2", "t3", 300, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_OK);
	cr_assert_eq(store_refresh_find(S, "t3", &f, &cur, err, sizeof(err)), 0);
	cr_assert_eq(cur, 1);
	cr_assert_eq(store_refresh_find(S, "t1", &f, &cur, err, sizeof(err)), 0);
	cr_assert_eq(cur, 0);
	cr_assert_eq(store_token_revoked(S, "j", "SEP0000000000F1", "jdoe", "F1",
	                                 250, err, sizeof(err)), 0);

	/* t1 again: stolen copy; the whole family ends */
	cr_assert_eq(store_refresh_rotate(S, "t1", "t4", 400, &f, err,
	                                  sizeof(err)), STORE_ROTATE_REUSED);
	cr_assert_eq(f.revoked, 400);
	cr_assert_eq(store_family_get(S, "F1", &f, err, sizeof(err)), 0);
	cr_assert_eq(f.revoked, 400);
	cr_assert_eq(store_refresh_rotate(S, "t3", "t5", 410, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_INVALID);
	cr_assert_eq(store_refresh_find(S, "t4", &f, NULL, err, sizeof(err)),
	             STORE_NOTFOUND, "t4 must not have been recorded");
	/* its access tokens are refused too, whatever their iat */
	cr_assert_eq(store_token_revoked(S, "j", "SEP0000000000F1", "jdoe", "F1",
	                                 999999, err, sizeof(err)), 1);
}

Test(store, refresh_invalid_cases)
{
	S = open_new();
	make_family(S, "F2", "SEP0000000000F2", "", "a1", 100, 1000);
	cr_assert_eq(store_refresh_rotate(S, "unknown", "x", 200, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_INVALID);
	cr_assert_eq(store_refresh_rotate(S, "a1", "a2", 1000, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_INVALID,
	             "expired family rotated");
	/* a hash collision with a recorded token is an error, nothing moves */
	make_family(S, "F3", "SEP0000000000F3", "", "b1", 100, 5000);
	cr_assert_eq(store_refresh_rotate(S, "b1", "a1", 200, NULL, err,
	                                  sizeof(err)), -1);
	cr_assert_eq(store_refresh_rotate(S, "b1", "b2", 200, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_OK, "%s", err);
}

Test(store, refresh_concurrent_rotation)
{
	enum { RACERS = 4 };
	pid_t pids[RACERS];
	int ok = 0, reused = 0, other = 0;

	S = open_new();
	make_family(S, "FR", "SEP0000000000AB", "", "r0", 1, 100000);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			char e[STORE_ERR_MAX], nh[32];
			struct store *s = store_open(dir, 0, e, sizeof(e));
			int rc;

			if (s == NULL)
				_exit(9);
			snprintf(nh, sizeof(nh), "next-%d", i);
			rc = store_refresh_rotate(s, "r0", nh, 10, NULL, e, sizeof(e));
			store_close(s);
			_exit(rc < 0 ? 9 : rc);
		}
	}
	for (int i = 0; i < RACERS; i++) {
		int st;

		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st));
		switch (WEXITSTATUS(st)) {
		case STORE_ROTATE_OK: ok++; break;
		case STORE_ROTATE_REUSED: reused++; break;
		case STORE_ROTATE_INVALID: break;   /* family already revoked */
		default: other++; break;
		}
	}
	cr_assert_eq(other, 0);
	cr_assert_eq(ok, 1, "%d winners", ok);
	cr_assert_geq(reused, 1);
}

/* ---- revocations ---------------------------------------------------------------------- */

static int
revoked(struct store *s, const char *jti, const char *dev, const char *sub,
        const char *fam, int64_t iat)
{
	int rc = store_token_revoked(s, jti, dev, sub, fam, iat, err, sizeof(err));

	cr_assert_neq(rc, -1, "%s", err);
	return rc;
}

static int
count_rev(void *ctx, const struct store_revocation *r)
{
	((int *)ctx)[r->kind]++;
	return 0;
}

Test(store, revocation_checks)
{
	int kinds[5] = { 0 };
	uint64_t removed = 0;

	S = open_new();
	cr_assert_eq(revoked(S, "j1", "SEP0000000000A1", "u1", "f1", 100), 0);

	cr_assert_eq(store_revoke_jti(S, "j1", 500, 100, err, sizeof(err)), 0);
	cr_assert_eq(revoked(S, "j1", NULL, NULL, NULL, 1), 1);
	cr_assert_eq(revoked(S, "j2", NULL, NULL, NULL, 1), 0);

	cr_assert_eq(store_revoke_device(S, "sep0000000000a1", 1000, err,
	                                 sizeof(err)), 0);
	cr_assert_eq(revoked(S, "j3", "SEP0000000000A1", NULL, NULL, 999), 1);
	cr_assert_eq(revoked(S, "j3", "Sep0000000000a1", NULL, NULL, 1000), 1);
	cr_assert_eq(revoked(S, "j3", "SEP0000000000A1", NULL, NULL, 1001), 0,
	             "a token issued after the revocation is refused");
	cr_assert_eq(revoked(S, "j3", "SEP0000000000A2", NULL, NULL, 999), 0);

	cr_assert_eq(store_revoke_user(S, "alice", 2000, err, sizeof(err)), 0);
	cr_assert_eq(revoked(S, "j4", "SEP0000000000A9", "alice", NULL, 1500), 1);
	cr_assert_eq(revoked(S, "j4", "SEP0000000000A9", "bob", NULL, 1500), 0);
	cr_assert_eq(revoked(S, "j4", "SEP0000000000A9", "alice", NULL, 2500), 0);

	cr_assert_eq(store_revoke_family(S, "fam-x", 2000, err, sizeof(err)), 0);
	cr_assert_eq(revoked(S, "j5", NULL, NULL, "fam-x", 99999), 1);
	cr_assert_eq(revoked(S, "j5", NULL, NULL, "fam-y", 99999), 0);

	cr_assert_eq(store_revoke_all(S, 3000, err, sizeof(err)), 0);
	cr_assert_eq(revoked(S, "j6", "SEP0000000000B9", "carol", "z", 3000), 1);
	cr_assert_eq(revoked(S, "j6", "SEP0000000000B9", "carol", "z", 3001), 0);
	cr_assert_eq(revoked(S, NULL, NULL, NULL, NULL, 2999), 1);

	cr_assert_eq(store_revocation_list(S, count_rev, kinds, err, sizeof(err)),
	             0);
	for (int k = 0; k < 5; k++)
		cr_assert_eq(kinds[k], 1, "kind %d listed %d times", k, kinds[k]);

	/* purge drops the jti row after its exp, keeps the rest (iat after
	 * the "all" revocation, so only the jti row can match) */
	cr_assert_eq(revoked(S, "j1", NULL, NULL, NULL, 3500), 1);
	cr_assert_eq(store_purge(S, 600, &removed, err, sizeof(err)), 0);
	cr_assert_eq(removed, 1);
	cr_assert_eq(revoked(S, "j1", NULL, NULL, NULL, 3500), 0);
	cr_assert_eq(revoked(S, "j3", "SEP0000000000A1", NULL, NULL, 999), 1);
}

/* The in-memory set daemons consult must answer exactly as the store's
 * own indexed check, for every kind, cut-off and spelling. */
Test(store, revset_matches_store_check)
{
	struct store_revset rs = { NULL, 0 };
	const char *jtis[] = { "j1", "j2", "fam-x.r1", "fam-y.r2", "fam-x", "", NULL };
	const char *devs[] = { "SEP0000000000A1", "sep0000000000a1", "SEP0000000000A2", "", NULL };
	const char *subs[] = { "alice", "bob", "", NULL };
	const int64_t iats[] = { 1, 999, 1000, 1001, 1499, 1500, 1501, 2000, 2001, 3000, 3001 };
	char fam[STORE_JTI_MAX];

	S = open_new();
	cr_assert_eq(store_revset_load(S, &rs, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_revset_revoked(&rs, "j1", "SEP0000000000A1", "alice", 1), 0);
	cr_assert_eq(store_revoke_jti(S, "j1", 500, 100, err, sizeof(err)), 0);
	cr_assert_eq(store_revoke_device(S, "sep0000000000a1", 1000, err, sizeof(err)), 0);
	/* a second, later device revocation: the later cut-off wins */
	cr_assert_eq(store_revoke_device(S, "SEP0000000000A1", 1500, err, sizeof(err)), 0);
	cr_assert_eq(store_revoke_user(S, "alice", 2000, err, sizeof(err)), 0);
	cr_assert_eq(store_revoke_family(S, "fam-x", 2000, err, sizeof(err)), 0);
	cr_assert_eq(store_revset_load(S, &rs, err, sizeof(err)), 0, "%s", err);

	for (size_t a = 0; a < sizeof(jtis) / sizeof(*jtis); a++)
	for (size_t b = 0; b < sizeof(devs) / sizeof(*devs); b++)
	for (size_t c = 0; c < sizeof(subs) / sizeof(*subs); c++)
	for (size_t d = 0; d < sizeof(iats) / sizeof(*iats); d++) {
		store_jti_family(jtis[a] ? jtis[a] : "", fam, sizeof(fam));
		int want = revoked(S, jtis[a], devs[b], subs[c], fam, iats[d]);
		int got = store_revset_revoked(&rs, jtis[a], devs[b], subs[c], iats[d]);
		cr_assert_eq(got, want, "jti=%s dev=%s sub=%s iat=%lld: set %d, store %d",
		             jtis[a] ? jtis[a] : "(null)", devs[b] ? devs[b] : "(null)",
		             subs[c] ? subs[c] : "(null)", (long long)iats[d], got, want);
	}
	cr_assert_eq(store_revset_revoked(&rs, "q", "SEP0000000000A1", NULL, 1500), 1);
	cr_assert_eq(store_revset_revoked(&rs, "q", "SEP0000000000A1", NULL, 1501), 0);
	cr_assert_eq(store_revset_revoked(&rs, "fam-x.any", NULL, NULL, 99999), 1);
	cr_assert_eq(store_revset_revoked(&rs, "fam-x", NULL, NULL, 99999), 0,
	             "no separator: no family");

	cr_assert_eq(store_revoke_all(S, 3000, err, sizeof(err)), 0);
	cr_assert_eq(store_revset_load(S, &rs, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_revset_revoked(&rs, "z", "", "", 3000), 1);
	cr_assert_eq(store_revset_revoked(&rs, "z", "", "", 3001), 0);
	store_revset_free(&rs);
}

Test(store, jti_family)
{
	char f[8];

	store_jti_family("abc.def", f, sizeof(f));
	cr_assert_str_eq(f, "abc");
	store_jti_family("abcdef", f, sizeof(f));
	cr_assert_str_eq(f, "");
	store_jti_family(".x", f, sizeof(f));
	cr_assert_str_eq(f, "");
	store_jti_family("abcdefghij.x", f, sizeof(f));
	cr_assert_str_eq(f, "", "a family longer than the buffer is no family");
}

/* Installs a freshly generated key of the given type as the current one. */
static char *
install_key(struct store *s, enum key_type t)
{
	trust_key *k = key_generate(t, err, sizeof(err));
	json_t *jwk;
	struct store_key sk;
	char *kid;

	cr_assert_not_null(k, "%s", err);
	jwk = key_to_jwk(k);
	memset(&sk, 0, sizeof(sk));
	snprintf(sk.kid, sizeof(sk.kid), "%s", key_kid(k));
	snprintf(sk.alg, sizeof(sk.alg), "%s", jws_alg_name(key_alg(k)));
	sk.private_pem = key_private_pem(k);
	sk.public_jwk = json_dumps(jwk, JSON_COMPACT);
	sk.created = 1;
	cr_assert_eq(store_key_rotate(s, &sk, err, sizeof(err)), 0, "%s", err);
	kid = strdup(sk.kid);
	trust_free_secret((char *)sk.private_pem);
	free((char *)sk.public_jwk);
	json_decref(jwk);
	key_unref(k);
	return kid;
}

Test(store, token_config_keys_and_signing)
{
	struct store_token_config tc;
	keyset *ks;
	trust_key *sign;
	char *kid1, *kid2, *tok;

	S = open_new();
	/* a store without an issuer is not ours to issue from */
	cr_assert_eq(store_token_config(S, &tc, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, STORE_PARAM_ISSUER), "%s", err);
	cr_assert_null(store_signing_key(S, err, sizeof(err)));

	cr_assert_eq(store_param_set(S, STORE_PARAM_ISSUER, "https://pbx.example:8443",
	                             err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_token_config(S, &tc, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(tc.audience, "https://pbx.example:8443", "audience defaults to issuer");
	cr_assert_eq(store_param_set(S, STORE_PARAM_AUDIENCE, "urn:pbx", err, sizeof(err)), 0);
	cr_assert_eq(store_token_config(S, &tc, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(tc.audience, "urn:pbx");

	kid1 = install_key(S, KEY_EC256);
	kid2 = install_key(S, KEY_ED25519);
	ks = store_verify_keyset(S, err, sizeof(err));
	cr_assert_not_null(ks, "%s", err);
	cr_assert_eq(keyset_count(ks), 2, "current + previous verify");
	sign = store_signing_key(S, err, sizeof(err));
	cr_assert_not_null(sign, "%s", err);
	cr_assert_str_eq(key_kid(sign), kid2, "the current key signs");
	cr_assert(key_is_private(sign));
	/* what it signs verifies with the set's public key of the same kid */
	tok = jws_sign(sign, "at+jwt", "{}", 2, err, sizeof(err));
	cr_assert_not_null(tok, "%s", err);
	for (size_t i = 0; i < keyset_count(ks); i++)
		if (strcmp(key_kid(keyset_get(ks, i)), kid2) == 0)
		{
			char *payload = NULL;
			size_t plen = 0;
			cr_assert_eq(jws_verify_compact(keyset_get(ks, i), tok, strlen(tok),
			                                &payload, &plen), TOK_OK);
			free(payload);
		}
	free(tok);
	key_unref(sign);
	keyset_free(ks);
	free(kid1);
	free(kid2);
}

Test(store, revoke_by_device_user_all_ends_families)
{
	struct store_family f;

	S = open_new();
	make_family(S, "D1", "SEP0000000000C1", "u1", "d1", 100, 10000);
	make_family(S, "D2", "SEP0000000000C2", "u2", "d2", 100, 10000);
	make_family(S, "D3", "SEP0000000000C3", "u3", "d3", 100, 10000);
	cr_assert_eq(store_revoke_device(S, "SEP0000000000C1", 500, err,
	                                 sizeof(err)), 0);
	cr_assert_eq(store_refresh_rotate(S, "d1", "d1b", 600, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_INVALID);
	cr_assert_eq(store_revoke_user(S, "u2", 500, err, sizeof(err)), 0);
	cr_assert_eq(store_family_get(S, "D2", &f, err, sizeof(err)), 0);
	cr_assert_eq(f.revoked, 500);
	cr_assert_eq(store_refresh_rotate(S, "d3", "d3b", 600, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_OK);
	cr_assert_eq(store_revoke_all(S, 700, err, sizeof(err)), 0);
	cr_assert_eq(store_refresh_rotate(S, "d3b", "d3c", 800, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_INVALID);
}

Test(store, device_delete_takes_its_state_along)
{
	struct store_counts c;

	S = open_new();
	add_profile(S, "P", 1);
	add_device(S, "SEP0000000000DD", "P");
	cr_assert_eq(store_code_issue(S, "SEP0000000000DD", "cd", 1, 1000, err,
	                              sizeof(err)), 0);
	make_family(S, "FD", "SEP0000000000DD", "", "fd1", 1, 1000);
	cr_assert_eq(store_device_delete(S, "SEP0000000000DD", 50, err,
	                                 sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_counts(S, 10, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.devices, 0);
	cr_assert_eq(c.lines, 0);
	cr_assert_eq(c.codes_active, 0);
	cr_assert_eq(c.families_active, 0);
	cr_assert_eq(revoked(S, "x", "SEP0000000000DD", NULL, NULL, 49), 1);
	cr_assert_eq(store_device_delete(S, "SEP0000000000DD", 50, err,
	                                 sizeof(err)), STORE_NOTFOUND);
}

/* ---- clients ------------------------------------------------------------------------------ */

Test(store, client_round_trip)
{
	struct store_client c, o;

	S = open_new();
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "revoker");
	snprintf(c.secret_hash, sizeof(c.secret_hash), "sha256$salt$hash");
	snprintf(c.scope, sizeof(c.scope), "revoke introspect");
	c.created = 42;
	cr_assert_eq(store_client_add(S, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_client_add(S, &c, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "client revoker already exists");
	cr_assert_eq(store_client_get(S, "revoker", &o, err, sizeof(err)), 0);
	cr_assert_eq(memcmp(&c, &o, sizeof(c)), 0);
	cr_assert_eq(store_client_delete(S, "revoker", err, sizeof(err)), 0);
	cr_assert_eq(store_client_get(S, "revoker", &o, err, sizeof(err)),
	             STORE_NOTFOUND);
}

/* ---- SIP bindings -------------------------------------------------------------------------- */

static int
count_binding(void *ctx, const struct store_binding *b)
{
	(*(int *)ctx)++;
	return 0;
}

Test(store, bindings_batch_and_purge)
{
	struct store_binding_change ch[4];
	struct store_counts c;
	uint64_t removed = 0;
	int n = 0;

	S = open_new();
	memset(ch, 0, sizeof(ch));
	for (int i = 0; i < 3; i++) {
		struct store_binding *b = &ch[i].b;

		snprintf(b->aor, sizeof(b->aor), "sip:10%d@example.com", i);
		snprintf(b->instance, sizeof(b->instance),
		         "<urn:uuid:00000000-0000-0000-0000-00000000000%d>", i);
		b->reg_id = 1;
		snprintf(b->contact, sizeof(b->contact), "<sip:10%d@10.0.0.%d>", i, i);
		snprintf(b->device, sizeof(b->device), "sep00000000000%d", i);
		snprintf(b->node, sizeof(b->node), "node1");
		b->expires = 100 + i * 100;
		b->conn_id = (uint64_t)(i + 1);
	}
	/* the last change deletes the first binding again */
	ch[3].del = 1;
	ch[3].b = ch[0].b;
	cr_assert_eq(store_binding_apply(S, ch, 4, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_binding_list(S, count_binding, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 2);

	cr_assert_eq(store_binding_drop_node(S, "node1", 2, err, sizeof(err)), 0);
	n = 0;
	cr_assert_eq(store_binding_list(S, count_binding, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(store_binding_put(S, &ch[1].b, err, sizeof(err)), 0);
	cr_assert_eq(store_counts(S, 250, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.bindings, 1, "expired binding counted");
	cr_assert_eq(store_purge(S, 250, &removed, err, sizeof(err)), 0);
	cr_assert_eq(removed, 1);
	cr_assert_eq(store_binding_delete(S, ch[2].b.aor, ch[2].b.instance, 1, err,
	                                  sizeof(err)), 0);
	cr_assert_eq(store_binding_delete(S, ch[2].b.aor, ch[2].b.instance, 1, err,
	                                  sizeof(err)), STORE_NOTFOUND);

	/* a bad change anywhere in a batch writes none of it */
	ch[1].b.contact[0] = '\0';
	cr_assert_eq(store_binding_apply(S, ch, 3, err, sizeof(err)), -1);
	n = 0;
	cr_assert_eq(store_binding_list(S, count_binding, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 0);
}

Test(store, counts)
{
	struct store_counts c;

	S = open_new();
	add_profile(S, "P", 1);
	add_device(S, "SEP000000000011", "P");
	add_device(S, "SEP000000000012", "P");
	cr_assert_eq(store_code_issue(S, "SEP000000000011", "k1", 1, 100, err,
	                              sizeof(err)), 0);
	make_family(S, "C1", "SEP000000000011", "", "ct", 1, 100);
	cr_assert_eq(store_counts(S, 50, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.devices, 2);
	cr_assert_eq(c.lines, 2);
	cr_assert_eq(c.profiles, 1);
	cr_assert_eq(c.codes_active, 1);
	cr_assert_eq(c.families_active, 1);
	cr_assert_eq(store_counts(S, 100, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.codes_active, 0);
	cr_assert_eq(c.families_active, 0);
}

Test(store, param_apply_is_all_or_nothing)
{
	char v[STORE_PARAM_VALUE_MAX], longname[STORE_NAME_MAX + 8];
	struct store_param_change ch[2];

	S = open_new();
	memset(longname, 'p', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ch[0].name = "cluster-id";
	ch[0].value = "Lab";
	ch[1].name = longname;
	ch[1].value = "x";
	cr_assert_eq(store_param_apply(S, ch, 2, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "parameter name"), "%s", err);
	cr_assert_eq(store_param_get(S, "cluster-id", v, sizeof(v), err,
	                             sizeof(err)), STORE_NOTFOUND);
}

static int
write_in_callback(void *ctx, const struct cfg_device *d)
{
	struct cfg_device copy = *d;

	return store_device_put(ctx, &copy, STORE_PUT_REPLACE, NULL, 0) == 0 ?
	       100 : 7;
}

Test(store, callbacks_cannot_write)
{
	S = open_new();
	add_profile(S, "P", 0);
	add_device(S, "SEP0000000000CB", "P");
	cr_assert_eq(store_device_list(S, NULL, 0, write_in_callback, S, err,
	                               sizeof(err)), 7);
}

Test(store, revocation_check_with_odd_claims)
{
	char longdev[200];

	S = open_new();
	memset(longdev, 'A', sizeof(longdev) - 1);
	longdev[sizeof(longdev) - 1] = '\0';
	cr_assert_eq(store_revoke_device(S, "SEP0000000000AA", 100, err,
	                                 sizeof(err)), 0);
	cr_assert_eq(revoked(S, "", longdev, "", "", 50), 0);
	cr_assert_eq(revoked(S, NULL, NULL, NULL, NULL, 50), 0);
	cr_assert_eq(store_revoke_device(S, longdev, 100, err, sizeof(err)), -1);
}

Test(store, params_struct_round_trip)
{
	struct cfg_params p, q;
	const struct cfg_param_info *t;
	size_t n;
	int rows = 0;

	S = open_new();
	cr_assert_eq(store_params_load(S, &p, err, sizeof(err)), 0, "%s", err);
	cfg_params_init(&q);
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0, "defaults differ");
	cr_assert_eq(cfg_param_set(&p, "oauth-access-token-minutes", "15", err,
	                           sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_params_save(S, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_params_load(S, &q, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(q.access_token_minutes, 15);
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0);
	t = cfg_param_table(&n);
	(void)t;
	cr_assert_eq(store_param_list(S, count_param, &rows, err, sizeof(err)), 0);
	cr_assert_eq((size_t)rows, n);

	/* a newer oprov's parameter is skipped; a refused value is an error */
	cr_assert_eq(store_param_set(S, "from-the-future", "1", err, sizeof(err)),
	             0);
	cr_assert_eq(store_params_load(S, &q, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_param_set(S, "oauth-access-token-minutes", "0", err,
	                             sizeof(err)), 0);
	cr_assert_eq(store_params_load(S, &q, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "oauth-access-token-minutes"), "%s", err);
}

Test(store, render_load_gathers_one_snapshot)
{
	struct store_render *r = calloc(1, sizeof(*r));
	struct cfg_render_ctx ctx;
	struct cfg_output o;
	struct cfg_device d;
	struct cfg_node n;
	struct cfg_pool p;
	struct cfg_cluster c = { .sip_oauth_mode = 1 };
	struct store_generation g;

	S = open_new();
	add_profile(S, "OAuth", 1);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "node1");
	snprintf(n.host, sizeof(n.host), "cucm.example.com");
	n.phone_port = 2000;
	n.sip_port = 5060;
	n.secured_sip_port = 5061;
	n.sip_oauth_port = 5090;
	n.sip_mra_oauth_port = 5091;
	cr_assert_eq(store_node_put(S, &n, err, sizeof(err)), 0);
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "HQ");
	p.node_count = 1;
	snprintf(p.nodes[0], sizeof(p.nodes[0]), "node1");
	cr_assert_eq(store_pool_put(S, &p, err, sizeof(err)), 0);
	make_device(&d, "SEP00AABBCCDDEE", "OAuth", 2);
	snprintf(d.pool, sizeof(d.pool), "HQ");
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_cluster_set(S, &c, err, sizeof(err)), 0);
	cr_assert_eq(store_param_set(S, "oauth-access-token-minutes", "20", err,
	                             sizeof(err)), 0);

	cr_assert_eq(store_render_load(S, "sep00aabbccddee", r, err, sizeof(err)),
	             0, "%s", err);
	gen(S, &g);
	cr_assert_eq(r->gen.config, g.config);
	cr_assert_str_eq(r->device.name, "SEP00AABBCCDDEE");
	cr_assert_eq(r->device.line_count, 2);
	cr_assert_eq(r->profile.oauth, 1);
	cr_assert_eq(r->has_pool, 1);
	cr_assert_eq(r->node_count, 1);
	cr_assert_str_eq(r->nodes[0].host, "cucm.example.com");
	cr_assert_eq(r->params.access_token_minutes, 20);
	cr_assert_eq(r->cluster.sip_oauth_mode, 1);

	/* what the daemons then do with it */
	store_render_ctx(r, &ctx);
	memset(&o, 0, sizeof(o));
	cr_assert_eq(cfg_render_device(&ctx, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(strstr(o.data, "<sipOAuthMode>1</sipOAuthMode>"));
	cfg_output_free(&o);

	cr_assert_eq(store_render_load(S, "SEP000000000000", r, err, sizeof(err)),
	             STORE_NOTFOUND);
	free(r);
}

Test(store, render_load_device_without_pool_uses_default)
{
	struct store_render *r = calloc(1, sizeof(*r));
	struct cfg_device d;
	struct cfg_node n;
	struct cfg_pool p;

	S = open_new();
	add_profile(S, "P", 0);
	make_device(&d, "SEP00AABBCCDD01", "P", 1);
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), 0, "%s", err);
	/* no "Default" pool yet: rendered without pool and nodes */
	cr_assert_eq(store_render_load(S, "SEP00AABBCCDD01", r, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(r->has_pool, 0);
	cr_assert_eq(r->node_count, 0);

	cfg_node_init(&n, "node1", "cucm.example.com");
	cr_assert_eq(store_node_put(S, &n, err, sizeof(err)), 0, "%s", err);
	cfg_pool_init(&p, STORE_DEFAULT_POOL);
	p.node_count = 1;
	snprintf(p.nodes[0], sizeof(p.nodes[0]), "node1");
	cr_assert_eq(store_pool_put(S, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_render_load(S, "SEP00AABBCCDD01", r, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(r->has_pool, 1);
	cr_assert_str_eq(r->pool.name, STORE_DEFAULT_POOL);
	cr_assert_eq(r->node_count, 1);
	cr_assert_str_eq(r->nodes[0].host, "cucm.example.com");
	free(r);
}

Test(store, render_default_load_prefers_default_pool)
{
	struct store_render *r = calloc(1, sizeof(*r));
	struct cfg_render_ctx ctx;
	struct cfg_node n;
	struct cfg_pool p;
	const char *names[] = { "d-node", "c-node", "b-node", "a-node" };

	S = open_new();
	for (size_t i = 0; i < 4; i++) {
		cfg_node_init(&n, names[i], names[i]);
		cr_assert_eq(store_node_put(S, &n, err, sizeof(err)), 0, "%s", err);
	}
	/* without a "Default" pool: the first three nodes by name */
	cr_assert_eq(store_render_default_load(S, r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r->has_pool, 0);
	cr_assert_eq(r->node_count, CFG_GROUP_MAX);
	cr_assert_str_eq(r->nodes[0].name, "a-node");
	cr_assert_str_eq(r->nodes[2].name, "c-node");
	store_render_ctx(r, &ctx);
	cr_assert_null(ctx.device);
	cr_assert_str_eq(ctx.file_server, "a-node");

	/* with one: its node group, in its order */
	cfg_pool_init(&p, STORE_DEFAULT_POOL);
	p.node_count = 2;
	snprintf(p.nodes[0], sizeof(p.nodes[0]), "d-node");
	snprintf(p.nodes[1], sizeof(p.nodes[1]), "b-node");
	cr_assert_eq(store_pool_put(S, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_render_default_load(S, r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r->has_pool, 1);
	cr_assert_eq(r->node_count, 2);
	cr_assert_str_eq(r->nodes[0].name, "d-node");
	cr_assert_str_eq(r->nodes[1].name, "b-node");
	free(r);
}

Test(store, revoke_user_covers_owned_devices)
{
	struct cfg_device d;

	S = open_new();
	add_profile(S, "P", 1);
	make_device(&d, "SEP0000000000E7", "P", 1);
	snprintf(d.owner, sizeof(d.owner), "alice");
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), 0);
	make_device(&d, "SEP0000000000E8", "P", 1);
	snprintf(d.owner, sizeof(d.owner), "bob");
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), 0);
	make_family(S, "FA", "SEP0000000000E7", "", "fa1", 1, 10000);
	cr_assert_eq(store_revoke_user(S, "alice", 100, err, sizeof(err)), 0);
	/* a device token: sub is the device, not the owner */
	cr_assert_eq(revoked(S, "j", "SEP0000000000E7", "SEP0000000000E7", NULL,
	                     90), 1);
	cr_assert_eq(revoked(S, "j", "SEP0000000000E7", "SEP0000000000E7", NULL,
	                     101), 0);
	cr_assert_eq(revoked(S, "j", "SEP0000000000E8", "SEP0000000000E8", NULL,
	                     90), 0);
	cr_assert_eq(store_refresh_rotate(S, "fa1", "fa2", 200, NULL, err,
	                                  sizeof(err)), STORE_ROTATE_INVALID);
}

Test(store, binding_purge_only_expired)
{
	struct store_binding b;
	uint64_t removed = 9;
	int n = 0;

	S = open_new();
	memset(&b, 0, sizeof(b));
	snprintf(b.aor, sizeof(b.aor), "sip:1@x");
	snprintf(b.contact, sizeof(b.contact), "<sip:1@10.0.0.1>");
	b.expires = 100;
	cr_assert_eq(store_binding_put(S, &b, err, sizeof(err)), 0);
	snprintf(b.aor, sizeof(b.aor), "sip:2@x");
	b.expires = 300;
	cr_assert_eq(store_binding_put(S, &b, err, sizeof(err)), 0);
	cr_assert_eq(store_binding_purge(S, 100, &removed, err, sizeof(err)), 0);
	cr_assert_eq(removed, 1);
	cr_assert_eq(store_binding_list(S, count_binding, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 1);
}

/* A migration that fails half-way leaves the database as it was. */
Test(store, failed_migration_rolls_back)
{
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	int tables = -1;

	if (on_pg()) {
		char n[16] = "";

		/* an empty store (version 0) with a table in the way of a
		 * later statement of migration 1 */
		cr_assert_eq(pg_sql(1, "CREATE TABLE oprov_schema (id BIGINT"
		                    " PRIMARY KEY, version BIGINT NOT NULL);"
		                    " INSERT INTO oprov_schema VALUES (1, 0);"
		                    " CREATE TABLE sip_binding (x BIGINT)", NULL,
		                    0), 0);
		cr_assert_null(store_open(dir, 0, err, sizeof(err)));
		cr_assert_not_null(strstr(err, "schema migration 1"), "%s", err);
		cr_assert_eq(db_user_version(NULL), 0);
		pg_sql(1, "SELECT count(*) FROM pg_tables WHERE schemaname ="
		       " current_schema()", n, sizeof(n));
		cr_assert_str_eq(n, "2", "migration left %s tables", n);
		return;
	}
	snprintf(path, sizeof(path), "%s/oprov.db", dir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	/* a table in the way of a later statement of migration 1 */
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE sip_binding (x)", NULL, NULL,
	                          NULL), SQLITE_OK);
	sqlite3_close(db);

	cr_assert_null(store_open(dir, 0, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "schema migration 1"), "%s", err);
	cr_assert_eq(db_user_version(path), 0);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema"
	                                " WHERE type = 'table'", -1, &st, NULL),
	             SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		tables = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	cr_assert_eq(tables, 1, "migration left %d tables", tables);
}

Test(store, loose_mode_is_tightened_on_open)
{
	char path[128];

	if (on_pg())
		cr_skip_test("PostgreSQL keeps no oprov file to tighten");
	S = open_new();
	store_close(S);
	S = NULL;
	snprintf(path, sizeof(path), "%s/oprov.db", dir);
	cr_assert_eq(chmod(path, 0644), 0);
	S = store_open(dir, 0, err, sizeof(err));
	cr_assert_not_null(S, "%s", err);
	cr_assert_eq(file_mode("oprov.db"), 0600);
}

/* ---- a key published ahead, and the latest exp it signed (issue 12 item 5) -- */

/* A fresh EC key as the new current one, signing from `activates`. */
static char *
install_key_ahead(struct store *s, int64_t activates)
{
	trust_key *k = key_generate(KEY_EC256, err, sizeof(err));
	json_t *jwk;
	struct store_key sk;
	char *kid;

	cr_assert_not_null(k, "%s", err);
	jwk = key_to_jwk(k);
	memset(&sk, 0, sizeof(sk));
	snprintf(sk.kid, sizeof(sk.kid), "%s", key_kid(k));
	snprintf(sk.alg, sizeof(sk.alg), "%s", jws_alg_name(key_alg(k)));
	sk.private_pem = key_private_pem(k);
	sk.public_jwk = json_dumps(jwk, JSON_COMPACT);
	sk.created = 1;
	sk.activates = activates;
	cr_assert_eq(store_key_rotate(s, &sk, err, sizeof(err)), 0, "%s", err);
	kid = strdup(sk.kid);
	trust_free_secret((char *)sk.private_pem);
	free((char *)sk.public_jwk);
	json_decref(jwk);
	key_unref(k);
	return kid;
}

static void
signer_is(struct store *s, const char *kid)
{
	trust_key *k = store_signing_key(s, err, sizeof(err));

	cr_assert_not_null(k, "%s", err);
	cr_assert_str_eq(key_kid(k), kid);
	key_unref(k);
}

Test(store, key_published_ahead_signs_later)
{
	struct store_generation g0, g1;
	struct store_key cur;
	int64_t now = (int64_t)time(NULL);
	char *k1, *k2;

	S = open_new();
	k1 = install_key_ahead(S, 0);
	signer_is(S, k1);
	k2 = install_key_ahead(S, now + 600);
	/* published (a verify key) at once, but the previous key still signs */
	signer_is(S, k1);
	cr_assert_eq(store_key_activate(S, now, err, sizeof(err)), 0, "%s", err);
	gen(S, &g0);
	/* its time comes: activation clears it once and bumps the generation */
	cr_assert_eq(store_key_activate(S, now + 600, err, sizeof(err)), 1, "%s", err);
	gen(S, &g1);
	cr_assert_gt(g1.config, g0.config);
	cr_assert_eq(store_key_activate(S, now + 601, err, sizeof(err)), 0, "%s", err);
	signer_is(S, k2);
	cr_assert_eq(store_key_current(S, &cur, err, sizeof(err)), 0);
	cr_assert_eq(cur.activates, 0);
	store_key_free(&cur);
	free(k1);
	free(k2);
}

static int
prev_last_exp(void *ctx, const struct store_key *k)
{
	if (k->state == STORE_KEY_PREVIOUS)
		*(int64_t *)ctx = k->last_exp;
	return 0;
}

Test(store, key_last_exp_keeps_the_maximum)
{
	struct store_key cur;
	struct store_generation g0, g1;

	S = open_new();
	rotate(S, "k1", 10);
	gen(S, &g0);
	cr_assert_eq(store_key_note_exp(S, "k1", 5000, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_key_note_exp(S, "k1", 4000, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_key_current(S, &cur, err, sizeof(err)), 0);
	cr_assert_eq(cur.last_exp, 5000);
	store_key_free(&cur);
	cr_assert_eq(store_key_note_exp(S, "k1", 9000, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_key_current(S, &cur, err, sizeof(err)), 0);
	cr_assert_eq(cur.last_exp, 9000);
	store_key_free(&cur);
	/* nothing a daemon holds changed: no generation bump */
	gen(S, &g1);
	cr_assert_eq(g1.config, g0.config);
	/* it survives the rotation that makes it the previous key */
	rotate(S, "k2", 20);
	{
		int64_t prev_exp = -1;

		cr_assert_eq(store_key_list(S, prev_last_exp, &prev_exp, err,
		                            sizeof(err)), 0);
		cr_assert_eq(prev_exp, 9000);
	}
}

/* ---- issue 14: edits in place, shared lines, model loads, device actions ---------- */

static int
move_to_q(void *ctx, struct cfg_device *d, char *e, size_t elen)
{
	(void)e;
	(void)elen;
	snprintf(d->profile, sizeof(d->profile), "%s", (const char *)ctx);
	return 0;
}

static int
edit_refuses(void *ctx, struct cfg_device *d, char *e, size_t elen)
{
	(void)ctx;
	snprintf(d->profile, sizeof(d->profile), "%s", "Q");
	snprintf(e, elen, "refused by the callback");
	return -1;
}

Test(store, device_edit_keeps_codes_families_and_tokens)
{
	static char q[] = "Q", p[] = "P", nope[] = "Nope";
	struct store_counts c;
	struct store_generation g0, g1;
	struct cfg_device d;

	S = open_new();
	add_profile(S, "P", 1);
	add_profile(S, "Q", 1);
	add_device(S, "SEP0000000000EE", "P");
	cr_assert_eq(store_code_issue(S, "SEP0000000000EE", "ce", 1, 1000, err,
	                              sizeof(err)), 0);
	make_family(S, "FE", "SEP0000000000EE", "", "fe1", 1, 1000);
	gen(S, &g0);
	cr_assert_eq(store_device_edit(S, "sep0000000000ee", move_to_q, q, err,
	                               sizeof(err)), 0, "%s", err);
	gen(S, &g1);
	cr_assert_neq(g0.config, g1.config, "an edit bumps the config generation");
	cr_assert_eq(store_device_get(S, "SEP0000000000EE", &d, err, sizeof(err)), 0);
	cr_assert_str_eq(d.profile, "Q");
	cr_assert_eq(store_counts(S, 10, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.codes_active, 1, "the activation code survives");
	cr_assert_eq(c.families_active, 1, "the refresh family survives");
	cr_assert_eq(revoked(S, "x", "SEP0000000000EE", NULL, NULL, 5), 0,
	             "no device revocation recorded");
	/* a refusing callback or a profile that does not exist writes nothing */
	cr_assert_eq(store_device_edit(S, "SEP0000000000EE", edit_refuses, NULL, err,
	                               sizeof(err)), -1);
	cr_assert_str_eq(err, "refused by the callback");
	cr_assert_neq(store_device_edit(S, "SEP0000000000EE", move_to_q, nope, err,
	                                sizeof(err)), 0);
	cr_assert_eq(store_device_get(S, "SEP0000000000EE", &d, err, sizeof(err)), 0);
	cr_assert_str_eq(d.profile, "Q");
	cr_assert_eq(store_device_edit(S, "SEP0000000000EF", move_to_q, p, err,
	                               sizeof(err)), STORE_NOTFOUND);
}

Test(store, shared_lines_and_model_loads)
{
	struct cfg_device d;
	uint32_t mask = 99;

	S = open_new();
	add_profile(S, "P", 1);
	add_device(S, "SEP0000000000A1", "P");
	add_device(S, "SEP0000000000A2", "P");
	/* both fixtures carry line 1 = "100" (make_device) */
	cr_assert_eq(store_line_shared(S, "SEP0000000000A1", &mask, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(mask, 1u, "line 1 of A1 is also on A2");
	cfg_device_init(&d, "SEP0000000000A3");
	snprintf(d.model, sizeof(d.model), "8845");
	snprintf(d.profile, sizeof(d.profile), "P");
	d.line_count = 1;
	cfg_line_init(&d.lines[0], 1, "7777");
	cr_assert_eq(store_device_put(S, &d, STORE_PUT_NEW, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_line_shared(S, "SEP0000000000A3", &mask, err, sizeof(err)), 0);
	cr_assert_eq(mask, 0, "7777 is on one device only");

	cr_assert_eq(store_model_load_set(S, "8845", "sip8845_65.14-3-1", err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(store_model_load_set(S, "8845", "sip8845_65.14-3-2", err, sizeof(err)), 0);
	cr_assert_eq(store_model_load_unset(S, "8845", err, sizeof(err)), 0);
	cr_assert_eq(store_model_load_unset(S, "8845", err, sizeof(err)), STORE_NOTFOUND);
}

/* The configs records on both backends: dial plans, softkey templates and
 * feature policies round trip and cannot be deleted while a device names
 * them; vendor settings and key expansion modules of devices and profiles
 * come back as written; the keyed certificate roles and their promotion;
 * mixed mode; a public client; a binding's firmware and Path. */
static int
count_dialplan(void *ctx, const struct cfg_dialplan *p)
{
	cr_assert_str_eq(p->name, "DP1");
	cr_assert_eq(p->count, 2);
	(*(int *)ctx)++;
	return 0;
}

static int
count_softkeys(void *ctx, const struct cfg_softkeys *k)
{
	(void)k;
	(*(int *)ctx)++;
	return 0;
}

static int
count_fpolicy(void *ctx, const struct cfg_fpolicy *f)
{
	(void)f;
	(*(int *)ctx)++;
	return 0;
}

static void
named_records_put(struct store *s)
{
	struct cfg_dialplan dp;
	struct cfg_softkeys sk;
	struct cfg_fpolicy fp;

	cfg_dialplan_init(&dp, "DP1");
	snprintf(dp.description, sizeof(dp.description), "office");
	cr_assert_eq(cfg_dialrule_parse("9.:3:%1", &dp.rules[0], err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg_dialrule_parse("1..:5", &dp.rules[1], err, sizeof(err)), 0, "%s", err);
	dp.count = 2;
	cr_assert_eq(store_dialplan_put(s, &dp, err, sizeof(err)), 0, "%s", err);
	cfg_softkeys_init(&sk, "SK1");
	cr_assert_eq(cfg_softkeys_set(&sk, "on-hook=Redial,NewCall", err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(store_softkeys_put(s, &sk, err, sizeof(err)), 0, "%s", err);
	cfg_fpolicy_init(&fp, "FP1");
	cr_assert_eq(cfg_fpolicy_set(&fp, "forward-all", 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_fpolicy_put(s, &fp, err, sizeof(err)), 0, "%s", err);
}

Test(store, named_records_and_vendor_settings)
{
	struct cfg_dialplan dp;
	struct cfg_softkeys sk, want_sk;
	struct cfg_fpolicy fp;
	struct cfg_device d;
	struct cfg_profile pr;
	int n = 0;

	S = open_new();
	named_records_put(S);
	cr_assert_eq(store_dialplan_get(S, "DP1", &dp, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(dp.description, "office");
	cr_assert_eq(dp.count, 2);
	cr_assert_str_eq(dp.rules[0].match, "9.");
	cr_assert_str_eq(dp.rules[0].rewrite, "%1");
	cr_assert_eq(dp.rules[1].timeout, 5);
	cr_assert_eq(store_dialplan_list(S, count_dialplan, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_eq(store_softkeys_get(S, "SK1", &sk, err, sizeof(err)), 0, "%s", err);
	cfg_softkeys_init(&want_sk, "SK1");
	cr_assert_eq(cfg_softkeys_set(&want_sk, "on-hook=Redial,NewCall", err, sizeof(err)), 0);
	cr_assert_eq(memcmp(sk.keys, want_sk.keys, sizeof(sk.keys)), 0);
	n = 0;
	cr_assert_eq(store_softkeys_list(S, count_softkeys, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(store_fpolicy_get(S, "FP1", &fp, err, sizeof(err)), 0, "%s", err);
	n = 0;
	for (size_t i = 0; i < CFG_FEATURES; i++)
		n += fp.enabled[i] == 0 ? 1 : fp.enabled[i] > 0 ? 100 : 0;
	cr_assert_eq(n, 1, "one feature off, none on");
	n = 0;
	cr_assert_eq(store_fpolicy_list(S, count_fpolicy, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(store_dialplan_get(S, "DP2", &dp, err, sizeof(err)), STORE_NOTFOUND);

	add_profile(S, "P", 1);
	cr_assert_eq(store_profile_get(S, "P", &pr, err, sizeof(err)), 0);
	pr.vendor.count = 1;
	snprintf(pr.vendor.kv[0].key, sizeof(pr.vendor.kv[0].key), "web-access");
	snprintf(pr.vendor.kv[0].value, sizeof(pr.vendor.kv[0].value), "off");
	cr_assert_eq(store_profile_put(S, &pr, err, sizeof(err)), 0, "%s", err);
	memset(&pr, 0, sizeof(pr));
	cr_assert_eq(store_profile_get(S, "P", &pr, err, sizeof(err)), 0);
	cr_assert_eq(pr.vendor.count, 1);
	cr_assert_str_eq(pr.vendor.kv[0].value, "off");

	make_device(&d, "SEP0000000000B1", "P", 1);
	snprintf(d.dialplan, sizeof(d.dialplan), "DP1");
	snprintf(d.softkeys, sizeof(d.softkeys), "SK1");
	snprintf(d.feature_policy, sizeof(d.feature_policy), "FP1");
	d.kem_count = 2;
	snprintf(d.kem_type, sizeof(d.kem_type), "BEKEM");
	d.vendor.count = 2;
	snprintf(d.vendor.kv[0].key, sizeof(d.vendor.kv[0].key), "pc-port");
	snprintf(d.vendor.kv[0].value, sizeof(d.vendor.kv[0].value), "off");
	snprintf(d.vendor.kv[1].key, sizeof(d.vendor.kv[1].key), "bluetooth");
	snprintf(d.vendor.kv[1].value, sizeof(d.vendor.kv[1].value), "on");
	cr_assert_eq(store_device_put(S, &d, STORE_PUT_NEW, err, sizeof(err)), 0, "%s", err);
	memset(&d, 0, sizeof(d));
	cr_assert_eq(store_device_get(S, "sep0000000000b1", &d, err, sizeof(err)), 0);
	cr_assert_str_eq(d.dialplan, "DP1");
	cr_assert_str_eq(d.softkeys, "SK1");
	cr_assert_str_eq(d.feature_policy, "FP1");
	cr_assert_eq(d.kem_count, 2);
	cr_assert_str_eq(d.kem_type, "BEKEM");
	cr_assert_eq(d.vendor.count, 2);
	cr_assert_str_eq(d.vendor.kv[0].key, "bluetooth", "read back in name order");
	cr_assert_str_eq(d.vendor.kv[1].value, "off");
	cr_assert_eq(store_dialplan_delete(S, "DP1", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "dial plan DP1 is in use by device SEP0000000000B1 (and maybe "
	                 "others); a dial plan in use cannot be deleted");
	snprintf(d.dialplan, sizeof(d.dialplan), "NOPE");
	cr_assert_eq(store_device_put(S, &d, 0, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "device SEP0000000000B1: dial plan NOPE does not exist");
	cr_assert_eq(store_device_delete(S, "SEP0000000000B1", 10, err, sizeof(err)), 0);
	cr_assert_eq(store_dialplan_delete(S, "DP1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_softkeys_delete(S, "SK1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_fpolicy_delete(S, "FP1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_fpolicy_delete(S, "FP1", err, sizeof(err)), STORE_NOTFOUND);
}

static int
keep_binding(void *ctx, const struct store_binding *b)
{
	*(struct store_binding *)ctx = *b;
	return 0;
}

Test(store, keyed_roles_mixed_mode_public_client_binding_path)
{
	struct store_cert c, got;
	struct cfg_cluster cl = { .sip_oauth_mode = 1, .mixed_mode = 1 };
	struct store_client pc, gc;
	struct store_binding b;
	char pem[64];
	int64_t id = 0, id2 = 0;

	S = open_new();
	memset(&c, 0, sizeof(c));
	snprintf(c.purpose, sizeof(c.purpose), STORE_PURPOSE_SAST);
	snprintf(c.subject, sizeof(c.subject), "CN=SAST");
	snprintf(c.sha256, sizeof(c.sha256), "%064d", 1);
	snprintf(pem, sizeof(pem), "-----BEGIN CERTIFICATE-----\n1\n");
	c.pem = pem;
	c.key_pem = "-----BEGIN PRIVATE KEY-----\n1\n";
	cr_assert_eq(store_cert_add(S, &c, &id, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_cert_keyed(S, STORE_PURPOSE_SAST, &got, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(got.id, id);
	cr_assert_str_eq(got.key_pem, c.key_pem);
	store_cert_free(&got);
	cr_assert_eq(store_cert_keyed(S, STORE_PURPOSE_SAST_NEXT, &got, err, sizeof(err)),
	             STORE_NOTFOUND);
	cr_assert_eq(store_cert_keyed(S, "tomcat-trust", &got, err, sizeof(err)), -1);
	/* sast-next made, then promoted: it becomes sast, a new sast-next
	 * takes its place */
	snprintf(c.purpose, sizeof(c.purpose), STORE_PURPOSE_SAST_NEXT);
	snprintf(c.sha256, sizeof(c.sha256), "%064d", 2);
	cr_assert_eq(store_cert_add(S, &c, &id2, err, sizeof(err)), 0, "%s", err);
	snprintf(c.sha256, sizeof(c.sha256), "%064d", 3);
	cr_assert_eq(store_cert_promote(S, STORE_PURPOSE_SAST_NEXT, STORE_PURPOSE_SAST, &c,
	                                &id, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_cert_keyed(S, STORE_PURPOSE_SAST, &got, err, sizeof(err)), 0);
	cr_assert_eq(got.id, id2, "the old sast-next is sast now");
	store_cert_free(&got);
	cr_assert_eq(store_cert_keyed(S, STORE_PURPOSE_SAST_NEXT, &got, err, sizeof(err)), 0);
	cr_assert_eq(got.id, id);
	store_cert_free(&got);

	cr_assert_eq(store_cluster_set(S, &cl, err, sizeof(err)), 0, "%s", err);
	memset(&cl, 0, sizeof(cl));
	cr_assert_eq(store_cluster_get(S, &cl, err, sizeof(err)), 0);
	cr_assert_eq(cl.mixed_mode, 1);

	/* migration 2's public client, and another one without a secret */
	cr_assert_eq(store_client_get(S, "oprov-device", &gc, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(gc.secret_hash, "");
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "kiosk");
	snprintf(pc.scope, sizeof(pc.scope), "config");
	cr_assert_eq(store_client_add(S, &pc, err, sizeof(err)), 0, "%s", err);

	memset(&b, 0, sizeof(b));
	snprintf(b.aor, sizeof(b.aor), "sip:100@example.com");
	snprintf(b.instance, sizeof(b.instance), "<urn:uuid:1>");
	snprintf(b.contact, sizeof(b.contact), "<sip:100@192.0.2.1:5061>");
	snprintf(b.firmware, sizeof(b.firmware), "sip8845_65.14-3-1");
	snprintf(b.path, sizeof(b.path), "<sip:exp.example.com;lr>");
	b.expires = 9999;
	cr_assert_eq(store_binding_put(S, &b, err, sizeof(err)), 0, "%s", err);
	memset(&b, 0, sizeof(b));
	cr_assert_eq(store_binding_list(S, keep_binding, &b, err, sizeof(err)), 0);
	cr_assert_str_eq(b.aor, "sip:100@example.com");
	cr_assert_str_eq(b.firmware, "sip8845_65.14-3-1");
	cr_assert_str_eq(b.path, "<sip:exp.example.com;lr>");
}

static int
collect_action(void *ctx, const struct store_action *a)
{
	struct store_action *out = ctx;

	if (out->seq != 0)
		return -1;                      /* one binding: one row */
	*out = *a;
	return 0;
}

Test(store, device_action_lifecycle)
{
	struct store_binding b;
	struct store_action a, p;
	int64_t seq = 0;

	S = open_new();
	add_profile(S, "P", 1);
	add_device(S, "SEP0000000000AC", "P");
	cr_assert_eq(store_action_get(S, "SEP0000000000AC", &a, err, sizeof(err)),
	             STORE_NOTFOUND);
	cr_assert_eq(store_action_request(S, "SEP0000000000AC", "reboot", 1, &seq, err,
	                                  sizeof(err)), -1, "unknown action");
	cr_assert_eq(store_action_request(S, "SEP0000000000FF", "apply", 1, &seq, err,
	                                  sizeof(err)), STORE_NOTFOUND);
	cr_assert_eq(store_action_request(S, "SEP0000000000AC", "apply", 10, &seq, err,
	                                  sizeof(err)), 0, "%s", err);
	cr_assert_eq(seq, 1);
	cr_assert_eq(store_action_request(S, "SEP0000000000AC", "reset", 11, &seq, err,
	                                  sizeof(err)), 0);
	cr_assert_eq(seq, 2, "a newer request replaces the older one");

	/* pending: only for a node holding a binding of the device */
	memset(&p, 0, sizeof(p));
	cr_assert_eq(store_action_pending(S, "node1", collect_action, &p, err, sizeof(err)), 0);
	cr_assert_eq(p.seq, 0, "no binding, nothing pending for the node");
	memset(&b, 0, sizeof(b));
	snprintf(b.aor, sizeof(b.aor), "sip:1001@example.com");
	snprintf(b.contact, sizeof(b.contact), "sip:1001@192.0.2.1:5061;transport=tls");
	snprintf(b.device, sizeof(b.device), "SEP0000000000AC");
	snprintf(b.node, sizeof(b.node), "node1");
	b.expires = 1000;
	b.conn_id = 42;
	cr_assert_eq(store_binding_put(S, &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_action_pending(S, "node2", collect_action, &p, err, sizeof(err)), 0);
	cr_assert_eq(p.seq, 0, "another node's binding");
	cr_assert_eq(store_action_pending(S, "node1", collect_action, &p, err, sizeof(err)), 0);
	cr_assert_eq(p.seq, 2);
	cr_assert_str_eq(p.action, "reset");
	cr_assert_eq(p.conn_id, 42);
	cr_assert_str_eq(p.contact, b.contact);
	cr_assert_str_eq(p.aor, b.aor);

	/* the outcome; an update for an older request is ignored */
	snprintf(p.state, sizeof(p.state), "answered");
	snprintf(p.node, sizeof(p.node), "node1");
	p.code = 200;
	p.updated = 12;
	cr_assert_eq(store_action_update(S, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_action_get(S, "SEP0000000000AC", &a, err, sizeof(err)), 0);
	cr_assert_str_eq(a.state, "answered");
	cr_assert_eq(a.code, 200);
	p.seq = 1;
	snprintf(p.state, sizeof(p.state), "failed");
	cr_assert_eq(store_action_update(S, &p, err, sizeof(err)), 0);
	cr_assert_eq(store_action_get(S, "SEP0000000000AC", &a, err, sizeof(err)), 0);
	cr_assert_str_eq(a.state, "answered");
	memset(&p, 0, sizeof(p));
	cr_assert_eq(store_action_pending(S, "node1", collect_action, &p, err, sizeof(err)), 0);
	cr_assert_eq(p.seq, 0, "answered is no longer pending");
	/* the request goes with its device */
	cr_assert_eq(store_device_delete(S, "SEP0000000000AC", 20, err, sizeof(err)), 0);
	cr_assert_eq(store_action_get(S, "SEP0000000000AC", &a, err, sizeof(err)),
	             STORE_NOTFOUND);
}

/* ---- several nodes on one store ------------------------------------------------ */

static int
count_heartbeat(void *ctx, const struct store_heartbeat *h)
{
	(void)h;
	(*(size_t *)ctx)++;
	return 0;
}

Test(store, conf_file_parses_and_refuses)
{
	struct store_conf c;
	char big[STORE_CONF_LINE_MAX + 8];
	static const char good[] =
		"# comment\n\n  node = b.example.com  \r\n"
		"store=postgresql://oprov@db.example.com/oprov?sslmode=verify-full\n";
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "nodes = x\n", "unknown key" },
		{ "node x\n", "expected `key = value`" },
		{ "node = a\nnode = b\n", "line 2: node given twice" },
		{ "node =\n", "empty value" },
		{ "store = mysql://x\n", "expected postgresql://" },
		{ "node = a\0b\n", "NUL" },
	};

	cr_assert_eq(store_conf_parse(good, sizeof(good) - 1, &c, err,
	                              sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.node, "b.example.com");
	cr_assert_str_eq(c.store, "postgresql://oprov@db.example.com/oprov?"
	                 "sslmode=verify-full");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].text);

		if (i == 5)
			len = 11;
		cr_assert_eq(store_conf_parse(bad[i].text, len, &c, err,
		                              sizeof(err)), -1, "%s", bad[i].text);
		cr_assert_not_null(strstr(err, bad[i].says), "%s: %s", bad[i].text,
		                   err);
	}
	memset(big, 'x', sizeof(big));
	memcpy(big, "node = ", 7);
	cr_assert_eq(store_conf_parse(big, sizeof(big), &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "longer than"), "%s", err);
	memset(big, 'x', sizeof(big));
	memcpy(big, "node = ", 7);
	big[STORE_NAME_MAX + 10] = '\n';
	cr_assert_eq(store_conf_parse(big, STORE_NAME_MAX + 11, &c, err,
	                              sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "node: longer than"), "%s", err);
	cr_assert_eq(store_is_uri("postgres://x"), 1);
	cr_assert_eq(store_is_uri("/var/lib/oprov"), 0);
	cr_assert_str_eq(store_datadir("sqlite:/srv/x"), "/srv/x");
	cr_assert_str_eq(store_datadir("/srv/y"), "/srv/y");
}

Test(store, migrations_in_postgresql_words)
{
	for (int i = 0; i < store_schema_version(); i++) {
		char *sq = store_migration_sql(i, 0), *pg = store_migration_sql(i, 1);

		cr_assert_not_null(sq);
		cr_assert_not_null(pg);
		cr_assert_null(strstr(pg, "WITHOUT ROWID"), "migration %d", i + 1);
		cr_assert_null(strstr(pg, "AUTOINCREMENT"), "migration %d", i + 1);
		cr_assert_null(strstr(pg, "INTEGER"), "migration %d", i + 1);
		/* quoted text is left alone */
		if (strstr(sq, "''") != NULL)
			cr_assert_not_null(strstr(pg, "''"));
		free(sq);
		free(pg);
	}
	{
		char *m1 = store_migration_sql(0, 1);

		cr_assert_not_null(strstr(m1, "id BIGINT GENERATED BY DEFAULT AS "
		                          "IDENTITY PRIMARY KEY,  purpose"), "%.200s", m1);
		cr_assert_not_null(strstr(m1, "name TEXT COLLATE \"C\" PRIMARY KEY"));
		free(m1);
	}
	cr_assert_null(store_migration_sql(store_schema_version(), 1));
	cr_assert_null(store_migration_sql(-1, 0));
}

Test(store, counter_windows_and_concurrent_hits)
{
	int64_t hits = -1;
	pid_t pids[4];

	S = open_new();
	cr_assert_eq(store_counter_hit(S, "k", 1000, 60, 0, &hits, err,
	                               sizeof(err)), 0, "%s", err);
	cr_assert_eq(hits, 0);
	for (int i = 1; i <= 3; i++) {
		cr_assert_eq(store_counter_hit(S, "k", 1000 + i, 60, 1, &hits, err,
		                               sizeof(err)), 0, "%s", err);
		cr_assert_eq(hits, i);
	}
	cr_assert_eq(store_counter_hit(S, "k", 1060, 60, 0, &hits, err,
	                               sizeof(err)), 0);
	cr_assert_eq(hits, 3);
	/* the window started with the first hit, at 1001: at 1061 it is over */
	cr_assert_eq(store_counter_hit(S, "k", 1061, 60, 0, &hits, err,
	                               sizeof(err)), 0);
	cr_assert_eq(hits, 0);
	cr_assert_eq(store_counter_hit(S, "k", 1061, 60, 1, &hits, err,
	                               sizeof(err)), 0);
	cr_assert_eq(hits, 1);
	cr_assert_eq(store_counter_hit(S, "", 1060, 60, 1, &hits, err,
	                               sizeof(err)), -1);
	cr_assert_eq(store_counter_hit(S, "k", 1060, 0, 1, &hits, err,
	                               sizeof(err)), -1);
	/* four processes, 25 hits each, none lost */
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			char e[STORE_ERR_MAX];
			struct store *s = store_open(dir, 0, e, sizeof(e));
			int64_t h;
			int bad = s == NULL;

			for (int k = 0; k < 25 && !bad; k++)
				bad = store_counter_hit(s, "c", 5000, 600, 1, &h, e,
				                        sizeof(e)) != 0;
			store_close(s);
			_exit(bad);
		}
	}
	for (int i = 0; i < 4; i++) {
		int st;

		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	cr_assert_eq(store_counter_hit(S, "c", 5001, 600, 0, &hits, err,
	                               sizeof(err)), 0);
	cr_assert_eq(hits, 100);
	/* expired counters go with the purge */
	cr_assert_eq(store_purge(S, 10000, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_counter_hit(S, "c", 5001, 600, 0, &hits, err,
	                               sizeof(err)), 0);
	cr_assert_eq(hits, 0);
}

/* issue 11 item 14: a family keeps its newest STORE_FAMILY_ROTATED_KEEP
 * rotated tokens (reuse detection) and forgets older ones. */
Test(store, rotated_tokens_per_family_bounded)
{
	struct store_family f;
	char h[16], nh[16];
	int cur, rounds = STORE_FAMILY_ROTATED_KEEP + 24;

	S = open_new();
	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "famtrim");
	f.created = 100;
	f.expires = 100000;
	cr_assert_eq(store_family_create(S, &f, "t0", err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < rounds; i++) {
		snprintf(h, sizeof(h), "t%d", i);
		snprintf(nh, sizeof(nh), "t%d", i + 1);
		cr_assert_eq(store_refresh_rotate(S, h, nh, 200 + i, NULL, err,
		                                  sizeof(err)), STORE_ROTATE_OK, "%s", err);
	}
	/* t<rounds> current; the KEEP before it rotated and known; older gone */
	for (int i = 0; i <= rounds; i++) {
		int known = i >= rounds - STORE_FAMILY_ROTATED_KEEP;

		snprintf(h, sizeof(h), "t%d", i);
		cr_assert_eq(store_refresh_find(S, h, &f, &cur, err, sizeof(err)),
		             known ? 0 : STORE_NOTFOUND, "t%d: %s", i, err);
		if (known)
			cr_assert_eq(cur, i == rounds, "t%d", i);
	}
	/* the oldest one kept still revokes the family when it comes back */
	snprintf(h, sizeof(h), "t%d", rounds - STORE_FAMILY_ROTATED_KEEP);
	cr_assert_eq(store_refresh_rotate(S, h, "tx", 1000, NULL, err, sizeof(err)),
	             STORE_ROTATE_REUSED);
}

Test(store, housekeeping_runs_once_per_interval)
{
	struct store *other;
	uint64_t removed;
	int ran = -1;

	S = open_new();
	other = store_open(dir, 0, err, sizeof(err));
	cr_assert_not_null(other, "%s", err);
	add_profile(S, "P", 1);
	add_device(S, "SEP0000000000E1", "P");
	cr_assert_eq(store_code_issue(S, "SEP0000000000E1", "hx", 100, 200, err,
	                              sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_housekeep(S, "a", 1000, 60, &ran, &removed, err,
	                             sizeof(err)), 0, "%s", err);
	cr_assert_eq(ran, 1);
	cr_assert_eq(removed, 1);               /* the expired code */
	cr_assert_eq(store_housekeep(other, "b", 1030, 60, &ran, NULL, err,
	                             sizeof(err)), 0, "%s", err);
	cr_assert_eq(ran, 0, "a second node purged within the interval");
	cr_assert_eq(store_housekeep(other, "b", 1060, 60, &ran, NULL, err,
	                             sizeof(err)), 0, "%s", err);
	cr_assert_eq(ran, 1);
	store_close(other);
}

Test(store, publisher_and_heartbeats)
{
	struct store_generation g0, g1;
	struct store_heartbeat h;
	char pub[STORE_NAME_MAX];
	size_t n = 0;
	struct cfg_node nd;

	S = open_new();
	cr_assert_eq(store_publisher_get(S, pub, sizeof(pub), err, sizeof(err)),
	             STORE_NOTFOUND);
	cr_assert_eq(store_publisher_set(S, "nope", err, sizeof(err)),
	             STORE_NOTFOUND);
	memset(&nd, 0, sizeof(nd));
	snprintf(nd.name, sizeof(nd.name), "a.example.com");
	cr_assert_eq(store_node_put(S, &nd, err, sizeof(err)), 0, "%s", err);
	gen(S, &g0);
	cr_assert_eq(store_publisher_set(S, "a.example.com", err, sizeof(err)), 0,
	             "%s", err);
	gen(S, &g1);
	cr_assert_eq(g1.config, g0.config + 1);
	cr_assert_eq(store_publisher_get(S, pub, sizeof(pub), err, sizeof(err)), 0);
	cr_assert_str_eq(pub, "a.example.com");

	memset(&h, 0, sizeof(h));
	snprintf(h.node, sizeof(h.node), "a.example.com");
	snprintf(h.program, sizeof(h.program), "oprov-httpsd");
	snprintf(h.serves, sizeof(h.serves), "https-config 6971/tcp");
	h.pid = 42;
	h.started = 100;
	h.seen = 105;
	cr_assert_eq(store_heartbeat_put(S, &h, err, sizeof(err)), 0, "%s", err);
	h.seen = 110;
	cr_assert_eq(store_heartbeat_put(S, &h, err, sizeof(err)), 0, "%s", err);
	snprintf(h.program, sizeof(h.program), "oprov-sipd");
	cr_assert_eq(store_heartbeat_put(S, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_heartbeat_list(S, count_heartbeat, &n, err,
	                                  sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	h.node[0] = '\0';
	cr_assert_eq(store_heartbeat_put(S, &h, err, sizeof(err)), -1);
}

Test(store, wait_change_is_woken_by_a_commit_elsewhere)
{
	struct store *other;
	struct cfg_cluster c = { .sip_oauth_mode = 1 };
	struct timespec t0, t1;
	int fds[2], rc;
	double ms;

	S = open_new();
	other = store_open(dir, 0, err, sizeof(err));
	cr_assert_not_null(other, "%s", err);
	/* the first call may announce "read now" (PostgreSQL: just listening) */
	cr_assert_geq(store_wait_change(S, -1, 10, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_wait_change(S, -1, 10, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_cluster_set(other, &c, err, sizeof(err)), 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = store_wait_change(S, -1, 2000, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1000 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (on_pg()) {
		cr_assert_eq(rc, 1, "no notification: %s", err);
		cr_assert_lt(ms, 500, "notified only after %.0f ms", ms);
	} else {
		cr_assert_eq(rc, 0);    /* SQLite: the timeout, a plain sleep */
		cr_assert_geq(ms, 1900);
	}
	/* a readable wake fd ends the wait at once */
	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write(fds[1], "x", 1), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(store_wait_change(S, fds[0], 5000, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 2);
	close(fds[0]);
	close(fds[1]);
	store_close(other);
}
