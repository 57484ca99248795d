/*
 * replrules: a ReplicationConfiguration body <-> struct rr_config, and the
 * pure matching of a change against it (see replrules.h).
 *
 * Parsing goes through common/xmldoc (size cap, no DTD, no entities, no
 * network) and common/rulexml (the leaves and the Filter that lifecycle
 * configurations share) and walks the tree once, stopping at the first error. Elements
 * may come in any order (botocore writes them in the caller's order); an
 * element that may appear once and appears twice, or any element outside
 * botocore's ReplicationConfiguration shapes, is MalformedXML.
 *
 * Invariants of a parsed configuration (what rr_match and the gateway rely on):
 *  1. 1 <= nrules <= RR_MAX_RULES; non-empty IDs are unique.
 *  2. Either every rule is V1 (form NONE or LEGACY_PREFIX) or every rule is
 *     V2 (EMPTY, SINGLE, AND). V2 rules have a Priority (unique among them)
 *     and a DeleteMarkerReplication; a V2 rule with a Tag does not
 *     replicate deletes.
 *  3. form and conditions agree: NONE and EMPTY have none, LEGACY_PREFIX
 *     and SINGLE one (a Prefix, possibly empty, or one Tag), AND at least
 *     one; tag keys are 1..RR_TAG_KEY_MAX bytes and unique within a rule.
 *  4. Every rule's site is a site the callback accepted, its bucket a valid
 *     bucket name; there are at most RR_MAX_DESTINATIONS distinct
 *     (site, bucket), and exactly one when the rules are V1.
 *  5. The canonical form (rr_to_xml) fits in RR_MAX_XML, so rr_parse takes
 *     back what rr_to_xml wrote (the gateway stores that form).
 *
 * Error order: the first bad element in document order (MalformedXML or
 * its value's InvalidArgument), then the rule's shape, then over the whole
 * configuration: V1/V2 mix, IDs, priorities, V1 prefixes, destinations,
 * canonical size, and last NotImplemented (only for an otherwise valid body).
 */
#include "replrules.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "rulexml.h"
#include "strutil.h"
#include "xmldoc.h"
#include "xmlw.h"

_Static_assert(RR_MAX_FILTER_TAGS == 10, "M_TAGS_MANY names the limit");
_Static_assert(RR_MAX_DESTINATIONS == 8, "M_DEST_MANY names the limit");

/* clang-format off */
static const char M_ID_SAME[] = "Rule Id must be unique. Found same ID for more than one rule";
static const char M_PRIO_SAME[] =
	"Found duplicate priority in replication configuration. Priority must be unique among "
	"rules";
static const char M_PRIO_NEG[] = "Priority must be a non-negative integer";
static const char M_NEED_PRIO[] =
	"Priority must be specified for this version of Cross Region Replication configuration "
	"schema. Please refer to S3 Developer Guide for more information.";
static const char M_NEED_DMR[] =
	"DeleteMarkerReplication must be specified for this version of Cross Region Replication "
	"configuration schema. Please refer to S3 Developer Guide for more information.";
static const char M_DMR_TAG[] =
	"Delete marker replication is not supported if any Tag filter is specified. Please refer "
	"to S3 Developer Guide for more information.";
static const char M_MIXED[] =
	"Rules with a Filter and rules without one (legacy Prefix) cannot be mixed in one "
	"replication configuration";
static const char M_V1_DEST[] = "Number of distinct destination bucket ARNs cannot exceed 1";
static const char M_DEST_MANY[] =
	"A replication configuration can have at most 8 distinct destinations (site and bucket)";
static const char M_OVERLAP[] = "Found overlapping prefixes for same destination bucket";
static const char M_ROLE[] = "Invalid Role specified in replication configuration";
static const char M_ARN[] =
	"Invalid destination bucket ARN: name a configured site and a bucket there as "
	"arn:aws:s3:SITE::BUCKET (arn:aws:s3:::BUCKET is accepted when exactly one site is "
	"configured)";
