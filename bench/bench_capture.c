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
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bugtrack.h>

#define DEFAULT_CALLS 20000
#define QUICK_CALLS 300
/* Latencies are kept in memory: 8 bytes per call per thread. */
#define MAX_CALLS 10000000
#define MAX_THREADS 2
#define BUSY_TIMEOUT_MS 5000
#define DAY_MS ((int64_t)24 * 60 * 60 * 1000)

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
	sqlite3 *sql;                                /* the baseline */
	sqlite3_stmt *find, *bump, *add_bug, *add_log;
	char host[64];
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

/* ---- clocks and failures ---------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for these clocks on Linux; if it does, no figure holds. */
	if (clock_gettime(id, &ts) != 0) {
		perror("bench_capture: clock_gettime");
		exit(EXIT_FAILURE);
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static int64_t wall_ms(void)
{
	return (int64_t)(clock_ns(CLOCK_REALTIME) / 1000000u);
}

static int bt_fail(const char *what, int rc)
{
	fprintf(stderr, "bench_capture: %s: %s (%s)\n", what, bt_error_message(), bt_strerror(rc));
	return -1;
}

static int sql_fail(sqlite3 *sql, const char *what)
{
	fprintf(stderr, "bench_capture: %s: %s\n", what, sql ? sqlite3_errmsg(sql) : "out of memory");
	return -1;
}

static int sql_int(sqlite3 *sql, const char *query, int64_t *out)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(sql, query, -1, &stmt, NULL) != SQLITE_OK)
		return sql_fail(sql, query);
	rc = sqlite3_step(stmt);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
	if (sqlite3_finalize(stmt) != SQLITE_OK || rc != SQLITE_ROW)
		return sql_fail(sql, query);
	return 0;
}

/* ---- libbugtrack rows ------------------------------------------------- */

static int lib_open_db(const char *path, bt_db **out)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	int rc;

	opts.busy_timeout_ms = BUSY_TIMEOUT_MS;
	rc = bt_open(out, path, &opts);
	return rc == BT_OK ? 0 : bt_fail("opening a libbugtrack database", rc);
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

	return rc == BT_OK ? 0 : bt_fail("bt_log (info)", rc);
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
		return bt_fail("bt_log_event (new ticket)", rc);
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

	return rc == BT_OK ? 0 : bt_fail("bt_log (dedup hit)", rc);
}

/* ---- the baseline: the Python tracker's SQL, per critical error -------- */

static const char BASE_SCHEMA[] =
	"CREATE TABLE bugs ("
	" id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, title TEXT NOT NULL,"
	" component TEXT, severity TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'new',"
	" error_message TEXT, occurrence_count INTEGER NOT NULL DEFAULT 1,"
	" first_occurred_at INTEGER NOT NULL, last_occurred_at INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX bugs_fingerprint ON bugs (fingerprint);"
	"CREATE TABLE logs ("
	" id INTEGER PRIMARY KEY, bug_id INTEGER, level INTEGER NOT NULL,"
	" component TEXT NOT NULL, message TEXT NOT NULL, message_template TEXT,"
	" fingerprint TEXT, file TEXT, line INTEGER, function TEXT, host TEXT,"
	" pid INTEGER, created_at INTEGER NOT NULL);"
	/* One index where libbugtrack's error_logs has four: fair to the baseline. */
	"CREATE INDEX logs_bug ON logs (bug_id, created_at);";

static const char BASE_FIND[] =
	"SELECT id FROM bugs WHERE fingerprint = ?1 AND created_at > ?2";
static const char BASE_BUMP[] =
	"UPDATE bugs SET occurrence_count = occurrence_count + 1, last_occurred_at = ?1"
	" WHERE id = ?2";
static const char BASE_ADD_BUG[] =
	"INSERT INTO bugs (fingerprint, title, component, severity, error_message,"
	" first_occurred_at, last_occurred_at, created_at)"
	" VALUES (?1, ?2, ?3, 'critical', ?4, ?5, ?5, ?5)";
static const char BASE_ADD_LOG[] =
	"INSERT INTO logs (bug_id, level, component, message, message_template, fingerprint,"
	" file, line, function, host, pid, created_at)"
	" VALUES (?1, 50, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/* The same pragmas libbugtrack sets, read back so the header holds. */
