/*
 * Unit tests for gateway/console.c's pure parts: the session table (tokens,
 * expiry, logout, the bound and its eviction), the Cookie and form parsers,
 * which origins get CORS, and the S3 endpoint the page is given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../gateway/console.h"

#define NOW 1700000000

static void test_session_round_trip(void **state)
{
	struct console_sessions *t = console_sessions_new(4, 60);
	char tok[CONSOLE_TOKEN_HEX + 1], tok2[CONSOLE_TOKEN_HEX + 1];
	struct console_session s;

	(void)state;
	assert_non_null(t);
	assert_int_equal(console_session_create(t, "alice", "AKALICE", NOW, tok), 0);
	assert_int_equal(strlen(tok), CONSOLE_TOKEN_HEX);
	assert_int_equal(strspn(tok, "0123456789abcdef"), CONSOLE_TOKEN_HEX);
	assert_int_equal(console_session_create(t, "bob", "AKBOB", NOW, tok2), 0);
	assert_string_not_equal(tok, tok2); /* 256 random bits each */
	assert_true(console_session_get(t, tok, NOW + 59, &s));
	assert_string_equal(s.user, "alice");
	assert_string_equal(s.access_key, "AKALICE");
	assert_int_equal(s.expires, NOW + 60);
	assert_true(console_session_get(t, tok2, NOW, &s));
	assert_string_equal(s.user, "bob");
	/* A token differing in one character, a prefix, or empty finds nothing. */
	tok[10] = tok[10] == 'a' ? 'b' : 'a';
	assert_false(console_session_get(t, tok, NOW, &s));
	assert_false(console_session_get(t, "", NOW, &s));
	tok2[63] = '\0';
	assert_false(console_session_get(t, tok2, NOW, &s));
	console_sessions_free(t);
	console_sessions_free(NULL);
}

static void test_session_expiry_and_logout(void **state)
{
	struct console_sessions *t = console_sessions_new(4, 60);
	char a[CONSOLE_TOKEN_HEX + 1], b[CONSOLE_TOKEN_HEX + 1];
	struct console_session s;

	(void)state;
	assert_int_equal(console_session_create(t, "alice", "AK1", NOW, a), 0);
	assert_int_equal(console_session_create(t, "bob", "AK2", NOW + 30, b), 0);
	assert_false(console_session_get(t, a, NOW + 60, &s)); /* ends at its ttl exactly */
	assert_int_equal(console_session_count(t), 1);	       /* and was removed */
	assert_false(console_session_get(t, a, NOW, &s));      /* not back when the clock is */
	assert_true(console_session_get(t, b, NOW + 60, &s));
	console_session_delete(t, b);
	assert_false(console_session_get(t, b, NOW + 60, &s));
	assert_int_equal(console_session_count(t), 0);
	console_session_delete(t, b); /* twice: a no-op */
	console_session_delete(t, "nonsense");
	console_sessions_free(t);
}

static void test_session_bound(void **state)
{
	struct console_sessions *t = console_sessions_new(3, 100);
	char tok[5][CONSOLE_TOKEN_HEX + 1];
	struct console_session s;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(console_session_create(t, "u", "AK", NOW + i, tok[i]), 0);
	assert_int_equal(console_session_count(t), 3);
	/* Full: the session closest to its end (the first) makes room. */
	assert_int_equal(console_session_create(t, "u", "AK", NOW + 3, tok[3]), 0);
	assert_int_equal(console_session_count(t), 3);
	assert_false(console_session_get(t, tok[0], NOW + 3, &s));
	for (int i = 1; i < 4; i++)
		assert_true(console_session_get(t, tok[i], NOW + 3, &s));
	/* Expired ones go first, before anyone live is evicted. */
	assert_int_equal(console_session_create(t, "u", "AK", NOW + 101, tok[4]), 0);
	assert_int_equal(console_session_count(t), 3); /* 1 expired at 101; 2, 3 and 4 live */
	assert_true(console_session_get(t, tok[2], NOW + 101, &s));
	assert_true(console_session_get(t, tok[3], NOW + 101, &s));
	assert_true(console_session_get(t, tok[4], NOW + 101, &s));
	console_sessions_free(t);
}

