/*
 * bugtrack/token.h - API tokens: the bearer credentials a front end such
 * as bugtrackd checks before it acts on the database for a remote caller.
 *
 * A token is made once, shown once, and kept only as a hash: a stolen
 * database does not give working tokens.  Its name is the actor of every
 * change made with it, so the audit trail says which agent did what.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_TOKEN_H
#define BUGTRACK_TOKEN_H

#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name API tokens
 * @{ */

/** What a token may do; a token holds one or more (a bit mask). */
typedef enum bt_token_scope {
	BT_SCOPE_READ = 1 << 0,   /**< Read tickets, events, reports, the feed. */
	BT_SCOPE_AGENT = 1 << 1,  /**< Read, and claim, note, update, resolve, merge. */
	BT_SCOPE_INGEST = 1 << 2, /**< Capture occurrences (and nothing else). */
	BT_SCOPE_ADMIN = 1 << 3   /**< Everything, tokens included. */
} bt_token_scope;

/** Bytes a token takes, its NUL included: "btk_", then 43 URL-safe base64
 * characters of 256 random bits. */
#define BT_TOKEN_SIZE 48

/** Longest token name, in bytes (a name is 1..64 bytes of [A-Za-z0-9._@-]). */
#define BT_TOKEN_NAME_MAX 64

/**
 * Make a token named @p name with @p scopes and write it, NUL-terminated,
 * to @p token_out: the only time it exists outside the caller.  Only its
 * SHA-256 hash is stored.  The event is not a ticket's, so the audit trail
 * does not hold it; bt_token_iter_new() lists tokens.
 * @param scopes  a non-empty OR of bt_token_scope.
 * @param size    at least BT_TOKEN_SIZE.
 * The random bytes come from the kernel (getrandom) and nothing else.  On
 * failure @p token_out is left empty ("", when @p size allows).
 * @return BT_OK, BT_EINVALID (bad name, scopes or @p size), BT_ECONFLICT
 * (a live token has that name), BT_EREADONLY, BT_ENOTSUP (the kernel gives
 * no random bytes), or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_token_create(bt_db *db, const char *name, unsigned int scopes,
			      char *token_out, size_t size);

/**
 * Check a token presented by a caller: on BT_OK, @p scopes_out gets its
 * scopes and @p name_out (@p name_size bytes, at least BT_TOKEN_NAME_MAX + 1)
 * its name.  The comparison takes the same time whatever the token's
 * bytes, so timing does not leak how much of a guess was right.  A token's
 * last use is recorded at most once a minute, so checking costs one read.
 * That record is bookkeeping: when it cannot be written (the database busy
 * past the busy timeout) the check still succeeds, and a handle opened
 * with BT_OPEN_READONLY checks without writing.  A check does not wait for
 * the handle's queued asynchronous captures.  On failure @p scopes_out is
 * 0 and @p name_out "".
 * @return BT_OK; BT_ENOTFOUND (no such token, a malformed one, or revoked:
 * the message does not repeat the token); BT_EINVALID (NULL arguments,
 * @p name_size too small); or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_token_check(bt_db *db, const char *token, unsigned int *scopes_out,
			     char *name_out, size_t name_size);

/**
 * Revoke the live token named @p name; checking it fails from then on.  A
 * revoked token's name may be given to a new token.
 * @return BT_OK, BT_ENOTFOUND, BT_EINVALID, BT_EREADONLY, or a storage
 * error.  Thread-safe.
 */
BT_EXTERN int bt_token_revoke(bt_db *db, const char *name);

/** One token's description (never the token).  Opaque; owned by its
 * iterator, valid until the next call on it. */
typedef struct bt_token_info bt_token_info;
/** The live tokens, by name.  Opaque; free with bt_token_iter_free(). */
typedef struct bt_token_iter bt_token_iter;

/** List the live (unrevoked) tokens, sorted by name.
 * @return BT_OK, BT_EINVALID, or a storage error.  Thread-safe; the
 * iterator is used by one thread at a time and must not outlive @p db. */
BT_EXTERN int bt_token_iter_new(bt_db *db, bt_token_iter **out);
/** @return BT_OK with the next token's description in @p out (owned by
 * @p iter), BT_ITEROVER, or an error. */
BT_EXTERN int bt_token_iter_next(bt_token_iter *iter, const bt_token_info **out);
/** Free @p iter.  NULL is accepted. */
BT_EXTERN void bt_token_iter_free(bt_token_iter *iter);

/** @return the token's name; "" for NULL. */
BT_EXTERN const char *bt_token_info_name(const bt_token_info *info);
/** @return the token's scopes (bt_token_scope bits); 0 for NULL. */
BT_EXTERN unsigned int bt_token_info_scopes(const bt_token_info *info);
/** @return when the token was made, in Unix milliseconds; 0 for NULL. */
BT_EXTERN int64_t bt_token_info_created_at(const bt_token_info *info);
/** @return when the token was last checked, to the minute, in Unix
 * milliseconds; 0 if never or for NULL. */
BT_EXTERN int64_t bt_token_info_last_used_at(const bt_token_info *info);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* BUGTRACK_TOKEN_H */
