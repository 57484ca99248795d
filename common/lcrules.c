/*
 * lcrules: a LifecycleConfiguration body <-> struct lc_config (see lcrules.h).
 *
 * Parsing goes through common/xmldoc (size cap, no DTD, no entities, no
 * network) and common/rulexml (the leaves and the Filter that replication
 * configurations share), then walks the tree once, rule by rule, and stops at the first
 * error. Elements of a Rule may come in any order (botocore writes them in
 * the order of the caller's dict); an element that may appear once and
 * appears twice, or any element outside botocore's LifecycleRule shapes, is
 * MalformedXML, as a schema-validating server answers.
 *
 * Invariants of a parsed configuration (what lifecycle/rules.c may rely on):
 *  1. 1 <= nrules <= LC_MAX_RULES; non-empty IDs are unique.
 *  2. form and filter agree: LEGACY and SINGLE hold one condition at most
 *     (SINGLE exactly one, possibly an empty Prefix), EMPTY none, AND at
 *     least one; a Tag key is 1..LC_TAG_KEY_MAX bytes and keys are unique.
 *  3. has_size_lt implies size_lt >= 1, and with has_size_gt, size_gt < size_lt.
 *  4. Each lc_when has exactly one of days / date; a date is midnight UTC.
 *     Expiration and AbortIncompleteMultipartUpload days are >= 1.
 *  5. Transitions of a rule all use days or all use dates, go to distinct
 *     classes of rank 1..6, and a colder class comes strictly later; an
 *     expiration uses the same unit and comes strictly after all of them.
 *  6. A rule has at least one action; AbortIncompleteMultipartUpload never
 *     comes with a Tag condition.
 *  8. Noncurrent actions: NoncurrentDays >= 1 for the expiration (>= 0
 *     for a transition), NewerNoncurrentVersions 1..LC_NEWER_MAX when
 *     given; noncurrent transitions go to distinct classes of rank 1..6, a
 *     colder class strictly later, the noncurrent expiration strictly after
 *     them all (invariant 5 in NoncurrentDays). has_marker_flag excludes
 *     has_expiration (one Expiration element holds one of them).
 *  7. Its canonical form (lc_to_xml) fits in LC_MAX_XML, so lc_parse takes
 *     back what lc_to_xml wrote: the gateway stores that form and the engine
 *     parses it again. Escaping can make it longer than the body ("'" is
 *     six bytes once written), hence the check.
 *
 * Error order within a rule: the first bad element in document order
 * (MalformedXML or the value's InvalidArgument), then the rule's shape
 * (Status, Filter xor Prefix), then its actions (invariants 5, 6), then,
 * over the whole configuration, repeated IDs, then the canonical size.
 *
 * Messages: AWS's own text where it is known. AWS appends the rule's filter
 * to some ("... for filter '(prefix=logs/)'"); *message is a static string,
 * so Strata leaves that part out.
 */
#include "lcrules.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httptime.h"
#include "rulexml.h"
#include "xmldoc.h"
#include "xmlw.h"

#define SECS_PER_DAY 86400

/* The limits below are spelled out in messages. */
_Static_assert(LC_MAX_FILTER_TAGS == 10, "M_TAGS_MANY names the limit");
_Static_assert(LC_MAX_XML == 524288, "M_CANONICAL names the limit");
_Static_assert(LC_NEWER_MAX == 100, "M_NC_NEWER names the limit");

/* clang-format off */
static const char M_ID_SAME[] = "Rule ID must be unique. Found same ID for more than one rule";
static const char M_NO_ACTION[] = "At least one action needs to be specified in a rule";
static const char M_EXP_DAYS[] = "'Days' for Expiration action must be a positive integer";
static const char M_TR_DAYS[] = "'Days' in Transition action must be nonnegative";
static const char M_ABORT_DAYS[] =
	"'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer";
static const char M_MIDNIGHT[] = "'Date' must be at midnight GMT";
static const char M_TR_NO_WHEN[] = "'Transition' action must specify either 'Days' or 'Date'";
static const char M_TR_MIXED[] =
	"Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule";
static const char M_EXP_MIXED[] =
	"Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule";
static const char M_TR_SAME_CLASS[] =
	"'StorageClass' must be different for 'Transition' actions in same 'Rule'";
static const char M_TR_ORDER_DAYS[] =
	"'Days' in the Transition action for a colder StorageClass must be greater than 'Days' "
	"in the Transition action for a warmer StorageClass";
