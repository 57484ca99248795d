/* console: the web console's sessions, API and embedded page (see console.h). */
#include "console.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../common/httptime.h"
#include "../common/jsonw.h"
#include "../common/log.h"
#include "../common/names.h"
#include "../common/sse.h"
#include "../common/strutil.h"
#include "console_assets.h"
#include "presign.h"

/* ---- sessions ---- */

struct console_sessions {
	pthread_mutex_t lock; /* the admin listener has one thread; the lock costs nothing */
	size_t cap, n;
	unsigned ttl;
	struct console_session *items;
};

struct console_sessions *console_sessions_new(size_t cap, unsigned ttl)
{
	struct console_sessions *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->items = calloc(cap ? cap : 1, sizeof(*t->items));
	if (!t->items) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->cap = cap ? cap : 1;
	t->ttl = ttl;
	return t;
}

void console_sessions_free(struct console_sessions *t)
{
	if (!t)
		return;
	OPENSSL_cleanse(t->items, t->cap * sizeof(*t->items));
	free(t->items);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Removes items[i] (order does not matter), wiping the slot it vacates. */
static void drop(struct console_sessions *t, size_t i)
{
	t->items[i] = t->items[t->n - 1];
	OPENSSL_cleanse(&t->items[t->n - 1], sizeof(t->items[0]));
	t->n--;
}

int console_session_create(struct console_sessions *t, const char *user, const char *access_key,
			   int64_t now, char token[CONSOLE_TOKEN_HEX + 1])
{
	unsigned char rnd[CONSOLE_TOKEN_HEX / 2];
	struct console_session *s;
	size_t i, oldest = 0;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	hex_encode(rnd, sizeof(rnd), token);
	token[CONSOLE_TOKEN_HEX] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n;) {
		if (t->items[i].expires <= now)
			drop(t, i);
		else
			i++;
	}
	if (t->n == t->cap) {
		for (i = 1; i < t->n; i++)
			if (t->items[i].expires < t->items[oldest].expires)
				oldest = i;
		drop(t, oldest);
	}
	s = &t->items[t->n++];
	memcpy(s->token, token, CONSOLE_TOKEN_HEX + 1);
	str_copy(s->user, sizeof(s->user), user);
	str_copy(s->access_key, sizeof(s->access_key), access_key);
	s->expires = now + (int64_t)t->ttl;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* The index of token's session, or t->n. Every slot is compared: no early exit on a match. */
static size_t find(struct console_sessions *t, const char *token)
{
	size_t i, at = t->n;

	if (strlen(token) != CONSOLE_TOKEN_HEX)
		return t->n;
	for (i = 0; i < t->n; i++)
		if (CRYPTO_memcmp(t->items[i].token, token, CONSOLE_TOKEN_HEX) == 0)
			at = i;
	return at;
}

bool console_session_get(struct console_sessions *t, const char *token, int64_t now,
			 struct console_session *out)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&t->lock);
	i = find(t, token);
	if (i < t->n && t->items[i].expires <= now)
		drop(t, i);
	else if (i < t->n) {
		*out = t->items[i];
		found = true;
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

void console_session_delete(struct console_sessions *t, const char *token)
{
	size_t i;

	pthread_mutex_lock(&t->lock);
	i = find(t, token);
	if (i < t->n)
		drop(t, i);
	pthread_mutex_unlock(&t->lock);
}

size_t console_session_count(struct console_sessions *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* ---- login throttling ---- */

#define THROTTLE_ADDR_MAX 64 /* an IPv6 address in text is at most 45 bytes */

struct throttle_entry {
	char addr[THROTTLE_ADDR_MAX];
	int64_t start; /* the window's start: the first failure counted */
	unsigned failures;
};

struct console_throttle {
	pthread_mutex_t lock;
	size_t cap, n;
	unsigned max_failures, window;
	struct throttle_entry *items;
};

struct console_throttle *console_throttle_new(size_t cap, unsigned max_failures, unsigned window)
{
	struct console_throttle *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cap = cap ? cap : 1;
	t->items = calloc(t->cap, sizeof(*t->items));
	if (!t->items) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->max_failures = max_failures ? max_failures : 1;
	t->window = window;
	return t;
}

void console_throttle_free(struct console_throttle *t)
{
	if (!t)
		return;
	free(t->items);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static struct throttle_entry *throttle_find(struct console_throttle *t, const char *addr)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i].addr, addr) == 0)
			return &t->items[i];
	return NULL;
}

