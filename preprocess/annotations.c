#include "preprocess/annotations.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open-addressing hash map id -> video index (FNV-1a). */
typedef struct {
    int64_t *slots; // (cap) video index + 1, 0 = empty
    int64_t cap;
} IdIndex;

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int index_grow(Annotations *a, IdIndex *ix) {
    int64_t cap = ix->cap ? ix->cap * 2 : 1024;
    int64_t *slots = calloc((size_t)cap, sizeof *slots);
    if (!slots) return -1;
    for (int64_t v = 0; v < a->n_videos; v++) {
        uint64_t h = fnv1a(a->video_ids[v]) & (uint64_t)(cap - 1);
        while (slots[h])
            h = (h + 1) & (uint64_t)(cap - 1);
        slots[h] = v + 1;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    return 0;
}

void annotations_init(Annotations *a) {
    memset(a, 0, sizeof *a);
}

void annotations_free(Annotations *a) {
    for (int64_t i = 0; i < a->n_videos; i++)
        free(a->video_ids[i]);
    for (int64_t i = 0; i < a->n_captions; i++)
        free(a->captions[i]);
    for (int i = 0; i < a->n_splits; i++)
        free(a->splits[i].captions);
    for (int64_t i = 0; i < a->meta_cap; i++)
        free(a->video_files[i]);
    free(a->video_files);
    free(a->video_window);
    free(a->video_ids);
    free(a->captions);
    free(a->caption_video);
    IdIndex *ix = a->index;
    if (ix) free(ix->slots);
    free(ix);
    memset(a, 0, sizeof *a);
}

int64_t annotations_find(const Annotations *a, const char *id) {
    const IdIndex *ix = a->index;
    if (!ix || !ix->cap) return -1;
    uint64_t mask = (uint64_t)(ix->cap - 1), h = fnv1a(id) & mask;
    while (ix->slots[h]) {
        int64_t v = ix->slots[h] - 1;
        if (strcmp(a->video_ids[v], id) == 0) return v;
        h = (h + 1) & mask;
    }
    return -1;
}

int64_t annotations_video(Annotations *a, const char *id) {
    IdIndex *ix = a->index;
    if (!ix) {
        ix = calloc(1, sizeof *ix);
        if (!ix) return -1;
        a->index = ix;
    }
    if ((a->n_videos + 1) * 2 > ix->cap && index_grow(a, ix) < 0) return -1;
    uint64_t mask = (uint64_t)(ix->cap - 1), h = fnv1a(id) & mask;
    while (ix->slots[h]) {
        int64_t v = ix->slots[h] - 1;
        if (strcmp(a->video_ids[v], id) == 0) return v;
        h = (h + 1) & mask;
    }
    char **ids = realloc(a->video_ids, sizeof *ids * (size_t)(a->n_videos + 1));
    if (!ids) return -1;
    a->video_ids = ids;
    ids[a->n_videos] = strdup(id);
    if (!ids[a->n_videos]) return -1;
    ix->slots[h] = a->n_videos + 1;
    return a->n_videos++;
}

int64_t annotations_add_caption(Annotations *a, const char *text, int64_t v) {
    if ((a->n_captions & (a->n_captions - 1)) == 0) { /* grow at powers of two */
        size_t cap = a->n_captions ? (size_t)a->n_captions * 2 : 1;
        char **c = realloc(a->captions, sizeof *c * cap);
        if (c) a->captions = c;
        int32_t *cv = realloc(a->caption_video, sizeof *cv * cap);
        if (cv) a->caption_video = cv;
        if (!c || !cv) return -1;
    }
    a->captions[a->n_captions] = strdup(text);
    if (!a->captions[a->n_captions]) return -1;
    a->caption_video[a->n_captions] = (int32_t)v;
    return a->n_captions++;
}

AnnSplit *annotations_add_split(Annotations *a, const char *name) {
    if (a->n_splits >= ANN_MAX_SPLITS) return NULL;
    AnnSplit *s = &a->splits[a->n_splits++];
    memset(s, 0, sizeof *s);
    strncpy(s->name, name, sizeof s->name - 1);
    return s;
}

int annotations_split_push(AnnSplit *s, int64_t caption) {
    if ((s->n & (s->n - 1)) == 0) {
        size_t cap = s->n ? (size_t)s->n * 2 : 1;
        int64_t *c = realloc(s->captions, sizeof *c * cap);
        if (!c) return -1;
        s->captions = c;
    }
    s->captions[s->n++] = caption;
    return 0;
}

/* video_files/video_window cover video v (new entries: default file, whole video). */
static int meta_reserve(Annotations *a, int64_t v) {
    if (v < a->meta_cap) return 0;
    int64_t cap = a->meta_cap ? a->meta_cap : 64;
    while (cap <= v)
        cap *= 2;
    char **f = realloc(a->video_files, sizeof *f * (size_t)cap);
    if (f) a->video_files = f;
    double *w = realloc(a->video_window, sizeof *w * 2 * (size_t)cap);
    if (w) a->video_window = w;
    if (!f || !w) return -1;
    for (int64_t i = a->meta_cap; i < cap; i++) {
        f[i] = NULL;
        w[2 * i] = 0.0;
        w[2 * i + 1] = -1.0;
    }
    a->meta_cap = cap;
    return 0;
}

int annotations_set_file(Annotations *a, int64_t v, const char *file) {
    if (v < 0 || meta_reserve(a, v) < 0) return -1;
    char *copy = strdup(file);
    if (!copy) return -1;
    free(a->video_files[v]);
    a->video_files[v] = copy;
    return 0;
}

int annotations_set_window(Annotations *a, int64_t v, double start, double end) {
    if (v < 0 || meta_reserve(a, v) < 0) return -1;
    a->video_window[2 * v] = start;
    a->video_window[2 * v + 1] = end;
    return 0;
}

char *annotations_read_file(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
            buf = malloc((size_t)n + 1);
            if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
                buf[n] = 0;
                *len = (size_t)n;
            } else {
                free(buf);
                buf = NULL;
            }
        }
    }
    fclose(f);
    if (!buf) snprintf(err, errlen, "%s: read error", path);
    return buf;
}
