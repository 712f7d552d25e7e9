/*
 * csv.c - CSV fields as RFC 4180 has them, for `bugtrack export`.
 */
#include <string.h>

#include "cli.h"

void csv_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		fputc('"', f);
	while (i < len) {
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			fputs("\xEF\xBF\xBD", f); /* U+FFFD for one invalid byte */
			i++;
			continue;
		}
		if (cp == '"')
			fputc('"', f);
		fwrite(p + i, 1, n, f);
		i += n;
	}
	if (quote)
		fputc('"', f);
}
