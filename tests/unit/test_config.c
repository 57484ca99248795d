/*
 * test_config: the configuration file as an operator writes it. Each case
 * writes a temporary file, loads it over the defaults and checks either the
 * resulting values or the exact "path:line: message" an operator would see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/config.h"

struct tmpconf {
	char path[64];
};

/* Writes len bytes of text to a new temporary file. */
static void write_conf(struct tmpconf *t, const char *text, size_t len)
{
	FILE *f;
	int fd;

	memcpy(t->path, "/tmp/strata-conf-XXXXXX", sizeof("/tmp/strata-conf-XXXXXX"));
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Loads text over the defaults; returns config_load's result, message in err. */
static int load_text(const char *text, size_t len, struct config *c, char *err, size_t errlen,
		     struct tmpconf *t)
{
	int rc;

	write_conf(t, text, len);
	config_defaults(c);
	err[0] = '\0';
	rc = config_load(t->path, c, err, errlen);
	unlink(t->path);
	return rc;
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.listen_port, 9000);
	assert_string_equal(c.data_dir, "./data");
	assert_string_equal(c.region, "us-east-1");
	assert_int_equal(c.ndomains, 0);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(c.max_connections, 1024);
	assert_int_equal(c.connection_timeout, 300);
	assert_int_equal(c.max_connections_per_client, 256);
	assert_int_equal(c.header_timeout, 30);
	assert_int_equal(c.max_header_size, 16384);
	assert_int_equal(c.max_user_metadata, 2048);
	assert_int_equal(c.shutdown_timeout, 30);
	assert_string_equal(c.access_log, "");
	assert_string_equal(c.audit_log, "");
	assert_true(c.integrity);
	assert_true(c.default_sse);
	assert_string_equal(c.key_file, "");
	assert_false(c.sse_c_over_http);
}

/* The encryption and integrity switches: exact spellings only, errors name the key. */
static void test_switches(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "default_encryption", "none", err, sizeof(err)), 0);
	assert_false(c.default_sse);
	assert_int_equal(config_set(&c, "default_encryption", "AES256", err, sizeof(err)), 0);
	assert_true(c.default_sse);
	assert_int_equal(config_set(&c, "default_encryption", "aws:kms", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "default_encryption"));
	assert_int_equal(config_set(&c, "sse_c_over_http", "on", err, sizeof(err)), 0);
	assert_true(c.sse_c_over_http);
	assert_int_equal(config_set(&c, "sse_c_over_http", "yes", err, sizeof(err)), -1);
	assert_true(c.sse_c_over_http);
	assert_int_equal(config_set(&c, "integrity", "off", err, sizeof(err)), 0);
	assert_false(c.integrity);
	assert_int_equal(config_set(&c, "integrity", "Off", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "key_file", "/etc/strata/keys", err, sizeof(err)), 0);
	assert_string_equal(c.key_file, "/etc/strata/keys");
	assert_int_equal(config_set(&c, "key_file", "", err, sizeof(err)), -1);
}

static void test_full_file(void **state)
{
	const char *text = "# Strata configuration\n"
			   "\n"
			   "listen = 0.0.0.0:8080\n"
			   "  data=/srv/strata  # trailing comment\n"
			   "region = eu-west-1\r\n"
			   "domain = S3.Example.COM, .s3.local. ,localhost\n"
			   "log_level = debug\n"
			   "\t# indented comment\n"
			   "max_connections = 100000\n"
			   "connection_timeout = 1";
	struct tmpconf t;
	struct config c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(text, strlen(text), &c, err, sizeof(err), &t), 0);
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 8080);
	assert_string_equal(c.data_dir, "/srv/strata");
	assert_string_equal(c.region, "eu-west-1");
	assert_int_equal(c.ndomains, 3);
	assert_string_equal(c.domains[0], "s3.example.com");
	assert_string_equal(c.domains[1], "s3.local");
	assert_string_equal(c.domains[2], "localhost");
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.max_connections, 100000);
	assert_int_equal(c.connection_timeout, 1);
}

static void test_empty_file_keeps_defaults(void **state)
{
	struct tmpconf t;
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(load_text("", 0, &c, err, sizeof(err), &t), 0);
	assert_int_equal(c.listen_port, 9000);
	assert_string_equal(c.region, "us-east-1");
	assert_int_equal(load_text("\xef\xbb\xbfregion = r1\n", 15, &c, err, sizeof(err), &t), 0);
	assert_string_equal(c.region, "r1");
}

