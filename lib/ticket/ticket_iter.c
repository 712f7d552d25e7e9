/*
 * ticket_iter.c - listing tickets.  The iterator reads a page of rows at a
 * time with keyset pagination (rows after the last (sort key, id) seen), so
 * memory stays bounded, no read transaction is held between calls, and the
 * same position serves as the opaque cursor callers page with.
 *
 * It reads in two steps: a batch of (sort key, id) pairs in the listing's
 * order, then each page's rows by id.  Sorting whole rows made every page
 * sort all the rows of its index group (by last occurrence, a day: up to
 * the whole table on a busy day), so a long listing was quadratic; pairs
 * are small, and a batch serves many pages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casefold.h"
#include "db.h"
#include "ticket.h"
#include "versioned.h"

/* The first page is small, so that the first rows come quickly (a
 * `list | head`); each next one is twice as large up to PAGE_ROWS_MAX, so
 * that a long listing makes few queries (each sorts what its index does
 * not order, such as the rest of a day by last occurrence). */
#define PAGE_ROWS 64
#define PAGE_ROWS_MAX 1024
/* Key batches grow the same way, from PAGE_ROWS to KEYS_MAX pairs (256 KB). */
#define KEYS_MAX 16384
#define VALID_STATUS_BITS 0x7Eu /* bits 1..6 */

struct bt_ticket_iter {
	bt_db *db;
	bti_ticket_query q;
	char *component, *assignee; /* owned copies of the filter's */
	char *text; /* the filter's, folded (bti_casefold) */
	bt_ticket **rows;
	int64_t *keys;
	size_t page, count, next;
	size_t want; /* rows the next page asks for: PAGE_ROWS up to @page */
	int last_page;
	/* The batch of (key, id) pairs the pages take their rows from. */
	int64_t *bkeys, *bids;
	size_t bcount, bnext, bwant;
	int keys_done; /* the last batch came short: no pair after it */
	/* The automation queue: one page of at most @page tickets. */
	int pending;
	char *agent;
	int max_attempts;
	char cursor[80];
};

/* Cursors read "t1.<sort>.<key>.<id>": a version, then the position. */
static void format_cursor(bt_ticket_iter *it)
{
	snprintf(it->cursor, sizeof(it->cursor), "t1.%d.%" PRId64 ".%" PRId64,
		 (int)it->q.sort, it->q.after_key, it->q.after_id);
}

static int parse_int64(const char **p, char stop, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(*p, &end, 10);
	if (errno || end == *p || *end != stop)
		return 0;
	*p = end + (stop ? 1 : 0);
	return 1;
}

static int parse_cursor(const char *cursor, bti_ticket_query *q)
{
	const char *p = cursor;
	int64_t sort;

	if (strncmp(p, "t1.", 3) != 0)
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: malformed cursor \"%.40s\"", cursor);
	p += 3;
	if (!parse_int64(&p, '.', &sort) || !parse_int64(&p, '.', &q->after_key) ||
	    !parse_int64(&p, '\0', &q->after_id))
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: malformed cursor \"%.40s\"", cursor);
	if (sort != q->sort)
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: the cursor was made for another sort order");
	q->has_position = 1;
	return BT_OK;
}

static int check_filter(const bt_ticket_filter *f)
{
	if (f->status_mask & ~VALID_STATUS_BITS)
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: unknown bits 0x%x in status_mask",
				 f->status_mask & ~VALID_STATUS_BITS);
	if ((int)f->min_severity < 0 || f->min_severity > BT_SEVERITY_CRITICAL)
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: unknown severity %d", (int)f->min_severity);
	if ((int)f->severity < 0 || f->severity > BT_SEVERITY_CRITICAL)
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: unknown severity %d", (int)f->severity);
	switch (f->claimed) {
	case BT_CLAIMED_ANY: case BT_CLAIMED_YES: case BT_CLAIMED_NO:
		break;
	default:
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: unknown bt_ticket_filter.claimed %d "
				 "(BT_CLAIMED_ANY, BT_CLAIMED_YES or BT_CLAIMED_NO)", (int)f->claimed);
	}
	if ((int)f->sort < 0 || f->sort > BT_SORT_CREATED)
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: unknown sort %d", (int)f->sort);
	return BT_OK;
}

static int alloc_page(bt_ticket_iter *it, size_t page)
{
	it->page = page;
	it->rows = bti_calloc(page, sizeof(*it->rows));
	it->keys = bti_calloc(page, sizeof(*it->keys));
	return it->rows && it->keys ? BT_OK : bti_error(BT_ENOMEM, "listing tickets: out of memory");
}

