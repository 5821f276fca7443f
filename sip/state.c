/*
 * state.c - what oprov-sipd's loops share besides the gate: the TLS
 * contexts, per-address connection counts, this host's names for the
 * Request-URI check, the write-behind of bindings to the store, and the
 * authenticator that asks the gate.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sip/sipd_int.h"

/* ---- write-behind ------------------------------------------------------------------- */

void
sipd_bindings_flush(struct sipd *d, struct store *st, time_t now)
{
	struct sip_binding_change *chg = d->chg;
	struct store_binding_change *out = d->chg_out;
	char err[STORE_ERR_MAX];
	size_t n;

	sip_reg_expire(d->reg, now);
	while ((n = sip_reg_take_changes(d->reg, now, chg, SIPD_FLUSH_BATCH)) > 0) {
		memset(out, 0, n * sizeof(*out));
		for (size_t i = 0; i < n; i++) {
			const struct sip_binding_rec *b = &chg[i].b;
			struct store_binding *sb = &out[i].b;
			out[i].del = chg[i].del;
			snprintf(sb->aor, sizeof(sb->aor), "%s", b->aor);
			snprintf(sb->instance, sizeof(sb->instance), "%s", b->instance);
			sb->reg_id = b->reg_id;
			snprintf(sb->contact, sizeof(sb->contact), "%s", b->contact);
			snprintf(sb->device, sizeof(sb->device), "%s", b->device);
			snprintf(sb->node, sizeof(sb->node), "%s", d->o.node);
			sb->expires = b->expires_at;
			sb->conn_id = b->conn_id;
			snprintf(sb->firmware, sizeof(sb->firmware), "%s", b->firmware);
			snprintf(sb->path, sizeof(sb->path), "%s", b->path);
		}
		if (store_binding_apply(st, out, n, err, sizeof(err)) != 0) {
			d->store_errors++;
			log_msg(LOG_ERR, "store: %zu binding changes: %s", n, err);
		} else {
			d->store_writes++;
		}
	}
}

/* ---- authority gone ------------------------------------------------------------------ */

/* A binding keeps its authority while its device is in the store with an
 * OAuth profile and the token that made it is not revoked. */
static int
binding_keep(void *arg, const struct sip_binding *b)
{
	const struct gate_snap *snap = arg;
	struct gate_device dev;

	if (!gate_device_find(snap, b->device, &dev) || !dev.oauth)
		return 0;
	return !gate_token_revoked(snap, b->jti, b->device, b->sub, b->iat);
}

void
sipd_gate_changed(void *arg, int config_moved, int revocation_moved)
{
	struct sipd *d = arg;
	const struct gate_snap *snap;
	size_t n;

	(void)revocation_moved;
	if (d->reg == NULL)
		return;
	snap = gate_snap(d->gate);
	n = sip_reg_sweep(d->reg, binding_keep, (void *)snap);
	gate_snap_release(snap);
	if (n > 0) {
		atomic_fetch_add(&d->swept, n);
		log_msg(LOG_NOTICE, "sip: %zu binding%s dropped: token revoked, "
		        "device deleted or no longer on OAuth", n, n == 1 ? "" : "s");
	}
	if (config_moved)
		atomic_fetch_add(&d->peers_gen, 1);
}

/* ---- TLS contexts --------------------------------------------------------------------- */

struct pem_cat {
	char *buf;
	size_t len;
	int failed;
};

static int
pem_add(void *ctx, const struct store_cert *c)
{
	struct pem_cat *p = ctx;
	size_t l = c->pem ? strlen(c->pem) : 0;
	char *nb = realloc(p->buf, p->len + l + 2);

	if (nb == NULL) {
		p->failed = 1;
		return 1;
	}
	p->buf = nb;
	memcpy(p->buf + p->len, c->pem, l);
	p->len += l;
	p->buf[p->len++] = '\n';
	p->buf[p->len] = '\0';
	return 0;
}

static int
note_ca(void *ctx, const struct store_cert *c)
{
	(void)sip_tls_ctx_note_ca(ctx, c->pem, c->purpose);
	return 0;
}

/* The certificates of every other purpose, so 5091 can say when a client's
 * CA was uploaded under the wrong one. */
