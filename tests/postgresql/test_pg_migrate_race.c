/*
 * test_pg_migrate_race.c - many services start at once on a fresh schema
 * (issue 15): 8 processes, each its own connection, wait at one gate and
 * then call bt_open on the same new schema at the same moment.  Every open
 * succeeds at the latest schema version; afterwards schema_migrations holds
 * each embedded migration exactly once, with its checksum, and the schema
 * holds exactly the tables one lone opener makes (and nothing leaked into
 * the search_path's first schema).
 *
 * Control: the library has no switch to leave the migration lock out (the
 * race test's bti_pg_writer_lock_off covers write transactions only), and
 * the brief forbids library changes, so "without the lock an opener fails"
 * cannot be shown here.  Instead the control holds the migration lock
 * (key 1651797351 with hashtext(schema), migrate.c) from a connection of
 * the test's own: then no opener may finish while it is held, and all
 * finish once it is released.  An opener that did not take that lock (or
 * took another key) would finish early, and the control fails.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "check.h"
#include "../conformance/fixture.h"

#define PROCS 8
#define ROUNDS 4
#define WAIT_MS 60000 /* the longest a round may take: nothing hangs */

static const conf_backend *pg;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One service: wait at the gate, open, check the version, close.  Exits 0,
 * or 1 when bt_open failed, 2 for a wrong version, 3 for a broken gate. */
static int opener(const char *loc, int ready_fd, int gate_fd)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	int current = -1, latest = -2;
	char c = 'r';

	opts.flags = BT_OPEN_SYNC;
	opts.busy_timeout_ms = 30000;
	if (write(ready_fd, &c, 1) != 1 || close(ready_fd) != 0 || read(gate_fd, &c, 1) < 0)
		return 3;
	if (bt_open(&db, loc, &opts) != BT_OK) {
		fprintf(stderr, "opener %ld: bt_open: %s (%s)\n", (long)getpid(),
			bt_error_message(), bt_error_backend_code());
		return 1;
	}
	if (bt_schema_version_get(db, &current, &latest) != BT_OK || current != latest) {
		fprintf(stderr, "opener %ld: schema version %d of %d\n", (long)getpid(), current,
			latest);
		bt_close(db);
		return 2;
	}
	bt_close(db);
	return 0;
}

typedef struct race {
	pid_t pids[PROCS];
	int gate_w;
} race;

/* Fork the openers and wait until every one is at the gate. */
static void race_start(const char *loc, race *r)
{
	int ready[2], gate[2], i;
	char c;

	CHECK(pipe(ready) == 0 && pipe(gate) == 0);
	for (i = 0; i < PROCS; i++) {
		r->pids[i] = fork();
		if (r->pids[i] == 0) {
			close(ready[0]);
			close(gate[1]);
			_exit(opener(loc, ready[1], gate[0]));
		}
		CHECK(r->pids[i] > 0);
	}
	close(ready[1]);
	close(gate[0]);
	while (read(ready[0], &c, 1) == 1)
		;
	close(ready[0]);
	r->gate_w = gate[1];
}

/* How many openers exited by now (@block: wait for all, up to WAIT_MS;
 * then the rest are killed and counted as failures).  *failed_out counts
 * the ones that exited non-zero or were killed. */
static int race_reap(race *r, int block, int *failed_out)
{
	int64_t deadline = mono_ms() + WAIT_MS;
	int i, done = 0;

	*failed_out = 0;
	for (i = 0; i < PROCS; i++) {
		int status = 0;
		pid_t got;

		if (r->pids[i] <= 0) {
			done++;
			continue;
		}
		while ((got = waitpid(r->pids[i], &status, WNOHANG)) == 0 && block &&
		       mono_ms() < deadline)
			usleep(10 * 1000);
		if (got == 0 && block) {
			fprintf(stderr, "opener %ld hangs: killed\n", (long)r->pids[i]);
			kill(r->pids[i], SIGKILL);
			got = waitpid(r->pids[i], &status, 0);
		}
		if (got != r->pids[i])
			continue;
		r->pids[i] = 0;
		done++;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			(*failed_out)++;
	}
	return done;
}

static char *scalar(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	char *v = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strdup(PQgetvalue(r, 0, 0));
	else
		fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return v;
}

static int64_t scalar_int(PGconn *c, const char *sql)
{
	char *v = scalar(c, sql);
	int64_t n = v ? strtoll(v, NULL, 10) : -1;

	free(v);
	return n;
}

/* What one lone opener makes: the tables of the schema, as one string. */
static char *tables_of(PGconn *c, const char *schema)
{
	char sql[300];

	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '')"
		 " FROM pg_tables WHERE schemaname = '%s'", schema);
	return scalar(c, sql);
}