unsigned console_throttle_wait(struct console_throttle *t, const char *addr, int64_t now)
{
	struct throttle_entry *e;
	unsigned wait = 0;

	pthread_mutex_lock(&t->lock);
	e = throttle_find(t, addr);
	if (e && e->failures >= t->max_failures && now < e->start + (int64_t)t->window)
		wait = (unsigned)(e->start + (int64_t)t->window - now);
	pthread_mutex_unlock(&t->lock);
	return wait;
}

void console_throttle_failed(struct console_throttle *t, const char *addr, int64_t now)
{
	struct throttle_entry *e;

	pthread_mutex_lock(&t->lock);
	e = throttle_find(t, addr);
	if (!e) {
		if (t->n < t->cap) {
			e = &t->items[t->n++];
		} else { /* replace the entry whose window started first */
			e = &t->items[0];
			for (size_t i = 1; i < t->n; i++)
				if (t->items[i].start < e->start)
					e = &t->items[i];
		}
		str_copy(e->addr, sizeof(e->addr), addr);
		e->failures = 0;
		e->start = now;
	}
	if (now >= e->start + (int64_t)t->window) { /* a new window */
		e->failures = 0;
		e->start = now;
	}
	e->failures++;
	pthread_mutex_unlock(&t->lock);
}

void console_throttle_passed(struct console_throttle *t, const char *addr)
{
	struct throttle_entry *e;

	pthread_mutex_lock(&t->lock);
	e = throttle_find(t, addr);
	if (e)
		*e = t->items[--t->n];
	pthread_mutex_unlock(&t->lock);
}

/* ---- pure helpers ---- */

static bool same_origin(const char *origin, const char *host, uint16_t port)
{
	char want[300];
	int n = snprintf(want, sizeof(want), strchr(host, ':') ? "http://[%s]:%u" : "http://%s:%u",
			 host, (unsigned)port);

	return n > 0 && (size_t)n < sizeof(want) && strcmp(origin, want) == 0;
}

bool console_cors_allowed(const struct config *cfg, const char *origin)
{
	const char *h = cfg->admin_host;

	if (!origin || !cfg->console || cfg->admin_port == 0)
		return false;
	if (cfg->nconsole_origins) {
		for (unsigned i = 0; i < cfg->nconsole_origins; i++)
			if (strcmp(origin, cfg->console_origins[i]) == 0)
				return true;
		return false;
	}
	if (h[0] && same_origin(origin, h, cfg->admin_port))
		return true;
	/* A loopback or any-address listener is reached on loopback by a browser on the host. */
	if (!h[0] || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0 ||
	    strcmp(h, "127.0.0.1") == 0 || strcmp(h, "::1") == 0 || strcmp(h, "localhost") == 0)
		return same_origin(origin, "127.0.0.1", cfg->admin_port) ||
		       same_origin(origin, "localhost", cfg->admin_port) ||
		       same_origin(origin, "::1", cfg->admin_port);
	return false;
}

/*
 * The host of a Host header, without its port, when it is a plain name or
 * address (it goes into URLs and a CSP header: nothing else may pass).
 */
static bool host_of(const char *hdr, char *out, size_t cap)
{
	size_t n = 0;

	if (!hdr)
		return false;
	if (hdr[0] == '[') {
		const char *close = strchr(hdr, ']');

		if (!close)
			return false;
		n = (size_t)(close - hdr) + 1;
		for (size_t i = 1; i + 1 < n; i++)
			if (!strchr("0123456789abcdefABCDEF:.", hdr[i]))
				return false;
	} else {
		while (hdr[n] && hdr[n] != ':') {
			char ch = hdr[n];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
				return false;
			n++;
		}
	}
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, hdr, n);
	out[n] = '\0';
	return true;
}

s3err_t console_endpoint(const struct config *cfg, const char *host_header, struct buf *out)
{
	const char *scheme = cfg->tls_cert[0] ? "https" : "http";
	const char *h = cfg->listen_host;
	char seen[260];

	if (cfg->console_endpoint[0])
		return buf_adds(out, cfg->console_endpoint);
	if (!h[0] || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0) {
		if (host_of(host_header, seen, sizeof(seen)))
			return buf_addf(out, "%s://%s:%u", scheme, seen,
					(unsigned)cfg->listen_port);
		h = "127.0.0.1";
	}
	return buf_addf(out, strchr(h, ':') ? "%s://[%s]:%u" : "%s://%s:%u", scheme, h,
			(unsigned)cfg->listen_port);
}

