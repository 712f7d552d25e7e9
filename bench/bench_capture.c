/*
 * bench_capture.c - what a capture costs.
 *
 * Measures calls/s and per-call latency (p50, p99) of libbugtrack's three
 * capture paths - a stored INFO line, a critical that opens a new ticket, and
 * a critical that lands on an existing ticket (a dedup hit) - with 1 and 2
 * threads, and compares the dedup hit with a baseline: the per-error SQL of
 * the Python tracker libbugtrack replaces, replayed with raw sqlite3 calls on
 * its own file in the same run.
 *
 * It prints figures and never fails on speed.  It fails (exit 1) only when a
 * call fails or a row's counts are not exact afterwards, so the smoke test
 * (--quick) also guards correctness under concurrent writers.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bugtrack.h>

#include "baseline.h"
#include "common.h"

#define DEFAULT_CALLS 20000
#define QUICK_CALLS 300
/* Latencies are kept in memory: 8 bytes per call per thread. */
#define MAX_CALLS 10000000
#define MAX_THREADS 2

/* The dedup-hit error, shared by the timed call, its warm-up and the lookup
 * that verifies it, so that all three group onto one ticket. */
#define DEDUP_COMPONENT "db"
#define DEDUP_FORMAT "query %s failed: %d"
/* The function holding the bt_log() call: it is part of the fingerprint. */
#define DEDUP_FUNCTION "log_dedup_hit"
#define DEDUP_WARMUPS 1

/* The baseline's fingerprint.  The Python tracker hashed the component and
 * message template per error; hashing once here favours the baseline. */
static const char BASE_FINGERPRINT[] = "5f0c6e0b2a9d4c1e8b7a6f5e4d3c2b1a";

typedef struct config {
	int calls;       /* per thread per row */
	const char *dir; /* NULL: a fresh mkdtemp directory */
} config;

typedef struct row_spec row_spec;

/* One thread of one run: its own handle or connection, and its latencies. */
typedef struct worker {
	const row_spec *row;
	const char *path;
	int index; /* keeps the new-ticket fingerprints of threads apart */
	int calls;
	pthread_barrier_t *barrier;
	bt_db *db;                                   /* libbugtrack rows */
	base_conn base;                              /* the baseline */
	uint64_t *lat_ns;
	uint64_t start_ns, end_ns;
	int failed;
} worker;

/* How a row's threads get a handle: libbugtrack or raw sqlite3. */
typedef struct engine {
	int (*create)(const char *path); /* a fresh file, before the threads */
	int (*open)(worker *w);
	void (*close)(worker *w);
} engine;

struct row_spec {
	const char *label;
	const char *slug; /* names the database file */
	const engine *engine;
	int warmups;      /* calls made before timing, counted by verify */
	int is_baseline;
	int vs_baseline;  /* print the calls/s ratio to the baseline */
	int (*call)(worker *w, int i);
	int (*verify)(sqlite3 *sql, const char *path, int64_t calls);
};

typedef struct result {
	int64_t calls;
	double per_s, p50_us, p99_us;
} result;

/* ---- libbugtrack rows ------------------------------------------------- */

/* These rows measure the synchronous mode against the seed design: each
 * call commits before it returns. */
static int lib_open_db(const char *path, bt_db **out)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;

	o.flags = BT_OPEN_SYNC;
	return bench_lib_open(path, &o, out);
}

/* Migrate the fresh file up front: the timed threads must not race on it. */
static int lib_create(const char *path)
{
	bt_db *db;

	if (lib_open_db(path, &db) != 0)
		return -1;
	bt_close(db);
	return 0;
}

static int lib_open(worker *w)
{
	return lib_open_db(w->path, &w->db);
}

static void lib_close(worker *w)
{
	bt_close(w->db);
	w->db = NULL;
}

/* Row 1: stored as a log row; INFO is below the ticket level. */
static int call_info(worker *w, int i)
{
	int rc = bt_log(w->db, BT_INFO, "http", "request %d served in %d ms", i, 12);

	return rc == BT_OK ? 0 : bench_bt_fail("bt_log (info)", rc);
}

