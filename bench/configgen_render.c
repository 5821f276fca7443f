/*
 * configgen_render - measurement, not a test: renders one two-line OAuth
 * device config (and classifies one file name) N times and prints the mean
 * time per call, and the number of allocations one render makes.
 *   bench/configgen_render [N]          (default 100000)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlmemory.h>

#include "common/common.h"
#include "configgen/configgen.h"

static long allocs;

static void *
count_malloc(size_t n)
{
	allocs++;
	return malloc(n);
}

static void *
count_realloc(void *p, size_t n)
{
	allocs++;
	return realloc(p, n);
}

static char *
count_strdup(const char *s)
{
	allocs++;
	return strdup(s);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct cfg_params params;
	struct cfg_cluster cluster = { .sip_oauth_mode = 1 };
	struct cfg_profile prof;
	struct cfg_node nodes[2];
	struct cfg_pool pool;
	struct cfg_device dev;
	struct cfg_render_ctx ctx;
	struct cfg_output out;
	struct cfg_file f;
	const char *name = "SEP00AABBCCDDEE.cnf.xml.sgn";
	char err[256];
	long long n = 100000;
	size_t len = 0;
	double t0, t1;

	if (argc > 1 && num_parse_str(argv[1], 1, 100000000, &n) < 0) {
		fprintf(stderr, "usage: %s [N]\n", argv[0]);
		return 2;
	}
	xmlMemSetup(free, count_malloc, count_realloc, count_strdup);
	cfg_params_init(&params);
	cfg_profile_init(&prof, "Secure-OAuth");
	prof.mode = CFG_MODE_ENCRYPTED;
	prof.transport = CFG_TRANSPORT_TLS;
	prof.oauth = 1;
	cfg_node_init(&nodes[0], "cucm-a", "cucm-a.example.com");
	cfg_node_init(&nodes[1], "cucm-b", "cucm-b.example.com");
	cfg_pool_init(&pool, "HQ");
	pool.ntp_count = 1;
	snprintf(pool.ntp[0], sizeof(pool.ntp[0]), "%s", "ntp.example.com");
	cfg_device_init(&dev, "SEP00AABBCCDDEE");
	snprintf(dev.model, sizeof(dev.model), "%s", "8845");
	snprintf(dev.profile, sizeof(dev.profile), "%s", "Secure-OAuth");
	snprintf(dev.owner, sizeof(dev.owner), "%s", "alice");
	dev.line_count = 2;
	cfg_line_init(&dev.lines[0], 1, "1001");
	snprintf(dev.lines[0].label, sizeof(dev.lines[0].label), "%s", "Alice");
	cfg_line_init(&dev.lines[1], 2, "1002");
	memset(&ctx, 0, sizeof(ctx));
	ctx.device = &dev;
	ctx.profile = &prof;
	ctx.pool = &pool;
	ctx.nodes = nodes;
	ctx.node_count = 2;
	ctx.params = &params;
	ctx.cluster = &cluster;

	allocs = 0;
	if (cfg_render_device(&ctx, &out, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cfg_output_free(&out);
	printf("allocations per render: %ld\n", allocs);

	t0 = now();
	for (long long i = 0; i < n; i++) {
		if (cfg_render_device(&ctx, &out, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		len = out.len;
		cfg_output_free(&out);
	}
	t1 = now();
	printf("render SEP<MAC>.cnf.xml (%zu bytes): %.2f us\n", len, (t1 - t0) / (double)n * 1e6);

	t0 = now();
	for (long long i = 0; i < n * 10; i++)
		cfg_file_classify(name, strlen(name), &f);
	t1 = now();
	printf("cfg_file_classify: %.1f ns\n", (t1 - t0) / (double)(n * 10) * 1e9);
	return 0;
}
