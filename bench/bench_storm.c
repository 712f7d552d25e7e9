/*
 * bench_storm.c - error storms (issue 6): what a capture costs when the
 * same errors arrive by the million.
 *
 * Three storms (rows) - one fingerprint, 1000 fingerprints round-robin, and
 * 99% hits with 1% new tickets - each run in three modes (columns):
 * synchronous libbugtrack, asynchronous libbugtrack (the default), and the
 * baseline (the replaced Python tracker's SQL, baseline.c), with 1 and 2
 * threads.  Every cell runs in a forked child on a fresh file, so that its
 * peak RSS and its database growth are its own.  Also measured: the floor
 * (an in-memory hash and lookup, and formatting a message) and the
 * database growth of a storm of 1M identical criticals.
 *
 * It prints figures and never fails on speed.  It fails (exit 1) only when a
 * call fails or a count is not exact afterwards: the sum of occurrence_count
 * must equal the calls made, which asynchronous mode guarantees only for
 * calls it accepted, so it runs with BT_OVERFLOW_BLOCK and a drop fails too.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bugtrack.h>

#include "baseline.h"
#include "common.h"

#define DEFAULT_CALLS_SYNC 20000    /* sync and baseline: ~10-50 µs a call */
#define DEFAULT_CALLS_ASYNC 1000000 /* async: well under 1 µs a call */
#define QUICK_CALLS_SYNC 200
#define QUICK_CALLS_ASYNC 2000
#define STORM_CALLS 1000000         /* the 1M-identical-storm growth line */
#define STORM_LIMIT_BYTES (1 << 20) /* ... must stay under 1 MiB */
#define MAX_CALLS 100000000
#define MAX_THREADS 2
#define DISTINCT 1000               /* row 2's fingerprints */
#define NEW_EVERY 100               /* row 3: one call in 100 is a new ticket */

/* Row 1 and row 3's hits: one call site. */
#define HOT_COMPONENT "db"
#define HOT_FORMAT "query %s failed: %d"
/* Row 2: one call site, one format, DISTINCT components. */
#define DISTINCT_FORMAT "upstream %d refused the connection (call %d)"
/* Row 3's new tickets. */
#define NEW_FORMAT "shard %d of worker %d lost its connection"

enum { MODE_SYNC, MODE_ASYNC, MODE_BASE, NMODES };
enum { ROW_SINGLE, ROW_DISTINCT, ROW_MIX, NROWS };

static const char *const MODE_NAMES[NMODES] = { "sync", "async", "baseline" };
static const char *const ROW_NAMES[NROWS] = {
	"1 single fingerprint", "2 1000 distinct", "3 99% hit + 1% new",
};

typedef struct config {
	int calls_sync, calls_async; /* per cell, split between its threads */
	int quick;
	int only_row, only_mode;     /* -1: all */
	const char *dir;             /* NULL: a fresh mkdtemp directory */
} config;

/* One cell: a row in a mode with 1 or 2 threads, on its own file. */
typedef struct cell {
	int row, mode, threads, calls;
	char path[PATH_MAX];
} cell;

/* What a cell's child reports to the parent through a pipe. */
typedef struct cell_result {
	int ran;                     /* and its counts were exact */
	int failed;                  /* set by the parent */
	int64_t calls;
	double loop_per_s, flushed_per_s, p50_us, p99_us, cpu_us;
	int64_t growth;              /* bytes of db + -wal */
	long rss_peak_kb, rss_before_kb;
	uint64_t batches;            /* async: the writer's transactions */
} cell_result;

/* One thread of a cell. */
typedef struct worker {
	const cell *c;
	int index;
	int calls;
	pthread_barrier_t *barrier;
	bt_db *db;                   /* library modes: shared by the threads */
	base_conn base;              /* the baseline: one connection each */
	uint64_t *lat;
	uint64_t start_ns, end_ns;
	int64_t made;                /* row 3: new tickets made */
	int64_t drops;               /* async: calls that returned BT_EBUSY */
	int failed;
} worker;

/* Made before the children fork: the host's strings, not timed. */
static char COMPONENTS[DISTINCT][16];
static char BASE_FPS[DISTINCT][BT_FINGERPRINT_SIZE];

/* ---- the calls ------------------------------------------------------- */

static int is_new(int i)
{
	return i % NEW_EVERY == NEW_EVERY - 1;
}

/* The storm's call site; warm-ups go through it too, because the calling
 * function is part of the fingerprint. */
