/*
 * xmlin: the S3 XML request bodies of DeleteObjects, CreateBucket,
 * CompleteMultipartUpload and PutBucketEncryption.
 *
 * Every body goes through common/xmldoc (size cap before parsing, no
 * network, no entities, DOCTYPE rejected); this file only walks the tree.
 * Text inside <Key> is kept byte for byte (S3 keys may begin or end with
 * spaces and newlines); white space between structural elements is skipped.
 */
#include "xmlin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "xmldoc.h"

/*
 * Fills item from one <Object>. Key (exactly one, non-empty) and VersionId
 * (at most one) are kept. ETag, LastModifiedTime and Size are conditions
 * of the botocore ObjectIdentifier shape ("delete only if it still
 * matches"); Strata does not evaluate them, and deleting while ignoring a
 * condition could destroy data the client meant to protect, so their
 * presence sets *conditional and the request answers NotImplemented.
 * Anything else is S3E_MalformedXML.
 */
static s3err_t parse_object(const xmlNode *obj, struct delete_object_item *item, bool *conditional)
{
	const xmlNode *c;
	char *key = NULL, *vid = NULL;
	size_t key_len = 0, vid_len;
	s3err_t err = S3E_MalformedXML;

	for (c = obj->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Key")) {
			if (key)
				goto out;
			err = xmldoc_leaf_text(c, &key, &key_len);
		} else if (xmldoc_is_elem(c, "VersionId")) {
			if (vid)
				goto out;
			err = xmldoc_leaf_text(c, &vid, &vid_len);
		} else if (xmldoc_is_elem(c, "ETag") || xmldoc_is_elem(c, "LastModifiedTime") ||
			   xmldoc_is_elem(c, "Size")) {
			if (!xmldoc_is_leaf(c))
				goto out;
			*conditional = true;
			continue;
		} else {
			goto out;
		}
		if (err)
			goto out;
		err = S3E_MalformedXML;
	}
	/* ObjectKey has min length 1 in the S3 model. */
	if (!key || key_len == 0)
		goto out;
	item->key = key;
	item->key_len = key_len;
	item->version_id = vid;
	key = NULL;
	vid = NULL;
	err = S3E_OK;
out:
	free(key);
	free(vid);
	return err;
}

/*
 * Parses a DeleteObjects body (see xmlin.h) into *out, which is written only
 * on success and then owns every key and version id (xmlin_delete_free).
 * Keys keep their exact bytes; an Object with ETag, LastModifiedTime or Size
 * yields S3E_NotImplemented once the whole body is otherwise valid.
 * Errors: S3E_MalformedXML, S3E_MaxMessageLengthExceeded,
 * S3E_NotImplemented, S3E_InternalError.
 */
s3err_t xmlin_parse_delete(const char *body, size_t len, struct delete_request *out)
{
	struct delete_request r = {0};
	xmlDocPtr doc = NULL;
	const xmlNode *root, *c;
	bool have_quiet = false, conditional = false;
	size_t count = 0;
	s3err_t err;

	err = xmldoc_parse(body, len, STRATA_MAX_XML_BODY, &doc);
	if (err)
		goto out;
	err = S3E_MalformedXML;
	root = xmlDocGetRootElement(doc);
	if (!xmldoc_is_elem(root, "Delete"))
		goto out;
	/* First pass: shape and count, so the array is sized once and capped. */
	for (c = root->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Object")) {
			if (++count > STRATA_MAX_DELETE_KEYS)
				goto out;
		} else if (xmldoc_is_elem(c, "Quiet")) {
			if (have_quiet)
				goto out;
			have_quiet = true;
			err = xmldoc_parse_bool(c, &r.quiet);
			if (err)
				goto out;
			err = S3E_MalformedXML;
		} else {
			goto out;
		}
	}
	if (count == 0)
		goto out;
	r.objects = calloc(count, sizeof(*r.objects));
	if (!r.objects) {
		err = S3E_InternalError;
		goto out;
	}
	for (c = root->children; c; c = c->next) {
		if (!xmldoc_is_elem(c, "Object"))
			continue;
		err = parse_object(c, &r.objects[r.n], &conditional);
		if (err)
			goto out;
		r.n++;
	}
	err = conditional ? S3E_NotImplemented : S3E_OK;
out:
	xmlFreeDoc(doc);
	if (err == S3E_OK)
		*out = r;
	else
		xmlin_delete_free(&r);
	return err;
}

