/*
 * Unit tests for common/logfile.c: lines land whole and in order, the file
 * is created 0640, an unopenable path is refused, a reopen after a rename
 * (logrotate) writes to the new file and a failed reopen keeps the old one,
 * concurrent writers never interleave, and a failed write is counted and
 * leaves no partial line behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/logfile.h"
#include "../../common/metrics.h"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/strata-logfile-test-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/access.log", fx->dir);
	metrics_reset();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* The whole file, NUL-terminated (caller frees). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return data;
}

static void test_lines_appended(void **state)
{
	struct fx *fx = *state;
	struct logfile *lf = NULL;
	struct stat st;
	mode_t old = umask(022);
	char *text;

	assert_int_equal(logfile_open(fx->path, LOGFILE_ACCESS, &lf), 0);
	umask(old);
	assert_int_equal(logfile_write_line(lf, "one\n", 4), 0);
	assert_int_equal(logfile_write_line(lf, "two\n", 4), 0);
	assert_string_equal(logfile_path(lf), fx->path);
	logfile_free(lf);
	/* Reopening appends: nothing written before is lost. */
	assert_int_equal(logfile_open(fx->path, LOGFILE_ACCESS, &lf), 0);
	assert_int_equal(logfile_write_line(lf, "three\n", 6), 0);
	logfile_free(lf);
	text = slurp(fx->path, NULL);
	assert_string_equal(text, "one\ntwo\nthree\n");
	free(text);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	logfile_free(NULL);
}

static void test_unopenable_path_refused(void **state)
{
	struct fx *fx = *state;
	struct logfile *lf = NULL;
	char path[160];

	snprintf(path, sizeof(path), "%s/no-such-dir/access.log", fx->dir);
	assert_int_equal(logfile_open(path, LOGFILE_ACCESS, &lf), -1);
	assert_null(lf);
	/* A directory is not a log file either. */
	assert_int_equal(logfile_open(fx->dir, LOGFILE_ACCESS, &lf), -1);
}

static void test_reopen_after_rename(void **state)
{
	struct fx *fx = *state;
	struct logfile *lf = NULL;
	char rotated[160], sub[160], subpath[192], moved[160];
	char *text;

	snprintf(rotated, sizeof(rotated), "%s.1", fx->path);
	assert_int_equal(logfile_open(fx->path, LOGFILE_ACCESS, &lf), 0);
	assert_int_equal(logfile_write_line(lf, "before\n", 7), 0);
	assert_int_equal(rename(fx->path, rotated), 0);
	/* Until the reopen, lines follow the renamed file (as logrotate expects). */
	assert_int_equal(logfile_write_line(lf, "between\n", 8), 0);
	assert_int_equal(logfile_reopen(lf), 0);
	assert_int_equal(logfile_write_line(lf, "after\n", 6), 0);
	logfile_free(lf);
	text = slurp(rotated, NULL);
	assert_string_equal(text, "before\nbetween\n");
	free(text);
	text = slurp(fx->path, NULL);
	assert_string_equal(text, "after\n");
	free(text);

	/* A reopen that cannot open the path keeps writing the old file. */
	snprintf(sub, sizeof(sub), "%s/sub", fx->dir);
	snprintf(moved, sizeof(moved), "%s/moved", fx->dir);
	snprintf(subpath, sizeof(subpath), "%s/a.log", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(logfile_open(subpath, LOGFILE_ACCESS, &lf), 0);
	assert_int_equal(rename(sub, moved), 0);
	assert_int_equal(logfile_reopen(lf), -1);
	assert_int_equal(logfile_write_line(lf, "kept\n", 5), 0);
	logfile_free(lf);
	snprintf(subpath, sizeof(subpath), "%s/a.log", moved);
	text = slurp(subpath, NULL);
	assert_string_equal(text, "kept\n");
	free(text);
}

#define WRITERS 4
#define LINES_EACH 400

struct writer {
	struct logfile *lf;
	int id;
};

/* Lines of varied length: "w<id> <n> xxxx...\n", each recognisable whole. */
static void *write_many(void *arg)
{
	struct writer *w = arg;
	char line[600];
	int i, n;

	for (i = 0; i < LINES_EACH; i++) {
		n = snprintf(line, sizeof(line), "w%d %d ", w->id, i);
		memset(line + n, 'a' + w->id, (size_t)(i % 500));
		n += i % 500;
		line[n++] = '\n';
		if (logfile_write_line(w->lf, line, (size_t)n) != 0)
			return (void *)1;
	}
	return NULL;
}

static void test_concurrent_lines_never_interleave(void **state)
{
	struct fx *fx = *state;
	struct writer w[WRITERS];
	pthread_t t[WRITERS];
	int next[WRITERS] = {0};
	struct logfile *lf = NULL;
	char *text, *p, *nl;
	void *ret;
	int i, lines = 0;

	assert_int_equal(logfile_open(fx->path, LOGFILE_ACCESS, &lf), 0);
	for (i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){lf, i};
		assert_int_equal(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
	}
	for (i = 0; i < WRITERS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	logfile_free(lf);
	text = slurp(fx->path, NULL);
	for (p = text; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
		char *end;
		long id, n;
		size_t k, len;

		assert_true(p[0] == 'w');
		id = strtol(p + 1, &end, 10);
		n = strtol(end + 1, &end, 10);
		assert_true(id >= 0 && id < WRITERS);
		/* Each writer's lines in its own order, whole. */
		assert_int_equal(n, next[id]++);
		len = (size_t)(nl - end - 1);
		assert_int_equal(len, (size_t)(n % 500));
		for (k = 0; k < len; k++)
			assert_int_equal(end[1 + k], 'a' + id);
	}
	assert_int_equal(lines, WRITERS * LINES_EACH);
	free(text);
}

/* A write the file size limit cuts short is undone whole, counted, and later lines land. */
static void test_failed_write_leaves_no_partial_line(void **state)
{
	struct fx *fx = *state;
	struct logfile *lf = NULL;
	struct rlimit old, lim;
	char big[200];
	size_t len;
	char *text;

	signal(SIGXFSZ, SIG_IGN);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(logfile_open(fx->path, LOGFILE_AUDIT, &lf), 0);
	assert_int_equal(logfile_write_line(lf, "first\n", 6), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 100; /* the next line fits only partly */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(logfile_write_line(lf, big, sizeof(big)), -1);
	assert_int_equal(logfile_write_line(lf, big, sizeof(big)), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(metrics_get(METRIC_LOG_WRITE_ERRORS, LOGFILE_AUDIT), 2);
	assert_int_equal(metrics_get(METRIC_LOG_WRITE_ERRORS, LOGFILE_ACCESS), 0);
	assert_int_equal(logfile_write_line(lf, "last\n", 5), 0);
	logfile_free(lf);
	text = slurp(fx->path, &len);
	assert_string_equal(text, "first\nlast\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lines_appended, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unopenable_path_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_after_rename, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_lines_never_interleave, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_failed_write_leaves_no_partial_line, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
