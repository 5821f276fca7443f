/*
 * tls_policy.c - the one TLS policy of every oprov TLS port, written once
 * and spelled out for both TLS libraries: a GnuTLS priority string for
 * oprov-httpsd (libmicrohttpd runs GnuTLS) and OpenSSL's cipher list,
 * TLS 1.3 suites and groups for oprov-sipd.  Nothing here links either
 * library; the daemons hand the strings over and the unit tests check
 * that each library expands them to the same suites.
 *
 * The default follows Mozilla's "intermediate" server profile (version
 * 5.7) with its finite-field DHE suites left out, as the conformance issue
 * asks: TLS 1.2 only with ECDHE and an AEAD (AES-GCM, ChaCha20-Poly1305),
 * TLS 1.3 with the three suites every client has; no CBC, no static RSA
 * key exchange, no CCM; the server's order.  "modern" is the same with
 * TLS 1.3 alone.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/common.h"

/* An AEAD cipher by its name in each library.  TLS 1.2 suite names in
 * OpenSSL are "ECDHE-<auth>-<suffix>" (openssl ciphers -v). */
struct aead {
	const char *gnutls;         /* priority keyword */
	const char *ossl12;         /* OpenSSL TLS 1.2 suite suffix */
	const char *ossl13;         /* TLS 1.3 suite (RFC 8446 §B.4) */
};
static const struct aead aeads[] = {
	{ "AES-128-GCM", "AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256" },
	{ "AES-256-GCM", "AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384" },
	{ "CHACHA20-POLY1305", "CHACHA20-POLY1305", "TLS_CHACHA20_POLY1305_SHA256" },
};

/* The ECDHE key exchanges of TLS 1.2, by the certificate's key. */
struct kx {
	const char *gnutls;
	const char *ossl;
};
static const struct kx kxs[] = {
	{ "ECDHE-ECDSA", "ECDHE-ECDSA" },
	{ "ECDHE-RSA", "ECDHE-RSA" },
};

/* Key-exchange groups, client's favourite first: clients (OpenSSL, curl,
 * GnuTLS, phones' stacks) send an X25519 key share, so putting it first
 * spares them a HelloRetryRequest round trip. */
struct group {
	const char *gnutls;
	const char *ossl;
};
static const struct group groups[] = {
	{ "GROUP-X25519", "X25519" },
	{ "GROUP-SECP256R1", "P-256" },
	{ "GROUP-SECP384R1", "P-384" },
};

static const struct tls_policy policies[] = {
	{ "intermediate", 1 },
	{ "modern", 0 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct tls_policy *
tls_policy_find(const char *name)
{
	for (size_t i = 0; i < N(policies); i++)
		if (name != NULL && strcmp(policies[i].name, name) == 0)
			return &policies[i];
	return NULL;
}

/* Appends "sep" and the text to buf (size len, holding *at bytes);
 * -1 when it does not fit. */
static int
add(char *buf, size_t len, size_t *at, const char *sep, const char *s)
{
	int n = snprintf(buf + *at, len - *at, "%s%s", *at ? sep : "", s);

	if (n < 0 || (size_t)n >= len - *at)
		return -1;
	*at += (size_t)n;
	return 0;
}

int
tls_policy_gnutls(const struct tls_policy *p, char *buf, size_t len)
{
	size_t at = 0;
	int rc = 0;

	/* NORMAL for what the policy does not name (signature algorithms
	 * without SHA-1, certificate types), everything it names replaced. */
	rc |= add(buf, len, &at, ":", "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	if (p->tls12)
		rc |= add(buf, len, &at, ":", "+VERS-TLS1.2");
	rc |= add(buf, len, &at, ":", "-KX-ALL");
	for (size_t i = 0; i < N(kxs); i++)
		rc |= add(buf, len, &at, ":+", kxs[i].gnutls);
	rc |= add(buf, len, &at, ":", "-CIPHER-ALL");
	for (size_t i = 0; i < N(aeads); i++)
		rc |= add(buf, len, &at, ":+", aeads[i].gnutls);
	rc |= add(buf, len, &at, ":", "-MAC-ALL:+AEAD:-GROUP-ALL");
	for (size_t i = 0; i < N(groups); i++)
		rc |= add(buf, len, &at, ":+", groups[i].gnutls);
	rc |= add(buf, len, &at, ":", "%SERVER_PRECEDENCE");
	return rc ? -1 : 0;
}

int
tls_policy_openssl(const struct tls_policy *p, struct tls_policy_ossl *o)
{
	size_t a = 0, b = 0, c = 0;
	char suite[64];
	int rc = 0;

	o->min_tls12 = p->tls12;
	o->ciphers[0] = o->suites[0] = o->groups[0] = '\0';
	/* OpenSSL orders by this list under SSL_OP_CIPHER_SERVER_PREFERENCE:
	 * cipher by cipher, ECDSA before RSA, as GnuTLS orders them. */
	for (size_t i = 0; p->tls12 && i < N(aeads); i++)
		for (size_t k = 0; k < N(kxs); k++) {
			snprintf(suite, sizeof(suite), "%s-%s", kxs[k].ossl,
			         aeads[i].ossl12);
			rc |= add(o->ciphers, sizeof(o->ciphers), &a, ":", suite);
		}
	/* TLS 1.3 only: an empty TLS 1.2 list would be refused. */
	if (!p->tls12)
		rc |= add(o->ciphers, sizeof(o->ciphers), &a, ":",
		          "ECDHE-ECDSA-AES128-GCM-SHA256");
	for (size_t i = 0; i < N(aeads); i++)
		rc |= add(o->suites, sizeof(o->suites), &b, ":", aeads[i].ossl13);
	for (size_t i = 0; i < N(groups); i++)
		rc |= add(o->groups, sizeof(o->groups), &c, ":", groups[i].ossl);
	return rc ? -1 : 0;
}

const char *
tls_policy_names(void)
{
	return "intermediate, modern";
}
