/*
 * routes_actions.c - what an agent does to one ticket:
 * POST /tickets/{id}/claim, /renew, /release, /resolve, /merge, and
 * POST /tickets/{id}/events (a note).  Each replies with the ticket as
 * list --json shows it (claim adds its token; a note, the trail).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define DEFAULT_LEASE 600
#define MAX_LEASE (10 * 365 * 86400) /* ten years, as the tool's --lease */

/* What every action starts with: If-Match, the ticket, the body. */
typedef struct action {
	int64_t id, expected;
	json_t *body;
	bt_update_options u;
} action;

static int begin(request *r, const char *const *members, action *a, enum MHD_Result *res)
{
	bt_update_options init = BT_UPDATE_OPTIONS_INIT;
	bt_ticket *t;

	memset(a, 0, sizeof(*a));
	a->u = init;
	if ((a->expected = if_match(r, res)) < 0 || !(t = request_ticket(r, res)))
		return 0;
	a->id = bt_ticket_id(t);
	bt_ticket_free(t);
	if (!(a->body = body_object(r, members, res)))
		return 0;
	a->u.actor = request_actor(r);
	a->u.expected_version = a->expected;
	return 1;
}

/* Reply to the action's result and free it. */
static enum MHD_Result finish(request *r, action *a, int rc)
{
	json_decref(a->body);
	if (rc != BT_OK)
		return reply_bt_versioned(r, rc, a->id, a->expected);
	return reply_ticket(r, a->id, MHD_HTTP_OK);
}

enum MHD_Result route_ticket_claim(request *r)
{
	static const char *const members[] = { "agent", "lease", NULL };
	char token[BT_CLAIM_TOKEN_SIZE];
	enum MHD_Result res = MHD_NO;
	int64_t lease = DEFAULT_LEASE;
	const char *agent;
	bt_ticket *t;
	action a;
	reply b;
	json j;
	int rc;

	if (!begin(r, members, &a, &res))
		return res;
	if (!body_string(r, a.body, "agent", 0, &agent, &res) ||
	    !body_int(r, a.body, "lease", 1, MAX_LEASE, &lease, &res)) {
		json_decref(a.body);
		return res;
	}
	rc = bt_ticket_claim(r->srv->db, a.id, agent ? agent : request_actor(r), (int)lease, token);
	json_decref(a.body);
	if (rc == BT_OK)
		rc = bt_ticket_get(r->srv->db, a.id, &t);
	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0) {
		bt_ticket_free(t);
		return MHD_NO;
	}
	json_init(&j, b.f);
	json_object_begin(&j, NULL);
	json_string(&j, "claim_token", token);
	render_ticket_json(&j, "ticket", t);
	json_object_end(&j);
	json_finish(&j);
	a.expected = bt_ticket_version(t);
	bt_ticket_free(t);
	return reply_send_etag(r, &b, MHD_HTTP_OK, a.expected);
}

enum MHD_Result route_ticket_renew(request *r)
{
	static const char *const members[] = { "token", "lease", NULL };
	enum MHD_Result res = MHD_NO;
	int64_t lease = DEFAULT_LEASE;
	const char *token;
	action a;

	if (!begin(r, members, &a, &res))
		return res;
	if (!body_string(r, a.body, "token", 1, &token, &res) ||
	    !body_int(r, a.body, "lease", 1, MAX_LEASE, &lease, &res)) {
		json_decref(a.body);
		return res;
	}
	return finish(r, &a, bt_ticket_claim_renew_v2(r->srv->db, a.id, token, (int)lease, &a.u));
}

enum MHD_Result route_ticket_release(request *r)
{
	static const char *const members[] = { "token", NULL };
	enum MHD_Result res = MHD_NO;
	const char *token;
	action a;

	if (!begin(r, members, &a, &res))
		return res;
	if (!body_string(r, a.body, "token", 1, &token, &res)) {
		json_decref(a.body);
		return res;
	}
	return finish(r, &a, bt_ticket_claim_release_v2(r->srv->db, a.id, token, &a.u));
}

enum MHD_Result route_ticket_resolve(request *r)
{
	static const char *const members[] = { "notes", "commit", "release", "note", "token", NULL };
	const char *notes, *commit, *release;
	enum MHD_Result res = MHD_NO;
	action a;

	if (!begin(r, members, &a, &res))
		return res;
	if (!body_string(r, a.body, "notes", 0, &notes, &res) ||
	    !body_string(r, a.body, "commit", 0, &commit, &res) ||
	    !body_string(r, a.body, "release", 0, &release, &res) ||
	    !body_string(r, a.body, "note", 0, &a.u.note, &res) ||
	    !body_string(r, a.body, "token", 0, &a.u.claim_token, &res)) {
		json_decref(a.body);
		return res;
	}
	return finish(r, &a, bt_ticket_resolve(r->srv->db, a.id, notes, commit, release, &a.u));
}

enum MHD_Result route_ticket_merge(request *r)
{
	static const char *const members[] = { "into", "note", "token", NULL };
	enum MHD_Result res = MHD_NO;
	const char *into;
	bt_ticket *canonical;
	action a;
	int rc;

	if (!begin(r, members, &a, &res))
		return res;
	if (!body_string(r, a.body, "into", 1, &into, &res) ||
	    !body_string(r, a.body, "note", 0, &a.u.note, &res) ||
	    !body_string(r, a.body, "token", 0, &a.u.claim_token, &res)) {
		json_decref(a.body);
		return res;
	}
	rc = bt_ticket_get_by_number(r->srv->db, into, &canonical);
	if (rc != BT_OK) {
		/* The ticket of the path exists: the body names the one missing
		 * (into lives in the body: reply, then free). */
		res = reply_error(r, HTTP_UNPROCESSABLE, "invalid", "\"into\": no ticket %.64s", into);
		json_decref(a.body);
		return res;
	}
	rc = bt_ticket_merge(r->srv->db, a.id, bt_ticket_id(canonical), &a.u);
	bt_ticket_free(canonical);
	return finish(r, &a, rc);
}

/* POST /tickets/{id}/events: a note; replies 201 with the whole trail,
 * events --json, the new note last. */
enum MHD_Result route_ticket_note(request *r)
{
	static const char *const members[] = { "note", "token", NULL };
	enum MHD_Result res = MHD_NO;
	const char *note;
	bt_ticket *t;
	action a;
	int rc;

	if (!begin(r, members, &a, &res))
		return res;
	if (!body_string(r, a.body, "note", 1, &note, &res) ||
	    !body_string(r, a.body, "token", 0, &a.u.claim_token, &res)) {
		json_decref(a.body);
		return res;
	}
	rc = bt_ticket_note(r->srv->db, a.id, note, &a.u);
	json_decref(a.body);
	if (rc != BT_OK)
		return reply_bt_versioned(r, rc, a.id, a.expected);
	if ((rc = bt_ticket_get(r->srv->db, a.id, &t)) != BT_OK)
		return reply_bt(r, rc);
	return reply_events(r, t, MHD_HTTP_CREATED);
}
