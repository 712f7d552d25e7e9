/*
 * test_versioned.c - the one rule for versioned structs (lib/core/versioned.c):
 * every table's versions grow, the latest is the whole struct, bt_*_init()
 * writes only the bytes of the version asked for, input is read only as far
 * as the caller's version goes (the rest are defaults), and output is
 * written only as far as the caller's version goes.
 */
#include <stddef.h>

#include "check.h"
#include "versioned.h"

/* The rule itself, on a two-version struct of the test's own: the 1.0
 * freeze left most real tables with one version, and the rule must hold
 * when the first of them gets a second. */
typedef struct two {
	unsigned int version;
	int64_t a; /* version 1 */
	int64_t b; /* version 2 */
} two;

static const two two_defaults = { 2, 11, 22 };
static const bti_versioned two_table = {
	"bt_two", "BT_TWO_INIT", 2, &two_defaults,
	{ [1] = offsetof(two, b), [2] = sizeof(two) },
};

/* Whether the bytes of @p p from @p from to @p to are all still 0xa5. */
static int untouched(const void *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (((const unsigned char *)p)[i] != 0xa5) {
			fprintf(stderr, "byte %zu was written\n", i);
			return 0;
		}
	return 1;
}

static void test_tables(void)
{
	const bti_versioned *const *t;
	int n = 0;

	for (t = bti_versioned_all; *t; t++, n++) {
		size_t prev = sizeof(unsigned int);

		CHECK((*t)->latest >= 1 && (*t)->latest <= BTI_VERSIONED_MAX);
		for (unsigned int v = 1; v <= (*t)->latest; v++) {
			if ((*t)->sizes[v] <= prev)
				fprintf(stderr, "%s: version %u is %zu bytes, not more than %zu\n",
					(*t)->name, v, (*t)->sizes[v], prev);
			CHECK((*t)->sizes[v] > prev);
			prev = (*t)->sizes[v];
		}
		CHECK(strncmp((*t)->name, "bt_", 3) == 0);
		CHECK(strncmp((*t)->init, "BT_", 3) == 0);
	}
	CHECK_INT_EQ(n, 18); /* 1.1 added bt_ticket_changes */
	/* 1.0.0: nothing released before it, so every struct started at 1;
	 * since then bt_event, bt_ticket_filter and bt_log_filter grew (1.1:
	 * version 2).  A
	 * struct that grows is added here, so a version bump is never an
	 * accident. */
	for (t = bti_versioned_all; *t; t++) {
		unsigned int want = *t == &bti_v_event || *t == &bti_v_ticket_filter ||
				    *t == &bti_v_log_filter ? 2 : 1;

		if ((*t)->latest != want) {
			fprintf(stderr, "%s is at version %u, expected %u\n", (*t)->name,
				(*t)->latest, want);
			CHECK(0);
		}
	}
	/* Version 1 of bt_event is 1.0.0's struct: it ended at request_id. */
	CHECK_INT_EQ(bti_v_event.sizes[1], offsetof(bt_event, request_id) + sizeof(const char *));
	/* Version 1 of bt_ticket_filter ended at changed_from. */
	CHECK_INT_EQ(bti_v_ticket_filter.sizes[1],
		     offsetof(bt_ticket_filter, changed_from) + sizeof(int64_t));
	/* Version 1 of bt_log_filter ended at newest_first. */
	CHECK_INT_EQ(bti_v_log_filter.sizes[1], offsetof(bt_log_filter, newest_first) + sizeof(int));
	/* The latest version of each is the whole struct a caller declares. */
	CHECK_INT_EQ(bti_v_open_options.sizes[BT_OPEN_OPTIONS_VERSION], sizeof(bt_open_options));
	CHECK_INT_EQ(bti_v_ticket_counts.sizes[BT_TICKET_COUNTS_VERSION], sizeof(bt_ticket_counts));
	CHECK_INT_EQ(bti_v_purge_options.sizes[BT_PURGE_OPTIONS_VERSION], sizeof(bt_purge_options));
	CHECK_INT_EQ(bti_v_purge_result.sizes[BT_PURGE_RESULT_VERSION], sizeof(bt_purge_result));
	CHECK_INT_EQ(bti_v_ticket_filter.sizes[BT_TICKET_FILTER_VERSION], sizeof(bt_ticket_filter));
	/* Reset at the 1.0 freeze (nothing was released): one version each. */
	CHECK_INT_EQ(BT_TICKET_COUNTS_VERSION, 1);
	CHECK_INT_EQ(BT_PURGE_OPTIONS_VERSION, 1);
	CHECK_INT_EQ(BT_PURGE_RESULT_VERSION, 1);
	CHECK_INT_EQ(BT_TICKET_FILTER_VERSION, 2); /* 1.1: severity */
	CHECK_INT_EQ(BT_LOG_FILTER_VERSION, 2); /* 1.1: level */
	CHECK_INT_EQ(bti_v_log_filter.sizes[BT_LOG_FILTER_VERSION], sizeof(bt_log_filter));
	CHECK_INT_EQ(bti_v_event.sizes[BT_EVENT_VERSION], sizeof(bt_event));
}

