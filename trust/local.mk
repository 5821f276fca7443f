# trust/: the token core.  Depends on OpenSSL and jansson only; the files
# that include OpenSSL are listed in trust/trust.h's header comment.
noinst_LIBRARIES += trust/libtrust.a
trust_libtrust_a_SOURCES = \
	trust/trust.h \
	trust/trust_int.h \
	trust/ossl_int.h \
	trust/b64url.c \
	trust/cache.c \
	trust/cert.c \
	trust/hash.c \
	trust/jsonscan.c \
	trust/jws.c \
	trust/key.c \
	trust/keystore.c \
	trust/ossl.c \
	trust/ossl_filesig.c \
	trust/ossl_jws.c \
	trust/ossl_key.c \
	trust/ossl_tlssig.c \
	trust/policy.c \
	trust/secret.c \
	trust/sgn.c \
	trust/str.c \
	trust/tlv.c \
	trust/token.c \
	trust/x509.c
trust_libtrust_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
TRUST_LIBS = trust/libtrust.a $(OPENSSL_LIBS) $(JANSSON_LIBS) -lm

# One Criterion program for the module, split by area.
check_PROGRAMS += tests/unit/test_trust
TESTS += tests/unit/test_trust
tests_unit_test_trust_SOURCES = \
	tests/unit/test_trust.h \
	tests/unit/test_trust.c \
	tests/unit/test_trust_cert.c \
	tests/unit/test_trust_keys.c \
	tests/unit/test_trust_policy.c \
	tests/unit/test_trust_tls.c \
	tests/unit/test_trust_token.c \
	tests/unit/test_trustlist.c
tests_unit_test_trust_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_trust_LDADD = $(TRUST_LIBS) $(CRITERION_LIBS)

# Fuzz harnesses (see tests/local.mk); seed corpora in tests/fuzz/corpus/NAME.
FUZZERS += tests/fuzz/fuzz_token tests/fuzz/fuzz_b64url tests/fuzz/fuzz_jwk
tests_fuzz_fuzz_token_SOURCES = tests/fuzz/fuzz_token.c
tests_fuzz_fuzz_token_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_token_LDADD = $(FUZZ_DRIVER) $(TRUST_LIBS)
tests_fuzz_fuzz_b64url_SOURCES = tests/fuzz/fuzz_b64url.c
tests_fuzz_fuzz_b64url_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_b64url_LDADD = $(FUZZ_DRIVER) $(TRUST_LIBS)
tests_fuzz_fuzz_jwk_SOURCES = tests/fuzz/fuzz_jwk.c
tests_fuzz_fuzz_jwk_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_jwk_LDADD = $(FUZZ_DRIVER) $(TRUST_LIBS)

# bench/token-verify runs this (see bench/token-verify for the comparison).
# Not in a --enable-fuzzing build: there every program is linked against
# libFuzzer, which brings its own main().
if !FUZZING
noinst_PROGRAMS += bench/token_verify
endif
bench_token_verify_SOURCES = bench/token_verify.c
bench_token_verify_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bench_token_verify_LDADD = $(TRUST_LIBS)
EXTRA_DIST += bench/token-verify bench/token_verify.c
FUZZERS += tests/fuzz/fuzz_jsonscan
tests_fuzz_fuzz_jsonscan_SOURCES = tests/fuzz/fuzz_jsonscan.c
tests_fuzz_fuzz_jsonscan_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_jsonscan_LDADD = $(FUZZ_DRIVER) $(TRUST_LIBS)
FUZZERS += tests/fuzz/fuzz_tlv
tests_fuzz_fuzz_tlv_SOURCES = tests/fuzz/fuzz_tlv.c
tests_fuzz_fuzz_tlv_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_tlv_LDADD = $(FUZZ_DRIVER) $(TRUST_LIBS)

# The .tlv/.sgn layout, its published sources and what is left out.
EXTRA_DIST += docs/formats.md
