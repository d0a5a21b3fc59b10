/* SHA-256 (FIPS 180-4). */
#ifndef DRL_TOKENIZER_SHA256_H
#define DRL_TOKENIZER_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t bytes;        // message length so far
    unsigned char buf[64]; // pending block
    size_t buf_len;
} DrlSha256;

void drl_sha256_init(DrlSha256 *c);
void drl_sha256_update(DrlSha256 *c, const void *data, size_t n);
void drl_sha256_final(DrlSha256 *c, unsigned char digest[32]);
/* One-shot: hex digest (64 chars + NUL) of data[0..n). */
void drl_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