/* Frees every key, version id and the array; r is left empty. NULL is fine. */
void xmlin_delete_free(struct delete_request *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->objects[i].key);
		free(r->objects[i].version_id);
	}
	free(r->objects);
	r->objects = NULL;
	r->n = 0;
	r->quiet = false;
}

/*
 * Parses an optional CreateBucketConfiguration body (see xmlin.h). An empty
 * or all-white-space body, a missing or an empty LocationConstraint give
 * region "". The constraint is copied byte for byte (the gateway compares it
 * with the configured region). The other members of the S3 model
 * (Location, Bucket, Tags: directory buckets and create-time tags) are not
 * supported and answer S3E_NotImplemented rather than being ignored; any
 * other element is S3E_MalformedXML. region is written only on success.
 * Errors: S3E_MalformedXML, S3E_InvalidLocationConstraint (does not fit in
 * cap), S3E_MaxMessageLengthExceeded, S3E_NotImplemented, S3E_InternalError.
 */
s3err_t xmlin_parse_create_bucket(const char *body, size_t len, char *region, size_t cap)
{
	xmlDocPtr doc = NULL;
	const xmlNode *root, *c;
	char *lc = NULL;
	size_t lc_len = 0;
	bool unsupported = false;
	s3err_t err;

	if (!region || cap == 0 || (!body && len)) {
		err = S3E_InternalError;
		goto out;
	}
	if (len > STRATA_MAX_SMALL_XML_BODY) {
		err = S3E_MaxMessageLengthExceeded;
		goto out;
	}
	if (len == 0 || xmldoc_all_blank(body, len)) {
		region[0] = '\0';
		err = S3E_OK;
		goto out;
	}
	err = xmldoc_parse(body, len, STRATA_MAX_SMALL_XML_BODY, &doc);
	if (err)
		goto out;
	err = S3E_MalformedXML;
	root = xmlDocGetRootElement(doc);
	if (!xmldoc_is_elem(root, "CreateBucketConfiguration"))
		goto out;
	for (c = root->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "LocationConstraint")) {
			if (lc)
				goto out;
			err = xmldoc_leaf_text(c, &lc, &lc_len);
			if (err)
				goto out;
			err = S3E_MalformedXML;
		} else if (xmldoc_is_elem(c, "Location") || xmldoc_is_elem(c, "Bucket") ||
			   xmldoc_is_elem(c, "Tags")) {
			unsupported = true;
		} else {
			goto out;
		}
	}
	if (unsupported) {
		err = S3E_NotImplemented;
		goto out;
	}
	if (lc_len >= cap) {
		err = S3E_InvalidLocationConstraint;
		goto out;
	}
	if (lc_len)
		memcpy(region, lc, lc_len);
	region[lc_len] = '\0';
	err = S3E_OK;
out:
	free(lc);
	xmlFreeDoc(doc);
	return err;
}

/* ---- CompleteMultipartUpload ---- */

/* The per-part checksum elements of botocore's CompletedPart shape that Strata computes. */
/* clang-format off */
static const struct {
	const char *elem;
	const char *algo; /* x-amz-checksum-algorithm spelling */
} part_checksums[] = {
	{"ChecksumCRC32", "CRC32"},
	{"ChecksumCRC32C", "CRC32C"},
	{"ChecksumCRC64NVME", "CRC64NVME"},
	{"ChecksumSHA1", "SHA1"},
	{"ChecksumSHA256", "SHA256"},
};
/* clang-format on */

#define N_PART_CHECKSUMS (sizeof(part_checksums) / sizeof(part_checksums[0]))

/*
 * PartNumber: decimal digits only (no sign, no exponent) in 1..STRATA_MAX_PARTS,
 * surrounding XML white space allowed as for any xs:int. parse_u64 fails on
 * overflow, so "18446744073709551617" cannot wrap around into range.
 */
static s3err_t parse_part_number(const xmlNode *e, unsigned *out)
{
	char *s = NULL, *p;
	size_t len;
	uint64_t v;
	s3err_t err;

	err = xmldoc_leaf_text(e, &s, &len);
	if (err)
		goto out;
	p = xmldoc_trim_blank(s, &len);
	if (!parse_u64(p, len, 1, STRATA_MAX_PARTS, &v)) {
		err = S3E_MalformedXML;
		goto out;
	}
	*out = (unsigned)v;
out:
	free(s);
	return err;
}

