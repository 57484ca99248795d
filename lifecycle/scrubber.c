/* scrubber: a thread that runs the backend's scrub on a timer. */
#include "scrubber.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "../common/log.h"

struct scrubber {
	struct backend *be;
	unsigned interval;
	unsigned rate;
	pthread_t thread;
	pthread_mutex_t lock; /* guards the wait below, never held across I/O */
	pthread_cond_t wake;
	volatile bool stop; /* read by the scrub between files */
};

const char *scrub_problem_name(enum scrub_problem p)
{
	switch (p) {
	case SCRUB_CORRUPT:
		return "CORRUPT";
	case SCRUB_TRUNCATED:
		return "TRUNCATED";
	case SCRUB_MISSING_DATA:
		return "MISSING";
	case SCRUB_ORPHAN_DATA:
		return "ORPHAN";
	}
	return "PROBLEM";
}

static void report(void *ctx, const struct scrub_finding *f)
{
	(void)ctx;
	log_error("scrub", "%s %s/%s (file %s): %s", scrub_problem_name(f->problem), f->bucket,
		  f->key, f->file_id, f->detail);
}

/* Sleeps until the next pass is due; false when asked to stop. */
static bool wait_interval(struct scrubber *s)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)s->interval;
	pthread_mutex_lock(&s->lock);
	while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
		;
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return !stop;
}

static void *run(void *arg)
{
	struct scrubber *s = arg;

	while (wait_interval(s)) {
		struct scrub_stats st = {0, 0, 0};
		s3err_t err;

		log_info("scrub", "pass started (at most %u bytes/s)", s->rate);
		err = backend_scrub(s->be, s->rate, &s->stop, report, NULL, &st);
		if (err)
			log_error("scrub", "pass failed: %s", s3err_code(err));
		else
			log_info("scrub", "pass done: %llu objects, %llu bytes, %llu problems",
				 (unsigned long long)st.objects, (unsigned long long)st.bytes,
				 (unsigned long long)st.problems);
	}
	return NULL;
}

int scrubber_start(struct backend *be, unsigned interval, unsigned rate, struct scrubber **out)
{
	struct scrubber *s;

	*out = NULL;
	if (interval == 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->be = be;
	s->interval = interval;
	s->rate = rate;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		log_error("scrub", "cannot start the scrubber thread");
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void scrubber_stop(struct scrubber *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