/* Row 2: an explicit fingerprint per call, so every call opens a ticket.
 * Making the fingerprint is the host's work and is timed with the call. */
static int call_new_ticket(worker *w, int i)
{
	char fingerprint[48], message[80];
	bt_event ev = BT_EVENT_INIT;
	int64_t ticket = 0;
	int rc;

	snprintf(fingerprint, sizeof(fingerprint), "bench-new-%d-%d", w->index, i);
	snprintf(message, sizeof(message), "shard %d of worker %d lost its connection", i, w->index);
	ev.level = BT_CRITICAL;
	ev.component = "db";
	ev.message = message;
	ev.fingerprint = fingerprint;
	ev.file = __FILE__;
	ev.line = __LINE__;
	ev.function = __func__;
	rc = bt_log_event(w->db, &ev, &ticket);
	if (rc != BT_OK)
		return bench_bt_fail("bt_log_event (new ticket)", rc);
	if (ticket == 0) {
		fprintf(stderr, "bench_capture: bt_log_event: a critical made no ticket\n");
		return -1;
	}
	return 0;
}

/* Row 3.  The one call site of the dedup-hit error: the warm-up goes through
 * it too, because the calling function is part of the fingerprint. */
static int log_dedup_hit(bt_db *db, int i)
{
	return bt_log(db, BT_CRITICAL, DEDUP_COMPONENT, DEDUP_FORMAT, "users", i);
}

static int call_dedup_hit(worker *w, int i)
{
	int rc = log_dedup_hit(w->db, i);

	return rc == BT_OK ? 0 : bench_bt_fail("bt_log (dedup hit)", rc);
}

/* ---- the baseline: the Python tracker's SQL, per critical error -------- */

/* The dedup-hit error as the tracker saw it. */
static const base_error BASE_ERROR = {
	BASE_FINGERPRINT, "Critical: db - query failed", DEDUP_COMPONENT, DEDUP_FORMAT,
	__FILE__, "call_baseline", __LINE__,
};

static int base_open_worker(worker *w)
{
	return base_open(&w->base, w->path);
}

static void base_close_worker(worker *w)
{
	base_close(&w->base);
}

/* One critical error, as the Python tracker handled it: three statements,
 * each its own transaction.  Formatting the message is timed, as in bt_log. */
static int call_baseline(worker *w, int i)
{
	char message[64];

	snprintf(message, sizeof(message), DEDUP_FORMAT, "users", i);
	return base_record(&w->base, &BASE_ERROR, message, NULL);
}

/* ---- verifying counts -------------------------------------------------- */

static int verify_info(sqlite3 *sql, const char *path, int64_t calls)
{
	(void)path;
	if (bench_expect_rows(sql, "error_logs", calls) != 0)
		return -1;
	return bench_expect_rows(sql, "tickets", 0);
}

static int verify_new_ticket(sqlite3 *sql, const char *path, int64_t calls)
{
	(void)path;
	if (bench_expect_rows(sql, "tickets", calls) != 0)
		return -1;
	return bench_expect_rows(sql, "error_logs", calls);
}

/* The occurrence count is read through the public lookup, with the event the
 * dedup call site makes: it also checks that grouping found that ticket. */
static int dedup_occurrences(const char *path, int64_t *out)
{
	bt_event ev = BT_EVENT_INIT;
	bt_ticket *ticket;
	bt_db *db;
	int rc;

	ev.level = BT_CRITICAL;
	ev.component = DEDUP_COMPONENT;
	ev.message = "query users failed: 0";
	ev.message_template = DEDUP_FORMAT;
	ev.file = __FILE__;
	ev.function = DEDUP_FUNCTION;
	if (lib_open_db(path, &db) != 0)
		return -1;
	char fp[BT_FINGERPRINT_SIZE];

	rc = bt_fingerprint(db, &ev, fp);
	if (rc == BT_OK)
		rc = bt_dedup_lookup(db, fp, &ticket);
	if (rc == BT_OK) {
		*out = bt_ticket_occurrence_count(ticket);
		bt_ticket_free(ticket);
	}
	bt_close(db);
	return rc == BT_OK ? 0 : bench_bt_fail("bt_fingerprint + bt_dedup_lookup (dedup ticket)", rc);
}

