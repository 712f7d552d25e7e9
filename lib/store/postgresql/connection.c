/*
 * store/postgresql/connection.c - the PostgreSQL backend's connection:
 * reading the location, connecting (and connecting again after a fault),
 * the session settings, running statements, transactions, and mapping
 * PostgreSQL's errors (SQLSTATE) onto libbugtrack's codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store_postgresql.h"

/* ---- parameters ---- */

void bti_pg_int(bti_pg_params *p, int64_t v)
{
	if (p->n >= BTI_PG_MAX_PARAMS)
		return; /* a statement with more is a programming error; the server says so */
	snprintf(p->buf[p->n], sizeof(p->buf[p->n]), "%" PRId64, v);
	p->values[p->n] = p->buf[p->n];
	p->n++;
}

void bti_pg_text(bti_pg_params *p, const char *s)
{
	if (p->n < BTI_PG_MAX_PARAMS)
		p->values[p->n++] = s;
}

void bti_pg_time(bti_pg_params *p, int64_t t)
{
	if (t)
		bti_pg_int(p, t);
	else
		bti_pg_text(p, NULL);
}

/* ---- errors ---- */

/* The BT_* code for a SQLSTATE.  Retryable conditions (a lock or statement
 * timeout, a serialization failure, a deadlock, a full server) are
 * BT_EBUSY, as SQLite's locks are; a lost connection is BT_EIO, and the
 * next call connects again. */
static int code_for(const char *state)
{
	if (!state || strlen(state) != 5)
		return BT_EIO;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
		return BT_EIO;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") ||
	    !strcmp(state, "57014") || !strcmp(state, "53300"))
		return BT_EBUSY;
	if (!strcmp(state, "53200"))
		return BT_ENOMEM;
	if (!strncmp(state, "53", 2) || !strncmp(state, "58", 2))
		return BT_EIO;
	if (!strncmp(state, "23", 2) || !strncmp(state, "22", 2))
		return BT_EINVALID;
	if (!strcmp(state, "25006") || !strcmp(state, "42501"))
		return BT_EREADONLY;
	if (!strncmp(state, "28", 2) || !strcmp(state, "3D000"))
		return BT_ECANTOPEN;
	if (!strcmp(state, "42P01") || !strcmp(state, "42703") || !strcmp(state, "3F000"))
		return BT_ESCHEMA;
	if (!strcmp(state, "XX001") || !strcmp(state, "XX002"))
		return BT_ECORRUPT;
	return BT_EINTERNAL;
}

/* libpq's messages end in a newline (and may hold several lines): keep the
 * first line. */
static void first_line(const char *msg, char *buf, size_t size)
{
	size_t n = strcspn(msg ? msg : "", "\n");

	if (n >= size)
		n = size - 1;
	memcpy(buf, msg ? msg : "", n);
	buf[n] = '\0';
}

int bti_pg_fail(bti_pg_store *st, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char line[400], native[24];

	if (!msg)
		msg = st && st->conn ? PQerrorMessage(st->conn) : "out of memory";
	if (!state && st && st->conn && PQstatus(st->conn) == CONNECTION_BAD)
		state = "08006"; /* connection_failure: the server or the network went away */
	first_line(msg, line, sizeof(line));
	if (!*line)
		snprintf(line, sizeof(line), "the server gave no reason");
	snprintf(native, sizeof(native), "postgresql:%s", state ? state : "08006");
	return bti_error_native(code_for(state), native, "%s: %s", what, line);
}

/* ---- the location ----
 *
 * libpq's own grammar (postgresql:// or postgres:// URIs, PG* variables),
 * plus one parameter of ours, schema=NAME: the schema that holds this
 * project's tables, so that several projects share one database.  libpq
 * refuses query parameters it does not know, so schema= is taken out
 * before it sees the URI. */

