/*
 * audit: the hash-chained audit log (who read, wrote or deleted which object,
 * when), and its verification (`strata audit verify FILE...`).
 *
 * Line format (one JSON object per line, '\n'-terminated, at most
 * STRATA_MAX_LOG_LINE bytes):
 *
 *   {"seq":N,<members>,"prev":"<P>","hash":"<H>"}
 *
 * N counts lines from 1 and goes on across restarts and rotated files. P is
 * the H of the line before (64 '0's for the very first line of a chain), H
 * is lowercase hex SHA-256 over the ASCII of P followed by the line's bytes
 * before `,"prev":"`. The suffix `,"prev":"P","hash":"H"}` always has exactly
 * AUDIT_SUFFIX_LEN (149) bytes, so the hashed part is the line minus its last
 * 149 bytes. Members come from jsonw (escaped: a '"' inside a string is
 * always written \", so `,"prev":"` cannot occur inside a value).
 *
 * A line is good when its suffix has that shape, its H matches, and (after
 * the first line checked) its P is the previous line's H and its N the
 * previous N + 1. So an edited line fails its own hash; a removed, inserted
 * or reordered line breaks the P/N link of the line after it; a cut-off last
 * line has no '\n'. Rotated files are checked in order as one chain. The
 * check in Python, for a third party:
 *
 *   import hashlib, json
 *   prev = seq = None
 *   for n, raw in enumerate(open(path, "rb"), 1):
 *       assert raw.endswith(b"\n"), n          # cut-off last line
 *       line = raw[:-1]; body, tail = line[:-149], line[-149:]
 *       p, h = tail[9:73], tail[83:147]
 *       assert tail == b',"prev":"' + p + b'","hash":"' + h + b'"}', n
 *       assert hashlib.sha256(p + body).hexdigest().encode() == h, n  # edited
 *       s = json.loads(line)["seq"]
 *       assert prev is None or (p == prev and s == seq + 1), n        # removed
 *       prev, seq = h, s
 *
 * What the chain cannot show on its own: lines cut from the START of the
 * first file checked (the first P is taken as given; it is all '0's only for
 * a chain's genesis file) or from the END of the last one. Keep the last
 * hash `strata audit verify` printed (or ship lines off the host) to pin
 * them.
 *
 * Writing: a line that cannot be written (disk full) is lost, not half
 * written (logfile.h), and the chain does not advance; the next line that
 * can be written is preceded by a chained record
 *   {"seq":N,"time":"...","event":"audit_lines_lost","lost":K,...}
 * so the gap is inside the tamper-evident record, besides the metric
 * strata_log_write_errors_total{log="audit"} and the error log.
 */
#ifndef STRATA_AUDIT_H
#define STRATA_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_HEX 64u
#define AUDIT_SUFFIX_LEN 149u /* ,"prev":"<64 hex>","hash":"<64 hex>"} */

/* --- writing (any thread) --- */

struct audit;

/*
 * Opens the audit log at path for appending. When the file exists and is not
 * empty its last line is read and checked, and the chain goes on from it
 * (seq + 1, prev = its hash), so restarts keep one chain. Refuses (logged,
 * -1) a path it cannot open, and a file whose last line is cut off or does
 * not verify: a chain must not silently restart on top of a damaged one.
 */
int audit_open(const char *path, struct audit **out);

/*
 * Appends one line whose members (JSON object members without braces, e.g.
 * from jsonw_kv_*: `"time":"...","op":"GetObject"`, not empty) are
 * members[0..len). seq, prev and hash are added. The chain lock is held
 * across the one write(2), which is what keeps file order = chain order.
 * Returns 0, or -1 when the line was lost (see above).
 */
int audit_append(struct audit *a, const char *members, size_t len);

/*
 * After logrotate renamed the file (SIGHUP): opens the path again; the new
 * file's first line continues the chain of the old file's last. -1 (logged)
 * keeps writing the old file.
 */
int audit_reopen(struct audit *a);

/* Closes the log. audit_free(NULL) does nothing. */
void audit_free(struct audit *a);

/* --- verifying --- */

/* Where a check has got to; carried from one file to the next. */
struct audit_chain {
	uint64_t lines;	     /* good lines so far, all files */
	uint64_t first_seq;  /* seq of the first line checked */
	char first_prev[65]; /* its prev: all '0's for a genesis file */
	uint64_t seq;	     /* seq of the last good line */
	char hash[65];	     /* hash of the last good line; "" before the first */
};

enum audit_verdict {
	AUDIT_OK = 0,
	AUDIT_BAD, /* the chain is broken at the reported line */
	AUDIT_IO,  /* the file could not be read */
};

void audit_chain_init(struct audit_chain *c);

/*
 * Checks one line (without its '\n') as the next of c, and on success moves
 * c on. On AUDIT_BAD says why in why[whylen].
 */
enum audit_verdict audit_check_line(struct audit_chain *c, const char *line, size_t len, char *why,
				    size_t whylen);

/*
 * Checks every line of the file at path as the continuation of c (call in
 * file order for rotated files, one chain). On AUDIT_BAD *line_no is the
 * first bad line (1-based, in this file) and why says what is wrong; on
 * AUDIT_IO why says what could not be read.
 */
enum audit_verdict audit_verify_file(struct audit_chain *c, const char *path, uint64_t *line_no,
				     char *why, size_t whylen);

#endif
