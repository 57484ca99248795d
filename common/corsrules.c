/*
 * corsrules: a CORSConfiguration body <-> struct cors_config, and the pure
 * matching of a browser's request against it (see corsrules.h).
 *
 * Parsing goes through common/xmldoc (size cap, no DTD, no entities, no
 * network) and common/rulexml (the rule ID) and walks the tree once,
 * stopping at the first error. Elements may come in any order; an element
 * outside botocore's CORSRule shape, or a repeated ID or MaxAgeSeconds, is
 * MalformedXML.
 *
 * Invariants of a parsed configuration (what cors_match relies on):
 *  1. 1 <= nrules <= CORS_MAX_RULES.
 *  2. Every rule has at least one method and one origin; every method is
 *     one of the five names and method_mask holds exactly their bits.
 *  3. Every origin and allowed header has at most one '*'; no expose
 *     header has one; any_origin is true iff an origin is exactly "*".
 *  4. The canonical form (cors_to_xml) fits in CORS_MAX_XML, so cors_parse
 *     takes back what cors_to_xml wrote (the gateway stores that form).
 */
#include "corsrules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulexml.h"
#include "strutil.h"
#include "xmldoc.h"
#include "xmlw.h"

_Static_assert(CORS_MAX_RULES == 100, "M_RULES_MANY names the limit");
_Static_assert(CORS_ID_MAX == RULEXML_ID_MAX, "rulexml_leaf_id fills a rule's id");

static const char M_RULES_MANY[] =
    "The number of CORS rules should not exceed allowed limit of 100 rules.";
static const char M_MAX_AGE_NEG[] = "MaxAgeSeconds must be a non-negative integer";
static const char M_CANONICAL[] =
    "The CORS configuration exceeds 65536 bytes as GetBucketCors returns it";

/* The five methods AWS allows in a rule, and their bits. */
static const struct {
	const char *name;
	unsigned bit;
} methods[] = {
    {"GET", CORS_GET},	     {"PUT", CORS_PUT},	  {"POST", CORS_POST},
    {"DELETE", CORS_DELETE}, {"HEAD", CORS_HEAD},
};

/* State of one cors_parse call. */
struct parser {
	const char *msg; /* the message of the error being returned; NULL: the code's */
	char *msgbuf;	 /* CORS_MESSAGE_MAX bytes, for messages naming a value */
};

static s3err_t fail(struct parser *p, s3err_t err, const char *msg)
{
	p->msg = msg;
	return err;
}

/* A message naming the value, as AWS's do (truncated to fit msgbuf). */
static s3err_t failv(struct parser *p, s3err_t err, const char *before, const char *value,
		     const char *after)
{
	snprintf(p->msgbuf, CORS_MESSAGE_MAX, "%s%s%s", before, value, after);
	p->msg = p->msgbuf;
	return err;
}

