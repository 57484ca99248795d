/* buf: bounded growable buffer. */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max, s3err_t too_big)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->too_big = too_big;
}

void buf_free(struct buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len > b->len)
		return;
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

/* Makes room for `extra` more bytes plus the NUL, doubling to amortize. */
static s3err_t reserve(struct buf *b, size_t extra)
{
	size_t need, n;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return b->too_big;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return S3E_OK;
	n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (b->max < SIZE_MAX && n > b->max + 1)
		n = b->max + 1;
	p = realloc(b->data, n);
	if (!p)
		return S3E_InternalError;
	b->data = p;
	b->alloc = n;
	return S3E_OK;
}

s3err_t buf_reserve(struct buf *b, size_t n)
{
	s3err_t err = reserve(b, n);

	if (!err)
		b->data[b->len] = '\0'; /* buf_str of a buffer only reserved is still "" */
	return err;
}

s3err_t buf_add(struct buf *b, const void *p, size_t len)
{
	s3err_t err = reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return S3E_OK;
}

s3err_t buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

s3err_t buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	s3err_t err;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return S3E_InternalError;
	err = reserve(b, (size_t)n);
	if (err)
		return err;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return S3E_OK;
}

s3err_t buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	s3err_t err;

	va_start(ap, fmt);
	err = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return err;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *buf_take(struct buf *b)
{
	char *p = b->data;

	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
