# One Criterion program per module.
check_PROGRAMS += tests/unit/test_common
tests_unit_test_common_SOURCES = tests/unit/test_common.c
tests_unit_test_common_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_common_LDADD = common/libcommon.a $(CRITERION_LIBS)

TESTS += tests/unit/test_common
