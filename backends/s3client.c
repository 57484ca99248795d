/*
 * s3client: requests to a remote S3 store over libcurl (see s3client.h).
 *
 * Invariants:
 *  C1. The pool mutex guards only the free list of idle connections; it is
 *      never held while a request runs, a handle is created or destroyed
 *      (curl_multi_cleanup closes sockets), or a backoff sleeps. The share
 *      locks are libcurl's, held by libcurl for a DNS or TLS-session lookup.
 *  C2. A connection (`struct conn`) is an easy handle plus the multi handle
 *      that drives it; the multi's connection cache keeps the TCP/TLS
 *      connection alive between requests, so taking a conn from the pool
 *      reuses its connection. One request at a time per conn; the easy is
 *      removed from the multi and reset before the next one. Connections
 *      are deliberately not shared through the CURLSH
 *      (CURL_LOCK_DATA_CONNECT): libcurl's maintainers say its shared pool
 *      is not yet safe for concurrent threads (curl-library, March 2021).
 *  C3. Every attempt is signed afresh (new x-amz-date) from the same
 *      request description, and its body is re-read from offset 0; the
 *      result is reset per attempt except `attempts`.
 *  C4. Nothing the remote sends grows without a cap: kept headers
 *      (S3C_MAX_RESP_HEADERS, one value S3C_MAX_HEADER_VALUE), an error or
 *      unexpected body (S3C_MAX_ERROR_BODY), an expected document (the
 *      operation's cap), a GET body (S3C_STREAM_BUFFER, by pausing the
 *      transfer). Passing a cap aborts the transfer (over_cap) and is
 *      S3E_InternalError, never retried.
 *  C5. The URL path is uri_encode(decoded path, keep '/') and the
 *      canonical request encodes the same decoded path the same way
 *      (sigv4_canonical_request), and CURLOPT_PATH_AS_IS stops libcurl from
 *      squashing "/../" or "/./": the remote verifies the signature over
 *      exactly the bytes it receives, and the key arrives unchanged.
 *  C6. Only the secret, the signing key and the Authorization header are
 *      secret. None is ever logged; the signing key is wiped after use and
 *      the secret on s3c_free.
 *
 * Life of a request (function that performs each step):
 *   description (struct op)     -> op_* builders in the public functions
 *   conn taken from the pool    -> pool_get
 *   attempt: signed + started   -> attempt_start (prepare, set options)
 *   driven to the end / head    -> drive
 *   classified, maybe retried   -> exchange (s3c_retryable, s3c_backoff_ms)
 *   conn returned               -> pool_put
 * A GET stream keeps its conn from exchange to s3c_stream_close.
 */
#include "s3client.h"
#include "s3client_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/sigv4.h"
#include "../common/strutil.h"
#include "../common/xmldoc.h"
#include "../common/xmlw.h"

#define MOD "s3client"
#define MAX_OWN_HEADERS 8u /* the client's own headers of one op */
#define MAX_SIGNED (S3C_MAX_REQ_HEADERS + MAX_OWN_HEADERS + 4u) /* + host, date, sha, md5 */
#define MAX_QUERY 10u
#define MAX_HEADER_NAME 256u
#define MAX_HEAD_BYTES (64u * 1024) /* one request's header block */
#define CURL_BUFFER (64u * 1024)    /* libcurl's receive buffer: <= S3C_STREAM_BUFFER */
#define POLL_MS 1000

/* One idle or busy connection (C2). */
struct conn {
	CURL *easy;
	CURLM *multi;
	struct conn *next;
};

struct s3c {
	char scheme[8];			  /* "http" or "https" */
	char authority[S3C_MAX_ENDPOINT]; /* "host[:port]" as the Host header says it */
	char region[STRATA_MAX_REGION_LEN + 1];
	char access_key[STRATA_MAX_ACCESS_KEY_LEN + 1];
	char secret_key[STRATA_MAX_SECRET_KEY_LEN + 1];
	char ca_file[STRATA_MAX_PATH];
	bool path_style;
	bool sign_payload;
	bool quiet; /* s3c_config.quiet */
	long connect_timeout_ms;
	long low_speed_time_s;
	unsigned max_retries;
	unsigned retry_base_ms;
	unsigned retry_max_ms;
	unsigned max_idle;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	unsigned nshare_locks; /* initialized mutexes, for s3c_free after a partial s3c_new */
	pthread_mutex_t pool_lock;
	bool pool_lock_ok;
	struct conn *idle; /* guarded by pool_lock (C1) */
	unsigned nidle;
};

/* Where a response body goes. */
enum sink {
	SINK_NONE,   /* expected empty; anything is counted against S3C_MAX_ERROR_BODY */
	SINK_BUF,    /* collected into xfer.body up to op.cap (an XML document) */
	SINK_STREAM, /* the GET ring, pausing the transfer when it is full */
};

/* One S3 request as the operation describes it; attempts are built from it (C3). */
struct op {
	const char *name; /* "PutObject", for logs */
	const char *method;
	const char *bucket; /* NULL: the service */
	const char *key;    /* NULL: the bucket */
	struct s3c_header query[MAX_QUERY];
	size_t nquery;
	struct s3c_header own[MAX_OWN_HEADERS]; /* the client's own (range, copy source...) */
	size_t nown;
	const struct s3c_header *hdrs; /* the caller's, checked by check_caller_headers */
	size_t nhdrs;
	const void *body; /* with has_body: sent with Content-MD5 */
	size_t body_len;
	bool has_body;
	bool idempotent;
	bool error_in_200; /* a 200 may carry an <Error> document (Complete, copies) */
	enum sink sink;
	size_t cap; /* SINK_BUF: the document's cap */
	/* computed once per operation */
	char md5_b64[25];
	char payload_hash[65];
};

/* The state of one attempt, shared with libcurl's callbacks. */
struct xfer {
	struct s3c_result *res;
	enum sink sink;
	size_t cap;
	struct buf body; /* SINK_BUF documents and every error body */
	uint64_t body_bytes;
	bool head_done; /* the final (non-1xx) response head has arrived */
	bool over_cap;	/* C4: the answer passed a cap */
	bool ended;	/* SINK_STREAM: the transfer already ended while opening */
	/* request body */
	const char *up;
	size_t up_len, up_off;
	/* SINK_STREAM ring: bytes ring[r_off .. r_off + r_len) */
	char *ring;
	size_t r_off, r_len;
	bool paused;
	char errbuf[CURL_ERROR_SIZE];
};

struct s3c_stream {
	struct s3c *c;
	struct conn *cn;
	struct xfer x;
	struct curl_slist *headers;
	bool done;     /* the transfer ended (cc says how) */
	s3err_t err;   /* sticky error */
	uint64_t want; /* body bytes announced */
	char op_bucket[STRATA_BUCKET_NAME_MAX + 1];
	char op_key[STRATA_MAX_KEY_LEN + 1];
	struct s3c_result res;
};

/* ---- process-wide initialization ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT; /* written once under global_once */

/* libcurl and libxml2 each want one initialization before threads use them. */
static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
}

/* ---- small helpers ---- */

static char lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* See s3client_internal.h. */
void s3c_copy_cut(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* RFC 7230 tchar: what a header name may be made of. */
static bool is_tchar(char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch))
		return true;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* A header value that cannot split or smuggle a header: no CTL but TAB, bounded. */
static bool header_value_ok(const char *v)
{
	size_t i;

	for (i = 0; v[i]; i++) {
		unsigned char ch = (unsigned char)v[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f || i + 1 >= S3C_MAX_HEADER_VALUE)
			return false;
	}
	return true;
}

static bool header_name_ok(const char *n)
{
	size_t i;

	for (i = 0; n[i]; i++) {
		if (!is_tchar(n[i]) || i + 1 >= MAX_HEADER_NAME)
			return false;
	}
	return i > 0;
}

/* ---- result ---- */

/* Empties a result for a new attempt; `attempts` survives (C3). */
static void result_reset(struct s3c_result *r)
{
	unsigned attempts = r->attempts;

	r->status = 0;
	r->curl_code = 0;
	r->code[0] = r->message[0] = r->request_id[0] = r->etag[0] = '\0';
	r->has_length = false;
	r->content_length = r->object_size = 0;
	r->last_modified_ms = 0;
	r->nheaders = r->headers_len = 0;
	r->headers[0] = '\0';
	r->attempts = attempts;
}

/* See s3client.h. */
bool s3c_result_header_next(const struct s3c_result *r, size_t *cursor, const char **name,
			    const char **value)
{
	size_t at = *cursor, nl, vl;

	if (at >= r->headers_len)
		return false;
	nl = strlen(r->headers + at);
	vl = strlen(r->headers + at + nl + 1);
	*name = r->headers + at;
	*value = r->headers + at + nl + 1;
	*cursor = at + nl + 1 + vl + 1;
	return true;
}

/* See s3client.h. */
const char *s3c_result_header(const struct s3c_result *r, const char *name)
{
	size_t cur = 0;
	const char *n, *v;

	while (s3c_result_header_next(r, &cur, &n, &v)) {
		if (str_ieq(n, name))
			return v;
	}
	return NULL;
}

/* See s3client_internal.h. */
bool s3c_set_etag(char out[S3C_MAX_ETAG], const char *v, size_t len)
{
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (len >= S3C_MAX_ETAG)
		return false;
	memcpy(out, v, len);
	out[len] = '\0';
	return true;
}

/* ---- endpoint and client ---- */

/* true for "[v6]" or a dotted-decimal IPv4 host: no bucket can be put in front of them. */
static bool host_is_ip(const char *host, size_t len)
{
	size_t i;

	if (len > 0 && host[0] == '[')
		return true;
	for (i = 0; i < len; i++) {
		if (!is_digit(host[i]) && host[i] != '.')
			return false;
	}
	return true;
}

/*
 * Splits "http[s]://host[:port][/]" into scheme and authority (host
 * lowercased). Paths, user info, queries and fragments are refused: the
 * client builds every path itself and signs exactly that.
 */
