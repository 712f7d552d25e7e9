/*
 * A strict JSON validator (RFC 8259), so that capture can tell a host its
 * context is not JSON on the host's own thread, without a database round
 * trip and without the handle's lock.
 *
 * Iterative, with the open containers kept in a fixed array: a host thread
 * may have a small stack, and hostile input must not be able to recurse
 * into it.  Deeper nesting than BTI_JSON_MAX_DEPTH is refused.
 */
#include "internal.h"

#include <string.h>

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Past a string whose opening quote is at @s, or NULL.  Bytes >= 0x80 are
 * taken as they come: the text was made valid UTF-8 before it got here. */
static const char *string_end(const char *s, const char *end)
{
	for (s++; s < end; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"')
			return s + 1;
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (++s >= end)
			return NULL;
		switch (*s) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			break;
		case 'u':
			if (end - s < 5 || !is_hex((unsigned char)s[1]) || !is_hex((unsigned char)s[2]) ||
			    !is_hex((unsigned char)s[3]) || !is_hex((unsigned char)s[4]))
				return NULL;
			s += 4;
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static const char *digits(const char *s, const char *end)
{
	const char *start = s;

	while (s < end && *s >= '0' && *s <= '9')
		s++;
	return s > start ? s : NULL;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *number_end(const char *s, const char *end)
{
	if (s < end && *s == '-')
		s++;
	if (s < end && *s == '0')
		s++;
	else if (!(s = digits(s, end)))
		return NULL;
	if (s < end && *s == '.' && !(s = digits(s + 1, end)))
		return NULL;
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (!(s = digits(s, end)))
			return NULL;
	}
	return s;
}

static const char *word_end(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - s) >= n && memcmp(s, word, n) == 0 ? s + n : NULL;
}

/* Past the scalar at @s, or NULL. */
static const char *scalar_end(const char *s, const char *end)
{
	switch (*s) {
	case '"': return string_end(s, end);
	case 't': return word_end(s, end, "true");
	case 'f': return word_end(s, end, "false");
	case 'n': return word_end(s, end, "null");
	default: return number_end(s, end);
	}
}

int bti_json_valid(const char *text, size_t len)
{
	char open[BTI_JSON_MAX_DEPTH]; /* '{' or '[' per open container */
	const char *s = text, *end = text + len;
	int depth = 0;

	for (;;) {
		/* A value is expected. */
		s = skip_ws(s, end);
		if (s >= end)
			return 0;
		if (*s == '{' || *s == '[') {
			if (depth == BTI_JSON_MAX_DEPTH)
				return 0;
			open[depth++] = *s++;
			s = skip_ws(s, end);
			if (s < end && *s == (open[depth - 1] == '{' ? '}' : ']')) {
				s++;
				depth--;
				goto after_value;
			}
			if (open[depth - 1] == '[')
				continue;
			goto key;
		}
		if (!(s = scalar_end(s, end)))
			return 0;
after_value:
		/* Close what ends here; then a comma, or the end. */
		for (;;) {
			s = skip_ws(s, end);
			if (depth == 0)
				return s == end;
			if (s >= end)
				return 0;
			if (*s == ',') {
				s++;
				if (open[depth - 1] == '[')
					break;
				goto key;
			}
			if (*s != (open[depth - 1] == '{' ? '}' : ']'))
				return 0;
			s++;
			depth--;
		}
		continue;
key:
		s = skip_ws(s, end);
		if (s >= end || *s != '"' || !(s = string_end(s, end)))
			return 0;
		s = skip_ws(s, end);
		if (s >= end || *s != ':')
			return 0;
		s++;
	}
}
