/*
 * sigv4: AWS Signature Version 4, S3 flavour.
 *
 * S3 differs from the generic SigV4 rules in two ways that matter here: the
 * path is URI-encoded exactly once, and it is never normalized ("//", "."
 * and ".." are part of an object key and are signed as they are). Everything
 * else follows the generic algorithm:
 *
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n
 *                      CanonicalHeaders \n SignedHeaders \n PayloadHash
 *   StringToSign     = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n hex(SHA256(CanonicalRequest))
 *   Signature        = hex(HMAC(kSigning, StringToSign))
 */
#include "sigv4.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "checksum.h"
#include "strutil.h"

/* One query parameter after encoding; both strings live in one buffer. */
struct enc_param {
	const char *name;
	const char *value;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex_lower_or_upper(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * A character allowed in a signed-header name: RFC 7230 tchar, lowercase
 * only. SigV4 requires the list in lowercase, so an uppercase name means the
 * client did not build the list the way the canonical request needs it.
 */
static bool is_lower_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || is_digit(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Header-value whitespace that SigV4's Trimall removes or collapses. */
static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* true if the request header name equals item[0..len) ignoring ASCII case. */
static bool name_is(const char *hname, const char *item, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char a = hname[i], b = item[i];

		if (a == '\0')
			return false;
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != b)
			return false;
	}
	return hname[len] == '\0';
}

/*
 * Checks a ';'-separated signed-header list: non-empty, no empty item,
 * lowercase tchars only, within the length cap.
 */
static bool signed_headers_ok(const char *list)
{
	size_t i, n = strlen(list);
	bool item_empty = true;

	if (n == 0 || n >= STRATA_MAX_SIGNED_HEADERS_LEN)
		return false;
	for (i = 0; i < n; i++) {
		if (list[i] == ';') {
			if (item_empty)
				return false;
			item_empty = true;
		} else if (is_lower_tchar(list[i])) {
			item_empty = false;
		} else {
			return false;
		}
	}
	return !item_empty;
}

/* Appends value with leading/trailing whitespace dropped and inner runs collapsed to one space. */
static s3err_t add_trimmed(struct buf *out, const char *v)
{
	s3err_t err = S3E_OK;
	bool pending_space = false, any = false;

	for (; *v; v++) {
		if (is_lws(*v)) {
			pending_space = any;
			continue;
		}
		if (pending_space) {
			err = buf_add(out, " ", 1);
			if (err)
				goto out;
			pending_space = false;
		}
		err = buf_add(out, v, 1);
		if (err)
			goto out;
		any = true;
	}
out:
	return err;
}

/*
 * Appends "name:v1,v2,...\n" for one signed header, joining every request
 * header of that name in the order received. A header the client claims to
 * have signed but did not send cannot be verified, so it fails the signature.
 */
static s3err_t add_header_line(const struct sigv4_request *r, const char *name, size_t len,
			       struct buf *out)
{
	s3err_t err;
	size_t i;
	bool found = false;

	err = buf_add(out, name, len);
	if (err)
		goto out;
	err = buf_add(out, ":", 1);
	if (err)
		goto out;
	for (i = 0; i < r->nheaders; i++) {
		if (!name_is(r->headers[i].name, name, len))
			continue;
		if (found) {
			err = buf_add(out, ",", 1);
			if (err)
				goto out;
		}
		err = add_trimmed(out, r->headers[i].value ? r->headers[i].value : "");
		if (err)
			goto out;
		found = true;
	}
	if (!found) {
		err = S3E_SignatureDoesNotMatch;
		goto out;
	}
	err = buf_add(out, "\n", 1);
out:
	return err;
}

/* Canonical headers, one line per signed name, in the order of the signed list. */
static s3err_t add_canonical_headers(const struct sigv4_request *r, struct buf *out)
{
	s3err_t err = S3E_OK;
	const char *p = r->signed_headers;

	while (*p) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);

		err = add_header_line(r, p, len, out);
		if (err)
			goto out;
		p += len;
		if (*p == ';')
			p++;
	}
out:
	return err;
}