static s3err_t parse_endpoint(struct s3c *c, const char *ep, bool *is_ip)
{
	s3err_t err = S3E_InvalidArgument;
	const char *p, *host, *end;
	size_t hlen, i, n = ep ? strlen(ep) : 0;
	uint64_t port;

	if (n == 0 || n >= S3C_MAX_ENDPOINT)
		goto out;
	if (str_istarts(ep, "http://")) {
		memcpy(c->scheme, "http", 5);
		p = ep + 7;
	} else if (str_istarts(ep, "https://")) {
		memcpy(c->scheme, "https", 6);
		p = ep + 8;
	} else {
		goto out;
	}
	end = p + strlen(p);
	if (end > p && end[-1] == '/')
		end--;
	host = p;
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		if (!rb || rb == p + 1)
			goto out;
		for (i = 1; p + i < rb; i++) {
			char ch = lower(p[i]);

			if (!is_digit(ch) && !(ch >= 'a' && ch <= 'f') && ch != ':' && ch != '.')
				goto out;
		}
		p = rb + 1;
	} else {
		while (p < end && *p != ':') {
			if (!is_digit(*p) && !(lower(*p) >= 'a' && lower(*p) <= 'z') && *p != '.' &&
			    *p != '-')
				goto out;
			p++;
		}
		if (p == host)
			goto out;
	}
	hlen = (size_t)(p - host);
	if (p < end) {
		if (*p != ':' || !parse_u64(p + 1, (size_t)(end - p - 1), 1, 65535, &port))
			goto out;
	}
	for (i = 0; host + i < end; i++)
		c->authority[i] = lower(host[i]);
	c->authority[i] = '\0';
	*is_ip = host_is_ip(host, hlen);
	err = S3E_OK;
out:
	return err;
}

/* libcurl's share locks: one mutex per kind of shared data (C1). */
static void share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *arg)
{
	struct s3c *c = arg;

	(void)h;
	(void)acc;
	if ((unsigned)data < c->nshare_locks)
		pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
	struct s3c *c = arg;

	(void)h;
	if ((unsigned)data < c->nshare_locks)
		pthread_mutex_unlock(&c->share_locks[data]);
}

/* Copies the numbers of cfg with their defaults and ceilings. */
static s3err_t copy_numbers(struct s3c *c, const struct s3c_config *cfg)
{
	unsigned io = cfg->io_timeout_ms ? cfg->io_timeout_ms : S3C_DEFAULT_IO_TIMEOUT_MS;

	if (cfg->max_retries > S3C_MAX_RETRIES || cfg->max_idle > S3C_MAX_IDLE)
		return S3E_InvalidArgument;
	c->connect_timeout_ms =
	    cfg->connect_timeout_ms ? cfg->connect_timeout_ms : S3C_DEFAULT_CONNECT_TIMEOUT_MS;
	c->low_speed_time_s = (long)((io + 999u) / 1000u);
	c->max_retries = cfg->max_retries;
	c->retry_base_ms = cfg->retry_base_ms ? cfg->retry_base_ms : S3C_DEFAULT_RETRY_BASE_MS;
	c->retry_max_ms = cfg->retry_max_ms ? cfg->retry_max_ms : S3C_DEFAULT_RETRY_MAX_MS;
	if (c->retry_max_ms < c->retry_base_ms)
		c->retry_max_ms = c->retry_base_ms;
	c->max_idle = cfg->max_idle ? cfg->max_idle : S3C_DEFAULT_IDLE;
	return S3E_OK;
}

/* Copies the strings of cfg; every one must fit its field. */
static s3err_t copy_strings(struct s3c *c, const struct s3c_config *cfg)
{
	const char *region = cfg->region && *cfg->region ? cfg->region : S3C_DEFAULT_REGION;
	size_t i;

	if (!cfg->access_key || !*cfg->access_key || !cfg->secret_key || !*cfg->secret_key ||
	    !str_copy(c->region, sizeof(c->region), region) ||
	    !str_copy(c->access_key, sizeof(c->access_key), cfg->access_key) ||
	    !str_copy(c->secret_key, sizeof(c->secret_key), cfg->secret_key) ||
	    !str_copy(c->ca_file, sizeof(c->ca_file), cfg->ca_file ? cfg->ca_file : ""))
		return S3E_InvalidArgument;
	/* They go into the credential scope: no '/', no spaces, no controls. */
	for (i = 0; c->region[i]; i++)
		if (!is_tchar(c->region[i]) || c->region[i] == '/')
			return S3E_InvalidArgument;
	for (i = 0; c->access_key[i]; i++)
		if (!is_tchar(c->access_key[i]) || c->access_key[i] == '/')
			return S3E_InvalidArgument;
	return S3E_OK;
}

/* See s3client.h. */
s3err_t s3c_new(const struct s3c_config *cfg, struct s3c **out)
{
	s3err_t err = S3E_InternalError;
	struct s3c *c = NULL;
	bool is_ip = false;
	unsigned i;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		log_error(MOD, "curl_global_init failed: %s", curl_easy_strerror(global_rc));
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	/* The endpoint is not echoed: a refused one may hold user:password@. */
	err = S3E_InvalidArgument;
	if (!cfg || parse_endpoint(c, cfg->endpoint, &is_ip)) {
		log_error(MOD, "remote S3 endpoint: want http[s]://host[:port] without a path");
		goto out;
	}
	if (copy_strings(c, cfg) || copy_numbers(c, cfg)) {
		log_error(MOD,
			  "remote S3 %s: missing or too long keys or region, or numbers out "
			  "of range",
			  c->authority);
		goto out;
	}
	if (!cfg->path_style && is_ip) {
		log_error(MOD, "remote S3 %s: virtual-host style needs a host name, not an IP",
			  c->authority);
		goto out;
	}
	c->path_style = cfg->path_style;
	c->sign_payload = cfg->sign_payload;
	c->quiet = cfg->quiet;
	err = S3E_InternalError;
	if (pthread_mutex_init(&c->pool_lock, NULL) != 0)
		goto out;
	c->pool_lock_ok = true;
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++) {
		if (pthread_mutex_init(&c->share_locks[i], NULL) != 0)
			goto out;
		c->nshare_locks = i + 1;
	}
	c->share = curl_share_init();
	if (!c->share || curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) ||
	    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
	    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))
		goto out;
	*out = c;
	c = NULL;
	err = S3E_OK;
out:
	s3c_free(c);
	return err;
}

static void conn_free(struct conn *cn)
{
	if (!cn)
		return;
	curl_easy_cleanup(cn->easy);
	curl_multi_cleanup(cn->multi);
	free(cn);
}

