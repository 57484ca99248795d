/*
 * s3_versions: object versioning on the remote-S3 backend (issue 12), passed
 * through to the remote bucket, which keeps the versions (Ceph RGW, AWS and
 * MinIO implement S3 versioning). Strata's layout does not change: every
 * version of <prefix><bucket>/<key> is a whole remote object version with its
 * own x-amz-meta-strata (s3.h), so a version is verified and decrypted
 * exactly as a current object is.
 *
 * Invariants:
 *  V1 The bucket's state is the remote bucket's: the configuration document
 *     "versioning" (backend.h) is read with GetBucketVersioning and written
 *     with PutBucketVersioning, never stored under configs/, so there is no
 *     copy that could disagree with what the remote does with a write. The
 *     remote decides each write's outcome in its own atomic step, as
 *     backend.h asks. A cache of S3_REGISTRY_TTL_MS serves only the naming
 *     of V2 when the remote names no version (a GetBucketVersioning always
 *     asks the remote): another instance's change of state is seen that late.
 *  V2 Version ids are the remote's (x-amz-version-id, VersionId in
 *     listings), passed on only when versions_id_valid accepts them: at most
 *     STRATA_VERSION_ID_MAX - 1 characters of [A-Za-z0-9._-], which need no
 *     escaping in a URL, a header or XML. RGW's are 31 such characters; an id
 *     of another form (AWS's may hold '/', '+', '=' and be longer) is
 *     refused with NotImplemented and logged, never cut or shown raw. RGW
 *     names no null version (no x-amz-version-id): in a bucket that is or
 *     was versioned such an object is "null", in a never-versioned one it
 *     has no id ("").
 *  V3 A read stays on one version: the GET that opens it carries versionId
 *     when one was asked, and every later stream carries the version id the
 *     remote named (and If-Match, S4), so a write that lands meanwhile and
 *     makes the opened version noncurrent does not move the read.
 *  V4 Integrity per version: frames are bound to the file id stored in each
 *     version's own metadata (a fresh random id per write), and SSE keys
 *     derive from that id and the version's own envelope, so an old version
 *     verifies, decrypts and checks its SHA-256 exactly as when it was
 *     current; nothing of it depends on which version is the latest.
 *  V5 Delete markers: RGW's 404 (a HEAD or GET of a key whose latest is a
 *     marker, or of a marker by id) does not say it met a marker, so after a
 *     404 the key's versions are listed to tell a marker (reported as
 *     backend.h asks) from nothing (NoSuchKey, NoSuchVersion). Deletes pass
 *     the remote's x-amz-version-id and x-amz-delete-marker back.
 * Not here: Object Lock and replication of versions (NotImplemented through
 * the NULL slots, or a repl_request that asks anything).
 */
#include "s3_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/strutil.h"

#define LOG_MOD S3_LOG_MOD
#define VERSIONS_PAGE 1000u /* entries one ListObjectVersions request asks for */

/* ---- version ids (V2) ---- */

/* A remote id passed on, or refused (logged) when its form is not safe to. */
static s3err_t vid_take(const char *bucket, const char *key, const char *v,
			char out[STRATA_VERSION_ID_MAX])
{
	if (!versions_id_valid(v)) {
		log_error(LOG_MOD,
			  "%s/%s: the remote's version id is not of a form Strata passes on "
			  "(at most %u characters of A-Z a-z 0-9 . _ -): versioning on this "
			  "remote is not supported",
			  bucket, key, STRATA_VERSION_ID_MAX - 1);
		return S3E_NotImplemented;
	}
	memcpy(out, v, strlen(v) + 1);
	return S3E_OK;
}

s3err_t s3_vid_of(struct s3be *b, const char *bucket, const struct s3c_result *res,
		  const char *asked, char vid[STRATA_VERSION_ID_MAX])
{
	const char *v = s3c_result_header(res, "x-amz-version-id");
	char status[S3_VERSIONING_MAX];
	s3err_t err;

	if (v && *v)
		return vid_take(bucket, "", v, vid);
	if (asked && *asked)
		return vid_take(bucket, "", asked, vid);
	if ((err = s3_versioning_state(b, bucket, false, status)))
		return err;
	str_copy(vid, STRATA_VERSION_ID_MAX, status[0] ? "null" : "");
	return S3E_OK;
}

