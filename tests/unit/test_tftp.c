/* test_tftp.c - the TFTP codec, option negotiation, netascii, the transfer
 * state machine (pure functions, no sockets) and opening beneath the root. */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tftp/tftp.h"
#include "common/common.h"
#include "tftp/tftp_int.h"

/* ---- helpers --------------------------------------------------------------- */
struct pkt {
	uint8_t b[2048];
	size_t n;
};

static void
add(struct pkt *p, const void *bytes, size_t n)
{
	cr_assert(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, bytes, n);
	p->n += n;
}

/* Adds a string with its NUL. */
static void
adds(struct pkt *p, const char *s)
{
	add(p, s, strlen(s) + 1);
}

static struct pkt
rrq(const char *name, const char *mode)
{
	struct pkt p = { { 0 }, 0 };
	const uint8_t op[2] = { 0, TFTP_RRQ };

	add(&p, op, 2);
	adds(&p, name);
	adds(&p, mode);
	return p;
}

static struct pkt
rrq_opt(const char *name, const char *value)
{
	struct pkt p = rrq("f", "octet");

	adds(&p, name);
	adds(&p, value);
	return p;
}

static int
parse(const struct pkt *p, struct tftp_request *req, int *code)
{
	char err[96];

	*code = -1;
	return tftp_request_parse(p->b, p->n, req, code, err, sizeof(err));
}

static void
expect_refused(const struct pkt *p, int want)
{
	struct tftp_request req;
	int code;

	cr_expect_eq(parse(p, &req, &code), -1);
	cr_expect_eq(code, want, "code %d, wanted %d", code, want);
}

/* ---- requests --------------------------------------------------------------- */
Test(request, plain_octet)
{
	struct pkt p = rrq("SEP001122334455.cnf.xml", "octet");
	struct tftp_request req;
	int code;

	cr_assert_eq(parse(&p, &req, &code), 0);
	cr_expect_eq(req.opcode, TFTP_RRQ);
	cr_expect_eq(req.filename_len, strlen("SEP001122334455.cnf.xml"));
	cr_expect_eq(memcmp(req.filename, "SEP001122334455.cnf.xml", req.filename_len), 0);
	cr_expect_eq(req.netascii, 0);
	cr_expect_eq(req.opt.mask, 0u);
}

Test(request, modes_case_insensitive)
{
	struct tftp_request req;
	int code;
	struct pkt a = rrq("f", "OCTET"), b = rrq("f", "NetAscii");

	cr_assert_eq(parse(&a, &req, &code), 0);
	cr_expect_eq(req.netascii, 0);
	cr_assert_eq(parse(&b, &req, &code), 0);
	cr_expect_eq(req.netascii, 1);
}

Test(request, unknown_and_overlong_mode)
{
	struct pkt a = rrq("f", "mail"), b = rrq("f", "netasciii"), c = rrq("f", "");

	expect_refused(&a, TFTP_EBADOP);
	expect_refused(&b, TFTP_EBADOP);
	expect_refused(&c, TFTP_EBADOP);
}

Test(request, missing_nuls)
{
	const uint8_t no_name_nul[] = { 0, 1, 'a', 'b', 'c' };
	const uint8_t no_mode[] = { 0, 1, 'a', 0 };
	const uint8_t no_mode_nul[] = { 0, 1, 'a', 0, 'o', 'c', 't', 'e', 't' };
	struct tftp_request req;
	char err[96];
	int code;

	cr_expect_eq(tftp_request_parse(no_name_nul, sizeof(no_name_nul), &req, &code, err, sizeof(err)), -1);
	cr_expect_eq(code, TFTP_EBADOP);
	cr_expect_eq(tftp_request_parse(no_mode, sizeof(no_mode), &req, &code, err, sizeof(err)), -1);
	cr_expect_eq(code, TFTP_EBADOP);
	cr_expect_eq(tftp_request_parse(no_mode_nul, sizeof(no_mode_nul), &req, &code, err, sizeof(err)), -1);
	cr_expect_eq(code, TFTP_EBADOP);
}

Test(request, short_and_not_a_request)
{
	const uint8_t one[] = { 0 };
	const uint8_t data[] = { 0, 3, 0, 1, 'x' };
	struct tftp_request req;
	char err[96];
	int code;

	cr_expect_eq(tftp_request_parse(one, 0, &req, &code, err, sizeof(err)), -1);
	cr_expect_eq(tftp_request_parse(one, 1, &req, &code, err, sizeof(err)), -1);
	cr_expect_eq(tftp_request_parse(data, sizeof(data), &req, &code, err, sizeof(err)), -1);
	cr_expect_eq(code, TFTP_EBADOP);
}

Test(request, empty_and_overlong_filename)
{
	char name[TFTP_FILENAME_MAX + 2];
	struct tftp_request req;
	struct pkt p;
	int code;

	p = rrq("", "octet");
	expect_refused(&p, TFTP_EBADOP);
	memset(name, 'a', sizeof(name));
	name[TFTP_FILENAME_MAX] = '\0';
	p = rrq(name, "octet");
	cr_expect_eq(parse(&p, &req, &code), 0, "a %d-byte name is allowed", TFTP_FILENAME_MAX);
	name[TFTP_FILENAME_MAX] = 'a';
	name[TFTP_FILENAME_MAX + 1] = '\0';
	p = rrq(name, "octet");
	expect_refused(&p, TFTP_EBADOP);
}

