/*
 * store/postgresql/vacuum.c - VACUUM of the schema's tables, so that the
 * space of purged rows is reused.  Plain VACUUM: it takes no lock that
 * stops readers or writers, and the server keeps the space for the tables
 * rather than giving it to the file system (VACUUM FULL would, under an
 * exclusive lock: not something a CLI command should take by surprise).
 */
#include <string.h>

#include "store_postgresql.h"

/* format() quotes the names; the statements are not the prepared
 * constants bti_pg_exec keys by address, as in doctor.c. */
static const char SQL_VACUUMS[] =
	"SELECT format('VACUUM %I.%I', schemaname, tablename) FROM pg_catalog.pg_tables"
	" WHERE schemaname = coalesce($1::text, current_schema()) ORDER BY tablename COLLATE \"C\"";

int bti_pg_op_vacuum(bti_store *base, int64_t *freed_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *list;
	int rc, i;

	*freed_out = -1; /* the server keeps the space: nothing to count */
	bti_pg_params_init(&p);
	bti_pg_text(&p, st->schema);
	rc = bti_pg_exec(st, SQL_VACUUMS, &p, &list, "listing the tables to vacuum");
	if (rc != BT_OK)
		return rc;
	for (i = 0; rc == BT_OK && i < PQntuples(list); i++) {
		PGresult *res = PQexec(st->conn, PQgetvalue(list, i, 0));

		rc = res && PQresultStatus(res) == PGRES_COMMAND_OK ? BT_OK
		     : bti_pg_fail(st, res, "VACUUM");
		PQclear(res);
	}
	PQclear(list);
	return rc;
}
