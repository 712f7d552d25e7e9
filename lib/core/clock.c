/*
 * clock.c - the library's notion of "now".  Every timestamp in the schema is
 * integer milliseconds since the Unix epoch, UTC.
 */
#include <pthread.h>
#include <time.h>

#include "internal.h"

int64_t bti_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bti_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ThreadSanitizer (GCC 12's) does not intercept the CLOCK_MONOTONIC
 * variants, and would then see every unlock as unpaired: under it the
 * deadline is translated to the real-time clock, which a clock step could
 * stretch.  Everywhere else the wait is immune to clock steps. */
#if defined(__SANITIZE_THREAD__)
#define BTI_REALTIME_WAITS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BTI_REALTIME_WAITS 1
#endif
#endif

static struct timespec wait_spec(int64_t deadline_mono_ms)
{
	struct timespec ts;
	int64_t at = deadline_mono_ms;

#ifdef BTI_REALTIME_WAITS
	at = bti_now_ms() + (deadline_mono_ms - bti_mono_ms());
#endif
	ts.tv_sec = (time_t)(at / 1000);
	ts.tv_nsec = (long)(at % 1000) * 1000000;
	return ts;
}

int bti_mutex_lock_until(pthread_mutex_t *mu, int64_t deadline_mono_ms)
{
	struct timespec ts = wait_spec(deadline_mono_ms);

#ifdef BTI_REALTIME_WAITS
	return pthread_mutex_timedlock(mu, &ts);
#else
	return pthread_mutex_clocklock(mu, CLOCK_MONOTONIC, &ts);
#endif
}

int bti_thread_join_until(pthread_t thread, int64_t deadline_mono_ms)
{
	struct timespec ts = wait_spec(deadline_mono_ms);

#ifdef BTI_REALTIME_WAITS
	return pthread_timedjoin_np(thread, NULL, &ts);
#else
	return pthread_clockjoin_np(thread, NULL, CLOCK_MONOTONIC, &ts);
#endif
}
