/*
 * aggregate.c - reports (bt_aggregate_iter): the columns of each kind, the
 * validation of their options, and the paging that streams their rows.
 *
 * Each call to bt_aggregate_iter_next() takes the handle's lock only for the
 * storage calls that produce the next row or page, and keeps a position
 * (after which ticket, component or day) rather than an open statement, as
 * log_iter.c and ticket_iter.c do: memory stays constant, no read
 * transaction outlives a call, and other threads' writes are never held up
 * by a slow consumer.  All SQL is in store/sqlite/reports.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "versioned.h"

#define PAGE_ROWS 64
/* A page of components costs a pass over the range's current days (see
 * store/sqlite/reports.c), so pages are larger. */
#define COMPONENT_ROWS 256
#define MAX_COLS 10
#define TOP_DEFAULT 10u
#define TOP_MAX 1000u
#define DAY_MS ((int64_t)86400000)

typedef struct col_def {
	const char *name;
	bt_aggregate_type type;
} col_def;

#define C_INT(n)  { n, BT_AGGREGATE_INT }
#define C_TEXT(n) { n, BT_AGGREGATE_TEXT }
#define C_TIME(n) { n, BT_AGGREGATE_TIME }
#define C_DUR(n)  { n, BT_AGGREGATE_DURATION }

/* The frozen columns: append only (README, "bugtrack report"). */
static const col_def summary_cols[] = {
	C_TIME("from"), C_TIME("to"), C_INT("occurrences"), C_INT("tickets_seen"),
	C_INT("new_tickets"), C_INT("resolved"), C_INT("regressions"), C_INT("open_now"),
};
static const col_def top_cols[] = {
	C_INT("rank"), C_INT("id"), C_TEXT("number"), C_INT("occurrences"),
	C_INT("occurrence_count"), C_TEXT("status"), C_TEXT("severity"), C_TEXT("component"),
	C_TIME("last_occurred_at"), C_TEXT("title"),
};
static const col_def component_cols[] = {
	C_TEXT("component"), C_INT("occurrences"), C_INT("new_tickets"), C_INT("open_now"),
};
static const col_def daily_cols[] = {
	C_TEXT("day"), C_TEXT("component"), C_INT("occurrences"), C_INT("new_tickets"),
};
static const col_def mttr_cols[] = {
	C_TEXT("severity"), C_INT("resolved"), C_DUR("mean_ms"), C_DUR("median_ms"),
};

struct bt_aggregate_iter;
typedef int (*next_fn)(struct bt_aggregate_iter *it);

static int summary_next(struct bt_aggregate_iter *it);
static int top_next(struct bt_aggregate_iter *it);
static int components_next(struct bt_aggregate_iter *it);
static int daily_next(struct bt_aggregate_iter *it);
static int mttr_next(struct bt_aggregate_iter *it);

static const struct kind_def {
	const char *name;
	const col_def *cols;
	int ncols;
	next_fn next;
} kinds[] = {
	[BT_AGGREGATE_SUMMARY] = { "summary", summary_cols, (int)BTI_ARRAY_LEN(summary_cols),
				   summary_next },
	[BT_AGGREGATE_TOP] = { "top", top_cols, (int)BTI_ARRAY_LEN(top_cols), top_next },
	[BT_AGGREGATE_COMPONENTS] = { "components", component_cols,
				      (int)BTI_ARRAY_LEN(component_cols), components_next },
	[BT_AGGREGATE_DAILY] = { "daily", daily_cols, (int)BTI_ARRAY_LEN(daily_cols), daily_next },
	[BT_AGGREGATE_MTTR] = { "mttr", mttr_cols, (int)BTI_ARRAY_LEN(mttr_cols), mttr_next },
};

struct bt_aggregate_iter {
	bt_db *db;
	const struct kind_def *def;
	int64_t given_from, given_to; /* as the caller gave them; 0: unbounded */
	int64_t from, to;             /* resolved: [from, to) */
	unsigned int limit;

