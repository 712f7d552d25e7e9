/*
 * internal.h - what every file in lib/ shares: the allocator, error
 * reporting, the clock.  Nothing here is exported (hidden visibility).
 */
#ifndef BT_INTERNAL_H
#define BT_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "bugtrack.h"

#define BTI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BTI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* alloc.c: every allocation of the library goes through these, so that one
 * place can count, fail (fault-injection tests) or replace them. */
void *bti_malloc(size_t size);
void *bti_calloc(size_t count, size_t size);
void *bti_realloc(void *ptr, size_t size);
void bti_free(void *ptr);
char *bti_strdup(const char *s);

/* Tests only: while @fn is set, an allocation for which it returns non-zero
 * fails as if memory ran out.  NULL removes the hook. */
typedef int (*bti_alloc_fault_fn)(size_t size);
void bti_alloc_set_fault_hook(bti_alloc_fault_fn fn);

/* error.c: record the failure of the current call in this thread's error
 * slot.  Each returns @code so that callers can write `return bti_error(...)`. */
int bti_error(int code, const char *fmt, ...) BTI_PRINTF(2, 3);
/* A failure a backend reports with its own code: @native is "backend:code"
 * ("sqlite:522"), returned by bt_error_backend_code(). */
int bti_error_native(int code, const char *native, const char *fmt, ...) BTI_PRINTF(3, 4);
/* Re-word this thread's last failure (its message may be an argument),
 * keeping its backend code. */
int bti_error_rewrap(int code, const char *fmt, ...) BTI_PRINTF(2, 3);
/* The code of this thread's last failure: the public API only returns
 * codes, but a few internal paths pass one on from a callee. */
int bti_error_last(void);
/* The errno's symbolic name ("ENOENT"), or NULL if unknown: glibc's
 * strerrorname_np() where the build found it, else the portable table of
 * POSIX names, which names every errno it knows as glibc does. */
const char *bti_errno_name(int err);
const char *bti_errno_name_portable(int err);

/* Wall-clock time in milliseconds since the Unix epoch, the unit of every
 * timestamp in the schema. */
int64_t bti_now_ms(void);
/* The latest time the library stores, 9999-12-31T23:59:59.999Z: a clock
 * is clamped to 0..BTI_TIME_MAX, and durations added to a time (SLA
 * policies, dedup windows, leases of at most INT_MAX s) are at most this
 * too, so that no sum of a time and a duration can overflow an int64_t. */
#define BTI_TIME_MAX INT64_C(253402300799999)

static inline int64_t bti_time_clamp(int64_t t)
{
	return t < 0 ? 0 : t > BTI_TIME_MAX ? BTI_TIME_MAX : t;
}

/* Monotonic milliseconds, for deadlines: immune to clock steps. */
int64_t bti_mono_ms(void);

/* Lock @mu, or return ETIMEDOUT at monotonic @deadline_mono_ms; join
 * @thread likewise.  0 on success. */
int bti_mutex_lock_until(pthread_mutex_t *mu, int64_t deadline_mono_ms);
int bti_thread_join_until(pthread_t thread, int64_t deadline_mono_ms);

/* random.c: fill @buf with @len bytes from the kernel's CSPRNG (getrandom),
 * through interruptions and short reads.  BT_OK, or BT_ENOTSUP (no
 * getrandom) or BT_EINTERNAL with a message naming @what; never a weaker
 * source. */
int bti_random_bytes(void *buf, size_t len, const char *what);

/* process.c: whether a fork() in another thread is waiting for this
 * process's handles to be idle (lock waits then give up early). */
int bti_fork_pending(void);


#endif
