/*
 * bench_report.c - `bugtrack report` over a large database: the time and
 * peak memory of every report kind, over everything, over the last 7 days,
 * and for one component (issue 17, item 2: < 0.1 s and < 32 MB each).
 *
 * The database is built through the public API, asynchronously (the
 * default mode), with a test clock: OCCURRENCES critical events over
 * TICKETS explicit fingerprints (each ticket a component of 20), their
 * times evenly spread over DAYS UTC days, in time order; a tenth of the
 * occurrences fall on the first 100 tickets, the rest at random, so that
 * `top` has a head and a long tail.  bt_flush at every day boundary keeps
 * a coalesced batch within its day.  Log rows are capped at 2 per ticket
 * (reports never read them).  One ticket in a hundred is then resolved,
 * for mttr.  The generator keeps the exact count of every day and
 * component, and each report's counts are checked against them.
 *
 * Each report runs as its own process, the real `bugtrack report ...
 * --format csv`, as an operator runs it: wall time from fork to exit
 * (best of 3) and the child's peak RSS (wait4's ru_maxrss).  The process
 * start and bt_open are inside the figure.
 *
 * Then the same database is listed whole, as an operator lists it (issue
 * 17, item 3: a full `list` or `export` of 100k tickets in < 1 s): `list`
 * in every sort order, `list --json`, `export tickets` as CSV and NDJSON,
 * each checked to hold every ticket.
 *
 * Usage: bench_report BUGTRACK [--quick] [--dir DIR] [--keep] [--reuse]
 *   BUGTRACK  the bugtrack executable
 *   --quick   2,000 tickets, 20,000 occurrences, 10 days (the smoke test)
 *   --dir     where the database goes (default: a fresh temporary dir)
 *   --keep    keep the database (its path is printed)
 *   --reuse   use DIR's database of an earlier --keep run of the same size
 *             if there is one (the generator only counts), and keep it
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define COMPONENTS 20
#define DAY_MS ((int64_t)86400000)
#define HEAD_TICKETS 100
#define RUNS 3
/* 2026-09-01T00:00:00Z: the first day. */
#define START_MS ((int64_t)1788220800000)

typedef struct build {
	int tickets, days;
	long occurrences;
	int64_t now;                 /* the test clock */
	long *per_day;               /* exact occurrences a day */
	long per_component[COMPONENTS];
	long per_day_component0;     /* comp00 over the last 7 days */
	unsigned char *hit;          /* per ticket: it had an occurrence */
	int made;                    /* tickets made: those hit (a few never are) */
} build;

static int64_t test_clock(void *payload)
{
	return ((build *)payload)->now;
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int log_one(bt_db *db, int ticket)
{
	char fp[32], comp[16];
	bt_event ev = BT_EVENT_INIT;

	snprintf(fp, sizeof(fp), "bench-%d", ticket);
	snprintf(comp, sizeof(comp), "comp%02d", ticket % COMPONENTS);
	ev.level = BT_CRITICAL;
	ev.component = comp;
	ev.message = "request failed";
	ev.fingerprint = fp;
	return bt_log_event(db, &ev, NULL);
}

/* Fill @path; 0 or -1 with a message.  @count_only: count what would be
 * made, for a database made by an earlier run (--reuse). */
static int build_db(const char *path, build *b, int count_only)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_update_options upd = BT_UPDATE_OPTIONS_INIT;
	int64_t span = (int64_t)b->days * DAY_MS;
	int day = 0, rc;
	bt_db *db;
	long i;

	opts.clock = test_clock;
	opts.clock_payload = b;
	opts.dedup_window_ms = 0;       /* one ticket per fingerprint, whatever the gap */
	opts.log_rows_per_ticket = 2;
	opts.async_overflow = BT_OVERFLOW_BLOCK;
	opts.async_queue_entries = 65536;
	opts.async_queue_bytes = (size_t)64 << 20;
	b->now = START_MS;
	if (!count_only && bench_lib_open(path, &opts, &db) != 0)
		return -1;
	for (i = 0; i < b->occurrences; i++) {
		int64_t at = START_MS + (int64_t)((double)span * (double)i / (double)b->occurrences);
		int d = (int)((at - START_MS) / DAY_MS);
		int ticket = rng() % 10 == 0 ? (int)(rng() % HEAD_TICKETS)
					     : (int)(rng() % (uint64_t)b->tickets);

		if (!count_only && d != day && (rc = bt_flush(db, 600000)) != BT_OK)
			goto fail;
		day = d;
		b->now = at;
		if (!count_only && (rc = log_one(db, ticket)) != BT_OK)
			goto fail;
		b->per_day[d]++;
		b->per_component[ticket % COMPONENTS]++;
		if (!b->hit[ticket]) {
			b->hit[ticket] = 1;
			b->made++;
		}
		if (ticket % COMPONENTS == 0 && d >= b->days - 7)
			b->per_day_component0++;
	}
	if (count_only)
		return 0;
	if ((rc = bt_flush(db, 600000)) != BT_OK)
		goto fail;
	/* One ticket in a hundred resolved on the last day, for mttr. */
	b->now = START_MS + span - 1000;
	upd.actor = "user:bench";
	for (i = 1; i <= b->tickets; i += 100)
		if ((rc = bt_ticket_resolve(db, i, NULL, NULL, NULL, &upd)) != BT_OK && rc != BT_ENOTFOUND)
			goto fail;
	bt_close(db);
	return 0;
fail:
	bench_bt_fail("build", rc);
	bt_close(db);
	return -1;
}