static const char M_TR_ORDER_DATE[] =
	"'Date' in the Transition action for a colder StorageClass must be greater than 'Date' "
	"in the Transition action for a warmer StorageClass";
static const char M_EXP_AFTER_DAYS[] =
	"'Days' in the Expiration action must be greater than 'Days' in the Transition action";
static const char M_EXP_AFTER_DATE[] =
	"'Date' in the Expiration action must be greater than 'Date' in the Transition action";
static const char M_TAG_ABORT[] =
	"Tag-based filter cannot be used with AbortIncompleteMultipartUpload action";
static const char M_TAGS_MANY[] = "A lifecycle rule filter can have at most 10 tags";
static const char M_SIZE_NEG[] = "Object size filters must be non-negative integers";
static const char M_SIZE_LT0[] = "'ObjectSizeLessThan' must be a positive integer";
static const char M_SIZE_RANGE[] = "ObjectSizeGreaterThan must be less than ObjectSizeLessThan";
static const char M_CANONICAL[] =
	"The lifecycle configuration exceeds 524288 bytes as GetBucketLifecycleConfiguration "
	"returns it";
static const char M_NC_EXP_DAYS[] =
	"'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer";
static const char M_NC_TR_DAYS[] =
	"'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative";
static const char M_NC_NEWER[] =
	"'NewerNoncurrentVersions' must be a positive integer no greater than 100";
static const char M_NC_SAME_CLASS[] =
	"'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same "
	"'Rule'";
static const char M_NC_ORDER[] =
	"'NoncurrentDays' in the NoncurrentVersionTransition action for a colder StorageClass "
	"must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action for a "
	"warmer StorageClass";
static const char M_NC_EXP_AFTER[] =
	"'NoncurrentDays' in the NoncurrentVersionExpiration action must be greater than "
	"'NoncurrentDays' in the NoncurrentVersionTransition action";

/* Rank order, warmest first: the one list of storage classes lifecycle knows (lcrules.h). */
static const char *const class_order[] = {
	"STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA",
	"GLACIER_IR", "GLACIER", "DEEP_ARCHIVE",
};
/* clang-format on */

#define N_CLASSES (sizeof(class_order) / sizeof(class_order[0]))

/* State of one lc_parse call. */
struct parser {
	const char *msg; /* AWS's message for the error being returned; NULL: the code's default */
};

/* Records the message of an error and returns it, so each check is one statement. */
static s3err_t fail(struct parser *p, s3err_t err, const char *msg)
{
	p->msg = msg;
	return err;
}

