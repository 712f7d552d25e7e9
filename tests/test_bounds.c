/*
 * test_bounds.c - every documented wait is bounded by the busy timeout,
 * per call, while another connection holds the write lock:
 *   - N threads sharing one synchronous handle each fail by their own
 *     deadline (not the k-th after k timeouts);
 *   - bt_close of an asynchronous handle with a pending batch;
 *   - bt_context_set on an asynchronous handle whose writer is retrying;
 *   - busy_timeout_ms = INT_MAX on an asynchronous handle does not
 *     overflow (the sanitizer stage runs this file);
 *   - bt_set_wait_notice: called once per wait, after its delay, on the
 *     thread that waits (the writer's, asynchronously), and the wait
 *     still ends by the busy timeout.
 */
#include <limits.h>
#include <pthread.h>
#include <time.h>

#include "check.h"

#define BUSY_MS 500
#define THREADS 8
/* Scheduling slack on a loaded 2-core machine under a sanitizer; the
 * failures this file guards against were k x BUSY_MS and 4 x BUSY_MS. */
#define SLACK_MS 700

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Another connection holding the write lock. */
static sqlite3 *hold_lock(const char *p)
{
	sqlite3 *lock = NULL;

	CHECK(sqlite3_open(p, &lock) == SQLITE_OK);
	CHECK(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	return lock;
}

static void release_lock(sqlite3 *lock)
{
	CHECK(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(lock);
}

static bt_db *open_with(const char *p, unsigned flags, int busy_ms)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	o.flags = flags;
	o.busy_timeout_ms = busy_ms;
	CHECK_RC(bt_open(&db, p, &o), BT_OK);
	return db;
}

/* ---- N threads, one synchronous handle ---- */

static bt_db *shared;

struct call {
	long long took_ms;
	int rc;
};

static void *one_call(void *arg)
{
	struct call *c = arg;
	long long t0 = mono_ms();

	c->rc = bt_log(shared, BT_CRITICAL, "bounds", "thread call failed %d", 1);
	c->took_ms = mono_ms() - t0;
	return NULL;
}

static void test_threads_each_own_deadline(void)
{
	const char *p = check_path("threads.db");
	struct call calls[THREADS];
	pthread_t t[THREADS];
	sqlite3 *lock;
	int i;

	shared = open_with(p, BT_OPEN_SYNC, BUSY_MS);
	lock = hold_lock(p);
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, one_call, &calls[i]);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	release_lock(lock);
	for (i = 0; i < THREADS; i++) {
		CHECK_RC(calls[i].rc, BT_EBUSY);
		if (calls[i].took_ms > BUSY_MS + SLACK_MS) {
			fprintf(stderr, "thread %d: bt_log took %lld ms (busy timeout %d ms)\n", i,
				calls[i].took_ms, BUSY_MS);
			check_failures++;
		}
	}
	bt_close(shared);
}

/* ---- asynchronous close and context changes under a held lock ---- */

static void test_async_close_bound(void)
{
	const char *p = check_path("close.db");
	bt_db *db = open_with(p, 0 /* asynchronous */, 2 * BUSY_MS);
	sqlite3 *lock = hold_lock(p);
	long long t0, took;

	CHECK_RC(bt_log(db, BT_CRITICAL, "bounds", "pending at close %d", 1), BT_OK);
	t0 = mono_ms();
	bt_close(db);
	took = mono_ms() - t0;
	release_lock(lock);
	if (took > 2 * BUSY_MS + SLACK_MS) {
		fprintf(stderr, "bt_close took %lld ms (busy timeout %d ms)\n", took, 2 * BUSY_MS);
		check_failures++;
	}
}

static void test_context_set_bound(void)
{
	const char *p = check_path("context.db");
	bt_db *db = open_with(p, 0 /* asynchronous */, 2 * BUSY_MS);
	sqlite3 *lock = hold_lock(p);
	long long t0, took;
	int rc;

	CHECK_RC(bt_log(db, BT_CRITICAL, "bounds", "pending before context %d", 1), BT_OK);
	t0 = mono_ms();
	rc = bt_context_set(db, BT_CONTEXT_RELEASE, "2.0");
	took = mono_ms() - t0;
	/* Occurrences accepted before keep the release they were made in, so
	 * the call waits for them, and the release is recorded in the
	 * database: under the held lock it may fail, but by its deadline. */
	CHECK(rc == BT_OK || rc == BT_EBUSY);
	if (took > 2 * BUSY_MS + SLACK_MS) {
		fprintf(stderr, "bt_context_set took %lld ms (busy timeout %d ms)\n", took, 2 * BUSY_MS);
		check_failures++;
	}
	release_lock(lock);
	CHECK_RC(bt_flush(db, -1), BT_OK);
	bt_close(db);
}

