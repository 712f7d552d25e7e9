/*
 * test_token.c - API tokens on SQLite (lib/auth/token.c): the shape of a
 * token; what is stored (only the hash: the token's text is nowhere in the
 * database files); checking the token, a token differing in any one
 * character, malformed ones, a revoked one; reusing a revoked name; bad
 * names, scopes, buffers and NULLs; that no message repeats a token; that
 * a check writes at most once a minute and not at all on a read-only
 * handle; listing across pages in byte order; and the kernel's random
 * bytes arriving interrupted or short, or not at all (getrandom is
 * replaced below).  tests/conformance runs the API's rules on every backend.
 */
#include <errno.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "sha256.h"
#include "store_sqlite.h"

/* ---- getrandom, replaced: the library's reference resolves to this one
 * (the test links the static library) ---- */

enum { RANDOM_REAL, RANDOM_EINTR, RANDOM_SHORT, RANDOM_ENOSYS };
static int random_mode = RANDOM_REAL;
static int random_calls;

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	random_calls++;
	switch (random_mode) {
	case RANDOM_EINTR:
		/* Every other call is interrupted before any byte. */
		if (random_calls % 2) {
			errno = EINTR;
			return -1;
		}
		break;
	case RANDOM_SHORT:
		if (len > 5)
			len = 5;
		break;
	case RANDOM_ENOSYS:
		errno = ENOSYS;
		return -1;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

/* ---- helpers ---- */

static bt_db *open_db(const char *path, unsigned int flags, int64_t *clock_ms);

static int64_t clock_fn(void *payload)
{
	return *(int64_t *)payload;
}

static bt_db *open_db(const char *path, unsigned int flags, int64_t *clock_ms)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	o.flags = BT_OPEN_SYNC | flags;
	o.busy_timeout_ms = 200;
	if (clock_ms) {
		o.clock = clock_fn;
		o.clock_payload = clock_ms;
	}
	CHECK_RC(bt_open(&db, path, &o), BT_OK);
	if (!db)
		exit(2);
	return db;
}

