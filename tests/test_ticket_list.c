/*
 * test_ticket_list.c - listing tickets: every filter, every sort order,
 * cursor paging that stays exact while tickets are inserted, bad cursors;
 * merged duplicates after the rest, a merge that moves a ticket's last
 * occurrence to a later day, and the query plans: the listing statements
 * seek an index and sort at most one day's rows (issue 17, item 3).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "store_sqlite.h"

static int64_t fake_now = 1700000000000LL;

static int64_t fake_clock(void *payload)
{
	(void)payload;
	return fake_now;
}

static bt_db *db;

static int64_t report(const char *title, bt_severity sev, const char *component)
{
	bt_report r = BT_REPORT_INIT;
	int64_t id = 0;

	r.title = title;
	r.severity = sev;
	r.component = component;
	CHECK_RC(bt_report_create(db, &r, &id, NULL), BT_OK);
	fake_now += 1000;
	return id;
}

/* List with @f; write the ids in order to @ids (up to cap); return count. */
static size_t list(const bt_ticket_filter *f, int64_t *ids, size_t cap)
{
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	size_t n = 0;
	int rc;

	CHECK_RC(bt_ticket_iter_new(db, f, &it), BT_OK);
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		if (n < cap)
			ids[n] = bt_ticket_id(t);
		n++;
		bt_ticket_free(t);
	}
	CHECK_RC(rc, BT_ITEROVER);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_ITEROVER); /* stays over */
	bt_ticket_iter_free(it);
	return n;
}

static void setup(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_event ev = BT_EVENT_INIT;
	int i;

	opts.clock = fake_clock;
	CHECK_RC(bt_open(&db, check_path("list.db"), &opts), BT_OK);
	report("Low thing", BT_SEVERITY_LOW, "ui");          /* 1 */
	report("Medium thing", BT_SEVERITY_MEDIUM, "db");    /* 2 */
	report("High thing", BT_SEVERITY_HIGH, "db");        /* 3 */
	report("Critical THING", BT_SEVERITY_CRITICAL, "net"); /* 4 */
	/* 5: a captured error with many occurrences, message searchable. */
	ev.level = BT_CRITICAL;
	ev.component = "net";
	ev.message = "socket exploded on port 80";
	for (i = 0; i < 4; i++)
		CHECK_RC(bt_log_event(db, &ev, NULL), BT_OK);
	fake_now += 1000;
}

static void test_sorts(void)
{
	int64_t ids[16];
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;

	CHECK(list(NULL, ids, 16) == 5);
	CHECK(ids[0] == 5 && ids[1] == 4 && ids[4] == 1); /* last occurred */
	f.sort = BT_SORT_OCCURRENCES;
	CHECK(list(&f, ids, 16) == 5 && ids[0] == 5 && ids[1] == 4); /* 4 occurrences, then id desc */
	f.sort = BT_SORT_SEVERITY;
	CHECK(list(&f, ids, 16) == 5 && ids[0] == 5 && ids[1] == 4 && ids[2] == 3 && ids[3] == 2 && ids[4] == 1);
	f.sort = BT_SORT_CREATED;
	CHECK(list(&f, ids, 16) == 5 && ids[0] == 5 && ids[4] == 1);
}

