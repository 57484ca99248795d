/*
 * Unit tests for common/objwire.c: every obj_meta field round-trips (from
 * the empty meta to the largest legal one, which must fit OBJWIRE_MAX); the
 * encoding stays in the header-safe alphabet; pinned encodings keep objects
 * already stored remotely readable; and the decoder refuses every missing,
 * repeated, malformed, overlong or out-of-range field, every truncation
 * and every unknown version, leaving its outputs untouched, while byte-wise
 * garbage never crashes or leaks (the ASan build runs this too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/objwire.h"
#include "../../common/sse.h"
#include "../../common/strutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The required fields, valid, for building decoder inputs by hand. */
#define REQ_ITEMS "sz=1;mt=2;et=abc;ss=3;fi=000102030405060708090a0b0c0d0e0f"
#define BASE "v1;" REQ_ITEMS

static const uint8_t file_id_a[OBJWIRE_FILE_ID_SIZE] = {0, 1, 2,  3,  4,  5,  6,  7,
							8, 9, 10, 11, 12, 13, 14, 15};

/* --- building metas --- */

/* The smallest legal meta: zeros, an etag, no blob. */
static void build_minimal(struct obj_meta *m, struct objwire_extra *x)
{
	obj_meta_init(m);
	memset(x, 0, sizeof(*x));
	strcpy(m->etag, "e");
}

