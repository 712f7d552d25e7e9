/*
 * test_capture_concurrency.c - exact counts under contention: 4 processes x
 * 8 threads hammer the same 10 fingerprints.  Afterwards there must be
 * exactly 10 tickets, and their occurrence counts must add up to the number
 * of calls that returned BT_OK.  Half the processes give each thread its own
 * handle, the other half share one handle between all threads.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"

#define PROCS 4
#define THREADS 8
#define CALLS 150
#define FINGERPRINTS 10

/* Synchronous capture: the log-row cap below counts one row per call (the
 * default counts a batch's repeats on one row; test_async covers it). */
static const bt_open_options sync_opts = { .version = BT_OPEN_OPTIONS_VERSION,
					   .flags = BT_OPEN_SYNC,
					   .dedup_window_ms = (int64_t)24 * 60 * 60 * 1000 };

static const char *path;
static bt_db *shared;
static pthread_barrier_t barrier;

static const char *const components[FINGERPRINTS] = {
	"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"
};

static void *worker(void *arg)
{
	long seed = (long)(intptr_t)arg, ok = 0;
	bt_db *db = shared;
	int i;

	if (!db && bt_open(&db, path, &sync_opts) != BT_OK) {
		fprintf(stderr, "worker open: %s\n", bt_error_message());
		return (void *)(intptr_t)-1;
	}
	pthread_barrier_wait(&barrier);
	for (i = 0; i < CALLS; i++) {
		int rc = bt_log(db, BT_CRITICAL, components[(i + seed) % FINGERPRINTS],
				"worker %ld failed on item %d", seed, i);

		if (rc == BT_OK)
			ok++;
		else
			fprintf(stderr, "bt_log: %s\n", bt_error_message());
	}
	if (!shared)
		bt_close(db);
	return (void *)(intptr_t)ok;
}

/* Runs in a child: returns the number of calls that returned BT_OK. */
static long run_process(int share_handle, int proc)
{
	pthread_t t[THREADS];
	long total = 0;
	int i;

	shared = NULL;
	if (share_handle && bt_open(&shared, path, &sync_opts) != BT_OK)
		return -1;
	pthread_barrier_init(&barrier, NULL, THREADS);
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)(proc * THREADS + i));
	for (i = 0; i < THREADS; i++) {
		void *ok = NULL;

		pthread_join(t[i], &ok);
		total += (long)(intptr_t)ok;
	}
	pthread_barrier_destroy(&barrier);
	bt_close(shared);
	return total;
}

static void test_exact_counts(void)
{
	int pipes[PROCS][2], gate[2], i;
	pid_t pids[PROCS];
	long accepted = 0;
	bt_db *db = NULL;
	sqlite3 *sql = NULL;
	sqlite3_stmt *st = NULL;

	path = check_path("storm.db");
	CHECK_RC(bt_open(&db, path, NULL), BT_OK); /* migrate once, up front */
	bt_close(db);
	CHECK(pipe(gate) == 0);
	for (i = 0; i < PROCS; i++) {
		CHECK(pipe(pipes[i]) == 0);
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;
			long ok;

			close(gate[1]);
			if (read(gate[0], &c, 1) < 0)
				_exit(3);
			ok = run_process(i % 2, i);
			if (write(pipes[i][1], &ok, sizeof(ok)) != sizeof(ok))
				_exit(4);
			_exit(0);
		}
		close(pipes[i][1]);
	}
	close(gate[0]);
	close(gate[1]); /* start them all at once */
	for (i = 0; i < PROCS; i++) {
		long ok = -1;
		int status = 0;

		CHECK(read(pipes[i][0], &ok, sizeof(ok)) == sizeof(ok));
		close(pipes[i][0]);
		CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK(ok >= 0);
		accepted += ok;
	}
	/* Under a 5 s busy timeout nothing should have been refused. */
	CHECK(accepted == (long)PROCS * THREADS * CALLS);

	CHECK(sqlite3_open(path, &sql) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(sql, "SELECT count(*), sum(occurrence_count), count(DISTINCT fingerprint),"
				 " (SELECT count(*) FROM error_logs),"
				 " (SELECT count(*) FROM error_logs WHERE ticket_id IS NULL),"
				 " (SELECT count(*) FROM ticket_events WHERE kind = 'created')"
				 " FROM tickets", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK(sqlite3_column_int64(st, 0) == FINGERPRINTS);
	CHECK(sqlite3_column_int64(st, 1) == accepted);
	CHECK(sqlite3_column_int64(st, 2) == FINGERPRINTS);
	/* The log-row cap (K = 100): each ticket keeps its first 50 rows and
	 * every 100th occurrence after them. */
	CHECK(sqlite3_column_int64(st, 3) == FINGERPRINTS * (50 + (accepted / FINGERPRINTS) / 100));
	CHECK(sqlite3_column_int64(st, 4) == 0);
	CHECK(sqlite3_column_int64(st, 5) == FINGERPRINTS);
	fprintf(stderr, "accepted %ld calls; tickets %lld, occurrences %lld\n", accepted,
		sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(sql);
}

int main(void)
{
	RUN(test_exact_counts);
	return check_finish();
}
