/*
 * test_pg_fork.c - the process shapes of issue 13 on PostgreSQL: a child
 * that inherits a handle gets a connection of its own, and closing what it
 * inherited must not end the parent's session (libpq's PQfinish says
 * goodbye on the socket, which the parent shares after fork()).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "../conformance/fixture.h"

static const conf_backend *pg;


/* @flags: BT_OPEN_SYNC, or 0 for the default asynchronous capture. */
static void fork_child_logs_and_closes(unsigned int flags)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	char loc[512];
	pid_t pid;
	int status = 0;

	CHECK(pg->make(flags ? "fork_sync" : "fork_async", loc, sizeof(loc)) == 0);
	opts.flags = flags;
	CHECK_RC(bt_open(&db, loc, &opts), BT_OK);
	if (!db)
		return;
	CHECK_RC(bt_log(db, BT_CRITICAL, "fork", "the same error"), BT_OK);
	CHECK_RC(bt_flush(db, 10000), BT_OK);
	pid = fork();
	if (pid == 0) {
		int ok = bt_log(db, BT_CRITICAL, "fork", "the same error") == BT_OK &&
			 bt_flush(db, 10000) == BT_OK;

		bt_close(db); /* the inherited handle: the parent's session must live on */
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent's connection still works: no "server closed the
	 * connection", no reconnect needed. */
	CHECK_RC(bt_log(db, BT_CRITICAL, "fork", "the same error"), BT_OK);
	CHECK_RC(bt_flush(db, 10000), BT_OK);
	bt_close(db);
	CHECK_INT_EQ(conf_occurrences(loc, NULL), 3);
	pg->drop(loc);
}

static void test_fork_sync(void)
{
	fork_child_logs_and_closes(BT_OPEN_SYNC);
}

static void test_fork_async(void)
{
	fork_child_logs_and_closes(0);
}

int main(void)
{
	int rc = conf_postgresql_or_skip(&pg);

	if (rc >= 0)
		return rc;
	RUN(test_fork_sync);
	RUN(test_fork_async);
	return check_finish();
}
