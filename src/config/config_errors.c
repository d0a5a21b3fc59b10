#include "config/config_errors.h"

#include "common/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void append(CfgErrors *e, const char *s, size_t n) {
    if (e->len + n + 1 > e->cap) {
        size_t cap = e->cap ? e->cap : 256;
        while (e->len + n + 1 > cap)
            cap *= 2;
        char *grown = realloc(e->text, cap);
        sysCheck(grown != NULL, "out of memory while collecting configuration errors");
        e->text = grown;
        e->cap = cap;
    }
    memcpy(e->text + e->len, s, n);
    e->len += n;
    e->text[e->len] = '\0';
}

void cfg_error(CfgErrors *e, const char *file, int line, const char *fmt, ...) {
    char head[1200];
    int n = line > 0 ? snprintf(head, sizeof head, "%s:%d: ", file, line)
                     : snprintf(head, sizeof head, "%s: ", file);
    append(e, head, (size_t)n < sizeof head ? (size_t)n : sizeof head - 1);
    char body[2048];
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    append(e, body, (size_t)n < sizeof body ? (size_t)n : sizeof body - 1);
    append(e, "\n", 1);
    e->count++;
}

void cfg_errors_copy(const CfgErrors *e, char *buf, size_t len) {
    if (!buf || !len) return;
    if (!e->text) {
        buf[0] = '\0';
        return;
    }
    size_t n = e->len < len - 1 ? e->len : len - 1;
    memcpy(buf, e->text, n);
    buf[n] = '\0';
    if (n < e->len && len > 5) memcpy(buf + len - 5, "...\n", 5); /* marks truncation */
}

void cfg_errors_free(CfgErrors *e) {
    free(e->text);
    memset(e, 0, sizeof *e);
}
