/* main.c - oprov-tftpd: parse flags, open logs, bind, open the root, drop
 * privileges, serve; SIGHUP reloads, SIGTERM stops. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "tftp/tftp.h"

#define STATS_INTERVAL_DEFAULT 5

static void
usage(FILE *f)
{
	fprintf(f,
"usage: oprov-tftpd -d DATADIR [options]\n"
"Read-only TFTP server (RFC 1350, 2347, 2348, 2349, 7440) for oprov.\n"
"\n"
"  -d, --datadir DIR        oprov data directory (required)\n"
"  -f, --foreground         stay in the foreground, log to stderr\n"
"  -v, --verbose            also log every transfer (debug level)\n"
"  -u, --user USER          drop privileges to USER after binding\n"
"  -l, --listen [ADDR:]PORT UDP address (default port 69, all addresses)\n"
"  -F, --files DIR          file root (default DATADIR/files)\n"
"  -H, --host NAME          file server host name put for \"{host}\" in rendered URLs\n"
"      --threads N          event loops (default: one per CPU)\n"
"      --max-transfers N    concurrent transfers in total (default 10000)\n"
"      --max-per-client N   concurrent transfers per client address (default 128)\n"
"      --rate N             requests per second per client address (default 200, 0 = no limit)\n"
"      --burst N            requests a client address may send at once (default 400)\n"
"      --retries N          retransmissions of one packet before giving up (default 5)\n"
"      --retries-first N    the same before the client's first ACK (default 2)\n"
"      --rexmit-ms MS       first retransmission timeout (default 1000)\n"
"      --rexmit-max-ms MS   retransmission timeout ceiling after backoff (default 8000)\n"
"      --blksize-max N      largest blksize granted, 8-65464 (default 65464)\n"
"      --windowsize-max N   largest windowsize granted, 1-65535 (default 64)\n"
"      --timeout-min S      smallest timeout option accepted, 1-255 (default 1)\n"
"      --timeout-max S      largest timeout option accepted, 1-255 (default 255)\n"
"      --no-tsize           never answer the tsize option\n"
"      --cache-file-max B   files up to B bytes are held in memory (default 1048576)\n"
"      --cache-bytes B      memory for held files per event loop (default 67108864)\n"
"      --stats-interval S   seconds between writes of DATADIR/run/oprov-tftpd.stats (default 5)\n"
"  -h, --help               this text\n");
}

enum {
	O_THREADS = 256, O_MAXT, O_MAXC, O_RATE, O_BURST, O_RETRIES, O_RETRIES1, O_REXMIT, O_REXMAX,
	O_BLKMAX, O_WINMAX, O_TMOMIN, O_TMOMAX, O_NOTSIZE, O_CFMAX, O_CBYTES, O_STATS,
};

static const struct option longopts[] = {
	{ "datadir", required_argument, NULL, 'd' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "user", required_argument, NULL, 'u' },
	{ "listen", required_argument, NULL, 'l' },
	{ "files", required_argument, NULL, 'F' },
	{ "host", required_argument, NULL, 'H' },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "max-transfers", required_argument, NULL, O_MAXT },
	{ "max-per-client", required_argument, NULL, O_MAXC },
	{ "rate", required_argument, NULL, O_RATE },
	{ "burst", required_argument, NULL, O_BURST },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "retries-first", required_argument, NULL, O_RETRIES1 },
	{ "rexmit-ms", required_argument, NULL, O_REXMIT },
	{ "rexmit-max-ms", required_argument, NULL, O_REXMAX },
	{ "blksize-max", required_argument, NULL, O_BLKMAX },
	{ "windowsize-max", required_argument, NULL, O_WINMAX },
	{ "timeout-min", required_argument, NULL, O_TMOMIN },
	{ "timeout-max", required_argument, NULL, O_TMOMAX },
	{ "no-tsize", no_argument, NULL, O_NOTSIZE },
	{ "cache-file-max", required_argument, NULL, O_CFMAX },
	{ "cache-bytes", required_argument, NULL, O_CBYTES },
	{ "stats-interval", required_argument, NULL, O_STATS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static long long
num_arg(const char *opt, const char *s, long long min, long long max)
{
	long long v;

	if (num_parse_str(s, min, max, &v) < 0) {
		fprintf(stderr, "oprov-tftpd: --%s: \"%s\" is not a number in %lld-%lld\n",
		        opt, s, min, max);
		exit(2);
	}
	return v;
}

static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p == NULL) {
		fprintf(stderr, "oprov-tftpd: out of memory\n");
		exit(1);
	}
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

int
main(int argc, char **argv)
{
	static volatile sig_atomic_t reload, stop;
	struct tftp_config cfg;
	struct tftp_server *srv = NULL;
	const char *datadir = NULL, *user = NULL, *files = NULL;
	char *files_alloc = NULL, *rundir = NULL, *pidfile = NULL, *statsfile = NULL;
	char err[512];
	int foreground = 0, verbose = 0, c, rc = 1, pid_written = 0;
	long long stats_interval = STATS_INTERVAL_DEFAULT;
	time_t last_stats = 0;

	tftp_config_default(&cfg);
	while ((c = getopt_long(argc, argv, "d:fvu:l:F:H:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': datadir = optarg; break;
		case 'f': foreground = 1; break;
		case 'v': verbose = 1; break;
		case 'u': user = optarg; break;
		case 'l': cfg.listen = optarg; break;
		case 'F': files = optarg; break;
		case 'H': cfg.file_server = optarg; break;
		case O_THREADS: cfg.threads = (unsigned)num_arg("threads", optarg, 1, 256); break;
		case O_MAXT: cfg.max_transfers = (unsigned)num_arg("max-transfers", optarg, 1, 1000000); break;
		case O_MAXC: cfg.max_per_client = (unsigned)num_arg("max-per-client", optarg, 1, 1000000); break;
		case O_RATE: cfg.rate = (unsigned)num_arg("rate", optarg, 0, 1000000); break;
		case O_BURST: cfg.burst = (unsigned)num_arg("burst", optarg, 1, 1000000); break;
		case O_RETRIES: cfg.retries = (unsigned)num_arg("retries", optarg, 0, 100); break;
		case O_RETRIES1: cfg.retries_first = (unsigned)num_arg("retries-first", optarg, 0, 100); break;
		case O_REXMIT: cfg.rexmit_ms = (unsigned)num_arg("rexmit-ms", optarg, 10, 255000); break;
		case O_REXMAX: cfg.rexmit_max_ms = (unsigned)num_arg("rexmit-max-ms", optarg, 10, 255000); break;
		case O_BLKMAX: cfg.limits.blksize_max = (uint32_t)num_arg("blksize-max", optarg, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX); break;
		case O_WINMAX: cfg.limits.windowsize_max = (uint32_t)num_arg("windowsize-max", optarg, TFTP_WINDOW_MIN, TFTP_WINDOW_MAX); break;
		case O_TMOMIN: cfg.limits.timeout_min = (uint32_t)num_arg("timeout-min", optarg, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX); break;
		case O_TMOMAX: cfg.limits.timeout_max = (uint32_t)num_arg("timeout-max", optarg, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX); break;
		case O_NOTSIZE: cfg.limits.tsize = 0; break;
		case O_CFMAX: cfg.cache_file_max = (size_t)num_arg("cache-file-max", optarg, 0, 1LL << 32); break;
		case O_CBYTES: cfg.cache_bytes = (size_t)num_arg("cache-bytes", optarg, 0, 1LL << 40); break;
		case O_STATS: stats_interval = num_arg("stats-interval", optarg, 1, 3600); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || datadir == NULL) {
		usage(stderr);
		return 2;
	}
	log_open("oprov-tftpd", foreground);
	log_set_level(verbose ? LOG_DEBUG : LOG_INFO);
	if (files == NULL)
		files = files_alloc = join(datadir, "files");
	rundir = join(datadir, "run");
	pidfile = join(rundir, "oprov-tftpd.pid");
	statsfile = join(rundir, "oprov-tftpd.stats");
	cfg.files = files;
	cfg.datadir = datadir;
	if (mkdir(rundir, 0755) < 0 && errno != EEXIST) {
		log_msg(LOG_ERR, "%s: %s", rundir, strerror(errno));
		goto out;
	}
	if ((srv = tftp_server_new(&cfg, err, sizeof(err))) == NULL) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	if (!foreground && daemon_detach(err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	/* The pid and stats files are written as root before the drop; the
	 * run directory then goes to the daemon user so it can rewrite them. */
	if (daemon_pidfile_write(pidfile, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	pid_written = 1;
	if (user != NULL && geteuid() == 0) {
		struct passwd *pw = getpwnam(user);
		if (pw != NULL && chown(rundir, pw->pw_uid, pw->pw_gid) < 0)
			log_msg(LOG_WARNING, "chown %s: %s", rundir, strerror(errno));
		if (pw != NULL && chown(pidfile, pw->pw_uid, pw->pw_gid) < 0)
			log_msg(LOG_WARNING, "chown %s: %s", pidfile, strerror(errno));
	}
	if (daemon_drop_privileges(user, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	daemon_signals(&reload, &stop);
	if (tftp_server_start(srv, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	log_msg(LOG_INFO, "serving %s on UDP port %d", files, tftp_server_port(srv));
	while (!stop) {
		time_t now = time(NULL);
		if (reload) {
			reload = 0;
			log_msg(LOG_INFO, "reload: dropping caches, reopening %s", files);
			tftp_server_reload(srv, err, sizeof(err));
		}
		if (now - last_stats >= stats_interval) {
			struct tftp_stats st;
			last_stats = now;
			tftp_server_stats(srv, &st);
			if (tftp_stats_write(&st, statsfile, err, sizeof(err)) < 0)
				log_msg(LOG_WARNING, "%s", err);
		}
		usleep(200 * 1000);
	}
	log_msg(LOG_INFO, "stopping");
	rc = 0;
out:
	tftp_server_free(srv);
	if (pid_written) {
		daemon_pidfile_remove(pidfile);
		/* Counters of a stopped daemon would read as current. */
		unlink(statsfile);
	}
	free(files_alloc);
	free(rundir);
	free(pidfile);
	free(statsfile);
	return rc;
}
