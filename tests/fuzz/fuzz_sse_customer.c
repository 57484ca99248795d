/*
 * fuzz_sse_customer: the three SSE-C request headers (sse_parse_customer).
 * Input: lines algorithm, key (base64), key MD5 (base64); an empty or
 * missing line is an absent header. Invariants: an error comes with a
 * message; a success means AES256 and a key whose base64 is exactly the
 * header sent (strict decoding: one spelling per key).
 */
#include "fuzz.h"

#include "../../common/sse.h"
#include "../../common/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *lines[3] = {NULL}, *p = s, *nl;
	uint8_t key[SSE_KEY_SIZE];
	char b64[4 * ((SSE_KEY_SIZE + 2) / 3) + 1];
	const char *msg = NULL;
	size_t i;

	for (i = 0; i < 3 && p; i++) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lines[i] = *p ? p : NULL;
		p = nl ? nl + 1 : NULL;
	}
	if (lines[0] || lines[1] || lines[2]) {
		if (sse_parse_customer(lines[0], lines[1], lines[2], key, &msg) == S3E_OK) {
			FUZZ_CHECK(lines[0] && strcmp(lines[0], "AES256") == 0);
			base64_encode(key, sizeof(key), b64);
			FUZZ_CHECK(lines[1] && strcmp(lines[1], b64) == 0);
		} else {
			FUZZ_CHECK(msg != NULL);
		}
	}
	free(s);
	return 0;
}
