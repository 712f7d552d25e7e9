/*
 * fuzz_cursor.c - the list cursor (bt_ticket_filter.cursor, what
 * `bugtrack list --cursor` passes on), on arbitrary text.
 *
 * The database is made once per process with a fixed clock: 120 tickets
 * with ties in every sort key (times, occurrence counts, severities), so
 * that the id must break them.  Input: a byte choosing the sort, a byte
 * choosing a page length, then the cursor (cut at its first NUL).
 * Checked, for every sort:
 *  - a cursor is refused with BT_EINVALID and no iterator, or accepted;
 *  - an accepted cursor lists a suffix of the full listing, without
 *    repeats, and a cursor the iterator printed lists exactly what followed
 *    it;
 *  - paging (a new iterator from the cursor printed after every few
 *    tickets, as `bugtrack list` is used) lists the same tickets as one
 *    iterator does, and the printed cursors are always accepted.
 */
#include <string.h>

#include "fuzz.h"

#define TICKETS 120
#define SORTS 5 /* 0 (the default) and the four bt_ticket_sort values */

static bt_db *db;
static int64_t clock_ms = FUZZ_NOW_MS;
/* The full listing of each sort, and the cursor printed after each. */
static int64_t full[SORTS][TICKETS];
static char *cursors[SORTS][TICKETS];
static size_t nfull[SORTS];

static void make_db(void)
{
	db = fuzz_fresh_db("cursor.db", &clock_ms);
	/* Reports sharing a fingerprint count as occurrences of one ticket. */
	for (int i = 0; i < TICKETS + 40; i++) {
		bt_report r = BT_REPORT_INIT;
		char title[32], fp[32];

		clock_ms = FUZZ_NOW_MS - (int64_t)((i * 7919) % 50) * 60000;
		snprintf(title, sizeof(title), "ticket %d", i % TICKETS);
		snprintf(fp, sizeof(fp), "fp-%d", i < TICKETS ? i : (i * 31) % TICKETS);
		r.title = title;
		r.fingerprint = fp;
		r.severity = (bt_severity)(1 + i % 4);
		FUZZ_ASSERT(bt_report_create(db, &r, NULL, NULL) == BT_OK);
	}
	clock_ms = FUZZ_NOW_MS;
	for (int s = 0; s < SORTS; s++) {
		bt_ticket_filter f = BT_TICKET_FILTER_INIT;
		bt_ticket_iter *it;
		bt_ticket *t;

		f.sort = (bt_ticket_sort)s;
		FUZZ_ASSERT(bt_ticket_iter_new(db, &f, &it) == BT_OK);
		while (bt_ticket_iter_next(it, &t) == BT_OK) {
			FUZZ_ASSERT(nfull[s] < TICKETS);
			full[s][nfull[s]] = bt_ticket_id(t);
			cursors[s][nfull[s]++] = strdup(bt_ticket_iter_cursor(it));
			bt_ticket_free(t);
		}
		bt_ticket_iter_free(it);
		FUZZ_ASSERT(nfull[s] == TICKETS);
	}
}

/* The ids an iterator from @cursor lists, restarting from its own cursor
 * after every @step tickets, @restarts times; returns how many. */
static size_t list(int sort, const char *cursor, size_t step, int restarts, int64_t *ids)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;
	char *resume = NULL;
	size_t n = 0, in_page = 0;

	f.sort = (bt_ticket_sort)sort;
	f.cursor = cursor;
	FUZZ_ASSERT(bt_ticket_iter_new(db, &f, &it) == BT_OK);
	while (bt_ticket_iter_next(it, &t) == BT_OK) {
		/* More than every ticket: a repeat, or a loop. */
		FUZZ_ASSERT(n < TICKETS);
		ids[n++] = bt_ticket_id(t);
		bt_ticket_free(t);
		if (restarts > 0 && ++in_page == step) {
			free(resume);
			resume = strdup(bt_ticket_iter_cursor(it));
			FUZZ_ASSERT(resume && strncmp(resume, "t1.", 3) == 0);
			bt_ticket_iter_free(it);
			f.cursor = resume;
			FUZZ_ASSERT(bt_ticket_iter_new(db, &f, &it) == BT_OK);
			restarts--;
			in_page = 0;
		}
	}
	bt_ticket_iter_free(it);
	free(resume);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	int64_t once[TICKETS], paged[TICKETS];
	bt_ticket_iter *it = NULL;
	size_t n, skip;
	char *cursor;
	int sort, rc;

	if (size < 2)
		return 0;
	if (!db)
		make_db();
	sort = data[0] % SORTS;
	cursor = fuzz_cstring(data + 2, size - 2);
	f.sort = (bt_ticket_sort)sort;
	f.cursor = cursor;
	rc = bt_ticket_iter_new(db, &f, &it);
	if (rc != BT_OK) {
		FUZZ_ASSERT(rc == BT_EINVALID && it == NULL);
		free(cursor);
		return 0;
	}
	bt_ticket_iter_free(it);

	n = list(sort, cursor, 0, 0, once);
	skip = nfull[sort] - n;
	FUZZ_ASSERT(memcmp(once, full[sort] + skip, n * sizeof(once[0])) == 0);
	for (size_t i = 0; i < nfull[sort]; i++)
		if (strcmp(cursor, cursors[sort][i]) == 0)
			FUZZ_ASSERT(skip == i + 1);

	FUZZ_ASSERT(list(sort, cursor, 1 + data[1] % 40, 3, paged) == n);
	FUZZ_ASSERT(memcmp(once, paged, n * sizeof(once[0])) == 0);
	free(cursor);
	return 0;
}