static const char *schema_of(const char *loc)
{
	return strstr(loc, "schema=") + 7;
}

/* The record holds every embedded migration once, in order, with its
 * checksum; the tables are those of @reference. */
static void check_schema(PGconn *c, const char *loc, const char *reference)
{
	const char *schema = schema_of(loc);
	bt_db *db = NULL;
	char sql[300], *tables;
	int i, n;

	CHECK_RC(bt_open(&db, loc, NULL), BT_OK);
	if (!db)
		return;
	n = bt_migration_count(db);
	CHECK(n > 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.schema_migrations", schema);
	CHECK_INT_EQ(scalar_int(c, sql), n);
	snprintf(sql, sizeof(sql), "SELECT count(DISTINCT version) FROM %s.schema_migrations",
		 schema);
	CHECK_INT_EQ(scalar_int(c, sql), n);
	for (i = 0; i < n; i++) {
		bt_migration_info mi = { BT_MIGRATION_INFO_VERSION, 0, NULL, NULL, 0, 0 };
		char *sum;

		CHECK_RC(bt_migration_info_get(db, i, &mi), BT_OK);
		CHECK(mi.applied == 1);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) || ':' || coalesce(min(checksum), '')"
			 " FROM %s.schema_migrations WHERE version = %d", schema, mi.schema_version);
		sum = scalar(c, sql);
		snprintf(sql, sizeof(sql), "1:%s", mi.checksum ? mi.checksum : "?");
		CHECK_STR_EQ(sum, sql);
		free(sum);
	}
	bt_close(db);
	tables = tables_of(c, schema);
	CHECK_STR_EQ(tables, reference);
	free(tables);
}

static char reference_tables[4096];
static int64_t public_tables;

/* The tables a lone opener makes, and how many tables "public" holds
 * before the races: none of them may land there. */
static void test_reference(void)
{
	PGconn *c = PQconnectdb("");
	char loc[512], *t;
	bt_db *db = NULL;

	CHECK(pg->make("migrate_ref", loc, sizeof(loc)) == 0);
	CHECK_RC(bt_open(&db, loc, NULL), BT_OK);
	bt_close(db);
	t = tables_of(c, schema_of(loc));
	CHECK(t && strstr(t, "schema_migrations") && strstr(t, "tickets"));
	snprintf(reference_tables, sizeof(reference_tables), "%s", t ? t : "");
	free(t);
	public_tables = scalar_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
	PQfinish(c);
	pg->drop(loc);
}

static void test_openers_race(void)
{
	PGconn *c = PQconnectdb("");
	char loc[512];
	int round, failed;
	race r;

	for (round = 1; round <= ROUNDS; round++) {
		int64_t start;

		CHECK(pg->make("migrate_race", loc, sizeof(loc)) == 0);
		race_start(loc, &r);
		start = mono_ms();
		close(r.gate_w); /* all at once */
		CHECK_INT_EQ(race_reap(&r, 1, &failed), PROCS);
		CHECK_INT_EQ(failed, 0);
		if (round == 1)
			fprintf(stderr, "round 1: %d openers done in %lld ms\n", PROCS,
				(long long)(mono_ms() - start));
		check_schema(c, loc, reference_tables);
		pg->drop(loc);
	}
	CHECK_INT_EQ(scalar_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
		     public_tables);
	PQfinish(c);
}

/* The control: while the test holds the migration lock, no opener gets
 * past it; released, all of them finish. */
static void test_control_lock_held(void)
{
	PGconn *c = PQconnectdb("");
	char loc[512], sql[300], *v;
	int failed, done;
	race r;

	CHECK(pg->make("migrate_held", loc, sizeof(loc)) == 0);
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(1651797351, hashtext('%s'))",
		 schema_of(loc));
	v = scalar(c, sql);
	CHECK(v != NULL);
	free(v);
	race_start(loc, &r);
	close(r.gate_w);
	usleep(1500 * 1000);
	done = race_reap(&r, 0, &failed);
	CHECK_INT_EQ(done, 0); /* all wait on the lock the test holds */
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(1651797351, hashtext('%s'))",
		 schema_of(loc));
	v = scalar(c, sql);
	CHECK_STR_EQ(v, "t");
	free(v);
	CHECK_INT_EQ(race_reap(&r, 1, &failed), PROCS);
	CHECK_INT_EQ(failed, 0);
	check_schema(c, loc, reference_tables);
	PQfinish(c);
	pg->drop(loc);
}

int main(void)
{
	int rc = conf_postgresql_or_skip(&pg);

	if (rc >= 0)
		return rc;
	RUN(test_reference);
	RUN(test_openers_race);
	RUN(test_control_lock_held);
	return check_finish();
}
