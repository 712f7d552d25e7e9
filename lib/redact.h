/*
 * redact.h - removal of secrets (passwords, tokens, cookies, ...) from
 * messages and JSON context text before anything is stored.
 */
#ifndef BT_REDACT_H
#define BT_REDACT_H

#include <stddef.h>

/* Copy the byte string @in of @len bytes (not necessarily NUL-terminated)
 * to @out, replacing the value of every secret key with "[redacted]", in the
 * forms key=value, key: value, "key": "value" (JSON) and header lines such
 * as "Authorization: Bearer x".  @keys is a NULL-terminated list of
 * lowercase key names; NULL means the default list: password, passwd, pwd,
 * secret, token, api_key, apikey, access_token, refresh_token, auth,
 * authorization, cookie, session, private_key, client_secret.  A key also
 * matches as the last part of a compound name (db_password, X-Api-Key,
 * user.token), with '-' and '_' equivalent.
 * Writes at most @cap bytes including a terminating NUL to @out (if
 * cap > 0) and returns the length the full result would have, like
 * snprintf.  Thread-safe, never allocates. */
size_t bti_redact(const char *in, size_t len, const char *const *keys, char *out, size_t cap);

#endif