static void test_quoted_values(void **state)
{
	static const struct {
		const char *line;
		const char *data;
	} cases[] = {
	    {"data = \"/srv/with space\"\n", "/srv/with space"},
	    {"data = \"/srv/a#b\"   # comment\n", "/srv/a#b"},
	    {"data = \"/srv/q\\\"uote\\\\\"\n", "/srv/q\"uote\\"},
	    {"data=\"/x\"#c\n", "/x"},
	    {"data = /srv/a#b\n", "/srv/a#b"}, /* '#' not after white space */
	    {"data = /srv/x   \n", "/srv/x"},
	};
	struct tmpconf t;
	struct config c;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (load_text(cases[i].line, strlen(cases[i].line), &c, err, sizeof(err), &t) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_string_equal(c.data_dir, cases[i].data);
	}
	/* An empty quoted domain means path style only. */
	assert_int_equal(load_text("domain = \"\"\n", 12, &c, err, sizeof(err), &t), 0);
	assert_int_equal(c.ndomains, 0);
}

static void test_listen_forms(void **state)
{
	static const struct {
		const char *s;
		int rc;
		const char *host;
		uint16_t port;
	} cases[] = {
	    {"127.0.0.1:9000", 0, "127.0.0.1", 9000},
	    {"localhost:1", 0, "localhost", 1},
	    {":65535", 0, "", 65535},
	    {"[::1]:443", 0, "::1", 443},
	    {"[2001:db8::7]:8080", 0, "2001:db8::7", 8080},
	    {"127.0.0.1:0", -1, NULL, 0},
	    {"127.0.0.1:65536", -1, NULL, 0},
	    {"127.0.0.1:99999999999999999999999", -1, NULL, 0},
	    {"127.0.0.1", -1, NULL, 0},
	    {"127.0.0.1:", -1, NULL, 0},
	    {"127.0.0.1:80x", -1, NULL, 0},
	    {"127.0.0.1:+80", -1, NULL, 0},
	    {"::1:80", -1, NULL, 0},
	    {"[::1]80", -1, NULL, 0},
	    {"[zz]:80", -1, NULL, 0},
	    {"[]:80", -1, NULL, 0},
	    {"bad_host:80", -1, NULL, 0},
	    {"-bad:80", -1, NULL, 0},
	    {"", -1, NULL, 0},
	};
	char host[64];
	uint16_t port;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(host, "untouched", 10);
		port = 7;
		if (config_parse_listen(cases[i].s, host, sizeof(host), &port) != cases[i].rc)
			fail_msg("case %zu '%s'", i, cases[i].s);
		if (cases[i].rc == 0) {
			assert_string_equal(host, cases[i].host);
			assert_int_equal(port, cases[i].port);
		} else {
			assert_string_equal(host, "untouched");
			assert_int_equal(port, 7);
		}
	}
	/* The host must fit the caller's buffer. */
	assert_int_equal(config_parse_listen("localhost:80", host, 9, &port), -1);
	assert_int_equal(config_parse_listen("localhost:80", host, 10, &port), 0);
}

/* The admin listener is off by default, takes the listen forms, and "off" turns it off again. */
static void test_admin_listen(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.admin_port, 0);
	assert_int_equal(config_set(&c, "admin_listen", "127.0.0.1:9001", err, sizeof(err)), 0);
	assert_string_equal(c.admin_host, "127.0.0.1");
	assert_int_equal(c.admin_port, 9001);
	assert_int_equal(config_set(&c, "admin_listen", "127.0.0.1:0", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "admin_listen"));
	assert_int_equal(c.admin_port, 9001); /* a refused value changes nothing */
	assert_int_equal(config_set(&c, "admin_listen", "off", err, sizeof(err)), 0);
	assert_int_equal(c.admin_port, 0);
}

