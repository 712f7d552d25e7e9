/*
 * crash_demo - a service that crashes on request, with the crash handler
 * installed: each crash becomes a ticket the next time the database opens.
 *
 *   crash_demo DB null|abort|assert|fpe|overflow|ok
 *   bugtrack --db DB list        (the open ingests the crash)
 *
 * Built with -rdynamic (export_dynamic) so that frames name their
 * functions; without it they read as module+offset, which still groups.
 */
/* The "assert" crash is a failed assert(), in every build type. */
#undef NDEBUG
#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bugtrack.h>

/* volatile and noinline: the compiler must not see the crash coming. */
__attribute__((noinline)) void crash_null(volatile int *p)
{
	*p = 42;
}

__attribute__((noinline)) int crash_divide(volatile int a, volatile int b)
{
	return a / b;
}

/* Unbounded as far as the compiler can tell: the limit is never reached. */
static volatile int recursion_limit = -1;

__attribute__((noinline)) int crash_recurse(int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	if (depth == recursion_limit)
		return 0;
	return crash_recurse(depth + 1) + pad[0];
}

__attribute__((noinline)) void crash_assert(int value)
{
	assert(value == 0 && "the value must be zero");
}

int main(int argc, char **argv)
{
	bt_db *db;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: crash_demo DB null|abort|assert|fpe|overflow|ok\n");
		return 2;
	}
	rc = bt_open(&db, argv[1], NULL);
	if (rc == BT_OK)
		rc = bt_context_set(db, BT_CONTEXT_SERVICE, "crash-demo");
	if (rc == BT_OK)
		rc = bt_crash_handler_install(db, NULL);
	if (rc != BT_OK) {
		fprintf(stderr, "crash_demo: %s\n", bt_error_message());
		return 1;
	}
	if (!strcmp(argv[2], "null"))
		crash_null(NULL);
	else if (!strcmp(argv[2], "abort"))
		abort();
	else if (!strcmp(argv[2], "assert"))
		crash_assert(1);
	else if (!strcmp(argv[2], "fpe"))
		printf("%d\n", crash_divide(1, 0));
	else if (!strcmp(argv[2], "overflow"))
		printf("%d\n", crash_recurse(0));
	bt_crash_handler_uninstall();
	bt_close(db);
	return 0;
}
