/* Unit tests for trust/: TLS server keys (key_tls_from_pem, key_sign_raw,
 * key_sign_digest).  Every signature is checked by the openssl command
 * line, an independent verifier, and a changed message must fail there. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/test_trust.h"

static const char msg[] = "TLS 1.3, server CertificateVerify\0 and some bytes";

static char tdir[] = "/tmp/oprov-tls-test.XXXXXX";

static void
write_file(const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* 0 when the openssl command (run in tdir) exits 0. */
static int
openssl(const char *args)
{
	char cmd[1024];
	int st;

	snprintf(cmd, sizeof(cmd), "cd %s && openssl %s >/dev/null 2>&1", tdir, args);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(tdir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	(void)system(cmd);
}

static trust_key *
tls_key(enum key_type t)
{
	char err[200] = "";
	char *pem = key_generate_pem(t, err, sizeof(err));
	trust_key *k;
	char *pub;

	cr_assert_not_null(pem, "%s", err);
	k = key_tls_from_pem(pem, strlen(pem), err, sizeof(err));
	cr_assert_not_null(k, "%s", err);
	trust_free_secret(pem);
	pub = key_public_pem(k);
	cr_assert_not_null(pub);
	write_file("pub.pem", pub, strlen(pub));
	free(pub);
	write_file("msg", msg, sizeof(msg));
	write_file("other", msg, sizeof(msg) - 1);
	return k;
}

/* openssl dgst arguments verifying `sig` over the file given last. */
static void
check(const char *verify_args, const uint8_t *sig, size_t siglen)
{
	char a[512];

	write_file("sig", sig, siglen);
	snprintf(a, sizeof(a), "%s msg", verify_args);
	cr_assert_eq(openssl(a), 0, "openssl %s refused the signature", a);
	snprintf(a, sizeof(a), "%s other", verify_args);
	cr_assert_neq(openssl(a), 0, "openssl %s accepted a changed message", a);
}

struct rsa_case {
	enum trust_sig_scheme s;
	int bits;
	const char *opts;
};

static const struct rsa_case rsa_cases[] = {
	{ SIG_RSA_PKCS1_SHA256, 256, "" },
	{ SIG_RSA_PKCS1_SHA384, 384, "" },
	{ SIG_RSA_PKCS1_SHA512, 512, "" },
	/* The salt length is pinned to the hash length, so a signature
	 * with any other salt fails here. */
	{ SIG_RSA_PSS_SHA256, 256, "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256" },
	{ SIG_RSA_PSS_SHA384, 384, "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -sigopt rsa_mgf1_md:sha384" },
	{ SIG_RSA_PSS_SHA512, 512, "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:64 -sigopt rsa_mgf1_md:sha512" },
};

static void
digest_of(int bits, uint8_t *out, size_t *len)
{
	/* SHA-384/512 through openssl itself, SHA-256 through trust. */
	char a[128];
	FILE *f;
	char path[256];

	if (bits == 256) {
		trust_sha256(msg, sizeof(msg), out);
		*len = 32;
		return;
	}
	snprintf(a, sizeof(a), "dgst -sha%d -binary -out d msg", bits);
	cr_assert_eq(openssl(a), 0);
	snprintf(path, sizeof(path), "%s/d", tdir);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	*len = fread(out, 1, 64, f);
	fclose(f);
	cr_assert_eq(*len, (size_t)bits / 8);
}

TestSuite(tls_keys, .init = setup, .fini = teardown);

Test(tls_keys, rsa_pkcs1_and_pss)
{
	trust_key *k = tls_key(KEY_RSA2048);
	uint8_t sig[KEY_SIG_MAX], dg[64];
	size_t sl, dl;
	char err[200] = "", a[512];

	cr_assert_eq(key_family(k), KEY_FAMILY_RSA);
	for (size_t i = 0; i < sizeof(rsa_cases) / sizeof(rsa_cases[0]); i++) {
		const struct rsa_case *c = &rsa_cases[i];
		snprintf(a, sizeof(a), "dgst -sha%d %s -verify pub.pem -signature sig",
		         c->bits, c->opts);
		cr_assert(key_sig_supported(k, c->s));
		cr_assert_eq(key_sign_raw(k, c->s, msg, sizeof(msg), sig, sizeof(sig),
		                          &sl, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(sl, 256);
		check(a, sig, sl);
		digest_of(c->bits, dg, &dl);
		cr_assert_eq(key_sign_digest(k, c->s, dg, dl, sig, sizeof(sig), &sl,
		                             err, sizeof(err)), 0, "%s", err);
		check(a, sig, sl);
		/* A digest of the wrong length is refused, not padded. */
		cr_assert_eq(key_sign_digest(k, c->s, dg, dl - 1, sig, sizeof(sig),
		                             &sl, NULL, 0), -1);
	}
	cr_assert_not(key_sig_supported(k, SIG_ECDSA_SHA256));
	cr_assert_not(key_sig_supported(k, SIG_ED25519));
	cr_assert_eq(key_sign_raw(k, SIG_ECDSA_SHA256, msg, sizeof(msg), sig,
	                          sizeof(sig), &sl, NULL, 0), -1);
	key_unref(k);
}

/* TLS 1.2 through a stack that builds the DigestInfo itself: the result must
 * be exactly an RSASSA-PKCS1-v1_5 SHA-256 signature of the message. */
Test(tls_keys, rsa_raw_digestinfo)
{
	static const uint8_t sha256_prefix[19] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	trust_key *k = tls_key(KEY_RSA2048);
	uint8_t di[19 + 32], sig[KEY_SIG_MAX];
	size_t sl;
	char err[200] = "";

	memcpy(di, sha256_prefix, sizeof(sha256_prefix));
	trust_sha256(msg, sizeof(msg), di + 19);
	cr_assert(key_sig_supported(k, SIG_RSA_PKCS1_RAW));
	cr_assert_eq(key_sign_digest(k, SIG_RSA_PKCS1_RAW, di, sizeof(di), sig,
	                             sizeof(sig), &sl, err, sizeof(err)), 0, "%s", err);
	check("dgst -sha256 -verify pub.pem -signature sig", sig, sl);
	/* Only as a digest: key_sign_raw never treats data as a DigestInfo. */
	cr_assert_eq(key_sign_raw(k, SIG_RSA_PKCS1_RAW, di, sizeof(di), sig,
	                          sizeof(sig), &sl, NULL, 0), -1);
	key_unref(k);
}

Test(tls_keys, ecdsa_p256_der)
{
	static const enum trust_sig_scheme s[3] = {
		SIG_ECDSA_SHA256, SIG_ECDSA_SHA384, SIG_ECDSA_SHA512 };
	static const int bits[3] = { 256, 384, 512 };
	trust_key *k = tls_key(KEY_EC256);
	uint8_t sig[KEY_SIG_MAX], dg[64];
	size_t sl, dl;
	char err[200] = "", a[256];

	cr_assert_eq(key_family(k), KEY_FAMILY_EC);
	for (int i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "dgst -sha%d -verify pub.pem -signature sig", bits[i]);
		cr_assert_eq(key_sign_raw(k, s[i], msg, sizeof(msg), sig, sizeof(sig),
		                          &sl, err, sizeof(err)), 0, "%s", err);
		/* DER Ecdsa-Sig-Value (RFC 8446 §4.2.3), not raw r||s. */
		cr_assert_eq(sig[0], 0x30);
		cr_assert_eq((size_t)sig[1] + 2, sl);
		check(a, sig, sl);
		digest_of(bits[i], dg, &dl);
		cr_assert_eq(key_sign_digest(k, s[i], dg, dl, sig, sizeof(sig), &sl,
		                             err, sizeof(err)), 0, "%s", err);
		check(a, sig, sl);
	}
	cr_assert_not(key_sig_supported(k, SIG_RSA_PKCS1_SHA256));
	cr_assert_not(key_sig_supported(k, SIG_RSA_PSS_SHA256));
	cr_assert_not(key_sig_supported(k, SIG_ED25519));
	key_unref(k);
}

Test(tls_keys, ed25519)
{
	trust_key *k = tls_key(KEY_ED25519);
	uint8_t sig[KEY_SIG_MAX], dg[32];
	size_t sl;
	char err[200] = "";

	cr_assert_eq(key_family(k), KEY_FAMILY_ED25519);
	cr_assert_eq(key_sign_raw(k, SIG_ED25519, msg, sizeof(msg), sig, sizeof(sig),
	                          &sl, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl, 64);
	check("pkeyutl -verify -pubin -inkey pub.pem -rawin -sigfile sig -in", sig, sl);
	/* PureEdDSA has no pre-hashed form. */
	trust_sha256(msg, sizeof(msg), dg);
	cr_assert_eq(key_sign_digest(k, SIG_ED25519, dg, 32, sig, sizeof(sig), &sl,
	                             NULL, 0), -1);
	cr_assert_not(key_sig_supported(k, SIG_ECDSA_SHA256));
	key_unref(k);
}

/* The JWS binding rules hold both ways: a TLS key signs no token and a
 * token key makes no raw TLS signature. */
Test(tls_keys, separate_from_token_keys)
{
	trust_key *k = tls_key(KEY_EC256), *jk;
	char err[200] = "", *pem;
	uint8_t sig[KEY_SIG_MAX];
	size_t sl;

	cr_assert_eq(key_alg(k), JWS_ALG_INVALID);
	cr_assert_null(jws_sign(k, "at+jwt", "{}", 2, NULL, 0));
	pem = key_private_pem(k);
	cr_assert_not_null(pem);
	jk = key_from_pem(pem, strlen(pem), JWS_ALG_INVALID, NULL, err, sizeof(err));
	cr_assert_not_null(jk, "%s", err);
	cr_assert_eq(key_alg(jk), JWS_ES256);
	cr_assert_not(key_sig_supported(jk, SIG_ECDSA_SHA256));
	cr_assert_eq(key_sign_raw(jk, SIG_ECDSA_SHA256, msg, sizeof(msg), sig,
	                          sizeof(sig), &sl, NULL, 0), -1);
	trust_free_secret(pem);
	key_unref(jk);
	key_unref(k);
}

Test(tls_keys, refusals)
{
	trust_key *k = tls_key(KEY_RSA2048);
	char err[200] = "", *pub = key_public_pem(k);

	cr_assert_null(key_tls_from_pem(pub, strlen(pub), err, sizeof(err)));
	cr_assert_not_null(strstr(err, "private"), "%s", err);
	free(pub);
	key_unref(k);
	cr_assert_eq(openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out small.pem"), 0);
	{
		char path[256];
		FILE *f;
		char buf[4096];
		size_t n;
		snprintf(path, sizeof(path), "%s/small.pem", tdir);
		f = fopen(path, "rb");
		cr_assert_not_null(f);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		cr_assert_null(key_tls_from_pem(buf, n, err, sizeof(err)));
		cr_assert_not_null(strstr(err, "1024"), "%s", err);
	}
}
