/*
 * names: validation of bucket names and object keys, before they reach any
 * path, SQL statement or log line.
 */
#ifndef STRATA_NAMES_H
#define STRATA_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "s3err.h"

/*
 * The AWS general-purpose bucket naming rules: 3-63 characters of a-z 0-9 .
 * and -, starting and ending with a letter or digit, no "..", not an IPv4
 * address, not starting with "xn--", "sthree-" or "amzn-s3-demo-", not ending
 * with "-s3alias", "--ol-s3", ".mrap" or "--x-s3".
 */
bool names_bucket_valid(const char *name);

/*
 * Object keys: 1..1024 bytes of valid UTF-8 without NUL. Anything else is
 * just bytes ("..", "//", trailing "/", unicode).
 * Errors: S3E_KeyTooLongError (> 1024), S3E_InvalidArgument (empty, bad UTF-8, NUL).
 */
s3err_t names_key_check(const char *key, size_t len);

#endif
