/*
 * tlv.c - trust lists (.tlv files: ITLFile.tlv, CTLFile.tlv and their
 * per-device names): the header they share with signed files (.sgn), the
 * certificate records, and the signature checks a phone makes.  The layout
 * is the one docs/formats.md sets out from the published tlvfile/sgnfile
 * tools; every number below is a field of that layout.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "trust/trust_int.h"

/* Header tags. */
enum {
	H_VERSION = 1, H_LENGTH = 2, H_SIGNER_INFO = 3, H_SIGNER_NAME = 4,
	H_SERIAL = 5, H_ISSUER_NAME = 6, H_SIGNATURE_INFO = 7, H_HASH = 8,
	H_SIG_ALG_INFO = 9, H_SIG_ALG = 10, H_SIG_MODULUS = 11, H_SIGNATURE = 12,
	H_PADDING = 13, H_FILENAME = 14, H_TIMESTAMP = 15, H_SIGNER_VERSION = 28
};
/* Record tags. */
enum {
	R_LENGTH = 1, R_DNS_NAME = 2, R_SUBJECT = 3, R_ROLE = 4, R_ISSUER = 5,
	R_SERIAL = 6, R_PUBKEY = 7, R_SIGNATURE = 8, R_CERT = 9, R_IP = 10,
	R_CERT_HASH = 11, R_HASH_ALG = 12
};

/* The fixed part: VERSION (1.2) and LENGTH, 5 bytes each. */
#define HDR_FIXED 10
#define HDR_MAX   65535                /* HEADER_LENGTH is 16 bits */
#define FMT_MAJOR 1
#define FMT_MINOR 2

/* ---- byte buffer ------------------------------------------------------------ */

