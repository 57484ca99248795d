/*
 * fuzz_console: the web console's parsers of what a browser sends, the
 * session cookie (console_cookie_token) and form bodies
 * (console_form_next). Invariants: a token found is 64 lowercase hex digits
 * that stand in the header right after "strata_console="; a form walk
 * always advances, ends within the body, and never decodes a value longer
 * than its pair (percent escapes only shrink).
 */
#include "fuzz.h"

#include "../../gateway/console.h"

static void walk(const char *body, size_t len, const char *name)
{
	size_t pos = 0, last = 0, steps = 0;
	struct buf out;
	bool found = true;
	s3err_t err = S3E_OK;

	buf_init(&out, 4096, S3E_MaxMessageLengthExceeded);
	while (found && !err) {
		size_t before = out.len;

		err = console_form_next(body, len, name, &pos, &out, &found);
		FUZZ_CHECK(pos <= len);
		FUZZ_CHECK(pos > last || !found || err);
		FUZZ_CHECK(out.len - before <= pos - last);
		FUZZ_CHECK(err == S3E_OK || err == S3E_InvalidURI ||
			   err == S3E_MaxMessageLengthExceeded);
		last = pos;
		FUZZ_CHECK(++steps <= len + 1);
	}
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char token[CONSOLE_TOKEN_HEX + 1];
	const char *at;
	size_t i;

	memset(token, 'x', sizeof(token));
	if (console_cookie_token(s, token)) {
		FUZZ_CHECK(strlen(token) == CONSOLE_TOKEN_HEX);
		for (i = 0; i < CONSOLE_TOKEN_HEX; i++)
			FUZZ_CHECK((token[i] >= '0' && token[i] <= '9') ||
				   (token[i] >= 'a' && token[i] <= 'f'));
		at = strstr(s, CONSOLE_COOKIE "=");
		FUZZ_CHECK(at != NULL);
		for (; at; at = strstr(at + 1, CONSOLE_COOKIE "="))
			if (strncmp(at + sizeof(CONSOLE_COOKIE), token, CONSOLE_TOKEN_HEX) == 0)
				break;
		FUZZ_CHECK(at != NULL);
	}
	/* The form walk sees the raw bytes, NULs included (a body is not a C string). */
	walk((const char *)data, size, "access_key");
	walk((const char *)data, size, "key");
	walk((const char *)data, size, "");
	free(s);
	return 0;
}
