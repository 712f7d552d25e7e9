/*
 * bugtrack/common.h - what every part of the public API needs: the fixed-width
 * types and the export and format-checking attributes.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>.
 */
#ifndef BUGTRACK_COMMON_H
#define BUGTRACK_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#  define BT_EXTERN __attribute__((visibility("default")))
#  define BT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#  define BT_EXTERN
#  define BT_PRINTF(fmt, args)
#endif

#endif /* BUGTRACK_COMMON_H */