static void test_filters(void)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	int64_t ids[16];

	f.min_severity = BT_SEVERITY_HIGH;
	CHECK(list(&f, ids, 16) == 3);
	/* Exactly one severity (version 2); with a minimum, both hold. */
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.severity = BT_SEVERITY_HIGH;
	CHECK(list(&f, ids, 16) == 1 && ids[0] == 3);
	f.severity = BT_SEVERITY_CRITICAL;
	CHECK(list(&f, ids, 16) == 2 && ids[0] == 5 && ids[1] == 4);
	f.sort = BT_SORT_SEVERITY;
	CHECK(list(&f, ids, 16) == 2 && ids[0] == 5 && ids[1] == 4);
	f.sort = (bt_ticket_sort)0;
	f.min_severity = BT_SEVERITY_CRITICAL;
	f.severity = BT_SEVERITY_LOW;
	CHECK(list(&f, ids, 16) == 0);
	/* A version-1 caller has no severity field: what lies there is not read. */
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.version = 1;
	f.severity = BT_SEVERITY_HIGH;
	CHECK(list(&f, ids, 16) == 5);
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.component = "db";
	CHECK(list(&f, ids, 16) == 2 && ids[0] == 3 && ids[1] == 2);
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.text = "thing"; /* case-insensitive, title */
	CHECK(list(&f, ids, 16) == 4);
	f.text = "EXPLODED"; /* error message */
	CHECK(list(&f, ids, 16) == 1 && ids[0] == 5);
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.created_from = 1700000000000LL + 1000;
	f.created_to = 1700000000000LL + 3000;
	CHECK(list(&f, ids, 16) == 2 && ids[0] == 3 && ids[1] == 2);
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.occurred_from = 1700000000000LL + 4000;
	CHECK(list(&f, ids, 16) == 1 && ids[0] == 5);

	/* Status, claim, regression and assignee filters; the lifecycle tests
	 * cover them on tickets that have moved. */
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.status_mask = BT_STATUS_BIT(BT_STATUS_NEW);
	CHECK(list(&f, ids, 16) == 5);
	f.status_mask = BT_STATUS_BIT(BT_STATUS_RESOLVED);
	CHECK(list(&f, ids, 16) == 0);
	f.status_mask = BT_STATUS_OPEN_MASK;
	CHECK(list(&f, ids, 16) == 5);
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.claimed = BT_CLAIMED_YES;
	CHECK(list(&f, ids, 16) == 0);
	f.claimed = BT_CLAIMED_NO;
	CHECK(list(&f, ids, 16) == 5);
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.regressed_only = 1;
	CHECK(list(&f, ids, 16) == 0);
	f = (bt_ticket_filter)BT_TICKET_FILTER_INIT;
	f.assignee = "nobody";
	CHECK(list(&f, ids, 16) == 0);
}

/* Page by 2 with cursors while new tickets keep arriving: every ticket that
 * existed at the start is seen exactly once. */
static void test_cursor_paging_under_inserts(void)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	char cursor[128] = "";
	int seen[64] = { 0 };
	int pages = 0, total = 0;

	f.sort = BT_SORT_CREATED;
	for (;;) {
		bt_ticket_iter *it = NULL;
		bt_ticket *t;
		int n = 0;

		f.cursor = cursor[0] ? cursor : NULL;
		CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
		while (n < 2 && bt_ticket_iter_next(it, &t) == BT_OK) {
			int64_t id = bt_ticket_id(t);

			if (id > 0 && id < 64)
				seen[id]++;
			n++;
			total++;
			bt_ticket_free(t);
		}
		if (n && bt_ticket_iter_cursor(it))
			snprintf(cursor, sizeof(cursor), "%s", bt_ticket_iter_cursor(it));
		bt_ticket_iter_free(it);
		if (n < 2)
			break;
		report("Arrived between pages", BT_SEVERITY_LOW, "late");
		pages++;
		CHECK(pages < 20);
		if (pages >= 20)
			break;
	}
	for (int id = 1; id <= 5; id++)
		CHECK(seen[id] == 1);
	/* Newer tickets sort before the cursor, so none is seen at all. */
	for (int id = 6; id < 64; id++)
		CHECK(seen[id] == 0);
	CHECK(total == 5);
}

/* Swap in a fresh database @name with the fake clock; *@saved keeps the
 * shared one, for close_scratch(). */
static void open_scratch(const char *name, bt_db **saved)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;

	*saved = db;
	opts.clock = fake_clock;
	CHECK_RC(bt_open(&db, check_path(name), &opts), BT_OK);
}

static void close_scratch(bt_db *saved)
{
	bt_close(db);
	db = saved;
}

