/*
 * bench_default.c - what a capture call costs the host's thread in the
 * default (asynchronous) mode: p50, p99 and the worst call, per way of
 * passing a message, and while another process holds the write lock.
 *
 *   literal        bt_log(db, BT_CRITICAL, "api", "literal words %d", i % 8)
 *   preformatted   bt_log(db, BT_CRITICAL, "api", "%s", buf): 1,000 distinct
 *                  200-byte messages, round-robin (the format has no words,
 *                  so the message is the coalescing key)
 *   1000 sites     1,000 distinct formats with words, a 200-byte message
 *   lock held      the preformatted mix, one call every 10 µs, for as long
 *                  as another process holds the database's write lock
 *                  (BEGIN IMMEDIATE; 30 s by default): the host's thread
 *                  must not notice
 *   control        the same paced loop for as long, calling nothing: the
 *                  machine's own stalls (scheduler, hypervisor), which bound
 *                  what the rows above can show for their worst call
 *
 * Every row ends with bt_flush and checks that the stored occurrence count
 * equals the accepted calls (the lock row: after the lock is released).
 *
 * Usage: bench_default [--quick] [--dir DIR] [--hold SECONDS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define DISTINCT 1000
#define MESSAGE_BYTES 200
#define PACE_NS 10000

typedef struct row {
	const char *name;
	int calls;
	int (*call)(bt_db *db, int i);
} row;

static char messages[DISTINCT][MESSAGE_BYTES + 1];
static char formats[DISTINCT][64];
static const char *padding;

static int call_literal(bt_db *db, int i)
{
	return bt_log(db, BT_CRITICAL, "api", "literal words %d", i % 8);
}

static int call_preformatted(bt_db *db, int i)
{
	return bt_log(db, BT_CRITICAL, "api", "%s", messages[i % DISTINCT]);
}

static int call_sites(bt_db *db, int i)
{
	/* A format built at run time stands for 1,000 call sites. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	return bt_log(db, BT_CRITICAL, "api", formats[i % DISTINCT], i, padding);
#pragma GCC diagnostic pop
}

static int call_nothing(bt_db *db, int i)
{
	(void)db;
	(void)i;
	return BT_OK;
}

static void make_inputs(void)
{
	static char pad[MESSAGE_BYTES];

	for (int i = 0; i < DISTINCT; i++) {
		int n = snprintf(messages[i], sizeof(messages[i]),
				 "GET /api/v1/orders/%d?page=2 failed: upstream timeout after 3000 ms "
				 "from 10.0.%d.%d:443 request_id=%08x ", i, i / 250, i % 250,
				 (unsigned)i * 2654435761u);

		memset(messages[i] + n, 'x', (size_t)(MESSAGE_BYTES - n));
		messages[i][MESSAGE_BYTES] = '\0';
		snprintf(formats[i], sizeof(formats[i]), "site%04d failed on request %%d: %%s", i);
	}
	memset(pad, 'y', sizeof(pad) - 40);
	padding = pad;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Runs @r on a fresh handle; prints one line.  @hold_s > 0: another
 * process holds the write lock meanwhile.  @paced: one call per PACE_NS. */