static int base_pragmas(sqlite3 *sql)
{
	sqlite3_stmt *stmt;
	int64_t sync;
	int rc, wal;

	if (sqlite3_busy_timeout(sql, BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(sql, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sql, "PRAGMA journal_mode=WAL", -1, &stmt, NULL) != SQLITE_OK)
		return sql_fail(sql, "baseline pragmas");
	rc = sqlite3_step(stmt);
	wal = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(stmt, 0), "wal") == 0;
	if (sqlite3_finalize(stmt) != SQLITE_OK || rc != SQLITE_ROW)
		return sql_fail(sql, "PRAGMA journal_mode=WAL");
	if (sql_int(sql, "PRAGMA synchronous", &sync) != 0)
		return -1;
	if (!wal || sync != 1) {
		fprintf(stderr, "bench_capture: baseline is not WAL with synchronous=NORMAL\n");
		return -1;
	}
	return 0;
}

static int base_connect(const char *path, sqlite3 **out)
{
	int rc = sqlite3_open_v2(path, out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (rc != SQLITE_OK) {
		sql_fail(*out, path);
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	if (base_pragmas(*out) != 0) {
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int base_create(const char *path)
{
	sqlite3 *sql;
	int rc;

	if (base_connect(path, &sql) != 0)
		return -1;
	rc = sqlite3_exec(sql, BASE_SCHEMA, NULL, NULL, NULL) == SQLITE_OK ? 0
		: sql_fail(sql, "creating the baseline schema");
	if (sqlite3_close(sql) != SQLITE_OK)
		rc = sql_fail(sql, "closing the baseline");
	return rc;
}

static void base_close(worker *w)
{
	/* finalize(NULL) is a no-op, so a half-opened worker closes too. */
	sqlite3_finalize(w->find);
	sqlite3_finalize(w->bump);
	sqlite3_finalize(w->add_bug);
	sqlite3_finalize(w->add_log);
	w->find = w->bump = w->add_bug = w->add_log = NULL;
	if (w->sql && sqlite3_close(w->sql) != SQLITE_OK)
		sql_fail(w->sql, "closing a baseline connection");
	w->sql = NULL;
}

/* Statements are prepared once per connection, as a fair baseline would. */
static int base_open(worker *w)
{
	if (base_connect(w->path, &w->sql) != 0)
		return -1;
	if (sqlite3_prepare_v2(w->sql, BASE_FIND, -1, &w->find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->sql, BASE_BUMP, -1, &w->bump, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->sql, BASE_ADD_BUG, -1, &w->add_bug, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->sql, BASE_ADD_LOG, -1, &w->add_log, NULL) != SQLITE_OK) {
		sql_fail(w->sql, "preparing the baseline statements");
		base_close(w);
		return -1;
	}
	if (gethostname(w->host, sizeof(w->host)) != 0)
		snprintf(w->host, sizeof(w->host), "localhost");
	w->host[sizeof(w->host) - 1] = '\0';
	return 0;
}

/* Step a statement that returns no row, and reset it for the next call. */
static int step_done(sqlite3 *sql, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);

	if (sqlite3_reset(stmt) != SQLITE_OK || rc != SQLITE_DONE)
		return sql_fail(sql, what);
	return 0;
}

/* (a) a similar bug in the last 24 hours.  Reset at once: in autocommit
 * mode that ends the read transaction before the write, as in Python. */
static int base_find(worker *w, int64_t now, int64_t *bug_id)
{
	int rc;

	*bug_id = 0;
	if (sqlite3_bind_text(w->find, 1, BASE_FINGERPRINT, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(w->find, 2, now - DAY_MS) != SQLITE_OK)
		return sql_fail(w->sql, "binding the baseline SELECT");
	rc = sqlite3_step(w->find);
	if (rc == SQLITE_ROW)
		*bug_id = sqlite3_column_int64(w->find, 0);
	if (sqlite3_reset(w->find) != SQLITE_OK || (rc != SQLITE_ROW && rc != SQLITE_DONE))
		return sql_fail(w->sql, "baseline SELECT");
	return 0;
}

/* (b) count one more occurrence, or file the bug. */
static int base_land(worker *w, const char *message, int64_t now, int64_t *bug_id)
{
	if (*bug_id) {
		if (sqlite3_bind_int64(w->bump, 1, now) != SQLITE_OK ||
		    sqlite3_bind_int64(w->bump, 2, *bug_id) != SQLITE_OK)
			return sql_fail(w->sql, "binding the baseline UPDATE");
		return step_done(w->sql, w->bump, "baseline UPDATE");
	}
	if (sqlite3_bind_text(w->add_bug, 1, BASE_FINGERPRINT, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(w->add_bug, 2, "Critical: db - query failed", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(w->add_bug, 3, DEDUP_COMPONENT, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(w->add_bug, 4, message, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(w->add_bug, 5, now) != SQLITE_OK)
		return sql_fail(w->sql, "binding the baseline INSERT INTO bugs");
	if (step_done(w->sql, w->add_bug, "baseline INSERT INTO bugs") != 0)
		return -1;
	*bug_id = sqlite3_last_insert_rowid(w->sql);
	return 0;
}

/* (c) the log row. */
static int base_log(worker *w, const char *message, int64_t now, int64_t bug_id, int line)
{
	sqlite3_stmt *s = w->add_log;

	if (sqlite3_bind_int64(s, 1, bug_id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, DEDUP_COMPONENT, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, message, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, DEDUP_FORMAT, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, BASE_FINGERPRINT, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 6, __FILE__, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 7, line) != SQLITE_OK ||
	    sqlite3_bind_text(s, 8, __func__, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 9, w->host, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 10, (int64_t)getpid()) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 11, now) != SQLITE_OK)
		return sql_fail(w->sql, "binding the baseline INSERT INTO logs");
	return step_done(w->sql, s, "baseline INSERT INTO logs");
}

/* One critical error, as the Python tracker handled it: three statements,
 * each its own transaction.  Formatting the message is timed, as in bt_log. */
static int call_baseline(worker *w, int i)
{
	char message[64];
	int64_t now = wall_ms(), bug_id;

	snprintf(message, sizeof(message), DEDUP_FORMAT, "users", i);
	if (base_find(w, now, &bug_id) != 0 || base_land(w, message, now, &bug_id) != 0)
		return -1;
	return base_log(w, message, now, bug_id, __LINE__);
}

/* ---- verifying counts -------------------------------------------------- */

static int expect(const char *what, int64_t got, int64_t want)
{
	if (got == want)
		return 0;
	fprintf(stderr, "bench_capture: count mismatch: %s = %" PRId64 ", expected %" PRId64 "\n",
		what, got, want);
	return -1;
}

static int expect_rows(sqlite3 *sql, const char *table, int64_t want)
{
	char query[64], what[64];
	int64_t got;

	snprintf(query, sizeof(query), "SELECT count(*) FROM %s", table);
	snprintf(what, sizeof(what), "rows in %s", table);
	if (sql_int(sql, query, &got) != 0)
		return -1;
	return expect(what, got, want);
}

static int verify_info(sqlite3 *sql, const char *path, int64_t calls)
{
	(void)path;
	if (expect_rows(sql, "error_logs", calls) != 0)
		return -1;
	return expect_rows(sql, "tickets", 0);
}

static int verify_new_ticket(sqlite3 *sql, const char *path, int64_t calls)
{
	(void)path;
	if (expect_rows(sql, "tickets", calls) != 0)
		return -1;
	return expect_rows(sql, "error_logs", calls);
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
	rc = bt_dedup_lookup_event(db, &ev, &ticket);
	if (rc == BT_OK) {
		*out = bt_ticket_occurrence_count(ticket);
		bt_ticket_free(ticket);
	}
	bt_close(db);
	return rc == BT_OK ? 0 : bt_fail("bt_dedup_lookup_event (dedup ticket)", rc);
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
	int64_t count;

	if (expect_rows(sql, "tickets", 1) != 0 ||
	    expect_rows(sql, "error_logs", capped_rows(DEDUP_WARMUPS + calls)) != 0 ||
	    dedup_occurrences(path, &count) != 0)
		return -1;
	return expect("the ticket's occurrence_count", count, DEDUP_WARMUPS + calls);
}

static int verify_baseline(sqlite3 *sql, const char *path, int64_t calls)
{
	int64_t count;

	(void)path;
	if (expect_rows(sql, "bugs", 1) != 0 || expect_rows(sql, "logs", DEDUP_WARMUPS + calls) != 0 ||
	    sql_int(sql, "SELECT occurrence_count FROM bugs", &count) != 0)
		return -1;
	return expect("the bug's occurrence_count", count, DEDUP_WARMUPS + calls);
}

/* ---- the rows ---------------------------------------------------------- */

static const engine LIB = { lib_create, lib_open, lib_close };
static const engine BASE = { base_create, base_open, base_close };

static const row_spec ROWS[] = {
	{ "1 bt_log INFO (log row)", "info", &LIB, 0, 0, 0, call_info, verify_info },
	{ "2 critical, new ticket", "new-ticket", &LIB, 0, 0, 0, call_new_ticket, verify_new_ticket },
	{ "3 critical, dedup hit", "dedup-hit", &LIB, DEDUP_WARMUPS, 0, 1, call_dedup_hit, verify_dedup },
	{ "B baseline dedup hit (SQL)", "baseline", &BASE, DEDUP_WARMUPS, 1, 0, call_baseline,
	  verify_baseline },
};
#define NROWS (sizeof(ROWS) / sizeof(ROWS[0]))

/* ---- running a row ------------------------------------------------------ */

static void timed_loop(worker *w)
{
	int i;

	w->start_ns = mono_ns();
	for (i = 0; i < w->calls; i++) {
		uint64_t t0 = mono_ns();

		if (w->row->call(w, i) != 0) {
			w->failed = 1;
			break;
		}
		w->lat_ns[i] = mono_ns() - t0;
	}
	w->end_ns = mono_ns();
}

/* Open before the barrier, so that opening is not timed and the threads
 * start together; a thread whose open failed still waits, or the others
 * would wait forever. */
static void *worker_main(void *arg)
{
	worker *w = arg;
	int opened = w->row->engine->open(w) == 0;
	int rc = pthread_barrier_wait(w->barrier);

	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD) {
		fprintf(stderr, "bench_capture: pthread_barrier_wait: %s\n", strerror(rc));
		opened = 0;
	}
	if (opened)
		timed_loop(w);
	else
		w->failed = 1;
	w->row->engine->close(w);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p * (double)n + 0.999999);

	return (double)sorted[rank ? rank - 1 : 0] / 1000.0;
}

/* Merge the threads' latencies; wall time runs from the first start to the
 * last end, so calls/s is the throughput of the threads together. */
static int summarise(const worker *w, int threads, result *out)
{
	size_t per = (size_t)w[0].calls, n = per * (size_t)threads;
	uint64_t *all = malloc(n * sizeof(*all)), start = w[0].start_ns, end = w[0].end_ns;
	int t;

	if (!all) {
		fprintf(stderr, "bench_capture: out of memory for %zu latencies\n", n);
		return -1;
	}
	for (t = 0; t < threads; t++) {
		memcpy(all + (size_t)t * per, w[t].lat_ns, per * sizeof(*all));
		start = w[t].start_ns < start ? w[t].start_ns : start;
		end = w[t].end_ns > end ? w[t].end_ns : end;
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	out->calls = (int64_t)n;
	/* A clock that did not move would divide by zero: count 1 ns. */
	out->per_s = (double)n / ((double)(end > start ? end - start : 1) / 1e9);
	out->p50_us = percentile_us(all, n, 0.50);
	out->p99_us = percentile_us(all, n, 0.99);
	free(all);
	return 0;
}

static int start_workers(worker *w, pthread_t *tid, int threads)
{
	int t, rc;

	for (t = 0; t < threads; t++) {
		rc = pthread_create(&tid[t], NULL, worker_main, &w[t]);
		if (rc != 0) {
			/* The barrier counts every thread: without this one the
			 * others would wait forever, so give up on the process. */
			fprintf(stderr, "bench_capture: pthread_create: %s\n", strerror(rc));
			exit(EXIT_FAILURE);
		}
	}
	for (t = 0; t < threads; t++) {
		rc = pthread_join(tid[t], NULL);
		if (rc != 0) {
			fprintf(stderr, "bench_capture: pthread_join: %s\n", strerror(rc));
			return -1;
		}
	}
	return 0;
}

/* Start the threads together on a barrier, and merge what they measured. */
static int run_threads(const row_spec *row, const char *path, int threads, int calls,
		       result *out)
{
	worker w[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	pthread_barrier_t barrier;
	int t, err, rc = 0;

	memset(w, 0, sizeof(w));
	for (t = 0; t < threads; t++) {
		w[t].row = row;
		w[t].path = path;
		w[t].index = t;
		w[t].calls = calls;
		w[t].barrier = &barrier;
		w[t].lat_ns = malloc((size_t)calls * sizeof(uint64_t));
		if (!w[t].lat_ns)
			rc = -1;
	}
	if (rc != 0) {
		fprintf(stderr, "bench_capture: out of memory for %d latencies\n", calls);
	} else if ((err = pthread_barrier_init(&barrier, NULL, (unsigned)threads)) != 0) {
		fprintf(stderr, "bench_capture: pthread_barrier_init: %s\n", strerror(err));
		rc = -1;
	} else {
		rc = start_workers(w, tid, threads);
		pthread_barrier_destroy(&barrier);
		for (t = 0; t < threads; t++)
			rc = w[t].failed ? -1 : rc;
		if (rc == 0)
			rc = summarise(w, threads, out);
	}
	for (t = 0; t < threads; t++)
		free(w[t].lat_ns);
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
	int rc = sqlite3_open_v2(path, &sql, SQLITE_OPEN_READWRITE, NULL);

	if (rc != SQLITE_OK) {
		sql_fail(sql, path);
		sqlite3_close(sql);
		return -1;
	}
	rc = row->verify(sql, path, calls);
	if (sqlite3_close(sql) != SQLITE_OK)
		rc = sql_fail(sql, "closing the count connection");
	return rc;
}

/* ---- files --------------------------------------------------------------- */

/* A database and its WAL companions; a missing file is not an error. */
static int remove_db(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char name[PATH_MAX];
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		if (unlink(name) != 0 && errno != ENOENT) {
			fprintf(stderr, "bench_capture: unlink %s: %s\n", name, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

static int run_row(const row_spec *row, const char *dir, int threads, int calls, result *out)
{
	char path[PATH_MAX];
	int rc;

	if (snprintf(path, sizeof(path), "%s/bench-%s-%dt.db", dir, row->slug, threads) >=
	    (int)sizeof(path)) {
		fprintf(stderr, "bench_capture: directory name too long: %s\n", dir);
		return -1;
	}
	/* Every run starts on a fresh file, so its counts are its own. */
	rc = remove_db(path);
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
	if (remove_db(path) != 0)
		rc = -1;
	return rc;
}

/* ---- output ------------------------------------------------------------- */

static void cpu_model(char *out, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(out, size, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, size, "%s", colon);
		break;
	}
	fclose(f);
}

static void print_header(const config *cfg)
{
	struct utsname u;
	char cpu[128], date[64];
	time_t now = time(NULL);
	struct tm tm;

	cpu_model(cpu, sizeof(cpu));
	if (uname(&u) != 0)
		snprintf(u.machine, sizeof(u.machine), "unknown");
	if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(date, sizeof(date), "unknown");
	printf("bench_capture: libbugtrack %s capture cost\n", bt_version_string());
	printf("machine:  %s, %ld CPUs online, %s\n", u.machine, sysconf(_SC_NPROCESSORS_ONLN), cpu);
	printf("date:     %s\n", date);
	printf("sqlite:   %s, journal_mode=WAL, synchronous=NORMAL, busy_timeout=%d ms\n"
	       "          (libbugtrack's documented settings; set and read back on the baseline)\n",
	       sqlite3_libversion(), BUSY_TIMEOUT_MS);
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

static int parse_calls(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > MAX_CALLS) {
		fprintf(stderr, "bench_capture: --calls wants 1..%d, not \"%s\"\n", MAX_CALLS, s);
		return -1;
	}
	*out = (int)v;
	return 0;
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
			if (parse_calls(argv[++i], &calls) != 0)
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

static int make_temp_dir(char *out, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(out, size, "%s/bench_capture.XXXXXX", tmp) >= (int)size) {
		fprintf(stderr, "bench_capture: TMPDIR too long\n");
		return -1;
	}
	if (!mkdtemp(out)) {
		fprintf(stderr, "bench_capture: mkdtemp %s: %s\n", out, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static result res[NROWS][MAX_THREADS];
	char temp[PATH_MAX];
	config cfg;
	int rc = parse_args(argc, argv, &cfg);

	if (rc != 0)
		return rc > 0 ? EXIT_SUCCESS : 2;
	if (!cfg.dir) {
		if (make_temp_dir(temp, sizeof(temp)) != 0)
			return EXIT_FAILURE;
		cfg.dir = temp;
	}
	print_header(&cfg);
	fflush(stdout);
	rc = run_all(&cfg, cfg.dir, res);
	if (rc == 0) {
		print_table(res);
		printf("\ncounts: exact\n");
	}
	/* Only a directory this run made is removed; run_row removed its files. */
	if (cfg.dir == temp && rmdir(temp) != 0) {
		fprintf(stderr, "bench_capture: rmdir %s: %s\n", temp, strerror(errno));
		rc = -1;
	}
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
