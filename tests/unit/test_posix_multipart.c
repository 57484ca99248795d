/*
 * Unit tests for multipart uploads on the posix backend
 * (backends/posix_multipart.c and its hooks in posix.c): a real backend in
 * a fresh temporary directory per test, driven only through the backend_*
 * wrappers, with the files on disk and the index inspected to prove what a
 * user (or an operator) would see: bytes read back exactly, parts
 * reclaimed, nothing half-done after kill -9.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp, nftw, fork */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../backends/posix.h"
#include "posix_fixture.h"
#include "../../common/frames.h"
#include "../../common/log.h"
#include "../../common/sse.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BKT "bkt"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define MAXP 64 /* parts a test model holds */

struct fx {
	char dir[64];
	struct backend *be;
	struct fixture_tiers tiers; /* set by open_tiers */
};

/* Byte `i` of the test stream `seed`: depends on the position, so misplaced bytes show. */
static uint8_t pattern(uint64_t i, unsigned seed)
{
	return (uint8_t)((i * 131u + seed * 71u + (i >> 8) * 7u) ^ (i >> 16));
}

static uint8_t *pattern_buf(size_t len, uint64_t start, unsigned seed)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = pattern(start + i, seed);
	return p;
}

/* A stand-in ETag: 32 hex digits of two FNV-1a hashes of the bytes. */
static void fake_etag(const void *data, size_t len, char out[STRATA_ETAG_MAX])
{
	const uint8_t *p = data;
	uint64_t a = 1469598103934665603ull, b = 1099511628211ull * 31;
	size_t i;

	for (i = 0; i < len; i++) {
		a = (a ^ p[i]) * 1099511628211ull;
		b = (b ^ (uint8_t)(p[i] + 1)) * 1099511628211ull;
	}
	snprintf(out, STRATA_ETAG_MAX, "%016llx%016llx", (unsigned long long)a,
		 (unsigned long long)(b ^ len));
}

/* --- helpers: the backend --- */

static void meta_for(struct obj_meta *m, size_t size, const char *etag)
{
	obj_meta_init(m);
	m->size = size;
	m->mtime_ms = 1700000000123;
	snprintf(m->etag, sizeof(m->etag), "%s", etag);
	memcpy(m->sha256_hex, SHA_A, 65);
}

static s3err_t put_object(struct backend *be, const char *key, const char *text)
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	s3err_t err;

	err = backend_writer_open(be, BKT, key, 0, &w);
	if (err != S3E_OK)
		return err;
	err = backend_writer_write(be, w, text, strlen(text));
	if (err != S3E_OK) {
		backend_writer_abort(be, w);
		return err;
	}
	meta_for(&m, strlen(text), "0123456789abcdef0123456789abcdef");
	return backend_writer_commit(be, w, &m);
}

/* Starts an upload of key as CreateMultipartUpload would, with metadata to remember. */
static void upload_new(struct backend *be, const char *key, char id[STRATA_UPLOAD_ID_MAX])
{
	struct obj_meta m;

	obj_meta_init(&m);
	snprintf(m.storage_class, sizeof(m.storage_class), "STANDARD_IA");
	snprintf(m.checksum_algo, sizeof(m.checksum_algo), "CRC32C");
	snprintf(m.checksum_type, sizeof(m.checksum_type), "COMPOSITE");
	assert_int_equal(obj_meta_add_header(&m, "content-type", "application/dicom"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "x-amz-meta-study", "1.2.840"), S3E_OK);
	memset(id, 0, STRATA_UPLOAD_ID_MAX);
	assert_int_equal(backend_upload_create(be, BKT, key, &m, id), S3E_OK);
	obj_meta_free(&m);
}

/*
 * Uploads part `number` with data (written in pieces), sealed under dkey
 * unless NULL; *etag gets its ETag.
 */
static s3err_t put_part_key(struct backend *be, const char *upload, unsigned number,
			    const void *data, size_t len, const uint8_t *dkey,
			    char etag[STRATA_ETAG_MAX])
{
	struct be_writer *w = NULL;
	struct part_info p;
	size_t off;
	s3err_t err;

	err = backend_part_writer_open(be, BKT, upload, number, len, &w);
	if (err != S3E_OK)
		return err;
	if (dkey && (err = backend_writer_seal(be, w, dkey)) != S3E_OK) {
		backend_writer_abort(be, w);
		return err;
	}
	for (off = 0; off < len; off += 1000) {
		err = backend_writer_write(be, w, (const char *)data + off,
					   len - off < 1000 ? len - off : 1000);
		if (err != S3E_OK) {
			backend_writer_abort(be, w);
			return err;
		}
	}
	memset(&p, 0, sizeof(p));
	p.number = number;
	p.size = len;
	p.mtime_ms = 1700000000000 + number;
	fake_etag(data, len, p.etag);
	snprintf(p.checksum_b64, sizeof(p.checksum_b64), "crc%u==", number);
	memcpy(p.sha256_hex, SHA_A, 65);
	if (etag)
		memcpy(etag, p.etag, sizeof(p.etag));
	return backend_part_commit(be, w, &p);
}

static s3err_t put_part(struct backend *be, const char *upload, unsigned number, const void *data,
			size_t len, char etag[STRATA_ETAG_MAX])
{
	return put_part_key(be, upload, number, data, len, NULL, etag);
}

/* What a test uploaded: per part number its bytes and ETag. */
struct model {
	uint8_t *data[MAXP + 1];
	size_t len[MAXP + 1];
	char etag[MAXP + 1][STRATA_ETAG_MAX];
};

static void model_free(struct model *m)
{
	size_t i;

	for (i = 0; i <= MAXP; i++)
		free(m->data[i]);
	memset(m, 0, sizeof(*m));
}

/* Uploads part number with len fresh bytes (seed), recording them in the model. */
static void model_put(struct backend *be, struct model *md, const char *upload, unsigned number,
		      size_t len, unsigned seed)
{
	assert_true(number >= 1 && number <= MAXP);
	free(md->data[number]);
	md->data[number] = pattern_buf(len, number * 100000u, seed);
	md->len[number] = len;
	assert_int_equal(put_part(be, upload, number, md->data[number], len, md->etag[number]),
			 S3E_OK);
}

/* The object the listed parts make: their bytes concatenated (malloc'd), *size its length. */
static uint8_t *model_object(const struct model *md, const unsigned *nums, size_t n, uint64_t *size)
{
	uint64_t total = 0;
	uint8_t *obj;
	size_t i;

	for (i = 0; i < n; i++)
		total += md->len[nums[i]];
	obj = malloc(total ? total : 1);
	assert_non_null(obj);
	total = 0;
	for (i = 0; i < n; i++) {
		memcpy(obj + total, md->data[nums[i]], md->len[nums[i]]);
		total += md->len[nums[i]];
	}
	*size = total;
	return obj;
}

/*
 * CompleteMultipartUpload of the listed parts with the model's ETags; the
 * sse fields of `sse` (NULL: none) go into the metadata, as the gateway
 * copies them from the upload.
 */
static s3err_t complete_sse(struct backend *be, const struct model *md, const char *upload,
			    const unsigned *nums, size_t n, const char *final_etag,
			    const struct obj_meta *sse)
{
	struct complete_part *cp = calloc(n ? n : 1, sizeof(*cp));
	struct obj_meta m;
	uint64_t size = 0;
	s3err_t err;
	size_t i;

	assert_non_null(cp);
	for (i = 0; i < n; i++) {
		cp[i].number = nums[i];
		memcpy(cp[i].etag, md->etag[nums[i]], sizeof(cp[i].etag));
		size += md->len[nums[i]];
	}
	meta_for(&m, size, final_etag);
	snprintf(m.storage_class, sizeof(m.storage_class), "STANDARD_IA");
	snprintf(m.checksum_algo, sizeof(m.checksum_algo), "CRC32C");
	snprintf(m.checksum_type, sizeof(m.checksum_type), "COMPOSITE");
	snprintf(m.checksum_b64, sizeof(m.checksum_b64), "AAAAAA==-%zu", n);
	m.parts_count = (unsigned)n;
	if (sse) {
		m.sse_mode = sse->sse_mode;
		memcpy(m.sse_key_id, sse->sse_key_id, sizeof(m.sse_key_id));
		memcpy(m.sse_envelope, sse->sse_envelope, sizeof(m.sse_envelope));
		m.sse_envelope_len = sse->sse_envelope_len;
	}
	assert_int_equal(obj_meta_add_header(&m, "content-type", "application/dicom"), S3E_OK);
	err = backend_upload_complete(be, BKT, upload, cp, n, &m);
	obj_meta_free(&m);
	free(cp);
	return err;
}

static s3err_t complete(struct backend *be, const struct model *md, const char *upload,
			const unsigned *nums, size_t n, const char *final_etag)
{
	return complete_sse(be, md, upload, nums, n, final_etag, NULL);
}

/* Reads all of key in reads of `piece` bytes; checks the size against the metadata. */
static uint8_t *read_all(struct backend *be, const char *key, size_t piece, uint64_t *size)
{
	struct be_reader *r = NULL;
	struct obj_meta m;
	uint64_t off = 0;
	uint8_t *buf;
	size_t got;

	assert_int_equal(backend_reader_open(be, BKT, key, &m, &r), S3E_OK);
	buf = malloc(m.size + 1);
	assert_non_null(buf);
	do {
		size_t want = piece;

		assert_int_equal(backend_reader_read(be, r, off, buf + off, want, &got), S3E_OK);
		assert_true(got <= want);
		/* *got < len only at the end of the object */
		if (got < want)
			assert_true(off + got == m.size);
		off += got;
	} while (got == piece);
	assert_true(off == m.size);
	*size = m.size;
	backend_reader_close(be, r);
	obj_meta_free(&m);
	return buf;
}

static void reopen(struct fx *f)
{
	backend_close(f->be);
	f->be = NULL;
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
}

