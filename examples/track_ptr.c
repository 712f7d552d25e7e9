/*
 * track_ptr - TRACK_ERRORS_PTR around calls that return NULL on failure.
 *
 * usage: track_ptr [DB]   (default: $BUGTRACK_DB, else ./bugtrack.db)
 */
#include <stdio.h>
#include <stdlib.h>

#include <bugtrack.h>

int main(int argc, char **argv)
{
	bt_db *db;
	FILE *f;

	if (bt_open(&db, argc > 1 ? argv[1] : NULL, NULL) != BT_OK) {
		fprintf(stderr, "track_ptr: %s\n", bt_error_message());
		return EXIT_FAILURE;
	}
	f = TRACK_ERRORS_PTR(db, "storage", fopen("/var/lib/myservice/state.json", "r"));
	if (f)
		fclose(f);
	f = TRACK_ERRORS_PTR(db, "storage", fopen("/dev/null", "r")); /* succeeds: nothing stored */
	if (f)
		fclose(f);
	printf("track_ptr: 1 failed fopen() captured\n");
	bt_close(db);
	return EXIT_SUCCESS;
}
