/*
 * daemon.h - what the parts of bugtrackd share: its settings, the server's
 * state, one request, the route table's shape, and the helpers every route
 * uses to read a request and write a reply.
 *
 * bugtrackd is an HTTP front end over the public API (bugtrack.h), like the
 * bugtrack tool, whose JSON writers (tools/emit.c, render.c) it reuses so
 * that a route's JSON is byte for byte the tool's --json output.
 */
#ifndef BUGTRACKD_DAEMON_H
#define BUGTRACKD_DAEMON_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* jansson's json_string() and json_null() make values; the tool's JSON
 * writer (cli.h), whose bytes bugtrackd must give, has functions of those
 * names that write them.  bugtrackd only parses with jansson, so its two
 * are declared under other names here and never called. */
#define json_string jansson_json_string_unused
#define json_null jansson_json_null_unused
#include <jansson.h>
#undef json_string
#undef json_null
#include <microhttpd.h>

#include "cli.h"

#define API_PREFIX "/api/v1"

/* Statuses whose MHD names changed across the versions Debian ships. */
#define HTTP_CONTENT_TOO_LARGE 413
#define HTTP_UNPROCESSABLE 422

/* ---- settings (main.c) ---- */

typedef struct config {
	const char *db;          /* --db: a location as bt_open takes it */
	const char *listen;      /* --listen ADDR:PORT */
	unsigned int threads;    /* --threads: MHD's worker pool */
	unsigned int max_conns;  /* --max-connections */
	unsigned int timeout_s;  /* --timeout: idle/slow connections are cut */
	size_t max_body;         /* --max-body: larger bodies get 413 */
	int max_depth;           /* --max-depth: deeper JSON gets 400 */
	int busy_timeout_ms;     /* --busy-timeout: then 503 */
	int max_wait_s;          /* --max-wait: the longest long poll */
	const char *tls_cert;    /* --tls-cert: PEM file; NULL: plain HTTP */
	const char *tls_key;     /* --tls-key: PEM file */
	unsigned int rate_limit; /* --rate-limit: requests a second per token; 0: none */
	const char *webhooks[8]; /* --webhook URL, up to 8 */
	int nwebhooks;
	char *webhook_secret;    /* from --webhook-secret-file; NULL: unsigned */
	const char *notify_exec; /* --notify-exec CMD: run with each event on stdin */
} config;

/* ---- the server (server.c) ---- */

typedef struct waiter waiter;
typedef struct metrics metrics;
typedef struct limiter limiter;
typedef struct webhooks webhooks;
typedef struct checkpointer checkpointer;

typedef struct server {
	const config *cfg;
	bt_db *db;                /* synchronous: every route's reads and writes */
	bt_db *ingest;            /* asynchronous: POST /occurrences (routes_ingest.c) */
	struct MHD_Daemon *mhd;
	waiter *waiter;           /* the long poll's (routes_feed.c) */
	metrics *metrics;         /* request counts and latencies (metrics.c) */
	char *tls_cert, *tls_key; /* the PEM texts MHD serves HTTPS with */
	limiter *limiter;         /* per-token rate limits; NULL: none (limiter.c) */
	webhooks *webhooks;       /* NULL: none configured (webhooks.c) */
	checkpointer *checkpointer; /* NULL on PostgreSQL (checkpointer.c) */
	pthread_mutex_t lock;     /* inflight */
	pthread_cond_t idle;      /* inflight fell to 0 */
	unsigned int inflight;    /* requests begun and not yet answered */
	volatile int stopping;    /* SIGTERM came: finish, accept nothing new */
} server;

struct route;

/* One HTTP request, from its headers to its completion. */
typedef struct request {
	server *srv;
	struct MHD_Connection *conn;
	char method[16];
	char *path;               /* below API_PREFIX, as MHD decoded it (else all of it) */
	int api;                  /* 1: the URL is below API_PREFIX; 0: a page's */
	int64_t started_us;
	char *body;               /* NUL-terminated */
	size_t body_len;
	int body_too_large;
	int status;               /* the status sent, for the log */
	const struct route *route;
	char *arg;                /* the {id} or {kind} of the route's path */
	char *allow;              /* a 405's Allow header */
	char *location;           /* a 201's or 303's Location header */
	char *set_cookie;         /* the page's sign-in (status_page.c) */
	char *next_cursor;        /* X-Next-Cursor: the next page of a list */
	const char *content_type; /* NULL: application/json */
	int unauthorized;         /* a 401: reply_send adds WWW-Authenticate */
	int retry_after_s;        /* a 429: reply_send adds Retry-After */
	char actor[BT_TOKEN_NAME_MAX + 1]; /* the bearer token's name */
	/* a parked long poll (routes_feed.c) */
	int poll_started;
	int64_t poll_deadline_ms;
	struct request *next_parked;
} request;

