#include "tokenizer/mojibake.h"

/* The byte a character would come from in Latin-1 / sloppy Windows-1252, or -1. */
static int cp1252_byte(uint32_t c) {
    static const uint16_t hi[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
    if (c <= 0xFF) return (int)c;
    for (int i = 0; i < 32; i++)
        if (hi[i] == c) return 0x80 + i;
    return -1;
}

int looks_mojibake(const uint32_t *cp, size_t n) {
    for (size_t i = 0; i + 1 < n; i++) {
        int b0 = cp[i] >= 0xC2 && cp[i] <= 0xF4 ? (int)cp[i] : -1; // leads are Latin-1 letters
        if (b0 < 0) continue;
        size_t need = b0 <= 0xDF ? 1 : b0 <= 0xEF ? 2 : 3;
        int lo = 0x80, hi = 0xBF;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
        size_t k = 1;
        for (; k <= need && i + k < n; k++) {
            int b = cp1252_byte(cp[i + k]);
            if (b < lo || b > hi) break;
            lo = 0x80;
            hi = 0xBF;
        }
        if (k == need + 1) return 1;
    }
    return 0;
}
