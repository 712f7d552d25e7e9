/*
 * errno_args.c - recognising the C library's error text among a printf
 * line's arguments.  bt_log(db, lvl, "fs", "open %s: %s", path,
 * strerror(errno)) carries its errno only as text; were it left there,
 * ELOOP, ENAMETOOLONG and ENOTDIR would share a ticket.  The text of every
 * named errno is tabled once (in the locale of the first call that needs
 * it), and a %s argument that equals one gives the line its errno.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "errno_args.h"
#include "internal.h"

/* errno values tried when the table is built: every name the C library
 * knows below this (glibc's highest is 133). */
#define ERRNO_SCAN 256
#define TEXT_MAX 64
#define BUCKETS 256 /* a power of two above the ~130 named errnos */

static struct {
	short err;       /* 0: empty bucket */
	unsigned char len;
	char text[TEXT_MAX];
} table[BUCKETS];
static size_t longest;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static unsigned int hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h & (BUCKETS - 1);
}

static void build_table(void)
{
	int e;

	for (e = 1; e < ERRNO_SCAN; e++) {
		/* glibc's strerror returns its static text for a known errno,
		 * so this is safe beside other threads' calls. */
		const char *text = bti_errno_name(e) ? strerror(e) : NULL;
		size_t len = text ? strlen(text) : 0;
		unsigned int b;

		if (!len || len >= TEXT_MAX)
			continue;
		for (b = hash(text, len);; b = (b + 1) & (BUCKETS - 1)) {
			if (!table[b].err)
				break;
			if (table[b].len == len && memcmp(table[b].text, text, len) == 0)
				goto next; /* a synonym (EWOULDBLOCK): the first name wins */
		}
		table[b].err = (short)e;
		table[b].len = (unsigned char)len;
		memcpy(table[b].text, text, len + 1);
		if (len > longest)
			longest = len;
next:;
	}
}

static int errno_of_text(const char *s)
{
	size_t len;
	unsigned int b;

	if (!s)
		return 0;
	len = strnlen(s, longest + 1);
	if (len == 0 || len > longest)
		return 0;
	for (b = hash(s, len); table[b].err; b = (b + 1) & (BUCKETS - 1))
		if (table[b].len == len && memcmp(table[b].text, s, len) == 0)
			return table[b].err;
	return 0;
}

/* Flags, width, precision and length: what stands between '%' and the
 * conversion.  A hand test, not strspn(), whose set costs more than the
 * short runs it skips on this hot path. */
static int is_spec(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == ' ' || c == '#' ||
	       c == '\'' || c == '.' || c == '*' || c == 'h' || c == 'l' || c == 'L' ||
	       c == 'q' || c == 'j' || c == 'z' || c == 't';
}

int bti_format_may_carry_errno(const char *fmt)
{
	const char *p;

	for (p = fmt ? strchr(fmt, '%') : NULL; p; p = strchr(p + 1, '%')) {
		p++;
		while (is_spec(*p))
			p++;
		if (*p == 's' || *p == 'm')
			return 1;
		if (!*p)
			return 0;
	}
	return 0;
}

/* The length modifiers, by what they make va_arg read. */
enum { LEN_NONE, LEN_L, LEN_LL, LEN_J, LEN_Z, LEN_T, LEN_BIG_L };

static int walk(const char *fmt, va_list ap, int saved_errno)
{
	const char *p = fmt;

	while ((p = strchr(p, '%')) != NULL) {
		int len = LEN_NONE, e;

		p++;
		if (*p == '%') {
			p++;
			continue;
		}
		while (*p == '-' || *p == '+' || *p == ' ' || *p == '#' || *p == '0' || *p == '\'')
			p++;
		if (*p >= '1' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++;
			if (*p == '$')
				return 0; /* positional: not walked */
		} else if (*p == '*') {
			(void)va_arg(ap, int);
			p++;
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				(void)va_arg(ap, int);
				p++;
			} else {
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		switch (*p) {
		case 'h': p += p[1] == 'h' ? 2 : 1; break;
		case 'l': if (p[1] == 'l') { len = LEN_LL; p += 2; } else { len = LEN_L; p++; } break;
		case 'q': len = LEN_LL; p++; break;
		case 'j': len = LEN_J; p++; break;
		case 'z': len = LEN_Z; p++; break;
		case 't': len = LEN_T; p++; break;
		case 'L': len = LEN_BIG_L; p++; break;
		default: break;
		}
		switch (*p) {
		case 'd': case 'i': case 'o': case 'u': case 'x': case 'X': case 'c': case 'C':
			if (len == LEN_LL)
				(void)va_arg(ap, long long);
			else if (len == LEN_L)
				(void)va_arg(ap, long);
			else if (len == LEN_J)
				(void)va_arg(ap, intmax_t);
			else if (len == LEN_Z)
				(void)va_arg(ap, size_t);
			else if (len == LEN_T)
				(void)va_arg(ap, ptrdiff_t);
			else
				(void)va_arg(ap, int); /* wint_t promotes to int or wider-equal */
			break;
		case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
			if (len == LEN_BIG_L)
				(void)va_arg(ap, long double);
			else
				(void)va_arg(ap, double);
			break;
		case 's':
			if (len == LEN_L) {
				(void)va_arg(ap, void *);
				break;
			}
			e = errno_of_text(va_arg(ap, const char *));
			if (e)
				return e;
			break;
		case 'S': case 'p': case 'n':
			(void)va_arg(ap, void *);
			break;
		case 'm':
			if (saved_errno)
				return saved_errno;
			break;
		default:
			return 0; /* not understood: stop before reading a wrong type */
		}
		p++;
	}
	return 0;
}

int bti_format_errno(const char *fmt, va_list ap, int saved_errno)
{
	va_list copy;
	int e;

	if (!bti_format_may_carry_errno(fmt))
		return 0;
	pthread_once(&table_once, build_table);
	va_copy(copy, ap);
	e = walk(fmt, copy, saved_errno);
	va_end(copy);
	return e;
}
