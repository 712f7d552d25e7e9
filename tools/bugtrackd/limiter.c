/*
 * limiter.c - per-token rate limits: a token bucket for each token name,
 * refilled at --rate-limit requests a second up to twice that (a burst).
 * A request that finds its bucket empty gets 429 with Retry-After.  The
 * table is small (tokens are few) and its lock is held for a few
 * instructions per request; past its size the stalest bucket is reused.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define BUCKETS 1024

typedef struct bucket {
	char name[BT_TOKEN_NAME_MAX + 1]; /* "" when unused */
	double tokens;
	int64_t at_ms;                     /* when @tokens was last brought up to date */
} bucket;

struct limiter {
	pthread_mutex_t mu;
	double rate, burst;
	bucket b[BUCKETS];
};

limiter *limiter_new(unsigned int per_second)
{
	limiter *l;

	if (!per_second)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	l->rate = per_second;
	l->burst = 2.0 * per_second;
	return l;
}

void limiter_free(limiter *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* The bucket of @name: its own, else an unused one, else the stalest. */
static bucket *find(limiter *l, const char *name, int64_t now)
{
	bucket *free_b = NULL, *stale = &l->b[0];

	for (size_t i = 0; i < BUCKETS; i++) {
		bucket *b = &l->b[i];

		if (!b->name[0]) {
			if (!free_b)
				free_b = b;
		} else if (strcmp(b->name, name) == 0) {
			return b;
		} else if (b->at_ms < stale->at_ms) {
			stale = b;
		}
	}
	if (!free_b)
		free_b = stale;
	snprintf(free_b->name, sizeof(free_b->name), "%s", name);
	free_b->tokens = l->burst;
	free_b->at_ms = now;
	return free_b;
}

int limiter_take(limiter *l, const char *name, int64_t now_ms, int *retry_after_s)
{
	bucket *b;
	int ok;

	if (!l)
		return 1;
	pthread_mutex_lock(&l->mu);
	b = find(l, name, now_ms);
	if (now_ms > b->at_ms) {
		b->tokens += (double)(now_ms - b->at_ms) * l->rate / 1000.0;
		if (b->tokens > l->burst)
			b->tokens = l->burst;
		b->at_ms = now_ms;
	}
	ok = b->tokens >= 1.0;
	if (ok) {
		b->tokens -= 1.0;
	} else {
		/* Whole seconds until one request's worth is back, at least 1. */
		double wait = (1.0 - b->tokens) / l->rate;

		*retry_after_s = wait < 1.0 ? 1 : (int)(wait + 0.999);
	}
	pthread_mutex_unlock(&l->mu);
	return ok;
}
