/*
 * xmldoc: hardened parsing of S3 XML request bodies with libxml2, and the
 * small tree-walking helpers every body parser shares (see xmldoc.h).
 *
 * Defences, in the order a body meets them:
 *  1. The length is checked against the operation's cap before libxml2 sees
 *     a byte (S3E_MaxMessageLengthExceeded).
 *  2. Parser options: XML_PARSE_NONET (no network fetches), no
 *     XML_PARSE_NOENT (no entity substitution), no XML_PARSE_DTDLOAD /
 *     DTDATTR / DTDVALID (no external DTD), no XML_PARSE_HUGE (libxml2's
 *     default depth and text-size limits stay on), NOERROR / NOWARNING so a
 *     client cannot fill the server's stderr with libxml2 diagnostics.
 *  3. A DOCTYPE stops the parser from the SAX internalSubset callback, which
 *     libxml2 calls after reading "<!DOCTYPE name ..." and before the
 *     internal subset: entity declarations are never even parsed, so neither
 *     billion-laughs expansion nor an external entity (XXE) can happen. The
 *     document's intSubset/extSubset are checked again after parsing.
 *  4. Without a DTD, any entity other than the five predefined ones is a
 *     well-formedness error, so the tree holds only elements, text, CDATA,
 *     comments and processing instructions.
 *
 * XML_PARSE_NOBLANKS is deliberately NOT used: its heuristic drops
 * whitespace-only text that is followed by a comment or CDATA section, so
 * "<Key>\n<![CDATA[x]]></Key>" would lose the newline of the key. Callers
 * skip whitespace between structural elements instead (xmldoc_is_ignorable),
 * and the text of a leaf is kept byte for byte (S3 keys and prefixes may
 * begin or end with spaces and newlines).
 */
#include "xmldoc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

/* Parser options; see defences 2 and the NOBLANKS note above. */
#define XMLDOC_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* XML 1.0 production S. */
static bool is_xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* SAX hook for "<!DOCTYPE": stops the parse before the internal subset (defence 3). */
static void stop_on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
			    const xmlChar *system_id)
{
	(void)name;
	(void)external_id;
	(void)system_id;
	xmlStopParser((xmlParserCtxtPtr)ctx);
}

/* SAX hook for entity declarations: unreachable after stop_on_doctype, kept as a second lock. */
static void stop_on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
				const xmlChar *system_id, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)public_id;
	(void)system_id;
	(void)content;
	xmlStopParser((xmlParserCtxtPtr)ctx);
}

s3err_t xmldoc_parse(const char *body, size_t len, size_t cap, xmlDocPtr *out)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	s3err_t err = S3E_MalformedXML;

	if (len > cap) {
		err = S3E_MaxMessageLengthExceeded;
		goto out;
	}
	if (len == 0)
		goto out;
	if (!body || len > INT32_MAX) {
		err = S3E_InternalError;
		goto out;
	}
	/* Idempotent; with libxml2 < 2.11 the first call must come from the main thread. */
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (!ctxt || !ctxt->sax) {
		err = S3E_InternalError;
		goto out;
	}
	ctxt->sax->internalSubset = stop_on_doctype;
	ctxt->sax->externalSubset = stop_on_doctype;
	ctxt->sax->entityDecl = stop_on_entity_decl;
	doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL, XMLDOC_OPTIONS);
	if (!doc)
		goto out;
	if (!ctxt->wellFormed || doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc))
		goto out;
	*out = doc;
	doc = NULL;
	err = S3E_OK;
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return err;
}

bool xmldoc_all_blank(const char *body, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!is_xml_space((unsigned char)body[i]))
			return false;
	}
	return true;
}

bool xmldoc_is_elem(const xmlNode *n, const char *name)
{
	if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
		return false;
	return !n->ns || !n->ns->href || strcmp((const char *)n->ns->href, S3_XMLNS) == 0;
}

bool xmldoc_is_blank_text(const xmlNode *n)
{
	const xmlChar *p;

	if (n->type != XML_TEXT_NODE)
		return false;
	for (p = n->content; p && *p; p++) {
		if (!is_xml_space(*p))
			return false;
	}
	return true;
}

bool xmldoc_is_ignorable(const xmlNode *n)
{
	return n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE || xmldoc_is_blank_text(n);
}

bool xmldoc_is_leaf(const xmlNode *e)
{
	const xmlNode *c;

	for (c = e->children; c; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE &&
		    c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
			return false;
	}
	return true;
}

/* Two passes (measure, then copy) so the string is allocated once at its exact size. */
s3err_t xmldoc_leaf_text(const xmlNode *e, char **out, size_t *out_len)
{
	const xmlNode *c;
	size_t len = 0, n;
	char *s = NULL;
	s3err_t err = S3E_MalformedXML;

	for (c = e->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			n = c->content ? strlen((const char *)c->content) : 0;
			if (n > SIZE_MAX - 1 - len)
				goto out;
			len += n;
		} else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
			goto out;
		}
	}
	s = malloc(len + 1);
	if (!s) {
		err = S3E_InternalError;
		goto out;
	}
	len = 0;
	for (c = e->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
			n = strlen((const char *)c->content);
			memcpy(s + len, c->content, n);
			len += n;
		}
	}
	s[len] = '\0';
	*out = s;
	*out_len = len;
	s = NULL;
	err = S3E_OK;
out:
	free(s);
	return err;
}

s3err_t xmldoc_leaf_word(const xmlNode *e, char *out, size_t cap)
{
	char *s = NULL, *t;
	size_t len;
	s3err_t err;

	err = xmldoc_leaf_text(e, &s, &len);
	if (err)
		return err;
	t = xmldoc_trim_blank(s, &len);
	if (len >= cap) {
		err = S3E_MalformedXML;
	} else {
		memcpy(out, t, len);
		out[len] = '\0';
	}
	free(s);
	return err;
}

s3err_t xmldoc_parse_bool(const xmlNode *e, bool *out)
{
	char *s = NULL, *p;
	size_t len;
	s3err_t err;

	err = xmldoc_leaf_text(e, &s, &len);
	if (err)
		goto out;
	p = xmldoc_trim_blank(s, &len);
	p[len] = '\0';
	if (strcmp(p, "true") == 0 || strcmp(p, "1") == 0) {
		*out = true;
	} else if (strcmp(p, "false") == 0 || strcmp(p, "0") == 0) {
		*out = false;
	} else {
		err = S3E_MalformedXML;
	}
out:
	free(s);
	return err;
}

char *xmldoc_trim_blank(char *s, size_t *len)
{
	char *p = s, *end = s + *len;

	while (p < end && is_xml_space((unsigned char)*p))
		p++;
	while (end > p && is_xml_space((unsigned char)end[-1]))
		end--;
	*len = (size_t)(end - p);
	return p;
}

s3err_t xmldoc_parse_root(const char *body, size_t len, size_t cap, const char *root_name,
			  xmlDocPtr *doc, const xmlNode **root)
{
	s3err_t err;

	*doc = NULL;
	if (len > cap)
		return S3E_MaxMessageLengthExceeded;
	if (!body || len == 0)
		return S3E_MalformedXML;
	err = xmldoc_parse(body, len, cap, doc);
	if (err)
		return err;
	*root = xmlDocGetRootElement(*doc);
	if (!xmldoc_is_elem(*root, root_name)) {
		xmlFreeDoc(*doc);
		*doc = NULL;
		return S3E_MalformedXML;
	}
	return S3E_OK;
}
