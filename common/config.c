/*
 * config: the strata configuration file (format and keys in config.h).
 *
 * Grammar of one line, after leading white space (SP, TAB; a trailing CR
 * of a CRLF file counts as white space):
 *   blank line | '#' comment | KEY WS* '=' WS* VALUE WS* [comment]
 * where VALUE is either
 *   - unquoted: everything up to a '#' that follows white space, or the end
 *     of the line, with trailing white space removed; it may not contain
 *     '"' (so a half-quoted value is an error, not a surprise), or
 *   - double-quoted: '#' and white space are literal inside, "\"" and "\\"
 *     are the only escapes, and only white space or a comment may follow
 *     the closing quote.
 * A line longer than STRATA_MAX_CONFIG_LINE bytes (without its newline), a
 * NUL byte, an unknown key, a key given twice, or a value the key does not
 * accept is an error "path:line: message"; nothing is silently ignored,
 * because a setting that looks applied but is not is worse than a refusal
 * to start.
 *
 * Keys are rows of a table, each with its setter. Every setter parses into
 * locals and writes the config only when the whole value is valid.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "strutil.h"

/* Longest value text quoted back in an error message. */
#define ERR_VALUE_MAX 80

/* Writes a printf-style message into err[errlen] (cut if too long). NULL or 0 is fine. */
static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* ---- value parsers ---- */

