/* The public header must compile as strict C99 (built with -std=c99 -pedantic). */
#include <bugtrack.h>

int main(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;

	return bt_version_number() == BT_VERSION_NUMBER && opts.version == BT_OPEN_OPTIONS_VERSION ? 0 : 1;
}
