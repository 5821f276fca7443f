/*
 * pg_device.c - devices with their lines and vendor settings in
 * PostgreSQL: writing one or a bulk import in one transaction, reading one,
 * editing one under the writer lock, deleting one (its tokens die with it),
 * listing in name order with three queries (devices, then all their lines,
 * then all their vendor settings) however many devices there are, and the
 * lines a device shares with another.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

#define DEVICE_COLS "name, model, profile, owner, pool, description, load," \
	" require_activation_code, allow_activation_code_mra, mra_domain," \
	" dialplan, softkeys, feature_policy, kem_count, kem_type"
#define DEVICE_NCOLS 15
#define DEVICE_VENDOR_SQL "SELECT device, name, value FROM device_vendor"
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
	pg_col_copy(res, r, 10, d->dialplan, sizeof(d->dialplan));
	pg_col_copy(res, r, 11, d->softkeys, sizeof(d->softkeys));
	pg_col_copy(res, r, 12, d->feature_policy, sizeof(d->feature_policy));
	d->kem_count = (unsigned)pg_col_int(res, r, 13);
	pg_col_copy(res, r, 14, d->kem_type, sizeof(d->kem_type));
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
	static const char *const files[] = {
		"dial plan", "softkey template", "feature policy",
	};
	const char *named[] = { in->dialplan, in->softkeys, in->feature_policy };
	PGresult *res = pg_run(c, "looking up", err, errlen,
	                       "SELECT (SELECT count(*) FROM profile WHERE name = $1),"
	                       " (SELECT count(*) FROM pool WHERE name = $2),"
	                       " (SELECT count(*) FROM device WHERE name = $3),"
	                       " (SELECT count(*) FROM dialplan WHERE name = $4),"
	                       " (SELECT count(*) FROM softkeys WHERE name = $5),"
	                       " (SELECT count(*) FROM feature_policy WHERE name = $6)",
	                       "tttttt", in->profile, in->pool, name, in->dialplan,
	                       in->softkeys, in->feature_policy);
	int64_t prof, pool, dev, found[3];

	if (res == NULL)
		return -1;
	prof = pg_col_int(res, 0, 0);
	pool = pg_col_int(res, 0, 1);
	dev = pg_col_int(res, 0, 2);
	for (int i = 0; i < 3; i++)
		found[i] = pg_col_int(res, 0, 3 + i);
	PQclear(res);
	if (prof == 0)
		return store_fail(err, errlen, "device %s: security profile %s "
		                  "does not exist", name, in->profile);
	if (in->pool[0] != '\0' && pool == 0)
		return store_fail(err, errlen, "device %s: device pool %s does not "
		                  "exist", name, in->pool);
	for (int i = 0; i < 3; i++)
		if (named[i][0] != '\0' && found[i] == 0)
			return store_fail(err, errlen, "device %s: %s %s does not exist",
			                  name, files[i], named[i]);
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
	          " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
	          " ON CONFLICT (name) DO UPDATE SET"
	          " model = excluded.model, profile = excluded.profile,"
	          " owner = excluded.owner, pool = excluded.pool,"
	          " description = excluded.description, load = excluded.load,"
	          " require_activation_code = excluded.require_activation_code,"
	          " allow_activation_code_mra = excluded.allow_activation_code_mra,"
	          " mra_domain = excluded.mra_domain, dialplan = excluded.dialplan,"
	          " softkeys = excluded.softkeys,"
	          " feature_policy = excluded.feature_policy,"
	          " kem_count = excluded.kem_count, kem_type = excluded.kem_type",
	          "ttttnttiittttit", name, in->model, in->profile, in->owner,
	          in->pool, in->description, in->load,
	          (int64_t)(in->require_activation_code != 0),
	          (int64_t)(in->allow_activation_code_mra != 0),
	          in->mra_domain, in->dialplan, in->softkeys, in->feature_policy,
	          (int64_t)in->kem_count, in->kem_type) < 0)
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
	return pg_vendor_write(c, "device_vendor", "device", name, &in->vendor,
	                       (flags & STORE_PUT_NEW) != 0, err, errlen);
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

/* Inside a snapshot: device `key` with its lines and vendor settings. */
static int
device_get_snap(struct pg *c, const char *key, struct cfg_device *out,
                char *err, size_t errlen)
{
	PGresult *res;
	int n;

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
		if (!PQgetisnull(res, r, DEVICE_NCOLS))
			line_from_row(res, r, DEVICE_NCOLS, out);
	PQclear(res);
	res = pg_run(c, "reading vendor settings", err, errlen,
	             DEVICE_VENDOR_SQL " WHERE device = $1 ORDER BY name", "t", key);
	if (res == NULL)
		return -1;
	(void)pg_vendor_take(res, 0, key, &out->vendor);
	PQclear(res);
	return 0;
}

