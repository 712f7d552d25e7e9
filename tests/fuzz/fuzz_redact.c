/*
 * fuzz_redact.c - secret redaction (bti_redact).
 *
 * First the input as it is: snprintf's contract (the same length whatever
 * @cap, never a byte past it, a NUL-terminated prefix of the full text).
 *
 * Then the property that matters: the input is taken apart into choices
 * and free text, and rebuilt as
 *
 *     prefix JOINER FORM(key, secret) suffix
 *
 * where FORM is one of the key=value forms that redact.c and test_redact.c
 * say are covered (key=value, key: value, key=>value, quoted values,
 * "key": value in JSON with string, bare, object and array values, JSON
 * escaped inside a JSON string, key=value inside a quoted string, a query
 * string, --key=value, header lines whose value holds spaces), the key is
 * one of the default secret keys spelled as the redactor promises to match
 * (any case, '-' for '_', as the last part of a compound name), and the
 * secret is a marker made of the letter 'Q', which is taken out of the free
 * text.  No 'Q' may survive in the output.
 *
 * Where the free text may hold: the plain forms (as test_redact.c's random
 * text does) take it as it is; the quoted forms take it without quotes and
 * backslashes, because an unbalanced quote before a quoted value changes
 * where strings start and end for any reader, not only for the redactor
 * (token=' password='x' is ambiguous), and their joiner is a blank or a
 * delimiter, which ends any unquoted value the prefix ends with ("(" would
 * not: token=("password": "x" makes ("password": token's value).
 *
 * Inputs whose first byte is 0xf0 or more take issue 13's forms instead
 * (so that the committed inputs below it keep their meaning): the newer
 * default keys, spelled in camelCase (userPassword) or, in JSON and
 * key=value forms, with a \u escape (pass\u0077ord); --key value
 * options; and forms whatever the key: URL passwords, mysql -pX, PEM
 * private keys and JWTs, whose secret is base64url-safe.
 */
#include <string.h>

#include "fuzz.h"
#include "redact.h"

#define SECRET "Q7Qz9Q"

static const char *const keys[] = {
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey",
	"access_token", "refresh_token", "auth", "authorization", "cookie",
	"session", "private_key", "client_secret",
};
/* Keys whose unquoted values run to the end of the line. */
static const char *const line_keys[] = { "authorization", "cookie" };
static const char *const compounds[] = { "", "", "db_", "X-", "user.", "my-app.", "--", "AWS_" };
static const char *const any_joiner[] = { " ", "\n", "\t", ", ", "; ", "&", "(", "[", "{", "?" };
/* These end an unquoted value, so the prefix's last value ends there. */
static const char *const end_joiner[] = { " ", "\n", "\t", ", ", "; ", "&" };
static const char *const plain_sep[] = { "=", " = ", ": ", ":", "=>", " => ", "= ", ":\t" };
static const char *const plain_end[] = { "", " ", "\n", ",", ";", "&", ")", "]", "}", "\r\n" };

/* The quoted forms; %1$s is the key, %2$s the secret. */
static const char *const quoted_forms[] = {
	"%1$s=\"%2$s\"",
	"%1$s='%2$s'",
	"%1$s = \"%2$s x %2$s\" next=1",
	"%1$s=\"a \\\"%2$s\\\" %2$s\\\\\" x",
	"\"%1$s\": \"%2$s\"",
	"{\"%1$s\":\"%2$s\",\"user\":\"bob\"}",
	"'%1$s': '%2$s'",
	"'%1$s' => '%2$s'",
	"\"%1$s\": %2$s",
	"{\"%1$s\":%2$s,\"n\":1}",
	"{\"%1$s\": {\"a\": \"%2$s\", \"b\": [%2$s, \"}\"]}, \"n\": 1}",
	"{\"%1$s\": [\"%2$s\", [%2$s], \"]\"]}",
	"{\"ctx\": \"{\\\"%1$s\\\":\\\"%2$s\\\"}\"}",
	"{\"ctx\": \"{\\\"%1$s\\\": %2$s}\"}",
	"{\"msg\": \"args=\\\"%1$s=%2$s x\\\"\"}",
	"msg=\"login %1$s=%2$s\" rc=1",
	"args=\"-u bob %1$s=%2$s\" rc=1",
	"GET /cb?%1$s=%2$s&x=1",
	"--%1$s=%2$s --user=bob",
	"f(%1$s=%2$s) [%1$s=%2$s] {%1$s=%2$s}",
	"%1$s=\"%2$s",
	"{\"%1$s\": \"%2$s",
};
/* Header lines: only for line keys, whose values may hold spaces. */
static const char *const header_forms[] = {
	"%1$s: Bearer %2$s.%2$s",
	"%1$s: a=%2$s; b=%2$s\r\nHost: x",
	"{\"h\": \"%1$s: Bearer %2$s %2$s\", \"n\": 1}",
	"%1$s: Basic %2$s==",
};

/* Issue 13's keys: the list above and the newer defaults. */
static const char *const ext_keys[] = {
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey",
	"access_token", "refresh_token", "auth", "client_secret", "private_key", "session",
	"secret_key", "secret_access_key", "passphrase", "credentials", "sessionid",
};
static const char *const camel_prefixes[] = { "user", "access", "refresh", "client", "auth", "db2", "x" };

