/*
 * fuzz_sigv4_header: the Authorization header of a SigV4 request
 * (sigv4_parse_header), the first bytes of an unauthenticated request the
 * gateway reads. Invariant: a header that parses gives NUL-terminated
 * fields, an 8-digit date and a signature of 64 lowercase hex digits.
 */
#include "fuzz.h"

#include "../../common/sigv4.h"

static int is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_auth a;
	char *s = fuzz_cstr(data, size);
	size_t i;

	memset(&a, 0x5a, sizeof(a)); /* a field the parser forgets to end shows up in strlen */
	if (sigv4_parse_header(s, &a) == S3E_OK) {
		FUZZ_CHECK(strnlen(a.access_key, sizeof(a.access_key)) < sizeof(a.access_key));
		FUZZ_CHECK(strnlen(a.region, sizeof(a.region)) < sizeof(a.region));
		FUZZ_CHECK(strnlen(a.service, sizeof(a.service)) < sizeof(a.service));
		FUZZ_CHECK(strnlen(a.signed_headers, sizeof(a.signed_headers)) <
			   sizeof(a.signed_headers));
		FUZZ_CHECK(strnlen(a.date, sizeof(a.date)) == 8);
		FUZZ_CHECK(strnlen(a.signature, sizeof(a.signature)) == 64);
		for (i = 0; i < 64; i++)
			FUZZ_CHECK(is_lower_hex(a.signature[i]));
	}
	free(s);
	return 0;
}
