/*
 * ossl_jws.c - the OpenSSL half of JWS signatures (RFC 7518 §3): binding a
 * key to its one algorithm, the pool of ready verification contexts that
 * keeps the hot path free of allocations, verification and signing with
 * JWS encodings (ECDSA as fixed-width R||S, PSS with salt = hash length).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "trust/ossl_int.h"

/* One verification's worth of contexts.  RSA/ECDSA: p is set up to verify
 * a digest and m hashes the message.  EdDSA: m is set up by
 * EVP_DigestVerifyInit (Ed25519 takes the message itself), p unused. */
struct vctx {
	EVP_PKEY_CTX *p;
	EVP_MD_CTX *m;
};

static void
pool_item_free(struct vctx *it)
{
	if (it == NULL)
		return;
	EVP_PKEY_CTX_free(it->p);
	EVP_MD_CTX_free(it->m);
	free(it);
}

void
cpk_pool_free(struct cpk *c)
{
	for (int i = 0; i < c->npool; i++)
		pool_item_free(c->pool[i]);
	c->npool = 0;
}

/* Verification contexts for the bound algorithm, ready to use. */
static struct vctx *
ctx_make(struct cpk *c)
{
	struct vctx *it = calloc(1, sizeof(*it));

	if (it == NULL || (it->m = EVP_MD_CTX_new()) == NULL)
		goto fail;
	if (c->kty == CPK_ED25519) {
		/* EdDSA signs the message itself (RFC 8032): no digest. */
		if (EVP_DigestVerifyInit_ex(it->m, NULL, NULL, NULL, NULL, c->pkey,
		                            NULL) != 1)
			goto fail;
		return it;
	}
	it->p = EVP_PKEY_CTX_new_from_pkey(NULL, c->pkey, NULL);
	if (it->p == NULL || EVP_PKEY_verify_init(it->p) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(it->p, c->md) != 1)
		goto fail;
	if (c->kty == CPK_RSA) {
		if (c->alg == JWS_PS256) {
			/* RFC 7518 §3.5: MGF1 with the same hash, salt = hash
			 * length. */
			if (EVP_PKEY_CTX_set_rsa_padding(it->p, RSA_PKCS1_PSS_PADDING) != 1 ||
			    EVP_PKEY_CTX_set_rsa_mgf1_md(it->p, c->md) != 1 ||
			    EVP_PKEY_CTX_set_rsa_pss_saltlen(it->p, RSA_PSS_SALTLEN_DIGEST) != 1)
				goto fail;
		} else if (EVP_PKEY_CTX_set_rsa_padding(it->p, RSA_PKCS1_PADDING) != 1) {
			goto fail;
		}
	}
	return it;
fail:
	pool_item_free(it);
	ERR_clear_error();
	return NULL;
}

static struct vctx *
ctx_get(struct cpk *c)
{
	struct vctx *it = NULL;

	pthread_mutex_lock(&c->mu);
	if (c->npool > 0)
		it = c->pool[--c->npool];
	pthread_mutex_unlock(&c->mu);
	return it ? it : ctx_make(c);
}

