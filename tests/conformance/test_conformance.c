/*
 * test_conformance.c - the store conformance suite (issue 14): one set of
 * cases that every storage backend must pass, through the public API only
 * (no SQL, no internal headers; the program links the shared library, so
 * it cannot reach anything else).  The backend is named by the first
 * argument or $BT_CONFORMANCE_BACKEND (default "sqlite"); each case gets a
 * fresh location from the backend's fixture (fixture.c).  A backend that
 * cannot run here skips the program (exit 77).
 *
 * The cases: exact counts under threads and processes, the landing rules
 * (dedup window, regressions, releases, merged fingerprints), claims and
 * leases, status transitions with their audit trail and optimistic locking.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

static const conf_backend *backend;

/* The clock of every case but the storm (which runs in several processes,
 * and so uses the real one). */
static _Atomic int64_t fake_now = 1700000000000LL;

static int64_t fake_clock(void *payload)
{
	(void)payload;
	return atomic_load(&fake_now);
}

static int64_t now_ms(void)
{
	return atomic_load(&fake_now);
}

static void advance(int64_t ms)
{
	atomic_fetch_add(&fake_now, ms);
}

#define SECOND ((int64_t)1000)
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

/* ---- what every case uses ---- */

/* A fresh, empty location for the case @tag; exits when the fixture fails,
 * since no case can run without one. */
static void fresh(const char *tag, char *loc, size_t size)
{
	if (backend->make(tag, loc, size) != 0) {
		fprintf(stderr, "%s fixture: cannot make a location for %s\n", backend->name, tag);
		exit(2);
	}
}

/* Open @loc on the fake clock.  Synchronous capture unless @flags say
 * otherwise: the landing cases read back what each call did. */
static bt_db *open_loc(const char *loc, unsigned int flags, int64_t window_ms)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	opts.flags = flags;
	opts.clock = fake_clock;
	opts.dedup_window_ms = window_ms;
	opts.log_rows_per_ticket = BT_LOG_ROWS_UNLIMITED;
	CHECK_RC(bt_open(&db, loc, &opts), BT_OK);
	if (!db)
		exit(2);
	return db;
}

static bt_update_options as(const char *actor)
{
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;

	o.actor = actor;
	return o;
}

static bt_ticket *get(bt_db *db, int64_t id)
{
	bt_ticket *t = NULL;

	CHECK_RC(bt_ticket_get(db, id, &t), BT_OK);
	if (!t)
		exit(2);
	return t;
}

/* One occurrence of the error @component / @message, committed; returns
 * the ticket it landed on. */
static int64_t occur(bt_db *db, const char *component, const char *message)
{
	bt_event ev = BT_EVENT_INIT;
	int64_t id = 0;

	ev.level = BT_CRITICAL;
	ev.component = component;
	ev.message = message;
	CHECK_RC(bt_log_event(db, &ev, &id), BT_OK);
	return id;
}

static void fingerprint_of(bt_db *db, const char *component, const char *message,
			   char fp[BT_FINGERPRINT_SIZE])
{
	bt_event ev = BT_EVENT_INIT;

	ev.level = BT_CRITICAL;
	ev.component = component;
	ev.message = message;
	CHECK_RC(bt_fingerprint(db, &ev, fp), BT_OK);
}

/* The ticket bt_dedup_lookup names for @fp: its id, or 0 for BT_ENOTFOUND. */
static int64_t lookup(bt_db *db, const char *fp)
{
	bt_ticket *t = NULL;
	int64_t id;
	int rc = bt_dedup_lookup(db, fp, &t);

	if (rc != BT_OK && rc != BT_ENOTFOUND)
		CHECK_RC(rc, BT_OK);
	id = t ? bt_ticket_id(t) : 0;
	bt_ticket_free(t);
	return id;
}

static int64_t ticket_total(bt_db *db)
{
	bt_ticket_counts c = BT_TICKET_COUNTS_INIT;

	CHECK_RC(bt_ticket_count(db, &c), BT_OK);
	return c.total;
}

/* One audit entry, copied out of the library's. */
typedef struct audit_row {
	char kind[32], field[32], from[64], to[64], actor[64], note[128];
	int64_t at;
} audit_row;

