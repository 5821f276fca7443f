/* log.c - one line per event, to stderr in the foreground or to syslog. */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"

static int log_foreground = 1;
static int log_max = LOG_INFO;
static const char *log_ident = "oprov";

void
log_open(const char *ident, int foreground)
{
	log_ident = ident;
	log_foreground = foreground;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(int max_priority)
{
	log_max = max_priority;
}

static const char *
prio_name(int p)
{
	switch (p) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "crit";
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

void
log_msg(int priority, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int n = 0;

	if (priority > log_max)
		return;
	if (log_foreground) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s[%ld] %s: ",
		              log_ident, (long)getpid(), prio_name(priority));
	}
	va_start(ap, fmt);
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* A formatted value must never start a second line. */
	for (char *p = line + n; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (!log_foreground) {
		syslog(priority, "%s", line);
		return;
	}
	n = (int)strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	/* One write per line keeps lines from several threads whole. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

int
log_rate_ok(struct log_rate *r, unsigned per_sec)
{
	int64_t now = (int64_t)time(NULL);
	unsigned dropped = 0;
	int ok;

	pthread_mutex_lock(&rate_lock);
	if (r->sec != now) {
		dropped = r->dropped;
		r->sec = now;
		r->n = 0;
		r->dropped = 0;
	}
	ok = r->n < per_sec;
	if (ok)
		r->n++;
	else
		r->dropped++;
	pthread_mutex_unlock(&rate_lock);
	if (dropped > 0)
		log_msg(LOG_NOTICE, "log: %u more %s lines left out (over %u a second)",
		        dropped, r->what ? r->what : "similar", per_sec);
	return ok;
}