/* Start serving on cfg->listen; BT_OK or a message on stderr and -1. */
int server_start(server *s);
/* Stop: accept nothing more, answer parked long polls, wait (at most
 * cfg->timeout_s) for the requests under way, then stop MHD. */
void server_stop(server *s);
int64_t now_ms(void);
/* Microseconds of CLOCK_MONOTONIC. */
int64_t mono_us(void);

/* ---- routes (router.c) ---- */

/* A route's handler queues the reply (reply_*), or parks the request
 * (routes_feed.c); it returns what the MHD access handler returns. */
typedef enum MHD_Result (*route_fn)(request *r);

typedef struct route {
	const char *method;
	const char *pattern;   /* below API_PREFIX (a page: from /); one {name} segment at most */
	unsigned int scope;    /* bt_token_scope needed; 0: none (healthz) */
	route_fn fn;
	int page;              /* 1: HTML for browsers (status_page.c), outside API_PREFIX */
} route;

/* The route table: how many routes, and route @p i (for metrics). */
size_t route_count(void);
const route *route_at(size_t i);
/* "read", "agent", "ingest", "admin", or "none" for 0. */
const char *route_scope_name(unsigned int scope);
/* Find @p r's route and run it, or reply 404/405. */
enum MHD_Result route_dispatch(request *r);
/* Who acts for this request, the actor of every change it makes: the
 * name of its bearer token (bt_token_check). */
const char *request_actor(const request *r);

/* ---- replies (reply.c) ---- */

/* A reply being written: a memory stream the JSON writers write to. */
typedef struct reply {
	FILE *f;
	char *buf;
	size_t len;
} reply;

int reply_open(reply *b);
/* Send @p b (closed and freed here) with @p status. */
enum MHD_Result reply_send(request *r, reply *b, unsigned int status);
/* As reply_send, with an ETag of the ticket's version. */
enum MHD_Result reply_send_etag(request *r, reply *b, unsigned int status, int64_t version);
/* Drop @p b (after an error). */
void reply_drop(reply *b);
/* {"error": {"code": @p code, "message": ...}} with @p status. */
enum MHD_Result reply_error(request *r, unsigned int status, const char *code,
			    const char *fmt, ...) BT_PRINTF(4, 5);
/* The error of a failed library call: status and code by BT_* code (the
 * one place they are mapped), the library's message. */
enum MHD_Result reply_bt(request *r, int rc);
/* As reply_bt, when the call was asked for @p expected_version: a version
 * conflict is 412, precondition failed. */
enum MHD_Result reply_bt_versioned(request *r, int rc, int64_t id, int64_t expected_version);
/* Ticket @p t's trail as `events --json`; frees @p t. */
enum MHD_Result reply_events(request *r, bt_ticket *t, unsigned int status);
/* The ticket @p id as its --json object, with its ETag. */
enum MHD_Result reply_ticket(request *r, int64_t id, unsigned int status);

/* ---- request parts (body.c) ---- */

/* The body as JSON of any type: NULL after replying 400 (not JSON, too
 * deep).  The caller json_decref()s it. */
json_t *body_json(request *r, enum MHD_Result *res);
/* 1 when every member of object @p o is in @p allowed (NULL-terminated);
 * else 0 after replying 422. */
int body_members(request *r, json_t *o, const char *const *allowed, enum MHD_Result *res);
/* Member "context" of @p o, any JSON, as its compact text in *@p out
 * (NULL when absent; free()); 0 after replying 422. */
int body_context(request *r, json_t *o, char **out, enum MHD_Result *res);
/* The body as a JSON object (an empty body is {}): NULL after replying
 * 400 (not JSON, too deep, not an object) or 422 (a member not in
 * @p allowed, a NULL-terminated list).  The caller json_decref()s it. */
json_t *body_object(request *r, const char *const *allowed, enum MHD_Result *res);
/* Member @p key of @p o as a string: 1 and *@p out (NULL when absent or
 * null) when it is one; 0 after replying 422 when it has another type or
 * (with @p required) is missing or empty. */
int body_string(request *r, json_t *o, const char *key, int required, const char **out,
		enum MHD_Result *res);
/* Member @p key as a whole number within [@p min, @p max]; absent leaves
 * *@p out unchanged. */
int body_int(request *r, json_t *o, const char *key, int64_t min, int64_t max, int64_t *out,
	     enum MHD_Result *res);
/* Query parameter @p key, or NULL. */
const char *query(const request *r, const char *key);
/* Reply 400 and return 0 when the query has a parameter not in @p allowed. */
int query_check(request *r, const char *const *allowed, enum MHD_Result *res);
/* Query parameter @p key as a whole number in [@p min, @p max]; absent
 * leaves *@p out. */
