/*
 * redact.c - owns what counts as a secret key and how far its value extends
 * in free text, query strings, header lines and JSON.  When in doubt it
 * redacts more: a lost word in a message is cheap, a stored password is
 * not.  Quotes and separators around a value are kept, so that JSON stays
 * valid and redacted messages still group together.
 */
#include <string.h>

#include "redact.h"
#include "sink.h"

typedef unsigned char uchar;

static const char *const default_keys[] = {
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey",
	"access_token", "refresh_token", "auth", "authorization", "cookie",
	"session", "private_key", "client_secret", NULL
};

/* Values of these hold spaces ("Bearer x", "a=1; b=2"), so unquoted they
 * run to the end of the line. */
static const char *const line_keys[] = { "authorization", "cookie", NULL };

static const char redacted[] = "[redacted]";

/* Hand-written character classes: <ctype.h> depends on the locale. */
static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int in_set(int c, const char *set)
{
	return c > 0 && strchr(set, c) != NULL; /* strchr finds the NUL too */
}

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_ident(int c) { return is_alnum(c) || in_set(c, "_-."); }
static int is_quote(int c) { return c == '"' || c == '\''; }
static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Keys compare case-insensitively, with '-' and '_' equivalent. */
static int fold(int c)
{
	return c == '-' ? '_' : c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int peek(const uchar *s, size_t n, size_t i)
{
	return i < n ? s[i] : -1;
}


/* Does the identifier id[0..n) end with @key, either whole or as the last
 * part of a compound name (db_password, X-Api-Key, user.token)? */
static int has_key_suffix(const uchar *id, size_t n, const char *key)
{
	size_t k = strlen(key);

	if (k == 0 || k > n || (k < n && !in_set(id[n - k - 1], "_-.")))
		return 0;
	id += n - k;
	for (size_t j = 0; j < k; j++)
		if (fold(id[j]) != fold((uchar)key[j]))
			return 0;
	return 1;
}

static const char *find_key(const uchar *id, size_t n, const char *const *keys)
{
	for (; *keys; keys++)
		if (has_key_suffix(id, n, *keys))
			return *keys;
	return NULL;
}

/* How a key was written: inside quotes ("password", or \"password\" in
 * JSON escaped into a string), and whether those closed right after it. */
struct key_form {
	int quote;   /* the quote before the key, or 0 */
	int escaped; /* written as \" */
	int closed;
	int json;    /* "key": value, where a bare value must become a string */
};

static size_t skip_blanks(const uchar *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Around the colon of a quoted JSON key, JSON whitespace includes line
 * breaks; in plain text a line break ends the assignment. */
static size_t skip_space(const uchar *s, size_t n, size_t i, const struct key_form *f)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' ||
			 (f->closed && (s[i] == '\n' || s[i] == '\r'))))
		i++;
	return i;
}

/* Parses what follows a key ending at @i: its closing quote, a separator
 * ('=', '=>', or ':' but not the '::' of "Session::get") and blanks.
 * Returns where the value starts, or 0 when the key is not assigned. */
static size_t separator(const uchar *s, size_t n, size_t i, struct key_form *f)
{
	int c;

	if (f->quote && peek(s, n, i + f->escaped) == f->quote &&
	    (!f->escaped || peek(s, n, i) == '\\')) {
		i += 1 + f->escaped;
		f->closed = 1;
	}
	i = skip_space(s, n, i, f);
	c = peek(s, n, i);
	if (c == '=')
		i += 1 + (peek(s, n, i + 1) == '>');
	else if (c == ':' && peek(s, n, i + 1) != ':')
		i++;
	else
		return 0;
	f->json = c == ':' && f->closed;
	return skip_space(s, n, i, f);
}

/* Is id[0..n) exactly one of @keys (not a compound name ending in one)? */
static int whole_key(const uchar *id, size_t n, const char *const *keys)
{
	for (; *keys; keys++)
		if (strlen(*keys) == n && has_key_suffix(id, n, *keys))
			return 1;
	return 0;
}

/*
 * Is a secret key assigned at @i, by its exact name and with its value set
 * apart (a blank, a quote or a bracket after the separator)?  Then an
 * unquoted value before it ends here, rather than swallow the key and
 * leave its value in clear ("f(token=a(secret: x))").  Exact names only,
 * so that a password ending in one ("hunter2_token") is not cut short.
 */
static int key_ahead(const uchar *s, size_t n, size_t i, const char *const *keys)
{
	struct key_form f = { 0 };
	size_t e, v;
	int c;

	if (i < n && is_quote(s[i])) {
		if (i > 0 && s[i - 1] == '\\')
			return 0; /* an escaped quote belongs to the value */
		f.quote = s[i++];
	}
	for (e = i; e < n && is_ident(s[e]); e++)
		;
	if (e == i || !whole_key(s + i, e - i, keys))
		return 0;
	v = separator(s, n, e, &f);
	if (!v || (f.quote && !f.closed))
		return 0;
	c = peek(s, n, v);
	return is_space(s[v - 1]) || is_quote(c) || c == '{' || c == '[';
}

