/* First-error-wins message formatting for the .pt reader. */
#include "ptload/pt_error.h"

#include <stdarg.h>
#include <stdio.h>

int pt_error(PtErr *e, const char *fmt, ...) {
    if (e->set || !e->buf || e->len == 0) return -1;
    int n = snprintf(e->buf, e->len, "%s: ", e->file ? e->file : "(buffer)");
    if (n >= 0 && (size_t)n < e->len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    e->set = 1;
    return -1;
}

void pt_quote(const char *s, size_t slen, char *out, size_t outlen) {
    if (outlen == 0) return;
    size_t n = 0;
    for (size_t i = 0; i < slen && n + 1 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        out[n++] = (c >= 32 && c < 127) ? (char)c : '?';
    }
    if (slen > n && outlen > 4 && n + 1 >= outlen) { // truncated: mark it
        out[outlen - 4] = '.';
        out[outlen - 3] = '.';
        out[outlen - 2] = '.';
        n = outlen - 1;
    }
    out[n] = '\0';
}