/* A plain single PUT with a checksum and two headers. */
static void build_typical(struct obj_meta *m, struct objwire_extra *x)
{
	obj_meta_init(m);
	memset(x, 0, sizeof(*x));
	m->size = 11;
	m->mtime_ms = 1700000000123;
	strcpy(m->etag, "5eb63bbbe01eeed093cb22bb8f5acdc3");
	strcpy(m->sha256_hex, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
	strcpy(m->checksum_algo, "CRC32");
	strcpy(m->checksum_b64, "DUoRhQ==");
	strcpy(m->checksum_type, "FULL_OBJECT");
	strcpy(m->storage_class, "STANDARD_IA");
	assert_int_equal(obj_meta_add_header(m, "content-type", "text/plain"), S3E_OK);
	assert_int_equal(obj_meta_add_header(m, "x-amz-meta-a", "b"), S3E_OK);
	memcpy(x->file_id, file_id_a, sizeof(x->file_id));
	x->stored_size = 43;
}

/*
 * Adds header pairs (UTF-8, spaces, the format's own ;=% bytes) until the
 * blob is exactly STRATA_MAX_STORED_HEADERS bytes.
 */
static void fill_headers(struct obj_meta *m)
{
	static const char utf8[] = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 a;b=c%d ";
	char name[32], value[512];
	size_t left;
	int i;

	for (i = 0;; i++) {
		left = STRATA_MAX_STORED_HEADERS - m->headers_len;
		if (left < 300)
			break;
		snprintf(name, sizeof(name), "x-amz-meta-k%d", i);
		snprintf(value, sizeof(value), "%s%s%d", utf8, utf8, i);
		assert_int_equal(obj_meta_add_header(m, name, value), S3E_OK);
	}
	/* The last pair pads to the cap exactly: name NUL value NUL. */
	strcpy(name, "x-amz-meta-last");
	memset(value, 'z', sizeof(value));
	value[left - strlen(name) - 2] = '\0';
	assert_int_equal(obj_meta_add_header(m, name, value), S3E_OK);
	assert_int_equal(m->headers_len, STRATA_MAX_STORED_HEADERS);
}

/* Every field set: a completed multipart SSE-S3 object being restored. */
static void build_maximal(struct obj_meta *m, struct objwire_extra *x)
{
	size_t i;

	build_typical(m, x);
	obj_meta_clear_headers(m);
	m->size = 5ull * 1024 * 1024 * 1024 * 1024;
	strcpy(m->etag, "d41d8cd98f00b204e9800998ecf8427e-10000");
	strcpy(m->checksum_algo, "SHA256");
	strcpy(m->checksum_b64, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
	strcpy(m->checksum_type, "COMPOSITE");
	strcpy(m->storage_class, "GLACIER");
	m->verified_ms = 1700000999999;
	m->parts_count = STRATA_MAX_PARTS;
	m->restore_state = RESTORE_DONE;
	m->restore_until_ms = 1800000000000;
	m->sse_mode = SSE_S3;
	strcpy(m->sse_key_id, "k2024-01");
	for (i = 0; i < 60; i++)
		m->sse_envelope[i] = (uint8_t)(i * 37 + 1);
	m->sse_envelope_len = 60;
	fill_headers(m);
	x->stored_size = m->size + 83886080ull * 32;
}

/* A text field at its longest, every byte one that must be escaped. */
static void fill_escaped(char *dst, size_t cap, unsigned seed)
{
	size_t i;

	for (i = 0; i + 1 < cap; i++)
		dst[i] = (char)(0x80 + (seed + i) % 0x7f);
	dst[cap - 1] = '\0';
}

/* The largest legal meta: every field at its longest encoding. */
static void build_worst(struct obj_meta *m, struct objwire_extra *x)
{
	build_maximal(m, x);
	m->size = INT64_MAX;
	m->mtime_ms = INT64_MAX;
	m->verified_ms = INT64_MAX;
	m->restore_until_ms = INT64_MAX;
	m->sse_mode = SSE_C;
	fill_escaped(m->etag, sizeof(m->etag), 1);
	fill_escaped(m->checksum_algo, sizeof(m->checksum_algo), 2);
	fill_escaped(m->checksum_b64, sizeof(m->checksum_b64), 3);
	fill_escaped(m->checksum_type, sizeof(m->checksum_type), 4);
	fill_escaped(m->storage_class, sizeof(m->storage_class), 5);
	fill_escaped(m->sse_key_id, sizeof(m->sse_key_id), 6);
	memset(m->sse_envelope, 0xee, sizeof(m->sse_envelope));
	m->sse_envelope_len = STRATA_SSE_ENVELOPE_MAX;
	memset(x->file_id, 0xff, sizeof(x->file_id));
	x->stored_size = INT64_MAX;
}

typedef void (*builder_fn)(struct obj_meta *m, struct objwire_extra *x);

static const struct {
	const char *name;
	builder_fn build;
} builders[] = {
    {"minimal", build_minimal},
    {"typical", build_typical},
    {"maximal", build_maximal},
    {"worst", build_worst},
};

/* --- helpers --- */

static void assert_meta_equal(const struct obj_meta *a, const struct objwire_extra *ax,
			      const struct obj_meta *b, const struct objwire_extra *bx)
{
	assert_true(a->size == b->size);
	assert_true(a->mtime_ms == b->mtime_ms);
	assert_string_equal(a->etag, b->etag);
	assert_string_equal(a->sha256_hex, b->sha256_hex);
	assert_string_equal(a->checksum_algo, b->checksum_algo);
	assert_string_equal(a->checksum_b64, b->checksum_b64);
	assert_string_equal(a->storage_class, b->storage_class);
	assert_string_equal(a->checksum_type, b->checksum_type);
	assert_true(a->verified_ms == b->verified_ms);
	assert_int_equal(a->parts_count, b->parts_count);
	assert_int_equal(a->restore_state, b->restore_state);
	assert_true(a->restore_until_ms == b->restore_until_ms);
	assert_int_equal(a->sse_mode, b->sse_mode);
	assert_string_equal(a->sse_key_id, b->sse_key_id);
	assert_int_equal(a->sse_envelope_len, b->sse_envelope_len);
	assert_memory_equal(a->sse_envelope, b->sse_envelope, a->sse_envelope_len);
	assert_int_equal(a->headers_len, b->headers_len);
	if (a->headers_len)
		assert_memory_equal(a->headers, b->headers, a->headers_len);
	else
		assert_true(a->headers == NULL && b->headers == NULL);
	assert_memory_equal(ax->file_id, bx->file_id, sizeof(ax->file_id));
	assert_true(ax->stored_size == bx->stored_size);
}

/* The format's alphabet (objwire.h); no space anywhere, so none at the ends. */
static void assert_header_safe(const char *s, size_t len)
{
	static const char extra[] = ";=%-_.~+/";
	size_t i;

	assert_true(len > 0 && len <= OBJWIRE_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || (c != '\0' && strchr(extra, c));

		if (!ok)
			fail_msg("byte 0x%02x at %zu is outside the alphabet", c, i);
	}
}

/* Encodes into a fresh buffer (capped at OBJWIRE_MAX); the caller frees it. */
static void encode_ok(const struct obj_meta *m, const struct objwire_extra *x, struct buf *b)
{
	buf_init(b, OBJWIRE_MAX, S3E_MetadataTooLarge);
	assert_int_equal(objwire_encode(m, x, b), S3E_OK);
	assert_header_safe(b->data, b->len);
}

/*
 * Decodes s[0..len) into a sentinel-filled m and x and checks the verdict:
 * a refusal leaves both byte for byte as they were.
 */
static void expect_reject(const char *s, size_t len)
{
	struct obj_meta m, m0;
	struct objwire_extra x, x0;

	memset(&m, 0xa5, sizeof(m));
	m.headers = NULL;
	m.headers_len = 0;
	memset(&x, 0x5a, sizeof(x));
	memcpy(&m0, &m, sizeof(m));
	memcpy(&x0, &x, sizeof(x));
	if (objwire_decode(s, len, &m, &x) != S3E_InternalError)
		fail_msg("accepted: %.*s", (int)(len > 300 ? 300 : len), s);
	assert_memory_equal(&m, &m0, sizeof(m));
	assert_memory_equal(&x, &x0, sizeof(x));
}

static void expect_reject_str(const char *s)
{
	expect_reject(s, strlen(s));
}

static void expect_accept_str(const char *s, struct obj_meta *m, struct objwire_extra *x)
{
	obj_meta_init(m);
	memset(x, 0, sizeof(*x));
	if (objwire_decode(s, strlen(s), m, x) != S3E_OK)
		fail_msg("refused: %s", s);
}

/*
 * What a decoder may do with any input: refuse it cleanly, or accept it
 * into a meta that encodes and decodes to itself again.
 */
static void expect_consistent(const char *s, size_t len)
{
	struct obj_meta m, m2;
	struct objwire_extra x, x2;
	struct buf b;

	obj_meta_init(&m);
	memset(&x, 0, sizeof(x));
	if (objwire_decode(s, len, &m, &x) != S3E_OK) {
		expect_reject(s, len);
		return;
	}
	encode_ok(&m, &x, &b);
	obj_meta_init(&m2);
	assert_int_equal(objwire_decode(b.data, b.len, &m2, &x2), S3E_OK);
	assert_meta_equal(&m, &x, &m2, &x2);
	buf_free(&b);
	obj_meta_free(&m);
	obj_meta_free(&m2);
}

/* --- round trips --- */

static void test_roundtrip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(builders); i++) {
		struct obj_meta m, d;
		struct objwire_extra x, dx;
		struct buf b, b2;
		char *exact;

		builders[i].build(&m, &x);
		encode_ok(&m, &x, &b);
		obj_meta_init(&d);
		memset(&dx, 0, sizeof(dx));
		/* Decoded from an unterminated copy of its exact size. */
		exact = malloc(b.len);
		assert_non_null(exact);
		memcpy(exact, b.data, b.len);
		assert_int_equal(objwire_decode(exact, b.len, &d, &dx), S3E_OK);
		free(exact);
		assert_meta_equal(&m, &x, &d, &dx);
		/* The headers blob is the decoder's own allocation. */
		assert_true(d.headers == NULL || d.headers != m.headers);
		/* Deterministic: the decoded meta encodes to the same bytes. */
		encode_ok(&d, &dx, &b2);
		assert_int_equal(b.len, b2.len);
		assert_memory_equal(b.data, b2.data, b.len);
		buf_free(&b);
		buf_free(&b2);
		obj_meta_free(&m);
		obj_meta_free(&d);
	}
}

