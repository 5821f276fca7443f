/*
 * sqlite.c - the SQLite backend: opening DATADIR/oprov.db, the statement
 * cache, transactions, generation counters, housekeeping (purge, counts)
 * and the operations table.
 *
 * Connection settings and why:
 *  - journal_mode=WAL: daemons read while oprovctl or another daemon writes.
 *  - synchronous=FULL: a committed refresh rotation or revocation survives a
 *    power cut (with NORMAL the last commits may be lost in WAL mode, which
 *    would resurrect a revoked token or strand a phone's new refresh token).
 *  - foreign_keys=ON: lines, pool members, Expressway-C names and activation
 *    codes cannot outlive what they belong to.
 *  - a busy handler (writer_wait) with a budget of STORE_BUSY_TIMEOUT_MS or
 *    the daemon's lock wait: writers queue instead of failing.  SQLite's
 *    own busy_timeout sleeps 1, 2, 5, 10 ... 100 ms between tries whatever
 *    happens meanwhile; a daemon's threads, each on its own connection,
 *    then spent most of a burst of onboardings asleep while the lock was
 *    free, and the slowest hit the lock wait.  writer_wait is woken by
 *    this process's own commits and rollbacks, and polls every
 *    SQ_BUSY_POLL_MS for another process's.
 *  - mmap_size 256 MiB: reads come straight from the kernel's page
 *    cache, shared by every connection, instead of a pread() per page miss
 *    into each connection's private cache; lookups in a large store stay
 *    close to lookups in a small one.
 *  - The database file is created 0600 before SQLite opens it; SQLite
 *    creates the -wal and -shm files with the database file's permissions.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite_int.h"

/* Address space, not memory: pages are only touched as read. */
#define STORE_MMAP_SIZE_STR "268435456"

#define SQ_PATH_MAX 4096        /* DATADIR/oprov.db */

/* ---- statement cache ----------------------------------------------------- */

static size_t
slot_hash(const char *sql)
{
	uintptr_t p = (uintptr_t)sql;

	p ^= p >> 17;
	p *= 0x9e3779b97f4a7c15ull;
	return (size_t)(p >> 24) % SQ_STMT_SLOTS;
}

static struct sq_slot *
slot_find(struct sq *q, const char *sql)
{
	size_t h = slot_hash(sql);

	for (size_t i = 0; i < SQ_STMT_SLOTS; i++) {
		struct sq_slot *sl = &q->slots[(h + i) % SQ_STMT_SLOTS];

		if (sl->sql == sql || sl->sql == NULL)
			return sl;
	}
	return NULL;
}

sqlite3_stmt *
sq_stmt(struct sq *q, const char *sql, char *err, size_t errlen)
{
	struct sq_slot *sl = slot_find(q, sql);
	sqlite3_stmt *st = NULL;

	if (sl != NULL && sl->st != NULL && !sqlite3_stmt_busy(sl->st))
		return sl->st;
	if (sl != NULL && sl->st == NULL) {
		if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		                       &st, NULL) != SQLITE_OK) {
			sq_err(q, err, errlen, "preparing a statement");
			return NULL;
		}
		sl->sql = sql;
		sl->st = st;
		return st;
	}
	/* In use by an enclosing list (or, a bug, the table is full): a
	 * private statement, finalized by sq_done. */
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sq_err(q, err, errlen, "preparing a statement");
		return NULL;
	}
	return st;
}

