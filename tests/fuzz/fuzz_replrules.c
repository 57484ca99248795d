/*
 * fuzz_replrules: PutBucketReplication bodies (rr_parse), with two sites
 * configured, "east" and "west" (arn:aws:s3:::B resolves to east).
 * Invariants: an error always comes with a message; a configuration that
 * parses renders (rr_to_xml) to XML that parses again and renders again to
 * the same bytes; rr_match never returns more destinations than asked for.
 */
#include "fuzz.h"

#include "../../common/buf.h"
#include "../../common/replrules.h"

static bool sites(void *ctx, const char *site, char out[RR_SITE_MAX + 1])
{
	(void)ctx;
	if (!site[0] || strcmp(site, "east") == 0) {
		memcpy(out, "east", sizeof("east"));
		return true;
	}
	if (strcmp(site, "west") == 0) {
		memcpy(out, "west", sizeof("west"));
		return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rr_config *c = malloc(sizeof(*c)), *again = malloc(sizeof(*again));
	const struct rr_rule *hits[RR_MAX_DESTINATIONS];
	struct buf x1, x2;
	const char *msg = NULL;
	s3err_t err;
	size_t n;

	if (!c || !again)
		abort();
	fuzz_xml_init();
	err = rr_parse((const char *)data, size, sites, NULL, c, &msg);
	if (err != S3E_OK) {
		FUZZ_CHECK(msg != NULL);
		goto out;
	}
	FUZZ_CHECK(c->nrules >= 1 && c->nrules <= RR_MAX_RULES);
	n = rr_match(c, "logs/2024/a.txt", false, hits, RR_MAX_DESTINATIONS);
	FUZZ_CHECK(n <= RR_MAX_DESTINATIONS);
	n = rr_match(c, "", true, hits, 1);
	FUZZ_CHECK(n <= 1);
	buf_init(&x1, 4 * RR_MAX_XML, S3E_InternalError);
	buf_init(&x2, 4 * RR_MAX_XML, S3E_InternalError);
	FUZZ_CHECK(rr_to_xml(c, &x1) == S3E_OK);
	FUZZ_CHECK(x1.len <= RR_MAX_XML);
	msg = NULL;
	err = rr_parse(x1.data, x1.len, sites, NULL, again, &msg);
	if (err != S3E_OK)
		fprintf(stderr, "re-parse: %d %s\n%.*s\n", (int)err, msg ? msg : "", (int)x1.len,
			x1.data);
	FUZZ_CHECK(err == S3E_OK);
	FUZZ_CHECK(again->nrules == c->nrules);
	FUZZ_CHECK(rr_to_xml(again, &x2) == S3E_OK);
	FUZZ_CHECK(x1.len == x2.len && memcmp(x1.data, x2.data, x1.len) == 0);
	rr_config_free(again);
	buf_free(&x2);
	buf_free(&x1);
	rr_config_free(c);
out:
	free(again);
	free(c);
	return 0;
}
