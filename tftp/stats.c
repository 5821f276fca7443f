/* stats.c - the counters file read by `oprovctl status`: one "name value"
 * line per counter, replaced atomically so a reader never sees half. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tftp/tftp.h"

int
tftp_stats_write(const struct tftp_stats *st, const char *path, char *err, size_t errlen)
{
	char tmp[4096], buf[2048];
	size_t off = 0;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "stats path too long");
		return -1;
	}
#define LINE(f) \
	n = snprintf(buf + off, sizeof(buf) - off, "%s %llu\n", #f, (unsigned long long)st->f); \
	if (n > 0 && (size_t)n < sizeof(buf) - off) \
		off += (size_t)n;
	TFTP_STATS(LINE)
#undef LINE
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write(fd, buf, off) != (ssize_t)off) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
