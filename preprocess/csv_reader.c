#include "preprocess/csv_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, cap;
} Str;

static int str_push(Str *s, char c) {
    if (s->len + 1 >= s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char *b = realloc(s->buf, cap);
        if (!b) return -1;
        s->buf = b;
        s->cap = cap;
    }
    s->buf[s->len++] = c;
    s->buf[s->len] = 0;
    return 0;
}

static char *str_take(Str *s) {
    char *r = s->buf ? s->buf : calloc(1, 1);
    s->buf = NULL;
    s->len = s->cap = 0;
    return r;
}

void csv_free(CsvTable *t) {
    if (!t) return;
    for (int i = 0; i < t->n_cols; i++)
        free(t->header[i]);
    for (int r = 0; r < t->n_rows; r++) {
        for (int i = 0; i < t->n_cols; i++)
            free(t->rows[r][i]);
        free(t->rows[r]);
    }
    free(t->header);
    free(t->rows);
    free(t->row_line);
    free(t);
}

int csv_column(const CsvTable *t, const char *name) {
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->header[i], name) == 0) return i;
    return -1;
}

/* Appends a finished record (fields, n) to t; the first one is the header. */
static int add_record(CsvTable *t, char **fields, int n, int line, const char *path, char *err,
                      size_t errlen) {
    if (!t->header) {
        t->header = fields;
        t->n_cols = n;
        return 0;
    }
    if (n != t->n_cols) {
        snprintf(err, errlen, "%s:%d: %d field(s), the header has %d", path, line, n, t->n_cols);
        for (int i = 0; i < n; i++)
            free(fields[i]);
        free(fields);
        return -1;
    }
    char ***rows = realloc(t->rows, sizeof *rows * (size_t)(t->n_rows + 1));
    int *lines = realloc(t->row_line, sizeof *lines * (size_t)(t->n_rows + 1));
    if (rows) t->rows = rows;
    if (lines) t->row_line = lines;
    if (!rows || !lines) {
        snprintf(err, errlen, "%s: out of memory", path);
        for (int i = 0; i < n; i++)
            free(fields[i]);
        free(fields);
        return -1;
    }
    t->rows[t->n_rows] = fields;
    t->row_line[t->n_rows] = line;
    t->n_rows++;
    return 0;
}

CsvTable *csv_parse(const char *text, size_t len, const char *path, char *err, size_t errlen) {
    CsvTable *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    int line = 1, record_line = 1, n_fields = 0;
    char **fields = NULL;
    Str field = {0};
    int in_quotes = 0, quoted = 0, record_empty = 1, quote_line = 0;
    for (;; i++) {
        int end = i >= len;
        char c = end ? '\n' : text[i];
        if (in_quotes) {
            if (end) {
                snprintf(err, errlen, "%s:%d: unterminated quoted field", path, quote_line);
                goto fail;
            }
            if (c == '"') {
                if (i + 1 < len && text[i + 1] == '"') {
                    if (str_push(&field, '"') < 0) goto oom;
                    i++;
                } else {
                    in_quotes = 0;
                }
            } else {
                if (c == '\n') line++;
                if (str_push(&field, c) < 0) goto oom;
            }
            continue;
        }
        if (c == '"' && field.len == 0 && !quoted) {
            in_quotes = quoted = 1;
            record_empty = 0;
            quote_line = line;
            continue;
        }
        if (c == '\r' && i + 1 < len && text[i + 1] == '\n') continue;
        if (c == ',' || c == '\n' || c == '\r') {
            if (c == ',' || !record_empty || n_fields > 0) {
                char **f = realloc(fields, sizeof *f * (size_t)(n_fields + 1));
                if (!f) goto oom;
                fields = f;
                fields[n_fields++] = str_take(&field);
                quoted = 0;
            }
            if (c != ',') {
                if (n_fields > 0 &&
                    add_record(t, fields, n_fields, record_line, path, err, errlen) < 0) {
                    fields = NULL; /* add_record freed them */
                    n_fields = 0;
                    goto fail;
                }
                fields = NULL;
                n_fields = 0;
                record_empty = 1;
                line++;
                record_line = line;
                if (end) break;
            }
            continue;
        }
        if (quoted) {
            snprintf(err, errlen, "%s:%d: text after a closing quote", path, line);
            goto fail;
        }
        record_empty = 0;
        if (str_push(&field, c) < 0) goto oom;
    }
    free(field.buf);
    if (!t->header) {
        snprintf(err, errlen, "%s: empty file (expected a header line)", path);
        csv_free(t);
        return NULL;
    }
    return t;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    free(field.buf);
    for (int k = 0; k < n_fields; k++)
        free(fields[k]);
    free(fields);
    csv_free(t);
    return NULL;
}

CsvTable *csv_read(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return NULL;
            }
            buf = b;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return NULL;
    }
    CsvTable *t = csv_parse(buf, len, path, err, errlen);
    free(buf);
    return t;
}
