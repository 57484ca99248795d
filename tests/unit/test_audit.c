/*
 * Unit tests for common/audit.c and common/jsonw.c: a chain written by
 * audit_append verifies; an edited field, a removed line, swapped lines and a
 * cut-off last line are each found at the right line; a reopened log and a
 * restarted writer continue one chain, across two rotated files too; a log
 * whose end is damaged is refused; lines lost to a write error leave a
 * chained gap record; hostile keys (quotes, backslash, control bytes,
 * malformed UTF-8, 1024 bytes) are escaped into valid, reversible JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../common/audit.h"
#include "../../common/jsonw.h"
#include "../../common/limits.h"
#include "../../common/metrics.h"

struct fx {
	char dir[64];
	char path[128];
	char bad[128];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/strata-audit-test-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/audit.log", fx->dir);
	snprintf(fx->bad, sizeof(fx->bad), "%s/bad.log", fx->dir);
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

/* Appends n lines "key":"k<first>".. through a fresh writer (opened and closed). */
static void append_lines(const char *path, int first, int n)
{
	struct audit *a = NULL;
	char m[64];
	int i, len;

	assert_int_equal(audit_open(path, &a), 0);
	for (i = first; i < first + n; i++) {
		len = snprintf(m, sizeof(m), "\"op\":\"PutObject\",\"key\":\"k%d\"", i);
		assert_int_equal(audit_append(a, m, (size_t)len), 0);
	}
	audit_free(a);
}

/* Verifies files in order; returns the verdict, *line the bad line, and c. */
static enum audit_verdict verify(struct audit_chain *c, const char *const *paths, size_t n,
				 uint64_t *line, char *why)
{
	enum audit_verdict v = AUDIT_OK;
	size_t i;

	audit_chain_init(c);
	for (i = 0; i < n && v == AUDIT_OK; i++)
		v = audit_verify_file(c, paths[i], line, why, 256);
	return v;
}

/* The file's lines (at most 32), each without its '\n' (a cut-off last one too). */
struct lines {
	char *text;
	char *line[32];
	size_t n;
};

static void read_lines(const char *path, struct lines *ls)
{
	FILE *f = fopen(path, "rb");
	char *p, *nl;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	ls->text = malloc((size_t)n + 1);
	assert_int_equal(fread(ls->text, 1, (size_t)n, f), (size_t)n);
	ls->text[n] = '\0';
	fclose(f);
	ls->n = 0;
	for (p = ls->text; *p && ls->n < 32; p = nl + 1) {
		ls->line[ls->n++] = p;
		if (!(nl = strchr(p, '\n')))
			break;
		*nl = '\0';
	}
}

/* Writes the lines of ls in the order idx[0..n), each with '\n' unless cut_last. */
static void write_lines(const char *path, const struct lines *ls, const int *idx, size_t n,
			bool cut_last)
{
	FILE *f = fopen(path, "wb");
	size_t i;

	assert_non_null(f);
	for (i = 0; i < n; i++) {
		const char *l = ls->line[idx[i]];

		fwrite(l, 1, strlen(l) - (cut_last && i + 1 == n ? 10 : 0), f);
		if (!(cut_last && i + 1 == n))
			fputc('\n', f);
	}
	fclose(f);
}

static void test_chain_verifies(void **state)
{
	struct fx *fx = *state;
	const char *paths[] = {fx->path};
	struct audit_chain c;
	struct lines ls;
	char why[256];
	uint64_t line;

	append_lines(fx->path, 1, 5);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_OK);
	assert_int_equal(c.lines, 5);
	assert_int_equal(c.first_seq, 1);
	assert_int_equal(c.seq, 5);
	assert_int_equal(strspn(c.first_prev, "0"), 64);
	read_lines(fx->path, &ls);
	assert_int_equal(ls.n, 5);
	/* The documented shape: seq first, the 149-byte suffix last, last hash = c.hash. */
	{
		static const char start[] =
		    "{\"seq\":1,\"op\":\"PutObject\",\"key\":\"k1\",\"prev\":\"0000";

		assert_memory_equal(ls.line[0], start, sizeof(start) - 1);
		assert_int_equal(strlen(ls.line[0]), sizeof(start) - 5 + 64 + 10 + 64 + 2);
	}
	assert_memory_equal(ls.line[4] + strlen(ls.line[4]) - 66, c.hash, 64);
	free(ls.text);
}