/* One critical occurrence of the fingerprint "@tag-@n" (asynchronous). */
static void occur(const char *tag, int n)
{
	bt_event ev = BT_EVENT_INIT;
	char fp[32];

	snprintf(fp, sizeof(fp), "%s-%d", tag, n);
	ev.level = BT_CRITICAL;
	ev.component = tag;
	ev.message = "an occurrence";
	ev.fingerprint = fp;
	CHECK_RC(bt_log_event(db, &ev, NULL), BT_OK);
}

/* A long listing, in every sort order, while tickets go.  The iterator
 * reads (key, id) batches ahead of its row pages (pairs: 64, doubling to
 * 16,384; rows: 64 a page, doubling to 1,024), so the seventh page's 1,024
 * pairs (listing positions 3,008 to 4,031) are read with the sixth page
 * (from position 1,984), and their rows when the seventh is.  Deleting them
 * in between leaves a page with no row; that must not end the listing, and
 * every other ticket comes, once, in order. */
static void test_long_listing_with_deletes(void)
{
	enum { N = 8200, PAGE6 = 1984, PAGE7 = 3008, GONE = 1024 };
	static int64_t got[N];
	bt_update_options u = BT_UPDATE_OPTIONS_INIT;
	bt_db *saved;
	size_t left = N;
	int sort;

	u.actor = "test";
	open_scratch("long.db", &saved);
	for (int i = 0; i < N; i++) {
		occur("long", i);
		fake_now += 10;
		if (i % 512 == 511) /* within the capture queue */
			CHECK_RC(bt_flush(db, -1), BT_OK);
	}
	CHECK_RC(bt_flush(db, -1), BT_OK);
	for (sort = BT_SORT_LAST_OCCURRED; sort <= BT_SORT_CREATED; sort++) {
		bt_ticket_filter f = BT_TICKET_FILTER_INIT;
		bt_ticket_iter *it = NULL;
		bt_ticket *t;
		size_t n = 0, deleted = 0;
		int rc, ordered = 1;

		f.sort = (bt_ticket_sort)sort;
		CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
		while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
			if (n < N)
				got[n] = bt_ticket_id(t);
			n++;
			bt_ticket_free(t);
			if (n == PAGE6 + 1) {
				/* Delete the seventh page's tickets, found with
				 * a second listing from this position. */
				bt_ticket_filter g = f;
				bt_ticket_iter *ahead = NULL;
				size_t skip = PAGE7 - PAGE6 - 1;

				g.cursor = bt_ticket_iter_cursor(it);
				CHECK_RC(bt_ticket_iter_new(db, &g, &ahead), BT_OK);
				while (deleted < GONE && bt_ticket_iter_next(ahead, &t) == BT_OK) {
					if (skip)
						skip--;
					else if (bt_ticket_delete(db, bt_ticket_id(t), &u) == BT_OK)
						deleted++;
					bt_ticket_free(t);
				}
				bt_ticket_iter_free(ahead);
			}
		}
		CHECK_RC(rc, BT_ITEROVER);
		bt_ticket_iter_free(it);
		CHECK(deleted == GONE);
		left -= GONE;
		if (n != left) fprintf(stderr, "sort %d: %zu listed, %zu left\n", sort, n, left);
		CHECK(n == left);
		/* Last occurrence and creation fall with the id here; count
		 * and severity are all equal, so the id decides. */
		for (size_t i = 1; i < n && i < N; i++)
			ordered &= got[i] < got[i - 1];
		CHECK(ordered);
	}
	close_scratch(saved);
}

static size_t list_by_cursor(bt_ticket_filter f, int64_t *ids, size_t cap);

/* The count's leading digit that tickets_count_floor indexes (0011). */
static int64_t floor_of(int64_t count)
{
	int64_t scale = 1;

	while (count / scale >= 10)
		scale *= 10;
	return count / scale * scale;
}

/* By occurrences across floors: counts that cross 10, 20, 100 and 1,000 in
 * one coalesced batch or one at a time, and a merge that adds a
 * duplicate's count, list in count order, one at a time by cursor as
 * whole; and count_floor is each count's leading digit. */