static void copy_text(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

/* Read ticket @id's trail into @rows (up to @cap); returns how many
 * entries it has, and checks that they come oldest first. */
static size_t read_trail(bt_db *db, int64_t id, audit_row *rows, size_t cap)
{
	bt_audit_iter *it = NULL;
	bt_audit_entry *e;
	int64_t last = INT64_MIN;
	size_t n = 0;
	int rc;

	CHECK_RC(bt_audit_iter_new(db, id, &it), BT_OK);
	if (!it)
		return 0;
	while ((rc = bt_audit_iter_next(it, &e)) == BT_OK) {
		CHECK(bt_audit_entry_created_at(e) >= last);
		last = bt_audit_entry_created_at(e);
		if (n < cap) {
			audit_row *r = &rows[n];

			copy_text(r->kind, sizeof(r->kind), bt_audit_entry_kind(e));
			copy_text(r->field, sizeof(r->field), bt_audit_entry_field(e));
			copy_text(r->from, sizeof(r->from), bt_audit_entry_from(e));
			copy_text(r->to, sizeof(r->to), bt_audit_entry_to(e));
			copy_text(r->actor, sizeof(r->actor), bt_audit_entry_actor(e));
			copy_text(r->note, sizeof(r->note), bt_audit_entry_note(e));
			r->at = bt_audit_entry_created_at(e);
		}
		n++;
		bt_audit_entry_free(e);
	}
	CHECK_RC(rc, BT_ITEROVER);
	bt_audit_iter_free(it);
	return n;
}

static size_t trail_length(bt_db *db, int64_t id)
{
	return read_trail(db, id, NULL, 0);
}

/* How many entries of ticket @id's trail are of @kind. */
static size_t trail_count(bt_db *db, int64_t id, const char *kind)
{
	audit_row rows[64];
	size_t n = read_trail(db, id, rows, 64), i, hits = 0;

	CHECK(n <= 64);
	for (i = 0; i < n && i < 64; i++)
		hits += strcmp(rows[i].kind, kind) == 0;
	return hits;
}

/* The newest entry of ticket @id's trail. */
static audit_row trail_last(bt_db *db, int64_t id)
{
	audit_row rows[64], none;
	size_t n = read_trail(db, id, rows, 64);

	memset(&none, 0, sizeof(none));
	CHECK(n > 0 && n <= 64);
	return n > 0 && n <= 64 ? rows[n - 1] : none;
}

/* ---- 1. exact counts under concurrency ---- */

#define STORM_THREADS 4
#define STORM_CALLS 200
#define STORM_PROCS 3

/* One call site, so every call is the same error whatever its argument. */
static int storm_once(bt_db *db, int i)
{
	return bt_log(db, BT_CRITICAL, "conformance", "request %d failed: pool exhausted", i);
}

static bt_db *storm_db;
static pthread_barrier_t storm_barrier;

static void *storm_thread(void *arg)
{
	long ok = 0;
	int i;

	(void)arg;
	pthread_barrier_wait(&storm_barrier);
	for (i = 0; i < STORM_CALLS; i++) {
		int rc = storm_once(storm_db, i);

		if (rc == BT_OK)
			ok++;
		else
			fprintf(stderr, "storm thread: %s\n", bt_error_message());
	}
	return (void *)(intptr_t)ok;
}

/* Asynchronous capture (the default) that waits rather than drop when
 * its queue is full, so every call must count. */
static bt_open_options storm_options(unsigned int flags)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;

	opts.flags = flags;
	opts.async_overflow = BT_OVERFLOW_BLOCK;
	return opts;
}

/* In a child: its own handle on @loc; returns how many calls returned
 * BT_OK, or -1. */
static long storm_process(const char *loc, unsigned int flags)
{
	bt_open_options opts = storm_options(flags);
	bt_db *db = NULL;
	long ok = 0;
	int i;

	if (bt_open(&db, loc, &opts) != BT_OK) {
		fprintf(stderr, "storm process: %s\n", bt_error_message());
		return -1;
	}
	for (i = 0; i < STORM_CALLS; i++)
		if (storm_once(db, i) == BT_OK)
			ok++;
	/* bt_close would commit too, but only a flush says whether it did. */
	if (bt_flush(db, -1) != BT_OK) {
		fprintf(stderr, "storm process flush: %s\n", bt_error_message());
		ok = -1;
	}
	bt_close(db);
	return ok;
}

/* The only ticket at @loc and its exact count, or -1 when there is not
 * exactly one ticket. */