/* Log rows one ticket keeps for @n occurrences under the default cap of
 * K = 100: the first 50, then every 100th, of which the latest 50. */
static int64_t capped_rows(int64_t n)
{
	int64_t samples = n > 50 ? n / 100 : 0;

	return (n < 50 ? n : 50) + (samples < 50 ? samples : 50);
}

static int verify_dedup(sqlite3 *sql, const char *path, int64_t calls)
{
	int64_t count = 0;

	if (bench_expect_rows(sql, "tickets", 1) != 0 ||
	    bench_expect_rows(sql, "error_logs", capped_rows(DEDUP_WARMUPS + calls)) != 0 ||
	    dedup_occurrences(path, &count) != 0)
		return -1;
	return bench_expect("the ticket's occurrence_count", count, DEDUP_WARMUPS + calls);
}

static int verify_baseline(sqlite3 *sql, const char *path, int64_t calls)
{
	int64_t count = 0;

	(void)path;
	if (bench_expect_rows(sql, "bugs", 1) != 0 || bench_expect_rows(sql, "logs", DEDUP_WARMUPS + calls) != 0 ||
	    bench_sql_int(sql, "SELECT occurrence_count FROM bugs", &count) != 0)
		return -1;
	return bench_expect("the bug's occurrence_count", count, DEDUP_WARMUPS + calls);
}

/* ---- the rows ---------------------------------------------------------- */

static const engine LIB = { lib_create, lib_open, lib_close };
static const engine BASE = { base_create, base_open_worker, base_close_worker };

static const row_spec ROWS[] = {
	{ "1 bt_log INFO (log row)", "info", &LIB, 0, 0, 0, call_info, verify_info },
	{ "2 critical, new ticket", "new-ticket", &LIB, 0, 0, 0, call_new_ticket, verify_new_ticket },
	{ "3 critical, dedup hit", "dedup-hit", &LIB, DEDUP_WARMUPS, 0, 1, call_dedup_hit, verify_dedup },
	{ "B baseline dedup hit (SQL)", "baseline", &BASE, DEDUP_WARMUPS, 1, 0, call_baseline,
	  verify_baseline },
};
#define NROWS (sizeof(ROWS) / sizeof(ROWS[0]))

/* ---- running a row ------------------------------------------------------ */

static int call_row(void *ctx, int i)
{
	worker *w = ctx;

	return w->row->call(w, i);
}

/* Open before the barrier, so that opening is not timed and the threads
 * start together; a thread whose open failed still waits, or the others
 * would wait forever. */
static void *worker_main(void *arg)
{
	worker *w = arg;
	int opened = w->row->engine->open(w) == 0;

	if (bench_barrier_wait(w->barrier) != 0)
		opened = 0;
	if (!opened || bench_timed_loop(call_row, w, 0, w->calls, w->lat_ns, &w->start_ns,
					&w->end_ns) != 0)
		w->failed = 1;
	w->row->engine->close(w);
	return NULL;
}

/* The threads' latencies lie end to end in one block; wall time runs from
 * the first start to the last end, so calls/s is the throughput of the
 * threads together. */
static void summarise(const worker *w, int threads, uint64_t *lat, result *out)
{
	size_t n = (size_t)w[0].calls * (size_t)threads;
	uint64_t start = w[0].start_ns, end = w[0].end_ns;
	int t;

	for (t = 0; t < threads; t++) {
		start = w[t].start_ns < start ? w[t].start_ns : start;
		end = w[t].end_ns > end ? w[t].end_ns : end;
	}
	out->calls = (int64_t)n;
	/* A clock that did not move would divide by zero: count 1 ns. */
	out->per_s = (double)n / ((double)(end > start ? end - start : 1) / 1e9);
	bench_percentiles(lat, n, &out->p50_us, &out->p99_us);
}

