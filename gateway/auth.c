/* auth: SigV4 (header, query, streaming seed) and SigV2 (header, query). */
#include "auth.h"

#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/sigkeys.h"
#include "../common/sigv2.h"
#include "../common/sigv4.h"
#include "../common/strutil.h"
#include "request.h"
#include "server.h"

static s3err_t find_user(struct request *r, const char *access_key)
{
	if (!users_lookup(r->srv->users, access_key, &r->auth.user))
		return req_fail(r, S3E_InvalidAccessKeyId, NULL);
	return S3E_OK;
}

/* The request time must be within 15 minutes of ours (AWS's window). */
static s3err_t check_skew(struct request *r, time_t t)
{
	time_t now = time(NULL);

	if (t > now + STRATA_CLOCK_SKEW_SECONDS || t < now - STRATA_CLOCK_SKEW_SECONDS)
		return req_fail(r, S3E_RequestTimeTooSkewed, NULL);
	return S3E_OK;
}

static bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return s[64] == '\0';
}

/* True if name appears in the ';'-separated signed header list. */
static bool header_signed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ";");

		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == ';')
			p++;
	}
	return false;
}

/*
 * Every x-amz-* header must be covered by the signature: otherwise anyone on
 * the path could add x-amz-copy-source or x-amz-meta-* to a signed request.
 */
static s3err_t check_amz_headers_signed(struct request *r, const char *signed_headers)
{
	size_t i;

	if (!header_signed(signed_headers, "host"))
		return req_fail(r, S3E_AccessDenied, "The host header must be signed.");
	for (i = 0; i < r->nheaders; i++)
		if (str_istarts(r->headers[i].name, "x-amz-") &&
		    !header_signed(signed_headers, r->headers[i].name))
			return req_failf(r, S3E_AccessDenied,
					 "There were headers present in the request which were "
					 "not signed: %s",
					 r->headers[i].name);
	return S3E_OK;
}

/*
 * The credential scope must name this endpoint's service and region, as on
 * AWS; the message names the expected region so that SDKs can redirect.
 */
static s3err_t check_scope(struct request *r, const struct sigv4_auth *a, s3err_t malformed)
{
	const char *region = r->srv->cfg->region;

	if (strcmp(a->service, "s3") != 0)
		return req_failf(r, malformed,
				 "The authorization header is malformed; incorrect service '%s'. "
				 "This endpoint belongs to 's3'.",
				 a->service);
	if (strcmp(a->region, region) != 0)
		return req_failf(r, malformed,
				 "The authorization header is malformed; the region '%s' is wrong; "
				 "expecting '%s'",
				 a->region, region);
	return S3E_OK;
}

/* Computes the SigV4 signature of r under the parsed claims and compares it. */
static s3err_t verify_sigv4(struct request *r, const struct sigv4_auth *a, const char *amz_date,
			    const char *payload_hash, uint8_t signing_key[32], struct buf *scope)
{
	struct sigv4_kv query[STRATA_MAX_QUERY_PARAMS];
	struct sigv4_request cr = {0};
	struct buf canon, sts;
	char sig[65];
	size_t i, n = 0;
	s3err_t err;

	buf_init(&canon, STRATA_MAX_CANONICAL_REQUEST, S3E_InvalidArgument);
	buf_init(&sts, STRATA_MAX_CANONICAL_REQUEST, S3E_InvalidArgument);
	/*
	 * Usual sizes (a presigned GET: 700 and 150 bytes), each grown in one
	 * allocation. Under 1,000 bytes glibc serves them from its small bins;
	 * a larger request first consolidates all its freed small chunks.
	 */
	err = buf_reserve(&canon, 999);
	if (!err)
		err = buf_reserve(&sts, 256);
	if (err)
		goto out;
	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].name, "X-Amz-Signature") != 0)
			query[n++] = r->query[i];
	cr.method = r->method;
	cr.path = r->path;
	cr.query = query;
	cr.nquery = n;
	cr.headers = r->headers;
	cr.nheaders = r->nheaders;
	cr.signed_headers = a->signed_headers;
	cr.payload_hash = payload_hash;
	err = sigv4_canonical_request(&cr, &canon);
	if (err)
		goto out;
	err = sigv4_scope(a->date, a->region, a->service, scope);
	if (err)
		goto out;
	err = sigv4_string_to_sign(amz_date, buf_str(scope), buf_str(&canon), canon.len, &sts);
	if (err)
		goto out;
	sigkeys_get(r->srv->sigkeys, r->auth.user.access_key, r->auth.user.secret, a->date,
		    a->region, a->service, signing_key);
	sigv4_hmac_hex(signing_key, buf_str(&sts), sts.len, sig);
	if (!sigv4_sig_equal(sig, a->signature)) {
		err = S3E_SignatureDoesNotMatch;
		log_debug("auth", "request %s: SigV4 mismatch; canonical request:\n%s", r->id,
			  buf_str(&canon));
	}
	OPENSSL_cleanse(sig, sizeof(sig));
