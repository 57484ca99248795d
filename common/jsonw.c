/* jsonw: escaped JSON strings and object members (see jsonw.h). */
#include "jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "strutil.h"

static s3err_t add_escape(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

	switch (c) {
	case '"':
		return buf_add(b, "\\\"", 2);
	case '\\':
		return buf_add(b, "\\\\", 2);
	case '\n':
		return buf_add(b, "\\n", 2);
	case '\r':
		return buf_add(b, "\\r", 2);
	case '\t':
		return buf_add(b, "\\t", 2);
	default:
		return buf_add(b, e, sizeof(e));
	}
}

s3err_t jsonw_str(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, n;
	uint32_t cp;
	s3err_t err;

	if ((err = buf_add(b, "\"", 1)))
		return err;
	/* Runs of bytes that need no escape are copied in one append. */
	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
			n = 1;
		} else if (p[i] >= 0x80 && (n = utf8_seq(p + i, len - i, &cp)) > 0) {
			/* well-formed UTF-8: kept */
		} else {
			if ((run && (err = buf_add(b, s + i - run, run))) ||
			    (err = add_escape(b, p[i])))
				return err;
			run = 0;
			i++;
			continue;
		}
		run += n;
		i += n;
	}
	if (run && (err = buf_add(b, s + i - run, run)))
		return err;
	return buf_add(b, "\"", 1);
}

/* `,"name":` (no comma first in an empty object). */
static s3err_t member(struct buf *b, const char *name)
{
	bool first = b->len == 0 || b->data[b->len - 1] == '{';
	s3err_t err;

	if ((!first && (err = buf_add(b, ",", 1))) || (err = buf_add(b, "\"", 1)) ||
	    (err = buf_adds(b, name)))
		return err;
	return buf_add(b, "\":", 2);
}

s3err_t jsonw_kv_strn(struct buf *b, const char *name, const char *value, size_t len)
{
	s3err_t err = member(b, name);

	if (err)
		return err;
	return value ? jsonw_str(b, value, len) : buf_add(b, "null", 4);
}

s3err_t jsonw_kv_str(struct buf *b, const char *name, const char *value)
{
	return jsonw_kv_strn(b, name, value, value ? strlen(value) : 0);
}

s3err_t jsonw_kv_u64(struct buf *b, const char *name, uint64_t value)
{
	s3err_t err = member(b, name);

	return err ? err : buf_addf(b, "%" PRIu64, value);
}

s3err_t jsonw_kv_bool(struct buf *b, const char *name, bool value)
{
	s3err_t err = member(b, name);

	return err ? err : buf_adds(b, value ? "true" : "false");
}