/* ---- the listener's side ---- */

struct console {
	const struct config *cfg;
	struct backend *be;
	struct dashboard *dash; /* NULL: no history */
	struct users *users;	/* our own view of DATA/credentials: it reloads itself */
	struct console_sessions *sessions;
	struct console_throttle *throttle; /* failed logins per client address */
};

/* One console request's state (*con_cls): its body, bounded. */
struct creq {
	struct buf body;
	bool too_big;
};

int console_new(const struct config *cfg, struct backend *be, struct dashboard *dash,
		struct console **out)
{
	struct console *c;

	*out = NULL;
	if (!cfg->console)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->cfg = cfg;
	c->be = be;
	c->dash = dash;
	c->sessions = console_sessions_new(STRATA_CONSOLE_SESSIONS, cfg->console_session_ttl);
	c->throttle =
	    console_throttle_new(STRATA_CONSOLE_THROTTLE_ADDRS, STRATA_CONSOLE_LOGIN_FAILURES,
				 STRATA_CONSOLE_LOGIN_WINDOW);
	if (!c->sessions || !c->throttle || users_open(cfg->data_dir, &c->users) != 0) {
		console_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	console_sessions_free(c->sessions);
	console_throttle_free(c->throttle);
	if (c->users)
		users_close(c->users);
	free(c);
}

bool console_owns(const struct console *c, const char *url)
{
	return c && (strcmp(url, "/") == 0 || strcmp(url, "/console") == 0 ||
		     str_starts(url, "/console/"));
}

void console_request_done(void *state)
{
	struct creq *q = state;

	if (!q)
		return;
	/* A login body holds a secret. */
	if (q->body.data)
		OPENSSL_cleanse(q->body.data, q->body.len);
	buf_free(&q->body);
	free(q);
}

static void security_headers(struct console *c, struct MHD_Connection *conn,
			     struct MHD_Response *resp)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	struct buf csp;

	buf_init(&csp, 1024, S3E_InternalError);
	/* connect-src: the page talks to this listener and, by presigned URLs, to S3. */
	if (buf_adds(&csp, "default-src 'self'; script-src 'self'; style-src 'self'; "
			   "img-src 'self' data:; connect-src 'self' ") == S3E_OK &&
	    console_endpoint(c->cfg, host, &csp) == S3E_OK &&
	    buf_adds(&csp, "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'") ==
		S3E_OK)
		MHD_add_response_header(resp, "Content-Security-Policy", buf_str(&csp));
	else /* never weaker: without the S3 endpoint the page only loses its data */
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'self'; frame-ancestors 'none'");
	buf_free(&csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

/*
 * Queues body (freed with free; static_body: not freed) with the console's
 * headers; cookie, when set, becomes a Set-Cookie.
 */
static enum MHD_Result answer(struct console *c, struct MHD_Connection *conn, unsigned status,
			      const char *type, const char *cache, void *body, size_t len,
			      bool static_body, const char *cookie)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (static_body)
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	else
		resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!resp) {
		if (!static_body)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", cache);
	security_headers(c, conn, resp);
	if (cookie)
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Sends the JSON b holds (taking it) or, when err, a 500. */
static enum MHD_Result send_json(struct console *c, struct MHD_Connection *conn, unsigned status,
				 struct buf *b, s3err_t err, const char *cookie)
{
	size_t len = b->len;
	char *body;

	if (err) {
		buf_free(b);
		status = 500;
		body = strdup("{\"error\":\"the answer did not fit\"}");
		len = body ? strlen(body) : 0;
	} else
		body = buf_take(b);
	if (!body)
		return MHD_NO;
	return answer(c, conn, status, "application/json", "no-store", body, len, false, cookie);
}

/* {"error":"msg"} with status. */
static enum MHD_Result fail(struct console *c, struct MHD_Connection *conn, unsigned status,
			    const char *msg)
{
	struct buf b;
	s3err_t err;

	buf_init(&b, 1024, S3E_InternalError);
	err = buf_adds(&b, "{");
	if (!err)
		err = jsonw_kv_str(&b, "error", msg);
	if (!err)
		err = buf_adds(&b, "}");
	return send_json(c, conn, status, &b, err, NULL);
}

static const char *asset_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (dot && strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (dot && strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	return "text/html; charset=utf-8";
}

static enum MHD_Result serve_asset(struct console *c, struct MHD_Connection *conn, const char *name)
{
	for (size_t i = 0; i < console_nassets; i++)
		if (strcmp(console_assets[i].name, name) == 0)
			/* no-cache: revalidated each time, so an upgraded server's page is used */
			return answer(c, conn, 200, asset_type(name), "no-cache",
				      (void *)console_assets[i].data, console_assets[i].len, true,
				      NULL);
	return fail(c, conn, 404, "no such file");
}

/* The caller's live session, from its cookie. */
static bool session_of(struct console *c, struct MHD_Connection *conn, struct console_session *s,
		       char token[CONSOLE_TOKEN_HEX + 1])
{
	const char *cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");

	return console_cookie_token(cookie, token) &&
	       console_session_get(c->sessions, token, (int64_t)time(NULL), s);
}

/* SHA-256 of s into out: secrets are compared as digests, in constant time whatever their lengths.
 */
static void digest(const char *s, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL);
}

/* The first value of name in the body into out[cap]; false when absent, malformed or too long. */
static bool form_value(const struct creq *q, const char *name, char *out, size_t cap)
{
	struct buf v;
	size_t pos = 0;
	bool found = false, ok;

	buf_init(&v, cap - 1, S3E_InvalidArgument);
	ok = console_form_next(q->body.data ? (const char *)q->body.data : "", q->body.len, name,
			       &pos, &v, &found) == S3E_OK &&
	     found;
	if (ok)
		memcpy(out, v.len ? buf_str(&v) : "", v.len + 1);
	if (v.data)
		OPENSSL_cleanse(v.data, v.len);
	buf_free(&v);
	return ok;
}

/* The client's address as text into out[THROTTLE_ADDR_MAX] ("?" when unknown). */
static void client_addr(struct MHD_Connection *conn, char *out)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	str_copy(out, THROTTLE_ADDR_MAX, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  THROTTLE_ADDR_MAX);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, THROTTLE_ADDR_MAX);
}

