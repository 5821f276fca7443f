/*
 * tls.c - the only file of sip/ that speaks OpenSSL: server contexts for 5090
 * (server authentication) and 5091 (client certificate required, chain
 * checked against tomcat-trust), non-blocking per-connection sessions, and
 * the peer-name check against the Expressway-C entries.
 *
 * TLS 1.2 is the floor (standards.md "OpenSSL 3 notes").  Resumption: the
 * server-side session cache (TLS 1.2 session ids) and stateless tickets
 * (TLS 1.3 and 1.2), both on by default; a session id context is set so
 * resumption also works when a client certificate was requested.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/common.h"
#include "sip/sip_int.h"
#include "sip/sipd_int.h"

struct sip_tls_ctx {
	SSL_CTX *ctx;
	int mtls;
};

struct sip_tls {
	SSL *ssl;
	int want_write;          /* the last call wants the socket writable */
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

sip_tls_ctx *
sip_tls_ctx_new(const char *cert_pem, const char *key_pem, int mtls,
                certstore *trust, const char *trust_pem, char *err,
                size_t errlen)
{
	sip_tls_ctx *t = calloc(1, sizeof(*t));
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	static const unsigned char sid[] = "oprov-sipd";

	if (t == NULL)
		return NULL;
	t->mtls = mtls;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (t->ctx == NULL) {
		ossl_err(err, errlen, "SSL_CTX_new");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION |
	                    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                 SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(t->ctx, SIPD_TLS_SESSION_CACHE);
	SSL_CTX_set_timeout(t->ctx, SIPD_TLS_SESSION_LIFETIME);
	SSL_CTX_set_session_id_context(t->ctx, sid, sizeof(sid) - 1);

	b = BIO_new_mem_buf(cert_pem, -1);
	if (b == NULL || (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(t->ctx, x) != 1) {
		ossl_err(err, errlen, "tomcat certificate");
		goto fail;
	}
	/* The rest of the PEM is the chain, sent along. */
	for (;;) {
		X509 *c = PEM_read_bio_X509(b, NULL, NULL, NULL);
		if (c == NULL)
			break;
		if (SSL_CTX_add0_chain_cert(t->ctx, c) != 1) {
			X509_free(c);
			break;
		}
	}
	ERR_clear_error();
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
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER |
		                   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
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
		if (v != X509_V_OK)
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