Test(request, over_512_bytes)
{
	struct pkt p = rrq("f", "octet");
	char name[40];

	/* Unknown options are fine, but not past the RFC 2347 size. */
	for (int i = 0; p.n <= TFTP_REQUEST_MAX; i++) {
		snprintf(name, sizeof(name), "x-padding-option-%d", i);
		adds(&p, name);
		adds(&p, "1234567890");
	}
	expect_refused(&p, TFTP_EBADOP);
}

Test(request, error_text_has_no_peer_bytes)
{
	struct pkt p = rrq("EVIL%n%s\x1b[31m", "bogus-mode");
	struct tftp_request req;
	char err[96];
	int code;

	cr_assert_eq(tftp_request_parse(p.b, p.n, &req, &code, err, sizeof(err)), -1);
	cr_expect_null(strstr(err, "EVIL"));
	cr_expect_null(strchr(err, '%'));
}

Test(options, all_known_parsed)
{
	struct pkt p = rrq("f", "octet");
	struct tftp_request req;
	int code;

	adds(&p, "BlkSize"); adds(&p, "1428");
	adds(&p, "timeout"); adds(&p, "3");
	adds(&p, "tsize"); adds(&p, "0");
	adds(&p, "windowsize"); adds(&p, "16");
	adds(&p, "x-unknown"); adds(&p, "whatever");
	cr_assert_eq(parse(&p, &req, &code), 0);
	cr_expect_eq(req.opt.mask, TFTP_OPT_BLKSIZE | TFTP_OPT_TIMEOUT | TFTP_OPT_TSIZE | TFTP_OPT_WINDOWSIZE);
	cr_expect_eq(req.opt.blksize, 1428u);
	cr_expect_eq(req.opt.timeout, 3u);
	cr_expect_eq(req.opt.tsize, 0u);
	cr_expect_eq(req.opt.windowsize, 16u);
}

