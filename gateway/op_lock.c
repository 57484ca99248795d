/*
 * op_lock: Object Lock (issue 12): the bucket's ObjectLockConfiguration, an
 * object version's Retention and LegalHold, the x-amz-object-lock-* headers
 * of writes and reads, and who may bypass GOVERNANCE retention.
 *
 * The rules themselves are enforced by the backend inside its own
 * transactions (backend.h "object lock"; posix_lock.c L1..L4): this module
 * parses, checks what AWS checks at the request, and maps the results.
 *
 * Who may bypass GOVERNANCE: the bucket's owner, with
 * x-amz-bypass-governance-retention: true. Every object route is owner-only
 * (ROUTE_OWNED), so the permission is the owner's alone; the users file has
 * no per-user policy to grant it more narrowly.
 */
#include <string.h>

#include "../common/httptime.h"
#include "../common/objlock.h"
#include "../common/strutil.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"

#define MISSING_LOCK_CONFIG "Bucket is missing Object Lock Configuration"

bool op_lock_bypass(struct request *r)
{
	const char *v = req_header(r, "x-amz-bypass-governance-retention");

	return v && str_ieq(v, "true") && strcmp(r->auth.user.name, r->bucket_info.owner) == 0;
}

s3err_t op_lock_config_get(struct request *r, struct objlock_cfg *cfg, bool *found)
{
	char doc[OBJLOCK_DOC_MAX];
	size_t len = 0;
	s3err_t err;

	*found = false;
	err = backend_bucket_config_get(r->srv->be, r->bucket, OBJLOCK_BUCKET_CONFIG, doc,
					sizeof(doc), &len, found);
	if (err == S3E_NotImplemented) {
		*found = false; /* a backend without documents has no lock */
		return S3E_OK;
	}
	if (err || !*found)
		return err;
	return objlock_cfg_decode(doc, len, cfg);
}

/* Whether the request carries a Content-MD5 or a checksum of its body (AWS's lock rule). */
static bool has_integrity_header(struct request *r)
{
	const char *trailer = req_header(r, "x-amz-trailer");
	size_t i;

	if (req_header(r, "Content-MD5") || req_header(r, "x-amz-sdk-checksum-algorithm") ||
	    (trailer && str_istarts(trailer, "x-amz-checksum-")))
		return true;
	for (i = 0; i < r->nheaders; i++)
		if (str_istarts(r->headers[i].name, "x-amz-checksum-") &&
		    !str_ieq(r->headers[i].name, "x-amz-checksum-type") &&
		    !str_ieq(r->headers[i].name, "x-amz-checksum-mode"))
			return true;
	return false;
}

s3err_t op_lock_headers(struct request *r, bool need_integrity, struct obj_meta *m)
{
	const char *mode = req_header(r, "x-amz-object-lock-mode");
	const char *date = req_header(r, "x-amz-object-lock-retain-until-date");
	const char *hold = req_header(r, "x-amz-object-lock-legal-hold");
	struct objlock_cfg cfg;
	bool found = false;
	s3err_t err;

	m->lock_mode = OBJLOCK_NONE;
	m->lock_until_ms = 0;
	m->legal_hold = false;
	if (!mode && !date && !hold)
		return S3E_OK;
	if (!mode != !date)
		return req_fail(r, S3E_InvalidArgument,
				"x-amz-object-lock-retain-until-date and x-amz-object-lock-mode "
				"must both be supplied");
	if (mode && (m->lock_mode = objlock_mode_parse(mode)) == OBJLOCK_NONE)
		return req_fail(r, S3E_InvalidArgument, "Unknown wormMode directive.");
	if (date && !objlock_parse_date(date, &m->lock_until_ms))
		return req_fail(r, S3E_InvalidArgument,
				"The retain until date must be provided in ISO 8601 format");
	if (date && m->lock_until_ms <= httptime_now_ms())
		return req_fail(r, S3E_InvalidArgument,
				"The retain until date must be in the future!");
	if (hold && strcmp(hold, "ON") != 0 && strcmp(hold, "OFF") != 0)
		return req_fail(r, S3E_InvalidArgument,
				"Legal Hold must be either of 'ON' or 'OFF'");
	m->legal_hold = hold && strcmp(hold, "ON") == 0;
	if (need_integrity && !has_integrity_header(r))
		return req_fail(r, S3E_InvalidRequest,
				"Content-MD5 OR x-amz-checksum- HTTP header is required for Put "
				"Object requests with Object Lock parameters");
	err = op_lock_config_get(r, &cfg, &found);
	if (err)
		return req_fail(r, err, NULL);
	if (!found)
		return req_fail(r, S3E_InvalidRequest, MISSING_LOCK_CONFIG);
	return S3E_OK;
}