static int64_t sole_ticket_count(bt_db *db)
{
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	int64_t count = -1;
	int n = 0, rc;

	CHECK_RC(bt_ticket_iter_new(db, NULL, &it), BT_OK);
	while (it && (rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		count = bt_ticket_occurrence_count(t);
		CHECK(bt_ticket_status(t) == BT_STATUS_NEW);
		CHECK(bt_ticket_first_occurred_at(t) <= bt_ticket_last_occurred_at(t));
		n++;
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(ticket_total(db), 1);
	return n == 1 ? count : -1;
}

static void test_exact_counts(void)
{
	const long total_threads = (long)STORM_THREADS * STORM_CALLS;
	bt_open_options opts = storm_options(0);
	pthread_t threads[STORM_THREADS];
	int pipes[STORM_PROCS][2], gate[2], i;
	pid_t pids[STORM_PROCS];
	long accepted = 0;
	char loc[1024];

	fresh("counts", loc, sizeof(loc));

	/* Threads on one shared asynchronous handle. */
	CHECK_RC(bt_open(&storm_db, loc, &opts), BT_OK);
	if (!storm_db)
		return;
	pthread_barrier_init(&storm_barrier, NULL, STORM_THREADS);
	for (i = 0; i < STORM_THREADS; i++)
		CHECK(pthread_create(&threads[i], NULL, storm_thread, NULL) == 0);
	for (i = 0; i < STORM_THREADS; i++) {
		void *ok = NULL;

		pthread_join(threads[i], &ok);
		accepted += (long)(intptr_t)ok;
	}
	pthread_barrier_destroy(&storm_barrier);
	CHECK_INT_EQ(accepted, total_threads);
	CHECK_RC(bt_flush(storm_db, -1), BT_OK);
	CHECK_INT_EQ(sole_ticket_count(storm_db), total_threads);
	bt_close(storm_db);
	storm_db = NULL;

	/* Processes, each with a handle of its own on the same location; the
	 * odd ones capture synchronously.  No thread of ours runs here, so the
	 * children fork from a single-threaded process. */
	CHECK(pipe(gate) == 0);
	for (i = 0; i < STORM_PROCS; i++) {
		CHECK(pipe(pipes[i]) == 0);
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;
			long ok;

			close(gate[1]);
			close(pipes[i][0]);
			if (read(gate[0], &c, 1) < 0)
				_exit(3);
			ok = storm_process(loc, i % 2 ? BT_OPEN_SYNC : 0);
			_exit(write(pipes[i][1], &ok, sizeof(ok)) == sizeof(ok) ? 0 : 4);
		}
		CHECK(pids[i] > 0);
		close(pipes[i][1]);
	}
	close(gate[0]);
	close(gate[1]); /* start them all at once */
	for (i = 0; i < STORM_PROCS; i++) {
		long ok = -1;
		int status = 0;

		CHECK(read(pipes[i][0], &ok, sizeof(ok)) == sizeof(ok));
		close(pipes[i][0]);
		CHECK(waitpid(pids[i], &status, 0) == pids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK_INT_EQ(ok, STORM_CALLS);
		accepted += ok;
	}
	CHECK_INT_EQ(accepted, total_threads + (long)STORM_PROCS * STORM_CALLS);

	/* A handle opened afterwards sees one ticket with every occurrence. */
	storm_db = open_loc(loc, BT_OPEN_SYNC, DAY);
	CHECK_INT_EQ(sole_ticket_count(storm_db), accepted);
	bt_close(storm_db);
	storm_db = NULL;
	backend->drop(loc);
}

/* ---- 2. landing rules ---- */

/* One call site whose argument varies: one template, one ticket. */
static void log_queue_overflow(bt_db *db, int queue)
{
	CHECK_RC(bt_log(db, BT_CRITICAL, "queue", "queue %d overflowed", queue), BT_OK);
}

static void test_landing_window(void)
{
	const char *msg = "disk full on /var/lib/app";
	char loc[1024], fp[BT_FINGERPRINT_SIZE];
	int64_t a, b, other, edge, total;
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it = NULL;
	bt_db *db;
	bt_ticket *t;

	fresh("window", loc, sizeof(loc));
	db = open_loc(loc, BT_OPEN_SYNC, MINUTE);
	fingerprint_of(db, "disk", msg, fp);
	CHECK_INT_EQ(lookup(db, fp), 0); /* nothing yet: it would open a ticket */

	/* Within the window: the same ticket. */
	a = occur(db, "disk", msg);
	CHECK(a > 0);
	advance(10 * SECOND);
	CHECK_INT_EQ(occur(db, "disk", msg), a);
	CHECK_INT_EQ(lookup(db, fp), a);
	/* Another component is another error. */
	other = occur(db, "tape", msg);
	CHECK(other > 0 && other != a);

	/* A template groups whatever its arguments. */
	total = ticket_total(db);
	log_queue_overflow(db, 1);
	log_queue_overflow(db, 2);
	log_queue_overflow(db, 3);
	CHECK_INT_EQ(ticket_total(db), total + 1);
	f.component = "queue";
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_OK);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 3);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_ITEROVER);
	bt_ticket_iter_free(it);

	/* The window's edge belongs to it: an occurrence exactly one window
	 * after the last still lands (SQLite's rule, pinned so that backends
	 * agree). */
	advance(MINUTE);
	edge = now_ms();
	CHECK_INT_EQ(occur(db, "disk", msg), a);

	/* Past the window: a new ticket; the old one stays as history. */
	advance(MINUTE + 1);
	b = occur(db, "disk", msg);
	CHECK(b > 0 && b != a && b != other);
	t = get(db, a);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 3);
	CHECK_INT_EQ(bt_ticket_last_occurred_at(t), edge);
	CHECK(bt_ticket_status(t) == BT_STATUS_NEW);
	bt_ticket_free(t);
	t = get(db, b);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 1);
	CHECK_INT_EQ(bt_ticket_first_occurred_at(t), now_ms());
	CHECK_STR_EQ(bt_ticket_fingerprint(t), fp);
	bt_ticket_free(t);
	CHECK_INT_EQ(lookup(db, fp), b);
	/* The old ticket never takes an occurrence again. */
	advance(SECOND);
	CHECK_INT_EQ(occur(db, "disk", msg), b);
	t = get(db, a);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 3);
	bt_ticket_free(t);
	CHECK_INT_EQ(ticket_total(db), total + 2);
	bt_close(db);
	backend->drop(loc);
}

static void test_landing_regression(void)
{
	const char *msg = "cache eviction storm";
	bt_update_options o = as("user:fixer");
	char loc[1024], fp[BT_FINGERPRINT_SIZE];
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it = NULL;
	int64_t r, resolved_at;
	audit_row last;
	bt_db *db;
	bt_ticket *t;

	fresh("regression", loc, sizeof(loc));
	db = open_loc(loc, BT_OPEN_SYNC, MINUTE);
	fingerprint_of(db, "cache", msg, fp);
	r = occur(db, "cache", msg);
	advance(SECOND);
	CHECK_RC(bt_ticket_resolve(db, r, "bigger cache", "abc1234", NULL, &o), BT_OK);
	resolved_at = now_ms();
	t = get(db, r);
	CHECK(bt_ticket_status(t) == BT_STATUS_RESOLVED);
	CHECK_INT_EQ(bt_ticket_resolved_at(t), resolved_at);
	bt_ticket_free(t);
	/* A resolved ticket takes its error back, whatever the window. */
	advance(2 * HOUR);
	CHECK_INT_EQ(lookup(db, fp), r);

	CHECK_INT_EQ(occur(db, "cache", msg), r);
	t = get(db, r);
	CHECK(bt_ticket_status(t) == BT_STATUS_NEW);
	CHECK_INT_EQ(bt_ticket_regression_count(t), 1);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 2);
	CHECK_INT_EQ(bt_ticket_resolved_at(t), 0); /* reopening clears it */
	CHECK_INT_EQ(bt_ticket_last_occurred_at(t), now_ms());
	bt_ticket_free(t);
	CHECK_INT_EQ(ticket_total(db), 1); /* no second ticket */
	CHECK_INT_EQ(trail_count(db, r, "regressed"), 1);
	last = trail_last(db, r);
	CHECK_STR_EQ(last.kind, "regressed");
	CHECK_STR_EQ(last.from, "resolved");
	CHECK_STR_EQ(last.to, "new");
	CHECK_INT_EQ(last.at, now_ms());

	/* Closed tickets regress the same way. */
	CHECK_RC(bt_ticket_set_status(db, r, BT_STATUS_CLOSED, &o), BT_OK);
	advance(DAY);
	CHECK_INT_EQ(occur(db, "cache", msg), r);
	t = get(db, r);
	CHECK(bt_ticket_status(t) == BT_STATUS_NEW);
	CHECK_INT_EQ(bt_ticket_regression_count(t), 2);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 3);
	bt_ticket_free(t);
	CHECK_INT_EQ(trail_count(db, r, "regressed"), 2);
	last = trail_last(db, r);
	CHECK_STR_EQ(last.kind, "regressed");
	CHECK_STR_EQ(last.from, "closed");
	CHECK_INT_EQ(ticket_total(db), 1);

	/* The regressed filter finds it. */
	f.regressed_only = 1;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_OK);
	CHECK(t && bt_ticket_id(t) == r);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_ITEROVER);
	bt_ticket_iter_free(it);
	bt_close(db);
	backend->drop(loc);
}