typedef struct result {
	double best_s;
	long maxrss_kb;
	char *out;      /* the last run's standard output */
} result;

/* Counts the lines of a stream that start with @prefix ("" counts every
 * line), a chunk at a time, as `grep -c` would. */
typedef struct line_count {
	const char *prefix;
	size_t at;      /* bytes of the current line seen, up to the prefix's */
	int missed;     /* the current line differs from the prefix */
	long n;
} line_count;

static void count_chunk(line_count *c, const char *p, size_t len)
{
	size_t plen = strlen(c->prefix);

	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t part = nl ? (size_t)(nl - p) : len;
		size_t i;

		for (i = 0; i < part && c->at < plen && !c->missed; i++, c->at++)
			c->missed = p[i] != c->prefix[c->at];
		if (nl) {
			c->n += !c->missed && c->at >= plen;
			c->at = 0;
			c->missed = 0;
			part++;
		}
		p += part;
		len -= part;
	}
}

/* Run @argv with its standard output read through a pipe; 0 or -1.  With
 * @out, the output is kept (a report's, to check its sums); with @lines, it
 * is counted as it comes and dropped: a listing is 100-150 MB, and keeping
 * it in a growing buffer cost this reader 0.3 s of page faults and copies,
 * which the listing waited for at a full pipe. */
static int run_once(char *const argv[], double *secs, long *rss_kb, char **out,
		    line_count *lines)
{
	int fds[2], status;
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	struct rusage ru;
	uint64_t t0;
	ssize_t n;
	pid_t pid;

	if (!buf || pipe(fds) != 0)
		return free(buf), -1;
	t0 = bench_mono_ns();
	pid = fork();
	if (pid < 0)
		return free(buf), -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, cap - len - 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (lines) {
			count_chunk(lines, buf, (size_t)n);
			continue;
		}
		len += (size_t)n;
		if (cap - len < 4096) {
			char *more = realloc(buf, cap *= 2);

			if (!more)
				return free(buf), -1;
			buf = more;
		}
	}
	buf[len] = '\0';
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_report: %s %s failed\n", argv[1], argv[2]);
		return free(buf), -1;
	}
	*secs = (double)(bench_mono_ns() - t0) / 1e9;
	*rss_kb = ru.ru_maxrss;
	if (out)
		*out = buf;
	else
		free(buf);
	return 0;
}

/* The sum of CSV column @col (from 0) over the data rows of @csv. */
static long csv_sum(const char *csv, int col)
{
	const char *line = strstr(csv, "\r\n");
	long sum = 0;

	while (line && line[2]) {
		const char *p = line + 2;
		int c;

		for (c = 0; c < col && p; c++) {
			p = strpbrk(p, ",\r");
			if (p && *p == ',')
				p++;
			else
				p = NULL;
		}
		if (p)
			sum += strtol(p, NULL, 10);
		line = strstr(line + 2, "\r\n");
	}
	return sum;
}

