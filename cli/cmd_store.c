/*
 * cmd_store.c - `oprovctl store migrate --from sqlite:DIR --to URI`: moves
 * a (running) single-node install's store into PostgreSQL and points the
 * data directory at it (store.h "moving a store").
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

static int
store_migrate(struct cli *c, const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "keep-source", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL, *dir;
	struct store_move_report rep;
	struct store_conf conf;
	char err[CLI_ERR_MAX];
	unsigned flags = 0;
	int ch, rc;

	(void)c;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'k': flags |= STORE_MOVE_KEEP_SOURCE; break;
		default: return cli_bad_option(self, argv);
		}
	}
	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	if (from == NULL || strncmp(from, "sqlite:", 7) != 0 || from[7] == '\0')
		return cli_usage(self, "store migrate: --from sqlite:DIR is required");
	if (to == NULL || !store_is_uri(to))
		return cli_usage(self, "store migrate: --to postgresql://... is required");
	dir = from + 7;
	if (store_conf_load(dir, &conf, err, sizeof(err)) != 0)
		return cli_fail("store migrate: %s", err);
	if (conf.store[0] != '\0')
		return cli_fail("store migrate: %s/" STORE_CONF_NAME " already names a "
		                "store (%s...); nothing to move", dir,
		                strncmp(conf.store, "postgres", 8) == 0 ? "postgresql" :
		                "sqlite");
	if (store_move(dir, to, flags, &rep, err, sizeof(err)) != 0)
		return cli_fail("store migrate: %s", err);
	printf("copied %llu rows of %llu tables: %llu devices, %llu signing keys, "
	       "%llu refresh families, %llu revocations (row counts checked)\n",
	       (unsigned long long)rep.rows, (unsigned long long)rep.tables,
	       (unsigned long long)rep.devices, (unsigned long long)rep.keys,
	       (unsigned long long)rep.families, (unsigned long long)rep.revocations);
	if (flags & STORE_MOVE_KEEP_SOURCE) {
		printf("the SQLite store stays writable (--keep-source); %s/" STORE_CONF_NAME
		       " unchanged\n", dir);
		return CLI_OK;
	}
	snprintf(conf.store, sizeof(conf.store), "%s", to);
	if (store_conf_write(dir, &conf, err, sizeof(err)) != 0)
		return cli_fail("store migrate: copied, SQLite store frozen, but %s "
		                "(write `store = URI` into it by hand)", err);
	printf("%s/" STORE_CONF_NAME ": store = PostgreSQL; the SQLite store refuses "
	       "writes from now on: restart this data directory's daemons\n", dir);
	log_msg(LOG_NOTICE, "store of %s moved to PostgreSQL", dir);
	return CLI_OK;
}

int
cmd_store(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "migrate", store_migrate },
		{ NULL, NULL },
	};

	return cli_dispatch(c, subs, argc, argv);
}