Test(options, ranges)
{
	static const struct { const char *n, *v; int ok; } cases[] = {
		{ "blksize", "7", 0 }, { "blksize", "8", 1 }, { "blksize", "65464", 1 },
		{ "blksize", "65465", 0 }, { "blksize", "0", 0 },
		{ "timeout", "0", 0 }, { "timeout", "1", 1 }, { "timeout", "255", 1 },
		{ "timeout", "256", 0 },
		{ "windowsize", "0", 0 }, { "windowsize", "1", 1 }, { "windowsize", "65535", 1 },
		{ "windowsize", "65536", 0 },
		{ "tsize", "0", 1 }, { "tsize", "12345678", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt p = rrq_opt(cases[i].n, cases[i].v);
		struct tftp_request req;
		int code, r = parse(&p, &req, &code);
		cr_expect_eq(r == 0, cases[i].ok, "%s %s", cases[i].n, cases[i].v);
		if (!cases[i].ok)
			cr_expect_eq(code, TFTP_EOPTNEG, "%s %s", cases[i].n, cases[i].v);
	}
}

Test(options, negative_huge_and_garbage)
{
	static const char *bad[] = {
		"-1", "-0", "+512", " 512", "512 ", "", "0x200", "12a",
		"99999999999999999999999999", "18446744073709551617",
	};
	static const char *names[] = { "blksize", "timeout", "tsize", "windowsize" };
	for (size_t n = 0; n < 4; n++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct pkt p = rrq_opt(names[n], bad[i]);
			struct tftp_request req;
			int code;
			cr_expect_eq(parse(&p, &req, &code), -1, "%s \"%s\"", names[n], bad[i]);
			cr_expect_eq(code, TFTP_EOPTNEG, "%s \"%s\"", names[n], bad[i]);
		}
}

Test(options, duplicated)
{
	struct pkt p = rrq_opt("blksize", "1428");
	struct pkt q = rrq_opt("tsize", "0");

	adds(&p, "BLKSIZE");
	adds(&p, "512");
	expect_refused(&p, TFTP_EOPTNEG);
	adds(&q, "tsize");
	adds(&q, "0");
	expect_refused(&q, TFTP_EOPTNEG);
}

Test(options, unterminated_pairs)
{
	struct pkt p = rrq("f", "octet");
	struct pkt q = rrq("f", "octet");
	struct pkt r = rrq("f", "octet");

	add(&p, "blksize", 7);              /* name without NUL */
	expect_refused(&p, TFTP_EBADOP);
	adds(&q, "blksize");                /* name without value */
	expect_refused(&q, TFTP_EBADOP);
	adds(&r, "blksize");
	add(&r, "1428", 4);                 /* value without NUL */
	expect_refused(&r, TFTP_EBADOP);
}

Test(options, nul_padding_tolerated)
{
	struct pkt p = rrq_opt("blksize", "1024");
	const uint8_t pad[8] = { 0 };
	struct tftp_request req;
	int code;

	add(&p, pad, sizeof(pad));
	cr_assert_eq(parse(&p, &req, &code), 0);
	cr_expect_eq(req.opt.blksize, 1024u);
}

Test(options, too_many)
{
	struct pkt p = rrq("f", "octet");
	char name[16];

	for (int i = 0; i <= TFTP_OPTIONS_MAX; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		adds(&p, name);
		adds(&p, "1");
	}
	expect_refused(&p, TFTP_EOPTNEG);
}

Test(options, overlong_unknown_name_ignored_overlong_value_refused)
{
	char longname[TFTP_OPTNAME_MAX + 10];
	struct pkt p = rrq("f", "octet");
	struct pkt q = rrq_opt("blksize", "000000000000000000000512");
	struct tftp_request req;
	int code;

	memset(longname, 'o', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	adds(&p, longname);
	adds(&p, "1");
	cr_expect_eq(parse(&p, &req, &code), 0);
	cr_expect_eq(req.opt.mask, 0u);
	expect_refused(&q, TFTP_EOPTNEG);
}

Test(request, wrq_parsed_as_wrq)
{
	struct pkt p = rrq("up.bin", "octet");
	struct tftp_request req;
	int code;

	p.b[1] = TFTP_WRQ;
	cr_assert_eq(parse(&p, &req, &code), 0);
	cr_expect_eq(req.opcode, TFTP_WRQ);
}

/* ---- other packets --------------------------------------------------------- */
Test(packet, data_ack_error_oack)
{
	const uint8_t data[] = { 0, 3, 0xff, 0xff, 'h', 'i' };
	const uint8_t empty[] = { 0, 3, 0, 7 };
	const uint8_t ack[] = { 0, 4, 0x12, 0x34 };
	const uint8_t error[] = { 0, 5, 0, 8, 'n', 'o', 0 };
	const uint8_t error_unterminated[] = { 0, 5, 0, 1, 'n', 'o' };
	const uint8_t error_short[] = { 0, 5, 0, 1 };
	const uint8_t oack[] = { 0, 6, 'b', 'l', 'k', 's', 'i', 'z', 'e', 0, '8', 0 };
	const uint8_t oack_bad[] = { 0, 6, 'b', 'l', 'k', 0, '8' };
	const uint8_t ack_short[] = { 0, 4, 1 };
	const uint8_t unknown[] = { 0, 9, 0, 0 };
	struct tftp_packet pk;

	cr_assert_eq(tftp_packet_parse(data, sizeof(data), &pk), 0);
	cr_expect_eq(pk.block, 0xffff);
	cr_expect_eq(pk.datalen, 2u);
	cr_assert_eq(tftp_packet_parse(empty, sizeof(empty), &pk), 0);
	cr_expect_eq(pk.datalen, 0u);
	cr_assert_eq(tftp_packet_parse(ack, sizeof(ack), &pk), 0);
	cr_expect_eq(pk.block, 0x1234);
	cr_assert_eq(tftp_packet_parse(error, sizeof(error), &pk), 0);
	cr_expect_eq(pk.errcode, 8);
	cr_expect_eq(pk.msglen, 2u);
	cr_expect_eq(tftp_packet_parse(error_unterminated, sizeof(error_unterminated), &pk), -1);
	cr_expect_eq(tftp_packet_parse(error_short, sizeof(error_short), &pk), -1);
	cr_expect_eq(tftp_packet_parse(oack, sizeof(oack), &pk), 0);
	cr_expect_eq(tftp_packet_parse(oack_bad, sizeof(oack_bad), &pk), -1);
	cr_expect_eq(tftp_packet_parse(ack_short, sizeof(ack_short), &pk), -1);
	cr_expect_eq(tftp_packet_parse(unknown, sizeof(unknown), &pk), -1);
}

Test(build, error_is_cut_and_terminated)
{
	char msg[600];
	uint8_t buf[1024], small[10];
	size_t n;

	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	n = tftp_build_error(buf, sizeof(buf), TFTP_EACCESS, msg);
	cr_expect_eq(n, 4u + TFTP_ERRMSG_MAX + 1);
	cr_expect_eq(buf[n - 1], 0);
	n = tftp_build_error(small, sizeof(small), TFTP_EACCESS, msg);
	cr_expect_eq(n, sizeof(small));
	cr_expect_eq(small[n - 1], 0);
	cr_expect_eq(tftp_build_error(small, 4, 1, "x"), 0u);
}

Test(build, request_round_trip)
{
	struct tftp_options o = { TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE | TFTP_OPT_WINDOWSIZE | TFTP_OPT_TIMEOUT,
	                          8192, 7, 0, 64 };
	struct tftp_request req;
	uint8_t buf[TFTP_REQUEST_MAX];
	char err[96];
	int code;
	size_t n = tftp_build_request(buf, sizeof(buf), TFTP_RRQ, "dir/file.bin", 1, &o);

	cr_assert_gt(n, 0u);
	cr_assert_eq(tftp_request_parse(buf, n, &req, &code, err, sizeof(err)), 0);
	cr_expect_eq(req.netascii, 1);
	cr_expect_eq(req.opt.mask, o.mask);
	cr_expect_eq(req.opt.blksize, 8192u);
	cr_expect_eq(req.opt.timeout, 7u);
	cr_expect_eq(req.opt.windowsize, 64u);
	cr_expect_eq(tftp_build_request(buf, 10, TFTP_RRQ, "dir/file.bin", 1, &o), 0u);
}

/* ---- negotiation ----------------------------------------------------------- */
static struct tftp_request
req_with(unsigned mask, uint32_t blk, uint32_t tmo, uint32_t win, int netascii)
{
	struct tftp_request r;

	memset(&r, 0, sizeof(r));
	r.opcode = TFTP_RRQ;
	r.netascii = netascii;
	r.opt.mask = mask;
	r.opt.blksize = blk;
	r.opt.timeout = tmo;
	r.opt.windowsize = win;
	return r;
}

Test(negotiate, no_options_no_oack)
{
	struct tftp_limits lim;
	struct tftp_neg neg;
	struct tftp_request r = req_with(0, 0, 0, 0, 0);

	tftp_limits_default(&lim);
	tftp_negotiate(&r, &lim, 1000, &neg);
	cr_expect_eq(neg.oack.mask, 0u);
	cr_expect_eq(neg.blksize, 512u);
	cr_expect_eq(neg.windowsize, 1u);
}

Test(negotiate, answers_at_most_our_limits)
{
	struct tftp_limits lim;
	struct tftp_neg neg;
	struct tftp_request r = req_with(TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOWSIZE, 65464, 0, 1000, 0);

	tftp_limits_default(&lim);
	lim.blksize_max = 8192;
	tftp_negotiate(&r, &lim, 10, &neg);
	cr_expect_eq(neg.blksize, 8192u);
	cr_expect_eq(neg.oack.blksize, 8192u);
	cr_expect_eq(neg.windowsize, lim.windowsize_max);
	cr_expect_eq(neg.oack.windowsize, lim.windowsize_max);
	r.opt.blksize = 1428;
	r.opt.windowsize = 16;
	tftp_negotiate(&r, &lim, 10, &neg);
	cr_expect_eq(neg.blksize, 1428u);
	cr_expect_eq(neg.windowsize, 16u);
}

Test(negotiate, timeout_echoed_or_left_out)
{
	struct tftp_limits lim;
	struct tftp_neg neg;
	struct tftp_request r = req_with(TFTP_OPT_TIMEOUT, 0, 5, 0, 0);

	tftp_limits_default(&lim);
	tftp_negotiate(&r, &lim, 10, &neg);
	cr_expect_eq(neg.oack.mask, TFTP_OPT_TIMEOUT);
	cr_expect_eq(neg.timeout, 5u);
	lim.timeout_min = 10;
	tftp_negotiate(&r, &lim, 10, &neg);
	cr_expect_eq(neg.oack.mask, 0u);
	cr_expect_eq(neg.timeout, 0u);
}

Test(negotiate, tsize_answered_except_netascii)
{
	struct tftp_limits lim;
	struct tftp_neg neg;
	struct tftp_request r = req_with(TFTP_OPT_TSIZE, 0, 0, 0, 0);

	tftp_limits_default(&lim);
	tftp_negotiate(&r, &lim, 123456789, &neg);
	cr_expect_eq(neg.oack.mask, TFTP_OPT_TSIZE);
	cr_expect_eq(neg.oack.tsize, 123456789u);
	tftp_negotiate(&r, &lim, -1, &neg);
	cr_expect_eq(neg.oack.mask, 0u);
	lim.tsize = 0;
	tftp_negotiate(&r, &lim, 5, &neg);
	cr_expect_eq(neg.oack.mask, 0u);
}

/* ---- netascii -------------------------------------------------------------- */
static size_t
ascii_whole(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else if (in[i] == '\r') {
			out[o++] = '\r';
			out[o++] = '\0';
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

Test(netascii, conversion)
{
	const uint8_t in[] = "a\nb\rc";
	uint8_t out[32];
	struct tftp_ascii st;
	size_t n;

	tftp_ascii_init(&st);
	n = tftp_ascii_fill(&st, in, 5, out, sizeof(out));
	cr_assert_eq(n, 7u);
	cr_expect_eq(memcmp(out, "a\r\nb\r\0c", 7), 0);
	cr_expect_eq(st.src, 5u);
}

Test(netascii, pair_cut_by_block_boundary)
{
	const uint8_t in[] = "a\n";
	uint8_t out[4];
	struct tftp_ascii st;

	tftp_ascii_init(&st);
	cr_assert_eq(tftp_ascii_fill(&st, in, 2, out, 2), 2u);
	cr_expect_eq(memcmp(out, "a\r", 2), 0);
	cr_expect_eq(st.pending, '\n');
	cr_assert_eq(tftp_ascii_fill(&st, in + st.src, 2 - st.src, out, 2), 1u);
	cr_expect_eq(out[0], '\n');
}

Test(netascii, blockwise_equals_whole_for_every_block_size)
{
	uint8_t in[3000], want[6000], got[6000], blk[64];
	size_t wn;

	srand(7);
	for (size_t i = 0; i < sizeof(in); i++) {
		int r = rand() % 6;
		in[i] = r == 0 ? '\n' : r == 1 ? '\r' : (uint8_t)('a' + rand() % 26);
	}
	wn = ascii_whole(in, sizeof(in), want);
	for (size_t bs = 1; bs <= sizeof(blk); bs++) {
		struct tftp_ascii st;
		size_t gn = 0, n;

		tftp_ascii_init(&st);
		do {
			size_t avail = sizeof(in) - st.src;
			n = tftp_ascii_fill(&st, in + st.src, avail < bs ? avail : bs, blk, bs);
			memcpy(got + gn, blk, n);
			gn += n;
		} while (n == bs);
		cr_assert_eq(gn, wn, "block size %zu", bs);
		cr_assert_eq(memcmp(got, want, wn), 0, "block size %zu", bs);
	}
}

/* ---- transfer state machine --------------------------------------------------- */
static void
xinit(struct tftp_xfer *x, unsigned mask, uint32_t blk, uint32_t win, uint64_t size, int known)
{
	struct tftp_neg neg;

	memset(&neg, 0, sizeof(neg));
	neg.blksize = blk;
	neg.windowsize = win;
	neg.oack.mask = mask;
	tftp_xfer_init(x, &neg, known ? size / blk + 1 : 0, 1000, 8000, 5);
}

/* Plays the engine: reports each block of the action as sent with its
 * length for a file of `size` bytes. */
static void
play(struct tftp_xfer *x, struct tftp_action a, uint64_t size)
{
	if (a.kind != TFTP_ACT_SEND)
		return;
	for (uint64_t i = a.first; i < a.first + a.count; i++) {
		uint64_t off = (i - 1) * x->blksize;
		size_t len = off >= size ? 0 : size - off < x->blksize ? (size_t)(size - off) : x->blksize;
		tftp_xfer_sent(x, i, len);
		if (len < x->blksize)
			break;
	}
}

Test(xfer, lockstep_and_no_sorcerers_apprentice)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, 0, 512, 1, 2000, 1);
	a = tftp_xfer_start(&x);
	cr_assert_eq(a.kind, TFTP_ACT_SEND);
	cr_expect_eq(a.first, 1u);
	cr_expect_eq(a.count, 1u);
	play(&x, a, 2000);
	a = tftp_xfer_ack(&x, 1);
	cr_assert_eq(a.kind, TFTP_ACT_SEND);
	cr_expect_eq(a.first, 2u);
	cr_expect_eq(a.retransmit, 0);
	play(&x, a, 2000);
	/* The duplicate ACK of the bug: no second DATA 2. */
	a = tftp_xfer_ack(&x, 1);
	cr_expect_eq(a.kind, TFTP_ACT_NONE);
	a = tftp_xfer_ack(&x, 1);
	cr_expect_eq(a.kind, TFTP_ACT_NONE);
	cr_expect_eq(x.retransmits, 0u);
}

Test(xfer, stale_and_future_acks_ignored)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, 0, 512, 1, 5000, 1);
	play(&x, tftp_xfer_start(&x), 5000);
	cr_expect_eq(tftp_xfer_ack(&x, 7).kind, TFTP_ACT_NONE);     /* never sent */
	a = tftp_xfer_ack(&x, 1);
	play(&x, a, 5000);
	cr_expect_eq(tftp_xfer_ack(&x, 0).kind, TFTP_ACT_NONE);     /* older */
	cr_expect_eq(tftp_xfer_ack(&x, 65535).kind, TFTP_ACT_NONE);
	cr_expect_eq(x.acked, 1u);
}

