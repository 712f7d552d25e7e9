/*
 * pager.c - long output through $PAGER on a terminal, as git does: the
 * commands that list things pipe their standard output into the pager
 * when it is a terminal; `--no-pager`, PAGER=cat or an empty PAGER turn it
 * off.  Also what colour and table width ask about the terminal once the
 * pager holds it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* The commands whose output can be long. */
static const char *const paged[] = { "list", "show", "events", "pending", "export", "report" };

static pid_t pager_pid;
static int terminal_fd = -1; /* the terminal standard output had, while paging */

int pager_wanted(const char *command)
{
	size_t i;

	for (i = 0; i < sizeof(paged) / sizeof(paged[0]); i++)
		if (strcmp(paged[i], command) == 0)
			return 1;
	return 0;
}

int stdout_terminal_fd(void)
{
	if (terminal_fd >= 0)
		return terminal_fd;
	return isatty(STDOUT_FILENO) ? STDOUT_FILENO : -1;
}

/* Close the pipe so that the pager sees the end, then wait for the user
 * to leave it: the shell prompt must not come back under the pager. */
static void pager_wait(void)
{
	int status;

	if (!pager_pid)
		return;
	fflush(stdout);
	close(STDOUT_FILENO);
	while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
		;
	pager_pid = 0;
}

void pager_start(void)
{
	const char *pager = getenv("PAGER");
	int fds[2];
	pid_t pid;

	if (!isatty(STDOUT_FILENO))
		return;
	if (!pager)
		pager = "less";
	if (!*pager || strcmp(pager, "cat") == 0)
		return;
	fflush(stdout);
	if (pipe(fds) != 0)
		return; /* no pager: the output still goes to the terminal */
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		/* F: quit when it fits one screen; R: pass colours; X: leave
		 * the screen as it is on exit. */
		setenv("LESS", "FRX", 0);
		execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
		_exit(127);
	}
	terminal_fd = dup(STDOUT_FILENO);
	dup2(fds[1], STDOUT_FILENO);
	close(fds[0]);
	close(fds[1]);
	pager_pid = pid;
	atexit(pager_wait);
}
