/*
 * cmd_named.c - `oprovctl dialplan|softkeys|feature-policy add|set|list|
 * show|delete`: the records a device config names in <dialTemplate>,
 * <softKeyFile> and <featurePolicyFile> (configgen.h), rendered by the
 * daemons into dialplan-NAME.xml, softkeys-NAME.xml and
 * featurepolicy-NAME.xml.  add wants a new name, set changes an existing
 * record (set --rule replaces the dial rules; --state and --enable/--disable
 * change only what they name); a record a device uses cannot be deleted.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

#define NAMED_SPECS_MAX 64               /* --rule/--state/--enable per command */

enum named_kind { NK_DIALPLAN, NK_SOFTKEYS, NK_FPOLICY };

struct named_opts {
	enum named_kind kind;
	int create;
	const char *name, *desc;
	const char *spec[NAMED_SPECS_MAX];
	int on[NAMED_SPECS_MAX];           /* feature policy: --enable 1, --disable 0 */
	size_t n;
};

union named_rec {
	struct cfg_dialplan p;
	struct cfg_softkeys k;
	struct cfg_fpolicy f;
};

static const char *
group(enum named_kind k)
{
	return k == NK_DIALPLAN ? "dialplan" : k == NK_SOFTKEYS ? "softkeys" : "feature-policy";
}

