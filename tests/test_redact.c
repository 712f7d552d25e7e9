/*
 * test_redact.c - bti_redact: every key=value form, case and compound keys,
 * words that only look like keys, custom key lists, JSON that must stay
 * valid, unterminated quotes, truncation, and random text around a secret
 * that must never survive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

static int failures, checks;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		failures++; \
	} \
} while (0)

static const char *redact(const char *in, const char *const *keys, char *buf, size_t cap)
{
	bti_redact(in, strlen(in), keys, buf, cap);
	return buf;
}

static const struct { const char *in, *want; } cases[] = {
	/* forms */
	{ "password=hunter2", "password=[redacted]" },
	{ "login password = hunter2 failed", "login password = [redacted] failed" },
	{ "password: hunter2", "password: [redacted]" },
	{ "password:hunter2", "password:[redacted]" },
	{ "{\"password\": \"hunter2\"}", "{\"password\": \"[redacted]\"}" },
	{ "{\"password\":\"hunter2\",\"user\":\"bob\"}", "{\"password\":\"[redacted]\",\"user\":\"bob\"}" },
	{ "{\"token\": 123}", "{\"token\": \"[redacted]\"}" },
	{ "{\"token\":true,\"n\":1}", "{\"token\":\"[redacted]\",\"n\":1}" },
	{ "{\"token\": null }", "{\"token\": \"[redacted]\" }" },
	{ "{\"auth\": {\"user\": \"x\", \"pass\": \"}\"}, \"n\": 1}", "{\"auth\": \"[redacted]\", \"n\": 1}" },
	{ "{\"secret\": [1, [2], \"]\"]}", "{\"secret\": \"[redacted]\"}" },
	{ "Authorization: Bearer abc.def\nnext line", "Authorization: [redacted]\nnext line" },
	{ "Cookie: a=1; b=2\r\nHost: x", "Cookie: [redacted]\r\nHost: x" },
	{ "Set-Cookie: id=1; Path=/", "Set-Cookie: [redacted]" },
	{ "Proxy-Authorization: Basic dXNlcg==", "Proxy-Authorization: [redacted]" },
	{ "password=\"hun ter2\" next=1", "password=\"[redacted]\" next=1" },
	{ "password='hun ter2' next=1", "password='[redacted]' next=1" },
	{ "password=\"a\\\"b c\" x", "password=\"[redacted]\" x" },
	{ "GET /cb?token=abc&x=1", "GET /cb?token=[redacted]&x=1" },
	{ "f(token=abc) [pwd=x] {secret=y}", "f(token=[redacted]) [pwd=[redacted]] {secret=[redacted]}" },
	/* Found by fuzzing (issue 8): each of these leaked the second secret. */
	{ "user=bob password= api_key: abc123 rc=1", "user=bob password= api_key: [redacted] rc=1" },
	{ "f(token=abc(secret: hunter2))", "f(token=[redacted]secret: [redacted]))" },
	{ "X-Api-Key: \"token\": abc", "X-Api-Key: \"token\": \"[redacted]\"" },
	/* ...and those fixes must not give back what was redacted before
	 * (found by review): a value that ends in a key's name, a path's
	 * backslash before a key, an escaped backslash. */
	{ "password=hunter2_token: x", "password=[redacted] [redacted]" },
	{ "password=ab/c_token: y", "password=[redacted] [redacted]" },
	{ "password: p4ss.auth: ok", "password: [redacted] [redacted]" },
	{ "token: token: token: x", "token: token: token: [redacted]" },
	{ "password=s3cr\\\"token\":\"more\"", "password=[redacted]\"" },
	{ "C:\\token=hunter2", "C:\\token=[redacted]" },
	{ "{\"m\":\"a\\\\token=hunter2\"}", "{\"m\":\"a\\\\token=[redacted]\"}" },
	{ "{\"log\": \"GET /login\\npassword=hunter2 u=1\"}",
	  "{\"log\": \"GET /login\\npassword=[redacted] u=1\"}" },
	{ "{\"password\":\n  \"hunter2\"}", "{\"password\":\n  \"[redacted]\"}" },
	{ "Cookie: \"sid\": hunter2 a=1\nHost: x", "Cookie: \"[redacted]\": [redacted]\nHost: x" },
	{ "a password=x, token=y; auth=z", "a password=[redacted], token=[redacted]; auth=[redacted]" },
	{ "password= hunter2", "password= [redacted]" },
	{ "'password' => 'x'", "'password' => '[redacted]'" },
	{ "{'token': 42}", "{'token': '[redacted]'}" },
	{ "args=\"-u bob password=x\" rc=1", "args=\"-u bob password=[redacted]\" rc=1" },
	{ "--password=x --user=bob", "--password=[redacted] --user=bob" },

	/* Issue 13: each of these was stored in clear. */
	{ "{\"pass\\u0077ord\": \"hunter2\"}", "{\"pass\\u0077ord\": \"[redacted]\"}" },
	{ "{\"\\u0070assword\":\"hunter2\"}", "{\"\\u0070assword\":\"[redacted]\"}" },
	{ "{\"db\\u005FPASSWORD\": 42}", "{\"db\\u005FPASSWORD\": \"[redacted]\"}" },
	{ "accessToken=abc refreshToken: def authToken=ghi",
	  "accessToken=[redacted] refreshToken: [redacted] authToken=[redacted]" },
	{ "{\"clientSecret\": \"s3\", \"userPassword\": \"pw\"}",
	  "{\"clientSecret\": \"[redacted]\", \"userPassword\": \"[redacted]\"}" },
	{ "db2Password=x", "db2Password=[redacted]" },
	{ "connect https://bob:hunter2@db.example.com:5432/app failed",
	  "connect https://bob:[redacted]@db.example.com:5432/app failed" },
	{ "redis://:hunter2@cache:6379/0", "redis://:[redacted]@cache:6379/0" },
	{ "cut https://bob:hunter", "cut https://bob:[redacted]" },
	{ "a://b:[X-Session => hunter2}", "a://b:[redacted] => [redacted]}" }, /* fuzz_redact */
	{ "u://(password=hunter2}@x:pw@h/", "u://(password=[redacted]}@x:[redacted]@h/" }, /* fuzz_redact */
	{ "postgres://bob:p@ss:w0rd@db/x?sslmode=require", "postgres://bob:[redacted]@db/x?sslmode=require" },
	{ "{\"url\": \"https:\\/\\/bob:hunter2@h\\/x\"}", "{\"url\": \"https:\\/\\/bob:[redacted]@h\\/x\"}" },
	{ "aws_secret_access_key=abc AWS_SECRET_ACCESS_KEY: def", "aws_secret_access_key=[redacted] AWS_SECRET_ACCESS_KEY: [redacted]" },
	{ "passphrase=a credentials: b sessionid=c secret-key=d",
	  "passphrase=[redacted] credentials: [redacted] sessionid=[redacted] secret-key=[redacted]" },
	{ "run --password hunter2 --user bob", "run --password [redacted] --user bob" },
	{ "run --db-password 'hun ter2' -v", "run --db-password '[redacted]' -v" },
	{ "cmd=\"backup --token abc\" rc=1", "cmd=\"backup --token [redacted]\" rc=1" },
	{ "mysql -u root -phunter2 app", "mysql -u root -p[redacted] app" },
	{ "/usr/bin/mysqldump -u root -p'hun ter2' app", "/usr/bin/mysqldump -u root -p'[redacted]' app" },
	{ "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIB\nAAKCAQEA\n-----END RSA PRIVATE KEY-----\nnext",
	  "-----BEGIN RSA PRIVATE KEY-----[redacted]-----END RSA PRIVATE KEY-----\nnext" },
	{ "{\"k\": \"-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Bl\\n-----END OPENSSH PRIVATE KEY-----\"}",
	  "{\"k\": \"-----BEGIN OPENSSH PRIVATE KEY-----[redacted]-----END OPENSSH PRIVATE KEY-----\"}" },
	{ "{\"k\": \"-----BEGIN PRIVATE KEY-----\\nMIIE cut\", \"n\": 1}",
	  "{\"k\": \"-----BEGIN PRIVATE KEY-----[redacted]\", \"n\": 1}" },
	{ "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl_-x ok", "Bearer [redacted] ok" },
	{ "jwt eyJhbGciOiJub25lIn0.e30. expired", "jwt [redacted] expired" },
	{ "cut eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx", "cut [redacted]" },
	{ "f(--token abc) x", "f(--token [redacted]) x" },

	/* ...also when the word that announces them was taken as a value */
	{ "token= mysql -u root -phunter2 db", "token= [redacted] -u root -p[redacted] db" },
	{ "token= -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
	  "token= [redacted] RSA PRIVATE KEY-----[redacted]-----END RSA PRIVATE KEY-----" },
	{ "password= --token hunter2 x", "password= --token [redacted] x" },
	/* found by test_redact_fuzz and fuzz_redact: an option's value ends
	 * as a key=value's does, and what it swallows counts... */
	{ "-Api-Key\tuser.PRiVatE-KEY= hunter2]", "-Api-Key\t[redacted] [redacted]]" },
	{ "--token x;|Db-Pwd : \"hunter2\"", "--token [redacted];|Db-Pwd : \"[redacted]\"" },
	/* ...a PEM label taken as a header's value still starts a key... */
	{ "Authorization: x -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
	  "Authorization: [redacted][redacted]-----END RSA PRIVATE KEY-----" },
	/* ...a key cut short (no END) in plain text goes to the end... */
	{ "-----BEGIN EC PRIVATE KEY-----\nMIIE\nsecret=\"x\"", "-----BEGIN EC PRIVATE KEY-----[redacted]" },
	/* ...and "\tmysql" in a JSON string is still mysql */
	{ "{\"log\": \"x\\tmysql -u root -phunter2 db\"}", "{\"log\": \"x\\tmysql -u root -p[redacted] db\"}" },
	/* found by fuzz_redact: an escaped name as a key's (empty) value */
	{ "auth:\taccess_toke\\u006e: hunter2 x", "auth:\taccess_toke\\u006e: [redacted] x" },
	{ "password=pass\\u0077ord: hunter2", "password=[redacted] [redacted]" },
	{ "-----BEGIN PRIVATE KEY-----MIIEvQ-----END PRIVATE KEY-----",
	  "-----BEGIN PRIVATE KEY-----[redacted]-----END PRIVATE KEY-----" },

	/* ...and what stays: a -p elsewhere or alone, a URL without a
	 * password, public PEM blocks, words that only start like a JWT. */
	{ "mysql -u root -p app", "mysql -u root -p app" },
	{ "tar -pxf a.tar; ls -p", "tar -pxf a.tar; ls -p" },
	{ "mysql ok\ntar -pxf a", "mysql ok\ntar -pxf a" },
	{ "https://bob@example.com:8443/a?b=c http://[::1]:80/", "https://bob@example.com:8443/a?b=c http://[::1]:80/" },
	{ "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
	  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" },
	{ "eyJust.a.word", "eyJust.a.word" },
	{ "eyJhbGciOiJIUzI1NiJ9.abc", "eyJhbGciOiJIUzI1NiJ9.abc" },
	{ "--token-file /etc/t --password-file=/etc/p", "--token-file /etc/t --password-file=/etc/p" },
	{ "run --password --user bob", "run --password --user bob" },

	/* empty values stay empty */
	{ "password= , user=bob", "password= , user=bob" },
	{ "password=&x=1", "password=&x=1" },
	{ "password=", "password=" },
	{ "password=\"\"", "password=\"\"" },
	{ "{\"token\": \"\"}", "{\"token\": \"\"}" },
	{ "password:\nhunter2", "password:\nhunter2" },

	/* case-insensitive and compound keys */
	{ "PASSWORD=x Password: y", "PASSWORD=[redacted] Password: [redacted]" },
	{ "db_password=x", "db_password=[redacted]" },
	{ "X-Api-Key: abc", "X-Api-Key: [redacted]" },
	{ "x_api-KEY=abc", "x_api-KEY=[redacted]" },
	{ "user.token=abc", "user.token=[redacted]" },
	{ "\"db.password\": \"x\"", "\"db.password\": \"[redacted]\"" },
	{ "client-secret=abc refresh_token=def", "client-secret=[redacted] refresh_token=[redacted]" },
	{ "AWS_SECRET=1 GITHUB_TOKEN=2 PGPASSWORD=3", "AWS_SECRET=[redacted] GITHUB_TOKEN=[redacted] PGPASSWORD=3" },

	/* not keys */
	{ "passwordless=1", "passwordless=1" },
	{ "tokenizer=x", "tokenizer=x" },
	{ "notoken=x", "notoken=x" },
	{ "password_hint=x", "password_hint=x" },
	{ "oauth=x author: bob", "oauth=x author: bob" },
	{ "Session::get() failed", "Session::get() failed" },
	{ "wrong password for bob", "wrong password for bob" },
	{ "{\"type\": \"password\", \"n\": 1}", "{\"type\": \"password\", \"n\": 1}" },

	/* unterminated quotes take the rest */
	{ "password=\"hunter2 and more", "password=\"[redacted]" },
	{ "{\"token\": \"abc", "{\"token\": \"[redacted]" },
	{ "password=\"abc\\", "password=\"[redacted]" },
	{ "{\"auth\": {\"a\": 1", "{\"auth\": \"[redacted]\"" },

	/* JSON escaped inside a JSON string */
	{ "{\"ctx\": \"{\\\"password\\\":\\\"ab\\\\\\\"cd\\\"}\"}",
	  "{\"ctx\": \"{\\\"password\\\":\\\"[redacted]\\\"}\"}" },
	{ "{\"ctx\": \"{\\\"token\\\": 5}\"}", "{\"ctx\": \"{\\\"token\\\": \\\"[redacted]\\\"}\"}" },
	{ "{\"msg\": \"args=\\\"password=abc x\\\"\"}", "{\"msg\": \"args=\\\"password=[redacted] x\\\"\"}" },
	{ "{\"msg\": \"args=\\\"password=abc\\\" x\"}", "{\"msg\": \"args=\\\"password=[redacted]\\\" x\"}" },
	{ "msg=\"login password=x\" rc=1 \"token=y\"", "msg=\"login password=[redacted]\" rc=1 \"token=[redacted]\"" },
	{ "password=ab\"cd token=x'y", "password=[redacted] token=[redacted]" },
	{ "{\"h\": \"Authorization: Bearer x y\", \"n\": 1}", "{\"h\": \"Authorization: [redacted]\", \"n\": 1}" },

	{ "", "" },
	{ "nothing secret here", "nothing secret here" },
};