int lc_class_rank(const char *storage_class)
{
	size_t i;

	if (!storage_class)
		return -1;
	if (!storage_class[0])
		return 0;
	for (i = 0; i < N_CLASSES; i++) {
		if (strcmp(storage_class, class_order[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* ---- leaf values ---- */

/*
 * An ISO 8601 Date at midnight UTC, as ms since the epoch. A date that does
 * not parse is MalformedXML (the schema's xs:dateTime); one that parses but
 * is not midnight, fractional seconds included, is AWS's InvalidArgument.
 */
static s3err_t leaf_date(struct parser *p, const xmlNode *e, int64_t *out)
{
	char word[48];
	const char *q;
	time_t t;
	s3err_t err;

	err = xmldoc_leaf_word(e, word, sizeof(word));
	if (err)
		return err;
	if (!httptime_parse_iso(word, &t))
		return S3E_MalformedXML;
	/* httptime drops the fraction; "00:00:00.5Z" is not midnight. */
	q = strchr(word, '.');
	for (q = q ? q + 1 : ""; *q >= '0' && *q <= '9'; q++) {
		if (*q != '0')
			return fail(p, S3E_InvalidArgument, M_MIDNIGHT);
	}
	if (t % SECS_PER_DAY != 0)
		return fail(p, S3E_InvalidArgument, M_MIDNIGHT);
	*out = (int64_t)t * 1000;
	return S3E_OK;
}

/*
 * A Transition StorageClass: one of botocore's TransitionStorageClass enum
 * (rank 1..6). STANDARD and anything else are outside that enum, which a
 * schema-validating server answers with MalformedXML.
 */
static s3err_t leaf_class(const xmlNode *e, char *out, size_t cap)
{
	char word[STRATA_STORAGE_CLASS_MAX];
	s3err_t err;

	err = xmldoc_leaf_word(e, word, sizeof(word));
	if (err)
		return err;
	if (lc_class_rank(word) <= 0 || strlen(word) >= cap)
		return S3E_MalformedXML;
	memcpy(out, word, strlen(word) + 1);
	return S3E_OK;
}

/* ---- Filter ---- */

/* clang-format off */
static const struct rulexml_filter_spec filter_spec = {
	.object_sizes = true,
	.tags_many = M_TAGS_MANY,
	.size_neg = M_SIZE_NEG,
	.size_lt0 = M_SIZE_LT0,
	.size_range = M_SIZE_RANGE,
};
/* clang-format on */

/* The one tag type of rule filters, so a parsed filter's tags copy as they are. */
_Static_assert(RULEXML_TAG_LAYOUT(struct lc_tag) && LC_MAX_FILTER_TAGS == RULEXML_MAX_TAGS &&
		   LC_ID_MAX == RULEXML_ID_MAX,
	       "lc_rule holds what rulexml reads");

/* <Filter>: empty, exactly one condition, or exactly one And (botocore's LifecycleRuleFilter). */
static s3err_t parse_filter(struct parser *p, const xmlNode *e, struct lc_rule *r)
{
	struct rulexml_filter x;
	struct lc_filter *f = &r->filter;
	s3err_t err;

	err = rulexml_parse_filter(e, &filter_spec, &x, &p->msg);
	if (err)
		return err;
	r->form = x.form == RULEXML_FORM_EMPTY	  ? LC_FORM_EMPTY
		  : x.form == RULEXML_FORM_SINGLE ? LC_FORM_SINGLE
						  : LC_FORM_AND;
	memcpy(f->prefix, x.prefix, sizeof(f->prefix));
	f->ntags = x.ntags;
	memcpy(f->tags, x.tags, x.ntags * sizeof(*f->tags));
	f->has_size_gt = x.has_size_gt;
	f->size_gt = x.size_gt;
	f->has_size_lt = x.has_size_lt;
	f->size_lt = x.size_lt;
	return S3E_OK;
}

/* ---- actions ---- */

/* <Transition>: StorageClass and exactly one of Days (>= 0) and Date. */
static s3err_t parse_transition(struct parser *p, const xmlNode *e, struct lc_transition *t)
{
	bool have_days = false, have_date = false, have_class = false;
	const xmlNode *c;
	s3err_t err;

	memset(t, 0, sizeof(*t));
	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Days") && !have_days) {
			have_days = t->when.has_days = true;
			err = rulexml_leaf_int32(c, 0, M_TR_DAYS, &t->when.days, &p->msg);
		} else if (xmldoc_is_elem(c, "Date") && !have_date) {
			have_date = t->when.has_date = true;
			err = leaf_date(p, c, &t->when.date_ms);
		} else if (xmldoc_is_elem(c, "StorageClass") && !have_class) {
			have_class = true;
			err = leaf_class(c, t->storage_class, sizeof(t->storage_class));
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
	}
	if ((have_days && have_date) || !have_class)
		return S3E_MalformedXML;
	if (!have_days && !have_date)
		return fail(p, S3E_InvalidArgument, M_TR_NO_WHEN);
	return S3E_OK;
}

/*
 * <Expiration>: exactly one of Days (>= 1), Date, ExpiredObjectDeleteMarker
 * (AWS: "cannot be specified with Days or Date"; the schema's choice, so
 * MalformedXML). The marker flag sets has_marker_flag, not has_expiration.
 */
static s3err_t parse_expiration(struct parser *p, const xmlNode *e, struct lc_rule *r)
{
	bool have_days = false, have_date = false, have_marker = false, marker;
	const xmlNode *c;
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Days") && !have_days) {
			have_days = r->expiration.has_days = true;
			err = rulexml_leaf_int32(c, 1, M_EXP_DAYS, &r->expiration.days, &p->msg);
		} else if (xmldoc_is_elem(c, "Date") && !have_date) {
			have_date = r->expiration.has_date = true;
			err = leaf_date(p, c, &r->expiration.date_ms);
		} else if (xmldoc_is_elem(c, "ExpiredObjectDeleteMarker") && !have_marker) {
			have_marker = true;
			err = xmldoc_parse_bool(c, &marker);
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
	}
	if ((int)have_days + (int)have_date + (int)have_marker != 1)
		return S3E_MalformedXML;
	if (have_marker) {
		r->has_marker_flag = true;
		r->expired_marker = marker;
	} else {
		r->has_expiration = true;
	}
	return S3E_OK;
}

/*
 * <NoncurrentVersionTransition> (transition) or <NoncurrentVersionExpiration>:
 * NoncurrentDays required (>= 0 or >= 1), NewerNoncurrentVersions optional
 * (1..LC_NEWER_MAX), StorageClass required in a transition only.
 */
static s3err_t parse_noncurrent(struct parser *p, const xmlNode *e, bool transition,
				struct lc_noncurrent *nc)
{
	bool have_days = false, have_class = false;
	const xmlNode *c;
	s3err_t err;

	memset(nc, 0, sizeof(*nc));
	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "NoncurrentDays") && !have_days) {
			have_days = true;
			err = rulexml_leaf_int32(c, transition ? 0 : 1,
						 transition ? M_NC_TR_DAYS : M_NC_EXP_DAYS,
						 &nc->days, &p->msg);
		} else if (xmldoc_is_elem(c, "NewerNoncurrentVersions") && !nc->has_newer) {
			nc->has_newer = true;
			err = rulexml_leaf_int32(c, 1, M_NC_NEWER, &nc->newer, &p->msg);
			if (!err && nc->newer > LC_NEWER_MAX)
				err = fail(p, S3E_InvalidArgument, M_NC_NEWER);
		} else if (transition && xmldoc_is_elem(c, "StorageClass") && !have_class) {
			have_class = true;
			err = leaf_class(c, nc->storage_class, sizeof(nc->storage_class));
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
	}
	if (!have_days || have_class != transition)
		return S3E_MalformedXML;
	return S3E_OK;
}

/* <AbortIncompleteMultipartUpload><DaysAfterInitiation>n</...>: n >= 1, required. */
static s3err_t parse_abort(struct parser *p, const xmlNode *e, struct lc_rule *r)
{
	const xmlNode *c;
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (!xmldoc_is_elem(c, "DaysAfterInitiation") || r->has_abort_mpu)
			return S3E_MalformedXML;
		err = rulexml_leaf_int32(c, 1, M_ABORT_DAYS, &r->abort_mpu_days, &p->msg);
		if (err)
			return err;
		r->has_abort_mpu = true;
	}
	return r->has_abort_mpu ? S3E_OK : S3E_MalformedXML;
}

