/*
 * cmd_device.c - `oprovctl device add|list|show|delete|import|export|
 * config`.  Every device is checked with configgen's rules against its
 * profile before it is written; an import is one store transaction, so one
 * refused device leaves the store untouched.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/devjson.h"
#include "cli/render_device.h"
#include "store/store.h"

/* Largest import file: 100,000 devices with two lines each take about
 * 40 MB of JSON; leave room for ten times that many lines. */
#define DEVICE_IMPORT_MAX (512u * 1024 * 1024)

/* A device given no pool joins "Default" when it exists, by name: the
 * rendering snapshot (store_render_load) takes an empty pool as "no pool",
 * which would leave the config without a node to register with. */
static int
default_pool(struct store *s)
{
	struct cfg_pool p;
	char err[STORE_ERR_MAX];

	return store_pool_get(s, RENDER_DEFAULT_POOL, &p, err, sizeof(err)) == 0;
}

/* device add: the options as given, NULL or 0 where not. */
struct device_opts {
	const char *name, *model, *profile, *owner, *pool, *desc, *load, *mra;
	const char *lines[CFG_LINES_MAX];
	size_t n_lines;
	int req, via_mra;
};

/* The options and NAME.  CLI_OK, CLI_FAIL (too many --line) or CLI_USAGE
 * (printed). */
static int
device_args(const struct cli_cmd *self, int argc, char **argv, struct device_opts *o)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "profile", required_argument, NULL, 'p' },
		{ "owner", required_argument, NULL, 'o' },
		{ "pool", required_argument, NULL, 'P' },
		{ "line", required_argument, NULL, 'l' },
		{ "description", required_argument, NULL, 'D' },
		{ "load", required_argument, NULL, 'L' },
		{ "require-activation-code", no_argument, NULL, 'r' },
		{ "allow-activation-code-via-mra", no_argument, NULL, 'a' },
		{ "mra-domain", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': o->model = optarg; break;
		case 'p': o->profile = optarg; break;
		case 'o': o->owner = optarg; break;
		case 'P': o->pool = optarg; break;
		case 'D': o->desc = optarg; break;
		case 'L': o->load = optarg; break;
		case 'r': o->req = 1; break;
		case 'a': o->via_mra = 1; break;
		case 'M': o->mra = optarg; break;
		case 'l':
			if (o->n_lines == CFG_LINES_MAX)
				return cli_fail("device add: at most %d lines", CFG_LINES_MAX);
			o->lines[o->n_lines++] = optarg;
			break;
		default:
			return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if (o->model == NULL || o->profile == NULL)
		return cli_usage(self, "device add: --model and --profile are required");
	o->name = argv[optind];
	return CLI_OK;
}

/* The device record the options describe, each field checked on its own
 * (the rules that need its profile come in device_save).  CLI_OK or
 * CLI_FAIL (printed). */
static int
device_from_opts(const struct device_opts *o, struct cfg_device *d)
{
	const struct cfg_model *cm;
	char err[CLI_ERR_MAX];

	cfg_device_init(d, NULL);
	if (cfg_device_name_parse(o->name, strlen(o->name), d->name) < 0)
		return cli_fail("device add: device name \"%s\" is not SEP followed by 12 hex "
		                "digits, or CSF/BOT/TCT/TAB and 1-12 of A-Z 0-9 . _ -", o->name);
	if ((cm = cfg_model_find(o->model)) == NULL)
		return cli_fail("device add: unknown model \"%s\"", o->model);
	snprintf(d->model, sizeof(d->model), "%s", cm->name);
	if (cli_copy(d->profile, sizeof(d->profile), o->profile, "--profile", err,
	             sizeof(err)) < 0 ||
	    (o->owner != NULL &&
	     cli_copy(d->owner, sizeof(d->owner), o->owner, "--owner", err, sizeof(err)) < 0) ||
	    (o->pool != NULL &&
	     cli_copy(d->pool, sizeof(d->pool), o->pool, "--pool", err, sizeof(err)) < 0) ||
	    (o->desc != NULL && cli_copy(d->description, sizeof(d->description), o->desc,
	                                 "--description", err, sizeof(err)) < 0) ||
	    (o->load != NULL &&
	     cli_copy(d->load, sizeof(d->load), o->load, "--load", err, sizeof(err)) < 0) ||
	    (o->mra != NULL && cli_copy(d->mra_domain, sizeof(d->mra_domain), o->mra,
	                                "--mra-domain", err, sizeof(err)) < 0))
		return cli_fail("device add: %s", err);
	d->require_activation_code = o->req;
	d->allow_activation_code_mra = o->via_mra;
	for (size_t i = 0; i < o->n_lines; i++)
		if (devjson_line_spec(o->lines[i], (unsigned)i + 1, &d->lines[i], err,
		                      sizeof(err)) < 0)
			return cli_fail("device add: %s", err);
	d->line_count = o->n_lines;
	return CLI_OK;
}