/*
 * ETag: clients echo what UploadPart returned, quoted ("\"hex\"", or
 * &quot;hex&quot; which libxml2 has already decoded) or bare. One pair of
 * surrounding quotes is removed; everything else is kept byte for byte, so a
 * stray quote or blank makes the gateway's comparison fail (InvalidPart, as
 * AWS answers) rather than match by accident. Empty counts as missing, and
 * longer than any ETag Strata issues cannot be stored without truncation,
 * which could forge a match: both are S3E_MalformedXML.
 */
static s3err_t parse_etag(const xmlNode *e, char *out, size_t cap)
{
	char *s = NULL, *p;
	size_t len;
	s3err_t err;

	err = xmldoc_leaf_text(e, &s, &len);
	if (err)
		goto out;
	err = S3E_MalformedXML;
	p = s;
	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		p++;
		len -= 2;
	}
	if (len == 0 || len >= cap)
		goto out;
	memcpy(out, p, len);
	out[len] = '\0';
	err = S3E_OK;
out:
	free(s);
	return err;
}

/*
 * Copies a part checksum's text byte for byte into out[cap] (the gateway
 * decodes and compares it). Longer than cap, far beyond the base64 of any
 * digest, is S3E_MalformedXML rather than a truncated value.
 */
static s3err_t parse_part_checksum(const xmlNode *e, char *out, size_t cap)
{
	char *s = NULL;
	size_t len;
	s3err_t err;

	err = xmldoc_leaf_text(e, &s, &len);
	if (err)
		goto out;
	if (len >= cap) {
		err = S3E_MalformedXML;
		goto out;
	}
	memcpy(out, s, len + 1);
out:
	free(s);
	return err;
}

/*
 * Fills item from one <Part>: exactly one PartNumber, exactly one ETag, at
 * most one Checksum<ALGO> (an S3 upload has one algorithm, so two checksums
 * in a part cannot both be checked). Any other element, including the
 * CompletedPart checksums of algorithms Strata does not offer (SHA512, MD5,
 * XXHASH*: no upload can have been created with them), is S3E_MalformedXML.
 */
static s3err_t parse_part(const xmlNode *part, struct complete_item *item)
{
	const xmlNode *c;
	bool have_number = false, have_etag = false;
	size_t i;
	s3err_t err = S3E_MalformedXML;

	memset(item, 0, sizeof(*item));
	for (c = part->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "PartNumber")) {
			if (have_number)
				goto out;
			have_number = true;
			err = parse_part_number(c, &item->number);
		} else if (xmldoc_is_elem(c, "ETag")) {
			if (have_etag)
				goto out;
			have_etag = true;
			err = parse_etag(c, item->etag, sizeof(item->etag));
		} else {
			for (i = 0; i < N_PART_CHECKSUMS; i++)
				if (xmldoc_is_elem(c, part_checksums[i].elem))
					break;
			if (i == N_PART_CHECKSUMS || item->checksum_algo[0])
				goto out;
			/* The algorithm names are constants shorter than the field. */
			memcpy(item->checksum_algo, part_checksums[i].algo,
			       strlen(part_checksums[i].algo) + 1);
			err =
			    parse_part_checksum(c, item->checksum_b64, sizeof(item->checksum_b64));
		}
		if (err)
			goto out;
		err = S3E_MalformedXML;
	}
	if (have_number && have_etag)
		err = S3E_OK;
out:
	return err;
}

/*
 * Parses a CompleteMultipartUpload body (see xmlin.h) into *out, written
 * only on success and then owning the parts array (xmlin_complete_free).
 * Parts keep document order; ordering, duplicates and ETag matches are the
 * gateway's checks (InvalidPartOrder, InvalidPart), which need the upload.
 * Errors: S3E_MalformedXML, S3E_MaxMessageLengthExceeded, S3E_InternalError.
 */
