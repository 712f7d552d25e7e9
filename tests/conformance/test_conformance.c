/*
 * test_conformance.c - the store conformance suite (issue 14): one set of
 * cases that every storage backend must pass, through the public API only
 * (no SQL, no internal headers; the program links the shared library, so
 * it cannot reach anything else).  The backend is named by the first
 * argument or $BT_CONFORMANCE_BACKEND (default "sqlite"); each case gets a
 * fresh location from the backend's fixture (fixture.c).  A backend that
 * cannot run here skips the program (exit 77).
 *
 * The cases: exact counts under threads and processes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

static const conf_backend *backend;

/* The clock of every case but the storm (which runs in several processes,
 * and so uses the real one). */
static _Atomic int64_t fake_now = 1700000000000LL;

static int64_t fake_clock(void *payload)
{
	(void)payload;
	return atomic_load(&fake_now);
}

#define DAY ((int64_t)24 * 60 * 60 * 1000)

/* ---- what every case uses ---- */

/* A fresh, empty location for the case @tag; exits when the fixture fails,
 * since no case can run without one. */
static void fresh(const char *tag, char *loc, size_t size)
{
	if (backend->make(tag, loc, size) != 0) {
		fprintf(stderr, "%s fixture: cannot make a location for %s\n", backend->name, tag);
		exit(2);
	}
}

/* Open @loc on the fake clock.  Synchronous capture unless @flags say
 * otherwise: the landing cases read back what each call did. */
static bt_db *open_loc(const char *loc, unsigned int flags, int64_t window_ms)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	opts.flags = flags;
	opts.clock = fake_clock;
	opts.dedup_window_ms = window_ms;
	opts.log_rows_per_ticket = BT_LOG_ROWS_UNLIMITED;
	CHECK_RC(bt_open(&db, loc, &opts), BT_OK);
	if (!db)
		exit(2);
	return db;
}

static int64_t ticket_total(bt_db *db)
{
	bt_ticket_counts c = BT_TICKET_COUNTS_INIT;

	CHECK_RC(bt_ticket_count(db, &c), BT_OK);
	return c.total;
}

/* ---- 1. exact counts under concurrency ---- */

#define STORM_THREADS 4
#define STORM_CALLS 200
#define STORM_PROCS 3

/* One call site, so every call is the same error whatever its argument. */
static int storm_once(bt_db *db, int i)
{
	return bt_log(db, BT_CRITICAL, "conformance", "request %d failed: pool exhausted", i);
}

static bt_db *storm_db;
static pthread_barrier_t storm_barrier;

static void *storm_thread(void *arg)
{
	long ok = 0;
	int i;

	(void)arg;
	pthread_barrier_wait(&storm_barrier);
	for (i = 0; i < STORM_CALLS; i++) {
		int rc = storm_once(storm_db, i);

		if (rc == BT_OK)
			ok++;
		else
			fprintf(stderr, "storm thread: %s\n", bt_error_message());
	}
	return (void *)(intptr_t)ok;
}

/* Asynchronous capture (the default) that waits rather than drop when
 * its queue is full, so every call must count. */
static bt_open_options storm_options(unsigned int flags)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;

	opts.flags = flags;
	opts.async_overflow = BT_OVERFLOW_BLOCK;
	return opts;
}

/* In a child: its own handle on @loc; returns how many calls returned
 * BT_OK, or -1. */
static long storm_process(const char *loc, unsigned int flags)
{
	bt_open_options opts = storm_options(flags);
	bt_db *db = NULL;
	long ok = 0;
	int i;

	if (bt_open(&db, loc, &opts) != BT_OK) {
		fprintf(stderr, "storm process: %s\n", bt_error_message());
		return -1;
	}
	for (i = 0; i < STORM_CALLS; i++)
		if (storm_once(db, i) == BT_OK)
			ok++;
	/* bt_close would commit too, but only a flush says whether it did. */
	if (bt_flush(db, -1) != BT_OK) {
		fprintf(stderr, "storm process flush: %s\n", bt_error_message());
		ok = -1;
	}
	bt_close(db);
	return ok;
}

/* The only ticket at @loc and its exact count, or -1 when there is not
 * exactly one ticket. */
