/* request: decoding the request line and headers, resolving bucket and key. */
#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/strutil.h"
#include "reqtarget.h"
#include "server.h"

const char *req_header(const struct request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (str_ieq(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

const char *req_query(const struct request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].name, name) == 0)
			return r->query[i].value;
	return NULL;
}

bool req_has_query(const struct request *r, const char *name)
{
	return req_query(r, name) != NULL;
}

char *req_msgf(struct request *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return arena_strdup(&r->arena, msg);
}

struct header_walk {
	struct request *r;
	bool overflow;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct header_walk *w = cls;

	(void)kind;
	if (w->r->nheaders == STRATA_MAX_HEADERS) {
		w->overflow = true;
		return MHD_NO;
	}
	w->r->headers[w->r->nheaders].name = key;
	w->r->headers[w->r->nheaders].value = value ? value : "";
	w->r->nheaders++;
	return MHD_YES;
}

/*
 * The bytes of the header section as sent ("Name: value\r\n" each), which
 * max_header_size caps. libmicrohttpd's per-connection memory only bounds
 * what the head may cost; this is the limit a client can rely on.
 */
static size_t header_bytes(const struct request *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nheaders; i++)
		n += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 4;
	return n;
}

s3err_t req_parse(struct request *r)
{
	const struct config *cfg = r->srv->cfg;
	const char *domains[CONFIG_MAX_DOMAINS];
	struct header_walk w = {r, false};
	struct req_target t;
	s3err_t err;
	unsigned i;

	if (!r->raw_uri || r->raw_uri[0] != '/')
		return req_fail(r, S3E_InvalidURI, NULL);
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, &w);
	if (w.overflow || header_bytes(r) > cfg->max_header_size)
		return req_fail(r, S3E_RequestHeaderSectionTooLarge, NULL);

	for (i = 0; i < cfg->ndomains && i < CONFIG_MAX_DOMAINS; i++)
		domains[i] = cfg->domains[i];
	err = reqtarget_parse(&r->arena, r->raw_uri, req_header(r, "Host"), domains, i, &t);
	/* What was parsed before an error stays: the error response may name it. */
	r->raw_path = t.raw_path;
	r->path = t.path;
	memcpy(r->query, t.query, t.nquery * sizeof(t.query[0]));
	r->nquery = t.nquery;
	r->virtual_host = t.virtual_host;
	memcpy(r->bucket, t.bucket, sizeof(r->bucket));
	r->key = t.key;
	r->key_len = t.key_len;
	return err ? req_fail(r, err, NULL) : S3E_OK;
}
