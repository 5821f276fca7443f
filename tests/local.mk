# One Criterion program per module.
check_PROGRAMS += tests/unit/test_common
tests_unit_test_common_SOURCES = tests/unit/test_common.c
tests_unit_test_common_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_common_LDADD = common/libcommon.a $(CRITERION_LIBS)

TESTS += tests/unit/test_common

# Fuzz harnesses.  Normally each is linked with tests/fuzz/driver.c and run over
# its seed corpus (tests/fuzz/corpus/NAME) by `make check`; with
# --enable-fuzzing they are linked with libFuzzer instead:
#   ./tests/fuzz/fuzz_NAME -max_total_time=600 tests/fuzz/corpus/NAME
# A module adds its harness with three lines in its own local.mk:
#   FUZZERS += tests/fuzz/fuzz_NAME
#   tests_fuzz_fuzz_NAME_SOURCES = tests/fuzz/fuzz_NAME.c
#   tests_fuzz_fuzz_NAME_LDADD = $(FUZZ_DRIVER) <libs>
FUZZERS += tests/fuzz/fuzz_common_num
tests_fuzz_fuzz_common_num_SOURCES = tests/fuzz/fuzz_common_num.c
tests_fuzz_fuzz_common_num_LDADD = $(FUZZ_DRIVER) common/libcommon.a
EXTRA_DIST += tests/fuzz/corpus tests/data tests/freeport.py

# Style checks over the source tree (tests/lint/).
TESTS += tests/lint/funclen.sh
EXTRA_DIST += tests/lint/funclen.sh tests/lint/funclen_check.py

# Hostile clients against the real daemons (tests/hostile/).
include $(srcdir)/tests/hostile/local.mk
# Third-party clients against real daemons (tests/interop/).
include $(srcdir)/tests/interop/local.mk
include $(srcdir)/tests/interop/tls.mk
include $(srcdir)/tests/interop/kamailio.mk
