/*
 * cert.c - certificates on OpenSSL: certificate stores by purpose (limits,
 * chain verification for TLS peers), matching a leaf against allowed names,
 * cert_info for display, and PEM bundle counting, splitting and DER
 * conversion.  Issuing new certificates is x509.c.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "trust/ossl_int.h"

struct certstore {
	enum cert_purpose purpose;
	size_t limit;
	size_t count;
	X509_STORE *store;
	pthread_mutex_t mu;        /* serializes adds (count vs limit) */
};

/* Reads every certificate of a PEM bundle.  Anything that is not a
 * certificate block (keys, garbage) fails the whole bundle. */
STACK_OF(X509) *
cert_stack_from_pem(const char *pem, size_t len, char *err, size_t errlen)
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
		x = PEM_read_bio_X509(b, NULL, trust_pem_no_password, NULL);
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
		trust_err_ossl(err, errlen, "bad certificate in PEM bundle");
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
	STACK_OF(X509) *sk = cert_stack_from_pem(pem, len, err, errlen);
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
			trust_err_ossl(err, errlen, "cannot add certificate");
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
		trust_err_ossl(err, errlen, "verify setup");
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
			trust_err_ossl(err, errlen, "bad DER certificate");
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
	STACK_OF(X509) *sk = cert_stack_from_pem(pem, len, err, errlen);
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

/* 1 when the ASN.1 string holds exactly name (case-insensitive when ci), no
 * NUL inside. */
static int
asn1_is(const ASN1_STRING *a, const char *name, size_t nl, int ci)
{
	const unsigned char *d = ASN1_STRING_get0_data(a);

	if ((size_t)ASN1_STRING_length(a) != nl || memchr(d, 0, nl) != NULL)
		return 0;
	return ci ? strncasecmp((const char *)d, name, nl) == 0 : memcmp(d, name, nl) == 0;
}

/* The subject CN is exactly name (case-insensitive). */
static int
cn_is(X509_NAME *subj, const char *name, size_t nl)
{
	int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1), rc = 0;
	unsigned char *u8 = NULL;
	int l;

	if (idx < 0)
		return 0;
	l = ASN1_STRING_to_UTF8(&u8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx)));
	if (l >= 0 && (size_t)l == nl && memchr(u8, 0, (size_t)l) == NULL &&
	    strncasecmp((char *)u8, name, nl) == 0)
		rc = 1;
	OPENSSL_free(u8);
	return rc;
}

/* The whole subject in RFC 2253 form is exactly name. */
static int
dn_is(X509_NAME *subj, const char *name, size_t nl)
{
	BIO *b = BIO_new(BIO_s_mem());
	int rc = 0;

	if (b != NULL && X509_NAME_print_ex(b, subj, 0, XN_FLAG_RFC2253) >= 0) {
		char *dn;
		long l = BIO_get_mem_data(b, &dn);
		rc = l >= 0 && (size_t)l == nl && memcmp(dn, name, nl) == 0;
	}
	BIO_free(b);
	return rc;
}

/* An Expressway-C entry's name against a certificate, RFC 6125 style: the
 * SAN dNSName entries decide when there are any, each compared as a whole
 * name (case-insensitive), so a wildcard entry "*.example.com" matches only
 * an Expressway-C entry that is that same wildcard, never a name under it;
 * the subject CN is looked at only when there is no dNSName.  SAN URIs
 * (exact) and the whole subject in RFC 2253 form (exact) are identities an
 * administrator may record explicitly and are always compared. */
static int
name_matches(X509 *x, const char *name)
{
	size_t nl = strlen(name);
	GENERAL_NAMES *gens;
	X509_NAME *subj = X509_get_subject_name(x);
	int rc = 0, ndns = 0;

	if (nl == 0)
		return 0;
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && !rc; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS) {
			ndns++;
			rc = asn1_is(g->d.dNSName, name, nl, 1);
		} else if (g->type == GEN_URI) {
			rc = asn1_is(g->d.uniformResourceIdentifier, name, nl, 0);
		}
	}
	GENERAL_NAMES_free(gens);
	if (!rc && ndns == 0)
		rc = cn_is(subj, name, nl);
	if (!rc)
		rc = dn_is(subj, name, nl);
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
	STACK_OF(X509) *sk = cert_stack_from_pem(pem, len, NULL, 0);
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
		trust_err_ossl(err, errlen, "certificate info");
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
	trust_hex(md, 32, out->sha256_hex);
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
	STACK_OF(X509) *sk = cert_stack_from_pem(pem, len, err, errlen);
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
		trust_err_ossl(err, errlen, "bad DER certificate");
	else
		rc = info_from_x509(x, out, err, errlen);
	X509_free(x);
	return rc;
}

int
cert_pem_count(const char *pem, size_t len)
{
	STACK_OF(X509) *sk = cert_stack_from_pem(pem, len, NULL, 0);
	int n;

	if (sk == NULL)
		return -1;
	n = sk_X509_num(sk);
	sk_X509_pop_free(sk, X509_free);
	return n;
}

char *
cert_to_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b != NULL && PEM_write_bio_X509(b, x) == 1)
		s = trust_bio_string(b);
	BIO_free(b);
	return s;
}

int
cert_pem_split(const char *pem, size_t len, char ***out, char *err,
               size_t errlen)
{
	STACK_OF(X509) *sk = cert_stack_from_pem(pem, len, err, errlen);
	char **v;
	int n;

	*out = NULL;
	if (sk == NULL)
		return -1;
	n = sk_X509_num(sk);
	if ((v = calloc((size_t)n, sizeof(*v))) == NULL)
		goto fail;
	for (int i = 0; i < n; i++)
		if ((v[i] = cert_to_pem(sk_X509_value(sk, i))) == NULL)
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
	STACK_OF(X509) *sk = cert_stack_from_pem(pem, len, err, errlen);
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
		trust_err_ossl(err, errlen, "DER encoding");
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
