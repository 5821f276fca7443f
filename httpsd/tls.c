/*
 * tls.c - the tomcat key and certificate chain as GnuTLS sees them.
 *
 * libmicrohttpd runs TLS through GnuTLS, whose RSA private-key operation
 * costs about six times OpenSSL's (1.73 ms against 0.29 ms per RSA-2048
 * signature, measured on the bench machine), and a server signs once per
 * new connection.  So the key is handed to GnuTLS as an external key
 * (gnutls_privkey_import_ext4) whose signing callbacks call trust/, where
 * OpenSSL makes the signature; GnuTLS keeps doing the protocol.  The chain
 * and key reach libmicrohttpd through MHD_OPTION_HTTPS_CERT_CALLBACK, the
 * only way 0.9.75 takes a gnutls_privkey_t.
 *
 * It also supplies what libmicrohttpd cannot pass to a GnuTLS session
 * (gnutls_init below): a session flag, and session tickets (RFC 5077,
 * RFC 8446 §4.6.1) with the ticket lifetime.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "httpsd/httpsd_int.h"

struct httpsd_tls {
	trust_key *key;                     /* key_tls_from_pem */
	gnutls_privkey_t priv;              /* external: signs through key */
	gnutls_pcert_st chain[HTTPSD_TLS_CHAIN_MAX];
	unsigned nchain;
};

/* The pair every TLS handshake from now on serves.  The retrieve callback
 * has no argument of its own, so it reads this.  A SIGHUP swaps it while
 * the previous listeners drain; the previous pair is freed only after they
 * stopped, so a handshake that read it just before the swap stays valid. */
static struct httpsd_tls *current;     /* __atomic_load/store */

/* GnuTLS's algorithm to ours, given the key: TLS 1.3's ECDSA schemes name
 * their curve (RFC 8446 §4.2.3), TLS 1.2's leave it to the certificate. */
static enum trust_sig_scheme
scheme_of(const trust_key *k, gnutls_sign_algorithm_t a)
{
	enum trust_sig_scheme s;
	int curve = 0;

	switch (a) {
	case GNUTLS_SIGN_RSA_SHA256: s = SIG_RSA_PKCS1_SHA256; break;
	case GNUTLS_SIGN_RSA_SHA384: s = SIG_RSA_PKCS1_SHA384; break;
	case GNUTLS_SIGN_RSA_SHA512: s = SIG_RSA_PKCS1_SHA512; break;
	case GNUTLS_SIGN_RSA_RAW: s = SIG_RSA_PKCS1_RAW; break;
	case GNUTLS_SIGN_RSA_PSS_RSAE_SHA256: s = SIG_RSA_PSS_SHA256; break;
	case GNUTLS_SIGN_RSA_PSS_RSAE_SHA384: s = SIG_RSA_PSS_SHA384; break;
	case GNUTLS_SIGN_RSA_PSS_RSAE_SHA512: s = SIG_RSA_PSS_SHA512; break;
	case GNUTLS_SIGN_ECDSA_SHA256: s = SIG_ECDSA_SHA256; break;
	case GNUTLS_SIGN_ECDSA_SHA384: s = SIG_ECDSA_SHA384; break;
	case GNUTLS_SIGN_ECDSA_SHA512: s = SIG_ECDSA_SHA512; break;
	case GNUTLS_SIGN_ECDSA_SECP256R1_SHA256: s = SIG_ECDSA_SHA256; curve = 256; break;
	case GNUTLS_SIGN_ECDSA_SECP384R1_SHA384: s = SIG_ECDSA_SHA384; curve = 384; break;
	case GNUTLS_SIGN_EDDSA_ED25519: s = SIG_ED25519; break;
	default: return SIG_SCHEME_INVALID;
	}
	if (curve != 0 && key_bits(k) != curve)
		return SIG_SCHEME_INVALID;
	return key_sig_supported(k, s) ? s : SIG_SCHEME_INVALID;
}

static int
sign_common(void *userdata, gnutls_sign_algorithm_t algo, int prehashed,
            const gnutls_datum_t *in, gnutls_datum_t *out)
{
	const trust_key *k = userdata;
	enum trust_sig_scheme s = scheme_of(k, algo);
	uint8_t sig[KEY_SIG_MAX];
	size_t sl = 0;
	char err[160];
	int rc;

	if (s == SIG_SCHEME_INVALID)
		return GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM;
	rc = prehashed ? key_sign_digest(k, s, in->data, in->size, sig, sizeof(sig),
	                                 &sl, err, sizeof(err))
	               : key_sign_raw(k, s, in->data, in->size, sig, sizeof(sig),
	                              &sl, err, sizeof(err));
	if (rc < 0) {
		log_msg(LOG_ERR, "TLS signature (%s) failed: %s",
		        gnutls_sign_get_name(algo), err);
		return GNUTLS_E_PK_SIGN_FAILED;
	}
	out->data = gnutls_malloc(sl);
	if (out->data == NULL)
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(out->data, sig, sl);
	out->size = (unsigned)sl;
	return 0;
}

