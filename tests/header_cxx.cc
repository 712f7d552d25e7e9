// The public header must compile as C++ (built with -pedantic) and link
// with C linkage.
#include <bugtrack.h>

int main()
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = nullptr;

	bt_close(db);
	return bt_version_number() == BT_VERSION_NUMBER && opts.version == BT_OPEN_OPTIONS_VERSION ? 0 : 1;
}
