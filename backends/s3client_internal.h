/*
 * s3client_internal: what s3client.c (the transport) and s3client_xml.c (the
 * remote's documents) share. Not for other modules.
 */
#ifndef STRATA_S3CLIENT_INTERNAL_H
#define STRATA_S3CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "s3client.h"

/* Copies src[0..len) into dst[cap], cut to fit, NUL-terminated (diagnostic text only). */
void s3c_copy_cut(char *dst, size_t cap, const char *src, size_t len);

/* Stores the ETag v[0..len) unquoted in out; false if it does not fit. */
bool s3c_set_etag(char out[S3C_MAX_ETAG], const char *v, size_t len);

#endif
