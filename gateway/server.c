/* server: libmicrohttpd callbacks -> the request lifecycle (see server.h). */
#include "server.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "../backends/posix.h"
#include "../backends/s3.h"
#include "../common/datakeys.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/metrics.h"
#include "../common/sigkeys.h"
#include "../common/strutil.h"
#include "../lifecycle/engine.h"
#include "../lifecycle/replicator.h"
#include "../lifecycle/scrubber.h"
#include "admin.h"
#include "auth.h"
#include "body.h"
#include "conntrack.h"
#include "replication.h"
#include "reqlog.h"
#include "request.h"
#include "response.h"
#include "routes.h"
#include "sse_keys.h"
#include "tls.h"

/* Per-request arena cap: decoded URI, query and key copies, messages. */
#define REQUEST_ARENA_CAP (4u * STRATA_MAX_URI_LEN + 65536u)

/*
 * libmicrohttpd's per-connection pool holds the request line, the headers
 * and the read buffer: max_header_size (checked exactly by req_parse) plus
 * the longest request target plus this for the buffer.
 */
#define CONNECTION_READ_BUFFER 16384u

static atomic_uint_fast64_t request_counter;

/*
 * What a client connection keeps between its requests (libmicrohttpd's
 * socket context, from NOTIFY_STARTED to NOTIFY_CLOSED).
 *
 * spare is the previous request's object with its arena's first block,
 * emptied, which the connection's next request reuses: a keep-alive client
 * then costs no request-sized allocation per request (the 4 KiB calloc and
 * the arena's 8 KiB block were each large enough to make glibc consolidate
 * its free lists: 2.5% of a small GET's CPU). One connection's requests
 * run one after another on its one thread (thread per connection), so
 * spare needs no lock.
 */
struct server_conn {
	struct conntrack_conn *track; /* its entry in srv->conns; may be NULL */
	struct request *spare;	      /* NULL, or an emptied request (request_recycle) */
};

static struct server_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* A zeroed request, the connection's spare if it has one. NULL when out of memory. */
static struct request *request_take(struct server_conn *sc)
{
	struct request *r;
	struct arena arena;

	if (!sc || !sc->spare) {
		r = calloc(1, sizeof(*r));
		if (r)
			arena_init(&r->arena, REQUEST_ARENA_CAP);
		return r;
	}
	r = sc->spare;
	sc->spare = NULL;
	arena = r->arena; /* already rewound */
	memset(r, 0, sizeof(*r));
	r->arena = arena;
	return r;
}

/* Frees r, whose parts are already released, or keeps it as sc's spare. */
static void request_recycle(struct server_conn *sc, struct request *r)
{
	if (!sc || sc->spare) {
		arena_free(&r->arena);
		free(r);
		return;
	}
	arena_rewind(&r->arena);
	sc->spare = r;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void make_request_id(char out[17])
{
	uint64_t n = atomic_fetch_add(&request_counter, 0x9E3779B97F4A7C15ull);
	static const char hex[] = "0123456789ABCDEF";
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = hex[n & 15];
		n >>= 4;
	}
	out[16] = '\0';
}

