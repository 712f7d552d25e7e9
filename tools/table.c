/*
 * table.c - aligned text tables, and whether output gets colour.  Rows are
 * kept until printing because column widths depend on every row.  Cells are
 * cleaned on the way in, so a stored message can neither break the layout
 * nor drive the terminal.  A cell's colour is kept beside its text, never
 * in it: widths are measured on the text alone, and the escape sequences
 * are written around the cut text, outside the padding.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define GAP 2 /* spaces between columns */

struct table {
	int ncols;
	char **header;
	char *align;
	int *max;
	char ***rows;
	const char ***styles; /* per row: NULL, or a style per cell (NULL: plain) */
	size_t nrows, cap;
};

/* ---- colour ---- */

int color_enabled(FILE *f)
{
	const char *no = getenv("NO_COLOR"), *force = getenv("BUGTRACK_COLOR");
	const char *term = getenv("TERM");
	int fd = fileno(f);

	if (no && *no) /* https://no-color.org: set and not empty */
		return 0;
	if (force && strcmp(force, "always") == 0)
		return 1;
	if (force && strcmp(force, "never") == 0)
		return 0;
	if (term && strcmp(term, "dumb") == 0)
		return 0;
	if (fd == STDOUT_FILENO)
		return stdout_terminal_fd() >= 0; /* also through the pager */
	return fd >= 0 && isatty(fd);
}

void color_fputs(FILE *f, int color, const char *style, const char *text)
{
	if (color && style)
		fprintf(f, "\033[%sm%s\033[0m", style, text);
	else
		fputs(text, f);
}

/* ---- tables ---- */

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

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		cli_error("out of memory");
		exit(EXIT_ERROR);
	}
	return p;
}

void table_add_styled(table *t, const char *const *cells, const char *const *styles)
{
	const char **copy = NULL;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->rows = xrealloc(t->rows, sizeof(*t->rows) * t->cap);
		t->styles = xrealloc(t->styles, sizeof(*t->styles) * t->cap);
	}
	if (styles) {
		copy = xmalloc(sizeof(*copy) * (size_t)t->ncols);
		memcpy(copy, styles, sizeof(*copy) * (size_t)t->ncols);
	}
	t->styles[t->nrows] = copy;
	t->rows[t->nrows++] = clean_row(t->ncols, cells);
}

void table_add(table *t, const char *const *cells)
{
	table_add_styled(t, cells, NULL);
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

/* @p style (when @p color) wraps the text only, so the padding is the
 * same with and without colour. */
static void print_cell(FILE *f, const char *text, size_t width, int right, int last,
		       int color, const char *style)
{
	char *cut = text_truncate(text, width);
	size_t pad = width - text_width(cut);

	if (right)
		fprintf(f, "%*s", (int)pad, "");
	color_fputs(f, color, style, cut);
	if (!right && !last) /* no trailing blanks */
		fprintf(f, "%*s", (int)pad, "");
	free(cut);
}

static void print_row(const table *t, FILE *f, char **row, const char **styles,
		      const size_t *widths, int color)
{
	int col;

	for (col = 0; col < t->ncols; col++) {
		if (col > 0)
			fprintf(f, "%*s", GAP, "");
		print_cell(f, row[col], widths[col], t->align[col] == 'r', col == t->ncols - 1,
			   color, styles ? styles[col] : NULL);
	}
	fputc('\n', f);
}

void table_print(table *t, FILE *f, int width)
{
	size_t *widths = xmalloc(sizeof(size_t) * (size_t)t->ncols);
	size_t used = 0, i, last = (size_t)t->ncols - 1;
	int col, color = color_enabled(f);

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
	print_row(t, f, t->header, NULL, widths, color);
	for (i = 0; i < t->nrows; i++)
		print_row(t, f, t->rows[i], t->styles[i], widths, color);
	free(widths);
}

void table_free(table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows; i++) {
		free_row(t->ncols, t->rows[i]);
		free(t->styles[i]);
	}
	free(t->rows);
	free(t->styles);
	free_row(t->ncols, t->header);
	free(t->align);
	free(t->max);
	free(t);
}
