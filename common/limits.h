/*
 * limits: every size cap in Strata, in one place.
 *
 * A buffer that grows has one of these as its maximum. Before a request is
 * authenticated the server holds only its head: at most max_header_size
 * bytes (config; default STRATA_MAX_HEADER_SECTION), for at most
 * header_timeout seconds, on at most max_connections_per_client connections
 * per address. No body byte is read before the signature checks out (a
 * refused request with a body is answered at once and its connection
 * closed), so an anonymous client cannot make the server allocate much.
 */
#ifndef STRATA_LIMITS_H
#define STRATA_LIMITS_H

#include <stdint.h>

/* S3 names */
#define STRATA_MAX_KEY_LEN 1024u /* bytes of UTF-8, as on AWS */
#define STRATA_BUCKET_NAME_MIN 3u
#define STRATA_BUCKET_NAME_MAX 63u
#define STRATA_MAX_ACCESS_KEY_LEN 128u
#define STRATA_MAX_SECRET_KEY_LEN 128u
#define STRATA_MIN_SECRET_KEY_LEN 8u
#define STRATA_MAX_REGION_LEN 32u
#define STRATA_MAX_USERS 1024u

/* HTTP request head */
#define STRATA_MAX_URI_LEN 16384u /* raw request target incl. query */
#define STRATA_MAX_QUERY_PARAMS 64u
#define STRATA_MAX_HEADERS 128u
#define STRATA_MAX_HEADER_SECTION 16384u /* default max_header_size (AWS: 8 KiB) */
#define STRATA_MIN_HEADER_SECTION 8192u	 /* max_header_size at least (AWS allows 8 KiB) */
#define STRATA_MAX_HEADER_SECTION_CAP (1024u * 1024) /* max_header_size at most */
#define STRATA_MAX_SIGNED_HEADERS_LEN 2048u
#define STRATA_MAX_CANONICAL_REQUEST 65536u
#define STRATA_MAX_AUTH_HEADER_LEN 4096u

/* Object metadata */
#define STRATA_MAX_USER_META 2048u	/* default max_user_metadata, as AWS */
#define STRATA_MAX_USER_META_CAP 4096u	/* max_user_metadata at most (fits stored headers) */
#define STRATA_MAX_STORED_HEADERS 8192u /* serialized content-* + x-amz-meta-* */
#define STRATA_MAX_HEADER_VALUE 4096u	/* one stored header value */
#define STRATA_ETAG_MAX 80u		/* unquoted "hex" or "hex-N" plus NUL */
#define STRATA_CHECKSUM_B64_MAX 64u	/* base64 of the largest digest (SHA-256) */
#define STRATA_STORAGE_CLASS_MAX 32u
#define STRATA_SSE_KEY_ID_MAX 33u   /* master key id text incl. NUL (common/keyring.h) */
#define STRATA_SSE_ENVELOPE_MAX 64u /* wrapped data key (60) or SSE-C key hash (48) */
#define STRATA_MAX_BUCKET_CONFIG (1024u * 1024) /* one stored bucket configuration document */

/* Bodies */
#define STRATA_MAX_PUT_SIZE (5ull * 1024 * 1024 * 1024) /* single PUT, as AWS */
#define STRATA_MAX_XML_BODY (2u * 1024 * 1024)		/* DeleteObjects etc. */
#define STRATA_MAX_SMALL_XML_BODY (64u * 1024)		/* CreateBucketConfiguration */
#define STRATA_MAX_CORS_XML (64u * 1024)		/* PutBucketCors, as AWS */
#define STRATA_MAX_DELETE_KEYS 1000u
#define STRATA_MAX_CHUNK_LINE 512u     /* aws-chunked "size;chunk-signature=..." line */
#define STRATA_MAX_TRAILER_BYTES 4096u /* aws-chunked trailer section */
#define STRATA_MAX_CHUNK_SIZE (64u * 1024 * 1024)

/* Multipart uploads (as AWS) */
#define STRATA_MIN_PART_SIZE (5ull * 1024 * 1024)	 /* all parts but the last */
#define STRATA_MAX_PART_SIZE (5ull * 1024 * 1024 * 1024) /* one part */
#define STRATA_MAX_PARTS 10000u
#define STRATA_MAX_COMPLETE_XML_BODY (4u * 1024 * 1024)	     /* 10,000 <Part> elements */
#define STRATA_UPLOAD_ID_MAX 64u			     /* upload id text incl. NUL */
#define STRATA_COMPLETED_UPLOAD_KEEP_MS (24ll * 3600 * 1000) /* repeated Complete answers */

/* Versioning (issue 12) */
#define STRATA_VERSION_ID_MAX 40u /* a version id (32 chars, or "null") and its NUL */

/* Listing */
#define STRATA_MAX_LIST_KEYS 1000u /* max-keys ceiling, as AWS */
#define STRATA_MAX_DELIMITER_LEN 64u
#define STRATA_MAX_CONTINUATION_TOKEN 4096u
#define STRATA_MAX_LIST_RESPONSE (8u * 1024 * 1024)

/* Auth */
#define STRATA_CLOCK_SKEW_SECONDS 900	  /* 15 minutes, as AWS */
#define STRATA_PRESIGN_MAX_EXPIRES 604800 /* 7 days, as AWS */

/* I/O */
#define STRATA_IO_BLOCK (256u * 1024) /* GET read size and copy buffer */
/* A GET body up to this size is read whole first; headers and body then leave in one send. */
#define STRATA_GET_INLINE_MAX (16u * 1024)
/* A body past this many bytes is hashed on a second thread (common/hashjob.h)... */
#define STRATA_PARALLEL_HASH_AFTER (1024u * 1024)
/* ...in batches of this many bytes, copied out of libmicrohttpd's buffer. */
#define STRATA_HASH_BATCH (256u * 1024)
#define STRATA_MAX_CONFIG_LINE 4096u
#define STRATA_MAX_PATH 4096u

/* Access and audit logs: one JSON line each. Two 1024-byte keys escaped at 6x fit. */
#define STRATA_MAX_LOG_LINE (16u * 1024)

/* Web console (gateway/console.h), on the admin listener */
#define STRATA_CONSOLE_SESSIONS 64u	     /* sessions at once; a new login evicts the oldest */
#define STRATA_CONSOLE_SESSION_TTL 3600u     /* default console_session_ttl (seconds) */
#define STRATA_CONSOLE_MAX_BODY (64u * 1024) /* a console API request body */
#define STRATA_CONSOLE_MAX_URLS 1000u	     /* presigned URLs in one answer (a listing page) */
#define STRATA_CONSOLE_SCAN_MAX 100000u	     /* objects the bucket summary reads, in all */
#define STRATA_CONSOLE_URL_EXPIRES 300u	     /* seconds the page's own presigned URLs live */
#define STRATA_CONSOLE_LOGIN_FAILURES 10u    /* failed logins from one address per window... */
#define STRATA_CONSOLE_LOGIN_WINDOW 60u	     /* ...seconds, then 429 until the window ends */
#define STRATA_CONSOLE_THROTTLE_ADDRS 256u   /* addresses whose failures are remembered */

#endif
