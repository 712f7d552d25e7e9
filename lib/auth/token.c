/*
 * auth/token.c - API tokens (bugtrack/token.h): making one from the
 * kernel's random bytes, checking a presented one, revoking and listing.
 *
 * A token is "btk_" and 43 characters of URL-safe base64 (no padding) of 32
 * random bytes.  Only the SHA-256 of its whole text reaches the store: a
 * check hashes what it is given, finds the row by that hash (a unique
 * index), then compares the stored hash with the computed one in constant
 * time.  No message repeats a token, and the token's buffers are wiped.
 */
#include <string.h>

#include "db.h"
#include "sha256.h"
#include "store.h"

#define PREFIX "btk_"
#define PREFIX_LEN 4
#define RANDOM_BYTES 32
#define BODY_LEN 43 /* base64 of 32 bytes: 42 full characters and one of 4 bits */
#define TOKEN_LEN (PREFIX_LEN + BODY_LEN)
#define SCOPES_ALL (BT_SCOPE_READ | BT_SCOPE_AGENT | BT_SCOPE_INGEST | BT_SCOPE_ADMIN)
/* last_used_at is the minute of the last check: written once a minute. */
#define USE_GRAIN_MS 60000

_Static_assert(TOKEN_LEN + 1 == BT_TOKEN_SIZE, "BT_TOKEN_SIZE is a token and its NUL");

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* @raw's 32 bytes as 43 characters at @out (RFC 4648 section 5, no '='). */
static void encode(const unsigned char raw[RANDOM_BYTES], char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= RANDOM_BYTES; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	/* 30 bytes are 40 characters; the last two bytes make three more. */
	{
		uint32_t v = (uint32_t)raw[30] << 8 | raw[31];

		out[o++] = b64url[v >> 10];
		out[o++] = b64url[(v >> 4) & 63];
		out[o++] = b64url[(v << 2) & 63];
	}
}

static int b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Whether @token has a token's shape.  The shape is public, so this may
 * stop early; the secret part is only ever compared as a hash. */
static int well_formed(const char *token)
{
	size_t i;

	if (strncmp(token, PREFIX, PREFIX_LEN) != 0)
		return 0;
	for (i = PREFIX_LEN; i < TOKEN_LEN; i++)
		if (!b64url_char(token[i]))
			return 0;
	return token[TOKEN_LEN] == '\0';
}

/* Equal hashes, in a time that depends on @n only: every byte is looked at,
 * and the differences are gathered without a branch. */
static int same_hash(const char *a, const char *b, size_t n)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* BT_OK when @name is 1..BT_TOKEN_NAME_MAX bytes of [A-Za-z0-9._@-]. */
static int check_name(const char *caller, const char *name)
{
	size_t i, len = strnlen(name, BT_TOKEN_NAME_MAX + 1);

	if (len == 0)
		return bti_error(BT_EINVALID, "%s: the name is empty", caller);
	if (len > BT_TOKEN_NAME_MAX)
		return bti_error(BT_EINVALID, "%s: the name is longer than %d bytes", caller,
				 BT_TOKEN_NAME_MAX);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(b64url_char(c) || c == '.' || c == '@'))
			return bti_error(BT_EINVALID, "%s: the name \"%.64s\" has a character other "
					 "than A-Z, a-z, 0-9, '.', '_', '@' and '-'", caller, name);
	}
	return BT_OK;
}

int bt_token_create(bt_db *db, const char *name, unsigned int scopes, char *token_out,
		    size_t size)
{
	unsigned char raw[RANDOM_BYTES];
	char token[BT_TOKEN_SIZE], hash[BTI_SHA256_HEX_SIZE];
	int rc;

	if (token_out && size > 0)
		token_out[0] = '\0';
	if (!db || !name || !token_out)
		return bti_error(BT_EINVALID, "bt_token_create: %s is NULL",
				 !db ? "db" : !name ? "name" : "token_out");
	if (size < BT_TOKEN_SIZE)
		return bti_error(BT_EINVALID, "bt_token_create: size %zu is less than BT_TOKEN_SIZE "
				 "(%d)", size, BT_TOKEN_SIZE);
	rc = check_name("bt_token_create", name);
	if (rc != BT_OK)
		return rc;
	if (scopes == 0 || (scopes & ~(unsigned int)SCOPES_ALL))
		return bti_error(BT_EINVALID, "bt_token_create: scopes 0x%x: give one or more of "
				 "BT_SCOPE_READ, _AGENT, _INGEST and _ADMIN, and nothing else",
				 scopes);
	rc = bti_random_bytes(raw, sizeof(raw), "bt_token_create");
	if (rc != BT_OK)
		return rc;
	memcpy(token, PREFIX, PREFIX_LEN);
	encode(raw, token + PREFIX_LEN);
	token[TOKEN_LEN] = '\0';
	bti_sha256_hex(token, TOKEN_LEN, hash);

	rc = bti_db_lock(db, "bt_token_create");
	if (rc == BT_OK) {
		rc = bti_store_token_insert(db->store, name, hash, scopes, bti_db_now(db));
		bti_db_unlock(db);
	}
	if (rc == BT_ECONFLICT)
		rc = bti_error(BT_ECONFLICT, "bt_token_create: a live token is named \"%s\"; revoke "
			       "it first, or choose another name", name);
	if (rc == BT_OK)
		memcpy(token_out, token, BT_TOKEN_SIZE);
	bti_wipe(raw, sizeof(raw));
	bti_wipe(token, sizeof(token));
	return rc;
}