static int
sign_data(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
          unsigned int flags, const gnutls_datum_t *data,
          gnutls_datum_t *signature)
{
	(void)key;
	(void)flags;
	return sign_common(userdata, algo, 0, data, signature);
}

/* GnuTLS passes the digest of the scheme's hash, or for GNUTLS_SIGN_RSA_RAW
 * a whole DigestInfo. */
static int
sign_hash(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
          unsigned int flags, const gnutls_datum_t *hash,
          gnutls_datum_t *signature)
{
	(void)key;
	(void)flags;
	return sign_common(userdata, algo, 1, hash, signature);
}

static int
key_info(gnutls_privkey_t key, unsigned int flags, void *userdata)
{
	const trust_key *k = userdata;

	(void)key;
	/* The algorithm rides in the upper bits of this one query, so it is
	 * tested first. */
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO)
		return scheme_of(k, (gnutls_sign_algorithm_t)
		                 GNUTLS_FLAGS_TO_SIGN_ALGO(flags)) != SIG_SCHEME_INVALID;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO) {
		switch (key_family(k)) {
		case KEY_FAMILY_RSA: return GNUTLS_PK_RSA;
		case KEY_FAMILY_EC: return GNUTLS_PK_ECDSA;
		case KEY_FAMILY_ED25519: return GNUTLS_PK_EDDSA_ED25519;
		default: return -1;
		}
	}
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return key_bits(k);
	return -1;      /* as the ext4 contract asks for anything else */
}

void
httpsd_tls_free(struct httpsd_tls *t)
{
	if (t == NULL)
		return;
	if (__atomic_load_n(&current, __ATOMIC_ACQUIRE) == t)
		__atomic_store_n(&current, NULL, __ATOMIC_RELEASE);
	if (t->priv != NULL)
		gnutls_privkey_deinit(t->priv);
	for (unsigned i = 0; i < t->nchain; i++)
		gnutls_pcert_deinit(&t->chain[i]);
	key_unref(t->key);
	free(t);
}

/* Drops self-signed certificates after the first: a server does not send
 * the root its clients must hold anyway (RFC 8446 §4.4.2).  The new count. */
static unsigned
drop_roots(gnutls_pcert_st *chain, unsigned n)
{
	unsigned k = 1;

	for (unsigned i = 1; i < n; i++) {
		gnutls_x509_crt_t c;
		int self = 0;

		if (gnutls_x509_crt_init(&c) >= 0) {
			if (gnutls_x509_crt_import(c, &chain[i].cert, GNUTLS_X509_FMT_DER) >= 0)
				self = gnutls_x509_crt_check_issuer(c, c) == 1;
			gnutls_x509_crt_deinit(c);
		}
		if (self) {
			gnutls_pcert_deinit(&chain[i]);
			continue;
		}
		if (k != i)
			chain[k] = chain[i];
		k++;
	}
	return k;
}

struct httpsd_tls *
httpsd_tls_new(const char *cert_pem, const char *key_pem, char *err,
               size_t errlen)
{
	struct httpsd_tls *t = calloc(1, sizeof(*t));
	gnutls_datum_t d;
	unsigned n = HTTPSD_TLS_CHAIN_MAX;
	char kerr[160] = "";
	int rc;

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->key = key_tls_from_pem(key_pem, strlen(key_pem), kerr, sizeof(kerr));
	if (t->key == NULL) {
		snprintf(err, errlen, "tomcat key: %s", kerr);
		goto fail;
	}
	d.data = (unsigned char *)cert_pem;
	d.size = (unsigned)strlen(cert_pem);
	rc = gnutls_pcert_list_import_x509_raw(t->chain, &n, &d, GNUTLS_X509_FMT_PEM,
	                                       GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED);
	if (rc < 0 || n == 0) {
		snprintf(err, errlen, "tomcat certificate chain (at most %d): %s",
		         HTTPSD_TLS_CHAIN_MAX, rc < 0 ? gnutls_strerror(rc) : "empty");
		goto fail;
	}
	t->nchain = drop_roots(t->chain, n);
	if (gnutls_pubkey_get_pk_algorithm(t->chain[0].pubkey, NULL) !=
	    key_info(NULL, GNUTLS_PRIVKEY_INFO_PK_ALGO, t->key)) {
		snprintf(err, errlen, "the tomcat key does not belong to its certificate");
		goto fail;
	}
	if ((rc = gnutls_privkey_init(&t->priv)) < 0 ||
	    (rc = gnutls_privkey_import_ext4(t->priv, t->key, sign_data, sign_hash,
	                                     NULL, NULL, key_info, 0)) < 0) {
		snprintf(err, errlen, "GnuTLS external key: %s", gnutls_strerror(rc));
		goto fail;
	}
	return t;
fail:
	httpsd_tls_free(t);
	return NULL;
}

