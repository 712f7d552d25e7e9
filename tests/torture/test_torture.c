/*
 * test_torture.c - the kill -9 torture test (issue 8).
 *
 * Round after round, synchronous and asynchronous writer processes and
 * `bugtrack merge` / `bugtrack purge` processes work on one database and
 * are SIGKILLed at random moments, some in the middle of a commit.  After
 * every round the database is reopened and checked, then the next round
 * goes on with the same file, so any damage would accumulate.  One round in
 * FRESH_EVERY runs on a brand-new file instead, so that kills also land
 * inside bt_open's migrations (with `bugtrack migrate up` racing them).
 * A round's clock starts once every writer has opened the database, except
 * in "early" rounds, which kill them while they start.
 *
 * Invariants, checked after every round (check_db):
 *  I1  bt_open of the database succeeds, the schema is current, and a
 *      capture on it returns BT_OK: no stale lock, no hang (every wait is
 *      bounded: the busy timeout, the reaping deadline, the watchdog).
 *      Every writer's own bt_open, beside the others, succeeds within
 *      OPEN_LIMIT_MS.
 *  I2  the crash spool that a writer's handler created is gone after that
 *      bt_open: no process is alive, so nothing may keep it.
 *  I3  PRAGMA integrity_check says "ok" and foreign_key_check finds nothing.
 *  I4  no two dedup-active tickets share a fingerprint; in a round whose
 *      writers all use the 24 h window, no fingerprint gets more than one
 *      new ticket (a second one would be a duplicate: with that window only
 *      a merge can retire a fingerprint's ticket, which one new ticket then
 *      replaces); a merged ticket (duplicate_of set) is closed and inactive.
 *  I5  counts, per merge family (below) and per round:
 *        acknowledged <= stored - stored before the round <= attempted
 *      stored: the sum of occurrence_count over the family's tickets that
 *      are neither merged away (duplicate_of) nor closed.  A merge adds the
 *      duplicate's count to its canonical ticket and closes the duplicate,
 *      so each occurrence is counted once, on a live ticket; purge removes
 *      only closed tickets (merged duplicates: their counts live on) and
 *      old log rows, never an occurrence.  Nothing in this test closes a
 *      ticket otherwise.
 *      acknowledged: sync calls that returned BT_OK plus async calls
 *      accepted before a bt_flush that returned BT_OK, in this round, read
 *      from the writers' ack files.
 *      attempted: acknowledged sync calls, plus at most one call per sync
 *      writer that was in flight when it was killed (a failed call must
 *      store nothing), plus every async call started.
 *      Round by round, not cumulative: the slack between the bounds would
 *      otherwise grow with every round and soon hide a lost occurrence.
 *      The parent's own probe must grow by exactly its one capture.
 *  Merge families: writer fingerprints 0..5 are merged only with tickets of
 *  their own fingerprint, so each is checked on its own; 6 and 7 are also
 *  merged into each other (the alias path), so they are checked as a pair.
 *  I6  every child died by our SIGKILL or exited as a CLI may (0; 4 for
 *      busy or conflict; 3 for purge on a file not created yet); writers
 *      saw no error but BT_EBUSY; the ack files are well-formed.
 *
 * Children are spawned programs - this binary in writer mode, or the CLI -
 * not bare forks: the parent has used SQLite for its checks, and SQLite's
 * per-process lock bookkeeping must not be inherited (handles do not cross
 * fork); a fresh exec is also what a real service is, and gives the
 * sanitizers a clean process.  posix_spawn rather than fork + exec: see
 * spawn().
 *
 * Usage: test_torture BUGTRACK_EXE
 * Environment: BT_TORTURE_SEED (the PRNG seed; printed), BT_TORTURE_ROUNDS.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"

#define DEFAULT_ROUNDS 800       /* about 65 s here; 90 s under ASan */
#define FRESH_EVERY 10           /* every 10th round runs on a new file */
#define NSITES 8                 /* the writers' fingerprints */
#define PROBE NSITES             /* the parent's own fingerprint */
#define NFP (NSITES + 1)
#define ASYNC_FIRST_SITE 2       /* sites 0 and 1 are the sync writers' alone */
#define ASYNC_BURST_MAX 200
#define LOG_ROWS 10              /* small: the sample pruning runs often */
#define DAY_MS ((int64_t)24 * 3600 * 1000)
#define WRITERS 3                /* 2 sync, 1 async */
#define MAX_CHILDREN 8           /* the writers, 2 merges, purge, migrate */
#define READY_FD 3               /* a writer says "opened" here */
#define READY_TIMEOUT_MS 20000   /* bt_open in a writer: includes ASan start-up */
#define REAP_TIMEOUT_MS 10000
#define WATCHDOG_S 120
#define STR_(x) #x
#define STR(x) STR_(x)
/* bt_open takes no write lock unless it migrates: a few ms, tens under the
 * sanitizers.  2 s is far above any fair wait, and below the 5 s busy
 * timeout that a starved lock wait ends with. */
#define OPEN_LIMIT_MS 2000

/* ---- what the writers capture ---- */

#define SITE_FUNCTION "torture_site"

/* Sites 0..5 and the probe go through bt_log_at (whose format is the
 * template), 6 and 7 through bt_log_event with an explicit fingerprint.
 * Only the sync writers use sites 0 and 1: there the bounds of I5 differ by
 * at most the calls in flight at the kills.  The others see both kinds. */
static const char *const SITE_FMT[NFP] = {
	"torture: open of %s failed after %ld tries",
	"torture: write to %s returned a short count at %ld",
	"torture: lock on %s timed out after %ld ms",
	"torture: checksum of %s differs in block %ld",
	"torture: peer %s reset the connection after %ld bytes",
	"torture: queue %s overflowed at %ld items",
	NULL,
	NULL,
	"torture: parent probe on %s after round %ld",
};
static const char *const SITE_EXPLICIT[NFP] = {
	[6] = "torture-explicit-six",
	[7] = "torture-explicit-seven",
};
/* Tickets are merged only within a family (see I5). */
static const int FAMILY[NFP] = { 0, 1, 2, 3, 4, 5, 6, 6, 8 };

