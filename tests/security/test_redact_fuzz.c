/*
 * test_redact_fuzz.c - issue 8: a secret written in a form that redaction
 * covers (README, "Redaction") never reaches the disk.
 *
 * Randomized and reproducible: each run prints its seed, and
 * BT_REDACT_SEED=N replays it (BT_REDACT_CASES=N sets the cases per phase).
 * Each case writes one or more secrets - values of secret keys in every
 * covered form: key=value, key: value, quoted, JSON "key": value (strings,
 * numbers, objects, arrays, nested, escaped inside strings), header lines,
 * query strings, with varied key case, compound names, separators,
 * surrounding text and lengths - through the public API:
 *   bt_log with a format and arguments (the secret in the format or in an
 *   argument), bt_log_event (message, template, context JSON),
 *   bt_report_create (description, context JSON), bt_import_json
 *   (description and what goes to context) and the TRACK_ERRORS helper.
 * Three phases: synchronous with the default keys and the crash handler
 * installed, asynchronous, and a custom key list with a short message cap.
 * After each phase the raw bytes of the database, its -wal and -shm files
 * and the crash spool are scanned, with the handle open and after closing
 * it, for every 12-byte piece of every secret.  A piece found is a leak:
 * the test prints the case and fails.  Each case's public marker must be
 * found, so that a run that stored nothing cannot pass.
 *
 * Issue 13 added forms whatever the key (URL passwords, mysql -pX, PEM
 * private keys, JWTs), --key value options, camelCase names and JSON
 * names written with a \u escape.
 *
 * The seed is fixed (1) so that CI is repeatable; BT_REDACT_SEED=N picks
 * another, and BT_REDACT_SEED=random a fresh one (printed) for longer runs.
 * The two JSON forms last in the list leaked until lib/capture/redact.c learnt
 * JSON escapes and line breaks around a quoted key's colon.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"

#define PIECE 12 /* bytes of a secret searched for at once */

/* ---- random numbers: splitmix64, so a seed replays a run anywhere ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static const char *one_of(const char *const *list, size_t n)
{
	return list[pick((unsigned)n)];
}

#define ONE_OF(list) one_of((list), sizeof(list) / sizeof((list)[0]))

/* ---- a growing string ---- */

typedef struct sb {
	char *p;
	size_t len, cap;
} sb;

