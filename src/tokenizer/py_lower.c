#include "tokenizer/py_lower.h"

#include <utf8proc.h>

#include "tokenizer/case_props.inc"

static int in_ranges(const uint32_t (*r)[2], size_t count, uint32_t c) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r[mid][1] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < count && r[lo][0] <= c;
}

static int case_ignorable(uint32_t c) {
    return in_ranges(DRL_CASE_IGNORABLE, sizeof(DRL_CASE_IGNORABLE) / sizeof(DRL_CASE_IGNORABLE[0]),
                     c);
}

static int cased(uint32_t c) {
    return in_ranges(DRL_CASED, sizeof(DRL_CASED) / sizeof(DRL_CASED[0]), c);
}

/* \p{cased} \p{case-ignorable}* U+03A3 !(\p{case-ignorable}* \p{cased}) */
static int final_sigma(const uint32_t *s, size_t n, size_t i) {
    size_t j = i;
    while (j > 0 && case_ignorable(s[j - 1]))
        j--;
    if (j == 0 || !cased(s[j - 1])) return 0;
    j = i + 1;
    while (j < n && case_ignorable(s[j]))
        j++;
    return j == n || !cased(s[j]);
}

void py_lower(const uint32_t *in, size_t n, CpBuf *out) {
    out->n = 0;
    cpbuf_reserve(out, n + 1);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = in[i];
        if (c < 0x80) {
            cpbuf_push(out, (c >= 'A' && c <= 'Z') ? c + 32 : c);
        } else if (c == 0x130) {
            cpbuf_push(out, 'i');
            cpbuf_push(out, 0x307);
        } else if (c == 0x3A3) {
            cpbuf_push(out, final_sigma(in, n, i) ? 0x3C2 : 0x3C3);
        } else {
            cpbuf_push(out, (uint32_t)utf8proc_tolower((utf8proc_int32_t)c));
        }
    }
}