s3err_t xmlin_parse_complete(const char *body, size_t len, struct complete_request *out)
{
	struct complete_request r = {0};
	xmlDocPtr doc = NULL;
	const xmlNode *root, *c;
	size_t count = 0;
	s3err_t err;

	err = xmldoc_parse(body, len, STRATA_MAX_COMPLETE_XML_BODY, &doc);
	if (err)
		goto out;
	err = S3E_MalformedXML;
	root = xmlDocGetRootElement(doc);
	if (!xmldoc_is_elem(root, "CompleteMultipartUpload"))
		goto out;
	/* First pass: shape and count, so the array is sized once and capped. */
	for (c = root->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (!xmldoc_is_elem(c, "Part") || ++count > STRATA_MAX_PARTS)
			goto out;
	}
	if (count == 0)
		goto out;
	r.parts = calloc(count, sizeof(*r.parts));
	if (!r.parts) {
		err = S3E_InternalError;
		goto out;
	}
	for (c = root->children; c; c = c->next) {
		if (!xmldoc_is_elem(c, "Part"))
			continue;
		err = parse_part(c, &r.parts[r.n]);
		if (err)
			goto out;
		r.n++;
	}
	err = S3E_OK;
out:
	xmlFreeDoc(doc);
	if (err == S3E_OK)
		*out = r;
	else
		xmlin_complete_free(&r);
	return err;
}

/* Frees the parts array; r is left empty. NULL is fine. */
void xmlin_complete_free(struct complete_request *r)
{
	if (!r)
		return;
	free(r->parts);
	r->parts = NULL;
	r->n = 0;
}

/* ---- ServerSideEncryptionConfiguration ---- */

/* <ApplyServerSideEncryptionByDefault>: SSEAlgorithm (required), KMSMasterKeyID. */
static s3err_t parse_sse_default(const xmlNode *e, struct encryption_config *out)
{
	const xmlNode *c;
	bool kms_key = false;
	char algo[32] = "";
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "SSEAlgorithm") && !algo[0]) {
			if ((err = xmldoc_leaf_word(c, algo, sizeof(algo))))
				return err;
		} else if (xmldoc_is_elem(c, "KMSMasterKeyID") && !kms_key && xmldoc_is_leaf(c)) {
			kms_key = true;
		} else {
			return S3E_MalformedXML;
		}
	}
	if (strcmp(algo, "aws:kms") == 0 || strcmp(algo, "aws:kms:dsse") == 0)
		return S3E_NotImplemented;
	if (strcmp(algo, "AES256") != 0)
		return S3E_MalformedXML;
	if (kms_key) /* AWS: only for aws:kms */
		return S3E_InvalidArgument;
	memcpy(out->algorithm, "AES256", sizeof("AES256"));
	return S3E_OK;
}

/* <BlockedEncryptionTypes>: only <EncryptionType>NONE</EncryptionType> blocks nothing. */
static s3err_t parse_blocked_types(const xmlNode *e)
{
	const xmlNode *c;
	char type[16];
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (!xmldoc_is_elem(c, "EncryptionType"))
			return S3E_MalformedXML;
		if ((err = xmldoc_leaf_word(c, type, sizeof(type))))
			return err;
		if (strcmp(type, "SSE-C") == 0)
			return S3E_NotImplemented; /* blocking SSE-C uploads is not enforced yet */
		if (strcmp(type, "NONE") != 0)
			return S3E_MalformedXML;
	}
	return S3E_OK;
}

static s3err_t parse_sse_rule(const xmlNode *rule, struct encryption_config *out)
{
	bool have_default = false, have_bk = false;
	const xmlNode *c;
	s3err_t err;

	for (c = rule->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "ApplyServerSideEncryptionByDefault") && !have_default) {
			have_default = true;
			err = parse_sse_default(c, out);
		} else if (xmldoc_is_elem(c, "BucketKeyEnabled") && !have_bk) {
			have_bk = true;
			err = xmldoc_parse_bool(c, &out->bucket_key);
		} else if (xmldoc_is_elem(c, "BlockedEncryptionTypes")) {
			err = parse_blocked_types(c);
		} else {
			err = S3E_MalformedXML;
		}
		if (err)
			return err;
	}
	return have_default ? S3E_OK : S3E_MalformedXML;
}

s3err_t xmlin_parse_encryption(const char *body, size_t len, struct encryption_config *out)
{
	struct encryption_config cfg = {"", false};
	const xmlNode *root, *c;
	xmlDocPtr doc = NULL;
	size_t rules = 0;
	s3err_t err;

	err = xmldoc_parse_root(body, len, STRATA_MAX_SMALL_XML_BODY,
				"ServerSideEncryptionConfiguration", &doc, &root);
	if (err)
		goto out;
	for (c = root->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		/* AWS takes exactly one rule. */
		if (!xmldoc_is_elem(c, "Rule") || ++rules > 1) {
			err = S3E_MalformedXML;
			goto out;
		}
		if ((err = parse_sse_rule(c, &cfg)))
			goto out;
	}
	err = rules == 1 ? S3E_OK : S3E_MalformedXML;
	if (!err)
		*out = cfg;
out:
	xmlFreeDoc(doc);
	return err;
}

