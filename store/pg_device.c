/*
 * pg_device.c - devices and their lines in PostgreSQL: writing one or a
 * bulk import in one transaction, reading one, deleting one (its tokens
 * die with it), and listing in name order with two queries (devices, then
 * all their lines) however many devices there are.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

#define DEVICE_COLS "name, model, profile, owner, pool, description, load," \
	" require_activation_code, allow_activation_code_mra, mra_domain"
#define LINE_COLS "button, dn, label, display_name, auto_answer," \
	" call_waiting, max_calls, busy_trigger"

static void
device_from_row(const PGresult *res, int r, struct cfg_device *d)
{
	memset(d, 0, sizeof(*d));
	pg_col_copy(res, r, 0, d->name, sizeof(d->name));
	pg_col_copy(res, r, 1, d->model, sizeof(d->model));
	pg_col_copy(res, r, 2, d->profile, sizeof(d->profile));
	pg_col_copy(res, r, 3, d->owner, sizeof(d->owner));
	pg_col_copy(res, r, 4, d->pool, sizeof(d->pool));
	pg_col_copy(res, r, 5, d->description, sizeof(d->description));
	pg_col_copy(res, r, 6, d->load, sizeof(d->load));
	d->require_activation_code = (int)pg_col_int(res, r, 7);
	d->allow_activation_code_mra = (int)pg_col_int(res, r, 8);
	pg_col_copy(res, r, 9, d->mra_domain, sizeof(d->mra_domain));
}

/* Line row r (columns from `col`: LINE_COLS) appended to d. */
static void
line_from_row(const PGresult *res, int r, int col, struct cfg_device *d)
{
	struct cfg_line *l;

	if (d->line_count >= CFG_LINES_MAX)
		return;
	l = &d->lines[d->line_count++];
	l->button = (unsigned)pg_col_int(res, r, col + 0);
	pg_col_copy(res, r, col + 1, l->dn, sizeof(l->dn));
	pg_col_copy(res, r, col + 2, l->label, sizeof(l->label));
	pg_col_copy(res, r, col + 3, l->display_name, sizeof(l->display_name));
	l->auto_answer = (int)pg_col_int(res, r, col + 4);
	l->call_waiting = (int)pg_col_int(res, r, col + 5);
	l->max_calls = (unsigned)pg_col_int(res, r, col + 6);
	l->busy_trigger = (unsigned)pg_col_int(res, r, col + 7);
}

/* The rules a device row must follow before it is written (as
 * sqlite_model.c's device_check_refs). */
static int
device_check_refs(struct pg *c, const struct cfg_device *in, const char *name,
                  unsigned flags, char *err, size_t errlen)
{
	PGresult *res = pg_run(c, "looking up", err, errlen,
	                       "SELECT (SELECT count(*) FROM profile WHERE name = $1),"
	                       " (SELECT count(*) FROM pool WHERE name = $2),"
	                       " (SELECT count(*) FROM device WHERE name = $3)",
	                       "ttt", in->profile, in->pool, name);
	int64_t prof, pool, dev;

	if (res == NULL)
		return -1;
	prof = pg_col_int(res, 0, 0);
	pool = pg_col_int(res, 0, 1);
	dev = pg_col_int(res, 0, 2);
	PQclear(res);
	if (prof == 0)
		return store_fail(err, errlen, "device %s: security profile %s "
		                  "does not exist", name, in->profile);
	if (in->pool[0] != '\0' && pool == 0)
		return store_fail(err, errlen, "device %s: device pool %s does not "
		                  "exist", name, in->pool);
	if ((flags & STORE_PUT_NEW) && dev > 0)
		return store_fail(err, errlen, "device %s already exists", name);
	return 0;
}

