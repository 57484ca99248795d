/* admin: /metrics, health and replication on their own listener (see admin.h). */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "../common/buf.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/metrics.h"
#include "../common/names.h"
#include "../common/strutil.h"
#include "console.h"
#include "dashboard.h"
#include "replication.h"
#include "server.h"

/* A resync the listener started (one at a time: it walks a whole bucket). */
struct resync {
	atomic_bool running; /* set by the request that starts it, cleared by the thread */
	bool joinable;	     /* a thread was started and not joined yet (request thread only) */
	volatile bool stop;  /* admin_stop: end between batches */
	pthread_t thread;
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
};

struct admin {
	const struct config *cfg;
	struct backend *be;
	struct MHD_Daemon *daemon;
	struct resync resync;
	struct console *console; /* NULL: console = off */
	struct dashboard *dash;	 /* the strata_stored_* gauges and the console's history */
	atomic_bool stopping;	 /* admin_set_stopping: /health/ready answers 503 */
};

/* The admin listener serves a few scrapers, not clients: a handful of connections. */
#define ADMIN_MAX_CONNECTIONS 16u
#define ADMIN_TIMEOUT_SECONDS 10u

static bool first_bucket(void *ctx, const struct bucket_info *b)
{
	(void)ctx;
	(void)b;
	return false; /* one answer proves the backend serves */
}

/*
 * Creating and removing a file is what every write needs first: a read-only
 * remount, a full disk's inode table or lost permissions all fail here.
 */
int admin_ready(const struct config *cfg, struct backend *be, char *why, size_t whylen)
{
	char path[STRATA_MAX_PATH];
	s3err_t err;
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/.ready-probe-%ld", cfg->data_dir, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(why, whylen, "data directory path too long");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, whylen, "data directory %s is not writable: %s", cfg->data_dir,
			 strerror(errno));
		return -1;
	}
	close(fd);
	unlink(path);
	err = backend_bucket_list(be, first_bucket, NULL);
	if (err != S3E_OK) {
		snprintf(why, whylen, "home backend does not answer: %s", s3err_code(err));
		return -1;
	}
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	char *copy = strdup(text);

	return copy ? reply(conn, status, "text/plain; charset=utf-8", copy, strlen(copy)) : MHD_NO;
}

static enum MHD_Result serve_metrics(struct MHD_Connection *conn)
{
	struct buf b;
	size_t len;

	buf_init(&b, METRICS_MAX_BODY, S3E_InternalError);
	if (metrics_render(&b) != S3E_OK) {
		buf_free(&b);
		return reply_text(conn, 500, "metrics exposition failed\n");
	}
	len = b.len;
	return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", buf_take(&b), len);
}

static enum MHD_Result serve_repl_status(struct admin *a, struct MHD_Connection *conn)
{
	const char *bucket = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "bucket");
	struct repl_stats st;
	char text[512];
	s3err_t err = backend_repl_stats(a->be, bucket, &st);

	if (err == S3E_NoSuchBucket) {
		snprintf(text, sizeof(text), "no bucket %.64s\n", bucket ? bucket : "");
		return reply_text(conn, 404, text);
	}
	if (err) {
		snprintf(text, sizeof(text), "cannot read the replication queue: %s\n",
			 s3err_code(err));
		return reply_text(conn, err == S3E_NotImplemented ? 501 : 500, text);
	}
	repl_status_text(&st, bucket, httptime_now_ms(), text, sizeof(text));
	return reply_text(conn, 200, text);
}

static void *resync_main(void *arg)
{
	struct admin *a = arg;
	uint64_t objects = 0, queued = 0;
	const char *msg = NULL;
	s3err_t err = repl_resync_bucket(a->be, a->cfg, a->resync.bucket, &a->resync.stop, &objects,
					 &queued, &msg);

	if (err)
		log_error("replication", "resync of %s failed after %llu objects: %s%s%s",
			  a->resync.bucket, (unsigned long long)objects, s3err_code(err),
			  msg ? ": " : "", msg ? msg : "");
	else
		log_info("replication", "resync of %s%s: %llu objects, %llu queued for their sites",
			 a->resync.bucket, a->resync.stop ? " stopped" : "",
			 (unsigned long long)objects, (unsigned long long)queued);
	atomic_store(&a->resync.running, false);
	return NULL;
}

