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
		isk = cert_stack_from_pem(issuer_cert_pem, strlen(issuer_cert_pem), err, errlen);
		ikey = cpk_from_pem(issuer_key_pem, strlen(issuer_key_pem), err, errlen);
		if (isk == NULL || ikey == NULL)
			goto out;
		if (!ikey->priv) {
			trust_err(err, errlen, "issuer key is not a private key");
			goto out;
		}
		issuer = sk_X509_value(isk, 0);
		if (X509_check_private_key(issuer, ikey->pkey) != 1) {
			trust_err_ossl(err, errlen, "issuer key does not match its certificate");
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
	if ((*cert_pem = cert_to_pem(x)) == NULL || (*key_pem = cpk_private_pem(key)) == NULL) {
		free(*cert_pem);
		*cert_pem = NULL;
		trust_err(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
	goto out;
ossl_fail:
	trust_err_ossl(err, errlen, "certificate build");
out:
	BN_free(bn);
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
