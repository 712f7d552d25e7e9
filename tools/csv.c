/*
 * csv.c - CSV fields as RFC 4180 has them, for `bugtrack export`.
 */
#include <string.h>

#include "cli.h"

/* Runs of bytes that need no change are written whole: a write per
 * character made `export tickets` of 100,000 tickets take seconds. */
void csv_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, run = 0, n;
	uint32_t cp;
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		fputc('"', f);
	while (i < len) {
		if (p[i] < 0x80 && p[i] != '"') {
			i++;
			continue;
		}
		n = p[i] < 0x80 ? 1 : utf8_decode(p + i, len - i, &cp);
		if (n != 0 && p[i] != '"') {
			i += n;
			continue;
		}
		fwrite(p + run, 1, i - run, f);
		/* U+FFFD for one invalid byte; a quote doubled */
		fputs(n == 0 ? "\xEF\xBF\xBD" : "\"\"", f);
		run = ++i;
	}
	fwrite(p + run, 1, i - run, f);
	if (quote)
		fputc('"', f);
}
