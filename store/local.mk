# store/: the persistent state behind store/store.h (SQLite backend).
noinst_LIBRARIES += store/libstore.a
store_libstore_a_SOURCES = \
	store/store.h \
	store/store_int.h \
	store/store.c \
	store/params.c \
	store/render.c \
	store/revset.c \
	store/tokens.c \
	store/trustlist.c \
	store/sqlite_int.h \
	store/sqlite.c \
	store/sqlite_schema.c \
	store/sqlite_params.c \
	store/sqlite_model.c \
	store/sqlite_action.c \
	store/sqlite_files.c \
	store/sqlite_trust.c \
	store/sqlite_code.c \
	store/sqlite_client.c \
	store/sqlite_refresh.c \
	store/sqlite_revoke.c \
	store/sqlite_binding.c
store_libstore_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
# What a program linking store/libstore.a also needs.
STORE_LIBS = store/libstore.a $(CONFIGGEN_LIBS) $(TRUST_LIBS) $(SQLITE_LIBS)

check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_store_LDADD = $(STORE_LIBS) $(CRITERION_LIBS)

# Measurement, not a test: bench/store_lookup [N] imports N devices and
# times lookups by name.
noinst_PROGRAMS += bench/store_lookup
bench_store_lookup_SOURCES = bench/store_lookup.c
bench_store_lookup_LDADD = $(STORE_LIBS)
EXTRA_DIST += docs/store.md
