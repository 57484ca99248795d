/*
 * xmldoc: the hardened libxml2 layer under every parser of S3 XML request
 * bodies (common/xmlin.c, common/lcrules.c). Internal to common/: the
 * gateway never includes it.
 *
 * What it guarantees (details in xmldoc.c): the size cap is checked before
 * libxml2 sees a byte; no network access, no entity substitution, no DTD
 * (a DOCTYPE stops the parser before its internal subset, so neither
 * billion-laughs nor XXE can happen); libxml2's own depth and text limits
 * stay on; no diagnostics reach stderr. The tree a caller walks therefore
 * holds only elements, text, CDATA, comments and processing instructions.
 *
 * Element names are matched in the S3 namespace or in none. Text is kept
 * byte for byte (XML_PARSE_NOBLANKS is not used); callers skip the
 * white space between structural elements with xmldoc_is_ignorable.
 */
#ifndef STRATA_XMLDOC_H
#define STRATA_XMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "s3err.h"

/* ---- parsing ---- */

/*
 * Parses body[0..len) into a tree after checking len against cap.
 * On success *out is the document (never without a root element); the
 * caller frees it with xmlFreeDoc. *out is written only on success.
 * Errors: S3E_MaxMessageLengthExceeded (len > cap), S3E_MalformedXML (empty,
 * not well-formed, a DOCTYPE, an undeclared entity), S3E_InternalError (NULL
 * body, len beyond what libxml2 takes, out of memory).
 */
s3err_t xmldoc_parse(const char *body, size_t len, size_t cap, xmlDocPtr *out);

/* true if body[0..len) is only XML white space (callers treat it like an empty body). */
/*
 * The prologue every small document shares: len > cap is
 * S3E_MaxMessageLengthExceeded; an empty body, bad XML or a root element
 * other than root_name (S3 namespace or none) is S3E_MalformedXML. On
 * success the caller owns *doc (xmlFreeDoc) and *root points into it; on
 * error *doc is NULL.
 */
s3err_t xmldoc_parse_root(const char *body, size_t len, size_t cap, const char *root_name,
			  xmlDocPtr *doc, const xmlNode **root);

bool xmldoc_all_blank(const char *body, size_t len);

/* ---- walking the tree ---- */

/* true if n is an element called name in the S3 namespace or in none. */
bool xmldoc_is_elem(const xmlNode *n, const char *name);

/* true if n is text made only of XML white space (XML 1.0 S: SP, TAB, CR, LF). */
bool xmldoc_is_blank_text(const xmlNode *n);

/* true if n carries nothing: a comment, a processing instruction or blank text between tags. */
bool xmldoc_is_ignorable(const xmlNode *n);

/* true if e contains only text, CDATA, comments and PIs (a well-formed leaf). */
bool xmldoc_is_leaf(const xmlNode *e);

/* ---- leaf values ---- */

/*
 * Collects the text of a leaf element: the concatenation of its text and
 * CDATA children, byte for byte (comments and PIs skipped). On success *out
 * is a malloc'd NUL-terminated string (possibly empty) of *out_len bytes,
 * owned by the caller. Errors: S3E_MalformedXML (a child element),
 * S3E_InternalError (out of memory).
 */
s3err_t xmldoc_leaf_text(const xmlNode *e, char **out, size_t *out_len);

/*
 * A leaf's text with surrounding XML white space removed, copied into
 * out[cap] (NUL-terminated); for words and numbers, never for keys.
 * Errors: S3E_MalformedXML (a child element, or the word does not fit:
 * no valid value is that long), S3E_InternalError. out is written only on
 * success.
 */
s3err_t xmldoc_leaf_word(const xmlNode *e, char *out, size_t cap);

/*
 * Parses an xs:boolean leaf ("true", "false", "1", "0"; surrounding white
 * space allowed). Errors: S3E_MalformedXML, S3E_InternalError.
 */
s3err_t xmldoc_parse_bool(const xmlNode *e, bool *out);

/* Drops XML white space from both ends of s[0..*len) in place; returns the new start. */
char *xmldoc_trim_blank(char *s, size_t *len);

#endif
