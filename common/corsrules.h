/*
 * corsrules: a bucket's CORS configuration (PutBucketCors) as Strata holds
 * it, parsed from and written back to S3's XML, and what it answers a
 * browser's cross-origin request (issue 9).
 *
 * The rule language is AWS's CORSConfiguration: 1..CORS_MAX_RULES CORSRule
 * of ID, AllowedHeader*, AllowedMethod+, AllowedOrigin+, ExposeHeader*,
 * MaxAgeSeconds. Matching follows AWS's user guide ("How Amazon S3
 * evaluates the CORS configuration"): the first rule whose AllowedOrigin
 * matches the Origin, whose AllowedMethod holds the method (the
 * Access-Control-Request-Method of a preflight) and, for a preflight,
 * whose AllowedHeaders cover every header of Access-Control-Request-Headers.
 *
 * Matching rules, as AWS and the S3 servers that copy it:
 *  - An AllowedOrigin or AllowedHeader holds at most one '*', which stands
 *    for any run of bytes (possibly empty): "*", or "https://" then
 *    "*.example.com" for every subdomain.
 *  - Origins and methods compare byte for byte; header names compare
 *    ASCII case-insensitively (HTTP header names are).
 *  - The answer's Access-Control-Allow-Origin is "*" when the rule allows
 *    every origin (an AllowedOrigin of exactly "*"), else the request's
 *    Origin with Access-Control-Allow-Credentials: true (a browser refuses
 *    credentials with "*"). Allow-Headers (preflight only) echoes the
 *    requested names, lowercased. Vary names Origin and both request
 *    headers, so a cache never serves one origin's answer to another.
 *
 * Deviations from AWS, on purpose: lengths are bytes; messages are static
 * except those naming the offending value, which AWS names too.
 */
#ifndef STRATA_CORSRULES_H
#define STRATA_CORSRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "limits.h"
#include "s3err.h"

#define CORS_MAX_RULES 100u		 /* AWS's limit per configuration */
#define CORS_ID_MAX 255u		 /* bytes of a rule ID, as AWS */
#define CORS_MAX_XML STRATA_MAX_CORS_XML /* body cap of PutBucketCors (limits.h) */
#define CORS_BUCKET_CONFIG "cors"	 /* the bucket configuration document's name */
#define CORS_MESSAGE_MAX 512u		 /* an error message naming a value (truncated) */
#define CORS_HEADERS_MAX STRATA_MAX_HEADER_SECTION_CAP /* one joined response header value */

/* The methods a rule may allow (AWS: GET, PUT, POST, DELETE, HEAD). */
enum cors_method {
	CORS_GET = 1u << 0,
	CORS_PUT = 1u << 1,
	CORS_POST = 1u << 2,
	CORS_DELETE = 1u << 3,
	CORS_HEAD = 1u << 4,
};

/* A list of strings as written, in document order (each owned, NUL-terminated). */
struct cors_list {
	size_t n;
	char **v;
};

struct cors_rule {
	char id[CORS_ID_MAX + 1]; /* "" when the client gave none */
	struct cors_list headers; /* AllowedHeader */
	struct cors_list methods; /* AllowedMethod: each one of the five names */
	struct cors_list origins; /* AllowedOrigin, >= 1 */
	struct cors_list expose;  /* ExposeHeader */
	unsigned method_mask;	  /* enum cors_method bits of methods */
	bool any_origin;	  /* an AllowedOrigin is exactly "*" */
	bool has_max_age;	  /* MaxAgeSeconds given */
	uint32_t max_age;	  /* 0..INT32_MAX */
};

struct cors_config {
	size_t nrules;
	struct cors_rule *rules; /* owned; free with cors_config_free */
};

/*
 * Parses a CORSConfiguration body with the hardened XML rules of
 * common/xmldoc.h (size cap CORS_MAX_XML, no DTD, no entities, no network).
 * Validates as AWS does and, on error, points *message (never NULL on
 * error) at a message (static, or in msgbuf[CORS_MESSAGE_MAX] when it names
 * a value):
 *   S3E_MalformedXML  bad XML, an unknown or repeated element, no CORSRule,
 *                     a rule without AllowedMethod or AllowedOrigin, a
 *                     MaxAgeSeconds that is not an xs:int
 *   S3E_InvalidRequest  an AllowedMethod other than GET PUT POST DELETE
 *                     HEAD; an AllowedOrigin or AllowedHeader with more
 *                     than one '*'; an ExposeHeader with a '*'; more than
 *                     CORS_MAX_RULES rules
 *   S3E_InvalidArgument  an ID longer than CORS_ID_MAX, a negative
 *                     MaxAgeSeconds
 *   S3E_MaxMessageLengthExceeded  body larger than CORS_MAX_XML, or a
 *                     configuration whose cors_to_xml form would be
 *   S3E_InternalError out of memory
 * *out is filled only on success; it then owns the rules (cors_config_free).
 */
s3err_t cors_parse(const char *body, size_t len, struct cors_config *out, const char **message,
		   char msgbuf[CORS_MESSAGE_MAX]);

/*
 * Appends the configuration as GetBucketCors's XML (declaration, S3
 * namespace, rules in order, members in botocore's order: ID,
 * AllowedHeader, AllowedMethod, AllowedOrigin, ExposeHeader,
 * MaxAgeSeconds). cors_parse of the result gives back an equal
 * configuration. Errors: the buffer's cap error (the buffer is then as it
 * was).
 */
s3err_t cors_to_xml(const struct cors_config *c, struct buf *out);

/* Frees the rules; c is left empty. cors_config_free(NULL) does nothing. */
void cors_config_free(struct cors_config *c);

/* ---- matching (pure) ---- */

/* The enum cors_method bit of an HTTP method name (exact, upper case), or 0. */
unsigned cors_method_bit(const char *method);

/*
 * The first rule of c that allows origin with method (a name of
 * cors_method_bit; any other matches nothing) and, when request_headers
 * is not NULL, every comma-separated name in it (an empty item is
 * skipped; more than STRATA_MAX_HEADERS names match no rule). NULL when
 * none does. c may be NULL.
 */
const struct cors_rule *cors_match(const struct cors_config *c, const char *origin,
				   const char *method, const char *request_headers);

/* Called once per response header, in a fixed order; value is valid during the call. */
typedef void (*cors_header_fn)(void *ctx, const char *name, const char *value);

/*
 * The response headers of a request that rule matched (see the header
 * comment): Access-Control-Allow-Origin, -Allow-Credentials (not for "*"),
 * -Allow-Methods (the rule's, ", "-joined), -Allow-Headers (preflight only,
 * when request_headers names any), -Expose-Headers (when the rule has
 * some), -Max-Age (when set), Vary. Errors: S3E_InternalError when a
 * joined value exceeds CORS_HEADERS_MAX or memory runs out (then nothing
 * was emitted).
 */
s3err_t cors_headers(const struct cors_rule *rule, const char *origin, const char *request_headers,
		     bool preflight, cors_header_fn emit, void *ctx);

#endif
