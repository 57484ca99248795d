/*
 * posix_remote: storage tiers of the posix backend that live in a bucket
 * of a remote S3 store (config tier_<CLASS> = s3://BUCKET[/PREFIX/];
 * issue 7). The index, the home and every local tier stay on this
 * machine; only the data files of such a tier are remote, read and
 * written through backends/s3client.
 *
 * Remote tiers (DESIGN.md, "Tiers and lifecycle"; T1..T7 in
 * posix_tiers.c hold for them too):
 *  X1. A remote location is a bucket and a key prefix on the store the
 *      s3_* settings name; one client (posix_be.client) serves every
 *      remote tier. The data file (tier, id) is the object
 *      PREFIX objects/ID, holding the file's STORED bytes unchanged: the
 *      frames and GCM tags bound to the id (F1, F5) travel with it, so a
 *      transition or restore copies it as it is, SSE-C objects move
 *      without their key, and reads verify it frame by frame (F3) exactly
 *      as a local file. The remote is never trusted with plaintext of an
 *      encrypted object, nor with the integrity of any object.
 *  X2. A remote location has no temporaries of its own: a writer placed
 *      in it (writer_place, the part writers of an upload of its class)
 *      and a transition's copy write a LOCAL file in the home's tmp/
 *      (swept at open, P3). Publishing uploads that file (one PUT up to
 *      REMOTE_PUT_MAX, else a multipart upload of REMOTE_PART_MIN..
 *      parts, aborted on failure) with a Content-MD5 per request that the
 *      remote checks; only when every request succeeded does the index
 *      commit (P1). A crash or failed commit after the upload leaves an
 *      object no row names: removed at once when possible, else an orphan
 *      the scrub reports (X6).
 *  X3. Reading: open is a HEAD (its size must be the stored size the
 *      row implies, or it is an integrity failure, as a local file of
 *      the wrong size; its ETag is kept); reads pull a ranged GET from
 *      the offset asked to the end, pinned to that ETag by If-Match (an
 *      object replaced under a reader is an error, never a mix), kept
 *      open while reads are sequential and reopened on a seek. Memory is
 *      s3client's stream buffer, never the file. A remote that is down
 *      answers S3E_ServiceUnavailable (s3client's timeouts and retries
 *      bound the wait); a short body is a truncated file (F3).
 *  X4. A transition or restore INTO a remote location keeps its copy's
 *      home tmp/ID (created O_EXCL) until it switched or discarded: that
 *      file is the claim that no other transition or restore of the same
 *      id runs in this process meanwhile (P3 makes it the only process),
 *      so no second one uploads, deletes or switches the same remote
 *      object. The copy is uploaded, then read back FROM THE REMOTE with
 *      posix_verify_files (every frame; the SHA-256 wherever the plaintext
 *      is readable) before the index switches (DESIGN.md: "verify the
 *      SHA-256 at the far end before the source copy is released").
 *  X5. gc of a remote file: in the write transaction, as T4, a file some
 *      row names again only loses its gc row; otherwise the DELETE runs
 *      AFTER that transaction (no index lock is held across the network)
 *      and the gc row is dropped only once the DELETE succeeded: a remote
 *      that is down leaves the row for a later drain, never loses it.
 *      Nothing can name the file in between: a transition into a remote
 *      location refuses (S3E_PreconditionFailed, retried by the engine)
 *      any file whose (tier, id) still has a gc row (posix_tr_load), and
 *      writers use fresh ids.
 *  X6. The scrub's orphan pass lists a remote location's objects by id
 *      prefix (ListObjectsV2 of PREFIX objects/xx), ages them by
 *      LastModified as local files by mtime (S4), and, after the index
 *      query, reports only those a HEAD still finds.
 *  X7. At open, the bucket is checked (HEAD) and created when absent. A
 *      remote that cannot be reached (S3E_ServiceUnavailable) does not
 *      stop the gateway: the home and other tiers are served, objects in
 *      the remote tier answer 503 until it is back, and writes to its
 *      class and transitions into it fail, leaving every object where it
 *      was (T6). Starting degraded is the availability the home's own
 *      objects are owed; refusing would turn a remote outage into a
 *      total one. A remote that ANSWERS with a refusal (bad credentials,
 *      access denied, a bucket owned by someone else) is a configuration
 *      error and refuses the start, so mistakes are not found by users.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pread under -std=c11 */
