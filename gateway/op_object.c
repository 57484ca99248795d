/* op_object: PutObject, GetObject, HeadObject, DeleteObject. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/checksum.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/metrics.h"
#include "../common/range.h"
#include "../common/strutil.h"
#include "../common/versions.h"
#include "../lifecycle/replicator.h"
#include "body.h"
#include "conditions.h"
#include "ops.h"
#include "replication.h"
#include "request.h"
#include "response.h"
#include "server.h"
#include "sse_req.h"

/* Content headers S3 stores and returns verbatim. */
static const char *const stored_headers[] = {
    "content-type", "content-disposition", "content-language", "cache-control", "expires",
};

s3err_t op_refuse_unsupported_write(struct request *r)
{
	static const char *const unsupported[] = {
	    "x-amz-server-side-encryption-aws-kms-key-id",
	    "x-amz-tagging",
	    "x-amz-website-redirect-location",
	    "If-None-Match",
	    "If-Match",
	    "x-amz-write-offset-bytes",
	    "x-amz-server-side-encryption-context",
	    "x-amz-request-payer",
	};
	const char *acl = req_header(r, "x-amz-acl");
	size_t i;

	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (req_header(r, unsupported[i]))
			return req_failf(r, S3E_NotImplemented,
					 "The %s header is not implemented by Strata yet.",
					 unsupported[i]);
	for (i = 0; i < r->nheaders; i++)
		if (str_istarts(r->headers[i].name, "x-amz-grant-"))
			return req_fail(r, S3E_NotImplemented,
					"ACL grants are not implemented; access is owner-only.");
	if (acl && strcmp(acl, "private") != 0 && strcmp(acl, "bucket-owner-full-control") != 0)
		return req_fail(r, S3E_NotImplemented,
				"Strata enforces owner-only access; only the 'private' canned ACL "
				"is supported.");
	return S3E_OK;
}

s3err_t op_storage_class(struct request *r, char out[STRATA_STORAGE_CLASS_MAX])
{
	/* Classes with a tier (or the data directory) and nothing more to them. */
	static const char *const served[] = {"STANDARD_IA", "GLACIER_IR", "GLACIER",
					     "DEEP_ARCHIVE"};
	/* AWS classes whose semantics Strata does not have. */
	static const char *const known[] = {
	    "REDUCED_REDUNDANCY", "ONEZONE_IA", "INTELLIGENT_TIERING",
	    "OUTPOSTS",		  "SNOW",	"EXPRESS_ONEZONE"};
	const char *sc = req_header(r, "x-amz-storage-class");
	size_t i;

	out[0] = '\0';
	if (!sc || strcmp(sc, "STANDARD") == 0)
		return S3E_OK; /* STANDARD is implicit, as on AWS */
	for (i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		if (strcmp(sc, served[i]) == 0) {
			str_copy(out, STRATA_STORAGE_CLASS_MAX, sc);
			return S3E_OK;
		}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(sc, known[i]) == 0)
			return req_failf(r, S3E_NotImplemented,
					 "The storage class %s is not available yet.", sc);
	return req_fail(r, S3E_InvalidStorageClass, NULL);
}

