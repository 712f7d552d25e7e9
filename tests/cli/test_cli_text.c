/*
 * test_cli_text - unit tests of the bugtrack tool's text helpers: UTF-8
 * decoding, cleaning and truncation, JSON string escaping, CSV fields,
 * date parsing, tables in colour, display widths (wide characters, emoji,
 * combining marks), and tables fitted to a width or left whole.
 * The fixture cannot store invalid UTF-8 (the library cleans it on the way
 * in), so the escaping of such bytes is tested here directly.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int failures;

#define EXPECT(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
			failures++; \
		} \
	} while (0)

static void expect_str(const char *got, const char *want, int line)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, line, got, want);
		failures++;
	}
}

#define EXPECT_STR(got, want) expect_str((got), (want), __LINE__)

static size_t decode(const char *s)
{
	uint32_t cp;

	return utf8_decode((const unsigned char *)s, strlen(s), &cp);
}

static void test_utf8(void)
{
	uint32_t cp = 0;

	EXPECT(utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp) == 4 && cp == 0x1F600);
	EXPECT(decode("a") == 1);
	EXPECT(decode("\xC3\xA9") == 2);
	EXPECT(decode("\xE2\x80\xA6") == 3);
	EXPECT(decode("\xC0\x80") == 0);         /* overlong NUL */
	EXPECT(decode("\xE0\x80\x80") == 0);     /* overlong */
	EXPECT(decode("\xED\xA0\x80") == 0);     /* a UTF-16 surrogate */
	EXPECT(decode("\xF4\x90\x80\x80") == 0); /* past U+10FFFF */
	EXPECT(decode("\xE2\x80") == 0);         /* cut short */
	EXPECT(decode("\x80") == 0);             /* a lone continuation byte */
}

static void check_clean(const char *in, int keep, const char *want, int line)
{
	char *got = text_clean(in, keep);

	expect_str(got, want, line);
	free(got);
}

static void check_cut(const char *in, size_t width, const char *want, int line)
{
	char *got = text_truncate(in, width);

	expect_str(got, want, line);
	EXPECT(text_width(got) <= width);
	free(got);
}

