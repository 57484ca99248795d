/*
 * reqlog: the access log (one JSON line per request) and the audit log's
 * data-access lines (common/audit.h), built from a finished request.
 *
 * Access line members, in order:
 *   time (RFC 3339 UTC, ms, when the request line arrived), request_id, user
 *   ("anonymous" when not authenticated), auth (sigv4, sigv2, presigned-v4,
 *   presigned-v2, none), operation ("-" when none matched), method, bucket,
 *   key (null when none), status, error (S3 code or null), bytes_in (body
 *   bytes received), bytes_out (body bytes sent), duration_ms, client (IP),
 *   tls, complete (false when the connection ended early)
 *
 * Audit lines: one per data access, for the operations of the table in
 * reqlog.c (reads: GetObject, HeadObject, GetObjectAttributes, and the source
 * of CopyObject and UploadPartCopy; writes: PutObject, CopyObject, UploadPart,
 * UploadPartCopy, CompleteMultipartUpload, RestoreObject; deletes:
 * DeleteObject, and each key DeleteObjects removed, or one line without a key
 * when it was refused), with members time, request_id, user, op, access
 * (read, write, delete), outcome, status, bucket, key, [part],
 * [source_bucket, source_key], bytes, client, tls. outcome is "success" for
 * a 2xx answer and "denied" for a 403 (an attempt on an object someone was
 * not allowed to touch is what an auditor looks for); other failures (404,
 * 400...) touched no data and are only in the access log.
 *
 * Never logged: the query string (presigned signatures and credentials live
 * there), any header value (Authorization, SSE-C keys), access keys, secrets.
 */
#ifndef STRATA_REQLOG_H
#define STRATA_REQLOG_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct request;
struct logfile;
struct audit;

struct reqlog {
	struct logfile *access; /* NULL: access_log off */
	struct audit *audit;	/* NULL: audit_log off */
};

/*
 * Opens the logs cfg names (access_log, audit_log; "" = off). Logs why and
 * returns -1 (nothing left open) when one cannot be opened: the server must
 * refuse to start.
 */
int reqlog_open(const struct config *cfg, struct reqlog *out);

/* SIGHUP: reopens both files (logrotate); a failure keeps the old file (logged). */
void reqlog_reopen(struct reqlog *l);

/* Closes both. */
void reqlog_close(struct reqlog *l);

/*
 * The request is over (libmicrohttpd's completion callback): writes its
 * access line and its audit line(s). complete is false when the connection
 * ended before the response was sent.
 */
void reqlog_request_done(struct request *r, bool complete);

/* DeleteObjects: one audit line for a key it deleted (key[0..len)). */
void reqlog_audit_deleted(struct request *r, const char *key, size_t len);

#endif
