/*
 * range: one RFC 9110 bytes range, resolved against the object size.
 *
 * Outcomes, in the order they are decided:
 *   1. Not "bytes=" + one syntactically valid range-spec (garbage, another
 *      unit, several ranges, first > last, whitespace inside) -> RANGE_NONE.
 *      AWS serves the whole object in those cases; so does RFC 9110 14.2,
 *      which tells a server to ignore a Range it does not understand.
 *   2. Valid but selecting nothing -> RANGE_UNSATISFIABLE: first-pos at or
 *      past the end, a suffix of 0, or any range on an empty object (AWS
 *      answers 416 InvalidRange there even for "bytes=0-" and "bytes=-n";
 *      a 206 could not express an empty inclusive range anyway).
 *   3. Otherwise RANGE_OK with last clamped to size - 1 and a suffix longer
 *      than the object meaning the whole object.
 *
 * Numbers are digit strings of any length: one too large for uint64 cannot
 * overflow, it saturates to UINT64_MAX, which is past any real object's end
 * (so "bytes=0-99999999999999999999999" is the whole object and a huge
 * first-pos is unsatisfiable, as the RFC's arithmetic would have it).
 */
#include "range.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * Parses s[0..len) as 1*DIGIT, saturating at UINT64_MAX. false for an
 * empty string or any non-digit (signs, spaces, hex).
 */
static bool parse_pos(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* The range unit token is case-insensitive (RFC 9110 14.1). */
static bool starts_bytes_eq(const char *s)
{
	static const char unit[] = "bytes=";
	size_t i;

	for (i = 0; i < sizeof(unit) - 1; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != unit[i])
			return false;
	}
	return true;
}

/*
 * Parses a Range header (NULL when absent) against an object of `size`
 * bytes. *out is written only for RANGE_OK; see the top of this file for
 * which inputs give which result.
 */
enum range_result range_parse(const char *hdr, uint64_t size, struct byte_range *out)
{
	const char *spec, *dash;
	size_t len, flen, llen;
	uint64_t first, last, n;

	if (!hdr || !starts_bytes_eq(hdr))
		return RANGE_NONE;
	spec = hdr + 6;
	len = strlen(spec);
	dash = memchr(spec, '-', len);
	if (!dash)
		return RANGE_NONE;
	flen = (size_t)(dash - spec);
	llen = len - flen - 1;

	if (flen == 0) {
		/* suffix-range "-n": the last n bytes */
		if (!parse_pos(dash + 1, llen, &n))
			return RANGE_NONE;
		if (n == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		out->first = n >= size ? 0 : size - n;
		out->last = size - 1;
		return RANGE_OK;
	}

	/* int-range "a-b" or "a-" */
	if (!parse_pos(spec, flen, &first))
		return RANGE_NONE;
	if (llen == 0) {
		last = UINT64_MAX;
	} else {
		if (!parse_pos(dash + 1, llen, &last))
			return RANGE_NONE;
		if (first > last)
			return RANGE_NONE; /* invalid range-spec: ignored, not 416 */
	}
	if (first >= size)
		return RANGE_UNSATISFIABLE;
	out->first = first;
	out->last = last < size ? last : size - 1;
	return RANGE_OK;
}