static int shaped(const char *t)
{
	size_t i;

	if (strlen(t) != BT_TOKEN_SIZE - 1 || strncmp(t, "btk_", 4) != 0)
		return 0;
	for (i = 4; t[i]; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", t[i]))
			return 0;
	return 1;
}

/* The last message holds no part of @token longer than 8 characters. */
static void message_clean(const char *token, int line)
{
	const char *msg = bt_error_message();
	char part[9];
	size_t i, n = strlen(token);

	for (i = 0; i + 8 <= n; i++) {
		memcpy(part, token + i, 8);
		part[8] = '\0';
		if (strstr(msg, part)) {
			fprintf(stderr, "line %d: the message \"%s\" repeats the token\n", line, msg);
			CHECK(0);
			return;
		}
	}
}
#define MESSAGE_CLEAN(token) message_clean((token), __LINE__)

static int check_token(bt_db *db, const char *token, unsigned int *scopes, char *name)
{
	return bt_token_check(db, token, scopes, name, BT_TOKEN_NAME_MAX + 1);
}

/* Whether @needle occurs in the bytes of file @path (absent: no). */
static int file_has(const char *path, const char *needle)
{
	static char buf[8 << 20];
	long n = check_read_file(path, buf, sizeof(buf));
	size_t len = strlen(needle);

	if (n < 0)
		return 0;
	for (long i = 0; i + (long)len <= n; i++)
		if (memcmp(buf + i, needle, len) == 0)
			return 1;
	return 0;
}

/* ---- cases ---- */

static void test_create_check(void)
{
	const char *path = check_path("basic.db");
	char token[BT_TOKEN_SIZE], other[BT_TOKEN_SIZE], name[BT_TOKEN_NAME_MAX + 1];
	char hash[BTI_SHA256_HEX_SIZE], wal[512];
	unsigned int scopes = 99;
	bt_db *db = open_db(path, 0, NULL);
	sqlite3_stmt *st;

	CHECK_RC(bt_token_create(db, "fixer-1", BT_SCOPE_AGENT | BT_SCOPE_READ, token,
				 sizeof(token)), BT_OK);
	CHECK(shaped(token));
	CHECK_RC(bt_token_create(db, "ingest@web.1", BT_SCOPE_INGEST, other, sizeof(other)), BT_OK);
	CHECK(shaped(other) && strcmp(token, other) != 0);

	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	CHECK_STR_EQ(name, "fixer-1");
	CHECK_INT_EQ(scopes, BT_SCOPE_AGENT | BT_SCOPE_READ);
	CHECK_RC(check_token(db, other, &scopes, name), BT_OK);
	CHECK_STR_EQ(name, "ingest@web.1");
	CHECK_INT_EQ(scopes, BT_SCOPE_INGEST);

	/* Stored: the SHA-256 of the whole text, and not the text. */
	bti_sha256_hex(token, strlen(token), hash);
	CHECK(sqlite3_prepare_v2(bti_sqlite_connection(db->store),
				 "SELECT token_hash FROM api_tokens WHERE name = 'fixer-1'", -1, &st,
				 NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0), hash);
	sqlite3_finalize(st);
	bt_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	CHECK(file_has(path, hash) || file_has(wal, hash)); /* the search works */
	CHECK(!file_has(path, token + 4) && !file_has(wal, token + 4));
	CHECK(!file_has(path, other + 4) && !file_has(wal, other + 4));
}

static void test_wrong_tokens(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char token[BT_TOKEN_SIZE], bad[BT_TOKEN_SIZE + 2], name[BT_TOKEN_NAME_MAX + 1];
	unsigned int scopes;
	bt_db *db = open_db(check_path("wrong.db"), 0, NULL);
	size_t i;

	CHECK_RC(bt_token_create(db, "a", BT_SCOPE_ADMIN, token, sizeof(token)), BT_OK);
	/* Every character, changed to its neighbour in the alphabet. */
	for (i = 4; i < BT_TOKEN_SIZE - 1; i++) {
		memcpy(bad, token, sizeof(token));
		bad[i] = alphabet[(strchr(alphabet, token[i]) - alphabet + 1) % 64];
		scopes = 7;
		CHECK_RC(check_token(db, bad, &scopes, name), BT_ENOTFOUND);
		CHECK(scopes == 0 && name[0] == '\0');
		CHECK_STR_CONTAINS(bt_error_message(), "no such token");
		MESSAGE_CLEAN(token);
	}
	/* Malformed: another prefix, a character outside the alphabet, one
	 * too few or too many, empty. */
	memcpy(bad, token, sizeof(token));
	bad[2] = 'x';
	CHECK_RC(check_token(db, bad, &scopes, name), BT_ENOTFOUND);
	MESSAGE_CLEAN(token);
	memcpy(bad, token, sizeof(token));
	bad[10] = '+';
	CHECK_RC(check_token(db, bad, &scopes, name), BT_ENOTFOUND);
	memcpy(bad, token, sizeof(token));
	bad[BT_TOKEN_SIZE - 2] = '\0';
	CHECK_RC(check_token(db, bad, &scopes, name), BT_ENOTFOUND);
	snprintf(bad, sizeof(bad), "%sA", token);
	CHECK_RC(check_token(db, bad, &scopes, name), BT_ENOTFOUND);
	CHECK_STR_CONTAINS(bt_error_message(), "not a token");
	MESSAGE_CLEAN(token);
	CHECK_RC(check_token(db, "", &scopes, name), BT_ENOTFOUND);
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	bt_close(db);
}

static void test_revoke_and_reuse(void)
{
	char old[BT_TOKEN_SIZE], fresh[BT_TOKEN_SIZE], again[BT_TOKEN_SIZE];
	char name[BT_TOKEN_NAME_MAX + 1];
	unsigned int scopes;
	bt_db *db = open_db(check_path("revoke.db"), 0, NULL);

	CHECK_RC(bt_token_create(db, "agent", BT_SCOPE_AGENT, old, sizeof(old)), BT_OK);
	/* A live name is taken. */
	strcpy(again, "untouched");
	CHECK_RC(bt_token_create(db, "agent", BT_SCOPE_READ, again, sizeof(again)), BT_ECONFLICT);
	CHECK(again[0] == '\0');
	CHECK_STR_CONTAINS(bt_error_message(), "\"agent\"");

	CHECK_RC(bt_token_revoke(db, "agent"), BT_OK);
	CHECK_RC(check_token(db, old, &scopes, name), BT_ENOTFOUND);
	CHECK_STR_CONTAINS(bt_error_message(), "revoked");
	MESSAGE_CLEAN(old);
	CHECK_RC(bt_token_revoke(db, "agent"), BT_ENOTFOUND);
	CHECK_RC(bt_token_revoke(db, "nobody"), BT_ENOTFOUND);

	/* The name is free again; the old token stays dead. */
	CHECK_RC(bt_token_create(db, "agent", BT_SCOPE_READ, fresh, sizeof(fresh)), BT_OK);
	CHECK_RC(check_token(db, fresh, &scopes, name), BT_OK);
	CHECK_INT_EQ(scopes, BT_SCOPE_READ);
	CHECK_RC(check_token(db, old, &scopes, name), BT_ENOTFOUND);
	CHECK_RC(bt_token_revoke(db, "agent"), BT_OK);
	CHECK_RC(check_token(db, fresh, &scopes, name), BT_ENOTFOUND);
	bt_close(db);
}

static void test_bad_arguments(void)
{
	static const char *const bad_names[] = {
		"", "a b", "agent:fixer", "a/b", "x\n", "caf\xc3\xa9", "'; DROP TABLE api_tokens; --",
	};
	char token[BT_TOKEN_SIZE], name[BT_TOKEN_NAME_MAX + 1], longest[BT_TOKEN_NAME_MAX + 2];
	unsigned int scopes = 5;
	bt_db *db = open_db(check_path("args.db"), 0, NULL);
	const bt_token_info *info = NULL;
	bt_token_iter *it = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		CHECK_RC(bt_token_create(db, bad_names[i], BT_SCOPE_READ, token, sizeof(token)),
			 BT_EINVALID);
		CHECK_RC(bt_token_revoke(db, bad_names[i]), BT_EINVALID);
	}
	memset(longest, 'n', BT_TOKEN_NAME_MAX + 1);
	longest[BT_TOKEN_NAME_MAX + 1] = '\0';
	CHECK_RC(bt_token_create(db, longest, BT_SCOPE_READ, token, sizeof(token)), BT_EINVALID);
	longest[BT_TOKEN_NAME_MAX] = '\0';
	CHECK_RC(bt_token_create(db, longest, BT_SCOPE_READ, token, sizeof(token)), BT_OK);
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	CHECK_STR_EQ(name, longest);
	CHECK_RC(bt_token_create(db, "AZaz09._@-", BT_SCOPE_READ, token, sizeof(token)), BT_OK);

	/* Scopes: none, or a bit no scope has. */
	CHECK_RC(bt_token_create(db, "s", 0, token, sizeof(token)), BT_EINVALID);
	CHECK_RC(bt_token_create(db, "s", 1u << 4, token, sizeof(token)), BT_EINVALID);
	CHECK_RC(bt_token_create(db, "s", BT_SCOPE_READ | (1u << 31), token, sizeof(token)),
		 BT_EINVALID);
	CHECK_RC(bt_token_create(db, "s", BT_SCOPE_READ | BT_SCOPE_AGENT | BT_SCOPE_INGEST |
				 BT_SCOPE_ADMIN, token, sizeof(token)), BT_OK);

	/* Small buffers: nothing is made, and the buffer is left empty. */
	strcpy(token, "x");
	CHECK_RC(bt_token_create(db, "small", BT_SCOPE_READ, token, BT_TOKEN_SIZE - 1), BT_EINVALID);
	CHECK(token[0] == '\0');
	CHECK_RC(bt_token_create(db, "small", BT_SCOPE_READ, token, 0), BT_EINVALID);
	CHECK_RC(bt_token_create(db, "small", BT_SCOPE_READ, token, sizeof(token)), BT_OK);
	CHECK_RC(bt_token_check(db, token, &scopes, name, BT_TOKEN_NAME_MAX), BT_EINVALID);
	CHECK(name[0] == '\0' && scopes == 0);
	CHECK_RC(bt_token_check(db, token, &scopes, name, 0), BT_EINVALID);
	MESSAGE_CLEAN(token);

	/* NULLs. */
	CHECK_RC(bt_token_create(NULL, "n", BT_SCOPE_READ, token, sizeof(token)), BT_EINVALID);
	CHECK_RC(bt_token_create(db, NULL, BT_SCOPE_READ, token, sizeof(token)), BT_EINVALID);
	CHECK_RC(bt_token_create(db, "n", BT_SCOPE_READ, NULL, sizeof(token)), BT_EINVALID);
	CHECK_RC(bt_token_check(NULL, token, &scopes, name, sizeof(name)), BT_EINVALID);
	CHECK_RC(bt_token_check(db, NULL, &scopes, name, sizeof(name)), BT_EINVALID);
	CHECK_RC(bt_token_check(db, token, NULL, name, sizeof(name)), BT_EINVALID);
	CHECK_RC(bt_token_check(db, token, &scopes, NULL, sizeof(name)), BT_EINVALID);
	MESSAGE_CLEAN(token);
	CHECK_RC(bt_token_revoke(NULL, "n"), BT_EINVALID);
	CHECK_RC(bt_token_revoke(db, NULL), BT_EINVALID);
	CHECK_RC(bt_token_iter_new(NULL, &it), BT_EINVALID);
	CHECK(it == NULL);
	CHECK_RC(bt_token_iter_new(db, NULL), BT_EINVALID);
	CHECK_RC(bt_token_iter_next(NULL, &info), BT_EINVALID);
	CHECK_RC(bt_token_iter_new(db, &it), BT_OK);
	CHECK_RC(bt_token_iter_next(it, NULL), BT_EINVALID);
	bt_token_iter_free(it);
	bt_token_iter_free(NULL);
	CHECK_STR_EQ(bt_token_info_name(NULL), "");
	CHECK_INT_EQ(bt_token_info_scopes(NULL), 0);
	CHECK_INT_EQ(bt_token_info_created_at(NULL), 0);
	CHECK_INT_EQ(bt_token_info_last_used_at(NULL), 0);
	bt_close(db);
}

