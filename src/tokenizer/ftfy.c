/* spec/data.md §1 A, in the spec's step order (a), (c), (d), (e), (f), (g),
 * (h), (i), (j) within one pass. */
#include "tokenizer/ftfy.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/check.h"
#include "tokenizer/html_unescape.h"

static int is_alnum_ascii(uint32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* (a) ftfy unescape_html: each &#?[0-9A-Za-z]{1,24}; */
static void step_entities(const CpBuf *in, CpBuf *out) {
    out->n = 0;
    CpBuf tmp = {0};
    size_t i = 0;
    while (i < in->n) {
        uint32_t c = in->v[i];
        if (c != '&') {
            cpbuf_push(out, c);
            i++;
            continue;
        }
        size_t j = i + 1;
        int numeric = j < in->n && in->v[j] == '#';
        if (numeric) j++;
        size_t k = j;
        while (k < in->n && is_alnum_ascii(in->v[k]))
            k++;
        if (k == j || k - j > 24 || k >= in->n || in->v[k] != ';') {
            cpbuf_push(out, c);
            i++;
            continue;
        }
        size_t end = k + 1; // the match is in->v[i..end)
        char name[32];
        size_t len = 0;
        for (size_t p = i + 1; p < end; p++)
            name[len++] = (char)in->v[p];
        const char *v = numeric ? NULL : ftfy_entity(name, len);
        if (v) {
            cpbuf_append_utf8(out, v);
        } else if (numeric) {
            html_unescape(in->v + i, end - i, &tmp);
            int has_semicolon = 0;
            for (size_t p = 0; p < tmp.n; p++)
                has_semicolon |= tmp.v[p] == ';';
            if (has_semicolon)
                cpbuf_append(out, in->v + i, end - i);
            else
                cpbuf_append(out, tmp.v, tmp.n);
        } else {
            cpbuf_append(out, in->v + i, end - i);
        }
        i = end;
    }
    cpbuf_free(&tmp);
}

/* (c) C1 controls -> Windows-1252 (sloppy: 81 8D 8F 90 9D unchanged). */
static uint32_t c1_to_cp1252(uint32_t c) {
    static const uint16_t map[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
    return (c >= 0x80 && c <= 0x9F) ? map[c - 0x80] : c;
}

/* (d) ligatures: the replacement (1-3 code points) or 0 if none. */
static int ligature(uint32_t c, uint32_t rep[3]) {
    static const struct {
        uint32_t from;
        uint32_t to[3];
    } table[] = {
        {0x0132, {'I', 'J'}},      {0x0133, {'i', 'j'}},      {0x0149, {0x02BC, 'n'}},
        {0x01F1, {'D', 'Z'}},      {0x01F2, {'D', 'z'}},      {0x01F3, {'d', 'z'}},
        {0x01C4, {'D', 0x017D}},   {0x01C5, {'D', 0x017E}},   {0x01C6, {'d', 0x017E}},
        {0x01C7, {'L', 'J'}},      {0x01C8, {'L', 'j'}},      {0x01C9, {'l', 'j'}},
        {0x01CA, {'N', 'J'}},      {0x01CB, {'N', 'j'}},      {0x01CC, {'n', 'j'}},
        {0xFB00, {'f', 'f'}},      {0xFB01, {'f', 'i'}},      {0xFB02, {'f', 'l'}},
        {0xFB03, {'f', 'f', 'i'}}, {0xFB04, {'f', 'f', 'l'}}, {0xFB05, {0x017F, 't'}},
        {0xFB06, {'s', 't'}},
    };
    if (c < 0x0132 || (c > 0x01F3 && c < 0xFB00) || c > 0xFB06) return 0;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].from == c) {
            int k = 0;
            while (k < 3 && table[i].to[k]) {
                rep[k] = table[i].to[k];
                k++;
            }
            return k;
        }
    }
    return 0;
}

/* (e) the half-/full-width ranges whose code points go to their NFKC form. */
static int width_char(uint32_t c) {
    return (c >= 0xFF01 && c <= 0xFFBE) || (c >= 0xFFC2 && c <= 0xFFC7) ||
           (c >= 0xFFCA && c <= 0xFFCF) || (c >= 0xFFD2 && c <= 0xFFD7) ||
           (c >= 0xFFDA && c <= 0xFFDC) || (c >= 0xFFE0 && c <= 0xFFE6) ||
           (c >= 0xFFE8 && c <= 0xFFEE);
}

/* Applies utf8proc_map(options) to cp[0..n) and appends the result to out. */
static void utf8proc_apply(const uint32_t *cp, size_t n, int options, ByteBuf *bytes, CpBuf *out) {
    bytes->n = 0;
    utf8_encode(cp, n, bytes);
    utf8proc_uint8_t *res = NULL;
    utf8proc_ssize_t len =
        utf8proc_map((const utf8proc_uint8_t *)bytes->v, (utf8proc_ssize_t)bytes->n, &res,
                     (utf8proc_option_t)options);
    drlCheck(len >= 0, "utf8proc_map failed on text that is valid UTF-8");
    CpBuf tmp = {0};
    size_t bad = 0;
    drlCheck(utf8_decode((const char *)res, (size_t)len, &tmp, &bad) == 0,
             "utf8proc returned invalid UTF-8");
    cpbuf_append(out, tmp.v, tmp.n);
    cpbuf_free(&tmp);
    free(res);
}

