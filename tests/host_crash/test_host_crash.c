/*
 * test_host_crash.c - the crash handler inside hosts that handle signals
 * themselves (issue 13): a guard-page host whose SIGSEGV handler repairs
 * faults, a host with SA_RESETHAND, a host that ignores SIGBUS, a host
 * whose handler gives up or _exit()s, a fault that ends the process, the
 * library unloaded with the handler installed (dlclose_child.c), and a
 * crash spool larger than the 64 MiB ingestion once read.
 *
 * Every host is a real forked process; the parent waits for it with a
 * timeout (a child that hangs is killed and fails the case) and then reads
 * the database.  Children reset the sanitizers' handlers first, as
 * test_crash.c's do: those report and exit instead of dying by the signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define CHILD_TIMEOUT_MS 60000

static const char *path;

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8 || defined(__clang__)
#define CRASH_SITE __attribute__((noinline, no_sanitize("undefined", "address")))
#else
#define CRASH_SITE __attribute__((noinline))
#endif

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* waitpid with a deadline: a hung child is killed and reported. */
static int wait_child(pid_t pid)
{
	int64_t deadline = now_ms() + CHILD_TIMEOUT_MS;
	int status = 0;
	struct timespec ms = { 0, 10000000 };

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() > deadline) {
			fprintf(stderr, "child %d hung: killed\n", (int)pid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		nanosleep(&ms, NULL);
	}
}

static int died_by(int status, int sig)
{
	if (status != -1 && WIFEXITED(status))
		fprintf(stderr, "  (child exited with %d)\n", WEXITSTATUS(status));
	else if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) != sig)
		fprintf(stderr, "  (child died by signal %d)\n", WTERMSIG(status));
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static int exited_with(int status, int code)
{
	if (status != -1 && WIFSIGNALED(status))
		fprintf(stderr, "  (child died by signal %d)\n", WTERMSIG(status));
	else if (status != -1 && WEXITSTATUS(status) != code)
		fprintf(stderr, "  (child exited with %d)\n", WEXITSTATUS(status));
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void reset_sanitizer(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
}

static const char *spool_of(const char *db)
{
	static char spool[512];

	snprintf(spool, sizeof(spool), "%s.crash", db);
	return spool;
}

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void fresh_db(const char *name)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db;

	path = check_path(name);
	unlink(spool_of(path));
	o.flags = BT_OPEN_SYNC;
	CHECK_RC(bt_open(&db, path, &o), BT_OK);
	bt_close(db);
}

/* In a child: open without migrating (so that it leaves the spool alone)
 * and install the crash handler; exits 90 if it cannot. */
static bt_db *child_install(void)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db;

	o.flags = BT_OPEN_NO_MIGRATE | BT_OPEN_SYNC;
	if (bt_open(&db, path, &o) != BT_OK || bt_crash_handler_install(db, NULL) != BT_OK)
		_exit(90);
	return db;
}

/* Crash tickets and their occurrences, after a bt_open has ingested. */
static int64_t crash_tickets(int64_t *occurrences)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;
	bt_db *db;
	int64_t n = 0;

	*occurrences = 0;
	o.flags = BT_OPEN_SYNC;
	if (bt_open(&db, path, &o) != BT_OK)
		return -1;
	f.component = "crash";
	if (bt_ticket_iter_new(db, &f, &it) == BT_OK) {
		while (bt_ticket_iter_next(it, &t) == BT_OK) {
			n++;
			*occurrences += bt_ticket_occurrence_count(t);
			bt_ticket_free(t);
		}
		bt_ticket_iter_free(it);
	}
	bt_close(db);
	return n;
}

/* ---- a guard-page host: its SIGSEGV handler repairs faults ---- */

static char *guard;
static long page;
static volatile sig_atomic_t repaired, mask_kept = 1, give_up_on_others;