Test(xfer, exact_multiple_ends_with_empty_block)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, 0, 512, 1, 1024, 1);
	cr_expect_eq(x.last, 3u);
	a = tftp_xfer_start(&x);
	play(&x, a, 1024);
	a = tftp_xfer_ack(&x, 1);
	play(&x, a, 1024);
	a = tftp_xfer_ack(&x, 2);
	cr_assert_eq(a.kind, TFTP_ACT_SEND);
	cr_expect_eq(a.first, 3u);
	cr_expect_eq(a.count, 1u);
	play(&x, a, 1024);
	cr_expect_eq(tftp_xfer_ack(&x, 3).kind, TFTP_ACT_DONE);
}

Test(xfer, empty_file_is_one_empty_block)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, 0, 512, 4, 0, 1);
	a = tftp_xfer_start(&x);
	cr_expect_eq(a.count, 1u);
	play(&x, a, 0);
	cr_expect_eq(tftp_xfer_ack(&x, 1).kind, TFTP_ACT_DONE);
}

Test(xfer, block_numbers_wrap_past_65535)
{
	struct tftp_xfer x;
	struct tftp_action a;
	uint64_t size = 70000ull * 512 + 100, blocks = 0;
	int saw_zero = 0;

	xinit(&x, 0, 512, 1, size, 1);
	a = tftp_xfer_start(&x);
	while (a.kind == TFTP_ACT_SEND) {
		uint16_t wire = tftp_block_wire(a.first);
		play(&x, a, size);
		blocks++;
		if (a.first == 65536) {
			cr_expect_eq(wire, 0);
			saw_zero = 1;
		}
		/* A stale ACK of the previous block must never resend. */
		cr_assert_eq(tftp_xfer_ack(&x, (uint16_t)(wire - 1)).kind, TFTP_ACT_NONE);
		a = tftp_xfer_ack(&x, wire);
	}
	cr_expect_eq(a.kind, TFTP_ACT_DONE);
	cr_expect(saw_zero);
	cr_expect_eq(blocks, 70001u);
	cr_expect_eq(x.acked, 70001u);
}

