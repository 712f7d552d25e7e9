/*
 * webhooks.c - telling the outside world: on a new ticket, a regression, an
 * occurrence count reaching a threshold (10, 100, 1000, ... as Errbit does;
 * the 1st is the new ticket) and an SLA breach, POST a JSON event to each
 * --webhook URL, signed with HMAC-SHA256 (X-Bugtrack-Signature:
 * sha256=<hex>) when a secret is set, and/or run --notify-exec with it on
 * stdin.  The body carries "text", so Slack's incoming webhooks take it.
 *
 * Two threads of their own, so the API never waits on a receiver: a
 * watcher follows the feed (bt_audit_wait) and scans counts and SLAs; a
 * sender delivers from a bounded queue, retrying a failed delivery with
 * back-off (1, 2, 4, 8 s; 5 tries).  A full queue drops the oldest event,
 * counted.
 *
 * What was told lives in memory, a table of the tickets seen.  So that a
 * restart does not tell again what the previous run told, what is true
 * when the daemon starts counts as told: a ticket's thresholds up to its
 * count, and the SLA breach of every ticket already overdue.  A breach is
 * told once, when the watcher sees the ticket become overdue (its due time
 * passing, or a severity raised); one that began while the daemon was not
 * running is not told (the status page lists overdue tickets).
 */
#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define QUEUE_CAP 1024
#define TRIES 5
#define SCAN_MS 1000
/* SLA breaches are looked for less often: every overdue ticket is read. */
#define SLA_SCAN_MS 2000
#define MAX_SEEN 65536           /* tickets remembered; then start afresh */
#define SEEN_SLOTS (2 * MAX_SEEN) /* open addressing, at most half full */

typedef struct seen {
	int64_t id;       /* 0: a free slot */
	int64_t notified; /* the highest threshold told, or 1 after "created" */
	int sla_told;
} seen;

struct webhooks {
	server *s;
	pthread_t watcher, sender;
	int started_watcher, started_sender;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	char *queue[QUEUE_CAP];
	size_t head, n;
	uint64_t dropped;
	seen *seen;         /* SEEN_SLOTS slots, by ticket id */
	size_t nseen;
	int forgetting;     /* refilling the table with what is overdue */
	seen overflow;      /* the entry of a ticket the full table cannot take */
	int64_t started_ms;
	int64_t last_sla_scan;
};

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void mark_overdue_told(webhooks *w);

static size_t seen_slot(int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15u; /* Fibonacci hashing */

	return (size_t)(h >> 47) & (SEEN_SLOTS - 1);
}

/* The entry of ticket @p id, made on first sight.  A ticket older than this
 * daemon is taken as told up to its count. */
static seen *seen_get(webhooks *w, int64_t id, int64_t count, int64_t created_at)
{
	size_t i = seen_slot(id);

	while (w->seen[i].id && w->seen[i].id != id)
		i = (i + 1) & (SEEN_SLOTS - 1);
	if (w->seen[i].id == id)
		return &w->seen[i];
	if (w->nseen == MAX_SEEN) {
		/* More overdue tickets than the table holds, while refilling it:
		 * those left over count as told (nothing is told twice). */
		if (w->forgetting) {
			w->overflow = (seen){ id, INT64_MAX, 1 };
			return &w->overflow;
		}
		/* Forget, rather than grow without bound; what is overdue now
		 * stays told, so forgetting tells nothing again. */
		memset(w->seen, 0, SEEN_SLOTS * sizeof(*w->seen));
		w->nseen = 0;
		w->forgetting = 1;
		mark_overdue_told(w);
		w->forgetting = 0;
		if (w->nseen < MAX_SEEN)
			return seen_get(w, id, count, created_at);
		w->overflow = (seen){ id, INT64_MAX, 1 };
		return &w->overflow;
	}
	w->seen[i] = (seen){ id, 0, 0 };
	w->nseen++;
	if (created_at < w->started_ms)
		for (int64_t t = 10; t <= count && t > 0; t *= 10)
			w->seen[i].notified = t;
	return &w->seen[i];
}

