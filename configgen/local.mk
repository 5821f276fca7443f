# configgen/: the device model and config rendering (libxml2).
noinst_LIBRARIES += configgen/libconfiggen.a
configgen_libconfiggen_a_SOURCES = \
	configgen/configgen.h \
	configgen/cfg_int.h \
	configgen/cfg_xml.h \
	configgen/devname.c \
	configgen/filename.c \
	configgen/model.c \
	configgen/named.c \
	configgen/params.c \
	configgen/render.c \
	configgen/render_named.c \
	configgen/reported.c \
	configgen/text.c \
	configgen/tz.c \
	configgen/vendor.c
configgen_libconfiggen_a_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS)
# What a program linking configgen/libconfiggen.a also needs.
CONFIGGEN_LIBS = configgen/libconfiggen.a common/libcommon.a $(XML_LIBS)

check_PROGRAMS += tests/unit/test_configgen
TESTS += tests/unit/test_configgen
tests_unit_test_configgen_SOURCES = tests/unit/test_configgen.c
tests_unit_test_configgen_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(XML_CFLAGS)
tests_unit_test_configgen_LDADD = $(CONFIGGEN_LIBS) $(CRITERION_LIBS)

TESTS += tests/smoke/configgen-xmllint.sh
EXTRA_DIST += tests/smoke/configgen-xmllint.sh

FUZZERS += tests/fuzz/fuzz_filename
tests_fuzz_fuzz_filename_SOURCES = tests/fuzz/fuzz_filename.c
tests_fuzz_fuzz_filename_LDADD = $(FUZZ_DRIVER) $(CONFIGGEN_LIBS)

FUZZERS += tests/fuzz/fuzz_render
tests_fuzz_fuzz_render_SOURCES = tests/fuzz/fuzz_render.c
tests_fuzz_fuzz_render_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS)
tests_fuzz_fuzz_render_LDADD = $(FUZZ_DRIVER) $(CONFIGGEN_LIBS)

# Measurement, not a test: bench/configgen_render [N] prints the time of one
# render and one file-name classification, and allocations per render.
noinst_PROGRAMS += bench/configgen_render
bench_configgen_render_SOURCES = bench/configgen_render.c
bench_configgen_render_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS)
bench_configgen_render_LDADD = $(CONFIGGEN_LIBS)

# Apply Config / reset with a scripted phone against real daemons (needs
# cli/, sip/ and httpsd/).
TESTS += tests/smoke/apply.sh
EXTRA_DIST += tests/smoke/apply.sh tests/smoke/script_phone.py

FUZZERS += tests/fuzz/fuzz_cfgspec
tests_fuzz_fuzz_cfgspec_SOURCES = tests/fuzz/fuzz_cfgspec.c
tests_fuzz_fuzz_cfgspec_LDADD = $(FUZZ_DRIVER) $(CONFIGGEN_LIBS)