static void lowercase(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* Content-Encoding without the aws-chunked token the SDKs add for framing. */
static s3err_t add_content_encoding(struct request *r, struct obj_meta *m, const char *v)
{
	char out[STRATA_MAX_HEADER_VALUE];
	const char *p = v, *item;
	size_t n = 0, len;

	out[0] = '\0';
	while (str_next_item(&p, &item, &len)) {
		if (len == 0 || (len == 11 && strncasecmp(item, "aws-chunked", 11) == 0))
			continue;
		if (n + len + 3 >= sizeof(out))
			return req_fail(r, S3E_MetadataTooLarge, NULL);
		if (n) { /* AWS keeps "deflate, gzip" as sent: rejoin with ", " */
			out[n++] = ',';
			out[n++] = ' ';
		}
		memcpy(out + n, item, len);
		n += len;
		out[n] = '\0';
	}
	return n ? obj_meta_add_header(m, "content-encoding", out) : S3E_OK;
}

s3err_t op_collect_metadata(struct request *r, struct obj_meta *m)
{
	size_t i, j, user_bytes = 0;
	s3err_t err;

	for (i = 0; i < r->nheaders; i++) {
		const char *name = r->headers[i].name, *value = r->headers[i].value;
		char lname[256];

		if (strlen(name) >= sizeof(lname) || strlen(value) >= STRATA_MAX_HEADER_VALUE)
			return req_fail(r, S3E_MetadataTooLarge, NULL);
		str_copy(lname, sizeof(lname), name);
		lowercase(lname);
		if (str_starts(lname, "x-amz-meta-")) {
			/* AWS counts the bytes of each key and value of user metadata. */
			user_bytes += strlen(lname) - 11 + strlen(value);
			if (user_bytes > r->srv->cfg->max_user_metadata)
				return req_fail(r, S3E_MetadataTooLarge, NULL);
			err = obj_meta_add_header(m, lname, value);
		} else if (strcmp(lname, "content-encoding") == 0) {
			err = add_content_encoding(r, m, value);
		} else {
			err = S3E_OK;
			for (j = 0; j < sizeof(stored_headers) / sizeof(stored_headers[0]); j++)
				if (strcmp(lname, stored_headers[j]) == 0)
					err = obj_meta_add_header(m, lname, value);
		}
		if (err)
			return req_fail(r, err, NULL);
	}
	return S3E_OK;
}

void op_checksum_headers(struct request *r, const struct obj_meta *m)
{
	enum cksum_algo a = cksum_algo_from_name(m->checksum_algo);

	if (a != CKSUM_NONE && m->checksum_b64[0]) {
		resp_header(r, cksum_header_name(a), m->checksum_b64);
		resp_header(r, "x-amz-checksum-type",
			    m->checksum_type[0] ? m->checksum_type : "FULL_OBJECT");
	}
	/* Strata's SHA-256 of every object, in the S3 spelling, unless already sent. */
	if (a != CKSUM_SHA256 && strlen(m->sha256_hex) == 64) {
		uint8_t raw[32];
		char b64[48];

		if (hex_decode(m->sha256_hex, 64, raw, sizeof(raw))) {
			base64_encode(raw, sizeof(raw), b64);
			resp_header(r, "x-amz-checksum-sha256", b64);
		}
	}
}

/* --- PutObject --- */

struct put_state {
	struct request *r;
	struct be_writer *w; /* NULL once committed or aborted */
	struct obj_meta meta;
	struct sse_key sse;			/* the encryption chosen (its data key seals w) */
	char version_id[STRATA_VERSION_ID_MAX]; /* what the commit made (backend_writer_version) */
};

static void put_state_free(struct request *r)
{
	struct put_state *ps = r->op_state;

	if (!ps)
		return;
	if (ps->w)
		backend_writer_abort(r->srv->be, ps->w);
	obj_meta_free(&ps->meta);
	sse_key_clear(&ps->sse);
	free(ps);
	r->op_state = NULL;
}

static s3err_t put_sink(void *ctx, const uint8_t *data, size_t len)
{
	struct put_state *ps = ctx;

	return backend_writer_write(ps->r->srv->be, ps->w, data, len);
}

s3err_t op_put_object_begin(struct request *r)
{
	struct put_state *ps;
	s3err_t err;

	if ((err = op_refuse_unsupported_write(r)))
		return err;
	if (r->content_length == UINT64_MAX && !req_header(r, "Transfer-Encoding"))
		return req_fail(r, S3E_MissingContentLength, NULL);
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return S3E_InternalError;
	ps->r = r;
	r->op_state = ps;
	r->op_state_free = put_state_free;
	if ((err = op_collect_metadata(r, &ps->meta)) ||
	    (err = op_lock_headers(r, true, &ps->meta)) ||
	    (err = op_storage_class(r, ps->meta.storage_class)) ||
	    (err = sse_req_write(r, &ps->meta, &ps->sse)))
		return err;
	err = body_new(r, STRATA_MAX_PUT_SIZE, put_sink, ps, &r->body);
	if (err)
		return err;
	if (!r->srv->cfg->integrity && (err = body_without_sha256(r->body)))
		return err;
	err = backend_writer_open(r->srv->be, r->bucket, r->key,
				  r->content_length == UINT64_MAX ? 0 : r->content_length, &ps->w);
	if (!err && ps->meta.storage_class[0])
		err = backend_writer_place(r->srv->be, ps->w, ps->meta.storage_class);
	if (!err && ps->sse.mode != SSE_NONE)
		err = backend_writer_seal(r->srv->be, ps->w, ps->sse.data_key);
	return err;
}

/* Fills the digest fields of m from a finished pipeline. */
static void meta_from_digests(struct obj_meta *m, const struct digests *d, uint64_t size)
{
	m->size = size;
	m->mtime_ms = httptime_now_ms();
	hex_encode(d->md5, sizeof(d->md5), m->etag);
	if (d->have_sha256)
		hex_encode(d->sha256, sizeof(d->sha256), m->sha256_hex);
	if (d->algo != CKSUM_NONE) {
		str_copy(m->checksum_algo, sizeof(m->checksum_algo), cksum_algo_name(d->algo));
		str_copy(m->checksum_type, sizeof(m->checksum_type), "FULL_OBJECT");
		base64_encode(d->extra, d->extra_len, m->checksum_b64);
	}
}

s3err_t op_put_object(struct request *r)
{
	struct put_state *ps = r->op_state;
	struct be_writer *w = ps->w;
	char etag[STRATA_ETAG_MAX + 2];
	struct repl_request rq;
	struct digests d;
	uint64_t size;
	s3err_t err;

	err = body_finish(r->body, &d, &size);
	if (err)
		return err;
	meta_from_digests(&ps->meta, &d, size);
	/*
	 * Replication is decided now and queued by the commit in the same
	 * atomic step; on error put_state_free aborts the writer.
	 */
	if ((err = repl_request_for(r, r->key, false, &rq)) ||
	    (err = backend_writer_replicate(r->srv->be, w, &rq)) ||
	    (err = backend_writer_version(r->srv->be, w, ps->version_id)))
		return err;
	ps->w = NULL; /* commit consumes the writer whatever happens */
	err = backend_writer_commit(r->srv->be, w, &ps->meta);
	if (err)
		return op_lock_commit_error(r, err);
	if (rq.n)
		replicator_wake(r->srv->replicator);
	err = resp_ok_empty(r);
	if (err)
		return err;
	op_written_version(r, ps->version_id);
	snprintf(etag, sizeof(etag), "\"%s\"", ps->meta.etag);
	resp_header(r, "ETag", etag);
	if (ps->meta.sha256_hex[0])
		resp_header(r, "x-strata-sha256", ps->meta.sha256_hex);
	sse_req_headers(r, &ps->sse);
	if (ps->meta.checksum_algo[0]) {
		resp_header(r, cksum_header_name(d.algo), ps->meta.checksum_b64);
		resp_header(r, "x-amz-checksum-type", "FULL_OBJECT");
	}
	return S3E_OK;
}

/* --- GetObject / HeadObject --- */

struct get_state {
	struct backend *be;
	struct be_reader *reader;
	uint64_t first; /* object offset of body byte 0 */
	uint64_t *sent; /* the request's bytes_out: read callbacks end before it is freed */
};

/* The read block for a body of len bytes: the body itself when smaller than STRATA_IO_BLOCK. */
static size_t get_block_size(uint64_t len)
{
	const size_t least = 4096; /* libmicrohttpd wants a block even for an empty body */

	if (len >= STRATA_IO_BLOCK)
		return STRATA_IO_BLOCK;
	return len < least ? least : (size_t)len;
}

/* libmicrohttpd pulls the body through here, one block at a time. */
static ssize_t get_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct get_state *gs = cls;
	size_t got = 0;

	if (backend_reader_read(gs->be, gs->reader, gs->first + pos, buf, max, &got) != S3E_OK ||
	    got == 0) {
		/* The index promised more bytes than the file holds: never pad or fake them. */
		log_error("get", "short read at offset %llu",
			  (unsigned long long)(gs->first + pos));
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	metrics_add(METRIC_BYTES_SENT, 0, got);
	*gs->sent += got;
	return (ssize_t)got;
}

/*
 * Reads (and so verifies) the first byte the reply will carry before any
 * header goes out: a corrupt start fails the request with a clean 500
 * instead of a reply cut off after its 200. Later frames are verified as
 * they stream, and a failure there cuts the connection (get_read). The
 * backend keeps the verified frame, so this read costs nothing extra.
 */
static s3err_t first_frame_check(struct request *r, struct get_state *gs)
{
	uint8_t byte;
	size_t got = 0;

	if (backend_reader_read(gs->be, gs->reader, gs->first, &byte, 1, &got) != S3E_OK ||
	    got != 1)
		return req_fail(r, S3E_InternalError,
				"The stored object failed integrity verification; it is not "
				"served.");
	return S3E_OK;
}

/*
 * A small body is read whole (every frame verified) into the response
 * itself: libmicrohttpd then sends headers and body in one call, one packet
 * instead of two, and the reader closes before the reply goes out.
 */
static s3err_t get_inline(struct request *r, struct get_state *gs, uint64_t len)
{
	uint8_t *body = malloc(len);
	size_t got = 0;

	if (!body)
		return S3E_InternalError;
	if (backend_reader_read(gs->be, gs->reader, gs->first, body, len, &got) != S3E_OK ||
	    got != len) {
		free(body);
		return req_fail(r, S3E_InternalError,
				"The stored object failed integrity verification; it is not "
				"served.");
	}
	r->resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r->resp) {
		free(body);
		return S3E_InternalError;
	}
	metrics_add(METRIC_BYTES_SENT, 0, len);
	*gs->sent += len;
	return S3E_OK;
}