/* Start the threads together on a barrier, and merge what they measured. */
static int run_threads(const row_spec *row, const char *path, int threads, int calls,
		       result *out)
{
	worker w[MAX_THREADS];
	pthread_barrier_t barrier;
	uint64_t *lat = malloc((size_t)calls * (size_t)threads * sizeof(uint64_t));
	int t, rc;

	if (!lat) {
		fprintf(stderr, "bench_capture: out of memory for %d latencies\n", calls);
		return -1;
	}
	memset(w, 0, sizeof(w));
	for (t = 0; t < threads; t++) {
		w[t].row = row;
		w[t].path = path;
		w[t].index = t;
		w[t].calls = calls;
		w[t].barrier = &barrier;
		w[t].lat_ns = lat + (size_t)t * (size_t)calls;
	}
	rc = bench_run_threads(threads, worker_main, w, sizeof(w[0]), &barrier);
	for (t = 0; t < threads; t++)
		rc = w[t].failed ? -1 : rc;
	if (rc == 0)
		summarise(w, threads, lat, out);
	free(lat);
	return rc;
}

/* Warm-up calls go through the row's own call, on a handle of their own. */
static int warm_up(const row_spec *row, const char *path)
{
	worker w;
	int i, rc = 0;

	if (row->warmups == 0)
		return 0;
	memset(&w, 0, sizeof(w));
	w.row = row;
	w.path = path;
	if (row->engine->open(&w) != 0)
		return -1;
	for (i = 0; i < row->warmups && rc == 0; i++)
		rc = row->call(&w, -1 - i);
	row->engine->close(&w);
	return rc;
}

static int verify(const row_spec *row, const char *path, int64_t calls)
{
	sqlite3 *sql;
	int rc;

	if (bench_sql_open(path, &sql) != 0)
		return -1;
	rc = row->verify(sql, path, calls);
	if (bench_sql_close(sql) != 0)
		rc = -1;
	return rc;
}

static int run_row(const row_spec *row, const char *dir, int threads, int calls, result *out)
{
	char name[128], path[PATH_MAX];
	int rc;

	snprintf(name, sizeof(name), "bench-%s-%dt.db", row->slug, threads);
	if (bench_path(path, sizeof(path), dir, name) != 0)
		return -1;
	/* Every run starts on a fresh file, so its counts are its own. */
	rc = bench_remove_db(path);
	if (rc == 0)
		rc = row->engine->create(path);
	if (rc == 0)
		rc = warm_up(row, path);
	if (rc == 0)
		rc = run_threads(row, path, threads, calls, out);
	if (rc == 0 && verify(row, path, out->calls) != 0) {
		fprintf(stderr, "bench_capture: counts wrong in row \"%s\" with %d thread%s\n",
			row->label, threads, threads > 1 ? "s" : "");
		rc = -1;
	}
	if (bench_remove_db(path) != 0)
		rc = -1;
	return rc;
}

/* ---- output ------------------------------------------------------------- */

static void print_header(const config *cfg)
{
	printf("bench_capture: libbugtrack %s capture cost\n", bt_version_string());
	bench_print_machine();
	printf("sqlite:   %s, journal_mode=WAL, synchronous=NORMAL, busy_timeout=%d ms\n"
	       "          (libbugtrack's documented settings; set and read back on the baseline)\n",
	       sqlite3_libversion(), BENCH_BUSY_TIMEOUT_MS);
	printf("calls:    %d per thread per row (2 threads: %d per row)\n", cfg->calls, 2 * cfg->calls);
	printf("threads:  with 2 threads each thread opens its OWN handle on the same file (bt_db, or\n"
	       "          a sqlite3 connection for the baseline): the documented way to get parallel\n"
	       "          writers; SQLite's WAL lock still serialises the commits.\n");
	printf("baseline: the replaced Python tracker's SQL per critical error, autocommit, statements\n"
	       "          prepared once: SELECT a bug by fingerprint in the last 24h; UPDATE its count\n"
	       "          (or INSERT it); INSERT the log row.  Ratio = calls/s of row 3 / baseline.\n\n");
}