static void repair(int sig, siginfo_t *info, void *uc)
{
	sigset_t now;
	char *a = info->si_addr;

	(void)uc;
	/* Our sa_mask (SIGUSR1) must be blocked while we run, as we asked. */
	if (pthread_sigmask(SIG_BLOCK, NULL, &now) != 0 || !sigismember(&now, SIGUSR1))
		mask_kept = 0;
	if (a >= guard && a < guard + page) {
		mprotect(guard, (size_t)page, PROT_READ | PROT_WRITE);
		repaired++;
		return;
	}
	if (give_up_on_others)
		signal(sig, SIG_DFL); /* not ours: the fault ends the process */
}

static void install_repair(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = repair;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		_exit(92);
	page = sysconf(_SC_PAGESIZE);
	guard = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED)
		_exit(93);
}

CRASH_SITE static void touch(volatile char *p)
{
	*p = 1;
}

/* Fault on the guard page @times times, re-protecting it after each. */
static void fault_on_guard(int times)
{
	for (int i = 0; i < times; i++) {
		touch(guard + 8);
		mprotect(guard, (size_t)page, PROT_NONE);
	}
}

static void test_repaired_faults_leave_nothing(void)
{
	int64_t occ;
	int status;
	pid_t pid;

	fresh_db("repair.db");
	pid = fork();
	if (pid == 0) {
		reset_sanitizer();
		install_repair(0);
		child_install();
		fault_on_guard(5);
		_exit(repaired == 5 && mask_kept ? 0 : 94);
	}
	status = wait_child(pid);
	CHECK(exited_with(status, 0));
	CHECK(file_size(spool_of(path)) <= 0);
	CHECK(crash_tickets(&occ) == 0);
}

/* SA_RESETHAND: the host's handler runs once, the next fault takes the
 * default action, and that one is recorded. */
static void test_resethand(void)
{
	int64_t occ = 0;
	int status;
	pid_t pid;

	fresh_db("resethand.db");
	pid = fork();
	if (pid == 0) {
		reset_sanitizer();
		install_repair(SA_RESETHAND);
		child_install();
		fault_on_guard(1);
		if (repaired != 1)
			_exit(94);
		fault_on_guard(1);
		_exit(95);
	}
	status = wait_child(pid);
	CHECK(died_by(status, SIGSEGV));
	CHECK(crash_tickets(&occ) == 1 && occ == 1);
}

/* Repaired faults, then one the host's handler gives up on: exactly one
 * ticket, with one occurrence. */
static void test_fatal_fault_one_ticket(void)
{
	int64_t occ = 0;
	int status;
	pid_t pid;

	fresh_db("fatal.db");
	pid = fork();
	if (pid == 0) {
		reset_sanitizer();
		install_repair(0);
		give_up_on_others = 1;
		child_install();
		fault_on_guard(3);
		touch(NULL);
		_exit(95);
	}
	status = wait_child(pid);
	CHECK(died_by(status, SIGSEGV));
	CHECK(crash_tickets(&occ) == 1 && occ == 1);

	/* And with no handler of the host's at all. */
	fresh_db("fatal_plain.db");
	pid = fork();
	if (pid == 0) {
		reset_sanitizer();
		child_install();
		touch(NULL);
		_exit(95);
	}
	status = wait_child(pid);
	CHECK(died_by(status, SIGSEGV));
	CHECK(crash_tickets(&occ) == 1 && occ == 1);
}

/* ---- signals the host ignores, counts, or ends the process on ---- */

static volatile sig_atomic_t counted;

static void count_signal(int sig)
{
	(void)sig;
	counted++;
}

static void test_ignored_stays_ignored(void)
{
	int64_t occ;
	int status;
	pid_t pid;

	fresh_db("ignore.db");
	pid = fork();
	if (pid == 0) {
		struct sigaction now;

		reset_sanitizer();
		signal(SIGBUS, SIG_IGN);
		child_install();
		kill(getpid(), SIGBUS);
		if (sigaction(SIGBUS, NULL, &now) != 0 || (now.sa_flags & SA_SIGINFO) ||
		    now.sa_handler != SIG_IGN)
			_exit(94);
		_exit(0);
	}
	status = wait_child(pid);
	CHECK(exited_with(status, 0));
	CHECK(crash_tickets(&occ) == 0);
}

