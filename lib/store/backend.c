/*
 * backend.c - which backend serves a location.  The calls that take a handle
 * go through its table (store.h); these take a location, so the backend
 * is chosen here, once per open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fingerprint.h"
#include "store.h"
#include "store_sqlite.h"
#ifdef BTI_HAVE_POSTGRESQL
#include "store_postgresql.h"
#endif

const char *bt_location_resolve(const char *location)
{
	const char *env;

	if (location && *location)
		return location;
	env = getenv("BUGTRACK_DB");
	return env && *env ? env : "./bugtrack.db";
}

/* The location grammar (bt_open): a URI of libpq's form, "postgresql://..."
 * or "postgres://...", names a PostgreSQL database; anything else is a
 * SQLite database file's path.  A build without the PostgreSQL backend
 * (-Dpostgresql=disabled, or no libpq) refuses those schemes, never taking
 * them for a file named "postgresql:". */
static int is_postgresql(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0;
}

/* The backend for @location, or NULL with BT_ENOTSUP left as the error.
 * The message names the scheme only: the rest may hold a password. */
static const bti_store_ops *backend_for(const char *location)
{
	if (is_postgresql(location)) {
#ifdef BTI_HAVE_POSTGRESQL
		return &bti_postgresql_ops;
#endif
		bti_error(BT_ENOTSUP, "%.*s location: this build of libbugtrack has no PostgreSQL "
			  "backend", (int)(strchr(location, ':') - location + 3), location);
		return NULL;
	}
	return &bti_sqlite_ops;
}

char *bti_location_shown(const char *location)
{
	const char *at, *colon, *rest = location, *q;
	size_t n = strlen(location), kept = 0;
	char *out = bti_malloc(n + 1), *o = out;

	if (!out || !is_postgresql(location)) {
		if (out)
			memcpy(out, location, n + 1);
		return out;
	}
	/* scheme://user:password@host...: the password goes. */
	rest = strstr(location, "://") + 3;
	at = strchr(rest, '@');
	q = strpbrk(rest, "/?");
	colon = strchr(rest, ':');
	if (at && (!q || at < q) && colon && colon < at) {
		memcpy(o, location, (size_t)(colon - location));
		o += colon - location;
		rest = at;
	} else {
		memcpy(o, location, (size_t)(rest - location));
		o += rest - location;
	}
	/* ...?password=...&...: so does that parameter. */
	q = strchr(rest, '?');
	n = q ? (size_t)(q - rest) : strlen(rest);
	memcpy(o, rest, n);
	o += n;
	rest += n;
	while (*rest) {
		size_t len = strcspn(rest + 1, "&") + 1;

		if (strncmp(rest + 1, "password=", 9) != 0) {
			*o++ = kept++ ? '&' : '?';
			memcpy(o, rest + 1, len - 1);
			o += len - 1;
		}
		rest += len;
	}
	*o = '\0';
	return out;
}

int bt_location_display(const char *location, char *buf, size_t size)
{
	char *shown;

	if (!location || !buf || !size)
		return bti_error(BT_EINVALID, "bt_location_display: %s",
				 !location ? "location is NULL" : !buf ? "buf is NULL" : "size is 0");
	shown = bti_location_shown(location);
	if (!shown)
		return bti_error(BT_ENOMEM, "bt_location_display: out of memory");
	snprintf(buf, size, "%s", shown);
	bti_free(shown);
	return BT_OK;
}

const bti_migration_set *bti_store_migrations(const char *location)
{
	/* No location: a database file's, for a caller with no handle. */
	const bti_store_ops *ops = location ? backend_for(location) : &bti_sqlite_ops;

	return ops ? ops->migrations : NULL;
}

int bti_store_open(bti_store **out, const char *path, unsigned int flags,
		   int busy_timeout_ms, const bti_migration_set *migrations)
{
	const bti_store_ops *ops = backend_for(path);

	*out = NULL;
	return ops ? ops->open(out, path, flags, busy_timeout_ms,
			       migrations ? migrations : ops->migrations) : BT_ENOTSUP;
}

int bti_store_inspect_open(bti_store **out, const char *path, int writable,
			   const bti_migration_set *migrations)
{
	const bti_store_ops *ops = backend_for(path);

	*out = NULL;
	return ops ? ops->inspect_open(out, path, writable,
				       migrations ? migrations : ops->migrations) : BT_ENOTSUP;
}

int bti_store_identify(const char *path, bt_db_kind *out)
{
	const bti_store_ops *ops = backend_for(path);

	return ops ? ops->identify(path, out) : BT_ENOTSUP;
}