/* Checks d against its profile and adds it (a device given no pool joins
 * the default one).  CLI_OK or CLI_FAIL (printed). */
static int
device_save(struct store *s, struct cfg_device *d)
{
	struct cfg_profile prof;
	char err[CLI_ERR_MAX];

	if (d->pool[0] == '\0' && default_pool(s))
		snprintf(d->pool, sizeof(d->pool), "%s", RENDER_DEFAULT_POOL);
	if (store_profile_get(s, d->profile, &prof, err, sizeof(err)) != 0 ||
	    cfg_device_validate(d, &prof, err, sizeof(err)) < 0 ||
	    store_device_put(s, d, STORE_PUT_NEW, err, sizeof(err)) != 0)
		return cli_fail("device add: %s", err);
	printf("device %s: %s, profile %s, %zu line(s)%s\n", d->name, d->model, d->profile,
	       d->line_count, prof.oauth ? ", config token-gated (OAuth)" : "");
	return CLI_OK;
}

static int
device_add(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct device_opts o;
	struct cfg_device d;
	struct store *s;
	int rc;

	if ((rc = device_args(self, argc, argv, &o)) != CLI_OK ||
	    (rc = device_from_opts(&o, &d)) != CLI_OK)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = device_save(s, &d);
	store_close(s);
	return rc;
}

struct dev_list {
	FILE *f;               /* export: streamed, one device per line */
	size_t n;
};