Test(xfer, window_resends_from_last_ack_plus_one)
{
	struct tftp_xfer x;
	struct tftp_action a;
	uint64_t size = 100 * 512;

	xinit(&x, 0, 512, 4, size, 1);
	a = tftp_xfer_start(&x);
	cr_assert_eq(a.count, 4u);
	play(&x, a, size);
	cr_expect_eq(x.sent, 4u);
	/* Blocks 3 and 4 lost: the peer acknowledges 2. */
	a = tftp_xfer_ack(&x, 2);
	cr_assert_eq(a.kind, TFTP_ACT_SEND);
	cr_expect_eq(a.first, 3u);
	cr_expect_eq(a.count, 4u);
	cr_expect_eq(a.retransmit, 1);
	play(&x, a, size);
	cr_expect_eq(tftp_xfer_ack(&x, 2).kind, TFTP_ACT_NONE);
	a = tftp_xfer_ack(&x, 6);
	cr_expect_eq(a.first, 7u);
	cr_expect_eq(a.retransmit, 0);
	/* Timeout: the whole window again from acked + 1. */
	play(&x, a, size);
	a = tftp_xfer_timeout(&x);
	cr_expect_eq(a.kind, TFTP_ACT_SEND);
	cr_expect_eq(a.first, 7u);
	cr_expect_eq(a.count, 4u);
}

