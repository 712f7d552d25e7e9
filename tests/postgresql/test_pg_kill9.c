/*
 * test_pg_kill9.c - kill -9 of writers on a shared PostgreSQL schema
 * (issue 15).  Round after round, WRITERS processes (half synchronous, half
 * asynchronous with a bt_flush every FLUSH_EVERY calls) log FPS errors into
 * one schema and are SIGKILLed at random moments (a fixed seed,
 * BT_PG_KILL9_SEED overrides it).  The server ends a killed client's
 * session and rolls its open transaction back.  After every round:
 *  - acknowledged <= stored this round <= attempted: a call that returned
 *    BT_OK (sync), or that a later bt_flush confirmed (async), is stored;
 *    nothing is stored that was not attempted; a transaction in flight at
 *    the kill either committed or not;
 *  - one ticket per fingerprint;
 *  - no session holds an advisory lock for long (the killed ones' are
 *    gone), and a new handle's bt_open + bt_log succeeds within its busy
 *    timeout.
 * Each writer reports on a pipe of its own: "started" before every call
 * (the upper bound) and "acknowledged" after it is confirmed (the lower);
 * each report is one write() of 16 bytes, which a kill cannot tear.
 */
#include <errno.h>
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

#define WRITERS 6
#define FPS 4
#define ROUNDS 6
#define FLUSH_EVERY 5
#define KILL_MIN_MS 100   /* after every writer opened */
#define KILL_SPAN_MS 700
#define BUSY_MS 5000

static const conf_backend *pg;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct report {
	int64_t started, acked;
} report;

static int say(int fd, int64_t started, int64_t acked)
{
	report r = { started, acked };

	return write(fd, &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : -1;
}

/* Distinct components: distinct fingerprints, shared by every writer, so
 * that the first occurrence of each races across processes. */
static const char *const components[FPS] = { "kill9-a", "kill9-b", "kill9-c", "kill9-d" };

/* One writer: log until killed.  A readiness report (0, 0) goes first. */
static void writer(const char *loc, int sync, int fd, unsigned seed)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	int64_t started = 0, acked = 0, accepted = 0;
	int failures = 0;

	opts.flags = sync ? BT_OPEN_SYNC : 0;
	opts.busy_timeout_ms = BUSY_MS;
	opts.async_flush_interval_ms = 5;
	if (bt_open(&db, loc, &opts) != BT_OK) {
		fprintf(stderr, "writer %ld: bt_open: %s\n", (long)getpid(), bt_error_message());
		_exit(101);
	}
	if (say(fd, 0, 0) != 0)
		_exit(102);
	for (;;) {
		int rc;

		started++;
		if (say(fd, started, acked) != 0)
			_exit(102);
		rc = bt_log(db, BT_CRITICAL, components[rand_r(&seed) % FPS], "worker failed: %d",
			    (int)(started % 1000));
		if (sync) {
			if (rc == BT_OK)
				acked++;
		} else {
			if (rc == BT_OK)
				accepted++;
			if (started % FLUSH_EVERY == 0 && bt_flush(db, BUSY_MS) == BT_OK)
				acked = accepted; /* everything accepted before it */
		}
		if (rc != BT_OK && failures++ == 0)
			fprintf(stderr, "writer %ld: bt_log: %s\n", (long)getpid(), bt_error_message());
		if (say(fd, started, acked) != 0)
			_exit(102);
	}
}

typedef struct totals {
	int64_t stored;      /* occurrences over all tickets */
	int64_t tickets;
	int dup_fps;         /* fingerprints with more than one ticket */
} totals;

static void count(const char *loc, totals *t)
{
	bt_ticket_iter *it = NULL;
	bt_ticket *tk;
	bt_db *db = NULL;
	char seen[FPS + 1][80];
	int nseen = 0, i;

	memset(t, 0, sizeof(*t));
	CHECK_RC(bt_open(&db, loc, NULL), BT_OK);
	if (!db)
		return;
	CHECK_RC(bt_ticket_iter_new(db, NULL, &it), BT_OK);
	while (it && bt_ticket_iter_next(it, &tk) == BT_OK) {
		const char *fp = bt_ticket_fingerprint(tk);

		t->tickets++;
		t->stored += bt_ticket_occurrence_count(tk);
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], fp) == 0)
				t->dup_fps++;
		if (nseen < FPS + 1)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", fp);
		bt_ticket_free(tk);
	}
	bt_ticket_iter_free(it);
	bt_close(db);
}

/* Advisory locks still held, polled until none or @limit_ms passed. */
static int64_t advisory_left(int limit_ms)
{
	PGconn *c = PQconnectdb("");
	int64_t n = -1, end = mono_ms() + limit_ms;

	do {
		PGresult *r = PQexec(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
					" AND granted");

		n = PQresultStatus(r) == PGRES_TUPLES_OK ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
		PQclear(r);
		if (n == 0)
			break;
		usleep(50 * 1000);
	} while (mono_ms() < end);
	PQfinish(c);
	return n;
}

