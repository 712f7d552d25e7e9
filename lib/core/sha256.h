/*
 * sha256.h - SHA-256 (FIPS 180-4), the library's own: API tokens are kept
 * as the hash of the token, and the library takes no crypto dependency for
 * one hash.  Not constant-time with respect to the message length, which
 * is public; the data's bytes do not steer any branch.
 */
#ifndef BT_SHA256_H
#define BT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define BTI_SHA256_SIZE 32
/* Lowercase hex, with its NUL. */
#define BTI_SHA256_HEX_SIZE (2 * BTI_SHA256_SIZE + 1)

typedef struct bti_sha256_ctx {
	uint32_t state[8];
	uint64_t bytes;           /* message length so far */
	unsigned char block[64];
	size_t used;              /* bytes waiting in @block */
} bti_sha256_ctx;

void bti_sha256_init(bti_sha256_ctx *ctx);
void bti_sha256_update(bti_sha256_ctx *ctx, const void *data, size_t len);
/* Write the digest and wipe @ctx. */
void bti_sha256_final(bti_sha256_ctx *ctx, unsigned char out[BTI_SHA256_SIZE]);

/* The digest of @len bytes at @data, in one call. */
void bti_sha256(const void *data, size_t len, unsigned char out[BTI_SHA256_SIZE]);
/* The same as lowercase hex. */
void bti_sha256_hex(const void *data, size_t len, char out[BTI_SHA256_HEX_SIZE]);

/* Overwrite @len bytes at @p with zeros in a way the compiler keeps (a
 * secret must not outlive its use in a stack frame). */
void bti_wipe(void *p, size_t len);

#endif