s3err_t op_lock_commit_error(struct request *r, s3err_t err)
{
	/* The backend found no lock configuration after all (removed meanwhile). */
	return err == S3E_InvalidRequest ? req_fail(r, err, MISSING_LOCK_CONFIG) : err;
}

void op_lock_response_headers(struct request *r, const struct obj_meta *m)
{
	char date[25];

	if (m->lock_mode != OBJLOCK_NONE) {
		httptime_format_iso_ms(m->lock_until_ms, date);
		resp_header(r, "x-amz-object-lock-mode", objlock_mode_name(m->lock_mode));
		resp_header(r, "x-amz-object-lock-retain-until-date", date);
	}
	if (m->legal_hold)
		resp_header(r, "x-amz-object-lock-legal-hold", "ON");
}

/* --- the bucket's configuration --- */

s3err_t op_put_bucket_object_lock(struct request *r)
{
	struct objlock_cfg cfg;
	char doc[OBJLOCK_DOC_MAX];
	s3err_t err;

	if (!backend_can_lock(r->srv->be))
		return req_fail(r, S3E_NotImplemented,
				"Object Lock is not available with this home backend.");
	if (req_header(r, "x-amz-bucket-object-lock-token"))
		return req_fail(r, S3E_NotImplemented, "Object Lock tokens are not implemented.");
	err = objlock_parse_config(buf_str(&r->xml), r->xml.len, &cfg);
	if (!err)
		err = objlock_cfg_encode(&cfg, doc);
	if (err)
		return req_fail(r, err, NULL);
	/* AWS allows enabling lock on an existing bucket whose versioning is Enabled. */
	err = backend_bucket_lock_put(r->srv->be, r->bucket, doc, strlen(doc));
	if (err == S3E_InvalidBucketState)
		return req_fail(r, err,
				"Versioning must be 'Enabled' on the bucket to apply a Object Lock "
				"configuration");
	if (err)
		return req_fail(r, err, NULL);
	return resp_ok_empty(r);
}

s3err_t op_get_bucket_object_lock(struct request *r)
{
	struct objlock_cfg cfg;
	bool found = false;
	struct buf xml;
	s3err_t err;

	err = op_lock_config_get(r, &cfg, &found);
	if (err)
		return req_fail(r, err, NULL);
	if (!found)
		return S3E_ObjectLockConfigurationNotFoundError;
	buf_init(&xml, 4096, S3E_InternalError);
	err = objlock_render_config(&xml, &cfg);
	if (!err)
		err = resp_xml(r, &xml);
	buf_free(&xml);
	return err;
}

/* --- a version's retention and legal hold --- */

/* The version's metadata, after the bucket's lock is checked (InvalidRequest without). */
static s3err_t lock_target(struct request *r, const char **vid, struct obj_meta *m)
{
	struct objlock_cfg cfg;
	bool found = false;
	s3err_t err;

	if ((err = op_version_id(r, vid)))
		return err;
	err = op_lock_config_get(r, &cfg, &found);
	if (err)
		return req_fail(r, err, NULL);
	if (!found)
		return req_fail(r, S3E_InvalidRequest, MISSING_LOCK_CONFIG);
	return backend_object_head_v(r->srv->be, r->bucket, r->key, *vid, m);
}

