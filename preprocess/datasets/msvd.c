/* MSVD (CLIP4Clip's dataloader_msvd_retrieval.py, the collaborative-experts
 * files): raw-captions.pkl is a pickled dict {video id: [[token, ...], ...]}
 * (a caption = its tokens joined by single spaces, as CLIP4Clip does; a
 * plain string caption is taken as is); {train,val,test}_list.txt list the
 * video ids of each split, one per line. The pickle is read by the project's
 * restricted unpickler (src/ptload/pt_pickle.h), which executes nothing.
 * Video file: "<id>.*" (the YouTubeClips are .avi). */
#include "preprocess/datasets/ds_common.h"
#include "ptload/pt_pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Annotations keys;     /* video id -> position in the dict */
    const PyVal **values; // (keys.n_videos) the caption lists
} CaptionDict;

static int load_dict(const char *path, const PyVal *root, CaptionDict *d, DatasetStats *st,
                     char *err, size_t errlen) {
    if (root->kind != PV_DICT) {
        snprintf(err, errlen, "%s: expected a pickled dict {video id: [caption, ...]}", path);
        return -1;
    }
    size_t n = root->n / 2;
    d->values = calloc(n + 1, sizeof *d->values);
    if (!d->values) goto oom;
    for (size_t i = 0; i < n; i++) {
        const PyVal *k = root->items[2 * i];
        if (k->kind != PV_STR) {
            ds_problem(st, "%s: dict key %zu is not a string", path, i);
            continue;
        }
        char *id = ds_trim_dup(k->s, k->slen);
        if (!id) goto oom;
        int64_t v = annotations_video(&d->keys, id);
        free(id);
        if (v < 0) goto oom;
        d->values[v] = root->items[2 * i + 1];
    }
    return 0;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
}

/* One caption: tokens joined by spaces, or the string itself; NULL if neither. */
static char *caption_text(const PyVal *c, int *oom) {
    if (c->kind == PV_STR) return ds_trim_dup(c->s, c->slen);
    if (c->kind != PV_LIST && c->kind != PV_TUPLE) return NULL;
    size_t len = 1;
    for (size_t i = 0; i < c->n; i++) {
        if (c->items[i]->kind != PV_STR) return NULL;
        len += c->items[i]->slen + 1;
    }
    char *t = malloc(len);
    if (!t) {
        *oom = 1;
        return NULL;
    }
    size_t at = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (i) t[at++] = ' ';
        memcpy(t + at, c->items[i]->s, c->items[i]->slen);
        at += c->items[i]->slen;
    }
    t[at] = 0;
    char *trimmed = ds_trim_dup(t, at);
    free(t);
    if (!trimmed) *oom = 1;
    return trimmed;
}

static int read_split(const DatasetSources *src, const char *name, const char *pkl,
                      const CaptionDict *d, Annotations *a, DatasetStats *st, char *err,
                      size_t errlen) {
    char path[4096], base[64];
    snprintf(base, sizeof base, "%s_list.txt", name);
    if (ds_path(path, sizeof path, src->anno, base, err, errlen) < 0) return -1;
    int64_t n = 0;
    char **ids = ds_read_lines(path, &n, err, errlen);
    if (!ids) return -1;
    DsSplit b;
    int rc = -1;
    if (ds_split_begin(a, &b, name, src->limit, path, err, errlen) < 0) {
        ds_free_lines(ids, n);
        return -1;
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t v = annotations_find(&d->keys, ids[k]);
        if (v < 0 || !d->values[v]) {
            ds_problem(st, "%s:%lld: video %s is listed but absent from %s", path, (long long)k + 1,
                       ids[k], pkl);
            continue;
        }
        const PyVal *caps = d->values[v];
        if ((caps->kind != PV_LIST && caps->kind != PV_TUPLE) || caps->n == 0) {
            ds_problem(st, "%s: key %s: expected a non-empty list of captions", pkl, ids[k]);
            continue;
        }
        if (!ds_split_takes(&b, ids[k])) continue;
        char file[4200];
        snprintf(file, sizeof file, "%s.*", ids[k]);
        for (size_t c = 0; c < caps->n; c++) {
            int oom = 0;
            char *t = caption_text(caps->items[c], &oom);
            if (oom) {
                snprintf(err, errlen, "%s: out of memory", pkl);
                goto done;
            }
            if (!t || !t[0]) {
                ds_problem(st, "%s: key %s: caption [%zu] is %s", pkl, ids[k], c,
                           t ? "empty" : "neither a list of strings nor a string");
                free(t);
                continue;
            }
            int64_t av = ds_split_add(a, &b, ids[k], file, t, err, errlen);
            free(t);
            if (av < 0) goto done;
        }
    }
    rc = 0;
done:
    rc = ds_split_end(&b, rc == 0 ? err : NULL, errlen) < 0 ? -1 : rc;
    ds_free_lines(ids, n);
    return rc;
}

int msvd_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
              size_t errlen) {
    static const char *names[DS_NSPLITS] = {"train", "val", "test"};
    char pkl[4096];
    if (ds_path(pkl, sizeof pkl, src->anno, "raw-captions.pkl", err, errlen) < 0) return -1;
    size_t len = 0;
    char *buf = annotations_read_file(pkl, &len, err, errlen);
    if (!buf) return -1;
    PvArena arena;
    memset(&arena, 0, sizeof arena);
    PtErr e = {.buf = err, .len = errlen, .file = pkl};
    CaptionDict d;
    memset(&d, 0, sizeof d);
    int rc = -1;
    const PyVal *root = pv_unpickle((const uint8_t *)buf, len, "pickle", &arena, &e);
    if (root && load_dict(pkl, root, &d, st, err, errlen) == 0) {
        rc = 0;
        for (int s = 0; s < DS_NSPLITS && rc == 0; s++)
            if (src->want[s]) rc = read_split(src, names[s], pkl, &d, a, st, err, errlen);
    }
    free(d.values);
    annotations_free(&d.keys);
    pv_arena_free(&arena);
    free(buf);
    return rc;
}
