/*
 * ossl_key.c - the OpenSSL half of key.c (the cpk_ interface of
 * trust_int.h): public and private key material behind an EVP_PKEY, loaded
 * from PEM or from JWK members, generated, freed, and exported as JWK
 * members or PEM.  Binding to an algorithm and signing live in ossl_jws.c
 * (tokens) and ossl_tlssig.c (TLS).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "trust/ossl_int.h"

/* P-256, P-384 or CPK_OTHER for any other curve. */
static enum cpk_kty
ec_curve(const EVP_PKEY *pk)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &glen) != 1) {
		ERR_clear_error();
		return CPK_OTHER;
	}
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return CPK_EC_P256;
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return CPK_EC_P384;
	return CPK_OTHER;
}

/* Takes ownership of pk in every case. */
static struct cpk *
cpk_wrap(EVP_PKEY *pk, int priv, char *err, size_t errlen)
{
	struct cpk *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		EVP_PKEY_free(pk);
		trust_err(err, errlen, "out of memory");
		return NULL;
	}
	c->pkey = pk;
	c->priv = priv;
	c->bits = EVP_PKEY_get_bits(pk);
	pthread_mutex_init(&c->mu, NULL);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		c->kty = CPK_RSA;
		break;
	case EVP_PKEY_EC:
		c->kty = ec_curve(pk);
		break;
	case EVP_PKEY_ED25519:
		c->kty = CPK_ED25519;
		break;
	default:
		c->kty = CPK_OTHER;
	}
	if (c->kty == CPK_OTHER) {
		trust_err(err, errlen, "unsupported key type or curve");
		cpk_free(c);
		return NULL;
	}
	return c;
}

struct cpk *
cpk_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	BIO *b;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int priv = 0;

	if (len > CERT_PEM_MAX || len > INT32_MAX) {
		trust_err(err, errlen, "PEM too large");
		return NULL;
	}
	b = BIO_new_mem_buf(pem, (int)len);
	if (b == NULL) {
		trust_err(err, errlen, "out of memory");
		return NULL;
	}
	pk = PEM_read_bio_PrivateKey(b, NULL, trust_pem_no_password, NULL);
	if (pk != NULL) {
		priv = 1;
	} else {
		ERR_clear_error();
		(void)BIO_reset(b);
		pk = PEM_read_bio_PUBKEY(b, NULL, trust_pem_no_password, NULL);
	}
	if (pk == NULL) {
		ERR_clear_error();
		(void)BIO_reset(b);
		x = PEM_read_bio_X509(b, NULL, trust_pem_no_password, NULL);
		if (x != NULL)
			pk = X509_get_pubkey(x);
		X509_free(x);
	}
	BIO_free(b);
	if (pk == NULL) {
		trust_err_ossl(err, errlen, "no usable PEM key");
		return NULL;
	}
	return cpk_wrap(pk, priv, err, errlen);
}

/* check: run EVP_PKEY_public_check (EC point on the curve, not infinity).
 * RSA does its own checks instead: OpenSSL's RSA public check is
 * probabilistic (SP 800-56B, random Miller-Rabin bases), so a malformed
 * modulus could load on one try and not the next; fuzz_jwk found exactly
 * that. */
static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int check, char *err,
              size_t errlen)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		trust_err_ossl(err, errlen, "cannot build key");
		pk = NULL;
		goto out;
	}
	EVP_PKEY_CTX_free(ctx);
	ctx = NULL;
	if (!check)
		goto out;
	/* Imported points are attacker-chosen: check them. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	if (ctx == NULL || EVP_PKEY_public_check(ctx) != 1) {
		trust_err_ossl(err, errlen, "public key check failed");
		EVP_PKEY_free(pk);
		pk = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

struct cpk *
cpk_from_rsa(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
             char *err, size_t errlen)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	EVP_PKEY *pk = NULL;

	/* RFC 7518 §6.3.1: unsigned big-endian without leading zeros; we
	 * accept none, so each modulus has one JWK form (thumbprints agree). */
	if (nlen == 0 || elen == 0 || n[0] == 0 || e[0] == 0 || nlen > 1024 ||
	    elen > 8) {
		trust_err(err, errlen, "bad RSA n or e");
		return NULL;
	}
	/* Deterministic sanity (RFC 8017 §3.1): an odd modulus, an odd
	 * exponent of at least 3 that is smaller than the modulus.  The size
	 * floor (2048 bits) is enforced when the key is bound. */
	if ((n[nlen - 1] & 1) == 0 || (e[elen - 1] & 1) == 0 ||
	    (elen == 1 && e[0] < 3) || elen >= nlen) {
		trust_err(err, errlen, "RSA n or e fails sanity checks");
		return NULL;
	}
	bn = BN_bin2bn(n, (int)nlen, NULL);
	be = BN_bin2bn(e, (int)elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn == NULL || be == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1) {
		trust_err_ossl(err, errlen, "out of memory");
		goto out;
	}
	pk = pkey_fromdata("RSA", bld, 0, err, errlen);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pk ? cpk_wrap(pk, 0, err, errlen) : NULL;
}

