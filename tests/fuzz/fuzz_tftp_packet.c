/* Fuzz harness: request and packet parsing, option negotiation and the
 * OACK/ERROR builders must never read past len nor overflow their output. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so ASan catches any read past the end. */
	uint8_t *p = malloc(size ? size : 1);
	uint8_t out[TFTP_REQUEST_MAX];
	struct tftp_request req;
	struct tftp_packet pkt;
	struct tftp_limits lim;
	struct tftp_neg neg;
	char err[64];
	int code;

	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	tftp_limits_default(&lim);
	if (tftp_request_parse(p, size, &req, &code, err, sizeof(err)) == 0) {
		if (req.filename_len == 0 || req.filename_len > TFTP_FILENAME_MAX ||
		    req.filename[req.filename_len] != '\0')
			abort();
		tftp_negotiate(&req, &lim, (int64_t)size, &neg);
		if (neg.blksize < TFTP_BLKSIZE_MIN || neg.blksize > lim.blksize_max ||
		    neg.windowsize < 1 || neg.windowsize > lim.windowsize_max)
			abort();
		if (tftp_build_oack(out, sizeof(out), &neg.oack) == 0)
			abort();
	} else if (code != TFTP_EBADOP && code != TFTP_EOPTNEG) {
		abort();
	}
	if (tftp_packet_parse(p, size, &pkt) == 0 && pkt.opcode == TFTP_ERROR) {
		char msg[TFTP_ERRMSG_MAX + 1];
		size_t n = pkt.msglen < TFTP_ERRMSG_MAX ? pkt.msglen : TFTP_ERRMSG_MAX;
		memcpy(msg, pkt.msg, n);
		msg[n] = '\0';
		(void)tftp_build_error(out, sizeof(out), pkt.errcode, msg);
	}
	free(p);
	return 0;
}
