/*
 * log_wrapper - calling the library from the host's own logging helper.
 *
 * Most services already have one function every error goes through.  If it
 * called bt_log(), every ticket would name the helper as its call site, and
 * since the call site is part of the fingerprint, the same message from
 * two places would land on one ticket.  Instead the helper is a
 * macro that captures its caller's site and a function that passes that
 * site on with bt_logv_at().
 *
 * usage: log_wrapper [DB]   (default: $BUGTRACK_DB, else ./bugtrack.db)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <bugtrack.h>

static bt_db *g_db;

/* The host's helper: its own output as before, and the line to bugtrack.  The format stays the format (the message template that
 * groups occurrences), so the helper must not format the text first. */
static void app_log_at(const char *file, int line, const char *function, bt_level level,
		       const char *fmt, ...) BT_PRINTF(5, 6);

#define app_log(level, ...) app_log_at(__FILE__, __LINE__, __func__, (level), __VA_ARGS__)

static void app_log_at(const char *file, int line, const char *function, bt_level level,
		       const char *fmt, ...)
{
	va_list ap, again;

	va_start(ap, fmt);
	va_copy(again, ap); /* a va_list is read once: one copy per consumer */
	fprintf(stderr, "log_wrapper: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	/* A NULL g_db (tracking failed to open) is refused with a code. */
	(void)bt_logv_at(g_db, level, "wrapper", file, line, function, fmt, again);
	va_end(again);
	va_end(ap);
}

static void load_config(const char *path)
{
	app_log(BT_ERROR, "cannot read config %s", path);
}

static void connect_upstream(const char *host)
{
	app_log(BT_ERROR, "upstream %s refused the connection", host);
}

int main(int argc, char **argv)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;

	opts.ticket_level = BT_ERROR; /* this service files BT_ERROR and up */
	if (bt_open(&g_db, argc > 1 ? argv[1] : NULL, &opts) != BT_OK) {
		fprintf(stderr, "log_wrapper: %s\n", bt_error_message());
		return EXIT_FAILURE;
	}
	load_config("/etc/app/a.conf");
	load_config("/etc/app/b.conf"); /* same site, same template: one ticket */
	connect_upstream("10.0.0.7");
	printf("log_wrapper: 3 errors through the host's helper, on their callers' sites\n");
	bt_close(g_db);
	return EXIT_SUCCESS;
}
