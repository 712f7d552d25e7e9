/*
 * test_faults.c - I/O-error and out-of-memory injection at every point of a
 * scripted workload, the way SQLite tests itself.
 *
 * One workload walks the library's main paths: open and migrate, log, dedup,
 * an event, a lookup, a report, lifecycle moves (triage, claim, note,
 * resolve, regression), a hand-filed report, an import and a purge.  It is
 * first run clean to count its fault points, then once per point N:
 *
 *  - io mode: a VFS shim wrapped around the default VFS makes the Nth read,
 *    write, sync, truncate, lock or open (and every such call after it, until
 *    the step ends) fail, with SQLITE_IOERR_* or, for writes in the "full"
 *    pass, SQLITE_FULL; the "io-once" pass fails the Nth call alone;
 *  - oom mode: the Nth allocation, counted over the library's own allocator
 *    (bti_malloc and friends) and SQLite's (SQLITE_CONFIG_MALLOC), and every
 *    one after it until the step ends, returns NULL.
 *
 * At every point: the failing call returns an error code with a message;
 * once the fault is cleared the same handle goes on working (every later
 * step succeeds); PRAGMA integrity_check passes; and everything a call
 * acknowledged with BT_OK is still there.  Leaks are LeakSanitizer's and
 * valgrind's to find.
 *
 * A second, asynchronous workload (the default: log, flush, close) runs
 * under io and oom too; there the writer thread meets the faults, and what
 * bt_flush acknowledged must be durable, a clean close must commit every
 * accepted call, and no retried batch may count twice.
 *
 * The migrations of a new file are most of the allocations, and every run
 * repeated them: the OOM sweeps try them once, in the open of a new file
 * alone, and start every other run from a migrated copy (prepare_database).
 *
 * Usage: test_faults [io|full|io-once|oom|async-io|async-oom]... (default:
 * all).  Set
 * BT_FAULTS_STRIDE=K to try only every Kth point (a quick local run), and
 * BT_FAULTS_FIRST=N to start at point N (to replay one).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "internal.h"

/* ------------------------------------------------------------------------ */
/* The fault switch shared by both modes. */

enum fault_mode { MODE_IO, MODE_FULL, MODE_IO_ONCE, MODE_OOM, MODE_COUNT };
static const char *const MODE_NAME[] = { "io", "full", "io-once", "oom" };

static struct {
	enum fault_mode mode;
	atomic_long calls;  /* fault points passed since the workload began */
	long fail_at;       /* 1-based point that fails first; 0: never */
	atomic_int failing; /* set at fail_at, cleared at the end of the step */
	atomic_int hit;     /* a failure was injected in the current step */
	atomic_int fired;   /* the point was reached in this run */
	int enabled;        /* counting at all (not during verification) */
} fault;

/* Is this fault point to fail?  Counts it either way. */
static int fault_point(void)
{
	long n;

	if (!fault.enabled)
		return 0;
	if (atomic_load(&fault.failing))
		return 1;
	n = atomic_fetch_add(&fault.calls, 1) + 1;
	if (fault.fail_at && n == fault.fail_at) {
		/* io-once fails one call: SQLite's and the library's retries get
		 * their chance.  The others fail everything until the step ends. */
		if (fault.mode != MODE_IO_ONCE)
			atomic_store(&fault.failing, 1);
		atomic_store(&fault.fired, 1);
		atomic_store(&fault.hit, 1);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* io mode: a VFS shim over the default VFS. */

static sqlite3_vfs *real_vfs;

typedef struct fault_file {
	sqlite3_file base;
	sqlite3_file *real; /* lives right after this struct */
} fault_file;

#define REAL(f) (((fault_file *)(f))->real)

static int io_fault(int code)
{
	return fault.mode != MODE_OOM && fault_point() ? code : SQLITE_OK;
}

static int ff_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int ff_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	int rc = io_fault(SQLITE_IOERR_READ);

	return rc ? rc : REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int ff_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	int rc = io_fault(fault.mode == MODE_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE);

	return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), buf, amt, off);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = io_fault(fault.mode == MODE_FULL ? SQLITE_FULL : SQLITE_IOERR_TRUNCATE);

	return rc ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int ff_sync(sqlite3_file *f, int flags)
{
	int rc = io_fault(SQLITE_IOERR_FSYNC);

	return rc ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int ff_lock(sqlite3_file *f, int level)
{
	int rc = io_fault(SQLITE_IOERR_LOCK);

	return rc ? rc : REAL(f)->pMethods->xLock(REAL(f), level);
}

/* Unlocking is never failed: a real unlock cannot fail either. */
static int ff_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int ff_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int ff_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int ff_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int ff_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int ff_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, pp);
}

