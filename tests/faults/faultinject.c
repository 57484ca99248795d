/*
 * faultinject: an LD_PRELOAD shim that makes file writes fail, for the fault
 * tests (tests/integration/test_faults.py compiles it with cc -shared -fPIC).
 *
 *   FAULTINJECT_DIR=/abs/path  only files whose path starts with this fail
 *                              (a directory, or e.g. DATA/index for the
 *                              index and its -wal and -shm files)
 *   FAULTINJECT_CTL=/abs/file  armed while this file exists; its first word
 *                              is the errno to fail with (EIO, ENOSPC,
 *                              EDQUOT; EIO when empty), the further words
 *                              which calls fail: write (write, pwrite,
 *                              pwrite64, writev, pwritev), sync (fsync,
 *                              fdatasync), rename (rename, renameat,
 *                              renameat2), create (open/openat with
 *                              O_CREAT); all of them when none is named.
 *                              The word `hold` in place of an errno: those
 *                              calls wait while the file exists, then
 *                              succeed (a slow disk, a commit held).
 *
 * Unarmed, a call costs one access(2) of the control file; armed, the fd's
 * path is read from /proc/self/fd. A socket or a file elsewhere never fails,
 * so the server can still answer. Test code only: not built into strata.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_SYNC = 2, OP_RENAME = 4, OP_CREATE = 8 };
#define HOLD (-1) /* armed() for `hold`: wait, then do the call */

/* 0 when not armed for op; else the errno to fail with. */
static int armed(int op)
{
	const char *ctl = getenv("FAULTINJECT_CTL");
	char buf[256], *tok, *save = NULL;
	int e = EIO, ops = 0, fd, saved = errno;
	ssize_t n;

	if (!ctl || access(ctl, F_OK) != 0) {
		errno = saved;
		return 0;
	}
	fd = open(ctl, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (strcmp(tok, "EIO") == 0)
			e = EIO;
		else if (strcmp(tok, "ENOSPC") == 0)
			e = ENOSPC;
		else if (strcmp(tok, "EDQUOT") == 0)
			e = EDQUOT;
		else if (strcmp(tok, "hold") == 0)
			e = HOLD;
		else if (strcmp(tok, "write") == 0)
			ops |= OP_WRITE;
		else if (strcmp(tok, "sync") == 0)
			ops |= OP_SYNC;
		else if (strcmp(tok, "rename") == 0)
			ops |= OP_RENAME;
		else if (strcmp(tok, "create") == 0)
			ops |= OP_CREATE;
	}
	errno = saved;
	return ops == 0 || (ops & op) ? e : 0;
}

static int under_dir(const char *path)
{
	const char *dir = getenv("FAULTINJECT_DIR");
	size_t n;

	if (!dir || !path)
		return 0;
	n = strlen(dir);
	return strncmp(path, dir, n) == 0;
}

/* HOLD: waits while the control file exists, then lets the call through (0). */
static int held(int e)
{
	const char *ctl = getenv("FAULTINJECT_CTL");
	const struct timespec pause = {0, 10 * 1000 * 1000};
	int saved = errno;

	if (e != HOLD)
		return e;
	while (ctl && access(ctl, F_OK) == 0)
		nanosleep(&pause, NULL);
	errno = saved;
	return 0;
}

static int fd_path(int fd, char *out, size_t cap)
{
	char link[64];
	ssize_t n;

	if (fd == AT_FDCWD)
		return getcwd(out, cap) ? 0 : -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, cap - 1);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* The errno to fail this call on fd with, or 0. */
static int fd_fault(int fd, int op)
{
	char path[4096];
	int e = armed(op), saved = errno;

	if (e && (fd_path(fd, path, sizeof(path)) != 0 || !under_dir(path)))
		e = 0;
	errno = saved;
	return held(e);
}

/* The errno to fail this call on dirfd/name with, or 0. */
static int at_fault(int dirfd, const char *name, int op)
{
	char path[4096];
	int e = armed(op), saved = errno;

	if (e && name[0] == '/')
		e = under_dir(name) ? e : 0;
	else if (e && (fd_path(dirfd, path, sizeof(path)) != 0 || !under_dir(path)))
		e = 0;
	errno = saved;
	return held(e);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define FAIL(e)                                                                                    \
	do {                                                                                       \
		errno = (e);                                                                       \
		return -1;                                                                         \
	} while (0)

ssize_t write(int fd, const void *buf, size_t len)
{
	int e = fd_fault(fd, OP_WRITE);

	if (e)
		FAIL(e);
	return REAL(write)(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	int e = fd_fault(fd, OP_WRITE);

	if (e)
		FAIL(e);
	return REAL(pwrite)(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	int e = fd_fault(fd, OP_WRITE);

	if (e)
		FAIL(e);
	return REAL(pwrite64)(fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	int e = fd_fault(fd, OP_WRITE);

	if (e)
		FAIL(e);
	return REAL(writev)(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	int e = fd_fault(fd, OP_WRITE);

	if (e)
		FAIL(e);
	return REAL(pwritev)(fd, iov, n, off);
}

int fsync(int fd)
{
	int e = fd_fault(fd, OP_SYNC);

	if (e)
		FAIL(e);
	return REAL(fsync)(fd);
}

int fdatasync(int fd)
{
	int e = fd_fault(fd, OP_SYNC);

	if (e)
		FAIL(e);
	return REAL(fdatasync)(fd);
}

int rename(const char *from, const char *to)
{
	int e = at_fault(AT_FDCWD, from, OP_RENAME);

	if (e)
		FAIL(e);
	return REAL(rename)(from, to);
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	int e = at_fault(fromfd, from, OP_RENAME);

	if (e)
		FAIL(e);
	return REAL(renameat)(fromfd, from, tofd, to);
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags)
{
	int e = at_fault(fromfd, from, OP_RENAME);

	if (e)
		FAIL(e);
	return REAL(renameat2)(fromfd, from, tofd, to, flags);
}

int openat(int dirfd, const char *name, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int e;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
		e = at_fault(dirfd, name, OP_CREATE);
		if (e)
			FAIL(e);
	}
	return REAL(openat)(dirfd, name, flags, mode);
}

int open(const char *name, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int e;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
		e = at_fault(AT_FDCWD, name, OP_CREATE);
		if (e)
			FAIL(e);
	}
	return REAL(open)(name, flags, mode);
}
