/*
 * test_host_fork.c - the process shapes C services run in, as real
 * processes: daemonize, pre-forked workers with a master reload, a fork per
 * request, forks while the writer commits, fork then exec, and exit through
 * exit(1) without bt_close.  Each shape checks exact counts in the file
 * (what was acknowledged is stored, and nothing twice), that no process
 * hangs (every child has an alarm, the parent a deadline), and the file's
 * integrity.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "host_util.h"

#define CHILD_ALARM_S 30

static const char *self_exe;

/* Log @n criticals of @component; returns how many were acknowledged. */
static int log_n(bt_db *db, const char *component, int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += bt_log(db, BT_CRITICAL, component, "request %d failed", i) == BT_OK;
	return ok;
}

static bt_db *open_db(const char *path)
{
	bt_db *db = NULL;

	if (bt_open(&db, path, NULL) != BT_OK) {
		fprintf(stderr, "bt_open %s: %s\n", path, bt_error_message());
		return NULL;
	}
	return db;
}

/* Under ASan a fork must not meet the writer inside malloc (check.h,
 * CHECK_UNDER_ASAN): wait until what @db has pending is committed and the
 * writer has gone back to sleep.  Elsewhere the fork comes as it comes. */
static void quiesce(bt_db *db)
{
	if (CHECK_UNDER_ASAN && db) {
		bt_flush(db, 10000);
		usleep(20 * 1000);
	}
}

/* A child reports what was acknowledged through its exit status (< 256).
 * @db: the parent's handle whose writer may be busy, or NULL. */
static pid_t child(bt_db *db)
{
	pid_t pid;

	quiesce(db);
	pid = fork();

	if (pid == 0)
		alarm(CHILD_ALARM_S);
	return pid;
}

/* Daemonize: the parent forks, closes and exits; the child keeps logging
 * through the inherited handle, and also through a handle of its own. */
static void test_daemonize(void)
{
	const char *path = check_path("daemon.db");
	bt_db *db = open_db(path);
	int parent_ok, rc;
	pid_t pid;

	parent_ok = log_n(db, "daemon", 100);
	pid = child(db);
	if (pid == 0) {
		/* Let the parent close and go first, as a daemon's does. */
		usleep(200 * 1000);
		int ok = log_n(db, "daemon", 100);
		bt_db *own = open_db(path);

		ok += own ? log_n(own, "daemon", 50) : 0;
		bt_close(own);
		bt_close(db);
		exit(ok == 150 ? 0 : 1);
	}
	bt_close(db); /* the parent's close must not destroy the child's writes */
	rc = wait_child(pid, CHILD_ALARM_S + 5);
	CHECK(rc == 0);
	CHECK(parent_ok == 100);
	CHECK(stored(path, "daemon") == 250);
	check_integrity(path);
}

/* The hazard SQLite documents: the parent's close, while a child writes
 * through a handle it opened after the fork, deleted the WAL under it. */
static void test_parent_close_under_child(void)
{
	const char *path = check_path("closing.db");
	bt_db *db = open_db(path);
	int fds[2], rc;
	char byte;
	pid_t pid;

	log_n(db, "close", 1);
	CHECK(pipe(fds) == 0);
	pid = child(db);
	if (pid == 0) {
		bt_db *own = open_db(path);
		int ok = own ? log_n(own, "close", 200) : 0;

		CHECK(bt_flush(own, 10000) == BT_OK);
		if (write(fds[1], "x", 1) != 1)
			exit(3);
		ok += own ? log_n(own, "close", 200) : 0;
		bt_close(own);
		exit(ok == 400 ? 0 : 1);
	}
	CHECK(read(fds[0], &byte, 1) == 1);
	bt_close(db);
	rc = wait_child(pid, CHILD_ALARM_S + 5);
	CHECK(rc == 0);
	CHECK(stored(path, "close") == 401);
	check_integrity(path);
	close(fds[0]);
	close(fds[1]);
}

/* A master with 4 pre-forked workers that log through the inherited handle
 * and exit without closing it; meanwhile the master reloads (closes and
 * reopens its handle) and logs. */
static void test_prefork_reload(void)
{
	const char *path = check_path("prefork.db");
	bt_db *db = open_db(path);
	pid_t pids[4];
	int master_ok = 0, failed = 0;

	master_ok += log_n(db, "prefork", 10);
	for (int i = 0; i < 4; i++) {
		pids[i] = child(db);
		if (pids[i] == 0)
			exit(log_n(db, "prefork", 100) == 100 ? 0 : 1); /* no bt_close */
	}
	bt_close(db); /* the reload */
	db = open_db(path);
	master_ok += log_n(db, "prefork", 10);
	for (int i = 0; i < 4; i++)
		failed += wait_child(pids[i], CHILD_ALARM_S + 5) != 0;
	bt_close(db);
	CHECK(failed == 0);
	CHECK(master_ok == 20);
	CHECK(stored(path, "prefork") == 420);
	check_integrity(path);
}

