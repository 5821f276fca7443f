/*
 * hash.c - SHA-256 (raw and hex) and HMAC-SHA256 on OpenSSL, through the
 * digest fetched once in ossl.c.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "trust/ossl_int.h"

void
trust_sha256(const void *p, size_t n, uint8_t out[32])
{
	if (EVP_Digest(p, n, out, NULL, trust_md(256), NULL) != 1) {
		ERR_clear_error();
		SHA256(p, n, out);
	}
}

void
trust_sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t d[32];

	trust_sha256(p, n, d);
	trust_hex(d, 32, out);
}

int
trust_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
                  uint8_t out[32])
{
	unsigned int olen = 0;

	if (keylen > INT32_MAX)
		return -1;
	if (HMAC(trust_md(256), key, (int)keylen, p, n, out, &olen) == NULL ||
	    olen != 32) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}
