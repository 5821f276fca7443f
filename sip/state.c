/*
 * state.c - what oprov-sipd's loops share: settings, keys, the revocation
 * set, the cluster mode and the Expressway-C names read from the store
 * (rebuilt when a store generation moves), the TLS contexts, per-address
 * connection counts, and the authenticator that asks policy_decide().
 *
 * Loops hold d->lock shared while they validate a token and read the mode;
 * a reload takes it exclusively, so a validation sees one consistent set.
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


/* ---- revocations ------------------------------------------------------------- */

/* Runs inside tok_validate, under d->lock held shared by the caller. */
static int
sipd_revoked(void *arg, const struct tok_claims *c)
{
	const struct sipd *d = arg;

	return store_revset_revoked(&d->rev, c->jti, c->dev, c->sub, c->iat);
}

static int
rev_reload(struct sipd *d, struct store *st)
{
	char err[STORE_ERR_MAX];

	if (store_revset_load(st, &d->rev, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "store: revocations: %s", err);
		return -1;
	}
	return 0;
}

/* ---- settings, keys, names -------------------------------------------------------- */

struct name_vec {
	char *buf;
	size_t len, cap, n;
	size_t off[SIPD_EXPRESSWAY_NAMES_MAX];
};
_Static_assert(SIPD_DOMAINS_MAX <= SIPD_EXPRESSWAY_NAMES_MAX,
               "name_vec also holds the nodes' hosts");

/* Appends one string; 0, or 1 (stop the listing) when out of memory. */
static int
vec_push(struct name_vec *v, const char *str, size_t max)
{
	size_t l = strlen(str) + 1;

	if (v->n == max)
		return 0;
	if (v->len + l > v->cap) {
		size_t nc = (v->cap + l) * 2;
		char *nb = realloc(v->buf, nc);
		if (nb == NULL)
			return 1;
		v->buf = nb;
		v->cap = nc;
	}
	memcpy(v->buf + v->len, str, l);
	v->off[v->n++] = v->len;
	v->len += l;
	return 0;
}

static int
xname_add(void *ctx, const struct store_expressway *e)
{
	for (size_t i = 0; i < e->n_names; i++)
		if (vec_push(ctx, e->names[i], SIPD_EXPRESSWAY_NAMES_MAX) != 0)
			return 1;
	return 0;
}

/* The nodes' hosts, in the same packed form. */
static int
node_host_add(void *ctx, const struct cfg_node *n)
{
	return n->host[0] ? vec_push(ctx, n->host, SIPD_DOMAINS_MAX) : 0;
}

static int
config_reload(struct sipd *d, struct store *st)
{
	char err[STORE_ERR_MAX];
	struct store_token_config tc;
	keyset *ks = NULL;
	struct name_vec xv, hv;
	struct cfg_cluster cl;

	memset(&xv, 0, sizeof(xv));
	memset(&hv, 0, sizeof(hv));
	if (store_token_config(st, &tc, err, sizeof(err)) < 0 ||
	    store_cluster_get(st, &cl, err, sizeof(err)) != 0 ||
	    (ks = store_verify_keyset(st, err, sizeof(err))) == NULL) {
		log_msg(LOG_ERR, "store: %s", err);
		goto fail;
	}
	if (store_expressway_list(st, xname_add, &xv, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "store: Expressway-C entries: %s", err);
		goto fail;
	}
	if (store_node_list(st, node_host_add, &hv, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "store: nodes: %s", err);
		goto fail;
	}
	if (strcmp(tc.issuer, d->issuer) != 0 ||
	    strcmp(tc.audience, d->audience) != 0 || d->validator == NULL) {
		struct tok_config vc;
		tok_validator *v;

		memset(&vc, 0, sizeof(vc));
		vc.issuer = tc.issuer;
		vc.audience = tc.audience;
		vc.skew = -1;
		vc.revoked = sipd_revoked;
		vc.revoked_arg = d;
		v = tok_validator_new(&vc, d->keys, err, sizeof(err));
		if (v == NULL) {
			log_msg(LOG_ERR, "token validator: %s", err);
			goto fail;
		}
		tok_validator_free(d->validator);
		d->validator = v;
		snprintf(d->issuer, sizeof(d->issuer), "%s", tc.issuer);
		snprintf(d->audience, sizeof(d->audience), "%s", tc.audience);
	}
	if (keystore_set(d->keys, d->issuer, ks, err, sizeof(err)) < 0) {
		ks = NULL;
		log_msg(LOG_ERR, "key store: %s", err);
		goto fail;
	}
	ks = NULL;
	if (d->sip_oauth_mode != cl.sip_oauth_mode || !d->have_gen)
		log_msg(LOG_NOTICE, "cluster SIP OAuth mode is %s",
		        cl.sip_oauth_mode ? "on" : "off");
	d->sip_oauth_mode = cl.sip_oauth_mode;
	free(d->xnames_buf);
	d->xnames_buf = xv.buf;
	d->nxnames = xv.n;
	for (size_t i = 0; i < xv.n; i++)
		d->xnames[i] = xv.buf + xv.off[i];
	free(d->domains_buf);
	d->domains_buf = hv.buf;
	d->ndomains = hv.n;
	for (size_t i = 0; i < hv.n; i++)
		d->domains[i] = hv.buf + hv.off[i];
	return 0;
fail:
	free(xv.buf);
	free(hv.buf);
	keyset_free(ks);
	return -1;
}

