/*
 * cmd_code.c - `oprovctl activation-code issue|list|revoke`: the 16-digit,
 * single-use codes a phone onboards with.  The code is shown once; the
 * store keeps only trust_secret_hash(SECRET_ACTIVATION_CODE, code).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/render_device.h"
#include "store/store.h"
#include "trust/trust.h"

#define CODE_DIGITS 16

/* Uniform decimal digits: bytes >= 250 are dropped so 0-9 stay equally
 * likely (250 = 25 * 10). */
static int
code_make(char out[CODE_DIGITS + 1])
{
	unsigned char buf[32];
	size_t n = 0;

	while (n < CODE_DIGITS) {
		if (trust_random(buf, sizeof(buf)) < 0)
			return -1;
		for (size_t i = 0; i < sizeof(buf) && n < CODE_DIGITS; i++)
			if (buf[i] < 250)
				out[n++] = (char)('0' + buf[i] % 10);
	}
	out[n] = '\0';
	mem_wipe(buf, sizeof(buf));
	return 0;
}

static int
code_issue(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hours", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	const char *hours_text = NULL;
	char err[CLI_ERR_MAX], code[CODE_DIGITS + 1], hash[65], tb[40];
	struct cfg_params p;
	struct cfg_device d;
	long long hours;
	int64_t now = time(NULL);
	struct store *s;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'H')
			hours_text = optarg;
		else
			return cli_bad_option(self, argv);
	}
	if ((rc = cli_positional(self, argc, argv, 1, "NAME")) != 0)
		return rc;
	if (hours_text != NULL &&
	    cli_int("--hours", hours_text, 1, 8760, &hours, err, sizeof(err)) < 0)
		return cli_fail("activation-code issue: %s", err);
	if ((s = cli_store_open(c)) == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	if (store_device_get(s, argv[optind], &d, err, sizeof(err)) != 0) {
		cli_fail("activation-code issue: %s", err);
		goto out;
	}
	if (hours_text == NULL) {
		if (render_params_load(s, &p, err, sizeof(err)) < 0) {
			cli_fail("activation-code issue: %s", err);
			goto out;
		}
		hours = p.activation_code_hours;
	}
	if (code_make(code) < 0) {
		cli_fail("activation-code issue: no random numbers");
		goto out;
	}
	trust_secret_hash(SECRET_ACTIVATION_CODE, code, CODE_DIGITS, hash);
	if (store_code_issue(s, d.name, hash, now, now + hours * 3600, err, sizeof(err)) != 0) {
		cli_fail("activation-code issue: %s", err);
		goto out;
	}
	printf("%s\n", code);
	fprintf(stderr, "oprovctl: activation code for %s, single use, expires %s; it is not "
	        "shown again\n", d.name, cli_time(now + hours * 3600, tb, sizeof(tb)));
	log_msg(LOG_NOTICE, "activation code issued for %s, %lld hours", d.name, hours);
	rc = CLI_OK;
out:
	mem_wipe(code, sizeof(code));
	store_close(s);
	return rc;
}

struct code_list {
	json_t *arr;
	int64_t now;
};

static const char *
code_state(const struct store_code *sc, int64_t now)
{
	if (sc->used_at != 0)
		return "used";
	return sc->expires <= now ? "expired" : "unused";
}

static int
code_list_one(void *ctx, const struct store_code *sc)
{
	struct code_list *l = ctx;
	char t1[40], t2[40];

	if (l->arr != NULL)
		return json_array_append_new(l->arr, json_pack("{s:s, s:I, s:I, s:I, s:s}",
		    "device", sc->device, "created", (json_int_t)sc->created, "expires",
		    (json_int_t)sc->expires, "used_at", (json_int_t)sc->used_at, "state",
		    code_state(sc, l->now))) < 0 ? -1 : 0;
	printf("%-16s %-8s %-23s %s\n", sc->device, code_state(sc, l->now),
	       cli_time(sc->created, t1, sizeof(t1)), cli_time(sc->expires, t2, sizeof(t2)));
	return 0;
}

static int
code_list(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	struct code_list l = { NULL, time(NULL) };
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
		printf("%-16s %-8s %-23s %s\n", "DEVICE", "STATE", "ISSUED", "EXPIRES");
	rc = store_code_list(s, code_list_one, &l, err, sizeof(err));
	store_close(s);
	if (rc != 0) {
		json_decref(l.arr);
		return cli_fail("activation-code list: %s", err);
	}
	return l.arr != NULL ? cli_json_print(l.arr) : CLI_OK;
}

static int
code_revoke(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	return cli_store_by_name(c, self, argc, argv, "NAME", store_code_revoke,
	                         "activation-code revoke", "activation codes of ", " revoked");
}

int
cmd_code(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "issue", code_issue },
		{ "list", code_list },
		{ "revoke", code_revoke },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
