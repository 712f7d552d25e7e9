/*
 * test_crash.c - crashes become tickets: children install the crash
 * handler and crash for real (null dereference, abort, assert, SIGFPE,
 * stack overflow); the parent checks how each child died, then opens the
 * database and finds the tickets.  Also: counting and grouping, chaining
 * to an earlier handler, damaged spools, and exactly-once ingestion by two
 * processes at once.
 *
 * Sanitizers install handlers of their own for these signals, which report
 * and exit instead of dying by the signal.  The crash children therefore
 * reset them to the default before installing ours (see reset_sanitizer);
 * the parent, where every check runs, stays fully instrumented.
 */
/* One crash is a failed assert(), in every build type. */
#undef NDEBUG
#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const char *path;

/* ---- crashing children ---- */

/* The crash sites crash for real even under UBSan, which would otherwise
 * report the null store or the division and stop the child first. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8 || defined(__clang__)
#define CRASH_SITE __attribute__((noinline, no_sanitize("undefined")))
#else
#define CRASH_SITE __attribute__((noinline))
#endif

CRASH_SITE void site_null(volatile int *p)
{
	*p = 42;
}

CRASH_SITE void site_other_null(volatile int *p)
{
	p[1] = 43;
}

CRASH_SITE int site_divide(volatile int a, volatile int b)
{
	return a / b;
}

static volatile int recursion_limit = -1;

CRASH_SITE int site_recurse(int depth)
{
	volatile char pad[512];

	pad[0] = (char)depth;
	if (depth == recursion_limit)
		return 0;
	return site_recurse(depth + 1) + pad[0];
}

CRASH_SITE void site_assert(int value)
{
	assert(value == 0);
}

static void reset_sanitizer(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
}

enum crash_kind { NULL_DEREF, OTHER_NULL, ABORT, ASSERT, FPE, OVERFLOW };

static volatile sig_atomic_t earlier_called;
static int marker_fd = -1;

/* A host's handler that cannot handle the fault: it notes it, gives the
 * signal back to the default and returns, so that the fault re-executes
 * and ends the process (returning without that would loop forever, with
 * or without our handler). */
static void earlier_handler(int sig)
{
	earlier_called = 1;
	if (write(marker_fd, "x", 1) < 0)
		_exit(97);
	signal(sig, SIG_DFL);
}

/* Fork a child that installs the handler and crashes; returns its wait
 * status.  It opens without migrating so that it leaves the spool alone
 * (bt_open ingests it otherwise). */
static int crash_child(enum crash_kind kind, int with_earlier)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		bt_open_options o = BT_OPEN_OPTIONS_INIT;
		bt_db *db;

		reset_sanitizer();
		if (with_earlier)
			signal(SIGSEGV, earlier_handler);
		o.flags = BT_OPEN_NO_MIGRATE;
		if (bt_open(&db, path, &o) != BT_OK ||
		    bt_context_set(db, BT_CONTEXT_RELEASE, "9.9.9") != BT_OK ||
		    bt_crash_handler_install(db, NULL) != BT_OK)
			_exit(90);
		switch (kind) {
		case NULL_DEREF: site_null(NULL); break;
		case OTHER_NULL: site_other_null(NULL); break;
		case ABORT: abort();
		case ASSERT: site_assert(1); break;
		case FPE: (void)site_divide(1, 0); break;
		case OVERFLOW: (void)site_recurse(0); break;
		}
		_exit(91); /* did not crash */
	}
	waitpid(pid, &status, 0);
	return status;
}

static void fresh_db(const char *name)
{
	char spool[512];
	bt_db *db;

	path = check_path(name);
	snprintf(spool, sizeof(spool), "%s.crash", path);
	unlink(spool);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	bt_close(db);
}

