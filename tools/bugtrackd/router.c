/*
 * router.c - the route table: each route's method, path, the token scope
 * it needs, and its handler; matching a request to it (404, 405 with
 * Allow); and auth, the one place that checks a token's scope and names
 * the actor.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon.h"

#define READ BT_SCOPE_READ
#define AGENT BT_SCOPE_AGENT

static const route routes[] = {
	/* The status page, for people: at the root, outside API_PREFIX. */
	{ "GET",   "/",                      READ,  route_status_page, 1 },
	{ "GET",   "/healthz",               0,     route_healthz, 0 },
	{ "GET",   "/tickets",               READ,  route_tickets_list, 0 },
	{ "POST",  "/tickets",               AGENT, route_tickets_create, 0 },
	{ "GET",   "/tickets/{id}",          READ,  route_ticket_get, 0 },
	{ "PATCH", "/tickets/{id}",          AGENT, route_ticket_patch, 0 },
	{ "GET",   "/tickets/{id}/events",   READ,  route_ticket_events, 0 },
	{ "POST",  "/tickets/{id}/events",   AGENT, route_ticket_note, 0 },
	{ "POST",  "/tickets/{id}/claim",    AGENT, route_ticket_claim, 0 },
	{ "POST",  "/tickets/{id}/renew",    AGENT, route_ticket_renew, 0 },
	{ "POST",  "/tickets/{id}/release",  AGENT, route_ticket_release, 0 },
	{ "POST",  "/tickets/{id}/resolve",  AGENT, route_ticket_resolve, 0 },
	{ "POST",  "/tickets/{id}/merge",    AGENT, route_ticket_merge, 0 },
	{ "GET",   "/changes",               READ,  route_changes, 0 },
	{ "GET",   "/pending",               READ,  route_pending, 0 },
	{ "POST",  "/occurrences",           BT_SCOPE_INGEST, route_occurrences, 0 },
	{ "GET",   "/reports/{kind}",        READ,  route_report, 0 },
	{ "GET",   "/stats",                 READ,  route_stats, 0 },
	{ "GET",   "/metrics",               READ,  route_metrics, 0 },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

size_t route_count(void)
{
	return NROUTES;
}

const route *route_at(size_t i)
{
	return i < NROUTES ? &routes[i] : NULL;
}

/* Whether @p path matches @p pattern; the {name} segment goes to *@p arg
 * (allocated) when there is one. */
static int match(const char *pattern, const char *path, char **arg)
{
	const char *p = pattern, *s = path;

	*arg = NULL;
	while (*p && *s) {
		if (*p == '{') {
			size_t n = strcspn(s, "/");

			if (n == 0)
				break;
			free(*arg);
			*arg = strndup(s, n);
			s += n;
			p = strchr(p, '}') + 1;
			continue;
		}
		if (*p != *s)
			break;
		p++;
		s++;
	}
	if (*p || *s) {
		free(*arg);
		*arg = NULL;
		return 0;
	}
	return 1;
}

/* Whether @p have (a token's scopes) covers @p need: admin covers all;
 * agent covers read; ingest covers only itself. */
static int scope_covers(unsigned int have, unsigned int need)
{
	if (have & BT_SCOPE_ADMIN)
		return 1;
	if ((have & BT_SCOPE_AGENT) && need == BT_SCOPE_READ)
		return 1;
	return (have & need) == need;
}

const char *route_scope_name(unsigned int scope)
{
	return !scope ? "none" : scope == BT_SCOPE_READ ? "read" : scope == BT_SCOPE_AGENT ? "agent"
	       : scope == BT_SCOPE_INGEST ? "ingest" : "admin";
}

/* The bearer token of Authorization: Bearer ..., or NULL. */
static const char *bearer(const request *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

/* The token @p r carries for @p rt.  The API takes only the bearer token:
 * a browser sends a cookie along by itself, even from another site's
 * form, so a cookie never authorizes a change.  A page (read-only) also
 * takes ?token=, first, as that is the sign-in, then its cookie. */
static const char *credential(const request *r, const route *rt)
{
	const char *t = rt->page ? query(r, "token") : NULL;

	if (!t)
		t = bearer(r);
	if (!t && rt->page)
		t = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, PAGE_COOKIE);
	return t;
}

/*
 * Whether @p r may run @p rt: every route but /healthz needs a token
 * (credential()) whose scopes cover the route's.  Unknown or revoked: 401;
 * too narrow: 403.  The token is never logged or repeated; its name
 * becomes the request's actor.
 */
static int authorize(request *r, const route *rt, enum MHD_Result *res)
{
	const char *h = credential(r, rt);
	unsigned int scopes = 0;
	int rc;

	if (!rt->scope)
		return 1;
	if (!h) {
		r->unauthorized = 1;
		*res = reply_error(r, MHD_HTTP_UNAUTHORIZED, "unauthorized", rt->page
				   ? "this page needs a token with the read scope"
				   : "this route needs a bearer token (Authorization: Bearer ...)");
		return 0;
	}
	rc = bt_token_check(r->srv->db, h, &scopes, r->actor, sizeof(r->actor));
	if (rc == BT_ENOTFOUND) {
		r->unauthorized = 1;
		*res = reply_error(r, MHD_HTTP_UNAUTHORIZED, "unauthorized",
				   "the token is unknown or revoked");
		return 0;
	}
	if (rc != BT_OK) {
		*res = reply_bt(r, rc);
		return 0;
	}
	if (!limiter_take(r->srv->limiter, r->actor, now_ms(), &r->retry_after_s))
		*res = reply_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "rate_limited",
				   "token %s made more than %u requests a second; try again in %d s",
				   r->actor, r->srv->cfg->rate_limit, r->retry_after_s);
	if (r->retry_after_s > 0)
		return 0;
	if (!scope_covers(scopes, rt->scope)) {
		*res = reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
				   "token %s lacks the %s scope this route needs", r->actor,
				   route_scope_name(rt->scope));
		return 0;
	}
	return 1;
}

const char *request_actor(const request *r)
{
	return r->actor;
}

enum MHD_Result route_dispatch(request *r)
{
	char allow[64] = "";
	enum MHD_Result res = MHD_NO;
	size_t i;
	char *arg;

	if (r->route) /* a parked long poll, resumed */
		return r->route->fn(r);
	for (i = 0; i < NROUTES; i++) {
		if (routes[i].page == r->api || !match(routes[i].pattern, r->path, &arg))
			continue;
		if (strcmp(routes[i].method, r->method) == 0) {
			r->route = &routes[i];
			r->arg = arg;
			if (!authorize(r, r->route, &res))
				return res;
			return r->route->fn(r);
		}
		free(arg);
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
			 *allow ? ", " : "", routes[i].method);
	}
	if (!*allow)
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", "no route %s %s", r->method,
				   r->path);
	r->allow = strdup(allow); /* reply_send adds the Allow header */
	return reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
			   "%s is not allowed here; use %s", r->method, allow);
}
