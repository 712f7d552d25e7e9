/*
 * redact.c - owns what counts as a secret key and how far its value extends
 * in free text, query strings, header lines, command lines and JSON, and the
 * secrets that need no key (URL passwords, mysql -pX, PEM private keys,
 * JWTs).  When in doubt it redacts more: a lost word in a message is cheap,
 * a stored password is not.  Quotes and separators around a value are
 * kept, so that JSON stays valid and redacted messages still group
 * together.  It runs on every capture, so it reads each byte through one
 * table look-up and tests a word against the keys only when the word is
 * followed by a separator and ends with a key's last byte.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "db.h"
#include "redact.h"
#include "sink.h"
#include "text.h"

typedef unsigned char uchar;

#define DEFAULT_KEYS(X) \
	X("password") X("passwd") X("pwd") X("secret") X("token") X("api_key") X("apikey") \
	X("access_token") X("refresh_token") X("auth") X("authorization") X("cookie") \
	X("session") X("private_key") X("client_secret") X("secret_key") \
	X("secret_access_key") X("passphrase") X("credentials") X("sessionid")
#define KEY_NAME(k) k,
#define KEY_LEN(k) sizeof(k) - 1,

static const char *const default_keys[] = { DEFAULT_KEYS(KEY_NAME) NULL };
static const size_t default_lens[] = { DEFAULT_KEYS(KEY_LEN) };

/* Values of these hold spaces ("Bearer x", "a=1; b=2"), so unquoted they
 * run to the end of the line. */
static const char *const line_keys[] = { "authorization", "cookie", NULL };

/* A key list with each key's length (the first KEYSET_LENS; more are
 * measured when used), and by the byte that ends a key (folded) which keys
 * end with it, as bits (bit 31: every key from the 32nd on).  Most words
 * tested end with none, and cost one look-up. */
#define KEYSET_LENS 64
typedef struct keyset {
	const char *const *name;
	const size_t *len;
	size_t own_len[KEYSET_LENS];
	uint32_t ends[256];
} keyset;

static size_t key_len(const keyset *ks, size_t j)
{
	return j < KEYSET_LENS ? ks->len[j] : strlen(ks->name[j]);
}

static const char redacted[] = "[redacted]";

/* Byte classes, one table lookup each: <ctype.h> depends on the locale,
 * and strchr over a set string cost a call per byte (perf put redaction's
 * strchr and strlen at about 30 % of a capture). */
enum {
	C_ALNUM = 1,  /* 0-9 a-z A-Z */
	C_IDENT = 2,  /* alnum and _ - .: a key name's bytes */
	C_HEX = 4,
	C_SPACE = 8,  /* blank, tab, \n, \v, \f, \r */
	C_DELIM = 16, /* , ; & ) ] }: ends an unquoted value */
	C_JOIN = 32,  /* _ - . between the parts of a compound name */
	C_STOP = 64,  /* \\ : \n \r: the scan's other bytes of interest */
};

#define R2(c, v) [c] = (v), [c + 1] = (v)
#define R6(c, v) R2(c, v), R2(c + 2, v), R2(c + 4, v)
#define R10(c, v) R6(c, v), R2(c + 6, v), R2(c + 8, v)
#define R20(c, v) R10(c, v), R10(c + 10, v)
#define AL (C_ALNUM | C_IDENT)

static const uchar cls[256] = {
	R10('0', AL | C_HEX), R6('a', AL | C_HEX), R20('g', AL), R6('A', AL | C_HEX), R20('G', AL),
	['_'] = C_IDENT | C_JOIN, ['-'] = C_IDENT | C_JOIN, ['.'] = C_IDENT | C_JOIN,
	[' '] = C_SPACE, ['\t'] = C_SPACE, ['\v'] = C_SPACE, ['\f'] = C_SPACE,
	['\r'] = C_SPACE | C_STOP, ['\n'] = C_SPACE | C_STOP, ['\\'] = C_STOP, [':'] = C_STOP,
	[','] = C_DELIM, [';'] = C_DELIM, ['&'] = C_DELIM, [')'] = C_DELIM, [']'] = C_DELIM,
	['}'] = C_DELIM,
};

