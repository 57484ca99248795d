/* admin: /metrics and health on their own listener (see admin.h). */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "../common/buf.h"
#include "../common/log.h"
#include "../common/metrics.h"
#include "server.h"

struct admin {
	const struct config *cfg;
	struct backend *be;
	struct MHD_Daemon *daemon;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct admin *a = cls;
	char why[STRATA_MAX_PATH + 128], line[sizeof(why) + 16];

	(void)version;
	(void)data;
	if (!*con_cls) { /* the first call only has the head; answer on the second */
		*con_cls = a;
		return MHD_YES;
	}
	if (*data_size) { /* a body is never wanted here: drop it */
		*data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_text(conn, 405, "only GET and HEAD\n");
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(conn);
	if (strcmp(url, "/health/live") == 0)
		return reply_text(conn, 200, "live\n");
	if (strcmp(url, "/health/ready") == 0) {
		if (admin_ready(a->cfg, a->be, why, sizeof(why)) == 0)
			return reply_text(conn, 200, "ready\n");
		log_warn("admin", "not ready: %s", why);
		snprintf(line, sizeof(line), "not ready: %s\n", why);
		return reply_text(conn, 503, line);
	}
	return reply_text(conn, 404, "not found: try /metrics, /health/live, /health/ready\n");
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
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	a->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR,
				     (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
				     ADMIN_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				     ADMIN_TIMEOUT_SECONDS, MHD_OPTION_END);
	if (!a->daemon) {
		log_error("admin", "cannot listen on %s:%u (in use, or not permitted)",
			  cfg->admin_host, (unsigned)cfg->admin_port);
		free(a);
		return -1;
	}
	log_info("admin", "metrics and health on http://%s:%u", cfg->admin_host,
		 (unsigned)cfg->admin_port);
	*out = a;
	return 0;
}

void admin_stop(struct admin *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->daemon);
	free(a);
}
