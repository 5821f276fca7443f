/*
 * ossl.c - the OpenSSL plumbing every OpenSSL file of trust/ shares
 * (ossl_int.h): error text from OpenSSL's queue, digests fetched once, the
 * PEM password callback and memory-BIO to string.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "trust/ossl_int.h"

void
trust_err_ossl(char *err, size_t errlen, const char *what)
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

const EVP_MD *
trust_md(int bits)
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

int
trust_pem_no_password(char *buf, int size, int rw, void *u)
{
	(void)buf; (void)size; (void)rw; (void)u;
	return -1;      /* encrypted keys are not supported: never prompt */
}

char *
trust_bio_string(BIO *b)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}