static void test_count_floors(void)
{
	static const int counts[] = { 1, 9, 10, 11, 19, 20, 21, 99, 100, 101, 999, 1000, 1234, 7 };
	enum { K = sizeof(counts) / sizeof(counts[0]) };
	bt_update_options u = BT_UPDATE_OPTIONS_INIT;
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_db *saved;
	int64_t ids[K + 1], by_cursor[K + 1], prev = INT64_MAX, id_of[K];
	sqlite3_stmt *q = NULL;
	size_t n;
	int bad = 0;

	u.actor = "test";
	open_scratch("floors.db", &saved);
	for (int k = 0; k < K; k++) {
		for (int i = 0; i < counts[k]; i++) {
			occur("floor", k);
			if (i % 300 == 299 || k % 2) /* odd: one commit each */
				CHECK_RC(bt_flush(db, -1), BT_OK);
		}
		CHECK_RC(bt_flush(db, -1), BT_OK);
		fake_now += 1000;
	}
	f.sort = BT_SORT_OCCURRENCES;
	n = list(&f, ids, K + 1);
	CHECK(n == K);
	for (size_t i = 0; i < n && i < K; i++)
		id_of[i] = ids[i];
	/* The ticket of 7 merges into the one of 999, which becomes 1,006
	 * and moves up a floor. */
	{
		bt_ticket *t = NULL;
		int64_t dup = 0, canon = 0;

		for (size_t i = 0; i < n && i < K; i++) {
			CHECK_RC(bt_ticket_get(db, id_of[i], &t), BT_OK);
			if (t && bt_ticket_occurrence_count(t) == 7)
				dup = id_of[i];
			if (t && bt_ticket_occurrence_count(t) == 999)
				canon = id_of[i];
			bt_ticket_free(t);
		}
		CHECK_RC(bt_ticket_merge(db, dup, canon, &u), BT_OK);
	}
	n = list(&f, ids, K + 1);
	CHECK(list_by_cursor(f, by_cursor, K + 1) == n);
	for (size_t i = 0; i < n && i < K; i++) {
		bt_ticket *t = NULL;
		int64_t c;

		CHECK(by_cursor[i] == ids[i]);
		CHECK_RC(bt_ticket_get(db, ids[i], &t), BT_OK);
		c = t ? bt_ticket_occurrence_count(t) : -1;
		bad += c > prev;
		prev = c;
		bt_ticket_free(t);
	}
	CHECK(bad == 0);
	CHECK(sqlite3_prepare_v2(((bti_sqlite_store *)db->store)->sql,
				 "SELECT occurrence_count, count_floor FROM tickets", -1, &q, NULL) == SQLITE_OK);
	n = 0;
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		CHECK(sqlite3_column_int64(q, 1) == floor_of(sqlite3_column_int64(q, 0)));
		n++;
	}
	sqlite3_finalize(q);
	CHECK(n == K);
	close_scratch(saved);
}

/* changed_from: tickets updated, or with an occurrence, at or after T.
 * Listed whole and a page of 2 at a time with cursors, in every sort order,
 * the same tickets come back in the same order. */
