/*
 * sigv2: AWS Signature Version 2 for S3, built the way botocore's HmacV1Auth
 * and HmacV1QueryAuth build it (botocore is what boto3 and aws-cli use):
 *
 *   StringToSign = Method \n Content-MD5 \n Content-Type \n Date \n
 *                  CanonicalizedAmzHeaders CanonicalizedResource
 *
 * CanonicalizedAmzHeaders: every x-amz-* header, name lowercased, sorted by
 * name, values trimmed, repeated headers joined with ',', one "name:value\n"
 * each. For query-string auth, botocore moves the x-amz-* headers into the
 * query (x-amz-security-token, x-amz-acl, ...), so for such requests the
 * x-amz-* query parameters count as headers too.
 *
 * CanonicalizedResource: the resource as addressed, then "?" and the
 * sub-resources among the query parameters, sorted by name (stable, so
 * repeated names keep their order), "name=value" with the decoded value, or
 * "name" alone when the value is empty.
 */
#include "sigv2.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "strutil.h"

/* botocore HmacV1Auth.QSAOfInterest: the query parameters that are signed. */
static const char *const subresources[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

/* One x-amz-* header or query parameter waiting to be sorted. */
struct amz_entry {
	const char *name; /* as received, any case */
	const char *value;
	size_t seq; /* arrival order, to keep repeated headers in order */
};

static bool is_subresource(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(subresources) / sizeof(subresources[0]); i++)
		if (strcmp(name, subresources[i]) == 0)
			return true;
	return false;
}

/* Python's str.strip() whitespace, which botocore applies to every value. */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Appends v with leading and trailing whitespace removed. */
static s3err_t add_stripped(struct buf *out, const char *v)
{
	size_t len;

	while (is_ws(*v))
		v++;
	len = strlen(v);
	while (len > 0 && is_ws(v[len - 1]))
		len--;
	return buf_add(out, v, len);
}

/* Appends name in lowercase, a block at a time. */
static s3err_t add_lower(struct buf *out, const char *name)
{
	s3err_t err = S3E_OK;
	char tmp[64];
	size_t n = 0;

	for (; *name; name++) {
		char c = *name;

		tmp[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		if (n == sizeof(tmp)) {
			err = buf_add(out, tmp, n);
			if (err)
				goto out;
			n = 0;
		}
	}
	err = buf_add(out, tmp, n);
out:
	return err;
}

/* ASCII case-insensitive ordering of header names, as botocore sorts the lowercased keys. */
static int ci_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y || x == '\0')
			return (int)x - (int)y;
	}
}

static int cmp_amz(const void *pa, const void *pb)
{
	const struct amz_entry *a = pa, *b = pb;
	int c = ci_cmp(a->name, b->name);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* The trimmed value of the first header called name, or "" (Content-MD5, Content-Type). */
static s3err_t add_standard_header(const struct sigv2_request *r, const char *name, struct buf *out)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (str_ieq(r->headers[i].name, name))
			return add_stripped(out, r->headers[i].value ? r->headers[i].value : "");
	return S3E_OK;
}

/* A v2 presigned request names its key in the query; only then do x-amz-* parameters sign. */
static bool is_query_auth(const struct sigv2_request *r)
{
	size_t i;

	for (i = 0; i < r->nquery; i++)
		if (r->query[i].name && strcmp(r->query[i].name, "AWSAccessKeyId") == 0)
			return true;
	return false;
}

/* Appends CanonicalizedAmzHeaders, each line ending in '\n'. */
static s3err_t add_amz_headers(const struct sigv2_request *r, struct buf *out)
{
	s3err_t err = S3E_OK;
	struct amz_entry *e = NULL;
	bool from_query = is_query_auth(r);
	size_t i, n = 0;

	if (r->nheaders + r->nquery == 0)
		goto out;
	e = calloc(r->nheaders + r->nquery, sizeof(*e));
	if (!e) {
		err = S3E_InternalError;
		goto out;
	}
	for (i = 0; i < r->nheaders; i++) {
		if (!str_istarts(r->headers[i].name, "x-amz-"))
			continue;
		e[n] = (struct amz_entry){r->headers[i].name, r->headers[i].value, n};
		n++;
	}
	for (i = 0; from_query && i < r->nquery; i++) {
		if (!r->query[i].name || !str_istarts(r->query[i].name, "x-amz-"))
			continue;
		e[n] = (struct amz_entry){r->query[i].name, r->query[i].value, n};
		n++;
	}
	qsort(e, n, sizeof(*e), cmp_amz);
	for (i = 0; i < n; i++) {
		bool same = i > 0 && ci_cmp(e[i - 1].name, e[i].name) == 0;

		if (same) {
			err = buf_add(out, ",", 1);
		} else {
			if (i > 0)
				err = buf_add(out, "\n", 1);
			if (!err)
				err = add_lower(out, e[i].name);
			if (!err)
				err = buf_add(out, ":", 1);
		}
		if (!err)
			err = add_stripped(out, e[i].value ? e[i].value : "");
		if (err)
			goto out;
	}
	if (n > 0)
		err = buf_add(out, "\n", 1);
out:
	free(e);
	return err;
}