/* Where the string whose opening quote @q is just before @i closes: the
 * index of the closing quote, or n if there is none.  At level 1 the string
 * sits inside another one (escaped JSON), where its quotes are written \"
 * and its backslashes \\, so each byte pair is unescaped first. */
static size_t string_end(const uchar *s, size_t n, size_t i, int q, int level)
{
	int escape = 0;

	while (i < n) {
		size_t at = i;
		int c = s[i++];

		if (level && c == '\\' && i < n)
			c = s[i++];
		else if (level && c == q)
			return at; /* the enclosing string ends first */
		if (escape)
			escape = 0;
		else if (c == '\\')
			escape = 1;
		else if (c == q)
			return at;
	}
	return n;
}

/* A quoted value keeps its quotes; only what is between them goes.  An
 * unterminated one takes everything to the end. */
static size_t redact_string(bti_sink *w, const uchar *s, size_t n, size_t i, int level)
{
	size_t open = i + 1 + level, close = string_end(s, n, open, s[open - 1], level), k;

	bti_sink_put(w, s + i, open - i);
	if (close > open)
		bti_sink_put(w, redacted, sizeof(redacted) - 1);
	if (close == n)
		return n;
	k = s[close] == '\\' ? 2 : 1;
	bti_sink_put(w, s + close, k);
	return close + k;
}

/* A JSON object or array, to its matching bracket, skipping strings. */
static size_t bracket_end(const uchar *s, size_t n, size_t i)
{
	size_t depth = 0;

	while (i < n) {
		int c = s[i++];

		if (is_quote(c))
			i = string_end(s, n, i, c, 0) + 1;
		else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return i;
	}
	return n;
}

/* An unquoted value ends at a delimiter, or for line keys at the end of
 * the line, and in both cases at the quote enclosing the whole key=value
 * ('args="password=x"'), unless that quote is escaped. */
static size_t plain_end(const uchar *s, size_t n, size_t i, const struct key_form *f, int line,
			const char *const *keys)
{
	size_t start = i;
	int open = f->quote && !f->closed;

	while (i < n) {
		int c = s[i];

		if (c == '\n' || c == '\r' || (!line && (is_space(c) || in_set(c, ",;&)]}"))))
			break;
		if (!line && i > start && !is_ident(s[i - 1]) && key_ahead(s, n, i, keys))
			break;
		if (open && (c == f->quote || (f->escaped && c == '\\' && peek(s, n, i + 1) == f->quote)))
			break;
		/* 'AWS_password="a b"' inside a value: the quoted part is one
		 * piece, or its second word would be left in clear. */
		if (!line && !open && is_quote(c) && i > start && in_set(s[i - 1], "=:")) {
			size_t q = string_end(s, n, i + 1, c, 0);

			i = q < n ? q + 1 : n;
			continue;
		}
		i += open && c == '\\' && i + 1 < n ? 2 : 1;
	}
	/* A quote ending the word most likely closes a string the key=value
	 * sits in even when the key does not show it: msg="login password=x". */
	if (!line && i > start && is_quote(s[i - 1]))
		i -= i - 1 > start && s[i - 2] == '\\' ? 2 : 1;
	return i;
}

/* Does s[i..e), a value just redacted, end with a secret key, with its
 * separator (*sep set) or without ("user.pwd = x")?  Then the value
 * swallowed that key ("password= token: x", "f(token=a(secret: x))"),
 * and the key's own value must go too. */
static const char *ends_in_key(const uchar *s, size_t i, size_t e, const char *const *keys,
			       int *sep)
{
	size_t w;

	if (e > i + 1 && s[e - 1] == '>' && s[e - 2] == '=')
		e--;
	*sep = e > i && (s[e - 1] == ':' || s[e - 1] == '=');
	e -= *sep;
	if (e > i && is_quote(s[e - 1]))
		e--;
	for (w = e; w > i && is_ident(s[w - 1]); w--)
		;
	return w < e ? find_key(s + w, e - w, keys) : NULL;
}

static int is_line_key(const char *key)
{
	return key && find_key((const uchar *)key, strlen(key), line_keys) != NULL;
}

/*
 * After a value at @e: if it swallowed a secret key (ends_in_key), or was
 * a quoted name followed by a separator ('Cookie: "sid": x', 'X-Api-Key:
 * "token": x'), redact what follows as that key's value, and so on while
 * values keep swallowing keys.  A header's value (@line: Cookie,
 * Authorization) goes to the end of the line.  This only ever redacts
 * more: nothing already redacted is given back.
 */