static void
note_other_cas(struct store *st, sip_tls_ctx *c)
{
	static const char *const other[] = {
		STORE_PURPOSE_TOMCAT, STORE_PURPOSE_PHONE_EDGE_TRUST, STORE_PURPOSE_SAST,
		STORE_PURPOSE_SAST_NEXT, STORE_PURPOSE_CCM_TFTP,
	};
	char serr[STORE_ERR_MAX];

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		(void)store_cert_list(st, other[i], note_ca, c, serr, sizeof(serr));
}

int
sipd_tls_load(struct sipd *d, struct store *st, char *err, size_t errlen)
{
	struct store_cert tc;
	struct pem_cat trust_pem = { NULL, 0, 0 };
	char serr[STORE_ERR_MAX];
	sip_tls_ctx *c1 = NULL, *c2 = NULL;
	certstore *cs = NULL;
	int r;

	memset(&tc, 0, sizeof(tc));
	r = store_cert_tomcat(st, &tc, serr, sizeof(serr));
	if (r != 0) {
		snprintf(err, errlen, "tomcat certificate: %s", r == STORE_NOTFOUND ?
		         "none in the store (run `oprovctl init`)" : serr);
		return -1;
	}
	if (store_cert_list(st, STORE_PURPOSE_TOMCAT_TRUST, pem_add, &trust_pem,
	                    serr, sizeof(serr)) != 0 || trust_pem.failed) {
		snprintf(err, errlen, "tomcat-trust: %s", serr);
		goto fail;
	}
	cs = certstore_new(CERT_TOMCAT_TRUST);
	if (cs == NULL)
		goto fail;
	if (trust_pem.len > 0 &&
	    certstore_add_pem(cs, trust_pem.buf, trust_pem.len, err, errlen) < 0)
		goto fail;
	c1 = sip_tls_ctx_new(tc.pem, tc.key_pem, 0, NULL, NULL, err, errlen);
	if (c1 == NULL)
		goto fail;
	c2 = sip_tls_ctx_new(tc.pem, tc.key_pem, 1, cs, trust_pem.buf, err, errlen);
	if (c2 == NULL)
		goto fail;
	note_other_cas(st, c2);
	store_cert_free(&tc);           /* wipes the private key */
	pthread_rwlock_wrlock(&d->lock);
	sip_tls_ctx_free(d->tls_ctx);
	sip_tls_ctx_free(d->mtls_ctx);
	certstore_free(d->trust);
	d->tls_ctx = c1;
	d->mtls_ctx = c2;
	d->trust = cs;
	pthread_rwlock_unlock(&d->lock);
	free(trust_pem.buf);
	return 0;
fail:
	sip_tls_ctx_free(c1);
	certstore_free(cs);
	store_cert_free(&tc);
	free(trust_pem.buf);
	return -1;
}

/* ---- per-address caps ---------------------------------------------------------------- */

int
sipd_addr_take(struct sipd *d, const uint8_t key[16])
{
	return limiter_take(d->per_addr, key, 16) == LIMIT_OK ? 0 : -1;
}

void
sipd_addr_release(struct sipd *d, const uint8_t key[16])
{
	limiter_release(d->per_addr, key, 16);
}

/* ---- the authenticator ------------------------------------------------------------------ */

void
sipd_auth(void *arg, const struct sip_auth_query *q, struct sip_auth_answer *a)
{
	struct sipd *d = sipd_loop_daemon(arg);
	struct gate_request rq;
	struct gate_verdict v;

	memset(&rq, 0, sizeof(rq));
	rq.channel = q->mtls ? CH_SIP_MTLS : CH_SIP_TLS;
	rq.peer = q->peer;
	/* "*" or a query names no device: the gate decides for the token's
	 * own device when it is bound to one, else for the device that holds
	 * the AOR's bindings. */
	rq.device = q->device;
	rq.device_hint = q->hint_device;
	rq.token_state = !q->token_present ? GATE_TOKEN_NONE :
	                 q->token_unreadable ? GATE_TOKEN_UNREADABLE :
	                 GATE_TOKEN_PRESENT;
	rq.token = q->token;
	rq.token_len = q->token_len;
	/* A device registers its own lines only. */
	rq.aor_user = q->aor_user.p;
	rq.aor_user_len = q->aor_user.len;
	gate_decide(d->gate, &rq, &v);
	if (q->device[0] == '\0')
		snprintf(a->device, sizeof(a->device), "%s", v.device);
	a->reason = v.reason;
	a->why = v.why;
	if (v.tok == TOK_OK) {
		snprintf(a->jti, sizeof(a->jti), "%s", v.claims.jti);
		snprintf(a->sub, sizeof(a->sub), "%s", v.claims.sub);
		a->iat = v.claims.iat;
	}
	else if (q->token_present && v.reason == POLICY_INVALID_TOKEN)
		snprintf(a->jti, sizeof(a->jti), "-(%s)", q->token_unreadable ?
		         "unreadable" : tok_verdict_name(v.tok));
}