/* Reads value as a decimal in [min, max] into *out, or explains why not. */
static int set_uint(const char *key, const char *value, unsigned min, unsigned max, unsigned *out,
		    char *err, size_t errlen)
{
	uint64_t v;

	if (!parse_u64_str(value, min, max, &v)) {
		seterr(err, errlen, "bad value for %s: '%.*s' (expected a number %u..%u)", key,
		       ERR_VALUE_MAX, value, min, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/*
 * true if s[0..len) is a DNS host name: 1..253 bytes of dot-separated
 * labels of 1..63 letters, digits and '-', no label starting or ending
 * with '-'. Upper case is accepted here (callers lowercase first).
 */
static bool is_hostname(const char *s, size_t len)
{
	size_t i, label = 0;
	char c;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

enum listen_result { LISTEN_OK, LISTEN_MALFORMED, LISTEN_BAD_PORT };

/*
 * Splits "HOST:PORT", "[v6]:PORT" or ":PORT" (host "" = every interface).
 * HOST is a host name or IPv4 address; the brackets are removed from an
 * IPv6 address, which must parse with inet_pton. PORT is 1..65535; a port
 * made of digits but outside that range is LISTEN_BAD_PORT so the message
 * can say so. Outputs are written only on LISTEN_OK.
 */
static enum listen_result split_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h, *p;
	size_t hlen, plen, i;
	uint64_t v;
	char v6[64];
	unsigned char addr[16];

	if (!s || !host || hostlen == 0)
		return LISTEN_MALFORMED;
	if (s[0] == '[') {
		h = s + 1;
		colon = strchr(h, ']');
		if (!colon || colon[1] != ':')
			return LISTEN_MALFORMED;
		hlen = (size_t)(colon - h);
		if (hlen == 0 || hlen >= sizeof(v6))
			return LISTEN_MALFORMED;
		memcpy(v6, h, hlen);
		v6[hlen] = '\0';
		if (inet_pton(AF_INET6, v6, addr) != 1)
			return LISTEN_MALFORMED;
		colon++;
	} else {
		h = s;
		colon = strrchr(s, ':');
		if (!colon)
			return LISTEN_MALFORMED;
		hlen = (size_t)(colon - h);
		/* A bare IPv6 address has more colons: it must be bracketed. */
		if (memchr(h, ':', hlen) || (hlen && !is_hostname(h, hlen)))
			return LISTEN_MALFORMED;
	}
	p = colon + 1;
	plen = strlen(p);
	if (plen == 0 || plen > 20)
		return LISTEN_MALFORMED;
	for (i = 0; i < plen; i++) {
		if (p[i] < '0' || p[i] > '9')
			return LISTEN_MALFORMED;
	}
	if (!parse_u64(p, plen, 1, 65535, &v))
		return LISTEN_BAD_PORT;
	if (hlen >= hostlen)
		return LISTEN_MALFORMED;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)v;
	return LISTEN_OK;
}

/*
 * Parses "HOST:PORT", "[v6]:PORT" or ":PORT" into host[hostlen] (without
 * brackets; "" for ":PORT") and *port (1..65535). Returns 0, or -1 when s
 * is malformed, the port is out of range or the host does not fit; the
 * outputs are then untouched.
 */
int config_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	return split_listen(s, host, hostlen, port) == LISTEN_OK ? 0 : -1;
}

/* ---- one setter per key ---- */

/* Parses a listen address for `key` into host[hostlen] / *port, or explains why not. */
static int parse_address(const char *key, const char *value, char *host, size_t hostlen,
			 uint16_t *port, char *err, size_t errlen)
{
	switch (split_listen(value, host, hostlen, port)) {
	case LISTEN_OK:
		return 0;
	case LISTEN_BAD_PORT:
		seterr(err, errlen, "port out of range in %s '%.*s' (expected 1..65535)", key,
		       ERR_VALUE_MAX, value);
		return -1;
	default:
		seterr(err, errlen,
		       "bad value for %s: '%.*s' (expected HOST:PORT, [IPv6]:PORT"
		       " or :PORT)",
		       key, ERR_VALUE_MAX, value);
		return -1;
	}
}

static int set_listen(struct config *c, const char *value, char *err, size_t errlen)
{
	return parse_address("listen", value, c->listen_host, sizeof(c->listen_host),
			     &c->listen_port, err, errlen);
}

/* "off" (or empty) disables the admin listener: /metrics and health are opt-in. */
static int set_admin_listen(struct config *c, const char *value, char *err, size_t errlen)
{
	if (!value[0] || strcmp(value, "off") == 0) {
		c->admin_host[0] = '\0';
		c->admin_port = 0;
		return 0;
	}
	return parse_address("admin_listen", value, c->admin_host, sizeof(c->admin_host),
			     &c->admin_port, err, errlen);
}

/* "off" (or empty): no plain-HTTP listener beside the TLS one. */
static int set_http_listen(struct config *c, const char *value, char *err, size_t errlen)
{
	c->http_listen_line = 0;
	if (!value[0] || strcmp(value, "off") == 0) {
		c->http_host[0] = '\0';
		c->http_port = 0;
		return 0;
	}
	return parse_address("http_listen", value, c->http_host, sizeof(c->http_host),
			     &c->http_port, err, errlen);
}

/* A file path: 1..cap-1 bytes without control characters. */
static int set_file(const char *key, const char *value, char *out, size_t cap, char *err,
		    size_t errlen)
{
	size_t i, n = strlen(value);

	for (i = 0; i < n; i++) {
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			break;
	}
	if (n == 0 || i < n || n >= cap) {
		seterr(err, errlen,
		       "bad value for %s: expected a file path of 1..%zu bytes"
		       " without control characters",
		       key, cap - 1);
		return -1;
	}
	memcpy(out, value, n + 1);
	return 0;
}

static int set_tls_cert(struct config *c, const char *value, char *err, size_t errlen)
{
	c->tls_cert_line = 0;
	return set_file("tls_cert", value, c->tls_cert, sizeof(c->tls_cert), err, errlen);
}

static int set_tls_key(struct config *c, const char *value, char *err, size_t errlen)
{
	c->tls_key_line = 0;
	return set_file("tls_key", value, c->tls_key, sizeof(c->tls_key), err, errlen);
}

static const char *const tier_classes[CONFIG_TIER_CLASSES] = {"STANDARD_IA", "GLACIER_IR",
							      "GLACIER", "DEEP_ARCHIVE"};

const char *config_tier_class(unsigned i)
{
	return i < CONFIG_TIER_CLASSES ? tier_classes[i] : NULL;
}

/* A directory path value: 1..cap-1 bytes without control characters. */
static int set_dir(const char *key, const char *value, char *out, size_t cap, char *err,
		   size_t errlen)
{
	size_t i, n = strlen(value);

	for (i = 0; i < n; i++) {
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			break;
	}
	if (n == 0 || i < n || n >= cap) {
		seterr(err, errlen,
		       "bad value for %s: expected a directory path of 1..%zu bytes"
		       " without control characters",
		       key, cap - 1);
		return -1;
	}
	memcpy(out, value, n + 1);
	return 0;
}

bool config_tier_url_valid(const char *value)
{
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	const char *b = value + 5, *slash;
	size_t blen, plen, i;

	if (strncmp(value, "s3://", 5) != 0)
		return false;
	slash = strchr(b, '/');
	blen = slash ? (size_t)(slash - b) : strlen(b);
	if (blen == 0 || blen > STRATA_BUCKET_NAME_MAX)
		return false;
	memcpy(bucket, b, blen);
	bucket[blen] = '\0';
	if (!names_bucket_valid(bucket))
		return false;
	if (!slash || !slash[1])
		return true;
	plen = strlen(slash + 1);
	if (plen > CONFIG_TIER_PREFIX_MAX || slash[plen] != '/' || slash[1] == '/')
		return false;
	for (i = 1; i <= plen; i++)
		if ((unsigned char)slash[i] <= 0x20 || (unsigned char)slash[i] >= 0x7f ||
		    slash[i] == '\\')
			return false;
	return true;
}

/* A tier is a directory, or (s3://) a bucket and prefix on the s3_endpoint store. */
static int set_tier(struct config *c, unsigned i, const char *value, char *err, size_t errlen)
{
	char key[32];

	snprintf(key, sizeof(key), "tier_%s", tier_classes[i]);
	if (strncmp(value, "s3://", 5) == 0) {
		if (!config_tier_url_valid(value) || strlen(value) >= sizeof(c->tier_dirs[i])) {
			seterr(err, errlen,
			       "bad value for %s: expected s3://BUCKET or s3://BUCKET/PREFIX/ "
			       "(a valid bucket name; a prefix of printable characters ending "
			       "in '/', at most %u bytes)",
			       key, CONFIG_TIER_PREFIX_MAX);
			return -1;
		}
		memcpy(c->tier_dirs[i], value, strlen(value) + 1);
		return 0;
	}
	return set_dir(key, value, c->tier_dirs[i], sizeof(c->tier_dirs[i]), err, errlen);
}

static int set_tier_ia(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_tier(c, 0, value, err, errlen);
}

static int set_tier_ir(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_tier(c, 1, value, err, errlen);
}

static int set_tier_glacier(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_tier(c, 2, value, err, errlen);
}

static int set_tier_deep(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_tier(c, 3, value, err, errlen);
}

static int set_data(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_dir("data", value, c->data_dir, sizeof(c->data_dir), err, errlen);
}

/*
 * A region goes into SigV4 credential scopes ("date/region/s3/aws4_request"),
 * so it may not contain '/' or white space; AWS names use letters, digits
 * and '-'. Case is kept: the scope comparison is exact.
 */
static int set_region(struct config *c, const char *value, char *err, size_t errlen)
{
	size_t i, n = strlen(value);
	char ch;

	for (i = 0; i < n; i++) {
		ch = value[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			break;
	}
	if (n == 0 || i < n || n >= sizeof(c->region)) {
		seterr(err, errlen,
		       "bad value for region: '%.*s' (expected 1..%zu letters, digits,"
		       " '-' or '_')",
		       ERR_VALUE_MAX, value, sizeof(c->region) - 1);
		return -1;
	}
	memcpy(c->region, value, n + 1);
	return 0;
}

/*
 * Comma-separated base domains. Each item is trimmed, lowercased, loses one
 * leading dot and one trailing dot (".s3.example.com." -> "s3.example.com")
 * and must then be a host name. "" means path-style addressing only.
 */
static int set_domain(struct config *c, const char *value, char *err, size_t errlen)
{
	char doms[CONFIG_MAX_DOMAINS][sizeof(c->domains[0])];
	const char *p = value, *end, *s, *e;
	unsigned n = 0;
	size_t len, i;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		goto done;
	for (;;) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		s = p;
		e = end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s < e && *s == '.')
			s++;
		if (e > s && e[-1] == '.')
			e--;
		len = (size_t)(e - s);
		if (!is_hostname(s, len)) {
			seterr(err, errlen, "bad value for domain: '%.*s' is not a host name",
			       (int)(len > ERR_VALUE_MAX ? ERR_VALUE_MAX : len), s);
			return -1;
		}
		if (n == CONFIG_MAX_DOMAINS) {
			seterr(err, errlen, "bad value for domain: more than %d domains",
			       CONFIG_MAX_DOMAINS);
			return -1;
		}
		for (i = 0; i < len; i++) {
			char ch = s[i];

			doms[n][i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
		}
		doms[n][len] = '\0';
		n++;
		if (*end == '\0')
			break;
		p = end + 1;
	}
done:
	for (i = 0; i < n; i++)
		memcpy(c->domains[i], doms[i], strlen(doms[i]) + 1);
	for (; i < CONFIG_MAX_DOMAINS; i++)
		c->domains[i][0] = '\0';
	c->ndomains = n;
	return 0;
}

static int set_log_level(struct config *c, const char *value, char *err, size_t errlen)
{
	enum log_level lvl;

	if (log_level_parse(value, &lvl) != 0) {
		seterr(err, errlen,
		       "bad value for log_level: '%.*s' (expected error, warn, info"
		       " or debug)",
		       ERR_VALUE_MAX, value);
		return -1;
	}
	c->log_level = lvl;
	return 0;
}

static int set_max_connections(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("max_connections", value, 1, 100000, &c->max_connections, err, errlen);
}

static int set_connection_timeout(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("connection_timeout", value, 1, 86400, &c->connection_timeout, err, errlen);
}

static int set_max_connections_per_client(struct config *c, const char *value, char *err,
					  size_t errlen)
{
	return set_uint("max_connections_per_client", value, 0, 100000,
			&c->max_connections_per_client, err, errlen);
}

static int set_header_timeout(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("header_timeout", value, 1, 3600, &c->header_timeout, err, errlen);
}

static int set_max_header_size(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("max_header_size", value, STRATA_MIN_HEADER_SECTION,
			STRATA_MAX_HEADER_SECTION_CAP, &c->max_header_size, err, errlen);
}

static int set_max_user_metadata(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("max_user_metadata", value, 0, STRATA_MAX_USER_META_CAP,
			&c->max_user_metadata, err, errlen);
}

static int set_shutdown_timeout(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("shutdown_timeout", value, 0, 3600, &c->shutdown_timeout, err, errlen);
}

/* A log file path, or "off" for none. */
static int set_log_file(const char *key, const char *value, char *out, size_t cap, char *err,
			size_t errlen)
{
	if (strcmp(value, "off") == 0) {
		out[0] = '\0';
		return 0;
	}
	return set_file(key, value, out, cap, err, errlen);
}

static int set_access_log(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_log_file("access_log", value, c->access_log, sizeof(c->access_log), err, errlen);
}

static int set_audit_log(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_log_file("audit_log", value, c->audit_log, sizeof(c->audit_log), err, errlen);
}

static int set_scrub_interval(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("scrub_interval", value, 0, 31536000, &c->scrub_interval, err, errlen);
}

static int set_scrub_rate(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("scrub_rate", value, 0, 4000000000u, &c->scrub_rate, err, errlen);
}

static int set_lifecycle_interval(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("lifecycle_interval", value, 0, 31536000, &c->lifecycle_interval, err,
			errlen);
}

static int set_lifecycle_day(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("lifecycle_day_seconds", value, 1, 86400, &c->lifecycle_day_seconds, err,
			errlen);
}

static int set_lifecycle_rate(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("lifecycle_rate", value, 0, 1000000, &c->lifecycle_rate, err, errlen);
}

/* An on|off switch. */
static int set_switch(const char *key, const char *value, bool *out, char *err, size_t errlen)
{
	if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0) {
		*out = value[1] == 'n';
		return 0;
	}
	seterr(err, errlen, "bad value for %s: '%.*s' (expected on or off)", key, ERR_VALUE_MAX,
	       value);
	return -1;
}

