/*
 * path.c - the one check of a requested file name and the one way to open
 * it beneath a file root, for every daemon that serves files (HTTP 6970,
 * HTTPS 6971, TFTP).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "common/common.h"

int
path_check(const char *name, size_t len)
{
	size_t start = 0;

	if (name == NULL || len == 0 || len > PATH_NAME_MAX)
		return -1;
	/* Control bytes and NUL could cut the name short in a log or a libc
	 * call; '\\' is a separator somewhere; non-ASCII is never a phone file
	 * and would only give two spellings of one name. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			return -1;
	}
	/* Components: no empty ones (leading, trailing or doubled '/'), no "."
	 * or "..": the name stays beneath the root by construction. */
	for (size_t i = 0; i <= len; i++) {
		size_t clen;

		if (i < len && name[i] != '/')
			continue;
		clen = i - start;
		if (clen == 0 || (clen == 1 && name[start] == '.') ||
		    (clen == 2 && name[start] == '.' && name[start + 1] == '.'))
			return -1;
		start = i + 1;
	}
	return 0;
}

int
path_open_walk(int rootfd, const char *path)
{
	char comp[PATH_NAME_MAX + 1];
	const char *p = path, *slash;
	int dir = rootfd, fd, e;

	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof(comp)) {
			errno = ENOENT;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		fd = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dir != rootfd)
			close(dir);
		dir = rootfd;
		if (fd < 0)
			return -1;
		dir = fd;
		p = slash + 1;
	}
	fd = openat(dir, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	e = errno;
	if (dir != rootfd)
		close(dir);
	errno = e;
	return fd;
fail:
	if (dir != rootfd)
		close(dir);
	return -1;
}

int
path_open_beneath(int rootfd, const char *name, size_t len)
{
	char path[PATH_NAME_MAX + 1];
	struct stat st;
	int fd;

	if (path_check(name, len) != 0) {
		errno = EINVAL;
		return -1;
	}
	memcpy(path, name, len);
	path[len] = '\0';
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
	{
		struct open_how how;

		memset(&how, 0, sizeof(how));
		/* O_NONBLOCK: a FIFO planted in the root must not stall a loop.
		 * RESOLVE_BENEATH refuses "..", absolute paths and links that
		 * leave the root (checked at every step, so a link pointing
		 * inside the root still works); NO_MAGICLINKS refuses
		 * /proc-style links. */
		how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd < 0 && (errno == ENOSYS || errno == EPERM))
			fd = path_open_walk(rootfd, path); /* old kernel, seccomp */
	}
#else
	fd = path_open_walk(rootfd, path);
#endif
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	return fd;
}

const char *
path_open_error(int e)
{
	switch (e) {
	case EINVAL: return "name refused (absolute, dot component, backslash, "
	                    "control or non-ASCII byte, empty component)";
	case EXDEV: return "path leaves the file root";
	case ELOOP: return "symbolic link refused";
	case EISDIR: return "not a regular file";
	default: return strerror(e);
	}
}

int
path_error_is_resource(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS ||
	       e == EAGAIN || e == EINTR || e == EIO;
}
