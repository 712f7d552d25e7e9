/*
 * json.c - a small streaming JSON writer, indented by two spaces so that
 * output diffs well.  Streaming keeps memory constant however many tickets
 * are listed.  Strings are escaped so that any stored text, even invalid
 * UTF-8, gives valid JSON.  Writes go through the writer's buffer (see
 * struct json): a stdio call per token made `list --json` of 100,000
 * tickets take seconds.
 */
#include <string.h>

#include "cli.h"

#define MAX_DEPTH ((int)(sizeof(((json *)0)->count) / sizeof(int)))

void json_init(json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

void json_init_compact(json *j, FILE *f)
{
	json_init(j, f);
	j->compact = 1;
}

static void flush(json *j)
{
	if (j->len)
		fwrite(j->buf, 1, j->len, j->f);
	j->len = 0;
}

static void put(json *j, const char *s, size_t n)
{
	if (j->len + n > sizeof(j->buf)) {
		flush(j);
		if (n > sizeof(j->buf)) {
			fwrite(s, 1, n, j->f);
			return;
		}
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void puts_(json *j, const char *s)
{
	put(j, s, strlen(s));
}

static void putc_(json *j, char c)
{
	put(j, &c, 1);
}

static void indent(json *j)
{
	int i;

	if (j->compact)
		return;
	putc_(j, '\n');
	for (i = 0; i < j->depth; i++)
		put(j, "  ", 2);
}

/* Runs of bytes that need no escape are copied whole, found in one pass
 * (no strlen first). */
static void escape(json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, n;
	uint32_t cp;
	char esc[8];

	putc_(j, '"');
	for (;;) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
			i++; /* the common case, without decoding */
			continue;
		}
		if (c == 0)
			break;
		/* The decoder stops at the first byte that does not continue
		 * the sequence, which the terminating NUL never does, so 4
		 * bounds it. */
		n = c < 0x80 ? 1 : utf8_decode(p + i, 4, &cp);
		if (c < 0x80)
			cp = c;
		if (n != 0 && cp >= 0x80) {
			i += n;
			continue;
		}
		put(j, s + run, i - run);
		if (n == 0)
			puts_(j, "\\ufffd"); /* one invalid byte */
		else if (cp == '"' || cp == '\\')
			put(j, cp == '"' ? "\\\"" : "\\\\", 2);
		else {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int)cp);
			puts_(j, esc);
		}
		i += n ? n : 1;
		run = i;
	}
	put(j, s + run, i - run);
	putc_(j, '"');
}

/* A value ended: out with it if it was a whole document's. */
static void ended(json *j)
{
	if (j->depth == 0)
		flush(j);
}

/* Start a value: the comma, the indentation and the key. */
static void member(json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->count[j->depth]++ > 0)
			putc_(j, ',');
		indent(j);
	}
	if (key) {
		escape(j, key);
		puts_(j, j->compact ? ":" : ": ");
	}
}

static void open_(json *j, const char *key, char c)
{
	member(j, key);
	putc_(j, c);
	if (j->depth + 1 < MAX_DEPTH)
		j->depth++;
	j->count[j->depth] = 0;
}

static void close_(json *j, char c)
{
	int empty = j->count[j->depth] == 0;

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	putc_(j, c);
	if (j->depth <= 1)
		flush(j);
}

void json_object_begin(json *j, const char *key) { open_(j, key, '{'); }
void json_object_end(json *j) { close_(j, '}'); }
void json_array_begin(json *j, const char *key) { open_(j, key, '['); }
void json_array_end(json *j) { close_(j, ']'); }

void json_string(json *j, const char *key, const char *value)
{
	member(j, key);
	if (value)
		escape(j, value);
	else
		puts_(j, "null");
	ended(j);
}

void json_int(json *j, const char *key, int64_t value)
{
	char num[24], *p = num + sizeof(num);
	/* By hand, as unsigned so that INT64_MIN negates: snprintf per
	 * number was a tenth of `list --json`. */
	uint64_t u = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;

	member(j, key);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (value < 0)
		*--p = '-';
	put(j, p, (size_t)(num + sizeof(num) - p));
	ended(j);
}

void json_bool(json *j, const char *key, int value)
{
	member(j, key);
	puts_(j, value ? "true" : "false");
	ended(j);
}

void json_null(json *j, const char *key)
{
	member(j, key);
	puts_(j, "null");
	ended(j);
}

void json_time(json *j, const char *key, int64_t ms)
{
	char iso_key[96], iso[40];
	size_t n = strlen(key);

	if (n > sizeof(iso_key) - 5)
		n = sizeof(iso_key) - 5; /* keys are short constants */
	memcpy(iso_key, key, n);
	memcpy(iso_key + n, "_iso", 5);
	if (ms == 0) {
		json_null(j, key);
		json_null(j, iso_key);
		return;
	}
	format_iso(ms, iso, sizeof(iso));
	json_int(j, key, ms);
	json_string(j, iso_key, iso);
}

void json_finish(json *j)
{
	putc_(j, '\n');
	flush(j);
}