/* Appends the resource and its sorted sub-resources. */
static s3err_t add_resource(const struct sigv2_request *r, struct buf *out)
{
	s3err_t err;
	size_t *idx = NULL;
	size_t i, j, n = 0;

	err = buf_adds(out, r->resource ? r->resource : "/");
	if (err || r->nquery == 0)
		goto out;
	idx = calloc(r->nquery, sizeof(*idx));
	if (!idx) {
		err = S3E_InternalError;
		goto out;
	}
	/* Insertion sort: stable, and the list is a handful of parameters. */
	for (i = 0; i < r->nquery; i++) {
		if (!r->query[i].name || !is_subresource(r->query[i].name))
			continue;
		for (j = n; j > 0 && strcmp(r->query[idx[j - 1]].name, r->query[i].name) > 0; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
		n++;
	}
	for (i = 0; i < n; i++) {
		const struct sigv4_kv *q = &r->query[idx[i]];

		err = buf_add(out, i ? "&" : "?", 1);
		if (!err)
			err = buf_adds(out, q->name);
		if (!err && q->value && *q->value)
			err = buf_addf(out, "=%s", q->value);
		if (err)
			goto out;
	}
out:
	free(idx);
	return err;
}

/* See sigv2.h. */
s3err_t sigv2_string_to_sign(const struct sigv2_request *r, struct buf *out)
{
	s3err_t err;

	err = buf_adds(out, r->method);
	if (!err)
		err = buf_add(out, "\n", 1);
	if (!err)
		err = add_standard_header(r, "content-md5", out);
	if (!err)
		err = buf_add(out, "\n", 1);
	if (!err)
		err = add_standard_header(r, "content-type", out);
	if (!err)
		err = buf_add(out, "\n", 1);
	if (!err)
		err = buf_adds(out, r->date ? r->date : "");
	if (!err)
		err = buf_add(out, "\n", 1);
	if (!err)
		err = add_amz_headers(r, out);
	if (!err)
		err = add_resource(r, out);
	return err;
}

/* See sigv2.h. */
void sigv2_sign(const char *secret, const char *sts, size_t len, char out[29])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 20;

	HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)sts, len, md, &mdlen);
	base64_encode(md, 20, out);
	OPENSSL_cleanse(md, sizeof(md));
}

/* A character of standard base64, the only alphabet a v2 signature uses. */
static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/*
 * See sigv2.h. "AWS " then the key id (printable, no ':'), one ':', then a
 * base64 signature. Outputs are written only when the whole header parses.
 */
s3err_t sigv2_parse_header(const char *authorization,
			   char access_key[STRATA_MAX_ACCESS_KEY_LEN + 1], char signature[64])
{
	s3err_t err = S3E_AuthorizationHeaderMalformed;
	const char *p, *colon;
	size_t klen, slen, i;

	if (!authorization || strncmp(authorization, "AWS ", 4) != 0)
		goto out;
	p = authorization + 4;
	colon = strchr(p, ':');
	if (!colon)
		goto out;
	klen = (size_t)(colon - p);
	slen = strlen(colon + 1);
	if (klen == 0 || klen > STRATA_MAX_ACCESS_KEY_LEN || slen == 0 || slen >= 64)
		goto out;
	for (i = 0; i < klen; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			goto out;
	for (i = 0; i < slen; i++)
		if (!is_b64(colon[1 + i]))
			goto out;
	memcpy(access_key, p, klen);
	access_key[klen] = '\0';
	memcpy(signature, colon + 1, slen);
	signature[slen] = '\0';
	err = S3E_OK;
out:
	return err;
}
