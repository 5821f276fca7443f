/*
 * crypto.c - every OpenSSL call of trust/ lives here: hashes, random bytes,
 * key import/export/generation, JWS signature primitives, certificate stores,
 * certificate inspection and issuance.  The other files of the folder see
 * bytes, PEM text and verdicts only (trust_int.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "trust/trust_int.h"

/* ======================================================================
 * Primitives
 * ====================================================================== */

void
trust_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Appends OpenSSL's first queued reason (never secret material) and clears
 * the queue so a later call does not report a stale error. */
static void
ossl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		trust_err(err, errlen, "%s: %s", what, buf);
	} else {
		trust_err(err, errlen, "%s", what);
	}
	ERR_clear_error();
}

void
trust_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

void
trust_free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* Digests fetched once: SHA256() and EVP_sha256() in OpenSSL 3 look the
 * implementation up on every call (a locked table search that costs more
 * than hashing a token), which the cache's hot path cannot afford. */
static EVP_MD *md_sha256, *md_sha384, *md_sha512;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	md_sha384 = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	md_sha512 = EVP_MD_fetch(NULL, "SHA2-512", NULL);
}

static const EVP_MD *
md_get(int bits)
{
	pthread_once(&md_once, md_fetch);
	if (bits == 384 && md_sha384 != NULL)
		return md_sha384;
	if (bits == 512 && md_sha512 != NULL)
		return md_sha512;
	if (bits == 256 && md_sha256 != NULL)
		return md_sha256;
	/* Fetching failed (no default provider?): the slow legacy path. */
	return bits == 384 ? EVP_sha384() : bits == 512 ? EVP_sha512() : EVP_sha256();
}

void
trust_sha256(const void *p, size_t n, uint8_t out[32])
{
	if (EVP_Digest(p, n, out, NULL, md_get(256), NULL) != 1) {
		ERR_clear_error();
		SHA256(p, n, out);
	}
}

static void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
trust_sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t d[32];

	trust_sha256(p, n, d);
	hex_encode(d, 32, out);
}