struct etag_find {
	const char *key;
	const char *etag;
	bool done;
	char vid[S3C_MAX_VERSION_ID];
};

static s3err_t etag_entry(void *arg, const struct s3c_version *v)
{
	struct etag_find *f = arg;

	if (f->done || strcmp(v->o.key, f->key) != 0) {
		f->done = true;
		return S3E_OK;
	}
	if (!v->delete_marker && strcmp(v->o.etag, f->etag) == 0) {
		str_copy(f->vid, sizeof(f->vid), v->version_id);
		f->done = true;
	}
	return S3E_OK;
}

s3err_t s3_vid_written(struct s3be *b, const char *bucket, const char *rbucket, const char *key,
		       const struct s3c_result *res, char vid[STRATA_VERSION_ID_MAX])
{
	const char *v = s3c_result_header(res, "x-amz-version-id");
	char status[S3_VERSIONING_MAX];
	struct etag_find f = {key, res->etag, false, ""};
	struct s3c_versions_params vp = {key, NULL, NULL, VERSIONS_PAGE, etag_entry, &f};
	struct s3c_versions_page page;
	struct s3c_result *lr;
	s3err_t err;

	if (v && *v)
		return vid_take(bucket, key, v, vid);
	if ((err = s3_versioning_state(b, bucket, false, status)))
		return err;
	if (strcmp(status, "Enabled") != 0 || !res->etag[0]) {
		str_copy(vid, STRATA_VERSION_ID_MAX, status[0] ? "null" : "");
		return S3E_OK;
	}
	/*
	 * RGW's CopyObject names no version even in an Enabled bucket. The
	 * copy's remote ETag is unique to it (its frames are bound to a fresh
	 * file id), so the key's versions tell which is the copy, also when
	 * another write landed since.
	 */
	if (!(lr = malloc(sizeof(*lr))))
		return S3E_InternalError;
	err = s3c_list_versions(b->c, rbucket, &vp, &page, lr);
	free(lr);
	if (!err && !f.vid[0]) {
		log_error(LOG_MOD, "%s/%s: the version just written is not among its versions",
			  bucket, key);
		err = S3E_InternalError;
	}
	return err ? err : vid_take(bucket, key, f.vid, vid);
}

s3err_t s3_writer_version(struct be_writer *w, char *out)
{
	if (w->part)
		return S3E_InternalError; /* parts make no version */
	out[0] = '\0';
	w->vid_out = out;
	return S3E_OK;
}

/* The s3 home has no replication: a request that asks any is not accepted and ignored. */
static bool repl_asks(const struct repl_request *req)
{
	return req && (req->replica || req->n);
}

s3err_t s3_upload_complete_v(struct backend *be, const char *bucket, const char *upload_id,
			     const struct complete_part *parts, size_t n,
			     const struct obj_meta *meta, const struct repl_request *req,
			     char version_id[STRATA_VERSION_ID_MAX])
{
	version_id[0] = '\0';
	if (repl_asks(req))
		return S3E_NotImplemented;
	return s3_upload_complete_vid(s3be_of(be), bucket, upload_id, parts, n, meta, version_id);
}

/* ---- delete markers (V5) ---- */

struct probe {
	const char *bucket;
	const char *key;
	const char *vid; /* NULL: the latest */
	bool done;	 /* past the key's versions, or found */
	bool found;
	bool marker;
	char found_vid[STRATA_VERSION_ID_MAX];
	char last_vid[S3C_MAX_VERSION_ID]; /* paging position within the key */
	s3err_t err;
};

static s3err_t probe_entry(void *arg, const struct s3c_version *v)
{
	struct probe *p = arg;

	if (p->done)
		return S3E_OK;
	if (strcmp(v->o.key, p->key) != 0) {
		p->done = true; /* the key's versions come first under prefix = key */
		return S3E_OK;
	}
	str_copy(p->last_vid, sizeof(p->last_vid), v->version_id);
	if (p->vid ? strcmp(v->version_id, p->vid) != 0 : !v->is_latest)
		return S3E_OK;
	p->done = p->found = true;
	p->marker = v->delete_marker;
	if (p->marker)
		p->err = vid_take(p->bucket, p->key, v->version_id, p->found_vid);
	return S3E_OK;
}

