/* conditions: If-Match / If-None-Match / If-(Un)Modified-Since. */
#include "conditions.h"

#include <string.h>
#include <time.h>

#include "../common/httptime.h"

bool cond_etag_listed(const char *list, const char *etag)
{
	const char *p = list;
	size_t elen = strlen(etag);

	while (*p) {
		const char *start, *end;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/') /* weak validators compare like strong ones here */
			p += 2;
		start = p;
		end = p + strcspn(p, ",");
		p = end;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - start >= 2 && *start == '"' && end[-1] == '"') {
			start++;
			end--;
		}
		if ((size_t)(end - start) == elen && memcmp(start, etag, elen) == 0)
			return true;
	}
	return false;
}

/* Last-Modified has second precision on the wire; compare in seconds. */
static time_t mtime_s(const struct obj_meta *m)
{
	return (time_t)(m->mtime_ms / 1000);
}

s3err_t cond_check(const struct conditions *c, const struct obj_meta *m, bool for_copy_source)
{
	time_t t;

	if (c->if_match) {
		if (!cond_etag_listed(c->if_match, m->etag))
			return S3E_PreconditionFailed;
	} else if (c->if_unmodified_since && httptime_parse_http(c->if_unmodified_since, &t) &&
		   mtime_s(m) > t) {
		return S3E_PreconditionFailed;
	}
	if (c->if_none_match) {
		if (cond_etag_listed(c->if_none_match, m->etag))
			return for_copy_source ? S3E_PreconditionFailed : S3E_NotModified;
	} else if (c->if_modified_since && httptime_parse_http(c->if_modified_since, &t) &&
		   mtime_s(m) <= t) {
		return for_copy_source ? S3E_PreconditionFailed : S3E_NotModified;
	}
	return S3E_OK;
}