static enum MHD_Result login(struct console *c, struct MHD_Connection *conn, const struct creq *q)
{
	char ak[STRATA_MAX_ACCESS_KEY_LEN + 1], secret[STRATA_MAX_SECRET_KEY_LEN + 1];
	char token[CONSOLE_TOKEN_HEX + 1], cookie[256];
	unsigned char want[32], got[32];
	struct user u;
	bool known, ok;
	struct buf b;
	s3err_t err;

	char addr[THROTTLE_ADDR_MAX], msg[128];
	unsigned wait;

	client_addr(conn, addr);
	/* Checked before the secret is: a throttled address learns nothing from its tries. */
	if ((wait = console_throttle_wait(c->throttle, addr, (int64_t)time(NULL)))) {
		snprintf(msg, sizeof(msg), "too many failed logins: try again in %u s", wait);
		return fail(c, conn, 429, msg);
	}
	if (!form_value(q, "access_key", ak, sizeof(ak)) ||
	    !form_value(q, "secret", secret, sizeof(secret)))
		return fail(c, conn, 400, "send access_key and secret (a form)");
	known = users_lookup(c->users, ak, &u);
	/* An unknown key costs the same digests: its answer time tells nothing. */
	digest(known ? u.secret : "no such user", want);
	digest(secret, got);
	ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0 && known;
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(u.secret, sizeof(u.secret));
	if (!ok) {
		console_throttle_failed(c->throttle, addr, (int64_t)time(NULL));
		log_warn("console", "login refused for access key %.40s from %s", ak, addr);
		return fail(c, conn, 403, "wrong access key or secret");
	}
	console_throttle_passed(c->throttle, addr);
	if (console_session_create(c->sessions, u.name, u.access_key, (int64_t)time(NULL), token) !=
	    0)
		return fail(c, conn, 500, "no random bytes for a session");
	/* No Secure: the admin listener speaks plain HTTP (keep it on loopback or a VPN). */
	snprintf(cookie, sizeof(cookie),
		 CONSOLE_COOKIE "=%s; Path=/console/; HttpOnly; SameSite=Strict; Max-Age=%u", token,
		 c->cfg->console_session_ttl);
	OPENSSL_cleanse(token, sizeof(token));
	log_info("console", "%s logged in", u.name);
	buf_init(&b, 1024, S3E_InternalError);
	err = buf_adds(&b, "{");
	if (!err)
		err = jsonw_kv_str(&b, "user", u.name);
	if (!err)
		err = buf_adds(&b, "}");
	return send_json(c, conn, 200, &b, err, cookie);
}