#endif
#include "posix_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/config.h"
#include "s3client.h"

#define REMOTE_PUT_MAX (8u * 1024 * 1024)    /* one PUT up to this many stored bytes (X2) */
#define REMOTE_PART_MIN (8u * 1024 * 1024)   /* multipart part size, at least */
#define REMOTE_PART_MAX (128u * 1024 * 1024) /* ... and at most (so 1.25 TiB per file) */
#define REMOTE_MAX_PARTS 10000u		     /* S3's limit */
#define REMOTE_KEY_MAX (POSIX_REMOTE_PREFIX_MAX + sizeof("objects/") + POSIX_ID_HEX)
#define REMOTE_RETRIES 3u /* s3client retries per request */

struct posix_remote {
	struct s3c *c; /* borrowed: posix_be.client */
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char prefix[POSIX_REMOTE_PREFIX_MAX + 1];
};

struct posix_rfile {
	const struct posix_remote *r;
	char key[REMOTE_KEY_MAX];
	char etag[S3C_MAX_ETAG]; /* the version the HEAD saw (X3) */
	uint64_t size;
	struct s3c_stream *s; /* NULL when no GET is open */
	uint64_t pos;	      /* the offset of the stream's next byte */
	bool failed;	      /* the stream broke: reopen before reading */
};

bool posix_remote_url_is(const char *dir)
{
	return dir && strncmp(dir, "s3://", 5) == 0;
}

bool posix_remote_url_parse(const char *url, char bucket[STRATA_BUCKET_NAME_MAX + 1],
			    char prefix[POSIX_REMOTE_PREFIX_MAX + 1])
{
	const char *b, *slash;
	size_t blen;

	/* One rule for the config check and the backend (common/config.h). */
	if (!url || !config_tier_url_valid(url))
		return false;
	b = url + 5;
	slash = strchr(b, '/');
	blen = slash ? (size_t)(slash - b) : strlen(b);
	memcpy(bucket, b, blen);
	bucket[blen] = '\0';
	snprintf(prefix, POSIX_REMOTE_PREFIX_MAX + 1, "%s", slash ? slash + 1 : "");
	return true;
}

/* The object key of id in r (X1). */
static void remote_key(const struct posix_remote *r, const char *id, char out[REMOTE_KEY_MAX])
{
	snprintf(out, REMOTE_KEY_MAX, "%sobjects/%s", r->prefix, id);
}

s3err_t posix_remote_client(const struct posix_remote_opts *o, struct s3c **out)
{
	struct s3c_config cc;
	s3err_t err;

	if (!o->endpoint || !o->endpoint[0] || !o->access_key || !o->access_key[0] ||
	    !o->secret_key || !o->secret_key[0]) {
		log_error(POSIX_LOG_MOD, "a storage tier in a remote bucket (s3://) needs "
					 "s3_endpoint, s3_access_key and s3_secret_key");
		return S3E_InvalidArgument;
	}
	memset(&cc, 0, sizeof(cc));
	cc.endpoint = o->endpoint;
	cc.region = o->region;
	cc.access_key = o->access_key;
	cc.secret_key = o->secret_key;
	cc.ca_file = o->ca_file;
	cc.path_style = o->path_style;
	cc.max_retries = REMOTE_RETRIES;
	err = s3c_new(&cc, out);
	if (err != S3E_OK)
		log_error(POSIX_LOG_MOD,
			  "bad remote settings for s3:// tiers (s3_endpoint, keys): %s",
			  s3err_code(err));
	return err;
}

