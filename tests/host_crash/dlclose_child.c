/*
 * dlclose_child.c - a host that loads libbugtrack.so with dlopen(),
 * installs the crash handler, unloads the library, then takes signals.
 * Run by test_host_crash.c as: dlclose_child LIBRARY DATABASE close|keep
 * ("close" calls bt_close before dlclose; "keep" leaves the handle open, so
 * only the library's unload can uninstall the handler).
 *
 * It has its own SIGSEGV handler from before the load.  After the unload,
 * a SIGSEGV sent to itself must reach that handler (exit otherwise), and a
 * SIGBUS must end it by the default action: a handler left pointing into
 * the unmapped library would fault instead, and it would die by SIGSEGV.
 * It does not link libbugtrack: the dlopen()ed copy is the only one.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bugtrack.h"

static volatile sig_atomic_t counted;

static void count_signal(int sig)
{
	(void)sig;
	counted++;
}

int main(int argc, char **argv)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	__typeof__(bt_open) *open_fn;
	__typeof__(bt_close) *close_fn;
	__typeof__(bt_crash_handler_install) *install_fn;
	struct sigaction now;
	bt_db *db;
	void *lib;

	if (argc != 4)
		return 80;
	/* A sanitizer's runtime installs its own SIGBUS handler at start. */
	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, count_signal);
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 81;
	}
	*(void **)&open_fn = dlsym(lib, "bt_open");
	*(void **)&close_fn = dlsym(lib, "bt_close");
	*(void **)&install_fn = dlsym(lib, "bt_crash_handler_install");
	if (!open_fn || !close_fn || !install_fn)
		return 82;
	o.flags = BT_OPEN_SYNC | BT_OPEN_NO_MIGRATE;
	if (open_fn(&db, argv[2], &o) != BT_OK || install_fn(db, NULL) != BT_OK)
		return 83;
	if (sigaction(SIGBUS, NULL, &now) != 0 || !(now.sa_flags & SA_SIGINFO))
		return 84; /* not installed: the test would prove nothing */
	if (!strcmp(argv[3], "close"))
		close_fn(db);
	if (dlclose(lib) != 0)
		return 85;
	if (dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD)) {
		fprintf(stderr, "libbugtrack.so stayed loaded after dlclose\n");
		return 86;
	}
	kill(getpid(), SIGSEGV);
	if (counted != 1)
		return 87;
	kill(getpid(), SIGBUS);
	return 88; /* SIGBUS did not end the process */
}
