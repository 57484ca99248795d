/* presign: building a SigV4 query-authenticated URL. */
#include "presign.h"

#include <string.h>

#include <openssl/crypto.h>

#include "../common/httptime.h"
#include "../common/sigv4.h"
#include "../common/strutil.h"

/* Appends "&name=value" (value URI-encoded); the first pair has no '&'. */
static s3err_t add_param(struct buf *q, const char *name, const char *value)
{
	s3err_t err;

	if (q->len && (err = buf_adds(q, "&")))
		return err;
	if ((err = buf_adds(q, name)) || (err = buf_adds(q, "=")))
		return err;
	return uri_encode(q, value, strlen(value), false);
}

s3err_t presign_url(const struct presign_request *p, const struct user *u, struct buf *out)
{
	const char *authority;
	char amz_date[17], date8[9], expires[24], sig[65];
	struct buf path, scope, cred, query, canon, sts, url;
	struct sigv4_kv headers[1], params[5 + PRESIGN_MAX_EXTRA];
	size_t nparams = 5;
	struct sigv4_request cr = {0};
	uint8_t key[32];
	s3err_t err;

	if (p->expires < 1 || p->expires > STRATA_PRESIGN_MAX_EXPIRES ||
	    p->nextra > PRESIGN_MAX_EXTRA)
		return S3E_InvalidArgument;
	/* An extra X-Amz-* would sign a second credential or date beside ours. */
	for (size_t i = 0; i < p->nextra; i++)
		if (str_istarts(p->extra[i].name, "X-Amz-"))
			return S3E_InvalidArgument;
	if (str_starts(p->endpoint, "http://"))
		authority = p->endpoint + 7;
	else if (str_starts(p->endpoint, "https://"))
		authority = p->endpoint + 8;
	else
		return S3E_InvalidArgument;
	if (!*authority || strchr(authority, '/'))
		return S3E_InvalidArgument;
	buf_init(&path, 4 * STRATA_MAX_KEY_LEN, S3E_InvalidArgument);
	buf_init(&scope, 256, S3E_InvalidArgument);
	buf_init(&cred, 512, S3E_InvalidArgument);
	buf_init(&query, 4096, S3E_InvalidArgument);
	buf_init(&canon, STRATA_MAX_CANONICAL_REQUEST, S3E_InvalidArgument);
	buf_init(&sts, STRATA_MAX_CANONICAL_REQUEST, S3E_InvalidArgument);
	buf_init(&url, out->max, out->too_big);
	httptime_format_amz(p->now, amz_date);
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';
	snprintf(expires, sizeof(expires), "%llu", (unsigned long long)p->expires);
	if ((err = buf_addf(&path, p->key[0] ? "/%s/%s" : "/%s", p->bucket, p->key)) ||
	    (err = sigv4_scope(date8, p->region, "s3", &scope)) ||
	    (err = buf_addf(&cred, "%s/%s", u->access_key, buf_str(&scope))))
		goto out;
	/* The canonical request sorts the query; the URL may keep any order. */
	params[0] = (struct sigv4_kv){"X-Amz-Algorithm", SIGV4_ALGORITHM};
	params[1] = (struct sigv4_kv){"X-Amz-Credential", buf_str(&cred)};
	params[2] = (struct sigv4_kv){"X-Amz-Date", amz_date};
	params[3] = (struct sigv4_kv){"X-Amz-Expires", expires};
	params[4] = (struct sigv4_kv){"X-Amz-SignedHeaders", "host"};
	for (size_t i = 0; i < p->nextra; i++)
		params[nparams++] = p->extra[i];
	headers[0] = (struct sigv4_kv){"host", authority};
	cr.method = p->method;
	cr.path = buf_str(&path);
	cr.query = params;
	cr.nquery = nparams;
	cr.headers = headers;
	cr.nheaders = 1;
	cr.signed_headers = "host";
	cr.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	if ((err = sigv4_canonical_request(&cr, &canon)) ||
	    (err =
		 sigv4_string_to_sign(amz_date, buf_str(&scope), buf_str(&canon), canon.len, &sts)))
		goto out;
	sigv4_signing_key(u->secret, date8, p->region, "s3", key);
	sigv4_hmac_hex(key, buf_str(&sts), sts.len, sig);
	OPENSSL_cleanse(key, sizeof(key));
	for (size_t i = 0; i < nparams; i++)
		if ((err = add_param(&query, params[i].name, params[i].value)))
			goto out;
	/* Built aside and appended whole: out gains nothing on failure. */
	if ((err = buf_adds(&url, p->endpoint)) ||
	    (err = uri_encode(&url, buf_str(&path), path.len, true)) ||
	    (err = buf_addf(&url, "?%s&X-Amz-Signature=%s", buf_str(&query), sig)))
		goto out;
	err = buf_add(out, buf_str(&url), url.len);
out:
	buf_free(&url);
	buf_free(&path);
	buf_free(&scope);
	buf_free(&cred);
	buf_free(&query);
	buf_free(&canon);
	buf_free(&sts);
	return err;
}
