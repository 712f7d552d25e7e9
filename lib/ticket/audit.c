/*
 * audit.c - reading a ticket's audit trail, oldest first, a page at a time
 * after the last (time, id) returned; and the feed of every ticket's
 * events, by id, which a follower resumes with a cursor.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "store.h"

/* The entries are made by the backend (events_page) and freed here, one
 * destructor for every backend. */
void bt_audit_entry_free(bt_audit_entry *e)
{
	if (!e)
		return;
	bti_free(e->actor);
	bti_free(e->kind);
	bti_free(e->field);
	bti_free(e->from);
	bti_free(e->to);
	bti_free(e->note);
	bti_free(e);
}

#define PAGE_ROWS 64

struct bt_audit_iter {
	bt_db *db;
	/* bt_audit_wait's connection, made on its first call; a child of
	 * fork() makes its own (@waiter_pid). */
	bti_waiter *waiter;
	pid_t waiter_pid;
	int64_t ticket_id, after_time, after_id;
	bt_audit_entry *rows[PAGE_ROWS];
	size_t count, next;
	int last_page;
	int feed;         /* every ticket's events, by id (bt_audit_feed) */
	char cursor[32];  /* "e1.<id>", for the feed */
};

int bt_audit_iter_new(bt_db *db, int64_t id, bt_audit_iter **out)
{
	bt_audit_iter *it;
	int rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_audit_iter_new: %s is NULL", db ? "out" : "db");
	rc = bti_db_lock(db, "bt_audit_iter_new");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_ticket_exists(db->store, id);
	bti_db_unlock(db);
	if (rc != BT_OK)
		return rc;
	it = bti_calloc(1, sizeof(*it));
	if (!it)
		return bti_error(BT_ENOMEM, "bt_audit_iter_new: out of memory");
	it->db = db;
	it->ticket_id = id;
	it->after_time = INT64_MIN;
	*out = it;
	return BT_OK;
}

/* Read the next page into @it (it->count 0: nothing after it yet). */
static int fill(bt_audit_iter *it, const char *what)
{
	int rc = bti_db_lock(it->db, what);

	if (rc != BT_OK)
		return rc;
	if (it->feed)
		rc = bti_store_events_feed(it->db->store, it->after_id, it->rows, PAGE_ROWS,
					   &it->count);
	else
		rc = bti_store_events_page(it->db->store, it->ticket_id, it->after_time,
					   it->after_id, it->rows, PAGE_ROWS, &it->count);
	bti_db_unlock(it->db);
	it->next = 0;
	if (rc != BT_OK) {
		it->count = 0;
		return rc;
	}
	/* The feed reads on to what was committed since. */
	if (it->count < PAGE_ROWS && !it->feed)
		it->last_page = 1;
	return BT_OK;
}

int bt_audit_iter_next(bt_audit_iter *it, bt_audit_entry **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!it || !out)
		return bti_error(BT_EINVALID, "bt_audit_iter_next: %s is NULL", it ? "out" : "iter");
	if (it->next == it->count) {
		if (it->last_page)
			return BT_ITEROVER;
		rc = fill(it, "bt_audit_iter_next");
		if (rc != BT_OK)
			return rc;
		if (!it->count)
			return BT_ITEROVER;
	}
	*out = it->rows[it->next];
	it->rows[it->next++] = NULL;
	it->after_time = (*out)->created_at;
	it->after_id = (*out)->id;
	if (it->feed)
		snprintf(it->cursor, sizeof(it->cursor), "e1.%" PRId64, it->after_id);
	return BT_OK;
}

/* Cursors read "e1.<id>": a version, then the last event id seen. */
static int parse_feed_cursor(const char *cursor, int64_t *after_id)
{
	char *end;
	long long id;

	if (strncmp(cursor, "e1.", 3) != 0 || cursor[3] < '0' || cursor[3] > '9')
		goto bad;
	errno = 0;
	id = strtoll(cursor + 3, &end, 10);
	if (errno || *end)
		goto bad;
	*after_id = id;
	return BT_OK;
bad:
	return bti_error(BT_EINVALID, "bt_audit_feed: malformed cursor \"%.40s\"", cursor);
}

