/*
 * Unit tests for lifecycle/rules.c: truth tables of what a lifecycle
 * configuration does to an object or an upload at a given time.
 *
 * Time in the evaluation tables runs on a "1-second day" (day_ms = 1000, as
 * with lifecycle_day_seconds = 1). Objects and uploads are created a quarter
 * into a day (CREATED); AWS counts Days from the first midnight after that
 * (START), so AT(90, 0) is the first instant a "90 days" rule is due and
 * AT(89, 999) the last instant it is not. A row's age is therefore whole days
 * since START, plus extra milliseconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../lifecycle/rules.h"

#define NDAY 86400000LL		 /* a real day */
#define MIDNIGHT 1700006400000LL /* 2023-11-15T00:00:00Z */
#define HOUR 3600000LL

#define DAY 1000LL	     /* the tests' day */
#define BASE 1700000000000LL /* a boundary of DAY */
#define CREATED (BASE + 250) /* objects and uploads: a quarter into a day */
#define START (BASE + DAY)   /* first boundary after CREATED */
#define AT(age, extra) (START + (int64_t)(age)*DAY + (extra))

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_RULES 8

/* ---- lc_due_ms ---- */

struct due_case {
	int64_t t_ms;
	uint32_t days;
	int64_t day_ms;
	int64_t want;
	const char *why;
};

/* clang-format off */
static const struct due_case due_cases[] = {
	{MIDNIGHT + 12 * HOUR, 1, NDAY, MIDNIGHT + 2 * NDAY, "noon + 1 day is due at the second midnight"},
	{MIDNIGHT, 1, NDAY, MIDNIGHT + NDAY, "midnight + 1 day is already a midnight and stays"},
	{MIDNIGHT + 1, 1, NDAY, MIDNIGHT + 2 * NDAY, "1 ms after midnight + 1 day rounds up almost a whole day"},
	{MIDNIGHT - 1, 1, NDAY, MIDNIGHT + NDAY, "1 ms before midnight + 1 day is due 1 ms later"},
	{MIDNIGHT + 12 * HOUR, 0, NDAY, MIDNIGHT + NDAY, "0 days from noon is the next midnight"},
	{MIDNIGHT, 0, NDAY, MIDNIGHT, "0 days from midnight is that instant"},
	{MIDNIGHT + 12 * HOUR, 365, NDAY, MIDNIGHT + 366 * NDAY, "noon + 365 days is due at the 366th midnight"},
	{CREATED, 90, DAY, START + 90 * DAY, "1-second day: 90 days after a quarter-day"},
	{BASE, 90, DAY, BASE + 90 * DAY, "1-second day: 90 days from a boundary stays on one"},
	{BASE + 1, 1, DAY, BASE + 2 * DAY, "1-second day: 1 ms past a boundary rounds up"},
	{BASE + 999, 7, DAY, BASE + 8 * DAY, "1-second day: last ms of a day"},
	{MIDNIGHT + 12 * HOUR, 1, 0, MIDNIGHT + 2 * NDAY, "day_ms 0 is taken as 86400000"},
	{MIDNIGHT + 12 * HOUR, 1, -DAY, MIDNIGHT + 2 * NDAY, "a negative day_ms is taken as 86400000"},
	{MIDNIGHT + 12 * HOUR, 1, INT64_MIN, MIDNIGHT + 2 * NDAY, "day_ms INT64_MIN is taken as 86400000"},
	{-1500, 1, DAY, 0, "before the epoch: -1500 + 1000 rounds up to 0"},
	{-2000, 1, DAY, -1000, "before the epoch, on a boundary: stays"},
	{INT64_MIN, 0, DAY, INT64_MIN + 808, "INT64_MIN rounds up without overflow"},
	{0, UINT32_MAX, NDAY, (int64_t)UINT32_MAX * NDAY, "the largest Days with a real day does not saturate"},
	{INT64_MAX - 10, 1, NDAY, INT64_MAX, "adding a day past INT64_MAX saturates"},
	{0, UINT32_MAX, INT64_MAX / 2, INT64_MAX, "days * day_ms past INT64_MAX saturates"},
	{INT64_MAX, UINT32_MAX, INT64_MAX, INT64_MAX, "everything at its maximum saturates"},
	{INT64_MAX / NDAY * NDAY + 1, 0, NDAY, INT64_MAX, "rounding up past INT64_MAX saturates"},
	{INT64_MAX / NDAY * NDAY, 0, NDAY, INT64_MAX / NDAY * NDAY, "the last boundary below INT64_MAX stays"},
};
/* clang-format on */