static void enqueue(webhooks *w, char *body)
{
	pthread_mutex_lock(&w->mu);
	if (w->n == QUEUE_CAP) {
		free(w->queue[w->head]);
		w->head = (w->head + 1) % QUEUE_CAP;
		w->n--;
		w->dropped++;
	}
	w->queue[(w->head + w->n) % QUEUE_CAP] = body;
	w->n++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* The event @p kind about ticket @p id as its JSON body. */
static void notify(webhooks *w, const char *kind, int64_t id, int64_t threshold)
{
	bt_ticket *t = NULL;
	char text[400], *buf = NULL;
	size_t len = 0;
	FILE *f;
	json j;

	if (bt_ticket_get(w->s->db, id, &t) != BT_OK)
		return;
	f = open_memstream(&buf, &len);
	if (!f) {
		bt_ticket_free(t);
		return;
	}
	if (threshold > 1)
		snprintf(text, sizeof(text), "%s reached %lld occurrences: %s",
			 bt_ticket_number(t), (long long)threshold, bt_ticket_title(t));
	else
		snprintf(text, sizeof(text), "%s %s: %s", bt_ticket_number(t),
			 strcmp(kind, "ticket.created") == 0 ? "is new"
			 : strcmp(kind, "ticket.regressed") == 0 ? "came back" : "is past its SLA",
			 bt_ticket_title(t));
	json_init_compact(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "event", kind);
	json_string(&j, "text", text);
	if (threshold > 1)
		json_int(&j, "threshold", threshold);
	render_ticket_json(&j, "ticket", t);
	json_object_end(&j);
	json_finish(&j);
	fclose(f);
	bt_ticket_free(t);
	enqueue(w, buf);
}

/* Thresholds and SLA breaches of the tickets that occurred since @p from. */
static void scan(webhooks *w, int64_t from)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;

	f.occurred_from = from;
	if (bt_ticket_iter_new(w->s->db, &f, &it) == BT_OK) {
		while (bt_ticket_iter_next(it, &t) == BT_OK) {
			int64_t count = bt_ticket_occurrence_count(t), top = 0;
			seen *s = seen_get(w, bt_ticket_id(t), count, bt_ticket_created_at(t));

			for (int64_t th = 10; th <= count && th > 0; th *= 10)
				top = th;
			if (top > s->notified && top > 1) {
				s->notified = top;
				notify(w, "ticket.threshold", bt_ticket_id(t), top);
			}
			bt_ticket_free(t);
		}
		bt_ticket_iter_free(it);
	}
}

/* Call @p fn on every overdue open ticket. */
static void each_overdue(webhooks *w, void (*fn)(webhooks *, const bt_ticket *))
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;

	f.overdue_only = 1;
	if (bt_ticket_iter_new(w->s->db, &f, &it) != BT_OK)
		return;
	while (bt_ticket_iter_next(it, &t) == BT_OK) {
		fn(w, t);
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
}

static void tell_breach(webhooks *w, const bt_ticket *t)
{
	seen *s = seen_get(w, bt_ticket_id(t), bt_ticket_occurrence_count(t),
			   bt_ticket_created_at(t));

	if (!s->sla_told) {
		s->sla_told = 1;
		notify(w, "ticket.sla_breached", bt_ticket_id(t), 0);
	}
}

static void mark_told(webhooks *w, const bt_ticket *t)
{
	seen_get(w, bt_ticket_id(t), bt_ticket_occurrence_count(t),
		 bt_ticket_created_at(t))->sla_told = 1;
}

/* What is overdue now counts as told (at the start, and after forgetting). */
static void mark_overdue_told(webhooks *w)
{
	each_overdue(w, mark_told);
}

