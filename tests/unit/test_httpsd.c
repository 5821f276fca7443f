/* Unit tests for httpsd/'s pure parsers: bearer and Basic credentials, forms,
 * query strings, Range, If-None-Match, request paths, challenges, HTTP dates,
 * If-Range, request framing, scope words. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpsd/httpsd.h"

static enum httpsd_auth
bearer(const char *s, const char **tok, size_t *tl)
{
	return httpsd_bearer_parse(s, strlen(s), HTTPSD_TOKEN_MAX, tok, tl);
}

Test(bearer, accepts_any_scheme_case)
{
	const char *t = NULL;
	size_t n = 0;
	const char *ok[] = { "Bearer abc.def.ghi", "bearer abc.def.ghi",
	                     "BEARER abc.def.ghi", "  Bearer   abc.def.ghi  " };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(bearer(ok[i], &t, &n), HTTPSD_AUTH_BEARER, "%s", ok[i]);
		cr_assert_eq(n, 11);
		cr_assert(memcmp(t, "abc.def.ghi", 11) == 0);
	}
	cr_assert_eq(bearer("Bearer a-._~+/b==", &t, &n), HTTPSD_AUTH_BEARER);
	cr_assert_eq(n, 10);
}

Test(bearer, refuses_bad_syntax)
{
	const char *t;
	size_t n;
	const char *bad[] = { "Bearer", "Bearer ", "Bearer a b", "Bearer a=b",
	                      "Bearer a,b", "Bearer \"abc\"",
	                      "Bearer a\tb", "Bearer =", "",
	                      "Bearer ab\x01", "Bearer t\xc3\xa9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum httpsd_auth r = bearer(bad[i], &t, &n);
		cr_assert(r == HTTPSD_AUTH_MALFORMED, "accepted \"%s\" (%d)", bad[i], r);
	}
	cr_assert_eq(bearer("Basic Zm9vOmJhcg==", &t, &n), HTTPSD_AUTH_OTHER_SCHEME);
	cr_assert_eq(bearer("Bearerx abc", &t, &n), HTTPSD_AUTH_OTHER_SCHEME);
	cr_assert_eq(bearer("Bearer=abc", &t, &n), HTTPSD_AUTH_OTHER_SCHEME);
	cr_assert_eq(bearer("Bearerabc", &t, &n), HTTPSD_AUTH_OTHER_SCHEME);
	cr_assert_eq(httpsd_bearer_parse(NULL, 0, 10, &t, &n), HTTPSD_AUTH_NONE);
}

Test(bearer, size_cap)
{
	const char *t;
	size_t n;
	char *big = malloc(HTTPSD_TOKEN_MAX + 9);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', HTTPSD_TOKEN_MAX + 1);
	cr_assert_eq(httpsd_bearer_parse(big, 7 + HTTPSD_TOKEN_MAX + 1,
	                                 HTTPSD_TOKEN_MAX, &t, &n), HTTPSD_AUTH_TOO_LARGE);
	cr_assert_eq(httpsd_bearer_parse(big, 7 + HTTPSD_TOKEN_MAX,
	                                 HTTPSD_TOKEN_MAX, &t, &n), HTTPSD_AUTH_BEARER);
	cr_assert_eq(n, HTTPSD_TOKEN_MAX);
	free(big);
}

Test(bearer, does_not_read_past_len)
{
	const char *t;
	size_t n;
	/* Only "Bearer ab" is in range; the rest must not be seen. */
	cr_assert_eq(httpsd_bearer_parse("Bearer ab cd", 9, 100, &t, &n),
	             HTTPSD_AUTH_BEARER);
	cr_assert_eq(n, 2);
}

Test(basic, decodes_client_secret_basic)
{
	char id[64], sec[64];
	/* "my%20client:s%3Acret+x" -> id "my client", secret "s:cret x" */
	const char *h = "Basic bXklMjBjbGllbnQ6cyUzQWNyZXQreA==";
	cr_assert_eq(httpsd_basic_parse(h, strlen(h), id, sizeof(id), sec, sizeof(sec)), 0);
	cr_assert_str_eq(id, "my client");
	cr_assert_str_eq(sec, "s:cret x");
	h = "basic YWRtaW46c2VjcmV0";                    /* admin:secret */
	cr_assert_eq(httpsd_basic_parse(h, strlen(h), id, sizeof(id), sec, sizeof(sec)), 0);
	cr_assert_str_eq(id, "admin");
	cr_assert_str_eq(sec, "secret");
}