s3err_t s3_marker_probe(struct s3be *b, const char *bucket, const char *rbucket, const char *key,
			const char *vid, struct obj_meta *m)
{
	struct probe p = {bucket, key, vid, false, false, false, "", "", S3E_OK};
	struct s3c_versions_params vp = {key, NULL, NULL, VERSIONS_PAGE, probe_entry, &p};
	struct s3c_versions_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err = S3E_OK;

	if (!res)
		return S3E_InternalError;
	while (!p.done) {
		err = s3c_list_versions(b->c, rbucket, &vp, &page, res);
		if (err || !page.truncated || !p.last_vid[0])
			break;
		vp.key_marker = key;
		vp.version_id_marker = p.last_vid;
	}
	free(res);
	if (err || (err = p.err))
		return err;
	if (p.found && p.marker) {
		obj_meta_init(m);
		memcpy(m->version_id, p.found_vid, sizeof(m->version_id));
		m->delete_marker = true;
		return vid ? S3E_MethodNotAllowed : S3E_NoSuchKey;
	}
	return vid && !p.found ? S3E_NoSuchVersion : S3E_NoSuchKey;
}

/* ---- heads and deletes ---- */

s3err_t s3_object_head_v(struct backend *be, const char *bucket, const char *key,
			 const char *version_id, struct obj_meta *out)
{
	struct s3be *b = s3be_of(be);
	struct s3c_result *res = malloc(sizeof(*res));
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct objwire_extra x;
	struct bucket_info bi;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	obj_meta_init(out);
	err = s3_remote_bucket(b, bucket, rb);
	if (!err)
		err = s3c_object_head_v(b->c, rb, key, version_id, res);
	if (!err)
		err = s3_meta_from_result(res, bucket, key, out, &x);
	if (!err && (err = s3_vid_of(b, bucket, res, version_id, out->version_id)))
		obj_meta_free(out);
	/* A HEAD cannot tell a missing key from a missing bucket: the registry can. */
	if (err == S3E_NoSuchKey && s3_registry_get(b, bucket, &bi) == S3E_NoSuchBucket)
		err = S3E_NoSuchBucket;
	else if (err == S3E_NoSuchKey || err == S3E_NoSuchVersion || err == S3E_MethodNotAllowed)
		err = s3_marker_probe(b, bucket, rb, key, version_id, out);
	free(res);
	return err;
}

/*
 * DeleteObject passed through (V5). The remote does not say whether there
 * was anything to delete: S3E_OK either way (as object_delete). flags: the
 * s3 home has no Object Lock, so there is no retention to bypass.
 */
s3err_t s3_object_delete_v(struct backend *be, const char *bucket, const char *key,
			   const char *version_id, const struct repl_request *req, unsigned flags,
			   struct delete_result *out)
{
	struct s3be *b = s3be_of(be);
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct s3c_result *res;
	const char *v, *marker;
	struct bucket_info bi;
	s3err_t err;

	(void)flags;
	memset(out, 0, sizeof(*out));
	if (repl_asks(req))
		return S3E_NotImplemented;
	if ((err = s3_registry_get(b, bucket, &bi)) || (err = s3_remote_bucket(b, bucket, rb)))
		return err;
	if (!(res = malloc(sizeof(*res))))
		return S3E_InternalError;
	err = s3c_object_delete_v(b->c, rb, key, version_id, res);
	if (err == S3E_NoSuchVersion)
		err = S3E_NoSuchKey; /* backend.h: an unknown version is nothing to delete */
	if (!err) {
		v = s3c_result_header(res, "x-amz-version-id");
		marker = s3c_result_header(res, "x-amz-delete-marker");
		out->delete_marker = marker && strcmp(marker, "true") == 0;
		if (v && *v)
			err = vid_take(bucket, key, v, out->version_id);
		else if (version_id)
			str_copy(out->version_id, sizeof(out->version_id), version_id);
	}
	free(res);
	return err;
}

/* ---- ListObjectVersions' seek primitive ---- */

struct vscan {
	struct s3be *b;
	const char *bucket;
	const char *rbucket;
	const char *only; /* set: visit only this key's versions, and stop after them */
	const char *skip; /* set: not this key's versions (RGW's key-marker alone includes them) */
	versions_visit_fn visit;
	void *ctx;
	size_t left;
	bool stop; /* the visitor said so */
	bool past; /* only: a later key came */
	s3err_t err;
	char last_key[S3_REMOTE_KEY_MAX];
	char last_vid[S3C_MAX_VERSION_ID];
};