static int ff_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	if (flags & SQLITE_SHM_LOCK) {
		int rc = io_fault(SQLITE_IOERR_SHMLOCK);

		if (rc)
			return rc;
	}
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void ff_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int ff_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

/* No memory-mapped reads: every page read goes through ff_read. */
static int ff_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	(void)f, (void)off, (void)amt;
	*pp = NULL;
	return SQLITE_OK;
}

static int ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fault_methods = {
	3, ff_close, ff_read, ff_write, ff_truncate, ff_sync, ff_file_size,
	ff_lock, ff_unlock, ff_check_reserved, ff_file_control, ff_sector_size,
	ff_device_characteristics, ff_shm_map, ff_shm_lock, ff_shm_barrier,
	ff_shm_unmap, ff_fetch, ff_unfetch,
};

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
		   int *out_flags)
{
	fault_file *ff = (fault_file *)file;
	int rc;

	(void)vfs;
	ff->base.pMethods = NULL;
	ff->real = (sqlite3_file *)(ff + 1);
	rc = io_fault(SQLITE_CANTOPEN);
	if (rc)
		return rc;
	rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
	if (ff->real->pMethods) {
		if (ff->real->pMethods->iVersion < 3) {
			/* The shim forwards version-3 methods only. */
			ff->real->pMethods->xClose(ff->real);
			return SQLITE_CANTOPEN;
		}
		ff->base.pMethods = &fault_methods;
	}
	return rc;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int fv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int fv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *fv_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void fv_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*fv_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void fv_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int fv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int fv_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int fv_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int fv_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int fv_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs fault_vfs = {
	.iVersion = 2,
	.zName = "bt-faults",
	.xOpen = fv_open,
	.xDelete = fv_delete,
	.xAccess = fv_access,
	.xFullPathname = fv_full_pathname,
	.xDlOpen = fv_dlopen,
	.xDlError = fv_dlerror,
	.xDlSym = fv_dlsym,
	.xDlClose = fv_dlclose,
	.xRandomness = fv_randomness,
	.xSleep = fv_sleep,
	.xCurrentTime = fv_current_time,
	.xGetLastError = fv_last_error,
	.xCurrentTimeInt64 = fv_current_time64,
};

/* ------------------------------------------------------------------------ */
/* oom mode: both allocators share the fault switch. */

static sqlite3_mem_methods real_mem;

static int oom_point(size_t size)
{
	(void)size;
	return fault.mode == MODE_OOM && fault_point();
}

static void *fm_malloc(int n)
{
	return oom_point((size_t)n) ? NULL : real_mem.xMalloc(n);
}

static void fm_free(void *p)
{
	real_mem.xFree(p);
}

static void *fm_realloc(void *p, int n)
{
	return oom_point((size_t)n) ? NULL : real_mem.xRealloc(p, n);
}

static int fm_size(void *p)
{
	return real_mem.xSize(p);
}

static int fm_roundup(int n)
{
	return real_mem.xRoundup(n);
}

static int fm_init(void *arg)
{
	return real_mem.xInit(arg);
}

static void fm_shutdown(void *arg)
{
	real_mem.xShutdown(arg);
}

static void install_shims(void)
{
	static const sqlite3_mem_methods methods = {
		fm_malloc, fm_free, fm_realloc, fm_size, fm_roundup, fm_init, fm_shutdown, NULL,
	};

	/* SQLITE_CONFIG_MALLOC only works before SQLite initialises. */
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK ||
	    sqlite3_initialize() != SQLITE_OK) {
		fprintf(stderr, "faults: cannot install the allocator shim\n");
		exit(1);
	}
	real_vfs = sqlite3_vfs_find(NULL);
	fault_vfs.szOsFile = (int)sizeof(fault_file) + real_vfs->szOsFile;
	fault_vfs.mxPathname = real_vfs->mxPathname;
	if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK) {
		fprintf(stderr, "faults: cannot register the VFS shim\n");
		exit(1);
	}
	bti_alloc_set_fault_hook(oom_point);
}

