/*
 * routes_tickets.c - the ticket routes: GET /tickets (list's filters,
 * sorting and cursor paging), GET /tickets/{id} (show --json),
 * GET /tickets/{id}/events (events --json), POST /tickets (a hand-filed
 * report) and PATCH /tickets/{id} (status, severity, priority, category,
 * assignee, with If-Match).  Bodies of GETs are the tool's --json bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define DEFAULT_PAGE 100
#define MAX_PAGE 1000

/* ---- GET /tickets ---- */

static const char *const list_params[] = {
	"status", "severity", "severity-min", "component", "assignee", "since", "until", "changed-since",
	"regressed", "overdue", "claimed", "unclaimed", "search", "sort", "limit", "cursor", NULL
};

/* A flag parameter: present and empty, true/1, or false/0. */
static int flag(request *r, const char *key, int *out, enum MHD_Result *res)
{
	const char *v = NULL;
	size_t len;

	/* "?regressed" has a key and no value: query() cannot tell it from
	 * an absent key. */
	if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v,
					  &len) != MHD_YES)
		return 1;
	if (!v)
		v = "";
	if (!*v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
				   "%s: '%.64s' is not true or false", key, v);
		return 0;
	}
	return 1;
}

static int names_param(request *r, bt_ticket_filter *f, enum MHD_Result *res)
{
	const char *v;

	if ((v = query(r, "status")) && parse_status_mask(v, &f->status_mask) != BT_OK) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "status: %s (or open)",
				   without_function(bt_error_message()));
		return 0;
	}
	if ((v = query(r, "severity")) && bt_severity_from_name(v, &f->severity) != BT_OK) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "severity: %s",
				   without_function(bt_error_message()));
		return 0;
	}
	if ((v = query(r, "severity-min")) && bt_severity_from_name(v, &f->min_severity) != BT_OK) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "severity-min: %s",
				   without_function(bt_error_message()));
		return 0;
	}
	if ((v = query(r, "sort")) && parse_sort_name(v, &f->sort) != BT_OK) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
				   "unknown sort '%.64s'; use last, count, severity or created", v);
		return 0;
	}
	return 1;
}

/* The query as list's filter; 0 after replying 400. */
static int list_filter(request *r, bt_ticket_filter *f, int64_t *limit, enum MHD_Result *res)
{
	int claimed = 0, unclaimed = 0;

	if (!query_check(r, list_params, res) || !names_param(r, f, res) ||
	    !query_time(r, "since", &f->occurred_from, res) ||
	    !query_time(r, "until", &f->occurred_to, res) ||
	    !query_time(r, "changed-since", &f->changed_from, res) ||
	    !flag(r, "regressed", &f->regressed_only, res) ||
	    !flag(r, "overdue", &f->overdue_only, res) || !flag(r, "claimed", &claimed, res) ||
	    !flag(r, "unclaimed", &unclaimed, res) ||
	    !query_int(r, "limit", 1, MAX_PAGE, limit, res))
		return 0;
	if (claimed && unclaimed) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
				   "claimed and unclaimed exclude each other");
		return 0;
	}
	f->claimed = claimed ? BT_CLAIMED_YES : unclaimed ? BT_CLAIMED_NO : BT_CLAIMED_ANY;
	if (f->occurred_from && f->occurred_to && f->occurred_from >= f->occurred_to) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "since must be before until");
		return 0;
	}
	f->component = query(r, "component");
	f->assignee = query(r, "assignee");
	f->text = query(r, "search");
	f->cursor = query(r, "cursor");
	return 1;
}

enum MHD_Result route_tickets_list(request *r)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	int64_t limit = DEFAULT_PAGE;
	enum MHD_Result res = MHD_NO;
	bt_ticket_iter *it;
	reply b;
	int rc;

	if (!list_filter(r, &f, &limit, &res))
		return res;
	rc = bt_ticket_iter_new(r->srv->db, &f, &it);
	if (rc == BT_EINVALID && f.cursor)
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", "%s; pass the X-Next-Cursor "
				   "of the same list (same sort)", without_function(bt_error_message()));
	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0) {
		bt_ticket_iter_free(it);
		return MHD_NO;
	}
	/* The page is list --json's array; the next page's cursor is a
	 * header, where list prints it on stderr. */
	rc = emit_tickets_json(b.f, it, limit, &r->next_cursor);
	bt_ticket_iter_free(it);
	if (rc != BT_OK) {
		reply_drop(&b);
		return reply_bt(r, rc);
	}
	return reply_send(r, &b, MHD_HTTP_OK);
}

/* ---- GET /tickets/{id} and its events ---- */

enum MHD_Result route_ticket_get(request *r)
{
	static const char *const params[] = { "logs", NULL };
	enum MHD_Result res = MHD_NO;
	int64_t logs = 5, version;
	bt_ticket *t;
	reply b;
	int rc;

	if (!query_check(r, params, &res) || !query_int(r, "logs", 0, 1000000, &logs, &res))
		return res;
	if (!(t = request_ticket(r, &res)))
		return res;
	if (reply_open(&b) != 0) {
		bt_ticket_free(t);
		return MHD_NO;
	}
	rc = emit_show_json(b.f, r->srv->db, t, logs);
	version = bt_ticket_version(t);
	bt_ticket_free(t);
	if (rc != BT_OK) {
		reply_drop(&b);
		return reply_bt(r, rc);
	}
	return reply_send_etag(r, &b, MHD_HTTP_OK, version);
}

