/*
 * sqlite_schema.c - the SQLite schema as numbered migrations.
 *
 * migrations[i] takes a database from schema version i to i + 1; the version
 * lives in PRAGMA user_version.  A migration, once released, is never
 * edited: a change is a new entry at the end.  All pending migrations run in
 * one transaction, so an interrupted upgrade leaves the old schema.
 *
 * Device names and every column that refers to a device hold the canonical
 * upper-case name, so a case-insensitive lookup is an exact primary-key
 * search.  Tables looked up by key on hot paths are WITHOUT ROWID: one
 * B-tree descent instead of an index descent plus a table descent.
 */
#include "config.h"

#include <stdio.h>

#include "store/sqlite_int.h"

static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE generation ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  config INTEGER NOT NULL,"
	"  revocation INTEGER NOT NULL);"
	"INSERT INTO generation VALUES (1, 1, 1);"

	"CREATE TABLE cluster ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  sip_oauth_mode INTEGER NOT NULL);"
	"INSERT INTO cluster VALUES (1, 0);"

	"CREATE TABLE param ("
	"  name TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL) WITHOUT ROWID;"

	"CREATE TABLE node ("
	"  name TEXT PRIMARY KEY,"
	"  host TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  phone_port INTEGER NOT NULL,"
	"  sip_port INTEGER NOT NULL,"
	"  secured_sip_port INTEGER NOT NULL,"
	"  sip_oauth_port INTEGER NOT NULL,"
	"  sip_mra_oauth_port INTEGER NOT NULL) WITHOUT ROWID;"

	"CREATE TABLE pool ("
	"  name TEXT PRIMARY KEY,"
	"  time_zone TEXT NOT NULL,"
	"  date_template TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE pool_ntp ("
	"  pool TEXT NOT NULL REFERENCES pool (name) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  host TEXT NOT NULL,"
	"  PRIMARY KEY (pool, idx)) WITHOUT ROWID;"
	"CREATE TABLE pool_node ("
	"  pool TEXT NOT NULL REFERENCES pool (name) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  node TEXT NOT NULL REFERENCES node (name),"
	"  PRIMARY KEY (pool, idx)) WITHOUT ROWID;"
	"CREATE INDEX pool_node_node ON pool_node (node);"

	"CREATE TABLE profile ("
	"  name TEXT PRIMARY KEY,"
	"  description TEXT NOT NULL,"
	"  mode INTEGER NOT NULL,"
	"  transport INTEGER NOT NULL,"
	"  oauth INTEGER NOT NULL,"
	"  digest INTEGER NOT NULL,"
	"  tftp_encrypted_config INTEGER NOT NULL) WITHOUT ROWID;"

	"CREATE TABLE device ("
	"  name TEXT PRIMARY KEY,"
	"  model TEXT NOT NULL,"
	"  profile TEXT NOT NULL REFERENCES profile (name),"
	"  owner TEXT NOT NULL,"
	"  pool TEXT REFERENCES pool (name),"
	"  description TEXT NOT NULL,"
	"  load TEXT NOT NULL,"
	"  require_activation_code INTEGER NOT NULL,"
	"  allow_activation_code_mra INTEGER NOT NULL,"
	"  mra_domain TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX device_profile ON device (profile);"
	"CREATE INDEX device_pool ON device (pool);"
	"CREATE INDEX device_owner ON device (owner);"
	"CREATE TABLE line ("
	"  device TEXT NOT NULL REFERENCES device (name) ON DELETE CASCADE,"
	"  button INTEGER NOT NULL,"
	"  dn TEXT NOT NULL,"
	"  label TEXT NOT NULL,"
	"  display_name TEXT NOT NULL,"
	"  auto_answer INTEGER NOT NULL,"
	"  call_waiting INTEGER NOT NULL,"
	"  max_calls INTEGER NOT NULL,"
	"  busy_trigger INTEGER NOT NULL,"
	"  PRIMARY KEY (device, button)) WITHOUT ROWID;"

	/* AUTOINCREMENT: `oprovctl cert delete ID` must never hit a later
	 * certificate that reused a deleted id */
	"CREATE TABLE cert ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  purpose TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  pem TEXT NOT NULL,"
	"  key_pem TEXT,"
	"  UNIQUE (purpose, sha256));"

	"CREATE TABLE expressway ("
	"  host TEXT PRIMARY KEY,"
	"  description TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE expressway_name ("
	"  host TEXT NOT NULL REFERENCES expressway (host) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (host, idx)) WITHOUT ROWID;"

	"CREATE TABLE signing_key ("
	"  id INTEGER PRIMARY KEY,"
	"  kid TEXT NOT NULL UNIQUE,"
	"  alg TEXT NOT NULL,"
	"  private_pem TEXT,"
	"  public_jwk TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  state INTEGER NOT NULL CHECK (state IN (0, 1, 2)));"
	/* at most one current and one previous key, whatever a caller does */
	"CREATE UNIQUE INDEX signing_key_one_current ON signing_key (state)"
	"  WHERE state = 0;"
	"CREATE UNIQUE INDEX signing_key_one_previous ON signing_key (state)"
	"  WHERE state = 1;"

	"CREATE TABLE activation_code ("
	"  id INTEGER PRIMARY KEY,"
	"  device TEXT NOT NULL REFERENCES device (name) ON DELETE CASCADE,"
	"  code_hash TEXT NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  used_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX activation_code_device ON activation_code (device);"

	"CREATE TABLE oauth_client ("
	"  name TEXT PRIMARY KEY,"
	"  secret_hash TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  created INTEGER NOT NULL) WITHOUT ROWID;"

	"CREATE TABLE refresh_family ("
	"  id TEXT PRIMARY KEY,"
	"  device TEXT NOT NULL,"
	"  owner TEXT NOT NULL,"
	"  client_id TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX refresh_family_device ON refresh_family (device);"
	"CREATE INDEX refresh_family_owner ON refresh_family (owner);"
	"CREATE INDEX refresh_family_expires ON refresh_family (expires);"
	/* state: 0 current, 1 rotated */
	"CREATE TABLE refresh_token ("
	"  hash TEXT PRIMARY KEY,"
	"  family TEXT NOT NULL REFERENCES refresh_family (id) ON DELETE CASCADE,"
	"  state INTEGER NOT NULL CHECK (state IN (0, 1)),"
	"  created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX refresh_token_family ON refresh_token (family);"

	/* kind: enum store_revocation_kind */
	"CREATE TABLE revocation ("
	"  kind INTEGER NOT NULL,"
	"  value TEXT NOT NULL,"
	"  issued_before INTEGER NOT NULL,"
	"  purge_after INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, value)) WITHOUT ROWID;"

	"CREATE TABLE sip_binding ("
	"  aor TEXT NOT NULL,"
	"  instance TEXT NOT NULL,"
	"  reg_id INTEGER NOT NULL,"
	"  contact TEXT NOT NULL,"
	"  device TEXT NOT NULL,"
	"  node TEXT NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  conn_id INTEGER NOT NULL,"
	"  PRIMARY KEY (aor, instance, reg_id)) WITHOUT ROWID;"
	"CREATE INDEX sip_binding_node ON sip_binding (node, conn_id);"
	"CREATE INDEX sip_binding_expires ON sip_binding (expires);",

	/* 2: the public client phones name at the token endpoint (no
	 * secret: secret_hash ''), so every client_id a token carries is a
	 * registered client */
	"INSERT INTO oauth_client (name, secret_hash, scope, created)"
	" VALUES ('oprov-device', '', 'config sip-register', 0);",

	/* 3: a signing key signs from `activates` on (published before it
	 * signs) and remembers the latest exp it signed (last_exp), so a
	 * rotation retires it only once its tokens have expired.  Keys from
	 * before: the previous key's tokens were signed before the current key
	 * was made, so they expire at most the longest access lifetime (1440
	 * minutes) plus the skew after that; the current key's are recorded
	 * from now on, so it gets the same bound from its creation. */
	"ALTER TABLE signing_key ADD COLUMN activates BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE signing_key ADD COLUMN last_exp BIGINT NOT NULL DEFAULT 0;"
	"UPDATE signing_key SET last_exp ="
	" (SELECT MAX(created) FROM signing_key) + 86460 WHERE state = 1;"
	"UPDATE signing_key SET last_exp = created + 86460 WHERE state = 0;",

	/* 4: mixed mode (CTL files served), off by default */
	"ALTER TABLE cluster ADD COLUMN mixed_mode BIGINT NOT NULL DEFAULT 0;",

	/* 5: configs phones accept (issue 14): files a device names, key
	 * expansion modules, vendor settings per device and per profile,
	 * per-model loads, dial plans, softkey templates, feature policies,
	 * the load a registered device reported; an index to find the devices
	 * that share a directory number.  SQL both SQLite and PostgreSQL take. */
	"ALTER TABLE device ADD COLUMN dialplan TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE device ADD COLUMN softkeys TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE device ADD COLUMN feature_policy TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE device ADD COLUMN kem_count BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE device ADD COLUMN kem_type TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE device_vendor ("
	"  device TEXT NOT NULL REFERENCES device (name) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (device, name));"
	"CREATE TABLE profile_vendor ("
	"  profile TEXT NOT NULL REFERENCES profile (name) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (profile, name));"
	"CREATE INDEX line_dn ON line (dn);"
	"CREATE TABLE model_load ("
	"  model TEXT PRIMARY KEY,"
	"  load TEXT NOT NULL);"
	"CREATE TABLE dialplan ("
	"  name TEXT PRIMARY KEY,"
	"  description TEXT NOT NULL);"
	"CREATE TABLE dialplan_rule ("
	"  dialplan TEXT NOT NULL REFERENCES dialplan (name) ON DELETE CASCADE,"
	"  idx BIGINT NOT NULL,"
	"  pattern TEXT NOT NULL,"
	"  timeout BIGINT NOT NULL,"
	"  rewrite TEXT NOT NULL,"
	"  PRIMARY KEY (dialplan, idx));"
	"CREATE TABLE softkeys ("
	"  name TEXT PRIMARY KEY,"
	"  description TEXT NOT NULL);"
	"CREATE TABLE softkeys_set ("
	"  softkeys TEXT NOT NULL REFERENCES softkeys (name) ON DELETE CASCADE,"
	"  state TEXT NOT NULL,"
	"  keys TEXT NOT NULL,"
	"  PRIMARY KEY (softkeys, state));"
	"CREATE TABLE feature_policy ("
	"  name TEXT PRIMARY KEY,"
	"  description TEXT NOT NULL);"
	"CREATE TABLE feature_policy_item ("
	"  policy TEXT NOT NULL REFERENCES feature_policy (name) ON DELETE CASCADE,"
	"  feature BIGINT NOT NULL,"
	"  enabled BIGINT NOT NULL,"
	"  PRIMARY KEY (policy, feature));"
	"ALTER TABLE sip_binding ADD COLUMN firmware TEXT NOT NULL DEFAULT '';",

	/* 6: Apply Config / reset / restart (issue 14): one request per device,
	 * the newest; oprov-sipd sends it over the device's live connection and
	 * writes back what happened. */
	"CREATE TABLE device_action ("
	"  device TEXT PRIMARY KEY REFERENCES device (name) ON DELETE CASCADE,"
	"  action TEXT NOT NULL,"
	"  seq BIGINT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  code BIGINT NOT NULL,"
	"  node TEXT NOT NULL,"
	"  requested BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL);"
	/* RFC 3327 Path of a binding made through an Expressway-C (5091): the
	 * route a NOTIFY to the device takes back. */
	"ALTER TABLE sip_binding ADD COLUMN path TEXT NOT NULL DEFAULT '';",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