/* An IP literal equal to `sa` (an IPv4 client on a dual-stack socket
 * arrives as ::ffff:a.b.c.d). */
static int
same_address(const struct sockaddr *sa, int fam, const void *bin)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return fam == AF_INET &&
		       memcmp(&((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		              bin, 4) == 0;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *l =
			&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (fam == AF_INET6)
			return memcmp(l, bin, 16) == 0;
		return IN6_IS_ADDR_V4MAPPED(l) && memcmp(l->s6_addr + 12, bin, 4) == 0;
	}
	return 0;
}

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)
		              ->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

void
sipd_local_refresh(struct sipd *d, time_t now, int force)
{
	struct sockaddr_storage *a;
	struct ifaddrs *ifa = NULL;
	char host[sizeof(d->hostname)];
	size_t n = 0;

	if (!force && now - d->local_addr_at < SIPD_LOCAL_ADDRS_REFRESH)
		return;
	d->local_addr_at = now;
	a = calloc(SIPD_LOCAL_ADDRS_MAX, sizeof(*a));
	if (a == NULL)
		return;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i && n < SIPD_LOCAL_ADDRS_MAX; i = i->ifa_next) {
			if (i->ifa_addr == NULL)
				continue;
			if (i->ifa_addr->sa_family == AF_INET)
				memcpy(&a[n++], i->ifa_addr, sizeof(struct sockaddr_in));
			else if (i->ifa_addr->sa_family == AF_INET6)
				memcpy(&a[n++], i->ifa_addr, sizeof(struct sockaddr_in6));
		}
		freeifaddrs(ifa);
	}
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	pthread_rwlock_wrlock(&d->lock);
	memcpy(d->local_addr, a, n * sizeof(*a));
	d->nlocal_addr = n;
	memcpy(d->hostname, host, sizeof(host));
	pthread_rwlock_unlock(&d->lock);
	free(a);
}

int
sipd_domain_ok(void *arg, const struct sip_conn_info *ci, struct sip_str host)
{
	struct sipd *d = sipd_loop_daemon(arg);
	unsigned char bin[16];
	char h[CFG_HOST_MAX];
	int ok = 0, fam = 0;

	/* A listed Expressway-C is the proxy that routed an MRA registration
	 * here; its Request-URI names the MRA service domain, which is ours
	 * by that routing. */
	if (ci->mtls && ci->peer == PEER_TRUSTED)
		return 1;
	if (host.len == 0 || host.len >= sizeof(h))
		return 0;
	memcpy(h, host.p, host.len);
	h[host.len] = '\0';
	/* A fully qualified name may end in a dot (RFC 1034 §3.1). */
	if (host.len > 1 && h[host.len - 1] == '.')
		h[host.len - 1] = '\0';
	if (inet_pton(AF_INET, h, bin) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, h, bin) == 1)
		fam = AF_INET6;
	for (size_t i = 0; i < d->o.ndomain && !ok; i++)
		ok = strcmp(d->o.domain[i], "*") == 0 ||
		     strcasecmp(d->o.domain[i], h) == 0;
	if (fam != 0) {
		/* An address of this host: the one the client reached, or any
		 * of our interfaces'. */
		ok = ok || same_address(ci->local, fam, bin);
		pthread_rwlock_rdlock(&d->lock);
		for (size_t i = 0; i < d->nlocal_addr && !ok; i++)
			ok = same_address((const struct sockaddr *)&d->local_addr[i],
			                  fam, bin);
	} else {
		ok = ok || (strcasecmp(h, "localhost") == 0 && is_loopback(ci->local));
		pthread_rwlock_rdlock(&d->lock);
		ok = ok || (d->hostname[0] && strcasecmp(d->hostname, h) == 0);
	}
	pthread_rwlock_unlock(&d->lock);
	/* Node hosts may be names or addresses. */
	if (!ok) {
		const struct gate_snap *snap = gate_snap(d->gate);
		for (size_t i = 0; i < snap->nnode_hosts && !ok; i++)
			ok = strcasecmp(snap->node_hosts[i], h) == 0;
		gate_snap_release(snap);
	}
	return ok;
}
