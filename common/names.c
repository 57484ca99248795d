/*
 * names: bucket-name and object-key validation.
 *
 * A bucket name becomes a directory name, a virtual-hosted DNS label and a
 * SQL value; the AWS rules below make it safe for all three (no "/", no "..",
 * no uppercase that a case-insensitive host name would fold). Beyond the
 * header's list, ".-" and "-." are refused as well: legacy S3 rejected them,
 * and they make a name that cannot be a valid DNS label sequence for
 * virtual-hosted-style requests.
 *
 * A key is opaque bytes to S3; it only has to be UTF-8 of bounded length.
 * Making a key safe for the file system is the backend's job, not this one.
 */
#include "names.h"

#include <string.h>

#include "limits.h"
#include "strutil.h"

static const char *const reserved_prefixes[] = {"xn--", "sthree-", "amzn-s3-demo-"};
static const char *const reserved_suffixes[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3"};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool is_lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* strlen bounded by max + 1 (strnlen is POSIX, not C11). */
static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n])
		n++;
	return n;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/*
 * True when name is four dot-separated groups of digits ("192.168.5.4"),
 * which AWS refuses as "formatted as an IP address". Groups of any length
 * count ("999.1.1.1" is refused too): a name a resolver might take for an
 * address is never worth allowing.
 */
static bool looks_like_ipv4(const char *name, size_t len)
{
	size_t i, dots = 0, run = 0;

	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (run == 0)
				return false;
			dots++;
			run = 0;
		} else if (name[i] >= '0' && name[i] <= '9') {
			run++;
		} else {
			return false;
		}
	}
	return dots == 3 && run > 0;
}

/*
 * True if name (NUL-terminated, may be NULL) obeys the general-purpose
 * bucket naming rules in names.h, plus no ".-" / "-.".
 */
bool names_bucket_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = bounded_len(name, STRATA_BUCKET_NAME_MAX);
	if (len < STRATA_BUCKET_NAME_MIN || len > STRATA_BUCKET_NAME_MAX)
		return false;
	if (!is_lower_or_digit(name[0]) || !is_lower_or_digit(name[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!is_lower_or_digit(c) && c != '.' && c != '-')
			return false;
		if (i > 0 && name[i - 1] == '.' && (c == '.' || c == '-'))
			return false; /* ".." and ".-" */
		if (i > 0 && name[i - 1] == '-' && c == '.')
			return false; /* "-." */
	}
	if (looks_like_ipv4(name, len))
		return false;
	for (i = 0; i < ARRAY_LEN(reserved_prefixes); i++)
		if (strncmp(name, reserved_prefixes[i], strlen(reserved_prefixes[i])) == 0)
			return false;
	for (i = 0; i < ARRAY_LEN(reserved_suffixes); i++)
		if (ends_with(name, len, reserved_suffixes[i]))
			return false;
	return true;
}

/*
 * Checks key[0..len) (not necessarily NUL-terminated) as an object key.
 * Errors: S3E_InvalidArgument for NULL/empty, S3E_KeyTooLongError past
 * STRATA_MAX_KEY_LEN bytes (checked before content, as AWS reports length
 * first), S3E_InvalidArgument for a NUL byte or malformed UTF-8 (overlongs,
 * surrogates, code points past U+10FFFF, truncated sequences).
 */
s3err_t names_key_check(const char *key, size_t len)
{
	if (!key || len == 0)
		return S3E_InvalidArgument;
	if (len > STRATA_MAX_KEY_LEN)
		return S3E_KeyTooLongError;
	if (memchr(key, '\0', len))
		return S3E_InvalidArgument;
	if (!utf8_valid(key, len))
		return S3E_InvalidArgument;
	return S3E_OK;
}
