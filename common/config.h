/*
 * config: the strata configuration file and its defaults.
 *
 * Format: one "key = value" per line; '#' starts a comment (whole line or
 * after whitespace); blank lines ignored; values may be double-quoted.
 * Unknown keys and bad values are errors that name the file, the line and
 * what is wrong, e.g. "strata.conf:7: unknown key 'listne'". Command-line
 * flags override the file (the gateway applies them after config_load).
 *
 * Keys:
 *   listen            HOST:PORT                  default 127.0.0.1:9000
 *   admin_listen      HOST:PORT of the admin listener (GET /metrics in
 *                     Prometheus text, /health/live, /health/ready), or off.
 *                     It has no authentication: keep it on loopback or a
 *                     management network.       default off
 *   console           on|off: the web console at /console/ on the admin
 *                     listener (gateway/console.h)  default on (when
 *                     admin_listen is set)
 *   console_origin    origins (comma-separated, e.g. http://mgmt:9001) whose
 *                     pages may read the S3 listener's answers to presigned
 *                     requests (CORS)            default "": the admin
 *                     listener's own (loopback names for a loopback or
 *                     any-address one)
 *   console_session_ttl seconds a console login lasts, 1..86400  default 3600
 *   console_endpoint  http[s]://HOST[:PORT], the S3 listener as the
 *                     console's browsers reach it  default "": from
 *                     `listen` (an any-address host: the host the browser
 *                     used for the console)
 *   tls_cert, tls_key PEM files: the server certificate (chain: leaf
 *                     first) and its private key (unencrypted). Both or
 *                     neither; with them `listen` serves HTTPS (checked at
 *                     start: readable, the key matches the certificate, and
 *                     libmicrohttpd has TLS), reloaded on SIGHUP  default none
 *   http_listen       HOST:PORT of a second, plain-HTTP listener for clients
 *                     that cannot do TLS (SSE-C is refused there unless
 *                     sse_c_over_http), or off; needs tls_cert   default off
 *   data              directory                  default ./data
 *   region            the region name            default us-east-1
 *   domain            base domain(s) for virtual-host-style addressing,
 *                     comma-separated            default "" (path style only)
 *   log_level         error|warn|info|debug      default info
 *   max_connections   connections open at once, per listener, 1..100000
 *                                                default 1024
 *   max_connections_per_client  connections from one IP address at once,
 *                     per listener; 0 = no limit (checked at accept, before
 *                     any byte is read)          default 256
 *   connection_timeout seconds a connection may sit idle (no byte in either
 *                     direction), 1..86400       default 300
 *   header_timeout    seconds from a connection's accept (or the end of its
 *                     previous request) to the end of the request head; a
 *                     client trickling its head (slowloris) is cut off then,
 *                     1..3600                    default 30
 *   max_header_size   bytes of a request's headers ("Name: value" + CRLF
 *                     each; the request line has its own cap of
 *                     STRATA_MAX_URI_LEN), 8192..1048576; more is answered
 *                     400 RequestHeaderSectionTooLarge  default 16384
 *   max_user_metadata bytes of x-amz-meta-* names + values on one object,
 *                     0..4096 (0 refuses user metadata)  default 2048 (as AWS)
 *   shutdown_timeout  seconds SIGTERM waits for requests in flight before
 *                     aborting them (an aborted upload leaves nothing),
 *                     0..3600                    default 30
 *   access_log        a file getting one JSON line per request, or off
 *                     (reopened on SIGHUP, for logrotate)  default off
 *   audit_log         a file getting one hash-chained JSON line per object
 *                     read, write or delete (`strata audit verify FILE`), or
 *                     off (reopened on SIGHUP)   default off
 *   scrub_interval    seconds between background scrub passes (each re-verifies
 *                     every stored byte); 0 = off; 0..31536000  default 86400
 *   scrub_rate        bytes per second the scrubber may read; 0 = unlimited
 *                                                default 33554432 (32 MiB/s)
 *   lifecycle_interval seconds between lifecycle passes (0 = off)   default 3600
 *   lifecycle_day_seconds the length of a lifecycle "day", 1..86400 default 86400
 *                     (short days let tests run a "90 days" rule in seconds)
 *   lifecycle_rate    lifecycle actions per second at most (0 = unpaced)  default 100
 *   tier_STANDARD_IA, tier_GLACIER_IR, tier_GLACIER, tier_DEEP_ARCHIVE
 *                     a directory holding the data of that storage class (a
 *                     slower disk, say), or s3://BUCKET or s3://BUCKET/PREFIX/:
 *                     a bucket on the remote store of the s3_* settings below
 *                     (backend = posix only); a class without one lives in
 *                     `data`                     default none
 *   integrity         on|off                     default on
 *                     off is for the integrity benchmark only
 *                     (scripts/bench/integrity.sh): new single-PUT objects are
 *                     stored without frames and without a SHA-256, so nothing
 *                     can verify them later. The server warns at start.
 *   default_encryption AES256|none               default AES256
 *                     what objects written without encryption headers get in
 *                     a bucket without PutBucketEncryption (AWS encrypts every
 *                     new object with SSE-S3 since 2023; so does Strata)
 *   key_file          the master key file        default DATA/keys (created
 *                     with one key on first start; mode 0600; see README)
 *   backend           posix|s3: where buckets live   default posix
 *                     s3: on a remote S3 store (backends/s3.h), with (these
 *                     also reach the s3:// tiers of backend = posix)
 *   s3_endpoint       http://HOST[:PORT] or https://HOST[:PORT] of the remote
 *   s3_region         its SigV4 region           default us-east-1
 *   s3_access_key, s3_secret_key  Strata's credentials on the remote
 *   s3_ca_file        CA bundle for https        default "" (the system's)
 *   s3_path_style     on|off                     default on
 *   s3_bucket_prefix  remote bucket = prefix + Strata bucket  default ""
 *   s3_system_bucket  Strata's registry, configurations and staging on the
 *                     remote                     default strata-system
 *   sse_c_over_http   on|off                     default off
 *                     SSE-C sends the customer's key in a header, so AWS and
 *                     Strata refuse it without TLS; on allows plain HTTP
 *                     (tests, or TLS terminated by a proxy on the same host)
 *   replication_users names of users (comma-separated) whose writes and
 *                     deletes are replicas sent by another site's replicator:
 *                     shown as REPLICA and never replicated further (so two
 *                     sites replicating to each other do not loop)  default ""
 *   replication_workers changes shipped at once, 1..64      default 4
 *   replication_interval seconds between looks at the queue when idle (a
 *                     commit wakes the workers at once), 1..3600  default 5
 *   replication_retry_max seconds between retries of a change at most (the
 *                     wait doubles from 1 s, with jitter), 1..86400  default 300
 *
 * Sites (replication destinations, issue 8): a line "[site NAME]" starts a
 * section whose keys describe one remote S3 store, another Strata or any S3
 * server; it ends at the next section. Top-level keys come before any
 * section. NAME is 1..REPL_SITE_NAME_MAX of [a-z0-9-]; at most
 * CONFIG_MAX_SITES sites, names distinct. Keys of a site:
 *   endpoint          http[s]://HOST[:PORT]      required
 *   region            its SigV4 region           default us-east-1
 *   access_key, secret_key  credentials there   required
 *   ca_file           CA bundle for https        default "" (the system's)
 *   path_style        on|off                     default on
 *   encryption        AES256|none                default AES256
 *                     AES256: copies of encrypted objects are written with
 *                     x-amz-server-side-encryption: AES256 (the site encrypts
 *                     them under its own keys); none: without (a site that has
 *                     no SSE-S3, e.g. Ceph RGW without a KMS: copies are then
 *                     stored as the site stores anything, said at start-up)
 */
