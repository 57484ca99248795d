/* posix_fixture: shared helpers of the posix backend's unit tests. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* nftw, mkstemp, pread under -std=c11 */
#endif
#include "posix_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fixture_remove_dir(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

s3err_t posix_open_files(const char *dir, struct backend **out)
{
	return posix_open_opts(dir, &(struct posix_opts){.files_only = true}, out);
}

size_t count_files(const char *dir, const char *sub)
{
	char path[1024];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char child[512];
		struct stat sb;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", sub, de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, child);
		assert_int_equal(lstat(path, &sb), 0);
		if (S_ISDIR(sb.st_mode))
			n += count_files(dir, child);
		else
			n++;
	}
	closedir(d);
	return n;
}

size_t count_data(const char *dir)
{
	return count_files(dir, "objects") +
	       (size_t)index_int(dir, "SELECT count(*) FROM inline_data");
}

long long index_int(const char *dir, const char *sql)
{
	char path[256];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	long long v;

	snprintf(path, sizeof(path), "%s/index.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

void index_exec(const char *dir, const char *sql)
{
	char path[256];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/index.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

void index_str(const char *dir, const char *sql, char *out, size_t cap)
{
	char path[256];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/index.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

void fixture_meta_for(struct obj_meta *m, const void *data, size_t len)
{
	obj_meta_init(m);
	m->size = len;
	m->mtime_ms = 1700000000000;
	memcpy(m->etag, "0123456789abcdef0123456789abcdef", 33);
	fixture_sha256(data, len, m->sha256_hex);
}

void fixture_sha256(const void *data, size_t len, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned mdlen = 0, i;

	assert_int_equal(EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

void fixture_tiers_init(struct fixture_tiers *t, const char *root, size_t ntiers,
			const struct keyring *keys)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->a, sizeof(t->a), "%s/tier-ia", root);
	snprintf(t->b, sizeof(t->b), "%s/tier-gir", root);
	snprintf(t->c, sizeof(t->c), "%s/tier-glacier", root);
	t->opts.keys = keys;
	t->opts.ntiers = ntiers;
	t->opts.tiers[0] = (struct posix_tier){"STANDARD_IA", t->a};
	t->opts.tiers[1] = (struct posix_tier){"GLACIER_IR", t->b};
	t->opts.tiers[2] = (struct posix_tier){"GLACIER", t->c};
}

char *fixture_stderr_of(void (*fn)(void *ctx), void *ctx)
{
	char path[] = "/tmp/strata-stderr-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct stat sb;
	char *text;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(unlink(path), 0);
	assert_true(dup2(fd, 2) == 2);
	fn(ctx);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	assert_int_equal(fstat(fd, &sb), 0);
	text = calloc(1, (size_t)sb.st_size + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)sb.st_size, 0), sb.st_size);
	close(fd);
	return text;
}

bool fixture_backend_open(struct fixture_backend *f, const char *tag, const struct posix_opts *opts,
			  const char *bucket)
{
	struct bucket_info b = {"", "AKIDEXAMPLE", "", 1};
	struct posix_opts none;
	int n;

	memset(&none, 0, sizeof(none));
	n = snprintf(f->root, sizeof(f->root), "/tmp/strata-%s-XXXXXX", tag);
	if (n < 0 || (size_t)n >= sizeof(f->root) || !mkdtemp(f->root))
		return false;
	snprintf(f->dir, sizeof(f->dir), "%s/data", f->root);
	snprintf(b.name, sizeof(b.name), "%s", bucket);
	return posix_open_opts(f->dir, opts ? opts : &none, &f->be) == S3E_OK &&
	       backend_bucket_create(f->be, &b) == S3E_OK;
}

void fixture_backend_close(struct fixture_backend *f)
{
	backend_close(f->be);
	f->be = NULL;
	fixture_remove_dir(f->root);
}

int fixture_backend_teardown(void **state)
{
	struct fixture_backend *f = *state;

	if (f)
		fixture_backend_close(f);
	free(f);
	return 0;
}

void fixture_assert_holds(struct backend *be, const char *bucket, const char *key, const char *text)
{
	struct be_reader *r = NULL;
	struct obj_meta m;
	char buf[128];
	size_t got = 0;

	assert_true(strlen(text) < sizeof(buf));
	assert_int_equal(backend_reader_open(be, bucket, key, &m, &r), S3E_OK);
	assert_int_equal(m.size, strlen(text));
	assert_int_equal(backend_reader_read(be, r, 0, buf, sizeof(buf), &got), S3E_OK);
	assert_int_equal(got, strlen(text));
	assert_memory_equal(buf, text, got);
	backend_reader_close(be, r);
	obj_meta_free(&m);
}
