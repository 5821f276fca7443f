/* Unit tests for trust/: certificate stores, name matching, certificate
 * info and issuance (item 7). */
#include "config.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/test_trust.h"

static char *ca_cert, *ca_key;

static void
setup(void)
{
	char err[200] = "";
	cr_assert_eq(x509_make_ca(KEY_EC256, "oprov test CA", 30, &ca_cert, &ca_key,
	                          err, sizeof(err)), 0, "%s", err);
}

static void
teardown(void)
{
	free(ca_cert);
	trust_free_secret(ca_key);
}

TestSuite(cert, .init = setup, .fini = teardown);

static certstore *
store_with(enum cert_purpose p, const char *pem)
{
	certstore *cs = certstore_new(p);
	char err[200] = "";
	cr_assert_eq(certstore_add_pem(cs, pem, strlen(pem), err, sizeof(err)), 1, "%s", err);
	return cs;
}

Test(cert, ca_and_server_info)
{
	char *c, *k, err[200] = "";
	struct cert_info ci;

	cr_assert_eq(cert_info_pem(ca_cert, strlen(ca_cert), &ci, err, sizeof(err)), 0, "%s", err);
	cr_assert(ci.is_ca);
	cr_assert_str_eq(ci.cn, "oprov test CA");
	cr_assert_str_eq(ci.subject, "CN=oprov test CA");
	cr_assert_str_eq(ci.subject, ci.issuer);
	cr_assert_gt(ci.not_after, time(NULL) + 29 * 86400);
	cr_assert_lt(ci.not_before, time(NULL));
	cr_assert_eq(strlen(ci.sha256_hex), 64);
	cr_assert_eq(strlen(ci.sha256_colon), 95);
	for (int i = 0; i < 32; i++)
		cr_assert_eq(tolower((unsigned char)ci.sha256_colon[3 * i]), ci.sha256_hex[2 * i]);
	uint8_t *der;
	size_t dl;
	char hex[65];
	cr_assert_eq(cert_pem_to_der(ca_cert, strlen(ca_cert), 0, &der, &dl, err, sizeof(err)), 0);
	trust_sha256_hex(der, dl, hex);
	cr_assert_str_eq(hex, ci.sha256_hex, "fingerprint is SHA-256 of the DER");
	struct cert_info ci2;
	cr_assert_eq(cert_info_der(der, dl, &ci2, err, sizeof(err)), 0);
	cr_assert_str_eq(ci2.sha256_hex, ci.sha256_hex);
	free(der);

	for (enum key_type t = KEY_RSA2048; t <= KEY_ED25519; t++) {
		cr_assert_eq(x509_make_server(ca_cert, ca_key, t, "cucm1.example.com", 10, &c, &k,
		                              err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(cert_info_pem(c, strlen(c), &ci, err, sizeof(err)), 0);
		cr_assert(!ci.is_ca);
		cr_assert_str_eq(ci.cn, "cucm1.example.com");
		cr_assert_str_eq(ci.issuer, "CN=oprov test CA");
		/* The key belongs to the certificate and is a usable signing key. */
		trust_key *pk = key_from_pem(k, strlen(k), JWS_ALG_INVALID, NULL, err, sizeof(err));
		trust_key *ck = key_from_pem(c, strlen(c), JWS_ALG_INVALID, NULL, err, sizeof(err));
		cr_assert_not_null(pk);
		cr_assert_not_null(ck);
		cr_assert_str_eq(key_kid(pk), key_kid(ck));
		key_unref(pk);
		key_unref(ck);
		free(c);
		trust_free_secret(k);
	}
	/* An RSA CA issuing to an Ed25519 server, and an Ed25519 CA. */
	char *c2, *k2;
	cr_assert_eq(x509_make_ca(KEY_ED25519, "ed CA", 5, &c2, &k2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(x509_make_server(c2, k2, KEY_RSA2048, "10.1.2.3", 5, &c, &k, err, sizeof(err)), 0);
	certstore *cs = store_with(CERT_GENERIC, c2);
	cr_assert_eq(certstore_verify_pem(cs, c, strlen(c), CERT_USE_SSL_SERVER, 0, err, sizeof(err)),
	             0, "%s", err);
	const char *ipn[] = { "10.1.2.3" };
	cr_assert_eq(cert_match_names_pem(c, strlen(c), ipn, 1), 0);
	certstore_free(cs);
	free(c);
	trust_free_secret(k);
	free(c2);
	trust_free_secret(k2);
	/* Mismatched issuer key is refused. */
	cr_assert_eq(x509_make_server(ca_cert, ca_key, KEY_EC256, "h", 1, &c, &k, err, sizeof(err)), 0);
	char *c3;
	cr_assert_eq(x509_make_client(ca_cert, k, KEY_EC256, "x", NULL, 1, &c3, &k2, err, sizeof(err)), -1);
	free(c);
	trust_free_secret(k);
}

Test(cert, chain_verification)
{
	char *srv, *srvk, *cli, *clik, *oca, *ocak, *foreign, *foreignk, err[200] = "";
	certstore *cs = store_with(CERT_TOMCAT_TRUST, ca_cert);

	cr_assert_eq(x509_make_server(ca_cert, ca_key, KEY_EC256, "cucm.example.com", 10,
	                              &srv, &srvk, err, sizeof(err)), 0);
	cr_assert_eq(x509_make_client(ca_cert, ca_key, KEY_RSA2048, "expc.example.com",
	                              "expc.example.com", 10, &cli, &clik, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(certstore_verify_pem(cs, srv, strlen(srv), CERT_USE_SSL_SERVER, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(certstore_verify_pem(cs, srv, strlen(srv), CERT_USE_SSL_CLIENT, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(certstore_verify_pem(cs, cli, strlen(cli), CERT_USE_SSL_CLIENT, 0, err, sizeof(err)), 0, "%s", err);
	/* clientAuth only: not a server. */
	cr_assert_eq(certstore_verify_pem(cs, cli, strlen(cli), CERT_USE_SSL_SERVER, 0, err, sizeof(err)), -1);
	/* DER path. */
	uint8_t *der;
	size_t dl;
	cr_assert_eq(cert_pem_to_der(cli, strlen(cli), 0, &der, &dl, err, sizeof(err)), 0);
	const uint8_t *chain[] = { der };
	cr_assert_eq(certstore_verify_der(cs, chain, &dl, 1, CERT_USE_SSL_CLIENT, 0, err, sizeof(err)), 0, "%s", err);
	/* Expired by the verification time... */
	cr_assert_eq(certstore_verify_der(cs, chain, &dl, 1, CERT_USE_SSL_CLIENT,
	                                  time(NULL) + 40 * 86400, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "expired"), "%s", err);
	free(der);
	/* ... and a certificate issued already expired. */
	struct x509_spec sp = { .type = KEY_EC256, .cn = "old", .client_auth = 1,
	                        .not_before = time(NULL) - 10 * 86400, .not_after = time(NULL) - 86400 };
	char *old, *oldk;
	cr_assert_eq(x509_issue(&sp, ca_cert, ca_key, &old, &oldk, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(certstore_verify_pem(cs, old, strlen(old), CERT_USE_SSL_CLIENT, 0, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "expired"), "%s", err);
	/* Untrusted: a chain to another CA, even with the intermediate-less leaf. */
	cr_assert_eq(x509_make_ca(KEY_EC256, "other CA", 10, &oca, &ocak, err, sizeof(err)), 0);
	cr_assert_eq(x509_make_client(oca, ocak, KEY_EC256, "expc.example.com", "expc.example.com",
	                              10, &foreign, &foreignk, err, sizeof(err)), 0);
	cr_assert_eq(certstore_verify_pem(cs, foreign, strlen(foreign), CERT_USE_SSL_CLIENT, 0, err, sizeof(err)), -1);
	/* The foreign CA sent along in the chain is not trusted either. */
	size_t bl = strlen(foreign) + strlen(oca) + 1;
	char *bundle = malloc(bl);
	snprintf(bundle, bl, "%s%s", foreign, oca);
	cr_assert_eq(cert_pem_count(bundle, strlen(bundle)), 2);
	cr_assert_eq(certstore_verify_pem(cs, bundle, strlen(bundle), CERT_USE_SSL_CLIENT, 0, err, sizeof(err)), -1);
	/* A self-signed peer certificate is untrusted unless it is in the store. */
	cr_assert_eq(certstore_verify_pem(cs, oca, strlen(oca), CERT_USE_SSL_CLIENT, 0, err, sizeof(err)), -1);
	cr_assert_eq(certstore_verify_pem(cs, "junk", 4, CERT_USE_SSL_CLIENT, 0, err, sizeof(err)), -1);
	cr_assert_not_null(certstore_x509_store(cs));
	free(bundle);
	free(srv); trust_free_secret(srvk);
	free(cli); trust_free_secret(clik);
	free(oca); trust_free_secret(ocak);
	free(foreign); trust_free_secret(foreignk);
	free(old); trust_free_secret(oldk);
	certstore_free(cs);
}

static char *
issue(const char *cn, const char *host, const char *uri)
{
	struct x509_spec sp = { .type = KEY_EC256, .cn = cn, .host = host, .uri = uri,
	                        .client_auth = 1, .not_before = time(NULL) - 60,
	                        .not_after = time(NULL) + 86400 };
	char *c, *k, err[200] = "";
	cr_assert_eq(x509_issue(&sp, ca_cert, ca_key, &c, &k, err, sizeof(err)), 0, "%s", err);
	trust_free_secret(k);
	return c;
}

Test(cert, allowed_names)
{
	char *c = issue("Expressway C1", "expc1.example.com", "sip:expc1.example.com");
	const char *none[] = { "expc2.example.com", "example.com", "EXPC1.example.com.evil", "" };
	const char *dns[] = { "nope", "EXPC1.Example.com" };
	const char *cn[] = { "expressway c1" };
	const char *uri[] = { "sip:expc1.example.com" };
	const char *dn[] = { "CN=Expressway C1" };

	cr_assert_eq(cert_match_names_pem(c, strlen(c), none, 4), -1);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), dns, 2), 1);
	/* RFC 6125 §6.4.4: with a dNSName present the CN is not looked at */
	cr_assert_eq(cert_match_names_pem(c, strlen(c), cn, 1), -1);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), uri, 1), 0);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), dn, 1), 0);
	free(c);
	/* Without a SAN the CN is the identity (case-insensitive, exact). */
	c = issue("expc9.example.com", NULL, NULL);
	const char *cn9[] = { "EXPC9.example.com" }, *cn9b[] = { "expc9.example" };
	cr_assert_eq(cert_match_names_pem(c, strlen(c), cn9, 1), 0);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), cn9b, 1), -1);
	free(c);
	/* A SAN naming another host: the CN (our entry's name) does not help. */
	c = issue("expc9.example.com", "other.example.com", NULL);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), cn9, 1), -1);
	free(c);

	/* A wildcard certificate matches no entry under it, only the entry
	 * that is that wildcard. */
	c = issue("wild", "*.example.com", NULL);
	const char *w1[] = { "a.example.com" }, *w2[] = { "a.b.example.com" }, *w3[] = { "example.com" };
	const char *w4[] = { "*.EXAMPLE.com" };
	cr_assert_eq(cert_match_names_pem(c, strlen(c), w1, 1), -1);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), w2, 1), -1);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), w3, 1), -1);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), w4, 1), 0);
	free(c);
	/* Partial wildcards never match. */
	c = issue("partial", "exp*.example.com", NULL);
	const char *p1[] = { "expc1.example.com", "exp.example.com" };
	cr_assert_eq(cert_match_names_pem(c, strlen(c), p1, 2), -1);
	free(c);
	/* The CN is not matched through hostname rules (no wildcard CN). */
	c = issue("*.example.com", NULL, NULL);
	cr_assert_eq(cert_match_names_pem(c, strlen(c), w1, 1), -1);
	const char *lit[] = { "*.example.com" };
	cr_assert_eq(cert_match_names_pem(c, strlen(c), lit, 1), 0);
	/* Same through DER. */
	uint8_t *der;
	size_t dl;
	cr_assert_eq(cert_pem_to_der(c, strlen(c), 0, &der, &dl, NULL, 0), 0);
	cr_assert_eq(cert_match_names_der(der, dl, lit, 1), 0);
	cr_assert_eq(cert_match_names_der(der, dl / 2, lit, 1), -1);
	free(der);
	free(c);
}