static int setup_bare(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	snprintf(f->dir, sizeof(f->dir), "/tmp/strata-pmp-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	strncat(f->dir, "/data", sizeof(f->dir) - strlen(f->dir) - 1);
	return 0;
}

static int setup(void **state)
{
	struct bucket_info b = {BKT, "AKIDEXAMPLE", "", 1};
	struct fx *f;

	if (setup_bare(state) != 0)
		return -1;
	f = *state;
	if (posix_open_files(f->dir, &f->be) != S3E_OK)
		return -1;
	if (backend_bucket_create(f->be, &b) != S3E_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *slash;

	backend_close(f->be);
	slash = strstr(f->dir, "/data");
	if (slash)
		*slash = '\0';
	fixture_remove_dir(f->dir);
	free(f);
	return 0;
}

/* --- creating, getting and listing uploads --- */

#define NUPL 9

struct upl_seen {
	char key[NUPL * 4][32];
	char id[NUPL * 4][STRATA_UPLOAD_ID_MAX];
	size_t n, stop_after;
};

static bool collect_upload(void *ctx, const struct upload_info *u)
{
	struct upl_seen *s = ctx;

	assert_true(s->n < ARRAY_LEN(s->key));
	assert_null(u->meta.headers);
	assert_false(u->completed);
	assert_string_equal(u->meta.storage_class, "STANDARD_IA");
	assert_string_equal(u->meta.checksum_algo, "CRC32C");
	assert_string_equal(u->meta.checksum_type, "COMPOSITE");
	assert_true(strlen(u->key) < sizeof(s->key[0]));
	memcpy(s->key[s->n], u->key, strlen(u->key) + 1);
	memcpy(s->id[s->n], u->upload_id, sizeof(s->id[0]));
	s->n++;
	return s->stop_after == 0 || s->n < s->stop_after;
}

struct upl_entry {
	const char *key;
	char id[STRATA_UPLOAD_ID_MAX];
};

static int entry_cmp(const void *a, const void *b)
{
	const struct upl_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->id, y->id);
}

struct list_case {
	const char *prefix;
	const char *key_marker;
	int id_marker_of; /* index into the sorted uploads whose id is the marker; -1: "" */
	size_t limit;
};

static void test_upload_create_get_list(void **state)
{
	/* two uploads of "a/b": ListMultipartUploads orders them by upload id */
	static const char *const keys[NUPL] = {
	    "a/b", "a/b", "a/c", "a", "ab", "b", "\xc3\xa9t\xc3\xa9", "a/\xc3\xa9", "z/..",
	};
	static const struct list_case cases[] = {
	    {"", "", -1, SIZE_MAX},
	    {"a/", "", -1, SIZE_MAX},
	    {"a", "", -1, SIZE_MAX},
	    {"", "a/b", -1, SIZE_MAX}, /* "" id marker: only keys after a/b */
	    {"", "a/b", 2, SIZE_MAX},  /* the first a/b's id: the second a/b is next */
	    {"", "a/b", 3, SIZE_MAX},  /* the second a/b's id: a/c is next */
	    {"a/", "0", -1, 3},	       /* prefix tighter than the marker */
	    {"b", "a/c", 4, SIZE_MAX},
	    {"", "", -1, 2},
	    {"", "", -1, 0},
	    {"zz", "", -1, SIZE_MAX},
	    {"\xc3", "", -1, SIZE_MAX},
	    {"", "\xff", -1, SIZE_MAX},
	};
	struct fx *f = *state;
	struct upl_entry all[NUPL];
	struct upl_seen *s = calloc(1, sizeof(*s));
	struct upload_info u;
	const char *name, *value;
	size_t i, j, k, pos = 0;

	assert_non_null(s);
	for (i = 0; i < NUPL; i++) {
		all[i].key = keys[i];
		upload_new(f->be, keys[i], all[i].id);
		assert_int_equal(strlen(all[i].id), 32);
		for (j = 0; j < 32; j++)
			assert_non_null(strchr("0123456789abcdef", all[i].id[j]));
	}
	assert_string_not_equal(all[0].id, all[1].id);

	/* upload_get: what CreateMultipartUpload asked for, headers included */
	assert_int_equal(backend_upload_get(f->be, BKT, all[0].id, &u), S3E_OK);
	assert_string_equal(u.key, "a/b");
	assert_string_equal(u.upload_id, all[0].id);
	assert_false(u.completed);
	assert_string_equal(u.final_etag, "");
	assert_true(u.initiated_ms > 1700000000000);
	assert_string_equal(u.meta.storage_class, "STANDARD_IA");
	assert_string_equal(u.meta.checksum_type, "COMPOSITE");
	assert_true(obj_meta_next_header(&u.meta, &pos, &name, &value));
	assert_string_equal(name, "content-type");
	assert_string_equal(value, "application/dicom");
	assert_true(obj_meta_next_header(&u.meta, &pos, &name, &value));
	assert_string_equal(value, "1.2.840");
	obj_meta_free(&u.meta);

	/* the wrong bucket, an unknown or malformed id, a missing bucket */
	{
		struct bucket_info b2 = {"other", "o", "", 0};

		assert_int_equal(backend_bucket_create(f->be, &b2), S3E_OK);
		assert_int_equal(backend_upload_get(f->be, "other", all[0].id, &u),
				 S3E_NoSuchUpload);
	}
	assert_int_equal(backend_upload_get(f->be, BKT, "0123456789abcdef0123456789abcdef", &u),
			 S3E_NoSuchUpload);
	assert_int_equal(backend_upload_get(f->be, BKT, "../../etc/passwd", &u), S3E_NoSuchUpload);
	assert_int_equal(backend_upload_get(f->be, BKT, "", &u), S3E_NoSuchUpload);
	assert_int_equal(backend_upload_get(f->be, "nobucket", all[0].id, &u), S3E_NoSuchBucket);
	{
		char id[STRATA_UPLOAD_ID_MAX];
		struct obj_meta m;

		obj_meta_init(&m);
		assert_int_equal(backend_upload_create(f->be, "nobucket", "k", &m, id),
				 S3E_NoSuchBucket);
		assert_int_equal(backend_upload_create(f->be, BKT, "", &m, id),
				 S3E_InvalidArgument);
	}

	/* listings against a model: sorted by (key, upload id), markers as on AWS */
	qsort(all, NUPL, sizeof(all[0]), entry_cmp);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const struct list_case *c = &cases[i];
		const char *idm = c->id_marker_of < 0 ? "" : all[c->id_marker_of].id;
		size_t want = 0;

		memset(s, 0, sizeof(*s));
		assert_int_equal(backend_upload_list(f->be, BKT, c->prefix, c->key_marker, idm,
						     c->limit, collect_upload, s),
				 S3E_OK);
		for (k = 0; k < NUPL && want < c->limit; k++) {
			int kc = strcmp(all[k].key, c->key_marker);

			if (strncmp(all[k].key, c->prefix, strlen(c->prefix)) != 0)
				continue;
			if (!(kc > 0 || (kc == 0 && idm[0] && strcmp(all[k].id, idm) > 0)))
				continue;
			if (want >= s->n || strcmp(s->key[want], all[k].key) != 0 ||
			    strcmp(s->id[want], all[k].id) != 0)
				fail_msg("case %zu: entry %zu should be %s", i, want, all[k].key);
			want++;
		}
		if (s->n != want)
			fail_msg("case %zu: %zu uploads listed, want %zu", i, s->n, want);
	}
	/* the visitor can stop the listing; a missing bucket is an error */
	memset(s, 0, sizeof(*s));
	s->stop_after = 2;
	assert_int_equal(backend_upload_list(f->be, BKT, "", "", "", SIZE_MAX, collect_upload, s),
			 S3E_OK);
	assert_int_equal(s->n, 2);
	assert_int_equal(backend_upload_list(f->be, "nobucket", "", "", "", 10, collect_upload, s),
			 S3E_NoSuchBucket);
	/* uploads of another bucket are not listed */
	memset(s, 0, sizeof(*s));
	assert_int_equal(
	    backend_upload_list(f->be, "other", "", "", "", SIZE_MAX, collect_upload, s), S3E_OK);
	assert_int_equal(s->n, 0);

	/* aborted uploads leave the listing */
	assert_int_equal(backend_upload_abort(f->be, BKT, all[0].id), S3E_OK);
	memset(s, 0, sizeof(*s));
	assert_int_equal(backend_upload_list(f->be, BKT, "", "", "", SIZE_MAX, collect_upload, s),
			 S3E_OK);
	assert_int_equal(s->n, NUPL - 1);
	free(s);
}

/* More uploads than one query's chunk: the listing continues where the chunk ended. */
static void test_upload_list_chunks(void **state)
{
	struct fx *f = *state;
	struct upl_seen *s = calloc(1, sizeof(*s));
	char key[32], id[STRATA_UPLOAD_ID_MAX];
	size_t i, total = 0;

	assert_non_null(s);
	for (i = 0; i < 150; i++) {
		snprintf(key, sizeof(key), "k%03zu", 149 - i);
		upload_new(f->be, key, id);
	}
	/* collect in pages of 30 driven by the markers, as a client pages through */
	key[0] = '\0';
	id[0] = '\0';
	do {
		memset(s, 0, sizeof(*s));
		assert_int_equal(
		    backend_upload_list(f->be, BKT, "k", key, id, 30, collect_upload, s), S3E_OK);
		for (i = 0; i < s->n; i++) {
			char want[32];

			snprintf(want, sizeof(want), "k%03zu", total + i);
			assert_string_equal(s->key[i], want);
		}
		total += s->n;
		if (s->n) {
			memcpy(key, s->key[s->n - 1], sizeof(key));
			memcpy(id, s->id[s->n - 1], sizeof(id));
		}
	} while (s->n == 30);
	assert_int_equal(total, 150);
	free(s);
}

/* --- parts --- */

struct parts_seen {
	struct part_info p[MAXP];
	size_t n;
};

static bool collect_part(void *ctx, const struct part_info *p)
{
	struct parts_seen *s = ctx;

	assert_true(s->n < MAXP);
	s->p[s->n++] = *p;
	return true;
}

static void test_parts_out_of_order(void **state)
{
	struct fx *f = *state;
	struct model md = {{0}};
	struct parts_seen s = {0};
	struct be_reader *r = NULL;
	struct be_writer *w = NULL;
	char upload[STRATA_UPLOAD_ID_MAX];
	uint8_t buf[4096], *p10000;
	size_t i, got;

	upload_new(f->be, "big.bin", upload);
	/* out of order: 3, 1, 4, 10000, 2 */
	model_put(f->be, &md, upload, 3, 3001, 1);
	model_put(f->be, &md, upload, 1, 1000, 1);
	model_put(f->be, &md, upload, 4, 17, 1);
	/* part number 10000 is valid; 0 and 10001 are not */
	p10000 = pattern_buf(17, 0, 9);
	assert_int_equal(put_part(f->be, upload, 10000, p10000, 17, NULL), S3E_OK);
	model_put(f->be, &md, upload, 2, 1, 1);
	assert_int_equal(backend_part_writer_open(f->be, BKT, upload, 0, 0, &w),
			 S3E_InvalidArgument);
	assert_int_equal(backend_part_writer_open(f->be, BKT, upload, 10001, 0, &w),
			 S3E_InvalidArgument);
	assert_null(w);

	assert_int_equal(backend_part_list(f->be, BKT, upload, 0, SIZE_MAX, collect_part, &s),
			 S3E_OK);
	assert_int_equal(s.n, 5);
	for (i = 0; i < 4; i++) {
		assert_int_equal(s.p[i].number, i + 1);
		assert_int_equal(s.p[i].size, md.len[i + 1]);
		assert_string_equal(s.p[i].etag, md.etag[i + 1]);
		assert_string_equal(s.p[i].sha256_hex, SHA_A);
		assert_true(s.p[i].mtime_ms == 1700000000000 + (int64_t)i + 1);
	}
	assert_string_equal(s.p[1].checksum_b64, "crc2==");
	assert_int_equal(s.p[4].number, 10000);
	/* part-number-marker and max-parts */
	memset(&s, 0, sizeof(s));
	assert_int_equal(backend_part_list(f->be, BKT, upload, 2, 2, collect_part, &s), S3E_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.p[0].number, 3);
	assert_int_equal(s.p[1].number, 4);
	assert_int_equal(backend_part_list(f->be, BKT, "0123456789abcdef0123456789abcdef", 0, 10,
					   collect_part, &s),
			 S3E_NoSuchUpload);

	/* a part reads back as it was uploaded */
	assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 3, &r), S3E_OK);
	assert_int_equal(backend_reader_read(f->be, r, 0, buf, sizeof(buf), &got), S3E_OK);
	assert_int_equal(got, md.len[3]);
	assert_memory_equal(buf, md.data[3], got);
	backend_reader_close(f->be, r);
	r = NULL;
	assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 7, &r), S3E_InvalidPart);
	assert_null(r);
	assert_int_equal(count_files(f->dir, "objects"), 5);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	free(p10000);
	model_free(&md);
}

