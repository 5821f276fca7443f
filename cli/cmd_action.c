/*
 * cmd_action.c - `oprovctl device apply|reset|restart NAME... | --pool P |
 * --profile P | --all [--wait S]`: records the request for each device in
 * the store, where the oprov-sipd holding the device's registration picks
 * it up and sends the NOTIFY over the live connection, then waits for the
 * outcomes and reports per device: answered (the device's status code),
 * sent (no answer within the wait), not registered, or not delivered (no
 * oprov-sipd took the request).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"

#define ACTION_WAIT_DEFAULT 10           /* s to wait for the outcomes */
#define ACTION_WAIT_MAX     300
#define ACTION_POLL_MS      200          /* between reads of the outcomes */
#define ACTION_DEVICES_MAX  100000       /* devices one command names */

struct target {
	char name[CFG_DEVNAME_MAX];
	int64_t seq;                     /* 0: not requested (not registered) */
	struct store_action a;
};

struct action_run {
	const char *action;
	const char *pool, *profile;
	int all;
	long long wait;
	struct target *t;
	size_t n, cap;
	char **live;                     /* devices with a live binding, sorted */
	size_t nlive, caplive;
	int64_t now;
};

static int
add_target(struct action_run *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->t[i].name, name) == 0)
			return 0;
	if (r->n == ACTION_DEVICES_MAX)
		return -1;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		struct target *nt = realloc(r->t, nc * sizeof(*nt));

		if (nt == NULL)
			return -1;
		r->t = nt;
		r->cap = nc;
	}
	memset(&r->t[r->n], 0, sizeof(r->t[r->n]));
	snprintf(r->t[r->n].name, sizeof(r->t[r->n].name), "%s", name);
	r->n++;
	return 0;
}

static int
select_one(void *ctx, const struct cfg_device *d)
{
	struct action_run *r = ctx;

	if ((r->pool != NULL && strcmp(d->pool[0] ? d->pool : "Default", r->pool) != 0) ||
	    (r->profile != NULL && strcmp(d->profile, r->profile) != 0))
		return 0;
	return add_target(r, d->name);
}

static int
live_one(void *ctx, const struct store_binding *b)
{
	struct action_run *r = ctx;

	if (b->expires <= r->now || b->device[0] == '\0')
		return 0;
	if (r->nlive == r->caplive) {
		size_t nc = r->caplive ? r->caplive * 2 : 16;
		char **nl = realloc(r->live, nc * sizeof(*nl));

		if (nl == NULL)
			return -1;
		r->live = nl;
		r->caplive = nc;
	}
	if ((r->live[r->nlive] = strdup(b->device)) == NULL)
		return -1;
	r->nlive++;
	return 0;
}

static int
is_live(const struct action_run *r, const char *name)
{
	for (size_t i = 0; i < r->nlive; i++)
		if (strcmp(r->live[i], name) == 0)
			return 1;
	return 0;
}

/* The devices the command names, and which of them are registered. */
static int
gather(struct action_run *r, struct store *s, int argc, char **argv, char *err,
       size_t errlen)
{
	char name[CFG_DEVNAME_MAX];
	struct cfg_device d;

	for (int i = optind; i < argc; i++) {
		if (cfg_device_name_parse(argv[i], strlen(argv[i]), name) < 0) {
			snprintf(err, errlen, "\"%s\" is not a device name", argv[i]);
			return -1;
		}
		if (store_device_get(s, name, &d, err, errlen) != 0 || add_target(r, name) < 0)
			return -1;
	}
	if ((r->all || r->pool || r->profile) &&
	    store_device_list(s, NULL, 0, select_one, r, err, errlen) != 0)
		return -1;
	return store_binding_list(s, live_one, r, err, errlen);
}

/* Records the requests of the registered devices. */
static int
request_all(struct action_run *r, struct store *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!is_live(r, r->t[i].name))
			continue;
		if (store_action_request(s, r->t[i].name, r->action, r->now, &r->t[i].seq, err,
		                         errlen) != 0)
			return -1;
	}
	return 0;
}

static int
settled(const struct store_action *a)
{
	return strcmp(a->state, "answered") == 0 || strcmp(a->state, "not registered") == 0 ||
	       strcmp(a->state, "failed") == 0;
}

/* Reads the outcomes until each request settled or the wait is over. */
static void
await(struct action_run *r, struct store *s)
{
	struct timespec pause = { 0, ACTION_POLL_MS * 1000000L };
	time_t until = time(NULL) + r->wait;
	char err[CLI_ERR_MAX];

	for (;;) {
		size_t open = 0;

		for (size_t i = 0; i < r->n; i++) {
			struct target *t = &r->t[i];

			if (t->seq == 0 || settled(&t->a))
				continue;
			if (store_action_get(s, t->name, &t->a, err, sizeof(err)) != 0 ||
			    t->a.seq != t->seq)
				memset(&t->a, 0, sizeof(t->a));  /* a newer request took over */
			if (!settled(&t->a))
				open++;
		}
		if (open == 0 || time(NULL) >= until)
			return;
		nanosleep(&pause, NULL);
	}
}