static int is_hex(int c) { return c >= 0 && (cls[c] & C_HEX); }
static int is_ident(int c) { return c >= 0 && (cls[c] & C_IDENT); }
static int is_join(int c) { return c >= 0 && (cls[c] & C_JOIN); }
static int is_quote(int c) { return c == '"' || c == '\''; }
static int is_space(int c) { return c >= 0 && (cls[c] & C_SPACE); }
static int is_delim(int c) { return c >= 0 && (cls[c] & C_DELIM); }

/* Keys compare case-insensitively, with '-' and '_' equivalent. */
static int fold(int c)
{
	return c == '-' ? '_' : c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int peek(const uchar *s, size_t n, size_t i)
{
	return i < n ? s[i] : -1;
}


static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_lower_or_digit(int c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* Does the identifier id[0..n) end with @key (@k bytes), either whole or as
 * the last part of a compound name: after '_', '-' or '.' (db_password,
 * X-Api-Key, user.token), or at a camelCase boundary, an uppercase letter
 * after a lowercase one or a digit (accessToken, userPassword)? */
static int has_key_suffix(const uchar *id, size_t n, const char *key, size_t k)
{
	if (k == 0 || k > n)
		return 0;
	id += n - k;
	if (k < n && !is_join(id[-1]) && !(is_upper(id[0]) && is_lower_or_digit(id[-1])))
		return 0;
	for (size_t j = 0; j < k; j++)
		if (fold(id[j]) != fold((uchar)key[j]))
			return 0;
	return 1;
}

static const char *find_key(const uchar *id, size_t n, const keyset *ks)
{
	uint32_t m = n ? ks->ends[fold(id[n - 1])] : 0;

	for (; m; m &= m - 1) {
		size_t j = (size_t)__builtin_ctz(m);

		if (j < 31 && has_key_suffix(id, n, ks->name[j], key_len(ks, j)))
			return ks->name[j];
		for (; j >= 31 && ks->name[j]; j++)
			if (has_key_suffix(id, n, ks->name[j], key_len(ks, j)))
				return ks->name[j];
	}
	return NULL;
}

static void keyset_fill(keyset *ks, const char *const *keys, const size_t *lens)
{
	memset(ks->ends, 0, sizeof(ks->ends));
	ks->name = keys;
	ks->len = lens ? lens : ks->own_len;
	for (size_t j = 0; keys[j]; j++) {
		size_t k = j < KEYSET_LENS && !lens ? (ks->own_len[j] = strlen(keys[j])) : key_len(ks, j);

		if (k)
			ks->ends[fold((uchar)keys[j][k - 1])] |= (uint32_t)1 << (j < 31 ? j : 31);
	}
}

static keyset default_set;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void default_set_init(void)
{
	keyset_fill(&default_set, default_keys, default_lens);
}

/* The default list is sorted out once; a custom one on each call. */
static const keyset *keyset_get(keyset *ks, const char *const *keys)
{
	if (!keys) {
		pthread_once(&default_once, default_set_init);
		return &default_set;
	}
	keyset_fill(ks, keys, NULL);
	return ks;
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
static int whole_key(const uchar *id, size_t n, const keyset *ks)
{
	if (n == 0 || !ks->ends[fold(id[n - 1])])
		return 0;
	for (size_t j = 0; ks->name[j]; j++)
		if (key_len(ks, j) == n && has_key_suffix(id, n, ks->name[j], n))
			return 1;
	return 0;
}

/* The byte a JSON escape \u00XX at @j spells, if it is a name's byte
 * (letter, digit, '_', '-', '.'); else -1. */
static int escaped_byte(const uchar *s, size_t n, size_t j)
{
	int c;

	if (j + 6 > n || s[j] != '\\' || s[j + 1] != 'u' || s[j + 2] != '0' || s[j + 3] != '0' ||
	    !is_hex(s[j + 4]) || !is_hex(s[j + 5]))
		return -1;
	c = (s[j + 4] <= '9' ? s[j + 4] - '0' : (s[j + 4] | 0x20) - 'a' + 10) * 16 +
	    (s[j + 5] <= '9' ? s[j + 5] - '0' : (s[j + 5] | 0x20) - 'a' + 10);
	return is_ident(c) ? c : -1;
}

#define NAME_MAX_DECODED 64

/*
 * The name at @i: its bytes and \u escapes of them ("pass\u0077ord").
 * Returns where it ends, and sets *@id and *@idn to the name it spells:
 * s + i itself when it holds no escape, else @buf (up to
 * NAME_MAX_DECODED bytes; a longer name with escapes is read as if it
 * ended at its first escape).
 */
static size_t name_at(const uchar *s, size_t n, size_t i, uchar *buf, const uchar **id, size_t *idn)
{
	size_t j = i, k = 0, plain_end;
	int c;

	while (j < n && is_ident(s[j]))
		j++;
	plain_end = j;
	*id = s + i;
	*idn = j - i;
	if (escaped_byte(s, n, j) < 0)
		return j;
	for (j = i; j < n && k < NAME_MAX_DECODED; k++) {
		if (is_ident(s[j]))
			c = s[j++];
		else if ((c = escaped_byte(s, n, j)) >= 0)
			j += 6;
		else
			break;
		buf[k] = (uchar)c;
	}
	if (k == NAME_MAX_DECODED && j < n && (is_ident(s[j]) || escaped_byte(s, n, j) >= 0))
		return plain_end;
	*id = buf;
	*idn = k;
	return j;
}

/*
 * Is a secret key assigned at @i, by its exact name and with its value set
 * apart (a blank, a quote or a bracket after the separator)?  Then an
 * unquoted value before it ends here, rather than swallow the key and
 * leave its value in clear ("f(token=a(secret: x))").  Exact names only,
 * so that a password ending in one ("hunter2_token") is not cut short.
 */
static int key_ahead(const uchar *s, size_t n, size_t i, const keyset *keys)
{
	struct key_form f = { 0 };
	uchar buf[NAME_MAX_DECODED];
	const uchar *id;
	size_t e, k, v, idn;
	int c;

	if (i < n && is_quote(s[i])) {
		if (i > 0 && s[i - 1] == '\\')
			return 0; /* an escaped quote belongs to the value */
		f.quote = s[i++];
	}
	e = name_at(s, n, i, buf, &id, &idn);
	/* An option after a blank ("password= --token x"): the option's own
	 * value follows it (option_value), so it is no value itself. */
	for (k = 0; !f.quote && i > 0 && is_space(s[i - 1]) && k < idn && id[k] == '-'; k++)
		;
	if (idn == k || !whole_key(id + k, idn - k, keys))
		return 0;
	v = separator(s, n, e, &f);
	if (!v && k > 0) {
		c = peek(s, n, v = skip_blanks(s, n, e));
		return v > e && c >= 0 && c != '-' && c != '\n' && c != '\r';
	}
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
			const keyset *keys)
{
	size_t start = i;
	int open = f->quote && !f->closed;

	while (i < n) {
		int c = s[i];

		if (c == '\n' || c == '\r' || (!line && (is_space(c) || is_delim(c))))
			break;
		if (!line && i > start && !is_ident(s[i - 1]) && key_ahead(s, n, i, keys))
			break;
		if (open && (c == f->quote || (f->escaped && c == '\\' && peek(s, n, i + 1) == f->quote)))
			break;
		/* 'AWS_password="a b"' inside a value: the quoted part is one
		 * piece, or its second word would be left in clear. */
		if (!line && !open && is_quote(c) && i > start && (s[i - 1] == '=' || s[i - 1] == ':')) {
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
static const char *ends_in_key(const uchar *s, size_t i, size_t e, const keyset *keys,
			       int *sep)
{
	size_t w;

	if (e > i + 1 && s[e - 1] == '>' && s[e - 2] == '=')
		e--;
	*sep = e > i && (s[e - 1] == ':' || s[e - 1] == '=');
	e -= *sep;
	if (e > i && is_quote(s[e - 1]))
		e--;
	/* Back over the name, and over the backslash of any \u escape in it
	 * (its "u00XX" reads as name bytes). */
	for (w = e;;) {
		while (w > i && is_ident(s[w - 1]))
			w--;
		if (w <= i || s[w - 1] != '\\' || escaped_byte(s, e, w - 1) < 0)
			break;
		w--;
	}
	if (w < e) {
		uchar buf[NAME_MAX_DECODED];
		const uchar *id;
		size_t idn;

		if (name_at(s, e, w, buf, &id, &idn) == e)
			return find_key(id, idn, keys);
		return find_key(s + w, e - w, keys); /* too long to decode */
	}
	return NULL;
}

/* Is @key (from the key list) one whose value runs to the end of the
 * line?  Compared as a compound name: a custom "x-cookie" is one. */
static int is_line_key(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	for (const char *const *l = line_keys; n && *l; l++)
		if (has_key_suffix((const uchar *)key, n, *l, strlen(*l)))
			return 1;
	return 0;
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
			    int line, const keyset *keys)
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
			   const struct key_form *f, int line, const keyset *keys)
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

/*
 * How many bytes of the backslash at @i to copy as one piece.  A JSON
 * escape (\n, \t, \u0041) goes whole, so that its letter does not start a
 * word: "\npassword=x" holds the key "password", not "npassword".  But when
 * the word from the letter on is itself a key ("C:\token=x"), the
 * backslash is a path's, and goes alone.  "\\" is one escaped backslash.
 */
static size_t escape_len(const uchar *s, size_t n, size_t i, const keyset *keys)
{
	int c = peek(s, n, i + 1);
	size_t e, k = 2;

	if (c == '\\')
		return 2;
	if (c != 'n' && c != 'r' && c != 't' && c != 'b' && c != 'f' && c != 'u')
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

/* The scan: what is written already (s[0..done) has its output in w), the
 * key list, and a URL password ahead (pw_to 0: none). */
typedef struct scan {
	bti_sink w;
	const uchar *s;
	size_t n, done;
	const keyset *keys;
	size_t pw_from, pw_to;
	int pw_cut; /* no '@' after it: cut short */
} scan;

/* Write the input up to @to as it is. */
static void flush(scan *sc, size_t to)
{
	if (to > sc->done)
		bti_sink_put(&sc->w, sc->s + sc->done, to - sc->done);
	sc->done = to;
}

/* Replace s[from..to) by "[redacted]"; scanning resumes at @to. */
static size_t replace(scan *sc, size_t from, size_t to)
{
	flush(sc, from);
	bti_sink_put(&sc->w, redacted, sizeof(redacted) - 1);
	sc->done = to;
	return to;
}

static int word_is(const uchar *s, size_t n, const char *word)
{
	size_t k = strlen(word);

	return n == k && has_key_suffix(s, n, word, k);
}

/* The key @id (@idn bytes) ends at @e, its name starting at @i: if it is a
 * secret key being assigned, redact its value.  @id is s + i unless the
 * name was written with \u escapes. */
static size_t key_value(scan *sc, size_t i, size_t e, const uchar *id, size_t idn)
{
	const uchar *s = sc->s;
	struct key_form f = { 0 };
	const char *key;
	size_t v;

	if (i && is_quote(s[i - 1])) {
		f.quote = s[i - 1];
		f.escaped = i >= 2 && s[i - 2] == '\\';
	}
	/* Most words are not assigned: the cheap test first. */
	v = separator(s, sc->n, e, &f);
	if (!v || !(key = find_key(id, idn, sc->keys)))
		return e;
	flush(sc, v);
	sc->done = redact_value(&sc->w, s, sc->n, v, &f, is_line_key(key), sc->keys);
	return sc->done;
}

/* A value at @v, not after a key's separator (an option's, a -p's): it
 * ends as an unquoted key=value's does. */
static size_t value_at(scan *sc, size_t v, int line)
{
	static const struct key_form plain = { 0 };

	flush(sc, v);
	sc->done = redact_value(&sc->w, sc->s, sc->n, v, &plain, line, sc->keys);
	return sc->done;
}

/*
 * An option naming a secret key, with its value as the next argument:
 * "--password hunter2", "-api-key x" (--password=x is a key=value).  A next
 * word starting with '-' is the next option, so it stays.  The value ends
 * where an unquoted key=value's does.
 */
static size_t option_value(scan *sc, size_t i, size_t e)
{
	const uchar *s = sc->s;
	size_t v = skip_blanks(s, sc->n, e);
	const char *key;

	/* "\t--token x" in a JSON string, where escape_len() left the 't' to
	 * the word, as "t--token" ends with a key */
	if (i > 0 && s[i - 1] == '\\' && e - i > 1 && s[i + 1] == '-')
		i++;
	if (s[i] != '-' || v == e || v >= sc->n || s[v] == '-' || s[v] == '\n' || s[v] == '\r' ||
	    !(key = find_key(s + i, e - i, sc->keys)))
		return e;
	return value_at(sc, v, is_line_key(key));
}

/* MySQL's clients take the password glued to -p (mysql -u root -phunter2);
 * a -p alone prompts, and the next word is the database.  Other commands'
 * -p means anything, so only these lines are looked at. */
static const char *const mysql_words[] = {
	"mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mysqlcheck",
	"mysqlslap", "mysqlbinlog", "mysqlpump", "mysqlsh", "mariadb", "mariadb-dump",
	"mariadb-admin", "mariadb-import", "mariadb-check", NULL
};

static int is_mysql(const uchar *s, size_t n)
{
	if (n < 5 || (s[0] | 0x20) != 'm')
		return 0;
	for (const char *const *m = mysql_words; *m; m++)
		if (word_is(s, n, *m))
			return 1;
	return 0;
}

/* Is a MySQL client named before @i on its line?  Looked up only for a
 * -pX, so that a client's name taken as some key's value still counts. */
static int mysql_line(const uchar *s, size_t i)
{
	size_t e = i;

	while (e > 0 && s[e - 1] != '\n' && s[e - 1] != '\r') {
		size_t w = e;

		if (!is_ident(s[e - 1])) {
			e--;
			continue;
		}
		while (w > 0 && is_ident(s[w - 1]))
			w--;
		/* "\tmysql" in a JSON string reads as the word "tmysql" */
		if (is_mysql(s + w, e - w) || (w > 0 && s[w - 1] == '\\' && is_mysql(s + w + 1, e - w - 1)))
			return 1;
		e = w;
	}
	return 0;
}

static size_t mysql_password(scan *sc, size_t i, size_t e)
{
	const uchar *s = sc->s;

	if (e - i < 2 || s[i] != '-' || s[i + 1] != 'p')
		return e;
	if ((e - i == 2 && !is_quote(peek(s, sc->n, i + 2))) || !mysql_line(s, i))
		return e; /* -p alone, or -p followed by its database */
	return value_at(sc, i + 2, 0);
}

static int is_b64url(int c)
{
	return c >= 0 && (cls[c] & C_ALNUM || c == '_' || c == '-');
}

/* A JSON Web Token: base64url segments joined by dots, the first (a JSON
 * header, so "eyJ") and second non-empty; or cut short after its payload,
 * which is JSON too ("eyJ...eyJ...", as a message cut at its cap leaves
 * it).  The word s[i..e) goes whole. */
static int is_jwt(const uchar *s, size_t i, size_t e)
{
	size_t seg = 0, dots = 0, first = 0, second = 0, payload = 0;

	if (e - i < 10 || memcmp(s + i, "eyJ", 3) != 0)
		return 0;
	for (size_t j = i; j < e; j++) {
		if (s[j] == '.') {
			if (dots == 0) {
				first = seg;
				payload = j + 1;
			}
			else if (dots == 1)
				second = seg;
			dots++;
			seg = 0;
		} else if (is_b64url(s[j])) {
			seg++;
		} else {
			return 0;
		}
	}
	if (dots == 1)
		second = seg;
	return first >= 8 && second >= 2 &&
	       (dots >= 2 || (dots == 1 && e - payload >= 3 && memcmp(s + payload, "eyJ", 3) == 0));
}

static size_t find_text(const uchar *s, size_t n, size_t i, const char *what)
{
	size_t k = strlen(what);

	for (; i + k <= n; i++)
		if (s[i] == (uchar)what[0] && memcmp(s + i, what, k) == 0)
			return i;
	return n;
}

/*
 * A PEM private key's body, if @body follows a "PRIVATE KEY-----" label
 * with "-----BEGIN " before it on its line.  Looked for after the label's
 * last word and at each line break or backslash, so that the block counts
 * even when its label was taken as some key's value ("Authorization: x
 * -----BEGIN RSA PRIVATE KEY-----").  The body goes up to "-----END"; when
 * that is missing, to the end of the text, or for a block written inside a
 * JSON string (its line breaks escaped, "\n") to the end of that string.
 * Returns where scanning resumes, or 0 if no body starts at @body.  Other
 * PEM blocks (certificates, public keys) are not secrets.
 */
static size_t pem_body(scan *sc, size_t body)
{
	static const char label[] = "PRIVATE KEY-----";
	const size_t nl = sizeof(label) - 1;
	const uchar *s = sc->s;
	size_t n = sc->n, end, b;

	if (body < nl + 11 || memcmp(s + body - nl, label, nl) != 0)
		return 0;
	/* Back over the label's words to its opening dashes: -----BEGIN ... */
	for (b = body - nl; b > 5 && body - b < 100 && (is_upper(s[b - 1]) || s[b - 1] == ' '); b--)
		;
	if (b < 5 || memcmp(s + b - 5, "-----BEGIN ", 11) != 0)
		return 0;
	end = find_text(s, n, body, "-----END");
	if (end == n && body < n && s[body] == '\\')
		for (end = body; end < n && !(s[end] == '"' && s[end - 1] != '\\'); end++)
			;
	return end > body ? replace(sc, body, end) : 0;
}

/*
 * A name written with JSON \u escapes ("pass\u0077ord": x) is read as the
 * name it spells (name_at).  Returns where scanning resumes if it is a
 * secret key being assigned (its value redacted), else 0.
 */
static size_t escaped_key(scan *sc, size_t i)
{
	uchar buf[NAME_MAX_DECODED];
	const uchar *id;
	size_t idn, e = name_at(sc->s, sc->n, i, buf, &id, &idn);

	if (id != buf)
		return 0;
	return key_value(sc, i, e, id, idn) != e ? sc->done : 0;
}

/* Can a key ending at @e be assigned (a quick test before separator())? */
static int may_assign(const uchar *s, size_t n, size_t e)
{
	int c;

	e = skip_blanks(s, n, e);
	c = peek(s, n, e);
	return c == '=' || c == ':' || is_quote(c) || c == '\\';
}

/* The word s[i..e): a token or key of its own, or a secret key's name. */
static size_t word(scan *sc, size_t i, size_t e)
{
	size_t r;

	if (is_jwt(sc->s, i, e))
		return replace(sc, i, e);
	if (sc->s[i] == '-' && (r = mysql_password(sc, i, e)) != e)
		return r;
	if (e - i >= 8 && memcmp(sc->s + i, "KEY-----", 8) == 0 && (r = pem_body(sc, i + 8)))
		return r;
	if (peek(sc->s, sc->n, e) == '\\' && (r = escaped_key(sc, i)))
		return r;
	if (may_assign(sc->s, sc->n, e) && (r = key_value(sc, i, e, sc->s + i, e - i)) != e)
		return r;
	return option_value(sc, i, e);
}

static int all_digits(const uchar *s, size_t i, size_t e)
{
	for (; i < e; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Where the authority of a URL starts, if "://" (or ":\/\/", JSON's
 * escaped form) is at @i; else 0. */
static size_t authority(const uchar *s, size_t n, size_t i)
{
	if (i + 3 <= n && memcmp(s + i, "://", 3) == 0)
		return i + 3;
	if (i + 5 <= n && memcmp(s + i, ":\\/\\/", 5) == 0)
		return i + 5;
	return 0;
}

/*
 * After "scheme://" at @i, a password in the URL's user information
 * (https://user:pw@host) goes; the user name and host stay.  The
 * authority ends at a blank, '/', '?', '#', a quote, '<', '>' or '\', and
 * the password runs from the first ':' to the last '@' before that, so
 * that an '@' left unencoded in it is covered.  With no '@', what follows
 * the ':' is a port, digits; anything else is taken for a password whose
 * URL was cut short (at a message's cap), and goes.  The password is only
 * noted here (pw_from, pw_to): the scan goes on through the user name,
 * which may hold a key=value of its own, and url_pending() takes it out.
 */
static size_t url_password(scan *sc, size_t i)
{
	const uchar *s = sc->s;
	size_t n = sc->n, j, colon = 0, at = 0;

	for (j = i; j < n; j++) {
		int c = s[j];

		if (c <= ' ' || c == '/' || c == '?' || c == '#' || is_quote(c) || c == '<' || c == '>' ||
		    c == '\\')
			break;
		if (c == ':' && !colon)
			colon = j;
		else if (c == '@')
			at = j;
	}
	sc->pw_cut = colon && !at && s[i] != '[' && !all_digits(s, colon + 1, j);
	if (sc->pw_cut || (colon && at > colon + 1)) {
		sc->pw_from = colon + 1;
		sc->pw_to = sc->pw_cut ? j : at;
	}
	return i; /* the user name is scanned as any text is */
}

/* The scan is at or past the password url_password() found: it goes (what
 * a key's value took of it already stays taken), and a password cut short
 * may have swallowed a key, whose value goes too. */
static size_t url_pending(scan *sc, size_t i)
{
	size_t from = i > sc->pw_from ? i : sc->pw_from, to = sc->pw_to, a;
	const char *key;
	int sep;

	sc->pw_to = 0;
	if (from >= to)
		return i;
	/* A password cut short at a '\\' may end inside a key whose name an
	 * escape continues ("im:x&priva\\u0074e_key=v"): the password stops
	 * before that name, and the scan reads the key as it reads any. */
	if (sc->pw_cut && to < sc->n && sc->s[to] == '\\') {
		size_t f = to;
		uchar buf[NAME_MAX_DECODED];
		const uchar *id;
		size_t idn;

		while (f > from && is_ident(sc->s[f - 1]))
			f--;
		if (f > from && f < to && name_at(sc->s, sc->n, f, buf, &id, &idn) > to &&
		    find_key(id, idn, sc->keys))
			return replace(sc, from, f);
	}
	replace(sc, from, to);
	/* A password cut short may end in the next URL's scheme
	 * ("a://u:x&pg://bob:pw@h"): that URL's password goes too. */
	if (sc->pw_cut && sc->s[to - 1] == ':' && (a = authority(sc->s, sc->n, to - 1)))
		return url_password(sc, a);
	if (!sc->pw_cut || !(key = ends_in_key(sc->s, from, to, sc->keys, &sep)))
		return to;
	sc->done = value_follows(&sc->w, sc->s, sc->n, to, sep, is_line_key(key), sc->keys);
	return sc->done;
}

size_t bti_redact(const char *in, size_t len, const char *const *keys, char *out, size_t cap)
{
	keyset custom;
	scan sc = { { out, cap, 0 }, (const uchar *)in, in ? len : 0, 0, keyset_get(&custom, keys), 0, 0, 0 };
	const uchar *s = sc.s;
	size_t i = 0, n = sc.n;

	while (i < n) {
		int c = s[i];
		size_t e = i, a;

		if (sc.pw_to && i >= sc.pw_from) {
			i = url_pending(&sc, i);
		} else if (is_ident(c)) {
			while (e < n && is_ident(s[e]))
				e++;
			i = word(&sc, i, e);
		} else if ((c == '\\' || c == '\n' || c == '\r') && i >= 8 && s[i - 1] == '-' &&
			   (e = pem_body(&sc, i))) {
			i = e;
		} else if (c == '\\') {
			if (peek(s, n, i + 1) == 'u' && (e = escaped_key(&sc, i)))
				i = e;
			else
				i += escape_len(s, n, i, sc.keys);
		} else if (c == ':' && (a = authority(s, n, i))) {
			i = url_password(&sc, a);
		} else {
			/* Nothing to see up to the next word or byte of interest. */
			size_t stop = sc.pw_to && sc.pw_from > i ? sc.pw_from : n;

			for (i++; i < stop && !(cls[s[i]] & (C_IDENT | C_STOP)); i++)
				;
		}
	}
	flush(&sc, n);
	return bti_sink_finish(&sc.w);
}

int bti_redact_field(const struct bt_db *db, const char *text, const char **out, char **owned)
{
	size_t len, red_len;

	*owned = NULL;
	*out = text;
	if (!text || (db && (db->cfg.flags & BT_OPEN_NO_REDACT)))
		return BT_OK;
	len = strlen(text);
	*owned = bti_redact_dup(text, len, db ? (const char *const *)db->cfg.redact_keys : NULL, &red_len);
	if (!*owned) {
		*out = NULL;
		return BT_ENOMEM;
	}
	if (red_len == len && memcmp(*owned, text, len) == 0) { /* the common case */
		bti_free(*owned);
		*owned = NULL;
		return BT_OK;
	}
	*out = *owned;
	return BT_OK;
}

/* Redaction rarely makes a text much longer ("[redacted]" replaces most
 * values), so one pass into a buffer with some room usually does; only a
 * text that outgrows it takes a second pass. */
char *bti_redact_dup(const char *in, size_t len, const char *const *keys, size_t *len_out)
{
	size_t cap = len + 64, need;
	char *out = bti_malloc(cap);

	if (!out)
		return NULL;
	need = bti_redact(in, len, keys, out, cap);
	if (need >= cap) {
		bti_free(out);
		if (!(out = bti_malloc(need + 1)))
			return NULL;
		bti_redact(in, len, keys, out, need + 1);
	}
	if (len_out)
		*len_out = need;
	return out;
}