unsigned cors_method_bit(const char *method)
{
	size_t i;

	for (i = 0; method && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(method, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

static size_t count_stars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '*';
	return n;
}

static void list_free(struct cors_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Appends s (taking ownership; freed on error). */
static s3err_t list_add(struct cors_list *l, char *s)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v) {
		free(s);
		return S3E_InternalError;
	}
	v[l->n++] = s;
	l->v = v;
	return S3E_OK;
}

/* ---- one rule ---- */

/* An AllowedMethod: exactly one of the five (InvalidRequest naming it otherwise). */
static s3err_t parse_method(struct parser *p, const xmlNode *e, struct cors_rule *r)
{
	char *s = NULL;
	size_t len;
	unsigned bit;
	s3err_t err;

	if ((err = xmldoc_leaf_text(e, &s, &len)))
		return err;
	bit = cors_method_bit(s);
	if (!bit) {
		err = failv(p, S3E_InvalidRequest,
			    "Found unsupported HTTP method in CORS config. Unsupported method is ",
			    s, "");
		free(s);
		return err;
	}
	r->method_mask |= bit;
	return list_add(&r->methods, s);
}

/*
 * AllowedOrigin, AllowedHeader, ExposeHeader: kept byte for byte. max_stars
 * is how many '*' the element may hold; more is InvalidRequest with AWS's
 * message: name "VALUE" then too_many.
 */
static s3err_t parse_value(struct parser *p, const xmlNode *e, struct cors_list *l,
			   size_t max_stars, const char *name, const char *too_many)
{
	char *s = NULL;
	size_t len;
	s3err_t err;

	if ((err = xmldoc_leaf_text(e, &s, &len)))
		return err;
	if (strlen(s) != len) { /* an encoded NUL (&#0; is not XML, but CDATA...) */
		free(s);
		return S3E_MalformedXML;
	}
	if (count_stars(s) > max_stars) {
		err = failv(p, S3E_InvalidRequest, name, s, too_many);
		free(s);
		return err;
	}
	return list_add(l, s);
}

/* Fills *r (zeroed by the caller) from one <CORSRule>. */
static s3err_t parse_rule(struct parser *p, const xmlNode *e, struct cors_rule *r)
{
	bool have_id = false;
	const xmlNode *c;
	size_t i;
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "ID") && !have_id) {
			have_id = true;
			err = rulexml_leaf_id(c, r->id, &p->msg);
		} else if (xmldoc_is_elem(c, "AllowedMethod")) {
			err = parse_method(p, c, r);
		} else if (xmldoc_is_elem(c, "AllowedOrigin")) {
			err = parse_value(p, c, &r->origins, 1, "AllowedOrigin \"",
					  "\" can not have more than one wildcard.");
		} else if (xmldoc_is_elem(c, "AllowedHeader")) {
			err = parse_value(p, c, &r->headers, 1, "AllowedHeader \"",
					  "\" can not have more than one wildcard.");
		} else if (xmldoc_is_elem(c, "ExposeHeader")) {
			err = parse_value(p, c, &r->expose, 0, "ExposeHeader \"",
					  "\" contains wildcard. We currently do not support "
					  "wildcard for ExposeHeader.");
		} else if (xmldoc_is_elem(c, "MaxAgeSeconds") && !r->has_max_age) {
			r->has_max_age = true;
			err = rulexml_leaf_int32(c, 0, M_MAX_AGE_NEG, &r->max_age, &p->msg);
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
	}
	/* Both lists are required members of the CORSRule shape. */
	if (r->methods.n == 0 || r->origins.n == 0)
		return fail(p, S3E_MalformedXML, NULL);
	for (i = 0; i < r->origins.n; i++)
		if (strcmp(r->origins.v[i], "*") == 0)
			r->any_origin = true;
	return S3E_OK;
}

/* Invariant 4: the canonical form is within the cap cors_parse applies. */
static s3err_t check_canonical_size(struct parser *p, const struct cors_config *c)
{
	struct buf b;
	s3err_t err;

	buf_init(&b, CORS_MAX_XML, S3E_MaxMessageLengthExceeded);
	err = cors_to_xml(c, &b);
	buf_free(&b);
	return err == S3E_MaxMessageLengthExceeded ? fail(p, err, M_CANONICAL) : err;
}

s3err_t cors_parse(const char *body, size_t len, struct cors_config *out, const char **message,
		   char msgbuf[CORS_MESSAGE_MAX])
{
	struct parser p = {NULL, msgbuf};
	struct cors_config c = {0, NULL};
	const xmlNode *root = NULL, *n;
	xmlDocPtr doc = NULL;
	size_t count = 0;
	s3err_t err;

	err = xmldoc_parse_root(body, len, CORS_MAX_XML, "CORSConfiguration", &doc, &root);
	if (err)
		goto out;
	/* First pass: shape and count, so the array is sized once and capped. */
	for (n = root->children; n; n = n->next) {
		if (xmldoc_is_ignorable(n))
			continue;
		if (!xmldoc_is_elem(n, "CORSRule")) {
			err = S3E_MalformedXML;
			goto out;
		}
		count++;
	}
	if (count == 0) { /* CORSRules is a required member */
		err = S3E_MalformedXML;
		goto out;
	}
	if (count > CORS_MAX_RULES) {
		err = fail(&p, S3E_InvalidRequest, M_RULES_MANY);
		goto out;
	}
	c.rules = calloc(count, sizeof(*c.rules));
	if (!c.rules) {
		err = S3E_InternalError;
		goto out;
	}
	for (n = root->children; n && !err; n = n->next) {
		if (!xmldoc_is_elem(n, "CORSRule"))
			continue;
		c.nrules++; /* counted first, so that cors_config_free frees its lists */
		err = parse_rule(&p, n, &c.rules[c.nrules - 1]);
	}
	if (!err)
		err = check_canonical_size(&p, &c);
	if (err)
		goto out;
	*out = c;
	c.rules = NULL;
	c.nrules = 0;
out:
	xmlFreeDoc(doc);
	cors_config_free(&c);
	if (err && message)
		*message = p.msg ? p.msg : s3err_message(err);
	return err;
}

