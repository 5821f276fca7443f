/* Unit tests for trust/: helpers shared by the test_trust*.c files, and the
 * primitives (base64url, hashes, secret hashing). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_trust.h"
#include "trust/trust_int.h"

char *
t_data(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/trust/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "missing test data %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

trust_key *
t_key_file(const char *name, enum jws_alg alg, const char *kid)
{
	size_t len;
	char *s = t_data(name, &len), err[200] = "";
	trust_key *k;
	size_t nl = strlen(name);

	if (nl > 4 && strcmp(name + nl - 4, ".jwk") == 0) {
		json_t *j = json_loadb(s, len, 0, NULL);
		cr_assert_not_null(j);
		if (kid != NULL)
			json_object_set_new(j, "kid", json_string(kid));
		k = key_from_jwk(j, alg, err, sizeof(err));
		json_decref(j);
	} else {
		k = key_from_pem(s, len, alg, kid, err, sizeof(err));
	}
	free(s);
	cr_assert_not_null(k, "%s: %s", name, err);
	return k;
}

int64_t t_clock_now = T_NOW;
const char *t_revoked_jti;
int t_revoked_calls;

int64_t
t_clock(void *arg)
{
	(void)arg;
	return t_clock_now;
}

int
t_revoked(void *arg, const struct tok_claims *c)
{
	(void)arg;
	t_revoked_calls++;
	return t_revoked_jti != NULL && strcmp(c->jti, t_revoked_jti) == 0;
}

tok_validator *
t_validator(keystore *ks, unsigned algs, size_t cache)
{
	struct tok_config cfg = {
		.issuer = T_ISS, .audience = T_AUD, .skew = -1, .algs = algs,
		.cache_entries = cache, .clock = t_clock, .revoked = t_revoked,
	};
	char err[200] = "";
	tok_validator *v = tok_validator_new(&cfg, ks, err, sizeof(err));

	cr_assert_not_null(v, "%s", err);
	return v;
}

char *
t_sign(const trust_key *k, const char *header, const char *claims)
{
	char err[200] = "";
	char *t = jws_sign_header(k, header, claims, strlen(claims), err, sizeof(err));

	cr_assert_not_null(t, "%s", err);
	return t;
}

char *
t_claims(const char *member, const char *value)
{
	static const char *const names[] = {
		"iss", "sub", "aud", "client_id", "scope", "iat", "nbf", "exp", "jti", "dev",
	};
	char vals[10][64];
	size_t cap = 4096 + (value ? strlen(value) : 0), o = 0;
	char *out = malloc(cap);

	snprintf(vals[0], 64, "\"%s\"", T_ISS);
	snprintf(vals[1], 64, "\"alice\"");
	snprintf(vals[2], 64, "\"%s\"", T_AUD);
	snprintf(vals[3], 64, "\"phone-app\"");
	snprintf(vals[4], 64, "\"config sip-register\"");
	snprintf(vals[5], 64, "%lld", T_NOW - 10);
	snprintf(vals[6], 64, "%lld", T_NOW - 10);
	snprintf(vals[7], 64, "%lld", T_NOW + 3600);
	snprintf(vals[8], 64, "\"jti-1\"");
	snprintf(vals[9], 64, "\"SEP001122334455\"");
	o += (size_t)snprintf(out + o, cap - o, "{");
	for (size_t i = 0; i < 10; i++) {
		const char *v = vals[i];
		if (member != NULL && strcmp(member, names[i]) == 0) {
			if (value == NULL)
				continue;
			v = value;
		}
		o += (size_t)snprintf(out + o, cap - o, "%s\"%s\":%s",
		                      o > 1 ? "," : "", names[i], v);
	}
	if (member != NULL && value != NULL && strstr(out, member) == NULL)
		o += (size_t)snprintf(out + o, cap - o, ",\"%s\":%s", member, value);
	snprintf(out + o, cap - o, "}");
	return out;
}

/* ---- base64url (item 1) ---- */

Test(b64url, rfc4648_vectors)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	char buf[32];
	uint8_t dec[32];
	size_t n;

	for (size_t i = 0; i < 7; i++) {
		cr_assert_eq(b64url_encode(in[i], strlen(in[i]), buf, sizeof(buf)),
		             (long)strlen(out[i]));
		cr_assert_str_eq(buf, out[i]);
		cr_assert_eq(b64url_decode(out[i], strlen(out[i]), dec, sizeof(dec), &n), 0);
		cr_assert_eq(n, strlen(in[i]));
		cr_assert_eq(memcmp(dec, in[i], n), 0);
	}
}

Test(b64url, url_alphabet_and_roundtrip)
{
	uint8_t raw[256], dec[256];
	char enc[400];
	size_t n;

	for (int i = 0; i < 256; i++)
		raw[i] = (uint8_t)(255 - i);
	for (size_t len = 0; len <= sizeof(raw); len++) {
		long e = b64url_encode(raw, len, enc, sizeof(enc));
		cr_assert_eq((size_t)e, b64url_encoded_len(len));
		cr_assert_null(strpbrk(enc, "+/="), "non-URL character in %s", enc);
		cr_assert_eq(b64url_decode(enc, (size_t)e, dec, sizeof(dec), &n), 0);
		cr_assert_eq(n, len);
		cr_assert_eq(memcmp(dec, raw, len), 0);
	}
	cr_assert_eq(b64url_encode("\xfb\xff", 2, enc, sizeof(enc)), 3);
	cr_assert_str_eq(enc, "-_8");
}