Test(xfer, window_clipped_at_last_block)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, 0, 512, 8, 3 * 512 - 1, 1);
	a = tftp_xfer_start(&x);
	cr_expect_eq(a.count, 3u);
	play(&x, a, 3 * 512 - 1);
	cr_expect_eq(tftp_xfer_ack(&x, 3).kind, TFTP_ACT_DONE);
}

Test(xfer, unknown_length_learns_last_from_short_block)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, 0, 512, 4, 0, 0);
	a = tftp_xfer_start(&x);
	cr_expect_eq(a.count, 4u);
	tftp_xfer_sent(&x, 1, 512);
	tftp_xfer_sent(&x, 2, 100);
	cr_expect_eq(x.last, 2u);
	cr_expect_eq(tftp_xfer_ack(&x, 2).kind, TFTP_ACT_DONE);
}

Test(xfer, timeout_backoff_and_budget)
{
	struct tftp_xfer x;
	struct tftp_action a;
	uint32_t prev;

	xinit(&x, 0, 512, 1, 5000, 1);
	play(&x, tftp_xfer_start(&x), 5000);
	prev = x.rto_ms;
	for (int i = 0; i < 5; i++) {
		a = tftp_xfer_timeout(&x);
		cr_assert_eq(a.kind, TFTP_ACT_SEND);
		cr_expect_eq(a.first, 1u);
		cr_expect_eq(a.retransmit, 1);
		cr_expect_geq(x.rto_ms, prev);
		cr_expect_leq(x.rto_ms, 8000u);
		prev = x.rto_ms;
	}
	cr_expect_eq(x.rto_ms, 8000u);
	cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_FAIL);
	cr_expect_eq(x.retransmits, 5u);
}

Test(xfer, smaller_budget_until_the_peer_is_confirmed)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, 0, 512, 1, 5000, 1);
	x.retries_first = 2;
	play(&x, tftp_xfer_start(&x), 5000);
	cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_SEND);
	cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_SEND);
	cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_FAIL, "spoofed source: two resends only");
	xinit(&x, 0, 512, 1, 5000, 1);
	x.retries_first = 2;
	play(&x, tftp_xfer_start(&x), 5000);
	a = tftp_xfer_ack(&x, 1);
	play(&x, a, 5000);
	for (int i = 0; i < 5; i++)
		cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_SEND, "confirmed: the full budget");
	cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_FAIL);
}

Test(xfer, oack_ack_zero_confirms)
{
	struct tftp_xfer x;

	xinit(&x, TFTP_OPT_TSIZE, 512, 1, 5000, 1);
	x.retries_first = 1;
	tftp_xfer_start(&x);
	cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_SEND_OACK);
	cr_expect_eq(tftp_xfer_ack(&x, 0).kind, TFTP_ACT_SEND);
	cr_expect(x.confirmed);
	cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_SEND);
	cr_expect_eq(tftp_xfer_timeout(&x).kind, TFTP_ACT_SEND);
}

Test(xfer, progress_resets_budget_and_timeout)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, 0, 512, 1, 5000, 1);
	play(&x, tftp_xfer_start(&x), 5000);
	tftp_xfer_timeout(&x);
	tftp_xfer_timeout(&x);
	cr_expect_eq(x.retries, 2u);
	a = tftp_xfer_ack(&x, 1);
	cr_expect_eq(a.kind, TFTP_ACT_SEND);
	cr_expect_eq(x.retries, 0u);
	cr_expect_eq(x.rto_ms, x.rto_base_ms);
}