static int capture_site(bt_db *db, int site, long n)
{
	bt_event ev = BT_EVENT_INIT;
	char msg[96];

	if (SITE_FMT[site])
		return bt_log_at(db, BT_CRITICAL, "torture", __FILE__, __LINE__, SITE_FUNCTION,
				 SITE_FMT[site], "db", n);
	snprintf(msg, sizeof(msg), "torture: explicit site %d, call %ld", site, n);
	ev.level = BT_CRITICAL;
	ev.component = "torture";
	ev.message = msg;
	ev.fingerprint = SITE_EXPLICIT[site];
	return bt_log_event(db, &ev, NULL);
}

/* The fingerprint capture_site() gives @site, as the library computes it. */
static int site_fingerprint(int site, char out[BT_FINGERPRINT_SIZE])
{
	bt_event ev = BT_EVENT_INIT;

	ev.level = BT_CRITICAL;
	ev.component = "torture";
	ev.message = "x";
	if (SITE_FMT[site]) {
		ev.message_template = SITE_FMT[site];
		ev.function = SITE_FUNCTION;
	} else {
		ev.fingerprint = SITE_EXPLICIT[site];
	}
	return bt_fingerprint(NULL, &ev, out);
}

/* ---- small helpers ---- */

/* splitmix64: tiny, and the same sequence everywhere for one seed. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int64_t rng_below(uint64_t *s, int64_t n)
{
	return n > 0 ? (int64_t)(rng_next(s) % (uint64_t)n) : 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_until_ms(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000), (long)(t % 1000) * 1000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* One record, one write(): a kill leaves at most a partial last record,
 * which the reader ignores. */
static void put_record(int fd, const char *fmt, ...) BT_PRINTF(2, 3);
static void put_record(int fd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, buf, (size_t)n) != n)
		_exit(6);
}

static void put_counts(int fd, char tag, const int64_t c[NSITES])
{
	put_record(fd, "%c %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
		   " %" PRId64 " %" PRId64 "\n", tag, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
}

/* ---- the children: writers ---- */

#define CHILD_CRASH_HANDLER 1u
#define CHILD_SYNC_FULL 2u

#define EXIT_CHILD_USAGE 2
#define EXIT_CHILD_OPEN 3

/* Opens, and records "O<ms>": how long bt_open took (see I1). */
static bt_db *child_open(const char *path, int64_t window, int interval, unsigned flags, int fd)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int64_t t0;
	bt_db *db;
	int rc;

	o.dedup_window_ms = window;
	o.log_rows_per_ticket = LOG_ROWS;
	if (interval > 0) {
		o.async_flush_interval_ms = interval;
	} else {
		o.flags |= BT_OPEN_SYNC; /* acknowledged = committed (I5) */
	}
	if (flags & CHILD_SYNC_FULL)
		o.flags |= BT_OPEN_DURABLE;
	t0 = mono_ms();
	rc = bt_open(&db, path, &o);
	put_record(fd, "O%" PRId64 "\n", mono_ms() - t0);
	if (rc != BT_OK) {
		fprintf(stderr, "writer: bt_open returned %d: %s\n", rc, bt_error_message());
		exit(EXIT_CHILD_OPEN);
	}
	/* A crash handler makes a spool next to the database, which the next
	 * bt_open must ingest and remove even though we die by SIGKILL. */
	if ((flags & CHILD_CRASH_HANDLER) && (rc = bt_crash_handler_install(db, NULL)) != BT_OK) {
		fprintf(stderr, "writer: bt_crash_handler_install returned %d: %s\n", rc,
			bt_error_message());
		exit(EXIT_CHILD_OPEN);
	}
	return db;
}

/* A line that is stored without a ticket: something for purge to remove. */
static void maybe_noise(bt_db *db, uint64_t *rng, long n)
{
	if (rng_below(rng, 64) == 0)
		bt_log_at(db, BT_ERROR, "torture-noise", __FILE__, __LINE__, "noise",
			  "torture: noise line %ld", n);
}

/* Records, after child_open's "O<ms>": "I<site>" before a call, then
 * "A<site>" when it returned BT_OK or "E<site> <rc>" when it failed.
 * Never returns: we are killed. */
static void sync_writer(bt_db *db, int fd, uint64_t rng)
{
	for (long n = 0;; n++) {
		int site = (int)rng_below(&rng, NSITES), rc;

		maybe_noise(db, &rng, n);
		put_record(fd, "I%d\n", site);
		rc = capture_site(db, site, n);
		if (rc == BT_OK)
			put_record(fd, "A%d\n", site);
		else
			put_record(fd, "E%d %d\n", site, rc);
	}
}

/* Records, after "O<ms>", cumulative per site: "I c0..c7" the calls made
 * once the next burst is done, written before it starts; "F c0..c7" the
 * calls accepted before a bt_flush that returned BT_OK.  "E<site> <rc>" for
 * an error other than a drop, "X <rc>" for a failed flush. */
static void async_writer(bt_db *db, int fd, uint64_t rng)
{
	int64_t planned[NSITES] = { 0 }, accepted[NSITES] = { 0 };
	unsigned char burst[ASYNC_BURST_MAX];

	for (long n = 0;;) {
		int len = 1 + (int)rng_below(&rng, ASYNC_BURST_MAX), rc;

		for (int k = 0; k < len; k++) {
			int site = ASYNC_FIRST_SITE + (int)rng_below(&rng, NSITES - ASYNC_FIRST_SITE);

			burst[k] = (unsigned char)site;
			planned[burst[k]]++;
		}
		put_counts(fd, 'I', planned);
		for (int k = 0; k < len; k++, n++) {
			maybe_noise(db, &rng, n);
			rc = capture_site(db, burst[k], n);
			if (rc == BT_OK)
				accepted[burst[k]]++;
			else if (rc != BT_EBUSY) /* BT_EBUSY: dropped, not acknowledged */
				put_record(fd, "E%d %d\n", burst[k], rc);
		}
		/* Pauses let the writer thread commit on its own interval too. */
		if (rng_below(&rng, 4) == 0)
			sleep_ms((int)rng_below(&rng, 4));
		if (rng_below(&rng, 3) == 0) {
			rc = bt_flush(db, 30000);
			if (rc == BT_OK)
				put_counts(fd, 'F', accepted);
			else
				put_record(fd, "X %d\n", rc);
		}
	}
}

