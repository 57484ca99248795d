/* logfile: append-only line files, reopened for logrotate (see logfile.h). */
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httptime.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"
#include "strutil.h"

struct logfile {
	pthread_mutex_t lock; /* guards fd and the error counters; held across one write */
	int fd;
	enum logfile_kind kind;
	int64_t last_error_ms; /* when a write error was last logged */
	uint64_t lost;	       /* lines lost since then */
	char path[STRATA_MAX_PATH];
};

static int open_path(const char *path, int *fd)
{
	*fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return *fd < 0 ? -1 : 0;
}

int logfile_open(const char *path, enum logfile_kind kind, struct logfile **out)
{
	struct logfile *lf = calloc(1, sizeof(*lf));

	if (!lf || !str_copy(lf->path, sizeof(lf->path), path)) {
		log_error("logfile", "cannot open the log file %s: %s", path,
			  lf ? "path too long" : "out of memory");
		free(lf);
		return -1;
	}
	if (open_path(path, &lf->fd) != 0) {
		log_error("logfile", "cannot open the log file %s for appending: %s", path,
			  strerror(errno));
		free(lf);
		return -1;
	}
	lf->kind = kind;
	pthread_mutex_init(&lf->lock, NULL);
	*out = lf;
	return 0;
}

/*
 * After a failed or short write: cut the file back to where the line began,
 * so a line is either whole or absent. With O_APPEND the offset after the
 * write is the end of what it wrote.
 */
static void undo_partial(int fd, ssize_t wrote)
{
	off_t end;

	if (wrote <= 0)
		return;
	end = lseek(fd, 0, SEEK_CUR);
	if (end >= wrote && ftruncate(fd, end - wrote) != 0)
		log_error("logfile", "could not remove a partial line: %s", strerror(errno));
}

/* Called with the lock held. */
static void write_failed(struct logfile *lf, int err)
{
	int64_t now = httptime_now_ms();

	metrics_add(METRIC_LOG_WRITE_ERRORS, (unsigned)lf->kind, 1);
	lf->lost++;
	if (now - lf->last_error_ms < LOGFILE_ERROR_INTERVAL_MS)
		return;
	log_error("logfile", "cannot write to %s: %s (%llu line(s) lost since the last report)",
		  lf->path, err ? strerror(err) : "short write", (unsigned long long)lf->lost);
	lf->last_error_ms = now;
	lf->lost = 0;
}

int logfile_write_line(struct logfile *lf, const char *line, size_t len)
{
	ssize_t n;
	int rc = 0;

	pthread_mutex_lock(&lf->lock);
	do
		n = write(lf->fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		int e = n < 0 ? errno : 0;

		undo_partial(lf->fd, n);
		write_failed(lf, e);
		rc = -1;
	}
	pthread_mutex_unlock(&lf->lock);
	return rc;
}

int logfile_reopen(struct logfile *lf)
{
	int fd, old;

	/* Opened outside the lock: requests keep logging to the old file meanwhile. */
	if (open_path(lf->path, &fd) != 0) {
		log_error("logfile",
			  "cannot reopen the log file %s: %s; still writing to the "
			  "file open before",
			  lf->path, strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&lf->lock);
	old = lf->fd;
	lf->fd = fd;
	pthread_mutex_unlock(&lf->lock);
	close(old);
	return 0;
}

const char *logfile_path(const struct logfile *lf)
{
	return lf->path;
}

void logfile_free(struct logfile *lf)
{
	if (!lf)
		return;
	close(lf->fd);
	pthread_mutex_destroy(&lf->lock);
	free(lf);
}
