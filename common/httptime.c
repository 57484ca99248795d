/*
 * httptime: fixed-position parsers and formatters for the dates S3 speaks.
 *
 * Every parser reads the whole string at fixed positions and fails on a
 * missing, extra or out-of-range field: no scanf family, no strptime, no locale.
 * Calendar arithmetic is done here (days_from_civil / civil_from_days after
 * H. Hinnant's public-domain algorithms) rather than with timegm/gmtime_r, so
 * the result never depends on TZ, on the locale or on a libc lock.
 *
 * Choices a caller may notice:
 *   - Names ("Sun", "Nov", "GMT", "T", "Z") are case-sensitive, as in RFC 9110
 *     (%s"...") and ISO 8601. The day name must be a real one but need not
 *     match the date: the grammar does not tie the two together, and the
 *     instant is fully given by the other fields.
 *   - Seconds run 0-59 (no leap second 60); days are checked against the month
 *     length, leap years included.
 *   - RFC 850 two-digit years: 70-99 -> 19yy, 00-69 -> 20yy (a fixed pivot, so
 *     a result never changes with the clock; RFC 850 dates come only from
 *     very old clients).
 *   - ISO dates take 1-9 fraction digits (botocore sends 6), dropped on parse.
 *   - Formatters clamp to years 0001-9999 so the output is always fixed width.
 */
#include "httptime.h"

#include <string.h>

#define SECS_PER_DAY 86400
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z as Unix seconds */
#define MIN_SECS (-62135596800LL)
#define MAX_SECS 253402300799LL

static const char *const wkday_short[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wkday_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					  "Thursday", "Friday", "Saturday"};
static const char *const month_short[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct fields {
	int year, mon, day; /* mon 1-12 */
	int hour, min, sec;
};

/* ---- calendar ---- */

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1-12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Range-checks f and converts it; false when a field is out of range or time_t too narrow. */
static bool fields_to_time(const struct fields *f, time_t *out)
{
	int64_t secs;

	if (f->year < 1 || f->year > 9999 || f->mon < 1 || f->mon > 12 || f->day < 1 ||
	    f->day > month_days(f->year, f->mon) || f->hour > 23 || f->min > 59 || f->sec > 59)
		return false;
	secs = days_from_civil(f->year, (unsigned)f->mon, (unsigned)f->day) * SECS_PER_DAY +
	       f->hour * 3600 + f->min * 60 + f->sec;
	if ((int64_t)(time_t)secs != secs)
		return false;
	*out = (time_t)secs;
	return true;
}

/* Splits Unix seconds (clamped to years 1-9999) into fields; returns the weekday 0=Sunday. */
static int time_to_fields(int64_t secs, struct fields *f)
{
	int64_t days, rem;

	if (secs < MIN_SECS)
		secs = MIN_SECS;
	if (secs > MAX_SECS)
		secs = MAX_SECS;
	days = secs / SECS_PER_DAY;
	rem = secs % SECS_PER_DAY;
	if (rem < 0) {
		rem += SECS_PER_DAY;
		days--;
	}
	civil_from_days(days, &f->year, &f->mon, &f->day);
	f->hour = (int)(rem / 3600);
	f->min = (int)(rem / 60 % 60);
	f->sec = (int)(rem % 60);
	/* 1970-01-01 was a Thursday (4) */
	return (int)(((days % 7) + 11) % 7);
}

/* ---- scanning: every helper advances *pos only on a match ---- */

struct scan {
	const char *s;
	size_t len;
	size_t pos;
};

static bool lit(struct scan *sc, const char *text)
{
	size_t n = strlen(text);

	if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, text, n) != 0)
		return false;
	sc->pos += n;
	return true;
}

