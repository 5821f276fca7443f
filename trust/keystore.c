/*
 * keystore.c - key sets (one issuer's keys, e.g. one JWKS file) and the
 * store that looks verification keys up by (issuer, kid) only.
 *
 * Rotation replaces an issuer's whole set under a write lock; lookups take a
 * read lock just long enough to add a reference to the key they return, so a
 * validation in flight keeps its key alive after the set is gone.  Lookups
 * are short and rare (the token cache absorbs repeats), so a rwlock is
 * simpler than RCU and costs nothing measurable.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust/trust_int.h"

struct keyset {
	trust_key *keys[KEYSET_MAX_KEYS];
	size_t n;
};

keyset *
keyset_new(void)
{
	return calloc(1, sizeof(keyset));
}

void
keyset_free(keyset *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++)
		key_unref(ks->keys[i]);
	free(ks);
}

int
keyset_add(keyset *ks, trust_key *k, char *err, size_t errlen)
{
	if (ks->n >= KEYSET_MAX_KEYS) {
		trust_err(err, errlen, "more than %d keys in one set", KEYSET_MAX_KEYS);
		return -1;
	}
	/* RFC 7517 §4.5: kids distinguish keys within a set; a duplicate
	 * would make the lookup ambiguous. */
	for (size_t i = 0; i < ks->n; i++)
		if (ks->keys[i]->kidlen == k->kidlen &&
		    memcmp(ks->keys[i]->kid, k->kid, k->kidlen) == 0) {
			trust_err(err, errlen, "duplicate kid in key set");
			return -1;
		}
	ks->keys[ks->n++] = key_ref(k);
	return 0;
}

size_t keyset_count(const keyset *ks) { return ks->n; }

trust_key *
keyset_get(const keyset *ks, size_t i)
{
	return i < ks->n ? ks->keys[i] : NULL;
}

