/*
 * store/postgresql/crash.c - the crash spool's ledger, as in the SQLite
 * backend: which records are already ingested (exactly once across every
 * host that shares the server), and how far into the spool ingestion got.
 */
#include <stdio.h>
#include <string.h>

#include "store_postgresql.h"

static const char SQL_CLAIM[] =
	"INSERT INTO crash_records (record_hash, ingested_at) VALUES ($1::text, $2::bigint)"
	" ON CONFLICT (record_hash) DO NOTHING";

int bti_pg_op_crash_claim(bti_store *base, const char *hash, int64_t now, int *fresh_out)
{
	bti_pg_params p;
	int64_t changes = 0;
	int rc;

	*fresh_out = 0;
	bti_pg_params_init(&p);
	bti_pg_text(&p, hash);
	bti_pg_int(&p, now);
	rc = bti_pg_run((bti_pg_store *)base, SQL_CLAIM, &p, "claiming a crash record", NULL,
			&changes);
	if (rc == BT_OK)
		*fresh_out = changes == 1;
	return rc;
}

static const char SQL_MARK_GET[] =
	"SELECT spool_dev, spool_ino, head_hash, spool_offset FROM crash_spool_mark WHERE id = 1";

/* Overwritten as it is, as on SQLite.  Hosts sharing the server each have
 * their own spool and overwrite each other's mark: a host whose mark was
 * replaced reads its spool again, and finds its records claimed. */
static const char SQL_MARK_SET[] =
	"INSERT INTO crash_spool_mark (id, spool_dev, spool_ino, head_hash, spool_offset)"
	" VALUES (1, $1::bigint, $2::bigint, $3::text, $4::bigint)"
	" ON CONFLICT (id) DO UPDATE SET spool_dev = excluded.spool_dev,"
	" spool_ino = excluded.spool_ino, head_hash = excluded.head_hash,"
	" spool_offset = excluded.spool_offset";

int bti_pg_op_crash_mark_get(bti_store *base, bti_crash_mark *out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = bti_pg_exec(st, SQL_MARK_GET, NULL, &res, "reading the crash spool mark");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return BT_ENOTFOUND;
	}
	out->dev = bti_pg_get_int(res, 0, 0);
	out->ino = bti_pg_get_int(res, 0, 1);
	snprintf(out->head, sizeof(out->head), "%s", PQgetvalue(res, 0, 2));
	out->offset = bti_pg_get_int(res, 0, 3);
	PQclear(res);
	return BT_OK;
}

int bti_pg_op_crash_mark_set(bti_store *base, const bti_crash_mark *m)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_int(&p, m->dev);
	bti_pg_int(&p, m->ino);
	bti_pg_text(&p, m->head);
	bti_pg_int(&p, m->offset);
	return bti_pg_run((bti_pg_store *)base, SQL_MARK_SET, &p, "setting the crash spool mark",
			  NULL, NULL);
}
