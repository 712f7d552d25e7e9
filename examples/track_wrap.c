/*
 * track_wrap - TRACK_ERRORS_WRAP defines a tracked version of a function,
 * the C analogue of a Python decorator: call tracked_unlink() where you
 * called unlink(), and every failure becomes a ticket.
 *
 * usage: track_wrap [DB]   (default: $BUGTRACK_DB, else ./bugtrack.db)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bugtrack.h>

static bt_db *g_db;

/* int tracked_unlink(const char *path), capturing a negative result. */
static TRACK_ERRORS_WRAP(int, tracked_unlink, (const char *path), (path), unlink, g_db, "cleanup")

/* FILE *tracked_fopen(const char *path, const char *mode), capturing NULL. */
static TRACK_ERRORS_WRAP_PTR(FILE *, tracked_fopen, (const char *path, const char *mode),
			     (path, mode), fopen, g_db, "cleanup")

int main(int argc, char **argv)
{
	FILE *f;
	int i;

	if (bt_open(&g_db, argc > 1 ? argv[1] : NULL, NULL) != BT_OK) {
		fprintf(stderr, "track_wrap: %s\n", bt_error_message());
		return EXIT_FAILURE;
	}
	for (i = 0; i < 2; i++)
		tracked_unlink("/tmp/libbugtrack-example-does-not-exist");
	f = tracked_fopen("/nonexistent/dir/report.txt", "w");
	if (f)
		fclose(f);
	printf("track_wrap: 2 failed unlink() calls and 1 failed fopen() captured\n");
	bt_close(g_db);
	return EXIT_SUCCESS;
}
