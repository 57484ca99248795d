/*
 * fuzz_sigv4_query: the presigned-URL parameters (sigv4_parse_query). The
 * input is a decoded query, "name=value" pairs separated by '&' (a pair
 * without '=' has the value ""), as the gateway hands them over.
 * Invariant: a query that parses has an expiry of 1..STRATA_PRESIGN_MAX_EXPIRES
 * seconds, a 16-character X-Amz-Date agreeing with the scope's date and a
 * 64-digit signature.
 */
#include "fuzz.h"

#include "../../common/sigv4.h"

#define MAX_PARAMS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_kv kv[MAX_PARAMS];
	struct sigv4_auth a;
	char *s = fuzz_cstr(data, size), *p = s, *amp, *eq;
	size_t n = 0;

	while (p && n < MAX_PARAMS) {
		amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		eq = strchr(p, '=');
		if (eq)
			*eq = '\0';
		kv[n].name = p;
		kv[n].value = eq ? eq + 1 : "";
		n++;
		p = amp ? amp + 1 : NULL;
	}
	memset(&a, 0x5a, sizeof(a));
	if (sigv4_parse_query(kv, n, &a) == S3E_OK) {
		FUZZ_CHECK(a.expires >= 1 && a.expires <= STRATA_PRESIGN_MAX_EXPIRES);
		FUZZ_CHECK(strnlen(a.amz_date, sizeof(a.amz_date)) == 16);
		FUZZ_CHECK(memcmp(a.amz_date, a.date, 8) == 0);
		FUZZ_CHECK(strnlen(a.signature, sizeof(a.signature)) == 64);
		FUZZ_CHECK(strnlen(a.access_key, sizeof(a.access_key)) < sizeof(a.access_key));
		FUZZ_CHECK(strnlen(a.region, sizeof(a.region)) < sizeof(a.region));
	}
	free(s);
	return 0;
}
