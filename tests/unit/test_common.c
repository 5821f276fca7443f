/* Unit tests for common/: number parsing, sanitizing, listener specs. */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

Test(num, accepts_in_range)
{
	long long v = 0;
	cr_assert_eq(num_parse("1428", 4, 8, 65464, &v), 0);
	cr_assert_eq(v, 1428);
	cr_assert_eq(num_parse("-5", 2, -10, 10, &v), 0);
	cr_assert_eq(v, -5);
	cr_assert_eq(num_parse_str("9223372036854775807", 0, LLONG_MAX, &v), 0);
	cr_assert_eq(v, LLONG_MAX);
	cr_assert_eq(num_parse_str("-9223372036854775808", LLONG_MIN, 0, &v), 0);
	cr_assert_eq(v, LLONG_MIN);
}

Test(num, refuses_bad_text)
{
	long long v = 77;
	const char *bad[] = { "", "-", "+1", " 1", "1 ", "0x10", "1e3", "12a",
	                      "9223372036854775808", "-9223372036854775809",
	                      "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(num_parse_str(bad[i], LLONG_MIN, LLONG_MAX, &v), -1,
		             "accepted \"%s\"", bad[i]);
	cr_assert_eq(num_parse_str("7", 8, 10, &v), -1);
	cr_assert_eq(num_parse_str("11", 8, 10, &v), -1);
	cr_assert_eq(v, 77, "output written on failure");
}

Test(num, does_not_read_past_len)
{
	long long v;
	/* "12" followed by bytes that must not be looked at. */
	cr_assert_eq(num_parse("12x", 2, 0, 100, &v), 0);
	cr_assert_eq(v, 12);
}

Test(str, sanitize_escapes_controls)
{
	char out[64];
	str_sanitize(out, sizeof(out), "a\r\nb\"\\\x01\xff", 8);
	cr_assert_str_eq(out, "a\\x0d\\x0ab\\x22\\x5c\\x01\\xff");
}

Test(str, sanitize_truncates_with_marker)
{
	char out[8];
	str_sanitize(out, sizeof(out), "abcdefghijkl", 12);
	cr_assert_eq(strlen(out), 7);
	cr_assert_str_eq(out, "abcd...");
	str_sanitize(out, sizeof(out), "\n\n\n", 3);
	cr_assert(strlen(out) < sizeof(out));
}

Test(hash, stable_within_a_process_and_sensitive_to_every_byte)
{
	const char *s = "SEP00AABBCCDDEE";
	uint64_t h = hash_string(s);
	char buf[32];

	cr_assert_eq(hash_string(s), h);
	cr_assert_eq(hash_mem(s, strlen(s)), h);
	/* Every single-byte change and every prefix hashes differently. */
	for (size_t i = 0; i < strlen(s); i++) {
		snprintf(buf, sizeof(buf), "%s", s);
		buf[i] ^= 1;
		cr_assert_neq(hash_string(buf), h, "byte %zu", i);
		cr_assert_neq(hash_mem(s, i), h, "prefix %zu", i);
	}
}

Test(hash, spreads_consecutive_addresses)
{
	unsigned count[64] = { 0 };

	/* 4096 consecutive IPv4 addresses over 64 buckets: each bucket gets
	 * its share within a factor of two (64 expected). */
	for (uint32_t a = 0; a < 4096; a++) {
		uint32_t ip = 0x0a000000u + a;
		count[hash_mem(&ip, sizeof(ip)) % 64]++;
	}
	for (int b = 0; b < 64; b++)
		cr_assert(count[b] > 32 && count[b] < 128, "bucket %d: %u", b, count[b]);
}

Test(listen, parses_forms)
{
	struct listen_addr la;
	char err[128];

	cr_assert_eq(listen_parse("6971", 1, &la, err, sizeof(err)), 0);
	cr_assert(la.any);
	cr_assert_str_eq(la.text, "[::]:6971");
	cr_assert_eq(listen_parse("127.0.0.1:0", 1, &la, err, sizeof(err)), 0);
	cr_assert_str_eq(la.text, "127.0.0.1:0");
	cr_assert_eq(listen_parse("[::1]:5090", 1, &la, err, sizeof(err)), 0);
	cr_assert_str_eq(la.text, "[::1]:5090");
	cr_assert_eq(listen_parse("127.0.0.1", 69, &la, err, sizeof(err)), 0);
	cr_assert_str_eq(la.text, "127.0.0.1:69");
	cr_assert_eq(listen_parse("off", 1, &la, err, sizeof(err)), 0);
	cr_assert(la.off);
	cr_assert_eq(listen_parse(NULL, 8443, &la, err, sizeof(err)), 0);
	cr_assert_str_eq(la.text, "[::]:8443");
}

Test(listen, refuses_bad)
{
	struct listen_addr la;
	char err[128];
	const char *bad[] = { "65536", "-1", "host:80", "[::1", "[::1]x", "1.2.3.4:",
	                      "1.2.3.4:99999", "", "[]:80" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(listen_parse(bad[i], 1, &la, err, sizeof(err)), -1,
		             "accepted \"%s\"", bad[i]);
}

Test(listen, binds_port_zero_and_reports)
{
	struct listen_addr la;
	char err[128];
	int fd, port;

	cr_assert_eq(listen_parse("127.0.0.1:0", 0, &la, err, sizeof(err)), 0);
	fd = listen_socket(&la, SOCK_DGRAM, 1, 0, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	port = listen_bound_port(fd);
	cr_assert_gt(port, 0);
	close(fd);
}

/* A port our own SO_REUSEPORT socket holds: refused unless shared. */
Test(listen, claim_refuses_a_port_in_use_unless_shared)
{
	struct listen_addr la;
	char err[128], spec[32];
	int fd, port;

	cr_assert_eq(listen_parse("127.0.0.1:0", 0, &la, err, sizeof(err)), 0);
	fd = listen_socket(&la, SOCK_DGRAM, 1, 0, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	port = listen_bound_port(fd);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	cr_assert_eq(listen_parse(spec, 0, &la, err, sizeof(err)), 0);
	cr_assert_eq(listen_claim(&la, SOCK_DGRAM, 0, err, sizeof(err)), -1);
	cr_assert(strstr(err, spec) != NULL, "%s", err);
	cr_assert_eq(listen_claim(&la, SOCK_DGRAM, 1, err, sizeof(err)), 0);
	close(fd);
	cr_assert_eq(listen_claim(&la, SOCK_DGRAM, 0, err, sizeof(err)), 0, "%s", err);
}

Test(listen, ntop_unmaps_v4)
{
	struct sockaddr_in6 s6;
	char buf[64];

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
	cr_assert_str_eq(sockaddr_ntop((struct sockaddr *)&s6, buf, sizeof(buf)), "192.0.2.7");
}

/* The bound on one kind of flood line: at most per_sec a second, the rest
 * counted (the loop may straddle one second boundary: twice the bound). */
Test(log, rate_bound)
{
	static struct log_rate r = { .what = "test" };
	int ok = 0;

	for (int i = 0; i < 100000; i++)
		ok += log_rate_ok(&r, 10);
	cr_assert_geq(ok, 10);
	cr_assert_leq(ok, 20, "%d lines let through", ok);
	cr_assert_geq(r.dropped + r.n, 10u);
}