/* ------------------------------------------------------------------------ */
/* The workload and what it acknowledged. */

#define DAY_MS ((int64_t)24 * 60 * 60 * 1000)

static int64_t clock_now;

static int64_t test_clock(void *payload)
{
	(void)payload;
	return clock_now;
}

/* What BT_OK promised, step by step. */
typedef struct model {
	bt_db *db;
	int64_t event_ticket;  /* the ticket of the "w.e" event, once known */
	char token[BT_CLAIM_TOKEN_SIZE];
	int old_logged, a_acked, a_tried, b_acked, e_acked, e_tried;
	int triaged, claimed, noted, resolved, regressed, reported, imported, purged;
	/* asynchronous capture: calls accepted, and how many of them the last
	 * successful bt_flush made durable */
	int x_accepted, x_flushed, closed_clean;
	unsigned int hit_steps; /* bit i: step i met the fault */
	int failed_step;       /* the step that met the fault; -1: none */
	int failed_rc;
	int late_failures;     /* steps that failed after the fault was cleared */
} model;

static const char *const IMPORT_DOC =
	"[{\"report_id\": \"F-1\", \"title\": \"imported one\", \"status\": \"open\","
	"  \"severity\": \"high\", \"submitted_at\": \"2026-09-20T03:04:05Z\"},"
	" {\"report_id\": \"F-2\", \"title\": \"imported two\", \"status\": \"resolved\","
	"  \"submitted_at\": \"2026-09-20\"}]";

static int log_a(model *m)
{
	int rc;

	m->a_tried++;
	rc = bt_log_at(m->db, BT_CRITICAL, "w.a", "faults.c", 10, "step_a",
		       "timeout after %d ms talking to %s", 1500 + m->a_tried, "db-1");
	m->a_acked += rc == BT_OK;
	return rc;
}

static int log_e(model *m)
{
	bt_event ev = BT_EVENT_INIT;
	int64_t id = 0;
	int rc;

	ev.level = BT_CRITICAL;
	ev.component = "w.e";
	ev.message = "ledger imbalance of 42 cents";
	ev.message_template = "ledger imbalance of %d cents";
	ev.error_type = "LedgerError";
	ev.context_json = "{\"account\": 7}";
	m->e_tried++;
	rc = bt_log_event(m->db, &ev, &id);
	if (rc == BT_OK) {
		m->e_acked++;
		m->event_ticket = id;
	}
	return rc;
}

static int step_open(model *m)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;

	o.clock = test_clock;
	return bt_open(&m->db, check_path("faults.db"), &o);
}

static int step_log_old(model *m)
{
	int rc;

	clock_now -= 100 * DAY_MS;
	rc = bt_log_at(m->db, BT_CRITICAL, "w.old", NULL, 0, NULL, "stale failure %d", 1);
	clock_now += 100 * DAY_MS;
	m->old_logged = rc == BT_OK;
	return rc;
}

static int step_log_b(model *m)
{
	int rc = bt_log_at(m->db, BT_ERROR, "w.b", "faults.c", 20, "step_b",
			   "retrying %s", "upload");

	m->b_acked += rc == BT_OK;
	return rc;
}

static int step_lookup(model *m)
{
	bt_event ev = BT_EVENT_INIT;
	bt_ticket *t = NULL;
	int rc;

	ev.level = BT_CRITICAL;
	ev.component = "w.e";
	ev.message = "ledger imbalance of 43 cents";
	ev.message_template = "ledger imbalance of %d cents";
	ev.error_type = "LedgerError";
	char fp[BT_FINGERPRINT_SIZE];

	rc = bt_fingerprint(m->db, &ev, fp);
	if (rc == BT_OK)
		rc = bt_dedup_lookup(m->db, fp, &t);
	if (rc == BT_OK) {
		CHECK(bt_ticket_occurrence_count(t) >= m->e_acked);
		if (m->event_ticket)
			CHECK(bt_ticket_id(t) == m->event_ticket);
		else
			m->event_ticket = bt_ticket_id(t);
		bt_ticket_free(t);
	}
	return rc;
}

static int step_report(model *m)
{
	bt_aggregate_iter *it = NULL;
	int rc = bt_aggregate_iter_new(m->db, BT_AGGREGATE_TOP, NULL, &it);
	int rows = 0;

	while (rc == BT_OK && (rc = bt_aggregate_iter_next(it)) == BT_OK)
		rows++;
	bt_aggregate_iter_free(it);
	if (rc == BT_ITEROVER) {
		CHECK(rows >= (m->a_acked > 0) + (m->e_acked > 0));
		rc = BT_OK;
	}
	return rc;
}