enum MHD_Result route_ticket_events(request *r)
{
	static const char *const params[] = { NULL };
	enum MHD_Result res = MHD_NO;
	bt_ticket *t;

	if (!query_check(r, params, &res) || !(t = request_ticket(r, &res)))
		return res;
	return reply_events(r, t, MHD_HTTP_OK);
}

/* ---- POST /tickets ---- */

static const char *const report_members[] = {
	"title", "description", "severity", "priority", "category", "component", "source",
	"reporter", "trace_id", "request_id", "release_sha", "context", "fingerprint", NULL
};

static int report_from(request *r, json_t *o, bt_report *rep, char **context,
		       enum MHD_Result *res)
{
	int severity = 0, priority = 0, source = 0;

	if (!body_string(r, o, "title", 1, &rep->title, res) ||
	    !body_string(r, o, "description", 0, &rep->description, res) ||
	    !body_name(r, o, "severity", &severity, res) ||
	    !body_name(r, o, "priority", &priority, res) ||
	    !body_name(r, o, "source", &source, res) ||
	    !body_string(r, o, "category", 0, &rep->category, res) ||
	    !body_string(r, o, "component", 0, &rep->component, res) ||
	    !body_string(r, o, "reporter", 0, &rep->reporter, res) ||
	    !body_string(r, o, "trace_id", 0, &rep->trace_id, res) ||
	    !body_string(r, o, "request_id", 0, &rep->request_id, res) ||
	    !body_string(r, o, "release_sha", 0, &rep->release_sha, res) ||
	    !body_string(r, o, "fingerprint", 0, &rep->fingerprint, res) ||
	    !body_context(r, o, context, res))
		return 0;
	rep->severity = (bt_severity)severity;
	rep->priority = (bt_priority)priority;
	rep->source = (bt_source)source;
	rep->context_json = *context;
	if (!rep->reporter)
		rep->reporter = request_actor(r);
	return 1;
}

enum MHD_Result route_tickets_create(request *r)
{
	bt_report rep = BT_REPORT_INIT;
	char number[BT_TICKET_NUMBER_SIZE], *context = NULL;
	enum MHD_Result res = MHD_NO;
	int64_t id;
	json_t *o;
	int rc;

	if (!(o = body_object(r, report_members, &res)))
		return res;
	if (!report_from(r, o, &rep, &context, &res)) {
		free(context);
		json_decref(o);
		return res;
	}
	rc = bt_report_create(r->srv->db, &rep, &id, number);
	free(context);
	json_decref(o);
	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (asprintf(&r->location, API_PREFIX "/tickets/%s", number) < 0)
		r->location = NULL;
	return reply_ticket(r, id, MHD_HTTP_CREATED);
}

/* ---- PATCH /tickets/{id} ---- */

static const char *const patch_members[] = {
	"status", "severity", "priority", "category", "assignee", "note", "token", NULL
};

typedef struct patch {
	int status, severity, priority;
	int has_category, has_assignee;
	const char *category, *assignee; /* NULL: clear */
} patch;

static int patch_from(request *r, json_t *o, patch *p, bt_update_options *u,
		      enum MHD_Result *res)
{
	memset(p, 0, sizeof(*p));
	p->has_category = json_object_get(o, "category") != NULL;
	p->has_assignee = json_object_get(o, "assignee") != NULL;
	if (!body_name(r, o, "status", &p->status, res) ||
	    !body_name(r, o, "severity", &p->severity, res) ||
	    !body_name(r, o, "priority", &p->priority, res) ||
	    !body_string(r, o, "category", 0, &p->category, res) ||
	    !body_string(r, o, "assignee", 0, &p->assignee, res) ||
	    !body_string(r, o, "note", 0, &u->note, res) ||
	    !body_string(r, o, "token", 0, &u->claim_token, res))
		return 0;
	if (!p->status && !p->severity && !p->priority && !p->has_category && !p->has_assignee) {
		*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid",
				   "nothing to change: give status, severity, priority, category "
				   "or assignee");
		return 0;
	}
	return 1;
}

/*
 * One bt_ticket_change: every field the body names changes, or none does
 * (a refused status move leaves the others as they were); If-Match is
 * checked once, before any change.
 */
enum MHD_Result route_ticket_patch(request *r)
{
	bt_update_options u = BT_UPDATE_OPTIONS_INIT;
	bt_ticket_changes ch = BT_TICKET_CHANGES_INIT;
	enum MHD_Result res = MHD_NO;
	int64_t id, expected;
	bt_ticket *t;
	json_t *o;
	patch p;
	int rc;

	if ((expected = if_match(r, &res)) < 0 || !(t = request_ticket(r, &res)))
		return res;
	id = bt_ticket_id(t);
	bt_ticket_free(t);
	if (!(o = body_object(r, patch_members, &res)))
		return res;
	if (!patch_from(r, o, &p, &u, &res)) {
		json_decref(o);
		return res;
	}
	u.actor = request_actor(r);
	u.expected_version = expected;
	ch.status = (bt_status)p.status;
	ch.severity = (bt_severity)p.severity;
	ch.priority = (bt_priority)p.priority;
	if (p.has_category)
		ch.category = p.category ? p.category : ""; /* null: clear */
	if (p.has_assignee)
		ch.assignee = p.assignee ? p.assignee : ""; /* null: unassign */
	rc = bt_ticket_change(r->srv->db, id, &ch, &u);
	json_decref(o);
	if (rc != BT_OK)
		return reply_bt_versioned(r, rc, id, u.expected_version);
	return reply_ticket(r, id, MHD_HTTP_OK);
}
