/*
 * objwire: obj_meta as one header value (format and invariants in objwire.h).
 *
 * Both directions walk one table of fields, so a field is added in one row;
 * the encoder checks every value against the same rules the decoder applies
 * (invariant 2), which is what makes a stored object always readable.
 */
#include "objwire.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "limits.h"
#include "sse.h"
#include "strutil.h"

_Static_assert(OBJWIRE_FILE_ID_SIZE == FRAME_FILE_ID_SIZE, "the file id is the frames' one");

#define WIRE_VERSION "v1"
#define WIRE_END "end"
#define UNKNOWN_KEY_MAX 16u  /* longest key a newer writer may add */
#define UNKNOWN_KEYS_MAX 16u /* distinct unknown keys kept for the duplicate check */
#define B64_LEN(n) (((n) + 2) / 3 * 4)

enum kind {
	K_U64,	    /* uint64_t, decimal */
	K_I64,	    /* int64_t, decimal, never negative */
	K_UINT,	    /* unsigned, decimal */
	K_INT,	    /* int (an enum), decimal, never negative */
	K_TEXT,	    /* char[size], NUL-terminated, percent-encoded */
	K_SHA256,   /* char[65]: "" or 64 lowercase hex */
	K_FILE_ID,  /* uint8_t[16], 32 lowercase hex */
	K_ENVELOPE, /* sse_envelope + sse_envelope_len, base64 */
	K_HEADERS,  /* headers + headers_len, base64 */
};

struct field {
	const char *key;
	enum kind kind;
	bool in_extra; /* lives in struct objwire_extra, not struct obj_meta */
	size_t off;    /* offsetof in its struct */
	size_t size;   /* sizeof the member (K_TEXT: its capacity incl. NUL) */
	uint64_t max;  /* numbers: the largest value accepted */
	bool required; /* always written (even at 0), and must be present */
};

#define M(f) false, offsetof(struct obj_meta, f), sizeof(((struct obj_meta *)0)->f)
#define X(f) true, offsetof(struct objwire_extra, f), sizeof(((struct objwire_extra *)0)->f)
#define REQ true
#define OPT false

/* Encoding order. Required fields first, the big headers blob last. */
static const struct field fields[] = {
    {"sz", K_U64, M(size), INT64_MAX, REQ},
    {"mt", K_I64, M(mtime_ms), INT64_MAX, REQ},
    {"et", K_TEXT, M(etag), 0, REQ},
    {"ss", K_U64, X(stored_size), INT64_MAX, REQ},
    {"fi", K_FILE_ID, X(file_id), 0, REQ},
    {"sh", K_SHA256, M(sha256_hex), 0, OPT},
    {"ca", K_TEXT, M(checksum_algo), 0, OPT},
    {"cv", K_TEXT, M(checksum_b64), 0, OPT},
    {"ct", K_TEXT, M(checksum_type), 0, OPT},
    {"sc", K_TEXT, M(storage_class), 0, OPT},
    {"vf", K_I64, M(verified_ms), INT64_MAX, OPT},
    {"pc", K_UINT, M(parts_count), STRATA_MAX_PARTS, OPT},
    {"rs", K_INT, M(restore_state), RESTORE_DONE, OPT},
    {"ru", K_I64, M(restore_until_ms), INT64_MAX, OPT},
    {"sm", K_INT, M(sse_mode), SSE_C, OPT},
    {"ki", K_TEXT, M(sse_key_id), 0, OPT},
    {"ev", K_ENVELOPE, M(sse_envelope), 0, OPT},
    {"hd", K_HEADERS, M(headers), 0, OPT},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
_Static_assert(NFIELDS <= 32, "the seen-mask is 32 bits");

/*
 * The longest encoding: every number at its longest, every text byte
 * escaped, both blobs full (keep in step with fields[]). Invariant 6.
 */
#define PCT_LEN(cap) (3 * ((cap)-1))
#define WORST_LEN                                                                                  \
	(sizeof(WIRE_VERSION) - 1 + NFIELDS * 4 /* ";kk=" */ + sizeof(";" WIRE_END) - 1 +          \
	 5 * 19 /* sz mt ss vf ru */ + 5 /* pc */ + 2 /* rs sm */ + PCT_LEN(STRATA_ETAG_MAX) +     \
	 PCT_LEN(16) * 2 /* ca ct */ + PCT_LEN(STRATA_CHECKSUM_B64_MAX) +                          \
	 PCT_LEN(STRATA_STORAGE_CLASS_MAX) + PCT_LEN(STRATA_SSE_KEY_ID_MAX) + 64 /* sh */ +        \
	 2 * OBJWIRE_FILE_ID_SIZE + B64_LEN(STRATA_SSE_ENVELOPE_MAX) +                             \
	 B64_LEN(STRATA_MAX_STORED_HEADERS))
_Static_assert(WORST_LEN <= OBJWIRE_MAX, "the largest obj_meta must fit one header value");
_Static_assert(STRATA_MAX_PARTS <= 99999 && SSE_C <= 9 && RESTORE_DONE <= 9,
	       "WORST_LEN counts 5 digits for pc and 1 for rs and sm");

/* --- characters --- */

/* RFC 3986 unreserved: what uri_encode leaves as it is. */
static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

/* The alphabet of every value: unreserved, '%' escapes, and base64's + / =. */
static bool value_char(unsigned char c)
{
	return unreserved(c) || c == '%' || c == '+' || c == '/' || c == '=';
}

static int upper_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * A well-formed value of any key (invariant 5): non-empty, from the
 * alphabet, and every '%' starts an uppercase %XX escape.
 */
static bool value_ok(const char *v, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!value_char((unsigned char)v[i]))
			return false;
		if (v[i] == '%' && (n - i < 3 || upper_hexval((unsigned char)v[i + 1]) < 0 ||
				    upper_hexval((unsigned char)v[i + 2]) < 0))
			return false;
	}
	return true;
}

