/*
 * x509.c - X.509 issuance for `oprovctl init` and the tests: x509_issue()
 * builds and signs one certificate with a fresh key, and the shapes built
 * on it: a self-signed CA, the "tomcat" server certificate and client
 * certificates for 5091 mutual TLS.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "trust/ossl_int.h"

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

/* Appends a name of the given type to gens; takes ownership of v. */
static int
san_push(GENERAL_NAMES *gens, int type, void *v)
{
	GENERAL_NAME *g = GENERAL_NAME_new();

	if (g == NULL) {
		if (type == GEN_IPADD)
			ASN1_OCTET_STRING_free(v);
		else
			ASN1_IA5STRING_free(v);
		return -1;
	}
	GENERAL_NAME_set0_value(g, type, v);
	if (sk_GENERAL_NAME_push(gens, g) <= 0) {
		GENERAL_NAME_free(g);
		return -1;
	}
	return 0;
}

/* Appends a DNS name or URI (an IA5String) to gens. */
static int
san_push_text(GENERAL_NAMES *gens, int type, const char *text)
{
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	if (s == NULL || ASN1_STRING_set(s, text, -1) != 1) {
		ASN1_IA5STRING_free(s);
		return -1;
	}
	return san_push(gens, type, s);
}

/* subjectAltName built from GENERAL_NAME objects, not from a config string,
 * so a host or URI containing ',' cannot smuggle in extra names. */
static int
add_san(X509 *x, const char *host, const char *uri)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	ASN1_OCTET_STRING *ip;
	int rc = -1;

	if (gens == NULL)
		return -1;
	if (host != NULL && host[0] != '\0') {
		if ((ip = a2i_IPADDRESS(host)) != NULL &&
		    san_push(gens, GEN_IPADD, ip) < 0)
			goto out;
		/* An IP host also gets a DNS name equal to its text so
		 * CN-style lookups by name keep working. */
		if (san_push_text(gens, GEN_DNS, host) < 0)
			goto out;
	}
	if (uri != NULL && uri[0] != '\0' && san_push_text(gens, GEN_URI, uri) < 0)
		goto out;
	rc = sk_GENERAL_NAME_num(gens) == 0 ? 0 :
	     (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) == 1 ? 0 : -1);
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The issuer's certificate (first of its PEM) and private key, checked to
 * belong together.  The caller frees *isk and *ikey, also on failure. */
static int
issuer_load(const char *cert_pem, const char *key_pem, STACK_OF(X509) **isk,
            struct cpk **ikey, char *err, size_t errlen)
{
	*isk = cert_stack_from_pem(cert_pem, strlen(cert_pem), err, errlen);
	*ikey = cpk_from_pem(key_pem, strlen(key_pem), err, errlen);
	if (*isk == NULL || *ikey == NULL)
		return -1;
	if (!(*ikey)->priv) {
		trust_err(err, errlen, "issuer key is not a private key");
		return -1;
	}
	if (X509_check_private_key(sk_X509_value(*isk, 0), (*ikey)->pkey) != 1) {
		trust_err_ossl(err, errlen, "issuer key does not match its certificate");
		return -1;
	}
	return 0;
}

/* A random 128-bit serial: positive (RFC 5280 §4.1.2.2) and exactly 16
 * bytes long. */
static int
set_serial(X509 *x)
{
	uint8_t serial[16];
	BIGNUM *bn;
	int rc;

	if (trust_random(serial, sizeof(serial)) < 0)
		return -1;
	serial[0] &= 0x7f;
	serial[0] |= 0x01;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL)
		return -1;
	rc = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ? -1 : 0;
	BN_free(bn);
	return rc;
}

/* Version, serial, validity, subject CN, issuer name (issuer NULL:
 * self-signed) and public key.  0 / -1 with OpenSSL's reason queued. */
static int
set_fields(X509 *x, const struct x509_spec *sp, X509 *issuer,
           const struct cpk *key)
{
	if (X509_set_version(x, 2) != 1 || set_serial(x) < 0 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), sp->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), sp->not_after) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	                               (const unsigned char *)sp->cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
	                                   : X509_get_subject_name(x)) != 1 ||
	    X509_set_pubkey(x, key->pkey) != 1)
		return -1;
	return 0;
}

/* Basic constraints, key usage, key identifiers, extended key usage and
 * subjectAltName.  0 / -1 with OpenSSL's reason queued. */
