/*
 * console: the web console (issue 13), served by the admin listener under
 * /console/ when `console = on` (the default with an admin listener).
 *
 *   GET  /console/, /console/app.js, /console/style.css   the page, embedded
 *        in the binary at build time (console/, console/bin2c.c)
 *   POST /console/api/login     form access_key, secret: 204 + a session
 *        cookie (HttpOnly, SameSite=Strict, Path=/console/), 403 otherwise
 *   POST /console/api/logout    ends the session
 *   GET  /console/api/session   who is logged in, and the S3 endpoint
 *   GET  /console/api/buckets   the user's buckets, objects and bytes per
 *        storage class (a bounded walk of the backend)
 *   GET  /console/api/history   the dashboard's samples over time (JSON,
 *        dashboard.h), kept by the server
 *   POST /console/api/presign   form op, bucket, key..., presigned URLs
 *        signed with the session user's keys, for the page to use against
 *        the S3 listener directly
 *
 * Design: the secret is checked once, at login, and never returns to the
 * page; the session (a random 256-bit token, kept in memory, bounded) only
 * buys presigned URLs of a fixed set of operations, so what the console can
 * do is exactly what the user's keys can do on the S3 listener, checked
 * there. The S3 listener answers CORS for the console's origin(s) on
 * presigned requests (console_cors_allowed). Every /console/api/ request
 * must carry "X-Strata-Console: 1": a cross-origin page cannot send that
 * header without a preflight, which the admin listener never grants (CSRF),
 * on top of SameSite=Strict.
 */
#ifndef STRATA_CONSOLE_H
#define STRATA_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "../backends/backend.h"
#include "../common/buf.h"
#include "../common/config.h"
#include "dashboard.h"
#include "users.h"

#define CONSOLE_COOKIE "strata_console"
#define CONSOLE_TOKEN_HEX 64 /* 256 random bits in hex */

/* ---- sessions: a bounded in-memory table (pure; unit-tested) ---- */

struct console_session {
	char token[CONSOLE_TOKEN_HEX + 1];
	char user[USER_NAME_MAX + 1];
	char access_key[STRATA_MAX_ACCESS_KEY_LEN + 1];
	int64_t expires; /* seconds since the epoch */
};

struct console_sessions;

/* A table of at most cap sessions living ttl seconds each. NULL when out of memory. */
struct console_sessions *console_sessions_new(size_t cap, unsigned ttl);
/* Wipes the tokens and frees the table. NULL is fine. */
void console_sessions_free(struct console_sessions *t);

/*
 * Starts a session for user/access_key at now, writing its fresh random
 * token into token[]. Expired sessions are dropped first; when the table is
 * still full the session closest to its end is evicted (logins need valid
 * keys, so only a user can push others out). Returns -1 when no random
 * bytes could be had.
 */
int console_session_create(struct console_sessions *t, const char *user, const char *access_key,
			   int64_t now, char token[CONSOLE_TOKEN_HEX + 1]);

/*
 * Finds the live session of token (compared in constant time) and copies it
 * to *out. An expired one is removed and not found.
 */
bool console_session_get(struct console_sessions *t, const char *token, int64_t now,
			 struct console_session *out);

/* Ends the session of token (a no-op when there is none). */
void console_session_delete(struct console_sessions *t, const char *token);

/* How many sessions the table holds (expired ones included until touched). */
size_t console_session_count(struct console_sessions *t);

/*
 * ---- login throttling: failed logins per client address (pure; unit-tested) ----
 * An address that failed max_failures times within window seconds of its
 * first failure is refused (429) until that window ends, whatever it sends:
 * guessing secrets costs a window per max_failures tries. A success clears
 * the address. At most cap addresses are remembered; a new one replaces the
 * one whose window started first.
 */
struct console_throttle;

struct console_throttle *console_throttle_new(size_t cap, unsigned max_failures, unsigned window);
void console_throttle_free(struct console_throttle *t);
/* Seconds addr must still wait before trying again (0: it may try now). */
unsigned console_throttle_wait(struct console_throttle *t, const char *addr, int64_t now);
void console_throttle_failed(struct console_throttle *t, const char *addr, int64_t now);
void console_throttle_passed(struct console_throttle *t, const char *addr);

/* ---- pure helpers (unit-tested) ---- */

/*
 * The session token of a Cookie header ("a=b; strata_console=HEX; c=d"):
 * true with token[] filled when the cookie is there and is 64 lowercase hex.
 */
bool console_cookie_token(const char *cookie, char token[CONSOLE_TOKEN_HEX + 1]);

/*
 * Iterates an application/x-www-form-urlencoded body: from *pos, finds the
 * next pair named name and appends its value, decoded ('+' as space), to
 * out. Returns S3E_OK with *found, or out's errors (too big, or a malformed
 * %-escape: S3E_InvalidURI). Start with *pos = 0; *found false at the end.
 */
s3err_t console_form_next(const char *body, size_t len, const char *name, size_t *pos,
			  struct buf *out, bool *found);

/*
 * true when origin may read the S3 listener's answers to presigned requests:
 * one of cfg->console_origins, or when none are configured, the admin
 * listener's own origin (http://HOST:PORT; a loopback or any-address
 * listener also as http://127.0.0.1:PORT and http://localhost:PORT).
 */
bool console_cors_allowed(const struct config *cfg, const char *origin);

/*
 * The S3 endpoint the page's presigned URLs point at: cfg->console_endpoint,
 * or http(s)://HOST:PORT of `listen`, where an any-address listen host is
 * replaced by the host the browser used to reach the admin listener
 * (host_header, port dropped; NULL or bad: 127.0.0.1). Appends to out.
 */
s3err_t console_endpoint(const struct config *cfg, const char *host_header, struct buf *out);

/* ---- the listener's side ---- */

struct console;

/*
 * The console of cfg (NULL when cfg->console is off). Borrows cfg, be and
 * dash (the history it serves; NULL: an empty one). -1 on failure.
 */
int console_new(const struct config *cfg, struct backend *be, struct dashboard *dash,
		struct console **out);
void console_free(struct console *c);

/* true when url belongs to the console ("/" redirects to it). */
bool console_owns(const struct console *c, const char *url);

/*
 * The admin listener's access handler for a console url: collects a bounded
 * body into *con_cls (its own state; free it with console_request_done) and
 * answers at the end.
 */
enum MHD_Result console_request(struct console *c, struct MHD_Connection *conn, const char *url,
				const char *method, const char *data, size_t *data_size,
				void **con_cls);

/* Frees the state console_request kept in *con_cls (from the completed callback). */
void console_request_done(void *state);

#endif
