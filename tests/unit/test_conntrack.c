/* conntrack: head deadlines cut late connections, and only those; requests in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../gateway/conntrack.h"

/* true once the peer of fd was shut down: a read sees the end of the stream. */
static bool peer_cut(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* A connection that sends no head is cut at its deadline, not before (C1). */
static void test_late_head_is_cut(void **state)
{
	struct conntrack *ct = conntrack_new(2);
	struct conntrack_conn *c;
	uint64_t now = conntrack_now_ms();
	int sv[2];

	(void)state;
	pair(sv);
	c = conntrack_opened(ct, sv[0]);
	assert_non_null(c);
	assert_int_equal(conntrack_open(ct), 1);
	assert_int_equal(conntrack_sweep(ct, now + 1000), 0);
	assert_false(peer_cut(sv[1]));
	assert_int_equal(conntrack_sweep(ct, now + 2500), 1);
	assert_true(peer_cut(sv[1]));
	/* Cut once: later sweeps leave it to the connection's own thread. */
	assert_int_equal(conntrack_sweep(ct, now + 5000), 0);
	conntrack_closed(ct, c);
	assert_int_equal(conntrack_open(ct), 0);
	close(sv[0]);
	close(sv[1]);
	conntrack_free(ct);
}

/* While a request runs there is no head deadline (C2); its end starts a new one. */
static void test_request_suspends_deadline(void **state)
{
	struct conntrack *ct = conntrack_new(1);
	struct conntrack_conn *c;
	int sv[2];

	(void)state;
	pair(sv);
	c = conntrack_opened(ct, sv[0]);
	conntrack_head_done(ct, c);
	assert_int_equal(conntrack_in_flight(ct), 1);
	assert_int_equal(conntrack_sweep(ct, conntrack_now_ms() + 3600 * 1000), 0);
	assert_false(peer_cut(sv[1]));
	conntrack_request_done(ct, c);
	assert_int_equal(conntrack_in_flight(ct), 0);
	assert_int_equal(conntrack_sweep(ct, conntrack_now_ms() + 500), 0);
	assert_int_equal(conntrack_sweep(ct, conntrack_now_ms() + 1500), 1);
	assert_true(peer_cut(sv[1]));
	conntrack_closed(ct, c);
	close(sv[0]);
	close(sv[1]);
	conntrack_free(ct);
}

/* Many connections: only the late ones are cut; closing from the middle keeps the list. */
static void test_many(void **state)
{
	struct conntrack *ct = conntrack_new(1);
	struct conntrack_conn *c[8];
	int sv[8][2], i;

	(void)state;
	for (i = 0; i < 8; i++) {
		pair(sv[i]);
		c[i] = conntrack_opened(ct, sv[i][0]);
		if (i % 2)
			conntrack_head_done(ct, c[i]);
	}
	conntrack_closed(ct, c[4]);
	assert_int_equal(conntrack_open(ct), 7);
	assert_int_equal(conntrack_sweep(ct, conntrack_now_ms() + 2000), 3); /* 0, 2, 6 */
	for (i = 0; i < 8; i++)
		assert_int_equal(peer_cut(sv[i][1]), i % 2 == 0 && i != 4);
	assert_int_equal(conntrack_in_flight(ct), 4);
	for (i = 0; i < 8; i++) {
		if (i % 2)
			conntrack_request_done(ct, c[i]);
		if (i != 4)
			conntrack_closed(ct, c[i]);
		close(sv[i][0]);
		close(sv[i][1]);
	}
	assert_int_equal(conntrack_in_flight(ct), 0);
	assert_int_equal(conntrack_open(ct), 0);
	conntrack_free(ct);
	conntrack_closed(NULL, NULL);
	conntrack_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_late_head_is_cut),
	    cmocka_unit_test(test_request_suspends_deadline),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