static void *watcher_main(void *arg)
{
	webhooks *w = arg;
	bt_audit_iter *it = NULL;
	bt_audit_entry *e;
	int64_t last_scan = w->started_ms;

	/* From the end of the feed: what happened before the start is old. */
	bt_audit_feed_end(w->s->db, &it);
	mark_overdue_told(w);
	w->last_sla_scan = now_ms();
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		int64_t now;

		if (it && bt_audit_wait(it, 250) == BT_OK) {
			while (bt_audit_iter_next(it, &e) == BT_OK) {
				const char *kind = bt_audit_entry_kind(e);
				int64_t id = bt_audit_entry_ticket_id(e);

				if (strcmp(kind, "created") == 0) {
					seen_get(w, id, 1, w->started_ms)->notified = 1;
					notify(w, "ticket.created", id, 0);
				} else if (strcmp(kind, "regressed") == 0) {
					notify(w, "ticket.regressed", id, 0);
				}
				bt_audit_entry_free(e);
			}
		} else if (!it) {
			sleep_ms(250);
		}
		now = now_ms();
		if (now - last_scan >= SCAN_MS) {
			scan(w, last_scan - SCAN_MS); /* overlap: a commit late for its time */
			last_scan = now;
		}
		if (now - w->last_sla_scan >= SLA_SCAN_MS) {
			each_overdue(w, tell_breach);
			w->last_sla_scan = now;
		}
	}
	bt_audit_iter_free(it);
	return NULL;
}

/* ---- delivery ---- */

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* POST @p body to @p url; 1 when it is taken (2xx), 0 to retry, -1 to give
 * up (4xx: the receiver refuses it). */
static int post(const config *cfg, const char *url, const char *body)
{
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long status = 0;
	int ok;

	if (!c)
		return 0;
	h = curl_slist_append(h, "Content-Type: application/json");
	if (cfg->webhook_secret) {
		unsigned char mac[32];
		char line[128] = "X-Bugtrack-Signature: sha256=";
		size_t off = strlen(line);

		gnutls_hmac_fast(GNUTLS_MAC_SHA256, cfg->webhook_secret, strlen(cfg->webhook_secret),
				 body, strlen(body), mac);
		for (int i = 0; i < 32; i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%02x", mac[i]);
		h = curl_slist_append(h, line);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	ok = curl_easy_perform(c) == CURLE_OK;
	if (ok)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (ok && status >= 200 && status < 300)
		return 1;
	return ok && status >= 400 && status < 500 && status != 429 ? -1 : 0;
}

/* Run --notify-exec with @p body on stdin (through sh -c); 1 on exit 0. */
static int run_exec(const char *cmd, const char *body)
{
	int fds[2], status = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	if (pid > 0) {
		size_t len = strlen(body);
		ssize_t n = write(fds[1], body, len);

		(void)n;
	}
	close(fds[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void deliver(webhooks *w, const char *body)
{
	const config *cfg = w->s->cfg;

	for (int u = 0; u < cfg->nwebhooks; u++) {
		int64_t pause = 1000;

		for (int tries = 0; tries < TRIES && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
		     tries++) {
			int rc = post(cfg, cfg->webhooks[u], body);

			if (rc != 0)
				break;
			fprintf(stderr, "bugtrackd: webhook %d: delivery failed; retrying in %lld ms\n",
				u + 1, (long long)pause);
			sleep_ms(pause);
			pause *= 2;
		}
	}
	if (cfg->notify_exec && !run_exec(cfg->notify_exec, body))
		fprintf(stderr, "bugtrackd: --notify-exec failed\n");
}

static void *sender_main(void *arg)
{
	webhooks *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		char *body;

		while (!w->n && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		body = w->queue[w->head];
		w->head = (w->head + 1) % QUEUE_CAP;
		w->n--;
		pthread_mutex_unlock(&w->mu);
		deliver(w, body);
		free(body);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

webhooks *webhooks_start(server *s)
{
	webhooks *w;

	if (!s->cfg->nwebhooks && !s->cfg->notify_exec)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->seen = calloc(SEEN_SLOTS, sizeof(*w->seen)))) {
		free(w);
		return NULL;
	}
	w->s = s;
	w->started_ms = now_ms();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->started_sender = pthread_create(&w->sender, NULL, sender_main, w) == 0;
	w->started_watcher = pthread_create(&w->watcher, NULL, watcher_main, w) == 0;
	return w;
}

void webhooks_stop(webhooks *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started_watcher)
		pthread_join(w->watcher, NULL);
	if (w->started_sender)
		pthread_join(w->sender, NULL);
	for (size_t i = 0; i < w->n; i++)
		free(w->queue[(w->head + i) % QUEUE_CAP]);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	curl_global_cleanup();
	free(w->seen);
	free(w);
}
