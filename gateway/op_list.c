/* op_list: ListObjects (v1), ListObjectsV2 and ListObjectVersions over one engine. */
#include <stdio.h>
#include <string.h>

#include "../common/checksum.h"
#include "../common/httptime.h"
#include "../common/listing.h"
#include "../common/strutil.h"
#include "../common/versions.h"
#include "../common/xmlw.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"

enum list_kind { LIST_V1, LIST_V2, LIST_VERSIONS };

struct list_params {
	enum list_kind kind;
	const char *prefix;
	const char *delimiter;
	const char *marker;	 /* what the engine lists after */
	const char *start_after; /* v2 */
	const char *token;	 /* v2 continuation-token as sent */
	const char *key_marker;	 /* v1 marker / versions key-marker as sent */
	size_t max_keys;
	bool url; /* encoding-type=url */
	bool fetch_owner;
};

struct list_scan_ctx {
	struct backend *be;
	const char *bucket;
};

static s3err_t scan(void *sctx, const char *start, bool inclusive, const char *prefix, size_t limit,
		    listing_visit_fn visit, void *vctx)
{
	struct list_scan_ctx *c = sctx;

	return backend_object_scan(c->be, c->bucket, start, inclusive, prefix, limit, visit, vctx);
}

/* Continuation tokens are the base64 of the last key: opaque to clients, cheap to check. */
static s3err_t decode_token(struct request *r, const char *token, const char **out)
{
	size_t n = strlen(token), len;
	uint8_t *raw;

	if (n == 0 || n > STRATA_MAX_CONTINUATION_TOKEN)
		goto bad;
	raw = arena_alloc(&r->arena, n);
	if (!raw)
		return S3E_InternalError;
	if (!base64_decode(token, n, raw, n, &len) || len == 0 || memchr(raw, '\0', len) ||
	    len > STRATA_MAX_KEY_LEN)
		goto bad;
	raw[len] = '\0';
	*out = (const char *)raw;
	return S3E_OK;
bad:
	return req_fail(r, S3E_InvalidArgument, "The continuation token provided is incorrect");
}

static s3err_t parse_params(struct request *r, enum list_kind kind, struct list_params *p)
{
	const char *mk = req_query(r, "max-keys"), *enc = req_query(r, "encoding-type");
	const char *fo = req_query(r, "fetch-owner");
	uint64_t max = STRATA_MAX_LIST_KEYS;
	s3err_t err;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->prefix = req_query(r, "prefix") ? req_query(r, "prefix") : "";
	p->delimiter = req_query(r, "delimiter") ? req_query(r, "delimiter") : "";
	if (strlen(p->delimiter) > STRATA_MAX_DELIMITER_LEN)
		return req_fail(r, S3E_InvalidArgument, "The delimiter is too long.");
	if (strlen(p->prefix) > STRATA_MAX_KEY_LEN)
		return req_fail(r, S3E_InvalidArgument, "The prefix is too long.");
	if (mk && !parse_u64_str(mk, 0, INT32_MAX, &max))
		return req_fail(r, S3E_InvalidArgument,
				"Provided max-keys not an integer or within "
				"integer range");
	p->max_keys = max > STRATA_MAX_LIST_KEYS ? STRATA_MAX_LIST_KEYS : (size_t)max;
	if (enc && strcmp(enc, "url") != 0)
		return req_fail(r, S3E_InvalidArgument,
				"Invalid Encoding Method specified in Request");
	p->url = enc != NULL;
	p->fetch_owner = fo && strcmp(fo, "true") == 0;
	switch (kind) {
	case LIST_V1:
		p->key_marker = req_query(r, "marker");
		p->marker = p->key_marker ? p->key_marker : "";
		break;
	case LIST_VERSIONS:
		p->key_marker = req_query(r, "key-marker");
		p->marker = p->key_marker ? p->key_marker : "";
		break;
	case LIST_V2:
		p->start_after = req_query(r, "start-after");
		p->token = req_query(r, "continuation-token");
		p->marker = p->start_after ? p->start_after : "";
		/* An empty continuation-token is no token: AWS lists from the start and
		 * echoes an empty ContinuationToken. */
		if (p->token && p->token[0]) {
			err = decode_token(r, p->token, &p->marker);
			if (err)
				return err;
		}
		break;
	}
	return S3E_OK;
}

