/*
 * rulexml: pieces of S3 rule documents shared by lifecycle (lcrules.c) and
 * replication (replrules.c) configurations: bounded leaves, the Status
 * enum, the rule Filter (Prefix | Tag | And of them, plus lifecycle's
 * object sizes) with its tag limits, and writing a Filter back.
 *
 * Internal to common/ (it walks libxml2 trees from xmldoc.h): the public
 * headers lcrules.h and replrules.h do not include it. The documents differ
 * in AWS's wording ("A lifecycle rule filter ..." / "A replication rule
 * filter ..."), so every message comes from the caller; a helper that
 * answers an error with a message stores it in *msg (left alone otherwise).
 */
#ifndef STRATA_RULEXML_H
#define STRATA_RULEXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "limits.h"
#include "s3err.h"
#include "xmldoc.h"

#define RULEXML_ID_MAX 255u	 /* bytes of a rule ID, AWS's limit for both documents */
#define RULEXML_MAX_TAGS 10u	 /* tags in one filter, AWS's limit for both documents */
#define RULEXML_TAG_KEY_MAX 128u /* AWS tag limits, bytes */
#define RULEXML_TAG_VALUE_MAX 256u

struct rulexml_tag {
	char key[RULEXML_TAG_KEY_MAX + 1];
	char value[RULEXML_TAG_VALUE_MAX + 1];
};

/* true if a caller's tag struct is laid out as rulexml_tag, so parsed tags copy with memcpy. */
#define RULEXML_TAG_LAYOUT(T)                                                                      \
	(sizeof(T) == sizeof(struct rulexml_tag) &&                                                \
	 offsetof(T, value) == offsetof(struct rulexml_tag, value))

/* How a Filter element was written (a legacy rule-level Prefix is the caller's). */
enum rulexml_form {
	RULEXML_FORM_EMPTY,  /* <Filter/>: every object */
	RULEXML_FORM_SINGLE, /* <Filter> with exactly one condition, no And */
	RULEXML_FORM_AND,    /* <Filter><And>...</And></Filter> */
};

/* A parsed Filter, before the caller copies it into its own configuration. */
struct rulexml_filter {
	enum rulexml_form form;
	char prefix[STRATA_MAX_KEY_LEN + 1]; /* "" = every key */
	size_t ntags;			     /* keys 1..RULEXML_TAG_KEY_MAX bytes, unique */
	struct rulexml_tag tags[RULEXML_MAX_TAGS];
	bool has_size_gt;
	uint64_t size_gt; /* ObjectSizeGreaterThan */
	bool has_size_lt;
	uint64_t size_lt; /* ObjectSizeLessThan: >= 1 and > size_gt when both are given */
};

/*
 * Which filter grammar a document has and the messages in which the
 * documents differ (static strings). The others are AWS's texts for both:
 * prefix, tag key and value too long, a repeated tag key.
 */
struct rulexml_filter_spec {
	bool object_sizes;	/* ObjectSize* conditions exist (LifecycleRuleFilter) */
	const char *tags_many;	/* InvalidArgument: more than RULEXML_MAX_TAGS tags */
	const char *size_neg;	/* InvalidArgument: a negative size (object_sizes only) */
	const char *size_lt0;	/* InvalidArgument: ObjectSizeLessThan 0 */
	const char *size_range; /* InvalidArgument: sizes that exclude every object */
};

/* ---- leaves ---- */

/*
 * A leaf's exact text (IDs, prefixes, tag keys and values keep every byte)
 * into out, which holds max bytes plus the NUL. Longer is InvalidArgument
 * with too_long, never a truncated value that would select other objects.
 * Other errors: xmldoc_leaf_text's. out is written only on success.
 */
s3err_t rulexml_leaf_copy(const xmlNode *e, char *out, size_t max, const char *too_long,
			  const char **msg);

/* A rule's ID: at most RULEXML_ID_MAX bytes (InvalidArgument with AWS's message). */
s3err_t rulexml_leaf_id(const xmlNode *e, char out[RULEXML_ID_MAX + 1], const char **msg);

/* A Prefix: at most STRATA_MAX_KEY_LEN bytes (InvalidArgument with AWS's message). */
s3err_t rulexml_leaf_prefix(const xmlNode *e, char out[STRATA_MAX_KEY_LEN + 1], const char **msg);

/*
 * An xs:int leaf (Days, Priority) of at least min: decimal digits with an
 * optional '-', XML white space around. Not a number, or beyond INT32_MAX
 * (past the schema type): MalformedXML. Negative or below min:
 * InvalidArgument with below_min, which is how AWS answers "Days" of 0 or a
 * Priority of -1. *out is written only on success.
 */
s3err_t rulexml_leaf_int32(const xmlNode *e, uint32_t min, const char *below_min, uint32_t *out,
			   const char **msg);

/* A Status leaf: Enabled | Disabled (the *Status enums); anything else is MalformedXML. */
s3err_t rulexml_leaf_status(const xmlNode *e, bool *enabled);

/* ---- Filter ---- */

/*
 * Parses a <Filter> into *out (which it clears first): empty, exactly one
 * condition, or exactly one And of them; two conditions without And, an
 * empty And, a repeated element (but Tag inside And), or an element outside
 * spec's grammar is MalformedXML. Value errors carry spec's messages: see
 * struct rulexml_filter_spec. Errors come in document order, the size
 * checks at the end of the And, then of the Filter.
 */
s3err_t rulexml_parse_filter(const xmlNode *e, const struct rulexml_filter_spec *spec,
			     struct rulexml_filter *out, const char **msg);

/* true if two of v[0..n) are equal strings; sorts v (n log n for 1000 long IDs). */
bool rulexml_has_repeat(const char **v, size_t n);

/* ---- writing ---- */

/* Appends <Tag><Key>key</Key><Value>value</Value></Tag>. Errors: the buffer's. */
s3err_t rulexml_write_tag(struct buf *b, const char *key, const char *value);

/*
 * Appends a <Filter> of nconds conditions, which conds(b, ctx) writes. The
 * form is raised to one that holds them all (EMPTY with conditions is
 * SINGLE, SINGLE with several is AND), so that a configuration built by
 * hand is never written as a broader filter. Errors: the buffer's.
 */
s3err_t rulexml_write_filter(struct buf *b, enum rulexml_form form, size_t nconds,
			     s3err_t (*conds)(struct buf *b, const void *ctx), const void *ctx);

#endif