static int set_integrity(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_switch("integrity", value, &c->integrity, err, errlen);
}

static int set_sse_c_over_http(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_switch("sse_c_over_http", value, &c->sse_c_over_http, err, errlen);
}

static int set_default_encryption(struct config *c, const char *value, char *err, size_t errlen)
{
	if (strcmp(value, "AES256") == 0 || strcmp(value, "none") == 0) {
		c->default_sse = value[0] == 'A';
		return 0;
	}
	seterr(err, errlen, "bad value for default_encryption: '%.*s' (expected AES256 or none)",
	       ERR_VALUE_MAX, value);
	return -1;
}

static int set_key_file(struct config *c, const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);

	if (n == 0 || n >= sizeof(c->key_file)) {
		seterr(err, errlen, "bad value for key_file: empty or longer than %zu bytes",
		       sizeof(c->key_file) - 1);
		return -1;
	}
	memcpy(c->key_file, value, n + 1);
	return 0;
}

/* A text value of at most cap - 1 bytes, empty only when allowed. */
static int set_text(const char *key, const char *value, bool allow_empty, char *out, size_t cap,
		    char *err, size_t errlen)
{
	size_t n = strlen(value);

	if ((!allow_empty && n == 0) || n >= cap) {
		seterr(err, errlen, "bad value for %s: %s", key, n ? "too long" : "empty");
		return -1;
	}
	memcpy(out, value, n + 1);
	return 0;
}