int bt_audit_feed(bt_db *db, const char *cursor, bt_audit_iter **out)
{
	bt_audit_iter *it;
	int64_t after_id = 0;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_audit_feed: %s is NULL", db ? "out" : "db");
	if (cursor && parse_feed_cursor(cursor, &after_id) != BT_OK)
		return BT_EINVALID;
	it = bti_calloc(1, sizeof(*it));
	if (!it)
		return bti_error(BT_ENOMEM, "bt_audit_feed: out of memory");
	it->db = db;
	it->feed = 1;
	it->after_id = after_id;
	if (cursor)
		snprintf(it->cursor, sizeof(it->cursor), "e1.%" PRId64, after_id);
	*out = it;
	return BT_OK;
}

int bt_audit_feed_end(bt_db *db, bt_audit_iter **out)
{
	char cursor[32];
	int64_t last = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_audit_feed_end: %s is NULL", db ? "out" : "db");
	rc = bti_db_lock(db, "bt_audit_feed_end");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_events_last(db->store, &last);
	bti_db_unlock(db);
	if (rc != BT_OK)
		return rc;
	snprintf(cursor, sizeof(cursor), "e1.%" PRId64, last);
	return bt_audit_feed(db, cursor, out);
}

const char *bt_audit_iter_cursor(const bt_audit_iter *it)
{
	return it && it->cursor[0] ? it->cursor : NULL;
}

int bt_audit_wait(bt_audit_iter *it, int timeout_ms)
{
	int64_t deadline;
	int rc;

	if (!it || !it->feed)
		return bti_error(BT_EINVALID, "bt_audit_wait: %s", it ? "the iterator is not a feed "
				 "(bt_audit_feed)" : "iter is NULL");
	if (timeout_ms < 0 || timeout_ms > BT_AUDIT_WAIT_MAX_MS)
		return bti_error(BT_EINVALID, "bt_audit_wait: timeout_ms %d is outside 0..%d",
				 timeout_ms, BT_AUDIT_WAIT_MAX_MS);
	if (it->next < it->count)
		return BT_OK;
	deadline = bti_mono_ms() + timeout_ms;
	/* An inherited waiter is the parent's: leave its connection alone
	 * (closing would end the parent's session) and make one here. */
	if (it->waiter && it->waiter_pid != getpid())
		it->waiter = NULL;
	/* Armed before the first look, so that nothing committed between the
	 * look and the wait is missed. */
	if (!it->waiter) {
		rc = bti_store_wait_open(it->db->path, it->db->busy_timeout_ms, &it->waiter);
		if (rc != BT_OK)
			return bti_error_rewrap(rc, "bt_audit_wait: %s", bt_error_message());
		it->waiter_pid = getpid();
	}
	for (;;) {
		rc = fill(it, "bt_audit_wait");
		if (rc != BT_OK || it->count)
			return rc;
		rc = bti_store_wait(it->waiter, deadline);
		if (rc == BT_ITEROVER)
			return BT_ITEROVER; /* caught up, and nothing came: no error */
		if (rc != BT_OK)
			return bti_error_rewrap(rc, "bt_audit_wait: %s", bt_error_message());
	}
}

void bt_audit_iter_free(bt_audit_iter *it)
{
	if (!it)
		return;
	if (it->waiter && it->waiter_pid == getpid())
		bti_store_wait_close(it->waiter);
	while (it->next < it->count)
		bt_audit_entry_free(it->rows[it->next++]);
	bti_free(it);
}

int64_t bt_audit_entry_id(const bt_audit_entry *e) { return e ? e->id : 0; }
int64_t bt_audit_entry_ticket_id(const bt_audit_entry *e) { return e ? e->ticket_id : 0; }
int64_t bt_audit_entry_created_at(const bt_audit_entry *e) { return e ? e->created_at : 0; }
const char *bt_audit_entry_actor(const bt_audit_entry *e) { return e ? e->actor : NULL; }
const char *bt_audit_entry_kind(const bt_audit_entry *e) { return e ? e->kind : NULL; }
const char *bt_audit_entry_field(const bt_audit_entry *e) { return e ? e->field : NULL; }
const char *bt_audit_entry_from(const bt_audit_entry *e) { return e ? e->from : NULL; }
const char *bt_audit_entry_to(const bt_audit_entry *e) { return e ? e->to : NULL; }
const char *bt_audit_entry_note(const bt_audit_entry *e) { return e ? e->note : NULL; }