/* See s3client.h. */
void s3c_free(struct s3c *c)
{
	unsigned i;

	if (!c)
		return;
	while (c->idle) {
		struct conn *cn = c->idle;

		c->idle = cn->next;
		conn_free(cn);
	}
	if (c->share)
		curl_share_cleanup(c->share);
	for (i = 0; i < c->nshare_locks; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	if (c->pool_lock_ok)
		pthread_mutex_destroy(&c->pool_lock);
	OPENSSL_cleanse(c->secret_key, sizeof(c->secret_key));
	free(c);
}

/* ---- connection pool (C1, C2) ---- */

/* An idle conn, or a new one when none is idle; NULL when out of memory. */
static struct conn *pool_get(struct s3c *c)
{
	struct conn *cn;

	pthread_mutex_lock(&c->pool_lock);
	cn = c->idle;
	if (cn) {
		c->idle = cn->next;
		c->nidle--;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (cn)
		return cn;
	cn = calloc(1, sizeof(*cn));
	if (!cn)
		return NULL;
	cn->easy = curl_easy_init();
	cn->multi = curl_multi_init();
	if (!cn->easy || !cn->multi) {
		conn_free(cn);
		return NULL;
	}
	return cn;
}

/* Returns a conn whose easy is not in its multi; frees it when the pool is full. */
static void pool_put(struct s3c *c, struct conn *cn)
{
	if (!cn)
		return;
	pthread_mutex_lock(&c->pool_lock);
	if (c->nidle < c->max_idle) {
		cn->next = c->idle;
		c->idle = cn;
		c->nidle++;
		cn = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	conn_free(cn); /* outside the lock: it closes sockets */
}

/* ---- request building and signing ---- */

/* The headers of one attempt, names lowercased, stored in one capped buffer. */
struct hdrset {
	struct buf store;
	size_t name_off[MAX_SIGNED];
	size_t value_off[MAX_SIGNED];
	size_t n;
	struct sigv4_kv kv[MAX_SIGNED]; /* pointers into store, set by hdrset_seal */
};

/*
 * Adds one header. A name the client sets itself, a repeated name, or a
 * bad name or value is S3E_InvalidArgument: a caller cannot inject a
 * second Host or split a line with CR/LF.
 */
static s3err_t hdrset_add(struct hdrset *h, const char *name, const char *value)
{
	s3err_t err = S3E_InvalidArgument;
	size_t i, nlen;

	if (!name || !value || !header_name_ok(name) || !header_value_ok(value) ||
	    h->n >= MAX_SIGNED)
		goto out;
	nlen = strlen(name);
	for (i = 0; i < h->n; i++) {
		const char *other = h->store.data + h->name_off[i];

		if (strlen(other) == nlen && str_istarts(other, name))
			goto out;
	}
	h->name_off[h->n] = h->store.len;
	for (i = 0; i < nlen; i++) {
		char ch = lower(name[i]);

		if ((err = buf_add(&h->store, &ch, 1)))
			goto out;
	}
	if ((err = buf_add(&h->store, "", 1)))
		goto out;
	h->value_off[h->n] = h->store.len;
	if ((err = buf_add(&h->store, value, strlen(value) + 1)))
		goto out;
	h->n++;
out:
	return err;
}

static int cmp_kv(const void *a, const void *b)
{
	const struct sigv4_kv *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Points kv[] into the finished store, sorted by name (the signed-header order). */
static void hdrset_seal(struct hdrset *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		h->kv[i].name = h->store.data + h->name_off[i];
		h->kv[i].value = h->store.data + h->value_off[i];
	}
	qsort(h->kv, h->n, sizeof(h->kv[0]), cmp_kv);
}

/*
 * A bucket name that is safe in a URL path (path style) or as the first
 * label of a host name (virtual-host style: lowercase DNS characters).
 */
static bool bucket_ok(const struct s3c *c, const char *b)
{
	size_t i, n = b ? strlen(b) : 0;

	if (n < STRATA_BUCKET_NAME_MIN || n > STRATA_BUCKET_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = b[i];

		if ((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '.' || ch == '-')
			continue;
		if (c->path_style && ((ch >= 'A' && ch <= 'Z') || ch == '_'))
			continue;
		return false;
	}
	return b[0] != '.' && b[n - 1] != '.';
}

static s3err_t key_check(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	if (n == 0)
		return S3E_InvalidArgument;
	return n > STRATA_MAX_KEY_LEN ? S3E_KeyTooLongError : S3E_OK;
}

/* Appends "?a=b&c" (encoded as SigV4 does, empty values as bare names) to url. */
static s3err_t add_query(struct buf *url, const struct s3c_header *q, size_t n)
{
	s3err_t err = S3E_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *v = q[i].value ? q[i].value : "";

		if ((err = buf_add(url, i ? "&" : "?", 1)) ||
		    (err = uri_encode(url, q[i].name, strlen(q[i].name), false)))
			goto out;
		if (*v &&
		    ((err = buf_add(url, "=", 1)) || (err = uri_encode(url, v, strlen(v), false))))
			goto out;
	}
out:
	return err;
}

/*
 * The URL, Host and decoded path of a request. Path style:
 * authority/bucket/key; virtual-host style: bucket.authority/key.
 */
static s3err_t build_target(const struct s3c *c, const char *bucket, const char *key,
			    const struct s3c_header *query, size_t nquery, struct buf *url,
			    struct buf *host, struct buf *path)
{
	s3err_t err = S3E_InvalidArgument;

	if (bucket && !bucket_ok(c, bucket)) {
		err = S3E_InvalidBucketName;
		goto out;
	}
	if (key && (!bucket || (err = key_check(key))))
		goto out;
	if (bucket && !c->path_style)
		err = buf_addf(host, "%s.%s", bucket, c->authority);
	else
		err = buf_adds(host, c->authority);
	if (err)
		goto out;
	if ((err = buf_add(path, "/", 1)))
		goto out;
	if (bucket && c->path_style &&
	    ((err = buf_adds(path, bucket)) || (err = buf_adds(path, key ? "/" : ""))))
		goto out;
	if (key && (err = buf_adds(path, key)))
		goto out;
	if ((err = buf_addf(url, "%s://%s", c->scheme, buf_str(host))) ||
	    (err = uri_encode(url, path->data, path->len, true)) ||
	    (err = add_query(url, query, nquery)))
		goto out;
out:
	return err;
}

/*
 * Signs the request (SigV4, header form) and appends the header block in
 * libcurl's syntax ("name: value\n", an empty value as "name;\n"),
 * ending with the Authorization line.
 */
static s3err_t sign_into(const struct s3c *c, const char *method, const char *path,
			 const struct s3c_header *query, size_t nquery, struct hdrset *h,
			 const char *payload_hash, const char *amz_date, struct buf *head)
{
	s3err_t err;
	struct buf canon, scope, sts, signed_list;
	struct sigv4_kv q[MAX_QUERY];
	struct sigv4_request r;
	uint8_t skey[32];
	char date8[9], sig[65];
	size_t i;

	buf_init(&canon, STRATA_MAX_CANONICAL_REQUEST, S3E_InternalError);
	buf_init(&scope, 256, S3E_InternalError);
	buf_init(&sts, 1024, S3E_InternalError);
	buf_init(&signed_list, STRATA_MAX_SIGNED_HEADERS_LEN, S3E_InternalError);
	for (i = 0; i < nquery; i++) {
		q[i].name = query[i].name;
		q[i].value = query[i].value ? query[i].value : "";
	}
	hdrset_seal(h);
	for (i = 0; i < h->n; i++) {
		if ((err = buf_addf(&signed_list, "%s%s", i ? ";" : "", h->kv[i].name)))
			goto out;
	}
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';
	r = (struct sigv4_request){method,	path, q, nquery, h->kv, h->n, buf_str(&signed_list),
				   payload_hash};
	if ((err = sigv4_canonical_request(&r, &canon)) ||
	    (err = sigv4_scope(date8, c->region, "s3", &scope)) ||
	    (err =
		 sigv4_string_to_sign(amz_date, buf_str(&scope), buf_str(&canon), canon.len, &sts)))
		goto out;
	sigv4_signing_key(c->secret_key, date8, c->region, "s3", skey);
	sigv4_hmac_hex(skey, sts.data, sts.len, sig);
	for (i = 0; i < h->n; i++) {
		if (*h->kv[i].value)
			err = buf_addf(head, "%s: %s\n", h->kv[i].name, h->kv[i].value);
		else
			err = buf_addf(head, "%s;\n", h->kv[i].name);
		if (err)
			goto out;
	}
	err = buf_addf(head,
		       "Authorization: " SIGV4_ALGORITHM " Credential=%s/%s,SignedHeaders=%s,"
		       "Signature=%s\n",
		       c->access_key, buf_str(&scope), buf_str(&signed_list), sig);
out:
	OPENSSL_cleanse(skey, sizeof(skey));
	OPENSSL_cleanse(sig, sizeof(sig));
	buf_free(&signed_list);
	buf_free(&sts);
	buf_free(&scope);
	buf_free(&canon);
	return err;
}

/*
 * Builds one attempt: URL and signed header block. extra[0..nextra) are
 * lists of headers to send (the op's own, the caller's); Host,
 * x-amz-date and x-amz-content-sha256 are added here.
 */
static s3err_t prepare(const struct s3c *c, const char *method, const char *bucket, const char *key,
		       const struct s3c_header *query, size_t nquery,
		       const struct s3c_header *const *extra, const size_t *nextra, size_t nlists,
		       const char *payload_hash, time_t now, struct buf *url, struct buf *head)
{
	s3err_t err;
	struct buf host, path;
	struct hdrset h;
	char amz_date[17];
	size_t i, j;

	buf_init(&host, S3C_MAX_ENDPOINT + STRATA_BUCKET_NAME_MAX + 2, S3E_InternalError);
	buf_init(&path, 2 * STRATA_MAX_KEY_LEN, S3E_InternalError);
	memset(&h, 0, sizeof(h));
	buf_init(&h.store, MAX_HEAD_BYTES, S3E_InvalidArgument);
	if (nquery > MAX_QUERY) {
		err = S3E_InternalError;
		goto out;
	}
	if ((err = build_target(c, bucket, key, query, nquery, url, &host, &path)))
		goto out;
	httptime_format_amz(now, amz_date);
	if ((err = hdrset_add(&h, "host", buf_str(&host))) ||
	    (err = hdrset_add(&h, "x-amz-date", amz_date)) ||
	    (err = hdrset_add(&h, "x-amz-content-sha256", payload_hash)))
		goto out;
	for (i = 0; i < nlists; i++) {
		for (j = 0; j < nextra[i]; j++) {
			if ((err = hdrset_add(&h, extra[i][j].name, extra[i][j].value)))
				goto out;
		}
	}
	err = sign_into(c, method, buf_str(&path), query, nquery, &h, payload_hash, amz_date, head);
out:
	buf_free(&h.store);
	buf_free(&path);
	buf_free(&host);
	return err;
}

/* See s3client.h. */
s3err_t s3c_test_prepare(const struct s3c *c, const char *method, const char *bucket,
			 const char *key, const struct s3c_header *query, size_t nquery,
			 const struct s3c_header *hdrs, size_t nhdrs, const char *payload_hash,
			 time_t now, struct buf *url, struct buf *head)
{
	const struct s3c_header *lists[1] = {hdrs};
	size_t counts[1] = {nhdrs};

	return prepare(c, method, bucket, key, query, nquery, lists, counts, 1, payload_hash, now,
		       url, head);
}

/*
 * The caller's headers: valid, and none of the ones the client owns (a
 * second Content-MD5 or Range would change what is signed and sent).
 */
static s3err_t check_caller_headers(const struct s3c_header *h, size_t n)
{
	static const char *const reserved[] = {
	    "host",
	    "authorization",
	    "content-length",
	    "content-md5",
	    "range",
	    "expect",
	    "x-amz-date",
	    "x-amz-content-sha256",
	    "transfer-encoding",
	    "connection",
	    "x-amz-metadata-directive",
	};
	size_t i, k;

	if (n > S3C_MAX_REQ_HEADERS || (n && !h))
		return S3E_InvalidArgument;
	for (i = 0; i < n; i++) {
		if (!h[i].name || !h[i].value || !header_name_ok(h[i].name) ||
		    !header_value_ok(h[i].value) || str_istarts(h[i].name, "x-amz-copy-source"))
			return S3E_InvalidArgument;
		for (k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
			if (str_ieq(h[i].name, reserved[k]))
				return S3E_InvalidArgument;
	}
	return S3E_OK;
}

/* Content-MD5 and the payload hash of the op, once (C3). */
static void op_digests(const struct s3c *c, struct op *op)
{
	uint8_t md5[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 16;
	const void *data = op->body ? op->body : "";

	op->md5_b64[0] = '\0';
	if (op->has_body) {
		if (EVP_Digest(data, op->body_len, md5, &mdlen, EVP_md5(), NULL) != 1)
			memset(md5, 0, sizeof(md5)); /* no MD5 provider: the remote refuses it */
		base64_encode(md5, 16, op->md5_b64);
	}
	if (c->sign_payload)
		sigv4_sha256_hex(data, op->has_body ? op->body_len : 0, op->payload_hash);
	else
		str_copy(op->payload_hash, sizeof(op->payload_hash),
			 op->has_body ? SIGV4_UNSIGNED_PAYLOAD : SIGV4_EMPTY_SHA256);
}

/* ---- libcurl callbacks ---- */

/*
 * Headers kept for the caller: object metadata and S3's own, not transport
 * headers; and x-strata-sha256, by which another Strata (a replication site)
 * proves what it stored without a read-back.
 */
static bool header_kept(const char *name)
{
	return str_starts(name, "x-amz-") || str_starts(name, "content-") ||
	       strcmp(name, "cache-control") == 0 || strcmp(name, "expires") == 0 ||
	       strcmp(name, "x-strata-sha256") == 0;
}

/* "HTTP/1.1 200 OK" -> 200; 0 when not a status line. */
static long status_of(const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	uint64_t v;

	if (!sp || (size_t)(sp - line) + 4 > len || !parse_u64(sp + 1, 3, 100, 599, &v))
		return 0;
	return (long)v;
}

/* Records one response header line (name lowercased) into the result. */
static bool header_record(struct xfer *x, const char *line, size_t len)
{
	struct s3c_result *r = x->res;
	const char *colon = memchr(line, ':', len), *v;
	char name[MAX_HEADER_NAME];
	size_t nlen, vlen, i;
	uint64_t n;
	time_t t;

	if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
		return true; /* not a header (or an obs-fold continuation): ignored */
	nlen = (size_t)(colon - line);
	if (nlen >= sizeof(name))
		return true;
	for (i = 0; i < nlen; i++)
		name[i] = lower(line[i]);
	name[nlen] = '\0';
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (strcmp(name, "etag") == 0)
		return s3c_set_etag(r->etag, v, vlen);
	if (strcmp(name, "x-amz-request-id") == 0)
		s3c_copy_cut(r->request_id, sizeof(r->request_id), v, vlen);
	if (strcmp(name, "content-length") == 0) {
		if (!parse_u64(v, vlen, 0, UINT64_MAX, &n))
			return false;
		r->has_length = true;
		r->content_length = n;
	}
	if (strcmp(name, "last-modified") == 0 && vlen < 64) {
		char tmp[64];

		memcpy(tmp, v, vlen);
		tmp[vlen] = '\0';
		if (httptime_parse_http(tmp, &t))
			r->last_modified_ms = (int64_t)t * 1000;
	}
	if (!header_kept(name))
		return true;
	if (vlen >= S3C_MAX_HEADER_VALUE || r->headers_len + nlen + vlen + 2 > S3C_MAX_RESP_HEADERS)
		return false;
	memcpy(r->headers + r->headers_len, name, nlen + 1);
	r->headers_len += nlen + 1;
	memcpy(r->headers + r->headers_len, v, vlen);
	r->headers[r->headers_len + vlen] = '\0';
	r->headers_len += vlen + 1;
	r->nheaders++;
	return true;
}

/* CURLOPT_HEADERFUNCTION: one header line per call, every response head of the attempt. */
static size_t on_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nitems, n = len;
	long st;

	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new response head (after a 100 Continue, say): forget the previous one. */
		st = status_of(p, n);
		result_reset(x->res);
		x->res->status = st;
		x->head_done = false;
		return st ? len : 0;
	}
	if (n == 0) {
		if (x->res->status >= 200)
			x->head_done = true;
		return len;
	}
	if (!header_record(x, p, n)) {
		x->over_cap = true;
		return 0;
	}
	return len;
}

/* CURLOPT_WRITEFUNCTION: the body, into its sink; an over-cap body aborts (C4). */
static size_t on_body(char *p, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nitems;
	size_t cap = x->res->status >= 300 || x->sink != SINK_BUF ? S3C_MAX_ERROR_BODY : x->cap;

	if (x->res->status >= 200 && x->res->status < 300 && x->sink == SINK_STREAM) {
		if (len > S3C_STREAM_BUFFER - x->r_len) {
			if (x->r_len == 0) {
				x->over_cap =
				    true; /* a chunk larger than the ring: never with CURL_BUFFER */
				return 0;
			}
			x->paused = true;
			return CURL_WRITEFUNC_PAUSE; /* redelivered, whole, after the unpause */
		}
		if (x->r_off + x->r_len + len > S3C_STREAM_BUFFER) {
			memmove(x->ring, x->ring + x->r_off, x->r_len);
			x->r_off = 0;
		}
		memcpy(x->ring + x->r_off + x->r_len, p, len);
		x->r_len += len;
		x->body_bytes += len;
		return len;
	}
	if (x->body_bytes + len > cap) {
		/* An error body too big to read is still an error of that status. */
		if (x->res->status < 300)
			x->over_cap = true;
		return 0;
	}
	x->body_bytes += len;
	if (x->sink == SINK_BUF || x->res->status >= 300) {
		if (buf_add(&x->body, p, len) != S3E_OK) {
			x->over_cap = x->res->status < 300;
			return 0;
		}
	}
	return len;
}

/* CURLOPT_READFUNCTION: the request body from memory. */
static size_t on_read(char *p, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nitems, left = x->up_len - x->up_off;

	if (n > left)
		n = left;
	if (n)
		memcpy(p, x->up + x->up_off, n);
	x->up_off += n;
	return n;
}

/* CURLOPT_SEEKFUNCTION: libcurl rewinds the body when it must resend it. */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct xfer *x = arg;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->up_len)
		return CURL_SEEKFUNC_FAIL;
	x->up_off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* ---- one attempt ---- */

/* Prepares x for an attempt (C3). */
static void xfer_reset(struct xfer *x, const struct op *op)
{
	result_reset(x->res);
	buf_reset(&x->body);
	x->sink = op->sink;
	x->cap = op->cap;
	x->body_bytes = 0;
	x->head_done = x->over_cap = x->paused = x->ended = false;
	x->up = op->body;
	x->up_len = op->body_len;
	x->up_off = 0;
	x->r_off = x->r_len = 0;
	x->errbuf[0] = '\0';
}

/* "name: value\n..." -> a curl_slist, plus "Expect:" (no 100-continue round trip). */
static s3err_t head_to_slist(const struct buf *head, struct curl_slist **out)
{
	struct curl_slist *l = NULL, *t;
	char *copy = NULL, *line, *nl;
	s3err_t err = S3E_InternalError;

	copy = malloc(head->len + 1);
	if (!copy)
		goto out;
	memcpy(copy, head->data, head->len + 1);
	for (line = copy; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			goto out;
		*nl = '\0';
		if (!(t = curl_slist_append(l, line)))
			goto out;
		l = t;
	}
	if (!(t = curl_slist_append(l, "Expect:")))
		goto out;
	l = t;
	*out = l;
	l = NULL;
	err = S3E_OK;
out:
	if (copy)
		OPENSSL_cleanse(copy, head->len); /* it held the Authorization line (C6) */
	free(copy);
	curl_slist_free_all(l);
	return err;
}

/* Sets every option of the attempt on cn->easy (freshly reset). */
static CURLcode set_options(const struct s3c *c, struct conn *cn, const struct op *op,
			    struct xfer *x, const char *url, struct curl_slist *headers)
{
	CURL *e = cn->easy;
	CURLcode rc;

	curl_easy_reset(e);
	if ((rc = curl_easy_setopt(e, CURLOPT_URL, url)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_SHARE, c->share)) ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    (rc = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https")) ||
#endif
	    (rc = curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)CURL_BUFFER)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_HEADERDATA, x)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body)) ||
	    (rc = curl_easy_setopt(e, CURLOPT_WRITEDATA, x)))
		return rc;
	if (c->ca_file[0] && (rc = curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file)))
		return rc;
	if (strcmp(op->method, "HEAD") == 0)
		return curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (strcmp(op->method, "GET") == 0)
		return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	if (strcmp(op->method, "PUT") == 0 || strcmp(op->method, "POST") == 0) {
		/* UPLOAD sends Content-Length from memory and no form Content-Type on POST. */
		if ((rc = curl_easy_setopt(e, CURLOPT_UPLOAD, 1L)) ||
		    (rc =
			 curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)op->body_len)) ||
		    (rc = curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read)) ||
		    (rc = curl_easy_setopt(e, CURLOPT_READDATA, x)) ||
		    (rc = curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek)) ||
		    (rc = curl_easy_setopt(e, CURLOPT_SEEKDATA, x)))
			return rc;
	}
	if (strcmp(op->method, "PUT") != 0)
		return curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, op->method);
	return CURLE_OK;
}

