/*
 * async.h - asynchronous capture, the default: the bounded queue and the
 * writer thread that commits it.
 */
#ifndef BT_ASYNC_H
#define BT_ASYNC_H

#include "bugtrack.h"
/* Only the input and occurrence types: the writer finishes occurrences
 * itself (occurrence.h), so the queue sits below capture, never beside it. */
#include "occurrence.h"

typedef struct bti_async bti_async;

/* What a capture's fingerprint is computed from, before any cleaning:
 * captures with equal keys get equal fingerprints, so the queue may count
 * them as one occurrence.  Strings are the host's. */
typedef struct bti_key {
	uint64_t hash;         /* set by bti_key_hash */
	int level;
	const char *component, *template_, *function, *error_type, *fingerprint;
	const char *message;   /* NULL when the template alone groups */
	size_t message_len;
} bti_key;

void bti_key_hash(bti_key *k);

/* Start the writer of @db with @opts' caps. */
int bti_async_start(bt_db *db, const bt_open_options *opts, int busy_timeout_ms);
/* Commit what is pending (giving up at the busy timeout), stop the writer
 * and free everything.  NULL is ignored. */
void bti_async_stop(bti_async *a);

/* The fast path: if an occurrence with @key is pending, count one more (at
 * @now) and return 1; otherwise 0, and the caller takes the full path.
 * Never waits for the database. */
int bti_async_repeat(bti_async *a, const bti_key *key, int64_t now);

/* Queue a copy of @in (its strings are copied), or count it on the pending
 * occurrence with the same @key (NULL: never counted together).  BT_OK, or
 * BT_EBUSY when the queue was full and the call was dropped (counted in the
 * "async_dropped" counter), or BT_ESTATE once the writer has stopped. */
int bti_async_enqueue(bti_async *a, const bti_capture_in *in, const bti_key *key, int64_t now);

/* bt_flush, waiting at most until the monotonic @deadline_ms (< 0: no
 * limit). */
int bti_async_flush(bti_async *a, int64_t deadline_ms, const char *caller);

/* Whether the calling thread is @a's writer. */
int bti_async_is_writer(const bti_async *a);

/* bt_capture_stats_get. */
void bti_async_stats(bti_async *a, bt_capture_stats *out);

/* fork() and exit (process.c).  prepare: hold @a's mutex across fork() so
 * the child inherits it in a known state; parent: release it.  child: make
 * (@held: this thread took the queue's mutex in fork_prepare) the
 * inherited queue a fresh, empty one without a writer (what is pending
 * belongs to the parent, which commits it); bti_async_restart then starts a
 * writer for the child.  exit: commit what is pending by @deadline_ms and
 * stop the writer, leaving the handle's memory in place; later captures
 * get BT_ESTATE. */
void bti_async_fork_prepare(bti_async *a);
void bti_async_fork_parent(bti_async *a);
void bti_async_fork_child(bti_async *a, int held);
int bti_async_restart(bti_async *a);
void bti_async_exit(bti_async *a, int64_t deadline_ms);

#endif
