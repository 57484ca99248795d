/*
 * logfile: an append-only file of lines (the access and audit logs).
 *
 * Each line goes out in one write(2) on an O_APPEND descriptor under a mutex,
 * so lines from concurrent requests never interleave. A write that fails or
 * comes up short is undone (the file is cut back to the last whole line), so
 * a full disk loses lines but never leaves half a line behind; each failure
 * counts in strata_log_write_errors_total{log} and is logged (at most once
 * every LOGFILE_ERROR_INTERVAL_MS, with the number of lines lost since).
 *
 * logrotate: rename the file, then SIGHUP; logfile_reopen opens the path
 * again and swaps the descriptor under the mutex, so no line is lost and none
 * goes to the old file once the reopen returns.
 */
#ifndef STRATA_LOGFILE_H
#define STRATA_LOGFILE_H

#include <stddef.h>

/* Which log a file is: its strata_log_write_errors_total label cell. */
enum logfile_kind { LOGFILE_ACCESS = 0, LOGFILE_AUDIT = 1 };

#define LOGFILE_ERROR_INTERVAL_MS 10000 /* one error log line per file per 10 s */

struct logfile;

/*
 * Opens (creating, mode 0640) path for appending. On failure logs why with
 * the path and returns -1: a server must not start without the log it was
 * configured to write.
 */
int logfile_open(const char *path, enum logfile_kind kind, struct logfile **out);

/*
 * Appends line[0..len) (which should end in '\n') in one write. Returns 0, or
 * -1 when the line could not be written (counted, logged rate-limited, and
 * nothing of it left in the file).
 */
int logfile_write_line(struct logfile *lf, const char *line, size_t len);

/*
 * Opens the path again (after logrotate renamed it) and swaps the descriptor.
 * When the path cannot be opened, logs why, keeps writing to the old
 * descriptor and returns -1.
 */
int logfile_reopen(struct logfile *lf);

/* The configured path (for messages). */
const char *logfile_path(const struct logfile *lf);

/* Closes the file. logfile_free(NULL) does nothing. */
void logfile_free(struct logfile *lf);

#endif
