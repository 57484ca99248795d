/*
 * op_attributes: GetObjectAttributes (GET ?attributes), the one call that
 * answers "what is stored" without the bytes: ETag, checksums (with
 * Strata's SHA-256 of the whole object, multipart included), parts,
 * storage class and size.
 */
#include <stdio.h>
#include <string.h>

#include "../common/checksum.h"
#include "../common/httptime.h"
#include "../common/strutil.h"
#include "../common/xmlw.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"
#include "sse_req.h"

#define MAX_ATTRIBUTE_PARTS 1000u

enum attr { ATTR_ETAG = 1, ATTR_CHECKSUM = 2, ATTR_PARTS = 4, ATTR_CLASS = 8, ATTR_SIZE = 16 };

/* Parses x-amz-object-attributes: a comma-separated list of attribute names. */
static s3err_t parse_attributes(struct request *r, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"ETag", ATTR_ETAG},
		     {"Checksum", ATTR_CHECKSUM},
		     {"ObjectParts", ATTR_PARTS},
		     {"StorageClass", ATTR_CLASS},
		     {"ObjectSize", ATTR_SIZE}};
	const char *p = req_header(r, "x-amz-object-attributes"), *item;
	unsigned set = 0;
	size_t i, len;

	if (!p || !*p)
		return req_fail(r, S3E_InvalidArgument,
				"The x-amz-object-attributes header specifying the attributes to "
				"be retrieved is either missing or empty");
	while (str_next_item(&p, &item, &len)) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && strncmp(names[i].name, item, len) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return req_failf(r, S3E_InvalidArgument,
					 "Invalid attribute name specified: %.*s",
					 (int)(len > 64 ? 64 : len), item);
		set |= names[i].bit;
	}
	*out = set;
	return S3E_OK;
}

/* The object's checksum (as stored) and Strata's whole-object SHA-256. */
static s3err_t checksum_xml(struct buf *xml, const struct obj_meta *m)
{
	enum cksum_algo a = cksum_algo_from_name(m->checksum_algo);
	char tag[32], b64[48];
	uint8_t raw[32];
	s3err_t err;

	if ((err = xmlw_open(xml, "Checksum")))
		return err;
	if (a != CKSUM_NONE && m->checksum_b64[0]) {
		snprintf(tag, sizeof(tag), "Checksum%s", m->checksum_algo);
		if ((err = xmlw_elem(xml, tag, m->checksum_b64)))
			return err;
	}
	if (a != CKSUM_SHA256 && strlen(m->sha256_hex) == 64 &&
	    hex_decode(m->sha256_hex, 64, raw, sizeof(raw))) {
		base64_encode(raw, sizeof(raw), b64);
		if ((err = xmlw_elem(xml, "ChecksumSHA256", b64)))
			return err;
	}
	if ((err = xmlw_elem(xml, "ChecksumType",
			     m->checksum_type[0] ? m->checksum_type : "FULL_OBJECT")))
		return err;
	return xmlw_close(xml, "Checksum");
}

