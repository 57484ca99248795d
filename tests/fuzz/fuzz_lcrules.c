/*
 * fuzz_lcrules: PutBucketLifecycleConfiguration bodies (lc_parse).
 * Invariants: an error always comes with a message; a configuration that
 * parses renders (lc_to_xml) to XML that parses again, and renders again to
 * the same bytes (the rendering is canonical and loses nothing).
 */
#include "fuzz.h"

#include "../../common/buf.h"
#include "../../common/lcrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lc_config c, again;
	struct buf x1, x2;
	const char *msg = NULL;
	s3err_t err;

	fuzz_xml_init();
	err = lc_parse((const char *)data, size, &c, &msg);
	if (err != S3E_OK) {
		FUZZ_CHECK(msg != NULL);
		return 0;
	}
	FUZZ_CHECK(c.nrules >= 1 && c.nrules <= LC_MAX_RULES);
	buf_init(&x1, 4 * LC_MAX_XML, S3E_InternalError);
	buf_init(&x2, 4 * LC_MAX_XML, S3E_InternalError);
	FUZZ_CHECK(lc_to_xml(&c, &x1) == S3E_OK);
	/* lc_parse promises that what it accepts renders within its own cap. */
	FUZZ_CHECK(x1.len <= LC_MAX_XML);
	msg = NULL;
	err = lc_parse(x1.data, x1.len, &again, &msg);
	if (err != S3E_OK)
		fprintf(stderr, "re-parse: %d %s\n%.*s\n", (int)err, msg ? msg : "", (int)x1.len,
			x1.data);
	FUZZ_CHECK(err == S3E_OK);
	FUZZ_CHECK(again.nrules == c.nrules);
	FUZZ_CHECK(lc_to_xml(&again, &x2) == S3E_OK);
	FUZZ_CHECK(x1.len == x2.len && memcmp(x1.data, x2.data, x1.len) == 0);
	lc_config_free(&again);
	buf_free(&x2);
	buf_free(&x1);
	lc_config_free(&c);
	return 0;
}