static int
named_args(const struct cli_cmd *self, int argc, char **argv, struct named_opts *o)
{
	static const struct option opts[] = {
		{ "description", required_argument, NULL, 'D' },
		{ "rule", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "enable", required_argument, NULL, 'e' },
		{ "disable", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	static const char want[] = { 'r', 's', 0 };
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'D') {
			o->desc = optarg;
			continue;
		}
		if (ch == '?' || ch == ':' ||
		    (o->kind != NK_FPOLICY && ch != want[o->kind]) ||
		    (o->kind == NK_FPOLICY && ch != 'e' && ch != 'd'))
			return cli_bad_option(self, argv);
		if (o->n == NAMED_SPECS_MAX)
			return cli_fail("%s: at most %d specifications", group(o->kind),
			                NAMED_SPECS_MAX);
		o->on[o->n] = ch == 'e';
		o->spec[o->n++] = optarg;
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	o->name = argv[optind];
	return CLI_OK;
}

/* The record as stored (set) or fresh (add). */
static int
named_load(struct store *s, const struct named_opts *o, union named_rec *r, char *err,
           size_t errlen)
{
	int rc;

	switch (o->kind) {
	case NK_DIALPLAN:
		cfg_dialplan_init(&r->p, o->name);
		rc = store_dialplan_get(s, o->name, &r->p, err, errlen);
		break;
	case NK_SOFTKEYS:
		cfg_softkeys_init(&r->k, o->name);
		rc = store_softkeys_get(s, o->name, &r->k, err, errlen);
		break;
	default:
		cfg_fpolicy_init(&r->f, o->name);
		rc = store_fpolicy_get(s, o->name, &r->f, err, errlen);
		break;
	}
	if (rc != 0 && rc != STORE_NOTFOUND)
		return -1;
	if (o->create && rc == 0) {
		snprintf(err, errlen, "%s %s exists (use `oprovctl %s set`)", group(o->kind),
		         o->name, group(o->kind));
		return -1;
	}
	if (!o->create && rc == STORE_NOTFOUND)
		return -1;                      /* err says so */
	if (rc == STORE_NOTFOUND) {             /* a failed get may clear the record */
		if (o->kind == NK_DIALPLAN)
			cfg_dialplan_init(&r->p, o->name);
		else if (o->kind == NK_SOFTKEYS)
			cfg_softkeys_init(&r->k, o->name);
		else
			cfg_fpolicy_init(&r->f, o->name);
	}
	return 0;
}

/* The options into the record, then the whole record checked. */
static int
named_change(const struct named_opts *o, union named_rec *r, char *err, size_t errlen)
{
	char *desc = o->kind == NK_DIALPLAN ? r->p.description
	             : o->kind == NK_SOFTKEYS ? r->k.description : r->f.description;

	if (o->desc != NULL && cli_copy(desc, CFG_TEXT_MAX, o->desc, "--description", err,
	                                errlen) < 0)
		return -1;
	if (o->kind == NK_DIALPLAN && o->n > 0) {
		if (o->n > CFG_DIALRULES_MAX) {
			snprintf(err, errlen, "at most %d rules", CFG_DIALRULES_MAX);
			return -1;
		}
		for (size_t i = 0; i < o->n; i++)
			if (cfg_dialrule_parse(o->spec[i], &r->p.rules[i], err, errlen) < 0)
				return -1;
		r->p.count = o->n;
	}
	for (size_t i = 0; o->kind == NK_SOFTKEYS && i < o->n; i++)
		if (cfg_softkeys_set(&r->k, o->spec[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; o->kind == NK_FPOLICY && i < o->n; i++)
		if (cfg_fpolicy_set(&r->f, o->spec[i], o->on[i], err, errlen) < 0)
			return -1;
	switch (o->kind) {
	case NK_DIALPLAN: return cfg_dialplan_validate(&r->p, err, errlen);
	case NK_SOFTKEYS: return cfg_softkeys_validate(&r->k, err, errlen);
	default:          return cfg_fpolicy_validate(&r->f, err, errlen);
	}
}

static int
named_put(struct store *s, enum named_kind k, const union named_rec *r, char *err,
          size_t errlen)
{
	switch (k) {
	case NK_DIALPLAN: return store_dialplan_put(s, &r->p, err, errlen);
	case NK_SOFTKEYS: return store_softkeys_put(s, &r->k, err, errlen);
	default:          return store_fpolicy_put(s, &r->f, err, errlen);
	}
}

static int
named_write(struct cli *c, const struct cli_cmd *self, int argc, char **argv,
            enum named_kind kind, int create)
{
	struct named_opts o = { .kind = kind, .create = create };
	union named_rec r;
	char err[CLI_ERR_MAX], file[CFG_NAMED_FILE_MAX];
	static const enum cfg_file_kind fk[] = { CFG_FILE_DIALPLAN, CFG_FILE_SOFTKEYS,
	                                         CFG_FILE_FEATURE_POLICY };
	struct store *s;
	int rc;

	if ((rc = named_args(self, argc, argv, &o)) != CLI_OK)
		return rc;
	if (cfg_recname_check("name", o.name, err, sizeof(err)) < 0)
		return cli_fail("%s: %s", group(kind), err);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = named_load(s, &o, &r, err, sizeof(err)) < 0 ||
	     named_change(&o, &r, err, sizeof(err)) < 0 ||
	     named_put(s, kind, &r, err, sizeof(err)) != 0;
	store_close(s);
	if (rc)
		return cli_fail("%s %s: %s", group(kind), create ? "add" : "set", err);
	if (cfg_named_file(fk[kind], o.name, file, sizeof(file)) == 0)
		printf("%s %s saved; devices name it as %s\n", group(kind), o.name, file);
	return CLI_OK;
}

/* ---- list / show / delete ------------------------------------------------- */

static int
list_dialplan(void *ctx, const struct cfg_dialplan *p)
{
	(void)ctx;
	printf("%-32s %3zu rule(s)  %s\n", p->name, p->count, p->description);
	return 0;
}

static int
list_softkeys(void *ctx, const struct cfg_softkeys *k)
{
	(void)ctx;
	printf("%-32s %s\n", k->name, k->description);
	return 0;
}

static int
list_fpolicy(void *ctx, const struct cfg_fpolicy *f)
{
	(void)ctx;
	printf("%-32s %s\n", f->name, f->description);
	return 0;
}

static int
named_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv,
           enum named_kind kind)
{
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = kind == NK_DIALPLAN ? store_dialplan_list(s, list_dialplan, NULL, err, sizeof(err))
	     : kind == NK_SOFTKEYS ? store_softkeys_list(s, list_softkeys, NULL, err, sizeof(err))
	     : store_fpolicy_list(s, list_fpolicy, NULL, err, sizeof(err));
	store_close(s);
	return rc != 0 ? cli_fail("%s list: %s", group(kind), err) : CLI_OK;
}

/* show prints the file the daemons serve for the record. */
static int
named_show(struct cli *c, const struct cli_cmd *self, int argc, char **argv,
           enum named_kind kind)
{
	static const enum cfg_file_kind fk[] = { CFG_FILE_DIALPLAN, CFG_FILE_SOFTKEYS,
	                                         CFG_FILE_FEATURE_POLICY };
	struct cfg_output out;
	char err[CLI_ERR_MAX];
	struct store *s;
	uint64_t gen;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = store_render_named(s, fk[kind], argv[optind], &out, &gen, err, sizeof(err));
	store_close(s);
	if (rc != 0)
		return cli_fail("%s show: %s", group(kind), err);
	rc = fwrite(out.data, 1, out.len, stdout) == out.len ? CLI_OK
	     : cli_fail("%s show: cannot write output", group(kind));
	cfg_output_free(&out);
	return rc;
}

static int
named_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv,
             enum named_kind kind)
{
	return cli_store_by_name(c, self, argc, argv, "NAME",
	                         kind == NK_DIALPLAN ? store_dialplan_delete
	                         : kind == NK_SOFTKEYS ? store_softkeys_delete
	                         : store_fpolicy_delete,
	                         kind == NK_DIALPLAN ? "dialplan delete"
	                         : kind == NK_SOFTKEYS ? "softkeys delete"
	                         : "feature-policy delete",
	                         "deleted ", "");
}

/* ---- dispatch: one table per group, the kind from the group name --------- */

static enum named_kind
kind_of(const struct cli_cmd *self)
{
	return strcmp(self->name, "dialplan") == 0 ? NK_DIALPLAN
	       : strcmp(self->name, "softkeys") == 0 ? NK_SOFTKEYS : NK_FPOLICY;
}

static int
sub_add(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return named_write(c, self, argc, argv, kind_of(self), 1);
}

static int
sub_set(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return named_write(c, self, argc, argv, kind_of(self), 0);
}

static int
sub_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return named_list(c, self, argc, argv, kind_of(self));
}

static int
sub_show(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return named_show(c, self, argc, argv, kind_of(self));
}

static int
sub_delete(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return named_delete(c, self, argc, argv, kind_of(self));
}

int
cmd_named(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", sub_add },
		{ "set", sub_set },
		{ "list", sub_list },
		{ "show", sub_show },
		{ "delete", sub_delete },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