void cors_config_free(struct cors_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nrules; i++) {
		list_free(&c->rules[i].headers);
		list_free(&c->rules[i].methods);
		list_free(&c->rules[i].origins);
		list_free(&c->rules[i].expose);
	}
	free(c->rules);
	c->rules = NULL;
	c->nrules = 0;
}

/* ---- writing ---- */

static s3err_t write_list(struct buf *b, const char *name, const struct cors_list *l)
{
	s3err_t err = S3E_OK;
	size_t i;

	for (i = 0; i < l->n && !err; i++)
		err = xmlw_elem(b, name, l->v[i]);
	return err;
}

/* One CORSRule in botocore's member order. */
static s3err_t write_rule(struct buf *b, const struct cors_rule *r)
{
	s3err_t err = xmlw_open(b, "CORSRule");

	if (!err && r->id[0])
		err = xmlw_elem(b, "ID", r->id);
	if (!err)
		err = write_list(b, "AllowedHeader", &r->headers);
	if (!err)
		err = write_list(b, "AllowedMethod", &r->methods);
	if (!err)
		err = write_list(b, "AllowedOrigin", &r->origins);
	if (!err)
		err = write_list(b, "ExposeHeader", &r->expose);
	if (!err && r->has_max_age)
		err = xmlw_elem_u64(b, "MaxAgeSeconds", r->max_age);
	if (!err)
		err = xmlw_close(b, "CORSRule");
	return err;
}

s3err_t cors_to_xml(const struct cors_config *c, struct buf *out)
{
	size_t mark = out->len, i;
	s3err_t err;

	err = xmlw_begin(out, "CORSConfiguration");
	for (i = 0; i < c->nrules && !err; i++)
		err = write_rule(out, &c->rules[i]);
	if (!err)
		err = xmlw_close(out, "CORSConfiguration");
	if (err)
		buf_truncate(out, mark);
	return err;
}

/* ---- matching ---- */

static unsigned char lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

static bool same_byte(unsigned char a, unsigned char b, bool icase)
{
	return icase ? lower(a) == lower(b) : a == b;
}

/*
 * s[0..len) against a pattern with at most one '*' (invariant 3), which
 * stands for any run of bytes: the parts before and after it must be a
 * prefix and a suffix that do not overlap.
 */
static bool pattern_matches(const char *pat, const char *s, size_t len, bool icase)
{
	const char *star = strchr(pat, '*');
	size_t head = star ? (size_t)(star - pat) : strlen(pat), tail, i;

	if (!star && head != len)
		return false;
	tail = star ? strlen(star + 1) : 0;
	if (head + tail > len)
		return false;
	for (i = 0; i < head; i++)
		if (!same_byte((unsigned char)pat[i], (unsigned char)s[i], icase))
			return false;
	for (i = 0; i < tail; i++)
		if (!same_byte((unsigned char)star[1 + i], (unsigned char)s[len - tail + i], icase))
			return false;
	return true;
}

static bool list_matches(const struct cors_list *l, const char *s, size_t len, bool icase)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (pattern_matches(l->v[i], s, len, icase))
			return true;
	return false;
}

