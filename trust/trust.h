/*
 * trust.h - the whole contract of trust/, the token core shared by every oprov
 * program: strict base64url, JWS sign/verify, keys (PEM, JWK, JWKS), a key
 * store by (issuer, kid), access-token validation (RFC 9068 / RFC 8725) with a
 * verified-token cache, certificate stores by purpose, X.509 generation and
 * the one access decision, policy_decide().
 *
 * trust/ depends on OpenSSL and jansson only and includes nothing else of
 * oprov.  No OpenSSL type appears here: callers speak bytes, PEM text and
 * verdicts (the single exception is certstore_x509_store(), returned as
 * void * for sip/tls.c, which owns the TLS side).
 *
 * Which file holds what (* marks the files that include OpenSSL; only they
 * include the private ossl_int.h, the rest share trust_int.h):
 *   b64url.c       strict base64url
 *   hash.c*        SHA-256, HMAC-SHA256
 *   secret.c*      random bytes and strings, constant-time compare, stored-
 *                  secret hashes, wiping
 *   key.c          trust_key: alg and key-type names, PEM/JWK loading,
 *                  generation, HMAC keys, thumbprints, JWK/PEM export, TLS
 *                  server keys
 *   ossl_key.c*    key material (struct cpk): import, generation, export
 *   ossl_jws.c*    JWS signature primitives: alg binding, verify, sign
 *   ossl_tlssig.c* TLS raw signatures (key_sign_raw, key_sign_digest)
 *   keystore.c     key sets, JWKS, the key store
 *   jws.c          compact JWS: parse, signature check, sign, inspect
 *   jsonscan.c     the flat-JSON fast reader
 *   token.c        access-token validation and minting
 *   cache.c        the verified-token cache
 *   cert.c*        certificate stores, name matching, cert_info, PEM bundles
 *   x509.c*        X.509 issuance (x509_issue, x509_make_*)
 *   policy.c       policy_decide()
 *   tlv.c          trust lists (.tlv): the shared header, records, verify
 *   sgn.c          signed files (.sgn)
 *   ossl_filesig.c* certificate fields for records, file signature check
 *   ossl.c*        OpenSSL plumbing shared by the * files
 *   str.c          error text, bounded copy, hex
 *
 * Conventions: functions return 0 / -1 (or an enum of outcomes) and write a
 * one-line reason into a caller-provided `char *err, size_t errlen` (may be
 * NULL).  Strings returned as `char *` are malloc'd and owned by the caller;
 * those holding secrets (private-key PEM) must be released with
 * trust_free_secret(), which wipes them first.  Every object is safe to use
 * from several threads unless its comment says otherwise.
 */
#ifndef OPROV_TRUST_H
#define OPROV_TRUST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ======================================================================
 * Limits (each a named ceiling with its documented default)
 * ====================================================================== */
#define TOK_MAX_SIZE_DEFAULT     8192   /* bytes of compact token */
#define TOK_MAX_SIZE_CEILING     65536  /* config.max_size is clamped to this */
#define TOK_MAX_HEADER_JSON      1024   /* decoded protected header */
#define TOK_SKEW_DEFAULT         60     /* seconds, also the maximum allowed */
#define TOK_SKEW_MAX             60
#define TOK_LIFETIME_DEFAULT     86400  /* exp - iat; 1440 min = enterprise max */
#define TOK_NUMERICDATE_MAX      253402300799LL /* 9999-12-31T23:59:59Z */
#define TOK_CACHE_DEFAULT        65536  /* verified tokens kept */

/* Claim sizes kept by the validator (bytes incl. NUL).  A longer claim makes
 * the token invalid_claim rather than silently truncated. */
#define TOK_ISS_MAX       256
#define TOK_SUB_MAX       256
#define TOK_DEV_MAX       64
#define TOK_CLIENT_ID_MAX 128
#define TOK_SCOPE_MAX     512
#define TOK_JTI_MAX       128
#define TOK_KID_MAX       128

#define CERTSTORE_PHONE_EDGE_MAX 16     /* vendor limit of Phone Edge Trust */
#define CERTSTORE_MAX_DEFAULT    256    /* every other purpose */
#define CERT_PEM_MAX             (1024 * 1024) /* one bundle */

/* Scope names carried in our access tokens (space-separated `scope`). */
#define SCOPE_CONFIG       "config"        /* fetch own config over 6971 */
#define SCOPE_SIP_REGISTER "sip-register"  /* register on 5090/5091 */

/* ======================================================================
 * Small primitives
 * ====================================================================== */

/* Releases a string that held secret material: wipes, then frees. NULL ok. */
void trust_free_secret(char *s);

/* Base64url without padding (RFC 7515 §2, RFC 4648 §5).  The decoder is
 * strict: refuses '=', '+', '/', whitespace, any byte outside the alphabet, a
 * length ≡ 1 (mod 4) and non-zero trailing bits, so every byte string has
 * exactly one accepted encoding. */
