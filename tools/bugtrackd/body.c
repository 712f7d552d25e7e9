/*
 * body.c - reading a request: its JSON body (jansson) under a depth cap,
 * typed members, query parameters, If-Match, and the ticket a path names.
 *
 * jansson's own nesting limit is a compile-time 2048 with no flag to lower
 * it, so the depth is measured first by a scan that skips strings: a body
 * nested deeper than --max-depth is refused before it is parsed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int json_depth(const char *text, size_t len)
{
	int depth = 0, max = 0, in_string = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return max;
}

json_t *body_json(request *r, enum MHD_Result *res)
{
	json_error_t err;
	json_t *v;

	if (json_depth(r->body, r->body_len) > r->srv->cfg->max_depth) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "too_deep",
				   "the body is nested deeper than %d levels", r->srv->cfg->max_depth);
		return NULL;
	}
	v = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!v)
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_json", "not JSON: %s (line %d, column %d)",
				   err.text, err.line, err.column);
	return v;
}

int body_members(request *r, json_t *o, const char *const *allowed, enum MHD_Result *res)
{
	const char *key;
	json_t *value;
	size_t i;

	json_object_foreach(o, key, value) {
		for (i = 0; allowed[i] && strcmp(allowed[i], key) != 0; i++)
			;
		if (!allowed[i]) {
			*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid",
					   "unknown member \"%.64s\"", key);
			return 0;
		}
	}
	return 1;
}

json_t *body_object(request *r, const char *const *allowed, enum MHD_Result *res)
{
	json_t *o;

	if (!r->body_len)
		return json_object();
	if (!(o = body_json(r, res)))
		return NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_json", "the body must be a JSON object");
		return NULL;
	}
	if (!body_members(r, o, allowed, res)) {
		json_decref(o); /* after the reply, which names a key of it */
		return NULL;
	}
	return o;
}

/* "context": any JSON value, kept as its compact text. */
int body_context(request *r, json_t *o, char **out, enum MHD_Result *res)
{
	json_t *v = json_object_get(o, "context");

	*out = NULL;
	if (!v || json_is_null(v))
		return 1;
	*out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!*out) {
		*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid", "\"context\" cannot be kept");
		return 0;
	}
	return 1;
}

int body_string(request *r, json_t *o, const char *key, int required, const char **out,
		enum MHD_Result *res)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v && json_is_string(v))
		*out = json_string_value(v);
	else if (v && !json_is_null(v)) {
		*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid",
				   "\"%s\" must be a string", key);
		return 0;
	}
	if (required && (!*out || !**out)) {
		*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid",
				   "\"%s\" is required", key);
		return 0;
	}
	return 1;
}

int body_int(request *r, json_t *o, const char *key, int64_t min, int64_t max, int64_t *out,
	     enum MHD_Result *res)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 1;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid",
				   "\"%s\" must be a whole number from %lld to %lld", key,
				   (long long)min, (long long)max);
		return 0;
	}
	*out = json_integer_value(v);
	return 1;
}

const char *query(const request *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

typedef struct query_scan {
	const char *const *allowed;
	const char *unknown;
} query_scan;

static enum MHD_Result scan_one(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	query_scan *q = cls;
	size_t i;

	(void)kind;
	(void)value;
	for (i = 0; q->allowed[i] && strcmp(q->allowed[i], key) != 0; i++)
		;
	if (!q->allowed[i]) {
		q->unknown = key;
		return MHD_NO;
	}
	return MHD_YES;
}

int query_check(request *r, const char *const *allowed, enum MHD_Result *res)
{
	query_scan q = { allowed, NULL };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_one, &q);
	if (q.unknown) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
				   "unknown query parameter \"%.64s\"", q.unknown);
		return 0;
	}
	return 1;
}

int query_int(request *r, const char *key, int64_t min, int64_t max, int64_t *out,
	      enum MHD_Result *res)
{
	const char *text = query(r, key);
	char *end;
	long long v;

	if (!text)
		return 1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
				   "%s: '%.64s' is not a whole number from %lld to %lld", key, text,
				   (long long)min, (long long)max);
		return 0;
	}
	*out = v;
	return 1;
}

int64_t if_match(request *r, enum MHD_Result *res)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_IF_MATCH);
	char digits[24];
	size_t n;
	char *end;
	long long v;

	if (!h)
		return 0;
	n = strlen(h);
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') { /* an ETag as sent */
		h++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(digits))
		goto bad;
	memcpy(digits, h, n);
	digits[n] = '\0';
	errno = 0;
	v = strtoll(digits, &end, 10);
	if (errno || *end || v < 1)
		goto bad;
	return v;
bad:
	*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
			   "If-Match must be a ticket version, e.g. \"7\" (the ETag)");
	return -1;
}

static int from_name(const char *key, const char *name, int *out)
{
	bt_status st;
	bt_severity sv;
	bt_priority pr;
	bt_source so;
	int rc = BT_EINVALID;

	if (strcmp(key, "status") == 0 && (rc = bt_status_from_name(name, &st)) == BT_OK)
		*out = (int)st;
	else if (strcmp(key, "severity") == 0 && (rc = bt_severity_from_name(name, &sv)) == BT_OK)
		*out = (int)sv;
	else if (strcmp(key, "priority") == 0 && (rc = bt_priority_from_name(name, &pr)) == BT_OK)
		*out = (int)pr;
	else if (strcmp(key, "source") == 0 && (rc = bt_source_from_name(name, &so)) == BT_OK)
		*out = (int)so;
	else
		return BT_EINVALID;
	return rc;
}

int body_name(request *r, json_t *o, const char *key, int *out, enum MHD_Result *res)
{
	const char *name;

	if (!body_string(r, o, key, 0, &name, res))
		return 0;
	if (name && from_name(key, name, out) != BT_OK) {
		*res = reply_error(r, HTTP_UNPROCESSABLE, "invalid", "\"%s\": %s", key,
				   without_function(bt_error_message()));
		return 0;
	}
	return 1;
}

bt_ticket *request_ticket(request *r, enum MHD_Result *res)
{
	bt_ticket *t;
	int rc = bt_ticket_get_by_number(r->srv->db, r->arg, &t);

	/* A number first; what is none, or names no ticket, may be the id
	 * another system gave one (an imported report's). */
	if (rc == BT_EINVALID || rc == BT_ENOTFOUND)
		if (bt_ticket_get_by_external_id(r->srv->db, r->arg, &t) == BT_OK)
			return t;
	if (rc == BT_OK)
		return t;
	if (rc == BT_EINVALID || rc == BT_ENOTFOUND)
		*res = reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", "no such ticket: '%.64s' is "
				   "neither a ticket number (BUG-00042, bug-42, 42) nor an external id",
				   r->arg);
	else
		*res = reply_bt(r, rc);
	return NULL;
}

int query_time(request *r, const char *key, int64_t *out, enum MHD_Result *res)
{
	const char *v = query(r, key);

	if (!v || parse_time_value(v, now_ms(), out))
		return 1;
	*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
			   "%s: '%.64s' is not a time; use YYYY-MM-DD, "
			   "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM] (no zone: UTC), now, today, "
			   "yesterday, or a time ago such as 90s, 15m, 2h, 3d or 1w", key, v);
	return 0;
}