/* Every name of the Access-Control-Request-Headers value is an AllowedHeader of r. */
static bool headers_allowed(const struct cors_rule *r, const char *request_headers)
{
	const char *p = request_headers, *item;
	size_t len;

	while (p && str_next_item(&p, &item, &len))
		if (len && !list_matches(&r->headers, item, len, true))
			return false;
	return true;
}

/* How many names the Access-Control-Request-Headers value lists (empty items skipped). */
static size_t count_names(const char *request_headers)
{
	const char *p = request_headers, *item;
	size_t len, n = 0;

	while (p && str_next_item(&p, &item, &len))
		n += len > 0;
	return n;
}

const struct cors_rule *cors_match(const struct cors_config *c, const char *origin,
				   const char *method, const char *request_headers)
{
	unsigned bit = cors_method_bit(method);
	size_t i;

	if (!c || !origin || !bit)
		return NULL;
	/*
	 * A request carries at most STRATA_MAX_HEADERS headers, so a preflight
	 * naming more is not honest; refusing it bounds the work an anonymous
	 * client buys (names x allowed headers of every rule).
	 */
	if (count_names(request_headers) > STRATA_MAX_HEADERS)
		return NULL;
	for (i = 0; i < c->nrules; i++) {
		const struct cors_rule *r = &c->rules[i];

		if ((r->method_mask & bit) &&
		    list_matches(&r->origins, origin, strlen(origin), false) &&
		    headers_allowed(r, request_headers))
			return r;
	}
	return NULL;
}

/* l's entries joined by ", " into b. */
static s3err_t join_list(struct buf *b, const struct cors_list *l)
{
	s3err_t err = S3E_OK;
	size_t i;

	for (i = 0; i < l->n && !err; i++) {
		if (i)
			err = buf_adds(b, ", ");
		if (!err)
			err = buf_adds(b, l->v[i]);
	}
	return err;
}

/* The requested header names, lowercased, joined by ", " into b (AWS echoes them so). */
static s3err_t join_requested(struct buf *b, const char *request_headers)
{
	const char *p = request_headers, *item;
	s3err_t err = S3E_OK;
	size_t len, i;

	while (!err && p && str_next_item(&p, &item, &len)) {
		if (!len)
			continue;
		if (b->len)
			err = buf_adds(b, ", ");
		for (i = 0; i < len && !err; i++) {
			char ch = (char)lower((unsigned char)item[i]);

			err = buf_add(b, &ch, 1);
		}
	}
	return err;
}

s3err_t cors_headers(const struct cors_rule *rule, const char *origin, const char *request_headers,
		     bool preflight, cors_header_fn emit, void *ctx)
{
	struct buf meth, allow, expose;
	char age[16];
	s3err_t err;

	buf_init(&meth, CORS_HEADERS_MAX, S3E_InternalError);
	buf_init(&allow, CORS_HEADERS_MAX, S3E_InternalError);
	buf_init(&expose, CORS_HEADERS_MAX, S3E_InternalError);
	err = join_list(&meth, &rule->methods);
	if (!err && preflight)
		err = join_requested(&allow, request_headers);
	if (!err)
		err = join_list(&expose, &rule->expose);
	if (err)
		goto out;
	emit(ctx, "Access-Control-Allow-Origin", rule->any_origin ? "*" : origin);
	if (!rule->any_origin)
		emit(ctx, "Access-Control-Allow-Credentials", "true");
	emit(ctx, "Access-Control-Allow-Methods", buf_str(&meth));
	if (allow.len)
		emit(ctx, "Access-Control-Allow-Headers", buf_str(&allow));
	if (expose.len)
		emit(ctx, "Access-Control-Expose-Headers", buf_str(&expose));
	if (rule->has_max_age) {
		snprintf(age, sizeof(age), "%u", (unsigned)rule->max_age);
		emit(ctx, "Access-Control-Max-Age", age);
	}
	emit(ctx, "Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
out:
	buf_free(&meth);
	buf_free(&allow);
	buf_free(&expose);
	return err;
}
