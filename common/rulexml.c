/*
 * rulexml: leaves, Filter and tags of S3 rule documents (see rulexml.h).
 *
 * The Filter grammar is botocore's LifecycleRuleFilter and
 * ReplicationRuleFilter: a choice of Prefix, Tag, And (and, for lifecycle,
 * ObjectSizeGreaterThan, ObjectSizeLessThan), And holding at most one of
 * each but any number of Tags. A schema-validating server answers a second
 * choice with MalformedXML; Strata does too, after reading the elements in
 * order, so that a bad value met first keeps AWS's InvalidArgument.
 */
#include "rulexml.h"

#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "xmlw.h"

_Static_assert(RULEXML_ID_MAX == 255, "M_ID_LONG names the limit");
_Static_assert(STRATA_MAX_KEY_LEN == 1024, "M_PREFIX_LONG names the limit");

/* AWS's texts, the same in lifecycle and replication configurations. */
static const char M_ID_LONG[] = "ID length should not exceed allowed limit of 255";
static const char M_PREFIX_LONG[] = "The maximum size of a prefix is 1024";
static const char M_TAG_KEY[] = "The TagKey you have provided is invalid";
static const char M_TAG_VALUE[] = "The TagValue you have provided is invalid";
static const char M_TAG_DUP[] = "Duplicate Tag Keys are not allowed.";

/* Records the message of an error and returns it, so each check is one statement. */
static s3err_t fail(const char **msg, s3err_t err, const char *text)
{
	*msg = text;
	return err;
}

/* ---- leaves ---- */

s3err_t rulexml_leaf_copy(const xmlNode *e, char *out, size_t max, const char *too_long,
			  const char **msg)
{
	char *s = NULL;
	size_t len;
	s3err_t err;

	err = xmldoc_leaf_text(e, &s, &len);
	if (err)
		return err;
	if (len > max)
		err = fail(msg, S3E_InvalidArgument, too_long);
	else
		memcpy(out, s, len + 1);
	free(s);
	return err;
}

s3err_t rulexml_leaf_id(const xmlNode *e, char out[RULEXML_ID_MAX + 1], const char **msg)
{
	return rulexml_leaf_copy(e, out, RULEXML_ID_MAX, M_ID_LONG, msg);
}

s3err_t rulexml_leaf_prefix(const xmlNode *e, char out[STRATA_MAX_KEY_LEN + 1], const char **msg)
{
	return rulexml_leaf_copy(e, out, STRATA_MAX_KEY_LEN, M_PREFIX_LONG, msg);
}

/*
 * An integer leaf of the schema types xs:int and xs:long in [min, max];
 * see rulexml_leaf_int32.
 */
static s3err_t leaf_int(const xmlNode *e, uint64_t min, uint64_t max, const char *below_min,
			uint64_t *out, const char **msg)
{
	char word[32];
	const char *digits = word;
	bool negative;
	uint64_t v;
	s3err_t err;

	err = xmldoc_leaf_word(e, word, sizeof(word));
	if (err)
		return err;
	negative = word[0] == '-';
	if (negative)
		digits++;
	/* -max-1 is in range for the schema type; its magnitude still fits u64. */
	if (!parse_u64_str(digits, 0, negative ? max + 1 : max, &v))
		return S3E_MalformedXML;
	if ((negative && v != 0) || v < min)
		return fail(msg, S3E_InvalidArgument, below_min);
	*out = v;
	return S3E_OK;
}

s3err_t rulexml_leaf_int32(const xmlNode *e, uint32_t min, const char *below_min, uint32_t *out,
			   const char **msg)
{
	uint64_t v;
	s3err_t err = leaf_int(e, min, INT32_MAX, below_min, &v, msg);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

s3err_t rulexml_leaf_status(const xmlNode *e, bool *enabled)
{
	char word[16];
	s3err_t err = xmldoc_leaf_word(e, word, sizeof(word));

	if (err)
		return err;
	if (strcmp(word, "Enabled") == 0)
		*enabled = true;
	else if (strcmp(word, "Disabled") == 0)
		*enabled = false;
	else
		return S3E_MalformedXML;
	return S3E_OK;
}

/* ---- Filter ---- */

/* One parse of a Filter: where it goes and how it answers. */
struct filter_parse {
	const struct rulexml_filter_spec *spec;
	struct rulexml_filter *f;
	const char **msg;
};

/* <Tag><Key>k</Key><Value>v</Value></Tag>: both required (the Tag shape), once each. */
static s3err_t parse_tag(struct filter_parse *fp, const xmlNode *e, struct rulexml_tag *tag)
{
	bool have_key = false, have_value = false;
	const xmlNode *c;
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Key") && !have_key) {
			have_key = true;
			err =
			    rulexml_leaf_copy(c, tag->key, RULEXML_TAG_KEY_MAX, M_TAG_KEY, fp->msg);
		} else if (xmldoc_is_elem(c, "Value") && !have_value) {
			have_value = true;
			err = rulexml_leaf_copy(c, tag->value, RULEXML_TAG_VALUE_MAX, M_TAG_VALUE,
						fp->msg);
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
	}
	if (!have_key || !have_value)
		return S3E_MalformedXML;
	if (!tag->key[0])
		return fail(fp->msg, S3E_InvalidArgument, M_TAG_KEY);
	return S3E_OK;
}