/* Writes one device and its lines inside the caller's transaction. */
static int
device_write(struct pg *c, const struct cfg_device *in, unsigned flags,
             char *err, size_t errlen)
{
	char name[CFG_DEVNAME_MAX];

	if (store_check_device(in, err, errlen) < 0)
		return -1;
	store_upper(name, sizeof(name), in->name);
	if (device_check_refs(c, in, name, flags, err, errlen) < 0 ||
	    pg_do(c, "writing a device", err, errlen, NULL,
	          "INSERT INTO device (" DEVICE_COLS ") VALUES ($1, $2, $3, $4,"
	          " $5, $6, $7, $8, $9, $10) ON CONFLICT (name) DO UPDATE SET"
	          " model = excluded.model, profile = excluded.profile,"
	          " owner = excluded.owner, pool = excluded.pool,"
	          " description = excluded.description, load = excluded.load,"
	          " require_activation_code = excluded.require_activation_code,"
	          " allow_activation_code_mra = excluded.allow_activation_code_mra,"
	          " mra_domain = excluded.mra_domain",
	          "ttttnttiit", name, in->model, in->profile, in->owner, in->pool,
	          in->description, in->load,
	          (int64_t)(in->require_activation_code != 0),
	          (int64_t)(in->allow_activation_code_mra != 0),
	          in->mra_domain) < 0)
		return -1;
	if (!(flags & STORE_PUT_NEW) &&
	    pg_do(c, "writing lines", err, errlen, NULL,
	          "DELETE FROM line WHERE device = $1", "t", name) < 0)
		return -1;
	for (size_t i = 0; i < in->line_count; i++) {
		const struct cfg_line *l = &in->lines[i];

		if (pg_do(c, "writing a line", err, errlen, NULL,
		          "INSERT INTO line (device, " LINE_COLS ") VALUES ($1, $2,"
		          " $3, $4, $5, $6, $7, $8, $9)", "titttiiii", name,
		          (int64_t)l->button, l->dn, l->label, l->display_name,
		          (int64_t)(l->auto_answer != 0),
		          (int64_t)(l->call_waiting != 0), (int64_t)l->max_calls,
		          (int64_t)l->busy_trigger) < 0)
			return -1;
	}
	return 0;
}

