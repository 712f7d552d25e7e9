/*
 * checkpointer.c - writing the WAL back off the request path.  The
 * daemon's handles are opened with BT_OPEN_HOST_CHECKPOINT: otherwise the
 * commit that finds 4,096 pages in the WAL writes them back itself, with
 * two syncs to disk (6-20 ms on a VM), while every request queued on the
 * handle waits (bench_bugtrackd, POST /occurrences one at a time from 32
 * clients: p99 33-35 ms, 8-13 ms with this thread).  It calls
 * bt_db_checkpoint on a handle of its own, which blocks no reader or
 * writer, every CHECKPOINT_MS: a write-heavy load fills the WAL with ~100
 * MB a second (every 100 ms let it grow and doubled the p99 of claim-
 * resolve cycles; 10 and 20 measured alike), and a round with nothing new
 * costs microseconds.  Under steady writes it never quite catches up, and
 * about once every 16,384 WAL pages a commit still checkpoints the rest
 * (BT_OPEN_HOST_CHECKPOINT).  Not started on PostgreSQL, whose server
 * checkpoints by itself.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "daemon.h"

#define CHECKPOINT_MS 10
/* A failing checkpoint (a full disk) is said once a minute, not 100 times
 * a second. */
#define COMPLAIN_EVERY_MS 60000

struct checkpointer {
	bt_db *db;
	/* What the last round saw (-1: nothing yet), for GET /metrics: a
	 * pair, under lock, so that a reader never mixes two rounds. */
	int64_t log_pages, backfilled;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
};

static void *checkpointer_main(void *arg)
{
	checkpointer *c = arg;
	int64_t complained = -COMPLAIN_EVERY_MS * 1000, log, done;
	struct timespec until;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		pthread_mutex_unlock(&c->lock);
		if (bt_db_checkpoint(c->db, &log, &done) != BT_OK &&
		    mono_us() - complained >= COMPLAIN_EVERY_MS * 1000) {
			complained = mono_us();
			fprintf(stderr, "bugtrackd: checkpoint: %s\n", bt_error_message());
		}
		pthread_mutex_lock(&c->lock);
		/* -1: it failed, or another connection was at it; keep the last. */
		if (log >= 0) {
			c->log_pages = log;
			c->backfilled = done;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += CHECKPOINT_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!c->stop && pthread_cond_timedwait(&c->wake, &c->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

checkpointer *checkpointer_start(bt_db *db)
{
	checkpointer *c = calloc(1, sizeof(*c));
	pthread_condattr_t attr;

	if (!c)
		return NULL;
	c->db = db;
	c->log_pages = c->backfilled = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	return c;
}

void checkpointer_wal(checkpointer *c, int64_t *log_pages, int64_t *backfilled)
{
	*log_pages = *backfilled = -1;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	*log_pages = c->log_pages;
	*backfilled = c->backfilled;
	pthread_mutex_unlock(&c->lock);
}

void checkpointer_stop(checkpointer *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
