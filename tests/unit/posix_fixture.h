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

/*
 * posix_open with posix_opts.files_only: every single PUT gets its data
 * file (I5 in posix_inline.c), for the tests of the file layer that count,
 * remove or corrupt those files. test_posix_inline tests the inline kind.
 */
s3err_t posix_open_files(const char *dir, struct backend **out);

/*
 * What older data directories' indexes looked like, for the migration
 * tests: DOWNGRADE_TO_Vn drops what every schema after n added. Objects
 * written before must have their files (posix_open_files): v11 has no
 * inline data.
 */
#define DOWNGRADE_TO_V11 "DROP TABLE inline_data; PRAGMA user_version = 11;"

/* Drops what schema v11 added (versions in replication events). */
#define DOWNGRADE_TO_V10                                                                           \
	DOWNGRADE_TO_V11                                                                           \
	"ALTER TABLE repl_events DROP COLUMN version_id; PRAGMA user_version = 10;"

/* Drops what schema v10 added (object lock): what a v9 data directory's index looked like. */
#define DOWNGRADE_TO_V9                                                                            \
	DOWNGRADE_TO_V10                                                                           \
	"ALTER TABLE objects DROP COLUMN lock_mode; ALTER TABLE objects DROP COLUMN "              \
	"lock_until_ms;"                                                                           \
	"ALTER TABLE objects DROP COLUMN legal_hold; ALTER TABLE uploads DROP COLUMN lock_mode;"   \
	"ALTER TABLE uploads DROP COLUMN lock_until_ms; ALTER TABLE uploads DROP COLUMN "          \
	"legal_hold;"                                                                              \
	"PRAGMA user_version = 9;"

/* Drops what schema v9 added (versioning): what a v8 data directory's index looked like. */
#define DOWNGRADE_TO_V8                                                                            \
	DOWNGRADE_TO_V9                                                                            \
	"DROP TABLE object_versions; DELETE FROM buckets WHERE name = '/v';"                       \
	"ALTER TABLE objects DROP COLUMN version_id; PRAGMA user_version = 8;"

/* Drops what schema v8 added (replication): what a v7 data directory's index looked like. */
#define DOWNGRADE_TO_V7                                                                            \
	DOWNGRADE_TO_V8                                                                            \
	"DROP TABLE repl_events; DELETE FROM sqlite_sequence WHERE name = 'repl_events';"          \
	"ALTER TABLE objects DROP COLUMN repl_status; PRAGMA user_version = 7;"

/* Drops everything schemas v7 and v8 added: what a v6 data directory's index looked like. */
#define DOWNGRADE_TO_V6                                                                            \
	DOWNGRADE_TO_V7                                                                            \
	"DROP INDEX objects_restoring; ALTER TABLE objects DROP COLUMN restore_until_ms;"          \
	"ALTER TABLE objects DROP COLUMN restore_state; PRAGMA user_version = 6;"

/* Drops everything schemas v6..v8 added: what a v5 data directory's index looked like. */
#define DOWNGRADE_TO_V5                                                                            \
	DOWNGRADE_TO_V6                                                                            \
	"DROP INDEX objects_by_tier; DROP INDEX parts_by_tier; DROP INDEX object_parts_by_tier;"   \
	"ALTER TABLE objects DROP COLUMN tier; ALTER TABLE parts DROP COLUMN tier;"                \
	"ALTER TABLE object_parts DROP COLUMN tier;"                                               \
	"CREATE TABLE gc_v5(object_id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;"                   \
	"INSERT INTO gc_v5 SELECT object_id FROM gc; DROP TABLE gc;"                               \
	"ALTER TABLE gc_v5 RENAME TO gc;"                                                          \
	"PRAGMA user_version = 5;"

/* Drops everything schemas v5..v8 added: what a v4 data directory's index looked like. */
#define DOWNGRADE_TO_V4                                                                            \
	DOWNGRADE_TO_V5                                                                            \
	"DROP INDEX objects_by_sse_key; DROP INDEX uploads_by_sse_key;"                            \
	"DROP TABLE bucket_configs;"                                                               \
	"ALTER TABLE objects DROP COLUMN sse_mode; ALTER TABLE objects DROP COLUMN sse_key_id;"    \
	"ALTER TABLE objects DROP COLUMN sse_envelope;"                                            \
	"ALTER TABLE uploads DROP COLUMN sse_mode; ALTER TABLE uploads DROP COLUMN sse_key_id;"    \
	"ALTER TABLE uploads DROP COLUMN sse_envelope;"                                            \
	"PRAGMA user_version = 4;"

/* Removes dir and everything below it. */
void fixture_remove_dir(const char *dir);

/* Regular files below dir/sub, recursively. */
size_t count_files(const char *dir, const char *sub);

/* Data files below dir/objects plus inline data rows: every object's stored bytes. */
size_t count_data(const char *dir);

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

/* m initialised for a single PUT of data[0..len): size, an mtime, an ETag, the SHA-256. */
void fixture_meta_for(struct obj_meta *m, const void *data, size_t len);

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
