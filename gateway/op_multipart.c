/*
 * op_multipart: the multipart upload operations.
 *
 * An upload's life (the backend keeps the state; see backends/backend.h):
 *
 *   state       entered by                   function here
 *   active      CreateMultipartUpload        op_create_multipart
 *   active      UploadPart / UploadPartCopy  op_upload_part, op_upload_part_copy
 *   completed   CompleteMultipartUpload      op_complete_multipart
 *   (gone)      AbortMultipartUpload         op_abort_multipart
 *
 * Invariants:
 *  1. A part is stored only after every digest the client sent checked out,
 *     and it always carries the upload's checksum algorithm, computed here
 *     when the client sent none.
 *  2. Complete publishes nothing until the listed parts are validated
 *     (ascending, present with the given ETags, all but the last >= 5 MiB)
 *     and the whole object's SHA-256 has been computed in one read pass; the
 *     parts become the object by reference, without copying.
 *  3. A repeated Complete of a completed upload answers the same result, as
 *     AWS does, for as long as the backend remembers the upload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../common/checksum.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/strutil.h"
#include "../common/xmlin.h"
#include "../common/xmlw.h"
#include "../lifecycle/replicator.h"
#include "body.h"
#include "ops.h"
#include "replication.h"
#include "request.h"
#include "response.h"
#include "server.h"
#include "sse_req.h"

#define MAX_LIST_PARTS 1000u
#define MAX_LIST_UPLOADS 1000u

/* Loads the upload named by ?uploadId= for this key. A completed one only when allowed. */
static s3err_t load_upload(struct request *r, struct upload_info *u, bool allow_completed)
{
	const char *id = req_query(r, "uploadId");
	s3err_t err;

	if (!id || !*id || strlen(id) >= STRATA_UPLOAD_ID_MAX)
		return req_fail(r, S3E_NoSuchUpload, NULL);
	err = backend_upload_get(r->srv->be, r->bucket, id, u);
	if (err)
		return req_fail(r, err, NULL);
	if (strcmp(u->key, r->key) != 0 || (u->completed && !allow_completed)) {
		obj_meta_free(&u->meta);
		return req_fail(r, S3E_NoSuchUpload, NULL);
	}
	return S3E_OK;
}

static s3err_t owner_xml(struct buf *xml, const char *tag, const char *user)
{
	char id[65];
	s3err_t err;

	users_owner_id(user, id);
	if ((err = xmlw_open(xml, tag)) || (err = xmlw_elem(xml, "ID", id)) ||
	    (err = xmlw_elem(xml, "DisplayName", user)))
		return err;
	return xmlw_close(xml, tag);
}

/* "Checksum" + algorithm name, the XML element S3 uses for a checksum value. */
static void checksum_tag(const char *algo, char out[32])
{
	snprintf(out, 32, "Checksum%s", algo);
}

/* --- CreateMultipartUpload --- */