/* Signs the attempt now and adds it to the conn's multi. *headers must outlive the transfer. */
static s3err_t attempt_start(const struct s3c *c, struct conn *cn, const struct op *op,
			     struct xfer *x, struct curl_slist **headers)
{
	s3err_t err;
	struct buf url, head;
	struct s3c_header md5[1] = {{"content-md5", op->md5_b64}};
	const struct s3c_header *lists[3] = {op->own, op->hdrs, md5};
	size_t counts[3] = {op->nown, op->nhdrs, op->has_body ? 1u : 0u};
	CURLcode rc;

	buf_init(&url, S3C_MAX_URL, S3E_InternalError);
	buf_init(&head, MAX_HEAD_BYTES, S3E_InternalError);
	*headers = NULL;
	if ((err = prepare(c, op->method, op->bucket, op->key, op->query, op->nquery, lists, counts,
			   3, op->payload_hash, time(NULL), &url, &head)) ||
	    (err = head_to_slist(&head, headers)))
		goto out;
	err = S3E_InternalError;
	rc = set_options(c, cn, op, x, buf_str(&url), *headers);
	if (rc != CURLE_OK) {
		log_error(MOD, "%s: libcurl refused an option: %s", op->name,
			  curl_easy_strerror(rc));
		goto out;
	}
	if (curl_multi_add_handle(cn->multi, cn->easy) != CURLM_OK)
		goto out;
	err = S3E_OK;
out:
	if (head.data)
		OPENSSL_cleanse(head.data, head.len); /* it held the Authorization line (C6) */
	buf_free(&head);
	buf_free(&url);
	return err;
}

/*
 * Drives the transfer on cn until it ends (returns true, *cc its result) or,
 * with want_head, until the final response head arrived (returns false).
 */
static bool drive(struct conn *cn, const struct xfer *x, bool want_head, CURLcode *cc)
{
	for (;;) {
		int running = 0, left = 0;
		CURLMsg *m;

		if (curl_multi_perform(cn->multi, &running) != CURLM_OK) {
			*cc = CURLE_OUT_OF_MEMORY;
			return true;
		}
		while ((m = curl_multi_info_read(cn->multi, &left))) {
			if (m->msg == CURLMSG_DONE) {
				*cc = m->data.result;
				return true;
			}
		}
		if (want_head && x->head_done)
			return false;
		if (curl_multi_poll(cn->multi, NULL, 0, POLL_MS, NULL) != CURLM_OK) {
			*cc = CURLE_OUT_OF_MEMORY;
			return true;
		}
	}
}

/* ---- errors, retries, backoff ---- */

/*
 * Remote codes that mean the same to Strata's client as to us, so the
 * gateway answers with them. Codes that describe our own request to the
 * remote (SignatureDoesNotMatch, InvalidAccessKeyId, MalformedXML,
 * RequestTimeTooSkewed, BadDigest...) are not here: the client did nothing
 * wrong, so they become S3E_InternalError (and are logged).
 */
static const s3err_t passthrough[] = {
    S3E_AccessDenied,
    S3E_BucketAlreadyExists,
    S3E_BucketAlreadyOwnedByYou,
    S3E_BucketNotEmpty,
    S3E_EntityTooLarge,
    S3E_EntityTooSmall,
    S3E_InvalidBucketName,
    S3E_InvalidLocationConstraint,
    S3E_InvalidObjectState,
    S3E_InvalidPart,
    S3E_InvalidPartNumber,
    S3E_InvalidPartOrder,
    S3E_InvalidRange,
    S3E_InvalidStorageClass,
    S3E_KeyTooLongError,
    S3E_MetadataTooLarge,
    S3E_MethodNotAllowed,
    S3E_NoSuchBucket,
    S3E_NoSuchKey,
    S3E_NoSuchUpload,
    S3E_NoSuchVersion,
    S3E_NotImplemented,
    S3E_NotModified,
    S3E_PreconditionFailed,
    S3E_RestoreAlreadyInProgress,
    S3E_TooManyBuckets,
};

