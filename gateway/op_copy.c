/* op_copy: CopyObject, streamed through a fresh hash of every byte. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../common/checksum.h"
#include "../common/copysrc.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/strutil.h"
#include "../common/versions.h"
#include "../common/xmlw.h"
#include "../lifecycle/replicator.h"
#include "conditions.h"
#include "ops.h"
#include "replication.h"
#include "request.h"
#include "response.h"
#include "server.h"
#include "sse_req.h"

s3err_t op_parse_copy_source(struct request *r, struct copy_source *src)
{
	const char *v = req_header(r, "x-amz-copy-source");
	struct copysrc cs;
	const char *msg;
	s3err_t err;

	if (!v) /* cannot be: the routes that copy match on this header */
		return req_fail(r, S3E_InvalidArgument, "x-amz-copy-source is missing");
	err = copysrc_parse(v, &cs, &msg);
	/* The version id is checked first, as before the parse was split out. */
	src->version_id[0] = '\0';
	if (cs.version_id && !versions_id_valid(cs.version_id))
		return req_fail(r, S3E_InvalidArgument, "Invalid version id specified");
	if (cs.version_id)
		str_copy(src->version_id, sizeof(src->version_id), cs.version_id);
	if (err)
		return req_fail(r, err, msg);
	memcpy(src->bucket, cs.bucket, sizeof(src->bucket));
	src->key = arena_strndup(&r->arena, cs.key, cs.key_len);
	return src->key ? S3E_OK : S3E_InternalError;
}

static s3err_t check_directives(struct request *r, bool *replace)
{
	const char *md = req_header(r, "x-amz-metadata-directive");
	const char *td = req_header(r, "x-amz-tagging-directive");

	*replace = false;
	if (md && strcmp(md, "REPLACE") == 0)
		*replace = true;
	else if (md && strcmp(md, "COPY") != 0)
		return req_fail(r, S3E_InvalidArgument, "Unknown metadata directive.");
	if (td && strcmp(td, "COPY") != 0)
		return req_fail(r, S3E_NotImplemented, "Object tagging is not implemented yet.");
	return S3E_OK;
}

s3err_t op_copy_range(struct request *r, struct be_reader *rd, uint64_t first, uint64_t len,
		      struct be_writer *w, struct hashset *hs)
{
	struct backend *be = r->srv->be;
	uint8_t *block = malloc(STRATA_IO_BLOCK);
	uint64_t done = 0;
	s3err_t err = S3E_OK;

	if (!block)
		return S3E_InternalError;
	while (done < len) {
		size_t want = len - done < STRATA_IO_BLOCK ? (size_t)(len - done) : STRATA_IO_BLOCK;
		size_t got = 0;

		err = backend_reader_read(be, rd, first + done, block, want, &got);
		if (!err && got == 0)
			err = S3E_InternalError; /* the index promised more bytes */
		if (err)
			break;
		hashset_update(hs, block, got);
		err = backend_writer_write(be, w, block, got);
		if (err)
			break;
		done += got;
	}
	free(block);
	return err;
}

static s3err_t copy_result(struct request *r, const struct obj_meta *m)
{
	enum cksum_algo a = cksum_algo_from_name(m->checksum_algo);
	char etag[STRATA_ETAG_MAX + 2], date[25], tag[32];
	struct buf xml;
	s3err_t err;

	snprintf(etag, sizeof(etag), "\"%s\"", m->etag);
	httptime_format_iso_ms(m->mtime_ms, date);
	buf_init(&xml, 4096, S3E_InternalError);
	if ((err = xmlw_begin(&xml, "CopyObjectResult")) || (err = xmlw_elem(&xml, "ETag", etag)) ||
	    (err = xmlw_elem(&xml, "LastModified", date)))
		goto out;
	if (a != CKSUM_NONE) {
		snprintf(tag, sizeof(tag), "Checksum%s", cksum_algo_name(a));
		if ((err = xmlw_elem(&xml, tag, m->checksum_b64)) ||
		    (err = xmlw_elem(&xml, "ChecksumType", "FULL_OBJECT")))
			goto out;
	}
	if ((err = xmlw_close(&xml, "CopyObjectResult")))
		goto out;
	err = resp_xml(r, &xml);
	if (!err)
		resp_header(r, "x-strata-sha256", m->sha256_hex);
out:
	buf_free(&xml);
	return err;
}

s3err_t op_open_copy_source(struct request *r, const struct copy_source *src, struct obj_meta *meta,
			    struct sse_key *key, struct be_reader **out)
{
	struct conditions c = {req_header(r, "x-amz-copy-source-if-match"),
			       req_header(r, "x-amz-copy-source-if-none-match"),
			       req_header(r, "x-amz-copy-source-if-modified-since"),
			       req_header(r, "x-amz-copy-source-if-unmodified-since")};
	struct backend *be = r->srv->be;
	struct bucket_info sb;
	s3err_t err;

	if ((err = backend_bucket_get(be, src->bucket, &sb)))
		return err;
	if (strcmp(sb.owner, r->auth.user.name) != 0)
		return req_fail(r, S3E_AccessDenied, NULL);
	err = backend_reader_open_v(be, src->bucket, src->key,
				    src->version_id[0] ? src->version_id : NULL, meta, out);
	if (err == S3E_MethodNotAllowed)
		return req_fail(r, S3E_InvalidRequest,
				"The source of a copy request may not specifically refer to a "
				"delete marker by version id.");
	if (err || (err = sse_req_read(r, meta, true, key)) ||
	    (err = op_archive_readable(r, meta)) ||
	    (key->mode != SSE_NONE && (err = backend_reader_unseal(be, *out, key->data_key))))
		return err;
	return cond_check(&c, meta, true);
}

