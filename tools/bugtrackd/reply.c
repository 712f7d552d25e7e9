/*
 * reply.c - writing replies: JSON into a memory stream, sent with the
 * headers a route needs (ETag, Allow, Retry-After; a page's security
 * headers), and every error as {"error": {"code", "message"}} (a page's as
 * HTML).  The mapping of the library's BT_* codes to HTTP statuses lives
 * here and nowhere else.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int reply_open(reply *b)
{
	b->buf = NULL;
	b->len = 0;
	b->f = open_memstream(&b->buf, &b->len);
	return b->f ? 0 : -1;
}

void reply_drop(reply *b)
{
	if (b->f)
		fclose(b->f);
	free(b->buf);
	b->f = NULL;
	b->buf = NULL;
}

/* A page may show stored text, which anyone who can log an error chose: so
 * nothing in it may run, load or be framed (CSP: inline styles and data:
 * images only), nor be sniffed into another type, kept in a cache (it is
 * behind a token), or sent on as a Referer. */
static void page_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static enum MHD_Result send_(request *r, reply *b, unsigned int status, int64_t version)
{
	int page = r->route && r->route->page;
	struct MHD_Response *resp;
	enum MHD_Result res;
	char etag[32];

	if (fclose(b->f) != 0) {
		free(b->buf);
		return MHD_NO;
	}
	b->f = NULL;
	resp = MHD_create_response_from_buffer(b->len, b->buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(b->buf);
		return MHD_NO;
	}
	b->buf = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, page ? "text/html; charset=utf-8"
				: r->content_type ? r->content_type : "application/json");
	if (page)
		page_headers(resp);
	if (r->set_cookie)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	if (version > 0) {
		snprintf(etag, sizeof(etag), "\"%lld\"", (long long)version);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	}
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->unauthorized)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"bugtrackd\"");
	if (r->location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->next_cursor)
		MHD_add_response_header(resp, "X-Next-Cursor", r->next_cursor);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (r->retry_after_s > 0) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%d", r->retry_after_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	/* A client on a kept-alive connection must not hold the stop up. */
	if (r->srv->stopping || r->body_too_large)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	r->status = (int)status;
	res = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return res;
}

enum MHD_Result reply_send(request *r, reply *b, unsigned int status)
{
	return send_(r, b, status, 0);
}

enum MHD_Result reply_send_etag(request *r, reply *b, unsigned int status, int64_t version)
{
	return send_(r, b, status, version);
}

static enum MHD_Result reply_errorv(request *r, unsigned int status, const char *code,
				    const char *fmt, va_list ap) BT_PRINTF(4, 0);

static enum MHD_Result reply_errorv(request *r, unsigned int status, const char *code,
				    const char *fmt, va_list ap)
{
	char msg[1024];
	reply b;
	json j;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (reply_open(&b) != 0)
		return MHD_NO;
	if (r->route && r->route->page) { /* a person reads it */
		page_error_html(b.f, status, msg);
		return reply_send(r, &b, status);
	}
	json_init(&j, b.f);
	json_object_begin(&j, NULL);
	json_object_begin(&j, "error");
	json_string(&j, "code", code);
	json_string(&j, "message", msg);
	json_object_end(&j);
	json_object_end(&j);
	json_finish(&j);
	return reply_send(r, &b, status);
}

enum MHD_Result reply_error(request *r, unsigned int status, const char *code,
			    const char *fmt, ...)
{
	enum MHD_Result res;
	va_list ap;

	va_start(ap, fmt);
	res = reply_errorv(r, status, code, fmt, ap);
	va_end(ap);
	return res;
}

/* The one table of BT_* codes to HTTP. */
static unsigned int http_status(int rc, const char **code)
{
	switch (rc) {
	case BT_EINVALID:  *code = "invalid";       return HTTP_UNPROCESSABLE;
	case BT_ENOTFOUND: *code = "not_found";     return MHD_HTTP_NOT_FOUND;
	case BT_ECONFLICT: *code = "conflict";      return MHD_HTTP_CONFLICT;
	case BT_ESTATE:    *code = "state";         return MHD_HTTP_CONFLICT;
	case BT_EBUSY:
		/* The library says busy for a lock (the backend's code is set:
		 * try again) and for another agent's live claim (it is not). */
		if (*bt_error_backend_code()) {
			*code = "unavailable";
			return MHD_HTTP_SERVICE_UNAVAILABLE;
		}
		*code = "claimed";
		return MHD_HTTP_CONFLICT;
	case BT_EREADONLY: *code = "read_only";     return MHD_HTTP_SERVICE_UNAVAILABLE;
	case BT_EIO:
	case BT_ECANTOPEN:
	case BT_ENOMEM:    *code = "unavailable";   return MHD_HTTP_SERVICE_UNAVAILABLE;
	case BT_ENOTSUP:   *code = "not_supported"; return MHD_HTTP_NOT_IMPLEMENTED;
	default:           *code = "internal";      return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

enum MHD_Result reply_bt(request *r, int rc)
{
	const char *msg = bt_error_message(), *code;
	unsigned int status = http_status(rc, &code);

	if (!msg || !*msg)
		msg = bt_strerror(rc);
	return reply_error(r, status, code, "%s", without_function(msg));
}

enum MHD_Result reply_bt_versioned(request *r, int rc, int64_t id, int64_t expected_version)
{
	bt_ticket *t;
	int stale = 0;

	/* A conflict may also be a claim token that is not live: only a
	 * version that moved is a failed precondition. */
	if (rc == BT_ECONFLICT && expected_version > 0 && bt_ticket_get(r->srv->db, id, &t) == BT_OK) {
		stale = bt_ticket_version(t) != expected_version;
		bt_ticket_free(t);
	}
	if (stale)
		return reply_error(r, MHD_HTTP_PRECONDITION_FAILED, "precondition_failed",
				   "the ticket is no longer at version %lld (If-Match)",
				   (long long)expected_version);
	return reply_bt(r, rc);
}

enum MHD_Result reply_ticket(request *r, int64_t id, unsigned int status)
{
	bt_ticket *t;
	reply b;
	json j;
	int64_t version;
	int rc = bt_ticket_get(r->srv->db, id, &t);

	if (rc != BT_OK)
		return reply_bt(r, rc);
	if (reply_open(&b) != 0) {
		bt_ticket_free(t);
		return MHD_NO;
	}
	json_init(&j, b.f);
	render_ticket_json(&j, NULL, t);
	json_finish(&j);
	version = bt_ticket_version(t);
	bt_ticket_free(t);
	return reply_send_etag(r, &b, status, version);
}

enum MHD_Result reply_events(request *r, bt_ticket *t, unsigned int status)
{
	reply b;
	int rc;

	if (reply_open(&b) != 0) {
		bt_ticket_free(t);
		return MHD_NO;
	}
	rc = emit_events_json(b.f, r->srv->db, t);
	bt_ticket_free(t);
	if (rc != BT_OK) {
		reply_drop(&b);
		return reply_bt(r, rc);
	}
	return reply_send(r, &b, status);
}
