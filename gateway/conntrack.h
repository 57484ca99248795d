/*
 * conntrack: the server's own register of its client connections, for the
 * two things libmicrohttpd does not do itself:
 *
 *  - header_timeout: a connection must deliver a whole request head within
 *    header_timeout seconds of its accept or of the end of its previous
 *    request. libmicrohttpd's connection_timeout only counts idle time, which
 *    a client sending one header byte every few seconds (slowloris) never
 *    reaches, so without this a few hundred such clients hold every
 *    connection slot forever.
 *  - the requests in flight, which a graceful shutdown waits for.
 *
 * Invariants:
 *  C1 A connection is registered from libmicrohttpd's NOTIFY_STARTED to its
 *     NOTIFY_CLOSED, and libmicrohttpd closes the socket only after
 *     NOTIFY_CLOSED returned. conntrack_sweep shuts a socket down under the
 *     register's lock, so it never touches a descriptor already reused by
 *     another connection.
 *  C2 A connection's head deadline is 0 from the end of a request head to the
 *     end of that request: the body and the response are governed by the
 *     idle timeout, not by header_timeout.
 *  C3 in_flight counts the requests between conntrack_head_done and
 *     conntrack_request_done; each head_done is matched by one request_done.
 *
 * The sweep cuts a connection with shutdown(2): libmicrohttpd's thread for
 * it then sees the end of the stream and closes it the normal way (any
 * request object is released by the usual completion callback).
 */
#ifndef STRATA_CONNTRACK_H
#define STRATA_CONNTRACK_H

#include <stdint.h>

struct conntrack;
struct conntrack_conn;

/* A register whose head deadline is header_timeout_s seconds. NULL when out of memory. */
struct conntrack *conntrack_new(unsigned header_timeout_s);
/* Frees the register (every connection must be closed by then). NULL is fine. */
void conntrack_free(struct conntrack *ct);

/*
 * Registers a new connection on socket fd, its head deadline starting now.
 * Returns its handle (kept by the caller as libmicrohttpd's socket context),
 * or NULL when out of memory (the connection is then simply not policed).
 */
struct conntrack_conn *conntrack_opened(struct conntrack *ct, int fd);
/* Unregisters and frees c (NOTIFY_CLOSED). NULL is fine. */
void conntrack_closed(struct conntrack *ct, struct conntrack_conn *c);

/* c's request head arrived: no head deadline until the request ends (C2). NULL is fine. */
void conntrack_head_done(struct conntrack *ct, struct conntrack_conn *c);
/* c's request ended: the next head is due within header_timeout. NULL is fine. */
void conntrack_request_done(struct conntrack *ct, struct conntrack_conn *c);

/*
 * Cuts every connection whose head deadline passed by now_ms (a
 * CLOCK_MONOTONIC time, conntrack_now_ms) and returns how many it cut.
 */
unsigned conntrack_sweep(struct conntrack *ct, uint64_t now_ms);

/* Requests between head_done and request_done right now (C3). */
uint64_t conntrack_in_flight(const struct conntrack *ct);
/* Connections registered right now. */
uint64_t conntrack_open(const struct conntrack *ct);

/* The monotonic clock conntrack's deadlines use, in milliseconds. */
uint64_t conntrack_now_ms(void);

#endif