Test(cert, phone_edge_trust_limit_and_bundles)
{
	certstore *pe = certstore_new(CERT_PHONE_EDGE_TRUST);
	char *c[18], *k, err[200] = "", name[32];

	cr_assert_eq(certstore_limit(pe), 16);
	for (int i = 0; i < 18; i++) {
		snprintf(name, sizeof(name), "edge CA %d", i);
		cr_assert_eq(x509_make_ca(KEY_EC256, name, 5, &c[i], &k, err, sizeof(err)), 0);
		trust_free_secret(k);
	}
	for (int i = 0; i < 15; i++)
		cr_assert_eq(certstore_add_pem(pe, c[i], strlen(c[i]), err, sizeof(err)), 1, "%s", err);
	/* A bundle of two at 15: all or nothing. */
	size_t bl = strlen(c[15]) + strlen(c[16]) + 1;
	char *bundle = malloc(bl);
	snprintf(bundle, bl, "%s%s", c[15], c[16]);
	cr_assert_eq(certstore_add_pem(pe, bundle, strlen(bundle), err, sizeof(err)), -1);
	cr_assert_eq(certstore_count(pe), 15);
	cr_assert_eq(certstore_add_pem(pe, c[15], strlen(c[15]), err, sizeof(err)), 1);
	cr_assert_eq(certstore_count(pe), 16);
	/* Re-adding a present one is fine and does not count. */
	cr_assert_eq(certstore_add_pem(pe, c[3], strlen(c[3]), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(certstore_count(pe), 16);
	cr_assert_eq(certstore_add_pem(pe, c[16], strlen(c[16]), err, sizeof(err)), -1, "17th accepted");
	cr_assert_not_null(strstr(err, "16"), "%s", err);
	cr_assert_eq(certstore_count(pe), 16);

	/* Split and count. */
	char **parts;
	cr_assert_eq(cert_pem_split(bundle, strlen(bundle), &parts, err, sizeof(err)), 2);
	struct cert_info a, b;
	cert_info_pem(parts[1], strlen(parts[1]), &a, NULL, 0);
	cert_info_pem(c[16], strlen(c[16]), &b, NULL, 0);
	cr_assert_str_eq(a.sha256_hex, b.sha256_hex);
	free(parts[0]);
	free(parts[1]);
	free(parts);
	cr_assert_eq(cert_pem_count("no pem here", 11), -1);
	/* A broken block inside a bundle spoils it. */
	size_t gl = strlen(c[0]) + 100;
	char *garbled = malloc(gl);
	snprintf(garbled, gl, "%s-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", c[0]);
	cr_assert_eq(cert_pem_count(garbled, strlen(garbled)), -1);
	certstore *g = certstore_new(CERT_GENERIC);
	cr_assert_eq(certstore_add_pem(g, garbled, strlen(garbled), err, sizeof(err)), -1);
	cr_assert_eq(certstore_count(g), 0);
	cr_assert_eq(certstore_limit(g), CERTSTORE_MAX_DEFAULT);
	certstore_free(g);
	free(garbled);
	free(bundle);
	for (int i = 0; i < 18; i++)
		free(c[i]);
	certstore_free(pe);
}
