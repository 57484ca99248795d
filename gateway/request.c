/* request: decoding the request line and headers, resolving bucket and key. */
#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/names.h"
#include "../common/strutil.h"
#include "server.h"

const char *req_header(const struct request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (str_ieq(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

const char *req_query(const struct request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].name, name) == 0)
			return r->query[i].value;
	return NULL;
}

bool req_has_query(const struct request *r, const char *name)
{
	return req_query(r, name) != NULL;
}

s3err_t req_fail(struct request *r, s3err_t err, const char *message)
{
	if (r->err == S3E_OK && err != S3E_OK) {
		r->err = err;
		r->err_message = message;
	}
	return err;
}

s3err_t req_failf(struct request *r, s3err_t err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return req_fail(r, err, arena_strdup(&r->arena, msg));
}

/* Decodes s[0..len) into a fresh arena string. */
static s3err_t decode_into_arena(struct request *r, const char *s, size_t len, char **out,
				 size_t *outlen)
{
	struct buf b;
	s3err_t err;

	buf_init(&b, STRATA_MAX_URI_LEN, S3E_InvalidURI);
	err = uri_decode(&b, s, len, false);
	if (err)
		goto out;
	*out = arena_strndup(&r->arena, buf_str(&b), b.len);
	if (!*out) {
		err = S3E_InternalError;
		goto out;
	}
	if (outlen)
		*outlen = b.len;
out:
	buf_free(&b);
	return err;
}

/* Splits "a=1&b&c=3" into decoded name/value pairs. */
static s3err_t parse_query(struct request *r, const char *q)
{
	const char *p = q;
	s3err_t err;

	while (*p) {
		const char *amp = strchr(p, '&');
		size_t seglen = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', seglen);
		size_t nlen = eq ? (size_t)(eq - p) : seglen;
		char *name, *value;

		if (seglen) {
			if (r->nquery == STRATA_MAX_QUERY_PARAMS)
				return S3E_InvalidURI;
			err = decode_into_arena(r, p, nlen, &name, NULL);
			if (err)
				return err;
			if (eq)
				err = decode_into_arena(r, eq + 1, seglen - nlen - 1, &value, NULL);
			else
				value = arena_strdup(&r->arena, "");
			if (err)
				return err;
			if (!value)
				return S3E_InternalError;
			r->query[r->nquery].name = name;
			r->query[r->nquery].value = value;
			r->nquery++;
		}
		p += seglen;
		if (*p == '&')
			p++;
	}
	return S3E_OK;
}

struct header_walk {
	struct request *r;
	bool overflow;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct header_walk *w = cls;

	(void)kind;
	if (w->r->nheaders == STRATA_MAX_HEADERS) {
		w->overflow = true;
		return MHD_NO;
	}
	w->r->headers[w->r->nheaders].name = key;
	w->r->headers[w->r->nheaders].value = value ? value : "";
	w->r->nheaders++;
	return MHD_YES;
}

/*
 * The bytes of the header section as sent ("Name: value\r\n" each), which
 * max_header_size caps. libmicrohttpd's per-connection memory only bounds
 * what the head may cost; this is the limit a client can rely on.
 */
static size_t header_bytes(const struct request *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nheaders; i++)
		n += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 4;
	return n;
}

/*
 * Virtual-host style: the Host header is "<bucket>.<domain>[:port]" for one of
 * the configured domains. Returns the bucket length in host, 0 when the host
 * does not name a bucket.
 */
static size_t vhost_bucket_len(const struct config *cfg, const char *host)
{
	size_t hlen = strcspn(host, ":"), i;

	if (host[0] == '[') /* an IPv6 literal never names a bucket */
		return 0;
	for (i = 0; i < cfg->ndomains; i++) {
		size_t dlen = strlen(cfg->domains[i]);

		if (hlen > dlen + 1 && host[hlen - dlen - 1] == '.' &&
		    strncasecmp(host + hlen - dlen, cfg->domains[i], dlen) == 0)
			return hlen - dlen - 1;
	}
	return 0;
}

static s3err_t set_bucket(struct request *r, const char *name, size_t len)
{
	char tmp[STRATA_BUCKET_NAME_MAX + 2];

	if (len == 0 || len > STRATA_BUCKET_NAME_MAX)
		return req_fail(r, S3E_InvalidBucketName, NULL);
	memcpy(tmp, name, len);
	tmp[len] = '\0';
	if (!names_bucket_valid(tmp))
		return req_fail(r, S3E_InvalidBucketName, NULL);
	memcpy(r->bucket, tmp, len + 1);
	return S3E_OK;
}

static s3err_t set_key(struct request *r, const char *key, size_t len)
{
	s3err_t err;

	if (len == 0)
		return S3E_OK; /* "/bucket/" is the bucket */
	err = names_key_check(key, len);
	if (err)
		return req_fail(r, err, NULL);
	r->key = arena_strndup(&r->arena, key, len);
	if (!r->key)
		return S3E_InternalError;
	r->key_len = len;
	return S3E_OK;
}

s3err_t req_parse(struct request *r)
{
	struct header_walk w = {r, false};
	const char *q, *host, *path;
	size_t plen, vlen;
	s3err_t err;

	if (!r->raw_uri || r->raw_uri[0] != '/')
		return req_fail(r, S3E_InvalidURI, NULL);
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, &w);
	if (w.overflow || header_bytes(r) > r->srv->cfg->max_header_size)
		return req_fail(r, S3E_RequestHeaderSectionTooLarge, NULL);

	q = strchr(r->raw_uri, '?');
	plen = q ? (size_t)(q - r->raw_uri) : strlen(r->raw_uri);
	r->raw_path = arena_strndup(&r->arena, r->raw_uri, plen);
	if (!r->raw_path)
		return S3E_InternalError;
	err = decode_into_arena(r, r->raw_uri, plen, &r->path, &plen);
	if (err)
		return req_fail(r, err, NULL);
	if (strlen(r->path) != plen) /* an encoded NUL never reaches a key */
		return req_fail(r, S3E_InvalidURI, NULL);
	if (q) {
		err = parse_query(r, q + 1);
		if (err)
			return req_fail(r, err, NULL);
	}

	host = req_header(r, "Host");
	vlen = host ? vhost_bucket_len(r->srv->cfg, host) : 0;
	path = r->path + 1;
	if (vlen) {
		r->virtual_host = true;
		err = set_bucket(r, host, vlen);
		if (err)
			return err;
		return set_key(r, path, strlen(path));
	}
	if (*path == '\0')
		return S3E_OK; /* the service: ListBuckets */
	plen = strcspn(path, "/");
	err = set_bucket(r, path, plen);
	if (err)
		return err;
	if (path[plen] == '/')
		return set_key(r, path + plen + 1, strlen(path + plen + 1));
	return S3E_OK;
}
