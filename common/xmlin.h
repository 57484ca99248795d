/*
 * xmlin: hardened parsing of the XML request bodies S3 clients send.
 *
 * libxml2 is used with a size cap checked before parsing, XML_PARSE_NONET,
 * no entity substitution, and any DOCTYPE rejected (billion-laughs and XXE
 * stop here). Element names are matched in the S3 namespace or without one.
 * Unknown elements where S3 allows none -> MalformedXML.
 */
#ifndef STRATA_XMLIN_H
#define STRATA_XMLIN_H

#include <stdbool.h>
#include <stddef.h>

#include "limits.h"
#include "s3err.h"

struct delete_object_item {
	char *key; /* owned, NUL-terminated (validated later by the gateway) */
	size_t key_len;
	char *version_id; /* owned, or NULL */
};

struct delete_request {
	bool quiet;
	size_t n; /* 1..STRATA_MAX_DELETE_KEYS */
	struct delete_object_item *objects;
};

/*
 * Parses a DeleteObjects body:
 *   <Delete><Quiet>true</Quiet><Object><Key>k</Key><VersionId>v</VersionId></Object>...</Delete>
 * Errors: S3E_MalformedXML (bad XML, no Object, more than 1000, empty Key),
 * S3E_MaxMessageLengthExceeded (> STRATA_MAX_XML_BODY), S3E_InternalError,
 * S3E_NotImplemented (an Object carries ETag, LastModifiedTime or Size: a
 * conditional delete Strata does not evaluate, so it refuses rather than ignore).
 */
s3err_t xmlin_parse_delete(const char *body, size_t len, struct delete_request *out);
void xmlin_delete_free(struct delete_request *r);

/*
 * Parses an optional CreateBucketConfiguration body; an empty body is valid
 * and yields region "". Copies LocationConstraint into region[cap].
 * Errors: S3E_MalformedXML, S3E_InvalidLocationConstraint (too long),
 * S3E_MaxMessageLengthExceeded (> STRATA_MAX_SMALL_XML_BODY),
 * S3E_NotImplemented (Location, Bucket or Tags present).
 */
s3err_t xmlin_parse_create_bucket(const char *body, size_t len, char *region, size_t cap);

#endif
