/*
 * main.c - oprov-httpsd: flags, common/'s start-up sequence (the gate on
 * the store and the TLS pair, bind the listeners and open the file root,
 * pid file, drop privileges, daemonize), serve, SIGHUP reload.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "httpsd/httpsd_int.h"

#define PROG "oprov-httpsd"

static const char usage_text[] =
"usage: " PROG " -d DATADIR [-f] [--user U] [--config-listen [ADDR:]PORT]\n"
"       [--http-listen [ADDR:]PORT] [--oauth-listen [ADDR:]PORT]\n"
"       [--metrics-listen [ADDR:]PORT] [--files DIR]\n"
"       [--threads N] [--max-connections N] [--per-ip-connections N]\n"
"       [--timeout SECONDS] [--busy-timeout SECONDS] [--min-rate BYTES]\n"
"       [--drain-timeout SECONDS] [--share-port]\n"
"       [--connection-memory BYTES] [--tls-policy NAME]\n"
"       [--tls-ticket-lifetime SECONDS] [--tls-priorities STRING]\n"
"       [--tls-early-start on|off] [--realm REALM] [--code-attempts N]\n"
"       [--code-window SECONDS] [--code-device-attempts N]\n"
"       [--code-global-attempts N]\n"
"\n"
"Serves token-gated device configs over HTTPS (6971), public files over HTTP\n"
"(6970) and the OAuth authorization server (8443) from the oprov store, and\n"
"its counters as /metrics on a listener of its own (loopback by default).\n"
"\n"
"  -d, --datadir DIR|URI      the data directory: the store (DIR/oprov.db, or the\n"
"                             one DIR/oprov.conf names), pid file DIR/run/" PROG ".pid;\n"
"                             or a postgresql:// URI (data directory: $OPROV_DATADIR,\n"
"                             else /var/lib/oprov)\n"
"  -f, --foreground           stay in the foreground, log to stderr (else syslog)\n"
"      --user U               drop privileges to U after binding\n"
"      --config-listen SPEC   HTTPS config port (default 6971)\n"
"      --http-listen SPEC     HTTP public-file port (default 6970)\n"
"      --oauth-listen SPEC    HTTPS OAuth port (default 8443)\n"
"      --metrics-listen SPEC  HTTP /metrics and /healthz (default\n"
"                             " HTTPSD_METRICS_LISTEN ", loopback only)\n"
"                             SPEC: PORT, ADDR:PORT, [V6ADDR]:PORT or off;\n"
"                             without ADDR all IPv4 and IPv6 addresses\n"
"      --files DIR            file root (default DATADIR/files)\n"
"      --threads N            threads per listener (default: one per core)\n"
"      --event-loop epoll|poll  libmicrohttpd's loop in each thread (default epoll)\n"
"      --max-connections N    connections per listener (default 4096; lowered\n"
"                             to fit the descriptor limit)\n"
"      --per-ip-connections N connections from one address (default 64)\n"
"      --timeout SECONDS      a whole request (TLS handshake, headers, body)\n"
"                             and idleness (default 15)\n"
"      --busy-timeout SECONDS the same while a listener has 75% of its\n"
"                             connections open (default 3)\n"
"      --min-rate BYTES       a request body's minimum rate per second after\n"
"                             its first 4 s, 1 s when busy (default 128, 0: none)\n"
"      --share-port           let other programs share the ports (SO_REUSEPORT);\n"
"                             without it a port in use stops start-up\n"
"      --drain-timeout SECONDS  how long connections open at a SIGHUP may\n"
"                             finish on the old certificate (default 60)\n"
"      --connection-memory B  memory per connection (default 20480)\n"
"      --tls-policy NAME      intermediate (TLS 1.2 ECDHE+AEAD and TLS 1.3,\n"
"                             the default) or modern (TLS 1.3 only); the same\n"
"                             names as oprov-sipd's\n"
"      --tls-ticket-lifetime SECONDS  session tickets valid this long, their\n"
"                             keys rotated as often; 0: no tickets\n"
"                             (default 3600)\n"
"      --tls-priorities S     a GnuTLS priority string instead of the policy\n"
"      --tls-early-start on|off  TLS 1.3: finish the handshake in the first\n"
"                             read of the request (default on)\n"
"      --realm REALM          Bearer realm (default " HTTPSD_REALM ")\n"
"      --code-attempts N      failed activation codes from one address for\n"
"                             one device per window (default 10)\n"
"      --code-window SECONDS  that window (default 300)\n"
"      --code-device-attempts N  failed codes for one device from all\n"
"                             addresses per window (default 30)\n"
"      --code-global-attempts N  failed codes in all per window (default 1000)\n"
"  -h, --help                 this text\n";

enum {
	OPT_USER = 256, OPT_CONFIG, OPT_HTTP, OPT_OAUTH, OPT_FILES, OPT_THREADS,
	OPT_MAXCONN, OPT_PERIP, OPT_TIMEOUT, OPT_MEMORY, OPT_PRIO, OPT_REALM,
	OPT_CODES, OPT_WINDOW, OPT_LOOP, OPT_DRAIN, OPT_EARLY, OPT_BUSY, OPT_RATE,
	OPT_SHARE, OPT_CODEDEV, OPT_CODEALL, OPT_POLICY, OPT_TICKETS, OPT_METRICS
};

static const struct option long_opts[] = {
	{ "datadir", required_argument, NULL, 'd' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "user", required_argument, NULL, OPT_USER },
	{ "config-listen", required_argument, NULL, OPT_CONFIG },
	{ "http-listen", required_argument, NULL, OPT_HTTP },
	{ "oauth-listen", required_argument, NULL, OPT_OAUTH },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS },
	{ "files", required_argument, NULL, OPT_FILES },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-connections", required_argument, NULL, OPT_MAXCONN },
	{ "per-ip-connections", required_argument, NULL, OPT_PERIP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
	{ "connection-memory", required_argument, NULL, OPT_MEMORY },
	{ "tls-priorities", required_argument, NULL, OPT_PRIO },
	{ "realm", required_argument, NULL, OPT_REALM },
	{ "code-attempts", required_argument, NULL, OPT_CODES },
	{ "code-window", required_argument, NULL, OPT_WINDOW },
	{ "event-loop", required_argument, NULL, OPT_LOOP },
	{ "tls-early-start", required_argument, NULL, OPT_EARLY },
	{ "busy-timeout", required_argument, NULL, OPT_BUSY },
	{ "min-rate", required_argument, NULL, OPT_RATE },
	{ "share-port", no_argument, NULL, OPT_SHARE },
	{ "code-device-attempts", required_argument, NULL, OPT_CODEDEV },
	{ "code-global-attempts", required_argument, NULL, OPT_CODEALL },
	{ "tls-policy", required_argument, NULL, OPT_POLICY },
	{ "tls-ticket-lifetime", required_argument, NULL, OPT_TICKETS },
	{ NULL, 0, NULL, 0 }
};

/* The flags with their defaults; a flat switch, one case per flag. */
static int
parse_args(int argc, char **argv, struct httpsd_opts *o)
{
	long long v;
	int c;

	o->conn_limit = HTTPSD_CONN_LIMIT;
	o->per_ip_limit = HTTPSD_PER_IP_LIMIT;
	o->timeout = HTTPSD_TIMEOUT;
	o->busy_timeout = HTTPSD_BUSY_TIMEOUT;
	o->min_rate = HTTPSD_MIN_RATE;
	o->code_device_fails = HTTPSD_CODE_DEVICE_FAILS;
	o->code_global_fails = HTTPSD_CODE_GLOBAL_FAILS;
	o->drain = HTTPSD_DRAIN;
	o->conn_memory = HTTPSD_CONN_MEMORY;
	o->policy = tls_policy_find(TLS_POLICY_DEFAULT);
	o->ticket_lifetime = TLS_TICKET_LIFETIME_DEFAULT;
	o->realm = HTTPSD_REALM;
	o->code_fails = HTTPSD_CODE_FAILS;
	o->code_window = HTTPSD_CODE_WINDOW;
	while ((c = getopt_long(argc, argv, "d:fh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->datadir = optarg; break;
		case 'f': o->foreground = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case OPT_USER: o->user = optarg; break;
		case OPT_CONFIG: o->listen[LST_CONFIG] = optarg; break;
		case OPT_HTTP: o->listen[LST_HTTP] = optarg; break;
		case OPT_OAUTH: o->listen[LST_OAUTH] = optarg; break;
		case OPT_METRICS: o->listen[LST_METRICS] = optarg; break;
		case OPT_FILES: o->files = optarg; break;
		case OPT_THREADS:
			if (num_opt(PROG, "threads", optarg, 1, 256, &v) < 0) return -1;
			o->threads = (unsigned)v;
			break;
		case OPT_MAXCONN:
			if (num_opt(PROG, "max-connections", optarg, 1, 1000000, &v) < 0) return -1;
			o->conn_limit = (unsigned)v;
			break;
		case OPT_PERIP:
			if (num_opt(PROG, "per-ip-connections", optarg, 1, 1000000, &v) < 0) return -1;
			o->per_ip_limit = (unsigned)v;
			break;
		case OPT_DRAIN:
			if (num_opt(PROG, "drain-timeout", optarg, 0, 86400, &v) < 0) return -1;
			o->drain = (unsigned)v;
			break;
		case OPT_TIMEOUT:
			if (num_opt(PROG, "timeout", optarg, 1, 3600, &v) < 0) return -1;
			o->timeout = (unsigned)v;
			break;
		case OPT_BUSY:
			if (num_opt(PROG, "busy-timeout", optarg, 1, 3600, &v) < 0) return -1;
			o->busy_timeout = (unsigned)v;
			break;
		case OPT_RATE:
			if (num_opt(PROG, "min-rate", optarg, 0, 1000000000, &v) < 0) return -1;
			o->min_rate = (unsigned)v;
			break;
		case OPT_SHARE: o->share_port = 1; break;
		case OPT_CODEDEV:
			if (num_opt(PROG, "code-device-attempts", optarg, 1, 1000000, &v) < 0)
				return -1;
			o->code_device_fails = (unsigned)v;
			break;
		case OPT_CODEALL:
			if (num_opt(PROG, "code-global-attempts", optarg, 1, 100000000, &v) < 0)
				return -1;
			o->code_global_fails = (unsigned)v;
			break;
		case OPT_MEMORY:
			if (num_opt(PROG, "connection-memory", optarg, 12288, 1048576, &v) < 0)
				return -1;
			o->conn_memory = (size_t)v;
			break;
		case OPT_PRIO: o->priorities = optarg; break;
		case OPT_POLICY:
			if ((o->policy = tls_policy_find(optarg)) == NULL) {
				fprintf(stderr, PROG ": --tls-policy: one of %s\n",
				        tls_policy_names());
				return -1;
			}
			break;
		case OPT_TICKETS:
			if (strcmp(optarg, "0") == 0)
				v = 0;
			else if (num_opt(PROG, "tls-ticket-lifetime", optarg,
			                 TLS_TICKET_LIFETIME_MIN,
			                 TLS_TICKET_LIFETIME_MAX, &v) < 0)
				return -1;
			o->ticket_lifetime = (unsigned)v;
			break;
		case OPT_LOOP:
			if (strcmp(optarg, "epoll") == 0)
				o->use_poll = 0;
			else if (strcmp(optarg, "poll") == 0)
				o->use_poll = 1;
			else {
				fprintf(stderr, PROG ": --event-loop: epoll or poll\n");
				return -1;
			}
			break;
		case OPT_EARLY:
			if (strcmp(optarg, "on") == 0)
				o->tls_wait_finished = 0;
			else if (strcmp(optarg, "off") == 0)
				o->tls_wait_finished = 1;
			else {
				fprintf(stderr, PROG ": --tls-early-start: on or off\n");
				return -1;
			}
			break;
		case OPT_REALM:
			if (optarg[0] == '\0' || strpbrk(optarg, "\"\\\r\n") != NULL) {
				fprintf(stderr, PROG ": --realm: no quotes, backslashes or newlines\n");
				return -1;
			}
			o->realm = optarg;
			break;
		case OPT_CODES:
			if (num_opt(PROG, "code-attempts", optarg, 1, 1000000, &v) < 0) return -1;
			o->code_fails = (unsigned)v;
			break;
		case OPT_WINDOW:
			if (num_opt(PROG, "code-window", optarg, 1, 86400, &v) < 0) return -1;
			o->code_window = (unsigned)v;
			break;
		default:
			fputs(usage_text, stderr);
			return -1;
		}
	}
	if (optind != argc || o->datadir == NULL) {
		fprintf(stderr, PROG ": -d DATADIR is required\n");
		fputs(usage_text, stderr);
		return -1;
	}
	return 0;
}

static int
bind_listeners(struct httpsd *h, char *err, size_t errlen)
{
	static const uint16_t defport[LST_COUNT] = {
		HTTPSD_CONFIG_PORT, HTTPSD_HTTP_PORT, HTTPSD_OAUTH_PORT,
		HTTPSD_METRICS_PORT };
	static const char *const names[LST_COUNT] = {
		"https-config", "http-public", "https-oauth", "http-metrics" };
	char lerr[256];

	for (int k = 0; k < LST_COUNT; k++) {
		struct httpsd_listener *l = &h->lst[k];
		const char *spec = h->o.listen[k];
		char port[8];

		l->h = h;
		l->kind = (enum httpsd_listener_kind)k;
		l->fd = -1;
		l->name = names[k];
		if (spec == NULL && k == LST_METRICS) {
			spec = HTTPSD_METRICS_LISTEN;
		} else if (spec == NULL) {
			snprintf(port, sizeof(port), "%u", defport[k]);
			spec = port;
		}
		if (listen_parse(spec, defport[k], &l->addr, lerr, sizeof(lerr)) < 0) {
			snprintf(err, errlen, "%s: %s", l->name, lerr);
			return -1;
		}
		if (l->addr.off) {
			l->name = NULL;
			continue;
		}
		if (listen_claim(&l->addr, SOCK_STREAM, h->o.share_port, lerr,
		                 sizeof(lerr)) < 0)
			l->fd = -1;
		else
			l->fd = listen_socket(&l->addr, SOCK_STREAM, h->o.share_port, 1024,
			                      lerr, sizeof(lerr));
		if (l->fd < 0) {
			snprintf(err, errlen, "%s: %s", names[k], lerr);
			return -1;
		}
		l->port = listen_bound_port(l->fd);
	}
	return 0;
}

static int
start_all(struct httpsd *h)
{
	char err[256];

	for (int k = 0; k < LST_COUNT; k++) {
		struct httpsd_listener *l = &h->lst[k];
		if (l->fd < 0)
			continue;
		if (httpsd_listener_start(l, err, sizeof(err)) < 0) {
			log_msg(LOG_ERR, "%s", err);
			return -1;
		}
		log_msg(LOG_INFO, "listening %s on %s port %d", l->name, l->addr.text,
		        l->port);
	}
	return 0;
}

static void
stop_all(struct httpsd *h, int keep)
{
	for (int k = 0; k < LST_COUNT; k++)
		httpsd_listener_stop(&h->lst[k], keep);
}

/* New listeners with the new certificate take the sockets over at once;
 * the old ones finish their connections (up to --drain-timeout) so a
 * reload cuts no download short. */
static int
reload(struct httpsd *h)
{
	char err[256];
	time_t until = time(NULL) + (time_t)h->o.drain;

	log_msg(LOG_INFO, "reload: certificates and listeners");
	for (int k = 0; k < LST_COUNT; k++)
		httpsd_listener_retire(&h->lst[k], until);
	if (httpsd_tls_load(h, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "reload: %s (keeping the previous certificate)", err);
	return start_all(h);
}

/* Once every retired listener has stopped, the pair they served goes. */
static void
drain_all(struct httpsd *h)
{
	int draining = 0;
	time_t now = time(NULL);

	for (int k = 0; k < LST_COUNT; k++)
		draining |= httpsd_listener_drain(&h->lst[k], now);
	if (!draining && h->tls_retired != NULL) {
		httpsd_tls_free(h->tls_retired);
		h->tls_retired = NULL;
	}
}

/* Start-up's "store" step: the gate (with the signing key: the token
 * endpoint issues tokens) and the TLS pair. */
static int
open_store(void *arg, char *err, size_t errlen)
{
	struct httpsd *h = arg;
	struct gate_options go;

	memset(&go, 0, sizeof(go));
	go.datadir = h->o.datadir;
	go.signing_key = 1;
	go.trust_files = 1;                   /* ITL/CTL files, NAME.sgn */
	go.program = PROG;
	go.lock_wait_ms = HTTPSD_LOCK_WAIT_MS;
	if ((h->gate = gate_open(&go, err, errlen)) == NULL)
		return -1;
	return httpsd_tls_load(h, err, errlen);
}

/* What this daemon serves, for its heartbeat in the store. */
static int
identify(struct httpsd *h, char *err, size_t errlen)
{
	char serves[STORE_SERVES_MAX] = "";
	size_t n = 0;

	for (int k = 0; k < LST_COUNT; k++)
		if (h->lst[k].fd >= 0 && n < sizeof(serves))
			n += (size_t)snprintf(serves + n, sizeof(serves) - n, "%s%s %d/tcp",
			                      n ? ", " : "", h->lst[k].name, h->lst[k].port);
	return gate_identify(h->gate, NULL, serves, err, errlen);
}

/* Start-up's "bind" step: the three listeners and the file root. */
static int
bind_all(void *arg, char *err, size_t errlen)
{
	struct httpsd *h = arg;

	if (bind_listeners(h, err, errlen) < 0 || identify(h, err, errlen) < 0)
		return -1;
	h->root_fd = open(h->files_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->root_fd < 0) {
		/* No file root yet: an empty one, so only generated files
		 * (configs, caconfig.json) are served. */
		if (h->o.files == NULL && mkdir(h->files_path, 0755) == 0)
			h->root_fd = open(h->files_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (h->root_fd < 0) {
			snprintf(err, errlen, "file root %.400s: %s", h->files_path,
			         strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
write_stats(struct httpsd *h, const char *path)
{
	struct stats s;
	char err[512];

	static int failing;     /* logged once until a write succeeds */

	stats_init(&s);
	httpsd_stats(h, &s);
	if (stats_write_file(&s, path, err, sizeof(err)) < 0) {
		if (!failing)
			log_msg(LOG_WARNING, "%s (logged again once it recovers)", err);
		failing = 1;
	} else {
		failing = 0;
	}
	stats_free(&s);
}

/* The start-up steps daemon_start() runs for httpsd. */
static void
start_steps(struct daemon_start *ds, struct httpsd *h)
{
	static const char *const store_files[] = STORE_DB_FILES;

	ds->prog = PROG;
	ds->datadir = store_datadir(h->o.datadir);
	ds->user = h->o.user;
	ds->foreground = h->o.foreground;
	ds->store_files = store_files;
	ds->file_root = h->files_path;
	ds->file_root_in_datadir = h->o.files == NULL;
	ds->open_store = open_store;
	ds->bind = bind_all;
	ds->arg = h;
}

int
main(int argc, char **argv)
{
	static struct httpsd h;
	static volatile sig_atomic_t want_reload, want_stop;
	struct daemon_start ds;
	char err[512], statsfile[4200];
	int rc = 1;

	if (parse_args(argc, argv, &h.o) < 0)
		return 2;
	if (httpsd_tls_setup(&h.o, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	for (int k = 0; k < LST_COUNT; k++)
		h.lst[k].fd = -1;
	h.root_fd = -1;
	if (h.o.files != NULL)
		snprintf(h.files_path, sizeof(h.files_path), "%s", h.o.files);
	else
		snprintf(h.files_path, sizeof(h.files_path), "%s/files",
		         store_datadir(h.o.datadir));
	memset(&ds, 0, sizeof(ds));
	if (httpsd_state_init(&h, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	start_steps(&ds, &h);
	if (daemon_start(&ds) < 0)
		goto out;
	snprintf(statsfile, sizeof(statsfile), "%s/" PROG ".stats", ds.rundir);
	daemon_signals(&want_reload, &want_stop);
	if (gate_start(h.gate, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	httpsd_fit_fds(&h);
	if (start_all(&h) < 0)
		goto out;
	{
		const struct gate_snap *snap = gate_snap(h.gate);
		log_msg(LOG_INFO, "ready: issuer %s, file root %s", snap->issuer,
		        h.files_path);
		gate_snap_release(snap);
	}
	while (!want_stop) {
		if (want_reload) {
			want_reload = 0;
			if (reload(&h) < 0)
				goto out;
		}
		drain_all(&h);
		write_stats(&h, statsfile);
		/* About a second; a signal ends it early. */
		for (int i = 0; i < 1000 / HTTPSD_SWEEP_MS && !want_stop && !want_reload; i++) {
			struct timespec ts = { 0, HTTPSD_SWEEP_MS * 1000000L };
			httpsd_sweep(&h);
			nanosleep(&ts, NULL);
		}
	}
	log_msg(LOG_INFO, "stopping");
	rc = 0;
out:
	stop_all(&h, 0);
	for (int k = 0; k < LST_COUNT; k++)
		if (h.lst[k].fd >= 0)
			close(h.lst[k].fd);
	if (h.root_fd >= 0)
		close(h.root_fd);
	if (ds.pid_owned)
		unlink(statsfile);      /* counters of a stopped daemon would read as current */
	httpsd_state_free(&h);
	gate_close(h.gate);
	daemon_finish(&ds);
	return rc;
}