static int cmp_param(const void *a, const void *b)
{
	const struct enc_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

#define SIGV4_USUAL_QUERY 768u /* bytes; only a first allocation's size */

/* Appends the n strings of parts: appends, not a printf, on every signed request. */
static s3err_t add_strings(struct buf *out, const char *const *parts, size_t n)
{
	s3err_t err = S3E_OK;
	size_t i;

	for (i = 0; i < n && !err; i++)
		err = buf_adds(out, parts[i]);
	return err;
}

/*
 * Appends the canonical query: every parameter encoded, sorted by encoded
 * name then encoded value (byte order), joined as name=value with '&'.
 * The encoded strings are collected in one capped buffer, NUL-separated, and
 * pointed to only once the buffer has stopped growing.
 */
static s3err_t add_canonical_query(const struct sigv4_request *r, struct buf *out)
{
	s3err_t err = S3E_OK;
	struct buf enc;
	struct enc_param *ps = NULL;
	size_t *offs = NULL;
	size_t i;

	buf_init(&enc, STRATA_MAX_CANONICAL_REQUEST, out->too_big);
	if (r->nquery == 0)
		goto out;
	/* A presigned URL's query encodes to about 500 bytes: one allocation, not four. */
	err = buf_reserve(&enc, SIGV4_USUAL_QUERY);
	if (err)
		goto out;
	ps = calloc(r->nquery, sizeof(*ps));
	offs = calloc(r->nquery, 2 * sizeof(*offs));
	if (!ps || !offs) {
		err = S3E_InternalError;
		goto out;
	}
	for (i = 0; i < r->nquery; i++) {
		const char *n = r->query[i].name ? r->query[i].name : "";
		const char *v = r->query[i].value ? r->query[i].value : "";

		offs[2 * i] = enc.len;
		err = uri_encode(&enc, n, strlen(n), false);
		if (!err)
			err = buf_add(&enc, "", 1);
		if (err)
			goto out;
		offs[2 * i + 1] = enc.len;
		err = uri_encode(&enc, v, strlen(v), false);
		if (!err)
			err = buf_add(&enc, "", 1);
		if (err)
			goto out;
	}
	for (i = 0; i < r->nquery; i++) {
		ps[i].name = enc.data + offs[2 * i];
		ps[i].value = enc.data + offs[2 * i + 1];
	}
	qsort(ps, r->nquery, sizeof(*ps), cmp_param);
	/* Appends, not a printf per parameter: this runs on every presigned request. */
	for (i = 0; i < r->nquery && !err; i++) {
		err = i ? buf_add(out, "&", 1) : S3E_OK;
		if (!err)
			err = buf_add(out, ps[i].name, strlen(ps[i].name));
		if (!err)
			err = buf_add(out, "=", 1);
		if (!err)
			err = buf_add(out, ps[i].value, strlen(ps[i].value));
	}
	if (err)
		goto out;
out:
	free(offs);
	free(ps);
	buf_free(&enc);
	return err;
}

/* See sigv4.h. */
s3err_t sigv4_canonical_request(const struct sigv4_request *r, struct buf *out)
{
	s3err_t err;
	const char *path = r->path ? r->path : "";

	if (!r->signed_headers || !signed_headers_ok(r->signed_headers)) {
		err = S3E_AuthorizationHeaderMalformed;
		goto out;
	}
	err = buf_adds(out, r->method);
	if (!err)
		err = buf_add(out, "\n", 1);
	if (err)
		goto out;
	/* S3: encode once, keep slashes, no normalization; an empty path is "/". */
	if (*path == '\0')
		err = buf_add(out, "/", 1);
	else
		err = uri_encode(out, path, strlen(path), true);
	if (!err)
		err = buf_add(out, "\n", 1);
	if (err)
		goto out;
	err = add_canonical_query(r, out);
	if (!err)
		err = buf_add(out, "\n", 1);
	if (err)
		goto out;
	err = add_canonical_headers(r, out);
	if (!err) {
		const char *parts[] = {"\n", r->signed_headers, "\n",
				       r->payload_hash ? r->payload_hash : ""};

		err = add_strings(out, parts, sizeof(parts) / sizeof(parts[0]));
	}
out:
	return err;
}

/* See sigv4.h. */
s3err_t sigv4_scope(const char *date8, const char *region, const char *service, struct buf *out)
{
	const char *parts[] = {date8, "/", region, "/", service, "/aws4_request"};

	return add_strings(out, parts, sizeof(parts) / sizeof(parts[0]));
}

/* See sigv4.h. */
s3err_t sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical,
			     size_t canonical_len, struct buf *out)
{
	char hash[65];

	const char *parts[] = {SIGV4_ALGORITHM "\n", amz_date, "\n", scope, "\n", hash};

	sigv4_sha256_hex(canonical, canonical_len, hash);
	return add_strings(out, parts, sizeof(parts) / sizeof(parts[0]));
}

/* HMAC-SHA256 of a C string under a 32-byte key, in place into out. */
static void hmac_step(const uint8_t *key, size_t keylen, const char *msg, uint8_t out[32])
{
	uint8_t md[32];

	cksum_hmac_sha256(key, keylen, msg, strlen(msg), md);
	memcpy(out, md, 32);
	OPENSSL_cleanse(md, sizeof(md));
}

