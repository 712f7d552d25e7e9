/*
 * test_host_unload.c - a plugin host: it dlopen()s libbugtrack, logs
 * through the default (asynchronous) handle and unloads the library with
 * dlclose() without calling bt_close, the way a module is dropped.  What
 * was accepted must be stored (the library flushes at unload, bounded by
 * the busy timeout), and the process must go on without a writer thread
 * left running in unmapped code.  The same for exit(1) after a dlopen.
 *
 * Usage: test_host_unload PATH-OF-libbugtrack.so
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bugtrack.h"

#define CALLS 300

static int failures;

#define EXPECT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

typedef int (*open_fn)(bt_db **, const char *, const bt_open_options *);
typedef int (*log_fn)(bt_db *, bt_level, const char *, const char *, int, const char *,
		      const char *, ...);

static long long stored(const char *path)
{
	sqlite3 *sql;
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(sql, 5000);
	if (sqlite3_prepare_v2(sql, "SELECT coalesce(sum(occurrence_count), 0) FROM tickets", -1,
			       &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(sql);
	return n;
}

/* Load, open, log CALLS distinct-text criticals; returns the library
 * handle, or NULL. */
static void *load_and_log(const char *lib, const char *path)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	open_fn op;
	log_fn lg;
	bt_db *db;

	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return NULL;
	}
	op = (open_fn)dlsym(h, "bt_open");
	lg = (log_fn)dlsym(h, "bt_log_at");
	if (!op || !lg || op(&db, path, NULL) != BT_OK) {
		fprintf(stderr, "bt_open through dlsym failed\n");
		return NULL;
	}
	for (int i = 0; i < CALLS; i++)
		if (lg(db, BT_CRITICAL, "plugin", __FILE__, __LINE__, __func__, "%s %d",
		       "unloaded request failed", i) != BT_OK)
			return NULL;
	return h;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/bt-unload-XXXXXX", a[128], b[128];
	pid_t pid;
	int status;
	void *h;

	if (argc != 2 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: test_host_unload PATH-OF-libbugtrack.so\n");
		return 2;
	}
	snprintf(a, sizeof(a), "%s/dlclose.db", dir);
	snprintf(b, sizeof(b), "%s/exit.db", dir);

	/* dlclose without bt_close: everything accepted is stored, and the
	 * process lives on (a writer left in unmapped code would crash it). */
	h = load_and_log(argv[1], a);
	EXPECT(h != NULL);
	if (h)
		EXPECT(dlclose(h) == 0);
	usleep(100 * 1000);
	EXPECT(stored(a) == CALLS);

	/* exit(1) with the library loaded by dlopen, as err() does. */
	pid = fork();
	if (pid == 0) {
		alarm(30);
		exit(load_and_log(argv[1], b) ? 1 : 3);
	}
	EXPECT(waitpid(pid, &status, 0) == pid);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	EXPECT(stored(b) == CALLS);

	snprintf(a, sizeof(a), "rm -rf '%s'", dir);
	if (system(a) != 0)
		failures++;
	fprintf(stderr, "%s test_host_unload\n", failures ? "FAIL" : "ok  ");
	return failures ? 1 : 0;
}