	/* The current row; its strings are owned. */
	int has_row;
	int64_t num[MAX_COLS];
	char *text[MAX_COLS];
	unsigned int nulls; /* bit i: column i is NULL */

	/* The position. */
	int started, done;
	int64_t emitted;
	size_t count, next;        /* the page: rows count, the next one to return */
	int last_page;
	bti_report_top_row top[PAGE_ROWS];
	int64_t after_count, after_id;
	int64_t day;               /* daily: the start of the current day */
	bti_report_group_row groups[COMPONENT_ROWS]; /* components, or daily's of a day */
	int has_after;             /* components, daily: a component was returned */
	char *after;               /* ... namely this one (NULL: the NULL component) */
	bti_report_mttr_row mttr[5];
};

const char *bt_aggregate_kind_name(bt_aggregate_kind kind)
{
	if ((int)kind < BT_AGGREGATE_SUMMARY || (int)kind > BT_AGGREGATE_MTTR)
		return NULL;
	return kinds[kind].name;
}

static int check_options(bt_aggregate_kind kind, const bt_aggregate_options *o)
{
	if (o->from && o->to && o->from >= o->to)
		return bti_error(BT_EINVALID, "bt_aggregate_iter_new: the range ends before it "
				 "starts (from must be before to)");
	if (o->limit > TOP_MAX)
		return bti_error(BT_EINVALID, "bt_aggregate_iter_new: limit %u is over %u",
				 o->limit, TOP_MAX);
	if (o->limit && kind != BT_AGGREGATE_TOP)
		return bti_error(BT_EINVALID, "bt_aggregate_iter_new: limit applies only to the "
				 "top report, not to %s", kinds[kind].name);
	return BT_OK;
}

int bt_aggregate_iter_new(bt_db *db, bt_aggregate_kind kind, const bt_aggregate_options *opts,
			  bt_aggregate_iter **out)
{
	bt_aggregate_options o;
	bt_aggregate_iter *it;
	int rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_aggregate_iter_new: %s is NULL", db ? "out" : "db");
	if (!bt_aggregate_kind_name(kind))
		return bti_error(BT_EINVALID, "bt_aggregate_iter_new: unknown kind %d", (int)kind);
	rc = bti_versioned_in(&bti_v_aggregate_options, "bt_aggregate_iter_new", opts, &o);
	if (rc == BT_OK)
		rc = check_options(kind, &o);
	if (rc != BT_OK)
		return rc;
	it = bti_calloc(1, sizeof(*it));
	if (!it)
		return bti_error(BT_ENOMEM, "bt_aggregate_iter_new: out of memory");
	it->db = db;
	it->def = &kinds[kind];
	it->given_from = o.from;
	it->given_to = o.to;
	it->from = o.from ? o.from : INT64_MIN;
	it->to = o.to ? o.to : INT64_MAX;
	it->limit = o.limit ? o.limit : TOP_DEFAULT;
	it->after_count = -1;
	*out = it;
	return BT_OK;
}

/* ---- the current row ---- */

static void row_clear(bt_aggregate_iter *it)
{
	int i;

	for (i = 0; i < MAX_COLS; i++) {
		bti_free(it->text[i]);
		it->text[i] = NULL;
		it->num[i] = 0;
	}
	it->nulls = 0;
	it->has_row = 0;
}

static void set_int(bt_aggregate_iter *it, int col, int64_t v)
{
	it->num[col] = v;
}

static void set_null(bt_aggregate_iter *it, int col)
{
	it->nulls |= 1u << col;
}

/* Takes @s (NULL: the column is NULL). */
static void set_text(bt_aggregate_iter *it, int col, char *s)
{
	it->text[col] = s;
	if (!s)
		set_null(it, col);
}

static int set_text_copy(bt_aggregate_iter *it, int col, const char *s)
{
	char *copy = NULL;

	if (s && !(copy = bti_strdup(s)))
		return bti_error(BT_ENOMEM, "bt_aggregate_iter_next: out of memory");
	set_text(it, col, copy);
	return BT_OK;
}