void
sq_done(struct sq *q, const char *sql, sqlite3_stmt *st)
{
	struct sq_slot *sl;

	if (st == NULL)
		return;
	sl = slot_find(q, sql);
	if (sl != NULL && sl->st == st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
}

/* ---- small helpers ------------------------------------------------------- */

int
sq_err(struct sq *q, char *err, size_t errlen, const char *what)
{
	return store_fail(err, errlen, "%s: %s", what, sqlite3_errmsg(q->db));
}

int
sq_exec(struct sq *q, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_err(q, err, errlen, "store");
	return 0;
}

/* ---- waiting for the write lock ------------------------------------------------ */

#define SQ_BUSY_POLL_MS 5       /* another process's lock: tried this often */

static pthread_mutex_t writer_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t writer_cv = PTHREAD_COND_INITIALIZER;
static uint64_t writer_ends;    /* this process's ended write transactions */

static uint64_t
sq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A write transaction of this process ended: wake the writers waiting. */
static void
writer_ended(void)
{
	pthread_mutex_lock(&writer_mu);
	writer_ends++;
	pthread_cond_broadcast(&writer_cv);
	pthread_mutex_unlock(&writer_mu);
}

/* sqlite3_busy_handler: 1 to try again, 0 to give up (SQLITE_BUSY) once
 * q->lock_wait_ms have passed since the first try. */
static int
writer_wait(void *arg, int count)
{
	struct sq *q = arg;
	uint64_t now = sq_now_ms(), left, seen;
	struct timespec until;

	if (count == 0)
		q->busy_since = now;
	if (now - q->busy_since >= q->lock_wait_ms)
		return 0;
	left = q->busy_since + q->lock_wait_ms - now;
	if (left > SQ_BUSY_POLL_MS)
		left = SQ_BUSY_POLL_MS;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(left * 1000000u);
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&writer_mu);
	seen = writer_ends;
	while (writer_ends == seen &&
	       pthread_cond_timedwait(&writer_cv, &writer_mu, &until) == 0)
		;
	pthread_mutex_unlock(&writer_mu);
	return 1;
}

int
sq_begin(struct sq *q, char *err, size_t errlen)
{
	if (q->readonly)
		return store_fail(err, errlen, "the store was opened read-only");
	if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sq_err(q, err, errlen, "starting a transaction");
	return 0;
}

int
sq_commit(struct sq *q, char *err, size_t errlen)
{
	if (sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sq_err(q, err, errlen, "committing");
		sq_rollback(q);
		return -1;
	}
	q->gen_valid = 0;
	writer_ended();
	return 0;
}

void
sq_rollback(struct sq *q)
{
	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	writer_ended();
}

int
sq_read_begin(struct sq *q, int *opened, char *err, size_t errlen)
{
	static const char sql[] = "BEGIN";
	sqlite3_stmt *st;
	int rc;

	*opened = 0;
	if (!sqlite3_get_autocommit(q->db))
		return 0;
	if ((st = sq_stmt(q, sql, err, errlen)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "starting a read");
	*opened = 1;
	return 0;
}

void
sq_read_end(struct sq *q, int opened)
{
	static const char sql[] = "COMMIT";
	sqlite3_stmt *st;

	if (!opened)
		return;
	if ((st = sq_stmt(q, sql, NULL, 0)) != NULL) {
		sqlite3_step(st);
		sq_done(q, sql, st);
	}
	/* COMMIT of a read cannot fail short of misuse; make sure. */
	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

int
sq_bump(struct sq *q, unsigned which, char *err, size_t errlen)
{
	static const char sql[] =
		"UPDATE generation SET config = config + ?1,"
		" revocation = revocation + ?2 WHERE id = 1";
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (which & SQ_GEN_CONFIG) ? 1 : 0);
	sqlite3_bind_int(st, 2, (which & SQ_GEN_REVOCATION) ? 1 : 0);
	rc = sqlite3_step(st);
	sq_done(q, sql, st);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, "generation");
	return 0;
}

int
sq_step_done(struct sq *q, const char *sql, sqlite3_stmt *st,
             const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sq_done(q, sql, st);
	if (rc != SQLITE_DONE)
		return sq_err(q, err, errlen, what);
	return 0;
}

int
sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
sq_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

void
sq_col_copy(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	if (dstsz == 0)
		return;
	store_copy(dst, dstsz, t != NULL ? (const char *)t : "");
}

char *
sq_col_dup(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *d;

	if (t == NULL)
		return NULL;
	d = strdup((const char *)t);
	if (d == NULL)
		*oom = 1;
	return d;
}