static int set_backend(struct config *c, const char *value, char *err, size_t errlen)
{
	if (strcmp(value, "posix") == 0 || strcmp(value, "s3") == 0) {
		c->backend_s3 = value[0] == 's';
		return 0;
	}
	seterr(err, errlen, "bad value for backend: '%.*s' (expected posix or s3)", ERR_VALUE_MAX,
	       value);
	return -1;
}

static int set_s3_endpoint(struct config *c, const char *value, char *err, size_t errlen)
{
	if (!str_starts(value, "http://") && !str_starts(value, "https://")) {
		seterr(err, errlen,
		       "bad value for s3_endpoint: '%.*s' (expected http://HOST[:PORT] "
		       "or https://HOST[:PORT])",
		       ERR_VALUE_MAX, value);
		return -1;
	}
	return set_text("s3_endpoint", value, false, c->s3_endpoint, sizeof(c->s3_endpoint), err,
			errlen);
}

static int set_s3_region(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_text("s3_region", value, false, c->s3_region, sizeof(c->s3_region), err, errlen);
}

static int set_s3_access_key(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_text("s3_access_key", value, false, c->s3_access_key, sizeof(c->s3_access_key),
			err, errlen);
}

static int set_s3_secret_key(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_text("s3_secret_key", value, false, c->s3_secret_key, sizeof(c->s3_secret_key),
			err, errlen);
}

static int set_s3_ca_file(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_text("s3_ca_file", value, true, c->s3_ca_file, sizeof(c->s3_ca_file), err,
			errlen);
}

static int set_s3_path_style(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_switch("s3_path_style", value, &c->s3_path_style, err, errlen);
}

static int set_s3_bucket_prefix(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_text("s3_bucket_prefix", value, true, c->s3_bucket_prefix,
			sizeof(c->s3_bucket_prefix), err, errlen);
}

static int set_s3_system_bucket(struct config *c, const char *value, char *err, size_t errlen)
{
	if (!names_bucket_valid(value)) {
		seterr(err, errlen, "bad value for s3_system_bucket: '%.*s' is not a bucket name",
		       ERR_VALUE_MAX, value);
		return -1;
	}
	return set_text("s3_system_bucket", value, false, c->s3_system_bucket,
			sizeof(c->s3_system_bucket), err, errlen);
}

/* A user name as users.c accepts it: 1..64 of [A-Za-z0-9._-]. */
static bool user_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Comma-separated user names, each trimmed; "" means none. */
static int set_replication_users(struct config *c, const char *value, char *err, size_t errlen)
{
	char names[CONFIG_MAX_REPLICATION_USERS][sizeof(c->replication_users[0])];
	const char *p = value, *end, *s, *e;
	unsigned n = 0, i;
	size_t len;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		for (s = p; s < end && (*s == ' ' || *s == '\t'); s++)
			;
		for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		len = (size_t)(e - s);
		if (!user_name_ok(s, len)) {
			seterr(err, errlen,
			       "bad value for replication_users: '%.*s' is not a user name "
			       "(1..64 of A-Z a-z 0-9 . _ -)",
			       (int)(len > ERR_VALUE_MAX ? ERR_VALUE_MAX : len), s);
			return -1;
		}
		if (n == CONFIG_MAX_REPLICATION_USERS) {
			seterr(err, errlen, "bad value for replication_users: more than %d users",
			       CONFIG_MAX_REPLICATION_USERS);
			return -1;
		}
		memcpy(names[n], s, len);
		names[n++][len] = '\0';
		if (*end == '\0')
			break;
		p = end + 1;
	}
	for (i = 0; i < n; i++)
		memcpy(c->replication_users[i], names[i], strlen(names[i]) + 1);
	c->nreplication_users = n;
	return 0;
}

static int set_replication_workers(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("replication_workers", value, 1, 64, &c->replication_workers, err, errlen);
}

static int set_replication_interval(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("replication_interval", value, 1, 3600, &c->replication_interval, err,
			errlen);
}

static int set_replication_retry_max(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("replication_retry_max", value, 1, 86400, &c->replication_retry_max, err,
			errlen);
}

static int set_console(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_switch("console", value, &c->console, err, errlen);
}

/*
 * An origin as browsers send it: http:// or https://, a host of letters,
 * digits, '.', '-' (or a bracketed IPv6 address), an optional port, no path.
 * Compared byte for byte with the Origin header, so no case folding either.
 */