static void test_changed_from(void)
{
	static const bt_ticket_sort sorts[] = {
		BT_SORT_LAST_OCCURRED, BT_SORT_OCCURRENCES, BT_SORT_SEVERITY, BT_SORT_CREATED,
	};
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_update_options u = BT_UPDATE_OPTIONS_INIT;
	bt_event ev = BT_EVENT_INIT;
	bt_db *saved = db;
	int64_t t0, ids[32], paged[32], want[32], untouched, updated, occurred, fresh, edge, early;
	size_t n_want = 0;

	opts.clock = fake_clock;
	CHECK_RC(bt_open(&db, check_path("changed.db"), &opts), BT_OK);
	u.actor = "user:test";
	ev.level = BT_CRITICAL;
	ev.component = "net";
	/* Before T: */
	untouched = report("Untouched", BT_SEVERITY_LOW, "ui");
	updated = report("Triaged after T", BT_SEVERITY_HIGH, "ui");
	ev.message = "timeout talking to the cache";
	CHECK_RC(bt_log_event(db, &ev, &occurred), BT_OK);
	ev.message = "refused by the queue";
	CHECK_RC(bt_log_event(db, &ev, &early), BT_OK);
	edge = report("Triaged exactly at T", BT_SEVERITY_MEDIUM, "db");
	for (int i = 0; i < 5; i++) /* more than a page of old matches */
		want[n_want++] = report("Old, triaged after T", BT_SEVERITY_CRITICAL, "db");
	fake_now += 60000;
	CHECK_RC(bt_ticket_set_status(db, early, BT_STATUS_TRIAGED, &u), BT_OK); /* T - 1 s */
	fake_now += 1000;
	t0 = fake_now;
	/* At and after T: */
	CHECK_RC(bt_ticket_set_status(db, edge, BT_STATUS_TRIAGED, &u), BT_OK);
	fake_now += 1000;
	CHECK_RC(bt_ticket_set_status(db, updated, BT_STATUS_TRIAGED, &u), BT_OK);
	for (size_t i = 0; i < n_want; i++)
		CHECK_RC(bt_ticket_set_status(db, want[i], BT_STATUS_TRIAGED, &u), BT_OK);
	fake_now += 1000;
	ev.message = "timeout talking to the cache"; /* an occurrence: updated_at stays */
	CHECK_RC(bt_log_event(db, &ev, NULL), BT_OK);
	fake_now += 1000;
	fresh = report("Filed after T", BT_SEVERITY_LOW, "ui");
	want[n_want++] = edge;
	want[n_want++] = updated;
	want[n_want++] = occurred;
	want[n_want++] = fresh;

	for (size_t s = 0; s < sizeof(sorts) / sizeof(sorts[0]); s++) {
		bt_ticket_filter f = BT_TICKET_FILTER_INIT;
		char cursor[128] = "";
		size_t n, got = 0, pages = 0;

		f.sort = sorts[s];
		f.changed_from = t0;
		n = list(&f, ids, 32);
		CHECK_INT_EQ(n, n_want);
		for (size_t i = 0; i < n_want; i++) {
			int found = 0;

			for (size_t j = 0; j < n && j < 32; j++)
				found += ids[j] == want[i];
			if (found != 1)
				fprintf(stderr, "sort %d: ticket %lld listed %d times, not once\n",
					(int)sorts[s], (long long)want[i], found);
			CHECK(found == 1);
		}
		for (size_t j = 0; j < n && j < 32; j++)
			CHECK(ids[j] != untouched && ids[j] != early);
		/* A page of 2 at a time, resuming from the cursor. */
		for (;;) {
			bt_ticket_iter *it = NULL;
			bt_ticket *t;
			int k = 0;

			f.cursor = cursor[0] ? cursor : NULL;
			CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
			while (k < 2 && it && bt_ticket_iter_next(it, &t) == BT_OK) {
				if (got < 32)
					paged[got] = bt_ticket_id(t);
				got++;
				k++;
				bt_ticket_free(t);
			}
			if (k && bt_ticket_iter_cursor(it))
				snprintf(cursor, sizeof(cursor), "%s", bt_ticket_iter_cursor(it));
			bt_ticket_iter_free(it);
			if (k < 2 || ++pages > 20)
				break;
		}
		CHECK_INT_EQ(got, n);
		for (size_t j = 0; j < got && j < n && j < 32; j++)
			CHECK(paged[j] == ids[j]);
	}
	/* It narrows what the other filters let through, and 0 does not filter. */
	{
		bt_ticket_filter f = BT_TICKET_FILTER_INIT;

		f.changed_from = t0;
		f.component = "ui";
		CHECK(list(&f, ids, 32) == 2 && ids[0] == fresh && ids[1] == updated);
		f.changed_from = 0;
		CHECK(list(&f, ids, 32) == 3);
	}
	bt_close(db);
	db = saved;
}