/* Days or ms: comparable within one unit, which invariant 5 makes the only case. */
static int64_t when_value(const struct lc_when *w)
{
	return w->has_days ? (int64_t)w->days : w->date_ms;
}

/* Invariant 5: one unit, distinct classes, colder strictly later, expiration last. */
static s3err_t check_timeline(struct parser *p, const struct lc_rule *r)
{
	const struct lc_transition *a, *b;
	size_t i, j, by_days = 0;

	for (i = 0; i < r->ntransitions; i++)
		by_days += r->transitions[i].when.has_days;
	if (by_days != 0 && by_days != r->ntransitions)
		return fail(p, S3E_InvalidRequest, M_TR_MIXED);
	for (i = 0; i < r->ntransitions; i++) {
		a = &r->transitions[i];
		for (j = 0; j < r->ntransitions; j++) {
			b = &r->transitions[j];
			if (i < j && strcmp(a->storage_class, b->storage_class) == 0)
				return fail(p, S3E_InvalidRequest, M_TR_SAME_CLASS);
			if (lc_class_rank(a->storage_class) < lc_class_rank(b->storage_class) &&
			    when_value(&a->when) >= when_value(&b->when))
				return fail(p, S3E_InvalidArgument,
					    by_days ? M_TR_ORDER_DAYS : M_TR_ORDER_DATE);
		}
	}
	if (!r->has_expiration || r->ntransitions == 0)
		return S3E_OK;
	if (r->expiration.has_days != (by_days != 0))
		return fail(p, S3E_InvalidRequest, M_EXP_MIXED);
	for (i = 0; i < r->ntransitions; i++) {
		if (when_value(&r->expiration) <= when_value(&r->transitions[i].when))
			return fail(p, S3E_InvalidArgument,
				    by_days ? M_EXP_AFTER_DAYS : M_EXP_AFTER_DATE);
	}
	return S3E_OK;
}

