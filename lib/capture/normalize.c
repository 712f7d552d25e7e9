/*
 * normalize.c - owns the rules deciding which parts of an error message are
 * variable (e-mails, URLs, hosts, IPs, trace ids, UUIDs, hashes, dates,
 * durations, hex, numbers, quoted values) and how each one is spelled as a
 * placeholder.  The categories and their priority follow Sentry's grouping
 * parameterization.  The main quality bar is false positives: a word that
 * is part of the message template must never be replaced, or messages from
 * different call sites would merge.
 */
#include <string.h>

#include "internal.h"
#include "normalize.h"
#include "sink.h"

typedef unsigned char uchar;

/* Hand-written character classes: <ctype.h> depends on the locale, and the
 * result must not.  They take -1 (see peek) and answer false for it. */
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_alpha(int c) { return is_lower(c) || is_upper(c); }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int is_word(int c) { return is_alnum(c) || c == '_'; }
static int is_lhex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
static int is_hex(int c) { return is_lhex(c) || (c >= 'A' && c <= 'F'); }
static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static int to_lower(int c) { return is_upper(c) ? c + ('a' - 'A') : c; }

static int in_set(int c, const char *set)
{
	return c > 0 && strchr(set, c) != NULL; /* strchr finds the NUL too */
}

/* The byte at @i, or -1 past the end: lets the matchers look ahead without
 * a bounds check at every step. */
static int peek(const uchar *s, size_t n, size_t i)
{
	return i < n ? s[i] : -1;
}

static size_t run(const uchar *s, size_t n, size_t i, int (*cls)(int))
{
	while (i < n && cls(s[i]))
		i++;
	return i;
}

/* A token must not end inside a word: "5" in "5th" is no number. */
static size_t tok_end(const uchar *s, size_t n, size_t e)
{
	return is_word(peek(s, n, e)) ? 0 : e;
}

/* Numbers must not be followed by ".digit" either: "1.2.3" is a version,
 * kept whole, rather than a float and an int. */
static size_t num_end(const uchar *s, size_t n, size_t e)
{
	if (peek(s, n, e) == '.' && is_digit(peek(s, n, e + 1)))
		return 0;
	return tok_end(s, n, e);
}

/* Case-insensitive: is s[0..k) one of the NULL-terminated @list? */
static int in_list(const char *const *list, const uchar *s, size_t k)
{
	for (; *list; list++) {
		size_t j = 0;

		while (j < k && list[0][j] && to_lower(s[j]) == list[0][j])
			j++;
		if (j == k && !list[0][j])
			return 1;
	}
	return 0;
}

