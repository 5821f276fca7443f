# tests/hostile/ cases of the store (issue 11 items 7 and 14), kept in a
# file of their own beside the other hostile cases' local.mk.
TESTS += tests/hostile/store_lock.sh tests/hostile/store_purge.sh \
	tests/hostile/store_growth.sh
EXTRA_DIST += tests/hostile/store_lock.sh tests/hostile/store_lock_client.py \
	tests/hostile/store_purge.sh tests/hostile/store_purge_client.py \
	tests/hostile/store_growth.sh
check_PROGRAMS += tests/hostile/store_growth
tests_hostile_store_growth_SOURCES = tests/hostile/store_growth.c
tests_hostile_store_growth_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_hostile_store_growth_LDADD = $(STORE_LIBS)
