/*
 * replicator_internal: the pure parts of the replicator (lifecycle/replicator.c),
 * exported for tests/unit/test_replicator.c; not for other product code.
 */
#ifndef STRATA_REPLICATOR_INTERNAL_H
#define STRATA_REPLICATOR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../backends/s3client.h"
#include "../common/objmeta.h"

/* How a try to ship an event ended (also the failures metric's `kind`, in this order). */
enum repl_outcome {
	REPL_OUT_UNREACHABLE = 0, /* no answer, 5xx, throttled: retried, event not failed */
	REPL_OUT_REFUSED = 1,	  /* the target said no (4xx): retried, event marked failed */
	REPL_OUT_VERIFY = 2,	  /* the copy's SHA-256 or size differs: retried */
	REPL_OUT_OK = 3,
};

/*
 * The wait before the next try of an event that failed `attempts` times
 * before this failure: full jitter over min(retry_max_s s, 1 s * 2^attempts),
 * i.e. rnd % (ceiling + 1) milliseconds.
 */
uint64_t replicator_backoff_ms(uint32_t attempts, unsigned retry_max_s, uint32_t rnd);

/*
 * What a failed s3client call means for replication: REPL_OUT_UNREACHABLE
 * (no HTTP answer, 5xx, 429, SlowDown/Throttling/RequestTimeout, or a
 * malformed 2xx) or REPL_OUT_REFUSED (any other 4xx: NoSuchBucket,
 * AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch...).
 */
enum repl_outcome replicator_classify(s3err_t err, const struct s3c_result *res);

/*
 * The request headers a replica is written with, pointing into m (valid
 * while m is): the content headers and x-amz-meta-* of m's headers blob,
 * x-amz-storage-class (target_class, else m's class unless STANDARD) and,
 * when the site encrypts (its `encryption = AES256`), x-amz-server-side-
 * encryption: AES256 for an SSE-S3 source. Returns the count, or -1 when
 * more than cap would be needed.
 */
int replicator_headers(const struct obj_meta *m, const char *target_class, bool site_encrypts,
		       struct s3c_header *h, size_t cap);

/*
 * The headers that make a replica the same version (issue 12), pointing
 * into m and date (25 bytes, the caller's): REPL_KEEP_VERSION_HEADER with
 * m's version id when it is one Strata made (not "null": that version's id
 * is the destination bucket's to give), and the version's Object Lock as
 * AWS replicates it: x-amz-object-lock-mode and -retain-until-date while
 * the retention runs past now_ms (an expired one protects nothing and a
 * past date is refused), x-amz-object-lock-legal-hold: ON. A destination
 * without Object Lock refuses those, so the event fails visibly instead of
 * landing unlocked. Writes keep (may be NULL) true when the first header is
 * the version id. Returns the count, or -1 when more than cap are needed.
 */
int replicator_version_headers(const struct obj_meta *m, int64_t now_ms, char date[25],
			       struct s3c_header *h, size_t cap, bool *keep);

#endif