static int hot_site(bt_db *db, int i)
{
	return bt_log(db, BT_CRITICAL, HOT_COMPONENT, HOT_FORMAT, "users", i);
}

/* Row 2's call site: one format, DISTINCT components, so DISTINCT
 * fingerprints and DISTINCT entries in the call-site cache. */
static int distinct_site(bt_db *db, int i)
{
	return bt_log(db, BT_CRITICAL, COMPONENTS[i % DISTINCT], DISTINCT_FORMAT, i % DISTINCT, i);
}

/* Row 3's 1%: a fingerprint never seen before.  Making it is the host's
 * work and is timed with the call. */
static int new_ticket(worker *w, int i)
{
	char fingerprint[48], message[80];
	bt_event ev = BT_EVENT_INIT;

	snprintf(fingerprint, sizeof(fingerprint), "storm-new-%d-%d", w->index, i);
	snprintf(message, sizeof(message), NEW_FORMAT, i, w->index);
	ev.level = BT_CRITICAL;
	ev.component = HOT_COMPONENT;
	ev.message = message;
	ev.message_template = NEW_FORMAT;
	ev.fingerprint = fingerprint;
	ev.file = __FILE__;
	ev.line = __LINE__;
	ev.function = __func__;
	w->made++;
	return bt_log_event(w->db, &ev, NULL);
}

static int lib_call(void *ctx, int i)
{
	worker *w = ctx;
	int rc;

	if (w->c->row == ROW_SINGLE)
		rc = hot_site(w->db, i);
	else if (w->c->row == ROW_DISTINCT)
		rc = distinct_site(w->db, i);
	else
		rc = is_new(i) ? new_ticket(w, i) : hot_site(w->db, i);
	if (rc == BT_OK)
		return 0;
	if (rc == BT_EBUSY && w->c->mode == MODE_ASYNC) {
		w->drops++; /* counted; the cell fails when it checks counts */
		return 0;
	}
	return bench_bt_fail("a capture call", rc);
}

/* The same errors as the tracker saw them.  Its fingerprints are made once
 * (BASE_FPS), which favours the baseline. */
static const base_error BASE_HOT = {
	"5f0c6e0b2a9d4c1e8b7a6f5e4d3c2b1a", "Critical: db - query failed", HOT_COMPONENT,
	HOT_FORMAT, __FILE__, "hot_site", __LINE__,
};

static int base_call(void *ctx, int i)
{
	worker *w = ctx;
	char message[96], fingerprint[48];
	base_error e = BASE_HOT;
	int k = i % DISTINCT;

	if (w->c->row == ROW_DISTINCT) {
		e.fingerprint = BASE_FPS[k];
		e.component = COMPONENTS[k];
		e.template_ = DISTINCT_FORMAT;
		e.title = "Critical: upstream refused the connection";
		snprintf(message, sizeof(message), DISTINCT_FORMAT, k, i);
	} else if (w->c->row == ROW_MIX && is_new(i)) {
		snprintf(fingerprint, sizeof(fingerprint), "storm-new-%d-%d", w->index, i);
		snprintf(message, sizeof(message), NEW_FORMAT, i, w->index);
		e.fingerprint = fingerprint;
		e.template_ = NEW_FORMAT;
		e.title = "Critical: db - shard lost its connection";
		w->made++;
	} else {
		snprintf(message, sizeof(message), HOT_FORMAT, "users", i);
	}
	return base_record(&w->base, &e, message, NULL);
}

/* ---- a cell, in its child process ------------------------------------ */

static int warmups(int row)
{
	return row == ROW_DISTINCT ? DISTINCT : 1;
}

static void lib_options(int mode, bt_open_options *o)
{
	bt_open_options init = BT_OPEN_OPTIONS_INIT;

	*o = init;
	if (mode == MODE_ASYNC) {
		o->async_overflow = BT_OVERFLOW_BLOCK; /* exact counts: no drops */
	} else {
		o->flags |= BT_OPEN_SYNC;
	}
}

/* A fresh file whose tickets already exist: the storm hits them.  Made
 * through the storm's own call sites, synchronously, so that a failure of
 * the asynchronous mode fails only its own cells. */