static void test_part_replace(void **state)
{
	struct fx *f = *state;
	struct model md = {{0}};
	struct parts_seen s = {0};
	struct be_reader *r = NULL;
	struct be_writer *w = NULL;
	char upload[STRATA_UPLOAD_ID_MAX];
	uint8_t buf[8192];
	struct part_info p;
	size_t got;

	upload_new(f->be, "k", upload);
	model_put(f->be, &md, upload, 1, 5000, 1);
	model_put(f->be, &md, upload, 2, 10, 1);
	assert_int_equal(count_files(f->dir, "objects"), 2);

	/* a reader of the old part 1 keeps its bytes while the part is replaced */
	assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 1, &r), S3E_OK);
	{
		uint8_t *old = pattern_buf(5000, 100000, 1);

		model_put(f->be, &md, upload, 1, 7000, 2); /* replaces part 1 */
		assert_int_equal(count_files(f->dir, "objects"), 2);
		assert_int_equal(backend_reader_read(f->be, r, 0, buf, sizeof(buf), &got), S3E_OK);
		assert_int_equal(got, 5000);
		assert_memory_equal(buf, old, 5000);
		free(old);
	}
	backend_reader_close(f->be, r);
	assert_int_equal(backend_part_list(f->be, BKT, upload, 0, SIZE_MAX, collect_part, &s),
			 S3E_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.p[0].size, 7000);
	assert_string_equal(s.p[0].etag, md.etag[1]);
	assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 1, &r), S3E_OK);
	assert_int_equal(backend_reader_read(f->be, r, 0, buf, sizeof(buf), &got), S3E_OK);
	assert_int_equal(got, 7000);
	assert_memory_equal(buf, md.data[1], 7000);
	backend_reader_close(f->be, r);

	/* a part whose metadata disagrees with its bytes is refused and leaves nothing */
	assert_int_equal(backend_part_writer_open(f->be, BKT, upload, 3, 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	memset(&p, 0, sizeof(p));
	p.number = 3;
	p.size = 4;
	assert_int_equal(backend_part_commit(f->be, w, &p), S3E_InternalError);
	/* ... and a part writer aborted midway too */
	assert_int_equal(backend_part_writer_open(f->be, BKT, upload, 3, 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	backend_writer_abort(f->be, w);
	assert_int_equal(count_files(f->dir, "objects"), 2);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	model_free(&md);
}

/* --- completing and reading back --- */

struct scan_seen {
	unsigned parts[8];
	char ctype[8][16];
	size_t n;
};

static bool collect_scan(void *ctx, const char *key, const struct obj_meta *meta)
{
	struct scan_seen *s = ctx;

	(void)key;
	assert_true(s->n < ARRAY_LEN(s->parts));
	s->parts[s->n] = meta->parts_count;
	memcpy(s->ctype[s->n], meta->checksum_type, sizeof(s->ctype[0]));
	s->n++;
	return true;
}

/* Reads [off, off + len) of r and compares with want + off. */
static void check_range(struct backend *be, struct be_reader *r, const uint8_t *want, uint64_t size,
			uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len + 1);
	size_t got = 99, expect = off >= size ? 0 : (size - off < len ? size - off : len);

	assert_non_null(buf);
	assert_int_equal(backend_reader_read(be, r, off, buf, len, &got), S3E_OK);
	if (got != expect)
		fail_msg("read of %zu at %llu: got %zu, want %zu", len, (unsigned long long)off,
			 got, expect);
	if (expect && memcmp(buf, want + off, expect) != 0)
		fail_msg("read of %zu at %llu: wrong bytes", len, (unsigned long long)off);
	free(buf);
}

static void test_complete_subset_and_read(void **state)
{
	static const size_t sizes[] = {0, 1000, 3001, 1, 4096, 777, 0, 65537};
	static const unsigned listed[] = {1, 2, 4, 5, 6, 7}; /* 3 is left out; 6 is empty */
	static const size_t pieces[] = {1, 7, 1000, 4096, 65536, 1 << 20};
	struct fx *f = *state;
	struct model md = {{0}};
	struct parts_seen ps = {0};
	struct scan_seen ss = {0};
	struct be_reader *r = NULL;
	struct be_writer *w = NULL;
	char upload[STRATA_UPLOAD_ID_MAX];
	struct upload_info u;
	struct obj_meta m;
	uint64_t size = 0, off, psize, got_size = 0, bound;
	uint8_t *want, *got;
	size_t i, j;
	unsigned n;

	assert_int_equal(put_object(f->be, "single", "one part"), S3E_OK);
	upload_new(f->be, "dir/big.bin", upload);
	for (n = 1; n < ARRAY_LEN(sizes); n++)
		model_put(f->be, &md, upload, n, sizes[n], 3);
	assert_int_equal(count_files(f->dir, "objects"), 8);
	want = model_object(&md, listed, ARRAY_LEN(listed), &size);

	assert_int_equal(complete(f->be, &md, upload, listed, ARRAY_LEN(listed), "cafe-6"), S3E_OK);
	/* part 3 is reclaimed, the listed parts became the object: no data copied */
	assert_int_equal(count_files(f->dir, "objects"), 1 + ARRAY_LEN(listed));
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM parts"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);

	/* HEAD: the metadata of the Complete */
	assert_int_equal(backend_object_head(f->be, BKT, "dir/big.bin", &m), S3E_OK);
	assert_true(m.size == size);
	assert_string_equal(m.etag, "cafe-6");
	assert_int_equal(m.parts_count, ARRAY_LEN(listed));
	assert_string_equal(m.checksum_type, "COMPOSITE");
	assert_string_equal(m.checksum_b64, "AAAAAA==-6");
	assert_string_equal(m.storage_class, "STANDARD_IA");
	assert_int_equal(m.headers_len, sizeof("content-type") + sizeof("application/dicom"));
	obj_meta_free(&m);
	assert_int_equal(
	    backend_object_scan(f->be, BKT, "", false, "", SIZE_MAX, collect_scan, &ss), S3E_OK);
	assert_int_equal(ss.n, 2);
	assert_int_equal(ss.parts[0], ARRAY_LEN(listed)); /* "dir/big.bin" < "single" */
	assert_string_equal(ss.ctype[0], "COMPOSITE");
	assert_int_equal(ss.parts[1], 0);
	assert_string_equal(ss.ctype[1], "");

	/* whole-object reads in pieces of every size */
	for (i = 0; i < ARRAY_LEN(pieces); i++) {
		got = read_all(f->be, "dir/big.bin", pieces[i], &got_size);
		assert_true(got_size == size);
		assert_memory_equal(got, want, size);
		free(got);
	}
	/* reads at and around every part boundary, and reads spanning several parts */
	assert_int_equal(backend_reader_open(f->be, BKT, "dir/big.bin", &m, &r), S3E_OK);
	obj_meta_free(&m);
	bound = 0;
	for (i = 0; i <= ARRAY_LEN(listed); i++) {
		static const size_t lens[] = {1, 2, 3, 7, 1001, 5000, 80000};

		for (j = 0; j < ARRAY_LEN(lens); j++) {
			check_range(f->be, r, want, size, bound, lens[j]);
			if (bound >= 3)
				check_range(f->be, r, want, size, bound - 3, lens[j]);
			if (bound >= 1)
				check_range(f->be, r, want, size, bound - 1, lens[j]);
		}
		if (i < ARRAY_LEN(listed))
			bound += md.len[listed[i]];
	}
	check_range(f->be, r, want, size, 500, 5000);	  /* parts 1, 2, 3 (of the object) */
	check_range(f->be, r, want, size, 0, size);	  /* all of it at once */
	check_range(f->be, r, want, size, size, 10);	  /* at the end: nothing */
	check_range(f->be, r, want, size, size + 5, 10);  /* past the end: nothing */
	check_range(f->be, r, want, size, UINT64_MAX, 1); /* far past the end */
	backend_reader_close(f->be, r);

	/* ?partNumber=: the byte range of each listed part, by position */
	off = 0;
	for (i = 0; i < ARRAY_LEN(listed); i++) {
		uint64_t o = 99, s = 99;

		assert_int_equal(
		    backend_object_part_range(f->be, BKT, "dir/big.bin", (unsigned)i + 1, &o, &s),
		    S3E_OK);
		assert_true(o == off);
		assert_true(s == md.len[listed[i]]);
		off += s;
	}
	assert_int_equal(backend_object_part_range(f->be, BKT, "dir/big.bin", 7, &off, &psize),
			 S3E_InvalidPartNumber);
	assert_int_equal(backend_object_part_range(f->be, BKT, "dir/big.bin", 0, &off, &psize),
			 S3E_InvalidArgument);
	assert_int_equal(backend_object_part_range(f->be, BKT, "single", 1, &off, &psize), S3E_OK);
	assert_true(off == 0 && psize == 8);
	assert_int_equal(backend_object_part_range(f->be, BKT, "single", 2, &off, &psize),
			 S3E_InvalidPartNumber);
	assert_int_equal(backend_object_part_range(f->be, BKT, "absent", 1, &off, &psize),
			 S3E_NoSuchKey);
	assert_int_equal(backend_object_part_range(f->be, "nobucket", "k", 1, &off, &psize),
			 S3E_NoSuchBucket);

	/* the upload is completed: kept for a repeated Complete, closed to everything else */
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	assert_true(u.completed);
	assert_string_equal(u.final_etag, "cafe-6");
	assert_string_equal(u.key, "dir/big.bin");
	obj_meta_free(&u.meta);
	assert_int_equal(complete(f->be, &md, upload, listed, ARRAY_LEN(listed), "cafe-6"),
			 S3E_NoSuchUpload);
	assert_int_equal(backend_part_writer_open(f->be, BKT, upload, 1, 0, &w), S3E_NoSuchUpload);
	assert_int_equal(backend_part_list(f->be, BKT, upload, 0, 10, collect_part, &ps),
			 S3E_NoSuchUpload);
	assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 1, &r), S3E_NoSuchUpload);
	assert_int_equal(backend_upload_abort(f->be, BKT, upload), S3E_NoSuchUpload);
	{
		struct upl_seen *us = calloc(1, sizeof(*us));

		assert_non_null(us);
		assert_int_equal(
		    backend_upload_list(f->be, BKT, "", "", "", SIZE_MAX, collect_upload, us),
		    S3E_OK);
		assert_int_equal(us->n, 0);
		free(us);
	}
	/* all of it survives a restart */
	reopen(f);
	got = read_all(f->be, "dir/big.bin", 70000, &got_size);
	assert_true(got_size == size);
	assert_memory_equal(got, want, size);
	free(got);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	assert_true(u.completed);
	obj_meta_free(&u.meta);
	free(want);
	model_free(&md);
}

static void test_complete_errors_keep_upload(void **state)
{
	static const unsigned all3[] = {1, 2, 3};
	struct fx *f = *state;
	struct model md = {{0}};
	char upload[STRATA_UPLOAD_ID_MAX], saved[STRATA_ETAG_MAX];
	struct complete_part cp[2];
	struct parts_seen ps = {0};
	struct obj_meta m;
	uint64_t size = 0;
	uint8_t *want, *got;

	assert_int_equal(put_object(f->be, "k", "the old object"), S3E_OK);
	upload_new(f->be, "k", upload);
	model_put(f->be, &md, upload, 1, 2000, 4);
	model_put(f->be, &md, upload, 2, 3000, 4);
	model_put(f->be, &md, upload, 3, 10, 4);

	/* a wrong ETag */
	memcpy(saved, md.etag[2], sizeof(saved));
	md.etag[2][0] = md.etag[2][0] == '0' ? '1' : '0';
	assert_int_equal(complete(f->be, &md, upload, all3, 3, "x-3"), S3E_InvalidPart);
	memcpy(md.etag[2], saved, sizeof(saved));
	/* a part never uploaded */
	{
		static const unsigned with4[] = {1, 2, 4};

		md.len[4] = 0;
		snprintf(md.etag[4], sizeof(md.etag[4]), "%s", md.etag[3]);
		assert_int_equal(complete(f->be, &md, upload, with4, 3, "x-3"), S3E_InvalidPart);
	}
	/* parts out of order, none at all */
	memset(cp, 0, sizeof(cp));
	cp[0].number = 2;
	cp[1].number = 1;
	memcpy(cp[0].etag, md.etag[2], sizeof(cp[0].etag));
	memcpy(cp[1].etag, md.etag[1], sizeof(cp[1].etag));
	meta_for(&m, 5000, "x-2");
	assert_int_equal(backend_upload_complete(f->be, BKT, upload, cp, 2, &m),
			 S3E_InvalidPartOrder);
	assert_int_equal(backend_upload_complete(f->be, BKT, upload, cp, 0, &m),
			 S3E_InvalidRequest);
	/* metadata whose size is not the parts' sum */
	cp[0].number = 1;
	cp[1].number = 2;
	memcpy(cp[0].etag, md.etag[1], sizeof(cp[0].etag));
	memcpy(cp[1].etag, md.etag[2], sizeof(cp[1].etag));
	m.size = 4999;
	assert_int_equal(backend_upload_complete(f->be, BKT, upload, cp, 2, &m), S3E_InternalError);
	assert_int_equal(backend_upload_complete(f->be, "nobucket", upload, cp, 2, &m),
			 S3E_NoSuchBucket);

	/* nothing changed: the old object, all three parts, the upload still active */
	got = read_all(f->be, "k", 100, &size);
	assert_memory_equal(got, "the old object", 14);
	free(got);
	assert_int_equal(backend_part_list(f->be, BKT, upload, 0, SIZE_MAX, collect_part, &ps),
			 S3E_OK);
	assert_int_equal(ps.n, 3);
	assert_int_equal(count_files(f->dir, "objects"), 4);

	/* ... and it completes */
	assert_int_equal(complete(f->be, &md, upload, all3, 3, "good-3"), S3E_OK);
	want = model_object(&md, all3, 3, &size);
	got = read_all(f->be, "k", 4096, &size);
	assert_true(size == 5010);
	assert_memory_equal(got, want, size);
	assert_int_equal(count_files(f->dir, "objects"), 3); /* the old object's file is gone */
	free(got);
	free(want);
	model_free(&md);
}

