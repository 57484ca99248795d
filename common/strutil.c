/*
 * strutil: bounded, overflow-checked helpers for untrusted text.
 *
 * None of these trust a terminator they were not told about: every parser
 * takes an explicit length and looks at no byte past it.
 */
#include "strutil.h"

#include <string.h>

static const char hexdig_lower[] = "0123456789abcdef";
static const char hexdig_upper[] = "0123456789ABCDEF";
static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of one hex digit (either case), or -1. */
static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Value of one base64 alphabet character, or -1 (padding is not in the alphabet). */
static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * Decimal parse of exactly s[0..len). Overflow is checked before each
 * multiply-add so a 30-digit Content-Length is rejected, not wrapped.
 */
bool parse_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s || len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned d;

		if (c < '0' || c > '9')
			return false;
		d = (unsigned)(c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* NUL-terminated convenience form of parse_u64. */
bool parse_u64_str(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s)
		return false;
	return parse_u64(s, strlen(s), min, max, out);
}

/*
 * Hex parse of exactly s[0..len), bounded by max. Leading zeros are allowed
 * (aws-chunked writers pad sizes), so the bound is on the value, not on len.
 */
bool parse_hex_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s || len == 0)
		return false;
	for (i = 0; i < len; i++) {
		int d = hexval((unsigned char)s[i]);

		if (d < 0)
			return false;
		if (v > (UINT64_MAX >> 4))
			return false;
		v = (v << 4) | (uint64_t)d;
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* Lowercase hex; out must hold 2n+1 bytes. */
void hex_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig_lower[in[i] >> 4];
		out[2 * i + 1] = hexdig_lower[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* Decodes exactly 2n hex digits; out is written only when all of them are valid. */
bool hex_decode(const char *in, size_t inlen, uint8_t *out, size_t n)
{
	size_t i;

	if (!in || n > SIZE_MAX / 2 || inlen != 2 * n)
		return false;
	for (i = 0; i < inlen; i++)
		if (hexval((unsigned char)in[i]) < 0)
			return false;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(((unsigned)hexval((unsigned char)in[2 * i]) << 4) |
				   (unsigned)hexval((unsigned char)in[2 * i + 1]));
	return true;
}

/* RFC 4648 section 4 base64 with '=' padding; out needs 4*ceil(n/3)+1 bytes. */
size_t base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/*
 * Strict decode: length a multiple of 4, padding only at the very end, and
 * the unused low bits before padding must be zero. Being strict means one
 * digest has exactly one accepted spelling (Content-MD5, x-amz-checksum-*).
 * The result is assembled in place only after the size check, and *outlen is
 * set only on success; on failure out may hold partial bytes.
 */
bool base64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t i, o = 0, pad = 0, need;

	if (!in || inlen % 4 != 0)
		return false;
	if (inlen > 0 && in[inlen - 1] == '=')
		pad++;
	if (inlen > 1 && in[inlen - 2] == '=')
		pad++;
	need = inlen / 4 * 3 - pad;
	if (need > cap)
		return false;
	for (i = 0; i < inlen; i += 4) {
		int a = b64val((unsigned char)in[i]);
		int b = b64val((unsigned char)in[i + 1]);
		int c = b64val((unsigned char)in[i + 2]);
		int d = b64val((unsigned char)in[i + 3]);
		bool last = (i + 4 == inlen);

		if (a < 0 || b < 0)
			return false;
		if (last && pad == 2) {
			if (in[i + 2] != '=' || in[i + 3] != '=' || (b & 0x0f) != 0)
				return false;
			out[o++] = (uint8_t)((a << 2) | (b >> 4));
			break;
		}
		if (c < 0)
			return false;
		if (last && pad == 1) {
			if (in[i + 3] != '=' || (c & 0x03) != 0)
				return false;
			out[o++] = (uint8_t)((a << 2) | (b >> 4));
			out[o++] = (uint8_t)(((b & 0x0f) << 4) | (c >> 2));
			break;
		}
		if (d < 0)
			return false;
		out[o++] = (uint8_t)((a << 2) | (b >> 4));
		out[o++] = (uint8_t)(((b & 0x0f) << 4) | (c >> 2));
		out[o++] = (uint8_t)(((c & 0x03) << 6) | d);
	}
	*outlen = o;
	return true;
}

/*
 * SigV4 UriEncode: RFC 3986 unreserved characters pass through, everything
 * else (including every byte >= 0x80 of UTF-8) becomes %XX with uppercase
 * hex. Runs of unreserved bytes are appended in one call to keep it cheap.
 */
s3err_t uri_encode(struct buf *b, const char *s, size_t len, bool keep_slash)
{
	s3err_t err = S3E_OK;
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash))
			continue;
		if (i > run) {
			err = buf_add(b, s + run, i - run);
			if (err)
				goto out;
		}
		esc[0] = '%';
		esc[1] = hexdig_upper[c >> 4];
		esc[2] = hexdig_upper[c & 0x0f];
		err = buf_add(b, esc, sizeof(esc));
		if (err)
			goto out;
		run = i + 1;
	}
	if (len > run)
		err = buf_add(b, s + run, len - run);
out:
	return err;
}

/*
 * Percent-decoding. An encoded NUL is refused because every later consumer
 * (object keys, paths, SQL text) treats NUL as the end of the string, which
 * would let "a%00b" alias "a".
 */
s3err_t uri_decode(struct buf *b, const char *s, size_t len, bool plus_is_space)
{
	s3err_t err = S3E_OK;
	size_t i = 0, run;

	while (i < len) {
		unsigned char c;

		/* Bytes that stand for themselves go in one append per run (a presigned query). */
		run = i;
		while (run < len && s[run] != '%' && s[run] != '\0' &&
		       !(plus_is_space && s[run] == '+'))
			run++;
		if (run > i) {
			err = buf_add(b, s + i, run - i);
			if (err)
				goto out;
			i = run;
			continue;
		}
		c = (unsigned char)s[i];
		if (c == '\0') {
			err = S3E_InvalidURI;
			goto out;
		}
		if (c == '+') { /* only stops a run when plus_is_space */
			c = ' ';
			i++;
		} else {
			int hi, lo;

			if (len - i < 3) {
				err = S3E_InvalidURI;
				goto out;
			}
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				err = S3E_InvalidURI;
				goto out;
			}
			c = (unsigned char)((hi << 4) | lo);
			i += 3;
		}
		err = buf_add(b, &c, 1);
		if (err)
			goto out;
	}
out:
	return err;
}

/* ASCII-only case folding: header and parameter names are ASCII by definition. */
bool str_next_item(const char **p, const char **item, size_t *len)
{
	const char *s = *p, *e;

	if (!*s)
		return false;
	e = s + strcspn(s, ",");
	*p = *e == ',' ? e + 1 : e;
	while (s < e && *s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		e--;
	*item = s;
	*len = (size_t)(e - s);
	return true;
}

bool str_ieq(const char *a, const char *b)
{
	while (*a && *b) {
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
	return *a == *b;
}

bool str_istarts(const char *s, const char *prefix)
{
	while (*prefix) {
		if (!*s || ascii_lower((unsigned char)*s) != ascii_lower((unsigned char)*prefix))
			return false;
		s++;
		prefix++;
	}
	return true;
}

bool str_starts(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0;
}

bool str_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/*
 * UTF-8 per RFC 3629 table 2-style ranges: rejects overlong forms, UTF-16
 * surrogates (U+D800..U+DFFF), code points above U+10FFFF, and truncated
 * sequences. Object keys must be valid UTF-8, as on AWS.
 */
size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		v = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		v = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = utf8_seq(p + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}
