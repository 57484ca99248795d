/*
 * rules: what a lifecycle configuration means for one object or upload at a
 * given time (contract in rules.h).
 *
 * Invariants:
 *   1. Nothing here reads a clock, a file or a global: the same inputs give
 *      the same action, so the scanner can be tested as a table and a rerun
 *      after a crash decides the same thing again.
 *   2. A due instant is computed only by lc_due_ms, which saturates instead
 *      of overflowing: a huge Days or a far-future object is "never due",
 *      not due at a wrapped-around negative time.
 *   3. Every loop over a configuration array is bounded by its compile-time
 *      capacity as well as its count, so a corrupt count reads no further
 *      than the struct.
 *   4. When in doubt, keep the object: an action with neither Days nor Date,
 *      a class lc_class_rank does not know (target or current), or a filter
 *      tag the object lacks all mean "do nothing".
 *
 * Decision order in lc_evaluate (AWS's precedence):
 *   enabled + filter matches + an expiration due   -> LC_EXPIRE  (first such rule)
 *   else the coldest due transition strictly colder
 *        than the object's current, known class    -> LC_TRANSITION (first on ties)
 *   else                                           -> LC_KEEP
 *
 * Decision order in lc_evaluate_version (rules.h, "Versions"):
 *   latest: a lone delete marker + an enabled matching rule with
 *           ExpiredObjectDeleteMarker true or an Expiration due from
 *           the marker's mtime                     -> LC_EXPIRE  (first such rule)
 *   noncurrent: an enabled matching rule whose NoncurrentVersionExpiration
 *           is due and whose NewerNoncurrentVersions
 *           the version has                        -> LC_EXPIRE  (first such rule)
 *   else, a data version: the coldest such due
 *           noncurrent transition strictly colder
 *           than its current, known class          -> LC_TRANSITION (first on ties)
 *   else                                           -> LC_KEEP
 */
#include "rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A day when the caller passes a nonsensical length (a programming error). */
#define DAY_MS_DEFAULT 86400000LL

#define MIN(a, b) ((a) < (b) ? (a) : (b))

int64_t lc_due_ms(int64_t t_ms, uint32_t days, int64_t day_ms)
{
	int64_t span, sum, rem;

	if (day_ms <= 0)
		day_ms = DAY_MS_DEFAULT;
	if (days != 0 && day_ms > INT64_MAX / (int64_t)days)
		return INT64_MAX;
	span = (int64_t)days * day_ms;
	if (t_ms > INT64_MAX - span)
		return INT64_MAX;
	sum = t_ms + span;
	/* Round up to a multiple of day_ms; C's % truncates toward zero. */
	rem = sum % day_ms;
	if (rem == 0)
		return sum;
	if (rem < 0) /* before the epoch: dropping the remainder already rounds up */
		return sum - rem;
	if (sum > INT64_MAX - (day_ms - rem))
		return INT64_MAX;
	return sum + (day_ms - rem);
}

/*
 * True when w has come for an object created at t_ms. The parser forbids
 * Days and Date together; should both be set anyway, both must hold (an
 * action that deletes or moves data waits for the later of the two). An
 * action with neither is never due.
 */
static bool when_due(const struct lc_when *w, int64_t t_ms, int64_t now_ms, int64_t day_ms)
{
	if (!w->has_days && !w->has_date)
		return false;
	if (w->has_days && now_ms < lc_due_ms(t_ms, w->days, day_ms))
		return false;
	if (w->has_date && now_ms < w->date_ms)
		return false;
	return true;
}

/* Byte prefix, as S3's Prefix (no Unicode folding, no delimiter logic). */
static bool key_has_prefix(const char *key, const struct lc_filter *f)
{
	size_t plen = strnlen(f->prefix, sizeof(f->prefix));

	return strnlen(key, plen) == plen && memcmp(key, f->prefix, plen) == 0;
}

/* The object carries tag t with exactly t's value (both compared byte for byte). */
static bool object_has_tag(const struct lc_object *o, const struct lc_tag *t)
{
	size_t i;

	for (i = 0; i < o->ntags; i++)
		if (strcmp(o->tags[i].key, t->key) == 0)
			return strcmp(o->tags[i].value, t->value) == 0;
	return false;
}

bool lc_rule_matches(const struct lc_rule *r, const struct lc_object *o)
{
	const struct lc_filter *f = &r->filter;
	size_t i, ntags = MIN(f->ntags, LC_MAX_FILTER_TAGS);

	/* r->form is only how the filter was written: every form means the same test. */
	if (!key_has_prefix(o->key, f))
		return false;
	for (i = 0; i < ntags; i++)
		if (!object_has_tag(o, &f->tags[i]))
			return false;
	if (f->has_size_gt && !(o->size > f->size_gt))
		return false;
	if (f->has_size_lt && !(o->size < f->size_lt))
		return false;
	return true;
}

