/* Python 3.11 html.unescape, transcribed from its documented behaviour:
 * the pattern &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) and the
 * HTML5 rules (invalid-charref table, surrogates/too large -> U+FFFD,
 * invalid code points -> nothing, named references by longest prefix). */
#include "tokenizer/html_unescape.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *value;
} HtmlEntity;

#include "tokenizer/html5_entities.inc"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *s;
    size_t len;
} NameKey;

static int cmp_entity(const void *key, const void *elem) {
    const NameKey *k = key;
    const HtmlEntity *e = elem;
    size_t el = strlen(e->name);
    size_t m = k->len < el ? k->len : el;
    int c = memcmp(k->s, e->name, m);
    if (c) return c;
    return (k->len > el) - (k->len < el);
}

static const char *lookup(const HtmlEntity *table, size_t count, const char *name, size_t len) {
    NameKey k = {name, len};
    const HtmlEntity *e = bsearch(&k, table, count, sizeof(HtmlEntity), cmp_entity);
    return e ? e->value : NULL;
}

const char *html5_entity(const char *name, size_t len) {
    return lookup(DRL_HTML5_ENTITIES, COUNT(DRL_HTML5_ENTITIES), name, len);
}

const char *ftfy_entity(const char *name, size_t len) {
    const char *v = html5_entity(name, len);
    if (v && len > 0 && name[len - 1] == ';') return v;
    return lookup(DRL_FTFY_UPPER_ENTITIES, COUNT(DRL_FTFY_UPPER_ENTITIES), name, len);
}

static int is_digit(uint32_t c) {
    return c >= '0' && c <= '9';
}

static int hex_val(uint32_t c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

static int is_invalid_codepoint(uint32_t num) {
    size_t lo = 0, hi = COUNT(DRL_HTML_INVALID_CODEPOINTS);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (DRL_HTML_INVALID_CODEPOINTS[mid] < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < COUNT(DRL_HTML_INVALID_CODEPOINTS) && DRL_HTML_INVALID_CODEPOINTS[lo] == num;
}

/* Numeric reference value (saturated above 0x10FFFF) -> replacement. */
static void numeric_ref(uint64_t num, CpBuf *out) {
    for (size_t i = 0; i < COUNT(DRL_HTML_INVALID_CHARREFS); i++) {
        if (DRL_HTML_INVALID_CHARREFS[i][0] == num) {
            cpbuf_push(out, DRL_HTML_INVALID_CHARREFS[i][1]);
            return;
        }
    }
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
        cpbuf_push(out, 0xFFFD);
        return;
    }
    if (is_invalid_codepoint((uint32_t)num)) return;
    cpbuf_push(out, (uint32_t)num);
}

/* Tries a numeric reference at in[i] == '&', in[i+1] == '#'. Returns the end
 * of the match or 0. */
static size_t try_numeric(const uint32_t *in, size_t n, size_t i, CpBuf *out) {
    size_t j = i + 2;
    uint64_t num = 0;
    const uint64_t cap = 0x110000; // saturate: anything larger is U+FFFD
    if (j < n && (in[j] == 'x' || in[j] == 'X')) {
        size_t k = j + 1;
        while (k < n && hex_val(in[k]) >= 0) {
            num = num * 16 + (uint64_t)hex_val(in[k]);
            if (num > cap) num = cap;
            k++;
        }
        if (k == j + 1) goto decimal; // no hex digit: '#x' is not a decimal either
        if (k < n && in[k] == ';') k++;
        numeric_ref(num, out);
        return k;
    }
decimal:
    num = 0;
    {
        size_t k = j;
        while (k < n && is_digit(in[k])) {
            num = num * 10 + (in[k] - '0');
            if (num > cap) num = cap;
            k++;
        }
        if (k == j) return 0;
        if (k < n && in[k] == ';') k++;
        numeric_ref(num, out);
        return k;
    }
}

static int name_char(uint32_t c) {
    return !(c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' ||
             c == ';');
}

/* Tries a named reference at in[i] == '&'. Returns the end of the match or 0. */
static size_t try_named(const uint32_t *in, size_t n, size_t i, CpBuf *out) {
    size_t j = i + 1, k = j;
    while (k < n && k - j < 32 && name_char(in[k]))
        k++;
    if (k == j) return 0;
    if (k < n && in[k] == ';') k++;
    size_t len = k - j;
    // Names are ASCII; a non-ASCII char ends every possible table match.
    char name[34];
    size_t ascii = 0;
    while (ascii < len && in[j + ascii] < 0x80) {
        name[ascii] = (char)in[j + ascii];
        ascii++;
    }
    const char *v = ascii == len ? html5_entity(name, len) : NULL;
    if (v) {
        cpbuf_append_utf8(out, v);
        return k;
    }
    for (size_t x = len - 1; x > 1; x--) {
        if (x > ascii) continue;
        v = html5_entity(name, x);
        if (v) {
            cpbuf_append_utf8(out, v);
            cpbuf_append(out, in + j + x, len - x);
            return k;
        }
    }
    cpbuf_append(out, in + i, k - i); // '&' + s unchanged
    return k;
}

void html_unescape(const uint32_t *in, size_t n, CpBuf *out) {
    out->n = 0;
    cpbuf_reserve(out, n);
    size_t i = 0;
    while (i < n) {
        if (in[i] != '&') {
            out->v[out->n++] = in[i++];
            continue;
        }
        size_t end = 0;
        if (i + 1 < n && in[i + 1] == '#')
            end = try_numeric(in, n, i, out);
        else
            end = try_named(in, n, i, out);
        if (end == 0) {
            cpbuf_push(out, in[i]);
            i++;
        } else {
            i = end;
        }
    }
}
