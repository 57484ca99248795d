/*
 * replrules: a bucket's replication configuration (PutBucketReplication) as
 * Strata holds it, parsed from and written back to S3's XML, and what it
 * asks of one change to one key (issue 8).
 *
 * The rule language is AWS's ReplicationConfiguration: Role, then 1..1000
 * Rules of ID, Priority, Status, a Filter (Prefix, Tag, or an And of a
 * Prefix and Tags) or the legacy top-level Prefix, DeleteMarkerReplication,
 * ExistingObjectReplication, Destination (Bucket as an ARN, StorageClass).
 * A rule with a Filter is a "V2" rule (Priority and DeleteMarkerReplication
 * required); one with a Prefix or neither is "V1". One configuration does
 * not mix them.
 *
 * Destinations are sites of the configuration ([site NAME]): the Bucket ARN
 * `arn:aws:s3:SITE::BUCKET` names one (the site in the ARN's region field);
 * `arn:aws:s3:::BUCKET` is taken only when exactly one site is configured,
 * and then means that site. The parser asks a callback (rr_site_fn) so that
 * common/ stays free of the gateway.
 *
 * Deviations from AWS, on purpose:
 *  - Versioning is not required (Strata has none yet, issue 12). Without
 *    versions there are no delete markers: "DeleteMarkerReplication
 *    Enabled" means that a DELETE of the key is replicated (the key is
 *    deleted at the destination). V1 rules replicate deletes, as AWS's V1
 *    schema replicates delete markers, unless they say Disabled.
 *  - Role is required and kept (GET returns it) but means nothing: Strata
 *    ships with the site's own credentials from the configuration.
 *  - Strata has no object tagging yet: a rule with a Tag condition is
 *    accepted and stored but matches no object (as lifecycle's tag rules).
 *  - Elements Strata cannot honour answer NotImplemented, once the rest of
 *    the body is valid, rather than be accepted and ignored:
 *    SourceSelectionCriteria, ExistingObjectReplication Enabled (resync is
 *    `strata replicate resync`), Destination Account,
 *    AccessControlTranslation, EncryptionConfiguration, ReplicationTime and
 *    Metrics.
 *  - At most RR_MAX_DESTINATIONS distinct destinations (site + bucket).
 *  - A rule without ID keeps none (AWS makes one up).
 *  - Lengths are bytes. Messages are static, so the parts AWS fills in
 *    (rule IDs, priorities) are left out.
 */
#ifndef STRATA_REPLRULES_H
#define STRATA_REPLRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "limits.h"
#include "s3err.h"

#define RR_MAX_RULES 1000u     /* AWS's limit per configuration */
#define RR_ID_MAX 255u	       /* bytes of a rule ID, as AWS */
#define RR_ROLE_MAX 2048u      /* bytes of Role (an IAM role ARN's limit) */
#define RR_MAX_FILTER_TAGS 10u /* tags in one And */
#define RR_TAG_KEY_MAX 128u    /* AWS tag limits */
#define RR_TAG_VALUE_MAX 256u
#define RR_ARN_MAX 256u			 /* bytes of a Destination Bucket ARN */
#define RR_MAX_DESTINATIONS 8u		 /* distinct site+bucket; = REPL_MAX_TARGETS (backend.h) */
#define RR_SITE_MAX CONFIG_SITE_NAME_MAX /* bytes of a site name */
#define RR_MAX_XML (512u * 1024)	 /* body cap for PutBucketReplication */
#define RR_BUCKET_CONFIG "replication"	 /* the bucket configuration document's name */

struct rr_tag {
	char key[RR_TAG_KEY_MAX + 1];
	char value[RR_TAG_VALUE_MAX + 1];
};

/* How the filter was written, so GetBucketReplication gives back its shape. */
enum rr_filter_form {
	RR_FORM_NONE,	       /* V1: neither Filter nor Prefix (every key) */
	RR_FORM_LEGACY_PREFIX, /* V1: <Rule><Prefix>p</Prefix> */
	RR_FORM_EMPTY,	       /* V2: <Filter/> (every key) */
	RR_FORM_SINGLE,	       /* V2: <Filter> with one Prefix or one Tag */
	RR_FORM_AND,	       /* V2: <Filter><And>...</And></Filter> */
};

