/* The public header must compile as strict C99 (built with -std=c99 -pedantic). */
#include <bugtrack.h>

/* The capture macros expand to valid C99 (never called: no database). */
long long use_capture_macros(bt_db *db);
long long use_capture_macros(bt_db *db)
{
	long long v = TRACK_ERRORS_AT(db, BT_WARNING, "io", -1);

	v += TRACK_ERRORS_IF_AT(db, BT_ERROR, "io", BT_FAIL_NONZERO, 0);
	v += TRACK_ERRORS_PTR_AT(db, BT_INFO, "io", &v) != NULL;
	return v + bt_log_errno(db, BT_ERROR, "io", 2, "open %s", "x");
}

int main(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;

	return bt_version_number() == BT_VERSION_NUMBER && opts.version == BT_OPEN_OPTIONS_VERSION ? 0 : 1;
}
