/*
 * test_concurrent_open.c - many processes, and many threads, opening the
 * same fresh file at the same moment: every open succeeds and each
 * migration is applied exactly once.  Also shares one handle across threads.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "store_sqlite.h"

#define PROCS 8
#define THREADS 8
#define ROUNDS 10

static long long count_migrations(const char *path)
{
	sqlite3 *sql = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_open(path, &sql) == SQLITE_OK &&
	    sqlite3_prepare_v2(sql, "SELECT count(*) FROM schema_migrations", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(sql);
	return n;
}

/* Children block on the pipe until the parent closes it, then race. */
static void test_processes(void)
{
	int round;

	for (round = 0; round < ROUNDS; round++) {
		char name[32];
		const char *path;
		int gate[2], i, ok = 0;
		pid_t pids[PROCS];

		snprintf(name, sizeof(name), "procs-%d.db", round);
		path = check_path(name);
		CHECK(pipe(gate) == 0);
		for (i = 0; i < PROCS; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				bt_db *db = NULL;
				char c;
				int rc, current = 0, latest = 0;

				close(gate[1]);
				if (read(gate[0], &c, 1) < 0)
					_exit(3);
				rc = bt_open(&db, path, NULL);
				if (rc == BT_OK)
					rc = bt_schema_version_get(db, &current, &latest);
				bt_close(db);
				if (rc != BT_OK)
					fprintf(stderr, "child: %s\n", bt_error_message());
				_exit(rc == BT_OK && current == latest ? 0 : 1);
			}
		}
		close(gate[0]);
		close(gate[1]);
		for (i = 0; i < PROCS; i++) {
			int status = 0;

			if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0)
				ok++;
		}
		CHECK(ok == PROCS);
		CHECK(count_migrations(path) == (long long)bti_sqlite_migrations.count);
	}
}

static pthread_barrier_t barrier;
static const char *thread_path;

static void *open_in_thread(void *arg)
{
	bt_db *db = NULL;
	int rc;

	(void)arg;
	pthread_barrier_wait(&barrier);
	rc = bt_open(&db, thread_path, NULL);
	bt_close(db);
	return (void *)(intptr_t)rc;
}

static void test_threads(void)
{
	int round;

	for (round = 0; round < ROUNDS; round++) {
		pthread_t t[THREADS];
		char name[32];
		int i;

		snprintf(name, sizeof(name), "threads-%d.db", round);
		thread_path = check_path(name);
		pthread_barrier_init(&barrier, NULL, THREADS);
		for (i = 0; i < THREADS; i++)
			CHECK(pthread_create(&t[i], NULL, open_in_thread, NULL) == 0);
		for (i = 0; i < THREADS; i++) {
			void *rc = NULL;

			pthread_join(t[i], &rc);
			CHECK((intptr_t)rc == BT_OK);
		}
		pthread_barrier_destroy(&barrier);
		CHECK(count_migrations(thread_path) == (long long)bti_sqlite_migrations.count);
	}
}

/* One handle, many threads: calls are serialised by the handle. */
static bt_db *shared;

static void *use_shared(void *arg)
{
	int i, bad = 0;

	(void)arg;
	for (i = 0; i < 200; i++) {
		int current = 0, latest = 0;

		if (bt_schema_version_get(shared, &current, &latest) != BT_OK || current != latest)
			bad++;
	}
	return (void *)(intptr_t)bad;
}

static void test_shared_handle(void)
{
	pthread_t t[THREADS];
	int i;

	CHECK_RC(bt_open(&shared, check_path("shared.db"), NULL), BT_OK);
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, use_shared, NULL) == 0);
	for (i = 0; i < THREADS; i++) {
		void *bad = NULL;

		pthread_join(t[i], &bad);
		CHECK((intptr_t)bad == 0);
	}
	bt_close(shared);
}

int main(void)
{
	RUN(test_processes);
	RUN(test_threads);
	RUN(test_shared_handle);
	return check_finish();
}