int
pg_device_get(struct store *s, const char *name, struct cfg_device *out,
              char *err, size_t errlen)
{
	struct pg *c = PG(s);
	char key[CFG_DEVNAME_MAX];
	int opened, ret;

	if (name == NULL || store_upper(key, sizeof(key), name) < 0 ||
	    key[0] == '\0')
		return store_notfound(err, errlen, "no such device");
	/* One snapshot: the device, its lines and its vendor settings. */
	if (pg_read_begin(c, &opened, err, errlen) < 0)
		return -1;
	ret = device_get_snap(c, key, out, err, errlen);
	pg_read_end(c, opened);
	return ret;
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
                  const PGresult *vend, struct cfg_device *d,
                  store_device_cb cb, void *ctx)
{
	int nl = PQntuples(lines), nv = PQntuples(vend), l = 0, v = 0, ret = 0;

	c->listing++;
	for (int r = 0; r < PQntuples(devs) && ret == 0; r++) {
		device_from_row(devs, r, d);
		while (l < nl && strcmp(PQgetvalue(lines, l, 0), d->name) < 0)
			l++;
		for (; l < nl && strcmp(PQgetvalue(lines, l, 0), d->name) == 0; l++)
			line_from_row(lines, l, 1, d);
		while (v < nv && strcmp(PQgetvalue(vend, v, 0), d->name) < 0)
			v++;
		v = pg_vendor_take(vend, v, d->name, &d->vendor);
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
	PGresult *devs = NULL, *lines = NULL, *vend = NULL;
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
		vend = pg_run(c, "reading vendor settings", err, errlen,
		              DEVICE_VENDOR_SQL " WHERE device > $1 AND device <= $2"
		              " ORDER BY device, name", "tt", key, last);
	if (vend != NULL)
		ret = device_list_merge(c, devs, lines, vend, d, cb, ctx);
out:
	PQclear(devs);
	PQclear(lines);
	PQclear(vend);
	pg_read_end(c, opened);
	free(d);
	return ret;
}

int
pg_device_edit(struct store *s, const char *name, store_device_edit_fn fn,
               void *ctx, char *err, size_t errlen)
{
	struct pg *c = PG(s);
	struct cfg_device *d;
	char key[CFG_DEVNAME_MAX];
	int rc;

	if (name == NULL || store_upper(key, sizeof(key), name) < 0 || key[0] == '\0')
		return store_notfound(err, errlen, "no such device");
	if ((d = malloc(sizeof(*d))) == NULL)
		return store_fail(err, errlen, "out of memory");
	/* Under the writer lock: nobody changes the device between our read
	 * and our write, so the edit cannot lose a concurrent one. */
	if (pg_begin(c, err, errlen) < 0) {
		free(d);
		return -1;
	}
	if ((rc = device_get_snap(c, key, d, err, errlen)) != 0 ||
	    (rc = fn(ctx, d, err, errlen)) != 0)
		goto out;
	if (strcmp(d->name, key) != 0) {
		rc = store_fail(err, errlen, "device %s: an edit cannot rename it", key);
		goto out;
	}
	if (device_write(c, d, STORE_PUT_REPLACE, err, errlen) < 0 ||
	    pg_bump(c, PG_GEN_CONFIG, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	free(d);
	return pg_commit(c, err, errlen);
out:
	pg_rollback(c);
	free(d);
	return rc;
}

int
pg_line_shared(struct store *s, const char *device, uint32_t *mask, char *err,
               size_t errlen)
{
	char key[CFG_DEVNAME_MAX];
	PGresult *res;

	*mask = 0;
	if (store_device_key(device, key, err, errlen) < 0)
		return -1;
	res = pg_run(PG(s), "reading shared lines", err, errlen,
	             "SELECT l.button FROM line l WHERE l.device = $1 AND EXISTS"
	             " (SELECT 1 FROM line o WHERE o.dn = l.dn AND o.device <> l.device)",
	             "t", key);
	if (res == NULL)
		return -1;
	for (int r = 0; r < PQntuples(res); r++) {
		int64_t b = pg_col_int(res, r, 0);

		if (b >= 1 && b <= 32)
			*mask |= (uint32_t)1 << (b - 1);
	}
	PQclear(res);
	return 0;
}
