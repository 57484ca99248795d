/*
 * console_parse: the console's parsers of what a browser sends (the Cookie
 * header, form bodies), apart from console.c so that the fuzz driver
 * (tests/fuzz/fuzz_console.c) links them without the listener. See console.h.
 */
#include <string.h>

#include "../common/strutil.h"
#include "console.h"

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* RFC 6265 section 5.4: "name=value" pairs separated by "; ". */
bool console_cookie_token(const char *cookie, char token[CONSOLE_TOKEN_HEX + 1])
{
	const size_t nlen = sizeof(CONSOLE_COOKIE) - 1;
	const char *p = cookie, *end;

	if (!cookie)
		return false;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) == nlen + 1 + CONSOLE_TOKEN_HEX &&
		    strncmp(p, CONSOLE_COOKIE, nlen) == 0 && p[nlen] == '=' &&
		    is_lower_hex(p + nlen + 1, CONSOLE_TOKEN_HEX)) {
			memcpy(token, p + nlen + 1, CONSOLE_TOKEN_HEX);
			token[CONSOLE_TOKEN_HEX] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

s3err_t console_form_next(const char *body, size_t len, const char *name, size_t *pos,
			  struct buf *out, bool *found)
{
	size_t nlen = strlen(name);

	*found = false;
	while (*pos < len) {
		const char *pair = body + *pos, *amp = memchr(pair, '&', len - *pos), *eq;
		size_t plen = amp ? (size_t)(amp - pair) : len - *pos;

		*pos += plen + (amp ? 1 : 0);
		eq = memchr(pair, '=', plen);
		if (!eq || (size_t)(eq - pair) != nlen || memcmp(pair, name, nlen) != 0)
			continue;
		*found = true;
		return uri_decode(out, eq + 1, plen - nlen - 1, true);
	}
	return S3E_OK;
}
