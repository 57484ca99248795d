/* ticker: the timer loop of a background worker (see ticker.h). */
#include "ticker.h"

#include <errno.h>
#include <time.h>

void ticker_init(struct ticker *t, unsigned interval)
{
	t->interval = interval;
	t->stop = false;
	t->poked = false;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
}

bool ticker_wait(struct ticker *t)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)t->interval;
	pthread_mutex_lock(&t->lock);
	while (!t->stop && !t->poked &&
	       pthread_cond_timedwait(&t->wake, &t->lock, &until) != ETIMEDOUT)
		;
	t->poked = false;
	stop = t->stop;
	pthread_mutex_unlock(&t->lock);
	return !stop;
}

void ticker_poke(struct ticker *t)
{
	pthread_mutex_lock(&t->lock);
	t->poked = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
}

void ticker_stop(struct ticker *t)
{
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
}

void ticker_destroy(struct ticker *t)
{
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
}
