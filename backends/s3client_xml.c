/*
 * s3client_xml: the documents a remote S3 store answers with
 * (ListObjectsV2, ListObjectVersions, ListMultipartUploads, ListBuckets,
 * Initiate/Complete/Copy results, GetBucketVersioning, Error), parsed with the hardened helpers of
 * common/xmldoc.h and bounded by the callers' caps. Visitors run only once a whole document
 * validated. The public parsers are declared in s3client.h (they are test
 * seams too); the transport is in s3client.c.
 */
#include "s3client.h"
#include "s3client_internal.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "../common/buf.h"
#include "../common/httptime.h"
#include "../common/strutil.h"
#include "../common/xmldoc.h"

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* ---- XML documents from the remote ---- */

/*
 * Parses a document whose root must be `root` (xmldoc_parse_root); any
 * failure is the remote's fault, not the client's: InternalError.
 */
static s3err_t doc_open(const char *xml, size_t len, size_t cap, const char *root, xmlDocPtr *doc,
			const xmlNode **rootp)
{
	return xmldoc_parse_root(xml, len, cap, root, doc, rootp) ? S3E_InternalError : S3E_OK;
}

/*
 * Ceph RGW (16, and later releases as far as we know) echoes the request's
 * Prefix, markers and delimiter into a listing as character references even
 * for control characters ("&#x01;"), which XML 1.0 forbids, so every strict
 * parser (libxml2, boto3's) rejects the whole page. Strata reads only the
 * names inside Contents, Upload and CommonPrefixes, and always asks for
 * encoding-type=url, under which those are percent-encoded and carry no
 * such reference. So a forbidden reference can only be in an element we
 * ignore, and is replaced by U+FFFD before parsing; listing_open refuses the
 * page if the remote did not URL-encode its names after all.
 */
#define REF_MAX 12 /* "&#x" + digits + ";" of a reference worth looking at */

/* The code point of the character reference at s[0..] ("&#...;"), its length in *n; -1 if none. */
static long char_ref_at(const char *s, size_t left, size_t *n)
{
	size_t i = 2;
	bool hex;
	long v = 0;

	if (left < 4 || s[0] != '&' || s[1] != '#')
		return -1;
	hex = s[2] == 'x';
	i += hex;
	for (; i < left && i < REF_MAX && s[i] != ';'; i++) {
		int d = is_digit(s[i])			    ? s[i] - '0'
			: hex && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
			: hex && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
							    : -1;
		if (d < 0)
			return -1;
		v = v * (hex ? 16 : 10) + d;
	}
	if (i >= left || s[i] != ';' || i == 2u + hex)
		return -1;
	*n = i + 1;
	return v;
}

static bool xml10_forbids(long v)
{
	return v >= 0 && v < 0x20 && v != 0x9 && v != 0xA && v != 0xD;
}

/*
 * A copy of xml with every forbidden character reference replaced by
 * "&#xFFFD;" (*fixed of them), or NULL with *fixed 0 when there is none
 * (then the caller parses xml itself). *out_len is the copy's length.
 */
