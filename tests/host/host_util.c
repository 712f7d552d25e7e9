/*
 * host_util.c - what the host-shape tests share: reading counts and
 * integrity from the file through a connection of their own, and waiting
 * for a child under a deadline.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "host_util.h"

/* Sum of occurrence counts of @component's tickets, read from the file by
 * a connection of our own. */
long long stored(const char *path, const char *component)
{
	sqlite3 *sql;
	char q[256];
	long long n;

	if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(sql, 10000);
	snprintf(q, sizeof(q), "SELECT coalesce(sum(occurrence_count), 0) FROM tickets "
		 "WHERE component = '%s'", component);
	n = check_query_int(sql, q);
	sqlite3_close(sql);
	return n;
}

void check_integrity(const char *path)
{
	sqlite3 *sql;
	sqlite3_stmt *st = NULL;

	CHECK(sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_busy_timeout(sql, 10000);
	CHECK(sqlite3_prepare_v2(sql, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0);
	sqlite3_finalize(st);
	sqlite3_close(sql);
}

/* Wait for @pid; its exit status, or -1 (killed, or past @timeout_s). */
int wait_child(pid_t pid, int timeout_s)
{
	struct timespec pause = { 0, 10 * 1000000L };
	int status;

	for (int waited = 0; waited < timeout_s * 100; waited++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			/* Said here, so that a failed check names the cause. */
			if (WIFSIGNALED(status))
				fprintf(stderr, "child %d was killed by signal %d\n", (int)pid,
					WTERMSIG(status));
			else if (WEXITSTATUS(status) != 0)
				fprintf(stderr, "child %d exited with status %d\n", (int)pid,
					WEXITSTATUS(status));
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		nanosleep(&pause, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fprintf(stderr, "child %d hung and was killed\n", (int)pid);
	return -1;
}