/* The largest legal meta fits one header value, and is as long as the header says. */
static void test_worst_fits(void **state)
{
	struct obj_meta m;
	struct objwire_extra x;
	struct buf b;
	size_t expect = 2 + 18 * 4 + 4	     /* v1, ";kk=" x 18, ";end" */
			+ 5 * 19 + 5 + 1 + 1 /* numbers */
			+ 3 * (STRATA_ETAG_MAX - 1 + 15 + STRATA_CHECKSUM_B64_MAX - 1 + 15 +
			       STRATA_STORAGE_CLASS_MAX - 1 + STRATA_SSE_KEY_ID_MAX - 1) +
			64 + 32 + (STRATA_SSE_ENVELOPE_MAX + 2) / 3 * 4 +
			(STRATA_MAX_STORED_HEADERS + 2) / 3 * 4;

	(void)state;
	build_worst(&m, &x);
	encode_ok(&m, &x, &b);
	assert_int_equal(b.len, expect);
	assert_true(b.len <= OBJWIRE_MAX);
	buf_free(&b);
	obj_meta_free(&m);
}

/* Objects already stored remotely must stay readable: the format is pinned. */
static void test_pinned(void **state)
{
	static const char minimal[] =
	    "v1;sz=0;mt=0;et=e;ss=0;fi=00000000000000000000000000000000;end";
	static const char typical[] =
	    "v1;sz=11;mt=1700000000123;et=5eb63bbbe01eeed093cb22bb8f5acdc3;ss=43;"
	    "fi=000102030405060708090a0b0c0d0e0f;"
	    "sh=b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9;ca=CRC32;"
	    "cv=DUoRhQ%3D%3D;ct=FULL_OBJECT;sc=STANDARD_IA;"
	    "hd=Y29udGVudC10eXBlAHRleHQvcGxhaW4AeC1hbXotbWV0YS1hAGIA;end";
	struct {
		const char *want;
		builder_fn build;
	} cases[] = {{minimal, build_minimal}, {typical, build_typical}};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct obj_meta m, d;
		struct objwire_extra x, dx;
		struct buf b;

		cases[i].build(&m, &x);
		encode_ok(&m, &x, &b);
		assert_string_equal(b.data, cases[i].want);
		expect_accept_str(cases[i].want, &d, &dx);
		assert_meta_equal(&m, &x, &d, &dx);
		buf_free(&b);
		obj_meta_free(&m);
		obj_meta_free(&d);
	}
}

/* --- the encoder --- */

/* It appends, and a refusal (its own or out's cap) leaves out as it was. */
static void test_encode_append_and_cap(void **state)
{
	struct obj_meta m;
	struct objwire_extra x;
	struct buf b;

	(void)state;
	build_typical(&m, &x);
	buf_init(&b, 64, S3E_MetadataTooLarge);
	assert_int_equal(buf_adds(&b, "prefix:"), S3E_OK);
	assert_int_equal(objwire_encode(&m, &x, &b), S3E_MetadataTooLarge);
	assert_string_equal(buf_str(&b), "prefix:");
	b.max = OBJWIRE_MAX;
	assert_int_equal(objwire_encode(&m, &x, &b), S3E_OK);
	assert_true(strncmp(b.data, "prefix:v1;sz=11;", 16) == 0);
	buf_free(&b);
	obj_meta_free(&m);
}