static int64_t last_used(bt_db *db, const char *name)
{
	const bt_token_info *info;
	bt_token_iter *it = NULL;
	int64_t at = -1;

	CHECK_RC(bt_token_iter_new(db, &it), BT_OK);
	while (it && bt_token_iter_next(it, &info) == BT_OK)
		if (strcmp(bt_token_info_name(info), name) == 0)
			at = bt_token_info_last_used_at(info);
	bt_token_iter_free(it);
	return at;
}

/* Statements run on a connection that write api_tokens. */
static int token_writes;

static int count_writes(unsigned int type, void *payload, void *stmt, void *sql)
{
	(void)type;
	(void)payload;
	(void)sql;
	if (strncmp(sqlite3_sql(stmt), "UPDATE api_tokens", 17) == 0)
		token_writes++;
	return 0;
}

/* A check writes the minute of its use once per minute: the other checks
 * of that minute only read.  A check whose write is blocked succeeds; a
 * read-only handle checks without writing. */
static void test_last_used(void)
{
	const char *path = check_path("used.db");
	int64_t now = INT64_C(1800000000000) + 15000; /* 15 s into a minute */
	int64_t minute = INT64_C(1800000000000);
	char token[BT_TOKEN_SIZE], name[BT_TOKEN_NAME_MAX + 1];
	unsigned int scopes;
	bt_db *db = open_db(path, 0, &now), *ro;
	sqlite3 *other = NULL;

	sqlite3_trace_v2(bti_sqlite_connection(db->store), SQLITE_TRACE_STMT, count_writes, NULL);
	CHECK_RC(bt_token_create(db, "t", BT_SCOPE_READ, token, sizeof(token)), BT_OK);
	CHECK_INT_EQ(last_used(db, "t"), 0);
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	CHECK_INT_EQ(token_writes, 1);
	CHECK_INT_EQ(last_used(db, "t"), minute);
	now += 44000; /* 59 s into the minute */
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	CHECK_INT_EQ(token_writes, 1);
	now += 1000; /* the next minute */
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	CHECK_INT_EQ(token_writes, 2);
	CHECK_INT_EQ(last_used(db, "t"), minute + 60000);

	/* Another connection holds the write lock at the next minute: the
	 * check still succeeds, and the minute is written by a later one. */
	now += 60000;
	CHECK(sqlite3_open(path, &other) == SQLITE_OK);
	CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	CHECK_STR_EQ(name, "t");
	CHECK(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(other);
	CHECK_INT_EQ(last_used(db, "t"), minute + 60000);
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);
	CHECK_INT_EQ(last_used(db, "t"), minute + 120000);
	bt_close(db);

	/* Read-only: checks work and write nothing; changes are refused. */
	now += 10 * 60000;
	ro = open_db(path, BT_OPEN_READONLY, &now);
	CHECK_RC(check_token(ro, token, &scopes, name), BT_OK);
	CHECK_STR_EQ(name, "t");
	CHECK_INT_EQ(last_used(ro, "t"), minute + 120000);
	CHECK_RC(bt_token_create(ro, "u", BT_SCOPE_READ, token, sizeof(token)), BT_EREADONLY);
	CHECK_RC(bt_token_revoke(ro, "t"), BT_EREADONLY);
	bt_close(ro);
}