/* Appends one Tag; the cap comes before its value, the unique key after (as AWS). */
static s3err_t add_tag(struct filter_parse *fp, const xmlNode *e)
{
	struct rulexml_filter *f = fp->f;
	struct rulexml_tag *tag;
	size_t i;
	s3err_t err;

	if (f->ntags == RULEXML_MAX_TAGS)
		return fail(fp->msg, S3E_InvalidArgument, fp->spec->tags_many);
	tag = &f->tags[f->ntags];
	err = parse_tag(fp, e, tag);
	if (err)
		return err;
	for (i = 0; i < f->ntags; i++) {
		if (strcmp(f->tags[i].key, tag->key) == 0)
			return fail(fp->msg, S3E_InvalidRequest, M_TAG_DUP);
	}
	f->ntags++;
	return S3E_OK;
}

/* ObjectSize*: an xs:long; negative is InvalidArgument. */
static s3err_t leaf_size(struct filter_parse *fp, const xmlNode *e, uint64_t *out)
{
	return leaf_int(e, 0, INT64_MAX, fp->spec->size_neg, out, fp->msg);
}

/*
 * The conditions of a Filter (in_and false) or of its And, counted in
 * *count. A Tag outside And is a second choice once the filter has one (an
 * And's tags included). Size bounds that can match nothing are
 * InvalidArgument, checked when each level is read.
 */
static s3err_t parse_conds(struct filter_parse *fp, const xmlNode *e, bool in_and, size_t *count,
			   bool *has_and)
{
	struct rulexml_filter *f = fp->f;
	bool have_prefix = false, have_gt = false, have_lt = false, sizes = fp->spec->object_sizes;
	size_t inner = 0;
	const xmlNode *c;
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Prefix") && !have_prefix) {
			have_prefix = true;
			err = rulexml_leaf_prefix(c, f->prefix, fp->msg);
		} else if (xmldoc_is_elem(c, "Tag") && (in_and || f->ntags == 0)) {
			err = add_tag(fp, c);
		} else if (sizes && xmldoc_is_elem(c, "ObjectSizeGreaterThan") && !have_gt) {
			have_gt = f->has_size_gt = true;
			err = leaf_size(fp, c, &f->size_gt);
		} else if (sizes && xmldoc_is_elem(c, "ObjectSizeLessThan") && !have_lt) {
			have_lt = f->has_size_lt = true;
			err = leaf_size(fp, c, &f->size_lt);
		} else if (xmldoc_is_elem(c, "And") && !in_and && !*has_and) {
			*has_and = true;
			err = parse_conds(fp, c, true, &inner, has_and);
			if (!err && inner == 0)
				err = S3E_MalformedXML;
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
		(*count)++;
	}
	if (f->has_size_lt && f->size_lt == 0)
		return fail(fp->msg, S3E_InvalidArgument, fp->spec->size_lt0);
	if (f->has_size_gt && f->has_size_lt && f->size_gt >= f->size_lt)
		return fail(fp->msg, S3E_InvalidArgument, fp->spec->size_range);
	return S3E_OK;
}

s3err_t rulexml_parse_filter(const xmlNode *e, const struct rulexml_filter_spec *spec,
			     struct rulexml_filter *out, const char **msg)
{
	struct filter_parse fp = {spec, out, msg};
	bool has_and = false;
	size_t n = 0;
	s3err_t err;

	memset(out, 0, sizeof(*out));
	err = parse_conds(&fp, e, false, &n, &has_and);
	if (err)
		return err;
	if (n > 1)
		return S3E_MalformedXML; /* two conditions need an And */
	out->form = n == 0 ? RULEXML_FORM_EMPTY : has_and ? RULEXML_FORM_AND : RULEXML_FORM_SINGLE;
	return S3E_OK;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool rulexml_has_repeat(const char **v, size_t n)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_str_ptr);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i - 1], v[i]) == 0)
			return true;
	}
	return false;
}

/* ---- writing ---- */

s3err_t rulexml_write_tag(struct buf *b, const char *key, const char *value)
{
	s3err_t err = xmlw_open(b, "Tag");

	if (!err)
		err = xmlw_elem(b, "Key", key);
	if (!err)
		err = xmlw_elem(b, "Value", value);
	if (!err)
		err = xmlw_close(b, "Tag");
	return err;
}

s3err_t rulexml_write_filter(struct buf *b, enum rulexml_form form, size_t nconds,
			     s3err_t (*conds)(struct buf *b, const void *ctx), const void *ctx)
{
	s3err_t err;

	if (form == RULEXML_FORM_EMPTY && nconds > 0)
		form = RULEXML_FORM_SINGLE;
	if (form == RULEXML_FORM_SINGLE && nconds > 1)
		form = RULEXML_FORM_AND;
	err = xmlw_open(b, "Filter");
	if (!err && form == RULEXML_FORM_AND)
		err = xmlw_open(b, "And");
	if (!err && form != RULEXML_FORM_EMPTY)
		err = conds(b, ctx);
	if (!err && form == RULEXML_FORM_AND)
		err = xmlw_close(b, "And");
	if (!err)
		err = xmlw_close(b, "Filter");
	return err;
}