Test(xfer, oack_then_ack_zero)
{
	struct tftp_xfer x;
	struct tftp_action a;

	xinit(&x, TFTP_OPT_BLKSIZE, 1428, 1, 10000, 1);
	a = tftp_xfer_start(&x);
	cr_assert_eq(a.kind, TFTP_ACT_SEND_OACK);
	cr_expect_eq(tftp_xfer_ack(&x, 1).kind, TFTP_ACT_NONE);
	a = tftp_xfer_timeout(&x);
	cr_expect_eq(a.kind, TFTP_ACT_SEND_OACK);
	cr_expect_eq(a.retransmit, 1);
	a = tftp_xfer_ack(&x, 0);
	cr_assert_eq(a.kind, TFTP_ACT_SEND);
	cr_expect_eq(a.first, 1u);
	play(&x, a, 10000);
	cr_expect_eq(tftp_xfer_ack(&x, 0).kind, TFTP_ACT_NONE);   /* duplicate ACK 0 */
}

Test(xfer, negotiated_timeout_sets_rto)
{
	struct tftp_neg neg;
	struct tftp_xfer x;

	memset(&neg, 0, sizeof(neg));
	neg.blksize = 512;
	neg.windowsize = 1;
	neg.timeout = 3;
	neg.oack.mask = TFTP_OPT_TIMEOUT;
	tftp_xfer_init(&x, &neg, 1, 1000, 8000, 5);
	cr_expect_eq(x.rto_ms, 3000u);
}

/* ---- file root ------------------------------------------------------------- */
static char root[64], outside[64];

static void
mkroot(void)
{
	char p[256];
	int fd;

	snprintf(root, sizeof(root), "/tmp/test_tftp_root.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(outside, sizeof(outside), "/tmp/test_tftp_out.XXXXXX");
	cr_assert_not_null(mkdtemp(outside));
	snprintf(p, sizeof(p), "%s/secret", outside);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "s", 1), 1);
	close(fd);
	snprintf(p, sizeof(p), "%s/sub", root);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub/file", root);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert_eq(write(fd, "hello", 5), 5);
	close(fd);
	snprintf(p, sizeof(p), "%s/out", root);
	{
		char target[128];
		snprintf(target, sizeof(target), "%s/secret", outside);
		cr_assert_eq(symlink(target, p), 0);          /* absolute link out */
	}
	snprintf(p, sizeof(p), "%s/rel", root);
	cr_assert_eq(symlink("../../../../../../../etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/inside", root);
	cr_assert_eq(symlink("sub/file", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", root);
	cr_assert_eq(mkfifo(p, 0644), 0);
}

static void
rmroot(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, outside);
	cr_expect_eq(system(cmd), 0);
}

static int
try_open(int rootfd, const char *name, int *code)
{
	char err[128];
	int fd = tftp_open_beneath(rootfd, name, strlen(name), code, err, sizeof(err));

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

Test(root, only_beneath, .init = mkroot, .fini = rmroot)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY);
	int code = 0;

	cr_assert_geq(rootfd, 0);
	cr_expect(try_open(rootfd, "sub/file", &code));
	cr_expect(try_open(rootfd, "inside", &code), "a link inside the root is fine");
	cr_expect(!try_open(rootfd, "out", &code), "absolute link out");
	cr_expect_eq(code, TFTP_EACCESS);
	cr_expect(!try_open(rootfd, "rel", &code), "relative link out");
	cr_expect(!try_open(rootfd, "../etc/passwd", &code));
	cr_expect_eq(code, TFTP_EACCESS);
	cr_expect(!try_open(rootfd, "sub/../sub/file", &code));
	cr_expect(!try_open(rootfd, "/etc/passwd", &code));
	cr_expect(!try_open(rootfd, "sub\\file", &code));
	cr_expect(!try_open(rootfd, "sub//file", &code));
	cr_expect(!try_open(rootfd, "./sub/file", &code));
	cr_expect(!try_open(rootfd, "sub/", &code));
	cr_expect(!try_open(rootfd, "sub", &code), "a directory");
	cr_expect_eq(code, TFTP_EACCESS);
	cr_expect(!try_open(rootfd, "fifo", &code), "a FIFO, without blocking");
	cr_expect(!try_open(rootfd, "nothere", &code));
	cr_expect_eq(code, TFTP_ENOTFOUND);
	cr_expect(!try_open(rootfd, "sub/nothere", &code));
	cr_expect_eq(code, TFTP_ENOTFOUND);
	cr_expect(!try_open(rootfd, "bad\x01name", &code));
	close(rootfd);
}

/* common/'s walk, used where openat2 is missing, follows no link at all. */
Test(root, fallback_walk_follows_no_link, .init = mkroot, .fini = rmroot)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY), fd;

	cr_assert_geq(rootfd, 0);
	fd = path_open_walk(rootfd, "sub/file");
	cr_expect_geq(fd, 0);
	if (fd >= 0)
		close(fd);
	cr_expect_lt(path_open_walk(rootfd, "out"), 0);
	cr_expect_eq(errno, ELOOP);
	cr_expect_lt(path_open_walk(rootfd, "rel"), 0);
	cr_expect_lt(path_open_walk(rootfd, "inside"), 0, "even a link inside the root");
	cr_expect_lt(path_open_walk(rootfd, "nothere/file"), 0);
	cr_expect_eq(errno, ENOENT);
	close(rootfd);
}