/* Releases are ordered by when the database first saw them. */
static void test_landing_release(void)
{
	const char *msg = "checksum mismatch in segment";
	bt_update_options o = as("user:fixer");
	char loc[1024];
	int64_t x;
	bt_db *db;
	bt_ticket *t;

	fresh("release", loc, sizeof(loc));
	db = open_loc(loc, BT_OPEN_SYNC, MINUTE);
	CHECK_RC(bt_context_set(db, BT_CONTEXT_RELEASE, "1.0"), BT_OK);
	x = occur(db, "store", msg);
	advance(SECOND);
	CHECK_RC(bt_context_set(db, BT_CONTEXT_RELEASE, "1.1"), BT_OK);
	advance(SECOND);
	CHECK_RC(bt_ticket_resolve(db, x, "fixed in 1.1", NULL, "1.1", &o), BT_OK);
	t = get(db, x);
	CHECK_STR_EQ(bt_ticket_resolved_release(t), "1.1");
	bt_ticket_free(t);

	/* From an older release: counted, not reopened. */
	advance(HOUR);
	CHECK_RC(bt_context_set(db, BT_CONTEXT_RELEASE, "1.0"), BT_OK);
	CHECK_INT_EQ(occur(db, "store", msg), x);
	t = get(db, x);
	CHECK(bt_ticket_status(t) == BT_STATUS_RESOLVED);
	CHECK_INT_EQ(bt_ticket_regression_count(t), 0);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 2);
	bt_ticket_free(t);
	CHECK_INT_EQ(trail_count(db, x, "regressed"), 0);

	/* A fix in a release nobody has run yet: every running build is
	 * older, so nothing reopens it before it ships. */
	CHECK_RC(bt_ticket_resolve(db, x, "really fixed in 2.0", NULL, "2.0", &o), BT_OK);
	advance(SECOND);
	CHECK_RC(bt_context_set(db, BT_CONTEXT_RELEASE, "1.1"), BT_OK);
	CHECK_INT_EQ(occur(db, "store", msg), x);
	t = get(db, x);
	CHECK(bt_ticket_status(t) == BT_STATUS_RESOLVED);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 3);
	bt_ticket_free(t);

	/* From the fixed release itself: a regression. */
	advance(SECOND);
	CHECK_RC(bt_context_set(db, BT_CONTEXT_RELEASE, "2.0"), BT_OK);
	advance(SECOND);
	CHECK_INT_EQ(occur(db, "store", msg), x);
	t = get(db, x);
	CHECK(bt_ticket_status(t) == BT_STATUS_NEW);
	CHECK_INT_EQ(bt_ticket_regression_count(t), 1);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 4);
	CHECK(bt_ticket_resolved_release(t) == NULL);
	bt_ticket_free(t);
	CHECK_INT_EQ(trail_count(db, x, "regressed"), 1);
	CHECK_INT_EQ(ticket_total(db), 1);
	bt_close(db);
	backend->drop(loc);
}

