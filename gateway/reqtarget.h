/*
 * reqtarget: the request target (path and query string) and the Host header
 * resolved into bucket and key, apart from libmicrohttpd and struct request:
 * req_parse runs it, and so do the unit tests and the fuzz driver
 * (tests/fuzz/fuzz_reqtarget.c). Every piece is decoded into the caller's
 * arena, whose cap bounds the whole.
 */
#ifndef STRATA_REQTARGET_H
#define STRATA_REQTARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/limits.h"
#include "../common/s3err.h"
#include "../common/sigv4.h"
#include "arena.h"

struct req_target {
	char *raw_path;					/* still percent-encoded, arena */
	char *path;					/* decoded (no NUL inside), arena */
	struct sigv4_kv query[STRATA_MAX_QUERY_PARAMS]; /* decoded, arena */
	size_t nquery;
	bool virtual_host;			 /* bucket came from the Host header */
	char bucket[STRATA_BUCKET_NAME_MAX + 1]; /* "" for the service */
	char *key;				 /* NULL for service/bucket requests, arena */
	size_t key_len;
};

/*
 * Parses raw_uri ("/path[?query]", as received) into t: raw_path, path
 * (percent-decoded; an encoded NUL is refused), query (each "name[=value]"
 * decoded, a bare name gets "", empty segments skipped, at most
 * STRATA_MAX_QUERY_PARAMS), then bucket and key. Virtual-host style when host
 * (may be NULL) is "<bucket>.<domain>[:port]" for one of domains[0..ndomains)
 * (case-insensitive; an IPv6 literal never is): the whole path after '/' is
 * the key. Path style otherwise: "/bucket[/key]". A valid bucket name
 * (names.c) and key (names_key_check) or an error. t is zeroed first and
 * filled as far as parsing got, also on an error.
 * Errors: S3E_InvalidURI, S3E_InvalidBucketName, S3E_KeyTooLongError,
 * S3E_InvalidArgument; S3E_InternalError when the arena is full.
 */
s3err_t reqtarget_parse(struct arena *a, const char *raw_uri, const char *host,
			const char *const *domains, size_t ndomains, struct req_target *t);

/*
 * The length of the bucket name that host ("<bucket>.<domain>[:port]")
 * starts with, for the first of domains that it ends in; 0 when none does.
 */
size_t reqtarget_vhost_len(const char *host, const char *const *domains, size_t ndomains);

#endif