static bool key_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > UNKNOWN_KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9')))
			return false;
	return true;
}

/*
 * A headers blob is whole "name NUL value NUL" pairs: it ends with a NUL
 * and holds an even number of strings. Anything else would make
 * obj_meta_next_header stop early and silently drop what follows.
 */
static bool blob_ok(const char *b, size_t n)
{
	size_t i, nuls = 0;

	if (n == 0 || b[n - 1] != '\0')
		return false;
	for (i = 0; i < n; i++)
		nuls += b[i] == '\0';
	return nuls % 2 == 0;
}

/*
 * The one accepted spelling of a text value (uri_encode's): unreserved
 * bytes as they are, any other byte but NUL as %XX in uppercase. Decodes
 * into dst (capacity cap incl. the NUL); on failure dst holds partial
 * bytes, which is fine for the decoder's scratch meta.
 */
static bool pct_decode(const char *s, size_t n, char *dst, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return false;
			hi = upper_hexval((unsigned char)s[i + 1]);
			lo = upper_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
			if (c == '\0' || unreserved(c))
				return false;
			i += 3;
		} else if (unreserved(c)) {
			i++;
		} else {
			return false;
		}
		if (o + 1 >= cap)
			return false;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return true;
}

/* --- numbers --- */

/* A number field's value; a negative one maps to UINT64_MAX, above every row's max. */
static uint64_t get_num(const void *p, enum kind k)
{
	int64_t i64;
	int i;

	switch (k) {
	case K_U64:
		return *(const uint64_t *)p;
	case K_I64:
		i64 = *(const int64_t *)p;
		return i64 < 0 ? UINT64_MAX : (uint64_t)i64;
	case K_UINT:
		return *(const unsigned *)p;
	case K_INT:
		i = *(const int *)p;
		return i < 0 ? UINT64_MAX : (uint64_t)i;
	default:
		return UINT64_MAX;
	}
}

/* v is at most the row's max, which fits every kind's type. */
static void set_num(void *p, enum kind k, uint64_t v)
{
	switch (k) {
	case K_U64:
		*(uint64_t *)p = v;
		break;
	case K_I64:
		*(int64_t *)p = (int64_t)v;
		break;
	case K_UINT:
		*(unsigned *)p = (unsigned)v;
		break;
	case K_INT:
		*(int *)p = (int)v;
		break;
	default:
		break;
	}
}

static bool is_num(enum kind k)
{
	return k == K_U64 || k == K_I64 || k == K_UINT || k == K_INT;
}

/* --- encoding --- */

/* Appends base64 of in[0..n) in pieces (3 bytes in, 4 out) so no big stack buffer is needed. */
static s3err_t add_base64(struct buf *b, const uint8_t *in, size_t n)
{
	char chunk[B64_LEN(768) + 1];
	s3err_t err = S3E_OK;
	size_t i, k;

	for (i = 0; i < n && !err; i += k) {
		k = n - i < 768 ? n - i : 768;
		err = buf_add(b, chunk, base64_encode(in + i, k, chunk));
	}
	return err;
}