/*
 * Remote codes of a momentary failure: worth a retry. All but BadDigest
 * (our body was damaged on the way: resending from memory may pass) mean
 * the remote is unavailable, and become ServiceUnavailable when the
 * retries run out.
 */
static const char *const transient_codes[] = {
    "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "BadDigest",
};

static bool code_transient(const char *code)
{
	size_t i;

	for (i = 0; code && i < sizeof(transient_codes) / sizeof(transient_codes[0]); i++)
		if (strcmp(code, transient_codes[i]) == 0)
			return true;
	return false;
}

static bool code_unavailable(const char *code)
{
	return code_transient(code) && strcmp(code, "BadDigest") != 0;
}

/* See s3client.h. */
s3err_t s3c_map_error(long status, const char *code, bool object_op)
{
	size_t i;

	if (code && *code) {
		for (i = 0; i < sizeof(passthrough) / sizeof(passthrough[0]); i++)
			if (strcmp(code, s3err_code(passthrough[i])) == 0)
				return passthrough[i];
		if (code_unavailable(code))
			return S3E_ServiceUnavailable;
	}
	if (status >= 500)
		return status == 501 ? S3E_NotImplemented : S3E_ServiceUnavailable;
	if (code && *code)
		return S3E_InternalError; /* a code we do not pass on; see passthrough */
	switch (status) {
	case 304:
		return S3E_NotModified;
	case 403:
		return S3E_AccessDenied;
	case 404:
		return object_op ? S3E_NoSuchKey : S3E_NoSuchBucket;
	case 405: /* a HEAD of a delete marker by version id (no body) */
		return S3E_MethodNotAllowed;
	case 412:
		return S3E_PreconditionFailed;
	case 416:
		return S3E_InvalidRange;
	default:
		return S3E_InternalError;
	}
}

