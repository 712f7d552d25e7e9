/*
 * test_normalize.c - bti_normalize_message and bti_format_has_words: every
 * placeholder kind, the false positives that must not happen, grouping
 * equivalences, raw bytes, and snprintf-style truncation.
 */
#include <stdio.h>
#include <string.h>

#include "normalize.h"

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

static const char *norm(const char *in, char *buf, size_t cap)
{
	bti_normalize_message(in, strlen(in), buf, cap);
	return buf;
}

static const struct { const char *in, *want; } cases[] = {
	/* the examples of the design */
	{ "connect to 10.0.0.1:5432 failed after 3 retries",
	  "connect to <ip>:<int> failed after <int> retries" },
	{ "user alice@example.com not found", "user <email> not found" },
	{ "GET https://api.example.com/v1/items?id=7#x returned 503", "GET <url> returned <int>" },
	{ "lookup db1.internal.example.com timed out", "lookup <host> timed out" },
	{ "request 123e4567-e89b-12d3-a456-426614174000 failed", "request <uuid> failed" },
	{ "object at 0x7ffd5e8a1c20 freed twice", "object at <hex> freed twice" },
	{ "took 150ms (limit 1.5s)", "took <duration> (limit <duration>)" },
	{ "ratio 0.75 exceeds 0.5", "ratio <float> exceeds <float>" },
	{ "at 2024-01-15T10:30:00.123Z job failed", "at <date> job failed" },
	{ "commit a1b2c3d broke it", "commit <git-sha> broke it" },
	{ "blob da39a3ee5e6b4b0d3255bfef95601890afd80709 missing", "blob <sha1> missing" },
	{ "login failed user=\"bob smith\" admin=true", "login failed user=<quoted> admin=<bool>" },
	{ "encoding utf-8 unsupported in Fee::add()", "encoding utf-8 unsupported in Fee::add()" },
	{ "fe80::1 and ::1 unreachable", "<ip> and <ip> unreachable" },
	{ "processed 4,150,908 rows", "processed <int> rows" },
	{ "errno -13 on fd 7", "errno <int> on fd <int>" },
	{ "", "" },

	/* e-mail */
	{ "to first.last+tag@mail.example.co.uk,", "to <email>," },
	{ "<bob_99@corp.internal>", "<<email>>" },
	{ "root@localhost denied", "root@localhost denied" },
	{ "mailto:x@y.org", "mailto:<email>" },

	/* URLs */
	{ "see http://user:pass@host.example.com:8080/a/b?q=1&r=2#frag.", "see <url>." },
	{ "ws://10.0.0.1:9000/socket closed", "<url> closed" },
	{ "(wss://a.b/c)", "(<url>)" },
	{ "FTP://files.example.org/x.tar.gz", "<url>" },
	{ "https:// nothing", "https:// nothing" },
	{ "gopher://x.org/", "gopher://<host>/" },

	/* hosts */
	{ "api.github.io down", "<host> down" },
	{ "redis.default.svc.cluster.local:6379", "<host>:<int>" },
	{ "www.example.de refused", "<host> refused" },
	{ "EXAMPLE.COM", "<host>" },
	{ "in file.c line 3", "in file.c line <int>" },
	{ "bad config.json and main.py and lib.rs and x.go", "bad config.json and main.py and lib.rs and x.go" },
	{ "version v1.2 and 1.2.3", "version v1.2 and 1.2.3" },
	{ "java.lang.NullPointerException", "java.lang.NullPointerException" },
	{ "at com.example.Foo.bar(Foo.java:42)", "at com.example.Foo.bar(Foo.java:<int>)" },
	{ "os.path has no attribute user.id", "os.path has no attribute user.id" },
	{ "re.search() failed", "re.search() failed" },
	{ "index.html style.css", "index.html style.css" },

	/* IPs */
	{ "from 192.168.1.254", "from <ip>" },
	{ "256.1.1.1", "256.1.1.1" }, /* not an IP: a dotted version */
	{ "::ffff:10.0.0.1 mapped", "<ip> mapped" },
	{ "2001:db8:85a3::8a2e:370:7334", "<ip>" },
	{ "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "<ip>" },
	{ "[::1]:8080", "[<ip>]:<int>" },
	{ "fe80::1%eth0 link", "<ip> link" },
	{ "10.0.0.1/24", "<ip>/<int>" },
	{ "std::vector<int> and Class::method and A::B", "std::vector<int> and Class::method and A::B" },
	{ "Fee::add and dead::beef and Abc1::def2", "Fee::add and dead::beef and Abc1::def2" },
	{ "ns::f1() db::add1 a::b1 cafe::babe1", "ns::f1() db::add1 a::b1 cafe::babe1" },
	{ "fd00::a1 ff02::1:2 2001:db8::", "<ip> <ip> <ip>" },
	{ "cafe::babe1(x)", "cafe::babe1(x)" },

	/* trace ids */
	{ "tp 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 end", "tp <traceparent> end" },
	{ "Root=1-5759e988-bd862e3fe1be46a994272793", "Root=<traceparent>" },

	/* UUIDs and hashes */
	{ "{123E4567-E89B-12D3-A456-426614174000}", "{<uuid>}" },
	{ "md5 d41d8cd98f00b204e9800998ecf8427e ok", "md5 <md5> ok" },
	{ "sha256 and md5 and sha1", "sha256 and md5 and sha1" },

	/* dates and times */
	{ "2024-01-15T10:30:00Z", "<date>" },
	{ "at 2024-01-15 10:30:00.123+02:00 ok", "at <date> ok" },
	{ "2024-01-15T10:30:00-0500", "<date>" },
	{ "on 2024-01-15 only", "on <date> only" },
	{ "Date: Mon, 15 Jan 2024 10:30:00 GMT", "Date: <date>" },
	{ "15 Jan 2024 10:30:00 +0000", "<date>" },
	{ "Mon, 15 Jan 2024", "<date>" },
	{ "at 10:30 today", "at <date> today" },
	{ "at 10:30:59 pm", "at <date>" },
	{ "at 09:05am", "at <date>" },
	{ "build 20240115T103000Z", "build <date>" },
	{ "2024-20-45", "<int>-<int>-<int>" },
	{ "24:00 and 12:60", "<int>:<int> and <int>:<int>" },
	{ "leap 23:59:60", "leap <date>" },
	{ "2024/01/15 10:30:00 log line", "<date> log line" },
	{ "2024/01-15", "<int>/<int>-<int>" },
	{ "at index.js:12:34 and main.rs:10:5", "at index.js:<int>:<int> and main.rs:<int>:<int>" },
	{ "2024-01-15T25:00", "<int>-<int>-15T25:<int>" },

	/* durations */
	{ "waited 30sec, 2h, 5min, 10s, 3us, 4ns, 1d", "waited <duration>, <duration>, <duration>, <duration>, <duration>, <duration>, <duration>" },
	{ "took 12\xc2\xb5s", "took <duration>" },
	{ "delta -5s", "delta <duration>" },
	{ "go 1m30s 2h45m0.5s 1.5\xc2\xb5s", "go <duration> <duration> <duration>" },
	{ "5s1 5mo 10seconds", "5s1 5mo 10seconds" },
	{ "3rd 1st 64bit 5mb 10mins", "3rd 1st 64bit 5mb <duration>" },

	/* hex */
	{ "flags 0X1F and 0xdeadBEEF", "flags <hex> and <hex>" },
	{ "key deadbeef12 and 12345678", "key <hex> and <hex>" },
	{ "words deadbeef cafe facade accede", "words deadbeef cafe facade accede" },
	{ "id 1234567 vs 12345678", "id <int> vs <hex>" },
	{ "0x", "0x" },

	/* git SHAs */
	{ "at 1a2b3c4:", "at <git-sha>:" },
	{ "E100234 and ABC1234 and abcdef0x", "E100234 and ABC1234 and abcdef0x" },
	{ "a1b2c3 is short", "a1b2c3 is short" },

	/* floats and integers */
	{ "eps 1e-9 big 2.5E+10 neg -0.5", "eps <float> big <float> neg <float>" },
	{ "HTTP/1.1 200", "HTTP/<float> <int>" },
	{ "x=-42 (-1) [-2] a,-3 b:-4", "x=<int> (<int>) [<int>] a,<int> b:<int>" },
	{ "range 3-4", "range <int>-<int>" },
	{ "step 1,2,3", "step <int>,<int>,<int>" },
	{ "n 1,2345", "n <int>,<int>" },
	{ "total 1,000,000.", "total <int>." },
	{ "50% at #3 cost $4", "<int>% at #<int> cost $<int>" },
	{ "path /users/42/orders", "path /users/<int>/orders" },
	{ "--5 -x", "--<int> -x" },

	/* words with digits stay */
	{ "utf-8 sha256 x86_64 ipv6 h2 base64 ext4 md5 port-8080 v2 E1001",
	  "utf-8 sha256 x86_64 ipv6 h2 base64 ext4 md5 port-8080 v2 E1001" },
	{ "user_id=12345", "user_id=<int>" },
	{ "abc-123 and foo_42", "abc-123 and foo_42" },

	/* values after '=' */
	{ "a='x y' b=\"q\\\"z\" c=FALSE d=True", "a=<quoted> b=<quoted> c=<bool> d=<bool>" },
	{ "a=\"unterminated", "a=\"unterminated" },
	{ "said \"hi\" and truex=truest", "said \"hi\" and truex=truest" },
	{ "a=\"\"", "a=<quoted>" },
};

static void test_cases(void)
{
	char buf[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = bti_normalize_message(cases[i].in, strlen(cases[i].in), buf, sizeof(buf));

		CHECK(strcmp(buf, cases[i].want) == 0, "normalize(\"%s\")\n  got  \"%s\"\n  want \"%s\"",
		      cases[i].in, buf, cases[i].want);
		CHECK(n == strlen(buf), "normalize(\"%s\") returned %zu", cases[i].in, n);
	}
}

/* Messages differing only in one variable part group together; messages
 * differing in a real word do not. */
static void test_grouping(void)
{
	static const char *const same[][2] = {
		{ "timeout after 150ms on 10.0.0.1", "timeout after 3s on 192.168.0.9" },
		{ "user bob@example.com id 7", "user eve@example.org id 123456" },
		{ "req 123e4567-e89b-12d3-a456-426614174000", "req 00000000-0000-0000-0000-000000000000" },
		{ "at 2024-01-15T10:30:00Z", "at 1999-12-31 23:59:59.999+05:30" },
		{ "obj 0x1 freed", "obj 0xffffffffffff freed" },
		{ "commit a1b2c3d", "commit 0123abc" },
		{ "n=4,150,908", "n=7" },
		{ "ratio 0.5", "ratio 1e9" },
		{ "login name=\"a\"", "login name='b c'" },
	};
	static const char *const differ[][2] = {
		{ "open failed", "close failed" },
		{ "utf-8 failed", "utf-16 failed" },
		{ "Foo::add()", "Foo::sub()" },
		{ "in main.c", "in util.c" },
		{ "sha256", "sha512" },
	};
	char a[256], b[256];

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		CHECK(strcmp(norm(same[i][0], a, sizeof(a)), norm(same[i][1], b, sizeof(b))) == 0,
		      "\"%s\" -> \"%s\" but \"%s\" -> \"%s\"", same[i][0], a, same[i][1], b);
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++)
		CHECK(strcmp(norm(differ[i][0], a, sizeof(a)), norm(differ[i][1], b, sizeof(b))) != 0,
		      "\"%s\" and \"%s\" both -> \"%s\"", differ[i][0], differ[i][1], a);
}

