/*
 * jsonw: writing one-line JSON objects (the access and audit logs) into a
 * bounded buf.
 *
 * Strings are escaped so that any bytes, object keys included (S3 keys are
 * arbitrary bytes), give a single line of valid JSON:
 *   "  and \          as \" and \\
 *   bytes < 0x20, 0x7f  as \n \r \t or \u00XX
 *   well-formed UTF-8  as is
 *   any byte of malformed UTF-8 (0x80..0xff)  as \u00XX
 * Since a real character U+0080..U+00FF is always written as its UTF-8 bytes,
 * never as an escape, "\u00XX" with XX >= 80 unambiguously stands for the raw
 * byte XX: the original bytes can be recovered exactly. Every string grows at
 * most 6 times (JSONW_MAX_EXPANSION).
 */
#ifndef STRATA_JSONW_H
#define STRATA_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "s3err.h"

#define JSONW_MAX_EXPANSION 6u /* escaped bytes per input byte, at most ("\u00XX") */

/* Appends s[0..len) as a quoted, escaped JSON string. Errors: b's cap (b->too_big), memory. */
s3err_t jsonw_str(struct buf *b, const char *s, size_t len);

/*
 * Object members. Each appends `"name":value`, preceded by a comma unless b
 * is empty or ends in '{'. name is a trusted literal from the code (not
 * escaped). A NULL string value is written as null.
 */
s3err_t jsonw_kv_str(struct buf *b, const char *name, const char *value);
s3err_t jsonw_kv_strn(struct buf *b, const char *name, const char *value, size_t len);
s3err_t jsonw_kv_u64(struct buf *b, const char *name, uint64_t value);
s3err_t jsonw_kv_bool(struct buf *b, const char *name, bool value);

#endif
