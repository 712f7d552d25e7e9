/*
 * test_pg_faults.c - connection faults (issue 15): a terminated backend, a
 * server restart and a server that is down for a while.  Each call either
 * stores its occurrence or fails with a clear code; the call after the
 * fault works without the host doing anything; nothing acknowledged is
 * lost and nothing is stored twice.
 *
 * Restarting and stopping the server needs the cluster pg_virtualenv made
 * (PG_CLUSTER_CONF_ROOT); elsewhere those cases are skipped, saying so.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "check.h"
#include "../conformance/fixture.h"

static const conf_backend *pg;

extern int bti_pg_test_lose_commit_reply; /* store_postgresql.h */
extern int bti_pg_test_lose_alone_reply;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static bt_db *open_sync(const char *loc)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	opts.flags = BT_OPEN_SYNC;
	opts.busy_timeout_ms = 2000;
	CHECK_RC(bt_open(&db, loc, &opts), BT_OK);
	if (!db)
		exit(2);
	return db;
}

/* The server ends every libbugtrack session, as an administrator, a
 * pooler or a failover would; returns once the backends are gone. */
static void terminate_sessions(void)
{
	PGconn *admin = PQconnectdb("");
	PGresult *r = PQexec(admin, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
				    " WHERE application_name = 'libbugtrack'");

	CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) >= 1);
	PQclear(r);
	PQfinish(admin);
	usleep(200 * 1000);
}

/* The server ends every libbugtrack session (an administrator, a pooler,
 * a failover): the next call connects again and stores. */
static void test_terminated_backend(void)
{
	char loc[512];
	bt_db *db;

	CHECK(pg->make("terminated", loc, sizeof(loc)) == 0);
	db = open_sync(loc);
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	terminate_sessions();
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	bt_close(db);
	CHECK_INT_EQ(conf_occurrences(loc, NULL), 3);
	pg->drop(loc);
}


/* The server restarts under open handles, one synchronous and one
 * asynchronous; then it is down for a while: synchronous calls fail at
 * once with BT_EIO, asynchronous ones are queued, and all of them are
 * stored once it is back. */
static void test_restart_and_outage(void)
{
	bt_db *db, *adb = NULL;
	char loc[512];
	int64_t start, acked = 0;
	int rc, i;

	if (!getenv("PG_CLUSTER_CONF_ROOT")) {
		fprintf(stderr, "test_restart_and_outage skipped: not under pg_virtualenv -t\n");
		return;
	}
	CHECK(pg->make("restart", loc, sizeof(loc)) == 0);
	db = open_sync(loc);
	CHECK_RC(bt_open(&adb, loc, NULL), BT_OK);
	if (!adb)
		return;
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	CHECK_RC(bt_log(adb, BT_CRITICAL, "faults", "the same error"), BT_OK);
	CHECK_RC(bt_flush(adb, 10000), BT_OK);
	acked = 2;

	CHECK(conf_pg_cluster("restart") == 0);
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	CHECK_RC(bt_log(adb, BT_CRITICAL, "faults", "the same error"), BT_OK);
	CHECK_RC(bt_flush(adb, 10000), BT_OK);
	acked += 2;

	CHECK(conf_pg_cluster("stop") == 0);
	start = mono_ms();
	rc = bt_log(db, BT_CRITICAL, "faults", "the same error");
	CHECK_RC(rc, BT_EIO);
	CHECK_STR_CONTAINS(bt_error_message(), "connect");
	CHECK(strncmp(bt_error_backend_code(), "postgresql:08", 13) == 0);
	/* Well inside the busy timeout: a refused connection is not waited on. */
	CHECK(mono_ms() - start < 2000);
	for (i = 0; i < 50; i++) {
		/* Queued: the host is not held up by a server that is down. */
		CHECK_RC(bt_log(adb, BT_CRITICAL, "faults", "the same error"), BT_OK);
		acked++;
	}
	start = mono_ms();
	CHECK(bt_flush(adb, 300) != BT_OK);
	CHECK(mono_ms() - start < 1500);
	CHECK(conf_pg_cluster("start") == 0);
	CHECK_RC(bt_flush(adb, 20000), BT_OK);
	/* The synchronous handle backs off for a few seconds at most. */
	start = mono_ms();
	while ((rc = bt_log(db, BT_CRITICAL, "faults", "the same error")) != BT_OK &&
	       mono_ms() - start < 10000)
		usleep(100 * 1000);
	CHECK_RC(rc, BT_OK);
	acked++;
	bt_close(db);
	bt_close(adb);
	CHECK_INT_EQ(conf_occurrences(loc, NULL), acked);
	pg->drop(loc);
}

/* The COMMIT goes out and the connection is cut before its answer: the
 * transaction was committed, and the caller must hear BT_OK (its retry
 * would store it twice), as the server's txid_status() tells a new
 * connection.  Synchronous: the call's own answer.  Asynchronous: the
 * batch is not landed again. */
static void test_commit_reply_lost(void)
{
	bt_db *db, *adb = NULL;
	char loc[512];
	int i;

	CHECK(pg->make("lost_commit", loc, sizeof(loc)) == 0);
	db = open_sync(loc);
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	bti_pg_test_lose_commit_reply = 1;
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	CHECK_INT_EQ(bti_pg_test_lose_commit_reply, 0); /* the fault happened */
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	bt_close(db);
	CHECK_INT_EQ(conf_occurrences(loc, NULL), 3);

	CHECK_RC(bt_open(&adb, loc, NULL), BT_OK);
	if (!adb)
		return;
	for (i = 0; i < 10; i++)
		CHECK_RC(bt_log(adb, BT_CRITICAL, "faults", "the same error"), BT_OK);
	bti_pg_test_lose_commit_reply = 1;
	CHECK_RC(bt_flush(adb, 20000), BT_OK);
	CHECK_INT_EQ(bti_pg_test_lose_commit_reply, 0);
	bt_close(adb);
	CHECK_INT_EQ(conf_occurrences(loc, NULL), 13);
	pg->drop(loc);
}

/* A storm's hot path, a hit that keeps no log row, is one statement that
 * commits by itself (no transaction around it).  After the server ended
 * the session, it is sent again on a new connection: it had not run.  When
 * its answer is lost after it ran, the outcome cannot be known: BT_EIO
 * with postgresql:08007, and the occurrence is counted once, never
 * twice. */
static void test_hot_path_faults(void)
{
	char loc[512];
	bt_db *db;
	int i;

	CHECK(pg->make("hot_faults", loc, sizeof(loc)) == 0);
	db = open_sync(loc);
	for (i = 0; i < 60; i++) /* past the ticket's first log rows */
		CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	terminate_sessions();
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	CHECK_INT_EQ(conf_occurrences(loc, NULL), 62);

	bti_pg_test_lose_alone_reply = 1;
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_EIO);
	CHECK_INT_EQ(bti_pg_test_lose_alone_reply, 0); /* the fault happened */
	CHECK(strcmp(bt_error_backend_code(), "postgresql:08007") == 0);
	CHECK_RC(bt_log(db, BT_CRITICAL, "faults", "the same error"), BT_OK);
	bt_close(db);
	CHECK_INT_EQ(conf_occurrences(loc, NULL), 64);
	pg->drop(loc);
}

int main(void)
{
	int rc = conf_postgresql_or_skip(&pg);

	if (rc >= 0)
		return rc;
	RUN(test_terminated_backend);
	RUN(test_restart_and_outage);
	RUN(test_commit_reply_lost);
	RUN(test_hot_path_faults);
	return check_finish();
}