out:
	buf_free(&canon);
	buf_free(&sts);
	if (err)
		req_fail(r, err, NULL);
	return err;
}

/* Sets r->auth's payload mode from x-amz-content-sha256 (or its absence). */
static s3err_t set_payload_mode(struct request *r, const char *hash, const uint8_t key[32],
				const char *amz_date, const struct buf *scope, const char *seed)
{
	struct chunked_params *cp = &r->auth.chunked;

	if (strcmp(hash, SIGV4_UNSIGNED_PAYLOAD) == 0) {
		r->auth.payload = PAYLOAD_UNCHECKED;
	} else if (is_hex64(hash)) {
		size_t i;

		r->auth.payload = PAYLOAD_SHA256;
		for (i = 0; i < 64; i++)
			r->auth.payload_sha256[i] = (char)(hash[i] | 0x20); /* lowercase hex */
		r->auth.payload_sha256[64] = '\0';
	} else if (strcmp(hash, SIGV4_STREAMING_PAYLOAD) == 0 ||
		   strcmp(hash, SIGV4_STREAMING_PAYLOAD_TRAILER) == 0) {
		if (!key)
			return req_fail(r, S3E_InvalidRequest,
					"Streaming signatures need the Authorization header.");
		r->auth.payload = PAYLOAD_CHUNKED;
		cp->mode = strcmp(hash, SIGV4_STREAMING_PAYLOAD) == 0 ? CHUNKED_SIGNED
								      : CHUNKED_SIGNED_TRAILER;
		memcpy(cp->signing_key, key, 32);
		if (!str_copy(cp->amz_date, sizeof(cp->amz_date), amz_date) ||
		    !str_copy(cp->scope, sizeof(cp->scope), buf_str(scope)) ||
		    !str_copy(cp->seed_signature, sizeof(cp->seed_signature), seed))
			return req_fail(r, S3E_AuthorizationHeaderMalformed, NULL);
	} else if (strcmp(hash, SIGV4_STREAMING_UNSIGNED_TRAILER) == 0) {
		r->auth.payload = PAYLOAD_CHUNKED;
		cp->mode = CHUNKED_UNSIGNED_TRAILER;
	} else {
		return req_fail(r, S3E_InvalidArgument,
				"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* "
				"value, or a valid sha256 value.");
	}
	return S3E_OK;
}

