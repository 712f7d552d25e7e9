/*
 * test_pg_admin.c - what doctor and the stamp say about a PostgreSQL
 * location (issue 15): bt_db_check gives the server's version and the
 * backend's checks and no -wal size; bt_db_identify tells an empty, a
 * foreign and a bugtrack schema apart; and a password in the location is
 * never shown: not by bt_location_display, not in a message; and
 * BT_OPEN_HOST_CHECKPOINT changes nothing there (bt_db_checkpoint: BT_OK).
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "check.h"
#include "../conformance/fixture.h"

static const conf_backend *pg;

typedef struct seen {
	int64_t server_version_num, integrity_ok, wal_bytes_items;
} seen;

static void keep(const bt_check_item *item, void *payload)
{
	seen *s = payload;

	if (item->kind != BT_CHECK_METRIC)
		return;
	if (strcmp(item->name, "server_version_num") == 0)
		s->server_version_num = item->value;
	else if (strcmp(item->name, "integrity_ok") == 0)
		s->integrity_ok = item->value;
	else if (strcmp(item->name, "wal_bytes") == 0)
		s->wal_bytes_items++;
}

static void admin_sql(const char *sql)
{
	PGconn *c = PQconnectdb("");
	PGresult *r = PQexec(c, sql);

	CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(c);
}

static void test_check_metrics(void)
{
	bt_check_result cr = BT_CHECK_RESULT_INIT;
	seen s = { 0, -1, 0 };
	char loc[512];
	bt_db *db = NULL;

	CHECK(pg->make("admin_check", loc, sizeof(loc)) == 0);
	CHECK_RC(bt_open(&db, loc, NULL), BT_OK);
	bt_close(db);
	CHECK_RC(bt_db_check(loc, &cr, keep, &s), BT_OK);
	CHECK_INT_EQ(cr.problems, 0);
	CHECK(cr.tracked && cr.schema_current == cr.schema_latest);
	CHECK(s.server_version_num >= 100000); /* PostgreSQL 10 or later */
	CHECK_INT_EQ(s.integrity_ok, 1);
	CHECK_INT_EQ(s.wal_bytes_items, 0); /* a server has no -wal file here */
	pg->drop(loc);
}

static void test_identify(void)
{
	char loc[512];
	bt_db_kind kind;
	bt_db *db = NULL;
	const char *schema;
	char sql[256];

	CHECK(pg->make("admin_identify", loc, sizeof(loc)) == 0);
	CHECK_RC(bt_db_identify(loc, &kind), BT_OK);
	CHECK_INT_EQ(kind, BT_DB_EMPTY);
	CHECK_RC(bt_open(&db, loc, NULL), BT_OK);
	bt_close(db);
	CHECK_RC(bt_db_identify(loc, &kind), BT_OK);
	CHECK_INT_EQ(kind, BT_DB_TRACKED);
	pg->drop(loc);

	/* Another application's tables: refused, and the stamp says why. */
	CHECK(pg->make("admin_foreign", loc, sizeof(loc)) == 0);
	schema = strstr(loc, "schema=") + 7;
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s; CREATE TABLE %s.orders (id int)", schema,
		 schema);
	admin_sql(sql);
	CHECK_RC(bt_db_identify(loc, &kind), BT_OK);
	CHECK_INT_EQ(kind, BT_DB_FOREIGN);
	CHECK_RC(bt_open(&db, loc, NULL), BT_ESCHEMA);
	pg->drop(loc);
}

/* The server checkpoints by itself: the flag is accepted, the call is
 * BT_OK, and writes go on as before. */
static void test_checkpoint_is_the_servers(void)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	bt_ticket *t = NULL;
	int64_t log = 0, done = 0;
	char loc[512];

	CHECK(pg->make("admin_checkpoint", loc, sizeof(loc)) == 0);
	o.flags = BT_OPEN_SYNC | BT_OPEN_HOST_CHECKPOINT;
	CHECK_RC(bt_open(&db, loc, &o), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "db", "before the checkpoint"), BT_OK);
	CHECK_RC(bt_db_checkpoint(db, &log, &done), BT_OK);
	CHECK(log == -1 && done == -1);
	CHECK_RC(bt_log(db, BT_CRITICAL, "db", "before the checkpoint"), BT_OK);
	CHECK_RC(bt_ticket_get(db, 1, &t), BT_OK);
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 2);
	bt_ticket_free(t);
	bt_close(db);
	pg->drop(loc);
}

/* A location with a password: shown without it, and no message has it. */
static void test_password_never_shown(void)
{
	char loc[512], shown[512], with_password[700];
	const char *host = getenv("PGHOST") ? getenv("PGHOST") : "localhost";
	const char *port = getenv("PGPORT") ? getenv("PGPORT") : "5432";
	const char *user = getenv("PGUSER") ? getenv("PGUSER") : "postgres";

	CHECK(pg->make("admin_secret", loc, sizeof(loc)) == 0);
	snprintf(with_password, sizeof(with_password),
		 "postgresql://%s:wrong-s3cret@%s:%s/%s?%s", user, host, port,
		 getenv("PGDATABASE") ? getenv("PGDATABASE") : "postgres", strchr(loc, '?') + 1);
	CHECK_RC(bt_location_display(with_password, shown, sizeof(shown)), BT_OK);
	CHECK(strstr(shown, "s3cret") == NULL && strstr(shown, "schema=") != NULL);
	CHECK_RC(bt_location_display(NULL, shown, sizeof(shown)), BT_EINVALID);
	CHECK_RC(bt_location_display(with_password, shown, 0), BT_EINVALID);
	/* Messages that name the location name it without the password,
	 * whether the server takes the password (a throwaway cluster trusts
	 * local connections) or refuses it.  An empty schema: the stamp says
	 * it has nothing to stamp, naming it. */
	if (bt_schema_stamp(with_password, 0, BT_STAMP_DRY_RUN, NULL) == BT_ESCHEMA)
		CHECK_STR_CONTAINS(bt_error_message(), "schema=");
	CHECK(*bt_error_message() != '\0');
	CHECK(strstr(bt_error_message(), "s3cret") == NULL);
	pg->drop(loc);
}

int main(void)
{
	int rc = conf_postgresql_or_skip(&pg);

	if (rc >= 0)
		return rc;
	RUN(test_check_metrics);
	RUN(test_identify);
	RUN(test_password_never_shown);
	RUN(test_checkpoint_is_the_servers);
	return check_finish();
}