/* ---- VersioningConfiguration ---- */

s3err_t xmlin_parse_versioning(const char *body, size_t len, enum versioning_status *out)
{
	enum versioning_status st = VERSIONING_ABSENT;
	char status[16] = "", mfa[16] = "";
	const xmlNode *root, *c;
	xmlDocPtr doc = NULL;
	s3err_t err;

	err = xmldoc_parse_root(body, len, STRATA_MAX_SMALL_XML_BODY, "VersioningConfiguration",
				&doc, &root);
	if (err)
		goto out;
	for (c = root->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Status") && !status[0])
			err = xmldoc_leaf_word(c, status, sizeof(status));
		else if (xmldoc_is_elem(c, "MfaDelete") && !mfa[0])
			err = xmldoc_leaf_word(c, mfa, sizeof(mfa));
		else
			err = S3E_MalformedXML;
		if (err)
			goto out;
	}
	if (strcmp(status, "Enabled") == 0)
		st = VERSIONING_ENABLED;
	else if (strcmp(status, "Suspended") == 0)
		st = VERSIONING_SUSPENDED;
	else if (status[0])
		err = S3E_MalformedXML;
	if (!err && mfa[0] && strcmp(mfa, "Disabled") != 0)
		err = strcmp(mfa, "Enabled") == 0 ? S3E_NotImplemented : S3E_MalformedXML;
	if (!err)
		*out = st;
out:
	xmlFreeDoc(doc);
	return err;
}

/* ---- RestoreRequest ---- */

/* <GlacierJobParameters><Tier>Standard|Bulk|Expedited</Tier></GlacierJobParameters> */
static s3err_t parse_job_parameters(const xmlNode *e, struct restore_request *out)
{
	const xmlNode *c;
	s3err_t err;

	for (c = e->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (!xmldoc_is_elem(c, "Tier") || out->tier[0])
			return S3E_MalformedXML;
		if ((err = xmldoc_leaf_word(c, out->tier, sizeof(out->tier))))
			return err;
		if (strcmp(out->tier, "Standard") != 0 && strcmp(out->tier, "Bulk") != 0 &&
		    strcmp(out->tier, "Expedited") != 0)
			return S3E_MalformedXML;
	}
	return S3E_OK;
}

s3err_t xmlin_parse_restore(const char *body, size_t len, struct restore_request *out)
{
	struct restore_request rr = {0, ""};
	const xmlNode *root, *c;
	xmlDocPtr doc = NULL;
	char days[16] = "", type[16] = "";
	uint64_t n;
	s3err_t err;

	err =
	    xmldoc_parse_root(body, len, STRATA_MAX_SMALL_XML_BODY, "RestoreRequest", &doc, &root);
	if (err)
		goto out;
	for (c = root->children; c; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Days") && !days[0])
			err = xmldoc_leaf_word(c, days, sizeof(days));
		else if (xmldoc_is_elem(c, "GlacierJobParameters") && !rr.tier[0])
			err = parse_job_parameters(c, &rr);
		else if (xmldoc_is_elem(c, "Tier") && !rr.tier[0])
			err = xmldoc_leaf_word(c, rr.tier, sizeof(rr.tier));
		else if (xmldoc_is_elem(c, "Description") && xmldoc_is_leaf(c))
			err = S3E_OK;
		else if (xmldoc_is_elem(c, "Type") && !type[0])
			err = xmldoc_leaf_word(c, type, sizeof(type));
		else if (xmldoc_is_elem(c, "SelectParameters") ||
			 xmldoc_is_elem(c, "OutputLocation"))
			err = S3E_NotImplemented;
		else
			err = S3E_MalformedXML;
		if (err)
			goto out;
	}
	err = S3E_MalformedXML;
	if (type[0]) {
		err = strcmp(type, "SELECT") == 0 ? S3E_NotImplemented : S3E_MalformedXML;
		goto out;
	}
	if (!days[0] || !parse_u64_str(days, 1, INT32_MAX, &n))
		goto out;
	if (rr.tier[0] && strcmp(rr.tier, "Standard") != 0 && strcmp(rr.tier, "Bulk") != 0 &&
	    strcmp(rr.tier, "Expedited") != 0)
		goto out;
	rr.days = (uint32_t)n;
	*out = rr;
	err = S3E_OK;
out:
	xmlFreeDoc(doc);
	return err;
}
