/*
 * objlock: Object Lock documents (issue 12): the bucket's
 * ObjectLockConfiguration, an object's Retention and LegalHold, parsed from
 * and rendered to the S3 XML, and the compact form the bucket's
 * configuration document "object-lock" stores.
 *
 * A lock's rules (AWS): a version under retention (until a date) or legal
 * hold cannot be deleted by id. GOVERNANCE retention yields to a permitted
 * caller that sends x-amz-bypass-governance-retention; COMPLIANCE yields to
 * nobody and can only be extended. The backend enforces them (posix_lock.c).
 */
#ifndef STRATA_OBJLOCK_H
#define STRATA_OBJLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "s3err.h"

/* A retention mode; the values are stored in the index (objects.lock_mode). */
enum objlock_mode {
	OBJLOCK_NONE = 0,
	OBJLOCK_GOVERNANCE = 1,
	OBJLOCK_COMPLIANCE = 2,
};

/* The bucket's configuration: lock enabled, and an optional default retention. */
struct objlock_cfg {
	int mode;      /* OBJLOCK_NONE: no DefaultRetention rule */
	uint32_t days; /* exactly one of days and years when mode is set */
	uint32_t years;
};

#define OBJLOCK_DOC_MAX 64u	/* bytes of the stored compact form */
#define OBJLOCK_MAX_DAYS 36500u /* 100 years: AWS's own ceiling */
#define OBJLOCK_MAX_YEARS 100u
#define OBJLOCK_BUCKET_CONFIG "object-lock" /* the bucket configuration document's name */

/* "GOVERNANCE" / "COMPLIANCE" -> mode; OBJLOCK_NONE for anything else (case matters, as AWS). */
int objlock_mode_parse(const char *s);
/* The S3 name of a mode, "" for OBJLOCK_NONE. */
const char *objlock_mode_name(int mode);

/*
 * Parses an ObjectLockConfiguration body. ObjectLockEnabled must be
 * "Enabled"; a Rule must hold a DefaultRetention with a Mode and exactly one
 * of Days and Years. Errors, as AWS answers them: S3E_MalformedXML (shape,
 * unknown mode or enabled value, Days and Years together or neither),
 * S3E_InvalidRetentionPeriod (zero, negative or past 100 years).
 */
s3err_t objlock_parse_config(const char *body, size_t len, struct objlock_cfg *out);
/* Appends the ObjectLockConfiguration document of cfg to b. */
s3err_t objlock_render_config(struct buf *b, const struct objlock_cfg *cfg);

/* The stored form: "Enabled" or "Enabled GOVERNANCE|COMPLIANCE D|Y N". */
s3err_t objlock_cfg_encode(const struct objlock_cfg *cfg, char out[OBJLOCK_DOC_MAX]);
/* Decodes the stored form. Errors: S3E_InternalError (not a form encode writes). */
s3err_t objlock_cfg_decode(const char *doc, size_t len, struct objlock_cfg *out);
/* The retain-until (ms) the bucket's default rule gives a version written at now_ms; 0: none. */
int64_t objlock_default_until(const struct objlock_cfg *cfg, int64_t now_ms);

/*
 * Parses a Retention body: Mode and RetainUntilDate (ISO 8601, second
 * precision kept), both or neither (an empty Retention removes it: *mode
 * OBJLOCK_NONE, *until_ms 0). Errors: S3E_MalformedXML.
 */
s3err_t objlock_parse_retention(const char *body, size_t len, int *mode, int64_t *until_ms);
/* Appends a Retention document. */
s3err_t objlock_render_retention(struct buf *b, int mode, int64_t until_ms);
/* Parses a LegalHold body: Status ON or OFF. Errors: S3E_MalformedXML. */
s3err_t objlock_parse_legal_hold(const char *body, size_t len, bool *on);
/* Appends a LegalHold document. */
s3err_t objlock_render_legal_hold(struct buf *b, bool on);

/* x-amz-object-lock-retain-until-date / RetainUntilDate: ISO 8601 -> ms. */
bool objlock_parse_date(const char *s, int64_t *out_ms);

#endif