static int prepare_file(const cell *c)
{
	base_conn conn;
	bt_db *db;
	int i, n = warmups(c->row), rc = 0;

	if (bench_remove_db(c->path) != 0)
		return -1;
	if (c->mode == MODE_BASE) {
		if (base_create(c->path) != 0 || base_open(&conn, c->path) != 0)
			return -1;
		worker w = { .c = c, .base = conn };
		for (i = 0; i < n && rc == 0; i++)
			rc = base_call(&w, i); /* i < NEW_EVERY - 1: never a new one */
		base_close(&w.base);
		return rc;
	}
	bt_open_options o = BT_OPEN_OPTIONS_INIT;

	o.flags = BT_OPEN_SYNC;
	if (bench_lib_open(c->path, &o, &db) != 0)
		return -1;
	for (i = 0; i < n && rc == BT_OK; i++)
		rc = c->row == ROW_DISTINCT ? distinct_site(db, i) : hot_site(db, i);
	bt_close(db);
	return rc == BT_OK ? 0 : bench_bt_fail("warming up", rc);
}

static long rss_now_kb(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	bench_call_fn call = w->c->mode == MODE_BASE ? base_call : lib_call;

	if (bench_barrier_wait(w->barrier) != 0 ||
	    bench_timed_loop(call, w, 0, w->calls, w->lat, &w->start_ns, &w->end_ns) != 0)
		w->failed = 1;
	return NULL;
}

/* Open the cell's handle (library modes: one, shared) or connections (the
 * baseline: one per thread). */
static int open_cell(const cell *c, worker *w, bt_db **db)
{
	bt_open_options o;
	int t;

	*db = NULL;
	if (c->mode != MODE_BASE) {
		lib_options(c->mode, &o);
		if (bench_lib_open(c->path, &o, db) != 0)
			return -1;
		for (t = 0; t < c->threads; t++)
			w[t].db = *db;
		return 0;
	}
	for (t = 0; t < c->threads; t++)
		if (base_open(&w[t].base, c->path) != 0)
			return -1;
	return 0;
}

static void close_cell(const cell *c, worker *w, bt_db *db)
{
	int t;

	bt_close(db); /* flushes an asynchronous handle */
	for (t = 0; t < c->threads; t++)
		base_close(&w[t].base);
}

/* The occurrences on record must be every call: warm-ups, then the storm. */
static int verify(const cell *c, int64_t made)
{
	int base = c->mode == MODE_BASE;
	const char *tickets = base ? "bugs" : "tickets";
	int64_t want_tickets = c->row == ROW_DISTINCT ? DISTINCT : 1 + made;
	int64_t want = warmups(c->row) + (int64_t)c->calls, sum = -1;
	char query[96];
	sqlite3 *sql;
	int rc;

	if (bench_sql_open(c->path, &sql) != 0)
		return -1;
	snprintf(query, sizeof(query), "SELECT coalesce(sum(occurrence_count), 0) FROM %s", tickets);
	rc = bench_expect_rows(sql, tickets, want_tickets);
	if (rc == 0)
		rc = bench_sql_int(sql, query, &sum);
	if (rc == 0)
		rc = bench_expect("the sum of occurrence_count", sum, want);
	/* The baseline keeps every log row; libbugtrack caps them per ticket. */
	if (rc == 0 && base)
		rc = bench_expect_rows(sql, "logs", want);
	if (bench_sql_close(sql) != 0)
		rc = -1;
	return rc;
}

/* Every call accepted (none dropped), and every accepted one committed. */
static int verify_async(bt_db *db, int64_t calls, int64_t drops, cell_result *out)
{
	bt_capture_stats st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.version = BT_CAPTURE_STATS_VERSION;
	rc = bt_capture_stats_get(db, &st);
	if (rc != BT_OK)
		return bench_bt_fail("bt_capture_stats_get", rc);
	out->batches = st.batches;
	if (drops || st.dropped) {
		fprintf(stderr, "%s: %" PRIu64 " calls dropped (%" PRId64 " returned BT_EBUSY): "
			"their counts cannot be checked exactly\n", bench_prog, st.dropped, drops);
		return -1;
	}
	if (bench_expect("accepted + dropped", (int64_t)(st.accepted + st.dropped), calls) != 0)
		return -1;
	return bench_expect("committed", (int64_t)st.committed, (int64_t)st.accepted);
}

