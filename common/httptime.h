/*
 * httptime: the date formats S3 speaks.
 */
#ifndef STRATA_HTTPTIME_H
#define STRATA_HTTPTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Parses an HTTP date: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850, or asctime. */
bool httptime_parse_http(const char *s, time_t *out);
/* Parses ISO 8601 basic "20130524T000000Z" (x-amz-date, X-Amz-Date). */
bool httptime_parse_amz(const char *s, time_t *out);
/* Parses ISO 8601 "2013-05-24T00:00:00Z" or with ".000Z" (XML dates). */
bool httptime_parse_iso(const char *s, time_t *out);
/* Formats IMF-fixdate into out[30]. */
void httptime_format_http(time_t t, char out[30]);
/* Formats "2009-10-12T17:50:30.000Z" (ms precision) into out[25]. */
void httptime_format_iso_ms(int64_t ms, char out[25]);
/* Formats "20130524T000000Z" into out[17]. */
void httptime_format_amz(time_t t, char out[17]);
/* Current time in ms since the epoch. */
int64_t httptime_now_ms(void);

#endif
