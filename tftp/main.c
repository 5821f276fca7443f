/* main.c - oprov-tftpd: flags, then common/'s start-up sequence (log, data
 * directory, the gate on the store, bind and open the root, pid file, drop
 * privileges, daemonize), serve; SIGHUP reloads, SIGTERM stops. */
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
#include "gate/gate.h"
#include "store/store.h"
#include "tftp/tftp.h"

#define STATS_INTERVAL_DEFAULT 5

static void
usage(FILE *f)
{
	fprintf(f,
"usage: oprov-tftpd -d DATADIR [options]\n"
"Read-only TFTP server (RFC 1350, 2347, 2348, 2349, 7440) for oprov.\n"
"\n"
"  -d, --datadir DIR|URI    oprov data directory (required), or a postgresql://\n"
"                           URI (see oprov-httpsd(8))\n"
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
"      --transfer-memory B  read-ahead memory of all transfers together (default\n"
"                           67108864); none before the client's first ACK\n"
"      --share-port         let other programs share the UDP port (SO_REUSEPORT);\n"
"                           without it a port in use stops start-up\n"
"      --stats-interval S   seconds between writes of DATADIR/run/oprov-tftpd.stats (default 5)\n"
"  -h, --help               this text\n");
}

enum {
	O_THREADS = 256, O_MAXT, O_MAXC, O_RATE, O_BURST, O_RETRIES, O_RETRIES1, O_REXMIT, O_REXMAX,
	O_BLKMAX, O_WINMAX, O_TMOMIN, O_TMOMAX, O_NOTSIZE, O_CFMAX, O_CBYTES, O_STATS,
	O_XMEM, O_SHARE,
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
	{ "transfer-memory", required_argument, NULL, O_XMEM },
	{ "share-port", no_argument, NULL, O_SHARE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A numeric flag; a bad one ends the program with 2 (usage). */
static long long
num_arg(const char *opt, const char *s, long long min, long long max)
{
	long long v;

	if (num_opt("oprov-tftpd", opt, s, min, max, &v) != 0)
		exit(2);
	return v;
}

struct tftpd {
	struct tftp_config cfg;
	struct tftp_server *srv;
	struct gate *gate;
	const char *datadir;
	const char *user, *files;
	int foreground, verbose;
	long long stats_interval;
	char files_buf[4096];
};

static int
open_store(void *arg, char *err, size_t errlen)
{
	struct tftpd *t = arg;
	struct gate_options go;

	memset(&go, 0, sizeof(go));
	go.datadir = t->datadir;
	go.store_flags = STORE_READONLY;      /* tftpd never writes */
	go.trust_files = 1;                   /* ITL/CTL files, NAME.sgn */
	t->gate = gate_open(&go, err, errlen);
	t->cfg.gate = t->gate;
	return t->gate ? 0 : -1;
}

static int
bind_all(void *arg, char *err, size_t errlen)
{
	struct tftpd *t = arg;

	t->srv = tftp_server_new(&t->cfg, err, errlen);
	return t->srv ? 0 : -1;
}

static void
write_stats(struct tftp_server *srv, const char *path)
{
	struct tftp_stats st;
	struct stats s;
	char err[512];

	tftp_server_stats(srv, &st);
	stats_init(&s);
#define ADD(f) stats_counter(&s, #f, NULL, st.f);
	TFTP_STATS(ADD)
#undef ADD
	if (stats_write_file(&s, path, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, "%s", err);
	stats_free(&s);
}

/* The flags into t; 0, 1 after --help, or 2 (usage).  A flat switch, one
 * case per flag. */
static int
parse_args(int argc, char **argv, struct tftpd *t)
{
	int c;

	tftp_config_default(&t->cfg);
	t->stats_interval = STATS_INTERVAL_DEFAULT;
	while ((c = getopt_long(argc, argv, "d:fvu:l:F:H:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': t->datadir = optarg; break;
		case 'f': t->foreground = 1; break;
		case 'v': t->verbose = 1; break;
		case 'u': t->user = optarg; break;
		case 'l': t->cfg.listen = optarg; break;
		case 'F': t->files = optarg; break;
		case 'H': t->cfg.file_server = optarg; break;
		case O_THREADS: t->cfg.threads = (unsigned)num_arg("threads", optarg, 1, 256); break;
		case O_MAXT: t->cfg.max_transfers = (unsigned)num_arg("max-transfers", optarg, 1, 1000000); break;
		case O_MAXC: t->cfg.max_per_client = (unsigned)num_arg("max-per-client", optarg, 1, 1000000); break;
		case O_RATE: t->cfg.rate = (unsigned)num_arg("rate", optarg, 0, 1000000); break;
		case O_BURST: t->cfg.burst = (unsigned)num_arg("burst", optarg, 1, 1000000); break;
		case O_RETRIES: t->cfg.retries = (unsigned)num_arg("retries", optarg, 0, 100); break;
		case O_RETRIES1: t->cfg.retries_first = (unsigned)num_arg("retries-first", optarg, 0, 100); break;
		case O_REXMIT: t->cfg.rexmit_ms = (unsigned)num_arg("rexmit-ms", optarg, 10, 255000); break;
		case O_REXMAX: t->cfg.rexmit_max_ms = (unsigned)num_arg("rexmit-max-ms", optarg, 10, 255000); break;
		case O_BLKMAX: t->cfg.limits.blksize_max = (uint32_t)num_arg("blksize-max", optarg, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX); break;
		case O_WINMAX: t->cfg.limits.windowsize_max = (uint32_t)num_arg("windowsize-max", optarg, TFTP_WINDOW_MIN, TFTP_WINDOW_MAX); break;
		case O_TMOMIN: t->cfg.limits.timeout_min = (uint32_t)num_arg("timeout-min", optarg, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX); break;
		case O_TMOMAX: t->cfg.limits.timeout_max = (uint32_t)num_arg("timeout-max", optarg, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX); break;
		case O_NOTSIZE: t->cfg.limits.tsize = 0; break;
		case O_CFMAX: t->cfg.cache_file_max = (size_t)num_arg("cache-file-max", optarg, 0, 1LL << 32); break;
		case O_CBYTES: t->cfg.cache_bytes = (size_t)num_arg("cache-bytes", optarg, 0, 1LL << 40); break;
		case O_XMEM: t->cfg.transfer_memory = (size_t)num_arg("transfer-memory", optarg, 0, 1LL << 40); break;
		case O_SHARE: t->cfg.share_port = 1; break;
		case O_STATS: t->stats_interval = num_arg("stats-interval", optarg, 1, 3600); break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || t->datadir == NULL) {
		usage(stderr);
		return 2;
	}
	if (t->files == NULL) {
		snprintf(t->files_buf, sizeof(t->files_buf), "%s/files",
		         store_datadir(t->datadir));
		t->files = t->files_buf;
	}
	t->cfg.files = t->files;
	return 0;
}

static void
serve(struct tftpd *t, const char *statsfile, volatile sig_atomic_t *reload,
      volatile sig_atomic_t *stop)
{
	char err[512];
	time_t last_stats = 0;

	while (!*stop) {
		time_t now = time(NULL);
		if (*reload) {
			*reload = 0;
			log_msg(LOG_INFO, "reload: dropping caches, reopening %s", t->files);
			tftp_server_reload(t->srv, err, sizeof(err));
		}
		if (now - last_stats >= t->stats_interval) {
			last_stats = now;
			write_stats(t->srv, statsfile);
		}
		usleep(200 * 1000);
	}
}

int
main(int argc, char **argv)
{
	static volatile sig_atomic_t reload, stop;
	static const char *const store_files[] = STORE_DB_FILES;
	static struct tftpd t;
	struct daemon_start ds;
	char statsfile[4200], err[512];
	int rc;

	if ((rc = parse_args(argc, argv, &t)) != 0)
		return rc == 1 ? 0 : rc;
	rc = 1;
	log_set_level(t.verbose ? LOG_DEBUG : LOG_INFO);
	memset(&ds, 0, sizeof(ds));
	ds.prog = "oprov-tftpd";
	ds.datadir = store_datadir(t.datadir);
	ds.user = t.user;
	ds.foreground = t.foreground;
	ds.store_files = store_files;
	ds.file_root = t.files;
	ds.file_root_in_datadir = t.files == t.files_buf;
	ds.open_store = open_store;
	ds.bind = bind_all;
	ds.arg = &t;
	if (daemon_start(&ds) < 0)
		goto out;
	snprintf(statsfile, sizeof(statsfile), "%s/oprov-tftpd.stats", ds.rundir);
	daemon_signals(&reload, &stop);
	if (gate_start(t.gate, err, sizeof(err)) < 0 ||
	    tftp_server_start(t.srv, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	log_msg(LOG_INFO, "serving %s on UDP port %d", t.files, tftp_server_port(t.srv));
	serve(&t, statsfile, &reload, &stop);
	log_msg(LOG_INFO, "stopping");
	rc = 0;
out:
	tftp_server_free(t.srv);
	gate_close(t.gate);
	if (ds.pid_owned)
		unlink(statsfile);      /* counters of a stopped daemon would read as current */
	daemon_finish(&ds);
	return rc;
}