static void test_landing_merged(void)
{
	const char *msg = "card declined by gateway";
	bt_update_options o = as("user:triager");
	char loc[1024], fp_a[BT_FINGERPRINT_SIZE], fp_b[BT_FINGERPRINT_SIZE];
	int64_t a, b, c, d, last_a;
	bt_db *db;
	bt_ticket *t;
	int i;

	fresh("merged", loc, sizeof(loc));
	db = open_loc(loc, BT_OPEN_SYNC, MINUTE);
	fingerprint_of(db, "pay", msg, fp_a);
	fingerprint_of(db, "payments", msg, fp_b); /* the same fault, another name */
	a = occur(db, "pay", msg);
	for (i = 0; i < 2; i++)
		CHECK_INT_EQ(occur(db, "pay", msg), a);
	advance(SECOND);
	b = occur(db, "payments", msg);
	CHECK_INT_EQ(occur(db, "payments", msg), b);
	CHECK(a > 0 && b > 0 && a != b);

	CHECK_RC(bt_ticket_merge(db, b, a, &o), BT_OK);
	t = get(db, a);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 5);
	CHECK(bt_ticket_status(t) == BT_STATUS_NEW && bt_ticket_duplicate_of(t) == 0);
	bt_ticket_free(t);
	t = get(db, b);
	CHECK(bt_ticket_status(t) == BT_STATUS_CLOSED);
	CHECK_INT_EQ(bt_ticket_duplicate_of(t), a);
	bt_ticket_free(t);
	CHECK_INT_EQ(trail_count(db, a, "merged"), 1);
	CHECK_INT_EQ(trail_count(db, b, "merged_into"), 1);

	/* The duplicate's fingerprint lands on the canonical ticket. */
	CHECK_INT_EQ(lookup(db, fp_b), a);
	advance(SECOND);
	CHECK_INT_EQ(occur(db, "payments", msg), a);
	last_a = now_ms();
	t = get(db, a);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 6);
	CHECK_INT_EQ(bt_ticket_last_occurred_at(t), last_a);
	bt_ticket_free(t);
	t = get(db, b);
	CHECK(bt_ticket_status(t) == BT_STATUS_CLOSED); /* not regressed */
	CHECK_INT_EQ(bt_ticket_regression_count(t), 0);
	bt_ticket_free(t);
	CHECK_INT_EQ(ticket_total(db), 2);

	/* Loops and repeats are refused and change nothing. */
	CHECK_RC(bt_ticket_merge(db, a, a, &o), BT_EINVALID);
	CHECK_RC(bt_ticket_merge(db, a, b, &o), BT_EINVALID); /* b is a duplicate */
	CHECK_RC(bt_ticket_merge(db, b, a, &o), BT_ESTATE);
	t = get(db, a);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 6);
	CHECK_INT_EQ(bt_ticket_duplicate_of(t), 0);
	bt_ticket_free(t);

	/* A merged fingerprint obeys the canonical ticket's window: past it,
	 * the error opens a ticket of its own, and bt_dedup_lookup, which
	 * names the ticket an error "would land on now", must say so. */
	advance(MINUTE + SECOND);
	/* LIBRARY BUG, left failing on purpose until it is fixed: the SQLite
	 * backend's bt_dedup_lookup (SQL_DEDUP_LOOKUP) follows the alias
	 * without the window and dedup_active tests that capture applies
	 * (land_miss in lib/capture/landing.c), so it still names the
	 * canonical ticket here while the next capture opens a new one. */
	CHECK_INT_EQ(lookup(db, fp_b), 0);
	c = occur(db, "payments", msg);
	CHECK(c > 0 && c != a && c != b);
	t = get(db, c);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 1);
	bt_ticket_free(t);
	CHECK_INT_EQ(lookup(db, fp_b), c);
	t = get(db, a);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 6);
	CHECK_INT_EQ(bt_ticket_last_occurred_at(t), last_a);
	bt_ticket_free(t);
	/* So does the canonical ticket's own error. */
	d = occur(db, "pay", msg);
	CHECK(d > 0 && d != a && d != c);
	CHECK_INT_EQ(lookup(db, fp_a), d);
	CHECK_INT_EQ(ticket_total(db), 4);
	bt_close(db);
	backend->drop(loc);
}

/* ---- 3. claims ---- */

static int listed_as_claimed(bt_db *db, int64_t id, int claimed)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	int found = 0;

	f.claimed = claimed;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
	while (it && bt_ticket_iter_next(it, &t) == BT_OK) {
		found |= bt_ticket_id(t) == id;
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	return found;
}

