/* cli: argument parsing and the subcommands of `strata`. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "../backends/posix.h"
#include "../common/audit.h"
#include "../common/config.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/strutil.h"
#include "../lifecycle/engine.h"
#include "../lifecycle/scrubber.h"
#include "admin.h"
#include "presign.h"
#include "replication.h"
#include "server.h"
#include "sse_keys.h"
#include "users.h"

#define ENV_ROOT_ACCESS "STRATA_ROOT_ACCESS_KEY"
#define ENV_ROOT_SECRET "STRATA_ROOT_SECRET_KEY"
#define ROOT_USER "root"

static const char usage_main[] =
    "Usage: strata COMMAND [OPTIONS]\n"
    "\n"
    "An S3-compatible object store gateway.\n"
    "\n"
    "Commands:\n"
    "  serve      serve the S3 API (see: strata serve --help)\n"
    "  user       manage users: add, list, remove (see: strata user --help)\n"
    "  presign    print a presigned URL (see: strata presign --help)\n"
    "  scrub      verify every stored byte, offline (see: strata scrub --help)\n"
    "  keys       master keys of SSE-S3: list, rotate, retire (see: strata keys --help)\n"
    "  lifecycle  apply lifecycle rules now, offline (see: strata lifecycle --help)\n"
    "  replicate  the replication queue: status, resync (see: strata replicate --help)\n"
    "  audit      check the audit log's hash chain (see: strata audit --help)\n"
    "\n"
    "Options:\n"
    "  --version  print the version\n"
    "  --help     print this help\n";

static const char usage_serve[] =
    "Usage: strata serve [--config FILE] [--listen HOST:PORT] [--admin-listen HOST:PORT]\n"
    "                    [--data DIR] [--region NAME] [--domain DOMAIN[,DOMAIN...]]\n"
    "                    [--log-level LEVEL] [--tls-cert FILE --tls-key FILE]\n"
    "                    [--check-config]\n"
    "\n"
    "Serves the S3 API over the data directory. Flags override the config file.\n"
    "On first start, creates the user 'root' and prints its keys; the keys come from\n"
    "STRATA_ROOT_ACCESS_KEY / STRATA_ROOT_SECRET_KEY when both are set (and then\n"
    "replace root's keys on every start), otherwise they are generated.\n"
    "\n"
    "  --config FILE      configuration file (key = value lines; see README)\n"
    "  --listen HOST:PORT address to listen on (default 127.0.0.1:9000)\n"
    "  --admin-listen HOST:PORT  serve /metrics and /health/* there (default off)\n"
    "  --data DIR         data directory (default ./data)\n"
    "  --region NAME      region name (default us-east-1)\n"
    "  --domain DOMAINS   base domains for virtual-host-style requests\n"
    "  --log-level LEVEL  error, warn, info or debug (default info)\n"
    "  --tls-cert FILE    PEM certificate (chain): serve HTTPS on the listen address\n"
    "  --tls-key FILE     its PEM private key (both or neither; SIGHUP reloads them)\n"
    "  --check-config     only read the config file and flags, print \"config ok\" and\n"
    "                     exit 0, or the error and exit 1; starts and touches nothing\n"
    "\n"
    "Signals: SIGHUP reloads the TLS certificate and reopens the log files; SIGTERM\n"
    "stops gracefully within shutdown_timeout seconds. See strata(1), strata.conf(5).\n";

static const char usage_user[] =
    "Usage: strata user add NAME [--access-key KEY --secret-key SECRET] [--data DIR]\n"
    "       strata user list [--data DIR]\n"
    "       strata user remove NAME [--data DIR]\n"
    "\n"
    "Manages the users in DIR/credentials (mode 0600). 'add' prints the new keys\n"
    "(generated unless given). A running server picks changes up within a second.\n"
    "--config FILE reads the data directory from a config file.\n";

static const char usage_presign[] =
    "Usage: strata presign [--data DIR] [--user NAME] [--endpoint URL] [--region NAME]\n"
    "                      [--method GET|PUT|HEAD|DELETE] [--expires SECONDS]\n"
    "                      s3://BUCKET/KEY\n"
    "\n"
    "Prints a SigV4 presigned URL signed with the user's keys (default: root).\n"
    "  --endpoint URL   default http(s)://<listen address from the config> (https\n"
    "                   when the config has tls_cert)\n"
    "  --expires SEC    1 to 604800 (7 days), default 3600\n"
    "  --method M       default GET\n";

static const char usage_scrub[] =
    "Usage: strata scrub [--data DIR] [--config FILE] [--rate BYTES_PER_SEC]\n"
    "\n"
    "Re-verifies every object and upload part against its frames and its SHA-256,\n"
    "records when each object was last verified, and reports corrupt, truncated or\n"
    "missing data files and data files no index row names (orphans). One line per\n"
    "problem, then a summary. Needs the data directory to itself: while a server\n"
    "runs, its background scrubber (scrub_interval, scrub_rate) does this job.\n"
    "  --rate BYTES_PER_SEC  read at most this fast (default 0: unlimited)\n"
    "\n"
    "Exit status: 0 clean, 3 problems found, 1 could not scrub, 2 usage.\n";

static const char usage_keys[] =
    "Usage: strata keys list [--data DIR] [--config FILE]\n"
    "       strata keys rotate [--data DIR] [--config FILE]\n"
    "       strata keys retire KEY_ID [--data DIR] [--config FILE]\n"
    "\n"
    "Manages the master keys that wrap every SSE-S3 object's data key (the key file\n"
    "is config key_file, default DIR/keys). 'rotate' adds a new current key and\n"
    "rewraps every data key under it without rewriting object data; if a rotation\n"
    "was interrupted, running it again finishes it. 'retire' removes an old key\n"
    "once no data key uses it. Needs the data directory to itself (stop the server).\n"
    "\n"
    "Exit status: 0 done, 1 failed, 2 usage.\n";

static const char usage_replicate[] =
    "Usage: strata replicate status [--bucket NAME] [--data DIR] [--config FILE]\n"
    "       strata replicate resync --bucket NAME [--data DIR] [--config FILE]\n"
    "\n"
    "status prints the replication queue of the data directory (or of one bucket):\n"
    "events pending (failed ones included), events a target refused (still retried),\n"
    "the age of the oldest pending event, and the bytes still to send (at most).\n"
    "\n"
    "resync queues every object of the bucket that its replication rules send to a\n"
    "site, so that the server, once started, makes each site's copy match again: a\n"
    "copy missing or different there is sent, one that matches costs a HEAD (another\n"
    "Strata proves a match by SHA-256; any other store by the MD5 ETag of a copy sent\n"
    "in one PUT, so larger objects are sent again).\n"
    "\n"
    "While a server runs over the data directory, both ask it through its admin\n"
    "listener (admin_listen in the config file): the resync then runs in the server\n"
    "and logs its result.\n"
    "\n"
    "Exit status: 0 done, 1 failed, 2 usage.\n";

static const char usage_lifecycle[] =
    "Usage: strata lifecycle run [--bucket NAME] [--data DIR] [--config FILE]\n"
    "\n"
    "Runs one lifecycle pass now: expires objects, moves them to colder storage\n"
    "classes and aborts incomplete multipart uploads as the buckets' rules\n"
    "(PutBucketLifecycleConfiguration) say is due, with the day length and rate of the config "
    "file\n"
    "(lifecycle_day_seconds, lifecycle_rate). A running server does this every\n"
    "lifecycle_interval seconds; this command needs the data directory to itself.\n"
    "\n"
    "Exit status: 0 done, 1 failed, 2 usage.\n";

static const char usage_audit[] =
    "Usage: strata audit verify FILE...\n"
    "\n"
    "Checks the hash chain of an audit log (config audit_log): every line's SHA-256,\n"
    "and that each line follows the one before (seq and prev), so an edited, removed,\n"
    "inserted or reordered line, or a cut-off last line, is found. Give rotated files\n"
    "oldest first, the current one last: they are checked as one chain, links between\n"
    "files included. Prints 'ok: N lines, last hash H' (keep H: lines cut from the end\n"
    "would show as a different last hash), or 'FILE:LINE: why' for the first bad line.\n"
    "\n"
    "Exit status: 0 intact, 1 broken, 2 usage or a file could not be read.\n";

struct opts {
	const char *config;
	const char *listen;
	const char *admin_listen;
	const char *data;
	const char *region;
	const char *domain;
	const char *log_level;
	const char *tls_cert;
	const char *tls_key;
	const char *access_key;
	const char *secret_key;
	const char *user;
	const char *endpoint;
	const char *method;
	const char *expires;
	const char *rate;
	const char *bucket;
	const char *positional[2];
	int npositional;
	int help;
	int check_config; /* serve --check-config */
};