/* ---- summary ---- */

static int summary_next(bt_aggregate_iter *it)
{
	bti_report_summary s;
	int rc;

	if (it->done)
		return BT_ITEROVER;
	memset(&s, 0, sizeof(s));
	rc = bti_db_lock(it->db, "bt_aggregate_iter_next");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_report_summary(it->db->store, it->from, it->to, &s);
	bti_db_unlock(it->db);
	if (rc != BT_OK)
		return rc;
	if (it->given_from)
		set_int(it, 0, it->given_from);
	else
		set_null(it, 0);
	if (it->given_to)
		set_int(it, 1, it->given_to);
	else
		set_null(it, 1);
	set_int(it, 2, s.occurrences);
	set_int(it, 3, s.tickets_seen);
	set_int(it, 4, s.new_tickets);
	set_int(it, 5, s.resolved);
	set_int(it, 6, s.regressions);
	set_int(it, 7, s.open_now);
	it->done = 1;
	return BT_OK;
}

/* ---- top ---- */

static int top_page(bt_aggregate_iter *it)
{
	size_t want = it->limit - (size_t)it->emitted;
	int rc;

	if (want > PAGE_ROWS)
		want = PAGE_ROWS;
	rc = bti_db_lock(it->db, "bt_aggregate_iter_next");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_report_top_page(it->db->store, it->from, it->to, it->after_count,
				       it->after_id, it->top, want, &it->count);
	bti_db_unlock(it->db);
	it->next = 0;
	if (rc != BT_OK)
		return rc;
	if (it->count < want)
		it->last_page = 1;
	return BT_OK;
}

static int top_next(bt_aggregate_iter *it)
{
	bti_report_top_row *r;
	int rc;

	if (it->emitted >= (int64_t)it->limit)
		return BT_ITEROVER;
	if (it->next == it->count) {
		if (it->last_page)
			return BT_ITEROVER;
		rc = top_page(it);
		if (rc != BT_OK)
			return rc;
		if (it->count == 0)
			return BT_ITEROVER;
	}
	r = &it->top[it->next++];
	it->after_count = r->occurrences;
	it->after_id = r->id;
	it->emitted++;
	set_int(it, 0, it->emitted);
	set_int(it, 1, r->id);
	set_text(it, 2, r->number);
	set_int(it, 3, r->occurrences);
	set_int(it, 4, r->occurrence_count);
	set_text(it, 5, r->status);
	set_text(it, 6, r->severity);
	set_text(it, 7, r->component);
	if (r->last_occurred_at)
		set_int(it, 8, r->last_occurred_at);
	else
		set_null(it, 8);
	set_text(it, 9, r->title);
	/* The strings now belong to the current row. */
	r->number = r->status = r->severity = r->component = r->title = NULL;
	return BT_OK;
}

/* ---- components ---- */

static void set_after(bt_aggregate_iter *it, char *component)
{
	bti_free(it->after);
	it->after = component;
	it->has_after = 1;
}

typedef int (*groups_page_fn)(bti_store *st, int64_t from, int64_t to, int has_after,
			      const char *after, bti_report_group_row *rows, size_t cap,
			      size_t *n_out);

/* The next page of up to @cap groups in [@from, @to) after the position,
 * from the store's component or day pages. */
static int groups_page(bt_aggregate_iter *it, groups_page_fn fetch, int64_t from, int64_t to,
		       size_t cap)
{
	int rc;

	rc = bti_db_lock(it->db, "bt_aggregate_iter_next");
	if (rc != BT_OK)
		return rc;
	rc = fetch(it->db->store, from, to, it->has_after, it->after, it->groups, cap, &it->count);
	bti_db_unlock(it->db);
	it->next = 0;
	if (rc != BT_OK)
		return rc;
	if (it->count < cap)
		it->last_page = 1;
	return BT_OK;
}

