/*
 * process.c - the handles of this process, and what fork() and exit do to
 * them.
 *
 * C services fork after they initialise (daemons, pre-forked workers, a
 * fork per connection) and exit through exit() or err() without closing
 * anything.  SQLite's connections must not cross fork(): the child would
 * inherit the parent's in-memory record of its file locks, so a connection
 * the child opens to the same file would believe it holds locks it does
 * not, and the parent's last close would checkpoint and delete the WAL
 * under the child's writes.  So:
 *
 *  - prepare (in the forking thread): new opens wait, lock waits give up,
 *    and every handle's lock and queue mutex are taken, so that no thread
 *    of the library is inside SQLite or holds one of its mutexes at the
 *    moment of the fork (a bounded wait: nothing waits for a lock then);
 *  - child: the forking thread unlocks what it took (a handle lock that
 *    another thread held is made anew, and that handle is unusable), every
 *    inherited queue is emptied (what was pending is the parent's to
 *    commit), and the handles are marked as inherited.  Nothing else happens, so fork-then-exec costs nothing;
 *  - the child's first call on any handle, or its first bt_open, first
 *    closes every inherited connection without checkpointing or deleting
 *    anything (the parent still uses those files), so that no record of
 *    the parent's locks is left; a call on an inherited handle then gives
 *    it a connection and a writer of its own (bti_db_adopt);
 *  - exit() and unloading the library: each handle's writer commits what
 *    is pending, waiting at most the handle's busy timeout.
 *
 * pthread_atfork() and a fork generation counter rather than getpid() on
 * every call: the counter is one relaxed load, getpid() a system call.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "async.h"
#include "db.h"

static pthread_mutex_t handles_mu = PTHREAD_MUTEX_INITIALIZER;
static bt_db *handles;                  /* open handles, under handles_mu */
/* The open gate: bt_open counts itself in while it is inside SQLite, and
 * fork() waits for that count to fall to zero and holds gate_mu across the
 * fork, so no SQLite mutex is held by another thread at that moment.  New
 * opens wait while a fork does, so a stream of opens cannot hold it back.
 * A mutex and a condition rather than a rwlock: glibc cannot unlock in the
 * child a rwlock the parent write-locked (the owner's thread id changed). */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int opening, forking;            /* under gate_mu */
static unsigned int generation;         /* forks survived, as a child */
static int fork_pending;
static int reaped_generation;           /* inherited connections closed */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int frozen_all;                  /* prepare froze every handle */

unsigned int bti_fork_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

int bti_fork_pending(void)
{
	return __atomic_load_n(&fork_pending, __ATOMIC_RELAXED);
}

/* How long prepare waits for one handle to become idle.  Lock waits give
 * up at once while a fork is pending, so only a thread that forks from a
 * signal handler inside a library call can make it wait this long; that
 * handle is then unusable in the child (never used in an unknown state). */
#define FREEZE_MS 2000

static void fork_prepare(void)
{
	int64_t deadline;

	pthread_mutex_lock(&gate_mu);
	forking++;
	while (opening)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_lock(&handles_mu);
	__atomic_store_n(&fork_pending, 1, __ATOMIC_RELAXED);
	deadline = bti_mono_ms() + FREEZE_MS;
	frozen_all = 1;
	for (bt_db *db = handles; db; db = db->next) {
		db->frozen = bti_mutex_lock_until(&db->lock, deadline) == 0;
		frozen_all &= db->frozen;
		if (db->frozen && db->async)
			bti_async_fork_prepare(db->async);
	}
}

