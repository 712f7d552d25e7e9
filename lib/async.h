/*
 * async.h - asynchronous capture (BT_OPEN_ASYNC): the bounded queue, the
 * call-site cache and the writer thread.
 */
#ifndef BT_ASYNC_H
#define BT_ASYNC_H

#include "bugtrack.h"
#include "store.h"

typedef struct bti_async bti_async;

/* A call site whose fingerprint does not depend on the formatted message
 * (its format has words, the stack is not hashed): a repeat can be counted
 * before the message is even formatted. */
typedef struct bti_site {
	int level;
	const char *component, *fmt, *function; /* as the host passed them */
} bti_site;

/* Start the writer of @db (opened with BT_OPEN_ASYNC) with @opts' caps. */
int bti_async_start(bt_db *db, const bt_open_options *opts, int busy_timeout_ms);
/* Commit what is pending (giving up after twice the busy timeout), stop the
 * writer and free everything.  NULL is ignored. */
void bti_async_stop(bti_async *a);

/* The fast path: if @site is known and its occurrence is pending, count
 * one more (at @now) and return 1; otherwise 0, and the caller takes the
 * full path.  Never blocks on the database. */
int bti_async_repeat(bti_async *a, const bti_site *site, int64_t now);

/* Queue a copy of @o (its strings are copied), or add it to the count of
 * the same pending occurrence.  @site (may be NULL) is remembered for
 * bti_async_repeat.  BT_OK, or BT_EBUSY when the queue was full and the
 * occurrence was dropped (counted in the "async_dropped" counter). */
int bti_async_enqueue(bti_async *a, const bti_occurrence *o, const bti_site *site);

/* bt_flush. */
int bti_async_flush(bti_async *a, int timeout_ms, const char *caller);

/* bt_capture_stats_get. */
void bti_async_stats(bti_async *a, bt_capture_stats *out);

#endif