keyset *
keyset_from_jwks(const json_t *jwks, enum jws_alg dflt, char *err, size_t errlen)
{
	const json_t *keys = json_object_get(jwks, "keys");
	keyset *ks;
	size_t i;
	json_t *jk;

	if (!json_is_array(keys)) {
		trust_err(err, errlen, "JWKS without a \"keys\" array");
		return NULL;
	}
	if ((ks = keyset_new()) == NULL) {
		trust_err(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach(keys, i, jk) {
		char kerr[160] = "";
		trust_key *k = key_from_jwk(jk, dflt, kerr, sizeof(kerr));
		if (k == NULL) {
			trust_err(err, errlen, "key %zu: %s", i, kerr);
			goto fail;
		}
		if (keyset_add(ks, k, kerr, sizeof(kerr)) < 0) {
			key_unref(k);
			trust_err(err, errlen, "key %zu: %s", i, kerr);
			goto fail;
		}
		key_unref(k);
	}
	return ks;
fail:
	keyset_free(ks);
	return NULL;
}

/* A JWKS file of more than this is refused (a few dozen keys fit easily). */
#define JWKS_MAX_BYTES (256 * 1024)

keyset *
keyset_from_jwks_text(const char *text, size_t len, enum jws_alg dflt,
                      char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	keyset *ks;

	if (len > JWKS_MAX_BYTES) {
		trust_err(err, errlen, "JWKS larger than %d bytes", JWKS_MAX_BYTES);
		return NULL;
	}
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		trust_err(err, errlen, "JWKS is not JSON: %s (line %d)", je.text, je.line);
		return NULL;
	}
	ks = keyset_from_jwks(j, dflt, err, errlen);
	json_decref(j);
	return ks;
}

keyset *
keyset_from_jwks_file(const char *path, enum jws_alg dflt, char *err,
                      size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	keyset *ks = NULL;

	if (f == NULL) {
		trust_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(JWKS_MAX_BYTES + 1)) == NULL) {
		fclose(f);
		trust_err(err, errlen, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, JWKS_MAX_BYTES + 1, f);
	if (ferror(f))
		trust_err(err, errlen, "%s: read error", path);
	else
		ks = keyset_from_jwks_text(buf, n, dflt, err, errlen);
	fclose(f);
	free(buf);
	return ks;
}

json_t *
keyset_to_jwks(const keyset *ks)
{
	json_t *arr = json_array(), *doc;

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < ks->n; i++) {
		json_t *jk = key_to_jwk(ks->keys[i]);
		if (jk != NULL && json_array_append_new(arr, jk) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	doc = json_object();
	if (doc == NULL || json_object_set_new(doc, "keys", arr) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ---- the store ---- */

struct keystore {
	pthread_rwlock_t lock;
	struct {
		char *issuer;
		keyset *ks;
	} iss[KEYSTORE_MAX_ISSUERS];
	size_t n;
	uint64_t generation;    /* atomic */
};

keystore *
keystore_new(void)
{
	keystore *st = calloc(1, sizeof(*st));

	if (st != NULL)
		pthread_rwlock_init(&st->lock, NULL);
	return st;
}

void
keystore_free(keystore *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->iss[i].issuer);
		keyset_free(st->iss[i].ks);
	}
	pthread_rwlock_destroy(&st->lock);
	free(st);
}

int
keystore_set(keystore *st, const char *issuer, keyset *ks, char *err,
             size_t errlen)
{
	keyset *old = NULL;
	size_t i;
	int rc = 0;

	if (issuer == NULL || issuer[0] == '\0') {
		trust_err(err, errlen, "empty issuer");
		keyset_free(ks);
		return -1;
	}
	pthread_rwlock_wrlock(&st->lock);
	for (i = 0; i < st->n; i++)
		if (strcmp(st->iss[i].issuer, issuer) == 0)
			break;
	if (i < st->n) {
		old = st->iss[i].ks;
		if (ks != NULL) {
			st->iss[i].ks = ks;
		} else {
			free(st->iss[i].issuer);
			st->iss[i] = st->iss[--st->n];
		}
	} else if (ks != NULL) {
		char *dup = strdup(issuer);
		if (st->n >= KEYSTORE_MAX_ISSUERS || dup == NULL) {
			free(dup);
			trust_err(err, errlen, "more than %d issuers", KEYSTORE_MAX_ISSUERS);
			old = ks;
			rc = -1;
		} else {
			st->iss[st->n].issuer = dup;
			st->iss[st->n].ks = ks;
			st->n++;
		}
	}
	if (rc == 0)
		__atomic_add_fetch(&st->generation, 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&st->lock);
	/* Keys of the old set live on while a validation holds them. */
	keyset_free(old);
	return rc;
}

int
keystore_load_jwks_file(keystore *st, const char *issuer, const char *path,
                        enum jws_alg dflt, char *err, size_t errlen)
{
	keyset *ks = keyset_from_jwks_file(path, dflt, err, errlen);

	if (ks == NULL)
		return -1;
	return keystore_set(st, issuer, ks, err, errlen);
}

trust_key *
keystore_get(keystore *st, const char *issuer, const char *kid, size_t kidlen)
{
	trust_key *k = NULL;

	pthread_rwlock_rdlock(&st->lock);
	for (size_t i = 0; i < st->n && k == NULL; i++) {
		if (strcmp(st->iss[i].issuer, issuer) != 0)
			continue;
		const keyset *ks = st->iss[i].ks;
		for (size_t j = 0; j < ks->n; j++)
			if (ks->keys[j]->kidlen == kidlen &&
			    memcmp(ks->keys[j]->kid, kid, kidlen) == 0) {
				k = key_ref(ks->keys[j]);
				break;
			}
	}
	pthread_rwlock_unlock(&st->lock);
	return k;
}

uint64_t
keystore_generation(const keystore *st)
{
	return __atomic_load_n(&st->generation, __ATOMIC_ACQUIRE);
}