size_t b64url_encoded_len(size_t n);               /* without NUL */
size_t b64url_decoded_max(size_t len);
/* Writes the encoding plus NUL; returns its length, or -1 when outsz is too
 * small. */
long b64url_encode(const void *in, size_t n, char *out, size_t outsz);
char *b64url_encode_alloc(const void *in, size_t n);  /* NULL: no memory */
/* 0 and *outlen on success, -1 on any invalid input or short out. */
int b64url_decode(const char *in, size_t len, uint8_t *out, size_t outsz,
                  size_t *outlen);

/* SHA-256 (raw 32 bytes, or 64 lowercase hex + NUL). */
void trust_sha256(const void *p, size_t n, uint8_t out[32]);
void trust_sha256_hex(const void *p, size_t n, char out[65]);
/* HMAC-SHA256.  0 / -1. */
int trust_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
                      uint8_t out[32]);
/* Cryptographically secure random bytes (OpenSSL DRBG).  0 / -1. */
int trust_random(void *buf, size_t n);
/* Constant-time comparison (CRYPTO_memcmp): 0 when equal. */
int trust_memcmp_ct(const void *a, const void *b, size_t n);

/* Hashes of stored secrets.  Refresh tokens, client secrets and activation
 * codes are kept only as
 *     hex(SHA-256("oprov-" KIND ":" secret))
 * where KIND is the label below; the label separates the three kinds so a
 * hash of one can never be replayed as another.  Refresh tokens and client
 * secrets are 256 random bits, so a plain hash suffices; activation codes are
 * short, single-use and expire in days, and are also rate-limited by the
 * caller.  Compare stored hashes with trust_memcmp_ct(). */
#define SECRET_REFRESH_TOKEN   "refresh-token"
#define SECRET_CLIENT_SECRET   "client-secret"
#define SECRET_ACTIVATION_CODE "activation-code"
void trust_secret_hash(const char *kind, const void *secret, size_t n,
                       char out[65]);
/* n random bytes as base64url (for refresh tokens: n = 32).  NULL on error. */
char *trust_random_b64url(size_t n);

/* ======================================================================
 * Algorithms and keys
 * ====================================================================== */
enum jws_alg {
	JWS_ALG_INVALID = 0,
	JWS_RS256, JWS_RS384, JWS_RS512, JWS_PS256,
	JWS_ES256, JWS_ES384, JWS_EDDSA, JWS_HS256,
	JWS_ALG_COUNT
};
#define JWS_ALG_BIT(a)   (1u << (a))
/* Everything asymmetric; HS256 must be added explicitly. */
#define JWS_ALGS_DEFAULT (JWS_ALG_BIT(JWS_RS256) | JWS_ALG_BIT(JWS_RS384) | \
	JWS_ALG_BIT(JWS_RS512) | JWS_ALG_BIT(JWS_PS256) | JWS_ALG_BIT(JWS_ES256) | \
	JWS_ALG_BIT(JWS_ES384) | JWS_ALG_BIT(JWS_EDDSA))

/* "RS256" ... ; "?" for an invalid value. */
const char *jws_alg_name(enum jws_alg a);
/* Exact, case-sensitive match (RFC 7515 §4.1.1); "none" is never parsed. */
enum jws_alg jws_alg_parse(const char *s, size_t len);

/* Key types we generate.  Each binds to one default alg: RS256, ES256, EdDSA. */
enum key_type { KEY_RSA2048 = 1, KEY_EC256, KEY_ED25519 };
int key_type_parse(const char *s, enum key_type *out); /* "rsa2048","ec256","ed25519" */
const char *key_type_name(enum key_type t);

/*
 * A key is bound at load time to exactly one algorithm (and so one key type):
 * an RSA key loaded for RS256 never verifies an HS256 or PS256 token.  RSA
 * keys under 2048 bits are refused, ES256 needs P-256, ES384 P-384, EdDSA
 * Ed25519, HS256 a secret of at least 32 bytes.  Keys are reference counted
 * and immutable after load.
 */
typedef struct trust_key trust_key;

/* PEM public key ("PUBLIC KEY"), private key (PKCS#8 or traditional,
 * unencrypted) or certificate (its public key).  alg JWS_ALG_INVALID picks the
 * key type's default (RS256 / ES256 / ES384 / EdDSA).  kid may be NULL: then
 * the RFC 7638 thumbprint is used.  NULL on error. */
trust_key *key_from_pem(const char *pem, size_t len, enum jws_alg alg,
                        const char *kid, char *err, size_t errlen);
/* One public JWK (RFC 7517/7518/8037: RSA n/e, EC crv/x/y, OKP Ed25519 x).
 * Private members ("d", "p", ...) are refused.  The alg is the JWK's "alg"
 * when present (it must fit the key), else default_alg when not INVALID,
 * else the key type's default.  "use" other than "sig" is refused.  A JWK
 * without "kid" gets its thumbprint. */