/*
 * See sigv4.h. The secret is at most STRATA_MAX_SECRET_KEY_LEN bytes (the
 * configuration enforces it). Should a longer one ever arrive, the key is
 * made unpredictable instead of truncated or zeroed, so that nothing can
 * verify under it: a constant key would let anyone forge signatures.
 */
void sigv4_signing_key(const char *secret, const char *date8, const char *region,
		       const char *service, uint8_t out[32])
{
	uint8_t k[4 + STRATA_MAX_SECRET_KEY_LEN + 1];
	uint8_t t[32];
	size_t n = strlen(secret);

	if (n > STRATA_MAX_SECRET_KEY_LEN) {
		if (RAND_bytes(out, 32) != 1)
			abort(); /* no way left to fail closed */
		return;
	}
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, n);
	hmac_step(k, 4 + n, date8, t);
	hmac_step(t, 32, region, t);
	hmac_step(t, 32, service, t);
	hmac_step(t, 32, "aws4_request", out);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(t, sizeof(t));
}

/* See sigv4.h. */
void sigv4_hmac_hex(const uint8_t key[32], const char *msg, size_t len, char out[65])
{
	uint8_t md[32];

	cksum_hmac_sha256(key, 32, msg, len, md);
	hex_encode(md, 32, out);
	OPENSSL_cleanse(md, sizeof(md));
}

/* See sigv4.h. Lengths are public (always 64 for SigV4); only the bytes are compared in constant
 * time. */
bool sigv4_sig_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (n == 0 || n != strlen(b))
		return false;
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* See sigv4.h. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t md[32];

	/* Zeroed without SHA-256: then it never matches a client's hash. */
	cksum_compute(CKSUM_SHA256, data, len, md);
	hex_encode(md, 32, out);
}

/*
 * Splits "AK/20130524/us-east-1/s3/aws4_request" into out. Exactly five
 * parts, none empty, the date eight digits, the terminal "aws4_request".
 */
static bool parse_credential(const char *s, size_t len, struct sigv4_auth *out)
{
	const char *part[5];
	size_t plen[5], i, k = 0, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '/')
			continue;
		if (k == 5)
			return false;
		part[k] = s + start;
		plen[k] = i - start;
		if (plen[k] == 0)
			return false;
		k++;
		start = i + 1;
	}
	if (k != 5)
		return false;
	if (plen[0] > STRATA_MAX_ACCESS_KEY_LEN || plen[1] != 8 ||
	    plen[2] > STRATA_MAX_REGION_LEN || plen[3] >= sizeof(out->service) || plen[4] != 12 ||
	    memcmp(part[4], "aws4_request", 12) != 0)
		return false;
	for (i = 0; i < 8; i++)
		if (!is_digit(part[1][i]))
			return false;
	for (k = 0; k < 4; k++)
		for (i = 0; i < plen[k]; i++)
			if ((unsigned char)part[k][i] <= ' ' || (unsigned char)part[k][i] >= 0x7f)
				return false;
	memcpy(out->access_key, part[0], plen[0]);
	out->access_key[plen[0]] = '\0';
	memcpy(out->date, part[1], 8);
	out->date[8] = '\0';
	memcpy(out->region, part[2], plen[2]);
	out->region[plen[2]] = '\0';
	memcpy(out->service, part[3], plen[3]);
	out->service[plen[3]] = '\0';
	return true;
}

/*
 * Stores s[0..len) as the signature if it is exactly 64 hex digits, as sent:
 * signatures are lowercase hex, and an uppercase digit is not folded but
 * left to fail the comparison, so no second spelling of a signature passes.
 */
static bool parse_signature(const char *s, size_t len, struct sigv4_auth *out)
{
	size_t i;

	if (len != 64)
		return false;
	for (i = 0; i < 64; i++)
		if (!is_hex_lower_or_upper(s[i]))
			return false;
	memcpy(out->signature, s, 64);
	out->signature[64] = '\0';
	return true;
}

/* Stores s[0..len) as the signed-header list if it is well formed. */
static bool parse_signed_headers(const char *s, size_t len, struct sigv4_auth *out)
{
	if (len == 0 || len >= sizeof(out->signed_headers))
		return false;
	memcpy(out->signed_headers, s, len);
	out->signed_headers[len] = '\0';
	return signed_headers_ok(out->signed_headers);
}

/* Which of the three Authorization fields have been seen. */
enum { SEEN_CRED = 1, SEEN_SH = 2, SEEN_SIG = 4 };