/* ---- the largest busy timeout ---- */

static void test_busy_timeout_int_max(void)
{
	const char *p = check_path("intmax.db");
	bt_db *db = open_with(p, 0 /* asynchronous */, INT_MAX);
	sqlite3 *check;

	CHECK_RC(bt_log(db, BT_CRITICAL, "bounds", "with the longest timeout %d", 1), BT_OK);
	CHECK_RC(bt_flush(db, 5000), BT_OK);
	CHECK_RC(bt_context_set(db, BT_CONTEXT_HOST, "h"), BT_OK);
	bt_close(db);
	CHECK(sqlite3_open(p, &check) == SQLITE_OK);
	CHECK(check_query_int(check, "SELECT sum(occurrence_count) FROM tickets") == 1);
	sqlite3_close(check);
}

/* ---- bt_set_wait_notice ---- */

struct notice {
	int calls;
	int64_t waited_ms;
	pthread_t thread;
};

static void on_wait(void *arg, int64_t waited_ms)
{
	struct notice *n = arg;

	n->calls++;
	n->waited_ms = waited_ms;
	n->thread = pthread_self();
}

static void test_wait_notice(void)
{
	const char *p = check_path("notice.db");
	struct notice n = { 0, 0, 0 };
	bt_db *db = open_with(p, BT_OPEN_SYNC, 1000);
	sqlite3 *lock;
	long long t0, took;

	CHECK_RC(bt_set_wait_notice(NULL, 10, on_wait, &n), BT_EINVALID);
	CHECK_RC(bt_set_wait_notice(db, -1, on_wait, &n), BT_EINVALID);
	CHECK_RC(bt_set_wait_notice(db, 200, on_wait, &n), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "notice", "no wait %d", 1), BT_OK);
	CHECK(n.calls == 0); /* nothing waited */

	lock = hold_lock(p);
	t0 = mono_ms();
	CHECK_RC(bt_log(db, BT_CRITICAL, "notice", "waits %d", 2), BT_EBUSY);
	took = mono_ms() - t0;
	CHECK(n.calls == 1);               /* once per wait, not per retry */
	CHECK(n.waited_ms >= 200 && n.waited_ms < 1000);
	CHECK(n.calls == 1 && pthread_equal(n.thread, pthread_self()));
	CHECK(took >= 1000 - 50 && took < 1000 + SLACK_MS); /* the busy timeout still ends it */
	CHECK_RC(bt_log(db, BT_CRITICAL, "notice", "waits %d", 3), BT_EBUSY);
	CHECK(n.calls == 2); /* a new wait, a new notice */

	CHECK_RC(bt_set_wait_notice(db, 200, NULL, NULL), BT_OK); /* off */
	CHECK_RC(bt_log(db, BT_CRITICAL, "notice", "waits %d", 4), BT_EBUSY);
	CHECK(n.calls == 2);
	bt_close(db);

	/* Asynchronous capture: the writer thread waits, and says so. */
	db = open_with(p, 0, 1000);
	n.calls = 0;
	CHECK_RC(bt_set_wait_notice(db, 100, on_wait, &n), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "notice", "queued %d", 5), BT_OK);
	CHECK_RC(bt_flush(db, 600), BT_EBUSY);
	release_lock(lock);
	CHECK_RC(bt_flush(db, 5000), BT_OK);
	CHECK(n.calls >= 1 && !pthread_equal(n.thread, pthread_self()));
	bt_close(db);
}

int main(void)
{
	RUN(test_threads_each_own_deadline);
	RUN(test_async_close_bound);
	RUN(test_context_set_bound);
	RUN(test_busy_timeout_int_max);
	RUN(test_wait_notice);
	return check_finish();
}