trust_key *key_from_jwk(const json_t *jwk, enum jws_alg default_alg,
                        char *err, size_t errlen);
/* HS256 shared secret, only ever by explicit configuration. */
trust_key *key_hmac_new(const void *secret, size_t len, const char *kid,
                        char *err, size_t errlen);
/* Fresh private key: RSA 2048 (RS256), P-256 (ES256) or Ed25519 (EdDSA);
 * kid = thumbprint. */
trust_key *key_generate(enum key_type t, char *err, size_t errlen);

trust_key *key_ref(trust_key *k);        /* returns k */
void key_unref(trust_key *k);            /* NULL ok; frees at zero */

const char *key_kid(const trust_key *k);
enum jws_alg key_alg(const trust_key *k);
int key_is_private(const trust_key *k);
int key_bits(const trust_key *k);

/* RFC 7638 thumbprint: b64url(SHA-256(canonical JWK)), 43 chars + NUL.
 * 0 / -1 (HMAC keys have none). */
int key_thumbprint(const trust_key *k, char out[44]);
/* Public JWK: kty, key members, "kid", "alg", "use":"sig".  Never private
 * members.  New reference; NULL for HMAC keys. */
json_t *key_to_jwk(const trust_key *k);
/* PEM text; the private form is secret (release with trust_free_secret). */
char *key_public_pem(const trust_key *k);
char *key_private_pem(const trust_key *k);
/* Shortcut for `oprovctl init`/key rotation: new private key as PKCS#8 PEM. */
char *key_generate_pem(enum key_type t, char *err, size_t errlen);

/* ======================================================================
 * TLS server keys: raw signatures for a TLS stack that keeps its own
 * protocol code (oprov-httpsd hands these to GnuTLS as an external key)
 * ====================================================================== */

/* The signature schemes a TLS 1.2 / 1.3 server makes (RFC 8446 §4.2.3,
 * RFC 5246 §7.4.1.4.1).  PSS is the "rsae" form (rsaEncryption key) with
 * MGF1 over the same hash and salt length = hash length.  ECDSA signatures
 * are DER (Ecdsa-Sig-Value), as TLS carries them; any supported curve with
 * any of the hashes (TLS 1.3 ties P-256 to SHA-256, P-384 to SHA-384: that
 * choice is the TLS stack's).  SIG_RSA_PKCS1_RAW signs a caller-made DER
 * DigestInfo with PKCS#1 v1.5 type 1 padding, only through
 * key_sign_digest(). */
enum trust_sig_scheme {
	SIG_SCHEME_INVALID = 0,
	SIG_RSA_PKCS1_SHA256, SIG_RSA_PKCS1_SHA384, SIG_RSA_PKCS1_SHA512,
	SIG_RSA_PKCS1_RAW,
	SIG_RSA_PSS_SHA256, SIG_RSA_PSS_SHA384, SIG_RSA_PSS_SHA512,
	SIG_ECDSA_SHA256, SIG_ECDSA_SHA384, SIG_ECDSA_SHA512,
	SIG_ED25519,
	SIG_SCHEME_COUNT
};
#define KEY_SIG_MAX 512          /* bytes: RSA 4096, DER ECDSA P-384 */

/* Key families of a TLS key. */
enum key_family { KEY_FAMILY_NONE = 0, KEY_FAMILY_RSA, KEY_FAMILY_EC,
                  KEY_FAMILY_ED25519 };

/* A PEM private key (PKCS#8 or traditional, unencrypted) for TLS: RSA of
 * 2048 bits or more, EC P-256 / P-384, or Ed25519.  The key is bound to NO
 * JWS algorithm: jws_sign(), tok_mint() and verification refuse it, so a TLS
 * key can never sign or check a token.  The caller wipes its PEM copy.  NULL
 * on error (public keys and certificates are refused). */
trust_key *key_tls_from_pem(const char *pem, size_t len, char *err,
                            size_t errlen);
enum key_family key_family(const trust_key *k);
/* 1 when k can sign with scheme s (family and curve fit), else 0. */
int key_sig_supported(const trust_key *k, enum trust_sig_scheme s);
/* Hashes data with the scheme's hash and signs it (Ed25519: signs the data
 * itself, RFC 8032 PureEdDSA).  sig has room for sigcap bytes (KEY_SIG_MAX
 * is enough).  Only keys from key_tls_from_pem() sign here.  0 / -1. */
int key_sign_raw(const trust_key *k, enum trust_sig_scheme s,
                 const void *data, size_t len, uint8_t *sig, size_t sigcap,
                 size_t *siglen, char *err, size_t errlen);
/* Signs a digest the caller computed: len must be the scheme's hash length
 * (32/48/64); for SIG_RSA_PKCS1_RAW, digest is a whole DER DigestInfo (at
 * most 128 bytes).  Ed25519 has no pre-hashed form here.  0 / -1. */