static int components_next(bt_aggregate_iter *it)
{
	int rc;

	while (!it->done) {
		bti_report_group_row *r;
		char *position = NULL;

		if (it->next == it->count) {
			if (it->last_page) {
				it->done = 1;
				break;
			}
			rc = groups_page(it, bti_store_report_component_page, it->from, it->to,
					 COMPONENT_ROWS);
			if (rc != BT_OK)
				return rc;
			continue;
		}
		r = &it->groups[it->next];
		if (r->component && !(position = bti_strdup(r->component)))
			return bti_error(BT_ENOMEM, "bt_aggregate_iter_next: out of memory");
		it->next++;
		set_after(it, position);
		if (!r->occurrences && !r->new_tickets && !r->open_now) {
			bti_report_group_row_clear(r); /* nothing to report */
			continue;
		}
		set_text(it, 0, r->component);
		r->component = NULL;
		set_int(it, 1, r->occurrences);
		set_int(it, 2, r->new_tickets);
		set_int(it, 3, r->open_now);
		return BT_OK;
	}
	return BT_ITEROVER;
}

/* ---- daily ---- */

static int64_t day_start(int64_t t)
{
	int64_t r = t % DAY_MS;

	return t - (r < 0 ? r + DAY_MS : r);
}

static int day_label(int64_t day, char **out)
{
	time_t secs = (time_t)(day / 1000);
	struct tm tm;
	char buf[32];

	if (!gmtime_r(&secs, &tm))
		return bti_error(BT_EINTERNAL, "bt_aggregate_iter_next: day out of range");
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	*out = bti_strdup(buf);
	return *out ? BT_OK : bti_error(BT_ENOMEM, "bt_aggregate_iter_next: out of memory");
}

/* Move to the next day with activity; BT_ITEROVER after the last. */
static int next_day(bt_aggregate_iter *it)
{
	int64_t at = it->from, t = 0;
	int rc;

	if (it->started) {
		if (it->day > INT64_MAX - DAY_MS)
			return BT_ITEROVER;
		at = it->day + DAY_MS;
		if (at < it->from)
			at = it->from;
	}
	if (at >= it->to)
		return BT_ITEROVER;
	rc = bti_db_lock(it->db, "bt_aggregate_iter_next");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_report_next_activity(it->db->store, at, it->to, &t);
	bti_db_unlock(it->db);
	if (rc != BT_OK)
		return rc;
	it->started = 1;
	it->day = day_start(t);
	it->has_after = 0;
	bti_free(it->after);
	it->after = NULL;
	it->count = it->next = 0;
	it->last_page = 0;
	return BT_OK;
}

/* The next page of the current day's components. */
static int day_page(bt_aggregate_iter *it)
{
	int64_t from = it->day > it->from ? it->day : it->from;
	int64_t to = it->day <= INT64_MAX - DAY_MS && it->day + DAY_MS < it->to
		? it->day + DAY_MS : it->to;

	return groups_page(it, bti_store_report_day_page, from, to, PAGE_ROWS);
}

static int daily_emit(bt_aggregate_iter *it)
{
	bti_report_group_row *r = &it->groups[it->next];
	char *label, *position = NULL;
	int rc = day_label(it->day, &label);

	if (rc == BT_OK && r->component && !(position = bti_strdup(r->component))) {
		bti_free(label);
		rc = bti_error(BT_ENOMEM, "bt_aggregate_iter_next: out of memory");
	}
	if (rc != BT_OK)
		return rc;
	it->next++;
	set_after(it, position);
	set_text(it, 0, label);
	set_text(it, 1, r->component);
	r->component = NULL;
	set_int(it, 2, r->occurrences);
	set_int(it, 3, r->new_tickets);
	return BT_OK;
}

