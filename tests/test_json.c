/*
 * test_json.c - bti_json_valid, the strict validator capture uses on the
 * caller's thread: a table of RFC 8259 cases, nesting at the limit, and a
 * differential run against SQLite's json_valid (a real SQLite): whatever we
 * accept, SQLite must accept too, since reports read contexts with its JSON
 * functions.
 */
#include <stdint.h>

#include "check.h"
#include "internal.h"

static int valid(const char *s)
{
	return bti_json_valid(s, strlen(s));
}

static void test_table(void)
{
	static const char *good[] = {
		"{}", "[]", " { } ", "0", "-0", "1.5e+10", "-12.25E-3", "\"\"", "true", "false",
		"null", "{\"a\": [1, 2, {\"b\": null}], \"c\": \"\\u00e9\\n\"}", "[[[]]]",
		"\"\xc3\xa9\"", "\t\r\n[1]\n",
	};
	static const char *bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\"}", "{a:1}", "01", "1.", ".5", "1e",
		"+1", "'x'", "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"a\tb\"", "tru", "nul", "[1 2]",
		"{} {}", "[1]]", "{\"a\":1 \"b\":2}", "NaN", "[-]", "\"\\", "{\"user\": ",
		"{\"a\":}", "[,1]",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!valid(good[i])) {
			fprintf(stderr, "refused valid JSON: %s\n", good[i]);
			check_failures++;
		}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid(bad[i])) {
			fprintf(stderr, "accepted invalid JSON: %s\n", bad[i]);
			check_failures++;
		}
	/* The length bounds the text: a valid prefix is not the value. */
	CHECK(!bti_json_valid("[1]", 2));
	CHECK(bti_json_valid("[1]xyz", 3));
}

static void test_depth(void)
{
	char buf[2 * (BTI_JSON_MAX_DEPTH + 1) + 1];
	int n = BTI_JSON_MAX_DEPTH;

	memset(buf, '[', (size_t)n);
	memset(buf + n, ']', (size_t)n);
	CHECK(bti_json_valid(buf, 2 * (size_t)n));
	n++;
	memset(buf, '[', (size_t)n);
	memset(buf + n, ']', (size_t)n);
	CHECK(!bti_json_valid(buf, 2 * (size_t)n)); /* refused, not a stack overflow */
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

/* Random edits of JSON-ish seeds: every text we accept SQLite accepts. */
static void test_against_sqlite(void)
{
	static const char *seeds[] = {
		"{\"user\": {\"id\": 42, \"tags\": [\"a\", \"b\"]}, \"ok\": true, \"n\": -1.5e3}",
		"[null, false, \"x\\\"y\", {\"k\": []}, 0, 10]",
	};
	static const char alphabet[] = "{}[]\":,.-+eE0123456789 tfnrul\\\"ax";
	sqlite3 *sql;
	sqlite3_stmt *stmt;
	int i, agreed = 0;

	CHECK(sqlite3_open(":memory:", &sql) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(sql, "SELECT json_valid(?1)", -1, &stmt, NULL) == SQLITE_OK);
	for (i = 0; i < 200000; i++) {
		char buf[128];
		const char *seed = seeds[next() % 2];
		size_t len = strlen(seed);
		int edits = 1 + (int)(next() % 3), e, ours, theirs;

		memcpy(buf, seed, len + 1);
		for (e = 0; e < edits && len > 0; e++) {
			size_t at = next() % len;

			if (next() % 2)
				buf[at] = alphabet[next() % (sizeof(alphabet) - 1)];
			else
				len = at; /* cut */
		}
		buf[len] = '\0';
		ours = bti_json_valid(buf, len);
		sqlite3_bind_text(stmt, 1, buf, (int)len, SQLITE_STATIC);
		theirs = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0);
		sqlite3_reset(stmt);
		if (ours && !theirs) {
			fprintf(stderr, "we accept, SQLite refuses: %s\n", buf);
			check_failures++;
		}
		agreed += ours == theirs;
	}
	fprintf(stderr, "agreed with SQLite on %d of 200000 edits\n", agreed);
	sqlite3_finalize(stmt);
	sqlite3_close(sql);
}

int main(void)
{
	RUN(test_table);
	RUN(test_depth);
	RUN(test_against_sqlite);
	return check_finish();
}