/* Whether bt_ticket_pending(@agent) offers ticket @id. */
static int pending_has(bt_db *db, const char *agent, int64_t id)
{
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	int found = 0;

	CHECK_RC(bt_ticket_pending(db, agent, 0, 0, &it), BT_OK);
	while (it && bt_ticket_iter_next(it, &t) == BT_OK) {
		found |= bt_ticket_id(t) == id;
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	return found;
}

static void test_claims(void)
{
	char loc[1024], tok_a[BT_CLAIM_TOKEN_SIZE], tok_b[BT_CLAIM_TOKEN_SIZE];
	char tok_c[BT_CLAIM_TOKEN_SIZE], none[BT_CLAIM_TOKEN_SIZE];
	bt_report r = BT_REPORT_INIT;
	bt_update_options o;
	int64_t id = 0, version, expires;
	size_t events;
	audit_row last;
	bt_db *db;
	bt_ticket *t;

	fresh("claims", loc, sizeof(loc));
	db = open_loc(loc, BT_OPEN_SYNC, DAY);
	r.title = "claim me";
	r.severity = BT_SEVERITY_HIGH;
	CHECK_RC(bt_report_create(db, &r, &id, NULL), BT_OK);

	CHECK_RC(bt_ticket_claim(db, id, "agent:a", 60, tok_a), BT_OK);
	CHECK_INT_EQ(strlen(tok_a), 32);
	expires = now_ms() + 60 * SECOND;
	t = get(db, id);
	CHECK_STR_EQ(bt_ticket_claimed_by(t), "agent:a");
	CHECK_INT_EQ(bt_ticket_claimed_at(t), now_ms());
	CHECK_INT_EQ(bt_ticket_claim_expires_at(t), expires);
	CHECK_INT_EQ(bt_ticket_automation_attempts(t), 1);
	bt_ticket_free(t);
	last = trail_last(db, id);
	CHECK_STR_EQ(last.kind, "claimed");
	CHECK_STR_EQ(last.to, "agent:a");
	CHECK(listed_as_claimed(db, id, BT_CLAIMED_YES) && !listed_as_claimed(db, id, BT_CLAIMED_NO));

	/* A live lease keeps others out. */
	CHECK_RC(bt_ticket_claim(db, id, "agent:b", 60, none), BT_EBUSY);
	CHECK_STR_CONTAINS(bt_error_message(), "agent:a");
	CHECK(none[0] == '\0');
	CHECK(!pending_has(db, NULL, id) && pending_has(db, "agent:a", id));

	/* Updates with the token; a wrong token changes nothing. */
	o = as("agent:a");
	o.claim_token = tok_a;
	CHECK_RC(bt_ticket_note(db, id, "reproduced", &o), BT_OK);
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_IN_PROGRESS, &o), BT_OK);
	t = get(db, id);
	version = bt_ticket_version(t);
	bt_ticket_free(t);
	events = trail_length(db, id);
	o = as("agent:b");
	o.claim_token = "0123456789abcdef0123456789abcdef";
	CHECK_RC(bt_ticket_note(db, id, "not mine", &o), BT_ECONFLICT);
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_TRIAGED, &o), BT_ECONFLICT);
	CHECK_RC(bt_ticket_claim_renew(db, id, "0123456789abcdef0123456789abcdef", 60), BT_ECONFLICT);
	CHECK_RC(bt_ticket_claim_release(db, id, "0123456789abcdef0123456789abcdef"), BT_ECONFLICT);
	t = get(db, id);
	CHECK_INT_EQ(bt_ticket_version(t), version);
	CHECK(bt_ticket_status(t) == BT_STATUS_IN_PROGRESS);
	CHECK_STR_EQ(bt_ticket_claimed_by(t), "agent:a");
	CHECK_INT_EQ(bt_ticket_claim_expires_at(t), expires);
	bt_ticket_free(t);
	CHECK_INT_EQ(trail_length(db, id), events);

	/* Renewing extends the lease from now. */
	advance(30 * SECOND);
	CHECK_RC(bt_ticket_claim_renew(db, id, tok_a, 60), BT_OK);
	expires = now_ms() + 60 * SECOND;
	t = get(db, id);
	CHECK_INT_EQ(bt_ticket_claim_expires_at(t), expires);
	bt_ticket_free(t);
	CHECK_STR_EQ(trail_last(db, id).kind, "claim_renewed");

	/* The lease holds until its last millisecond... */
	atomic_store(&fake_now, expires - 1);
	CHECK_RC(bt_ticket_claim(db, id, "agent:b", 60, tok_b), BT_EBUSY);
	/* ...and then anyone may take it over. */
	atomic_store(&fake_now, expires);
	CHECK(listed_as_claimed(db, id, BT_CLAIMED_NO) && !listed_as_claimed(db, id, BT_CLAIMED_YES));
	CHECK(pending_has(db, NULL, id));
	o = as("agent:a");
	o.claim_token = tok_a;
	CHECK_RC(bt_ticket_note(db, id, "too late", &o), BT_ECONFLICT); /* expired */
	CHECK_RC(bt_ticket_claim(db, id, "agent:b", 60, tok_b), BT_OK);
	CHECK(strcmp(tok_a, tok_b) != 0);
	last = trail_last(db, id);
	CHECK_STR_EQ(last.kind, "claim_taken_over");
	CHECK_STR_EQ(last.from, "agent:a");
	CHECK_STR_EQ(last.to, "agent:b");
	t = get(db, id);
	CHECK_STR_EQ(bt_ticket_claimed_by(t), "agent:b");
	CHECK_INT_EQ(bt_ticket_automation_attempts(t), 2);
	bt_ticket_free(t);

	/* The old holder's token is dead for good. */
	CHECK_RC(bt_ticket_claim_renew(db, id, tok_a, 60), BT_ECONFLICT);
	CHECK_RC(bt_ticket_claim_release(db, id, tok_a), BT_ECONFLICT);
	CHECK_RC(bt_ticket_note(db, id, "still too late", &o), BT_ECONFLICT);
	o = as("agent:b");
	o.claim_token = tok_b;
	CHECK_RC(bt_ticket_assign(db, id, "agent:b", &o), BT_OK);

	/* Release: unclaimed again, once. */
	CHECK_RC(bt_ticket_claim_release(db, id, tok_b), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_claimed_by(t) == NULL && bt_ticket_claim_expires_at(t) == 0);
	bt_ticket_free(t);
	CHECK_STR_EQ(trail_last(db, id).kind, "claim_released");
	CHECK_RC(bt_ticket_claim_release(db, id, tok_b), BT_ECONFLICT);
	CHECK_RC(bt_ticket_note(db, id, "released", &o), BT_ECONFLICT);

	/* Resolving drops a claim; a resolved ticket cannot be claimed. */
	CHECK_RC(bt_ticket_claim(db, id, "agent:c", 600, tok_c), BT_OK);
	o = as("agent:c");
	o.claim_token = tok_c;
	CHECK_RC(bt_ticket_resolve(db, id, "done", NULL, NULL, &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_status(t) == BT_STATUS_RESOLVED && bt_ticket_claimed_by(t) == NULL);
	CHECK_INT_EQ(bt_ticket_automation_attempts(t), 3);
	bt_ticket_free(t);
	CHECK_INT_EQ(trail_count(db, id, "claim_released"), 2);
	CHECK_RC(bt_ticket_claim(db, id, "agent:c", 60, tok_c), BT_ESTATE);
	CHECK_RC(bt_ticket_claim(db, id + 1000, "agent:c", 60, tok_c), BT_ENOTFOUND);
	bt_close(db);
	backend->drop(loc);
}

/* ---- 4. transitions ---- */

/* README, Lifecycle: allowed[from][to], by bt_status. */
static const int allowed[7][7] = {
	/*          -  new tri inp awv res clo */
	/* -   */ { 0, 0,  0,  0,  0,  0,  0 },
	/* new */ { 0, 0,  1,  1,  0,  1,  1 },
	/* tri */ { 0, 0,  0,  1,  0,  1,  1 },
	/* inp */ { 0, 0,  1,  0,  1,  1,  1 },
	/* awv */ { 0, 0,  0,  1,  0,  1,  1 },
	/* res */ { 0, 1,  0,  0,  0,  0,  1 },
	/* clo */ { 0, 1,  0,  0,  0,  0,  0 },
};