/* The word reported for t. */
static const char *
outcome(const struct target *t)
{
	if (t->seq == 0)
		return "not registered";
	if (t->a.state[0] == '\0' || strcmp(t->a.state, "pending") == 0 ||
	    strcmp(t->a.state, "queued") == 0)
		return "not delivered";
	return t->a.state;
}

static int
report(const struct cli *c, const struct action_run *r)
{
	json_t *arr = c->json ? json_array() : NULL;
	int bad = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct target *t = &r->t[i];
		const char *o = outcome(t);

		bad |= strcmp(o, "answered") != 0 || t->a.code < 200 || t->a.code > 299;
		if (arr != NULL)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I}", "device",
			                      t->name, "action", r->action, "result", o,
			                      "code", (json_int_t)t->a.code));
		else if (strcmp(o, "answered") == 0)
			printf("%s: %s answered (%lld)\n", t->name, r->action,
			       (long long)t->a.code);
		else
			printf("%s: %s %s\n", t->name, r->action, o);
	}
	if (arr != NULL && cli_json_print(arr) != CLI_OK)
		return CLI_FAIL;
	return bad ? CLI_FAIL : CLI_OK;
}

static int
action_args(const struct cli_cmd *self, int argc, char **argv, struct action_run *r)
{
	static const struct option opts[] = {
		{ "pool", required_argument, NULL, 'P' },
		{ "profile", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "wait", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	char err[CLI_ERR_MAX];
	int ch;

	r->wait = ACTION_WAIT_DEFAULT;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'P': r->pool = optarg; break;
		case 'p': r->profile = optarg; break;
		case 'a': r->all = 1; break;
		case 'w':
			if (cli_int("--wait", optarg, 0, ACTION_WAIT_MAX, &r->wait, err,
			            sizeof(err)) < 0)
				return cli_usage(self, "%s", err);
			break;
		default:
			return cli_bad_option(self, argv);
		}
	}
	if (optind >= argc && !r->all && r->pool == NULL && r->profile == NULL)
		return cli_usage(self, "device %s: name devices, or --pool, --profile or --all",
		                 r->action);
	return CLI_OK;
}

int
cli_device_action(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct action_run r;
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	memset(&r, 0, sizeof(r));
	r.action = argv[0];
	if ((rc = action_args(self, argc, argv, &r)) != CLI_OK)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	r.now = (int64_t)time(NULL);
	if (gather(&r, s, argc, argv, err, sizeof(err)) != 0 ||
	    request_all(&r, s, err, sizeof(err)) != 0) {
		rc = cli_fail("device %s: %s", r.action, err);
	} else {
		await(&r, s);
		rc = report(c, &r);
	}
	store_close(s);
	for (size_t i = 0; i < r.nlive; i++)
		free(r.live[i]);
	free(r.live);
	free(r.t);
	return rc;
}

int
cli_apply_on_change(struct cli *c, const char *device, const char *profile)
{
	struct action_run r;
	char err[CLI_ERR_MAX], on[16] = "";
	struct store *s;
	size_t asked = 0;

	if ((s = cli_store_open(c)) == NULL)
		return CLI_OK;
	if (store_param_get(s, "apply-on-change", on, sizeof(on), err, sizeof(err)) != 0 ||
	    strcmp(on, "on") != 0) {
		store_close(s);
		return CLI_OK;
	}
	memset(&r, 0, sizeof(r));
	r.action = "apply";
	r.profile = profile;
	r.now = (int64_t)time(NULL);
	optind = 1;                             /* gather() reads argv from optind */
	if ((device != NULL && add_target(&r, device) < 0) ||
	    (profile != NULL && store_device_list(s, NULL, 0, select_one, &r, err,
	                                          sizeof(err)) != 0) ||
	    store_binding_list(s, live_one, &r, err, sizeof(err)) != 0 ||
	    request_all(&r, s, err, sizeof(err)) != 0)
		cli_fail("apply-on-change: %s", err);
	for (size_t i = 0; i < r.n; i++)
		asked += r.t[i].seq != 0;
	if (r.n > 0)
		printf("apply-on-change: Apply Config requested for %zu registered device(s)\n",
		       asked);
	store_close(s);
	for (size_t i = 0; i < r.nlive; i++)
		free(r.live[i]);
	free(r.live);
	free(r.t);
	return CLI_OK;
}