void
tbuf_put(struct tbuf *b, const void *p, size_t n)
{
	if (b->fail)
		return;
	if (n > b->max - b->len) {
		b->fail = 1;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		uint8_t *np;

		while (cap < b->len + n)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->fail = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
tbuf_u8(struct tbuf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;

	tbuf_put(b, &c, 1);
}

void
tbuf_u16(struct tbuf *b, unsigned v)
{
	uint8_t c[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	tbuf_put(b, c, 2);
}

void
tbuf_tlv(struct tbuf *b, unsigned tag, const void *p, size_t n)
{
	if (n > 0xffff) {
		b->fail = 1;
		return;
	}
	tbuf_u8(b, tag);
	tbuf_u16(b, (unsigned)n);
	tbuf_put(b, p, n);
}

static void
put_u16_at(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned
get_u16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

const char *
tlv_role_name(unsigned role)
{
	switch (role) {
	case TLV_ROLE_SAST: return "SAST";
	case TLV_ROLE_CCM: return "CCM";
	case TLV_ROLE_CCM_TFTP: return "CCM+TFTP";
	case TLV_ROLE_TFTP: return "TFTP";
	case TLV_ROLE_CAPF: return "CAPF";
	case TLV_ROLE_APP_SERVER: return "APP-SERVER";
	case TLV_ROLE_TVS: return "TVS";
	}
	return NULL;
}

/* Hash codes differ between the two tools: .tlv 1 SHA-1, 2 SHA-256,
 * 3 SHA-512; .sgn 1 SHA-1, 2 SHA-256, 4 SHA-512.  We write SHA-512 into
 * lists and SHA-256 into signed files. */
static int
hash_bits_of(enum tlv_kind kind, unsigned code)
{
	switch (code) {
	case 1: return 160;
	case 2: return 256;
	case 3: return kind == TLV_KIND_LIST ? 512 : -1;
	case 4: return kind == TLV_KIND_SGN ? 512 : -1;
	}
	return -1;
}

/* ---- writing ------------------------------------------------------------------ */

/* HEADER_SIGNATURE_MODULUS: 0..3 for 512..4096-bit RSA. */
static int
modulus_code(size_t siglen)
{
	switch (siglen) {
	case 64: return 0;
	case 128: return 1;
	case 256: return 2;
	case 512: return 3;
	}
	return -1;
}

static void
put_signer_info(struct tbuf *b, const struct tlv_cert_fields *f)
{
	size_t nl = strlen(f->subject) + 1, il = strlen(f->issuer) + 1;

	tbuf_u8(b, H_SIGNER_INFO);
	tbuf_u16(b, (unsigned)(3 + nl + 3 + f->serial_len + 3 + il));
	tbuf_tlv(b, H_SIGNER_NAME, f->subject, nl);
	tbuf_tlv(b, H_SERIAL, f->serial, f->serial_len);
	tbuf_tlv(b, H_ISSUER_NAME, f->issuer, il);
}

int
tlv_header_write(struct tbuf *b, enum tlv_kind kind, const struct tlv_signer *s,
                 unsigned signer_major, unsigned signer_minor, const char *filename,
                 uint32_t timestamp, size_t *sig_at, size_t *siglen, char *err,
                 size_t errlen)
{
	struct tlv_cert_fields *f = malloc(sizeof(*f));
	uint8_t mod, ts[4] = { (uint8_t)(timestamp >> 24), (uint8_t)(timestamp >> 16),
	                       (uint8_t)(timestamp >> 8), (uint8_t)timestamp };
	size_t fl = filename ? strlen(filename) + 1 : 0, len_at, hlen;
	int rc = -1;

	if (f == NULL || s == NULL || s->key == NULL || filename == NULL ||
	    fl < 2 || fl > TLV_FILENAME_MAX) {
		trust_err(err, errlen, "signer, key or file name missing or too long");
		goto out;
	}
	if (tlv_cert_fields(s->cert, s->cert_len, f, err, errlen) < 0)
		goto out;
	if (f->rsa_bits == 0 || key_family(s->key) != KEY_FAMILY_RSA ||
	    key_bits(s->key) != f->rsa_bits || modulus_code((size_t)f->rsa_bits / 8) < 0) {
		trust_err(err, errlen, "the signer must be an RSA key of 512-4096 bits with "
		          "its own certificate");
		goto out;
	}
	*siglen = (size_t)f->rsa_bits / 8;
	mod = (uint8_t)modulus_code(*siglen);
	tbuf_u8(b, H_VERSION); tbuf_u16(b, 2); tbuf_u8(b, FMT_MAJOR); tbuf_u8(b, FMT_MINOR);
	len_at = b->len;
	tbuf_u8(b, H_LENGTH); tbuf_u16(b, 2); tbuf_u16(b, 0);
	if (kind == TLV_KIND_LIST) {
		tbuf_u8(b, H_SIGNER_VERSION); tbuf_u16(b, 2);
		tbuf_u8(b, signer_major); tbuf_u8(b, signer_minor);
	}
	put_signer_info(b, f);
	tbuf_u8(b, H_SIGNATURE_INFO); tbuf_u16(b, 15);
	tbuf_u8(b, H_HASH); tbuf_u16(b, 1); tbuf_u8(b, kind == TLV_KIND_LIST ? 3 : 2);
	tbuf_u8(b, H_SIG_ALG_INFO); tbuf_u16(b, 8);
	tbuf_u8(b, H_SIG_ALG); tbuf_u16(b, 1); tbuf_u8(b, 0);     /* 0: RSA */
	tbuf_u8(b, H_SIG_MODULUS); tbuf_u16(b, 1); tbuf_u8(b, mod);
	*sig_at = b->len;
	tbuf_tlv(b, H_FILENAME, filename, fl);
	tbuf_u8(b, H_TIMESTAMP); tbuf_u16(b, 4); tbuf_put(b, ts, 4);
	/* Padding tags (no length) until header + signature field is a
	 * multiple of 4 bytes. */
	while (!b->fail && (b->len + 3 + *siglen) % 4 != 0)
		tbuf_u8(b, H_PADDING);
	hlen = b->len + 3 + *siglen;
	if (b->fail || hlen > HDR_MAX) {
		trust_err(err, errlen, "header too large");
		goto out;
	}
	put_u16_at(b->p + len_at + 3, hlen);
	rc = 0;
out:
	free(f);
	return rc;
}

int
tlv_sign_insert(struct tbuf *b, enum tlv_kind kind, const struct tlv_signer *s,
                size_t sig_at, char *err, size_t errlen)
{
	uint8_t sig[KEY_SIG_MAX];
	size_t siglen;
	struct tbuf o = { NULL, 0, 0, b->max, 0 };

	if (b->fail) {
		trust_err(err, errlen, "file over %zu bytes or out of memory", b->max);
		return -1;
	}
	if (key_sign_raw(s->key, kind == TLV_KIND_LIST ? SIG_RSA_PKCS1_SHA512
	                                               : SIG_RSA_PKCS1_SHA256,
	                 b->p, b->len, sig, sizeof(sig), &siglen, err, errlen) < 0)
		return -1;
	tbuf_put(&o, b->p, sig_at);
	tbuf_tlv(&o, H_SIGNATURE, sig, siglen);
	tbuf_put(&o, b->p + sig_at, b->len - sig_at);
	if (o.fail) {
		free(o.p);
		trust_err(err, errlen, "file over %zu bytes or out of memory", b->max);
		return -1;
	}
	free(b->p);
	*b = o;
	return 0;
}

static int
put_record(struct tbuf *b, const struct tlv_entry *e, char *err, size_t errlen)
{
	struct tlv_cert_fields *f = malloc(sizeof(*f));
	size_t at = b->len, rlen;
	int rc = -1;

	if (f == NULL || tlv_cert_fields(e->cert, e->cert_len, f, err, errlen) < 0)
		goto out;
	tbuf_u8(b, R_LENGTH); tbuf_u16(b, 2); tbuf_u16(b, 0);
	tbuf_tlv(b, R_SUBJECT, f->subject, strlen(f->subject) + 1);
	tbuf_u8(b, R_ROLE); tbuf_u16(b, 2); tbuf_u16(b, e->role);
	tbuf_tlv(b, R_ISSUER, f->issuer, strlen(f->issuer) + 1);
	tbuf_tlv(b, R_SERIAL, f->serial, f->serial_len);
	tbuf_tlv(b, R_PUBKEY, f->pubkey, f->pubkey_len);
	tbuf_tlv(b, R_SIGNATURE, f->sig, f->sig_len);
	tbuf_tlv(b, R_CERT, e->cert, e->cert_len);
	rlen = b->len - at;
	if (b->fail || rlen > 0xffff) {
		trust_err(err, errlen, "record too large or file over %zu bytes", b->max);
		goto out;
	}
	put_u16_at(b->p + at + 3, rlen);
	rc = 0;
out:
	free(f);
	return rc;
}

int
tlv_build(const struct tlv_signer *s, const char *filename, unsigned signer_major,
          unsigned signer_minor, uint32_t timestamp, const struct tlv_entry *e,
          size_t n, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	struct tbuf b = { NULL, 0, 0, TLV_FILE_MAX, 0 };
	size_t sig_at, siglen, nsast = 0;

	if (n == 0 || n > TLV_RECORDS_MAX) {
		trust_err(err, errlen, "a trust list holds 1-%d records", TLV_RECORDS_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		nsast += e[i].role == TLV_ROLE_SAST;
	if (nsast == 0 || nsast > TLV_SAST_MAX) {
		trust_err(err, errlen, "a trust list holds 1-%d SAST records", TLV_SAST_MAX);
		return -1;
	}
	if (tlv_header_write(&b, TLV_KIND_LIST, s, signer_major, signer_minor, filename,
	                     timestamp, &sig_at, &siglen, err, errlen) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (put_record(&b, &e[i], err, errlen) < 0)
			goto fail;
	if (tlv_sign_insert(&b, TLV_KIND_LIST, s, sig_at, err, errlen) < 0)
		goto fail;
	*out = b.p;
	*outlen = b.len;
	return 0;
fail:
	free(b.p);
	return -1;
}

/* ---- reading ------------------------------------------------------------------ */

/* A string field: at least its NUL, which is its last byte and only one. */
static const char *
field_str(const uint8_t *v, size_t len)
{
	if (len == 0 || v[len - 1] != '\0' || memchr(v, '\0', len - 1) != NULL)
		return NULL;
	return (const char *)v;
}

/* One header field (tag, value v of len bytes).  0 / -1. */
static int
header_field(struct tlv_header *h, enum tlv_kind kind, unsigned tag, const uint8_t *p,
             size_t at, size_t len, char *err, size_t errlen)
{
	const uint8_t *v = p + at;

	switch (tag) {
	case H_SIGNER_VERSION:
		if (kind != TLV_KIND_LIST || len != 2)
			break;
		h->has_signer_version = 1;
		h->signer_major = v[0];
		h->signer_minor = v[1];
		return 0;
	case H_SIGNER_NAME:
		if ((h->signer_name = field_str(v, len)) == NULL)
			break;
		return 0;
	case H_ISSUER_NAME:
		if ((h->issuer_name = field_str(v, len)) == NULL)
			break;
		return 0;
	case H_FILENAME:
		if ((h->filename = field_str(v, len)) == NULL)
			break;
		return 0;
	case H_SERIAL:
		if (len > TLV_SERIAL_MAX)
			break;
		h->serial = v;
		h->serial_len = len;
		return 0;
	case H_HASH:
		if (len != 1 || (h->hash_bits = hash_bits_of(kind, v[0])) < 0)
			break;
		h->hash_code = v[0];
		return 0;
	case H_SIG_ALG:
	case H_SIG_MODULUS:
		if (len != 1)
			break;
		*(tag == H_SIG_ALG ? &h->sig_alg : &h->sig_modulus) = v[0];
		return 0;
	case H_SIGNATURE:
		if (len == 0 || len > KEY_SIG_MAX)
			break;
		h->sig = v;
		h->sig_len = len;
		h->sig_off = at - 3;
		return 0;
	case H_TIMESTAMP:
		if (len != 4)
			break;
		h->timestamp = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
		               (uint32_t)v[2] << 8 | v[3];
		return 0;
	default:
		trust_err(err, errlen, "unknown header tag %u", tag);
		return -1;
	}
	trust_err(err, errlen, "header tag %u: bad value (%zu bytes)", tag, len);
	return -1;
}

int
tlv_header_parse(const uint8_t *p, size_t n, enum tlv_kind kind, struct tlv_header *h,
                 char *err, size_t errlen)
{
	uint32_t seen = 0;
	size_t i, end;

	memset(h, 0, sizeof(*h));
	h->hash_bits = -1;
	if (n < HDR_FIXED || p[0] != H_VERSION || get_u16(p + 1) != 2 ||
	    p[5] != H_LENGTH || get_u16(p + 6) != 2) {
		trust_err(err, errlen, "not a .tlv/.sgn header (VERSION, LENGTH)");
		return -1;
	}
	h->fmt_major = p[3];
	h->fmt_minor = p[4];
	h->header_len = end = get_u16(p + 8);
	if (end < HDR_FIXED || end > n) {
		trust_err(err, errlen, "header length %zu outside the file (%zu bytes)", end, n);
		return -1;
	}
	for (i = HDR_FIXED; i < end;) {
		unsigned tag = p[i++], len;

		if (tag == H_PADDING)
			continue;
		if (end - i < 2)
			goto trunc;
		len = get_u16(p + i);
		i += 2;
		if (len > end - i)
			goto trunc;
		if (tag == H_SIGNER_INFO || tag == H_SIGNATURE_INFO || tag == H_SIG_ALG_INFO)
			continue;                       /* a container: its fields follow */
		/* A field given twice would make the signed bytes ambiguous. */
		if (tag < 32 && (seen & (1u << tag))) {
			trust_err(err, errlen, "header tag %u repeated", tag);
			return -1;
		}
		seen |= tag < 32 ? 1u << tag : 0;
		if (header_field(h, kind, tag, p, i, len, err, errlen) < 0)
			return -1;
		i += len;
	}
	if (h->sig == NULL || h->hash_bits < 0 || h->serial == NULL ||
	    h->signer_name == NULL) {
		trust_err(err, errlen, "header lacks the signature, hash, serial or signer");
		return -1;
	}
	/* Both published tools sign with RSA only (SIGNATURE_ALGORITHM 0);
	 * anything else would be checked as RSA by mistake. */
	if (h->sig_alg != 0) {
		trust_err(err, errlen, "signature algorithm %u is not RSA (0)", h->sig_alg);
		return -1;
	}
	return 0;
trunc:
	trust_err(err, errlen, "header field runs past the header length");
	return -1;
}

/* One record field.  0 / -1. */
static int
record_field(struct tlv_record *r, unsigned tag, const uint8_t *v, size_t len)
{
	switch (tag) {
	case R_DNS_NAME: return (r->dns_name = field_str(v, len)) ? 0 : -1;
	case R_SUBJECT: return (r->subject = field_str(v, len)) ? 0 : -1;
	case R_ISSUER: return (r->issuer = field_str(v, len)) ? 0 : -1;
	case R_ROLE:
		if (len != 2)
			return -1;
		r->has_role = 1;
		r->role = get_u16(v);
		return 0;
	case R_SERIAL:
		r->serial = v;
		r->serial_len = len;
		return len <= TLV_SERIAL_MAX ? 0 : -1;
	case R_PUBKEY:
		r->pubkey = v;
		r->pubkey_len = len;
		return 0;
	case R_CERT:
		r->cert = v;
		r->cert_len = len;
		return len > 0 && len <= TLV_CERT_MAX ? 0 : -1;
	case R_SIGNATURE: case R_IP: case R_CERT_HASH: case R_HASH_ALG:
		return 0;
	}
	return -1;
}

static int
parse_record(const uint8_t *p, size_t n, size_t *at, struct tlv_record *r, char *err,
             size_t errlen)
{
	size_t i = *at, end;

	if (n - i < 5 || p[i] != R_LENGTH || get_u16(p + i + 1) != 2) {
		trust_err(err, errlen, "record at %zu: no RECORD_LENGTH", i);
		return -1;
	}
	end = get_u16(p + i + 3);
	if (end < 5 || end > n - i) {
		trust_err(err, errlen, "record at %zu: length %zu outside the file", i, end);
		return -1;
	}
	end += i;
	for (i += 5; i < end;) {
		unsigned tag, len;

		if (end - i < 3 || (len = get_u16(p + i + 1)) > end - i - 3) {
			trust_err(err, errlen, "record field at %zu runs past its record", i);
			return -1;
		}
		tag = p[i];
		if (record_field(r, tag, p + i + 3, len) < 0) {
			trust_err(err, errlen, "record field at %zu (tag %u): bad value", i, tag);
			return -1;
		}
		i += 3 + len;
	}
	*at = end;
	return 0;
}

int
tlv_parse(const uint8_t *p, size_t n, struct tlv_list *out, char *err, size_t errlen)
{
	size_t at;

	memset(out, 0, sizeof(*out));
	if (p == NULL || n > TLV_FILE_MAX) {
		trust_err(err, errlen, "trust list missing or over %d bytes", TLV_FILE_MAX);
		return -1;
	}
	if (tlv_header_parse(p, n, TLV_KIND_LIST, &out->h, err, errlen) < 0)
		return -1;
	for (at = out->h.header_len; at < n;) {
		if (out->nrec == TLV_RECORDS_MAX) {
			trust_err(err, errlen, "more than %d records", TLV_RECORDS_MAX);
			return -1;
		}
		if (parse_record(p, n, &at, &out->rec[out->nrec], err, errlen) < 0)
			return -1;
		out->nrec++;
	}
	return 0;
}

/* ---- verifying -------------------------------------------------------------- */

int
tlv_check_sig(const struct tlv_header *h, const uint8_t *p, size_t n,
              const uint8_t *cert, size_t cert_len, char *err, size_t errlen)
{
	size_t cut = 3 + h->sig_len, len = n - cut;
	uint8_t *data;
	int v;

	if (h->sig == NULL || h->sig_off + cut > n || cert == NULL) {
		trust_err(err, errlen, "no signature or no certificate to check it with");
		return -1;
	}
	if ((data = malloc(len ? len : 1)) == NULL) {
		trust_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(data, p, h->sig_off);
	memcpy(data + h->sig_off, p + h->sig_off + cut, n - h->sig_off - cut);
	v = tlv_sig_verify(cert, cert_len, h->hash_bits, data, len, h->sig, h->sig_len);
	free(data);
	if (v != 1) {
		trust_err(err, errlen, v == 0 ? "signature does not verify"
		                              : "signer certificate unreadable");
		return -1;
	}
	return 0;
}

static int
same_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

/* The SAST record of l whose serial (and issuer, when both carry one) is the
 * one in header h. */
static const struct tlv_record *
sast_for(const struct tlv_list *l, const struct tlv_header *h)
{
	for (size_t i = 0; i < l->nrec; i++) {
		const struct tlv_record *r = &l->rec[i];

		if (!r->has_role || r->role != TLV_ROLE_SAST || r->cert == NULL ||
		    !same_bytes(r->serial, r->serial_len, h->serial, h->serial_len))
			continue;
		if (r->issuer != NULL && h->issuer_name != NULL &&
		    strcmp(r->issuer, h->issuer_name) != 0)
			continue;
		return r;
	}
	return NULL;
}

const struct tlv_record *
tlv_signer(const struct tlv_list *l)
{
	return sast_for(l, &l->h);
}

int
tlv_verify_with(const struct tlv_list *l, const uint8_t *p, size_t n,
                const uint8_t *cert, size_t cert_len, char *err, size_t errlen)
{
	return tlv_check_sig(&l->h, p, n, cert, cert_len, err, errlen);
}

int
tlv_verify_self(const struct tlv_list *l, const uint8_t *p, size_t n, char *err,
                size_t errlen)
{
	const struct tlv_record *r = tlv_signer(l);

	if (r == NULL) {
		trust_err(err, errlen, "no SAST record matches the header's signer");
		return -1;
	}
	return tlv_check_sig(&l->h, p, n, r->cert, r->cert_len, err, errlen);
}

int
tlv_verify_trusted(const struct tlv_list *l, const uint8_t *p, size_t n,
                   const struct tlv_list *prev, char *err, size_t errlen)
{
	const struct tlv_record *r = sast_for(prev, &l->h);

	if (r == NULL) {
		trust_err(err, errlen, "the signer is not a SAST of the previous list");
		return -1;
	}
	return tlv_check_sig(&l->h, p, n, r->cert, r->cert_len, err, errlen);
}