static size_t baseline_row(void)
{
	size_t r;

	for (r = 0; r < NROWS && !ROWS[r].is_baseline; r++)
		;
	return r;
}

static void print_table(const result res[][MAX_THREADS])
{
	size_t r, base = baseline_row();
	int t;

	/* "µs" is two bytes in UTF-8: those header cells get one more. */
	printf("%-28s %7s %8s %10s %10s %10s %11s\n", "row", "threads", "calls", "calls/s",
	       "p50 µs", "p99 µs", "vs baseline");
	for (r = 0; r < NROWS; r++) {
		for (t = 0; t < MAX_THREADS; t++) {
			const result *x = &res[r][t];
			char ratio[16] = "-";

			if (ROWS[r].vs_baseline && base < NROWS)
				snprintf(ratio, sizeof(ratio), "%.2fx",
					 x->per_s / res[base][t].per_s);
			printf("%-28s %7d %8" PRId64 " %10.0f %9.1f %9.1f %11s\n",
			       t == 0 ? ROWS[r].label : "", t + 1, x->calls, x->per_s,
			       x->p50_us, x->p99_us, ratio);
		}
	}
}

static int run_all(const config *cfg, const char *dir, result res[][MAX_THREADS])
{
	size_t r;
	int t;

	for (r = 0; r < NROWS; r++)
		for (t = 0; t < MAX_THREADS; t++)
			if (run_row(&ROWS[r], dir, t + 1, cfg->calls, &res[r][t]) != 0)
				return -1;
	return 0;
}

/* ---- options -------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_capture [--quick] [--calls N] [--dir DIR]\n"
		"Measures libbugtrack capture calls/s and p50/p99 latency with 1 and 2 threads,\n"
		"against the replaced Python tracker's per-error SQL, then checks every count.\n"
		"  --quick     %d calls per thread per row (a smoke run)\n"
		"  --calls N   N calls per thread per row (default %d)\n"
		"  --dir DIR   put the database files in DIR (default: a fresh directory\n"
		"              under $TMPDIR or /tmp, removed at the end)\n"
		"  --help      show this help\n"
		"Exits 1 if a call fails or a count is not exact; never fails on speed.\n",
		QUICK_CALLS, DEFAULT_CALLS);
}

/* @return 0 to run, 1 after --help, -1 on bad usage.  --calls wins over
 * --quick whatever their order. */
static int parse_args(int argc, char **argv, config *cfg)
{
	int i, quick = 0, calls = 0;

	cfg->dir = NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 1;
		} else if (strcmp(argv[i], "--quick") == 0) {
			quick = 1;
		} else if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
			if (bench_parse_count("--calls", argv[++i], MAX_CALLS, &calls) != 0)
				return -1;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			cfg->dir = argv[++i];
		} else {
			fprintf(stderr, "bench_capture: bad argument \"%s\"\n", argv[i]);
			usage(stderr);
			return -1;
		}
	}
	cfg->calls = calls ? calls : quick ? QUICK_CALLS : DEFAULT_CALLS;
	return 0;
}

int main(int argc, char **argv)
{
	static result res[NROWS][MAX_THREADS];
	char temp[PATH_MAX];
	config cfg;
	int rc;

	bench_prog = "bench_capture";
	rc = parse_args(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? EXIT_SUCCESS : 2;
	if (bench_open_dir(&cfg.dir, temp, sizeof(temp)) != 0)
		return EXIT_FAILURE;
	print_header(&cfg);
	fflush(stdout);
	rc = run_all(&cfg, cfg.dir, res);
	if (rc == 0) {
		print_table(res);
		printf("\ncounts: exact\n");
	}
	if (bench_close_dir(cfg.dir, temp) != 0)
		rc = -1;
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