/* A fork per request: each child logs once and exits; the master logs too. */
static void test_fork_per_request(void)
{
	const char *path = check_path("perreq.db");
	bt_db *db = open_db(path);
	int failed = 0, master_ok = 0;

	for (int i = 0; i < 40; i++) {
		pid_t pid = child(db);

		if (pid == 0)
			exit(bt_log(db, BT_CRITICAL, "perreq", "request %d failed", i) == BT_OK ? 0 : 1);
		master_ok += log_n(db, "perreq", 1);
		failed += wait_child(pid, CHILD_ALARM_S + 5) != 0;
	}
	bt_close(db);
	CHECK(failed == 0);
	CHECK(master_ok == 40);
	CHECK(stored(path, "perreq") == 80);
	check_integrity(path);
}

/* 200 forks while the writer commits a stream of distinct errors from
 * another thread: no child hangs (in bt_open, bt_log or bt_close), and
 * every acknowledged call of both sides is stored. */
struct storm {
	bt_db *db;
	int stop;
	long ok;
};

static void *storm_main(void *arg)
{
	struct storm *s = arg;
	char msg[64];
	long i = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		snprintf(msg, sizeof(msg), "distinct failure %ld", i++);
		s->ok += bt_log(s->db, BT_CRITICAL, "storm", "%s", msg) == BT_OK;
	}
	return NULL;
}

static void test_forks_while_committing(void)
{
	const char *path = check_path("storm.db");
	struct storm s = { open_db(path), 0, 0 };
	pthread_t thread;
	int failed = 0;
	int64_t n;

	if (CHECK_UNDER_ASAN) {
		/* Its forks meet a thread that allocates all the time (check.h). */
		fprintf(stderr, "skip %s: forks beside a busy thread (ASan's allocator)\n", __func__);
		bt_close(s.db);
		return;
	}
	CHECK(pthread_create(&thread, NULL, storm_main, &s) == 0);
	for (int i = 0; i < 200; i++) {
		pid_t pid = child(NULL); /* the storm runs on: see the skip above */

		if (pid == 0) {
			int ok = log_n(s.db, "stormchild", 1);
			bt_db *own = open_db(path);

			ok += own ? log_n(own, "stormchild", 1) : 0;
			bt_close(own);
			bt_close(s.db);
			_exit(ok == 2 ? 0 : 1);
		}
		failed += wait_child(pid, CHILD_ALARM_S + 5) != 0;
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	bt_close(s.db);
	CHECK(failed == 0);
	n = stored(path, "stormchild");
	if (n != 400)
		fprintf(stderr, "stormchild: %lld stored of 400 acknowledged\n", (long long)n);
	CHECK(n == 400);
	CHECK(stored(path, "storm") == s.ok);
	check_integrity(path);
}

/* Fork then exec: the new program opens the same file and logs. */
static void test_fork_exec(void)
{
	const char *path = check_path("exec.db");
	bt_db *db = open_db(path);
	pid_t pid;

	log_n(db, "exec", 5);
	pid = child(db);
	if (pid == 0) {
		execl(self_exe, self_exe, "--exec-child", path, (char *)NULL);
		_exit(127);
	}
	log_n(db, "exec", 5);
	CHECK(wait_child(pid, CHILD_ALARM_S + 5) == 0);
	bt_close(db);
	CHECK(stored(path, "exec") == 20);
	check_integrity(path);
}

static int exec_child(const char *path)
{
	bt_db *db = open_db(path);
	int ok = db ? log_n(db, "exec", 10) : 0;

	bt_close(db);
	return ok == 10 ? 0 : 1;
}

/* The error that kills the process is not lost: bt_log then exit(1), as
 * err(3) does, with no bt_close. */
static void test_log_then_exit(void)
{
	const char *path = check_path("exit.db");
	pid_t pid = child(NULL);

	if (pid == 0) {
		bt_db *db = open_db(path);

		if (!db || bt_log(db, BT_CRITICAL, "exit", "fatal: cannot bind port %d", 80) != BT_OK)
			_exit(2);
		exit(1);
	}
	CHECK(wait_child(pid, CHILD_ALARM_S + 5) == 1);
	CHECK(stored(path, "exit") == 1);
	check_integrity(path);
}

/* An inherited handle in a child that closes it at once: no hang, and the
 * parent's pending occurrences are the parent's (committed once). */
static void test_child_closes_inherited(void)
{
	const char *path = check_path("inherit.db");
	bt_db *db = open_db(path);
	pid_t pid;

	log_n(db, "inherit", 50); /* pending in the parent's queue */
	pid = child(db);
	if (pid == 0) {
		bt_close(db);
		exit(0);
	}
	CHECK(wait_child(pid, CHILD_ALARM_S + 5) == 0);
	bt_close(db);
	CHECK(stored(path, "inherit") == 50);
	check_integrity(path);
}

int main(int argc, char **argv)
{
	self_exe = argv[0];
	if (argc == 3 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child(argv[2]);
	RUN(test_daemonize);
	RUN(test_parent_close_under_child);
	RUN(test_prefork_reload);
	RUN(test_fork_per_request);
	RUN(test_forks_while_committing);
	RUN(test_fork_exec);
	RUN(test_log_then_exit);
	RUN(test_child_closes_inherited);
	return check_finish();
}
