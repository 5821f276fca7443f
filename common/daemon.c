/*
 * daemon.c - the one start-up sequence of oprov's daemons, and their
 * signals.  OpenBSD tftpd's main() is the model:
 *
 *   flags (the caller) → log → data directory → store → bind → pid file
 *   → drop privileges → daemonize → (the caller's loop)
 *
 * Each step that fails is one line, "start-up: STEP: reason" naming the
 * path or port, and the daemon exits 1.  Everything that needs root (the
 * data directory's ownership, privileged ports, keys the store holds) is
 * done before the drop; nothing after it needs root again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

/* ---- the target user ------------------------------------------------------ */

static int
user_resolve(struct daemon_start *ds, char *err, size_t errlen)
{
	struct passwd *pw;

	ds->drop = 0;
	ds->uid = geteuid();
	ds->gid = getegid();
	if (ds->user == NULL || ds->user[0] == '\0')
		return 0;
	if ((pw = getpwnam(ds->user)) == NULL) {
		snprintf(err, errlen, "unknown user \"%.64s\"", ds->user);
		return -1;
	}
	if (geteuid() != 0) {
		/* Only root can switch; the user it already is must match. */
		if (pw->pw_uid != geteuid()) {
			snprintf(err, errlen, "--user %.64s needs root (running as uid %ld)",
			         ds->user, (long)geteuid());
			return -1;
		}
		return 0;
	}
	ds->drop = pw->pw_uid != 0;
	ds->uid = pw->pw_uid;
	ds->gid = pw->pw_gid;
	return 0;
}

/* Whether uid/gid (the primary group only: the drop sets no supplementary
 * groups) may access `st` for `want` (R_OK, W_OK, X_OK bits). */
static int
may(const struct stat *st, uid_t uid, gid_t gid, int want)
{
	mode_t bits;

	if (uid == 0)
		return 1;
	if (st->st_uid == uid)
		bits = (st->st_mode >> 6) & 7;
	else if (st->st_gid == gid)
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return (bits & (mode_t)want) == (mode_t)want;
}

static const char *
want_text(int want)
{
	switch (want) {
	case R_OK | W_OK: return "read and write";
	case R_OK | W_OK | X_OK: return "enter and write";
	case X_OK: return "enter";
	default: return "read";
	}
}

/* A path of the data directory that root owns (as `oprovctl init` run as
 * root leaves it) becomes the daemon user's; any other owner is left alone
 * and the access check below judges it. */
static int
hand_over(const struct daemon_start *ds, const char *path, const struct stat *st,
          char *err, size_t errlen)
{
	if (!ds->drop || st->st_uid != 0)
		return 0;
	if (lchown(path, ds->uid, ds->gid) != 0) {
		snprintf(err, errlen, "%.400s: chown to %s: %s", path, ds->user,
		         strerror(errno));
		return -1;
	}
	log_msg(LOG_NOTICE, "start-up: %s now belongs to %s (was root's)", path,
	        ds->user);
	return 0;
}

#define PATH_OPTIONAL    1       /* a missing file is fine */
#define PATH_KEEP_OWNER  2       /* check only, never hand over */

