/*
 * table.c - aligned text tables, and whether output gets colour.  Rows are
 * kept until printing because column widths depend on the rows (all of
 * them, or a streamed table's first block: see below).  Cells are
 * cleaned on the way in, so a stored message can neither break the layout
 * nor drive the terminal.  A cell's colour is kept beside its text, never
 * in it: widths are measured on the text alone, and the escape sequences
 * are written around the cut text, outside the padding.
 *
 * A long listing streams (table_stream): rows go out a block at a time, the
 * first block setting the widths.  A later, wider cell widens its column
 * from its block on when nothing is cut (a pipe), and is cut with "…" on a
 * terminal, whose fitted widths stay; so `list | head` does not wait for
 * the whole table, and memory stays one block.
 *
 * Fitting (table_print with a width, that is on a terminal): columns with
 * a drop rank go first, lowest rank first, while the last column (the
 * title) would get fewer than TITLE_ROOM columns; then the last column
 * takes what is left, cut with "…" (or wrapped between words, for a table
 * whose last column must be read whole: table_wrap_last).  Without a width (a pipe, a file)
 * nothing is dropped or cut, not even to a column's max.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define GAP 2         /* spaces between columns */
#define TITLE_ROOM 20 /* what the last column is worth dropping others for */
#define TITLE_LEAST 10 /* below this, a too narrow terminal wraps instead */

struct table {
	int ncols;
	char **header;
	char *align;
	int *max;
	int *drop; /* rank per column: 0 kept, else dropped lowest first */
	int wrap;  /* table_wrap_last: the last column wraps instead of being cut */
	char ***rows;
	const char ***styles; /* per row: NULL, or a style per cell (NULL: plain) */
	size_t nrows, cap;
	/* table_stream: where and how wide, and the rows a block holds. */
	FILE *stream;
	int stream_width;
	size_t block;
	size_t *widths; /* once a block is out: the widths it had */
};

/* ---- colour ---- */

/* --color: -1 when not given (the environment decides). */
static int color_option = -1;

int color_set_option(const char *when)
{
	if (strcmp(when, "always") == 0)
		color_option = COLOR_ALWAYS;
	else if (strcmp(when, "never") == 0)
		color_option = COLOR_NEVER;
	else if (strcmp(when, "auto") == 0)
		color_option = COLOR_AUTO;
	else
		return -1;
	return 0;
}

int color_enabled(FILE *f)
{
	const char *no = getenv("NO_COLOR"), *force = getenv("BUGTRACK_COLOR");
	const char *term = getenv("TERM");
	int fd = fileno(f);

	/* The command line beats the environment, as no-color.org asks. */
	if (color_option == COLOR_ALWAYS)
		return 1;
	if (color_option == COLOR_NEVER)
		return 0;
	if (no && *no) /* https://no-color.org: set and not empty */
		return 0;
	if (color_option < 0 && force && strcmp(force, "always") == 0)
		return 1;
	if (color_option < 0 && force && strcmp(force, "never") == 0)
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
	t->drop = xmalloc(sizeof(int) * (size_t)ncols);
	memset(t->drop, 0, sizeof(int) * (size_t)ncols);
	return t;
}

void table_wrap_last(table *t)
{
	t->wrap = 1;
}

void table_drop_order(table *t, const int *rank)
{
	memcpy(t->drop, rank, sizeof(int) * (size_t)t->ncols);
	t->drop[t->ncols - 1] = 0; /* the last column shrinks instead */
}

static void print_block(table *t, FILE *f, int width);

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
	if (t->stream && t->nrows >= t->block)
		print_block(t, t->stream, t->stream_width);
}

void table_stream(table *t, FILE *f, int width, size_t block)
{
	t->stream = f;
	t->stream_width = width;
	t->block = block;
}

void table_add(table *t, const char *const *cells)
{
	table_add_styled(t, cells, NULL);
}

/* The width of column @p col over the header and every row, capped to
 * its max when @p capped. */
static size_t column_width(const table *t, int col, int capped)
{
	size_t w = text_width(t->header[col]), i, cw;

	for (i = 0; i < t->nrows; i++) {
		cw = text_width(t->rows[i][col]);
		if (cw > w)
			w = cw;
	}
	if (capped && t->max[col] > 0 && w > (size_t)t->max[col])
		w = (size_t)t->max[col];
	return w;
}

/* @p style (when @p color) wraps the text only, so the padding is the
 * same with and without colour. */
static void print_cell(FILE *f, const char *text, size_t width, int right, int last,
		       int color, const char *style)
{
	char *cut = text_truncate(text, width);
	size_t w = text_width(cut), pad = width > w ? width - w : 0;

	if (right)
		fprintf(f, "%*s", (int)pad, "");
	color_fputs(f, color, style, cut);
	if (!right && !last) /* no trailing blanks */
		fprintf(f, "%*s", (int)pad, "");
	free(cut);
}

