/* op_bucket: bucket lifecycle and the small bucket documents. */
#include <stdio.h>
#include <string.h>

#include "../common/httptime.h"
#include "../common/objlock.h"
#include "../common/strutil.h"
#include "../common/xmlin.h"
#include "../common/xmlw.h"
#include "ops.h"
#include "replication.h"
#include "request.h"
#include "response.h"
#include "server.h"

/* Canned ACLs Strata enforces as written: only the owner has access. */
static bool acl_is_private(const char *acl)
{
	return !acl || strcmp(acl, "private") == 0 || strcmp(acl, "bucket-owner-full-control") == 0;
}

/* Grants and public ACLs would be accepted and then not enforced: refuse them. */
static s3err_t refuse_acl_headers(struct request *r)
{
	size_t i;

	if (!acl_is_private(req_header(r, "x-amz-acl")))
		return req_fail(r, S3E_NotImplemented,
				"Strata enforces owner-only access; only the 'private' canned "
				"ACL is supported.");
	for (i = 0; i < r->nheaders; i++)
		if (str_istarts(r->headers[i].name, "x-amz-grant-"))
			return req_fail(r, S3E_NotImplemented,
					"ACL grants are not implemented; access is owner-only.");
	return S3E_OK;
}

s3err_t op_create_bucket(struct request *r)
{
	const struct config *cfg = r->srv->cfg;
	struct bucket_info b = {0}, existing;
	char region[STRATA_MAX_REGION_LEN + 1] = "";
	const char *lock = req_header(r, "x-amz-bucket-object-lock-enabled");
	const char *own = req_header(r, "x-amz-object-ownership");
	s3err_t err;

	if ((err = refuse_acl_headers(r)))
		return err;
	/* The s3 home cannot keep versions, so it cannot lock them either. */
	if (lock && !str_ieq(lock, "false") && !backend_can_lock(r->srv->be))
		return req_fail(r, S3E_NotImplemented,
				"Object Lock is not available with this home backend.");
	if (own && strcmp(own, "BucketOwnerEnforced") != 0)
		return req_fail(r, S3E_NotImplemented,
				"Only the BucketOwnerEnforced object ownership is supported.");
	err = xmlin_parse_create_bucket(buf_str(&r->xml), r->xml.len, region, sizeof(region));
	if (err)
		return req_fail(r, err, NULL);
	/* One region per Strata: a constraint naming another one cannot be honoured. */
	if (region[0] && strcmp(region, cfg->region) != 0)
		return req_failf(r, S3E_InvalidLocationConstraint,
				 "The specified location-constraint is not valid; this endpoint "
				 "serves '%s'.",
				 cfg->region);
	if (backend_bucket_get(r->srv->be, r->bucket, &existing) == S3E_OK) {
		if (strcmp(existing.owner, r->auth.user.name) != 0)
			return S3E_BucketAlreadyExists;
		/* AWS answers 409 BucketAlreadyOwnedByYou in every region but us-east-1,
		 * where re-creating one's own bucket is a 200 that only resets its ACL
		 * (always private here): nothing changes. */
		if (strcmp(cfg->region, "us-east-1") != 0)
			return S3E_BucketAlreadyOwnedByYou;
		goto answer;
	}
	str_copy(b.name, sizeof(b.name), r->bucket);
	str_copy(b.owner, sizeof(b.owner), r->auth.user.name);
	str_copy(b.region, sizeof(b.region), region);
	b.created_ms = httptime_now_ms();
	b.object_lock = lock && str_ieq(lock, "true"); /* with versioning Enabled, atomically */
	err = backend_bucket_create(r->srv->be, &b);
	if (err == S3E_BucketAlreadyExists) /* lost a race with another creator */
		return S3E_BucketAlreadyExists;
	if (err)
		return err;
answer:
	err = resp_ok_empty(r);
	if (!err) {
		char loc[STRATA_BUCKET_NAME_MAX + 2];

		snprintf(loc, sizeof(loc), "/%s", r->bucket);
		resp_header(r, "Location", loc);
	}
	return err;
}

s3err_t op_head_bucket(struct request *r)
{
	s3err_t err = resp_ok_empty(r);

	if (!err)
		resp_header(r, "x-amz-bucket-region",
			    r->bucket_info.region[0] ? r->bucket_info.region : r->srv->cfg->region);
	return err;
}

s3err_t op_delete_bucket(struct request *r)
{
	s3err_t err = backend_bucket_delete(r->srv->be, r->bucket);

	/* Its documents went with it: a bucket made again under the name has no rules. */
	repl_cache_invalidate(r->srv->repl_cache, r->bucket);
	return err ? err : resp_no_content(r);
}

s3err_t op_get_bucket_location(struct request *r)
{
	struct buf xml;
	s3err_t err;

	buf_init(&xml, 4096, S3E_InternalError);
	/* us-east-1 is the empty constraint, as AWS answers. */
	if ((err = xmlw_begin(&xml, "LocationConstraint")) ||
	    (err = xmlw_text(&xml, r->bucket_info.region, strlen(r->bucket_info.region))) ||
	    (err = xmlw_close(&xml, "LocationConstraint")))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	return err;
}