/* Bends one field of a typical meta out of what the decoder accepts. */
static void bad_etag_empty(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->etag[0] = '\0';
}
static void bad_etag_unterminated(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	memset(m->etag, 'a', sizeof(m->etag));
}
static void bad_class_unterminated(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	memset(m->storage_class, 'S', sizeof(m->storage_class));
}
static void bad_sha_short(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->sha256_hex[63] = '\0';
}
static void bad_sha_upper(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->sha256_hex[0] = 'B';
}
static void bad_mtime_negative(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->mtime_ms = -1;
}
static void bad_size_huge(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->size = (uint64_t)INT64_MAX + 1;
}
static void bad_stored_huge(struct obj_meta *m, struct objwire_extra *x)
{
	(void)m;
	x->stored_size = UINT64_MAX;
}
static void bad_parts(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->parts_count = STRATA_MAX_PARTS + 1;
}
static void bad_restore_state(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->restore_state = RESTORE_DONE + 1;
}
static void bad_sse_mode(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->sse_mode = -1;
}
static void bad_envelope_len(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->sse_envelope_len = STRATA_SSE_ENVELOPE_MAX + 1;
}
static void bad_headers_null(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	free(m->headers);
	m->headers = NULL;
}
static void bad_headers_odd(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->headers_len = strlen(m->headers) + 1; /* the name without its value */
}
static void bad_headers_unterminated(struct obj_meta *m, struct objwire_extra *x)
{
	(void)x;
	m->headers_len--;
}
static void bad_headers_over(struct obj_meta *m, struct objwire_extra *x)
{
	char *p = realloc(m->headers, STRATA_MAX_STORED_HEADERS + 2);

	(void)x;
	assert_non_null(p);
	memset(p, 'a', STRATA_MAX_STORED_HEADERS + 2);
	p[STRATA_MAX_STORED_HEADERS] = '\0';
	p[STRATA_MAX_STORED_HEADERS + 1] = '\0';
	m->headers = p;
	m->headers_len = STRATA_MAX_STORED_HEADERS + 2;
}

static void test_encode_refuses(void **state)
{
	static const struct {
		const char *name;
		builder_fn bend;
	} cases[] = {
	    {"empty etag", bad_etag_empty},
	    {"etag without NUL", bad_etag_unterminated},
	    {"storage class without NUL", bad_class_unterminated},
	    {"sha256 of 63", bad_sha_short},
	    {"sha256 uppercase", bad_sha_upper},
	    {"negative mtime", bad_mtime_negative},
	    {"size past INT64_MAX", bad_size_huge},
	    {"stored size past INT64_MAX", bad_stored_huge},
	    {"parts past the max", bad_parts},
	    {"restore state 3", bad_restore_state},
	    {"sse mode -1", bad_sse_mode},
	    {"envelope of 65", bad_envelope_len},
	    {"headers_len without blob", bad_headers_null},
	    {"a name without value", bad_headers_odd},
	    {"blob without final NUL", bad_headers_unterminated},
	    {"blob past the cap", bad_headers_over},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct obj_meta m;
		struct objwire_extra x;
		struct buf b;

		build_typical(&m, &x);
		cases[i].bend(&m, &x);
		buf_init(&b, OBJWIRE_MAX, S3E_MetadataTooLarge);
		if (objwire_encode(&m, &x, &b) != S3E_InternalError)
			fail_msg("encoded: %s", cases[i].name);
		assert_int_equal(b.len, 0);
		buf_free(&b);
		obj_meta_free(&m);
	}
}

/* --- the decoder: structure --- */

/* Splits an encoding at ';' into items (pointers into s). */
static size_t split_items(const char *s, size_t len, const char **it, size_t *il, size_t max)
{
	size_t n = 0, pos = 0;

	while (pos <= len && n < max) {
		const char *semi = memchr(s + pos, ';', len - pos);
		size_t l = semi ? (size_t)(semi - (s + pos)) : len - pos;

		it[n] = s + pos;
		il[n++] = l;
		pos += l + 1;
	}
	return n;
}

/* Joins items, leaving out item skip and repeating item dup (SIZE_MAX: none). */
static void join_items(struct buf *out, const char **it, const size_t *il, size_t n, size_t skip,
		       size_t dup)
{
	size_t i;

	buf_init(out, 2 * OBJWIRE_MAX, S3E_InternalError);
	for (i = 0; i < n; i++) {
		if (i == skip)
			continue;
		if (out->len)
			assert_int_equal(buf_add(out, ";", 1), S3E_OK);
		assert_int_equal(buf_add(out, it[i], il[i]), S3E_OK);
		if (i == dup) {
			assert_int_equal(buf_add(out, ";", 1), S3E_OK);
			assert_int_equal(buf_add(out, it[i], il[i]), S3E_OK);
		}
	}
}

/* Leaving out any required item (v1, end included) is refused; an optional one is not. */
static void test_missing_fields(void **state)
{
	static const char *const required[] = {"v1", "sz=", "mt=", "et=", "ss=", "fi=", "end"};
	struct obj_meta m;
	struct objwire_extra x;
	struct buf b, j;
	const char *it[32];
	size_t il[32], n, i, k, nreq = 0;

	(void)state;
	build_maximal(&m, &x);
	encode_ok(&m, &x, &b);
	n = split_items(b.data, b.len, it, il, ARRAY_LEN(it));
	assert_int_equal(n, 20); /* v1, 18 fields, end */
	for (i = 0; i < n; i++) {
		bool req = false;

		for (k = 0; k < ARRAY_LEN(required); k++)
			req = req || strncmp(it[i], required[k], strlen(required[k])) == 0;
		join_items(&j, it, il, n, i, SIZE_MAX);
		if (req) {
			expect_reject(j.data, j.len);
			nreq++;
		} else {
			struct obj_meta d;
			struct objwire_extra dx;

			expect_accept_str(j.data, &d, &dx);
			obj_meta_free(&d);
		}
		buf_free(&j);
	}
	assert_int_equal(nreq, ARRAY_LEN(required));
	buf_free(&b);
	obj_meta_free(&m);
}