/* Transport failures that say the remote was unreachable or cut off: transient. */
static bool curl_transient(int cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* See s3client.h. */
bool s3c_retryable(int cc, long status, const char *code, bool idempotent)
{
	/* Nothing reached the remote: even a non-idempotent request may go again. */
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
		return true;
	if (!idempotent)
		return false;
	if (cc != CURLE_OK && curl_transient(cc))
		return true;
	if (code && *code)
		return code_transient(code) || (status >= 500 && status != 501);
	return status >= 500 && status != 501;
}

/* See s3client.h. */
unsigned s3c_backoff_ms(unsigned retry, unsigned base_ms, unsigned cap_ms, uint32_t rnd)
{
	uint64_t ceiling = base_ms;
	unsigned i;

	for (i = 0; i < retry && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	return (unsigned)(rnd % (ceiling + 1));
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Outcomes a caller expects in normal operation: logged at debug, not as warnings. */
static bool routine_error(s3err_t e)
{
	return e == S3E_NoSuchKey || e == S3E_NoSuchBucket || e == S3E_NoSuchUpload ||
	       e == S3E_PreconditionFailed || e == S3E_NotModified || e == S3E_InvalidRange ||
	       e == S3E_BucketAlreadyOwnedByYou || e == S3E_NoSuchVersion ||
	       e == S3E_MethodNotAllowed;
}

/* One log line per failed operation (C6: never a header, never the secret). */
static void log_failure(const struct s3c *c, const struct op *op, const struct s3c_result *r,
			const char *detail, s3err_t err)
{
	enum log_level lvl = routine_error(err) || c->quiet ? LOG_DEBUG : LOG_WARN;

	if (r->status)
		log_msg(lvl, MOD,
			"%s %s/%s: HTTP %ld %s \"%s\" (request id %s, %u attempt%s%s%s) -> %s",
			op->name, op->bucket ? op->bucket : "", op->key ? op->key : "", r->status,
			r->code[0] ? r->code : "-", r->message,
			r->request_id[0] ? r->request_id : "-", r->attempts,
			r->attempts == 1 ? "" : "s", detail && *detail ? "; " : "",
			detail ? detail : "", s3err_code(err));
	else
		log_msg(lvl, MOD, "%s %s/%s: %s (curl %d, %u attempt%s) -> %s", op->name,
			op->bucket ? op->bucket : "", op->key ? op->key : "",
			detail && *detail ? detail : curl_easy_strerror((CURLcode)r->curl_code),
			r->curl_code, r->attempts, r->attempts == 1 ? "" : "s", s3err_code(err));
}

/*
 * What a finished attempt means: S3E_OK, or the error and whether another
 * attempt may help. 2xx bodies of error_in_200 ops are checked for <Error>.
 */
static s3err_t classify(const struct op *op, struct xfer *x, CURLcode cc, bool *retry)
{
	struct s3c_result *r = x->res;
	bool object_op = op->key != NULL;

	*retry = false;
	r->curl_code = (int)cc;
	if (x->over_cap) {
		str_copy(x->errbuf, sizeof(x->errbuf), "the answer passed a size cap");
		return S3E_InternalError;
	}
	if (r->status >= 300 && x->head_done) {
		/* The body is the remote's <Error> if it sent one; a cut body still has a status.
		 */
		x->errbuf[0] = '\0'; /* curl's words for a body we chose to stop reading */
		(void)s3c_parse_error(x->body.data, x->body.len, r);
		*retry = s3c_retryable(CURLE_OK, r->status, r->code, op->idempotent);
		return s3c_map_error(r->status, r->code, object_op);
	}
	if (cc != CURLE_OK || !x->head_done) {
		if (cc == CURLE_OK)
			cc = CURLE_GOT_NOTHING;
		r->curl_code = (int)cc;
		*retry = s3c_retryable((int)cc, 0, NULL, op->idempotent);
		return curl_transient((int)cc) ? S3E_ServiceUnavailable : S3E_InternalError;
	}
	if (op->error_in_200 && s3c_parse_error(x->body.data, x->body.len, r) == S3E_OK) {
		*retry = s3c_retryable(CURLE_OK, r->status, r->code, op->idempotent);
		return s3c_map_error(r->status, r->code, object_op);
	}
	return S3E_OK;
}

/* Detaches the easy from its multi; the connection stays in the multi's cache (C2). */
static void attempt_end(struct conn *cn, struct curl_slist **headers)
{
	curl_multi_remove_handle(cn->multi, cn->easy);
	curl_slist_free_all(*headers);
	*headers = NULL;
}

/*
 * Runs op to its outcome: attempts, retries with backoff, the final log
 * line. A SINK_STREAM op that succeeds returns with its transfer still
 * running on *kept (and *kept_headers), the response head in x->res;
 * everything else returns its conn to the pool.
 */
static s3err_t exchange(struct s3c *c, const struct op *op, struct xfer *x, struct conn **kept,
			struct curl_slist **kept_headers)
{
	s3err_t err = S3E_InternalError;
	struct curl_slist *headers = NULL;
	bool stream = op->sink == SINK_STREAM;
	struct conn *cn;
	unsigned attempt, ms;
	bool retry = false;
	CURLcode cc = CURLE_OK;
	uint32_t rnd;

	x->res->attempts = 0;
	if (stream && (!kept || !kept_headers)) { /* cannot be: only s3c_get_open streams */
		result_reset(x->res);
		log_error(MOD, "%s: a streamed op with nowhere to keep its transfer", op->name);
		return S3E_InternalError;
	}
	cn = pool_get(c);
	if (!cn) {
		result_reset(x->res);
		log_error(MOD, "%s: out of memory for a connection", op->name);
		goto out;
	}
	for (attempt = 0; attempt <= c->max_retries; attempt++) {
		if (attempt) {
			if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
				rnd = 0;
			ms = s3c_backoff_ms(attempt - 1, c->retry_base_ms, c->retry_max_ms, rnd);

			log_info(MOD, "%s %s/%s: retry %u of %u in %u ms (%s)", op->name,
				 op->bucket ? op->bucket : "", op->key ? op->key : "", attempt,
				 c->max_retries, ms, s3err_code(err));
			sleep_ms(ms);
		}
		xfer_reset(x, op);
		x->res->attempts++;
		if ((err = attempt_start(c, cn, op, x, &headers))) {
			x->res->attempts--;
			goto out; /* a bad argument, or no memory: no request was sent */
		}
		if (!drive(cn, x, stream, &cc)) { /* false only when stream: the head came */
			if (stream && x->res->status >= 200 && x->res->status < 300) {
				*kept = cn;
				*kept_headers = headers;
				cn = NULL;
				err = S3E_OK;
				goto out;
			}
			(void)drive(cn, x, false, &cc); /* an error: read its (capped) body */
		}
		attempt_end(cn, &headers);
		err = classify(op, x, cc, &retry);
		if (!err && stream) {
			/* The whole (small) body came with the head: the stream reads the ring. */
			x->ended = true;
			*kept = cn;
			cn = NULL;
			goto out;
		}
		if (!err || !retry)
			break;
	}
	if (err)
		log_failure(c, op, x->res, x->errbuf, err);
out:
	pool_put(c, cn);
	return err;
}

/* Runs a non-streaming op; a SINK_BUF body is left in *body (caller frees). */
static s3err_t run(struct s3c *c, struct op *op, struct s3c_result *res, struct buf *body)
{
	struct s3c_result local;
	struct xfer x;
	s3err_t err;

	memset(&x, 0, sizeof(x));
	x.res = res ? res : &local;
	x.res->attempts = 0;
	buf_init(&x.body, op->sink == SINK_BUF ? op->cap : S3C_MAX_ERROR_BODY, S3E_InternalError);
	op_digests(c, op);
	err = exchange(c, op, &x, NULL, NULL);
	if (!err && body) {
		*body = x.body;
		buf_init(&x.body, 0, S3E_InternalError);
	}
	buf_free(&x.body);
	return err;
}

/* ---- operations ---- */

static void op_query(struct op *op, const char *name, const char *value)
{
	/* Sub-resources are names without a value; any other empty parameter is left out. */
	if (op->nquery < MAX_QUERY && value &&
	    (*value || strcmp(name, "uploads") == 0 || strcmp(name, "versioning") == 0 ||
	     strcmp(name, "versions") == 0))
		op->query[op->nquery++] = (struct s3c_header){name, value};
}

static void op_own(struct op *op, const char *name, const char *value)
{
	if (op->nown < MAX_OWN_HEADERS)
		op->own[op->nown++] = (struct s3c_header){name, value};
}

/* A query string parameter's value is a bounded string or absent. */
static bool param_ok(const char *v, size_t max)
{
	return !v || strlen(v) <= max;
}

/* See s3client.h. */
s3err_t s3c_bucket_create(struct s3c *c, const char *bucket, const char *location,
			  struct s3c_result *res)
{
	struct op op = {.name = "CreateBucket", .method = "PUT", .bucket = bucket};
	struct buf xml;
	s3err_t err;

	buf_init(&xml, S3C_MAX_SMALL_BODY, S3E_InvalidArgument);
	if (location && *location) {
		if ((err = xmlw_begin(&xml, "CreateBucketConfiguration")) ||
		    (err = xmlw_elem(&xml, "LocationConstraint", location)) ||
		    (err = xmlw_close(&xml, "CreateBucketConfiguration")))
			goto out;
		op.body = xml.data;
		op.body_len = xml.len;
		op.has_body = true;
		op_own(&op, "content-type", "application/xml");
	}
	err = run(c, &op, res, NULL);
out:
	buf_free(&xml);
	return err;
}

/* See s3client.h. */
s3err_t s3c_bucket_head(struct s3c *c, const char *bucket, struct s3c_result *res)
{
	struct op op = {
	    .name = "HeadBucket", .method = "HEAD", .bucket = bucket, .idempotent = true};

	return run(c, &op, res, NULL);
}

/* See s3client.h. */
s3err_t s3c_bucket_delete(struct s3c *c, const char *bucket, struct s3c_result *res)
{
	struct op op = {
	    .name = "DeleteBucket", .method = "DELETE", .bucket = bucket, .idempotent = true};

	return run(c, &op, res, NULL);
}

/* See s3client.h. */
s3err_t s3c_bucket_list(struct s3c *c, s3c_bucket_fn fn, void *arg, struct s3c_result *res)
{
	struct op op = {.name = "ListBuckets",
			.method = "GET",
			.idempotent = true,
			.sink = SINK_BUF,
			.cap = S3C_MAX_LIST_BODY};
	struct buf body;
	s3err_t err;

	buf_init(&body, 0, S3E_InternalError);
	if ((err = run(c, &op, res, &body)))
		goto out;
	if ((err = s3c_parse_bucket_list(body.data, body.len, fn, arg)) && err == S3E_InternalError)
		log_warn(MOD, "ListBuckets: the remote's answer is not a valid listing");
out:
	buf_free(&body);
	return err;
}

/* See s3client.h. */
s3err_t s3c_object_put(struct s3c *c, const char *bucket, const char *key, const void *data,
		       size_t len, const struct s3c_header *hdrs, size_t nhdrs,
		       struct s3c_result *res)
{
	struct op op = {.name = "PutObject",
			.method = "PUT",
			.bucket = bucket,
			.key = key,
			.hdrs = hdrs,
			.nhdrs = nhdrs,
			.body = data,
			.body_len = len,
			.has_body = true,
			.idempotent = true};
	s3err_t err;

	if ((!data && len) || len > STRATA_MAX_PUT_SIZE)
		return S3E_InvalidArgument;
	if ((err = check_caller_headers(hdrs, nhdrs)))
		return err;
	return run(c, &op, res, NULL);
}

/* See s3client.h. */
s3err_t s3c_object_head(struct s3c *c, const char *bucket, const char *key, struct s3c_result *res)
{
	return s3c_object_head_v(c, bucket, key, NULL, res);
}

/* See s3client.h. */
s3err_t s3c_object_head_v(struct s3c *c, const char *bucket, const char *key,
			  const char *version_id, struct s3c_result *res)
{
	struct op op = {.name = "HeadObject",
			.method = "HEAD",
			.bucket = bucket,
			.key = key,
			.idempotent = true};
	struct s3c_result local;
	s3err_t err;

	if (!res)
		res = &local;
	if (!param_ok(version_id, S3C_MAX_VERSION_ID - 1))
		return S3E_InvalidArgument;
	op_query(&op, "versionId", version_id);
	err = run(c, &op, res, NULL);
	if (!err)
		res->object_size = res->content_length;
	return err;
}

/* DeleteObject, of one version (version_id) or the key, with the caller's headers. */
static s3err_t object_delete(struct s3c *c, const char *bucket, const char *key,
			     const char *version_id, const struct s3c_header *hdrs, size_t nhdrs,
			     struct s3c_result *res)
{
	struct op op = {.name = "DeleteObject",
			.method = "DELETE",
			.bucket = bucket,
			.key = key,
			.hdrs = hdrs,
			.nhdrs = nhdrs,
			.idempotent = true};
	s3err_t err;

	if ((err = check_caller_headers(hdrs, nhdrs)))
		return err;
	if (!param_ok(version_id, S3C_MAX_VERSION_ID - 1))
		return S3E_InvalidArgument;
	op_query(&op, "versionId", version_id);
	return run(c, &op, res, NULL);
}

/* See s3client.h. */
s3err_t s3c_object_delete(struct s3c *c, const char *bucket, const char *key,
			  struct s3c_result *res)
{
	return object_delete(c, bucket, key, NULL, NULL, 0, res);
}

/* See s3client.h. */
s3err_t s3c_object_delete_hdrs(struct s3c *c, const char *bucket, const char *key,
			       const struct s3c_header *hdrs, size_t nhdrs, struct s3c_result *res)
{
	return object_delete(c, bucket, key, NULL, hdrs, nhdrs, res);
}

/* See s3client.h. */
s3err_t s3c_object_delete_v(struct s3c *c, const char *bucket, const char *key,
			    const char *version_id, struct s3c_result *res)
{
	return object_delete(c, bucket, key, version_id, NULL, 0, res);
}

/* "bucket/encoded-key" for x-amz-copy-source (the remote decodes it once). */
static s3err_t copy_source(const struct s3c *c, const char *bucket, const char *key,
			   struct buf *out)
{
	s3err_t err;

	if (!bucket_ok(c, bucket))
		return S3E_InvalidBucketName;
	if ((err = key_check(key)))
		return err;
	if ((err = buf_adds(out, bucket)) || (err = buf_add(out, "/", 1)))
		return err;
	return uri_encode(out, key, strlen(key), true);
}

/* Runs an op whose 200 carries a small result document with an ETag (copies, Complete). */
static s3err_t run_etag_op(struct s3c *c, struct op *op, const char *root, struct s3c_result *res)
{
	struct s3c_result local;
	struct buf body;
	s3err_t err;

	if (!res)
		res = &local;
	buf_init(&body, 0, S3E_InternalError);
	op->sink = SINK_BUF;
	op->cap = S3C_MAX_SMALL_BODY;
	op->error_in_200 = true;
	if ((err = run(c, op, res, &body)))
		goto out;
	if ((err = s3c_parse_etag_result(body.data, body.len, root, res->etag)))
		log_warn(MOD, "%s %s/%s: the remote's %s is not valid", op->name, op->bucket,
			 op->key, root);
out:
	buf_free(&body);
	return err;
}

/* See s3client.h. */
s3err_t s3c_object_copy(struct s3c *c, const char *bucket, const char *key, const char *src_bucket,
			const char *src_key, enum s3c_directive dir, const struct s3c_header *hdrs,
			size_t nhdrs, struct s3c_result *res)
{
	struct op op = {.name = "CopyObject",
			.method = "PUT",
			.bucket = bucket,
			.key = key,
			.hdrs = hdrs,
			.nhdrs = nhdrs,
			.idempotent = true};
	struct buf src;
	s3err_t err;

	buf_init(&src, 4 * STRATA_MAX_KEY_LEN, S3E_InvalidArgument);
	if ((dir != S3C_META_COPY && dir != S3C_META_REPLACE) || (dir == S3C_META_COPY && nhdrs)) {
		err = S3E_InvalidArgument;
		goto out;
	}
	if ((err = check_caller_headers(hdrs, nhdrs)) ||
	    (err = copy_source(c, src_bucket, src_key, &src)))
		goto out;
	op_own(&op, "x-amz-copy-source", buf_str(&src));
	op_own(&op, "x-amz-metadata-directive", dir == S3C_META_REPLACE ? "REPLACE" : "COPY");
	err = run_etag_op(c, &op, "CopyObjectResult", res);
out:
	buf_free(&src);
	return err;
}

/* See s3client.h. */
s3err_t s3c_list_objects_v2(struct s3c *c, const char *bucket, const struct s3c_list_params *p,
			    struct s3c_list_page *page, struct s3c_result *res)
{
	struct op op = {.name = "ListObjectsV2",
			.method = "GET",
			.bucket = bucket,
			.idempotent = true,
			.sink = SINK_BUF,
			.cap = S3C_MAX_LIST_BODY};
	char maxk[16];
	struct buf body;
	s3err_t err = S3E_InvalidArgument;

	buf_init(&body, 0, S3E_InternalError);
	if (!p || !page || !param_ok(p->prefix, STRATA_MAX_KEY_LEN) ||
	    !param_ok(p->start_after, STRATA_MAX_KEY_LEN) ||
	    !param_ok(p->delimiter, STRATA_MAX_DELIMITER_LEN) ||
	    !param_ok(p->continuation_token, STRATA_MAX_CONTINUATION_TOKEN) ||
	    p->max_keys > STRATA_MAX_LIST_KEYS)
		goto out;
	snprintf(maxk, sizeof(maxk), "%u", p->max_keys);
	op_query(&op, "list-type", "2");
	op_query(&op, "encoding-type", "url");
	op_query(&op, "prefix", p->prefix);
	op_query(&op, "delimiter", p->delimiter);
	op_query(&op, "start-after", p->start_after);
	op_query(&op, "continuation-token", p->continuation_token);
	if (p->max_keys)
		op_query(&op, "max-keys", maxk);
	if ((err = run(c, &op, res, &body)))
		goto out;
	if ((err = s3c_parse_list_v2(body.data, body.len, p, page)) && err == S3E_InternalError)
		log_warn(MOD, "ListObjectsV2 %s: the remote's answer is not a valid listing",
			 bucket);
out:
	buf_free(&body);
	return err;
}

/* See s3client.h. */
s3err_t s3c_list_versions(struct s3c *c, const char *bucket, const struct s3c_versions_params *p,
			  struct s3c_versions_page *page, struct s3c_result *res)
{
	struct op op = {.name = "ListObjectVersions",
			.method = "GET",
			.bucket = bucket,
			.idempotent = true,
			.sink = SINK_BUF,
			.cap = S3C_MAX_LIST_BODY};
	char maxk[16];
	struct buf body;
	s3err_t err = S3E_InvalidArgument;

	buf_init(&body, 0, S3E_InternalError);
	if (!p || !page || !param_ok(p->prefix, STRATA_MAX_KEY_LEN) ||
	    !param_ok(p->key_marker, STRATA_MAX_KEY_LEN) ||
	    !param_ok(p->version_id_marker, S3C_MAX_VERSION_ID - 1) ||
	    p->max_keys > STRATA_MAX_LIST_KEYS)
		goto out;
	snprintf(maxk, sizeof(maxk), "%u", p->max_keys);
	op_query(&op, "versions", "");
	op_query(&op, "encoding-type", "url");
	op_query(&op, "prefix", p->prefix);
	op_query(&op, "key-marker", p->key_marker);
	op_query(&op, "version-id-marker", p->version_id_marker);
	if (p->max_keys)
		op_query(&op, "max-keys", maxk);
	if ((err = run(c, &op, res, &body)))
		goto out;
	if ((err = s3c_parse_list_versions(body.data, body.len, p, page)) &&
	    err == S3E_InternalError)
		log_warn(MOD, "ListObjectVersions %s: the remote's answer is not a valid listing",
			 bucket);
out:
	buf_free(&body);
	return err;
}

/* See s3client.h. */
s3err_t s3c_bucket_versioning_put(struct s3c *c, const char *bucket, bool enabled,
				  struct s3c_result *res)
{
	struct op op = {
	    .name = "PutBucketVersioning", .method = "PUT", .bucket = bucket, .idempotent = true};
	struct buf xml;
	s3err_t err;

	buf_init(&xml, S3C_MAX_SMALL_BODY, S3E_InvalidArgument);
	if ((err = xmlw_begin(&xml, "VersioningConfiguration")) ||
	    (err = xmlw_elem(&xml, "Status", enabled ? "Enabled" : "Suspended")) ||
	    (err = xmlw_close(&xml, "VersioningConfiguration")))
		goto out;
	op_query(&op, "versioning", "");
	op.body = xml.data;
	op.body_len = xml.len;
	op.has_body = true;
	op_own(&op, "content-type", "application/xml");
	err = run(c, &op, res, NULL);
out:
	buf_free(&xml);
	return err;
}

/* See s3client.h. */
s3err_t s3c_bucket_versioning_get(struct s3c *c, const char *bucket, char status[16],
				  struct s3c_result *res)
{
	struct op op = {.name = "GetBucketVersioning",
			.method = "GET",
			.bucket = bucket,
			.idempotent = true,
			.sink = SINK_BUF,
			.cap = S3C_MAX_SMALL_BODY};
	struct buf body;
	s3err_t err;

	buf_init(&body, 0, S3E_InternalError);
	op_query(&op, "versioning", "");
	if ((err = run(c, &op, res, &body)))
		goto out;
	if ((err = s3c_parse_versioning(body.data, body.len, status)))
		log_warn(MOD, "GetBucketVersioning %s: the remote's answer is not valid", bucket);
out:
	buf_free(&body);
	return err;
}

/* ---- GET stream ---- */

/* "bytes a-b/total" -> a, b, total; false when malformed (total "*" is not accepted). */
static bool parse_content_range(const char *v, uint64_t *a, uint64_t *b, uint64_t *total)
{
	const char *dash, *slash;

	if (!v || strncmp(v, "bytes ", 6) != 0)
		return false;
	v += 6;
	dash = strchr(v, '-');
	slash = dash ? strchr(dash, '/') : NULL;
	if (!dash || !slash)
		return false;
	return parse_u64(v, (size_t)(dash - v), 0, UINT64_MAX, a) &&
	       parse_u64(dash + 1, (size_t)(slash - dash - 1), 0, UINT64_MAX, b) &&
	       parse_u64_str(slash + 1, 1, UINT64_MAX, total) && *a <= *b && *b < *total;
}

/*
 * Checks that the response is the bytes asked for: a ranged request must
 * get 206 with a Content-Range starting at `start` and ending no later
 * than asked (S3 clips the end to the object), a whole GET a 200 with a
 * length. Fills object_size.
 */
static s3err_t check_range(struct s3c_result *r, bool ranged, uint64_t start, uint64_t last)
{
	uint64_t a, b, total;

	if (!r->has_length)
		return S3E_InternalError;
	if (!ranged) {
		if (r->status != 200)
			return S3E_InternalError;
		r->object_size = r->content_length;
		return S3E_OK;
	}
	if (r->status != 206 ||
	    !parse_content_range(s3c_result_header(r, "content-range"), &a, &b, &total) ||
	    a != start || b > last || r->content_length != b - a + 1)
		return S3E_InternalError;
	r->object_size = total;
	return S3E_OK;
}

/* See s3client.h. */
s3err_t s3c_get_open(struct s3c *c, const char *bucket, const char *key, uint64_t range_start,
		     uint64_t range_len, struct s3c_stream **out, struct s3c_result *res)
{
	return s3c_get_open_if(c, bucket, key, range_start, range_len, NULL, out, res);
}

/* See s3client.h. */
s3err_t s3c_get_open_if(struct s3c *c, const char *bucket, const char *key, uint64_t range_start,
			uint64_t range_len, const char *if_match, struct s3c_stream **out,
			struct s3c_result *res)
{
	return s3c_get_open_v(c, bucket, key, NULL, range_start, range_len, if_match, out, res);
}

/* See s3client.h. */
s3err_t s3c_get_open_v(struct s3c *c, const char *bucket, const char *key, const char *version_id,
		       uint64_t range_start, uint64_t range_len, const char *if_match,
		       struct s3c_stream **out, struct s3c_result *res)
{
	struct op op = {.name = "GetObject",
			.method = "GET",
			.bucket = bucket,
			.key = key,
			.idempotent = true,
			.sink = SINK_STREAM};
	struct s3c_stream *s = NULL;
	bool ranged = !(range_start == 0 && range_len == S3C_RANGE_ALL);
	uint64_t last = range_len == S3C_RANGE_ALL ? UINT64_MAX - 1 : range_start + range_len - 1;
	char range[64], match[S3C_MAX_ETAG + 2];
	s3err_t err = S3E_InvalidArgument;

	if (if_match && if_match[0]) {
		if (snprintf(match, sizeof(match), "\"%s\"", if_match) >= (int)sizeof(match))
			goto out;
		op_own(&op, "if-match", match);
	}
	if (!param_ok(version_id, S3C_MAX_VERSION_ID - 1))
		goto out;
	op_query(&op, "versionId", version_id);
	if (range_len == 0 ||
	    (range_len != S3C_RANGE_ALL && range_len - 1 > UINT64_MAX - 1 - range_start))
		goto out;
	err = S3E_InternalError;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->x.ring = malloc(S3C_STREAM_BUFFER)))
		goto out;
	s->c = c;
	s->x.res = &s->res;
	buf_init(&s->x.body, S3C_MAX_ERROR_BODY, S3E_InternalError);
	if (ranged) {
		if (range_len == S3C_RANGE_ALL)
			snprintf(range, sizeof(range), "bytes=%llu-",
				 (unsigned long long)range_start);
		else
			snprintf(range, sizeof(range), "bytes=%llu-%llu",
				 (unsigned long long)range_start, (unsigned long long)last);
		op_own(&op, "range", range);
	}
	op_digests(c, &op);
	err = exchange(c, &op, &s->x, &s->cn, &s->headers);
	if (!err && (err = check_range(&s->res, ranged, range_start, last))) {
		log_warn(MOD,
			 "GetObject %s/%s: the remote answered HTTP %ld %s, not the range asked",
			 bucket, key, s->res.status,
			 s3c_result_header(&s->res, "content-range")
			     ? s3c_result_header(&s->res, "content-range")
			     : "(no Content-Range)");
	}
	if (res)
		*res = s->res;
	if (err)
		goto out;
	s->want = s->res.content_length;
	if (s->x.ended && s->x.body_bytes != s->want) {
		err = S3E_ServiceUnavailable;
		goto out;
	}
	s->done = s->x.ended;
	str_copy(s->op_bucket, sizeof(s->op_bucket), bucket);
	str_copy(s->op_key, sizeof(s->op_key), key);
	*out = s;
	s = NULL;
out:
	s3c_stream_close(s);
	return err;
}

/* Moves up to len ring bytes into dst; returns how many. */
static size_t ring_take(struct xfer *x, char *dst, size_t len)
{
	size_t n = x->r_len < len ? x->r_len : len;

	memcpy(dst, x->ring + x->r_off, n);
	x->r_off += n;
	x->r_len -= n;
	if (x->r_len == 0)
		x->r_off = 0;
	return n;
}

/* The transfer ended: was the body whole? Sets the sticky error if not. */
static void stream_finish(struct s3c_stream *s, CURLcode cc)
{
	s->done = true;
	curl_multi_remove_handle(s->cn->multi, s->cn->easy);
	if (cc == CURLE_OK && !s->x.over_cap && s->x.body_bytes == s->want)
		return;
	s->res.curl_code = (int)cc;
	if (s->x.over_cap)
		s->err = S3E_InternalError;
	else if (cc == CURLE_OK)
		s->err = S3E_ServiceUnavailable; /* a body of the wrong length: cut in transit */
	else
		s->err = curl_transient((int)cc) ? S3E_ServiceUnavailable : S3E_InternalError;
	log_warn(MOD, "GetObject %s/%s: the body broke off after %llu of %llu bytes: %s -> %s",
		 s->op_bucket, s->op_key, (unsigned long long)s->x.body_bytes,
		 (unsigned long long)s->want, s->x.errbuf[0] ? s->x.errbuf : curl_easy_strerror(cc),
		 s3err_code(s->err));
}

/* One step of the transfer: unpause if the ring is drained, perform, wait if nothing came. */
static void stream_pump(struct s3c_stream *s)
{
	int running = 0, left = 0;
	CURLMsg *m;

	if (s->x.paused && s->x.r_len == 0) {
		s->x.paused = false;
		/* May call on_body at once with the held chunk, which fits the empty ring. */
		if (curl_easy_pause(s->cn->easy, CURLPAUSE_CONT) != CURLE_OK) {
			stream_finish(s, CURLE_RECV_ERROR);
			return;
		}
	}
	if (curl_multi_perform(s->cn->multi, &running) != CURLM_OK) {
		stream_finish(s, CURLE_OUT_OF_MEMORY);
		return;
	}
	while ((m = curl_multi_info_read(s->cn->multi, &left))) {
		if (m->msg == CURLMSG_DONE) {
			stream_finish(s, m->data.result);
			return;
		}
	}
	if (s->x.r_len == 0 && !s->x.paused &&
	    curl_multi_poll(s->cn->multi, NULL, 0, POLL_MS, NULL) != CURLM_OK)
		stream_finish(s, CURLE_OUT_OF_MEMORY);
}

/* See s3client.h. */
s3err_t s3c_stream_read(struct s3c_stream *s, void *buf, size_t len, size_t *got)
{
	size_t n = 0;

	*got = 0;
	while (n < len && !s->err) {
		if (s->x.r_len) {
			n += ring_take(&s->x, (char *)buf + n, len - n);
			continue;
		}
		if (s->done)
			break;
		stream_pump(s);
	}
	if (s->err)
		return s->err;
	*got = n;
	return S3E_OK;
}

/* See s3client.h. */
void s3c_stream_close(struct s3c_stream *s)
{
	if (!s)
		return;
	if (s->cn) {
		if (!s->done) /* the rest of the body is not drained: the connection is closed */
			curl_multi_remove_handle(s->cn->multi, s->cn->easy);
		pool_put(s->c, s->cn);
	}
	curl_slist_free_all(s->headers);
	buf_free(&s->x.body);
	free(s->x.ring);
	free(s);
}

/* ---- multipart uploads ---- */

/* An upload id and part number for the query; the id bounded, the number 1..10000. */
static bool upload_args_ok(const char *upload_id, unsigned part, bool with_part)
{
	size_t n = upload_id ? strlen(upload_id) : 0;

	if (n == 0 || n >= S3C_MAX_UPLOAD_ID)
		return false;
	return !with_part || (part >= 1 && part <= STRATA_MAX_PARTS);
}

/* See s3client.h. */
s3err_t s3c_mpu_create(struct s3c *c, const char *bucket, const char *key,
		       const struct s3c_header *hdrs, size_t nhdrs,
		       char upload_id[S3C_MAX_UPLOAD_ID], struct s3c_result *res)
{
	struct op op = {.name = "CreateMultipartUpload",
			.method = "POST",
			.bucket = bucket,
			.key = key,
			.hdrs = hdrs,
			.nhdrs = nhdrs,
			.sink = SINK_BUF,
			.cap = S3C_MAX_SMALL_BODY};
	struct buf body;
	s3err_t err;

	buf_init(&body, 0, S3E_InternalError);
	op_query(&op, "uploads", "");
	if ((err = check_caller_headers(hdrs, nhdrs)) || (err = run(c, &op, res, &body)))
		goto out;
	if ((err = s3c_parse_initiate(body.data, body.len, upload_id)))
		log_warn(MOD, "CreateMultipartUpload %s/%s: no valid UploadId in the answer",
			 bucket, key);
out:
	buf_free(&body);
	return err;
}

/* See s3client.h. */
s3err_t s3c_mpu_upload_part(struct s3c *c, const char *bucket, const char *key,
			    const char *upload_id, unsigned part, const void *data, size_t len,
			    struct s3c_result *res)
{
	struct op op = {.name = "UploadPart",
			.method = "PUT",
			.bucket = bucket,
			.key = key,
			.body = data,
			.body_len = len,
			.has_body = true,
			.idempotent = true};
	char num[16];

	if (!upload_args_ok(upload_id, part, true) || (!data && len) || len > STRATA_MAX_PART_SIZE)
		return S3E_InvalidArgument;
	snprintf(num, sizeof(num), "%u", part);
	op_query(&op, "partNumber", num);
	op_query(&op, "uploadId", upload_id);
	return run(c, &op, res, NULL);
}

/* See s3client.h. */
s3err_t s3c_mpu_upload_part_copy(struct s3c *c, const char *bucket, const char *key,
				 const char *upload_id, unsigned part, const char *src_bucket,
				 const char *src_key, uint64_t src_start, uint64_t src_len,
				 struct s3c_result *res)
{
	struct op op = {.name = "UploadPartCopy",
			.method = "PUT",
			.bucket = bucket,
			.key = key,
			.idempotent = true};
	char num[16], range[64];
	struct buf src;
	s3err_t err = S3E_InvalidArgument;

	buf_init(&src, 4 * STRATA_MAX_KEY_LEN, S3E_InvalidArgument);
	if (!upload_args_ok(upload_id, part, true) || src_len == 0 ||
	    (src_len != S3C_RANGE_ALL && src_len - 1 > UINT64_MAX - 1 - src_start) ||
	    (src_len == S3C_RANGE_ALL && src_start != 0))
		goto out;
	if ((err = copy_source(c, src_bucket, src_key, &src)))
		goto out;
	snprintf(num, sizeof(num), "%u", part);
	op_query(&op, "partNumber", num);
	op_query(&op, "uploadId", upload_id);
	op_own(&op, "x-amz-copy-source", buf_str(&src));
	if (src_len != S3C_RANGE_ALL) {
		snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)src_start,
			 (unsigned long long)(src_start + src_len - 1));
		op_own(&op, "x-amz-copy-source-range", range);
	}
	err = run_etag_op(c, &op, "CopyPartResult", res);