/* Never versioned: AWS answers an empty configuration (no Status). */
s3err_t op_get_bucket_versioning(struct request *r)
{
	char doc[16];
	bool found = false;
	size_t len = 0;
	struct buf xml;
	s3err_t err;

	err = backend_bucket_config_get(r->srv->be, r->bucket, VERSIONING_BUCKET_CONFIG, doc,
					sizeof(doc) - 1, &len, &found);
	if (err == S3E_NotImplemented)
		found = false; /* a backend without documents was never versioned */
	else if (err)
		return req_fail(r, err, NULL);
	doc[found ? len : 0] = '\0';
	buf_init(&xml, 4096, S3E_InternalError);
	if ((err = xmlw_begin(&xml, "VersioningConfiguration")) ||
	    (found && (err = xmlw_elem(&xml, "Status", doc))) ||
	    (err = xmlw_close(&xml, "VersioningConfiguration")))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	return err;
}

/*
 * Enabled or Suspended, stored as the bucket's VERSIONING_BUCKET_CONFIG; a
 * configuration without Status changes nothing (as AWS). A backend without
 * the versioning slots (the s3 home) answers NotImplemented to both states:
 * it could not keep a single version.
 */
s3err_t op_put_bucket_versioning(struct request *r)
{
	enum versioning_status st = VERSIONING_ABSENT;
	const char *doc;
	s3err_t err;

	if (req_header(r, "x-amz-mfa"))
		return req_fail(r, S3E_NotImplemented, "MFA delete is not implemented by Strata.");
	err = xmlin_parse_versioning(buf_str(&r->xml), r->xml.len, &st);
	if (err == S3E_NotImplemented)
		return req_fail(r, err, "MFA delete is not implemented by Strata.");
	if (err)
		return req_fail(r, err, NULL);
	if (st == VERSIONING_ABSENT)
		return resp_ok_empty(r);
	if (!backend_can_version(r->srv->be))
		return req_fail(r, S3E_NotImplemented,
				"Versioning is not available with this home backend.");
	doc = st == VERSIONING_ENABLED ? "Enabled" : "Suspended";
	/* L2 (posix_lock.c): a lock-enabled bucket keeps every version; the write refuses. */
	err = backend_bucket_config_put(r->srv->be, r->bucket, VERSIONING_BUCKET_CONFIG, doc,
					strlen(doc));
	if (err == S3E_InvalidBucketState)
		return req_fail(r, err,
				"An Object Lock configuration is present on this bucket, so the "
				"versioning state cannot be changed.");
	if (err)
		return req_fail(r, err, NULL);
	return resp_ok_empty(r);
}

/* The truthful ACL: the owner has FULL_CONTROL and nobody else anything. */
s3err_t op_get_acl(struct request *r)
{
	char id[65];
	struct buf xml;
	s3err_t err;

	if (r->key) {
		struct obj_meta m;

		obj_meta_init(&m);
		err = backend_object_head(r->srv->be, r->bucket, r->key, &m);
		obj_meta_free(&m);
		if (err)
			return err;
	}
	users_owner_id(r->bucket_info.owner, id);
	buf_init(&xml, 8192, S3E_InternalError);
	if ((err = xmlw_begin(&xml, "AccessControlPolicy")) || (err = xmlw_open(&xml, "Owner")) ||
	    (err = xmlw_elem(&xml, "ID", id)) ||
	    (err = xmlw_elem(&xml, "DisplayName", r->bucket_info.owner)) ||
	    (err = xmlw_close(&xml, "Owner")) || (err = xmlw_open(&xml, "AccessControlList")) ||
	    (err = buf_adds(&xml, "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/"
				  "XMLSchema-instance\" xsi:type=\"CanonicalUser\">")) ||
	    (err = xmlw_elem(&xml, "ID", id)) ||
	    (err = xmlw_elem(&xml, "DisplayName", r->bucket_info.owner)) ||
	    (err = buf_adds(&xml, "</Grantee><Permission>FULL_CONTROL</Permission></Grant>")) ||
	    (err = xmlw_close(&xml, "AccessControlList")) ||
	    (err = xmlw_close(&xml, "AccessControlPolicy")))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	return err;
}

/*
 * Only the canned "private" ACL (what Strata enforces anyway) is accepted; an
 * AccessControlPolicy body could grant others access Strata would not give.
 */
s3err_t op_put_acl(struct request *r)
{
	s3err_t err = refuse_acl_headers(r);

	if (err)
		return err;
	if (r->xml.len)
		return req_fail(r, S3E_NotImplemented,
				"ACL documents are not implemented; use the 'private' canned ACL.");
	if (r->key) {
		struct obj_meta m;

		obj_meta_init(&m);
		err = backend_object_head(r->srv->be, r->bucket, r->key, &m);
		obj_meta_free(&m);
		if (err)
			return err;
	}
	return resp_ok_empty(r);
}
