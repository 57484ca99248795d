/*
 * chunked: streaming decoder for the aws-chunked body encodings.
 *
 * The body is a sequence of chunks, each a size line, size bytes of data and
 * CRLF, ended by a zero-size chunk whose line is followed by a trailer
 * section (RFC 7230 section 4.1.2 shape): trailer lines, then an empty line.
 * In STREAMING-AWS4-HMAC-SHA256-PAYLOAD the trailer section must be empty,
 * so the body ends "0;chunk-signature=SIG\r\n\r\n".
 *
 * Invariants:
 *   1. Only a size line or one trailer line is ever buffered (line[]), never
 *      chunk data: data goes from the caller's buffer to the hash and to
 *      on_data directly.
 *   2. prev_sig always holds the signature the next chunk signature chains
 *      from: the seed, then each verified chunk signature in turn, so that
 *      reordering, dropping or splicing chunks breaks the chain.
 *   3. A chunk's signature is checked as soon as its last data byte has
 *      been hashed, before its CRLF is read.
 *   4. After an error, err is set and state is ST_FAILED for good.
 */
#include "chunked.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "checksum.h"
#include "sigv4.h"
#include "strutil.h"

#define SIG_PREFIX ";chunk-signature="
#define TRAILER_SIG_NAME "x-amz-trailer-signature"

enum state {
	ST_SIZE_LINE,	 /* reading "<hex>[;chunk-signature=<64 hex>]\r\n" into line[] */
	ST_DATA,	 /* passing the next `remaining` data bytes to the hash and on_data */
	ST_DATA_CR,	 /* expecting the '\r' that ends a chunk's data */
	ST_DATA_LF,	 /* expecting the '\n' after it */
	ST_TRAILER_LINE, /* after the zero chunk: trailer lines into line[] until an empty one */
	ST_DONE,	 /* the body is complete and verified; any further byte is an error */
	ST_FAILED,	 /* an error was returned; err is returned again for every call */
};

struct chunked_decoder {
	struct chunked_params p;
	chunked_data_fn on_data;
	void *ctx;
	enum state state;
	s3err_t err;
	bool finished;	      /* chunked_finish succeeded */
	EVP_MD_CTX *md;	      /* SHA-256 of the current chunk's data (signed modes) */
	uint64_t remaining;   /* data bytes left in the current chunk */
	uint64_t decoded;     /* payload bytes handed to on_data */
	char chunk_sig[65];   /* the signature the current chunk claims */
	char prev_sig[65];    /* invariant 2 */
	char trailer_sig[65]; /* x-amz-trailer-signature, once seen */
	bool have_trailer_sig;
	size_t trailer_bytes; /* bytes of the trailer section so far, CRLFs included */
	size_t ntrailers;
	size_t tstore_len;
	char tstore[STRATA_MAX_TRAILER_BYTES]; /* "name\0value\0" per trailer */
	size_t line_len;
	char line[STRATA_MAX_TRAILER_BYTES]; /* invariant 1 */
};

static bool is_signed(const struct chunked_decoder *d)
{
	return d->p.mode != CHUNKED_UNSIGNED_TRAILER;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* An RFC 7230 tchar, the characters of a header (and trailer) name. */
static bool is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * HMAC(key, algo "\n" amz_date "\n" scope "\n" prev_sig "\n" rest) into
 * out[65]: the common shape of the chunk and trailer strings to sign.
 */
static s3err_t sign_link(const struct chunked_decoder *d, const char *algo, const char *prev,
			 const char *rest, char out[65])
{
	char sts[512];
	int n;

	n = snprintf(sts, sizeof(sts), "%s\n%s\n%s\n%s\n%s", algo, d->p.amz_date, d->p.scope, prev,
		     rest);
	if (n < 0 || (size_t)n >= sizeof(sts))
		return S3E_InternalError;
	sigv4_hmac_hex(d->p.signing_key, sts, (size_t)n, out);
	return S3E_OK;
}

/* Invariant 3: checks the signature of the chunk whose data was just hashed, then chains it. */
static s3err_t verify_chunk(struct chunked_decoder *d)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char rest[65 + 1 + 65], want[65];
	s3err_t err;

	if (EVP_DigestFinal_ex(d->md, md, &mdlen) != 1 || mdlen != 32)
		return S3E_InternalError;
	memcpy(rest, SIGV4_EMPTY_SHA256 "\n", 65);
	hex_encode(md, 32, rest + 65);
	err = sign_link(d, "AWS4-HMAC-SHA256-PAYLOAD", d->prev_sig, rest, want);
	if (err)
		return err;
	if (CRYPTO_memcmp(want, d->chunk_sig, 64) != 0)
		return S3E_SignatureDoesNotMatch;
	memcpy(d->prev_sig, d->chunk_sig, sizeof(d->prev_sig));
	return S3E_OK;
}