/* More tokens than a page, made out of order: listed once each, by name in
 * byte order, without the revoked ones. */
static void test_listing(void)
{
	char token[BT_TOKEN_SIZE], name[16], prev[BT_TOKEN_NAME_MAX + 1] = "";
	int64_t now = 1800000000000;
	bt_db *db = open_db(check_path("list.db"), 0, &now);
	const bt_token_info *info;
	bt_token_iter *it = NULL;
	int i, n = 0, rc;

	for (i = 0; i < 75; i++) {
		snprintf(name, sizeof(name), "%c%02d", "bA_-.9@z"[i % 8], (i * 37) % 100);
		CHECK_RC(bt_token_create(db, name, BT_SCOPE_READ | (i % 2 ? BT_SCOPE_ADMIN : 0),
					 token, sizeof(token)), BT_OK);
	}
	for (i = 0; i < 75; i += 5) {
		snprintf(name, sizeof(name), "%c%02d", "bA_-.9@z"[i % 8], (i * 37) % 100);
		CHECK_RC(bt_token_revoke(db, name), BT_OK);
	}
	CHECK_RC(bt_token_iter_new(db, &it), BT_OK);
	while ((rc = bt_token_iter_next(it, &info)) == BT_OK) {
		CHECK(strcmp(prev, bt_token_info_name(info)) < 0);
		snprintf(prev, sizeof(prev), "%s", bt_token_info_name(info));
		CHECK(bt_token_info_created_at(info) == now);
		CHECK(bt_token_info_scopes(info) & BT_SCOPE_READ);
		n++;
	}
	CHECK_RC(rc, BT_ITEROVER);
	CHECK_RC(bt_token_iter_next(it, &info), BT_ITEROVER);
	CHECK_INT_EQ(n, 75 - 15);
	bt_token_iter_free(it);
	bt_close(db);
}