int
trust_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
                  uint8_t out[32])
{
	unsigned int olen = 0;

	if (keylen > INT32_MAX)
		return -1;
	if (HMAC(md_get(256), key, (int)keylen, p, n, out, &olen) == NULL ||
	    olen != 32) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int
trust_random(void *buf, size_t n)
{
	if (n > INT32_MAX || RAND_bytes(buf, (int)n) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int
trust_memcmp_ct(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0 ? 0 : 1;
}

void
trust_secret_hash(const char *kind, const void *secret, size_t n, char out[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t d[32];
	unsigned int dl = 0;

	if (c == NULL || EVP_DigestInit_ex(c, md_get(256), NULL) != 1 ||
	    EVP_DigestUpdate(c, "oprov-", 6) != 1 ||
	    EVP_DigestUpdate(c, kind, strlen(kind)) != 1 ||
	    EVP_DigestUpdate(c, ":", 1) != 1 ||
	    EVP_DigestUpdate(c, secret, n) != 1 ||
	    EVP_DigestFinal_ex(c, d, &dl) != 1) {
		/* Only allocation failure gets here; an empty hash can never
		 * match a stored one. */
		out[0] = '\0';
		ERR_clear_error();
	} else {
		hex_encode(d, 32, out);
	}
	EVP_MD_CTX_free(c);
	OPENSSL_cleanse(d, sizeof(d));
}

/* ======================================================================
 * Keys
 * ====================================================================== */

/* Ready verification contexts kept per key: enough for one per worker
 * thread of a small machine; more are created and freed on demand. */
#define CPK_POOL 16

/* One verification's worth of contexts.  RSA/ECDSA: p is set up to verify
 * a digest and m hashes the message.  EdDSA: m is set up by
 * EVP_DigestVerifyInit (Ed25519 takes the message itself), p unused. */
struct vctx {
	EVP_PKEY_CTX *p;
	EVP_MD_CTX *m;
};

struct cpk {
	EVP_PKEY *pkey;
	enum cpk_kty kty;
	int bits;
	int priv;
	enum jws_alg alg;          /* bound by cpk_bind */
	const EVP_MD *md;          /* NULL for EdDSA */
	pthread_mutex_t mu;
	struct vctx *pool[CPK_POOL];
	int npool;
};

static int
no_password(char *buf, int size, int rw, void *u)
{
	(void)buf; (void)size; (void)rw; (void)u;
	return -1;      /* encrypted keys are not supported: never prompt */
}

static struct cpk *
cpk_wrap(EVP_PKEY *pk, int priv, char *err, size_t errlen)
{
	struct cpk *c;
	char group[64];
	size_t glen = 0;

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
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
		    group, sizeof(group), &glen) != 1) {
			ERR_clear_error();
			c->kty = CPK_OTHER;
		} else if (strcmp(group, "prime256v1") == 0 ||
		           strcmp(group, "P-256") == 0) {
			c->kty = CPK_EC_P256;
		} else if (strcmp(group, "secp384r1") == 0 ||
		           strcmp(group, "P-384") == 0) {
			c->kty = CPK_EC_P384;
		} else {
			c->kty = CPK_OTHER;
		}
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
	pk = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
	if (pk != NULL) {
		priv = 1;
	} else {
		ERR_clear_error();
		(void)BIO_reset(b);
		pk = PEM_read_bio_PUBKEY(b, NULL, no_password, NULL);
	}
	if (pk == NULL) {
		ERR_clear_error();
		(void)BIO_reset(b);
		x = PEM_read_bio_X509(b, NULL, no_password, NULL);
		if (x != NULL)
			pk = X509_get_pubkey(x);
		X509_free(x);
	}
	BIO_free(b);
	if (pk == NULL) {
		ossl_err(err, errlen, "no usable PEM key");
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
		ossl_err(err, errlen, "cannot build key");
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
		ossl_err(err, errlen, "public key check failed");
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
		ossl_err(err, errlen, "out of memory");
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
		ossl_err(err, errlen, "out of memory");
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
		ossl_err(err, errlen, "bad Ed25519 key");
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
		ossl_err(err, errlen, "key generation failed");
		return NULL;
	}
	return cpk_wrap(pk, 1, err, errlen);
}

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
cpk_free(struct cpk *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->npool; i++)
		pool_item_free(c->pool[i]);
	pthread_mutex_destroy(&c->mu);
	EVP_PKEY_free(c->pkey);
	free(c);
}

enum cpk_kty cpk_kty(const struct cpk *c) { return c->kty; }
int cpk_bits(const struct cpk *c) { return c->bits; }
int cpk_is_private(const struct cpk *c) { return c->priv; }

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
		c->md = md_get(384);
		break;
	case JWS_RS512:
		c->md = md_get(512);
		break;
	case JWS_EDDSA:
		c->md = NULL;
		break;
	default:
		c->md = md_get(256);
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

static char *
bio_to_string(BIO *b)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

char *
cpk_public_pem(const struct cpk *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b != NULL && PEM_write_bio_PUBKEY(b, c->pkey) == 1)
		s = bio_to_string(b);
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
		s = bio_to_string(b);
	BIO_free(b);
	ERR_clear_error();
	return s;
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

int
cpk_sign(struct cpk *c, const void *msg, size_t msglen, uint8_t *sig,
         size_t sigcap, size_t *siglen, char *err, size_t errlen)
{
	EVP_MD_CTX *m = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t der[512];
	size_t dl = sizeof(der);
	ECDSA_SIG *es = NULL;
	const unsigned char *p;
	int rc = -1;

	if (!c->priv || c->alg == JWS_ALG_INVALID) {
		trust_err(err, errlen, "not a bound private key");
		return -1;
	}
	if ((m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(m, &pctx, c->md ? EVP_MD_get0_name(c->md) : NULL,
	                          NULL, NULL, c->pkey, NULL) != 1) {
		ossl_err(err, errlen, "sign init");
		goto out;
	}
	if (c->alg == JWS_PS256 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
		ossl_err(err, errlen, "PSS setup");
		goto out;
	}
	if (EVP_DigestSign(m, der, &dl, msg, msglen) != 1) {
		ossl_err(err, errlen, "sign");
		goto out;
	}
	if (c->kty == CPK_EC_P256 || c->kty == CPK_EC_P384) {
		size_t cl = c->kty == CPK_EC_P256 ? 32 : 48;
		const BIGNUM *r, *s;
		p = der;
		if (sigcap < 2 * cl ||
		    (es = d2i_ECDSA_SIG(NULL, &p, (long)dl)) == NULL) {
			ossl_err(err, errlen, "ECDSA signature");
			goto out;
		}
		ECDSA_SIG_get0(es, &r, &s);
		/* RFC 7518 §3.4: fixed-width R||S. */
		if (BN_bn2binpad(r, sig, (int)cl) != (int)cl ||
		    BN_bn2binpad(s, sig + cl, (int)cl) != (int)cl) {
			trust_err(err, errlen, "ECDSA signature width");
			goto out;
		}
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
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(m);
	return rc;
}

/* ---- TLS raw signatures ---- */

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
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md_get(si->md_bits)) != 1)
		return -1;
	return 0;
}