int bti_store_wait_open(const char *location, int busy_timeout_ms, bti_waiter **out)
{
	const bti_store_ops *ops = backend_for(location);

	*out = NULL;
	return ops ? ops->wait_open(location, busy_timeout_ms, out) : BT_ENOTSUP;
}

void bti_store_wal_state(const char *path, bti_wal_state *out)
{
	const bti_store_ops *ops = backend_for(path);

	if (ops)
		ops->wal_state(path, out);
	else
		memset(out, 0, sizeof(*out));
}

/* mkdir @dir (mode 0700) and each missing parent.  0, or -1 with errno. */
static int make_dirs(char *dir)
{
	char *slash;

	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*slash = '/';
			return -1;
		}
		*slash = '/';
	}
	return mkdir(dir, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int bti_location_spool(const char *location, char *buf, size_t size, int create)
{
	const char *env = getenv("BUGTRACK_CRASH_SPOOL"), *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *shown, hash[BT_FINGERPRINT_SIZE], dir[4096];
	int n;

	if (!is_postgresql(location)) {
		n = snprintf(buf, size, "%s.crash", location);
		return n < 0 || (size_t)n >= size
			? bti_error(BT_EINVALID, "the database path is too long for its crash spool")
			: BT_OK;
	}
	if (env && *env) {
		n = snprintf(buf, size, "%s", env);
		return n < 0 || (size_t)n >= size
			? bti_error(BT_EINVALID, "BUGTRACK_CRASH_SPOOL is too long") : BT_OK;
	}
	if (state && *state == '/')
		n = snprintf(dir, sizeof(dir), "%s/bugtrack", state);
	else if (home && *home == '/' && strcmp(home, "/") != 0)
		n = snprintf(dir, sizeof(dir), "%s/.local/state/bugtrack", home);
	else
		return bti_error(BT_EINVALID, "no place for the crash spool of a PostgreSQL location: "
				 "set BUGTRACK_CRASH_SPOOL (or HOME or XDG_STATE_HOME)");
	if (n < 0 || (size_t)n >= sizeof(dir))
		return bti_error(BT_EINVALID, "the crash spool's directory name is too long");
	/* One spool per store: named by a hash of the location without its
	 * password, so that two stores of one host never share a spool. */
	shown = bti_location_shown(location);
	if (!shown)
		return bti_error(BT_ENOMEM, "naming the crash spool: out of memory");
	bti_hash128_hex(shown, strlen(shown), hash);
	bti_free(shown);
	n = snprintf(buf, size, "%s/%.16s.crash", dir, hash);
	if (n < 0 || (size_t)n >= size)
		return bti_error(BT_EINVALID, "the crash spool's name is too long");
	if (create && make_dirs(dir) != 0)
		return bti_error(BT_EIO, "cannot create the crash spool's directory %s: %s", dir,
				 strerror(errno));
	return BT_OK;
}

int bti_ticket_rows_each(bti_store *st, const int64_t *ids, size_t n, bt_ticket **rows)
{
	size_t i;
	int rc = BT_OK;

	for (i = 0; i < n; i++)
		rows[i] = NULL;
	for (i = 0; i < n && rc == BT_OK; i++) {
		rc = bti_store_ticket_get(st, ids[i], &rows[i]);
		if (rc == BT_ENOTFOUND) { /* deleted: a gap, not a failure to tell */
			bt_error_clear();
			rc = BT_OK;
		}
	}
	if (rc != BT_OK)
		for (i = 0; i < n; i++) {
			bt_ticket_free(rows[i]);
			rows[i] = NULL;
		}
	return rc;
}

int bti_ticket_keys_walk(bti_store *st, bti_ticket_part_fn part, const bti_ticket_query *q,
			 int64_t *keys, int64_t *ids, size_t cap, size_t *n_out)
{
	int64_t key = q->has_position ? q->after_key : INT64_MAX;
	int64_t id = q->has_position ? q->after_id : INT64_MAX;
	int by_last = q->sort == BT_SORT_LAST_OCCURRED;
	size_t n = 0;
	int rc = BT_OK;

	*n_out = 0;
	/* A position among the merged duplicates skips the dated part. */
	if (!by_last || key >= BTI_KEY_UNDATED_BELOW)
		rc = part(st, 0, q, key, id, keys, ids, cap, &n);
	if (rc == BT_OK && by_last && n < cap) {
		if (key >= BTI_KEY_UNDATED_BELOW)
			key = id = INT64_MAX; /* the dated part ended: the undated from the top */
		rc = part(st, 1, q, key, id, keys, ids, cap, &n);
	}
	if (rc == BT_OK)
		*n_out = n;
	return rc;
}