/* The x-amz-checksum-algorithm / -type pair, with S3's default type and rules. */
static s3err_t upload_checksum(struct request *r, struct obj_meta *m)
{
	const char *ah = req_header(r, "x-amz-checksum-algorithm");
	const char *th = req_header(r, "x-amz-checksum-type");
	enum cksum_algo a = ah ? cksum_algo_from_name(ah) : CKSUM_NONE;
	enum cksum_type t = th ? cksum_type_from_name(th) : CKSUM_TYPE_NONE;

	if (ah && a == CKSUM_NONE)
		return req_fail(r, S3E_InvalidRequest,
				"Checksum algorithm provided is unsupported. Please try again with "
				"any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
	if (th && t == CKSUM_TYPE_NONE)
		return req_fail(r, S3E_InvalidRequest,
				"Value for x-amz-checksum-type header is invalid.");
	if (t != CKSUM_TYPE_NONE && a == CKSUM_NONE)
		return req_fail(r, S3E_InvalidRequest,
				"The x-amz-checksum-type header can only be used with the "
				"x-amz-checksum-algorithm header.");
	if (a == CKSUM_NONE)
		return S3E_OK;
	if (t == CKSUM_TYPE_NONE)
		t = cksum_default_type(a);
	if (!cksum_type_allowed(a, t))
		return req_failf(
		    r, S3E_InvalidRequest,
		    "The %s checksum type cannot be used with the %s checksum algorithm.",
		    cksum_type_name(t), cksum_algo_name(a));
	str_copy(m->checksum_algo, sizeof(m->checksum_algo), cksum_algo_name(a));
	str_copy(m->checksum_type, sizeof(m->checksum_type), cksum_type_name(t));
	return S3E_OK;
}

s3err_t op_create_multipart(struct request *r)
{
	char id[STRATA_UPLOAD_ID_MAX];
	struct sse_key k;
	struct obj_meta m;
	struct buf xml;
	s3err_t err;

	obj_meta_init(&m);
	memset(&k, 0, sizeof(k));
	buf_init(&xml, 8192, S3E_InternalError);
	/* The upload's data key (SSE-S3: wrapped in its meta) seals every part. */
	if ((err = op_refuse_unsupported_write(r)) || (err = op_collect_metadata(r, &m)) ||
	    (err = op_lock_headers(r, false, &m)) || (err = op_storage_class(r, m.storage_class)) ||
	    (err = upload_checksum(r, &m)) || (err = sse_req_write(r, &m, &k)))
		goto out;
	if ((err = backend_upload_create(r->srv->be, r->bucket, r->key, &m, id)))
		goto out;
	if ((err = xmlw_begin(&xml, "InitiateMultipartUploadResult")) ||
	    (err = xmlw_elem(&xml, "Bucket", r->bucket)) ||
	    (err = xmlw_elemn(&xml, "Key", r->key, r->key_len)) ||
	    (err = xmlw_elem(&xml, "UploadId", id)) ||
	    (err = xmlw_close(&xml, "InitiateMultipartUploadResult")) || (err = resp_xml(r, &xml)))
		goto out;
	if (m.checksum_algo[0]) {
		resp_header(r, "x-amz-checksum-algorithm", m.checksum_algo);
		resp_header(r, "x-amz-checksum-type", m.checksum_type);
	}
	sse_req_headers(r, &k);
out:
	buf_free(&xml);
	obj_meta_free(&m);
	sse_key_clear(&k);
	return err;
}

/* --- UploadPart --- */

struct part_state {
	struct request *r;
	struct be_writer *w; /* NULL once committed or aborted */
	unsigned number;
	struct upload_info u;
	struct sse_key sse; /* the upload's data key: seals the part */
};

static void part_state_free(struct request *r)
{
	struct part_state *ps = r->op_state;

	if (!ps)
		return;
	if (ps->w)
		backend_writer_abort(r->srv->be, ps->w);
	obj_meta_free(&ps->u.meta);
	sse_key_clear(&ps->sse);
	free(ps);
	r->op_state = NULL;
}

static s3err_t part_sink(void *ctx, const uint8_t *data, size_t len)
{
	struct part_state *ps = ctx;

	return backend_writer_write(ps->r->srv->be, ps->w, data, len);
}

/*
 * A part is sealed with its upload's data key: SSE-S3 unwraps it, SSE-C
 * needs the customer's key again on every UploadPart (as AWS requires) and
 * checks it against the upload's. Opens the part writer sealed.
 */
static s3err_t open_part_writer(struct request *r, const struct upload_info *u, unsigned number,
				uint64_t size_hint, struct sse_key *k, struct be_writer **w)
{
	s3err_t err;

	if ((err = sse_req_read(r, &u->meta, false, k)))
		return err;
	err = backend_part_writer_open(r->srv->be, r->bucket, u->upload_id, number, size_hint, w);
	if (!err && k->mode != SSE_NONE &&
	    (err = backend_writer_seal(r->srv->be, *w, k->data_key))) {
		backend_writer_abort(r->srv->be, *w);
		*w = NULL;
	}
	return err;
}

s3err_t op_upload_part_begin(struct request *r)
{
	struct part_state *ps;
	s3err_t err;

	if (r->content_length == UINT64_MAX && !req_header(r, "Transfer-Encoding"))
		return req_fail(r, S3E_MissingContentLength, NULL);
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return S3E_InternalError;
	ps->r = r;
	r->op_state = ps;
	r->op_state_free = part_state_free;
	if ((err = op_part_number(r, req_query(r, "partNumber") ? req_query(r, "partNumber") : "",
				  &ps->number)) ||
	    (err = load_upload(r, &ps->u, false)))
		return err;
	if ((err = body_new(r, STRATA_MAX_PART_SIZE, part_sink, ps, &r->body)) ||
	    (err = body_expect_algo(r->body, cksum_algo_from_name(ps->u.meta.checksum_algo))))
		return err;
	return open_part_writer(r, &ps->u, ps->number,
				r->content_length == UINT64_MAX ? 0 : r->content_length, &ps->sse,
				&ps->w);
}

/* Fills a part record from a finished pipeline. */
static void part_from_digests(struct part_info *p, unsigned number, const struct digests *d,
			      uint64_t size)
{
	memset(p, 0, sizeof(*p));
	p->number = number;
	p->size = size;
	p->mtime_ms = httptime_now_ms();
	hex_encode(d->md5, sizeof(d->md5), p->etag);
	hex_encode(d->sha256, sizeof(d->sha256), p->sha256_hex);
	if (d->algo != CKSUM_NONE)
		base64_encode(d->extra, d->extra_len, p->checksum_b64);
}

s3err_t op_upload_part(struct request *r)
{
	struct part_state *ps = r->op_state;
	struct be_writer *w = ps->w;
	char etag[STRATA_ETAG_MAX + 2];
	struct part_info p;
	struct digests d;
	uint64_t size;
	s3err_t err;

	if ((err = body_finish(r->body, &d, &size)))
		return err;
	part_from_digests(&p, ps->number, &d, size);
	ps->w = NULL; /* part_commit consumes the writer whatever happens */
	if ((err = backend_part_commit(r->srv->be, w, &p)) || (err = resp_ok_empty(r)))
		return err;
	snprintf(etag, sizeof(etag), "\"%s\"", p.etag);
	resp_header(r, "ETag", etag);
	if (p.checksum_b64[0])
		resp_header(r, cksum_header_name(d.algo), p.checksum_b64);
	sse_req_headers(r, &ps->sse);
	return S3E_OK;
}

/* --- UploadPartCopy --- */

/* x-amz-copy-source-range: exactly "bytes=first-last" within the source. */
static s3err_t copy_source_range(struct request *r, uint64_t size, uint64_t *first, uint64_t *len)
{
	const char *v = req_header(r, "x-amz-copy-source-range");
	const char *dash;
	uint64_t a, b;

	if (!v) {
		*first = 0;
		*len = size;
		return S3E_OK;
	}
	dash = str_starts(v, "bytes=") ? strchr(v + 6, '-') : NULL;
	if (!dash || !parse_u64(v + 6, (size_t)(dash - v - 6), 0, UINT64_MAX - 1, &a) ||
	    !parse_u64_str(dash + 1, 0, UINT64_MAX - 1, &b) || a > b)
		return req_fail(r, S3E_InvalidArgument,
				"The x-amz-copy-source-range value must be of the form "
				"bytes=first-last where first and last are the zero-based offsets "
				"of the first and last bytes to copy");
	if (b >= size)
		return req_failf(r, S3E_InvalidArgument,
				 "Range specified is not valid for source object of size: %llu",
				 (unsigned long long)size);
	*first = a;
	*len = b - a + 1;
	return S3E_OK;
}

static s3err_t copy_part_result(struct request *r, const struct part_info *p, const char *algo)
{
	char etag[STRATA_ETAG_MAX + 2], date[25], tag[32];
	struct buf xml;
	s3err_t err;

	snprintf(etag, sizeof(etag), "\"%s\"", p->etag);
	httptime_format_iso_ms(p->mtime_ms, date);
	buf_init(&xml, 4096, S3E_InternalError);
	if ((err = xmlw_begin(&xml, "CopyPartResult")) || (err = xmlw_elem(&xml, "ETag", etag)) ||
	    (err = xmlw_elem(&xml, "LastModified", date)))
		goto out;
	if (p->checksum_b64[0]) {
		checksum_tag(algo, tag);
		if ((err = xmlw_elem(&xml, tag, p->checksum_b64)))
			goto out;
	}
	if (!(err = xmlw_close(&xml, "CopyPartResult")))
		err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	return err;
}

s3err_t op_upload_part_copy(struct request *r)
{
	struct backend *be = r->srv->be;
	struct copy_source src = {{0}, NULL, ""};
	struct upload_info u;
	struct obj_meta sm;
	struct be_reader *rd = NULL;
	struct be_writer *w = NULL;
	struct hashset *hs = NULL;
	struct part_info p;
	struct digests d;
	struct sse_key sk, dk;
	uint64_t first = 0, len = 0;
	unsigned number = 0;
	bool have_upload = false;
	s3err_t err;

	obj_meta_init(&sm);
	memset(&sk, 0, sizeof(sk));
	memset(&dk, 0, sizeof(dk));
	if ((err = op_part_number(r, req_query(r, "partNumber") ? req_query(r, "partNumber") : "",
				  &number)) ||
	    (err = load_upload(r, &u, false)))
		goto out;
	have_upload = true;
	if ((err = op_parse_copy_source(r, &src)) ||
	    (err = op_open_copy_source(r, &src, &sm, &sk, &rd)) ||
	    (err = copy_source_range(r, sm.size, &first, &len)))
		goto out;
	if (len > STRATA_MAX_PART_SIZE) {
		err = req_fail(r, S3E_InvalidRequest, "A part may not be larger than 5 GiB.");
		goto out;
	}
	if ((err = hashset_new(cksum_algo_from_name(u.meta.checksum_algo), &hs)) ||
	    (err = open_part_writer(r, &u, number, len, &dk, &w)) ||
	    (err = op_copy_range(r, rd, first, len, w, hs)))
		goto out;
	hashset_final(hs, &d);
	part_from_digests(&p, number, &d, len);
	err = backend_part_commit(be, w, &p);
	w = NULL;
	if (!err)
		err = copy_part_result(r, &p, u.meta.checksum_algo);
	if (!err)
		sse_req_headers(r, &dk);
out:
	if (w)
		backend_writer_abort(be, w);
	if (rd)
		backend_reader_close(be, rd);
	hashset_free(hs);
	obj_meta_free(&sm);
	if (have_upload)
		obj_meta_free(&u.meta);
	sse_key_clear(&sk);
	sse_key_clear(&dk);
	return err;
}

/* --- CompleteMultipartUpload --- */

struct part_table {
	struct part_info *items; /* ascending by number */
	size_t n;
	s3err_t err;
};

static bool collect_part(void *ctx, const struct part_info *p)
{
	struct part_table *t = ctx;

	if (t->n == STRATA_MAX_PARTS) {
		t->err = S3E_InternalError;
		return false;
	}
	t->items[t->n++] = *p;
	return true;
}

static const struct part_info *find_part(const struct part_table *t, unsigned number)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->items[mid].number == number)
			return &t->items[mid];
		if (t->items[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Checks the client's part list against the stored parts (invariant 2) and
 * fills the backend's list. Returns the stored part for each listed one.
 */
static s3err_t validate_parts(struct request *r, const struct complete_request *cr,
			      const struct part_table *t, const char *algo,
			      const struct part_info **chosen, struct complete_part *out)
{
	size_t i;

	for (i = 0; i < cr->n; i++) {
		const struct complete_item *it = &cr->parts[i];
		const struct part_info *p = find_part(t, it->number);

		if (i && it->number <= cr->parts[i - 1].number)
			return req_fail(r, S3E_InvalidPartOrder, NULL);
		if (!p || strcmp(p->etag, it->etag) != 0)
			return req_failf(r, S3E_InvalidPart,
					 "Part %u was not uploaded, or its ETag does not match.",
					 it->number);
		if (it->checksum_algo[0] && (strcmp(it->checksum_algo, algo) != 0 ||
					     strcmp(it->checksum_b64, p->checksum_b64) != 0))
			return req_failf(
			    r, S3E_InvalidPart,
			    "The checksum of part %u does not match the uploaded part.",
			    it->number);
		if (i + 1 < cr->n && p->size < STRATA_MIN_PART_SIZE)
			return req_failf(
			    r, S3E_EntityTooSmall,
			    "Part %u is smaller than the minimum allowed size of 5 MiB.",
			    it->number);
		chosen[i] = p;
		out[i].number = p->number;
		str_copy(out[i].etag, sizeof(out[i].etag), p->etag);
	}
	return S3E_OK;
}

/* S3's multipart ETag: MD5 of the concatenated binary part MD5s, then "-N". */
static s3err_t multipart_etag(const struct part_info *const *parts, size_t n, char *out, size_t cap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t raw[16], md[16];
	unsigned int mdlen = 0;
	char hex[33];
	size_t i;
	s3err_t err = S3E_InternalError;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		if (!hex_decode(parts[i]->etag, strlen(parts[i]->etag), raw, sizeof(raw)) ||
		    EVP_DigestUpdate(ctx, raw, sizeof(raw)) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto out;
	hex_encode(md, sizeof(md), hex);
	snprintf(out, cap, "%s-%zu", hex, n);
	err = S3E_OK;
out:
	EVP_MD_CTX_free(ctx);
	return err;
}

/* The object's checksum from the parts' checksums (no data read). */
static s3err_t multipart_checksum(const struct upload_info *u, const struct part_info *const *parts,
				  size_t n, struct obj_meta *m)
{
	enum cksum_algo a = cksum_algo_from_name(u->meta.checksum_algo);
	struct mp_checksum mp;
	uint8_t raw[CKSUM_MAX_LEN];
	size_t i, len;
	s3err_t err;

	if (a == CKSUM_NONE)
		return S3E_OK;
	err = mpck_init(&mp, a, cksum_type_from_name(u->meta.checksum_type));
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		const char *b64 = parts[i]->checksum_b64;

		if (!base64_decode(b64, strlen(b64), raw, sizeof(raw), &len) ||
		    len != cksum_digest_len(a)) {
			mpck_free(&mp);
			return S3E_InternalError; /* every stored part carries the upload's checksum
						   */
		}
		mpck_add_part(&mp, raw, parts[i]->size);
	}
	mpck_final(&mp, m->checksum_b64, sizeof(m->checksum_b64));
	str_copy(m->checksum_algo, sizeof(m->checksum_algo), u->meta.checksum_algo);
	str_copy(m->checksum_type, sizeof(m->checksum_type), u->meta.checksum_type);
	return S3E_OK;
}

/*
 * Strata's SHA-256 of the whole object, in one sequential read of the parts
 * with one bounded block of memory (invariant 2).
 */
static s3err_t whole_sha256(struct request *r, const char *upload_id, const struct sse_key *k,
			    const struct part_info *const *parts, size_t n, char out[65])
{
	struct backend *be = r->srv->be;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *block = malloc(STRATA_IO_BLOCK);
	uint8_t md[32];
	unsigned int mdlen = 0;
	s3err_t err = S3E_InternalError;
	size_t i;

	if (!ctx || !block || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		struct be_reader *rd;
		uint64_t off = 0;

		err = backend_part_reader_open(be, r->bucket, upload_id, parts[i]->number, &rd);
		if (err)
			goto out;
		if (k->mode != SSE_NONE && (err = backend_reader_unseal(be, rd, k->data_key))) {
			backend_reader_close(be, rd);
			goto out;
		}
		while (!err && off < parts[i]->size) {
			size_t got = 0;

			err = backend_reader_read(be, rd, off, block, STRATA_IO_BLOCK, &got);
			if (!err && got == 0)
				err = S3E_InternalError; /* the part is shorter than recorded */
			if (!err && EVP_DigestUpdate(ctx, block, got) != 1)
				err = S3E_InternalError;
			off += got;
		}
		backend_reader_close(be, rd);
		if (err)
			goto out;
	}
	err = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 ? S3E_OK : S3E_InternalError;
	if (!err)
		hex_encode(md, sizeof(md), out);
out:
	free(block);
	EVP_MD_CTX_free(ctx);
	return err;
}

static s3err_t complete_result(struct request *r, const struct obj_meta *m)
{
	char etag[STRATA_ETAG_MAX + 2], tag[32];
	const char *host = req_header(r, "Host");
	struct buf xml;
	s3err_t err;

	snprintf(etag, sizeof(etag), "\"%s\"", m->etag);
	buf_init(&xml, 8192 + 3 * STRATA_MAX_KEY_LEN, S3E_InternalError);
	if ((err = xmlw_begin(&xml, "CompleteMultipartUploadResult")) ||
	    (err = xmlw_open(&xml, "Location")) ||
	    (err = buf_addf(&xml, "http://%s/%s/", host ? host : "localhost", r->bucket)) ||
	    (err = uri_encode(&xml, r->key, r->key_len, true)) ||
	    (err = xmlw_close(&xml, "Location")) || (err = xmlw_elem(&xml, "Bucket", r->bucket)) ||
	    (err = xmlw_elemn(&xml, "Key", r->key, r->key_len)) ||
	    (err = xmlw_elem(&xml, "ETag", etag)))
		goto out;
	if (m->checksum_algo[0]) {
		checksum_tag(m->checksum_algo, tag);
		if ((err = xmlw_elem(&xml, tag, m->checksum_b64)) ||
		    (err = xmlw_elem(&xml, "ChecksumType", m->checksum_type)))
			goto out;
	}
	if (!(err = xmlw_close(&xml, "CompleteMultipartUploadResult")))
		err = resp_xml(r, &xml);
	if (!err && m->sha256_hex[0])
		resp_header(r, "x-strata-sha256", m->sha256_hex);
	if (!err)
		sse_req_meta_headers(r, m);
out:
	buf_free(&xml);
	return err;
}

/*
 * What the client asserted about the whole object on Complete must hold:
 * x-amz-checksum-<algo> (the object's checksum, COMPOSITE "-N" or
 * FULL_OBJECT), x-amz-checksum-type and x-amz-mp-object-size.
 */
static s3err_t check_object_claims(struct request *r, const struct obj_meta *m)
{
	const char *type = req_header(r, "x-amz-checksum-type");
	const char *size = req_header(r, "x-amz-mp-object-size");
	uint64_t n;
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		enum cksum_algo a = cksum_algo_from_header(r->headers[i].name);

		if (a == CKSUM_NONE)
			continue;
		if (strcmp(cksum_algo_name(a), m->checksum_algo) != 0)
			return req_failf(r, S3E_InvalidRequest,
					 "The upload was created using the %s checksum algorithm; "
					 "%s was given.",
					 m->checksum_algo[0] ? m->checksum_algo : "no",
					 cksum_algo_name(a));
		if (strcmp(r->headers[i].value, m->checksum_b64) != 0)
			return req_failf(r, S3E_BadDigest,
					 "The %s you specified did not match the calculated "
					 "checksum.",
					 m->checksum_algo);
	}
	if (type && strcmp(type, m->checksum_type) != 0)
		return req_failf(r, S3E_InvalidRequest,
				 "The upload was created using the %s checksum type.",
				 m->checksum_type[0] ? m->checksum_type : "no");
	if (size && (!parse_u64_str(size, 0, UINT64_MAX, &n) || n != m->size))
		return req_fail(r, S3E_InvalidRequest,
				"The x-amz-mp-object-size header does not match the size of the "
				"parts.");
	return S3E_OK;
}

/* A repeated Complete of a completed upload answers as the first one did (invariant 3). */
static s3err_t complete_again(struct request *r, const struct upload_info *u)
{
	struct obj_meta m;
	s3err_t err;

	obj_meta_init(&m);
	err = backend_object_head_v(r->srv->be, r->bucket, r->key, NULL, &m);
	if (err || strcmp(m.etag, u->final_etag) != 0) {
		/* The object was replaced or deleted since: the upload is no more. */
		obj_meta_free(&m);
		return req_fail(r, S3E_NoSuchUpload, NULL);
	}
	err = complete_result(r, &m);
	if (!err)
		op_written_version(r, m.version_id);
	obj_meta_free(&m);
	return err;
}

s3err_t op_complete_multipart(struct request *r)
{
	struct complete_request cr = {0, NULL};
	struct part_table t = {NULL, 0, S3E_OK};
	const struct part_info **chosen = NULL;
	struct complete_part *list = NULL;
	char vid[STRATA_VERSION_ID_MAX] = "";
	struct repl_request rq;
	struct upload_info u;
	struct sse_key k;
	struct obj_meta m;
	uint64_t size = 0;
	size_t i;
	s3err_t err;

	obj_meta_init(&m);
	memset(&k, 0, sizeof(k));
	if ((err = load_upload(r, &u, true)))
		return err;
	if (u.completed) {
		err = complete_again(r, &u);
		goto out;
	}
	if (r->xml.len == 0) {
		err = req_fail(r, S3E_MalformedXML,
			       "The XML you provided was not well-formed or did not validate "
			       "against our published schema");
		goto out;
	}
	if ((err = xmlin_parse_complete(buf_str(&r->xml), r->xml.len, &cr))) {
		req_fail(r, err, NULL);
		goto out;
	}
	t.items = calloc(STRATA_MAX_PARTS, sizeof(*t.items));
	chosen = calloc(cr.n, sizeof(*chosen));
	list = calloc(cr.n, sizeof(*list));
	if (!t.items || !chosen || !list) {
		err = S3E_InternalError;
		goto out;
	}
	err = backend_part_list(r->srv->be, r->bucket, u.upload_id, 0, STRATA_MAX_PARTS,
				collect_part, &t);
	if (err || (err = t.err))
		goto out;
	if ((err = validate_parts(r, &cr, &t, u.meta.checksum_algo, chosen, list)))
		goto out;
	/*
	 * Strata reads the parts to compute the object's SHA-256: an SSE-C
	 * upload's Complete must carry the key (the SDKs send it, as AWS takes it).
	 */
	if (u.meta.sse_mode == SSE_C &&
	    !req_header(r, "x-amz-server-side-encryption-customer-key")) {
		err = req_fail(r, S3E_InvalidRequest,
			       "This upload is encrypted with a customer-provided key (SSE-C): "
			       "CompleteMultipartUpload must carry that key so that Strata can "
			       "compute the object's SHA-256.");
		goto out;
	}
	if ((err = sse_req_read(r, &u.meta, false, &k)))
		goto out;
	for (i = 0; i < cr.n; i++)
		size += chosen[i]->size;
	if ((err = obj_meta_copy(&m, &u.meta)) ||
	    (err = multipart_etag(chosen, cr.n, m.etag, sizeof(m.etag))) ||
	    (err = multipart_checksum(&u, chosen, cr.n, &m)) ||
	    (err = whole_sha256(r, u.upload_id, &k, chosen, cr.n, m.sha256_hex)))
		goto out;
	m.size = size;
	m.parts_count = (unsigned)cr.n;
	m.mtime_ms = httptime_now_ms();
	if ((err = check_object_claims(r, &m)))
		goto out;
	if ((err = repl_request_for(r, r->key, false, &rq)))
		goto out;
	err =
	    backend_upload_complete_v(r->srv->be, r->bucket, u.upload_id, list, cr.n, &m, &rq, vid);
	if (err) {
		err = op_lock_commit_error(r, err);
		req_fail(r, err, NULL);
		goto out;
	}
	if (rq.n)
		replicator_wake(r->srv->replicator);
	err = complete_result(r, &m);
	if (!err)
		op_written_version(r, vid);
out:
	free(t.items);
	free(chosen);
	free(list);
	xmlin_complete_free(&cr);
	obj_meta_free(&m);
	obj_meta_free(&u.meta);
	sse_key_clear(&k);
	return err;
}

/* --- AbortMultipartUpload --- */

s3err_t op_abort_multipart(struct request *r)
{
	struct upload_info u;
	s3err_t err = load_upload(r, &u, false);

	if (err)
		return err;
	err = backend_upload_abort(r->srv->be, r->bucket, u.upload_id);
	obj_meta_free(&u.meta);
	return err ? err : resp_no_content(r);
}

/* --- ListParts --- */

struct parts_walk {
	struct buf *xml;
	const char *algo;
	uint64_t max;
	uint64_t count;
	unsigned last;
	bool truncated;
	s3err_t err;
};

static bool part_xml(void *ctx, const struct part_info *p)
{
	struct parts_walk *w = ctx;
	char etag[STRATA_ETAG_MAX + 2], date[25], tag[32];

	if (w->count == w->max) {
		w->truncated = true;
		return false;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", p->etag);
	httptime_format_iso_ms(p->mtime_ms, date);
	if ((w->err = xmlw_open(w->xml, "Part")) ||
	    (w->err = xmlw_elem_u64(w->xml, "PartNumber", p->number)) ||
	    (w->err = xmlw_elem(w->xml, "LastModified", date)) ||
	    (w->err = xmlw_elem(w->xml, "ETag", etag)) ||
	    (w->err = xmlw_elem_u64(w->xml, "Size", p->size)))
		return false;
	if (p->checksum_b64[0]) {
		checksum_tag(w->algo, tag);
		if ((w->err = xmlw_elem(w->xml, tag, p->checksum_b64)))
			return false;
	}
	if ((w->err = xmlw_close(w->xml, "Part")))
		return false;
	w->count++;
	w->last = p->number;
	return true;
}

s3err_t op_list_parts(struct request *r)
{
	const char *mp = req_query(r, "max-parts"), *pm = req_query(r, "part-number-marker");
	struct parts_walk w = {NULL, "", MAX_LIST_PARTS, 0, 0, false, S3E_OK};
	struct upload_info u;
	uint64_t marker = 0;
	struct buf xml, body;
	s3err_t err;

	if (mp && !parse_u64_str(mp, 0, INT32_MAX, &w.max))
		return req_fail(r, S3E_InvalidArgument,
				"max-parts must be a non-negative integer.");
	if (w.max > MAX_LIST_PARTS)
		w.max = MAX_LIST_PARTS;
	if (pm && !parse_u64_str(pm, 0, STRATA_MAX_PARTS, &marker))
		return req_fail(r, S3E_InvalidArgument,
				"part-number-marker must be an integer between 0 and 10000.");
	if ((err = load_upload(r, &u, false)))
		return err;
	buf_init(&xml, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	buf_init(&body, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	w.xml = &body;
	w.algo = u.meta.checksum_algo;
	err = backend_part_list(r->srv->be, r->bucket, u.upload_id, (unsigned)marker,
				(size_t)w.max + 1, part_xml, &w);
	if (err || (err = w.err))
		goto out;
	if ((err = xmlw_begin(&xml, "ListPartsResult")) ||
	    (err = xmlw_elem(&xml, "Bucket", r->bucket)) ||
	    (err = xmlw_elemn(&xml, "Key", r->key, r->key_len)) ||
	    (err = xmlw_elem(&xml, "UploadId", u.upload_id)) ||
	    (err = xmlw_elem_u64(&xml, "PartNumberMarker", marker)) ||
	    (err = xmlw_elem_u64(&xml, "NextPartNumberMarker", w.last)) ||
	    (err = xmlw_elem_u64(&xml, "MaxParts", w.max)) ||
	    (err = xmlw_elem(&xml, "IsTruncated", w.truncated ? "true" : "false")) ||
	    (err = owner_xml(&xml, "Initiator", r->bucket_info.owner)) ||
	    (err = owner_xml(&xml, "Owner", r->bucket_info.owner)) ||
	    (err = xmlw_elem(&xml, "StorageClass",
			     u.meta.storage_class[0] ? u.meta.storage_class : "STANDARD")))
		goto out;
	if (u.meta.checksum_algo[0] &&
	    ((err = xmlw_elem(&xml, "ChecksumAlgorithm", u.meta.checksum_algo)) ||
	     (err = xmlw_elem(&xml, "ChecksumType", u.meta.checksum_type))))
		goto out;
	if ((err = buf_add(&xml, buf_str(&body), body.len)) ||
	    (err = xmlw_close(&xml, "ListPartsResult")))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	buf_free(&body);
	obj_meta_free(&u.meta);
	return err;
}

/* --- ListMultipartUploads --- */

struct uploads_walk {
	struct request *r;
	struct buf *xml;
	const char *prefix;
	const char *delimiter;
	bool url;
	uint64_t max;
	uint64_t count;
	bool truncated;
	char *restart_after; /* set when a new CommonPrefix was emitted: seek past it */
	char next_key[STRATA_MAX_KEY_LEN + 1];
	char next_id[STRATA_UPLOAD_ID_MAX];
	struct buf prefixes; /* <CommonPrefixes> elements, written after the uploads */
	s3err_t err;
};

static s3err_t text_elem(struct buf *xml, const char *tag, const char *text, size_t len, bool url)
{
	struct buf enc;
	s3err_t err;

	if (!url)
		return xmlw_elemn(xml, tag, text, len);
	buf_init(&enc, 3 * STRATA_MAX_KEY_LEN + 16, S3E_InternalError);
	err = uri_encode(&enc, text, len, true);
	if (!err)
		err = xmlw_elemn(xml, tag, buf_str(&enc), enc.len);
	buf_free(&enc);
	return err;
}

static bool upload_xml(void *ctx, const struct upload_info *u)
{
	struct uploads_walk *w = ctx;
	size_t plen = strlen(w->prefix);
	const char *rest = u->key + plen;
	const char *d = w->delimiter[0] ? strstr(rest, w->delimiter) : NULL;
	char date[25];

	if (w->count == w->max) {
		w->truncated = true;
		return false;
	}
	if (d) {
		size_t cplen = (size_t)(d - u->key) + strlen(w->delimiter);

		w->restart_after = arena_strndup(&w->r->arena, u->key, cplen);
		if (!w->restart_after || (w->err = xmlw_open(&w->prefixes, "CommonPrefixes")) ||
		    (w->err = text_elem(&w->prefixes, "Prefix", u->key, cplen, w->url)) ||
		    (w->err = xmlw_close(&w->prefixes, "CommonPrefixes")))
			w->err = w->err ? w->err : S3E_InternalError;
		str_copy(w->next_key, sizeof(w->next_key),
			 w->restart_after ? w->restart_after : "");
		w->next_id[0] = '\0';
		w->count++;
		return false; /* resume past every key under this prefix */
	}
	httptime_format_iso_ms(u->initiated_ms, date);
	if ((w->err = xmlw_open(w->xml, "Upload")) ||
	    (w->err = text_elem(w->xml, "Key", u->key, strlen(u->key), w->url)) ||
	    (w->err = xmlw_elem(w->xml, "UploadId", u->upload_id)) ||
	    (w->err = owner_xml(w->xml, "Initiator", w->r->bucket_info.owner)) ||
	    (w->err = owner_xml(w->xml, "Owner", w->r->bucket_info.owner)) ||
	    (w->err = xmlw_elem(w->xml, "StorageClass",
				u->meta.storage_class[0] ? u->meta.storage_class : "STANDARD")) ||
	    (w->err = xmlw_elem(w->xml, "Initiated", date)))
		return false;
	if (u->meta.checksum_algo[0] &&
	    ((w->err = xmlw_elem(w->xml, "ChecksumAlgorithm", u->meta.checksum_algo)) ||
	     (w->err = xmlw_elem(w->xml, "ChecksumType", u->meta.checksum_type))))
		return false;
	if ((w->err = xmlw_close(w->xml, "Upload")))
		return false;
	str_copy(w->next_key, sizeof(w->next_key), u->key);
	str_copy(w->next_id, sizeof(w->next_id), u->upload_id);
	w->count++;
	return true;
}

/*
 * Walks the uploads in (key, upload id) order; a CommonPrefix ends one
 * backend scan and the next starts past every key under it. Keys are UTF-8,
 * so appending 0xFF bytes to the prefix sorts after all of them.
 */
static s3err_t walk_uploads(struct uploads_walk *w, const char *key_marker, const char *id_marker)
{
	char seek[STRATA_MAX_KEY_LEN + 8];
	const char *km = key_marker, *um = id_marker;
	s3err_t err;

	for (;;) {
		w->restart_after = NULL;
		err = backend_upload_list(w->r->srv->be, w->r->bucket, w->prefix, km, um,
					  (size_t)(w->max - w->count) + 1, upload_xml, w);
		if (err || (err = w->err))
			return err;
		if (!w->restart_after || w->truncated)
			return S3E_OK;
		snprintf(seek, sizeof(seek), "%s\xff\xff\xff\xff", w->restart_after);
		km = seek;
		um = "";
	}
}

s3err_t op_list_multipart_uploads(struct request *r)
{
	const char *mu = req_query(r, "max-uploads"), *enc = req_query(r, "encoding-type");
	const char *km = req_query(r, "key-marker"), *um = req_query(r, "upload-id-marker");
	struct uploads_walk w = {0};
	struct buf xml, body;
	s3err_t err;

	w.r = r;
	w.prefix = req_query(r, "prefix") ? req_query(r, "prefix") : "";
	w.delimiter = req_query(r, "delimiter") ? req_query(r, "delimiter") : "";
	w.max = MAX_LIST_UPLOADS;
	if (mu && !parse_u64_str(mu, 0, INT32_MAX, &w.max))
		return req_fail(r, S3E_InvalidArgument,
				"max-uploads must be a non-negative integer.");
	if (w.max > MAX_LIST_UPLOADS)
		w.max = MAX_LIST_UPLOADS;
	if (enc && strcmp(enc, "url") != 0)
		return req_fail(r, S3E_InvalidArgument,
				"Invalid Encoding Method specified in Request");
	if (strlen(w.prefix) > STRATA_MAX_KEY_LEN || strlen(w.delimiter) > STRATA_MAX_DELIMITER_LEN)
		return req_fail(r, S3E_InvalidArgument, "The prefix or delimiter is too long.");
	w.url = enc != NULL;
	buf_init(&xml, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	buf_init(&body, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	buf_init(&w.prefixes, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	w.xml = &body;
	if (w.max > 0 && (err = walk_uploads(&w, km ? km : "", km && um ? um : "")))
		goto out;
	if ((err = xmlw_begin(&xml, "ListMultipartUploadsResult")) ||
	    (err = xmlw_elem(&xml, "Bucket", r->bucket)) ||
	    (err = text_elem(&xml, "KeyMarker", km ? km : "", km ? strlen(km) : 0, w.url)) ||
	    (err = xmlw_elem(&xml, "UploadIdMarker", um ? um : "")) ||
	    (err = text_elem(&xml, "NextKeyMarker", w.next_key, strlen(w.next_key), w.url)) ||
	    (err = xmlw_elem(&xml, "NextUploadIdMarker", w.next_id)) ||
	    (err = text_elem(&xml, "Prefix", w.prefix, strlen(w.prefix), w.url)) ||
	    (err = xmlw_elem_u64(&xml, "MaxUploads", w.max)) ||
	    (err = xmlw_elem(&xml, "IsTruncated", w.truncated ? "true" : "false")))
		goto out;
	if (w.delimiter[0] &&
	    (err = text_elem(&xml, "Delimiter", w.delimiter, strlen(w.delimiter), w.url)))
		goto out;
	if (w.url && (err = xmlw_elem(&xml, "EncodingType", "url")))
		goto out;
	if ((err = buf_add(&xml, buf_str(&body), body.len)) ||
	    (err = buf_add(&xml, buf_str(&w.prefixes), w.prefixes.len)) ||
	    (err = xmlw_close(&xml, "ListMultipartUploadsResult")))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	buf_free(&body);
	buf_free(&w.prefixes);
	return err;
}
