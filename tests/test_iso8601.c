/*
 * test_iso8601.c - bti_iso8601_parse, the one reader of ISO 8601 times that
 * import (legacy reports' times) and the tool (--since, --until) share:
 * each form either grammar takes, with its value, leap years, the ends of
 * the calendar, and what each must refuse.  The values were worked out
 * apart from the code (Python's datetime).
 */
#include "check.h"
#include "internal.h"
#include "iso8601.h"

#define STRICT BTI_ISO8601_STRICT

typedef struct time_case {
	const char *text;
	int64_t ms;
} time_case;

/* Both grammars: what the tool's documentation names. */
static const time_case both[] = {
	{ "2024-03-01", INT64_C(1709251200000) },
	{ "2026-11-21T12:00Z", INT64_C(1795262400000) },
	{ "2026-11-21T12:00:05Z", INT64_C(1795262405000) },
	{ "1970-01-01", 0 },
	{ "1969-12-31T23:59:59Z", -1000 },
	{ "0000-01-01", INT64_C(-62167219200000) },
	{ "0001-01-01", INT64_C(-62135596800000) },
	{ "9999-12-31T23:59:59Z", INT64_C(253402300799000) },
	/* Leap years: every 4th, not every 100th, every 400th. */
	{ "2024-02-29", INT64_C(1709164800000) },
	{ "2000-02-29", INT64_C(951782400000) },
	{ "2400-02-29", INT64_C(13574563200000) },
	{ "2024-04-30", INT64_C(1714435200000) },
	{ "2024-12-31T23:59:59Z", INT64_C(1735689599000) },
};

/* Import's grammar only (README, "bugtrack import": a space for the T,
 * fractions, offsets +02:00, +0200 or +02; no zone is UTC). */
static const time_case lenient_only[] = {
	{ "2024-03-01T12:34:56.789Z", INT64_C(1709296496789) },
	{ "2024-03-01t12:34:56.789z", INT64_C(1709296496789) },
	{ "2024-03-01 12:34:56.789Z", INT64_C(1709296496789) },
	{ "2024-03-01T12:34:56,789Z", INT64_C(1709296496789) },
	{ "2024-03-01T12:34:56.7Z", INT64_C(1709296496700) },
	{ "2024-03-01T12:34:56.78912Z", INT64_C(1709296496789) }, /* cut, not rounded */
	{ "2024-03-01T12:34", INT64_C(1709296440000) },
	{ "2024-03-01T12:34:56", INT64_C(1709296496000) },
	{ "2024-03-01T12:34:56+02:00", INT64_C(1709289296000) },
	{ "2024-03-01T12:34:56+0200", INT64_C(1709289296000) },
	{ "2024-03-01T12:34:56+02", INT64_C(1709289296000) },
	{ "2024-03-01T12:34-05:30", INT64_C(1709316240000) },
	{ "1970-01-01T00:00+01:00", -3600000 },
	{ "2016-12-31T23:59:60Z", INT64_C(1483228799000) }, /* a leap second reads as :59 */
	{ "2016-12-31T23:59:60.5Z", INT64_C(1483228799500) },
	{ "9999-12-31T23:59:59.999Z", BTI_TIME_MAX },
	{ "2024-03-01T23:59+23:59", INT64_C(1709251200000) },
};

/* Neither grammar. */
static const char *const never[] = {
	"", "2024", "2024-03", "24-03-01", "2024-3-01", "2024-03-1", "12024-03-01", "2024/03/01",
	" 2024-03-01", "2024-03-01 ", "2024-03-01x", "2024-03-01T", "2024-03-01T12",
	"2024-03-01T12:3", "2024-03-01T12:34:5Z", "2024-03-01T12:34:56Zx", "2024-03-01T12:34Z ",
	"2024-03-01T12:34:56.Z", "2024-03-01T12:34.5Z", "2024-03-01T12:34:56+2",
	"2024-03-01T12:34:56+02:0", "2024-03-01T12:34:56+02:00x", "2024-03-01T12:34:56+", "yesterday",
	/* Bad months and days. */
	"2024-00-01", "2024-13-01", "2024-01-00", "2024-01-32", "2024-04-31", "2024-06-31",
	"2023-02-29", "1900-02-29", "2100-02-29", "2024-02-30", "9999-99-99",
	/* Out-of-range times and offsets. */
	"2024-03-01T24:00Z", "2024-03-01T23:60Z", "2024-03-01T23:59:61Z", "2024-03-01T99:00Z",
	"2024-03-01T12:00+24:00", "2024-03-01T12:00+00:60",
};