static bool origin_valid(const char *o, size_t n)
{
	size_t i = str_starts(o, "http://") ? 7 : str_starts(o, "https://") ? 8 : 0;

	if (i == 0 || i == n)
		return false;
	for (; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789.-:[]", o[i]))
			return false;
	return true;
}

static int set_console_origin(struct config *c, const char *value, char *err, size_t errlen)
{
	char list[CONFIG_MAX_CONSOLE_ORIGINS][256];
	const char *p = value, *item;
	unsigned n = 0;
	size_t len;

	while (str_next_item(&p, &item, &len)) {
		if (n == CONFIG_MAX_CONSOLE_ORIGINS || len >= sizeof(list[0]) ||
		    !origin_valid(item, len)) {
			seterr(err, errlen,
			       "bad value for console_origin: '%.*s' (expected up to %d origins "
			       "like http://host:9001, lowercase, comma-separated)",
			       ERR_VALUE_MAX, value, CONFIG_MAX_CONSOLE_ORIGINS);
			return -1;
		}
		memcpy(list[n], item, len);
		list[n++][len] = '\0';
	}
	memcpy(c->console_origins, list, sizeof(list));
	c->nconsole_origins = n;
	return 0;
}

static int set_console_session_ttl(struct config *c, const char *value, char *err, size_t errlen)
{
	return set_uint("console_session_ttl", value, 1, 86400, &c->console_session_ttl, err,
			errlen);
}

static int set_console_endpoint(struct config *c, const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);

	if (n && !origin_valid(value, n)) {
		seterr(err, errlen,
		       "bad value for console_endpoint: '%.*s' (expected http[s]://HOST[:PORT])",
		       ERR_VALUE_MAX, value);
		return -1;
	}
	return set_text("console_endpoint", value, true, c->console_endpoint,
			sizeof(c->console_endpoint), err, errlen);
}

/* The keys, as documented in config.h. */
static const struct key_row {
	const char *name;
	/* Parses value into c; on error leaves c alone and explains in err. */
	int (*set)(struct config *c, const char *value, char *err, size_t errlen);
} keys[] = {
    {"listen", set_listen},
    {"admin_listen", set_admin_listen},
    {"console", set_console},
    {"console_origin", set_console_origin},
    {"console_session_ttl", set_console_session_ttl},
    {"console_endpoint", set_console_endpoint},
    {"tls_cert", set_tls_cert},
    {"tls_key", set_tls_key},
    {"http_listen", set_http_listen},
    {"data", set_data},
    {"region", set_region},
    {"domain", set_domain},
    {"log_level", set_log_level},
    {"max_connections", set_max_connections},
    {"max_connections_per_client", set_max_connections_per_client},
    {"connection_timeout", set_connection_timeout},
    {"header_timeout", set_header_timeout},
    {"max_header_size", set_max_header_size},
    {"max_user_metadata", set_max_user_metadata},
    {"shutdown_timeout", set_shutdown_timeout},
    {"access_log", set_access_log},
    {"audit_log", set_audit_log},
    {"scrub_interval", set_scrub_interval},
    {"scrub_rate", set_scrub_rate},
    {"lifecycle_interval", set_lifecycle_interval},
    {"lifecycle_day_seconds", set_lifecycle_day},
    {"lifecycle_rate", set_lifecycle_rate},
    {"tier_STANDARD_IA", set_tier_ia},
    {"tier_GLACIER_IR", set_tier_ir},
    {"tier_GLACIER", set_tier_glacier},
    {"tier_DEEP_ARCHIVE", set_tier_deep},
    {"integrity", set_integrity},
    {"default_encryption", set_default_encryption},
    {"key_file", set_key_file},
    {"sse_c_over_http", set_sse_c_over_http},
    {"backend", set_backend},
    {"s3_endpoint", set_s3_endpoint},
    {"s3_region", set_s3_region},
    {"s3_access_key", set_s3_access_key},
    {"s3_secret_key", set_s3_secret_key},
    {"s3_ca_file", set_s3_ca_file},
    {"s3_path_style", set_s3_path_style},
    {"s3_bucket_prefix", set_s3_bucket_prefix},
    {"s3_system_bucket", set_s3_system_bucket},
    {"replication_users", set_replication_users},
    {"replication_workers", set_replication_workers},
    {"replication_interval", set_replication_interval},
    {"replication_retry_max", set_replication_retry_max},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Index of key in keys[], or -1. */
static int key_index(const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, key) == 0)
			return (int)i;
	}
	return -1;
}

/* Fills c with the defaults documented in config.h. */
void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->listen_host, "127.0.0.1", sizeof("127.0.0.1"));
	c->listen_port = 9000;
	c->console = true;
	c->console_session_ttl = STRATA_CONSOLE_SESSION_TTL;
	memcpy(c->data_dir, "./data", sizeof("./data"));
	memcpy(c->region, "us-east-1", sizeof("us-east-1"));
	c->ndomains = 0;
	c->log_level = LOG_INFO;
	c->max_connections = 1024;
	c->max_connections_per_client = 256;
	c->connection_timeout = 300;
	c->header_timeout = 30;
	c->max_header_size = STRATA_MAX_HEADER_SECTION;
	c->max_user_metadata = STRATA_MAX_USER_META;
	c->shutdown_timeout = 30;
	c->scrub_interval = 86400;
	c->scrub_rate = 32u * 1024 * 1024;
	c->lifecycle_interval = 3600;
	c->lifecycle_day_seconds = 86400;
	c->lifecycle_rate = 100;
	c->integrity = true;
	c->default_sse = true;
	memcpy(c->s3_region, "us-east-1", sizeof("us-east-1"));
	c->s3_path_style = true;
	memcpy(c->s3_system_bucket, "strata-system", sizeof("strata-system"));
	c->replication_workers = 4;
	c->replication_interval = 5;
	c->replication_retry_max = 300;
}