static size_t value_follows(bti_sink *w, const uchar *s, size_t n, size_t e, int swallowed,
			    int line, const char *const *keys)
{
	static const struct key_form plain = { 0 };

	for (;;) {
		const char *key;
		size_t v = e, end;

		if (!swallowed) {
			v = skip_blanks(s, n, v);
			if (v >= n || (s[v] != ':' && s[v] != '='))
				return e;
			v += 1 + (s[v] == '=' && peek(s, n, v + 1) == '>');
		}
		v = skip_blanks(s, n, v);
		if (v >= n || s[v] == '\n' || s[v] == '\r')
			return e;
		bti_sink_put(w, s + e, v - e);
		if (!line && is_quote(s[v])) {
			/* A quoted name may be followed by its own separator. */
			e = redact_string(w, s, n, v, 0);
			swallowed = 0;
			continue;
		}
		end = !line && (s[v] == '{' || s[v] == '[') ? bracket_end(s, n, v)
			: plain_end(s, n, v, &plain, line, keys);
		if (end == v)
			return v;
		bti_sink_put(w, redacted, sizeof(redacted) - 1);
		if (line || !(key = ends_in_key(s, v, end, keys, &swallowed)))
			return end;
		e = end;
		line = is_line_key(key);
	}
}

static void put_quote(bti_sink *w, const struct key_form *f)
{
	char q = (char)f->quote;

	if (f->escaped)
		bti_sink_put(w, "\\", 1);
	bti_sink_put(w, &q, 1);
}

/* Writes the redacted form of the value at @i; returns the end of it. */
static size_t redact_value(bti_sink *w, const uchar *s, size_t n, size_t i,
			   const struct key_form *f, int line, const char *const *keys)
{
	int c = peek(s, n, i), level = c == '\\' && is_quote(peek(s, n, i + 1));
	size_t e;

	/* "password= token: x": the value is empty, and the next word is a
	 * key (only when set apart by a blank, so that "password=token: x"
	 * keeps its word). */
	if (!line && i > 0 && is_space(s[i - 1]) && key_ahead(s, n, i, keys))
		return i;
	if (is_quote(c) || level) {
		e = redact_string(w, s, n, i, level);
		return f->json ? e : value_follows(w, s, n, e, 0, line, keys);
	}
	if (c == '{' || c == '[')
		e = bracket_end(s, n, i);
	else
		e = plain_end(s, n, i, f, line && !f->json, keys);
	if (e == i) /* an empty value stays empty */
		return i;
	if (f->json)
		put_quote(w, f);
	bti_sink_put(w, redacted, sizeof(redacted) - 1);
	if (f->json)
		put_quote(w, f);
	if (c != '{' && c != '[' && !line) {
		int sep;
		const char *key = ends_in_key(s, i, e, keys, &sep);

		if (key)
			return value_follows(w, s, n, e, sep, is_line_key(key), keys);
	}
	return e;
}

/* Handles the identifier s[i..e), copied already: if it is a secret key
 * being assigned, copies the separator and redacts the value.  Returns
 * where scanning resumes. */
static size_t key_value(bti_sink *w, const uchar *s, size_t n, size_t i, size_t e,
			const char *const *keys)
{
	const char *key = find_key(s + i, e - i, keys);
	struct key_form f = { 0 };
	size_t v;

	if (!key)
		return e;
	if (i && is_quote(s[i - 1])) {
		f.quote = s[i - 1];
		f.escaped = i >= 2 && s[i - 2] == '\\';
	}
	v = separator(s, n, e, &f);
	if (!v)
		return e;
	bti_sink_put(w, s + e, v - e);
	return redact_value(w, s, n, v, &f, find_key((const uchar *)key, strlen(key), line_keys) != NULL,
			    keys);
}

/*
 * How many bytes of the backslash at @i to copy as one piece.  A JSON
 * escape (\n, \t, \u0041) goes whole, so that its letter does not start a
 * word: "\npassword=x" holds the key "password", not "npassword".  But when
 * the word from the letter on is itself a key ("C:\token=x"), the
 * backslash is a path's, and goes alone.  "\\" is one escaped backslash.
 */
static size_t escape_len(const uchar *s, size_t n, size_t i, const char *const *keys)
{
	int c = peek(s, n, i + 1);
	size_t e, k = 2;

	if (c == '\\')
		return 2;
	if (!in_set(c, "nrtbfu"))
		return 1;
	for (e = i + 1; e < n && is_ident(s[e]); e++)
		;
	if (find_key(s + i + 1, e - i - 1, keys))
		return 1;
	if (c == 'u')
		while (k < 6 && i + k < n && is_hex(s[i + k]))
			k++;
	return k;
}

size_t bti_redact(const char *in, size_t len, const char *const *keys, char *out, size_t cap)
{
	const uchar *s = (const uchar *)in;
	bti_sink w = { out, cap, 0 };
	size_t i = 0;

	if (!in)
		len = 0;
	if (!keys)
		keys = default_keys;
	while (i < len) {
		size_t e = i;

		while (e < len && is_ident(s[e]))
			e++;
		if (e == i) {
			size_t k = s[i] == '\\' ? escape_len(s, len, i, keys) : 1;

			bti_sink_put(&w, s + i, k);
			i += k;
			continue;
		}
		bti_sink_put(&w, s + i, e - i);
		i = key_value(&w, s, len, i, e, keys);
	}
	return bti_sink_finish(&w);
}
