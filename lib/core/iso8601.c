/*
 * iso8601.c - one reader of ISO 8601 times for import and the tool (see
 * iso8601.h for the grammar).
 */
#include "iso8601.h"

/* Days from 1970-01-01 to @y-@m-@d, without timegm (which depends on the
 * host's time_t and is no C11). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* Exactly @n digits at *p. */
static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return 0;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

int bti_iso8601_parse(const char *s, unsigned int flags, int64_t *out)
{
	int strict = (flags & BTI_ISO8601_STRICT) != 0;
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, oh = 0, om = 0, sign = 0;
	const char *p = s;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return 0;
	if (*p == 'T' || (!strict && (*p == 't' || *p == ' '))) {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return 0;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return 0;
			if (!strict && (*p == '.' || *p == ',')) {
				int scale = 100;

				if (*++p < '0' || *p > '9')
					return 0;
				for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
					ms += (*p - '0') * scale;
			}
		}
		if (*p == 'Z' || (!strict && *p == 'z')) {
			p++;
		} else if (strict) {
			return 0; /* a time names its zone */
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (!digits(&p, 2, &oh))
				return 0;
			if (*p == ':')
				p++;
			if (*p && !digits(&p, 2, &om))
				return 0;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    sec > (strict ? 59 : 60) || oh > 23 || om > 59)
		return 0;
	if (sec == 60)
		sec = 59; /* a leap second: the nearest representable time */
	*out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + sec * 1000 + ms -
	       (int64_t)sign * (oh * 60 + om) * 60000;
	return 1;
}