/* X7: the bucket answers (created when absent); unreachable is a warning, a refusal an error. */
static s3err_t bucket_check(const struct posix_loc *loc, struct s3c_result *res)
{
	const struct posix_remote *r = loc->remote;
	s3err_t err;

	err = s3c_bucket_head(r->c, r->bucket, res);
	if (err == S3E_NoSuchBucket) {
		err = s3c_bucket_create(r->c, r->bucket, NULL, res);
		if (err == S3E_BucketAlreadyOwnedByYou)
			err = S3E_OK; /* created meanwhile by someone with our keys */
		if (err == S3E_OK)
			log_info(POSIX_LOG_MOD, "storage tier %s: created bucket %s", loc->tier,
				 r->bucket);
	}
	if (err == S3E_ServiceUnavailable) {
		log_warn(POSIX_LOG_MOD,
			 "storage tier %s: the remote %s cannot be reached; starting without it "
			 "(its objects answer 503 until it is back)",
			 loc->tier, loc->dir);
		return S3E_OK;
	}
	if (err != S3E_OK)
		log_error(POSIX_LOG_MOD, "storage tier %s: the remote refuses bucket %s: %s (%s)",
			  loc->tier, r->bucket, s3err_code(err), res->code);
	return err;
}

s3err_t posix_remote_attach(struct posix_loc *loc, struct s3c *c, const char *url,
			    const struct posix_loc *home)
{
	struct posix_remote *r = calloc(1, sizeof(*r));
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err = S3E_InternalError;

	loc->dir = strdup(url);
	if (!r || !res || !loc->dir)
		goto out;
	if (!posix_remote_url_parse(url, r->bucket, r->prefix)) {
		log_error(POSIX_LOG_MOD,
			  "storage tier %s: '%.300s' is not s3://BUCKET or s3://BUCKET/PREFIX/",
			  loc->tier, url);
		err = S3E_InvalidArgument;
		goto out;
	}
	r->c = c;
	/* X2: the home's tmp/ holds this tier's temporaries (its own fd, closed with loc). */
	loc->tmpfd = dup(home->tmpfd);
	if (loc->tmpfd < 0) {
		log_error(POSIX_LOG_MOD, "dup of %s/tmp: %s", home->dir, strerror(errno));
		goto out;
	}
	loc->remote = r;
	r = NULL;
	err = bucket_check(loc, res);
out:
	free(r);
	free(res);
	return err;
}

bool posix_remote_same(const struct posix_loc *loc, const char *url)
{
	char bucket[STRATA_BUCKET_NAME_MAX + 1], prefix[POSIX_REMOTE_PREFIX_MAX + 1];

	return posix_remote_url_parse(url, bucket, prefix) &&
	       strcmp(bucket, loc->remote->bucket) == 0 && strcmp(prefix, loc->remote->prefix) == 0;
}

void posix_remote_detach(struct posix_loc *loc)
{
	free(loc->remote);
	loc->remote = NULL;
}

/* --- reading (X3) --- */

s3err_t posix_remote_open(const struct posix_loc *loc, const char *id, struct posix_rfile **out,
			  uint64_t *size)
{
	struct s3c_result *res = malloc(sizeof(*res));
	struct posix_rfile *rf = calloc(1, sizeof(*rf));
	s3err_t err = S3E_InternalError;

	if (!res || !rf)
		goto out;
	rf->r = loc->remote;
	remote_key(rf->r, id, rf->key);
	err = s3c_object_head(rf->r->c, rf->r->bucket, rf->key, res);
	if (err != S3E_OK)
		goto out; /* NoSuchKey: gone (a reader re-reads its row); others logged by s3client
			   */
	if (!res->has_length) {
		log_error(POSIX_LOG_MOD, "%s/%s: the remote's HEAD has no Content-Length", loc->dir,
			  rf->key);
		err = S3E_InternalError;
		goto out;
	}
	memcpy(rf->etag, res->etag, sizeof(rf->etag));
	rf->size = res->content_length;
	*size = rf->size;
	*out = rf;
	rf = NULL;
out:
	free(rf);
	free(res);
	return err;
}

/* Opens a GET of rf from off to the end, on the version the HEAD saw (X3). */
static s3err_t stream_open(struct posix_rfile *rf, uint64_t off)
{
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	s3c_stream_close(rf->s);
	rf->s = NULL;
	err = s3c_get_open_if(rf->r->c, rf->r->bucket, rf->key, off, S3C_RANGE_ALL,
			      rf->etag[0] ? rf->etag : NULL, &rf->s, res);
	if (err == S3E_PreconditionFailed || err == S3E_NoSuchKey) {
		/* Replaced or removed behind our back: never read a mix of versions. */
		log_error(POSIX_LOG_MOD,
			  "integrity: remote object %s/%s changed or vanished while being read",
			  rf->r->bucket, rf->key);
		err = S3E_InternalError;
	}
	if (err == S3E_OK) {
		rf->pos = off;
		rf->failed = false;
	}
	free(res);
	return err;
}