static void test_bad_filters(void)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it = (bt_ticket_iter *)&it;
	bt_ticket *t = NULL;
	static const char *const bad_cursors[] = {
		"", "x", "t1.", "t1.1", "t1.1.2", "t1.1.2.", "t1.1.2.3x", "t2.1.2.3", "t1.1.99999999999999999999.3",
	};
	size_t i;

	CHECK_RC(bt_ticket_iter_new(NULL, &f, &it), BT_EINVALID);
	CHECK(it == NULL);
	CHECK_RC(bt_ticket_iter_new(db, &f, NULL), BT_EINVALID);
	f.version = 0;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_EINVALID);
	f.version = BT_TICKET_FILTER_VERSION;
	f.sort = (bt_ticket_sort)9;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_EINVALID);
	f.sort = 0;
	f.status_mask = 1u << 9;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_EINVALID);
	f.status_mask = 0;
	f.severity = (bt_severity)5;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown severity 5");
	f.severity = (bt_severity)0;
	/* An unknown claimed value is refused, not read as "unclaimed" by the
	 * store (which only tells BT_CLAIMED_YES from the rest). */
	f.claimed = (bt_claimed)3;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown bt_ticket_filter.claimed 3");
	f.claimed = (bt_claimed)-1;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "bt_ticket_filter.claimed -1");
	CHECK(it == NULL);
	f.claimed = BT_CLAIMED_ANY;
	for (i = 0; i < sizeof(bad_cursors) / sizeof(bad_cursors[0]); i++) {
		f.cursor = bad_cursors[i];
		CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_EINVALID);
		CHECK_STR_CONTAINS(bt_error_message(), "cursor");
	}
	f.cursor = "t1.4.1700000000000.3"; /* made for BT_SORT_CREATED */
	f.sort = BT_SORT_OCCURRENCES;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "another sort");
	CHECK_RC(bt_ticket_iter_next(NULL, &t), BT_EINVALID);
	CHECK(bt_ticket_iter_cursor(NULL) == NULL);
	bt_ticket_iter_free(NULL);
}

#define DAY_MS ((int64_t)86400000)

/* Page through @f one ticket at a time, each from the previous cursor. */
static size_t list_by_cursor(bt_ticket_filter f, int64_t *ids, size_t cap)
{
	char cursor[128] = "";
	size_t n = 0;

	for (;;) {
		bt_ticket_iter *it = NULL;
		bt_ticket *t = NULL;
		int rc;

		f.cursor = n ? cursor : NULL;
		CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
		rc = bt_ticket_iter_next(it, &t);
		if (rc == BT_OK) {
			if (n < cap)
				ids[n] = bt_ticket_id(t);
			n++;
			snprintf(cursor, sizeof(cursor), "%s", bt_ticket_iter_cursor(it));
			bt_ticket_free(t);
		}
		bt_ticket_iter_free(it);
		if (rc != BT_OK || n > cap) {
			CHECK_RC(rc, BT_ITEROVER);
			return n;
		}
	}
}

/* A merge whose duplicate occurred on a later day moves the canonical
 * ticket up, and the duplicate (it has no occurrence day any more) lists
 * after every other ticket, by pages and by cursors alike. */
static void test_merge_order(void)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_db *saved = db;
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_event ev = BT_EVENT_INIT;
	bt_update_options u = BT_UPDATE_OPTIONS_INIT;
	int64_t ids[8], a, b, c, d;

	u.actor = "test";
	opts.clock = fake_clock;
	CHECK_RC(bt_open(&db, check_path("merge.db"), &opts), BT_OK);
	fake_now = 1767571200000LL; /* 2026-01-05T00:00:00Z */
	a = report("A", BT_SEVERITY_LOW, "ui");
	b = report("B", BT_SEVERITY_LOW, "ui");
	fake_now += DAY_MS;
	d = report("D", BT_SEVERITY_LOW, "ui");
	fake_now += DAY_MS;
	ev.level = BT_CRITICAL;
	ev.component = "ui";
	ev.message = "C happened";
	CHECK_RC(bt_log_event(db, &ev, NULL), BT_OK);
	CHECK_RC(bt_flush(db, 10000), BT_OK);
	c = d + 1; /* capture's new ticket */
	fake_now += 1000;
	CHECK_RC(bt_ticket_merge(db, c, a, &u), BT_OK);
	CHECK(list(NULL, ids, 8) == 4);
	CHECK(ids[0] == a && ids[1] == d && ids[2] == b && ids[3] == c);
	CHECK(list_by_cursor(f, ids, 8) == 4);
	CHECK(ids[0] == a && ids[1] == d && ids[2] == b && ids[3] == c);
	bt_close(db);
	db = saved;
}