static enum MHD_Result logout(struct console *c, struct MHD_Connection *conn)
{
	const char *cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
	char token[CONSOLE_TOKEN_HEX + 1];
	struct buf b;

	if (console_cookie_token(cookie, token))
		console_session_delete(c->sessions, token);
	buf_init(&b, 64, S3E_InternalError);
	return send_json(c, conn, 200, &b, buf_adds(&b, "{}"),
			 CONSOLE_COOKIE "=; Path=/console/; HttpOnly; SameSite=Strict; Max-Age=0");
}

static enum MHD_Result session_info(struct console *c, struct MHD_Connection *conn,
				    const struct console_session *s)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	struct buf b, ep;
	s3err_t err;

	buf_init(&b, 4096, S3E_InternalError);
	buf_init(&ep, 512, S3E_InternalError);
	err = console_endpoint(c->cfg, host, &ep);
	if (!err)
		err = buf_adds(&b, "{");
	if (!err)
		err = jsonw_kv_str(&b, "user", s->user);
	if (!err)
		err = jsonw_kv_str(&b, "access_key", s->access_key);
	if (!err)
		err = jsonw_kv_str(&b, "endpoint", buf_str(&ep));
	if (!err)
		err = jsonw_kv_str(&b, "region", c->cfg->region);
	if (!err)
		err = jsonw_kv_u64(&b, "expires_in", (uint64_t)(s->expires - (int64_t)time(NULL)));
	if (!err)
		err = buf_adds(&b, "}");
	buf_free(&ep);
	return send_json(c, conn, 200, &b, err, NULL);
}

/* ---- GET /console/api/buckets ---- */

#define CLASSES_MAX 8 /* storage classes counted per bucket; more go to "OTHER" */

struct class_sum {
	char name[STRATA_STORAGE_CLASS_MAX];
	uint64_t objects, bytes;
};

struct bucket_sum {
	char name[STRATA_BUCKET_NAME_MAX + 1];
	int64_t created_ms;
	uint64_t objects, bytes;
	struct class_sum classes[CLASSES_MAX];
	unsigned nclasses;
	bool truncated;
};

struct owned {
	const char *user;
	struct bucket_sum *items;
	size_t n, cap;
};

static bool collect_owned(void *ctx, const struct bucket_info *b)
{
	struct owned *o = ctx;

	if (strcmp(b->owner, o->user) != 0)
		return true;
	if (o->n == o->cap)
		return false;
	str_copy(o->items[o->n].name, sizeof(o->items[0].name), b->name);
	o->items[o->n].created_ms = b->created_ms;
	o->n++;
	return true;
}

struct scan {
	struct bucket_sum *sum;
	char last[STRATA_MAX_KEY_LEN + 1];
	size_t seen;	 /* in this batch */
	uint64_t budget; /* objects left to read, over all buckets */
};

static bool add_object(void *ctx, const char *key, const struct obj_meta *m)
{
	struct scan *s = ctx;
	const char *cls = m->storage_class[0] ? m->storage_class : "STANDARD";
	struct class_sum *cs = NULL;
	unsigned i;

	str_copy(s->last, sizeof(s->last), key);
	s->seen++;
	s->budget--;
	s->sum->objects++;
	s->sum->bytes += m->size;
	for (i = 0; i < s->sum->nclasses && !cs; i++)
		if (strcmp(s->sum->classes[i].name, cls) == 0)
			cs = &s->sum->classes[i];
	if (!cs && s->sum->nclasses < CLASSES_MAX) {
		cs = &s->sum->classes[s->sum->nclasses++];
		str_copy(cs->name, sizeof(cs->name), cls);
	}
	if (cs) {
		cs->objects++;
		cs->bytes += m->size;
	}
	return s->budget > 0;
}

/*
 * Sums one bucket by object_scan in batches of 1000, spending at most
 * s->budget objects: the summary costs O(objects) reads of the index, so a
 * large store shows "at least" figures (truncated) rather than stalling
 * the admin listener.
 */
