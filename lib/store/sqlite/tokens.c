/*
 * store/sqlite/tokens.c - api_tokens: the rows behind bt_token_*; which
 * token may do what, and how a presented token is compared, are decided in
 * lib/auth/token.c.
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

/* The partial unique index on live names (and the one on hashes) turn a
 * second live token of a name into no row, not an error. */
static const char SQL_INSERT[] =
	"INSERT INTO api_tokens (name, token_hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT DO NOTHING";

static const char SQL_FIND[] =
	"SELECT id, name, token_hash, scopes, created_at, last_used_at, revoked_at"
	" FROM api_tokens WHERE token_hash = ?1";

static const char SQL_TOUCH[] =
	"UPDATE api_tokens SET last_used_at = ?2"
	" WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)";

static const char SQL_REVOKE[] =
	"UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL";

static const char SQL_PAGE[] =
	"SELECT id, name, '', scopes, created_at, last_used_at, revoked_at FROM api_tokens"
	" WHERE revoked_at IS NULL AND name > ?1 ORDER BY name LIMIT ?2";

int bti_sqlite_op_token_insert(bti_store *base, const char *name, const char *hash,
			       unsigned int scopes, int64_t now)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_INSERT, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, name);
	bti_bind_text(stmt, 2, hash);
	sqlite3_bind_int64(stmt, 3, scopes);
	sqlite3_bind_int64(stmt, 4, now);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		rc = sqlite3_changes(st->sql) == 1 ? BT_OK : BT_ECONFLICT;
	else
		rc = bti_sqlite_fail(st->sql, rc, "adding a token");
	bti_sqlite_release(stmt);
	return rc;
}

static void read_row(sqlite3_stmt *stmt, bt_token_info *out)
{
	const unsigned char *name = sqlite3_column_text(stmt, 1);
	const unsigned char *hash = sqlite3_column_text(stmt, 2);

	out->id = sqlite3_column_int64(stmt, 0);
	snprintf(out->name, sizeof(out->name), "%s", name ? (const char *)name : "");
	snprintf(out->hash, sizeof(out->hash), "%s", hash ? (const char *)hash : "");
	out->scopes = (unsigned int)sqlite3_column_int64(stmt, 3);
	out->created_at = sqlite3_column_int64(stmt, 4);
	out->last_used_at = sqlite3_column_int64(stmt, 5);
	out->revoked_at = sqlite3_column_int64(stmt, 6);
}

int bti_sqlite_op_token_find(bti_store *base, const char *hash, bt_token_info *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_FIND, &stmt);

	memset(out, 0, sizeof(*out));
	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, hash);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		read_row(stmt, out);
		rc = BT_OK;
	} else if (rc == SQLITE_DONE) {
		rc = BT_ENOTFOUND;
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "looking a token up");
	}
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_token_touch(bti_store *base, int64_t id, int64_t at)
{
	return bti_sqlite_run_ids((bti_sqlite_store *)base, SQL_TOUCH, id, at, 0,
				  "recording a token's use", NULL);
}

int bti_sqlite_op_token_revoke(bti_store *base, const char *name, int64_t now)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_REVOKE, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, name);
	sqlite3_bind_int64(stmt, 2, now);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		rc = sqlite3_changes(st->sql) == 1 ? BT_OK : BT_ENOTFOUND;
	else
		rc = bti_sqlite_fail(st->sql, rc, "revoking a token");
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_token_page(bti_store *base, const char *after, bt_token_info *rows, size_t cap,
			     size_t *n_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_PAGE, &stmt);
	size_t n = 0;

	*n_out = 0;
	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, after);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)cap);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && n < cap)
		read_row(stmt, &rows[n++]);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? BT_OK
						   : bti_sqlite_fail(st->sql, rc, "listing tokens");
	bti_sqlite_release(stmt);
	*n_out = n;
	return rc;
}
