/*
 * strutil: bounded, overflow-checked helpers for untrusted text.
 *
 * Every parser of bytes a client chose goes through these (never sscanf,
 * atoi or an unchecked strtol). Outputs are written only on success.
 */
#ifndef STRATA_STRUTIL_H
#define STRATA_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "s3err.h"

/* Parses all of s[0..len) as a decimal uint64 in [min, max]. No sign, no spaces, no empty. */
bool parse_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);
/* Same for a NUL-terminated string. */
bool parse_u64_str(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parses all of s[0..len) as lowercase-or-uppercase hex uint64 in [0, max] (aws-chunked sizes). */
bool parse_hex_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/* Lowercase hex of n bytes into out (2n+1 bytes incl. NUL). */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly 2n hex chars into n bytes. */
bool hex_decode(const char *in, size_t inlen, uint8_t *out, size_t n);

/* Standard base64 with padding into out (needs 4*ceil(n/3)+1 bytes). Returns length. */
size_t base64_encode(const uint8_t *in, size_t n, char *out);
/*
 * Strict standard base64 decode (padding required, no whitespace) into out of
 * capacity cap. Returns false on bad input or overflow; *outlen = bytes.
 */
bool base64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap, size_t *outlen);

/*
 * AWS URI encoding (SigV4 rules): every byte except A-Z a-z 0-9 - _ . ~ is
 * %XX uppercase; '/' is kept when keep_slash. Appends to b.
 */
s3err_t uri_encode(struct buf *b, const char *s, size_t len, bool keep_slash);
/*
 * Percent-decodes s[0..len) into b. '+' stays '+' unless plus_is_space.
 * Errors: S3E_InvalidURI for a bad escape or an encoded NUL byte.
 */
s3err_t uri_decode(struct buf *b, const char *s, size_t len, bool plus_is_space);

/*
 * Walks a comma-separated header value: returns the next item of *p with the
 * spaces around it trimmed (*item, *len; an empty item has len 0) and moves
 * *p past it. Returns false when *p is at the end.
 */
bool str_next_item(const char **p, const char **item, size_t *len);

/* ASCII case-insensitive equality. */
bool str_ieq(const char *a, const char *b);
/* ASCII case-insensitive prefix test. */
bool str_istarts(const char *s, const char *prefix);
/* true if s starts with prefix (byte-wise). */
bool str_starts(const char *s, const char *prefix);
/* Copies src into dst[cap] if it fits (with NUL); false (dst untouched) otherwise. */
bool str_copy(char *dst, size_t cap, const char *src);
/*
 * Decodes the UTF-8 sequence at s[0..n): returns its length (1..4) and sets
 * *cp, or returns 0 when the bytes are not well-formed UTF-8 (overlong,
 * surrogate, above U+10FFFF, truncated, or n == 0).
 */
size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);
/* true if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

#endif