int key_sign_digest(const trust_key *k, enum trust_sig_scheme s,
                    const void *digest, size_t len, uint8_t *sig,
                    size_t sigcap, size_t *siglen, char *err, size_t errlen);

/* ======================================================================
 * Key sets (one issuer's keys) and the key store
 * ====================================================================== */
/* A key set is built by one thread and then handed over (keystore_set);
 * it is not locked itself. */
typedef struct keyset keyset;

#define KEYSET_MAX_KEYS 64

keyset *keyset_new(void);
void keyset_free(keyset *ks);            /* NULL ok */
/* Adds a reference to k.  Refuses a duplicate kid and more than
 * KEYSET_MAX_KEYS keys.  0 / -1. */
int keyset_add(keyset *ks, trust_key *k, char *err, size_t errlen);
size_t keyset_count(const keyset *ks);
trust_key *keyset_get(const keyset *ks, size_t i);   /* borrowed */
/* {"keys":[...]} JWKS document (RFC 7517 §5).  Every key must load; a JWKS
 * with any bad member is refused whole.  NULL on error. */
keyset *keyset_from_jwks(const json_t *jwks, enum jws_alg default_alg,
                         char *err, size_t errlen);
keyset *keyset_from_jwks_text(const char *text, size_t len,
                              enum jws_alg default_alg, char *err, size_t errlen);
keyset *keyset_from_jwks_file(const char *path, enum jws_alg default_alg,
                              char *err, size_t errlen);
/* Public JWKS of every key except HMAC ones.  New reference. */
json_t *keyset_to_jwks(const keyset *ks);

/*
 * Verification keys looked up by (issuer, kid) only.  keystore_set() replaces
 * an issuer's whole key set atomically: a validation running concurrently
 * sees either the old or the new set, never a mix, and keys stay alive while
 * in use (reference counts).  Each replacement bumps a generation that the
 * token cache compares, so a token verified with a key that has since been
 * rotated out is verified again.
 */
typedef struct keystore keystore;

#define KEYSTORE_MAX_ISSUERS 32

keystore *keystore_new(void);
void keystore_free(keystore *st);
/* Takes ownership of ks (also on failure).  ks NULL removes the issuer. */
int keystore_set(keystore *st, const char *issuer, keyset *ks,
                 char *err, size_t errlen);
/* Convenience: keystore_set(issuer, keyset_from_jwks_file(path)). */
int keystore_load_jwks_file(keystore *st, const char *issuer, const char *path,
                            enum jws_alg default_alg, char *err, size_t errlen);
/* New reference to the key, or NULL. kid is compared byte for byte. */
trust_key *keystore_get(keystore *st, const char *issuer, const char *kid,
                        size_t kidlen);
uint64_t keystore_generation(const keystore *st);

/* ======================================================================
 * JWS (RFC 7515 compact serialization)
 * ====================================================================== */

/* Signs `payload` with header {"alg":…,"typ":typ,"kid":…} (typ NULL: none).
 * Returns the compact JWS, or NULL.  Only RS256, ES256, EdDSA (our issuer)
 * and HS256 keys sign. */
char *jws_sign(const trust_key *k, const char *typ, const void *payload,
               size_t plen, char *err, size_t errlen);
/* Same with a caller-made protected header (tests and fuzz_token). */
char *jws_sign_header(const trust_key *k, const char *header_json,
                      const void *payload, size_t plen, char *err, size_t errlen);

/* ======================================================================
 * Access tokens
 * ====================================================================== */
enum tok_verdict {
	TOK_OK = 0,
	TOK_MALFORMED,          /* segments, base64url, JSON, duplicate names */
	TOK_TOO_LARGE,          /* over max_size or header cap */
	TOK_CRIT_UNSUPPORTED,   /* `crit` present: we understand no extension */
	TOK_ALG_NOT_ALLOWED,    /* none, unknown, not in allowlist, != key's */
	TOK_UNKNOWN_KEY,        /* no kid, or (issuer, kid) not in the store */
	TOK_BAD_SIGNATURE,
	TOK_WRONG_TYPE,         /* typ not at+jwt / application/at+jwt */
	TOK_WRONG_ISSUER,
	TOK_WRONG_AUDIENCE,
	TOK_EXPIRED,
	TOK_NOT_YET_VALID,      /* nbf or iat in the future beyond skew */
	TOK_LIFETIME_TOO_LONG,  /* exp - iat over max_lifetime */
	TOK_MISSING_CLAIM,      /* one of iss exp aud sub client_id iat jti */
	TOK_INVALID_CLAIM,      /* wrong JSON type, too long, date out of range */
	TOK_REVOKED,
	TOK_VERDICT_COUNT
};
/* "ok", "malformed", "bad_signature", ... (static). */
const char *tok_verdict_name(enum tok_verdict v);

/* The claims of a validated token (fixed buffers, NUL-terminated; an absent
 * optional claim is ""; times are whole seconds: exp rounded down, iat and
 * nbf rounded up, so rounding never lengthens validity). */