/* One listed version: markers as listed; a version's metadata from the cache or a HEAD. */
static s3err_t vscan_entry(void *arg, const struct s3c_version *v)
{
	struct vscan *sc = arg;
	struct obj_meta m;
	s3err_t err;

	if (sc->stop || sc->past || sc->err || !sc->left || v->o.key_len >= S3_REMOTE_KEY_MAX)
		return S3E_OK;
	if (sc->only && strcmp(v->o.key, sc->only) != 0) {
		sc->past = true;
		return S3E_OK;
	}
	memcpy(sc->last_key, v->o.key, v->o.key_len + 1);
	str_copy(sc->last_vid, sizeof(sc->last_vid), v->version_id);
	if (sc->skip && strcmp(v->o.key, sc->skip) == 0)
		return S3E_OK;
	if (v->delete_marker) {
		obj_meta_init(&m);
		m.delete_marker = true;
		m.mtime_ms = v->o.last_modified_ms;
		err = S3E_OK;
	} else {
		err = s3_listed_meta(sc->b, sc->bucket, sc->rbucket, &v->o, v->version_id, &m);
	}
	if (err == S3E_NoSuchKey)
		return S3E_OK; /* deleted since the listing, or not Strata's */
	if (!err)
		err = vid_take(sc->bucket, v->o.key, v->version_id, m.version_id);
	if (err) {
		sc->err = err;
		return S3E_OK;
	}
	sc->left--;
	if (!sc->visit(sc->ctx, v->o.key, &m, v->is_latest))
		sc->stop = true;
	return S3E_OK;
}

/* Pages of the remote's listing from vp's markers until the scan stops or the listing ends. */
static s3err_t vscan_pages(struct vscan *sc, struct s3c_versions_params *vp, struct s3c_result *res)
{
	struct s3c_versions_page page;
	s3err_t err = S3E_OK;

	while (!sc->stop && !sc->past && sc->left && !sc->err) {
		vp->max_keys = sc->left < VERSIONS_PAGE ? (unsigned)sc->left : VERSIONS_PAGE;
		err = s3c_list_versions(sc->b->c, sc->rbucket, vp, &page, res);
		if (err || !page.truncated || !sc->last_key[0])
			break;
		vp->key_marker = sc->last_key;
		vp->version_id_marker = sc->last_vid;
	}
	return err ? err : sc->err;
}

/*
 * versions_scan_fn over the remote's ListObjectVersions, whose markers mean
 * what the seek primitive's position means except for "keys >= key" (vid
 * NULL), which S3 has no marker for: the versions of key itself are listed
 * first under prefix = key (where they come before any longer key), then
 * keys > key.
 */
s3err_t s3_version_scan(struct backend *be, const char *bucket, const char *key, const char *vid,
			const char *prefix, size_t limit, versions_visit_fn visit, void *ctx)
{
	struct s3be *b = s3be_of(be);
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct vscan sc = {b,	  bucket, rb,	 NULL,	 NULL, visit, ctx,
			   limit, false,  false, S3E_OK, "",   ""};
	struct s3c_versions_params vp = {prefix, NULL, NULL, 0, vscan_entry, &sc};
	struct s3c_result *res = malloc(sizeof(*res));
	struct bucket_info bi;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	if ((err = s3_registry_get(b, bucket, &bi)) || (err = s3_remote_bucket(b, bucket, rb)))
		goto out;
	if (!vid && key[0] && str_starts(key, prefix ? prefix : "")) {
		struct s3c_versions_params own = {key, NULL, NULL, 0, vscan_entry, &sc};

		sc.only = key;
		err = vscan_pages(&sc, &own, res);
		if (err)
			goto out;
		sc.only = NULL;
		sc.past = false;
		sc.last_key[0] = '\0';
	}
	if (sc.stop || !sc.left)
		goto out;
	vp.key_marker = key;
	vp.version_id_marker = vid && vid[0] ? vid : NULL;
	/* AWS lists keys > key-marker without a version-id-marker; Ceph RGW 16 includes key-marker.
	 */
	sc.skip = key[0] && !vp.version_id_marker ? key : NULL;
	err = vscan_pages(&sc, &vp, res);
out:
	free(res);
	return err;
}