/* argv: --writer sync|async DB ACKFILE SEED WINDOW_MS INTERVAL_MS FLAGS */
static int writer_main(int argc, char **argv)
{
	int async, fd, interval;
	bt_db *db;

	if (argc != 9)
		return EXIT_CHILD_USAGE;
	async = strcmp(argv[2], "async") == 0;
	interval = async ? atoi(argv[7]) : 0;
	fd = open(argv[4], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(argv[4]);
		return EXIT_CHILD_USAGE;
	}
	db = child_open(argv[3], strtoll(argv[6], NULL, 10), async ? (interval > 0 ? interval : 1) : 0,
			(unsigned)atoi(argv[8]), fd);
	if (write(READY_FD, "r", 1) == 1)
		close(READY_FD);
	if (async)
		async_writer(db, fd, strtoull(argv[5], NULL, 10));
	else
		sync_writer(db, fd, strtoull(argv[5], NULL, 10));
	return 0; /* not reached */
}

/* ---- the parent: processes of a round ---- */

enum { K_SYNC, K_ASYNC, K_MERGE, K_PURGE, K_MIGRATE };
static const char *const KIND_NAME[] = {
	"sync writer", "async writer", "bugtrack merge", "bugtrack purge", "bugtrack migrate up",
};

typedef struct child {
	int kind;
	pid_t pid;
	int64_t start_at, kill_at;  /* ms after the round began */
	int started, signalled, reaped, status;
	int fresh;                  /* purge on a file that may not exist yet */
	char ack[512], log[512];
	char arg[10][512];
	char *argv[12];
	char now_env[32];           /* BUGTRACK_NOW_MS for purge, else "" */
} child;

/* Per database: this round's bounds of I5 by site, what was stored by
 * family after the previous round, and the newest ticket id then. */
typedef struct tally {
	int64_t lower[NFP], upper[NFP];
	int64_t stored[NFP];
	int64_t max_id;
} tally;

typedef struct torture {
	const char *self, *cli, *dir;
	uint64_t seed, rng, pick_rng;
	int rounds, round;
	char fp[NFP][BT_FINGERPRINT_SIZE];
	/* what happened, for the summary */
	int64_t processes, killed, cli_exits, cli_busy, merges, purges, sync_busy;
	int64_t acked_sync, flushed_async, fresh_rounds;
	int64_t cli_startup_ms;     /* how long `bugtrack --version` takes */
	int64_t slowest_open_ms;    /* a writer's bt_open */
	/* sync calls a kill interrupted on sites 0 and 1, and of those, how
	 * many had committed: proof that kills land inside captures */
	int64_t inflight, inflight_committed;
} torture;

/* Failures name the round and the seed, so that they can be replayed. */
static torture *current;

static void fail(const char *fmt, ...) BT_PRINTF(1, 2);
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "torture: FAILED in round %d (BT_TORTURE_SEED=%" PRIu64 "): ",
		current->round, current->seed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	check_failures++;
}

/* ---- the watchdog: a hang anywhere fails the test with where it was ---- */

static const char *volatile watchdog_phase = "starting";
static char watchdog_where[128];
static volatile pid_t watchdog_pids[MAX_CHILDREN];

static void write_str(const char *s)
{
	ssize_t ignored = write(2, s, strlen(s));

	(void)ignored;
}

static void on_watchdog(int sig)
{
	(void)sig;
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (watchdog_pids[i] > 0)
			kill(watchdog_pids[i], SIGKILL);
	write_str("torture: FAILED: no progress for " STR(WATCHDOG_S) " s while ");
	write_str((const char *)watchdog_phase);
	write_str(watchdog_where);
	write_str("\n");
	_exit(1);
}

static void phase(const char *what)
{
	watchdog_phase = what;
}

/* ---- spawning and killing ---- */

static void set_args(child *c, int n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		snprintf(c->arg[i], sizeof(c->arg[i]), "%s", va_arg(ap, const char *));
		c->argv[i] = c->arg[i];
	}
	va_end(ap);
	c->argv[n] = NULL;
}

/* The environment of a child: ours, with BUGTRACK_NOW_MS set for a purge
 * that must see every ticket as old. */
static char **child_env(const child *c, char *now_var, size_t size)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "BUGTRACK_NOW_MS=", 16) != 0)
			env[k++] = environ[i];
	if (c->now_env[0]) {
		snprintf(now_var, size, "BUGTRACK_NOW_MS=%s", c->now_env);
		env[k++] = now_var;
	}
	env[k] = NULL;
	return env;
}

/* posix_spawn, not fork: it does not copy the parent's page tables, which
 * under AddressSanitizer (terabytes of shadow mappings) costs more than the
 * round itself.  A writer gets the write end of @ready as fd 3. */
