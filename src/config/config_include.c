/* Finding and removing `@include` directives before libconfig parses a file:
 * the loader resolves includes itself so that a file can override settings of
 * the files it includes (libconfig alone rejects a group defined twice). */
#include "config/config_internal.h"

#include "common/check.h"

#include <stdbool.h>
#include <string.h>

typedef enum { LEX_CODE, LEX_STRING, LEX_BLOCK_COMMENT } LexState;

/* Parses `@include "path"` at `p` (after leading blanks). Returns the path
 * (malloc'ed) or NULL when malformed. */
static char *parse_directive(const char *p, const char *end) {
    p += strlen("@include");
    if (p >= end || (*p != ' ' && *p != '\t')) return NULL;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p != '"') return NULL;
    const char *start = ++p;
    while (p < end && *p != '"' && *p != '\\')
        p++;
    if (p >= end || *p != '"') return NULL;
    size_t n = (size_t)(p - start);
    p++;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    bool comment = p < end && (*p == '#' || (*p == '/' && p + 1 < end && p[1] == '/'));
    if (p < end && !comment) return NULL;
    if (n == 0) return NULL;
    char *path = mallocCheck(n + 1);
    memcpy(path, start, n);
    path[n] = '\0';
    return path;
}

CfgInclude *cfg_strip_includes(char *text, const char *file, size_t *count, CfgErrors *errors) {
    CfgInclude *incs = NULL;
    size_t n = 0, cap = 0;
    LexState state = LEX_CODE;
    int depth = 0, line = 1;
    char *p = text;
    while (*p) {
        /* At the start of a line (in code): is it a directive? */
        char *eol = strchr(p, '\n');
        if (!eol) eol = p + strlen(p);
        if (state == LEX_CODE) {
            char *q = p;
            while (q < eol && (*q == ' ' || *q == '\t'))
                q++;
            if (eol - q >= 8 && !strncmp(q, "@include", 8)) {
                char *path = parse_directive(q, eol);
                if (!path)
                    cfg_error(errors, file, line,
                              "@include: expected @include \"FILE\" alone on its line, found %.*s",
                              (int)(eol - q), q);
                else if (depth > 0) {
                    cfg_error(errors, file, line,
                              "@include: expected at the top level of the file, found it inside "
                              "a group");
                    free(path);
                } else {
                    if (n == cap) {
                        cap = cap ? 2 * cap : 4;
                        CfgInclude *grown = realloc(incs, cap * sizeof *incs);
                        sysCheck(grown != NULL, "out of memory");
                        incs = grown;
                    }
                    incs[n].line = line;
                    incs[n].path = path;
                    n++;
                }
                memset(q, ' ', (size_t)(eol - q));
                p = eol;
            }
        }
        /* Scan the rest of the line for strings, comments and brackets. */
        for (; p < eol; p++) {
            char c = *p;
            if (state == LEX_STRING) {
                if (c == '\\' && p + 1 < eol)
                    p++;
                else if (c == '"')
                    state = LEX_CODE;
            } else if (state == LEX_BLOCK_COMMENT) {
                if (c == '*' && p + 1 < eol && p[1] == '/') {
                    state = LEX_CODE;
                    p++;
                }
            } else if (c == '"') {
                state = LEX_STRING;
            } else if (c == '#' || (c == '/' && p + 1 < eol && p[1] == '/')) {
                p = eol - 1; /* line comment */
            } else if (c == '/' && p + 1 < eol && p[1] == '*') {
                state = LEX_BLOCK_COMMENT;
                p++;
            } else if (c == '{' || c == '(' || c == '[') {
                depth++;
            } else if (c == '}' || c == ')' || c == ']') {
                depth--;
            }
        }
        if (*p == '\n') {
            p++;
            line++;
        }
    }
    *count = n;
    return incs;
}

void cfg_includes_free(CfgInclude *incs, size_t count) {
    for (size_t i = 0; i < count; i++)
        free(incs[i].path);
    free(incs);
}
