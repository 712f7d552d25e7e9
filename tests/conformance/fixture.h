/*
 * fixture.h - the store backends the conformance suite runs on.  A backend
 * is only a way to make a fresh, empty location (what bt_open takes) for
 * each case and to drop it afterwards; everything else goes through the
 * public API, so the cases run unchanged on every backend.
 */
#ifndef BT_CONFORMANCE_FIXTURE_H
#define BT_CONFORMANCE_FIXTURE_H

#include <stddef.h>

typedef struct conf_backend {
	/* What BT_CONFORMANCE_BACKEND (or the first argument) names. */
	const char *name;
	/* Non-zero when the backend can run here; otherwise @why says why
	 * (the program then skips, with meson's exit code 77). */
	int (*available)(char *why, size_t size);
	/* Make a fresh, empty location for the case @tag and write it to @loc.
	 * Returns 0, or -1 after saying why on stderr. */
	int (*make)(const char *tag, char *loc, size_t size);
	/* Remove everything make() made for @loc. */
	void (*drop)(const char *loc);
} conf_backend;

/* The backend called @name, or NULL when the suite knows none by it. */
const conf_backend *conf_backend_find(const char *name);

/* For the programs of tests/postgresql: the PostgreSQL backend in *@out and
 * -1 to run; else the exit status after saying why (77, a skip; 1 when
 * $BT_TEST_REQUIRE_POSTGRESQL says the server must be there, as in CI). */
int conf_postgresql_or_skip(const conf_backend **out);

/* pg_ctlcluster @action ("restart", "stop", "start") on the cluster
 * pg_virtualenv made; 0 on success.  A restart is a stop that waits for
 * the server to be down, then a start, retried for a few seconds. */
int conf_pg_cluster(const char *action);

/* The occurrences on every ticket of @loc (whose title holds @title_has,
 * when not NULL), read through the public API; -1 when it cannot open. */
long long conf_occurrences(const char *loc, const char *title_has);

/* The names the suite knows, for messages: "sqlite, postgresql". */
const char *conf_backend_names(void);

#endif