static s3err_t sum_bucket(struct console *c, struct scan *s)
{
	bool first = true;
	s3err_t err;

	s->last[0] = '\0';
	for (;;) {
		s->seen = 0;
		if (s->budget == 0) {
			s->sum->truncated = true;
			return S3E_OK;
		}
		err = backend_object_scan(c->be, s->sum->name, s->last, first, "", 1000, add_object,
					  s);
		first = false;
		if (err)
			return err;
		if (s->seen < 1000) {
			if (s->budget == 0) /* stopped by the budget, maybe mid-batch */
				s->sum->truncated = s->seen > 0;
			return S3E_OK;
		}
	}
}

static s3err_t bucket_json(struct buf *b, const struct bucket_sum *s)
{
	char when[25];
	s3err_t err;

	httptime_format_iso_ms(s->created_ms, when);
	if ((err = buf_adds(b, "{")) || (err = jsonw_kv_str(b, "name", s->name)) ||
	    (err = jsonw_kv_str(b, "created", when)) ||
	    (err = jsonw_kv_u64(b, "objects", s->objects)) ||
	    (err = jsonw_kv_u64(b, "bytes", s->bytes)) ||
	    (err = jsonw_kv_bool(b, "truncated", s->truncated)) ||
	    (err = buf_adds(b, ",\"classes\":[")))
		return err;
	for (unsigned i = 0; i < s->nclasses; i++) {
		if ((err = buf_adds(b, i ? ",{" : "{")) ||
		    (err = jsonw_kv_str(b, "class", s->classes[i].name)) ||
		    (err = jsonw_kv_u64(b, "objects", s->classes[i].objects)) ||
		    (err = jsonw_kv_u64(b, "bytes", s->classes[i].bytes)) ||
		    (err = buf_adds(b, "}")))
			return err;
	}
	return buf_adds(b, "]}");
}

static enum MHD_Result buckets(struct console *c, struct MHD_Connection *conn,
			       const struct console_session *sess)
{
	struct owned o = {sess->user, NULL, 0, STRATA_CONSOLE_MAX_URLS};
	struct scan *s = calloc(1, sizeof(*s));
	struct buf b;
	s3err_t err;

	o.items = calloc(o.cap, sizeof(*o.items));
	if (!s || !o.items) {
		free(s);
		free(o.items);
		return fail(c, conn, 500, "out of memory");
	}
	buf_init(&b, 4u * 1024 * 1024, S3E_InternalError);
	s->budget = STRATA_CONSOLE_SCAN_MAX;
	err = backend_bucket_list(c->be, collect_owned, &o);
	if (!err)
		err = buf_adds(&b, "{\"buckets\":[");
	for (size_t i = 0; !err && i < o.n; i++) {
		s->sum = &o.items[i];
		err = sum_bucket(c, s);
		if (err == S3E_NoSuchBucket) { /* deleted meanwhile */
			err = S3E_OK;
			continue;
		}
		if (!err && i && (err = buf_adds(&b, ",")))
			break;
		if (!err)
			err = bucket_json(&b, &o.items[i]);
	}
	if (!err)
		err = buf_addf(&b, "],\"scan_limit\":%u}", STRATA_CONSOLE_SCAN_MAX);
	free(s);
	free(o.items);
	if (err && err != S3E_InternalError) {
		buf_free(&b);
		return fail(c, conn, 500, s3err_code(err));
	}
	return send_json(c, conn, 200, &b, err, NULL);
}

/* ---- POST /console/api/presign ---- */

/* The operations the page may have signed, and only these (console.h). */
static const struct presign_op {
	const char *op;
	const char *method;
	bool object;	 /* needs keys; one URL per key */
	const char *sub; /* a sub-resource parameter, or NULL */
} presign_ops[] = {
    {"list", "GET", false, NULL},	  /* ListObjectsV2, Delimiter '/' */
    {"head", "HEAD", true, NULL},	  /* the object's headers (SHA-256, status) */
    {"get", "GET", true, NULL},		  /* download: Content-Disposition attachment */
    {"share", "GET", true, NULL},	  /* a link to hand on, with the chosen expiry */
    {"put", "PUT", true, NULL},		  /* upload */
    {"delete", "DELETE", true, NULL},	  /* DeleteObject */
    {"restore", "POST", true, "restore"}, /* RestoreObject */
    {"create_bucket", "PUT", false, NULL},
    {"lifecycle", "GET", false, "lifecycle"},
    {"replication", "GET", false, "replication"},
};

#define NOPS (sizeof(presign_ops) / sizeof(presign_ops[0]))

struct presign_form {
	const struct presign_op *op;
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char prefix[STRATA_MAX_KEY_LEN + 1];
	char token[STRATA_MAX_CONTINUATION_TOKEN + 1];
	uint64_t expires;
};