static s3err_t sigv4_header(struct request *r, const char *authz)
{
	const char *hash = req_header(r, "x-amz-content-sha256");
	const char *date = req_header(r, "x-amz-date");
	struct sigv4_auth a;
	uint8_t key[32];
	char amz_date[17];
	struct buf scope;
	time_t t;
	s3err_t err;

	buf_init(&scope, 256, S3E_AuthorizationHeaderMalformed);
	err = sigv4_parse_header(authz, &a);
	if (err) {
		req_fail(r, err, NULL);
		goto out;
	}
	if ((err = check_scope(r, &a, S3E_AuthorizationHeaderMalformed)))
		goto out;
	if (date) {
		if (!httptime_parse_amz(date, &t)) {
			err = req_fail(r, S3E_AccessDenied, "X-Amz-Date is not a valid date.");
			goto out;
		}
	} else if (!(date = req_header(r, "Date")) || !httptime_parse_http(date, &t)) {
		err = req_fail(r, S3E_AccessDenied,
			       "AWS authentication requires a valid Date or x-amz-date header");
		goto out;
	}
	httptime_format_amz(t, amz_date);
	if (strncmp(amz_date, a.date, 8) != 0) {
		err = req_fail(r, S3E_AuthorizationHeaderMalformed,
			       "Invalid credential date. Date is not the same as X-Amz-Date.");
		goto out;
	}
	if (!hash) {
		err = req_fail(r, S3E_InvalidRequest,
			       "Missing required header for this request: x-amz-content-sha256");
		goto out;
	}
	err = find_user(r, a.access_key);
	if (err)
		goto out;
	err = check_amz_headers_signed(r, a.signed_headers);
	if (err)
		goto out;
	err = verify_sigv4(r, &a, amz_date, hash, key, &scope);
	if (err)
		goto out;
	/* Only now, after the signature, does the clock matter (as AWS orders it). */
	err = check_skew(r, t);
	if (err)
		goto out;
	err = set_payload_mode(r, hash, key, amz_date, &scope, a.signature);
out:
	OPENSSL_cleanse(key, sizeof(key));
	buf_free(&scope);
	return err;
}

static s3err_t sigv4_query(struct request *r)
{
	const char *hash = req_header(r, "x-amz-content-sha256");
	struct sigv4_auth a;
	uint8_t key[32];
	struct buf scope;
	time_t t, now = time(NULL);
	s3err_t err;

	buf_init(&scope, 256, S3E_AuthorizationQueryParametersError);
	err = sigv4_parse_query(r->query, r->nquery, &a);
	if (err) {
		req_fail(r, err, NULL);
		goto out;
	}
	if ((err = check_scope(r, &a, S3E_AuthorizationQueryParametersError)))
		goto out;
	if (!httptime_parse_amz(a.amz_date, &t) || strncmp(a.amz_date, a.date, 8) != 0) {
		err = req_fail(r, S3E_AuthorizationQueryParametersError,
			       "X-Amz-Date and the credential date do not agree.");
		goto out;
	}
	err = find_user(r, a.access_key);
	if (err)
		goto out;
	if (!hash)
		hash = SIGV4_UNSIGNED_PAYLOAD;
	err = verify_sigv4(r, &a, a.amz_date, hash, key, &scope);
	if (err)
		goto out;
	if (now > t + (time_t)a.expires) {
		err = req_fail(r, S3E_AccessDenied, "Request has expired");
		goto out;
	}
	if (t > now + STRATA_CLOCK_SKEW_SECONDS) {
		err = req_fail(r, S3E_AccessDenied, "Request is not valid yet");
		goto out;
	}
	err = set_payload_mode(r, hash, NULL, a.amz_date, &scope, a.signature);
out:
	OPENSSL_cleanse(key, sizeof(key));
	buf_free(&scope);
	return err;
}

/* Compares the SigV2 signature of r over one candidate resource string. */
static bool sigv2_matches(struct request *r, const char *date, const char *resource,
			  const char *signature, s3err_t *err)
{
	struct sigv2_request v2 = {0};
	struct buf sts;
	char sig[29];
	bool ok = false;

	buf_init(&sts, STRATA_MAX_CANONICAL_REQUEST, S3E_InvalidArgument);
	v2.method = r->method;
	v2.headers = r->headers;
	v2.nheaders = r->nheaders;
	v2.date = date;
	v2.resource = resource;
	v2.query = r->query;
	v2.nquery = r->nquery;
	*err = sigv2_string_to_sign(&v2, &sts);
	if (!*err) {
		sigv2_sign(r->auth.user.secret, buf_str(&sts), sts.len, sig);
		ok = sigv4_sig_equal(sig, signature);
		if (!ok)
			log_debug("auth", "request %s: SigV2 mismatch; string to sign:\n%s", r->id,
				  buf_str(&sts));
		OPENSSL_cleanse(sig, sizeof(sig));
	}
	buf_free(&sts);
	return ok;
}

/*
 * SigV2 signs the resource as the client addressed it: "/bucket/key" with the
 * key still encoded. A bucket-level resource is "/bucket/" (botocore and the
 * AWS docs), though clients send the path as "/bucket"; both are accepted.
 */
