/* reqlog: access and audit log lines of finished requests (see reqlog.h). */
#include "reqlog.h"

#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/audit.h"
#include "../common/config.h"
#include "../common/httptime.h"
#include "../common/jsonw.h"
#include "../common/log.h"
#include "../common/logfile.h"
#include "../common/strutil.h"
#include "ops.h"
#include "request.h"
#include "routes.h"
#include "server.h"

/* What an audited operation does to the object it names (and to a copy source). */
enum access {
	ACCESS_NONE,
	ACCESS_READ,
	ACCESS_WRITE,
	ACCESS_DELETE,
};

static const char *const access_names[] = {"none", "read", "write", "delete"};

/* clang-format off */
static const struct audited {
	const char *op;
	enum access target; /* the object the request names */
	bool reads_source;  /* x-amz-copy-source is read as well */
} audited[] = {
	{"GetObject",               ACCESS_READ,   false},
	{"HeadObject",              ACCESS_READ,   false},
	{"GetObjectAttributes",     ACCESS_READ,   false},
	{"PutObject",               ACCESS_WRITE,  false},
	{"CopyObject",              ACCESS_WRITE,  true},
	{"UploadPart",              ACCESS_WRITE,  false},
	{"UploadPartCopy",          ACCESS_WRITE,  true},
	{"CompleteMultipartUpload", ACCESS_WRITE,  false},
	{"RestoreObject",           ACCESS_WRITE,  false},
	{"DeleteObject",            ACCESS_DELETE, false},
	/* Each deleted key is audited by the operation (reqlog_audit_deleted). */
	{"DeleteObjects",           ACCESS_DELETE, false},
};
/* clang-format on */

int reqlog_open(const struct config *cfg, struct reqlog *out)
{
	memset(out, 0, sizeof(*out));
	/* Access lines in the audit file would break its chain at the first request. */
	if (cfg->access_log[0] && strcmp(cfg->access_log, cfg->audit_log) == 0) {
		log_error("reqlog", "access_log and audit_log are the same file (%s)",
			  cfg->audit_log);
		return -1;
	}
	if (cfg->access_log[0] && logfile_open(cfg->access_log, LOGFILE_ACCESS, &out->access) != 0)
		return -1;
	if (cfg->audit_log[0] && audit_open(cfg->audit_log, &out->audit) != 0) {
		reqlog_close(out);
		return -1;
	}
	return 0;
}

void reqlog_reopen(struct reqlog *l)
{
	if (l->access && logfile_reopen(l->access) == 0)
		log_info("reqlog", "SIGHUP: reopened the access log");
	if (l->audit && audit_reopen(l->audit) == 0)
		log_info("reqlog", "SIGHUP: reopened the audit log");
}

void reqlog_close(struct reqlog *l)
{
	logfile_free(l->access);
	audit_free(l->audit);
	l->access = NULL;
	l->audit = NULL;
}

static const char *user_of(const struct request *r)
{
	return r->authenticated ? r->auth.user.name : "anonymous";
}

/* Which mechanism the request's signature used (never the signature itself). */
static const char *auth_of(const struct request *r)
{
	const char *authz = r->method ? req_header(r, "Authorization") : NULL;

	if (authz)
		return str_starts(authz, "AWS ") ? "sigv2" : "sigv4";
	if (req_has_query(r, "X-Amz-Credential") || req_has_query(r, "X-Amz-Algorithm"))
		return "presigned-v4";
	if (req_has_query(r, "AWSAccessKeyId") || req_has_query(r, "Signature"))
		return "presigned-v2";
	return "none";
}

/* The client's numeric address, or "-". */
static void client_of(const struct request *r, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    r->conn ? MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	socklen_t len = 0;

	if (sa && sa->sa_family == AF_INET)
		len = sizeof(struct sockaddr_in);
	else if (sa && sa->sa_family == AF_INET6)
		len = sizeof(struct sockaddr_in6);
	if (!len || getnameinfo(sa, len, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST) != 0)
		str_copy(out, cap, "-");
}

/*
 * The operation the request was for. A request refused before dispatch
 * (signature, owner) has no route yet; matching again is free of side
 * effects on success, and tells the log what was attempted.
 */
static const struct route *route_of(struct request *r)
{
	const struct route *rt = r->route;

	if (!rt && r->status == 403 && r->method && r->path && routes_match(r, &rt) != S3E_OK)
		rt = NULL;
	return rt;
}

/* Members every line starts with: time, request_id, user. */
static s3err_t common_members(struct buf *b, const struct request *r)
{
	char when[25];
	s3err_t err;

	httptime_format_iso_ms(r->start_ms, when);
	if ((err = jsonw_kv_str(b, "time", when)) || (err = jsonw_kv_str(b, "request_id", r->id)))
		return err;
	return jsonw_kv_str(b, "user", user_of(r));
}

