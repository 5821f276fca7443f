/*
 * ossl_int.h - private to the files of trust/ that call OpenSSL (ossl.c,
 * ossl_key.c, ossl_jws.c, ossl_tlssig.c, hash.c, secret.c, cert.c, x509.c):
 * the layout of a struct cpk and the OpenSSL helpers they share.  No other
 * file includes it, so OpenSSL types stay out of the rest of the folder.
 */
#ifndef OPROV_TRUST_OSSL_INT_H
#define OPROV_TRUST_OSSL_INT_H

#include <pthread.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trust/trust_int.h"

/* Ready verification contexts kept per key: enough for one per worker
 * thread of a small machine; more are created and freed on demand. */
#define CPK_POOL 16

/* One verification's worth of OpenSSL contexts (ossl_jws.c). */
struct vctx;

struct cpk {
	EVP_PKEY *pkey;
	enum cpk_kty kty;
	int bits;
	int priv;
	enum jws_alg alg;          /* bound by cpk_bind; INVALID for TLS keys */
	const EVP_MD *md;          /* NULL for EdDSA */
	pthread_mutex_t mu;        /* guards pool and npool */
	struct vctx *pool[CPK_POOL];
	int npool;
};

/* ---- ossl.c ---- */

/* Writes "what: <OpenSSL's first queued reason>" (never secret material)
 * and clears the queue so a later call does not report a stale error. */
void trust_err_ossl(char *err, size_t errlen, const char *what);
/* The digest of `bits` (256, 384 or 512), fetched once per process. */
const EVP_MD *trust_md(int bits);
/* PEM password callback that never prompts: encrypted keys are refused. */
int trust_pem_no_password(char *buf, int size, int rw, void *u);
/* The contents of a memory BIO as a malloc'd NUL-terminated string. */
char *trust_bio_string(BIO *b);

/* ---- ossl_jws.c ---- */

/* Frees the pooled verification contexts of c (from cpk_free). */
void cpk_pool_free(struct cpk *c);

/* ---- cert.c ---- */

/* Every certificate of a PEM bundle (at most CERT_PEM_MAX bytes); anything
 * that is not a certificate block fails the whole bundle.  NULL on error or
 * when there is none. */
STACK_OF(X509) *cert_stack_from_pem(const char *pem, size_t len, char *err,
                                    size_t errlen);
/* One certificate as PEM text (malloc'd), or NULL. */
char *cert_to_pem(X509 *x);

#endif