static void test_abort_reclaims(void **state)
{
	struct fx *f = *state;
	struct model md = {{0}};
	char upload[STRATA_UPLOAD_ID_MAX];
	struct be_writer *w = NULL;
	struct upload_info u;
	struct part_info p;
	unsigned n;

	upload_new(f->be, "k", upload);
	for (n = 1; n <= 5; n++)
		model_put(f->be, &md, upload, n, 1000 * n, 5);
	/* a part still being written when the abort comes */
	assert_int_equal(backend_part_writer_open(f->be, BKT, upload, 6, 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "late", 4), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 5);

	assert_int_equal(backend_upload_abort(f->be, "other", upload), S3E_NoSuchBucket);
	assert_int_equal(backend_upload_abort(f->be, BKT, upload), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_NoSuchUpload);
	assert_int_equal(backend_upload_abort(f->be, BKT, upload), S3E_NoSuchUpload);

	memset(&p, 0, sizeof(p));
	p.number = 6;
	p.size = 4;
	assert_int_equal(backend_part_commit(f->be, w, &p), S3E_NoSuchUpload);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM parts"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM uploads"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	model_free(&md);
}

/* Completes key from `parts` fresh parts of `len` bytes each; returns the object's bytes. */
static uint8_t *make_multipart(struct backend *be, const char *key, unsigned parts, size_t len,
			       unsigned seed, uint64_t *size)
{
	unsigned nums[MAXP], n;
	char upload[STRATA_UPLOAD_ID_MAX];
	struct model md = {{0}};
	uint8_t *obj;

	assert_true(parts <= MAXP);
	upload_new(be, key, upload);
	for (n = 1; n <= parts; n++) {
		model_put(be, &md, upload, n, len, seed);
		nums[n - 1] = n;
	}
	assert_int_equal(complete(be, &md, upload, nums, parts, "mp"), S3E_OK);
	obj = model_object(&md, nums, parts, size);
	model_free(&md);
	return obj;
}

