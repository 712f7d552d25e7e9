/*
 * progress.c - progress lines on stderr for long operations (import, purge,
 * export, migrate --all).  Shown only when stderr is a terminal, so that
 * scripts and cron jobs see nothing; redrawn at most every 100 ms so that
 * the terminal never slows the work down.  The line is erased at the end,
 * and replaced by a one-line summary ("exported 1200 tickets in 0.8 s")
 * when the command gave its wording with progress_summary().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct progress {
	char what[64];
	int64_t total;
	int64_t start_ms, last_draw_ms;
	int drawn;
	char verb[32], noun[32];
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

progress *progress_start(const char *what, int64_t total)
{
	if (!isatty(STDERR_FILENO))
		return NULL;
	progress *p = xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->total = total;
	p->start_ms = monotonic_ms();
	return p;
}

void progress_total(progress *p, int64_t total)
{
	if (p)
		p->total = total;
}

void progress_summary(progress *p, const char *verb, const char *noun)
{
	if (!p)
		return;
	snprintf(p->verb, sizeof(p->verb), "%s", verb);
	snprintf(p->noun, sizeof(p->noun), "%s", noun);
}

static void draw(progress *p, int64_t done)
{
	if (p->total > 0)
		fprintf(stderr, "\r%s: %lld/%lld (%d%%)", p->what, (long long)done,
			(long long)p->total, (int)(done * 100 / p->total));
	else
		fprintf(stderr, "\r%s: %lld", p->what, (long long)done);
	fflush(stderr);
	p->drawn = 1;
}

void progress_update(progress *p, int64_t done)
{
	if (!p)
		return;
	int64_t now = monotonic_ms();
	if (p->drawn && now - p->last_draw_ms < 100)
		return;
	p->last_draw_ms = now;
	draw(p, done);
}

void progress_done(progress *p, int64_t done)
{
	if (!p)
		return;
	if (p->drawn)
		/* Erase the line: what follows (a summary) starts clean. */
		fputs("\r\033[K", stderr);
	if (p->verb[0])
		fprintf(stderr, "%s %lld %s in %.1f s\n", p->verb, (long long)done, p->noun,
			(double)(monotonic_ms() - p->start_ms) / 1000.0);
	fflush(stderr);
	free(p);
}
