/*
 * fuzz_strutil: the bounded helpers every other parser builds on
 * (common/strutil.c): decimal and hex numbers, hex, base64, percent-
 * decoding and UTF-8 checks, each against a plain reference or its inverse.
 * Invariants: parse_u64 and parse_hex_u64 agree with a digit-by-digit
 * reference; base64 and hex decoding are strict (re-encoding gives the
 * input back); uri_decode inverts uri_encode; a UTF-8 sequence utf8_seq
 * accepts is the shortest form of a scalar value (no overlong, no
 * surrogate, nothing past U+10FFFF).
 */
#include "fuzz.h"

#include "../../common/buf.h"
#include "../../common/strutil.h"

/* The reference: all of s[0..len) digits of `base`, no overflow, within max. */
static int ref_number(const char *s, size_t len, unsigned base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	unsigned d;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return 0;
		if (v > (UINT64_MAX - d) / base)
			return 0;
		v = v * base + d;
	}
	if (v > max)
		return 0;
	*out = v;
	return 1;
}

static void check_numbers(const char *s, size_t len)
{
	uint64_t got = 0, want = 0;
	int ok;

	ok = ref_number(s, len, 10, UINT64_MAX, &want);
	FUZZ_CHECK(parse_u64(s, len, 0, UINT64_MAX, &got) == (ok != 0));
	FUZZ_CHECK(!ok || got == want);
	ok = ref_number(s, len, 10, 1000, &want) && want >= 5;
	FUZZ_CHECK(parse_u64(s, len, 5, 1000, &got) == (ok != 0));
	ok = ref_number(s, len, 16, UINT64_MAX, &want);
	FUZZ_CHECK(parse_hex_u64(s, len, UINT64_MAX, &got) == (ok != 0));
	FUZZ_CHECK(!ok || got == want);
}

static void check_codecs(const char *s, size_t len)
{
	uint8_t bin[4096];
	char enc[4 * sizeof(bin) / 3 + 8];
	size_t n = 0;
	struct buf a, b;

	if (len <= sizeof(enc) - 1 && base64_decode(s, len, bin, sizeof(bin), &n)) {
		FUZZ_CHECK(base64_encode(bin, n, enc) == len);
		FUZZ_CHECK(memcmp(enc, s, len) == 0);
	}
	if (len % 2 == 0 && len / 2 <= sizeof(bin) && hex_decode(s, len, bin, len / 2)) {
		hex_encode(bin, len / 2, enc);
		FUZZ_CHECK(strncasecmp(enc, s, len) == 0);
	}
	buf_init(&a, 1u << 20, S3E_InternalError);
	buf_init(&b, 1u << 20, S3E_InternalError);
	if (memchr(s, '\0', len) == NULL) {
		FUZZ_CHECK(uri_encode(&a, s, len, len % 2 == 0) == S3E_OK);
		FUZZ_CHECK(uri_decode(&b, a.data ? a.data : "", a.len, false) == S3E_OK);
		FUZZ_CHECK(b.len == len && (len == 0 || memcmp(b.data, s, len) == 0));
	}
	buf_reset(&b);
	(void)uri_decode(&b, s, len, true);
	buf_free(&b);
	buf_free(&a);
}

static void check_utf8(const char *s, size_t len)
{
	static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = utf8_seq((const unsigned char *)s + i, len - i, &cp);
		if (n == 0)
			break;
		FUZZ_CHECK(n <= 4 && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
		FUZZ_CHECK(cp >= min_cp[n] && (n == 4 || cp < min_cp[n + 1]));
		i += n;
	}
	FUZZ_CHECK(utf8_valid(s, len) == (i == len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	check_numbers(s, size);
	check_codecs(s, size);
	check_utf8(s, size);
	return 0;
}
