/*
 * tls.c - the only file of sip/ that speaks OpenSSL: server contexts for 5090
 * (server authentication) and 5091 (client certificate required, chain
 * checked against tomcat-trust), non-blocking per-connection sessions, and
 * the peer-name check against the Expressway-C entries.
 *
 * Versions, suites and groups come from the TLS policy every oprov TLS
 * port shares (common/'s tls_policy: Mozilla "intermediate" by default,
 * the same suites GnuTLS offers on 6971 and 8443).  Resumption: the
 * server-side session cache (TLS 1.2 session ids) and stateless tickets
 * (TLS 1.3 and 1.2), valid for the ticket lifetime and sealed under keys
 * of our own ring (ticket_cb) that rotates every lifetime; a session id
 * context is set so resumption also works when a client certificate was
 * requested.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/common.h"
#include "sip/sip_int.h"
#include "sip/sipd_int.h"

/* The CA certificates the store holds under purposes other than
 * tomcat-trust: a client certificate chaining to one is refused on 5091, and
 * the log says why (sip_tls_ctx_note_ca).  Hung on the SSL_CTX as ex_data
 * and freed with it, since handshakes begun before a reload keep the old
 * SSL_CTX alive after its sip_tls_ctx is gone. */
struct other_cas {
	int n;
	struct {
		X509 *x;
		char purpose[STORE_PURPOSE_MAX];
	} ca[SIP_TLS_OTHER_CA_MAX];
};

struct sip_tls_ctx {
	SSL_CTX *ctx;
	int mtls;
};

static int other_idx = -1;
static pthread_once_t other_once = PTHREAD_ONCE_INIT;

static void
other_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
           void *argp)
{
	struct other_cas *o = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (o == NULL)
		return;
	for (int i = 0; i < o->n; i++)
		X509_free(o->ca[i].x);
	free(o);
}

static void
other_index(void)
{
	other_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, other_free);
}

struct sip_tls {
	SSL *ssl;
	int want_write;          /* the last call wants the socket writable */
	const char *wrong_purpose;  /* set by verify_cb: the chain's CA is held
	                             * under this purpose, not tomcat-trust */
	char wrong_ca[128];      /* that CA's subject */
};

static void
ossl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	if (err != NULL)
		snprintf(err, errlen, "%s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

/* The policy and ticket lifetime of every context made from now on
 * (sip_tls_configure; the defaults until it is called). */
static struct tls_policy_ossl policy;
static int policy_set;
static unsigned ticket_lifetime = TLS_TICKET_LIFETIME_DEFAULT;

/* Session ticket keys (RFC 5077 §4's key_name, AES-256 and HMAC-SHA256
 * keys): the current one seals, it and the previous one open.  A key seals
 * for one lifetime and opens for one more, so every ticket stays readable
 * for its whole lifetime and no key outlives two.  One ring for the
 * process: tickets survive a SIGHUP's new contexts.  A ticket under the
 * previous key is answered with a fresh one (return 2). */
struct ticket_key {
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
	time_t born;
	int set;
};
static struct {
	pthread_mutex_t mu;
	struct ticket_key cur, prev;
} ring = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int
ticket_key_new(struct ticket_key *k, time_t now)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 ||
	    RAND_priv_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_priv_bytes(k->hmac, sizeof(k->hmac)) != 1)
		return -1;
	k->born = now;
	k->set = 1;
	return 0;
}

/* Under ring.mu: the key to seal with now, rotating when it is due. */
static const struct ticket_key *
ticket_key_current(time_t now)
{
	if (ring.cur.set && now - ring.cur.born < (time_t)ticket_lifetime &&
	    now >= ring.cur.born)
		return &ring.cur;
	if (ring.cur.set) {
		mem_wipe(&ring.prev, sizeof(ring.prev));
		ring.prev = ring.cur;
	}
	if (ticket_key_new(&ring.cur, now) < 0) {
		mem_wipe(&ring.cur, sizeof(ring.cur));
		return NULL;
	}
	return &ring.cur;
}