struct tok_claims {
	char iss[TOK_ISS_MAX];
	char sub[TOK_SUB_MAX];
	char dev[TOK_DEV_MAX];
	char client_id[TOK_CLIENT_ID_MAX];
	char scope[TOK_SCOPE_MAX];
	char jti[TOK_JTI_MAX];
	char kid[TOK_KID_MAX];
	enum jws_alg alg;
	int64_t exp, iat, nbf;  /* nbf 0 when absent */
};
/* 1 when the space-separated scope list holds `want` exactly. */
int tok_scope_has(const struct tok_claims *c, const char *want);

/* The clock: seconds since the epoch.  Tests inject their own. */
typedef int64_t (*tok_clock_fn)(void *arg);
/* Revocation check, consulted on every use, cached or not: return non-zero
 * when the token (by jti, sub, client_id …) is revoked.  Must be thread-safe
 * and fast; it runs on every request. */
typedef int (*tok_revoked_fn)(void *arg, const struct tok_claims *c);

struct tok_config {
	const char *issuer;      /* required: exact match of `iss` */
	/* Further accepted issuers (external identity providers whose JWKS is
	 * in the key store).  A token's kid is looked up under each issuer in
	 * order (issuer first); `iss` must then be the issuer that owns the
	 * key that verified it. */
	const char *const *more_issuers;
	size_t n_more_issuers;
	const char *audience;    /* required: must be in `aud` */
	int skew;                /* seconds; < 0 means default; capped at 60 */
	int64_t max_lifetime;    /* seconds; 0 means default */
	size_t max_size;         /* bytes; 0 means default */
	unsigned algs;           /* JWS_ALG_BIT mask; 0 means JWS_ALGS_DEFAULT */
	size_t cache_entries;    /* 0 means default; SIZE_MAX disables cache */
	tok_clock_fn clock;      /* NULL: time(NULL) */
	void *clock_arg;
	tok_revoked_fn revoked;  /* NULL: nothing is revoked */
	void *revoked_arg;
};

typedef struct tok_validator tok_validator;

/* The key store is borrowed and must outlive the validator; the config's
 * strings are copied.  The validator owns its verified-token cache. */
tok_validator *tok_validator_new(const struct tok_config *cfg, keystore *keys,
                                 char *err, size_t errlen);
void tok_validator_free(tok_validator *v);

/*
 * Validates a compact access token in exactly the order of standards.md
 * "Access tokens" and stops at the first failure:
 *   size → 3 segments + strict base64url → header JSON (duplicates refused) →
 *   crit → alg allowlist / none → kid in the store (issuer from the config) →
 *   key strength and alg binding → signature → typ → claims JSON (duplicates
 *   refused) → required claims (present; strings non-empty and within the
 *   sizes above; dates numbers in range) → iss → aud → exp → nbf → iat →
 *   lifetime → revocation.
 * jku, x5u, x5c and an embedded jwk are never used.  On TOK_OK *out holds the
 * claims; on any other verdict its contents are unspecified.  A verified
 * token is cached by SHA-256 until exp + skew; a cache hit skips signature and
 * JSON work but still checks expiry and revocation.  Scope and device binding
 * are policy_decide()'s job.
 */
enum tok_verdict tok_validate(tok_validator *v, const char *token, size_t len,
                              struct tok_claims *out);

/* Cache statistics (for status pages and tests). */
struct tok_cache_stats {
	uint64_t hits, misses, inserts, evictions, entries, capacity;
};
void tok_cache_stats(tok_validator *v, struct tok_cache_stats *out);
void tok_cache_flush(tok_validator *v);

/* Verifies only the JWS layer (steps 1-7: shape, header, crit, alg, key,
 * signature) with one given key, whatever the kid, and only for the key's
 * own algorithm; no typ or claim check.  For published test vectors and
 * `oprovctl token verify` diagnostics.  On
 * TOK_OK and payload != NULL, *payload is the decoded payload (malloc'd,
 * NUL-terminated, caller frees) and *plen its length. */
enum tok_verdict jws_verify_compact(const trust_key *k, const char *token,
                                    size_t len, char **payload, size_t *plen);

/* Decodes header and payload of any compact JWS WITHOUT verifying anything:
 * the result is attacker-controlled data (for `oprovctl token inspect`).
 * *claims is NULL when the payload is not JSON.  0 / -1. */
int tok_inspect(const char *token, size_t len, json_t **header,
                json_t **claims, char *err, size_t errlen);

/* Mints an `at+jwt` access token (RFC 9068) signed by k: header
 * {"alg","typ":"at+jwt","kid"}, payload = claims as given (serialized
 * compactly, keys sorted).  The caller fills iss, sub, aud, client_id,
 * scope, iat, nbf, exp, jti (tok_mint_claims() builds the usual set). */
char *tok_mint(const trust_key *k, const json_t *claims, char *err,
               size_t errlen);
