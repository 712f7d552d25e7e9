/*
 * fixture.c - the backends of the conformance suite.  Each makes a fresh,
 * empty location per case, so that no case sees another's tickets, and
 * drops it when the case is done.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* ---- PostgreSQL: issue 15 ----
 * Issue 15 fills this in and changes nothing else in the suite:
 * available() says whether the library was built with the PostgreSQL
 * backend and a server is reachable (an admin connection string from the
 * environment); make() creates a fresh database per case and writes its
 * location, "postgresql://.../<database>"; drop() drops that database.
 * Until then BT_CONFORMANCE_BACKEND=postgresql skips. */
static int postgresql_available(char *why, size_t size)
{
	snprintf(why, size, "no PostgreSQL fixture in this build (issue 15 adds it)");
	return 0;
}

static const conf_backend backends[] = {
	{ "sqlite", sqlite_available, sqlite_make, sqlite_drop },
	{ "postgresql", postgresql_available, NULL, NULL },
};

const conf_backend *conf_backend_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i].name, name) == 0)
			return &backends[i];
	return NULL;
}

const char *conf_backend_names(void)
{
	return "sqlite, postgresql";
}