int query_int(request *r, const char *key, int64_t min, int64_t max, int64_t *out,
	      enum MHD_Result *res);
/* Query parameter @p key as a time, as the tool's --since reads it
 * (absent leaves *@p out); 0 after replying 400. */
int query_time(request *r, const char *key, int64_t *out, enum MHD_Result *res);
/* If-Match: 0 when absent, else the version (a bare or quoted number);
 * -1 after replying 400 for anything else. */
int64_t if_match(request *r, enum MHD_Result *res);
/* Member "status", "severity", "priority" or "source" of @p o, read by
 * the library's bt_*_from_name: 1 with *@p out set, or left alone when
 * absent; 0 after replying 422. */
int body_name(request *r, json_t *o, const char *key, int *out, enum MHD_Result *res);
/* Read ticket r->arg (42, BUG-00042, bug-42): NULL after replying. */
bt_ticket *request_ticket(request *r, enum MHD_Result *res);
/* The depth of the deepest array or object in @p text (strings skipped). */
int json_depth(const char *text, size_t len);

/* ---- the route families ---- */

enum MHD_Result route_healthz(request *r);
enum MHD_Result route_tickets_list(request *r);
enum MHD_Result route_ticket_get(request *r);
enum MHD_Result route_ticket_events(request *r);
enum MHD_Result route_tickets_create(request *r);
enum MHD_Result route_ticket_patch(request *r);
enum MHD_Result route_ticket_claim(request *r);
enum MHD_Result route_ticket_renew(request *r);
enum MHD_Result route_ticket_release(request *r);
enum MHD_Result route_ticket_resolve(request *r);
enum MHD_Result route_ticket_merge(request *r);
enum MHD_Result route_ticket_note(request *r);
enum MHD_Result route_changes(request *r);
enum MHD_Result route_pending(request *r);
enum MHD_Result route_occurrences(request *r);
enum MHD_Result route_report(request *r);
enum MHD_Result route_stats(request *r);

/* ---- the status page (status_page.c): all the HTML bugtrackd writes ---- */

/* The cookie a browser keeps its token in after GET /?token=. */
#define PAGE_COOKIE "bugtrack_token"

/* GET /: the page; with ?token=, the sign-in (303 to / with the cookie). */
enum MHD_Result route_status_page(request *r);
/* A page's refusal or failure as a small HTML document on @p f: @p msg,
 * escaped, and for a 401 the form that asks for a token. */
void page_error_html(FILE *f, unsigned int status, const char *msg);

/* ---- rate limits (limiter.c) ---- */

/* NULL for 0 (no limit) or out of memory. */
limiter *limiter_new(unsigned int per_second);
void limiter_free(limiter *l);
/* 1 when the token named @p name may make a request now (and it is
 * counted); else 0 with the seconds until it may.  A NULL @p l allows all. */
int limiter_take(limiter *l, const char *name, int64_t now_ms, int *retry_after_s);

/* ---- webhooks (webhooks.c) ---- */

/* Start following the feed and delivering events; NULL when none is
 * configured (or out of memory). */
webhooks *webhooks_start(server *s);
/* Stop both threads; what is still queued is dropped.  NULL is fine. */
void webhooks_stop(webhooks *w);

/* ---- metrics (metrics.c) ---- */

/* NULL when out of memory (the server then keeps none). */
metrics *metrics_new(void);
void metrics_free(metrics *m);
/* Count a finished request: its route (NULL: none matched), status and
 * time.  Lock-free: any worker thread may call it. */
void metrics_observe(metrics *m, const route *rt, int status, int64_t elapsed_us);
enum MHD_Result route_metrics(request *r);

/* ---- the checkpointer (checkpointer.c) ---- */

/* Write the WAL back every few milliseconds on @p db, a handle of its own
 * (the others are opened with BT_OPEN_HOST_CHECKPOINT); NULL when the
 * thread cannot start, and then the handles' backstop still does it. */
checkpointer *checkpointer_start(bt_db *db);
/* The WAL's pages and how many were written back, as the last round saw
 * them; -1 before the first, and for a NULL @p c. */
void checkpointer_wal(checkpointer *c, int64_t *log_pages, int64_t *backfilled);
/* Stop and join the thread; NULL is fine.  @p db is the caller's. */
void checkpointer_stop(checkpointer *c);

/* The long poll's waiter thread (routes_feed.c). */
int waiter_start(server *s);
/* Answer every parked request now (shutdown). */
void waiter_wake_all(server *s);
void waiter_stop(server *s);

#endif /* BUGTRACKD_DAEMON_H */