static bt_update_options update_opts(model *m)
{
	bt_update_options u = BT_UPDATE_OPTIONS_INIT;

	u.actor = "faults";
	if (m->claimed)
		u.claim_token = m->token;
	return u;
}

static int step_triage(model *m)
{
	bt_update_options u = update_opts(m);
	int rc = bt_ticket_set_status(m->db, m->event_ticket, BT_STATUS_TRIAGED, &u);

	m->triaged = rc == BT_OK;
	return rc;
}

static int step_claim(model *m)
{
	int rc = bt_ticket_claim(m->db, m->event_ticket, "agent-f", 600, m->token);

	m->claimed = rc == BT_OK;
	return rc;
}

static int step_note(model *m)
{
	bt_update_options u = update_opts(m);
	int rc = bt_ticket_note(m->db, m->event_ticket, "looked at the ledger", &u);

	m->noted = rc == BT_OK;
	return rc;
}

static int step_resolve(model *m)
{
	bt_update_options u = update_opts(m);
	int rc = bt_ticket_resolve(m->db, m->event_ticket, "rounding fixed", "0123abcd",
				   NULL, &u);

	m->resolved = rc == BT_OK;
	return rc;
}

static int step_regress(model *m)
{
	int before = m->e_acked;
	int rc = log_e(m);

	m->regressed = m->resolved && m->e_acked > before;
	return rc;
}

static int step_report_create(model *m)
{
	bt_report r = BT_REPORT_INIT;
	int rc;

	r.title = "filed by hand under faults";
	r.component = "w.r";
	r.context_json = "{\"k\": [1, 2, 3]}";
	rc = bt_report_create(m->db, &r, NULL, NULL);
	m->reported = rc == BT_OK;
	return rc;
}

static int step_import(model *m)
{
	bt_import_result res = BT_IMPORT_RESULT_INIT;
	int rc = bt_import_json(m->db, IMPORT_DOC, strlen(IMPORT_DOC), NULL, &res);

	m->imported = rc == BT_OK;
	return rc;
}

static int step_purge(model *m)
{
	bt_purge_options p = BT_PURGE_OPTIONS_INIT;
	bt_purge_result res = BT_PURGE_RESULT_INIT;
	int rc;

	p.older_than_days = 30;
	p.include_open = 1;
	p.batch_size = 1;
	rc = bt_purge(m->db, &p, &res);
	m->purged = rc == BT_OK;
	return rc;
}

static int step_log_a(model *m)
{
	return log_a(m);
}

static int step_log_e(model *m)
{
	return log_e(m);
}

/* ---- the asynchronous workload: the writer thread meets the faults ---- */

static int step_open_async(model *m)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;

	o.clock = test_clock;
	o.flags = 0; /* asynchronous: the default */
	/* Commits happen only when bt_flush asks (or at close), so that the
	 * fault points are the same in every run. */
	o.async_flush_interval_ms = 60000;
	o.busy_timeout_ms = 50; /* bt_close gives up after twice this */
	return bt_open(&m->db, check_path("faults.db"), &o);
}

static int step_log_x(model *m)
{
	int rc = bt_log_at(m->db, BT_CRITICAL, "w.x", "faults.c", 30, "step_x",
			   "queue %s overflowed by %d", "ingest", m->x_accepted);

	m->x_accepted += rc == BT_OK;
	return rc;
}

static int step_flush(model *m)
{
	int rc = bt_flush(m->db, 5000);

	if (rc == BT_OK)
		m->x_flushed = m->x_accepted;
	return rc;
}

static int step_close(model *m)
{
	bt_close(m->db);
	m->db = NULL;
	return BT_OK;
}

typedef struct step {
	const char *name;
	int (*run)(model *m);
	int needs_ticket; /* skipped while the event's ticket is unknown */
} step;