/*
 * Called by libmicrohttpd with the raw request target before it parses it:
 * the only place the undecoded path and query are available, which SigV4 and
 * SigV2 need. The request object is born here.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	const struct server_listener *l = cls;
	struct server_conn *sc = conn_of(conn);
	struct request *r = request_take(sc);
	size_t len = strlen(uri);

	if (!r)
		return NULL;
	r->srv = l->srv;
	r->conn = conn;
	r->tls = l->tls;
	r->conn_track = sc ? sc->track : NULL;
	r->content_length = UINT64_MAX;
	r->start_ms = httptime_now_ms();
	r->start_mono_us = mono_us();
	buf_init(&r->xml, 0, S3E_MaxMessageLengthExceeded);
	make_request_id(r->id);
	if (len > STRATA_MAX_URI_LEN)
		req_fail(r, S3E_InvalidURI, "The request URI is too long.");
	else if (!(r->raw_uri = arena_strndup(&r->arena, uri, len)))
		req_fail(r, S3E_InternalError, NULL);
	return r;
}

/* Keeps libmicrohttpd from decoding anything: Strata decodes the raw target itself. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static s3err_t xml_sink(void *ctx, const uint8_t *data, size_t len)
{
	struct request *r = ctx;

	return buf_add(&r->xml, data, len);
}

static s3err_t parse_content_length(struct request *r)
{
	const char *cl = req_header(r, "Content-Length");
	const char *te = req_header(r, "Transfer-Encoding");

	if (te && !str_ieq(te, "chunked"))
		return req_fail(r, S3E_NotImplemented,
				"Only chunked Transfer-Encoding is supported.");
	if (cl && !parse_u64_str(cl, 0, UINT64_MAX - 1, &r->content_length))
		return req_fail(r, S3E_InvalidArgument, "Content-Length is not a valid number.");
	return S3E_OK;
}

/*
 * A replication user (config replication_users) is another site's
 * replicator: like AWS's replication role it may read, write and delete the
 * objects of any bucket here, never a bucket's configuration, so that two
 * sites can replicate to each other's buckets whoever owns them.
 */
static bool replicator_object_access(const struct request *r)
{
	const struct config *cfg = r->srv->cfg;
	unsigned i;

	if (!r->key)
		return false;
	for (i = 0; i < cfg->nreplication_users; i++)
		if (strcmp(cfg->replication_users[i], r->auth.user.name) == 0)
			return true;
	return false;
}

/* The bucket must exist and belong to the caller; answered before any body byte. */
static s3err_t check_bucket_owner(struct request *r)
{
	s3err_t err = backend_bucket_get(r->srv->be, r->bucket, &r->bucket_info);

	if (err)
		return req_fail(r, err, NULL);
	if (strcmp(r->bucket_info.owner, r->auth.user.name) != 0 && !replicator_object_access(r))
		return req_fail(r, S3E_AccessDenied, NULL);
	return S3E_OK;
}

static bool request_has_body(const struct request *r);

/* Everything that can be decided from the request head. */
static s3err_t start(struct request *r)
{
	const struct route *rt;
	s3err_t err;

	if (r->err)
		return r->err;
	if ((err = req_parse(r)) || (err = parse_content_length(r)) ||
	    (err = routes_match(r, &rt)) ||
	    (err = (rt->flags & ROUTE_ANONYMOUS) ? S3E_OK : auth_check(r)))
		return req_fail(r, err, NULL);
	r->route = rt;
	/* Unauthenticated (the CORS preflight): never read a byte of a body (limits.h). */
	if ((rt->flags & ROUTE_ANONYMOUS) && request_has_body(r))
		return req_fail(r, S3E_UnexpectedContent, NULL);
	if ((rt->flags & ROUTE_OWNED) && (err = check_bucket_owner(r)))
		return err;
	switch (rt->body) {
	case BODY_NONE:
		break;
	case BODY_XML:
		buf_init(&r->xml, rt->body_cap, S3E_MaxMessageLengthExceeded);
		err = body_new(r, rt->body_cap, xml_sink, r, &r->body);
		break;
	case BODY_STREAM:
		err = rt->begin(r);
		break;
	}
	return err ? req_fail(r, err, NULL) : S3E_OK;
}

static s3err_t finish(struct request *r)
{
	struct digests d;
	uint64_t size;
	s3err_t err;

	if (r->err)
		return r->err;
	if (r->route->body == BODY_XML) {
		err = body_finish(r->body, &d, &size);
		if (err)
			return req_fail(r, err, NULL);
	}
	err = r->route->run(r);
	return err ? req_fail(r, err, NULL) : S3E_OK;
}