/* One URL for key (the bucket's own when key is ""), appended to out as a JSON string. */
static s3err_t sign_one(struct console *c, const struct presign_form *f, const struct user *u,
			const char *endpoint, const char *key, struct buf *out)
{
	struct presign_request p = {0};
	struct sigv4_kv extra[PRESIGN_MAX_EXTRA];
	struct buf url;
	s3err_t err;

	p.endpoint = endpoint;
	p.region = c->cfg->region;
	p.method = f->op->method;
	p.bucket = f->bucket;
	p.key = key;
	p.expires = f->expires;
	p.now = time(NULL);
	p.extra = extra;
	if (f->op->sub)
		extra[p.nextra++] = (struct sigv4_kv){f->op->sub, ""};
	if (strcmp(f->op->op, "list") == 0) {
		extra[p.nextra++] = (struct sigv4_kv){"list-type", "2"};
		extra[p.nextra++] = (struct sigv4_kv){"delimiter", "/"};
		extra[p.nextra++] = (struct sigv4_kv){"prefix", f->prefix};
		if (f->token[0])
			extra[p.nextra++] = (struct sigv4_kv){"continuation-token", f->token};
	}
	if (strcmp(f->op->op, "get") == 0)
		extra[p.nextra++] = (struct sigv4_kv){"response-content-disposition", "attachment"};
	buf_init(&url, 16384, S3E_InternalError);
	err = presign_url(&p, u, &url);
	if (!err)
		err = jsonw_str(out, buf_str(&url), url.len);
	buf_free(&url);
	return err;
}

static const char *read_presign_form(const struct creq *q, struct presign_form *f)
{
	char op[32], num[24];

	memset(f, 0, sizeof(*f));
	if (!form_value(q, "op", op, sizeof(op)))
		return "name the operation (op)";
	for (size_t i = 0; i < NOPS && !f->op; i++)
		if (strcmp(presign_ops[i].op, op) == 0)
			f->op = &presign_ops[i];
	if (!f->op)
		return "unknown operation";
	if (!form_value(q, "bucket", f->bucket, sizeof(f->bucket)) ||
	    !names_bucket_valid(f->bucket))
		return "bad or missing bucket name";
	if (form_value(q, "prefix", f->prefix, sizeof(f->prefix)) &&
	    !utf8_valid(f->prefix, strlen(f->prefix)))
		return "bad prefix";
	if (form_value(q, "token", f->token, sizeof(f->token)) &&
	    !utf8_valid(f->token, strlen(f->token)))
		return "bad continuation token";
	f->expires = STRATA_CONSOLE_URL_EXPIRES;
	if (strcmp(f->op->op, "share") == 0 &&
	    (!form_value(q, "expires", num, sizeof(num)) ||
	     !parse_u64_str(num, 1, STRATA_PRESIGN_MAX_EXPIRES, &f->expires)))
		return "expires must be 1 to 604800 seconds";
	return NULL;
}

static enum MHD_Result presign(struct console *c, struct MHD_Connection *conn, const struct creq *q,
			       const struct console_session *sess)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *body = q->body.data ? (const char *)q->body.data : "";
	struct presign_form f;
	struct buf out, ep, key;
	const char *why;
	size_t pos = 0, n = 0;
	bool found = true;
	struct user u;
	s3err_t err;

	if ((why = read_presign_form(q, &f)))
		return fail(c, conn, 400, why);
	/* Keys are looked up again: a user removed or re-keyed since the login signs nothing. */
	if (!users_lookup(c->users, sess->access_key, &u) || strcmp(u.name, sess->user) != 0) {
		console_session_delete(c->sessions, sess->token);
		return fail(c, conn, 401, "the session's user no longer has these keys");
	}
	buf_init(&out, 4u * 1024 * 1024, S3E_InternalError);
	buf_init(&ep, 512, S3E_InternalError);
	buf_init(&key, STRATA_MAX_KEY_LEN, S3E_InvalidArgument);
	err = console_endpoint(c->cfg, host, &ep);
	if (!err)
		err = buf_addf(&out, "{\"expires\":%llu,\"urls\":[", (unsigned long long)f.expires);
	if (!err && !f.op->object)
		err = sign_one(c, &f, &u, buf_str(&ep), "", &out);
	while (!err && f.op->object) {
		buf_reset(&key);
		err = console_form_next(body, q->body.len, "key", &pos, &key, &found);
		if (err || !found)
			break;
		if (key.len == 0 || names_key_check(buf_str(&key), key.len) != S3E_OK ||
		    ++n > STRATA_CONSOLE_MAX_URLS) {
			err = S3E_InvalidArgument;
			break;
		}
		if (n > 1)
			err = buf_adds(&out, ",");
		if (!err)
			err = sign_one(c, &f, &u, buf_str(&ep), buf_str(&key), &out);
	}
	OPENSSL_cleanse(u.secret, sizeof(u.secret));
	if (!err && f.op->object && n == 0)
		err = S3E_InvalidArgument;
	if (!err)
		err = buf_adds(&out, "]}");
	buf_free(&ep);
	buf_free(&key);
	if (err == S3E_InvalidArgument || err == S3E_InvalidURI) {
		buf_free(&out);
		return fail(c, conn, 400, "bad, missing or too many keys");
	}
	return send_json(c, conn, 200, &out, err, NULL);
}