/* POST /replication/resync?bucket=B: one resync at a time, in a thread of its own. */
static enum MHD_Result start_resync(struct admin *a, struct MHD_Connection *conn)
{
	const char *bucket = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "bucket");
	struct bucket_info bi;
	char text[256];
	bool idle = false;
	s3err_t err;

	if (!bucket || !names_bucket_valid(bucket))
		return reply_text(conn, 400, "name the bucket: /replication/resync?bucket=B\n");
	err = backend_bucket_get(a->be, bucket, &bi);
	if (err) {
		snprintf(text, sizeof(text), "%s %s\n",
			 err == S3E_NoSuchBucket ? "no bucket" : s3err_code(err), bucket);
		return reply_text(conn, err == S3E_NoSuchBucket ? 404 : 500, text);
	}
	if (!backend_can_replicate(a->be))
		return reply_text(conn, 501, "this backend does not replicate\n");
	if (!atomic_compare_exchange_strong(&a->resync.running, &idle, true)) {
		snprintf(text, sizeof(text), "a resync of %s is running; try again when it ends\n",
			 a->resync.bucket);
		return reply_text(conn, 409, text);
	}
	/* The listener has one thread: requests never race here. Reap the last resync. */
	if (a->resync.joinable)
		pthread_join(a->resync.thread, NULL);
	a->resync.joinable = false;
	str_copy(a->resync.bucket, sizeof(a->resync.bucket), bucket);
	if (pthread_create(&a->resync.thread, NULL, resync_main, a) != 0) {
		atomic_store(&a->resync.running, false);
		return reply_text(conn, 500, "cannot start the resync thread\n");
	}
	a->resync.joinable = true;
	snprintf(text, sizeof(text),
		 "resync of %s started: it queues the bucket's objects for their sites; its "
		 "result is logged\n",
		 bucket);
	return reply_text(conn, 202, text);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct admin *a = cls;
	char why[STRATA_MAX_PATH + 128], line[sizeof(why) + 16];

	(void)version;
	/* The console keeps its own state in *con_cls (freed by on_completed). */
	if (console_owns(a->console, url))
		return console_request(a->console, conn, url, method, data, data_size, con_cls);
	if (!*con_cls) { /* the first call only has the head; answer on the second */
		*con_cls = a;
		return MHD_YES;
	}
	if (*data_size) { /* a body is never wanted here: drop it */
		*data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/replication/resync") == 0)
		return strcmp(method, "POST") == 0 ? start_resync(a, conn)
						   : reply_text(conn, 405, "only POST\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_text(conn, 405, "only GET and HEAD\n");
	if (strcmp(url, "/replication/status") == 0)
		return serve_repl_status(a, conn);
	if (strcmp(url, "/metrics") == 0) {
		dashboard_poke(a->dash); /* fresher stored_* gauges for the next scrape */
		return serve_metrics(conn);
	}
	if (strcmp(url, "/health/live") == 0)
		return reply_text(conn, 200, "live\n");
	if (strcmp(url, "/health/ready") == 0) {
		if (atomic_load(&a->stopping))
			return reply_text(conn, 503, "not ready: shutting down\n");
		if (admin_ready(a->cfg, a->be, why, sizeof(why)) == 0)
			return reply_text(conn, 200, "ready\n");
		log_warn("admin", "not ready: %s", why);
		snprintf(line, sizeof(line), "not ready: %s\n", why);
		return reply_text(conn, 503, line);
	}
	return reply_text(conn, 404,
			  "not found: try /metrics, /health/live, /health/ready, "
			  "/replication/status, POST /replication/resync?bucket=B, /console/\n");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct admin *a = cls;

	(void)conn;
	(void)why;
	if (*con_cls && *con_cls != a) /* not the marker: a console request's state */
		console_request_done(*con_cls);
	*con_cls = NULL;
}

int admin_start(const struct config *cfg, struct backend *be, struct admin **out)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct admin *a;

	*out = NULL;
	if (cfg->admin_port == 0)
		return 0;
	if (server_resolve("admin_listen", cfg->admin_host, cfg->admin_port, &ss, &sslen) != 0)
		return -1;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	a->cfg = cfg;
	a->be = be;
	if (dashboard_start(be, &a->dash) != 0) {
		free(a);
		return -1;
	}
	if (console_new(cfg, be, a->dash, &a->console) != 0) {
		log_error("admin", "cannot start the console");
		dashboard_stop(a->dash);
		free(a);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	a->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, ADMIN_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
	    ADMIN_TIMEOUT_SECONDS, MHD_OPTION_NOTIFY_COMPLETED, on_completed, a, MHD_OPTION_END);
	if (!a->daemon) {
		log_error("admin", "cannot listen on %s:%u (in use, or not permitted)",
			  cfg->admin_host, (unsigned)cfg->admin_port);
		console_free(a->console);
		dashboard_stop(a->dash);
		free(a);
		return -1;
	}
	log_info("admin", "metrics and health%s on http://%s:%u",
		 a->console ? ", console at /console/" : "", cfg->admin_host,
		 (unsigned)cfg->admin_port);
	*out = a;
	return 0;
}

void admin_set_stopping(struct admin *a)
{
	if (a)
		atomic_store(&a->stopping, true);
}

void admin_stop(struct admin *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->daemon); /* no request runs after this: joinable is ours */
	a->resync.stop = true;
	if (a->resync.joinable)
		pthread_join(a->resync.thread, NULL);
	console_free(a->console);
	dashboard_stop(a->dash);
	free(a);
}

/* ---- the CLI's side ---- */

struct answer {
	char *out;
	size_t cap, len;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct answer *ans = arg;
	size_t len = size * n, room = ans->cap - 1 - ans->len;

	memcpy(ans->out + ans->len, data, len < room ? len : room);
	ans->len += len < room ? len : room;
	ans->out[ans->len] = '\0';
	return len;
}

int admin_call(const struct config *cfg, const char *method, const char *path, char *out,
	       size_t cap, long *status)
{
	const char *host = cfg->admin_host;
	struct answer ans = {out, cap, 0};
	char url[512];
	CURL *e;
	CURLcode cc;

	*status = 0;
	out[0] = '\0';
	/* A listener on every address answers on loopback. */
	if (!host[0] || strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	snprintf(url, sizeof(url), strchr(host, ':') ? "http://[%s]:%u%s" : "http://%s:%u%s", host,
		 (unsigned)cfg->admin_port, path);
	if (!(e = curl_easy_init())) {
		snprintf(out, cap, "out of memory");
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	cc = curl_easy_perform(e);
	if (cc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	else
		snprintf(out, cap, "%s: %s", url, curl_easy_strerror(cc));
	curl_easy_cleanup(e);
	return cc == CURLE_OK ? 0 : -1;
}