typedef struct child {
	pid_t pid;
	int fd;
	int64_t kill_at;
	report last;
	int ready, dead;
} child;

/* Read what @c reported so far; 1 on EOF. */
static int drain(child *c)
{
	report r;
	ssize_t n;

	while ((n = read(c->fd, &r, sizeof(r))) == (ssize_t)sizeof(r)) {
		c->last = r;
		c->ready = 1;
	}
	return n == 0;
}

static void test_kill9(void)
{
	const char *env = getenv("BT_PG_KILL9_SEED");
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 10) : 20240515u;
	int64_t before = 0, ack_all = 0, att_all = 0;
	char loc[512];
	int round, i;
	totals t;

	fprintf(stderr, "seed %u (BT_PG_KILL9_SEED)\n", seed);
	srand(seed);
	memset(&t, 0, sizeof(t));
	CHECK(pg->make("kill9", loc, sizeof(loc)) == 0);
	for (round = 1; round <= ROUNDS; round++) {
		child ch[WRITERS];
		int64_t acked = 0, attempted = 0, start, deadline;
		int alive = WRITERS, unready = 0;

		memset(ch, 0, sizeof(ch));
		for (i = 0; i < WRITERS; i++) {
			int p[2];
			unsigned wseed = (unsigned)rand();

			CHECK(pipe(p) == 0);
			ch[i].pid = fork();
			if (ch[i].pid == 0) {
				close(p[0]);
				writer(loc, i % 2 == 0, p[1], wseed);
			}
			close(p[1]);
			ch[i].fd = p[0];
			CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
			ch[i].kill_at = KILL_MIN_MS + rand() % KILL_SPAN_MS;
		}
		/* The clock starts once every writer opened (or is gone). */
		deadline = mono_ms() + 30000;
		do {
			unready = 0;
			for (i = 0; i < WRITERS; i++)
				if (!ch[i].ready && !drain(&ch[i]))
					unready++;
			if (unready)
				usleep(5 * 1000);
		} while (unready && mono_ms() < deadline);
		CHECK_INT_EQ(unready, 0);
		start = mono_ms();
		/* Kill each at its moment; read reports meanwhile (a full pipe
		 * would stop a writer). */
		while (alive > 0 && mono_ms() < deadline) {
			for (i = 0; i < WRITERS; i++) {
				drain(&ch[i]);
				if (!ch[i].dead && mono_ms() - start >= ch[i].kill_at) {
					kill(ch[i].pid, SIGKILL);
					ch[i].dead = 1;
					alive--;
				}
			}
			usleep(2 * 1000);
		}
		for (i = 0; i < WRITERS; i++) {
			int status = 0;

			if (!ch[i].dead)
				kill(ch[i].pid, SIGKILL); /* only past the deadline */
			CHECK(waitpid(ch[i].pid, &status, 0) == ch[i].pid);
			/* Died of our kill, not of its own failure. */
			CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
			fcntl(ch[i].fd, F_SETFL, 0);
			while (!drain(&ch[i]))
				;
			close(ch[i].fd);
			acked += ch[i].last.acked;
			attempted += ch[i].last.started;
		}
		count(loc, &t);
		fprintf(stderr, "round %d: acknowledged %lld <= stored %lld <= attempted %lld\n",
			round, (long long)acked, (long long)(t.stored - before), (long long)attempted);
		CHECK(acked > 0);
		CHECK(t.stored - before >= acked);
		CHECK(t.stored - before <= attempted);
		CHECK_INT_EQ(t.dup_fps, 0);
		CHECK(t.tickets <= FPS + 1);
		ack_all += acked;
		att_all += attempted;

		/* The killed sessions are gone with their locks... */
		CHECK_INT_EQ(advisory_left(5000), 0);
		/* ...and a new host writes at once, well inside its busy timeout. */
		{
			bt_open_options opts = BT_OPEN_OPTIONS_INIT;
			bt_db *db = NULL;
			int64_t t0 = mono_ms();

			opts.flags = BT_OPEN_SYNC;
			opts.busy_timeout_ms = 3000;
			CHECK_RC(bt_open(&db, loc, &opts), BT_OK);
			CHECK_RC(bt_log(db, BT_CRITICAL, "kill9-probe", "probe after round %d", round),
				 BT_OK);
			bt_close(db);
			CHECK(mono_ms() - t0 < 3000);
		}
		count(loc, &t);
		before = t.stored;
	}
	CHECK_INT_EQ(t.tickets, FPS + 1);
	fprintf(stderr, "all rounds: %lld acknowledged, %lld attempted, %lld stored\n",
		(long long)ack_all, (long long)att_all, (long long)(before - ROUNDS));
	pg->drop(loc);
}

int main(void)
{
	int rc = conf_postgresql_or_skip(&pg);

	if (rc >= 0)
		return rc;
	RUN(test_kill9);
	return check_finish();
}
