# sip/: the SIP parser, framing and registrar core (libsip.a), the daemon
# oprov-sipd with its TLS transport, unit tests and the fuzz harness.
noinst_LIBRARIES += sip/libsip.a
sip_libsip_a_SOURCES = \
	sip/sip.h \
	sip/sip_int.h \
	sip/registrar_int.h \
	sip/msg.c \
	sip/hdrval.c \
	sip/frame.c \
	sip/registrar.c \
	sip/bindings.c \
	sip/reply.c \
	sip/notify.c
sip_libsip_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -pthread

sbin_PROGRAMS += sip/oprov-sipd
sip_oprov_sipd_SOURCES = \
	sip/sipd_int.h \
	sip/sipd.c \
	sip/server.c \
	sip/state.c \
	sip/actions.c \
	sip/tls.c
sip_oprov_sipd_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) -pthread
sip_oprov_sipd_LDADD = sip/libsip.a $(GATE_LIBS) $(TRUST_LIBS) \
	common/libcommon.a -lpthread
dist_man_MANS += docs/oprov-sipd.8

check_PROGRAMS += tests/unit/test_sip
tests_unit_test_sip_SOURCES = tests/unit/test_sip.c
tests_unit_test_sip_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(JANSSON_CFLAGS) -pthread
tests_unit_test_sip_CPPFLAGS = $(AM_CPPFLAGS) -DSIP_TEST_DATA='"$(abs_top_srcdir)/tests/data/sip"'
tests_unit_test_sip_LDADD = sip/libsip.a $(CONFIGGEN_LIBS) common/libcommon.a \
	$(CRITERION_LIBS) -lpthread
TESTS += tests/unit/test_sip

FUZZERS += tests/fuzz/fuzz_sip
tests_fuzz_fuzz_sip_SOURCES = tests/fuzz/fuzz_sip.c
tests_fuzz_fuzz_sip_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_sip_LDADD = $(FUZZ_DRIVER) sip/libsip.a $(CONFIGGEN_LIBS) common/libcommon.a

# SIPp through stunnel against a real daemon (needs cli/oprovctl).
TESTS += tests/smoke/sip.sh
EXTRA_DIST += tests/smoke/sip.sh

# Measurement, not a test: bench/sip-register (a script) drives
# bench/sip_loadgen against oprov-sipd and Kamailio side by side.
noinst_PROGRAMS += bench/sip_loadgen
bench_sip_loadgen_SOURCES = bench/sip_loadgen.c
bench_sip_loadgen_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_sip_loadgen_LDADD = $(OPENSSL_LIBS)
EXTRA_DIST += bench/sip-register bench/sip-register.kamailio.cfg
EXTRA_DIST += docs/oprov-sipd.service

FUZZERS += tests/fuzz/fuzz_notify
tests_fuzz_fuzz_notify_SOURCES = tests/fuzz/fuzz_notify.c
tests_fuzz_fuzz_notify_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_notify_LDADD = $(FUZZ_DRIVER) sip/libsip.a $(CONFIGGEN_LIBS) common/libcommon.a
