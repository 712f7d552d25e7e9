/*
 * routes_misc.c - GET /healthz: whether the daemon answers and reaches its
 * database (one cheap read), without a token, for load balancers and
 * systemd's watchdogs; GET /reports/{kind} and GET /stats, the bytes of
 * `bugtrack report KIND --json` and `bugtrack stats --json`.
 */
#include <string.h>

#include "daemon.h"

enum MHD_Result route_healthz(request *r)
{
	bt_ticket_counts counts = BT_TICKET_COUNTS_INIT;
	reply b;
	json j;
	int rc = bt_ticket_counts_get(r->srv->db, &counts);

	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0)
		return MHD_NO;
	json_init(&j, b.f);
	json_object_begin(&j, NULL);
	json_string(&j, "status", r->srv->stopping ? "stopping" : "ok");
	json_string(&j, "version", bt_version_string());
	json_object_end(&j);
	json_finish(&j);
	return reply_send(r, &b, MHD_HTTP_OK);
}

static const char *const report_params[] = { "since", "until", "limit", NULL };

enum MHD_Result route_report(request *r)
{
	bt_aggregate_options opts = BT_AGGREGATE_OPTIONS_INIT;
	enum MHD_Result res = MHD_NO;
	bt_aggregate_kind kind;
	bt_aggregate_iter *it;
	int64_t limit = 0;
	reply b;
	int rc;

	if (!report_kind_from_name(r->arg, &kind))
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", "no report '%.32s'; use "
				   "summary, top, components, daily or mttr", r->arg);
	if (!query_check(r, report_params, &res) || !query_time(r, "since", &opts.from, &res) ||
	    !query_time(r, "until", &opts.to, &res) || !query_int(r, "limit", 1, 1000, &limit, &res))
		return res;
	if (opts.from && opts.to && opts.from >= opts.to)
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "since must be before until");
	if (limit && kind != BT_AGGREGATE_TOP)
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "limit applies only to top");
	opts.limit = (unsigned int)limit;
	rc = bt_aggregate_iter_new(r->srv->db, kind, &opts, &it);
	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0) {
		bt_aggregate_iter_free(it);
		return MHD_NO;
	}
	/* daily as the tool writes it, with each day's totals on its rows. */
	if (kind == BT_AGGREGATE_DAILY)
		rc = emit_daily(b.f, it, DAILY_JSON, NULL);
	else
		rc = emit_report_json(b.f, it, kind == BT_AGGREGATE_SUMMARY);
	bt_aggregate_iter_free(it);
	if (rc != BT_ITEROVER) {
		reply_drop(&b);
		return reply_bt(r, rc);
	}
	return reply_send(r, &b, MHD_HTTP_OK);
}

enum MHD_Result route_stats(request *r)
{
	static const char *const none[] = { NULL };
	enum MHD_Result res = MHD_NO;
	stats s;
	reply b;
	int rc;

	if (!query_check(r, none, &res))
		return res;
	rc = stats_gather(r->srv->db, now_ms(), &s);
	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0)
		return MHD_NO;
	rc = emit_stats_json(b.f, r->srv->db, &s);
	if (rc != BT_OK) {
		reply_drop(&b);
		return reply_bt(r, rc);
	}
	return reply_send(r, &b, MHD_HTTP_OK);
}