/* Claims object for tok_mint: iat = nbf = now, exp = now + lifetime, a fresh
 * random jti; dev, client_id, scope may be NULL (left out).  New reference. */
json_t *tok_mint_claims(const char *iss, const char *sub, const char *aud,
                        const char *dev, const char *client_id,
                        const char *scope, int64_t now, int64_t lifetime);

/* ======================================================================
 * Certificates
 * ====================================================================== */
enum cert_purpose {
	CERT_TOMCAT_TRUST = 1,   /* CAs for 5091 peers (Expressway-C) */
	CERT_PHONE_EDGE_TRUST,   /* CAs phones use; at most 16 */
	CERT_GENERIC
};
enum cert_use { CERT_USE_SSL_CLIENT = 1, CERT_USE_SSL_SERVER };

typedef struct certstore certstore;

certstore *certstore_new(enum cert_purpose p);
void certstore_free(certstore *cs);
/* Adds every certificate of a PEM bundle.  All or nothing: a bad member or
 * going over the purpose's limit adds none.  Certificates already in the
 * store are skipped (not counted twice).  Returns the number newly added,
 * or -1. */
int certstore_add_pem(certstore *cs, const char *pem, size_t len,
                      char *err, size_t errlen);
size_t certstore_count(const certstore *cs);
size_t certstore_limit(const certstore *cs);
/* Verifies a peer chain, leaf first, each element DER, against the store
 * (X509_STORE, purpose SSL client or server).  now 0: the real time.  0 / -1. */
int certstore_verify_der(certstore *cs, const uint8_t *const *der,
                         const size_t *derlen, size_t n, enum cert_use use,
                         time_t now, char *err, size_t errlen);
/* Same with a PEM bundle, leaf first. */
int certstore_verify_pem(certstore *cs, const char *pem, size_t len,
                         enum cert_use use, time_t now, char *err, size_t errlen);
/* The underlying X509_STORE * (borrowed, for SSL_CTX_set1_verify_cert_store in
 * sip/tls.c).  Do not modify it. */
void *certstore_x509_store(certstore *cs);

/* Matches a leaf certificate (DER or PEM) against allowed names (as an
 * administrator recorded them for an Expressway-C), RFC 6125 style: the SAN
 * dNSName entries decide when there are any (whole names, case-insensitive;
 * a wildcard entry matches only the same wildcard recorded as the name),
 * the subject CN (exact, case-insensitive) only when there is no dNSName;
 * SAN URI entries (exact) and the whole subject in RFC 2253 form (exact)
 * always.  Returns the index of the first matching name, or -1. */
int cert_match_names_der(const uint8_t *der, size_t len,
                         const char *const *names, size_t n);
int cert_match_names_pem(const char *pem, size_t len,
                         const char *const *names, size_t n);

struct cert_info {
	char subject[256];       /* RFC 2253 one-line form */
	char issuer[256];
	char cn[128];            /* subject CN or "" */
	time_t not_before, not_after;
	char sha256_hex[65];     /* fingerprint of the DER, plain lowercase */
	char sha256_colon[96];   /* "AB:CD:…" uppercase, as openssl prints it */
	int is_ca;
	int bits;                /* public key size */
};
/* The first certificate of a PEM text.  0 / -1. */
int cert_info_pem(const char *pem, size_t len, struct cert_info *out,
                  char *err, size_t errlen);
int cert_info_der(const uint8_t *der, size_t len, struct cert_info *out,
                  char *err, size_t errlen);
/* Number of certificates in a PEM bundle (only well-formed ones), or -1. */
int cert_pem_count(const char *pem, size_t len);
/* Splits a PEM bundle into one malloc'd PEM string per certificate.
 * *out is a malloc'd array; free each then the array.  Count or -1. */
int cert_pem_split(const char *pem, size_t len, char ***out,
                   char *err, size_t errlen);
/* DER of the i-th certificate of a PEM bundle (malloc'd).  0 / -1. */
int cert_pem_to_der(const char *pem, size_t len, size_t index, uint8_t **der,
                    size_t *derlen, char *err, size_t errlen);

/* X.509 issuance for `oprovctl init` and tests.  issuer_cert_pem /
 * issuer_key_pem NULL means self-signed.  host: SAN DNS (and SAN IP when it
 * parses as an IPv4/IPv6 address); uri: SAN URI; both may be NULL.
 * Validity [not_before, not_after]; random 128-bit serial; SHA-256 (EdDSA:
 * none) signature.  *cert_pem and *key_pem are malloc'd (key: secret). */
struct x509_spec {
	enum key_type type;
	const char *cn;
	const char *host;
	const char *uri;
	int is_ca;               /* CA:TRUE, keyCertSign|cRLSign */
	int server_auth;         /* EKU serverAuth */
	int client_auth;         /* EKU clientAuth */
	time_t not_before, not_after;
};
int x509_issue(const struct x509_spec *spec, const char *issuer_cert_pem,
               const char *issuer_key_pem, char **cert_pem, char **key_pem,
               char *err, size_t errlen);
