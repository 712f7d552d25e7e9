/*
 * fixture.c - the backends of the conformance suite.  Each makes a fresh,
 * empty location per case, so that no case sees another's tickets, and
 * drops it when the case is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

/* ---- SQLite: a fresh file in a directory of its own ---- */

#define SQLITE_FILE "bugtrack.db"

static int sqlite_available(char *why, size_t size)
{
	(void)why;
	(void)size;
	return 1;
}

/* The database gets a directory of its own: its -wal, -shm and crash spool
 * go with it when the case drops it. */
static int sqlite_make(const char *tag, char *loc, size_t size)
{
	static int seq;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", check_path(""));
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "case-%02d-%s", ++seq, tag);
	if (mkdir(dir, 0700) != 0) {
		fprintf(stderr, "sqlite fixture: mkdir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(loc, size, "%s/%s", dir, SQLITE_FILE) >= size) {
		fprintf(stderr, "sqlite fixture: location too long\n");
		return -1;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void sqlite_drop(const char *loc)
{
	char dir[512];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", loc);
	slash = strrchr(dir, '/');
	if (!slash || strcmp(slash + 1, SQLITE_FILE) != 0)
		return; /* not ours: leave it */
	*slash = '\0';
	if (!getenv("BT_TEST_KEEP"))
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- PostgreSQL: a fresh schema per case ----
 * The server is the one the PG* variables name (pg_virtualenv sets them:
 * scripts/test.sh runs the postgresql suite under it).  Each case gets its
 * own schema, named in its location with schema=, so the cases share one
 * server and one database and see nothing of each other; drop() drops the
 * schema. */
#ifdef BT_TEST_HAVE_POSTGRESQL
#include <libpq-fe.h>
#include <stdlib.h>

/* Run @sql on an admin connection; 0, or -1 after saying why. */
static int pg_admin(const char *sql, char *why, size_t size)
{
	PGconn *c = PQconnectdb("");
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(why, size, "cannot connect to the server the PG* variables name: %s",
			 PQerrorMessage(c));
		why[strcspn(why, "\n")] = '\0';
		PQfinish(c);
		return -1;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok) {
		snprintf(why, size, "%s: %s", sql, PQresultErrorMessage(r));
		why[strcspn(why, "\n")] = '\0';
	}
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

static int postgresql_available(char *why, size_t size)
{
	if (!getenv("PGHOST") && !getenv("PGPORT") && !getenv("PGSERVICE")) {
		snprintf(why, size, "no server named: run it under pg_virtualenv (scripts/test.sh "
			 "does), or set the PG* variables");
		return 0;
	}
	return pg_admin("SELECT 1", why, size) == 0;
}

static int postgresql_make(const char *tag, char *loc, size_t size)
{
	static int seq;
	char schema[64], sql[160], why[512];
	size_t i;

	snprintf(schema, sizeof(schema), "conf_%02d_%.40s", ++seq, tag);
	for (i = 0; schema[i]; i++)
		if (!((schema[i] >= 'a' && schema[i] <= 'z') || (schema[i] >= '0' && schema[i] <= '9')))
			schema[i] = '_';
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
	if (pg_admin(sql, why, sizeof(why)) != 0) {
		fprintf(stderr, "postgresql fixture: %s\n", why);
		return -1;
	}
	if ((size_t)snprintf(loc, size, "postgresql://?schema=%s", schema) >= size) {
		fprintf(stderr, "postgresql fixture: location too long\n");
		return -1;
	}
	return 0;
}

static void postgresql_drop(const char *loc)
{
	const char *schema = strstr(loc, "schema=");
	char sql[160], why[512];

	if (!schema || getenv("BT_TEST_KEEP"))
		return;
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %.63s CASCADE", schema + 7);
	if (pg_admin(sql, why, sizeof(why)) != 0)
		fprintf(stderr, "postgresql fixture: %s\n", why);
}
#else
static int postgresql_available(char *why, size_t size)
{
	snprintf(why, size, "this build has no PostgreSQL backend (libpq not found, or "
		 "-Dpostgresql=disabled)");
	return 0;
}
#define postgresql_make NULL
#define postgresql_drop NULL
#endif

static const conf_backend backends[] = {
	{ "sqlite", sqlite_available, sqlite_make, sqlite_drop },
	{ "postgresql", postgresql_available, postgresql_make, postgresql_drop },
};

const conf_backend *conf_backend_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i].name, name) == 0)
			return &backends[i];
	return NULL;
}

int conf_postgresql_or_skip(const conf_backend **out)
{
	char why[512];

	*out = conf_backend_find("postgresql");
	if ((*out)->available(why, sizeof(why)))
		return -1;
	if (getenv("BT_TEST_REQUIRE_POSTGRESQL")) {
		printf("FAIL: PostgreSQL must run here, and cannot: %s\n", why);
		return 1;
	}
	printf("SKIP: %s\n", why);
	return 77;
}

static int pg_ctl(const char *action)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "pg_ctlcluster %s regress %s >&2",
		 getenv("PGVERSION") ? getenv("PGVERSION") : "15", action);
	return system(cmd);
}

int conf_pg_cluster(const char *action)
{
	int i, rc;

	if (strcmp(action, "restart") != 0)
		return pg_ctl(action);
	/* pg_ctlcluster's own restart was seen to start before the old server
	 * was gone ("Cluster is already running") on a loaded machine. */
	if (pg_ctl("stop -m fast") != 0)
		return -1;
	for (i = 0, rc = -1; i < 20 && rc != 0; i++) {
		rc = pg_ctl("start");
		if (rc != 0)
			usleep(250 * 1000);
	}
	return rc;
}

long long conf_occurrences(const char *loc, const char *title_has)
{
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	bt_db *db = NULL;
	long long n = 0;

	if (bt_open(&db, loc, NULL) != BT_OK)
		return -1;
	if (bt_ticket_iter_new(db, NULL, &it) == BT_OK)
		while (bt_ticket_iter_next(it, &t) == BT_OK) {
			if (!title_has || strstr(bt_ticket_title(t), title_has))
				n += bt_ticket_occurrence_count(t);
			bt_ticket_free(t);
		}
	bt_ticket_iter_free(it);
	bt_close(db);
	return n;
}

const char *conf_backend_names(void)
{
	return "sqlite, postgresql";
}