/* Issue 13's forms; %1$s is the key, %2$s the secret.  The first
 * EXT_ESCAPABLE take a key written with a \u escape too. */
static const char *const ext_forms[] = {
	"{\"%1$s\": \"%2$s\"}",
	"{\"%1$s\":%2$s,\"n\":1}",
	"'%1$s': '%2$s'",
	"%1$s=%2$s",
	"%1$s: %2$s",
	"{\"ctx\": \"{\\\"%1$s\\\":\\\"%2$s\\\"}\"}",
	/* options, and the camelCase and compound spellings only */
	"run --%1$s %2$s --user bob",
	"run --%1$s '%2$s x' -v",
	"cmd=\"backup --%1$s %2$s\" rc=1",
	"run -%1$s\t%2$s",
	/* whatever the key */
	"connect https://bob:%2$s@db.example.com:5432/app failed",
	"redis://:%2$s@cache:6379/0",
	"postgres://bob:p@%2$s:w@db/x?ssl=1",
	"{\"url\": \"https:\\/\\/bob:%2$s@h\\/x\"}",
	"mysql -u root -p%2$s app",
	"/usr/bin/mysqldump --user=bob -p'%2$s x' app",
	"mariadb -h db -p%2$s",
	"-----BEGIN RSA PRIVATE KEY-----\n%2$s\n%2$s==\n-----END RSA PRIVATE KEY-----",
	"{\"k\": \"-----BEGIN OPENSSH PRIVATE KEY-----\\n%2$s\\n-----END OPENSSH PRIVATE KEY-----\"}",
	"-----BEGIN ENCRYPTED PRIVATE KEY-----\r\n%2$s",
	"Bearer eyJhbGciOiJIUzI1NiJ9.eyJ%2$s.%2$s_-x",
	"jwt eyJ%2$sAAAA.e30. rest",
};
#define EXT_ESCAPABLE 6

#define PICK(list, byte) ((list)[(byte) % (sizeof(list) / sizeof((list)[0]))])

typedef struct buf {
	char *s;
	size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if (!(b->s = realloc(b->s, b->cap)))
			abort();
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static int is_ident(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '-' || c == '.';
}

/* Free text: no 'Q' (only the secret has one), and for the quoted forms
 * no quotes or backslashes.  After the secret (@after), the text must not
 * go on with the word the secret ends: "Q7Qz9Q_password: x" no longer
 * assigns Q7Qz9Q to anything but names another key. */
static void put_text(buf *b, const uint8_t *p, size_t n, int plain, int after)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)p[i];

		if (c == 'Q' || (!plain && (c == '"' || c == '\'' || c == '\\')))
			c = '_';
		if (after && i == 0 && b->len && b->s[b->len - 1] == 'Q' && is_ident(c))
			c = ' ';
		put(b, &c, 1);
	}
}

/* @key as the redactor must still match it: compound, any case, '-'. */
static void spell_key(buf *b, const char *key, unsigned int bits, const char *compound)
{
	puts_(b, compound);
	for (size_t i = 0; key[i]; i++, bits = bits >> 1 | bits << 31) {
		char c = key[i];

		if (c == '_' && (bits & 2))
			c = '-';
		else if (c >= 'a' && c <= 'z' && (bits & 1))
			c = (char)(c - 'a' + 'A');
		put(b, &c, 1);
	}
}

/* @key in camelCase after a word (userPassword, accessApi_key). */
static void camel_key(buf *b, const char *key, const char *prefix)
{
	char c = (char)(key[0] - 'a' + 'A');

	puts_(b, prefix);
	put(b, &c, 1);
	puts_(b, key + 1);
}

/* @key with its byte @at written as a JSON \u escape, in upper or lower
 * case hex (pass\u0077ord). */
static void escaped_key(buf *b, const char *key, size_t at, int upper)
{
	char esc[8];

	at %= strlen(key);
	put(b, key, at);
	snprintf(esc, sizeof(esc), upper ? "\\u%04X" : "\\u%04x", (unsigned char)key[at]);
	puts_(b, esc);
	puts_(b, key + at + 1);
}

/* A printf-like "%1$s"/"%2$s" expansion (positional arguments are POSIX,
 * not C11, so do it by hand). */
static void expand(buf *b, const char *form, const char *key, const char *value)
{
	for (const char *p = form; *p; p++) {
		if (p[0] == '%' && (p[1] == '1' || p[1] == '2') && p[2] == '$' && p[3] == 's') {
			puts_(b, p[1] == '1' ? key : value);
			p += 3;
		} else {
			put(b, p, 1);
		}
	}
}

/* @s as a C string literal on stderr: inputs hold NULs and control bytes. */
static void show(const char *s, size_t n)
{
	fputc('"', stderr);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c >= ' ' && c < 0x7f)
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputs("\"\n", stderr);
}

