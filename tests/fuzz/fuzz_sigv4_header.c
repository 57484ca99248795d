/*
 * fuzz_sigv4_header: the Authorization header of a SigV4 request
 * (sigv4_parse_header), the first bytes of an unauthenticated request the
 * gateway reads, then the canonical request built from its SignedHeaders
 * and the request's other headers (sigv4_canonical_request: trimming,
 * folding, joining repeated headers). Input: the Authorization value, then
 * one "name:value" header per line, then (after an empty line) the path
 * and decoded query "a=1&b".
 * Invariants: a header that parses gives NUL-terminated fields, an 8-digit
 * date and a signature of 64 hex digits; the canonical request
 * fails only with the documented errors and ends with the signed-header
 * list and the payload hash.
 */
#include "fuzz.h"

#include "../../common/buf.h"
#include "../../common/sigv4.h"

/* Hex of either case: an uppercase signature is kept as sent (and never matches). */
static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

#define MAX_HEADERS 32
#define MAX_QUERY 16

/* Splits the lines after the first into headers, then the path and query. */
static void canonical(char *rest, const struct sigv4_auth *a)
{
	struct sigv4_kv hdrs[MAX_HEADERS], query[MAX_QUERY];
	struct sigv4_request r = {
	    .method = "PUT", .path = "/b/k", .payload_hash = SIGV4_EMPTY_SHA256};
	struct buf out;
	char *p = rest, *nl, *sep, *amp;
	size_t nh = 0, nq = 0, tail;
	s3err_t err;

	while (p && *p && *p != '\n' && nh < MAX_HEADERS) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		sep = strchr(p, ':');
		if (sep)
			*sep = '\0';
		hdrs[nh].name = p;
		hdrs[nh].value = sep ? sep + 1 : "";
		nh++;
		p = nl ? nl + 1 : NULL;
	}
	if (p && *p == '\n') {
		p++;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		r.path = p;
		p = nl ? nl + 1 : NULL;
		while (p && nq < MAX_QUERY) {
			amp = strchr(p, '&');
			if (amp)
				*amp = '\0';
			sep = strchr(p, '=');
			if (sep)
				*sep = '\0';
			query[nq].name = p;
			query[nq].value = sep ? sep + 1 : "";
			nq++;
			p = amp ? amp + 1 : NULL;
		}
	}
	r.headers = hdrs;
	r.nheaders = nh;
	r.query = query;
	r.nquery = nq;
	r.signed_headers = a->signed_headers;
	buf_init(&out, STRATA_MAX_CANONICAL_REQUEST, S3E_InternalError);
	err = sigv4_canonical_request(&r, &out);
	if (err == S3E_OK) {
		tail = strlen(a->signed_headers) + 1 + strlen(SIGV4_EMPTY_SHA256);
		FUZZ_CHECK(out.len > tail);
		FUZZ_CHECK(memcmp(out.data + out.len - strlen(SIGV4_EMPTY_SHA256),
				  SIGV4_EMPTY_SHA256, strlen(SIGV4_EMPTY_SHA256)) == 0);
	} else {
		FUZZ_CHECK(err == S3E_SignatureDoesNotMatch ||
			   err == S3E_AuthorizationHeaderMalformed || err == S3E_InternalError ||
			   err == S3E_InvalidURI);
	}
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_auth a;
	char *s = fuzz_cstr(data, size), *nl = strchr(s, '\n');
	size_t i;

	if (nl)
		*nl = '\0';

	memset(&a, 0x5a, sizeof(a)); /* a field the parser forgets to end shows up in strlen */
	if (sigv4_parse_header(s, &a) == S3E_OK) {
		FUZZ_CHECK(strnlen(a.access_key, sizeof(a.access_key)) < sizeof(a.access_key));
		FUZZ_CHECK(strnlen(a.region, sizeof(a.region)) < sizeof(a.region));
		FUZZ_CHECK(strnlen(a.service, sizeof(a.service)) < sizeof(a.service));
		FUZZ_CHECK(strnlen(a.signed_headers, sizeof(a.signed_headers)) <
			   sizeof(a.signed_headers));
		FUZZ_CHECK(strnlen(a.date, sizeof(a.date)) == 8);
		FUZZ_CHECK(strnlen(a.signature, sizeof(a.signature)) == 64);
		for (i = 0; i < 64; i++)
			FUZZ_CHECK(is_hex(a.signature[i]));
		if (nl)
			canonical(nl + 1, &a);
	}
	free(s);
	return 0;
}