/* The limits (issue 9): ranges as documented, 0 only where it means "none". */
static void test_limits_and_logs(void **state)
{
	static const struct {
		const char *key, *value;
		int rc;
	} cases[] = {
	    {"max_connections_per_client", "0", 0},
	    {"max_connections_per_client", "100001", -1},
	    {"header_timeout", "0", -1},
	    {"header_timeout", "3600", 0},
	    {"max_header_size", "8191", -1},
	    {"max_header_size", "8192", 0},
	    {"max_header_size", "1048577", -1},
	    {"max_user_metadata", "0", 0},
	    {"max_user_metadata", "4097", -1},
	    {"shutdown_timeout", "0", 0},
	    {"shutdown_timeout", "3601", -1},
	    {"access_log", "off", 0},
	    {"access_log", "", -1},
	    {"audit_log", "/var/log/strata/audit.log", 0},
	};
	struct config c;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_defaults(&c);
		assert_int_equal(config_set(&c, cases[i].key, cases[i].value, err, sizeof(err)),
				 cases[i].rc);
	}
	config_defaults(&c);
	assert_int_equal(config_set(&c, "audit_log", "/var/log/strata/audit.log", err, sizeof(err)),
			 0);
	assert_string_equal(c.audit_log, "/var/log/strata/audit.log");
	assert_int_equal(config_set(&c, "audit_log", "off", err, sizeof(err)), 0);
	assert_string_equal(c.audit_log, "");
	assert_int_equal(config_set(&c, "max_header_size", "8191", err, sizeof(err)), -1);
	assert_string_equal(err, "bad value for max_header_size: '8191' (expected a number "
				 "8192..1048576)");
	assert_int_equal(c.max_header_size, 16384);
}