typedef struct kase {
	const char *kind, *label;
	int range;              /* the last 7 days */
	const char *component;
	int check_col;          /* the occurrences column to add up; -1: none */
} kase;

static const kase cases[] = {
	{ "summary", "all", 0, NULL, 2 },
	{ "summary", "7 days", 1, NULL, 2 },
	{ "top", "all", 0, NULL, -1 },
	{ "top", "7 days", 1, NULL, -1 },
	{ "components", "all", 0, NULL, 1 },
	{ "components", "7 days", 1, NULL, 1 },
	{ "daily", "all", 0, NULL, 2 },
	{ "daily", "7 days", 1, NULL, 2 },
	{ "daily", "comp00", 0, "comp00", 2 },
	{ "daily", "comp00, 7 days", 1, "comp00", 2 },
	{ "mttr", "all", 0, NULL, -1 },
	{ "mttr", "7 days", 1, NULL, -1 },
};

static long expected(const build *b, const kase *k)
{
	long sum = 0;
	int d;

	if (k->component)
		return k->range ? b->per_day_component0 : b->per_component[0];
	for (d = k->range ? b->days - 7 : 0; d < b->days; d++)
		sum += b->per_day[d];
	return sum;
}

static int run_case(const char *exe, const char *path, const build *b, const kase *k)
{
	char since[32], until[32];
	char *argv[16];
	int argc = 0, r, failed = 0;
	double best = 1e9;
	long rss = 0;
	char *out = NULL;

	argv[argc++] = (char *)exe;
	argv[argc++] = "report";
	argv[argc++] = (char *)k->kind;
	argv[argc++] = "--format";
	argv[argc++] = "csv";
	argv[argc++] = "--db";
	argv[argc++] = (char *)path;
	if (k->range) {
		{
			int64_t from = START_MS + (int64_t)(b->days - 7) * DAY_MS;
			int64_t to = START_MS + (int64_t)b->days * DAY_MS;
			time_t f = (time_t)(from / 1000), t = (time_t)(to / 1000);
			struct tm tf, tt;

			gmtime_r(&f, &tf);
			gmtime_r(&t, &tt);
			strftime(since, sizeof(since), "%Y-%m-%d", &tf);
			strftime(until, sizeof(until), "%Y-%m-%d", &tt);
		}
		argv[argc++] = "--since";
		argv[argc++] = since;
		argv[argc++] = "--until";
		argv[argc++] = until;
	}
	if (k->component) {
		argv[argc++] = "--component";
		argv[argc++] = (char *)k->component;
	}
	argv[argc] = NULL;
	for (r = 0; r < RUNS; r++) {
		double s;
		long kb;

		free(out);
		out = NULL;
		if (run_once(argv, &s, &kb, &out, NULL) != 0)
			return -1;
		if (s < best)
			best = s;
		if (kb > rss)
			rss = kb;
	}
	printf("| %-10s | %-14s | %8.3f | %7.1f |", k->kind, k->label, best, (double)rss / 1024.0);
	if (k->check_col >= 0) {
		long got = csv_sum(out, k->check_col), want = expected(b, k);

		printf(" %ld of %ld |\n", got, want);
		failed = got != want;
		if (failed)
			fprintf(stderr, "bench_report: %s %s: %ld occurrences, expected %ld\n",
				k->kind, k->label, got, want);
	} else {
		printf(" |\n");
	}
	free(out);
	return failed ? -1 : 0;
}

/* A whole listing: @args after "bugtrack --db PATH"; @header lines before
 * the tickets'. */
typedef struct listing {
	const char *label;
	const char *args[6];
	int header;
} listing;

static const listing listings[] = {
	{ "list", { "list", NULL }, 1 },
	{ "list --sort count", { "list", "--sort", "count", NULL }, 1 },
	{ "list --sort severity", { "list", "--sort", "severity", NULL }, 1 },
	{ "list --sort created", { "list", "--sort", "created", NULL }, 1 },
	{ "list --json", { "list", "--json", NULL }, -1 },
	{ "export tickets (csv)", { "export", "tickets", "--format", "csv", NULL }, 1 },
	{ "export tickets (ndjson)", { "export", "tickets", "--format", "ndjson", NULL }, 0 },
};

