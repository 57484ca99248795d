/*
 * buf: a growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * Every append checks the cap first; exceeding it fails with the error the
 * caller chose at init time and leaves the buffer as it was. The content is
 * always NUL-terminated (the NUL is not counted in len), so text built here
 * can be passed to C string functions.
 */
#ifndef STRATA_BUF_H
#define STRATA_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "s3err.h"

struct buf {
	char *data;	 /* NULL until the first append */
	size_t len;	 /* bytes used, excluding the trailing NUL */
	size_t alloc;	 /* bytes allocated */
	size_t max;	 /* the cap on len */
	s3err_t too_big; /* returned when an append would pass max */
};

/* Prepares an empty buffer; nothing is allocated yet. */
void buf_init(struct buf *b, size_t max, s3err_t too_big);

/* Releases the memory; the buffer is empty and reusable. buf_free(NULL) is fine. */
void buf_free(struct buf *b);

/* Empties the buffer but keeps its memory. */
void buf_reset(struct buf *b);

/*
 * Cuts the buffer back to its first len bytes (len <= b->len), keeping its
 * memory: how a writer undoes what it appended since it noted b->len.
 */
void buf_truncate(struct buf *b, size_t len);

/*
 * Makes room for n more bytes now (within the cap), so that a buffer whose
 * usual size is known grows in one allocation instead of by doubling.
 * Errors: as buf_add.
 */
s3err_t buf_reserve(struct buf *b, size_t n);

/* Appends len bytes (p must not point into b). Errors: b->too_big, S3E_InternalError (out of
 * memory). */
s3err_t buf_add(struct buf *b, const void *p, size_t len);

/* Appends a C string. */
s3err_t buf_adds(struct buf *b, const char *s);

/* Appends printf-style text. */
s3err_t buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
s3err_t buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Returns the text ("" when empty); stays owned by the buffer. */
const char *buf_str(const struct buf *b);

/* Hands the allocation to the caller (who frees it) and empties the buffer. May return NULL when
 * empty. */
char *buf_take(struct buf *b);

#endif
