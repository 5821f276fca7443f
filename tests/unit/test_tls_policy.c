/* Unit tests for common/'s TLS policy: each library, given the strings
 * tls_policy.c spells for it, offers exactly the suites of the policy,
 * named by their IANA code points (RFC 8446 §B.4, RFC 5289, RFC 7905), the
 * same on the GnuTLS side (6971, 8443) and the OpenSSL side (5090, 5091). */
#include "config.h"

#include <criterion/criterion.h>
#include <gnutls/gnutls.h>
#include <openssl/ssl.h>
#include <string.h>

#include "common/common.h"

/* Mozilla "intermediate" without DHE: TLS 1.3's three, then ECDHE with
 * AES-GCM and ChaCha20-Poly1305 for ECDSA and RSA certificates. */
static const unsigned intermediate[] = {
	0x1301, 0x1302, 0x1303,         /* TLS_AES_128_GCM_SHA256 ... CHACHA20 */
	0xC02B, 0xC02F,                 /* ECDHE-{ECDSA,RSA}-AES128-GCM-SHA256 */
	0xC02C, 0xC030,                 /* ECDHE-{ECDSA,RSA}-AES256-GCM-SHA384 */
	0xCCA9, 0xCCA8,                 /* ECDHE-{ECDSA,RSA}-CHACHA20-POLY1305 */
};

static int
has(const unsigned *ids, size_t n, unsigned id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* The suites GnuTLS offers under the policy's priority string. */
static size_t
gnutls_suites(const struct tls_policy *p, unsigned *ids, size_t max)
{
	char prio[TLS_POLICY_TEXT_MAX];
	gnutls_priority_t pr;
	const char *bad = NULL;
	size_t n = 0;
	unsigned idx;

	cr_assert_eq(tls_policy_gnutls(p, prio, sizeof(prio)), 0);
	cr_assert_eq(gnutls_priority_init(&pr, prio, &bad), 0, "%s at %s", prio,
	             bad ? bad : "?");
	for (unsigned i = 0;; i++) {
		unsigned char id[2];
		gnutls_protocol_t min;
		int rc = gnutls_priority_get_cipher_suite_index(pr, i, &idx);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			continue;
		cr_assert_not_null(gnutls_cipher_suite_info(idx, id, NULL, NULL,
		                                            NULL, &min));
		if (!p->tls12 && min < GNUTLS_TLS1_3)
			continue;       /* listed, but no version offers it */
		cr_assert_lt(n, max);
		ids[n++] = (unsigned)id[0] << 8 | id[1];
	}
	gnutls_priority_deinit(pr);
	return n;
}

static size_t
openssl_suites(const struct tls_policy *p, unsigned *ids, size_t max)
{
	struct tls_policy_ossl o;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	STACK_OF(SSL_CIPHER) *sk;
	size_t n = 0;

	cr_assert_not_null(ctx);
	cr_assert_eq(tls_policy_openssl(p, &o), 0);
	cr_assert_eq(SSL_CTX_set_cipher_list(ctx, o.ciphers), 1, "%s", o.ciphers);
	cr_assert_eq(SSL_CTX_set_ciphersuites(ctx, o.suites), 1, "%s", o.suites);
	cr_assert_eq(SSL_CTX_set1_groups_list(ctx, o.groups), 1, "%s", o.groups);
	sk = SSL_CTX_get_ciphers(ctx);
	for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		unsigned id = SSL_CIPHER_get_protocol_id(sk_SSL_CIPHER_value(sk, i));
		/* 0x13xx: the TLS 1.3 suites (RFC 8446 §B.4). */
		if (!o.min_tls12 && id >> 8 != 0x13)
			continue;
		cr_assert_lt(n, max);
		ids[n++] = id;
	}
	SSL_CTX_free(ctx);
	return n;
}

static void
expect(const char *name, const unsigned *want, size_t nwant)
{
	const struct tls_policy *p = tls_policy_find(name);
	unsigned g[64], o[64];
	size_t ng, no;

	cr_assert_not_null(p);
	ng = gnutls_suites(p, g, 64);
	no = openssl_suites(p, o, 64);
	cr_expect_eq(ng, nwant, "GnuTLS offers %zu suites", ng);
	cr_expect_eq(no, nwant, "OpenSSL offers %zu suites", no);
	for (size_t i = 0; i < nwant; i++) {
		cr_expect(has(g, ng, want[i]), "GnuTLS lacks 0x%04X", want[i]);
		cr_expect(has(o, no, want[i]), "OpenSSL lacks 0x%04X", want[i]);
	}
	/* The server's order: both put AES-128-GCM first for each version. */
	cr_expect_eq(o[0], 0x1301);
	if (p->tls12)
		cr_expect_eq(o[3], 0xC02B, "OpenSSL's first TLS 1.2 suite 0x%04X", o[3]);
}

Test(tls_policy, intermediate_same_suites_in_both_libraries)
{
	expect("intermediate", intermediate, 9);
}

Test(tls_policy, modern_is_tls13_only)
{
	struct tls_policy_ossl o;

	expect("modern", intermediate, 3);
	cr_assert_eq(tls_policy_openssl(tls_policy_find("modern"), &o), 0);
	cr_expect_eq(o.min_tls12, 0);
}

Test(tls_policy, default_and_unknown_names)
{
	char prio[TLS_POLICY_TEXT_MAX];

	cr_assert_not_null(tls_policy_find(TLS_POLICY_DEFAULT));
	cr_expect_null(tls_policy_find("old"));
	cr_expect_null(tls_policy_find(""));
	cr_expect_null(tls_policy_find(NULL));
	cr_expect_null(tls_policy_find("Intermediate"));
	/* The string must say whose order wins, and must fit. */
	cr_assert_eq(tls_policy_gnutls(tls_policy_find("intermediate"), prio,
	                               sizeof(prio)), 0);
	cr_expect_not_null(strstr(prio, "%SERVER_PRECEDENCE"));
	cr_expect_eq(tls_policy_gnutls(tls_policy_find("intermediate"), prio, 20), -1);
}
