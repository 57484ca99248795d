/*
 * fuzz_names: bucket names and object keys (common/names.c), checked before
 * they reach a path or an SQL statement. The key is the raw bytes (NULs
 * included); the bucket name the same bytes as a C string.
 * Invariants: a valid bucket name is 3..63 bytes of [a-z0-9.-], neither
 * starting nor ending with '.' or '-', without ".."; a valid key is
 * 1..1024 bytes without NUL.
 */
#include "fuzz.h"

#include "../../common/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	size_t n = strlen(s), i;
	s3err_t err;

	if (names_bucket_valid(s)) {
		FUZZ_CHECK(n >= 3 && n <= 63);
		for (i = 0; i < n; i++)
			FUZZ_CHECK((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
				   s[i] == '.' || s[i] == '-');
		FUZZ_CHECK(s[0] != '.' && s[0] != '-' && s[n - 1] != '.' && s[n - 1] != '-');
		FUZZ_CHECK(strstr(s, "..") == NULL);
	}
	err = names_key_check((const char *)data, size);
	if (err == S3E_OK)
		FUZZ_CHECK(size >= 1 && size <= 1024 && memchr(data, '\0', size) == NULL);
	else
		FUZZ_CHECK(err == S3E_KeyTooLongError || err == S3E_InvalidArgument);
	free(s);
	return 0;
}
