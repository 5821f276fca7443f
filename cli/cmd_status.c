/*
 * cmd_status.c - `oprovctl status`: one look at the whole deployment: SIP
 * OAuth mode, parameters, nodes and the publisher, each daemon's heartbeat
 * (every node's, from the store), record counts, signing keys, certificate
 * expiry, and what this node's running daemons report in
 * DATADIR/run/NAME.stats ("key value" lines they rewrite from time to
 * time).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/render_device.h"
#include "store/store.h"

#define STATS_FILE_MAX (64 * 1024)
#define STATS_SUFFIX ".stats"

struct status {
	json_t *o;             /* --json: the document being built */
	int64_t now;
	/* Read in one go (status_read) before anything is printed. */
	struct cfg_cluster cl;
	struct cfg_params p;
	char iss[CFG_URL_MAX], aud[CFG_URL_MAX];
	struct store_counts cnt;
	struct store_generation gen;
	char publisher[STORE_NAME_MAX];         /* "" when none recorded */
	const char *backend;
};

static int
st_node(void *ctx, const struct cfg_node *n)
{
	struct status *st = ctx;

	if (st->o != NULL)
		return json_array_append_new(json_object_get(st->o, "nodes"),
		    json_pack("{s:s, s:s, s:i, s:i}", "name", n->name, "host", n->host,
		              "sip_oauth_port", n->sip_oauth_port,
		              "sip_mra_oauth_port", n->sip_mra_oauth_port)) < 0 ? -1 : 0;
	printf("  %-20s %-28s SIP OAuth %u, MRA OAuth %u\n", n->name, n->host,
	       n->sip_oauth_port, n->sip_mra_oauth_port);
	return 0;
}

static int
st_heartbeat(void *ctx, const struct store_heartbeat *h)
{
	struct status *st = ctx;
	long long age = (long long)(st->now - h->seen);

	if (st->o != NULL)
		return json_array_append_new(json_object_get(st->o, "daemons"),
		    json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I}", "node", h->node,
		              "program", h->program, "pid", (json_int_t)h->pid,
		              "serves", h->serves, "started", (json_int_t)h->started,
		              "last_heartbeat", (json_int_t)h->seen,
		              "seconds_ago", (json_int_t)age)) < 0 ? -1 : 0;
	printf("  %-20s %-13s pid %-7lld last heartbeat %llds ago%s  %s\n", h->node,
	       h->program, (long long)h->pid, age,
	       age > STORE_HEARTBEAT_STALE ? " (STALE)" : "", h->serves);
	return 0;
}

static int
st_key(void *ctx, const struct store_key *k)
{
	struct status *st = ctx;
	const char *state = k->state == STORE_KEY_CURRENT ? "current"
	                    : k->state == STORE_KEY_PREVIOUS ? "previous" : "retired";

	if (k->state == STORE_KEY_RETIRED)
		return 0;
	if (st->o != NULL)
		return json_array_append_new(json_object_get(st->o, "keys"),
		    json_pack("{s:s, s:s, s:s}", "kid", k->kid, "alg", k->alg, "state", state)) < 0
		       ? -1 : 0;
	printf("  %-44s %-6s %s\n", k->kid, k->alg, state);
	return 0;
}

static int
st_cert(void *ctx, const struct store_cert *c)
{
	struct status *st = ctx;
	char tb[40];
	long long days = (c->not_after - st->now) / 86400;

	if (st->o != NULL)
		return json_array_append_new(json_object_get(st->o, "certificates"),
		    json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)c->id, "purpose",
		              c->purpose, "subject", c->subject, "not_after",
		              (json_int_t)c->not_after)) < 0 ? -1 : 0;
	printf("  %-4lld %-17s expires %s (%s%lld days)  %s\n", (long long)c->id, c->purpose,
	       cli_time(c->not_after, tb, sizeof(tb)), days < 0 ? "EXPIRED " : "",
	       days < 0 ? -days : days, c->subject);
	return 0;
}