struct flag {
	const char *name;
	size_t offset; /* into struct opts */
};

#define FLAG(n, f)                                                                                 \
	{                                                                                          \
		n, offsetof(struct opts, f)                                                        \
	}
static const struct flag flags[] = {
    FLAG("--config", config),
    FLAG("--listen", listen),
    FLAG("--admin-listen", admin_listen),
    FLAG("--data", data),
    FLAG("--bucket", bucket),
    FLAG("--region", region),
    FLAG("--domain", domain),
    FLAG("--log-level", log_level),
    FLAG("--tls-cert", tls_cert),
    FLAG("--tls-key", tls_key),
    FLAG("--access-key", access_key),
    FLAG("--secret-key", secret_key),
    FLAG("--user", user),
    FLAG("--endpoint", endpoint),
    FLAG("--method", method),
    FLAG("--expires", expires),
    FLAG("--rate", rate),
};

/* Parses "--flag value", "--flag=value", --help and up to two positionals. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t j, nlen;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = 1;
			continue;
		}
		if (strcmp(a, "--check-config") == 0) {
			o->check_config = 1;
			continue;
		}
		if (a[0] != '-' || a[1] != '-') {
			if (o->npositional == 2) {
				fprintf(stderr, "strata: unexpected argument '%s'\n", a);
				return -1;
			}
			o->positional[o->npositional++] = a;
			continue;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (j = 0; j < sizeof(flags) / sizeof(flags[0]); j++)
			if (strlen(flags[j].name) == nlen && strncmp(flags[j].name, a, nlen) == 0)
				break;
		if (j == sizeof(flags) / sizeof(flags[0])) {
			fprintf(stderr, "strata: unknown option '%s'\n", a);
			return -1;
		}
		if (!eq && i + 1 == argc) {
			fprintf(stderr, "strata: option '%s' needs a value\n", a);
			return -1;
		}
		*(const char **)((char *)o + flags[j].offset) = eq ? eq + 1 : argv[++i];
	}
	return 0;
}

/* Defaults, then the config file, then flags: the later one wins. */
static int load_config(const struct opts *o, struct config *cfg)
{
	const struct {
		const char *key;
		const char *value;
	} overrides[] = {{"listen", o->listen},	    {"admin_listen", o->admin_listen},
			 {"data", o->data},	    {"region", o->region},
			 {"domain", o->domain},	    {"log_level", o->log_level},
			 {"tls_cert", o->tls_cert}, {"tls_key", o->tls_key}};
	char err[512];
	size_t i;

	config_defaults(cfg);
	if (o->config && config_load(o->config, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "strata: %s\n", err);
		return -1;
	}
	for (i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
		if (overrides[i].value &&
		    config_set(cfg, overrides[i].key, overrides[i].value, err, sizeof(err)) != 0) {
			fprintf(stderr, "strata: --%s: %s\n", overrides[i].key, err);
			return -1;
		}
	}
	if (config_check(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "strata: %s\n", err);
		return -1;
	}
	log_set_level(cfg->log_level);
	return 0;
}

