/*
 * routes_ingest.c - POST /occurrences: capture for services in any
 * language.  Each occurrence goes through bt_log_event, so the library's
 * fingerprint, redaction and dedup apply exactly as to a C service's
 * bt_log: a Python service's errors land on the same tickets by the same
 * rules.  The whole body is checked before anything is stored, so a bad
 * occurrence refuses the request and stores none of it.  The reply, 201,
 * gives each occurrence's ticket id (0: it made none, below the ticket
 * level) in order: {"accepted": N, "tickets": [...]}.
 *
 * Why an asynchronous handle: on the synchronous one every occurrence was
 * a commit of its own and every request waited behind the others' (32
 * clients sending 100 each: p99 266 ms).  Here a batch is only queued,
 * then one bt_flush waits until the writer has committed it: concurrent
 * requests share its commits (a group commit), and a 201 still means
 * committed.  The ticket ids are looked up after the commit.  A single
 * occurrence is faster on the synchronous handle (bench_bugtrackd).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* The most occurrences one request may carry. */
#define MAX_BATCH 1000

static const char *const occurrence_members[] = {
	"level", "component", "message", "template", "error_type", "error_code", "file", "line",
	"function", "stack_trace", "fingerprint", "context", "trace_id", "request_id", "service",
	"host", "environment", "release", NULL
};

/* One occurrence of the body, read into @p ev (its strings live in @p o;
 * *@p context is allocated). */
static int occurrence_from(request *r, json_t *o, bt_event *ev, char **context,
			   enum MHD_Result *res)
{
	const char *level = NULL;
	int64_t code = 0, line = 0;
	bt_level lv = BT_ERROR;

	*context = NULL;
	if (!json_is_object(o)) {
		*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid", "an occurrence must be an object");
		return 0;
	}
	if (!body_members(r, o, occurrence_members, res) ||
	    !body_string(r, o, "level", 0, &level, res) ||
	    !body_string(r, o, "component", 1, &ev->component, res) ||
	    !body_string(r, o, "message", 1, &ev->message, res) ||
	    !body_string(r, o, "template", 0, &ev->message_template, res) ||
	    !body_string(r, o, "error_type", 0, &ev->error_type, res) ||
	    !body_int(r, o, "error_code", -2147483647 - 1, 2147483647, &code, res) ||
	    !body_string(r, o, "file", 0, &ev->file, res) ||
	    !body_int(r, o, "line", 0, 2147483647, &line, res) ||
	    !body_string(r, o, "function", 0, &ev->function, res) ||
	    !body_string(r, o, "stack_trace", 0, &ev->stack_trace, res) ||
	    !body_string(r, o, "fingerprint", 0, &ev->fingerprint, res) ||
	    !body_string(r, o, "trace_id", 0, &ev->trace_id, res) ||
	    !body_string(r, o, "request_id", 0, &ev->request_id, res) ||
	    !body_string(r, o, "service", 0, &ev->service, res) ||
	    !body_string(r, o, "host", 0, &ev->host, res) ||
	    !body_string(r, o, "environment", 0, &ev->environment, res) ||
	    !body_string(r, o, "release", 0, &ev->release, res) ||
	    !body_context(r, o, context, res))
		return 0;
	if (level && bt_level_from_name(level, &lv) != BT_OK) {
		*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid",
				   "\"level\" must be debug, info, warning, error or critical");
		return 0;
	}
	ev->level = lv;
	ev->error_code = (int)code;
	ev->line = (int)line;
	ev->context_json = *context;
	return 1;
}

/* The ticket each of the @p n committed occurrences landed on, into
 * @p ids: the one its fingerprint leads to now (what the landing just
 * counted it on), or 0 below the ticket level or if the lookup fails.
 * The fingerprints a request repeats are looked up once. */