/* The value of exactly @k digits at @i if it lies in [lo, hi], else -1. */
static int field(const uchar *s, size_t n, size_t i, size_t k, int lo, int hi)
{
	int v = 0;

	for (size_t j = i; j < i + k; j++) {
		if (!is_digit(peek(s, n, j)))
			return -1;
		v = v * 10 + (s[j] - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

/* ---- e-mail, URL, host -------------------------------------------------- */

/* A dotted name of 2+ labels starting at @i; returns its end and the start
 * of the last label in @last, or 0.  Lengths are capped as in DNS, which
 * also bounds the work per position. */
static size_t dotted(const uchar *s, size_t n, size_t i, size_t *last)
{
	size_t start = i, labels = 0;

	for (;;) {
		size_t e = i;

		while (e < n && (is_alnum(s[e]) || s[e] == '-') && e - i < 64)
			e++;
		if (e == i || e - i > 63 || s[i] == '-' || s[e - 1] == '-' ||
		    e - start > 253)
			return 0;
		labels++;
		*last = i;
		i = e;
		if (peek(s, n, i) != '.' || !is_alnum(peek(s, n, i + 1)))
			break;
		i++;
	}
	return labels >= 2 ? i : 0;
}

static size_t match_email(const uchar *s, size_t n)
{
	size_t i = 0, last, e;

	while (i < n && i <= 64 && (is_alnum(s[i]) || in_set(s[i], "._%+-")))
		i++;
	if (i == 0 || i > 64 || peek(s, n, i) != '@')
		return 0;
	e = dotted(s, n, i + 1, &last);
	if (!e || e - last < 2 || run(s, n, last, is_alpha) != e)
		return 0;
	return tok_end(s, n, e);
}

static int is_url_char(int c)
{
	return c > ' ' && c != 0x7f && !in_set(c, "\"'<>`\\");
}

static size_t match_url(const uchar *s, size_t n)
{
	static const char *const schemes[] = { "http", "https", "ws", "wss", "ftp", NULL };
	size_t k = run(s, n, 0, is_alpha), e;

	if (!in_list(schemes, s, k) || peek(s, n, k) != ':' ||
	    peek(s, n, k + 1) != '/' || peek(s, n, k + 2) != '/')
		return 0;
	k += 3;
	e = run(s, n, k, is_url_char);
	/* Sentence punctuation after a URL is not part of it. */
	while (e > k && in_set(s[e - 1], ".,;:!?)]}"))
		e--;
	return e > k ? e : 0;
}

/* Only well-known TLDs are accepted (plus 2-letter country codes) because
 * "obj.field", "os.path" or "index.html" are far more common in error
 * messages than hosts under exotic TLDs.  The 2-letter denylist holds source
 * file extensions and "id" (user.id); longer extensions such as json or
 * yaml are already excluded by not being in the generic list. */
static int plausible_tld(const uchar *s, size_t k)
{
	static const char *const generic[] = {
		"com", "net", "org", "edu", "gov", "mil", "int", "info", "biz",
		"cloud", "local", "localhost", "localdomain", "internal", "lan",
		"corp", "arpa", "example", "consul", NULL
	};
	static const char *const denied[] = {
		"cc", "py", "js", "ts", "go", "rs", "rb", "md", "sh", "so", "id", NULL
	};
	int upper = 0, lower = 0;

	for (size_t j = 0; j < k; j++) {
		upper |= is_upper(s[j]);
		lower |= is_lower(s[j]);
	}
	if (upper && lower) /* "java.lang.NullPointerException" */
		return 0;
	return k == 2 ? !in_list(denied, s, k) : in_list(generic, s, k);
}

static size_t match_host(const uchar *s, size_t n)
{
	size_t last, e = dotted(s, n, 0, &last);
	int c = peek(s, n, e);

	if (!e || run(s, n, last, is_alpha) != e || !plausible_tld(s + last, e - last))
		return 0;
	return c == '(' || c == '@' ? 0 : tok_end(s, n, e); /* "re.search(" */
}

/* ---- IP addresses ------------------------------------------------------- */

static size_t ipv4(const uchar *s, size_t n, size_t i)
{
	for (int octet = 0; octet < 4; octet++) {
		size_t e;

		if (octet && peek(s, n, i++) != '.')
			return 0;
		e = run(s, n, i, is_digit);
		if (e == i || e - i > 3 || field(s, n, i, e - i, 0, 255) < 0)
			return 0;
		i = e;
	}
	return i;
}

/* C++ scoped names ("Fee::add", "db::add1") look like compressed IPv6, so
 * an address needs a digit in its first group (real ones start like 2001,
 * fe80, fd00 or ::), a single letter case, and must not be followed by "("
 * or another "::". */
static size_t ipv6(const uchar *s, size_t n)
{
	size_t i = 0, groups = 0;
	int gap = 0, digit = 0, upper = 0, lower = 0, c;

	if (peek(s, n, 0) == ':' && peek(s, n, 1) == ':') {
		gap = 1;
		i = 2;
	}
	while (groups < 8) {
		size_t e = (gap || groups == 6) && groups <= 6 ? ipv4(s, n, i) : 0;

		if (e) { /* v4-mapped tail, worth two groups */
			i = e;
			groups += 2;
			digit = 1;
			break;
		}
		for (e = i; e < n && is_hex(s[e]) && e - i <= 4; e++) {
			digit |= is_digit(s[e]);
			upper |= is_upper(s[e]);
			lower |= is_lower(s[e]);
		}
		if (e == i)
			break;
		if (e - i > 4 || (!groups && !gap && !digit))
			return 0;
		i = e;
		groups++;
		if (!gap && peek(s, n, i) == ':' && peek(s, n, i + 1) == ':') {
			gap = 1;
			i += 2;
		} else if (peek(s, n, i) == ':' && is_hex(peek(s, n, i + 1))) {
			i++;
		} else {
			break;
		}
	}
	if (!digit || (upper && lower) || (gap ? groups > 7 : groups != 8))
		return 0;
	if (peek(s, n, i) == '%' && is_alnum(peek(s, n, i + 1))) /* zone, fe80::1%eth0 */
		i = run(s, n, i + 1, is_alnum);
	c = peek(s, n, i);
	if (c == '(' || (c == ':' && peek(s, n, i + 1) == ':'))
		return 0;
	return num_end(s, n, i);
}

static size_t match_ip(const uchar *s, size_t n)
{
	size_t e = ipv6(s, n);

	if (!e && (e = ipv4(s, n, 0)))
		e = num_end(s, n, e);
	return e;
}

/* ---- trace ids, UUIDs, hashes ------------------------------------------- */

/* Hex fields of exactly the given lengths joined by '-'. */
static size_t hex_fields(const uchar *s, size_t n, const uchar *lens, size_t count)
{
	size_t i = 0;

	for (size_t k = 0; k < count; k++) {
		size_t e;

		if (k && peek(s, n, i++) != '-')
			return 0;
		e = run(s, n, i, is_hex);
		if (e - i != lens[k])
			return 0;
		i = e;
	}
	return tok_end(s, n, i);
}

static size_t match_trace(const uchar *s, size_t n)
{
	static const uchar w3c[] = { 2, 32, 16, 2 }, xray[] = { 1, 8, 24 };
	size_t e = hex_fields(s, n, w3c, sizeof(w3c));

	return e ? e : peek(s, n, 0) == '1' ? hex_fields(s, n, xray, sizeof(xray)) : 0;
}

static size_t match_uuid(const uchar *s, size_t n)
{
	static const uchar lens[] = { 8, 4, 4, 4, 12 };

	return hex_fields(s, n, lens, sizeof(lens));
}

static size_t hex_run_of(const uchar *s, size_t n, size_t k)
{
	return run(s, n, 0, is_hex) == k ? tok_end(s, n, k) : 0;
}

static size_t match_sha1(const uchar *s, size_t n) { return hex_run_of(s, n, 40); }
static size_t match_md5(const uchar *s, size_t n) { return hex_run_of(s, n, 32); }

/* ---- dates and times ---------------------------------------------------- */

/* HH:MM[:SS[.fraction]]; 60 seconds allows a leap second. */
static size_t clock_end(const uchar *s, size_t n, size_t i)
{
	if (field(s, n, i, 2, 0, 23) < 0 || peek(s, n, i + 2) != ':' ||
	    field(s, n, i + 3, 2, 0, 59) < 0)
		return 0;
	i += 5;
	if (peek(s, n, i) == ':' && field(s, n, i + 1, 2, 0, 60) >= 0) {
		i += 3;
		if (peek(s, n, i) == '.' && is_digit(peek(s, n, i + 1)))
			i = run(s, n, i + 1, is_digit);
	}
	return i;
}

/* Z, +HH, +HHMM or +HH:MM; returns @i when there is none. */
static size_t zone_end(const uchar *s, size_t n, size_t i)
{
	int c = peek(s, n, i);

	if (c == 'Z' || c == 'z')
		return i + 1;
	if ((c != '+' && c != '-') || field(s, n, i + 1, 2, 0, 23) < 0)
		return i;
	i += 3;
	if (peek(s, n, i) == ':')
		return field(s, n, i + 1, 2, 0, 59) >= 0 ? i + 3 : i;
	return field(s, n, i, 2, 0, 59) >= 0 ? i + 2 : i;
}

/* YYYY-MM-DD (or YYYY/MM/DD, as Go's log package writes it), optionally
 * joined by T or a space to a time and zone. */
static size_t iso_date(const uchar *s, size_t n)
{
	int c = peek(s, n, 10), sep = peek(s, n, 4);

	if (field(s, n, 0, 4, 0, 9999) < 0 || (sep != '-' && sep != '/') ||
	    field(s, n, 5, 2, 1, 12) < 0 || peek(s, n, 7) != sep ||
	    field(s, n, 8, 2, 1, 31) < 0)
		return 0;
	if (c == 'T' || c == 't' || c == ' ') {
		size_t e = clock_end(s, n, 11);

		if (e && tok_end(s, n, e = zone_end(s, n, e)))
			return e;
	}
	return 10;
}

/* YYYYMMDDTHHMMSS[Z] */
static size_t compact_date(const uchar *s, size_t n)
{
	if (field(s, n, 0, 4, 0, 9999) < 0 || field(s, n, 4, 2, 1, 12) < 0 ||
	    field(s, n, 6, 2, 1, 31) < 0 || (peek(s, n, 8) | 0x20) != 't' ||
	    field(s, n, 9, 2, 0, 23) < 0 || field(s, n, 11, 2, 0, 59) < 0 ||
	    field(s, n, 13, 2, 0, 60) < 0)
		return 0;
	return (peek(s, n, 15) | 0x20) == 'z' ? 16 : 15;
}

/* Is s[i..i+3) one of the 3-letter @names (concatenated), as a whole word? */
static int name3(const uchar *s, size_t n, size_t i, const char *names)
{
	if (i + 3 > n || is_alpha(peek(s, n, i + 3)))
		return 0;
	for (; *names; names += 3)
		if (to_lower(s[i]) == names[0] && to_lower(s[i + 1]) == names[1] &&
		    to_lower(s[i + 2]) == names[2])
			return 1;
	return 0;
}

/* GMT, UTC, EST, ... or +HHMM after an RFC 822 time; 0 when there is none. */
static size_t rfc_zone(const uchar *s, size_t n, size_t i)
{
	size_t e = run(s, n, i, is_upper);
	int c = peek(s, n, i);

	if ((c == '+' || c == '-') && field(s, n, i + 1, 2, 0, 23) >= 0 &&
	    field(s, n, i + 3, 2, 0, 59) >= 0)
		e = i + 5;
	else if (e == i || e - i > 5)
		return 0;
	return tok_end(s, n, e);
}

/* [Mon, ]15 Jan 2024[ 10:30[:00][ GMT]] (RFC 822/1123) */
static size_t rfc_date(const uchar *s, size_t n)
{
	size_t i = 0, e;

	if (name3(s, n, 0, "montuewedthufrisatsun") && peek(s, n, 3) == ',' &&
	    peek(s, n, 4) == ' ')
		i = 5;
	e = run(s, n, i, is_digit);
	if (e == i || e - i > 2 || field(s, n, i, e - i, 1, 31) < 0 ||
	    peek(s, n, e) != ' ' ||
	    !name3(s, n, e + 1, "janfebmaraprmayjunjulaugsepoctnovdec") ||
	    peek(s, n, e + 4) != ' ' || field(s, n, e + 5, 4, 0, 9999) < 0)
		return 0;
	e += 9;
	if (peek(s, n, e) == ' ') {
		size_t t = clock_end(s, n, e + 1), z;

		if (t) {
			e = t;
			if (peek(s, n, e) == ' ' && (z = rfc_zone(s, n, e + 1)))
				e = z;
		}
	}
	return e;
}

/* HH:MM[:SS] optionally followed by Z or am/pm. */
static size_t match_time(const uchar *s, size_t n)
{
	size_t e = clock_end(s, n, 0), j;

	if (!e)
		return 0;
	if ((peek(s, n, e) | 0x20) == 'z')
		return tok_end(s, n, e + 1);
	j = e + (peek(s, n, e) == ' ');
	if (((peek(s, n, j) | 0x20) == 'a' || (peek(s, n, j) | 0x20) == 'p') &&
	    (peek(s, n, j + 1) | 0x20) == 'm' && tok_end(s, n, j + 2))
		return j + 2;
	return tok_end(s, n, e);
}

static size_t match_date(const uchar *s, size_t n)
{
	size_t e = iso_date(s, n);

	if (!e)
		e = compact_date(s, n);
	if (!e)
		e = rfc_date(s, n);
	return e ? tok_end(s, n, e) : 0;
}

/* ---- durations, hex, numbers -------------------------------------------- */

/* A number and a unit, possibly repeated as Go prints them ("1h2m3.5s"). */
static size_t match_duration(const uchar *s, size_t n)
{
	/* Longest first, so that "ms" is not read as "m" followed by "s". */
	static const char *const units[] = {
		"mins", "secs", "min", "sec", "ms", "ns", "us", "\xc2\xb5s", "\xce\xbcs",
		"s", "m", "h", "d", NULL
	};
	size_t i = 0;

	do {
		const char *const *u = units;
		size_t e = run(s, n, i, is_digit);

		if (e == i)
			return 0;
		if (peek(s, n, e) == '.' && is_digit(peek(s, n, e + 1)))
			e = run(s, n, e + 1, is_digit);
		while (*u && (strlen(*u) > n - e || memcmp(s + e, *u, strlen(*u)) != 0))
			u++;
		if (!*u)
			return 0;
		i = e + strlen(*u);
	} while (is_digit(peek(s, n, i)));
	return tok_end(s, n, i);
}

/* 0x... of any length, or a bare run of 8-128 hex characters with a digit:
 * pure-letter runs are words ("deadbeef", "acceded"), and Sentry treats
 * digit runs longer than 7 as hex too. */
static size_t match_hex(const uchar *s, size_t n)
{
	size_t e;
	int digit = 0;

	if (peek(s, n, 0) == '0' && (peek(s, n, 1) | 0x20) == 'x' && is_hex(peek(s, n, 2)))
		return tok_end(s, n, run(s, n, 2, is_hex));
	for (e = 0; e < n && is_hex(s[e]) && e <= 128; e++)
		digit |= is_digit(s[e]);
	return e >= 8 && e <= 128 && digit ? tok_end(s, n, e) : 0;
}

/* Exactly 7 lowercase hex with a letter and a digit: git prints short SHAs
 * in lowercase, and requiring it spares error codes such as "E100234". */
static size_t match_git_sha(const uchar *s, size_t n)
{
	int digit = 0, letter = 0;

	if (run(s, n, 0, is_lhex) != 7)
		return 0;
	for (size_t i = 0; i < 7; i++) {
		digit |= is_digit(s[i]);
		letter |= !is_digit(s[i]);
	}
	return digit && letter ? tok_end(s, n, 7) : 0;
}

static size_t match_float(const uchar *s, size_t n)
{
	size_t i = run(s, n, 0, is_digit), e;
	int frac = peek(s, n, i) == '.' && is_digit(peek(s, n, i + 1));

	if (!i)
		return 0;
	if (frac)
		i = run(s, n, i + 1, is_digit);
	e = (peek(s, n, i) | 0x20) == 'e' ? i + 1 : 0;
	if (e && (peek(s, n, e) == '+' || peek(s, n, e) == '-'))
		e++;
	e = e && is_digit(peek(s, n, e)) ? run(s, n, e, is_digit) : 0;
	return frac || e ? num_end(s, n, e ? e : i) : 0;
}

/* Up to 7 digits, or a number grouped by commas ("4,150,908"). */
static size_t match_int(const uchar *s, size_t n)
{
	size_t i = run(s, n, 0, is_digit);

	if (!i || i > 7)
		return 0;
	if (i <= 3)
		while (peek(s, n, i) == ',' && run(s, n, i + 1, is_digit) == i + 4)
			i += 4;
	return num_end(s, n, i);
}

/* ---- values after '=' --------------------------------------------------- */

static size_t match_quoted(const uchar *s, size_t n)
{
	int q = peek(s, n, 0);

	if (q != '"' && q != '\'')
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == q)
			return i + 1;
	}
	return 0;
}

static size_t match_bool(const uchar *s, size_t n)
{
	static const char *const words[] = { "true", "false", NULL };
	size_t e = run(s, n, 0, is_alpha);

	return in_list(words, s, e) ? tok_end(s, n, e) : 0;
}

/* ---- driver ------------------------------------------------------------- */

enum {
	SIGNED = 1,   /* may take a leading '-' */
	AFTER_EQ = 2, /* only directly after '=' */
	NO_COLON = 4, /* not directly after ':', where "12:34" is line:column */
};

/* In priority order: the first kind that matches wins. */
static const struct kind {
	size_t (*match)(const uchar *s, size_t n);
	const char *placeholder;
	int flags;
} kinds[] = {
	{ match_email, "<email>", 0 },
	{ match_url, "<url>", 0 },
	{ match_host, "<host>", 0 },
	{ match_ip, "<ip>", 0 },
	{ match_trace, "<traceparent>", 0 },
	{ match_uuid, "<uuid>", 0 },
	{ match_sha1, "<sha1>", 0 },
	{ match_md5, "<md5>", 0 },
	{ match_date, "<date>", 0 },
	{ match_time, "<date>", NO_COLON },
	{ match_duration, "<duration>", SIGNED },
	{ match_hex, "<hex>", 0 },
	{ match_git_sha, "<git-sha>", 0 },
	{ match_float, "<float>", SIGNED },
	{ match_int, "<int>", SIGNED },
	{ match_quoted, "<quoted>", AFTER_EQ },
	{ match_bool, "<bool>", AFTER_EQ },
};

/* A '-' is a sign only where a number may start, not in "utf-8" or "3-4". */
static int sign_may_follow(int prev)
{
	return prev < 0 || is_space(prev) || in_set(prev, "=([,:");
}

/* The length of the variable part starting at s[0] (n >= 1), whose kind is
 * stored in @kind, or 0.  @prev is the byte before s[0], or -1. */
static size_t match_token(const uchar *s, size_t n, int prev, const struct kind **kind)
{
	size_t sign = s[0] == '-' && sign_may_follow(prev);

	for (const struct kind *k = kinds; k < kinds + sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t m;

		if (((k->flags & AFTER_EQ) && prev != '=') || ((k->flags & NO_COLON) && prev == ':') ||
		    (sign && !(k->flags & SIGNED)))
			continue;
		m = k->match(s + sign, n - sign);
		if (m) {
			*kind = k;
			return m + sign;
		}
	}
	return 0;
}

/* A word plus whatever is glued to it by '-' or '.': "utf-8", "v1.2",
 * "port-8080" and "main.c" are template text, never variable parts. */
static size_t word_chain(const uchar *s, size_t n)
{
	size_t i = run(s, n, 0, is_word);

	while ((peek(s, n, i) == '-' || peek(s, n, i) == '.') && is_word(peek(s, n, i + 1)))
		i = run(s, n, i + 1, is_word);
	return i;
}


size_t bti_normalize_message(const char *in, size_t len, char *out, size_t cap)
{
	const uchar *s = (const uchar *)in;
	bti_sink w = { out, cap, 0 };
	size_t i = 0;

	if (!in)
		len = 0;
	while (i < len) {
		int prev = i ? s[i - 1] : -1;
		const struct kind *kind = NULL;
		size_t m = is_word(prev) ? 0 : match_token(s + i, len - i, prev, &kind);

		if (m) {
			bti_sink_put(&w, kind->placeholder, strlen(kind->placeholder));
		} else {
			m = is_word(s[i]) ? word_chain(s + i, len - i) : 1;
			bti_sink_put(&w, in + i, m);
		}
		i += m;
	}
	return bti_sink_finish(&w);
}

/* ---- format strings ----------------------------------------------------- */

/* Skips a conversion specification; @p is just past the '%'. */
static const char *skip_conversion(const char *p)
{
	while (in_set((uchar)*p, "0123456789$#-+ '.*")) /* position, flags, width, precision */
		p++;
	while (in_set((uchar)*p, "hljztLq")) /* length modifiers */
		p++;
	return *p ? p + 1 : p;
}

int bti_format_has_words(const char *fmt)
{
	size_t letters = 0;

	if (!fmt)
		return 0;
	while (*fmt) {
		if (*fmt == '%') {
			fmt = skip_conversion(fmt + 1);
			letters = 0;
			continue;
		}
		letters = is_alpha((uchar)*fmt) ? letters + 1 : 0;
		if (letters >= 2)
			return 1;
		fmt++;
	}
	return 0;
}

char *bti_normalize_dup(const char *in, size_t len)
{
	size_t need = bti_normalize_message(in, len, NULL, 0);
	char *out = bti_malloc(need + 1);

	if (out)
		bti_normalize_message(in, len, out, need + 1);
	return out;
}