static int schema_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* Split @location into the conninfo libpq gets and the schema. */
static int split_location(const char *location, char **conninfo, char **schema)
{
	const char *q = strchr(location, '?');
	size_t len = strlen(location);
	char *out = bti_malloc(len + 1), *o;
	const char *p;

	*conninfo = NULL;
	*schema = NULL;
	if (!out)
		return bti_error(BT_ENOMEM, "bt_open: out of memory");
	if (!q) {
		memcpy(out, location, len + 1);
		*conninfo = out;
		return BT_OK;
	}
	memcpy(out, location, (size_t)(q - location));
	o = out + (q - location);
	for (p = q + 1; *p;) {
		size_t n = strcspn(p, "&");

		if (n > 7 && strncmp(p, "schema=", 7) == 0) {
			if (*schema || !schema_name_ok(p + 7, n - 7)) {
				bti_free(out);
				bti_free(*schema);
				*schema = NULL;
				return bti_error(BT_EINVALID, "bt_open: schema= in the location must be "
						 "given once, as 1 to 63 lowercase letters, digits or '_', "
						 "not starting with a digit");
			}
			*schema = bti_malloc(n - 6);
			if (!*schema) {
				bti_free(out);
				return bti_error(BT_ENOMEM, "bt_open: out of memory");
			}
			memcpy(*schema, p + 7, n - 7);
			(*schema)[n - 7] = '\0';
		} else if (n) {
			char sep = o == out + (q - location) ? '?' : '&';

			*o++ = sep;
			memcpy(o, p, n);
			o += n;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	*o = '\0';
	*conninfo = out;
	return BT_OK;
}

/* ---- connecting ---- */

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 5000

/* The server's notices (NOTICE, WARNING) are not for the host's stderr.
 * A FATAL that arrives here came between queries: the server ended the
 * session (a restart, a terminated backend) before any statement of ours
 * could run, which bti_pg_exec_alone needs to know. */
static void quiet_notices(void *arg, const PGresult *res)
{
	bti_pg_store *st = arg;
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	if (severity && (!strcmp(severity, "FATAL") || !strcmp(severity, "PANIC")))
		st->session_ended = 1;
}

static const char SQL_SESSION[] =
	"SELECT set_config('lock_timeout', $1::text, false),"
	" set_config('client_min_messages', 'error', false),"
	" set_config('search_path', coalesce($2::text, current_setting('search_path')), false)";

/* Connect (again): the session settings and the schema's search_path. */
static int connect_now(bti_pg_store *st, const char *what)
{
	static const char *const keys[] = { "connect_timeout", "fallback_application_name",
					    "dbname", NULL };
	char timeout[16], lock_ms[24], quoted[80];
	const char *values[4];
	bti_pg_params p;
	PGresult *res;
	int rc;

	if (st->conn) {
		PQfinish(st->conn);
		st->conn = NULL;
	}
	st->cached = 0;
	st->in_txn = 0;
	st->session_ended = 0;
	/* The URI's own connect_timeout, if it has one, comes later and wins. */
	snprintf(timeout, sizeof(timeout), "%d", st->busy_timeout_ms / 1000 + 2);
	values[0] = timeout;
	values[1] = "libbugtrack";
	values[2] = st->conninfo;
	values[3] = NULL;
	st->conn = PQconnectdbParams(keys, values, 1);
	if (!st->conn)
		return bti_error(BT_ENOMEM, "%s: out of memory", what);
	PQsetNoticeReceiver(st->conn, quiet_notices, st);
	if (PQstatus(st->conn) != CONNECTION_OK) {
		first_line(PQerrorMessage(st->conn), st->last_connect_error,
			   sizeof(st->last_connect_error));
		/* At open, the database cannot be opened; later, the handle
		 * lost its server, and the call failed for I/O. */
		rc = bti_error_native(st->opened ? BT_EIO : BT_ECANTOPEN, "postgresql:08001",
				      "%s: cannot connect: %s", what, st->last_connect_error);
		PQfinish(st->conn);
		st->conn = NULL;
		st->backoff_ms = st->backoff_ms ? st->backoff_ms * 2 : BACKOFF_FIRST_MS;
		if (st->backoff_ms > BACKOFF_MAX_MS)
			st->backoff_ms = BACKOFF_MAX_MS;
		st->retry_at_ms = bti_mono_ms() + st->backoff_ms;
		return rc;
	}
	st->backoff_ms = 0;
	st->retry_at_ms = 0;
	snprintf(lock_ms, sizeof(lock_ms), "%d", st->busy_timeout_ms);
	if (st->schema)
		snprintf(quoted, sizeof(quoted), "\"%s\"", st->schema); /* checked: [a-z0-9_] */
	bti_pg_params_init(&p);
	bti_pg_text(&p, lock_ms);
	bti_pg_text(&p, st->schema ? quoted : NULL);
	st->lock_timeout_set = st->busy_timeout_ms;
	rc = bti_pg_exec(st, SQL_SESSION, &p, &res, what);
	PQclear(res);
	return rc;
}

/* Run whenever a call takes the handle (bti_store_end_stray_txn) and
 * before a transaction: a lost connection is made again here, so that the
 * call after a fault works.  Within the back-off after a failed attempt,
 * the call fails at once with the reason of that attempt. */
int bti_pg_ensure_connected(bti_pg_store *st, const char *what)
{
	if (st->conn && PQstatus(st->conn) == CONNECTION_OK)
		return BT_OK;
	if (!st->conn && st->retry_at_ms && bti_mono_ms() < st->retry_at_ms)
		return bti_error_native(BT_EIO, "postgresql:08001", "%s: the server is unreachable "
					"(%s); the next attempt is in %lld ms", what,
					st->last_connect_error,
					(long long)(st->retry_at_ms - bti_mono_ms()));
	return connect_now(st, what);
}

/* Lock waits end at the call's deadline when one is set (within
 * LOCK_TIMEOUT_SLACK_MS), else after the busy timeout: lock_timeout
 * follows, and is only sent when it changes by more than the slack. */
#define LOCK_TIMEOUT_SLACK_MS 20

static int apply_lock_timeout(bti_pg_store *st)
{
	static const char SQL_LOCK_TIMEOUT[] = "SELECT set_config('lock_timeout', $1::text, false)";
	int64_t ms = st->busy_timeout_ms;
	char buf[24];
	bti_pg_params p;
	PGresult *res;
	int rc;

	if (st->deadline_ms) {
		int64_t left = st->deadline_ms - bti_mono_ms();

		if (left < ms)
			ms = left < 1 ? 1 : left;
	}
	/* Each call sets its deadline, so the time left differs by a few ms
	 * from call to call: a lock_timeout set a little longer stands, or the
	 * hot path would pay a round trip to move it every time. */
	if (ms <= st->lock_timeout_set && st->lock_timeout_set - ms <= LOCK_TIMEOUT_SLACK_MS)
		return BT_OK;
	snprintf(buf, sizeof(buf), "%" PRId64, ms);
	bti_pg_params_init(&p);
	bti_pg_text(&p, buf);
	rc = bti_pg_exec(st, SQL_LOCK_TIMEOUT, &p, &res, "setting the lock timeout");
	PQclear(res);
	if (rc == BT_OK)
		st->lock_timeout_set = (int)ms;
	return rc;
}

int bti_pg_connect_store(const char *location, unsigned int flags, int busy_timeout_ms,
			 const bti_migration_set *migrations, bti_pg_store **out)
{
	bti_pg_store *st;
	int rc;

	*out = NULL;
	st = bti_calloc(1, sizeof(*st));
	if (!st)
		return bti_error(BT_ENOMEM, "bt_open: out of memory");
	st->base.ops = &bti_postgresql_ops;
	st->migrations = migrations;
	st->flags = flags;
	st->busy_timeout_ms = busy_timeout_ms;
	rc = split_location(location, &st->conninfo, &st->schema);
	if (rc == BT_OK)
		rc = connect_now(st, "bt_open");
	if (rc != BT_OK) {
		bti_pg_op_close(&st->base);
		return rc;
	}
	st->opened = 1;
	*out = st;
	return BT_OK;
}

int bti_pg_op_open(bti_store **out, const char *path, unsigned int flags, int busy_timeout_ms,
		   const bti_migration_set *migrations)
{
	bti_pg_store *st;
	int rc = bti_pg_connect_store(path, flags, busy_timeout_ms, migrations, &st);

	*out = NULL;
	if (rc == BT_OK)
		rc = bti_pg_migrate(st);
	if (rc != BT_OK) {
		bti_pg_op_close(st ? &st->base : NULL);
		return rc;
	}
	*out = &st->base;
	return BT_OK;
}

int bti_pg_op_inspect_open(bti_store **out, const char *path, int writable,
			   const bti_migration_set *migrations)
{
	bti_pg_store *st;
	int rc = bti_pg_connect_store(path, writable ? 0 : BT_OPEN_READONLY, 5000, migrations, &st);

	*out = rc == BT_OK ? &st->base : NULL;
	return rc;
}

void bti_pg_op_close(bti_store *base)
{
	bti_pg_store *st = (bti_pg_store *)base;

	if (!st)
		return;
	if (st->conn)
		PQfinish(st->conn);
	bti_free(st->conninfo);
	bti_free(st->schema);
	bti_free(st);
}

/* The parent still talks to the server over the same socket: closing must
 * not say goodbye on it (libpq's PQfinish sends a Terminate message, which
 * would end the parent's session).  The socket's descriptor is pointed at
 * /dev/null first, so the message goes nowhere and the parent's connection
 * stays as it was. */
void bti_pg_op_close_inherited(bti_store *base)
{
	bti_pg_store *st = (bti_pg_store *)base;

	if (!st)
		return;
	if (st->conn && PQsocket(st->conn) >= 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul >= 0) {
			dup2(nul, PQsocket(st->conn));
			close(nul);
		}
	}
	bti_pg_op_close(base);
}

/* ---- running statements ---- */

static int cache_slot(bti_pg_store *st, const char *sql_text, int nparams, const char *what,
		      int *slot);

int bti_pg_prepared(bti_pg_store *st, const char *sql_text, int nparams, const char *what,
		    char name[16])
{
	int slot = -1, rc = cache_slot(st, sql_text, nparams, what, &slot);

	if (rc == BT_OK && slot < 0)
		rc = bti_error(BT_EINTERNAL, "%s: the statement cache is full", what);
	if (rc == BT_OK)
		snprintf(name, 16, "s%d", slot);
	return rc;
}

static int cache_slot(bti_pg_store *st, const char *sql_text, int nparams, const char *what, int *slot)
{
	char name[16];
	PGresult *res;
	size_t i;

	for (i = 0; i < st->cached; i++) {
		if (st->cache[i] == sql_text) {
			*slot = (int)i;
			return BT_OK;
		}
	}
	if (st->cached >= BTI_PG_STMT_CACHE) {
		*slot = -1; /* run unprepared */
		return BT_OK;
	}
	snprintf(name, sizeof(name), "s%zu", st->cached);
	res = PQprepare(st->conn, name, sql_text, nparams, NULL);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
		int rc = bti_pg_fail(st, res, what);

		PQclear(res);
		return rc;
	}
	PQclear(res);
	st->cache[st->cached] = sql_text;
	*slot = (int)st->cached++;
	return BT_OK;
}

