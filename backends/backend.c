/*
 * backend: the wrappers through which every caller reaches a backend.
 *
 * This is the one place that knows a slot may be NULL (the backend lacks the
 * operation) or that the instance was built against another interface
 * version: both answer S3E_NotImplemented, so no caller tests slots itself
 * and a missing operation can never crash the server.
 */
#include "backend.h"

#include <stddef.h>
#include <string.h>

/* The instance's table, or NULL when there is none we can trust. */
static const struct backend_ops *ops_of(const struct backend *be)
{
	if (!be || !be->ops || be->ops->abi_version != BACKEND_ABI_VERSION)
		return NULL;
	return be->ops;
}

s3err_t backend_bucket_create(struct backend *be, const struct bucket_info *b)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_create)
		return S3E_NotImplemented;
	return o->bucket_create(be, b);
}

s3err_t backend_bucket_get(struct backend *be, const char *name, struct bucket_info *out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_get)
		return S3E_NotImplemented;
	return o->bucket_get(be, name, out);
}

s3err_t backend_bucket_delete(struct backend *be, const char *name)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_delete)
		return S3E_NotImplemented;
	return o->bucket_delete(be, name);
}

s3err_t backend_bucket_list(struct backend *be, bucket_visit_fn visit, void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_list)
		return S3E_NotImplemented;
	return o->bucket_list(be, visit, ctx);
}

s3err_t backend_writer_open(struct backend *be, const char *bucket, const char *key,
			    uint64_t size_hint, struct be_writer **out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->writer_open)
		return S3E_NotImplemented;
	return o->writer_open(be, bucket, key, size_hint, out);
}

s3err_t backend_writer_write(struct backend *be, struct be_writer *w, const void *data, size_t len)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->writer_write)
		return S3E_NotImplemented;
	return o->writer_write(w, data, len);
}

s3err_t backend_writer_commit(struct backend *be, struct be_writer *w, const struct obj_meta *meta)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->writer_commit)
		return S3E_NotImplemented;
	return o->writer_commit(w, meta);
}

void backend_writer_abort(struct backend *be, struct be_writer *w)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->writer_abort)
		return;
	o->writer_abort(w);
}

s3err_t backend_object_head(struct backend *be, const char *bucket, const char *key,
			    struct obj_meta *out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->object_head)
		return S3E_NotImplemented;
	return o->object_head(be, bucket, key, out);
}

s3err_t backend_reader_open(struct backend *be, const char *bucket, const char *key,
			    struct obj_meta *meta, struct be_reader **out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->reader_open)
		return S3E_NotImplemented;
	return o->reader_open(be, bucket, key, meta, out);
}

s3err_t backend_reader_read(struct backend *be, struct be_reader *r, uint64_t off, void *buf,
			    size_t len, size_t *got)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->reader_read)
		return S3E_NotImplemented;
	return o->reader_read(r, off, buf, len, got);
}

void backend_reader_close(struct backend *be, struct be_reader *r)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->reader_close)
		return;
	o->reader_close(r);
}

s3err_t backend_object_delete(struct backend *be, const char *bucket, const char *key)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->object_delete)
		return S3E_NotImplemented;
	return o->object_delete(be, bucket, key);
}

s3err_t backend_object_scan(struct backend *be, const char *bucket, const char *start,
			    bool inclusive, const char *prefix, size_t limit, object_visit_fn visit,
			    void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->object_scan)
		return S3E_NotImplemented;
	return o->object_scan(be, bucket, start, inclusive, prefix, limit, visit, ctx);
}

s3err_t backend_bucket_count(struct backend *be, const char *bucket, uint64_t cap, uint64_t *out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_count)
		return S3E_NotImplemented;
	return o->bucket_count(be, bucket, cap, out);
}

s3err_t backend_upload_create(struct backend *be, const char *bucket, const char *key,
			      const struct obj_meta *meta, char upload_id[STRATA_UPLOAD_ID_MAX])
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->upload_create)
		return S3E_NotImplemented;
	return o->upload_create(be, bucket, key, meta, upload_id);
}

s3err_t backend_upload_get(struct backend *be, const char *bucket, const char *upload_id,
			   struct upload_info *out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->upload_get)
		return S3E_NotImplemented;
	return o->upload_get(be, bucket, upload_id, out);
}

s3err_t backend_part_writer_open(struct backend *be, const char *bucket, const char *upload_id,
				 unsigned number, uint64_t size_hint, struct be_writer **out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->part_writer_open)
		return S3E_NotImplemented;
	return o->part_writer_open(be, bucket, upload_id, number, size_hint, out);
}

