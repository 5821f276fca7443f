/*
 * ossl_tlssig.c - the OpenSSL half of TLS server keys (key_sign_raw,
 * key_sign_digest in key.c): raw signatures in the schemes a TLS 1.2 / 1.3
 * server makes (RFC 8446 §4.2.3), with or without hashing first.  Unlike
 * the JWS primitives the key is bound to no algorithm; the scheme names the
 * padding and hash of each signature.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "trust/ossl_int.h"

struct sig_scheme_info {
	enum cpk_kty kty;          /* CPK_EC_P256 here means "any EC curve" */
	int md_bits;               /* 0: none (Ed25519, PKCS#1 raw DigestInfo) */
	int pss;
};

static const struct sig_scheme_info sig_schemes[SIG_SCHEME_COUNT] = {
	[SIG_RSA_PKCS1_SHA256] = { CPK_RSA, 256, 0 },
	[SIG_RSA_PKCS1_SHA384] = { CPK_RSA, 384, 0 },
	[SIG_RSA_PKCS1_SHA512] = { CPK_RSA, 512, 0 },
	[SIG_RSA_PKCS1_RAW]    = { CPK_RSA, 0, 0 },
	[SIG_RSA_PSS_SHA256]   = { CPK_RSA, 256, 1 },
	[SIG_RSA_PSS_SHA384]   = { CPK_RSA, 384, 1 },
	[SIG_RSA_PSS_SHA512]   = { CPK_RSA, 512, 1 },
	[SIG_ECDSA_SHA256]     = { CPK_EC_P256, 256, 0 },
	[SIG_ECDSA_SHA384]     = { CPK_EC_P256, 384, 0 },
	[SIG_ECDSA_SHA512]     = { CPK_EC_P256, 512, 0 },
	[SIG_ED25519]          = { CPK_ED25519, 0, 0 },
};

/* The longest DigestInfo: SHA-512's 19-byte prefix + 64. */
#define DIGESTINFO_MAX 128

int
cpk_sig_supported(const struct cpk *c, enum trust_sig_scheme s)
{
	enum cpk_kty want;

	if ((int)s <= SIG_SCHEME_INVALID || s >= SIG_SCHEME_COUNT || !c->priv)
		return 0;
	want = sig_schemes[s].kty;
	if (want == CPK_EC_P256)
		return c->kty == CPK_EC_P256 || c->kty == CPK_EC_P384;
	return c->kty == want;
}

/* RSA padding and, for PSS, MGF1 with the signing hash and a salt as long
 * as the hash (RFC 8446 §4.2.3). */
static int
rsa_scheme_setup(EVP_PKEY_CTX *pctx, const struct sig_scheme_info *si)
{
	if (!si->pss)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 ? 0 : -1;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, trust_md(si->md_bits)) != 1)
		return -1;
	return 0;
}

/* Signs a digest the caller made (md NULL: a whole DigestInfo for PKCS#1
 * raw).  *siglen holds sig's capacity on entry, the length on return. */
static int
sign_digest(struct cpk *c, const struct sig_scheme_info *si, const EVP_MD *md,
            const void *in, size_t inlen, uint8_t *sig, size_t *siglen,
            char *err, size_t errlen)
{
	EVP_PKEY_CTX *pctx;
	int rc = -1;

	if (c->kty == CPK_ED25519) {
		trust_err(err, errlen, "Ed25519 signs the message, not a digest");
		return -1;
	}
	if (md != NULL ? inlen != (size_t)EVP_MD_get_size(md)
	               : inlen == 0 || inlen > DIGESTINFO_MAX) {
		trust_err(err, errlen, "digest length %zu does not fit the scheme",
		          inlen);
		return -1;
	}
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, c->pkey, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pctx) != 1 ||
	    (c->kty == CPK_RSA && rsa_scheme_setup(pctx, si) < 0) ||
	    (md != NULL && EVP_PKEY_CTX_set_signature_md(pctx, md) != 1))
		trust_err_ossl(err, errlen, "sign setup");
	else if (EVP_PKEY_sign(pctx, sig, siglen, in, inlen) != 1)
		trust_err_ossl(err, errlen, "sign");
	else
		rc = 0;
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/* Hashes the message with md and signs (md NULL: Ed25519 signs the message
 * itself).  *siglen as for sign_digest. */
static int
sign_message(struct cpk *c, const struct sig_scheme_info *si,
             const EVP_MD *md, const void *in, size_t inlen, uint8_t *sig,
             size_t *siglen, char *err, size_t errlen)
{
	EVP_MD_CTX *m;
	EVP_PKEY_CTX *pctx = NULL;     /* owned by m */
	int rc = -1;

	if ((m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(m, &pctx, md ? EVP_MD_get0_name(md) : NULL,
	                          NULL, NULL, c->pkey, NULL) != 1 ||
	    (c->kty == CPK_RSA && rsa_scheme_setup(pctx, si) < 0))
		trust_err_ossl(err, errlen, "sign setup");
	else if (EVP_DigestSign(m, sig, siglen, in, inlen) != 1)
		trust_err_ossl(err, errlen, "sign");
	else
		rc = 0;
	EVP_MD_CTX_free(m);
	return rc;
}

int
cpk_sign_scheme(struct cpk *c, enum trust_sig_scheme s, int prehashed,
                const void *in, size_t inlen, uint8_t *sig, size_t sigcap,
                size_t *siglen, char *err, size_t errlen)
{
	const struct sig_scheme_info *si;
	const EVP_MD *md;
	size_t sl = sigcap;
	int rc;

	if (!cpk_sig_supported(c, s)) {
		trust_err(err, errlen, "signature scheme does not fit the key");
		return -1;
	}
	si = &sig_schemes[s];
	md = si->md_bits ? trust_md(si->md_bits) : NULL;
	if (prehashed || s == SIG_RSA_PKCS1_RAW)
		rc = sign_digest(c, si, md, in, inlen, sig, &sl, err, errlen);
	else
		rc = sign_message(c, si, md, in, inlen, sig, &sl, err, errlen);
	if (rc == 0)
		*siglen = sl;
	return rc;
}
