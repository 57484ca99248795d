/*
 * lcrules: a bucket's lifecycle configuration (PutBucketLifecycleConfiguration)
 * as Strata holds it, parsed from and written back to S3's XML (issue 6).
 *
 * The rule language is AWS's: ID, Status, a Filter (Prefix, Tag,
 * ObjectSizeGreaterThan, ObjectSizeLessThan, or an And of them) or the legacy
 * top-level Prefix, Transitions (Days or Date, StorageClass; several per
 * rule), Expiration (Days or Date), AbortIncompleteMultipartUpload
 * (DaysAfterInitiation), and the versioning actions (issue 12):
 * NoncurrentVersionTransition (NoncurrentDays, StorageClass,
 * NewerNoncurrentVersions; several per rule), NoncurrentVersionExpiration
 * (NoncurrentDays, NewerNoncurrentVersions) and Expiration's
 * ExpiredObjectDeleteMarker.
 *
 * What the rules mean at a given time is lifecycle/rules.h (a pure function).
 *
 * Deviations from AWS, on purpose:
 *  - AWS's minimum ages ("'Days' in Transition action must be greater than
 *    or equal to 30 for storageClass 'STANDARD_IA'", 90 days between
 *    GLACIER and DEEP_ARCHIVE, ...) are not enforced: Strata's day length is
 *    configurable (lifecycle_day_seconds) so that tests can run short rules,
 *    and the minimums are billing rules of AWS's storage, not Strata's.
 *  - Lengths are bytes (IDs, tag keys and values): the struct holds bytes.
 *  - AWS appends the rule's filter to some messages ("... for filter
 *    '(prefix=logs/)'"); *message is static, so that part is left out.
 */
#ifndef STRATA_LCRULES_H
#define STRATA_LCRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "limits.h"
#include "s3err.h"

#define LC_MAX_RULES 1000u     /* AWS's limit per configuration */
#define LC_ID_MAX 255u	       /* characters of a rule ID, as AWS */
#define LC_MAX_TRANSITIONS 8u  /* per rule (one per colder class is all that is useful) */
#define LC_MAX_FILTER_TAGS 10u /* tags in one And */
#define LC_TAG_KEY_MAX 128u    /* AWS tag limits */
#define LC_TAG_VALUE_MAX 256u
#define LC_MAX_XML (512u * 1024) /* body cap for PutBucketLifecycleConfiguration */
#define LC_NEWER_MAX 100u	 /* NewerNoncurrentVersions at most (AWS's limit) */

/* When an action applies: after Days (counted from the object's creation) or on a Date. */
struct lc_when {
	bool has_days;
	uint32_t days; /* >= 1 (0 is allowed only for Transition, as AWS) */
	bool has_date;
	int64_t date_ms; /* midnight UTC, ms since the epoch */
};

struct lc_tag {
	char key[LC_TAG_KEY_MAX + 1];
	char value[LC_TAG_VALUE_MAX + 1];
};

/* Which objects a rule applies to (every condition must hold). */
struct lc_filter {
	char prefix[STRATA_MAX_KEY_LEN + 1]; /* "" = every key */
	size_t ntags;
	struct lc_tag tags[LC_MAX_FILTER_TAGS];
	bool has_size_gt;
	uint64_t size_gt; /* ObjectSizeGreaterThan: size > size_gt */
	bool has_size_lt;
	uint64_t size_lt; /* ObjectSizeLessThan: size < size_lt */
};

/* How the filter was written, so GetBucketLifecycleConfiguration gives back its shape. */
enum lc_filter_form {
	LC_FORM_LEGACY_PREFIX, /* <Rule><Prefix>p</Prefix> (no Filter element) */
	LC_FORM_EMPTY,	       /* <Filter/> or <Filter></Filter>: every object */
	LC_FORM_SINGLE,	       /* <Filter> with exactly one condition, no And */
	LC_FORM_AND,	       /* <Filter><And>...</And></Filter> */
};

struct lc_transition {
	struct lc_when when;
	char storage_class[STRATA_STORAGE_CLASS_MAX]; /* STANDARD_IA, GLACIER_IR, GLACIER,
							 DEEP_ARCHIVE,
							 ... (as AWS spells them) */
};

/*
 * A NoncurrentVersionTransition or NoncurrentVersionExpiration (issue 12):
 * due NoncurrentDays after the version became noncurrent, and only for a
 * version with at least NewerNoncurrentVersions newer noncurrent versions
 * of its key (those are kept whatever their age).
 */