/* Exactly n (<= 9) ASCII digits. */
static bool digits(struct scan *sc, size_t n, int *out)
{
	int v = 0;
	size_t i;

	if (sc->len - sc->pos < n)
		return false;
	for (i = 0; i < n; i++) {
		char c = sc->s[sc->pos + i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	sc->pos += n;
	*out = v;
	return true;
}

/* One of the names in tab; its index into *idx. */
static bool name(struct scan *sc, const char *const *tab, int n, int *idx)
{
	int i;

	for (i = 0; i < n; i++) {
		if (lit(sc, tab[i])) {
			*idx = i;
			return true;
		}
	}
	return false;
}

/* "HH:MM:SS" */
static bool hms(struct scan *sc, struct fields *f)
{
	return digits(sc, 2, &f->hour) && lit(sc, ":") && digits(sc, 2, &f->min) && lit(sc, ":") &&
	       digits(sc, 2, &f->sec);
}

static bool at_end(const struct scan *sc)
{
	return sc->pos == sc->len;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool parse_imf(struct scan sc, struct fields *f)
{
	int wd, mon;

	if (!(name(&sc, wkday_short, 7, &wd) && lit(&sc, ", ") && digits(&sc, 2, &f->day) &&
	      lit(&sc, " ") && name(&sc, month_short, 12, &mon) && lit(&sc, " ") &&
	      digits(&sc, 4, &f->year) && lit(&sc, " ") && hms(&sc, f) && lit(&sc, " GMT") &&
	      at_end(&sc)))
		return false;
	f->mon = mon + 1;
	return true;
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
static bool parse_rfc850(struct scan sc, struct fields *f)
{
	int wd, mon, yy;

	if (!(name(&sc, wkday_long, 7, &wd) && lit(&sc, ", ") && digits(&sc, 2, &f->day) &&
	      lit(&sc, "-") && name(&sc, month_short, 12, &mon) && lit(&sc, "-") &&
	      digits(&sc, 2, &yy) && lit(&sc, " ") && hms(&sc, f) && lit(&sc, " GMT") &&
	      at_end(&sc)))
		return false;
	f->mon = mon + 1;
	f->year = yy < 70 ? 2000 + yy : 1900 + yy;
	return true;
}

/* asctime: "Sun Nov  6 08:49:37 1994" (day as SP DIGIT or 2DIGIT) */
static bool parse_asctime(struct scan sc, struct fields *f)
{
	int wd, mon;

	if (!(name(&sc, wkday_short, 7, &wd) && lit(&sc, " ") && name(&sc, month_short, 12, &mon) &&
	      lit(&sc, " ")))
		return false;
	if (!(digits(&sc, 2, &f->day) || (lit(&sc, " ") && digits(&sc, 1, &f->day))))
		return false;
	if (!(lit(&sc, " ") && hms(&sc, f) && lit(&sc, " ") && digits(&sc, 4, &f->year) &&
	      at_end(&sc)))
		return false;
	f->mon = mon + 1;
	return true;
}

/*
 * Parses an HTTP-date (RFC 9110 5.6.7) in any of its three forms. *out is
 * written only on success; false for NULL, any deviation from the fixed
 * layout, trailing bytes, or an impossible date.
 */
bool httptime_parse_http(const char *s, time_t *out)
{
	struct fields f = {0};
	struct scan sc;

	if (!s)
		return false;
	sc.s = s;
	sc.len = strlen(s);
	sc.pos = 0;
	if (!parse_imf(sc, &f) && !parse_rfc850(sc, &f) && !parse_asctime(sc, &f))
		return false;
	return fields_to_time(&f, out);
}

/*
 * Parses the SigV4 timestamp "YYYYMMDDTHHMMSSZ" (exactly 16 bytes). *out is
 * written only on success.
 */
bool httptime_parse_amz(const char *s, time_t *out)
{
	struct fields f = {0};
	struct scan sc;

	if (!s)
		return false;
	sc.s = s;
	sc.len = strlen(s);
	sc.pos = 0;
	if (!(digits(&sc, 4, &f.year) && digits(&sc, 2, &f.mon) && digits(&sc, 2, &f.day) &&
	      lit(&sc, "T") && digits(&sc, 2, &f.hour) && digits(&sc, 2, &f.min) &&
	      digits(&sc, 2, &f.sec) && lit(&sc, "Z") && at_end(&sc)))
		return false;
	return fields_to_time(&f, out);
}

/*
 * Parses "YYYY-MM-DDTHH:MM:SSZ", optionally with a 1-9 digit fraction before
 * the Z (dropped: the result has second precision). *out is written only on
 * success.
 */
bool httptime_parse_iso(const char *s, time_t *out)
{
	struct fields f = {0};
	struct scan sc;
	size_t nfrac = 0;

	if (!s)
		return false;
	sc.s = s;
	sc.len = strlen(s);
	sc.pos = 0;
	if (!(digits(&sc, 4, &f.year) && lit(&sc, "-") && digits(&sc, 2, &f.mon) && lit(&sc, "-") &&
	      digits(&sc, 2, &f.day) && lit(&sc, "T") && hms(&sc, &f)))
		return false;
	if (lit(&sc, ".")) {
		while (sc.pos < sc.len && sc.s[sc.pos] >= '0' && sc.s[sc.pos] <= '9') {
			sc.pos++;
			nfrac++;
		}
		if (nfrac < 1 || nfrac > 9)
			return false;
	}
	if (!(lit(&sc, "Z") && at_end(&sc)))
		return false;
	return fields_to_time(&f, out);
}

/* Writes v as exactly `width` decimal digits at p (v fits: fields are range-checked). */
static char *put_num(char *p, int v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* Writes t as IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 chars + NUL). */
void httptime_format_http(time_t t, char out[30])
{
	struct fields f;
	int wd = time_to_fields((int64_t)t, &f);
	char *p = out;

	p = put_str(p, wkday_short[wd]);
	p = put_str(p, ", ");
	p = put_num(p, f.day, 2);
	*p++ = ' ';
	p = put_str(p, month_short[f.mon - 1]);
	*p++ = ' ';
	p = put_num(p, f.year, 4);
	*p++ = ' ';
	p = put_num(p, f.hour, 2);
	*p++ = ':';
	p = put_num(p, f.min, 2);
	*p++ = ':';
	p = put_num(p, f.sec, 2);
	p = put_str(p, " GMT");
	*p = '\0';
}

/* Writes ms since the epoch as "2009-10-12T17:50:30.000Z" (24 chars + NUL). */
void httptime_format_iso_ms(int64_t ms, char out[25])
{
	struct fields f;
	int64_t secs = ms / 1000;
	int frac = (int)(ms % 1000);
	char *p = out;

	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	if (secs < MIN_SECS || secs > MAX_SECS)
		frac = secs < MIN_SECS ? 0 : 999;
	time_to_fields(secs, &f);
	p = put_num(p, f.year, 4);
	*p++ = '-';
	p = put_num(p, f.mon, 2);
	*p++ = '-';
	p = put_num(p, f.day, 2);
	*p++ = 'T';
	p = put_num(p, f.hour, 2);
	*p++ = ':';
	p = put_num(p, f.min, 2);
	*p++ = ':';
	p = put_num(p, f.sec, 2);
	*p++ = '.';
	p = put_num(p, frac, 3);
	*p++ = 'Z';
	*p = '\0';
}

/* Writes t as "20130524T000000Z" (16 chars + NUL). */
void httptime_format_amz(time_t t, char out[17])
{
	struct fields f;
	char *p = out;

	time_to_fields((int64_t)t, &f);
	p = put_num(p, f.year, 4);
	p = put_num(p, f.mon, 2);
	p = put_num(p, f.day, 2);
	*p++ = 'T';
	p = put_num(p, f.hour, 2);
	p = put_num(p, f.min, 2);
	p = put_num(p, f.sec, 2);
	*p++ = 'Z';
	*p = '\0';
}

/*
 * Wall-clock time in ms since the epoch; 0 if the clock fails. C11
 * timespec_get, so no POSIX feature macro is needed to build this file.
 */
int64_t httptime_now_ms(void)
{
	struct timespec ts;

	if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