static int64_t sole_ticket_count(bt_db *db)
{
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	int64_t count = -1;
	int n = 0, rc;

	CHECK_RC(bt_ticket_iter_new(db, NULL, &it), BT_OK);
	while (it && (rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		count = bt_ticket_occurrence_count(t);
		CHECK(bt_ticket_status(t) == BT_STATUS_NEW);
		CHECK(bt_ticket_first_occurred_at(t) <= bt_ticket_last_occurred_at(t));
		n++;
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(ticket_total(db), 1);
	return n == 1 ? count : -1;
}

static void test_exact_counts(void)
{
	const long total_threads = (long)STORM_THREADS * STORM_CALLS;
	bt_open_options opts = storm_options(0);
	pthread_t threads[STORM_THREADS];
	int pipes[STORM_PROCS][2], gate[2], i;
	pid_t pids[STORM_PROCS];
	long accepted = 0;
	char loc[1024];

	fresh("counts", loc, sizeof(loc));

	/* Threads on one shared asynchronous handle. */
	CHECK_RC(bt_open(&storm_db, loc, &opts), BT_OK);
	if (!storm_db)
		return;
	pthread_barrier_init(&storm_barrier, NULL, STORM_THREADS);
	for (i = 0; i < STORM_THREADS; i++)
		CHECK(pthread_create(&threads[i], NULL, storm_thread, NULL) == 0);
	for (i = 0; i < STORM_THREADS; i++) {
		void *ok = NULL;

		pthread_join(threads[i], &ok);
		accepted += (long)(intptr_t)ok;
	}
	pthread_barrier_destroy(&storm_barrier);
	CHECK_INT_EQ(accepted, total_threads);
	CHECK_RC(bt_flush(storm_db, -1), BT_OK);
	CHECK_INT_EQ(sole_ticket_count(storm_db), total_threads);
	bt_close(storm_db);
	storm_db = NULL;

	/* Processes, each with a handle of its own on the same location; the
	 * odd ones capture synchronously.  No thread of ours runs here, so the
	 * children fork from a single-threaded process. */
	CHECK(pipe(gate) == 0);
	for (i = 0; i < STORM_PROCS; i++) {
		CHECK(pipe(pipes[i]) == 0);
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;
			long ok;

			close(gate[1]);
			close(pipes[i][0]);
			if (read(gate[0], &c, 1) < 0)
				_exit(3);
			ok = storm_process(loc, i % 2 ? BT_OPEN_SYNC : 0);
			_exit(write(pipes[i][1], &ok, sizeof(ok)) == sizeof(ok) ? 0 : 4);
		}
		CHECK(pids[i] > 0);
		close(pipes[i][1]);
	}
	close(gate[0]);
	close(gate[1]); /* start them all at once */
	for (i = 0; i < STORM_PROCS; i++) {
		long ok = -1;
		int status = 0;

		CHECK(read(pipes[i][0], &ok, sizeof(ok)) == sizeof(ok));
		close(pipes[i][0]);
		CHECK(waitpid(pids[i], &status, 0) == pids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK_INT_EQ(ok, STORM_CALLS);
		accepted += ok;
	}
	CHECK_INT_EQ(accepted, total_threads + (long)STORM_PROCS * STORM_CALLS);

	/* A handle opened afterwards sees one ticket with every occurrence. */
	storm_db = open_loc(loc, BT_OPEN_SYNC, DAY);
	CHECK_INT_EQ(sole_ticket_count(storm_db), accepted);
	bt_close(storm_db);
	storm_db = NULL;
	backend->drop(loc);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : getenv("BT_CONFORMANCE_BACKEND");
	char why[256] = "";

	if (!name || !*name)
		name = "sqlite";
	backend = conf_backend_find(name);
	if (!backend) {
		fprintf(stderr, "unknown backend \"%s\" (the suite knows: %s)\n", name, conf_backend_names());
		return 2;
	}
	if (!backend->available(why, sizeof(why))) {
		printf("SKIP: the %s backend cannot run here: %s\n", name, why);
		return 77;
	}
	fprintf(stderr, "store conformance on %s\n", backend->name);
	RUN(test_exact_counts);
	return check_finish();
}
