/*
 * schema.c - the store's schema as one list of numbered migrations, shared
 * by both backends (SQLite and PostgreSQL).
 *
 * migrations[i] takes a database from schema version i to i + 1.  A
 * migration, once released, is never edited: a change is a new entry at the
 * end.  Each backend runs all pending migrations in one transaction, so an
 * interrupted upgrade leaves the old schema (SQLite keeps the version in
 * PRAGMA user_version, PostgreSQL in the table oprov_schema).
 *
 * One text for both engines.  New migrations are written in SQL both accept
 * (TEXT, BIGINT for numbers and times, no WITHOUT ROWID, no AUTOINCREMENT,
 * no BLOB).  Migration 1 predates the PostgreSQL backend and uses SQLite's
 * words; store_migration_sql() gives PostgreSQL the same schema through a
 * short, explicit list of whole-word substitutions (see pg_words below),
 * applied outside quoted text and identifiers only.
 *
 * Device names and every column that refers to a device hold the canonical
 * upper-case name, so a case-insensitive lookup is an exact primary-key
 * search.  Tables looked up by key on hot paths are WITHOUT ROWID in
 * SQLite: one B-tree descent instead of an index descent plus a table
 * descent.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

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

	/* 7: cluster state: which node is the publisher, each daemon's
	 * heartbeat, counters shared by every node (failed activation codes),
	 * and the claim that lets one node at a time purge expired rows */
	"ALTER TABLE cluster ADD COLUMN publisher TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE heartbeat ("
	"  node TEXT NOT NULL,"
	"  program TEXT NOT NULL,"
	"  pid BIGINT NOT NULL,"
	"  serves TEXT NOT NULL,"
	"  started BIGINT NOT NULL,"
	"  seen BIGINT NOT NULL,"
	"  PRIMARY KEY (node, program));"
	"CREATE TABLE rate_counter ("
	"  name TEXT PRIMARY KEY,"
	"  window_start BIGINT NOT NULL,"
	"  hits BIGINT NOT NULL,"
	"  expires BIGINT NOT NULL);"
	"CREATE INDEX rate_counter_expires ON rate_counter (expires);"
	"CREATE TABLE housekeeping ("
	"  id BIGINT PRIMARY KEY CHECK (id = 1),"
	"  last_purge BIGINT NOT NULL,"
	"  node TEXT NOT NULL);"
	"INSERT INTO housekeeping VALUES (1, 0, '');",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
store_schema_version(void)
{
	return N_MIGRATIONS;
}

/* PostgreSQL's words for SQLite's, tried in order at each word boundary.
 * Why each one:
 *  - INTEGER PRIMARY KEY [AUTOINCREMENT]: SQLite's rowid alias, assigned
 *    when an INSERT leaves it out; PostgreSQL needs an identity column.
 *  - INTEGER: SQLite's integers are 64-bit; PostgreSQL's INTEGER is not.
 *  - WITHOUT ROWID: SQLite's storage hint; PostgreSQL has no such thing.
 *  - TEXT: PostgreSQL compares text by the database's locale unless told
 *    otherwise; "C" compares bytes, as SQLite does, so names sort and page
 *    the same on both engines whatever locale the database was made with.
 *    (So TEXT in a migration is a column type only, never in a CAST.) */
static const struct {
	const char *from, *to;
} pg_words[] = {
	{ "INTEGER PRIMARY KEY AUTOINCREMENT",
	  "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
	{ "INTEGER PRIMARY KEY",
	  "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
	{ "INTEGER", "BIGINT" },
	{ "WITHOUT ROWID", "" },
	{ "TEXT", "TEXT COLLATE \"C\"" },
};

static int
is_word(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* The pg_words entry that starts at p (a word boundary), or -1. */
static int
pg_word_at(const char *p)
{
	for (size_t i = 0; i < sizeof(pg_words) / sizeof(pg_words[0]); i++) {
		size_t n = strlen(pg_words[i].from);

		if (strncmp(p, pg_words[i].from, n) == 0 && !is_word(p[n]))
			return (int)i;
	}
	return -1;
}

char *
store_migration_sql(int i, int postgres)
{
	const char *m, *p;
	size_t n = 0;
	char *out, quote = 0;

	if (i < 0 || i >= N_MIGRATIONS)
		return NULL;
	m = migrations[i];
	if (!postgres)
		return strdup(m);
	/* No substitution more than quadruples its word (TEXT: 4 -> 16). */
	if ((out = malloc(strlen(m) * 4 + 1)) == NULL)
		return NULL;
	for (p = m; *p != '\0';) {
		int w = -1;

		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (p == m || !is_word(p[-1])) {
			w = pg_word_at(p);
		}
		if (w >= 0) {
			size_t tl = strlen(pg_words[w].to);

			memcpy(out + n, pg_words[w].to, tl);
			n += tl;
			p += strlen(pg_words[w].from);
			continue;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
	return out;
}
