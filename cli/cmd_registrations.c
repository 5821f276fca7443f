/*
 * cmd_registrations.c - `oprovctl registrations`: the SIP bindings oprov-sipd
 * currently holds, as it last wrote them to the store.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"

struct reg_list {
	json_t *arr;
	int64_t now;
	size_t n;
};

static int
reg_one(void *ctx, const struct store_binding *b)
{
	struct reg_list *l = ctx;

	if (b->expires <= l->now)
		return 0;
	l->n++;
	if (l->arr != NULL)
		return json_array_append_new(l->arr, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, "
		    "s:I, s:s}", "aor", b->aor, "device", b->device, "reg_id", (json_int_t)b->reg_id,
		    "instance", b->instance, "contact", b->contact, "node", b->node,
		    "expires", (json_int_t)b->expires, "firmware", b->firmware)) < 0 ? -1 : 0;
	printf("%-16s %-12s %5llds %s %s\n", b->device[0] ? b->device : "-", b->node,
	       (long long)(b->expires - l->now), b->contact, b->firmware[0] ? b->firmware : "-");
	return 0;
}

int
cmd_registrations(struct cli *c, int argc, char **argv)
{
	const struct cli_cmd *self = cli_cmd_find("registrations");
	struct reg_list l = { NULL, time(NULL), 0 };
	char err[CLI_ERR_MAX];
	struct store *s;
	int rc;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	if (c->json)
		l.arr = json_array();
	else
		printf("%-16s %-12s %6s %s %s\n", "DEVICE", "NODE", "LEFT", "CONTACT", "FIRMWARE");
	rc = store_binding_list(s, reg_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		json_decref(l.arr);
		return cli_fail("registrations: %s", err);
	}
	if (l.arr != NULL)
		return cli_json_print(l.arr);
	printf("%zu registration(s)\n", l.n);
	return CLI_OK;
}