s3err_t op_copy_object(struct request *r)
{
	const char *algo_hdr = req_header(r, "x-amz-checksum-algorithm");
	struct backend *be = r->srv->be;
	struct copy_source src = {{0}, NULL, ""};
	struct repl_request rq;
	struct obj_meta sm, dm;
	struct be_reader *rd = NULL;
	struct be_writer *w = NULL;
	struct hashset *hs = NULL;
	enum cksum_algo algo;
	struct digests d;
	struct sse_key sk, dk;
	char sha[65], vid[STRATA_VERSION_ID_MAX] = "";
	bool replace;
	s3err_t err;

	obj_meta_init(&sm);
	obj_meta_init(&dm);
	memset(&sk, 0, sizeof(sk));
	memset(&dk, 0, sizeof(dk));
	if ((err = op_parse_copy_source(r, &src)) || (err = check_directives(r, &replace)) ||
	    (err = op_refuse_unsupported_write(r)))
		goto out;
	/* (the destination bucket is the requester's: the route checked it) */
	/* Copying an older version over the key is how a version is restored: allowed. */
	if (!replace && strcmp(src.bucket, r->bucket) == 0 && strcmp(src.key, r->key) == 0 &&
	    !src.version_id[0] && !algo_hdr && !sse_req_asked(r) &&
	    !req_header(r, "x-amz-storage-class")) {
		err = req_fail(r, S3E_InvalidRequest,
			       "This copy request is illegal because it is trying to copy an "
			       "object to itself without changing the object's metadata, storage "
			       "class, website redirect location or encryption attributes.");
		goto out;
	}
	if ((err = op_open_copy_source(r, &src, &sm, &sk, &rd)))
		goto out;
	if (sm.size > STRATA_MAX_PUT_SIZE) {
		err = req_fail(r, S3E_InvalidRequest,
			       "The specified copy source is larger than the maximum allowable "
			       "size for a copy source: 5368709120");
		goto out;
	}
	algo = algo_hdr ? cksum_algo_from_name(algo_hdr) : cksum_algo_from_name(sm.checksum_algo);
	if (algo_hdr && algo == CKSUM_NONE) {
		err =
		    req_fail(r, S3E_InvalidRequest, "Checksum algorithm provided is unsupported.");
		goto out;
	}
	if (replace)
		err = op_collect_metadata(r, &dm);
	else if (sm.headers_len)
		err = obj_meta_copy(&dm, &sm) ? S3E_InternalError : S3E_OK;
	if (err)
		goto out;
	/* A copy's lock is its request's (or the bucket's default), never the source's. */
	if ((err = op_lock_headers(r, false, &dm)))
		goto out;
	/* The copy is a new single-part object: its checksum is over the whole of it. */
	dm.checksum_algo[0] = dm.checksum_b64[0] = dm.checksum_type[0] = '\0';
	dm.parts_count = 0;
	/* The destination's encryption is its own: headers, else the bucket's default. */
	/* A copy is STANDARD unless the request names a class, as on AWS. */
	if ((err = op_storage_class(r, dm.storage_class)) || (err = sse_req_write(r, &dm, &dk)) ||
	    (err = hashset_new(algo, &hs)) ||
	    (err = backend_writer_open(be, r->bucket, r->key, sm.size, &w)) ||
	    (dm.storage_class[0] && (err = backend_writer_place(be, w, dm.storage_class))) ||
	    (dk.mode != SSE_NONE && (err = backend_writer_seal(be, w, dk.data_key))) ||
	    (err = op_copy_range(r, rd, 0, sm.size, w, hs)))
		goto out;
	hashset_final(hs, &d);
	hex_encode(d.sha256, sizeof(d.sha256), sha);
	/* A copy is also a verification: bytes that changed on disk are not propagated. */
	if (sm.sha256_hex[0] && strcmp(sha, sm.sha256_hex) != 0) {
		log_error("copy", "integrity failure: %s/%s does not match its SHA-256", src.bucket,
			  src.key);
		err = req_fail(r, S3E_InternalError,
			       "The source object failed integrity verification.");
		goto out;
	}
	dm.size = sm.size;
	dm.mtime_ms = httptime_now_ms();
	hex_encode(d.md5, sizeof(d.md5), dm.etag);
	str_copy(dm.sha256_hex, sizeof(dm.sha256_hex), sha);
	if (algo != CKSUM_NONE) {
		str_copy(dm.checksum_algo, sizeof(dm.checksum_algo), cksum_algo_name(algo));
		str_copy(dm.checksum_type, sizeof(dm.checksum_type), "FULL_OBJECT");
		base64_encode(d.extra, d.extra_len, dm.checksum_b64);
	}
	if ((err = repl_request_for(r, r->key, false, &rq)) ||
	    (err = backend_writer_replicate(be, w, &rq)) ||
	    (err = backend_writer_version(be, w, vid)))
		goto out;
	err = backend_writer_commit(be, w, &dm);
	w = NULL;
	if (err)
		err = op_lock_commit_error(r, err);
	if (!err && rq.n)
		replicator_wake(r->srv->replicator);
	if (!err)
		err = copy_result(r, &dm);
	if (!err) {
		sse_req_headers(r, &dk);
		op_written_version(r, vid);
		if (sm.version_id[0])
			resp_header(r, "x-amz-copy-source-version-id", sm.version_id);
	}
out:
	if (w)
		backend_writer_abort(be, w);
	if (rd)
		backend_reader_close(be, rd);
	hashset_free(hs);
	obj_meta_free(&sm);
	obj_meta_free(&dm);
	sse_key_clear(&sk);
	sse_key_clear(&dk);
	return err;
}
