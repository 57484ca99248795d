/*
 * s3: the remote-S3 backend (issue 7). Strata fronts an existing object
 * store (Ceph RGW, MinIO, AWS) through backends/s3client.h and keeps all of
 * its state there, so several Strata instances over one remote see the same
 * buckets, objects, digests and decrypted bytes (DESIGN.md, "Where metadata
 * lives").
 *
 * Layout on the remote:
 *   <prefix><bucket>/<key>   one remote object per Strata object: its body is
 *                            the framed (or sealed) data (common/frames.h),
 *                            its x-amz-meta-strata header all of Strata's
 *                            metadata (common/objwire.h: sizes, digests,
 *                            checksums, storage class, SSE envelope, the
 *                            client's content-* and x-amz-meta-* headers, the
 *                            frames' file id). A multipart object (parts_count
 *                            > 0) is its parts' frames, each part under its own
 *                            file id, then a manifest of the parts (sizes, file
 *                            ids) framed under the object's file id, which
 *                            starts at its stored_size (s3_multipart.c)
 *   <system>/buckets/<bucket>              the bucket registry: owner, region and
 *                                          creation time in its metadata
 *   <system>/configs/<bucket>/<name>       bucket configuration documents
 *   <system>/staging/<id>                  large writes in progress (below)
 *   <system>/keys/<key id>                 one SSE-S3 envelope under that master key,
 *                                          recorded by the first commit that used it
 *                                          in a process, so every instance can prove
 *                                          at start-up that its key file holds the
 *                                          keys the remote's objects need
 *   <system>/uploads/<bucket>/<upload id>  an active multipart upload (its marker),
 *   <system>/done/<bucket>/<upload id>     ...a completed one, kept for repeated
 *                                          Completes,
 *   <system>/parts/<bucket>/<upload id>/<NNNNN>-<file id>   ...and its parts
 *                                          (s3_multipart.c, U1..U10)
 *   <system>/finals/<id>                   a remote multipart upload into a user
 *                                          bucket in progress (a Complete, a copy
 *                                          above 5 GiB), for the sweep (s3_io.c)
 * where <prefix> is s3_opts.bucket_prefix ("" maps names one to one) and
 * <system> is s3_opts.system_bucket.
 *
 * Invariants (backend.h's, and how this backend keeps them):
 *  S1 Visible only at commit: a write of at most S3_PART_BUFFER framed bytes
 *     is one PutObject at commit; a larger one streams its parts into a
 *     multipart upload of a staging key and, at commit, is completed and
 *     copied server-side to its key with its metadata (CopyObject, or a
 *     multipart copy above 5 GiB). A multipart upload's Complete is one
 *     remote multipart upload of server-side copies of its parts (U5). S3
 *     publishes a PUT, a completed upload and a copy atomically, so readers
 *     see the old object or the new one.
 *  S2 Durable before OK: the remote acknowledged the PUT, the copy or the
 *     completed upload.
 *  S3 Leftovers: an aborted writer aborts its staging upload. At open, one
 *     bounded pass removes what dead processes left: staging objects and
 *     uploads, remote uploads named by finals/ records, parts of uploads that
 *     are gone (all older than S3_STAGING_MAX_AGE_MS), and completed-upload
 *     records past STRATA_COMPLETED_UPLOAD_KEEP_MS.
 *  S4 A reader opens with one GET from the start, whose response carries
 *     both the metadata and the body of one version (a HEAD then a GET could
 *     meet two versions when a PUT lands in between). Every later stream of
 *     that reader (a seek, the manifest) carries If-Match with that version's
 *     remote ETag, so it reads that version or fails; it never mixes two.
 *     Reads verify every frame (BLAKE2b tag, or GCM when sealed) against the
 *     file id in the metadata (for a multipart object: the manifest against
 *     the object's, each part against its own).
 *  S5 Memory per writer is at most S3_PART_BUFFER plus one frame; per
 *     reader one frame plus the client's stream buffer, and 40 bytes per part
 *     of a multipart object.
 * Versioning is the remote bucket's own (s3_versions.c, V1..V5).
 * Not yet (NotImplemented through the NULL slots): tiers and restores, the
 * scrubber, key rotation (sse_rewrap), Object Lock. Conditional deletes (lifecycle
 * expirations) check the version with a HEAD and then delete: a write by
 * another instance between the two can be lost to the expiration.
 */
#ifndef STRATA_S3_H
#define STRATA_S3_H

#include <stdbool.h>

#include "backend.h"

/*
 * Framed bytes per staged part: the smallest part S3 accepts (but the
 * last), so that memory per writer is as low as a remote PUT that needs its
 * metadata up front allows: 8 concurrent part uploads hold 40 MiB.
 */
#define S3_PART_BUFFER (5u * 1024 * 1024)
#define S3_STAGING_MAX_AGE_MS (24ll * 3600 * 1000)     /* then a staging leftover is swept */
#define S3_MAX_BUCKET_PREFIX 32u		       /* bytes of s3_opts.bucket_prefix */
#define S3_COPY_PART_SIZE (1024ull * 1024 * 1024)      /* multipart copy step above 5 GiB */
#define S3_MAX_SINGLE_COPY (5ull * 1024 * 1024 * 1024) /* CopyObject's limit */
#define S3_META_CACHE_SLOTS 4096u		       /* listing metadata cache entries */
#define S3_MAX_KEY_IDS 64u	    /* master key ids whose envelope a process recorded (keys/) */
#define S3_REGISTRY_CACHE_SLOTS 64u /* bucket registry entries kept (registry_get) */
#define S3_REGISTRY_TTL_MS                                                                         \
	2000			     /* and for how long: another instance's DeleteBucket is       \
					seen this late at most (its remote bucket is gone at once) */
#define S3_MANIFEST_CACHE_SLOTS 8u   /* verified manifests of multipart objects kept */
#define S3_MAX_LISTED_UPLOADS 10000u /* markers one ListMultipartUploads reads in a bucket */
/*
 * Remote bucket + key bytes above which Complete does not make its remote
 * multipart upload at the key itself but at a staging key, then copies it:
 * Ceph RGW 16 fails (500) to complete uploads whose bucket and key together
 * pass about 1,000 bytes.
 */
#define S3_MAX_MPU_NAME 900u

/* How to reach the remote and how names map (config keys s3_*). Strings are copied. */
struct s3_opts {
	const char *endpoint; /* http://host:port or https://host[:port] */
	const char *region;   /* SigV4 region of the remote */
	const char *access_key;
	const char *secret_key;
	const char *ca_file;	   /* "" = the system's CAs */
	bool path_style;	   /* else virtual-host style */
	const char *bucket_prefix; /* remote bucket = prefix + Strata bucket */
	const char *system_bucket; /* Strata's registry, configurations, staging, uploads */
};

/*
 * Connects to the remote (creating the system bucket if missing) and sweeps
 * one bounded batch of leftovers (S3). Errors: S3E_InvalidArgument (bad options),
 * S3E_ServiceUnavailable (the remote cannot be reached), S3E_InternalError;
 * each logged with the reason.
 */
s3err_t s3_open(const struct s3_opts *opts, struct backend **out);

#endif
