/*
 * trust_int.h - private to trust/: what the folder's files share beyond
 * trust.h.  The cpk_ functions are the boundary to OpenSSL: they are
 * implemented by ossl_key.c, ossl_jws.c and ossl_tlssig.c, and the files
 * above them (key.c, jws.c, keystore.c, token.c) see bytes, PEM text and
 * verdicts only.  The OpenSSL files share more among themselves through
 * ossl_int.h.
 */
#ifndef OPROV_TRUST_INT_H
#define OPROV_TRUST_INT_H

#include "trust/trust.h"

/* ---- key material (ossl_key.c) ---- */

/* Public or private key material behind an EVP_PKEY, with a small pool of
 * ready verification contexts so the hot path allocates nothing. */
struct cpk;

enum cpk_kty { CPK_RSA = 1, CPK_EC_P256, CPK_EC_P384, CPK_ED25519, CPK_OTHER };

struct cpk *cpk_from_pem(const char *pem, size_t len, char *err, size_t errlen);
struct cpk *cpk_from_rsa(const uint8_t *n, size_t nlen, const uint8_t *e,
                         size_t elen, char *err, size_t errlen);
/* x and y exactly the curve's coordinate length (RFC 7518 §6.2.1.2). */
struct cpk *cpk_from_ec(enum cpk_kty curve, const uint8_t *x, size_t xlen,
                        const uint8_t *y, size_t ylen, char *err, size_t errlen);
struct cpk *cpk_from_ed25519(const uint8_t *x, size_t xlen, char *err,
                             size_t errlen);
struct cpk *cpk_generate(enum key_type t, char *err, size_t errlen);
void cpk_free(struct cpk *c);

enum cpk_kty cpk_kty(const struct cpk *c);
int cpk_bits(const struct cpk *c);
int cpk_is_private(const struct cpk *c);

/* Public members as big-endian bytes (malloc'd; caller frees). */
int cpk_export_rsa(const struct cpk *c, uint8_t **n, size_t *nlen,
                   uint8_t **e, size_t *elen);
/* x and y padded to the coordinate length (32 or 48). */
int cpk_export_ec(const struct cpk *c, uint8_t x[66], uint8_t y[66],
                  size_t *coordlen);
int cpk_export_ed25519(const struct cpk *c, uint8_t x[32]);
char *cpk_public_pem(const struct cpk *c);
char *cpk_private_pem(const struct cpk *c);

/* ---- JWS signatures (ossl_jws.c) ---- */

/* Binds the key to one algorithm before it is shared; prepares contexts.
 * Fails when the algorithm does not fit the key.  0 / -1. */
int cpk_bind(struct cpk *c, enum jws_alg alg, char *err, size_t errlen);
/* 1 valid, 0 invalid, -1 internal error.  The alg is the bound one; ECDSA
 * signatures are raw r||s of exactly twice the coordinate length. */
int cpk_verify(struct cpk *c, const void *msg, size_t msglen,
               const uint8_t *sig, size_t siglen);
/* Signature into sig (capacity sigcap, 512 is enough for RSA 4096);
 * ECDSA as raw r||s.  0 / -1. */
int cpk_sign(struct cpk *c, const void *msg, size_t msglen, uint8_t *sig,
             size_t sigcap, size_t *siglen, char *err, size_t errlen);

/* ---- TLS raw signatures (ossl_tlssig.c) ---- */

/* For key_sign_raw / key_sign_digest: the key need not be bound.
 * prehashed: `in` is the digest (or DigestInfo for PKCS1_RAW).  0 / -1. */
int cpk_sig_supported(const struct cpk *c, enum trust_sig_scheme s);
int cpk_sign_scheme(struct cpk *c, enum trust_sig_scheme s, int prehashed,
                    const void *in, size_t inlen, uint8_t *sig, size_t sigcap,
                    size_t *siglen, char *err, size_t errlen);

