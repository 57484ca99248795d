/*
 * fuzz_s3client_xml: the documents a remote S3 store answers the s3
 * backend with (backends/s3client_xml.c), each input given to every parser:
 * ListObjectsV2, ListMultipartUploads, ListBuckets, InitiateMultipartUpload,
 * the three ETag results and Error. A remote is untrusted: a broken or
 * hostile one must get S3E_InternalError, never memory errors.
 * Invariants: visitors see NUL-terminated keys of the stated length; a page
 * reports as many entries as were visited; text fields stay in their arrays.
 */
#include "fuzz.h"

#include "../../backends/s3client.h"

struct seen {
	unsigned objects, prefixes, uploads, buckets;
};

static s3err_t on_object(void *arg, const struct s3c_object *o)
{
	struct seen *s = arg;

	FUZZ_CHECK(o->key && strlen(o->key) == o->key_len);
	FUZZ_CHECK(o->etag && o->storage_class);
	s->objects++;
	return S3E_OK;
}

static s3err_t on_prefix(void *arg, const char *prefix, size_t len)
{
	struct seen *s = arg;

	FUZZ_CHECK(prefix && strlen(prefix) == len);
	s->prefixes++;
	return S3E_OK;
}

static s3err_t on_upload(void *arg, const struct s3c_upload *u)
{
	struct seen *s = arg;

	FUZZ_CHECK(u->key && strlen(u->key) == u->key_len && u->upload_id);
	s->uploads++;
	return S3E_OK;
}

static s3err_t on_bucket(void *arg, const char *name, int64_t created_ms)
{
	struct seen *s = arg;

	(void)created_ms;
	FUZZ_CHECK(name != NULL);
	s->buckets++;
	return S3E_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const roots[] = {"CompleteMultipartUploadResult", "CopyObjectResult",
					    "CopyPartResult"};
	const char *xml = (const char *)data;
	struct seen s = {0};
	struct s3c_list_params lp = {.on_object = on_object, .on_prefix = on_prefix, .arg = &s};
	struct s3c_mpu_list_params mp = {.on_upload = on_upload, .arg = &s};
	struct s3c_list_page page;
	struct s3c_mpu_list_page mpage;
	static struct s3c_result res;
	char id[S3C_MAX_UPLOAD_ID], etag[S3C_MAX_ETAG];
	size_t i;

	fuzz_xml_init();
	if (s3c_parse_list_v2(xml, size, &lp, &page) == S3E_OK) {
		FUZZ_CHECK(page.objects == s.objects && page.prefixes == s.prefixes);
		FUZZ_CHECK(strnlen(page.next_token, sizeof(page.next_token)) <
			   sizeof(page.next_token));
		FUZZ_CHECK(!page.truncated || page.next_token[0] != '\0');
	}
	if (s3c_parse_mpu_list(xml, size, &mp, &mpage) == S3E_OK) {
		FUZZ_CHECK(mpage.uploads == s.uploads);
		FUZZ_CHECK(strnlen(mpage.next_key_marker, sizeof(mpage.next_key_marker)) <
			   sizeof(mpage.next_key_marker));
	}
	(void)s3c_parse_bucket_list(xml, size, on_bucket, &s);
	if (s3c_parse_initiate(xml, size, id) == S3E_OK)
		FUZZ_CHECK(strnlen(id, sizeof(id)) < sizeof(id) && id[0] != '\0');
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (s3c_parse_etag_result(xml, size, roots[i], etag) == S3E_OK)
			FUZZ_CHECK(strnlen(etag, sizeof(etag)) < sizeof(etag));
	memset(&res, 0, sizeof(res));
	if (s3c_parse_error(xml, size, &res) == S3E_OK)
		FUZZ_CHECK(strnlen(res.code, sizeof(res.code)) < sizeof(res.code) &&
			   strnlen(res.message, sizeof(res.message)) < sizeof(res.message));
	return 0;
}
