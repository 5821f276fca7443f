/*
 * store_growth.c - issue 11 item 14: the store's size stays bounded under
 * refresh churn.  Drives the store API as the token endpoint does, on a
 * simulated clock: PHONES phones each refresh once an hour (a rotation),
 * re-onboard every REONBOARD_S (an activation code issued and used, the old
 * family revoked, a new one created), and one rotation in REUSE_EVERY
 * presents an old token (reuse: the family is revoked, the phone
 * re-onboards).  Families live FAMILY_S.  store_housekeep runs as the
 * daemons' sync thread runs it.  Prints the store's size (oprov.db + -wal)
 * and its refresh-token rows at every tenth of the run; fails when the
 * second half grew the store or the rows exceed what the limits allow.
 *
 *   store_growth DATADIR DEVICE [ROTATIONS]   (default 1,000,000)
 * The family lifetime is short (4 days) so that 40,000 rotations (16
 * simulated days, what `make check` runs) see families expire and go.
 * DATADIR made by `oprovctl init`; DEVICE an existing device (the codes').
 */
#include "config.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"

#define PHONES       100
#define HOUR         3600
#define REONBOARD_S  (2 * 24 * HOUR)
#define FAMILY_S     (4 * 24 * HOUR)   /* oauth-refresh-token-days 4 */
#define REUSE_EVERY  1000
#define HOUSEKEEP_EVERY 100         /* rotations between housekeeping calls */
#define T0           1700000000

struct phone {
	char fam[STORE_ID_MAX];
	char cur[STORE_HASH_MAX], prev[STORE_HASH_MAX];
	int64_t since;
};

static struct store *S;
static const char *dev;
static char err[STORE_ERR_MAX];
static uint64_t serial;

static void
die(const char *what)
{
	fprintf(stderr, "FAIL: %s: %s\n", what, err);
	exit(1);
}

static void
onboard(struct phone *p, int64_t now)
{
	struct store_family f;
	char code[STORE_HASH_MAX];

	if (p->fam[0] != '\0' &&
	    store_revoke_family(S, p->fam, now, err, sizeof(err)) != 0)
		die("revoke family");
	snprintf(code, sizeof(code), "code%" PRIu64, ++serial);
	if (store_code_issue(S, dev, code, now, now + 168 * HOUR, err,
	                     sizeof(err)) != 0 ||
	    store_code_consume(S, dev, code, now, NULL, 0, err, sizeof(err)) != 0)
		die("activation code");
	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "fam%" PRIu64, ++serial);
	snprintf(f.device, sizeof(f.device), "%s", dev);
	snprintf(f.client_id, sizeof(f.client_id), "oprov-device");
	snprintf(f.scope, sizeof(f.scope), "openid");
	f.created = now;
	f.expires = now + FAMILY_S;
	snprintf(p->cur, sizeof(p->cur), "rt%" PRIu64, ++serial);
	if (store_family_create(S, &f, p->cur, err, sizeof(err)) != 0)
		die("family create");
	snprintf(p->fam, sizeof(p->fam), "%s", f.id);
	p->prev[0] = '\0';
	p->since = now;
}

/* One hourly refresh of phone p; every REUSE_EVERY-th presents the token
 * before (reuse), which ends the family, and the phone onboards again. */
static void
rotate(struct phone *p, uint64_t k, int64_t now)
{
	char next[STORE_HASH_MAX];
	int rc;

	if (now - p->since >= REONBOARD_S) {
		onboard(p, now);
		return;
	}
	if (k % REUSE_EVERY == 0 && p->prev[0] != '\0') {
		rc = store_refresh_rotate(S, p->prev, "never", now, NULL, err,
		                          sizeof(err));
		if (rc != STORE_ROTATE_REUSED)
			die("reuse not detected");
		onboard(p, now);
		return;
	}
	snprintf(next, sizeof(next), "rt%" PRIu64, ++serial);
	if (store_refresh_rotate(S, p->cur, next, now, NULL, err, sizeof(err)) !=
	    STORE_ROTATE_OK)
		die("rotate");
	memcpy(p->prev, p->cur, sizeof(p->prev));
	memcpy(p->cur, next, sizeof(p->cur));
}

static double
size_mb(const char *dir)
{
	static const char *const sfx[] = { "", "-wal" };
	char path[4200];
	struct stat st;
	double total = 0;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, STORE_DB_NAME, sfx[i]);
		if (stat(path, &st) == 0)
			total += (double)st.st_size;
	}
	return total / (1024.0 * 1024.0);
}

static long long
rows(const char *dir, const char *table)
{
	char path[4200], sql[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

int
main(int argc, char **argv)
{
	static struct phone ph[PHONES];
	uint64_t total = 1000000, k;
	double mid = 0, end;
	int64_t now = T0;
	long long tokens, families, bound;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: store_growth DATADIR DEVICE [ROTATIONS]\n");
		return 2;
	}
	dev = argv[2];
	if (argc == 4)
		total = strtoull(argv[3], NULL, 10);
	if (total < 10 * PHONES) {
		fprintf(stderr, "at least %d rotations\n", 10 * PHONES);
		return 2;
	}
	if ((S = store_open(argv[1], 0, err, sizeof(err))) == NULL)
		die("store_open");
	for (int i = 0; i < PHONES; i++)
		onboard(&ph[i], now);
	for (k = 1; k <= total; k++) {
		now += HOUR / PHONES;
		rotate(&ph[k % PHONES], k, now);
		if (k % HOUSEKEEP_EVERY == 0 &&
		    store_housekeep(S, "growth", now, STORE_HOUSEKEEP_INTERVAL, NULL,
		                    NULL, err, sizeof(err)) != 0)
			die("housekeeping");
		if (k % (total / 10) == 0) {
			printf("# after %" PRIu64 " rotations (%.0f simulated days): "
			       "store %.1f MB, %lld refresh tokens, %lld families\n",
			       k, (double)(now - T0) / (24.0 * HOUR), size_mb(argv[1]),
			       rows(argv[1], "refresh_token"),
			       rows(argv[1], "refresh_family"));
			fflush(stdout);
			if (k == total / 2)
				mid = size_mb(argv[1]);
		}
	}
	store_close(S);
	end = size_mb(argv[1]);
	tokens = rows(argv[1], "refresh_token");
	families = rows(argv[1], "refresh_family");
	/* Families alive or revoked but not yet expired: a phone starts one
	 * at least every REONBOARD_S or on reuse; each lives FAMILY_S. */
	bound = (long long)PHONES * (FAMILY_S / REONBOARD_S + 2);
	if (families > bound || tokens > bound * (STORE_FAMILY_ROTATED_KEEP + 1)) {
		printf("FAIL: %lld families (bound %lld), %lld refresh tokens "
		       "(bound %lld)\n", families, bound, tokens,
		       bound * (STORE_FAMILY_ROTATED_KEEP + 1));
		return 1;
	}
	/* The second half (past the first purges) must not grow it. */
	if (end > mid * 1.2 + 1.0) {
		printf("FAIL: the store grew from %.1f MB at half-way to %.1f MB\n",
		       mid, end);
		return 1;
	}
	printf("ok - store size after %" PRIu64 " rotations: %.1f MB (%.1f MB at "
	       "half-way); %lld refresh tokens (bound %lld), %lld families "
	       "(bound %lld)\n", total, end, mid, tokens,
	       bound * (STORE_FAMILY_ROTATED_KEEP + 1), families, bound);
	return 0;
}
