/* objmeta: object metadata and its serialized header list. */
#include "objmeta.h"

#include <stdlib.h>
#include <string.h>

void obj_meta_init(struct obj_meta *m)
{
	memset(m, 0, sizeof(*m));
}

void obj_meta_free(struct obj_meta *m)
{
	if (!m)
		return;
	free(m->headers);
	memset(m, 0, sizeof(*m));
}

s3err_t obj_meta_copy(struct obj_meta *dst, const struct obj_meta *src)
{
	char *h = NULL;

	if (src->headers_len) {
		h = malloc(src->headers_len);
		if (!h)
			return S3E_InternalError;
		memcpy(h, src->headers, src->headers_len);
	}
	*dst = *src;
	dst->headers = h;
	return S3E_OK;
}

s3err_t obj_meta_add_header(struct obj_meta *m, const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
	size_t total = m->headers_len + nl + vl;
	char *p;

	if (nl + vl > STRATA_MAX_STORED_HEADERS || total > STRATA_MAX_STORED_HEADERS)
		return S3E_MetadataTooLarge;
	p = realloc(m->headers, total);
	if (!p)
		return S3E_InternalError;
	memcpy(p + m->headers_len, name, nl);
	memcpy(p + m->headers_len + nl, value, vl);
	m->headers = p;
	m->headers_len = total;
	return S3E_OK;
}

bool obj_meta_next_header(const struct obj_meta *m, size_t *pos, const char **name,
			  const char **value)
{
	const char *n, *v, *end = m->headers + m->headers_len;
	size_t nl, vl;

	if (!m->headers || *pos >= m->headers_len)
		return false;
	/* The blob may come from disk: never trust it to be terminated. */
	n = m->headers + *pos;
	nl = strnlen(n, (size_t)(end - n));
	if (n + nl >= end)
		return false;
	v = n + nl + 1;
	vl = strnlen(v, (size_t)(end - v));
	if (v + vl >= end)
		return false;
	*name = n;
	*value = v;
	*pos = (size_t)(v + vl + 1 - m->headers);
	return true;
}

void obj_meta_clear_headers(struct obj_meta *m)
{
	free(m->headers);
	m->headers = NULL;
	m->headers_len = 0;
}

const char *obj_repl_status_name(int status)
{
	switch (status) {
	case REPL_PENDING:
		return "PENDING";
	case REPL_COMPLETED:
		return "COMPLETED";
	case REPL_FAILED:
		return "FAILED";
	case REPL_REPLICA:
		return "REPLICA";
	default:
		return NULL;
	}
}