static void test_cases(void)
{
	char buf[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = bti_redact(cases[i].in, strlen(cases[i].in), NULL, buf, sizeof(buf));

		CHECK(strcmp(buf, cases[i].want) == 0, "redact(\"%s\")\n  got  \"%s\"\n  want \"%s\"",
		      cases[i].in, buf, cases[i].want);
		CHECK(n == strlen(buf), "redact(\"%s\") returned %zu", cases[i].in, n);
	}
}

static void test_custom_keys(void)
{
	static const char *const keys[] = { "pin", "ssn", "x-signature", NULL };
	static const char *const none[] = { NULL };
	static const char *const empty[] = { "", NULL };
	char buf[256];

	CHECK(strcmp(redact("pin=1234 card_pin: 9 password=x", keys, buf, sizeof(buf)),
		     "pin=[redacted] card_pin: [redacted] password=x") == 0, "custom: %s", buf);
	CHECK(strcmp(redact("{\"SSN\": \"1\"} X_Signature=ab", keys, buf, sizeof(buf)),
		     "{\"SSN\": \"[redacted]\"} X_Signature=[redacted]") == 0, "custom: %s", buf);
	CHECK(strcmp(redact("password=x", none, buf, sizeof(buf)), "password=x") == 0,
	      "empty list: %s", buf);
	CHECK(strcmp(redact("a_=x _=y", empty, buf, sizeof(buf)), "a_=x _=y") == 0,
	      "empty key: %s", buf);
}

