/* sse_req: server-side encryption as requests ask for it (rules in sse_req.h). */
#include "sse_req.h"

#include <string.h>

#include <openssl/crypto.h>

#include "../common/datakeys.h"
#include "../common/keyring.h"
#include "../common/log.h"
#include "../common/strutil.h"
#include "response.h"
#include "server.h"

#define H_SSE "x-amz-server-side-encryption"
#define H_C_ALGO "x-amz-server-side-encryption-customer-algorithm"
#define H_C_KEY "x-amz-server-side-encryption-customer-key"
#define H_C_MD5 "x-amz-server-side-encryption-customer-key-MD5"
#define H_CS_ALGO "x-amz-copy-source-server-side-encryption-customer-algorithm"
#define H_CS_KEY "x-amz-copy-source-server-side-encryption-customer-key"
#define H_CS_MD5 "x-amz-copy-source-server-side-encryption-customer-key-MD5"

/* The three SSE-C headers of a request, plain or with the copy-source prefix. */
struct customer_headers {
	const char *algo, *key, *md5;
};

static struct customer_headers customer_headers(const struct request *r, bool copy_source)
{
	struct customer_headers h;

	if (copy_source) {
		h.algo = req_header(r, H_CS_ALGO);
		h.key = req_header(r, H_CS_KEY);
		h.md5 = req_header(r, H_CS_MD5);
	} else {
		h.algo = req_header(r, H_C_ALGO);
		h.key = req_header(r, H_C_KEY);
		h.md5 = req_header(r, H_C_MD5);
	}
	return h;
}

static bool any_customer_header(const struct customer_headers *h)
{
	return h->algo || h->key || h->md5;
}

/*
 * Parses SSE-C headers into k. The key travels in a header, so without TLS
 * it crossed the network in the clear: AWS refuses that, and so does Strata
 * unless the operator allowed it (sse_c_over_http). r->tls is set by the
 * listener the request came in on (tls_cert's HTTPS listener; never the
 * plain http_listen), not by any header a client could send.
 */
static s3err_t parse_customer(struct request *r, const struct customer_headers *h,
			      struct sse_key *k)
{
	const char *msg = NULL;
	s3err_t err;

	if (!r->tls && !r->srv->cfg->sse_c_over_http)
		return req_fail(r, S3E_InvalidRequest,
				"Requests specifying Server Side Encryption with Customer provided "
				"keys must be made over a secure connection.");
	err = sse_parse_customer(h->algo, h->key, h->md5, k->data_key, &msg);
	if (err)
		return req_fail(r, err, msg);
	k->mode = SSE_C;
	str_copy(k->customer_md5, sizeof(k->customer_md5), h->md5);
	return S3E_OK;
}

/* The bucket's default: true when it (or else the server) says AES256. */
static s3err_t default_is_sse_s3(struct request *r, bool *on)
{
	char doc[64];
	size_t len = 0;
	bool found = false;
	s3err_t err;

	err = backend_bucket_config_get(r->srv->be, r->bucket, SSE_BUCKET_CONFIG, doc,
					sizeof(doc) - 1, &len, &found);
	if (err)
		return req_fail(r, err, NULL);
	/* The stored document is "AES256 0|1" (op_encryption.c); any stored one encrypts. */
	*on = found ? true : r->srv->cfg->default_sse;
	return S3E_OK;
}

/* A fresh data key, wrapped under the current master key into m. */
static s3err_t new_sse_s3(struct request *r, struct obj_meta *m, struct sse_key *k)
{
	uint8_t wrapped[KEYRING_WRAPPED_SIZE];
	s3err_t err;

	err = sse_new_data_key(k->data_key);
	if (!err)
		err = keyring_wrap(r->srv->keys, k->data_key, m->sse_key_id, wrapped);
	if (err)
		return req_fail(r, S3E_InternalError, NULL);
	memcpy(m->sse_envelope, wrapped, sizeof(wrapped));
	m->sse_envelope_len = sizeof(wrapped);
	m->sse_mode = SSE_S3;
	k->mode = SSE_S3;
	return S3E_OK;
}

bool sse_req_asked(const struct request *r)
{
	struct customer_headers h = customer_headers(r, false);

	return req_header(r, H_SSE) || any_customer_header(&h);
}