static bool request_has_body(const struct request *r)
{
	return (r->content_length != UINT64_MAX && r->content_length > 0) ||
	       req_header(r, "Transfer-Encoding") != NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct request *r = *con_cls;

	(void)cls;
	(void)url;
	(void)version;
	(void)conn;
	if (!r)
		return MHD_NO;
	if (!r->started) {
		r->started = true;
		r->method = method;
		/* The head is in: from here the request counts for a graceful stop (C3). */
		conntrack_head_done(r->srv->conns, r->conn_track);
		r->in_flight = true;
		/*
		 * An error found in the head of a request with a body is answered
		 * at once, so the body is never read (libmicrohttpd then closes
		 * the connection). Without a body it waits for the final call,
		 * which keeps the connection alive (a HEAD 404 is routine).
		 */
		if (start(r) && request_has_body(r))
			return resp_queue(r);
		return MHD_YES;
	}
	if (*upload_data_size) {
		metrics_add(METRIC_BYTES_RECEIVED, 0, *upload_data_size);
		r->bytes_in += *upload_data_size;
		/*
		 * After an error mid-body the rest is read and dropped so the
		 * client gets the S3 error instead of a reset connection.
		 */
		if (!r->err && r->body) {
			s3err_t err =
			    body_feed(r->body, (const uint8_t *)upload_data, *upload_data_size);
			if (err)
				req_fail(r, err, NULL);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	finish(r);
	return resp_queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;

	(void)cls;
	if (!r)
		return;
	metrics_request(r->route ? metrics_operation_index(r->route->name) : -1, r->status,
			mono_us() - r->start_mono_us);
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->route)
		log_info("gateway", "request %s (%s) ended early (code %d); nothing committed",
			 r->id, r->route->name, (int)toe);
	/* Access and audit lines, while the request and its arena are still whole. */
	reqlog_request_done(r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	/* An uncommitted writer is aborted here: a vanished client leaves nothing. */
	if (r->op_state_free)
		r->op_state_free(r);
	if (r->in_flight)
		conntrack_request_done(r->srv->conns, r->conn_track);
	body_free(r->body);
	buf_free(&r->xml);
	if (r->resp)
		MHD_destroy_response(r->resp);
	request_recycle(conn_of(conn), r);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	const struct server_listener *l = cls;
	const union MHD_ConnectionInfo *ci;
	struct server_conn *sc;

	metrics_gauge_add(METRIC_CONNECTIONS_OPEN, 0,
			  toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Out of memory: the connection is served, just not policed or recycled. */
		sc = calloc(1, sizeof(*sc));
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (sc && ci)
			sc->track = conntrack_opened(l->srv->conns, ci->connect_fd);
		*socket_context = sc;
	} else {
		/* libmicrohttpd ends a connection's last request before this (its completion). */
		sc = *socket_context;
		*socket_context = NULL;
		if (sc) {
			conntrack_closed(l->srv->conns, sc->track);
			if (sc->spare) {
				arena_free(&sc->spare->arena);
				free(sc->spare);
			}
			free(sc);
		}
	}
	/* The certificate set its handshake used may now be freed (T1 in tls.h). */
	if (l->tls && toe == MHD_CONNECTION_NOTIFY_CLOSED)
		tls_connection_closed(l->srv->tls, conn);
}

/* The route table's operations become the request metrics' label values. */
static void register_operations(void)
{
	const char *names[METRICS_MAX_OPERATIONS];

	metrics_register_operations(names, routes_operation_names(names, METRICS_MAX_OPERATIONS));
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("http", "%s", line);
}

int server_resolve(const char *what, const char *host, uint16_t port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = {0}, *res = NULL;
	char service[8];
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	rc = getaddrinfo(host[0] ? host : NULL, service, &hints, &res);
	if (rc != 0 || !res || res->ai_addrlen > sizeof(*ss)) {
		log_error("server", "cannot resolve the %s address %s: %s", what, host,
			  rc ? gai_strerror(rc) : "no usable address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void server_posix_opts(const struct config *cfg, const struct keyring *keys, struct posix_opts *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->plain_writes = !cfg->integrity;
	out->keys = keys;
	for (i = 0; i < CONFIG_TIER_CLASSES && out->ntiers < POSIX_MAX_TIERS; i++) {
		if (!cfg->tier_dirs[i][0])
			continue;
		out->tiers[out->ntiers].storage_class = config_tier_class(i);
		out->tiers[out->ntiers].dir = cfg->tier_dirs[i];
		out->ntiers++;
	}
	/* s3:// tiers reach their remote with the s3_* settings (X1 in posix_remote.c). */
	out->remote.endpoint = cfg->s3_endpoint;
	out->remote.region = cfg->s3_region;
	out->remote.access_key = cfg->s3_access_key;
	out->remote.secret_key = cfg->s3_secret_key;
	out->remote.ca_file = cfg->s3_ca_file;
	out->remote.path_style = cfg->s3_path_style;
}

static s3err_t open_s3_home(const struct config *cfg, struct backend **out)
{
	struct s3_opts so = {cfg->s3_endpoint,	    cfg->s3_region,	  cfg->s3_access_key,
			     cfg->s3_secret_key,    cfg->s3_ca_file,	  cfg->s3_path_style,
			     cfg->s3_bucket_prefix, cfg->s3_system_bucket};
	unsigned i;

	if (!cfg->s3_endpoint[0] || !cfg->s3_access_key[0] || !cfg->s3_secret_key[0]) {
		log_error("server", "backend = s3 needs s3_endpoint, s3_access_key and "
				    "s3_secret_key");
		return S3E_InvalidArgument;
	}
	for (i = 0; i < CONFIG_TIER_CLASSES; i++)
		if (cfg->tier_dirs[i][0]) {
			log_error("server",
				  "tier_%s: storage tiers are not supported with "
				  "backend = s3 yet",
				  config_tier_class(i));
			return S3E_NotImplemented;
		}
	return s3_open(&so, out);
}

s3err_t server_open_home(const struct config *cfg, const struct keyring *keys, struct backend **out)
{
	struct posix_opts po;

	if (cfg->backend_s3)
		return open_s3_home(cfg, out);
	server_posix_opts(cfg, keys, &po);
	return posix_open_opts(cfg->data_dir, &po, out);
}

/*
 * Starts l's daemon on host:port, HTTPS with srv->tls's credentials when
 * tls. Every listener shares the request callbacks; only on_uri and
 * on_connection see which one a connection came to. Logs why not.
 */
static int listener_start(struct server *srv, struct server_listener *l, const char *what,
			  const char *host, uint16_t port, bool tls)
{
	const struct config *cfg = srv->cfg;
	struct MHD_OptionItem tls_opts[4] = {{MHD_OPTION_END, 0, NULL}};
	struct sockaddr_storage ss;
	socklen_t sslen;
	/* MHD_USE_ITC: MHD_quiesce_daemon (graceful stop) needs it. */
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG | MHD_USE_POLL | MHD_USE_ITC;

	l->srv = srv;
	l->tls = tls;
	if (server_resolve(what, host, port, &ss, &sslen) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls) {
		flags |= MHD_USE_TLS;
		tls_mhd_options(srv->tls, tls_opts);
	}
	l->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, l,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, l, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    cfg->max_connections_per_client, MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)cfg->max_header_size + STRATA_MAX_URI_LEN + CONNECTION_READ_BUFFER,
	    MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (!l->daemon) {
		log_error("server", "cannot %s on %s:%u (in use, or not permitted%s)", what, host,
			  (unsigned)port, tls ? ", or TLS could not start" : "");
		return -1;
	}
	log_info("server", "serving S3 on %s://%s:%u with %s %s", tls ? "https" : "http", host,
		 (unsigned)port, cfg->backend_s3 ? "buckets on" : "data in",
		 cfg->backend_s3 ? cfg->s3_endpoint : cfg->data_dir);
	return 0;
}

/*
 * SIGHUP: the TLS certificate and key are read again for new connections
 * (tls_reload; a refused pair keeps the current one), and the access and
 * audit logs are reopened (logrotate renamed them). Serving goes on.
 */
static void on_sighup(struct server *srv)
{
	reqlog_reopen(&srv->logs);
	if (srv->tls)
		tls_reload(srv->tls);
	else
		log_info("server", "SIGHUP: no TLS certificate to reload");
}

/*
 * Every connection holds a descriptor, and a typical soft limit (1024) is
 * below max_connections' default: the soft limit is raised to the hard one,
 * and a warning says when even that may be short (accept then fails, which
 * libmicrohttpd logs, and clients see refused connections).
 */
static void raise_open_files_limit(const struct config *cfg)
{
	unsigned listeners = cfg->http_port ? 2 : 1;
	/* A connection, a data file or backend socket per request, and a reserve. */
	rlim_t want = (rlim_t)cfg->max_connections * listeners * 2 + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		log_warn("server",
			 "the open files limit (%llu) is below the %llu that max_connections = "
			 "%u may need: raise it (LimitNOFILE=, ulimit -n)",
			 (unsigned long long)rl.rlim_cur, (unsigned long long)want,
			 cfg->max_connections);
}

/*
 * The main thread's loop: every signal comes here (the other threads block
 * them). Once a second it cuts connections late with their request head
 * (conntrack.h); SIGHUP reloads; SIGINT or SIGTERM ends it, returning the
 * signal.
 */
static int serve_until_stopped(struct server *srv, const sigset_t *set)
{
	const struct timespec tick = {1, 0};
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig < 0) { /* the tick (EAGAIN), or EINTR */
			conntrack_sweep(srv->conns, conntrack_now_ms());
			continue;
		}
		if (sig != SIGHUP)
			return sig;
		on_sighup(srv);
	}
}

/*
 * A graceful stop. The listening sockets close first, so new connections are
 * refused at once (a load balancer fails over) and /health/ready says 503.
 * The requests in flight get shutdown_timeout seconds to finish, each
 * response saying Connection: close. Whatever still runs after that is cut
 * by MHD_stop_daemon (the caller's next step): an upload cut that way
 * commits nothing, as with a client that vanished (on_completed aborts its
 * writer), so no object is ever half-written.
 */
static void drain(struct server *srv, struct admin *admin)
{
	uint64_t deadline = conntrack_now_ms() + (uint64_t)srv->cfg->shutdown_timeout * 1000u;
	const struct timespec pause = {0, 50 * 1000 * 1000};
	uint64_t left;
	MHD_socket fd;
	unsigned i;

	atomic_store(&srv->stopping, true);
	admin_set_stopping(admin);
	for (i = 0; i < sizeof(srv->listeners) / sizeof(srv->listeners[0]); i++) {
		if (!srv->listeners[i].daemon)
			continue;
		fd = MHD_quiesce_daemon(srv->listeners[i].daemon);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	while ((left = conntrack_in_flight(srv->conns)) > 0 && conntrack_now_ms() < deadline) {
		nanosleep(&pause, NULL);
		conntrack_sweep(srv->conns, conntrack_now_ms());
	}
	if (left)
		log_warn("server",
			 "%llu request(s) still running after shutdown_timeout (%u s): aborting "
			 "them (nothing they wrote is committed)",
			 (unsigned long long)left, srv->cfg->shutdown_timeout);
	else
		log_info("server", "every request in flight finished");
}

int server_run(const struct config *cfg)
{
	struct server srv = {.cfg = cfg};
	char key_path[STRATA_MAX_PATH];
	bool keys_created = false;
	struct scrubber *scrub = NULL;
	struct admin *admin = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen;
	uint64_t seed;
	sigset_t set;
	int sig, rc = 1;
	unsigned i;

	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		seed = (uint64_t)httptime_now_ms();
	atomic_store(&request_counter, seed);
	if (server_resolve("listen", cfg->listen_host, cfg->listen_port, &ss, &sslen) != 0 ||
	    (cfg->http_port &&
	     server_resolve("http_listen", cfg->http_host, cfg->http_port, &ss, &sslen) != 0))
		return 1;
	/* Before any data is touched: a bad certificate or key refuses the start. */
	if (cfg->tls_cert[0] && tls_open(cfg->tls_cert, cfg->tls_key, &srv.tls) != 0)
		return 1;
	/* Likewise a configured access or audit log that cannot be written (reqlog.h). */
	if (reqlog_open(cfg, &srv.logs) != 0)
		goto out;
	if (!cfg->integrity)
		log_warn("server", "integrity = off: new objects are stored without frames or "
				   "SHA-256 and can never be verified (benchmarks only)");
	if (sse_keys_path(cfg, key_path, sizeof(key_path)) != 0 ||
	    sse_keys_open(cfg, &srv.keys, &keys_created) != 0)
		goto out;
	if (server_open_home(cfg, srv.keys, &srv.be) != S3E_OK)
		goto out;
	if (sse_keys_check(srv.be, srv.keys, key_path) != 0) {
		/* A fresh key file cannot be the lost one: leave no decoy behind. */
		if (keys_created && unlink(key_path) == 0)
			log_error("server", "removed the key file %s created at this start",
				  key_path);
		goto out;
	}
	if (users_open(cfg->data_dir, &srv.users) != 0)
		goto out;

	/* Signals go to the main thread's sigwait, never to a connection or worker thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	register_operations();
	if (admin_start(cfg, srv.be, &admin) != 0)
		goto out;
	/* Background workers first: connection threads may poke the lifecycle engine. */
	if (cfg->backend_s3 && cfg->scrub_interval)
		log_warn("server", "the s3 backend has no scrubber yet: scrub_interval is not used "
				   "(reads still verify every frame)");
	if (scrubber_start(srv.be, cfg->backend_s3 ? 0 : cfg->scrub_interval, cfg->scrub_rate,
			   &scrub) != 0 ||
	    lc_engine_start(srv.be, cfg->lifecycle_interval,
			    (int64_t)cfg->lifecycle_day_seconds * 1000, cfg->lifecycle_rate,
			    &srv.lifecycle) != 0 ||
	    replicator_start(&(struct replicator_opts){srv.be, cfg, srv.keys}, &srv.replicator) !=
		0)
		goto workers;
	if (!(srv.repl_cache = repl_cache_new()) ||
	    !(srv.conns = conntrack_new(cfg->header_timeout)) || !(srv.sigkeys = sigkeys_new()) ||
	    !(srv.datakeys = datakeys_new(srv.keys))) {
		log_error("server", "out of memory");
		goto workers;
	}
	raise_open_files_limit(cfg);

	if (listener_start(&srv, &srv.listeners[0], "listen", cfg->listen_host, cfg->listen_port,
			   srv.tls != NULL) != 0 ||
	    (cfg->http_port && listener_start(&srv, &srv.listeners[1], "http_listen",
					      cfg->http_host, cfg->http_port, false) != 0))
		goto daemons;
	/* The banner only now: a backend that cannot open must not be announced as serving. */
	printf("Strata %s serving S3 at %s://%s:%u (data: %s, region: %s)\n", PACKAGE_VERSION,
	       srv.tls ? "https" : "http", cfg->listen_host, (unsigned)cfg->listen_port,
	       cfg->data_dir, cfg->region);
	if (cfg->http_port)
		printf("Strata also serving plain HTTP at http://%s:%u (SSE-C %s there)\n",
		       cfg->http_host, (unsigned)cfg->http_port,
		       cfg->sse_c_over_http ? "allowed by sse_c_over_http" : "refused");
	fflush(stdout);
	sig = serve_until_stopped(&srv, &set);
	log_info("server", "signal %d: stopping (shutdown_timeout %u s)", sig,
		 cfg->shutdown_timeout);
	drain(&srv, admin);
	rc = 0;
daemons:
	for (i = 0; i < sizeof(srv.listeners) / sizeof(srv.listeners[0]); i++)
		if (srv.listeners[i].daemon)
			MHD_stop_daemon(srv.listeners[i].daemon);
workers:
	replicator_stop(srv.replicator);
	lc_engine_stop(srv.lifecycle);
	scrubber_stop(scrub);
out:
	admin_stop(admin);
	repl_cache_free(srv.repl_cache);
	conntrack_free(srv.conns);
	sigkeys_free(srv.sigkeys);
	datakeys_free(srv.datakeys);
	reqlog_close(&srv.logs);
	users_close(srv.users);
	backend_close(srv.be);
	keyring_free(srv.keys);
	tls_free(srv.tls);
	return rc;
}