static int
ticket_keys_use(const struct ticket_key *k, unsigned char *iv,
                EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
		                                  (void *)k->hmac, sizeof(k->hmac)),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		                                 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end()
	};

	if (EVP_MAC_CTX_set_params(hctx, p) != 1)
		return -1;
	if (EVP_CipherInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv, enc) != 1)
		return -1;
	return 0;
}

/* SSL_CTX_set_tlsext_ticket_key_evp_cb: 1 sealed / opened, 2 opened under
 * the previous key (a new ticket follows), 0 unknown key (full handshake),
 * -1 error. */
static int
ticket_cb(SSL *s, unsigned char name[16], unsigned char *iv,
          EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	const struct ticket_key *k = NULL;
	time_t now = time(NULL);
	int rc = -1;

	(void)s;
	pthread_mutex_lock(&ring.mu);
	if (enc) {
		k = ticket_key_current(now);
		if (k != NULL &&
		    RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) == 1) {
			memcpy(name, k->name, sizeof(k->name));
			rc = ticket_keys_use(k, iv, cctx, hctx, 1) == 0 ? 1 : -1;
		}
	} else {
		(void)ticket_key_current(now);
		rc = 0;
		if (ring.cur.set && memcmp(name, ring.cur.name, 16) == 0)
			k = &ring.cur, rc = 1;
		else if (ring.prev.set && memcmp(name, ring.prev.name, 16) == 0)
			k = &ring.prev, rc = 2;
		if (k != NULL && ticket_keys_use(k, iv, cctx, hctx, 0) < 0)
			rc = -1;
	}
	pthread_mutex_unlock(&ring.mu);
	return rc;
}

int
sip_tls_configure(const struct tls_policy *p, unsigned lifetime, char *err,
                  size_t errlen)
{
	if (tls_policy_openssl(p, &policy) < 0) {
		snprintf(err, errlen, "TLS policy %s: lists too long", p->name);
		return -1;
	}
	policy_set = 1;
	ticket_lifetime = lifetime;
	return 0;
}

/* Versions, suites, groups and resumption on a new context.  0 / -1. */
static int
ctx_policy(SSL_CTX *ctx, char *err, size_t errlen)
{
	static const unsigned char sid[] = "oprov-sipd";

	if (!policy_set &&
	    sip_tls_configure(tls_policy_find(TLS_POLICY_DEFAULT),
	                      TLS_TICKET_LIFETIME_DEFAULT, err, errlen) < 0)
		return -1;
	if (SSL_CTX_set_min_proto_version(ctx, policy.min_tls12 ? TLS1_2_VERSION
	                                                        : TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, policy.ciphers) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, policy.suites) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, policy.groups) != 1) {
		ossl_err(err, errlen, "TLS policy");
		return -1;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	                    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                 SSL_MODE_RELEASE_BUFFERS);
	if (ticket_lifetime == 0) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		return 0;
	}
	/* One ticket per TLS 1.3 handshake: a phone keeps one connection. */
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, SIPD_TLS_SESSION_CACHE);
	SSL_CTX_set_timeout(ctx, (long)ticket_lifetime);
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	return 0;
}

/* Adds every certificate of a PEM bundle to the list of CA names sent in
 * the CertificateRequest (RFC 8446 §4.2.4), so a client holding several
 * certificates picks one from a CA we trust. */
static int
add_client_cas(SSL_CTX *ctx, const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x;
	int n = 0;

	if (b == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add_client_CA(ctx, x) == 1)
			n++;
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	return n;
}

/* The index of the CA of another purpose that issued x (or is x), or -1. */
static int
other_issuer(const struct other_cas *o, X509 *x)
{
	for (int i = 0; i < o->n; i++)
		if (X509_cmp(x, o->ca[i].x) == 0 ||
		    X509_NAME_cmp(X509_get_issuer_name(x),
		                  X509_get_subject_name(o->ca[i].x)) == 0)
			return i;
	return -1;
}

/* On a verification failure, looks through the chain the client sent for a
 * certificate issued by a CA the store holds under another purpose, so the
 * log names the real cause instead of "self-signed certificate in
 * certificate chain".  The verdict itself is OpenSSL's. */