/* The crash tickets of the database, by error type. */
static int64_t count_tickets(const char *error_type, int64_t *occurrences)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;
	bt_db *db;
	int64_t n = 0;

	*occurrences = 0;
	if (bt_open(&db, path, NULL) != BT_OK)
		return -1;
	f.component = "crash";
	if (bt_ticket_iter_new(db, &f, &it) == BT_OK) {
		while (bt_ticket_iter_next(it, &t) == BT_OK) {
			if (!error_type || (bt_ticket_error_type(t) &&
					    !strcmp(bt_ticket_error_type(t), error_type))) {
				n++;
				*occurrences += bt_ticket_occurrence_count(t);
			}
			bt_ticket_free(t);
		}
		bt_ticket_iter_free(it);
	}
	bt_close(db);
	return n;
}

static void expect_crash(enum crash_kind kind, int sig, const char *type, const char *frame)
{
	int64_t occ = 0;
	int status;
	bt_db *db;
	bt_ticket_iter *it;
	bt_ticket *t;
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	int found = 0;

	status = crash_child(kind, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sig);
	if (!WIFSIGNALED(status))
		fprintf(stderr, "child exited with %d\n", WEXITSTATUS(status));
	CHECK(count_tickets(type, &occ) == 1 && occ == 1);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	f.component = "crash";
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
	while (bt_ticket_iter_next(it, &t) == BT_OK) {
		const char *g = bt_ticket_grouping_input(t);

		if (!strcmp(bt_ticket_error_type(t), type)) {
			found = 1;
			CHECK(bt_ticket_severity(t) == BT_SEVERITY_CRITICAL);
			CHECK(bt_ticket_release(t) && !strcmp(bt_ticket_release(t), "9.9.9"));
			CHECK_STR_CONTAINS(g, "signal=");
			CHECK_STR_CONTAINS(g, type);
			if (frame)
				CHECK_STR_CONTAINS(g, frame);
			/* The handler's and libc's frames are not part of it. */
			CHECK(!strstr(g, "libbugtrack") && !strstr(g, "libc.so") && !strstr(g, "!abort"));
			CHECK_STR_CONTAINS(bt_ticket_stack_trace(t), "--");
		}
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	bt_close(db);
	CHECK(found);
}

static void test_null_dereference(void)
{
	fresh_db("null.db");
	expect_crash(NULL_DEREF, SIGSEGV, "SIGSEGV", "frame=test_crash!site_null");
}

static void test_abort(void)
{
	fresh_db("abort.db");
	expect_crash(ABORT, SIGABRT, "SIGABRT", "test_crash!main");
}

static void test_assert(void)
{
	fresh_db("assert.db");
	expect_crash(ASSERT, SIGABRT, "SIGABRT", NULL);
}

static void test_fpe(void)
{
	fresh_db("fpe.db");
	expect_crash(FPE, SIGFPE, "SIGFPE", "frame=test_crash!site_divide");
}

static void test_stack_overflow(void)
{
	fresh_db("overflow.db");
	/* Thousands of frames of one function merge into one. */
	expect_crash(OVERFLOW, SIGSEGV, "SIGSEGV", "frame=test_crash!site_recurse");
}

static void test_counting_and_grouping(void)
{
	int64_t occ = 0;

	fresh_db("group.db");
	CHECK(WIFSIGNALED(crash_child(NULL_DEREF, 0)));
	CHECK(WIFSIGNALED(crash_child(NULL_DEREF, 0)));
	CHECK(count_tickets(NULL, &occ) == 1 && occ == 2);
	CHECK(WIFSIGNALED(crash_child(OTHER_NULL, 0)));
	CHECK(count_tickets(NULL, &occ) == 2 && occ == 3);
}

static void test_earlier_handler_chained(void)
{
	int fds[2], status;
	char c = 0;
	int64_t occ = 0;

	fresh_db("chain.db");
	CHECK(pipe(fds) == 0);
	marker_fd = fds[1];
	status = crash_child(NULL_DEREF, 1);
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1 && c == 'x');
	close(fds[0]);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	CHECK(count_tickets("SIGSEGV", &occ) == 1);
}

