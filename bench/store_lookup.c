/*
 * store_lookup - measures the store's device import and lookup by name.
 *
 *   bench/store_lookup [N...]      (default: 10 100000)
 *
 * For each N: a fresh store in a temporary directory, N devices with two
 * lines each imported in one transaction (timed), then 200,000 lookups of
 * random existing names given in lower case (timed, microseconds per lookup).
 * Then 20,000 rounds of what a daemon does for an uncached config:
 * store_render_load (device, profile, pool, nodes, parameters, cluster mode
 * in one snapshot) plus cfg_render_device.
 * A measurement, not a test: it prints numbers and asserts nothing.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "store/store.h"

#define LOOKUPS 200000
#define RENDERS 20000

struct gen {
	struct cfg_device d;
	long i, n;
};

static int
next_device(void *ctx, const struct cfg_device **dev)
{
	struct gen *g = ctx;

	if (g->i == g->n)
		return 0;
	snprintf(g->d.name, sizeof(g->d.name), "SEP%012lX", g->i);
	snprintf(g->d.lines[0].dn, sizeof(g->d.lines[0].dn), "%ld", 100000 + g->i);
	snprintf(g->d.lines[1].dn, sizeof(g->d.lines[1].dn), "%ld", 600000 + g->i);
	g->i++;
	*dev = &g->d;
	return 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* A new store in dir with one OAuth profile and n devices; the seconds
 * the import took in *t_import.  NULL on error (printed). */
static struct store *
fill(char *dir, long n, double *t_import)
{
	char err[STORE_ERR_MAX];
	struct cfg_profile p;
	struct store *s;
	struct gen *g;
	size_t count = 0;
	double t0;

	if (mkdtemp(dir) == NULL ||
	    (s = store_open(dir, STORE_CREATE, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "OAuth");
	p.mode = CFG_MODE_ENCRYPTED;
	p.transport = CFG_TRANSPORT_TLS;
	p.oauth = 1;
	if (store_profile_put(s, &p, err, sizeof(err)) < 0 ||
	    (g = calloc(1, sizeof(*g))) == NULL) {
		fprintf(stderr, "%s\n", err);
		store_close(s);
		return NULL;
	}
	g->n = n;
	snprintf(g->d.model, sizeof(g->d.model), "8845");
	snprintf(g->d.profile, sizeof(g->d.profile), "OAuth");
	snprintf(g->d.owner, sizeof(g->d.owner), "user");
	g->d.line_count = 2;
	for (unsigned i = 0; i < 2; i++) {
		g->d.lines[i].button = i + 1;
		snprintf(g->d.lines[i].label, sizeof(g->d.lines[i].label), "Line %u",
		         i + 1);
		g->d.lines[i].max_calls = 4;
		g->d.lines[i].busy_trigger = 2;
	}
	t0 = now_s();
	if (store_device_import(s, next_device, g, STORE_PUT_NEW, &count, err,
	                        sizeof(err)) < 0) {
		fprintf(stderr, "import: %s\n", err);
		store_close(s);
		s = NULL;
	}
	*t_import = now_s() - t0;
	free(g);
	return s;
}

/* LOOKUPS random devices by name; the number found. */
static long
time_lookups(struct store *s, long n, unsigned *seed, double *t)
{
	char err[STORE_ERR_MAX], name[CFG_DEVNAME_MAX];
	struct cfg_device out;
	double t0 = now_s();
	long found = 0;

	for (long i = 0; i < LOOKUPS; i++) {
		long k = (long)(rand_r(seed) % (unsigned)n);

		snprintf(name, sizeof(name), "sep%012lx", k);
		if (store_device_get(s, name, &out, err, sizeof(err)) == 0)
			found++;
	}
	*t = now_s() - t0;
	return found;
}

/* RENDERS random devices loaded and rendered.  0 / -1. */
static int
time_renders(struct store *s, long n, unsigned *seed, double *t)
{
	char err[STORE_ERR_MAX], name[CFG_DEVNAME_MAX];
	struct store_render *r = malloc(sizeof(*r));
	double t0 = now_s();
	int rc = 0;

	for (long i = 0; i < RENDERS && r != NULL && rc == 0; i++) {
		long k = (long)(rand_r(seed) % (unsigned)n);
		struct cfg_render_ctx ctx;
		struct cfg_output o;

		snprintf(name, sizeof(name), "SEP%012lX", k);
		memset(&o, 0, sizeof(o));
		if (store_render_load(s, name, r, err, sizeof(err)) != 0) {
			fprintf(stderr, "render_load: %s\n", err);
			rc = -1;
			break;
		}
		store_render_ctx(r, &ctx);
		if (cfg_render_device(&ctx, &o, err, sizeof(err)) < 0) {
			fprintf(stderr, "render: %s\n", err);
			rc = -1;
		}
		cfg_output_free(&o);
	}
	*t = now_s() - t0;
	free(r);
	return r == NULL ? -1 : rc;
}

static int
run(long n)
{
	char dir[] = "/tmp/oprov-bench-store-XXXXXX";
	struct store *s;
	double t_import, t_lookup, t_render;
	unsigned seed = 12345;
	long found;
	int rc;

	if ((s = fill(dir, n, &t_import)) == NULL)
		return -1;
	found = time_lookups(s, n, &seed, &t_lookup);
	rc = time_renders(s, n, &seed, &t_render);
	printf("devices %7ld: import %.3f s (%.0f devices/s); get by name "
	       "%.2f us/lookup (%ld/%d found); load+render %.1f us/config\n", n,
	       t_import, (double)n / t_import, t_lookup * 1e6 / LOOKUPS, found,
	       LOOKUPS, t_render * 1e6 / RENDERS);
	store_close(s);
	rm_dir(dir);
	return rc == 0 && found == LOOKUPS ? 0 : -1;
}

int
main(int argc, char **argv)
{
	long long n;
	int rc = 0;

	if (argc < 2) {
		rc |= run(10);
		rc |= run(100000);
		return rc ? 1 : 0;
	}
	for (int i = 1; i < argc; i++) {
		if (num_parse_str(argv[i], 1, 10000000, &n) < 0) {
			fprintf(stderr, "usage: store_lookup [N...]\n");
			return 2;
		}
		rc |= run((long)n);
	}
	return rc ? 1 : 0;
}
