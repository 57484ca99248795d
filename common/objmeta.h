/*
 * objmeta: what Strata stores about an object besides its bytes.
 *
 * The same struct travels from the gateway (which fills it after a PUT's
 * digests check out) through the backend interface to the index, and back
 * on HEAD/GET/listing. Fixed-size fields for what every object has; the
 * variable HTTP headers that S3 echoes back (Content-Type, Content-Encoding,
 * Content-Disposition, Content-Language, Cache-Control, Expires and the
 * x-amz-meta-* pairs) ride in one serialized blob:
 *     name '\0' value '\0' name '\0' value '\0' ...
 * with lowercase names, capped at STRATA_MAX_STORED_HEADERS bytes.
 */
#ifndef STRATA_OBJMETA_H
#define STRATA_OBJMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "s3err.h"

enum obj_restore_state {
	RESTORE_NONE = 0,    /* no restored copy */
	RESTORE_ONGOING = 1, /* requested; the copy is being made */
	RESTORE_DONE = 2,    /* a readable copy exists until restore_until_ms */
};

enum obj_repl_status {
	REPL_NONE = 0,	    /* no rule matched: no header */
	REPL_PENDING = 1,   /* queued for at least one target */
	REPL_COMPLETED = 2, /* every target holds this version */
	REPL_FAILED = 3,    /* a target refused it (still retried) */
	REPL_REPLICA = 4,   /* written here by another site's replicator */
};

/* "PENDING", "COMPLETED", "FAILED", "REPLICA"; NULL for REPL_NONE or an unknown value. */
const char *obj_repl_status_name(int status);

struct obj_meta {
	uint64_t size;		    /* plaintext bytes */
	int64_t mtime_ms;	    /* Last-Modified, ms since the epoch */
	char etag[STRATA_ETAG_MAX]; /* unquoted: 32 hex, or "hex-N" */
	char sha256_hex[65];	    /* server-computed SHA-256 of the plaintext */
	char checksum_algo[16];	    /* "" or CRC32, CRC32C, CRC64NVME, SHA1, SHA256 */
	char checksum_b64[STRATA_CHECKSUM_B64_MAX]; /* the client-visible value of that checksum */
	char storage_class[STRATA_STORAGE_CLASS_MAX]; /* "" means STANDARD */
	char checksum_type[16];			      /* "", FULL_OBJECT or COMPOSITE */
	int64_t verified_ms;  /* last time a scrub verified the stored bytes; 0 = never */
	unsigned parts_count; /* 0: single PUT; N: multipart of N parts */
	/*
	 * Server-side encryption (DESIGN.md "Encryption"): sse_mode is an enum
	 * sse_mode (common/sse.h). SSE_S3: the data key wrapped under master
	 * key sse_key_id (KEYRING_WRAPPED_SIZE bytes of envelope). SSE_C: no
	 * key id; the envelope is the salted keyed hash of the customer's key
	 * (SSE_CUSTOMER_HASH_SIZE bytes), which recognises it but cannot
	 * recover it. The data is sealed in GCM frames under per-file keys
	 * derived from the data key (common/frames.h).
	 */
	/*
	 * Archive classes (GLACIER, DEEP_ARCHIVE) are read only through a
	 * restored copy (RestoreObject): restore_state says whether one is
	 * wanted (ONGOING) or readable (DONE) until restore_until_ms.
	 */
	int restore_state; /* enum obj_restore_state */
	int64_t restore_until_ms;
	/*
	 * Replication (issue 8): enum obj_repl_status, what x-amz-replication-
	 * status shows. Set by the backend at commit from the repl_request
	 * (backend.h), moved by the replicator; ignored on input.
	 */
	int repl_status;
	/*
	 * Versioning (issue 12): the version this metadata describes, filled by
	 * the backend on reads ("" when the bucket was never versioned, "null"
	 * for the null version); delete_marker when that version is a delete
	 * marker (then only version_id and mtime_ms mean anything). Ignored on
	 * input: a commit chooses the version id.
	 */
	char version_id[STRATA_VERSION_ID_MAX];
	bool delete_marker;
	/*
	 * Object Lock (issue 12, common/objlock.h): the version's retention
	 * (lock_mode an enum objlock_mode, until lock_until_ms) and legal hold.
	 * On a commit's input they are what the request asked for (the
	 * backend applies the bucket's default retention when lock_mode is
	 * OBJLOCK_NONE); on reads, what the version holds now.
	 */
	int lock_mode;
	int64_t lock_until_ms;
	bool legal_hold;
	int sse_mode;
	char sse_key_id[STRATA_SSE_KEY_ID_MAX];
	uint8_t sse_envelope[STRATA_SSE_ENVELOPE_MAX];
	size_t sse_envelope_len;
	char *headers; /* owned serialized blob, or NULL */
	size_t headers_len;
};

/* Zeroes m (no allocation). */
void obj_meta_init(struct obj_meta *m);

/* Frees the headers blob and zeroes m. obj_meta_free(NULL) is fine. */
void obj_meta_free(struct obj_meta *m);

/* Deep copy: dst gets its own headers blob. Error: S3E_InternalError. */
s3err_t obj_meta_copy(struct obj_meta *dst, const struct obj_meta *src);

/* Appends one header pair to m->headers. Errors: S3E_MetadataTooLarge past the cap. */
s3err_t obj_meta_add_header(struct obj_meta *m, const char *name, const char *value);

/*
 * Iterates the headers blob: start with *pos = 0; returns true and sets
 * *name and *value (pointing into the blob) while pairs remain.
 */
bool obj_meta_next_header(const struct obj_meta *m, size_t *pos, const char **name,
			  const char **value);

/* Drops every header pair (for CopyObject with MetadataDirective REPLACE). */
void obj_meta_clear_headers(struct obj_meta *m);

#endif
