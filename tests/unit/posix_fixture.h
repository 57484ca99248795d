/*
 * posix_fixture: helpers the posix backend's unit tests share (test_posix,
 * test_posix_multipart, test_posix_scrub): removing a test's data
 * directory, counting its files, and reading or changing its index through
 * a connection of the test's own (WAL lets it read beside the backend).
 * They fail the running cmocka test on any error.
 */
#ifndef STRATA_POSIX_FIXTURE_H
#define STRATA_POSIX_FIXTURE_H

#include <stddef.h>

/* Removes dir and everything below it. */
void fixture_remove_dir(const char *dir);

/* Regular files below dir/sub, recursively. */
size_t count_files(const char *dir, const char *sub);

/* One integer the SQL query returns from dir/index.db. */
long long index_int(const char *dir, const char *sql);

/* Runs SQL statements on dir/index.db. */
void index_exec(const char *dir, const char *sql);

#endif
