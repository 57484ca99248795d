/*
 * fuzz_xmlin: the XML request bodies of common/xmlin.c, each input given to
 * every parser: DeleteObjects, CreateBucketConfiguration,
 * CompleteMultipartUpload, ServerSideEncryptionConfiguration (PutBucket-
 * Encryption) and RestoreRequest. An external entity or DTD load aborts
 * (fuzz.h). Invariants: what parses lies within the documented bounds
 * (counts, part numbers, NUL-terminated fields, AES256, Days >= 1).
 */
#include "fuzz.h"

#include "../../common/xmlin.h"

static void check_delete(const char *body, size_t len)
{
	struct delete_request r;
	size_t i;

	if (xmlin_parse_delete(body, len, &r) != S3E_OK)
		return;
	FUZZ_CHECK(r.n >= 1 && r.n <= STRATA_MAX_DELETE_KEYS);
	for (i = 0; i < r.n; i++) {
		FUZZ_CHECK(r.objects[i].key && r.objects[i].key_len > 0);
		FUZZ_CHECK(strlen(r.objects[i].key) == r.objects[i].key_len);
	}
	xmlin_delete_free(&r);
}

static void check_complete(const char *body, size_t len)
{
	struct complete_request r;
	size_t i;

	if (xmlin_parse_complete(body, len, &r) != S3E_OK)
		return;
	FUZZ_CHECK(r.n >= 1 && r.n <= STRATA_MAX_PARTS);
	for (i = 0; i < r.n; i++) {
		const struct complete_item *p = &r.parts[i];

		FUZZ_CHECK(p->number >= 1 && p->number <= 10000);
		FUZZ_CHECK(strnlen(p->etag, sizeof(p->etag)) < sizeof(p->etag));
		FUZZ_CHECK(strnlen(p->checksum_algo, sizeof(p->checksum_algo)) <
			   sizeof(p->checksum_algo));
		FUZZ_CHECK(strnlen(p->checksum_b64, sizeof(p->checksum_b64)) <
			   sizeof(p->checksum_b64));
	}
	xmlin_complete_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char region[64];
	struct encryption_config enc;
	struct restore_request rest;

	fuzz_xml_init();
	check_delete(body, size);
	check_complete(body, size);
	memset(region, 0x5a, sizeof(region));
	if (xmlin_parse_create_bucket(body, size, region, sizeof(region)) == S3E_OK)
		FUZZ_CHECK(strnlen(region, sizeof(region)) < sizeof(region));
	if (xmlin_parse_encryption(body, size, &enc) == S3E_OK)
		FUZZ_CHECK(strcmp(enc.algorithm, "AES256") == 0);
	if (xmlin_parse_restore(body, size, &rest) == S3E_OK) {
		FUZZ_CHECK(rest.days >= 1);
		FUZZ_CHECK(strnlen(rest.tier, sizeof(rest.tier)) < sizeof(rest.tier));
	}
	return 0;
}
