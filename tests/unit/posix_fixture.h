/*
 * posix_fixture: helpers the posix backend's unit tests share (test_posix,
 * test_posix_multipart, test_posix_scrub): removing a test's data
 * directory, counting its files, and reading or changing its index through
 * a connection of the test's own (WAL lets it read beside the backend).
 * They fail the running cmocka test on any error.
 */
#ifndef STRATA_POSIX_FIXTURE_H
#define STRATA_POSIX_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "../../backends/posix.h"

/* Removes dir and everything below it. */
void fixture_remove_dir(const char *dir);

/* Regular files below dir/sub, recursively. */
size_t count_files(const char *dir, const char *sub);

/* One integer the SQL query returns from dir/index.db. */
long long index_int(const char *dir, const char *sql);

/*
 * Runs SQL statements on dir/index.db, behind the back of any backend open
 * on dir: one that then reads a changed object row must first be told, as
 * its own commits tell it (posix_ocache_moved, O1 in posix_ocache.h).
 */
void index_exec(const char *dir, const char *sql);

/* The text the SQL query returns (first column of the first row) from dir/index.db. */
void index_str(const char *dir, const char *sql, char *out, size_t cap);

/* The lowercase hex SHA-256 of data[0..len). */
void fixture_sha256(const void *data, size_t len, char out[65]);

/*
 * Three storage tiers beside a test's data directory: STANDARD_IA in
 * ROOT/tier-ia (a), GLACIER_IR in ROOT/tier-gir (b) and the archive class
 * GLACIER in ROOT/tier-glacier (c), and the posix_opts that configure the
 * first ntiers of them (0..3) with keys. opts points into the struct: keep
 * it where it is while a backend uses it.
 */
struct fixture_tiers {
	char a[160], b[160], c[160];
	struct posix_opts opts;
};
void fixture_tiers_init(struct fixture_tiers *t, const char *root, size_t ntiers,
			const struct keyring *keys);

/*
 * A test's own backend: a new mkdtemp directory /tmp/strata-TAG-XXXXXX
 * (root), the posix backend open on root/data (dir) with opts (NULL: none),
 * and bucket created in it, owned by AKIDEXAMPLE. For cmocka setups: false
 * on any failure. fixture_backend_close closes it and removes root.
 */
struct fixture_backend {
	char root[64]; /* the mkdtemp directory */
	char dir[96];  /* the data directory below it */
	struct backend *be;
};
bool fixture_backend_open(struct fixture_backend *f, const char *tag, const struct posix_opts *opts,
			  const char *bucket);
void fixture_backend_close(struct fixture_backend *f);
/* A GET of bucket/key through be: its size and bytes must be text's (up to 127 bytes). */
void fixture_assert_holds(struct backend *be, const char *bucket, const char *key,
			  const char *text);

/* A cmocka teardown for a setup that put a calloc'd fixture_backend in *state. */
int fixture_backend_teardown(void **state);

/* Runs fn(ctx) with stderr redirected; returns what it wrote (malloc'd, NUL-terminated). */
char *fixture_stderr_of(void (*fn)(void *ctx), void *ctx);

#endif