/* lstat + hand over + access check. */
static int
prepare_path(const struct daemon_start *ds, const char *path, int want,
             unsigned flags, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT && (flags & PATH_OPTIONAL))
			return 0;
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%.400s: is a symbolic link (refused)", path);
		return -1;
	}
	if (!(flags & PATH_KEEP_OWNER) && hand_over(ds, path, &st, err, errlen) != 0)
		return -1;
	if (lstat(path, &st) != 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		return -1;
	}
	if (!may(&st, ds->uid, ds->gid, want)) {
		snprintf(err, errlen, "%.400s: user %s cannot %s it (owner uid %ld, mode "
		         "%04o)", path, ds->user ? ds->user : "(this one)",
		         want_text(want), (long)st.st_uid,
		         (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Every directory above DATADIR must let the user through (a private
 * /tmp/xyz or /root above it would lock the daemon out after the drop). */
static int
ancestors_check(const struct daemon_start *ds, char *err, size_t errlen)
{
	char path[PATH_MAX], *slash;
	struct stat st;

	if (!ds->drop || realpath(ds->datadir, path) == NULL)
		return 0;                       /* the path checks below say why */
	while ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		if (stat(path, &st) == 0 && !may(&st, ds->uid, ds->gid, X_OK)) {
			snprintf(err, errlen, "%.300s: user %.64s cannot enter it, so it "
			         "cannot reach %.300s (owner uid %ld, mode %04o)", path,
			         ds->user, ds->datadir, (long)st.st_uid,
			         (unsigned)(st.st_mode & 07777));
			return -1;
		}
	}
	return 0;
}

/* DATADIR and its store files belong to the daemon user; run/ is made
 * (and given to it) for the pid and statistics files; the file root must
 * be enterable. */
static int
datadir_prepare(struct daemon_start *ds, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (ancestors_check(ds, err, errlen) != 0 ||
	    prepare_path(ds, ds->datadir, X_OK | W_OK | R_OK, 0, err, errlen) != 0)
		return -1;
	for (const char *const *f = ds->store_files; f != NULL && *f != NULL; f++) {
		snprintf(path, sizeof(path), "%s/%s", ds->datadir, *f);
		if (prepare_path(ds, path, R_OK | W_OK, PATH_OPTIONAL, err, errlen) != 0)
			return -1;
	}
	if (snprintf(ds->rundir, sizeof(ds->rundir), "%s/run", ds->datadir) >=
	    (int)sizeof(ds->rundir)) {
		snprintf(err, errlen, "%.400s: path too long", ds->datadir);
		return -1;
	}
	if (mkdir(ds->rundir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%.400s: %s", ds->rundir, strerror(errno));
		return -1;
	}
	if (prepare_path(ds, ds->rundir, R_OK | W_OK | X_OK, 0, err, errlen) != 0)
		return -1;
	/* The daemon only needs to enter the file root (files are opened
	 * beneath it, never listed).  DATADIR/files is handed over like the
	 * rest of the data directory; a root given with --files is the
	 * administrator's and only checked. */
	if (ds->file_root != NULL && ds->file_root_in_datadir &&
	    mkdir(ds->file_root, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%.400s: %s", ds->file_root, strerror(errno));
		return -1;
	}
	if (ds->file_root != NULL &&
	    prepare_path(ds, ds->file_root, X_OK, ds->file_root_in_datadir ?
	                 0 : PATH_KEEP_OWNER, err, errlen) != 0)
		return -1;
	return 0;
}

static int pidfile_write(struct daemon_start *ds, char *err, size_t errlen);

/* ---- the pid file ---------------------------------------------------------------- */

/* Created (or reused), locked for the daemon's life so a second instance on
 * the same data directory refuses to start, and owned by the daemon user
 * so it can be rewritten after the fork and removed at exit. */
static int
pidfile_open(struct daemon_start *ds, char *err, size_t errlen)
{
	char buf[32];
	ssize_t n;

	snprintf(ds->pidfile, sizeof(ds->pidfile), "%s/%s.pid", ds->rundir, ds->prog);
	ds->pidfd = open(ds->pidfile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (ds->pidfd < 0) {
		snprintf(err, errlen, "%.400s: %s", ds->pidfile, strerror(errno));
		return -1;
	}
	if (flock(ds->pidfd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			n = pread(ds->pidfd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(err, errlen, "%.400s: locked: %s is already running "
			         "(pid %s) on this data directory", ds->pidfile,
			         ds->prog, buf[0] ? buf : "?");
		} else {
			snprintf(err, errlen, "%.400s: lock: %s", ds->pidfile, strerror(e));
		}
		close(ds->pidfd);
		ds->pidfd = -1;
		return -1;
	}
	if (ds->drop && fchown(ds->pidfd, ds->uid, ds->gid) != 0) {
		snprintf(err, errlen, "%.400s: chown: %s", ds->pidfile, strerror(errno));
		return -1;
	}
	ds->pid_owned = 1;
	return pidfile_write(ds, err, errlen);
}

static int
pidfile_write(struct daemon_start *ds, char *err, size_t errlen)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(ds->pidfd, 0) != 0 ||
	    pwrite(ds->pidfd, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "%.400s: %s", ds->pidfile, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- privileges and the background -------------------------------------------- */

static int
privileges_drop(const struct daemon_start *ds, char *err, size_t errlen)
{
	if (!ds->drop)
		return 0;
	/* Only the primary group: the access checks above assumed as much. */
	if (setgroups(1, &ds->gid) != 0 || setgid(ds->gid) != 0 ||
	    setuid(ds->uid) != 0) {
		snprintf(err, errlen, "to %s: %s", ds->user, strerror(errno));
		return -1;
	}
	/* A dropped daemon that can become root again has not dropped. */
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "to %s: root regained", ds->user);
		return -1;
	}
	return 0;
}

static int
detach(struct daemon_start *ds, char *err, size_t errlen)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);               /* the child holds the pid file's lock */
	if (setsid() < 0) {
		snprintf(err, errlen, "setsid: %s", strerror(errno));
		return -1;
	}
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_open(ds->prog, 0);          /* from now on, syslog */
	return pidfile_write(ds, err, errlen);
}

/* ---- the sequence ---------------------------------------------------------------- */

int
daemon_start(struct daemon_start *ds)
{
	char err[LOG_LINE_MAX] = "";
	const char *step;

	ds->pidfd = -1;
	ds->pid_owned = 0;
	log_open(ds->prog, 1);          /* stderr until daemonized */
	step = "user";
	if (user_resolve(ds, err, sizeof(err)) != 0)
		goto fail;
	step = "data directory";
	if (datadir_prepare(ds, err, sizeof(err)) != 0)
		goto fail;
	step = "store";
	if (ds->open_store != NULL && ds->open_store(ds->arg, err, sizeof(err)) != 0)
		goto fail;
	step = "bind";
	if (ds->bind != NULL && ds->bind(ds->arg, err, sizeof(err)) != 0)
		goto fail;
	step = "pid file";
	if (pidfile_open(ds, err, sizeof(err)) != 0)
		goto fail;
	step = "privileges";
	if (privileges_drop(ds, err, sizeof(err)) != 0)
		goto fail;
	step = "daemonize";
	if (!ds->foreground && detach(ds, err, sizeof(err)) != 0)
		goto fail;
	return 0;
fail:
	log_msg(LOG_ERR, "start-up: %s: %s", step, err[0] ? err : "failed");
	daemon_finish(ds);
	return -1;
}

void
daemon_finish(struct daemon_start *ds)
{
	if (ds->pidfd < 0)
		return;
	/* Removed while still locked, so a new instance never finds a stale
	 * file that it could mistake for a running one. */
	if (ds->pid_owned)
		unlink(ds->pidfile);
	close(ds->pidfd);
	ds->pidfd = -1;
	ds->pid_owned = 0;
}

/* ---- signals ----------------------------------------------------------------------- */

static volatile sig_atomic_t *sig_reload, *sig_stop;

static void
on_signal(int sig)
{
	if (sig == SIGHUP) {
		if (sig_reload)
			*sig_reload = 1;
	} else if (sig_stop) {
		*sig_stop = 1;
	}
}

void
daemon_signals(volatile sig_atomic_t *reload, volatile sig_atomic_t *stop)
{
	struct sigaction sa;

	sig_reload = reload;
	sig_stop = stop;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

uint64_t
daemon_fd_limit_raise(uint64_t *hard)
{
	struct rlimit rl;

	*hard = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = was;
	}
	*hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_max;
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}