static int run_listing(const char *exe, const char *path, const build *b, const listing *l)
{
	char *argv[16];
	int argc = 0, r, j;
	double best = 1e9;
	long rss = 0, got = 0;

	argv[argc++] = (char *)exe;
	argv[argc++] = "--db";
	argv[argc++] = (char *)path;
	for (j = 0; l->args[j]; j++)
		argv[argc++] = (char *)l->args[j];
	argv[argc] = NULL;
	for (r = 0; r < RUNS; r++) {
		double secs;
		long kb;

		/* JSON: one "number" member a ticket; else one line a ticket. */
		line_count lines = { l->header < 0 ? "    \"number\":" : "", 0, 0, 0 };

		if (run_once(argv, &secs, &kb, NULL, &lines) != 0)
			return -1;
		got = l->header < 0 ? lines.n : lines.n - l->header;
		if (secs < best)
			best = secs;
		if (kb > rss)
			rss = kb;
	}
	printf("| %-24s | %8.3f | %7.1f | %ld of %d |\n", l->label, best, (double)rss / 1024.0,
	       got, b->made);
	if (got != b->made) {
		fprintf(stderr, "bench_report: %s: %ld tickets, expected %d\n", l->label, got, b->made);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	build b = { 100000, 90, 1000000, 0, NULL, { 0 }, 0, NULL, 0 };
	const char *dir = NULL, *exe = NULL;
	char temp[256], path[512];
	int keep = 0, reuse = 0, failed = 0, i;
	uint64_t t0;

	bench_prog = "bench_report";
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			b.tickets = 2000, b.days = 10, b.occurrences = 20000;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strcmp(argv[i], "--keep") == 0) {
			keep = 1;
		} else if (strcmp(argv[i], "--reuse") == 0) {
			reuse = keep = 1;
		} else if (!exe && argv[i][0] != '-') {
			exe = argv[i];
		} else {
			fprintf(stderr, "usage: bench_report BUGTRACK [--quick] [--dir DIR] [--keep] [--reuse]\n");
			return 2;
		}
	}
	if (!exe) {
		fprintf(stderr, "usage: bench_report BUGTRACK [--quick] [--dir DIR] [--keep] [--reuse]\n");
		return 2;
	}
	b.per_day = calloc((size_t)b.days, sizeof(*b.per_day));
	b.hit = calloc((size_t)b.tickets, 1);
	if (!b.per_day || !b.hit || bench_open_dir(&dir, temp, sizeof(temp)) != 0 ||
	    bench_path(path, sizeof(path), dir, "report.db") != 0)
		return 1;
	bench_print_machine();
	t0 = bench_mono_ns();
	if (build_db(path, &b, reuse && access(path, F_OK) == 0) != 0)
		return 1;
	printf("database: %ld occurrences, %d tickets, %d days, %.1f MB, built in %.1f s%s\n\n",
	       b.occurrences, b.tickets, b.days, (double)bench_db_bytes(path) / 1e6,
	       (double)(bench_mono_ns() - t0) / 1e9, reuse ? " (or reused)" : "");
	printf("| %-10s | %-14s | %8s | %7s | %s |\n", "report", "range", "best s", "RSS MB",
	       "occurrences (got of made)");
	printf("|---|---|---|---|---|\n");
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++)
		if (run_case(exe, path, &b, &cases[i]) != 0)
			failed = 1;
	printf("\n| %-24s | %8s | %7s | %s |\n", "listing", "best s", "RSS MB", "tickets");
	printf("|---|---|---|---|\n");
	for (i = 0; i < (int)(sizeof(listings) / sizeof(listings[0])); i++)
		if (run_listing(exe, path, &b, &listings[i]) != 0)
			failed = 1;
	if (keep)
		printf("\nkept: %s\n", path);
	else if (bench_remove_db(path) != 0 || bench_close_dir(dir, temp) != 0)
		failed = 1;
	free(b.per_day);
	free(b.hit);
	return failed;
}
