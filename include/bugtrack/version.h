/*
 * bugtrack/version.h - Version: of the header and of the linked library.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_VERSION_H
#define BUGTRACK_VERSION_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Version
 * BT_VERSION_* describe the header you compiled against;
 * bt_version_number() and bt_version_string() the library actually linked.
 * @{ */
#define BT_VERSION_MAJOR 1           /**< The header's major version. */
#define BT_VERSION_MINOR 0           /**< The header's minor version. */
#define BT_VERSION_PATCH 0           /**< The header's patch version. */
#define BT_VERSION_STRING "1.0.0"    /**< "MAJOR.MINOR.PATCH" as a string. */
/** MAJOR * 1000000 + MINOR * 1000 + PATCH, as SQLite does. */
#define BT_VERSION_NUMBER \
	(BT_VERSION_MAJOR * 1000000 + BT_VERSION_MINOR * 1000 + BT_VERSION_PATCH)

/**
 * @return the linked library's version as MAJOR * 1000000 + MINOR * 1000 + PATCH.
 * Thread-safe.
 */
BT_EXTERN int bt_version_number(void);

/**
 * @return the linked library's version as a static string such as "1.0.0".
 * The string is owned by the library and never freed.  Thread-safe.
 */
BT_EXTERN const char *bt_version_string(void);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_VERSION_H */