#ifndef STRATA_CONFIG_H
#define STRATA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "log.h"

#define CONFIG_MAX_DOMAINS 8
#define CONFIG_TIER_CLASSES 4 /* the classes a tier_<CLASS> key may name */

/* The storage classes that may have a tier directory, in config_tier_class order. */
const char *config_tier_class(unsigned i);

#define CONFIG_TIER_PREFIX_MAX 256u /* the PREFIX/ of an s3:// tier, at most */

/*
 * true for "s3://BUCKET" and "s3://BUCKET/PREFIX/": a valid bucket name,
 * and a prefix of printable ASCII (no space, no backslash) ending in '/'
 * of at most CONFIG_TIER_PREFIX_MAX bytes. A tier value starting with
 * s3:// must be one.
 */
bool config_tier_url_valid(const char *value);

#define CONFIG_MAX_SITES 8
#define CONFIG_SITE_NAME_MAX 32u /* = REPL_SITE_NAME_MAX (backends/backend.h) */
#define CONFIG_MAX_REPLICATION_USERS 8
#define CONFIG_MAX_CONSOLE_ORIGINS 4

/* A replication destination ([site NAME] section). */
struct config_site {
	char name[CONFIG_SITE_NAME_MAX + 1];
	char endpoint[256];
	char region[STRATA_MAX_REGION_LEN + 1];
	char access_key[STRATA_MAX_ACCESS_KEY_LEN + 1];
	char secret_key[STRATA_MAX_SECRET_KEY_LEN + 1];
	char ca_file[STRATA_MAX_PATH];
	bool path_style;
	bool encryption; /* encryption = AES256 */
};