static const char M_SITE[] =
	"The destination bucket ARN names a site that is not configured: use "
	"arn:aws:s3:SITE::BUCKET with SITE one of the server's [site NAME] sections";
static const char M_SITE_ONE[] =
	"The destination bucket ARN arn:aws:s3:::BUCKET names no site, which is accepted only "
	"when exactly one site is configured: use arn:aws:s3:SITE::BUCKET";
static const char M_TAGS_MANY[] = "A replication rule filter can have at most 10 tags";
static const char M_CANONICAL[] =
	"The replication configuration exceeds 524288 bytes as GetBucketReplication returns it";
static const char M_CLASS[] = "The storage class you specified is not valid";
static const char M_NI_SSC[] =
	"SourceSelectionCriteria is not implemented by Strata: it has no SSE-KMS objects and "
	"replicas are not modified";
static const char M_NI_EXISTING[] =
	"ExistingObjectReplication Enabled is not implemented: replay existing objects with "
	"'strata replicate resync --bucket BUCKET'";
static const char M_NI_ACCOUNT[] =
	"Destination Account and AccessControlTranslation are not implemented by Strata: a "
	"site's credentials decide the owner";
static const char M_NI_ENCRYPTION[] =
	"Destination EncryptionConfiguration (SSE-KMS) is not implemented by Strata";
static const char M_NI_RTC[] =
	"Destination ReplicationTime and Metrics (S3 Replication Time Control) are not "
	"implemented by Strata";

/* botocore's StorageClass enum: served by Strata first, the rest refused. */
static const char *const classes_ok[] = {
	"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
	"INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR",
};
static const char *const classes_refused[] = {
	"OUTPOSTS", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS", "FSX_ONTAP",
};
/* clang-format on */

/* State of one rr_parse call. */
struct parser {
	const char *msg;    /* the message of the error being returned; NULL: the code's */
	const char *ni_msg; /* the first element Strata cannot honour (NotImplemented) */
	rr_site_fn site;
	void *site_ctx;
};

static s3err_t fail(struct parser *p, s3err_t err, const char *msg)
{
	p->msg = msg;
	return err;
}

/* Records an element Strata cannot honour; NotImplemented comes once all else is valid. */
static s3err_t not_implemented(struct parser *p, const char *msg)
{
	if (!p->ni_msg)
		p->ni_msg = msg;
	return S3E_OK;
}

/* ---- leaf values ---- */

/* A Status-only element (<X><Status>Enabled</Status></X>); Status optional when !required. */
static s3err_t parse_status_elem(const xmlNode *e, bool required, bool *enabled)
{
	bool have = false;
	const xmlNode *c;
	s3err_t err;

	*enabled = false;
	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (!xmldoc_is_elem(c, "Status") || have)
			return S3E_MalformedXML;
		have = true;
		if ((err = rulexml_leaf_status(c, enabled)))
			return err;
	}
	return have || !required ? S3E_OK : S3E_MalformedXML;
}

/* ---- Filter ---- */

/* clang-format off */
static const struct rulexml_filter_spec filter_spec = {
	.object_sizes = false, /* ReplicationRuleFilter has Prefix, Tag and And only */
	.tags_many = M_TAGS_MANY,
};
/* clang-format on */

/* The one tag type of rule filters, so a parsed filter's tags copy as they are. */
_Static_assert(RULEXML_TAG_LAYOUT(struct rr_tag) && RR_MAX_FILTER_TAGS == RULEXML_MAX_TAGS &&
		   RR_ID_MAX == RULEXML_ID_MAX,
	       "rr_rule holds what rulexml reads");

