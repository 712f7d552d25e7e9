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
#include "json.h"
#include "text.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
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

/* Where @text (@len bytes) stops being one JSON value: NULL when it is
 * one, else the first byte that cannot be read (@text + @len when the text
 * ends too early). */
static const char *invalid_at(const char *text, size_t len)
{
	char open[BTI_JSON_MAX_DEPTH]; /* '{' or '[' per open container */
	const char *s = text, *end = text + len, *at;
	int depth = 0;

	for (;;) {
		/* A value is expected. */
		s = skip_ws(s, end);
		if (s >= end)
			return end;
		if (*s == '{' || *s == '[') {
			if (depth == BTI_JSON_MAX_DEPTH)
				return s;
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
		at = s;
		if (!(s = scalar_end(s, end)))
			return at;
after_value:
		/* Close what ends here; then a comma, or the end. */
		for (;;) {
			s = skip_ws(s, end);
			if (depth == 0)
				return s == end ? NULL : s;
			if (s >= end)
				return end;
			if (*s == ',') {
				s++;
				if (open[depth - 1] == '[')
					break;
				goto key;
			}
			if (*s != (open[depth - 1] == '{' ? '}' : ']'))
				return s;
			s++;
			depth--;
		}
		continue;
key:
		s = skip_ws(s, end);
		at = s;
		if (s >= end || *s != '"' || !(s = string_end(s, end)))
			return at;
		s = skip_ws(s, end);
		if (s >= end || *s != ':')
			return s;
		s++;
	}
}

int bti_json_valid(const char *text, size_t len)
{
	return text && !invalid_at(text, len);
}

size_t bti_json_error_offset(const char *text, size_t len)
{
	const char *at = text ? invalid_at(text, len) : NULL;

	return at ? (size_t)(at - text) : (size_t)-1;
}

/* ---- reading (import) ----
 *
 * Every function below validates its input first, so the scanning that
 * follows can take each token as well formed. */

/* Past the value at @s (which is valid JSON). */
static const char *value_end(const char *s, const char *end)
{
	int depth = 0;

	if (*s != '{' && *s != '[')
		return scalar_end(s, end);
	for (; s < end; s++) {
		if (*s == '"')
			s = string_end(s, end) - 1;
		else if (*s == '{' || *s == '[')
			depth++;
		else if ((*s == '}' || *s == ']') && --depth == 0)
			return s + 1;
	}
	return end;
}

static unsigned hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)s[i];

		v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

/* Decode the string token [s, e) (quotes included) into @o, which has room
 * for e - s bytes: no escape decodes longer than it is written.  Returns
 * the length; @o is NUL-terminated. */
static size_t decode_string(const char *s, const char *e, char *o)
{
	char *start = o;

	for (s++, e--; s < e; s++) {
		unsigned cp;

		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 'b': *o++ = '\b'; continue;
		case 'f': *o++ = '\f'; continue;
		case 'n': *o++ = '\n'; continue;
		case 'r': *o++ = '\r'; continue;
		case 't': *o++ = '\t'; continue;
		case 'u': break;
		default: *o++ = *s; continue; /* " \ / */
		}
		cp = hex4(s + 1);
		s += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && e - s > 6 && s[1] == '\\' && s[2] == 'u') {
			unsigned lo = hex4(s + 3);

			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
		}
		/* A NUL would end the text; a lone surrogate is no character. */
		if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
			cp = 0xfffd;
		o += bti_utf8_put(cp, o);
	}
	*o = '\0';
	return (size_t)(o - start);
}

/* Copy the valid value [s, e) into @o without whitespace between tokens;
 * strings and numbers stay as written, but for \u0000, written \ufffd as
 * decoding gives it.  Returns the length; @o is NUL-terminated. */
static size_t minify(const char *s, const char *e, char *o)
{
	char *start = o;

	while (s < e) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			s++;
		} else if (*s == '"') {
			const char *q = string_end(s, e);

			for (; s < q; s++) {
				*o++ = *s;
				if (*s == '\\' && s[1] == 'u' && memcmp(s + 2, "0000", 4) == 0) {
					memcpy(o, "ufffd", 5);
					o += 5;
					s += 5;
				} else if (*s == '\\') {
					*o++ = *++s;
				}
			}
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return (size_t)(o - start);
}

/* The type of the valid value at @s, ending at @e. */
static int type_at(const char *s, const char *e)
{
	switch (*s) {
	case '{': return BTI_JSON_OBJECT;
	case '[': return BTI_JSON_ARRAY;
	case '"': return BTI_JSON_TEXT;
	case 't': return BTI_JSON_TRUE;
	case 'f': return BTI_JSON_FALSE;
	case 'n': return BTI_JSON_NULL;
	default:
		for (; s < e; s++)
			if (*s == '.' || *s == 'e' || *s == 'E')
				return BTI_JSON_REAL;
		return BTI_JSON_INTEGER;
	}
}