struct lc_noncurrent {
	uint32_t days; /* NoncurrentDays: >= 1 for expiration, >= 0 for a transition */
	bool has_newer;
	uint32_t newer;				      /* 1..LC_NEWER_MAX */
	char storage_class[STRATA_STORAGE_CLASS_MAX]; /* transitions only; "" for expiration */
};

struct lc_rule {
	char id[LC_ID_MAX + 1]; /* "" when the client gave none (AWS then makes one up) */
	bool enabled;		/* Status Enabled | Disabled */
	enum lc_filter_form form;
	struct lc_filter filter;
	size_t ntransitions;
	struct lc_transition transitions[LC_MAX_TRANSITIONS];
	bool has_expiration;
	struct lc_when expiration;
	bool has_abort_mpu;
	uint32_t abort_mpu_days; /* AbortIncompleteMultipartUpload DaysAfterInitiation, >= 1 */
	/* Versioning actions (issue 12). */
	size_t nnc_transitions;
	struct lc_noncurrent nc_transitions[LC_MAX_TRANSITIONS];
	bool has_nc_expiration;
	struct lc_noncurrent nc_expiration;
	bool has_marker_flag; /* Expiration holds ExpiredObjectDeleteMarker (then no Days/Date) */
	bool expired_marker;  /* its value: true removes a delete marker left alone */
};

struct lc_config {
	size_t nrules;
	struct lc_rule *rules; /* owned; free with lc_config_free */
};

/*
 * Parses a LifecycleConfiguration body with the hardened XML rules of
 * common/xmlin.h (size cap LC_MAX_XML, no DTD, no entities, no network).
 * Validates as AWS does and, on error, points *message (never NULL on error)
 * at AWS's message for it, a static string (the code's default message when
 * AWS's is not known):
 *   S3E_MalformedXML       bad XML, unknown or repeated elements, no rule or
 *                          more than LC_MAX_RULES, a rule without Status or
 *                          with a Status other than Enabled/Disabled, neither
 *                          or both of Filter and legacy Prefix, two
 *                          conditions in a Filter without And, an empty And,
 *                          Days and Date together, a number or date that does
 *                          not parse, a transition class outside AWS's
 *                          TransitionStorageClass enum (STANDARD included),
 *                          ExpiredObjectDeleteMarker with Days or Date, a
 *                          noncurrent action without NoncurrentDays (or a
 *                          noncurrent transition without StorageClass)
 *   S3E_InvalidArgument    ID too long or repeated, Days not a positive
 *                          integer (Transition: negative), Date not at
 *                          midnight UTC, a Transition with neither Days nor
 *                          Date, size bounds that exclude everything, a
 *                          colder transition not later than a warmer one,
 *                          expiration not after the transitions, a Prefix
 *                          longer than STRATA_MAX_KEY_LEN, a tag key or
 *                          value too long (or an empty key), more than
 *                          LC_MAX_FILTER_TAGS tags, NoncurrentDays not
 *                          positive (transition: negative),
 *                          NewerNoncurrentVersions outside 1..LC_NEWER_MAX,
 *                          noncurrent transitions or expiration out of
 *                          order (as the current-version ones)
 *   S3E_InvalidRequest     a rule with no action; a Tag filter with
 *                          AbortIncompleteMultipartUpload; Days and Date
 *                          mixed among a rule's actions; two transitions to
 *                          one class (noncurrent ones alike); a repeated
 *                          tag key
 *   S3E_MaxMessageLengthExceeded  body larger than LC_MAX_XML, or rules whose
 *                          lc_to_xml form would be (escaping lengthens text),
 *                          so that what lc_to_xml writes always parses back
 *   S3E_InternalError      out of memory
 * *out is filled only on success; it then owns the rules (lc_config_free).
 */
s3err_t lc_parse(const char *body, size_t len, struct lc_config *out, const char **message);

/*
 * Appends the configuration as GetBucketLifecycleConfiguration's XML
 * (declaration, S3 namespace, rules in order, each filter in its form).
 * lc_parse of the result gives back an equal configuration. A struct built
 * by hand whose form does not match its conditions is written in a form that
 * keeps every condition (never a broader filter).
 * Errors: the buffer's cap error (the buffer is then as it was).
 */
s3err_t lc_to_xml(const struct lc_config *c, struct buf *out);

/* Frees the rules; c is left empty. lc_config_free(NULL) does nothing. */
void lc_config_free(struct lc_config *c);

/*
 * Rank of a storage class, coldest last: STANDARD (and "") 0, STANDARD_IA,
 * INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE 6; -1 for
 * anything else (the one list of classes Strata knows).
 */
int lc_class_rank(const char *storage_class);

#endif