/* NULs, invalid UTF-8 and control bytes are copied; input is read only up
 * to len, never to a NUL. */
static void test_raw_bytes(void)
{
	static const char in[] = "a\0b \xff\xfe 42\x01\xc3(\0";
	static const char want[] = "a\0b \xff\xfe <int>\x01\xc3(\0";
	char buf[64];
	size_t n = bti_normalize_message(in, sizeof(in) - 1, buf, sizeof(buf));

	CHECK(n == sizeof(want) - 1 && memcmp(buf, want, n + 1) == 0, "raw bytes: got %zu bytes", n);

	/* "12" followed by bytes we must not see */
	n = bti_normalize_message("1234567899", 2, buf, sizeof(buf));
	CHECK(n == 5 && strcmp(buf, "<int>") == 0, "len limit: got \"%s\"", buf);
	n = bti_normalize_message("user a@example.com", 11, buf, sizeof(buf));
	CHECK(strcmp(buf, "user a@exam") == 0, "len limit: got \"%s\"", buf);
	n = bti_normalize_message(NULL, 0, buf, sizeof(buf));
	CHECK(n == 0 && buf[0] == '\0', "NULL input");
}

static void test_truncation(void)
{
	const char *in = "connect to 10.0.0.1:5432 failed";
	const char *full = "connect to <ip>:<int> failed";
	size_t want = strlen(full);
	char buf[64];

	for (size_t cap = 0; cap <= want + 2; cap++) {
		size_t n;

		memset(buf, '#', sizeof(buf));
		n = bti_normalize_message(in, strlen(in), buf, cap);
		CHECK(n == want, "cap %zu: returned %zu", cap, n);
		CHECK(buf[cap] == '#', "cap %zu: wrote past cap", cap);
		if (cap) {
			size_t k = cap - 1 < want ? cap - 1 : want;

			CHECK(memcmp(buf, full, k) == 0 && buf[k] == '\0', "cap %zu: got \"%s\"", cap, buf);
		}
	}
	CHECK(bti_normalize_message(in, strlen(in), NULL, 0) == want, "NULL out with cap 0");
}

static void test_format_has_words(void)
{
	static const struct { const char *fmt; int want; } fmts[] = {
		{ "%s", 0 }, { "%s: %s", 0 }, { "%d/%d", 0 }, { "  %s  ", 0 }, { "", 0 },
		{ "%-10.5lld %zu %%", 0 }, { "x=%d", 0 }, { "%1$s %2$*3$d", 0 }, { "%ls%hhd", 0 },
		{ "a %s b", 0 }, { "%", 0 }, { "%%s", 0 }, { "100%% %s", 0 },
		{ "open %s failed", 1 }, { "id %d", 1 }, { "%sfoo", 1 }, { "%%of", 1 },
		{ "errno=%d (%s) in %s", 1 }, { "ab", 1 }, { "%s.so", 1 },
	};

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		CHECK(bti_format_has_words(fmts[i].fmt) == fmts[i].want,
		      "format_has_words(\"%s\") != %d", fmts[i].fmt, fmts[i].want);
	CHECK(bti_format_has_words(NULL) == 0, "format_has_words(NULL)");
}

int main(void)
{
	test_cases();
	test_grouping();
	test_raw_bytes();
	test_truncation();
	test_format_has_words();
	fprintf(stderr, "test_normalize: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
