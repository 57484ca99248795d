/*
 * fuzz: what the libFuzzer drivers share (tests/fuzz/README.md).
 *
 * Each tests/fuzz/fuzz_<parser>.c defines LLVMFuzzerTestOneInput, feeds the
 * bytes to the real parser and checks cheap invariants with FUZZ_CHECK: a
 * broken invariant aborts, which libFuzzer reports as a crash like any
 * sanitizer finding.
 */
#ifndef STRATA_FUZZ_H
#define STRATA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A NUL-terminated copy of data (a NUL inside ends the string early, as in C callers). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Any external entity or DTD load is a hardening failure (common/xmldoc.h): abort. */
static inline xmlParserInputPtr fuzz_refuse_external(const char *url, const char *id,
						     xmlParserCtxtPtr ctxt)
{
	(void)ctxt;
	fprintf(stderr, "external entity load attempted: %s %s\n", url ? url : "-", id ? id : "-");
	abort();
}

static inline void fuzz_xml_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	xmlInitParser();
	xmlSetExternalEntityLoader(fuzz_refuse_external);
}

/* Splits the input at its first '\n' (or not at all): the remainder goes in *rest. */
static inline size_t fuzz_line(const uint8_t *data, size_t size, const uint8_t **rest,
			       size_t *rest_size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;

	*rest = nl ? nl + 1 : data + size;
	*rest_size = nl ? size - n - 1 : 0;
	return n;
}

#endif