/* Each init function equals its INIT macro, and refuses what it must. */
static void test_init_matches_macro(void)
{
	const bt_event ev0 = BT_EVENT_INIT;
	const bt_report r0 = BT_REPORT_INIT;
	const bt_ticket_filter f0 = BT_TICKET_FILTER_INIT;
	const bt_update_options u0 = BT_UPDATE_OPTIONS_INIT;
	const bt_log_filter l0 = BT_LOG_FILTER_INIT;
	const bt_purge_options p0 = BT_PURGE_OPTIONS_INIT;
	const bt_crash_options c0 = BT_CRASH_OPTIONS_INIT;
	const bt_aggregate_options a0 = BT_AGGREGATE_OPTIONS_INIT;
	bt_event ev;
	bt_report r;
	bt_ticket_filter f;
	bt_update_options u;
	bt_log_filter l;
	bt_purge_options p;
	bt_crash_options c;
	bt_aggregate_options a;

	memset(&ev, 0xa5, sizeof(ev));
	CHECK_RC(bt_event_init(&ev, BT_EVENT_VERSION), BT_OK);
	CHECK(ev.version == ev0.version && ev.level == ev0.level && ev.message == NULL);
	memset(&r, 0xa5, sizeof(r));
	CHECK_RC(bt_report_init(&r, BT_REPORT_VERSION), BT_OK);
	CHECK(r.version == r0.version && r.title == NULL && r.fingerprint == NULL);
	memset(&f, 0xa5, sizeof(f));
	CHECK_RC(bt_ticket_filter_init(&f, BT_TICKET_FILTER_VERSION), BT_OK);
	CHECK(f.version == f0.version && f.claimed == f0.claimed && f.cursor == NULL);
	memset(&u, 0xa5, sizeof(u));
	CHECK_RC(bt_update_options_init(&u, BT_UPDATE_OPTIONS_VERSION), BT_OK);
	CHECK(u.version == u0.version && u.actor == NULL && u.expected_version == 0);
	memset(&l, 0xa5, sizeof(l));
	CHECK_RC(bt_log_filter_init(&l, BT_LOG_FILTER_VERSION), BT_OK);
	CHECK(l.version == l0.version && l.newest_first == 0);
	memset(&p, 0xa5, sizeof(p));
	CHECK_RC(bt_purge_options_init(&p, BT_PURGE_OPTIONS_VERSION), BT_OK);
	CHECK(p.version == p0.version && p.progress == NULL && p.payload == NULL);
	memset(&c, 0xa5, sizeof(c));
	CHECK_RC(bt_crash_options_init(&c, BT_CRASH_OPTIONS_VERSION), BT_OK);
	CHECK(c.version == c0.version && c.fingerprint_frames == 0);
	memset(&a, 0xa5, sizeof(a));
	CHECK_RC(bt_aggregate_options_init(&a, BT_AGGREGATE_OPTIONS_VERSION), BT_OK);
	CHECK(a.version == a0.version && a.from == 0 && a.limit == 0);

	CHECK_RC(bt_event_init(NULL, 1), BT_EINVALID);
	CHECK_RC(bt_report_init(&r, 0), BT_EINVALID);
	CHECK_RC(bt_ticket_filter_init(&f, BT_TICKET_FILTER_VERSION + 1), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "bt_ticket_filter_init: unknown bt_ticket_filter version");
}

