/*
 * rules: what a lifecycle configuration means for one object or upload at a
 * given time. Pure functions (no I/O, no clock, no globals), tested as tables.
 *
 * Time: a rule's Days count from the object's creation (its Last-Modified)
 * and, as on AWS, the result is rounded up to the next day boundary (midnight
 * UTC when a day is 86400 s). A day is day_ms long so that tests can run a
 * "90 days" rule in seconds (config lifecycle_day_seconds); boundaries are
 * multiples of day_ms since the epoch. A Date applies from that instant on.
 *
 * Precedence (AWS): an expiration due wins over any transition; of the
 * transitions due, the coldest class wins; a transition never moves an
 * object to a class that is not colder than its current one
 * (lc_class_rank in common/lcrules.h). Disabled rules do nothing.
 *
 * Versions (issue 12): lc_evaluate is for a key's current data version
 * (its Expiration in a versioned bucket makes a delete marker: the
 * backend's delete). lc_evaluate_version is for the others: a noncurrent
 * version (data or delete marker) and the latest delete marker of a key.
 *  - A noncurrent version's NoncurrentDays count from the instant it became
 *    noncurrent: the mtime of the next newer version of its key (its
 *    successor, which the scan sees just before it), rounded up like Days.
 *    NewerNoncurrentVersions n: the version is eligible only with at least
 *    n newer noncurrent versions of its key (delete markers included, as
 *    they are versions). NoncurrentVersionExpiration wins over any
 *    noncurrent transition; of those due, the coldest class wins, never to
 *    a class not colder than the version's. A noncurrent delete marker is
 *    never transitioned (it has no data).
 *  - A latest delete marker that is its key's only version (an "expired
 *    object delete marker") is removed by a rule with
 *    ExpiredObjectDeleteMarker true, or by an Expiration whose Days (from
 *    the marker's mtime) or Date is due (AWS removes such markers then).
 *    A marker with other versions is kept.
 *  - Filters apply as to objects, a delete marker counting as size 0.
 */
#ifndef STRATA_LC_RULES_H
#define STRATA_LC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/lcrules.h"

/* What an object looks like to the rules. */
struct lc_object {
	const char *key;
	uint64_t size;
	int64_t mtime_ms;	   /* creation (Last-Modified) */
	const char *storage_class; /* "" or "STANDARD" = STANDARD */
	/* Tags: none until object tagging exists; a Tag filter then matches nothing. */
	size_t ntags;
	const struct lc_tag *tags;
};

enum lc_action_kind {
	LC_KEEP,       /* nothing due */
	LC_EXPIRE,     /* delete the object */
	LC_TRANSITION, /* move it to storage_class */
};

struct lc_action {
	enum lc_action_kind kind;
	const char *storage_class; /* LC_TRANSITION: points into the configuration */
	const char *rule_id; /* the rule that decided (into the configuration); NULL for KEEP */
};

/* What a version other than the current data version looks like to the rules. */
struct lc_version {
	struct lc_object o;	     /* key, size (0 for a marker), mtime_ms, class, tags */
	bool delete_marker;	     /* a delete marker */
	bool latest;		     /* the key's latest version (then a delete marker) */
	bool alone;		     /* latest only: the key has no other version */
	int64_t noncurrent_since_ms; /* noncurrent only: its successor's mtime */
	uint32_t newer_noncurrent;   /* noncurrent only: newer noncurrent versions of its key */
};

/* True when the rule's filter selects o. */
bool lc_rule_matches(const struct lc_rule *r, const struct lc_object *o);

/* The action due for o at now_ms (see precedence above). */
struct lc_action lc_evaluate(const struct lc_config *c, const struct lc_object *o, int64_t now_ms,
			     int64_t day_ms);

/*
 * The action due for v at now_ms (see "Versions" above): LC_EXPIRE removes
 * that version for good (or the lone marker), LC_TRANSITION moves that
 * version; LC_KEEP for a latest version that is not a lone marker.
 */
struct lc_action lc_evaluate_version(const struct lc_config *c, const struct lc_version *v,
				     int64_t now_ms, int64_t day_ms);

/*
 * True when an enabled rule with AbortIncompleteMultipartUpload whose filter
 * (prefix, size bounds ignored: an upload has no size yet; a tag filter never
 * applies, AWS forbids it there) selects key says an upload initiated at
 * initiated_ms is stale at now_ms.
 */
bool lc_upload_expired(const struct lc_config *c, const char *key, int64_t initiated_ms,
		       int64_t now_ms, int64_t day_ms);

/* The instant `days` days after t, rounded up to the next day boundary (AWS's rule). */
int64_t lc_due_ms(int64_t t_ms, uint32_t days, int64_t day_ms);

#endif