int bti_json_type(const char *json, size_t len)
{
	const char *end = json + len, *s;

	if (!bti_json_valid(json, len))
		return BTI_JSON_INVALID;
	s = skip_ws(json, end);
	return type_at(s, value_end(s, end));
}

/* JSON's decimal point is '.', whatever locale the host set (strtod
 * follows LC_NUMERIC: under de_DE "1.5" would read as 1).  A C locale
 * object is made once; without one, the host locale's decimal point is
 * written into the copy instead. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static double c_strtod(char *buf)
{
	const char *point;
	char *dot;

	pthread_once(&c_locale_once, make_c_locale);
	if (c_locale)
		return strtod_l(buf, NULL, c_locale);
	point = localeconv()->decimal_point;
	if ((dot = strchr(buf, '.')) && point && point[0] && !point[1])
		*dot = point[0];
	return strtod(buf, NULL);
}

/* Fill @it from the value [s, e), using @buf (room for e - s + 1 bytes). */
static void read_value(const char *s, const char *e, char *buf, bti_json_item *it)
{
	it->type = type_at(s, e);
	switch (it->type) {
	case BTI_JSON_TEXT:
		it->len = decode_string(s, e, buf);
		it->text = buf;
		break;
	case BTI_JSON_ARRAY:
	case BTI_JSON_OBJECT:
		it->len = minify(s, e, buf);
		it->text = buf;
		break;
	case BTI_JSON_INTEGER:
	case BTI_JSON_REAL:
		memcpy(buf, s, (size_t)(e - s));
		buf[e - s] = '\0';
		it->real = c_strtod(buf);
		if (it->type == BTI_JSON_INTEGER) {
			errno = 0;
			it->integer = strtoll(buf, NULL, 10);
			it->exact = errno != ERANGE;
		}
		break;
	default:
		break;
	}
}

/* The members (elements) of the valid container at @s, one by one: *key
 * and *key_end frame a member's name token (NULL for an element), and the
 * value is [*v, *v_end).  Returns the position after them, or NULL at the
 * container's end. */
static const char *next_member(const char *s, const char *end, int object, const char **key,
			       const char **key_end, const char **v, const char **v_end)
{
	s = skip_ws(s, end);
	if (*s == ',')
		s = skip_ws(s + 1, end);
	if (*s == '}' || *s == ']')
		return NULL;
	*key = *key_end = NULL;
	if (object) {
		*key = s;
		*key_end = string_end(s, end);
		s = skip_ws(skip_ws(*key_end, end) + 1, end); /* past ':' */
	}
	*v = s;
	*v_end = value_end(s, end);
	return *v_end;
}

int bti_json_each(const char *json, size_t len, bti_json_visit_fn fn, void *payload)
{
	const char *end = json + len, *s, *k, *ke, *v, *ve;
	char *key_buf = NULL, *val_buf = NULL;
	bti_json_item it;
	int64_t index = 0;
	int object, rc = BT_OK;

	s = skip_ws(json, end);
	if (!bti_json_valid(json, len) || (*s != '{' && *s != '['))
		return bti_error(BT_EINVALID, "not a JSON object or array");
	object = *s == '{';
	key_buf = bti_malloc(len + 1);
	val_buf = bti_malloc(len + 1);
	if (!key_buf || !val_buf)
		rc = bti_error(BT_ENOMEM, "reading JSON: out of memory");
	for (s++; rc == BT_OK && (s = next_member(s, end, object, &k, &ke, &v, &ve)); ) {
		memset(&it, 0, sizeof(it));
		it.index = index++;
		if (k) {
			decode_string(k, ke, key_buf);
			it.key = key_buf;
		}
		read_value(v, ve, val_buf, &it);
		rc = fn(&it, payload);
	}
	bti_free(key_buf);
	bti_free(val_buf);
	return rc;
}

int bti_json_remove(const char *json, size_t len, const char *const *names, size_t n,
		    char **out)
{
	const char *end = json + len, *s, *k, *ke, *v, *ve;
	char *buf, *key, *o;
	size_t i;
	int keep;

	*out = NULL;
	s = skip_ws(json, end);
	if (!bti_json_valid(json, len) || *s != '{')
		return bti_error(BT_EINVALID, "not a JSON object");
	buf = bti_malloc(len + 2);
	key = bti_malloc(len + 1);
	if (!buf || !key) {
		bti_free(buf);
		bti_free(key);
		return bti_error(BT_ENOMEM, "reading JSON: out of memory");
	}
	o = buf;
	*o++ = '{';
	for (s++; (s = next_member(s, end, 1, &k, &ke, &v, &ve)); ) {
		decode_string(k, ke, key);
		keep = 1;
		for (i = 0; i < n && keep; i++)
			keep = strcmp(key, names[i]) != 0;
		if (!keep)
			continue;
		if (o > buf + 1)
			*o++ = ',';
		o += minify(k, ke, o);
		*o++ = ':';
		o += minify(v, ve, o);
	}
	*o++ = '}';
	*o = '\0';
	bti_free(key);
	*out = buf;
	return BT_OK;
}
