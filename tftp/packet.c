/* packet.c - TFTP packet codec over (pointer, length); no byte past len is read. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "tftp/tftp.h"

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Length of the NUL-terminated field at p, or -1 when no NUL comes before
 * end or the field is longer than max. */
static long
field(const uint8_t *p, const uint8_t *end, size_t max)
{
	const uint8_t *nul = memchr(p, 0, (size_t)(end - p));

	if (nul == NULL || (size_t)(nul - p) > max)
		return -1;
	return nul - p;
}

int
tftp_option_next(const uint8_t **pp, const uint8_t *end, const char **name,
                 size_t *namelen, const char **value, size_t *valuelen)
{
	const uint8_t *p = *pp, *n1, *n2;

	if (p >= end)
		return 0;
	if ((n1 = memchr(p, 0, (size_t)(end - p))) == NULL || n1 == p)
		return -1;
	if ((n2 = memchr(n1 + 1, 0, (size_t)(end - n1 - 1))) == NULL)
		return -1;
	*name = (const char *)p;
	*namelen = (size_t)(n1 - p);
	*value = (const char *)n1 + 1;
	*valuelen = (size_t)(n2 - n1 - 1);
	*pp = n2 + 1;
	return 1;
}

static int
all_nul(const uint8_t *p, const uint8_t *end)
{
	for (; p < end; p++)
		if (*p != 0)
			return 0;
	return 1;
}

static int
name_is(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* One known option's value: decimal digits only ("-1", "+5", " 5", "" and
 * overflowing strings are refused rather than guessed at). */
static int
opt_value(const char *v, size_t len, long long min, long long max, long long *out)
{
	if (len == 0 || len > TFTP_OPTVALUE_MAX || v[0] == '-' || v[0] == '+')
		return -1;
	return num_parse(v, len, min, max, out);
}

#define FAIL(code, text) do { *errcode = (code); snprintf(err, errlen, "%s", (text)); return -1; } while (0)

int
tftp_request_parse(const uint8_t *buf, size_t len, struct tftp_request *req,
                   int *errcode, char *err, size_t errlen)
{
	const uint8_t *p, *end = buf + len;
	long flen, mlen;
	unsigned npairs = 0;

	memset(req, 0, sizeof(*req));
	if (len < 2)
		FAIL(TFTP_EBADOP, "short packet");
	req->opcode = get16(buf);
	if (req->opcode != TFTP_RRQ && req->opcode != TFTP_WRQ)
		FAIL(TFTP_EBADOP, "not a request");
	if (len > TFTP_REQUEST_MAX)
		FAIL(TFTP_EBADOP, "request too long");
	p = buf + 2;
	if ((flen = field(p, end, TFTP_FILENAME_MAX)) < 0)
		FAIL(TFTP_EBADOP, "file name unterminated or too long");
	if (flen == 0)
		FAIL(TFTP_EBADOP, "empty file name");
	req->filename = (const char *)p;
	req->filename_len = (size_t)flen;
	p += flen + 1;
	if (p >= end || (mlen = field(p, end, TFTP_MODE_MAX)) < 0)
		FAIL(TFTP_EBADOP, "mode missing, unterminated or too long");
	if (name_is((const char *)p, (size_t)mlen, "octet"))
		req->netascii = 0;
	else if (name_is((const char *)p, (size_t)mlen, "netascii"))
		req->netascii = 1;
	else
		FAIL(TFTP_EBADOP, "unknown transfer mode");
	p += mlen + 1;

	for (;;) {
		const char *n, *v;
		size_t nl, vl;
		long long val;
		unsigned bit;
		int r;

		if (all_nul(p, end))
			break;
		if ((r = tftp_option_next(&p, end, &n, &nl, &v, &vl)) < 0)
			FAIL(TFTP_EBADOP, "malformed option list");
		if (r == 0)
			break;
		if (++npairs > TFTP_OPTIONS_MAX)
			FAIL(TFTP_EOPTNEG, "too many options");
		if (nl > TFTP_OPTNAME_MAX)
			continue;                 /* unknown: ignored (RFC 2347) */
		if (name_is(n, nl, "blksize")) {
			bit = TFTP_OPT_BLKSIZE;
			if (opt_value(v, vl, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, &val) < 0)
				FAIL(TFTP_EOPTNEG, "bad blksize");
			req->opt.blksize = (uint32_t)val;
		} else if (name_is(n, nl, "timeout")) {
			bit = TFTP_OPT_TIMEOUT;
			if (opt_value(v, vl, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX, &val) < 0)
				FAIL(TFTP_EOPTNEG, "bad timeout");
			req->opt.timeout = (uint32_t)val;
		} else if (name_is(n, nl, "tsize")) {
			bit = TFTP_OPT_TSIZE;
			if (opt_value(v, vl, 0, INT64_MAX, &val) < 0)
				FAIL(TFTP_EOPTNEG, "bad tsize");
			req->opt.tsize = (uint64_t)val;
		} else if (name_is(n, nl, "windowsize")) {
			bit = TFTP_OPT_WINDOWSIZE;
			if (opt_value(v, vl, TFTP_WINDOW_MIN, TFTP_WINDOW_MAX, &val) < 0)
				FAIL(TFTP_EOPTNEG, "bad windowsize");
			req->opt.windowsize = (uint32_t)val;
		} else {
			continue;
		}
		if (req->opt.mask & bit)
			FAIL(TFTP_EOPTNEG, "option repeated");
		req->opt.mask |= bit;
	}
	return 0;
}