/*
 * Applies one setting as a file line would. Returns 0, or -1 with
 * "unknown key 'k'" or a "bad value ..." message in err (no file or line);
 * c is unchanged on error.
 */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	int i;

	if (!key || !value) {
		seterr(err, errlen, "missing key or value");
		return -1;
	}
	i = key_index(key);
	if (i < 0) {
		seterr(err, errlen, "unknown key '%.*s'", ERR_VALUE_MAX, key);
		return -1;
	}
	return keys[i].set(c, value, err, errlen);
}

/*
 * The settings that only make sense together. A lone tls_cert or tls_key,
 * or http_listen without TLS (listen is then plain HTTP already), would
 * look applied while it is not: refused, blaming the key that is set.
 */
int config_check(const struct config *c, char *err, size_t errlen)
{
	const char *msg;
	unsigned line;

	if (c->tls_cert[0] && !c->tls_key[0]) {
		msg = "tls_cert without tls_key (give both, or neither)";
		line = c->tls_cert_line;
	} else if (c->tls_key[0] && !c->tls_cert[0]) {
		msg = "tls_key without tls_cert (give both, or neither)";
		line = c->tls_key_line;
	} else if (c->http_port && !c->tls_cert[0]) {
		msg = "http_listen needs tls_cert and tls_key (without them listen already "
		      "serves plain HTTP)";
		line = c->http_listen_line;
	} else {
		return 0;
	}
	if (line)
		seterr(err, errlen, "%s:%u: %s", c->file, line, msg);
	else
		seterr(err, errlen, "%s", msg);
	return -1;
}

/* ---- [site NAME] sections (replication destinations) ---- */

/* A site's endpoint: http[s]://HOST[:PORT], HOST a name, IPv4 or [IPv6]; no path, no user. */
static bool endpoint_ok(const char *value)
{
	char host[256];
	const char *rest;
	unsigned char addr[16];
	uint16_t port;
	size_t n;

	if (str_starts(value, "http://"))
		rest = value + 7;
	else if (str_starts(value, "https://"))
		rest = value + 8;
	else
		return false;
	n = strlen(rest);
	if (n == 0 || strlen(value) >= sizeof(((struct config_site *)0)->endpoint) ||
	    strpbrk(rest, "/?#@ \t"))
		return false;
	if (rest[0] == '[' && rest[n - 1] == ']') {
		if (n - 2 >= sizeof(host))
			return false;
		memcpy(host, rest + 1, n - 2);
		host[n - 2] = '\0';
		return inet_pton(AF_INET6, host, addr) == 1;
	}
	if (rest[0] == '[' || strchr(rest, ':'))
		return split_listen(rest, host, sizeof(host), &port) == LISTEN_OK && host[0];
	return is_hostname(rest, n);
}

static int site_endpoint(struct config_site *st, const char *value, char *err, size_t errlen)
{
	if (!endpoint_ok(value)) {
		seterr(err, errlen,
		       "bad value for endpoint: '%.*s' (expected http://HOST[:PORT] or "
		       "https://HOST[:PORT], without a path)",
		       ERR_VALUE_MAX, value);
		return -1;
	}
	memcpy(st->endpoint, value, strlen(value) + 1);
	return 0;
}

