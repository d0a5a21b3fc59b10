/* The effective configuration as libconfig text: every setting, one group per
 * section, floats printed with the fewest digits that read back exactly. */
#include "config/config.h"
#include "config/config_table.h"

#include "common/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, cap;
} Text;

__attribute__((format(printf, 2, 3))) static void put(Text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->len + (size_t)n + 1 > t->cap) {
        while (t->len + (size_t)n + 1 > t->cap)
            t->cap = t->cap ? 2 * t->cap : 4096;
        char *grown = realloc(t->buf, t->cap);
        sysCheck(grown != NULL, "out of memory");
        t->buf = grown;
    }
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Shortest %g form that parses back to the same double, always with a '.'
 * or an exponent so libconfig reads a float. */
static void format_double(double v, char *buf, size_t len) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", len - strlen(buf) - 1);
}

static void put_string(Text *t, const char *s) {
    put(t, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(t, "\\%c", c);
        else if (c == '\n')
            put(t, "\\n");
        else if (c == '\t')
            put(t, "\\t");
        else if (c < 0x20)
            put(t, "\\x%02x", c);
        else
            put(t, "%c", c);
    }
    put(t, "\"");
}

static void put_section(Text *t, const DrlConfig *cfg, const CfgSection *sec, int indent) {
    size_t nf = 0, ns = 0;
    const CfgField *fields = cfg_fields(&nf);
    const CfgSection *secs = cfg_sections(&ns);
    put(t, "%*s%s = {\n", indent, "", sec->name);
    for (size_t i = 0; i < nf; i++) {
        const CfgField *f = &fields[i];
        if (strcmp(f->section, sec->path)) continue;
        const void *p = cfg_cptr(cfg, f);
        put(t, "%*s%s = ", indent + 2, "", f->name);
        char num[64];
        switch (f->kind) {
        case CFG_INT:
            put(t, "%d", *(const int *)p);
            break;
        case CFG_FLOAT:
            format_double(*(const double *)p, num, sizeof num);
            put(t, "%s", num);
            break;
        case CFG_BOOL:
            put(t, "%s", *(const bool *)p ? "true" : "false");
            break;
        case CFG_STRING:
            put_string(t, (const char *)p);
            break;
        case CFG_ENUM: {
            int v = *(const int *)p;
            put_string(t, v >= 0 && v < cfg_choice_count(f) ? f->choices[v] : "?");
            break;
        }
        }
        put(t, ";\n");
    }
    for (size_t i = 0; i < ns; i++)
        if (secs[i].parent && !strcmp(secs[i].parent, sec->path))
            put_section(t, cfg, &secs[i], indent + 2);
    put(t, "%*s};\n", indent, "");
}

char *config_to_string(const DrlConfig *cfg) {
    Text t = {0};
    size_t ns = 0;
    const CfgSection *secs = cfg_sections(&ns);
    for (size_t i = 0; i < ns; i++)
        if (!secs[i].parent) put_section(&t, cfg, &secs[i], 0);
    return t.buf;
}