/* <Filter>: empty, exactly one condition, or exactly one And (ReplicationRuleFilter). */
static s3err_t parse_filter(struct parser *p, const xmlNode *e, struct rr_rule *r)
{
	struct rulexml_filter x;
	s3err_t err;

	err = rulexml_parse_filter(e, &filter_spec, &x, &p->msg);
	if (err)
		return err;
	r->form = x.form == RULEXML_FORM_EMPTY	  ? RR_FORM_EMPTY
		  : x.form == RULEXML_FORM_SINGLE ? RR_FORM_SINGLE
						  : RR_FORM_AND;
	memcpy(r->prefix, x.prefix, sizeof(r->prefix));
	if (x.ntags == 0)
		return S3E_OK; /* tags stays NULL */
	r->tags = calloc(x.ntags, sizeof(*r->tags));
	if (!r->tags)
		return S3E_InternalError;
	memcpy(r->tags, x.tags, x.ntags * sizeof(*r->tags));
	r->ntags = x.ntags;
	return S3E_OK;
}

/* ---- Destination ---- */

/*
 * arn:aws:s3:SITE::BUCKET or arn:aws:s3:::BUCKET into r->site and r->bucket
 * (invariant 4). The site field is the ARN's region, the account is empty.
 */
static s3err_t resolve_arn(struct parser *p, struct rr_rule *r)
{
	static const char head[] = "arn:aws:s3:";
	char site[RR_SITE_MAX + 1];
	const char *s = r->arn + sizeof(head) - 1, *colon;
	size_t n;

	if (!str_starts(r->arn, head) || !(colon = strchr(s, ':')) || colon[1] != ':')
		return fail(p, S3E_InvalidArgument, M_ARN);
	if (!names_bucket_valid(colon + 2) || !str_copy(r->bucket, sizeof(r->bucket), colon + 2))
		return fail(p, S3E_InvalidArgument, M_ARN);
	n = (size_t)(colon - s);
	if (n > RR_SITE_MAX)
		return fail(p, S3E_InvalidArgument, M_SITE);
	memcpy(site, s, n);
	site[n] = '\0';
	if (!p->site || !p->site(p->site_ctx, site, r->site))
		return fail(p, S3E_InvalidArgument, n ? M_SITE : M_SITE_ONE);
	return S3E_OK;
}

/* StorageClass: botocore's enum (MalformedXML outside it), of which Strata writes some. */
static s3err_t leaf_dest_class(struct parser *p, const xmlNode *e, char *out, size_t cap)
{
	char word[STRATA_STORAGE_CLASS_MAX];
	size_t i;
	s3err_t err;

	if ((err = xmldoc_leaf_word(e, word, sizeof(word))))
		return err;
	for (i = 0; i < sizeof(classes_ok) / sizeof(classes_ok[0]); i++)
		if (strcmp(word, classes_ok[i]) == 0)
			return str_copy(out, cap, word) ? S3E_OK : S3E_InternalError;
	for (i = 0; i < sizeof(classes_refused) / sizeof(classes_refused[0]); i++)
		if (strcmp(word, classes_refused[i]) == 0)
			return fail(p, S3E_InvalidStorageClass, M_CLASS);
	return S3E_MalformedXML;
}

/* <Destination>: Bucket required; the elements Strata cannot honour are noted. */
static s3err_t parse_destination(struct parser *p, const xmlNode *e, struct rr_rule *r)
{
	bool have_bucket = false, have_class = false, seen[5] = {false};
	static const char *const ni[] = {"Account", "AccessControlTranslation",
					 "EncryptionConfiguration", "ReplicationTime", "Metrics"};
	static const char *const ni_msg[] = {M_NI_ACCOUNT, M_NI_ACCOUNT, M_NI_ENCRYPTION, M_NI_RTC,
					     M_NI_RTC};
	const xmlNode *c;
	size_t i;
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		err = S3E_MalformedXML;
		if (xmldoc_is_elem(c, "Bucket") && !have_bucket) {
			have_bucket = true;
			err = rulexml_leaf_copy(c, r->arn, RR_ARN_MAX, M_ARN, &p->msg);
			if (!err)
				err = resolve_arn(p, r);
		} else if (xmldoc_is_elem(c, "StorageClass") && !have_class) {
			have_class = true;
			err = leaf_dest_class(p, c, r->storage_class, sizeof(r->storage_class));
		} else {
			for (i = 0; i < sizeof(ni) / sizeof(ni[0]); i++)
				if (xmldoc_is_elem(c, ni[i]) && !seen[i]) {
					seen[i] = true;
					err = not_implemented(p, ni_msg[i]);
				}
		}
		if (err)
			return err;
	}
	return have_bucket ? S3E_OK : S3E_MalformedXML;
}