static void get_free(void *cls)
{
	struct get_state *gs = cls;

	if (gs->reader)
		backend_reader_close(gs->be, gs->reader);
	free(gs);
}

s3err_t op_part_number(struct request *r, const char *value, unsigned *out)
{
	uint64_t n;

	if (!parse_u64_str(value, 1, STRATA_MAX_PARTS, &n))
		return req_fail(r, S3E_InvalidArgument,
				"Part number must be an integer between 1 and 10000, inclusive");
	*out = (unsigned)n;
	return S3E_OK;
}

/*
 * ?partNumber=N reads one part of a multipart object (a single-PUT object is
 * its own part 1), answered like a range.
 */
static s3err_t part_as_range(struct request *r, const struct obj_meta *m, struct byte_range *range,
			     enum range_result *rr)
{
	const char *pn = req_query(r, "partNumber");
	uint64_t off, size;
	unsigned n = 0;
	s3err_t err;

	if (!pn)
		return S3E_OK;
	if (req_header(r, "Range"))
		return req_fail(r, S3E_InvalidRequest,
				"Cannot specify both Range header and partNumber query parameter");
	if ((err = op_part_number(r, pn, &n)))
		return err;
	err = backend_object_part_range(r->srv->be, r->bucket, r->key, n, &off, &size);
	if (err)
		return req_fail(r, err, NULL);
	if (size == 0 || off + size > m->size) { /* an empty object: nothing to range */
		*rr = RANGE_NONE;
		return S3E_OK;
	}
	range->first = off;
	range->last = off + size - 1;
	*rr = RANGE_OK;
	return S3E_OK;
}