static void test_overwrite_delete_reclaim(void **state)
{
	struct fx *f = *state;
	struct be_reader *r = NULL;
	uint64_t size = 0, size2 = 0, got_size = 0;
	uint8_t *old, *obj, *got;
	struct obj_meta m;

	old = make_multipart(f->be, "k", 3, 2500, 6, &size);
	assert_int_equal(count_files(f->dir, "objects"), 3);
	/* a reader opened now keeps the version it opened (M6) */
	assert_int_equal(backend_reader_open(f->be, BKT, "k", &m, &r), S3E_OK);
	obj_meta_free(&m);

	/* overwritten by a single PUT: all three part files are reclaimed */
	assert_int_equal(put_object(f->be, "k", "plain"), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 1);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM object_parts"), 0);
	check_range(f->be, r, old, size, 0, size);
	check_range(f->be, r, old, size, 2490, 20);
	backend_reader_close(f->be, r);

	/* a multipart object over a single PUT, then over a multipart object */
	obj = make_multipart(f->be, "k", 4, 100, 7, &size2);
	assert_int_equal(count_files(f->dir, "objects"), 4);
	free(obj);
	obj = make_multipart(f->be, "k", 2, 300, 8, &size2);
	assert_int_equal(count_files(f->dir, "objects"), 2);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM object_parts"), 2);
	got = read_all(f->be, "k", 128, &got_size);
	assert_true(got_size == size2);
	assert_memory_equal(got, obj, size2);
	free(got);

	/* deleted: nothing left */
	assert_int_equal(backend_object_delete(f->be, BKT, "k"), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM object_parts"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	assert_int_equal(backend_object_head(f->be, BKT, "k", &m), S3E_NoSuchKey);
	assert_int_equal(backend_object_part_range(f->be, BKT, "k", 1, &size, &size2),
			 S3E_NoSuchKey);
	free(obj);
	free(old);
}

/*
 * An object of more parts than a reader keeps open: sequential and random
 * reads are exact across fd-cache evictions; after an overwrite, a part not
 * yet open fails the read cleanly (M7) while open ones still read.
 */
static void test_reader_many_parts(void **state)
{
	struct fx *f = *state;
	struct be_reader *r = NULL;
	uint64_t size = 0, got_size = 0, off;
	uint8_t *obj, *got, buf[64];
	struct obj_meta m;
	size_t n, i;

	obj = make_multipart(f->be, "many", 40, 10, 9, &size);
	assert_true(size == 400);
	got = read_all(f->be, "many", 3, &got_size);
	assert_memory_equal(got, obj, size);
	free(got);

	assert_int_equal(backend_reader_open(f->be, BKT, "many", &m, &r), S3E_OK);
	obj_meta_free(&m);
	for (i = 0; i < 200; i++) { /* back and forth across all 40 parts */
		off = (i * 173) % 400;
		check_range(f->be, r, obj, size, off, 25);
	}
	check_range(f->be, r, obj, size, 0, 400);
	check_range(f->be, r, obj, size, 5, 17); /* parts 1..3 are cached now */

	assert_int_equal(put_object(f->be, "many", "replaced"), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 1);
	/*
	 * Parts 1-3 and 28-40 are open (the full read left the last 16, the read
	 * at 5 reopened 1-3): they still read exactly. Part 10 is not, and its
	 * file is gone: an error, never other bytes.
	 */
	check_range(f->be, r, obj, size, 5, 17);
	check_range(f->be, r, obj, size, 350, 50);
	n = 99;
	assert_int_equal(backend_reader_read(f->be, r, 95, buf, 10, &n), S3E_InternalError);
	assert_int_equal(n, 99); /* outputs only on success */
	backend_reader_close(f->be, r);
	free(obj);
}

/* --- schema migration --- */

static void test_migrate_v1(void **state)
{
	/* The schema v1 SQL, as released with the first version of Strata. */
	static const char v1[] =
	    "PRAGMA journal_mode = WAL;"
	    "CREATE TABLE buckets(name TEXT NOT NULL COLLATE BINARY PRIMARY KEY,"
	    " owner TEXT NOT NULL, region TEXT NOT NULL, created_ms INTEGER NOT NULL"
	    ") WITHOUT ROWID;"
	    "CREATE TABLE objects(bucket TEXT NOT NULL COLLATE BINARY REFERENCES buckets(name),"
	    " key TEXT NOT NULL COLLATE BINARY CHECK (key <> ''), object_id TEXT NOT NULL,"
	    " size INTEGER NOT NULL CHECK (size >= 0), mtime_ms INTEGER NOT NULL,"
	    " etag TEXT NOT NULL, sha256 TEXT NOT NULL, checksum_algo TEXT NOT NULL,"
	    " checksum_b64 TEXT NOT NULL, storage_class TEXT NOT NULL, headers BLOB,"
	    " layout INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (bucket, key)) WITHOUT ROWID;"
	    "CREATE TABLE gc(object_id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;"
	    "INSERT INTO buckets VALUES('bkt', 'AKIDEXAMPLE', '', 1);"
	    "INSERT INTO objects VALUES('bkt', 'old/key', '00112233445566778899aabbccddeeff',"
	    " 5, 1700000000000, 'e1', '" SHA_A "', 'CRC32', 'AAAAAA==', '', NULL, 0);"
	    "PRAGMA user_version = 1;";
	static const char *const cols[] = {
	    "SELECT count(*) FROM pragma_table_info('objects') WHERE name = 'checksum_type'",
	    "SELECT count(*) FROM pragma_table_info('objects') WHERE name = 'parts_count'",
	    ("SELECT count(*) FROM sqlite_schema WHERE name IN ('uploads', 'parts', "
	     "'object_parts', 'uploads_by_key', 'uploads_done')"),
	};
	struct fx *f = *state;
	char path[256];
	struct obj_meta m;
	uint64_t size = 0;
	sqlite3 *db = NULL;
	uint8_t *got, *obj;
	size_t i;
	int fd;

	/* a v1 data directory: index plus the object's data file */
	{
		static const char *const subs[] = {"", "/objects", "/objects/00", "/tmp"};

		for (i = 0; i < ARRAY_LEN(subs); i++) {
			snprintf(path, sizeof(path), "%s%s", f->dir, subs[i]);
			assert_int_equal(mkdir(path, 0700), 0);
		}
	}
	snprintf(path, sizeof(path), "%s/objects/00/00112233445566778899aabbccddeeff", f->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	snprintf(path, sizeof(path), "%s/index.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	for (i = 0; i < ARRAY_LEN(cols); i++)
		assert_int_equal(index_int(f->dir, cols[i]), i == 2 ? 5 : 1);
	/* the old object reads as before, as a single PUT */
	assert_int_equal(backend_object_head(f->be, BKT, "old/key", &m), S3E_OK);
	assert_int_equal(m.parts_count, 0);
	assert_string_equal(m.checksum_type, "");
	assert_string_equal(m.checksum_algo, "CRC32");
	obj_meta_free(&m);
	got = read_all(f->be, "old/key", 10, &size);
	assert_true(size == 5);
	assert_memory_equal(got, "hello", 5);
	free(got);
	/* and multipart works on the migrated index */
	obj = make_multipart(f->be, "new/key", 2, 50, 10, &size);
	got = read_all(f->be, "new/key", 33, &size);
	assert_memory_equal(got, obj, 100);
	/* the v1 file stays plain (frames 0); the new parts are framed (F2, M11) */
	assert_int_equal(index_int(f->dir, "SELECT frames FROM objects WHERE key = 'old/key'"), 0);
	assert_int_equal(
	    index_int(f->dir,
		      "SELECT count(*) FROM object_parts WHERE key = 'new/key' AND frames = 1"),
	    2);
	free(got);
	free(obj);
	reopen(f); /* a second open finds the current version and changes nothing */
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
}

/* --- keep time of completed uploads; buckets --- */

static void test_completed_upload_pruned(void **state)
{
	char sql[256], upload[STRATA_UPLOAD_ID_MAX], other[STRATA_UPLOAD_ID_MAX];
	struct fx *f = *state;
	uint64_t size = 0;
	struct upload_info u;
	struct model md = {{0}};
	static const unsigned one[] = {1};

	upload_new(f->be, "k", upload);
	model_put(f->be, &md, upload, 1, 10, 11);
	assert_int_equal(complete(f->be, &md, upload, one, 1, "e-1"), S3E_OK);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	assert_true(u.completed);
	obj_meta_free(&u.meta);

	/* the keep time passes: gone for upload_get at once, pruned by the next create */
	snprintf(sql, sizeof(sql), "UPDATE uploads SET completed_ms = completed_ms - %lld - 1",
		 (long long)STRATA_COMPLETED_UPLOAD_KEEP_MS);
	index_exec(f->dir, sql);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_NoSuchUpload);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM uploads"), 1);
	upload_new(f->be, "k2", other);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM uploads"), 1);

	/* ... and at open */
	model_put(f->be, &md, other, 1, 10, 11);
	assert_int_equal(complete(f->be, &md, other, one, 1, "e-1"), S3E_OK);
	index_exec(f->dir, sql);
	reopen(f);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM uploads"), 0);
	/* the objects themselves stay */
	free(read_all(f->be, "k2", 64, &size));
	assert_true(size == 10);
	model_free(&md);
}

/* DeleteBucket with uploads in progress succeeds (as AWS) and reclaims their parts (M9). */
static void test_bucket_delete_with_uploads(void **state)
{
	struct fx *f = *state;
	struct bucket_info b = {"tmpb", "o", "", 0};
	char upload[STRATA_UPLOAD_ID_MAX];
	struct be_writer *w = NULL;
	struct upl_seen *s = calloc(1, sizeof(*s));
	struct upload_info u;
	struct obj_meta m;
	uint64_t size = 0;
	uint8_t *obj;

	assert_non_null(s);
	/* a multipart object makes the bucket not empty */
	obj = make_multipart(f->be, "k", 2, 10, 12, &size);
	free(obj);
	assert_int_equal(backend_bucket_delete(f->be, BKT), S3E_BucketNotEmpty);

	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	obj_meta_init(&m);
	assert_int_equal(backend_upload_create(f->be, "tmpb", "x", &m, upload), S3E_OK);
	assert_int_equal(backend_part_writer_open(f->be, "tmpb", upload, 1, 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	{
		struct part_info p = {1, 3, 1, "e", "", SHA_A};

		assert_int_equal(backend_part_commit(f->be, w, &p), S3E_OK);
	}
	assert_int_equal(count_files(f->dir, "objects"), 3);
	assert_int_equal(backend_bucket_delete(f->be, "tmpb"), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 2);
	assert_int_equal(backend_upload_get(f->be, "tmpb", upload, &u), S3E_NoSuchBucket);
	/* the name comes back empty */
	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	assert_int_equal(backend_upload_get(f->be, "tmpb", upload, &u), S3E_NoSuchUpload);
	assert_int_equal(
	    backend_upload_list(f->be, "tmpb", "", "", "", SIZE_MAX, collect_upload, s), S3E_OK);
	assert_int_equal(s->n, 0);
	free(s);
}

/* --- crash safety --- */

#define CRASH_PARTS 24
#define CRASH_ROUNDS 24

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Prepares the crash scenario on a closed data directory: key "crash"
 * holds a single-PUT object; an upload of it has CRASH_PARTS parts; the
 * Complete will list all but the last. *upload and md describe it.
 */
static void crash_prepare(struct fx *f, struct model *md, char upload[STRATA_UPLOAD_ID_MAX])
{
	unsigned n;

	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(put_object(f->be, "crash", "old"), S3E_OK);
	upload_new(f->be, "crash", upload);
	for (n = 1; n <= CRASH_PARTS; n++)
		model_put(f->be, md, upload, n, 3000 + n, 13);
	backend_close(f->be);
	f->be = NULL;
}

/*
 * In a child: open the backend, say so on a pipe, then complete. The parent
 * kills it delay_us after that word; when delay_us < 0 it lets it run and
 * returns how long the Complete took.
 */
static int64_t crash_run(struct fx *f, const struct model *md, const char *upload,
			 const unsigned *nums, int64_t delay_us)
{
	int64_t t0;
	int status = 0, pfd[2];
	char ready = 0;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct backend *be = NULL;

		close(pfd[0]);
		if (posix_open_files(f->dir, &be) != S3E_OK || write(pfd[1], "r", 1) != 1 ||
		    complete(be, md, upload, nums, CRASH_PARTS - 1, "final-23") != S3E_OK ||
		    write(pfd[1], "d", 1) != 1)
			_exit(3);
		backend_close(be);
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &ready, 1), 1);
	t0 = mono_us();
	if (delay_us >= 0) {
		struct timespec ts = {(time_t)(delay_us / 1000000),
				      (long)(delay_us % 1000000) * 1000};

		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	} else {
		assert_int_equal(read(pfd[0], &ready, 1), 1); /* Complete returned */
		t0 = mono_us() - t0;
	}
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
		    (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
	return t0;
}

/* After a crash: the upload is active and completable, or the object is complete. */
static bool crash_check(struct fx *f, struct model *md, const char *upload, const unsigned *nums)
{
	struct parts_seen *ps = calloc(1, sizeof(*ps));
	uint64_t size = 0, wsize = 0;
	struct upload_info u;
	uint8_t *got, *want;
	bool completed;
	size_t i;

	assert_non_null(ps);
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	completed = u.completed;
	obj_meta_free(&u.meta);
	want = model_object(md, nums, CRASH_PARTS - 1, &wsize);
	if (!completed) {
		/* never half: the old object, every part, and Complete still works */
		got = read_all(f->be, "crash", 7, &size);
		assert_true(size == 3);
		assert_memory_equal(got, "old", 3);
		free(got);
		assert_int_equal(
		    backend_part_list(f->be, BKT, upload, 0, SIZE_MAX, collect_part, ps), S3E_OK);
		assert_int_equal(ps->n, CRASH_PARTS);
		for (i = 0; i < CRASH_PARTS; i++)
			assert_string_equal(ps->p[i].etag, md->etag[i + 1]);
		assert_int_equal(count_files(f->dir, "objects"), CRASH_PARTS + 1);
		assert_int_equal(complete(f->be, md, upload, nums, CRASH_PARTS - 1, "final-23"),
				 S3E_OK);
	}
	/* the object is whole; the old object's file and the unlisted part are reclaimed */
	got = read_all(f->be, "crash", 4096, &size);
	assert_true(size == wsize);
	assert_memory_equal(got, want, size);
	free(got);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	assert_true(u.completed);
	assert_string_equal(u.final_etag, "final-23");
	obj_meta_free(&u.meta);
	assert_int_equal(count_files(f->dir, "objects"), CRASH_PARTS - 1);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM parts"), 0);
	backend_close(f->be);
	f->be = NULL;
	free(want);
	free(ps);
	return completed;
}

/* Starts a crash round afresh: no object at "crash", a new upload with its parts. */
static void crash_reset(struct fx *f, struct model *md, char upload[STRATA_UPLOAD_ID_MAX])
{
	s3err_t err;

	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	err = backend_object_delete(f->be, BKT, "crash");
	assert_true(err == S3E_OK || err == S3E_NoSuchKey);
	backend_close(f->be);
	f->be = NULL;
	model_free(md);
	crash_prepare(f, md, upload);
}

static void test_crash_during_complete(void **state)
{
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];
	unsigned nums[CRASH_PARTS], n;
	size_t completed = 0, active = 0;
	struct model md = {{0}};
	int64_t span = INT64_MAX, t;
	int round;

	for (n = 0; n < CRASH_PARTS; n++)
		nums[n] = n + 1;
	backend_close(f->be);
	f->be = NULL;
	/* calibrate: how long a Complete takes in the child (the fastest of three) */
	for (round = 0; round < 3; round++) {
		crash_reset(f, &md, upload);
		t = crash_run(f, &md, upload, nums, -1);
		assert_true(crash_check(f, &md, upload, nums));
		if (t < span)
			span = t;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (round = 0; round < CRASH_ROUNDS; round++) {
		/* kill -9 at a uniformly random moment of the Complete (or just after) */
		int64_t delay = (int64_t)((double)rand() / RAND_MAX * (double)span * 1.2);

		crash_reset(f, &md, upload);
		crash_run(f, &md, upload, nums, delay);
		if (crash_check(f, &md, upload, nums))
			completed++;
		else
			active++;
	}
	print_message("kill -9 during Complete: %zu completed, %zu still active (span %lld us)\n",
		      completed, active, (long long)span);
	assert_int_equal(completed + active, CRASH_ROUNDS);
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	model_free(&md);
}

/* kill -9 while a part is being replaced: the old part or the new one, whole. */
static void test_crash_during_part_replace(void **state)
{
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];
	struct model md = {{0}};
	uint8_t *newer = pattern_buf(200000, 0, 77);
	char newer_etag[STRATA_ETAG_MAX];
	int round;

	fake_etag(newer, 200000, newer_etag);
	upload_new(f->be, "p", upload);
	model_put(f->be, &md, upload, 1, 200000, 14);
	backend_close(f->be);
	f->be = NULL;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (round = 0; round < 12; round++) {
		struct parts_seen ps = {0};
		struct be_reader *r = NULL;
		uint8_t *buf = malloc(200000);
		int status = 0, pfd[2];
		size_t got = 0;
		char ready = 0;
		pid_t pid;

		assert_non_null(buf);
		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct backend *be = NULL;

			close(pfd[0]);
			if (posix_open_files(f->dir, &be) != S3E_OK || write(pfd[1], "r", 1) != 1 ||
			    put_part(be, upload, 1, round % 2 ? newer : md.data[1], 200000, NULL) !=
				S3E_OK)
				_exit(3);
			_exit(0);
		}
		close(pfd[1]);
		assert_int_equal(read(pfd[0], &ready, 1), 1);
		close(pfd[0]);
		usleep((useconds_t)(rand() % 8000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
		assert_int_equal(count_files(f->dir, "tmp"), 0);
		assert_int_equal(backend_part_list(f->be, BKT, upload, 0, 10, collect_part, &ps),
				 S3E_OK);
		assert_int_equal(ps.n, 1);
		assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 1, &r), S3E_OK);
		assert_int_equal(backend_reader_read(f->be, r, 0, buf, 200000, &got), S3E_OK);
		assert_int_equal(got, 200000);
		backend_reader_close(f->be, r);
		/* whichever part is listed, its bytes are the ones its ETag names */
		if (strcmp(ps.p[0].etag, newer_etag) == 0)
			assert_memory_equal(buf, newer, 200000);
		else
			assert_memory_equal(buf, md.data[1], 200000);
		backend_close(f->be);
		f->be = NULL;
		free(buf);
	}
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	free(newer);
	model_free(&md);
}

/* --- concurrency --- */

#define THREADS 4
#define TPARTS 40

struct uploader {
	struct backend *be;
	const char *upload;
	int id;
	int failures;
	char etag[TPARTS + 1][STRATA_ETAG_MAX];
};

/* Uploads parts n = id + 1, id + 1 + THREADS, ... twice each (the second replaces). */
static void *uploader_main(void *arg)
{
	struct uploader *u = arg;
	unsigned n, round;

	for (round = 0; round < 2; round++)
		for (n = (unsigned)u->id + 1; n <= TPARTS; n += THREADS) {
			uint8_t *d = pattern_buf(1000 + n, n * 100000u, round);

			if (put_part(u->be, u->upload, n, d, 1000 + n, u->etag[n]) != S3E_OK)
				u->failures++;
			free(d);
		}
	return NULL;
}

static void test_concurrent_parts(void **state)
{
	struct fx *f = *state;
	struct uploader *ups = calloc(THREADS, sizeof(*ups));
	struct complete_part cp[TPARTS];
	char upload[STRATA_UPLOAD_ID_MAX];
	struct parts_seen ps = {0};
	pthread_t th[THREADS];
	uint64_t size = 0, got_size = 0, off = 0;
	uint8_t *got;
	struct obj_meta m;
	unsigned n;
	int i;

	assert_non_null(ups);
	upload_new(f->be, "parallel", upload);
	for (i = 0; i < THREADS; i++) {
		ups[i].be = f->be;
		ups[i].upload = upload;
		ups[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, uploader_main, &ups[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(ups[i].failures, 0);
	}
	assert_int_equal(backend_part_list(f->be, BKT, upload, 0, SIZE_MAX, collect_part, &ps),
			 S3E_OK);
	assert_int_equal(ps.n, TPARTS);
	for (n = 1; n <= TPARTS; n++) {
		const struct uploader *u = &ups[(n - 1) % THREADS];

		assert_int_equal(ps.p[n - 1].number, n);
		assert_string_equal(ps.p[n - 1].etag, u->etag[n]);
		cp[n - 1].number = n;
		memcpy(cp[n - 1].etag, u->etag[n], sizeof(cp[0].etag));
		size += 1000 + n;
	}
	assert_int_equal(count_files(f->dir, "objects"), TPARTS); /* first rounds reclaimed */
	meta_for(&m, size, "par-40");
	assert_int_equal(backend_upload_complete(f->be, BKT, upload, cp, TPARTS, &m), S3E_OK);
	got = read_all(f->be, "parallel", 5000, &got_size);
	assert_true(got_size == size);
	for (n = 1; n <= TPARTS; n++) {
		uint8_t *d = pattern_buf(1000 + n, n * 100000u, 1);

		assert_memory_equal(got + off, d, 1000 + n);
		off += 1000 + n;
		free(d);
	}
	free(got);
	assert_int_equal(count_files(f->dir, "objects"), TPARTS);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	free(ups);
}

/* --- the wrappers --- */

/* --- integrity frames of parts (M11) --- */

#define F ((uint64_t)FRAME_DATA_SIZE)
#define STRIDE ((uint64_t)FRAME_DATA_SIZE + FRAME_TAG_SIZE)

/* Path of the data file that `sql` (one row, one id column) names. */
static void file_of(const struct fx *f, const char *sql, char *path, size_t cap)
{
	char dbpath[256], id[33];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;

	snprintf(dbpath, sizeof(dbpath), "%s/index.db", f->dir);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), 32);
	memcpy(id, sqlite3_column_text(st, 0), 33);
	sqlite3_finalize(st);
	sqlite3_close(db);
	snprintf(path, cap, "%s/objects/%.2s/%s", f->dir, id, id);
}

static void flip_byte(const char *path, uint64_t off)
{
	unsigned char b = 0;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x80;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

/* A read of [off, off + len) fails, leaving *got untouched. */
static void check_range_fails(struct backend *be, struct be_reader *r, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);
	size_t got = 777;

	assert_non_null(buf);
	assert_int_equal(backend_reader_read(be, r, off, buf, len, &got), S3E_InternalError);
	assert_int_equal(got, 777);
	free(buf);
}

static void test_corrupt_part_frame(void **state)
{
	const size_t plen = 2 * F + 3; /* three frames per part, the last one short */
	struct fx *f = *state;
	struct be_reader *r = NULL;
	struct obj_meta m;
	uint64_t size = 0, before, p2;
	struct stat sb;
	char path[512];
	uint8_t *obj;

	obj = make_multipart(f->be, "mp/rot", 3, plen, 4, &size);
	assert_int_equal(size, 3 * plen);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM object_parts WHERE frames = 1"),
			 3);
	assert_int_equal(index_int(f->dir, "SELECT frames FROM objects WHERE key = 'mp/rot'"), 0);
	file_of(f, "SELECT object_id FROM object_parts WHERE key = 'mp/rot' AND idx = 2", path,
		sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, frames_stored_size(plen));
	flip_byte(path, STRIDE + 99); /* part 2, frame 1 */
	before = posix_integrity_failures();

	assert_int_equal(backend_reader_open(f->be, BKT, "mp/rot", &m, &r), S3E_OK);
	p2 = plen;					  /* where part 2 starts */
	check_range(f->be, r, obj, size, 0, plen);	  /* part 1 */
	check_range(f->be, r, obj, size, p2 - 10, 20);	  /* part 1 into part 2, frame 0 */
	check_range_fails(f->be, r, p2 + F + 99, 1);	  /* the flipped byte */
	check_range_fails(f->be, r, p2 + F - 1, 2);	  /* a range touching frame 1 */
	check_range(f->be, r, obj, size, p2 + 2 * F, 3);  /* part 2, frame 2 */
	check_range(f->be, r, obj, size, 2 * plen, plen); /* part 3 */
	check_range_fails(f->be, r, 0, (size_t)size);	  /* the whole object */
	assert_int_equal(posix_integrity_failures(), before + 3);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	free(obj);
}

