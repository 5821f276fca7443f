# gate/: the one door of the daemons to the store, keys, revocations and
# device facts (gate/gate.h).  Depends on store/, configgen/, trust/, common/.
noinst_LIBRARIES += gate/libgate.a
gate_libgate_a_SOURCES = \
	gate/gate.h \
	gate/gate_int.h \
	gate/decide.c \
	gate/devices.c \
	gate/chores.c \
	gate/gate.c \
	gate/named.c \
	gate/snapshot.c \
	gate/trustlist.c
gate_libgate_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
# What a program linking gate/libgate.a also needs.
GATE_LIBS = gate/libgate.a $(STORE_LIBS) common/libcommon.a -lpthread

check_PROGRAMS += tests/unit/test_gate
TESTS += tests/unit/test_gate
tests_unit_test_gate_SOURCES = tests/unit/test_gate.c
tests_unit_test_gate_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_gate_LDADD = $(GATE_LIBS) $(CRITERION_LIBS)

# The start-up sequence every daemon shares (common/daemon.c), end to end:
# root, --user, the hand-over of the store, serving through the gate.
TESTS += tests/smoke/startup.sh tests/smoke/gate.sh
EXTRA_DIST += tests/smoke/startup.sh tests/smoke/gate.sh

# A phone's boot order end to end (trust lists, signed files, 6971, 5090):
# tftpd, httpsd and sipd with a script client.
TESTS += tests/smoke/bootwalk.sh
EXTRA_DIST += tests/smoke/bootwalk.sh tests/smoke/bootwalk_phone.py