static void write_access(struct request *r, const struct route *rt, const char *client,
			 bool complete)
{
	int64_t now = httptime_now_ms(); /* wall clock, as the time field; never negative */
	struct buf b;
	s3err_t err;

	buf_init(&b, STRATA_MAX_LOG_LINE, S3E_InternalError);
	if ((err = buf_add(&b, "{", 1)) || (err = common_members(&b, r)) ||
	    (err = jsonw_kv_str(&b, "auth", auth_of(r))) ||
	    (err = jsonw_kv_str(&b, "operation", rt ? rt->name : "-")) ||
	    (err = jsonw_kv_str(&b, "method", r->method ? r->method : "-")) ||
	    (err = jsonw_kv_str(&b, "bucket", r->bucket)) ||
	    (err = jsonw_kv_strn(&b, "key", r->key, r->key_len)) ||
	    (err = jsonw_kv_u64(&b, "status", r->status)) ||
	    (err = jsonw_kv_str(&b, "error", r->err ? s3err_code(r->err) : NULL)) ||
	    (err = jsonw_kv_u64(&b, "bytes_in", r->bytes_in)) ||
	    (err = jsonw_kv_u64(&b, "bytes_out", r->bytes_out)) ||
	    (err = jsonw_kv_u64(&b, "duration_ms",
				now > r->start_ms ? (uint64_t)(now - r->start_ms) : 0)) ||
	    (err = jsonw_kv_str(&b, "client", client)) ||
	    (err = jsonw_kv_bool(&b, "tls", r->tls)) ||
	    (err = jsonw_kv_bool(&b, "complete", complete)) || (err = buf_add(&b, "}\n", 2)))
		log_error("reqlog", "request %s: the access log line could not be built (%s)",
			  r->id, s3err_code(err));
	else
		logfile_write_line(r->srv->logs.access, b.data, b.len);
	buf_free(&b);
}

/*
 * One audit line: access to bucket/key (key NULL: a refused DeleteObjects,
 * whose keys were never read). source_* name a copy source on the
 * write line of a copy.
 */
static void write_audit(struct request *r, const char *op, enum access acc, unsigned status,
			const char *bucket, const char *key, size_t klen, uint64_t bytes,
			const char *client, const struct copy_source *src)
{
	const char *part = req_query(r, "partNumber");
	struct buf b;
	s3err_t err;

	buf_init(&b, STRATA_MAX_LOG_LINE, S3E_InternalError);
	if ((err = common_members(&b, r)) || (err = jsonw_kv_str(&b, "op", op)) ||
	    (err = jsonw_kv_str(&b, "access", access_names[acc])) ||
	    (err = jsonw_kv_str(&b, "outcome", status == 403 ? "denied" : "success")) ||
	    (err = jsonw_kv_u64(&b, "status", status)) ||
	    (err = jsonw_kv_str(&b, "bucket", bucket)) ||
	    (err = jsonw_kv_strn(&b, "key", key, klen)) ||
	    (part && (err = jsonw_kv_str(&b, "part", part))) ||
	    (src && (err = jsonw_kv_str(&b, "source_bucket", src->bucket))) ||
	    (src && (err = jsonw_kv_str(&b, "source_key", src->key))) ||
	    (err = jsonw_kv_u64(&b, "bytes", bytes)) ||
	    (err = jsonw_kv_str(&b, "client", client)) || (err = jsonw_kv_bool(&b, "tls", r->tls)))
		log_error("reqlog", "request %s: an audit line could not be built (%s)", r->id,
			  s3err_code(err));
	else
		audit_append(r->srv->logs.audit, b.data, b.len);
	buf_free(&b);
}

static const struct audited *audited_op(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(audited) / sizeof(audited[0]); i++)
		if (strcmp(audited[i].op, name) == 0)
			return &audited[i];
	return NULL;
}

static void audit_request(struct request *r, const struct route *rt, const char *client)
{
	const struct audited *a = rt ? audited_op(rt->name) : NULL;
	bool ok = r->status / 100 == 2, denied = r->status == 403;
	struct copy_source src = {{0}, NULL};
	bool have_src = false;

	if (!a || !(ok || denied))
		return;
	if (strcmp(a->op, "DeleteObjects") == 0) {
		/* Each key it removed has its own line; a refusal gets one for the request. */
		if (denied)
			write_audit(r, a->op, a->target, r->status, r->bucket, NULL, 0, r->bytes_in,
				    client, NULL);
		return;
	}
	if (!r->key)
		return;
	/* The source parsed when the request ran; it cannot fail now. */
	if (ok && a->reads_source && req_header(r, "x-amz-copy-source"))
		have_src = op_parse_copy_source(r, &src) == S3E_OK;
	if (have_src)
		write_audit(r, a->op, ACCESS_READ, r->status, src.bucket, src.key, strlen(src.key),
			    0, client, NULL);
	write_audit(r, a->op, a->target, r->status, r->bucket, r->key, r->key_len,
		    a->target == ACCESS_READ ? r->bytes_out : r->bytes_in, client,
		    have_src ? &src : NULL);
}

void reqlog_request_done(struct request *r, bool complete)
{
	const struct reqlog *l = &r->srv->logs;
	const struct route *rt;
	char client[64];

	if (!l->access && !l->audit)
		return;
	rt = route_of(r);
	client_of(r, client, sizeof(client));
	if (l->access)
		write_access(r, rt, client, complete);
	if (l->audit)
		audit_request(r, rt, client);
}

void reqlog_audit_deleted(struct request *r, const char *key, size_t len)
{
	char client[64];

	if (!r->srv->logs.audit)
		return;
	client_of(r, client, sizeof(client));
	/* 200: this key's outcome (the request's own is not decided yet). */
	write_audit(r, "DeleteObjects", ACCESS_DELETE, 200, r->bucket, key, len, 0, client, NULL);
}