static void spawn(child *c, int slot, int ready)
{
	posix_spawn_file_actions_t fa;
	char now_var[64], **env = child_env(c, now_var, sizeof(now_var));
	pid_t pid;
	int rc;

	if (!env) {
		fail("out of memory");
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, c->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (c->kind == K_SYNC || c->kind == K_ASYNC)
		posix_spawn_file_actions_adddup2(&fa, ready, READY_FD);
	rc = posix_spawn(&pid, c->argv[0], &fa, NULL, c->argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (rc != 0) {
		fail("posix_spawn %s: %s", c->argv[0], strerror(rc));
		return;
	}
	c->pid = pid;
	c->started = 1;
	watchdog_pids[slot] = pid;
	current->processes++;
}

/* Reap @c if it has ended; it is then never signalled (its pid is free). */
static int reap_one(child *c, int slot)
{
	if (c->reaped || !c->started || waitpid(c->pid, &c->status, WNOHANG) != c->pid)
		return c->reaped;
	c->reaped = c->signalled = 1;
	watchdog_pids[slot] = 0;
	return 1;
}

/* Wait until every writer has opened the database (one byte each on
 * @ready) or ended; a writer stuck in bt_open is a failure. */
static void wait_ready(child *cs, int n, int writers, int ready)
{
	int64_t deadline = mono_ms() + READY_TIMEOUT_MS;
	int got = 0;

	while (got < writers) {
		struct pollfd pfd = { ready, POLLIN, 0 };
		char buf[16];
		int ended = 0;

		if (poll(&pfd, 1, 1) > 0) {
			ssize_t r = read(ready, buf, sizeof(buf));

			got += r > 0 ? (int)r : 0;
		}
		for (int i = 0; i < n; i++)
			if ((cs[i].kind == K_SYNC || cs[i].kind == K_ASYNC) && reap_one(&cs[i], i))
				ended++;
		if (ended && got + ended >= writers)
			return; /* judge_exits() reports why it ended */
		if (mono_ms() > deadline) {
			fail("%d of %d writers had not opened the database after %d ms", writers - got,
			     writers, READY_TIMEOUT_MS);
			return;
		}
	}
}

/* Run the schedule, in ms after @t0: start each process at its time,
 * SIGKILL it at its time.  A CLI that finished first is a zombie until
 * reaped, so its pid cannot have been reused: the kill does nothing. */
static void run_schedule(child *cs, int n, int64_t t0, int ready)
{
	for (;;) {
		int64_t next = INT64_MAX;
		int idx = -1;

		for (int i = 0; i < n; i++) {
			int64_t at = !cs[i].started ? cs[i].start_at : !cs[i].signalled ? cs[i].kill_at
				: INT64_MAX;

			if (at < next) {
				next = at;
				idx = i;
			}
		}
		if (idx < 0)
			return;
		sleep_until_ms(t0 + next);
		if (!cs[idx].started) {
			spawn(&cs[idx], idx, ready);
			if (!cs[idx].started)
				cs[idx].signalled = cs[idx].reaped = 1;
		} else {
			kill(cs[idx].pid, SIGKILL);
			cs[idx].signalled = 1;
		}
	}
}

static void show_log(const child *c)
{
	char buf[2048];
	long n = check_read_file(c->log, buf, sizeof(buf) - 1);

	if (n > 0) {
		buf[n] = '\0';
		fprintf(stderr, "torture:   its stderr: %s%s", buf, buf[n - 1] == '\n' ? "" : "\n");
	}
}

/* Wait for every process, but never forever. */
static void reap(child *cs, int n)
{
	int64_t deadline = mono_ms() + REAP_TIMEOUT_MS;
	int left = 0;

	for (int i = 0; i < n; i++)
		left += !cs[i].reaped;
	while (left > 0) {
		left = 0;
		for (int i = 0; i < n; i++)
			left += !reap_one(&cs[i], i);
		if (left > 0 && mono_ms() > deadline) {
			/* Kill again, so that a failing run leaves nothing behind. */
			for (int i = 0; i < n; i++) {
				if (cs[i].reaped)
					continue;
				fail("%s (pid %d) did not die within %d ms of SIGKILL",
				     KIND_NAME[cs[i].kind], (int)cs[i].pid, REAP_TIMEOUT_MS);
				kill(cs[i].pid, SIGKILL);
			}
			sleep_ms(100);
			for (int i = 0; i < n; i++)
				reap_one(&cs[i], i);
			return;
		}
		if (left > 0)
			sleep_ms(1);
	}
}

/* I6: how each process ended. */
static void judge_exits(torture *t, child *cs, int n)
{
	for (int i = 0; i < n; i++) {
		child *c = &cs[i];
		int code;

		if (!c->reaped || !c->started)
			continue;
		if (WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGKILL) {
			t->killed++;
			continue;
		}
		if (WIFSIGNALED(c->status)) {
			fail("%s died by signal %d", KIND_NAME[c->kind], WTERMSIG(c->status));
			show_log(c);
			continue;
		}
		code = WEXITSTATUS(c->status);
		if (c->kind == K_SYNC || c->kind == K_ASYNC) {
			fail("%s exited with %d instead of running until killed", KIND_NAME[c->kind], code);
			show_log(c);
			continue;
		}
		t->cli_exits++;
		if (code == 0) {
			t->merges += c->kind == K_MERGE;
			t->purges += c->kind == K_PURGE;
		} else if (code == 4) {
			t->cli_busy++;
		} else if (!(code == 3 && c->kind == K_PURGE && c->fresh)) {
			fail("%s exited with %d", KIND_NAME[c->kind], code);
			show_log(c);
		}
	}
}

/* ---- reading the ack files ---- */

static char *slurp(const char *path, size_t *len_out)
{
	struct stat st;
	char *buf;
	long n;

	*len_out = 0;
	if (stat(path, &st) != 0)
		return NULL; /* killed before it opened its file */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	n = check_read_file(path, buf, (size_t)st.st_size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len_out = (size_t)n;
	return buf;
}

static int parse_counts(const char *p, int64_t out[NSITES])
{
	char *end;

	for (int i = 0; i < NSITES; i++) {
		out[i] = strtoll(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	return *p == '\n' ? 0 : -1;
}

/* The "O<ms>" record that opens a writer's file (I1). */
static void check_open_time(torture *t, const child *c, const char *rec)
{
	int64_t ms = strtoll(rec + 1, NULL, 10);

	if (ms > t->slowest_open_ms)
		t->slowest_open_ms = ms;
	if (ms > OPEN_LIMIT_MS)
		fail("%s: bt_open took %" PRId64 " ms (limit %d ms)", KIND_NAME[c->kind], ms,
		     OPEN_LIMIT_MS);
}

/* A sync writer's file: I then A or E, alternating; the last I may be
 * unanswered (the call in flight when the kill came). */
static void read_sync_acks(torture *t, const child *c, tally *ty)
{
	size_t len;
	char *buf = slurp(c->ack, &len), *p, *nl;
	int pending = -1;

	for (p = buf; p && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		int site = (int)strtol(p + 1, NULL, 10), rc = 0;

		if (*p == 'O' && p == buf) {
			check_open_time(t, c, p);
			continue;
		}
		if (site < 0 || site >= NSITES || (*p != 'I' && pending != site) ||
		    (*p == 'I' && pending >= 0) || (*p != 'I' && *p != 'A' && *p != 'E')) {
			fail("ack file %s: bad record at byte %zu: %.20s", c->ack, (size_t)(p - buf), p);
			break;
		}
		if (*p == 'I') {
			pending = site;
			continue;
		}
		pending = -1;
		if (*p == 'A') {
			ty->lower[site]++;
			ty->upper[site]++;
			t->acked_sync++;
			continue;
		}
		rc = (int)strtol(strchr(p, ' ') ? strchr(p, ' ') : p, NULL, 10);
		if (rc == BT_EBUSY) {
			t->sync_busy++;
		} else {
			fail("sync writer: capture returned %d (%s)", rc, bt_strerror(rc));
			show_log(c);
		}
	}
	if (pending >= 0)
		ty->upper[pending]++;
	t->inflight += pending >= 0 && pending < ASYNC_FIRST_SITE;
	free(buf);
}

/* An async writer's file: the last I bounds what it started, the last F
 * is what it knows to be committed. */
static void read_async_acks(torture *t, const child *c, tally *ty)
{
	int64_t planned[NSITES] = { 0 }, flushed[NSITES] = { 0 }, v[NSITES];
	size_t len;
	char *buf = slurp(c->ack, &len), *p, *nl;

	for (p = buf; p && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (*p == 'O' && p == buf) {
			check_open_time(t, c, p);
		} else if (*p == 'I' && parse_counts(p + 1, v) == 0) {
			memcpy(planned, v, sizeof(v));
		} else if (*p == 'F' && parse_counts(p + 1, v) == 0) {
			for (int i = 0; i < NSITES; i++)
				if (v[i] > planned[i] || v[i] < flushed[i])
					fail("ack file %s: flushed %" PRId64 " of site %d, beyond %" PRId64
					     " started or below %" PRId64 " flushed before", c->ack, v[i], i,
					     planned[i], flushed[i]);
			memcpy(flushed, v, sizeof(v));
		} else if (*p == 'E' || *p == 'X') {
			fail("async writer: %s returned an error: %.40s", *p == 'E' ? "capture" : "bt_flush", p);
			show_log(c);
		} else {
			fail("ack file %s: bad record at byte %zu: %.20s", c->ack, (size_t)(p - buf), p);
			break;
		}
	}
	for (int i = 0; i < NSITES; i++) {
		ty->lower[i] += flushed[i];
		ty->upper[i] += planned[i];
		t->flushed_async += flushed[i];
	}
	free(buf);
}

/* ---- checks through SQLite itself ---- */

static sqlite3 *sql_open(const char *path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);

	if (rc != SQLITE_OK) {
		fail("sqlite3_open_v2(%s): %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static sqlite3_stmt *sql_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail("preparing \"%s\": %s", sql, sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

/* The index of a stored fingerprint, or -1 for one no site makes. */
static int site_of(const torture *t, const unsigned char *fp)
{
	for (int i = 0; fp && i < NFP; i++)
		if (strcmp((const char *)fp, t->fp[i]) == 0)
			return i;
	return -1;
}

/* I3 */
static void check_integrity(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rows = 0, rc;

	phase("running PRAGMA integrity_check");
	st = sql_prepare(db, "PRAGMA integrity_check");
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);

		if (rows++ == 0 && line && strcmp(line, "ok") == 0)
			continue;
		if (rows <= 5)
			fail("integrity_check: %s", line ? line : "(null)");
	}
	if (st && rc != SQLITE_DONE)
		fail("integrity_check: %s", sqlite3_errmsg(db));
	if (st && rows == 0)
		fail("integrity_check returned nothing");
	sqlite3_finalize(st);

	phase("running PRAGMA foreign_key_check");
	st = sql_prepare(db, "PRAGMA foreign_key_check");
	rows = 0;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (rows++ < 5)
			fail("foreign_key_check: %s row %lld has no parent in %s",
			     (const char *)sqlite3_column_text(st, 0),
			     (long long)sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
}

/* I4 */
static void check_dedup(const torture *t, sqlite3 *db, const tally *ty, int long_window)
{
	static const char dup_active[] =
		"SELECT fingerprint, count(*) FROM tickets WHERE dedup_active = 1"
		" AND fingerprint IS NOT NULL GROUP BY fingerprint HAVING count(*) > 1";
	static const char new_tickets[] =
		"SELECT fingerprint, count(*) FROM tickets WHERE id > ?1 AND fingerprint IS NOT NULL"
		" GROUP BY fingerprint HAVING count(*) > 1";
	static const char bad_merged[] =
		"SELECT id, status, dedup_active FROM tickets WHERE duplicate_of IS NOT NULL"
		" AND (status <> 'closed' OR dedup_active <> 0)";
	sqlite3_stmt *st;

	phase("checking for duplicate tickets");
	st = sql_prepare(db, dup_active);
	while (st && sqlite3_step(st) == SQLITE_ROW)
		fail("%lld dedup-active tickets share fingerprint %s (site %d)",
		     (long long)sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 0),
		     site_of(t, sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);

	if (long_window) {
		st = sql_prepare(db, new_tickets);
		if (st)
			sqlite3_bind_int64(st, 1, ty->max_id);
		while (st && sqlite3_step(st) == SQLITE_ROW)
			fail("%lld new tickets for fingerprint %s (site %d) in one round with a 24 h "
			     "window: a duplicate", (long long)sqlite3_column_int64(st, 1),
			     (const char *)sqlite3_column_text(st, 0), site_of(t, sqlite3_column_text(st, 0)));
		sqlite3_finalize(st);
	}

	st = sql_prepare(db, bad_merged);
	while (st && sqlite3_step(st) == SQLITE_ROW)
		fail("ticket %lld is merged (duplicate_of set) but %s with dedup_active %d: a torn merge",
		     (long long)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		     sqlite3_column_int(st, 2));
	sqlite3_finalize(st);
}

/* I5 */
static void check_counts(torture *t, sqlite3 *db, tally *ty)
{
	static const char stored_sql[] =
		"SELECT fingerprint, sum(occurrence_count) FROM tickets"
		" WHERE duplicate_of IS NULL AND status <> 'closed' GROUP BY fingerprint";
	int64_t stored[NFP] = { 0 }, lo[NFP] = { 0 }, hi[NFP] = { 0 }, delta;
	sqlite3_stmt *st;

	phase("comparing occurrence counts with the ack files");
	st = sql_prepare(db, stored_sql);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		int site = site_of(t, sqlite3_column_text(st, 0));

		if (site < 0) {
			fail("%lld occurrences on tickets of fingerprint %s, which no writer makes",
			     (long long)sqlite3_column_int64(st, 1),
			     sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "NULL");
			continue;
		}
		stored[FAMILY[site]] += sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < NFP; i++) {
		lo[FAMILY[i]] += ty->lower[i];
		hi[FAMILY[i]] += ty->upper[i];
	}
	/* Round by round, so that the slack (calls in flight at a kill, async
	 * calls committed but never flushed) cannot pile up and hide a loss. */
	for (int f = 0; f < NFP; f++) {
		if (FAMILY[f] != f)
			continue;
		delta = stored[f] - ty->stored[f];
		if (delta < lo[f])
			fail("site%s %d%s: %" PRId64 " occurrences stored (%+" PRId64 " this round), but %"
			     PRId64 " were acknowledged this round: acknowledged occurrences were lost",
			     f == 6 ? "s" : "", f, f == 6 ? "+7" : "", stored[f], delta, lo[f]);
		if (delta > hi[f])
			fail("site%s %d%s: %" PRId64 " occurrences stored (%+" PRId64 " this round), but "
			     "at most %" PRId64 " calls were made this round: occurrences were counted twice",
			     f == 6 ? "s" : "", f, f == 6 ? "+7" : "", stored[f], delta, hi[f]);
	}
	for (int f = 0; f < ASYNC_FIRST_SITE; f++)
		t->inflight_committed += stored[f] - ty->stored[f] - lo[f];
	memcpy(ty->stored, stored, sizeof(stored));
	memset(ty->lower, 0, sizeof(ty->lower));
	memset(ty->upper, 0, sizeof(ty->upper));
}

static int64_t max_ticket_id(sqlite3 *db)
{
	sqlite3_stmt *st = sql_prepare(db, "SELECT coalesce(max(id), 0) FROM tickets");
	int64_t id = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

/* I1, I2: the library can open the file and write to it. */
static void check_reopen(torture *t, const char *path, tally *ty)
{
	char spool[600];
	int current_v = 0, latest = 0, rc;
	struct stat st;
	bt_db *db;

	phase("reopening with bt_open after the kills");
	rc = bt_open(&db, path, NULL);
	if (rc != BT_OK) {
		fail("bt_open after the kills returned %d (%s): %s", rc, bt_strerror(rc),
		     bt_error_message());
		return;
	}
	rc = bt_schema_version_get(db, &current_v, &latest);
	if (rc != BT_OK || current_v != latest)
		fail("schema version %d of %d after the kills (rc %d)", current_v, latest, rc);
	snprintf(spool, sizeof(spool), "%s.crash", path);
	if (lstat(spool, &st) == 0)
		fail("the crash spool %s (%lld bytes) is still there after bt_open, with no process "
		     "alive to hold it", spool, (long long)st.st_size);
	phase("writing the parent's probe");
	rc = bt_log_at(db, BT_CRITICAL, "torture", __FILE__, __LINE__, SITE_FUNCTION, SITE_FMT[PROBE],
		       "db", (long)t->round);
	if (rc == BT_OK) {
		ty->lower[PROBE]++;
		ty->upper[PROBE]++;
	} else {
		fail("a capture after the kills returned %d (%s): %s", rc, bt_strerror(rc),
		     bt_error_message());
	}
	phase("closing the parent's handle");
	bt_close(db);
}

static void check_db(torture *t, const char *path, tally *ty, int long_window)
{
	sqlite3 *db;

	check_reopen(t, path, ty);
	if (check_failures)
		return;
	db = sql_open(path);
	if (!db)
		return;
	check_integrity(db);
	check_dedup(t, db, ty, long_window);
	check_counts(t, db, ty);
	ty->max_id = max_ticket_id(db);
	sqlite3_close(db);
}

/* ---- merges ---- */

typedef struct roots {
	int64_t *id[NSITES];
	int n[NSITES], cap[NSITES];
} roots;

static void roots_free(roots *r)
{
	for (int i = 0; i < NSITES; i++)
		free(r->id[i]);
}

/* The tickets a merge may take: live, not merged, by site. */
static void read_roots(const torture *t, const char *path, roots *r)
{
	sqlite3 *db = sql_open(path);
	sqlite3_stmt *st;

	memset(r, 0, sizeof(*r));
	if (!db)
		return;
	st = sql_prepare(db, "SELECT id, fingerprint FROM tickets WHERE duplicate_of IS NULL"
			     " AND status <> 'closed' ORDER BY id");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		int site = site_of(t, sqlite3_column_text(st, 1));

		if (site < 0 || site >= NSITES)
			continue;
		if (r->n[site] == r->cap[site]) {
			int cap = r->cap[site] ? 2 * r->cap[site] : 16;
			int64_t *grown = realloc(r->id[site], (size_t)cap * sizeof(*grown));

			if (!grown)
				break;
			r->id[site] = grown;
			r->cap[site] = cap;
		}
		r->id[site][r->n[site]++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Take a random ticket of @site out of @r. */
static int64_t take(roots *r, int site, uint64_t *rng)
{
	int k = (int)rng_below(rng, r->n[site]);
	int64_t id = r->id[site][k];

	r->id[site][k] = r->id[site][--r->n[site]];
	return id;
}

/* Choose a merge (@dup into @canon) within a family; the tickets taken are
 * not offered again this round, so two merges never chain or collide. */
static int pick_merge(torture *t, roots *r, int64_t *dup, int64_t *canon)
{
	int same[NSITES], nsame = 0, cross = r->n[6] > 0 && r->n[7] > 0;

	for (int i = 0; i < NSITES; i++)
		if (r->n[i] >= 2)
			same[nsame++] = i;
	if (nsame && (!cross || rng_below(&t->pick_rng, 2))) {
		int site = same[rng_below(&t->pick_rng, nsame)];

		*dup = take(r, site, &t->pick_rng);
		*canon = take(r, site, &t->pick_rng);
		return 1;
	}
	if (!cross)
		return 0;
	int from = rng_below(&t->pick_rng, 2) ? 6 : 7;
	*dup = take(r, from, &t->pick_rng);
	*canon = take(r, from == 6 ? 7 : 6, &t->pick_rng);
	return 1;
}

/* ---- one round ---- */

typedef struct round_plan {
	int64_t length;   /* ms until the last kill */
	int64_t window;   /* the writers' dedup window */
	int interval;     /* the async writer's flush interval */
	int full;         /* the second sync writer uses synchronous=FULL */
	int early;        /* kill from the writers' start, not from their bt_open */
	int merges, purge, migrate, batch;
} round_plan;

static void plan_round(torture *t, int fresh, round_plan *p)
{
	memset(p, 0, sizeof(*p));
	/* On a new file, half the rounds kill from the start (2-40 ms: inside
	 * bt_open's migrations); the others let every writer open first, so
	 * that late openers race a migrator that is already writing. */
	p->early = fresh ? rng_below(&t->rng, 2) : rng_below(&t->rng, 5) == 0;
	p->length = fresh && p->early ? 2 + rng_below(&t->rng, 40) : 5 + rng_below(&t->rng, 146);
	/* A short window sometimes: tickets then retire, and new ones open. */
	p->window = !fresh && rng_below(&t->rng, 5) == 0 ? 20 + rng_below(&t->rng, 30) : DAY_MS;
	p->interval = 1 + (int)rng_below(&t->rng, 30);
	p->full = (int)rng_below(&t->rng, 2);
	p->merges = fresh ? 0 : rng_below(&t->rng, 2) ? 1 + (rng_below(&t->rng, 3) == 0) : 0;
	p->purge = rng_below(&t->rng, fresh ? 2 : 3) == 0;
	p->migrate = fresh && rng_below(&t->rng, 2);
	p->batch = (int[]){ 1, 3, 50, 500 }[rng_below(&t->rng, 4)];
}

static void add_writer(torture *t, child *c, const char *path, const round_plan *p, int kind,
		       int slot)
{
	char seed[24], window[24], interval[16], flags[8];
	unsigned f = slot == 0 ? CHILD_CRASH_HANDLER : slot == 1 && p->full ? CHILD_SYNC_FULL : 0;

	c->kind = kind;
	snprintf(c->ack, sizeof(c->ack), "%s/ack-r%d-w%d", t->dir, t->round, slot);
	snprintf(seed, sizeof(seed), "%" PRIu64, rng_next(&t->rng));
	snprintf(window, sizeof(window), "%" PRId64, p->window);
	snprintf(interval, sizeof(interval), "%d", p->interval);
	snprintf(flags, sizeof(flags), "%u", f);
	set_args(c, 9, t->self, "--writer", kind == K_SYNC ? "sync" : "async", path, c->ack, seed,
		 window, interval, flags);
}

/* Processes and their times: writers from the start, the CLI from a
 * random moment; each is killed at a random moment of the round. */
static int plan_children(torture *t, const char *path, round_plan *p, int fresh, child *cs)
{
	char dup_s[24], canon_s[24], batch[16];
	int n = 0;
	roots r;

	memset(cs, 0, MAX_CHILDREN * sizeof(*cs));
	add_writer(t, &cs[n++], path, p, K_SYNC, 0);
	add_writer(t, &cs[n++], path, p, K_SYNC, 1);
	add_writer(t, &cs[n++], path, p, K_ASYNC, 2);

	/* The first round has nothing to merge yet (no file, even). */
	if (access(path, F_OK) != 0)
		p->merges = 0;
	if (p->merges)
		read_roots(t, path, &r);
	for (int m = 0; m < p->merges; m++) {
		int64_t dup, canon;

		if (!pick_merge(t, &r, &dup, &canon))
			break;
		snprintf(dup_s, sizeof(dup_s), "%" PRId64, dup);
		snprintf(canon_s, sizeof(canon_s), "%" PRId64, canon);
		cs[n].kind = K_MERGE;
		set_args(&cs[n++], 9, t->cli, "--db", path, "merge", dup_s, "--into", canon_s, "--actor",
			 "agent:torture");
	}
	if (p->merges)
		roots_free(&r);
	if (p->purge) {
		/* 30 days ahead, every closed ticket and old log row is fair game. */
		snprintf(batch, sizeof(batch), "%d", p->batch);
		cs[n].kind = K_PURGE;
		cs[n].fresh = fresh;
		snprintf(cs[n].now_env, sizeof(cs[n].now_env), "%" PRId64, real_ms() + 30 * DAY_MS);
		set_args(&cs[n++], 8, t->cli, "--db", path, "purge", "--days", "7", "--batch", batch);
	}
	if (p->migrate) {
		cs[n].kind = K_MIGRATE;
		set_args(&cs[n++], 5, t->cli, "--db", path, "migrate", "up");
	}
	/* A CLI gets its start-up time on top, so that it is killed at any
	 * point of its work, not mostly while the loader runs. */
	for (int i = 0; i < n; i++) {
		int64_t end = p->length;

		snprintf(cs[i].log, sizeof(cs[i].log), "%s/stderr-%d", t->dir, i);
		if (cs[i].kind != K_SYNC && cs[i].kind != K_ASYNC) {
			cs[i].start_at = rng_below(&t->rng, p->length / 2 + 1);
			end += t->cli_startup_ms;
		}
		cs[i].kill_at = cs[i].start_at + rng_below(&t->rng, end - cs[i].start_at + 1);
	}
	return n;
}

static void run_round(torture *t, const char *path, tally *ty, int fresh)
{
	child cs[MAX_CHILDREN];
	int64_t t0;
	round_plan p;
	int n, ready[2];

	plan_round(t, fresh, &p);
	snprintf(watchdog_where, sizeof(watchdog_where), " (round %d, BT_TORTURE_SEED=%" PRIu64 ")",
		 t->round, t->seed);
	alarm(WATCHDOG_S);
	phase("planning the round");
	n = plan_children(t, path, &p, fresh, cs);
	if (pipe2(ready, O_CLOEXEC) != 0) {
		fail("pipe2: %s", strerror(errno));
		return;
	}
	/* The writers first; unless this round kills them while they start,
	 * its clock starts once they have opened the database. */
	phase("starting the writers");
	t0 = mono_ms();
	for (int i = 0; i < WRITERS; i++)
		spawn(&cs[i], i, ready[1]);
	if (!p.early) {
		wait_ready(cs, n, WRITERS, ready[0]);
		t0 = mono_ms();
	}
	phase("running the writers and the CLI");
	run_schedule(cs, n, t0, ready[1]);
	close(ready[0]);
	close(ready[1]);
	phase("reaping the killed processes");
	reap(cs, n);
	judge_exits(t, cs, n);
	for (int i = 0; i < n; i++) {
		if (cs[i].kind == K_SYNC)
			read_sync_acks(t, &cs[i], ty);
		else if (cs[i].kind == K_ASYNC)
			read_async_acks(t, &cs[i], ty);
		if (cs[i].ack[0] && !check_failures)
			unlink(cs[i].ack);
	}
	if (!check_failures)
		check_db(t, path, ty, p.window == DAY_MS);
	alarm(0);
}

/* A round on a new file; it is removed once it passed. */
static void run_fresh_round(torture *t)
{
	static const char *const suffix[] = { "", "-wal", "-shm", ".crash", "-journal" };
	char path[600], f[640];
	tally ty;

	memset(&ty, 0, sizeof(ty));
	snprintf(path, sizeof(path), "%s/fresh-%d.db", t->dir, t->round);
	t->fresh_rounds++;
	run_round(t, path, &ty, 1);
	for (size_t i = 0; !check_failures && i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
		unlink(f);
	}
}

/* ---- main ---- */

/* The fastest of three `bugtrack --version` runs: the CLI's start-up, which
 * is 10x longer under the sanitizers. */
static int64_t cli_startup_ms(const char *cli)
{
	int64_t best = INT64_MAX;

	for (int i = 0; i < 3; i++) {
		char *argv[] = { (char *)cli, (char *)"--version", NULL };
		posix_spawn_file_actions_t fa;
		int64_t t0 = mono_ms();
		int status;
		pid_t pid;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		if (posix_spawn(&pid, cli, &fa, NULL, argv, environ) == 0 &&
		    waitpid(pid, &status, 0) == pid && mono_ms() - t0 < best)
			best = mono_ms() - t0;
		posix_spawn_file_actions_destroy(&fa);
	}
	return best == INT64_MAX ? 0 : best;
}

static int env_u64(const char *name, uint64_t *out)
{
	const char *v = getenv(name);
	char *end;

	if (!v || !*v)
		return 0;
	errno = 0;
	*out = strtoull(v, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "torture: %s='%s' is not a number\n", name, v);
		exit(2);
	}
	return 1;
}

static int setup(torture *t, int argc, char **argv)
{
	static char self[1024];
	uint64_t v;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	current = t;
	if (argc != 2) {
		fprintf(stderr, "usage: %s BUGTRACK_EXE\n", argv[0]);
		return 2;
	}
	t->cli = argv[1];
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("readlink /proc/self/exe");
		return 2;
	}
	self[n] = '\0';
	t->self = self;
	if (access(t->cli, X_OK) != 0) {
		fprintf(stderr, "torture: %s: %s\n", t->cli, strerror(errno));
		return 2;
	}
	t->seed = (uint64_t)real_ms() ^ ((uint64_t)getpid() << 32);
	env_u64("BT_TORTURE_SEED", &t->seed);
	t->rounds = DEFAULT_ROUNDS;
	if (env_u64("BT_TORTURE_ROUNDS", &v))
		t->rounds = (int)v;
	t->rng = t->seed;
	t->pick_rng = t->seed ^ 0x5deece66dull;
	t->dir = check_tmpdir();
	for (int i = 0; i < NFP; i++)
		if (site_fingerprint(i, t->fp[i]) != BT_OK) {
			fprintf(stderr, "torture: bt_fingerprint: %s\n", bt_error_message());
			return 2;
		}
	t->cli_startup_ms = cli_startup_ms(t->cli);
	signal(SIGALRM, on_watchdog);
	return 0;
}

int main(int argc, char **argv)
{
	char path[600];
	int64_t t0 = mono_ms();
	torture t;
	tally ty;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--writer") == 0)
		return writer_main(argc, argv);
	rc = setup(&t, argc, argv);
	if (rc)
		return rc;
	fprintf(stderr, "torture: seed %" PRIu64 " (set BT_TORTURE_SEED to repeat), %d rounds, in %s\n",
		t.seed, t.rounds, t.dir);
	memset(&ty, 0, sizeof(ty));
	snprintf(path, sizeof(path), "%s/torture.db", t.dir);
	for (t.round = 0; t.round < t.rounds && !check_failures; t.round++) {
		if (t.round % FRESH_EVERY == FRESH_EVERY - 1)
			run_fresh_round(&t);
		else
			run_round(&t, path, &ty, 0);
	}
	if (check_failures) {
		fprintf(stderr, "torture: stopped after round %d of %d; %" PRId64 " processes killed "
			"before it; the files are kept in %s\n", t.round - 1, t.rounds, t.killed, t.dir);
		return 1;
	}
	fprintf(stderr, "torture: %" PRId64 " processes started, %" PRId64 " CLI runs finished (%"
		PRId64 " merges, %" PRId64 " purges, %" PRId64 " busy), %" PRId64 " fresh-file rounds\n",
		t.processes, t.cli_exits, t.merges, t.purges, t.cli_busy, t.fresh_rounds);
	fprintf(stderr, "torture: %" PRId64 " sync calls acknowledged (%" PRId64 " BT_EBUSY), %"
		PRId64 " async calls flushed, %" PRId64 " tickets, slowest writer bt_open %" PRId64
		" ms, %.1f s\n", t.acked_sync, t.sync_busy, t.flushed_async, ty.max_id, t.slowest_open_ms,
		(double)(mono_ms() - t0) / 1000.0);
	fprintf(stderr, "torture: %" PRId64 " sync calls on sites 0-1 were cut by a kill, %" PRId64
		" of them after their commit\n", t.inflight, t.inflight_committed);
	fprintf(stderr, "torture: %d rounds, %" PRId64 " processes killed, all invariants held\n",
		t.rounds, t.killed);
	return check_finish();
}