/* Time the storm, flush, and read what it cost.  Runs in the child. */
static int storm(const cell *c, worker *w, bt_db *db, uint64_t *lat, cell_result *out)
{
	pthread_barrier_t barrier;
	int64_t drops = 0;
	uint64_t start, end, flushed;
	double cpu0;
	struct rusage ru;
	int t, rc;

	for (t = 0; t < c->threads; t++) {
		w[t].c = c;
		w[t].index = t;
		w[t].calls = c->calls / c->threads;
		w[t].barrier = &barrier;
		w[t].lat = lat + (size_t)t * (size_t)w[t].calls;
	}
	out->rss_before_kb = rss_now_kb();
	cpu0 = cpu_s();
	rc = bench_run_threads(c->threads, worker_main, w, sizeof(w[0]), &barrier);
	if (rc == 0 && db) {
		int frc = bt_flush(db, -1); /* at once for a synchronous handle */

		if (frc != BT_OK)
			rc = bench_bt_fail("bt_flush", frc);
	}
	flushed = bench_mono_ns();
	out->cpu_us = (cpu_s() - cpu0) * 1e6 / c->calls;
	getrusage(RUSAGE_SELF, &ru);
	out->rss_peak_kb = ru.ru_maxrss;
	start = w[0].start_ns;
	end = w[0].end_ns;
	for (t = 0; t < c->threads; t++) {
		rc = w[t].failed ? -1 : rc;
		start = w[t].start_ns < start ? w[t].start_ns : start;
		end = w[t].end_ns > end ? w[t].end_ns : end;
		drops += w[t].drops;
	}
	if (rc == 0 && c->mode == MODE_ASYNC)
		rc = verify_async(db, c->calls, drops, out);
	out->calls = c->calls;
	out->loop_per_s = (double)c->calls / ((double)(end > start ? end - start : 1) / 1e9);
	out->flushed_per_s = (double)c->calls / ((double)(flushed > start ? flushed - start : 1) / 1e9);
	return rc;
}

static int run_cell_child(const cell *c, cell_result *out)
{
	worker w[MAX_THREADS];
	uint64_t *lat = NULL;
	int64_t before, made = 0;
	bt_db *db = NULL;
	int t, rc;

	memset(w, 0, sizeof(w));
	memset(out, 0, sizeof(*out));
	if (prepare_file(c) != 0)
		return -1;
	before = bench_db_bytes(c->path);
	/* Preallocated and touched, so that the storm's RSS does not grow by
	 * the latencies it keeps. */
	lat = malloc((size_t)c->calls * sizeof(*lat));
	if (!lat) {
		fprintf(stderr, "%s: out of memory for %d latencies\n", bench_prog, c->calls);
		return -1;
	}
	/* Not 0: the compiler would make malloc + memset(0) a calloc, which
	 * leaves the pages untouched. */
	memset(lat, 0xff, (size_t)c->calls * sizeof(*lat));
	rc = open_cell(c, w, &db);
	if (rc == 0)
		rc = storm(c, w, db, lat, out);
	close_cell(c, w, db);
	for (t = 0; t < c->threads; t++)
		made += w[t].made;
	out->growth = bench_db_bytes(c->path) - before;
	if (rc == 0 && verify(c, made) != 0)
		rc = -1;
	bench_percentiles(lat, (size_t)c->calls, &out->p50_us, &out->p99_us);
	free(lat);
	if (bench_remove_db(c->path) != 0)
		rc = -1;
	out->ran = rc == 0;
	return rc;
}

/* ---- a cell, from the parent ----------------------------------------- */

