noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/common.h \
	common/daemon.c \
	common/hash.c \
	common/limit.c \
	common/listen.c \
	common/log.c \
	common/num.c \
	common/path.c \
	common/stats.c \
	common/str.c \
	common/tls_policy.c

# The TLS policy as each TLS library reads it (both libraries linked here
# only; common/ itself links neither).
check_PROGRAMS += tests/unit/test_tls_policy
TESTS += tests/unit/test_tls_policy
tests_unit_test_tls_policy_SOURCES = tests/unit/test_tls_policy.c
tests_unit_test_tls_policy_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(GNUTLS_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_tls_policy_LDADD = common/libcommon.a $(GNUTLS_LIBS) $(OPENSSL_LIBS) $(CRITERION_LIBS)