static const step STEPS[] = {
	{ "open", step_open, 0 },
	{ "log_old", step_log_old, 0 },
	{ "log_a", step_log_a, 0 },
	{ "log_a_dedup", step_log_a, 0 },
	{ "log_b", step_log_b, 0 },
	{ "log_e", step_log_e, 0 },
	{ "lookup", step_lookup, 0 },
	{ "report", step_report, 0 },
	{ "triage", step_triage, 1 },
	{ "claim", step_claim, 1 },
	{ "note", step_note, 1 },
	{ "resolve", step_resolve, 1 },
	{ "regress", step_regress, 0 },
	{ "report_create", step_report_create, 0 },
	{ "import", step_import, 0 },
	{ "purge", step_purge, 0 },
	{ "log_a_again", step_log_a, 0 },
};
#define NSTEPS ((int)(sizeof(STEPS) / sizeof(STEPS[0])))

static const step ASYNC_STEPS[] = {
	{ "open_async", step_open_async, 0 },
	{ "log_x", step_log_x, 0 },
	{ "log_x", step_log_x, 0 },
	{ "flush", step_flush, 0 },
	{ "log_x", step_log_x, 0 },
	{ "log_x", step_log_x, 0 },
	{ "flush", step_flush, 0 },
	{ "log_x", step_log_x, 0 },
	{ "close", step_close, 0 },
};
#define NASYNC_STEPS ((int)(sizeof(ASYNC_STEPS) / sizeof(ASYNC_STEPS[0])))

/* Which workload a sweep runs. */
typedef struct workload {
	const char *name;
	const step *steps;
	int nsteps;
	int (*reopen)(model *m);
	/* 1: each run starts from a migrated, empty database (see
	 * prepare_database); 0: from no file at all. */
	int from_template;
} workload;

static const workload SYNC_WORKLOAD = { "sync", STEPS, NSTEPS, step_open, 0 };
/* The OOM sweep splits the sync workload in two, for time: the open of a
 * new file (its migrations are 15,696 of the 22,702 points, and each of
 * those runs ends at the open) and, from a migrated copy, the open of an
 * existing database and every step after it.  Each run of the second no
 * longer migrates first. */
static const workload SYNC_OPEN_WORKLOAD = { "sync-open", STEPS, 1, step_open, 0 };
static const workload SYNC_TEMPLATE_WORKLOAD = { "sync", STEPS, NSTEPS, step_open, 1 };
static const workload ASYNC_WORKLOAD = { "async", ASYNC_STEPS, NASYNC_STEPS, step_open_async, 1 };

/* The codes a storage fault may surface as. */
static int is_storage_code(int rc)
{
	return rc == BT_EIO || rc == BT_ENOMEM || rc == BT_ECANTOPEN || rc == BT_EBUSY ||
	       rc == BT_ECORRUPT || rc == BT_EREADONLY;
}

/*
 * A step that follows a failed one may meet a state that the failed call
 * left half-known to the model (a claim that committed although the call
 * reported an error, say).  Those refusals are the library being right, not
 * stuck: they are allowed, storage errors are not.
 */
static int is_state_code(int rc)
{
	return rc == BT_ECONFLICT || rc == BT_ESTATE || rc == BT_EBUSY || rc == BT_ENOTFOUND;
}