/* An older version's init writes only that version's bytes: a caller built
 * against it has no room for more. */
static void test_init_older_version(void)
{
	struct { two t; unsigned char after[64]; } buf;
	const bt_open_options defaults = BT_OPEN_OPTIONS_INIT;
	bt_open_options o;

	memset(&buf, 0xa5, sizeof(buf));
	CHECK_RC(bti_versioned_init(&two_table, "t", &buf.t, 1), BT_OK);
	CHECK_INT_EQ(buf.t.version, 1);
	CHECK_INT_EQ(buf.t.a, 11);
	CHECK(untouched(&buf, offsetof(two, b), sizeof(buf)));
	CHECK_RC(bti_versioned_init(&two_table, "t", &buf.t, 2), BT_OK);
	CHECK(buf.t.version == 2 && buf.t.a == 11 && buf.t.b == 22);
	CHECK(untouched(&buf, sizeof(two), sizeof(buf)));
	CHECK_RC(bti_versioned_init(&two_table, "t", &buf.t, 3), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "t: unknown bt_two version 3 (this library knows 1..2)");
	memset(&o, 0xa5, sizeof(o));
	CHECK_RC(bt_open_options_init(&o, 1), BT_OK);
	CHECK(o.version == 1 && o.store_level == defaults.store_level &&
	      o.dedup_window_ms == defaults.dedup_window_ms);
	CHECK_RC(bt_open_options_init(&o, 2), BT_EINVALID);
}

/* Input: an older caller's struct is read as far as its version, and the
 * rest are defaults, whatever lies past it in memory. */
static void test_in(void)
{
	struct { bt_open_options o; } given;
	bt_open_options got;
	const bt_open_options defaults = BT_OPEN_OPTIONS_INIT;

	/* 1.0 has one version of bt_open_options: read whole.  Older
	 * versions are test_in_two's, on the test's own table. */
	given.o = defaults;
	given.o.flags = BT_OPEN_SYNC;
	given.o.busy_timeout_ms = 1234;
	CHECK_RC(bti_versioned_in(&bti_v_open_options, "t", &given.o, &got), BT_OK);
	CHECK_INT_EQ(got.version, BT_OPEN_OPTIONS_VERSION);
	CHECK_INT_EQ(got.flags, BT_OPEN_SYNC);
	CHECK_INT_EQ(got.busy_timeout_ms, 1234);
	CHECK_INT_EQ(got.store_level, defaults.store_level);
	CHECK_INT_EQ(got.async_queue_entries, defaults.async_queue_entries);
	CHECK_RC(bti_versioned_in(&bti_v_open_options, "t", NULL, &got), BT_OK);
	CHECK_INT_EQ(got.dedup_window_ms, defaults.dedup_window_ms);
	given.o.version = 0;
	CHECK_RC(bti_versioned_in(&bti_v_open_options, "caller", &given.o, &got), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "caller: unknown bt_open_options version 0");
}

/* The same on the test's own table: version 1's b is the default. */
static void test_in_two(void)
{
	two given, got;

	memset(&given, 0x5a, sizeof(given));
	given.version = 1;
	given.a = 5;
	CHECK_RC(bti_versioned_in(&two_table, "t", &given, &got), BT_OK);
	CHECK(got.version == 2 && got.a == 5 && got.b == 22);
	given.version = 2;
	CHECK_RC(bti_versioned_in(&two_table, "t", &given, &got), BT_OK);
	CHECK(got.version == 2 && got.a == 5 && got.b == given.b);
	CHECK_RC(bti_versioned_in(&two_table, "t", NULL, &got), BT_OK);
	CHECK(got.version == 2 && got.a == 11 && got.b == 22);
}

