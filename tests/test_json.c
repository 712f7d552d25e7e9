/*
 * test_json.c - bti_json_valid, the strict validator capture uses on the
 * caller's thread: a table of RFC 8259 cases, nesting at the limit, and a
 * differential run against SQLite's json_valid (a real SQLite): whatever we
 * accept, SQLite must accept too, since reports read contexts with its JSON
 * functions.  Then the reader import walks documents with: bti_json_type,
 * bti_json_each and bti_json_remove.
 */
#include <locale.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "json.h"

static int valid(const char *s)
{
	return bti_json_valid(s, strlen(s));
}

static void test_type(void)
{
	static const struct { const char *text; int type; } cases[] = {
		{ " {\"a\": 1} ", BTI_JSON_OBJECT }, { "[]", BTI_JSON_ARRAY }, { "\"x\"", BTI_JSON_TEXT },
		{ "true", BTI_JSON_TRUE }, { "false", BTI_JSON_FALSE }, { "null", BTI_JSON_NULL },
		{ "-0", BTI_JSON_INTEGER }, { "123456789012345678901234", BTI_JSON_INTEGER },
		{ "1.5", BTI_JSON_REAL }, { "1e3", BTI_JSON_REAL }, { "{", BTI_JSON_INVALID },
		{ "1 2", BTI_JSON_INVALID }, { "", BTI_JSON_INVALID },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT_EQ(bti_json_type(cases[i].text, strlen(cases[i].text)), cases[i].type);
	}
}

/* What each visit saw, as one line per item: key|type|text or number. */
static int collect(const bti_json_item *it, void *payload)
{
	char *out = payload, line[256];

	if (it->type == BTI_JSON_INTEGER)
		snprintf(line, sizeof(line), "%s|%d|%lld%s\n", it->key ? it->key : "-", it->type,
			 (long long)it->integer, it->exact ? "" : " inexact");
	else if (it->type == BTI_JSON_REAL)
		snprintf(line, sizeof(line), "%s|%d|%g\n", it->key ? it->key : "-", it->type, it->real);
	else
		snprintf(line, sizeof(line), "%s|%d|%.*s\n", it->key ? it->key : "-", it->type,
			 (int)it->len, it->text ? it->text : "");
	strcat(out, line);
	return it->index == 5 ? BT_EBUSY : BT_OK; /* a visit's code ends the walk */
}

static void test_each(void)
{
	const char *obj = "{ \"k\\u0065y\" : \"a\\tb\\u00e9\\ud83d\\ude00\\u0000\\ud800x\\\"\","
			  " \"n\": -42, \"big\": 99999999999999999999, \"r\": 2.5e1,"
			  " \"o\": { \"x\" : [ 1 , \"\\u0000 s\" ] }, \"t\": true, \"never\": 1 }";
	char out[1024] = "";

	CHECK_RC(bti_json_each(obj, strlen(obj), collect, out), BT_EBUSY);
	CHECK_STR_EQ(out, "key|6|a\tb\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbdx\"\n"
		    "n|4|-42\n"
		    "big|4|9223372036854775807 inexact\n"
		    "r|5|25\n"
		    "o|8|{\"x\":[1,\"\\ufffd s\"]}\n"
		    "t|2|\n");
	out[0] = '\0';
	CHECK_RC(bti_json_each("[ ]", 3, collect, out), BT_OK);
	CHECK_STR_EQ(out, "");
	CHECK_RC(bti_json_each("[null, [ ]]", 11, collect, out), BT_OK);
	CHECK_STR_EQ(out, "-|1|\n-|7|[]\n");
	CHECK_RC(bti_json_each("\"s\"", 3, collect, out), BT_EINVALID);
	CHECK_RC(bti_json_each("[1,]", 4, collect, out), BT_EINVALID);
}

/* JSON's decimal point is '.' under any locale the host sets (found by
 * review: strtod follows LC_NUMERIC).  Needs a locale whose decimal point
 * is a comma; where none is installed, the case says so and checks
 * nothing (LOCPATH can point at one made by localedef). */
static void test_each_locale(void)
{
	static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8" };
	char out[256] = "", want[64];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (setlocale(LC_NUMERIC, names[i]) && strcmp(localeconv()->decimal_point, ",") == 0)
			break;
	if (i == sizeof(names) / sizeof(names[0]) && access("/usr/share/i18n/locales/de_DE", R_OK) == 0) {
		/* None installed: make de_DE in the test's directory (Debian's
		 * locales package has its source; scripts/bootstrap.sh installs it). */
		char dir[512], cmd[1200];

		snprintf(dir, sizeof(dir), "%s", check_path("locales"));
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8'"
			 " >/dev/null 2>&1", dir, dir);
		if (system(cmd) == 0 && setenv("LOCPATH", dir, 1) == 0 &&
		    setlocale(LC_NUMERIC, "de_DE.UTF-8") && strcmp(localeconv()->decimal_point, ",") == 0)
			i = 0;
	}
	if (i == sizeof(names) / sizeof(names[0])) {
		fprintf(stderr, "test_each_locale: no locale with a decimal comma here; not checked\n");
		setlocale(LC_NUMERIC, "C");
		return;
	}
	/* Expected as this locale prints 1.5 and 2500 (with a comma). */
	snprintf(want, sizeof(want), "-|5|%g\n-|5|%g\n", 1.5, 2500.0);
	CHECK_RC(bti_json_each("[1.5, 2.5e3]", 12, collect, out), BT_OK);
	CHECK_STR_EQ(out, want);
	setlocale(LC_NUMERIC, "C");
}

static void test_remove(void)
{
	static const char *const names[] = { "private", "b" };
	const char *obj = "{ \"priva\\u0074e\": 1, \"a\" : [ 1, 2 ], \"b\": 2, \"c\\n\": \"x y\", \"b\": 3 }";
	char *out = NULL;

	/* A name written with escapes is the same name; so is a repeated one. */
	CHECK_RC(bti_json_remove(obj, strlen(obj), names, 2, &out), BT_OK);
	CHECK_STR_EQ(out, "{\"a\":[1,2],\"c\\n\":\"x y\"}");
	bti_free(out);
	CHECK_RC(bti_json_remove("{\"b\":1}", 7, names, 2, &out), BT_OK);
	CHECK_STR_EQ(out, "{}");
	bti_free(out);
	CHECK_RC(bti_json_remove("[1]", 3, names, 2, &out), BT_EINVALID);
	CHECK(out == NULL);
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
	RUN(test_type);
	RUN(test_each);
	RUN(test_each_locale);
	RUN(test_remove);
	RUN(test_depth);
	RUN(test_against_sqlite);
	return check_finish();
}