static s3err_t sigv2_verify(struct request *r, const char *date, const char *signature)
{
	struct buf resource;
	s3err_t err;
	bool ok;

	buf_init(&resource, STRATA_MAX_URI_LEN + STRATA_BUCKET_NAME_MAX + 2, S3E_InvalidURI);
	if (r->virtual_host)
		err = buf_addf(&resource, "/%s%s", r->bucket, r->raw_path);
	else
		err = buf_adds(&resource, r->raw_path);
	if (err)
		goto out;
	ok = sigv2_matches(r, date, buf_str(&resource), signature, &err);
	if (!ok && !err && r->bucket[0] && !r->key) {
		if (resource.data[resource.len - 1] == '/')
			resource.data[--resource.len] = '\0';
		else
			err = buf_adds(&resource, "/");
		if (!err)
			ok = sigv2_matches(r, date, buf_str(&resource), signature, &err);
	}
	if (!err && !ok)
		err = S3E_SignatureDoesNotMatch;
out:
	buf_free(&resource);
	if (err)
		req_fail(r, err, NULL);
	return err;
}

static s3err_t sigv2_header(struct request *r, const char *authz)
{
	char ak[STRATA_MAX_ACCESS_KEY_LEN + 1], sig[64];
	const char *amz_date = req_header(r, "x-amz-date");
	const char *date = amz_date ? amz_date : req_header(r, "Date");
	time_t t;
	s3err_t err;

	err = sigv2_parse_header(authz, ak, sig);
	if (err)
		return req_fail(r, err, NULL);
	err = find_user(r, ak);
	if (err)
		return err;
	if (!date || !httptime_parse_http(date, &t))
		return req_fail(r, S3E_AccessDenied,
				"AWS authentication requires a valid Date or x-amz-date header");
	/* With x-amz-date the Date line is empty; x-amz-date signs among the x-amz-* headers. */
	err = sigv2_verify(r, amz_date ? "" : date, sig);
	if (err)
		return err;
	err = check_skew(r, t);
	if (err)
		return err;
	r->auth.payload = PAYLOAD_UNCHECKED;
	return S3E_OK;
}

static s3err_t sigv2_query(struct request *r)
{
	const char *ak = req_query(r, "AWSAccessKeyId");
	const char *expires = req_query(r, "Expires");
	const char *sig = req_query(r, "Signature");
	uint64_t exp;
	s3err_t err;

	if (!ak || !expires || !sig || !parse_u64_str(expires, 0, INT64_MAX, &exp))
		return req_fail(r, S3E_AccessDenied,
				"Query-string authentication requires the Signature, Expires and "
				"AWSAccessKeyId parameters");
	err = find_user(r, ak);
	if (err)
		return err;
	err = sigv2_verify(r, expires, sig);
	if (err)
		return err;
	if ((uint64_t)time(NULL) > exp)
		return req_fail(r, S3E_AccessDenied, "Request has expired");
	r->auth.payload = PAYLOAD_UNCHECKED;
	return S3E_OK;
}

s3err_t auth_check(struct request *r)
{
	const char *authz = req_header(r, "Authorization");
	bool v4q = req_has_query(r, "X-Amz-Credential") || req_has_query(r, "X-Amz-Algorithm");
	bool v2q = req_has_query(r, "AWSAccessKeyId") || req_has_query(r, "Signature");
	s3err_t err;

	if ((authz != NULL) + v4q + v2q > 1)
		return req_fail(r, S3E_InvalidArgument, "Only one auth mechanism allowed");
	if (authz && str_starts(authz, SIGV4_ALGORITHM " "))
		err = sigv4_header(r, authz);
	else if (authz && str_starts(authz, "AWS "))
		err = sigv2_header(r, authz);
	else if (authz)
		err = req_fail(r, S3E_InvalidArgument, "Unsupported Authorization Type");
	else if (v4q)
		err = sigv4_query(r);
	else if (v2q)
		err = sigv2_query(r);
	else
		err = req_fail(r, S3E_AccessDenied, "Anonymous access is not allowed.");
	if (!err)
		r->authenticated = true;
	return err;
}