static int
device_list_one(void *ctx, const struct cfg_device *d)
{
	struct dev_list *l = ctx;

	if (l->f != NULL) {
		json_t *o = devjson_from_device(d);
		int rc;

		if (o == NULL)
			return -1;
		fputs(l->n++ == 0 ? "\n  " : ",\n  ", l->f);
		rc = json_dumpf(o, l->f, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		return rc;
	}
	printf("%-16s %-8s %-24s %-16s %-12s %zu\n", d->name, d->model, d->profile,
	       d->owner[0] ? d->owner : "-", d->pool[0] ? d->pool : RENDER_DEFAULT_POOL,
	       d->line_count);
	return 0;
}

static int
device_export(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct dev_list l = { stdout, 0 };
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	fputs("[", stdout);
	rc = store_device_list(s, NULL, 0, device_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("device export: %s", err);
	fputs(l.n > 0 ? "\n]\n" : "]\n", stdout);
	return CLI_OK;
}

static int
device_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct dev_list l = { NULL, 0 };
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	/* JSON is the export form, streamed: a list of 100,000 devices is never
	 * one document in memory. */
	if (c->json)
		return device_export(c, self, argc, argv);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	printf("%-16s %-8s %-24s %-16s %-12s %s\n", "NAME", "MODEL", "PROFILE", "OWNER",
	       "POOL", "LINES");
	rc = store_device_list(s, NULL, 0, device_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("device list: %s", err);
	return CLI_OK;
}

/* The firmware the device reported in its live registrations. */
struct reported {
	const char *device;
	int64_t now;
	char load[CFG_LOAD_MAX];
};

static int
reported_one(void *ctx, const struct store_binding *b)
{
	struct reported *r = ctx;

	if (b->expires > r->now && strcmp(b->device, r->device) == 0 && b->firmware[0])
		snprintf(r->load, sizeof(r->load), "%s", b->firmware);
	return 0;
}

/* device show's lines beyond the record's basics. */
static void
show_extras(const struct cfg_device *d, const struct reported *r)
{
	printf("running:       %s\n", r->load[0] ? r->load : "- (not registered, or not reported)");
	printf("dial plan:     %s\nsoftkeys:      %s\nfeature policy: %s\n",
	       d->dialplan[0] ? d->dialplan : "-", d->softkeys[0] ? d->softkeys : "-",
	       d->feature_policy[0] ? d->feature_policy : "-");
	if (d->kem_count > 0)
		printf("key modules:   %u x %s\n", d->kem_count, d->kem_type);
	for (size_t i = 0; i < d->vendor.count && i < CFG_VENDOR_MAX; i++)
		printf("vendor:        %s=%s\n", d->vendor.kv[i].key, d->vendor.kv[i].value);
}

static int
device_show(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	struct reported rep = { NULL, 0, "" };
	struct cfg_device d;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_device_get(s, argv[optind], &d, err, sizeof(err));
	if (rc == 0) {
		rep.device = d.name;
		rep.now = (int64_t)time(NULL);
		rc = store_binding_list(s, reported_one, &rep, err, sizeof(err));
	}
	store_close(s);
	if (rc != 0)
		return cli_fail("device show: %s", err);
	if (c->json) {
		json_t *o = devjson_from_device(&d);

		if (o != NULL)
			json_object_set_new(o, "running", json_string(rep.load));
		return cli_json_print(o);
	}
	printf("name:          %s\nmodel:         %s\nprofile:       %s\nowner:         %s\n"
	       "pool:          %s\ndescription:   %s\nload:          %s\n"
	       "activation:    %s%s%s\n", d.name, d.model, d.profile, d.owner,
	       d.pool[0] ? d.pool : RENDER_DEFAULT_POOL, d.description, d.load,
	       d.require_activation_code ? "required" : "not required",
	       d.allow_activation_code_mra ? ", also via MRA, domain " : "",
	       d.allow_activation_code_mra ? d.mra_domain : "");
	for (size_t i = 0; i < d.line_count && i < CFG_LINES_MAX; i++)
		printf("line %-2u        %s \"%s\" \"%s\" max-calls %u busy-trigger %u\n",
		       d.lines[i].button, d.lines[i].dn, d.lines[i].label,
		       d.lines[i].display_name, d.lines[i].max_calls, d.lines[i].busy_trigger);
	show_extras(&d, &rep);
	return CLI_OK;
}

static int
device_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_device_delete(s, argv[optind], time(NULL), err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("device delete: %s", err);
	printf("device %s deleted; its tokens are revoked\n", argv[optind]);
	return CLI_OK;
}

/* ---- import ------------------------------------------------------------ */

struct import {
	json_t *arr;            /* {"devices":[...]}: the parsed array */
	const char *text;       /* [...]: read one device at a time */
	size_t len, pos;
	size_t next;
	struct cfg_profile *profiles;
	size_t n_profiles, cap_profiles;
	struct cfg_device dev;
	int default_pool;
	char err[CLI_ERR_MAX];
};

static int
import_profile(void *ctx, const struct cfg_profile *p)
{
	struct import *im = ctx;

	if (im->n_profiles == im->cap_profiles) {
		size_t ncap = im->cap_profiles ? im->cap_profiles * 2 : 16;
		struct cfg_profile *np = realloc(im->profiles, ncap * sizeof(*np));

		if (np == NULL)
			return -1;
		im->profiles = np;
		im->cap_profiles = ncap;
	}
	im->profiles[im->n_profiles++] = *p;
	return 0;
}

static int
import_next(void *ctx, const struct cfg_device **dev)
{
	struct import *im = ctx;
	const struct cfg_profile *prof = NULL;
	char e[CLI_ERR_MAX - 64];
	json_t *o;

	if (im->arr != NULL) {
		if (im->next >= json_array_size(im->arr))
			return 0;
		o = json_incref(json_array_get(im->arr, im->next));
	} else {
		int r = devjson_array_next(im->text, im->len, &im->pos, im->next, &o, e,
		                           sizeof(e));

		if (r <= 0) {
			if (r < 0)
				snprintf(im->err, sizeof(im->err), "%s", e);
			return r;
		}
	}
	if (devjson_to_device(o, &im->dev, e, sizeof(e)) < 0) {
		json_decref(o);
		snprintf(im->err, sizeof(im->err), "device %zu: %s", im->next + 1, e);
		return -1;
	}
	json_decref(o);
	if (im->dev.pool[0] == '\0' && im->default_pool)
		snprintf(im->dev.pool, sizeof(im->dev.pool), "%s", RENDER_DEFAULT_POOL);
	for (size_t i = 0; i < im->n_profiles; i++)
		if (strcmp(im->profiles[i].name, im->dev.profile) == 0)
			prof = &im->profiles[i];
	if (prof == NULL) {
		snprintf(im->err, sizeof(im->err), "device %zu (%s): no profile \"%s\"",
		         im->next + 1, im->dev.name, im->dev.profile);
		return -1;
	}
	if (cfg_device_validate(&im->dev, prof, e, sizeof(e)) < 0) {
		snprintf(im->err, sizeof(im->err), "device %zu (%s): %s", im->next + 1,
		         im->dev.name, e);
		return -1;
	}
	im->next++;
	*dev = &im->dev;
	return 1;
}

static int
device_import(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "replace", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct import im;
	json_error_t je;
	json_t *root = NULL;
	char err[CLI_ERR_MAX], *text = NULL;
	size_t len, count = 0;
	unsigned flags = STORE_PUT_NEW;
	struct store *s = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			flags = STORE_PUT_REPLACE;
		else
			return cli_bad_option(self, argv);
	}
	if ((rc = cli_positional(self, argc, argv, 1, "FILE.json")) != 0)
		return rc;
	memset(&im, 0, sizeof(im));
	rc = CLI_FAIL;
	if (cli_read_file(argv[optind], DEVICE_IMPORT_MAX, &text, &len, err, sizeof(err)) < 0) {
		cli_fail("device import: %s", err);
		goto out;
	}
	{
		size_t p = 0;

		while (p < len && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' ||
		                   text[p] == '\r'))
			p++;
		if (p < len && text[p] == '[') {
			/* The export form: streamed, one device in memory at a time. */
			im.text = text;
			im.len = len;
		} else {
			root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
			if (root == NULL) {
				cli_fail("device import: %s line %d: %s", argv[optind], je.line,
				         je.text);
				goto out;
			}
			im.arr = json_object_get(root, "devices");
			if (!json_is_array(im.arr)) {
				cli_fail("device import: %s: expected an array of devices (or "
				         "{\"devices\":[...]})", argv[optind]);
				goto out;
			}
		}
	}
	if ((s = cli_store_open(c)) == NULL)
		goto out;
	im.default_pool = default_pool(s);
	if (store_profile_list(s, import_profile, &im, err, sizeof(err)) != 0) {
		cli_fail("device import: %s", err);
		goto out;
	}
	if (store_device_import(s, import_next, &im, flags, &count, err, sizeof(err)) != 0) {
		cli_fail("device import: %s; nothing imported", im.err[0] ? im.err : err);
		goto out;
	}
	printf("%zu device(s) imported\n", count);
	log_msg(LOG_NOTICE, "imported %zu devices", count);
	rc = CLI_OK;
out:
	if (s != NULL)
		store_close(s);
	json_decref(root);
	free(text);
	free(im.profiles);
	return rc;
}

static int
device_config(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	char err[CLI_ERR_MAX];
	struct cfg_output out;
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	memset(&out, 0, sizeof(out));
	rc = render_device_config(s, argv[optind], NULL, &out, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("device config: %s", err);
	rc = fwrite(out.data, 1, out.len, stdout) == out.len ? CLI_OK
	     : cli_fail("device config: cannot write output");
	cfg_output_free(&out);
	return rc;
}

int
cmd_device(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", device_add },
		{ "list", device_list },
		{ "show", device_show },
		{ "delete", device_delete },
		{ "import", device_import },
		{ "export", device_export },
		{ "config", device_config },
		{ "set", cli_device_set },
		{ "apply", cli_device_action },
		{ "reset", cli_device_action },
		{ "restart", cli_device_action },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