/* As the top-level region: it goes into SigV4 credential scopes. */
static int site_region(struct config_site *st, const char *value, char *err, size_t errlen)
{
	size_t i, n = strlen(value);
	char ch;

	for (i = 0; i < n; i++) {
		ch = value[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			break;
	}
	if (n == 0 || i < n || n >= sizeof(st->region)) {
		seterr(err, errlen,
		       "bad value for region: '%.*s' (expected 1..%zu letters, digits,"
		       " '-' or '_')",
		       ERR_VALUE_MAX, value, sizeof(st->region) - 1);
		return -1;
	}
	memcpy(st->region, value, n + 1);
	return 0;
}

static int site_access_key(struct config_site *st, const char *value, char *err, size_t errlen)
{
	return set_text("access_key", value, false, st->access_key, sizeof(st->access_key), err,
			errlen);
}

static int site_secret_key(struct config_site *st, const char *value, char *err, size_t errlen)
{
	return set_text("secret_key", value, false, st->secret_key, sizeof(st->secret_key), err,
			errlen);
}

static int site_ca_file(struct config_site *st, const char *value, char *err, size_t errlen)
{
	return set_text("ca_file", value, true, st->ca_file, sizeof(st->ca_file), err, errlen);
}

static int site_path_style(struct config_site *st, const char *value, char *err, size_t errlen)
{
	return set_switch("path_style", value, &st->path_style, err, errlen);
}

static int site_encryption(struct config_site *st, const char *value, char *err, size_t errlen)
{
	if (strcmp(value, "AES256") == 0 || strcmp(value, "none") == 0) {
		st->encryption = value[0] == 'A';
		return 0;
	}
	seterr(err, errlen, "bad value for encryption: '%.*s' (expected AES256 or none)",
	       ERR_VALUE_MAX, value);
	return -1;
}

/* The keys of a [site NAME] section, as documented in config.h. */
static const struct site_key_row {
	const char *name;
	bool required;
	int (*set)(struct config_site *st, const char *value, char *err, size_t errlen);
} site_keys[] = {
    {"endpoint", true, site_endpoint},	    {"region", false, site_region},
    {"access_key", true, site_access_key},  {"secret_key", true, site_secret_key},
    {"ca_file", false, site_ca_file},	    {"path_style", false, site_path_style},
    {"encryption", false, site_encryption},
};

#define NSITE_KEYS (sizeof(site_keys) / sizeof(site_keys[0]))

static int site_key_index(const char *key)
{
	size_t i;

	for (i = 0; i < NSITE_KEYS; i++)
		if (strcmp(site_keys[i].name, key) == 0)
			return (int)i;
	return -1;
}

const struct config_site *config_site_find(const struct config *c, const char *name)
{
	unsigned i;

	for (i = 0; c && name && i < c->nsites; i++)
		if (strcmp(c->sites[i].name, name) == 0)
			return &c->sites[i];
	return NULL;
}

/* A site name: 1..CONFIG_SITE_NAME_MAX of [a-z0-9-] (it is also a token of ARNs). */
static bool site_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > CONFIG_SITE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/*
 * Parses a section header line "[site NAME]" (white space allowed around
 * the words, a comment after) into name[CONFIG_SITE_NAME_MAX + 1].
 */
static int parse_section(const char *p, char *name, char *err, size_t errlen)
{
	const char *s = p, *n, *e;

	p++; /* '[' */
	while (is_ws(*p))
		p++;
	if (strncmp(p, "site", 4) != 0 || !is_ws(p[4]))
		goto bad;
	for (p += 4; is_ws(*p); p++)
		;
	for (n = p; *p && *p != ']' && !is_ws(*p); p++)
		;
	e = p;
	while (is_ws(*p))
		p++;
	if (*p != ']')
		goto bad;
	for (p++; is_ws(*p); p++)
		;
	if (*p != '\0' && *p != '#')
		goto bad;
	if (!site_name_ok(n, (size_t)(e - n))) {
		seterr(err, errlen, "bad site name '%.*s' (expected 1..%u of a-z, 0-9 and '-')",
		       (int)((size_t)(e - n) > ERR_VALUE_MAX ? ERR_VALUE_MAX : (size_t)(e - n)), n,
		       CONFIG_SITE_NAME_MAX);
		return -1;
	}
	memcpy(name, n, (size_t)(e - n));
	name[e - n] = '\0';
	return 0;
bad:
	seterr(err, errlen, "bad section header '%.*s' (expected [site NAME])", ERR_VALUE_MAX, s);
	return -1;
}

/* The section being read: which keys it set and where, to name them in errors. */
struct section {
	struct config_site *site; /* NULL before the first section */
	unsigned line;		  /* of its header */
	unsigned first_line[NSITE_KEYS];
};

/* A section ends (next header or end of file): its required keys must be there. */
static int section_end(const struct section *sec, char *err, size_t errlen)
{
	size_t i;

	if (!sec->site)
		return 0;
	for (i = 0; i < NSITE_KEYS; i++)
		if (site_keys[i].required && !sec->first_line[i]) {
			seterr(err, errlen, "[site %s] has no %s (required)", sec->site->name,
			       site_keys[i].name);
			return -1;
		}
	return 0;
}

/* Starts section "[site NAME]" at line lineno. */
static int section_begin(struct config *c, struct section *sec, const char *line, unsigned lineno,
			 char *err, size_t errlen)
{
	char name[CONFIG_SITE_NAME_MAX + 1];
	struct config_site *st;
	unsigned i;

	if (parse_section(line, name, err, errlen) != 0)
		return -1;
	for (i = 0; i < c->nsites; i++)
		if (strcmp(c->sites[i].name, name) == 0) {
			seterr(err, errlen, "duplicate site '%s'", name);
			return -1;
		}
	if (c->nsites == CONFIG_MAX_SITES) {
		seterr(err, errlen, "more than %d sites", CONFIG_MAX_SITES);
		return -1;
	}
	st = &c->sites[c->nsites++];
	memset(st, 0, sizeof(*st));
	memcpy(st->name, name, strlen(name) + 1);
	memcpy(st->region, "us-east-1", sizeof("us-east-1"));
	st->path_style = true;
	st->encryption = true;
	memset(sec, 0, sizeof(*sec));
	sec->site = st;
	sec->line = lineno;
	return 0;
}

/* One KEY = VALUE line inside a section. */
static int section_key(struct section *sec, const char *key, const char *value, unsigned lineno,
		       char *err, size_t errlen)
{
	int i = site_key_index(key);

	if (i < 0) {
		if (key_index(key) >= 0)
			seterr(err, errlen,
			       "top-level key '%.64s' inside [site %s] (top-level keys come "
			       "before the first section)",
			       key, sec->site->name);
		else
			seterr(err, errlen,
			       "unknown key '%.64s' in [site %s] (expected endpoint, region, "
			       "access_key, secret_key, ca_file, path_style or encryption)",
			       key, sec->site->name);
		return -1;
	}
	if (sec->first_line[i]) {
		seterr(err, errlen, "duplicate key '%s' in [site %s] (first set on line %u)", key,
		       sec->site->name, sec->first_line[i]);
		return -1;
	}
	if (site_keys[i].set(sec->site, value, err, errlen) != 0)
		return -1;
	sec->first_line[i] = lineno;
	return 0;
}

/* ---- the file ---- */

enum read_result { READ_LINE, READ_EOF, READ_TOO_LONG, READ_NUL, READ_ERROR };

/*
 * Reads one line (without its '\n') into buf[cap] as a C string, taking at
 * most cap - 1 bytes. READ_EOF only when no byte was left.
 */
static enum read_result read_line(FILE *f, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int ch;

	for (;;) {
		ch = getc(f);
		if (ch == EOF) {
			if (ferror(f))
				return READ_ERROR;
			if (n == 0)
				return READ_EOF;
			break;
		}
		if (ch == '\n')
			break;
		if (ch == '\0')
			return READ_NUL;
		if (n == cap - 1)
			return READ_TOO_LONG;
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	*len = n;
	return READ_LINE;
}

/*
 * Splits one line in place (see the grammar at the top). On success *key
 * and *value point into line, or *key is NULL for a blank or comment line.
 * Returns -1 with a message on a syntax error.
 */
static int split_line(char *line, char **key, char **value, char *err, size_t errlen)
{
	char *p = line, *k, *v, *w;
	size_t klen;

	*key = NULL;
	while (is_ws(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	k = p;
	while (*p && *p != '=' && !is_ws(*p))
		p++;
	if (p == k) {
		seterr(err, errlen, "missing key before '='");
		return -1;
	}
	w = p;
	while (is_ws(*p))
		p++;
	if (*p != '=') {
		klen = (size_t)(w - k);
		seterr(err, errlen, "missing '=' after '%.*s'",
		       (int)(klen > ERR_VALUE_MAX ? ERR_VALUE_MAX : klen), k);
		return -1;
	}
	*w = '\0';
	p++;
	while (is_ws(*p))
		p++;
	v = p;
	if (*p == '"') {
		/* Quoted: unescape in place (the text only shrinks). */
		w = v;
		for (p++; *p != '"'; p++) {
			if (*p == '\0') {
				seterr(err, errlen, "unterminated quote");
				return -1;
			}
			if (*p == '\\') {
				p++;
				if (*p != '"' && *p != '\\') {
					seterr(err, errlen,
					       "bad escape in quoted value (only \\\" and"
					       " \\\\ are allowed)");
					return -1;
				}
			}
			*w++ = *p;
		}
		*w = '\0';
		for (p++; is_ws(*p); p++)
			;
		if (*p != '\0' && *p != '#') {
			seterr(err, errlen, "unexpected text after quoted value");
			return -1;
		}
	} else {
		/* Unquoted: up to a '#' that follows white space, then trim. */
		for (; *p; p++) {
			if (*p == '#' && p > v && is_ws(p[-1]))
				break;
			if (*p == '"') {
				seterr(err, errlen, "stray '\"' in unquoted value");
				return -1;
			}
		}
		while (p > v && is_ws(p[-1]))
			p--;
		*p = '\0';
	}
	*key = k;
	*value = v;
	return 0;
}

/* Remembers where the keys config_check may blame were set. */
static void note_line(struct config *c, const char *key, unsigned lineno)
{
	if (strcmp(key, "tls_cert") == 0)
		c->tls_cert_line = lineno;
	else if (strcmp(key, "tls_key") == 0)
		c->tls_key_line = lineno;
	else if (strcmp(key, "http_listen") == 0)
		c->http_listen_line = lineno;
}

/*
 * Reads path into c, which should hold defaults. Returns 0, or -1 with
 * "path:line: message" (or "path: message" when the file cannot be opened
 * or read) in err[errlen]; c may then be partly set. A key may appear once.
 */
int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	/* Zeroed: the analyzer cannot tell that parse_section's strncmp stops at the NUL. */
	char line[STRATA_MAX_CONFIG_LINE + 1] = "";
	char msg[512];
	unsigned first_line[NKEYS] = {0};
	unsigned lineno = 0;
	struct section sec;
	FILE *f = NULL;
	char *key, *value, *start;
	size_t len;
	int rc = -1, i;

	memset(&sec, 0, sizeof(sec));
	str_copy(c->file, sizeof(c->file), path);
	f = fopen(path, "r");
	if (!f) {
		seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		msg[0] = '\0';
		switch (read_line(f, line, sizeof(line), &len)) {
		case READ_LINE:
			break;
		case READ_EOF:
			if (section_end(&sec, msg, sizeof(msg)) != 0) {
				lineno = sec.line;
				goto bad;
			}
			rc = 0;
			goto out;
		case READ_TOO_LONG:
			seterr(err, errlen, "%s:%u: line too long (max %u bytes)", path, lineno + 1,
			       STRATA_MAX_CONFIG_LINE);
			goto out;
		case READ_NUL:
			seterr(err, errlen, "%s:%u: NUL byte in line", path, lineno + 1);
			goto out;
		default:
			seterr(err, errlen, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		lineno++;
		start = line;
		/* A UTF-8 byte order mark some editors write. */
		if (lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
			start += 3;
		while (is_ws(*start))
			start++;
		if (*start == '[') {
			/* The previous section's missing keys are reported at its header. */
			if (section_end(&sec, msg, sizeof(msg)) != 0) {
				lineno = sec.line;
				goto bad;
			}
			if (section_begin(c, &sec, start, lineno, msg, sizeof(msg)) != 0)
				goto bad;
			continue;
		}
		if (split_line(start, &key, &value, msg, sizeof(msg)) != 0)
			goto bad;
		if (!key)
			continue;
		if (sec.site) {
			if (section_key(&sec, key, value, lineno, msg, sizeof(msg)) != 0)
				goto bad;
			continue;
		}
		i = key_index(key);
		if (i >= 0 && first_line[i]) {
			snprintf(msg, sizeof(msg), "duplicate key '%.64s' (first set on line %u)",
				 key, first_line[i]);
			goto bad;
		}
		if (config_set(c, key, value, msg, sizeof(msg)) != 0)
			goto bad;
		first_line[i] = lineno;
		note_line(c, key, lineno);
	}
bad:
	seterr(err, errlen, "%s:%u: %s", path, lineno, msg);
out:
	if (f)
		fclose(f);
	return rc;
}
