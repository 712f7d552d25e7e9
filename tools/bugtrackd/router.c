/*
 * router.c - the route table: each route's method, path, the token scope
 * it needs, and its handler; matching a request to it (404, 405 with
 * Allow); and the one place where auth will check the scope and name the
 * actor.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define READ BT_SCOPE_READ
#define AGENT BT_SCOPE_AGENT

static const route routes[] = {
	{ "GET",   "/healthz",               0,     route_healthz },
	{ "GET",   "/tickets",               READ,  route_tickets_list },
	{ "POST",  "/tickets",               AGENT, route_tickets_create },
	{ "GET",   "/tickets/{id}",          READ,  route_ticket_get },
	{ "PATCH", "/tickets/{id}",          AGENT, route_ticket_patch },
	{ "GET",   "/tickets/{id}/events",   READ,  route_ticket_events },
	{ "POST",  "/tickets/{id}/events",   AGENT, route_ticket_note },
	{ "POST",  "/tickets/{id}/claim",    AGENT, route_ticket_claim },
	{ "POST",  "/tickets/{id}/renew",    AGENT, route_ticket_renew },
	{ "POST",  "/tickets/{id}/release",  AGENT, route_ticket_release },
	{ "POST",  "/tickets/{id}/resolve",  AGENT, route_ticket_resolve },
	{ "POST",  "/tickets/{id}/merge",    AGENT, route_ticket_merge },
	{ "GET",   "/changes",               READ,  route_changes },
	{ "GET",   "/pending",               READ,  route_pending },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

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

/*
 * Whether @p r may run @p rt.  AUTH GOES HERE: read the bearer token,
 * bt_token_check it, refuse with 401/403, keep its name for
 * request_actor().  Until then every request may run every route.
 */
static int authorize(request *r, const route *rt, enum MHD_Result *res)
{
	(void)r;
	(void)rt;
	(void)res;
	return 1;
}

const char *request_actor(const request *r)
{
	(void)r;
	/* PLACEHOLDER(auth): the token's name, once auth lands. */
	return "api:anonymous";
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
		if (!match(routes[i].pattern, r->path, &arg))
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