static void test_uninstall(void)
{
	bt_db *db;

	fresh_db("uninstall.db");
	struct sigaction before, after;

	CHECK(sigaction(SIGSEGV, NULL, &before) == 0);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	CHECK_RC(bt_crash_handler_install(db, NULL), BT_OK);
	CHECK(sigaction(SIGSEGV, NULL, &after) == 0 && (after.sa_flags & SA_SIGINFO) &&
	      (after.sa_flags & SA_ONSTACK));
	CHECK_RC(bt_crash_handler_uninstall(), BT_OK);
	CHECK_RC(bt_crash_handler_uninstall(), BT_OK);
	CHECK(sigaction(SIGSEGV, NULL, &after) == 0 && after.sa_handler == before.sa_handler &&
	      (after.sa_flags & SA_ONSTACK) == (before.sa_flags & SA_ONSTACK));
	{
		bt_crash_options o = BT_CRASH_OPTIONS_INIT;

		o.fingerprint_frames = 99;
		CHECK_RC(bt_crash_handler_install(db, &o), BT_EINVALID);
		o.version = 7;
		CHECK_RC(bt_crash_handler_install(db, &o), BT_EINVALID);
		CHECK_RC(bt_crash_handler_install(NULL, NULL), BT_EINVALID);
	}
	bt_close(db);
}

/* ---- the spool ---- */

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void test_damaged_spool(void)
{
	bt_crash_ingest_result r = { BT_CRASH_INGEST_RESULT_VERSION, 0, 0, 0 };
	char spool[512], buf[65536];
	bt_db *db;
	long n;
	int fd;
	int64_t occ = 0;

	fresh_db("damaged.db");
	snprintf(spool, sizeof(spool), "%s.crash", path);
	CHECK(WIFSIGNALED(crash_child(NULL_DEREF, 0)));
	CHECK(WIFSIGNALED(crash_child(FPE, 0)));
	n = check_read_file(spool, buf, sizeof(buf));
	CHECK(n > 100);
	/* Cut the second record short: the file ends mid-record. */
	CHECK(truncate(spool, n - 40) == 0);
	/* And garbage in front of everything. */
	memmove(buf + 9, buf, (size_t)(n - 40));
	memcpy(buf, "garbage!\n", 9);
	check_write_file(spool, buf, (size_t)(n - 40 + 9));

	CHECK_RC(bt_open(&db, path, NULL), BT_OK); /* ingests at open */
	CHECK_RC(bt_crash_ingest(db, &r), BT_OK);  /* nothing left */
	CHECK(r.ingested == 0 && r.damaged == 0);
	bt_close(db);
	CHECK(file_size(spool) == -1);
	CHECK(count_tickets(NULL, &occ) == 1 && occ == 1);

	/* Reported as warnings: the garbage and the cut record. */
	{
		bt_log_filter lf = BT_LOG_FILTER_INIT;
		bt_log_iter *it;
		bt_log_entry *e;
		int warnings = 0;

		CHECK_RC(bt_open(&db, path, NULL), BT_OK);
		lf.component = "crash";
		CHECK_RC(bt_log_iter_new(db, &lf, &it), BT_OK);
		while (bt_log_iter_next(it, &e) == BT_OK) {
			if (bt_log_entry_level(e) == BT_WARNING &&
			    strstr(bt_log_entry_message(e), "damaged record"))
				warnings++;
			bt_log_entry_free(e);
		}
		bt_log_iter_free(it);
		bt_close(db);
		CHECK(warnings == 2);
	}

	/* A spool of pure noise, and one that is a directory. */
	fd = open(spool, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; i < 1000; i++)
		CHECK(write(fd, "BTCRASH 1\nsignal x\nEND 3\n\xff\xfe", 27) == 27);
	close(fd);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	bt_close(db);
	CHECK(count_tickets(NULL, &occ) == 1 && occ == 1);
	CHECK(mkdir(spool, 0700) == 0);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	r.version = BT_CRASH_INGEST_RESULT_VERSION;
	CHECK(bt_crash_ingest(db, &r) != BT_OK);
	bt_close(db);
	rmdir(spool);
}