static void run_workload(const workload *w, model *m, int *codes_seen)
{
	const step *steps = w->steps;
	memset(m, 0, sizeof(*m));
	m->failed_step = -1;
	clock_now = (int64_t)1790000000 * 1000;
	atomic_store(&fault.calls, 0);
	atomic_store(&fault.failing, 0);
	atomic_store(&fault.fired, 0);
	atomic_store(&fault.hit, 0);
	fault.enabled = 1;

	for (int i = 0; i < w->nsteps; i++) {
		int rc;

		if (steps[i].needs_ticket && !m->event_ticket)
			continue;
		if (i > 0 && !m->db)
			break;
		bt_error_clear();
		atomic_store(&fault.hit, 0);
		if (getenv("BT_FAULTS_VERBOSE"))
			fprintf(stderr, "faults: step %s\n", steps[i].name);
		rc = steps[i].run(m);
		clock_now += 1000;
		if (atomic_load(&fault.hit)) {
			/* This step met the fault. */
			m->hit_steps |= 1u << i;
			atomic_store(&fault.failing, 0);
			if (rc == BT_OK) {
				/* Absorbed: SQLite retried, or a benign allocation. */
				if (getenv("BT_FAULTS_VERBOSE"))
					fprintf(stderr, "faults: %s point %ld: step %s absorbed it\n",
						MODE_NAME[fault.mode], fault.fail_at, steps[i].name);
				continue;
			}
			m->failed_step = i;
			m->failed_rc = rc;
			if (codes_seen && -rc < 16)
				codes_seen[-rc]++;
			if (!is_storage_code(rc) && rc != BT_EINTERNAL) {
				fprintf(stderr, "faults: %s point %ld: step %s returned %d (%s): %s\n",
					MODE_NAME[fault.mode], fault.fail_at, steps[i].name, rc,
					bt_strerror(rc), bt_error_message());
				check_failures++;
			}
			if (bt_error_message()[0] == '\0') {
				fprintf(stderr, "faults: %s point %ld: step %s failed with no message\n",
					MODE_NAME[fault.mode], fault.fail_at, steps[i].name);
				check_failures++;
			}
			if (i == 0) {
				/* The process keeps going: the next open must work. */
				CHECK(m->db == NULL);
				rc = w->reopen(m);
				if (rc != BT_OK) {
					fprintf(stderr, "faults: %s point %ld: reopening failed: %s\n",
						MODE_NAME[fault.mode], fault.fail_at, bt_error_message());
					check_failures++;
				}
			}
			continue;
		}
		if (rc == BT_OK)
			continue;
		/* Failed with no fault active. */
		if (m->failed_step >= 0 && is_state_code(rc))
			continue;
		m->late_failures++;
		fprintf(stderr, "faults: %s point %ld: step %s returned %d (%s) %s: %s\n",
			MODE_NAME[fault.mode], fault.fail_at, steps[i].name, rc, bt_strerror(rc),
			m->failed_step >= 0 ? "after the fault was cleared" : "with no fault",
			bt_error_message());
		check_failures++;
	}
	fault.enabled = 0;
	if (m->db) {
		bt_close(m->db);
		m->db = NULL;
	} else {
		/* The workload's own last step closed the handle. */
		m->closed_clean = !(m->hit_steps & (1u << (w->nsteps - 1)));
	}
}

/* ------------------------------------------------------------------------ */
/* Verification, with every fault off. */

static void fail_point(const char *what)
{
	fprintf(stderr, "faults: %s point %ld: %s\n", MODE_NAME[fault.mode], fault.fail_at, what);
	check_failures++;
}

