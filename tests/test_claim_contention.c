/*
 * test_claim_contention.c - 4 processes x 4 threads race to claim the same
 * 50 tickets.  Each ticket must get exactly one holder; after the leases
 * expire, exactly one takeover per ticket must succeed.  The clock is a
 * counter in shared memory, so expiry happens at the same moment for every
 * process.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"

#define PROCS 4
#define THREADS 4
#define TICKETS 50
#define LEASE_S 60

static volatile int64_t *shared_now;
static const char *path;
static pthread_barrier_t barrier;

static int64_t shared_clock(void *payload)
{
	(void)payload;
	return __atomic_load_n(shared_now, __ATOMIC_SEQ_CST);
}

static bt_db *open_db(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	opts.clock = shared_clock;
	if (bt_open(&db, path, &opts) != BT_OK) {
		fprintf(stderr, "open: %s\n", bt_error_message());
		_exit(5);
	}
	return db;
}

/* One round: try every ticket once; count wins, and anything but a win or
 * BT_EBUSY as an error. */
/* Each racer is a distinct agent: a holder may re-claim its own ticket,
 * so two racers sharing a name would both win it. */
typedef struct racer_arg {
	long wins, errors;
	int index, round; /* round 2's agents are new agents taking over */
} racer_arg;

static void *racer(void *arg)
{
	racer_arg *r = arg;
	bt_db *db = open_db();
	char token[BT_CLAIM_TOKEN_SIZE], agent[48];
	int64_t id;

	snprintf(agent, sizeof(agent), "agent:r%d-%d-%d", r->round, (int)getpid(), r->index);
	pthread_barrier_wait(&barrier);
	for (id = 1; id <= TICKETS; id++) {
		int rc = bt_ticket_claim(db, id, agent, LEASE_S, token);

		if (rc == BT_OK)
			r->wins++;
		else if (rc != BT_EBUSY) {
			fprintf(stderr, "claim: %d %s\n", rc, bt_error_message());
			r->errors++;
		}
	}
	bt_close(db);
	return NULL;
}

static void run_round(int round, long *wins, long *errors)
{
	pthread_t t[THREADS];
	racer_arg results[THREADS];
	int i;

	memset(results, 0, sizeof(results));
	pthread_barrier_init(&barrier, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		results[i].index = i;
		results[i].round = round;
		pthread_create(&t[i], NULL, racer, &results[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		*wins += results[i].wins;
		*errors += results[i].errors;
	}
	pthread_barrier_destroy(&barrier);
}

static void test_contention(void)
{
	int go1[2], go2[2], done1[2], out[2], i;
	long wins[2] = { 0, 0 }, errors = 0;
	pid_t pids[PROCS];
	bt_db *db;
	sqlite3 *sql = NULL;

	shared_now = mmap(NULL, sizeof(*shared_now), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared_now != MAP_FAILED);
	*shared_now = 1700000000000LL;
	path = check_path("claims.db");
	db = open_db();
	for (i = 0; i < TICKETS; i++) {
		bt_report r = BT_REPORT_INIT;

		r.title = "race for me";
		CHECK_RC(bt_report_create(db, &r, NULL, NULL), BT_OK);
	}
	bt_close(db);

	CHECK(pipe(go1) == 0 && pipe(go2) == 0 && pipe(done1) == 0 && pipe(out) == 0);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			long res[3] = { 0, 0, 0 };
			char c;

			close(go1[1]);
			close(go2[1]);
			if (read(go1[0], &c, 1) < 0)
				_exit(3);
			run_round(1, &res[0], &res[2]);
			if (write(done1[1], &c, 1) != 1) /* round 1 done */
				_exit(4);
			if (read(go2[0], &c, 1) < 0)
				_exit(3);
			run_round(2, &res[1], &res[2]);
			if (write(out[1], res, sizeof(res)) != sizeof(res))
				_exit(4);
			_exit(0);
		}
	}
	close(go1[0]);
	close(go2[0]);
	close(go1[1]); /* round 1: everyone at once */
	for (i = 0; i < PROCS; i++) {
		char c;

		CHECK(read(done1[0], &c, 1) == 1);
	}
	__atomic_store_n(shared_now, *shared_now + (LEASE_S + 1) * 1000LL, __ATOMIC_SEQ_CST);
	close(go2[1]); /* round 2: every lease has expired */
	for (i = 0; i < PROCS; i++) {
		long res[3];
		int status = 0;

		CHECK(read(out[0], res, sizeof(res)) == sizeof(res));
		wins[0] += res[0];
		wins[1] += res[1];
		errors += res[2];
		CHECK(waitpid(pids[i], &status, 0) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	fprintf(stderr, "round 1: %ld claims won, round 2: %ld takeovers won, %ld errors\n",
		wins[0], wins[1], errors);
	CHECK(wins[0] == TICKETS);
	CHECK(wins[1] == TICKETS);
	CHECK(errors == 0);

	CHECK(sqlite3_open(path, &sql) == SQLITE_OK);
	CHECK(check_query_int(sql, "SELECT count(*) FROM (SELECT ticket_id FROM ticket_events WHERE kind = 'claimed'"
			 " GROUP BY ticket_id HAVING count(*) = 1)") == TICKETS);
	CHECK(check_query_int(sql, "SELECT count(*) FROM (SELECT ticket_id FROM ticket_events WHERE kind = 'claim_taken_over'"
			 " GROUP BY ticket_id HAVING count(*) = 1)") == TICKETS);
	CHECK(check_query_int(sql, "SELECT count(*) FROM tickets WHERE automation_attempts = 2 AND claimed_by IS NOT NULL") == TICKETS);
	sqlite3_close(sql);
	munmap((void *)shared_now, sizeof(*shared_now));
}

int main(void)
{
	RUN(test_contention);
	return check_finish();
}