struct find_user_ctx {
	const char *name;
	struct user found;
	int have;
};

static void find_user_cb(void *ctx, const struct user *u)
{
	struct find_user_ctx *f = ctx;

	if (strcmp(u->name, f->name) == 0) {
		f->found = *u;
		f->have = 1;
	}
}

static void count_cb(void *ctx, const struct user *u)
{
	(void)u;
	(*(size_t *)ctx)++;
}

/*
 * Makes sure the root user exists: from the environment when both variables
 * are set (as MinIO's root variables), generated on the very first start.
 * Prints the keys only when it creates or changes them.
 */
static int ensure_root(const struct config *cfg)
{
	const char *ak = getenv(ENV_ROOT_ACCESS), *sk = getenv(ENV_ROOT_SECRET);
	struct find_user_ctx f = {ROOT_USER, {{0}}, 0};
	char err[512];
	struct user u;
	size_t count = 0;

	if ((ak && !sk) || (!ak && sk)) {
		fprintf(stderr, "strata: set both %s and %s, or neither\n", ENV_ROOT_ACCESS,
			ENV_ROOT_SECRET);
		return -1;
	}
	if (users_each(cfg->data_dir, find_user_cb, &f, err, sizeof(err)) != 0 ||
	    users_each(cfg->data_dir, count_cb, &count, err, sizeof(err)) != 0) {
		fprintf(stderr, "strata: %s\n", err);
		return -1;
	}
	if (ak) {
		if (f.have && strcmp(f.found.access_key, ak) == 0 &&
		    strcmp(f.found.secret, sk) == 0)
			return 0;
		if (users_add(cfg->data_dir, ROOT_USER, ak, sk, true, &u, err, sizeof(err)) != 0) {
			fprintf(stderr, "strata: %s\n", err);
			return -1;
		}
		printf("Root user keys set from %s / %s.\n", ENV_ROOT_ACCESS, ENV_ROOT_SECRET);
		return 0;
	}
	if (count > 0) {
		if (f.have)
			printf("Root access key: %s (secret in %s/credentials)\n",
			       f.found.access_key, cfg->data_dir);
		return 0;
	}
	if (users_add(cfg->data_dir, ROOT_USER, NULL, NULL, false, &u, err, sizeof(err)) != 0) {
		fprintf(stderr, "strata: %s\n", err);
		return -1;
	}
	printf("Created the root user (stored in %s/credentials, mode 0600):\n"
	       "  Access key: %s\n"
	       "  Secret key: %s\n",
	       cfg->data_dir, u.access_key, u.secret);
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	struct config cfg;
	struct opts o;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if (o.help) {
		fputs(usage_serve, stdout);
		return 0;
	}
	if (o.npositional) {
		fprintf(stderr, "strata serve: unexpected argument '%s'\n", o.positional[0]);
		return 2;
	}
	if (o.check_config) {
		/*
		 * For ExecStartPre= and for operators before a restart: the same
		 * parsing and cross-checks as a start, and nothing else (no data
		 * directory, no key file, no listener), so it is safe beside a
		 * running server. Errors were printed by load_config.
		 */
		if (load_config(&o, &cfg) != 0)
			return 1;
		printf("config ok\n");
		return 0;
	}
	if (load_config(&o, &cfg) != 0)
		return 2;
	if (ensure_root(&cfg) != 0)
		return 1;
	return server_run(&cfg);
}