static char *replace_forbidden_refs(const char *xml, size_t len, size_t *out_len, size_t *fixed)
{
	static const char repl[] = "&#xFFFD;";
	char *out;
	size_t i, o = 0, n;

	*fixed = 0;
	for (i = 0; i + 1 < len; i++) {
		if (xml[i] == '&' && xml10_forbids(char_ref_at(xml + i, len - i, &n)))
			break;
	}
	if (i + 1 >= len)
		return NULL;
	*fixed = 1;		   /* NULL from here on means out of memory */
	out = malloc(2 * len + 1); /* "&#1;" (4 bytes) grows to 8 at most */
	if (!out)
		return NULL;
	*fixed = 0;
	for (i = 0; i < len;) {
		if (xml[i] == '&' && xml10_forbids(char_ref_at(xml + i, len - i, &n))) {
			memcpy(out + o, repl, sizeof(repl) - 1);
			o += sizeof(repl) - 1;
			i += n;
			(*fixed)++;
		} else {
			out[o++] = xml[i++];
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static s3err_t encoding_of(const xmlNode *root, bool *url);

/*
 * Opens a listing document (root element `root`) and reads its
 * EncodingType into *url, mending RGW's forbidden references first (see
 * above). InternalError when it does not parse, or needed mending while
 * its names are not URL-encoded.
 */
static s3err_t listing_open(const char *xml, size_t len, const char *root, xmlDocPtr *doc,
			    const xmlNode **rootp, bool *url)
{
	size_t fixed = 0, mended_len = 0;
	char *mended = replace_forbidden_refs(xml, len, &mended_len, &fixed);
	s3err_t err;

	if (!mended && fixed)
		return S3E_InternalError; /* out of memory */
	err = doc_open(mended ? mended : xml, mended ? mended_len : len, S3C_MAX_LIST_BODY, root,
		       doc, rootp);
	free(mended);
	if (!err)
		err = encoding_of(*rootp, url);
	if (!err && fixed && !*url)
		err = S3E_InternalError;
	return err;
}

/* A leaf's text, decoded when the remote used encoding-type=url; caller frees. */
static s3err_t leaf_name(const xmlNode *e, bool url, size_t max, char **out, size_t *out_len)
{
	s3err_t err;
	char *raw = NULL;
	size_t rlen;
	struct buf dec;

	buf_init(&dec, max, S3E_InternalError);
	if ((err = xmldoc_leaf_text(e, &raw, &rlen)))
		goto out;
	if (!url) {
		err = rlen > max ? S3E_InternalError : S3E_OK;
		if (!err) {
			*out = raw;
			*out_len = rlen;
			raw = NULL;
		}
		goto out;
	}
	/* AWS encodes a space as '+' (and '+' as %2B), as form encoding does. */
	if ((err = uri_decode(&dec, raw, rlen, true)))
		goto out;
	*out_len = dec.len;
	*out = buf_take(&dec);
	if (!*out)
		*out = calloc(1, 1);
	err = *out ? S3E_OK : S3E_InternalError;
out:
	free(raw);
	buf_free(&dec);
	return err ? S3E_InternalError : S3E_OK;
}

/* A word leaf (number, date, ETag, id) into out[cap]. */
static s3err_t leaf_word(const xmlNode *e, char *out, size_t cap)
{
	return xmldoc_leaf_word(e, out, cap) ? S3E_InternalError : S3E_OK;
}

/* "2009-10-12T17:50:30.123Z" -> ms since the epoch. */
static s3err_t leaf_time_ms(const xmlNode *e, int64_t *out)
{
	char w[64];
	const char *dot;
	time_t t;
	int64_t ms = 0;
	int i;

	if (leaf_word(e, w, sizeof(w)) || !httptime_parse_iso(w, &t))
		return S3E_InternalError;
	dot = strchr(w, '.');
	for (i = 0; dot && i < 3 && is_digit(dot[1 + i]); i++)
		ms = ms * 10 + (dot[1 + i] - '0');
	for (; dot && i < 3; i++)
		ms *= 10;
	*out = (int64_t)t * 1000 + ms;
	return S3E_OK;
}

static s3err_t leaf_u64(const xmlNode *e, uint64_t *out)
{
	char w[32];

	if (leaf_word(e, w, sizeof(w)) || !parse_u64_str(w, 0, UINT64_MAX, out))
		return S3E_InternalError;
	return S3E_OK;
}

static s3err_t leaf_bool(const xmlNode *e, bool *out)
{
	return xmldoc_parse_bool(e, out) ? S3E_InternalError : S3E_OK;
}

/* The EncodingType element says whether names are URL-encoded. */
static s3err_t encoding_of(const xmlNode *root, bool *url)
{
	const xmlNode *n;
	char w[16];

	*url = false;
	for (n = root->children; n; n = n->next) {
		if (!xmldoc_is_elem(n, "EncodingType"))
			continue;
		if (leaf_word(n, w, sizeof(w)))
			return S3E_InternalError;
		*url = strcmp(w, "url") == 0;
		if (!*url)
			return S3E_InternalError;
	}
	return S3E_OK;
}

/* One <Contents> entry; the strings are owned by the caller (free key). */
struct list_entry {
	struct s3c_object o;
	char *key;
	char etag[S3C_MAX_ETAG];
	char sclass[STRATA_STORAGE_CLASS_MAX];
};

static s3err_t parse_contents(const xmlNode *e, bool url, struct list_entry *le)
{
	const xmlNode *n;
	char w[S3C_MAX_ETAG + 2];
	bool have_key = false, have_size = false;
	s3err_t err = S3E_OK;

	memset(le, 0, sizeof(*le));
	for (n = e->children; n && !err; n = n->next) {
		if (xmldoc_is_ignorable(n))
			continue;
		if (xmldoc_is_elem(n, "Key") && !have_key) {
			err = leaf_name(n, url, STRATA_MAX_KEY_LEN, &le->key, &le->o.key_len);
			have_key = !err;
		} else if (xmldoc_is_elem(n, "Size")) {
			err = leaf_u64(n, &le->o.size);
			have_size = !err;
		} else if (xmldoc_is_elem(n, "ETag")) {
			err = leaf_word(n, w, sizeof(w));
			if (!err && !s3c_set_etag(le->etag, w, strlen(w)))
				err = S3E_InternalError;
		} else if (xmldoc_is_elem(n, "LastModified")) {
			err = leaf_time_ms(n, &le->o.last_modified_ms);
		} else if (xmldoc_is_elem(n, "StorageClass")) {
			err = leaf_word(n, le->sclass, sizeof(le->sclass));
		}
	}
	if (!err &&
	    (!have_key || !have_size || le->o.key_len == 0 || strlen(le->key) != le->o.key_len))
		err = S3E_InternalError;
	le->o.key = le->key;
	le->o.etag = le->etag;
	le->o.storage_class = le->sclass;
	return err;
}

/* The <Prefix> of one <CommonPrefixes>; *out owned by the caller. */
static s3err_t parse_common_prefix(const xmlNode *e, bool url, char **out, size_t *len)
{
	const xmlNode *n;

	for (n = e->children; n; n = n->next) {
		if (xmldoc_is_elem(n, "Prefix"))
			return leaf_name(n, url, STRATA_MAX_KEY_LEN, out, len);
	}
	return S3E_InternalError;
}

/* One pass over a ListBucketResult: validates, and visits when visit is set. */
static s3err_t list_v2_pass(const xmlNode *root, bool url, const struct s3c_list_params *p,
			    bool visit, struct s3c_list_page *pg)
{
	s3err_t err = S3E_OK;
	const xmlNode *n;
	bool have_trunc = false;

	memset(pg, 0, sizeof(*pg));
	for (n = root->children; n && !err; n = n->next) {
		if (xmldoc_is_ignorable(n))
			continue;
		if (xmldoc_is_elem(n, "Contents")) {
			struct list_entry le;

			err = parse_contents(n, url, &le);
			if (!err && visit && p && p->on_object)
				err = p->on_object(p->arg, &le.o);
			free(le.key);
			pg->objects++;
		} else if (xmldoc_is_elem(n, "CommonPrefixes")) {
			char *pre = NULL;
			size_t plen = 0;

			err = parse_common_prefix(n, url, &pre, &plen);
			if (!err && visit && p && p->on_prefix)
				err = p->on_prefix(p->arg, pre, plen);
			free(pre);
			pg->prefixes++;
		} else if (xmldoc_is_elem(n, "IsTruncated")) {
			err = leaf_bool(n, &pg->truncated);
			have_trunc = true;
		} else if (xmldoc_is_elem(n, "NextContinuationToken")) {
			err = leaf_word(n, pg->next_token, sizeof(pg->next_token));
		}
	}
	if (!err && (!have_trunc || (pg->truncated && !pg->next_token[0])))
		err = S3E_InternalError; /* a page we could not continue from */
	return err;
}

/* See s3client.h. */
s3err_t s3c_parse_list_v2(const char *xml, size_t len, const struct s3c_list_params *p,
			  struct s3c_list_page *page)
{
	s3err_t err;
	xmlDocPtr doc = NULL;
	const xmlNode *root = NULL;
	struct s3c_list_page pg;
	bool url;

	if ((err = listing_open(xml, len, "ListBucketResult", &doc, &root, &url)) ||
	    (err = list_v2_pass(root, url, p, false, &pg)) ||
	    (err = list_v2_pass(root, url, p, true, &pg)))
		goto out;
	if (!pg.truncated)
		pg.next_token[0] = '\0';
	*page = pg;
out:
	xmlFreeDoc(doc);
	return err;
}

/* One <Version> or <DeleteMarker>; key owned by the caller (free). */
struct version_entry {
	struct s3c_version v;
	struct list_entry le;
	char vid[S3C_MAX_VERSION_ID];
};

static s3err_t parse_version(const xmlNode *e, bool url, bool marker, struct version_entry *ve)
{
	const xmlNode *n;
	char w[S3C_MAX_ETAG + 2];
	bool have_key = false, have_vid = false, have_size = marker;
	s3err_t err = S3E_OK;

	memset(ve, 0, sizeof(*ve));
	for (n = e->children; n && !err; n = n->next) {
		if (xmldoc_is_ignorable(n))
			continue;
		if (xmldoc_is_elem(n, "Key") && !have_key) {
			err = leaf_name(n, url, STRATA_MAX_KEY_LEN, &ve->le.key, &ve->le.o.key_len);
			have_key = !err;
		} else if (xmldoc_is_elem(n, "VersionId")) {
			err = leaf_word(n, ve->vid, sizeof(ve->vid));
			have_vid = !err && ve->vid[0];
		} else if (xmldoc_is_elem(n, "IsLatest")) {
			err = leaf_bool(n, &ve->v.is_latest);
		} else if (xmldoc_is_elem(n, "Size") && !marker) {
			err = leaf_u64(n, &ve->le.o.size);
			have_size = !err;
		} else if (xmldoc_is_elem(n, "ETag") && !marker) {
			err = leaf_word(n, w, sizeof(w));
			if (!err && !s3c_set_etag(ve->le.etag, w, strlen(w)))
				err = S3E_InternalError;
		} else if (xmldoc_is_elem(n, "LastModified")) {
			err = leaf_time_ms(n, &ve->le.o.last_modified_ms);
		} else if (xmldoc_is_elem(n, "StorageClass") && !marker) {
			err = leaf_word(n, ve->le.sclass, sizeof(ve->le.sclass));
		}
	}
	if (!err && (!have_key || !have_vid || !have_size || ve->le.o.key_len == 0 ||
		     strlen(ve->le.key) != ve->le.o.key_len))
		err = S3E_InternalError;
	ve->le.o.key = ve->le.key;
	ve->le.o.etag = ve->le.etag;
	ve->le.o.storage_class = ve->le.sclass;
	ve->v.o = ve->le.o;
	ve->v.version_id = ve->vid;
	ve->v.delete_marker = marker;
	return err;
}

/* One pass over a ListVersionsResult: validates, and visits when visit is set. */
static s3err_t versions_pass(const xmlNode *root, bool url, const struct s3c_versions_params *p,
			     bool visit, struct s3c_versions_page *pg)
{
	s3err_t err = S3E_OK;
	const xmlNode *n;
	bool have_trunc = false;

	memset(pg, 0, sizeof(*pg));
	for (n = root->children; n && !err; n = n->next) {
		if (xmldoc_is_ignorable(n))
			continue;
		if (xmldoc_is_elem(n, "Version") || xmldoc_is_elem(n, "DeleteMarker")) {
			struct version_entry ve;

			err = parse_version(n, url, xmldoc_is_elem(n, "DeleteMarker"), &ve);
			if (!err && visit && p && p->on_version)
				err = p->on_version(p->arg, &ve.v);
			free(ve.le.key);
			pg->entries++;
		} else if (xmldoc_is_elem(n, "IsTruncated")) {
			err = leaf_bool(n, &pg->truncated);
			have_trunc = true;
		} else if (xmldoc_is_elem(n, "NextKeyMarker")) {
			char *k = NULL;
			size_t klen = 0;

			err = leaf_name(n, url, STRATA_MAX_KEY_LEN, &k, &klen);
			if (!err && strlen(k) != klen)
				err = S3E_InternalError;
			if (!err)
				memcpy(pg->next_key_marker, k, klen + 1);
			free(k);
		} else if (xmldoc_is_elem(n, "NextVersionIdMarker")) {
			err = leaf_word(n, pg->next_version_id_marker,
					sizeof(pg->next_version_id_marker));
		}
	}
	if (!err && (!have_trunc || (pg->truncated && !pg->next_key_marker[0])))
		err = S3E_InternalError; /* a page we could not continue from */
	return err;
}

/* See s3client.h. */
s3err_t s3c_parse_list_versions(const char *xml, size_t len, const struct s3c_versions_params *p,
				struct s3c_versions_page *page)
{
	s3err_t err;
	xmlDocPtr doc = NULL;
	const xmlNode *root = NULL;
	struct s3c_versions_page pg;
	bool url;

	if ((err = listing_open(xml, len, "ListVersionsResult", &doc, &root, &url)) ||
	    (err = versions_pass(root, url, p, false, &pg)) ||
	    (err = versions_pass(root, url, p, true, &pg)))
		goto out;
	*page = pg;
out:
	xmlFreeDoc(doc);
	return err;
}

/* One <Upload>; *key owned by the caller. */
static s3err_t parse_upload(const xmlNode *e, bool url, struct s3c_upload *u, char **key,
			    char id[S3C_MAX_UPLOAD_ID])
{
	const xmlNode *n;
	s3err_t err = S3E_OK;

	memset(u, 0, sizeof(*u));
	*key = NULL;
	id[0] = '\0';
	for (n = e->children; n && !err; n = n->next) {
		if (xmldoc_is_elem(n, "Key") && !*key)
			err = leaf_name(n, url, STRATA_MAX_KEY_LEN, key, &u->key_len);
		else if (xmldoc_is_elem(n, "UploadId"))
			err = leaf_word(n, id, S3C_MAX_UPLOAD_ID);
		else if (xmldoc_is_elem(n, "Initiated"))
			err = leaf_time_ms(n, &u->initiated_ms);
	}
	if (!err && (!*key || !id[0] || u->key_len == 0 || strlen(*key) != u->key_len))
		err = S3E_InternalError;
	u->key = *key;
	u->upload_id = id;
	return err;
}

static s3err_t mpu_list_pass(const xmlNode *root, bool url, const struct s3c_mpu_list_params *p,
			     bool visit, struct s3c_mpu_list_page *pg)
{
	s3err_t err = S3E_OK;
	const xmlNode *n;
	char id[S3C_MAX_UPLOAD_ID];

	memset(pg, 0, sizeof(*pg));
	for (n = root->children; n && !err; n = n->next) {
		if (xmldoc_is_elem(n, "Upload")) {
			struct s3c_upload u;
			char *key = NULL;

			err = parse_upload(n, url, &u, &key, id);
			if (!err && visit && p && p->on_upload)
				err = p->on_upload(p->arg, &u);
			free(key);
			pg->uploads++;
		} else if (xmldoc_is_elem(n, "IsTruncated")) {
			err = leaf_bool(n, &pg->truncated);
		} else if (xmldoc_is_elem(n, "NextKeyMarker")) {
			char *k = NULL;
			size_t klen = 0;

			err = leaf_name(n, url, STRATA_MAX_KEY_LEN, &k, &klen);
			if (!err)
				memcpy(pg->next_key_marker, k, klen + 1);
			free(k);
		} else if (xmldoc_is_elem(n, "NextUploadIdMarker")) {
			err = leaf_word(n, pg->next_upload_id_marker, S3C_MAX_UPLOAD_ID);
		}
	}
	if (!err && pg->truncated && !pg->next_key_marker[0])
		err = S3E_InternalError;
	return err;
}

/* See s3client.h. */
s3err_t s3c_parse_mpu_list(const char *xml, size_t len, const struct s3c_mpu_list_params *p,
			   struct s3c_mpu_list_page *page)
{
	s3err_t err;
	xmlDocPtr doc = NULL;
	const xmlNode *root = NULL;
	struct s3c_mpu_list_page pg;
	bool url;

	if ((err = listing_open(xml, len, "ListMultipartUploadsResult", &doc, &root, &url)) ||
	    (err = mpu_list_pass(root, url, p, false, &pg)) ||
	    (err = mpu_list_pass(root, url, p, true, &pg)))
		goto out;
	*page = pg;
out:
	xmlFreeDoc(doc);
	return err;
}

static s3err_t bucket_list_pass(const xmlNode *buckets, s3c_bucket_fn fn, void *arg, bool visit)
{
	s3err_t err = S3E_OK;
	const xmlNode *b, *n;

	for (b = buckets->children; b && !err; b = b->next) {
		char name[STRATA_BUCKET_NAME_MAX + 1] = "";
		int64_t created = 0;

		if (!xmldoc_is_elem(b, "Bucket"))
			continue;
		for (n = b->children; n && !err; n = n->next) {
			if (xmldoc_is_elem(n, "Name"))
				err = leaf_word(n, name, sizeof(name));
			else if (xmldoc_is_elem(n, "CreationDate"))
				err = leaf_time_ms(n, &created);
		}
		if (!err && !name[0])
			err = S3E_InternalError;
		if (!err && visit && fn)
			err = fn(arg, name, created);
	}
	return err;
}

/* See s3client.h. */
s3err_t s3c_parse_bucket_list(const char *xml, size_t len, s3c_bucket_fn fn, void *arg)
{
	s3err_t err;
	xmlDocPtr doc = NULL;
	const xmlNode *root = NULL, *n;

	if ((err = doc_open(xml, len, S3C_MAX_LIST_BODY, "ListAllMyBucketsResult", &doc, &root)))
		goto out;
	for (n = root->children; n; n = n->next) {
		if (!xmldoc_is_elem(n, "Buckets"))
			continue;
		if ((err = bucket_list_pass(n, fn, arg, false)) ||
		    (err = bucket_list_pass(n, fn, arg, true)))
			goto out;
	}
out:
	xmlFreeDoc(doc);
	return err;
}

/* The text of root's first child element called name into out[cap]; InternalError if absent. */
static s3err_t child_word(const xmlNode *root, const char *name, char *out, size_t cap)
{
	const xmlNode *n;

	for (n = root->children; n; n = n->next) {
		if (xmldoc_is_elem(n, name))
			return leaf_word(n, out, cap);
	}
	return S3E_InternalError;
}

/* See s3client.h. */
s3err_t s3c_parse_initiate(const char *xml, size_t len, char upload_id[S3C_MAX_UPLOAD_ID])
{
	s3err_t err;
	xmlDocPtr doc = NULL;
	const xmlNode *root = NULL;
	char id[S3C_MAX_UPLOAD_ID];

	if ((err = doc_open(xml, len, S3C_MAX_SMALL_BODY, "InitiateMultipartUploadResult", &doc,
			    &root)) ||
	    (err = child_word(root, "UploadId", id, sizeof(id))))
		goto out;
	if (!id[0]) {
		err = S3E_InternalError;
		goto out;
	}
	memcpy(upload_id, id, strlen(id) + 1);
out:
	xmlFreeDoc(doc);
	return err;
}

/* See s3client.h. */
s3err_t s3c_parse_versioning(const char *xml, size_t len, char status[16])
{
	s3err_t err;
	xmlDocPtr doc = NULL;
	const xmlNode *root = NULL, *n;
	char w[16] = "";

	if ((err = doc_open(xml, len, S3C_MAX_SMALL_BODY, "VersioningConfiguration", &doc, &root)))
		goto out;
	for (n = root->children; n && !err; n = n->next)
		if (xmldoc_is_elem(n, "Status"))
			err = leaf_word(n, w, sizeof(w));
	if (!err && w[0] && strcmp(w, "Enabled") != 0 && strcmp(w, "Suspended") != 0)
		err = S3E_InternalError;
	if (!err)
		memcpy(status, w, strlen(w) + 1);
out:
	xmlFreeDoc(doc);
	return err;
}

/* See s3client.h. */
s3err_t s3c_parse_etag_result(const char *xml, size_t len, const char *root_name,
			      char etag[S3C_MAX_ETAG])
{
	s3err_t err;
	xmlDocPtr doc = NULL;
	const xmlNode *root = NULL;
	char w[S3C_MAX_ETAG + 2];

	if ((err = doc_open(xml, len, S3C_MAX_SMALL_BODY, root_name, &doc, &root)) ||
	    (err = child_word(root, "ETag", w, sizeof(w))))
		goto out;
	/*
	 * Ceph RGW 16 answers CompleteMultipartUpload with an empty <ETag/>
	 * (the object is complete all the same): "" then, for the caller to
	 * HEAD if it needs it. Copies always carry one.
	 */
	if (!w[0] && strcmp(root_name, "CompleteMultipartUploadResult") == 0)
		etag[0] = '\0';
	else if (!w[0] || !s3c_set_etag(etag, w, strlen(w)))
		err = S3E_InternalError;
out:
	xmlFreeDoc(doc);
	return err;
}

/* Copies a leaf's text, cut to cap (diagnostics: code, message, request id). */
static void leaf_cut(const xmlNode *e, char *out, size_t cap)
{
	char *t = NULL;
	size_t tlen;

	if (xmldoc_leaf_text(e, &t, &tlen) == S3E_OK)
		s3c_copy_cut(out, cap, t, tlen);
	free(t);
}

/* See s3client.h. */
s3err_t s3c_parse_error(const char *xml, size_t len, struct s3c_result *res)
{
	s3err_t err;
	xmlDocPtr doc = NULL;
	const xmlNode *root = NULL, *n;

	if ((err = doc_open(xml, len, S3C_MAX_ERROR_BODY, "Error", &doc, &root)))
		goto out;
	for (n = root->children; n; n = n->next) {
		if (xmldoc_is_elem(n, "Code"))
			leaf_cut(n, res->code, sizeof(res->code));
		else if (xmldoc_is_elem(n, "Message"))
			leaf_cut(n, res->message, sizeof(res->message));
		else if (xmldoc_is_elem(n, "RequestId"))
			leaf_cut(n, res->request_id, sizeof(res->request_id));
	}
out:
	xmlFreeDoc(doc);
	return err;
}
