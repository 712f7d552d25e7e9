/*
 * routes_feed.c - following changes: GET /changes?since=CURSOR (the audit
 * feed, bt_audit_feed) and GET /pending?agent=A&wait=S, the automation
 * queue as a long poll.
 *
 * The long poll does not wait in an MHD worker (a worker serves many
 * connections; a wait there would stall them all).  A request that finds
 * the queue empty is parked: its connection is suspended (MHD's
 * suspend/resume) and put on a list.  One waiter thread follows the feed
 * with bt_audit_wait, the database's own change notification (LISTEN on
 * PostgreSQL, data_version on SQLite), so nothing is polled here; when an
 * event comes, every parked request is resumed and looks at the queue
 * again, and one whose wait is over is resumed to answer what there is
 * (an empty array).  A generation count closes the race between a
 * request's look and its parking.  A claim's lease running out changes the
 * queue without an event (nothing is written when time passes), so the
 * waiter also resumes the parked requests when the earliest live lease
 * ends.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* How often the waiter looks at the parked requests' deadlines, at most. */
#define TICK_MS 100

struct waiter {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	request *parked;         /* suspended long polls */
	unsigned long generation; /* bumped by each batch of feed events */
	int stop, wake_all;
};

/* ---- GET /changes ---- */

/* The event as export events writes it: with its ticket_number, since the
 * feed mixes tickets.  NULL @p t: the ticket is gone (deleted meanwhile). */
static void feed_event(json *j, const bt_ticket *t, const bt_audit_entry *e)
{
	col_row row = { t, NULL, e };

	col_json(j, NULL, &event_cols, &row, 0);
}

enum MHD_Result route_changes(request *r)
{
	static const char *const params[] = { "since", "limit", NULL };
	enum MHD_Result res = MHD_NO;
	int64_t limit = 100, n = 0;
	bt_ticket *t = NULL;
	bt_audit_entry *e;
	bt_audit_iter *it;
	reply b;
	json j;
	int rc;

	if (!query_check(r, params, &res) || !query_int(r, "limit", 1, 1000, &limit, &res))
		return res;
	/* since=now: no event, and the cursor of the feed's end to follow on */
	if (query(r, "since") && strcmp(query(r, "since"), "now") == 0)
		rc = bt_audit_feed_end(r->srv->db, &it);
	else
		rc = bt_audit_feed(r->srv->db, query(r, "since"), &it);
	if (rc == BT_EINVALID)
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "since: %s",
				   without_function(bt_error_message()));
	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0) {
		bt_audit_iter_free(it);
		return MHD_NO;
	}
	json_init(&j, b.f);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "events");
	while (n < limit && (rc = bt_audit_iter_next(it, &e)) == BT_OK) {
		/* Consecutive events are often one ticket's: read it once. */
		if (!t || bt_ticket_id(t) != bt_audit_entry_ticket_id(e)) {
			bt_ticket_free(t);
			if (bt_ticket_get(r->srv->db, bt_audit_entry_ticket_id(e), &t) != BT_OK)
				t = NULL;
		}
		if (t)
			feed_event(&j, t, e);
		bt_audit_entry_free(e);
		n++;
	}
	bt_ticket_free(t);
	json_array_end(&j);
	/* Where the next call resumes: after the last event returned. */
	json_string(&j, "cursor", bt_audit_iter_cursor(it));
	json_object_end(&j);
	json_finish(&j);
	bt_audit_iter_free(it);
	if (rc != BT_OK && rc != BT_ITEROVER) {
		reply_drop(&b);
		return reply_bt(r, rc);
	}
	return reply_send(r, &b, MHD_HTTP_OK);
}

/* ---- the waiter ---- */

static void resume_parked(waiter *w, int all, int64_t now)
{
	request **p = &w->parked, *r;

	while ((r = *p)) {
		if (all || now >= r->poll_deadline_ms) {
			*p = r->next_parked;
			r->next_parked = NULL;
			MHD_resume_connection(r->conn);
		} else {
			p = &r->next_parked;
		}
	}
}

/* Read the feed's new events; returns how many (0 on an error). */
static int drain(bt_audit_iter *it)
{
	bt_audit_entry *e;
	int n = 0;

	while (bt_audit_iter_next(it, &e) == BT_OK) {
		bt_audit_entry_free(e);
		n++;
	}
	return n;
}

/* When the earliest live lease of an open ticket ends (its ticket then
 * returns to the queue), or INT64_MAX when none does or the database
 * cannot say.  Live claims are few: the tickets agents work on now. */
static int64_t next_lease_end(server *s)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	int64_t end = INT64_MAX, at;
	bt_ticket_iter *it;
	bt_ticket *t;

	f.status_mask = BT_STATUS_OPEN_MASK;
	f.claimed = BT_CLAIMED_YES;
	if (bt_ticket_iter_new(s->db, &f, &it) != BT_OK)
		return INT64_MAX;
	while (bt_ticket_iter_next(it, &t) == BT_OK) {
		at = bt_ticket_claim_expires_at(t);
		if (at > 0 && at < end)
			end = at;
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	return end;
}