int
sq_count1(struct sq *q, const char *sql, const char *arg, int64_t *out,
          char *err, size_t errlen)
{
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	if (arg != NULL)
		sq_bind_text(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sq_done(q, sql, st);
	if (rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "counting");
	return 0;
}

/* ---- generation ---------------------------------------------------------- */

int
sq_generation(struct store *s, struct store_generation *out, char *err,
              size_t errlen)
{
	static const char dv_sql[] = "PRAGMA data_version";
	static const char gen_sql[] =
		"SELECT config, revocation FROM generation WHERE id = 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t dv;
	int rc;

	st = sq_stmt(q, dv_sql, err, errlen);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	dv = sqlite3_column_int64(st, 0);
	sq_done(q, dv_sql, st);
	if (rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "data version");
	if (q->gen_valid && dv == q->data_version) {
		*out = q->gen;
		return 0;
	}
	st = sq_stmt(q, gen_sql, err, errlen);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		q->gen.config = (uint64_t)sqlite3_column_int64(st, 0);
		q->gen.revocation = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sq_done(q, gen_sql, st);
	if (rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "reading the generation");
	q->data_version = dv;
	q->gen_valid = 1;
	*out = q->gen;
	return 0;
}

/* ---- housekeeping ---------------------------------------------------------- */

int
sq_purge(struct store *s, int64_t now, uint64_t *removed, char *err,
         size_t errlen)
{
	static const char *const sqls[] = {
		"DELETE FROM rate_counter WHERE expires <= ?1",
		"DELETE FROM sip_binding WHERE expires <= ?1",
		"DELETE FROM activation_code WHERE expires <= ?1",
		"DELETE FROM refresh_family WHERE expires <= ?1",
		"DELETE FROM revocation WHERE purge_after <= ?1",
	};
	struct sq *q = SQ(s);
	uint64_t total = 0;
	int revs = 0;

	if (sq_begin(q, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
		sqlite3_stmt *st = sq_stmt(q, sqls[i], err, errlen);
		int rc;

		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, now);
		rc = sqlite3_step(st);
		sq_done(q, sqls[i], st);
		if (rc != SQLITE_DONE) {
			sq_err(q, err, errlen, "purging");
			goto fail;
		}
		total += (uint64_t)sqlite3_changes(q->db);
		if (i == sizeof(sqls) / sizeof(sqls[0]) - 1)   /* revocation */
			revs = sqlite3_changes(q->db);
	}
	/* Dropped revocations cover only expired tokens, so verdicts do not
	 * change; the bump lets daemons shrink their in-memory set. */
	if (revs > 0 && sq_bump(q, SQ_GEN_REVOCATION, err, errlen) < 0)
		goto fail;
	if (sq_commit(q, err, errlen) < 0)
		return -1;
	if (removed != NULL)
		*removed = total;
	return 0;
fail:
	sq_rollback(q);
	return -1;
}

int
sq_counts(struct store *s, int64_t now, struct store_counts *out, char *err,
          size_t errlen)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM device),"
		" (SELECT count(*) FROM line),"
		" (SELECT count(*) FROM profile),"
		" (SELECT count(*) FROM pool),"
		" (SELECT count(*) FROM node),"
		" (SELECT count(*) FROM cert),"
		" (SELECT count(*) FROM expressway),"
		" (SELECT count(*) FROM signing_key),"
		" (SELECT count(*) FROM oauth_client),"
		" (SELECT count(*) FROM activation_code"
		"   WHERE used_at = 0 AND expires > ?1),"
		" (SELECT count(*) FROM refresh_family"
		"   WHERE revoked = 0 AND expires > ?1),"
		" (SELECT count(*) FROM revocation),"
		" (SELECT count(*) FROM sip_binding WHERE expires > ?1)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql, err, errlen);
	uint64_t *f[] = { &out->devices, &out->lines, &out->profiles,
	                  &out->pools, &out->nodes, &out->certs,
	                  &out->expressways, &out->keys, &out->clients,
	                  &out->codes_active, &out->families_active,
	                  &out->revocations, &out->bindings };
	int rc;

	if (st == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			*f[i] = (uint64_t)sqlite3_column_int64(st, (int)i);
	sq_done(q, sql, st);
	if (rc != SQLITE_ROW)
		return sq_err(q, err, errlen, "counting");
	return 0;
}

