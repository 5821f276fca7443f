/*
 * sgn.c - signed files (NAME.sgn): the header trust lists use (tlv.c),
 * without the signer version, followed by the file itself; the signature
 * covers header and file.  docs/formats.md has the layout and its source.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "trust/trust_int.h"

int
sgn_build(const struct tlv_signer *s, const char *filename, uint32_t timestamp,
          const void *content, size_t len, uint8_t **out, size_t *outlen, char *err,
          size_t errlen)
{
	struct tbuf b = { NULL, 0, 0, SGN_FILE_MAX, 0 };
	size_t sig_at, siglen;

	if (len > SGN_FILE_MAX - 4096 || (content == NULL && len > 0)) {
		trust_err(err, errlen, "file over %d bytes", SGN_FILE_MAX - 4096);
		return -1;
	}
	if (tlv_header_write(&b, TLV_KIND_SGN, s, 0, 0, filename, timestamp, &sig_at,
	                     &siglen, err, errlen) < 0)
		goto fail;
	tbuf_put(&b, content, len);
	if (tlv_sign_insert(&b, TLV_KIND_SGN, s, sig_at, err, errlen) < 0)
		goto fail;
	*out = b.p;
	*outlen = b.len;
	return 0;
fail:
	free(b.p);
	return -1;
}

int
sgn_parse(const uint8_t *p, size_t n, struct sgn_file *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (p == NULL || n > SGN_FILE_MAX) {
		trust_err(err, errlen, "signed file missing or over %d bytes", SGN_FILE_MAX);
		return -1;
	}
	if (tlv_header_parse(p, n, TLV_KIND_SGN, &out->h, err, errlen) < 0)
		return -1;
	out->content = p + out->h.header_len;
	out->content_len = n - out->h.header_len;
	return 0;
}

int
sgn_verify(const struct sgn_file *f, const uint8_t *p, size_t n, const uint8_t *cert,
           size_t cert_len, char *err, size_t errlen)
{
	return tlv_check_sig(&f->h, p, n, cert, cert_len, err, errlen);
}