s3err_t backend_part_commit(struct backend *be, struct be_writer *w, const struct part_info *p)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->part_commit)
		return S3E_NotImplemented;
	return o->part_commit(w, p);
}

s3err_t backend_part_reader_open(struct backend *be, const char *bucket, const char *upload_id,
				 unsigned number, struct be_reader **out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->part_reader_open)
		return S3E_NotImplemented;
	return o->part_reader_open(be, bucket, upload_id, number, out);
}

s3err_t backend_part_list(struct backend *be, const char *bucket, const char *upload_id,
			  unsigned after, size_t limit, part_visit_fn visit, void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->part_list)
		return S3E_NotImplemented;
	return o->part_list(be, bucket, upload_id, after, limit, visit, ctx);
}

s3err_t backend_upload_list(struct backend *be, const char *bucket, const char *prefix,
			    const char *key_marker, const char *upload_id_marker, size_t limit,
			    upload_visit_fn visit, void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->upload_list)
		return S3E_NotImplemented;
	return o->upload_list(be, bucket, prefix, key_marker, upload_id_marker, limit, visit, ctx);
}

s3err_t backend_upload_abort(struct backend *be, const char *bucket, const char *upload_id)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->upload_abort)
		return S3E_NotImplemented;
	return o->upload_abort(be, bucket, upload_id);
}

s3err_t backend_upload_complete(struct backend *be, const char *bucket, const char *upload_id,
				const struct complete_part *parts, size_t n,
				const struct obj_meta *meta)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->upload_complete)
		return S3E_NotImplemented;
	return o->upload_complete(be, bucket, upload_id, parts, n, meta);
}

s3err_t backend_object_part_range(struct backend *be, const char *bucket, const char *key,
				  unsigned number, uint64_t *offset, uint64_t *size)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->object_part_range)
		return S3E_NotImplemented;
	return o->object_part_range(be, bucket, key, number, offset, size);
}

s3err_t backend_scrub(struct backend *be, uint64_t bytes_per_second, const volatile bool *stop,
		      scrub_report_fn report, void *ctx, struct scrub_stats *stats)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->scrub)
		return S3E_NotImplemented;
	return o->scrub(be, bytes_per_second, stop, report, ctx, stats);
}

s3err_t backend_writer_seal(struct backend *be, struct be_writer *w, const uint8_t *data_key)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->writer_seal)
		return S3E_NotImplemented;
	return o->writer_seal(w, data_key);
}

s3err_t backend_reader_unseal(struct backend *be, struct be_reader *r, const uint8_t *data_key)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->reader_unseal)
		return S3E_NotImplemented;
	return o->reader_unseal(r, data_key);
}

s3err_t backend_sse_rewrap(struct backend *be, const char *target_id, sse_rewrap_fn fn, void *ctx,
			   uint64_t *count)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->sse_rewrap)
		return S3E_NotImplemented;
	return o->sse_rewrap(be, target_id, fn, ctx, count);
}

s3err_t backend_sse_key_usage(struct backend *be, sse_usage_fn visit, void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->sse_key_usage)
		return S3E_NotImplemented;
	return o->sse_key_usage(be, visit, ctx);
}

s3err_t backend_object_delete_if(struct backend *be, const char *bucket, const char *key,
				 int64_t mtime_ms, const char *etag)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->object_delete_if)
		return S3E_NotImplemented;
	return o->object_delete_if(be, bucket, key, mtime_ms, etag);
}

s3err_t backend_writer_place(struct backend *be, struct be_writer *w, const char *storage_class)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->writer_place)
		return S3E_NotImplemented;
	return o->writer_place(w, storage_class);
}

bool backend_can_transition(struct backend *be)
{
	const struct backend_ops *o = ops_of(be);

	return o && o->object_transition;
}

s3err_t backend_object_transition(struct backend *be, const char *bucket, const char *key,
				  int64_t mtime_ms, const char *etag, const char *storage_class)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->object_transition)
		return S3E_NotImplemented;
	return o->object_transition(be, bucket, key, mtime_ms, etag, storage_class);
}

s3err_t backend_restore_request(struct backend *be, const char *bucket, const char *key,
				int64_t until_ms, int *state_out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->restore_request)
		return S3E_NotImplemented;
	return o->restore_request(be, bucket, key, until_ms, state_out);
}

s3err_t backend_restore_due(struct backend *be, int64_t now_ms, restore_visit_fn visit, void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->restore_due)
		return S3E_NotImplemented;
	return o->restore_due(be, now_ms, visit, ctx);
}

s3err_t backend_restore_run(struct backend *be, const char *bucket, const char *key,
			    int64_t mtime_ms, const char *etag)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->restore_run)
		return S3E_NotImplemented;
	return o->restore_run(be, bucket, key, mtime_ms, etag);
}

