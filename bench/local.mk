# bench/local.mk - measurement tools of bench/ that belong to no daemon's
# folder.  Not tests: nothing here runs in `make check`.

# bench/boot-storm (a script) drives bench/bootstorm_gen against the oprov
# daemons and against the peer stack (in.tftpd, nginx, Kamailio).
noinst_PROGRAMS += bench/bootstorm_gen
bench_bootstorm_gen_SOURCES = bench/bootstorm_gen.c
bench_bootstorm_gen_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_bootstorm_gen_LDADD = $(OPENSSL_LIBS)
EXTRA_DIST += bench/boot-storm