static void check_contract(const char *in, size_t len, size_t cap_seed)
{
	size_t n = bti_redact(in, len, NULL, NULL, 0), cap = cap_seed % (n + 2);
	char *full = malloc(n + 1), *part = malloc(cap + 16);

	if (!full || !part)
		abort();
	FUZZ_ASSERT(bti_redact(in, len, NULL, full, n + 1) == n && full[n] == '\0');
	memset(part, 0x5a, cap + 16);
	FUZZ_ASSERT(bti_redact(in, len, NULL, part, cap) == n);
	for (size_t i = cap; i < cap + 16; i++)
		FUZZ_ASSERT(part[i] == 0x5a);
	if (cap) {
		size_t kept = n < cap ? n : cap - 1;

		FUZZ_ASSERT(memcmp(part, full, kept) == 0 && part[kept] == '\0');
	}
	free(part);
	free(full);
}

/* Redact @in with the default keys, or only @k; no 'Q' may be left. */
static void check_redacted(const buf *in, const char *k, int custom_list)
{
	const char *custom[2] = { k, NULL };
	size_t n = bti_redact(in->s, in->len, custom_list ? custom : NULL, NULL, 0);
	char *out = malloc(n + 1);

	if (!out)
		abort();
	bti_redact(in->s, in->len, custom_list ? custom : NULL, out, n + 1);
	if (memchr(out, 'Q', n)) {
		fputs("secret survived\n in:  ", stderr);
		show(in->s, in->len);
		fputs(" out: ", stderr);
		show(out, n);
		FUZZ_ASSERT(!"the secret survived redaction");
	}
	free(out);
}

/* Issue 13's forms: data[1] the key, data[2] its spelling, data[3] the
 * form, data[4] where the free text splits, data[5] the joiner and list. */
static int ext_input(const uint8_t *data, size_t size)
{
	buf in = { NULL, 0, 0 }, key = { NULL, 0, 0 };
	const char *k = PICK(ext_keys, data[1]);
	size_t split = size > 6 ? data[4] % (size - 6 + 1) : 0;
	unsigned int form = data[3] % (sizeof(ext_forms) / sizeof(ext_forms[0]));
	unsigned int style = data[2] & 3;

	if (style == 3 && form >= EXT_ESCAPABLE)
		style = 0;
	if (style == 1)
		camel_key(&key, k, PICK(camel_prefixes, data[2] >> 2));
	else if (style == 3)
		escaped_key(&key, k, data[2] >> 3, data[2] & 4);
	else
		spell_key(&key, k, (unsigned int)data[2] * 0x9e37u, style ? "" : PICK(compounds, data[2] >> 4));
	put_text(&in, data + 6, split, 0, 0);
	puts_(&in, PICK(end_joiner, data[5]));
	expand(&in, ext_forms[form], key.s, SECRET);
	put_text(&in, data + 6 + split, size - 6 - split, 0, 1);
	check_redacted(&in, k, (data[5] & 0xc0) == 0xc0);
	free(in.s);
	free(key.s);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *custom[2] = { NULL, NULL };
	buf in = { NULL, 0, 0 }, key = { NULL, 0, 0 };
	unsigned int form, kbits;
	const char *k;
	size_t split, n;
	int plain, line;
	char *out;

	check_contract((const char *)data, size, size ? data[0] * 13u + size : 0);
	if (size < 6)
		return 0;
	if (data[0] >= 0xf0)
		return ext_input(data, size);
	form = data[0];
	k = PICK(keys, data[1]);
	kbits = (unsigned int)data[2] | (unsigned int)data[3] << 8;
	split = size > 6 ? data[4] % (size - 6 + 1) : 0;
	/* data[5]: joiner, separator, end, key list. */
	plain = form % 4 == 0;
	line = form % 4 == 1;
	if (line)
		k = PICK(line_keys, data[1]);
	spell_key(&key, k, kbits, PICK(compounds, data[2] >> 4));

	put_text(&in, data + 6, split, plain, 0);
	puts_(&in, plain ? PICK(any_joiner, data[5]) : PICK(end_joiner, data[5]));
	if (plain) {
		puts_(&in, key.s);
		puts_(&in, PICK(plain_sep, data[5] >> 3));
		puts_(&in, SECRET);
		puts_(&in, PICK(plain_end, form >> 2));
	} else if (line) {
		expand(&in, PICK(header_forms, form >> 2), key.s, SECRET);
	} else {
		expand(&in, PICK(quoted_forms, form >> 2), key.s, SECRET);
	}
	put_text(&in, data + 6 + split, size - 6 - split, plain, 1);

	/* A custom list naming only this key must work as the default does. */
	custom[0] = k;
	n = bti_redact(in.s, in.len, (data[5] & 0xc0) == 0xc0 ? custom : NULL, NULL, 0);
	if (!(out = malloc(n + 1)))
		abort();
	bti_redact(in.s, in.len, (data[5] & 0xc0) == 0xc0 ? custom : NULL, out, n + 1);
	if (memchr(out, 'Q', n)) {
		fputs("secret survived\n in:  ", stderr);
		show(in.s, in.len);
		fputs(" out: ", stderr);
		show(out, n);
		FUZZ_ASSERT(!"the secret survived redaction");
	}
	free(out);
	free(in.s);
	free(key.s);
	return 0;
}