s3err_t backend_restore_release(struct backend *be, const char *bucket, const char *key,
				int64_t mtime_ms, const char *etag)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->restore_release)
		return S3E_NotImplemented;
	return o->restore_release(be, bucket, key, mtime_ms, etag);
}

s3err_t backend_bucket_config_get(struct backend *be, const char *bucket, const char *name,
				  char *out, size_t cap, size_t *len, bool *found)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_config_get)
		return S3E_NotImplemented;
	return o->bucket_config_get(be, bucket, name, out, cap, len, found);
}

s3err_t backend_bucket_config_put(struct backend *be, const char *bucket, const char *name,
				  const char *value, size_t len)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_config_put)
		return S3E_NotImplemented;
	return o->bucket_config_put(be, bucket, name, value, len);
}

s3err_t backend_bucket_config_delete(struct backend *be, const char *bucket, const char *name)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_config_delete)
		return S3E_NotImplemented;
	return o->bucket_config_delete(be, bucket, name);
}

/* --- replication (ABI 7) --- */

bool backend_can_replicate(struct backend *be)
{
	const struct backend_ops *o = ops_of(be);

	return o && o->writer_replicate && o->upload_complete_repl && o->object_delete_repl &&
	       o->repl_enqueue && o->repl_due && o->repl_done && o->repl_retry && o->repl_stats;
}

/* A request that asks nothing of replication: no targets, not a replica. */
static bool asks_nothing(const struct repl_request *req)
{
	return !req || (!req->replica && req->n == 0);
}

s3err_t backend_writer_replicate(struct backend *be, struct be_writer *w,
				 const struct repl_request *req)
{
	const struct backend_ops *o = ops_of(be);

	if (asks_nothing(req))
		return o ? S3E_OK : S3E_NotImplemented;
	if (!o || !o->writer_replicate)
		return S3E_NotImplemented;
	return o->writer_replicate(w, req);
}

s3err_t backend_upload_complete_repl(struct backend *be, const char *bucket, const char *upload_id,
				     const struct complete_part *parts, size_t n,
				     const struct obj_meta *meta, const struct repl_request *req)
{
	const struct backend_ops *o = ops_of(be);

	if (asks_nothing(req))
		return backend_upload_complete(be, bucket, upload_id, parts, n, meta);
	if (!o || !o->upload_complete_repl)
		return S3E_NotImplemented;
	return o->upload_complete_repl(be, bucket, upload_id, parts, n, meta, req);
}

s3err_t backend_object_delete_repl(struct backend *be, const char *bucket, const char *key,
				   const struct repl_request *req)
{
	const struct backend_ops *o = ops_of(be);

	if (asks_nothing(req))
		return backend_object_delete(be, bucket, key);
	if (!o || !o->object_delete_repl)
		return S3E_NotImplemented;
	return o->object_delete_repl(be, bucket, key, req);
}

s3err_t backend_repl_enqueue(struct backend *be, const char *bucket, const char *key,
			     const struct repl_request *req)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->repl_enqueue)
		return S3E_NotImplemented;
	return o->repl_enqueue(be, bucket, key, req);
}

s3err_t backend_repl_due(struct backend *be, int64_t now_ms, size_t limit, repl_visit_fn visit,
			 void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->repl_due)
		return S3E_NotImplemented;
	return o->repl_due(be, now_ms, limit, visit, ctx);
}

s3err_t backend_repl_done(struct backend *be, uint64_t seq)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->repl_done)
		return S3E_NotImplemented;
	return o->repl_done(be, seq);
}

s3err_t backend_repl_retry(struct backend *be, uint64_t seq, int64_t next_ms, bool failed,
			   const char *error)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->repl_retry)
		return S3E_NotImplemented;
	return o->repl_retry(be, seq, next_ms, failed, error);
}

s3err_t backend_repl_stats(struct backend *be, const char *bucket, struct repl_stats *out)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->repl_stats)
		return S3E_NotImplemented;
	return o->repl_stats(be, bucket, out);
}

/* --- versioning (ABI 8) --- */

bool backend_can_version(struct backend *be)
{
	const struct backend_ops *o = ops_of(be);

	return o && o->writer_version && o->upload_complete_v && o->object_head_v &&
	       o->reader_open_v && o->object_delete_v && o->version_scan;
}

/* NULL or "null": the only version a backend without versioning holds. */
static bool null_version(const char *version_id)
{
	return !version_id || strcmp(version_id, "null") == 0;
}

