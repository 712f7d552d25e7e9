/*
 * clock.c - the library's notion of "now".  Every timestamp in the schema is
 * integer milliseconds since the Unix epoch, UTC.
 */
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
