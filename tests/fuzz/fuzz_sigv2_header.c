/*
 * fuzz_sigv2_header: the legacy "AWS AKID:signature" Authorization header
 * (sigv2_parse_header). Invariant: a header that parses gives a non-empty
 * access key and signature, NUL-terminated within their arrays.
 */
#include "fuzz.h"

#include "../../common/sigv2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char ak[STRATA_MAX_ACCESS_KEY_LEN + 1], sig[64];

	memset(ak, 0x5a, sizeof(ak));
	memset(sig, 0x5a, sizeof(sig));
	if (sigv2_parse_header(s, ak, sig) == S3E_OK) {
		FUZZ_CHECK(strnlen(ak, sizeof(ak)) < sizeof(ak) && ak[0] != '\0');
		FUZZ_CHECK(strnlen(sig, sizeof(sig)) < sizeof(sig) && sig[0] != '\0');
	}
	free(s);
	return 0;
}
