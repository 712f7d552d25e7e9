/*
 * test_sha256.c - lib/core/sha256.c against the examples of FIPS 180-2
 * (appendix B: "abc", the 448-bit message, one million 'a'), the empty
 * message, and messages fed in every split, so that the buffering between
 * blocks (55, 56, 63, 64 and 65 bytes: where the padding spills into a
 * second block) is exercised as well as the compression.
 */
#include "check.h"
#include "sha256.h"

static void hex_of(const unsigned char *d, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < BTI_SHA256_SIZE; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

static void test_fips_examples(void)
{
	char hex[BTI_SHA256_HEX_SIZE];

	bti_sha256_hex("abc", 3, hex);
	CHECK_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	bti_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	CHECK_STR_EQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	bti_sha256_hex("", 0, hex);
	CHECK_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* One million 'a', fed 1000 bytes at a time. */
static void test_million_a(void)
{
	unsigned char chunk[1000], d[BTI_SHA256_SIZE];
	char hex[BTI_SHA256_HEX_SIZE];
	bti_sha256_ctx ctx;
	int i;

	memset(chunk, 'a', sizeof(chunk));
	bti_sha256_init(&ctx);
	for (i = 0; i < 1000; i++)
		bti_sha256_update(&ctx, chunk, sizeof(chunk));
	bti_sha256_final(&ctx, d);
	hex_of(d, hex);
	CHECK_STR_EQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the block and padding edges, and every way to split each
 * message in two, give the one-call digest.  The one-call digests of 55,
 * 56, 64 and 119 bytes of "x" were computed apart (Python's hashlib). */
static void test_splits(void)
{
	static const struct { size_t len; const char *hex; } known[] = {
		{ 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072" },
		{ 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e" },
		{ 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c" },
		{ 119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c" },
	};
	unsigned char msg[200], whole[BTI_SHA256_SIZE], part[BTI_SHA256_SIZE];
	char hex[BTI_SHA256_HEX_SIZE];
	size_t len, cut, i;

	for (len = 0; len < sizeof(msg); len++)
		msg[len] = (unsigned char)(len * 7 + 1);
	for (len = 0; len <= sizeof(msg); len++) {
		bti_sha256(msg, len, whole);
		for (cut = 0; cut <= len; cut++) {
			bti_sha256_ctx ctx;

			bti_sha256_init(&ctx);
			bti_sha256_update(&ctx, msg, cut);
			bti_sha256_update(&ctx, msg + cut, len - cut);
			bti_sha256_final(&ctx, part);
			if (memcmp(whole, part, sizeof(whole)) != 0) {
				fprintf(stderr, "length %zu split at %zu differs\n", len, cut);
				CHECK(0);
				return;
			}
		}
	}
	memset(msg, 'x', sizeof(msg));
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		bti_sha256_hex(msg, known[i].len, hex);
		CHECK_STR_EQ(hex, known[i].hex);
	}
}

int main(void)
{
	RUN(test_fips_examples);
	RUN(test_million_a);
	RUN(test_splits);
	return check_finish();
}