/* Invariant 8: the noncurrent timeline, in NoncurrentDays (AWS checks it as invariant 5). */
static s3err_t check_nc_timeline(struct parser *p, const struct lc_rule *r)
{
	const struct lc_noncurrent *a, *b;
	size_t i, j;

	for (i = 0; i < r->nnc_transitions; i++) {
		a = &r->nc_transitions[i];
		for (j = 0; j < r->nnc_transitions; j++) {
			b = &r->nc_transitions[j];
			if (i < j && strcmp(a->storage_class, b->storage_class) == 0)
				return fail(p, S3E_InvalidRequest, M_NC_SAME_CLASS);
			if (lc_class_rank(a->storage_class) < lc_class_rank(b->storage_class) &&
			    a->days >= b->days)
				return fail(p, S3E_InvalidArgument, M_NC_ORDER);
		}
		if (r->has_nc_expiration && r->nc_expiration.days <= a->days)
			return fail(p, S3E_InvalidArgument, M_NC_EXP_AFTER);
	}
	return S3E_OK;
}

/* ---- Rule ---- */

/* The rule-level checks once every element is read (see "Error order" above). */
static s3err_t check_rule(struct parser *p, const struct lc_rule *r, bool have_status,
			  bool have_filter, bool have_prefix)
{
	s3err_t err;

	/* Status is required; Filter and the legacy Prefix exclude each other, one is required. */
	if (!have_status || have_filter == have_prefix)
		return S3E_MalformedXML;
	if (r->ntransitions == 0 && !r->has_expiration && !r->has_abort_mpu &&
	    r->nnc_transitions == 0 && !r->has_nc_expiration && !r->has_marker_flag)
		return fail(p, S3E_InvalidRequest, M_NO_ACTION);
	/* An upload has no tags yet, so AWS refuses the combination rather than never apply it. */
	if (r->has_abort_mpu && r->filter.ntags)
		return fail(p, S3E_InvalidRequest, M_TAG_ABORT);
	err = check_timeline(p, r);
	return err ? err : check_nc_timeline(p, r);
}

/* Fills *r (zeroed by the caller) from one <Rule>. */
static s3err_t parse_rule(struct parser *p, const xmlNode *e, struct lc_rule *r)
{
	bool have_id = false, have_status = false, have_filter = false, have_prefix = false;
	bool have_expiration = false;
	const xmlNode *c;
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "ID") && !have_id) {
			have_id = true;
			err = rulexml_leaf_id(c, r->id, &p->msg);
		} else if (xmldoc_is_elem(c, "Status") && !have_status) {
			have_status = true;
			err = rulexml_leaf_status(c, &r->enabled);
		} else if (xmldoc_is_elem(c, "Filter") && !have_filter && !have_prefix) {
			have_filter = true;
			err = parse_filter(p, c, r);
		} else if (xmldoc_is_elem(c, "Prefix") && !have_prefix && !have_filter) {
			have_prefix = true;
			r->form = LC_FORM_LEGACY_PREFIX;
			err = rulexml_leaf_prefix(c, r->filter.prefix, &p->msg);
		} else if (xmldoc_is_elem(c, "Transition")) {
			/* Distinct classes (6) fit: a 9th transition must repeat one. */
			if (r->ntransitions == LC_MAX_TRANSITIONS)
				return fail(p, S3E_InvalidRequest, M_TR_SAME_CLASS);
			err = parse_transition(p, c, &r->transitions[r->ntransitions]);
			r->ntransitions += !err;
		} else if (xmldoc_is_elem(c, "Expiration") && !have_expiration) {
			have_expiration = true;
			err = parse_expiration(p, c, r);
		} else if (xmldoc_is_elem(c, "AbortIncompleteMultipartUpload") &&
			   !r->has_abort_mpu) {
			err = parse_abort(p, c, r);
		} else if (xmldoc_is_elem(c, "NoncurrentVersionTransition")) {
			if (r->nnc_transitions == LC_MAX_TRANSITIONS)
				return fail(p, S3E_InvalidRequest, M_NC_SAME_CLASS);
			err = parse_noncurrent(p, c, true, &r->nc_transitions[r->nnc_transitions]);
			r->nnc_transitions += !err;
		} else if (xmldoc_is_elem(c, "NoncurrentVersionExpiration") &&
			   !r->has_nc_expiration) {
			err = parse_noncurrent(p, c, false, &r->nc_expiration);
			r->has_nc_expiration = !err;
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
	}
	return check_rule(p, r, have_status, have_filter, have_prefix);
}