/* Unescaped double quotes must pair up, as in valid JSON. */
static int quotes_balance(const char *s)
{
	int open = 0;

	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '"')
			open = !open;
	}
	return !open;
}

static void test_json_stays_valid(void)
{
	static const char *const docs[] = {
		"{\"password\": \"x\", \"token\": 1, \"auth\": {\"a\": [1, \"}\"]}, \"ok\": true}",
		"[{\"api_key\":false},{\"Cookie\":\"a=1; b=2\"},{\"session\":null}]",
		"{\"nested\": {\"client_secret\": -1.5e3, \"refresh_token\": \"a\\\"b\"}}",
		"{\"private_key\": \"-----BEGIN KEY-----\\nabc\\n-----END KEY-----\"}",
		"{\"authorization\": \"Bearer x\", \"n\": 1}",
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		redact(docs[i], NULL, buf, sizeof(buf));
		CHECK(quotes_balance(buf), "unbalanced: %s", buf);
		CHECK(strstr(buf, "[redacted]") != NULL, "nothing redacted: %s", buf);
	}
	CHECK(strcmp(buf, "{\"authorization\": \"[redacted]\", \"n\": 1}") == 0, "json: %s", buf);
}

static void test_truncation(void)
{
	const char *in = "user=bob password=hunter2 ok";
	const char *full = "user=bob password=[redacted] ok";
	size_t want = strlen(full);
	char buf[64];

	for (size_t cap = 0; cap <= want + 2; cap++) {
		size_t n;

		memset(buf, '#', sizeof(buf));
		n = bti_redact(in, strlen(in), NULL, buf, cap);
		CHECK(n == want, "cap %zu: returned %zu", cap, n);
		CHECK(buf[cap] == '#', "cap %zu: wrote past cap", cap);
		if (cap) {
			size_t k = cap - 1 < want ? cap - 1 : want;

			CHECK(memcmp(buf, full, k) == 0 && buf[k] == '\0', "cap %zu: got \"%s\"", cap, buf);
		}
	}
	CHECK(bti_redact(in, strlen(in), NULL, NULL, 0) == want, "NULL out with cap 0");
	CHECK(bti_redact(NULL, 0, NULL, buf, sizeof(buf)) == 0 && buf[0] == '\0', "NULL in");
}

