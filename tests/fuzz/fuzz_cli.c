/*
 * fuzz_cli.c - the command-line tool's argument parsers (tools/util.c):
 * dates (--since, --until), whole numbers (--limit, --lease, ...), ticket
 * ids (BUG-00042, bug-42, 42), status lists and severities.
 *
 * Input: a selector byte, then the argument (cut at its first NUL, as
 * argv would).  Each parser is checked against a reference written here
 * from its documentation, in both directions: it accepts exactly what the
 * reference accepts, with the same value.  Dates are checked by writing
 * the value back as a calendar date (no timegm), numbers by their range,
 * ticket ids against a database holding tickets 1, 2 and 3.
 */
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "fuzz.h"

static const struct command fuzz_command = { "fuzz", NULL, "", "usage: fuzz\n", NULL };

/* The ranges the commands pass to cli_parse_int. */
static const struct { int64_t min, max; } ranges[] = {
	{ 1, 1000 }, { 1, 1000000 }, { 0, 1000000 }, { 1, INT32_MAX }, { 0, INT32_MAX },
	{ 1, INT64_MAX }, { 1, 10 * 365 * 86400 }, { INT64_MIN, INT64_MAX }, { -5, 5 },
};

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* ---- dates ---- */

static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* Slow and obviously right: whole years from 1970, then months. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t days = 0;

	for (int64_t yy = 1970; yy < y; yy++)
		days += 365 + ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0);
	for (int64_t yy = y; yy < 1970; yy++)
		days -= 365 + ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0);
	for (int mm = 1; mm < m; mm++)
		days += mdays[mm - 1] + (mm == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	return days + d - 1;
}

static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* YYYY-MM-DD, YYYY-MM-DDTHH:MMZ, YYYY-MM-DDTHH:MM:SSZ (UTC), or N followed
 * by d, h or m: that long before @now, N at most 100000 days in minutes. */
static int ref_time(const char *s, int64_t now, int64_t *out)
{
	static const char *const shapes[] = { "dddd-dd-dd", "dddd-dd-ddTdd:ddZ", "dddd-dd-ddTdd:dd:ddZ" };
	size_t n = strlen(s), i;
	int y, mo, d, h = 0, mi = 0, sec = 0, dim;

	if (n >= 2 && strchr("dhm", s[n - 1]) && s[n - 1]) {
		int64_t v = 0, unit = s[n - 1] == 'd' ? 86400000 : s[n - 1] == 'h' ? 3600000 : 60000;

		for (i = 0; i < n - 1; i++) {
			if (!is_digit(s[i]))
				break;
			if (v <= 144000000)
				v = v * 10 + (s[i] - '0');
		}
		if (i == n - 1) {
			if (v > 144000000 || v * unit > (int64_t)100000 * 86400000)
				return 0; /* the parser's bound: 100,000 days */
			*out = now - v * unit;
			return 1;
		}
	}
	for (i = 0; i < 3 && strlen(shapes[i]) != n; i++)
		;
	if (i == 3)
		return 0;
	for (size_t j = 0; j < n; j++)
		if (shapes[i][j] == 'd' ? !is_digit(s[j]) : s[j] != shapes[i][j])
			return 0;
	y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
	if (n > 10)
		h = num(s + 11, 2), mi = num(s + 14, 2);
	if (n > 17)
		sec = num(s + 17, 2);
	if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		return 0;
	dim = mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d < 1 || d > dim)
		return 0;
	*out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000;
	return 1;
}

/* ---- whole numbers ---- */

/* As strtoll reads base 10 in the C locale: blanks, a sign, digits. */
static int ref_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t mag = 0, limit;
	int neg = 0, digits = 0, over = 0;
	int64_t v;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; is_digit(*s); s++, digits++) {
		if (mag > (limit - (uint64_t)(*s - '0')) / 10)
			over = 1;
		else
			mag = mag * 10 + (uint64_t)(*s - '0');
	}
	if (!digits || *s || over)
		return 0;
	v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
	if (v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

/* ---- ticket ids ---- */

/* 1-3: that ticket; 0: no such ticket; -1: not a ticket id; -2: a number
 * too large for any id, which may be reported either way. */
static int64_t ref_ticket(const char *s)
{
	int64_t v = 0;
	size_t digits = 0;

	if ((s[0] | 0x20) == 'b' && (s[1] | 0x20) == 'u' && (s[2] | 0x20) == 'g' && s[3] == '-')
		s += 4;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!is_digit(*s))
			return -1;
		if (digits || *s != '0')
			digits++;
		if (digits <= 18)
			v = v * 10 + (*s - '0');
	}
	if (digits > 18)
		return -2;
	return v >= 1 && v <= 3 ? v : 0;
}

