/*
 * test_host_signal.c - a host's own signal handler that logs, arriving
 * while the same thread is inside a capture call.  The nested call must be
 * refused (BT_EBUSY, counted as dropped), never deadlock on the lock its
 * own thread holds, and what the interrupted call and the calls after it
 * captured must be stored exactly.
 *
 * The signal is raised from the handle's clock callback, which the library
 * calls inside every capture: a deterministic "signal in the middle of
 * bt_log", on a synchronous handle (the lock is held there) and on the
 * default asynchronous one.  Each run is a child under an alarm.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "host_util.h"

#define CALLS 200
#define CHILD_ALARM_S 30

static bt_db *db;
static volatile sig_atomic_t raise_next, nested_calls, nested_refused, nested_other;

static void on_usr1(int sig)
{
	int rc;

	(void)sig;
	nested_calls++;
	rc = bt_log(db, BT_CRITICAL, "nested", "from the signal handler %d", 1);
	if (rc == BT_EBUSY)
		nested_refused++;
	else
		nested_other++;
}

static int64_t signalling_clock(void *payload)
{
	struct timeval tv;

	(void)payload;
	if (raise_next) {
		raise_next = 0;
		raise(SIGUSR1);
	}
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The child: CALLS captures, every other one interrupted by the handler. */
static int run(const char *path, unsigned flags)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_capture_stats stats = { BT_CAPTURE_STATS_VERSION, 0, 0, 0, 0, 0, 0 };
	int ok = 0;

	o.flags = flags;
	o.clock = signalling_clock;
	alarm(CHILD_ALARM_S);
	signal(SIGUSR1, on_usr1);
	if (bt_open(&db, path, &o) != BT_OK)
		return 10;
	for (int i = 0; i < CALLS; i++) {
		raise_next = i % 2;
		ok += bt_log(db, BT_CRITICAL, "outer", "request %d failed", i) == BT_OK;
	}
	raise_next = 0;
	if (bt_flush(db, -1) != BT_OK || bt_capture_stats_get(db, &stats) != BT_OK)
		return 11;
	bt_close(db);
	if (ok != CALLS)
		return 12;
	if (nested_calls < CALLS / 2 || nested_refused != nested_calls || nested_other)
		return 13;
	if (stats.dropped < (uint64_t)nested_refused)
		return 14;
	return 0;
}

static void shape(const char *name, unsigned flags)
{
	const char *path = check_path(name);
	pid_t pid = fork();
	int rc;

	if (pid == 0)
		_exit(run(path, flags));
	rc = wait_child(pid, CHILD_ALARM_S + 5);
	if (rc != 0)
		fprintf(stderr, "%s: the child ended with %d (-1: hung or killed)\n", name, rc);
	CHECK(rc == 0);
	CHECK(stored(path, "outer") == CALLS);
	CHECK(stored(path, "nested") == 0);
	check_integrity(path);
}

static void test_reentry_sync(void)
{
	shape("sync.db", BT_OPEN_SYNC);
}

static void test_reentry_async(void)
{
	shape("async.db", 0);
}

int main(void)
{
	RUN(test_reentry_sync);
	RUN(test_reentry_async);
	return check_finish();
}