static void test_corrupt_upload_part(void **state)
{
	const size_t plen = F + 500;
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX], sql[256], path[512];
	struct model md = {{0}};
	struct be_reader *r = NULL;

	upload_new(f->be, "up/rot", upload);
	model_put(f->be, &md, upload, 1, plen, 2);
	snprintf(sql, sizeof(sql), "SELECT frames FROM parts WHERE upload_id = '%s'", upload);
	assert_int_equal(index_int(f->dir, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT object_id FROM parts WHERE upload_id = '%s'", upload);
	file_of(f, sql, path, sizeof(path));
	flip_byte(path, 3); /* frame 0 */
	assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 1, &r), S3E_OK);
	check_range_fails(f->be, r, 0, 10);
	check_range(f->be, r, md.data[1], plen, F, 500); /* frame 1 is intact */
	backend_reader_close(f->be, r);
	/* a truncated part does not even open */
	assert_int_equal(truncate(path, 10), 0);
	assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 1, &r), S3E_InternalError);
	model_free(&md);
}

/* --- encrypted uploads (M12) --- */

static const uint8_t dkey[SSE_KEY_SIZE] = "upload data key, 32 bytes long!!";
static const uint8_t other_key[SSE_KEY_SIZE] = "another data key of 32 bytes ...";
static const char marker[] = "STRATA-PLAINTEXT-MARKER-32-BYTES";

/* sse fields: SSE-S3 under key_id with an envelope made of seed. */
static void sse_s3(struct obj_meta *m, const char *key_id, uint8_t seed)
{
	size_t i;

	m->sse_mode = SSE_S3;
	snprintf(m->sse_key_id, sizeof(m->sse_key_id), "%s", key_id);
	m->sse_envelope_len = 60;
	for (i = 0; i < 60; i++)
		m->sse_envelope[i] = (uint8_t)(seed + i);
}

/* Starts an encrypted upload of key whose metadata carries `sse`'s fields. */
static void upload_new_sse(struct backend *be, const char *key, const struct obj_meta *sse,
			   char id[STRATA_UPLOAD_ID_MAX])
{
	struct obj_meta m;

	obj_meta_init(&m);
	m.sse_mode = sse->sse_mode;
	memcpy(m.sse_key_id, sse->sse_key_id, sizeof(m.sse_key_id));
	memcpy(m.sse_envelope, sse->sse_envelope, sizeof(m.sse_envelope));
	m.sse_envelope_len = sse->sse_envelope_len;
	assert_int_equal(backend_upload_create(be, BKT, key, &m, id), S3E_OK);
	obj_meta_free(&m);
}

/* Sealed part `number` of len bytes with the marker at byte 100, recorded in the model. */
static void model_put_sealed(struct backend *be, struct model *md, const char *upload,
			     unsigned number, size_t len, unsigned seed)
{
	free(md->data[number]);
	md->data[number] = pattern_buf(len, number * 100000u, seed);
	md->len[number] = len;
	if (len >= 132)
		memcpy(md->data[number] + 100, marker, 32);
	assert_int_equal(
	    put_part_key(be, upload, number, md->data[number], len, dkey, md->etag[number]),
	    S3E_OK);
}

/* true when the data file at path holds the marker in clear. */
static bool file_has_marker(const char *path)
{
	struct stat sb;
	uint8_t *buf;
	bool found;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)sb.st_size, 0), sb.st_size);
	close(fd);
	found = memmem(buf, (size_t)sb.st_size, marker, 32) != NULL;
	free(buf);
	return found;
}

/* A read of [off, off + len) through r fails. */
static void read_fails(struct backend *be, struct be_reader *r, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);
	size_t got = 777;

	assert_non_null(buf);
	assert_int_equal(backend_reader_read(be, r, off, buf, len, &got), S3E_InternalError);
	assert_int_equal(got, 777);
	free(buf);
}

static void test_sealed_multipart(void **state)
{
	static const unsigned nums[] = {1, 2};
	const size_t l1 = F + 10, l2 = 2 * F + 7;
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX], sql[256], path[512];
	struct model md = {{0}};
	struct be_reader *r = NULL;
	struct upload_info u;
	struct obj_meta sse, m;
	uint64_t size = 0, before;
	uint8_t *obj;

	obj_meta_init(&sse);
	sse_s3(&sse, "k1", 9);
	upload_new_sse(f->be, "enc/mp", &sse, upload);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	assert_int_equal(u.meta.sse_mode, SSE_S3);
	assert_string_equal(u.meta.sse_key_id, "k1");
	assert_int_equal(u.meta.sse_envelope_len, 60);
	assert_memory_equal(u.meta.sse_envelope, sse.sse_envelope, 60);
	obj_meta_free(&u.meta);

	model_put_sealed(f->be, &md, upload, 1, l1, 1);
	model_put_sealed(f->be, &md, upload, 2, l2, 2);
	/* an unsealed part of an encrypted upload is refused, the upload unchanged (M12) */
	assert_int_equal(put_part(f->be, upload, 3, "plain", 5, NULL), S3E_InternalError);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM parts"), 2);
	snprintf(sql, sizeof(sql),
		 "SELECT object_id FROM parts WHERE upload_id = '%s' AND number = 2", upload);
	file_of(f, sql, path, sizeof(path));
	assert_false(file_has_marker(path));

	/* a part reads with the upload's data key only */
	before = posix_integrity_failures();
	assert_int_equal(backend_part_reader_open(f->be, BKT, upload, 2, &r), S3E_OK);
	read_fails(f->be, r, 0, 10);
	assert_int_equal(posix_integrity_failures(), before);
	assert_int_equal(backend_reader_unseal(f->be, r, dkey), S3E_OK);
	check_range(f->be, r, md.data[2], l2, 0, l2);
	check_range(f->be, r, md.data[2], l2, F - 3, 6);
	backend_reader_close(f->be, r);

	/* Complete must say the upload's mode */
	assert_int_equal(complete(f->be, &md, upload, nums, 2, "etag-2"), S3E_InternalError);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	assert_false(u.completed);
	obj_meta_free(&u.meta);
	assert_int_equal(complete_sse(f->be, &md, upload, nums, 2, "etag-2", &sse), S3E_OK);
	obj = model_object(&md, nums, 2, &size);

	assert_int_equal(backend_object_head(f->be, BKT, "enc/mp", &m), S3E_OK);
	assert_int_equal(m.sse_mode, SSE_S3);
	assert_string_equal(m.sse_key_id, "k1");
	assert_memory_equal(m.sse_envelope, sse.sse_envelope, 60);
	assert_int_equal(m.parts_count, 2);
	obj_meta_free(&m);

	/* the object: nothing without the key, everything with it, across the part boundary */
	assert_int_equal(backend_reader_open(f->be, BKT, "enc/mp", &m, &r), S3E_OK);
	read_fails(f->be, r, l1 - 5, 10);
	assert_int_equal(posix_integrity_failures(), before);
	assert_int_equal(backend_reader_unseal(f->be, r, dkey), S3E_OK);
	check_range(f->be, r, obj, size, 0, (size_t)size);
	check_range(f->be, r, obj, size, l1 - 5, 10);
	check_range(f->be, r, obj, size, F - 1, (size_t)(size - F));
	check_range(f->be, r, obj, size, l1 + F, 20);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	/* a wrong key is corruption (GCM), counted */
	assert_int_equal(backend_reader_open(f->be, BKT, "enc/mp", &m, &r), S3E_OK);
	assert_int_equal(backend_reader_unseal(f->be, r, other_key), S3E_OK);
	read_fails(f->be, r, l1 + 1, 10);
	assert_int_equal(posix_integrity_failures(), before + 1);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	/* the part files, now the object's, hold no plaintext */
	file_of(f, "SELECT object_id FROM object_parts WHERE key = 'enc/mp' AND idx = 1", path,
		sizeof(path));
	assert_false(file_has_marker(path));
	free(obj);
	model_free(&md);
}

