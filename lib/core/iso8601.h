/*
 * iso8601.h - reading an ISO 8601 date or time as milliseconds since the
 * Unix epoch (UTC).  Import reads legacy reports' times with it, and the
 * bugtrack tool its --since and --until (the tool compiles iso8601.c in,
 * since the shared library exports no internal symbol).  A pure function:
 * no allocation, no error slot, no locale, no time zone of the host.
 */
#ifndef BT_ISO8601_H
#define BT_ISO8601_H

#include <stdint.h>

/* Only YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z: the tool's documented syntax,
 * which names no zone but UTC and so leaves no doubt about local time. */
#define BTI_ISO8601_STRICT 1u

/* Parse all of @s: YYYY-MM-DD, optionally followed by T (or t, or a space)
 * HH:MM[:SS[.fff]] and Z (or z) or an offset (+HH:MM, +HHMM, +HH); no zone
 * means UTC.  Fractions may use ',' and are cut to milliseconds; second 60
 * (a leap second) reads as 59.  With BTI_ISO8601_STRICT, only the forms
 * named there.  Years 0000 to 9999, proleptic Gregorian.  1 and *out set,
 * or 0 (out of range or not the grammar) with *out untouched. */
int bti_iso8601_parse(const char *s, unsigned int flags, int64_t *out);

#endif