s3err_t posix_remote_read(struct posix_rfile *rf, uint64_t off, void *buf, size_t len,
			  bool *short_file)
{
	size_t got = 0;
	s3err_t err;

	*short_file = false;
	if (len == 0)
		return S3E_OK;
	if (off >= rf->size || rf->size - off < len) {
		*short_file = true; /* the object ends first: never padding */
		return S3E_InternalError;
	}
	if (!rf->s || rf->failed || rf->pos != off) {
		err = stream_open(rf, off);
		if (err != S3E_OK)
			return err;
	}
	err = s3c_stream_read(rf->s, buf, len, &got);
	if (err != S3E_OK) {
		rf->failed = true;
		return err;
	}
	rf->pos += got;
	if (got < len) {
		*short_file = true;
		rf->failed = true;
		return S3E_InternalError;
	}
	return S3E_OK;
}

void posix_remote_close(struct posix_rfile *rf)
{
	if (!rf)
		return;
	s3c_stream_close(rf->s);
	free(rf);
}

/* --- writing and deleting (X2, X5) --- */

/* Reads exactly len bytes of fd at off. */
static s3err_t fd_read(int fd, uint64_t off, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error(POSIX_LOG_MOD, "read of a temporary for upload failed: %s",
				  n < 0 ? strerror(errno) : "file ends early");
			return S3E_InternalError;
		}
		done += (size_t)n;
	}
	return S3E_OK;
}

/* The multipart part size for size bytes: REMOTE_PART_MIN, grown to fit REMOTE_MAX_PARTS. */
static size_t part_size_for(uint64_t size)
{
	uint64_t ps = REMOTE_PART_MIN;

	while (ps < REMOTE_PART_MAX && (size + ps - 1) / ps > REMOTE_MAX_PARTS)
		ps *= 2;
	return (size_t)ps;
}

/* X2: the multipart upload of a large file (aborted on any failure). */
static s3err_t put_multipart(const struct posix_remote *r, const char *key, int fd, uint64_t size,
			     struct s3c_result *res)
{
	size_t ps = part_size_for(size), n = (size_t)((size + ps - 1) / ps), i;
	char upload_id[S3C_MAX_UPLOAD_ID], (*etags)[S3C_MAX_ETAG] = NULL;
	struct s3c_part *parts = NULL;
	uint8_t *buf = NULL;
	s3err_t err;

	if (n > REMOTE_MAX_PARTS) {
		log_error(POSIX_LOG_MOD, "%llu bytes are too many for one remote object",
			  (unsigned long long)size);
		return S3E_InternalError;
	}
	buf = malloc(ps);
	etags = calloc(n, sizeof(*etags));
	parts = calloc(n, sizeof(*parts));
	if (!buf || !etags || !parts) {
		err = S3E_InternalError;
		goto out;
	}
	err = s3c_mpu_create(r->c, r->bucket, key, NULL, 0, upload_id, res);
	if (err != S3E_OK)
		goto out;
	for (i = 0; err == S3E_OK && i < n; i++) {
		uint64_t off = (uint64_t)i * ps;
		size_t len = size - off < ps ? (size_t)(size - off) : ps;

		err = fd_read(fd, off, buf, len);
		if (err == S3E_OK)
			err = s3c_mpu_upload_part(r->c, r->bucket, key, upload_id, (unsigned)i + 1,
						  buf, len, res);
		if (err == S3E_OK) {
			memcpy(etags[i], res->etag, sizeof(etags[i]));
			parts[i].number = (unsigned)i + 1;
			parts[i].etag = etags[i];
		}
	}
	if (err == S3E_OK)
		err = s3c_mpu_complete(r->c, r->bucket, key, upload_id, parts, n, res);
	if (err != S3E_OK)
		(void)s3c_mpu_abort(r->c, r->bucket, key, upload_id, res);
out:
	free(parts);
	free(etags);
	free(buf);
	return err;
}