static void fork_parent(void)
{
	for (bt_db *db = handles; db; db = db->next) {
		if (!db->frozen)
			continue;
		if (db->async)
			bti_async_fork_parent(db->async);
		pthread_mutex_unlock(&db->lock);
	}
	__atomic_store_n(&fork_pending, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&handles_mu);
	forking--;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

static void fork_child(void)
{
	/* One thread now, the one that took these locks in fork_prepare: it
	 * unlocks them.  A handle lock another thread held is made anew, and
	 * that handle is marked broken: its state is unknown. */
	for (bt_db *db = handles; db; db = db->next) {
		if (db->frozen)
			pthread_mutex_unlock(&db->lock);
		else
			pthread_mutex_init(&db->lock, NULL);
		if (db->async)
			bti_async_fork_child(db->async, db->frozen);
		db->inherited = 1;
		if (!db->frozen)
			db->broken = 1;
	}
	pthread_mutex_unlock(&handles_mu);
	opening = forking = 0;
	pthread_cond_init(&gate_cv, NULL); /* the parent's waiters are not here */
	pthread_mutex_unlock(&gate_mu);
	__atomic_store_n(&fork_pending, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&generation, 1, __ATOMIC_RELEASE);
}

static void register_atfork(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Under handles_mu: close every inherited connection, once per
 * generation, before this process opens one of its own. */
static void reap_inherited(void)
{
	int gen = (int)bti_fork_generation();

	if (reaped_generation == gen)
		return;
	for (bt_db *db = handles; db; db = db->next) {
		if (db->inherited && !db->broken && db->store) {
			bti_store_close_inherited(db->store);
			db->store = NULL;
		}
		/* A handle that could not be frozen keeps its connection,
		 * unused: closing it could roll back into the parent's WAL. */
	}
	/* Read without handles_mu by bti_process_open_begin. */
	__atomic_store_n(&reaped_generation, gen, __ATOMIC_RELAXED);
}

void bti_process_add(bt_db *db)
{
	pthread_once(&once, register_atfork);
	pthread_mutex_lock(&handles_mu);
	db->next = handles;
	db->prev = NULL;
	if (handles)
		handles->prev = db;
	handles = db;
	pthread_mutex_unlock(&handles_mu);
}

void bti_process_remove(bt_db *db)
{
	pthread_mutex_lock(&handles_mu);
	if (db->prev || db->next || handles == db) {
		if (db->prev)
			db->prev->next = db->next;
		else
			handles = db->next;
		if (db->next)
			db->next->prev = db->prev;
		db->next = db->prev = NULL;
	}
	/* Closing an inherited handle that was never adopted: its
	 * connection is the parent's, and so is what was pending. */
	if (db->fork_gen != bti_fork_generation()) {
		reap_inherited();
		if (db->inherited && !db->broken && db->store) {
			bti_store_close_inherited(db->store);
			db->store = NULL;
		}
	}
	pthread_mutex_unlock(&handles_mu);
}

void bti_process_open_begin(void)
{
	pthread_once(&once, register_atfork);
	pthread_mutex_lock(&gate_mu);
	while (forking)
		pthread_cond_wait(&gate_cv, &gate_mu);
	opening++;
	pthread_mutex_unlock(&gate_mu);
	if (bti_fork_generation() != (unsigned int)__atomic_load_n(&reaped_generation, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&handles_mu);
		reap_inherited();
		pthread_mutex_unlock(&handles_mu);
	}
}

void bti_process_open_end(void)
{
	pthread_mutex_lock(&gate_mu);
	if (--opening == 0)
		pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

int bti_db_adopt(bt_db *db, const char *caller)
{
	int rc = BT_OK;

	pthread_mutex_lock(&handles_mu);
	if (db->fork_gen == bti_fork_generation())
		goto out; /* another thread adopted it meanwhile */
	reap_inherited();
	if (db->broken) {
		rc = bti_error(BT_ESTATE, "%s: the handle was inherited through fork() while another "
			       "thread was inside it; open a new handle in the child", caller);
		goto out;
	}
	if (!db->store) {
		rc = bti_store_open(&db->store, db->path, db->cfg.flags | BT_OPEN_NO_MIGRATE,
				    db->busy_timeout_ms, db->migrations);
		if (rc != BT_OK)
			goto out;
		db->store->notice = &db->notice;
	}
	if (db->async) {
		rc = bti_async_restart(db->async);
		if (rc != BT_OK)
			goto out;
	}
	db->inherited = 0;
	__atomic_store_n(&db->cfg.pid, (long)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&db->fork_gen, bti_fork_generation(), __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&handles_mu);
	return rc;
}

/* exit() and dlclose(): commit what each handle of this process has
 * pending, each waiting at most its busy timeout, and stop the writers
 * (their code may be unmapped next).  Handles stay allocated: other
 * threads may still hold them; their captures then get BT_ESTATE. */
__attribute__((destructor)) static void process_exit(void)
{
	int64_t deadline = bti_mono_ms() + 1000;

	/* A thread that exits from inside a library call holds handles_mu;
	 * then this gives up rather than hang the exit. */
	if (bti_mutex_lock_until(&handles_mu, deadline) != 0)
		return;
	for (bt_db *db = handles; db; db = db->next)
		if (db->async && db->fork_gen == bti_fork_generation())
			bti_async_exit(db->async, bti_mono_ms() + db->busy_timeout_ms);
	pthread_mutex_unlock(&handles_mu);
}