static void test_exactly_once_two_processes(void)
{
	char spool[512];
	int go[2], status, total = 6;
	pid_t pids[2];
	int64_t occ = 0;

	fresh_db("once.db");
	snprintf(spool, sizeof(spool), "%s.crash", path);
	for (int i = 0; i < total; i++)
		CHECK(WIFSIGNALED(crash_child(i % 2 ? NULL_DEREF : FPE, 0)));
	CHECK(file_size(spool) > 0);
	CHECK(pipe(go) == 0);
	for (int p = 0; p < 2; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			char c;
			bt_db *db;

			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			if (bt_open(&db, path, NULL) != BT_OK)
				_exit(1);
			bt_close(db);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]); /* both start at once */
	for (int p = 0; p < 2; p++)
		CHECK(waitpid(pids[p], &status, 0) == pids[p] && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0);
	CHECK(count_tickets(NULL, &occ) == 2);
	CHECK(occ == total);
	CHECK(file_size(spool) == -1);
}

/* Two threads crash at the same moment: the records must not interleave
 * and nothing may hang (the child would then be killed by the alarm). */
static pthread_barrier_t both;

static void *crash_thread(void *arg)
{
	pthread_barrier_wait(&both);
	site_null(arg);
	return NULL;
}

static void test_two_threads_at_once(void)
{
	bt_crash_ingest_result r = { BT_CRASH_INGEST_RESULT_VERSION, 0, 0, 0 };
	int status, rounds = 5;
	bt_db *db;

	fresh_db("threads.db");
	for (int round = 0; round < rounds; round++) {
		pid_t pid = fork();

		if (pid == 0) {
			bt_open_options o = BT_OPEN_OPTIONS_INIT;
			pthread_t t[2];

			reset_sanitizer();
			alarm(10);
			o.flags = BT_OPEN_NO_MIGRATE;
			if (bt_open(&db, path, &o) != BT_OK || bt_crash_handler_install(db, NULL) != BT_OK)
				_exit(90);
			pthread_barrier_init(&both, NULL, 2);
			for (int i = 0; i < 2; i++)
				pthread_create(&t[i], NULL, crash_thread, NULL);
			for (int i = 0; i < 2; i++)
				pthread_join(t[i], NULL);
			_exit(91);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
		      WTERMSIG(status) == SIGSEGV);
	}
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	/* bt_open ingested already; a second look finds nothing left. */
	CHECK_RC(bt_crash_ingest(db, &r), BT_OK);
	CHECK(r.ingested == 0 && r.damaged == 0);
	bt_close(db);
	{
		int64_t occ = 0;
		int64_t n = count_tickets("SIGSEGV", &occ);

		/* One site; at least one record per process, every one whole. */
		CHECK(n == 1 && occ >= rounds && occ <= 2 * rounds);
		CHECK(count_tickets(NULL, &occ) == 1);
	}
	{
		bt_log_filter lf = BT_LOG_FILTER_INIT;
		bt_log_iter *it;
		bt_log_entry *e;
		int damaged = 0;

		CHECK_RC(bt_open(&db, path, NULL), BT_OK);
		lf.component = "crash";
		CHECK_RC(bt_log_iter_new(db, &lf, &it), BT_OK);
		while (bt_log_iter_next(it, &e) == BT_OK) {
			damaged += bt_log_entry_level(e) == BT_WARNING;
			bt_log_entry_free(e);
		}
		bt_log_iter_free(it);
		bt_close(db);
		CHECK(damaged == 0);
	}
}

static void test_spool_mode(void)
{
	char spool[512];
	struct stat st;
	mode_t old = umask(0);

	fresh_db("mode.db");
	snprintf(spool, sizeof(spool), "%s.crash", path);
	CHECK(WIFSIGNALED(crash_child(NULL_DEREF, 0)));
	umask(old);
	CHECK(stat(spool, &st) == 0 && (st.st_mode & 0777) == 0600);
}

int main(void)
{
	RUN(test_null_dereference);
	RUN(test_abort);
	RUN(test_assert);
	RUN(test_fpe);
	RUN(test_stack_overflow);
	RUN(test_counting_and_grouping);
	RUN(test_earlier_handler_chained);
	RUN(test_uninstall);
	RUN(test_damaged_spool);
	RUN(test_exactly_once_two_processes);
	RUN(test_two_threads_at_once);
	RUN(test_spool_mode);
	return check_finish();
}