static void test_config_set(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "max_connections", "1", err, sizeof(err)), 0);
	assert_int_equal(c.max_connections, 1);
	assert_int_equal(config_set(&c, "max_connections", "100001", err, sizeof(err)), -1);
	assert_string_equal(err, "bad value for max_connections: '100001' (expected a number "
				 "1..100000)");
	assert_int_equal(c.max_connections, 1);
	assert_int_equal(config_set(&c, "listne", "x", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown key 'listne'");
	assert_int_equal(config_set(&c, "log_level", "warn", err, sizeof(err)), 0);
	assert_int_equal(c.log_level, LOG_WARN);
	assert_int_equal(config_set(&c, "log_level", "WARN", err, sizeof(err)), -1);
	assert_int_equal(c.log_level, LOG_WARN);
	assert_int_equal(config_set(&c, "domain", "a.example, b.example", err, sizeof(err)), 0);
	assert_int_equal(c.ndomains, 2);
	/* A bad list leaves the previous one in place. */
	assert_int_equal(config_set(&c, "domain", "ok.example,bad_one", err, sizeof(err)), -1);
	assert_string_equal(err, "bad value for domain: 'bad_one' is not a host name");
	assert_int_equal(c.ndomains, 2);
	assert_string_equal(c.domains[1], "b.example");
	/* A command-line override replaces the list. */
	assert_int_equal(config_set(&c, "domain", "", err, sizeof(err)), 0);
	assert_int_equal(c.ndomains, 0);
	/* A tiny error buffer is cut, never overrun. */
	assert_int_equal(config_set(&c, "nope", "x", err, 5), -1);
	assert_string_equal(err, "unkn");
	assert_int_equal(config_set(&c, "nope", "x", NULL, 0), -1);
}

/* A tier is a directory or an s3:// bucket (and prefix) on the s3_* remote. */
static void test_tier_values(void **state)
{
	static const struct {
		const char *value;
		bool ok;
	} rows[] = {
	    {"/srv/ia", true},
	    {"s3://archive", true},
	    {"s3://archive/", true},
	    {"s3://archive/cold/", true},
	    {"s3://archive/a/b-c_d.e/", true},
	    {"s3://", false},
	    {"s3:///p/", false},
	    {"s3://Archive", false},	   /* not a bucket name */
	    {"s3://ar", false},		   /* too short for one */
	    {"s3://archive/cold", false},  /* a prefix ends in '/' */
	    {"s3://archive//x/", false},   /* nor starts with one */
	    {"s3://archive/a b/", false},  /* printable, no spaces */
	    {"s3://archive/a\\b/", false}, /* no backslash */
	    {"s3://archive/\x01/", false},
	};
	struct config c;
	char err[256], big[400];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		config_defaults(&c);
		assert_int_equal(config_set(&c, "tier_GLACIER", rows[i].value, err, sizeof(err)),
				 rows[i].ok ? 0 : -1);
		assert_int_equal(config_tier_url_valid(rows[i].value),
				 rows[i].ok && strncmp(rows[i].value, "s3://", 5) == 0);
		if (rows[i].ok)
			assert_string_equal(c.tier_dirs[2], rows[i].value);
		else
			assert_string_equal(c.tier_dirs[2], "");
	}
	/* The prefix has a cap. */
	memcpy(big, "s3://archive/", 13);
	memset(big + 13, 'p', sizeof(big) - 13);
	big[13 + CONFIG_TIER_PREFIX_MAX - 1] = '/';
	big[13 + CONFIG_TIER_PREFIX_MAX] = '\0';
	assert_true(config_tier_url_valid(big));
	big[13 + CONFIG_TIER_PREFIX_MAX - 1] = 'p';
	big[13 + CONFIG_TIER_PREFIX_MAX] = '/';
	big[13 + CONFIG_TIER_PREFIX_MAX + 1] = '\0';
	assert_false(config_tier_url_valid(big));
	config_defaults(&c);
	assert_int_equal(config_set(&c, "tier_STANDARD_IA", "s3://Bad", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad value for tier_STANDARD_IA: expected s3://BUCKET"));
}

/* Each bad file names the file, the line and the fault. */
static void test_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg; /* after "path:" */
	} cases[] = {
	    {"# ok\nlistne = 1\n", "2: unknown key 'listne'"},
	    {"listen 127.0.0.1:9000\n", "1: missing '=' after 'listen'"},
	    {"\n\nlisten\n", "3: missing '=' after 'listen'"},
	    {"= 5\n", "1: missing key before '='"},
	    {"listen = 127.0.0.1:70000\n",
	     "1: port out of range in listen '127.0.0.1:70000' (expected 1..65535)"},
	    {"listen = 127.0.0.1:0\n",
	     "1: port out of range in listen '127.0.0.1:0' (expected 1..65535)"},
	    {"listen = nonsense\n",
	     "1: bad value for listen: 'nonsense' (expected HOST:PORT, [IPv6]:PORT or :PORT)"},
	    {"data = \"/srv/open\n", "1: unterminated quote"},
	    {"data = \"/a\" extra\n", "1: unexpected text after quoted value"},
	    {"data = \"/a\\n\"\n",
	     "1: bad escape in quoted value (only \\\" and \\\\ are allowed)"},
	    {"data = /a\"b\n", "1: stray '\"' in unquoted value"},
	    {"max_connections = 0\n",
	     "1: bad value for max_connections: '0' (expected a number 1..100000)"},
	    {"max_connections = -1\n",
	     "1: bad value for max_connections: '-1' (expected a number 1..100000)"},
	    {"max_connections = 1e3\n",
	     "1: bad value for max_connections: '1e3' (expected a number 1..100000)"},
	    {"max_connections = 18446744073709551617\n",
	     "1: bad value for max_connections: '18446744073709551617' (expected a number "
	     "1..100000)"},
	    {"connection_timeout = 86401\n",
	     "1: bad value for connection_timeout: '86401' (expected a number 1..86400)"},
	    {"connection_timeout =\n",
	     "1: bad value for connection_timeout: '' (expected a number 1..86400)"},
	    {"log_level = verbose\n",
	     "1: bad value for log_level: 'verbose' (expected error, warn, info or debug)"},
	    {"region = us/east\n",
	     "1: bad value for region: 'us/east' (expected 1..32 letters, digits, '-' or '_')"},
	    {"region = \"\"\n",
	     "1: bad value for region: '' (expected 1..32 letters, digits, '-' or '_')"},
	    {"region = abcdefghijabcdefghijabcdefghijabc\n",
	     "1: bad value for region: 'abcdefghijabcdefghijabcdefghijabc' (expected 1..32 "
	     "letters, digits, '-' or '_')"},
	    {"data =\n",
	     "1: bad value for data: expected a directory path of 1..4095 bytes without control "
	     "characters"},
	    {"domain = a..b\n", "1: bad value for domain: 'a..b' is not a host name"},
	    {"domain = a.com,,b.com\n", "1: bad value for domain: '' is not a host name"},
	    {"domain = -a.com\n", "1: bad value for domain: '-a.com' is not a host name"},
	    {"domain = a-.com\n", "1: bad value for domain: 'a-.com' is not a host name"},
	    {"domain = a_b.com\n", "1: bad value for domain: 'a_b.com' is not a host name"},
	    {"domain = a,b,c,d,e,f,g,h,i\n", "1: bad value for domain: more than 8 domains"},
	    {"domain = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\n",
	     "1: bad value for domain: "
	     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaa.com' is not a host name"},
	    {"region = r1\nlog_level = info\nregion = r2\n",
	     "3: duplicate key 'region' (first set on line 1)"},
	};
	struct tmpconf t;
	struct config c;
	char err[512], want[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (load_text(cases[i].text, strlen(cases[i].text), &c, err, sizeof(err), &t) != -1)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		snprintf(want, sizeof(want), "%s:%s", t.path, cases[i].msg);
		if (strcmp(err, want) != 0)
			fail_msg("case %zu:\n got  '%s'\n want '%s'", i, err, want);
	}
}

/* Lines up to STRATA_MAX_CONFIG_LINE bytes are read; one byte more is refused. */
static void test_line_length(void **state)
{
	size_t max = STRATA_MAX_CONFIG_LINE, n;
	struct tmpconf t;
	struct config c;
	char err[512], want[512];
	char *text;

	(void)state;
	text = malloc(max + 64);
	assert_non_null(text);
	/* "# ok\n" then a comment line of exactly max bytes, then a real setting. */
	memcpy(text, "# ok\n#", 6);
	memset(text + 6, 'x', max - 1);
	n = 5 + max;
	memcpy(text + n, "\nregion = r9\n", 13);
	n += 13;
	assert_int_equal(load_text(text, n, &c, err, sizeof(err), &t), 0);
	assert_string_equal(c.region, "r9");

	/* One byte longer: an error on line 2. */
	memcpy(text, "# ok\n#", 6);
	memset(text + 6, 'x', max);
	n = 5 + max + 1;
	memcpy(text + n, "\n", 1);
	n += 1;
	assert_int_equal(load_text(text, n, &c, err, sizeof(err), &t), -1);
	snprintf(want, sizeof(want), "%s:2: line too long (max %u bytes)", t.path,
		 STRATA_MAX_CONFIG_LINE);
	assert_string_equal(err, want);
	free(text);
}

static void test_nul_and_missing_file(void **state)
{
	struct tmpconf t;
	struct config c;
	char err[512], want[512];

	(void)state;
	assert_int_equal(load_text("region = a\nregion\0 = b\n", 23, &c, err, sizeof(err), &t), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", t.path);
	assert_string_equal(err, want);

	config_defaults(&c);
	assert_int_equal(config_load("/nonexistent/strata.conf", &c, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "/nonexistent/strata.conf: cannot open: No such file or directory");
}

/* tls_cert, tls_key, http_listen: values, and pairs checked after the flags. */
static void test_tls_keys(void **state)
{
	static const char both[] = "listen = :8443\ntls_cert = /etc/strata/cert.pem\n"
				   "tls_key = \"/etc/strata/my key.pem\"\nhttp_listen = :8080\n";
	struct tmpconf t;
	struct config c;
	char err[512], want[512];

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.tls_cert, "");
	assert_string_equal(c.tls_key, "");
	assert_int_equal(c.http_port, 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);

	assert_int_equal(load_text(both, sizeof(both) - 1, &c, err, sizeof(err), &t), 0);
	assert_string_equal(c.tls_cert, "/etc/strata/cert.pem");
	assert_string_equal(c.tls_key, "/etc/strata/my key.pem");
	assert_string_equal(c.http_host, "");
	assert_int_equal(c.http_port, 8080);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);

	/* Bad values name the key; a refused value changes nothing. */
	assert_int_equal(config_set(&c, "tls_cert", "", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tls_cert"));
	assert_int_equal(config_set(&c, "tls_key", "a\tb", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tls_key"));
	assert_string_equal(c.tls_key, "/etc/strata/my key.pem");
	assert_int_equal(config_set(&c, "http_listen", "127.0.0.1:70000", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "http_listen"));
	assert_int_equal(c.http_port, 8080);
	assert_int_equal(config_set(&c, "http_listen", "off", err, sizeof(err)), 0);
	assert_int_equal(c.http_port, 0);

	/* Half a pair: file:line of the key that is set. */
	assert_int_equal(load_text("region = r\ntls_cert = c.pem\n", 28, &c, err, sizeof(err), &t),
			 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: tls_cert without tls_key (give both, or neither)",
		 t.path);
	assert_string_equal(err, want);
	/* ... which a flag may complete. */
	assert_int_equal(config_set(&c, "tls_key", "k.pem", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);

	assert_int_equal(load_text("tls_key = k.pem\n", 16, &c, err, sizeof(err), &t), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: tls_key without tls_cert (give both, or neither)",
		 t.path);
	assert_string_equal(err, want);

	assert_int_equal(load_text("\n\nhttp_listen = :8080\n", 22, &c, err, sizeof(err), &t), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s:3: http_listen needs tls_cert and tls_key (without them listen already "
		 "serves plain HTTP)",
		 t.path);
	assert_string_equal(err, want);

	/* A flag's value is blamed without a line. */
	config_defaults(&c);
	assert_int_equal(config_set(&c, "tls_cert", "c.pem", err, sizeof(err)), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "tls_cert without tls_key (give both, or neither)");

	/* Given twice in a file, as any key. */
	assert_int_equal(load_text("tls_cert = a\ntls_cert = b\n", 26, &c, err, sizeof(err), &t),
			 -1);
	assert_non_null(strstr(err, ":2: duplicate key 'tls_cert' (first set on line 1)"));
}

/* Sites and the replication keys: values, defaults, config_site_find. */
static void test_sites(void **state)
{
	const char *text = "replication_users = dr-repl, other.user\n"
			   "replication_workers = 8\n"
			   "replication_interval = 1\n"
			   "replication_retry_max = 30\n"
			   "\n"
			   "[site dr]   # the other building\n"
			   "endpoint = http://127.0.0.1:9100\n"
			   "access_key = AKDR\n"
			   "secret_key = \"s e c r e t\"\n"
			   "  [ site  aws-1 ]\n"
			   "endpoint = https://s3.eu-west-1.amazonaws.com\n"
			   "region = eu-west-1\n"
			   "access_key = AK2\n"
			   "secret_key = SK2\n"
			   "ca_file = /etc/ssl/ca.pem\n"
			   "path_style = off\n"
			   "encryption = none\n"
			   "[site v6]\n"
			   "endpoint = http://[::1]:9000\n"
			   "access_key = a\n"
			   "secret_key = b\n";
	struct tmpconf t;
	struct config c;
	char err[512];
	const struct config_site *s;

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.replication_workers, 4);
	assert_int_equal(c.replication_interval, 5);
	assert_int_equal(c.replication_retry_max, 300);
	assert_int_equal(c.nsites, 0);
	assert_int_equal(c.nreplication_users, 0);
	assert_null(config_site_find(&c, "dr"));

	assert_int_equal(load_text(text, strlen(text), &c, err, sizeof(err), &t), 0);
	assert_int_equal(c.nreplication_users, 2);
	assert_string_equal(c.replication_users[0], "dr-repl");
	assert_string_equal(c.replication_users[1], "other.user");
	assert_int_equal(c.replication_workers, 8);
	assert_int_equal(c.replication_interval, 1);
	assert_int_equal(c.replication_retry_max, 30);
	assert_int_equal(c.nsites, 3);
	s = config_site_find(&c, "dr");
	assert_non_null(s);
	assert_string_equal(s->endpoint, "http://127.0.0.1:9100");
	assert_string_equal(s->region, "us-east-1");
	assert_string_equal(s->access_key, "AKDR");
	assert_string_equal(s->secret_key, "s e c r e t");
	assert_string_equal(s->ca_file, "");
	assert_true(s->path_style);
	assert_true(s->encryption);
	s = config_site_find(&c, "aws-1");
	assert_non_null(s);
	assert_string_equal(s->endpoint, "https://s3.eu-west-1.amazonaws.com");
	assert_string_equal(s->region, "eu-west-1");
	assert_string_equal(s->ca_file, "/etc/ssl/ca.pem");
	assert_false(s->path_style);
	assert_false(s->encryption);
	assert_non_null(config_site_find(&c, "v6"));
	assert_null(config_site_find(&c, "DR"));
	assert_null(config_site_find(&c, "d"));
}

/* Each mistake in a site section is refused, naming the line an operator must fix. */
static void test_site_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* ":LINE: message" part */
	} rows[] = {
	    {"[site dr]\nendpoint = http://h:1\naccess_key = a\nsecret_key = b\nlisten = :1\n",
	     ":5: top-level key 'listen' inside [site dr]"},
	    {"[site dr]\nendpoint = http://h:1\nbogus = 1\n",
	     ":3: unknown key 'bogus' in [site dr]"},
	    {"[site dr]\nendpoint = http://h:1\nencryption = aws:kms\n",
	     ":3: bad value for encryption: 'aws:kms'"},
	    {"[site dr]\naccess_key = a\nsecret_key = b\n", ":1: [site dr] has no endpoint"},
	    {"[site dr]\nendpoint = http://h\nsecret_key = b\n[site x]\n",
	     ":1: [site dr] has no access_key"},
	    {"\n[site dr]\nendpoint = http://h\naccess_key = a\n",
	     ":2: [site dr] has no secret_key"},
	    {"[site dr]\nendpoint = http://h\naccess_key = a\nsecret_key = b\n[site dr]\n",
	     ":5: duplicate site 'dr'"},
	    {"[site Dr]\n", ":1: bad site name 'Dr'"},
	    {"[site a_b]\n", ":1: bad site name 'a_b'"},
	    {"[site 012345678901234567890123456789012]\n", ":1: bad site name"},
	    {"[site]\n", ":1: bad section header"},
	    {"[sites dr]\n", ":1: bad section header"},
	    {"[site dr] x\n", ":1: bad section header"},
	    {"[site dr\n", ":1: bad section header"},
	    {"[site dr]\nendpoint = ftp://h\n", ":2: bad value for endpoint"},
	    {"[site dr]\nendpoint = http://h/path\n", ":2: bad value for endpoint"},
	    {"[site dr]\nendpoint = http://h:99999\n", ":2: bad value for endpoint"},
	    {"[site dr]\nendpoint = http://\n", ":2: bad value for endpoint"},
	    {"[site dr]\nendpoint = http://u@h\n", ":2: bad value for endpoint"},
	    {"[site dr]\nendpoint = http://h\nendpoint = http://g\n",
	     ":3: duplicate key 'endpoint' in [site dr] (first set on line 2)"},
	    {"[site dr]\nregion = eu/west\n", ":2: bad value for region"},
	    {"[site dr]\naccess_key =\n", ":2: bad value for access_key"},
	    {"[site dr]\npath_style = yes\n", ":2: bad value for path_style"},
	    {"replication_workers = 0\n", ":1: bad value for replication_workers"},
	    {"replication_workers = 65\n", ":1: bad value for replication_workers"},
	    {"replication_interval = 0\n", ":1: bad value for replication_interval"},
	    {"replication_retry_max = 86401\n", ":1: bad value for replication_retry_max"},
	    {"replication_users = a,,b\n", ":1: bad value for replication_users"},
	    {"replication_users = a b\n", ":1: bad value for replication_users"},
	    {"replication_users = 1,2,3,4,5,6,7,8,9\n", ":1: bad value for replication_users"},
	};
	char big[2048];
	struct tmpconf t;
	struct config c;
	char err[512];
	size_t i;
	int n = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(
		    load_text(rows[i].text, strlen(rows[i].text), &c, err, sizeof(err), &t), -1);
		if (!strstr(err, rows[i].want))
			fail_msg("row %zu: got '%s', want '%s'", i, err, rows[i].want);
		assert_true(strncmp(err, t.path, strlen(t.path)) == 0);
	}
	/* At most CONFIG_MAX_SITES sites. */
	for (i = 0; i <= CONFIG_MAX_SITES; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n,
			      "[site s%zu]\nendpoint = http://h\naccess_key = a\nsecret_key = b\n",
			      i);
	assert_int_equal(load_text(big, (size_t)n, &c, err, sizeof(err), &t), -1);
	assert_non_null(strstr(err, ":33: more than 8 sites"));
	/* Empty users list is none; an empty site section body fails at its header. */
	assert_int_equal(load_text("replication_users =\n", 20, &c, err, sizeof(err), &t), 0);
	assert_int_equal(c.nreplication_users, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	  cmocka_unit_test(test_switches),
	    cmocka_unit_test(test_sites),	  cmocka_unit_test(test_site_errors),
	    cmocka_unit_test(test_full_file),	  cmocka_unit_test(test_empty_file_keeps_defaults),
	    cmocka_unit_test(test_quoted_values), cmocka_unit_test(test_listen_forms),
	    cmocka_unit_test(test_admin_listen),  cmocka_unit_test(test_config_set),
	    cmocka_unit_test(test_tier_values),	  cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_line_length),	  cmocka_unit_test(test_nul_and_missing_file),
	    cmocka_unit_test(test_tls_keys),	  cmocka_unit_test(test_limits_and_logs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