static bt_db *ticket_db(void)
{
	static bt_db *db;

	if (!db) {
		db = fuzz_fresh_db("cli.db", NULL);
		for (int i = 0; i < 3; i++) {
			bt_report r = BT_REPORT_INIT;
			int64_t id;

			r.title = "fuzz ticket";
			FUZZ_ASSERT(bt_report_create(db, &r, &id, NULL) == BT_OK && id == i + 1);
		}
	}
	return db;
}

/* ---- statuses and severities: names in any ASCII case ---- */

static const char *const status_names[] = {
	NULL, "new", "triaged", "in_progress", "awaiting_verification", "resolved", "closed"
};
static const char *const severity_names[] = { NULL, "low", "medium", "high", "critical" };

static int ref_status_mask(const char *s, unsigned int *mask)
{
	*mask = 0;
	for (;;) {
		size_t len = strcspn(s, ",");
		int found = len == 4 && !strncasecmp(s, "open", 4);

		if (found)
			*mask |= BT_STATUS_OPEN_MASK;
		for (int i = 1; i <= 6 && !found; i++)
			if (strlen(status_names[i]) == len && !strncasecmp(s, status_names[i], len)) {
				*mask |= BT_STATUS_BIT(i);
				found = 1;
			}
		if (!found)
			return 0;
		if (!s[len])
			return 1;
		s += len + 1;
	}
}

/* Refused arguments are reported on stderr, at every execution: the call
 * runs with stderr on /dev/null (glibc lets stderr be reassigned; the
 * sanitizers and FUZZ_ASSERT after it still reach fd 2). */
static FILE *devnull, *real_stderr;
#define QUIET(call) do { stderr = devnull; rc = (call); stderr = real_stderr; } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cli c;
	char *arg;
	int64_t got = 0, want = 0;
	int rc;

	if (size < 2)
		return 0;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	real_stderr = stderr;
	arg = fuzz_cstring(data + 2, size - 2);
	memset(&c, 0, sizeof(c));
	c.cmd = &fuzz_command;
	c.now_ms = FUZZ_NOW_MS;

	switch (data[0] % 5) {
	case 0:
		QUIET(cli_parse_time(&c, "--since", arg, &got));
		/* The reference reads the older, smaller grammar (dates, Z times,
		 * Nd/Nh/Nm); the parser also takes zones, s, w and names, so
		 * what the reference takes must parse to the same time, and
		 * anything else must be taken or refused cleanly. */
		if (ref_time(arg, c.now_ms, &want))
			FUZZ_ASSERT(rc == EXIT_OK && got == want);
		else
			FUZZ_ASSERT(rc == EXIT_OK || rc == EXIT_USAGE);
		break;
	case 1: {
		size_t r = data[1] % (sizeof(ranges) / sizeof(ranges[0]));
		int ok = ref_int(arg, ranges[r].min, ranges[r].max, &want);

		QUIET(cli_parse_int(&c, "--limit", arg, ranges[r].min, ranges[r].max, &got));
		FUZZ_ASSERT(rc == (ok ? EXIT_OK : EXIT_USAGE));
		FUZZ_ASSERT(!ok || got == want);
		break;
	}
	case 2: {
		bt_ticket *t = NULL;
		bt_db *db = ticket_db();
		int64_t ref = ref_ticket(arg);

		QUIET(cli_ticket(db, arg, &t));
		if (ref > 0)
			FUZZ_ASSERT(rc == EXIT_OK && t && bt_ticket_id(t) == ref);
		else if (ref == 0)
			FUZZ_ASSERT(rc == EXIT_NOTFOUND);
		else if (ref == -1)
			FUZZ_ASSERT(rc == EXIT_USAGE);
		else
			FUZZ_ASSERT(rc == EXIT_USAGE || rc == EXIT_NOTFOUND);
		FUZZ_ASSERT((rc == EXIT_OK) == (t != NULL));
		bt_ticket_free(t);
		break;
	}
	case 3: {
		unsigned int mask = 0, ref_mask;
		int ok = ref_status_mask(arg, &ref_mask);

		QUIET(cli_parse_status_mask(&c, arg, &mask));
		FUZZ_ASSERT(rc == (ok ? EXIT_OK : EXIT_USAGE));
		FUZZ_ASSERT(!ok || mask == ref_mask);
		break;
	}
	default: {
		bt_severity s = (bt_severity)0;
		int ref = 0;

		for (int i = 1; i <= 4; i++)
			if (!strcasecmp(arg, severity_names[i]))
				ref = i;
		QUIET(cli_parse_severity(&c, arg, &s));
		FUZZ_ASSERT(rc == (ref ? EXIT_OK : EXIT_USAGE));
		FUZZ_ASSERT(!ref || (int)s == ref);
		break;
	}
	}
	free(arg);
	return 0;
}