/* DATADIR/run/NAME.stats: "key value" per line; anything else is skipped. */
static void
st_stats(const struct cli *c, struct status *st)
{
	char dir[CLI_PATH_MAX], path[CLI_PATH_MAX], err[CLI_ERR_MAX];
	struct dirent *de;
	json_t *all = NULL;
	DIR *d;
	int header = 0;

	if (cli_path(c, CLI_RUN_DIR, dir, sizeof(dir)) < 0 || (d = opendir(dir)) == NULL)
		return;
	if (st->o != NULL)
		all = json_object();
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name), sl = strlen(STATS_SUFFIX);
		char *buf, *line, *save = NULL, name[256];
		json_t *one = NULL;
		size_t len;

		if (n <= sl || strcmp(de->d_name + n - sl, STATS_SUFFIX) != 0 || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path) ||
		    cli_read_file(path, STATS_FILE_MAX, &buf, &len, err, sizeof(err)) < 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - sl), de->d_name);
		if (all != NULL)
			one = json_object();
		else {
			if (!header)
				printf("daemon statistics (%s/*%s):\n", dir, STATS_SUFFIX);
			header = 1;
			printf("  %s:\n", name);
		}
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			char *sp = strchr(line, ' ');
			char k[128], v[256];

			if (sp == NULL || sp == line)
				continue;
			str_sanitize(k, sizeof(k), line, (size_t)(sp - line));
			str_sanitize(v, sizeof(v), sp + 1, strlen(sp + 1));
			if (one != NULL)
				json_object_set_new(one, k, json_string(v));
			else
				printf("    %-28s %s\n", k, v);
		}
		if (all != NULL)
			json_object_set_new(all, name, one);
		free(buf);
	}
	closedir(d);
	if (all != NULL)
		json_object_set_new(st->o, "stats", all);
}

/* Mode, parameters, issuer and audience, counts and generation.  0 / -1. */
static int
status_read(struct store *s, struct status *st, char *err, size_t errlen)
{
	if (store_cluster_get(s, &st->cl, err, errlen) != 0 ||
	    render_params_load(s, &st->p, err, errlen) < 0 ||
	    cli_issuer(s, st->iss, sizeof(st->iss), err, errlen) < 0 ||
	    cli_audience(s, st->aud, sizeof(st->aud), err, errlen) < 0 ||
	    store_counts(s, st->now, &st->cnt, err, errlen) != 0 ||
	    store_generation(s, &st->gen, err, errlen) != 0 ||
	    store_publisher_get(s, st->publisher, sizeof(st->publisher), err,
	                        errlen) < 0)
		return -1;
	st->backend = store_backend(s);
	return 0;
}

/* --json: the document with what status_read found and empty lists the
 * store's lists fill; NULL when out of memory. */
static json_t *
status_json(const struct cli *c, const struct status *st)
{
	const struct cfg_param_info *t;
	char val[STORE_PARAM_VALUE_MAX];
	const struct store_counts *cnt = &st->cnt;
	json_t *params = json_object();
	size_t n;

	t = cfg_param_table(&n);
	for (size_t i = 0; i < n; i++)
		if (cfg_param_get(&st->p, t[i].name, val, sizeof(val)) == 0)
			json_object_set_new(params, t[i].name, json_string(val));
	json_object_set_new(params, STORE_PARAM_ISSUER, json_string(st->iss));
	json_object_set_new(params, STORE_PARAM_AUDIENCE, json_string(st->aud));
	return json_pack("{s:s, s:s?, s:[], s:s, s:b, s:o, s:[], s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I}, s:[], s:[], s:{s:I, s:I}}",
	    "store", st->backend, "publisher", st->publisher[0] ? st->publisher : NULL,
	    "daemons", "datadir", c->datadir, "sip_oauth_mode", st->cl.sip_oauth_mode, "parameters",
	    params, "nodes", "counts", "devices", (json_int_t)cnt->devices,
	    "lines", (json_int_t)cnt->lines, "profiles", (json_int_t)cnt->profiles,
	    "pools", (json_int_t)cnt->pools, "nodes", (json_int_t)cnt->nodes,
	    "certificates", (json_int_t)cnt->certs, "expressways",
	    (json_int_t)cnt->expressways, "keys", (json_int_t)cnt->keys,
	    "clients", (json_int_t)cnt->clients, "activation_codes_active",
	    (json_int_t)cnt->codes_active, "refresh_families_active",
	    (json_int_t)cnt->families_active, "revocations", (json_int_t)cnt->revocations,
	    "registrations", (json_int_t)cnt->bindings, "keys", "certificates",
	    "generation", "config", (json_int_t)st->gen.config, "revocation",
	    (json_int_t)st->gen.revocation);
}