struct config {
	char listen_host[256];
	uint16_t listen_port;
	char admin_host[256];
	uint16_t admin_port; /* 0: no admin listener */
	bool console;	     /* the web console on the admin listener */
	char console_origins[CONFIG_MAX_CONSOLE_ORIGINS][256]; /* "scheme://host[:port]" */
	unsigned nconsole_origins;
	unsigned console_session_ttl;
	char console_endpoint[256];	/* "" = derived from listen */
	char tls_cert[STRATA_MAX_PATH]; /* "" = plain HTTP on listen */
	char tls_key[STRATA_MAX_PATH];
	char http_host[256];
	uint16_t http_port; /* 0: no plain-HTTP listener beside the TLS one */
	/*
	 * Where config_load read tls_cert, tls_key and http_listen (line 0: a
	 * default or a flag), so that config_check can name file:line.
	 */
	char file[STRATA_MAX_PATH];
	unsigned tls_cert_line, tls_key_line, http_listen_line;
	char data_dir[STRATA_MAX_PATH];
	char region[STRATA_MAX_REGION_LEN + 1];
	char domains[CONFIG_MAX_DOMAINS][256]; /* lowercase, no leading dot */
	unsigned ndomains;
	enum log_level log_level;
	unsigned max_connections;
	unsigned max_connections_per_client; /* 0: no limit */
	unsigned connection_timeout;
	unsigned header_timeout;
	unsigned max_header_size;
	unsigned max_user_metadata;
	unsigned shutdown_timeout;
	char access_log[STRATA_MAX_PATH]; /* "" = off */
	char audit_log[STRATA_MAX_PATH];  /* "" = off */
	unsigned scrub_interval;
	unsigned scrub_rate;
	char tier_dirs[CONFIG_TIER_CLASSES][STRATA_MAX_PATH]; /* "" = in `data` */
	unsigned lifecycle_interval;
	unsigned lifecycle_day_seconds;
	unsigned lifecycle_rate;
	bool integrity;
	bool default_sse;		/* default_encryption = AES256 */
	char key_file[STRATA_MAX_PATH]; /* "" = DATA/keys */
	bool sse_c_over_http;
	bool backend_s3; /* backend = s3 */
	char s3_endpoint[256];
	char s3_region[STRATA_MAX_REGION_LEN + 1];
	char s3_access_key[STRATA_MAX_ACCESS_KEY_LEN + 1];
	char s3_secret_key[STRATA_MAX_SECRET_KEY_LEN + 1];
	char s3_ca_file[STRATA_MAX_PATH];
	bool s3_path_style;
	char s3_bucket_prefix[33];
	char s3_system_bucket[STRATA_BUCKET_NAME_MAX + 1];
	/* user names, 64 bytes at most (USER_NAME_MAX in gateway/users.h) */
	char replication_users[CONFIG_MAX_REPLICATION_USERS][65];
	unsigned nreplication_users;
	unsigned replication_workers;
	unsigned replication_interval;
	unsigned replication_retry_max;
	struct config_site sites[CONFIG_MAX_SITES];
	unsigned nsites;
};

/* The site named name, or NULL. */
const struct config_site *config_site_find(const struct config *c, const char *name);

/* Fills c with the defaults above. */
void config_defaults(struct config *c);

/*
 * Reads path into c (which should hold defaults). On error returns -1 and
 * writes "path:line: message" into err (errlen bytes); c may be partly set.
 */
int config_load(const char *path, struct config *c, char *err, size_t errlen);

/*
 * Applies one setting by key, as a file line would (used by config_load and
 * by command-line flags). Returns -1 with a message (without file/line) on error.
 */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);

/*
 * Checks the settings that only make sense together (tls_cert with tls_key,
 * http_listen only beside TLS), once the flags were applied on top of the
 * file (so a file may name the certificate and a flag the key). Returns -1
 * with "file:line: message" in err (or the message alone when the key to
 * blame came from a flag) when they do not fit.
 */
int config_check(const struct config *c, char *err, size_t errlen);

/* Parses "HOST:PORT" or "[v6]:PORT" or ":PORT" into host/port. Returns -1 if malformed. */
int config_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port);

#endif