static int copy_opt(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = bti_strdup(s)))
		return bti_error(BT_ENOMEM, "bt_ticket_iter_new: out of memory");
	return BT_OK;
}

int bt_ticket_iter_new(bt_db *db, const bt_ticket_filter *filter, bt_ticket_iter **out)
{
	bt_ticket_filter f;
	bt_ticket_iter *it;
	int rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_ticket_iter_new: %s is NULL", db ? "out" : "db");
	rc = bti_versioned_in(&bti_v_ticket_filter, "bt_ticket_iter_new", filter, &f);
	filter = &f;
	if (rc == BT_OK)
		rc = check_filter(filter);
	if (rc != BT_OK)
		return rc;
	it = bti_calloc(1, sizeof(*it));
	if (!it)
		return bti_error(BT_ENOMEM, "bt_ticket_iter_new: out of memory");
	it->db = db;
	it->q.sort = filter->sort ? filter->sort : BT_SORT_LAST_OCCURRED;
	it->q.status_mask = filter->status_mask;
	it->q.min_severity = filter->min_severity;
	it->q.severity = filter->severity;
	it->q.claimed = (int)filter->claimed;
	it->q.created_from = filter->created_from;
	it->q.created_to = filter->created_to;
	it->q.occurred_from = filter->occurred_from;
	it->q.occurred_to = filter->occurred_to;
	it->q.changed_from = filter->changed_from;
	it->q.regressed_only = filter->regressed_only != 0;
	it->q.overdue_only = filter->overdue_only != 0;
	rc = alloc_page(it, PAGE_ROWS_MAX);
	it->want = PAGE_ROWS;
	if (rc == BT_OK)
		rc = copy_opt(filter->component, &it->component);
	if (rc == BT_OK)
		rc = copy_opt(filter->assignee, &it->assignee);
	/* Folded once here; the store compares it with folded text. */
	if (rc == BT_OK && filter->text && !(it->text = bti_casefold(filter->text, strlen(filter->text))))
		rc = bti_error(BT_ENOMEM, "bt_ticket_iter_new: out of memory");
	if (rc == BT_OK && filter->cursor)
		rc = parse_cursor(filter->cursor, &it->q);
	if (rc != BT_OK) {
		bt_ticket_iter_free(it);
		return rc;
	}
	it->q.component = it->component;
	it->q.assignee = it->assignee;
	it->q.text = it->text;
	*out = it;
	return BT_OK;
}

/* The next batch of (key, id) pairs, after the last one of this batch. */
static int fill_keys(bt_ticket_iter *it)
{
	bti_ticket_query kq = it->q;
	size_t n;
	int rc;

	if (it->bcount) {
		kq.has_position = 1;
		kq.after_key = it->bkeys[it->bcount - 1];
		kq.after_id = it->bids[it->bcount - 1];
	}
	if (!it->bkeys || it->bcount == it->bwant) { /* the first batch, or a larger one */
		size_t want = it->bkeys ? (it->bwant < KEYS_MAX / 2 ? it->bwant * 2 : KEYS_MAX)
					: PAGE_ROWS;
		int64_t *k = bti_realloc(it->bkeys, want * sizeof(*k));

		if (!k)
			return bti_error(BT_ENOMEM, "listing tickets: out of memory");
		it->bkeys = k;
		k = bti_realloc(it->bids, want * sizeof(*k));
		if (!k)
			return bti_error(BT_ENOMEM, "listing tickets: out of memory");
		it->bids = k;
		it->bwant = want;
	}
	rc = bti_store_ticket_keys(it->db->store, &kq, it->bkeys, it->bids, it->bwant, &n);
	if (rc != BT_OK) {
		it->bcount = it->bnext = 0; /* a retry starts again from the iterator's position */
		return rc;
	}
	it->bcount = n;
	it->bnext = 0;
	it->keys_done = n < it->bwant;
	return BT_OK;
}

/* Read the rows of the next up to it->want pairs of the batch.  A ticket
 * deleted since its pair was read is left out; one changed since is shown
 * as it is now. */