static void test_due_ms(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < NELEM(due_cases); i++) {
		const struct due_case *tc = &due_cases[i];
		int64_t got = lc_due_ms(tc->t_ms, tc->days, tc->day_ms);

		if (got != tc->want) {
			print_error("due case %zu (%s): got %lld want %lld\n", i, tc->why,
				    (long long)got, (long long)tc->want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- building configurations from compact specs ---- */

struct kv {
	const char *key, *value; /* key NULL ends a list */
};

/* One transition: cls NULL ends the list; a nonzero date_ms means Date instead of Days. */
struct tr_spec {
	const char *cls;
	uint32_t days;
	int64_t date_ms;
};

struct rule_spec {
	const char *id;
	bool disabled;
	const char *prefix;
	struct kv tags[3];
	bool has_gt;
	uint64_t gt;
	struct tr_spec tr[3];
	uint32_t exp_days; /* 0 and exp_date 0: no expiration */
	int64_t exp_date;
	uint32_t abort_days; /* 0: no AbortIncompleteMultipartUpload */
	/* Versioning actions: NoncurrentVersionTransitions (cls NULL ends), the expiration. */
	struct nc_spec {
		const char *cls;
		uint32_t days, newer; /* newer 0: no NewerNoncurrentVersions */
	} nc_tr[2];
	uint32_t nc_exp_days; /* 0: no NoncurrentVersionExpiration */
	uint32_t nc_exp_newer;
	int marker; /* ExpiredObjectDeleteMarker: 0 absent, 1 true, -1 false */
};

static struct lc_rule rule_store[MAX_RULES];

static size_t copy_tags(const struct kv *in, size_t max, struct lc_tag *out)
{
	size_t n;

	for (n = 0; n < max && in[n].key != NULL; n++) {
		snprintf(out[n].key, sizeof(out[n].key), "%s", in[n].key);
		snprintf(out[n].value, sizeof(out[n].value), "%s", in[n].value);
	}
	return n;
}

static struct lc_config build_config(const struct rule_spec *specs, size_t n)
{
	struct lc_config c = {n, rule_store};
	size_t i, j;

	assert_true(n <= MAX_RULES);
	memset(rule_store, 0, sizeof(rule_store));
	for (i = 0; i < n; i++) {
		const struct rule_spec *s = &specs[i];
		struct lc_rule *r = &rule_store[i];

		snprintf(r->id, sizeof(r->id), "%s", s->id);
		r->enabled = !s->disabled;
		r->form = LC_FORM_AND;
		snprintf(r->filter.prefix, sizeof(r->filter.prefix), "%s", s->prefix);
		r->filter.ntags = copy_tags(s->tags, NELEM(s->tags), r->filter.tags);
		r->filter.has_size_gt = s->has_gt;
		r->filter.size_gt = s->gt;
		for (j = 0; j < NELEM(s->tr) && s->tr[j].cls != NULL; j++) {
			struct lc_transition *t = &r->transitions[j];

			snprintf(t->storage_class, sizeof(t->storage_class), "%s", s->tr[j].cls);
			t->when.has_date = s->tr[j].date_ms != 0;
			t->when.date_ms = s->tr[j].date_ms;
			t->when.has_days = !t->when.has_date;
			t->when.days = s->tr[j].days;
		}
		r->ntransitions = j;
		r->has_expiration = s->exp_days != 0 || s->exp_date != 0;
		r->expiration.has_days = s->exp_days != 0;
		r->expiration.days = s->exp_days;
		r->expiration.has_date = s->exp_date != 0;
		r->expiration.date_ms = s->exp_date;
		r->has_abort_mpu = s->abort_days != 0;
		r->abort_mpu_days = s->abort_days;
		for (j = 0; j < NELEM(s->nc_tr) && s->nc_tr[j].cls != NULL; j++) {
			struct lc_noncurrent *t = &r->nc_transitions[j];

			snprintf(t->storage_class, sizeof(t->storage_class), "%s", s->nc_tr[j].cls);
			t->days = s->nc_tr[j].days;
			t->has_newer = s->nc_tr[j].newer != 0;
			t->newer = s->nc_tr[j].newer;
		}
		r->nnc_transitions = j;
		r->has_nc_expiration = s->nc_exp_days != 0;
		r->nc_expiration.days = s->nc_exp_days;
		r->nc_expiration.has_newer = s->nc_exp_newer != 0;
		r->nc_expiration.newer = s->nc_exp_newer;
		r->has_marker_flag = s->marker != 0;
		r->expired_marker = s->marker > 0;
	}
	return c;
}

/* ---- lc_rule_matches ---- */

struct match_case {
	const char *prefix;
	struct kv ftags[3];
	bool has_gt;
	uint64_t gt;
	bool has_lt;
	uint64_t lt;
	const char *key;
	uint64_t size;
	struct kv otags[3];
	bool want;
	const char *why;
};

#define GT(n) .has_gt = true, .gt = (n)
#define LT(n) .has_lt = true, .lt = (n)

/* clang-format off */
static const struct match_case match_cases[] = {
	/* Prefix: bytes, anchored at the start, case-sensitive. */
	{.prefix = "", .key = "anything", .want = true, .why = "an empty prefix selects every key"},
	{.prefix = "", .key = "", .want = true, .why = "an empty prefix selects even an empty key"},
	{.prefix = "a", .key = "a/b", .want = true, .why = "\"a\" selects \"a/b\""},
	{.prefix = "a", .key = "ab", .want = true, .why = "\"a\" selects \"ab\" (no delimiter logic)"},
	{.prefix = "a/b", .key = "a", .want = false, .why = "a key shorter than the prefix is not selected"},
	{.prefix = "a/", .key = "a", .want = false, .why = "\"a/\" does not select \"a\""},
	{.prefix = "a/", .key = "a/", .want = true, .why = "a key equal to the prefix is selected"},
	{.prefix = "a/", .key = "ab/c", .want = false, .why = "\"a/\" does not select \"ab/c\""},
	{.prefix = "logs/", .key = "Logs/x", .want = false, .why = "prefixes are case-sensitive"},
	{.prefix = "dicom/", .key = "other/dicom/x", .want = false, .why = "a prefix anchors at the start of the key"},
	{.prefix = "caf\xc3\xa9/", .key = "caf\xc3\xa9/x", .want = true, .why = "a UTF-8 prefix selects its own bytes"},
	{.prefix = "caf\xc3\xa9/", .key = "cafe/x", .want = false, .why = "no Unicode folding: e-acute is not e"},
	{.prefix = "\xff", .key = "\xff\x01", .want = true, .why = "high bytes compare as bytes"},
	{.prefix = "\xff", .key = "\x7f", .want = false, .why = "a high-byte prefix does not select a low byte"},

	/* Tags: every filter tag must be on the object with the same value. */
	{.ftags = {{"env", "prod"}}, .key = "k", .want = false, .why = "a tag filter selects no untagged object"},
	{.ftags = {{"env", "prod"}}, .key = "k", .otags = {{"env", "dev"}}, .want = false, .why = "a tag with another value is not selected"},
	{.ftags = {{"env", "prod"}}, .key = "k", .otags = {{"env", "prod"}}, .want = true, .why = "the same tag and value are selected"},
	{.ftags = {{"env", "prod"}}, .key = "k", .otags = {{"team", "x"}, {"env", "prod"}}, .want = true, .why = "the tag may be among others"},
	{.ftags = {{"env", "prod"}}, .key = "k", .otags = {{"Env", "prod"}}, .want = false, .why = "tag keys are case-sensitive"},
	{.ftags = {{"env", "prod"}}, .key = "k", .otags = {{"env", "Prod"}}, .want = false, .why = "tag values are case-sensitive"},
	{.ftags = {{"env", "prod"}}, .key = "k", .otags = {{"env", "prod2"}}, .want = false, .why = "a value that extends the wanted one is another value"},
	{.ftags = {{"env", "prod"}, {"team", "x"}}, .key = "k", .otags = {{"env", "prod"}}, .want = false, .why = "one of two filter tags missing: not selected"},
	{.ftags = {{"env", "prod"}, {"team", "x"}}, .key = "k", .otags = {{"team", "x"}, {"env", "prod"}}, .want = true, .why = "all filter tags present, in any order"},
	{.ftags = {{"env", "prod"}, {"team", "x"}}, .key = "k", .otags = {{"env", "prod"}, {"team", "y"}}, .want = false, .why = "all keys present but one value differs"},
	{.ftags = {{"env", ""}}, .key = "k", .otags = {{"env", ""}}, .want = true, .why = "an empty value matches an empty value"},
	{.ftags = {{"env", ""}}, .key = "k", .otags = {{"env", "x"}}, .want = false, .why = "an empty value does not match a non-empty one"},
	{.prefix = "logs/", .ftags = {{"env", "prod"}}, .key = "other/x", .otags = {{"env", "prod"}}, .want = false, .why = "the tag matches but the prefix does not"},
	{.key = "k", .otags = {{"env", "prod"}}, .want = true, .why = "no tag filter: a tagged object is selected"},

	/* Size bounds are strict at both ends. */
	{GT(100), .key = "k", .size = 101, .want = true, .why = "101 bytes > 100"},
	{GT(100), .key = "k", .size = 100, .want = false, .why = "100 bytes is not > 100"},
	{GT(100), .key = "k", .size = 99, .want = false, .why = "99 bytes is not > 100"},
	{GT(0), .key = "k", .size = 0, .want = false, .why = "ObjectSizeGreaterThan 0 leaves out empty objects"},
	{GT(0), .key = "k", .size = 1, .want = true, .why = "1 byte > 0"},
	{GT(UINT64_MAX - 1), .key = "k", .size = UINT64_MAX, .want = true, .why = "the largest size > the largest bound below it"},
	{LT(100), .key = "k", .size = 99, .want = true, .why = "99 bytes < 100"},
	{LT(100), .key = "k", .size = 100, .want = false, .why = "100 bytes is not < 100"},
	{LT(100), .key = "k", .size = 101, .want = false, .why = "101 bytes is not < 100"},
	{LT(1), .key = "k", .size = 0, .want = true, .why = "an empty object is < 1"},
	{GT(100), LT(200), .key = "k", .size = 150, .want = true, .why = "150 is inside (100, 200)"},
	{GT(100), LT(200), .key = "k", .size = 101, .want = true, .why = "101 is the first size inside (100, 200)"},
	{GT(100), LT(200), .key = "k", .size = 199, .want = true, .why = "199 is the last size inside (100, 200)"},
	{GT(100), LT(200), .key = "k", .size = 100, .want = false, .why = "100 is outside (100, 200)"},
	{GT(100), LT(200), .key = "k", .size = 200, .want = false, .why = "200 is outside (100, 200)"},
	{.key = "k", .size = UINT64_MAX, .want = true, .why = "no size bounds: any size"},

	/* Everything together: each condition can veto. */
	{.prefix = "p/", .ftags = {{"env", "prod"}}, GT(10), LT(20), .key = "p/x", .size = 15, .otags = {{"env", "prod"}}, .want = true, .why = "prefix, tag and both bounds all hold"},
	{.prefix = "p/", .ftags = {{"env", "prod"}}, GT(10), LT(20), .key = "q/x", .size = 15, .otags = {{"env", "prod"}}, .want = false, .why = "all but the prefix hold"},
	{.prefix = "p/", .ftags = {{"env", "prod"}}, GT(10), LT(20), .key = "p/x", .size = 15, .want = false, .why = "all but the tag hold"},
	{.prefix = "p/", .ftags = {{"env", "prod"}}, GT(10), LT(20), .key = "p/x", .size = 10, .otags = {{"env", "prod"}}, .want = false, .why = "all but the lower bound hold"},
	{.prefix = "p/", .ftags = {{"env", "prod"}}, GT(10), LT(20), .key = "p/x", .size = 20, .otags = {{"env", "prod"}}, .want = false, .why = "all but the upper bound hold"},
};
/* clang-format on */

/* Every row must give the same answer whatever the form and the Status. */
static void test_matches(void **state)
{
	static const enum lc_filter_form forms[] = {LC_FORM_LEGACY_PREFIX, LC_FORM_EMPTY,
						    LC_FORM_SINGLE, LC_FORM_AND};
	static struct lc_rule r;
	size_t i, f, failures = 0;

	(void)state;
	for (i = 0; i < NELEM(match_cases); i++) {
		const struct match_case *tc = &match_cases[i];
		struct lc_tag otags[3];
		struct lc_object o = {tc->key, tc->size, CREATED, "STANDARD", 0, otags};
		int enabled;

		memset(&r, 0, sizeof(r));
		snprintf(r.filter.prefix, sizeof(r.filter.prefix), "%s",
			 tc->prefix != NULL ? tc->prefix : "");
		r.filter.ntags = copy_tags(tc->ftags, NELEM(tc->ftags), r.filter.tags);
		r.filter.has_size_gt = tc->has_gt;
		r.filter.size_gt = tc->gt;
		r.filter.has_size_lt = tc->has_lt;
		r.filter.size_lt = tc->lt;
		o.ntags = copy_tags(tc->otags, NELEM(tc->otags), otags);
		for (f = 0; f < NELEM(forms); f++) {
			for (enabled = 0; enabled <= 1; enabled++) {
				bool got;

				r.form = forms[f];
				r.enabled = enabled;
				got = lc_rule_matches(&r, &o);
				if (got != tc->want) {
					print_error("match case %zu (%s), form %d, %s: got %d\n", i,
						    tc->why, (int)forms[f],
						    enabled ? "Enabled" : "Disabled", got);
					failures++;
				}
			}
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- lc_evaluate ---- */

struct eval_case {
	const char *key;
	const char *cls; /* the object's current storage class */
	int64_t age;	 /* whole days since START */
	int64_t extra;	 /* plus milliseconds */
	enum lc_action_kind want;
	const char *want_class; /* LC_TRANSITION only */
	const char *want_rule;	/* NULL for LC_KEEP */
	const char *why;
};

#define KEEP LC_KEEP, NULL, NULL
#define EXPIRE(rule) LC_EXPIRE, NULL, rule
#define MOVE(cls, rule) LC_TRANSITION, cls, rule

static bool str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The action's strings point into the configuration, as rules.h promises. */
static bool in_config(const char *p, const struct lc_config *c)
{
	const char *lo = (const char *)c->rules;
	const char *hi = (const char *)(c->rules + c->nrules);

	return p == NULL || (p >= lo && p < hi);
}

static void run_eval(const char *table, const struct rule_spec *specs, size_t nspecs,
		     const struct eval_case *cases, size_t ncases)
{
	struct lc_config c = build_config(specs, nspecs);
	size_t i, failures = 0;

	for (i = 0; i < ncases; i++) {
		const struct eval_case *tc = &cases[i];
		struct lc_object o = {tc->key, 100, CREATED, tc->cls, 0, NULL};
		struct lc_action a = lc_evaluate(&c, &o, AT(tc->age, tc->extra), DAY);

		if (a.kind != tc->want || !str_eq(a.storage_class, tc->want_class) ||
		    !str_eq(a.rule_id, tc->want_rule) || !in_config(a.storage_class, &c) ||
		    !in_config(a.rule_id, &c)) {
			print_error("%s case %zu (%s): got kind %d class %s rule %s\n", table, i,
				    tc->why, (int)a.kind,
				    a.storage_class ? a.storage_class : "(null)",
				    a.rule_id ? a.rule_id : "(null)");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* The example: DICOM studies go cold, temporary files go away. */
/* clang-format off */
static const struct rule_spec dicom_rules[] = {
	{.id = "dicom", .prefix = "dicom/", .tr = {{"GLACIER", 90, 0}, {"DEEP_ARCHIVE", 365, 0}}},
	{.id = "temp", .prefix = "temp/", .exp_days = 7},
};

static const struct eval_case dicom_cases[] = {
	{"dicom/x", "STANDARD", 0, -750, KEEP, "a new study stays in STANDARD"},
	{"dicom/x", "STANDARD", 0, 0, KEEP, "at the first midnight nothing is due"},
	{"dicom/x", "STANDARD", 89, 0, KEEP, "at day 89 nothing is due"},
	{"dicom/x", "STANDARD", 89, 250, KEEP, "90 x 24 h after creation is not yet the midnight it rounds to"},
	{"dicom/x", "STANDARD", 89, 999, KEEP, "the last ms of day 89 is not yet due"},
	{"dicom/x", "STANDARD", 90, 0, MOVE("GLACIER", "dicom"), "at day 90 a STANDARD study goes to GLACIER"},
	{"dicom/x", "", 90, 0, MOVE("GLACIER", "dicom"), "a study without a class is STANDARD and goes to GLACIER"},
	{"dicom/x", "STANDARD_IA", 90, 0, MOVE("GLACIER", "dicom"), "a STANDARD_IA study goes to GLACIER too"},
	{"dicom/x", "STANDARD", 364, 0, MOVE("GLACIER", "dicom"), "at day 364 a study still in STANDARD goes to GLACIER"},
	{"dicom/x", "STANDARD", 365, 0, MOVE("DEEP_ARCHIVE", "dicom"), "at day 365 a study still in STANDARD skips GLACIER for DEEP_ARCHIVE"},
	{"dicom/x", "STANDARD", 10000, 0, MOVE("DEEP_ARCHIVE", "dicom"), "a forgotten STANDARD study goes to DEEP_ARCHIVE"},
	{"dicom/x", "GLACIER", 0, 0, KEEP, "a study uploaded to GLACIER stays there at first"},
	{"dicom/x", "GLACIER", 90, 0, KEEP, "a study already in GLACIER at day 90 stays"},
	{"dicom/x", "GLACIER", 364, 999, KEEP, "a GLACIER study at the end of day 364 stays"},
	{"dicom/x", "GLACIER", 365, 0, MOVE("DEEP_ARCHIVE", "dicom"), "at day 365 a GLACIER study goes to DEEP_ARCHIVE"},
	{"dicom/x", "GLACIER", 10000, 0, MOVE("DEEP_ARCHIVE", "dicom"), "a forgotten GLACIER study goes to DEEP_ARCHIVE"},
	{"dicom/x", "DEEP_ARCHIVE", 0, 0, KEEP, "a DEEP_ARCHIVE study stays at day 0"},
	{"dicom/x", "DEEP_ARCHIVE", 90, 0, KEEP, "a DEEP_ARCHIVE study is never warmed to GLACIER"},
	{"dicom/x", "DEEP_ARCHIVE", 365, 0, KEEP, "a DEEP_ARCHIVE study at day 365 is already there"},
	{"dicom/x", "DEEP_ARCHIVE", 10000, 0, KEEP, "a DEEP_ARCHIVE study stays forever"},
	{"dicom/x", "REDUCED_REDUNDANCY", 365, 0, KEEP, "a study in a class Strata does not know is left alone"},
	{"dicom", "STANDARD", 10000, 0, KEEP, "the key \"dicom\" is outside \"dicom/\""},
	{"DICOM/x", "STANDARD", 10000, 0, KEEP, "\"DICOM/\" is another prefix"},
	{"temp/y", "STANDARD", 6, 0, KEEP, "a temporary file lives at day 6"},
	{"temp/y", "STANDARD", 6, 999, KEEP, "a temporary file lives to the end of day 6"},
	{"temp/y", "STANDARD", 7, 0, EXPIRE("temp"), "a temporary file expires at day 7"},
	{"temp/y", "STANDARD", 10000, 0, EXPIRE("temp"), "a forgotten temporary file expires"},
	{"temp/y", "GLACIER", 7, 0, EXPIRE("temp"), "expiration does not care about the class"},
	{"temp/y", "REDUCED_REDUNDANCY", 7, 0, EXPIRE("temp"), "expiration applies even in a class Strata does not know"},
	{"other/z", "STANDARD", 0, 0, KEEP, "an object no rule selects stays at day 0"},
	{"other/z", "STANDARD", 365, 0, KEEP, "an object no rule selects stays at day 365"},
	{"other/z", "STANDARD", 10000, 0, KEEP, "an object no rule selects stays forever"},
};
/* clang-format on */

static void test_evaluate_dicom(void **state)
{
	(void)state;
	run_eval("dicom", dicom_rules, NELEM(dicom_rules), dicom_cases, NELEM(dicom_cases));
}

/* Precedence: expiration over transition, Status, Dates, never warmer. */
/* clang-format off */
static const struct rule_spec precedence_rules[] = {
	{.id = "both", .prefix = "both/", .tr = {{"STANDARD_IA", 10, 0}, {"GLACIER", 30, 0}}, .exp_days = 30},
	{.id = "off", .disabled = true, .prefix = "off/", .tr = {{"GLACIER", 0, 0}}, .exp_days = 1},
	{.id = "mix-off", .disabled = true, .prefix = "mix/", .exp_days = 1},
	{.id = "mix-on", .prefix = "mix/", .tr = {{"GLACIER", 5, 0}}},
	{.id = "dated", .prefix = "dated/", .tr = {{"GLACIER", 0, AT(50, 0)}}, .exp_date = AT(200, 0)},
	{.id = "ia", .prefix = "ia/", .tr = {{"STANDARD_IA", 30, 0}}},
	{.id = "rr", .prefix = "rr/", .tr = {{"REDUCED_REDUNDANCY", 1, 0}}},
	{.id = "zero", .prefix = "zero/", .tr = {{"GLACIER", 0, 0}}},
};

static const struct eval_case precedence_cases[] = {
	{"both/x", "STANDARD", 9, 999, KEEP, "before day 10 nothing is due"},
	{"both/x", "STANDARD", 10, 0, MOVE("STANDARD_IA", "both"), "at day 10 the first transition is due"},
	{"both/x", "STANDARD", 29, 999, MOVE("STANDARD_IA", "both"), "at the end of day 29 only STANDARD_IA is due"},
	{"both/x", "STANDARD", 30, 0, EXPIRE("both"), "a transition and the expiration due together: expire"},
	{"both/x", "GLACIER", 30, 0, EXPIRE("both"), "an object already in GLACIER expires too"},
	{"both/x", "REDUCED_REDUNDANCY", 30, 0, EXPIRE("both"), "an object in an unknown class still expires"},
	{"both/x", "REDUCED_REDUNDANCY", 10, 0, KEEP, "an object in an unknown class is never transitioned"},
	{"off/x", "STANDARD", 10000, 0, KEEP, "a Disabled rule never expires nor transitions"},
	{"mix/x", "STANDARD", 1, 0, KEEP, "a Disabled rule's expiration is ignored"},
	{"mix/x", "STANDARD", 5, 0, MOVE("GLACIER", "mix-on"), "the Enabled rule beside a Disabled one still applies"},
	{"dated/x", "STANDARD", 49, 999, KEEP, "the last ms before the transition Date"},
	{"dated/x", "STANDARD", 50, 0, MOVE("GLACIER", "dated"), "from the transition Date on, the object goes to GLACIER"},
	{"dated/x", "GLACIER", 100, 0, KEEP, "after the Date an object already in GLACIER stays"},
	{"dated/x", "STANDARD", 199, 999, MOVE("GLACIER", "dated"), "the last ms before the expiration Date"},
	{"dated/x", "STANDARD", 200, 0, EXPIRE("dated"), "from the expiration Date on, the object expires"},
	{"ia/x", "STANDARD", 30, 0, MOVE("STANDARD_IA", "ia"), "STANDARD goes to STANDARD_IA"},
	{"ia/x", "", 30, 0, MOVE("STANDARD_IA", "ia"), "an unnamed class is STANDARD"},
	{"ia/x", "STANDARD_IA", 30, 0, KEEP, "a transition to the current class does nothing"},
	{"ia/x", "ONEZONE_IA", 30, 0, KEEP, "ONEZONE_IA is colder than STANDARD_IA: not warmed"},
	{"ia/x", "GLACIER", 30, 0, KEEP, "GLACIER is colder than STANDARD_IA: not warmed"},
	{"ia/x", "REDUCED_REDUNDANCY", 30, 0, KEEP, "an unknown current class is left alone"},
	{"rr/x", "STANDARD", 10000, 0, KEEP, "a transition to a class Strata does not know never happens"},
	{"zero/x", "STANDARD", 0, -750, KEEP, "Days 0: not at creation"},
	{"zero/x", "STANDARD", 0, 0, MOVE("GLACIER", "zero"), "Days 0: at the first midnight after creation"},
};
/* clang-format on */

static void test_evaluate_precedence(void **state)
{
	(void)state;
	run_eval("precedence", precedence_rules, NELEM(precedence_rules), precedence_cases,
		 NELEM(precedence_cases));
}

/* Several rules selecting one object: coldest due transition, first on ties. */
/* clang-format off */
static const struct rule_spec overlap_rules[] = {
	{.id = "ia-30", .prefix = "logs/", .tr = {{"STANDARD_IA", 30, 0}}},
	{.id = "glacier-60", .prefix = "logs/app/", .tr = {{"GLACIER", 60, 0}}},
	{.id = "ir-60", .prefix = "logs/", .tr = {{"GLACIER_IR", 60, 0}, {"DEEP_ARCHIVE", 400, 0}}},
	{.id = "glacier-again", .prefix = "logs/", .tr = {{"GLACIER", 60, 0}}},
	{.id = "exp-late", .prefix = "x/", .exp_days = 10},
	{.id = "exp-early", .prefix = "x/", .exp_days = 5},
	{.id = "deep-1", .prefix = "x/", .tr = {{"DEEP_ARCHIVE", 1, 0}}},
};

static const struct eval_case overlap_cases[] = {
	{"logs/app/x", "STANDARD", 29, 999, KEEP, "no rule is due before day 30"},
	{"logs/app/x", "STANDARD", 30, 0, MOVE("STANDARD_IA", "ia-30"), "at day 30 only the STANDARD_IA rule is due"},
	{"logs/app/x", "STANDARD", 60, 0, MOVE("GLACIER", "glacier-60"), "GLACIER beats GLACIER_IR; of two GLACIER rules the first decides"},
	{"logs/app/x", "GLACIER_IR", 60, 0, MOVE("GLACIER", "glacier-60"), "from GLACIER_IR the coldest due class is still GLACIER"},
	{"logs/web/x", "STANDARD", 60, 0, MOVE("GLACIER", "glacier-again"), "a later rule's GLACIER beats an earlier rule's GLACIER_IR"},
	{"logs/web/x", "STANDARD", 400, 0, MOVE("DEEP_ARCHIVE", "ir-60"), "a rule's second transition wins when it is the coldest"},
	{"logs/web/x", "DEEP_ARCHIVE", 400, 0, KEEP, "nothing is colder than DEEP_ARCHIVE"},
	{"x/y", "STANDARD", 1, 0, MOVE("DEEP_ARCHIVE", "deep-1"), "before any expiration the transition applies"},
	{"x/y", "STANDARD", 5, 0, EXPIRE("exp-early"), "at day 5 only the later rule's expiration is due: it is named"},
	{"x/y", "STANDARD", 10, 0, EXPIRE("exp-late"), "two expirations due: the first rule in order is named"},
};
/* clang-format on */

static void test_evaluate_overlap(void **state)
{
	(void)state;
	run_eval("overlap", overlap_rules, NELEM(overlap_rules), overlap_cases,
		 NELEM(overlap_cases));
}

/* Dates apply from the instant on, whenever the object was created; Days follow creation. */
static void test_evaluate_creation_time(void **state)
{
	static const struct rule_spec specs[] = {
	    {.id = "dated", .prefix = "dated/", .tr = {{"GLACIER", 0, AT(50, 0)}}},
	    {.id = "days", .prefix = "days/", .exp_days = 7},
	};
	struct lc_config c = build_config(specs, NELEM(specs));
	struct lc_object late = {"dated/x", 1, AT(60, 250), "STANDARD", 0, NULL};
	struct lc_object on_boundary = {"days/x", 1, AT(10, 0), "STANDARD", 0, NULL};
	struct lc_action a;

	(void)state;
	/* An object created after the Date transitions at once (AWS: "after this date"). */
	a = lc_evaluate(&c, &late, AT(60, 500), DAY);
	assert_int_equal(a.kind, LC_TRANSITION);
	assert_string_equal(a.storage_class, "GLACIER");
	/* Created exactly on a boundary: due exactly 7 days later, not a day more. */
	a = lc_evaluate(&c, &on_boundary, AT(16, 999), DAY);
	assert_int_equal(a.kind, LC_KEEP);
	a = lc_evaluate(&c, &on_boundary, AT(17, 0), DAY);
	assert_int_equal(a.kind, LC_EXPIRE);
	assert_string_equal(a.rule_id, "days");
	/* With a real day the same rule waits for real midnights. */
	on_boundary.mtime_ms = MIDNIGHT + 12 * HOUR;
	a = lc_evaluate(&c, &on_boundary, MIDNIGHT + 8 * NDAY - 1, NDAY);
	assert_int_equal(a.kind, LC_KEEP);
	a = lc_evaluate(&c, &on_boundary, MIDNIGHT + 8 * NDAY, NDAY);
	assert_int_equal(a.kind, LC_EXPIRE);
}

/* Filters other than the prefix take part in evaluation: tags and sizes. */
static void test_evaluate_filters(void **state)
{
	static const struct rule_spec specs[] = {
	    {.id = "big", .prefix = "", .has_gt = true, .gt = 1000, .exp_days = 1},
	    {.id = "tagged", .prefix = "", .tags = {{"tier", "cold"}}, .tr = {{"GLACIER", 1, 0}}},
	};
	struct lc_config c = build_config(specs, NELEM(specs));
	struct lc_tag cold = {"tier", "cold"};
	struct lc_object small = {"k", 1000, CREATED, "STANDARD", 0, NULL};
	struct lc_object small_cold = {"k", 1000, CREATED, "STANDARD", 1, &cold};
	struct lc_object big_cold = {"k", 1001, CREATED, "STANDARD", 1, &cold};
	struct lc_action a;

	(void)state;
	a = lc_evaluate(&c, &small, AT(100, 0), DAY);
	assert_int_equal(a.kind, LC_KEEP);
	assert_null(a.rule_id);
	assert_null(a.storage_class);
	a = lc_evaluate(&c, &small_cold, AT(100, 0), DAY);
	assert_int_equal(a.kind, LC_TRANSITION);
	assert_string_equal(a.rule_id, "tagged");
	a = lc_evaluate(&c, &big_cold, AT(100, 0), DAY);
	assert_int_equal(a.kind, LC_EXPIRE);
	assert_string_equal(a.rule_id, "big");
	assert_null(a.storage_class);
}

/* No configuration, or one with no rules: nothing ever happens. */
/* ---- lc_evaluate_version: noncurrent versions and lone delete markers ---- */

/*
 * A version of a key: created at CREATED - 5 days, noncurrent since CREATED
 * (its successor's mtime), so NoncurrentDays count from START as Days do
 * for objects; newer: its newer noncurrent versions. A marker's Expiration
 * Days count from its own mtime, CREATED too when it is the latest.
 */
struct ver_case {
	const char *key;
	const char *cls;
	bool marker, latest, alone;
	uint32_t newer;
	int64_t age, extra;
	enum lc_action_kind want;
	const char *want_class;
	const char *want_rule;
	const char *why;
};

#define NONCUR false, false, false /* a noncurrent data version */
#define NC_MARKER true, false, false
#define LONE_MARKER true, true, true
#define MARKER_WITH_VERSIONS true, true, false

/* clang-format off */
static const struct rule_spec version_rules[] = {
	/* The case: keep one newest noncurrent version, the rest go after a day. */
	{.id = "keep1", .prefix = "k/", .nc_exp_days = 1, .nc_exp_newer = 1},
	{.id = "tiers", .prefix = "t/", .nc_tr = {{"STANDARD_IA", 1, 0}, {"GLACIER", 5, 2}}, .nc_exp_days = 9},
	{.id = "eodm", .prefix = "m/", .marker = 1},
	{.id = "eodm-off", .prefix = "f/", .marker = -1},
	{.id = "exp5", .prefix = "e/", .exp_days = 5},
	{.id = "off", .disabled = true, .prefix = "d/", .nc_exp_days = 1, .marker = 1},
	{.id = "big", .prefix = "s/", .has_gt = true, .gt = 50, .nc_exp_days = 1},
	{.id = "cur", .prefix = "c/", .exp_days = 1, .tr = {{"GLACIER", 1, 0}}},
};

static const struct ver_case version_cases[] = {
	/* NoncurrentDays from the successor's mtime, rounded up like Days. */
	{"k/x", "", NONCUR, 1, 0, 999, KEEP, "a noncurrent version lives to the end of its first day"},
	{"k/x", "", NONCUR, 1, 1, 0, EXPIRE("keep1"), "with one newer noncurrent version it expires at day 1"},
	{"k/x", "", NONCUR, 5, 1, 0, EXPIRE("keep1"), "more newer versions than kept: it expires"},
	{"k/x", "", NONCUR, 0, 1, 0, KEEP, "the newest noncurrent version is kept whatever its age"},
	{"k/x", "", NONCUR, 0, 10000, 0, KEEP, "... forever"},
	{"k/x", "", NC_MARKER, 1, 1, 0, EXPIRE("keep1"), "a noncurrent delete marker is a version: it expires too"},
	{"k/x", "", NC_MARKER, 0, 1, 0, KEEP, "... and counts toward NewerNoncurrentVersions"},
	{"k/x", "", LONE_MARKER, 0, 10000, 0, KEEP, "a noncurrent rule leaves a latest marker alone"},
	{"k/x", "", false, true, false, 0, 10000, 0, KEEP, "the current version is not lc_evaluate_version's"},
	{"other/x", "", NONCUR, 9, 10000, 0, KEEP, "a key outside the prefix is kept"},
	/* Noncurrent transitions: coldest due class, never warmer, expiration wins. */
	{"t/x", "", NONCUR, 0, 0, 999, KEEP, "no noncurrent transition before day 1"},
	{"t/x", "", NONCUR, 0, 1, 0, MOVE("STANDARD_IA", "tiers"), "at day 1 to STANDARD_IA"},
	{"t/x", "STANDARD_IA", NONCUR, 0, 1, 0, KEEP, "already in STANDARD_IA: stays"},
	{"t/x", "STANDARD_IA", NONCUR, 1, 5, 0, KEEP, "GLACIER needs 2 newer noncurrent versions: 1 is not enough"},
	{"t/x", "STANDARD_IA", NONCUR, 2, 5, 0, MOVE("GLACIER", "tiers"), "with 2 newer ones, GLACIER at day 5"},
	{"t/x", "", NONCUR, 2, 5, 0, MOVE("GLACIER", "tiers"), "STANDARD skips STANDARD_IA for the coldest due class"},
	{"t/x", "", NONCUR, 0, 5, 0, MOVE("STANDARD_IA", "tiers"), "without the newer versions only STANDARD_IA is due"},
	{"t/x", "GLACIER", NONCUR, 0, 5, 0, KEEP, "a GLACIER version is never warmed to STANDARD_IA"},
	{"t/x", "REDUCED_REDUNDANCY", NONCUR, 0, 5, 0, KEEP, "an unknown class is left alone"},
	{"t/x", "", NC_MARKER, 0, 5, 0, KEEP, "a delete marker is never transitioned"},
	{"t/x", "GLACIER", NONCUR, 0, 9, 0, EXPIRE("tiers"), "at day 9 the noncurrent expiration wins"},
	{"t/x", "REDUCED_REDUNDANCY", NONCUR, 0, 9, 0, EXPIRE("tiers"), "expiration ignores the class"},
	/* Expired object delete markers. */
	{"m/x", "", LONE_MARKER, 0, 0, -750, EXPIRE("eodm"), "ExpiredObjectDeleteMarker: a lone marker goes at once"},
	{"m/x", "", MARKER_WITH_VERSIONS, 0, 10000, 0, KEEP, "a marker with versions behind it stays"},
	{"m/x", "", NC_MARKER, 0, 10000, 0, KEEP, "ExpiredObjectDeleteMarker leaves noncurrent markers"},
	{"m/x", "", NONCUR, 0, 10000, 0, KEEP, "ExpiredObjectDeleteMarker leaves noncurrent data"},
	{"f/x", "", LONE_MARKER, 0, 10000, 0, KEEP, "ExpiredObjectDeleteMarker false does nothing"},
	{"e/x", "", LONE_MARKER, 0, 4, 999, KEEP, "Expiration Days: a lone marker waits for its days"},
	{"e/x", "", LONE_MARKER, 0, 5, 0, EXPIRE("exp5"), "Expiration Days due: the lone marker goes (AWS)"},
	{"e/x", "", MARKER_WITH_VERSIONS, 0, 5, 0, KEEP, "Expiration never removes a marker with versions"},
	{"e/x", "", NONCUR, 0, 10000, 0, KEEP, "Expiration never removes a noncurrent version"},
	/* Status and filters. */
	{"d/x", "", NONCUR, 9, 10000, 0, KEEP, "a Disabled rule removes no noncurrent version"},
	{"d/x", "", LONE_MARKER, 0, 10000, 0, KEEP, "a Disabled rule removes no marker"},
	{"s/x", "", NONCUR, 0, 1, 0, EXPIRE("big"), "a 100-byte version is > 50"},
	{"s/x", "", NC_MARKER, 0, 1, 0, KEEP, "a marker has size 0: ObjectSizeGreaterThan leaves it"},
	{"c/x", "", NONCUR, 0, 10000, 0, KEEP, "current-version actions do nothing to noncurrent versions"},
	{"c/x", "", LONE_MARKER, 0, 0, 999, KEEP, "a lone marker before the rule's Expiration Days"},
	{"c/x", "", LONE_MARKER, 0, 1, 0, EXPIRE("cur"), "a lone marker once Expiration is due; Transition never"},
};
/* clang-format on */

static void test_evaluate_versions(void **state)
{
	struct lc_config c = build_config(version_rules, NELEM(version_rules));
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < NELEM(version_cases); i++) {
		const struct ver_case *tc = &version_cases[i];
		struct lc_version v = {
		    {tc->key, tc->marker ? 0 : 100, CREATED - 5 * DAY, tc->cls, 0, NULL},
		    tc->marker,
		    tc->latest,
		    tc->alone,
		    CREATED,
		    tc->newer};
		struct lc_action a;

		if (tc->latest)
			v.o.mtime_ms = CREATED;
		a = lc_evaluate_version(&c, &v, AT(tc->age, tc->extra), DAY);
		if (a.kind != tc->want || !str_eq(a.storage_class, tc->want_class) ||
		    !str_eq(a.rule_id, tc->want_rule) || !in_config(a.storage_class, &c) ||
		    !in_config(a.rule_id, &c)) {
			print_error("version case %zu (%s): got kind %d class %s rule %s\n", i,
				    tc->why, (int)a.kind,
				    a.storage_class ? a.storage_class : "(null)",
				    a.rule_id ? a.rule_id : "(null)");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	/* No configuration: nothing happens to any version. */
	{
		struct lc_version v = {{"m/x", 0, CREATED, "", 0, NULL}, true, true, true, 0, 0};

		assert_int_equal(lc_evaluate_version(NULL, &v, AT(10000, 0), DAY).kind, LC_KEEP);
	}
}

static void test_no_rules(void **state)
{
	struct lc_config empty = {0, NULL};
	struct lc_object o = {"k", 1, CREATED, "STANDARD", 0, NULL};
	struct lc_action a;

	(void)state;
	a = lc_evaluate(&empty, &o, INT64_MAX, DAY);
	assert_int_equal(a.kind, LC_KEEP);
	assert_null(a.rule_id);
	assert_null(a.storage_class);
	a = lc_evaluate(NULL, &o, INT64_MAX, DAY);
	assert_int_equal(a.kind, LC_KEEP);
	assert_false(lc_upload_expired(&empty, "k", CREATED, INT64_MAX, DAY));
	assert_false(lc_upload_expired(NULL, "k", CREATED, INT64_MAX, DAY));
}

/* ---- lc_upload_expired ---- */

struct upload_case {
	const char *key;
	int64_t age, extra; /* since START, as above */
	bool want;
	const char *why;
};

/* clang-format off */
static const struct rule_spec upload_rules[] = {
	{.id = "mpu", .prefix = "uploads/", .abort_days = 7},
	{.id = "mpu-off", .disabled = true, .prefix = "off/", .abort_days = 1},
	{.id = "mpu-tag", .prefix = "tagged/", .tags = {{"env", "prod"}}, .abort_days = 1},
	{.id = "mpu-size", .prefix = "sized/", .has_gt = true, .gt = 1000000, .abort_days = 2},
	{.id = "no-abort", .prefix = "plain/", .exp_days = 1},
	{.id = "mpu-all", .prefix = "", .tags = {{"env", "prod"}}, .abort_days = 1},
};

static const struct upload_case upload_cases[] = {
	{"uploads/a", 0, -750, false, "an upload is not stale when initiated"},
	{"uploads/a", 6, 250, false, "7 x 24 h after initiation is not yet the midnight it rounds to"},
	{"uploads/a", 6, 999, false, "the last ms of day 6 is not yet stale"},
	{"uploads/a", 7, 0, true, "at day 7 the upload is stale"},
	{"uploads/a", 10000, 0, true, "a forgotten upload is stale"},
	{"uploads", 10000, 0, false, "the key \"uploads\" is outside \"uploads/\""},
	{"other/a", 10000, 0, false, "no rule selects other/"},
	{"off/a", 10000, 0, false, "a Disabled rule never aborts"},
	{"tagged/a", 10000, 0, false, "a rule with a Tag filter never selects an upload"},
	{"sized/a", 1, 999, false, "a size-bounded rule's days still count"},
	{"sized/a", 2, 0, true, "size bounds are ignored: an upload has no size yet"},
	{"plain/a", 10000, 0, false, "a rule without AbortIncompleteMultipartUpload never aborts"},
};
/* clang-format on */

static void test_upload_expired(void **state)
{
	struct lc_config c = build_config(upload_rules, NELEM(upload_rules));
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < NELEM(upload_cases); i++) {
		const struct upload_case *tc = &upload_cases[i];
		bool got = lc_upload_expired(&c, tc->key, CREATED, AT(tc->age, tc->extra), DAY);

		if (got != tc->want) {
			print_error("upload case %zu (%s): got %d\n", i, tc->why, got);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Uploads follow real midnights with a real day, and saturate rather than wrap. */
static void test_upload_real_day(void **state)
{
	struct lc_config c = build_config(upload_rules, NELEM(upload_rules));

	(void)state;
	assert_false(lc_upload_expired(&c, "uploads/a", MIDNIGHT + 23 * HOUR,
				       MIDNIGHT + 8 * NDAY - 1, NDAY));
	assert_true(
	    lc_upload_expired(&c, "uploads/a", MIDNIGHT + 23 * HOUR, MIDNIGHT + 8 * NDAY, NDAY));
	assert_false(lc_upload_expired(&c, "uploads/a", INT64_MAX - 1, INT64_MAX - 1, NDAY));
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_ms),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_evaluate_dicom),
		cmocka_unit_test(test_evaluate_precedence),
		cmocka_unit_test(test_evaluate_overlap),
		cmocka_unit_test(test_evaluate_creation_time),
		cmocka_unit_test(test_evaluate_filters),
		cmocka_unit_test(test_evaluate_versions),
		cmocka_unit_test(test_no_rules),
		cmocka_unit_test(test_upload_expired),
		cmocka_unit_test(test_upload_real_day),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