/*
 * Invariant 1: non-empty IDs are unique (empty ones are made up by AWS, so
 * several may be empty).
 */
static s3err_t check_unique_ids(struct parser *p, const struct lc_config *c)
{
	const char **ids;
	size_t i, n = 0;
	s3err_t err = S3E_OK;

	ids = malloc(c->nrules * sizeof(*ids));
	if (!ids)
		return S3E_InternalError;
	for (i = 0; i < c->nrules; i++) {
		if (c->rules[i].id[0])
			ids[n++] = c->rules[i].id;
	}
	if (rulexml_has_repeat(ids, n))
		err = fail(p, S3E_InvalidArgument, M_ID_SAME);
	free(ids);
	return err;
}

/* Invariant 7: the canonical form is within the cap lc_parse applies. */
static s3err_t check_canonical_size(struct parser *p, const struct lc_config *c)
{
	struct buf b;
	s3err_t err;

	buf_init(&b, LC_MAX_XML, S3E_MaxMessageLengthExceeded);
	err = lc_to_xml(c, &b);
	buf_free(&b);
	return err == S3E_MaxMessageLengthExceeded ? fail(p, err, M_CANONICAL) : err;
}

s3err_t lc_parse(const char *body, size_t len, struct lc_config *out, const char **message)
{
	struct parser p = {NULL};
	struct lc_config c = {0, NULL};
	const xmlNode *root, *n;
	xmlDocPtr doc = NULL;
	size_t count = 0;
	s3err_t err;

	err = xmldoc_parse(body, len, LC_MAX_XML, &doc);
	if (err)
		goto out;
	err = S3E_MalformedXML;
	root = xmlDocGetRootElement(doc);
	if (!xmldoc_is_elem(root, "LifecycleConfiguration"))
		goto out;
	/* First pass: shape and count, so the array is sized once and capped. */
	for (n = root->children; n; n = n->next) {
		if (xmldoc_is_ignorable(n))
			continue;
		if (!xmldoc_is_elem(n, "Rule") || ++count > LC_MAX_RULES)
			goto out;
	}
	if (count == 0) /* BucketLifecycleConfiguration requires Rules */
		goto out;
	c.rules = calloc(count, sizeof(*c.rules));
	if (!c.rules) {
		err = S3E_InternalError;
		goto out;
	}
	for (n = root->children; n; n = n->next) {
		if (!xmldoc_is_elem(n, "Rule"))
			continue;
		err = parse_rule(&p, n, &c.rules[c.nrules]);
		if (err)
			goto out;
		c.nrules++;
	}
	err = check_unique_ids(&p, &c);
	if (!err)
		err = check_canonical_size(&p, &c);
	if (err)
		goto out;
	*out = c;
	c.rules = NULL;
	c.nrules = 0;
out:
	xmlFreeDoc(doc);
	lc_config_free(&c);
	if (err && message)
		*message = p.msg ? p.msg : s3err_message(err);
	return err;
}

void lc_config_free(struct lc_config *c)
{
	if (!c)
		return;
	free(c->rules);
	c->rules = NULL;
	c->nrules = 0;
}

/* ---- writing ---- */

static s3err_t write_when(struct buf *b, const struct lc_when *w)
{
	char date[25];

	if (w->has_days)
		return xmlw_elem_u64(b, "Days", w->days);
	httptime_format_iso_ms(w->date_ms, date);
	return xmlw_elem(b, "Date", date);
}

/*
 * The conditions in botocore's member order; Prefix also when it is the
 * only (empty) one. A rulexml_write_filter callback (ctx: the lc_filter).
 */
static s3err_t write_conds(struct buf *b, const void *ctx)
{
	const struct lc_filter *f = ctx;
	s3err_t err = S3E_OK;
	size_t i;

	if (f->prefix[0] || (!f->ntags && !f->has_size_gt && !f->has_size_lt))
		err = xmlw_elem(b, "Prefix", f->prefix);
	for (i = 0; i < f->ntags && !err; i++)
		err = rulexml_write_tag(b, f->tags[i].key, f->tags[i].value);
	if (!err && f->has_size_gt)
		err = xmlw_elem_u64(b, "ObjectSizeGreaterThan", f->size_gt);
	if (!err && f->has_size_lt)
		err = xmlw_elem_u64(b, "ObjectSizeLessThan", f->size_lt);
	return err;
}