Test(basic, refuses_bad)
{
	char id[8], sec[64];
	const char *bad[] = { "Bearer abc", "Basic", "Basic !!!!", "Basic YWRtaW4=",
	                      "Basic OnNlY3JldA==", /* ":secret": empty id */
	                      "Basic YWRtaW46c2VjcmV0=", "Basic YWRtaW46c2VjcmV0YQ=a",
	                      "Basic bG9uZ2xvbmdpZDpz" /* id too long for 8 */ };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(httpsd_basic_parse(bad[i], strlen(bad[i]), id, sizeof(id),
		                                sec, sizeof(sec)), -1, "%s", bad[i]);
}

Test(form, parses_and_decodes)
{
	static struct httpsd_form f;
	const char *b = "grant_type=refresh_token&refresh_token=a%2Bb+c&empty=&flag";
	cr_assert_eq(httpsd_form_parse(b, strlen(b), &f), HTTPSD_FORM_OK);
	cr_assert_eq(f.n, 4);
	cr_assert_str_eq(httpsd_form_get(&f, "grant_type"), "refresh_token");
	cr_assert_str_eq(httpsd_form_get(&f, "refresh_token"), "a+b c");
	cr_assert_str_eq(httpsd_form_get(&f, "empty"), "");
	cr_assert_str_eq(httpsd_form_get(&f, "flag"), "");
	cr_assert_null(httpsd_form_get(&f, "nope"));
	cr_assert_eq(httpsd_form_parse("", 0, &f), HTTPSD_FORM_OK);
	cr_assert_eq(f.n, 0);
}

Test(form, refuses_bad)
{
	static struct httpsd_form f;
	cr_assert_eq(httpsd_form_parse("a=1&a=2", 7, &f), HTTPSD_FORM_DUPLICATE);
	cr_assert_eq(httpsd_form_parse("a=%zz", 5, &f), HTTPSD_FORM_MALFORMED);
	cr_assert_eq(httpsd_form_parse("a=%0", 4, &f), HTTPSD_FORM_MALFORMED);
	cr_assert_eq(httpsd_form_parse("a=%00", 5, &f), HTTPSD_FORM_MALFORMED);
	cr_assert_eq(httpsd_form_parse("=x", 2, &f), HTTPSD_FORM_MALFORMED);
	cr_assert_eq(httpsd_form_parse("a=\n", 3, &f), HTTPSD_FORM_MALFORMED);
	char many[256] = "";
	size_t o = 0;
	for (int i = 0; i <= HTTPSD_FORM_FIELDS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "k%d=v&", i);
	cr_assert_eq(httpsd_form_parse(many, o, &f), HTTPSD_FORM_TOO_LARGE);
	char *huge = calloc(1, HTTPSD_FORM_MAX + 2);
	memset(huge, 'a', HTTPSD_FORM_MAX + 1);
	cr_assert_eq(httpsd_form_parse(huge, HTTPSD_FORM_MAX + 1, &f), HTTPSD_FORM_TOO_LARGE);
	free(huge);
}

Test(query, finds_access_token)
{
	const char *q = "x=1&access_token=abc";
	cr_assert_eq(httpsd_query_has(q, strlen(q), "access_token"), 1);
	q = "x=1&%61ccess_token=abc";
	cr_assert_eq(httpsd_query_has(q, strlen(q), "access_token"), 1);
	q = "access_token";
	cr_assert_eq(httpsd_query_has(q, strlen(q), "access_token"), 1);
	q = "x=access_token&access_tokens=1";
	cr_assert_eq(httpsd_query_has(q, strlen(q), "access_token"), 0);
	cr_assert_eq(httpsd_query_has("", 0, "access_token"), 0);
}

static enum httpsd_range
range(const char *s, uint64_t size, uint64_t *a, uint64_t *n)
{
	return httpsd_range_parse(s, strlen(s), size, a, n);
}