static int
verify_cb(int ok, X509_STORE_CTX *sctx)
{
	SSL *ssl;
	sip_tls *t;
	const struct other_cas *o;
	STACK_OF(X509) *sent;

	if (ok)
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (t = SSL_get_app_data(ssl)) == NULL || t->wrong_purpose ||
	    (o = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), other_idx)) == NULL)
		return ok;
	sent = X509_STORE_CTX_get0_untrusted(sctx);
	for (int i = -1; i < (sent ? sk_X509_num(sent) : 0); i++) {
		X509 *x = i < 0 ? X509_STORE_CTX_get0_cert(sctx) : sk_X509_value(sent, i);
		int k = x ? other_issuer(o, x) : -1;

		if (k >= 0) {
			t->wrong_purpose = o->ca[k].purpose;
			X509_NAME_oneline(X509_get_subject_name(o->ca[k].x), t->wrong_ca,
			                  sizeof(t->wrong_ca));
			break;
		}
	}
	return ok;
}

int
sip_tls_ctx_note_ca(sip_tls_ctx *c, const char *pem, const char *purpose)
{
	struct other_cas *o = SSL_CTX_get_ex_data(c->ctx, other_idx);
	BIO *b;
	X509 *x;

	if (o == NULL || pem == NULL || (b = BIO_new_mem_buf(pem, -1)) == NULL)
		return -1;
	while (o->n < SIP_TLS_OTHER_CA_MAX &&
	       (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		o->ca[o->n].x = x;
		snprintf(o->ca[o->n].purpose, sizeof(o->ca[0].purpose), "%s", purpose);
		o->n++;
	}
	BIO_free(b);
	ERR_clear_error();
	return 0;
}

/* The rest of the tomcat PEM is the chain, sent along without a self-signed
 * root (the client must hold it already; RFC 8446 §4.4.2). */
static void
ctx_add_chain(SSL_CTX *ctx, BIO *b)
{
	for (;;) {
		X509 *c = PEM_read_bio_X509(b, NULL, NULL, NULL);
		if (c == NULL)
			break;
		if (X509_check_issued(c, c) == X509_V_OK) {
			X509_free(c);
			continue;
		}
		if (SSL_CTX_add0_chain_cert(ctx, c) != 1) {
			X509_free(c);
			break;
		}
	}
	ERR_clear_error();
}

sip_tls_ctx *
sip_tls_ctx_new(const char *cert_pem, const char *key_pem, int mtls,
                certstore *trust, const char *trust_pem, char *err,
                size_t errlen)
{
	sip_tls_ctx *t = calloc(1, sizeof(*t));
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;

	if (t == NULL)
		return NULL;
	t->mtls = mtls;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (t->ctx == NULL) {
		ossl_err(err, errlen, "SSL_CTX_new");
		goto fail;
	}
	if (ctx_policy(t->ctx, err, errlen) < 0)
		goto fail;

	b = BIO_new_mem_buf(cert_pem, -1);
	if (b == NULL || (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(t->ctx, x) != 1) {
		ossl_err(err, errlen, "tomcat certificate");
		goto fail;
	}
	ctx_add_chain(t->ctx, b);
	BIO_free(b);
	b = BIO_new_mem_buf(key_pem, -1);
	if (b == NULL || (k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_PrivateKey(t->ctx, k) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		ossl_err(err, errlen, "tomcat private key");
		goto fail;
	}
	if (mtls) {
		X509_STORE *st = trust ? certstore_x509_store(trust) : NULL;
		if (st == NULL || SSL_CTX_set1_verify_cert_store(t->ctx, st) != 1) {
			ossl_err(err, errlen, "tomcat-trust store");
			goto fail;
		}
		struct other_cas *o = calloc(1, sizeof(*o));
		pthread_once(&other_once, other_index);
		if (o == NULL || other_idx < 0 ||
		    SSL_CTX_set_ex_data(t->ctx, other_idx, o) != 1) {
			free(o);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER |
		                   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
		SSL_CTX_set_verify_depth(t->ctx, 8);
		if (trust_pem != NULL)
			(void)add_client_cas(t->ctx, trust_pem, strlen(trust_pem));
	}
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(b);
	return t;
fail:
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(b);
	sip_tls_ctx_free(t);
	return NULL;
}

void
sip_tls_ctx_free(sip_tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);       /* live sessions keep their own reference */
	free(t);
}

sip_tls *
sip_tls_new(sip_tls_ctx *c, int fd)
{
	sip_tls *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ssl = SSL_new(c->ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		ERR_clear_error();
		sip_tls_free(t);
		return NULL;
	}
	SSL_set_app_data(t->ssl, t);
	SSL_set_accept_state(t->ssl);
	return t;
}

void
sip_tls_free(sip_tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		/* One close_notify, no waiting for the peer's. */
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
		SSL_free(t->ssl);
	}
	free(t);
}

int
sip_tls_wants_write(const sip_tls *t)
{
	return t->want_write;
}

static int
io_result(sip_tls *t, int r, char *err, size_t errlen)
{
	int e = SSL_get_error(t->ssl, r);

	t->want_write = 0;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return SIP_TLS_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		t->want_write = 1;
		return SIP_TLS_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return SIP_TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		if (err)
			snprintf(err, errlen, "%s", errno ? strerror(errno) : "eof");
		ERR_clear_error();
		return SIP_TLS_CLOSED;
	default:
		ossl_err(err, errlen, "tls");
		return SIP_TLS_ERROR;
	}
}

int
sip_tls_handshake(sip_tls *t, char *err, size_t errlen)
{
	int r = SSL_do_handshake(t->ssl);

	if (r == 1) {
		t->want_write = 0;
		return SIP_TLS_OK;
	}
	r = io_result(t, r, err, errlen);
	if (r == SIP_TLS_ERROR && err != NULL) {
		long v = SSL_get_verify_result(t->ssl);
		if (v != X509_V_OK && t->wrong_purpose != NULL)
			snprintf(err, errlen, "client certificate: its CA %s is in the "
			         "store as %s, not tomcat-trust (upload it with "
			         "--purpose tomcat-trust)", t->wrong_ca, t->wrong_purpose);
		else if (v != X509_V_OK)
			snprintf(err, errlen, "client certificate: %s",
			         X509_verify_cert_error_string(v));
	}
	return r;
}

long
sip_tls_read(sip_tls *t, void *buf, size_t len, char *err, size_t errlen)
{
	size_t got = 0;
	int r = SSL_read_ex(t->ssl, buf, len, &got);

	if (r == 1) {
		t->want_write = 0;
		return (long)got;
	}
	return io_result(t, 0, err, errlen);
}

long
sip_tls_write(sip_tls *t, const void *buf, size_t len, char *err, size_t errlen)
{
	size_t put = 0;
	int r = SSL_write_ex(t->ssl, buf, len, &put);

	if (r == 1) {
		t->want_write = 0;
		return (long)put;
	}
	return io_result(t, 0, err, errlen);
}

int
sip_tls_pending(const sip_tls *t)
{
	return SSL_has_pending(t->ssl);
}

int
sip_tls_resumed(const sip_tls *t)
{
	return SSL_session_reused(t->ssl);
}

enum policy_peer
sip_tls_peer(sip_tls *t, const char *const *names, size_t n)
{
	X509 *x = SSL_get1_peer_certificate(t->ssl);
	unsigned char *der = NULL;
	int len;
	enum policy_peer p = PEER_NONE;

	if (x == NULL)
		return PEER_NONE;
	/* The chain was verified during the handshake (VERIFY_PEER); here
	 * only the name decides. */
	len = i2d_X509(x, &der);
	if (len > 0 && SSL_get_verify_result(t->ssl) == X509_V_OK)
		p = cert_match_names_der(der, (size_t)len, names, n) >= 0 ?
		    PEER_TRUSTED : PEER_UNTRUSTED;
	else
		p = PEER_UNTRUSTED;
	OPENSSL_free(der);
	X509_free(x);
	return p;
}