int
sipd_sync(struct sipd *d, struct store *st)
{
	struct store_generation g;
	char err[STORE_ERR_MAX];
	int rc = 0;

	if (store_generation(st, &g, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "store: generation: %s", err);
		return -1;
	}
	pthread_rwlock_rdlock(&d->lock);
	if (d->have_gen && g.config == d->gen.config &&
	    g.revocation == d->gen.revocation) {
		pthread_rwlock_unlock(&d->lock);
		return 0;
	}
	pthread_rwlock_unlock(&d->lock);

	pthread_rwlock_wrlock(&d->lock);
	if (!d->have_gen || g.config != d->gen.config) {
		if (config_reload(d, st) < 0)
			rc = -1;
		else
			d->gen.config = g.config;
	}
	if (!d->have_gen || g.revocation != d->gen.revocation) {
		if (rev_reload(d, st) < 0)
			rc = -1;
		else
			d->gen.revocation = g.revocation;
	}
	if (rc == 0)
		d->have_gen = 1;
	pthread_rwlock_unlock(&d->lock);
	return rc;
}

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
			const struct sip_binding *b = &chg[i].b;
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
		}
		if (store_binding_apply(st, out, n, err, sizeof(err)) != 0) {
			d->store_errors++;
			log_msg(LOG_ERR, "store: %zu binding changes: %s", n, err);
		} else {
			d->store_writes++;
		}
	}
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

struct addr_count {
	char addr[64];
	unsigned n;
	struct addr_count *next;
};

static struct addr_count **
addr_slot(struct sipd *d, const char *addr)
{
	uint32_t h = 2166136261u;

	for (const char *p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &d->addr_bucket[h % (sizeof(d->addr_bucket) / sizeof(d->addr_bucket[0]))];
}

int
sipd_addr_take(struct sipd *d, const char *addr)
{
	struct addr_count **pp, *a;
	int rc = 0;

	pthread_mutex_lock(&d->addr_lock);
	pp = addr_slot(d, addr);
	for (a = *pp; a != NULL; a = a->next)
		if (strcmp(a->addr, addr) == 0)
			break;
	if (a == NULL) {
		a = calloc(1, sizeof(*a));
		if (a == NULL) {
			rc = -1;
			goto out;
		}
		snprintf(a->addr, sizeof(a->addr), "%s", addr);
		a->next = *pp;
		*pp = a;
	}
	if (a->n >= d->o.conn_per_addr)
		rc = -1;
	else
		a->n++;
out:
	pthread_mutex_unlock(&d->addr_lock);
	return rc;
}

void
sipd_addr_release(struct sipd *d, const char *addr)
{
	struct addr_count **pp, *a;

	pthread_mutex_lock(&d->addr_lock);
	for (pp = addr_slot(d, addr); (a = *pp) != NULL; pp = &a->next) {
		if (strcmp(a->addr, addr) != 0)
			continue;
		if (a->n > 0)
			a->n--;
		if (a->n == 0) {
			*pp = a->next;
			free(a);
		}
		break;
	}
	pthread_mutex_unlock(&d->addr_lock);
}

/* ---- the authenticator ------------------------------------------------------------------ */

void
sipd_auth(void *arg, const struct sip_auth_query *q, struct sip_auth_answer *a)
{
	struct sipd_loop *l = arg;
	struct sipd *d = sipd_loop_daemon(l);
	struct policy_input in;
	struct policy_result pr;
	struct tok_claims claims;
	struct sipd_dev dev;
	const char *name = q->device;

	memset(&in, 0, sizeof(in));
	in.channel = q->mtls ? CH_SIP_MTLS : CH_SIP_TLS;
	in.peer = q->peer;
	in.token_present = q->token_present;
	in.verdict = TOK_MALFORMED;

	pthread_rwlock_rdlock(&d->lock);
	in.cluster_sip_oauth = d->sip_oauth_mode;
	if (q->token_present && !q->token_unreadable && d->validator != NULL) {
		in.verdict = tok_validate(d->validator, q->token, q->token_len,
		                          &claims);
		if (in.verdict == TOK_OK)
			in.claims = &claims;
	}
	pthread_rwlock_unlock(&d->lock);

	/* "*" or a query names no device: the token's own device when it is
	 * bound to one, else the device that holds the AOR's bindings. */
	if (name[0] == '\0') {
		if (in.claims != NULL && claims.dev[0] != '\0' &&
		    strlen(claims.dev) < sizeof(a->device))
			name = claims.dev;
		else
			name = q->hint_device;
		snprintf(a->device, sizeof(a->device), "%s", name);
	}
	sipd_loop_device(l, name, &dev);
	in.target.device_specific = 1;
	in.target.exists = dev.exists;
	in.target.oauth_enabled = dev.oauth;
	in.target.name = name;
	in.target.owner = dev.owner;
	/* A device registers its own lines only. */
	for (size_t i = 0; i < dev.nlines && !in.sip_aor_is_line; i++)
		in.sip_aor_is_line = strlen(dev.dn[i]) == q->aor_user.len &&
		                     memcmp(dev.dn[i], q->aor_user.p,
		                            q->aor_user.len) == 0;
	pr = policy_decide(&in);
	a->reason = pr.reason;
	a->why = pr.why;
	if (in.claims != NULL)
		snprintf(a->jti, sizeof(a->jti), "%s", claims.jti);
	else if (q->token_present && pr.reason == POLICY_INVALID_TOKEN)
		snprintf(a->jti, sizeof(a->jti), "-(%s)", q->token_unreadable ?
		         "unreadable" : tok_verdict_name(in.verdict));
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
	/* Node hosts may be names or addresses. */
	for (size_t i = 0; i < d->ndomains && !ok; i++)
		ok = strcasecmp(d->domains[i], h) == 0;
	pthread_rwlock_unlock(&d->lock);
	return ok;
}
