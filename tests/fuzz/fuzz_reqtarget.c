/*
 * fuzz_reqtarget: the request target and Host header as req_parse resolves
 * them (gateway/reqtarget.c): path and query decoding, virtual-host and
 * path style, bucket and key. Input: the Host header on the first line
 * (an empty line: no Host), then the request target (a NUL ends it, as
 * libmicrohttpd's C string would). Domains: s3.example.com and localhost.
 * Invariants: only documented errors; on success raw_path is the target up
 * to '?', the path has no NUL, the bucket is "" or a valid name, the key
 * NULL or valid, and they are the path's pieces (path style) or the Host's
 * and the path's (virtual host); the pieces percent-encoded again parse to
 * the same pieces.
 */
#include "fuzz.h"

#include "../../common/buf.h"
#include "../../common/names.h"
#include "../../common/strutil.h"
#include "../../gateway/reqtarget.h"

#define ARENA_CAP (4u * STRATA_MAX_URI_LEN + 65536u) /* as server.c's REQUEST_ARENA_CAP */
#define ROUND_TRIP_MAX 4096u /* longer targets may re-encode past the arena cap */

static const char *const domains[] = {"s3.example.com", "localhost"};

/* "/[bucket/]key?name=value&..." from t's pieces, every piece percent-encoded. */
static void encode(const struct req_target *t, struct buf *b)
{
	size_t i;

	FUZZ_CHECK(buf_adds(b, "/") == S3E_OK);
	if (!t->virtual_host && t->bucket[0])
		FUZZ_CHECK(buf_addf(b, "%s/", t->bucket) == S3E_OK);
	if (t->key)
		FUZZ_CHECK(uri_encode(b, t->key, t->key_len, true) == S3E_OK);
	for (i = 0; i < t->nquery; i++) {
		FUZZ_CHECK(buf_adds(b, i ? "&" : "?") == S3E_OK);
		FUZZ_CHECK(uri_encode(b, t->query[i].name, strlen(t->query[i].name), false) ==
			   S3E_OK);
		FUZZ_CHECK(buf_adds(b, "=") == S3E_OK);
		FUZZ_CHECK(uri_encode(b, t->query[i].value, strlen(t->query[i].value), false) ==
			   S3E_OK);
	}
}

static void check_pieces(const struct req_target *t, const char *uri, const char *host)
{
	size_t plen = strcspn(uri, "?"), blen = strlen(t->bucket), i;

	FUZZ_CHECK(strlen(t->raw_path) == plen && memcmp(t->raw_path, uri, plen) == 0);
	FUZZ_CHECK(t->path[0] == '/');
	FUZZ_CHECK(t->nquery <= STRATA_MAX_QUERY_PARAMS);
	for (i = 0; i < t->nquery; i++)
		FUZZ_CHECK(t->query[i].name && t->query[i].value);
	FUZZ_CHECK(blen == 0 || names_bucket_valid(t->bucket));
	if (t->key) {
		FUZZ_CHECK(t->key_len >= 1 && t->key_len <= STRATA_MAX_KEY_LEN);
		FUZZ_CHECK(strlen(t->key) == t->key_len);
		FUZZ_CHECK(names_key_check(t->key, t->key_len) == S3E_OK);
	} else {
		FUZZ_CHECK(t->key_len == 0);
	}
	if (t->virtual_host) {
		/* "<bucket>.<domain>[:port]", the key the whole path */
		FUZZ_CHECK(host && blen > 0 && strncmp(host, t->bucket, blen) == 0);
		FUZZ_CHECK(host[blen] == '.');
		FUZZ_CHECK(strcmp(t->path + 1, t->key ? t->key : "") == 0);
	} else if (blen == 0) {
		FUZZ_CHECK(strcmp(t->path, "/") == 0 && !t->key); /* the service */
	} else {
		/* "/bucket[/[key]]" */
		FUZZ_CHECK(strncmp(t->path + 1, t->bucket, blen) == 0);
		FUZZ_CHECK(t->path[1 + blen] == '\0' || t->path[1 + blen] == '/');
		if (t->key)
			FUZZ_CHECK(strcmp(t->path + 2 + blen, t->key) == 0);
		else
			FUZZ_CHECK(t->path[1 + blen] == '\0' || t->path[2 + blen] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest;
	size_t rest_size, hlen = fuzz_line(data, size, &rest, &rest_size), i;
	char *hostbuf = fuzz_cstr(data, hlen), *uri = fuzz_cstr(rest, rest_size);
	const char *host = hlen ? hostbuf : NULL;
	struct req_target t, t2;
	struct arena a, a2;
	struct buf b;
	s3err_t err;

	arena_init(&a, ARENA_CAP);
	err = reqtarget_parse(&a, uri, host, domains, 2, &t);
	if (err) {
		FUZZ_CHECK(err == S3E_InvalidURI || err == S3E_InvalidBucketName ||
			   err == S3E_KeyTooLongError || err == S3E_InvalidArgument ||
			   err == S3E_InternalError);
		FUZZ_CHECK(t.nquery <= STRATA_MAX_QUERY_PARAMS);
		goto out;
	}
	check_pieces(&t, uri, host);
	if (size > ROUND_TRIP_MAX)
		goto out;

	buf_init(&b, 8 * ARENA_CAP, S3E_InternalError);
	encode(&t, &b);
	arena_init(&a2, ARENA_CAP);
	err = reqtarget_parse(&a2, buf_str(&b), host, domains, 2, &t2);
	FUZZ_CHECK(err == S3E_OK);
	check_pieces(&t2, buf_str(&b), host);
	FUZZ_CHECK(t2.virtual_host == t.virtual_host && strcmp(t2.bucket, t.bucket) == 0);
	FUZZ_CHECK(t2.key_len == t.key_len && (!t.key) == (!t2.key));
	FUZZ_CHECK(!t.key || memcmp(t2.key, t.key, t.key_len) == 0);
	/* ("/bucket/" comes back as "/bucket") */
	FUZZ_CHECK(strcmp(t2.path, t.path) == 0 || (!t.key && !t.virtual_host));
	FUZZ_CHECK(t2.nquery == t.nquery);
	for (i = 0; i < t.nquery; i++)
		FUZZ_CHECK(strcmp(t2.query[i].name, t.query[i].name) == 0 &&
			   strcmp(t2.query[i].value, t.query[i].value) == 0);
	arena_free(&a2);
	buf_free(&b);
out:
	arena_free(&a);
	free(uri);
	free(hostbuf);
	return 0;
}