/*
 * Parses a size line (without its CRLF). Signed modes require exactly
 * "<hex>;chunk-signature=<64 hex>"; the unsigned mode exactly "<hex>": a
 * chunk extension there would be unauthenticated text no client sends, and
 * refusing it keeps a single reading of the framing.
 */
static s3err_t parse_size_line(struct chunked_decoder *d, const char *s, size_t len)
{
	const char *semi = memchr(s, ';', len);
	size_t hexlen = semi ? (size_t)(semi - s) : len;
	uint64_t size;
	size_t i, plen = sizeof(SIG_PREFIX) - 1;

	if (!parse_hex_u64(s, hexlen, STRATA_MAX_CHUNK_SIZE, &size))
		return S3E_InvalidRequest;
	if (is_signed(d)) {
		if (!semi || len - hexlen != plen + 64 || memcmp(semi, SIG_PREFIX, plen) != 0)
			return S3E_InvalidRequest;
		for (i = 0; i < 64; i++)
			if (!is_hex(semi[plen + i]))
				return S3E_InvalidRequest;
		memcpy(d->chunk_sig, semi + plen, 64);
		d->chunk_sig[64] = '\0';
		if (EVP_DigestInit_ex(d->md, cksum_md_sha256(), NULL) != 1)
			return S3E_InternalError;
	} else if (semi) {
		return S3E_InvalidRequest;
	}
	if (d->p.decoded_length != UINT64_MAX && size > d->p.decoded_length - d->decoded)
		return S3E_IncompleteBody; /* more payload than x-amz-decoded-content-length */
	d->remaining = size;
	if (size > 0) {
		d->state = ST_DATA;
		return S3E_OK;
	}
	/* The zero chunk: its (empty) data is signed like any other chunk. */
	if (is_signed(d)) {
		s3err_t err = verify_chunk(d);

		if (err)
			return err;
	}
	d->state = ST_TRAILER_LINE;
	return S3E_OK;
}

/* Checks the trailer signature over the stored trailers, each "name:value\n". */
static s3err_t verify_trailer(struct chunked_decoder *d)
{
	EVP_MD_CTX *md = d->md;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	char hex[65], want[65];
	size_t off = 0, i;
	s3err_t err;

	if (!d->have_trailer_sig)
		return S3E_SignatureDoesNotMatch; /* the trailers would be unauthenticated */
	if (EVP_DigestInit_ex(md, cksum_md_sha256(), NULL) != 1)
		return S3E_InternalError;
	for (i = 0; i < d->ntrailers; i++) {
		const char *name = d->tstore + off;
		const char *value = name + strlen(name) + 1;

		if (EVP_DigestUpdate(md, name, strlen(name)) != 1 ||
		    EVP_DigestUpdate(md, ":", 1) != 1 ||
		    EVP_DigestUpdate(md, value, strlen(value)) != 1 ||
		    EVP_DigestUpdate(md, "\n", 1) != 1)
			return S3E_InternalError;
		off = (size_t)(value - d->tstore) + strlen(value) + 1;
	}
	if (EVP_DigestFinal_ex(md, h, &hlen) != 1 || hlen != 32)
		return S3E_InternalError;
	hex_encode(h, 32, hex);
	err = sign_link(d, "AWS4-HMAC-SHA256-TRAILER", d->prev_sig, hex, want);
	if (err)
		return err;
	if (CRYPTO_memcmp(want, d->trailer_sig, 64) != 0)
		return S3E_SignatureDoesNotMatch;
	return S3E_OK;
}

/* The value of a trailer line, trimmed of SP and HT; controls other than HT are refused. */
static bool trailer_value(const char *v, size_t len, const char **out, size_t *outlen)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return false;
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	*out = v;
	*outlen = len;
	return true;
}

