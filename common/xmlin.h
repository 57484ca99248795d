/*
 * xmlin: hardened parsing of the XML request bodies S3 clients send.
 *
 * libxml2 is used with a size cap checked before parsing, XML_PARSE_NONET,
 * no entity substitution, and any DOCTYPE rejected (billion-laughs and XXE
 * stop here). Element names are matched in the S3 namespace or without one.
 * Unknown elements where S3 allows none -> MalformedXML.
 */
#ifndef STRATA_XMLIN_H
#define STRATA_XMLIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "s3err.h"

struct delete_object_item {
	char *key; /* owned, NUL-terminated (validated later by the gateway) */
	size_t key_len;
	char *version_id; /* owned, or NULL */
};

struct delete_request {
	bool quiet;
	size_t n; /* 1..STRATA_MAX_DELETE_KEYS */
	struct delete_object_item *objects;
};

/*
 * Parses a DeleteObjects body:
 *   <Delete><Quiet>true</Quiet><Object><Key>k</Key><VersionId>v</VersionId></Object>...</Delete>
 * Errors: S3E_MalformedXML (bad XML, no Object, more than 1000, empty Key),
 * S3E_MaxMessageLengthExceeded (> STRATA_MAX_XML_BODY), S3E_InternalError,
 * S3E_NotImplemented (an Object carries ETag, LastModifiedTime or Size: a
 * conditional delete Strata does not evaluate, so it refuses rather than ignore).
 */
s3err_t xmlin_parse_delete(const char *body, size_t len, struct delete_request *out);
void xmlin_delete_free(struct delete_request *r);

/*
 * Parses an optional CreateBucketConfiguration body; an empty body is valid
 * and yields region "". Copies LocationConstraint into region[cap].
 * Errors: S3E_MalformedXML, S3E_InvalidLocationConstraint (too long),
 * S3E_MaxMessageLengthExceeded (> STRATA_MAX_SMALL_XML_BODY),
 * S3E_NotImplemented (Location, Bucket or Tags present).
 */
s3err_t xmlin_parse_create_bucket(const char *body, size_t len, char *region, size_t cap);

struct complete_item {
	unsigned number;	    /* PartNumber, 1..10000 */
	char etag[STRATA_ETAG_MAX]; /* unquoted (quotes and &quot; stripped) */
	char checksum_algo[16];	    /* "" or CRC32, CRC32C, CRC64NVME, SHA1, SHA256 */
	char checksum_b64[STRATA_CHECKSUM_B64_MAX]; /* the part's Checksum<ALGO>, if sent */
};

struct complete_request {
	size_t n;		     /* 1..STRATA_MAX_PARTS */
	struct complete_item *parts; /* in document order (the gateway checks ascending) */
};

/*
 * Parses a CompleteMultipartUpload body:
 *   <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"..."</ETag>
 *   <ChecksumCRC32>...</ChecksumCRC32></Part>...</CompleteMultipartUpload>
 * Errors: S3E_MalformedXML (bad XML, no Part, more than 10,000, a PartNumber
 * outside 1..10000, a missing ETag, more than one checksum in a Part),
 * S3E_MaxMessageLengthExceeded (> STRATA_MAX_COMPLETE_XML_BODY).
 */
s3err_t xmlin_parse_complete(const char *body, size_t len, struct complete_request *out);
void xmlin_complete_free(struct complete_request *r);

/* A bucket's default encryption (PutBucketEncryption), as Strata supports it. */
struct encryption_config {
	char algorithm[16]; /* "AES256" */
	bool bucket_key;    /* BucketKeyEnabled: kept and returned (it only matters for KMS) */
};

/*
 * Parses a ServerSideEncryptionConfiguration body:
 *   <ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>
 *   <SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>
 *   <BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>
 * Errors: S3E_MalformedXML (bad XML, not exactly one Rule, no
 * ApplyServerSideEncryptionByDefault or SSEAlgorithm, an unknown algorithm),
 * S3E_InvalidArgument (KMSMasterKeyID with AES256), S3E_NotImplemented
 * (aws:kms, aws:kms:dsse, BlockedEncryptionTypes other than NONE),
 * S3E_MaxMessageLengthExceeded (> STRATA_MAX_SMALL_XML_BODY).
 */
s3err_t xmlin_parse_encryption(const char *body, size_t len, struct encryption_config *out);

/* PutBucketVersioning: a VersioningConfiguration, as Strata supports it. */
enum versioning_status {
	VERSIONING_ABSENT,    /* no Status element: no change */
	VERSIONING_ENABLED,   /* Enabled */
	VERSIONING_SUSPENDED, /* Suspended */
};

/*
 * Parses <VersioningConfiguration> with an optional Status (Enabled |
 * Suspended) and MfaDelete (Enabled | Disabled). Errors: S3E_MalformedXML
 * (anything else, or an element twice), S3E_NotImplemented (MfaDelete
 * Enabled: MFA delete is not available), S3E_MaxMessageLengthExceeded.
 */
s3err_t xmlin_parse_versioning(const char *body, size_t len, enum versioning_status *out);

/* A RestoreObject request, as Strata supports it. */
struct restore_request {
	uint32_t days; /* how long the restored copy stays readable, >= 1 */
	char tier[16]; /* GlacierJobParameters Tier: Standard, Bulk, Expedited, or "" */
};

/*
 * Parses a RestoreRequest body:
 *   <RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Standard</Tier>
 *   </GlacierJobParameters></RestoreRequest>
 * Errors: S3E_MalformedXML (bad XML, no or bad Days, an unknown Tier or
 * element), S3E_NotImplemented (Type SELECT, SelectParameters,
 * OutputLocation: restores that run queries or write elsewhere),
 * S3E_MaxMessageLengthExceeded (> STRATA_MAX_SMALL_XML_BODY).
 */
s3err_t xmlin_parse_restore(const char *body, size_t len, struct restore_request *out);

#endif
