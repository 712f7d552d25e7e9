/*
 * table.c - aligned text tables.  Rows are kept until printing because
 * column widths depend on every row.  Cells are cleaned on the way in, so a
 * stored message can neither break the layout nor drive the terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define GAP 2 /* spaces between columns */

struct table {
	int ncols;
	char **header;
	char *align;
	int *max;
	char ***rows;
	size_t nrows, cap;
};

static char **clean_row(int ncols, const char *const *cells)
{
	char **row = xmalloc(sizeof(*row) * (size_t)ncols);
	int i;

	for (i = 0; i < ncols; i++)
		row[i] = text_clean(cells[i], 0);
	return row;
}

static void free_row(int ncols, char **row)
{
	int i;

	for (i = 0; i < ncols; i++)
		free(row[i]);
	free(row);
}

table *table_new(int ncols, const char *const *header, const char *align, const int *max)
{
	table *t = xmalloc(sizeof(*t));

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->header = clean_row(ncols, header);
	t->align = xstrdup(align);
	t->max = xmalloc(sizeof(int) * (size_t)ncols);
	memcpy(t->max, max, sizeof(int) * (size_t)ncols);
	return t;
}

void table_add(table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		char ***rows;

		t->cap = t->cap ? t->cap * 2 : 16;
		rows = realloc(t->rows, sizeof(*rows) * t->cap);
		if (!rows) {
			cli_error("out of memory");
			exit(EXIT_ERROR);
		}
		t->rows = rows;
	}
	t->rows[t->nrows++] = clean_row(t->ncols, cells);
}

/* The width of column @p col over the header and every row, capped. */
static size_t column_width(const table *t, int col)
{
	size_t w = text_width(t->header[col]), i, cw;

	for (i = 0; i < t->nrows; i++) {
		cw = text_width(t->rows[i][col]);
		if (cw > w)
			w = cw;
	}
	if (t->max[col] > 0 && w > (size_t)t->max[col])
		w = (size_t)t->max[col];
	return w;
}

static void print_cell(FILE *f, const char *text, size_t width, int right, int last)
{
	char *cut = text_truncate(text, width);
	size_t pad = width - text_width(cut);

	if (right)
		fprintf(f, "%*s%s", (int)pad, "", cut);
	else if (last)
		fputs(cut, f); /* no trailing blanks */
	else
		fprintf(f, "%s%*s", cut, (int)pad, "");
	free(cut);
}

static void print_row(const table *t, FILE *f, char **row, const size_t *widths)
{
	int col;

	for (col = 0; col < t->ncols; col++) {
		if (col > 0)
			fprintf(f, "%*s", GAP, "");
		print_cell(f, row[col], widths[col], t->align[col] == 'r', col == t->ncols - 1);
	}
	fputc('\n', f);
}

void table_print(table *t, FILE *f, int width)
{
	size_t *widths = xmalloc(sizeof(size_t) * (size_t)t->ncols);
	size_t used = 0, i, last = (size_t)t->ncols - 1;
	int col;

	for (col = 0; col < t->ncols; col++) {
		widths[col] = column_width(t, col);
		if ((size_t)col < last)
			used += widths[col] + GAP;
	}
	/* The last column gets what is left, but never less than its header
	 * or 10 columns: a narrow terminal wraps rather than shows nothing. */
	if (width > 0 && used + widths[last] > (size_t)width) {
		size_t room = (size_t)width > used ? (size_t)width - used : 0;
		size_t least = text_width(t->header[last]) > 10 ? text_width(t->header[last]) : 10;

		widths[last] = room > least ? room : least;
	}
	print_row(t, f, t->header, widths);
	for (i = 0; i < t->nrows; i++)
		print_row(t, f, t->rows[i], widths);
	free(widths);
}

void table_free(table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows; i++)
		free_row(t->ncols, t->rows[i]);
	free(t->rows);
	free_row(t->ncols, t->header);
	free(t->align);
	free(t->max);
	free(t);
}
