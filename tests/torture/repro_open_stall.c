/*
 * repro_open_stall.c - two bugs the kill -9 torture found, each reduced to
 * one deterministic case.  Both are a bt_open that waits for the write lock
 * it does not need, for the whole busy timeout.  In the torture the lock is
 * never held long, just rarely free (other writers commit back to back, and
 * SQLite's busy handler polls at most every 100 ms), so a writer's bt_open
 * took 200 ms to 5 s; here one process holds a write transaction instead,
 * which makes the stall exact.
 *
 * 1. A crash spool exists - even an empty one, kept open by a live process
 *    with the crash handler - and bt_open's ingestion begins BEGIN IMMEDIATE
 *    before it looks at the (zero) records: bti_crash_ingest_at_open ->
 *    bt_crash_ingest -> ingest_chunks (lib/crash/crash_ingest.c).  bt_open then
 *    succeeds, late, having ignored the failure.
 * 2. Two processes open a file that needs a migration; the first migrates
 *    and goes on writing.  The second read "pending" before that commit,
 *    then waits in BEGIN IMMEDIATE (apply_next, lib/store/sqlite/migrate.c)
 *    without ever looking again, and bt_open fails with BT_EBUSY ("starting
 *    migration: database is locked") although nothing is left to do.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "db.h"

/* Generated from migrations/ plus tests/migrations/ (see tests/meson.build). */
extern const bti_migration_set bti_test_migrations_next; /* ... + 9001 */

#define BUSY_MS 1500
#define LIMIT_MS 500
#define HOLD_MS 4000

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void say(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(4);
}

static void wait_for(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1) {
		fprintf(stderr, "a helper died before it was ready\n");
		exit(2);
	}
}

static void finish(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bt_open_options short_busy(void)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;

	o.busy_timeout_ms = BUSY_MS;
	return o;
}

/* A child holding a write transaction on @path, as a purge batch, an import
 * or two writers in a storm do.  Fork only: the parent holds no handle and
 * no connection at this point. */
static pid_t lock_holder(const char *path, int ready)
{
	pid_t pid = fork();
	sqlite3 *sql;

	if (pid != 0)
		return pid;
	if (sqlite3_open(path, &sql) != SQLITE_OK ||
	    sqlite3_exec(sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		_exit(3);
	say(ready);
	pause();
	_exit(0);
}

static int64_t timed_open(const char *path, const bti_migration_set *set, int *rc_out)
{
	bt_open_options o = short_busy();
	int64_t t0 = mono_ms();
	bt_db *db = NULL;

	*rc_out = bti_db_open(&db, path, &o, set ? set : &bti_sqlite_migrations);
	t0 = mono_ms() - t0;
	bt_close(db);
	return t0;
}

/* ---- 1: the crash spool ---- */

static pid_t crash_handler_holder(const char *path, int ready)
{
	pid_t pid = fork();
	bt_db *db;

	if (pid != 0)
		return pid;
	if (bt_open(&db, path, NULL) != BT_OK || bt_crash_handler_install(db, NULL) != BT_OK)
		_exit(3);
	say(ready);
	pause();
	_exit(0);
}

static void test_open_beside_an_empty_spool(void)
{
	const char *path = check_path("spool.db");
	pid_t writer, handler;
	int64_t without, with;
	int fds[2], rc;
	bt_db *db;

	CHECK(pipe(fds) == 0);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	bt_close(db);

	writer = lock_holder(path, fds[1]);
	wait_for(fds[0]);
	/* The control: WAL readers never wait for the writer. */
	without = timed_open(path, NULL, &rc);
	fprintf(stderr, "bt_open beside a write transaction: %d in %lld ms\n", rc, (long long)without);
	CHECK(rc == BT_OK && without < LIMIT_MS);

	handler = crash_handler_holder(path, fds[1]); /* no spool yet: its open waits for nothing */
	wait_for(fds[0]);
	with = timed_open(path, NULL, &rc);
	fprintf(stderr, "... and beside an empty crash spool: %d in %lld ms (busy timeout %d ms)\n",
		rc, (long long)with, BUSY_MS);
	CHECK(rc == BT_OK && with < LIMIT_MS);

	finish(handler);
	finish(writer);
	close(fds[0]);
	close(fds[1]);
}

/* ---- 2: a migration another process finished ---- */

/* A child that takes the write lock, lets the parent's bt_open read that a
 * migration is pending and start waiting, applies that migration itself as
 * a concurrent bt_open would, commits, and at once goes on writing (holds
 * the lock again): what the first opener of a fresh file does. */
static pid_t migrator(const char *path, int ready)
{
	const bti_migration *m = &bti_test_migrations_next.items[bti_test_migrations_next.count - 1];
	pid_t pid = fork();
	sqlite3_stmt *st;
	sqlite3 *sql;

	if (pid != 0)
		return pid;
	if (sqlite3_open(path, &sql) != SQLITE_OK ||
	    sqlite3_exec(sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		_exit(3);
	say(ready);
	sleep_ms(300);
	if (sqlite3_exec(sql, m->sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sql, "INSERT INTO schema_migrations (version, name, checksum,"
			       " applied_at) VALUES (?1, ?2, ?3, 1)", -1, &st, NULL) != SQLITE_OK)
		_exit(5);
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->checksum, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE || sqlite3_finalize(st) != SQLITE_OK ||
	    sqlite3_exec(sql, "COMMIT; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		_exit(6);
	sleep_ms(HOLD_MS);
	_exit(0);
}

static void test_open_after_a_concurrent_migration(void)
{
	const char *path = check_path("migrate.db");
	int fds[2], rc, current = 0, latest = 0;
	int64_t took;
	pid_t pid;
	bt_db *db;

	CHECK(pipe(fds) == 0);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK); /* the released schema; 9001 pending */
	bt_close(db);

	pid = migrator(path, fds[1]);
	wait_for(fds[0]);
	took = timed_open(path, &bti_test_migrations_next, &rc);
	fprintf(stderr, "bt_open of a file another process migrated meanwhile: %d (%s) in %lld ms "
		"(busy timeout %d ms)\n", rc, bt_strerror(rc), (long long)took, BUSY_MS);
	CHECK_RC(rc, BT_OK);
	finish(pid);

	/* The migration was applied, once. */
	CHECK_RC(bti_db_open(&db, path, NULL, &bti_test_migrations_next), BT_OK);
	CHECK_RC(bt_schema_version_get(db, &current, &latest), BT_OK);
	CHECK(current == latest && latest == 9001);
	bt_close(db);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	RUN(test_open_beside_an_empty_spool);
	RUN(test_open_after_a_concurrent_migration);
	return check_finish();
}
