/*
 * scrubber: the background integrity pass (DESIGN.md, "Integrity").
 *
 * One thread re-verifies every stored byte through the backend's scrub slot
 * every `interval` seconds, reading at most `rate` bytes per second so that
 * clients keep the disk. The first pass starts one interval after start-up.
 * Findings are logged as errors (bucket, key, file id, what is wrong);
 * each pass ends with a summary line.
 */
#ifndef STRATA_SCRUBBER_H
#define STRATA_SCRUBBER_H

#include "../backends/backend.h"

struct scrubber;

/*
 * Starts the thread; interval 0 starts nothing and sets *out to NULL.
 * Returns -1 (logged) if the thread cannot start.
 */
int scrubber_start(struct backend *be, unsigned interval, unsigned rate, struct scrubber **out);

/* Stops a pass in progress at its next file, joins the thread, frees s. NULL is fine. */
void scrubber_stop(struct scrubber *s);

/* "CORRUPT", "TRUNCATED", "MISSING", "ORPHAN". */
const char *scrub_problem_name(enum scrub_problem p);

#endif
