/*
 * routes_misc.c - GET /healthz: whether the daemon answers and reaches its
 * database (one cheap read), without a token, for load balancers and
 * systemd's watchdogs.
 */
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
