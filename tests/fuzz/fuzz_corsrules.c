/*
 * fuzz_corsrules: PutBucketCors bodies (cors_parse) and the matching of a
 * request against them (cors_match, cors_headers). The input is the XML
 * body, then optionally a NUL byte and "origin\nmethod\nrequested headers"
 * for the matcher. Invariants: an error always comes with a message; what
 * parses renders (cors_to_xml) to XML that parses again and renders again
 * to the same bytes; a matched rule allows the method; every emitted header
 * has a name and a value.
 */
#include "fuzz.h"

#include "../../common/buf.h"
#include "../../common/corsrules.h"

static void check_header(void *ctx, const char *name, const char *value)
{
	(void)ctx;
	FUZZ_CHECK(name && name[0] && value);
}

/* Splits the matcher's part "origin\nmethod\nheaders" (each may be missing). */
static void match(const struct cors_config *c, char *q)
{
	char *method = strchr(q, '\n'), *headers = NULL;
	const struct cors_rule *rule;

	if (method) {
		*method++ = '\0';
		headers = strchr(method, '\n');
		if (headers)
			*headers++ = '\0';
	}
	rule = cors_match(c, q, method ? method : "GET", headers);
	if (!rule)
		return;
	FUZZ_CHECK(rule->method_mask & cors_method_bit(method ? method : "GET"));
	(void)cors_headers(rule, q, headers, true, check_header, NULL);
	(void)cors_headers(rule, q, NULL, false, check_header, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t xml_len = nul ? (size_t)(nul - data) : size;
	char msgbuf[CORS_MESSAGE_MAX];
	struct cors_config c, again;
	const char *msg = NULL;
	struct buf x1, x2;
	s3err_t err;
	char *q;

	fuzz_xml_init();
	err = cors_parse((const char *)data, xml_len, &c, &msg, msgbuf);
	if (err != S3E_OK) {
		FUZZ_CHECK(msg != NULL);
		return 0;
	}
	FUZZ_CHECK(c.nrules >= 1 && c.nrules <= CORS_MAX_RULES);
	buf_init(&x1, 4 * CORS_MAX_XML, S3E_InternalError);
	buf_init(&x2, 4 * CORS_MAX_XML, S3E_InternalError);
	FUZZ_CHECK(cors_to_xml(&c, &x1) == S3E_OK);
	FUZZ_CHECK(x1.len <= CORS_MAX_XML);
	msg = NULL;
	FUZZ_CHECK(cors_parse(x1.data, x1.len, &again, &msg, msgbuf) == S3E_OK);
	FUZZ_CHECK(again.nrules == c.nrules);
	FUZZ_CHECK(cors_to_xml(&again, &x2) == S3E_OK);
	FUZZ_CHECK(x1.len == x2.len && memcmp(x1.data, x2.data, x1.len) == 0);
	if (nul) {
		q = fuzz_cstr(nul + 1, size - xml_len - 1);
		match(&c, q);
		free(q);
	}
	cors_config_free(&again);
	buf_free(&x2);
	buf_free(&x1);
	cors_config_free(&c);
	return 0;
}