static void test_throttle(void **state)
{
	struct console_throttle *t = console_throttle_new(2, 3, 60);

	(void)state;
	assert_int_equal(console_throttle_wait(t, "10.0.0.1", NOW), 0);
	console_throttle_failed(t, "10.0.0.1", NOW);
	console_throttle_failed(t, "10.0.0.1", NOW + 10);
	assert_int_equal(console_throttle_wait(t, "10.0.0.1", NOW + 10), 0); /* 2 of 3 */
	console_throttle_failed(t, "10.0.0.1", NOW + 20);
	assert_int_equal(console_throttle_wait(t, "10.0.0.1", NOW + 20),
			 40); /* window ends at 60 */
	assert_int_equal(console_throttle_wait(t, "10.0.0.1", NOW + 59), 1);
	assert_int_equal(console_throttle_wait(t, "10.0.0.1", NOW + 60), 0);
	assert_int_equal(console_throttle_wait(t, "10.0.0.2", NOW + 20), 0); /* others unaffected */
	/* After the window, failures count afresh. */
	console_throttle_failed(t, "10.0.0.1", NOW + 61);
	assert_int_equal(console_throttle_wait(t, "10.0.0.1", NOW + 61), 0);
	/* A success clears the address. */
	console_throttle_failed(t, "10.0.0.1", NOW + 62);
	console_throttle_failed(t, "10.0.0.1", NOW + 63);
	assert_int_not_equal(console_throttle_wait(t, "10.0.0.1", NOW + 63), 0);
	console_throttle_passed(t, "10.0.0.1");
	assert_int_equal(console_throttle_wait(t, "10.0.0.1", NOW + 63), 0);
	console_throttle_passed(t, "10.0.0.9"); /* unknown: a no-op */
	/* Full (cap 2): a new address replaces the one whose window started first. */
	for (int i = 0; i < 3; i++) {
		console_throttle_failed(t, "a", NOW + 100);
		console_throttle_failed(t, "b", NOW + 101);
	}
	assert_int_not_equal(console_throttle_wait(t, "a", NOW + 101), 0);
	console_throttle_failed(t, "c", NOW + 102);
	assert_int_equal(console_throttle_wait(t, "a", NOW + 102), 0); /* forgotten */
	assert_int_not_equal(console_throttle_wait(t, "b", NOW + 102), 0);
	console_throttle_free(t);
	console_throttle_free(NULL);
}

#define T64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_cookie_token(void **state)
{
	static const struct {
		const char *header;
		bool found;
	} cases[] = {
	    {"strata_console=" T64, true},
	    {"a=b; strata_console=" T64 "; c=d", true},
	    {"a=b;strata_console=" T64, true},
	    {"xstrata_console=" T64, false},	/* another cookie's name */
	    {"strata_console=" T64 "0", false}, /* too long */
	    {"strata_console=0123", false},	/* too short */
	    {"strata_console=" T64 " ", false}, /* trailing junk in the value */
	    {"strata_console=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	     false}, /* uppercase: never issued */
	    {"strata_console=", false},
	    {"", false},
	    {";;; ;", false},
	    {"strata_console=zz; strata_console=" T64, true}, /* the first good one */
	};
	char tok[CONSOLE_TOKEN_HEX + 1];

	(void)state;
	assert_false(console_cookie_token(NULL, tok));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(tok, 0, sizeof(tok));
		assert_int_equal(console_cookie_token(cases[i].header, tok), cases[i].found);
		if (cases[i].found)
			assert_string_equal(tok, T64);
	}
}

/* Every value of name in body, joined with '|'. */
static void form_all(const char *body, const char *name, char *out, size_t cap, s3err_t *err)
{
	struct buf v;
	size_t pos = 0;
	bool found;

	out[0] = '\0';
	buf_init(&v, 64, S3E_InvalidArgument);
	for (;;) {
		buf_reset(&v);
		*err = console_form_next(body, strlen(body), name, &pos, &v, &found);
		if (*err || !found)
			break;
		if (out[0])
			strncat(out, "|", cap - strlen(out) - 1);
		strncat(out, buf_str(&v), cap - strlen(out) - 1);
	}
	buf_free(&v);
}

static void test_form(void **state)
{
	static const struct {
		const char *body, *name, *want;
		s3err_t err;
	} cases[] = {
	    {"access_key=AK&secret=s3cr%2Bt+x", "secret", "s3cr+t x", S3E_OK},
	    {"access_key=AK&secret=s", "access_key", "AK", S3E_OK},
	    {"key=a%2Fb&op=head&key=c&key=", "key", "a/b|c|", S3E_OK},
	    {"keys=x&key=y", "key", "y", S3E_OK}, /* names match whole */
	    {"ke=x&key", "key", "", S3E_OK},	  /* no '=': not a pair */
	    {"&&key=1&&", "key", "1", S3E_OK},	  /* empty pairs skipped */
	    {"key=%zz", "key", "", S3E_InvalidURI},
	    {"key=%00", "key", "", S3E_InvalidURI},
	    {"key="
	     "0123456789012345678901234567890123456789012345678901234567890123456789",
	     "key", "", S3E_InvalidArgument}, /* over the buffer's cap */
	    {"", "key", "", S3E_OK},
	};
	char got[256];
	s3err_t err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		form_all(cases[i].body, cases[i].name, got, sizeof(got), &err);
		assert_int_equal(err, cases[i].err);
		if (!err)
			assert_string_equal(got, cases[i].want);
	}
}