void fput_wrapped(FILE *f, const char *text, size_t width, size_t indent, int color,
		  const char *style)
{
	for (;;) {
		size_t n = text_wrap(text, width);
		char *piece = xmalloc(n + 1);

		memcpy(piece, text, n);
		piece[n] = '\0';
		color_fputs(f, color, style, piece);
		free(piece);
		text += n;
		while (*text == ' ')
			text++;
		if (!*text)
			break;
		fprintf(f, "\n%*s", (int)indent, "");
	}
}

/* Columns whose width is 0 are dropped (a shown column is at least as wide
 * as its header, and no header is empty). */
static void print_row(const table *t, FILE *f, char **row, const char **styles,
		      const size_t *widths, int last, int color)
{
	int col, first = 1;
	size_t at = 0; /* the column the cursor is at */

	for (col = 0; col < t->ncols; col++) {
		const char *style = styles ? styles[col] : NULL;

		if (widths[col] == 0)
			continue;
		if (!first)
			fprintf(f, "%*s", GAP, ""), at += GAP;
		first = 0;
		if (col == last && t->wrap && text_width(row[col]) > widths[col])
			fput_wrapped(f, row[col], widths[col], at, color, style);
		else
			print_cell(f, row[col], widths[col], t->align[col] == 'r', col == last,
				   color, style);
		at += widths[col];
	}
	fputc('\n', f);
}

/* The width every column but the last takes, gaps included. */
static size_t others_width(const table *t, const size_t *widths)
{
	size_t used = 0;
	int col;

	for (col = 0; col < t->ncols - 1; col++)
		if (widths[col] > 0)
			used += widths[col] + GAP;
	return used;
}

/* The lowest-ranked column still shown, or -1. */
static int next_to_drop(const table *t, const size_t *widths)
{
	int col, best = -1;

	for (col = 0; col < t->ncols - 1; col++)
		if (t->drop[col] > 0 && widths[col] > 0 && (best < 0 || t->drop[col] < t->drop[best]))
			best = col;
	return best;
}

/* Fits the widths to @p width (see the top of the file). */
static void fit(const table *t, size_t *widths, size_t width)
{
	int last = t->ncols - 1, col;
	size_t natural = widths[last], header = text_width(t->header[last]);
	size_t room = natural < TITLE_ROOM ? natural : TITLE_ROOM;
	size_t least = header > TITLE_LEAST ? header : TITLE_LEAST;
	size_t used;

	if (room < header)
		room = header;
	while (others_width(t, widths) + room > width && (col = next_to_drop(t, widths)) >= 0)
		widths[col] = 0;
	used = others_width(t, widths);
	if (used + natural > width) {
		size_t left = width > used ? width - used : 0;

		if (least > natural)
			least = natural;
		widths[last] = left > least ? left : least;
	}
}

/* The widths of the rows held: each column's widest cell, fitted to @p
 * width when it is > 0 (a terminal). */
static void measure(const table *t, size_t *widths, int width)
{
	int col;

	for (col = 0; col < t->ncols; col++)
		widths[col] = column_width(t, col, width > 0);
	if (width > 0) /* uncapped otherwise: as wide as the widest cell */
		fit(t, widths, (size_t)width);
}

/* Streaming: print the rows held, and let them go.  The first block
 * prints the header and sets the widths; a later one keeps them, widened
 * to a wider cell when nothing is cut (see the top of the file). */
static void print_block(table *t, FILE *f, int width)
{
	size_t i;
	int col, color = color_enabled(f);

	if (!t->widths) {
		t->widths = xmalloc(sizeof(size_t) * (size_t)t->ncols);
		measure(t, t->widths, width);
		print_row(t, f, t->header, NULL, t->widths, t->ncols - 1, color);
	} else if (width <= 0) {
		for (col = 0; col < t->ncols; col++) {
			size_t w = column_width(t, col, 0);

			if (w > t->widths[col])
				t->widths[col] = w;
		}
	}
	for (i = 0; i < t->nrows; i++) {
		print_row(t, f, t->rows[i], t->styles[i], t->widths, t->ncols - 1, color);
		free_row(t->ncols, t->rows[i]);
		free(t->styles[i]);
	}
	t->nrows = 0;
}

void table_print(table *t, FILE *f, int width)
{
	size_t *widths;
	size_t i;
	int color;

	if (t->stream) { /* the last block */
		print_block(t, f, width);
		return;
	}
	widths = xmalloc(sizeof(size_t) * (size_t)t->ncols);
	color = color_enabled(f);
	measure(t, widths, width);
	print_row(t, f, t->header, NULL, widths, t->ncols - 1, color);
	for (i = 0; i < t->nrows; i++)
		print_row(t, f, t->rows[i], t->styles[i], widths, t->ncols - 1, color);
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
	free(t->widths);
	free_row(t->ncols, t->header);
	free(t->align);
	free(t->max);
	free(t->drop);
	free(t);
}