static void verify(const model *m)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	bt_db *bt = NULL;
	char sql[256];

	if (sqlite3_open_v2(check_path("faults.db"), &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fail_point("the database cannot be opened after the fault");
		sqlite3_close(db);
		return;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *ok = (const char *)sqlite3_column_text(st, 0);

		if (!ok || strcmp(ok, "ok") != 0)
			fail_point("integrity_check failed");
	} else {
		fail_point("integrity_check did not run");
	}
	sqlite3_finalize(st);

	/* One ticket per fingerprint among those open to dedup. */
	if (check_query_int(db, "SELECT count(*) FROM (SELECT fingerprint FROM tickets WHERE"
			  " dedup_active = 1 AND fingerprint IS NOT NULL GROUP BY fingerprint"
			  " HAVING count(*) > 1)") > 0)
		fail_point("two tickets share a fingerprint");

	if (m->a_acked) {
		int64_t n = check_query_int(db, "SELECT count(*) FROM tickets WHERE component = 'w.a'");
		int64_t c = check_query_int(db, "SELECT occurrence_count FROM tickets WHERE component = 'w.a'");

		if (n != 1)
			fail_point("w.a is not exactly one ticket");
		if (c < m->a_acked || c > m->a_tried)
			fail_point("w.a lost an acknowledged occurrence (or gained one never tried)");
	}
	if (m->b_acked &&
	    check_query_int(db, "SELECT count(*) FROM error_logs WHERE component = 'w.b'") < m->b_acked)
		fail_point("an acknowledged w.b log row is missing");
	if (m->e_acked) {
		snprintf(sql, sizeof(sql), "SELECT occurrence_count FROM tickets WHERE id = %lld",
			 (long long)m->event_ticket);
		if (check_query_int(db, sql) < m->e_acked)
			fail_point("w.e lost an acknowledged occurrence");
	}
#define EVENT_PRESENT(cond, kind, what) do { \
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM ticket_events WHERE ticket_id = %lld" \
		 " AND %s", (long long)m->event_ticket, cond); \
	if (m->kind && check_query_int(db, sql) < 1) \
		fail_point(what); \
} while (0)
	EVENT_PRESENT("to_value = 'triaged'", triaged, "the acknowledged triage is missing");
	EVENT_PRESENT("kind = 'claimed'", claimed, "the acknowledged claim is missing");
	EVENT_PRESENT("note = 'looked at the ledger'", noted, "the acknowledged note is missing");
	EVENT_PRESENT("to_value = 'resolved'", resolved, "the acknowledged resolution is missing");
#undef EVENT_PRESENT
	if (m->resolved) {
		/* A regression clears the field, so the event is what lasts. */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM ticket_events WHERE ticket_id = %lld"
			 " AND field = 'resolution_commit' AND to_value = '0123abcd'",
			 (long long)m->event_ticket);
		if (check_query_int(db, sql) != 1)
			fail_point("the acknowledged resolution commit is missing");
	}
	if (m->regressed) {
		snprintf(sql, sizeof(sql), "SELECT regression_count FROM tickets WHERE id = %lld",
			 (long long)m->event_ticket);
		if (check_query_int(db, sql) < 1)
			fail_point("the acknowledged regression is missing");
	}
	if (m->reported &&
	    check_query_int(db, "SELECT count(*) FROM tickets WHERE title = 'filed by hand under faults'") != 1)
		fail_point("the acknowledged report is missing");
	if (m->imported &&
	    check_query_int(db, "SELECT count(*) FROM tickets WHERE external_id IN ('F-1', 'F-2')") != 2)
		fail_point("the acknowledged import is missing");
	if (m->purged && check_query_int(db, "SELECT count(*) FROM tickets WHERE component = 'w.old'") != 0)
		fail_point("the acknowledged purge left the stale ticket");
	if (!m->purged && m->old_logged && m->failed_step < 0 &&
	    check_query_int(db, "SELECT count(*) FROM tickets WHERE component = 'w.old'") != 1)
		fail_point("the stale ticket went without a purge");
	if (m->x_accepted) {
		/* Flushed means durable; a clean close commits everything accepted,
		 * and a batch retried after a failed commit is not counted twice. */
		int64_t c = check_query_int(db, "SELECT coalesce(sum(occurrence_count), 0) FROM tickets"
				      " WHERE component = 'w.x'");

		if (c < m->x_flushed)
			fail_point("w.x lost occurrences that bt_flush had made durable");
		if (c > m->x_accepted)
			fail_point("w.x counted more occurrences than were accepted");
		if (m->closed_clean && c != m->x_accepted)
			fail_point("a clean bt_close did not commit every accepted occurrence");
	}
	sqlite3_close(db);

	/* And the library opens it and captures into it again. */
	if (bt_open(&bt, check_path("faults.db"), NULL) != BT_OK) {
		fail_point("bt_open fails after the fault was cleared");
		fprintf(stderr, "  %s\n", bt_error_message());
		return;
	}
	if (bt_log_at(bt, BT_CRITICAL, "w.probe", NULL, 0, NULL, "probe %d", 1) != BT_OK)
		fail_point("capture fails after the fault was cleared");
	bt_close(bt);
}

static void remove_database(void)
{
	static const char *const SUFFIX[] = { "", "-wal", "-shm", "-journal", ".crash" };
	char path[512];

	for (size_t i = 0; i < BTI_ARRAY_LEN(SUFFIX); i++) {
		snprintf(path, sizeof(path), "%s%s", check_path("faults.db"), SUFFIX[i]);
		unlink(path);
	}
}

/* The database a run of @w starts from.  The sync workload creates and
 * migrates it, and its sweep fails every point of that (15,696 of its
 * 22,702 allocations since 0009).  The async workload's open went through
 * the very same points, so its sweep repeated them at 15,696 of 17,711
 * runs; it starts from a migrated copy instead, made once outside the
 * count, and its open is that of an existing database. */