/*
 * The filter in its form. A configuration built by hand whose form does not
 * match its conditions is written in the form that keeps every condition:
 * the output never selects more objects than the struct does (a legacy
 * Prefix with other conditions becomes an And).
 */
static s3err_t write_filter(struct buf *b, const struct lc_rule *r)
{
	const struct lc_filter *f = &r->filter;
	size_t n = (f->prefix[0] != '\0') + f->ntags + f->has_size_gt + f->has_size_lt;
	enum rulexml_form form = RULEXML_FORM_AND;

	if (r->form == LC_FORM_LEGACY_PREFIX && n <= (f->prefix[0] != '\0'))
		return xmlw_elem(b, "Prefix", f->prefix);
	if (r->form == LC_FORM_EMPTY)
		form = RULEXML_FORM_EMPTY;
	else if (r->form == LC_FORM_SINGLE)
		form = RULEXML_FORM_SINGLE;
	return rulexml_write_filter(b, form, n, write_conds, f);
}

/* A NoncurrentVersionTransition (with its class) or NoncurrentVersionExpiration (without). */
static s3err_t write_noncurrent(struct buf *b, bool transition, const struct lc_noncurrent *nc)
{
	const char *name =
	    transition ? "NoncurrentVersionTransition" : "NoncurrentVersionExpiration";
	s3err_t err = xmlw_open(b, name);

	if (!err)
		err = xmlw_elem_u64(b, "NoncurrentDays", nc->days);
	if (!err && transition)
		err = xmlw_elem(b, "StorageClass", nc->storage_class);
	if (!err && nc->has_newer)
		err = xmlw_elem_u64(b, "NewerNoncurrentVersions", nc->newer);
	if (!err)
		err = xmlw_close(b, name);
	return err;
}

/* One Rule in the element order of AWS's GetBucketLifecycleConfiguration. */
static s3err_t write_rule(struct buf *b, const struct lc_rule *r)
{
	s3err_t err = xmlw_open(b, "Rule");
	size_t i;

	if (!err && r->id[0])
		err = xmlw_elem(b, "ID", r->id);
	if (!err)
		err = write_filter(b, r);
	if (!err)
		err = xmlw_elem(b, "Status", r->enabled ? "Enabled" : "Disabled");
	for (i = 0; i < r->ntransitions && !err; i++) {
		err = xmlw_open(b, "Transition");
		if (!err)
			err = write_when(b, &r->transitions[i].when);
		if (!err)
			err = xmlw_elem(b, "StorageClass", r->transitions[i].storage_class);
		if (!err)
			err = xmlw_close(b, "Transition");
	}
	/* The parser never sets both (invariant 8); by hand, Days/Date win (they remove a lone
	 * marker too once due, lifecycle/rules.h). */
	if (!err && (r->has_expiration || r->has_marker_flag)) {
		err = xmlw_open(b, "Expiration");
		if (!err && r->has_expiration)
			err = write_when(b, &r->expiration);
		else if (!err)
			err = xmlw_elem(b, "ExpiredObjectDeleteMarker",
					r->expired_marker ? "true" : "false");
		if (!err)
			err = xmlw_close(b, "Expiration");
	}
	for (i = 0; i < r->nnc_transitions && !err; i++)
		err = write_noncurrent(b, true, &r->nc_transitions[i]);
	if (!err && r->has_nc_expiration)
		err = write_noncurrent(b, false, &r->nc_expiration);
	if (!err && r->has_abort_mpu) {
		err = xmlw_open(b, "AbortIncompleteMultipartUpload");
		if (!err)
			err = xmlw_elem_u64(b, "DaysAfterInitiation", r->abort_mpu_days);
		if (!err)
			err = xmlw_close(b, "AbortIncompleteMultipartUpload");
	}
	if (!err)
		err = xmlw_close(b, "Rule");
	return err;
}

/* On error the buffer is rolled back to where it was (as each xmlw call does). */
s3err_t lc_to_xml(const struct lc_config *c, struct buf *out)
{
	size_t mark = out->len, i;
	s3err_t err;

	err = xmlw_begin(out, "LifecycleConfiguration");
	for (i = 0; i < c->nrules && !err; i++)
		err = write_rule(out, &c->rules[i]);
	if (!err)
		err = xmlw_close(out, "LifecycleConfiguration");
	if (err)
		buf_truncate(out, mark);
	return err;
}