int
tftp_packet_parse(const uint8_t *buf, size_t len, struct tftp_packet *pkt)
{
	const uint8_t *nul;

	memset(pkt, 0, sizeof(*pkt));
	if (len < 2)
		return -1;
	pkt->opcode = get16(buf);
	switch (pkt->opcode) {
	case TFTP_DATA:
		if (len < 4 || len > TFTP_PACKET_MAX)
			return -1;
		pkt->block = get16(buf + 2);
		pkt->data = buf + 4;
		pkt->datalen = len - 4;
		return 0;
	case TFTP_ACK:
		if (len < 4)
			return -1;
		pkt->block = get16(buf + 2);
		return 0;
	case TFTP_ERROR:
		if (len < 5)
			return -1;
		pkt->errcode = get16(buf + 2);
		if ((nul = memchr(buf + 4, 0, len - 4)) == NULL)
			return -1;
		pkt->msg = (const char *)buf + 4;
		pkt->msglen = (size_t)(nul - (buf + 4));
		return 0;
	case TFTP_OACK: {
		const uint8_t *p = buf + 2;
		const char *n, *v;
		size_t nl, vl;
		int r;

		pkt->data = p;
		pkt->datalen = len - 2;
		while ((r = tftp_option_next(&p, buf + len, &n, &nl, &v, &vl)) > 0)
			;
		return r;
	}
	case TFTP_RRQ:
	case TFTP_WRQ: {
		struct tftp_request req;
		int code;
		char e[64];

		if (tftp_request_parse(buf, len, &req, &code, e, sizeof(e)) < 0)
			return -1;
		pkt->msg = req.filename;
		pkt->msglen = req.filename_len;
		return 0;
	}
	default:
		return -1;
	}
}

static size_t
put_str(uint8_t *buf, size_t cap, size_t off, const char *s, size_t len)
{
	if (off + len + 1 > cap)
		return 0;
	memcpy(buf + off, s, len);
	buf[off + len] = 0;
	return off + len + 1;
}

static size_t
put_opt(uint8_t *buf, size_t cap, size_t off, const char *name, unsigned long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", v);

	if (off == 0 || (off = put_str(buf, cap, off, name, strlen(name))) == 0)
		return 0;
	return put_str(buf, cap, off, num, (size_t)n);
}

static size_t
put_options(uint8_t *buf, size_t cap, size_t off, const struct tftp_options *opt)
{
	if (opt == NULL)
		return off;
	if (opt->mask & TFTP_OPT_BLKSIZE)
		off = put_opt(buf, cap, off, "blksize", opt->blksize);
	if (opt->mask & TFTP_OPT_TIMEOUT)
		off = put_opt(buf, cap, off, "timeout", opt->timeout);
	if (opt->mask & TFTP_OPT_TSIZE)
		off = put_opt(buf, cap, off, "tsize", opt->tsize);
	if (opt->mask & TFTP_OPT_WINDOWSIZE)
		off = put_opt(buf, cap, off, "windowsize", opt->windowsize);
	return off;
}

size_t
tftp_build_request(uint8_t *buf, size_t cap, uint16_t opcode, const char *filename,
                   int netascii, const struct tftp_options *opt)
{
	const char *mode = netascii ? "netascii" : "octet";
	size_t off;

	if (cap < 2)
		return 0;
	put16(buf, opcode);
	if ((off = put_str(buf, cap, 2, filename, strlen(filename))) == 0)
		return 0;
	if ((off = put_str(buf, cap, off, mode, strlen(mode))) == 0)
		return 0;
	return put_options(buf, cap, off, opt);
}

size_t
tftp_build_data_header(uint8_t *buf, size_t cap, uint16_t block)
{
	if (cap < 4)
		return 0;
	put16(buf, TFTP_DATA);
	put16(buf + 2, block);
	return 4;
}

size_t
tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block)
{
	if (cap < 4)
		return 0;
	put16(buf, TFTP_ACK);
	put16(buf + 2, block);
	return 4;
}

size_t
tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg)
{
	size_t n = msg ? strnlen(msg, TFTP_ERRMSG_MAX) : 0;

	if (cap < 5)
		return 0;
	if (n > cap - 5)
		n = cap - 5;
	put16(buf, TFTP_ERROR);
	put16(buf + 2, code);
	if (n)
		memcpy(buf + 4, msg, n);
	buf[4 + n] = 0;
	return 5 + n;
}

size_t
tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_options *opt)
{
	if (cap < 2)
		return 0;
	put16(buf, TFTP_OACK);
	return put_options(buf, cap, 2, opt);
}

const char *
tftp_error_text(int code)
{
	switch (code) {
	case TFTP_ENOTFOUND: return "File not found";
	case TFTP_EACCESS: return "Access violation";
	case TFTP_ENOSPACE: return "Disk full or allocation exceeded";
	case TFTP_EBADOP: return "Illegal TFTP operation";
	case TFTP_EBADID: return "Unknown transfer ID";
	case TFTP_EEXISTS: return "File already exists";
	case TFTP_ENOUSER: return "No such user";
	case TFTP_EOPTNEG: return "Option negotiation failed";
	default: return "Undefined error";
	}
}
