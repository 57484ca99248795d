/*
 * objwire: an object's metadata as one HTTP header value, for the remote-S3
 * backend (backends/s3.c).
 *
 * That backend keeps no index of its own: what Strata knows about an object
 * (struct obj_meta, plus the frames' file id and the framed body's size)
 * travels with the remote object as user metadata, in the single header
 * `x-amz-meta-strata`, and comes back on every HEAD/GET of it.
 *
 * Why one header value. One value is written and read as a unit, so a
 * remote can never hand back half of our fields, and the client's own
 * x-amz-meta-* pairs stay inside our headers blob instead of mixing with
 * our names. The cost is size. AWS caps user metadata at 2 KiB in total
 * (names and values), and so does MinIO (which also caps a request's
 * headers at 8 KiB); RGW does not check the size of metadata by default and
 * its beast frontend takes 16 KiB of request headers (max_header_size), so
 * the largest encoding (about 12 KB) leaves room for the other headers. Our
 * own fields take about 300 bytes and the headers blob grows by a third in
 * base64: a client's metadata well under its own 2 KiB cap (from about
 * 1.2 KiB, less with many pairs or long Content-* values) plus ours passes
 * AWS's and MinIO's cap. The remote then answers MetadataTooLarge, and the
 * backend must fail the PUT clearly (S3E_MetadataTooLarge, logged), never
 * store the object without its metadata. Only a remote that allows more
 * (RGW) stores every legal obj_meta; the encoding of the largest one fits
 * OBJWIRE_MAX (asserted at compile time and in the unit test).
 *
 * Format (version 1), printable ASCII from [A-Za-z0-9] and ;=%-_.~+/ only:
 *
 *     v1;sz=123;mt=1700000000123;et=<etag>;ss=187;fi=<32 hex>;...;end
 *
 * the version token, then `;`-separated key=value items, then `end`.
 *
 *   key  field              value
 *   sz   size               decimal, 0..INT64_MAX          required
 *   mt   mtime_ms           decimal, 0..INT64_MAX          required
 *   et   etag               text                           required
 *   ss   stored_size        decimal, 0..INT64_MAX          required (extra)
 *   fi   file_id            32 lowercase hex               required (extra)
 *   sh   sha256_hex         64 lowercase hex
 *   ca   checksum_algo      text
 *   cv   checksum_b64       text
 *   ct   checksum_type      text
 *   sc   storage_class      text
 *   vf   verified_ms        decimal, 0..INT64_MAX
 *   pc   parts_count        decimal, 0..STRATA_MAX_PARTS
 *   rs   restore_state      decimal, 0..RESTORE_DONE
 *   ru   restore_until_ms   decimal, 0..INT64_MAX
 *   sm   sse_mode           decimal, 0..SSE_C
 *   ki   sse_key_id         text
 *   ev   sse_envelope       base64, 1..STRATA_SSE_ENVELOPE_MAX bytes
 *   hd   headers blob       base64, 1..STRATA_MAX_STORED_HEADERS bytes
 *
 * Decimal: digits only, no sign, no leading zero (but "0"). Text: the
 * bytes percent-encoded as SigV4 does (uri_encode: every byte but
 * A-Z a-z 0-9 - _ . ~ is %XX, uppercase hex), and read back only in that
 * spelling; no NUL. Base64: standard, padded, strict (base64_decode).
 *
 * Invariants:
 *  1. Every field of obj_meta and objwire_extra round-trips exactly:
 *     decode(encode(m, x)) gives back m and x, headers blob byte for byte
 *     (a blob pointer with headers_len 0 comes back as NULL).
 *  2. The encoder refuses (S3E_InternalError) any value the decoder would
 *     refuse: a text field not NUL-terminated in its array, an empty etag,
 *     a sha256_hex not empty nor 64 lowercase hex, a number out of its
 *     range, a blob over its cap, a headers blob that is not whole
 *     name NUL value NUL pairs. So what was stored can always be read.
 *  3. An optional field at its zero value (0, "", no blob) is left out; a
 *     value is never empty. Fields may come in any order, each at most once.
 *  4. `v1` is first and `end` is last: a value cut short anywhere (a remote
 *     or proxy that truncates long headers) is refused, never read as an
 *     object with fewer fields.
 *  5. A key this version does not know is skipped (a newer writer of v1 may
 *     add fields) but must still be well-formed: 1..16 of [a-z0-9], a
 *     non-empty value from the alphabet above in which every `%` starts an
 *     uppercase %XX escape, not repeated, and at most 16 such keys. A new
 *     version number means an incompatible format and is refused.
 *  6. The encoding never exceeds OBJWIRE_MAX; a longer input is refused
 *     before it is looked at.
 */
#ifndef STRATA_OBJWIRE_H
#define STRATA_OBJWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "objmeta.h"
#include "s3err.h"

#define OBJWIRE_MAX (16u * 1024) /* the longest encoded value (fits one HTTP header) */
#define OBJWIRE_FILE_ID_SIZE 16u /* common/frames.h FRAME_FILE_ID_SIZE */

/* What only the s3 backend needs, beside obj_meta. */
struct objwire_extra {
	uint8_t file_id[OBJWIRE_FILE_ID_SIZE]; /* the frames' file id of the remote body */
	uint64_t stored_size;		       /* bytes of the remote object's framed body */
};

/* --- encoding and decoding --- */

/*
 * Appends the encoding of m (all fields, headers blob included) and x to
 * out. On failure out is unchanged. Errors: out->too_big when out's cap is
 * reached (S3E_MetadataTooLarge if the caller set it so), S3E_InternalError
 * for a field the decoder would refuse (invariant 2) or no memory.
 */
s3err_t objwire_encode(const struct obj_meta *m, const struct objwire_extra *x, struct buf *out);

/*
 * Parses s[0..len) into *m and *x; s need not be NUL-terminated and no
 * byte past len is read. m must have been obj_meta_init'ed by the caller;
 * on success every field of m is overwritten (a headers blob m held is
 * freed) and m->headers is a fresh allocation owned by m, or NULL with
 * headers_len 0 when there is none. Strict: any malformed, duplicated,
 * out-of-range or over-cap field, a missing required field, a missing
 * `end`, or a version other than v1 is S3E_InternalError and leaves *m and
 * *x untouched. Unknown keys are skipped (invariant 5).
 * Errors: S3E_InternalError.
 */
s3err_t objwire_decode(const char *s, size_t len, struct obj_meta *m, struct objwire_extra *x);

#endif