/* (c), (d), (e), (f): one code point at a time. */
static void step_chars(const CpBuf *in, CpBuf *out, ByteBuf *bytes) {
    out->n = 0;
    cpbuf_reserve(out, in->n);
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = c1_to_cp1252(in->v[i]);
        uint32_t rep[3];
        int k = ligature(c, rep);
        if (k == 0) {
            rep[0] = c;
            k = 1;
        }
        for (int r = 0; r < k; r++) {
            uint32_t d = rep[r];
            if (d == 0x3000) {
                cpbuf_push(out, ' ');
            } else if (width_char(d)) {
                utf8proc_apply(&d, 1, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT, bytes,
                               out);
            } else if (d == 0x02BC || (d >= 0x2018 && d <= 0x201B)) {
                cpbuf_push(out, '\'');
            } else if (d >= 0x201C && d <= 0x201F) {
                cpbuf_push(out, '"');
            } else {
                cpbuf_push(out, d);
            }
        }
    }
}

/* (g) line breaks. */
static void step_line_breaks(const CpBuf *in, CpBuf *out) {
    out->n = 0;
    cpbuf_reserve(out, in->n);
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->v[i];
        if (c == '\r' && i + 1 < in->n && in->v[i + 1] == '\n') continue; // CRLF -> LF
        if (c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85) c = '\n';
        out->v[out->n++] = c;
    }
}

static int is_alpha_ascii(uint32_t c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int control_char(uint32_t c) {
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
           (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

/* (h) ESC [ [0-9;]* [A-Za-z] removed, then (i) control characters removed. */
static void step_escapes_controls(const CpBuf *in, CpBuf *out) {
    out->n = 0;
    cpbuf_reserve(out, in->n);
    size_t i = 0;
    while (i < in->n) {
        if (in->v[i] == 0x1B && i + 1 < in->n && in->v[i + 1] == '[') {
            size_t k = i + 2;
            while (k < in->n && ((in->v[k] >= '0' && in->v[k] <= '9') || in->v[k] == ';'))
                k++;
            if (k < in->n && is_alpha_ascii(in->v[k])) {
                i = k + 1;
                continue;
            }
        }
        out->v[out->n++] = in->v[i++];
    }
    size_t w = 0;
    for (size_t r = 0; r < out->n; r++)
        if (!control_char(out->v[r])) out->v[w++] = out->v[r];
    out->n = w;
}

/* (j) NFC. Below U+0300 every code point is NFC-stable and composes with
 * nothing, so such text is returned as is. */
static void step_nfc(const CpBuf *in, CpBuf *out, ByteBuf *bytes) {
    out->n = 0;
    int simple = 1;
    for (size_t i = 0; i < in->n && simple; i++)
        simple = in->v[i] < 0x300;
    if (simple) {
        cpbuf_append(out, in->v, in->n);
        return;
    }
    utf8proc_apply(in->v, in->n, UTF8PROC_STABLE | UTF8PROC_COMPOSE, bytes, out);
}

/* One segment, passes until nothing changes. Result in s->seg. */
static void fix_segment(FtfyScratch *s, int html) {
    for (;;) {
        CpBuf *cur = &s->seg;
        if (html) {
            step_entities(cur, &s->a);
            cpbuf_swap(&s->a, &s->b); // b: after (a)
        } else {
            s->b.n = 0;
            cpbuf_append(&s->b, cur->v, cur->n);
        }
        step_chars(&s->b, &s->a, &s->bytes);
        step_line_breaks(&s->a, &s->b);
        step_escapes_controls(&s->b, &s->a);
        step_nfc(&s->a, &s->b, &s->bytes);
        if (cpbuf_equal(&s->b, &s->seg)) return;
        cpbuf_swap(&s->b, &s->seg);
    }
}

void ftfy_fix_text(const uint32_t *in, size_t n, FtfyScratch *s, CpBuf *out) {
    out->n = 0;
    int html = 1;
    size_t pos = 0;
    while (pos < n) {
        size_t end = pos;
        while (end < n && in[end] != '\n')
            end++;
        if (end < n) end++; // the LF stays with its segment
        s->seg.n = 0;
        cpbuf_append(&s->seg, in + pos, end - pos);
        for (size_t i = pos; i < end && html; i++)
            if (in[i] == '<') html = 0;
        fix_segment(s, html);
        cpbuf_append(out, s->seg.v, s->seg.n);
        pos = end;
    }
}

void ftfy_scratch_free(FtfyScratch *s) {
    cpbuf_free(&s->seg);
    cpbuf_free(&s->a);
    cpbuf_free(&s->b);
    bytebuf_free(&s->bytes);
}