s3err_t sse_req_write(struct request *r, struct obj_meta *m, struct sse_key *k)
{
	struct customer_headers h = customer_headers(r, false);
	const char *sse = req_header(r, H_SSE);
	uint8_t hash[SSE_CUSTOMER_HASH_SIZE];
	bool on = false;
	s3err_t err;

	memset(k, 0, sizeof(*k));
	m->sse_mode = SSE_NONE;
	m->sse_key_id[0] = '\0';
	m->sse_envelope_len = 0;
	if (req_header(r, H_SSE "-aws-kms-key-id") || req_header(r, H_SSE "-context") ||
	    req_header(r, "x-amz-server-side-encryption-bucket-key-enabled"))
		return req_fail(r, S3E_NotImplemented, "SSE-KMS is not implemented by Strata.");
	if (sse && any_customer_header(&h))
		return req_fail(r, S3E_InvalidArgument,
				"Server Side Encryption with Customer provided key is incompatible "
				"with the encryption method specified");
	if (any_customer_header(&h)) {
		if ((err = parse_customer(r, &h, k)))
			return err;
		if (sse_customer_hash(k->data_key, hash))
			return req_fail(r, S3E_InternalError, NULL);
		memcpy(m->sse_envelope, hash, sizeof(hash));
		m->sse_envelope_len = sizeof(hash);
		m->sse_mode = SSE_C;
		return S3E_OK;
	}
	if (sse) {
		if (strcmp(sse, "aws:kms") == 0 || strcmp(sse, "aws:kms:dsse") == 0)
			return req_fail(r, S3E_NotImplemented,
					"SSE-KMS is not implemented by Strata; use AES256.");
		if (strcmp(sse, "AES256") != 0)
			return req_fail(r, S3E_InvalidArgument,
					"The encryption method specified is not supported");
		return new_sse_s3(r, m, k);
	}
	if ((err = default_is_sse_s3(r, &on)))
		return err;
	return on ? new_sse_s3(r, m, k) : S3E_OK;
}

s3err_t sse_req_read(struct request *r, const struct obj_meta *m, bool copy_source,
		     struct sse_key *k)
{
	struct customer_headers h = customer_headers(r, copy_source);
	s3err_t err;

	memset(k, 0, sizeof(*k));
	if (m->sse_mode != SSE_C) {
		if (any_customer_header(&h))
			return req_fail(r, S3E_InvalidRequest,
					"The encryption parameters are not applicable to this "
					"object.");
		if (m->sse_mode == SSE_NONE)
			return S3E_OK;
		if (datakeys_unwrap(r->srv->datakeys, m->sse_key_id, m->sse_envelope,
				    m->sse_envelope_len, k->data_key) != S3E_OK) {
			log_error("sse", "cannot unwrap the data key of %s/%s (key id %s)",
				  r->bucket, r->key ? r->key : "", m->sse_key_id);
			return req_fail(r, S3E_InternalError,
					"The object's data key cannot be unwrapped.");
		}
		k->mode = SSE_S3;
		return S3E_OK;
	}
	if (!any_customer_header(&h))
		return req_fail(r, S3E_InvalidRequest,
				"The object was stored using a form of Server Side Encryption. The "
				"correct parameters must be provided to retrieve the object.");
	if ((err = parse_customer(r, &h, k)))
		return err;
	if (!sse_customer_matches(k->data_key, m->sse_envelope, m->sse_envelope_len)) {
		sse_key_clear(k);
		return req_fail(r, S3E_AccessDenied,
				"The provided SSE-C key does not match the key the object was "
				"written with.");
	}
	return S3E_OK;
}

void sse_req_headers(struct request *r, const struct sse_key *k)
{
	if (k->mode == SSE_S3) {
		resp_header(r, H_SSE, "AES256");
	} else if (k->mode == SSE_C) {
		resp_header(r, H_C_ALGO, "AES256");
		resp_header(r, H_C_MD5, k->customer_md5);
	}
}

void sse_req_meta_headers(struct request *r, const struct obj_meta *m)
{
	const char *md5 = req_header(r, H_C_MD5);

	if (m->sse_mode == SSE_S3) {
		resp_header(r, H_SSE, "AES256");
	} else if (m->sse_mode == SSE_C) {
		resp_header(r, H_C_ALGO, "AES256");
		if (md5)
			resp_header(r, H_C_MD5, md5);
	}
}

void sse_key_clear(struct sse_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}