/* ---- Rule ---- */

static bool rule_is_v2(const struct rr_rule *r)
{
	return r->form != RR_FORM_NONE && r->form != RR_FORM_LEGACY_PREFIX;
}

/* The rule-level checks once every element is read (see "Error order" above). */
static s3err_t check_rule(struct parser *p, struct rr_rule *r, bool have_status, bool have_dest)
{
	if (!have_status || !have_dest)
		return S3E_MalformedXML;
	if (!rule_is_v2(r)) {
		/* V1 replicates delete markers (here: deletes) unless told otherwise. */
		if (!r->has_delete_marker)
			r->deletes = true;
		return S3E_OK;
	}
	if (!r->has_priority)
		return fail(p, S3E_InvalidRequest, M_NEED_PRIO);
	if (!r->has_delete_marker)
		return fail(p, S3E_InvalidRequest, M_NEED_DMR);
	if (r->deletes && r->ntags)
		return fail(p, S3E_InvalidRequest, M_DMR_TAG);
	return S3E_OK;
}

/* Fills *r (zeroed by the caller) from one <Rule>. */
static s3err_t parse_rule(struct parser *p, const xmlNode *e, struct rr_rule *r)
{
	bool have_id = false, have_status = false, have_filter = false, have_prefix = false;
	bool have_dest = false, have_ssc = false, existing = false;
	const xmlNode *c;
	s3err_t err;

	r->form = RR_FORM_NONE;
	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "ID") && !have_id) {
			have_id = true;
			err = rulexml_leaf_id(c, r->id, &p->msg);
		} else if (xmldoc_is_elem(c, "Priority") && !r->has_priority) {
			r->has_priority = true;
			err = rulexml_leaf_int32(c, 0, M_PRIO_NEG, &r->priority, &p->msg);
		} else if (xmldoc_is_elem(c, "Status") && !have_status) {
			have_status = true;
			err = rulexml_leaf_status(c, &r->enabled);
		} else if (xmldoc_is_elem(c, "Filter") && !have_filter && !have_prefix) {
			have_filter = true;
			err = parse_filter(p, c, r);
		} else if (xmldoc_is_elem(c, "Prefix") && !have_prefix && !have_filter) {
			have_prefix = true;
			r->form = RR_FORM_LEGACY_PREFIX;
			err = rulexml_leaf_prefix(c, r->prefix, &p->msg);
		} else if (xmldoc_is_elem(c, "DeleteMarkerReplication") && !r->has_delete_marker) {
			r->has_delete_marker = true;
			err = parse_status_elem(c, false, &r->deletes);
		} else if (xmldoc_is_elem(c, "ExistingObjectReplication") && !r->has_existing) {
			r->has_existing = true;
			err = parse_status_elem(c, true, &existing);
			if (!err && existing)
				err = not_implemented(p, M_NI_EXISTING);
		} else if (xmldoc_is_elem(c, "SourceSelectionCriteria") && !have_ssc) {
			have_ssc = true;
			err = not_implemented(p, M_NI_SSC);
		} else if (xmldoc_is_elem(c, "Destination") && !have_dest) {
			have_dest = true;
			err = parse_destination(p, c, r);
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
	}
	return check_rule(p, r, have_status, have_dest);
}

