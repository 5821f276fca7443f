/*
 * sipd.c - oprov-sipd's main(): flags, common/'s start-up sequence (the
 * gate on the store, this node, TLS contexts, bind, pid file, drop
 * privileges, daemonize), the signal loop (SIGHUP reloads the TLS
 * certificates) and the stats file.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sip/sipd_int.h"

static const char usage_text[] =
"usage: oprov-sipd -d DATADIR [-f] [--user U] [--node NAME]\n"
"                  [--tls-listen [ADDR:]PORT] [--mtls-listen [ADDR:]PORT]\n"
"                  [--challenge cisco|rfc8898] [--tls-challenge STYLE]\n"
"                  [--mtls-challenge STYLE] [--realm R] [--authz-server URL]\n"
"                  [--expires-default S] [--expires-min S] [--expires-max S]\n"
"                  [--max-conn N] [--max-conn-per-addr N] [--idle-timeout S]\n"
"                  [--handshake-timeout S] [--message-timeout S]\n"
"                  [--max-bindings N] [--max-bindings-per-device N]\n"
"                  [--domain NAME]... [--loops N] [--tls-policy NAME]\n"
"                  [--tls-ticket-lifetime S] [--share-port] [-v] [--help]\n"
"\n"
"SIP OAuth registration listener: TLS (default: the node's SIP OAuth port,\n"
"5090) and mutual TLS for Expressway-C (the node's SIP MRA OAuth port, 5091),\n"
"listening only while the cluster SIP OAuth mode is on.\n"
"\n"
"  -d DATADIR|URI         the oprov data directory (store, run/), or a\n"
"                         postgresql:// URI (see oprov-httpsd(8))\n"
"  -f                     stay in the foreground, log to stderr\n"
"  --user U               drop privileges to U after binding\n"
"  --node NAME            this node (default: `node` of DATADIR/oprov.conf,\n"
"                         else the first node in the store)\n"
"  --tls-listen SPEC      override the TLS listener (\"off\" disables it)\n"
"  --mtls-listen SPEC     override the mutual-TLS listener (\"off\" disables it)\n"
"  --challenge STYLE      cisco: 407 Proxy-Authenticate (default);\n"
"                         rfc8898: 401 WWW-Authenticate with authz_server\n"
"  --tls-challenge STYLE  the style of the TLS listener only\n"
"  --mtls-challenge STYLE the style of the mutual-TLS listener only\n"
"  --realm R              challenge realm (default ccmsipline)\n"
"  --authz-server URL     RFC 8898 authz_server (default: the token issuer)\n"
"  --expires-default S    binding lifetime when none is asked (3600)\n"
"  --expires-min S        shorter requests get 423 (60)\n"
"  --expires-max S        longer requests are shortened to this (120)\n"
"  --max-conn N           connections in total (20000)\n"
"  --max-conn-per-addr N  connections from one address (256)\n"
"  --idle-timeout S       close a connection silent this long (300)\n"
"  --handshake-timeout S  a TLS handshake must finish within S of the\n"
"                         connection (10)\n"
"  --message-timeout S    a SIP message must arrive whole within S of its\n"
"                         first byte (5)\n"
"  --max-bindings N       bindings in the whole table (200000; each takes\n"
"                         at most about 1 KiB with its strings)\n"
"  --max-bindings-per-device N\n"
"                         bindings one device may hold (4); over it the\n"
"                         device's oldest is replaced\n"
"  --domain NAME          also serve REGISTERs whose Request-URI names NAME\n"
"                         (repeatable; \"*\" serves any).  Always served: the\n"
"                         nodes' hosts, this host's name and addresses\n"
"  --loops N              event loops (default: one per CPU)\n"
"  --tls-policy NAME      intermediate (TLS 1.2 ECDHE+AEAD and TLS 1.3, the\n"
"                         default) or modern (TLS 1.3 only); the same names\n"
"                         as oprov-httpsd's\n"
"  --tls-ticket-lifetime S  session tickets and cached sessions valid this\n"
"                         long, ticket keys rotated as often; 0: no\n"
"                         resumption (3600)\n"
"  --share-port           let other programs bind the ports too (SO_REUSEPORT);\n"
"                         without it a port in use stops the start\n"
"  -v                     log every connection close\n";

static const char *
style_name(enum sip_challenge_style s)
{
	return s == SIP_CHALLENGE_RFC8898 ? "rfc8898" : "cisco";
}

enum {
	OPT_USER = 256, OPT_NODE, OPT_TLS, OPT_MTLS, OPT_CHALLENGE,
	OPT_TLS_CHALLENGE, OPT_MTLS_CHALLENGE, OPT_REALM,
	OPT_AUTHZ, OPT_EXP_DEF, OPT_EXP_MIN, OPT_EXP_MAX, OPT_MAXCONN,
	OPT_PERADDR, OPT_IDLE, OPT_LOOPS, OPT_DOMAIN, OPT_HS_TIMEOUT,
	OPT_MSG_TIMEOUT, OPT_MAX_BINDINGS, OPT_MAX_PER_DEVICE, OPT_HELP, OPT_POLICY,
	OPT_TICKETS, OPT_SHARE
};

static const struct option long_opts[] = {
	{ "user", required_argument, NULL, OPT_USER },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "tls-listen", required_argument, NULL, OPT_TLS },
	{ "mtls-listen", required_argument, NULL, OPT_MTLS },
	{ "challenge", required_argument, NULL, OPT_CHALLENGE },
	{ "tls-challenge", required_argument, NULL, OPT_TLS_CHALLENGE },
	{ "mtls-challenge", required_argument, NULL, OPT_MTLS_CHALLENGE },
	{ "realm", required_argument, NULL, OPT_REALM },
	{ "authz-server", required_argument, NULL, OPT_AUTHZ },
	{ "expires-default", required_argument, NULL, OPT_EXP_DEF },
	{ "expires-min", required_argument, NULL, OPT_EXP_MIN },
	{ "expires-max", required_argument, NULL, OPT_EXP_MAX },
	{ "max-conn", required_argument, NULL, OPT_MAXCONN },
	{ "max-conn-per-addr", required_argument, NULL, OPT_PERADDR },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT },
	{ "message-timeout", required_argument, NULL, OPT_MSG_TIMEOUT },
	{ "max-bindings", required_argument, NULL, OPT_MAX_BINDINGS },
	{ "max-bindings-per-device", required_argument, NULL, OPT_MAX_PER_DEVICE },
	{ "loops", required_argument, NULL, OPT_LOOPS },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "tls-policy", required_argument, NULL, OPT_POLICY },
	{ "tls-ticket-lifetime", required_argument, NULL, OPT_TICKETS },
	{ "share-port", no_argument, NULL, OPT_SHARE },
	{ NULL, 0, NULL, 0 }
};

/* A numeric flag into an unsigned setting. */
static int
uopt(const char *name, const char *v, long long min, long long max,
     unsigned *out)
{
	long long n;

	if (num_opt("oprov-sipd", name, v, min, max, &n) != 0)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* The flags with their defaults; a flat switch, one case per flag. */
static int
parse_args(int argc, char **argv, struct sipd_opts *o)
{
	int c;
	unsigned loops = 0;

	memset(o, 0, sizeof(*o));
	sip_reg_config_init(&o->reg);
	o->conn_max = SIPD_CONN_MAX_DEFAULT;
	o->conn_per_addr = SIPD_CONN_PER_ADDR_DEFAULT;
	o->idle_timeout = SIPD_IDLE_TIMEOUT_DEFAULT;
	o->handshake_timeout = SIPD_HANDSHAKE_TIMEOUT;
	o->message_timeout = SIPD_MESSAGE_TIMEOUT;
	o->tls_style = o->mtls_style = -1;
	o->tls_policy = tls_policy_find(TLS_POLICY_DEFAULT);
	o->ticket_lifetime = TLS_TICKET_LIFETIME_DEFAULT;
	while ((c = getopt_long(argc, argv, "d:fvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->datadir = optarg; break;
		case 'f': o->foreground = 1; break;
		case 'v': o->verbose = 1; break;
		case OPT_USER: o->user = optarg; break;
		case OPT_NODE: o->node = optarg; break;
		case OPT_TLS: o->tls_listen = optarg; break;
		case OPT_MTLS: o->mtls_listen = optarg; break;
		case OPT_CHALLENGE:
		case OPT_TLS_CHALLENGE:
		case OPT_MTLS_CHALLENGE: {
			int st;
			if (strcmp(optarg, "cisco") == 0)
				st = SIP_CHALLENGE_CISCO;
			else if (strcmp(optarg, "rfc8898") == 0)
				st = SIP_CHALLENGE_RFC8898;
			else {
				fprintf(stderr, "oprov-sipd: --%s: cisco or rfc8898\n",
				        c == OPT_CHALLENGE ? "challenge" :
				        c == OPT_TLS_CHALLENGE ? "tls-challenge" :
				        "mtls-challenge");
				return -1;
			}
			if (c == OPT_CHALLENGE)
				o->reg.style = (enum sip_challenge_style)st;
			else if (c == OPT_TLS_CHALLENGE)
				o->tls_style = st;
			else
				o->mtls_style = st;
			break;
		}
		case OPT_REALM:
		case OPT_AUTHZ: {
			char *dst = c == OPT_REALM ? o->reg.realm : o->reg.authz_server;
			size_t sz = c == OPT_REALM ? sizeof(o->reg.realm) :
			            sizeof(o->reg.authz_server);
			/* Goes into a quoted-string of a response header. */
			if (strlen(optarg) >= sz || strpbrk(optarg, "\"\\\r\n") != NULL) {
				fprintf(stderr, "oprov-sipd: %s: too long or holds a "
				        "quote, backslash or line break\n", optarg);
				return -1;
			}
			snprintf(dst, sz, "%s", optarg);
			break;
		}
		case OPT_EXP_DEF:
			if (uopt("expires-default", optarg, 1, 86400,
			            &o->reg.expires_default) < 0)
				return -1;
			break;
		case OPT_EXP_MIN:
			if (uopt("expires-min", optarg, 1, 86400, &o->reg.expires_min) < 0)
				return -1;
			break;
		case OPT_EXP_MAX:
			if (uopt("expires-max", optarg, 1, 86400, &o->reg.expires_max) < 0)
				return -1;
			break;
		case OPT_MAXCONN:
			if (uopt("max-conn", optarg, 1, 1000000, &o->conn_max) < 0)
				return -1;
			break;
		case OPT_PERADDR:
			if (uopt("max-conn-per-addr", optarg, 1, 1000000,
			            &o->conn_per_addr) < 0)
				return -1;
			break;
		case OPT_IDLE:
			if (uopt("idle-timeout", optarg, 5, 86400, &o->idle_timeout) < 0)
				return -1;
			break;
		case OPT_HS_TIMEOUT:
			if (uopt("handshake-timeout", optarg, 1, 300,
			         &o->handshake_timeout) < 0)
				return -1;
			break;
		case OPT_MSG_TIMEOUT:
			if (uopt("message-timeout", optarg, 1, 300,
			         &o->message_timeout) < 0)
				return -1;
			break;
		case OPT_MAX_BINDINGS:
			if (uopt("max-bindings", optarg, 1, 10000000,
			         &o->reg.max_bindings) < 0)
				return -1;
			break;
		case OPT_MAX_PER_DEVICE:
			if (uopt("max-bindings-per-device", optarg, 1, SIP_BINDINGS_PER_AOR,
			         &o->reg.max_per_device) < 0)
				return -1;
			break;
		case OPT_DOMAIN:
			if (o->ndomain == SIPD_DOMAIN_OPTS_MAX || optarg[0] == '\0') {
				fprintf(stderr, "oprov-sipd: --domain: %s\n",
				        optarg[0] ? "given too often" : "empty name");
				return -1;
			}
			o->domain[o->ndomain++] = optarg;
			break;
		case OPT_LOOPS:
			if (uopt("loops", optarg, 1, SIPD_LOOPS_MAX, &loops) < 0)
				return -1;
			break;
		case OPT_POLICY:
			if ((o->tls_policy = tls_policy_find(optarg)) == NULL) {
				fprintf(stderr, "oprov-sipd: --tls-policy: one of %s\n",
				        tls_policy_names());
				return -1;
			}
			break;
		case OPT_TICKETS:
			if (strcmp(optarg, "0") == 0)
				o->ticket_lifetime = 0;
			else if (uopt("tls-ticket-lifetime", optarg,
			              TLS_TICKET_LIFETIME_MIN, TLS_TICKET_LIFETIME_MAX,
			              &o->ticket_lifetime) < 0)
				return -1;
			break;
		case OPT_SHARE: o->share_port = 1; break;
		case OPT_HELP:
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			return -1;
		}
	}
	if (optind != argc || o->datadir == NULL) {
		fputs(usage_text, stderr);
		return -1;
	}
	if (o->reg.expires_min > o->reg.expires_max) {
		fprintf(stderr, "oprov-sipd: --expires-min is above --expires-max\n");
		return -1;
	}
	o->loops = (int)loops;
	{
		char err[160];
		if (sip_tls_configure(o->tls_policy, o->ticket_lifetime, err,
		                      sizeof(err)) < 0) {
			fprintf(stderr, "oprov-sipd: %s\n", err);
			return -1;
		}
	}
	return 0;
}

struct first_node {
	struct cfg_node n;
	int found;
};

static int
node_first(void *ctx, const struct cfg_node *n)
{
	struct first_node *f = ctx;

	if (!f->found) {
		f->n = *n;
		f->found = 1;
	}
	return 0;
}

static void
write_stats(struct sipd *d)
{
	struct sipd_stats s;
	struct stats out;
	char err[512];

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < d->nloops; i++)
		sipd_loop_stats(d->loop[i], &s);
	/* The registrar is one for all loops: its counters once. */
	if (d->reg != NULL) {
		sip_reg_stats(d->reg, &s.reg);
		s.bindings = sip_reg_count(d->reg);
	}
	stats_init(&out);
	stats_counter(&out, "time", NULL, (uint64_t)time(NULL));
	stats_gauge(&out, "sip_oauth_mode", NULL, (uint64_t)d->sip_oauth_mode);
	stats_gauge(&out, "connections_open", NULL, s.conns_open);
	stats_counter(&out, "connections_total", NULL, s.conns_total);
	stats_counter(&out, "tls_handshake_failures", NULL, s.handshake_failures);
	stats_counter(&out, "tls_resumed", NULL, s.resumed);
	stats_counter(&out, "refused_connection_cap", NULL, s.refused_conn_cap);
	stats_counter(&out, "refused_address_cap", NULL, s.refused_addr_cap);
	stats_counter(&out, "framing_errors", NULL, s.framing_errors);
	stats_counter(&out, "keepalive_pings", NULL, s.pings);
	stats_counter(&out, "message_timeouts", NULL, s.message_timeouts);
	stats_counter(&out, "accept_pauses", NULL, s.accept_pauses);
	stats_counter(&out, "bindings_swept", NULL, (uint64_t)atomic_load(&d->swept));
	stats_counter(&out, "requests", NULL, s.reg.requests);
	stats_counter(&out, "registers", NULL, s.reg.registers);
	stats_counter(&out, "options", NULL, s.reg.options);
	stats_counter(&out, "replies_ok", NULL, s.reg.ok);
	stats_counter(&out, "challenges", NULL, s.reg.challenges);
	stats_counter(&out, "invalid_token", NULL, s.reg.invalid_token);
	stats_counter(&out, "forbidden", NULL, s.reg.forbidden);
	stats_counter(&out, "port_mismatch", NULL, s.reg.port_mismatch);
	stats_counter(&out, "tls_auth_failure", NULL, s.reg.tls_auth_failure);
	stats_counter(&out, "bad_request", NULL, s.reg.bad_request);
	stats_counter(&out, "other_errors", NULL, s.reg.other_errors);
	stats_gauge(&out, "bindings", NULL, s.bindings);
	stats_counter(&out, "bindings_added", NULL, s.reg.bindings_added);
	stats_counter(&out, "bindings_removed", NULL, s.reg.bindings_removed);
	stats_counter(&out, "store_batches", NULL, d->store_writes);
	stats_counter(&out, "store_errors", NULL, d->store_errors);
	if (stats_write_file(&out, d->stats_path, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, "%s", err);
	stats_free(&out);
}

/* This node: its ports and the host named in Warning headers. */
static int
node_settings(struct sipd *d, struct store *st, char *err, size_t errlen)
{
	struct first_node fn;
	uint16_t p1, p2;
	char s1[16], s2[16];

	memset(&fn, 0, sizeof(fn));
	if (d->o.node == NULL) {
		struct store_conf conf;

		if (store_conf_load(store_datadir(d->o.datadir), &conf, err,
		                    errlen) != 0)
			return -1;
		if (conf.node[0] != '\0' && (d->o.node = strdup(conf.node)) == NULL)
			return -1;
	}
	if (d->o.node != NULL) {
		if (store_node_get(st, d->o.node, &fn.n, err, errlen) != 0)
			return -1;
	} else if (store_node_list(st, node_first, &fn, err, errlen) != 0 ||
	           !fn.found) {
		snprintf(err, errlen, "no node in the store (oprovctl init adds one)");
		return -1;
	}
	if ((d->o.node = strdup(fn.n.name)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (fn.n.host[0])
		snprintf(d->o.reg.host, sizeof(d->o.reg.host), "%s", fn.n.host);
	p1 = fn.n.sip_oauth_port ? fn.n.sip_oauth_port : CFG_DEFAULT_SIP_OAUTH_PORT;
	p2 = fn.n.sip_mra_oauth_port ? fn.n.sip_mra_oauth_port :
	     CFG_DEFAULT_SIP_MRA_OAUTH_PORT;
	snprintf(s1, sizeof(s1), "%u", (unsigned)p1);
	snprintf(s2, sizeof(s2), "%u", (unsigned)p2);
	if (listen_parse(d->o.tls_listen ? d->o.tls_listen : s1, p1, &d->tls_la,
	                 err, errlen) != 0 ||
	    listen_parse(d->o.mtls_listen ? d->o.mtls_listen : s2, p2,
	                 &d->mtls_la, err, errlen) != 0)
		return -1;
	return 0;
}

/* Start-up's "store" step: the gate, this node, the TLS contexts, and the
 * bindings a previous run of this node left behind (stale: their
 * connections are gone). */
static int
open_store(void *arg, char *err, size_t errlen)
{
	struct sipd *d = arg;
	struct gate_options go;
	const struct gate_snap *snap;
	struct store *st;
	char serr[STORE_ERR_MAX];

	memset(&go, 0, sizeof(go));
	go.datadir = d->o.datadir;
	go.program = "oprov-sipd";
	if ((d->gate = gate_open(&go, err, errlen)) == NULL)
		return -1;
	st = gate_store(d->gate);
	if (st == NULL || node_settings(d, st, err, errlen) != 0 ||
	    sipd_tls_load(d, st, err, errlen) != 0)
		return -1;
	{
		char serves[STORE_SERVES_MAX];

		snprintf(serves, sizeof(serves), "sip-tls %s, sip-mtls %s",
		         d->tls_la.off ? "off" : d->tls_la.text,
		         d->mtls_la.off ? "off" : d->mtls_la.text);
		if (gate_identify(d->gate, d->o.node, serves, err, errlen) != 0)
			return -1;
	}
	snap = gate_snap(d->gate);
	if (d->o.reg.authz_server[0] == '\0')
		snprintf(d->o.reg.authz_server, sizeof(d->o.reg.authz_server),
		         "%.255s", snap->issuer);
	d->sip_oauth_mode = snap->cluster.sip_oauth_mode;
	log_msg(LOG_NOTICE, "cluster SIP OAuth mode is %s",
	        d->sip_oauth_mode ? "on" : "off");
	gate_snap_release(snap);
	if (store_binding_drop_node(st, d->o.node, 0, serr, sizeof(serr)) != 0)
		log_msg(LOG_WARNING, "store: dropping old bindings: %s", serr);
	return 0;
}

/* Start-up's "bind" step.  The listeners accept only while the cluster SIP
 * OAuth mode is on; whether or not it is now, both ports are tried here so
 * a port in use stops the start (unless --share-port).  The loops open
 * theirs (SO_REUSEPORT). */
static int
bind_all(void *arg, char *err, size_t errlen)
{
	struct sipd *d = arg;
	const struct listen_addr *la[2] = { &d->tls_la, &d->mtls_la };
	long ncpu;

	for (int i = 0; i < 2; i++)
		if (!la[i]->off &&
		    listen_claim(la[i], SOCK_STREAM, d->o.share_port, err, errlen) != 0)
			return -1;
	d->reg = sip_reg_new(&d->o.reg, sipd_auth, NULL);
	d->chg = calloc(SIPD_FLUSH_BATCH, sizeof(*d->chg));
	d->chg_out = calloc(SIPD_FLUSH_BATCH, sizeof(*d->chg_out));
	if (d->reg == NULL || d->chg == NULL || d->chg_out == NULL) {
		snprintf(err, errlen, "registrar: out of memory");
		return -1;
	}
	sip_reg_set_domain_check(d->reg, sipd_domain_ok);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	d->nloops = d->o.loops ? d->o.loops : (int)(ncpu > 0 ? ncpu : 1);
	if (d->nloops > SIPD_LOOPS_MAX)
		d->nloops = SIPD_LOOPS_MAX;
	for (int i = 0; i < d->nloops; i++) {
		err[0] = '\0';
		if ((d->loop[i] = sipd_loop_new(d, i, err, errlen)) == NULL) {
			d->nloops = i;
			return -1;
		}
	}
	for (int i = 0; i < d->nloops; i++)
		sipd_loop_listen(d->loop[i]);
	return 0;
}

/* After a burst, hands the freed heap back to the system: once the open
 * connections fall to half of what they were since the last return (and
 * at least SIPD_TRIM_MIN fewer), malloc_trim() releases every arena's free
 * pages, so RSS follows the load down. */
static void
memory_return(struct sipd *d)
{
	static unsigned peak;
	unsigned now = atomic_load(&d->conns);

	if (now > peak)
		peak = now;
	if (peak - now >= SIPD_TRIM_MIN && now <= peak / 2) {
		malloc_trim(0);
		peak = now;
	}
}

static void
serve(struct sipd *d)
{
	char err[512];

	while (!d->stop) {
		struct timespec ts = { 1, 0 };
		const struct gate_snap *snap;
		struct store *st;

		nanosleep(&ts, NULL);
		st = gate_store(d->gate);
		if (d->reload) {
			d->reload = 0;
			if (st == NULL || sipd_tls_load(d, st, err, sizeof(err)) < 0)
				log_msg(LOG_ERR, "reload: %s (keeping the old "
				        "certificates)", st ? err : "no store");
			else
				log_msg(LOG_NOTICE, "reload: TLS certificates reloaded");
		}
		if (st != NULL) {
			sipd_bindings_flush(d, st, time(NULL));
			sipd_actions_poll(d, st, time(NULL));
		}
		sipd_local_refresh(d, time(NULL), 0);
		snap = gate_snap(d->gate);
		d->sip_oauth_mode = snap->cluster.sip_oauth_mode;
		gate_snap_release(snap);
		write_stats(d);
		memory_return(d);
	}
}

/* Raises the descriptor limit to its hard value, then lowers --max-conn to
 * what fits under it (one descriptor per connection, SIPD_FD_RESERVE
 * besides: the store, the log, each loop's listeners and epoll set). */
static void
fit_fds(struct sipd *d)
{
	uint64_t max, cur = daemon_fd_limit_raise(&max);
	uint64_t fixed = SIPD_FD_RESERVE + 3 * (uint64_t)d->nloops;
	unsigned fit;

	if (cur == 0 || cur == UINT64_MAX)
		return;
	fit = cur > fixed + 1 ? (unsigned)(cur - fixed < UINT_MAX ? cur - fixed : UINT_MAX) : 1;
	if (fit < d->o.conn_max) {
		log_msg(LOG_WARNING, "descriptors: limit %llu (hard %llu) fits %u "
		        "connections, not %u: using %u", (unsigned long long)cur,
		        (unsigned long long)max, fit, d->o.conn_max, fit);
		d->o.conn_max = fit;
	}
}

/* Each listener's registrar settings: the registrar's, with its own
 * challenge style when one was given. */
static void
listener_styles(struct sipd *d)
{
	d->reg_tls = d->reg_mtls = d->o.reg;
	if (d->o.tls_style >= 0)
		d->reg_tls.style = (enum sip_challenge_style)d->o.tls_style;
	if (d->o.mtls_style >= 0)
		d->reg_mtls.style = (enum sip_challenge_style)d->o.mtls_style;
}

/* Starts one thread per loop; returns how many started. */
static int
loops_start(struct sipd *d, pthread_t *thr)
{
	int i;

	for (i = 0; i < d->nloops; i++)
		if (pthread_create(&thr[i], NULL, sipd_loop_run, d->loop[i]) != 0) {
			log_msg(LOG_ERR, "cannot start event loop %d", i);
			d->stop = 1;
			break;
		}
	return i;
}

int
main(int argc, char **argv)
{
	static const char *const store_files[] = STORE_DB_FILES;
	static struct sipd d;
	struct daemon_start ds;
	struct limiter_config lc;
	char err[512];
	pthread_t thr[SIPD_LOOPS_MAX];
	int started = 0, rc = 1;
	struct store *st;

	if (parse_args(argc, argv, &d.o) < 0)
		return 2;
	pthread_rwlock_init(&d.lock, NULL);
	pthread_mutex_init(&d.nlock, NULL);
	memset(&lc, 0, sizeof(lc));
	lc.max_per_key = d.o.conn_per_addr;
	if ((d.per_addr = limiter_new(&lc)) == NULL)
		return 1;
	memset(&ds, 0, sizeof(ds));
	ds.prog = "oprov-sipd";
	ds.datadir = store_datadir(d.o.datadir);
	ds.user = d.o.user;
	ds.foreground = d.o.foreground;
	ds.store_files = store_files;
	ds.open_store = open_store;
	ds.bind = bind_all;
	ds.arg = &d;
	/* Each listener's registrar settings are set once the node is known
	 * (open_store); the loops read them after start-up. */
	if (daemon_start(&ds) < 0)
		goto out;
	listener_styles(&d);
	snprintf(d.stats_path, sizeof(d.stats_path), "%s/oprov-sipd.stats", ds.rundir);
	sipd_local_refresh(&d, time(NULL), 1);
	daemon_signals(&d.reload, &d.stop);
	gate_on_change(d.gate, sipd_gate_changed, &d);
	if (gate_start(d.gate, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	fit_fds(&d);
	started = loops_start(&d, thr);
	if (started < d.nloops)
		goto out;
	log_msg(LOG_NOTICE, "oprov-sipd node %s: %d event loops, TLS %s (challenge "
	        "%s), mutual TLS %s (challenge %s)", d.o.node, d.nloops,
	        d.tls_la.text, style_name(d.reg_tls.style), d.mtls_la.text,
	        style_name(d.reg_mtls.style));
	serve(&d);
	rc = 0;
out:
	d.stop = 1;
	for (int i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	if (started > 0)
		write_stats(&d);        /* final counters, before the loops go */
	for (int i = 0; i < d.nloops; i++)
		sipd_loop_free(d.loop[i]);
	sip_reg_free(d.reg);
	free(d.chg);
	free(d.chg_out);
	sipd_actions_free(&d);
	st = d.gate ? gate_store(d.gate) : NULL;
	if (st != NULL && d.o.node != NULL && started > 0 &&
	    store_binding_drop_node(st, d.o.node, 0, err, sizeof(err)) != 0)
		log_msg(LOG_WARNING, "store: dropping bindings: %s", err);
	if (started > 0)
		log_msg(LOG_NOTICE, "stopped");
	gate_close(d.gate);
	daemon_finish(&ds);
	sip_tls_ctx_free(d.tls_ctx);
	sip_tls_ctx_free(d.mtls_ctx);
	certstore_free(d.trust);
	limiter_free(d.per_addr);
	return rc;
}