struct rr_rule {
	char id[RR_ID_MAX + 1]; /* "" when the client gave none */
	bool has_priority;
	uint32_t priority; /* 0..INT32_MAX; higher wins among rules of one destination */
	bool enabled;	   /* Status Enabled | Disabled */
	enum rr_filter_form form;
	char prefix[STRATA_MAX_KEY_LEN + 1]; /* "" = every key */
	size_t ntags;
	struct rr_tag *tags; /* ntags of them, owned (NULL when none) */
	bool has_delete_marker;
	bool deletes;		  /* deletes of the key are replicated (see above for V1) */
	bool has_existing;	  /* <ExistingObjectReplication><Status>Disabled</...> was given */
	char arn[RR_ARN_MAX + 1]; /* Destination Bucket as written */
	char site[RR_SITE_MAX + 1];		      /* the site it resolved to */
	char bucket[STRATA_BUCKET_NAME_MAX + 1];      /* the bucket at that site */
	char storage_class[STRATA_STORAGE_CLASS_MAX]; /* "" = the source object's */
};

struct rr_config {
	char role[RR_ROLE_MAX + 1];
	size_t nrules;
	struct rr_rule *rules; /* owned; free with rr_config_free */
};

/*
 * Resolves the site part of a Destination ARN: site is "" for
 * arn:aws:s3:::B, else the ARN's region field. On success writes the
 * configured site's name into out and returns true; false: no such site
 * (or, for "", not exactly one site configured).
 */
typedef bool (*rr_site_fn)(void *ctx, const char *site, char out[RR_SITE_MAX + 1]);

/* An rr_site_fn over a configuration's sites (ctx: const struct config *). */
bool rr_site_from_config(void *ctx, const char *site, char out[RR_SITE_MAX + 1]);

/*
 * Parses a ReplicationConfiguration body with the hardened XML rules of
 * common/xmldoc.h (size cap RR_MAX_XML, no DTD, no entities, no network),
 * resolving destinations with site(site_ctx). Validates as AWS does and, on
 * error, points *message (never NULL on error) at a static message:
 *   S3E_MalformedXML      bad XML, unknown or repeated elements, no Role, no
 *                         rule or more than RR_MAX_RULES, a rule without
 *                         Status or Destination, a Status outside
 *                         Enabled/Disabled, Filter and Prefix together, two
 *                         conditions in a Filter without And, an empty And,
 *                         a Destination without Bucket, a Priority that is
 *                         not an integer, a StorageClass outside botocore's
 *                         enum
 *   S3E_InvalidArgument   ID too long or repeated, Priority negative or
 *                         repeated among V2 rules, an empty or too long
 *                         Role, a Prefix longer than STRATA_MAX_KEY_LEN, a
 *                         bad tag key or value, more than RR_MAX_FILTER_TAGS
 *                         tags, a Destination Bucket that is not an ARN
 *                         naming a configured site and a valid bucket,
 *                         overlapping prefixes of V1 rules
 *   S3E_InvalidRequest    V1 and V2 rules mixed; a V2 rule without Priority
 *                         or DeleteMarkerReplication; DeleteMarkerReplication
 *                         Enabled with a Tag filter; a repeated tag key; V1
 *                         rules with more than one destination; more than
 *                         RR_MAX_DESTINATIONS destinations
 *   S3E_InvalidStorageClass  a class of the enum Strata cannot write
 *                         (OUTPOSTS, SNOW, EXPRESS_ONEZONE, FSX_*)
 *   S3E_NotImplemented    the elements listed above, once all else is valid
 *   S3E_MaxMessageLengthExceeded  body larger than RR_MAX_XML, or a
 *                         configuration whose rr_to_xml form would be
 *   S3E_InternalError     out of memory
 * *out is filled only on success; it then owns the rules (rr_config_free).
 */
s3err_t rr_parse(const char *body, size_t len, rr_site_fn site, void *site_ctx,
		 struct rr_config *out, const char **message);

/*
 * Appends the configuration as GetBucketReplication's XML (declaration, S3
 * namespace, Role, rules in order and in botocore's member order, each
 * filter in its form). rr_parse of the result, with the same sites, gives
 * back an equal configuration.
 * Errors: the buffer's cap error (the buffer is then as it was).
 */
s3err_t rr_to_xml(const struct rr_config *c, struct buf *out);

/* Frees the rules; c is left empty. rr_config_free(NULL) does nothing. */
void rr_config_free(struct rr_config *c);

/*
 * What a change to key asks of c (a pure function): among Enabled rules
 * whose filter matches key (a Tag condition matches nothing), for each
 * destination (site + bucket) the rule of highest Priority (the first in
 * document order among equals). For a delete (is_delete), a destination
 * counts only if that winning rule replicates deletes. Fills out[0..n) with
 * the winning rules in document order, n <= max (RR_MAX_DESTINATIONS is
 * always enough), and returns n.
 */
size_t rr_match(const struct rr_config *c, const char *key, bool is_delete,
		const struct rr_rule **out, size_t max);

#endif
