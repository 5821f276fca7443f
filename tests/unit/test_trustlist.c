/* Unit tests for trust/: trust lists (.tlv) and signed files (.sgn).
 *
 * The fixed vectors sgn-hello.sgn and itl-one.tlv are assembled field by
 * field by tests/data/trust/gen-tlv.sh from the layout the published
 * certutils tools write (github.com/usecallmanagernz/certutils, files
 * `tlvfile` and `sgnfile`; usecallmanager.nz "Device Security" page; see
 * docs/formats.md) and signed by the openssl command line.  Our writer must
 * produce the same bytes and our reader must accept them. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_trust.h"

#define VEC_TS 1600000000u
#define HDR_AT 10                /* after VERSION and HEADER_LENGTH */

struct signer {
	trust_key *key;
	uint8_t *der;
	size_t derlen;
	struct tlv_signer s;
};

static void
signer_load(struct signer *sg, const char *cert, const char *key)
{
	size_t cl, kl;
	char *cp = t_data(cert, &cl), *kp = t_data(key, &kl), err[256] = "";

	sg->key = key_tls_from_pem(kp, kl, err, sizeof(err));
	cr_assert_not_null(sg->key, "%s", err);
	cr_assert_eq(cert_pem_to_der(cp, cl, 0, &sg->der, &sg->derlen, err, sizeof(err)), 0);
	sg->s.key = sg->key;
	sg->s.cert = sg->der;
	sg->s.cert_len = sg->derlen;
	free(cp);
	trust_free_secret(kp);
}

/* A fresh RSA signer not known to any list. */
static void
signer_new(struct signer *sg)
{
	char *cert, *key, err[256] = "";

	cr_assert_eq(x509_make_ca(KEY_RSA2048, "stranger", 30, &cert, &key, err,
	                          sizeof(err)), 0, "%s", err);
	sg->key = key_tls_from_pem(key, strlen(key), err, sizeof(err));
	cr_assert_not_null(sg->key);
	cr_assert_eq(cert_pem_to_der(cert, strlen(cert), 0, &sg->der, &sg->derlen, err,
	                             sizeof(err)), 0);
	sg->s.key = sg->key;
	sg->s.cert = sg->der;
	sg->s.cert_len = sg->derlen;
	free(cert);
	trust_free_secret(key);
}

static void
signer_free(struct signer *sg)
{
	key_unref(sg->key);
	free(sg->der);
}

static uint8_t *
der_of(const char *name, size_t *len)
{
	size_t pl;
	char *pem = t_data(name, &pl), err[256];
	uint8_t *der;

	cr_assert_eq(cert_pem_to_der(pem, pl, 0, &der, len, err, sizeof(err)), 0);
	free(pem);
	return der;
}