/* Send @sql_text, prepared once per connection; *res_out is the server's
 * answer (NULL when none came).  BT_OK means it was sent and answered. */
static int exec_raw(bti_pg_store *st, const char *sql_text, const bti_pg_params *p,
		    const char *what, PGresult **res_out)
{
	int n = p ? p->n : 0, slot = -1, rc;
	const char *const *values = p ? p->values : NULL;
	char name[16];

	*res_out = NULL;
	if (!st->conn)
		return bti_error_native(BT_EIO, "postgresql:08003", "%s: not connected", what);
	rc = cache_slot(st, sql_text, n, what, &slot);
	if (rc != BT_OK)
		return rc;
	if (slot >= 0) {
		snprintf(name, sizeof(name), "s%d", slot);
		*res_out = PQexecPrepared(st->conn, name, n, values, NULL, NULL, 0);
	} else {
		*res_out = PQexecParams(st->conn, sql_text, n, NULL, values, NULL, NULL, 0);
	}
	return BT_OK;
}

static int result_ok(const PGresult *res)
{
	return res && (PQresultStatus(res) == PGRES_TUPLES_OK ||
		       PQresultStatus(res) == PGRES_COMMAND_OK);
}

int bti_pg_exec(bti_pg_store *st, const char *sql_text, const bti_pg_params *p, PGresult **out,
		const char *what)
{
	PGresult *res;
	int rc = exec_raw(st, sql_text, p, what, &res);

	*out = NULL;
	if (rc != BT_OK)
		return rc;
	if (result_ok(res)) {
		*out = res;
		return BT_OK;
	}
	rc = bti_pg_fail(st, res, what);
	PQclear(res);
	return rc;
}