/*
 * Checks one field of m/x against the decoder's rules (invariant 2) and
 * says whether it is at its zero value (then, if optional, it is left out).
 */
static bool field_check(const struct field *f, const void *p, const struct obj_meta *m, bool *zero)
{
	size_t n;

	switch (f->kind) {
	case K_U64:
	case K_I64:
	case K_UINT:
	case K_INT:
		*zero = get_num(p, f->kind) == 0;
		return get_num(p, f->kind) <= f->max;
	case K_TEXT:
		if (!memchr(p, '\0', f->size))
			return false;
		*zero = *(const char *)p == '\0';
		return !(f->required && *zero);
	case K_SHA256:
		if (!memchr(p, '\0', f->size))
			return false;
		n = strlen(p);
		*zero = n == 0;
		return n == 0 || (n == 64 && lower_hex(p, n));
	case K_FILE_ID:
		*zero = false;
		return true;
	case K_ENVELOPE:
		*zero = m->sse_envelope_len == 0;
		return m->sse_envelope_len <= STRATA_SSE_ENVELOPE_MAX;
	case K_HEADERS:
		*zero = m->headers_len == 0;
		return *zero || (m->headers && m->headers_len <= STRATA_MAX_STORED_HEADERS &&
				 blob_ok(m->headers, m->headers_len));
	}
	return false;
}

/* Appends ";key=value" for one field that passed field_check. */
static s3err_t field_add(struct buf *b, const struct field *f, const void *p,
			 const struct obj_meta *m)
{
	char hex[2 * OBJWIRE_FILE_ID_SIZE + 1];
	s3err_t err;

	err = buf_addf(b, ";%s=", f->key);
	if (err)
		return err;
	switch (f->kind) {
	case K_U64:
	case K_I64:
	case K_UINT:
	case K_INT:
		return buf_addf(b, "%" PRIu64, get_num(p, f->kind));
	case K_TEXT:
		return uri_encode(b, p, strlen(p), false);
	case K_SHA256:
		return buf_adds(b, p);
	case K_FILE_ID:
		hex_encode(p, OBJWIRE_FILE_ID_SIZE, hex);
		return buf_adds(b, hex);
	case K_ENVELOPE:
		return add_base64(b, m->sse_envelope, m->sse_envelope_len);
	case K_HEADERS:
		return add_base64(b, (const uint8_t *)m->headers, m->headers_len);
	}
	return S3E_InternalError;
}

s3err_t objwire_encode(const struct obj_meta *m, const struct objwire_extra *x, struct buf *out)
{
	struct buf b;
	s3err_t err;
	size_t i;

	/* Built aside and appended at once, so a failure leaves out as it was. */
	buf_init(&b, OBJWIRE_MAX, S3E_InternalError);
	err = buf_adds(&b, WIRE_VERSION);
	for (i = 0; i < NFIELDS && !err; i++) {
		const struct field *f = &fields[i];
		const void *p =
		    (const char *)(f->in_extra ? (const void *)x : (const void *)m) + f->off;
		bool zero = false;

		if (!field_check(f, p, m, &zero)) {
			err = S3E_InternalError;
			break;
		}
		if (zero && !f->required)
			continue;
		err = field_add(&b, f, p, m);
	}
	if (!err)
		err = buf_adds(&b, ";" WIRE_END);
	if (!err)
		err = buf_add(out, b.data, b.len);
	buf_free(&b);
	return err;
}

/* --- decoding --- */

/* Decodes one known field's value v[0..n) (already value_ok) into tm/tx. */
static bool field_parse(const struct field *f, const char *v, size_t n, struct obj_meta *tm,
			struct objwire_extra *tx)
{
	void *p = (char *)(f->in_extra ? (void *)tx : (void *)tm) + f->off;
	uint64_t u;
	size_t got;
	char *blob;