out:
	buf_free(&src);
	return err;
}

/* The CompleteMultipartUpload document for parts[0..n), checked first. */
static s3err_t complete_xml(const struct s3c_part *parts, size_t n, struct buf *xml)
{
	s3err_t err;
	char quoted[S3C_MAX_ETAG + 2];
	size_t i;

	if (n == 0 || n > STRATA_MAX_PARTS || !parts)
		return S3E_InvalidArgument;
	for (i = 0; i < n; i++) {
		size_t el = parts[i].etag ? strlen(parts[i].etag) : 0;

		if (parts[i].number < 1 || parts[i].number > STRATA_MAX_PARTS || el == 0 ||
		    el >= S3C_MAX_ETAG)
			return S3E_InvalidArgument;
		if (i && parts[i].number <= parts[i - 1].number)
			return S3E_InvalidPartOrder;
	}
	if ((err = xmlw_begin(xml, "CompleteMultipartUpload")))
		return err;
	for (i = 0; i < n; i++) {
		const char *e = parts[i].etag;

		if (e[0] == '"')
			snprintf(quoted, sizeof(quoted), "%s", e);
		else
			snprintf(quoted, sizeof(quoted), "\"%s\"", e);
		if ((err = xmlw_open(xml, "Part")) ||
		    (err = xmlw_elem_u64(xml, "PartNumber", parts[i].number)) ||
		    (err = xmlw_elem(xml, "ETag", quoted)) || (err = xmlw_close(xml, "Part")))
			return err;
	}
	return xmlw_close(xml, "CompleteMultipartUpload");
}