/* Writes <name>text</name>, URL-encoded when the client asked for encoding-type=url. */
static s3err_t elem_maybe_encoded(struct buf *xml, const char *name, const char *text, bool url)
{
	struct buf enc;
	s3err_t err;

	if (!url)
		return xmlw_elem(xml, name, text);
	buf_init(&enc, 3 * STRATA_MAX_KEY_LEN + 16, S3E_InternalError);
	err = uri_encode(&enc, text, strlen(text), true);
	if (!err)
		err = xmlw_elemn(xml, name, buf_str(&enc), enc.len);
	buf_free(&enc);
	return err;
}

static s3err_t owner_xml(struct request *r, struct buf *xml)
{
	char id[65];
	s3err_t err;

	users_owner_id(r->bucket_info.owner, id);
	if ((err = xmlw_open(xml, "Owner")) || (err = xmlw_elem(xml, "ID", id)) ||
	    (err = xmlw_elem(xml, "DisplayName", r->bucket_info.owner)))
		return err;
	return xmlw_close(xml, "Owner");
}

static s3err_t entry_xml(struct request *r, const struct list_params *p,
			 const struct listing_entry *e, struct buf *xml)
{
	const char *tag = p->kind == LIST_VERSIONS ? "Version" : "Contents";
	const struct obj_meta *m = &e->meta;
	char etag[STRATA_ETAG_MAX + 2], date[25];
	s3err_t err;

	snprintf(etag, sizeof(etag), "\"%s\"", m->etag);
	httptime_format_iso_ms(m->mtime_ms, date);
	if ((err = xmlw_open(xml, tag)) || (err = elem_maybe_encoded(xml, "Key", e->key, p->url)))
		return err;
	if (p->kind == LIST_VERSIONS && ((err = xmlw_elem(xml, "VersionId", "null")) ||
					 (err = xmlw_elem(xml, "IsLatest", "true"))))
		return err;
	if ((err = xmlw_elem(xml, "LastModified", date)) || (err = xmlw_elem(xml, "ETag", etag)))
		return err;
	if (m->checksum_algo[0] &&
	    ((err = xmlw_elem(xml, "ChecksumAlgorithm", m->checksum_algo)) ||
	     (err = xmlw_elem(xml, "ChecksumType",
			      m->checksum_type[0] ? m->checksum_type : "FULL_OBJECT"))))
		return err;
	if ((err = xmlw_elem_u64(xml, "Size", m->size)))
		return err;
	/* v2 shows the owner only with fetch-owner=true; v1 and versions always. */
	if ((p->kind != LIST_V2 || p->fetch_owner) && (err = owner_xml(r, xml)))
		return err;
	if ((err = xmlw_elem(xml, "StorageClass",
			     m->storage_class[0] ? m->storage_class : "STANDARD")))
		return err;
	return xmlw_close(xml, tag);
}