	if (is_num(f->kind)) {
		/* One spelling per number: "0" or no leading zero. */
		if (n > 1 && v[0] == '0')
			return false;
		if (!parse_u64(v, n, 0, f->max, &u))
			return false;
		set_num(p, f->kind, u);
		return true;
	}
	switch (f->kind) {
	case K_TEXT:
		return pct_decode(v, n, p, f->size);
	case K_SHA256:
		if (n != 64 || !lower_hex(v, n))
			return false;
		memcpy(p, v, n);
		((char *)p)[n] = '\0';
		return true;
	case K_FILE_ID:
		return n == 2 * OBJWIRE_FILE_ID_SIZE && lower_hex(v, n) &&
		       hex_decode(v, n, p, OBJWIRE_FILE_ID_SIZE);
	case K_ENVELOPE:
		if (!base64_decode(v, n, tm->sse_envelope, STRATA_SSE_ENVELOPE_MAX, &got) ||
		    got == 0)
			return false;
		tm->sse_envelope_len = got;
		return true;
	case K_HEADERS:
		/* The length check comes before the allocation it sizes. */
		if (n > B64_LEN(STRATA_MAX_STORED_HEADERS))
			return false;
		blob = malloc(n / 4 * 3 + 1);
		if (!blob)
			return false;
		if (!base64_decode(v, n, (uint8_t *)blob, STRATA_MAX_STORED_HEADERS, &got) ||
		    !blob_ok(blob, got)) {
			free(blob);
			return false;
		}
		tm->headers = blob;
		tm->headers_len = got;
		return true;
	default:
		return false;
	}
}

/* Which keys a decode has met, to refuse a repeated one. */
struct seen {
	uint32_t known; /* bit i: fields[i] */
	const char *unknown[UNKNOWN_KEYS_MAX];
	size_t unknown_len[UNKNOWN_KEYS_MAX];
	size_t nunknown;
};

/* Records key k[0..n) as met; false if it was met before (or too many unknown keys were). */
static bool seen_once(struct seen *sn, size_t field, const char *k, size_t n)
{
	size_t i;

	if (field < NFIELDS) {
		if (sn->known & (UINT32_C(1) << field))
			return false;
		sn->known |= UINT32_C(1) << field;
		return true;
	}
	for (i = 0; i < sn->nunknown; i++)
		if (sn->unknown_len[i] == n && memcmp(sn->unknown[i], k, n) == 0)
			return false;
	if (sn->nunknown == UNKNOWN_KEYS_MAX)
		return false;
	sn->unknown[sn->nunknown] = k;
	sn->unknown_len[sn->nunknown] = n;
	sn->nunknown++;
	return true;
}

/* One "key=value" item: finds its row and parses the value, or skips an unknown key. */
static bool item_parse(const char *it, size_t n, struct seen *sn, struct obj_meta *tm,
		       struct objwire_extra *tx)
{
	const char *eq = memchr(it, '=', n);
	size_t kl, vl, i;

	if (!eq)
		return false;
	kl = (size_t)(eq - it);
	vl = n - kl - 1;
	if (!key_ok(it, kl) || !value_ok(eq + 1, vl))
		return false;
	for (i = 0; i < NFIELDS; i++)
		if (strlen(fields[i].key) == kl && memcmp(fields[i].key, it, kl) == 0)
			break;
	if (!seen_once(sn, i, it, kl))
		return false;
	return i == NFIELDS || field_parse(&fields[i], eq + 1, vl, tm, tx);
}

s3err_t objwire_decode(const char *s, size_t len, struct obj_meta *m, struct objwire_extra *x)
{
	struct seen sn = {0};
	struct obj_meta tm;
	struct objwire_extra tx;
	size_t pos, i;
	bool ended = false;
	s3err_t err = S3E_InternalError;

	obj_meta_init(&tm);
	memset(&tx, 0, sizeof(tx));
	if (!s || len > OBJWIRE_MAX || len < sizeof(WIRE_VERSION ";") - 1 ||
	    memcmp(s, WIRE_VERSION ";", sizeof(WIRE_VERSION ";") - 1) != 0)
		goto out;
	pos = sizeof(WIRE_VERSION ";") - 1;
	while (pos < len) {
		const char *it = s + pos, *semi = memchr(it, ';', len - pos);
		size_t n = semi ? (size_t)(semi - it) : len - pos;

		/* "end" is the last item, nothing after it (invariant 4). */
		if (n == sizeof(WIRE_END) - 1 && memcmp(it, WIRE_END, n) == 0) {
			ended = !semi;
			break;
		}
		if (!item_parse(it, n, &sn, &tm, &tx))
			goto out;
		if (!semi)
			break;
		pos += n + 1;
	}
	if (!ended)
		goto out;
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].required && !(sn.known & (UINT32_C(1) << i)))
			goto out;
	obj_meta_free(m);
	*m = tm;
	*x = tx;
	tm.headers = NULL;
	err = S3E_OK;
out:
	free(tm.headers);
	return err;
}