/* ---- whole-configuration checks ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Invariants 1 and 2: unique non-empty IDs; unique priorities among V2 rules. Sorted: n log n. */
static s3err_t check_unique(struct parser *p, const struct rr_config *c)
{
	const char **ids = malloc(c->nrules * sizeof(*ids));
	uint32_t *prio = malloc(c->nrules * sizeof(*prio));
	size_t i, nid = 0, np = 0;
	s3err_t err = S3E_OK;

	if (!ids || !prio) {
		err = S3E_InternalError;
		goto out;
	}
	for (i = 0; i < c->nrules; i++) {
		if (c->rules[i].id[0])
			ids[nid++] = c->rules[i].id;
		if (rule_is_v2(&c->rules[i]))
			prio[np++] = c->rules[i].priority;
	}
	if (rulexml_has_repeat(ids, nid))
		err = fail(p, S3E_InvalidArgument, M_ID_SAME);
	qsort(prio, np, sizeof(*prio), cmp_u32);
	for (i = 1; i < np && !err; i++)
		if (prio[i - 1] == prio[i])
			err = fail(p, S3E_InvalidArgument, M_PRIO_SAME);
out:
	free(ids);
	free(prio);
	return err;
}

static bool same_destination(const struct rr_rule *a, const struct rr_rule *b)
{
	return strcmp(a->site, b->site) == 0 && strcmp(a->bucket, b->bucket) == 0;
}

/*
 * Invariant 4 and AWS's V1 rules: one destination for V1 rules, whose
 * prefixes must not overlap (two rules would claim one key); at most
 * RR_MAX_DESTINATIONS otherwise.
 */
static s3err_t check_destinations(struct parser *p, const struct rr_config *c, bool v2)
{
	const struct rr_rule *dest[RR_MAX_DESTINATIONS];
	size_t i, j, n = 0;

	for (i = 0; i < c->nrules; i++) {
		for (j = 0; j < n && !same_destination(dest[j], &c->rules[i]); j++)
			;
		if (j < n)
			continue;
		if (!v2 && n == 1)
			return fail(p, S3E_InvalidRequest, M_V1_DEST);
		if (n == RR_MAX_DESTINATIONS)
			return fail(p, S3E_InvalidRequest, M_DEST_MANY);
		dest[n++] = &c->rules[i];
	}
	if (v2)
		return S3E_OK;
	for (i = 0; i < c->nrules; i++)
		for (j = i + 1; j < c->nrules; j++)
			if (str_starts(c->rules[i].prefix, c->rules[j].prefix) ||
			    str_starts(c->rules[j].prefix, c->rules[i].prefix))
				return fail(p, S3E_InvalidArgument, M_OVERLAP);
	return S3E_OK;
}

/* Invariant 5: the canonical form is within the cap rr_parse applies. */
static s3err_t check_canonical_size(struct parser *p, const struct rr_config *c)
{
	struct buf b;
	s3err_t err;

	buf_init(&b, RR_MAX_XML, S3E_MaxMessageLengthExceeded);
	err = rr_to_xml(c, &b);
	buf_free(&b);
	return err == S3E_MaxMessageLengthExceeded ? fail(p, err, M_CANONICAL) : err;
}

static s3err_t check_config(struct parser *p, const struct rr_config *c)
{
	bool v2 = rule_is_v2(&c->rules[0]);
	size_t i;
	s3err_t err;

	for (i = 1; i < c->nrules; i++)
		if (rule_is_v2(&c->rules[i]) != v2)
			return fail(p, S3E_InvalidRequest, M_MIXED);
	if ((err = check_unique(p, c)) || (err = check_destinations(p, c, v2)) ||
	    (err = check_canonical_size(p, c)))
		return err;
	if (p->ni_msg)
		return fail(p, S3E_NotImplemented, p->ni_msg);
	return S3E_OK;
}