s3err_t op_version_id(struct request *r, const char **out)
{
	const char *v = req_query(r, "versionId");

	*out = NULL;
	if (v && !versions_id_valid(v))
		return req_fail(r, S3E_InvalidArgument, "Invalid version id specified");
	*out = v;
	return S3E_OK;
}

void op_version_headers(struct request *r, const char *id, bool marker)
{
	if (id[0])
		resp_header(r, "x-amz-version-id", id);
	if (marker)
		resp_header(r, "x-amz-delete-marker", "true");
}

void op_written_version(struct request *r, const char *id)
{
	if (strcmp(id, "null") != 0)
		op_version_headers(r, id, false);
}

/*
 * A delete marker answers a read with an error that still names it (AWS:
 * 404 NoSuchKey when it is the latest, 405 MethodNotAllowed by id).
 */
static s3err_t marker_error(struct request *r, s3err_t err, const struct obj_meta *m)
{
	if ((err == S3E_NoSuchKey || err == S3E_MethodNotAllowed) && m->delete_marker) {
		str_copy(r->err_version_id, sizeof(r->err_version_id), m->version_id);
		r->err_delete_marker = true;
	}
	return err;
}

static s3err_t get_or_head(struct request *r, bool head)
{
	struct conditions c = {req_header(r, "If-Match"), req_header(r, "If-None-Match"),
			       req_header(r, "If-Modified-Since"),
			       req_header(r, "If-Unmodified-Since")};
	struct get_state *gs = NULL;
	struct byte_range range = {0, 0};
	struct sse_key k = {SSE_NONE, {0}, ""};
	enum range_result rr;
	const char *vid = NULL;
	struct obj_meta m;
	uint64_t len;
	s3err_t err;

	obj_meta_init(&m);
	if ((err = op_version_id(r, &vid)))
		goto out;
	/* AWS: x-amz-server-side-encryption belongs to writes; on a GET or HEAD it is a
	 * 400 Bad Request (reading an SSE-S3 object needs no header). */
	if (req_header(r, "x-amz-server-side-encryption")) {
		err = req_fail(r, S3E_InvalidArgument,
			       "x-amz-server-side-encryption is not supported for GET or HEAD "
			       "requests.");
		goto out;
	}
	gs = calloc(1, sizeof(*gs));
	if (!gs) {
		err = S3E_InternalError;
		goto out;
	}
	gs->be = r->srv->be;
	gs->sent = &r->bytes_out;
	err = head ? backend_object_head_v(r->srv->be, r->bucket, r->key, vid, &m)
		   : backend_reader_open_v(r->srv->be, r->bucket, r->key, vid, &m, &gs->reader);
	if (err) {
		err = marker_error(r, err, &m);
		goto out;
	}
	if ((err = sse_req_read(r, &m, false, &k)) || (!head && (err = op_archive_readable(r, &m))))
		goto out;
	if (!head && k.mode != SSE_NONE &&
	    (err = backend_reader_unseal(r->srv->be, gs->reader, k.data_key)))
		goto out;
	err = cond_check(&c, &m, false);
	if (err == S3E_NotModified) {
		err = resp_not_modified(r, &m);
		goto out;
	}
	if (err)
		goto out;
	rr = range_parse(req_header(r, "Range"), m.size, &range);
	if ((err = part_as_range(r, &m, &range, &rr)))
		goto out;
	if (rr == RANGE_UNSATISFIABLE) {
		snprintf(r->err_content_range, sizeof(r->err_content_range), "bytes */%llu",
			 (unsigned long long)m.size);
		err = S3E_InvalidRange;
		goto out;
	}
	gs->first = rr == RANGE_OK ? range.first : 0;
	len = rr == RANGE_OK ? range.last - range.first + 1 : m.size;
	if (!head && len && (err = first_frame_check(r, gs)))
		goto out;
	if (!head && len > 0 && len <= STRATA_GET_INLINE_MAX) {
		if ((err = get_inline(r, gs, len)))
			goto out;
	} else {
		/*
		 * libmicrohttpd callocs the block with the response: a small
		 * object's GET must not zero 256 KiB (a sixth of its CPU).
		 */
		r->resp = MHD_create_response_from_callback(len, get_block_size(len), get_read, gs,
							    get_free);
		if (!r->resp) {
			err = S3E_InternalError;
			goto out;
		}
		gs = NULL; /* the response owns it now */
	}
	r->status = rr == RANGE_OK ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK;
	resp_object_headers(r, &m);
	op_version_headers(r, m.version_id, false);
	op_lock_response_headers(r, &m);
	sse_req_headers(r, &k);
	if (rr == RANGE_OK) {
		char cr[80];

		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)range.first,
			 (unsigned long long)range.last, (unsigned long long)m.size);
		resp_header(r, "Content-Range", cr);
		if (req_has_query(r, "partNumber") && m.parts_count) {
			snprintf(cr, sizeof(cr), "%u", m.parts_count);
			resp_header(r, "x-amz-mp-parts-count", cr);
		}
	} else {
		const char *mode = req_header(r, "x-amz-checksum-mode");

		/* Checksums describe the whole object, so ranged replies carry none. */
		if (mode && str_ieq(mode, "ENABLED"))
			op_checksum_headers(r, &m);
	}
