/*
 * metrics.c - GET /metrics in Prometheus' text format (version 0.0.4):
 * the database's tickets by status and severity, overdue tickets and
 * dropped occurrences, read at each scrape; and this daemon's requests by
 * route and status class with a latency histogram, counted as each request
 * ends.  The counters are atomics, so counting takes no lock on the
 * workers' path.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <string.h>

#include "daemon.h"

/* Latency buckets' upper bounds, in microseconds (Prometheus' "le" in
 * seconds); the last bucket is +Inf. */
static const int64_t bucket_us[] = { 1000, 5000, 10000, 50000, 100000, 500000, 1000000,
				     5000000 };
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))
#define NCLASSES 5 /* 1xx .. 5xx */

typedef struct route_tally {
	atomic_uint_fast64_t by_class[NCLASSES];
	atomic_uint_fast64_t buckets[NBUCKETS]; /* each counts its own range only */
	atomic_uint_fast64_t count, sum_us;
} route_tally;

struct metrics {
	size_t nroutes;
	route_tally *routes; /* one per route, then one for "no route" */
};

metrics *metrics_new(void)
{
	metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nroutes = route_count();
	m->routes = calloc(m->nroutes + 1, sizeof(*m->routes));
	if (!m->routes) {
		free(m);
		return NULL;
	}
	return m;
}

void metrics_free(metrics *m)
{
	if (m)
		free(m->routes);
	free(m);
}

void metrics_observe(metrics *m, const route *rt, int status, int64_t elapsed_us)
{
	/* The route table is one array: a route's index is its offset. */
	route_tally *rs = &m->routes[rt ? (size_t)(rt - route_at(0)) : m->nroutes];
	size_t b = 0;
	if (status >= 100 && status < 600)
		atomic_fetch_add(&rs->by_class[status / 100 - 1], 1);
	while (b < NBUCKETS && elapsed_us > bucket_us[b])
		b++;
	if (b < NBUCKETS)
		atomic_fetch_add(&rs->buckets[b], 1);
	atomic_fetch_add(&rs->count, 1);
	atomic_fetch_add(&rs->sum_us, (uint_fast64_t)(elapsed_us > 0 ? elapsed_us : 0));
}

static void route_label(FILE *f, metrics *m, size_t i)
{
	const route *rt = i < m->nroutes ? route_at(i) : NULL;

	if (rt)
		fprintf(f, "route=\"%s %s\"", rt->method, rt->pattern);
	else
		fputs("route=\"none\"", f);
}

static void write_requests(FILE *f, metrics *m)
{
	fputs("# HELP bugtrackd_requests_total Requests answered, by route and status class.\n"
	      "# TYPE bugtrackd_requests_total counter\n", f);
	for (size_t i = 0; i <= m->nroutes; i++)
		for (int c = 0; c < NCLASSES; c++) {
			uint64_t n = atomic_load(&m->routes[i].by_class[c]);

			if (!n)
				continue;
			fputs("bugtrackd_requests_total{", f);
			route_label(f, m, i);
			fprintf(f, ",code=\"%dxx\"} %llu\n", c + 1, (unsigned long long)n);
		}
	fputs("# HELP bugtrackd_request_duration_seconds Time from a request's headers to "
	      "its reply.\n# TYPE bugtrackd_request_duration_seconds histogram\n", f);
	for (size_t i = 0; i <= m->nroutes; i++) {
		route_tally *rs = &m->routes[i];
		uint64_t count = atomic_load(&rs->count), cum = 0;

		if (!count)
			continue;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += atomic_load(&rs->buckets[b]);
			fputs("bugtrackd_request_duration_seconds_bucket{", f);
			route_label(f, m, i);
			fprintf(f, ",le=\"%g\"} %llu\n", (double)bucket_us[b] / 1e6,
				(unsigned long long)cum);
		}
		fputs("bugtrackd_request_duration_seconds_bucket{", f);
		route_label(f, m, i);
		fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)count);
		fputs("bugtrackd_request_duration_seconds_sum{", f);
		route_label(f, m, i);
		fprintf(f, "} %.6f\n", (double)atomic_load(&rs->sum_us) / 1e6);
		fputs("bugtrackd_request_duration_seconds_count{", f);
		route_label(f, m, i);
		fprintf(f, "} %llu\n", (unsigned long long)count);
	}
}

