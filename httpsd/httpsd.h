/*
 * httpsd.h - the contract of httpsd/'s pure pieces: the parsers of what an
 * HTTP peer sends (Authorization header, form bodies, Range, If-None-Match,
 * If-Range, HTTP dates, request paths and query strings, scope words), the
 * request-framing rules and the builders of the challenge headers.  They
 * touch no socket, no store and no global state, so the unit tests and the
 * fuzz harness drive them directly.  Everything about the
 * daemon itself (libmicrohttpd, listeners, handlers) is private to the folder
 * (httpsd_int.h).
 *
 * Every input is (pointer, length) and may contain any byte; nothing relies on
 * a terminating NUL the peer may not have sent.
 */
#ifndef OPROV_HTTPSD_H
#define OPROV_HTTPSD_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- limits ---------------------------------------------------------------- */
#define HTTPSD_TOKEN_MAX      8192   /* bearer token bytes (TOK_MAX_SIZE_DEFAULT) */
#define HTTPSD_FORM_MAX       16384  /* POST body bytes on 8443 */
#define HTTPSD_FORM_FIELDS    16     /* name=value pairs in one form */
#define HTTPSD_PATH_MAX       1024   /* decoded request path */
#define HTTPSD_CREDS_MAX      512    /* decoded Basic credentials */

/* ---- Authorization: Bearer (RFC 6750 §2.1) ----------------------------------
 *   credentials = "Bearer" 1*SP b64token
 *   b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 * The scheme is case-insensitive (RFC 9110 §11.1); surrounding whitespace is
 * tolerated because proxies add it. */
enum httpsd_auth {
	HTTPSD_AUTH_NONE = 0,        /* no Authorization header */
	HTTPSD_AUTH_BEARER,          /* *tok / *toklen point into the value */
	HTTPSD_AUTH_OTHER_SCHEME,    /* Basic, Digest …: no bearer credentials */
	HTTPSD_AUTH_MALFORMED,       /* "Bearer" with bad or missing b64token */
	HTTPSD_AUTH_TOO_LARGE        /* b64token longer than the caller's max */
};
enum httpsd_auth httpsd_bearer_parse(const char *v, size_t len, size_t max,
                                     const char **tok, size_t *toklen);

/* ---- Authorization: Basic for client_secret_basic (RFC 6749 §2.3.1) --------
 * Decodes the base64 credentials and splits them at the first ':'; both
 * halves are then form-url-decoded as §2.3.1 requires.  id and secret are
 * NUL-terminated in the caller's buffers.  0, or -1 when not Basic or
 * malformed (also when a part holds a NUL or is too long). */
int httpsd_basic_parse(const char *v, size_t len, char *id, size_t idsz,
                       char *secret, size_t secretsz);

/* ---- application/x-www-form-urlencoded -------------------------------------
 * Names and values are decoded ('+' = space, %XX) into `buf`; a name given
 * twice is refused (RFC 6749 §3.2: parameters MUST NOT be repeated), as are
 * bad escapes, %00 and more than HTTPSD_FORM_FIELDS pairs. */
struct httpsd_form {
	size_t n;
	struct {
		const char *name;    /* into buf, NUL-terminated */
		const char *value;
		size_t vlen;
	} f[HTTPSD_FORM_FIELDS];
	char buf[HTTPSD_FORM_MAX + HTTPSD_FORM_FIELDS * 2];
};
enum httpsd_form_result {
	HTTPSD_FORM_OK = 0,
	HTTPSD_FORM_MALFORMED = -1,
	HTTPSD_FORM_DUPLICATE = -2,
	HTTPSD_FORM_TOO_LARGE = -3
};
enum httpsd_form_result httpsd_form_parse(const char *body, size_t len,
                                          struct httpsd_form *out);
/* The value of `name`, or NULL when absent. */
const char *httpsd_form_get(const struct httpsd_form *f, const char *name);

/* 1 when a query string ("a=b&c=d", without the '?') names parameter `name`
 * (after decoding), else 0.  Used to refuse access_token in the URI
 * (RFC 6750 §2.3 is not offered). */
int httpsd_query_has(const char *q, size_t len, const char *name);

/* ---- Range (RFC 9110 §14) ---------------------------------------------------
 * One byte range only; anything we do not understand (other units, several
 * ranges, bad syntax) is ignored, which §14.2 allows, and the whole file is
 * sent. */