/* ---- open / close ---------------------------------------------------------- */

static void
sq_close(struct store *s)
{
	struct sq *q = SQ(s);

	for (size_t i = 0; i < SQ_STMT_SLOTS; i++)
		if (q->slots[i].st != NULL)
			sqlite3_finalize(q->slots[i].st);
	sqlite3_close(q->db);
	free(q);
}

static int
sq_snapshot_begin(struct store *s, int *opened, char *err, size_t errlen)
{
	return sq_read_begin(SQ(s), opened, err, errlen);
}

static void
sq_snapshot_end(struct store *s, int opened)
{
	sq_read_end(SQ(s), opened);
}

/* Busy past the timeout (another writer held the lock), or moved to
 * PostgreSQL (move.c's triggers are the only ones): try again later. */
static int
sq_unavailable(struct store *s)
{
	int x = sqlite3_extended_errcode(SQ(s)->db), e = x & 0xff;

	return e == SQLITE_BUSY || e == SQLITE_LOCKED ||
	       x == SQLITE_CONSTRAINT_TRIGGER;
}

static int
sq_set_lock_wait(struct store *s, unsigned ms)
{
	SQ(s)->lock_wait_ms = ms;
	return 0;
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.unavailable = sq_unavailable,
	.set_lock_wait = sq_set_lock_wait,
	.snapshot_begin = sq_snapshot_begin,
	.snapshot_end = sq_snapshot_end,
#define SQ_OP_ENTRY(name, ret, params, args) .name = sq_##name,
	STORE_OPS(SQ_OP_ENTRY)
#undef SQ_OP_ENTRY
};

/* Creates the database file 0600 (whatever the umask) so SQLite, which
 * copies its mode to -wal and -shm, never makes a readable file.  *created
 * tells whether it is new. */