int bti_pg_run(bti_pg_store *st, const char *sql_text, const bti_pg_params *p, const char *what,
	       int64_t *first_out, int64_t *changes_out)
{
	PGresult *res;
	int rc = bti_pg_exec(st, sql_text, p, &res, what);

	if (rc != BT_OK)
		return rc;
	if (first_out && PQntuples(res) > 0 && PQnfields(res) > 0)
		*first_out = bti_pg_get_int(res, 0, 0);
	if (changes_out) {
		const char *n = PQcmdTuples(res);
		*changes_out = n && *n ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(res);
	return BT_OK;
}

int64_t bti_pg_get_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

int bti_pg_get_text(const PGresult *r, int row, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(r, row, col))
		return BT_OK;
	*out = bti_strdup(PQgetvalue(r, row, col));
	return *out ? BT_OK : bti_error(BT_ENOMEM, "reading a row: out of memory");
}

/* ---- transactions ---- */

/* The writer lock of bti_pg_begin (store_postgresql.h): one key per schema
 * of a database; 0x62756774 is "bugt". */
int bti_pg_writer_lock_off;

/* A write transaction: BEGIN, the writer lock and the transaction's id, in
 * one round trip.  The id settles a COMMIT whose answer was lost
 * (bti_pg_commit).  Only the race test's control leaves the lock out:
 * without it, that test must fail. */