s3err_t posix_remote_put(const struct posix_loc *loc, const char *id, int fd, uint64_t size)
{
	const struct posix_remote *r = loc->remote;
	struct s3c_result *res = malloc(sizeof(*res));
	char key[REMOTE_KEY_MAX];
	uint8_t *buf = NULL;
	s3err_t err = S3E_InternalError;

	if (!res)
		goto out;
	remote_key(r, id, key);
	if (size > REMOTE_PUT_MAX) {
		err = put_multipart(r, key, fd, size, res);
		goto out;
	}
	buf = malloc(size ? (size_t)size : 1);
	if (!buf)
		goto out;
	err = fd_read(fd, 0, buf, (size_t)size);
	if (err == S3E_OK)
		err = s3c_object_put(r->c, r->bucket, key, buf, (size_t)size, NULL, 0, res);
out:
	if (err != S3E_OK)
		log_error(POSIX_LOG_MOD, "upload of %s/%sobjects/%s failed: %s", loc->dir,
			  r->prefix, id, s3err_code(err));
	free(buf);
	free(res);
	return err;
}

s3err_t posix_remote_delete(const struct posix_loc *loc, const char *id)
{
	const struct posix_remote *r = loc->remote;
	struct s3c_result *res = malloc(sizeof(*res));
	char key[REMOTE_KEY_MAX];
	s3err_t err = S3E_InternalError;

	if (res) {
		remote_key(r, id, key);
		err = s3c_object_delete(r->c, r->bucket, key, res);
		if (err == S3E_NoSuchKey)
			err = S3E_OK;
	}
	free(res);
	return err;
}

s3err_t posix_remote_exists(const struct posix_loc *loc, const char *id, bool *exists)
{
	const struct posix_remote *r = loc->remote;
	struct s3c_result *res = malloc(sizeof(*res));
	char key[REMOTE_KEY_MAX];
	s3err_t err = S3E_InternalError;

	if (res) {
		remote_key(r, id, key);
		err = s3c_object_head(r->c, r->bucket, key, res);
		*exists = err == S3E_OK;
		if (err == S3E_NoSuchKey)
			err = S3E_OK;
	}
	free(res);
	return err;
}

/* --- listing for the orphan pass (X6) --- */

struct list_ctx {
	size_t cut; /* bytes of "PREFIX objects/" before each name */
	posix_remote_visit_fn visit;
	void *ctx;
};

static s3err_t list_one(void *arg, const struct s3c_object *o)
{
	struct list_ctx *l = arg;

	if (o->key_len > l->cut)
		l->visit(l->ctx, o->key + l->cut, o->key_len - l->cut, o->last_modified_ms);
	return S3E_OK;
}

s3err_t posix_remote_list(const struct posix_loc *loc, const char *xx, posix_remote_visit_fn visit,
			  void *ctx)
{
	const struct posix_remote *r = loc->remote;
	struct s3c_result *res = malloc(sizeof(*res));
	struct s3c_list_page *page = malloc(sizeof(*page));
	char prefix[REMOTE_KEY_MAX], token[STRATA_MAX_CONTINUATION_TOKEN + 1] = "";
	struct list_ctx l = {0, visit, ctx};
	struct s3c_list_params p;
	s3err_t err = S3E_InternalError;

	if (!res || !page)
		goto out;
	snprintf(prefix, sizeof(prefix), "%sobjects/%.2s", r->prefix, xx);
	l.cut = strlen(r->prefix) + strlen("objects/");
	do {
		memset(&p, 0, sizeof(p));
		p.prefix = prefix;
		p.continuation_token = token[0] ? token : NULL;
		p.on_object = list_one;
		p.arg = &l;
		err = s3c_list_objects_v2(r->c, r->bucket, &p, page, res);
		if (err != S3E_OK)
			goto out;
		memcpy(token, page->next_token, sizeof(token));
	} while (page->truncated && token[0]);
out:
	free(page);
	free(res);
	return err;
}