/* Any item twice (v1 and end too) is refused. */
static void test_duplicates(void **state)
{
	struct obj_meta m;
	struct objwire_extra x;
	struct buf b, j;
	const char *it[32];
	size_t il[32], n, i;

	(void)state;
	build_maximal(&m, &x);
	encode_ok(&m, &x, &b);
	n = split_items(b.data, b.len, it, il, ARRAY_LEN(it));
	for (i = 0; i < n; i++) {
		join_items(&j, it, il, n, SIZE_MAX, i);
		expect_reject(j.data, j.len);
		buf_free(&j);
	}
	/* The same value twice is still a duplicate; so is an unknown key. */
	expect_reject_str(BASE ";pc=2;pc=2;end");
	expect_reject_str(BASE ";zz=1;zz=1;end");
	expect_reject_str(BASE ";zz=1;sz=1;end");
	buf_free(&b);
	obj_meta_free(&m);
}

/* Every proper prefix of a valid encoding is refused (invariant 4). */
static void test_truncated(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < ARRAY_LEN(builders); i++) {
		struct obj_meta m;
		struct objwire_extra x;
		struct buf b;

		builders[i].build(&m, &x);
		encode_ok(&m, &x, &b);
		/* Each prefix in a buffer of its exact size: ASan sees any read past len. */
		for (len = 0; len < b.len; len++) {
			char *p = malloc(len ? len : 1);

			assert_non_null(p);
			memcpy(p, b.data, len);
			expect_reject(p, len);
			free(p);
		}
		buf_free(&b);
		obj_meta_free(&m);
	}
	expect_reject(NULL, 0);
}

/*
 * Every byte of a valid encoding replaced by bytes that matter to the parser,
 * deleted, or doubled: a clean refusal or a consistent meta, never a crash
 * or a leak. Then random splices of valid pieces.
 */
static void test_garbage(void **state)
{
	static const char subst[] = {';', '=', '%', ' ', '\0', '\r', '\n',	 'A',
				     'a', '0', '9', 'F', '+',  '/',  (char)0xc3, (char)0xff};
	struct obj_meta m;
	struct objwire_extra x;
	struct buf b;
	char *s;
	size_t pos, k;
	uint32_t seed = 12345;
	int round;

	(void)state;
	build_typical(&m, &x);
	m.sse_mode = SSE_S3;
	strcpy(m.sse_key_id, "k1");
	memset(m.sse_envelope, 7, 60);
	m.sse_envelope_len = 60;
	m.parts_count = 3;
	encode_ok(&m, &x, &b);
	s = malloc(b.len + 1);
	assert_non_null(s);
	for (pos = 0; pos < b.len; pos++) {
		for (k = 0; k < sizeof(subst); k++) {
			memcpy(s, b.data, b.len);
			s[pos] = subst[k];
			expect_consistent(s, b.len);
		}
		/* deleted */
		memcpy(s, b.data, pos);
		memcpy(s + pos, b.data + pos + 1, b.len - pos - 1);
		expect_consistent(s, b.len - 1);
	}
	free(s);
	s = malloc(2 * b.len + 1);
	assert_non_null(s);
	for (round = 0; round < 20000; round++) {
		size_t a, l, o = 0, parts = 1 + round % 4;

		for (k = 0; k < parts; k++) {
			seed = seed * 1103515245u + 12345u;
			a = (seed >> 8) % b.len;
			seed = seed * 1103515245u + 12345u;
			l = (seed >> 8) % (b.len - a + 1);
			if (o + l > 2 * b.len)
				break;
			memcpy(s + o, b.data + a, l);
			o += l;
		}
		expect_consistent(s, o);
	}
	free(s);
	buf_free(&b);
	obj_meta_free(&m);
}

static void test_versions(void **state)
{
	static const char *const bad[] = {
	    "",
	    "v1",
	    "v1;",
	    "v1;end",
	    "v2;" REQ_ITEMS ";end",
	    "v0;" REQ_ITEMS ";end",
	    "v10;" REQ_ITEMS ";end",
	    "V1;" REQ_ITEMS ";end",
	    " v1;" REQ_ITEMS ";end",
	    "v1 ;" REQ_ITEMS ";end",
	    "v1;" REQ_ITEMS ";end ",
	    "v1;" REQ_ITEMS ";END",
	    "v1;" REQ_ITEMS ";end;",
	    "v1;" REQ_ITEMS ";end;end",
	    "v1;" REQ_ITEMS ";end;pc=1",
	    "v1;" REQ_ITEMS ";",
	    "v1;" REQ_ITEMS,
	    "v1;;" REQ_ITEMS ";end",
	    "v1;" REQ_ITEMS ";;end",
	    "v1;" REQ_ITEMS ";v1;end",
	    "v1=1;" REQ_ITEMS ";end",
	    "ver=1;" REQ_ITEMS ";end",
	    REQ_ITEMS ";end",
	};
	struct obj_meta m;
	struct objwire_extra x;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		expect_reject_str(bad[i]);
	/* Control: the base itself is fine, and the order of items is free. */
	expect_accept_str(BASE ";end", &m, &x);
	obj_meta_free(&m);
	expect_accept_str("v1;fi=000102030405060708090a0b0c0d0e0f;et=abc;ss=3;mt=2;sz=1;end", &m,
			  &x);
	assert_true(m.size == 1 && m.mtime_ms == 2 && x.stored_size == 3);
	assert_string_equal(m.etag, "abc");
	assert_memory_equal(x.file_id, file_id_a, sizeof(file_id_a));
	obj_meta_free(&m);
}