/* ---- trust_key (key.c) ---- */
struct trust_key {
	int refs;                /* atomic */
	enum jws_alg alg;
	char kid[TOK_KID_MAX];
	size_t kidlen;
	struct cpk *pk;          /* NULL for HMAC */
	uint8_t *secret;         /* HMAC secret */
	size_t secretlen;
};

/* Signature check with the key's bound algorithm: 1 / 0 / -1. */
int key_verify(trust_key *k, const void *msg, size_t msglen,
               const uint8_t *sig, size_t siglen);
int key_sign(const trust_key *k, const void *msg, size_t msglen, uint8_t *sig,
             size_t sigcap, size_t *siglen, char *err, size_t errlen);

/* ---- flat JSON fast path (jsonscan.c) ---- */
enum jv_kind { JV_ABSENT = 0, JV_STRING, JV_INT, JV_REAL, JV_ARRAY, JV_OTHER };
/* One JSON value as the validator sees it.  Strings point into the parsed
 * text (or into a json_t that outlives the view); arrays are either raw
 * subset text (s, n) or a jansson array (j). */
struct jv {
	enum jv_kind k;
	const char *s;
	size_t n;
	int64_t i;
	double d;
	const json_t *j;
};
#define JSCAN_MAX_MEMBERS 24
struct jscan_member {
	const char *key;
	size_t klen;
	struct jv v;
};
struct jscan {
	struct jscan_member m[JSCAN_MAX_MEMBERS];
	size_t n;
};
/* 0: text is a flat object in the fast subset, *out describes it.
 * -1: not in the subset (which includes every invalid text): use jansson. */
int jscan_object(const char *text, size_t len, struct jscan *out);
const struct jv *jscan_get(const struct jscan *js, const char *key);
/* Whether a subset array holds the string want. */
int jscan_array_has(const struct jv *arr, const char *want, size_t wlen);
/* The same view of a jansson value (NULL gives JV_ABSENT). */
void jv_from_json(const json_t *j, struct jv *out);

/* ---- compact JWS (jws.c) ---- */
#define JWS_SIG_MAX 512          /* RSA up to 4096 bits */
#define JWS_PBUF (TOK_MAX_SIZE_DEFAULT / 4 * 3 + 4)

/* A token split and decoded by steps 1-4 of the checklist.  The payload is
 * decoded into pbuf when it fits (every token under the default 8 KiB cap),
 * so the hot path allocates nothing for the usual flat JSON. */
struct jws_parsed {
	const char *signing_input;   /* header.payload, borrowed from token */
	size_t silen;
	json_t *hjson;               /* owned; only when the fast path declined */
	struct jv h_alg, h_kid, h_typ;  /* header members */
	uint8_t *payload;            /* pbuf or malloc'd; NUL-terminated */
	size_t plen;
	uint8_t sig[JWS_SIG_MAX];
	size_t siglen;
	enum jws_alg alg;
	size_t hlen;
	char hbuf[TOK_MAX_HEADER_JSON];
	uint8_t pbuf[JWS_PBUF];
};
/* Steps 1-4: size, shape, strict base64url, header JSON, crit, alg in the
 * allowlist.  On TOK_OK the caller must jws_parsed_free(). */
enum tok_verdict jws_parse(const char *tok, size_t len, size_t max,
                           unsigned algs, struct jws_parsed *jp);
void jws_parsed_free(struct jws_parsed *jp);
/* Steps 6-7 with an already looked-up key. */
enum tok_verdict jws_check_signature(trust_key *k, struct jws_parsed *jp);

/* ---- verified-token cache (cache.c) ---- */
struct tcache;
struct tcache *tcache_new(size_t capacity);
void tcache_free(struct tcache *c);
/* 1 hit (claims copied to *out), 0 miss, -1 entry found but exp <= floor
 * (removed).  Entries from an older key-store generation are misses. */