static void print_user(void *ctx, const struct user *u)
{
	(void)ctx;
	printf("%-20s %s\n", u->name, u->access_key);
}

static int cmd_user(int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";
	struct config cfg;
	char err[512];
	struct user u;
	struct opts o;

	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(usage_user, stdout);
		return 0;
	}
	if (parse_opts(argc > 0 ? argc - 1 : 0, argv + 1, &o) != 0)
		return 2;
	if (o.help || argc == 0) {
		fputs(usage_user, o.help ? stdout : stderr);
		return o.help ? 0 : 2;
	}
	if (load_config(&o, &cfg) != 0)
		return 2;
	if (strcmp(verb, "add") == 0 && o.npositional == 1) {
		if ((o.access_key != NULL) != (o.secret_key != NULL)) {
			fprintf(stderr,
				"strata user add: give both --access-key and --secret-key\n");
			return 2;
		}
		if (users_add(cfg.data_dir, o.positional[0], o.access_key, o.secret_key, false, &u,
			      err, sizeof(err)) != 0) {
			fprintf(stderr, "strata user add: %s\n", err);
			return 1;
		}
		printf("User: %s\nAccess key: %s\nSecret key: %s\n", u.name, u.access_key,
		       u.secret);
		return 0;
	}
	if (strcmp(verb, "list") == 0 && o.npositional == 0) {
		if (users_each(cfg.data_dir, print_user, NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "strata user list: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (strcmp(verb, "remove") == 0 && o.npositional == 1) {
		if (users_remove(cfg.data_dir, o.positional[0], err, sizeof(err)) != 0) {
			fprintf(stderr, "strata user remove: %s\n", err);
			return 1;
		}
		printf("Removed user %s\n", o.positional[0]);
		return 0;
	}
	fputs(usage_user, stderr);
	return 2;
}

/* Accepts "s3://bucket/key" or "bucket/key". */
static int split_target(const char *t, char *bucket, size_t cap, const char **key)
{
	const char *slash;

	if (str_starts(t, "s3://"))
		t += 5;
	slash = strchr(t, '/');
	if (!slash || slash == t || (size_t)(slash - t) >= cap || !slash[1])
		return -1;
	memcpy(bucket, t, (size_t)(slash - t));
	bucket[slash - t] = '\0';
	*key = slash + 1;
	return 0;
}

static int cmd_presign(int argc, char **argv)
{
	struct find_user_ctx f = {ROOT_USER, {{0}}, 0};
	struct presign_request p = {0};
	char bucket[STRATA_BUCKET_NAME_MAX + 1], endpoint[300], err[512];
	uint64_t expires = 3600;
	struct config cfg;
	struct buf url;
	struct opts o;
	int rc = 1;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if (o.help) {
		fputs(usage_presign, stdout);
		return 0;
	}
	if (load_config(&o, &cfg) != 0)
		return 2;
	if (o.npositional != 1 || split_target(o.positional[0], bucket, sizeof(bucket), &p.key)) {
		fputs(usage_presign, stderr);
		return 2;
	}
	if (o.expires && !parse_u64_str(o.expires, 1, STRATA_PRESIGN_MAX_EXPIRES, &expires)) {
		fprintf(stderr, "strata presign: --expires must be 1 to %d seconds\n",
			STRATA_PRESIGN_MAX_EXPIRES);
		return 2;
	}
	if (o.user)
		f.name = o.user;
	if (users_each(cfg.data_dir, find_user_cb, &f, err, sizeof(err)) != 0 || !f.have) {
		fprintf(stderr, "strata presign: no user '%s' in %s/credentials\n", f.name,
			cfg.data_dir);
		return 1;
	}
	/* listen serves HTTPS when the config names a certificate. */
	snprintf(endpoint, sizeof(endpoint), "%s://%s:%u", cfg.tls_cert[0] ? "https" : "http",
		 cfg.listen_host, (unsigned)cfg.listen_port);
	p.endpoint = o.endpoint ? o.endpoint : endpoint;
	p.region = cfg.region;
	p.method = o.method ? o.method : "GET";
	p.bucket = bucket;
	p.expires = expires;
	p.now = time(NULL);
	buf_init(&url, 16384, S3E_InvalidArgument);
	if (presign_url(&p, &f.found, &url) != S3E_OK) {
		fprintf(stderr, "strata presign: cannot sign: --endpoint must be "
				"http(s)://HOST[:PORT] without a path\n");
		goto out;
	}
	printf("%s\n", buf_str(&url));
	rc = 0;
out:
	buf_free(&url);
	return rc;
}

/* Prints one finding of `strata scrub`. */
static void print_finding(void *ctx, const struct scrub_finding *f)
{
	(void)ctx;
	if (f->problem == SCRUB_ORPHAN_DATA)
		printf("%s file %s: %s\n", scrub_problem_name(f->problem), f->file_id, f->detail);
	else
		printf("%s %s/%s (file %s): %s\n", scrub_problem_name(f->problem), f->bucket,
		       f->key, f->file_id, f->detail);
	fflush(stdout);
}

/*
 * True when another process (a running server) holds the data directory's
 * lock. Probed here so the message can say what to do; posix_open takes
 * the lock for real right after (a race only makes that open fail).
 */
static bool data_dir_busy(const char *dir)
{
	char path[STRATA_MAX_PATH];
	bool busy = false;
	int n, fd;

	n = snprintf(path, sizeof(path), "%s/LOCK", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false; /* no LOCK yet: nobody serves this directory */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		busy = errno == EWOULDBLOCK;
	close(fd); /* releases the probe's lock, if it got it */
	return busy;
}

static int cmd_scrub(int argc, char **argv)
{
	struct scrub_stats st = {0, 0, 0, 0};
	char key_path[STRATA_MAX_PATH], why[256];
	struct keyring *keys = NULL;
	struct backend *be = NULL;
	struct config cfg;
	uint64_t rate = 0;
	struct opts o;
	s3err_t err;
	int rc = 1;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if (o.help) {
		fputs(usage_scrub, stdout);
		return 0;
	}
	if (o.npositional) {
		fprintf(stderr, "strata scrub: unexpected argument '%s'\n", o.positional[0]);
		return 2;
	}
	if (o.rate && !parse_u64_str(o.rate, 0, UINT64_MAX, &rate)) {
		fprintf(stderr, "strata scrub: --rate must be a number of bytes per second\n");
		return 2;
	}
	if (load_config(&o, &cfg) != 0)
		return 2;
	if (data_dir_busy(cfg.data_dir)) {
		fprintf(stderr,
			"strata scrub: the data directory %s is in use by a running server; its "
			"background scrubber does this job (scrub_interval, scrub_rate), or stop "
			"the server first\n",
			cfg.data_dir);
		return 1;
	}
	/* With the master keys the scrub also checks the SHA-256 of SSE-S3 objects. */
	if (sse_keys_path(&cfg, key_path, sizeof(key_path)) == 0 &&
	    keyring_load(key_path, &keys, why, sizeof(why)) != S3E_OK)
		fprintf(stderr,
			"strata scrub: %s; encrypted objects get their frames checked only\n", why);
	if (server_open_home(&cfg, keys, &be) != S3E_OK) {
		fprintf(stderr, "strata scrub: cannot open the data directory %s\n", cfg.data_dir);
		keyring_free(keys);
		return 1;
	}
	err = backend_scrub(be, rate, NULL, print_finding, NULL, &st);
	if (err != S3E_OK) {
		fprintf(stderr, "strata scrub: the scrub failed (%s); see the log above\n",
			s3err_code(err));
		goto out;
	}
	printf("scrubbed %llu objects, %llu bytes: %llu problems\n", (unsigned long long)st.objects,
	       (unsigned long long)st.bytes, (unsigned long long)st.problems);
	if (st.frames_only)
		printf("%llu encrypted objects without a key here (SSE-C) had their frames "
		       "checked, not their SHA-256\n",
		       (unsigned long long)st.frames_only);
	rc = st.problems ? 3 : 0;
out:
	backend_close(be);
	keyring_free(keys);
	return rc;
}

static int cmd_keys(int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";
	char path[STRATA_MAX_PATH], why[256];
	struct keyring *keys = NULL;
	struct backend *be = NULL;
	struct config cfg;
	struct opts o;
	int rc = 1;

	if (parse_opts(argc > 0 ? argc - 1 : 0, argv + (argc > 0), &o) != 0)
		return 2;
	if (o.help || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(usage_keys, stdout);
		return 0;
	}
	if (strcmp(verb, "list") != 0 && strcmp(verb, "rotate") != 0 &&
	    strcmp(verb, "retire") != 0) {
		fputs(usage_keys, stderr);
		return 2;
	}
	if (o.npositional != (strcmp(verb, "retire") == 0 ? 1 : 0)) {
		fprintf(stderr, "strata keys %s: wrong arguments\n\n%s", verb, usage_keys);
		return 2;
	}
	if (load_config(&o, &cfg) != 0)
		return 2;
	if (sse_keys_path(&cfg, path, sizeof(path)) != 0)
		return 2;
	if (data_dir_busy(cfg.data_dir)) {
		fprintf(stderr,
			"strata keys: the data directory %s is in use by a running server; stop "
			"it first\n",
			cfg.data_dir);
		return 1;
	}
	if (keyring_load(path, &keys, why, sizeof(why)) != S3E_OK) {
		fprintf(stderr, "strata keys: %s\n", why);
		return 1;
	}
	if (server_open_home(&cfg, keys, &be) != S3E_OK) {
		fprintf(stderr, "strata keys: cannot open the data directory %s\n", cfg.data_dir);
		goto out;
	}
	if (strcmp(verb, "list") == 0)
		rc = sse_keys_list(be, keys);
	else if (strcmp(verb, "rotate") == 0)
		rc = sse_keys_rotate(be, path);
	else
		rc = sse_keys_retire(be, path, o.positional[0]);
out:
	backend_close(be);
	keyring_free(keys);
	return rc;
}

static int cmd_lifecycle(int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";
	char key_path[STRATA_MAX_PATH], why[256];
	struct keyring *keys = NULL;
	struct lc_pass_stats st;
	struct lc_pass_opts lo;
	struct backend *be = NULL;
	struct config cfg;
	struct opts o;
	s3err_t err;

	if (parse_opts(argc > 0 ? argc - 1 : 0, argv + (argc > 0), &o) != 0)
		return 2;
	if (o.help || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(usage_lifecycle, stdout);
		return 0;
	}
	if (strcmp(verb, "run") != 0 || o.npositional) {
		fputs(usage_lifecycle, stderr);
		return 2;
	}
	if (load_config(&o, &cfg) != 0)
		return 2;
	if (data_dir_busy(cfg.data_dir)) {
		fprintf(stderr,
			"strata lifecycle: the data directory %s is in use by a running server; it "
			"applies the rules itself every lifecycle_interval seconds\n",
			cfg.data_dir);
		return 1;
	}
	/* With the master keys a transition also checks the SHA-256 of SSE-S3 objects. */
	if (sse_keys_path(&cfg, key_path, sizeof(key_path)) == 0 &&
	    keyring_load(key_path, &keys, why, sizeof(why)) != S3E_OK)
		fprintf(stderr, "strata lifecycle: %s; transitions check frames only\n", why);
	if (server_open_home(&cfg, keys, &be) != S3E_OK) {
		keyring_free(keys);
		fprintf(stderr, "strata lifecycle: cannot open the data directory %s\n",
			cfg.data_dir);
		return 1;
	}
	lo = (struct lc_pass_opts){(int64_t)cfg.lifecycle_day_seconds * 1000, 0, o.bucket,
				   cfg.lifecycle_rate, NULL};
	err = lc_pass(be, &lo, &st);
	if (!err)
		err = lc_restore_pass(be, &lo, &st);
	backend_close(be);
	keyring_free(keys);
	if (err) {
		fprintf(stderr, "strata lifecycle: the pass failed: %s\n", s3err_code(err));
		return 1;
	}
	printf("lifecycle pass: %llu buckets with rules, %llu objects, %llu expired, %llu moved "
	       "(%llu bytes), %llu uploads aborted, %llu restored, %llu restores expired, %llu "
	       "failures\n",
	       (unsigned long long)st.buckets, (unsigned long long)st.objects,
	       (unsigned long long)st.expired, (unsigned long long)st.transitioned,
	       (unsigned long long)st.bytes_moved, (unsigned long long)st.aborted,
	       (unsigned long long)st.restored, (unsigned long long)st.restore_expired,
	       (unsigned long long)st.failures);
	return st.failures ? 1 : 0;
}

/* strata replicate resync: queues the bucket's objects again; closes be. */
static int replicate_resync(struct backend *be, const struct config *cfg, const char *bucket)
{
	uint64_t objects = 0, queued = 0;
	const char *msg = NULL;
	s3err_t err = repl_resync_bucket(be, cfg, bucket, NULL, &objects, &queued, &msg);

	backend_close(be);
	if (err) {
		fprintf(stderr,
			"strata replicate: resync of %s failed after %llu objects: %s%s%s\n",
			bucket, (unsigned long long)objects,
			err == S3E_NoSuchBucket ? "no such bucket" : s3err_code(err),
			msg ? ": " : "", msg ? msg : "");
		return 1;
	}
	printf("resync of %s: %llu objects, %llu queued for their sites (shipped once the "
	       "server runs)\n",
	       bucket, (unsigned long long)objects, (unsigned long long)queued);
	return 0;
}

/*
 * strata replicate while a server holds the data directory: the same through
 * its admin listener (GET /replication/status, POST /replication/resync).
 */
static int replicate_via_admin(const struct config *cfg, const char *verb, const char *bucket)
{
	char path[64 + STRATA_BUCKET_NAME_MAX], body[1024];
	long status = 0;
	bool resync = strcmp(verb, "resync") == 0;

	if (!cfg->admin_port) {
		fprintf(stderr,
			"strata replicate: the data directory %s is in use by a running server, "
			"and it has no admin listener to ask (set admin_listen)\n",
			cfg->data_dir);
		return 1;
	}
	/* Bucket names are [a-z0-9.-]: nothing to escape in a query. */
	snprintf(path, sizeof(path), "/replication/%s%s%s", resync ? "resync" : "status",
		 bucket ? "?bucket=" : "", bucket ? bucket : "");
	if (admin_call(cfg, resync ? "POST" : "GET", path, body, sizeof(body), &status) != 0) {
		fprintf(stderr, "strata replicate: the running server's admin listener: %s\n",
			body);
		return 1;
	}
	fputs(body, status / 100 == 2 ? stdout : stderr);
	return status / 100 == 2 ? 0 : 1;
}

static int cmd_replicate(int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";
	struct backend *be = NULL;
	struct repl_stats st;
	struct config cfg;
	struct opts o;
	char text[512];
	s3err_t err;

	if (parse_opts(argc > 0 ? argc - 1 : 0, argv + (argc > 0), &o) != 0)
		return 2;
	if (o.help || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(usage_replicate, stdout);
		return 0;
	}
	if ((strcmp(verb, "status") != 0 && strcmp(verb, "resync") != 0) || o.npositional ||
	    (strcmp(verb, "resync") == 0 && !o.bucket)) {
		fputs(usage_replicate, stderr);
		return 2;
	}
	if (load_config(&o, &cfg) != 0)
		return 2;
	if (!cfg.backend_s3 && data_dir_busy(cfg.data_dir))
		return replicate_via_admin(&cfg, verb, o.bucket);
	if (server_open_home(&cfg, NULL, &be) != S3E_OK) {
		fprintf(stderr, "strata replicate: cannot open the data directory %s\n",
			cfg.data_dir);
		return 1;
	}
	if (strcmp(verb, "resync") == 0)
		return replicate_resync(be, &cfg, o.bucket);
	err = backend_repl_stats(be, o.bucket, &st);
	backend_close(be);
	if (err == S3E_NoSuchBucket) {
		fprintf(stderr, "strata replicate: no bucket %s\n", o.bucket ? o.bucket : "");
		return 1;
	}
	if (err) {
		fprintf(stderr, "strata replicate: cannot read the queue: %s\n", s3err_code(err));
		return 1;
	}
	repl_status_text(&st, o.bucket, httptime_now_ms(), text, sizeof(text));
	fputs(text, stdout);
	return 0;
}

/* strata audit verify FILE...: one chain across the files, in the order given. */
static int cmd_audit(int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";
	struct audit_chain c;
	uint64_t line = 0;
	char why[256];
	int i;

	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(usage_audit, stdout);
		return 0;
	}
	if (strcmp(verb, "verify") != 0 || argc < 2) {
		fputs(usage_audit, stderr);
		return 2;
	}
	audit_chain_init(&c);
	for (i = 1; i < argc; i++) {
		switch (audit_verify_file(&c, argv[i], &line, why, sizeof(why))) {
		case AUDIT_OK:
			break;
		case AUDIT_BAD:
			printf("%s:%llu: %s\n", argv[i], (unsigned long long)line, why);
			return 1;
		case AUDIT_IO:
			fprintf(stderr, "strata audit: %s: %s\n", argv[i], why);
			return 2;
		}
	}
	printf("ok: %llu lines, last hash %s\n", (unsigned long long)c.lines,
	       c.hash[0] ? c.hash : "(none)");
	if (c.lines)
		printf(
		    "chain: seq %llu to %llu, %s\n", (unsigned long long)c.first_seq,
		    (unsigned long long)c.seq,
		    strspn(c.first_prev, "0") == AUDIT_HASH_HEX
			? "from its start"
			: "continuing an earlier file (its first prev is that file's last hash)");
	return 0;
}

int cli_main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "--help";

	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("strata %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_main, argc > 1 ? stdout : stderr);
		return argc > 1 ? 0 : 2;
	}
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 2, argv + 2);
	if (strcmp(cmd, "user") == 0)
		return cmd_user(argc - 2, argv + 2);
	if (strcmp(cmd, "presign") == 0)
		return cmd_presign(argc - 2, argv + 2);
	if (strcmp(cmd, "scrub") == 0)
		return cmd_scrub(argc - 2, argv + 2);
	if (strcmp(cmd, "keys") == 0)
		return cmd_keys(argc - 2, argv + 2);
	if (strcmp(cmd, "lifecycle") == 0)
		return cmd_lifecycle(argc - 2, argv + 2);
	if (strcmp(cmd, "replicate") == 0)
		return cmd_replicate(argc - 2, argv + 2);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(argc - 2, argv + 2);
	fprintf(stderr, "strata: unknown command '%s'\n\n%s", cmd, usage_main);
	return 2;
}
