/*
 * conditions: HTTP preconditions on an object (RFC 9110 section 13, as S3
 * applies them to GET/HEAD and to a CopyObject source).
 */
#ifndef STRATA_CONDITIONS_H
#define STRATA_CONDITIONS_H

#include <stdbool.h>

#include "../common/objmeta.h"
#include "../common/s3err.h"

struct conditions {
	const char *if_match; /* each may be NULL */
	const char *if_none_match;
	const char *if_modified_since;
	const char *if_unmodified_since;
};

/*
 * Evaluates c against m in the RFC's order: If-Match (else
 * If-Unmodified-Since) false -> PreconditionFailed; If-None-Match (else
 * If-Modified-Since) false -> NotModified, or PreconditionFailed when
 * for_copy_source (x-amz-copy-source-if-* never answer 304).
 * Unparseable dates are ignored, as RFC 9110 requires.
 */
s3err_t cond_check(const struct conditions *c, const struct obj_meta *m, bool for_copy_source);

/* true if etag (unquoted) is in the If-Match / If-None-Match list ("*" matches any). */
bool cond_etag_listed(const char *list, const char *etag);

#endif
