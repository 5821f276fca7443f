/*
 * ossl_filesig.c - the OpenSSL half of trust lists (.tlv) and signed files
 * (.sgn): the fields a trust-list record copies out of a certificate
 * (names, serial, public key, the certificate's own signature), and the
 * check of a file's RSA PKCS#1 v1.5 signature with a certificate's public
 * key.  tlv.c and sgn.c speak bytes only (docs/formats.md).
 */
#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "trust/ossl_int.h"

static X509 *
der_cert(const uint8_t *der, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len == 0 || len > TLV_CERT_MAX) {
		trust_err(err, errlen, "certificate missing or over %d bytes", TLV_CERT_MAX);
		return NULL;
	}
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len) {
		X509_free(x);
		trust_err_ossl(err, errlen, "not one DER certificate");
		return NULL;
	}
	return x;
}

/* "CN=a;O=b" in the certificate's own order: the name form of the
 * published tool (one attribute=value per RDN entry, ';' between). */
static int
name_text(const X509_NAME *nm, char *out, size_t outsz)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < X509_NAME_entry_count(nm); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : "?";
		unsigned char *u = NULL;
		int ul = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
		int n;

		if (ul < 0)
			return -1;
		n = snprintf(out + used, outsz - used, "%s%s=%.*s", i ? ";" : "", sn, ul,
		             (const char *)u);
		OPENSSL_free(u);
		if (n < 0 || (size_t)n >= outsz - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

static int
copy_out(uint8_t *dst, size_t cap, size_t *len, const void *src, size_t n)
{
	if (n > cap)
		return -1;
	if (n > 0)
		memcpy(dst, src, n);
	*len = n;
	return 0;
}

/* Serial as minimal big-endian bytes; public key as PKCS#1 RSAPublicKey
 * (RSA) or X9.62 uncompressed point (EC); the certificate's signature. */
static int
key_fields(X509 *x, struct tlv_cert_fields *out)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	unsigned char *pk = NULL;
	EVP_PKEY *pkey = X509_get0_pubkey(x);
	BIGNUM *bn;
	int n, rc = -1;

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (bn == NULL || BN_num_bytes(bn) > TLV_SERIAL_MAX)
		goto out;
	out->serial_len = (size_t)BN_bn2bin(bn, out->serial);
	if (pkey == NULL)
		goto out;
	if ((n = i2d_PublicKey(pkey, &pk)) > 0) {
		if (copy_out(out->pubkey, sizeof(out->pubkey), &out->pubkey_len, pk,
		             (size_t)n) < 0)
			goto out;
	} else {
		/* Ed25519 and the like have no i2d form: the raw key. */
		size_t rl = sizeof(out->pubkey);

		ERR_clear_error();
		if (EVP_PKEY_get_raw_public_key(pkey, out->pubkey, &rl) != 1)
			goto out;
		out->pubkey_len = rl;
	}
	out->rsa_bits = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA ? EVP_PKEY_get_bits(pkey) : 0;
	X509_get0_signature(&sig, &alg, x);
	if (copy_out(out->sig, sizeof(out->sig), &out->sig_len, ASN1_STRING_get0_data(sig),
	             (size_t)ASN1_STRING_length(sig)) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(pk);
	BN_free(bn);
	return rc;
}

int
tlv_cert_fields(const uint8_t *der, size_t len, struct tlv_cert_fields *out,
                char *err, size_t errlen)
{
	X509 *x = der_cert(der, len, err, errlen);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (x == NULL)
		return -1;
	if (name_text(X509_get_subject_name(x), out->subject, sizeof(out->subject)) < 0 ||
	    name_text(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer)) < 0)
		trust_err(err, errlen, "certificate names over %d bytes", TLV_NAME_MAX);
	else if (key_fields(x, out) < 0)
		trust_err(err, errlen, "certificate serial, key or signature out of bounds");
	else
		rc = 0;
	ERR_clear_error();
	X509_free(x);
	return rc;
}

int
tlv_sig_verify(const uint8_t *der, size_t len, int hash_bits, const void *data,
               size_t n, const uint8_t *sig, size_t siglen)
{
	const EVP_MD *md = hash_bits == 160 ? EVP_sha1() : trust_md(hash_bits);
	EVP_PKEY_CTX *pctx = NULL;          /* owned by m */
	EVP_MD_CTX *m = NULL;
	X509 *x = der_cert(der, len, NULL, 0);
	EVP_PKEY *pkey;                     /* owned by x */
	int rc = -1;

	if (x == NULL || (hash_bits != 160 && hash_bits != 256 && hash_bits != 512))
		goto out;
	/* NULL when the certificate parses but its key does not (a list
	 * brought from elsewhere, or a fuzzed one): unreadable, not a crash. */
	if ((pkey = X509_get0_pubkey(x)) == NULL)
		goto out;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		rc = 0;                             /* the formats sign with RSA only */
		goto out;
	}
	if ((m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(m, &pctx, EVP_MD_get0_name(md), NULL, NULL,
	                            pkey, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	rc = EVP_DigestVerify(m, sig, siglen, data, n) == 1 ? 1 : 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	X509_free(x);
	return rc;
}