struct cpk *
cpk_from_ec(enum cpk_kty curve, const uint8_t *x, size_t xlen,
            const uint8_t *y, size_t ylen, char *err, size_t errlen)
{
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t pt[1 + 2 * 48];
	size_t cl = curve == CPK_EC_P256 ? 32 : 48;
	const char *group = curve == CPK_EC_P256 ? "prime256v1" : "secp384r1";

	if ((curve != CPK_EC_P256 && curve != CPK_EC_P384) || xlen != cl ||
	    ylen != cl) {
		trust_err(err, errlen, "EC x/y must be exactly %zu bytes", cl);
		return NULL;
	}
	pt[0] = 0x04;
	memcpy(pt + 1, x, cl);
	memcpy(pt + 1 + cl, y, cl);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	                                    group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
	                                     1 + 2 * cl) != 1) {
		trust_err_ossl(err, errlen, "out of memory");
		goto out;
	}
	pk = pkey_fromdata("EC", bld, 1, err, errlen);
out:
	OSSL_PARAM_BLD_free(bld);
	return pk ? cpk_wrap(pk, 0, err, errlen) : NULL;
}

struct cpk *
cpk_from_ed25519(const uint8_t *x, size_t xlen, char *err, size_t errlen)
{
	EVP_PKEY *pk;

	if (xlen != 32) {
		trust_err(err, errlen, "Ed25519 x must be 32 bytes");
		return NULL;
	}
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
	if (pk == NULL) {
		trust_err_ossl(err, errlen, "bad Ed25519 key");
		return NULL;
	}
	return cpk_wrap(pk, 0, err, errlen);
}

struct cpk *
cpk_generate(enum key_type t, char *err, size_t errlen)
{
	EVP_PKEY *pk = NULL;

	switch (t) {
	case KEY_RSA2048:
		pk = EVP_RSA_gen(2048);
		break;
	case KEY_EC256:
		pk = EVP_EC_gen("P-256");
		break;
	case KEY_ED25519:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	default:
		trust_err(err, errlen, "unknown key type");
		return NULL;
	}
	if (pk == NULL) {
		trust_err_ossl(err, errlen, "key generation failed");
		return NULL;
	}
	return cpk_wrap(pk, 1, err, errlen);
}

void
cpk_free(struct cpk *c)
{
	if (c == NULL)
		return;
	cpk_pool_free(c);
	pthread_mutex_destroy(&c->mu);
	EVP_PKEY_free(c->pkey);
	free(c);
}

enum cpk_kty cpk_kty(const struct cpk *c) { return c->kty; }
int cpk_bits(const struct cpk *c) { return c->bits; }
int cpk_is_private(const struct cpk *c) { return c->priv; }

/* ---- export ---- */

static uint8_t *
bn_param(const EVP_PKEY *pk, const char *name, size_t *len)
{
	BIGNUM *bn = NULL;
	uint8_t *p = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1) {
		ERR_clear_error();
		return NULL;
	}
	n = BN_num_bytes(bn);
	if (n > 0 && (p = malloc((size_t)n)) != NULL) {
		BN_bn2bin(bn, p);
		*len = (size_t)n;
	}
	BN_free(bn);
	return p;
}

int
cpk_export_rsa(const struct cpk *c, uint8_t **n, size_t *nlen, uint8_t **e,
               size_t *elen)
{
	if (c->kty != CPK_RSA)
		return -1;
	*n = bn_param(c->pkey, OSSL_PKEY_PARAM_RSA_N, nlen);
	*e = bn_param(c->pkey, OSSL_PKEY_PARAM_RSA_E, elen);
	if (*n == NULL || *e == NULL) {
		free(*n);
		free(*e);
		return -1;
	}
	return 0;
}

static int
bn_param_pad(const EVP_PKEY *pk, const char *name, uint8_t *out, size_t len)
{
	BIGNUM *bn = NULL;
	int rc;

	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1) {
		ERR_clear_error();
		return -1;
	}
	rc = BN_bn2binpad(bn, out, (int)len) == (int)len ? 0 : -1;
	BN_free(bn);
	return rc;
}

int
cpk_export_ec(const struct cpk *c, uint8_t x[66], uint8_t y[66],
              size_t *coordlen)
{
	size_t cl;

	if (c->kty != CPK_EC_P256 && c->kty != CPK_EC_P384)
		return -1;
	cl = c->kty == CPK_EC_P256 ? 32 : 48;
	if (bn_param_pad(c->pkey, OSSL_PKEY_PARAM_EC_PUB_X, x, cl) < 0 ||
	    bn_param_pad(c->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, y, cl) < 0)
		return -1;
	*coordlen = cl;
	return 0;
}

int
cpk_export_ed25519(const struct cpk *c, uint8_t x[32])
{
	size_t len = 32;

	if (c->kty != CPK_ED25519 ||
	    EVP_PKEY_get_raw_public_key(c->pkey, x, &len) != 1 || len != 32) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

char *
cpk_public_pem(const struct cpk *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b != NULL && PEM_write_bio_PUBKEY(b, c->pkey) == 1)
		s = trust_bio_string(b);
	BIO_free(b);
	ERR_clear_error();
	return s;
}

char *
cpk_private_pem(const struct cpk *c)
{
	BIO *b;
	char *s = NULL;

	if (!c->priv)
		return NULL;
	/* BIO_s_secmem keeps the plaintext key out of ordinary heap pages
	 * where it can; the copy we return is wiped by trust_free_secret. */
	b = BIO_new(BIO_s_secmem());
	if (b != NULL && PEM_write_bio_PrivateKey(b, c->pkey, NULL, NULL, 0,
	                                          NULL, NULL) == 1)
		s = trust_bio_string(b);
	BIO_free(b);
	ERR_clear_error();
	return s;
}