/* The stored value of trailer `name` (lowercase), whether or not the body is finished. */
static const char *find_trailer(const struct chunked_decoder *d, const char *name)
{
	size_t off = 0, i;

	for (i = 0; i < d->ntrailers; i++) {
		const char *n = d->tstore + off;
		const char *v = n + strlen(n) + 1;

		if (strcmp(n, name) == 0)
			return v;
		off = (size_t)(v - d->tstore) + strlen(v) + 1;
	}
	return NULL;
}

/* Stores x-amz-trailer-signature's value: 64 hex digits, signed-trailer mode only. */
static s3err_t take_trailer_sig(struct chunked_decoder *d, const char *v, size_t vlen)
{
	size_t i;

	if (d->p.mode != CHUNKED_SIGNED_TRAILER || vlen != 64)
		return S3E_InvalidRequest;
	for (i = 0; i < 64; i++)
		if (!is_hex(v[i]))
			return S3E_InvalidRequest;
	memcpy(d->trailer_sig, v, 64);
	d->trailer_sig[64] = '\0';
	d->have_trailer_sig = true;
	return S3E_OK;
}

/*
 * Handles one trailer line (without CRLF). The empty line ends the body. In
 * the signed-trailer mode the signature must be the last line, so every
 * trailer it covers comes before it; in the other modes it is refused. A
 * repeated name is refused too: a lookup could not say which one was meant.
 */
static s3err_t trailer_line(struct chunked_decoder *d, const char *s, size_t len)
{
	const char *colon, *v;
	char *name = d->tstore + d->tstore_len;
	size_t nlen, vlen, i;

	if (len == 0) {
		if (d->p.mode == CHUNKED_SIGNED_TRAILER) {
			s3err_t err = verify_trailer(d);

			if (err)
				return err;
		}
		d->state = ST_DONE;
		return S3E_OK;
	}
	if (d->p.mode == CHUNKED_SIGNED || d->have_trailer_sig)
		return S3E_InvalidRequest;
	colon = memchr(s, ':', len);
	if (!colon || colon == s)
		return S3E_InvalidRequest;
	nlen = (size_t)(colon - s);
	if (!trailer_value(colon + 1, len - nlen - 1, &v, &vlen))
		return S3E_InvalidRequest;
	/* Lowercase the name into the store; it is committed only at the end. */
	if (nlen + vlen + 2 > sizeof(d->tstore) - d->tstore_len)
		return S3E_InvalidRequest;
	for (i = 0; i < nlen; i++) {
		char c = s[i];

		if (!is_tchar(c))
			return S3E_InvalidRequest;
		name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	name[nlen] = '\0';
	if (strcmp(name, TRAILER_SIG_NAME) == 0)
		return take_trailer_sig(d, v, vlen);
	if (find_trailer(d, name))
		return S3E_InvalidRequest;
	memcpy(name + nlen + 1, v, vlen);
	name[nlen + 1 + vlen] = '\0';
	d->tstore_len += nlen + vlen + 2;
	d->ntrailers++;
	return S3E_OK;
}

/*
 * Gathers a CRLF-terminated line into line[], taking at most `room` more
 * bytes (the cap: a client cannot make a line grow without bound). When the
 * line is complete it goes to the handler of the current state. *used is
 * the number of input bytes consumed.
 */
static s3err_t gather_line(struct chunked_decoder *d, const uint8_t *p, size_t n, size_t room,
			   size_t *used)
{
	const uint8_t *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) + 1 : n;
	size_t len;

	if (take > room)
		return S3E_InvalidRequest;
	memcpy(d->line + d->line_len, p, take);
	d->line_len += take;
	*used = take;
	if (!nl)
		return S3E_OK;
	/* A bare LF, or a CR anywhere but before the LF, is not aws-chunked framing. */
	if (d->line_len < 2 || d->line[d->line_len - 2] != '\r')
		return S3E_InvalidRequest;
	len = d->line_len - 2;
	d->line_len = 0;
	if (memchr(d->line, '\r', len))
		return S3E_InvalidRequest;
	if (d->state == ST_SIZE_LINE)
		return parse_size_line(d, d->line, len);
	return trailer_line(d, d->line, len);
}