/* Output: written only as far as the caller's version, which is kept. */
static void test_out(void)
{
	struct { two t; unsigned char after[64]; } buf;
	const two all = { 2, 7, 9 };
	bt_ticket_counts c;

	memset(&buf, 0xa5, sizeof(buf));
	buf.t.version = 1;
	CHECK_RC(bti_versioned_check(&two_table, "t", &buf.t), BT_OK);
	bti_versioned_out(&two_table, &buf.t, &all);
	CHECK_INT_EQ(buf.t.version, 1);
	CHECK_INT_EQ(buf.t.a, 7);
	CHECK(untouched(&buf, offsetof(two, b), sizeof(buf)));
	buf.t.version = 2;
	bti_versioned_out(&two_table, &buf.t, &all);
	CHECK(buf.t.version == 2 && buf.t.a == 7 && buf.t.b == 9);
	CHECK(untouched(&buf, sizeof(two), sizeof(buf)));
	/* A version the table does not know: nothing is written. */
	memset(&buf, 0xa5, sizeof(buf));
	buf.t.version = 3;
	CHECK_RC(bti_versioned_check(&two_table, "t", &buf.t), BT_EINVALID);
	bti_versioned_out(&two_table, &buf.t, &all);
	CHECK(untouched(&buf, sizeof(unsigned int), sizeof(buf)));
	CHECK_RC(bti_versioned_check(&bti_v_ticket_counts, "t", NULL), BT_EINVALID);
	memset(&c, 0, sizeof(c));
	CHECK_RC(bti_versioned_check(&bti_v_ticket_counts, "t", &c), BT_EINVALID);
	c.version = 2;
	CHECK_RC(bti_versioned_check(&bti_v_ticket_counts, "t", &c), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown bt_ticket_counts version 2 (this library knows "
			   "1..1); initialise it with BT_TICKET_COUNTS_INIT");
}

/* Through the API: bt_capture_stats_get and bt_db_check on a version they
 * do not know change nothing; on a known one they fill it. */
static void test_api_outputs(void)
{
	bt_capture_stats st;
	bt_check_result cr;
	bt_db *db = NULL;

	CHECK_RC(bt_open(&db, check_path("v.db"), NULL), BT_OK);
	memset(&st, 0xa5, sizeof(st));
	st.version = BT_CAPTURE_STATS_VERSION + 1;
	CHECK_RC(bt_capture_stats_get(db, &st), BT_EINVALID);
	CHECK(st.accepted == 0xa5a5a5a5a5a5a5a5ull);
	st.version = BT_CAPTURE_STATS_VERSION;
	CHECK_RC(bt_log(db, BT_CRITICAL, "v", "one"), BT_OK);
	CHECK_RC(bt_capture_stats_get(db, &st), BT_OK);
	CHECK_INT_EQ(st.version, BT_CAPTURE_STATS_VERSION);
	CHECK_INT_EQ(st.accepted, 1);
	bt_close(db);
	memset(&cr, 0xa5, sizeof(cr));
	cr.version = BT_CHECK_RESULT_VERSION;
	CHECK_RC(bt_db_check(check_path("v.db"), &cr, NULL, NULL), BT_OK);
	CHECK_INT_EQ(cr.problems, 0);
	CHECK_INT_EQ(cr.tickets, 1);
}

int main(void)
{
	RUN(test_tables);
	RUN(test_init_matches_macro);
	RUN(test_init_older_version);
	RUN(test_in);
	RUN(test_in_two);
	RUN(test_out);
	RUN(test_api_outputs);
	return check_finish();
}
