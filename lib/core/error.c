/*
 * error.c - error codes, their static descriptions, and the per-thread
 * message of the last failed call.  The message lives in a fixed
 * thread-local buffer: reporting an error must never allocate, because the
 * error being reported may be ENOMEM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define BTI_ERRMSG_MAX 512
/* "backend:code": a backend name and its own code, as short as codes are. */
#define BTI_NATIVE_MAX 48

static _Thread_local struct {
	int code;
	char native[BTI_NATIVE_MAX];
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
	case BT_ENOTSUP:   return "not supported by this build";
	default:           return "unknown error";
	}
}

/* The message is formatted into a local buffer first: a caller may pass
 * bt_error_message() itself as an argument, to re-word the last failure. */
static int set_error(int code, const char *native, const char *fmt, va_list ap)
{
	char message[BTI_ERRMSG_MAX];

	vsnprintf(message, sizeof(message), fmt, ap);
	memcpy(last_error.message, message, sizeof(message));
	last_error.code = code;
	if (native != last_error.native)
		snprintf(last_error.native, sizeof(last_error.native), "%s", native);
	return code;
}

int bti_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(code, "", fmt, ap);
	va_end(ap);
	return code;
}

int bti_error_native(int code, const char *native, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(code, native ? native : "", fmt, ap);
	va_end(ap);
	return code;
}

int bti_error_rewrap(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(code, last_error.native, fmt, ap);
	va_end(ap);
	return code;
}

int bti_error_last(void)
{
	return last_error.code;
}

const char *bt_error_message(void)
{
	return last_error.message;
}

const char *bt_error_backend_code(void)
{
	return last_error.native;
}

void bt_error_clear(void)
{
	last_error.code = BT_OK;
	last_error.native[0] = '\0';
	last_error.message[0] = '\0';
}

/* POSIX errno names in the order glibc's strerrorname_np() prefers them
 * where two names share a value (EAGAIN before EWOULDBLOCK, EDEADLK before
 * EDEADLOCK, EOPNOTSUPP before ENOTSUP): error types, and so fingerprints,
 * must not depend on which C library named the errno.  test_capture
 * checks every entry against strerrorname_np() where it exists. */
static const struct {
	int code;
	const char *name;
} errno_names[] = {
#define E(name) { name, #name }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC),
	E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),
	E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS),
	E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(EPROTO), E(EBADMSG),
	E(EOVERFLOW), E(EILSEQ), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
	E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(EOPNOTSUPP), E(EAFNOSUPPORT), E(EADDRINUSE),
	E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ETIMEDOUT), E(ECONNREFUSED),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EDQUOT), E(ECANCELED),
	E(EWOULDBLOCK), E(ENOTSUP),
	/* Not in every C library: the STREAMS codes are obsolescent in POSIX. */
#ifdef ENOSTR
	E(ENOSTR), E(ENOSR), E(ETIME), E(ENODATA),
#endif
#ifdef ENOLINK
	E(ENOLINK), E(EMULTIHOP),
#endif
#ifdef EOWNERDEAD
	E(EOWNERDEAD), E(ENOTRECOVERABLE),
#endif
#ifdef EDEADLOCK
	E(EDEADLOCK),
#endif
#undef E
};

const char *bti_errno_name_portable(int err)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].code == err)
			return errno_names[i].name;
	return NULL;
}

const char *bti_errno_name(int err)
{
#ifdef HAVE_STRERRORNAME_NP
	return strerrorname_np(err);
#else
	return bti_errno_name_portable(err);
#endif
}
