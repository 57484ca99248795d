/*
 * s3err: the single error type of Strata.
 *
 * Every function that can fail returns s3err_t; S3E_OK (0) means success.
 * The values are generated from s3err.def, so an error is always an S3 error
 * with a code string and the HTTP status AWS uses. I/O and allocation failures
 * inside Strata surface as S3E_InternalError (logged where they happen).
 */
#ifndef STRATA_S3ERR_H
#define STRATA_S3ERR_H

typedef enum {
	S3E_OK = 0,
#define S3ERR(code, status, msg) S3E_##code,
#include "s3err.def"
#undef S3ERR
	S3E__COUNT
} s3err_t;

/* The S3 error code string ("NoSuchKey"); "OK" for S3E_OK. Never NULL. */
const char *s3err_code(s3err_t e);

/* The HTTP status AWS answers with; 200 for S3E_OK. */
unsigned s3err_status(s3err_t e);

/* The default human-readable message. Never NULL. */
const char *s3err_message(s3err_t e);

#endif
