/*
 * stats.c - the one statistics writer.  A daemon fills a `struct stats`
 * with its counters and gauges; the same list is written as "name value"
 * lines to DATADIR/run/PROG.stats (read by `oprovctl status`, replaced
 * atomically so a reader never sees half) and, where a daemon serves
 * /metrics, in the Prometheus text exposition format.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

struct stat_item {
	const char *name;                /* static: "requests_total" */
	const char *help;                /* static, or NULL */
	int gauge;
	char labels[STATS_LABELS_MAX];   /* `listener="https-config"` or "" */
	uint64_t value;
};

void
stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
}

void
stats_free(struct stats *s)
{
	free(s->item);
	memset(s, 0, sizeof(*s));
}

static struct stat_item *
push(struct stats *s, const char *name, const char *help, int gauge,
     uint64_t v)
{
	struct stat_item *it;

	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct stat_item *ni = realloc(s->item, nc * sizeof(*ni));
		if (ni == NULL) {
			s->failed = 1;
			return NULL;
		}
		s->item = ni;
		s->cap = nc;
	}
	it = &s->item[s->n++];
	it->name = name;
	it->help = help;
	it->gauge = gauge;
	it->labels[0] = '\0';
	it->value = v;
	return it;
}

void
stats_counter(struct stats *s, const char *name, const char *help, uint64_t v)
{
	(void)push(s, name, help, 0, v);
}

void
stats_gauge(struct stats *s, const char *name, const char *help, uint64_t v)
{
	(void)push(s, name, help, 1, v);
}

void
stats_labeled(struct stats *s, const char *name, const char *help, int gauge,
              uint64_t v, const char *fmt, ...)
{
	struct stat_item *it = push(s, name, help, gauge, v);
	va_list ap;

	if (it == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(it->labels, sizeof(it->labels), fmt, ap);
	va_end(ap);
}

/* A bounded text: appending past STATS_TEXT_MAX marks it failed. */
struct text {
	char *p;
	size_t n;
	int failed;
};

static void OPROV_PRINTF(2, 3)
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (t->failed)
		return;
	va_start(ap, fmt);
	k = vsnprintf(t->p + t->n, STATS_TEXT_MAX - t->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= STATS_TEXT_MAX - t->n)
		t->failed = 1;
	else
		t->n += (size_t)k;
}

char *
stats_text(const struct stats *s, const char *prefix, size_t *len)
{
	struct text t = { malloc(STATS_TEXT_MAX), 0, 0 };

	if (t.p == NULL || s->failed)
		goto fail;
	for (size_t i = 0; i < s->n; i++) {
		const struct stat_item *it = &s->item[i];
		int first = i == 0 || strcmp(s->item[i - 1].name, it->name) != 0;

		/* One HELP and TYPE per family: its labelled values follow. */
		if (prefix != NULL && first) {
			if (it->help != NULL)
				put(&t, "# HELP %s%s %s\n", prefix, it->name, it->help);
			put(&t, "# TYPE %s%s %s\n", prefix, it->name,
			    it->gauge ? "gauge" : "counter");
		}
		put(&t, "%s%s%s%s%s %" PRIu64 "\n", prefix ? prefix : "", it->name,
		    it->labels[0] ? "{" : "", it->labels, it->labels[0] ? "}" : "",
		    it->value);
	}
	if (t.failed)
		goto fail;
	*len = t.n;
	return t.p;
fail:
	free(t.p);
	return NULL;
}

int
stats_write_file(const struct stats *s, const char *path, char *err,
                 size_t errlen)
{
	char tmp[4200];
	size_t len = 0;
	char *text = stats_text(s, NULL, &len);
	int fd = -1, rc = -1;

	if (text == NULL) {
		snprintf(err, errlen, "statistics: out of memory");
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "statistics: path too long");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0) {
		snprintf(err, errlen, "%.400s: %s", tmp, strerror(errno));
		if (fd >= 0)
			(void)unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}