static void test_cors_allowed(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_false(console_cors_allowed(&c, "http://127.0.0.1:9001")); /* no admin listener */
	assert_int_equal(config_set(&c, "admin_listen", "127.0.0.1:9001", err, sizeof(err)), 0);
	assert_true(console_cors_allowed(&c, "http://127.0.0.1:9001"));
	assert_true(console_cors_allowed(&c, "http://localhost:9001"));
	assert_true(console_cors_allowed(&c, "http://[::1]:9001"));
	assert_false(console_cors_allowed(&c, "http://127.0.0.1:9000"));
	assert_false(console_cors_allowed(&c, "https://127.0.0.1:9001"));
	assert_false(console_cors_allowed(&c, "http://127.0.0.1:9001/"));
	assert_false(console_cors_allowed(&c, "http://evil.example"));
	assert_false(console_cors_allowed(&c, "null"));
	assert_false(console_cors_allowed(&c, NULL));
	/* A named listener: only its own origin. */
	assert_int_equal(config_set(&c, "admin_listen", "10.0.0.5:9001", err, sizeof(err)), 0);
	assert_true(console_cors_allowed(&c, "http://10.0.0.5:9001"));
	assert_false(console_cors_allowed(&c, "http://localhost:9001"));
	/* Configured origins replace the default. */
	assert_int_equal(config_set(&c, "console_origin",
				    "https://mgmt.example.org:8443, http://ops:9001", err,
				    sizeof(err)),
			 0);
	assert_true(console_cors_allowed(&c, "https://mgmt.example.org:8443"));
	assert_true(console_cors_allowed(&c, "http://ops:9001"));
	assert_false(console_cors_allowed(&c, "http://10.0.0.5:9001"));
	assert_false(console_cors_allowed(&c, "https://mgmt.example.org"));
	/* console = off: nobody. */
	assert_int_equal(config_set(&c, "console", "off", err, sizeof(err)), 0);
	assert_false(console_cors_allowed(&c, "http://ops:9001"));
	/* Bad origins are refused by the config. */
	assert_int_equal(config_set(&c, "console_origin", "*", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "console_origin", "http://a/b", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "console_origin", "http://A", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "console_origin",
				    "http://a,http://b,http://c,http://d,http://e", err,
				    sizeof(err)),
			 -1);
}

static void test_endpoint(void **state)
{
	static const struct {
		const char *listen, *tls, *configured, *host, *want;
	} cases[] = {
	    {"127.0.0.1:9000", "", "", "127.0.0.1:9001", "http://127.0.0.1:9000"},
	    {"10.1.2.3:9000", "", "", "other:9001", "http://10.1.2.3:9000"},
	    {"[::1]:9000", "", "", NULL, "http://[::1]:9000"},
	    {"0.0.0.0:9000", "", "", "storage.lan:9001", "http://storage.lan:9000"},
	    {"0.0.0.0:9000", "", "", "[fe80::1]:9001", "http://[fe80::1]:9000"},
	    {"0.0.0.0:9000", "", "", "evil\"; x:9001", "http://127.0.0.1:9000"}, /* refused */
	    {"0.0.0.0:9000", "", "", NULL, "http://127.0.0.1:9000"},
	    {":9000", "/c.pem", "", "nas:9001", "https://nas:9000"},
	    {"0.0.0.0:9000", "", "https://s3.example.org", "x", "https://s3.example.org"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		struct buf out;

		config_defaults(&c);
		assert_int_equal(config_set(&c, "listen", cases[i].listen, err, sizeof(err)), 0);
		snprintf(c.tls_cert, sizeof(c.tls_cert), "%s", cases[i].tls);
		assert_int_equal(
		    config_set(&c, "console_endpoint", cases[i].configured, err, sizeof(err)), 0);
		buf_init(&out, 512, S3E_InternalError);
		assert_int_equal(console_endpoint(&c, cases[i].host, &out), S3E_OK);
		assert_string_equal(buf_str(&out), cases[i].want);
		buf_free(&out);
	}
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_round_trip),
		cmocka_unit_test(test_session_expiry_and_logout),
		cmocka_unit_test(test_session_bound),
		cmocka_unit_test(test_throttle),
		cmocka_unit_test(test_cookie_token),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_cors_allowed),
		cmocka_unit_test(test_endpoint),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