/* Hashes (signed modes) and hands on the next data bytes of the current chunk. */
static s3err_t take_data(struct chunked_decoder *d, const uint8_t *p, size_t n, size_t *used)
{
	s3err_t err;

	if (n > d->remaining)
		n = (size_t)d->remaining;
	*used = n;
	if (is_signed(d) && EVP_DigestUpdate(d->md, p, n) != 1)
		return S3E_InternalError;
	err = d->on_data ? d->on_data(d->ctx, p, n) : S3E_OK;
	if (err)
		return err;
	d->decoded += n;
	d->remaining -= n;
	if (d->remaining > 0)
		return S3E_OK;
	d->state = ST_DATA_CR;
	return is_signed(d) ? verify_chunk(d) : S3E_OK;
}

/* See chunked.h. */
s3err_t chunked_new(const struct chunked_params *p, chunked_data_fn on_data, void *ctx,
		    struct chunked_decoder **out)
{
	s3err_t err = S3E_InternalError;
	struct chunked_decoder *d;

	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	d->md = EVP_MD_CTX_new();
	if (!d->md)
		goto out;
	d->p = *p;
	/* The caller's strings are NUL-terminated within their arrays from here on. */
	d->p.amz_date[sizeof(d->p.amz_date) - 1] = '\0';
	d->p.scope[sizeof(d->p.scope) - 1] = '\0';
	d->p.seed_signature[sizeof(d->p.seed_signature) - 1] = '\0';
	memcpy(d->prev_sig, d->p.seed_signature, sizeof(d->prev_sig));
	d->on_data = on_data;
	d->ctx = ctx;
	d->state = ST_SIZE_LINE;
	*out = d;
	d = NULL;
	err = S3E_OK;
out:
	chunked_free(d);
	return err;
}

/* See chunked.h. One iteration of the loop runs one state on as many bytes as it can take. */
s3err_t chunked_feed(struct chunked_decoder *d, const uint8_t *buf, size_t len)
{
	s3err_t err = S3E_OK;
	size_t i = 0, used;

	while (i < len && !err) {
		used = 1;
		switch (d->state) {
		case ST_SIZE_LINE:
			err = gather_line(d, buf + i, len - i, STRATA_MAX_CHUNK_LINE - d->line_len,
					  &used);
			break;
		case ST_DATA:
			err = take_data(d, buf + i, len - i, &used);
			break;
		case ST_DATA_CR:
			if (buf[i] != '\r')
				err = S3E_InvalidRequest;
			d->state = ST_DATA_LF;
			break;
		case ST_DATA_LF:
			if (buf[i] != '\n')
				err = S3E_InvalidRequest;
			d->state = ST_SIZE_LINE;
			break;
		case ST_TRAILER_LINE:
			err = gather_line(d, buf + i, len - i,
					  STRATA_MAX_TRAILER_BYTES - d->trailer_bytes, &used);
			d->trailer_bytes += used;
			break;
		case ST_DONE:
			err = S3E_InvalidRequest; /* bytes after the end of the body */
			break;
		case ST_FAILED:
			err = d->err;
			break;
		}
		i += used;
	}
	if (err) {
		d->err = err;
		d->state = ST_FAILED;
	}
	return err;
}

/* See chunked.h. */
s3err_t chunked_finish(struct chunked_decoder *d)
{
	s3err_t err = S3E_OK;

	if (d->state == ST_FAILED) {
		err = d->err;
		goto out;
	}
	if (d->state != ST_DONE ||
	    (d->p.decoded_length != UINT64_MAX && d->decoded != d->p.decoded_length)) {
		err = S3E_IncompleteBody;
		d->err = err;
		d->state = ST_FAILED;
		goto out;
	}
	d->finished = true;
out:
	return err;
}

/* See chunked.h. Before a successful finish the trailers are not verified, so none is given out. */
const char *chunked_trailer(const struct chunked_decoder *d, const char *name)
{
	if (!d->finished)
		return NULL;
	return find_trailer(d, name);
}

/* See chunked.h. */
uint64_t chunked_decoded_bytes(const struct chunked_decoder *d)
{
	return d->decoded;
}

/* See chunked.h. The signing key is wiped before the memory is released. */
void chunked_free(struct chunked_decoder *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->md);
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}
