/*
 * fuzz_httptime: the three date parsers (If-Modified-Since and friends,
 * x-amz-date, XML dates). Invariant: a date that parses formats back to a
 * string that parses to the same instant (the formatters and parsers agree
 * on every instant a parser can produce).
 */
#include "fuzz.h"

#include "../../common/httptime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char http[30], amz[17], iso[25];
	time_t t, back;

	if (httptime_parse_http(s, &t)) {
		httptime_format_http(t, http);
		FUZZ_CHECK(httptime_parse_http(http, &back) && back == t);
	}
	if (httptime_parse_amz(s, &t)) {
		httptime_format_amz(t, amz);
		FUZZ_CHECK(httptime_parse_amz(amz, &back) && back == t);
	}
	if (httptime_parse_iso(s, &t)) {
		httptime_format_iso_ms((int64_t)t * 1000, iso);
		FUZZ_CHECK(httptime_parse_iso(iso, &back) && back == t);
	}
	free(s);
	return 0;
}
