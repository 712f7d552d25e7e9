/*
 * test_pg_race.c - exact counts across hosts (issue 15): 16 processes, each
 * with its own connection as a host of a fleet would have, wait at one gate
 * and then all log the same error, never seen before, at once: the first
 * occurrence of a fingerprint, which must open one ticket, and every later
 * one count on it.  Afterwards there is one ticket, and its count equals
 * the calls that returned BT_OK, which must be all of them.
 *
 * The control proves the test can see what it guards against, as Sentry
 * proves its group-creation lock: the same race with the writer lock left
 * out (bti_pg_writer_lock_off) must go wrong in some round: a duplicate, a
 * lost count or a failed call.  If it never does, the test is blind and
 * fails.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "../conformance/fixture.h"

extern int bti_pg_writer_lock_off;

#define PROCS 16
#define CALLS 40
#define CONTROL_ROUNDS 12

/* One host: open, wait at the gate, log; exit with the number of calls
 * that failed (0..CALLS), or 100+ when it could not even start. */
static int host(const char *loc, int round, int ready_fd, int gate_fd)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	int i, failed = 0;
	char c = 'r';

	opts.flags = BT_OPEN_SYNC;
	opts.busy_timeout_ms = 30000;
	if (bt_open(&db, loc, &opts) != BT_OK) {
		fprintf(stderr, "host: bt_open: %s\n", bt_error_message());
		return 101;
	}
	/* Closed once written: the parent reads until every host wrote or
	 * exited, and never waits on one that failed. */
	if (write(ready_fd, &c, 1) != 1 || close(ready_fd) != 0 || read(gate_fd, &c, 1) < 0)
		return 102;
	for (i = 0; i < CALLS; i++) {
		if (bt_log(db, BT_CRITICAL, "race", "round %d: the same new error", round) != BT_OK) {
			if (failed++ == 0)
				fprintf(stderr, "host %ld: bt_log: %s (%s)\n", (long)getpid(),
					bt_error_message(), bt_error_backend_code());
		}
	}
	bt_close(db);
	return failed;
}

typedef struct race_result {
	int64_t acknowledged, tickets, counted;
	int failed_calls, broken_hosts;
} race_result;

static void run_race(const char *loc, int round, race_result *r)
{
	int ready[2], gate[2], i;
	pid_t pids[PROCS];
	bt_db *db = NULL;
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	char c;

	memset(r, 0, sizeof(*r));
	CHECK(pipe(ready) == 0 && pipe(gate) == 0);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(ready[0]);
			close(gate[1]);
			_exit(host(loc, round, ready[1], gate[0]));
		}
		CHECK(pids[i] > 0);
	}
	close(ready[1]);
	close(gate[0]);
	/* Every host is connected and waiting (or gone): open the gate for
	 * all at once. */
	while (read(ready[0], &c, 1) == 1)
		;
	close(gate[1]);
	close(ready[0]);
	for (i = 0; i < PROCS; i++) {
		int status = 0;

		CHECK(waitpid(pids[i], &status, 0) == pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) > CALLS) {
			r->broken_hosts++;
			continue;
		}
		r->failed_calls += WEXITSTATUS(status);
		r->acknowledged += CALLS - WEXITSTATUS(status);
	}

	CHECK_RC(bt_open(&db, loc, NULL), BT_OK);
	if (!db)
		return;
	CHECK_RC(bt_ticket_iter_new(db, NULL, &it), BT_OK);
	while (it && bt_ticket_iter_next(it, &t) == BT_OK) {
		r->tickets++;
		r->counted += bt_ticket_occurrence_count(t);
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	bt_close(db);
}

static int exact(const race_result *r)
{
	return r->broken_hosts == 0 && r->failed_calls == 0 && r->tickets == 1 &&
	       r->counted == (int64_t)PROCS * CALLS && r->acknowledged == r->counted;
}

static void report(const char *what, int round, const race_result *r)
{
	fprintf(stderr, "%s round %d: %lld acknowledged of %d, %d failed calls, %d broken hosts, "
		"%lld tickets holding %lld occurrences\n", what, round, (long long)r->acknowledged,
		PROCS * CALLS, r->failed_calls, r->broken_hosts, (long long)r->tickets,
		(long long)r->counted);
}

static const conf_backend *pg;

static void test_exact_across_hosts(void)
{
	char loc[512];
	race_result r;
	int round;

	for (round = 1; round <= 3; round++) {
		CHECK(pg->make("race", loc, sizeof(loc)) == 0);
		run_race(loc, round, &r);
		report("protected", round, &r);
		CHECK(exact(&r));
		pg->drop(loc);
	}
}

static void test_control_without_lock(void)
{
	char loc[512];
	race_result r;
	int round, broke = 0;

	bti_pg_writer_lock_off = 1; /* inherited by the hosts fork() makes */
	for (round = 1; round <= CONTROL_ROUNDS && !broke; round++) {
		CHECK(pg->make("control", loc, sizeof(loc)) == 0);
		run_race(loc, round, &r);
		report("control", round, &r);
		broke = !exact(&r);
		pg->drop(loc);
	}
	bti_pg_writer_lock_off = 0;
	/* The race is real: without the lock it goes wrong. */
	CHECK(broke);
}

int main(void)
{
	int rc = conf_postgresql_or_skip(&pg);

	if (rc >= 0)
		return rc;
	RUN(test_exact_across_hosts);
	RUN(test_control_without_lock);
	return check_finish();
}
