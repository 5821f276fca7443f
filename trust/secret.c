/*
 * secret.c - secret material: random bytes and random base64url strings
 * (refresh tokens, client secrets, token ids), constant-time comparison,
 * the hash under which stored secrets are kept (trust.h "Hashes of stored
 * secrets"), and wiping.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "trust/ossl_int.h"

int
trust_random(void *buf, size_t n)
{
	if (n > INT32_MAX || RAND_bytes(buf, (int)n) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

char *
trust_random_b64url(size_t n)
{
	uint8_t buf[256];
	char *s;

	if (n == 0 || n > sizeof(buf) || trust_random(buf, n) < 0)
		return NULL;
	s = b64url_encode_alloc(buf, n);
	trust_wipe(buf, n);
	return s;
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

	if (c == NULL || EVP_DigestInit_ex(c, trust_md(256), NULL) != 1 ||
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
		trust_hex(d, 32, out);
	}
	EVP_MD_CTX_free(c);
	OPENSSL_cleanse(d, sizeof(d));
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
