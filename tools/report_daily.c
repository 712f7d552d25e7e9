/*
 * report_daily.c - `report daily` in its three formats: the library's rows
 * (day, component, occurrences, new_tickets) kept to one component when
 * --component asks, with each day's totals over the rows shown
 * (day_occurrences, day_new_tickets: appended to every CSV and JSON row),
 * and in the table a "(all)" row closing each day and a sparkline of the
 * occurrences a day under it.
 *
 * A day's rows arrive together (the library pages one day at a time), so
 * only one day is held, to know its totals before its first row is
 * written; the table keeps its rows anyway, to align them.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "iso8601.h"

enum { D_DAY, D_COMPONENT, D_OCCURRENCES, D_NEW_TICKETS };

typedef struct day_row {
	char *component;         /* NULL: tickets without one */
	int64_t occurrences, new_tickets;
} day_row;

typedef struct daily {
	daily_format format;
	const char *component;   /* the filter; NULL: every component */
	char day[16];            /* the held day, "YYYY-MM-DD" */
	day_row *rows;
	size_t n, cap;
	FILE *f;
	json j;
	table *tab;
	int64_t *spark_day, *spark_total; /* the days shown (days since 1970) and their totals */
	size_t spark_n, spark_cap;
} daily;

/* realloc, or exit as xmalloc does. */
static void *grow(void *p, size_t size)
{
	void *q = realloc(p, size);

	if (!q) {
		fputs("bugtrack: out of memory\n", stderr);
		exit(EXIT_FAILURE);
	}
	return q;
}

/* Days since 1970-01-01 of "YYYY-MM-DD", by the date parser every
 * option uses (0 for what is not a date). */
static int64_t day_number(const char *label)
{
	int64_t ms;

	return bti_iso8601_parse(label, BTI_ISO8601_STRICT, &ms) ? ms / 86400000 : 0;
}

static void format_day_label(int64_t day, char *buf, size_t size)
{
	time_t secs = (time_t)(day * 86400);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
}

static void csv_row(daily *s, const day_row *r, int64_t occ, int64_t created)
{
	fputs(s->day, s->f);
	fputc(',', s->f);
	if (r->component)
		csv_string(s->f, r->component);
	fprintf(s->f, ",%lld,%lld,%lld,%lld\r\n", (long long)r->occurrences,
		(long long)r->new_tickets, (long long)occ, (long long)created);
}

static void json_day_row(daily *s, const day_row *r, int64_t occ, int64_t created)
{
	json_object_begin(&s->j, NULL);
	json_string(&s->j, "day", s->day);
	json_string(&s->j, "component", r->component);
	json_int(&s->j, "occurrences", r->occurrences);
	json_int(&s->j, "new_tickets", r->new_tickets);
	json_int(&s->j, "day_occurrences", occ);
	json_int(&s->j, "day_new_tickets", created);
	json_object_end(&s->j);
}

static void table_row(daily *s, const char *component, int64_t occ, int64_t created)
{
	char o[24], c[24];
	const char *cells[4];

	snprintf(o, sizeof(o), "%lld", (long long)occ);
	snprintf(c, sizeof(c), "%lld", (long long)created);
	cells[0] = s->day;
	cells[1] = component ? component : "-";
	cells[2] = o;
	cells[3] = c;
	table_add(s->tab, cells);
}

static void spark_add(daily *s, int64_t occ)
{
	if (s->spark_n == s->spark_cap) {
		s->spark_cap = s->spark_cap ? s->spark_cap * 2 : 64;
		s->spark_day = grow(s->spark_day, s->spark_cap * sizeof(*s->spark_day));
		s->spark_total = grow(s->spark_total, s->spark_cap * sizeof(*s->spark_total));
	}
	s->spark_day[s->spark_n] = day_number(s->day);
	s->spark_total[s->spark_n++] = occ;
}