/* The tool's grammar refuses what it does not name, so that no time is
 * read in a zone the user did not write. */
static const char *const strict_refuses[] = {
	"2026-11-21T12:00", "2026-11-21T12:00:05", "2026-11-21 12:00Z", "2026-11-21t12:00Z",
	"2026-11-21T12:00z", "2026-11-21T12:00:05.5Z", "2026-11-21T12:00:05,5Z",
	"2026-11-21T12:00+00:00", "2026-11-21T12:00+0000", "2026-11-21T12:00-01",
	"2016-12-31T23:59:60Z",
};

static void expect_time(const char *text, unsigned int flags, int64_t want)
{
	int64_t got = -1;
	int ok = bti_iso8601_parse(text, flags, &got);

	if (!ok || got != want) {
		fprintf(stderr, "'%s' (flags %u): %s %" PRId64 ", expected %" PRId64 "\n", text, flags,
			ok ? "read as" : "refused; want", got, want);
		check_failures++;
	}
}

/* Refused, and *out left as it was. */
static void expect_refused(const char *text, unsigned int flags)
{
	int64_t got = 42;

	if (bti_iso8601_parse(text, flags, &got) || got != 42) {
		fprintf(stderr, "'%s' (flags %u): read as %" PRId64 ", expected a refusal\n", text,
			flags, got);
		check_failures++;
	}
}

static void test_both_grammars(void)
{
	for (size_t i = 0; i < BTI_ARRAY_LEN(both); i++) {
		expect_time(both[i].text, 0, both[i].ms);
		expect_time(both[i].text, STRICT, both[i].ms);
	}
}

static void test_lenient(void)
{
	for (size_t i = 0; i < BTI_ARRAY_LEN(lenient_only); i++) {
		expect_time(lenient_only[i].text, 0, lenient_only[i].ms);
		expect_refused(lenient_only[i].text, STRICT);
	}
}

static void test_strict(void)
{
	for (size_t i = 0; i < BTI_ARRAY_LEN(strict_refuses); i++)
		expect_refused(strict_refuses[i], STRICT);
}

static void test_refused(void)
{
	for (size_t i = 0; i < BTI_ARRAY_LEN(never); i++) {
		expect_refused(never[i], 0);
		expect_refused(never[i], STRICT);
	}
}

/* Every day of four centuries, against a count kept day by day: the leap
 * rule and the month lengths, in both grammars, and the day after each
 * month's last refused. */
static void test_every_day(void)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t day = 0; /* days since 1970-01-01 of 1970-01-01 */
	char text[32];
	int failures = check_failures;

	for (int y = 1970; y < 2370 && check_failures == failures; y++) {
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

		for (int m = 1; m <= 12; m++) {
			int last = mdays[m - 1] + (m == 2 && leap);

			for (int d = 1; d <= last; d++, day++) {
				snprintf(text, sizeof(text), "%04d-%02d-%02d", y, m, d);
				expect_time(text, 0, day * 86400000);
				expect_time(text, STRICT, day * 86400000);
			}
			snprintf(text, sizeof(text), "%04d-%02d-%02d", y, m, last + 1);
			expect_refused(text, 0);
			expect_refused(text, STRICT);
		}
	}
}

int main(void)
{
	RUN(test_both_grammars);
	RUN(test_lenient);
	RUN(test_strict);
	RUN(test_refused);
	RUN(test_every_day);
	return check_finish();
}