/* A sent signal the host handles and returns from: it goes on. */
static void test_handled_signal_goes_on(void)
{
	int64_t occ;
	int status;
	pid_t pid;

	fresh_db("handled.db");
	pid = fork();
	if (pid == 0) {
		reset_sanitizer();
		signal(SIGSEGV, count_signal);
		signal(SIGBUS, count_signal);
		child_install();
		for (int i = 0; i < 3; i++) {
			kill(getpid(), SIGSEGV);
			kill(getpid(), SIGBUS);
		}
		_exit(counted == 6 ? 0 : 94);
	}
	status = wait_child(pid);
	CHECK(exited_with(status, 0));
	CHECK(crash_tickets(&occ) == 0);
}

static void exit_from_handler(int sig)
{
	(void)sig;
	_exit(42);
}

/* The host's handler ends the process itself: its decision, no record. */
static void test_handler_exits(void)
{
	int64_t occ;
	int status;
	pid_t pid;

	fresh_db("exits.db");
	pid = fork();
	if (pid == 0) {
		reset_sanitizer();
		signal(SIGSEGV, exit_from_handler);
		child_install();
		touch(NULL);
		_exit(95);
	}
	status = wait_child(pid);
	CHECK(exited_with(status, 42));
	CHECK(crash_tickets(&occ) == 0);
}

/* ---- uninstall ---- */

static int same_disposition(const struct sigaction *a, const struct sigaction *b)
{
	return a->sa_handler == b->sa_handler &&
	       (a->sa_flags & (SA_SIGINFO | SA_RESETHAND | SA_NODEFER | SA_ONSTACK)) ==
	       (b->sa_flags & (SA_SIGINFO | SA_RESETHAND | SA_NODEFER | SA_ONSTACK));
}

/* A handler the host installs over ours stays when we uninstall. */
static void test_uninstall_leaves_later_handler(void)
{
	int status;
	pid_t pid;

	fresh_db("later.db");
	pid = fork();
	if (pid == 0) {
		struct sigaction before, now;

		reset_sanitizer();
		sigaction(SIGBUS, NULL, &before);
		child_install();
		signal(SIGFPE, count_signal);
		bt_crash_handler_uninstall();
		if (sigaction(SIGFPE, NULL, &now) != 0 || now.sa_handler != count_signal)
			_exit(94);
		if (sigaction(SIGBUS, NULL, &now) != 0 || !same_disposition(&now, &before))
			_exit(95);
		_exit(0);
	}
	status = wait_child(pid);
	CHECK(exited_with(status, 0));
}

/* bt_close of the handle that installed the handler uninstalls it and
 * lets go of the spool; closing another handle does not. */
static void test_close_uninstalls(void)
{
	int status;
	pid_t pid;

	fresh_db("close.db");
	pid = fork();
	if (pid == 0) {
		bt_open_options o = BT_OPEN_OPTIONS_INIT;
		struct sigaction now;
		bt_db *other;
		bt_db *db;
		int fd;

		reset_sanitizer();
		signal(SIGSEGV, count_signal);
		o.flags = BT_OPEN_SYNC;
		if (bt_open(&other, path, &o) != BT_OK)
			_exit(93);
		db = child_install();
		bt_close(other);
		if (sigaction(SIGSEGV, NULL, &now) != 0 || !(now.sa_flags & SA_SIGINFO))
			_exit(94); /* another handle's close uninstalled it */
		bt_close(db);
		if (sigaction(SIGSEGV, NULL, &now) != 0 || (now.sa_flags & SA_SIGINFO) ||
		    now.sa_handler != count_signal)
			_exit(95);
		fd = open(spool_of(path), O_RDONLY);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0)
			_exit(96); /* the spool is still held */
		_exit(0);
	}
	status = wait_child(pid);
	CHECK(exited_with(status, 0));
}

