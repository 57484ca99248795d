/* conntrack: head deadlines and requests in flight (see conntrack.h). */
#include "conntrack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "../common/log.h"
#include "../common/metrics.h"

struct conntrack_conn {
	struct conntrack_conn *prev, *next; /* the register's list, under ct->lock */
	int fd;
	/* CLOCK_MONOTONIC ms by which a request head must have arrived; 0: none (C2). */
	atomic_uint_fast64_t head_deadline_ms;
};

struct conntrack {
	pthread_mutex_t lock; /* guards the list and every shutdown(2) (C1) */
	struct conntrack_conn *head;
	uint64_t header_timeout_ms;
	atomic_uint_fast64_t in_flight;
	atomic_uint_fast64_t open;
};

uint64_t conntrack_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct conntrack *conntrack_new(unsigned header_timeout_s)
{
	struct conntrack *ct = calloc(1, sizeof(*ct));

	if (!ct)
		return NULL;
	if (pthread_mutex_init(&ct->lock, NULL) != 0) {
		free(ct);
		return NULL;
	}
	ct->header_timeout_ms = (uint64_t)header_timeout_s * 1000u;
	return ct;
}

void conntrack_free(struct conntrack *ct)
{
	struct conntrack_conn *c, *next;

	if (!ct)
		return;
	for (c = ct->head; c; c = next) {
		next = c->next;
		free(c);
	}
	pthread_mutex_destroy(&ct->lock);
	free(ct);
}

struct conntrack_conn *conntrack_opened(struct conntrack *ct, int fd)
{
	struct conntrack_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	atomic_store(&c->head_deadline_ms, conntrack_now_ms() + ct->header_timeout_ms);
	pthread_mutex_lock(&ct->lock);
	c->next = ct->head;
	if (ct->head)
		ct->head->prev = c;
	ct->head = c;
	pthread_mutex_unlock(&ct->lock);
	atomic_fetch_add(&ct->open, 1);
	return c;
}

void conntrack_closed(struct conntrack *ct, struct conntrack_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&ct->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		ct->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&ct->lock);
	atomic_fetch_sub(&ct->open, 1);
	free(c);
}

void conntrack_head_done(struct conntrack *ct, struct conntrack_conn *c)
{
	atomic_fetch_add(&ct->in_flight, 1);
	if (c)
		atomic_store(&c->head_deadline_ms, 0);
}

void conntrack_request_done(struct conntrack *ct, struct conntrack_conn *c)
{
	atomic_fetch_sub(&ct->in_flight, 1);
	if (c)
		atomic_store(&c->head_deadline_ms, conntrack_now_ms() + ct->header_timeout_ms);
}

unsigned conntrack_sweep(struct conntrack *ct, uint64_t now_ms)
{
	struct conntrack_conn *c;
	unsigned cut = 0;
	uint64_t due;

	pthread_mutex_lock(&ct->lock);
	for (c = ct->head; c; c = c->next) {
		due = atomic_load(&c->head_deadline_ms);
		if (due == 0 || due > now_ms)
			continue;
		/* Once: the connection's thread closes it soon; until then it stays listed. */
		atomic_store(&c->head_deadline_ms, 0);
		shutdown(c->fd, SHUT_RDWR);
		cut++;
	}
	pthread_mutex_unlock(&ct->lock);
	if (cut) {
		metrics_add(METRIC_HEADER_TIMEOUTS, 0, cut);
		log_info("server", "cut %u connection(s) that sent no whole request head in time",
			 cut);
	}
	return cut;
}

uint64_t conntrack_in_flight(const struct conntrack *ct)
{
	return atomic_load(&((struct conntrack *)ct)->in_flight);
}

uint64_t conntrack_open(const struct conntrack *ct)
{
	return atomic_load(&((struct conntrack *)ct)->open);
}