/* ---- routing ---- */

static enum MHD_Result redirect(struct console *c, struct MHD_Connection *conn)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Location", "/console/");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	security_headers(c, conn, resp);
	ret = MHD_queue_response(conn, 302, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The dashboard's history (dashboard.h); asking for it also asks for fresh usage. */
static enum MHD_Result history(struct console *c, struct MHD_Connection *conn)
{
	struct buf b;
	s3err_t err;

	buf_init(&b, DASH_HISTORY_MAX_JSON, S3E_InternalError);
	if (!c->dash)
		err = buf_adds(&b, "{\"fine\":[],\"coarse\":[]}");
	else {
		dashboard_poke(c->dash);
		err = dashboard_history_json(c->dash, &b);
	}
	return send_json(c, conn, 200, &b, err, NULL);
}

static enum MHD_Result api(struct console *c, struct MHD_Connection *conn, const char *what,
			   const char *method, const struct creq *q)
{
	const char *mark = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Strata-Console");
	bool post = strcmp(method, "POST") == 0;
	char token[CONSOLE_TOKEN_HEX + 1];
	struct console_session s;
	enum MHD_Result ret;

	/* Only the console's own script sends this header (CSRF: console.h). */
	if (!mark || strcmp(mark, "1") != 0)
		return fail(c, conn, 403, "console API requests carry X-Strata-Console: 1");
	if (q->too_big)
		return fail(c, conn, 413, "request body too large");
	if (strcmp(what, "login") == 0)
		return post ? login(c, conn, q) : fail(c, conn, 405, "only POST");
	if (strcmp(what, "logout") == 0)
		return post ? logout(c, conn) : fail(c, conn, 405, "only POST");
	if (!session_of(c, conn, &s, token))
		return fail(c, conn, 401, "log in first");
	if (strcmp(what, "session") == 0 && !post)
		ret = session_info(c, conn, &s);
	else if (strcmp(what, "buckets") == 0 && !post)
		ret = buckets(c, conn, &s);
	else if (strcmp(what, "history") == 0 && !post)
		ret = history(c, conn);
	else if (strcmp(what, "presign") == 0 && post)
		ret = presign(c, conn, q, &s);
	else
		ret = fail(c, conn, 404, "no such console API (or wrong method)");
	OPENSSL_cleanse(&s, sizeof(s));
	OPENSSL_cleanse(token, sizeof(token));
	return ret;
}

enum MHD_Result console_request(struct console *c, struct MHD_Connection *conn, const char *url,
				const char *method, const char *data, size_t *data_size,
				void **con_cls)
{
	struct creq *q = *con_cls;

	if (!q) { /* the head: answer once the body (if any) is in */
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		buf_init(&q->body, STRATA_CONSOLE_MAX_BODY, S3E_MaxMessageLengthExceeded);
		*con_cls = q;
		return MHD_YES;
	}
	if (*data_size) {
		if (!q->too_big && buf_add(&q->body, data, *data_size) != S3E_OK)
			q->too_big = true;
		*data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/") == 0 || strcmp(url, "/console") == 0)
		return redirect(c, conn);
	if (str_starts(url, "/console/api/"))
		return api(c, conn, url + strlen("/console/api/"), method, q);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return fail(c, conn, 405, "only GET and HEAD");
	if (strcmp(url, "/console/") == 0)
		return serve_asset(c, conn, "index.html");
	return serve_asset(c, conn, url + strlen("/console/"));
}
