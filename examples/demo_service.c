/*
 * demo_service - a tiny "service" that opens the default bug database
 * ($BUGTRACK_DB, else ./bugtrack.db) and reports what it found.
 */
#include <stdio.h>
#include <stdlib.h>

#include <bugtrack.h>

int main(void)
{
	bt_db *db = NULL;
	int current = 0, latest = 0;

	if (bt_open(&db, NULL, NULL) != BT_OK) {
		fprintf(stderr, "demo_service: %s\n", bt_error_message());
		return EXIT_FAILURE;
	}
	if (bt_schema_version(db, &current, &latest) != BT_OK) {
		fprintf(stderr, "demo_service: %s\n", bt_error_message());
		bt_close(db);
		return EXIT_FAILURE;
	}
	printf("libbugtrack %s: opened %s (schema version %d of %d)\n",
	       bt_version_string(), bt_db_path(db), current, latest);
	bt_close(db);
	return EXIT_SUCCESS;
}