/* --- the decoder: values --- */

/* One decoder input per row: BASE ";" item ";end", and whether it must be accepted. */
struct value_case {
	const char *item;
	bool ok;
};

static void run_value_cases(const struct value_case *c, size_t n)
{
	struct buf in;
	struct obj_meta m;
	struct objwire_extra x;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_init(&in, 2 * OBJWIRE_MAX, S3E_InternalError);
		assert_int_equal(buf_addf(&in, "%s;%s;end", BASE, c[i].item), S3E_OK);
		if (!c[i].ok) {
			expect_reject(in.data, in.len);
		} else {
			expect_accept_str(in.data, &m, &x);
			obj_meta_free(&m);
		}
		buf_free(&in);
	}
}

static void test_numbers(void **state)
{
	static const struct value_case cases[] = {
	    {"pc=0", true},
	    {"pc=10000", true},
	    {"pc=10001", false},
	    {"pc=", false},
	    {"pc=+1", false},
	    {"pc=-1", false},
	    {"pc=01", false},
	    {"pc=00", false},
	    {"pc=1 ", false},
	    {"pc= 1", false},
	    {"pc=0x10", false},
	    {"pc=1e3", false},
	    {"pc=%31", false},
	    {"vf=9223372036854775807", true},
	    {"vf=9223372036854775808", false},
	    {"vf=18446744073709551615", false},
	    {"vf=18446744073709551616", false},
	    {"vf=99999999999999999999999999", false},
	    {"ru=-9223372036854775808", false},
	    {"rs=2", true},
	    {"rs=3", false},
	    {"sm=2", true},
	    {"sm=3", false},
	    {"sm=4294967297", false},
	};
	static const char *const whole[] = {
	    "v1;sz=+1;mt=2;et=abc;ss=3;fi=000102030405060708090a0b0c0d0e0f;end",
	    "v1;sz=;mt=2;et=abc;ss=3;fi=000102030405060708090a0b0c0d0e0f;end",
	    "v1;sz=1;mt=-2;et=abc;ss=3;fi=000102030405060708090a0b0c0d0e0f;end",
	    "v1;sz=1;mt=2;et=abc;ss=18446744073709551616;fi=000102030405060708090a0b0c0d0e0f;end",
	    "v1;sz=9223372036854775808;mt=2;et=abc;ss=3;fi=000102030405060708090a0b0c0d0e0f;end",
	};
	struct obj_meta m;
	struct objwire_extra x;
	size_t i;

	(void)state;
	run_value_cases(cases, ARRAY_LEN(cases));
	for (i = 0; i < ARRAY_LEN(whole); i++)
		expect_reject_str(whole[i]);
	expect_accept_str("v1;sz=9223372036854775807;mt=9223372036854775807;et=abc;"
			  "ss=9223372036854775807;fi=000102030405060708090a0b0c0d0e0f;end",
			  &m, &x);
	assert_true(m.size == INT64_MAX && m.mtime_ms == INT64_MAX && x.stored_size == INT64_MAX);
	obj_meta_free(&m);
}

/* Builds "key=" + n copies of c for the overlong table. */
static char *item_of(const char *key, size_t n, char c)
{
	size_t kl = strlen(key);
	char *s = malloc(kl + n + 1);

	assert_non_null(s);
	memcpy(s, key, kl);
	memset(s + kl, c, n);
	s[kl + n] = '\0';
	return s;
}

/* Each text field at its longest is taken; one byte more is refused. */
static void test_overlong(void **state)
{
	static const struct {
		const char *key;
		size_t cap; /* the array incl. NUL */
	} text[] = {
	    {"ca=", 16},
	    {"cv=", STRATA_CHECKSUM_B64_MAX},
	    {"ct=", 16},
	    {"sc=", STRATA_STORAGE_CLASS_MAX},
	    {"ki=", STRATA_SSE_KEY_ID_MAX},
	};
	struct value_case c[2];
	char *s;
	size_t i;
	struct buf in;
	struct obj_meta m;
	struct objwire_extra x;

	(void)state;
	for (i = 0; i < ARRAY_LEN(text); i++) {
		c[0].item = s = item_of(text[i].key, text[i].cap - 1, 'x');
		c[0].ok = true;
		c[1].item = item_of(text[i].key, text[i].cap, 'x');
		c[1].ok = false;
		run_value_cases(c, 2);
		free(s);
		free((char *)c[1].item);
		/* Escaped bytes count once each: cap - 1 of "%FF" fit. */
		buf_init(&in, OBJWIRE_MAX, S3E_InternalError);
		assert_int_equal(buf_adds(&in, text[i].key), S3E_OK);
		while (in.len < strlen(text[i].key) + 3 * (text[i].cap - 1))
			assert_int_equal(buf_adds(&in, "%FF"), S3E_OK);
		c[0].item = in.data;
		c[0].ok = true;
		run_value_cases(c, 1);
		assert_int_equal(buf_adds(&in, "%FF"), S3E_OK);
		c[0].item = in.data;
		c[0].ok = false;
		run_value_cases(c, 1);
		buf_free(&in);
	}
	/* etag: a required field, so it is swapped in the whole input. */
	for (i = STRATA_ETAG_MAX - 1; i <= STRATA_ETAG_MAX; i++) {
		buf_init(&in, OBJWIRE_MAX, S3E_InternalError);
		assert_int_equal(
		    buf_adds(&in, "v1;sz=1;mt=2;ss=3;fi=000102030405060708090a0b0c0d0e0f;"),
		    S3E_OK);
		s = item_of("et=", i, 'f');
		assert_int_equal(buf_adds(&in, s), S3E_OK);
		assert_int_equal(buf_adds(&in, ";end"), S3E_OK);
		if (i < STRATA_ETAG_MAX) {
			expect_accept_str(in.data, &m, &x);
			assert_int_equal(strlen(m.etag), STRATA_ETAG_MAX - 1);
			obj_meta_free(&m);
		} else {
			expect_reject(in.data, in.len);
		}
		free(s);
		buf_free(&in);
	}
	/* OBJWIRE_MAX bytes are read; one more is refused before it is parsed. */
	for (i = OBJWIRE_MAX; i <= OBJWIRE_MAX + 1; i++) {
		size_t fixed = strlen(BASE ";zz=;end");

		buf_init(&in, 2 * OBJWIRE_MAX, S3E_InternalError);
		s = item_of(BASE ";zz=", i - fixed, 'a');
		assert_int_equal(buf_adds(&in, s), S3E_OK);
		assert_int_equal(buf_adds(&in, ";end"), S3E_OK);
		assert_int_equal(in.len, i);
		if (i == OBJWIRE_MAX) {
			expect_accept_str(in.data, &m, &x);
			obj_meta_free(&m);
		} else {
			expect_reject(in.data, in.len);
		}
		free(s);
		buf_free(&in);
	}
}

