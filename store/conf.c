/*
 * conf.c - where the store is: the data directory's config file
 * (DATADIR/oprov.conf, `key = value` lines), PostgreSQL URIs against data
 * directories, and this machine's node name.  The format is in store.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"

int
store_is_uri(const char *where)
{
	return where != NULL && (strncmp(where, "postgresql://", 13) == 0 ||
	                         strncmp(where, "postgres://", 11) == 0);
}

const char *
store_datadir(const char *where)
{
	const char *env;

	if (where != NULL && strncmp(where, "sqlite:", 7) == 0)
		return where + 7;
	if (!store_is_uri(where))
		return where;
	env = getenv(STORE_DATADIR_ENV);
	return env != NULL && env[0] != '\0' ? env : STORE_DATADIR_DEFAULT;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line (p, n bytes, no newline) into out.  seen: bit per key. */
static int
conf_line(const char *p, size_t n, unsigned lineno, unsigned *seen,
          struct store_conf *out, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		size_t off, max;
	} keys[] = {
		{ "store", offsetof(struct store_conf, store), STORE_URI_MAX },
		{ "node", offsetof(struct store_conf, node), STORE_NAME_MAX },
	};
	const char *eq, *k = p, *v, *end = p + n;
	size_t kl, vl;

	while (k < end && is_space(*k))
		k++;
	if (k == end || *k == '#')
		return 0;
	if ((eq = memchr(k, '=', (size_t)(end - k))) == NULL)
		return store_fail(err, errlen, "line %u: expected `key = value`",
		                  lineno);
	for (kl = (size_t)(eq - k); kl > 0 && is_space(k[kl - 1]); kl--)
		;
	for (v = eq + 1; v < end && is_space(*v); v++)
		;
	for (vl = (size_t)(end - v); vl > 0 && is_space(v[vl - 1]); vl--)
		;
	if (memchr(v, '\0', vl) != NULL)
		return store_fail(err, errlen, "line %u: NUL byte", lineno);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *dst = (char *)out + keys[i].off;

		if (strlen(keys[i].key) != kl || memcmp(keys[i].key, k, kl) != 0)
			continue;
		if (*seen & (1u << i))
			return store_fail(err, errlen, "line %u: %s given twice",
			                  lineno, keys[i].key);
		if (vl == 0)
			return store_fail(err, errlen, "line %u: %s: empty value",
			                  lineno, keys[i].key);
		if (vl >= keys[i].max)
			return store_fail(err, errlen, "line %u: %s: longer than %zu "
			                  "bytes", lineno, keys[i].key, keys[i].max - 1);
		memcpy(dst, v, vl);
		dst[vl] = '\0';
		*seen |= 1u << i;
		return 0;
	}
	{
		char shown[64];

		str_sanitize(shown, sizeof(shown), k, kl);
		return store_fail(err, errlen, "line %u: unknown key \"%s\" (known: "
		                  "store, node)", lineno, shown);
	}
}

int
store_conf_parse(const char *text, size_t len, struct store_conf *out,
                 char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0, seen = 0;

	memset(out, 0, sizeof(*out));
	if (len > STORE_CONF_MAX)
		return store_fail(err, errlen, "larger than %d bytes",
		                  STORE_CONF_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (n >= STORE_CONF_LINE_MAX)
			return store_fail(err, errlen, "line %u: longer than %d bytes",
			                  lineno, STORE_CONF_LINE_MAX - 1);
		if (conf_line(p, n, lineno, &seen, out, err, errlen) < 0)
			return -1;
		p += n + (nl != NULL);
	}
	if (out->store[0] != '\0' && !store_is_uri(out->store) &&
	    strncmp(out->store, "sqlite:", 7) != 0)
		return store_fail(err, errlen, "store: expected postgresql://... or "
		                  "sqlite:DIR");
	return 0;
}

int
store_conf_load(const char *datadir, struct store_conf *out, char *err,
                size_t errlen)
{
	char path[4096], *buf;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if (snprintf(path, sizeof(path), "%s/%s", datadir, STORE_CONF_NAME) >=
	    (int)sizeof(path))
		return store_fail(err, errlen, "data directory path too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		return store_fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	if ((buf = malloc(STORE_CONF_MAX + 1)) == NULL) {
		close(fd);
		return store_fail(err, errlen, "out of memory");
	}
	while ((n = read(fd, buf + len, STORE_CONF_MAX + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0) {
		free(buf);
		return store_fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	rc = store_conf_parse(buf, len, out, err, errlen);
	free(buf);
	if (rc < 0 && err != NULL) {
		char tmp[STORE_ERR_MAX];

		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tmp);
	}
	return rc;
}

int
store_node_name(const char *where, char *out, size_t outlen, char *err,
                size_t errlen)
{
	struct store_conf conf;

	if (store_conf_load(store_datadir(where), &conf, err, errlen) < 0)
		return -1;
	if (conf.node[0] != '\0')
		return store_copy(out, outlen, conf.node) < 0 ?
		       store_fail(err, errlen, "node name too long") : 0;
	if (gethostname(out, outlen) < 0)
		return store_fail(err, errlen, "host name: %s", strerror(errno));
	out[outlen - 1] = '\0';
	return 0;
}

int
store_conf_write(const char *datadir, const struct store_conf *conf, char *err,
                 size_t errlen)
{
	char path[4096], tmp[4200];
	FILE *f;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", datadir, STORE_CONF_NAME) >=
	    (int)sizeof(path))
		return store_fail(err, errlen, "data directory path too long");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	               0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return store_fail(err, errlen, "%s: %s", tmp, strerror(errno));
	}
	fprintf(f, "# oprov data directory settings (see oprov-httpsd(8))\n");
	if (conf->node[0] != '\0')
		fprintf(f, "node = %s\n", conf->node);
	if (conf->store[0] != '\0')
		fprintf(f, "store = %s\n", conf->store);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return store_fail(err, errlen, "%s: %s", tmp, strerror(errno));
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return store_fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	return 0;
}
