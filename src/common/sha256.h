/* SHA-256 (FIPS 180-4): streaming state, whole buffers and whole files.
 * The project's one SHA-256 implementation (checkpoint import, tokenizer and
 * store hashes). */
#ifndef DRL_COMMON_SHA256_H
#define DRL_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];     // chaining state
    uint64_t bytes;    // total message length so far
    uint8_t block[64]; // (64,) pending input
    size_t fill;       // bytes used in block
} DrlSha256;

void drl_sha256_init(DrlSha256 *s);
void drl_sha256_update(DrlSha256 *s, const void *data, size_t len);
void drl_sha256_final(DrlSha256 *s, uint8_t digest[32]);

/* Lower-case hex of a digest, NUL-terminated. */
void drl_sha256_hex(const uint8_t digest[32], char hex[65]);

/* Hex digest of a buffer. */
void drl_sha256_buffer(const void *data, size_t len, char hex[65]);

/* Hex digest of a file, read in 1 MiB pieces. Returns 0, or -1 with errno set
 * (hex is then the empty string). */
int drl_sha256_file(const char *path, char hex[65]);

#endif
