/*
 * store/postgresql/tokens.c - api_tokens, as in the SQLite backend: the rows
 * behind bt_token_*; the rules live in lib/auth/token.c.
 */
#include <stdio.h>
#include <string.h>

#include "store_postgresql.h"

/* No conflict target: the unique index on live names and the one on hashes
 * both turn a duplicate into no row, not an error. */
static const char SQL_INSERT[] =
	"INSERT INTO api_tokens (name, token_hash, scopes, created_at)"
	" VALUES ($1::text, $2::text, $3::integer, $4::bigint) ON CONFLICT DO NOTHING";

static const char SQL_FIND[] =
	"SELECT id, name, token_hash, scopes, created_at, last_used_at, revoked_at"
	" FROM api_tokens WHERE token_hash = $1::text";

static const char SQL_TOUCH[] =
	"UPDATE api_tokens SET last_used_at = $2::bigint"
	" WHERE id = $1::bigint AND (last_used_at IS NULL OR last_used_at < $2::bigint)";

static const char SQL_REVOKE[] =
	"UPDATE api_tokens SET revoked_at = $2::bigint WHERE name = $1::text AND revoked_at IS NULL";

/* Byte order, as SQLite sorts: the database's collation may differ. */
static const char SQL_PAGE[] =
	"SELECT id, name, '', scopes, created_at, last_used_at, revoked_at FROM api_tokens"
	" WHERE revoked_at IS NULL AND name COLLATE \"C\" > $1::text"
	" ORDER BY name COLLATE \"C\" LIMIT $2::bigint";

int bti_pg_op_token_insert(bti_store *base, const char *name, const char *hash,
			   unsigned int scopes, int64_t now)
{
	bti_pg_params p;
	int64_t changes = 0;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_text(&p, name);
	bti_pg_text(&p, hash);
	bti_pg_int(&p, scopes);
	bti_pg_int(&p, now);
	rc = bti_pg_run((bti_pg_store *)base, SQL_INSERT, &p, "adding a token", NULL, &changes);
	if (rc == BT_OK && changes != 1)
		rc = BT_ECONFLICT;
	return rc;
}

static void read_row(const PGresult *res, int row, bt_token_info *out)
{
	out->id = bti_pg_get_int(res, row, 0);
	snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(res, row, 1));
	snprintf(out->hash, sizeof(out->hash), "%s", PQgetvalue(res, row, 2));
	out->scopes = (unsigned int)bti_pg_get_int(res, row, 3);
	out->created_at = bti_pg_get_int(res, row, 4);
	out->last_used_at = bti_pg_get_int(res, row, 5);
	out->revoked_at = bti_pg_get_int(res, row, 6);
}

int bti_pg_op_token_find(bti_store *base, const char *hash, bt_token_info *out)
{
	bti_pg_params p;
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	bti_pg_params_init(&p);
	bti_pg_text(&p, hash);
	rc = bti_pg_exec((bti_pg_store *)base, SQL_FIND, &p, &res, "looking a token up");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) == 0)
		rc = BT_ENOTFOUND;
	else
		read_row(res, 0, out);
	PQclear(res);
	return rc;
}

int bti_pg_op_token_touch(bti_store *base, int64_t id, int64_t at)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	bti_pg_int(&p, at);
	return bti_pg_run((bti_pg_store *)base, SQL_TOUCH, &p, "recording a token's use", NULL,
			  NULL);
}

int bti_pg_op_token_revoke(bti_store *base, const char *name, int64_t now)
{
	bti_pg_params p;
	int64_t changes = 0;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_text(&p, name);
	bti_pg_int(&p, now);
	rc = bti_pg_run((bti_pg_store *)base, SQL_REVOKE, &p, "revoking a token", NULL, &changes);
	if (rc == BT_OK && changes != 1)
		rc = BT_ENOTFOUND;
	return rc;
}

int bti_pg_op_token_page(bti_store *base, const char *after, bt_token_info *rows, size_t cap,
			 size_t *n_out)
{
	bti_pg_params p;
	PGresult *res;
	int rc, i, n;

	*n_out = 0;
	bti_pg_params_init(&p);
	bti_pg_text(&p, after);
	bti_pg_int(&p, (int64_t)cap);
	rc = bti_pg_exec((bti_pg_store *)base, SQL_PAGE, &p, &res, "listing tokens");
	if (rc != BT_OK)
		return rc;
	n = PQntuples(res);
	for (i = 0; i < n && (size_t)i < cap; i++)
		read_row(res, i, &rows[i]);
	*n_out = (size_t)i;
	PQclear(res);
	return BT_OK;
}