static int daily_next(bt_aggregate_iter *it)
{
	int rc;

	while (!it->done) {
		if (it->next < it->count)
			return daily_emit(it);
		if (!it->started || it->last_page) {
			rc = next_day(it);
			if (rc == BT_ITEROVER)
				it->done = 1;
			if (rc != BT_OK)
				return rc;
		}
		rc = day_page(it);
		if (rc != BT_OK)
			return rc;
	}
	return BT_ITEROVER;
}

/* ---- mttr ---- */

static int mttr_next(bt_aggregate_iter *it)
{
	/* Rows in bt_severity order, most severe first, then all (index 0). */
	static const int order[] = { BT_SEVERITY_CRITICAL, BT_SEVERITY_HIGH, BT_SEVERITY_MEDIUM,
				     BT_SEVERITY_LOW, 0 };
	const bti_report_mttr_row *r;
	int rc, sev;

	if (!it->started) {
		rc = bti_db_lock(it->db, "bt_aggregate_iter_next");
		if (rc != BT_OK)
			return rc;
		rc = bti_store_report_mttr(it->db->store, it->from, it->to, it->mttr);
		bti_db_unlock(it->db);
		if (rc != BT_OK)
			return rc;
		it->started = 1;
	}
	if (it->next >= BTI_ARRAY_LEN(order))
		return BT_ITEROVER;
	sev = order[it->next];
	rc = set_text_copy(it, 0, sev ? bt_severity_name((bt_severity)sev) : "all");
	if (rc != BT_OK)
		return rc;
	it->next++;
	r = &it->mttr[sev];
	set_int(it, 1, r->resolved);
	if (r->resolved) {
		set_int(it, 2, r->mean_ms);
		set_int(it, 3, r->median_ms);
	} else {
		set_null(it, 2);
		set_null(it, 3);
	}
	return BT_OK;
}

/* ---- the iterator ---- */

int bt_aggregate_iter_next(bt_aggregate_iter *it)
{
	int rc;

	if (!it)
		return bti_error(BT_EINVALID, "bt_aggregate_iter_next: iter is NULL");
	row_clear(it);
	rc = it->def->next(it);
	if (rc == BT_OK)
		it->has_row = 1;
	else
		row_clear(it);
	return rc;
}

void bt_aggregate_iter_free(bt_aggregate_iter *it)
{
	size_t i;

	if (!it)
		return;
	row_clear(it);
	for (i = 0; i < PAGE_ROWS; i++)
		bti_report_top_row_clear(&it->top[i]);
	for (i = 0; i < COMPONENT_ROWS; i++)
		bti_report_group_row_clear(&it->groups[i]);
	bti_free(it->after);
	bti_free(it);
}

int bt_aggregate_iter_column_count(const bt_aggregate_iter *it)
{
	return it ? it->def->ncols : 0;
}

static int valid_col(const bt_aggregate_iter *it, int col)
{
	return it && col >= 0 && col < it->def->ncols;
}

const char *bt_aggregate_iter_column_name(const bt_aggregate_iter *it, int col)
{
	return valid_col(it, col) ? it->def->cols[col].name : NULL;
}

bt_aggregate_type bt_aggregate_iter_column_type(const bt_aggregate_iter *it, int col)
{
	return valid_col(it, col) ? it->def->cols[col].type : (bt_aggregate_type)0;
}

int bt_aggregate_iter_is_null(const bt_aggregate_iter *it, int col)
{
	return !valid_col(it, col) || !it->has_row || (it->nulls & (1u << col)) != 0;
}

int64_t bt_aggregate_iter_int(const bt_aggregate_iter *it, int col)
{
	if (bt_aggregate_iter_is_null(it, col) || it->def->cols[col].type == BT_AGGREGATE_TEXT)
		return 0;
	return it->num[col];
}

const char *bt_aggregate_iter_text(const bt_aggregate_iter *it, int col)
{
	if (bt_aggregate_iter_is_null(it, col) || it->def->cols[col].type != BT_AGGREGATE_TEXT)
		return NULL;
	return it->text[col];
}
