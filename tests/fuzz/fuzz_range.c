/*
 * fuzz_range: the Range header (range_parse) against objects of several
 * sizes. Invariant: a satisfiable range lies within the object
 * (first <= last < size), and a header parses the same way whatever the size
 * as far as ignoring it goes (RANGE_NONE depends on the syntax only).
 */
#include "fuzz.h"

#include "../../common/range.h"

static const uint64_t sizes[] = {
    0, 1, 2, 10, 100, 1000, 65536, UINT64_MAX / 2, UINT64_MAX - 1, UINT64_MAX};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct byte_range r;
	enum range_result res, first_res = RANGE_NONE;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&r, 0, sizeof(r));
		res = range_parse(s, sizes[i], &r);
		if (res == RANGE_OK) {
			FUZZ_CHECK(sizes[i] > 0);
			FUZZ_CHECK(r.first <= r.last);
			FUZZ_CHECK(r.last < sizes[i]);
		}
		if (i == 0)
			first_res = res;
		else
			FUZZ_CHECK((res == RANGE_NONE) == (first_res == RANGE_NONE));
	}
	free(s);
	return 0;
}