static int fill_rows(bt_ticket_iter *it)
{
	size_t take = it->bcount - it->bnext, i, n = 0;
	int rc = BT_OK;

	if (take > it->want)
		take = it->want;
	rc = bti_store_ticket_rows(it->db->store, it->bids + it->bnext, take, it->rows);
	if (rc != BT_OK)
		return rc;
	for (i = 0; i < take; i++) /* close the gaps of vanished rows */
		if (it->rows[i]) {
			it->rows[n] = it->rows[i];
			it->keys[n++] = it->bkeys[it->bnext + i];
		}
	for (i = n; i < take; i++)
		it->rows[i] = NULL;
	it->bnext += take;
	it->count = n;
	return BT_OK;
}

static int fill_page(bt_ticket_iter *it)
{
	int rc;

	rc = bti_db_lock(it->db, "bt_ticket_iter_next");
	if (rc != BT_OK)
		return rc;
	it->q.now = bti_db_now(it->db);
	it->count = 0;
	if (it->pending) {
		rc = bti_store_pending_page(it->db->store, it->agent, it->max_attempts, it->q.now,
					    it->rows, it->page, &it->count);
		it->last_page = 1;
	} else {
		/* Until a row comes or the listing ends: a page may lose all
		 * its rows to deletes.  One read transaction for the page:
		 * one snapshot, and one lock instead of one per row. */
		rc = bti_store_begin_read(it->db->store);
		if (rc == BT_OK) {
			do {
				if (it->bnext == it->bcount && !it->keys_done)
					rc = fill_keys(it);
				if (rc == BT_OK)
					rc = fill_rows(it);
			} while (rc == BT_OK && !it->count &&
				 !(it->keys_done && it->bnext == it->bcount));
			bti_store_rollback(it->db->store);
		}
		if (rc == BT_OK && it->keys_done && it->bnext == it->bcount)
			it->last_page = 1;
	}
	bti_db_unlock(it->db);
	it->next = 0;
	if (it->want < it->page / 2)
		it->want *= 2;
	else
		it->want = it->page;
	return rc;
}

int bt_ticket_iter_next(bt_ticket_iter *it, bt_ticket **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!it || !out)
		return bti_error(BT_EINVALID, "bt_ticket_iter_next: %s is NULL", it ? "out" : "iter");
	if (it->next == it->count) {
		if (it->last_page)
			return BT_ITEROVER;
		rc = fill_page(it);
		if (rc != BT_OK)
			return rc;
		if (it->count == 0)
			return BT_ITEROVER;
	}
	*out = it->rows[it->next];
	it->rows[it->next] = NULL;
	it->q.has_position = 1;
	it->q.after_key = it->keys[it->next];
	it->q.after_id = (*out)->num[BTI_T_ID];
	it->next++;
	/* The automation queue is one page of a moving queue: a position in
	 * it means nothing later, so it has no cursor to resume from. */
	if (!it->pending)
		format_cursor(it);
	return BT_OK;
}

const char *bt_ticket_iter_cursor(const bt_ticket_iter *it)
{
	return it && it->cursor[0] ? it->cursor : NULL;
}

void bt_ticket_iter_free(bt_ticket_iter *it)
{
	size_t i;

	if (!it)
		return;
	for (i = it->next; i < it->count; i++)
		bt_ticket_free(it->rows[i]);
	bti_free(it->rows);
	bti_free(it->keys);
	bti_free(it->bkeys);
	bti_free(it->bids);
	bti_free(it->agent);
	bti_free(it->component);
	bti_free(it->assignee);
	bti_free(it->text);
	bti_free(it);
}

int bt_ticket_pending(bt_db *db, const char *agent, int max_attempts, unsigned int limit,
		      bt_ticket_iter **out)
{
	bt_ticket_iter *it;
	int rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_ticket_pending: %s is NULL", db ? "out" : "db");
	if (max_attempts < 0)
		return bti_error(BT_EINVALID, "bt_ticket_pending: negative max_attempts %d", max_attempts);
	if (limit > 1000)
		return bti_error(BT_EINVALID, "bt_ticket_pending: limit %u is over 1000", limit);
	it = bti_calloc(1, sizeof(*it));
	if (!it)
		return bti_error(BT_ENOMEM, "bt_ticket_pending: out of memory");
	it->db = db;
	it->pending = 1;
	it->max_attempts = max_attempts;
	rc = alloc_page(it, limit ? limit : 100);
	if (rc == BT_OK)
		rc = copy_opt(agent, &it->agent);
	if (rc != BT_OK) {
		bt_ticket_iter_free(it);
		return rc;
	}
	*out = it;
	return BT_OK;
}