void
httpsd_tls_use(struct httpsd_tls *t)
{
	__atomic_store_n(&current, t, __ATOMIC_RELEASE);
}

/* gnutls_certificate_retrieve_function2: GnuTLS neither copies nor frees
 * what it gets here, so the pair lives until the listeners that may have
 * handed it out are stopped. */
static int
retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_rdn, int nreqs,
         const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
         gnutls_pcert_st **pcert, unsigned int *pcert_length,
         gnutls_privkey_t *privkey)
{
	struct httpsd_tls *t = __atomic_load_n(&current, __ATOMIC_ACQUIRE);

	(void)s; (void)req_ca_rdn; (void)nreqs; (void)pk_algos; (void)pk_algos_length;
	if (t == NULL)
		return -1;
	*pcert = t->chain;
	*pcert_length = t->nchain;
	*privkey = t->priv;
	return 0;
}

void *
httpsd_tls_callback(void)
{
	return (void *)retrieve;
}

/* libmicrohttpd 0.9.75 busy-waits through every TLS handshake in its epoll
 * loop: its handshake step does not clear the connection's read-ready mark
 * when GnuTLS runs out of input, so from the server's flight until the
 * client's Finished arrives the thread spins on recv() = EAGAIN (measured:
 * about 40% of the server CPU time of a new connection, more than the
 * cryptography).  With GNUTLS_ENABLE_EARLY_START a TLS 1.3 server's
 * gnutls_handshake() returns once its flight is sent; the client's Finished
 * is then read through libmicrohttpd's record read, which does clear the
 * mark, and is verified by GnuTLS before any request byte is returned
 * (TLS 1.2 handshakes are unaffected).
 *
 * Session tickets: libmicrohttpd never enables them, so no client could
 * resume on 6971 or 8443.  Each server session gets the process's ticket
 * master key; GnuTLS derives the key that seals a ticket from it and the
 * time, and moves to a new derived key every three ticket lifetimes
 * (GnuTLS's STEK_ROTATION_PERIOD_PRODUCT; tickets under the one before stay
 * readable), which is the rotation.  The master
 * key is drawn at start-up and never leaves the process, so a restart
 * ends every ticket.
 *
 * 0.9.75 has no way to pass gnutls_init() flags or touch a session before
 * its handshake, so the executable's gnutls_init() -- found before
 * libgnutls's by the dynamic linker, also for libmicrohttpd's calls --
 * adjusts server sessions and calls GnuTLS's. */
static int early_start = 1;        /* set before the listeners start */
static unsigned ticket_lifetime;   /* 0: no tickets (before httpsd_tls_tickets) */
static gnutls_datum_t ticket_master;
static int (*next_init)(gnutls_session_t *, unsigned int);
static pthread_once_t next_init_once = PTHREAD_ONCE_INIT;

static void
find_next_init(void)
{
	void *f = dlsym(RTLD_NEXT, "gnutls_init");

	memcpy(&next_init, &f, sizeof(next_init));
}

int
gnutls_init(gnutls_session_t *session, unsigned int flags)
{
	int rc;

	pthread_once(&next_init_once, find_next_init);
	if (next_init == NULL)
		return GNUTLS_E_INTERNAL_ERROR;
	if (!(flags & GNUTLS_SERVER))
		return next_init(session, flags);
	if (early_start)
		flags |= GNUTLS_ENABLE_EARLY_START;
	if (ticket_lifetime != 0)
		flags &= ~(unsigned)GNUTLS_NO_TICKETS;
	rc = next_init(session, flags);
	if (rc < 0 || ticket_lifetime == 0)
		return rc;
	rc = gnutls_session_ticket_enable_server(*session, &ticket_master);
	if (rc < 0) {
		gnutls_deinit(*session);
		*session = NULL;
		return rc;
	}
	gnutls_db_set_cache_expiration(*session, (int)ticket_lifetime);
	return 0;
}

static int
tickets_start(unsigned lifetime, char *err, size_t errlen)
{
	int rc;

	if (lifetime != 0 && ticket_master.data == NULL &&
	    (rc = gnutls_session_ticket_key_generate(&ticket_master)) < 0) {
		snprintf(err, errlen, "session ticket key: %s", gnutls_strerror(rc));
		return -1;
	}
	ticket_lifetime = lifetime;
	return 0;
}

int
httpsd_tls_setup(struct httpsd_opts *o, char *err, size_t errlen)
{
	static char prio[TLS_POLICY_TEXT_MAX];

	early_start = !o->tls_wait_finished;
	if (o->priorities == NULL) {
		if (tls_policy_gnutls(o->policy, prio, sizeof(prio)) < 0) {
			snprintf(err, errlen, "TLS policy %s: priority string too long",
			         o->policy->name);
			return -1;
		}
		o->priorities = prio;
	}
	return tickets_start(o->ticket_lifetime, err, errlen);
}