/* Role: required, once, 1..RR_ROLE_MAX bytes (kept, not interpreted). */
static s3err_t parse_role(struct parser *p, const xmlNode *e, struct rr_config *c)
{
	s3err_t err = rulexml_leaf_copy(e, c->role, RR_ROLE_MAX, M_ROLE, &p->msg);

	if (!err && !c->role[0])
		err = fail(p, S3E_InvalidArgument, M_ROLE);
	return err;
}

s3err_t rr_parse(const char *body, size_t len, rr_site_fn site, void *site_ctx,
		 struct rr_config *out, const char **message)
{
	struct parser p = {NULL, NULL, site, site_ctx};
	struct rr_config c;
	const xmlNode *root = NULL, *n;
	xmlDocPtr doc = NULL;
	bool have_role = false;
	size_t count = 0;
	s3err_t err;

	memset(&c, 0, sizeof(c));
	err = xmldoc_parse_root(body, len, RR_MAX_XML, "ReplicationConfiguration", &doc, &root);
	if (err)
		goto out;
	/* First pass: shape and count, so the array is sized once and capped. */
	err = S3E_MalformedXML;
	for (n = root->children; n; n = n->next) {
		if (xmldoc_is_ignorable(n))
			continue;
		if (xmldoc_is_elem(n, "Role") && !have_role)
			have_role = true;
		else if (!xmldoc_is_elem(n, "Rule") || ++count > RR_MAX_RULES)
			goto out;
	}
	if (count == 0 || !have_role) /* both required by the ReplicationConfiguration shape */
		goto out;
	c.rules = calloc(count, sizeof(*c.rules));
	if (!c.rules) {
		err = S3E_InternalError;
		goto out;
	}
	err = S3E_OK;
	for (n = root->children; n && !err; n = n->next) {
		if (xmldoc_is_elem(n, "Role")) {
			err = parse_role(&p, n, &c);
		} else if (xmldoc_is_elem(n, "Rule")) {
			c.nrules++; /* counted first, so that rr_config_free frees its tags */
			err = parse_rule(&p, n, &c.rules[c.nrules - 1]);
		}
	}
	if (!err)
		err = check_config(&p, &c);
	if (err)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
out:
	xmlFreeDoc(doc);
	rr_config_free(&c);
	if (err && message)
		*message = p.msg ? p.msg : s3err_message(err);
	return err;
}

void rr_config_free(struct rr_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nrules; i++)
		free(c->rules[i].tags);
	free(c->rules);
	c->rules = NULL;
	c->nrules = 0;
}

bool rr_site_from_config(void *ctx, const char *site, char out[RR_SITE_MAX + 1])
{
	const struct config *cfg = ctx;
	unsigned i;

	if (!cfg)
		return false;
	if (!site[0]) {
		if (cfg->nsites != 1)
			return false;
		return str_copy(out, RR_SITE_MAX + 1, cfg->sites[0].name);
	}
	for (i = 0; i < cfg->nsites; i++)
		if (strcmp(cfg->sites[i].name, site) == 0)
			return str_copy(out, RR_SITE_MAX + 1, site);
	return false;
}

/* ---- matching ---- */

/* A Tag condition matches nothing: Strata has no object tags yet (replrules.h). */
static bool rule_matches(const struct rr_rule *r, const char *key)
{
	return r->enabled && r->ntags == 0 && str_starts(key, r->prefix);
}

size_t rr_match(const struct rr_config *c, const char *key, bool is_delete,
		const struct rr_rule **out, size_t max)
{
	const struct rr_rule *win[RR_MAX_DESTINATIONS];
	size_t i, j, n = 0, kept = 0;

	for (i = 0; c && i < c->nrules; i++) {
		const struct rr_rule *r = &c->rules[i];

		if (!rule_matches(r, key))
			continue;
		for (j = 0; j < n && !same_destination(win[j], r); j++)
			;
		if (j < n) {
			if (r->priority > win[j]->priority)
				win[j] = r;
		} else if (n < RR_MAX_DESTINATIONS) {
			win[n++] = r;
		}
	}
	/* The winner decides for its destination: a lower rule never adds deletes. */
	for (j = 0; j < n && kept < max; j++)
		if (!is_delete || win[j]->deletes)
			out[kept++] = win[j];
	return kept;
}

