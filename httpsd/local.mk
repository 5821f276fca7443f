# httpsd/: oprov-httpsd (6971 token-gated configs, 6970 public files, 8443
# OAuth authorization server) on libmicrohttpd.  The pure parsers live in
# libhttpsd.a so the unit tests and the fuzz harness link them alone.
noinst_LIBRARIES += httpsd/libhttpsd.a
httpsd_libhttpsd_a_SOURCES = \
	httpsd/httpsd.h \
	httpsd/parse.c

check_PROGRAMS += tests/unit/test_httpsd
TESTS += tests/unit/test_httpsd
tests_unit_test_httpsd_SOURCES = tests/unit/test_httpsd.c
tests_unit_test_httpsd_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_httpsd_LDADD = httpsd/libhttpsd.a common/libcommon.a $(CRITERION_LIBS)

FUZZERS += tests/fuzz/fuzz_http_auth
tests_fuzz_fuzz_http_auth_SOURCES = tests/fuzz/fuzz_http_auth.c
tests_fuzz_fuzz_http_auth_LDADD = $(FUZZ_DRIVER) httpsd/libhttpsd.a common/libcommon.a

sbin_PROGRAMS += httpsd/oprov-httpsd
httpsd_oprov_httpsd_SOURCES = \
	httpsd/httpsd_int.h \
	httpsd/file_ports.c \
	httpsd/files.c \
	httpsd/main.c \
	httpsd/metrics.c \
	httpsd/oauth.c \
	httpsd/oauth_client.c \
	httpsd/server.c \
	httpsd/state.c \
	httpsd/tls.c
httpsd_oprov_httpsd_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(GNUTLS_CFLAGS) $(JANSSON_CFLAGS)
httpsd_oprov_httpsd_LDADD = httpsd/libhttpsd.a $(GATE_LIBS) $(TRUST_LIBS) \
	common/libcommon.a $(MHD_LIBS) $(GNUTLS_LIBS)

# Real clients against a real daemon (needs cli/oprovctl).
TESTS += tests/smoke/httpsd.sh tests/smoke/httpsd-tls.sh
EXTRA_DIST += tests/smoke/httpsd.sh tests/smoke/httpsd-tls.sh

dist_man_MANS += docs/oprov-httpsd.8
EXTRA_DIST += docs/oprov-httpsd.service bench/https-config bench/token-issue bench/soak \
	bench/cluster bench/cluster-throughput

# Measurement, not a test: bench/tls-handshake (a script) drives
# bench/tls_handshake against oprov-httpsd and nginx side by side.
noinst_PROGRAMS += bench/tls_handshake
bench_tls_handshake_SOURCES = bench/tls_handshake.c
bench_tls_handshake_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_tls_handshake_LDADD = $(OPENSSL_LIBS) -lpthread
EXTRA_DIST += bench/tls-handshake
