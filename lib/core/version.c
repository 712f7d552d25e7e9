/*
 * version.c - the version of the library actually linked, which may differ
 * from the BT_VERSION_* macros a host was compiled against.
 */
#include "internal.h"

int bt_version_number(void)
{
	return BT_VERSION_NUMBER;
}

const char *bt_version_string(void)
{
	return BT_VERSION_STRING;
}
