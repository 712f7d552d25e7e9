/*
 * error.c - error codes, their static descriptions, and the per-thread
 * message of the last failed call.  The message lives in a fixed
 * thread-local buffer: reporting an error must never allocate, because the
 * error being reported may be ENOMEM.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define BTI_ERRMSG_MAX 512

static _Thread_local struct {
	int code;
	int sqlite_code;
	char message[BTI_ERRMSG_MAX];
} last_error;

const char *bt_strerror(int code)
{
	switch (code) {
	case BT_OK:        return "success";
	case BT_EINTERNAL:     return "internal error";
	case BT_EINVALID:  return "invalid argument";
	case BT_ENOMEM:    return "out of memory";
	case BT_ENOTFOUND: return "not found";
	case BT_EBUSY:     return "busy";
	case BT_ESCHEMA:   return "incompatible database schema";
	case BT_EIO:       return "disk I/O error";
	case BT_ECORRUPT:  return "not a database, or database is malformed";
	case BT_EREADONLY: return "database is read-only";
	case BT_ECONFLICT: return "conflicting concurrent change";
	case BT_ECANTOPEN: return "cannot open database file";
	case BT_ITEROVER:  return "no more items";
	case BT_ESTATE:    return "not allowed in the ticket's current status";
	default:           return "unknown error";
	}
}

static int set_error(int code, int sqlite_code, const char *fmt, va_list ap)
{
	last_error.code = code;
	last_error.sqlite_code = sqlite_code;
	vsnprintf(last_error.message, sizeof(last_error.message), fmt, ap);
	return code;
}

int bti_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int bti_error_with_sqlite(int code, int sqlite_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(code, sqlite_code, fmt, ap);
	va_end(ap);
	return code;
}

const char *bt_error_message(void)
{
	return last_error.message;
}

int bt_error_code(void)
{
	return last_error.code;
}

int bt_error_sqlite_code(void)
{
	return last_error.sqlite_code;
}

void bt_error_clear(void)
{
	last_error.code = BT_OK;
	last_error.sqlite_code = 0;
	last_error.message[0] = '\0';
}