/* Allowed moves from new to each status. */
static const bt_status route[7][2] = {
	[BT_STATUS_TRIAGED] = { BT_STATUS_TRIAGED },
	[BT_STATUS_IN_PROGRESS] = { BT_STATUS_IN_PROGRESS },
	[BT_STATUS_AWAITING_VERIFICATION] = { BT_STATUS_IN_PROGRESS, BT_STATUS_AWAITING_VERIFICATION },
	[BT_STATUS_RESOLVED] = { BT_STATUS_RESOLVED },
	[BT_STATUS_CLOSED] = { BT_STATUS_CLOSED },
};

static int64_t file_report(bt_db *db, const char *title, bt_severity severity)
{
	bt_report r = BT_REPORT_INIT;
	int64_t id = 0;

	r.title = title;
	r.severity = severity;
	CHECK_RC(bt_report_create(db, &r, &id, NULL), BT_OK);
	return id;
}

static void test_transitions(void)
{
	bt_update_options o = as("user:conformance");
	char loc[1024];
	int from, to, i;
	bt_db *db;

	fresh("transitions", loc, sizeof(loc));
	db = open_loc(loc, BT_OPEN_SYNC, DAY);
	o.note = "moving it";
	for (from = BT_STATUS_NEW; from <= BT_STATUS_CLOSED; from++) {
		for (to = BT_STATUS_NEW; to <= BT_STATUS_CLOSED; to++) {
			int64_t id = file_report(db, "mover", BT_SEVERITY_LOW), version, resolved_at;
			size_t events;
			bt_ticket *t;
			int rc;

			for (i = 0; i < 2 && route[from][i]; i++)
				CHECK_RC(bt_ticket_set_status(db, id, route[from][i], &o), BT_OK);
			advance(SECOND);
			t = get(db, id);
			CHECK(bt_ticket_status(t) == (bt_status)from);
			version = bt_ticket_version(t);
			resolved_at = bt_ticket_resolved_at(t);
			bt_ticket_free(t);
			events = trail_length(db, id);

			rc = bt_ticket_set_status(db, id, (bt_status)to, &o);
			t = get(db, id);
			if (allowed[from][to]) {
				audit_row last = trail_last(db, id);

				if (rc != BT_OK)
					fprintf(stderr, "refused %s -> %s: %s\n", bt_status_name((bt_status)from),
						bt_status_name((bt_status)to), bt_error_message());
				CHECK_RC(rc, BT_OK);
				CHECK(bt_ticket_status(t) == (bt_status)to);
				CHECK_INT_EQ(bt_ticket_version(t), version + 1);
				CHECK_INT_EQ(bt_ticket_updated_at(t), now_ms());
				/* Resolving stamps resolved_at; reopening clears it. */
				if (to == BT_STATUS_RESOLVED)
					CHECK_INT_EQ(bt_ticket_resolved_at(t), now_ms());
				else if (to == BT_STATUS_CLOSED)
					CHECK_INT_EQ(bt_ticket_resolved_at(t), resolved_at);
				else
					CHECK_INT_EQ(bt_ticket_resolved_at(t), 0);
				/* One event for the one changed field. */
				CHECK_INT_EQ(trail_length(db, id), events + 1);
				CHECK_STR_EQ(last.kind, "status_changed");
				CHECK_STR_EQ(last.field, "status");
				CHECK_STR_EQ(last.from, bt_status_name((bt_status)from));
				CHECK_STR_EQ(last.to, bt_status_name((bt_status)to));
				CHECK_STR_EQ(last.actor, "user:conformance");
				CHECK_STR_EQ(last.note, "moving it");
				CHECK_INT_EQ(last.at, now_ms());
			} else {
				if (rc != BT_ESTATE)
					fprintf(stderr, "allowed %s -> %s\n", bt_status_name((bt_status)from),
						bt_status_name((bt_status)to));
				CHECK_RC(rc, BT_ESTATE);
				CHECK_STR_CONTAINS(bt_error_message(), bt_status_name((bt_status)from));
				CHECK_STR_CONTAINS(bt_error_message(), bt_status_name((bt_status)to));
				CHECK(bt_ticket_status(t) == (bt_status)from);
				CHECK_INT_EQ(bt_ticket_version(t), version);
				CHECK_INT_EQ(trail_length(db, id), events);
			}
			bt_ticket_free(t);
		}
	}
	CHECK_RC(bt_ticket_set_status(db, 1, (bt_status)9, &o), BT_EINVALID);
	CHECK_RC(bt_ticket_set_status(db, 100000, BT_STATUS_TRIAGED, &o), BT_ENOTFOUND);
	bt_close(db);
	backend->drop(loc);
}