static void ticket_ids(bt_db *db, const bt_event *evs, size_t n, int64_t *ids)
{
	enum { SEEN = 32 };
	char seen[SEEN][BT_FINGERPRINT_SIZE], fp[BT_FINGERPRINT_SIZE];
	int64_t seen_id[SEEN];
	size_t nseen = 0, i, k;
	bt_ticket *t;

	for (i = 0; i < n; i++) {
		ids[i] = 0;
		/* bugtrackd opens with the default ticket level */
		if (evs[i].level < BT_CRITICAL || bt_fingerprint(db, &evs[i], fp) != BT_OK)
			continue;
		for (k = 0; k < nseen && strcmp(seen[k], fp) != 0; k++)
			;
		if (k < nseen) {
			ids[i] = seen_id[k];
			continue;
		}
		if (bt_dedup_lookup(db, fp, &t) == BT_OK) {
			ids[i] = bt_ticket_id(t);
			bt_ticket_free(t);
		}
		if (nseen < SEEN) {
			memcpy(seen[nseen], fp, sizeof(fp));
			seen_id[nseen++] = ids[i];
		}
	}
}

enum MHD_Result route_occurrences(request *r)
{
	enum MHD_Result res = MHD_NO;
	bt_event *evs = NULL;
	int64_t *ids = NULL;
	char **contexts = NULL;
	json_t *body, *item;
	size_t n, i, stored = 0;
	reply b;
	json j;
	int rc = BT_OK, frc;

	if (!(body = body_json(r, &res)))
		return res;
	n = json_is_array(body) ? json_array_size(body) : 1;
	if (n == 0 || n > MAX_BATCH) {
		json_decref(body);
		return reply_error(r, HTTP_UNPROCESSABLE, "invalid",
				   "send 1 to %d occurrences, an object or an array of them",
				   MAX_BATCH);
	}
	evs = calloc(n, sizeof(*evs));
	contexts = calloc(n, sizeof(*contexts));
	ids = calloc(n, sizeof(*ids));
	if (!evs || !contexts || !ids) {
		res = reply_bt(r, BT_ENOMEM);
		goto done;
	}
	for (i = 0; i < n; i++) {
		item = json_is_array(body) ? json_array_get(body, i) : body;
		bt_event_init(&evs[i], BT_EVENT_VERSION);
		if (!occurrence_from(r, item, &evs[i], &contexts[i], &res))
			goto done;
	}
	if (n == 1) {
		/* Alone, it lands directly: one commit, faster than a trip
		 * through the writer's queue, and its ticket is known at once. */
		if ((rc = bt_log_event(r->srv->db, &evs[0], &ids[0])) != BT_OK) {
			res = reply_bt(r, rc);
			goto done;
		}
		goto reply;
	}
	for (i = 0; i < n && rc == BT_OK; i++) {
		rc = bt_log_event(r->srv->ingest, &evs[i], NULL);
		if (rc == BT_OK)
			stored++;
	}
	if (stored == 0) {
		/* A full queue is busy without a backend code, which reply_bt
		 * would take for another agent's claim. */
		res = rc == BT_EBUSY ? reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
						   "%s", bt_error_message())
				     : reply_bt(r, rc);
		goto done;
	}
	if ((frc = bt_flush(r->srv->ingest, r->srv->cfg->busy_timeout_ms)) != BT_OK) {
		/* They stay queued and the writer keeps trying: a client that
		 * sent them again could count them twice. */
		res = reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
				  "%zu of %zu occurrences were accepted but are not committed yet (%s);"
				  " the daemon keeps trying to store them: do not send them again",
				  stored, n, bt_error_message());
		goto done;
	}
	if (rc != BT_OK) {
		/* The queue was full: those before it are committed now. */
		res = reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
				  "occurrence %zu of %zu: %s; the %zu before it were stored",
				  stored + 1, n, bt_error_message(), stored);
		goto done;
	}
	ticket_ids(r->srv->db, evs, n, ids);
reply:
	if (reply_open(&b) != 0) {
		res = reply_bt(r, BT_ENOMEM);
		goto done;
	}
	json_init(&j, b.f);
	json_object_begin(&j, NULL);
	json_int(&j, "accepted", (int64_t)n);
	json_array_begin(&j, "tickets");
	for (i = 0; i < n; i++)
		json_int(&j, NULL, ids[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	res = reply_send(r, &b, MHD_HTTP_CREATED);
done:
	for (i = 0; contexts && i < n; i++)
		free(contexts[i]);
	free(contexts);
	free(ids);
	free(evs);
	json_decref(body);
	return res;
}