/* Input is read only up to len, and NULs and invalid UTF-8 are copied. */
static void test_raw_bytes(void)
{
	static const char in[] = "\xff\0token=\xfe\x80\0x y\0";
	static const char want[] = "\xff\0token=[redacted] y\0"; /* NUL is no delimiter */
	char buf[64];
	size_t n = bti_redact(in, sizeof(in) - 1, NULL, buf, sizeof(buf));

	CHECK(n == sizeof(want) - 1 && memcmp(buf, want, n + 1) == 0, "raw bytes: %zu bytes", n);
	n = bti_redact("password=hunter2", 8, NULL, buf, sizeof(buf));
	CHECK(strcmp(buf, "password") == 0, "len limit: %s", buf);
}

static int contains(const char *buf, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(buf + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Random text around " password=SECRETVALUE123 " never lets the secret
 * through, whatever quotes, brackets or other keys surround it. */
static void test_random_text(void)
{
	static const char alphabet[] = "ab_-.:=\"'\\{}[](),;& \n\ttokenauthpassword";
	static const char secret[] = " password=SECRETVALUE123 ";
	unsigned long long state = 0x9e3779b97f4a7c15ULL;
	char in[256], out[1024];
	int leaks = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t pre, post, len, n;

		state ^= state << 13, state ^= state >> 7, state ^= state << 17;
		pre = state % 80;
		post = (state >> 8) % 80;
		len = pre + sizeof(secret) - 1 + post;
		for (size_t i = 0; i < len; i++) {
			state ^= state << 13, state ^= state >> 7, state ^= state << 17;
			in[i] = (state >> 32) % 8 ? alphabet[(state >> 16) % (sizeof(alphabet) - 1)]
						  : (char)(state >> 24);
		}
		memcpy(in + pre, secret, sizeof(secret) - 1);
		n = bti_redact(in, len, NULL, out, sizeof(out));
		if (contains(out, n, "SECRET") || contains(out, n, "VALUE123"))
			leaks++;
	}
	CHECK(leaks == 0, "secret leaked in %d random texts", leaks);
}

int main(void)
{
	test_cases();
	test_custom_keys();
	test_json_stays_valid();
	test_truncation();
	test_raw_bytes();
	test_random_text();
	fprintf(stderr, "test_redact: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