static void test_tampering_found_at_its_line(void **state)
{
	struct fx *fx = *state;
	const char *paths[] = {fx->bad};
	static const int removed[] = {0, 1, 3, 4}, swapped[] = {0, 2, 1, 3, 4},
			 all[] = {0, 1, 2, 3, 4};
	struct audit_chain c;
	struct lines ls;
	char why[256], *k;
	uint64_t line;

	append_lines(fx->path, 1, 5);
	read_lines(fx->path, &ls);
	/* An edited field (one byte of line 3's key). */
	k = strstr(ls.line[2], "\"k3\"");
	k[2] = '9';
	write_lines(fx->bad, &ls, all, 5, false);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_BAD);
	assert_int_equal(line, 3);
	assert_non_null(strstr(why, "hash mismatch"));
	k[2] = '3';
	/* A removed line: the line after the gap does not link. */
	write_lines(fx->bad, &ls, removed, 4, false);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_BAD);
	assert_int_equal(line, 3);
	assert_non_null(strstr(why, "broken link: seq 4 after seq 2"));
	/* Two lines swapped. */
	write_lines(fx->bad, &ls, swapped, 5, false);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_BAD);
	assert_int_equal(line, 2);
	assert_non_null(strstr(why, "broken link"));
	/* A cut-off last line. */
	write_lines(fx->bad, &ls, all, 5, true);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_BAD);
	assert_int_equal(line, 5);
	assert_non_null(strstr(why, "cut off"));
	/* A removed last line cannot be seen in the file alone: the last hash changes. */
	write_lines(fx->bad, &ls, all, 4, false);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_OK);
	assert_int_equal(c.lines, 4);
	/* Garbage and an edited suffix are malformed. */
	assert_int_equal(audit_check_line(&c, "{\"seq\":1}", 9, why, sizeof(why)), AUDIT_BAD);
	ls.line[4][strlen(ls.line[4]) - 1] = ']';
	write_lines(fx->bad, &ls, all, 5, false);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_BAD);
	assert_int_equal(line, 5);
	assert_non_null(strstr(why, "malformed"));
	free(ls.text);
	/* An absent file is an I/O problem, not a broken chain. */
	paths[0] = "/nonexistent/audit.log";
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_IO);
}

static void test_restart_and_rotation_keep_one_chain(void **state)
{
	struct fx *fx = *state;
	char rotated[160];
	const char *both[] = {rotated, fx->path}, *reversed[] = {fx->path, rotated},
		   *current[] = {fx->path};
	struct audit_chain c;
	struct audit *a = NULL;
	char why[256];
	uint64_t line;

	snprintf(rotated, sizeof(rotated), "%s.1", fx->path);
	append_lines(fx->path, 1, 3);
	append_lines(fx->path, 4, 2); /* a restart: the last line is read back */
	assert_int_equal(verify(&c, current, 1, &line, why), AUDIT_OK);
	assert_int_equal(c.lines, 5);
	/* logrotate: rename, then reopen; the chain goes on in the new file. */
	assert_int_equal(audit_open(fx->path, &a), 0);
	assert_int_equal(audit_append(a, "\"k\":\"a\"", 7), 0);
	assert_int_equal(rename(fx->path, rotated), 0);
	assert_int_equal(audit_reopen(a), 0);
	assert_int_equal(audit_append(a, "\"k\":\"b\"", 7), 0);
	assert_int_equal(audit_append(a, "\"k\":\"c\"", 7), 0);
	audit_free(a);
	append_lines(fx->path, 6, 1); /* and a restart on the new file */
	assert_int_equal(verify(&c, both, 2, &line, why), AUDIT_OK);
	assert_int_equal(c.lines, 9);
	assert_int_equal(c.seq, 9);
	assert_int_equal(verify(&c, current, 1, &line, why), AUDIT_OK);
	assert_int_equal(c.first_seq, 7);
	assert_true(strspn(c.first_prev, "0") < 64); /* continues an earlier file */
	assert_int_equal(verify(&c, reversed, 2, &line, why), AUDIT_BAD);
	assert_int_equal(line, 1); /* the rotated file's first line does not follow */
}

static void test_damaged_end_refused(void **state)
{
	struct fx *fx = *state;
	static const int all[] = {0, 1, 2};
	struct audit *a = NULL;
	struct lines ls;
	char *k;

	append_lines(fx->path, 1, 3);
	read_lines(fx->path, &ls);
	write_lines(fx->bad, &ls, all, 3, true);
	assert_int_equal(audit_open(fx->bad, &a), -1);
	k = strstr(ls.line[2], "\"k3\"");
	k[2] = '7';
	write_lines(fx->bad, &ls, all, 3, false);
	assert_int_equal(audit_open(fx->bad, &a), -1);
	assert_null(a);
	free(ls.text);
	audit_free(NULL);
}

