/* scrubber: a thread that runs the backend's scrub on a timer. */
#include "scrubber.h"

#include <pthread.h>
#include <stdlib.h>

#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/metrics.h"
#include "ticker.h"

struct scrubber {
	struct backend *be;
	unsigned rate;
	pthread_t thread;
	struct ticker tick; /* tick.stop is read by the scrub between files */
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
	metrics_add(METRIC_SCRUB_PROBLEMS, (unsigned)f->problem, 1);
	log_error("scrub", "%s %s/%s (file %s): %s", scrub_problem_name(f->problem), f->bucket,
		  f->key, f->file_id, f->detail);
}

static void *run(void *arg)
{
	struct scrubber *s = arg;

	while (ticker_wait(&s->tick)) {
		struct scrub_stats st = {0, 0, 0, 0};
		s3err_t err;

		log_info("scrub", "pass started (at most %u bytes/s)", s->rate);
		err = backend_scrub(s->be, s->rate, &s->tick.stop, report, NULL, &st);
		if (err)
			log_error("scrub", "pass failed: %s", s3err_code(err));
		if (!err) {
			metrics_add(METRIC_SCRUB_PASSES, 0, 1);
			metrics_set(METRIC_SCRUB_LAST_PASS, 0,
				    (uint64_t)(httptime_now_ms() / 1000));
		}
		metrics_add(METRIC_SCRUB_OBJECTS, 0, st.objects);
		metrics_add(METRIC_SCRUB_BYTES, 0, st.bytes);
		if (!err)
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
	s->rate = rate;
	ticker_init(&s->tick, interval);
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		log_error("scrub", "cannot start the scrubber thread");
		ticker_destroy(&s->tick);
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
	ticker_stop(&s->tick);
	pthread_join(s->thread, NULL);
	ticker_destroy(&s->tick);
	free(s);
}