int
cpk_sign_scheme(struct cpk *c, enum trust_sig_scheme s, int prehashed,
                const void *in, size_t inlen, uint8_t *sig, size_t sigcap,
                size_t *siglen, char *err, size_t errlen)
{
	const struct sig_scheme_info *si;
	EVP_MD_CTX *m = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	size_t sl = sigcap;
	int rc = -1;

	if (!cpk_sig_supported(c, s)) {
		trust_err(err, errlen, "signature scheme does not fit the key");
		return -1;
	}
	si = &sig_schemes[s];
	md = si->md_bits ? md_get(si->md_bits) : NULL;
	if (s == SIG_RSA_PKCS1_RAW)
		prehashed = 1;
	if (prehashed) {
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
		    (md != NULL && EVP_PKEY_CTX_set_signature_md(pctx, md) != 1)) {
			ossl_err(err, errlen, "sign setup");
			goto out;
		}
		if (EVP_PKEY_sign(pctx, sig, &sl, in, inlen) != 1) {
			ossl_err(err, errlen, "sign");
			goto out;
		}
	} else {
		if ((m = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit_ex(m, &pctx, md ? EVP_MD_get0_name(md) : NULL,
		                          NULL, NULL, c->pkey, NULL) != 1 ||
		    (c->kty == CPK_RSA && rsa_scheme_setup(pctx, si) < 0)) {
			ossl_err(err, errlen, "sign setup");
			pctx = NULL;    /* owned by m */
			goto out;
		}
		pctx = NULL;            /* owned by m */
		if (EVP_DigestSign(m, sig, &sl, in, inlen) != 1) {
			ossl_err(err, errlen, "sign");
			goto out;
		}
	}
	*siglen = sl;
	rc = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(m);
	return rc;
}

/* ======================================================================
 * Certificates
 * ====================================================================== */

struct certstore {
	enum cert_purpose purpose;
	size_t limit;
	size_t count;
	X509_STORE *store;
	pthread_mutex_t mu;        /* serializes adds (count vs limit) */
};

/* Reads every certificate of a PEM bundle.  Anything that is not a
 * certificate block (keys, garbage) fails the whole bundle. */
static STACK_OF(X509) *
pem_read_certs(const char *pem, size_t len, char *err, size_t errlen)
{
	STACK_OF(X509) *sk;
	BIO *b;
	X509 *x;

	if (len > CERT_PEM_MAX) {
		trust_err(err, errlen, "PEM bundle over %d bytes", CERT_PEM_MAX);
		return NULL;
	}
	if ((sk = sk_X509_new_null()) == NULL ||
	    (b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		sk_X509_free(sk);
		trust_err(err, errlen, "out of memory");
		return NULL;
	}
	for (;;) {
		x = PEM_read_bio_X509(b, NULL, no_password, NULL);
		if (x == NULL)
			break;
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			break;
		}
	}
	/* The loop ends with "no start line" at a clean end of input; any
	 * other error means a broken block. */
	unsigned long e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	                ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		ossl_err(err, errlen, "bad certificate in PEM bundle");
		sk_X509_pop_free(sk, X509_free);
		sk = NULL;
	} else if (sk_X509_num(sk) == 0) {
		trust_err(err, errlen, "no certificate in PEM text");
		sk_X509_free(sk);
		sk = NULL;
	}
	ERR_clear_error();
	BIO_free(b);
	return sk;
}

certstore *
certstore_new(enum cert_purpose p)
{
	certstore *cs = calloc(1, sizeof(*cs));

	if (cs == NULL)
		return NULL;
	if ((cs->store = X509_STORE_new()) == NULL) {
		free(cs);
		return NULL;
	}
	cs->purpose = p;
	cs->limit = p == CERT_PHONE_EDGE_TRUST ? CERTSTORE_PHONE_EDGE_MAX
	                                       : CERTSTORE_MAX_DEFAULT;
	pthread_mutex_init(&cs->mu, NULL);
	return cs;
}

