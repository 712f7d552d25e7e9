/*
 * store/postgresql/wait.c - waiting for the feed (bt_audit_wait) on
 * PostgreSQL: LISTEN on a connection of the waiter's own.  Every audit
 * event notifies channel "bugtrack" with its schema's name when its
 * transaction commits (lifecycle.c, SQL_INSERT_EVENT); the waiter sleeps in
 * poll() on its socket, and wakes for its own schema's notifications.
 * A lost connection is made again, and that wake is reported (what was
 * committed meanwhile sent no notification this waiter heard).
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "store_postgresql.h"

typedef struct pg_waiter {
	bti_waiter base;
	bti_pg_store *st;
	char schema[80];             /* current_schema() of the connection */
	int listening;
} pg_waiter;

static const char SQL_LISTEN[] = "LISTEN bugtrack";
static const char SQL_SCHEMA[] = "SELECT coalesce(current_schema(), '')";

static int listen_now(pg_waiter *w)
{
	PGresult *res;
	int rc = bti_pg_exec_simple(w->st, SQL_LISTEN, "waiting for the feed");

	if (rc == BT_OK)
		rc = bti_pg_exec(w->st, SQL_SCHEMA, NULL, &res, "waiting for the feed");
	if (rc != BT_OK)
		return rc;
	snprintf(w->schema, sizeof(w->schema), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	w->listening = 1;
	return BT_OK;
}

void bti_pg_op_wait_close(bti_waiter *base)
{
	pg_waiter *w = (pg_waiter *)base;

	if (!w)
		return;
	bti_pg_op_close(w->st ? &w->st->base : NULL);
	bti_free(w);
}

int bti_pg_op_wait_open(const char *location, int busy_timeout_ms, bti_waiter **out)
{
	pg_waiter *w = bti_calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w)
		return bti_error(BT_ENOMEM, "waiting for the feed: out of memory");
	w->base.ops = &bti_postgresql_ops;
	rc = bti_pg_connect_store(location, BT_OPEN_READONLY, busy_timeout_ms,
				  &bti_postgresql_migrations, &w->st);
	if (rc == BT_OK)
		rc = listen_now(w);
	if (rc != BT_OK) {
		bti_pg_op_wait_close(&w->base);
		return rc;
	}
	*out = &w->base;
	return BT_OK;
}

/* Take the notifications that arrived; 1 if one is for this schema. */
static int drain(pg_waiter *w)
{
	PGnotify *n;
	int ours = 0;

	while ((n = PQnotifies(w->st->conn)) != NULL) {
		if (!n->extra || strcmp(n->extra, w->schema) == 0)
			ours = 1;
		PQfreemem(n);
	}
	return ours;
}

int bti_pg_op_wait(bti_waiter *base, int64_t deadline_ms)
{
	pg_waiter *w = (pg_waiter *)base;

	for (;;) {
		struct pollfd pfd;
		int64_t left;

		if (!w->st->conn || PQstatus(w->st->conn) != CONNECTION_OK) {
			w->listening = 0;
			if (bti_pg_ensure_connected(w->st, "waiting for the feed") == BT_OK &&
			    listen_now(w) == BT_OK)
				return BT_OK; /* the caller looks: it may have missed something */
			bt_error_clear();
			/* The server is away: try again after the back-off, until the
			 * deadline. */
		} else {
			if (!PQconsumeInput(w->st->conn)) {
				if (PQstatus(w->st->conn) == CONNECTION_OK)
					return bti_pg_fail(w->st, NULL, "waiting for the feed");
				continue; /* the connection broke: made again above */
			}
			if (drain(w))
				return BT_OK;
		}
		left = deadline_ms - bti_mono_ms();
		if (left <= 0)
			return BT_ITEROVER;
		pfd.fd = w->st->conn ? PQsocket(w->st->conn) : -1;
		pfd.events = POLLIN;
		pfd.revents = 0;
		/* Without a connection, poll() on no descriptor only sleeps. */
		if (poll(&pfd, pfd.fd >= 0 ? 1 : 0, (int)(left < 200 ? left : 200)) < 0)
			continue;
	}
}