Test(range, single_ranges)
{
	uint64_t a = 0, n = 0;
	cr_assert_eq(range("bytes=0-99", 1000, &a, &n), HTTPSD_RANGE_OK);
	cr_assert(a == 0 && n == 100);
	cr_assert_eq(range("bytes=900-", 1000, &a, &n), HTTPSD_RANGE_OK);
	cr_assert(a == 900 && n == 100);
	cr_assert_eq(range("bytes=-10", 1000, &a, &n), HTTPSD_RANGE_OK);
	cr_assert(a == 990 && n == 10);
	cr_assert_eq(range("bytes=-5000", 1000, &a, &n), HTTPSD_RANGE_OK);
	cr_assert(a == 0 && n == 1000);
	cr_assert_eq(range("bytes=990-5000", 1000, &a, &n), HTTPSD_RANGE_OK);
	cr_assert(a == 990 && n == 10);
	cr_assert_eq(range("bytes=999-999", 1000, &a, &n), HTTPSD_RANGE_OK);
	cr_assert(a == 999 && n == 1);
}

Test(range, unsatisfiable_and_ignored)
{
	uint64_t a, n;
	cr_assert_eq(range("bytes=1000-", 1000, &a, &n), HTTPSD_RANGE_UNSATISFIABLE);
	cr_assert_eq(range("bytes=5000-6000", 1000, &a, &n), HTTPSD_RANGE_UNSATISFIABLE);
	cr_assert_eq(range("bytes=-0", 1000, &a, &n), HTTPSD_RANGE_UNSATISFIABLE);
	cr_assert_eq(range("bytes=0-", 0, &a, &n), HTTPSD_RANGE_UNSATISFIABLE);
	const char *ignored[] = { "bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=",
	                          "bytes=a-b", "bytes=-", "bytes=+1-2", "bytes=1", "",
	                          "bytes=99999999999999999999-" };
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		cr_assert_eq(range(ignored[i], 1000, &a, &n), HTTPSD_RANGE_NONE, "%s", ignored[i]);
}

Test(etag, matches)
{
	const char *e = "\"abc123\"";
	cr_assert_eq(httpsd_etag_match("\"abc123\"", 8, e), 1);
	cr_assert_eq(httpsd_etag_match("W/\"abc123\"", 10, e), 1);
	cr_assert_eq(httpsd_etag_match("\"x\", \"abc123\"", 13, e), 1);
	cr_assert_eq(httpsd_etag_match("*", 1, e), 1);
	cr_assert_eq(httpsd_etag_match("\"abc12\"", 7, e), 0);
	cr_assert_eq(httpsd_etag_match("abc123", 6, e), 0);
	cr_assert_eq(httpsd_etag_match("\"abc123", 7, e), 0);
	cr_assert_eq(httpsd_etag_match("", 0, e), 0);
}

static long
path(const char *raw, char *out, size_t sz)
{
	const char *q;
	size_t ql;
	return httpsd_path_decode(raw, strlen(raw), out, sz, &q, &ql);
}

Test(path, decodes)
{
	char out[HTTPSD_PATH_MAX];
	const char *q;
	size_t ql;
	cr_assert_eq(path("/SEP001122334455.cnf.xml", out, sizeof(out)), 23);
	cr_assert_str_eq(out, "SEP001122334455.cnf.xml");
	cr_assert_eq(path("/English_United_States/a%20b.xml", out, sizeof(out)),
	             (long)strlen("English_United_States/a b.xml"));
	cr_assert_str_eq(out, "English_United_States/a b.xml");
	cr_assert_eq(path("/", out, sizeof(out)), 0);
	cr_assert_eq(httpsd_path_decode("/a.txt?x=1", 10, out, sizeof(out), &q, &ql), 5);
	cr_assert_eq(ql, 3);
	cr_assert(memcmp(q, "x=1", 3) == 0);
	cr_assert_eq(path("/a..b/.c", out, sizeof(out)), 7);
}