/* See s3client.h. */
s3err_t s3c_mpu_complete(struct s3c *c, const char *bucket, const char *key, const char *upload_id,
			 const struct s3c_part *parts, size_t n, struct s3c_result *res)
{
	return s3c_mpu_complete_hdrs(c, bucket, key, upload_id, parts, n, NULL, 0, res);
}

/* See s3client.h. */
s3err_t s3c_mpu_complete_hdrs(struct s3c *c, const char *bucket, const char *key,
			      const char *upload_id, const struct s3c_part *parts, size_t n,
			      const struct s3c_header *hdrs, size_t nhdrs, struct s3c_result *res)
{
	struct op op = {.name = "CompleteMultipartUpload",
			.method = "POST",
			.bucket = bucket,
			.key = key,
			.hdrs = hdrs,
			.nhdrs = nhdrs,
			.has_body = true,
			.idempotent = true};
	struct buf xml;
	s3err_t err = S3E_InvalidArgument;

	buf_init(&xml, STRATA_MAX_COMPLETE_XML_BODY, S3E_InvalidArgument);
	if ((err = check_caller_headers(hdrs, nhdrs)))
		goto out;
	err = S3E_InvalidArgument;
	if (!upload_args_ok(upload_id, 0, false) || (err = complete_xml(parts, n, &xml)))
		goto out;
	op_query(&op, "uploadId", upload_id);
	op_own(&op, "content-type", "application/xml");
	op.body = xml.data;
	op.body_len = xml.len;
	err = run_etag_op(c, &op, "CompleteMultipartUploadResult", res);
out:
	buf_free(&xml);
	return err;
}

/* See s3client.h. */
s3err_t s3c_mpu_abort(struct s3c *c, const char *bucket, const char *key, const char *upload_id,
		      struct s3c_result *res)
{
	struct op op = {.name = "AbortMultipartUpload",
			.method = "DELETE",
			.bucket = bucket,
			.key = key,
			.idempotent = true};

	if (!upload_args_ok(upload_id, 0, false))
		return S3E_InvalidArgument;
	op_query(&op, "uploadId", upload_id);
	return run(c, &op, res, NULL);
}

/* See s3client.h. */
s3err_t s3c_mpu_list(struct s3c *c, const char *bucket, const struct s3c_mpu_list_params *p,
		     struct s3c_mpu_list_page *page, struct s3c_result *res)
{
	struct op op = {.name = "ListMultipartUploads",
			.method = "GET",
			.bucket = bucket,
			.idempotent = true,
			.sink = SINK_BUF,
			.cap = S3C_MAX_LIST_BODY};
	char maxu[16];
	struct buf body;
	s3err_t err = S3E_InvalidArgument;

	buf_init(&body, 0, S3E_InternalError);
	if (!p || !page || !param_ok(p->prefix, STRATA_MAX_KEY_LEN) ||
	    !param_ok(p->key_marker, STRATA_MAX_KEY_LEN) ||
	    !param_ok(p->upload_id_marker, S3C_MAX_UPLOAD_ID - 1) ||
	    p->max_uploads > STRATA_MAX_LIST_KEYS)
		goto out;
	snprintf(maxu, sizeof(maxu), "%u", p->max_uploads);
	op_query(&op, "uploads", "");
	op_query(&op, "encoding-type", "url");
	op_query(&op, "prefix", p->prefix);
	op_query(&op, "key-marker", p->key_marker);
	op_query(&op, "upload-id-marker", p->upload_id_marker);
	if (p->max_uploads)
		op_query(&op, "max-uploads", maxu);
	if ((err = run(c, &op, res, &body)))
		goto out;
	if ((err = s3c_parse_mpu_list(body.data, body.len, p, page)) && err == S3E_InternalError)
		log_warn(MOD, "ListMultipartUploads %s: the remote's answer is not a valid listing",
			 bucket);
out:
	buf_free(&body);
	return err;
}