struct lc_action lc_evaluate(const struct lc_config *c, const struct lc_object *o, int64_t now_ms,
			     int64_t day_ms)
{
	struct lc_action keep = {LC_KEEP, NULL, NULL};
	struct lc_action best = keep;
	int best_rank, cur_rank;
	size_t i, j;

	if (c == NULL)
		return keep;
	/* Expiration first: it wins over any transition, whatever the object's class. */
	for (i = 0; i < c->nrules; i++) {
		const struct lc_rule *r = &c->rules[i];

		if (r->enabled && r->has_expiration && lc_rule_matches(r, o) &&
		    when_due(&r->expiration, o->mtime_ms, now_ms, day_ms)) {
			struct lc_action expire = {LC_EXPIRE, NULL, r->id};

			return expire;
		}
	}
	/*
	 * A class Strata does not know may be one it cannot move data out of;
	 * treating it as STANDARD could "transition" an object into a warmer tier.
	 */
	cur_rank = lc_class_rank(o->storage_class != NULL ? o->storage_class : "");
	if (cur_rank < 0)
		return keep;
	best_rank = cur_rank;
	for (i = 0; i < c->nrules; i++) {
		const struct lc_rule *r = &c->rules[i];
		size_t ntr = MIN(r->ntransitions, LC_MAX_TRANSITIONS);

		if (!r->enabled || !lc_rule_matches(r, o))
			continue;
		for (j = 0; j < ntr; j++) {
			const struct lc_transition *t = &r->transitions[j];
			int rank;

			if (!when_due(&t->when, o->mtime_ms, now_ms, day_ms))
				continue;
			rank = lc_class_rank(t->storage_class);
			/* Strictly colder than both the object and the best so far: ties keep the
			 * first rule in order. An unknown target (-1) never passes. */
			if (rank > best_rank) {
				best_rank = rank;
				best.kind = LC_TRANSITION;
				best.storage_class = t->storage_class;
				best.rule_id = r->id;
			}
		}
	}
	return best;
}

/* True when nc applies to a noncurrent version v at now_ms (NoncurrentDays, NewerNoncurrent). */
static bool nc_due(const struct lc_noncurrent *nc, const struct lc_version *v, int64_t now_ms,
		   int64_t day_ms)
{
	if (nc->has_newer && v->newer_noncurrent < nc->newer)
		return false;
	return now_ms >= lc_due_ms(v->noncurrent_since_ms, nc->days, day_ms);
}

/* The latest version: only a lone delete marker may go (an expired object delete marker). */
static struct lc_action evaluate_latest(const struct lc_config *c, const struct lc_version *v,
					int64_t now_ms, int64_t day_ms)
{
	struct lc_action keep = {LC_KEEP, NULL, NULL};
	size_t i;

	if (!v->delete_marker || !v->alone)
		return keep;
	for (i = 0; i < c->nrules; i++) {
		const struct lc_rule *r = &c->rules[i];

		if (!r->enabled || !lc_rule_matches(r, &v->o))
			continue;
		if ((r->has_marker_flag && r->expired_marker) ||
		    (r->has_expiration &&
		     when_due(&r->expiration, v->o.mtime_ms, now_ms, day_ms))) {
			struct lc_action expire = {LC_EXPIRE, NULL, r->id};

			return expire;
		}
	}
	return keep;
}

struct lc_action lc_evaluate_version(const struct lc_config *c, const struct lc_version *v,
				     int64_t now_ms, int64_t day_ms)
{
	struct lc_action keep = {LC_KEEP, NULL, NULL};
	struct lc_action best = keep;
	int best_rank;
	size_t i, j;

	if (c == NULL)
		return keep;
	if (v->latest)
		return evaluate_latest(c, v, now_ms, day_ms);
	for (i = 0; i < c->nrules; i++) {
		const struct lc_rule *r = &c->rules[i];

		if (r->enabled && r->has_nc_expiration && lc_rule_matches(r, &v->o) &&
		    nc_due(&r->nc_expiration, v, now_ms, day_ms)) {
			struct lc_action expire = {LC_EXPIRE, NULL, r->id};

			return expire;
		}
	}
	/* A marker has no data to move; an unknown class may be one Strata cannot leave (4). */
	best_rank = lc_class_rank(v->o.storage_class != NULL ? v->o.storage_class : "");
	if (v->delete_marker || best_rank < 0)
		return keep;
	for (i = 0; i < c->nrules; i++) {
		const struct lc_rule *r = &c->rules[i];
		size_t ntr = MIN(r->nnc_transitions, LC_MAX_TRANSITIONS);

		if (!r->enabled || !lc_rule_matches(r, &v->o))
			continue;
		for (j = 0; j < ntr; j++) {
			const struct lc_noncurrent *t = &r->nc_transitions[j];
			int rank = lc_class_rank(t->storage_class);

			if (nc_due(t, v, now_ms, day_ms) && rank > best_rank) {
				best_rank = rank;
				best.kind = LC_TRANSITION;
				best.storage_class = t->storage_class;
				best.rule_id = r->id;
			}
		}
	}
	return best;
}

bool lc_upload_expired(const struct lc_config *c, const char *key, int64_t initiated_ms,
		       int64_t now_ms, int64_t day_ms)
{
	size_t i;

	if (c == NULL)
		return false;
	for (i = 0; i < c->nrules; i++) {
		const struct lc_rule *r = &c->rules[i];

		/* An upload has no tags: a rule that names one cannot select it. */
		if (!r->enabled || !r->has_abort_mpu || r->filter.ntags != 0)
			continue;
		if (!key_has_prefix(key, &r->filter))
			continue;
		if (now_ms >= lc_due_ms(initiated_ms, r->abort_mpu_days, day_ms))
			return true;
	}
	return false;
}
