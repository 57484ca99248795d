/*
 * fuzz_objwire: an object's metadata as the remote store hands it back
 * (objwire_decode of the x-amz-meta-strata value): untrusted, since anyone
 * with access to the remote bucket can rewrite it.
 * Invariants (common/objwire.h 1, 2): what decodes encodes again, and that
 * encoding decodes to metadata that encodes to the same bytes; a failed
 * decode leaves the outputs untouched.
 */
#include "fuzz.h"

#include "../../common/buf.h"
#include "../../common/objwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obj_meta m, m2;
	struct objwire_extra x, x2;
	struct buf e1, e2;

	obj_meta_init(&m);
	memset(&x, 0xa5, sizeof(x));
	if (objwire_decode((const char *)data, size, &m, &x) != S3E_OK) {
		FUZZ_CHECK(m.headers == NULL && m.etag[0] == '\0' &&
			   x.stored_size == 0xa5a5a5a5a5a5a5a5u);
		obj_meta_free(&m);
		return 0;
	}
	buf_init(&e1, OBJWIRE_MAX, S3E_MetadataTooLarge);
	buf_init(&e2, OBJWIRE_MAX, S3E_MetadataTooLarge);
	FUZZ_CHECK(objwire_encode(&m, &x, &e1) == S3E_OK);
	obj_meta_init(&m2);
	FUZZ_CHECK(objwire_decode(e1.data, e1.len, &m2, &x2) == S3E_OK);
	FUZZ_CHECK(m2.size == m.size && m2.mtime_ms == m.mtime_ms);
	FUZZ_CHECK(strcmp(m2.etag, m.etag) == 0);
	FUZZ_CHECK(m2.headers_len == m.headers_len);
	FUZZ_CHECK(m.headers_len == 0 || memcmp(m2.headers, m.headers, m.headers_len) == 0);
	FUZZ_CHECK(memcmp(&x2, &x, sizeof(x)) == 0);
	FUZZ_CHECK(objwire_encode(&m2, &x2, &e2) == S3E_OK);
	FUZZ_CHECK(e1.len == e2.len && memcmp(e1.data, e2.data, e1.len) == 0);
	obj_meta_free(&m2);
	buf_free(&e2);
	buf_free(&e1);
	obj_meta_free(&m);
	return 0;
}