#ifdef DLCLOSE_CHILD
/* dlclose_child.c loads libbugtrack.so, installs, unloads, then signals
 * itself; it must survive its handled SIGSEGV and die by SIGBUS's default
 * action, never by a SIGSEGV inside code that is gone. */
static void run_dlclose(const char *mode)
{
	int status;
	pid_t pid;

	fresh_db(mode[0] == 'c' ? "dlclose_close.db" : "dlclose_keep.db");
	pid = fork();
	if (pid == 0) {
		reset_sanitizer();
		execl(DLCLOSE_CHILD, DLCLOSE_CHILD, LIBBUGTRACK_SO, path, mode, (char *)NULL);
		_exit(89);
	}
	status = wait_child(pid);
	CHECK(died_by(status, SIGBUS));
}

static void test_dlclose(void)
{
	run_dlclose("close"); /* bt_close, then dlclose */
	run_dlclose("keep");  /* dlclose with the handle still open */
}
#endif

/* ---- a spool larger than 64 MiB ---- */

/* Append one synthetic record (the writer's format) of about @size bytes:
 * 40 module lines carry most of it, as in a real host. */
static size_t put_record(FILE *f, long pid, long n, size_t size)
{
	char rec[16384];
	size_t len;
	int k;

	k = snprintf(rec, sizeof(rec), "BTCRASH 1\nsignal 11\ncode 1\naddr 0x0\npc 0x1010\n"
		     "pid %ld\ntid %ld\ntime %ld\nnsec %ld\nhashed 5\n", pid, pid + n,
		     1700000000000L + n, n);
	len = (size_t)k;
	for (int m = 0; len + 300 < size && m < 40; m++) {
		k = snprintf(rec + len, sizeof(rec) - len, "module %d 0x%x /usr/lib/x86_64-linux-gnu/"
			     "%0180d-%d.so\n", m, 0x100000 * m, 0, m);
		len += (size_t)k;
	}
	k = snprintf(rec + len, sizeof(rec) - len, "frame 0x1010 0 0x1010\nframe 0x2020 0 0x2020\n"
		     "sym /usr/bin/bighost(big_site+0x10) [0x1010]\n"
		     "sym /usr/bin/bighost(big_caller+0x20) [0x2020]\n");
	len += (size_t)k;
	k = snprintf(rec + len, sizeof(rec) - len, "END %zu\n", len);
	fwrite(rec, 1, len + (size_t)k, f);
	return len + (size_t)k;
}

/* Write @records records of about 8 KiB to the spool; returns its size. */
static long write_spool(long records, long first)
{
	FILE *f = fopen(spool_of(path), "a");

	if (!f)
		return -1;
	for (long i = 0; i < records; i++)
		put_record(f, 4000 + first + i, first + i, 8192);
	fclose(f);
	return file_size(spool_of(path));
}

static double open_ms(void)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	struct timespec a, b;
	bt_db *db;

	o.flags = BT_OPEN_SYNC;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (bt_open(&db, path, &o) != BT_OK)
		return -1;
	bt_close(db);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

/* 70 MiB, no live writer: every record becomes an occurrence, then the
 * spool is removed. */
static void test_big_spool_all_ingested(void)
{
	long records = 9000, size;
	int64_t occ = 0;

	fresh_db("big.db");
	size = write_spool(records, 0);
	CHECK(size > (70L << 20) - (1L << 20));
	fprintf(stderr, "  spool: %ld records, %.1f MiB; first open %.0f ms\n", records,
		(double)size / (1 << 20), open_ms());
	CHECK(file_size(spool_of(path)) == -1);
	CHECK(crash_tickets(&occ) == 1 && occ == records);
	/* No record was cut in two at a window's edge. */
	{
		sqlite3 *sql;

		CHECK(sqlite3_open(path, &sql) == SQLITE_OK);
		CHECK(check_query_int(sql, "SELECT count(*) FROM error_logs WHERE message LIKE "
				      "'%damaged record%'") == 0);
		sqlite3_close(sql);
	}
}