/* A plain upload refuses sealed parts; a sealed part of a plain upload would be unreadable. */
static void test_plain_upload_refuses_sealed_part(void **state)
{
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];

	upload_new(f->be, "plain/mp", upload);
	assert_int_equal(put_part_key(f->be, upload, 1, "abc", 3, dkey, NULL), S3E_InternalError);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM parts"), 0);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
}

/* Rotation: stands in for rewrapping under "new" by flipping byte 0 of the envelope. */
static s3err_t flip_wrap(void *ctx, const char *key_id, const uint8_t *env, size_t len,
			 char new_id[STRATA_SSE_KEY_ID_MAX],
			 uint8_t new_env[STRATA_SSE_ENVELOPE_MAX], size_t *new_len)
{
	(void)ctx;
	(void)key_id;
	memcpy(new_env, env, len);
	new_env[0] ^= 0xff;
	*new_len = len;
	snprintf(new_id, STRATA_SSE_KEY_ID_MAX, "new");
	return S3E_OK;
}

static bool count_usage(void *ctx, const char *key_id, uint64_t count, const uint8_t *env,
			size_t len)
{
	uint64_t *n = ctx;

	(void)env;
	assert_string_equal(key_id, "new");
	assert_int_equal(len, 60);
	*n += count;
	return true;
}

/*
 * F8: an upload rewrapped between the gateway's upload_get and its Complete
 * makes an object with the rewrapped envelope, not the stale one.
 */
static void test_complete_takes_upload_envelope(void **state)
{
	static const unsigned nums[] = {1};
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];
	struct model md = {{0}};
	struct upload_info u;
	struct obj_meta sse, m;
	uint64_t count = 0, used = 0;
	uint8_t *got;

	obj_meta_init(&sse);
	sse_s3(&sse, "old", 40);
	upload_new_sse(f->be, "rot/mp", &sse, upload);
	model_put_sealed(f->be, &md, upload, 1, 5000, 3);
	assert_int_equal(backend_sse_rewrap(f->be, "new", flip_wrap, NULL, &count), S3E_OK);
	assert_int_equal(count, 1);
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	assert_string_equal(u.meta.sse_key_id, "new");
	assert_int_equal(u.meta.sse_envelope[0], sse.sse_envelope[0] ^ 0xff);
	obj_meta_free(&u.meta);
	assert_int_equal(backend_sse_key_usage(f->be, count_usage, &used), S3E_OK);
	assert_int_equal(used, 1);

	/* the gateway still holds the old envelope */
	assert_int_equal(complete_sse(f->be, &md, upload, nums, 1, "e-1", &sse), S3E_OK);
	assert_int_equal(backend_object_head(f->be, BKT, "rot/mp", &m), S3E_OK);
	assert_string_equal(m.sse_key_id, "new");
	assert_int_equal(m.sse_envelope[0], sse.sse_envelope[0] ^ 0xff);
	assert_memory_equal(m.sse_envelope + 1, sse.sse_envelope + 1, 59);
	obj_meta_free(&m);
	used = 0;
	assert_int_equal(backend_sse_key_usage(f->be, count_usage, &used), S3E_OK);
	assert_int_equal(used, 2); /* the object, and the completed upload until it is pruned */
	{
		struct be_reader *r = NULL;
		size_t n = 0;

		got = malloc(5000);
		assert_non_null(got);
		assert_int_equal(backend_reader_open(f->be, BKT, "rot/mp", &m, &r), S3E_OK);
		assert_int_equal(backend_reader_unseal(f->be, r, dkey), S3E_OK);
		assert_int_equal(backend_reader_read(f->be, r, 0, got, 5000, &n), S3E_OK);
		assert_int_equal(n, 5000);
		assert_memory_equal(got, md.data[1], 5000);
		backend_reader_close(f->be, r);
		obj_meta_free(&m);
		free(got);
	}
	model_free(&md);
}

static void test_wrappers_not_implemented(void **state)
{
	static const struct backend_ops none = {.abi_version = BACKEND_ABI_VERSION, .name = "none"};
	static const struct backend_ops old = {.abi_version = 1, .name = "old"};
	struct backend be = {&none}, be_old = {&old};
	char id[STRATA_UPLOAD_ID_MAX];
	struct be_writer *w = NULL;
	struct be_reader *r = NULL;
	struct upload_info u;
	struct obj_meta m;
	uint64_t a, b;

	(void)state;
	obj_meta_init(&m);
	assert_int_equal(backend_upload_create(&be, BKT, "k", &m, id), S3E_NotImplemented);
	assert_int_equal(backend_upload_create(&be_old, BKT, "k", &m, id), S3E_NotImplemented);
	assert_int_equal(backend_upload_get(&be, BKT, "u", &u), S3E_NotImplemented);
	assert_int_equal(backend_part_writer_open(&be, BKT, "u", 1, 0, &w), S3E_NotImplemented);
	assert_int_equal(backend_part_commit(&be, w, NULL), S3E_NotImplemented);
	assert_int_equal(backend_part_reader_open(&be, BKT, "u", 1, &r), S3E_NotImplemented);
	assert_int_equal(backend_part_list(&be, BKT, "u", 0, 1, collect_part, NULL),
			 S3E_NotImplemented);
	assert_int_equal(backend_upload_list(&be, BKT, "", "", "", 1, collect_upload, NULL),
			 S3E_NotImplemented);
	assert_int_equal(backend_upload_abort(&be, BKT, "u"), S3E_NotImplemented);
	assert_int_equal(backend_upload_complete(&be, BKT, "u", NULL, 0, &m), S3E_NotImplemented);
	assert_int_equal(backend_object_part_range(&be, BKT, "k", 1, &a, &b), S3E_NotImplemented);
	assert_int_equal(backend_writer_place(&be, w, "GLACIER"), S3E_NotImplemented);
	assert_int_equal(backend_object_transition(&be, BKT, "k", 1, "e", "GLACIER"),
			 S3E_NotImplemented);
	assert_int_equal(backend_restore_request(&be, BKT, "k", 1, &(int){0}), S3E_NotImplemented);
	assert_int_equal(backend_restore_due(&be, 1, NULL, NULL), S3E_NotImplemented);
	assert_int_equal(backend_restore_run(&be, BKT, "k", 1, "e"), S3E_NotImplemented);
	assert_int_equal(backend_restore_release(&be, BKT, "k", 1, "e"), S3E_NotImplemented);
	assert_null(w);
	assert_null(r);
}

/* --- storage tiers (M13; T1..T5 in posix_tiers.c) --- */

/* Reopens f's backend with the first n test tiers (fixture_tiers_init). */
static void open_tiers(struct fx *f, size_t n)
{
	char root[64], *slash;

	backend_close(f->be);
	f->be = NULL;
	snprintf(root, sizeof(root), "%s", f->dir);
	slash = strstr(root, "/data");
	assert_non_null(slash);
	*slash = '\0';
	fixture_tiers_init(&f->tiers, root, n, NULL);
	assert_int_equal(posix_open_opts(f->dir, &f->tiers.opts, &f->be), S3E_OK);
}

/* Data files in the data directory and in tiers a and b; no temporary anywhere. */
static void assert_where(const struct fx *f, size_t home, size_t a, size_t b)
{
	assert_int_equal(count_files(f->dir, "objects"), home);
	assert_int_equal(count_files(f->tiers.a, "objects"), a);
	assert_int_equal(count_files(f->tiers.b, "objects"), b);
	assert_int_equal(count_files(f->dir, "tmp") + count_files(f->tiers.a, "tmp") +
			     count_files(f->tiers.b, "tmp"),
			 0);
}

/* Starts an upload of key in storage class cls. */
static void upload_in(struct backend *be, const char *key, const char *cls,
		      char id[STRATA_UPLOAD_ID_MAX])
{
	struct obj_meta m;

	obj_meta_init(&m);
	snprintf(m.storage_class, sizeof(m.storage_class), "%s", cls);
	assert_int_equal(backend_upload_create(be, BKT, key, &m, id), S3E_OK);
}

/* Completes the listed parts as key's object, with the true SHA-256 of the whole. */
static void complete_true(struct backend *be, const struct model *md, const char *upload,
			  const unsigned *nums, size_t n)
{
	struct complete_part cp[MAXP];
	struct obj_meta m;
	uint64_t size = 0;
	uint8_t *obj = model_object(md, nums, n, &size);
	size_t i;

	for (i = 0; i < n; i++) {
		cp[i].number = nums[i];
		memcpy(cp[i].etag, md->etag[nums[i]], sizeof(cp[i].etag));
	}
	meta_for(&m, size, "0123456789abcdef0123456789abcdef-3");
	fixture_sha256(obj, size, m.sha256_hex);
	m.parts_count = (unsigned)n;
	assert_int_equal(backend_upload_complete(be, BKT, upload, cp, n, &m), S3E_OK);
	free(obj);
}

static void assert_object(struct backend *be, const char *key, const struct model *md,
			  const unsigned *nums, size_t n)
{
	uint64_t want_size = 0, size = 0;
	uint8_t *want = model_object(md, nums, n, &want_size);
	uint8_t *got = read_all(be, key, 50000, &size);

	assert_true(size == want_size);
	assert_memory_equal(got, want, size);
	free(got);
	free(want);
}

static s3err_t move_to(struct fx *f, const char *key, const char *cls)
{
	return backend_object_transition(f->be, BKT, key, 1700000000123,
					 "0123456789abcdef0123456789abcdef-3", cls);
}

/* An upload in GLACIER_IR keeps its parts in tier b, and so does the object it completes into. */
static void test_tier_multipart_placement(void **state)
{
	static const unsigned all[] = {1, 2, 3};
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX], other[STRATA_UPLOAD_ID_MAX];
	struct model md = {0}, mo = {0};

	open_tiers(f, 2);
	upload_in(f->be, "mp", "GLACIER_IR", upload);
	model_put(f->be, &md, upload, 1, 70000, 1);
	model_put(f->be, &md, upload, 2, 65536, 2);
	model_put(f->be, &md, upload, 3, 999, 3);
	assert_where(f, 0, 0, 3);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM parts WHERE tier = 'GLACIER_IR'"),
			 3);
	/* a replaced part is reclaimed in its tier */
	model_put(f->be, &md, upload, 2, 65537, 4);
	assert_where(f, 0, 0, 3);
	complete_true(f->be, &md, upload, all, 3);
	assert_where(f, 0, 0, 3);
	assert_int_equal(
	    index_int(f->dir, "SELECT count(*) FROM object_parts WHERE tier = 'GLACIER_IR'"), 3);
	assert_int_equal(
	    index_int(f->dir,
		      "SELECT count(*) FROM objects WHERE key = 'mp' AND tier = 'GLACIER_IR'"),
	    1);
	assert_object(f->be, "mp", &md, all, 3);
	/* parts are read through part readers at their place too */
	upload_in(f->be, "other", "STANDARD_IA", other);
	model_put(f->be, &mo, other, 1, 5000, 9);
	assert_where(f, 0, 1, 3);
	{
		struct be_reader *r = NULL;
		uint8_t buf[5000];
		size_t got = 0;

		assert_int_equal(backend_part_reader_open(f->be, BKT, other, 1, &r), S3E_OK);
		assert_int_equal(backend_reader_read(f->be, r, 0, buf, sizeof(buf), &got), S3E_OK);
		assert_int_equal(got, 5000);
		assert_memory_equal(buf, mo.data[1], 5000);
		backend_reader_close(f->be, r);
	}
	/* aborting reclaims the parts in the tier; deleting the object its parts */
	assert_int_equal(backend_upload_abort(f->be, BKT, other), S3E_OK);
	assert_where(f, 0, 0, 3);
	assert_int_equal(backend_object_delete(f->be, BKT, "mp"), S3E_OK);
	assert_where(f, 0, 0, 0);
	/* an upload in a tier goes with its bucket */
	upload_in(f->be, "other", "STANDARD_IA", other);
	model_put(f->be, &mo, other, 1, 10, 9);
	assert_where(f, 0, 1, 0);
	assert_int_equal(backend_bucket_delete(f->be, BKT), S3E_OK);
	assert_where(f, 0, 0, 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	model_free(&md);
	model_free(&mo);
}