/* The text form of what status_read found, up to the "nodes:" heading. */
static void
status_print(const struct cli *c, const struct status *st)
{
	const struct cfg_param_info *t;
	char val[STORE_PARAM_VALUE_MAX];
	const struct store_counts *cnt = &st->cnt;
	size_t n;

	printf("datadir:        %s\n", c->datadir);
	printf("store:          %s\n", st->backend);
	printf("publisher:      %s\n", st->publisher[0] ? st->publisher : "(none recorded)");
	printf("SIP OAuth mode: %s\n", st->cl.sip_oauth_mode ? "enabled" : "disabled");
	printf("generation:     config %llu, revocation %llu\n",
	       (unsigned long long)st->gen.config, (unsigned long long)st->gen.revocation);
	printf("parameters:\n");
	t = cfg_param_table(&n);
	for (size_t i = 0; i < n; i++)
		if (cfg_param_get(&st->p, t[i].name, val, sizeof(val)) == 0)
			printf("  %-28s %s\n", t[i].name, val);
	printf("  %-28s %s\n  %-28s %s\n", STORE_PARAM_ISSUER, st->iss, STORE_PARAM_AUDIENCE,
	       st->aud);
	printf("counts:\n  devices %llu, lines %llu, profiles %llu, pools %llu, nodes %llu\n"
	       "  certificates %llu, expressways %llu, keys %llu, clients %llu\n"
	       "  active activation codes %llu, active refresh families %llu, "
	       "revocations %llu, registrations %llu\n",
	       (unsigned long long)cnt->devices, (unsigned long long)cnt->lines,
	       (unsigned long long)cnt->profiles, (unsigned long long)cnt->pools,
	       (unsigned long long)cnt->nodes, (unsigned long long)cnt->certs,
	       (unsigned long long)cnt->expressways, (unsigned long long)cnt->keys,
	       (unsigned long long)cnt->clients, (unsigned long long)cnt->codes_active,
	       (unsigned long long)cnt->families_active,
	       (unsigned long long)cnt->revocations, (unsigned long long)cnt->bindings);
	printf("nodes:\n");
}

/* Nodes, signing keys and certificates, each under its heading (text) or
 * into its list (--json).  0 / -1. */
static int
status_lists(struct store *s, struct status *st, char *err, size_t errlen)
{
	if (store_node_list(s, st_node, st, err, errlen) != 0)
		return -1;
	if (st->o == NULL)
		printf("daemons (heartbeats in the store, every node):\n");
	if (store_heartbeat_list(s, st_heartbeat, st, err, errlen) != 0)
		return -1;
	if (st->o == NULL)
		printf("signing keys:\n");
	if (store_key_list(s, st_key, st, err, errlen) != 0)
		return -1;
	if (st->o == NULL)
		printf("certificates:\n");
	return store_cert_list(s, NULL, st_cert, st, err, errlen) != 0 ? -1 : 0;
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	const struct cli_cmd *self = cli_cmd_find("status");
	char err[CLI_ERR_MAX];
	struct status st;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	memset(&st, 0, sizeof(st));
	st.now = time(NULL);
	rc = CLI_FAIL;
	if (status_read(s, &st, err, sizeof(err)) < 0) {
		cli_fail("status: %s", err);
		goto out;
	}
	if (!c->json)
		status_print(c, &st);
	else if ((st.o = status_json(c, &st)) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	if (status_lists(s, &st, err, sizeof(err)) < 0) {
		cli_fail("status: %s", err);
		goto out;
	}
	st_stats(c, &st);
	if (st.o != NULL) {
		rc = cli_json_print(st.o);
		st.o = NULL;
	} else
		rc = CLI_OK;
out:
	json_decref(st.o);
	store_close(s);
	return rc;
}
