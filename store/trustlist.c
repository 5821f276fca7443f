/*
 * trustlist.c - what a phone is told to trust, assembled from the store:
 * the role certificates (sast, sast-next, ccm-tftp, the web certificate,
 * the Phone Edge Trust CAs) read in one pass, the records of ITLFile.tlv /
 * CTLFile.tlv in their fixed order, and the signing of lists and NAME.sgn
 * files.  The daemons reach this through the gate (generated once per
 * config generation); oprovctl through `trust show`.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static void
role_free(struct store_trust_cert *c)
{
	free(c->der);
	c->der = NULL;
	c->len = 0;
}

void
store_trust_free(struct store_trust *t)
{
	if (t == NULL)
		return;
	role_free(&t->sast);
	role_free(&t->sast_next);
	role_free(&t->ccm_tftp);
	role_free(&t->web);
	for (size_t i = 0; i < t->nedge; i++)
		role_free(&t->edge[i]);
	key_unref(t->sast_key);
	key_unref(t->ccm_tftp_key);
	memset(t, 0, sizeof(*t));
}

/* The first certificate of a PEM text as DER; the newest not_before seen
 * goes into the list's timestamp. */
static int
role_der(struct store_trust *t, struct store_trust_cert *c, const char *pem,
         char *err, size_t errlen)
{
	struct cert_info ci;

	if (cert_pem_to_der(pem, strlen(pem), 0, &c->der, &c->len, err, errlen) < 0 ||
	    cert_info_der(c->der, c->len, &ci, err, errlen) < 0)
		return -1;
	if (ci.not_before > (time_t)t->timestamp && ci.not_before <= (time_t)UINT32_MAX)
		t->timestamp = (uint32_t)ci.not_before;
	return 0;
}

/* One keyed role: its certificate, and its key when `key` is not NULL.
 * A role the store does not hold stays empty. */
static int
role_load(struct store *s, struct store_trust *t, const char *purpose,
          struct store_trust_cert *c, trust_key **key, char *err, size_t errlen)
{
	struct store_cert sc;
	int r = store_cert_keyed(s, purpose, &sc, err, errlen);

	if (r == STORE_NOTFOUND)
		return 0;
	if (r != 0)
		return -1;
	r = role_der(t, c, sc.pem, err, errlen);
	if (r == 0 && key != NULL &&
	    (*key = key_tls_from_pem(sc.key_pem, strlen(sc.key_pem), err, errlen)) == NULL)
		r = -1;
	store_cert_free(&sc);
	return r;
}

static int
edge_one(void *ctx, const struct store_cert *sc)
{
	struct store_trust *t = ctx;
	char err[STORE_ERR_MAX];

	if (t->nedge == STORE_PHONE_EDGE_TRUST_MAX)
		return 0;
	if (role_der(t, &t->edge[t->nedge], sc->pem, err, sizeof(err)) < 0)
		return 0;                       /* a bad entry is left out */
	t->nedge++;
	return 0;
}

static int
trust_read(struct store *s, struct store_trust *t, char *err, size_t errlen)
{
	struct cfg_cluster cl;

	if (store_cluster_get(s, &cl, err, errlen) != 0)
		return -1;
	t->mixed_mode = cl.mixed_mode;
	if (role_load(s, t, STORE_PURPOSE_SAST, &t->sast, &t->sast_key, err, errlen) < 0 ||
	    role_load(s, t, STORE_PURPOSE_SAST_NEXT, &t->sast_next, NULL, err, errlen) < 0 ||
	    role_load(s, t, STORE_PURPOSE_CCM_TFTP, &t->ccm_tftp, &t->ccm_tftp_key, err,
	              errlen) < 0 ||
	    role_load(s, t, STORE_PURPOSE_TOMCAT, &t->web, NULL, err, errlen) < 0)
		return -1;
	return store_cert_list(s, STORE_PURPOSE_PHONE_EDGE_TRUST, edge_one, t, err,
	                       errlen) != 0 ? -1 : 0;
}

int
store_trust_load(struct store *s, struct store_trust *out, char *err, size_t errlen)
{
	struct store_generation g0, g1;

	/* The reads are separate statements: they belong together when the
	 * config generation did not move meanwhile (else read again). */
	for (int tries = 0; tries < 3; tries++) {
		memset(out, 0, sizeof(*out));
		if (store_generation(s, &g0, err, errlen) != 0 ||
		    trust_read(s, out, err, errlen) < 0 ||
		    store_generation(s, &g1, err, errlen) != 0) {
			store_trust_free(out);
			return -1;
		}
		if (g0.config == g1.config) {
			out->gen = g1.config;
			if (out->sast.der == NULL || out->sast_key == NULL)
				return store_notfound(err, errlen, "the store has no sast "
				                      "certificate (`oprovctl cert rotate sast`)");
			return 0;
		}
		store_trust_free(out);
	}
	return store_fail(err, errlen, "the store kept changing while reading certificates");
}

size_t
store_trust_entries(const struct store_trust *t, struct tlv_entry *e, size_t cap)
{
	size_t n = 0;

#define ADD(role_, c_) do { \
		if ((c_)->der != NULL && n < cap) { \
			e[n].role = (role_); e[n].cert = (c_)->der; e[n].cert_len = (c_)->len; n++; \
		} \
	} while (0)
	ADD(TLV_ROLE_SAST, &t->sast);
	ADD(TLV_ROLE_SAST, &t->sast_next);
	ADD(TLV_ROLE_CCM_TFTP, &t->ccm_tftp);
	ADD(TLV_ROLE_TFTP, &t->web);
	ADD(TLV_ROLE_CCM, &t->web);         /* 5090 shows the same certificate */
	for (size_t i = 0; i < t->nedge; i++)
		ADD(TLV_ROLE_APP_SERVER, &t->edge[i]);
#undef ADD
	return n;
}

int
store_trust_build(const struct store_trust *t, const char *filename, uint8_t **out,
                  size_t *len, char *err, size_t errlen)
{
	struct tlv_entry e[STORE_TRUST_ENTRIES_MAX];
	struct tlv_signer sg = { t->sast_key, t->sast.der, t->sast.len };
	size_t n = store_trust_entries(t, e, STORE_TRUST_ENTRIES_MAX);

	if (t->sast_key == NULL)
		return store_fail(err, errlen, "no sast key");
	/* Signer version 1.1: phones holding the list fetch SEP<MAC>.cnf.xml
	 * over HTTPS 6971, checking it against the TFTP record. */
	if (tlv_build(&sg, filename, 1, 1, t->timestamp, e, n, out, len, err, errlen) < 0)
		return -1;
	return 0;
}

int
store_trust_sign(const struct store_trust *t, const char *sgn_name, uint32_t ts,
                 const void *p, size_t n, uint8_t **out, size_t *outlen, char *err,
                 size_t errlen)
{
	struct tlv_signer sg = { t->ccm_tftp_key, t->ccm_tftp.der, t->ccm_tftp.len };

	if (t->ccm_tftp_key == NULL)
		return store_notfound(err, errlen, "the store has no ccm-tftp certificate");
	return sgn_build(&sg, sgn_name, ts, p, n, out, outlen, err, errlen) < 0 ? -1 : 0;
}
