/*
 * crash.c - the crash handler: on SIGSEGV, SIGBUS, SIGILL, SIGFPE and
 * SIGABRT, when the signal is about to end the process, it appends one
 * record to a spool file next to the database and lets the signal end the
 * process as it would have.  Installing it changes what is recorded, never
 * how the host behaves.
 *
 * Everything the handler needs is prepared at install time: the spool's
 * descriptor, the module map, the context strings, a pipe for
 * backtrace_symbols_fd(), a warmed-up backtrace() (its first call loads
 * libgcc_s, which allocates) and an alternate signal stack.  The handler
 * itself only uses async-signal-safe calls and static memory: it builds
 * the record in a static buffer and writes it with one write(2) to an
 * O_APPEND descriptor, so records from several threads or processes never
 * interleave.  Threads that crash at once take turns through an atomic
 * owner word; a thread that faults inside the handler goes straight to the
 * default action instead of waiting for itself.
 *
 * The host's own handlers.  We stand in front of the disposition that was
 * installed before us (the "previous" one) and keep its behaviour:
 *
 *  - SIG_IGN: we do not install for that signal at all; it stays ignored.
 *  - A handler: we call it as the kernel would have (sa_sigaction or
 *    sa_handler by SA_SIGINFO; our own sigaction copies its sa_mask,
 *    SA_NODEFER and SA_RESTART, so the mask it runs under is the one it
 *    asked for; SA_RESETHAND makes us stand for SIG_DFL from then on).  We
 *    record nothing before or after it: a JIT's or GC's repaired fault, a
 *    guard page, a siglongjmp out, a signal it just counts, all leave no
 *    record and no change.
 *  - SIG_DFL: the default action of these five signals ends the process,
 *    so this, and only this, is where a crash is recorded: once, then the
 *    default action is taken.
 *
 * When the host's handler gives up.  We record only when we know the
 * process ends by the signal, which is when the disposition we stand for
 * is SIG_DFL.  A handler that cannot handle a fault usually resets the
 * signal to SIG_DFL (sigaction, signal) and returns or re-raises; that
 * replaces our handler in the kernel, and the re-executed fault or the
 * re-raised signal would kill the process unrecorded.  So after the host's
 * handler returns we look: if the disposition is now SIG_DFL, we put
 * ourselves back in front, standing for SIG_DFL, and the death that
 * follows is recorded exactly once.  If the handler does not return
 * because it ends the process itself (_exit, exit), that is the host's
 * own decision about how its process ends, usually after its own report:
 * we record nothing, since recording before calling it would leave a bogus
 * record for every fault it repairs.  If it calls abort(), SIGABRT is
 * recorded as usual (when its disposition is the default).  What we cannot
 * see: a handler that resets SIG_DFL and re-raises with SA_NODEFER dies
 * before returning, and abort() after a host SIGABRT handler returned
 * resets SIGABRT itself; both end unrecorded.
 *
 * Uninstalling (bt_crash_handler_uninstall, bt_close of the handle that
 * installed it through bti_crash_forget, and the library's unload or the
 * process's exit through a destructor) restores the previous dispositions
 * where ours is still in place; a handler the host installed over ours is
 * left alone.  The alternate stack is mmap()ed and never unmapped, so a
 * thread that still has it after dlclose never takes a signal onto
 * unmapped memory.
 *
 * The record format is parsed by crash_parse.c.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "crash.h"
#include "db.h"
#include "versioned.h"

#define MAX_FRAMES 64
#define MAX_MODULES 128
#define MODULE_NAME_MAX 256
#define CONTEXT_MAX 256
#define RECORD_MAX (48 * 1024)
#define ALT_STACK_SIZE (64 * 1024)
#define WAIT_TURN_MS 5000

static const int SIGNALS[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
#define NSIGNALS ((int)(sizeof(SIGNALS) / sizeof(SIGNALS[0])))

typedef struct module {
	uintptr_t base, start, end; /* load bias, and the range of its segments */
	char name[MODULE_NAME_MAX];
} module;