/* A process that installed the handler and lives until told to go: its
 * spool is a live writer's.  Returns its pid; *@go_out tells it to go. */
static pid_t live_writer_start(int *go_out)
{
	int go[2], ready[2];
	pid_t pid;
	char c;

	CHECK(pipe(go) == 0 && pipe(ready) == 0);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		child_install();
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(94);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1);
	close(ready[0]);
	*go_out = go[1];
	return pid;
}

static void live_writer_stop(pid_t pid, int go)
{
	CHECK(write(go, "g", 1) == 1);
	close(go);
	CHECK(exited_with(wait_child(pid), 0));
}

/* 60 MiB held by a live process with the handler: the first open ingests
 * it, later opens do not read it again; records appended later are
 * ingested on the next open. */
static void test_big_spool_live_writer(void)
{
	long records = 7800, size;
	int64_t occ = 0;
	double first, later = 1e9;
	pid_t pid;
	int go;

	fresh_db("live.db");
	pid = live_writer_start(&go);
	size = write_spool(records, 0);
	CHECK(size > (60L << 20) - (1L << 20));
	first = open_ms();
	for (int i = 0; i < 5; i++) {
		double t = open_ms();

		later = t < later ? t : later;
	}
	fprintf(stderr, "  live spool %.1f MiB: first open %.0f ms, later opens %.2f ms (best of 5)\n",
		(double)size / (1 << 20), first, later);
	CHECK(file_size(spool_of(path)) == size); /* held by the live process */
	CHECK(crash_tickets(&occ) == 1 && occ == records);
	{
		sqlite3 *sql;

		CHECK(sqlite3_open(path, &sql) == SQLITE_OK);
		CHECK(check_query_int(sql, "SELECT spool_offset FROM crash_spool_mark") == size);
		sqlite3_close(sql);
	}
	/* Appended later: ingested from the mark on. */
	write_spool(10, records);
	CHECK(crash_tickets(&occ) == 1 && occ == records + 10);
	live_writer_stop(pid, go);
	/* The writer is gone: the next open removes the spool, adding nothing. */
	CHECK(crash_tickets(&occ) == 1 && occ == records + 10);
	CHECK(file_size(spool_of(path)) == -1);
}

/* The spool rewritten in place (same device and inode, other bytes, as
 * when a removed spool's inode number is reused): the mark does not
 * match its first bytes, so it is read from the start. */
static void test_mark_of_another_file(void)
{
	int64_t occ = 0;
	pid_t pid;
	int go;

	fresh_db("rewritten.db");
	pid = live_writer_start(&go);
	write_spool(50, 0);
	CHECK(crash_tickets(&occ) == 1 && occ == 50);
	CHECK(truncate(spool_of(path), 0) == 0);
	write_spool(80, 1000);
	CHECK(crash_tickets(&occ) == 1 && occ == 130);
	live_writer_stop(pid, go);
}

int main(void)
{
	RUN(test_repaired_faults_leave_nothing);
	RUN(test_resethand);
	RUN(test_fatal_fault_one_ticket);
	RUN(test_ignored_stays_ignored);
	RUN(test_handled_signal_goes_on);
	RUN(test_handler_exits);
	RUN(test_uninstall_leaves_later_handler);
	RUN(test_close_uninstalls);
#ifdef DLCLOSE_CHILD
	RUN(test_dlclose);
#endif
	RUN(test_big_spool_all_ingested);
	RUN(test_big_spool_live_writer);
	RUN(test_mark_of_another_file);
	return check_finish();
}