enum httpsd_range {
	HTTPSD_RANGE_NONE = 0,       /* serve the whole representation */
	HTTPSD_RANGE_OK,             /* *start, *count */
	HTTPSD_RANGE_UNSATISFIABLE   /* 416 with Content-Range: bytes * / size */
};
enum httpsd_range httpsd_range_parse(const char *v, size_t len, uint64_t size,
                                     uint64_t *start, uint64_t *count);

/* ---- If-None-Match (RFC 9110 §13.1.2, weak comparison) ----------------------
 * etag is our quoted strong tag ("\"abc\"").  1 when the header matches
 * ("*" or any listed tag, W/ ignored), 0 otherwise. */
int httpsd_etag_match(const char *v, size_t len, const char *etag);

/* ---- HTTP dates (RFC 9110 §5.6.7) --------------------------------------------
 * parse: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and the two obsolete
 * forms a recipient must accept (RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT",
 * asctime "Sun Nov  6 08:49:37 1994").  0 and *out (seconds since the
 * epoch), or -1.  format: IMF-fixdate into buf (at least
 * HTTPSD_DATE_MAX bytes). */
#define HTTPSD_DATE_MAX 64
int httpsd_http_date_parse(const char *v, size_t len, int64_t *out);
void httpsd_http_date_format(int64_t t, char buf[HTTPSD_DATE_MAX]);

/* ---- If-Range (RFC 9110 §13.1.5) ------------------------------------------------
 * 1 when a Range may be honoured: the validator is our strong etag (exact,
 * never W/), or an HTTP date equal to the file's Last-Modified (a date is
 * only a strong validator when the file is older than a second; the caller
 * passes mtime_strong = 0 otherwise).  0 for anything else: the whole file
 * is sent with 200, so a resumed download never splices two versions. */
int httpsd_if_range_ok(const char *v, size_t len, const char *etag,
                       int64_t mtime, int mtime_strong);

/* ---- request paths ------------------------------------------------------------
 * Decodes the raw request-target's path (up to '?'), strictly: %XX with two
 * hex digits, no %00 and no control bytes (decoded or not), no '\\'.  Writes
 * the decoded path, NUL-terminated, without the leading '/'.  Then refuses
 * absolute or traversing forms: empty components ("a//b"), "." and "..",
 * a trailing '/'.  Returns the decoded length, or -1.  *query / *qlen receive
 * the raw query (after '?', may be empty). */
long httpsd_path_decode(const char *raw, size_t len, char *out, size_t outsz,
                        const char **query, size_t *qlen);

/* ---- challenges ---------------------------------------------------------------
 * WWW-Authenticate: Bearer realm="…"[, error="…"][, error_description="…"]
 * [, scope="…"] (RFC 6750 §3).  Every argument except realm may be NULL; the
 * texts are ours (no quotes or backslashes are escaped, none are allowed).
 * Returns the length written, or -1 when it does not fit. */
long httpsd_bearer_challenge(char *buf, size_t sz, const char *realm,
                             const char *error, const char *desc,
                             const char *scope);

/* ---- scope words (RFC 6749 §3.3) ----------------------------------------------
 * Scopes are NUL-terminated, space-separated words (ours or already bounded
 * by the form parser).  has: 1 when the word (n bytes) is one of `have`'s;
 * subset: 1 when every word of `want` is in `have`; intersect: the words of
 * `want` that are in `have`, in want's order, into out ("" when none), -1
 * when out is too small. */
int httpsd_scope_has(const char *have, const char *word, size_t n);
int httpsd_scope_subset(const char *want, const char *have);
int httpsd_scope_intersect(const char *want, const char *have, char *out,
                           size_t outsz);

/* ---- request framing (RFC 9112 §3.2, §6.3) -------------------------------------
 * What a request's headers say about its framing, checked before any
 * handler runs: HTTP/1.1 needs exactly one Host; Content-Length beside
 * Transfer-Encoding is a smuggling vector and is refused (answered with 400
 * and the connection closed).  NULL when fine, else the reason (static). */
const char *httpsd_framing_check(const char *version, unsigned nhost,
                                 unsigned ncontent_length,
                                 unsigned ntransfer_encoding);


#endif