static void *waiter_main(void *arg)
{
	server *s = arg;
	waiter *w = s->waiter;
	bt_audit_iter *it = NULL;
	int64_t lease_end = -1, now; /* -1: to be looked up */
	int events, rc, expired;

	bt_audit_feed_end(s->db, &it);
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		if (!w->parked) {
			pthread_cond_wait(&w->wake, &w->lock);
			lease_end = -1; /* claims may have come and gone meanwhile */
			continue;
		}
		pthread_mutex_unlock(&w->lock);
		if (lease_end < 0)
			lease_end = next_lease_end(s);
		events = 0;
		rc = it ? bt_audit_wait(it, TICK_MS) : BT_EINVALID;
		if (rc == BT_OK)
			events = drain(it);
		else if (rc != BT_ITEROVER) { /* the database is away: retry later */
			struct timespec ts = { 0, TICK_MS * 1000000L };

			if (!it)
				bt_audit_feed_end(s->db, &it);
			nanosleep(&ts, NULL);
		}
		now = now_ms();
		/* Within TICK_MS of the lease's end: the waits above are that long. */
		expired = now >= lease_end;
		if (events || expired)
			lease_end = -1; /* a claim, renewal or release moved it */
		pthread_mutex_lock(&w->lock);
		if (events)
			w->generation++;
		resume_parked(w, events > 0 || expired || w->wake_all, now);
	}
	resume_parked(w, 1, 0);
	pthread_mutex_unlock(&w->lock);
	bt_audit_iter_free(it);
	return NULL;
}

int waiter_start(server *s)
{
	waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	s->waiter = w;
	if (pthread_create(&w->thread, NULL, waiter_main, s) != 0) {
		free(w);
		s->waiter = NULL;
		return -1;
	}
	return 0;
}

void waiter_wake_all(server *s)
{
	waiter *w = s->waiter;

	pthread_mutex_lock(&w->lock);
	w->wake_all = 1;
	resume_parked(w, 1, 0);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void waiter_stop(server *s)
{
	waiter *w = s->waiter;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	s->waiter = NULL;
}

/* Park @p r unless the feed moved since @p seen; 1 when parked. */
static int park(request *r, unsigned long seen)
{
	waiter *w = r->srv->waiter;
	int parked = 0;

	pthread_mutex_lock(&w->lock);
	if (w->generation == seen && !w->wake_all && !w->stop) {
		MHD_suspend_connection(r->conn);
		r->next_parked = w->parked;
		w->parked = r;
		parked = 1;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	return parked;
}

static unsigned long generation(server *s)
{
	unsigned long g;

	pthread_mutex_lock(&s->waiter->lock);
	g = s->waiter->generation;
	pthread_mutex_unlock(&s->waiter->lock);
	return g;
}

/* ---- GET /pending ---- */

enum MHD_Result route_pending(request *r)
{
	static const char *const params[] = { "agent", "limit", "max-attempts", "wait", NULL };
	enum MHD_Result res = MHD_NO;
	int64_t limit = 0, attempts = 0, wait = 0;
	bt_ticket_iter *it;
	bt_ticket *t;
	char *more;
	unsigned long seen;
	reply b;
	int rc, empty;

	if (!query_check(r, params, &res) || !query_int(r, "limit", 1, 1000, &limit, &res) ||
	    !query_int(r, "max-attempts", 0, INT32_MAX, &attempts, &res) ||
	    !query_int(r, "wait", 0, r->srv->cfg->max_wait_s, &wait, &res))
		return res;
	if (!r->poll_started) {
		r->poll_started = 1;
		r->poll_deadline_ms = now_ms() + wait * 1000;
	}
	for (;;) {
		seen = generation(r->srv);
		/* Looked at once to see whether there is anything, then again
		 * to write it: the queue is one page and moves as agents
		 * claim, so a second look costs one read and reads the latest. */
		rc = bt_ticket_pending(r->srv->db, query(r, "agent"), (int)attempts,
				       (unsigned int)limit, &it);
		if (rc != BT_OK)
			return reply_bt(r, rc);
		rc = bt_ticket_iter_next(it, &t);
		bt_ticket_iter_free(it);
		if (rc != BT_OK && rc != BT_ITEROVER)
			return reply_bt(r, rc);
		empty = rc == BT_ITEROVER;
		bt_ticket_free(empty ? NULL : t);
		if (!empty || now_ms() >= r->poll_deadline_ms || r->srv->stopping)
			break;
		if (park(r, seen))
			return MHD_YES; /* resumed by the waiter: this runs again */
	}
	rc = bt_ticket_pending(r->srv->db, query(r, "agent"), (int)attempts, (unsigned int)limit, &it);
	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0) {
		bt_ticket_iter_free(it);
		return MHD_NO;
	}
	rc = emit_tickets_json(b.f, it, 0, &more); /* pending --json */
	bt_ticket_iter_free(it);
	free(more);
	if (rc != BT_OK) {
		reply_drop(&b);
		return reply_bt(r, rc);
	}
	return reply_send(r, &b, MHD_HTTP_OK);
}