int tcache_get(struct tcache *c, const uint8_t key[32], uint64_t gen,
               int64_t floor, struct tok_claims *out);
void tcache_put(struct tcache *c, const uint8_t key[32], uint64_t gen,
                const struct tok_claims *cl);
void tcache_stats(struct tcache *c, struct tok_cache_stats *out);
void tcache_flush(struct tcache *c);

/* ---- trust lists and signed files (tlv.c, sgn.c, ossl_filesig.c) ---- */

/* What a trust-list record copies out of a certificate. */
struct tlv_cert_fields {
	char subject[TLV_NAME_MAX];      /* "CN=a;O=b" */
	char issuer[TLV_NAME_MAX];
	uint8_t serial[TLV_SERIAL_MAX];
	size_t serial_len;
	uint8_t pubkey[TLV_PUBKEY_MAX];  /* PKCS#1 RSAPublicKey or EC point */
	size_t pubkey_len;
	uint8_t sig[TLV_CERTSIG_MAX];
	size_t sig_len;
	int rsa_bits;                    /* 0: not RSA */
};
int tlv_cert_fields(const uint8_t *der, size_t len, struct tlv_cert_fields *out,
                    char *err, size_t errlen);
/* RSA PKCS#1 v1.5 with SHA-1 (160), SHA-256 or SHA-512 and the
 * certificate's key: 1 valid, 0 invalid, -1 error. */
int tlv_sig_verify(const uint8_t *der, size_t len, int hash_bits,
                   const void *data, size_t n, const uint8_t *sig,
                   size_t siglen);

/* A growable byte buffer with a ceiling (tlv.c). */
struct tbuf {
	uint8_t *p;
	size_t len, cap, max;
	int fail;                        /* over max or out of memory */
};
void tbuf_put(struct tbuf *b, const void *p, size_t n);
void tbuf_u8(struct tbuf *b, unsigned v);
void tbuf_u16(struct tbuf *b, unsigned v);
/* tag, 16-bit length, value. */
void tbuf_tlv(struct tbuf *b, unsigned tag, const void *p, size_t n);

enum tlv_kind { TLV_KIND_LIST, TLV_KIND_SGN };
/* The header of either kind, signature field left out but counted in the
 * header length and padding; *sig_at receives where the SIGNATURE field
 * goes.  *siglen receives the signature size (the key's modulus). */
int tlv_header_write(struct tbuf *b, enum tlv_kind kind,
                     const struct tlv_signer *s, unsigned signer_major,
                     unsigned signer_minor, const char *filename,
                     uint32_t timestamp, size_t *sig_at, size_t *siglen,
                     char *err, size_t errlen);
/* Signs b (header + body without the signature) and inserts the signature
 * field at sig_at.  0 / -1. */
int tlv_sign_insert(struct tbuf *b, enum tlv_kind kind,
                    const struct tlv_signer *s, size_t sig_at, char *err,
                    size_t errlen);
int tlv_header_parse(const uint8_t *p, size_t n, enum tlv_kind kind,
                     struct tlv_header *h, char *err, size_t errlen);
/* Verifies the signature of a parsed file with a certificate. */
int tlv_check_sig(const struct tlv_header *h, const uint8_t *p, size_t n,
                  const uint8_t *cert, size_t cert_len, char *err,
                  size_t errlen);

/* ---- secret.c ---- */

/* OPENSSL_cleanse: wipes memory the compiler cannot optimize away. */
void trust_wipe(void *p, size_t n);

/* ---- str.c ---- */

/* Writes the one-line reason into the caller's err buffer (NULL ok). */
void trust_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Bounded copy of a counted string into a fixed buffer; -1 when it does not
 * fit (including its NUL) or contains a NUL byte. */
int trust_strlcpy_n(char *dst, size_t dstsz, const char *src, size_t n);
/* n bytes as 2n lowercase hex digits plus NUL. */
void trust_hex(const uint8_t *p, size_t n, char *out);

#define TRUST_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
