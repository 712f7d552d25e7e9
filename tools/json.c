/*
 * json.c - a small streaming JSON writer, indented by two spaces so that
 * output diffs well.  Streaming keeps memory constant however many tickets
 * are listed.  Strings are escaped so that any stored text, even invalid
 * UTF-8, gives valid JSON.
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

static void indent(json *j)
{
	int i;

	if (j->compact)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;

	fputc('"', f);
	while (i < len) {
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			fputs("\\ufffd", f); /* one invalid byte */
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (int)cp);
		else if (cp < 0x20 || cp == 0x7F)
			fprintf(f, "\\u%04x", (unsigned int)cp);
		else
			fwrite(p + i, 1, n, f);
		i += n;
	}
	fputc('"', f);
}

/* Start a value: the comma, the indentation and the key. */
static void member(json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->count[j->depth]++ > 0)
			fputc(',', j->f);
		indent(j);
	}
	if (key) {
		escape(j->f, key);
		fputs(j->compact ? ":" : ": ", j->f);
	}
}

static void open_(json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
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
	fputc(c, j->f);
}

void json_object_begin(json *j, const char *key) { open_(j, key, '{'); }
void json_object_end(json *j) { close_(j, '}'); }
void json_array_begin(json *j, const char *key) { open_(j, key, '['); }
void json_array_end(json *j) { close_(j, ']'); }

void json_string(json *j, const char *key, const char *value)
{
	member(j, key);
	if (value)
		escape(j->f, value);
	else
		fputs("null", j->f);
}

void json_int(json *j, const char *key, int64_t value)
{
	member(j, key);
	fprintf(j->f, "%lld", (long long)value);
}

void json_bool(json *j, const char *key, int value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->f);
}

void json_null(json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void json_time(json *j, const char *key, int64_t ms)
{
	char iso_key[96], iso[40];

	snprintf(iso_key, sizeof(iso_key), "%s_iso", key);
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
	fputc('\n', j->f);
}