/* Parses one "Key=value" field of the Authorization header into tmp. */
static bool parse_auth_field(const char *f, size_t len, struct sigv4_auth *tmp, unsigned *seen)
{
	const char *eq = memchr(f, '=', len);
	size_t klen, vlen;
	const char *v;

	if (!eq)
		return false;
	klen = (size_t)(eq - f);
	v = eq + 1;
	vlen = len - klen - 1;
	if (klen == 10 && memcmp(f, "Credential", 10) == 0 && !(*seen & SEEN_CRED)) {
		*seen |= SEEN_CRED;
		return parse_credential(v, vlen, tmp);
	}
	if (klen == 13 && memcmp(f, "SignedHeaders", 13) == 0 && !(*seen & SEEN_SH)) {
		*seen |= SEEN_SH;
		return parse_signed_headers(v, vlen, tmp);
	}
	if (klen == 9 && memcmp(f, "Signature", 9) == 0 && !(*seen & SEEN_SIG)) {
		*seen |= SEEN_SIG;
		return parse_signature(v, vlen, tmp);
	}
	return false; /* unknown or repeated field */
}

/*
 * See sigv4.h. Fields are separated by ',' with optional spaces around
 * them; a field repeated or unknown is malformed rather than ignored, so two
 * readers of the same header cannot disagree about what it says.
 */
s3err_t sigv4_parse_header(const char *authorization, struct sigv4_auth *out)
{
	s3err_t err = S3E_AuthorizationHeaderMalformed;
	struct sigv4_auth tmp;
	const char *p;
	size_t alen = sizeof(SIGV4_ALGORITHM) - 1;
	unsigned seen = 0;

	memset(&tmp, 0, sizeof(tmp));
	if (!authorization || strlen(authorization) > STRATA_MAX_AUTH_HEADER_LEN)
		goto out;
	if (strncmp(authorization, SIGV4_ALGORITHM, alen) != 0 || authorization[alen] != ' ')
		goto out;
	p = authorization + alen;
	for (;;) {
		const char *end;
		size_t flen;

		while (*p == ' ')
			p++;
		end = strchr(p, ',');
		flen = end ? (size_t)(end - p) : strlen(p);
		while (flen > 0 && p[flen - 1] == ' ')
			flen--;
		if (!parse_auth_field(p, flen, &tmp, &seen))
			goto out;
		if (!end)
			break;
		p = end + 1;
	}
	if (seen != (SEEN_CRED | SEEN_SH | SEEN_SIG))
		goto out;
	*out = tmp;
	err = S3E_OK;
out:
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return err;
}

/* The value of the one parameter called name; NULL if absent or repeated (*dup set). */
static const char *query_get(const struct sigv4_kv *params, size_t n, const char *name, bool *dup)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!params[i].name || strcmp(params[i].name, name) != 0)
			continue;
		if (v)
			*dup = true;
		v = params[i].value ? params[i].value : "";
	}
	return v;
}

/* "YYYYMMDDTHHMMSSZ", the ISO 8601 basic format SigV4 uses. */
static bool amz_date_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	for (i = 0; i < 15; i++)
		if (i != 8 && !is_digit(s[i]))
			return false;
	return true;
}

/*
 * See sigv4.h. The scope date must be the day of X-Amz-Date, as AWS
 * requires; the gateway still checks the date against its clock and the
 * expiry against X-Amz-Date.
 */
s3err_t sigv4_parse_query(const struct sigv4_kv *params, size_t n, struct sigv4_auth *out)
{
	s3err_t err = S3E_AuthorizationQueryParametersError;
	struct sigv4_auth tmp;
	const char *alg, *cred, *date, *exp, *sh, *sig;
	bool dup = false;

	memset(&tmp, 0, sizeof(tmp));
	alg = query_get(params, n, "X-Amz-Algorithm", &dup);
	cred = query_get(params, n, "X-Amz-Credential", &dup);
	date = query_get(params, n, "X-Amz-Date", &dup);
	exp = query_get(params, n, "X-Amz-Expires", &dup);
	sh = query_get(params, n, "X-Amz-SignedHeaders", &dup);
	sig = query_get(params, n, "X-Amz-Signature", &dup);
	if (dup || !alg || !cred || !date || !exp || !sh || !sig)
		goto out;
	if (strcmp(alg, SIGV4_ALGORITHM) != 0)
		goto out;
	if (!parse_credential(cred, strlen(cred), &tmp))
		goto out;
	if (!amz_date_ok(date) || memcmp(date, tmp.date, 8) != 0)
		goto out;
	memcpy(tmp.amz_date, date, 17);
	if (!parse_u64_str(exp, 1, STRATA_PRESIGN_MAX_EXPIRES, &tmp.expires))
		goto out;
	if (!parse_signed_headers(sh, strlen(sh), &tmp))
		goto out;
	if (!parse_signature(sig, strlen(sig), &tmp))
		goto out;
	*out = tmp;
	err = S3E_OK;
out:
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return err;
}
