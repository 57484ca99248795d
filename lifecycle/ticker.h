/*
 * ticker: the timer loop of a background worker (scrubber, lifecycle engine).
 *
 * The worker thread calls ticker_wait, which sleeps one interval and returns
 * false once ticker_stop was called (at once, without waiting the interval
 * out). `stop` doubles as the flag a long pass polls between items.
 */
#ifndef STRATA_TICKER_H
#define STRATA_TICKER_H

#include <pthread.h>
#include <stdbool.h>

struct ticker {
	unsigned interval;    /* seconds */
	pthread_mutex_t lock; /* guards the wait only, never held across I/O */
	pthread_cond_t wake;
	volatile bool stop;
	bool poked; /* ticker_poke: the next wait ends at once */
};

void ticker_init(struct ticker *t, unsigned interval);
/* Sleeps one interval; false when the worker must end. */
bool ticker_wait(struct ticker *t);
/* Ends the current (or next) wait early, returning true: work arrived. */
void ticker_poke(struct ticker *t);
/* Makes ticker_wait return false (now or next time) and passes see stop. */
void ticker_stop(struct ticker *t);
void ticker_destroy(struct ticker *t);

#endif
