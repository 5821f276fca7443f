# oprov-tftpd: read-only TFTP server (tftp/tftp.h is the contract).
noinst_LIBRARIES += tftp/libtftp.a
tftp_libtftp_a_SOURCES = \
	tftp/tftp.h \
	tftp/tftp_int.h \
	tftp/loop_int.h \
	tftp/packet.c \
	tftp/negotiate.c \
	tftp/netascii.c \
	tftp/xfer.c \
	tftp/file.c \
	tftp/limit.c \
	tftp/serve.c \
	tftp/loop.c \
	tftp/request.c \
	tftp/transfer.c \
	tftp/transfer_data.c
tftp_libtftp_a_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)

sbin_PROGRAMS += tftp/oprov-tftpd
tftp_oprov_tftpd_SOURCES = tftp/main.c
tftp_oprov_tftpd_LDADD = tftp/libtftp.a $(GATE_LIBS)
dist_man_MANS += docs/oprov-tftpd.8

check_PROGRAMS += tests/unit/test_tftp
tests_unit_test_tftp_SOURCES = tests/unit/test_tftp.c
tests_unit_test_tftp_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_tftp_LDADD = tftp/libtftp.a common/libcommon.a $(CRITERION_LIBS)
TESTS += tests/unit/test_tftp

FUZZERS += tests/fuzz/fuzz_tftp_packet
tests_fuzz_fuzz_tftp_packet_SOURCES = tests/fuzz/fuzz_tftp_packet.c
tests_fuzz_fuzz_tftp_packet_LDADD = $(FUZZ_DRIVER) tftp/libtftp.a common/libcommon.a

# Helpers of the smoke tests (and the benchmark's load generator).
check_PROGRAMS += bench/tftp/tftpload tests/smoke/udp_relay
bench_tftp_tftpload_SOURCES = bench/tftp/tftpload.c
bench_tftp_tftpload_LDADD = tftp/libtftp.a common/libcommon.a
tests_smoke_udp_relay_SOURCES = tests/smoke/udp_relay.c
tests_smoke_udp_relay_LDADD = common/libcommon.a
TESTS += tests/smoke/tftp.sh
EXTRA_DIST += tests/smoke/tftp.sh bench/tftp/run.sh
EXTRA_DIST += docs/oprov-tftpd.service