static int run_row(const row *r, const char *dir, int hold_s, int paced)
{
	bt_capture_stats st = { BT_CAPTURE_STATS_VERSION, 0, 0, 0, 0, 0, 0 };
	char path[512];
	uint64_t *lat = malloc(sizeof(*lat) * (size_t)r->calls), t0, t1;
	int64_t stored = -1;
	int pipefd[2] = { -1, -1 }, ok = 0, rc = 0, over_1ms = 0;
	pid_t holder = -1;
	sqlite3 *sql;
	bt_db *db;

	if (!lat || bench_path(path, sizeof(path), dir, "default.db") != 0 ||
	    bench_remove_db(path) != 0 || bench_lib_open(path, NULL, &db) != 0)
		return -1;
	/* Touched now: first-touch page faults (and huge-page compaction) in
	 * the timed loop would be the benchmark's own stalls. */
	memset(lat, 0, sizeof(*lat) * (size_t)r->calls);
	if (hold_s > 0) {
		char ready;

		if (pipe(pipefd) != 0)
			return -1;
		holder = fork();
		if (holder == 0) {
			sqlite3 *lock;

			if (sqlite3_open(path, &lock) != SQLITE_OK ||
			    sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
				_exit(1);
			if (write(pipefd[1], "r", 1) != 1)
				_exit(1);
			sleep((unsigned)hold_s);
			sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL);
			sqlite3_close(lock);
			_exit(0);
		}
		if (holder < 0 || read(pipefd[0], &ready, 1) != 1)
			return bench_bt_fail("starting the lock holder", BT_EINTERNAL);
	}
	t0 = bench_mono_ns();
	for (int i = 0; i < r->calls; i++) {
		uint64_t a = bench_mono_ns();
		int c = r->call(db, i);

		lat[i] = bench_mono_ns() - a;
		ok += c == BT_OK;
		if (paced) { /* one call per PACE_NS, as a busy server makes them */
			while (bench_mono_ns() < t0 + (uint64_t)(i + 1) * PACE_NS)
				;
		}
	}
	t1 = bench_mono_ns();
	if (holder > 0) {
		int status;

		waitpid(holder, &status, 0);
		close(pipefd[0]);
		close(pipefd[1]);
	}
	if (bt_flush(db, -1) != BT_OK || bt_capture_stats_get(db, &st) != BT_OK)
		rc = bench_bt_fail("flushing", BT_EIO);
	bt_close(db);
	if (rc == 0 && bench_sql_open(path, &sql) == 0) {
		bench_sql_int(sql, "SELECT coalesce(sum(occurrence_count), 0) FROM tickets", &stored);
		bench_sql_close(sql);
	}
	qsort(lat, (size_t)r->calls, sizeof(*lat), cmp_u64);
	for (int i = r->calls - 1; i >= 0 && lat[i] > 1000000; i--)
		over_1ms++;
	printf("| %s | %d | %.0f | %.2f | %.2f | %.1f | %d | %llu |\n", r->name, r->calls,
	       (double)r->calls / ((double)(t1 - t0) / 1e9), (double)lat[r->calls / 2] / 1e3,
	       (double)lat[(size_t)((double)r->calls * 0.99)] / 1e3,
	       (double)lat[r->calls - 1] / 1e3, over_1ms, (unsigned long long)st.dropped);
	free(lat);
	bench_remove_db(path);
	/* The control logs nothing, so nothing may be stored. */
	if (rc == 0 && bench_expect(r->name, stored, r->call == call_nothing ? 0 : ok) != 0)
		rc = -1;
	return rc;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	char temp[256];
	int quick = 0, hold_s = 30, rc = 0, n;

	bench_prog = "bench_default";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = 1;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc) {
			if (bench_parse_count("--hold", argv[++i], 3600, &hold_s) != 0)
				return 2;
		} else {
			printf("usage: bench_default [--quick] [--dir DIR] [--hold SECONDS]\n"
			       "  the default (asynchronous) mode's cost on the caller's thread;\n"
			       "  --hold: how long another process holds the write lock (30)\n");
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	if (quick)
		hold_s = 1;
	n = quick ? 20000 : 1000000;
	make_inputs();
	if (bench_open_dir(&dir, temp, sizeof(temp)) != 0)
		return 1;
	bench_print_machine();
	printf("| row | calls | calls/s | p50 µs | p99 µs | max µs | calls > 1 ms | dropped |\n"
	       "|---|---|---|---|---|---|---|---|\n");
	{
		const row rows[] = {
			{ "literal", n, call_literal },
			{ "preformatted \"%s\", 1000 distinct, 200 B", n, call_preformatted },
			{ "1000 sites, 200 B", n, call_sites },
		};
		/* As many paced calls as fit in the hold, less a second. */
		int paced_calls = (hold_s > 1 ? hold_s - 1 : 1) * (int)(1000000000 / PACE_NS);
		row held = { "preformatted, write lock held", paced_calls, call_preformatted };
		row control = { "control: the paced loop alone, no call", paced_calls, call_nothing };

		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			rc |= run_row(&rows[i], dir, 0, 0);
		rc |= run_row(&held, dir, hold_s, 1);
		rc |= run_row(&control, dir, 0, 1);
	}
	if (bench_close_dir(dir, temp) != 0)
		rc = -1;
	return rc ? 1 : 0;
}