static void test_clean_and_cut(void)
{
	check_clean("a\tb\nc", 0, "a b c", __LINE__);
	check_clean("a\tb\nc", 1, "a b\nc", __LINE__);
	check_clean("\x1b[31mred", 0, "\xEF\xBF\xBD[31mred", __LINE__);
	check_clean("\xC2\x9B" "1m", 0, "\xEF\xBF\xBD" "1m", __LINE__); /* C1 CSI */
	check_clean("bad \xFF byte", 0, "bad \xEF\xBF\xBD byte", __LINE__);
	check_clean(NULL, 0, "", __LINE__);

	check_cut("abcdef", 6, "abcdef", __LINE__);
	check_cut("abcdef", 4, "abc\xE2\x80\xA6", __LINE__);
	check_cut("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3, "\xC3\xA9\xC3\xA9\xE2\x80\xA6", __LINE__);
	check_cut("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 1, "\xE2\x80\xA6", __LINE__);
	check_cut("ab", 0, "", __LINE__);
	EXPECT(text_width("\xE2\x80\x94x") == 2);
}

/* Display widths come from width.c's tables, whatever the locale. */
static void test_widths(void)
{
	EXPECT(char_width('a') == 1);
	EXPECT(char_width(0xE9) == 1);    /* é */
	EXPECT(char_width(0xAD) == 1);    /* soft hyphen: shown by terminals */
	EXPECT(char_width(0x4E2D) == 2);  /* 中 */
	EXPECT(char_width(0xAC00) == 2);  /* 가 */
	EXPECT(char_width(0x3042) == 2);  /* あ */
	EXPECT(char_width(0xFF21) == 2);  /* fullwidth A */
	EXPECT(char_width(0x1F600) == 2); /* 😀 */
	EXPECT(char_width(0x1F680) == 2); /* 🚀 */
	EXPECT(char_width(0x20BB7) == 2); /* plane 2 ideograph */
	EXPECT(char_width(0x0301) == 0);  /* combining acute */
	EXPECT(char_width(0x302A) == 0);  /* a mark in a wide block */
	EXPECT(char_width(0x200B) == 0);  /* zero width space */
	EXPECT(char_width(0x200D) == 0);  /* zero width joiner */
	EXPECT(char_width(0xFE0F) == 0);  /* variation selector */
	EXPECT(char_width(0x1161) == 0);  /* Hangul medial vowel */
	EXPECT(char_width(0x2026) == 1);  /* … */
	EXPECT(char_width(0x2010) == 1);  /* hyphen */
	EXPECT(char_width(0x10FFFF) == 1);

	EXPECT(text_width("\xE4\xB8\xAD\xE6\x96\x87") == 4);        /* 中文 */
	EXPECT(text_width("e\xCC\x81") == 1);                         /* e + U+0301 */
	EXPECT(text_width("\xF0\x9F\x98\x80x") == 3);                 /* 😀x */
	EXPECT(text_width("a\xE2\x80\x8B" "b") == 2);                  /* U+200B */

	/* Cut at a column boundary: a wide character that does not fit goes. */
	check_cut("\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97", 4, "\xE4\xB8\xAD\xE2\x80\xA6", __LINE__);
	check_cut("\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97", 5, "\xE4\xB8\xAD\xE6\x96\x87\xE2\x80\xA6", __LINE__);
	check_cut("\xE4\xB8\xAD\xE6\x96\x87", 4, "\xE4\xB8\xAD\xE6\x96\x87", __LINE__);
	check_cut("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 3, "\xF0\x9F\x98\x80\xE2\x80\xA6", __LINE__);
	/* A combining mark stays with its character. */
	check_cut("abe\xCC\x81" "cd", 4, "abe\xCC\x81\xE2\x80\xA6", __LINE__);
	check_cut("ab\xCC\x81" "cd", 3, "ab\xCC\x81\xE2\x80\xA6", __LINE__);

	/* Wrapping: at the last space that fits, else where it must. */
	EXPECT(text_wrap("hello world foo", 8) == 5);
	EXPECT(text_wrap("hello world foo", 11) == 11);
	EXPECT(text_wrap("hello world foo", 13) == 11);
	EXPECT(text_wrap("hello world foo", 15) == 15);
	EXPECT(text_wrap("abcdefghij", 4) == 4);
	EXPECT(text_wrap("  abcdefghij", 4) == 4);
	EXPECT(text_wrap("\xE4\xB8\xAD\xE6\x96\x87 x", 3) == 3); /* 中 */
	EXPECT(text_wrap("\xE4\xB8\xAD\xE6\x96\x87", 1) == 3);   /* too narrow: 中 still */
	EXPECT(text_wrap("ab\xCC\x81" "cd", 2) == 4);                /* b with its mark */
}

static void check_json(const char *in, const char *want, int line)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	json j;

	json_init(&j, f);
	json_string(&j, NULL, in);
	fclose(f);
	expect_str(buf, want, line);
	free(buf);
}

static void check_csv(const char *in, const char *want, int line)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	csv_string(f, in);
	fclose(f);
	expect_str(buf, want, line);
	free(buf);
}

static void test_csv(void)
{
	check_csv("", "", __LINE__);
	check_csv("plain text", "plain text", __LINE__);
	check_csv("a,b", "\"a,b\"", __LINE__);
	check_csv("say \"hi\"", "\"say \"\"hi\"\"\"", __LINE__);
	check_csv("\"", "\"\"\"\"", __LINE__);
	check_csv("two\nlines", "\"two\nlines\"", __LINE__);
	check_csv("cr\rhere", "\"cr\rhere\"", __LINE__);
	check_csv("tab\tand\x1b[0m", "tab\tand\x1b[0m", __LINE__); /* kept, unquoted */
	check_csv("\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9", __LINE__);
	check_csv("bad \xFF\xC3 byte", "bad \xEF\xBF\xBD\xEF\xBF\xBD byte", __LINE__);
	check_csv("\xED\xA0\x80,", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD,\"", __LINE__);
}

static void test_json(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	json j;

	check_json("plain", "\"plain\"", __LINE__);
	check_json("q\"b\\", "\"q\\\"b\\\\\"", __LINE__);
	check_json("a\nb\x01\x1f\x7f", "\"a\\u000ab\\u0001\\u001f\\u007f\"", __LINE__);
	check_json("\xC3\xA9\xF0\x9F\x98\x80", "\"\xC3\xA9\xF0\x9F\x98\x80\"", __LINE__);
	check_json("x\xFFy\xC3", "\"x\\ufffdy\\ufffd\"", __LINE__);
	check_json("\xED\xA0\x80", "\"\\ufffd\\ufffd\\ufffd\"", __LINE__);
	check_json(NULL, "null", __LINE__);

	f = open_memstream(&buf, &size);
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_time(&j, "unset_at", 0);
	json_time(&j, "at", 1795262400123);
	json_array_begin(&j, "empty");
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	fclose(f);
	EXPECT_STR(buf, "{\n  \"unset_at\": null,\n  \"unset_at_iso\": null,\n"
		   "  \"at\": 1795262400123,\n  \"at_iso\": \"2026-11-21T12:00:00.123Z\",\n"
		   "  \"empty\": []\n}\n");
	free(buf);
}

static void test_times(void)
{
	static const command fake = { "test", NULL, "", "", NULL };
	const int64_t now = 1795262400000; /* 2026-11-21T12:00:00Z */
	static const char *const bad[] = {
		"lately", "2026-1-01", "2026-13-01", "2026-02-29", "2026-11-21T12:00+25:00",
		"2026-11-21T24:00Z", "2026-11-21T12:00 Z", "7", "7y", "-7d", "d", "", "7d ",
		"Yesterday", "today ", "1w2d", "99999999999w",
	};
	char time_buf[32];
	int64_t t = 0;
	size_t i;
	cli c;

	memset(&c, 0, sizeof(c));
	c.cmd = &fake;
	c.now_ms = now;
	EXPECT(cli_parse_time(&c, "--since", "2026-11-21", &t) == 0 && t == now - 12 * 3600000LL);
	EXPECT(cli_parse_time(&c, "--since", "2026-11-21T12:00Z", &t) == 0 && t == now);
	EXPECT(cli_parse_time(&c, "--since", "2026-11-21T12:00:05Z", &t) == 0 && t == now + 5000);
	EXPECT(cli_parse_time(&c, "--since", "2024-02-29", &t) == 0);
	EXPECT(cli_parse_time(&c, "--since", "7d", &t) == 0 && t == now - 7 * 86400000LL);
	EXPECT(cli_parse_time(&c, "--since", "24h", &t) == 0 && t == now - 24 * 3600000LL);
	EXPECT(cli_parse_time(&c, "--since", "30m", &t) == 0 && t == now - 30 * 60000LL);
	EXPECT(cli_parse_time(&c, "--since", "90s", &t) == 0 && t == now - 90000);
	EXPECT(cli_parse_time(&c, "--since", "1w", &t) == 0 && t == now - 7 * 86400000LL);
	EXPECT(cli_parse_time(&c, "--since", "now", &t) == 0 && t == now);
	EXPECT(cli_parse_time(&c, "--since", "today", &t) == 0 && t == now - 12 * 3600000LL);
	EXPECT(cli_parse_time(&c, "--since", "yesterday", &t) == 0 && t == now - 36 * 3600000LL);
	/* Zones as import reads them; none is UTC. */
	EXPECT(cli_parse_time(&c, "--since", "2026-11-21T13:00+01:00", &t) == 0 && t == now);
	EXPECT(cli_parse_time(&c, "--since", "2026-11-21T07:00-0500", &t) == 0 && t == now);
	EXPECT(cli_parse_time(&c, "--since", "2026-11-21T12:00", &t) == 0 && t == now);
	EXPECT(cli_parse_time(&c, "--since", "2026-11-21 12:00Z", &t) == 0 && t == now);
	fprintf(stderr, "(the next %zu 'not a time' messages are expected)\n",
		sizeof(bad) / sizeof(bad[0]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT(cli_parse_time(&c, "--since", bad[i], &t) == EXIT_USAGE);

	/* Local time (TZ) unless --utc: "UTC-2" is POSIX for two hours east. */
	setenv("TZ", "UTC-2", 1);
	format_time(now, 0, time_buf, sizeof(time_buf));
	EXPECT_STR(time_buf, "2026-11-21 14:00");
	time_display_utc(1);
	format_time(now, 0, time_buf, sizeof(time_buf));
	EXPECT_STR(time_buf, "2026-11-21 12:00");
	format_time_zone(now, time_buf, sizeof(time_buf));
	EXPECT_STR(time_buf, "UTC");
	time_display_utc(0);
	format_time(now, 1, time_buf, sizeof(time_buf));
	EXPECT_STR(time_buf, "2026-11-21 14:00:00");
	setenv("TZ", "UTC", 1);
	format_time(0, 1, time_buf, sizeof(time_buf));
	EXPECT_STR(time_buf, "-");
}

/* @p t printed with colour on or off (BUGTRACK_COLOR), as a string to free. */
static char *print_table(table *t, int width, const char *color)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	setenv("BUGTRACK_COLOR", color, 1);
	table_print(t, f, width);
	fclose(f);
	unsetenv("BUGTRACK_COLOR");
	return buf;
}

/* Colour is written around the cut text, outside the padding, so the
 * widths are those of the text alone. */
static void test_table_color(void)
{
	static const char *const header[] = { "A", "N", "LAST" };
	static const char *const row1[] = { "crit\xC3\xA9", "7", "a long last cell" };
	static const char *const style1[] = { "1;31", "33", "1" };
	static const char *const row2[] = { "x", "12", "y" };
	static const int max[] = { 0, 0, 0 };
	table *t = table_new(3, header, "lrl", max);
	char *plain, *colored;

	unsetenv("NO_COLOR");
	table_add_styled(t, row1, style1);
	table_add(t, row2);
	plain = print_table(t, 16, "never");
	colored = print_table(t, 16, "always");
	EXPECT_STR(plain, "A       N  LAST\ncrit\xC3\xA9   7  a long la\xE2\x80\xA6\n"
		   "x      12  y\n");
	EXPECT_STR(colored, "A       N  LAST\n\x1b[1;31mcrit\xC3\xA9\x1b[0m   \x1b[33m7\x1b[0m  "
		   "\x1b[1ma long la\xE2\x80\xA6\x1b[0m\nx      12  y\n");
	free(colored);
	/* NO_COLOR (set, not empty) wins over BUGTRACK_COLOR=always. */
	setenv("NO_COLOR", "1", 1);
	colored = print_table(t, 16, "always");
	EXPECT_STR(colored, plain);
	free(colored);
	setenv("NO_COLOR", "", 1); /* empty: as if unset */
	colored = print_table(t, 16, "always");
	EXPECT(strchr(colored, '\x1b') != NULL);
	free(colored);
	unsetenv("NO_COLOR");
	/* auto: a memory stream is no terminal. */
	colored = print_table(t, 16, "auto");
	EXPECT_STR(colored, plain);
	free(colored);
	free(plain);
	table_free(t);
}

/* The longest line of @p text, in display columns. */
static size_t widest_line(const char *text)
{
	char *copy = xstrdup(text), *line, *save = NULL;
	size_t w = 0;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (text_width(line) > w)
			w = text_width(line);
	free(copy);
	return w;
}

/* On a terminal (a width) low-value columns go first, then the title is
 * cut; without a width nothing is dropped or cut, not even to a max. */
static void test_table_fit(void)
{
	static const char *const header[] = { "NUMBER", "STATUS", "LAST", "COMPONENT", "TITLE" };
	static const char *const row[] = {
		"BUG-1", "new", "2026-11-21 10:30", "a-rather-long-component",
		"\xE4\xB8\xAD\xE6\x96\x87 title with a findable-word at its end"
	};
	static const int max[] = { 0, 0, 0, 16, 0 };
	static const int drop[] = { 0, 3, 1, 2, 0 };
	table *t = table_new(5, header, "llll", max);
	char *out;

	table_drop_order(t, drop);
	table_add(t, row);
	out = print_table(t, 0, "never");
	EXPECT(strstr(out, "a-rather-long-component") != NULL);
	EXPECT(strstr(out, "findable-word at its end\n") != NULL);
	EXPECT(strstr(out, "\xE2\x80\xA6") == NULL);
	free(out);

	out = print_table(t, 100, "never"); /* all fits: only the max cuts */
	EXPECT_STR(out, "NUMBER  STATUS  LAST              COMPONENT         TITLE\n"
		   "BUG-1   new     2026-11-21 10:30  a-rather-long-c\xE2\x80\xA6  "
		   "\xE4\xB8\xAD\xE6\x96\x87 title with a findable-word at its end\n");
	free(out);

	out = print_table(t, 60, "never"); /* LAST goes */
	EXPECT(strstr(out, "LAST") == NULL && strstr(out, "COMPONENT") != NULL);
	EXPECT(widest_line(out) <= 60);
	free(out);

	out = print_table(t, 40, "never"); /* LAST and COMPONENT go */
	EXPECT_STR(out, "NUMBER  STATUS  TITLE\n"
		   "BUG-1   new     \xE4\xB8\xAD\xE6\x96\x87 title with a finda\xE2\x80\xA6\n");
	EXPECT(widest_line(out) == 40);
	free(out);

	out = print_table(t, 20, "never"); /* all droppable gone */
	EXPECT_STR(out, "NUMBER  TITLE\n"
		   "BUG-1   \xE4\xB8\xAD\xE6\x96\x87 title \xE2\x80\xA6\n");
	free(out);

	out = print_table(t, 12, "never"); /* too narrow: the title keeps 10 */
	EXPECT_STR(out, "NUMBER  TITLE\n"
		   "BUG-1   \xE4\xB8\xAD\xE6\x96\x87 titl\xE2\x80\xA6\n");
	free(out);

	table_wrap_last(t); /* read whole: wrapped between words, not cut */
	out = print_table(t, 40, "never");
	EXPECT_STR(out, "NUMBER  STATUS  TITLE\n"
		   "BUG-1   new     \xE4\xB8\xAD\xE6\x96\x87 title with a\n"
		   "                findable-word at its end\n");
	free(out);
	table_free(t);
}

/* A streamed table goes out a block at a time as rows are added: the first
 * block sets the widths; a later wider cell widens its column when nothing
 * is cut (width 0), and is cut on a terminal (a width), whose widths stay. */
static void test_table_stream(void)
{
	static const char *const header[] = { "ID", "COMPONENT", "TITLE" };
	static const char *const r1[] = { "1", "db", "first" };
	static const char *const r2[] = { "2", "net", "second" };
	static const char *const r3[] = { "3", "a-longer-component", "third" };
	static const int max[] = { 0, 0, 0 };
	static const char head[] = "ID  COMPONENT  TITLE\n 1  db         first\n 2  net        second\n";
	char *buf = NULL, want[256];
	size_t size = 0;
	FILE *f;
	table *t;

	setenv("BUGTRACK_COLOR", "never", 1);
	for (int width = 0; width <= 30; width += 30) {
		f = open_memstream(&buf, &size);
		t = table_new(3, header, "rll", max);
		table_stream(t, f, width, 2);
		table_add(t, r1);
		fflush(f);
		EXPECT(size == 0); /* the block is not full */
		table_add(t, r2);
		fflush(f);
		EXPECT_STR(buf, head);
		table_add(t, r3);
		table_print(t, f, width); /* the rest */
		fclose(f);
		snprintf(want, sizeof(want), "%s%s", head, width == 0
			 ? " 3  a-longer-component  third\n"
			 : " 3  a-longer\xE2\x80\xA6  third\n");
		EXPECT_STR(buf, want);
		table_free(t);
		free(buf);
		buf = NULL;
	}
	unsetenv("BUGTRACK_COLOR");
}

int main(void)
{
	test_utf8();
	test_clean_and_cut();
	test_widths();
	test_table_fit();
	test_json();
	test_csv();
	test_times();
	test_table_color();
	test_table_stream();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