Test(root, name_check)
{
	cr_expect_eq(path_check("a/b.c", 5), 0);
	cr_expect_eq(path_check("..a", 3), 0);
	cr_expect_eq(path_check("..", 2), -1);
	cr_expect_eq(path_check("a/..", 4), -1);
	cr_expect_eq(path_check("", 0), -1);
	cr_expect_eq(path_check("a\0b", 3), -1);
	cr_expect_eq(path_check("a\x7f", 2), -1);
}

/* ---- the cache shares one source per content --------------------------------- */
Test(cache, shared_and_replaced, .init = mkroot, .fini = rmroot)
{
	struct tftp_cache c;
	struct tftp_src *a, *b, *d;
	char p[256], err[128];
	int rootfd = open(root, O_RDONLY | O_DIRECTORY), code, fd;
	uint8_t buf[16];
	size_t got;
	const uint8_t *r;

	tftp_cache_init(&c, 1024, 1 << 20);
	fd = tftp_open_beneath(rootfd, "sub/file", 8, &code, err, sizeof(err));
	a = tftp_cache_file(&c, fd, err, sizeof(err));
	fd = tftp_open_beneath(rootfd, "sub/file", 8, &code, err, sizeof(err));
	b = tftp_cache_file(&c, fd, err, sizeof(err));
	cr_assert_not_null(a);
	cr_expect_eq(a, b, "same content, one source");
	cr_expect_eq(a->refs, 2u);
	r = tftp_src_read(a, 1, 10, buf, &got);
	cr_expect_eq(got, 4u);
	cr_expect_eq(memcmp(r, "ello", 4), 0);
	/* Rewritten in place (new size): a new source, the old one lives on. */
	snprintf(p, sizeof(p), "%s/sub/file", root);
	fd = open(p, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "changed!", 8), 8);
	close(fd);
	fd = tftp_open_beneath(rootfd, "sub/file", 8, &code, err, sizeof(err));
	d = tftp_cache_file(&c, fd, err, sizeof(err));
	cr_assert_not_null(d);
	cr_expect_neq(d, a);
	cr_expect_eq(d->size, 8u);
	r = tftp_src_read(a, 0, 5, buf, &got);
	cr_expect_eq(memcmp(r, "hello", 5), 0, "the old transfer keeps its bytes");
	tftp_src_unref(&c, a);
	tftp_src_unref(&c, b);
	tftp_src_unref(&c, d);
	tftp_cache_free(&c);
	close(rootfd);
}

Test(cache, large_files_read_with_pread, .init = mkroot, .fini = rmroot)
{
	struct tftp_cache c;
	struct tftp_src *a;
	char err[128];
	int rootfd = open(root, O_RDONLY | O_DIRECTORY), code, fd;
	uint8_t buf[16];
	size_t got;
	const uint8_t *r;

	tftp_cache_init(&c, 2, 1 << 20);      /* everything is "large" */
	fd = tftp_open_beneath(rootfd, "sub/file", 8, &code, err, sizeof(err));
	a = tftp_cache_file(&c, fd, err, sizeof(err));
	cr_assert_not_null(a);
	cr_expect_null(a->mem);
	cr_expect_geq(a->fd, 0);
	r = tftp_src_read(a, 3, 10, buf, &got);
	cr_expect_eq(got, 2u);
	cr_expect_eq(memcmp(r, "lo", 2), 0);
	tftp_src_unref(&c, a);
	tftp_cache_free(&c);
	close(rootfd);
}

/* ---- admission ---------------------------------------------------------------- */
Test(limiter, caps_and_rate)
{
	struct sockaddr_in a, b;
	struct tftp_limiter *l = tftp_limiter_new(3, 2, 10, 5);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x0a000001);
	b = a;
	b.sin_addr.s_addr = htonl(0x0a000002);
	cr_expect_eq(tftp_limiter_admit(l, (struct sockaddr *)&a), TFTP_ADMIT_OK);
	cr_expect_eq(tftp_limiter_admit(l, (struct sockaddr *)&a), TFTP_ADMIT_OK);
	cr_expect_eq(tftp_limiter_admit(l, (struct sockaddr *)&a), TFTP_ADMIT_CLIENT);
	cr_expect_eq(tftp_limiter_admit(l, (struct sockaddr *)&b), TFTP_ADMIT_OK);
	cr_expect_eq(tftp_limiter_admit(l, (struct sockaddr *)&b), TFTP_ADMIT_TOTAL);
	tftp_limiter_release(l, (struct sockaddr *)&a);
	cr_expect_eq(tftp_limiter_admit(l, (struct sockaddr *)&b), TFTP_ADMIT_OK);
	/* Burst of 5, then 10 per second. */
	for (int i = 0; i < 5; i++)
		cr_expect_eq(tftp_limiter_rate(l, (struct sockaddr *)&b, 1000), 0);
	cr_expect_eq(tftp_limiter_rate(l, (struct sockaddr *)&b, 1000), -1);
	cr_expect_eq(tftp_limiter_rate(l, (struct sockaddr *)&b, 1050), -1);
	cr_expect_eq(tftp_limiter_rate(l, (struct sockaddr *)&b, 1100), 0);
	cr_expect_eq(tftp_limiter_rate(l, (struct sockaddr *)&a, 1100), 0, "another address has its own budget");
	tftp_limiter_free(l);
}
