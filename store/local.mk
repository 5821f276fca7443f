# store/: the persistent state behind store/store.h (SQLite and PostgreSQL
# backends).
noinst_LIBRARIES += store/libstore.a
store_libstore_a_SOURCES = \
	store/store.h \
	store/store_int.h \
	store/store.c \
	store/conf.c \
	store/schema.c \
	store/params.c \
	store/render.c \
	store/revset.c \
	store/tokens.c \
	store/trustlist.c \
	store/sqlite_int.h \
	store/sqlite.c \
	store/sqlite_migrate.c \
	store/sqlite_cluster.c \
	store/sqlite_params.c \
	store/sqlite_model.c \
	store/sqlite_action.c \
	store/sqlite_files.c \
	store/sqlite_trust.c \
	store/sqlite_code.c \
	store/sqlite_client.c \
	store/sqlite_refresh.c \
	store/sqlite_revoke.c \
	store/sqlite_binding.c \
	store/pg_int.h \
	store/pg.c \
	store/pg_cluster.c \
	store/pg_model.c \
	store/pg_device.c \
	store/pg_trust.c \
	store/pg_code.c \
	store/pg_token.c \
	store/pg_action.c \
	store/pg_files.c \
	store/move.c
store_libstore_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(LIBPQ_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
# What a program linking store/libstore.a also needs.
STORE_LIBS = store/libstore.a $(CONFIGGEN_LIBS) $(TRUST_LIBS) $(SQLITE_LIBS) $(LIBPQ_LIBS)

check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
# The same suite against a private PostgreSQL server (skipped, with the
# reason, where none can be started; CI sets OPROV_PG_REQUIRED=1).
TESTS += tests/unit/test_store_pg.sh
EXTRA_DIST += tests/unit/test_store_pg.sh tests/cluster/pg.sh
# Three nodes on one private PostgreSQL (issue 15), skipped likewise.
TESTS += tests/cluster/cluster.sh tests/cluster/migrate.sh tests/cluster/smoke_pg.sh
EXTRA_DIST += tests/cluster/cluster.sh tests/cluster/cluster_nodes.py tests/cluster/migrate.sh \
	tests/cluster/smoke_pg.sh
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS) $(LIBPQ_CFLAGS)
tests_unit_test_store_LDADD = $(STORE_LIBS) $(CRITERION_LIBS)

# Measurement, not a test: bench/store_lookup [N] imports N devices and
# times lookups by name.
noinst_PROGRAMS += bench/store_lookup
bench_store_lookup_SOURCES = bench/store_lookup.c
bench_store_lookup_LDADD = $(STORE_LIBS)
EXTRA_DIST += docs/store.md docs/cluster.md