/* Optimistic locking, and the trail of the other kinds of change. */
static void test_versions_and_trail(void)
{
	const char *msg = "replica lag over budget";
	bt_update_options o = as("user:lead");
	char loc[1024];
	bt_audit_iter *ai = NULL;
	audit_row rows[32];
	int64_t id, v;
	size_t events, n;
	bt_db *db;
	bt_ticket *t;

	fresh("versions", loc, sizeof(loc));
	db = open_loc(loc, BT_OPEN_SYNC, DAY);
	id = occur(db, "replica", msg);
	t = get(db, id);
	v = bt_ticket_version(t);
	bt_ticket_free(t);
	n = read_trail(db, id, rows, 32);
	CHECK(n == 1 && strcmp(rows[0].kind, "created") == 0 && strcmp(rows[0].to, "new") == 0);

	/* expected_version: a stale one conflicts and changes nothing. */
	o.expected_version = v;
	CHECK_RC(bt_ticket_assign(db, id, "alice", &o), BT_OK);
	CHECK_RC(bt_ticket_assign(db, id, "bob", &o), BT_ECONFLICT);
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_TRIAGED, &o), BT_ECONFLICT);
	t = get(db, id);
	CHECK_INT_EQ(bt_ticket_version(t), v + 1);
	CHECK_STR_EQ(bt_ticket_assignee(t), "alice");
	CHECK(bt_ticket_status(t) == BT_STATUS_NEW);
	bt_ticket_free(t);
	CHECK_INT_EQ(trail_length(db, id), 2);
	o.expected_version = v + 1;
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_TRIAGED, &o), BT_OK);
	o.expected_version = 0;

	/* A change that changes nothing: no version, no event. */
	events = trail_length(db, id);
	CHECK_RC(bt_ticket_assign(db, id, "alice", &o), BT_OK);
	t = get(db, id);
	CHECK_INT_EQ(bt_ticket_version(t), v + 2);
	bt_ticket_free(t);
	CHECK_INT_EQ(trail_length(db, id), events);

	/* Occurrences do not bump the version. */
	CHECK_INT_EQ(occur(db, "replica", msg), id);
	CHECK_INT_EQ(occur(db, "replica", msg), id);
	t = get(db, id);
	CHECK_INT_EQ(bt_ticket_version(t), v + 2);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 3);
	bt_ticket_free(t);

	/* Each change writes its events, in order, with its actor and note. */
	advance(SECOND);
	o.note = "paging the DB team";
	CHECK_RC(bt_ticket_set_severity(db, id, BT_SEVERITY_LOW, &o), BT_OK);
	CHECK_RC(bt_ticket_set_priority(db, id, BT_PRIORITY_URGENT, &o), BT_OK);
	CHECK_RC(bt_ticket_set_category(db, id, "database", &o), BT_OK);
	CHECK_RC(bt_ticket_note(db, id, "looking at the replica", &o), BT_OK);
	t = get(db, id);
	CHECK_INT_EQ(bt_ticket_version(t), v + 5); /* a note changes no field */
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_resolve(db, id, "raised the WAL sender limit", "9f2c1e7", "2.3", &o), BT_OK);
	n = read_trail(db, id, rows, 32);
	CHECK_INT_EQ(n, events + 7);
	if (n == events + 7) {
		audit_row *r = &rows[events];

		CHECK_STR_EQ(r[0].kind, "field_changed");
		CHECK_STR_EQ(r[0].field, "severity");
		CHECK_STR_EQ(r[0].from, "critical");
		CHECK_STR_EQ(r[0].to, "low");
		CHECK_STR_EQ(r[0].note, "paging the DB team");
		CHECK_STR_EQ(r[1].field, "priority");
		CHECK_STR_EQ(r[1].to, "urgent");
		CHECK_STR_EQ(r[2].field, "category");
		CHECK_STR_EQ(r[2].from, "");
		CHECK_STR_EQ(r[2].to, "database");
		CHECK_STR_EQ(r[3].kind, "note");
		CHECK_STR_EQ(r[3].note, "looking at the replica");
		CHECK_STR_EQ(r[4].kind, "resolved");
		CHECK_STR_EQ(r[4].from, "triaged");
		CHECK_STR_EQ(r[4].to, "resolved");
		CHECK_STR_EQ(r[4].note, "raised the WAL sender limit");
		CHECK_STR_EQ(r[5].field, "resolution_commit");
		CHECK_STR_EQ(r[5].to, "9f2c1e7");
		CHECK_STR_EQ(r[6].field, "resolved_release");
		CHECK_STR_EQ(r[6].to, "2.3");
		for (n = 0; n < 7; n++) {
			CHECK_STR_EQ(r[n].actor, "user:lead");
			CHECK_INT_EQ(r[n].at, now_ms());
		}
	}
	t = get(db, id);
	CHECK_INT_EQ(bt_ticket_version(t), v + 6);
	CHECK(bt_ticket_severity(t) == BT_SEVERITY_LOW && bt_ticket_priority(t) == BT_PRIORITY_URGENT);
	CHECK_STR_EQ(bt_ticket_category(t), "database");
	CHECK_STR_EQ(bt_ticket_resolution_notes(t), "raised the WAL sender limit");
	CHECK_STR_EQ(bt_ticket_resolution_commit(t), "9f2c1e7");
	CHECK_STR_EQ(bt_ticket_resolved_release(t), "2.3");
	CHECK_STR_EQ(bt_ticket_resolved_by(t), "user:lead");
	bt_ticket_free(t);
	CHECK_RC(bt_audit_iter_new(db, id + 1000, &ai), BT_ENOTFOUND);
	CHECK(ai == NULL);
	bt_close(db);
	backend->drop(loc);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : getenv("BT_CONFORMANCE_BACKEND");
	char why[256] = "";

	if (!name || !*name)
		name = "sqlite";
	backend = conf_backend_find(name);
	if (!backend) {
		fprintf(stderr, "unknown backend \"%s\" (the suite knows: %s)\n", name, conf_backend_names());
		return 2;
	}
	if (!backend->available(why, sizeof(why))) {
		printf("SKIP: the %s backend cannot run here: %s\n", name, why);
		return 77;
	}
	fprintf(stderr, "store conformance on %s\n", backend->name);
	RUN(test_exact_counts);
	RUN(test_landing_window);
	RUN(test_landing_regression);
	RUN(test_landing_release);
	RUN(test_landing_merged);
	RUN(test_claims);
	RUN(test_transitions);
	RUN(test_versions_and_trail);
	return check_finish();
}