static int
precreate(const char *path, unsigned flags, int *created, char *err,
          size_t errlen)
{
	int fd;

	*created = 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			if (flags & STORE_EXCL)
				return store_fail(err, errlen, "a store already "
				                  "exists at %s; not overwriting it",
				                  path);
			return 0;
		}
		return store_fail(err, errlen, "creating %s: %s", path,
		                  strerror(errno));
	}
	if (fchmod(fd, 0600) < 0) {
		store_fail(err, errlen, "chmod %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	*created = 1;
	return 0;
}

static int
pragma_text(struct sq *q, const char *sql, char *out, size_t outlen, char *err,
            size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_err(q, err, errlen, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_col_copy(st, 0, out, outlen);
	else if (outlen > 0)
		out[0] = '\0';
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_err(q, err, errlen, sql);
	return 0;
}

/* DATADIR/oprov.db into path.  With STORE_CREATE the directory (0700) and
 * the file are made as needed, *created telling whether the file is new;
 * otherwise the file must exist. */
static int
db_file(const char *datadir, unsigned flags, char *path, size_t pathsz,
        int *created, char *err, size_t errlen)
{
	struct stat sb;
	int n;

	*created = 0;
	n = snprintf(path, pathsz, "%s/%s", datadir, STORE_DB_NAME);
	if (n < 0 || (size_t)n >= pathsz)
		return store_fail(err, errlen, "data directory path too long");
	if (flags & STORE_CREATE) {
		if (mkdir(datadir, 0700) < 0 && errno != EEXIST)
			return store_fail(err, errlen, "creating %s: %s", datadir,
			                  strerror(errno));
		return precreate(path, flags, created, err, errlen);
	}
	if (stat(path, &sb) < 0)
		return store_fail(err, errlen, "no store at %s (%s); create it with "
		                  "`oprovctl init`", path, strerror(errno));
	if (!(flags & STORE_READONLY) && (sb.st_mode & 077) != 0) {
		/* e.g. restored from a backup with a loose umask: the file
		 * holds private keys, and SQLite would copy the loose mode to
		 * -wal and -shm.  Best effort: a file we do not own stays. */
		(void)chmod(path, 0600);
	}
	return 0;
}

static int
db_connect(struct sq *q, const char *path, char *err, size_t errlen)
{
	int oflags = (q->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	             SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;

	if (sqlite3_open_v2(path, &q->db, oflags, NULL) != SQLITE_OK) {
		if (q->db != NULL)
			return sq_err(q, err, errlen, path);
		return store_fail(err, errlen, "%s: out of memory", path);
	}
	sqlite3_extended_result_codes(q->db, 1);
	q->lock_wait_ms = STORE_BUSY_TIMEOUT_MS;
	sqlite3_busy_handler(q->db, writer_wait, q);
	return 0;
}

/* Looks at the schema version before anything is changed, so a newer
 * database is left exactly as it was; a read-only connection cannot
 * migrate an older one. */
static int
schema_check(struct sq *q, char *err, size_t errlen)
{
	int v;

	if (sq_user_version(q, &v, err, errlen) < 0)
		return -1;
	if (v > store_schema_version())
		return store_fail(err, errlen,
		                  "database schema version %d is newer than this "
		                  "oprov (%d); upgrade oprov", v,
		                  store_schema_version());
	if (q->readonly && v < store_schema_version())
		return store_fail(err, errlen,
		                  "database schema version %d is older than this "
		                  "oprov (%d); open it read-write once to upgrade it",
		                  v, store_schema_version());
	return 0;
}

/* The connection settings of the comment at the top of this file; a
 * read-write connection also migrates the schema. */
static int
db_configure(struct sq *q, const char *path, char *err, size_t errlen)
{
	char mode[32];

	if (sq_exec(q, "PRAGMA foreign_keys = ON", err, errlen) < 0 ||
	    sq_exec(q, "PRAGMA mmap_size = " STORE_MMAP_SIZE_STR, err, errlen) < 0)
		return -1;
	if (q->readonly)
		return 0;
	if (pragma_text(q, "PRAGMA journal_mode = WAL", mode, sizeof(mode),
	                err, errlen) < 0)
		return -1;
	if (strcmp(mode, "wal") != 0)
		return store_fail(err, errlen, "%s: cannot switch to WAL mode "
		                  "(journal mode is %s)", path, mode);
	if (sq_exec(q, "PRAGMA synchronous = FULL", err, errlen) < 0)
		return -1;
	return sq_migrate(q, err, errlen);
}

/* A store we just created and could not set up is removed whole, with its
 * -wal and -shm files, so the next `oprovctl init` starts clean. */
static void
db_remove(const char *path)
{
	static const char *const sfx[] = { "-wal", "-shm" };

	unlink(path);
	for (size_t i = 0; i < 2; i++) {
		char side[SQ_PATH_MAX + 8];

		snprintf(side, sizeof(side), "%s%s", path, sfx[i]);
		unlink(side);
	}
}

struct store *
store_sqlite_open(const char *datadir, unsigned flags, char *err,
                  size_t errlen)
{
	char path[SQ_PATH_MAX];
	struct sq *q = NULL;
	int created = 0;

	if (db_file(datadir, flags, path, sizeof(path), &created, err, errlen) < 0)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		store_fail(err, errlen, "out of memory");
		goto fail;
	}
	q->base.ops = &sqlite_ops;
	q->readonly = (flags & STORE_READONLY) != 0;
	if (db_connect(q, path, err, errlen) < 0 ||
	    schema_check(q, err, errlen) < 0 ||
	    db_configure(q, path, err, errlen) < 0)
		goto fail;
	return &q->base;
fail:
	if (q != NULL) {
		if (q->db != NULL)
			sqlite3_close(q->db);
		free(q);
	}
	if (created)
		db_remove(path);
	return NULL;
}