static void prepare_database(const workload *w)
{
	static char *image;
	static size_t size;
	char path[512];
	FILE *f;

	remove_database();
	if (!w->from_template)
		return;
	if (!image) {
		bt_open_options o = BT_OPEN_OPTIONS_INIT;
		bt_db *db = NULL;
		long n;

		o.flags = BT_OPEN_SYNC;
		if (bt_open(&db, check_path("faults.db"), &o) != BT_OK) {
			fprintf(stderr, "faults: cannot make the template: %s\n", bt_error_message());
			exit(2);
		}
		bt_close(db);
		f = fopen(check_path("faults.db"), "rb");
		if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
		    fseek(f, 0, SEEK_SET) != 0 || !(image = malloc((size_t)n)) ||
		    fread(image, 1, (size_t)n, f) != (size_t)n) {
			fprintf(stderr, "faults: cannot read the template\n");
			exit(2);
		}
		size = (size_t)n;
		fclose(f);
		remove_database();
	}
	snprintf(path, sizeof(path), "%s", check_path("faults.db"));
	f = fopen(path, "wb");
	if (!f || fwrite(image, 1, size, f) != size || fclose(f) != 0) {
		fprintf(stderr, "faults: cannot write %s\n", path);
		exit(2);
	}
}

/* Run the clean workload to count its points, then fail each in turn. */
static void sweep(const workload *w, enum fault_mode mode, long first, long stride)
{
	model m;
	long total, tried = 0, absorbed = 0;
	int codes[16] = { 0 };
	int before = check_failures;

	fault.mode = mode;
	fault.fail_at = 0;
	prepare_database(w);
	run_workload(w, &m, NULL);
	total = atomic_load(&fault.calls);
	CHECK(m.failed_step < 0 && m.late_failures == 0);
	verify(&m);
	if (total < 10) {
		fprintf(stderr, "faults: %s: only %ld fault points: is the shim in place?\n",
			MODE_NAME[mode], total);
		check_failures++;
		return;
	}

	for (long n = first; n <= total; n += stride) {
		prepare_database(w);
		fault.fail_at = n;
		if (getenv("BT_FAULTS_VERBOSE"))
			fprintf(stderr, "faults: %s %s point %ld\n", w->name, MODE_NAME[mode], n);
		run_workload(w, &m, codes);
		tried++;
		if (!atomic_load(&fault.fired))
			fail_point("the workload never reached this point (not deterministic?)");
		if (m.failed_step < 0)
			absorbed++;
		verify(&m);
		if (check_failures - before > 20) {
			fprintf(stderr, "faults: %s: too many failures, stopping the sweep\n",
				MODE_NAME[mode]);
			break;
		}
	}
	fault.fail_at = 0;
	fprintf(stderr, "faults: %s %s: %ld points in the workload, %ld tried, %ld absorbed"
		" (the call still succeeded); errors returned:", w->name, MODE_NAME[mode], total,
		tried, absorbed);
	for (int c = 1; c < 16; c++)
		if (codes[c])
			fprintf(stderr, " %s x%d", bt_strerror(-c), codes[c]);
	fprintf(stderr, "\n");
	/* Some points must surface as errors, or the sweep proved nothing. */
	CHECK(tried - absorbed > 0);
}

/* The sweeps, as named on the command line. */
static const struct {
	const char *name;
	const workload *w;
	enum fault_mode mode;
} SWEEPS[] = {
	{ "io", &SYNC_WORKLOAD, MODE_IO },
	{ "full", &SYNC_WORKLOAD, MODE_FULL },
	{ "io-once", &SYNC_WORKLOAD, MODE_IO_ONCE },
	{ "oom", &SYNC_OPEN_WORKLOAD, MODE_OOM },
	{ "oom", &SYNC_TEMPLATE_WORKLOAD, MODE_OOM },
	{ "async-io", &ASYNC_WORKLOAD, MODE_IO },
	{ "async-oom", &ASYNC_WORKLOAD, MODE_OOM },
};

int main(int argc, char **argv)
{
	const char *env = getenv("BT_FAULTS_STRIDE");
	long stride = env ? atol(env) : 1;
	long first = getenv("BT_FAULTS_FIRST") ? atol(getenv("BT_FAULTS_FIRST")) : 1;

	if (stride < 1)
		stride = 1;
	/* The faults sit at the VFS boundary, so the medium underneath does not
	 * matter; a real disk's fsyncs would only make the thousands of runs
	 * take minutes instead of seconds. */
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	install_shims();
	for (size_t k = 0; k < BTI_ARRAY_LEN(SWEEPS); k++) {
		int want = argc < 2;

		for (int i = 1; i < argc; i++)
			want |= strcmp(argv[i], SWEEPS[k].name) == 0;
		if (want)
			sweep(SWEEPS[k].w, SWEEPS[k].mode, first < 1 ? 1 : first, stride);
	}
	return check_finish();
}