/* ObjectParts of a multipart object: sizes by part number, after the marker. */
static s3err_t parts_xml(struct request *r, struct buf *xml, const struct obj_meta *m)
{
	const char *mp = req_header(r, "x-amz-max-parts");
	const char *pm = req_header(r, "x-amz-part-number-marker");
	uint64_t max = MAX_ATTRIBUTE_PARTS, marker = 0, n, last = 0;
	bool truncated = false;
	struct buf parts;
	s3err_t err;

	if ((mp && !parse_u64_str(mp, 0, INT32_MAX, &max)) ||
	    (pm && !parse_u64_str(pm, 0, STRATA_MAX_PARTS, &marker)))
		return req_fail(r, S3E_InvalidArgument,
				"x-amz-max-parts and x-amz-part-number-marker must be integers.");
	if (max > MAX_ATTRIBUTE_PARTS)
		max = MAX_ATTRIBUTE_PARTS;
	buf_init(&parts, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	for (n = marker + 1, err = S3E_OK; n <= m->parts_count && !err; n++) {
		uint64_t off, size;

		if (n > marker + max) {
			truncated = true;
			break;
		}
		err = backend_object_part_range(r->srv->be, r->bucket, r->key, (unsigned)n, &off,
						&size);
		if (!err && !(err = xmlw_open(&parts, "Part")) &&
		    !(err = xmlw_elem_u64(&parts, "PartNumber", n)) &&
		    !(err = xmlw_elem_u64(&parts, "Size", size)))
			err = xmlw_close(&parts, "Part");
		last = n;
	}
	if (err || (err = xmlw_open(xml, "ObjectParts")) ||
	    (err = xmlw_elem_u64(xml, "TotalPartsCount", m->parts_count)) ||
	    (err = xmlw_elem_u64(xml, "PartNumberMarker", marker)) ||
	    (err = xmlw_elem_u64(xml, "NextPartNumberMarker", last)) ||
	    (err = xmlw_elem_u64(xml, "MaxParts", max)) ||
	    (err = xmlw_elem(xml, "IsTruncated", truncated ? "true" : "false")) ||
	    (err = buf_add(xml, buf_str(&parts), parts.len)))
		goto out;
	err = xmlw_close(xml, "ObjectParts");
out:
	buf_free(&parts);
	return err;
}

/* NotImplemented unless m (read by version id) is the key's current version. */
static s3err_t check_current(struct request *r, const struct obj_meta *m)
{
	struct obj_meta cur;
	bool same;

	obj_meta_init(&cur);
	same = backend_object_head_v(r->srv->be, r->bucket, r->key, NULL, &cur) == S3E_OK &&
	       strcmp(cur.version_id, m->version_id) == 0;
	obj_meta_free(&cur);
	return same ? S3E_OK
		    : req_fail(r, S3E_NotImplemented,
			       "ObjectParts of a noncurrent version is not implemented yet.");
}

s3err_t op_get_object_attributes(struct request *r)
{
	const char *vid = NULL;
	char date[30];
	struct sse_key k = {SSE_NONE, {0}, ""};
	struct obj_meta m;
	struct buf xml;
	unsigned want = 0;
	s3err_t err;

	if ((err = op_version_id(r, &vid)) || (err = parse_attributes(r, &want)))
		return err;
	obj_meta_init(&m);
	buf_init(&xml, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	/* An SSE-C object's attributes need its key, as on AWS. */
	if ((err = backend_object_head_v(r->srv->be, r->bucket, r->key, vid, &m))) {
		if (m.delete_marker) { /* as GetObject: the marker named in the error */
			str_copy(r->err_version_id, sizeof(r->err_version_id), m.version_id);
			r->err_delete_marker = true;
		}
		goto out;
	}
	/* ObjectParts reads the current object's part table: a noncurrent version's is not. */
	if (vid && (want & ATTR_PARTS) && m.parts_count && (err = check_current(r, &m)))
		goto out;
	if ((err = sse_req_read(r, &m, false, &k)) ||
	    (err = xmlw_begin(&xml, "GetObjectAttributesResponse")))
		goto out;
	/* GetObjectAttributes shows the ETag without quotes, unlike every other call. */
	if ((want & ATTR_ETAG) && (err = xmlw_elem(&xml, "ETag", m.etag)))
		goto out;
	if ((want & ATTR_CHECKSUM) && (err = checksum_xml(&xml, &m)))
		goto out;
	if ((want & ATTR_PARTS) && m.parts_count && (err = parts_xml(r, &xml, &m)))
		goto out;
	if ((want & ATTR_CLASS) &&
	    (err = xmlw_elem(&xml, "StorageClass",
			     m.storage_class[0] ? m.storage_class : "STANDARD")))
		goto out;
	if ((want & ATTR_SIZE) && (err = xmlw_elem_u64(&xml, "ObjectSize", m.size)))
		goto out;
	if ((err = xmlw_close(&xml, "GetObjectAttributesResponse")) || (err = resp_xml(r, &xml)))
		goto out;
	httptime_format_http((time_t)(m.mtime_ms / 1000), date);
	resp_header(r, "Last-Modified", date);
	if (m.sha256_hex[0])
		resp_header(r, "x-strata-sha256", m.sha256_hex);
	op_version_headers(r, m.version_id, false);
	sse_req_headers(r, &k);
out:
	buf_free(&xml);
	obj_meta_free(&m);
	sse_key_clear(&k);
	return err;
}