int
pg_device_put(struct store *s, const struct cfg_device *d, unsigned flags,
              char *err, size_t errlen)
{
	struct pg *c = PG(s);

	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (device_write(c, d, flags, err, errlen) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

int
pg_device_import(struct store *s, store_device_next_fn next, void *ctx,
                 unsigned flags, size_t *count, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	const struct cfg_device *d;
	size_t n = 0;
	int rc;

	if (count != NULL)
		*count = 0;
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	while ((rc = next(ctx, &d)) == 1) {
		if (device_write(c, d, flags, err, errlen) < 0)
			goto fail;
		n++;
	}
	if (rc < 0) {
		store_fail(err, errlen, "import aborted after %zu devices; nothing "
		           "written", n);
		goto fail;
	}
	if (pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0 ||
	    pg_commit(c, err, errlen) < 0)
		goto fail;
	if (count != NULL)
		*count = n;
	return 0;
fail:
	pg_rollback(c);
	return -1;
}

int
pg_device_get(struct store *s, const char *name, struct cfg_device *out,
              char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char key[CFG_DEVNAME_MAX];
	PGresult *res;
	int n;

	if (name == NULL || store_upper(key, sizeof(key), name) < 0 ||
	    key[0] == '\0')
		return store_notfound(err, errlen, "no such device");
	/* One statement, so one snapshot: the device and its lines. */
	res = pg_run(c, "reading a device", err, errlen,
	             "SELECT " DEVICE_COLS ", l.button, l.dn, l.label,"
	             " l.display_name, l.auto_answer, l.call_waiting, l.max_calls,"
	             " l.busy_trigger FROM device d LEFT JOIN line l"
	             " ON l.device = d.name WHERE d.name = $1 ORDER BY l.button",
	             "t", key);
	if (res == NULL)
		return -1;
	if ((n = PQntuples(res)) == 0) {
		PQclear(res);
		return store_notfound(err, errlen, "device %s does not exist", key);
	}
	device_from_row(res, 0, out);
	for (int r = 0; r < n; r++)
		if (!PQgetisnull(res, r, 10))
			line_from_row(res, r, 10, out);
	PQclear(res);
	return 0;
}

int
pg_device_delete(struct store *s, const char *name, int64_t now, char *err,
                 size_t errlen)
{
	struct pg *c = PG(s);
	char key[CFG_DEVNAME_MAX];
	uint64_t n = 0;

	if (name == NULL || store_upper(key, sizeof(key), name) < 0 ||
	    key[0] == '\0')
		return store_notfound(err, errlen, "no such device");
	if (pg_begin(c, err, errlen) < 0)
		return -1;
	if (pg_do(c, "deleting a device", err, errlen, &n,
	          "DELETE FROM device WHERE name = $1", "t", key) < 0)
		goto fail;
	if (n == 0) {
		pg_rollback(c);
		return store_notfound(err, errlen, "device %s does not exist", key);
	}
	/* Its tokens die with it (see sq_device_delete). */
	if (pg_do(c, "deleting refresh tokens", err, errlen, NULL,
	          "DELETE FROM refresh_family WHERE device = $1", "t", key) < 0 ||
	    pg_revoke_in_tx(c, STORE_REVOKE_DEVICE, key, now,
	                    now + STORE_ACCESS_MAX_LIFETIME, now, err, errlen) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG | PG_GEN_REVOCATION, err, errlen) < 0)
		goto fail;
	return pg_commit(c, err, errlen);
fail:
	pg_rollback(c);
	return -1;
}

/* Gives each device of `devs` (rows of DEVICE_COLS) its lines from `lines`
 * (rows of device + LINE_COLS, in device then button order) and calls cb;
 * d is the caller's buffer. */
static int
device_list_merge(struct pg *c, const PGresult *devs, const PGresult *lines,
                  struct cfg_device *d, store_device_cb cb, void *ctx)
{
	int nl = PQntuples(lines), l = 0, ret = 0;

	c->listing++;
	for (int r = 0; r < PQntuples(devs) && ret == 0; r++) {
		device_from_row(devs, r, d);
		while (l < nl && strcmp(PQgetvalue(lines, l, 0), d->name) < 0)
			l++;
		for (; l < nl && strcmp(PQgetvalue(lines, l, 0), d->name) == 0; l++)
			line_from_row(lines, l, 1, d);
		ret = cb(ctx, d);
	}
	c->listing--;
	return ret;
}

int
pg_device_list(struct store *s, const char *after, size_t limit,
               store_device_cb cb, void *ctx, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char key[CFG_DEVNAME_MAX] = "", last[CFG_DEVNAME_MAX] = "";
	PGresult *devs = NULL, *lines = NULL;
	struct cfg_device *d;
	int opened, ret = -1, n;

	if (after != NULL && store_upper(key, sizeof(key), after) < 0)
		return store_fail(err, errlen, "device name too long");
	if ((d = malloc(sizeof(*d))) == NULL)
		return store_fail(err, errlen, "out of memory");
	if (pg_read_begin(c, &opened, err, errlen) < 0) {
		free(d);
		return -1;
	}
	devs = pg_run(c, "listing devices", err, errlen,
	              "SELECT " DEVICE_COLS " FROM device WHERE name > $1"
	              " ORDER BY name LIMIT $2", "ti", key,
	              limit == 0 ? (int64_t)INT64_MAX : (int64_t)limit);
	if (devs == NULL)
		goto out;
	if ((n = PQntuples(devs)) > 0)
		pg_col_copy(devs, n - 1, 0, last, sizeof(last));
	lines = pg_run(c, "reading lines", err, errlen,
	               "SELECT device, " LINE_COLS " FROM line WHERE device > $1"
	               " AND device <= $2 ORDER BY device, button", "tt", key,
	               last);
	if (lines != NULL)
		ret = device_list_merge(c, devs, lines, d, cb, ctx);
out:
	PQclear(devs);
	PQclear(lines);
	pg_read_end(c, opened);
	free(d);
	return ret;
}
