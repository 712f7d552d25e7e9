/*
 * text.c - text helpers: UTF-8 decoding, making stored text safe to print
 * (error messages come from anywhere and may hold terminal escapes), the
 * terminal's width, and UTC time formatting.  Display widths are width.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p) {
		/* Not cli_error(): it allocates to clean the message. */
		fputs("bugtrack: out of memory\n", stderr);
		exit(EXIT_ERROR);
	}
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t need, i;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2, v = s[0] & 0x1F, min = 0x80;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3, v = s[0] & 0x0F, min = 0x800;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF. */
	if (v < min || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return 0;
	*cp = v;
	return need;
}

char *text_clean(const char *s, int keep_newlines)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p), i = 0, o = 0, n;
	/* Each input byte becomes at most the 3 bytes of U+FFFD. */
	char *out = xmalloc(len * 3 + 1);
	uint32_t cp;

	while (i < len) {
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			memcpy(out + o, replacement, 3), o += 3, i++;
		} else if (cp == '\n' && keep_newlines) {
			out[o++] = '\n', i++;
		} else if (cp == '\t' || cp == '\n' || cp == '\r') {
			out[o++] = ' ', i++;
		} else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
			/* C0 and C1 controls could drive the terminal. */
			memcpy(out + o, replacement, 3), o += 3, i += n;
		} else {
			memcpy(out + o, p + i, n), o += n, i += n;
		}
	}
	out[o] = '\0';
	return out;
}

static int utc(int64_t ms, struct tm *tm)
{
	/* Floor division, so times before 1970 still format. */
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));

	return gmtime_r(&secs, tm) != NULL;
}

/* Tables show local time (TZ), as journalctl does, unless --utc. */
static int times_in_utc;

void time_display_utc(int on)
{
	times_in_utc = on;
}

/* @p ms as the broken-down time that tables show. */
static int shown(int64_t ms, struct tm *tm)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));

	static int zone_read;

	if (times_in_utc)
		return utc(ms, tm);
	if (!zone_read) { /* once: each tzset() stats /etc/localtime again */
		tzset();
		zone_read = 1;
	}
	return localtime_r(&secs, tm) != NULL;
}

void format_time_zone(int64_t ms, char *buf, size_t size)
{
	struct tm tm;

	if (times_in_utc || !shown(ms, &tm) || strftime(buf, size, "%Z", &tm) == 0)
		snprintf(buf, size, "UTC");
}

void format_time(int64_t ms, int seconds, char *buf, size_t size)
{
	struct tm tm;

	if (ms == 0 || !shown(ms, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	if (seconds)
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* @p v as @p n zero-padded digits at @p p; the end. */
static char *digits(char *p, int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

void format_iso(int64_t ms, char *buf, size_t size)
{
	struct tm tm;
	char date[32];

	if (ms == 0 || !utc(ms, &tm)) {
		snprintf(buf, size, "%s", "");
		return;
	}
	/* By hand for years 0 to 9999: strftime and snprintf per time were a
	 * tenth of `list --json`. */
	if (size > 24 && tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900) {
		char *p = digits(buf, tm.tm_year + 1900, 4);

		*p++ = '-';
		p = digits(p, tm.tm_mon + 1, 2);
		*p++ = '-';
		p = digits(p, tm.tm_mday, 2);
		*p++ = 'T';
		p = digits(p, tm.tm_hour, 2);
		*p++ = ':';
		p = digits(p, tm.tm_min, 2);
		*p++ = ':';
		p = digits(p, tm.tm_sec, 2);
		*p++ = '.';
		p = digits(p, (int)(((ms % 1000) + 1000) % 1000), 3);
		*p++ = 'Z';
		*p = '\0';
		return;
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", date, (int)(((ms % 1000) + 1000) % 1000));
}

int output_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	int tty = stdout_terminal_fd(); /* the pager's terminal too */
	char *end;
	long n;

	/* A pipe or a file is read by programs (grep, cut): never cut it. */
	if (tty < 0)
		return 0;
	if (ioctl(tty, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	/* A terminal that does not know its size (a serial line). */
	if (env && *env) {
		n = strtol(env, &end, 10);
		if (*end == '\0' && n > 0 && n < 100000)
			return (int)n;
	}
	return 80;
}
