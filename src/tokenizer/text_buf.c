#include "tokenizer/text_buf.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"

void cpbuf_reserve(CpBuf *b, size_t cap) {
    if (cap <= b->cap) return;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < cap)
        ncap *= 2;
    uint32_t *nv = realloc(b->v, ncap * sizeof(uint32_t));
    drlCheck(nv != NULL, "out of memory growing a text buffer");
    b->v = nv;
    b->cap = ncap;
}

void cpbuf_push(CpBuf *b, uint32_t c) {
    if (b->n == b->cap) cpbuf_reserve(b, b->n + 1);
    b->v[b->n++] = c;
}

void cpbuf_append(CpBuf *b, const uint32_t *c, size_t n) {
    cpbuf_reserve(b, b->n + n);
    if (n) memcpy(b->v + b->n, c, n * sizeof(uint32_t));
    b->n += n;
}

void cpbuf_append_utf8(CpBuf *b, const char *s) {
    CpBuf tmp = {0};
    size_t bad = 0;
    drlCheck(utf8_decode(s, strlen(s), &tmp, &bad) == 0, "internal table holds invalid UTF-8");
    cpbuf_append(b, tmp.v, tmp.n);
    cpbuf_free(&tmp);
}

void cpbuf_free(CpBuf *b) {
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

void cpbuf_swap(CpBuf *a, CpBuf *b) {
    CpBuf t = *a;
    *a = *b;
    *b = t;
}

int cpbuf_equal(const CpBuf *a, const CpBuf *b) {
    return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof(uint32_t)) == 0);
}

void bytebuf_reserve(ByteBuf *b, size_t cap) {
    if (cap <= b->cap) return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < cap)
        ncap *= 2;
    char *nv = realloc(b->v, ncap);
    drlCheck(nv != NULL, "out of memory growing a byte buffer");
    b->v = nv;
    b->cap = ncap;
}

void bytebuf_append(ByteBuf *b, const void *p, size_t n) {
    bytebuf_reserve(b, b->n + n + 1);
    if (n) memcpy(b->v + b->n, p, n);
    b->n += n;
}

void bytebuf_terminate(ByteBuf *b) {
    bytebuf_reserve(b, b->n + 1);
    b->v[b->n] = 0;
}

void bytebuf_free(ByteBuf *b) {
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

/* Length of the valid sequence at s[i..len) (1..4) or 0 if invalid; *cp gets
 * the code point. With partial != NULL, *partial gets the number of bytes that
 * form a valid prefix of a sequence (for the 'replace' decoder). */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len, uint32_t *cp,
                       size_t *partial) {
    unsigned c = s[i];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (partial) *partial = 0;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (i + k >= len) goto bad;
        unsigned d = s[i + k];
        if (d < lo || d > hi) goto bad;
        lo = 0x80;
        hi = 0xBF;
        v = (v << 6) | (d & 0x3F);
        if (partial) *partial = k + 1;
    }
    *cp = v;
    return need + 1;
bad:
    return 0;
}

int utf8_decode(const char *s, size_t len, CpBuf *out, size_t *bad_offset) {
    const unsigned char *u = (const unsigned char *)s;
    out->n = 0;
    cpbuf_reserve(out, len + 1);
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) { // fast path for ASCII
            out->v[out->n++] = u[i++];
            continue;
        }
        uint32_t cp;
        size_t k = utf8_seq(u, i, len, &cp, NULL);
        if (k == 0) {
            *bad_offset = i;
            return -1;
        }
        out->v[out->n++] = cp;
        i += k;
    }
    return 0;
}

void utf8_decode_replace(const unsigned char *s, size_t len, CpBuf *out) {
    out->n = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t partial;
        size_t k = utf8_seq(s, i, len, &cp, &partial);
        if (k) {
            cpbuf_push(out, cp);
            i += k;
        } else {
            cpbuf_push(out, 0xFFFD);
            i += partial ? partial : 1;
        }
    }
}

size_t utf8_put(uint32_t c, char out[4]) {
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    } else if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    } else if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

void utf8_encode(const uint32_t *cp, size_t n, ByteBuf *out) {
    bytebuf_reserve(out, out->n + 4 * n + 1);
    for (size_t i = 0; i < n; i++) {
        if (cp[i] < 0x80)
            out->v[out->n++] = (char)cp[i];
        else
            out->n += utf8_put(cp[i], out->v + out->n);
    }
}
