/*
 * range: the HTTP Range header for GetObject (RFC 9110 bytes ranges).
 *
 * S3 honours one range: "bytes=a-b", "bytes=a-", "bytes=-n". A header that
 * is not a syntactically valid single bytes range is ignored (the whole
 * object is served), as AWS does; a valid range that starts at or past the
 * end (or a suffix of 0) is unsatisfiable -> 416 InvalidRange.
 */
#ifndef STRATA_RANGE_H
#define STRATA_RANGE_H

#include <stdint.h>

enum range_result {
	RANGE_NONE,	     /* absent or ignored: serve the whole object (200) */
	RANGE_OK,	     /* serve [first, last] (206) */
	RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes *\/size */
};

struct byte_range {
	uint64_t first;
	uint64_t last; /* inclusive, clamped to size-1 */
};

/* Parses hdr (may be NULL) against an object of `size` bytes. */
enum range_result range_parse(const char *hdr, uint64_t size, struct byte_range *out);

#endif
