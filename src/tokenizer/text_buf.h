/* Growable code point and byte buffers, strict UTF-8 decoding and encoding
 * (internal to the tokenizer). */
#ifndef DRL_TOKENIZER_TEXT_BUF_H
#define DRL_TOKENIZER_TEXT_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t *v; // (cap) code points, n used
    size_t n, cap;
} CpBuf;

typedef struct {
    char *v; // (cap) bytes, n used, v[n] == 0 after bytebuf_terminate
    size_t n, cap;
} ByteBuf;

void cpbuf_reserve(CpBuf *b, size_t cap);
void cpbuf_push(CpBuf *b, uint32_t c);
void cpbuf_append(CpBuf *b, const uint32_t *c, size_t n);
void cpbuf_append_utf8(CpBuf *b, const char *s); // s: valid UTF-8, NUL-terminated
void cpbuf_free(CpBuf *b);
void cpbuf_swap(CpBuf *a, CpBuf *b);
int cpbuf_equal(const CpBuf *a, const CpBuf *b);

void bytebuf_reserve(ByteBuf *b, size_t cap);
void bytebuf_append(ByteBuf *b, const void *p, size_t n);
void bytebuf_terminate(ByteBuf *b);
void bytebuf_free(ByteBuf *b);

/* Strict UTF-8 (as Python's bytes.decode('utf-8')): appends the code points of
 * s[0..len) to out (out is cleared first). Returns 0, or -1 with *bad_offset
 * set to the byte offset of the first invalid sequence. */
int utf8_decode(const char *s, size_t len, CpBuf *out, size_t *bad_offset);

/* Lenient decode as Python's decode('utf-8', errors='replace'): each maximal
 * invalid subpart becomes U+FFFD. out is cleared first. */
void utf8_decode_replace(const unsigned char *s, size_t len, CpBuf *out);

/* Writes the UTF-8 of c (a scalar value) to out; returns its length 1..4. */
size_t utf8_put(uint32_t c, char out[4]);

/* Appends the UTF-8 of cp[0..n) to out (not cleared). */
void utf8_encode(const uint32_t *cp, size_t n, ByteBuf *out);

#endif