void
certstore_free(certstore *cs)
{
	if (cs == NULL)
		return;
	X509_STORE_free(cs->store);
	pthread_mutex_destroy(&cs->mu);
	free(cs);
}

static int
store_has(certstore *cs, X509 *x)
{
	STACK_OF(X509_OBJECT) *objs;
	int found = 0;

	if (X509_STORE_lock(cs->store) != 1)
		return 0;
	objs = X509_STORE_get0_objects(cs->store);
	for (int i = 0; i < sk_X509_OBJECT_num(objs) && !found; i++) {
		X509 *y = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		found = y != NULL && X509_cmp(x, y) == 0;
	}
	X509_STORE_unlock(cs->store);
	return found;
}

/* Returns the number of certificates newly added (0 when all were already
 * there). */
int
certstore_add_pem(certstore *cs, const char *pem, size_t len, char *err,
                  size_t errlen)
{
	STACK_OF(X509) *sk = pem_read_certs(pem, len, err, errlen);
	int n, rc = -1;

	if (sk == NULL)
		return -1;
	pthread_mutex_lock(&cs->mu);
	/* A certificate already present (or twice in the bundle) is not an
	 * error, but it is not counted twice against the limit either. */
	for (int i = 0; i < sk_X509_num(sk); ) {
		X509 *x = sk_X509_value(sk, i);
		int dup = store_has(cs, x);
		for (int j = 0; j < i && !dup; j++)
			dup = X509_cmp(sk_X509_value(sk, j), x) == 0;
		if (dup)
			X509_free(sk_X509_delete(sk, i));
		else
			i++;
	}
	n = sk_X509_num(sk);
	if (cs->count + (size_t)n > cs->limit) {
		trust_err(err, errlen, "store holds %zu, adding %d exceeds its limit of %zu",
		          cs->count, n, cs->limit);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (X509_STORE_add_cert(cs->store, sk_X509_value(sk, i)) != 1) {
			ossl_err(err, errlen, "cannot add certificate");
			goto out;
		}
		cs->count++;
	}
	rc = n;
out:
	pthread_mutex_unlock(&cs->mu);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

size_t certstore_count(const certstore *cs) { return cs->count; }
size_t certstore_limit(const certstore *cs) { return cs->limit; }
void *certstore_x509_store(certstore *cs) { return cs->store; }

static int
verify_stack(certstore *cs, STACK_OF(X509) *chain, enum cert_use use,
             time_t now, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	if (ctx == NULL ||
	    X509_STORE_CTX_init(ctx, cs->store, sk_X509_value(chain, 0), chain) != 1) {
		ossl_err(err, errlen, "verify setup");
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, use == CERT_USE_SSL_CLIENT
	                           ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
	if (now != 0)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
	} else {
		trust_err(err, errlen, "certificate chain: %s",
		          X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return rc;
}

#define CERT_CHAIN_MAX 10

int
certstore_verify_der(certstore *cs, const uint8_t *const *der,
                     const size_t *derlen, size_t n, enum cert_use use,
                     time_t now, char *err, size_t errlen)
{
	STACK_OF(X509) *sk;
	int rc = -1;

	if (n == 0 || n > CERT_CHAIN_MAX) {
		trust_err(err, errlen, "chain of %zu certificates", n);
		return -1;
	}
	if ((sk = sk_X509_new_null()) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = der[i];
		X509 *x = d2i_X509(NULL, &p, (long)derlen[i]);
		if (x == NULL || p != der[i] + derlen[i] || sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			ossl_err(err, errlen, "bad DER certificate");
			goto out;
		}
	}
	rc = verify_stack(cs, sk, use, now, err, errlen);
out:
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

int
certstore_verify_pem(certstore *cs, const char *pem, size_t len,
                     enum cert_use use, time_t now, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = pem_read_certs(pem, len, err, errlen);
	int rc;

	if (sk == NULL)
		return -1;
	if (sk_X509_num(sk) > CERT_CHAIN_MAX) {
		trust_err(err, errlen, "chain too long");
		rc = -1;
	} else {
		rc = verify_stack(cs, sk, use, now, err, errlen);
	}
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static int
name_matches(X509 *x, const char *name)
{
	size_t nl = strlen(name);
	GENERAL_NAMES *gens;
	X509_NAME *subj = X509_get_subject_name(x);
	int rc = 0;

	if (nl == 0)
		return 0;
	/* Hostname rules for SAN DNS; the CN is compared separately below so
	 * a name never matches a CN through wildcard rules. */
	if (X509_check_host(x, name, nl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
	                    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1)
		return 1;
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_URI)
			continue;
		const ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;
		if ((size_t)ASN1_STRING_length(u) == nl &&
		    memcmp(ASN1_STRING_get0_data(u), name, nl) == 0) {
			rc = 1;
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	if (rc)
		return 1;
	int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (idx >= 0) {
		ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
		unsigned char *u8 = NULL;
		int l = ASN1_STRING_to_UTF8(&u8, cn);
		if (l >= 0 && (size_t)l == nl && strncasecmp((char *)u8, name, nl) == 0 &&
		    memchr(u8, 0, (size_t)l) == NULL)
			rc = 1;
		OPENSSL_free(u8);
		if (rc)
			return 1;
	}
	BIO *b = BIO_new(BIO_s_mem());
	if (b != NULL && X509_NAME_print_ex(b, subj, 0, XN_FLAG_RFC2253) >= 0) {
		char *dn;
		long l = BIO_get_mem_data(b, &dn);
		if (l >= 0 && (size_t)l == nl && memcmp(dn, name, nl) == 0)
			rc = 1;
	}
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

static int
match_names(X509 *x, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && name_matches(x, names[i]))
			return (int)i;
	return -1;
}

int
cert_match_names_der(const uint8_t *der, size_t len, const char *const *names,
                     size_t n)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int rc = -1;

	if (x != NULL)
		rc = match_names(x, names, n);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

int
cert_match_names_pem(const char *pem, size_t len, const char *const *names,
                     size_t n)
{
	STACK_OF(X509) *sk = pem_read_certs(pem, len, NULL, 0);
	int rc = -1;

	if (sk != NULL)
		rc = match_names(sk_X509_value(sk, 0), names, n);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static time_t
asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static int
name_line(const X509_NAME *nm, char *out, size_t outsz)
{
	BIO *b = BIO_new(BIO_s_mem());
	int l = -1;

	out[0] = '\0';
	if (b != NULL && X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0) {
		l = BIO_read(b, out, (int)outsz - 1);
		if (l < 0)
			l = 0;
		out[l] = '\0';
	}
	BIO_free(b);
	return l < 0 ? -1 : 0;
}

static int
info_from_x509(X509 *x, struct cert_info *out, char *err, size_t errlen)
{
	uint8_t md[32];
	unsigned int mdl = 0;
	X509_NAME *subj = X509_get_subject_name(x);
	int idx;

	memset(out, 0, sizeof(*out));
	if (name_line(subj, out->subject, sizeof(out->subject)) < 0 ||
	    name_line(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer)) < 0 ||
	    X509_digest(x, EVP_sha256(), md, &mdl) != 1 || mdl != 32) {
		ossl_err(err, errlen, "certificate info");
		return -1;
	}
	idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (idx >= 0) {
		unsigned char *u8 = NULL;
		int l = ASN1_STRING_to_UTF8(&u8, X509_NAME_ENTRY_get_data(
		                                  X509_NAME_get_entry(subj, idx)));
		if (l > 0)
			snprintf(out->cn, sizeof(out->cn), "%.*s", l, (char *)u8);
		OPENSSL_free(u8);
	}
	out->not_before = asn1_to_time(X509_get0_notBefore(x));
	out->not_after = asn1_to_time(X509_get0_notAfter(x));
	hex_encode(md, 32, out->sha256_hex);
	for (int i = 0; i < 32; i++) {
		static const char hx[] = "0123456789ABCDEF";
		out->sha256_colon[3 * i] = hx[md[i] >> 4];
		out->sha256_colon[3 * i + 1] = hx[md[i] & 15];
		out->sha256_colon[3 * i + 2] = i == 31 ? '\0' : ':';
	}
	out->is_ca = X509_check_ca(x) != 0;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	out->bits = pk ? EVP_PKEY_get_bits(pk) : 0;
	ERR_clear_error();
	return 0;
}

int
cert_info_pem(const char *pem, size_t len, struct cert_info *out, char *err,
              size_t errlen)
{
	STACK_OF(X509) *sk = pem_read_certs(pem, len, err, errlen);
	int rc = -1;

	if (sk != NULL)
		rc = info_from_x509(sk_X509_value(sk, 0), out, err, errlen);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

int
cert_info_der(const uint8_t *der, size_t len, struct cert_info *out, char *err,
              size_t errlen)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int rc = -1;

	if (x == NULL || p != der + len)
		ossl_err(err, errlen, "bad DER certificate");
	else
		rc = info_from_x509(x, out, err, errlen);
	X509_free(x);
	return rc;
}

int
cert_pem_count(const char *pem, size_t len)
{
	STACK_OF(X509) *sk = pem_read_certs(pem, len, NULL, 0);
	int n;

	if (sk == NULL)
		return -1;
	n = sk_X509_num(sk);
	sk_X509_pop_free(sk, X509_free);
	return n;
}

static char *
x509_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b != NULL && PEM_write_bio_X509(b, x) == 1)
		s = bio_to_string(b);
	BIO_free(b);
	return s;
}

int
cert_pem_split(const char *pem, size_t len, char ***out, char *err,
               size_t errlen)
{
	STACK_OF(X509) *sk = pem_read_certs(pem, len, err, errlen);
	char **v;
	int n;

	*out = NULL;
	if (sk == NULL)
		return -1;
	n = sk_X509_num(sk);
	if ((v = calloc((size_t)n, sizeof(*v))) == NULL)
		goto fail;
	for (int i = 0; i < n; i++)
		if ((v[i] = x509_pem(sk_X509_value(sk, i))) == NULL)
			goto fail;
	sk_X509_pop_free(sk, X509_free);
	*out = v;
	return n;
fail:
	for (int i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
	sk_X509_pop_free(sk, X509_free);
	trust_err(err, errlen, "out of memory");
	return -1;
}

int
cert_pem_to_der(const char *pem, size_t len, size_t index, uint8_t **der,
                size_t *derlen, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = pem_read_certs(pem, len, err, errlen);
	unsigned char *p = NULL;
	int l, rc = -1;

	*der = NULL;
	if (sk == NULL)
		return -1;
	if (index >= (size_t)sk_X509_num(sk)) {
		trust_err(err, errlen, "no certificate %zu in bundle", index);
		goto out;
	}
	l = i2d_X509(sk_X509_value(sk, (int)index), &p);
	if (l <= 0) {
		ossl_err(err, errlen, "DER encoding");
		goto out;
	}
	/* Hand back plain malloc memory so callers free() it. */
	if ((*der = malloc((size_t)l)) != NULL) {
		memcpy(*der, p, (size_t)l);
		*derlen = (size_t)l;
		rc = 0;
	}
	OPENSSL_free(p);
out:
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/* ---- issuance ---- */

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int rc;

	if (ex == NULL)
		return -1;
	rc = X509_add_ext(x, ex, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ex);
	return rc;
}

/* subjectAltName built from GENERAL_NAME objects, not from a config string,
 * so a host or URI containing ',' cannot smuggle in extra names. */
static int
add_san(X509 *x, const char *host, const char *uri)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	int rc = -1;

	if (gens == NULL)
		return -1;
	if (host != NULL && host[0] != '\0') {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);
		GENERAL_NAME *g = GENERAL_NAME_new();
		if (g == NULL)
			goto out;
		if (ip != NULL) {
			GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		} else {
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();
			if (s == NULL || ASN1_STRING_set(s, host, -1) != 1) {
				ASN1_IA5STRING_free(s);
				GENERAL_NAME_free(g);
				goto out;
			}
			GENERAL_NAME_set0_value(g, GEN_DNS, s);
		}
		sk_GENERAL_NAME_push(gens, g);
		if (ip != NULL) {
			/* An IP host also gets a DNS name equal to its text so
			 * CN-style lookups by name keep working. */
			GENERAL_NAME *d = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();
			if (d == NULL || s == NULL || ASN1_STRING_set(s, host, -1) != 1) {
				GENERAL_NAME_free(d);
				ASN1_IA5STRING_free(s);
				goto out;
			}
			GENERAL_NAME_set0_value(d, GEN_DNS, s);
			sk_GENERAL_NAME_push(gens, d);
		}
	}
	if (uri != NULL && uri[0] != '\0') {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		if (g == NULL || s == NULL || ASN1_STRING_set(s, uri, -1) != 1) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
			goto out;
		}
		GENERAL_NAME_set0_value(g, GEN_URI, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	rc = sk_GENERAL_NAME_num(gens) == 0 ? 0 :
	     (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) == 1 ? 0 : -1);
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

int
x509_issue(const struct x509_spec *sp, const char *issuer_cert_pem,
           const char *issuer_key_pem, char **cert_pem, char **key_pem,
           char *err, size_t errlen)
{
	struct cpk *key = NULL, *ikey = NULL;
	STACK_OF(X509) *isk = NULL;
	X509 *x = NULL, *issuer = NULL;
	BIGNUM *bn = NULL;
	uint8_t serial[16];
	X509V3_CTX ctx;
	char eku[64] = "";
	int rc = -1;

	*cert_pem = NULL;
	*key_pem = NULL;
	if (sp->cn == NULL || sp->cn[0] == '\0' || sp->not_after <= sp->not_before) {
		trust_err(err, errlen, "certificate needs a CN and a validity period");
		return -1;
	}
	if ((key = cpk_generate(sp->type, err, errlen)) == NULL)
		return -1;
	if ((issuer_cert_pem == NULL) != (issuer_key_pem == NULL)) {
		trust_err(err, errlen, "issuer certificate and key go together");
		goto out;
	}
	if (issuer_cert_pem != NULL) {
		isk = pem_read_certs(issuer_cert_pem, strlen(issuer_cert_pem), err, errlen);
		ikey = cpk_from_pem(issuer_key_pem, strlen(issuer_key_pem), err, errlen);
		if (isk == NULL || ikey == NULL)
			goto out;
		if (!ikey->priv) {
			trust_err(err, errlen, "issuer key is not a private key");
			goto out;
		}
		issuer = sk_X509_value(isk, 0);
		if (X509_check_private_key(issuer, ikey->pkey) != 1) {
			ossl_err(err, errlen, "issuer key does not match its certificate");
			goto out;
		}
	}
	if ((x = X509_new()) == NULL || X509_set_version(x, 2) != 1 ||
	    trust_random(serial, sizeof(serial)) < 0)
		goto ossl_fail;
	serial[0] &= 0x7f;   /* positive, RFC 5280 §4.1.2.2 */
	serial[0] |= 0x01;   /* and exactly 16 bytes long */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    ASN1_TIME_set(X509_getm_notBefore(x), sp->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), sp->not_after) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	                               (const unsigned char *)sp->cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
	                                   : X509_get_subject_name(x)) != 1 ||
	    X509_set_pubkey(x, key->pkey) != 1)
		goto ossl_fail;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints,
	            sp->is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") < 0 ||
	    add_ext(x, &ctx, NID_key_usage, sp->is_ca
	            ? "critical,keyCertSign,cRLSign,digitalSignature"
	            : (key->kty == CPK_RSA ? "critical,digitalSignature,keyEncipherment"
	                                   : "critical,digitalSignature")) < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0)
		goto ossl_fail;
	if (sp->server_auth)
		snprintf(eku, sizeof(eku), "serverAuth");
	if (sp->client_auth)
		snprintf(eku + strlen(eku), sizeof(eku) - strlen(eku), "%sclientAuth",
		         eku[0] ? "," : "");
	if ((eku[0] && add_ext(x, &ctx, NID_ext_key_usage, eku) < 0) ||
	    add_san(x, sp->host, sp->uri) < 0)
		goto ossl_fail;
	{
		EVP_PKEY *sk = ikey ? ikey->pkey : key->pkey;
		const EVP_MD *md = EVP_PKEY_get_base_id(sk) == EVP_PKEY_ED25519
		                   ? NULL : EVP_sha256();
		if (X509_sign(x, sk, md) <= 0)
			goto ossl_fail;
	}
	if ((*cert_pem = x509_pem(x)) == NULL || (*key_pem = cpk_private_pem(key)) == NULL) {
		free(*cert_pem);
		*cert_pem = NULL;
		trust_err(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
	goto out;
ossl_fail:
	ossl_err(err, errlen, "certificate build");
out:
	BN_free(bn);
	X509_free(x);
	sk_X509_pop_free(isk, X509_free);
	cpk_free(ikey);
	cpk_free(key);
	return rc;
}