/* ---- writing ---- */

/* The conditions of a V2 Filter (a rulexml_write_filter callback; ctx: the rr_rule). */
static s3err_t write_conds(struct buf *b, const void *ctx)
{
	const struct rr_rule *r = ctx;
	s3err_t err = S3E_OK;
	size_t i;

	if (r->prefix[0] || !r->ntags)
		err = xmlw_elem(b, "Prefix", r->prefix);
	for (i = 0; i < r->ntags && !err; i++)
		err = rulexml_write_tag(b, r->tags[i].key, r->tags[i].value);
	return err;
}

/*
 * The filter in its form. A struct built by hand whose form does not match
 * its conditions is written in a form that keeps every condition: a V1
 * rule with tags as an And, one with a prefix and form NONE as a Prefix.
 */
static s3err_t write_filter(struct buf *b, const struct rr_rule *r)
{
	size_t n = (r->prefix[0] != '\0') + r->ntags;
	enum rulexml_form form = RULEXML_FORM_AND;

	if (!rule_is_v2(r) && !r->ntags) {
		if (r->form == RR_FORM_NONE && !r->prefix[0])
			return S3E_OK;
		return xmlw_elem(b, "Prefix", r->prefix);
	}
	if (r->form == RR_FORM_EMPTY)
		form = RULEXML_FORM_EMPTY;
	else if (r->form == RR_FORM_SINGLE)
		form = RULEXML_FORM_SINGLE;
	return rulexml_write_filter(b, form, n, write_conds, r);
}

static s3err_t write_status_elem(struct buf *b, const char *name, bool enabled)
{
	s3err_t err = xmlw_open(b, name);

	if (!err)
		err = xmlw_elem(b, "Status", enabled ? "Enabled" : "Disabled");
	if (!err)
		err = xmlw_close(b, name);
	return err;
}

/* One Rule in botocore's member order (ReplicationRule). */
static s3err_t write_rule(struct buf *b, const struct rr_rule *r)
{
	s3err_t err = xmlw_open(b, "Rule");

	if (!err && r->id[0])
		err = xmlw_elem(b, "ID", r->id);
	if (!err && r->has_priority)
		err = xmlw_elem_u64(b, "Priority", r->priority);
	if (!err)
		err = write_filter(b, r);
	if (!err)
		err = xmlw_elem(b, "Status", r->enabled ? "Enabled" : "Disabled");
	if (!err && r->has_existing)
		err = write_status_elem(b, "ExistingObjectReplication", false);
	if (!err)
		err = xmlw_open(b, "Destination");
	if (!err)
		err = xmlw_elem(b, "Bucket", r->arn);
	if (!err && r->storage_class[0])
		err = xmlw_elem(b, "StorageClass", r->storage_class);
	if (!err)
		err = xmlw_close(b, "Destination");
	if (!err && r->has_delete_marker)
		err = write_status_elem(b, "DeleteMarkerReplication", r->deletes);
	if (!err)
		err = xmlw_close(b, "Rule");
	return err;
}

s3err_t rr_to_xml(const struct rr_config *c, struct buf *out)
{
	size_t mark = out->len, i;
	s3err_t err;

	err = xmlw_begin(out, "ReplicationConfiguration");
	if (!err)
		err = xmlw_elem(out, "Role", c->role);
	for (i = 0; i < c->nrules && !err; i++)
		err = write_rule(out, &c->rules[i]);
	if (!err)
		err = xmlw_close(out, "ReplicationConfiguration");
	if (err)
		buf_truncate(out, mark);
	return err;
}
