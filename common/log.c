/*
 * log: one line per event on stderr.
 *
 * Invariants:
 *  1. A line is built completely in a stack buffer of LOG_LINE_MAX bytes and
 *     handed to one write(2), so lines from concurrent threads do not
 *     interleave. The cap stays below PIPE_BUF (4096 on Linux), the size up
 *     to which a write to a pipe is atomic.
 *  2. The message and module are sanitized: control bytes (0x00-0x1f, 0x7f),
 *     C1 controls and U+2028/U+2029 encoded as UTF-8, bytes that are not
 *     well-formed UTF-8, and the backslash itself are written as "\xNN" (the
 *     backslash as "\\"). A client-chosen object key that contains "\n" or
 *     terminal escapes can therefore neither start a forged line nor rewrite
 *     the terminal, and the escaping is unambiguous.
 *  3. A line longer than the cap is cut and ends in "..." before the newline.
 */
#include "log.h"
#include "strutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048u /* bytes per line including the newline */

/* Set once before threads start (see log.h); read-only afterwards. */
static enum log_level threshold = LOG_INFO;

static const char *const level_names[] = {
    [LOG_ERROR] = "error",
    [LOG_WARN] = "warn",
    [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug",
};

/*
 * Output cursor over a fixed line buffer; `full` records that something was
 * cut. cap excludes the bytes reserved for "..." and the newline, so those
 * always fit and a cut never splits an escape or a UTF-8 sequence.
 */
struct line {
	char *p;
	size_t len;
	size_t cap;
	bool full;
};

/*
 * Sets the threshold: lines with a level above lvl are dropped. Out-of-range
 * values are clamped to LOG_DEBUG. Not synchronized; call before threads start.
 */
void log_set_level(enum log_level lvl)
{
	if ((unsigned)lvl > LOG_DEBUG)
		lvl = LOG_DEBUG;
	threshold = lvl;
}

/*
 * Maps "error", "warn", "info", "debug" (exact, lowercase) to the level in
 * *out. Returns 0, or -1 (and leaves *out alone) for anything else or NULL.
 */
int log_level_parse(const char *name, enum log_level *out)
{
	unsigned i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Appends n raw bytes if they all fit; otherwise marks the line full. */
static void put(struct line *l, const char *s, size_t n)
{
	if (l->full || n > l->cap - l->len) {
		l->full = true;
		return;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

/* Appends as much of n plain ASCII bytes as fits (a run may be cut anywhere). */
static void put_ascii(struct line *l, const char *s, size_t n)
{
	size_t room = l->cap - l->len;

	if (n > room) {
		put(l, s, room);
		l->full = true;
		return;
	}
	put(l, s, n);
}

/* Appends one byte as "\xNN". */
static void put_escaped(struct line *l, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};

	put(l, e, sizeof(e));
}

/* Appends s[0..n) with the escaping of invariant 2. */
static void put_sanitized(struct line *l, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, run;
	uint32_t cp;

	while (i < n && !l->full) {
		/* Copy a run of printable ASCII in one go. */
		run = 0;
		while (i + run < n && u[i + run] >= 0x20 && u[i + run] < 0x7f && u[i + run] != '\\')
			run++;
		if (run) {
			put_ascii(l, s + i, run);
			i += run;
			continue;
		}
		if (u[i] == '\\') {
			put(l, "\\\\", 2);
			i++;
			continue;
		}
		k = u[i] >= 0x80 ? utf8_seq(u + i, n - i, &cp) : 0;
		if (k && !(cp >= 0x80 && cp <= 0x9f) && cp != 0x2028 && cp != 0x2029) {
			put(l, s + i, k);
			i += k;
			continue;
		}
		if (!k)
			k = 1;
		while (k--)
			put_escaped(l, u[i++]);
	}
}

/* Appends "YYYY-MM-DDTHH:MM:SS.mmmZ" for the current UTC time. */
static void put_timestamp(struct line *l)
{
	struct timespec ts;
	struct tm tm;
	char t[40];
	size_t n;
	int m;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm)) {
		put(l, "0000-00-00T00:00:00.000Z", 24);
		return;
	}
	n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	m = snprintf(t + n, sizeof(t) - n, ".%03ldZ", (long)(ts.tv_nsec / 1000000));
	if (m > 0 && (size_t)m < sizeof(t) - n)
		n += (size_t)m;
	put(l, t, n);
}

/* Writes all of p[0..n) to stderr, retrying on EINTR and short writes. */
static void write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(STDERR_FILENO, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * Formats one event as "TIMESTAMP level module: message\n" and writes it to
 * stderr with one write(2) when lvl is within the threshold. module may be
 * NULL ("-"). Lines are capped at LOG_LINE_MAX bytes (cut lines end in
 * "..."). errno is preserved, so callers may log and then inspect it.
 */
void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	char out[LOG_LINE_MAX];
	struct line l = {out, 0, sizeof(out) - 4, false}; /* 4: "..." and '\n' */
	const char *lname;
	bool cut = false;
	int saved = errno;
	va_list ap;
	int n;

	if ((unsigned)lvl > (unsigned)threshold)
		goto out;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		n = 0;
		msg[0] = '\0';
	} else if ((size_t)n >= sizeof(msg)) {
		n = sizeof(msg) - 1;
		cut = true;
	}

	put_timestamp(&l);
	put(&l, " ", 1);
	lname = (unsigned)lvl <= LOG_DEBUG ? level_names[lvl] : "?";
	put(&l, lname, strlen(lname));
	put(&l, " ", 1);
	if (!module)
		module = "-";
	put_sanitized(&l, module, strlen(module));
	put(&l, ": ", 2);
	put_sanitized(&l, msg, (size_t)n);

	if (l.full || cut) {
		memcpy(out + l.len, "...", 3);
		l.len += 3;
	}
	out[l.len++] = '\n';
	write_all(out, l.len);
out:
	errno = saved;
}