static void sb_put(sb *b, const char *s, size_t n)
{
	/* A length past half the address space is a bug here; saying so also
	 * keeps GCC -O3 from warning that memcpy's bound might be SIZE_MAX. */
	if (n > SIZE_MAX / 2)
		abort();
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_printf(sb *b, const char *fmt, ...) BT_PRINTF(2, 3);
static void sb_printf(sb *b, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sb_put(b, buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static char *sb_take(sb *b)
{
	char *p = b->p ? b->p : strdup("");

	memset(b, 0, sizeof(*b));
	return p;
}

/* ---- secrets ---- */

/* Forms of a secret; the name tags each secret, for the report of a leak. */
enum form {
	F_PLAIN,        /* key=value, key: value, key => value */
	F_DQUOTED,      /* key="a value, with spaces" */
	F_SQUOTED,      /* key='a value' */
	F_QUOTED_KEY,   /* "key": "value", 'key' => 'value' in text */
	F_HEADER,       /* Authorization: Bearer value (to the end of the line) */
	F_QUERY,        /* ?a=1&key=value&b=2 */
	F_OPTION,       /* --key=value */
	F_JSON_STRING,  /* context {"key": "value"} */
	F_JSON_NUMBER,  /* context {"key": 123456789012} */
	F_JSON_OBJECT,  /* context {"key": {... "value" ...}} */
	F_JSON_ARRAY,   /* context {"key": ["value", ...]} */
	F_JSON_NESTED,  /* context {"a": {"b": {"key": "value"}}} */
	F_JSON_ESCAPED, /* context {"ctx": "{\"key\": \"value\"}"} */
	F_JSON_TEXT,    /* context {"msg": "text key=value text"} */
	F_JSON_TEXT_ESC,   /* context {"log": "line\nkey=value"}: after a \n, \t or \r escape */
	F_JSON_NEWLINE,    /* context {"key":\n "value"}: JSON whitespace with a line break */
	/* issue 13 */
	F_URL,          /* https://user:value@host/path */
	F_OPTION_SPACE, /* --key value */
	F_MYSQL,        /* mysql -u root -pvalue db */
	F_PEM,          /* -----BEGIN RSA PRIVATE KEY-----\nvalue\n-----END ... */
	F_JWT,          /* eyJ<public header>.eyJvalue.value */
	F_CAMEL,        /* userPassword=value */
	F_JSON_UESCAPE, /* context {"pass\u0077ord": "value"} */
	F_COUNT
};

static const char *const FORM_NAMES[F_COUNT] = {
	"key=value", "key=\"quoted\"", "key='quoted'", "\"key\": value in text", "header line",
	"query string", "--key=value", "json string", "json number", "json object", "json array",
	"json nested", "json escaped in a string", "key=value in a json string",
	"key=value after a \\n escape in a json string", "json line break around the colon",
	"url password", "--key value", "mysql -pvalue", "pem private key", "jwt", "camelCase key",
	"json name with a \\u escape",
};

typedef struct secret {
	char *text;  /* the words of the value, joined by NULs */
	size_t len;
	enum form form;
	int case_no;
} secret;

typedef struct piece {
	const char *at; /* PIECE bytes */
	int secret;     /* index in secrets[], or -1 - (case) for a marker */
} piece;

typedef struct run {
	secret *secrets;
	size_t nsecrets, cap_secrets;
	char **cases;         /* each case's input, for the report */
	size_t ncases, cap_cases;
	char **markers;       /* each case's public marker */
	int *marker_found;
	const char *const *keys; /* the key list of the phase */
	size_t nkeys;
	int custom;           /* custom keys: no header lines */
	int leaks;
} run;

static run R;

/* The characters of a plain value: nothing that ends one (blanks
 * ,;&)]} quotes), starts another form ({[ quotes) or a separator (: = >). */
static const char VALUE_CHARS[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/._~!@#^*-?$";

/* One word of a secret: @min..@max bytes, now and then with non-ASCII. */
static void secret_word(sb *b, size_t min, size_t max)
{
	size_t n = min + pick((unsigned)(max - min + 1)), i = 0;

	while (i < n) {
		if (pick(40) == 0) {
			sb_puts(b, pick(2) ? "\xc3\xa9" : "\xe2\x98\x83"); /* é, ☃ */
			i += 2;
		} else {
			sb_put(b, &VALUE_CHARS[pick(sizeof(VALUE_CHARS) - 1)], 1);
			i++;
		}
	}
}

/* Issue 13's values, from @alphabet (ASCII only): @min..@max bytes, the
 * first a letter or digit. */
static void word_from(sb *b, size_t min, size_t max, const char *alphabet)
{
	size_t n = min + pick((unsigned)(max - min + 1)), k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		sb_put(b, &alphabet[pick((unsigned)(i ? k : 62))], 1);
}

/* The alphabets start with the 62 letters and digits. */
#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
static const char URL_CHARS[] = ALNUM "-._~!$*+,;=";
static const char B64_CHARS[] = ALNUM "+/";
static const char B64URL_CHARS[] = ALNUM "-_";

/* Lengths: mostly short, sometimes long. */
static size_t word_max(void)
{
	unsigned r = pick(20);

	return r == 0 ? 3000 : r < 4 ? 200 : 40;
}

/* Register the value @words (NUL-separated) as a secret of this case. */
static void add_secret(const char *words, size_t len, enum form form)
{
	secret *s;

	if (R.nsecrets == R.cap_secrets) {
		R.cap_secrets = R.cap_secrets ? R.cap_secrets * 2 : 1024;
		R.secrets = realloc(R.secrets, R.cap_secrets * sizeof(*R.secrets));
		if (!R.secrets)
			abort();
	}
	s = &R.secrets[R.nsecrets++];
	s->text = malloc(len + 1);
	if (!s->text)
		abort();
	memcpy(s->text, words, len + 1);
	s->len = len;
	s->form = form;
	s->case_no = (int)R.ncases;
}

/* A value of @nwords words joined by @joiners, written to @out and
 * registered as a secret. */
static void value(sb *out, int nwords, const char *const *joiners, size_t njoiners, enum form form)
{
	sb words = { 0 };

	for (int w = 0; w < nwords; w++) {
		size_t start = out->len;

		if (w) {
			sb_puts(out, joiners[pick((unsigned)njoiners)]);
			sb_put(&words, "", 1);
			start = out->len;
		}
		secret_word(out, PIECE, word_max());
		sb_put(&words, out->p + start, out->len - start);
	}
	add_secret(words.p, words.len, form);
	free(words.p);
}

/* A key of the phase's list, as people write it: any case, maybe the last
 * part of a compound name, '-' and '_' swapped. */
static void key(sb *out)
{
	static const char *const prefixes[] = { "", "", "", "db_", "X-", "user.", "my-app_", "AWS_",
						 "upstream.", "Db-" };
	const char *k = one_of(R.keys, R.nkeys);
	unsigned style = pick(4);
	int dash = pick(3) == 0;

	sb_puts(out, ONE_OF(prefixes));
	for (const char *p = k; *p; p++) {
		char c = *p;

		if (c == '_' && dash)
			c = '-';
		else if (style == 1 || (style == 2 && p == k) || (style == 3 && pick(2)))
			c = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
		sb_put(out, &c, 1);
	}
}

/* Joiners of a quoted value's words; the tab (last) is not for JSON
 * strings, where it must be escaped. */
static const char *const JOIN_ANY[] = { " ", ", ", "; ", " & ", "=", ":", " - ", "\t" };
#define NJOIN_ANY(json) (sizeof(JOIN_ANY) / sizeof(JOIN_ANY[0]) - ((json) ? 1 : 0))
static const char *const JOIN_SPACE[] = { " " };

/* ---- free text: messages, descriptions, templates ---- */

/* Text around secrets: words that look like keys but are not assigned or
 * not keys, other key=value pairs, URLs, Unicode, format look-alikes. */
static void noise(sb *out, int raw_bytes)
{
	static const char *const words[] = {
		"login failed for", "user=bob", "id=42", "retry 3", "password", "wrong password for",
		"passwordless=1", "tokenizer=x", "Session::get() failed", "author: alice", "oauth=x",
		"https://example.com/a?b=c", "h\xc3\xa9llo \xe2\x98\x83", "100%", "%d%%", "rc=-1",
		"(nested [brackets] {here})", "a,b;c&d", "\"quoted text\"", "'single'", "x=\"y\"",
		"ERROR", "at src/db.c:120", "key", "secrets", "tokens",
	};
	int n = (int)pick(4);

	for (int i = 0; i < n; i++) {
		sb_puts(out, ONE_OF(words));
		if (raw_bytes && pick(10) == 0)
			sb_puts(out, pick(2) ? "\xff" : "\xc3("); /* invalid UTF-8 */
		sb_puts(out, " ");
	}
}

/* What may come right before a key: anything but a word character.  A
 * quote opens a string that the form sits in ('msg="password=x"'); it is
 * returned, to be closed after the form. */
static const char *before_key(sb *out)
{
	static const char *const seps[] = { " ", " ", "\n", "\t", "(", "[", "{", ",", ";", "&", "?",
					     "|", "<", ">", "/", "\"", "'" };
	const char *sep = ONE_OF(seps);

	sb_puts(out, sep);
	return *sep == '"' || *sep == '\'' ? sep : "";
}

/* One free-text form, written to @out; @cut[0] and @cut[1] are where its
 * value starts and ends (bt_log may pass the parts as the format or as
 * arguments).  In a JSON string (@json_string) double quotes are \". */
static enum form text_form(sb *out, int json_string, size_t cut[2])
{
	/* The separators with a tab (the last two) are not for JSON strings. */
	static const char *const seps[] = { "=", " = ", "= ", " =", ": ", ":", " : ", "=>", " => ",
					     "\t=\t", ":\t" };
	static const char *const none[] = { "" };
	const char *sep = seps[pick(sizeof(seps) / sizeof(seps[0]) - (json_string ? 2 : 0))];
	const char *dq = json_string ? "\\\"" : "\"";
	unsigned r = pick(F_OPTION + 1 + 6);
	/* F_PLAIN .. F_OPTION, then F_URL .. F_CAMEL */
	enum form f = r <= F_OPTION ? (enum form)r : (enum form)(F_URL + (r - F_OPTION - 1));
	const char *nl = json_string ? "\\n" : "\n";

	if (f == F_HEADER && R.custom)
		f = F_PLAIN; /* header lines are for the default keys only */
	switch (f) {
	case F_PLAIN:
	case F_DQUOTED:
	case F_SQUOTED: {
		const char *q = f == F_DQUOTED ? dq : f == F_SQUOTED ? "'" : "";

		key(out);
		sb_puts(out, sep);
		sb_puts(out, q);
		cut[0] = out->len;
		if (*q)
			value(out, 1 + (int)pick(3), JOIN_ANY, NJOIN_ANY(json_string), f);
		else
			value(out, 1, none, 1, f);
		cut[1] = out->len;
		sb_puts(out, q);
		break;
	}
	case F_QUOTED_KEY: {
		const char *q = pick(2) ? dq : "'";
		int bare = pick(3) == 0;

		sb_puts(out, q);
		key(out);
		sb_puts(out, q);
		sb_puts(out, pick(2) ? ": " : " => ");
		sb_puts(out, bare ? "" : q);
		cut[0] = out->len;
		value(out, bare ? 1 : 1 + (int)pick(2), bare ? none : JOIN_SPACE, 1, f);
		cut[1] = out->len;
		sb_puts(out, bare ? "" : q);
		break;
	}
	case F_HEADER: {
		static const char *const names[] = { "Authorization", "authorization", "Proxy-Authorization",
						      "Cookie", "Set-Cookie", "X-Cookie", "AUTHORIZATION" };
		static const char *const schemes[] = { "Bearer ", "Basic ", "Digest ", "" };
		static const char *const joiners[] = { "; ", "; a=", " ", "=" };

		sb_puts(out, ONE_OF(names));
		sb_puts(out, pick(4) ? ": " : ":");
		sb_puts(out, ONE_OF(schemes));
		cut[0] = out->len;
		value(out, 1 + (int)pick(3), joiners, 4, f);
		cut[1] = out->len;
		/* The line ends, or the text does. */
		if (json_string)
			sb_puts(out, pick(2) ? "\\r\\nHost: x" : "");
		else
			sb_puts(out, pick(2) ? "\r\nHost: example.com" : "\n");
		break;
	}
	case F_QUERY:
		sb_puts(out, "GET /cb?a=1&");
		key(out);
		sb_puts(out, "=");
		cut[0] = out->len;
		value(out, 1, none, 1, f);
		cut[1] = out->len;
		sb_puts(out, pick(2) ? "&b=2" : " HTTP/1.1");
		break;
	case F_OPTION:
		sb_puts(out, "--");
		key(out);
		sb_puts(out, "=");
		cut[0] = out->len;
		value(out, 1, none, 1, f);
		cut[1] = out->len;
		break;
	case F_URL:
		sb_puts(out, ONE_OF(((const char *const[]){ "https://bob:", "postgres://app:",
							     "redis://:", "amqp://guest:" })));
		cut[0] = out->len;
		word_from(out, PIECE, word_max() > 40 ? 200 : 40, URL_CHARS);
		add_secret(out->p + cut[0], out->len - cut[0], f);
		cut[1] = out->len;
		sb_puts(out, ONE_OF(((const char *const[]){ "@db.example.com:5432/app", "@h/", "@cache",
							     "@[::1]:80/x?y=1" })));
		break;
	case F_OPTION_SPACE:
		sb_puts(out, pick(3) ? "--" : "-");
		key(out);
		sb_puts(out, pick(2) || json_string ? " " : "\t");
		cut[0] = out->len;
		word_from(out, PIECE, 40, VALUE_CHARS);
		add_secret(out->p + cut[0], out->len - cut[0], f);
		cut[1] = out->len;
		break;
	case F_MYSQL:
		sb_puts(out, ONE_OF(((const char *const[]){ "mysql -u root -p", "/usr/bin/mysqldump --opt -p",
							     "mariadb -h db -u app -p", "MYSQL -p" })));
		cut[0] = out->len;
		word_from(out, PIECE, 40, VALUE_CHARS);
		add_secret(out->p + cut[0], out->len - cut[0], f);
		cut[1] = out->len;
		sb_puts(out, " appdb");
		break;
	case F_PEM: {
		const char *kind = ONE_OF(((const char *const[]){ "RSA ", "EC ", "", "OPENSSH ", "ENCRYPTED " }));
		sb words = { 0 };
		int lines = 1 + (int)pick(4);

		sb_printf(out, "-----BEGIN %sPRIVATE KEY-----%s", kind, nl);
		cut[0] = out->len;
		for (int l = 0; l < lines; l++) {
			size_t start = out->len;

			if (l) {
				sb_puts(out, nl);
				sb_put(&words, "", 1);
				start = out->len;
			}
			word_from(out, PIECE, 64, B64_CHARS);
			sb_put(&words, out->p + start, out->len - start);
		}
		add_secret(words.p, words.len, f);
		free(words.p);
		cut[1] = out->len;
		if (pick(6))
			sb_printf(out, "%s-----END %sPRIVATE KEY-----", nl, kind);
		break;
	}
	case F_JWT: {
		sb words = { 0 };
		size_t start;

		sb_puts(out, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.");
		cut[0] = out->len;
		sb_puts(out, "eyJ");
		start = out->len;
		word_from(out, PIECE, 80, B64URL_CHARS);
		sb_put(&words, out->p + start, out->len - start);
		sb_put(&words, "", 1);
		sb_puts(out, ".");
		start = out->len;
		word_from(out, PIECE, 43, B64URL_CHARS);
		sb_put(&words, out->p + start, out->len - start);
		add_secret(words.p, words.len, f);
		free(words.p);
		cut[1] = out->len;
		break;
	}
	case F_CAMEL: {
		const char *k = one_of(R.keys, R.nkeys);
		char c = (char)(k[0] >= 'a' && k[0] <= 'z' ? k[0] - 32 : k[0]);

		sb_puts(out, ONE_OF(((const char *const[]){ "user", "access", "client", "db2", "my" })));
		sb_put(out, &c, 1);
		sb_puts(out, k + 1);
		sb_puts(out, sep);
		cut[0] = out->len;
		value(out, 1, none, 1, f);
		cut[1] = out->len;
		break;
	}
	default:
		abort();
	}
	return f;
}

/* What follows a value: a delimiter (a plain value runs to one, so text
 * glued to it would be part of it), then text. */
static void after_value(sb *out)
{
	static const char *const ends[] = { " ", ", ", ";", "&", ")", "]", "}", "\n", "\t" };

	sb_puts(out, ONE_OF(ends));
}

/* Noise and 1..3 forms.  Each form's bounds are kept, so that bt_log can
 * pass it as code would: all in the format, its value as an argument
 * (password=%s), or all of it as an argument. */
typedef struct text {
	sb s;
	struct { size_t head, value, value_end, end; } form[4];
	int nforms;
} text;

static void free_text(text *t, int raw_bytes, int long_pad)
{
	int n = 1 + (int)pick(3);

	memset(t, 0, sizeof(*t));
	if (long_pad) { /* near the message cap, so that forms straddle it */
		size_t pad = (size_t)long_pad - 40 + pick(80);

		for (size_t i = 0; i < pad; i++)
			sb_put(&t->s, &"abcdefgh "[pick(9)], 1);
	}
	noise(&t->s, raw_bytes);
	for (int i = 0; i < n; i++) {
		size_t cut[2], head;
		const char *quote = before_key(&t->s);

		head = t->s.len;
		text_form(&t->s, 0, cut);
		sb_puts(&t->s, quote);
		t->form[i].head = head;
		t->form[i].value = cut[0];
		t->form[i].value_end = cut[1];
		t->form[i].end = t->s.len;
		t->nforms++;
		after_value(&t->s);
		noise(&t->s, raw_bytes);
	}
}

/* ---- JSON context ---- */

static void json_ws(sb *out, int newline)
{
	static const char *const ws[] = { "", " ", "  ", "\t" };

	sb_puts(out, newline ? (pick(2) ? "\n" : "\r\n  ") : ONE_OF(ws));
}

static void json_key(sb *out, const char *name)
{
	sb_puts(out, "\"");
	if (name)
		sb_puts(out, name);
	else
		key(out);
	sb_puts(out, "\"");
}

/* A JSON string holding free text with a form (escaped as JSON), maybe
 * after an escaped line break. */
static void json_text(sb *out, int after_escape)
{
	size_t cut[2];

	sb_puts(out, "\"some text");
	if (after_escape) {
		sb_puts(out, pick(3) == 0 ? "\\t" : pick(2) ? "\\n" : "\\r\\n");
	} else {
		sb_puts(out, " ");
	}
	size_t before = R.nsecrets;

	text_form(out, 1, cut);
	for (size_t i = before; i < R.nsecrets; i++)
		R.secrets[i].form = after_escape ? F_JSON_TEXT_ESC : F_JSON_TEXT;
	sb_puts(out, " and more\"");
}

static void json_member(sb *out)
{
	static const char *const joiners[] = { " ", ", ", " \\\"quoted\\\" ", "\\n", "\\t", "/" };
	unsigned r = pick(19);
	int nl = r == 17;

	switch (r) {
	case 0: case 1: case 2: case 3: case 17: /* "key": "value" */
		json_key(out, NULL);
		json_ws(out, nl && pick(2));
		sb_puts(out, ":");
		json_ws(out, nl);
		sb_puts(out, "\"");
		value(out, 1 + (int)pick(3), joiners, sizeof(joiners) / sizeof(joiners[0]),
		      nl ? F_JSON_NEWLINE : F_JSON_STRING);
		sb_puts(out, "\"");
		break;
	case 4: { /* a number: its digits are the secret */
		sb num = { 0 };

		json_key(out, NULL);
		sb_puts(out, ": ");
		for (int i = 0; i < PIECE + (int)pick(8); i++)
			sb_put(&num, &"123456789"[pick(9)], 1);
		sb_puts(out, num.p);
		add_secret(num.p, num.len, F_JSON_NUMBER);
		free(num.p);
		break;
	}
	case 5: case 6: /* an object */
		json_key(out, NULL);
		sb_puts(out, ": {\"user\": \"bob\", \"value\": \"");
		value(out, 1, joiners, 1, F_JSON_OBJECT);
		sb_puts(out, "\", \"list\": [1, \"}\", {\"x\": \"");
		value(out, 1, joiners, 1, F_JSON_OBJECT);
		sb_puts(out, "\"}]}");
		break;
	case 7: /* an array */
		json_key(out, NULL);
		sb_puts(out, ": [\"");
		value(out, 1, joiners, 1, F_JSON_ARRAY);
		sb_puts(out, "\", 2, \"]\", \"");
		value(out, 1, joiners, 1, F_JSON_ARRAY);
		sb_puts(out, "\"]");
		break;
	case 8: case 9: /* nested */
		sb_puts(out, "\"outer\": {\"inner\": {");
		json_key(out, NULL);
		sb_puts(out, ":\"");
		value(out, 1, joiners, 1, F_JSON_NESTED);
		sb_puts(out, "\"}, \"n\": null}");
		break;
	case 10: /* JSON escaped in a string */
		sb_puts(out, "\"ctx\": \"{\\\"");
		key(out);
		sb_puts(out, "\\\": \\\"");
		value(out, 1, JOIN_SPACE, 1, F_JSON_ESCAPED);
		sb_puts(out, "\\\"}\"");
		break;
	case 11: case 12: case 13: /* text with a form in a string */
		if (pick(2)) {
			sb_puts(out, "\"msg\": ");
			json_text(out, 0);
		} else {
			sb_puts(out, "\"recent_logs\": [\"first\", ");
			json_text(out, 0);
			sb_puts(out, "]");
		}
		break;
	case 18: { /* a name with one byte as a \u escape */
		sb name = { 0 };
		size_t at;

		key(&name);
		at = pick((unsigned)name.len);
		sb_puts(out, "\"");
		sb_put(out, name.p, at);
		sb_printf(out, pick(2) ? "\\u%04x" : "\\u%04X", (unsigned char)name.p[at]);
		sb_puts(out, name.p + at + 1);
		sb_puts(out, "\": \"");
		free(name.p);
		value(out, 1, joiners, 1, F_JSON_UESCAPE);
		sb_puts(out, "\"");
		break;
	}
	case 14: case 15: /* text after an escaped line break */
		sb_puts(out, "\"log\": ");
		json_text(out, 1);
		break;
	default: /* no secret */
		sb_puts(out, "\"ok\": true, \"n\": -1.5e3, \"s\": \"plain\"");
		break;
	}
}

/* A JSON object of 1..4 members, valid UTF-8 and valid JSON. */
static char *json_doc(void)
{
	sb out = { 0 };
	int n = 1 + (int)pick(4);

	sb_puts(&out, "{");
	for (int i = 0; i < n; i++) {
		if (i)
			sb_puts(&out, ", ");
		json_member(&out);
	}
	sb_puts(&out, "}");
	return sb_take(&out);
}

/* ---- printing a case ---- */

/* @s (@n bytes) as a C string literal, cut after 700 bytes. */
static void sb_escaped(sb *out, const char *s, size_t n)
{
	size_t shown = n < 700 ? n : 700;

	if (!s) {
		sb_puts(out, "NULL");
		return;
	}
	sb_puts(out, "\"");
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			sb_printf(out, "\\%c", c);
		else if (c == '\n')
			sb_puts(out, "\\n");
		else if (c == '\t')
			sb_puts(out, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			sb_printf(out, "\\x%02x\"\"", c);
		else
			sb_put(out, (const char *)&c, 1);
	}
	sb_puts(out, "\"");
	if (shown < n)
		sb_printf(out, " ... (%zu bytes)", n);
}

static void describe(sb *out, const char *name, const char *value)
{
	sb_printf(out, "\n    %s = ", name);
	sb_escaped(out, value, value ? strlen(value) : 0);
}

static void add_case(char *description, const char *marker)
{
	if (R.ncases == R.cap_cases) {
		R.cap_cases = R.cap_cases ? R.cap_cases * 2 : 256;
		R.cases = realloc(R.cases, R.cap_cases * sizeof(*R.cases));
		R.markers = realloc(R.markers, R.cap_cases * sizeof(*R.markers));
		R.marker_found = realloc(R.marker_found, R.cap_cases * sizeof(*R.marker_found));
		if (!R.cases || !R.markers || !R.marker_found)
			abort();
	}
	R.cases[R.ncases] = description;
	R.markers[R.ncases] = strdup(marker);
	R.marker_found[R.ncases] = 0;
	R.ncases++;
}

/* ---- the entry points ---- */

enum entry { E_LOG, E_EVENT, E_REPORT, E_IMPORT, E_TRACK, E_COUNT };
static const char *const ENTRY_NAMES[E_COUNT] = {
	"bt_log", "bt_log_event", "bt_report_create", "bt_import_json", "bt_track_int"
};

typedef struct phase {
	const char *name;
	const char *file;
	unsigned int flags;
	const char *const *keys; /* NULL: the default list */
	size_t max_message;      /* 0: the default */
} phase;

static const char *const DEFAULT_KEYS[] = {
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "access_token",
	"refresh_token", "auth", "authorization", "cookie", "session", "private_key", "client_secret",
};
static const char *const CUSTOM_KEYS[] = { "pin", "ssn", "x-signature", "otp_code", "passphrase", NULL };

#define NARGS 6

/* The format for @s[from, to): '%' doubled. */
static void fmt_literal(sb *fmt, const char *s, size_t from, size_t to)
{
	for (size_t k = from; k < to; k++)
		sb_put(fmt, s[k] == '%' ? "%%" : s + k, s[k] == '%' ? 2 : 1);
}

/* bt_log: each form all in the format, or its value as an argument, or
 * all of it as an argument; the text between forms in the format. */
static int via_log(bt_db *db, const char *comp, text *t, sb *desc)
{
	const char *args[NARGS] = { "", "", "", "", "", "" };
	char *owned[NARGS] = { NULL };
	sb fmt = { 0 };
	size_t from = 0;
	int nargs = 0, rc;

	for (int i = 0; i < t->nforms; i++) {
		unsigned mode = pick(4); /* 0: literal, 1-2: the value, 3: the whole form */
		size_t a = mode == 3 ? t->form[i].head : t->form[i].value;
		size_t b = mode == 3 ? t->form[i].end : t->form[i].value_end;

		if (mode == 0 || nargs == NARGS || b == a)
			continue;
		fmt_literal(&fmt, t->s.p, from, a);
		owned[nargs] = strndup(t->s.p + a, b - a);
		args[nargs] = owned[nargs];
		nargs++;
		sb_puts(&fmt, "%s");
		from = b;
	}
	fmt_literal(&fmt, t->s.p ? t->s.p : "", from, t->s.len);
	if (!fmt.p)
		sb_puts(&fmt, "empty");
	describe(desc, "fmt", fmt.p);
	for (int i = 0; i < nargs; i++)
		describe(desc, "arg", args[i]);
	rc = bt_log_at(db, pick(2) ? BT_CRITICAL : BT_ERROR, comp, "fuzz.c", 10, "fuzz_log", fmt.p,
		       args[0], args[1], args[2], args[3], args[4], args[5]);
	for (int i = 0; i < nargs; i++)
		free(owned[i]);
	free(fmt.p);
	return rc;
}

/* JSON string contents for @s: quotes, backslashes and control characters
 * escaped. */
static void json_escape(sb *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sb_printf(out, "\\%c", c);
		else if (c == '\n')
			sb_puts(out, "\\n");
		else if (c < 0x20)
			sb_printf(out, "\\u%04x", c);
		else
			sb_put(out, (const char *)&c, 1);
	}
}

static int one_case(bt_db *db, const phase *ph, enum entry e, int case_no)
{
	char marker[32], comp[48];
	sb desc = { 0 };
	text t, tmpl;
	int rc = BT_OK, long_pad = pick(12) == 0 ? (int)(ph->max_message ? ph->max_message : 16384) : 0;

	snprintf(marker, sizeof(marker), "mk%010llxz", (unsigned long long)(rnd() & 0xffffffffffULL));
	snprintf(comp, sizeof(comp), "fz-%s", marker);
	sb_printf(&desc, "%s phase, case %d, %s (component %s):", ph->name, case_no, ENTRY_NAMES[e],
		  comp);
	free_text(&t, e != E_IMPORT, long_pad);
	switch (e) {
	case E_LOG:
		rc = via_log(db, comp, &t, &desc);
		break;
	case E_EVENT: {
		bt_event ev = BT_EVENT_INIT;
		char *ctx = pick(3) ? json_doc() : NULL;

		tmpl.s.p = NULL;
		if (pick(3) == 0)
			free_text(&tmpl, 1, 0);
		ev.level = pick(2) ? BT_CRITICAL : BT_ERROR;
		ev.component = comp;
		ev.message = t.s.p ? t.s.p : "";
		ev.message_template = tmpl.s.p;
		ev.context_json = ctx;
		describe(&desc, "message", ev.message);
		describe(&desc, "message_template", ev.message_template);
		describe(&desc, "context_json", ctx);
		rc = bt_log_event(db, &ev, NULL);
		free(tmpl.s.p);
		free(ctx);
		break;
	}
	case E_REPORT: {
		bt_report r = BT_REPORT_INIT;
		char title[64], *ctx = pick(3) ? json_doc() : NULL;

		snprintf(title, sizeof(title), "fuzz report %s", marker);
		r.title = title;
		r.description = t.s.p;
		r.component = comp;
		r.context_json = ctx;
		r.severity = (bt_severity)(1 + pick(4));
		describe(&desc, "description", r.description);
		describe(&desc, "context_json", ctx);
		rc = bt_report_create(db, &r, NULL, NULL);
		free(ctx);
		break;
	}
	case E_IMPORT: {
		sb doc = { 0 };
		char *meta = json_doc();
		bt_import_result res = BT_IMPORT_RESULT_INIT;

		sb_printf(&doc, "{\"report_id\": \"R-%s\", \"component\": \"%s\", ", marker, comp);
		if (pick(2))
			sb_printf(&doc, "\"title\": \"imported %s\", ", marker);
		sb_puts(&doc, "\"description\": \"");
		json_escape(&doc, t.s.p ? t.s.p : "");
		sb_puts(&doc, "\", \"client_meta\": ");
		sb_puts(&doc, meta);
		sb_puts(&doc, ", ");
		json_member(&doc); /* a top-level member: it stays in context */
		sb_puts(&doc, "}");
		describe(&desc, "document", doc.p);
		rc = bt_import_json(db, doc.p, doc.len, NULL, &res);
		if (rc == BT_OK && res.imported != 1)
			rc = BT_EINTERNAL;
		free(meta);
		free(doc.p);
		break;
	}
	case E_TRACK: {
		const char *expr = t.s.p ? t.s.p : "";

		describe(&desc, "expr", expr);
		errno = EIO;
		bt_error_clear(); /* bt_track_int reports nothing: read its error */
		bt_track_int(db, BT_CRITICAL, comp, -1, BT_FAIL_NEGATIVE, expr, "fuzz.c", 20, "fuzz_track");
		rc = bt_error_message()[0] == '\0' ? BT_OK : BT_EINTERNAL;
		break;
	}
	default:
		abort();
	}
	free(t.s.p);
	add_case(sb_take(&desc), marker);
	if (rc != BT_OK)
		fprintf(stderr, "%s\n  returned %d: %s\n", R.cases[R.ncases - 1], rc, bt_error_message());
	return rc;
}

/* ---- scanning the files ---- */

typedef struct table {
	piece *slots;
	size_t mask;
} table;

static uint64_t hash12(const char *p)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < PIECE; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static void table_add(table *t, const char *at, int owner)
{
	size_t i = (size_t)hash12(at) & t->mask;

	while (t->slots[i].at) {
		if (memcmp(t->slots[i].at, at, PIECE) == 0)
			return; /* the same bytes twice: one is enough */
		i = (i + 1) & t->mask;
	}
	t->slots[i].at = at;
	t->slots[i].secret = owner;
}

static const piece *table_find(const table *t, const char *at)
{
	size_t i = (size_t)hash12(at) & t->mask;

	while (t->slots[i].at) {
		if (memcmp(t->slots[i].at, at, PIECE) == 0)
			return &t->slots[i];
		i = (i + 1) & t->mask;
	}
	return NULL;
}

/* Every PIECE bytes of every word of the secrets from @first on (the
 * pieces overlap at the end of a word), and each marker's first PIECE. */
static void table_build(table *t, size_t first, size_t first_case)
{
	size_t n = 0, cap = 64;

	for (size_t i = first; i < R.nsecrets; i++)
		n += R.secrets[i].len / PIECE + 4;
	n += R.ncases;
	while (cap < 4 * n)
		cap *= 2;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		abort();
	t->mask = cap - 1;
	for (size_t i = first; i < R.nsecrets; i++) {
		const char *w = R.secrets[i].text, *end = w + R.secrets[i].len;

		while (w < end) {
			size_t len = strlen(w);

			for (size_t off = 0; off + PIECE <= len; off += PIECE)
				table_add(t, w + off, (int)i);
			if (len >= PIECE)
				table_add(t, w + len - PIECE, (int)i);
			w += len + 1;
		}
	}
	for (size_t c = first_case; c < R.ncases; c++)
		table_add(t, R.markers[c], -1 - (int)c);
}

/* Bytes that occur in pieces; a window holding any other is skipped. */
static unsigned char piece_byte[256];

static void init_piece_bytes(void)
{
	const char *extra = "0123456789abcdefmkz\xc3\xa9\xe2\x98\x83";

	for (const char *p = VALUE_CHARS; *p; p++)
		piece_byte[(unsigned char)*p] = 1;
	for (const char *p = extra; *p; p++)
		piece_byte[(unsigned char)*p] = 1;
}

static long scanned_bytes;

/* Where the database at @db holds @piece: "table.column" of each text
 * column that has it, for the report of a leak. */
static void where_is(const char *db, const char *piece_text, sb *out)
{
	sqlite3 *sql;
	sqlite3_stmt *tables, *cols, *hit;
	char q[512];

	if (sqlite3_open_v2(db, &sql, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(sql);
		return;
	}
	if (sqlite3_prepare_v2(sql, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &tables,
			       NULL) == SQLITE_OK) {
		while (sqlite3_step(tables) == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(tables, 0);

			/* Table and column names come from the schema, quoted. */
			snprintf(q, sizeof(q), "SELECT name FROM pragma_table_info('%s')", t);
			if (sqlite3_prepare_v2(sql, q, -1, &cols, NULL) != SQLITE_OK)
				continue;
			while (sqlite3_step(cols) == SQLITE_ROW) {
				const char *c = (const char *)sqlite3_column_text(cols, 0);

				snprintf(q, sizeof(q), "SELECT count(*) FROM \"%s\" WHERE instr(CAST(\"%s\" AS BLOB), ?)",
					 t, c);
				if (sqlite3_prepare_v2(sql, q, -1, &hit, NULL) != SQLITE_OK)
					continue;
				sqlite3_bind_blob(hit, 1, piece_text, PIECE, SQLITE_STATIC);
				if (sqlite3_step(hit) == SQLITE_ROW && sqlite3_column_int(hit, 0) > 0)
					sb_printf(out, " %s.%s", t, c);
				sqlite3_finalize(hit);
			}
			sqlite3_finalize(cols);
		}
		sqlite3_finalize(tables);
	}
	sqlite3_close(sql);
}

/* Scan the file at @path; a secret found is reported once per scan. */
static void scan_file(const table *t, const char *db, const char *path, const char *when,
		      unsigned char *reported)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size, run = 0;
	struct stat st;

	if (!f)
		return; /* no such file is no leak */
	if (fstat(fileno(f), &st) != 0 || st.st_size == 0) {
		fclose(f);
		return;
	}
	size = (long)st.st_size;
	buf = malloc((size_t)size);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		abort();
	fclose(f);
	scanned_bytes += size;
	for (long i = 0; i < size; i++) {
		const piece *p;

		run = piece_byte[(unsigned char)buf[i]] ? run + 1 : 0;
		if (run < PIECE || !(p = table_find(t, buf + i - PIECE + 1)))
			continue;
		if (p->secret < 0) {
			R.marker_found[-1 - p->secret] = 1;
			continue;
		}
		if (reported[p->secret])
			continue;
		reported[p->secret] = 1;
		{
			const secret *s = &R.secrets[p->secret];

			sb where = { 0 };

			where_is(db, buf + i - PIECE + 1, &where);
			R.leaks++;
			check_failures++;
			fprintf(stderr, "LEAK: a %s secret (\"%.*s\"...) reached %s (%s), at byte %ld;"
				" columns:%s\n%s\n", FORM_NAMES[s->form], PIECE, s->text, path, when,
				i - PIECE + 1, where.p ? where.p : " (none now)", R.cases[s->case_no]);
			free(where.p);
		}
	}
	free(buf);
}

static void scan_all(const table *t, const char *db, const char *when)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", ".crash", "-journal" };
	unsigned char *reported = calloc(R.nsecrets + 1, 1);
	char path[600];

	if (!reported)
		abort();
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		scan_file(t, db, path, when, reported);
	}
	free(reported);
}

/* ---- the phases ---- */

static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : dflt;
}

static void run_phase(const phase *ph, int ncases)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	size_t first_secret = R.nsecrets, first_case = R.ncases;
	const char *path = check_path(ph->file);
	int counts[F_COUNT] = { 0 }, failed = 0, crash = 0;
	table t;
	bt_db *db;

	o.flags = ph->flags;
	o.redact_keys = ph->keys;
	o.max_message_bytes = ph->max_message;
	o.log_rows_per_ticket = BT_LOG_ROWS_UNLIMITED; /* every case's row stays */
	o.async_overflow = BT_OVERFLOW_BLOCK;          /* nothing dropped */
	R.keys = ph->keys ? ph->keys : DEFAULT_KEYS;
	R.nkeys = ph->keys ? sizeof(CUSTOM_KEYS) / sizeof(CUSTOM_KEYS[0]) - 1
			   : sizeof(DEFAULT_KEYS) / sizeof(DEFAULT_KEYS[0]);
	R.custom = ph->keys != NULL;
	CHECK_RC(bt_open(&db, path, &o), BT_OK);
	if (!db)
		return;
	/* The spool exists while the handler is installed: it is scanned too. */
	if (strcmp(ph->name, "async") != 0) {
		CHECK_RC(bt_crash_handler_install(db, NULL), BT_OK);
		crash = 1;
	}
	for (int i = 0; i < ncases; i++)
		failed += one_case(db, ph, (enum entry)pick(E_COUNT), i) != BT_OK;
	CHECK(failed == 0);
	CHECK_RC(bt_flush(db, 60000), BT_OK);

	table_build(&t, first_secret, first_case);
	scan_all(&t, path, "handle open");
	if (crash)
		CHECK_RC(bt_crash_handler_uninstall(), BT_OK);
	bt_close(db);
	scan_all(&t, path, "after bt_close");
	free(t.slots);

	for (size_t c = first_case; c < R.ncases; c++) {
		if (!R.marker_found[c]) {
			fprintf(stderr, "NOT STORED: %s\n", R.cases[c]);
			check_failures++;
		}
	}
	for (size_t i = first_secret; i < R.nsecrets; i++)
		counts[R.secrets[i].form]++;
	fprintf(stderr, "test_redact_fuzz: %s: %d cases, %zu secrets:", ph->name, ncases,
		R.nsecrets - first_secret);
	for (int f = 0; f < F_COUNT; f++)
		fprintf(stderr, "%s %d %s", f ? "," : "", counts[f], FORM_NAMES[f]);
	fprintf(stderr, "\n");
}

