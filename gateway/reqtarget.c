/* reqtarget: path, query and Host into bucket and key (req_parse's pure part). */
#include "reqtarget.h"

#include <string.h>
#include <strings.h>

#include "../common/buf.h"
#include "../common/names.h"
#include "../common/strutil.h"

/* Decodes s[0..len) into a fresh arena string. */
static s3err_t decode_into_arena(struct arena *a, const char *s, size_t len, char **out,
				 size_t *outlen)
{
	struct buf b;
	s3err_t err;

	buf_init(&b, STRATA_MAX_URI_LEN, S3E_InvalidURI);
	err = uri_decode(&b, s, len, false);
	if (err)
		goto out;
	*out = arena_strndup(a, buf_str(&b), b.len);
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
static s3err_t parse_query(struct arena *a, const char *q, struct req_target *t)
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
			if (t->nquery == STRATA_MAX_QUERY_PARAMS)
				return S3E_InvalidURI;
			err = decode_into_arena(a, p, nlen, &name, NULL);
			if (err)
				return err;
			if (eq)
				err = decode_into_arena(a, eq + 1, seglen - nlen - 1, &value, NULL);
			else
				value = arena_strdup(a, "");
			if (err)
				return err;
			if (!value)
				return S3E_InternalError;
			t->query[t->nquery].name = name;
			t->query[t->nquery].value = value;
			t->nquery++;
		}
		p += seglen;
		if (*p == '&')
			p++;
	}
	return S3E_OK;
}

size_t reqtarget_vhost_len(const char *host, const char *const *domains, size_t ndomains)
{
	size_t hlen = strcspn(host, ":"), i;

	if (host[0] == '[') /* an IPv6 literal never names a bucket */
		return 0;
	for (i = 0; i < ndomains; i++) {
		size_t dlen = strlen(domains[i]);

		if (hlen > dlen + 1 && host[hlen - dlen - 1] == '.' &&
		    strncasecmp(host + hlen - dlen, domains[i], dlen) == 0)
			return hlen - dlen - 1;
	}
	return 0;
}

static s3err_t set_bucket(struct req_target *t, const char *name, size_t len)
{
	char tmp[STRATA_BUCKET_NAME_MAX + 2];

	if (len == 0 || len > STRATA_BUCKET_NAME_MAX)
		return S3E_InvalidBucketName;
	memcpy(tmp, name, len);
	tmp[len] = '\0';
	if (!names_bucket_valid(tmp))
		return S3E_InvalidBucketName;
	memcpy(t->bucket, tmp, len + 1);
	return S3E_OK;
}

static s3err_t set_key(struct arena *a, struct req_target *t, const char *key, size_t len)
{
	s3err_t err;

	if (len == 0)
		return S3E_OK; /* "/bucket/" is the bucket */
	err = names_key_check(key, len);
	if (err)
		return err;
	t->key = arena_strndup(a, key, len);
	if (!t->key)
		return S3E_InternalError;
	t->key_len = len;
	return S3E_OK;
}

s3err_t reqtarget_parse(struct arena *a, const char *raw_uri, const char *host,
			const char *const *domains, size_t ndomains, struct req_target *t)
{
	const char *q, *path;
	size_t plen, vlen;
	s3err_t err;

	memset(t, 0, sizeof(*t));
	if (!raw_uri || raw_uri[0] != '/')
		return S3E_InvalidURI;
	q = strchr(raw_uri, '?');
	plen = q ? (size_t)(q - raw_uri) : strlen(raw_uri);
	t->raw_path = arena_strndup(a, raw_uri, plen);
	if (!t->raw_path)
		return S3E_InternalError;
	err = decode_into_arena(a, raw_uri, plen, &t->path, &plen);
	if (err)
		return err;
	if (strlen(t->path) != plen) /* an encoded NUL never reaches a key */
		return S3E_InvalidURI;
	if (q) {
		err = parse_query(a, q + 1, t);
		if (err)
			return err;
	}

	vlen = host ? reqtarget_vhost_len(host, domains, ndomains) : 0;
	path = t->path + 1;
	if (vlen) {
		t->virtual_host = true;
		err = set_bucket(t, host, vlen);
		if (err)
			return err;
		return set_key(a, t, path, strlen(path));
	}
	if (*path == '\0')
		return S3E_OK; /* the service: ListBuckets */
	plen = strcspn(path, "/");
	err = set_bucket(t, path, plen);
	if (err)
		return err;
	if (path[plen] == '/')
		return set_key(a, t, path + plen + 1, strlen(path + plen + 1));
	return S3E_OK;
}