/* The fixed-length and binary fields, and the escapes of text. */
static void test_field_values(void **state)
{
	static const struct value_case cases[] = {
	    /* sha256: 64 lowercase hex */
	    {"sh=b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", true},
	    {"sh=b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde", false},
	    {"sh=b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde90", false},
	    {"sh=B94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", false},
	    {"sh=g94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", false},
	    {"sh=", false},
	    /* text escapes: uppercase %XX of a byte that needs it, never NUL */
	    {"sc=A%20B", true},
	    {"sc=%C3%A9", true},
	    {"sc=A%2fB", false},
	    {"sc=%41", false},
	    {"sc=%00", false},
	    {"sc=%", false},
	    {"sc=%2", false},
	    {"sc=%G0", false},
	    {"sc=a+b", false},
	    {"sc=a/b", false},
	    {"sc=a=b", false},
	    {"sc=", false},
	    {"sc=a b", false},
	    {"sc=\xc3\xa9", false},
	    /* envelope: strict base64, 1..64 bytes */
	    {"ev=AA==", true},
	    {"ev=AAAA", true},
	    {"ev=AAA", false},
	    {"ev=AB==", false},
	    {"ev=A===", false},
	    {"ev====", false},
	    {"ev=AA%3D%3D", false},
	    /* headers: strict base64 of whole name NUL value NUL pairs */
	    {"hd=YQBiAA==", true}, /* "a\0b\0" */
	    {"hd=YQA=", false},	   /* "a\0": a name without value */
	    {"hd=YQBi", false},	   /* "a\0b": no final NUL */
	    {"hd=YQBiAA", false},
	    {"hd=AA==", false}, /* one string */
	    {"hd=AAA=", true},	/* an empty name and value */
	};
	static const uint8_t env64[STRATA_SSE_ENVELOPE_MAX] = {0};
	char b64[256], *item;
	struct value_case c[1];
	struct obj_meta m;
	struct objwire_extra x;
	size_t n;

	(void)state;
	run_value_cases(cases, ARRAY_LEN(cases));
	/* The envelope at its cap and one byte past it. */
	for (n = STRATA_SSE_ENVELOPE_MAX; n <= STRATA_SSE_ENVELOPE_MAX + 1; n++) {
		uint8_t raw[STRATA_SSE_ENVELOPE_MAX + 1] = {0};

		memcpy(raw, env64, sizeof(env64));
		base64_encode(raw, n, b64);
		item = malloc(strlen(b64) + 4);
		assert_non_null(item);
		snprintf(item, strlen(b64) + 4, "ev=%s", b64);
		c[0].item = item;
		c[0].ok = n == STRATA_SSE_ENVELOPE_MAX;
		run_value_cases(c, 1);
		free(item);
	}
	/* file id: 32 lowercase hex, required, so the whole input. */
	expect_reject_str("v1;sz=1;mt=2;et=abc;ss=3;fi=000102030405060708090a0b0c0d0e0;end");
	expect_reject_str("v1;sz=1;mt=2;et=abc;ss=3;fi=000102030405060708090a0b0c0d0e0f0;end");
	expect_reject_str("v1;sz=1;mt=2;et=abc;ss=3;fi=000102030405060708090A0B0C0D0E0F;end");
	expect_reject_str("v1;sz=1;mt=2;et=abc;ss=3;fi=;end");
	expect_reject_str("v1;sz=1;mt=2;et=;ss=3;fi=000102030405060708090a0b0c0d0e0f;end");
	/* Decoded values land where they belong. */
	expect_accept_str(BASE ";sc=%C3%A9%20x;ev=AQID;hd=YQBiAA==;end", &m, &x);
	assert_string_equal(m.storage_class, "\xc3\xa9 x");
	assert_int_equal(m.sse_envelope_len, 3);
	assert_memory_equal(m.sse_envelope, "\x01\x02\x03", 3);
	assert_int_equal(m.headers_len, 4);
	assert_memory_equal(m.headers, "a\0b\0", 4);
	obj_meta_free(&m);
}