static void write_tickets(FILE *f, const bt_ticket_counts *c)
{
	fputs("# HELP bugtrack_tickets Tickets by status.\n# TYPE bugtrack_tickets gauge\n", f);
	for (int s = BT_STATUS_NEW; s <= BT_STATUS_CLOSED; s++)
		fprintf(f, "bugtrack_tickets{status=\"%s\"} %lld\n", bt_status_name((bt_status)s),
			(long long)stats_status_count(c, (bt_status)s));
	fputs("# HELP bugtrack_open_tickets Open tickets by severity.\n"
	      "# TYPE bugtrack_open_tickets gauge\n", f);
	for (int s = BT_SEVERITY_CRITICAL; s >= BT_SEVERITY_LOW; s--)
		fprintf(f, "bugtrack_open_tickets{severity=\"%s\"} %lld\n",
			bt_severity_name((bt_severity)s),
			(long long)stats_open_severity_count(c, (bt_severity)s));
	fprintf(f, "# HELP bugtrack_overdue_tickets Open tickets past their SLA.\n"
		"# TYPE bugtrack_overdue_tickets gauge\nbugtrack_overdue_tickets %lld\n",
		(long long)c->overdue);
	fprintf(f, "# HELP bugtrack_dropped_occurrences_total Occurrences asynchronous "
		"capture dropped, every process.\n# TYPE bugtrack_dropped_occurrences_total "
		"counter\nbugtrack_dropped_occurrences_total %lld\n", (long long)c->dropped);
}

/* SQLite's WAL as the checkpointer's last successful round saw it: under
 * steady writes the pages climb towards 16,384 and start over; written-
 * back pages that stop while the pages grow, or pages past 16,384, mean
 * a reader holds it back (README, "A WAL that keeps growing").  None on
 * PostgreSQL. */
static void write_wal(FILE *f, checkpointer *c)
{
	int64_t log, done;

	checkpointer_wal(c, &log, &done);
	if (log < 0)
		return;
	fprintf(f, "# HELP bugtrackd_wal_pages Pages the SQLite WAL holds.\n"
		"# TYPE bugtrackd_wal_pages gauge\nbugtrackd_wal_pages %lld\n"
		"# HELP bugtrackd_wal_backfilled_pages Pages of the WAL written back into the "
		"database file.\n# TYPE bugtrackd_wal_backfilled_pages gauge\n"
		"bugtrackd_wal_backfilled_pages %lld\n", (long long)log, (long long)done);
}

/* Every occurrence ever counted, exactly: the summary report over all time
 * (from the per-day counts, not from the capped log rows). */
static int occurrences_total(bt_db *db, int64_t *out)
{
	bt_aggregate_options opts = BT_AGGREGATE_OPTIONS_INIT;
	bt_aggregate_iter *it;
	int rc = bt_aggregate_iter_new(db, BT_AGGREGATE_SUMMARY, &opts, &it);

	if (rc != BT_OK)
		return rc;
	rc = bt_aggregate_iter_next(it);
	for (int col = 0; rc == BT_OK && col < bt_aggregate_iter_column_count(it); col++)
		if (strcmp(bt_aggregate_iter_column_name(it, col), "occurrences") == 0)
			*out = bt_aggregate_iter_int(it, col);
	bt_aggregate_iter_free(it);
	return rc == BT_OK ? BT_OK : rc == BT_ITEROVER ? BT_OK : rc;
}

enum MHD_Result route_metrics(request *r)
{
	bt_ticket_counts counts = BT_TICKET_COUNTS_INIT;
	int64_t occurrences = 0;
	int rc = bt_ticket_counts_get(r->srv->db, &counts);
	reply b;

	if (rc == BT_OK)
		rc = occurrences_total(r->srv->db, &occurrences);
	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0)
		return MHD_NO;
	write_tickets(b.f, &counts);
	fprintf(b.f, "# HELP bugtrack_occurrences_total Occurrences counted on tickets, every "
		"process.\n# TYPE bugtrack_occurrences_total counter\nbugtrack_occurrences_total "
		"%lld\n", (long long)occurrences);
	if (r->srv->metrics)
		write_requests(b.f, r->srv->metrics);
	write_wal(b.f, r->srv->checkpointer);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return reply_send(r, &b, MHD_HTTP_OK);
}