Test(trustlist, sgn_writer_matches_published_layout_vector)
{
	struct signer sg;
	struct sgn_file f;
	size_t vl, ol;
	uint8_t *vec = (uint8_t *)t_data("sgn-hello.sgn", &vl), *out;
	char err[256] = "";

	signer_load(&sg, "tlv-sast.pem", "tlv-sast.key.pem");
	cr_assert_eq(sgn_build(&sg.s, "hello.txt", VEC_TS, "hello\n", 6, &out, &ol, err,
	                       sizeof(err)), 0, "%s", err);
	cr_assert_eq(ol, vl);
	cr_assert(memcmp(out, vec, vl) == 0, "writer output differs from the vector");
	/* Field by field, as the vector was assembled. */
	cr_assert_eq(sgn_parse(vec, vl, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.h.fmt_major, 1);
	cr_assert_eq(f.h.fmt_minor, 2);
	cr_assert_eq(f.h.header_len % 4, 0);
	cr_assert_eq(f.h.has_signer_version, 0);
	cr_assert_str_eq(f.h.signer_name, "CN=oprov test SAST;O=oprov test");
	cr_assert_str_eq(f.h.issuer_name, "CN=oprov test SAST;O=oprov test");
	cr_assert_eq(f.h.serial_len, 2);
	cr_assert_eq(f.h.serial[0], 0x42);
	cr_assert_eq(f.h.hash_code, 2);
	cr_assert_eq(f.h.hash_bits, 256);
	cr_assert_eq(f.h.sig_alg, 0);
	cr_assert_eq(f.h.sig_modulus, 2);
	cr_assert_eq(f.h.sig_len, 256);
	cr_assert_str_eq(f.h.filename, "hello.txt");
	cr_assert_eq(f.h.timestamp, VEC_TS);
	cr_assert_eq(f.content_len, 6);
	cr_assert(memcmp(f.content, "hello\n", 6) == 0);
	cr_assert_eq(sgn_verify(&f, vec, vl, sg.der, sg.derlen, err, sizeof(err)), 0, "%s", err);
	free(out);
	free(vec);
	signer_free(&sg);
}

Test(trustlist, tlv_writer_matches_published_layout_vector)
{
	struct signer sg;
	struct tlv_list *l = malloc(sizeof(*l));
	struct tlv_entry e;
	size_t vl, ol;
	uint8_t *vec = (uint8_t *)t_data("itl-one.tlv", &vl), *out;
	char err[256] = "";

	signer_load(&sg, "tlv-sast.pem", "tlv-sast.key.pem");
	e.role = TLV_ROLE_SAST;
	e.cert = sg.der;
	e.cert_len = sg.derlen;
	cr_assert_eq(tlv_build(&sg.s, "ITLFile.tlv", 1, 1, VEC_TS, &e, 1, &out, &ol, err,
	                       sizeof(err)), 0, "%s", err);
	cr_assert_eq(ol, vl);
	cr_assert(memcmp(out, vec, vl) == 0, "writer output differs from the vector");
	cr_assert_eq(tlv_parse(vec, vl, l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l->h.has_signer_version, 1);
	cr_assert_eq(l->h.signer_major, 1);
	cr_assert_eq(l->h.signer_minor, 1);
	cr_assert_eq(l->h.hash_code, 3);
	cr_assert_eq(l->h.hash_bits, 512);
	cr_assert_str_eq(l->h.filename, "ITLFile.tlv");
	cr_assert_eq(l->nrec, 1);
	cr_assert_eq(l->rec[0].role, TLV_ROLE_SAST);
	cr_assert_str_eq(l->rec[0].subject, "CN=oprov test SAST;O=oprov test");
	cr_assert_eq(l->rec[0].cert_len, sg.derlen);
	cr_assert(memcmp(l->rec[0].cert, sg.der, sg.derlen) == 0);
	cr_assert_not_null(tlv_signer(l));
	cr_assert_eq(tlv_verify_self(l, vec, vl, err, sizeof(err)), 0, "%s", err);
	free(out);
	free(vec);
	free(l);
	signer_free(&sg);
}

/* SAST, next SAST, CCM+TFTP and the EC web certificate as TFTP. */
static uint8_t *
build_itl(struct signer *by, const uint8_t *sast2, size_t sast2_len, size_t *len)
{
	size_t wl;
	uint8_t *web = der_of("tlv-web.pem", &wl), *out;
	struct tlv_entry e[4] = {
		{ TLV_ROLE_SAST, by->der, by->derlen },
		{ TLV_ROLE_SAST, sast2, sast2_len },
		{ TLV_ROLE_CCM_TFTP, sast2, sast2_len },
		{ TLV_ROLE_TFTP, web, wl },
	};
	char err[256] = "";

	cr_assert_eq(tlv_build(&by->s, "ITLFile.tlv", 1, 1, 1700000000u, e, 4, &out, len,
	                       err, sizeof(err)), 0, "%s", err);
	free(web);
	return out;
}

Test(trustlist, round_trip_records_and_roles)
{
	struct signer a, b;
	struct tlv_list *l = malloc(sizeof(*l));
	size_t n;
	uint8_t *f;
	char err[256] = "";

	signer_load(&a, "tlv-sast.pem", "tlv-sast.key.pem");
	signer_load(&b, "tlv-sast2.pem", "tlv-sast2.key.pem");
	f = build_itl(&a, b.der, b.derlen, &n);
	cr_assert_eq(tlv_parse(f, n, l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l->nrec, 4);
	cr_assert_eq(l->rec[0].role, TLV_ROLE_SAST);
	cr_assert_eq(l->rec[1].role, TLV_ROLE_SAST);
	cr_assert_eq(l->rec[2].role, TLV_ROLE_CCM_TFTP);
	cr_assert_eq(l->rec[3].role, TLV_ROLE_TFTP);
	cr_assert_str_eq(l->rec[3].subject, "CN=web.oprov.test");
	cr_assert_eq(l->rec[3].pubkey_len, 65, "EC P-256 key as an uncompressed point");
	cr_assert_eq(l->rec[3].pubkey[0], 0x04);
	cr_assert_eq(tlv_signer(l), &l->rec[0]);
	cr_assert_eq(tlv_verify_self(l, f, n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tlv_verify_with(l, f, n, a.der, a.derlen, err, sizeof(err)), 0);
	cr_assert_eq(tlv_verify_with(l, f, n, b.der, b.derlen, err, sizeof(err)), -1);
	cr_assert_str_eq(tlv_role_name(TLV_ROLE_CCM_TFTP), "CCM+TFTP");
	cr_assert_null(tlv_role_name(99));
	free(f);
	free(l);
	signer_free(&a);
	signer_free(&b);
}

/* Every single-byte change to a signed file makes it unreadable or makes
 * its signature fail. */
static void
each_byte_fails(uint8_t *f, size_t n, int is_list, const uint8_t *cert, size_t cl)
{
	struct tlv_list *l = malloc(sizeof(*l));
	struct sgn_file s;
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(flips); k++) {
			int ok;

			f[i] ^= flips[k];
			if (is_list)
				ok = tlv_parse(f, n, l, NULL, 0) == 0 &&
				     tlv_verify_with(l, f, n, cert, cl, NULL, 0) == 0;
			else
				ok = sgn_parse(f, n, &s, NULL, 0) == 0 &&
				     sgn_verify(&s, f, n, cert, cl, NULL, 0) == 0;
			f[i] ^= flips[k];
			cr_assert(!ok, "byte %zu ^ 0x%02x still verifies", i, flips[k]);
		}
	}
	free(l);
}

Test(trustlist, every_byte_change_to_a_signed_file_fails, .timeout = 120)
{
	struct signer a, b;
	size_t vl, n;
	uint8_t *vec = (uint8_t *)t_data("sgn-hello.sgn", &vl), *f, *g;
	struct sgn_file s;
	char err[256] = "";

	signer_load(&a, "tlv-sast.pem", "tlv-sast.key.pem");
	signer_load(&b, "tlv-sast2.pem", "tlv-sast2.key.pem");
	/* the untouched files do verify, so the loop tests the change */
	cr_assert_eq(sgn_parse(vec, vl, &s, err, sizeof(err)), 0);
	cr_assert_eq(sgn_verify(&s, vec, vl, a.der, a.derlen, err, sizeof(err)), 0);
	each_byte_fails(vec, vl, 0, a.der, a.derlen);
	f = build_itl(&a, b.der, b.derlen, &n);
	each_byte_fails(f, n, 1, a.der, a.derlen);
	/* one byte more or less */
	g = malloc(n + 1);
	memcpy(g, f, n);
	g[n] = 0;
	{
		struct tlv_list *l = malloc(sizeof(*l));
		cr_assert(tlv_parse(g, n + 1, l, NULL, 0) < 0 ||
		          tlv_verify_with(l, g, n + 1, a.der, a.derlen, NULL, 0) < 0);
		cr_assert(tlv_parse(g, n - 1, l, NULL, 0) < 0 ||
		          tlv_verify_with(l, g, n - 1, a.der, a.derlen, NULL, 0) < 0);
		free(l);
	}
	free(g);
	free(f);
	free(vec);
	signer_free(&a);
	signer_free(&b);
}

Test(trustlist, rotated_list_verifies_with_the_previous_lists_trust)
{
	struct signer a, b, x;
	struct tlv_list *prev = malloc(sizeof(*prev)), *next = malloc(sizeof(*next));
	size_t pn, nn, xn;
	uint8_t *pf, *nf, *xf;
	char err[256] = "";

	signer_load(&a, "tlv-sast.pem", "tlv-sast.key.pem");
	signer_load(&b, "tlv-sast2.pem", "tlv-sast2.key.pem");
	signer_new(&x);
	/* before the rotation: signed by a, b pre-published as the next SAST */
	pf = build_itl(&a, b.der, b.derlen, &pn);
	/* after: signed by b, with a newly made standby x */
	nf = build_itl(&b, x.der, x.derlen, &nn);
	cr_assert_eq(tlv_parse(pf, pn, prev, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tlv_parse(nf, nn, next, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tlv_verify_trusted(next, nf, nn, prev, err, sizeof(err)), 0, "%s", err);
	/* a list signed by a key the previous list does not hold is refused,
	 * though it verifies against its own records */
	xf = build_itl(&x, a.der, a.derlen, &xn);
	cr_assert_eq(tlv_parse(xf, xn, next, err, sizeof(err)), 0);
	cr_assert_eq(tlv_verify_self(next, xf, xn, err, sizeof(err)), 0);
	cr_assert_eq(tlv_verify_trusted(next, xf, xn, prev, err, sizeof(err)), -1);
	free(pf);
	free(nf);
	free(xf);
	free(prev);
	free(next);
	signer_free(&a);
	signer_free(&b);
	signer_free(&x);
}

Test(trustlist, reader_refuses_malformed_files)
{
	struct tlv_list *l = malloc(sizeof(*l));
	struct sgn_file s;
	size_t vl;
	uint8_t *vec = (uint8_t *)t_data("sgn-hello.sgn", &vl), *buf;
	char err[256];
	static const uint8_t tiny[] = { 1, 0, 2, 1, 2, 2, 0, 2, 0, 10 };

	cr_assert_eq(sgn_parse(vec, 9, &s, err, sizeof(err)), -1);
	cr_assert_eq(sgn_parse(tiny, sizeof(tiny), &s, err, sizeof(err)), -1,
	             "a header without signature");
	cr_assert_eq(tlv_parse(NULL, 0, l, err, sizeof(err)), -1);
	/* header length past the end */
	cr_assert_eq(sgn_parse(vec, 100, &s, err, sizeof(err)), -1);
	buf = malloc(vl + 1);
	memcpy(buf, vec, vl);
	buf[10] = 0x63;                         /* unknown header tag */
	cr_assert_eq(sgn_parse(buf, vl, &s, err, sizeof(err)), -1);
	cr_assert(strstr(err, "unknown header tag") != NULL, "%s", err);
	memcpy(buf, vec, vl);
	buf[0x2f] = 'x';                        /* signer name loses its NUL */
	cr_assert_eq(sgn_parse(buf, vl, &s, err, sizeof(err)), -1);
	/* SIGNATURE_ALGORITHM (tag 10, length 1) other than 0 = RSA */
	memcpy(buf, vec, vl);
	cr_assert_eq(sgn_parse(buf, vl, &s, err, sizeof(err)), 0);
	for (size_t i = HDR_AT; i + 3 < s.h.header_len; i++)
		if (buf[i] == 10 && buf[i + 1] == 0 && buf[i + 2] == 1 && buf[i + 3] == 0) {
			buf[i + 3] = 1;
			break;
		}
	cr_assert_eq(sgn_parse(buf, vl, &s, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not RSA") != NULL, "%s", err);
	/* a list: the content after the header must be records */
	memcpy(buf, vec, vl);
	cr_assert_eq(tlv_parse(buf, vl, l, err, sizeof(err)), -1);
	/* too large */
	cr_assert_eq(tlv_parse(buf, (size_t)TLV_FILE_MAX + 1, l, err, sizeof(err)), -1);
	free(buf);
	free(vec);
	free(l);
}

/* itl-badkey.tlv: itl-one.tlv with bytes of the SAST certificate's key
 * changed (found by fuzz_tlv): the certificate still parses, its key does
 * not.  The check must answer "unreadable", not crash. */
Test(trustlist, a_signer_certificate_with_an_unreadable_key_is_refused)
{
	struct tlv_list *l = malloc(sizeof(*l));
	size_t vl;
	uint8_t *vec = (uint8_t *)t_data("itl-badkey.tlv", &vl);
	char err[256] = "";

	cr_assert_eq(tlv_parse(vec, vl, l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tlv_verify_self(l, vec, vl, err, sizeof(err)), -1);
	cr_assert(strstr(err, "unreadable") != NULL, "%s", err);
	free(vec);
	free(l);
}

Test(trustlist, reader_refuses_a_repeated_signature_field)
{
	size_t vl;
	uint8_t *vec = (uint8_t *)t_data("sgn-hello.sgn", &vl), *buf;
	struct sgn_file s;
	char err[256];
	size_t at;

	cr_assert_eq(sgn_parse(vec, vl, &s, err, sizeof(err)), 0);
	at = s.h.sig_off;
	/* a second SIGNATURE field in place of the padding/file name would let
	 * two readers disagree on what was signed */
	buf = malloc(vl + 259);
	memcpy(buf, vec, at + 259);
	memcpy(buf + at + 259, vec + at, vl - at);
	buf[8] = (uint8_t)((s.h.header_len + 259) >> 8);
	buf[9] = (uint8_t)(s.h.header_len + 259);
	cr_assert_eq(sgn_parse(buf, vl + 259, &s, err, sizeof(err)), -1);
	cr_assert(strstr(err, "repeated") != NULL, "%s", err);
	free(buf);
	free(vec);
}

Test(trustlist, writer_refuses_bad_input)
{
	struct signer a;
	struct tlv_entry e[3];
	uint8_t *out;
	size_t n;
	char err[256], longname[TLV_FILENAME_MAX + 2], *ec, *eck;
	trust_key *eckey;
	uint8_t *ecder;
	size_t ecdl;
	struct tlv_signer ecs;

	signer_load(&a, "tlv-sast.pem", "tlv-sast.key.pem");
	for (int i = 0; i < 3; i++) {
		e[i].role = TLV_ROLE_SAST;
		e[i].cert = a.der;
		e[i].cert_len = a.derlen;
	}
	cr_assert_eq(tlv_build(&a.s, "ITLFile.tlv", 1, 1, 0, e, 3, &out, &n, err,
	                       sizeof(err)), -1, "three SAST records");
	cr_assert_eq(tlv_build(&a.s, "ITLFile.tlv", 1, 1, 0, e, 0, &out, &n, err,
	                       sizeof(err)), -1, "no record");
	e[0].role = TLV_ROLE_CCM;
	cr_assert_eq(tlv_build(&a.s, "ITLFile.tlv", 1, 1, 0, e, 1, &out, &n, err,
	                       sizeof(err)), -1, "no SAST record");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_eq(sgn_build(&a.s, longname, 0, "x", 1, &out, &n, err, sizeof(err)), -1);
	/* an EC key cannot sign: the formats carry RSA signatures */
	cr_assert_eq(x509_make_ca(KEY_EC256, "ec", 10, &ec, &eck, err, sizeof(err)), 0);
	eckey = key_tls_from_pem(eck, strlen(eck), err, sizeof(err));
	cr_assert_eq(cert_pem_to_der(ec, strlen(ec), 0, &ecder, &ecdl, err, sizeof(err)), 0);
	ecs.key = eckey;
	ecs.cert = ecder;
	ecs.cert_len = ecdl;
	cr_assert_eq(sgn_build(&ecs, "a", 0, "x", 1, &out, &n, err, sizeof(err)), -1);
	/* a key that is not the certificate's */
	ecs.key = a.key;
	cr_assert_eq(sgn_build(&ecs, "a", 0, "x", 1, &out, &n, err, sizeof(err)), -1);
	key_unref(eckey);
	free(ecder);
	free(ec);
	trust_free_secret(eck);
	signer_free(&a);
}
