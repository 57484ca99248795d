/* op_service: ListBuckets. */
#include <string.h>

#include "../common/httptime.h"
#include "../common/strutil.h"
#include "../common/xmlw.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"

#define MAX_BUCKETS_PAGE 10000u

struct bucket_walk {
	struct request *r;
	struct buf *xml;
	const char *prefix;
	const char *after; /* continuation: names strictly after this */
	uint64_t max;
	uint64_t count;
	char last[STRATA_BUCKET_NAME_MAX + 1];
	bool truncated;
	s3err_t err;
};

/* Lists only the caller's buckets: other users' names are not theirs to see. */
static bool visit_bucket(void *ctx, const struct bucket_info *b)
{
	struct bucket_walk *w = ctx;
	char date[25];

	if (strcmp(b->owner, w->r->auth.user.name) != 0 || !str_starts(b->name, w->prefix) ||
	    strcmp(b->name, w->after) <= 0)
		return true;
	if (w->count == w->max) {
		w->truncated = true;
		return false;
	}
	httptime_format_iso_ms(b->created_ms, date);
	if ((w->err = xmlw_open(w->xml, "Bucket")) ||
	    (w->err = xmlw_elem(w->xml, "Name", b->name)) ||
	    (w->err = xmlw_elem(w->xml, "CreationDate", date)) ||
	    (w->err = xmlw_elem(w->xml, "BucketRegion",
				b->region[0] ? b->region : w->r->srv->cfg->region)) ||
	    (w->err = xmlw_close(w->xml, "Bucket")))
		return false;
	str_copy(w->last, sizeof(w->last), b->name);
	w->count++;
	return true;
}

s3err_t op_list_buckets(struct request *r)
{
	const char *prefix = req_query(r, "prefix"), *token = req_query(r, "continuation-token");
	const char *max = req_query(r, "max-buckets");
	struct bucket_walk w = {r, NULL, prefix ? prefix : "", token ? token : "",
				MAX_BUCKETS_PAGE};
	char owner_id[65];
	struct buf xml;
	s3err_t err;

	if (req_has_query(r, "bucket-region"))
		return req_fail(r, S3E_NotImplemented,
				"bucket-region filtering is not implemented.");
	if (max && !parse_u64_str(max, 1, MAX_BUCKETS_PAGE, &w.max))
		return req_fail(r, S3E_InvalidArgument, "max-buckets must be 1 to 10000.");
	buf_init(&xml, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	w.xml = &xml;
	users_owner_id(r->auth.user.name, owner_id);
	if ((err = xmlw_begin(&xml, "ListAllMyBucketsResult")) ||
	    (err = xmlw_open(&xml, "Owner")) || (err = xmlw_elem(&xml, "ID", owner_id)) ||
	    (err = xmlw_elem(&xml, "DisplayName", r->auth.user.name)) ||
	    (err = xmlw_close(&xml, "Owner")) || (err = xmlw_open(&xml, "Buckets")))
		goto out;
	err = backend_bucket_list(r->srv->be, visit_bucket, &w);
	if (!err)
		err = w.err;
	if (err || (err = xmlw_close(&xml, "Buckets")))
		goto out;
	if (w.truncated && (err = xmlw_elem(&xml, "ContinuationToken", w.last)))
		goto out;
	if (prefix && (err = xmlw_elem(&xml, "Prefix", prefix)))
		goto out;
	if ((err = xmlw_close(&xml, "ListAllMyBucketsResult")))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	return err;
}