/* next_vid: the NextVersionIdMarker of a truncated ListObjectVersions (NULL: none). */
static s3err_t header_xml(struct request *r, const struct list_params *p,
			  const struct listing_result *res, const char *next_vid, struct buf *xml)
{
	s3err_t err;

	if ((err = xmlw_begin(xml, p->kind == LIST_VERSIONS ? "ListVersionsResult"
							    : "ListBucketResult")) ||
	    (err = xmlw_elem(xml, "Name", r->bucket)) ||
	    /* ListObjects (v1) returns its Prefix as sent even with encoding-type=url, as
	     * AWS does (botocore decodes only its Marker, NextMarker and Delimiter). */
	    (err = elem_maybe_encoded(xml, "Prefix", p->prefix, p->url && p->kind != LIST_V1)) ||
	    (err = xmlw_elem_u64(xml, "MaxKeys", p->max_keys)) ||
	    (err = xmlw_elem(xml, "IsTruncated", res->truncated ? "true" : "false")))
		return err;
	if (p->delimiter[0] && (err = elem_maybe_encoded(xml, "Delimiter", p->delimiter, p->url)))
		return err;
	if (p->url && (err = xmlw_elem(xml, "EncodingType", "url")))
		return err;
	switch (p->kind) {
	case LIST_V1:
		if ((err = elem_maybe_encoded(xml, "Marker", p->key_marker ? p->key_marker : "",
					      p->url)))
			return err;
		if (res->truncated &&
		    (err = elem_maybe_encoded(xml, "NextMarker", res->next_marker, p->url)))
			return err;
		break;
	case LIST_VERSIONS:
		if ((err = elem_maybe_encoded(xml, "KeyMarker", p->key_marker ? p->key_marker : "",
					      p->url)) ||
		    (err = xmlw_elem(xml, "VersionIdMarker",
				     req_query(r, "version-id-marker")
					 ? req_query(r, "version-id-marker")
					 : "")))
			return err;
		if (res->truncated &&
		    ((err = elem_maybe_encoded(xml, "NextKeyMarker", res->next_marker, p->url)) ||
		     (next_vid && (err = xmlw_elem(xml, "NextVersionIdMarker", next_vid)))))
			return err;
		break;
	case LIST_V2:
		if ((err = xmlw_elem_u64(xml, "KeyCount", res->n)))
			return err;
		if (p->token && (err = xmlw_elem(xml, "ContinuationToken", p->token)))
			return err;
		if (p->start_after &&
		    (err = elem_maybe_encoded(xml, "StartAfter", p->start_after, p->url)))
			return err;
		if (res->truncated) {
			size_t n = strlen(res->next_marker);
			char *tok = arena_alloc(&r->arena, 4 * (n / 3 + 1) + 1);

			if (!tok)
				return S3E_InternalError;
			base64_encode((const uint8_t *)res->next_marker, n, tok);
			if ((err = xmlw_elem(xml, "NextContinuationToken", tok)))
				return err;
		}
		break;
	}
	return S3E_OK;
}