/* The kernel's bytes arrive interrupted or a few at a time: the token is
 * whole.  Without them nothing is made. */
static void test_random_source(void)
{
	char token[BT_TOKEN_SIZE], name[BT_TOKEN_NAME_MAX + 1];
	unsigned int scopes;
	bt_db *db = open_db(check_path("random.db"), 0, NULL);
	const bt_token_info *info;
	bt_token_iter *it = NULL;

	random_mode = RANDOM_EINTR;
	random_calls = 0;
	CHECK_RC(bt_token_create(db, "eintr", BT_SCOPE_READ, token, sizeof(token)), BT_OK);
	CHECK(random_calls >= 2 && shaped(token));
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);

	random_mode = RANDOM_SHORT;
	random_calls = 0;
	CHECK_RC(bt_token_create(db, "short", BT_SCOPE_READ, token, sizeof(token)), BT_OK);
	CHECK(random_calls == 7 && shaped(token));
	/* Not zeros past the first read: every byte came from the kernel. */
	CHECK(strstr(token, "AAAAAAAA") == NULL);
	CHECK_RC(check_token(db, token, &scopes, name), BT_OK);

	random_mode = RANDOM_ENOSYS;
	strcpy(token, "x");
	CHECK_RC(bt_token_create(db, "none", BT_SCOPE_READ, token, sizeof(token)), BT_ENOTSUP);
	CHECK(token[0] == '\0');
	CHECK_STR_CONTAINS(bt_error_message(), "getrandom");
	random_mode = RANDOM_REAL;

	CHECK_RC(bt_token_iter_new(db, &it), BT_OK);
	CHECK_RC(bt_token_iter_next(it, &info), BT_OK);
	CHECK_STR_EQ(bt_token_info_name(info), "eintr");
	CHECK_RC(bt_token_iter_next(it, &info), BT_OK);
	CHECK_STR_EQ(bt_token_info_name(info), "short");
	CHECK_RC(bt_token_iter_next(it, &info), BT_ITEROVER);
	bt_token_iter_free(it);
	bt_close(db);
}

int main(void)
{
	RUN(test_create_check);
	RUN(test_wrong_tokens);
	RUN(test_revoke_and_reuse);
	RUN(test_bad_arguments);
	RUN(test_last_used);
	RUN(test_listing);
	RUN(test_random_source);
	return check_finish();
}