/* The headers blob at its cap is taken; past it, refused. */
static void test_headers_cap(void **state)
{
	struct obj_meta m, d;
	struct objwire_extra x, dx;
	struct buf b, in;
	char *big;
	size_t n;

	(void)state;
	build_maximal(&m, &x);
	encode_ok(&m, &x, &b);
	expect_accept_str(b.data, &d, &dx);
	assert_int_equal(d.headers_len, STRATA_MAX_STORED_HEADERS);
	obj_meta_free(&d);
	/* A blob of cap + 2 bytes (still whole pairs), base64'd by hand. */
	n = STRATA_MAX_STORED_HEADERS + 2;
	big = malloc(n);
	assert_non_null(big);
	memcpy(big, m.headers, m.headers_len);
	big[n - 2] = '\0';
	big[n - 1] = '\0';
	buf_init(&in, 2 * OBJWIRE_MAX, S3E_InternalError);
	assert_int_equal(buf_adds(&in, BASE ";hd="), S3E_OK);
	{
		char *enc = malloc((n + 2) / 3 * 4 + 1);

		assert_non_null(enc);
		base64_encode((const uint8_t *)big, n, enc);
		assert_int_equal(buf_adds(&in, enc), S3E_OK);
		free(enc);
	}
	assert_int_equal(buf_adds(&in, ";end"), S3E_OK);
	expect_reject(in.data, in.len);
	buf_free(&in);
	free(big);
	buf_free(&b);
	obj_meta_free(&m);
}

/* Unknown keys of v1 are skipped, but only when well-formed. */
static void test_unknown_keys(void **state)
{
	static const struct value_case cases[] = {
	    {"zz=abc", true},
	    {"future9=A%20b+c/d==", true},
	    {"abcdefghijklmnop=1", true},
	    {"abcdefghijklmnopq=1", false}, /* key of 17 */
	    {"Zz=1", false},
	    {"z-z=1", false},
	    {"=1", false},
	    {"zz", false},
	    {"zz=", false},
	    {"zz=a b", false},
	    {"zz=a%2", false},
	    {"zz=a%zz", false},
	    {"zz=a%2f", false},
	    {"zz=\x01", false},
	    {"zz=a;", false},
	    {"zz=a,b", false},
	    {"zz=a\"", false},
	};
	struct obj_meta m, ref;
	struct objwire_extra x, refx;
	struct buf in;
	int i;

	(void)state;
	run_value_cases(cases, ARRAY_LEN(cases));
	/* Skipped means no trace: the same meta as without it. */
	expect_accept_str(BASE ";pc=4;zz=%41%42;qq=1;end", &m, &x);
	expect_accept_str(BASE ";pc=4;end", &ref, &refx);
	assert_meta_equal(&m, &x, &ref, &refx);
	obj_meta_free(&m);
	obj_meta_free(&ref);
	/* At most 16 distinct unknown keys. */
	buf_init(&in, OBJWIRE_MAX, S3E_InternalError);
	assert_int_equal(buf_adds(&in, BASE), S3E_OK);
	for (i = 0; i < 16; i++)
		assert_int_equal(buf_addf(&in, ";u%d=1", i), S3E_OK);
	assert_int_equal(buf_adds(&in, ";end"), S3E_OK);
	expect_accept_str(in.data, &m, &x);
	obj_meta_free(&m);
	in.len -= 4;
	assert_int_equal(buf_adds(&in, ";u16=1;end"), S3E_OK);
	expect_reject(in.data, in.len);
	buf_free(&in);
}

/* A successful decode replaces what m held (its old blob is freed, not leaked). */
static void test_decode_replaces(void **state)
{
	struct obj_meta m;
	struct objwire_extra x;

	(void)state;
	obj_meta_init(&m);
	assert_int_equal(obj_meta_add_header(&m, "content-type", "old"), S3E_OK);
	strcpy(m.storage_class, "GLACIER");
	m.parts_count = 9;
	memset(&x, 0x77, sizeof(x));
	assert_int_equal(objwire_decode(BASE ";end", strlen(BASE ";end"), &m, &x), S3E_OK);
	assert_null(m.headers);
	assert_int_equal(m.headers_len, 0);
	assert_string_equal(m.storage_class, "");
	assert_int_equal(m.parts_count, 0);
	assert_memory_equal(x.file_id, file_id_a, sizeof(file_id_a));
	assert_true(x.stored_size == 3);
	obj_meta_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),	   cmocka_unit_test(test_worst_fits),
	    cmocka_unit_test(test_pinned),	   cmocka_unit_test(test_encode_append_and_cap),
	    cmocka_unit_test(test_encode_refuses), cmocka_unit_test(test_missing_fields),
	    cmocka_unit_test(test_duplicates),	   cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_garbage),	   cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_numbers),	   cmocka_unit_test(test_overlong),
	    cmocka_unit_test(test_field_values),   cmocka_unit_test(test_headers_cap),
	    cmocka_unit_test(test_unknown_keys),   cmocka_unit_test(test_decode_replaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