/* Self-signed CA valid `days` from now. */
int x509_make_ca(enum key_type t, const char *cn, int days, char **cert_pem,
                 char **key_pem, char *err, size_t errlen);
/* The "tomcat" server certificate: CN = SAN = host, EKU serverAuth+clientAuth. */
int x509_make_server(const char *ca_cert_pem, const char *ca_key_pem,
                     enum key_type t, const char *host, int days,
                     char **cert_pem, char **key_pem, char *err, size_t errlen);
/* Client certificate (EKU clientAuth; SAN DNS host when not NULL). */
int x509_make_client(const char *ca_cert_pem, const char *ca_key_pem,
                     enum key_type t, const char *cn, const char *host, int days,
                     char **cert_pem, char **key_pem, char *err, size_t errlen);

/* ======================================================================
 * Trust lists (.tlv: ITLFile.tlv, CTLFile.tlv) and signed files (.sgn)
 * Layout and sources: docs/formats.md.  Both start with the same header of
 * tag (1 byte), length (2 bytes, big-endian), value fields; the signature
 * (RSA PKCS#1 v1.5) covers the whole file with the SIGNATURE field taken
 * out.  Readers are length-bounded and strict: every field must lie inside
 * its container, strings must end in their one NUL, unknown tags refuse
 * the file.  Parsed structs point into the caller's buffer (borrowed).
 * ====================================================================== */
#define TLV_FILE_MAX     (1024 * 1024)  /* largest .tlv read or written */
#define TLV_RECORDS_MAX  64             /* records in one trust list */
#define TLV_CERT_MAX     16384          /* one certificate, DER */
#define TLV_NAME_MAX     1024           /* subject / issuer text with NUL */
#define TLV_SERIAL_MAX   32             /* certificate serial, bytes */
#define TLV_PUBKEY_MAX   1100           /* RSA 8192 PKCS#1 or EC point */
#define TLV_CERTSIG_MAX  1100           /* a certificate's signature */
#define TLV_FILENAME_MAX 256            /* HEADER_FILENAME with NUL */
#define TLV_SAST_MAX     2              /* SAST records a phone keeps */
#define SGN_FILE_MAX     (64 * 1024 * 1024) /* largest file signed as .sgn */

/* Record roles ("functions"), as the published tool numbers them. */
enum tlv_role {
	TLV_ROLE_SAST = 0, TLV_ROLE_CCM = 1, TLV_ROLE_CCM_TFTP = 2,
	TLV_ROLE_TFTP = 3, TLV_ROLE_CAPF = 4, TLV_ROLE_APP_SERVER = 7,
	TLV_ROLE_TVS = 21
};
/* "SAST", "CCM+TFTP", ...; NULL for a number not in the list. */
const char *tlv_role_name(unsigned role);

struct tlv_header {
	unsigned fmt_major, fmt_minor;   /* HEADER_VERSION (we write 1.2) */
	size_t header_len;               /* HEADER_LENGTH: bytes before records/content */
	int has_signer_version;          /* .tlv: HEADER_SIGNER_VERSION */
	unsigned signer_major, signer_minor; /* 1.1: phones fetch configs over 6971 */
	const char *signer_name;         /* NUL-terminated inside the buffer */
	const char *issuer_name;
	const uint8_t *serial;
	size_t serial_len;
	unsigned hash_code;              /* as written in the file */
	int hash_bits;                   /* 160, 256 or 512 */
	unsigned sig_alg, sig_modulus;
	const uint8_t *sig;
	size_t sig_len;
	size_t sig_off;                  /* offset of the SIGNATURE field's tag */
	const char *filename;
	uint32_t timestamp;
};
struct tlv_record {
	int has_role;
	unsigned role;
	const char *subject, *issuer, *dns_name;   /* NULL when absent */
	const uint8_t *serial;
	size_t serial_len;
	const uint8_t *pubkey;
	size_t pubkey_len;
	const uint8_t *cert;             /* DER, NULL when absent */
	size_t cert_len;
};
struct tlv_list {
	struct tlv_header h;
	size_t nrec;
	struct tlv_record rec[TLV_RECORDS_MAX];
};
struct sgn_file {
	struct tlv_header h;
	const uint8_t *content;          /* the signed file itself */
	size_t content_len;
};

/* 0 with *out filled, -1 with err naming the first fault. */
int tlv_parse(const uint8_t *p, size_t n, struct tlv_list *out, char *err,
              size_t errlen);
int sgn_parse(const uint8_t *p, size_t n, struct sgn_file *out, char *err,
              size_t errlen);
/* The record that signed the list: role SAST with the header's serial.
 * NULL when there is none. */