static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t got = read(fd, p, n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Run @c in a child, so that its peak RSS is its own. */
static int run_cell(const cell *c, cell_result *out)
{
	int fds[2], status;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	fflush(NULL); /* the child must not print the parent's buffers again */
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		fprintf(stderr, "%s: pipe/fork: %s\n", bench_prog, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		cell_result r;
		int rc = run_cell_child(c, &r);

		close(fds[0]);
		if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			rc = -1;
		close(fds[1]);
		exit(rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(fds[1]);
	if (read_all(fds[0], out, sizeof(*out)) != 0)
		out->ran = 0;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!out->ran || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char why[48] = "see above";

		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
		fprintf(stderr, "%s: row \"%s\", %s, %d thread%s: failed (%s)\n", bench_prog,
			ROW_NAMES[c->row], MODE_NAMES[c->mode], c->threads, c->threads > 1 ? "s" : "",
			why);
		out->ran = 0;
		out->failed = 1;
		bench_remove_db(c->path); /* the child may have died before */
		return -1;
	}
	return 0;
}

static int make_cell(cell *c, const char *dir, int row, int mode, int threads, int calls)
{
	char name[64];

	c->row = row;
	c->mode = mode;
	c->threads = threads;
	c->calls = calls < threads ? threads : calls / threads * threads; /* even shares */
	snprintf(name, sizeof(name), "storm-r%d-%s-%dt.db", row + 1, MODE_NAMES[mode], threads);
	return bench_path(c->path, sizeof(c->path), dir, name);
}

/* ---- the floor -------------------------------------------------------- */

#define FLOOR_SLOTS 4096
#define FLOOR_KEY "db\x1fquery %s failed: %d\x1fhot_site\x1f" "50\x1fstorm"

typedef struct floor_slot {
	uint64_t hash;
	const char *key;
	size_t len;
} floor_slot;

typedef struct floor_result {
	double lookup_ns, format_ns, clock_ns;
} floor_result;

static floor_slot FLOOR_TABLE[FLOOR_SLOTS];
static char FLOOR_KEYS[DISTINCT][80];

/* FNV-1a, 64 bits, as the library's call-site cache uses. */
static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

static floor_slot *floor_probe(const char *key, size_t len, uint64_t h)
{
	size_t i;

	for (i = h & (FLOOR_SLOTS - 1);; i = (i + 1) & (FLOOR_SLOTS - 1)) {
		floor_slot *s = &FLOOR_TABLE[i];

		if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

static void floor_add(const char *key)
{
	size_t len = strlen(key);
	uint64_t h = fnv1a(key, len);
	floor_slot *s = floor_probe(key, len, h);

	s->hash = h;
	s->key = key;
	s->len = len;
}

static void floor_fill(void)
{
	int k;

	for (k = 0; k < DISTINCT; k++) {
		snprintf(FLOOR_KEYS[k], sizeof(FLOOR_KEYS[k]), "%.15s\x1f%s", COMPONENTS[k],
			 DISTINCT_FORMAT);
		floor_add(FLOOR_KEYS[k]);
	}
	floor_add(FLOOR_KEY);
}

static int __attribute__((format(printf, 3, 4))) floor_format(char *buf, size_t size,
							       const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Best of three rounds of @n, in ns per op. */
static void measure_floor(int n, floor_result *out)
{
	volatile uint64_t sink = 0;
	char buf[160];
	int round, i;

	floor_fill();
	out->lookup_ns = out->format_ns = out->clock_ns = 1e9;
	for (round = 0; round < 3; round++) {
		uint64_t t0 = bench_mono_ns();

		for (i = 0; i < n; i++) {
			const char *key = FLOOR_KEY;

			/* Opaque to the compiler: hashed and probed every time. */
			__asm__ volatile("" : "+r"(key) : : "memory");
			size_t len = sizeof(FLOOR_KEY) - 1;
			sink += (uint64_t)(floor_probe(key, len, fnv1a(key, len)) - FLOOR_TABLE);
		}
		uint64_t t1 = bench_mono_ns();
		for (i = 0; i < n / 4; i++)
			sink += (uint64_t)floor_format(buf, sizeof(buf),
				"query %s on shard %d failed after %d ms: %s (attempt %d of %d)",
				"users", i % 64, 1500 + i % 1000, "connection refused by 10.0.3.17:5432",
				i % 3 + 1, 3);
		uint64_t t2 = bench_mono_ns();
		for (i = 0; i < n; i++)
			sink += bench_mono_ns();
		uint64_t t3 = bench_mono_ns();
		double lookup = (double)(t1 - t0) / n, format = (double)(t2 - t1) / (n / 4);
		double clock = (double)(t3 - t2) / n;

		out->lookup_ns = lookup < out->lookup_ns ? lookup : out->lookup_ns;
		out->format_ns = format < out->format_ns ? format : out->format_ns;
		out->clock_ns = clock < out->clock_ns ? clock : out->clock_ns;
	}
	(void)sink;
}

/* ---- output ----------------------------------------------------------- */

static void print_header(const config *cfg, const char *argv0)
{
	printf("bench_storm: libbugtrack %s under error storms (issue 6)\n", bt_version_string());
	bench_print_machine();
	printf("sqlite:   %s, journal_mode=WAL, synchronous=NORMAL, busy_timeout=%d ms\n",
	       sqlite3_libversion(), BENCH_BUSY_TIMEOUT_MS);
	printf("command:  %s --calls-sync %d --calls-async %d", argv0, cfg->calls_sync,
	       cfg->calls_async);
	if (cfg->only_row >= 0)
		printf(" --row %d", cfg->only_row + 1);
	if (cfg->only_mode >= 0)
		printf(" --mode %s", MODE_NAMES[cfg->only_mode]);
	printf("\n");
	printf("calls:    per cell, split evenly between its threads: sync %d, baseline %d, async %d\n",
	       cfg->calls_sync, cfg->calls_sync, cfg->calls_async);
	printf("cells:    each in a forked child, on a fresh file whose tickets already exist\n"
	       "          (warm-up, untimed but counted: 1 ticket in rows 1 and 3, %d in row 2)\n",
	       DISTINCT);
	printf("threads:  sync and async: the threads SHARE one bt_db handle (the intended use);\n"
	       "          baseline: one sqlite3 connection per thread\n");
	printf("async:    the default, BT_OVERFLOW_BLOCK (no drops: counts exact), default caps\n"
	       "          (4096 entries, 4 MiB, 20 ms interval, 1024 call sites)\n");
	printf("baseline: the replaced Python tracker's SQL per error, autocommit: SELECT by\n"
	       "          fingerprint in the last 24h, UPDATE the count or INSERT, INSERT the log row\n");
	printf("row 2:    bt_log at one call site with %d components and one format; the call-site\n"
	       "          fast path applies (%d sites fit the 1024-site cache)\n", DISTINCT, DISTINCT);
	printf("row 3:    hits = row 1's call site; every %dth call bt_log_event with a never-seen\n"
	       "          explicit fingerprint (a new ticket; no call-site fast path)\n", NEW_EVERY);
	printf("columns:  loop/s = calls/s of the callers' loops; flushed/s = until bt_flush returned\n"
	       "          (the same for sync and baseline); p50/p99 = caller-side latency of each call\n"
	       "          (CLOCK_MONOTONIC around it); B/call = growth of db + -wal from before the storm\n"
	       "          to after close (async: bt_close flushes); RSS = the child's peak and peak minus\n"
	       "          RSS before the storm (handle open, latencies allocated); cpu = CPU of all\n"
	       "          threads (writer included) per call; ratio = flushed/s over the baseline's\n\n");
}

static void print_row(const cell *c, const cell_result *r, const cell_result *base, int first)
{
	const char *label = first ? ROW_NAMES[c->row] : "";
	char ratio[16] = "-", batches[24] = "-";

	if (!r->ran) {
		printf("%-20s %-8s %3d %8d FAILED: a call failed or a count is not exact (stderr)\n",
		       label, MODE_NAMES[c->mode], c->threads, c->calls);
		return;
	}
	if (base && base->ran && c->mode != MODE_BASE)
		snprintf(ratio, sizeof(ratio), "%.1fx", r->flushed_per_s / base->flushed_per_s);
	if (c->mode == MODE_ASYNC)
		snprintf(batches, sizeof(batches), "%" PRIu64, r->batches);
	printf("%-20s %-8s %3d %8" PRId64 " %10.0f %10.0f %8.2f %8.2f %8.1f %6.1f %6.1f %7.2f %7s %7s\n",
	       label, MODE_NAMES[c->mode],
	       c->threads, r->calls, r->loop_per_s, r->flushed_per_s, r->p50_us, r->p99_us,
	       (double)r->growth / (double)r->calls, r->rss_peak_kb / 1024.0,
	       (r->rss_peak_kb - r->rss_before_kb) / 1024.0, r->cpu_us, batches, ratio);
}

static void print_floor(const floor_result *f, const cell_result *hit)
{
	printf("\nfloor (this binary, one thread, no clock reads inside the loop):\n");
	printf("  hash + lookup: FNV-1a 64 of a %zu-byte key, open-addressing probe (%d slots,"
	       " %d keys): %.1f ns\n", sizeof(FLOOR_KEY) - 1, FLOOR_SLOTS, DISTINCT + 1, f->lookup_ns);
	printf("  vsnprintf of a ~100-byte message: %.1f ns; clock_gettime(CLOCK_MONOTONIC): %.1f ns\n",
	       f->format_ns, f->clock_ns);
	if (!hit || !hit->ran)
		return;
	double ns = 1e9 / hit->loop_per_s, net = ns - 2 * f->clock_ns;

	printf("  async single-fingerprint hit, 1 thread: %.0f ns/call caller-side (%.0f ns without\n"
	       "  the 2 clock reads around each call) = %.1fx the hash+lookup floor, %.1fx hash+lookup\n"
	       "  + format (the call-site fast path counts a repeat before formatting)\n",
	       ns, net, net / f->lookup_ns, net / (f->lookup_ns + f->format_ns));
}

/* ---- running it all --------------------------------------------------- */

static int wanted(const config *cfg, int row, int mode)
{
	return (cfg->only_row < 0 || cfg->only_row == row) &&
	       (cfg->only_mode < 0 || cfg->only_mode == mode);
}

static int run_table(const config *cfg, cell cells[NROWS][NMODES][MAX_THREADS],
		     cell_result res[NROWS][NMODES][MAX_THREADS])
{
	int row, mode, t, rc = 0;

	for (row = 0; row < NROWS; row++)
		for (mode = 0; mode < NMODES; mode++)
			for (t = 0; t < MAX_THREADS; t++) {
				cell *c = &cells[row][mode][t];
				int calls = mode == MODE_ASYNC ? cfg->calls_async : cfg->calls_sync;

				if (make_cell(c, cfg->dir, row, mode, t + 1, calls) != 0)
					return -1;
				if (wanted(cfg, row, mode) && run_cell(c, &res[row][mode][t]) != 0)
					rc = -1;
			}
	return rc;
}

static void print_table(const config *cfg, cell cells[NROWS][NMODES][MAX_THREADS],
			cell_result res[NROWS][NMODES][MAX_THREADS])
{
	int row, mode, t;

	/* "µs" is two bytes in UTF-8: those header cells get one more. */
	printf("%-20s %-8s %3s %8s %10s %10s %9s %9s %8s %6s %6s %8s %7s %7s\n", "row", "mode", "thr",
	       "calls", "loop/s", "flushed/s", "p50 µs", "p99 µs", "B/call", "RSS", "ΔRSS",
	       "cpu µs", "batches", "ratio");
	printf("%-20s %-8s %3s %8s %10s %10s %8s %8s %8s %6s %6s %7s %7s %7s\n", "", "", "", "", "",
	       "", "", "", "", "MiB", "MiB", "/call", "", "vs base");
	for (row = 0; row < NROWS; row++) {
		int first = 1;

		for (mode = 0; mode < NMODES; mode++)
			for (t = 0; t < MAX_THREADS; t++) {
				if (!wanted(cfg, row, mode))
					continue;
				print_row(&cells[row][mode][t], &res[row][mode][t],
					  &res[row][MODE_BASE][t], first);
				first = 0;
			}
	}
}

/* The database growth of 1M identical criticals in async mode: row 1's
 * cell when it made exactly that many calls, else a cell of its own. */
static int storm_growth(const config *cfg, cell_result res[NROWS][NMODES][MAX_THREADS])
{
	const cell_result *r = &res[ROW_SINGLE][MODE_ASYNC][0];
	cell_result own;
	cell c;

	if (!(cfg->calls_async == STORM_CALLS && wanted(cfg, ROW_SINGLE, MODE_ASYNC))) {
		if (cfg->quick || cfg->only_row >= 0 || cfg->only_mode >= 0) {
			printf("\n1M-identical-storm database growth: not measured (--quick, --row or --mode)\n");
			return 0;
		}
		if (make_cell(&c, cfg->dir, ROW_SINGLE, MODE_ASYNC, 1, STORM_CALLS) != 0)
			return -1;
		run_cell(&c, &own);
		r = &own;
	}
	if (!r->ran) {
		printf("\n1M-identical-storm database growth: FAILED (stderr)\n");
		return -1;
	}
	printf("\n1M-identical-storm database growth (async, 1 thread, %" PRId64 " calls): %" PRId64
	       " bytes (%.4f B/call): %s 1 MiB\n", r->calls, r->growth,
	       (double)r->growth / (double)r->calls, r->growth < STORM_LIMIT_BYTES ? "under" : "OVER");
	return 0;
}

/* ---- options ---------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_storm [--quick] [--calls-sync N] [--calls-async N] [--dir DIR]\n"
		"                   [--row 1|2|3] [--mode sync|async|baseline]\n"
		"Error storms: calls/s, caller-side p50/p99, database growth and peak RSS of\n"
		"synchronous and asynchronous libbugtrack and of the replaced Python tracker's SQL,\n"
		"with 1 and 2 threads; then checks every count.\n"
		"  --quick          %d sync/baseline and %d async calls per cell (a smoke run)\n"
		"  --calls-sync N   calls per sync and baseline cell (default %d)\n"
		"  --calls-async N  calls per async cell (default %d)\n"
		"  --dir DIR        put the database files in DIR (default: a fresh directory\n"
		"                   under $TMPDIR or /tmp, removed at the end)\n"
		"  --row, --mode    run only that row or mode (for profiling)\n"
		"  --help           show this help\n"
		"Exits 1 if a call fails or a count is not exact; never fails on speed.\n",
		QUICK_CALLS_SYNC, QUICK_CALLS_ASYNC, DEFAULT_CALLS_SYNC, DEFAULT_CALLS_ASYNC);
}

static int parse_mode(const char *s, int *out)
{
	int m;

	for (m = 0; m < NMODES; m++)
		if (strcmp(s, MODE_NAMES[m]) == 0) {
			*out = m;
			return 0;
		}
	fprintf(stderr, "%s: --mode wants sync, async or baseline, not \"%s\"\n", bench_prog, s);
	return -1;
}

/* @return 0 to run, 1 after --help, -1 on bad usage.  --calls-* win over
 * --quick whatever their order. */
static int parse_args(int argc, char **argv, config *cfg)
{
	int i, sync = 0, async = 0, row = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->only_row = cfg->only_mode = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 1;
		} else if (strcmp(a, "--quick") == 0) {
			cfg->quick = 1;
			continue;
		} else if (!v) {
			rc = -1;
		} else if (strcmp(a, "--calls-sync") == 0) {
			rc = bench_parse_count(a, v, MAX_CALLS, &sync);
		} else if (strcmp(a, "--calls-async") == 0) {
			rc = bench_parse_count(a, v, MAX_CALLS, &async);
		} else if (strcmp(a, "--row") == 0) {
			rc = bench_parse_count(a, v, NROWS, &row);
			cfg->only_row = row - 1;
		} else if (strcmp(a, "--mode") == 0) {
			rc = parse_mode(v, &cfg->only_mode);
		} else if (strcmp(a, "--dir") == 0) {
			cfg->dir = v;
		} else {
			rc = -1;
		}
		if (rc != 0) {
			fprintf(stderr, "%s: bad argument \"%s\"\n", bench_prog, a);
			usage(stderr);
			return -1;
		}
		i++;
	}
	cfg->calls_sync = sync ? sync : cfg->quick ? QUICK_CALLS_SYNC : DEFAULT_CALLS_SYNC;
	cfg->calls_async = async ? async : cfg->quick ? QUICK_CALLS_ASYNC : DEFAULT_CALLS_ASYNC;
	return 0;
}

/* The host's strings: DISTINCT components, and the fingerprints the
 * baseline would have hashed them to. */
static void make_names(void)
{
	int k;

	for (k = 0; k < DISTINCT; k++) {
		uint64_t h;

		snprintf(COMPONENTS[k], sizeof(COMPONENTS[k]), "upstream-%03d", k);
		h = fnv1a(COMPONENTS[k], strlen(COMPONENTS[k]));
		snprintf(BASE_FPS[k], sizeof(BASE_FPS[k]), "%016" PRIx64 "%016" PRIx64, h, ~h);
	}
}

int main(int argc, char **argv)
{
	static cell cells[NROWS][NMODES][MAX_THREADS];
	static cell_result res[NROWS][NMODES][MAX_THREADS];
	char temp[PATH_MAX];
	floor_result floor;
	config cfg;
	int rc;

	bench_prog = "bench_storm";
	rc = parse_args(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? EXIT_SUCCESS : 2;
	if (bench_open_dir(&cfg.dir, temp, sizeof(temp)) != 0)
		return EXIT_FAILURE;
	make_names();
	print_header(&cfg, argv[0]);
	measure_floor(cfg.quick ? 20000 : 4000000, &floor);
	rc = run_table(&cfg, cells, res);
	print_table(&cfg, cells, res);
	if (storm_growth(&cfg, res) != 0)
		rc = -1;
	print_floor(&floor, &res[ROW_SINGLE][MODE_ASYNC][0]);
	printf("\ncounts: %s\n", rc == 0 ? "exact" : "NOT EXACT or a call failed (see stderr)");
	if (bench_close_dir(cfg.dir, temp) != 0)
		rc = -1;
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