int bt_token_check(bt_db *db, const char *token, unsigned int *scopes_out, char *name_out,
		   size_t name_size)
{
	char hash[BTI_SHA256_HEX_SIZE];
	bt_token_info row;
	int64_t now, minute;
	int rc, live = 0;

	if (scopes_out)
		*scopes_out = 0;
	if (name_out && name_size > 0)
		name_out[0] = '\0';
	if (!db || !token || !scopes_out || !name_out)
		return bti_error(BT_EINVALID, "bt_token_check: %s is NULL",
				 !db ? "db" : !token ? "token" : !scopes_out ? "scopes_out" : "name_out");
	if (name_size < BT_TOKEN_NAME_MAX + 1)
		return bti_error(BT_EINVALID, "bt_token_check: name_size %zu is less than "
				 "BT_TOKEN_NAME_MAX + 1 (%d)", name_size, BT_TOKEN_NAME_MAX + 1);
	if (!well_formed(token))
		return bti_error(BT_ENOTFOUND, "bt_token_check: not a token (a token is \"btk_\" "
				 "and 43 URL-safe base64 characters)");
	bti_sha256_hex(token, TOKEN_LEN, hash);

	/* Not bti_db_lock: a check waits for no batch of asynchronous captures
	 * (it reads nothing they write). */
	rc = bti_db_enter(db, "bt_token_check");
	if (rc == BT_OK)
		rc = bti_db_lock_until(db, bti_mono_ms() + db->busy_timeout_ms, "bt_token_check");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_token_find(db->store, hash, &row);
	if (rc == BT_OK) {
		live = same_hash(row.hash, hash, BTI_SHA256_HEX_SIZE - 1) && row.revoked_at == 0;
		now = bti_db_now(db);
		minute = now - now % USE_GRAIN_MS;
		/* Bookkeeping, not authorisation: a write that fails (the
		 * database busy past the timeout) does not fail the check, and
		 * a read-only handle does not try. */
		if (live && row.last_used_at < minute && !(db->cfg.flags & BT_OPEN_READONLY))
			(void)bti_store_token_touch(db->store, row.id, minute);
	}
	bti_db_unlock(db);
	if (rc == BT_OK && live) {
		*scopes_out = row.scopes;
		memcpy(name_out, row.name, strlen(row.name) + 1);
	} else if (rc == BT_OK && row.revoked_at) {
		rc = bti_error(BT_ENOTFOUND, "bt_token_check: the token was revoked");
	} else if (rc == BT_OK || rc == BT_ENOTFOUND) {
		rc = bti_error(BT_ENOTFOUND, "bt_token_check: no such token");
	}
	bti_wipe(&row, sizeof(row));
	return rc;
}

int bt_token_revoke(bt_db *db, const char *name)
{
	int rc;

	if (!db || !name)
		return bti_error(BT_EINVALID, "bt_token_revoke: %s is NULL", db ? "name" : "db");
	rc = check_name("bt_token_revoke", name);
	if (rc != BT_OK)
		return rc;
	rc = bti_db_lock(db, "bt_token_revoke");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_token_revoke(db->store, name, bti_db_now(db));
	bti_db_unlock(db);
	if (rc == BT_ENOTFOUND)
		rc = bti_error(BT_ENOTFOUND, "bt_token_revoke: no live token is named \"%s\"", name);
	return rc;
}

/* ---- listing ---- */

#define PAGE_ROWS 32

struct bt_token_iter {
	bt_db *db;
	bt_token_info rows[PAGE_ROWS];
	size_t count, next;
	int last_page;
	char after[BT_TOKEN_NAME_MAX + 1]; /* the last name returned */
};

int bt_token_iter_new(bt_db *db, bt_token_iter **out)
{
	bt_token_iter *it;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_token_iter_new: %s is NULL", db ? "out" : "db");
	it = bti_calloc(1, sizeof(*it));
	if (!it)
		return bti_error(BT_ENOMEM, "bt_token_iter_new: out of memory");
	it->db = db;
	*out = it;
	return BT_OK;
}

int bt_token_iter_next(bt_token_iter *it, const bt_token_info **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!it || !out)
		return bti_error(BT_EINVALID, "bt_token_iter_next: %s is NULL", it ? "out" : "iter");
	if (it->next == it->count) {
		if (it->last_page)
			return BT_ITEROVER;
		rc = bti_db_lock(it->db, "bt_token_iter_next");
		if (rc != BT_OK)
			return rc;
		rc = bti_store_token_page(it->db->store, it->after, it->rows, PAGE_ROWS, &it->count);
		bti_db_unlock(it->db);
		it->next = 0;
		if (rc != BT_OK) {
			it->count = 0;
			return rc;
		}
		it->last_page = it->count < PAGE_ROWS;
		if (it->count == 0)
			return BT_ITEROVER;
	}
	*out = &it->rows[it->next++];
	memcpy(it->after, (*out)->name, sizeof(it->after));
	return BT_OK;
}

void bt_token_iter_free(bt_token_iter *it)
{
	bti_free(it);
}

const char *bt_token_info_name(const bt_token_info *info) { return info ? info->name : ""; }
unsigned int bt_token_info_scopes(const bt_token_info *info) { return info ? info->scopes : 0; }
int64_t bt_token_info_created_at(const bt_token_info *info) { return info ? info->created_at : 0; }
int64_t bt_token_info_last_used_at(const bt_token_info *info)
{
	return info ? info->last_used_at : 0;
}