int main(void)
{
	static const phase phases[] = {
		{ "sync", "sync.db", BT_OPEN_SYNC, NULL, 0 },
		{ "async", "async.db", 0, NULL, 0 },
		{ "custom keys, 256-byte messages", "custom.db", 0, CUSTOM_KEYS, 256 },
	};
	const char *seed_env = getenv("BT_REDACT_SEED");
	uint64_t seed = !seed_env || !*seed_env ? 1
		: strcmp(seed_env, "random") == 0 ? (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32)
		: strtoull(seed_env, NULL, 0);
	int ncases = env_int("BT_REDACT_CASES", 500);

	rng = seed;
	fprintf(stderr, "test_redact_fuzz: seed %llu (BT_REDACT_SEED=%llu replays this run), "
		"%d cases per phase\n", (unsigned long long)seed, (unsigned long long)seed, ncases);
	init_piece_bytes();
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		run_phase(&phases[i], ncases);
	fprintf(stderr, "test_redact_fuzz: %zu cases, %zu secrets, %ld bytes scanned, %d leaks;"
		" seed %llu\n", R.ncases, R.nsecrets, scanned_bytes, R.leaks, (unsigned long long)seed);
	for (size_t i = 0; i < R.nsecrets; i++)
		free(R.secrets[i].text);
	for (size_t i = 0; i < R.ncases; i++) {
		free(R.cases[i]);
		free(R.markers[i]);
	}
	free(R.secrets);
	free(R.cases);
	free(R.markers);
	free(R.marker_found);
	return check_finish();
}
