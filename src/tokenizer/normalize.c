#include "tokenizer/normalize.h"

#include "tokenizer/html_unescape.h"
#include "tokenizer/py_lower.h"

/* Python's str.isspace / re's \s: the spec's list (C) plus U+001C-001F, which
 * step A(i) has already removed. */
static int py_space(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* C: strip, each whitespace run -> one space, strip. */
static void clean_whitespace(const CpBuf *in, CpBuf *out) {
    out->n = 0;
    cpbuf_reserve(out, in->n);
    int pending = 0;
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->v[i];
        if (py_space(c)) {
            pending = 1;
            continue;
        }
        if (pending && out->n > 0) out->v[out->n++] = ' ';
        pending = 0;
        out->v[out->n++] = c;
    }
}

void normalize_text(const uint32_t *in, size_t n, NormScratch *s, CpBuf *out) {
    ftfy_fix_text(in, n, &s->ftfy, &s->a);
    html_unescape(s->a.v, s->a.n, &s->b);
    html_unescape(s->b.v, s->b.n, &s->a);
    clean_whitespace(&s->a, &s->b);
    py_lower(s->b.v, s->b.n, out);
}

void norm_scratch_free(NormScratch *s) {
    ftfy_scratch_free(&s->ftfy);
    cpbuf_free(&s->a);
    cpbuf_free(&s->b);
}
