/*
 * xmlw: S3 XML response documents written into a bounded buf.
 *
 * Invariants:
 *  1. Whatever bytes the text holds, the document stays well-formed XML 1.0:
 *       & < > " '              -> &amp; &lt; &gt; &quot; &apos;
 *       TAB LF CR              -> &#x9; &#xA; &#xD;  (a literal CR would be
 *                                 normalized to LF by the reader, and a
 *                                 literal LF or TAB is easily mangled by
 *                                 pretty-printers; the references survive)
 *       other C0 controls, NUL,
 *       U+FFFE, U+FFFF         -> U+FFFD (XML 1.0 forbids them even as
 *                                 character references)
 *       each byte that is not
 *       part of well-formed
 *       UTF-8 (overlong,
 *       surrogate, > U+10FFFF,
 *       truncated)             -> U+FFFD
 *     Everything else, including DEL and C1 controls (allowed by XML 1.0),
 *     is copied as is. The replacement loses information, so a listing of a
 *     key with such bytes is only exact when the client asks for
 *     encoding-type=url (the gateway then URL-encodes the key before
 *     calling this module).
 *  2. Each public function either appends all of its output or, on error,
 *     leaves the buffer exactly as it was (the length is rolled back), so a
 *     caller can stop at the first error without a half-written element.
 *  3. Element names are trusted literals from the code and are not escaped.
 */
#include "xmlw.h"
#include "strutil.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD in UTF-8 */

/* Undoes everything appended since len was `mark` (invariant 2). */
static void rollback(struct buf *b, size_t mark)
{
	buf_truncate(b, mark);
}

/* The escape for an ASCII byte, or NULL when it is copied as is. */
static const char *ascii_escape(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&apos;";
	case '\t':
		return "&#x9;";
	case '\n':
		return "&#xA;";
	case '\r':
		return "&#xD;";
	default:
		return c < 0x20 ? replacement : NULL;
	}
}

/* Appends text[0..len) escaped per invariant 1, without rollback. */
static s3err_t escape(struct buf *b, const char *text, size_t len)
{
	const unsigned char *u = (const unsigned char *)text;
	const char *esc;
	size_t i = 0, run, k;
	uint32_t cp;
	s3err_t err = S3E_OK;

	while (i < len) {
		/* The common case: a run of bytes that need no change. */
		run = 0;
		while (i + run < len && u[i + run] < 0x80 && !ascii_escape(u[i + run]))
			run++;
		if (run) {
			err = buf_add(b, text + i, run);
			if (err)
				goto out;
			i += run;
			continue;
		}
		if (u[i] < 0x80) {
			esc = ascii_escape(u[i]);
			i++;
			err = buf_adds(b, esc);
			if (err)
				goto out;
			continue;
		}
		k = utf8_seq(u + i, len - i, &cp);
		if (k && cp != 0xfffe && cp != 0xffff) {
			err = buf_add(b, text + i, k);
			i += k;
		} else {
			/* One U+FFFD per rejected byte, or per rejected noncharacter. */
			err = buf_add(b, replacement, sizeof(replacement) - 1);
			i += k ? k : 1;
		}
		if (err)
			goto out;
	}
out:
	return err;
}

/*
 * Appends the XML declaration, a newline (as AWS does) and
 * "<root xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">".
 * Errors: b->too_big, S3E_InternalError; the buffer is unchanged on error.
 */
s3err_t xmlw_begin(struct buf *b, const char *root)
{
	size_t mark = b->len;
	s3err_t err;

	err = buf_addf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"" S3_XMLNS "\">",
		       root);
	if (err)
		rollback(b, mark);
	return err;
}

/* Appends "<name>". Errors as xmlw_begin. */
s3err_t xmlw_open(struct buf *b, const char *name)
{
	size_t mark = b->len;
	s3err_t err;

	err = buf_addf(b, "<%s>", name);
	if (err)
		rollback(b, mark);
	return err;
}

/* Appends "</name>". Errors as xmlw_begin. */
s3err_t xmlw_close(struct buf *b, const char *name)
{
	size_t mark = b->len;
	s3err_t err;

	err = buf_addf(b, "</%s>", name);
	if (err)
		rollback(b, mark);
	return err;
}

/*
 * Appends "<name>text</name>" with len bytes of text escaped (invariant 1);
 * text may contain any bytes, NUL included. Errors as xmlw_begin.
 */
s3err_t xmlw_elemn(struct buf *b, const char *name, const char *text, size_t len)
{
	size_t mark = b->len;
	s3err_t err;

	err = buf_addf(b, "<%s>", name);
	if (err)
		goto out;
	err = escape(b, text, len);
	if (err)
		goto out;
	err = buf_addf(b, "</%s>", name);
out:
	if (err)
		rollback(b, mark);
	return err;
}

/* Appends "<name>text</name>" for a NUL-terminated text (NULL is ""). Errors as xmlw_begin. */
s3err_t xmlw_elem(struct buf *b, const char *name, const char *text)
{
	return xmlw_elemn(b, name, text ? text : "", text ? strlen(text) : 0);
}

/* Appends "<name>decimal</name>". Errors as xmlw_begin. */
s3err_t xmlw_elem_u64(struct buf *b, const char *name, uint64_t v)
{
	size_t mark = b->len;
	s3err_t err;

	err = buf_addf(b, "<%s>%" PRIu64 "</%s>", name, v, name);
	if (err)
		rollback(b, mark);
	return err;
}

/* Appends len bytes of text escaped per invariant 1, no tags. Errors as xmlw_begin. */
s3err_t xmlw_text(struct buf *b, const char *text, size_t len)
{
	size_t mark = b->len;
	s3err_t err;

	err = escape(b, text, len);
	if (err)
		rollback(b, mark);
	return err;
}