Test(b64url, strict_rejects)
{
	static const char *const bad[] = {
		"Zg==", "Zg=", "Zm9v=", "Zm+v", "Zm/v", "Zm9 v", "Zm9v\n", " Zm9v",
		"Z", "Zm9vY", "Zh", "Zm9", "Zm8\t", "Zm\x80v", "Zm.v", "Zm9v\r",
	};
	uint8_t out[32];
	size_t n = 77;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(b64url_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n), -1,
		             "accepted \"%s\"", bad[i]);
	/* Embedded NUL counts as a byte, never as an end. */
	cr_assert_eq(b64url_decode("Zm\0v", 4, out, sizeof(out), &n), -1);
	/* Short output buffer. */
	cr_assert_eq(b64url_decode("Zm9vYmFy", 8, out, 5, &n), -1);
	cr_assert_eq(b64url_encode("foo", 3, (char *)out, 4), -1);
	cr_assert_eq(n, 77, "output length written on failure");
}

/* ---- primitives ---- */

Test(primitives, sha256_hmac_random_ct)
{
	char hex[65];
	uint8_t mac[32], a[32], b[32];

	trust_sha256_hex("abc", 3, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 2. */
	cr_assert_eq(trust_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
	uint8_t want[32] = {
		0x5b,0xdc,0xc1,0x46,0xbf,0x60,0x75,0x4e,0x6a,0x04,0x24,0x26,0x08,0x95,0x75,0xc7,
		0x5a,0x00,0x3f,0x08,0x9d,0x27,0x39,0x83,0x9d,0xec,0x58,0xb9,0x64,0xec,0x38,0x43 };
	cr_assert_eq(memcmp(mac, want, 32), 0);
	cr_assert_eq(trust_random(a, 32), 0);
	cr_assert_eq(trust_random(b, 32), 0);
	cr_assert_neq(memcmp(a, b, 32), 0);
	cr_assert_eq(trust_memcmp_ct(a, a, 32), 0);
	cr_assert_neq(trust_memcmp_ct(a, b, 32), 0);
}

Test(primitives, secret_hash_is_labelled)
{
	char h1[65], h2[65], want[65];

	trust_secret_hash(SECRET_REFRESH_TOKEN, "s3cret", 6, h1);
	trust_secret_hash(SECRET_CLIENT_SECRET, "s3cret", 6, h2);
	trust_sha256_hex("oprov-refresh-token:s3cret", 26, want);
	cr_assert_str_eq(h1, want);
	cr_assert_str_neq(h1, h2);
	char *r1 = trust_random_b64url(32), *r2 = trust_random_b64url(32);
	cr_assert_eq(strlen(r1), 43);
	cr_assert_str_neq(r1, r2);
	free(r1);
	free(r2);
}

/* ---- the flat-JSON fast reader: what it takes, and that it declines ---- */

Test(jsonscan, subset_accepted)
{
	struct jscan js;
	const char *t = " {\"a\" : \"x y\", \"n\":-12,\"z\":0, \"arr\":[\"p\", 3, true],\"t\":null}\n";
	const struct jv *v;

	cr_assert_eq(jscan_object(t, strlen(t), &js), 0);
	cr_assert_eq(js.n, 5);
	v = jscan_get(&js, "a");
	cr_assert_eq(v->k, JV_STRING);
	cr_assert_eq(v->n, 3);
	cr_assert_eq(memcmp(v->s, "x y", 3), 0);
	cr_assert_eq(jscan_get(&js, "n")->i, -12);
	cr_assert_eq(jscan_get(&js, "arr")->k, JV_ARRAY);
	cr_assert(jscan_array_has(jscan_get(&js, "arr"), "p", 1));
	cr_assert(!jscan_array_has(jscan_get(&js, "arr"), "3", 1));
	cr_assert_eq(jscan_get(&js, "t")->k, JV_OTHER);
	cr_assert_null(jscan_get(&js, "b"));
	cr_assert_eq(jscan_object("{}", 2, &js), 0);
	cr_assert_eq(js.n, 0);
}

Test(jsonscan, outside_subset_declined)
{
	static const char *const no[] = {
		"", "[]", "{", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":1}x", "{\"a\":01}",
		"{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":1234567890123456789}", "{\"a\":\"\\n\"}",
		"{\"\\u0061\":1}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":{}}", "{\"a\":[[1]]}",
		"{\"a\":1,\"a\":2}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":-}", "{\"a\":\"\t\"}",
		"{a:1}", "{\"a\":[1,]}", "{\"a\":1}{}",
	};
	struct jscan js;

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_assert_eq(jscan_object(no[i], strlen(no[i]), &js), -1, "took %s", no[i]);
	/* More members than the fast reader holds. */
	char many[1024];
	size_t o = 0;
	o += (size_t)snprintf(many + o, sizeof(many) - o, "{");
	for (int i = 0; i <= JSCAN_MAX_MEMBERS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%s\"k%d\":%d", i ? "," : "", i, i);
	snprintf(many + o, sizeof(many) - o, "}");
	cr_assert_eq(jscan_object(many, strlen(many), &js), -1);
}