static s3err_t list(struct request *r, enum list_kind kind)
{
	struct list_scan_ctx sc = {r->srv->be, r->bucket};
	struct listing_result res = {0};
	struct listing_query q;
	struct list_params p;
	struct buf xml;
	size_t i;
	s3err_t err;

	buf_init(&xml, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	if ((err = parse_params(r, kind, &p)))
		goto out;
	q.prefix = p.prefix;
	q.delimiter = p.delimiter;
	q.marker = p.marker;
	q.max_keys = p.max_keys;
	if ((err = listing_run(&q, scan, &sc, &res)) ||
	    (err = header_xml(r, &p, &res, kind == LIST_VERSIONS ? "null" : NULL, &xml)))
		goto out;
	for (i = 0; i < res.n && !err; i++)
		if (!res.entries[i].is_prefix)
			err = entry_xml(r, &p, &res.entries[i], &xml);
	for (i = 0; i < res.n && !err; i++)
		if (res.entries[i].is_prefix && !(err = xmlw_open(&xml, "CommonPrefixes")) &&
		    !(err = elem_maybe_encoded(&xml, "Prefix", res.entries[i].key, p.url)))
			err = xmlw_close(&xml, "CommonPrefixes");
	if (err || (err = xmlw_close(&xml, kind == LIST_VERSIONS ? "ListVersionsResult"
								 : "ListBucketResult")))
		goto out;
	err = resp_xml(r, &xml);
out:
	listing_result_free(&res);
	buf_free(&xml);
	return err;
}

s3err_t op_list_objects(struct request *r)
{
	const char *lt = req_query(r, "list-type");

	if (lt && strcmp(lt, "2") != 0)
		return req_fail(r, S3E_InvalidArgument, "Invalid list-type.");
	return list(r, lt ? LIST_V2 : LIST_V1);
}

/* --- ListObjectVersions of a backend with versioning (common/versions.h) --- */

static s3err_t vscan(void *sctx, const char *key, const char *vid, const char *prefix, size_t limit,
		     versions_visit_fn visit, void *vctx)
{
	struct list_scan_ctx *c = sctx;

	return backend_version_scan(c->be, c->bucket, key, vid, prefix, limit, visit, vctx);
}

static s3err_t version_xml(struct request *r, const struct list_params *p,
			   const struct versions_entry *e, struct buf *xml)
{
	const char *tag = e->meta.delete_marker ? "DeleteMarker" : "Version";
	const struct obj_meta *m = &e->meta;
	char etag[STRATA_ETAG_MAX + 2], date[25];
	s3err_t err;

	snprintf(etag, sizeof(etag), "\"%s\"", m->etag);
	httptime_format_iso_ms(m->mtime_ms, date);
	if ((err = xmlw_open(xml, tag)) || (err = elem_maybe_encoded(xml, "Key", e->key, p->url)) ||
	    (err = xmlw_elem(xml, "VersionId", m->version_id)) ||
	    (err = xmlw_elem(xml, "IsLatest", e->is_latest ? "true" : "false")) ||
	    (err = xmlw_elem(xml, "LastModified", date)))
		return err;
	if (!m->delete_marker &&
	    ((err = xmlw_elem(xml, "ETag", etag)) || (err = xmlw_elem_u64(xml, "Size", m->size)) ||
	     (err = xmlw_elem(xml, "StorageClass",
			      m->storage_class[0] ? m->storage_class : "STANDARD"))))
		return err;
	if ((err = owner_xml(r, xml)))
		return err;
	return xmlw_close(xml, tag);
}

static s3err_t list_versions(struct request *r)
{
	struct list_scan_ctx sc = {r->srv->be, r->bucket};
	const char *vm = req_query(r, "version-id-marker");
	struct versions_result res = {0};
	struct listing_result lr = {0};
	struct versions_query q;
	struct list_params p;
	struct buf xml;
	size_t i;
	s3err_t err;

	buf_init(&xml, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	if ((err = parse_params(r, LIST_VERSIONS, &p)))
		goto out;
	if (vm && vm[0] && !p.marker[0]) {
		err = req_fail(r, S3E_InvalidArgument,
			       "A version-id marker cannot be specified without a key marker.");
		goto out;
	}
	if (vm && vm[0] && !versions_id_valid(vm)) {
		err = req_fail(r, S3E_InvalidArgument, "Invalid version id specified");
		goto out;
	}
	q.prefix = p.prefix;
	q.delimiter = p.delimiter;
	q.key_marker = p.marker;
	q.vid_marker = vm ? vm : "";
	q.max_keys = p.max_keys;
	if ((err = versions_list_run(&q, vscan, &sc, &res)))
		goto out;
	lr.truncated = res.truncated;
	lr.next_marker = res.next_key_marker;
	if ((err =
		 header_xml(r, &p, &lr, res.next_vid_marker[0] ? res.next_vid_marker : NULL, &xml)))
		goto out;
	for (i = 0; i < res.n && !err; i++)
		if (!res.entries[i].is_prefix)
			err = version_xml(r, &p, &res.entries[i], &xml);
	for (i = 0; i < res.n && !err; i++)
		if (res.entries[i].is_prefix && !(err = xmlw_open(&xml, "CommonPrefixes")) &&
		    !(err = elem_maybe_encoded(&xml, "Prefix", res.entries[i].key, p.url)))
			err = xmlw_close(&xml, "CommonPrefixes");
	if (err || (err = xmlw_close(&xml, "ListVersionsResult")))
		goto out;
	err = resp_xml(r, &xml);
out:
	versions_result_free(&res);
	buf_free(&xml);
	return err;
}

/* A backend without versioning holds only current objects: each is its "null" version. */
s3err_t op_list_object_versions(struct request *r)
{
	return backend_can_version(r->srv->be) ? list_versions(r) : list(r, LIST_VERSIONS);
}