/* A line the file size limit refuses is lost; the next written says so, chained. */
static void test_lost_lines_leave_a_gap_record(void **state)
{
	struct fx *fx = *state;
	const char *paths[] = {fx->path};
	struct audit_chain c;
	struct audit *a = NULL;
	struct rlimit old, lim;
	struct lines ls;
	char why[256];
	uint64_t line;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(audit_open(fx->path, &a), 0);
	assert_int_equal(audit_append(a, "\"k\":\"a\"", 7), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 250; /* the first line fits, the second only partly */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(audit_append(a, "\"k\":\"b\"", 7), -1);
	assert_int_equal(audit_append(a, "\"k\":\"c\"", 7), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(audit_append(a, "\"k\":\"d\"", 7), 0);
	audit_free(a);
	assert_int_equal(metrics_get(METRIC_LOG_WRITE_ERRORS, 1), 2);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_OK);
	assert_int_equal(c.lines, 3);
	read_lines(fx->path, &ls);
	assert_non_null(strstr(ls.line[1], "\"seq\":2,"));
	assert_non_null(strstr(ls.line[1], "\"event\":\"audit_lines_lost\",\"lost\":2"));
	assert_non_null(strstr(ls.line[2], "\"seq\":3,\"k\":\"d\""));
	free(ls.text);
}

/* --- jsonw --- */

static void expect_json(const char *in, size_t len, const char *want)
{
	struct buf b;

	buf_init(&b, 65536, S3E_InternalError);
	assert_int_equal(jsonw_str(&b, in, len), S3E_OK);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void test_json_escaping(void **state)
{
	struct buf b;
	char key[1024];
	size_t i;

	(void)state;
	expect_json("plain/key.txt", 13, "\"plain/key.txt\"");
	expect_json("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	expect_json("\n\r\t\x01\x1f\x7f", 6, "\"\\n\\r\\t\\u0001\\u001f\\u007f\"");
	expect_json("nul\0x", 5, "\"nul\\u0000x\"");
	/* Well-formed UTF-8 is kept; every byte of malformed UTF-8 is \u00XX. */
	expect_json("\xd0\xba\xe2\x82\xac\xf0\x9f\x98\x80", 9,
		    "\"\xd0\xba\xe2\x82\xac\xf0\x9f\x98\x80\"");
	expect_json("\xff", 1, "\"\\u00ff\"");
	expect_json("a\xe2\x82", 3, "\"a\\u00e2\\u0082\"");	     /* truncated */
	expect_json("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");	     /* overlong '/' */
	expect_json("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
	expect_json(",\"prev\":\"", 9, "\",\\\"prev\\\":\\\"\"");
	/* 1024 malformed bytes: 6 times as long, and still within a log line. */
	memset(key, 0xff, sizeof(key));
	buf_init(&b, STRATA_MAX_LOG_LINE, S3E_InternalError);
	assert_int_equal(jsonw_str(&b, key, sizeof(key)), S3E_OK);
	assert_int_equal(b.len, 2 + 1024 * JSONW_MAX_EXPANSION);
	for (i = 0; i < 1024; i++)
		assert_memory_equal(b.data + 1 + 6 * i, "\\u00ff", 6);
	buf_free(&b);
	/* Members: commas between them, null for NULL. */
	buf_init(&b, 1024, S3E_InternalError);
	assert_int_equal(buf_adds(&b, "{"), S3E_OK);
	assert_int_equal(jsonw_kv_str(&b, "a", "x"), S3E_OK);
	assert_int_equal(jsonw_kv_strn(&b, "k", NULL, 0), S3E_OK);
	assert_int_equal(jsonw_kv_u64(&b, "n", UINT64_MAX), S3E_OK);
	assert_int_equal(jsonw_kv_bool(&b, "t", true), S3E_OK);
	assert_string_equal(buf_str(&b),
			    "{\"a\":\"x\",\"k\":null,\"n\":18446744073709551615,\"t\":true");
	buf_free(&b);
	/* A full buffer refuses with its own error, unchanged. */
	buf_init(&b, 4, S3E_MaxMessageLengthExceeded);
	assert_int_equal(jsonw_str(&b, "abcdef", 6), S3E_MaxMessageLengthExceeded);
	buf_free(&b);
}

/* Hostile keys in real audit lines: every line verifies, the chain is intact. */
static void test_hostile_keys_in_the_chain(void **state)
{
	struct fx *fx = *state;
	static const char *const keys[] = {"q\"uote", "back\\slash", "ctl\x01\x02\n\r",
					   ",\"prev\":\"0000\",\"hash\":\"", "bad\xff\xfe"};
	const char *paths[] = {fx->path};
	struct audit_chain c;
	struct audit *a = NULL;
	char longkey[1024], why[256];
	uint64_t line;
	struct buf b;
	size_t i;

	memset(longkey, 0x80, sizeof(longkey));
	assert_int_equal(audit_open(fx->path, &a), 0);
	for (i = 0; i <= sizeof(keys) / sizeof(keys[0]); i++) {
		bool last = i == sizeof(keys) / sizeof(keys[0]);

		buf_init(&b, STRATA_MAX_LOG_LINE, S3E_InternalError);
		assert_int_equal(jsonw_kv_str(&b, "op", "CopyObject"), S3E_OK);
		assert_int_equal(jsonw_kv_strn(&b, "key", last ? longkey : keys[i],
					       last ? sizeof(longkey) : strlen(keys[i])),
				 S3E_OK);
		assert_int_equal(jsonw_kv_strn(&b, "source_key", last ? longkey : keys[i],
					       last ? sizeof(longkey) : strlen(keys[i])),
				 S3E_OK);
		assert_int_equal(audit_append(a, b.data, b.len), 0);
		buf_free(&b);
	}
	audit_free(a);
	assert_int_equal(verify(&c, paths, 1, &line, why), AUDIT_OK);
	assert_int_equal(c.lines, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_chain_verifies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampering_found_at_its_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_and_rotation_keep_one_chain, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_end_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lost_lines_leave_a_gap_record, setup, teardown),
	    cmocka_unit_test(test_json_escaping),
	    cmocka_unit_test_setup_teardown(test_hostile_keys_in_the_chain, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