/* The handler's whole world, filled at install. */
static struct {
	int installed;
	int spool_fd;
	int pipe_fd[2];
	int frames_hashed;
	const bt_db *db;                    /* whose spool we write */
	int hooked[NSIGNALS];               /* ours is installed for it */
	struct sigaction previous[NSIGNALS];
	struct sigaction ours[NSIGNALS];
	atomic_int now_default[NSIGNALS];   /* previous stands for SIG_DFL now */
	stack_t previous_stack;
	int stack_replaced;
	module modules[MAX_MODULES];
	int nmodules;
	char context[4][CONTEXT_MAX]; /* service, release, environment, host */
} crash = { .spool_fd = -1, .pipe_fd = { -1, -1 } };

static const char *const CONTEXT_NAMES[4] = { "service", "release", "environment", "host" };
static const bt_context_key CONTEXT_KEYS[4] = {
	BT_CONTEXT_SERVICE, BT_CONTEXT_RELEASE, BT_CONTEXT_ENVIRONMENT, BT_CONTEXT_HOST
};

/* mmap()ed once per load and never unmapped (see the top comment). */
static void *alt_stack;
static pthread_mutex_t install_mu = PTHREAD_MUTEX_INITIALIZER;
static char record[RECORD_MAX];
static char symbols[RECORD_MAX / 2];
static atomic_long owner; /* the tid writing a record, or 0 */

/* ---- async-signal-safe formatting into the record ---- */