/* The reasons the plan of @sql_text breaks the rule, or 0: no scan of
 * tickets, and no sort of the whole result ("FOR RIGHT PART OF ORDER BY",
 * the rows of one index value, is allowed). */
static int plan_faults(sqlite3 *sql, const char *sql_text, int quiet)
{
	char plan[16384];
	sqlite3_stmt *q = NULL;
	int faults = 0;

	snprintf(plan, sizeof(plan), "EXPLAIN QUERY PLAN %s", sql_text);
	if (sqlite3_prepare_v2(sql, plan, -1, &q, NULL) != SQLITE_OK)
		return 1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(q, 3);
		int bad = d && (strncmp(d, "SCAN tickets", 12) == 0 ||
				strcmp(d, "USE TEMP B-TREE FOR ORDER BY") == 0);

		if (bad && !quiet)
			fprintf(stderr, "bad plan: %s\n  in: %.400s\n", d, sql_text);
		faults += bad;
	}
	sqlite3_finalize(q);
	return faults;
}

/* Each listing statement a fresh handle prepared for @sort, paging with
 * cursors, passes plan_faults; returns how many were checked. */
static int check_sort_plans(bt_ticket_sort sort)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bti_sqlite_store *st;
	bt_db *saved = db;
	int64_t ids[8];
	int checked = 0;
	size_t i;

	opts.flags = BT_OPEN_READONLY;
	CHECK_RC(bt_open(&db, check_path("merge.db"), &opts), BT_OK);
	if (!db) {
		db = saved;
		return 0;
	}
	f.sort = sort;
	CHECK(list_by_cursor(f, ids, 8) == 4);
	st = (bti_sqlite_store *)db->store;
	for (i = 0; i < st->cached; i++) {
		const char *text = sqlite3_sql(st->cache[i].stmt);

		if (!strstr(text, "FROM tickets") || !strstr(text, "ORDER BY"))
			continue;
		CHECK(plan_faults(st->sql, text, 0) == 0);
		checked++;
	}
	bt_close(db);
	db = saved;
	return checked;
}

static void test_plans(void)
{
	/* By last occurrence: the dated part and the merged duplicates. */
	CHECK(check_sort_plans(BT_SORT_LAST_OCCURRED) == 2);
	CHECK(check_sort_plans(BT_SORT_CREATED) == 1);
	/* By count: the floors' index; by severity: the rank's. */
	CHECK(check_sort_plans(BT_SORT_OCCURRENCES) == 1);
	CHECK(check_sort_plans(BT_SORT_SEVERITY) == 1);
	/* The check itself catches a full sort. */
	{
		bt_db *ro = NULL;
		bt_open_options opts = BT_OPEN_OPTIONS_INIT;

		opts.flags = BT_OPEN_READONLY;
		CHECK_RC(bt_open(&ro, check_path("merge.db"), &opts), BT_OK);
		if (ro) {
			sqlite3 *sql = ((bti_sqlite_store *)ro->store)->sql;

			CHECK(plan_faults(sql, "SELECT id FROM tickets ORDER BY title", 1) > 0);
			CHECK(plan_faults(sql, "SELECT id FROM tickets WHERE last_day < 5"
					  " ORDER BY last_day DESC, id DESC", 1) == 0);
			bt_close(ro);
		}
	}
}

int main(void)
{
	setup();
	RUN(test_sorts);
	RUN(test_filters);
	RUN(test_cursor_paging_under_inserts);
	RUN(test_long_listing_with_deletes);
	RUN(test_count_floors);
	RUN(test_changed_from);
	RUN(test_bad_filters);
	RUN(test_merge_order);
	RUN(test_plans);
	bt_close(db);
	return check_finish();
}