store_sqlite_schema_version(void)
{
	return N_MIGRATIONS;
}

int
sq_user_version(struct sq *q, int *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return sq_err(q, err, errlen, "reading the schema version");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sq_err(q, err, errlen, "reading the schema version");
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int
sq_migrate(struct sq *q, char *err, size_t errlen)
{
	char sql[64];
	int v;

	if (sq_begin(q, err, errlen) < 0)
		return -1;
	/* Read again under the write lock: another process may have migrated
	 * between our first look and now. */
	if (sq_user_version(q, &v, err, errlen) < 0)
		goto fail;
	if (v > N_MIGRATIONS) {
		store_fail(err, errlen,
		           "database schema version %d is newer than this oprov "
		           "(%d); upgrade oprov", v, N_MIGRATIONS);
		goto fail;
	}
	if (v == N_MIGRATIONS) {
		sq_rollback(q);
		return 0;
	}
	for (int i = v; i < N_MIGRATIONS; i++) {
		char what[64];

		snprintf(what, sizeof(what), "schema migration %d", i + 1);
		if (sqlite3_exec(q->db, migrations[i], NULL, NULL, NULL) !=
		    SQLITE_OK) {
			sq_err(q, err, errlen, what);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", N_MIGRATIONS);
	if (sq_exec(q, sql, err, errlen) < 0)
		goto fail;
	return sq_commit(q, err, errlen);
fail:
	sq_rollback(q);
	return -1;
}
