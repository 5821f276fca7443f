/*
 * cmd_devset.c - `oprovctl device set NAME [...]`: changes a device in one
 * store transaction (store_device_edit) without deleting it, so its
 * activation codes, refresh-token families and access tokens stay valid
 * when it moves to another profile, pool or owner.  The edited record is
 * checked with configgen's rules against its (new) profile before it is
 * written; only what the options name changes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/devjson.h"
#include "store/store.h"

struct devset {
	struct store *s;
	const char *profile, *pool, *owner, *desc, *load, *dialplan, *softkeys, *fpolicy;
	const char *kem;                 /* "N" or "N:TYPE" */
	const char *lines[CFG_LINES_MAX];
	size_t n_lines;
	const char *vendor[CFG_VENDOR_MAX];
	size_t n_vendor;
	int clear_lines;
	char old_profile[CFG_NAME_MAX];
};

/* Copies an option into a record field when it was given. */
static int
set_field(char *dst, size_t size, const char *val, const char *flag, char *err,
          size_t errlen)
{
	return val == NULL ? 0 : cli_copy(dst, size, val, flag, err, errlen);
}

/* --kem N[:TYPE]: N modules (0 removes them) of TYPE (kept when not given). */
static int
set_kem(struct cfg_device *d, const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	char num[8];
	long long n;

	if ((size_t)(colon ? colon - spec : (long)strlen(spec)) >= sizeof(num)) {
		snprintf(err, errlen, "--kem: expected N or N:TYPE");
		return -1;
	}
	snprintf(num, sizeof(num), "%.*s", colon ? (int)(colon - spec) : 7, spec);
	if (cli_int("--kem", num, 0, CFG_KEM_MAX, &n, err, errlen) < 0)
		return -1;
	d->kem_count = (unsigned)n;
	if (colon != NULL && cli_copy(d->kem_type, sizeof(d->kem_type), colon + 1,
	                              "--kem type", err, errlen) < 0)
		return -1;
	if (n == 0)
		d->kem_type[0] = '\0';
	return 0;
}

/* --vendor KEY=VALUE... against the device's family. */
static int
set_vendor(const struct devset *o, struct cfg_device *d, char *err, size_t errlen)
{
	const struct cfg_model *m = cfg_model_find(d->model);
	enum cfg_family f = m != NULL ? m->family : CFG_FAMILY_OTHER;
	char key[CFG_VKEY_MAX], val[CFG_VVAL_MAX];

	for (size_t i = 0; i < o->n_vendor; i++)
		if (cfg_vendor_spec(o->vendor[i], key, val, err, errlen) < 0 ||
		    cfg_vendor_set(&d->vendor, f, key, val, err, errlen) < 0)
			return -1;
	return 0;
}

/* store_device_edit's callback: the changes, then the checks. */
static int
devset_apply(void *ctx, struct cfg_device *d, char *err, size_t errlen)
{
	struct devset *o = ctx;
	struct cfg_profile prof;

	snprintf(o->old_profile, sizeof(o->old_profile), "%s", d->profile);
	if (set_field(d->profile, sizeof(d->profile), o->profile, "--profile", err, errlen) ||
	    set_field(d->pool, sizeof(d->pool), o->pool, "--pool", err, errlen) ||
	    set_field(d->owner, sizeof(d->owner), o->owner, "--owner", err, errlen) ||
	    set_field(d->description, sizeof(d->description), o->desc, "--description", err,
	              errlen) ||
	    set_field(d->load, sizeof(d->load), o->load, "--load", err, errlen) ||
	    set_field(d->dialplan, sizeof(d->dialplan), o->dialplan, "--dialplan", err,
	              errlen) ||
	    set_field(d->softkeys, sizeof(d->softkeys), o->softkeys, "--softkeys", err,
	              errlen) ||
	    set_field(d->feature_policy, sizeof(d->feature_policy), o->fpolicy,
	              "--feature-policy", err, errlen) ||
	    (o->kem != NULL && set_kem(d, o->kem, err, errlen) < 0) ||
	    set_vendor(o, d, err, errlen) < 0)
		return -1;
	if (o->n_lines > 0 || o->clear_lines) {
		for (size_t i = 0; i < o->n_lines; i++)
			if (devjson_line_spec(o->lines[i], (unsigned)i + 1, &d->lines[i], err,
			                      errlen) < 0)
				return -1;
		d->line_count = o->n_lines;
	}
	if (store_profile_get(o->s, d->profile, &prof, err, errlen) != 0)
		return -1;
	return cfg_device_validate(d, &prof, err, errlen) < 0 ? -1 : 0;
}

static int
devset_args(const struct cli_cmd *self, int argc, char **argv, struct devset *o)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "pool", required_argument, NULL, 'P' },
		{ "owner", required_argument, NULL, 'o' },
		{ "description", required_argument, NULL, 'D' },
		{ "load", required_argument, NULL, 'L' },
		{ "line", required_argument, NULL, 'l' },
		{ "no-lines", no_argument, NULL, 'n' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "dialplan", required_argument, NULL, 'd' },
		{ "softkeys", required_argument, NULL, 's' },
		{ "feature-policy", required_argument, NULL, 'f' },
		{ "kem", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': o->profile = optarg; break;
		case 'P': o->pool = optarg; break;
		case 'o': o->owner = optarg; break;
		case 'D': o->desc = optarg; break;
		case 'L': o->load = optarg; break;
		case 'n': o->clear_lines = 1; break;
		case 'd': o->dialplan = optarg; break;
		case 's': o->softkeys = optarg; break;
		case 'f': o->fpolicy = optarg; break;
		case 'k': o->kem = optarg; break;
		case 'l':
			if (o->n_lines == CFG_LINES_MAX)
				return cli_fail("device set: at most %d lines", CFG_LINES_MAX);
			o->lines[o->n_lines++] = optarg;
			break;
		case 'v':
			if (o->n_vendor == CFG_VENDOR_MAX)
				return cli_fail("device set: at most %d --vendor", CFG_VENDOR_MAX);
			o->vendor[o->n_vendor++] = optarg;
			break;
		default:
			return cli_bad_option(self, argv);
		}
	}
	return cli_positional(self, argc, argv, 1, "NAME");
}

int
cli_device_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct devset o;
	char err[CLI_ERR_MAX], name[CFG_DEVNAME_MAX];
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = devset_args(self, argc, argv, &o)) != CLI_OK)
		return rc;
	if (cfg_device_name_parse(argv[optind], strlen(argv[optind]), name) < 0)
		return cli_fail("device set: \"%s\" is not a device name", argv[optind]);
	if ((o.s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_device_edit(o.s, name, devset_apply, &o, err, sizeof(err));
	store_close(o.s);
	if (rc != 0)
		return cli_fail("device set: %s", err);
	if (o.profile != NULL && strcmp(o.old_profile, o.profile) != 0)
		printf("device %s: profile %s -> %s; its tokens stay valid\n", name,
		       o.old_profile, o.profile);
	else
		printf("device %s updated\n", name);
	return cli_apply_on_change(c, name, NULL);
}