static int
add_extensions(X509 *x, const struct x509_spec *sp, X509 *issuer,
               const struct cpk *key)
{
	X509V3_CTX ctx;
	char eku[64] = "";

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints,
	            sp->is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") < 0 ||
	    add_ext(x, &ctx, NID_key_usage, sp->is_ca
	            ? "critical,keyCertSign,cRLSign,digitalSignature"
	            : (key->kty == CPK_RSA ? "critical,digitalSignature,keyEncipherment"
	                                   : "critical,digitalSignature")) < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0)
		return -1;
	if (sp->server_auth)
		snprintf(eku, sizeof(eku), "serverAuth");
	if (sp->client_auth)
		snprintf(eku + strlen(eku), sizeof(eku) - strlen(eku), "%sclientAuth",
		         eku[0] ? "," : "");
	if ((eku[0] && add_ext(x, &ctx, NID_ext_key_usage, eku) < 0) ||
	    add_san(x, sp->host, sp->uri) < 0)
		return -1;
	return 0;
}

int
x509_issue(const struct x509_spec *sp, const char *issuer_cert_pem,
           const char *issuer_key_pem, char **cert_pem, char **key_pem,
           char *err, size_t errlen)
{
	struct cpk *key = NULL, *ikey = NULL;
	STACK_OF(X509) *isk = NULL;
	X509 *x = NULL, *issuer = NULL;
	EVP_PKEY *signer;
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
		if (issuer_load(issuer_cert_pem, issuer_key_pem, &isk, &ikey, err,
		                errlen) < 0)
			goto out;
		issuer = sk_X509_value(isk, 0);
	}
	/* Ed25519 is PureEdDSA (RFC 8032): OpenSSL signs it with no digest. */
	signer = ikey ? ikey->pkey : key->pkey;
	if ((x = X509_new()) == NULL || set_fields(x, sp, issuer, key) < 0 ||
	    add_extensions(x, sp, issuer, key) < 0 ||
	    X509_sign(x, signer, EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519
	                         ? NULL : EVP_sha256()) <= 0) {
		trust_err_ossl(err, errlen, "certificate build");
		goto out;
	}
	if ((*cert_pem = cert_to_pem(x)) == NULL ||
	    (*key_pem = cpk_private_pem(key)) == NULL) {
		free(*cert_pem);
		*cert_pem = NULL;
		trust_err(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	sk_X509_pop_free(isk, X509_free);
	cpk_free(ikey);
	cpk_free(key);
	return rc;
}

/* ---- certificate shapes ---- */

/* Backdated a little so a peer whose clock lags does not see a certificate
 * from the future. */
#define BACKDATE 300

static void
validity(struct x509_spec *sp, int days)
{
	time_t now = time(NULL);

	sp->not_before = now - BACKDATE;
	sp->not_after = now + (time_t)(days > 0 ? days : 1) * 86400;
}

int
x509_make_ca(enum key_type t, const char *cn, int days, char **cert_pem,
             char **key_pem, char *err, size_t errlen)
{
	struct x509_spec sp = { .type = t, .cn = cn, .is_ca = 1 };

	validity(&sp, days);
	return x509_issue(&sp, NULL, NULL, cert_pem, key_pem, err, errlen);
}

int
x509_make_server(const char *ca_cert_pem, const char *ca_key_pem,
                 enum key_type t, const char *host, int days, char **cert_pem,
                 char **key_pem, char *err, size_t errlen)
{
	/* The tomcat certificate also serves as the client side of
	 * node-to-node TLS, hence both EKUs (as the vendor's does). */
	struct x509_spec sp = { .type = t, .cn = host, .host = host,
	                        .server_auth = 1, .client_auth = 1 };

	validity(&sp, days);
	return x509_issue(&sp, ca_cert_pem, ca_key_pem, cert_pem, key_pem, err,
	                  errlen);
}

int
x509_make_client(const char *ca_cert_pem, const char *ca_key_pem,
                 enum key_type t, const char *cn, const char *host, int days,
                 char **cert_pem, char **key_pem, char *err, size_t errlen)
{
	struct x509_spec sp = { .type = t, .cn = cn, .host = host,
	                        .client_auth = 1 };

	validity(&sp, days);
	return x509_issue(&sp, ca_cert_pem, ca_key_pem, cert_pem, key_pem, err,
	                  errlen);
}