const struct tlv_record *tlv_signer(const struct tlv_list *l);
/* Signature checks, 0 valid / -1 (err says why).  _with: against the given
 * certificate (DER).  _self: against the list's own signer record (what a
 * phone without a list accepts).  _trusted: the signer must be a SAST
 * record of prev (the list the phone already holds) and the signature is
 * checked with prev's certificate, so a rotated list is accepted exactly
 * when the previous list vouches for its signer. */
int tlv_verify_with(const struct tlv_list *l, const uint8_t *p, size_t n,
                    const uint8_t *cert, size_t cert_len, char *err,
                    size_t errlen);
int tlv_verify_self(const struct tlv_list *l, const uint8_t *p, size_t n,
                    char *err, size_t errlen);
int tlv_verify_trusted(const struct tlv_list *l, const uint8_t *p, size_t n,
                       const struct tlv_list *prev, char *err, size_t errlen);
int sgn_verify(const struct sgn_file *f, const uint8_t *p, size_t n,
               const uint8_t *cert, size_t cert_len, char *err, size_t errlen);

/* Writing.  The signer is an RSA key from key_tls_from_pem() with its
 * certificate (DER); .tlv files are signed with SHA-512, .sgn files with
 * SHA-256.  The output depends only on the inputs (PKCS#1 v1.5 is
 * deterministic), so a list changes exactly when its content or timestamp
 * does.  *out is malloc'd. */
struct tlv_signer {
	const trust_key *key;
	const uint8_t *cert;
	size_t cert_len;
};
struct tlv_entry {
	enum tlv_role role;
	const uint8_t *cert;             /* DER */
	size_t cert_len;
};
int tlv_build(const struct tlv_signer *s, const char *filename,
              unsigned signer_major, unsigned signer_minor, uint32_t timestamp,
              const struct tlv_entry *e, size_t n, uint8_t **out,
              size_t *outlen, char *err, size_t errlen);
int sgn_build(const struct tlv_signer *s, const char *filename,
              uint32_t timestamp, const void *content, size_t len,
              uint8_t **out, size_t *outlen, char *err, size_t errlen);

/* ======================================================================
 * The one decision (DESIGN.md "The one decision")
 * ====================================================================== */
enum policy_channel {
	CH_HTTPS_CONFIG = 1,     /* 6971: bearer token required */
	CH_HTTP_PUBLIC,          /* 6970: public files, legacy configs */
	CH_TFTP,                 /* 69/udp: same as 6970 */
	CH_SIP_TLS,              /* 5090 */
	CH_SIP_MTLS              /* 5091: peer must be a listed Expressway-C */
};
enum policy_reason {
	POLICY_ALLOW = 0,
	POLICY_NO_TOKEN,
	POLICY_INVALID_TOKEN,
	POLICY_WRONG_DEVICE,
	POLICY_NEEDS_SECURE_CHANNEL,
	POLICY_PORT_MISMATCH,
	POLICY_PEER_NOT_TRUSTED,
	POLICY_NOT_FOUND
};
enum policy_peer {
	PEER_NONE = 0,           /* no client certificate (5090, HTTP, TFTP) */
	PEER_TRUSTED,            /* chain verified and names matched */
	PEER_UNTRUSTED
};
/* What the request targets: a device-specific file (SEP<MAC>.cnf.xml) or SIP
 * registration for a device, or a public file (trust lists, firmware,
 * defaults).  `exists` means the device / the public file exists. */
struct policy_target {
	/* A trust list (ITLFile.tlv, CTLFile.tlv, ITLSEP<MAC>.tlv, ...): only
	 * public certificates, the same list whatever device it is named
	 * after, and what a phone needs before it can trust 6971 or hold a
	 * token.  Public on 6970 and TFTP for every device; on 6971 like any
	 * public file. */
	int trust_list;
	int device_specific;
	int exists;
	int oauth_enabled;       /* device's security profile has OAuth */
	const char *name;        /* device name, e.g. SEP001122334455 */
	const char *owner;       /* owner user id or NULL */
};
struct policy_input {
	enum policy_channel channel;
	struct policy_target target;
	int token_present;       /* a bearer token was presented */
	enum tok_verdict verdict;          /* of tok_validate(), when present */
	const struct tok_claims *claims;   /* when verdict == TOK_OK */
	enum policy_peer peer;             /* 5091 */
	int cluster_sip_oauth;             /* cluster SIP OAuth mode on */
	/* SIP: the REGISTER's address-of-record is one of the target
	 * device's lines (RFC 3261 §10.3 step 3: the credentials must cover
	 * the AOR).  Unset = not a line: a SIP caller that forgets it is
	 * refused. */
	int sip_aor_is_line;
};
struct policy_result {
	enum policy_reason reason;
	const char *why;         /* short static text for the log line */
};
struct policy_result policy_decide(const struct policy_input *in);
const char *policy_reason_name(enum policy_reason r);   /* "ALLOW", ... */
const char *policy_channel_name(enum policy_channel c); /* "https-6971", ... */

#endif