out:
	if (gs)
		get_free(gs);
	obj_meta_free(&m);
	sse_key_clear(&k);
	return err;
}

s3err_t op_get_object(struct request *r)
{
	return get_or_head(r, false);
}

s3err_t op_head_object(struct request *r)
{
	return get_or_head(r, true);
}

s3err_t op_delete_object(struct request *r)
{
	struct delete_result res;
	struct repl_request rq;
	const char *vid = NULL;
	s3err_t err = op_version_id(r, &vid);

	if (err)
		return err;
	if (req_header(r, "If-Match"))
		return req_fail(r, S3E_NotImplemented, "Conditional deletes are not implemented.");
	if ((err = repl_request_for(r, r->key, true, &rq)))
		return err;
	/* A delete of an absent key still queues its events: the target may hold it. */
	/* Object Lock is the backend's to enforce, in the delete's own transaction. */
	err =
	    backend_object_delete_v(r->srv->be, r->bucket, r->key, vid, &rq,
				    op_lock_bypass(r) ? BACKEND_DELETE_BYPASS_GOVERNANCE : 0, &res);
	/* Deleting what is not there succeeds in S3. */
	if (err && err != S3E_NoSuchKey)
		return err;
	if (rq.n)
		replicator_wake(r->srv->replicator);
	if ((err = resp_no_content(r)))
		return err;
	op_version_headers(r, res.version_id, res.delete_marker);
	return S3E_OK;
}