/*
 * A multipart object moves with all its parts: tier b -> tier a -> home ->
 * tier b, byte-identical after each move; parts spread over two locations
 * (a tier configured between UploadParts) are gathered.
 */
static void test_tier_multipart_transition(void **state)
{
	static const unsigned all[] = {1, 2, 3};
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];
	struct model md = {0};

	/* part 1 while GLACIER_IR has no tier (data directory), parts 2-3 once it has */
	open_tiers(f, 1);
	upload_in(f->be, "mp", "GLACIER_IR", upload);
	model_put(f->be, &md, upload, 1, 65536 + 5, 1);
	open_tiers(f, 2);
	model_put(f->be, &md, upload, 2, 3 * 65536, 2);
	model_put(f->be, &md, upload, 3, 17, 3);
	complete_true(f->be, &md, upload, all, 3);
	assert_where(f, 1, 0, 2);
	assert_object(f->be, "mp", &md, all, 3);
	/* only what is not in tier b yet is copied */
	assert_int_equal(move_to(f, "mp", "GLACIER_IR"), S3E_OK);
	assert_where(f, 0, 0, 3);
	assert_object(f->be, "mp", &md, all, 3);
	assert_int_equal(move_to(f, "mp", "STANDARD_IA"), S3E_OK);
	assert_where(f, 0, 3, 0);
	assert_object(f->be, "mp", &md, all, 3);
	assert_int_equal(
	    index_int(f->dir, "SELECT count(*) FROM object_parts WHERE tier = 'STANDARD_IA'"), 3);
	assert_int_equal(move_to(f, "mp", "STANDARD"), S3E_OK);
	assert_where(f, 3, 0, 0);
	assert_object(f->be, "mp", &md, all, 3);
	assert_int_equal(move_to(f, "mp", "GLACIER_IR"), S3E_OK);
	assert_where(f, 0, 0, 3);
	assert_object(f->be, "mp", &md, all, 3);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	/* another version: nothing moves */
	assert_int_equal(
	    backend_object_transition(f->be, BKT, "mp", 1700000000123, "other-3", "STANDARD_IA"),
	    S3E_PreconditionFailed);
	assert_where(f, 0, 0, 3);
	/* a damaged part: the move fails and leaves nothing behind in the target */
	{
		char id[40], path[256];
		uint8_t b = 0;
		int fd;

		index_str(f->dir, "SELECT object_id FROM object_parts WHERE idx = 2", id,
			  sizeof(id));
		snprintf(path, sizeof(path), "%s/objects/%.2s/%s", f->tiers.b, id, id);
		fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &b, 1, 70000), 1);
		b ^= 1;
		assert_int_equal(pwrite(fd, &b, 1, 70000), 1);
		close(fd);
		assert_int_equal(move_to(f, "mp", "STANDARD_IA"), S3E_InternalError);
		assert_where(f, 0, 0, 3);
		assert_int_equal(
		    index_int(f->dir,
			      "SELECT count(*) FROM object_parts WHERE tier = 'GLACIER_IR'"),
		    3);
	}
	model_free(&md);
}

/* A GET that started before a transition reads on: parts not yet open are found where they went. */
static void test_tier_reader_survives_transition(void **state)
{
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];
	unsigned nums[40], i;
	struct model md = {0};
	struct be_reader *r = NULL;
	struct obj_meta m;
	uint64_t size = 0;
	uint8_t *obj;

	open_tiers(f, 2);
	upload_in(f->be, "many", "", upload);
	for (i = 0; i < 40; i++) {
		nums[i] = i + 1;
		model_put(f->be, &md, upload, i + 1, 10, i);
	}
	complete_true(f->be, &md, upload, nums, 40);
	obj = model_object(&md, nums, 40, &size);
	assert_int_equal(backend_reader_open(f->be, BKT, "many", &m, &r), S3E_OK);
	obj_meta_free(&m);
	check_range(f->be, r, obj, size, 0, 400); /* the last 16 parts stay open */
	assert_int_equal(move_to(f, "many", "STANDARD_IA"), S3E_OK);
	assert_where(f, 0, 40, 0);
	check_range(f->be, r, obj, size, 95, 10); /* part 10: reopened in tier a */
	check_range(f->be, r, obj, size, 0, 400);
	backend_reader_close(f->be, r);
	free(obj);
	model_free(&md);
}

/* --- archive restores of multipart objects (R2, R4, R6 in posix_restore.c) --- */

/* Data (files or inline) in the data directory, files in tier c (GLACIER); no temporary. */
static void assert_home_glacier(const struct fx *f, size_t home, size_t c)
{
	assert_int_equal(count_data(f->dir), home);
	assert_int_equal(count_files(f->tiers.c, "objects"), c);
	assert_int_equal(count_files(f->dir, "tmp") + count_files(f->tiers.c, "tmp"), 0);
}

/* Flips stored byte `off` of the file of part idx in location root. */
static void damage_part(const struct fx *f, const char *root, unsigned idx, off_t off)
{
	char sql[128], id[40], path[256];
	uint8_t b = 0;
	int fd;

	snprintf(sql, sizeof(sql), "SELECT object_id FROM object_parts WHERE idx = %u", idx);
	index_str(f->dir, sql, id, sizeof(id));
	snprintf(path, sizeof(path), "%s/objects/%.2s/%s", root, id, id);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 1;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

/*
 * A multipart GLACIER object whose first part sits at home (uploaded before
 * the tier existed) and the others in tier c: the run copies only the two
 * archived parts, reads serve all three from home, and the release removes
 * those two copies and never the part that was at home all along.
 */
static void test_restore_multipart(void **state)
{
	static const unsigned all[] = {1, 2, 3};
	const uint64_t in_part2 = 65536 + 5 + 65536 + 10; /* frame 1 of part 2 */
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];
	struct model md = {0};
	struct be_reader *r = NULL;
	struct obj_meta m;
	int st = -1;

	open_tiers(f, 2);
	upload_in(f->be, "mp", "GLACIER", upload);
	model_put(f->be, &md, upload, 1, 65536 + 5, 1);
	open_tiers(f, 3);
	model_put(f->be, &md, upload, 2, 3 * 65536, 2);
	model_put(f->be, &md, upload, 3, 17, 3);
	complete_true(f->be, &md, upload, all, 3);
	assert_home_glacier(f, 1, 2);

	assert_int_equal(backend_restore_request(f->be, BKT, "mp", 1800000000000LL, &st), S3E_OK);
	assert_int_equal(st, RESTORE_NONE);
	assert_int_equal(backend_restore_run(f->be, BKT, "mp", 1700000000123,
					     "0123456789abcdef0123456789abcdef-3"),
			 S3E_OK);
	assert_home_glacier(f, 3, 2);
	assert_int_equal(
	    index_int(f->dir, "SELECT count(*) FROM object_parts WHERE tier = 'GLACIER'"), 2);
	assert_object(f->be, "mp", &md, all, 3);
	/* the reads come from the copies: damage in the archive does not show */
	damage_part(f, f->tiers.c, 2, 70000);
	assert_object(f->be, "mp", &md, all, 3);

	assert_int_equal(backend_restore_release(f->be, BKT, "mp", 1700000000123,
						 "0123456789abcdef0123456789abcdef-3"),
			 S3E_OK);
	assert_home_glacier(f, 1, 2);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	/* from the archive again: part 2 is damaged there, parts 1 and 3 read */
	assert_int_equal(backend_reader_open(f->be, BKT, "mp", &m, &r), S3E_OK);
	assert_int_equal(m.restore_state, RESTORE_NONE);
	check_range_fails(f->be, r, in_part2, 10);
	{
		uint64_t size = 0;
		uint8_t *obj = model_object(&md, all, 3, &size);

		check_range(f->be, r, obj, size, 0, 65536 + 5);
		check_range(f->be, r, obj, size, size - 17, 17);
		free(obj);
	}
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	damage_part(f, f->tiers.c, 2, 70000);

	/* done again, then overwritten: the copies go with the parts */
	assert_int_equal(backend_restore_request(f->be, BKT, "mp", 1800000000000LL, &st), S3E_OK);
	assert_int_equal(backend_restore_run(f->be, BKT, "mp", 1700000000123,
					     "0123456789abcdef0123456789abcdef-3"),
			 S3E_OK);
	assert_home_glacier(f, 3, 2);
	assert_int_equal(put_object(f->be, "mp", "a single PUT now"), S3E_OK);
	assert_home_glacier(f, 1, 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	assert_int_equal(backend_object_head(f->be, BKT, "mp", &m), S3E_OK);
	assert_int_equal(m.restore_state, RESTORE_NONE);
	obj_meta_free(&m);
	model_free(&md);
}

/*
 * A Complete over an object with a done restore retires the restore with
 * the replaced object (R1, R6).
 */
static void test_restore_replaced_by_complete(void **state)
{
	static const unsigned one[] = {1};
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];
	struct model md = {0};
	struct be_writer *w = NULL;
	struct obj_meta m;
	int st = -1;

	open_tiers(f, 3);
	assert_int_equal(backend_writer_open(f->be, BKT, "k", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_place(f->be, w, "GLACIER"), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "archived", 8), S3E_OK);
	meta_for(&m, 8, "0123456789abcdef0123456789abcdef");
	fixture_sha256("archived", 8, m.sha256_hex); /* the run verifies it */
	snprintf(m.storage_class, sizeof(m.storage_class), "GLACIER");
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_OK);
	assert_int_equal(backend_restore_request(f->be, BKT, "k", 1800000000000LL, &st), S3E_OK);
	assert_int_equal(
	    backend_restore_run(f->be, BKT, "k", 1700000000123, "0123456789abcdef0123456789abcdef"),
	    S3E_OK);
	assert_home_glacier(f, 1, 1);
	upload_in(f->be, "k", "", upload);
	model_put(f->be, &md, upload, 1, 100, 7);
	complete_true(f->be, &md, upload, one, 1);
	assert_home_glacier(f, 1, 0); /* the new part only */
	assert_object(f->be, "k", &md, one, 1);
	assert_int_equal(backend_object_head(f->be, BKT, "k", &m), S3E_OK);
	assert_int_equal(m.restore_state, RESTORE_NONE);
	assert_true(m.restore_until_ms == 0);
	obj_meta_free(&m);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	model_free(&md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_upload_create_get_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_upload_list_chunks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parts_out_of_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_part_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_complete_subset_and_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_complete_errors_keep_upload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_reclaims, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overwrite_delete_reclaim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_many_parts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v1, setup_bare, teardown),
	    cmocka_unit_test_setup_teardown(test_completed_upload_pruned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bucket_delete_with_uploads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_during_complete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_during_part_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_parts, setup, teardown),
	    cmocka_unit_test(test_wrappers_not_implemented),
	    cmocka_unit_test_setup_teardown(test_corrupt_part_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_upload_part, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_multipart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plain_upload_refuses_sealed_part, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_complete_takes_upload_envelope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_multipart_placement, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_multipart_transition, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_reader_survives_transition, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_multipart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_replaced_by_complete, setup, teardown),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
