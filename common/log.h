/*
 * log: leveled diagnostic logging to stderr, one line per event:
 *   2026-11-21T06:46:46.123Z warn posix: fsync failed on objects/ab/...: No space left
 * Never pass Authorization values, signatures or keys to these functions.
 * Thread-safe (one write(2) per line).
 */
#ifndef STRATA_LOG_H
#define STRATA_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sets the threshold; lines above it are dropped. Call before starting threads. */
void log_set_level(enum log_level lvl);
/* "error" -> LOG_ERROR etc.; returns -1 for an unknown name. */
int log_level_parse(const char *name, enum log_level *out);

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LOG_DEBUG, mod, __VA_ARGS__)

#endif
