/*
 * cmd_reload.c - `oprovctl reload`: SIGHUP to every running daemon of this
 * DATADIR, found through its pid file in DATADIR/run.  Data changes reach
 * the daemons by themselves (the store generation); a reload applies what
 * needs new sockets or TLS contexts: ports, certificates, SIP OAuth mode.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli/cli.h"

static const char *const daemons[] = {
	"oprov-httpsd", "oprov-sipd", "oprov-tftpd", NULL,
};

/* The pid in a pid file ("PID\n"), or -1. */
static long long
pid_read(const char *path)
{
	char err[CLI_ERR_MAX], *buf;
	size_t len;
	long long pid;

	if (cli_read_file(path, 64, &buf, &len, err, sizeof(err)) < 0)
		return -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (num_parse(buf, len, 2, 4194304, &pid) < 0)
		pid = -1;
	free(buf);
	return pid;
}

/* Is `pid` still the daemon the pid file was written by?  A pid file left
 * by a crash may name a pid since reused by an unrelated process, which a
 * SIGHUP would kill.  Linux: /proc/PID/comm holds the program name (cut to
 * 15 bytes).  1 yes, 0 no, -1 cannot tell (no /proc). */
static int
pid_is(long long pid, const char *daemon)
{
	char path[64], err[CLI_ERR_MAX], *buf;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%lld/comm", pid);
	if (cli_read_file(path, 64, &buf, &len, err, sizeof(err)) < 0)
		return -1;
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	r = len > 0 && strncmp(buf, daemon, len) == 0 && (len == 15 || daemon[len] == '\0');
	free(buf);
	return r;
}

int
cmd_reload(struct cli *c, int argc, char **argv)
{
	const struct cli_cmd *self = cli_cmd_find("reload");
	char path[CLI_PATH_MAX], name[64];
	int rc, signalled = 0, failed = 0;

	if ((rc = cli_positional(self, argc, argv, 0, "")) != 0)
		return rc;
	for (size_t i = 0; daemons[i] != NULL; i++) {
		long long pid;

		snprintf(name, sizeof(name), "%s/%s.pid", CLI_RUN_DIR, daemons[i]);
		if (cli_path(c, name, path, sizeof(path)) < 0)
			return cli_fail("reload: %s: path too long", c->datadir);
		if ((pid = pid_read(path)) < 0) {
			printf("%s: not running (no pid file)\n", daemons[i]);
			continue;
		}
		if ((kill((pid_t)pid, 0) < 0 && errno == ESRCH) || pid_is(pid, daemons[i]) == 0) {
			printf("%s: not running (stale pid file, pid %lld)\n", daemons[i], pid);
			continue;
		}
		if (kill((pid_t)pid, SIGHUP) < 0) {
			cli_fail("reload: %s (pid %lld): %s", daemons[i], pid, strerror(errno));
			failed++;
			continue;
		}
		printf("%s: signalled (pid %lld)\n", daemons[i], pid);
		log_msg(LOG_NOTICE, "reload: SIGHUP to %s pid %lld", daemons[i], pid);
		signalled++;
	}
	if (signalled == 0 && failed == 0)
		printf("no daemon running for %s\n", c->datadir);
	return failed ? CLI_FAIL : CLI_OK;
}
