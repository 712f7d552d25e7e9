/*
 * test_pg_crash.c - crashes of a host whose tickets live on PostgreSQL
 * (issue 15): the spool stays a local file (a crashing process cannot talk
 * to a server), named by BUGTRACK_CRASH_SPOOL or kept in the user's state
 * directory, and the next bt_open ingests it exactly once, even when
 * several processes open at the same moment.
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "../conformance/fixture.h"

#define OPENERS 4

static const conf_backend *pg;

/* A child that installs the handler on @loc and dies of SIGSEGV. */
static void crash_child(const char *loc)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		bt_open_options opts = BT_OPEN_OPTIONS_INIT;
		bt_db *db = NULL;

		opts.flags = BT_OPEN_SYNC;
		/* Under AddressSanitizer its own SIGSEGV handler would report the
		 * crash and exit before ours ran (test_crash.c does the same). */
		signal(SIGSEGV, SIG_DFL);
		if (bt_open(&db, loc, &opts) != BT_OK || bt_crash_handler_install(db, NULL) != BT_OK) {
			fprintf(stderr, "crash child: %s\n", bt_error_message());
			_exit(3);
		}
		raise(SIGSEGV);
		_exit(4);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}


/* BUGTRACK_CRASH_SPOOL names the spool; OPENERS processes open at once,
 * and the crash is one occurrence. */
static void test_spool_ingested_once(void)
{
	char loc[512], spool[1024];
	pid_t pids[OPENERS];
	struct stat sb;
	int gate[2], i;

	CHECK(pg->make("crash_once", loc, sizeof(loc)) == 0);
	snprintf(spool, sizeof(spool), "%s", check_path("pg.crash"));
	setenv("BUGTRACK_CRASH_SPOOL", spool, 1);
	crash_child(loc);
	CHECK(stat(spool, &sb) == 0 && sb.st_size > 0);

	CHECK(pipe(gate) == 0);
	for (i = 0; i < OPENERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			bt_db *db = NULL;
			char c;

			close(gate[1]);
			if (read(gate[0], &c, 1) < 0)
				_exit(3);
			_exit(bt_open(&db, loc, NULL) == BT_OK ? (bt_close(db), 0) : 1);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < OPENERS; i++) {
		int status = 0;

		CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0);
	}
	CHECK_INT_EQ(conf_occurrences(loc, "SIGSEGV"), 1);
	/* Everything is stored and no process writes to it: it is gone. */
	CHECK(stat(spool, &sb) != 0);
	unsetenv("BUGTRACK_CRASH_SPOOL");
	pg->drop(loc);
}

/* Without BUGTRACK_CRASH_SPOOL, the spool is a file of its own in
 * $HOME/.local/state/bugtrack/, made for the location. */
static void test_default_spool_place(void)
{
	char loc[512], home[1024], dir[1100];
	const char *old_home = getenv("HOME");
	char *saved = old_home ? strdup(old_home) : NULL;
	struct dirent *e;
	int spools = 0;
	DIR *d;

	CHECK(pg->make("crash_home", loc, sizeof(loc)) == 0);
	snprintf(home, sizeof(home), "%s", check_path("home"));
	CHECK(mkdir(home, 0700) == 0);
	setenv("HOME", home, 1);
	unsetenv("XDG_STATE_HOME");
	crash_child(loc);
	snprintf(dir, sizeof(dir), "%s/.local/state/bugtrack", home);
	d = opendir(dir);
	CHECK(d != NULL);
	while (d && (e = readdir(d)))
		spools += strstr(e->d_name, ".crash") != NULL;
	if (d)
		closedir(d);
	CHECK_INT_EQ(spools, 1);
	CHECK_INT_EQ(conf_occurrences(loc, "SIGSEGV"), 1);
	if (saved)
		setenv("HOME", saved, 1);
	free(saved);
	pg->drop(loc);
}

int main(void)
{
	int rc = conf_postgresql_or_skip(&pg);

	if (rc >= 0)
		return rc;
	RUN(test_spool_ingested_once);
	RUN(test_default_spool_place);
	return check_finish();
}
