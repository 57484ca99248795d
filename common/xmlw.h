/*
 * xmlw: writing S3 XML response documents into a bounded buf.
 * Text is escaped (& < > " ' and control characters as numeric references
 * that XML 1.0 allows); names are trusted literals from the code.
 */
#ifndef STRATA_XMLW_H
#define STRATA_XMLW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "s3err.h"

/* Appends the XML declaration and "<Root xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">". */
s3err_t xmlw_begin(struct buf *b, const char *root);
/* Appends "<name>". */
s3err_t xmlw_open(struct buf *b, const char *name);
/* Appends "</name>". */
s3err_t xmlw_close(struct buf *b, const char *name);
/* Appends "<name>escaped text</name>". */
s3err_t xmlw_elem(struct buf *b, const char *name, const char *text);
/* Same for len bytes of text. */
s3err_t xmlw_elemn(struct buf *b, const char *name, const char *text, size_t len);
/* Appends "<name>number</name>". */
s3err_t xmlw_elem_u64(struct buf *b, const char *name, uint64_t v);
/* Appends escaped text only. */
s3err_t xmlw_text(struct buf *b, const char *text, size_t len);

#endif