typedef struct out {
	char *buf;
	size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_str(out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_dec(out *o, long long v)
{
	char tmp[24];
	int i = sizeof(tmp);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

static void put_hex(out *o, uintptr_t v)
{
	char tmp[2 + 2 * sizeof(v)];
	int i = sizeof(tmp);

	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

/* ---- the handler ---- */

static uintptr_t fault_pc(const void *ucontext)
{
	const ucontext_t *uc = ucontext;

	if (!uc)
		return 0;
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__i386__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_EIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	return 0;
#endif
}

static int module_of(uintptr_t addr)
{
	for (int i = 0; i < crash.nmodules; i++)
		if (addr >= crash.modules[i].start && addr < crash.modules[i].end)
			return i;
	return -1;
}

/* Copy what backtrace_symbols_fd wrote into the pipe to @o, each line
 * prefixed with "sym ". */
static void put_symbols(out *o, void *const *frames, int n)
{
	ssize_t got;
	size_t len = 0, i, start = 0;

	/* Left over by a thread that gave up waiting: not ours. */
	while (read(crash.pipe_fd[0], symbols, sizeof(symbols)) > 0)
		;
	backtrace_symbols_fd(frames, n, crash.pipe_fd[1]);
	while (len < sizeof(symbols) &&
	       (got = read(crash.pipe_fd[0], symbols + len, sizeof(symbols) - len)) > 0)
		len += (size_t)got;
	for (i = 0; i < len; i++) {
		if (symbols[i] == '\n') {
			put_str(o, "sym ");
			put(o, symbols + start, i - start + 1);
			start = i + 1;
		}
	}
}

static void write_record(int sig, const siginfo_t *info, const void *ucontext, long tid)
{
	void *frames[MAX_FRAMES];
	out o = { record, 0, sizeof(record) };
	struct timespec now;
	int n, i;

	n = backtrace(frames, MAX_FRAMES);
	clock_gettime(CLOCK_REALTIME, &now);
	put_str(&o, "BTCRASH 1\nsignal ");
	put_dec(&o, sig);
	put_str(&o, "\ncode ");
	put_dec(&o, info ? info->si_code : 0);
	put_str(&o, "\naddr ");
	put_hex(&o, info ? (uintptr_t)info->si_addr : 0);
	put_str(&o, "\npc ");
	put_hex(&o, fault_pc(ucontext));
	put_str(&o, "\npid ");
	put_dec(&o, (long long)getpid());
	put_str(&o, "\ntid ");
	put_dec(&o, tid);
	put_str(&o, "\ntime ");
	put_dec(&o, (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	put_str(&o, "\nnsec ");
	put_dec(&o, now.tv_nsec);
	put_str(&o, "\nhashed ");
	put_dec(&o, crash.frames_hashed);
	put_str(&o, "\n");
	for (i = 0; i < 4; i++) {
		if (crash.context[i][0]) {
			put_str(&o, CONTEXT_NAMES[i]);
			put_str(&o, " ");
			put_str(&o, crash.context[i]);
			put_str(&o, "\n");
		}
	}
	for (i = 0; i < crash.nmodules; i++) {
		put_str(&o, "module ");
		put_dec(&o, i);
		put_str(&o, " ");
		put_hex(&o, crash.modules[i].base);
		put_str(&o, " ");
		put_str(&o, crash.modules[i].name);
		put_str(&o, "\n");
	}
	for (i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)frames[i];
		int m = module_of(a);

		put_str(&o, "frame ");
		put_hex(&o, a);
		put_str(&o, " ");
		put_dec(&o, m);
		put_str(&o, " ");
		put_hex(&o, m >= 0 ? a - crash.modules[m].base : a);
		put_str(&o, "\n");
	}
	put_symbols(&o, frames, n);
	/* The end line carries the record's length: a reader can tell a
	 * complete record from one cut short. */
	size_t body = o.len;
	put_str(&o, "END ");
	put_dec(&o, (long long)body);
	put_str(&o, "\n");
	if (o.len < o.cap) {
		ssize_t w;

		do
			w = write(crash.spool_fd, record, o.len);
		while (w < 0 && errno == EINTR);
	}
}

/* Wait for our turn to use the static buffers; 0 if we must not write. */
static int take_turn(long tid)
{
	long expected = 0;
	struct timespec ms = { 0, 1000000 };

	for (int waited = 0; waited < WAIT_TURN_MS; waited++) {
		if (atomic_compare_exchange_strong(&owner, &expected, tid))
			return 1;
		if (expected == tid)
			return 0; /* a fault inside our own handler */
		expected = 0;
		nanosleep(&ms, NULL);
	}
	return 0;
}

static void handler(int sig, siginfo_t *info, void *ucontext);

static int signal_index(int sig)
{
	for (int i = 0; i < NSIGNALS; i++)
		if (SIGNALS[i] == sig)
			return i;
	return -1;
}

static int is_ours(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == handler;
}

/* Call the host's handler @prev as the kernel would have.  The mask is
 * already right: our sigaction carries its sa_mask and SA_NODEFER. */
static void call_previous(int i, int sig, siginfo_t *info, void *ucontext)
{
	const struct sigaction *prev = &crash.previous[i];
	struct sigaction now;

	if (prev->sa_flags & SA_RESETHAND)
		atomic_store(&crash.now_default[i], 1);
	if (prev->sa_flags & SA_SIGINFO)
		prev->sa_sigaction(sig, info, ucontext);
	else
		prev->sa_handler(sig);
	/* It returned.  If it reset the signal to the default, the re-executed
	 * fault or the signal it re-raised ends the process: stand in front
	 * again, for SIG_DFL, so that this death is recorded. */
	if (sigaction(sig, NULL, &now) == 0 && !is_ours(&now) && !(now.sa_flags & SA_SIGINFO) &&
	    now.sa_handler == SIG_DFL) {
		atomic_store(&crash.now_default[i], 1);
		sigaction(sig, &crash.ours[i], NULL);
	}
}

/* Take the default action, as if we had never been here: a fault
 * re-executes and dies; a raised or sent signal is delivered again when
 * this handler returns (it is blocked until then). */
static void take_default(int sig, const siginfo_t *info)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (!info || info->si_code <= 0 || sig == SIGABRT)
		raise(sig);
}

static void handler(int sig, siginfo_t *info, void *ucontext)
{
	int saved_errno = errno, i = signal_index(sig);
	long tid;

	if (i < 0)
		return;
	if (!atomic_load(&crash.now_default[i]) && crash.previous[i].sa_handler != SIG_DFL &&
	    crash.previous[i].sa_handler != SIG_IGN) {
		call_previous(i, sig, info, ucontext);
		errno = saved_errno;
		return;
	}
	/* SIG_DFL: the process ends now; record it once. */
	tid = (long)syscall(SYS_gettid);
	if (crash.installed && crash.spool_fd >= 0 && take_turn(tid)) {
		write_record(sig, info, ucontext, tid);
		atomic_store(&owner, 0);
	}
	take_default(sig, info);
	errno = saved_errno;
}

/* ---- install and uninstall (ordinary context) ---- */

static int add_module(struct dl_phdr_info *info, size_t size, void *payload)
{
	module *m;
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	(void)size;
	(void)payload;
	if (crash.nmodules >= MAX_MODULES)
		return 1;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (lo >= hi)
		return 0;
	m = &crash.modules[crash.nmodules++];
	m->base = info->dlpi_addr;
	m->start = lo;
	m->end = hi;
	if (info->dlpi_name && info->dlpi_name[0]) {
		snprintf(m->name, sizeof(m->name), "%s", info->dlpi_name);
	} else {
		/* The main program has no name here. */
		ssize_t n = readlink("/proc/self/exe", m->name, sizeof(m->name) - 1);

		m->name[n > 0 ? n : 0] = '\0';
		if (n <= 0)
			snprintf(m->name, sizeof(m->name), "[main]");
	}
	/* One line per module in the record. */
	for (char *p = m->name; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '?';
	return 0;
}

/* Open the spool and hold a shared lock on it for as long as this process
 * may write to it: ingestion removes the file only when it can take the
 * lock exclusively.  If ingestion removed the file between our open and
 * our lock, open it again. */
static int open_spool(const char *path)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct stat a, b;
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
			/* Being ingested right now: it is brief. */
			struct timespec ms = { 0, 20000000 };

			close(fd);
			nanosleep(&ms, NULL);
			continue;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	errno = EBUSY;
	return -1;
}

static void copy_context(bt_db *db)
{
	if (bti_db_lock(db, "bt_crash_handler_install") != BT_OK)
		return;
	for (int i = 0; i < 4; i++) {
		const char *v = db->context[CONTEXT_KEYS[i]];

		snprintf(crash.context[i], CONTEXT_MAX, "%s", v ? v : "");
		for (char *p = crash.context[i]; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	bti_db_unlock(db);
}

static void close_spool(void)
{
	if (crash.spool_fd >= 0)
		close(crash.spool_fd);
	crash.spool_fd = -1;
}

/* Our sigaction for signal @i: it keeps the previous handler's mask,
 * SA_NODEFER and SA_RESTART, so that calling it from ours changes nothing
 * for the host (which syscalls restart, what is blocked while it runs). */
static void make_ours(int i)
{
	struct sigaction *sa = &crash.ours[i];
	const struct sigaction *prev = &crash.previous[i];

	memset(sa, 0, sizeof(*sa));
	sa->sa_sigaction = handler;
	sa->sa_flags = SA_SIGINFO | SA_ONSTACK | (prev->sa_flags & (SA_NODEFER | SA_RESTART));
	sa->sa_mask = prev->sa_mask;
}

/* An alternate stack, unless the thread already has one. */
static void use_alt_stack(void)
{
	stack_t ss;

	if (sigaltstack(NULL, &crash.previous_stack) != 0 ||
	    !(crash.previous_stack.ss_flags & SS_DISABLE))
		return;
	if (!alt_stack) {
		void *p = mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (p == MAP_FAILED)
			return;
		alt_stack = p;
	}
	ss.ss_sp = alt_stack;
	ss.ss_size = ALT_STACK_SIZE;
	ss.ss_flags = 0;
	crash.stack_replaced = sigaltstack(&ss, NULL) == 0;
}

static void hook_signals(void)
{
	for (int i = 0; i < NSIGNALS; i++) {
		crash.hooked[i] = 0;
		atomic_store(&crash.now_default[i], 0);
		if (sigaction(SIGNALS[i], NULL, &crash.previous[i]) != 0 ||
		    (!(crash.previous[i].sa_flags & SA_SIGINFO) &&
		     crash.previous[i].sa_handler == SIG_IGN))
			continue; /* ignored stays ignored */
		make_ours(i);
		crash.hooked[i] = sigaction(SIGNALS[i], &crash.ours[i], NULL) == 0;
	}
}

static void uninstall_locked(void)
{
	if (!crash.installed)
		return;
	for (int i = 0; i < NSIGNALS; i++) {
		struct sigaction now, restore = crash.previous[i];

		/* A handler installed over ours is the host's: leave it. */
		if (!crash.hooked[i] || sigaction(SIGNALS[i], NULL, &now) != 0 || !is_ours(&now))
			continue;
		if (atomic_load(&crash.now_default[i])) {
			memset(&restore, 0, sizeof(restore));
			restore.sa_handler = SIG_DFL;
			sigemptyset(&restore.sa_mask);
		}
		sigaction(SIGNALS[i], &restore, NULL);
		crash.hooked[i] = 0;
	}
	if (crash.stack_replaced) {
		stack_t now;

		/* Only the installing thread has ours; another thread's stays. */
		if (sigaltstack(NULL, &now) == 0 && now.ss_sp == alt_stack && !(now.ss_flags & SS_ONSTACK))
			sigaltstack(&crash.previous_stack, NULL);
		crash.stack_replaced = 0;
	}
	crash.installed = 0;
	crash.db = NULL;
	close_spool();
	close(crash.pipe_fd[0]);
	close(crash.pipe_fd[1]);
	crash.pipe_fd[0] = crash.pipe_fd[1] = -1;
}

/* A fork while another thread installs must not leave the child's
 * install_mu locked forever (its bt_close would wait on it). */
static void fork_prepare(void)
{
	pthread_mutex_lock(&install_mu);
}

static void fork_done(void)
{
	pthread_mutex_unlock(&install_mu);
}

static void register_atfork(void)
{
	pthread_atfork(fork_prepare, fork_done, fork_done);
}

int bt_crash_handler_install(bt_db *db, const bt_crash_options *opts)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	bt_crash_options o;
	void *warm[4];
	char path[PATH_MAX];
	int frames, fd, rc;

	if (!db)
		return bti_error(BT_EINVALID, "bt_crash_handler_install: db is NULL");
	if (bti_versioned_in(&bti_v_crash_options, "bt_crash_handler_install", opts, &o) != BT_OK)
		return BT_EINVALID;
	frames = o.fingerprint_frames ? o.fingerprint_frames : BTI_CRASH_DEFAULT_FRAMES;
	if (frames < 1 || frames > BTI_CRASH_MAX_FRAMES)
		return bti_error(BT_EINVALID, "bt_crash_handler_install: fingerprint_frames %d is outside "
				 "1..%d", frames, BTI_CRASH_MAX_FRAMES);
	if (db->cfg.flags & BT_OPEN_READONLY)
		return bti_error(BT_EINVALID, "bt_crash_handler_install: the handle is read-only; "
				 "crashes could never be ingested");
	if ((rc = bti_crash_spool_path(db, path, sizeof(path), 1)) != BT_OK)
		return bti_error_rewrap(rc, "bt_crash_handler_install: %s", bt_error_message());

	fd = open_spool(path);
	if (fd < 0)
		return bti_error(BT_EIO, "bt_crash_handler_install: cannot open the spool %s: %s",
				 path, strerror(errno));
	pthread_once(&once, register_atfork);
	pthread_mutex_lock(&install_mu);
	if (!crash.installed && pipe2(crash.pipe_fd, O_NONBLOCK | O_CLOEXEC) != 0) {
		pthread_mutex_unlock(&install_mu);
		close(fd);
		return bti_error(BT_EIO, "bt_crash_handler_install: cannot create a pipe: %s",
				 strerror(errno));
	}
	backtrace(warm, 4);
	crash.nmodules = 0;
	dl_iterate_phdr(add_module, NULL);
	copy_context(db);
	crash.frames_hashed = frames;
	close_spool();
	crash.spool_fd = fd;
	crash.db = db;
	if (!crash.installed) {
		use_alt_stack();
		hook_signals();
		crash.installed = 1;
	}
	pthread_mutex_unlock(&install_mu);
	return BT_OK;
}

int bt_crash_handler_uninstall(void)
{
	pthread_mutex_lock(&install_mu);
	uninstall_locked();
	pthread_mutex_unlock(&install_mu);
	return BT_OK;
}

void bti_crash_forget(const bt_db *db)
{
	pthread_mutex_lock(&install_mu);
	if (crash.installed && crash.db == db)
		uninstall_locked();
	pthread_mutex_unlock(&install_mu);
}

/* dlclose() and exit: our handler's code is about to go away. */
__attribute__((destructor)) static void crash_unload(void)
{
	bt_crash_handler_uninstall();
}