Test(path, refuses_traversal)
{
	char out[64];
	const char *bad[] = { "/../etc/passwd", "/a/../../b", "/%2e%2e/etc/passwd",
	                      "/%2E%2E%2Fetc", "/a/%2e", "//etc/passwd", "/a//b",
	                      "/a/", "/a%00.xml", "/a\\b", "/a%5cb", "/a%", "/a%2",
	                      "/a%g0", "etc/passwd", "", "/a\x01", "/.", "/..",
	                      "/a%0d%0aX: y" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(path(bad[i], out, sizeof(out)), -1, "accepted %s", bad[i]);
	char longp[100];
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	const char *q;
	size_t ql;
	cr_assert_eq(httpsd_path_decode(longp, sizeof(longp), out, sizeof(out), &q, &ql), -1);
}

Test(challenge, builds)
{
	char b[256];
	cr_assert_gt(httpsd_bearer_challenge(b, sizeof(b), "oprov", NULL, NULL, NULL), 0);
	cr_assert_str_eq(b, "Bearer realm=\"oprov\"");
	cr_assert_gt(httpsd_bearer_challenge(b, sizeof(b), "oprov", "insufficient_scope",
	                                     NULL, "config"), 0);
	cr_assert_str_eq(b, "Bearer realm=\"oprov\", error=\"insufficient_scope\", scope=\"config\"");
	cr_assert_eq(httpsd_bearer_challenge(b, 10, "oprov", NULL, NULL, NULL), -1);
	cr_assert_eq(httpsd_bearer_challenge(b, sizeof(b), "a\"b", NULL, NULL, NULL), -1);
}


/* ---- HTTP dates: RFC 9110 §5.6.7's example in its three forms
 * (784111777 is `date -u -d "Sun, 06 Nov 1994 08:49:37 GMT" +%s`). */
static int
date_of(const char *s, int64_t *t)
{
	return httpsd_http_date_parse(s, strlen(s), t);
}

Test(http_date, three_forms)
{
	int64_t t = 0;

	cr_assert_eq(date_of("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	cr_assert_eq(t, 784111777);
	cr_assert_eq(date_of("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	cr_assert_eq(t, 784111777);
	cr_assert_eq(date_of("Sun Nov  6 08:49:37 1994", &t), 0);
	cr_assert_eq(t, 784111777);
	/* `date -u -d "2024-02-29 12:00:00" +%s` */
	cr_assert_eq(date_of("Thu, 29 Feb 2024 12:00:00 GMT", &t), 0);
	cr_assert_eq(t, 1709208000);
}

Test(http_date, refuses_bad)
{
	static const char *const bad[] = {
		"", "yesterday", "Sun, 06 Nov 1994 08:49:37",      /* no GMT */
		"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1969 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT x",
		"sun, 06 Nov 1994 08:49:37 GMT", "Sun,06 Nov 1994 08:49:37 GMT",
		"Sun Nov 6 08:49:37 1994", "Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sun, 31 Apr 2024 00:00:00 GMT", "Sun, 0x 11 1994 08:49:37 GMT",
		"Wed, 29 Feb 2023 00:00:00 GMT", "Wed, 29 Feb 2100 00:00:00 GMT",
	};
	int64_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(date_of(bad[i], &t), -1, "accepted \"%s\"", bad[i]);
}

Test(http_date, does_not_read_past_len)
{
	const char *s = "Sun, 06 Nov 1994 08:49:37 GMTXYZ";
	int64_t t;

	cr_assert_eq(httpsd_http_date_parse(s, 29, &t), 0);
	cr_assert_eq(t, 784111777);
	cr_assert_eq(httpsd_http_date_parse(s, 28, &t), -1);
}

Test(http_date, formats_imf_fixdate)
{
	char b[HTTPSD_DATE_MAX];
	int64_t t;

	httpsd_http_date_format(784111777, b);
	cr_assert_str_eq(b, "Sun, 06 Nov 1994 08:49:37 GMT");
	httpsd_http_date_format(0, b);
	cr_assert_str_eq(b, "Thu, 01 Jan 1970 00:00:00 GMT");
	httpsd_http_date_format(1709208000, b);
	cr_assert_str_eq(b, "Thu, 29 Feb 2024 12:00:00 GMT");
	httpsd_http_date_format(INT64_MAX, b);          /* clamped, not garbage */
	cr_assert_str_eq(b, "Fri, 31 Dec 9999 23:59:59 GMT");
	for (int64_t x = 0; x < INT64_C(4102444800); x += 86400 * 37 + 3671) {
		httpsd_http_date_format(x, b);
		cr_assert_eq(date_of(b, &t), 0, "%s", b);
		cr_assert_eq(t, x, "%s", b);
	}
}

/* ---- If-Range (RFC 9110 §13.1.5) ------------------------------------------ */
Test(if_range, validators)
{
	const char *tag = "\"abc-1\"";
	int64_t mt = 784111777;
	const char *d = "Sun, 06 Nov 1994 08:49:37 GMT";

	cr_assert_eq(httpsd_if_range_ok("\"abc-1\"", 7, tag, mt, 1), 1);
	cr_assert_eq(httpsd_if_range_ok(" \"abc-1\" ", 9, tag, mt, 1), 1);
	cr_assert_eq(httpsd_if_range_ok("\"abc-2\"", 7, tag, mt, 1), 0);
	cr_assert_eq(httpsd_if_range_ok("W/\"abc-1\"", 9, tag, mt, 1), 0);
	cr_assert_eq(httpsd_if_range_ok("\"abc-1", 6, tag, mt, 1), 0);
	cr_assert_eq(httpsd_if_range_ok(d, strlen(d), tag, mt, 1), 1);
	cr_assert_eq(httpsd_if_range_ok(d, strlen(d), tag, mt + 1, 1), 0);
	cr_assert_eq(httpsd_if_range_ok(d, strlen(d), tag, mt, 0), 0);
	cr_assert_eq(httpsd_if_range_ok("garbage", 7, tag, mt, 1), 0);
	cr_assert_eq(httpsd_if_range_ok("", 0, tag, mt, 1), 0);
}

/* ---- framing (RFC 9112 §3.2, §6.3) ---------------------------------------------- */
Test(framing, rules)
{
	cr_assert_null(httpsd_framing_check("HTTP/1.1", 1, 0, 0));
	cr_assert_null(httpsd_framing_check("HTTP/1.1", 1, 1, 0));
	cr_assert_null(httpsd_framing_check("HTTP/1.1", 1, 0, 1));
	cr_assert_null(httpsd_framing_check("HTTP/1.0", 0, 0, 0));
	cr_assert_not_null(httpsd_framing_check("HTTP/1.1", 0, 0, 0));
	cr_assert_not_null(httpsd_framing_check("HTTP/1.1", 2, 0, 0));
	cr_assert_not_null(httpsd_framing_check("HTTP/1.0", 2, 0, 0));
	cr_assert_not_null(httpsd_framing_check("HTTP/1.1", 1, 1, 1));
	cr_assert_not_null(httpsd_framing_check("HTTP/1.0", 0, 1, 1));
	cr_assert_not_null(httpsd_framing_check("HTTP/1.1", 1, 2, 0));
}

/* ---- scope words ------------------------------------------------------------------ */
Test(scope, subset_has_intersect)
{
	char out[64];

	cr_assert_eq(httpsd_scope_subset("config", "config sip-register"), 1);
	cr_assert_eq(httpsd_scope_subset("sip-register config", "config sip-register"), 1);
	cr_assert_eq(httpsd_scope_subset("", "config"), 1);
	cr_assert_eq(httpsd_scope_subset("conf", "config"), 0);
	cr_assert_eq(httpsd_scope_subset("config revoke", "config sip-register"), 0);
	cr_assert_eq(httpsd_scope_has("revoke introspect", "introspect", 10), 1);
	cr_assert_eq(httpsd_scope_has("revoke introspect", "intro", 5), 0);
	cr_assert_eq(httpsd_scope_has("", "x", 1), 0);
	cr_assert_eq(httpsd_scope_intersect("config sip-register", "sip-register",
	                                    out, sizeof(out)), 0);
	cr_assert_str_eq(out, "sip-register");
	cr_assert_eq(httpsd_scope_intersect("config", "revoke", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(httpsd_scope_intersect("config sip-register", "config sip-register",
	                                    out, 8), -1);
}