/* Maps object_lock_set's answer. */
static s3err_t lock_set(struct request *r, const char *vid, const struct lock_change *ch)
{
	s3err_t err = backend_object_lock_set(r->srv->be, r->bucket, r->key, vid, ch);

	if (err == S3E_InvalidRequest)
		return req_fail(r, err, MISSING_LOCK_CONFIG);
	return err ? err : resp_ok_empty(r);
}

/* Reads a PutObjectRetention / PutObjectLegalHold body into ch (a req_fail'd error). */
typedef s3err_t (*change_parse_fn)(struct request *r, struct lock_change *ch);

static s3err_t retention_change(struct request *r, struct lock_change *ch)
{
	s3err_t err =
	    objlock_parse_retention(buf_str(&r->xml), r->xml.len, &ch->mode, &ch->until_ms);

	if (err)
		return req_fail(r, err, NULL);
	if (ch->mode != OBJLOCK_NONE && ch->until_ms <= httptime_now_ms())
		return req_fail(r, S3E_InvalidArgument,
				"The retain until date must be in the future!");
	ch->set_retention = true;
	ch->bypass_governance = op_lock_bypass(r);
	return S3E_OK;
}

static s3err_t hold_change(struct request *r, struct lock_change *ch)
{
	s3err_t err = objlock_parse_legal_hold(buf_str(&r->xml), r->xml.len, &ch->legal_hold);

	if (err)
		return req_fail(r, err, NULL);
	ch->set_hold = true;
	return S3E_OK;
}

/* Put{ObjectRetention,ObjectLegalHold}: parse, find the version, change its lock. */
static s3err_t lock_put(struct request *r, change_parse_fn parse)
{
	struct lock_change ch = {0};
	const char *vid = NULL;
	struct obj_meta m;
	s3err_t err;

	obj_meta_init(&m);
	if (!backend_can_lock(r->srv->be)) {
		err = req_fail(r, S3E_NotImplemented,
			       "Object Lock is not available with this home backend.");
		goto out;
	}
	if ((err = parse(r, &ch)) || (err = lock_target(r, &vid, &m)))
		goto out;
	err = lock_set(r, vid, &ch);
out:
	obj_meta_free(&m);
	return err;
}

/* Writes a Get{ObjectRetention,ObjectLegalHold} document of a version's lock into xml. */
typedef s3err_t (*lock_render_fn)(struct buf *xml, const struct obj_meta *m);

static s3err_t render_retention(struct buf *xml, const struct obj_meta *m)
{
	if (m->lock_mode == OBJLOCK_NONE)
		return S3E_NoSuchObjectLockConfiguration;
	return objlock_render_retention(xml, m->lock_mode, m->lock_until_ms);
}

static s3err_t render_hold(struct buf *xml, const struct obj_meta *m)
{
	return objlock_render_legal_hold(xml, m->legal_hold);
}

static s3err_t lock_get(struct request *r, lock_render_fn render)
{
	const char *vid = NULL;
	struct obj_meta m;
	struct buf xml;
	s3err_t err;

	obj_meta_init(&m);
	buf_init(&xml, 4096, S3E_InternalError);
	if ((err = lock_target(r, &vid, &m)) || (err = render(&xml, &m)))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	obj_meta_free(&m);
	return err;
}

s3err_t op_put_object_retention(struct request *r)
{
	return lock_put(r, retention_change);
}

s3err_t op_get_object_retention(struct request *r)
{
	return lock_get(r, render_retention);
}

s3err_t op_put_object_legal_hold(struct request *r)
{
	return lock_put(r, hold_change);
}

s3err_t op_get_object_legal_hold(struct request *r)
{
	return lock_get(r, render_hold);
}
