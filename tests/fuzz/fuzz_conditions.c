/*
 * fuzz_conditions: the conditional headers (gateway/conditions.c, pure:
 * header values and stored metadata in, a verdict out). Input: lines
 * If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, then the
 * object's ETag; an empty or missing line is an absent header. The object
 * was last modified on Sun, 06 Nov 1994 08:49:37 GMT.
 * Invariants: the verdict is OK, PreconditionFailed or NotModified; a copy
 * source never answers NotModified but PreconditionFailed where a GET would;
 * "*" is in every list, and so is the object's own ETag, quoted, alone or
 * after another one.
 */
#include "fuzz.h"

#include "../../common/strutil.h"
#include "../../gateway/conditions.h"

/* An ETag a client can quote back as is (Strata's are hex, "hex-N"). */
static int plain_etag(const char *e)
{
	if (!*e)
		return 0;
	for (; *e; e++)
		if (!((*e >= '0' && *e <= '9') || (*e >= 'a' && *e <= 'z') ||
		      (*e >= 'A' && *e <= 'Z') || *e == '-'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *lines[5] = {NULL}, *p = s, *nl;
	struct conditions c;
	struct obj_meta m;
	s3err_t get, copy;
	size_t i;

	for (i = 0; i < 5 && p; i++) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lines[i] = *p ? p : NULL;
		p = nl ? nl + 1 : NULL;
	}
	c.if_match = lines[0];
	c.if_none_match = lines[1];
	c.if_modified_since = lines[2];
	c.if_unmodified_since = lines[3];
	obj_meta_init(&m);
	m.size = 5;
	m.mtime_ms = 784111777000;
	str_copy(m.etag, sizeof(m.etag), lines[4] ? lines[4] : "5d41402abc4b2a76b9719d911017c592");

	get = cond_check(&c, &m, false);
	copy = cond_check(&c, &m, true);
	FUZZ_CHECK(get == S3E_OK || get == S3E_PreconditionFailed || get == S3E_NotModified);
	FUZZ_CHECK(copy == (get == S3E_NotModified ? S3E_PreconditionFailed : get));
	FUZZ_CHECK(cond_etag_listed("*", m.etag));
	if (plain_etag(m.etag)) {
		char list[2 * sizeof(m.etag) + 16];

		snprintf(list, sizeof(list), "\"%s\"", m.etag);
		FUZZ_CHECK(cond_etag_listed(list, m.etag));
		snprintf(list, sizeof(list), "\"x\" , \"%s\"", m.etag);
		FUZZ_CHECK(cond_etag_listed(list, m.etag));
	}
	if (lines[0])
		(void)cond_etag_listed(lines[0], m.etag);
	obj_meta_free(&m);
	free(s);
	return 0;
}
