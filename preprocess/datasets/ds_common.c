#include "preprocess/datasets/ds_common.h"
#include "common/log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

cJSON *ds_read_json(const char *path, char *err, size_t errlen) {
    size_t len = 0;
    char *text = annotations_read_file(path, &len, err, errlen);
    if (!text) return NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long off = at ? (long)(at - text) : -1L;
        long line = 1;
        for (long i = 0; i < off && text[i]; i++)
            line += text[i] == '\n';
        snprintf(err, errlen, "%s:%ld: invalid JSON near byte %ld", path, line, off);
    }
    free(text);
    return root;
}

int ds_path(char *out, size_t n, const char *dir, const char *name, char *err, size_t errlen) {
    if ((size_t)snprintf(out, n, "%s/%s", dir, name) >= n) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return -1;
    }
    return 0;
}

int ds_exists(const char *path) {
    return access(path, F_OK) == 0;
}

char *ds_trim_dup(const char *s, size_t len) {
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *d = malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}

void ds_free_lines(char **lines, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

char **ds_read_lines(const char *path, int64_t *n, char *err, size_t errlen) {
    size_t len = 0;
    char *text = annotations_read_file(path, &len, err, errlen);
    if (!text) return NULL;
    char **lines = NULL; // (count) trimmed non-empty lines
    int64_t count = 0, cap = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        char *l = ds_trim_dup(text + i, j - i);
        if (!l) goto oom;
        if (!l[0]) {
            free(l);
        } else {
            if (count == cap) {
                cap = cap ? 2 * cap : 64;
                char **g = realloc(lines, sizeof *g * (size_t)cap);
                if (!g) {
                    free(l);
                    goto oom;
                }
                lines = g;
            }
            lines[count++] = l;
        }
        i = j + 1;
    }
    free(text);
    *n = count;
    if (!lines) lines = calloc(1, sizeof *lines);
    return lines;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
    ds_free_lines(lines, count);
    free(text);
    return NULL;
}

void ds_problem(DatasetStats *st, const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_warn("%s (skipped, the job goes on)", msg);
    st->problems++;
}

int ds_split_begin(Annotations *a, DsSplit *b, const char *name, int64_t limit, const char *file,
                   char *err, size_t errlen) {
    memset(b, 0, sizeof *b);
    annotations_init(&b->seen);
    b->limit = limit;
    b->file = file;
    b->split = annotations_add_split(a, name);
    if (!b->split) {
        snprintf(err, errlen, "%s: too many splits", file);
        return -1;
    }
    return 0;
}

int ds_split_takes(DsSplit *b, const char *video_id) {
    if (b->limit <= 0 || annotations_find(&b->seen, video_id) >= 0) return 1;
    if (b->seen.n_videos >= b->limit) return 0;
    return annotations_video(&b->seen, video_id) >= 0;
}

int64_t ds_split_add(Annotations *a, DsSplit *b, const char *video_id, const char *file,
                     const char *text, char *err, size_t errlen) {
    int64_t v = annotations_video(a, video_id);
    int64_t c = v < 0 ? -1 : annotations_add_caption(a, text, v);
    if (c < 0 || annotations_split_push(b->split, c) < 0 ||
        (file && annotations_set_file(a, v, file) < 0)) {
        snprintf(err, errlen, "%s: out of memory", b->file);
        return -1;
    }
    return v;
}

int ds_split_end(DsSplit *b, char *err, size_t errlen) {
    annotations_free(&b->seen);
    if (err && b->split->n == 0) {
        snprintf(err, errlen, "%s: no usable item for split '%s' (see the warnings above)", b->file,
                 b->split->name);
        return -1;
    }
    return 0;
}

static int cmp_sentence(const void *pa, const void *pb) {
    const DsSentence *x = pa, *y = pb;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

char *ds_paragraph(DsSentence *s, int64_t n) {
    qsort(s, (size_t)n, sizeof *s, cmp_sentence);
    size_t len = 1;
    for (int64_t i = 0; i < n; i++)
        len += strlen(s[i].text) + 1;
    char *p = malloc(len);
    if (!p) return NULL;
    size_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!s[i].text[0]) continue;
        if (at) p[at++] = ' ';
        size_t l = strlen(s[i].text);
        memcpy(p + at, s[i].text, l);
        at += l;
    }
    p[at] = 0;
    return p;
}
