/*
 * redact.h - removal of secrets (passwords, tokens, cookies, ...) from
 * messages and JSON context text before anything is stored.
 */
#ifndef BT_REDACT_H
#define BT_REDACT_H

#include <stddef.h>

/* Copy the byte string @in of @len bytes (not necessarily NUL-terminated)
 * to @out, replacing the value of every secret key with "[redacted]", in the
 * forms key=value, key: value, "key": "value" (JSON, also with the name
 * written in \u escapes: "pass\u0077ord"), header lines such as
 * "Authorization: Bearer x", and command-line options "--key value".  @keys
 * is a NULL-terminated list of lowercase key names; NULL means the default
 * list: password, passwd, pwd, secret, token, api_key, apikey, access_token,
 * refresh_token, auth, authorization, cookie, session, private_key,
 * client_secret, secret_key, secret_access_key, passphrase, credentials,
 * sessionid.  A key also matches as the last part of a compound name
 * (db_password, X-Api-Key, user.token) or of a camelCase one (accessToken,
 * userPassword), with '-' and '_' equivalent.
 * Whatever the list, these go too: the password of a URL
 * (https://user:[redacted]@host), the -pPASSWORD of a MySQL client's
 * command line (mysql, mysqldump, mariadb, ...: on the same line), the body
 * of a PEM private key block, and JSON Web Tokens (eyJ....).
 * Writes at most @cap bytes including a terminating NUL to @out (if
 * cap > 0) and returns the length the full result would have, like
 * snprintf.  Thread-safe, never allocates. */
size_t bti_redact(const char *in, size_t len, const char *const *keys, char *out, size_t cap);

struct bt_db;

/* One stored text field (a note, a title, an assignee, a stack trace...)
 * redacted as @db says: with its key list, or not at all under
 * BT_OPEN_NO_REDACT.  Sets *@out to @text itself when nothing changes
 * (or @text is NULL), else to a new copy that *@owned also holds, for the
 * caller to bti_free; *@owned is NULL otherwise.  A NULL @db means the
 * default keys.  BT_OK, or BT_ENOMEM (then *@out is NULL). */
int bti_redact_field(const struct bt_db *db, const char *text, const char **out, char **owned);

/* bti_redact() into a new string. */
char *bti_redact_dup(const char *in, size_t len, const char *const *keys, size_t *len_out);

#endif