static const char SQL_BEGIN_WRITE[] =
	"BEGIN; SELECT pg_advisory_xact_lock(1651861364, hashtext(current_schema()));"
	" SELECT txid_current()";
static const char SQL_BEGIN_WRITE_UNLOCKED[] = "BEGIN; SELECT txid_current()";
static const char SQL_BEGIN_READ[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/* Run @sql_text (several statements); *last_out (may be NULL) gets the
 * first column of the last statement's first row. */
static int exec_last(bti_pg_store *st, const char *sql_text, const char *what, int64_t *last_out)
{
	PGresult *res;
	int rc = BT_OK;

	if (!st->conn)
		return bti_error_native(BT_EIO, "postgresql:08003", "%s: not connected", what);
	res = PQexec(st->conn, sql_text);
	if (!result_ok(res))
		rc = bti_pg_fail(st, res, what);
	else if (last_out && PQntuples(res) > 0)
		*last_out = bti_pg_get_int(res, 0, 0);
	PQclear(res);
	return rc;
}

/* Wait until a result of the query in flight can be read without
 * blocking, calling the wait notice of a wait that began at @started. */
static void await_result(bti_pg_store *st, int64_t started, int *noticed)
{
	while (PQisBusy(st->conn)) {
		struct pollfd pfd = { PQsocket(st->conn), POLLIN, 0 };
		int64_t next = bti_store_wait_noticed(&st->base, started, bti_mono_ms(), noticed);
		int n;

		/* No socket, a failed poll or a broken connection end the wait:
		 * PQgetResult then reports the failure. */
		if (pfd.fd < 0)
			return;
		n = poll(&pfd, 1, next == INT64_MAX ? -1 : (int)next);
		if (n < 0 && errno != EINTR)
			return;
		if (n > 0 && !PQconsumeInput(st->conn))
			return;
	}
}

/* exec_last for the write BEGIN, which waits on the writer lock: the
 * answer is awaited in slices, so that a wait past the handle's wait
 * notice says so (bt_set_wait_notice); the wait began at @started, and
 * *@noticed says whether it was told.  The server's lock_timeout still
 * ends the wait. */
static int exec_last_noticing(bti_pg_store *st, const char *sql_text, const char *what,
			      int64_t *last_out, int64_t started, int *noticed)
{
	PGresult *res, *failed = NULL, *last = NULL;
	int rc = BT_OK;

	if (!st->base.notice || !st->base.notice->fn || !st->conn)
		return exec_last(st, sql_text, what, last_out);
	if (!PQsendQuery(st->conn, sql_text))
		return bti_pg_fail(st, NULL, what);
	/* Every statement's result, as PQexec would: the first failure is
	 * the answer, else the last result.  Each may wait (the lock's is
	 * the second), so the wait is watched before each. */
	for (;;) {
		await_result(st, started, noticed);
		res = PQgetResult(st->conn);
		if (!res)
			break;
		if (!failed && !result_ok(res)) {
			failed = res;
			continue;
		}
		PQclear(last);
		last = res;
	}
	if (failed)
		rc = bti_pg_fail(st, failed, what);
	else if (!last)
		rc = bti_pg_fail(st, NULL, what);
	else if (last_out && PQntuples(last) > 0)
		*last_out = bti_pg_get_int(last, 0, 0);
	PQclear(failed);
	PQclear(last);
	return rc;
}

int bti_pg_exec_simple(bti_pg_store *st, const char *sql_text, const char *what)
{
	return exec_last(st, sql_text, what, NULL);
}

/* BEGIN, once more on a new connection if the one it went out on was
 * dead (a server restart, an idle connection cut by the network, a
 * backend terminated): nothing of the transaction was sent yet, so the
 * retry cannot store anything twice, and the call after a fault works. */
static int begin_retrying(bti_pg_store *st, const char *sql_text, const char *what,
			  int64_t *last_out)
{
	/* Only the write BEGIN waits on a lock: a read's wait is the network's. */
	int write = sql_text != SQL_BEGIN_READ, noticed = 0;
	int64_t started = bti_mono_ms();
	int rc = write ? exec_last_noticing(st, sql_text, what, last_out, started, &noticed)
		       : exec_last(st, sql_text, what, last_out);

	if (rc == BT_EIO && st->conn && PQstatus(st->conn) == CONNECTION_BAD &&
	    connect_now(st, what) == BT_OK && apply_lock_timeout(st) == BT_OK) {
		bt_error_clear();
		rc = write ? exec_last_noticing(st, sql_text, what, last_out, started, &noticed)
			   : exec_last(st, sql_text, what, last_out);
	}
	return rc;
}

int bti_pg_test_lose_alone_reply;

static int answer_lost(const char *what)
{
	return bti_error_native(BT_EIO, "postgresql:08007", "%s: the connection was lost before "
				"the server answered; the change may or may not have been made",
				what);
}

int bti_pg_exec_alone(bti_pg_store *st, const char *sql_text, const bti_pg_params *p,
		      PGresult **out, const char *what)
{
	int rc = bti_pg_ensure_connected(st, what);

	*out = NULL;
	for (int attempt = 0; rc == BT_OK; attempt++) {
		PGresult *res = NULL;
		int dead, unsent;

		/* What the server said while we were idle (no wait: the
		 * socket is read only if something came): a session it ended is
		 * made again before anything is sent. */
		if (attempt == 0 && (!PQconsumeInput(st->conn) || st->session_ended ||
				     PQstatus(st->conn) == CONNECTION_BAD)) {
			rc = connect_now(st, what);
			if (rc != BT_OK)
				return rc;
		}
		rc = apply_lock_timeout(st);
		unsent = rc != BT_OK;
		if (rc == BT_OK) {
			rc = exec_raw(st, sql_text, p, what, &res);
			unsent = rc != BT_OK; /* not connected, or its PREPARE failed */
		}
		if (rc == BT_OK && result_ok(res) && bti_pg_test_lose_alone_reply > 0) {
			/* The test's fault: the statement ran, and its answer is
			 * lost with the connection. */
			bti_pg_test_lose_alone_reply--;
			PQclear(res);
			PQfinish(st->conn);
			st->conn = NULL;
			return answer_lost(what);
		}
		if (rc == BT_OK && result_ok(res)) {
			*out = res;
			return BT_OK;
		}
		/* An error the server sent (it has a SQLSTATE) ended the
		 * statement's transaction: rolled back, if it ran at all.  With
		 * no word from the server, it may have committed. */
		if (rc == BT_OK) {
			unsent = st->session_ended ||
				 (res && PQresultErrorField(res, PG_DIAG_SQLSTATE));
			rc = bti_pg_fail(st, res, what);
		}
		PQclear(res);
		dead = st->conn && PQstatus(st->conn) == CONNECTION_BAD;
		if (!dead)
			return rc;
		if (!unsent)
			return answer_lost(what);
		/* The session had ended (a restart, a terminated backend): as
		 * for BEGIN, nothing ran, so once more on a new connection. */
		if (attempt > 0 || connect_now(st, what) != BT_OK)
			return rc;
		bt_error_clear();
		rc = BT_OK;
	}
	return rc;
}

int bti_pg_begin(bti_pg_store *st)
{
	int rc = bti_pg_ensure_connected(st, "starting a transaction");

	if (rc == BT_OK)
		rc = apply_lock_timeout(st);
	st->txid = 0;
	if (rc == BT_OK)
		rc = begin_retrying(st, bti_pg_writer_lock_off ? SQL_BEGIN_WRITE_UNLOCKED
				    : SQL_BEGIN_WRITE, "starting a transaction", &st->txid);
	if (rc == BT_OK)
		st->in_txn = 1;
	else if (st->conn && PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		bti_pg_rollback(st); /* BEGIN went through, the lock did not */
	return rc;
}

int bti_pg_op_begin(bti_store *base)
{
	return bti_pg_begin((bti_pg_store *)base);
}

int bti_pg_op_begin_read(bti_store *base)
{
	bti_pg_store *st = (bti_pg_store *)base;
	int rc = bti_pg_ensure_connected(st, "starting a read transaction");

	if (rc == BT_OK)
		rc = begin_retrying(st, SQL_BEGIN_READ, "starting a read transaction", NULL);
	if (rc == BT_OK)
		st->in_txn = 1;
	return rc;
}

int bti_pg_test_lose_commit_reply;

static const char SQL_TXID_STATUS[] = "SELECT txid_status($1::bigint)";

/* The COMMIT of transaction @st->txid went out and its answer was lost
 * with the connection: it may or may not have been committed, and a caller
 * that retried after a commit that happened would store it twice.  Ask a
 * new connection (until the busy timeout) what became of it. */
static int settle_lost_commit(bti_pg_store *st)
{
	int64_t deadline = bti_mono_ms() + st->busy_timeout_ms;
	char txid[24], status[24] = "";

	snprintf(txid, sizeof(txid), "%lld", (long long)st->txid);
	for (;;) {
		bti_pg_params p;
		PGresult *res;

		st->retry_at_ms = 0; /* no back-off here: the answer is wanted now */
		if (connect_now(st, "committing") == BT_OK) {
			bti_pg_params_init(&p);
			bti_pg_text(&p, txid);
			if (bti_pg_exec(st, SQL_TXID_STATUS, &p, &res, "committing") == BT_OK) {
				snprintf(status, sizeof(status), "%s",
					 PQgetisnull(res, 0, 0) ? "unknown" : PQgetvalue(res, 0, 0));
				PQclear(res);
			}
		}
		if (!strcmp(status, "committed")) {
			bt_error_clear();
			return BT_OK;
		}
		if (!strcmp(status, "aborted"))
			return bti_error_native(BT_EIO, "postgresql:08006", "committing: the connection "
						"was lost at COMMIT, and the server rolled the "
						"transaction back");
		if (!strcmp(status, "unknown") || bti_mono_ms() >= deadline)
			return bti_error_native(BT_EIO, "postgresql:08007", "committing: the connection "
						"was lost at COMMIT, and whether it was committed "
						"cannot be known (%s)", *status ? "the server no "
						"longer knows the transaction" : "the server is "
						"unreachable");
		{
			struct timespec ts = { 0, 50 * 1000000L }; /* "in progress": its end */

			nanosleep(&ts, NULL);
		}
	}
}

int bti_pg_commit(bti_pg_store *st)
{
	PGresult *res;
	int rc = BT_OK, lost;

	if (!st->conn)
		return bti_error_native(BT_EIO, "postgresql:08003", "committing: not connected");
	if (bti_pg_test_lose_commit_reply && st->txid) {
		/* The test's fault: the COMMIT goes out, and its answer is never
		 * read; the connection is dropped as if the network had cut it. */
		bti_pg_test_lose_commit_reply--;
		PQsendQuery(st->conn, "COMMIT");
		PQflush(st->conn);
		usleep(200 * 1000);
		lost = 1;
		res = NULL;
	} else {
		res = PQexec(st->conn, "COMMIT");
		lost = (!res || PQresultStatus(res) != PGRES_COMMAND_OK) && st->txid &&
		       PQstatus(st->conn) == CONNECTION_BAD;
	}
	if (lost)
		rc = settle_lost_commit(st);
	else if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = bti_pg_fail(st, res, "committing");
	/* COMMIT of a transaction a failed statement aborted answers ROLLBACK,
	 * without an error: the caller must not think it stored anything. */
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = bti_error(BT_EINTERNAL, "committing: the server rolled the transaction back "
			       "(a statement in it had failed)");
	PQclear(res);
	st->txid = 0;
	if (rc == BT_OK)
		st->in_txn = 0;
	return rc;
}

int bti_pg_op_commit(bti_store *base)
{
	return bti_pg_commit((bti_pg_store *)base);
}

/* Never records an error: the failure being rolled back is the one to
 * report.  A connection that went away has no transaction left. */
void bti_pg_rollback(bti_pg_store *st)
{
	st->in_txn = 0;
	if (!st->conn || PQstatus(st->conn) != CONNECTION_OK ||
	    PQtransactionStatus(st->conn) == PQTRANS_IDLE)
		return;
	PQclear(PQexec(st->conn, "ROLLBACK"));
}

void bti_pg_op_rollback(bti_store *base)
{
	bti_pg_rollback((bti_pg_store *)base);
}

void bti_pg_op_end_stray_txn(bti_store *base)
{
	bti_pg_store *st = (bti_pg_store *)base;

	if (!st)
		return;
	if (st->conn && PQstatus(st->conn) == CONNECTION_OK &&
	    PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		bti_pg_rollback(st);
	/* A connection lost since the last call is made again now; if that
	 * fails, the call's own first statement reports it. */
	if (bti_pg_ensure_connected(st, "connecting again") != BT_OK)
		bt_error_clear();
}

void bti_pg_op_set_deadline(bti_store *base, int64_t deadline_ms)
{
	bti_pg_store *st = (bti_pg_store *)base;

	if (st)
		st->deadline_ms = deadline_ms;
}

/* ---- the backend ---- */

void bti_pg_op_wal_state(const char *path, bti_wal_state *out)
{
	(void)path;
	memset(out, 0, sizeof(*out)); /* the server's WAL is not the client's concern */
}

const bti_store_ops bti_postgresql_ops = {
	.version = BTI_STORE_OPS_VERSION,
	.name = "postgresql",
	.migrations = &bti_postgresql_migrations,
	.integrity_check = "amcheck's bt_index_check with heapallindexed",
	.quick_check = "amcheck's bt_index_check",
	.foreign_key_check = "a foreign-key check query",
	.open = bti_pg_op_open,
	.close = bti_pg_op_close,
	.close_inherited = bti_pg_op_close_inherited,
	.schema_version = bti_pg_op_schema_version,
	.schema_latest = bti_pg_op_schema_latest,
	.migrate = bti_pg_op_migrate,
	.land_hit = bti_pg_op_land_hit,
	.land_hits = bti_pg_op_land_hits,
	.land_hit_alone = bti_pg_op_land_hit_alone,
	.land_find = bti_pg_op_land_find,
	.land_count = bti_pg_op_land_count,
	.land_reopen = bti_pg_op_land_reopen,
	.land_retire = bti_pg_op_land_retire,
	.ticket_open = bti_pg_op_ticket_open,
	.log_insert = bti_pg_op_log_insert,
	.log_inserts = bti_pg_op_log_inserts,
	.log_prune = bti_pg_op_log_prune,
	.counter_add = bti_pg_op_counter_add,
	.crash_claim = bti_pg_op_crash_claim,
	.crash_mark_get = bti_pg_op_crash_mark_get,
	.crash_mark_set = bti_pg_op_crash_mark_set,
	.release_seen = bti_pg_op_release_seen,
	.token_insert = bti_pg_op_token_insert,
	.token_find = bti_pg_op_token_find,
	.token_touch = bti_pg_op_token_touch,
	.token_revoke = bti_pg_op_token_revoke,
	.token_page = bti_pg_op_token_page,
	.ticket_keys = bti_pg_op_ticket_keys,
	.ticket_rows = bti_pg_op_ticket_rows,
	.begin = bti_pg_op_begin,
	.begin_read = bti_pg_op_begin_read,
	.commit = bti_pg_op_commit,
	.rollback = bti_pg_op_rollback,
	.end_stray_txn = bti_pg_op_end_stray_txn,
	.set_deadline = bti_pg_op_set_deadline,
	.ticket_update = bti_pg_op_ticket_update,
	.event_add = bti_pg_op_event_add,
	.merge_links = bti_pg_op_merge_links,
	.ticket_delete = bti_pg_op_ticket_delete,
	.pending_page = bti_pg_op_pending_page,
	.ticket_counts = bti_pg_op_ticket_counts,
	.events_page = bti_pg_op_events_page,
	.events_feed = bti_pg_op_events_feed,
	.events_last = bti_pg_op_events_last,
	.ticket_exists = bti_pg_op_ticket_exists,
	.log_page = bti_pg_op_log_page,
	.purge_step = bti_pg_op_purge_step,
	.ticket_get = bti_pg_op_ticket_get,
	.report_summary = bti_pg_op_report_summary,
	.report_top_page = bti_pg_op_report_top_page,
	.report_component_page = bti_pg_op_report_component_page,
	.report_next_activity = bti_pg_op_report_next_activity,
	.report_day_page = bti_pg_op_report_day_page,
	.report_mttr = bti_pg_op_report_mttr,
	.inspect_open = bti_pg_op_inspect_open,
	.identify = bti_pg_op_identify,
	.kind = bti_pg_op_kind,
	.schema_diff = bti_pg_op_schema_diff,
	.migration_records = bti_pg_op_migration_records,
	.stamp = bti_pg_op_stamp,
	.check_integrity = bti_pg_op_check_integrity,
	.vacuum = bti_pg_op_vacuum,
	.check_rows = bti_pg_op_check_rows,
	.wal_state = bti_pg_op_wal_state,
	.check_metrics = bti_pg_op_check_metrics,
	.advice = bti_pg_op_advice,
	.counters = bti_pg_op_counters,
	.ticket_by_external_id = bti_pg_op_ticket_by_external_id,
	.ticket_by_trace_id = bti_pg_op_ticket_by_trace_id,
	.ticket_origin = bti_pg_op_ticket_origin,
	.ticket_id_high = bti_pg_op_ticket_id_high,
	.ticket_insert = bti_pg_op_ticket_insert,
	.ticket_link = bti_pg_op_ticket_link,
	.fingerprint_activate = bti_pg_op_fingerprint_activate,
	.wait_open = bti_pg_op_wait_open,
	.wait = bti_pg_op_wait,
	.wait_close = bti_pg_op_wait_close,
};