/* Write the held day, its totals first known. */
static void flush_day(daily *s)
{
	int64_t occ = 0, created = 0;
	size_t i;

	if (!s->n)
		return;
	for (i = 0; i < s->n; i++)
		occ += s->rows[i].occurrences, created += s->rows[i].new_tickets;
	for (i = 0; i < s->n; i++) {
		if (s->format == DAILY_CSV)
			csv_row(s, &s->rows[i], occ, created);
		else if (s->format == DAILY_JSON)
			json_day_row(s, &s->rows[i], occ, created);
		else
			table_row(s, s->rows[i].component, s->rows[i].occurrences,
				  s->rows[i].new_tickets);
		free(s->rows[i].component);
	}
	/* With --component the one row is its day's total already. */
	if (s->format == DAILY_TABLE && !s->component)
		table_row(s, "(all)", occ, created);
	spark_add(s, occ);
	s->n = 0;
}

static void hold(daily *s, const bt_aggregate_iter *it)
{
	const char *day = bt_aggregate_iter_text(it, D_DAY);
	const char *comp = bt_aggregate_iter_text(it, D_COMPONENT);
	day_row *r;

	if (s->component && (!comp || strcmp(comp, s->component) != 0))
		return;
	if (strcmp(day, s->day) != 0) {
		flush_day(s);
		snprintf(s->day, sizeof(s->day), "%s", day);
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->rows = grow(s->rows, s->cap * sizeof(*s->rows));
	}
	r = &s->rows[s->n++];
	r->component = comp ? xstrdup(comp) : NULL;
	r->occurrences = bt_aggregate_iter_int(it, D_OCCURRENCES);
	r->new_tickets = bt_aggregate_iter_int(it, D_NEW_TICKETS);
}

/* The occurrences of each calendar day from the first shown to the last,
 * one block each, scaled to the busiest (a day with none is a space). */
static void print_sparkline(const daily *s, FILE *f)
{
	static const char *const blocks[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	int64_t max = 0, d, first, last;
	size_t i, k = 0;
	char from[16], to[16];

	if (!s->spark_n)
		return;
	for (i = 0; i < s->spark_n; i++)
		if (s->spark_total[i] > max)
			max = s->spark_total[i];
	first = s->spark_day[0];
	last = s->spark_day[s->spark_n - 1];
	format_day_label(first, from, sizeof(from));
	format_day_label(last, to, sizeof(to));
	fprintf(f, "\noccurrences a day, %s to %s (█ = %lld): ", from, to, (long long)max);
	for (d = first; d <= last; d++) {
		int64_t n = 0;

		while (k < s->spark_n && s->spark_day[k] < d)
			k++;
		if (k < s->spark_n && s->spark_day[k] == d)
			n = s->spark_total[k];
		fputs(n <= 0 || max <= 0 ? " " : blocks[(n * 8 - 1) / max], f);
	}
	fputc('\n', f);
}

int emit_daily(FILE *f, bt_aggregate_iter *it, daily_format format, const char *component)
{
	static const char *const header[] = { "DAY", "COMPONENT", "OCCURRENCES", "NEW TICKETS" };
	static const int max[] = { 0, 0, 0, 0 };
	daily s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.format = format;
	s.component = component;
	s.f = f;
	if (format == DAILY_CSV) {
		fputs("day,component,occurrences,new_tickets,day_occurrences,day_new_tickets\r\n", f);
	} else if (format == DAILY_JSON) {
		json_init(&s.j, f);
		json_array_begin(&s.j, NULL);
	} else {
		s.tab = table_new(4, header, "llrr", max);
	}
	while ((rc = bt_aggregate_iter_next(it)) == BT_OK)
		hold(&s, it);
	flush_day(&s);
	if (rc == BT_ITEROVER && format == DAILY_JSON) {
		json_array_end(&s.j);
		json_finish(&s.j);
	} else if (rc == BT_ITEROVER && format == DAILY_TABLE) {
		table_print(s.tab, f, output_width());
		print_sparkline(&s, f);
	}
	if (s.tab)
		table_free(s.tab);
	free(s.rows);
	free(s.spark_day);
	free(s.spark_total);
	return rc;
}