static void
ctx_put(struct cpk *c, struct vctx *it)
{
	pthread_mutex_lock(&c->mu);
	if (c->npool < CPK_POOL) {
		c->pool[c->npool++] = it;
		it = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	pool_item_free(it);
}

int
cpk_bind(struct cpk *c, enum jws_alg alg, char *err, size_t errlen)
{
	int ok;
	struct vctx *it;

	switch (alg) {
	case JWS_RS256: case JWS_RS384: case JWS_RS512: case JWS_PS256:
		ok = c->kty == CPK_RSA;
		break;
	case JWS_ES256:
		ok = c->kty == CPK_EC_P256;
		break;
	case JWS_ES384:
		ok = c->kty == CPK_EC_P384;
		break;
	case JWS_EDDSA:
		ok = c->kty == CPK_ED25519;
		break;
	default:
		ok = 0;
	}
	if (!ok) {
		trust_err(err, errlen, "key type does not fit %s", jws_alg_name(alg));
		return -1;
	}
	/* RFC 7518 §3.3 and RFC 8725 §3.5: RSA keys of 2048 bits or more. */
	if (c->kty == CPK_RSA && c->bits < 2048) {
		trust_err(err, errlen, "RSA key of %d bits refused (minimum 2048)",
		          c->bits);
		return -1;
	}
	c->alg = alg;
	switch (alg) {
	case JWS_RS384: case JWS_ES384:
		c->md = trust_md(384);
		break;
	case JWS_RS512:
		c->md = trust_md(512);
		break;
	case JWS_EDDSA:
		c->md = NULL;
		break;
	default:
		c->md = trust_md(256);
	}
	/* Prove the context can be made now rather than on the first token. */
	if ((it = ctx_make(c)) == NULL) {
		trust_err(err, errlen, "cannot prepare verification for %s",
		          jws_alg_name(alg));
		return -1;
	}
	ctx_put(c, it);
	return 0;
}

/* Raw r||s (each exactly cl bytes) to a DER ECDSA-Sig-Value, written by hand
 * so verification allocates nothing.  Returns the DER length. */
static size_t
ecdsa_raw_to_der(const uint8_t *sig, size_t cl, uint8_t *der)
{
	uint8_t body[2 * (2 + 1 + 48)];
	size_t bl = 0, dl = 0;

	for (int half = 0; half < 2; half++) {
		const uint8_t *v = sig + half * cl;
		size_t n = cl;
		while (n > 1 && *v == 0) {
			v++;
			n--;
		}
		int pad = (*v & 0x80) != 0;
		body[bl++] = 0x02;
		body[bl++] = (uint8_t)(n + (size_t)pad);
		if (pad)
			body[bl++] = 0;
		memcpy(body + bl, v, n);
		bl += n;
	}
	der[dl++] = 0x30;
	if (bl >= 0x80)
		der[dl++] = 0x81;
	der[dl++] = (uint8_t)bl;
	memcpy(der + dl, body, bl);
	return dl + bl;
}

int
cpk_verify(struct cpk *c, const void *msg, size_t msglen, const uint8_t *sig,
           size_t siglen)
{
	uint8_t dgst[EVP_MAX_MD_SIZE], der[8 + 2 * (3 + 48)];
	unsigned int dlen = 0;
	struct vctx *it;
	int rc;

	if (c->alg == JWS_ALG_INVALID)
		return -1;
	if (c->kty == CPK_EC_P256 || c->kty == CPK_EC_P384) {
		size_t cl = c->kty == CPK_EC_P256 ? 32 : 48;
		/* RFC 7518 §3.4: exactly R||S; a DER signature is refused
		 * here, never guessed at. */
		if (siglen != 2 * cl)
			return 0;
		siglen = ecdsa_raw_to_der(sig, cl, der);
		sig = der;
	} else if (c->kty == CPK_RSA) {
		if (siglen != (size_t)(c->bits + 7) / 8)
			return 0;
	} else if (siglen != 64) {
		return 0;
	}
	if ((it = ctx_get(c)) == NULL)
		return -1;
	if (c->kty == CPK_ED25519) {
		rc = EVP_DigestVerify(it->m, sig, siglen, msg, msglen);
	} else if (EVP_DigestInit_ex2(it->m, c->md, NULL) != 1 ||
	           EVP_DigestUpdate(it->m, msg, msglen) != 1 ||
	           EVP_DigestFinal_ex(it->m, dgst, &dlen) != 1) {
		rc = -1;
	} else {
		rc = EVP_PKEY_verify(it->p, sig, siglen, dgst, dlen);
	}
	if (rc != 1)
		ERR_clear_error();      /* failures queue reasons; success none */
	if (rc < 0) {
		/* A context that failed internally is not trusted again. */
		pool_item_free(it);
		return -1;
	}
	ctx_put(c, it);
	return rc == 1 ? 1 : 0;
}

/* A DER ECDSA-Sig-Value to the fixed-width R||S of RFC 7518 §3.4. */
static int
ecdsa_der_to_raw(const uint8_t *der, size_t dl, size_t cl, uint8_t *sig,
                 size_t sigcap, char *err, size_t errlen)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int rc = -1;

	if (sigcap < 2 * cl || (es = d2i_ECDSA_SIG(NULL, &p, (long)dl)) == NULL) {
		trust_err_ossl(err, errlen, "ECDSA signature");
		return -1;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, (int)cl) != (int)cl ||
	    BN_bn2binpad(s, sig + cl, (int)cl) != (int)cl)
		trust_err(err, errlen, "ECDSA signature width");
	else
		rc = 0;
	ECDSA_SIG_free(es);
	return rc;
}

int
cpk_sign(struct cpk *c, const void *msg, size_t msglen, uint8_t *sig,
         size_t sigcap, size_t *siglen, char *err, size_t errlen)
{
	EVP_MD_CTX *m = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t der[512];
	size_t dl = sizeof(der);
	int rc = -1;

	if (!c->priv || c->alg == JWS_ALG_INVALID) {
		trust_err(err, errlen, "not a bound private key");
		return -1;
	}
	if ((m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(m, &pctx, c->md ? EVP_MD_get0_name(c->md) : NULL,
	                          NULL, NULL, c->pkey, NULL) != 1) {
		trust_err_ossl(err, errlen, "sign init");
		goto out;
	}
	if (c->alg == JWS_PS256 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
		trust_err_ossl(err, errlen, "PSS setup");
		goto out;
	}
	if (EVP_DigestSign(m, der, &dl, msg, msglen) != 1) {
		trust_err_ossl(err, errlen, "sign");
		goto out;
	}
	if (c->kty == CPK_EC_P256 || c->kty == CPK_EC_P384) {
		size_t cl = c->kty == CPK_EC_P256 ? 32 : 48;
		if (ecdsa_der_to_raw(der, dl, cl, sig, sigcap, err, errlen) < 0)
			goto out;
		*siglen = 2 * cl;
	} else {
		if (dl > sigcap) {
			trust_err(err, errlen, "signature buffer too small");
			goto out;
		}
		memcpy(sig, der, dl);
		*siglen = dl;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(m);
	return rc;
}