s3err_t backend_writer_version(struct backend *be, struct be_writer *w, char *out)
{
	const struct backend_ops *o = ops_of(be);

	out[0] = '\0';
	if (!o || !o->writer_version)
		return S3E_OK; /* never versioned: the commit makes no version id */
	return o->writer_version(w, out);
}

s3err_t backend_upload_complete_v(struct backend *be, const char *bucket, const char *upload_id,
				  const struct complete_part *parts, size_t n,
				  const struct obj_meta *meta, const struct repl_request *req,
				  char version_id[STRATA_VERSION_ID_MAX])
{
	const struct backend_ops *o = ops_of(be);

	version_id[0] = '\0';
	if (!o || !o->upload_complete_v)
		return backend_upload_complete_repl(be, bucket, upload_id, parts, n, meta, req);
	return o->upload_complete_v(be, bucket, upload_id, parts, n, meta, req, version_id);
}

s3err_t backend_object_head_v(struct backend *be, const char *bucket, const char *key,
			      const char *version_id, struct obj_meta *out)
{
	const struct backend_ops *o = ops_of(be);

	if (o && o->object_head_v)
		return o->object_head_v(be, bucket, key, version_id, out);
	if (!null_version(version_id))
		return S3E_NoSuchVersion;
	return backend_object_head(be, bucket, key, out);
}

s3err_t backend_reader_open_v(struct backend *be, const char *bucket, const char *key,
			      const char *version_id, struct obj_meta *meta, struct be_reader **out)
{
	const struct backend_ops *o = ops_of(be);

	if (o && o->reader_open_v)
		return o->reader_open_v(be, bucket, key, version_id, meta, out);
	if (!null_version(version_id))
		return S3E_NoSuchVersion;
	return backend_reader_open(be, bucket, key, meta, out);
}

s3err_t backend_object_delete_v(struct backend *be, const char *bucket, const char *key,
				const char *version_id, const struct repl_request *req,
				unsigned flags, struct delete_result *out)
{
	const struct backend_ops *o = ops_of(be);

	memset(out, 0, sizeof(*out));
	if (o && o->object_delete_v)
		return o->object_delete_v(be, bucket, key, version_id, req, flags, out);
	if (!null_version(version_id))
		return S3E_NoSuchKey; /* no such version: nothing to delete */
	return backend_object_delete_repl(be, bucket, key, req);
}

/* --- object lock (ABI 9) --- */

bool backend_can_lock(struct backend *be)
{
	const struct backend_ops *o = ops_of(be);

	return backend_can_version(be) && o->bucket_lock_put && o->object_lock_set;
}

s3err_t backend_bucket_lock_put(struct backend *be, const char *bucket, const char *doc, size_t len)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->bucket_lock_put)
		return S3E_NotImplemented;
	return o->bucket_lock_put(be, bucket, doc, len);
}

s3err_t backend_object_lock_set(struct backend *be, const char *bucket, const char *key,
				const char *version_id, const struct lock_change *ch)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->object_lock_set)
		return S3E_NotImplemented;
	return o->object_lock_set(be, bucket, key, version_id, ch);
}

s3err_t backend_version_scan(struct backend *be, const char *bucket, const char *key,
			     const char *vid, const char *prefix, size_t limit,
			     versions_visit_fn visit, void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->version_scan)
		return S3E_NotImplemented;
	return o->version_scan(be, bucket, key, vid, prefix, limit, visit, ctx);
}

/* --- lifecycle of versions (ABI 10) --- */

bool backend_can_expire_version(struct backend *be)
{
	const struct backend_ops *o = ops_of(be);

	return o && o->version_expire;
}

bool backend_can_transition_version(struct backend *be)
{
	const struct backend_ops *o = ops_of(be);

	return o && o->version_transition;
}

s3err_t backend_version_expire(struct backend *be, const char *bucket, const char *key,
			       const char *version_id, int64_t mtime_ms, bool lone_marker)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->version_expire)
		return S3E_NotImplemented;
	return o->version_expire(be, bucket, key, version_id, mtime_ms, lone_marker);
}

s3err_t backend_version_transition(struct backend *be, const char *bucket, const char *key,
				   const char *version_id, int64_t mtime_ms, const char *etag,
				   const char *storage_class)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->version_transition)
		return S3E_NotImplemented;
	return o->version_transition(be, bucket, key, version_id, mtime_ms, etag, storage_class);
}

s3err_t backend_storage_usage(struct backend *be, usage_visit_fn visit, void *ctx)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->storage_usage)
		return S3E_NotImplemented;
	return o->storage_usage(be, visit, ctx);
}

void backend_close(struct backend *be)
{
	const struct backend_ops *o = ops_of(be);

	if (!o || !o->close)
		return;
	o->close(be);
}
